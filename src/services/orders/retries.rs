//! How the order sync errors resolve once their cause is fixed. Errors on imported orders resolve when the order is
//! applied again without the cause (`import`, `stock`); this module finds the orders to apply again, and resolves
//! the errors of orders the hub does not hold (a stopped product, an order announced but not returned) once the
//! channel returns them and the hub takes them.

use std::collections::HashSet;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use entity::enums::SyncErrorKind;
use entity::{order, sync_error};

use super::codes;
use crate::domain::events::HubEvent;
use crate::services::sync_errors::resolve_matching;
use crate::services::{ServiceResult, now};

/// Errors about orders the hub does not hold; their details name the channel's order id.
const IMPORT_CODES: [&str; 2] = [codes::CONTAINS_UNLINKED_PRODUCT, codes::NOT_FOUND_ON_CHANNEL];

/// An order the channel announced but never returned is asked for again at this many polls at most (then the
/// merchant dismisses the error).
const NOT_FOUND_RETRIES: i32 = 10;

fn external_id(e: &sync_error::Model) -> Option<String> {
    e.details.as_ref()?.get("externalOrderId")?.as_str().map(str::to_owned)
}

async fn open_import_errors<C: ConnectionTrait>(db: &C, channel_id: i64) -> ServiceResult<Vec<sync_error::Model>> {
    Ok(sync_error::Entity::find()
        .filter(sync_error::Column::ChannelId.eq(channel_id))
        .filter(sync_error::Column::Kind.eq(SyncErrorKind::Order))
        .filter(sync_error::Column::Code.is_in(IMPORT_CODES))
        .filter(sync_error::Column::OrderId.is_null())
        .filter(sync_error::Column::ResolvedAt.is_null())
        .order_by_asc(sync_error::Column::Id)
        .all(db)
        .await?)
}

/// Resolves the channel's errors about these orders not being imported: the channel returned them and the hub
/// took them (imported, or answered as nothing to import). Returns their live events.
pub(super) async fn resolve_import_errors<C: ConnectionTrait>(
    db: &C,
    channel_id: i64,
    external_ids: &[String],
) -> ServiceResult<Vec<HubEvent>> {
    if external_ids.is_empty() {
        return Ok(Vec::new());
    }
    let taken: HashSet<&str> = external_ids.iter().map(String::as_str).collect();
    let ids: Vec<i64> = open_import_errors(db, channel_id)
        .await?
        .into_iter()
        .filter(|e| external_id(e).is_some_and(|x| taken.contains(x.as_str())))
        .map(|e| e.id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    resolve_matching(db, sync_error::Entity::find().filter(sync_error::Column::Id.is_in(ids)), now()).await
}

/// The channel's orders a poll asks for again because they were not imported: ones with a stopped product (the
/// merchant may have linked it again) and ones announced but not returned (a few times). Not dismissed ones.
pub async fn orders_to_import_again<C: ConnectionTrait>(
    db: &C,
    channel_id: i64,
    limit: usize,
) -> ServiceResult<Vec<String>> {
    let mut seen = HashSet::new();
    Ok(open_import_errors(db, channel_id)
        .await?
        .into_iter()
        .filter(|e| e.dismissed_at.is_none())
        .filter(|e| e.code != codes::NOT_FOUND_ON_CHANNEL || e.occurrences < NOT_FOUND_RETRIES)
        .filter_map(|e| external_id(&e))
        .filter(|x| seen.insert(x.clone()))
        .take(limit)
        .collect())
}

/// The channel's orders with an open sync error of `code` (their channel ids), to fetch and apply again.
pub async fn orders_with_open_error<C: ConnectionTrait>(
    db: &C,
    channel_id: i64,
    code: &str,
    limit: u64,
) -> ServiceResult<Vec<String>> {
    let order_ids: Vec<Option<i64>> = sync_error::Entity::find()
        .select_only()
        .column(sync_error::Column::OrderId)
        .filter(sync_error::Column::ChannelId.eq(channel_id))
        .filter(sync_error::Column::Kind.eq(SyncErrorKind::Order))
        .filter(sync_error::Column::Code.eq(code))
        .filter(sync_error::Column::OrderId.is_not_null())
        .filter(sync_error::Column::ResolvedAt.is_null())
        .order_by_asc(sync_error::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    let order_ids: Vec<i64> = order_ids.into_iter().flatten().collect();
    if order_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(order::Entity::find()
        .select_only()
        .column(order::Column::ExternalId)
        .filter(order::Column::Id.is_in(order_ids))
        .filter(order::Column::ChannelId.eq(channel_id))
        .order_by_asc(order::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}
