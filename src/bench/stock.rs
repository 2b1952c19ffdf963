//! `omnisync bench stock --skus N --changes M --channels C`: N SKUs linked on C simulated marketplaces (Lazada,
//! Shopee, Tiki, TikTok), then M random stock changes driven into the hub in requests of 100. Prints the time from
//! a hub change to the channel showing it (p50/p99, per change and channel: from the change's commit until the
//! channel shows the new quantity or one the hub held after it, `catch_up`; `first_push_p99_ms` is the earlier
//! measure, to the first accepted push computed after the change, which charges a change undone before its push
//! with the wait for the SKU's next real change), marketplace update calls made against the fewest the APIs' batch
//! maxima allow, the rate changes were applied, and whether every simulator ended equal to the hub.
//! Per channel also: `quota_bound_s`, the least time one pass over the changed SKUs takes at the hub's own rate
//! (what p99 can't beat while every SKU keeps changing), and `to_zero_p99_ms`, p99 restricted to the changes (about
//! 1%) that leave a SKU with nothing, a sell-out the marketplace must hear of soon.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use entity::enums::{SyncRunKind, SyncRunStatus};
use entity::{product_link, stock_push};

use super::{Backend, BenchEnv, cores, percentile, round2};
use crate::channels::ChannelKind;
use crate::domain::channel::StockPriceUpdate;
use crate::graphql::relay::global_id;
use crate::jobs;
use crate::sim::fixtures::{connect_sim, mismatches, seed_hub, seed_sim, settle};

/// The marketplaces of the benchmark, in order (`--channels` takes the first ones).
pub const KINDS: [ChannelKind; 4] = [ChannelKind::Lazada, ChannelKind::Shopee, ChannelKind::Tiki, ChannelKind::Tiktok];
/// Changes per `inventory::adjust` request.
const CHANGES_PER_REQUEST: usize = 100;
/// Share of the changes that take a SKU with stock down to 0 (for `to_zero_p99_ms`).
const TO_ZERO_SHARE: f64 = 0.01;
const ADJUST: &str = "mutation($changes: [InventoryChangeInput!]!) {
    inventoryAdjustQuantities(input: { reason: ADJUSTMENT, changes: $changes }) { userErrors { field code message } } }";
/// The hub's counters of update calls made by its pushes, and of the fewest the batch maxima allow.
const CALLS: &str = "omnisync_stock_push_calls_total";
const MINIMUM_CALLS: &str = "omnisync_stock_push_calls_minimum_total";

/// `rate`: changes per second (0: as fast as the hub takes them).
pub async fn run(
    skus: usize,
    changes: usize,
    channels: usize,
    rate: f64,
    backend: Backend,
    json_out: bool,
) -> anyhow::Result<()> {
    let env = BenchEnv::start(backend, 8).await?;
    let result = measure(&env, skus, changes, channels.clamp(1, KINDS.len()), rate).await;
    env.cleanup().await;
    let result = result?;
    super::report(json_out, &result);
    Ok(())
}

/// A wall-clock instant (computed and accepted times of a push).
type At = chrono::DateTime<chrono::Utc>;

async fn measure(
    env: &BenchEnv,
    skus: usize,
    changes: usize,
    channel_count: usize,
    rate: f64,
) -> anyhow::Result<serde_json::Value> {
    let ctx = &env.ctx;
    let prefix = "BS-";
    let mut sims = Vec::new();
    for kind in &KINDS[..channel_count] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let sim = crate::sim::start_kind(*kind, listener, 7, 0)?;
        seed_sim(&sim, skus, prefix);
        sims.push(sim);
    }
    let variant_ids = seed_hub(&ctx.db, skus, prefix).await?;
    let mut connected = Vec::new();
    for sim in &sims {
        let channel = connect_sim(ctx, sim).await?;
        let run = jobs::enqueue_run(
            ctx,
            SyncRunKind::LinkProducts,
            Some(channel.id),
            Some(serde_json::to_value(jobs::linking::LinkInput::default())?),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let (linked, _) = env.wait(run.id, Instant::now(), Duration::from_secs(1800)).await?;
        if linked.status != SyncRunStatus::Completed {
            anyhow::bail!("linking {} failed: {:?}", sim.state.slug(), linked.error_message);
        }
        connected.push((channel, sim));
    }
    settle(ctx, Duration::from_secs(1800), false).await.context("first push")?;
    env.analyze().await?;

    // The changes: requests of 100 distinct variants, on hand kept ≥ 0, through the hub's API as a merchant's tool
    // would send them (the hub kicks its pushes itself).
    let (calls0, min0) = (env.hub.metric_sum(CALLS).await?, env.hub.metric_sum(MINIMUM_CALLS).await?);
    let warehouse = crate::services::catalog::default_warehouse(&ctx.db).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let warehouse = global_id("Warehouse", warehouse.id);
    let mut rng = rand::rngs::StdRng::seed_from_u64(2024);
    let mut on_hand: HashMap<i64, i64> = variant_ids.iter().map(|id| (*id, 0)).collect();
    // Per request: its commit time and, per change, the variant and its on hand after the change.
    let mut log: Vec<(At, Vec<(i64, i64)>)> = Vec::new();
    let started = Instant::now();
    let mut done = 0;
    // Paced: ten requests a second, each of a tenth of the rate.
    let per_request =
        if rate > 0.0 { ((rate / 10.0).ceil() as usize).clamp(1, CHANGES_PER_REQUEST) } else { CHANGES_PER_REQUEST };
    while done < changes {
        if rate > 0.0 {
            tokio::time::sleep_until((started + Duration::from_secs_f64(done as f64 / rate)).into()).await;
        }
        let n = per_request.min(changes - done).min(variant_ids.len());
        let mut chosen = HashSet::new();
        while chosen.len() < n {
            chosen.insert(variant_ids[rng.random_range(0..variant_ids.len())]);
        }
        let batch: Vec<(i64, i64)> = chosen
            .iter()
            .map(|id| {
                let current = on_hand[id];
                let mut delta: i64 = rng.random_range(-3..=5);
                // Only the drawn share below leaves nothing: drawn from -3..=5 near 0, about one change in forty
                // did, and each sell-out costs a call out of turn on a per-product API.
                if delta == 0 || current + delta <= 0 {
                    delta = rng.random_range(1..=5);
                }
                if current > 0 && rng.random_bool(TO_ZERO_SHARE) {
                    delta = -current;
                }
                (*id, delta)
            })
            .collect();
        let input: Vec<serde_json::Value> = batch
            .iter()
            .map(|(id, delta)| {
                json!({ "variantId": global_id("ProductVariant", *id), "warehouseId": warehouse, "delta": delta })
            })
            .collect();
        let adjusted = env.hub.graphql(ADJUST, json!({ "changes": input })).await?;
        let refused = &adjusted["inventoryAdjustQuantities"]["userErrors"];
        if refused.as_array().is_none_or(|errors| !errors.is_empty()) {
            anyhow::bail!("the hub refused a stock change: {refused}");
        }
        let at = chrono::Utc::now();
        for (id, delta) in &batch {
            *on_hand.entry(*id).or_default() += delta;
        }
        log.push((at, batch.iter().map(|(id, _)| (*id, on_hand.get(id).copied().unwrap_or(0))).collect()));
        done += n;
    }
    let apply_secs = started.elapsed().as_secs_f64();
    settle(ctx, Duration::from_secs(1800), false).await.context("last push")?;
    let api_calls = (env.hub.metric_sum(CALLS).await? - calls0) as u64;
    let min_api_calls = (env.hub.metric_sum(MINIMUM_CALLS).await? - min0) as u64;

    // Latency: per change and channel, from the commit until the channel shows a value the hub has held since.
    let bench_start = log.first().map(|(t, _)| *t).unwrap_or_else(chrono::Utc::now);
    let links: Vec<product_link::Model> =
        product_link::Entity::find().filter(product_link::Column::VariantId.is_not_null()).all(&ctx.db).await?;
    let links_of: HashMap<i64, Vec<i64>> = links.iter().fold(HashMap::new(), |mut m, l| {
        if let Some(v) = l.variant_id {
            m.entry(v).or_insert_with(Vec::new).push(l.id);
        }
        m
    });
    // Per link: (computed, accepted, quantity sent) of every accepted push, the first settle's included (what the
    // channel showed when the changes began).
    let mut pushes: BTreeMap<i64, Vec<(At, At, Option<i64>)>> = BTreeMap::new();
    for p in stock_push::Entity::find().filter(stock_push::Column::Ok.eq(true)).all(&ctx.db).await? {
        let computed = p
            .inputs
            .get("computedAt")
            .and_then(|v| v.as_str())
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&chrono::Utc));
        if let (Some(link), Some(computed)) = (p.product_link_id, computed) {
            pushes.entry(link).or_default().push((computed, p.created_at, p.quantity));
        }
    }
    for v in pushes.values_mut() {
        v.sort();
    }
    // Per link: the quantities the channel showed, from when it accepted them.
    let shown: HashMap<i64, Vec<(At, i64)>> = pushes
        .iter()
        .map(|(link, ps)| {
            let mut shown: Vec<(At, i64)> =
                ps.iter().filter_map(|(_, accepted, q)| q.map(|q| (*accepted, q))).collect();
            shown.sort();
            (*link, shown)
        })
        .collect();
    // Per variant: the hub's quantity for the channels over time. In this benchmark it is the on hand (the default
    // warehouse, no reservations, no safety stock), which `converged` checks with the hub's own rule at the end.
    let mut hub_values: HashMap<i64, Vec<(At, i64)>> = HashMap::new();
    for (at, changed) in &log {
        for (v, value) in changed {
            hub_values.entry(*v).or_default().push((*at, *value));
        }
    }
    let kind_of_link: HashMap<i64, &'static str> = {
        let kinds: HashMap<i64, &'static str> = connected.iter().map(|(c, s)| (c.id, s.state.slug())).collect();
        links.iter().filter_map(|l| kinds.get(&l.channel_id).map(|k| (l.id, *k))).collect()
    };
    let mut latencies = Vec::new();
    let mut per_kind: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    // The same, for changes that left nothing, counted when what the channel caught up with was a 0.
    let mut to_zero_per_kind: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    // The earlier measure, kept beside it: to the first accepted push computed after the change.
    let mut first_push_per_kind: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    // The slowest samples, for `RUST_LOG=omnisync::bench=debug`: (ms, seconds into the run, channel, link), of all
    // changes and of those to 0.
    let mut slowest: Vec<(f64, f64, &'static str, i64)> = Vec::new();
    let mut slowest_to_zero: Vec<(f64, f64, &'static str, i64)> = Vec::new();
    // Changes the channel caught up with without a push: undone (5 → 8 → 5) before one was needed.
    let mut collapsed = 0usize;
    let mut never_caught_up = 0usize;
    let ms_between = |from: At, to: At| (to - from).num_microseconds().unwrap_or(0) as f64 / 1000.0;
    for (variant, values) in &hub_values {
        for link in links_of.get(variant).map(Vec::as_slice).unwrap_or(&[]) {
            let kind = kind_of_link.get(link).copied().unwrap_or("?");
            let shown = shown.get(link).map(Vec::as_slice).unwrap_or(&[]);
            for (i, (at, value)) in values.iter().enumerate() {
                let Some(caught) = catch_up(values, i, shown) else {
                    never_caught_up += 1;
                    continue;
                };
                let ms = ms_between(*at, caught.at);
                latencies.push(ms);
                per_kind.entry(kind).or_default().push(ms);
                if !caught.by_push {
                    collapsed += 1;
                }
                let sample = (ms, ms_between(bench_start, *at) / 1000.0, kind, *link);
                if *value == 0 && caught.value == 0 {
                    to_zero_per_kind.entry(kind).or_default().push(ms);
                    slowest_to_zero.push(sample);
                }
                slowest.push(sample);
                let first_push = pushes.get(link).and_then(|ps| ps.iter().find(|(computed, ..)| computed >= at));
                if let Some((_, accepted, _)) = first_push {
                    first_push_per_kind.entry(kind).or_default().push(ms_between(*at, *accepted));
                }
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    slowest_to_zero.sort_by(|a, b| b.0.total_cmp(&a.0));
    let seconds_in = |at: &At| ms_between(bench_start, *at) / 1000.0;
    for (ms, offset_s, kind, link) in slowest.iter().take(20).chain(slowest_to_zero.iter().take(20)) {
        // What the hub held and what the channel showed, seconds into the run.
        let variant = links.iter().find(|l| l.id == *link).and_then(|l| l.variant_id).unwrap_or_default();
        let held: Vec<(f64, i64)> =
            hub_values.get(&variant).into_iter().flatten().map(|(t, v)| (seconds_in(t), *v)).collect();
        let showed: Vec<(f64, f64, Option<i64>)> = pushes
            .get(link)
            .into_iter()
            .flatten()
            .map(|(computed, accepted, q)| (seconds_in(computed), seconds_in(accepted), *q))
            .collect();
        tracing::debug!(ms, offset_s, channel = kind, link, ?held, ?showed, "slow change");
    }
    let changed: HashSet<i64> = log.iter().flat_map(|(_, c)| c.iter().map(|(v, _)| *v)).collect();
    let mut quota_bound_s: HashMap<&'static str, f64> = HashMap::new();
    for (channel, sim) in &connected {
        quota_bound_s.insert(sim.state.slug(), one_pass_at_hub_rate_s(ctx, channel.id, sim.kind, &changed).await?);
    }
    let by_channel: serde_json::Map<String, serde_json::Value> = per_kind
        .into_iter()
        .map(|(k, mut v)| {
            v.sort_by(f64::total_cmp);
            let mut to_zero = to_zero_per_kind.remove(k).unwrap_or_default();
            to_zero.sort_by(f64::total_cmp);
            let mut first_push = first_push_per_kind.remove(k).unwrap_or_default();
            first_push.sort_by(f64::total_cmp);
            let figures = json!({
                "p50_ms": round2(percentile(&v, 50.0)),
                "p99_ms": round2(percentile(&v, 99.0)),
                "quota_bound_s": quota_bound_s.get(k).copied().map(round2),
                "to_zero_p99_ms": round2(percentile(&to_zero, 99.0)),
                "to_zero_samples": to_zero.len(),
                "first_push_p99_ms": round2(percentile(&first_push, 99.0)),
            });
            (k.to_owned(), figures)
        })
        .collect();
    let mut bad = 0;
    for (channel, sim) in &connected {
        bad += mismatches(ctx, channel, sim).await?.len();
    }
    Ok(json!({
        "bench": "stock",
        "backend": env.backend.name(),
        "skus": skus,
        "changes": changes,
        "channels": channel_count,
        "p50_ms": round2(percentile(&latencies, 50.0)),
        "p99_ms": round2(percentile(&latencies, 99.0)),
        "api_calls": api_calls,
        "min_api_calls": min_api_calls,
        "api_calls_per_changed_sku": round2(api_calls as f64 / (changes.max(1) * channel_count) as f64),
        "changes_per_s": round2(changes as f64 / apply_secs),
        "rate": (rate > 0.0).then_some(rate),
        "converged": bad == 0,
        "mismatched_skus": bad,
        // Calls the simulators refused for exceeding the marketplace's quota (the hub's limiter should keep it 0).
        "refused_by_quota": connected.iter().map(|(_, sim)| sim.state.quota_refusals()).sum::<u64>(),
        "changes_collapsed": collapsed,
        // Changes some channel never caught up with (0 when `converged`).
        "never_caught_up": never_caught_up,
        "by_channel": by_channel,
        "latency_samples": latencies.len(),
        "peak_rss_mb": env.hub.peak_rss_mb(),
        "cores": cores(),
    }))
}

/// When a channel caught up with a change: the moment it showed the value, or another the hub held since.
#[derive(Debug, PartialEq)]
struct CatchUp {
    at: At,
    /// The value the channel showed then.
    value: i64,
    /// Whether a push made it so (else the hub came back to what the channel showed: the change needed no push).
    by_push: bool,
}

/// The first moment from change `i` of `hub` (a variant's quantities, from when the hub held them) at which
/// `shown` (a link's quantities, from when the channel accepted them; sorted) is one of the hub's values since that
/// change. A change a later one undid before a push was due needs no push: the channel was right again when the hub
/// came back to its number, not at the SKU's next push. Before its first push a channel shows what it showed when
/// the benchmark began, the hub's starting 0 (the first settle converged on it).
fn catch_up(hub: &[(At, i64)], i: usize, shown: &[(At, i64)]) -> Option<CatchUp> {
    let (at, value) = *hub.get(i)?;
    let mut held = vec![value];
    let mut next_push = shown.partition_point(|(accepted, _)| *accepted <= at);
    let mut showing = next_push.checked_sub(1).map_or(0, |j| shown[j].1);
    if showing == value {
        return Some(CatchUp { at, value, by_push: false });
    }
    let mut next_change = i + 1;
    loop {
        let push = shown.get(next_push);
        let change = hub.get(next_change);
        let (when, by_push) = match (push, change) {
            (Some(&(accepted, quantity)), Some(&(changed, _))) if accepted <= changed => {
                showing = quantity;
                next_push += 1;
                (accepted, true)
            }
            (Some(&(accepted, quantity)), None) => {
                showing = quantity;
                next_push += 1;
                (accepted, true)
            }
            (_, Some(&(changed, later))) => {
                held.push(later);
                next_change += 1;
                (changed, false)
            }
            (None, None) => return None,
        };
        if held.contains(&showing) {
            return Some(CatchUp { at: when, value: showing, by_push });
        }
    }
}

/// Seconds one pass over the `changed` variants' listings on a channel takes at the hub's own rate, its quota
/// (`hub_rate_per_second`, per API where the marketplace counts per API; stock updates are one API):
/// `calls = UpdateLimits::minimum_calls` — for Lazada, Tiki (and the web store) `ceil(changed SKUs / batch
/// maximum)`, for Shopee and TikTok, whose update takes one product, `Σ over changed products ceil(its changed SKUs /
/// batch maximum)` (one call per product at 10 SKUs a product) — and `seconds = calls / hub_rate_per_second`. E.g.
/// 10,000 SKUs in 1,000 products, all changed: Lazada 10,000 / 50 = 200 calls at 40/s = 5 s; Shopee and TikTok
/// 1,000 calls at 40/s = 25 s; Tiki 200 calls at 100/s = 2 s. While every SKU keeps changing, a change can wait up
/// to about one such pass, so p99 is bounded below by it.
async fn one_pass_at_hub_rate_s(
    ctx: &crate::context::AppContext,
    channel_id: i64,
    kind: ChannelKind,
    changed: &HashSet<i64>,
) -> anyhow::Result<f64> {
    let listings = product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel_id))
        .find_also_related(entity::channel_listing::Entity)
        .all(&ctx.db)
        .await
        .context("reading the channel's links")?;
    let updates: Vec<StockPriceUpdate> = listings
        .into_iter()
        .filter(|(link, _)| link.variant_id.is_some_and(|v| changed.contains(&v)))
        .filter_map(|(_, listing)| listing)
        .map(|listing| StockPriceUpdate {
            external_product_id: listing.external_product_id,
            external_sku_id: listing.external_sku_id,
            seller_sku: listing.seller_sku,
            quantity: Some(0),
            price_minor: None,
            sale: None,
        })
        .collect();
    let marketplace = crate::channels::marketplace(kind);
    let calls = marketplace.updates.minimum_calls(&updates);
    Ok(calls as f64 / f64::from(marketplace.hub_rate_per_second.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> At {
        chrono::DateTime::from_timestamp_millis(1_700_000_000_000 + ms).unwrap_or_default()
    }

    #[test]
    fn a_change_is_caught_up_by_the_first_push_showing_a_value_the_hub_held_since() {
        struct Case {
            name: &'static str,
            hub: Vec<(At, i64)>,
            i: usize,
            shown: Vec<(At, i64)>,
            expected: Option<CatchUp>,
        }
        let cases = [
            Case {
                name: "pushed",
                hub: vec![(t(0), 5)],
                i: 0,
                shown: vec![(t(300), 5)],
                expected: Some(CatchUp { at: t(300), value: 5, by_push: true }),
            },
            Case {
                name: "an older value pushed first does not count",
                hub: vec![(t(0), 5)],
                i: 0,
                shown: vec![(t(100), 3), (t(300), 5)],
                expected: Some(CatchUp { at: t(300), value: 5, by_push: true }),
            },
            Case {
                name: "undone before a push: right again when the hub came back",
                hub: vec![(t(0), 8), (t(400), 0)],
                i: 0,
                shown: vec![(t(50_000), 3)],
                expected: Some(CatchUp { at: t(400), value: 0, by_push: false }),
            },
            Case {
                name: "undoing change needs nothing",
                hub: vec![(t(0), 8), (t(400), 0)],
                i: 1,
                shown: vec![],
                expected: Some(CatchUp { at: t(400), value: 0, by_push: false }),
            },
            Case {
                name: "superseded: the later value pushed",
                hub: vec![(t(0), 8), (t(400), 6)],
                i: 0,
                shown: vec![(t(900), 6)],
                expected: Some(CatchUp { at: t(900), value: 6, by_push: true }),
            },
            Case {
                name: "a push accepted before the change is what the channel showed",
                hub: vec![(t(0), 8), (t(400), 6)],
                i: 1,
                shown: vec![(t(100), 6)],
                expected: Some(CatchUp { at: t(400), value: 6, by_push: false }),
            },
            Case { name: "never", hub: vec![(t(0), 8)], i: 0, shown: vec![(t(100), 7)], expected: None },
        ];
        for case in cases {
            assert_eq!(catch_up(&case.hub, case.i, &case.shown), case.expected, "{}", case.name);
        }
    }
}
