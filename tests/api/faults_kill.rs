//! Stopping a worker process (the real binary, PostgreSQL + Redis) in the middle of its work loses nothing and
//! doubles nothing, whether it is killed (SIGKILL) or told to stop (SIGTERM, a graceful shutdown): a stock push
//! round cut mid-send still ends with every SKU on the marketplace equal to the hub and every push recorded once;
//! an order import cut mid-way still ends with every order in the hub once and every reservation made once. Told
//! to stop, the worker exits 0 within its grace, having finished the round it was sending (nothing sent twice) and
//! handed its import back to the queue.

use std::collections::HashMap;
use std::process::Child;
use std::time::{Duration, Instant};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use serde_json::{Value, json};

use entity::enums::{LedgerReason, SyncRunKind, SyncRunStatus};
use entity::{order, product_link, stock_push, sync_run};
use omnisync::channels::ChannelKind;
use omnisync::sim::{FaultRates, SimHandle};

use crate::cluster::{ApiProcess, Processes, api_process, free_port, gql, ready, spawn};
use crate::helpers::{Backend, fresh_settings, start_sim};

/// How the test stops the worker in the middle of its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// SIGKILL: the process dies at once.
    Kill,
    /// SIGTERM: a graceful shutdown within `GRACE_SECS`.
    Terminate,
}

/// The grace the stopped worker is given (`OMNISYNC_SHUTDOWN_GRACE`).
const GRACE_SECS: u64 = 20;

/// Stops the worker `child` as `how` says and waits for it to exit; returns its exit status and how long it took.
async fn stop_worker(child: &mut Child, how: Stop) -> (std::process::ExitStatus, Duration) {
    let limit = Duration::from_secs(GRACE_SECS + 15);
    match how {
        Stop::Kill => child.kill().expect("SIGKILL"),
        Stop::Terminate => crate::cluster::terminate(child),
    }
    crate::cluster::exited(child, limit).await
}

/// A worker process given `GRACE_SECS` to stop.
fn worker(settings: &omnisync::config::Settings) -> Child {
    worker_with(settings, &[])
}

/// `worker` with more environment variables.
fn worker_with(settings: &omnisync::config::Settings, env: &[(&str, &str)]) -> Child {
    let grace = GRACE_SECS.to_string();
    let env: Vec<(&str, &str)> =
        [("OMNISYNC_SHUTDOWN_GRACE", grace.as_str())].into_iter().chain(env.iter().copied()).collect();
    crate::cluster::spawn_with(settings, &["worker"], &env)
}

/// Asserts how a stopped worker exited: killed, or of its own accord with 0 within the grace.
fn assert_exit(how: Stop, status: std::process::ExitStatus, took: Duration) {
    match how {
        Stop::Kill => assert!(!status.success(), "killed: {status:?}"),
        Stop::Terminate => {
            assert!(status.success(), "a graceful stop exits 0: {status:?}");
            assert!(took < Duration::from_secs(GRACE_SECS), "stopped within the grace: {took:?}");
        }
    }
}

const CONNECT: &str = "mutation($input: ChannelConnectInput!) { channelConnect(input: $input) { channel { id } userErrors { message } } }";
const RUN: &str = "query($id: ID!) { syncRun(id: $id) { status attempts errorMessage } }";

/// Connects a Lazada channel to `sim` through the API; returns (global id, row id).
async fn connect(client: &reqwest::Client, api: &str, token: &str, sim: &SimHandle) -> (Value, i64) {
    let c = &sim.state.credentials;
    let data = gql(
        client,
        api,
        token,
        CONNECT,
        json!({ "input": { "kind": "LAZADA", "name": "Lazada", "country": "VN", "baseUrl": sim.base_url,
            "credentials": { "appKey": c.app_key, "appSecret": c.app_secret, "accessToken": c.access_token, "refreshToken": c.refresh_token } } }),
    )
    .await;
    assert_eq!(data["channelConnect"]["userErrors"], json!([]), "{data}");
    let id = data["channelConnect"]["channel"]["id"].clone();
    let raw =
        omnisync::graphql::relay::decode_id("Channel", &async_graphql::ID(id.as_str().expect("an id").to_owned()))
            .expect("a channel id");
    (id, raw)
}

/// Links every hub product to the channel's listings and waits (bounded) for the run to complete.
async fn link_all(client: &reqwest::Client, api: &str, token: &str, channel: &Value) {
    let run = gql(
        client,
        api,
        token,
        "mutation($c: ID!) { productLinksCreate(input: { channelId: $c, filter: {} }) { syncRun { id } } }",
        json!({ "c": channel }),
    )
    .await["productLinksCreate"]["syncRun"]["id"]
        .clone();
    for _ in 0..600 {
        let state = gql(client, api, token, RUN, json!({ "id": run })).await;
        match state["syncRun"]["status"].as_str() {
            Some("COMPLETED") => return,
            Some("FAILED") => panic!("linking failed: {state}"),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("linking did not complete in 60 s");
}

async fn runs_of(db: &DatabaseConnection, kinds: &[SyncRunKind]) -> Vec<sync_run::Model> {
    sync_run::Entity::find().filter(sync_run::Column::Kind.is_in(kinds.to_vec())).all(db).await.expect("runs")
}

fn active(runs: &[sync_run::Model]) -> usize {
    runs.iter().filter(|r| matches!(r.status, SyncRunStatus::Created | SyncRunStatus::Running)).count()
}

async fn pending_links(db: &DatabaseConnection) -> u64 {
    product_link::Entity::find().filter(product_link::Column::PushPending.eq(true)).count(db).await.expect("count")
}

/// Waits (bounded) until no link is push-pending and no push run is waiting or running.
async fn pushes_settled(db: &DatabaseConnection, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if pending_links(db).await == 0 && active(&runs_of(db, &[SyncRunKind::StockPush]).await) == 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// A STOCK_PUSH run's worker is SIGKILLed after its first round was recorded and while the next is being sent
/// (the simulator answers slowly). A new worker finishes the work: the marketplace ends equal to the hub.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stock_push_round_survives_its_worker_being_killed() {
    stock_push_round_survives(Stop::Kill).await;
}

/// The same, with SIGTERM: the worker finishes the round it is sending, hands the rest to a new run and exits 0;
/// the new run sends the rest, and no SKU is sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stock_push_round_is_finished_when_its_worker_is_told_to_stop() {
    stock_push_round_survives(Stop::Terminate).await;
}

async fn stock_push_round_survives(how: Stop) {
    let Some((settings, _cleanup)) = fresh_settings(Backend::PostgresRedis).await else { return };
    omnisync::startup::install_tls_provider();
    // Migrates once before the processes start; the test's own context never runs workers.
    let ctx = omnisync::startup::build_context(settings.clone()).await.expect("context");
    let db = &ctx.db;
    let (_, token) =
        omnisync::services::api_tokens::create(db, "kill test", entity::enums::TokenScope::Admin).await.expect("token");
    let port = free_port();
    let mut processes =
        Processes(vec![spawn(&settings, &["serve", "--no-worker", "--bind", &format!("127.0.0.1:{port}")])]);
    let api = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    ready(&client, &api).await;

    const SKUS: usize = 1500;
    let sim = start_sim(ChannelKind::Lazada, 0);
    omnisync::sim::fixtures::seed_sim(&sim, SKUS, "K-");
    let variants = omnisync::sim::fixtures::seed_hub(db, SKUS, "K-").await.expect("hub catalog");
    let (channel, channel_id) = connect(&client, &api, &token, &sim).await;
    processes.0.push(worker(&settings));
    link_all(&client, &api, &token, &channel).await;
    // Linking pushes every new link once (quantity 0); that must be over before the measured change.
    assert!(pushes_settled(db, Duration::from_secs(60)).await, "the first push did not settle");
    assert_eq!(product_link::Entity::find().count(db).await.expect("count"), SKUS as u64);
    let baseline = stock_push::Entity::find()
        .select_only()
        .column_as(stock_push::Column::Id.max(), "m")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await
        .expect("max");
    let baseline = baseline.flatten().unwrap_or(0);

    // ~300 ms per marketplace call: a round of 500 links (10 calls of 50) takes ~3 s.
    sim.state.set_fault_rates(FaultRates { timeout: 1.0, timeout_ms: 300, ..Default::default() });
    let warehouse = omnisync::services::catalog::default_warehouse(db).await.expect("default warehouse").id;
    let changes: Vec<_> = variants
        .iter()
        .enumerate()
        .map(|(i, v)| omnisync::services::inventory::AdjustChange {
            variant_id: *v,
            warehouse_id: warehouse,
            delta: (i % 7) as i64 + 1,
        })
        .collect();
    for chunk in changes.chunks(250) {
        omnisync::services::inventory::adjust(
            db,
            &crate::helpers::tests_actor(),
            LedgerReason::Received,
            None,
            chunk.to_vec(),
        )
        .await
        .expect("adjusted")
        .into_parts();
    }
    assert_eq!(pending_links(db).await, SKUS as u64, "every link marked");
    assert_eq!(omnisync::jobs::stock_push::kick(&ctx).await, 1, "one push run queued");
    // The newest push run (the worker may have claimed it already).
    let run_id = runs_of(db, &[SyncRunKind::StockPush]).await.iter().map(|r| r.id).max().expect("the queued run");

    // Kill once the run has recorded pushes and has links left to push.
    let pushed_since = |db: &DatabaseConnection| {
        let db = db.clone();
        async move {
            stock_push::Entity::find()
                .filter(stock_push::Column::Id.gt(baseline))
                .filter(stock_push::Column::Ok.eq(true))
                .count(&db)
                .await
                .expect("count")
        }
    };
    let started = Instant::now();
    let (mut pushed, mut pending) = (0, 0);
    while started.elapsed() < Duration::from_secs(30) {
        let run = sync_run::Entity::find_by_id(run_id).one(db).await.expect("db").expect("run");
        pushed = pushed_since(db).await;
        pending = pending_links(db).await;
        if run.status == SyncRunStatus::Running && pushed > 0 && pending > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(pushed > 0 && pending > 0, "caught mid-run: {pushed} pushed, {pending} pending");
    // Into the next round's send (one call is ~300 ms), not between two rounds.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (status, took) = stop_worker(&mut processes.0[1], how).await;
    assert_exit(how, status, took);
    let stopped = sync_run::Entity::find_by_id(run_id).one(db).await.expect("db").expect("run");
    match how {
        Stop::Kill => assert_eq!(stopped.status, SyncRunStatus::Running, "killed mid-run"),
        // The round in flight was finished and recorded; the rest went to a new run.
        Stop::Terminate => assert_eq!(stopped.status, SyncRunStatus::Completed, "handed over: {stopped:?}"),
    }
    let pushed_at_stop = pushed_since(db).await;
    // Killed, the round in flight is never recorded; stopped gracefully, it is (and may have been the last one).
    if how == Stop::Kill {
        assert!((pushed_at_stop as usize) < SKUS, "killed before the last round was recorded: {pushed_at_stop}");
    }
    sim.state.set_fault_rates(FaultRates::default());

    // With its scheduler, as deployed: a push answered after the hub's timeout leaves its links due only once the
    // late request can no longer land (seconds later), and only a tick queues a run for them then.
    processes.0.push(worker_with(&settings, &[("OMNISYNC_SCHEDULER_INTERVAL", "1")]));
    let started = Instant::now();
    loop {
        let runs = runs_of(db, &[SyncRunKind::StockPush]).await;
        if pending_links(db).await == 0 && active(&runs) == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "pushes did not finish after the kill: {} pending, runs {runs:?}",
            pending_links(db).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The marketplace holds the hub's number for every SKU, and the hub knows it.
    let channel_row = entity::channel::Entity::find_by_id(channel_id).one(db).await.expect("db").expect("channel");
    let mismatches = omnisync::sim::fixtures::mismatches(&ctx, &channel_row, &sim).await.expect("compared");
    assert!(
        mismatches.is_empty(),
        "{} SKUs differ from the hub after the kill, e.g. {:?}",
        mismatches.len(),
        &mismatches[..mismatches.len().min(5)]
    );
    let on_sim: HashMap<String, i64> = sim
        .state
        .store()
        .products
        .iter()
        .flat_map(|p| p.skus.iter().map(|s| (s.seller_sku.clone(), s.quantity)))
        .collect();
    let links =
        product_link::Entity::find().find_also_related(entity::channel_listing::Entity).all(db).await.expect("links");
    let stale: Vec<_> = links
        .iter()
        .filter_map(|(link, listing)| {
            let sku = listing.as_ref().and_then(|l| l.seller_sku.clone()).unwrap_or_default();
            let held = on_sim.get(&sku).copied();
            (held != link.last_pushed_quantity).then_some((sku, link.last_pushed_quantity, held))
        })
        .collect();
    assert!(
        stale.is_empty(),
        "{} links do not know what the channel holds, e.g. {:?}",
        stale.len(),
        &stale[..stale.len().min(5)]
    );

    // Every link's new value recorded as accepted exactly once: the killed round recorded nothing, so whatever
    // it had sent was pushed (and recorded) again by the run's second attempt.
    let accepted: Vec<Option<i64>> = stock_push::Entity::find()
        .select_only()
        .column(stock_push::Column::ProductLinkId)
        .filter(stock_push::Column::Id.gt(baseline))
        .filter(stock_push::Column::Ok.eq(true))
        .into_tuple()
        .all(db)
        .await
        .expect("pushes");
    let mut per_link: HashMap<i64, usize> = HashMap::new();
    for id in accepted.iter().flatten() {
        *per_link.entry(*id).or_default() += 1;
    }
    assert_eq!(per_link.len(), SKUS, "every link pushed after the change");
    // Killed mid-send, the calls of the unrecorded round may be sent again; stopped gracefully, nothing is.
    let resent = if how == Stop::Kill { omnisync::channels::lazada::PRICE_QUANTITY_BATCH } else { 0 };
    assert!(accepted.len() <= SKUS + resent, "pushed twice beyond {resent}: {} accepted", accepted.len());
    assert!(
        per_link.values().all(|n| *n == 1),
        "a link recorded twice: {:?}",
        per_link.iter().filter(|(_, n)| **n > 1).take(5).collect::<Vec<_>>()
    );

    // The killed run's job goes back to the queue when its worker misses its heartbeats; the same run finishes.
    // The run stopped gracefully finished where it was (its successor run did the rest).
    let runs = runs_of(db, &[SyncRunKind::StockPush]).await;
    let stopped = runs.iter().find(|r| r.id == run_id).expect("the stopped run");
    assert_eq!(stopped.status, SyncRunStatus::Completed, "{stopped:?}");
    let attempts = if how == Stop::Kill { 2 } else { 1 };
    assert_eq!(stopped.attempts, attempts, "{how:?}: {stopped:?}");
    assert!(runs.iter().all(|r| r.status == SyncRunStatus::Completed), "{runs:?}");
}

/// An order import (ORDER_FETCH runs fed by the marketplace's pushes) is SIGKILLed with its worker part-way
/// through 400 orders. A new worker and a poll bring every order in once, each reserved once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_import_survives_its_worker_being_killed() {
    order_import_survives(Stop::Kill).await;
}

/// The same, with SIGTERM: the worker ends its import between two batches, hands the run back to the queue and
/// exits 0; a new worker resumes the same run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_import_is_handed_back_when_its_worker_is_told_to_stop() {
    order_import_survives(Stop::Terminate).await;
}

async fn order_import_survives(how: Stop) {
    let Some(ApiProcess { settings, _cleanup, db, token, mut processes, api, client }) = api_process().await else {
        return;
    };

    let sim = start_sim(ChannelKind::Lazada, 10);
    let skus: Vec<String> =
        sim.state.store().products.iter().flat_map(|p| p.skus.iter().map(|s| s.seller_sku.clone())).collect();
    let mut variant_ids = Vec::new();
    for sku in &skus {
        let created = gql(
            &client,
            &api,
            &token,
            "mutation($input: ProductCreateInput!) { productCreate(input: $input) { product { variants { id } } userErrors { message } } }",
            json!({ "input": { "title": format!("Hub {sku}"), "variants": [{ "sku": sku, "barcode": sku, "price": "1000" }] } }),
        )
        .await;
        assert_eq!(created["productCreate"]["userErrors"], json!([]), "{created}");
        let id = created["productCreate"]["product"]["variants"][0]["id"].as_str().expect("variant id").to_owned();
        variant_ids
            .push(omnisync::graphql::relay::decode_id("ProductVariant", &async_graphql::ID(id)).expect("a variant id"));
    }
    let warehouse = omnisync::services::catalog::default_warehouse(&db).await.expect("default warehouse").id;
    let stock = variant_ids
        .iter()
        .map(|v| omnisync::services::inventory::AdjustChange {
            variant_id: *v,
            warehouse_id: warehouse,
            delta: 100_000,
        })
        .collect();
    omnisync::services::inventory::adjust(&db, &crate::helpers::tests_actor(), LedgerReason::Received, None, stock)
        .await
        .expect("stocked")
        .into_parts();
    let (channel, channel_id) = connect(&client, &api, &token, &sim).await;
    processes.0.push(worker(&settings));
    link_all(&client, &api, &token, &channel).await;
    sim.state.set_webhook_url(Some(format!("{api}/webhooks/{channel_id}")));

    // ~400 ms per marketplace call of up to 100 orders' details. An import drains what has arrived in batches of
    // 100, and a graceful stop lets the batch after the one just applied through when its fetch is already under
    // way: 400 orders leave at least one batch for the next worker wherever the stop falls (with 200, a run
    // holding every order in two batches applied both).
    sim.state.set_fault_rates(FaultRates { timeout: 1.0, timeout_ms: 400, ..Default::default() });
    const ORDERS: usize = 400;
    let mut placed = HashMap::new();
    for i in 0..ORDERS {
        let lines: Vec<(String, i64)> =
            (0..i % 3 + 1).map(|j| (skus[(i * 7 + j * 3) % skus.len()].clone(), ((i + j) % 3) as i64 + 1)).collect();
        let created = sim.state.create_order(&lines, None).await.expect("order placed");
        placed.insert(created.id.to_string(), lines.iter().map(|(_, q)| q).sum::<i64>());
    }
    let ordered_units: i64 = placed.values().sum();

    // Stop once some orders are in and an import is running, with most of it still to do (a graceful stop finishes
    // the batch in flight, so a stop near the end would leave nothing to hand back).
    let started = Instant::now();
    let (mut imported, mut running) = (0, 0);
    while started.elapsed() < Duration::from_secs(30) {
        imported = order::Entity::find().count(&db).await.expect("count");
        running = runs_of(&db, &[SyncRunKind::OrderFetch])
            .await
            .iter()
            .filter(|r| r.status == SyncRunStatus::Running)
            .count();
        if imported >= 5 && running > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        imported >= 5 && (imported as usize) <= ORDERS / 2 && running > 0,
        "an import under way, at most half done: {imported} imported, {running} running"
    );
    let running_before: Vec<i64> = runs_of(&db, &[SyncRunKind::OrderFetch])
        .await
        .iter()
        .filter(|r| r.status == SyncRunStatus::Running)
        .map(|r| r.id)
        .collect();
    let (status, took) = stop_worker(&mut processes.0[1], how).await;
    assert_exit(how, status, took);
    let at_stop = order::Entity::find().count(&db).await.expect("count");
    assert!((at_stop as usize) < ORDERS, "stopped mid-import: {at_stop} of {ORDERS} imported");
    let fetches = runs_of(&db, &[SyncRunKind::OrderFetch]).await;
    let killed: Vec<i64> = match how {
        // Runs the dead worker held: the queue hands their jobs back once it misses its heartbeats.
        Stop::Kill => fetches.iter().filter(|r| r.status == SyncRunStatus::Running).map(|r| r.id).collect(),
        // Told to stop, the worker handed its runs back itself: none is left RUNNING.
        Stop::Terminate => {
            assert!(fetches.iter().all(|r| r.status != SyncRunStatus::Running), "handed back: {fetches:?}");
            running_before
                .iter()
                .copied()
                .filter(|id| fetches.iter().any(|r| r.id == *id && r.status == SyncRunStatus::Created))
                .collect()
        }
    };
    assert!(!killed.is_empty(), "an import was running at the stop: {fetches:?}");
    sim.state.set_fault_rates(FaultRates::default());

    processes.0.push(worker(&settings));
    let started = Instant::now();
    loop {
        let polled = gql(
            &client,
            &api,
            &token,
            "mutation($c: ID!) { channelOrdersSync(channelId: $c) { syncRun { id } userErrors { message } } }",
            json!({ "c": channel }),
        )
        .await;
        assert_eq!(polled["channelOrdersSync"]["userErrors"], json!([]), "{polled}");
        let poll = polled["channelOrdersSync"]["syncRun"]["id"].clone();
        let mut finished = false;
        for _ in 0..100 {
            let state = gql(&client, &api, &token, RUN, json!({ "id": poll })).await;
            if ["COMPLETED", "FAILED"].contains(&state["syncRun"]["status"].as_str().unwrap_or_default()) {
                finished = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let runs = runs_of(&db, &[SyncRunKind::OrderFetch, SyncRunKind::OrderPoll]).await;
        let count = order::Entity::find().count(&db).await.expect("count");
        let unprocessed = omnisync::services::webhooks::unprocessed_count(&db, channel_id).await.expect("inbox");
        if finished && count as usize >= ORDERS && active(&runs) == 0 && unprocessed == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "not every order came in after the kill: {count} of {ORDERS}, {unprocessed} events unprocessed, runs {runs:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Every order once, and nothing else.
    let external: Vec<String> = order::Entity::find()
        .select_only()
        .column(order::Column::ExternalId)
        .into_tuple()
        .all(&db)
        .await
        .expect("orders");
    let mut seen: HashMap<String, usize> = HashMap::new();
    for id in external {
        *seen.entry(id).or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "orders imported twice: {twice:?}");
    let mut in_hub: Vec<&String> = seen.keys().collect();
    let mut on_sim: Vec<&String> = placed.keys().collect();
    in_hub.sort();
    on_sim.sort();
    assert_eq!(in_hub, on_sim, "the hub holds exactly the simulator's orders");

    // Each order's units reserved once (a reservation made twice would show as more committed units).
    let (reserved, on_lines) =
        omnisync::sim::fixtures::reserved_and_ordered_units(&db).await.expect("ledger and lines");
    assert_eq!(on_lines, ordered_units, "every line imported");
    assert_eq!(reserved, ordered_units, "reserved once");
    let committed: Vec<i64> = entity::inventory_level::Entity::find()
        .select_only()
        .column(entity::inventory_level::Column::Committed)
        .into_tuple()
        .all(&db)
        .await
        .expect("levels");
    assert_eq!(committed.iter().sum::<i64>(), ordered_units, "levels agree with the ledger");

    // The stopped import finished on its second attempt.
    let runs = runs_of(&db, &[SyncRunKind::OrderFetch]).await;
    for id in killed {
        let run = runs.iter().find(|r| r.id == id).expect("the killed run");
        assert!(run.status == SyncRunStatus::Completed && run.attempts == 2, "finished on its second attempt: {run:?}");
    }
}
