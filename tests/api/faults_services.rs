//! Fault tests of the services the hub depends on: its Redis restarting empty in the middle of running jobs
//! (a private `redis-server`, never the machine's shared one), the scheduler's periodic recovery of lost jobs
//! (never doubling a live execution), and PostgreSQL dropping every connection while requests run.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ColumnTrait, ConnectionTrait, Database, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use entity::enums::{SyncRunKind, SyncRunStatus};
use entity::sync_run;
use omnisync::channels::ChannelKind;
use omnisync::events::HubEvent;
use omnisync::jobs;
use omnisync::services::sync_runs;

use crate::linking::connect_lazada;

use crate::helpers::{Backend, Options, TestApp, postgres_admin_url, spawn_app_configured, spawn_app_with, start_sim};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A `redis-server` of this test's own on `port`, keeping nothing on disk (a restart comes back empty).
/// Killed when dropped.
struct PrivateRedis {
    port: u16,
    child: Option<Child>,
}

impl PrivateRedis {
    /// Starts it and waits until it answers; `None` (test skipped) when `redis-server` is not installed.
    async fn start(port: u16) -> Option<Self> {
        let mut redis = Self { port, child: None };
        if let Err(err) = redis.launch() {
            println!("SKIPPED: redis-server cannot be started: {err}");
            return None;
        }
        redis.wait_ready().await;
        Some(redis)
    }

    fn launch(&mut self) -> std::io::Result<()> {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        Ok(())
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn wait_ready(&self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            let ping = async {
                let client = redis::Client::open(self.url())?;
                let mut conn = client.get_multiplexed_async_connection().await?;
                redis::cmd("PING").query_async::<String>(&mut conn).await
            };
            if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(1), ping).await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the private redis-server on port {} did not answer within 10 s", self.port);
    }

    /// SIGKILL: no goodbye to its clients, nothing saved.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts again on the same port, empty.
    async fn restart(&mut self) {
        self.kill();
        self.launch().expect("redis-server starts again");
        self.wait_ready().await;
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn run_id_of(payload: &Value) -> i64 {
    let id = async_graphql::ID(payload["syncRun"]["id"].as_str().expect("a sync run id").to_owned());
    omnisync::graphql::relay::decode_id("SyncRun", &id).expect("a SyncRun id")
}

async fn run(app: &TestApp, id: i64) -> sync_run::Model {
    sync_runs::get(&app.ctx.db, id).await.expect("read run").expect("the run exists")
}

async fn all_runs(app: &TestApp) -> Vec<sync_run::Model> {
    sync_run::Entity::find().all(&app.ctx.db).await.expect("read runs")
}

/// Redis is killed while link and pull runs are running and waiting; while it is down the hub answers cleanly;
/// it comes back empty. Runs in progress finish (their executions do not need Redis), runs whose job Redis lost
/// are re-queued by recovery, the worker and the event relay reconnect by themselves — and every run completes
/// exactly once, with one link per listing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_mid_run_loses_no_job_and_runs_none_twice() {
    let Some(mut redis) = PrivateRedis::start(free_port()).await else { return };
    let url = redis.url();
    let Some(app) = spawn_app_configured(Backend::PostgresRedis, Options::default(), |s| s.redis_url = Some(url)).await
    else {
        return;
    };

    const PRODUCTS: usize = 60;
    let sim = start_sim(ChannelKind::Lazada, PRODUCTS);
    let channel = connect_lazada(&app, &sim).await;
    for i in 1..=PRODUCTS {
        app.create_product(
            &format!("P{i}"),
            json!([{ "sku": format!("H{i}"), "barcode": format!("SKU-{i:04}-1"), "price": "1000" }]),
        )
        .await;
    }

    // Every marketplace call takes 2 s: a run reads two pages of listings, so it is still running when Redis goes.
    // Four run at once (the worker's concurrency); the worker holds ten more fetched, the rest wait in Redis.
    sim.state.set_fault_rates(omnisync::sim::FaultRates { timeout: 1.0, timeout_ms: 2000, ..Default::default() });
    let mut queued = Vec::new();
    for _ in 0..8 {
        let link = app.gql("mutation($c: ID!) { productLinksCreate(input: { channelId: $c, filter: {} }) { syncRun { id } userErrors { message } } }", json!({ "c": channel })).await;
        queued.push(run_id_of(&link["productLinksCreate"]));
        let pull = app
            .gql(
                "mutation($c: ID!) { channelListingsPull(channelId: $c) { syncRun { id } userErrors { message } } }",
                json!({ "c": channel }),
            )
            .await;
        queued.push(run_id_of(&pull["channelListingsPull"]));
    }
    let mut first_jobs = Vec::new();
    for id in &queued {
        first_jobs.push(run(&app, *id).await.job_id.expect("a job id"));
    }
    let started = Instant::now();
    let mut running_at_kill = Vec::new();
    while started.elapsed() < Duration::from_secs(20) {
        running_at_kill = all_runs(&app)
            .await
            .into_iter()
            .filter(|r| queued.contains(&r.id) && r.status == SyncRunStatus::Running)
            .map(|r| r.id)
            .collect();
        if running_at_kill.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(running_at_kill.len() >= 2, "runs started before Redis went");

    redis.kill();
    let down_at = Instant::now();

    // Readiness says the queue is down, at once.
    let asked = Instant::now();
    let ready = app.client.get(format!("{}/readyz", app.address)).send().await.expect("readyz answers");
    assert_eq!(ready.status().as_u16(), 503, "not ready without the queue");
    let body: Value = ready.json().await.expect("a JSON body");
    assert_eq!((body["queue"].as_str(), body["database"].as_str()), (Some("unavailable"), Some("ok")), "{body}");
    assert!(asked.elapsed() < Duration::from_secs(4), "readiness answered in {:?}", asked.elapsed());

    // Reads come from PostgreSQL: GraphQL still answers.
    let asked = Instant::now();
    let read = app.gql("{ syncRuns(first: 50) { totalCount } products(first: 1) { totalCount } }", json!({})).await;
    assert_eq!(read["products"]["totalCount"].as_u64(), Some(PRODUCTS as u64), "{read}");
    assert!(read["syncRuns"]["totalCount"].as_u64() >= Some(queued.len() as u64), "{read}");
    assert!(asked.elapsed() < Duration::from_secs(4), "a read answered in {:?}", asked.elapsed());

    // A mutation that must queue a job fails cleanly, soon, and leaves no run waiting for a job that never came.
    let asked = Instant::now();
    let refused =
        app.graphql("mutation { productInventoryRecompute { syncRun { id } userErrors { code } } }", json!({})).await;
    assert!(asked.elapsed() < Duration::from_secs(5), "the refusal took {:?}", asked.elapsed());
    assert_eq!(refused["errors"][0]["extensions"]["code"], "INTERNAL", "{refused}");
    let totals: Vec<sync_run::Model> =
        all_runs(&app).await.into_iter().filter(|r| r.kind == SyncRunKind::ProductTotals).collect();
    assert_eq!(totals.len(), 1, "{totals:?}");
    assert_eq!(
        (totals[0].status, totals[0].error_message.as_deref()),
        (SyncRunStatus::Failed, Some("the job queue is unavailable"))
    );

    // Down for 7 s in all — past the first runs' ends and a worker heartbeat, so the worker notices and drops the
    // jobs it held — then back, empty.
    if let Some(rest) = Duration::from_secs(7).checked_sub(down_at.elapsed()) {
        tokio::time::sleep(rest).await;
    }
    redis.restart().await;
    sim.state.set_fault_rates(omnisync::sim::FaultRates::default());

    // The event relay resubscribed and the publisher reconnected: an event published now reaches this process's
    // subscribers through Redis again (with Redis, publishing never writes to the local ring directly).
    let mut events = app.ctx.events.subscribe();
    let probe = HubEvent::SyncRunChanged { run_id: -7 };
    let mut relayed = false;
    let waiting = Instant::now();
    while !relayed && waiting.elapsed() < Duration::from_secs(20) {
        app.ctx.events.publish(probe.clone());
        let until = Instant::now() + Duration::from_millis(500);
        while let Ok(Ok(event)) = tokio::time::timeout_at(until.into(), events.recv()).await {
            if event == probe {
                relayed = true;
                break;
            }
        }
    }
    assert!(relayed, "events flow through Redis again after its restart");

    // Recovery (the scheduler's, here with no grace): runs whose job the empty Redis lost are queued again; runs
    // whose execution lives hold a fresh lease and are left alone. The worker reconnects by itself and runs them.
    let waiting = Instant::now();
    loop {
        let _ = jobs::recover_lost_runs(&app.ctx, Duration::ZERO).await;
        let runs = all_runs(&app).await;
        if runs.iter().all(|r| sync_runs::is_finished(r.status)) {
            break;
        }
        assert!(
            waiting.elapsed() < Duration::from_secs(45),
            "runs left unfinished: {:?}",
            runs.iter().map(|r| (r.id, r.kind, r.status, r.attempts)).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    let mut requeued = 0;
    for (id, first_job) in queued.iter().zip(&first_jobs) {
        let r = run(&app, *id).await;
        assert_eq!(
            (r.status, r.attempts, r.error_message.as_deref()),
            (SyncRunStatus::Completed, 1, None),
            "run {id} completed exactly once: {r:?}"
        );
        if r.job_id.as_deref() != Some(first_job.as_str()) {
            requeued += 1;
            // A late delivery of the lost job finds the run is not its own and changes nothing.
            jobs::execute(&app.ctx, *id, first_job).await.expect("a stale delivery is harmless");
            let again = run(&app, *id).await;
            assert_eq!((again.status, again.attempts), (SyncRunStatus::Completed, 1));
        }
    }
    for id in &running_at_kill {
        let i = queued.iter().position(|q| q == id).expect("a queued run");
        let r = run(&app, *id).await;
        assert_eq!(
            r.job_id.as_deref(),
            Some(first_jobs[i].as_str()),
            "run {id}, running when Redis went, finished under its own job (not re-queued)"
        );
    }
    assert!(requeued >= 1, "some runs' jobs were lost (in Redis, or held by the worker that stopped) and re-queued");
    // Pushes the link runs asked for while Redis was down were refused (FAILED, not stuck); none ran twice.
    for r in all_runs(&app).await {
        assert!(r.attempts <= 1, "no run executed twice: {r:?}");
    }
    let links = app
        .gql("query($c: ID!) { all: productLinks(channelId: $c) { totalCount } synced: productLinks(channelId: $c, view: SYNCED) { totalCount } }", json!({ "c": channel }))
        .await;
    assert_eq!(
        (links["all"]["totalCount"].as_u64(), links["synced"]["totalCount"].as_u64()),
        (Some(PRODUCTS as u64), Some(PRODUCTS as u64)),
        "one link per listing: {links}"
    );

    // Ready again.
    let ready = app.client.get(format!("{}/readyz", app.address)).send().await.expect("readyz answers");
    assert_eq!(ready.status().as_u16(), 200);
    app.cleanup().await;
}

/// Moves a run's `updated_at` back, as if it had waited (CREATED) or its execution had stopped renewing its lease
/// (RUNNING) that long.
async fn age_run(app: &TestApp, id: i64, by: Duration) {
    use sea_orm::sea_query::Expr;
    let at = chrono::Utc::now() - chrono::Duration::from_std(by).expect("a duration");
    sync_run::Entity::update_many()
        .col_expr(sync_run::Column::UpdatedAt, Expr::value(at))
        .filter(sync_run::Column::Id.eq(id))
        .exec(&app.ctx.db)
        .await
        .expect("aged");
}

/// The scheduler's tick re-queues a run whose job the queue lost once it has waited `RECOVERY_GRACE`, not
/// before (its job may be being pushed right now). A RUNNING run whose execution lives holds a fresh lease and is
/// never re-queued, even with no grace, and a re-delivery of its job waits for that execution instead of starting
/// a second one. Once the lease expired the run is re-queued, and the old execution can neither renew it nor
/// overwrite the new execution's outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tick_requeues_lost_jobs_after_a_grace_and_never_doubles_a_live_execution() {
    let Some(app) = spawn_app_with(Backend::Sqlite, Options::default()).await else { return };
    let db = &app.ctx.db;
    let new_job = || ulid::Ulid::generate().to_string();
    let global = |id: i64| omnisync::graphql::relay::global_id("SyncRun", id).to_string();

    // A CREATED run whose job never reached the queue: left alone for the grace, then re-queued and run once.
    let lost_job = new_job();
    let lost = sync_runs::create(db, SyncRunKind::ProductTotals, None, None, &lost_job).await.expect("run");
    assert_eq!(jobs::scheduler::tick(&app.ctx).await.expect("tick"), 0, "too recent to be called lost");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let waiting = run(&app, lost.id).await;
    assert_eq!((waiting.status, waiting.job_id.as_deref()), (SyncRunStatus::Created, Some(lost_job.as_str())));
    age_run(&app, lost.id, jobs::RECOVERY_GRACE + Duration::from_secs(1)).await;
    assert_eq!(jobs::scheduler::tick(&app.ctx).await.expect("tick"), 1, "re-queued by the tick");
    let done = app.wait_for_run(&global(lost.id)).await;
    assert_eq!((done["status"].as_str(), done["attempts"].as_i64()), (Some("COMPLETED"), Some(1)), "{done}");
    assert_ne!(run(&app, lost.id).await.job_id.as_deref(), Some(lost_job.as_str()), "under a new job id");

    // A RUNNING run whose execution lives (it just claimed the run) while the queue lost its job.
    let live_job = new_job();
    let live = sync_runs::create(db, SyncRunKind::ProductTotals, None, None, &live_job).await.expect("run");
    assert!(matches!(sync_runs::claim(db, live.id, &live_job).await.expect("claim"), sync_runs::Claim::Taken(_)));
    assert_eq!(
        jobs::recover_lost_runs(&app.ctx, Duration::ZERO).await.expect("recovery"),
        0,
        "a live lease is never re-queued"
    );
    // The queue delivers the same job again (its worker was thought dead): the delivery waits, runs nothing.
    let ctx = app.ctx.clone();
    let job = live_job.clone();
    let redelivery = tokio::spawn(async move { jobs::execute(&ctx, live.id, &job).await });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!redelivery.is_finished(), "the re-delivery waits for the live execution");
    assert_eq!(run(&app, live.id).await.attempts, 1, "not started a second time");
    assert!(
        sync_runs::finish(db, live.id, &live_job, SyncRunStatus::Completed, None).await.expect("finish"),
        "the live execution finishes"
    );
    tokio::time::timeout(Duration::from_secs(5), redelivery)
        .await
        .expect("the re-delivery ends")
        .expect("joined")
        .expect("harmless");
    let after = run(&app, live.id).await;
    assert_eq!((after.status, after.attempts), (SyncRunStatus::Completed, 1));

    // A RUNNING run whose execution stopped renewing its lease long ago (stalled or gone): re-queued.
    let stalled_job = new_job();
    let stalled = sync_runs::create(db, SyncRunKind::ProductTotals, None, None, &stalled_job).await.expect("run");
    assert!(matches!(sync_runs::claim(db, stalled.id, &stalled_job).await.expect("claim"), sync_runs::Claim::Taken(_)));
    age_run(&app, stalled.id, sync_runs::LEASE_STALE_AFTER + Duration::from_secs(1)).await;
    assert_eq!(jobs::recover_lost_runs(&app.ctx, Duration::ZERO).await.expect("recovery"), 1);
    let done = app.wait_for_run(&global(stalled.id)).await;
    assert_eq!(
        (done["status"].as_str(), done["attempts"].as_i64(), done["errorMessage"].as_str()),
        (Some("COMPLETED"), Some(2), None),
        "{done}"
    );
    // The stalled execution wakes up: it has lost the run.
    assert!(!sync_runs::renew_lease(db, stalled.id, &stalled_job).await.expect("renew"), "its lease is gone");
    assert!(
        !sync_runs::finish(db, stalled.id, &stalled_job, SyncRunStatus::Failed, Some("late".into()))
            .await
            .expect("finish"),
        "its outcome is dropped"
    );
    let kept = run(&app, stalled.id).await;
    assert_eq!(
        (kept.status, kept.error_message),
        (SyncRunStatus::Completed, None),
        "the new execution's outcome stands"
    );
    app.cleanup().await;
}

/// How a request ended, for the PostgreSQL drop test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Succeeded,
    /// 200 with GraphQL `errors` (or `userErrors`).
    CleanError,
    /// A 5xx with a JSON body.
    ServerError,
}

/// How a request ended: `Err` for anything but a clean answer (a hang past the client's 10 s, a dropped
/// connection, a body that is not JSON, a 4xx — a failed token check answered as "unauthorized" counts too).
async fn classify(sent: reqwest::Result<reqwest::Response>, payload: &str) -> Result<Outcome, String> {
    let response = sent.map_err(|e| format!("no answer: {e}"))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| format!("{status}: body cut: {e}"))?;
    let body: Value = serde_json::from_str(&text).map_err(|_| format!("{status}: not JSON: {text}"))?;
    if status.is_server_error() {
        return Ok(Outcome::ServerError);
    }
    if !status.is_success() {
        return Err(format!("{status}: {body}"));
    }
    match body.get("errors") {
        Some(errors)
            if errors.as_array().is_some_and(|e| !e.is_empty() && e.iter().all(|e| e["message"].is_string())) =>
        {
            Ok(Outcome::CleanError)
        }
        Some(errors) => Err(format!("malformed errors: {errors}")),
        None if body["data"][payload]["userErrors"].as_array().is_some_and(|e| !e.is_empty()) => {
            Ok(Outcome::CleanError)
        }
        None if body["data"].is_object() => Ok(Outcome::Succeeded),
        None => Err(format!("no data: {body}")),
    }
}

const ADJUST: &str = "mutation($v: ID!, $w: ID!, $d: Int!) { inventoryAdjustQuantities(input: { reason: RECEIVED, changes: [{ variantId: $v, warehouseId: $w, delta: $d }] }) { changes { level { onHand } } userErrors { code message } } }";

/// PostgreSQL terminates every connection of the hub's database, three times, while adjustments and reads run.
/// Each request succeeds or fails cleanly and in time; the pool reconnects within seconds; a write made after
/// that is stored; and stock stays exact: every adjustment is in whole or not at all, the ledger sums to the level.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_dropping_every_connection_mid_requests_fails_cleanly_and_keeps_stock_exact() {
    let Some(app) = spawn_app_with(Backend::PostgresRedis, Options::default()).await else { return };
    let database = app
        .settings
        .database_url
        .rsplit('/')
        .next()
        .and_then(|tail| tail.split('?').next())
        .expect("a database name")
        .to_owned();
    let admin = Database::connect(postgres_admin_url()).await.expect("an admin connection");
    let terminate = format!(
        "SELECT count(*) AS n FROM (SELECT pg_terminate_backend(pid) AS gone FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid()) t WHERE gone"
    );

    let warehouse = app.default_warehouse_id().await;
    let product = app.create_product("Nồi cơm", json!([{ "sku": "NC-1", "price": "500000" }])).await;
    let variant = product["variants"][0]["id"].clone();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for _ in 0..4 {
        let (client, stop, address, token) = (client.clone(), stop.clone(), app.address.clone(), app.token.clone());
        let (variant, warehouse) = (variant.clone(), warehouse.clone());
        let view = TestAppView { address, token };
        load.push(tokio::spawn(async move {
            let mut outcomes: Vec<(&'static str, Result<Outcome, String>)> = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let adjusted = view.attempt(&client, ADJUST, json!({ "v": variant, "w": warehouse, "d": 1 }), "inventoryAdjustQuantities").await;
                outcomes.push(("adjust", adjusted));
                let read = view.attempt(&client, "query($v: ID!) { productVariant(id: $v) { sku inventoryLevels { onHand } } syncRuns(first: 5) { totalCount } }", json!({ "v": variant }), "productVariant").await;
                outcomes.push(("read", read));
            }
            outcomes
        }));
    }
    let mut terminated = 0;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let row = admin
            .query_one_raw(sea_orm::Statement::from_string(admin.get_database_backend(), terminate.clone()))
            .await
            .expect("terminate")
            .expect("a row");
        terminated += row.try_get::<i64>("", "n").expect("a count");
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut outcomes = Vec::new();
    for task in load {
        outcomes
            .extend(tokio::time::timeout(Duration::from_secs(30), task).await.expect("the load ends").expect("joined"));
    }
    assert!(terminated >= 3, "the hub's connections were terminated ({terminated})");
    let unclean: Vec<_> = outcomes.iter().filter(|(_, o)| o.is_err()).collect();
    assert!(
        unclean.is_empty(),
        "requests that did not end cleanly (a 401: the token check met a dropped connection and called a valid token \
         unknown — graphql::principal_of must answer a database error with a 5xx): {unclean:?}"
    );
    let count = |kind: &str, outcome: Outcome| outcomes.iter().filter(|(k, o)| *k == kind && *o == Ok(outcome)).count();
    let (adjusted, attempted) =
        (count("adjust", Outcome::Succeeded), outcomes.iter().filter(|(k, _)| *k == "adjust").count());
    println!(
        "{attempted} adjustments: {adjusted} succeeded, {} GraphQL errors, {} 5xx; reads: {} succeeded, {} failed cleanly",
        count("adjust", Outcome::CleanError),
        count("adjust", Outcome::ServerError),
        count("read", Outcome::Succeeded),
        count("read", Outcome::CleanError) + count("read", Outcome::ServerError),
    );
    assert!(adjusted > 0, "adjustments went through between the drops");

    // Once more, then requests must succeed again within a few seconds: the pool reconnects by itself.
    admin.execute_unprepared(&terminate).await.expect("terminate");
    let dropped_at = Instant::now();
    let view = TestAppView { address: app.address.clone(), token: app.token.clone() };
    loop {
        if view.attempt(&client, "{ warehouses(first: 1) { totalCount } }", json!({}), "warehouses").await
            == Ok(Outcome::Succeeded)
        {
            break;
        }
        assert!(dropped_at.elapsed() < Duration::from_secs(5), "requests did not succeed again within 5 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("requests succeeded again {:?} after the last drop", dropped_at.elapsed());
    let write = view
        .attempt(&client, ADJUST, json!({ "v": variant, "w": warehouse, "d": 1000 }), "inventoryAdjustQuantities")
        .await;
    assert_eq!(write, Ok(Outcome::Succeeded), "a write after recovery succeeds");

    // Read through a connection of our own: what is stored, not what the hub's pool says.
    let own = Database::connect(app.settings.database_url.as_str()).await.expect("a fresh connection");
    let variant_id = omnisync::graphql::relay::decode_id(
        "ProductVariant",
        &async_graphql::ID(variant.as_str().expect("id").to_owned()),
    )
    .expect("variant id");
    let warehouse_id =
        omnisync::graphql::relay::decode_id("Warehouse", &async_graphql::ID(warehouse.clone())).expect("warehouse id");
    let level = entity::inventory_level::Entity::find()
        .filter(entity::inventory_level::Column::VariantId.eq(variant_id))
        .filter(entity::inventory_level::Column::WarehouseId.eq(warehouse_id))
        .one(&own)
        .await
        .expect("read level")
        .expect("a level");
    let mut ledger = entity::inventory_ledger::Entity::find()
        .filter(entity::inventory_ledger::Column::VariantId.eq(variant_id))
        .filter(entity::inventory_ledger::Column::WarehouseId.eq(warehouse_id))
        .all(&own)
        .await
        .expect("read ledger");
    ledger.sort_by_key(|row| row.id);
    let mut running = 0;
    for row in &ledger {
        running += row.on_hand_delta;
        assert_eq!(row.on_hand_after, running, "each ledger row follows the one before: {row:?}");
    }
    assert_eq!(running, level.on_hand, "the ledger sums to the level");
    assert_eq!(ledger.last().map(|row| row.on_hand_delta), Some(1000), "the write after recovery is stored, last");
    let applied = level.on_hand - 1000;
    assert_eq!(ledger.len() as i64 - 1, applied, "one ledger row per applied adjustment");
    assert!(
        (adjusted as i64..=attempted as i64).contains(&applied),
        "every adjustment that succeeded is applied, and nothing else but ones whose answer was lost: {applied} applied, {adjusted} succeeded of {attempted}"
    );
    let _ = own.close().await;
    let _ = admin.close().await;
    app.cleanup().await;
}

/// What a load task needs of the app (the app itself stays with the test).
struct TestAppView {
    address: String,
    token: String,
}

impl TestAppView {
    async fn attempt(
        &self,
        client: &reqwest::Client,
        query: &str,
        variables: Value,
        payload: &str,
    ) -> Result<Outcome, String> {
        let sent = client
            .post(format!("{}/graphql", self.address))
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await;
        classify(sent, payload).await
    }
}
