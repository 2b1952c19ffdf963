//! `omnisync bench link --variants N`: N listings on a Lazada simulator and N hub variants (2% without barcode,
//! 1% sharing a barcode with another product), then a bulk link of everything. Prints the link run's time and
//! rate, the listing pull's separately (it is bound by the marketplace's request quota, not by the hub), and
//! peak memory.

use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use entity::enums::SyncRunKind;
use entity::{product, product_link, product_variant};

use super::{Backend, BenchEnv, cores};
use crate::channels::ChannelKind;
use crate::jobs::{self, linking::LinkInput};
use crate::services::channels::{ConnectInput, CredentialsInput, connect};

/// Variants (and listing SKUs) per product.
const PER_PRODUCT: usize = 10;
const INSERT_CHUNK: usize = 500;

pub async fn run(variants: usize, backend: Backend, json_out: bool) -> anyhow::Result<()> {
    let env = BenchEnv::start(backend, 4).await?;
    let result = measure(&env, variants).await;
    env.cleanup().await;
    let result = result?;
    super::report(json_out, &result);
    Ok(())
}

async fn measure(env: &BenchEnv, variants: usize) -> anyhow::Result<serde_json::Value> {
    let ctx = &env.ctx;
    let products = variants.div_ceil(PER_PRODUCT);
    // The marketplace: N listing SKUs, 10 per product.
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let sim = crate::sim::start_kind(ChannelKind::Lazada, listener, 7, 0)?;
    {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut store = sim.state.store();
        for p in 0..products {
            let count = PER_PRODUCT.min(variants - p * PER_PRODUCT);
            store.add_product(&mut rng, &format!("Bench {p}"), "BENCH-", p + 1, count);
        }
    }
    // The hub: the same codes as barcodes, 2% missing, 1% copied from another product.
    seed_hub(ctx, variants).await?;
    let c = &sim.state.credentials;
    let connected = connect(
        ctx,
        ConnectInput {
            kind: "LAZADA".into(),
            name: "Lazada bench".into(),
            country: "VN".into(),
            base_url: Some(sim.base_url.clone()),
            credentials: CredentialsInput {
                app_key: c.app_key.clone(),
                app_secret: c.app_secret.clone(),
                access_token: c.access_token.clone(),
                refresh_token: c.refresh_token.clone(),
                ..Default::default()
            },
            settings: Default::default(),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("connect: {e}"))?;
    let channel_id = connected.channel.id;
    let limit = Duration::from_secs(1800);

    let started = Instant::now();
    let pull = jobs::enqueue_run(ctx, SyncRunKind::PullListings, Some(channel_id), None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (pulled, pull_time) = env.wait(pull.id, started, limit).await?;

    let input = serde_json::to_value(LinkInput { refresh_listings: false, ..LinkInput::default() })?;
    let started = Instant::now();
    let link = jobs::enqueue_run(ctx, SyncRunKind::LinkProducts, Some(channel_id), Some(input))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (linked, link_time) = env.wait(link.id, started, limit).await?;
    if linked.error_message.is_some() {
        anyhow::bail!("link run failed: {:?}", linked.error_message);
    }
    let linked_variants = product_link::Entity::find()
        .filter(product_link::Column::State.eq(entity::enums::LinkState::Linked))
        .count(&ctx.db)
        .await?;
    let seconds = link_time.as_secs_f64();
    Ok(json!({
        "bench": "link",
        "backend": env.backend.name(),
        "variants": variants,
        "seconds": round(seconds),
        "variants_per_s": round(variants as f64 / seconds),
        "variants_linked": linked_variants,
        "products_linked": linked.succeeded,
        "products_failed": linked.failed,
        "pull_seconds": round(pull_time.as_secs_f64()),
        "listings_pulled": pulled.succeeded,
        "peak_rss_mb": env.hub.peak_rss_mb(),
        "cores": cores(),
    }))
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

async fn seed_hub(ctx: &crate::context::AppContext, variants: usize) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let products = variants.div_ceil(PER_PRODUCT);
    let rows: Vec<product::ActiveModel> = (0..products)
        .map(|p| product::ActiveModel {
            search_text: Set(entity::derived::product_search_text(&format!("Bench product {p}"))),
            title: Set(format!("Bench product {p}")),
            total_on_hand: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        product::Entity::insert_many(chunk.to_vec()).exec_without_returning(&ctx.db).await?;
    }
    let first_product: i64 = product::Entity::find().one(&ctx.db).await?.map(|p| p.id).unwrap_or(1);
    let mut variant_rows = Vec::with_capacity(variants);
    for i in 0..variants {
        let (p, j) = (i / PER_PRODUCT, i % PER_PRODUCT);
        let code = format!("BENCH-{:04}-{}", p + 1, j + 1);
        let roll: f64 = rng.random();
        let barcode = if roll < 0.02 {
            None
        } else if roll < 0.03 && p > 0 {
            // The barcode of a variant of another product: a conflict.
            Some(format!("BENCH-{:04}-{}", p, j + 1))
        } else {
            Some(code.clone())
        };
        variant_rows.push(product_variant::ActiveModel {
            product_id: Set(first_product + p as i64),
            title: Set(format!("V{}", j + 1)),
            search_text: Set(entity::derived::variant_search_text(&format!("V{}", j + 1), [None; 3])),
            position: Set(j as i32),
            sku: Set(Some(code)),
            barcode: Set(barcode),
            price_minor: Set(10_000),
            track_inventory: Set(true),
            allow_oversell: Set(false),
            hidden: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    }
    for chunk in variant_rows.chunks(INSERT_CHUNK) {
        product_variant::Entity::insert_many(chunk.to_vec()).exec_without_returning(&ctx.db).await?;
    }
    Ok(())
}
