//! Orders as the merchant reads them: the filtered list, one order with its lines, customer, history, export
//! slips and open errors, and which orders a resync by filter covers.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use entity::enums::{OrderStatus, PaymentStatus, SyncErrorKind};
use entity::{order, order_event, sync_error};

use crate::domain::actor::ActorFilter;
use crate::domain::orders as rules;
use crate::services::pagination::{Page, PageArgs, SortColumn, SortKey, SortValueKind, paginate};
use crate::services::{ServiceResult, folded_contains};

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub channel_id: Option<i64>,
    pub status: Option<OrderStatus>,
    pub payment_status: Option<PaymentStatus>,
    /// Placed at or after.
    pub placed_from: Option<DateTime<Utc>>,
    /// Placed before.
    pub placed_to: Option<DateTime<Utc>>,
    /// Order number, channel order id, customer name or phone contains (folded: "nguyen" finds "Nguyễn"; a
    /// phone in any spelling).
    pub search: Option<String>,
    pub has_unlinked_lines: Option<bool>,
    /// Changed in the hub at or after (`updated_at`).
    pub updated_at_min: Option<DateTime<Utc>>,
}

/// The orders list's sort keys; ties are broken by id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OrderSortKey {
    /// Import order (the primary key).
    #[default]
    Id,
    /// When the hub imported the order (`created_at`).
    CreatedAt,
    /// When the order last changed in the hub (`updated_at`).
    UpdatedAt,
    /// When the buyer placed it on the channel (`placed_at`).
    PlacedAt,
}

impl SortKey for OrderSortKey {
    fn name(self) -> &'static str {
        match self {
            Self::Id => "ID",
            Self::CreatedAt => "CREATED_AT",
            Self::UpdatedAt => "UPDATED_AT",
            Self::PlacedAt => "PLACED_AT",
        }
    }

    fn value_kind(self) -> Option<SortValueKind> {
        (self != Self::Id).then_some(SortValueKind::Time)
    }
}

impl SortColumn<order::Entity> for OrderSortKey {
    fn column(self) -> Option<order::Column> {
        match self {
            Self::Id => None,
            Self::CreatedAt => Some(order::Column::CreatedAt),
            Self::UpdatedAt => Some(order::Column::UpdatedAt),
            Self::PlacedAt => Some(order::Column::PlacedAt),
        }
    }
}

fn filtered(filter: &OrderFilter) -> sea_orm::Select<order::Entity> {
    let mut select = order::Entity::find();
    if let Some(id) = filter.channel_id {
        select = select.filter(order::Column::ChannelId.eq(id));
    }
    if let Some(s) = filter.status {
        select = select.filter(order::Column::HubStatus.eq(s));
    }
    if let Some(p) = filter.payment_status {
        select = select.filter(order::Column::PaymentStatus.eq(p));
    }
    if let Some(from) = filter.placed_from {
        select = select.filter(order::Column::PlacedAt.gte(from));
    }
    if let Some(to) = filter.placed_to {
        select = select.filter(order::Column::PlacedAt.lt(to));
    }
    if let Some(at) = filter.updated_at_min {
        select = select.filter(order::Column::UpdatedAt.gte(at));
    }
    if let Some(flag) = filter.has_unlinked_lines {
        select = select.filter(order::Column::HasUnlinkedLines.eq(flag));
    }
    if let Some(search) = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        select = select.filter(search_condition(order::Column::SearchText, search));
    }
    select
}

/// A search in a `search_text` column that holds names and phones (orders, customers): the folded term, or, when
/// the term is written like a phone (`+84 90-123 4567`), its digits, which the column holds in E.164 and national
/// form.
pub fn search_condition<C: ColumnTrait>(column: C, term: &str) -> Condition {
    let mut any = Condition::any().add(folded_contains(column, term));
    let phone_like = term.chars().all(|c| c.is_ascii_digit() || " +-.()".contains(c));
    if let Some(digits) = rules::normalize_phone(Some(term)).filter(|d| phone_like && d.len() >= 3) {
        any = any.add(folded_contains(column, &digits));
    }
    any
}

pub async fn list(
    db: &DatabaseConnection,
    filter: &OrderFilter,
    page: &PageArgs<OrderSortKey>,
) -> ServiceResult<Page<order::Model>> {
    paginate(db, filtered(filter), order::Column::Id, page).await
}

/// Ids of the orders matching `filter`, at most `limit` (for a resync by filter).
pub async fn ids_matching(
    db: &DatabaseConnection,
    filter: &OrderFilter,
    limit: u64,
) -> ServiceResult<Vec<(i64, i64, String)>> {
    Ok(filtered(filter)
        .select_only()
        .column(order::Column::Id)
        .column(order::Column::ChannelId)
        .column(order::Column::ExternalId)
        .order_by_asc(order::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

pub async fn get(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<order::Model>> {
    Ok(order::Entity::find_by_id(id).one(db).await?)
}

pub async fn by_ids(db: &DatabaseConnection, ids: &[i64]) -> ServiceResult<Vec<order::Model>> {
    Ok(order::Entity::find()
        .filter(order::Column::Id.is_in(ids.to_vec()))
        .order_by_asc(order::Column::Id)
        .all(db)
        .await?)
}

/// The order's history, oldest first, narrowed to the actors `by` lets through.
pub async fn events(
    db: &DatabaseConnection,
    order_id: i64,
    by: &ActorFilter,
) -> ServiceResult<Vec<order_event::Model>> {
    let mut select = order_event::Entity::find().filter(order_event::Column::OrderId.eq(order_id));
    if let Some(kind) = by.kind {
        select = select.filter(order_event::Column::ActorKind.eq(kind));
    }
    if let Some(name) = &by.name {
        select = select.filter(order_event::Column::ActorName.eq(name.as_str()));
    }
    Ok(select.order_by_asc(order_event::Column::Id).all(db).await?)
}

/// The orders' export slips, oldest first.
pub async fn export_slips(
    db: &DatabaseConnection,
    order_ids: Vec<i64>,
) -> ServiceResult<Vec<entity::export_slip::Model>> {
    use entity::export_slip;
    Ok(export_slip::Entity::find()
        .filter(export_slip::Column::OrderId.is_in(order_ids))
        .order_by_asc(export_slip::Column::Id)
        .all(db)
        .await?)
}

/// The returns recorded for the orders, oldest first.
pub async fn returns(db: &DatabaseConnection, order_ids: Vec<i64>) -> ServiceResult<Vec<entity::order_return::Model>> {
    use entity::order_return;
    Ok(order_return::Entity::find()
        .filter(order_return::Column::OrderId.is_in(order_ids))
        .order_by_asc(order_return::Column::Id)
        .all(db)
        .await?)
}

/// The orders' sync errors not resolved or dismissed, oldest first.
pub async fn open_errors(db: &DatabaseConnection, order_ids: Vec<i64>) -> ServiceResult<Vec<sync_error::Model>> {
    Ok(sync_error::Entity::find()
        .filter(sync_error::Column::OrderId.is_in(order_ids))
        .filter(sync_error::Column::Kind.eq(SyncErrorKind::Order))
        .filter(sync_error::Column::ResolvedAt.is_null())
        .filter(sync_error::Column::DismissedAt.is_null())
        .order_by_asc(sync_error::Column::Id)
        .all(db)
        .await?)
}
