//! Order import (SPEC §4): one idempotent upsert keyed by (channel, external order id) that every path uses —
//! webhook fetches, polling, resyncs — applied a fetched batch per write transaction. It maps the status, saves
//! the customer, upserts the lines against the channel's links, moves stock through the ledger
//! (`inventory::LevelBook`), writes the order's history and sync errors, and marks the webhook events it answers
//! as processed.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use entity::enums::{
    ChannelKind, ExportSlipStatus, LedgerReason, LedgerReference, LinkState, OrderEventKind, OrderStatus,
    PaymentStatus, SyncErrorKind,
};
use entity::{
    channel, channel_listing, customer, export_slip, export_slip_line, order, order_event, order_line, product,
    product_link, product_variant, sync_error, warehouse, webhook_event,
};

use super::inventory::{LevelBook, Movement};
use super::{ServiceError, ServiceResult, begin_write};
use crate::domain::channel::{ChannelOrder, ChannelOrderLine};
use crate::domain::order_status::{self, Mapped};
use crate::domain::orders::{self as rules, Known, LineStock, StockPhase};

/// Sync error codes of orders (`sync_errors.code`, kind ORDER).
pub mod codes {
    /// Some lines' listings are not linked to a hub variant: the order is kept and re-synced once they are.
    pub const PRODUCT_NOT_LINKED: &str = "ORDER_PRODUCT_NOT_LINKED";
    /// The channel reported a status no mapping knows: the order is UNRECOGNIZED until a mapping is added.
    pub const STATUS_UNRECOGNIZED: &str = "ORDER_STATUS_UNRECOGNIZED";
    /// A stock movement of the order was refused (e.g. on hand would go below zero).
    pub const STOCK_REFUSED: &str = "ORDER_STOCK_REFUSED";
    /// The order contains a product whose sync the merchant stopped ("ngắt"): it is not imported (SPEC §4).
    pub const CONTAINS_UNLINKED_PRODUCT: &str = "ORDER_CONTAINS_UNLINKED_PRODUCT";
    /// The channel announced an order it then did not return.
    pub const NOT_FOUND_ON_CHANNEL: &str = "ORDER_NOT_FOUND_ON_CHANNEL";
}

/// What applying one channel order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// New in the hub.
    Imported(i64),
    /// An existing order took the channel's update.
    Updated(i64),
    /// The hub already holds this update or a newer one: nothing changed.
    Stale(i64),
    /// Not imported (the reason is recorded as a sync error).
    NotImported(String),
}

impl Applied {
    pub fn order_id(&self) -> Option<i64> {
        match self {
            Self::Imported(id) | Self::Updated(id) | Self::Stale(id) => Some(*id),
            Self::NotImported(_) => None,
        }
    }
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

/// The channel's mapping overrides (raw status → hub status), as stored on the channel row.
pub fn overrides_of(channel: &channel::Model) -> HashMap<String, OrderStatus> {
    let Some(serde_json::Value::Object(map)) = &channel.status_mapping_overrides else { return HashMap::new() };
    map.iter()
        .filter_map(|(raw, v)| {
            let status: OrderStatus = serde_json::from_value(v.clone()).ok()?;
            Some((raw.clone(), status))
        })
        .collect()
}

/// A line resolved against the channel's listings and links.
#[derive(Debug, Clone, Default)]
struct Resolved {
    listing_id: Option<i64>,
    variant_id: Option<i64>,
    /// The merchant stopped syncing this listing ("ngắt").
    stopped: bool,
}

/// Finds each line's listing (by the channel's product and SKU ids, else SKU id, else seller SKU) and its link.
async fn resolve_lines<C: ConnectionTrait>(
    db: &C,
    channel_id: i64,
    lines: &[&ChannelOrderLine],
) -> ServiceResult<Vec<Resolved>> {
    let sku_ids: Vec<String> = lines.iter().filter_map(|l| l.external_sku_id.clone()).collect();
    let seller_skus: Vec<String> = lines.iter().filter_map(|l| l.seller_sku.clone()).collect();
    let mut listings: Vec<channel_listing::Model> = Vec::new();
    if !sku_ids.is_empty() {
        listings.extend(
            channel_listing::Entity::find()
                .filter(channel_listing::Column::ChannelId.eq(channel_id))
                .filter(channel_listing::Column::ExternalSkuId.is_in(sku_ids))
                .all(db)
                .await?,
        );
    }
    if !seller_skus.is_empty() {
        listings.extend(
            channel_listing::Entity::find()
                .filter(channel_listing::Column::ChannelId.eq(channel_id))
                .filter(channel_listing::Column::SellerSku.is_in(seller_skus))
                .order_by_asc(channel_listing::Column::Id)
                .all(db)
                .await?,
        );
    }
    let listing_of = |l: &ChannelOrderLine| -> Option<i64> {
        let by_ids = listings.iter().find(|x| {
            l.external_sku_id.as_deref() == Some(x.external_sku_id.as_str())
                && l.external_product_id.as_deref().is_none_or(|p| p == x.external_product_id)
        });
        by_ids
            .or_else(|| {
                l.seller_sku.as_deref().and_then(|s| listings.iter().find(|x| x.seller_sku.as_deref() == Some(s)))
            })
            .map(|x| x.id)
    };
    let listing_ids: Vec<Option<i64>> = lines.iter().map(|l| listing_of(l)).collect();
    let wanted: Vec<i64> = listing_ids.iter().flatten().copied().collect();
    let links: HashMap<i64, product_link::Model> = if wanted.is_empty() {
        HashMap::new()
    } else {
        product_link::Entity::find()
            .filter(product_link::Column::ListingId.is_in(wanted))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|l| l.listing_id.map(|id| (id, l)))
            .collect()
    };
    Ok(listing_ids
        .into_iter()
        .map(|listing_id| {
            let link = listing_id.and_then(|id| links.get(&id));
            let linked = link.filter(|l| matches!(l.state, LinkState::Linked | LinkState::SyncError));
            Resolved {
                listing_id,
                variant_id: linked.and_then(|l| l.variant_id),
                stopped: link.is_some_and(|l| l.state == LinkState::Unlinked),
            }
        })
        .collect())
}

/// Whether each line was returned: by its own status where the channel has line statuses (Lazada), else all.
fn returned_lines(kind: ChannelKind, co: &ChannelOrder) -> Vec<(i64, bool)> {
    let (none, statuses) = (HashMap::new(), crate::channels::marketplace(kind).order_statuses);
    let has_line_statuses = co.lines.iter().any(|l| l.status_raw.is_some());
    co.lines
        .iter()
        .map(|l| {
            let amount = l.price_minor * l.quantity - l.discount_minor;
            let returned = !has_line_statuses
                || l.status_raw.as_deref().is_some_and(|s| {
                    order_status::map_status(statuses, s, &none).payment == Some(PaymentStatus::Returned)
                });
            (amount, returned)
        })
        .collect()
}

/// Opens (or counts again) an order sync error; `order_id` None for orders that were not imported.
pub async fn open_error<C: ConnectionTrait>(
    db: &C,
    channel_id: i64,
    order_id: Option<i64>,
    code: &str,
    message: &str,
    details: Option<serde_json::Value>,
) -> ServiceResult<()> {
    let at = now();
    let mut find = sync_error::Entity::find()
        .filter(sync_error::Column::ChannelId.eq(channel_id))
        .filter(sync_error::Column::Kind.eq(SyncErrorKind::Order))
        .filter(sync_error::Column::Code.eq(code))
        .filter(sync_error::Column::ResolvedAt.is_null());
    find = match order_id {
        Some(id) => find.filter(sync_error::Column::OrderId.eq(id)),
        None => find.filter(sync_error::Column::OrderId.is_null()).filter(sync_error::Column::Message.eq(message)),
    };
    match find.one(db).await? {
        Some(e) => {
            sync_error::Entity::update_many()
                .col_expr(sync_error::Column::Occurrences, Expr::col(sync_error::Column::Occurrences).add(1))
                .col_expr(sync_error::Column::LastSeenAt, Expr::value(at))
                .col_expr(sync_error::Column::Message, Expr::value(message))
                .filter(sync_error::Column::Id.eq(e.id))
                .exec(db)
                .await?;
        }
        None => {
            sync_error::ActiveModel {
                channel_id: Set(Some(channel_id)),
                kind: Set(SyncErrorKind::Order),
                code: Set(code.to_owned()),
                message: Set(message.to_owned()),
                product_link_id: Set(None),
                variant_id: Set(None),
                listing_id: Set(None),
                order_id: Set(order_id),
                details: Set(details),
                occurrences: Set(1),
                first_seen_at: Set(at),
                last_seen_at: Set(at),
                resolved_at: Set(None),
                dismissed_at: Set(None),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// Marks an order's open sync errors of `code` resolved.
pub async fn resolve_errors<C: ConnectionTrait>(db: &C, order_id: i64, code: &str) -> ServiceResult<()> {
    resolve_errors_of(db, &[order_id], code).await
}

/// Marks these orders' open sync errors of `code` resolved.
async fn resolve_errors_of<C: ConnectionTrait>(db: &C, order_ids: &[i64], code: &str) -> ServiceResult<()> {
    sync_error::Entity::update_many()
        .col_expr(sync_error::Column::ResolvedAt, Expr::value(now()))
        .filter(sync_error::Column::OrderId.is_in(order_ids.to_vec()))
        .filter(sync_error::Column::Kind.eq(SyncErrorKind::Order))
        .filter(sync_error::Column::Code.eq(code))
        .filter(sync_error::Column::ResolvedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The channel's webhook events about this order received up to `cutoff` are answered: the order now reflects
/// the channel as read after them. `processed_at` stays NULL for events not applied yet (the stock-push guard
/// of issue 5 relies on that meaning).
pub async fn mark_events_processed<C: ConnectionTrait>(
    db: &C,
    channel_id: i64,
    external_id: &str,
    cutoff: DateTime<Utc>,
    error: Option<&str>,
) -> ServiceResult<()> {
    mark_orders_events_processed(db, channel_id, &[external_id.to_owned()], cutoff, error).await
}

/// `mark_events_processed` for several orders with the same outcome.
async fn mark_orders_events_processed<C: ConnectionTrait>(
    db: &C,
    channel_id: i64,
    external_ids: &[String],
    cutoff: DateTime<Utc>,
    error: Option<&str>,
) -> ServiceResult<()> {
    webhook_event::Entity::update_many()
        .col_expr(webhook_event::Column::ProcessedAt, Expr::value(now()))
        .col_expr(webhook_event::Column::Error, Expr::value(error.map(str::to_owned)))
        .filter(webhook_event::Column::ChannelId.eq(channel_id))
        .filter(webhook_event::Column::ExternalOrderId.is_in(external_ids.to_vec()))
        .filter(webhook_event::Column::ProcessedAt.is_null())
        .filter(webhook_event::Column::ReceivedAt.lte(cutoff))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn add_event<C: ConnectionTrait>(
    db: &C,
    order_id: i64,
    kind: OrderEventKind,
    message: String,
    statuses: Option<(OrderStatus, OrderStatus)>,
    data: Option<serde_json::Value>,
) -> ServiceResult<()> {
    event_row(order_id, kind, message, statuses, data).insert(db).await?;
    Ok(())
}

/// A line of an order's history.
fn event_row(
    order_id: i64,
    kind: OrderEventKind,
    message: String,
    statuses: Option<(OrderStatus, OrderStatus)>,
    data: Option<serde_json::Value>,
) -> order_event::ActiveModel {
    order_event::ActiveModel {
        order_id: Set(order_id),
        kind: Set(kind),
        message: Set(message),
        from_status: Set(statuses.map(|s| s.0)),
        to_status: Set(statuses.map(|s| s.1)),
        data: Set(data),
        created_at: Set(now()),
        ..Default::default()
    }
}

fn channel_name(kind: ChannelKind) -> &'static str {
    super::channels::kind_name(kind)
}

/// Applies one channel order: a batch of one (see `apply_channel_orders`).
pub async fn apply_channel_order(
    db: &DatabaseConnection,
    channel: &channel::Model,
    co: &ChannelOrder,
    events_cutoff: Option<DateTime<Utc>>,
) -> ServiceResult<Applied> {
    apply_channel_orders(db, channel, std::slice::from_ref(co), events_cutoff)
        .await?
        .pop()
        .ok_or_else(|| ServiceError::Unexpected(anyhow::anyhow!("order {} was not applied", co.external_id)))
}

/// Applies channel orders (the upsert every import path uses), in one write transaction per batch: the reads
/// (orders, listings, links, customers, variants, lines, slips, levels) are one statement each for the whole
/// batch, stock moves through one `LevelBook`, and history, ledger and inbox marks are written together at the
/// end. `events_cutoff`: webhook events of these orders received up to then are marked processed in the same
/// transaction. The result is in the order of `orders`.
pub async fn apply_channel_orders(
    db: &DatabaseConnection,
    channel: &channel::Model,
    orders: &[ChannelOrder],
    events_cutoff: Option<DateTime<Utc>>,
) -> ServiceResult<Vec<Applied>> {
    let mut results: Vec<Option<Applied>> = vec![None; orders.len()];
    let mut rest: Vec<usize> = (0..orders.len()).collect();
    while !rest.is_empty() {
        // One external id at most once per transaction: a second copy is applied after the first, like a later fetch.
        let mut seen = HashSet::new();
        let (batch, later): (Vec<usize>, Vec<usize>) =
            rest.into_iter().partition(|&i| seen.insert(orders[i].external_id.as_str()));
        let batch_orders: Vec<&ChannelOrder> = batch.iter().map(|&i| &orders[i]).collect();
        let mut applied = None;
        // A new order inserted by a concurrent import between our read and our insert: read again and update it.
        for _ in 0..3 {
            applied = try_apply_batch(db, channel, &batch_orders, events_cutoff).await?;
            if applied.is_some() {
                break;
            }
        }
        let applied = applied.ok_or_else(|| {
            ServiceError::Unexpected(anyhow::anyhow!(
                "orders of \"{}\" kept conflicting with concurrent imports",
                channel.name
            ))
        })?;
        for (i, a) in batch.into_iter().zip(applied) {
            results[i] = Some(a);
        }
        rest = later;
    }
    Ok(results.into_iter().flatten().collect())
}

async fn try_apply_batch(
    db: &DatabaseConnection,
    channel: &channel::Model,
    orders: &[&ChannelOrder],
    events_cutoff: Option<DateTime<Utc>>,
) -> ServiceResult<Option<Vec<Applied>>> {
    let txn = begin_write(db).await?;
    let mut batch = Batch::load(&txn, channel, orders).await?;
    let mut out = Vec::with_capacity(orders.len());
    for co in orders {
        match batch.apply(&txn, co, events_cutoff).await? {
            Some(applied) => out.push(applied),
            None => {
                txn.rollback().await?;
                return Ok(None);
            }
        }
    }
    batch.finish(&txn, events_cutoff).await?;
    txn.commit().await?;
    Ok(Some(out))
}

/// The buyers a batch may name, read at once: by phone (the oldest customer of a phone is the one) and by the
/// channel's buyer id.
#[derive(Default)]
struct Customers {
    by_phone: HashMap<String, customer::Model>,
    by_buyer: HashMap<String, customer::Model>,
}

impl Customers {
    async fn load(txn: &DatabaseTransaction, channel_id: i64, orders: &[&ChannelOrder]) -> ServiceResult<Self> {
        let phones: BTreeSet<String> = orders.iter().filter_map(|co| customer_phone(co)).collect();
        let buyers: BTreeSet<String> =
            orders.iter().filter_map(|co| co.customer.external_id.clone().filter(|e| !e.is_empty())).collect();
        let mut out = Self::default();
        if !phones.is_empty() {
            let found = customer::Entity::find()
                .filter(customer::Column::Phone.is_in(phones))
                .order_by_asc(customer::Column::Id)
                .all(txn)
                .await?;
            for c in found {
                if let Some(phone) = c.phone.clone() {
                    out.by_phone.entry(phone).or_insert(c);
                }
            }
        }
        if !buyers.is_empty() {
            let found = customer::Entity::find()
                .filter(customer::Column::ChannelId.eq(channel_id))
                .filter(customer::Column::ExternalId.is_in(buyers))
                .all(txn)
                .await?;
            for c in found {
                if let Some(buyer) = c.external_id.clone() {
                    out.by_buyer.insert(buyer, c);
                }
            }
        }
        Ok(out)
    }

    fn find(&self, phone: Option<&str>, buyer: Option<&str>) -> Option<customer::Model> {
        phone.and_then(|p| self.by_phone.get(p)).or_else(|| buyer.and_then(|b| self.by_buyer.get(b))).cloned()
    }

    fn remember(&mut self, channel_id: i64, c: &customer::Model) {
        if let Some(phone) = &c.phone {
            match self.by_phone.get(phone) {
                Some(known) if known.id != c.id => {}
                _ => {
                    self.by_phone.insert(phone.clone(), c.clone());
                }
            }
        }
        if c.channel_id == Some(channel_id)
            && let Some(buyer) = &c.external_id
        {
            self.by_buyer.insert(buyer.clone(), c.clone());
        }
    }
}

fn customer_phone(co: &ChannelOrder) -> Option<String> {
    rules::normalize_phone(co.customer.phone.as_deref().or(co.shipping_address.phone.as_deref()))
}

/// Saves the buyer: one customer per phone number (else per channel buyer id).
async fn save_customer(
    txn: &DatabaseTransaction,
    channel: &channel::Model,
    co: &ChannelOrder,
    customers: &mut Customers,
) -> ServiceResult<Option<customer::Model>> {
    let phone = customer_phone(co);
    let name = co
        .customer
        .name
        .clone()
        .or_else(|| co.shipping_address.name.clone())
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let external_id = co.customer.external_id.clone().filter(|e| !e.is_empty());
    if phone.is_none() && name.is_none() && external_id.is_none() {
        return Ok(None);
    }
    let email = rules::customer_email(
        crate::channels::marketplace(channel.kind).orders.customer_email,
        phone.as_deref(),
        &channel.country,
        co.customer.email.as_deref(),
    );
    let address = serde_json::to_value(rules::saved_address(
        crate::channels::marketplace(channel.kind).orders.keeps_ward,
        &co.shipping_address,
    ))
    .map_err(anyhow::Error::from)?;
    let at = now();
    let display = name.clone().or_else(|| phone.clone()).unwrap_or_else(|| "Customer".to_owned());
    let saved = match customers.find(phone.as_deref(), external_id.as_deref()) {
        Some(c) => {
            let unchanged = c.name == display
                && c.email == email.clone().or(c.email.clone())
                && c.address.as_ref() == Some(&address)
                && (phone.is_none() || c.phone == phone);
            if unchanged {
                c
            } else {
                let mut active: customer::ActiveModel = c.clone().into();
                active.name = Set(display);
                if phone.is_some() {
                    active.phone = Set(phone);
                }
                if email.is_some() {
                    active.email = Set(email);
                }
                active.address = Set(Some(address));
                active.updated_at = Set(at);
                active.update(txn).await?
            }
        }
        None => {
            let row = customer::ActiveModel {
                channel_id: Set(Some(channel.id)),
                external_id: Set(external_id.clone()),
                name: Set(display),
                phone: Set(phone),
                email: Set(email),
                address: Set(Some(address)),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            };
            // Two imports of one buyer at once (two channels' workers): the second takes the first's row instead
            // of failing on the (channel, buyer id) unique index.
            let inserted = customer::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([customer::Column::ChannelId, customer::Column::ExternalId])
                        .do_nothing()
                        .to_owned(),
                )
                .exec_with_returning(txn)
                .await;
            match inserted {
                Ok(model) => model,
                Err(sea_orm::DbErr::RecordNotInserted) => customer::Entity::find()
                    .filter(customer::Column::ChannelId.eq(channel.id))
                    .filter(customer::Column::ExternalId.eq(external_id.clone()))
                    .one(txn)
                    .await?
                    .ok_or_else(|| {
                        ServiceError::Unexpected(anyhow::anyhow!(
                            "customer {external_id:?} vanished inside its transaction"
                        ))
                    })?,
                Err(err) => return Err(err.into()),
            }
        }
    };
    customers.remember(channel.id, &saved);
    Ok(Some(saved))
}

/// One transaction's worth of orders of one channel: what they need, read at once, and what they write, kept until
/// `finish`.
struct Batch<'c> {
    channel: &'c channel::Model,
    overrides: HashMap<String, OrderStatus>,
    /// The hub's orders of the batch, locked, by external id.
    existing: HashMap<String, order::Model>,
    /// Each order's lines resolved against listings and links, by external id.
    resolved: HashMap<String, Vec<Resolved>>,
    customers: Customers,
    variants: HashMap<i64, product_variant::Model>,
    product_images: HashMap<i64, Option<String>>,
    /// The existing orders' lines, by order id.
    lines: HashMap<i64, Vec<order_line::Model>>,
    /// Units of each existing line on export slips that are not cancelled.
    in_slips: HashMap<i64, i64>,
    default_warehouse: Option<i64>,
    warehouse_names: HashMap<i64, String>,
    book: LevelBook,
    events: Vec<order_event::ActiveModel>,
    /// Orders whose webhook events are answered without an error.
    processed: Vec<String>,
    /// Open sync errors to resolve: code → order ids.
    to_resolve: BTreeMap<&'static str, Vec<i64>>,
}

impl<'c> Batch<'c> {
    async fn load(
        txn: &DatabaseTransaction,
        channel: &'c channel::Model,
        orders: &[&ChannelOrder],
    ) -> ServiceResult<Batch<'c>> {
        let external_ids: Vec<&str> = orders.iter().map(|co| co.external_id.as_str()).collect();
        let existing: HashMap<String, order::Model> = order::Entity::find()
            .filter(order::Column::ChannelId.eq(channel.id))
            .filter(order::Column::ExternalId.is_in(external_ids))
            .order_by_asc(order::Column::Id)
            .lock_exclusive()
            .all(txn)
            .await?
            .into_iter()
            .map(|o| (o.external_id.clone(), o))
            .collect();
        let all_lines: Vec<&ChannelOrderLine> = orders.iter().flat_map(|co| co.lines.iter()).collect();
        let mut flat = resolve_lines(txn, channel.id, &all_lines).await?.into_iter();
        let resolved: HashMap<String, Vec<Resolved>> =
            orders.iter().map(|co| (co.external_id.clone(), flat.by_ref().take(co.lines.len()).collect())).collect();
        let customers = Customers::load(txn, channel.id, orders).await?;
        let existing_ids: Vec<i64> = existing.values().map(|o| o.id).collect();
        let mut lines: HashMap<i64, Vec<order_line::Model>> = HashMap::new();
        if !existing_ids.is_empty() {
            for l in order_line::Entity::find()
                .filter(order_line::Column::OrderId.is_in(existing_ids.clone()))
                .order_by_asc(order_line::Column::Id)
                .all(txn)
                .await?
            {
                lines.entry(l.order_id).or_default().push(l);
            }
        }
        let in_slips = units_in_slips(txn, &existing_ids).await?;
        let variant_ids: BTreeSet<i64> = resolved
            .values()
            .flatten()
            .filter_map(|r| r.variant_id)
            .chain(lines.values().flatten().filter_map(|l| l.variant_id))
            .collect();
        let variants: HashMap<i64, product_variant::Model> = if variant_ids.is_empty() {
            HashMap::new()
        } else {
            product_variant::Entity::find()
                .filter(product_variant::Column::Id.is_in(variant_ids))
                .all(txn)
                .await?
                .into_iter()
                .map(|v| (v.id, v))
                .collect()
        };
        let product_ids: BTreeSet<i64> = variants.values().map(|v| v.product_id).collect();
        let product_images: HashMap<i64, Option<String>> = if product_ids.is_empty() {
            HashMap::new()
        } else {
            product::Entity::find()
                .filter(product::Column::Id.is_in(product_ids))
                .all(txn)
                .await?
                .into_iter()
                .map(|p| (p.id, p.image_url))
                .collect()
        };
        let mut batch = Batch {
            channel,
            overrides: overrides_of(channel),
            existing,
            resolved,
            customers,
            variants,
            product_images,
            lines,
            in_slips,
            default_warehouse: None,
            warehouse_names: HashMap::new(),
            book: LevelBook::default(),
            events: Vec::new(),
            processed: Vec::new(),
            to_resolve: BTreeMap::new(),
        };
        // The levels the batch may move, locked at once in key order (levels that do not exist yet are created
        // when first moved).
        let mut warehouses: BTreeSet<i64> = batch.existing.values().filter_map(|o| o.warehouse_id).collect();
        warehouses.insert(batch.order_warehouse(txn).await?);
        let keys: Vec<(i64, i64)> =
            batch.variants.keys().flat_map(|&v| warehouses.iter().map(move |&w| (v, w))).collect();
        batch.book.lock_existing(txn, keys).await?;
        Ok(batch)
    }

    /// The warehouse new orders of the channel reserve in.
    async fn order_warehouse(&mut self, txn: &DatabaseTransaction) -> ServiceResult<i64> {
        if let Some(id) = self.channel.order_warehouse_id {
            return Ok(id);
        }
        if let Some(id) = self.default_warehouse {
            return Ok(id);
        }
        let id = super::catalog::default_warehouse(txn).await?.id;
        self.default_warehouse = Some(id);
        Ok(id)
    }

    fn event(
        &mut self,
        order_id: i64,
        kind: OrderEventKind,
        message: String,
        statuses: Option<(OrderStatus, OrderStatus)>,
    ) {
        self.events.push(event_row(order_id, kind, message, statuses, None));
    }

    fn resolve_later(&mut self, order_id: i64, code: &'static str) {
        self.to_resolve.entry(code).or_default().push(order_id);
    }

    /// Applies one order of the batch. `None`: a concurrent import inserted it since `load` (the batch is retried).
    async fn apply(
        &mut self,
        txn: &DatabaseTransaction,
        co: &ChannelOrder,
        events_cutoff: Option<DateTime<Utc>>,
    ) -> ServiceResult<Option<Applied>> {
        let channel = self.channel;
        let statuses = crate::channels::marketplace(channel.kind).order_statuses;
        let existing = self.existing.get(&co.external_id).cloned();
        let mapped: Mapped = order_status::map_status(statuses, &co.status_raw, &self.overrides);
        let known = existing.as_ref().map(|o| Known {
            channel_updated_at: o.channel_updated_at,
            channel_status: o.channel_status.as_deref(),
            mapped: o
                .channel_status
                .as_deref()
                .map(|s| order_status::map_status(statuses, s, &self.overrides).status)
                .unwrap_or(o.hub_status),
        });
        let number = co.order_number.clone().unwrap_or_else(|| co.external_id.clone());
        let updated_at = rules::stored_time(co.updated_at);
        if let Some(o) = &existing
            && !rules::should_apply(known, updated_at, &co.status_raw, mapped.status)
        {
            self.processed.push(co.external_id.clone());
            return Ok(Some(Applied::Stale(o.id)));
        }
        let resolved = self.resolved.get(&co.external_id).cloned().unwrap_or_default();
        if existing.is_none() && resolved.iter().any(|r| r.stopped) {
            let message = format!(
                "{} order {number} was not imported: it contains a product whose sync was stopped (unlinked)",
                channel_name(channel.kind)
            );
            open_error(
                txn,
                channel.id,
                None,
                codes::CONTAINS_UNLINKED_PRODUCT,
                &message,
                Some(serde_json::json!({ "externalOrderId": co.external_id })),
            )
            .await?;
            if let Some(cutoff) = events_cutoff {
                mark_events_processed(txn, channel.id, &co.external_id, cutoff, Some(&message)).await?;
            }
            return Ok(Some(Applied::NotImported(message)));
        }

        let customer = save_customer(txn, channel, co, &mut self.customers).await?;
        let previous_status = existing.as_ref().map(|o| o.hub_status);
        let previous_raw = existing.as_ref().and_then(|o| o.channel_status.clone());
        let hub_status = match &existing {
            Some(o) if channel.process_orders_in_hub => o.hub_status,
            _ => mapped.status,
        };
        let (payment, refunded) = match mapped.payment {
            Some(PaymentStatus::Returned) => rules::refund(&returned_lines(channel.kind, co)),
            Some(p) => (p, existing.as_ref().map(|o| o.refunded_minor).unwrap_or(0)),
            None => (
                existing.as_ref().map(|o| o.payment_status).unwrap_or(PaymentStatus::Unpaid),
                existing.as_ref().map(|o| o.refunded_minor).unwrap_or(0),
            ),
        };
        let at = now();
        let address = serde_json::to_value(rules::saved_address(
            crate::channels::marketplace(channel.kind).orders.keeps_ward,
            &co.shipping_address,
        ))
        .map_err(anyhow::Error::from)?;
        let old_lines = existing.as_ref().and_then(|o| self.lines.get(&o.id)).cloned().unwrap_or_default();
        let mut lines = self.prepare_lines(txn, existing.as_ref(), co, &resolved, &old_lines).await?;
        let unlinked: Vec<&order_line::Model> = lines.iter().filter(|l| l.variant_id.is_none()).collect();
        let unlinked_count = unlinked.len();
        let unlinked_skus: Vec<String> =
            unlinked.iter().map(|l| l.seller_sku.clone().unwrap_or_else(|| l.title.clone())).collect();
        let (order, imported) = match existing {
            Some(o) => {
                let mut active: order::ActiveModel = o.into();
                active.order_number = Set(co.order_number.clone());
                active.hub_status = Set(hub_status);
                active.channel_status = Set(Some(co.status_raw.clone()));
                active.payment_status = Set(payment);
                active.refunded_minor = Set(refunded);
                if let Some(c) = &customer {
                    active.customer_id = Set(Some(c.id));
                    active.customer_name = Set(Some(c.name.clone()));
                    active.customer_phone = Set(c.phone.clone());
                    active.customer_email = Set(c.email.clone());
                }
                active.shipping_address = Set(Some(address));
                active.subtotal_minor = Set(co.subtotal_minor);
                active.shipping_fee_minor = Set(co.shipping_fee_minor);
                active.discount_minor = Set(co.discount_minor);
                active.total_minor = Set(co.total_minor);
                active.has_unlinked_lines = Set(unlinked_count > 0);
                active.channel_updated_at = Set(Some(updated_at));
                active.updated_at = Set(at);
                (active.update(txn).await?, false)
            }
            None => {
                let warehouse_id = if rules::tracks_stock(mapped.status, co.created_at, channel.connected_at) {
                    Some(self.order_warehouse(txn).await?)
                } else {
                    None
                };
                let row = order::ActiveModel {
                    channel_id: Set(channel.id),
                    external_id: Set(co.external_id.clone()),
                    order_number: Set(co.order_number.clone()),
                    hub_status: Set(hub_status),
                    channel_status: Set(Some(co.status_raw.clone())),
                    payment_status: Set(payment),
                    customer_id: Set(customer.as_ref().map(|c| c.id)),
                    customer_name: Set(customer.as_ref().map(|c| c.name.clone())),
                    customer_phone: Set(customer.as_ref().and_then(|c| c.phone.clone())),
                    customer_email: Set(customer.as_ref().and_then(|c| c.email.clone())),
                    shipping_address: Set(Some(address)),
                    currency: Set(co.currency.clone()),
                    subtotal_minor: Set(co.subtotal_minor),
                    shipping_fee_minor: Set(co.shipping_fee_minor),
                    discount_minor: Set(co.discount_minor),
                    total_minor: Set(co.total_minor),
                    refunded_minor: Set(refunded),
                    warehouse_id: Set(warehouse_id),
                    has_unlinked_lines: Set(unlinked_count > 0),
                    cancel_reason: Set(None),
                    placed_at: Set(rules::stored_time(co.created_at)),
                    channel_updated_at: Set(Some(updated_at)),
                    created_at: Set(at),
                    updated_at: Set(at),
                    ..Default::default()
                };
                let inserted = order::Entity::insert(row)
                    .on_conflict(
                        OnConflict::columns([order::Column::ChannelId, order::Column::ExternalId])
                            .do_nothing()
                            .to_owned(),
                    )
                    .exec_with_returning(txn)
                    .await;
                match inserted {
                    Ok(saved) => (saved, true),
                    Err(sea_orm::DbErr::RecordNotInserted) => return Ok(None),
                    Err(err) => return Err(err.into()),
                }
            }
        };
        for line in &mut lines {
            line.order_id = order.id;
        }

        // A just-inserted order has no errors, slips or lines yet: those reads and updates are skipped.
        if unlinked_count == 0 && !imported {
            self.resolve_later(order.id, codes::PRODUCT_NOT_LINKED);
        } else if unlinked_count > 0 {
            let message = format!(
                "{} order {number}: {} not linked to a hub product ({}); the order is kept and re-synced once linked",
                channel_name(channel.kind),
                if unlinked_count == 1 { "1 line is" } else { "some lines are" },
                unlinked_skus.join(", ")
            );
            open_error(txn, channel.id, Some(order.id), codes::PRODUCT_NOT_LINKED, &message, None).await?;
        }
        if mapped.recognized {
            if !imported {
                self.resolve_later(order.id, codes::STATUS_UNRECOGNIZED);
            }
        } else {
            let message = format!(
                "{} order {number} has status \"{}\", which no mapping knows: add it with statusMappingUpdate",
                channel_name(channel.kind),
                co.status_raw
            );
            open_error(txn, channel.id, Some(order.id), codes::STATUS_UNRECOGNIZED, &message, None).await?;
        }

        let raw_note = format!("{} status \"{}\"", channel_name(channel.kind), co.status_raw);
        if imported {
            self.event(
                order.id,
                OrderEventKind::Imported,
                format!("Imported from {} ({raw_note} → {})", channel.name, hub_status.as_str()),
                None,
            );
        } else if let Some(from) = previous_status
            && from != hub_status
        {
            self.event(
                order.id,
                OrderEventKind::StatusChanged,
                format!("{raw_note}: {} → {}", from.as_str(), hub_status.as_str()),
                Some((from, hub_status)),
            );
        } else if channel.process_orders_in_hub && previous_raw.as_deref() != Some(co.status_raw.as_str()) {
            self.event(
                order.id,
                OrderEventKind::Note,
                format!("{raw_note} (not applied: orders of this channel are processed in the hub)"),
                None,
            );
        }

        let stock = move_stock(txn, &mut self.book, &self.variants, &order, &mut lines, &self.in_slips).await?;
        if let Some(warehouse_id) = order.warehouse_id
            && !stock.moved.is_empty()
        {
            let warehouse_name = match self.warehouse_names.get(&warehouse_id) {
                Some(name) => name.clone(),
                None => {
                    let name =
                        warehouse::Entity::find_by_id(warehouse_id).one(txn).await?.map(|w| w.name).unwrap_or_default();
                    self.warehouse_names.insert(warehouse_id, name.clone());
                    name
                }
            };
            for (kind, message) in stock.history(&warehouse_name) {
                self.event(order.id, kind, message, None);
            }
        }
        if stock.refused.is_empty() {
            if !imported && stock.planned {
                self.resolve_later(order.id, codes::STOCK_REFUSED);
            }
        } else {
            open_error(
                txn,
                channel.id,
                Some(order.id),
                codes::STOCK_REFUSED,
                &format!("order {number}: {}", stock.refused.join("; ")),
                None,
            )
            .await?;
        }
        save_lines(txn, lines, &old_lines).await?;
        self.processed.push(co.external_id.clone());
        Ok(Some(if imported { Applied::Imported(order.id) } else { Applied::Updated(order.id) }))
    }

    /// The order's lines as they will be saved: new ones (id 0) and known ones refreshed (by the channel's line
    /// id); stock counters are left to `move_stock`. A reservation held on a variant the listing no longer links
    /// to is released there first.
    async fn prepare_lines(
        &mut self,
        txn: &DatabaseTransaction,
        order: Option<&order::Model>,
        co: &ChannelOrder,
        resolved: &[Resolved],
        old_lines: &[order_line::Model],
    ) -> ServiceResult<Vec<order_line::Model>> {
        let existing: HashMap<String, &order_line::Model> =
            old_lines.iter().map(|l| (l.external_line_id.clone().unwrap_or_else(|| format!("#{}", l.id)), l)).collect();
        let mut out = Vec::with_capacity(co.lines.len());
        let mut seen = HashSet::new();
        for (i, (l, r)) in co.lines.iter().zip(resolved).enumerate() {
            let key = if l.external_line_id.is_empty() { format!("#line{i}") } else { l.external_line_id.clone() };
            if !seen.insert(key.clone()) {
                continue;
            }
            let variant = r.variant_id.and_then(|id| self.variants.get(&id));
            let unit = variant.and_then(|v| v.unit.clone());
            let image = variant.and_then(|v| {
                v.image_url.clone().or_else(|| self.product_images.get(&v.product_id).cloned().flatten())
            });
            let has_variant = variant.is_some();
            match (existing.get(&key), order) {
                (Some(old), Some(order)) => {
                    // A line whose units already left on hand keeps its variant (the ledger names it).
                    let variant_id = if old.fulfilled_quantity > 0 { old.variant_id } else { r.variant_id };
                    let mut reserved = old.reserved_quantity;
                    if reserved > 0
                        && variant_id != old.variant_id
                        && let (Some(old_variant), Some(warehouse_id)) = (old.variant_id, order.warehouse_id)
                        && let Some(v) = self.variants.get(&old_variant)
                    {
                        let movement = Movement {
                            variant_id: v.id,
                            warehouse_id,
                            delta: crate::domain::inventory::Delta { committed: -reserved, ..Default::default() },
                            reason: LedgerReason::OrderReleased,
                            reference: Some((LedgerReference::Order, order.id)),
                            note: Some("the listing was linked to another variant".into()),
                        };
                        self.book.apply(txn, v, &movement).await?;
                        reserved = 0;
                    }
                    let mut line = (*old).clone();
                    line.listing_id = r.listing_id.or(old.listing_id);
                    line.variant_id = variant_id;
                    line.reserved_quantity = reserved;
                    line.seller_sku = l.seller_sku.clone();
                    line.title = l.title.clone();
                    line.variant_title = l.variant_title.clone();
                    line.quantity = l.quantity;
                    line.price_minor = l.price_minor;
                    line.discount_minor = l.discount_minor;
                    if has_variant {
                        line.unit = unit;
                        line.image_url = image;
                    }
                    out.push(line);
                }
                _ => out.push(order_line::Model {
                    id: 0,
                    order_id: order.map(|o| o.id).unwrap_or(0),
                    external_line_id: Some(key),
                    listing_id: r.listing_id,
                    seller_sku: l.seller_sku.clone(),
                    variant_id: r.variant_id,
                    title: l.title.clone(),
                    variant_title: l.variant_title.clone(),
                    quantity: l.quantity,
                    price_minor: l.price_minor,
                    discount_minor: l.discount_minor,
                    reserved_quantity: 0,
                    fulfilled_quantity: 0,
                    returned_quantity: 0,
                    unit,
                    image_url: image,
                }),
            }
        }
        Ok(out)
    }

    /// Writes what the batch kept for the end: stock (levels, ledger, push marks), history, resolved errors and
    /// answered webhook events.
    async fn finish(self, txn: &DatabaseTransaction, events_cutoff: Option<DateTime<Utc>>) -> ServiceResult<()> {
        self.book.flush(txn).await?;
        for chunk in self.events.chunks(ROWS_PER_STATEMENT) {
            order_event::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
        }
        for (code, order_ids) in &self.to_resolve {
            for chunk in order_ids.chunks(ROWS_PER_STATEMENT) {
                resolve_errors_of(txn, chunk, code).await?;
            }
        }
        if let Some(cutoff) = events_cutoff {
            for chunk in self.processed.chunks(ROWS_PER_STATEMENT) {
                mark_orders_events_processed(txn, self.channel.id, chunk, cutoff, None).await?;
            }
        }
        Ok(())
    }
}

/// Rows written per multi-row statement.
const ROWS_PER_STATEMENT: usize = 200;

/// Inserts new lines (all in one statement) and updates known ones that changed.
async fn save_lines(
    txn: &DatabaseTransaction,
    lines: Vec<order_line::Model>,
    old_lines: &[order_line::Model],
) -> ServiceResult<()> {
    let old: HashMap<i64, &order_line::Model> = old_lines.iter().map(|l| (l.id, l)).collect();
    let mut new_rows = Vec::new();
    for line in lines {
        if line.id == 0 {
            let mut active = order_line::ActiveModel::from(line).reset_all();
            active.id = sea_orm::ActiveValue::NotSet;
            new_rows.push(active);
        } else if old.get(&line.id).is_none_or(|o| **o != line) {
            let active: order_line::ActiveModel = line.into();
            active.reset_all().update(txn).await?;
        }
    }
    for chunk in new_rows.chunks(ROWS_PER_STATEMENT) {
        order_line::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    Ok(())
}

/// Units of each line of these orders on export slips that are not cancelled (the slips move those, not the order).
async fn units_in_slips(txn: &DatabaseTransaction, order_ids: &[i64]) -> ServiceResult<HashMap<i64, i64>> {
    if order_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let slips: Vec<i64> = export_slip::Entity::find()
        .select_only()
        .column(export_slip::Column::Id)
        .filter(export_slip::Column::OrderId.is_in(order_ids.to_vec()))
        .filter(export_slip::Column::Status.ne(ExportSlipStatus::Cancelled))
        .into_tuple()
        .all(txn)
        .await?;
    if slips.is_empty() {
        return Ok(HashMap::new());
    }
    let mut out = HashMap::new();
    for l in export_slip_line::Entity::find().filter(export_slip_line::Column::SlipId.is_in(slips)).all(txn).await? {
        if let Some(line) = l.order_line_id {
            *out.entry(line).or_insert(0) += l.quantity;
        }
    }
    Ok(out)
}

fn event_kind(reason: LedgerReason) -> OrderEventKind {
    match reason {
        LedgerReason::OrderReserved => OrderEventKind::StockReserved,
        LedgerReason::OrderReleased => OrderEventKind::StockReleased,
        LedgerReason::OrderRestocked => OrderEventKind::StockRestocked,
        _ => OrderEventKind::StockFulfilled,
    }
}

fn event_verb(reason: LedgerReason) -> &'static str {
    match reason {
        LedgerReason::OrderReserved => "Stock reserved",
        LedgerReason::OrderReleased => "Reservation released",
        LedgerReason::OrderRestocked => "Stock put back on hand",
        _ => "Stock taken from on hand",
    }
}

/// What bringing an order's lines to its status moved.
#[derive(Default)]
struct StockMoves {
    /// Whether the order's status wants stock followed at all (a warehouse, a phase that moves, linked lines).
    planned: bool,
    /// One entry per kind of movement: the lines and units moved.
    moved: BTreeMap<(i32, &'static str), (LedgerReason, Vec<String>)>,
    refused: Vec<String>,
}

impl StockMoves {
    /// One history line per kind of movement.
    fn history(&self, warehouse_name: &str) -> Vec<(OrderEventKind, String)> {
        self.moved
            .iter()
            .map(|((_, verb), (reason, items))| {
                (event_kind(*reason), format!("{verb} in {warehouse_name}: {}", items.join(", ")))
            })
            .collect()
    }
}

/// Brings every linked line's stock to what the order's hub status wants, through `book`, updating each line's
/// reserved and fulfilled counters in place. A refused movement (e.g. on hand below zero) leaves that line as it
/// was and is reported; the rest goes on.
async fn move_stock(
    txn: &DatabaseTransaction,
    book: &mut LevelBook,
    variants: &HashMap<i64, product_variant::Model>,
    order: &order::Model,
    lines: &mut [order_line::Model],
    in_slips: &HashMap<i64, i64>,
) -> ServiceResult<StockMoves> {
    let mut out = StockMoves::default();
    let Some(warehouse_id) = order.warehouse_id else { return Ok(out) };
    let phase = rules::stock_phase(order.hub_status);
    if phase == StockPhase::Keep || lines.iter().all(|l| l.variant_id.is_none()) {
        return Ok(out);
    }
    out.planned = true;
    // Levels in (variant) order, as every writer takes them.
    let mut ordered: Vec<&mut order_line::Model> = lines.iter_mut().collect();
    ordered.sort_by_key(|l| (l.variant_id, l.id));
    for line in ordered {
        let Some(variant) = line.variant_id.and_then(|id| variants.get(&id)) else { continue };
        let slip_units = if line.id == 0 { 0 } else { *in_slips.get(&line.id).unwrap_or(&0) };
        let stock = LineStock {
            quantity: line.quantity,
            reserved: line.reserved_quantity,
            fulfilled: line.fulfilled_quantity,
            in_slips: slip_units,
        };
        for step in rules::plan_line(stock, phase) {
            let movement = Movement {
                variant_id: variant.id,
                warehouse_id,
                delta: step.delta,
                reason: step.reason,
                reference: Some((LedgerReference::Order, order.id)),
                note: order.order_number.clone().map(|n| format!("order {n}")),
            };
            match book.apply(txn, variant, &movement).await {
                Ok(_) => {
                    line.reserved_quantity += step.reserved_delta;
                    line.fulfilled_quantity += step.fulfilled_delta;
                    let units = std::cmp::max(step.reserved_delta.abs(), step.fulfilled_delta.abs());
                    let label = line.seller_sku.clone().unwrap_or_else(|| line.title.clone());
                    out.moved
                        .entry((step.reason as i32, event_verb(step.reason)))
                        .or_insert_with(|| (step.reason, Vec::new()))
                        .1
                        .push(format!("{label} × {units}"));
                }
                Err(ServiceError::Rejected(errors)) => {
                    out.refused.extend(errors.into_iter().map(|e| e.message));
                    break;
                }
                Err(other) => return Err(other),
            }
        }
    }
    Ok(out)
}

/// Brings an order's stock to what its hub status wants (after a hub-side status change), with its history lines
/// and sync error, inside `txn`.
pub async fn apply_stock(
    txn: &DatabaseTransaction,
    order: order::Model,
    lines: Vec<order_line::Model>,
    fresh: bool,
) -> ServiceResult<order::Model> {
    if order.warehouse_id.is_none() || rules::stock_phase(order.hub_status) == StockPhase::Keep {
        return Ok(order);
    }
    let in_slips = if fresh { HashMap::new() } else { units_in_slips(txn, &[order.id]).await? };
    let variant_ids: BTreeSet<i64> = lines.iter().filter_map(|l| l.variant_id).collect();
    if variant_ids.is_empty() {
        return Ok(order);
    }
    let variants: HashMap<i64, product_variant::Model> = product_variant::Entity::find()
        .filter(product_variant::Column::Id.is_in(variant_ids))
        .all(txn)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let mut book = LevelBook::default();
    let mut updated = lines.clone();
    let stock = move_stock(txn, &mut book, &variants, &order, &mut updated, &in_slips).await?;
    book.flush(txn).await?;
    save_lines(txn, updated, &lines).await?;
    if let Some(warehouse_id) = order.warehouse_id
        && !stock.moved.is_empty()
    {
        let warehouse_name =
            warehouse::Entity::find_by_id(warehouse_id).one(txn).await?.map(|w| w.name).unwrap_or_default();
        let rows: Vec<order_event::ActiveModel> = stock
            .history(&warehouse_name)
            .into_iter()
            .map(|(kind, message)| event_row(order.id, kind, message, None, None))
            .collect();
        order_event::Entity::insert_many(rows).exec_without_returning(txn).await?;
    }
    if stock.refused.is_empty() {
        if !fresh {
            resolve_errors(txn, order.id, codes::STOCK_REFUSED).await?;
        }
    } else {
        let number = order.order_number.clone().unwrap_or_else(|| order.external_id.clone());
        open_error(
            txn,
            order.channel_id,
            Some(order.id),
            codes::STOCK_REFUSED,
            &format!("order {number}: {}", stock.refused.join("; ")),
            None,
        )
        .await?;
    }
    Ok(order)
}

/// Changes an order's hub status inside `txn`, with its history line and stock effects.
pub async fn change_hub_status(
    txn: &DatabaseTransaction,
    order: order::Model,
    to: OrderStatus,
    why: &str,
) -> ServiceResult<order::Model> {
    let from = order.hub_status;
    let order = if from == to {
        order
    } else {
        let mut active: order::ActiveModel = order.into();
        active.hub_status = Set(to);
        active.updated_at = Set(now());
        let order = active.update(txn).await?;
        add_event(
            txn,
            order.id,
            OrderEventKind::StatusChanged,
            format!("{why}: {} → {}", from.as_str(), to.as_str()),
            Some((from, to)),
            None,
        )
        .await?;
        order
    };
    let lines = order_line::Entity::find().filter(order_line::Column::OrderId.eq(order.id)).all(txn).await?;
    apply_stock(txn, order, lines, false).await
}

/// Orders of the channel kept with unlinked lines of which some line got linked since (its listing, or a listing
/// with its seller SKU, is linked now; or a manual link already pointed it to a variant): to be re-synced.
pub async fn orders_with_newly_linked_lines(
    db: &DatabaseConnection,
    channel_id: i64,
    limit: u64,
) -> ServiceResult<Vec<String>> {
    let orders: Vec<(i64, String)> = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .column(order::Column::ExternalId)
        .filter(order::Column::ChannelId.eq(channel_id))
        .filter(order::Column::HasUnlinkedLines.eq(true))
        // Only orders whose linked lines would take stock (the others' lines already show their variant).
        .filter(order::Column::WarehouseId.is_not_null())
        .filter(order::Column::HubStatus.is_in([
            OrderStatus::Pending,
            OrderStatus::ReadyToShip,
            OrderStatus::InTransit,
            OrderStatus::DeliveryFailed,
            OrderStatus::Delivered,
        ]))
        .order_by_asc(order::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let external: HashMap<i64, String> = orders.into_iter().collect();
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(external.keys().copied().collect::<Vec<_>>()))
        .filter(order_line::Column::ReservedQuantity.eq(0))
        .filter(order_line::Column::FulfilledQuantity.eq(0))
        .all(db)
        .await?;
    let skus: Vec<String> =
        lines.iter().filter(|l| l.listing_id.is_none()).filter_map(|l| l.seller_sku.clone()).collect();
    let mut listing_of_sku: HashMap<String, i64> = HashMap::new();
    if !skus.is_empty() {
        for l in channel_listing::Entity::find()
            .filter(channel_listing::Column::ChannelId.eq(channel_id))
            .filter(channel_listing::Column::SellerSku.is_in(skus))
            .all(db)
            .await?
        {
            if let Some(s) = l.seller_sku {
                listing_of_sku.entry(s).or_insert(l.id);
            }
        }
    }
    let listing_of = |l: &order_line::Model| {
        l.listing_id.or_else(|| l.seller_sku.as_ref().and_then(|s| listing_of_sku.get(s).copied()))
    };
    let listing_ids: Vec<i64> = lines.iter().filter_map(listing_of).collect();
    let linked: HashSet<i64> = if listing_ids.is_empty() {
        HashSet::new()
    } else {
        product_link::Entity::find()
            .filter(product_link::Column::ListingId.is_in(listing_ids))
            .filter(product_link::Column::State.is_in([LinkState::Linked, LinkState::SyncError]))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|l| l.listing_id)
            .collect()
    };
    let mut out: Vec<String> = lines
        .iter()
        .filter(|l| l.variant_id.is_some() || listing_of(l).is_some_and(|id| linked.contains(&id)))
        .filter_map(|l| external.get(&l.order_id).cloned())
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}
