//! `omnisync bench graphql`: read latency and throughput of a catalog page — 50 products with their variants and
//! stock levels — with 64 connections asking at once for a fixed time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Mutex;

use entity::enums::{LedgerReason, TokenScope};

use super::{Backend, BenchEnv, cores};
use crate::domain::actor::{Actor, system};
use crate::services::{api_tokens, catalog, inventory};

const QUERY: &str = "{ products(first: 50) { edges { node { id title variants { id sku price { amount currencyCode }
    inventoryLevels { onHand available warehouse { name } } } } } } }";

pub async fn run(backend: Backend, connections: usize, seconds: u64, json_out: bool) -> anyhow::Result<()> {
    let (env, port) = BenchEnv::serve(backend).await?;
    let result = measure(&env, port, connections, seconds).await;
    env.cleanup().await;
    super::report(json_out, &result?);
    Ok(())
}

async fn seed(env: &BenchEnv) -> anyhow::Result<()> {
    let ctx = &env.ctx;
    let warehouse = catalog::default_warehouse(&ctx.db).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    for i in 0..200 {
        let variants = (0..3)
            .map(|j| catalog::VariantFields {
                sku: Some(Some(format!("G-{i}-{j}"))),
                price: Some(rust_decimal::Decimal::from(10_000 + i)),
                ..Default::default()
            })
            .collect();
        let fields = catalog::ProductFields { title: Some(format!("Bench {i}")), ..Default::default() };
        let (_, created) = catalog::product_create(&ctx.db, &ctx.settings.currency, fields, variants)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let changes = created
            .iter()
            .map(|v| inventory::AdjustChange { variant_id: v.id, warehouse_id: warehouse.id, delta: 5 })
            .collect();
        inventory::adjust(&ctx.db, &Actor::system(system::BENCH), LedgerReason::Received, None, changes)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?
            .into_parts();
    }
    Ok(())
}

async fn measure(env: &BenchEnv, port: u16, connections: usize, seconds: u64) -> anyhow::Result<serde_json::Value> {
    seed(env).await?;
    let (_, token) =
        api_tokens::create(&env.ctx.db, "bench", TokenScope::Read).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let url = format!("http://127.0.0.1:{port}/graphql");
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (url, token, latencies, errors) = (url.clone(), token.clone(), latencies.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            // One keep-alive connection per task.
            let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap_or_default();
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let ok = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({ "query": QUERY }))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if ok {
                    mine.push(t.elapsed());
                } else {
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
            latencies.lock().await.extend(mine);
        }));
    }
    for t in tasks {
        t.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut all = latencies.lock().await.clone();
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    let round = |x: f64| (x * 10.0).round() / 10.0;
    Ok(json!({
        "bench": "graphql",
        "backend": env.backend.name(),
        "connections": connections,
        "requests": all.len(),
        "errors": errors.load(std::sync::atomic::Ordering::Relaxed),
        "rps": round(all.len() as f64 / elapsed),
        "p50_ms": round(pct(0.50)),
        "p99_ms": round(pct(0.99)),
        "cores": cores(),
    }))
}
