//! `omnisync bench orders --orders N`: four simulators (Lazada, Shopee, TikTok, the web store) take N orders of 1–5
//! lines between them; every second order is announced by webhook, the others only by polling (a poll of each
//! channel every 2 s, as the scheduler would). Measures how long until every order is in the hub, orders imported
//! per second, the p99 time from creation on the simulator to the order in the hub (for the orders announced by
//! webhook; the polled ones separately), duplicates (orders or reservations twice) and lost orders. `--rate R`
//! paces the simulators to R orders a second between them (a shop's steady flow, where the latency is the hub's
//! own); without it they create orders as fast as they can (a burst, where the latency is mostly the backlog).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use sea_orm::{EntityTrait, PaginatorTrait, QuerySelect};
use serde_json::json;

use entity::enums::{LedgerReason, SyncRunKind};
use entity::order;

use super::{Backend, BenchEnv, cores};
use crate::channels::ChannelKind;
use crate::domain::actor::{Actor, system};
use crate::jobs;
use crate::services::catalog::{self, ProductFields, VariantFields};
use crate::services::channels::{ConnectInput, CredentialsInput, connect};
use crate::services::inventory::{self, AdjustChange};
use crate::sim::fixtures::reserved_and_ordered_units;

const KINDS: [ChannelKind; 4] = [ChannelKind::Lazada, ChannelKind::Shopee, ChannelKind::Tiktok, ChannelKind::Webstore];
/// Seeded products per simulator (1–3 SKUs each: 20 SKUs for 10).
const SEED_PRODUCTS: usize = 10;
const POLL_EVERY: Duration = Duration::from_secs(2);

pub async fn run(orders: usize, rate: f64, backend: Backend, json_out: bool) -> anyhow::Result<()> {
    let env = BenchEnv::start(backend, 4).await?;
    let result = measure(&env, orders, rate).await;
    env.cleanup().await;
    let result = result?;
    super::report(json_out, &result);
    Ok(())
}

fn p99(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let index = ((values.len() as f64 * 0.99).ceil() as usize).clamp(1, values.len()) - 1;
    (values[index] * 10.0).round() / 10.0
}

async fn measure(env: &BenchEnv, total: usize, rate: f64) -> anyhow::Result<serde_json::Value> {
    let ctx = &env.ctx;
    // Simulators, each with the same seeded SKUs (SKU-0001-1 …), and one hub variant per SKU with plenty of stock.
    let mut sims = Vec::new();
    for kind in KINDS {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        sims.push(crate::sim::start_kind(kind, listener, 42, SEED_PRODUCTS)?);
    }
    let skus: Vec<String> =
        sims[0].state.store().products.iter().flat_map(|p| p.skus.iter().map(|s| s.seller_sku.clone())).collect();
    let warehouse = catalog::default_warehouse(&ctx.db).await.map_err(|e| anyhow::anyhow!("{e}"))?.id;
    let mut changes = Vec::new();
    for code in &skus {
        let variant = VariantFields {
            sku: Some(Some(code.clone())),
            barcode: Some(Some(code.clone())),
            price: Some(Decimal::from(10_000)),
            ..Default::default()
        };
        let (_, variants) = catalog::product_create(
            &ctx.db,
            &ctx.settings.currency,
            ProductFields { title: Some(format!("Bench {code}")), ..Default::default() },
            vec![variant],
        )
        .await
        .map_err(|e| anyhow::anyhow!("product: {e}"))?;
        changes.extend(variants.iter().map(|v| AdjustChange {
            variant_id: v.id,
            warehouse_id: warehouse,
            delta: 1_000_000,
        }));
    }
    inventory::adjust(&ctx.db, &Actor::system(system::BENCH), LedgerReason::Received, None, changes)
        .await
        .map_err(|e| anyhow::anyhow!("stock: {e}"))?
        .into_parts();

    let mut channels = Vec::new();
    for sim in &sims {
        let connected = connect(
            ctx,
            ConnectInput {
                kind: sim.kind.as_str().to_owned(),
                name: format!("{} bench", sim.state.slug()),
                country: "VN".into(),
                base_url: Some(sim.base_url.clone()),
                credentials: CredentialsInput::from(&sim.state.credentials),
                settings: Default::default(),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("connect {}: {e}", sim.state.slug()))?;
        let channel = connected.channel;
        let link = jobs::enqueue_run(ctx, SyncRunKind::LinkProducts, Some(channel.id), None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        env.wait(link.id, Instant::now(), Duration::from_secs(300)).await?;
        channels.push(channel.id);
    }
    let webhook_url = |channel_id: i64| format!("{}/webhooks/{channel_id}", env.hub.base_url);

    // Polling, as the scheduler does it: a poll per channel every 2 s (never two at once).
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let (ctx, channels, done) = (ctx.clone(), channels.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                for id in &channels {
                    if let Err(err) =
                        jobs::scheduler::enqueue_unless_active(&ctx, SyncRunKind::OrderPoll, *id, None).await
                    {
                        tracing::warn!(error = %err, "bench poll not queued");
                    }
                }
                tokio::time::sleep(POLL_EVERY).await;
            }
        })
    };

    // The orders: round robin over the four shops, every second one announced by webhook.
    let started = Instant::now();
    let started_at = Utc::now();
    let mut creators = Vec::new();
    for (i, sim) in sims.iter().enumerate() {
        let sim = sim.clone();
        let skus = skus.clone();
        let url = webhook_url(channels[i]);
        let mine = total / KINDS.len() + usize::from(i < total % KINDS.len());
        // Each simulator takes its share of the rate.
        let interval = (rate > 0.0).then(|| Duration::from_secs_f64(KINDS.len() as f64 / rate));
        creators.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(i as u64);
            let mut created: Vec<(u64, DateTime<Utc>, bool)> = Vec::with_capacity(mine);
            for n in 0..mine {
                if let Some(interval) = interval {
                    tokio::time::sleep_until((started + interval * n as u32).into()).await;
                }
                let announced = n % 2 == 0;
                sim.state.set_webhook_url(announced.then(|| url.clone()));
                let lines: Vec<(String, i64)> = (0..rng.random_range(1..=5))
                    .map(|_| (skus[rng.random_range(0..skus.len())].clone(), rng.random_range(1..=3)))
                    .collect();
                let at = Utc::now();
                match sim.state.create_order(&lines, Some(at)).await {
                    Ok(order) => created.push((order.id, at, announced)),
                    Err(err) => tracing::warn!(error = %err, "bench order not created"),
                }
            }
            created
        }));
    }
    let mut placed: HashMap<(i64, u64), (DateTime<Utc>, bool)> = HashMap::new();
    for (i, creator) in creators.into_iter().enumerate() {
        for (id, at, announced) in creator.await? {
            placed.insert((channels[i], id), (at, announced));
        }
    }
    let created_in = started.elapsed();

    let limit = Duration::from_secs(600);
    loop {
        let count = order::Entity::find().count(&ctx.db).await?;
        if count as usize >= placed.len() || started.elapsed() > limit {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = poller.await;

    // Latency, duplicates, losses.
    let rows: Vec<(i64, i64, String, DateTime<Utc>)> = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .column(order::Column::ChannelId)
        .column(order::Column::ExternalId)
        .column(order::Column::CreatedAt)
        .into_tuple()
        .all(&ctx.db)
        .await?;
    let kind_of: HashMap<i64, ChannelKind> = channels.iter().copied().zip(KINDS).collect();
    let (mut webhook_ms, mut polled_ms) = (Vec::new(), Vec::new());
    // Per channel: p99 from creation to the hub (all orders, and those announced by webhook), and when its last
    // order arrived (from the start).
    let mut by_channel: HashMap<ChannelKind, (Vec<f64>, Vec<f64>, f64)> = HashMap::new();
    let mut seen: HashMap<(i64, u64), usize> = HashMap::new();
    for (_, channel_id, external, created_at) in &rows {
        let Some(sim_id) = kind_of.get(channel_id).and_then(|k| crate::sim::marketplace(*k).order_id_of(external))
        else {
            continue;
        };
        *seen.entry((*channel_id, sim_id)).or_default() += 1;
        if let Some((at, announced)) = placed.get(&(*channel_id, sim_id)) {
            let ms = (*created_at - *at).num_microseconds().unwrap_or(0) as f64 / 1000.0;
            if *announced {
                webhook_ms.push(ms);
            } else {
                polled_ms.push(ms);
            }
            if let Some(kind) = kind_of.get(channel_id) {
                let entry = by_channel.entry(*kind).or_default();
                entry.0.push(ms);
                if *announced {
                    entry.1.push(ms);
                }
                entry.2 = entry.2.max((*created_at - started_at).num_milliseconds() as f64 / 1000.0);
            }
        }
    }
    let by_channel: serde_json::Map<String, serde_json::Value> = by_channel
        .into_iter()
        .map(|(kind, (ms, webhook, last))| (crate::channels::marketplace(kind).slug.to_owned(), json!({ "p99_ms": p99(ms), "p99_webhook_ms": p99(webhook), "last_in_s": (last * 100.0).round() / 100.0 })))
        .collect();
    let duplicate_orders: usize = seen.values().map(|n| n.saturating_sub(1)).sum();
    let lost = placed.keys().filter(|k| !seen.contains_key(*k)).count();
    // A reservation made twice would show as more committed units in the ledger than the orders hold.
    let (reserved, ordered) = reserved_and_ordered_units(&ctx.db).await?;
    let double_reserved = (reserved - ordered).max(0);
    let backend = env.backend.name();
    Ok(json!({
        "bench": "orders",
        "backend": backend,
        "orders": placed.len(),
        "rate": (rate > 0.0).then_some(rate),
        "seconds": (seconds * 100.0).round() / 100.0,
        "orders_per_s": ((placed.len() as f64 / seconds) * 10.0).round() / 10.0,
        "p99_ms": p99(webhook_ms),
        "p99_polled_ms": p99(polled_ms),
        "duplicates": duplicate_orders as i64 + double_reserved,
        "lost": lost,
        // Calls the simulators refused for exceeding the marketplace's quota (the hub's limiter should keep it 0).
        "refused_by_quota": sims.iter().map(|sim| sim.state.quota_refusals()).sum::<u64>(),
        "by_channel": by_channel,
        "created_in_s": (created_in.as_secs_f64() * 100.0).round() / 100.0,
        "cores": cores(),
        "peak_rss_mb": env.hub.peak_rss_mb(),
    }))
}
