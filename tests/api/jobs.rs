use serde_json::json;

use omnisync::jobs;
use omnisync::services::sync_runs;

use crate::helpers::{Backend, Options, TestApp, spawn_app, spawn_app_with};
use crate::on_both_backends;

const RECOMPUTE: &str = "mutation { productInventoryRecompute { syncRun { id status kind } userErrors { code } } }";

async fn stock_product(app: &TestApp, title: &str, on_hand: i64) -> serde_json::Value {
    let wh = app.default_warehouse_id().await;
    let p = app.create_product(title, json!([{ "price": "1000" }, { "sku": "second", "price": "1000" }])).await;
    app.gql(
        "mutation($v: ID!, $w: ID!, $d: Int!) { inventoryAdjustQuantities(input: { reason: RECEIVED, changes: [{ variantId: $v, warehouseId: $w, delta: $d }] }) { userErrors { code } } }",
        json!({ "v": p["variants"][0]["id"], "w": wh, "d": on_hand }),
    )
    .await;
    p
}

async fn a_recompute_run_is_queued_then_executed_once_by_a_worker(app: &TestApp) {
    let p = stock_product(app, "Đèn bàn", 5).await;
    let started = app.gql(RECOMPUTE, json!({})).await["productInventoryRecompute"].clone();
    assert_eq!(started["userErrors"], json!([]));
    assert_eq!(started["syncRun"]["status"], "CREATED", "the mutation returns at once");
    assert_eq!(started["syncRun"]["kind"], "PRODUCT_TOTALS");

    let run = app.wait_for_run(started["syncRun"]["id"].as_str().expect("id")).await;
    assert_eq!(run["status"], "COMPLETED", "{run}");
    assert_eq!(
        (run["total"].as_i64(), run["succeeded"].as_i64(), run["attempts"].as_i64()),
        (Some(1), Some(1), Some(1))
    );
    let product = app
        .gql("query($id: ID!) { product(id: $id) { totalOnHand totalsComputedAt } }", json!({ "id": p["id"] }))
        .await;
    assert_eq!(product["product"]["totalOnHand"], 5);
    assert!(product["product"]["totalsComputedAt"].is_string());
}
on_both_backends!(job_runs, a_recompute_run_is_queued_then_executed_once_by_a_worker);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recompute_run_also_works_on_the_postgres_queue_without_redis() {
    if let Some(app) = spawn_app(Backend::PostgresQueue).await {
        a_recompute_run_is_queued_then_executed_once_by_a_worker(&app).await;
        app.cleanup().await;
    }
}

/// A process enqueues two runs and dies before any worker ran them; for one of them it even died between writing
/// the run and pushing its job. The next process to start runs both, each exactly once.
async fn runs_left_unfinished_are_completed_after_a_restart_each_exactly_once(backend: Backend) {
    let Some(api_only) = spawn_app_with(backend, Options { run_workers: false }).await else { return };
    stock_product(&api_only, "Quạt", 3).await;
    let queued = api_only.gql(RECOMPUTE, json!({})).await["productInventoryRecompute"]["syncRun"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // The job id is recorded on the run but never pushed: the crash between the two writes.
    let lost = sync_runs::create(
        &api_only.ctx.db,
        entity::enums::SyncRunKind::ProductTotals,
        None,
        None,
        &ulid::Ulid::generate().to_string(),
    )
    .await
    .expect("run row");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let still = api_only.wait_for_run_status(&queued).await;
    assert_eq!(still, "CREATED", "no worker ran it in the API-only process");

    let restarted = api_only.sibling(Options { run_workers: true }).await;
    let lost_id = omnisync::graphql::relay::global_id("SyncRun", lost.id);
    for run_id in [queued.as_str(), lost_id.as_str()] {
        let run = restarted.wait_for_run(run_id).await;
        assert_eq!(run["status"], "COMPLETED", "{run}");
        assert_eq!(run["attempts"], 1, "ran exactly once: {run}");
    }

    // A late duplicate delivery of the first job (its old id) finds the run finished and does nothing.
    let row = sync_runs::get(&restarted.ctx.db, lost.id).await.expect("read").expect("run");
    jobs::execute(&restarted.ctx, lost.id, row.job_id.as_deref().unwrap_or_default())
        .await
        .expect("duplicate is harmless");
    let again = sync_runs::get(&restarted.ctx.db, lost.id).await.expect("read").expect("run");
    assert_eq!((again.attempts, again.status), (1, entity::enums::SyncRunStatus::Completed));
    api_only.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfinished_runs_complete_after_restart_on_sqlite() {
    runs_left_unfinished_are_completed_after_a_restart_each_exactly_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfinished_runs_complete_after_restart_on_postgres_and_redis() {
    runs_left_unfinished_are_completed_after_a_restart_each_exactly_once(Backend::PostgresRedis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfinished_runs_complete_after_restart_on_the_postgres_queue() {
    runs_left_unfinished_are_completed_after_a_restart_each_exactly_once(Backend::PostgresQueue).await;
}

impl TestApp {
    pub async fn wait_for_run_status(&self, run_id: &str) -> String {
        let data = self.gql("query($id: ID!) { syncRun(id: $id) { status } }", json!({ "id": run_id })).await;
        data["syncRun"]["status"].as_str().unwrap_or_default().to_owned()
    }
}
