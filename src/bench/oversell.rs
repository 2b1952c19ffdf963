//! `omnisync bench oversell [--buyers 8] [--skus 3] [--stock 100] [--mode shared] [--webhook-delay-ms 0]` (issue
//! 18): how many units four marketplaces sell beyond the hub's stock, and how long a sell-out takes to reach them.
//!
//! Four simulated marketplaces that push order webhooks (Lazada, Shopee, TikTok, the web store; Tiki has no push)
//! sell like real ones: an order beyond a listing's quantity is refused and an accepted one lowers the listing
//! (`SimState::set_enforce_stock`); each order's push leaves `--webhook-delay-ms` after it. The hub runs as
//! deployed (`BenchEnv::start_as_deployed`: its own process, workers and scheduler, webhooks over HTTP); nothing
//! here drives its runs. Every channel reads and reserves in one warehouse holding `--stock` units of each of `--skus` SKUs.
//! `--buyers` buyers, spread over the four channels, place 1–3-unit orders (sometimes with a second SKU) 200–500 ms
//! apart, only for SKUs their channel lists, until their channel lists nothing and the hub has committed every
//! unit (or 120 s have passed: `timed_out`).
//!
//! Figures: units sold beyond the stock (per SKU `max(0, sold − stock)`, summed), orders the hub holds twice or
//! not at all, and `sellout_to_zero_p99_ms`: per SKU and channel, from the commit of the reservation that left the
//! hub nothing available (the inventory ledger's `created_at`) to the first moment the channel's listing shows 0
//! (a background task reads every listing every 10 ms). A channel already at 0 at that commit (it sold its listing
//! out by its own sales) counts as 0 ms: it was refusing the SKU when the hub sold out. SKUs the hub never sold
//! out (time limit) have no sample.
//!
//! The `stages` figures break the time from a sale to the other channels' pushes down by step and channel
//! (`stages`).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use entity::enums::{LedgerReason, SyncRunKind, SyncRunStatus};
use entity::{channel, inventory_ledger, inventory_level, order, stock_push, webhook_event};

use super::{Backend, BenchEnv, cores, percentile, round2};
use crate::channels::ChannelKind;
use crate::context::AppContext;
use crate::domain::actor::{Actor, system};
use crate::jobs;
use crate::services::catalog;
use crate::services::channels::SettingsInput;
use crate::services::inventory::{self, AdjustChange};
use crate::sim::SimHandle;
use crate::sim::fixtures::{code, connect_sim_with, mismatches, seed_hub, seed_sim, settle};

/// The marketplaces whose simulators push order webhooks, one channel each; buyer `n` buys on `KINDS[n % 4]`.
const KINDS: [ChannelKind; 4] = [ChannelKind::Lazada, ChannelKind::Shopee, ChannelKind::Tiktok, ChannelKind::Webstore];
const PREFIX: &str = "OV-";
/// A buyer's pause between two orders (milliseconds): the hub's import and push race them.
const BUYER_PAUSE_MS: Range<u64> = 200..500;
/// The longest the buyers sell.
const SELLING_LIMIT: Duration = Duration::from_secs(120);
/// How often the listings are read for `sellout_to_zero_p99_ms`.
const WATCH_EVERY: Duration = Duration::from_millis(10);
/// The longest wait for accepted orders to reach the hub after selling, beyond the webhook delay: one order poll
/// (60 s by default) finds an order whose push was lost.
const ORDERS_LIMIT: Duration = Duration::from_secs(75);
/// The longest wait for the pushes to settle (before and after selling).
const SETTLE_LIMIT: Duration = Duration::from_secs(120);

/// How the hub shares its stock between the channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Every channel is pushed the whole of what the warehouse has available.
    Shared,
    /// The warehouse allocates: its units are split between the channels (equal weights), each pushed its share.
    Allocation,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Self::Shared => "shared",
            Self::Allocation => "allocation",
        }
    }

    /// The settings each channel is connected with: all read and reserve in `warehouse_id`; a mode sharing stock
    /// another way adds its setting to those.
    fn channel_settings(self, warehouse_id: i64) -> SettingsInput {
        let one_warehouse = SettingsInput {
            stock_warehouse_ids: Some(vec![warehouse_id]),
            order_warehouse_id: Some(Some(warehouse_id)),
            ..Default::default()
        };
        match self {
            Self::Shared | Self::Allocation => one_warehouse,
        }
    }
}

/// What to run (the command's flags).
#[derive(Debug, Clone, Copy)]
pub struct OversellArgs {
    pub buyers: usize,
    pub skus: usize,
    /// Units of each SKU in the hub at the start.
    pub stock: i64,
    pub mode: Mode,
    /// How long after an order its webhook leaves the marketplace.
    pub webhook_delay: Duration,
    pub backend: Backend,
    /// The warehouse's low-stock threshold: allocation turns on for a SKU at or below it (any mode).
    pub low_stock_threshold: Option<i64>,
}

impl OversellArgs {
    /// The issue's run: 8 buyers, 3 SKUs of 100 units, shared stock, webhooks at once.
    pub fn issue_defaults(backend: Backend) -> Self {
        Self {
            buyers: 8,
            skus: 3,
            stock: 100,
            mode: Mode::Shared,
            webhook_delay: Duration::ZERO,
            backend,
            low_stock_threshold: None,
        }
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.buyers == 0 {
            anyhow::bail!("--buyers must be at least 1");
        }
        if self.skus == 0 {
            anyhow::bail!("--skus must be at least 1");
        }
        if self.stock < 1 {
            anyhow::bail!("--stock must be at least 1 (units of each SKU)");
        }
        if self.low_stock_threshold.is_some_and(|t| t < 0) {
            anyhow::bail!("--low-stock-threshold must be at least 0");
        }
        Ok(())
    }
}

pub async fn run(args: OversellArgs, json_out: bool) -> anyhow::Result<()> {
    args.check()?;
    let env = BenchEnv::start_as_deployed(args.backend).await?;
    let result = measure(&env, &args).await;
    env.cleanup().await;
    super::report(json_out, &result?);
    Ok(())
}

/// A wall-clock instant (comparable with the ledger's `created_at`).
type At = chrono::DateTime<chrono::Utc>;

/// An order a simulator accepted: the channel's index in `KINDS`, the simulator's order id, (SKU index, units).
struct Accepted {
    channel: usize,
    order_id: u64,
    lines: Vec<(usize, i64)>,
}

#[derive(Default)]
struct BuyerOutcome {
    accepted: Vec<Accepted>,
    refused: usize,
    timed_out: bool,
}

async fn measure(env: &BenchEnv, args: &OversellArgs) -> anyhow::Result<serde_json::Value> {
    let ctx = &env.ctx;
    let mut sims = Vec::new();
    for kind in KINDS {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").context("no free port for a simulator")?;
        let sim = crate::sim::start_kind(kind, listener, 7, 0).context("starting a simulator")?;
        seed_sim(&sim, args.skus, PREFIX);
        sims.push(sim);
    }

    // The hub: the SKUs, stocked in one warehouse every channel reads and reserves in.
    let variants = seed_hub(&ctx.db, args.skus, PREFIX).await?;
    let warehouse = catalog::warehouse_create(
        &ctx.db,
        catalog::WarehouseFields {
            name: Some("Kho online".into()),
            stock_allocation: Some(args.mode == Mode::Allocation),
            low_stock_threshold: Some(args.low_stock_threshold),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("creating the warehouse: {e:?}"))?
    .id;
    let stock = variants.iter().map(|v| AdjustChange { variant_id: *v, warehouse_id: warehouse, delta: args.stock });
    let stocked =
        inventory::adjust(&ctx.db, &Actor::system(system::BENCH), LedgerReason::Received, None, stock.collect())
            .await
            .map_err(|e| anyhow::anyhow!("stocking: {e:?}"))?;
    jobs::effects::after_commit(ctx, stocked);
    let mut channels = Vec::new();
    for sim in &sims {
        channels.push(connect_and_link(env, sim, args.mode.channel_settings(warehouse)).await?);
    }
    if args.mode == Mode::Allocation {
        // The shares of the new links: the scheduler's rebalance, now rather than at its next tick.
        crate::services::link_marks::allocation::rebalance(&ctx.db).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        jobs::stock_push::kick(ctx).await;
    }
    settle(ctx, SETTLE_LIMIT, false).await.context("first pushes")?;
    for (channel, sim) in channels.iter().zip(&sims) {
        let wrong = mismatches(ctx, channel, sim).await?;
        if !wrong.is_empty() {
            anyhow::bail!("{} does not show the hub's numbers before selling: {wrong:?}", sim.state.slug());
        }
    }

    // Selling: every listing watched from now on; marketplaces refuse what they don't list and push each order.
    let stop_watching = Arc::new(AtomicBool::new(false));
    let _stop_watching_on_any_return = StopOnDrop(stop_watching.clone());
    let watcher = tokio::spawn(watch_listings(sims.clone(), args.skus, stop_watching.clone()));
    for (sim, channel) in sims.iter().zip(&channels) {
        sim.state.set_enforce_stock(true);
        sim.state.set_webhook_delay(args.webhook_delay);
        sim.state.set_webhook_url(Some(format!("{}/webhooks/{}", env.hub.base_url, channel.id)));
    }
    let hub_sold_out = Arc::new(AtomicBool::new(false));
    let selling_started = Instant::now();
    let deadline = selling_started + SELLING_LIMIT;
    let sold_out_watch =
        tokio::spawn(watch_hub_sold_out(ctx.clone(), variants.clone(), warehouse, deadline, hub_sold_out.clone()));
    let buyers: Vec<_> = (0..args.buyers)
        .map(|n| {
            let (sim, sold_out) = (sims[n % KINDS.len()].clone(), hub_sold_out.clone());
            tokio::spawn(buy(sim, n % KINDS.len(), n as u64, args.skus, deadline, sold_out))
        })
        .collect();
    let (mut accepted, mut refused, mut timed_out) = (Vec::new(), 0, false);
    for buyer in buyers {
        let outcome = buyer.await.context("a buyer stopped")?;
        accepted.extend(outcome.accepted);
        refused += outcome.refused;
        timed_out |= outcome.timed_out;
    }
    let selling_s = selling_started.elapsed().as_secs_f64();
    sold_out_watch.await.context("the sold-out watch stopped")?;

    // Every accepted order in the hub (bounded), then the pushes settled.
    let kind_of: HashMap<i64, ChannelKind> = channels.iter().zip(&sims).map(|(c, s)| (c.id, s.kind)).collect();
    let orders_deadline = Instant::now() + ORDERS_LIMIT + args.webhook_delay;
    let held = loop {
        let held = hub_orders(ctx, &kind_of).await?;
        let all_in = accepted.iter().all(|a| held.contains_key(&(channels[a.channel].id, a.order_id)));
        if all_in || Instant::now() > orders_deadline {
            break held;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    settle(ctx, SETTLE_LIMIT, false).await.context("last pushes")?;
    tokio::time::sleep(WATCH_EVERY * 3).await;
    stop_watching.store(true, Ordering::SeqCst);
    let listings = watcher.await.context("the listing watch stopped")?;

    // Units.
    let stock_units = args.stock * args.skus as i64;
    let mut sold = vec![0i64; args.skus];
    for line in accepted.iter().flat_map(|a| &a.lines) {
        sold[line.0] += line.1;
    }
    let sold_units: i64 = sold.iter().sum();
    let oversold_units: i64 = sold.iter().map(|s| (s - args.stock).max(0)).sum();
    let duplicates: usize = held.values().map(|n| n.saturating_sub(1)).sum();
    let lost = accepted.iter().filter(|a| !held.contains_key(&(channels[a.channel].id, a.order_id))).count();

    // From the hub's sell-out of a SKU to each channel showing 0.
    let mut to_zero_ms = Vec::new();
    let mut zero_never_seen = 0;
    let mut slowest_to_zero = serde_json::Map::new();
    for (sku, variant) in variants.iter().enumerate() {
        let Some(sold_out_at) = hub_sold_out_at(ctx, *variant, warehouse).await? else { continue };
        for (channel, seen) in listings.iter().map(|per_sku| &per_sku[sku]).enumerate() {
            match ms_to_zero(seen, sold_out_at) {
                Some(ms) => {
                    to_zero_ms.push(ms);
                    let slowest = slowest_to_zero.entry(KINDS[channel].as_str().to_string()).or_insert(json!(0.0));
                    *slowest = json!(round2(ms.max(slowest.as_f64().unwrap_or(0.0))));
                }
                None => zero_never_seen += 1,
            }
        }
    }
    to_zero_ms.sort_by(f64::total_cmp);
    let channel_ids: Vec<i64> = channels.iter().map(|c| c.id).collect();
    let stages = stages(ctx, &channel_ids, &kind_of).await?;

    Ok(json!({
        "bench": "oversell",
        "mode": args.mode.name(),
        "backend": env.backend.name(),
        "webhook_delay_ms": args.webhook_delay.as_millis() as u64,
        "low_stock_threshold": args.low_stock_threshold,
        "buyers": args.buyers,
        "skus": args.skus,
        "stock_units": stock_units,
        "sold_units": sold_units,
        "oversold_units": oversold_units,
        "oversold_pct": round2(oversold_units as f64 / stock_units as f64 * 100.0),
        "sellout_to_zero_p99_ms": round2(percentile(&to_zero_ms, 99.0)),
        // (SKU, channel) pairs behind the p99, and pairs whose listing never showed 0 (none when the hub converged).
        "sellout_samples": to_zero_ms.len(),
        "sellout_to_zero_max_ms_by_channel": slowest_to_zero,
        "zero_never_seen": zero_never_seen,
        "orders": accepted.len(),
        "refused": refused,
        "duplicates": duplicates,
        "lost": lost,
        "stages": stages,
        "selling_s": round2(selling_s),
        "timed_out": timed_out,
        "peak_rss_mb": env.hub.peak_rss_mb(),
        "cores": cores(),
    }))
}

/// Connects `sim` as a channel with `settings` and links every SKU.
async fn connect_and_link(env: &BenchEnv, sim: &SimHandle, settings: SettingsInput) -> anyhow::Result<channel::Model> {
    let ctx = &env.ctx;
    let channel = connect_sim_with(ctx, sim, settings).await?;
    let input = serde_json::to_value(jobs::linking::LinkInput::default())?;
    let run = jobs::enqueue_run(ctx, SyncRunKind::LinkProducts, Some(channel.id), Some(input))
        .await
        .map_err(|e| anyhow::anyhow!("queueing the link of {}: {e:?}", sim.state.slug()))?;
    let (linked, _) = env.wait(run.id, Instant::now(), SETTLE_LIMIT).await?;
    if linked.status != SyncRunStatus::Completed {
        anyhow::bail!("linking {} failed: {:?}", sim.state.slug(), linked.error_message);
    }
    Ok(channel)
}

/// One buyer on one marketplace: orders of what it lists, until it lists nothing and the hub has sold out (its
/// pushes can't raise a listing again then), or `deadline`.
async fn buy(
    sim: SimHandle,
    channel: usize,
    seed: u64,
    skus: usize,
    deadline: Instant,
    hub_sold_out: Arc<AtomicBool>,
) -> BuyerOutcome {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1_000 + seed);
    let mut outcome = BuyerOutcome::default();
    loop {
        if Instant::now() >= deadline {
            outcome.timed_out = true;
            return outcome;
        }
        let listed: Vec<usize> = {
            let store = sim.state.store();
            (0..skus)
                .filter(|k| store.sku_by_seller_sku(&code(PREFIX, *k)).is_some_and(|(_, s)| s.quantity > 0))
                .collect()
        };
        if listed.is_empty() {
            if hub_sold_out.load(Ordering::SeqCst) {
                return outcome;
            }
            // Sold out here only: the hub's next push lists more.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        let first = listed[rng.random_range(0..listed.len())];
        let mut lines = vec![(first, rng.random_range(1..=3))];
        if listed.len() > 1 && rng.random_bool(0.25) {
            let others: Vec<usize> = listed.iter().copied().filter(|k| *k != first).collect();
            lines.push((others[rng.random_range(0..others.len())], rng.random_range(1..=2)));
        }
        let wire: Vec<(String, i64)> = lines.iter().map(|(k, q)| (code(PREFIX, *k), *q)).collect();
        match sim.state.create_order(&wire, None).await {
            Ok(placed) => outcome.accepted.push(Accepted { channel, order_id: placed.id, lines }),
            // Another buyer took the last units, or the hub's push lowered the listing meanwhile.
            Err(_) => outcome.refused += 1,
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(BUYER_PAUSE_MS))).await;
    }
}

/// Raises its flag when dropped: the listing watch stops however `measure` returns (an error included), instead of
/// reading the simulators for the rest of the process (`bench all` runs other benchmarks after this one).
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Sets `sold_out` once every SKU has nothing available in `warehouse` (or gives up at `deadline`).
async fn watch_hub_sold_out(
    ctx: AppContext,
    variants: Vec<i64>,
    warehouse: i64,
    deadline: Instant,
    sold_out: Arc<AtomicBool>,
) {
    while Instant::now() < deadline {
        let levels = inventory_level::Entity::find()
            .filter(inventory_level::Column::VariantId.is_in(variants.clone()))
            .filter(inventory_level::Column::WarehouseId.eq(warehouse))
            .all(&ctx.db)
            .await;
        match levels {
            Ok(levels)
                if levels.len() == variants.len()
                    && levels.iter().all(|l| l.on_hand - l.committed - l.pending_export <= 0) =>
            {
                sold_out.store(true, Ordering::SeqCst);
                return;
            }
            Ok(_) => {}
            // A busy database: read again next time.
            Err(err) => tracing::debug!(error = %err, "reading levels failed"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every listing's quantity over time until `stop`: per channel (in `KINDS` order) and SKU, (time, quantity) at the
/// start and at each change.
async fn watch_listings(sims: Vec<SimHandle>, skus: usize, stop: Arc<AtomicBool>) -> Vec<Vec<Vec<(At, i64)>>> {
    let codes: Vec<String> = (0..skus).map(|k| code(PREFIX, k)).collect();
    let mut seen: Vec<Vec<Vec<(At, i64)>>> = vec![vec![Vec::new(); skus]; sims.len()];
    let mut ticker = tokio::time::interval(WATCH_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    while !stop.load(Ordering::SeqCst) {
        ticker.tick().await;
        for (sim, per_sku) in sims.iter().zip(&mut seen) {
            let quantities: Vec<i64> = {
                let store = sim.state.store();
                codes.iter().map(|c| store.sku_by_seller_sku(c).map(|(_, s)| s.quantity).unwrap_or(0)).collect()
            };
            let now = chrono::Utc::now();
            for (quantity, history) in quantities.into_iter().zip(per_sku.iter_mut()) {
                if history.last().is_none_or(|(_, last)| *last != quantity) {
                    history.push((now, quantity));
                }
            }
        }
    }
    seen
}

/// When the hub sold `variant` out: the first ledger row of `warehouse` leaving nothing available.
async fn hub_sold_out_at(ctx: &AppContext, variant: i64, warehouse: i64) -> anyhow::Result<Option<At>> {
    let rows = inventory_ledger::Entity::find()
        .filter(inventory_ledger::Column::VariantId.eq(variant))
        .filter(inventory_ledger::Column::WarehouseId.eq(warehouse))
        .order_by_asc(inventory_ledger::Column::Id)
        .all(&ctx.db)
        .await
        .context("reading the ledger")?;
    Ok(rows.iter().find(|r| r.on_hand_after - r.committed_after - r.pending_export_after <= 0).map(|r| r.created_at))
}

/// Milliseconds from `sold_out_at` to the first reading of 0 in `history` (0 when it already showed 0 then);
/// `None` when it never did.
fn ms_to_zero(history: &[(At, i64)], sold_out_at: At) -> Option<f64> {
    let shown_then = history.iter().take_while(|(at, _)| *at <= sold_out_at).last().map(|(_, q)| *q);
    if shown_then.is_some_and(|q| q <= 0) {
        return Some(0.0);
    }
    history
        .iter()
        .find(|(at, q)| *at > sold_out_at && *q <= 0)
        .map(|(at, _)| (*at - sold_out_at).num_microseconds().unwrap_or(0) as f64 / 1000.0)
}

/// Where the time between a sale and the other channels showing it goes, as p50 / p90 / p99 / max milliseconds
/// over the run: `reserved` from the hub storing an order's push (`webhook_events.received_at`) to the commit of
/// its reservation (the ledger row), then from a reservation to each other channel's answer to the first push of
/// that SKU computed after it (`stock_pushes`): `pushed` where that channel had no order event waiting at the
/// reservation, `pushed_orders_waiting` where it had one (the stale-push guard holds all but 0 then);
/// `pushed_by_channel` both per receiving channel, `quantity_calls_by_channel` the calls that pushed quantities;
/// `no_push_after` counts the pairs no such push followed (the channel had sold out itself, or the value was the
/// one it was last given).
async fn stages(
    ctx: &AppContext,
    channel_ids: &[i64],
    kinds: &HashMap<i64, ChannelKind>,
) -> anyhow::Result<serde_json::Value> {
    let sim_order = |channel_id: i64, external_id: &str| {
        kinds.get(&channel_id).and_then(|k| crate::sim::marketplace(*k).order_id_of(external_id))
    };
    let events = webhook_event::Entity::find()
        .filter(webhook_event::Column::ChannelId.is_in(channel_ids.to_vec()))
        .all(&ctx.db)
        .await
        .context("reading the pushes")?;
    let mut received_at: HashMap<(i64, u64), At> = HashMap::new();
    for e in &events {
        let Some(id) = e.external_order_id.as_deref().and_then(|x| sim_order(e.channel_id, x)) else { continue };
        let first = received_at.entry((e.channel_id, id)).or_insert(e.received_at);
        *first = (*first).min(e.received_at);
    }
    let waiting_at = |channel_id: i64, at: At| {
        events
            .iter()
            .any(|e| e.channel_id == channel_id && e.received_at <= at && e.processed_at.is_none_or(|done| done > at))
    };
    let orders: HashMap<i64, (i64, Option<u64>)> = order::Entity::find()
        .all(&ctx.db)
        .await
        .context("reading the hub's orders")?
        .into_iter()
        .map(|o| (o.id, (o.channel_id, sim_order(o.channel_id, &o.external_id))))
        .collect();
    let reservations = inventory_ledger::Entity::find()
        .filter(inventory_ledger::Column::Reason.eq(LedgerReason::OrderReserved))
        .order_by_asc(inventory_ledger::Column::Id)
        .all(&ctx.db)
        .await
        .context("reading the ledger")?;
    let pushes = stock_push::Entity::find()
        .filter(stock_push::Column::Ok.eq(true))
        .filter(stock_push::Column::Quantity.is_not_null())
        .all(&ctx.db)
        .await
        .context("reading the push history")?;
    // Calls per channel: a call's pushes share their answer time.
    let mut calls: HashMap<&'static str, std::collections::HashSet<At>> = HashMap::new();
    for p in &pushes {
        if let Some(kind) = kinds.get(&p.channel_id) {
            calls.entry(kind.as_str()).or_default().insert(p.created_at);
        }
    }
    // Per (channel, variant): (computed at, answered at), by computation.
    let mut answered: HashMap<(i64, i64), Vec<(At, At)>> = HashMap::new();
    for p in pushes {
        let computed = p.inputs.get("computedAt").and_then(|v| v.as_str()).and_then(|v| v.parse::<At>().ok());
        if let (Some(variant), Some(computed)) = (p.variant_id, computed) {
            answered.entry((p.channel_id, variant)).or_default().push((computed, p.created_at));
        }
    }
    answered.values_mut().for_each(|v| v.sort());

    let ms = |from: At, to: At| (to - from).num_microseconds().unwrap_or(0) as f64 / 1000.0;
    let (mut reserved, mut pushed, mut pushed_waiting, mut no_push) = (Vec::new(), Vec::new(), Vec::new(), 0usize);
    let mut by_channel: HashMap<&'static str, Vec<f64>> = HashMap::new();
    for r in &reservations {
        let Some((channel_id, Some(sim_id))) = r.reference_id.and_then(|id| orders.get(&id)) else { continue };
        if let Some(received) = received_at.get(&(*channel_id, *sim_id)) {
            reserved.push(ms(*received, r.created_at));
        }
        for other in channel_ids.iter().filter(|c| *c != channel_id) {
            let after = answered
                .get(&(*other, r.variant_id))
                .and_then(|v| v.iter().find(|(computed, _)| *computed >= r.created_at));
            let Some((_, answered_at)) = after else {
                no_push += 1;
                continue;
            };
            let took = ms(r.created_at, *answered_at);
            if let Some(kind) = kinds.get(other) {
                by_channel.entry(kind.as_str()).or_default().push(took);
            }
            if waiting_at(*other, r.created_at) { pushed_waiting.push(took) } else { pushed.push(took) }
        }
    }
    let figures = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        json!({
            "p50_ms": round2(percentile(&v, 50.0)),
            "p90_ms": round2(percentile(&v, 90.0)),
            "p99_ms": round2(percentile(&v, 99.0)),
            "max_ms": round2(v.last().copied().unwrap_or(0.0)),
            "samples": v.len(),
        })
    };
    let calls: serde_json::Map<_, _> = calls.into_iter().map(|(k, v)| (k.to_string(), json!(v.len()))).collect();
    let by_channel: serde_json::Map<_, _> = by_channel.into_iter().map(|(k, v)| (k.to_string(), figures(v))).collect();
    Ok(json!({
        "reserved": figures(reserved),
        "pushed": figures(pushed),
        "pushed_orders_waiting": figures(pushed_waiting),
        "no_push_after": no_push,
        "quantity_calls_by_channel": calls,
        "pushed_by_channel": by_channel,
    }))
}

/// How many times the hub holds each (channel, simulator order id); orders it cannot map count under id 0.
async fn hub_orders(ctx: &AppContext, kinds: &HashMap<i64, ChannelKind>) -> anyhow::Result<HashMap<(i64, u64), usize>> {
    let mut held = HashMap::new();
    for o in order::Entity::find().all(&ctx.db).await.context("reading the hub's orders")? {
        let id =
            kinds.get(&o.channel_id).and_then(|k| crate::sim::marketplace(*k).order_id_of(&o.external_id)).unwrap_or(0);
        *held.entry((o.channel_id, id)).or_insert(0) += 1;
    }
    Ok(held)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> At {
        chrono::DateTime::from_timestamp_millis(1_800_000_000_000 + ms).unwrap_or_default()
    }

    #[test]
    fn a_listing_reaches_zero_after_the_sell_out_or_already_showed_it() {
        let history = [(at(0), 100), (at(50), 4), (at(400), 0)];
        assert_eq!(ms_to_zero(&history, at(100)), Some(300.0));
        assert_eq!(ms_to_zero(&history, at(400)), Some(0.0), "0 shown at the sell-out");
        let sold_out_by_itself = [(at(0), 100), (at(50), 0), (at(300), 20), (at(700), 0)];
        assert_eq!(ms_to_zero(&sold_out_by_itself, at(100)), Some(0.0));
        assert_eq!(ms_to_zero(&sold_out_by_itself, at(500)), Some(200.0), "raised again by the hub, then 0");
        assert_eq!(ms_to_zero(&[(at(0), 5)], at(10)), None);
    }

    #[test]
    fn no_buyers_skus_or_stock_is_refused() {
        let ok = OversellArgs::issue_defaults(Backend::Sqlite);
        assert!(ok.check().is_ok());
        assert!(OversellArgs { buyers: 0, ..ok }.check().is_err());
        assert!(OversellArgs { skus: 0, ..ok }.check().is_err());
        assert!(OversellArgs { stock: 0, ..ok }.check().is_err());
        assert!(OversellArgs { low_stock_threshold: Some(-1), ..ok }.check().is_err());
    }
}
