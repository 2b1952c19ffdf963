//! Chaos against the simulators, on both backends.
//!
//! 1. A whole run against all five marketplaces while each answers 20% 5xx, 5% too slowly (the hub's per-call
//!    timeout fires) and ~3% 429: orders placed on every simulator (half announced by webhook where the
//!    marketplace pushes, the rest only found by polling) and random stock changes pushed to every channel. In the
//!    end every simulator order is in the hub exactly once, reservations are made once (the ledger's ORDER_RESERVED
//!    committed deltas sum to the ordered units) and every simulator shows the hub's quantities.
//! 2. Eight concurrent order streams (two per channel, four channels) buying three SKUs of 100 units each, on
//!    simulators that refuse orders beyond a listing's quantity, while the hub imports and pushes "on hand −
//!    committed" of a chosen warehouse. Every accepted order is in the hub once, committed equals the accepted
//!    units, on hand never goes below 0, the ledger sums to the levels, and once the hub has pushed every channel
//!    shows max(0, 100 − committed) and sells no more. Units oversold across channels (each marketplace only
//!    knows its own listing until the hub's push lands) are printed and bounded (`OVERSOLD_BOUND`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use entity::enums::{LedgerReason, SyncRunKind, SyncRunStatus};
use entity::{channel, inventory_ledger, inventory_level, order, sync_run};
use omnisync::channels::ChannelKind;
use omnisync::context::AppContext;
use omnisync::graphql::relay::global_id;
use omnisync::jobs;
use omnisync::services::inventory::{self, AdjustChange};
use omnisync::sim::fixtures;
use omnisync::sim::{Fault, FaultRates, SimHandle};

use crate::helpers::{TestApp, all_kinds, slug, start_sim};
use crate::on_both_backends;

/// The hub's per-call marketplace timeout in the fault run, and the simulators' slow answers (longer: the hub
/// really times out and retries).
const HUB_TIMEOUT_MS: u64 = 700;
const SLOW_ANSWER_MS: u64 = 1200;

/// Connects `sim` (with `settings` applied through `channelUpdate`, if any) and links every SKU; returns the
/// channel as stored.
async fn connect_and_link(app: &TestApp, sim: &SimHandle, settings: Option<serde_json::Value>) -> channel::Model {
    let c = fixtures::connect_sim(&app.ctx, sim).await.expect("connected");
    if let Some(settings) = settings {
        let updated = app
            .gql(
                "mutation($id: ID!, $s: ChannelSettingsInput!) { channelUpdate(id: $id, input: { settings: $s }) { userErrors { field code message } } }",
                json!({ "id": global_id("Channel", c.id), "s": settings }),
            )
            .await;
        assert_eq!(updated["channelUpdate"]["userErrors"], json!([]), "{updated}");
    }
    let run = app.link_everything(c.id).await;
    assert_eq!(run["status"], "COMPLETED", "{}: {run}", slug(sim.kind));
    omnisync::services::channels::get(&app.ctx.db, c.id).await.expect("read").expect("channel")
}

/// How many times the hub holds each (channel, simulator order id); orders it cannot map count under id 0.
async fn hub_orders(ctx: &AppContext, kinds: &HashMap<i64, ChannelKind>) -> HashMap<(i64, u64), usize> {
    let mut seen = HashMap::new();
    for o in order::Entity::find().all(&ctx.db).await.expect("orders") {
        let id = kinds
            .get(&o.channel_id)
            .and_then(|k| omnisync::sim::marketplace(*k).order_id_of(&o.external_id))
            .unwrap_or(0);
        *seen.entry((o.channel_id, id)).or_insert(0) += 1;
    }
    seen
}

/// Polls every channel (never two polls of one at once) and kicks pushes, as the scheduler's tick would, until
/// `stop`.
fn drive(
    ctx: AppContext,
    channel_ids: Vec<i64>,
    poll_every: Duration,
    kick_every: Duration,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last_poll = Instant::now() - poll_every;
        while !stop.load(Ordering::SeqCst) {
            if last_poll.elapsed() >= poll_every {
                for id in &channel_ids {
                    jobs::scheduler::enqueue_unless_active(&ctx, SyncRunKind::OrderPoll, *id, None)
                        .await
                        .expect("poll queued");
                }
                last_poll = Instant::now();
            }
            jobs::stock_push::kick(&ctx).await;
            tokio::time::sleep(kick_every).await;
        }
    })
}

/// Waits (bounded) until `done` holds and every channel's inbox is applied with no order run waiting or running;
/// polls channels that are not there yet (a fetch failed by faults leaves its events for the next poll).
async fn settle_orders(app: &TestApp, channel_ids: &[i64], limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    loop {
        let mut quiet = true;
        for id in channel_ids {
            let unprocessed = omnisync::services::webhooks::unprocessed_count(&app.ctx.db, *id).await.expect("count");
            let active = sync_run::Entity::find()
                .filter(sync_run::Column::ChannelId.eq(*id))
                .filter(sync_run::Column::Kind.is_in([SyncRunKind::OrderFetch, SyncRunKind::OrderPoll]))
                .filter(sync_run::Column::Status.is_in([SyncRunStatus::Created, SyncRunStatus::Running]))
                .count(&app.ctx.db)
                .await
                .expect("runs");
            quiet &= unprocessed == 0 && active == 0;
        }
        let arrived = done().await;
        if quiet && arrived {
            return;
        }
        assert!(started.elapsed() < limit, "orders did not settle in {limit:?} (all arrived: {arrived})");
        if quiet {
            // Nothing running and something missing: the poll that finds it.
            for id in channel_ids {
                jobs::scheduler::enqueue_unless_active(&app.ctx, SyncRunKind::OrderPoll, *id, None)
                    .await
                    .expect("poll queued");
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn reserved_and_ordered(ctx: &AppContext) -> (i64, i64) {
    omnisync::sim::fixtures::reserved_and_ordered_units(&ctx.db).await.expect("ledger and lines")
}

/// The hub's marketplace calls so far (process-wide metrics) that got no answer (0: the hub's timeout fired), a
/// 5xx, or a 429.
fn failed_calls() -> (u64, u64, u64) {
    let text = omnisync::metrics::render(&[]);
    let (mut none, mut server, mut limited) = (0, 0, 0);
    for line in text.lines().filter(|l| l.starts_with("omnisync_marketplace_calls_total{")) {
        let count = line.rsplit(' ').next().and_then(|n| n.parse::<f64>().ok()).unwrap_or(0.0) as u64;
        if line.contains("status=\"0\"") {
            none += count;
        } else if line.contains("status=\"5") {
            server += count;
        } else if line.contains("status=\"429\"") {
            limited += count;
        }
    }
    (none, server, limited)
}

// ------------------------------------------------------------------------------------------------ 1. faults

async fn every_order_lands_once_and_every_channel_converges_under_5xx_timeouts_and_429s(app: &TestApp) {
    const SKUS: usize = 12;
    const ORDERS_PER_SIM: usize = 20;
    let started = Instant::now();
    let sims: Vec<SimHandle> = all_kinds()
        .into_iter()
        .map(|kind| {
            let s = start_sim(kind, 0);
            fixtures::seed_sim(&s, SKUS, "F-");
            s
        })
        .collect();
    let variants = fixtures::seed_hub(&app.ctx.db, SKUS, "F-").await.expect("hub seeded");
    let warehouse = omnisync::services::catalog::default_warehouse(&app.ctx.db).await.expect("default warehouse").id;
    let mut on_hand = vec![20i64; SKUS];
    let initial =
        variants.iter().map(|v| AdjustChange { variant_id: *v, warehouse_id: warehouse, delta: 20 }).collect();
    inventory::adjust(&app.ctx.db, &crate::helpers::tests_actor(), LedgerReason::Received, None, initial)
        .await
        .expect("stocked")
        .into_parts();
    let mut channels = Vec::new();
    for s in &sims {
        channels.push(connect_and_link(app, s, None).await);
    }
    fixtures::settle(&app.ctx, Duration::from_secs(30), false).await.expect("first pushes");
    let channel_ids: Vec<i64> = channels.iter().map(|c| c.id).collect();
    let kinds: HashMap<i64, ChannelKind> = channels.iter().zip(&sims).map(|(c, s)| (c.id, s.kind)).collect();

    // From here on every marketplace misbehaves.
    let failed_before = failed_calls();
    for s in &sims {
        s.state.set_fault_rates(FaultRates {
            server_error: 0.20,
            timeout: 0.05,
            rate_limit: 0.03,
            timeout_ms: SLOW_ANSWER_MS,
        });
        // One of each first, so each kind of fault certainly happens (a hundred calls at 5% may see no timeout).
        for fault in [Fault::Slow(SLOW_ANSWER_MS), Fault::RateLimit, Fault::ServerError] {
            s.state.inject(fault, 1);
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    let driver =
        drive(app.ctx.clone(), channel_ids.clone(), Duration::from_secs(2), Duration::from_millis(300), stop.clone());

    // Orders: one buyer per shop; every second order announced by webhook (Tiki has no push: all polled).
    let mut buyers = Vec::new();
    for (i, s) in sims.iter().enumerate() {
        let s = s.clone();
        let url = format!("{}/webhooks/{}", app.address, channel_ids[i]);
        buyers.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(100 + i as u64);
            for n in 0..ORDERS_PER_SIM {
                let announced = n % 2 == 0 && !omnisync::channels::marketplace(s.kind).orders.event_queue;
                s.state.set_webhook_url(announced.then(|| url.clone()));
                let count = rng.random_range(1..=3);
                let picked = rand::seq::index::sample(&mut rng, SKUS, count);
                let lines: Vec<(String, i64)> =
                    picked.into_iter().map(|k| (fixtures::code("F-", k), rng.random_range(1..=3))).collect();
                s.state.create_order(&lines, None).await.expect("order placed");
                tokio::time::sleep(Duration::from_millis(rng.random_range(20..80))).await;
            }
        }));
    }
    // Meanwhile, stock changes in the hub, pushed to every channel.
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for _ in 0..8 {
        let mut changes = Vec::new();
        for k in rand::seq::index::sample(&mut rng, SKUS, 6) {
            let delta =
                if on_hand[k] > 3 && rng.random_bool(0.4) { -rng.random_range(1..=3) } else { rng.random_range(1..=6) };
            on_hand[k] += delta;
            changes.push(AdjustChange { variant_id: variants[k], warehouse_id: warehouse, delta });
        }
        inventory::adjust(&app.ctx.db, &crate::helpers::tests_actor(), LedgerReason::Adjustment, None, changes)
            .await
            .expect("adjusted")
            .into_parts();
        jobs::stock_push::kick(&app.ctx).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    for b in buyers {
        b.await.expect("buyer finished");
    }
    let placed: Vec<(i64, u64)> = sims
        .iter()
        .zip(&channel_ids)
        .flat_map(|(s, c)| s.state.store().orders.iter().map(|o| (*c, o.id)).collect::<Vec<_>>())
        .collect();
    assert_eq!(placed.len(), all_kinds().len() * ORDERS_PER_SIM);

    settle_orders(app, &channel_ids, Duration::from_secs(60), async || {
        let seen = hub_orders(&app.ctx, &kinds).await;
        placed.iter().all(|k| seen.contains_key(k))
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    driver.await.expect("driver");
    let orders_in = started.elapsed();
    fixtures::settle(&app.ctx, Duration::from_secs(60), true).await.expect("pushes settle");
    let failed_after = failed_calls();
    let failed = (failed_after.0 - failed_before.0, failed_after.1 - failed_before.1, failed_after.2 - failed_before.2);
    assert!(
        failed.0 > 0 && failed.1 > 0 && failed.2 > 0,
        "the hub met timeouts, 5xx and 429s (no answer, 5xx, 429): {failed:?}"
    );

    // Every simulator order once, nothing else.
    let seen = hub_orders(&app.ctx, &kinds).await;
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n != 1).collect();
    assert_eq!(twice, Vec::<(&(i64, u64), &usize)>::new(), "every order exactly once");
    let missing: Vec<_> = placed.iter().filter(|k| !seen.contains_key(k)).collect();
    assert_eq!(missing, Vec::<&(i64, u64)>::new(), "no order lost");
    assert_eq!(seen.len(), placed.len(), "no order the simulators don't have");

    // Reservations once: the ledger's reserved units are the ordered units, per variant too.
    let units: i64 = sims
        .iter()
        .map(|s| s.state.store().orders.iter().flat_map(|o| o.lines.iter().map(|l| l.quantity)).sum::<i64>())
        .sum();
    assert_eq!(
        reserved_and_ordered(&app.ctx).await,
        (units, units),
        "(ledger reserved, order lines) = the units placed"
    );
    let mut by_sku: HashMap<String, i64> = HashMap::new();
    for s in &sims {
        for l in s.state.store().orders.iter().flat_map(|o| o.lines.iter()) {
            *by_sku.entry(l.seller_sku.clone()).or_default() += l.quantity;
        }
    }
    for (k, v) in variants.iter().enumerate() {
        let level = inventory_level::Entity::find()
            .filter(inventory_level::Column::VariantId.eq(*v))
            .filter(inventory_level::Column::WarehouseId.eq(warehouse))
            .one(&app.ctx.db)
            .await
            .expect("read")
            .expect("level");
        let code = fixtures::code("F-", k);
        assert_eq!((level.on_hand, level.committed), (on_hand[k], by_sku.get(&code).copied().unwrap_or(0)), "{code}");
    }

    // Every marketplace shows the hub's numbers.
    for (c, s) in channels.iter().zip(&sims) {
        let wrong = fixtures::mismatches(&app.ctx, c, s).await.expect("compared");
        assert_eq!(wrong, [], "{} ends equal to the hub", slug(s.kind));
        let shown: Vec<i64> = (0..SKUS)
            .map(|k| s.state.store().sku_by_seller_sku(&fixtures::code("F-", k)).map(|(_, q)| q.quantity).unwrap_or(-1))
            .collect();
        assert_eq!(shown, on_hand, "{}", slug(s.kind));
    }
    println!(
        "fault run ({:?}): {} orders in after {orders_in:?}, converged after {:?}; hub calls unanswered (timed out) / 5xx / 429: {failed:?}",
        app.backend,
        placed.len(),
        started.elapsed()
    );
}

on_both_backends!(
    faults_every_order_once_and_converged,
    every_order_lands_once_and_every_channel_converges_under_5xx_timeouts_and_429s,
    options: crate::helpers::Options::default(),
    settings: |s| s.channel_timeout_ms = super::HUB_TIMEOUT_MS
);

// ------------------------------------------------------------------------------------------------ 2. streams

/// An order a simulator accepted: channel, simulator order id, (SKU index, units) lines.
type Accepted = (i64, u64, Vec<(usize, i64)>);

/// The chosen warehouse's levels of `variants` (in their order).
async fn levels(ctx: &AppContext, variants: &[i64], warehouse: i64) -> Vec<inventory_level::Model> {
    let mut out = Vec::new();
    for v in variants {
        let level = inventory_level::Entity::find()
            .filter(inventory_level::Column::VariantId.eq(*v))
            .filter(inventory_level::Column::WarehouseId.eq(warehouse))
            .one(&ctx.db)
            .await
            .expect("read")
            .expect("a level");
        out.push(level);
    }
    out
}

/// Units the eight streams may oversell across the three SKUs (of 300 in stock): 10%.
const OVERSOLD_BOUND: i64 = 30;

async fn eight_streams_oversell_only_by_push_latency_and_every_channel_ends_at_the_hubs_number(app: &TestApp) {
    const SKUS: usize = 3;
    const STOCK: i64 = 100;
    const STREAMS_PER_CHANNEL: usize = 2;
    const BUYER_PAUSE_MS: std::ops::Range<u64> = 200..500;
    let kinds = [ChannelKind::Lazada, ChannelKind::Shopee, ChannelKind::Tiktok, ChannelKind::Webstore];
    let started = Instant::now();
    let sims: Vec<SimHandle> = kinds
        .iter()
        .map(|kind| {
            let s = start_sim(*kind, 0);
            fixtures::seed_sim(&s, SKUS, "R-");
            s
        })
        .collect();
    // Three SKUs, no overselling, 100 each in a warehouse the channels sell from and reserve in.
    let variants = fixtures::seed_hub(&app.ctx.db, SKUS, "R-").await.expect("hub seeded");
    let wh = omnisync::services::catalog::warehouse_create(
        &app.ctx.db,
        omnisync::services::catalog::WarehouseFields { name: Some("Kho online".into()), ..Default::default() },
    )
    .await
    .expect("warehouse")
    .id;
    let stock = variants.iter().map(|v| AdjustChange { variant_id: *v, warehouse_id: wh, delta: STOCK }).collect();
    inventory::adjust(&app.ctx.db, &crate::helpers::tests_actor(), LedgerReason::Received, None, stock)
        .await
        .expect("stocked")
        .into_parts();
    let settings =
        json!({ "stockWarehouseId": global_id("Warehouse", wh), "orderWarehouseId": global_id("Warehouse", wh) });
    let mut channels = Vec::new();
    for s in &sims {
        channels.push(connect_and_link(app, s, Some(settings.clone())).await);
    }
    fixtures::settle(&app.ctx, Duration::from_secs(30), false).await.expect("first pushes");
    for (c, s) in channels.iter().zip(&sims) {
        assert_eq!(
            fixtures::mismatches(&app.ctx, c, s).await.expect("compared"),
            [],
            "{} starts at the hub's numbers",
            slug(s.kind)
        );
        let shown: Vec<i64> = (0..SKUS)
            .map(|k| s.state.store().sku_by_seller_sku(&fixtures::code("R-", k)).map(|(_, q)| q.quantity).unwrap_or(-1))
            .collect();
        assert_eq!(shown, [STOCK; SKUS], "{}", slug(s.kind));
    }
    let channel_ids: Vec<i64> = channels.iter().map(|c| c.id).collect();
    let kind_of: HashMap<i64, ChannelKind> = channels.iter().zip(&sims).map(|(c, s)| (c.id, s.kind)).collect();

    // The marketplaces now sell only what their listings show, and push every order to the hub.
    for (s, c) in sims.iter().zip(&channel_ids) {
        s.state.set_enforce_stock(true);
        s.state.set_webhook_url(Some(format!("{}/webhooks/{c}", app.address)));
    }
    let refused = sims[0].state.create_order(&[(fixtures::code("R-", 0), STOCK + 1)], None).await;
    assert!(refused.is_err(), "more than the listing holds is refused: {refused:?}");
    assert_eq!(sims[0].state.store().orders.len(), 0, "and nothing was placed");

    let stop = Arc::new(AtomicBool::new(false));
    let driver =
        drive(app.ctx.clone(), channel_ids.clone(), Duration::from_secs(2), Duration::from_millis(250), stop.clone());
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut streams = Vec::new();
    for n in 0..kinds.len() * STREAMS_PER_CHANNEL {
        let (sim, channel_id, ctx, variants) = (
            sims[n / STREAMS_PER_CHANNEL].clone(),
            channel_ids[n / STREAMS_PER_CHANNEL],
            app.ctx.clone(),
            variants.clone(),
        );
        streams.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(1_000 + n as u64);
            let (mut accepted, mut refusals): (Vec<Accepted>, usize) = (Vec::new(), 0);
            while Instant::now() < deadline {
                let listed: Vec<usize> = (0..SKUS)
                    .filter(|k| {
                        sim.state
                            .store()
                            .sku_by_seller_sku(&fixtures::code("R-", *k))
                            .is_some_and(|(_, s)| s.quantity > 0)
                    })
                    .collect();
                if listed.is_empty() {
                    // Sold out here: over once the hub has sold out too (its push can't raise a listing again).
                    if levels(&ctx, &variants, wh).await.iter().all(|l| l.committed >= STOCK) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
                // A buyer picks something listed, 1–3 units, sometimes a second SKU too.
                let first = listed[rng.random_range(0..listed.len())];
                let mut lines = vec![(first, rng.random_range(1..=3))];
                if rng.random_bool(0.25) {
                    let second = (first + rng.random_range(1..SKUS)) % SKUS;
                    lines.push((second, rng.random_range(1..=2)));
                }
                let wire: Vec<(String, i64)> = lines.iter().map(|(k, q)| (fixtures::code("R-", *k), *q)).collect();
                match sim.state.create_order(&wire, None).await {
                    Ok(o) => accepted.push((channel_id, o.id, lines)),
                    Err(_) => refusals += 1,
                }
                // Buyers a few hundred milliseconds apart: the hub's import and push race them.
                tokio::time::sleep(Duration::from_millis(rng.random_range(BUYER_PAUSE_MS))).await;
            }
            (accepted, refusals)
        }));
    }
    let (mut accepted, mut refusals) = (Vec::<Accepted>::new(), 0);
    for s in streams {
        let (a, r) = s.await.expect("stream finished");
        accepted.extend(a);
        refusals += r;
    }
    let streams_done = started.elapsed();
    settle_orders(app, &channel_ids, Duration::from_secs(30), async || {
        let seen = hub_orders(&app.ctx, &kind_of).await;
        accepted.iter().all(|(c, id, _)| seen.contains_key(&(*c, *id)))
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    driver.await.expect("driver");
    fixtures::settle(&app.ctx, Duration::from_secs(30), true).await.expect("pushes settle");

    // Every accepted order once, and nothing else.
    let seen = hub_orders(&app.ctx, &kind_of).await;
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n != 1).collect();
    assert_eq!(twice, Vec::<(&(i64, u64), &usize)>::new(), "every order exactly once");
    assert_eq!(seen.len(), accepted.len(), "the hub holds exactly the accepted orders");
    assert!(accepted.iter().all(|(c, id, _)| seen.contains_key(&(*c, *id))));

    // Committed = the accepted units; the streams ran until the hub sold out.
    let mut units = [0i64; SKUS];
    let mut per_channel: BTreeMap<&str, [i64; SKUS]> = BTreeMap::new();
    for (c, _, lines) in &accepted {
        for (k, q) in lines {
            units[*k] += q;
            per_channel.entry(slug(kind_of[c])).or_default()[*k] += q;
        }
    }
    let now = levels(&app.ctx, &variants, wh).await;
    let committed: Vec<i64> = now.iter().map(|l| l.committed).collect();
    assert_eq!(committed, units, "the hub's committed is the units of the accepted orders");
    assert!(units.iter().all(|u| *u >= STOCK), "the streams sold everything: {units:?}");
    assert_eq!(reserved_and_ordered(&app.ctx).await, (units.iter().sum(), units.iter().sum()), "each reservation once");

    // On hand never below 0, and the ledger explains every level exactly.
    let ledger = inventory_ledger::Entity::find().all(&app.ctx.db).await.expect("ledger");
    assert!(ledger.iter().all(|r| r.on_hand_after >= 0), "on hand never went below 0");
    let mut sums: HashMap<(i64, i64), (i64, i64, i64)> = HashMap::new();
    for r in &ledger {
        let s = sums.entry((r.variant_id, r.warehouse_id)).or_default();
        *s = (s.0 + r.on_hand_delta, s.1 + r.committed_delta, s.2 + r.pending_export_delta);
    }
    let all_levels = inventory_level::Entity::find().all(&app.ctx.db).await.expect("levels");
    for l in &all_levels {
        assert!(l.on_hand >= 0 && l.committed >= 0 && l.pending_export >= 0, "{l:?}");
        let s = sums.remove(&(l.variant_id, l.warehouse_id)).unwrap_or_default();
        assert_eq!(s, (l.on_hand, l.committed, l.pending_export), "the ledger sums to the level {l:?}");
    }
    assert!(sums.is_empty(), "no ledger rows without a level: {sums:?}");
    assert_eq!(now.iter().map(|l| l.on_hand).collect::<Vec<_>>(), [STOCK; SKUS], "orders only reserve");

    // Oversold across channels because each marketplace knows only its own listing until a push lands: allowed,
    // and it stops there: every channel shows max(0, 100 − committed) = 0 and refuses one more unit.
    let oversold: Vec<i64> = units.iter().map(|u| (u - STOCK).max(0)).collect();
    // Why pushes land late: how long a queued push run waited for a worker.
    let push_wait = sync_run::Entity::find()
        .filter(sync_run::Column::Kind.eq(SyncRunKind::StockPush))
        .all(&app.ctx.db)
        .await
        .expect("runs")
        .iter()
        .filter_map(|r| r.started_at.map(|s| (s - r.created_at).num_milliseconds()))
        .max()
        .unwrap_or(0);
    let report = format!(
        "{:?}: {} orders accepted, {refusals} refused, units per SKU {units:?} of {STOCK}, oversold {oversold:?} = {} units; per channel {per_channel:?}; \
         longest push queue wait {push_wait} ms; streams {streams_done:?}, total {:?}",
        app.backend,
        accepted.len(),
        oversold.iter().sum::<i64>(),
        started.elapsed()
    );
    println!("{report}");
    // A bound, not only invariants: 12–16 of the 300 units in runs on a 2-core machine (docs/performance.md). With
    // pushes or their guard broken each of the four channels would sell its 100 of every SKU (900 oversold); the
    // bound is loose enough for a loaded machine and tight enough to catch that.
    let total_oversold: i64 = oversold.iter().sum();
    assert!(total_oversold <= OVERSOLD_BOUND, "oversold {total_oversold} > {OVERSOLD_BOUND} units; {report}");
    for (c, s) in channels.iter().zip(&sims) {
        assert_eq!(
            fixtures::mismatches(&app.ctx, c, s).await.expect("compared"),
            [],
            "{} shows the hub's numbers; {report}",
            slug(s.kind)
        );
        for (k, sold) in units.iter().enumerate() {
            let shown = s.state.store().sku_by_seller_sku(&fixtures::code("R-", k)).map(|(_, q)| q.quantity);
            assert_eq!(shown, Some((STOCK - sold).max(0)), "{} {k}; {report}", slug(s.kind));
            assert!(
                s.state.create_order(&[(fixtures::code("R-", k), 1)], None).await.is_err(),
                "{} sells no more of SKU {k}",
                slug(s.kind)
            );
        }
    }
}

on_both_backends!(
    eight_concurrent_order_streams,
    eight_streams_oversell_only_by_push_latency_and_every_channel_ends_at_the_hubs_number
);
