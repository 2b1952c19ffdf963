//! Stock and price push (SPEC §3): marking links push-pending when a change alters what they would push, push
//! rounds (collect pending links and compute each value at send time → send in batches → record every push),
//! the stale-push guard, sync errors with backoff, read-back reconciliation, and the explanation of a number.
//!
//! Concurrency: a round clears `push_pending` in the same transaction that reads the values it will send, with
//! the links locked (`FOR UPDATE` on PostgreSQL; SQLite's write lock). A change committed later marks the link
//! again, so the next round sends the newer value. Rounds of one channel never overlap: the job holds the
//! channel's lease (`services::leases`) across processes.

use std::collections::{BTreeSet, HashMap};

use sea_orm::sea_query::{Expr, LockBehavior, LockType, NullOrdering};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use entity::enums::{ChannelKind, LinkState, SyncErrorKind};
use entity::{
    channel, channel_listing, inventory_level, product_link, product_variant, stock_push, sync_error, warehouse,
    webhook_event,
};

use super::pagination::{Page, PageArgs, paginate};
use super::{ServiceError, ServiceResult, begin_write};
use crate::channels::{Connector, ConnectorError};
use crate::domain::channel::{Listing, StockPriceUpdate};
use crate::domain::inventory::Quantities;
use crate::domain::stock_push::{
    self as rules, PushPlan, PushSettings, QuantityDecision, QuantityRule, VariantFlags, VariantPrices, price_to_push,
    quantity_to_push,
};

/// Sync error code of a failed push (on the link, with backoff retries).
pub const PUSH_FAILED: &str = "STOCK_PUSH_FAILED";
/// Sync error code of a channel quantity that differs from what the hub last pushed.
pub const STOCK_DRIFT: &str = "STOCK_DRIFT";
/// Sync warning: the variant does not track inventory, so no quantity is pushed (SPEC §3).
pub const NOT_TRACKED: &str = "QUANTITY_NOT_TRACKED";
/// Links handled per round (one transaction to collect, one to record).
pub const ROUND_SIZE: u64 = 500;
/// A raise held by the stale-push guard is looked at again after this long (or at the next change).
const HOLD_RECHECK_SECS: i64 = 2;
/// Keys per `IN (…)` list.
const IN_CHUNK: usize = 500;

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// Links in these states push.
const SYNCING: [LinkState; 2] = [LinkState::Linked, LinkState::SyncError];

pub fn push_settings(channel: &channel::Model) -> PushSettings {
    PushSettings {
        sync_quantity: channel.sync_quantity,
        sync_price: channel.sync_price,
        warehouse_chosen: channel.stock_warehouse_id.is_some(),
        oversell_policy: channel.oversell_policy,
        oversell_quantity: channel.oversell_quantity,
        price_policy: channel.price_policy,
    }
}

pub fn variant_flags(v: &product_variant::Model) -> VariantFlags {
    VariantFlags { track_inventory: v.track_inventory, allow_oversell: v.allow_oversell }
}

pub fn variant_prices(v: &product_variant::Model) -> VariantPrices {
    VariantPrices { price: v.price_minor, list_price: v.list_price_minor, cost_price: v.cost_price_minor }
}

/// The warehouse whose stock a channel gets: its chosen one, else the default.
pub async fn stock_warehouse<C: ConnectionTrait>(db: &C, channel: &channel::Model) -> ServiceResult<warehouse::Model> {
    if let Some(id) = channel.stock_warehouse_id
        && let Some(w) = warehouse::Entity::find_by_id(id).one(db).await?
    {
        return Ok(w);
    }
    super::catalog::default_warehouse(db).await
}

// ------------------------------------------------------------------------------------------------ marking

/// Marks links push-pending (and due now).
async fn mark<C: ConnectionTrait>(db: &C, condition: Condition) -> ServiceResult<u64> {
    let at = now();
    let result = product_link::Entity::update_many()
        .col_expr(product_link::Column::PushPending, Expr::value(true))
        .col_expr(product_link::Column::PushRequestedAt, Expr::value(at))
        .filter(product_link::Column::State.is_in(SYNCING))
        .filter(condition)
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// A level written by a stock movement: what it was before the transaction's movements and after them.
pub struct LevelMove<'a> {
    pub variant: &'a product_variant::Model,
    pub warehouse_id: i64,
    pub before: Quantities,
    pub after: Quantities,
}

/// Called by `inventory::LevelBook::flush` inside its transaction, after the levels were written: marks the links
/// whose pushed quantity changes with these moves (the channel's stock warehouse is the level's and the rule
/// gives another number).
pub async fn on_levels_changed(txn: &DatabaseTransaction, moves: &[LevelMove<'_>]) -> ServiceResult<()> {
    if moves.is_empty() {
        return Ok(());
    }
    let mut ids = Vec::new();
    let mut default_id = None;
    let variant_ids: Vec<i64> = moves.iter().map(|m| m.variant.id).collect::<BTreeSet<i64>>().into_iter().collect();
    for chunk in variant_ids.chunks(IN_CHUNK) {
        let links = product_link::Entity::find()
            .filter(product_link::Column::VariantId.is_in(chunk.to_vec()))
            .filter(product_link::Column::State.is_in(SYNCING))
            .find_also_related(channel::Entity)
            .all(txn)
            .await?;
        for (link, channel) in links {
            let Some(channel) = channel else { continue };
            let stock_id = match channel.stock_warehouse_id {
                Some(id) => id,
                None => match default_id {
                    Some(id) => id,
                    None => {
                        let id = super::catalog::default_warehouse(txn).await?.id;
                        default_id = Some(id);
                        id
                    }
                },
            };
            let settings = push_settings(&channel);
            let changed =
                moves.iter().filter(|m| Some(m.variant.id) == link.variant_id && m.warehouse_id == stock_id).any(|m| {
                    let flags = variant_flags(m.variant);
                    quantity_to_push(flags, m.before, &settings).quantity
                        != quantity_to_push(flags, m.after, &settings).quantity
                });
            if changed {
                ids.push(link.id);
            }
        }
    }
    for chunk in ids.chunks(IN_CHUNK) {
        mark(txn, Condition::all().add(product_link::Column::Id.is_in(chunk.to_vec()))).await?;
    }
    Ok(())
}

/// Marks every syncing link of these variants (a price or stock-rule field of the variant changed).
pub async fn mark_variants<C: ConnectionTrait>(db: &C, variant_ids: &[i64]) -> ServiceResult<u64> {
    let mut marked = 0;
    for chunk in variant_ids.chunks(IN_CHUNK) {
        marked += mark(db, Condition::all().add(product_link::Column::VariantId.is_in(chunk.to_vec()))).await?;
    }
    Ok(marked)
}

/// Marks every syncing link of a channel (a push setting of the channel changed).
pub async fn mark_channel<C: ConnectionTrait>(db: &C, channel_id: i64) -> ServiceResult<u64> {
    mark(db, Condition::all().add(product_link::Column::ChannelId.eq(channel_id))).await
}

/// Whether a variant update changes anything a push depends on.
pub fn variant_push_fields_changed(before: &product_variant::Model, after: &product_variant::Model) -> bool {
    variant_prices(before) != variant_prices(after) || variant_flags(before) != variant_flags(after)
}

/// Whether a channel settings change alters what its links push.
pub fn channel_push_settings_changed(before: &channel::Model, after: &channel::Model) -> bool {
    push_settings(before) != push_settings(after) || before.stock_warehouse_id != after.stock_warehouse_id
}

/// Channels with links due for a push now.
pub async fn channels_with_due_pushes(db: &DatabaseConnection) -> ServiceResult<Vec<i64>> {
    let ids: Vec<i64> = product_link::Entity::find()
        .select_only()
        .column(product_link::Column::ChannelId)
        .distinct()
        .filter(due_condition(now()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids)
}

fn due_condition(at: chrono::DateTime<chrono::Utc>) -> Condition {
    Condition::all()
        .add(product_link::Column::PushPending.eq(true))
        .add(product_link::Column::State.is_in(SYNCING))
        .add(product_link::Column::ListingId.is_not_null())
        .add(product_link::Column::VariantId.is_not_null())
        .add(
            Condition::any()
                .add(product_link::Column::PushRequestedAt.is_null())
                .add(product_link::Column::PushRequestedAt.lte(at)),
        )
}

/// Whether the channel has links due for a push now.
pub async fn has_due_pushes(db: &DatabaseConnection, channel_id: i64) -> ServiceResult<bool> {
    Ok(product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel_id))
        .filter(due_condition(now()))
        .one(db)
        .await?
        .is_some())
}

/// Whether an order event of the channel is still waiting to be imported (`webhook_events.processed_at` NULL).
pub async fn orders_waiting<C: ConnectionTrait>(db: &C, channel_id: i64) -> ServiceResult<bool> {
    Ok(webhook_event::Entity::find()
        .filter(webhook_event::Column::ChannelId.eq(channel_id))
        .filter(webhook_event::Column::ProcessedAt.is_null())
        .one(db)
        .await?
        .is_some())
}

// ------------------------------------------------------------------------------------------------ a round

/// One link's push, planned from the values at collection time.
#[derive(Debug, Clone)]
pub struct PlannedPush {
    pub link_id: i64,
    pub variant_id: i64,
    pub update: StockPriceUpdate,
    pub plan: PushPlan,
    pub rule: QuantityRule,
    /// What decided the values (stored with the push).
    pub inputs: serde_json::Value,
    /// The link's `push_requested_at` when collected. The link stays pending while its push is in flight (a
    /// worker killed mid-round must leave it due) and `record` clears it only if no change re-marked it since.
    pub requested_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The link's `push_in_doubt_until` when collected: an earlier push may still land until then.
    pub in_doubt_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// What a round collected.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    pub pushes: Vec<PlannedPush>,
    /// Links whose values equal what the channel was last given: cleared without a call.
    pub unchanged: usize,
    /// Links whose quantity raise waits for the channel's orders (stale-push guard).
    pub held: usize,
}

impl Collected {
    pub fn links(&self) -> usize {
        self.pushes.len() + self.unchanged + self.held
    }
}

/// Collects up to `limit` due links of the channel, computes each value now, and clears their pending flag
/// (except guarded raises), all in one transaction.
pub async fn collect(db: &DatabaseConnection, channel: &channel::Model, limit: u64) -> ServiceResult<Collected> {
    let txn = begin_write(db).await?;
    let at = now();
    let links = product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel.id))
        .filter(due_condition(at))
        // Least recently pushed first: a link that changes all the time cannot keep others waiting (by id, the
        // first 500 links of a busy channel were pushed round after round and the rest waited for a lull).
        .order_by_with_nulls(product_link::Column::LastPushedAt, Order::Asc, NullOrdering::First)
        .order_by_asc(product_link::Column::Id)
        .limit(limit)
        // A link locked by a stock movement in flight is skipped, not waited for: that movement marks it again
        // and kicks a push, and collect never waits, so it can't deadlock with movements.
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&txn)
        .await?;
    if links.is_empty() {
        txn.commit().await?;
        return Ok(Collected::default());
    }
    let mut links = links;
    if updates_per_product(channel.kind) {
        links.extend(due_links_of_same_products(&txn, channel.id, &links, at).await?);
    }
    let variant_ids: Vec<i64> = links.iter().filter_map(|l| l.variant_id).collect();
    let listing_ids: Vec<i64> = links.iter().filter_map(|l| l.listing_id).collect();
    let variants: HashMap<i64, product_variant::Model> = product_variant::Entity::find()
        .filter(product_variant::Column::Id.is_in(variant_ids.clone()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let listings: HashMap<i64, channel_listing::Model> = channel_listing::Entity::find()
        .filter(channel_listing::Column::Id.is_in(listing_ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let stock_wh = stock_warehouse(&txn, channel).await?;
    let levels: HashMap<i64, Quantities> = inventory_level::Entity::find()
        .filter(inventory_level::Column::WarehouseId.eq(stock_wh.id))
        .filter(inventory_level::Column::VariantId.is_in(variant_ids))
        .all(&txn)
        .await?
        .iter()
        .map(|l| (l.variant_id, super::inventory::quantities(l)))
        .collect();
    let waiting = orders_waiting(&txn, channel.id).await?;
    let settings = push_settings(channel);
    let mut out = Collected::default();
    let (mut cleared, mut held) = (Vec::new(), Vec::new());
    for link in &links {
        let (Some(variant), Some(listing)) =
            (link.variant_id.and_then(|id| variants.get(&id)), link.listing_id.and_then(|id| listings.get(&id)))
        else {
            cleared.push(link.id);
            continue;
        };
        let level = levels.get(&variant.id).copied().unwrap_or_default();
        let decision = quantity_to_push(variant_flags(variant), level, &settings);
        let price = price_to_push(variant_prices(variant), &settings);
        // After a push that may still land, what the channel shows is unknown: send the values even if equal.
        let (last_quantity, last_price) = if link.push_in_doubt_until.is_some() {
            (None, None)
        } else {
            (link.last_pushed_quantity, link.last_pushed_price_minor)
        };
        let plan = rules::plan_push(decision.quantity, price, last_quantity, last_price, waiting);
        if decision.rule == QuantityRule::NotTracked {
            let message = format!(
                "{} does not track inventory: its quantity is not pushed to this channel",
                super::inventory::variant_label(&txn, variant).await?
            );
            record_error(&txn, channel.id, link, NOT_TRACKED, &message, None, at).await?;
        }
        if plan.held {
            held.push(link.id);
            out.held += 1;
        } else if !plan.sends_anything() {
            cleared.push(link.id);
        }
        if !plan.sends_anything() {
            if !plan.held {
                out.unchanged += 1;
            }
            continue;
        }
        let inputs = inputs_json(&decision, level, &settings, &stock_wh, variant, price, waiting, link, at);
        out.pushes.push(PlannedPush {
            link_id: link.id,
            variant_id: variant.id,
            update: StockPriceUpdate {
                external_product_id: listing.external_product_id.clone(),
                external_sku_id: listing.external_sku_id.clone(),
                seller_sku: listing.seller_sku.clone(),
                quantity: plan.quantity,
                price_minor: plan.price,
            },
            plan,
            rule: decision.rule,
            inputs,
            requested_at: link.push_requested_at,
            in_doubt_until: link.push_in_doubt_until,
        });
    }
    for chunk in cleared.chunks(IN_CHUNK) {
        product_link::Entity::update_many()
            .col_expr(product_link::Column::PushPending, Expr::value(false))
            .col_expr(
                product_link::Column::PushInDoubtUntil,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            )
            .filter(product_link::Column::Id.is_in(chunk.to_vec()))
            .exec(&txn)
            .await?;
    }
    for chunk in held.chunks(IN_CHUNK) {
        product_link::Entity::update_many()
            .col_expr(
                product_link::Column::PushRequestedAt,
                Expr::value(at + chrono::Duration::seconds(HOLD_RECHECK_SECS)),
            )
            .filter(product_link::Column::Id.is_in(chunk.to_vec()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(out)
}

/// For APIs that update one product per call: the other due links of the channel products these links belong to.
/// They ride in the same calls for free; left to later rounds, a product whose SKUs changed at different times
/// would cost a call per SKU (seen in `bench stock`: Shopee and TikTok made ~3 calls per product per cycle).
async fn due_links_of_same_products(
    txn: &DatabaseTransaction,
    channel_id: i64,
    links: &[product_link::Model],
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<Vec<product_link::Model>> {
    let taken: BTreeSet<i64> = links.iter().map(|l| l.id).collect();
    let listing_ids: Vec<i64> = links.iter().filter_map(|l| l.listing_id).collect();
    let mut products = BTreeSet::new();
    for chunk in listing_ids.chunks(IN_CHUNK) {
        let found: Vec<String> = channel_listing::Entity::find()
            .select_only()
            .column(channel_listing::Column::ExternalProductId)
            .filter(channel_listing::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(txn)
            .await?;
        products.extend(found);
    }
    let products: Vec<String> = products.into_iter().collect();
    let mut siblings = Vec::new();
    for chunk in products.chunks(IN_CHUNK) {
        let listings: Vec<i64> = channel_listing::Entity::find()
            .select_only()
            .column(channel_listing::Column::Id)
            .filter(channel_listing::Column::ChannelId.eq(channel_id))
            .filter(channel_listing::Column::ExternalProductId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(txn)
            .await?;
        for listings in listings.chunks(IN_CHUNK) {
            let found = product_link::Entity::find()
                .filter(product_link::Column::ChannelId.eq(channel_id))
                .filter(product_link::Column::ListingId.is_in(listings.to_vec()))
                .filter(due_condition(at))
                .order_by_asc(product_link::Column::Id)
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                .all(txn)
                .await?;
            siblings.extend(found.into_iter().filter(|l| !taken.contains(&l.id)));
        }
    }
    Ok(siblings)
}

#[allow(clippy::too_many_arguments)]
fn inputs_json(
    decision: &QuantityDecision,
    level: Quantities,
    settings: &PushSettings,
    warehouse: &warehouse::Model,
    variant: &product_variant::Model,
    price: Option<i64>,
    orders_waiting: bool,
    link: &product_link::Model,
    computed_at: chrono::DateTime<chrono::Utc>,
) -> serde_json::Value {
    json!({
        "computedAt": computed_at.to_rfc3339(),
        "rule": decision.rule,
        "quantity": decision.quantity,
        "warehouseId": warehouse.id,
        "warehouseName": warehouse.name,
        "onHand": level.on_hand,
        "committed": level.committed,
        "pendingExport": level.pending_export,
        "trackInventory": variant.track_inventory,
        "allowOversell": variant.allow_oversell,
        "oversellPolicy": settings.oversell_policy.as_str(),
        "oversellQuantity": settings.oversell_quantity,
        "pricePolicy": settings.price_policy.as_str(),
        "price": price,
        "ordersWaiting": orders_waiting,
        "previousQuantity": link.last_pushed_quantity,
        "previousPrice": link.last_pushed_price_minor,
    })
}

/// The channel's answer for one push.
#[derive(Debug, Clone)]
pub struct PushOutcome {
    pub ok: bool,
    pub error: Option<String>,
    pub response: serde_json::Value,
    /// Until when a request of this push or an earlier one may still be applied by the channel (the hub gave up
    /// on its answer): the link is pushed once more after that.
    pub in_doubt_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// SKUs per call for a kind: the API's batch maximum where it has one (Shopee and TikTok group by product
/// inside the connector, so a chunk sorted by product costs one call per product).
pub fn chunk_size(kind: ChannelKind) -> usize {
    crate::channels::marketplace(kind).updates.max_skus_per_call
}

/// Fewest calls the API allows for these updates (the benchmark's yardstick).
pub fn minimum_calls(kind: ChannelKind, updates: &[StockPriceUpdate]) -> usize {
    crate::channels::marketplace(kind).updates.minimum_calls(updates)
}

/// Whether the kind's update API takes one product per call (so a batch must not split a product).
fn updates_per_product(kind: ChannelKind) -> bool {
    crate::channels::marketplace(kind).updates.one_product_per_call
}

/// The batches to send, as ranges of `pushes` (sorted by product): fixed-size chunks of the API's maximum, or for
/// per-product APIs one product at a time (split only when it has more SKUs than one call takes), so that no
/// product costs two calls where one would do.
fn batches(kind: ChannelKind, products: &[&str]) -> Vec<std::ops::Range<usize>> {
    let max = chunk_size(kind).max(1);
    let mut out = Vec::new();
    let mut start = 0;
    while start < products.len() {
        let mut end = (start + max).min(products.len());
        if updates_per_product(kind) {
            end = start + products[start..end].iter().take_while(|p| **p == products[start]).count();
        }
        out.push(start..end);
        start = end;
    }
    out
}

/// Sends the planned pushes in batches (sorted by product, so per-product APIs group well). A call that fails as
/// a whole fails each of its SKUs with the call's error. Returns one outcome per push and the calls made.
///
/// A call during which the connector gave up on a request (its timeout fired: the marketplace may still apply
/// it, later than anything sent after it) leaves its pushes in doubt, as does an earlier push in doubt past the
/// moment this one was sent; `record` keeps such links due until the doubt ends.
pub async fn send(
    connector: &dyn Connector,
    kind: ChannelKind,
    pushes: &mut [PlannedPush],
) -> (Vec<PushOutcome>, usize) {
    pushes.sort_by(|a, b| {
        (a.update.external_product_id.as_str(), a.link_id).cmp(&(b.update.external_product_id.as_str(), b.link_id))
    });
    let mut outcomes = Vec::with_capacity(pushes.len());
    let mut calls = 0;
    let products: Vec<&str> = pushes.iter().map(|p| p.update.external_product_id.as_str()).collect();
    for range in batches(kind, &products) {
        let chunk = &pushes[range];
        let updates: Vec<StockPriceUpdate> = chunk.iter().map(|p| p.update.clone()).collect();
        let (sent_at, doubt_before) = (now(), connector.requests_in_doubt_until());
        let result = connector.update_stock_price(&updates).await;
        let doubt_after = connector.requests_in_doubt_until();
        let new_doubt = doubt_after.filter(|_| doubt_after != doubt_before).map(wall_clock);
        let in_doubt = |p: &PlannedPush| new_doubt.max(p.in_doubt_until.filter(|until| *until > sent_at));
        match result {
            Ok(report) => {
                calls += report.calls;
                let mut by_sku: HashMap<&str, Vec<&crate::domain::channel::SkuUpdateResult>> = HashMap::new();
                for r in &report.results {
                    by_sku.entry(r.external_sku_id.as_str()).or_default().push(r);
                }
                for p in chunk {
                    let result = by_sku
                        .get_mut(p.update.external_sku_id.as_str())
                        .and_then(|v| (!v.is_empty()).then(|| v.remove(0)));
                    let in_doubt_until = in_doubt(p);
                    outcomes.push(match result {
                        Some(r) => PushOutcome {
                            ok: r.ok,
                            error: r.error.clone(),
                            response: json!({ "ok": r.ok, "error": r.error, "calls": report.calls }),
                            in_doubt_until,
                        },
                        None => PushOutcome {
                            ok: false,
                            error: Some("the channel did not report on this SKU".into()),
                            response: json!({ "calls": report.calls }),
                            in_doubt_until,
                        },
                    });
                }
            }
            Err(err) => {
                calls += 1;
                let message = err.to_string();
                let kind = connector_error_kind(&err);
                outcomes.extend(chunk.iter().map(|p| PushOutcome {
                    ok: false,
                    error: Some(message.clone()),
                    response: json!({ "error": message, "kind": kind }),
                    in_doubt_until: in_doubt(p),
                }));
            }
        }
    }
    (outcomes, calls)
}

/// The wall-clock time of a monotonic instant (now, if it has passed).
fn wall_clock(instant: std::time::Instant) -> chrono::DateTime<chrono::Utc> {
    let ahead = instant.saturating_duration_since(std::time::Instant::now());
    now() + chrono::Duration::from_std(ahead).unwrap_or_else(|_| chrono::Duration::zero())
}

fn connector_error_kind(err: &ConnectorError) -> &'static str {
    match err {
        ConnectorError::Auth { .. } => "AUTH",
        ConnectorError::TokenExpired { .. } => "TOKEN_EXPIRED",
        ConnectorError::RateLimited { .. } => "RATE_LIMITED",
        ConnectorError::Api { .. } => "API",
        ConnectorError::Server { .. } => "SERVER",
        ConnectorError::Transport { .. } => "TRANSPORT",
        ConnectorError::Parse { .. } => "PARSE",
        ConnectorError::BadWebhook(_) => "BAD_WEBHOOK",
        ConnectorError::Unsupported(_) => "UNSUPPORTED",
        ConnectorError::Config(_) => "CONFIG",
    }
}

/// Counts of a recorded round.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recorded {
    pub succeeded: usize,
    pub failed: usize,
}

/// Records every push in `stock_pushes`; successes store the pushed values and clear push errors, failures put
/// the link in SYNC_ERROR with a sync error and a retry after a backoff.
pub async fn record(
    db: &DatabaseConnection,
    channel: &channel::Model,
    pushes: &[PlannedPush],
    outcomes: &[PushOutcome],
) -> ServiceResult<Recorded> {
    let txn = begin_write(db).await?;
    let at = now();
    let mut counts = Recorded::default();
    let rows: Vec<stock_push::ActiveModel> = pushes
        .iter()
        .zip(outcomes)
        .map(|(p, o)| stock_push::ActiveModel {
            channel_id: Set(channel.id),
            product_link_id: Set(Some(p.link_id)),
            variant_id: Set(Some(p.variant_id)),
            seller_sku: Set(p.update.seller_sku.clone()),
            quantity: Set(p.plan.quantity),
            price_minor: Set(p.plan.price),
            inputs: Set(p.inputs.clone()),
            ok: Set(o.ok),
            response: Set(Some(o.response.clone())),
            error_code: Set((!o.ok).then(|| PUSH_FAILED.to_owned())),
            created_at: Set(at),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(200) {
        stock_push::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
    }
    let mut ok_links = Vec::new();
    // Links are updated in variant order, the order stock movements lock them in: the two never deadlock.
    let mut ordered: Vec<(&PlannedPush, &PushOutcome)> = pushes.iter().zip(outcomes).collect();
    ordered.sort_by_key(|(p, _)| (p.variant_id, p.link_id));
    for (p, o) in ordered {
        if o.ok {
            let mut update = product_link::Entity::update_many()
                .col_expr(product_link::Column::LastPushedAt, Expr::value(at))
                .col_expr(product_link::Column::UpdatedAt, Expr::value(at));
            if let Some(q) = p.plan.quantity {
                update = update.col_expr(product_link::Column::LastPushedQuantity, Expr::value(q));
            }
            if let Some(price) = p.plan.price {
                update = update.col_expr(product_link::Column::LastPushedPriceMinor, Expr::value(price));
            }
            let unchanged = match p.requested_at {
                Some(requested) => product_link::Column::PushRequestedAt.eq(requested),
                None => product_link::Column::PushRequestedAt.is_null(),
            };
            if let Some(until) = o.in_doubt_until {
                // An earlier request may land after this one: pushed again once it can no longer (sooner if a
                // change re-marked the link meanwhile; that push is then in doubt too, until the same time).
                update = update
                    .col_expr(product_link::Column::PushPending, Expr::value(true))
                    .col_expr(
                        product_link::Column::PushRequestedAt,
                        Expr::case(unchanged, Expr::value(until))
                            .finally(Expr::col(product_link::Column::PushRequestedAt))
                            .into(),
                    )
                    .col_expr(product_link::Column::PushInDoubtUntil, Expr::value(until));
            } else if !p.plan.held {
                update = update.col_expr(
                    product_link::Column::PushInDoubtUntil,
                    Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
                );
                // Done, unless a change re-marked the link while this push was in flight.
                update = update.col_expr(
                    product_link::Column::PushPending,
                    Expr::case(unchanged, Expr::value(false))
                        .finally(Expr::col(product_link::Column::PushPending))
                        .into(),
                );
            }
            update.filter(product_link::Column::Id.eq(p.link_id)).exec(&txn).await?;
            ok_links.push(p.link_id);
            counts.succeeded += 1;
        } else {
            let link = product_link::Entity::find_by_id(p.link_id).one(&txn).await?;
            let Some(link) = link else { continue };
            let message = format!(
                "{} not pushed: {}",
                p.update.seller_sku.as_deref().unwrap_or(&p.update.external_sku_id),
                o.error.as_deref().unwrap_or("refused")
            );
            let failures =
                record_error(&txn, channel.id, &link, PUSH_FAILED, &message, Some(json!({ "answer": o.response })), at)
                    .await?;
            let retry_at = (at + rules::retry_delay(failures)).max(o.in_doubt_until.unwrap_or(at));
            let mut update = product_link::Entity::update_many()
                .col_expr(product_link::Column::State, Expr::value(LinkState::SyncError))
                .col_expr(product_link::Column::ErrorCode, Expr::value(PUSH_FAILED))
                .col_expr(product_link::Column::ErrorMessage, Expr::value(message))
                .col_expr(product_link::Column::PushPending, Expr::value(true))
                .col_expr(product_link::Column::PushRequestedAt, Expr::value(retry_at))
                .col_expr(product_link::Column::UpdatedAt, Expr::value(at));
            if let Some(until) = o.in_doubt_until {
                update = update.col_expr(product_link::Column::PushInDoubtUntil, Expr::value(until));
            }
            update
                .filter(product_link::Column::Id.eq(p.link_id))
                .filter(product_link::Column::State.is_in(SYNCING))
                .exec(&txn)
                .await?;
            counts.failed += 1;
        }
    }
    for chunk in ok_links.chunks(IN_CHUNK) {
        // A success ends the link's push error.
        product_link::Entity::update_many()
            .col_expr(product_link::Column::State, Expr::value(LinkState::Linked))
            .col_expr(product_link::Column::ErrorCode, Expr::value(Option::<String>::None))
            .col_expr(product_link::Column::ErrorMessage, Expr::value(Option::<String>::None))
            .filter(product_link::Column::Id.is_in(chunk.to_vec()))
            .filter(product_link::Column::State.eq(LinkState::SyncError))
            .exec(&txn)
            .await?;
        resolve_errors(&txn, chunk, PUSH_FAILED, at).await?;
    }
    txn.commit().await?;
    Ok(counts)
}

/// One open sync error per (link, code): a repeat counts an occurrence. Returns the occurrences so far.
async fn record_error<C: ConnectionTrait>(
    txn: &C,
    channel_id: i64,
    link: &product_link::Model,
    code: &str,
    message: &str,
    details: Option<serde_json::Value>,
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<i32> {
    let open = sync_error::Entity::find()
        .filter(sync_error::Column::ProductLinkId.eq(link.id))
        .filter(sync_error::Column::Code.eq(code))
        .filter(sync_error::Column::ResolvedAt.is_null())
        .one(txn)
        .await?;
    Ok(match open {
        Some(e) => {
            let occurrences = e.occurrences + 1;
            let mut active: sync_error::ActiveModel = e.into();
            active.occurrences = Set(occurrences);
            active.message = Set(message.to_owned());
            active.details = Set(details);
            active.last_seen_at = Set(at);
            active.update(txn).await?;
            occurrences
        }
        None => {
            sync_error::ActiveModel {
                channel_id: Set(Some(channel_id)),
                kind: Set(SyncErrorKind::Product),
                code: Set(code.to_owned()),
                message: Set(message.to_owned()),
                product_link_id: Set(Some(link.id)),
                variant_id: Set(link.variant_id),
                listing_id: Set(link.listing_id),
                order_id: Set(None),
                details: Set(details),
                occurrences: Set(1),
                first_seen_at: Set(at),
                last_seen_at: Set(at),
                resolved_at: Set(None),
                dismissed_at: Set(None),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            1
        }
    })
}

async fn resolve_errors<C: ConnectionTrait>(
    txn: &C,
    link_ids: &[i64],
    code: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<()> {
    sync_error::Entity::update_many()
        .col_expr(sync_error::Column::ResolvedAt, Expr::value(at))
        .filter(sync_error::Column::ProductLinkId.is_in(link_ids.to_vec()))
        .filter(sync_error::Column::Code.eq(code))
        .filter(sync_error::Column::ResolvedAt.is_null())
        .exec(txn)
        .await?;
    Ok(())
}

/// Push history older than the channel's retention is deleted.
pub async fn prune_history(db: &DatabaseConnection, channel: &channel::Model) -> ServiceResult<u64> {
    let cutoff = now() - chrono::Duration::days(i64::from(Ord::max(channel.push_history_retention_days, 1)));
    Ok(stock_push::Entity::delete_many()
        .filter(stock_push::Column::ChannelId.eq(channel.id))
        .filter(stock_push::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}

/// Totals of one push round.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub links: usize,
    pub sent: usize,
    pub succeeded: usize,
    pub failed: usize,
    pub unchanged: usize,
    pub held: usize,
    pub calls: usize,
}

/// Process-wide counters of push calls (read by the benchmark; cheap enough to keep always).
#[derive(Debug, Default)]
pub struct PushMetrics {
    /// Marketplace update calls made by pushes (HTTP retries inside a call not counted).
    pub calls: std::sync::atomic::AtomicU64,
    /// The fewest calls the APIs' batch maxima allow for the same pushes, round by round.
    pub min_calls: std::sync::atomic::AtomicU64,
    /// SKU pushes sent.
    pub pushes: std::sync::atomic::AtomicU64,
}

pub static METRICS: PushMetrics = PushMetrics {
    calls: std::sync::atomic::AtomicU64::new(0),
    min_calls: std::sync::atomic::AtomicU64::new(0),
    pushes: std::sync::atomic::AtomicU64::new(0),
};

/// Collect → send → record, once. The caller holds the channel's push lease.
pub async fn round(
    db: &DatabaseConnection,
    channel: &channel::Model,
    connector: &dyn Connector,
) -> ServiceResult<RoundReport> {
    let mut collected = collect(db, channel, ROUND_SIZE).await?;
    let mut report = RoundReport {
        links: collected.links(),
        unchanged: collected.unchanged,
        held: collected.held,
        ..RoundReport::default()
    };
    if collected.pushes.is_empty() {
        return Ok(report);
    }
    let (outcomes, calls) = send(connector, channel.kind, &mut collected.pushes).await;
    let updates: Vec<StockPriceUpdate> = collected.pushes.iter().map(|p| p.update.clone()).collect();
    let relaxed = std::sync::atomic::Ordering::Relaxed;
    METRICS.calls.fetch_add(calls as u64, relaxed);
    METRICS.min_calls.fetch_add(minimum_calls(channel.kind, &updates) as u64, relaxed);
    METRICS.pushes.fetch_add(updates.len() as u64, relaxed);
    let recorded = record(db, channel, &collected.pushes, &outcomes).await?;
    report.sent = collected.pushes.len();
    report.calls = calls;
    report.succeeded = recorded.succeeded;
    report.failed = recorded.failed;
    Ok(report)
}

/// The lease name serialising one channel's pushes (and reconciliations).
pub fn lease_name(channel_id: i64) -> String {
    format!("stock-push:{channel_id}")
}

// ------------------------------------------------------------------------------------------------ reconcile

/// Totals of a reconciliation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    pub compared: usize,
    pub drifted: usize,
    pub repaired: usize,
}

/// Compares the channel's quantities (just read) with what the hub last pushed. Each difference is a STOCK_DRIFT
/// sync error with both numbers; with `stock_drift_repair`, the link's known channel quantity becomes the one read
/// and the link is marked for a push (which then sends the hub's value, guard permitting). Matching links close
/// their drift errors.
pub async fn reconcile(
    db: &DatabaseConnection,
    channel: &channel::Model,
    listings: &[Listing],
) -> ServiceResult<ReconcileReport> {
    super::linking::store_listings(db, channel.id, listings).await?;
    let by_ids: HashMap<(&str, &str), &Listing> =
        listings.iter().map(|l| ((l.external_product_id.as_str(), l.external_sku_id.as_str()), l)).collect();
    let links = product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel.id))
        .filter(product_link::Column::State.is_in(SYNCING))
        .filter(product_link::Column::ListingId.is_not_null())
        .find_also_related(channel_listing::Entity)
        .all(db)
        .await?;
    let mut links = links;
    // Variant order, as stock movements lock links.
    links.sort_by_key(|(l, _)| (l.variant_id, l.id));
    let txn = begin_write(db).await?;
    let at = now();
    let mut report = ReconcileReport::default();
    let mut in_sync = Vec::new();
    for (link, stored) in links {
        let Some(stored) = stored else { continue };
        let Some(read) = by_ids.get(&(stored.external_product_id.as_str(), stored.external_sku_id.as_str())) else {
            continue;
        };
        report.compared += 1;
        match rules::drift(read.quantity, link.last_pushed_quantity) {
            None => in_sync.push(link.id),
            Some((on_channel, pushed)) => {
                report.drifted += 1;
                let sku = stored.seller_sku.clone().unwrap_or_else(|| stored.external_sku_id.clone());
                let message = format!("{sku}: the channel shows {on_channel}, the hub last pushed {pushed}");
                let details = json!({ "channelQuantity": on_channel, "pushedQuantity": pushed, "repair": channel.stock_drift_repair });
                record_error(&txn, channel.id, &link, STOCK_DRIFT, &message, Some(details), at).await?;
                if channel.stock_drift_repair {
                    product_link::Entity::update_many()
                        .col_expr(product_link::Column::LastPushedQuantity, Expr::value(on_channel))
                        .col_expr(product_link::Column::PushPending, Expr::value(true))
                        .col_expr(product_link::Column::PushRequestedAt, Expr::value(at))
                        .filter(product_link::Column::Id.eq(link.id))
                        .exec(&txn)
                        .await?;
                    report.repaired += 1;
                }
            }
        }
    }
    for chunk in in_sync.chunks(IN_CHUNK) {
        resolve_errors(&txn, chunk, STOCK_DRIFT, at).await?;
    }
    txn.commit().await?;
    Ok(report)
}

// ------------------------------------------------------------------------------------------------ queries

/// Why a channel shows (or will show) a number for a variant.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub channel: channel::Model,
    pub variant: product_variant::Model,
    pub warehouse: warehouse::Model,
    pub level: Quantities,
    pub decision: QuantityDecision,
    pub price: Option<i64>,
    pub settings: PushSettings,
    pub link: Option<product_link::Model>,
    pub orders_waiting: bool,
    /// A raise the stale-push guard holds back now.
    pub held: bool,
    pub summary: String,
}

pub async fn explain(db: &DatabaseConnection, variant_id: i64, channel_id: i64) -> ServiceResult<Explanation> {
    let variant = product_variant::Entity::find_by_id(variant_id).one(db).await?;
    let channel = channel::Entity::find_by_id(channel_id).one(db).await?;
    let mut errors = Vec::new();
    if variant.is_none() {
        errors.push(crate::domain::errors::FieldError::new(
            &["variantId"],
            crate::domain::errors::ErrorCode::NotFound,
            "Variant not found",
        ));
    }
    if channel.is_none() {
        errors.push(crate::domain::errors::FieldError::new(
            &["channelId"],
            crate::domain::errors::ErrorCode::NotFound,
            "Channel not found",
        ));
    }
    let (Some(variant), Some(channel)) = (variant, channel) else { return Err(ServiceError::Rejected(errors)) };
    let warehouse = stock_warehouse(db, &channel).await?;
    let level = inventory_level::Entity::find()
        .filter(inventory_level::Column::VariantId.eq(variant.id))
        .filter(inventory_level::Column::WarehouseId.eq(warehouse.id))
        .one(db)
        .await?
        .map(|l| super::inventory::quantities(&l))
        .unwrap_or_default();
    let settings = push_settings(&channel);
    let decision = quantity_to_push(variant_flags(&variant), level, &settings);
    let price = price_to_push(variant_prices(&variant), &settings);
    let link = product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel.id))
        .filter(product_link::Column::VariantId.eq(variant.id))
        .filter(product_link::Column::ListingId.is_not_null())
        .order_by_asc(product_link::Column::Id)
        .one(db)
        .await?;
    let waiting = orders_waiting(db, channel.id).await?;
    let held = match (&link, decision.quantity) {
        (Some(l), Some(q)) => rules::plan_push(Some(q), None, l.last_pushed_quantity, None, waiting).held,
        _ => false,
    };
    let mut summary = rules::explain(&decision, level, &settings, &warehouse.name);
    if held {
        summary.push_str("; held back for now: an order of this channel is waiting to be imported, and raising the quantity could oversell");
    }
    Ok(Explanation {
        channel,
        variant,
        warehouse,
        level,
        decision,
        price,
        settings,
        link,
        orders_waiting: waiting,
        held,
        summary,
    })
}

#[derive(Debug, Clone, Default)]
pub struct PushFilter {
    pub channel_id: Option<i64>,
    pub variant_id: Option<i64>,
    pub link_id: Option<i64>,
    pub ok: Option<bool>,
}

/// The push history (kept per the channel's retention).
pub async fn history(
    db: &DatabaseConnection,
    filter: &PushFilter,
    page: &PageArgs,
) -> ServiceResult<Page<stock_push::Model>> {
    let mut select = stock_push::Entity::find();
    if let Some(id) = filter.channel_id {
        select = select.filter(stock_push::Column::ChannelId.eq(id));
    }
    if let Some(id) = filter.variant_id {
        select = select.filter(stock_push::Column::VariantId.eq(id));
    }
    if let Some(id) = filter.link_id {
        select = select.filter(stock_push::Column::ProductLinkId.eq(id));
    }
    if let Some(ok) = filter.ok {
        select = select.filter(stock_push::Column::Ok.eq(ok));
    }
    paginate(db, select, stock_push::Column::Id, page).await
}

pub async fn push(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<stock_push::Model>> {
    Ok(stock_push::Entity::find_by_id(id).one(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_fill_the_api_maximum_and_never_split_a_product_for_per_product_apis() {
        // 30 SKUs of product A, 30 of B, 60 of C (sorted by product, as `send` sorts them).
        let products: Vec<&str> = std::iter::repeat_n("A", 30)
            .chain(std::iter::repeat_n("B", 30))
            .chain(std::iter::repeat_n("C", 60))
            .collect();
        let lazada = batches(ChannelKind::Lazada, &products);
        assert_eq!(lazada, vec![0..50, 50..100, 100..120], "fixed chunks of 50 across products");
        let max = chunk_size(ChannelKind::Tiktok);
        let tiktok = batches(ChannelKind::Tiktok, &products);
        assert!(
            tiktok.iter().all(|r| products[r.clone()].iter().all(|p| *p == products[r.start])),
            "one product per batch: {tiktok:?}"
        );
        assert!(tiktok.iter().all(|r| r.len() <= max));
        assert_eq!(tiktok.iter().map(|r| r.len()).sum::<usize>(), products.len(), "every push in exactly one batch");
        let calls_for_c = tiktok.iter().filter(|r| products[r.start] == "C").count();
        assert_eq!(calls_for_c, 60usize.div_ceil(max), "a product larger than one call is split only as needed");
        assert!(batches(ChannelKind::Shopee, &[]).is_empty());
    }
}
