//! A push run that found nothing due keeps its channel a moment (`push_linger_ms`): the next change goes out with
//! it, without a run queued, claimed and started for it; and it gives its worker up as soon as another run waits.

use std::time::{Duration, Instant};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use entity::enums::{SyncRunKind, SyncRunStatus};
use entity::sync_run;
use omnisync::channels::ChannelKind;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::orders::{Shop, connect, linked_variant};

const SKU: &str = "SKU-0001-1";

fn channel_quantity(shop: &Shop) -> i64 {
    shop.sim.state.store().sku_by_seller_sku(SKU).map(|(_, s)| s.quantity).expect("the SKU on the marketplace")
}

/// Waits (bounded) until the marketplace shows `quantity`; how long it took.
async fn until_channel_shows(shop: &Shop, quantity: i64, limit: Duration) -> Duration {
    let started = Instant::now();
    while channel_quantity(shop) != quantity {
        assert!(
            started.elapsed() < limit,
            "the channel shows {} after {limit:?}, not {quantity}",
            channel_quantity(shop)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}

async fn push_runs(app: &TestApp, shop: &Shop) -> Vec<sync_run::Model> {
    sync_run::Entity::find()
        .filter(sync_run::Column::Kind.eq(SyncRunKind::StockPush))
        .filter(sync_run::Column::ChannelId.eq(shop.channel_id))
        .order_by_asc(sync_run::Column::Id)
        .all(&app.ctx.db)
        .await
        .expect("runs")
}

/// Waits (bounded) until no push run of the shop is waiting or running; returns the runs.
async fn push_runs_finished(app: &TestApp, shop: &Shop, limit: Duration) -> Vec<sync_run::Model> {
    let started = Instant::now();
    loop {
        let runs = push_runs(app, shop).await;
        if runs.iter().all(|r| ![SyncRunStatus::Created, SyncRunStatus::Running].contains(&r.status)) {
            return runs;
        }
        assert!(started.elapsed() < limit, "push runs still going after {limit:?}: {runs:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const LINGER: Duration = Duration::from_millis(3000);

async fn a_change_while_the_run_lingers_goes_with_it(app: &TestApp) {
    let shop = connect(app, ChannelKind::Lazada, json!({})).await;
    let variant = linked_variant(app, &shop, SKU, 5).await;
    until_channel_shows(&shop, 5, Duration::from_secs(10)).await;
    let runs = push_runs(app, &shop).await;
    let pushing = runs.last().expect("the push of the new link").clone();
    assert_eq!(pushing.status, SyncRunStatus::Running, "the run lingers after its push: {runs:?}");

    app.adjust_stock(&variant, "RECEIVED", 2).await;
    let took = until_channel_shows(&shop, 7, Duration::from_secs(2)).await;
    let after = push_runs(app, &shop).await;
    assert_eq!(after.len(), runs.len(), "no run was queued for the change (the lingering run held the channel)");
    assert!(took < LINGER, "pushed while the run lingered, in {took:?}");

    // Nothing more comes: the run ends once the linger is over, having pushed both changes.
    let finished = push_runs_finished(app, &shop, LINGER * 3).await;
    let run = finished.iter().find(|r| r.id == pushing.id).expect("the run");
    assert_eq!(run.status, SyncRunStatus::Completed, "{run:?}");
    assert_eq!((run.processed, run.succeeded), (2, 2), "the run pushed the link, then the change: {run:?}");
    assert_eq!(finished.len(), runs.len(), "still no other run: {finished:?}");
}

on_both_backends!(
    push_linger_takes_the_next_change,
    a_change_while_the_run_lingers_goes_with_it,
    options: crate::helpers::Options::default(),
    settings: |s| s.push_linger_ms = super::LINGER.as_millis() as u64
);

async fn a_lingering_run_gives_its_worker_to_a_waiting_run(app: &TestApp) {
    let shop = connect(app, ChannelKind::Lazada, json!({})).await;
    linked_variant(app, &shop, SKU, 5).await;
    until_channel_shows(&shop, 5, Duration::from_secs(10)).await;
    let pushing = push_runs(app, &shop).await.last().expect("the push").clone();
    assert_eq!(pushing.status, SyncRunStatus::Running, "the run lingers, on the only worker");

    // A listings pull queued now waits for that worker: the lingering run ends, long before its time is up.
    let started = Instant::now();
    let pull = app
        .gql(
            "mutation($c: ID!) { channelListingsPull(channelId: $c) { syncRun { id } userErrors { code message } } }",
            json!({ "c": shop.channel }),
        )
        .await;
    let pull = app.wait_for_run(pull["channelListingsPull"]["syncRun"]["id"].as_str().expect("a pull run")).await;
    assert_eq!(pull["status"], "COMPLETED", "{pull}");
    let took = started.elapsed();
    assert!(took < LINGER / 2, "the pull waited {took:?} for the worker (the run lingers up to {LINGER:?})");
    let push = omnisync::services::sync_runs::get(&app.ctx.db, pushing.id).await.expect("read").expect("the run");
    assert_eq!(push.status, SyncRunStatus::Completed, "the lingering run ended for the pull: {push:?}");
}

on_both_backends!(
    push_linger_yields_the_worker,
    a_lingering_run_gives_its_worker_to_a_waiting_run,
    options: crate::helpers::Options::default(),
    settings: |s| {
        s.worker_concurrency = 1;
        s.push_linger_ms = super::LINGER.as_millis() as u64 * 2;
    }
);
