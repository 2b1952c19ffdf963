//! `omnisync bench graphql`: reads as a front end meets them. The hub serves from its own process; this one asks
//! with `--connections` keep-alive connections at once for `--seconds` each, one request after another:
//! - the floor, `{ __typename }`: HTTP, the token check and GraphQL parsing, with nothing to read;
//! - a catalog page: 50 products with their variants, prices and stock levels with their warehouse (of 200
//!   products × 3 variants with a level each, created through the API);
//! - a page of 50 orders with their lines, customer, channel and the lines' variants and listings (imported from a
//!   simulated Lazada by its order pushes).
//!
//! Prints requests/s, p50 and p99 of each, and each page's throughput and p99 against the floor's, measured in the
//! same run; then the engine's own cost of the catalog page (`graphql_engine`: the same query on an in-memory schema
//! of the same shape, one thread) and the throughput it bounds the page to on this machine's cores.
//! `OMNISYNC_BENCH_HUB=<path>` measures another build of the hub with the same load (before/after).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use entity::enums::SyncRunKind;

use super::{Backend, BenchEnv, cores, percentile, round2};
use crate::channels::ChannelKind;
use crate::graphql::relay::global_id;
use crate::jobs;
use crate::services::channels::{ConnectInput, CredentialsInput, connect};

pub const FLOOR: &str = "{ __typename }";
pub const PRODUCTS_PAGE: &str = "{ products(first: 50) { edges { node { id title variants { id sku
    price { amount currencyCode } inventoryLevels { onHand available warehouse { name } } } } } } }";
pub const ORDERS_PAGE: &str = "{ orders(first: 50) { edges { node { id number status total { amount currencyCode }
    placedAt channel { name } customer { name phone } lines { sellerSku quantity price { amount }
    listing { sellerSku } variant { sku product { title } } } } } } }";

const PRODUCTS: usize = 200;
const ORDERS: usize = 50;

pub async fn run(backend: Backend, connections: usize, seconds: u64, json_out: bool) -> anyhow::Result<()> {
    let env = BenchEnv::start(backend, 4).await?;
    let result = measure(&env, connections, seconds).await;
    env.cleanup().await;
    super::report(json_out, &result?);
    Ok(())
}

async fn measure(env: &BenchEnv, connections: usize, seconds: u64) -> anyhow::Result<Value> {
    seed_catalog(env).await.context("seeding the catalog")?;
    seed_orders(env).await.context("seeding the orders")?;
    let duration = Duration::from_secs(seconds);
    let floor = load(env, "floor", FLOOR, connections, duration).await?;
    let products = load(env, "products page", PRODUCTS_PAGE, connections, duration).await?;
    let orders = load(env, "orders page", ORDERS_PAGE, connections, duration).await?;
    // The engine alone on the same page: a bound on the page's throughput however lean the hub around it.
    let engine_ms = super::graphql_engine::page_ms(PRODUCTS_PAGE, Duration::from_secs(3)).await?;
    let engine_bound_rps = cores() as f64 * 1000.0 / engine_ms;
    let schema_ms = schema_page_ms(env, PRODUCTS_PAGE, Duration::from_secs(3)).await?;
    Ok(json!({
        "bench": "graphql",
        "backend": env.backend.name(),
        "connections": connections,
        "seconds_each": seconds,
        "floor": floor.json(None),
        "products_page": products.json(Some(&floor)),
        "engine_products_page_ms": round2(engine_ms),
        "schema_products_page_ms": round2(schema_ms),
        "engine_bound_rps": round2(engine_bound_rps),
        "engine_bound_share_of_floor": round3(engine_bound_rps / floor.rps.max(f64::MIN_POSITIVE)),
        "orders_page": orders.json(Some(&floor)),
        "peak_rss_mb": env.hub.peak_rss_mb(),
        "cores": cores(),
    }))
}

/// 200 products × 3 variants, each with 5 units in the default warehouse, through the API.
async fn seed_catalog(env: &BenchEnv) -> anyhow::Result<()> {
    let warehouse =
        crate::services::catalog::default_warehouse(&env.ctx.db).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let warehouse = global_id("Warehouse", warehouse.id);
    for i in 0..PRODUCTS {
        let variants: Vec<Value> =
            (0..3).map(|j| json!({ "sku": format!("G-{i}-{j}"), "price": (10_000 + i).to_string() })).collect();
        let created = env
            .hub
            .graphql(
                "mutation($input: ProductCreateInput!) { productCreate(input: $input) {
                    product { variants { id } } userErrors { field code message } } }",
                json!({ "input": { "title": format!("Bench {i}"), "variants": variants } }),
            )
            .await?;
        let changes: Vec<Value> = created["productCreate"]["product"]["variants"]
            .as_array()
            .context("productCreate gave no variants")?
            .iter()
            .map(|v| json!({ "variantId": v["id"], "warehouseId": warehouse, "delta": 5 }))
            .collect();
        let stocked = env
            .hub
            .graphql(
                "mutation($changes: [InventoryChangeInput!]!) { inventoryAdjustQuantities(input: {
                    reason: RECEIVED, changes: $changes }) { userErrors { field code message } } }",
                json!({ "changes": changes }),
            )
            .await?;
        let refused = &stocked["inventoryAdjustQuantities"]["userErrors"];
        if refused.as_array().is_none_or(|errors| !errors.is_empty()) {
            anyhow::bail!("stocking was refused: {refused}");
        }
    }
    Ok(())
}

/// A Lazada simulator whose 10 products (SKU-0001-1 …) are hub products too, linked; 50 orders of two lines, each
/// announced by its push and imported by the hub.
async fn seed_orders(env: &BenchEnv) -> anyhow::Result<()> {
    let ctx = &env.ctx;
    let sim = crate::sim::start_kind(ChannelKind::Lazada, std::net::TcpListener::bind("127.0.0.1:0")?, 42, 10)?;
    let skus: Vec<String> =
        sim.state.store().products.iter().flat_map(|p| p.skus.iter().map(|s| s.seller_sku.clone())).collect();
    for sku in &skus {
        let variant = json!({ "sku": sku, "barcode": sku, "price": "10000" });
        let created = env
            .hub
            .graphql(
                "mutation($input: ProductCreateInput!) { productCreate(input: $input) { userErrors { message } } }",
                json!({ "input": { "title": format!("Hub {sku}"), "variants": [variant] } }),
            )
            .await?;
        let refused = &created["productCreate"]["userErrors"];
        if refused.as_array().is_none_or(|errors| !errors.is_empty()) {
            anyhow::bail!("creating the hub product of {sku} was refused: {refused}");
        }
    }
    let channel = connect(
        ctx,
        ConnectInput {
            kind: sim.kind.as_str().to_owned(),
            name: "Lazada bench".into(),
            country: "VN".into(),
            base_url: Some(sim.base_url.clone()),
            credentials: CredentialsInput::from(&sim.state.credentials),
            settings: Default::default(),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("connect: {e}"))?
    .channel;
    let link = jobs::enqueue_run(ctx, SyncRunKind::LinkProducts, Some(channel.id), None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    env.wait(link.id, Instant::now(), Duration::from_secs(300)).await?;
    sim.state.set_webhook_url(Some(format!("{}/webhooks/{}", env.hub.base_url, channel.id)));
    for i in 0..ORDERS {
        let lines = [(skus[i % skus.len()].clone(), 1), (skus[(i + 1) % skus.len()].clone(), 2)];
        sim.state.create_order(&lines, None).await.map_err(|e| anyhow::anyhow!("an order: {e}"))?;
    }
    let started = Instant::now();
    while entity::order::Entity::find().count(&ctx.db).await? < ORDERS as u64 {
        if started.elapsed() > Duration::from_secs(120) {
            anyhow::bail!("the hub did not import {ORDERS} orders within 120 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Milliseconds the hub's own schema takes for one page, executed in this process on the same store one request
/// after another (no HTTP, no concurrency): the hub's resolvers, DataLoaders and database reads without transport.
async fn schema_page_ms(env: &BenchEnv, query: &str, for_at_least: Duration) -> anyhow::Result<f64> {
    let executor = crate::graphql::executor(&env.ctx);
    let principal = crate::graphql::auth::Principal {
        token_id: 0,
        scope: entity::enums::TokenScope::Read,
        token_name: "bench".into(),
    };
    let started = Instant::now();
    let mut pages = 0u32;
    while started.elapsed() < for_at_least || pages == 0 {
        let request = async_graphql::Request::new(query).data(principal.clone());
        let response = async_graphql::Executor::execute(&executor, request).await;
        if !response.errors.is_empty() {
            anyhow::bail!("the schema refused the page: {:?}", response.errors);
        }
        std::hint::black_box(serde_json::to_vec(&response)?);
        pages += 1;
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0 / f64::from(pages))
}

/// What one query did under load.
struct Figures {
    requests: usize,
    errors: usize,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

impl Figures {
    fn json(&self, floor: Option<&Figures>) -> Value {
        let mut out = json!({
            "requests": self.requests,
            "errors": self.errors,
            "rps": round2(self.rps),
            "p50_ms": round2(self.p50_ms),
            "p99_ms": round2(self.p99_ms),
        });
        if let Some(floor) = floor {
            // The bounds: throughput at least 1/7 of the floor's, p99 at most 5× the floor's.
            out["rps_share_of_floor"] = json!(round3(self.rps / floor.rps.max(f64::MIN_POSITIVE)));
            out["p99_times_floor"] = json!(round2(self.p99_ms / floor.p99_ms.max(f64::MIN_POSITIVE)));
        }
        out
    }
}

/// `connections` clients, each on its own keep-alive connection, asking `query` one request after another for
/// `duration`. A request counts when the hub answers 200 with data and no errors.
async fn load(
    env: &BenchEnv,
    name: &str,
    query: &str,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<Figures> {
    // Said when each load starts, so a profiler can be pointed at one of them.
    tracing::info!(name, hub_pid = env.hub.pid(), "measuring");
    let url = format!("{}/graphql", env.hub.base_url);
    let body = serde_json::to_string(&json!({ "query": query }))?;
    let errors = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (url, body, token, errors) = (url.clone(), body.clone(), env.hub.token.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap_or_default();
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let answered = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                let ok = match answered {
                    Ok(response) if response.status().is_success() => {
                        response.bytes().await.is_ok_and(|b| b.starts_with(b"{\"data\"") && !has_errors(&b))
                    }
                    _ => false,
                };
                if ok {
                    mine.push(t.elapsed().as_secs_f64() * 1000.0);
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            mine
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    Ok(Figures {
        requests: latencies.len(),
        errors: errors.load(Ordering::Relaxed),
        rps: latencies.len() as f64 / elapsed,
        p50_ms: percentile(&latencies, 50.0),
        p99_ms: percentile(&latencies, 99.0),
    })
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn has_errors(body: &[u8]) -> bool {
    body.windows(9).any(|w| w == b"\"errors\":")
}
