//! Order import (SPEC §4): one idempotent upsert keyed by (channel, external order id) that every path uses —
//! webhook fetches, polling, resyncs. In one write transaction it maps the status, saves the customer, upserts
//! the lines against the channel's links, moves stock through the ledger (`inventory::apply_movement`), writes the
//! order's history and sync errors, and marks the webhook events it answers as processed.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use entity::enums::{ChannelKind, ExportSlipStatus, LedgerReason, LedgerReference, LinkState, OrderEventKind, OrderStatus, PaymentStatus, SyncErrorKind};
use entity::{
    channel, channel_listing, customer, export_slip, export_slip_line, order, order_event, order_line, product, product_link, product_variant,
    sync_error, warehouse, webhook_event,
};

use super::inventory::{Movement, apply_movement};
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
async fn resolve_lines<C: ConnectionTrait>(db: &C, channel_id: i64, lines: &[ChannelOrderLine]) -> ServiceResult<Vec<Resolved>> {
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
        by_ids.or_else(|| l.seller_sku.as_deref().and_then(|s| listings.iter().find(|x| x.seller_sku.as_deref() == Some(s)))).map(|x| x.id)
    };
    let listing_ids: Vec<Option<i64>> = lines.iter().map(listing_of).collect();
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
            Resolved { listing_id, variant_id: linked.and_then(|l| l.variant_id), stopped: link.is_some_and(|l| l.state == LinkState::Unlinked) }
        })
        .collect())
}

/// Whether each line was returned: by its own status where the channel has line statuses (Lazada), else all.
fn returned_lines(kind: ChannelKind, co: &ChannelOrder) -> Vec<(i64, bool)> {
    let none = HashMap::new();
    let has_line_statuses = co.lines.iter().any(|l| l.status_raw.is_some());
    co.lines
        .iter()
        .map(|l| {
            let amount = l.price_minor * l.quantity - l.discount_minor;
            let returned = !has_line_statuses
                || l.status_raw.as_deref().is_some_and(|s| order_status::map_status(kind, s, &none).payment == Some(PaymentStatus::Returned));
            (amount, returned)
        })
        .collect()
}

/// Saves the buyer: one customer per phone number (else per channel buyer id).
async fn save_customer(txn: &DatabaseTransaction, channel: &channel::Model, co: &ChannelOrder) -> ServiceResult<Option<customer::Model>> {
    let phone = rules::normalize_phone(co.customer.phone.as_deref().or(co.shipping_address.phone.as_deref()));
    let name = co.customer.name.clone().or_else(|| co.shipping_address.name.clone()).map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let external_id = co.customer.external_id.clone().filter(|e| !e.is_empty());
    if phone.is_none() && name.is_none() && external_id.is_none() {
        return Ok(None);
    }
    let email = rules::customer_email(channel.kind, phone.as_deref(), &channel.country, co.customer.email.as_deref());
    let address = serde_json::to_value(rules::saved_address(channel.kind, &co.shipping_address)).map_err(anyhow::Error::from)?;
    let mut existing = None;
    if let Some(phone) = &phone {
        existing = customer::Entity::find().filter(customer::Column::Phone.eq(phone.as_str())).order_by_asc(customer::Column::Id).one(txn).await?;
    }
    if existing.is_none()
        && let Some(ext) = &external_id
    {
        existing = customer::Entity::find()
            .filter(customer::Column::ChannelId.eq(channel.id))
            .filter(customer::Column::ExternalId.eq(ext.as_str()))
            .one(txn)
            .await?;
    }
    let at = now();
    let display = name.clone().or_else(|| phone.clone()).unwrap_or_else(|| "Customer".to_owned());
    let saved = match existing {
        Some(c) => {
            let unchanged = c.name == display && c.email == email.clone().or(c.email.clone()) && c.address.as_ref() == Some(&address) && (phone.is_none() || c.phone == phone);
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
                .on_conflict(OnConflict::columns([customer::Column::ChannelId, customer::Column::ExternalId]).do_nothing().to_owned())
                .exec_with_returning(txn)
                .await;
            match inserted {
                Ok(model) => model,
                Err(sea_orm::DbErr::RecordNotInserted) => customer::Entity::find()
                    .filter(customer::Column::ChannelId.eq(channel.id))
                    .filter(customer::Column::ExternalId.eq(external_id.clone()))
                    .one(txn)
                    .await?
                    .ok_or_else(|| ServiceError::Unexpected(anyhow::anyhow!("customer {external_id:?} vanished inside its transaction")))?,
                Err(err) => return Err(err.into()),
            }
        }
    };
    Ok(Some(saved))
}

/// Opens (or counts again) an order sync error; `order_id` None for orders that were not imported.
pub async fn open_error<C: ConnectionTrait>(db: &C, channel_id: i64, order_id: Option<i64>, code: &str, message: &str, details: Option<serde_json::Value>) -> ServiceResult<()> {
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
    sync_error::Entity::update_many()
        .col_expr(sync_error::Column::ResolvedAt, Expr::value(now()))
        .filter(sync_error::Column::OrderId.eq(order_id))
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
pub async fn mark_events_processed<C: ConnectionTrait>(db: &C, channel_id: i64, external_id: &str, cutoff: DateTime<Utc>, error: Option<&str>) -> ServiceResult<()> {
    webhook_event::Entity::update_many()
        .col_expr(webhook_event::Column::ProcessedAt, Expr::value(now()))
        .col_expr(webhook_event::Column::Error, Expr::value(error.map(str::to_owned)))
        .filter(webhook_event::Column::ChannelId.eq(channel_id))
        .filter(webhook_event::Column::ExternalOrderId.eq(external_id))
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
    .insert(db)
    .await?;
    Ok(())
}

fn channel_name(kind: ChannelKind) -> &'static str {
    super::channels::kind_name(kind)
}

/// Applies one channel order (the upsert every import path uses). `events_cutoff`: webhook events of this order
/// received up to then are marked processed in the same transaction.
pub async fn apply_channel_order(db: &DatabaseConnection, channel: &channel::Model, co: &ChannelOrder, events_cutoff: Option<DateTime<Utc>>) -> ServiceResult<Applied> {
    // A new order inserted by a concurrent import between our read and our insert: read again and update it.
    for _ in 0..3 {
        if let Some(applied) = try_apply(db, channel, co, events_cutoff).await? {
            return Ok(applied);
        }
    }
    Err(ServiceError::Unexpected(anyhow::anyhow!("order {} kept conflicting with concurrent imports", co.external_id)))
}

async fn try_apply(db: &DatabaseConnection, channel: &channel::Model, co: &ChannelOrder, events_cutoff: Option<DateTime<Utc>>) -> ServiceResult<Option<Applied>> {
    let txn = begin_write(db).await?;
    let existing = order::Entity::find()
        .filter(order::Column::ChannelId.eq(channel.id))
        .filter(order::Column::ExternalId.eq(co.external_id.as_str()))
        .lock_exclusive()
        .one(&txn)
        .await?;
    let overrides = overrides_of(channel);
    let mapped: Mapped = order_status::map_status(channel.kind, &co.status_raw, &overrides);
    let known = existing.as_ref().map(|o| Known {
        channel_updated_at: o.channel_updated_at,
        channel_status: o.channel_status.as_deref(),
        mapped: o.channel_status.as_deref().map(|s| order_status::map_status(channel.kind, s, &overrides).status).unwrap_or(o.hub_status),
    });
    let number = co.order_number.clone().unwrap_or_else(|| co.external_id.clone());
    let updated_at = rules::stored_time(co.updated_at);
    if let Some(o) = &existing
        && !rules::should_apply(known, updated_at, &co.status_raw, mapped.status)
    {
        if let Some(cutoff) = events_cutoff {
            mark_events_processed(&txn, channel.id, &co.external_id, cutoff, None).await?;
        }
        txn.commit().await?;
        return Ok(Some(Applied::Stale(o.id)));
    }
    let resolved = resolve_lines(&txn, channel.id, &co.lines).await?;
    if existing.is_none() && resolved.iter().any(|r| r.stopped) {
        let message = format!("{} order {number} was not imported: it contains a product whose sync was stopped (unlinked)", channel_name(channel.kind));
        open_error(&txn, channel.id, None, codes::CONTAINS_UNLINKED_PRODUCT, &message, Some(serde_json::json!({ "externalOrderId": co.external_id }))).await?;
        if let Some(cutoff) = events_cutoff {
            mark_events_processed(&txn, channel.id, &co.external_id, cutoff, Some(&message)).await?;
        }
        txn.commit().await?;
        return Ok(Some(Applied::NotImported(message)));
    }

    let customer = save_customer(&txn, channel, co).await?;
    let previous_status = existing.as_ref().map(|o| o.hub_status);
    let previous_raw = existing.as_ref().and_then(|o| o.channel_status.clone());
    let hub_status = match &existing {
        Some(o) if channel.process_orders_in_hub => o.hub_status,
        _ => mapped.status,
    };
    let (payment, refunded) = match mapped.payment {
        Some(PaymentStatus::Returned) => rules::refund(&returned_lines(channel.kind, co)),
        Some(p) => (p, existing.as_ref().map(|o| o.refunded_minor).unwrap_or(0)),
        None => (existing.as_ref().map(|o| o.payment_status).unwrap_or(PaymentStatus::Unpaid), existing.as_ref().map(|o| o.refunded_minor).unwrap_or(0)),
    };
    let at = now();
    let address = serde_json::to_value(rules::saved_address(channel.kind, &co.shipping_address)).map_err(anyhow::Error::from)?;
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
            active.channel_updated_at = Set(Some(updated_at));
            active.updated_at = Set(at);
            (active.update(&txn).await?, false)
        }
        None => {
            let warehouse_id = if rules::tracks_stock(mapped.status, co.created_at, channel.connected_at) {
                Some(match channel.order_warehouse_id {
                    Some(id) => id,
                    None => super::catalog::default_warehouse(&txn).await?.id,
                })
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
                has_unlinked_lines: Set(false),
                cancel_reason: Set(None),
                placed_at: Set(rules::stored_time(co.created_at)),
                channel_updated_at: Set(Some(updated_at)),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            };
            let inserted = order::Entity::insert(row)
                .on_conflict(OnConflict::columns([order::Column::ChannelId, order::Column::ExternalId]).do_nothing().to_owned())
                .exec_without_returning(&txn)
                .await?;
            if inserted == 0 {
                txn.rollback().await?;
                return Ok(None);
            }
            let saved = order::Entity::find()
                .filter(order::Column::ChannelId.eq(channel.id))
                .filter(order::Column::ExternalId.eq(co.external_id.as_str()))
                .one(&txn)
                .await?
                .ok_or_else(|| ServiceError::Unexpected(anyhow::anyhow!("order vanished inside its transaction")))?;
            (saved, true)
        }
    };

    let lines = upsert_lines(&txn, &order, co, &resolved, imported).await?;
    let unlinked: Vec<&order_line::Model> = lines.iter().filter(|l| l.variant_id.is_none()).collect();
    let unlinked_count = unlinked.len();
    // A just-inserted order has no errors, slips or lines yet: those reads and updates are skipped.
    if unlinked.is_empty() && !imported {
        resolve_errors(&txn, order.id, codes::PRODUCT_NOT_LINKED).await?;
    } else if !unlinked.is_empty() {
        let skus: Vec<String> = unlinked.iter().map(|l| l.seller_sku.clone().unwrap_or_else(|| l.title.clone())).collect();
        let message = format!(
            "{} order {number}: {} not linked to a hub product ({}); the order is kept and re-synced once linked",
            channel_name(channel.kind),
            if unlinked.len() == 1 { "1 line is" } else { "some lines are" },
            skus.join(", ")
        );
        open_error(&txn, channel.id, Some(order.id), codes::PRODUCT_NOT_LINKED, &message, None).await?;
    }
    if mapped.recognized {
        if !imported {
            resolve_errors(&txn, order.id, codes::STATUS_UNRECOGNIZED).await?;
        }
    } else {
        let message = format!(
            "{} order {number} has status \"{}\", which no mapping knows: add it with statusMappingUpdate",
            channel_name(channel.kind),
            co.status_raw
        );
        open_error(&txn, channel.id, Some(order.id), codes::STATUS_UNRECOGNIZED, &message, None).await?;
    }

    let raw_note = format!("{} status \"{}\"", channel_name(channel.kind), co.status_raw);
    if imported {
        add_event(&txn, order.id, OrderEventKind::Imported, format!("Imported from {} ({raw_note} → {})", channel.name, hub_status.as_str()), None, None).await?;
    } else if let Some(from) = previous_status
        && from != hub_status
    {
        add_event(&txn, order.id, OrderEventKind::StatusChanged, format!("{raw_note}: {} → {}", from.as_str(), hub_status.as_str()), Some((from, hub_status)), None).await?;
    } else if channel.process_orders_in_hub && previous_raw.as_deref() != Some(co.status_raw.as_str()) {
        add_event(&txn, order.id, OrderEventKind::Note, format!("{raw_note} (not applied: orders of this channel are processed in the hub)"), None, None).await?;
    }
    let order = apply_stock(&txn, order, lines, imported).await?;
    let order = set_unlinked_flag(&txn, order, unlinked_count).await?;
    if let Some(cutoff) = events_cutoff {
        mark_events_processed(&txn, channel.id, &co.external_id, cutoff, None).await?;
    }
    txn.commit().await?;
    Ok(Some(if imported { Applied::Imported(order.id) } else { Applied::Updated(order.id) }))
}

async fn set_unlinked_flag(txn: &DatabaseTransaction, order: order::Model, unlinked: usize) -> ServiceResult<order::Model> {
    if order.has_unlinked_lines == (unlinked > 0) {
        return Ok(order);
    }
    let mut active: order::ActiveModel = order.into();
    active.has_unlinked_lines = Set(unlinked > 0);
    Ok(active.update(txn).await?)
}

/// Inserts new lines and refreshes known ones (by the channel's line id); stock counters are left to `apply_stock`.
async fn upsert_lines(txn: &DatabaseTransaction, order: &order::Model, co: &ChannelOrder, resolved: &[Resolved], fresh: bool) -> ServiceResult<Vec<order_line::Model>> {
    let order_id = order.id;
    let existing: HashMap<String, order_line::Model> = if fresh {
        HashMap::new()
    } else {
        order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order_id))
        .all(txn)
        .await?
        .into_iter()
            .map(|l| (l.external_line_id.clone().unwrap_or_else(|| format!("#{}", l.id)), l))
            .collect()
    };
    let variant_ids: Vec<i64> = resolved.iter().filter_map(|r| r.variant_id).collect();
    let variants: HashMap<i64, product_variant::Model> = if variant_ids.is_empty() {
        HashMap::new()
    } else {
        product_variant::Entity::find().filter(product_variant::Column::Id.is_in(variant_ids)).all(txn).await?.into_iter().map(|v| (v.id, v)).collect()
    };
    let product_images: HashMap<i64, Option<String>> = {
        let ids: Vec<i64> = variants.values().map(|v| v.product_id).collect();
        if ids.is_empty() {
            HashMap::new()
        } else {
            product::Entity::find().filter(product::Column::Id.is_in(ids)).all(txn).await?.into_iter().map(|p| (p.id, p.image_url)).collect()
        }
    };
    let mut out = Vec::with_capacity(co.lines.len());
    let mut seen = HashSet::new();
    for (i, (l, r)) in co.lines.iter().zip(resolved).enumerate() {
        let key = if l.external_line_id.is_empty() { format!("#line{i}") } else { l.external_line_id.clone() };
        if !seen.insert(key.clone()) {
            continue;
        }
        let variant = r.variant_id.and_then(|id| variants.get(&id));
        let unit = variant.and_then(|v| v.unit.clone());
        let image = variant.and_then(|v| v.image_url.clone().or_else(|| product_images.get(&v.product_id).cloned().flatten()));
        match existing.get(&key) {
            Some(old) => {
                // A line whose units already left on hand keeps its variant (the ledger names it); a reservation
                // held on a variant the listing no longer links to is released there first.
                let variant_id = if old.fulfilled_quantity > 0 { old.variant_id } else { r.variant_id };
                let mut reserved = old.reserved_quantity;
                if reserved > 0
                    && variant_id != old.variant_id
                    && let (Some(old_variant), Some(warehouse_id)) = (old.variant_id, order.warehouse_id)
                    && let Some(v) = product_variant::Entity::find_by_id(old_variant).one(txn).await?
                {
                    let movement = Movement {
                        variant_id: v.id,
                        warehouse_id,
                        delta: crate::domain::inventory::Delta { committed: -reserved, ..Default::default() },
                        reason: LedgerReason::OrderReleased,
                        reference: Some((LedgerReference::Order, order_id)),
                        note: Some("the listing was linked to another variant".into()),
                    };
                    apply_movement(txn, &v, &movement).await?;
                    reserved = 0;
                }
                let changed = old.listing_id != r.listing_id.or(old.listing_id)
                    || old.variant_id != variant_id
                    || old.reserved_quantity != reserved
                    || old.quantity != l.quantity
                    || old.price_minor != l.price_minor
                    || old.discount_minor != l.discount_minor
                    || old.title != l.title;
                if changed {
                    let mut active: order_line::ActiveModel = old.clone().into();
                    active.listing_id = Set(r.listing_id.or(old.listing_id));
                    active.variant_id = Set(variant_id);
                    active.reserved_quantity = Set(reserved);
                    active.seller_sku = Set(l.seller_sku.clone());
                    active.title = Set(l.title.clone());
                    active.variant_title = Set(l.variant_title.clone());
                    active.quantity = Set(l.quantity);
                    active.price_minor = Set(l.price_minor);
                    active.discount_minor = Set(l.discount_minor);
                    if variant.is_some() {
                        active.unit = Set(unit);
                        active.image_url = Set(image);
                    }
                    out.push(active.update(txn).await?);
                } else {
                    out.push(old.clone());
                }
            }
            None => {
                out.push(
                    order_line::ActiveModel {
                        order_id: Set(order_id),
                        external_line_id: Set(Some(key)),
                        listing_id: Set(r.listing_id),
                        seller_sku: Set(l.seller_sku.clone()),
                        variant_id: Set(r.variant_id),
                        title: Set(l.title.clone()),
                        variant_title: Set(l.variant_title.clone()),
                        quantity: Set(l.quantity),
                        price_minor: Set(l.price_minor),
                        discount_minor: Set(l.discount_minor),
                        reserved_quantity: Set(0),
                        fulfilled_quantity: Set(0),
                        returned_quantity: Set(0),
                        unit: Set(unit),
                        image_url: Set(image),
                        ..Default::default()
                    }
                    .insert(txn)
                    .await?,
                );
            }
        }
    }
    Ok(out)
}

/// Units of each line on export slips that are not cancelled (the slips move those, not the order).
async fn units_in_slips(txn: &DatabaseTransaction, order_id: i64) -> ServiceResult<HashMap<i64, i64>> {
    let slips: Vec<i64> = export_slip::Entity::find()
        .select_only()
        .column(export_slip::Column::Id)
        .filter(export_slip::Column::OrderId.eq(order_id))
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

/// Brings every linked line's stock to what the order's hub status wants, through the ledger, writing one history
/// line per kind of movement. `fresh`: the order was inserted in this transaction (no slips, no errors yet). A refused movement (e.g. on hand below
/// zero) leaves that line as it was and opens a sync error; the rest goes on.
pub async fn apply_stock(txn: &DatabaseTransaction, order: order::Model, lines: Vec<order_line::Model>, fresh: bool) -> ServiceResult<order::Model> {
    let Some(warehouse_id) = order.warehouse_id else { return Ok(order) };
    let phase = rules::stock_phase(order.hub_status);
    if phase == StockPhase::Keep {
        return Ok(order);
    }
    let in_slips = if fresh { HashMap::new() } else { units_in_slips(txn, order.id).await? };
    let variant_ids: Vec<i64> = lines.iter().filter_map(|l| l.variant_id).collect();
    if variant_ids.is_empty() {
        return Ok(order);
    }
    let variants: HashMap<i64, product_variant::Model> =
        product_variant::Entity::find().filter(product_variant::Column::Id.is_in(variant_ids)).all(txn).await?.into_iter().map(|v| (v.id, v)).collect();
    let mut summary: BTreeMap<(i32, &'static str), (LedgerReason, Vec<String>)> = BTreeMap::new();
    let mut refused = Vec::new();
    // Lock levels in (variant) order so two orders never deadlock.
    let mut ordered: Vec<order_line::Model> = lines;
    ordered.sort_by_key(|l| (l.variant_id, l.id));
    for line in ordered {
        let Some(variant) = line.variant_id.and_then(|id| variants.get(&id)) else { continue };
        let stock = LineStock { quantity: line.quantity, reserved: line.reserved_quantity, fulfilled: line.fulfilled_quantity, in_slips: *in_slips.get(&line.id).unwrap_or(&0) };
        let steps = rules::plan_line(stock, phase);
        if steps.is_empty() {
            continue;
        }
        let (mut reserved, mut fulfilled) = (line.reserved_quantity, line.fulfilled_quantity);
        for step in steps {
            let movement = Movement {
                variant_id: variant.id,
                warehouse_id,
                delta: step.delta,
                reason: step.reason,
                reference: Some((LedgerReference::Order, order.id)),
                note: order.order_number.clone().map(|n| format!("order {n}")),
            };
            match apply_movement(txn, variant, &movement).await {
                Ok(_) => {
                    reserved += step.reserved_delta;
                    fulfilled += step.fulfilled_delta;
                    let units = std::cmp::max(step.reserved_delta.abs(), step.fulfilled_delta.abs());
                    let label = line.seller_sku.clone().unwrap_or_else(|| line.title.clone());
                    summary
                        .entry((step.reason as i32, event_verb(step.reason)))
                        .or_insert_with(|| (step.reason, Vec::new()))
                        .1
                        .push(format!("{label} × {units}"));
                }
                Err(ServiceError::Rejected(errors)) => {
                    refused.extend(errors.into_iter().map(|e| e.message));
                    break;
                }
                Err(other) => return Err(other),
            }
        }
        if reserved != line.reserved_quantity || fulfilled != line.fulfilled_quantity {
            order_line::Entity::update_many()
                .col_expr(order_line::Column::ReservedQuantity, Expr::value(reserved))
                .col_expr(order_line::Column::FulfilledQuantity, Expr::value(fulfilled))
                .filter(order_line::Column::Id.eq(line.id))
                .exec(txn)
                .await?;
        }
    }
    let warehouse_name = warehouse::Entity::find_by_id(warehouse_id).one(txn).await?.map(|w| w.name).unwrap_or_default();
    for ((_, verb), (reason, items)) in summary {
        add_event(txn, order.id, event_kind(reason), format!("{verb} in {warehouse_name}: {}", items.join(", ")), None, None).await?;
    }
    if refused.is_empty() {
        if !fresh {
            resolve_errors(txn, order.id, codes::STOCK_REFUSED).await?;
        }
    } else {
        let number = order.order_number.clone().unwrap_or_else(|| order.external_id.clone());
        open_error(txn, order.channel_id, Some(order.id), codes::STOCK_REFUSED, &format!("order {number}: {}", refused.join("; ")), None).await?;
    }
    Ok(order)
}

/// Changes an order's hub status inside `txn`, with its history line and stock effects.
pub async fn change_hub_status(txn: &DatabaseTransaction, order: order::Model, to: OrderStatus, why: &str) -> ServiceResult<order::Model> {
    let from = order.hub_status;
    let order = if from == to {
        order
    } else {
        let mut active: order::ActiveModel = order.into();
        active.hub_status = Set(to);
        active.updated_at = Set(now());
        let order = active.update(txn).await?;
        add_event(txn, order.id, OrderEventKind::StatusChanged, format!("{why}: {} → {}", from.as_str(), to.as_str()), Some((from, to)), None).await?;
        order
    };
    let lines = order_line::Entity::find().filter(order_line::Column::OrderId.eq(order.id)).all(txn).await?;
    apply_stock(txn, order, lines, false).await
}

/// Orders of the channel kept with unlinked lines of which some line got linked since (its listing, or a listing
/// with its seller SKU, is linked now; or a manual link already pointed it to a variant): to be re-synced.
pub async fn orders_with_newly_linked_lines(db: &DatabaseConnection, channel_id: i64, limit: u64) -> ServiceResult<Vec<String>> {
    let orders: Vec<(i64, String)> = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .column(order::Column::ExternalId)
        .filter(order::Column::ChannelId.eq(channel_id))
        .filter(order::Column::HasUnlinkedLines.eq(true))
        // Only orders whose linked lines would take stock (the others' lines already show their variant).
        .filter(order::Column::WarehouseId.is_not_null())
        .filter(order::Column::HubStatus.is_in([OrderStatus::Pending, OrderStatus::ReadyToShip, OrderStatus::InTransit, OrderStatus::DeliveryFailed, OrderStatus::Delivered]))
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
    let skus: Vec<String> = lines.iter().filter(|l| l.listing_id.is_none()).filter_map(|l| l.seller_sku.clone()).collect();
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
    let listing_of = |l: &order_line::Model| l.listing_id.or_else(|| l.seller_sku.as_ref().and_then(|s| listing_of_sku.get(s).copied()));
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
