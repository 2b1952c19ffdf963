//! Fixtures the benchmarks and the integration tests share: a simulator and a hub catalog seeded with the same
//! SKUs, a channel connected to a simulator, waiting for stock pushes to settle, and the checks that every
//! simulator shows what the hub's rules give and that every ordered unit was reserved once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use entity::enums::{LedgerReason, LedgerReference, LinkState, SyncRunKind, SyncRunStatus};
use entity::{channel, inventory_ledger, order_line, product, product_link, product_variant, sync_run};

use super::{SimHandle, SimProduct, SimSku};
use crate::context::AppContext;
use crate::jobs;
use crate::services::channels::{ConnectInput, CredentialsInput, connect};
use crate::services::stock_push as push;

/// SKUs per product (marketplaces that update per product then batch well).
pub const PER_PRODUCT: usize = 10;
/// Rows per multi-row insert.
const INSERT_CHUNK: usize = 500;

/// The seller SKU of SKU `i`: `<prefix><product>-<n>`.
pub fn code(prefix: &str, i: usize) -> String {
    format!("{prefix}{:05}-{}", i / PER_PRODUCT + 1, i % PER_PRODUCT + 1)
}

/// Adds `skus` SKUs (10 per product, no options, quantity 0, price 100,000 / list 120,000) to a simulator.
pub fn seed_sim(sim: &SimHandle, skus: usize, prefix: &str) {
    let mut store = sim.state.store();
    let now = chrono::Utc::now();
    for p in 0..skus.div_ceil(PER_PRODUCT) {
        let id = store.next_id();
        let count = PER_PRODUCT.min(skus - p * PER_PRODUCT);
        let skus = (0..count)
            .map(|j| SimSku {
                id: store.next_id(),
                seller_sku: code(prefix, p * PER_PRODUCT + j),
                price: 100_000,
                list_price: 120_000,
                quantity: 0,
                options: Vec::new(),
                sale: None,
            })
            .collect();
        store.products.push(SimProduct {
            id,
            title: format!("Stock bench {p}"),
            status: "active".into(),
            hidden: false,
            computes_stock: false,
            created_at: now,
            updated_at: now,
            skus,
        });
    }
}

/// The same SKUs in the hub (barcode = SKU = the seller SKU); returns the variant ids in SKU order.
pub async fn seed_hub(db: &DatabaseConnection, skus: usize, prefix: &str) -> anyhow::Result<Vec<i64>> {
    let now = chrono::Utc::now();
    let products = skus.div_ceil(PER_PRODUCT);
    let rows: Vec<product::ActiveModel> = (0..products)
        .map(|p| product::ActiveModel {
            search_text: Set(entity::derived::product_search_text(&format!("{prefix} product {p}"))),
            title: Set(format!("{prefix} product {p}")),
            total_on_hand: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        product::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    let product_ids: Vec<i64> = product::Entity::find()
        .filter(product::Column::Title.starts_with(format!("{prefix} product ")))
        .order_by_asc(product::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let mut variant_rows = Vec::with_capacity(skus);
    for i in 0..skus {
        let c = code(prefix, i);
        variant_rows.push(product_variant::ActiveModel {
            product_id: Set(product_ids[i / PER_PRODUCT]),
            title: Set(format!("V{}", i % PER_PRODUCT + 1)),
            search_text: Set(entity::derived::variant_search_text(&format!("V{}", i % PER_PRODUCT + 1), [None; 3])),
            position: Set((i % PER_PRODUCT) as i32),
            sku: Set(Some(c.clone())),
            barcode: Set(Some(c)),
            price_minor: Set(100_000),
            track_inventory: Set(true),
            allow_oversell: Set(false),
            hidden: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    }
    for chunk in variant_rows.chunks(INSERT_CHUNK) {
        product_variant::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    let by_sku: HashMap<String, i64> = product_variant::Entity::find()
        .filter(product_variant::Column::ProductId.is_in(product_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.sku.unwrap_or_default(), v.id))
        .collect();
    (0..skus).map(|i| by_sku.get(&code(prefix, i)).copied().context("a seeded variant is missing")).collect()
}

/// Connects a channel to a simulator with the simulator's credentials.
pub async fn connect_sim(ctx: &AppContext, sim: &SimHandle) -> anyhow::Result<channel::Model> {
    connect_sim_with(ctx, sim, Default::default()).await
}

/// Connects a channel to a simulator with the simulator's credentials and `settings`.
pub async fn connect_sim_with(
    ctx: &AppContext,
    sim: &SimHandle,
    settings: crate::services::channels::SettingsInput,
) -> anyhow::Result<channel::Model> {
    let kind = crate::services::channels::kind_name(sim.kind);
    let connected = connect(
        ctx,
        ConnectInput {
            kind: sim.kind.as_str().to_owned(),
            name: format!("{kind} (simulator)"),
            country: "VN".into(),
            base_url: Some(sim.base_url.clone()),
            credentials: CredentialsInput::from(&sim.state.credentials),
            settings,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("connecting {}: {e:?}", sim.state.slug()))?;
    Ok(connected.channel)
}

/// Waits until no link is due for a push and no push run is waiting or running (kicking pushes meanwhile).
/// `fast_forward`: links waiting out a retry backoff are made due at once (time passes faster in tests).
pub async fn settle(ctx: &AppContext, limit: Duration, fast_forward: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        if fast_forward {
            // Backoffs and held raises are cut short; the wait for a request that may still land is not (pushing
            // inside it is what it guards against, and under injected timeouts every early push may extend it).
            let now = chrono::Utc::now();
            product_link::Entity::update_many()
                .col_expr(product_link::Column::PushRequestedAt, sea_orm::sea_query::Expr::value(now))
                .filter(product_link::Column::PushPending.eq(true))
                .filter(product_link::Column::PushRequestedAt.gt(now))
                .filter(
                    sea_orm::Condition::any()
                        .add(product_link::Column::PushInDoubtUntil.is_null())
                        .add(product_link::Column::PushInDoubtUntil.lte(now)),
                )
                .exec(&ctx.db)
                .await?;
        }
        jobs::stock_push::kick(ctx).await;
        let due = push::channels_with_due_pushes(&ctx.db).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let active = sync_run::Entity::find()
            .filter(sync_run::Column::Kind.eq(SyncRunKind::StockPush))
            .filter(sync_run::Column::Status.is_in([SyncRunStatus::Created, SyncRunStatus::Running]))
            .count(&ctx.db)
            .await?;
        let pending_later = if fast_forward {
            product_link::Entity::find()
                .filter(product_link::Column::PushPending.eq(true))
                .filter(product_link::Column::State.is_in([LinkState::Linked, LinkState::SyncError]))
                .count(&ctx.db)
                .await?
        } else {
            0
        };
        if due.is_empty() && active == 0 && pending_later == 0 {
            return Ok(());
        }
        if started.elapsed() > limit {
            anyhow::bail!(
                "pushes did not settle within {limit:?} ({} channels due, {active} runs active, {pending_later} pending)",
                due.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// SKUs whose quantity on the simulator differs from what the hub's rules give now: (seller SKU, hub, channel).
pub async fn mismatches(
    ctx: &AppContext,
    channel: &channel::Model,
    sim: &SimHandle,
) -> anyhow::Result<Vec<(String, i64, Option<i64>)>> {
    let db = &ctx.db;
    let links = product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel.id))
        .filter(product_link::Column::State.is_in([LinkState::Linked, LinkState::SyncError]))
        .find_also_related(entity::channel_listing::Entity)
        .all(db)
        .await?;
    let warehouses = push::stock_warehouses(db, channel.id).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let variants: HashMap<i64, product_variant::Model> =
        product_variant::Entity::find().all(db).await?.into_iter().map(|v| (v.id, v)).collect();
    let variant_ids: Vec<i64> = variants.keys().copied().collect();
    let levels = warehouses.levels(db, &variant_ids).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let on_sim: HashMap<String, i64> = sim
        .state
        .store()
        .products
        .iter()
        .flat_map(|p| p.skus.iter().map(|s| (s.seller_sku.clone(), s.quantity)))
        .collect();
    let settings = push::push_settings(channel, warehouses.chosen);
    let mut out = Vec::new();
    for (link, listing) in links {
        let (Some(listing), Some(variant)) = (listing, link.variant_id.and_then(|id| variants.get(&id))) else {
            continue;
        };
        let level = levels.get(&variant.id).map(|l| l.total).unwrap_or_default();
        let decision = crate::domain::stock_push::quantity_to_push(push::variant_flags(variant), level, &settings);
        // Where the channel holds an allocated share, the share is its number.
        let Some(want) = crate::domain::stock_push::with_allocation(decision, link.allocated_quantity).quantity else {
            continue;
        };
        let sku = listing.seller_sku.clone().unwrap_or_default();
        let have = on_sim.get(&sku).copied();
        if have != Some(want) {
            out.push((sku, want, have));
        }
    }
    Ok(out)
}

/// Units reserved by orders (the ledger's ORDER_RESERVED committed deltas, reference ORDER) and units on order
/// lines: equal when every order reserved once.
pub async fn reserved_and_ordered_units(db: &sea_orm::DatabaseConnection) -> Result<(i64, i64), sea_orm::DbErr> {
    let reserved: Vec<i64> = inventory_ledger::Entity::find()
        .select_only()
        .column(inventory_ledger::Column::CommittedDelta)
        .filter(inventory_ledger::Column::Reason.eq(LedgerReason::OrderReserved))
        .filter(inventory_ledger::Column::ReferenceType.eq(LedgerReference::Order))
        .into_tuple()
        .all(db)
        .await?;
    let ordered: Vec<i64> =
        order_line::Entity::find().select_only().column(order_line::Column::Quantity).into_tuple().all(db).await?;
    Ok((reserved.iter().sum(), ordered.iter().sum()))
}
