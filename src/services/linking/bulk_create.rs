//! Bulk "create hub products from listings" (Bizfly "Đồng bộ hàng loạt sản phẩm"): which channel products a
//! CREATE_PRODUCTS run covers, and what it did with each, kept per listing so the merchant reads after the run
//! which listings did not become products and why. Each product is made by
//! [`create_product_from_listing`](super::create_product_from_listing), the one way a listing becomes a hub product
//! (also the manual one and the web store's "create missing").

use std::collections::BTreeSet;

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use entity::{channel_listing, sync_run_item};

use super::listings::listing_select;
use super::{IN_CHUNK, now};
use crate::domain::errors::{ErrorCode, FieldError};
use crate::services::pagination::{Page, PageArgs, paginate};
use crate::services::{ServiceError, ServiceResult};

/// Which listings a bulk creation covers: chosen ids, or a filter of the channel's stored listings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListingSelection {
    pub listing_ids: Option<Vec<i64>>,
    /// Seller SKU starts with / title contains.
    pub search: Option<String>,
    /// Only listings without a working link.
    #[serde(default)]
    pub unlinked_only: bool,
}

/// One listing per channel product of the selection (the product's first selected SKU, in id order): a hub
/// product is made per channel product, with all its SKUs.
pub async fn selected_listing_products(
    db: &DatabaseConnection,
    channel_id: i64,
    selection: &ListingSelection,
) -> ServiceResult<Vec<i64>> {
    let select = listing_select(channel_id, selection.search.as_deref(), selection.unlinked_only)
        .select_only()
        .column(channel_listing::Column::Id)
        .column(channel_listing::Column::ExternalProductId)
        .order_by_asc(channel_listing::Column::Id);
    let rows: Vec<(i64, String)> = match &selection.listing_ids {
        Some(ids) => {
            let mut rows = Vec::new();
            for chunk in ids.chunks(IN_CHUNK) {
                rows.extend(
                    select
                        .clone()
                        .filter(channel_listing::Column::Id.is_in(chunk.to_vec()))
                        .into_tuple::<(i64, String)>()
                        .all(db)
                        .await?,
                );
            }
            rows.sort_unstable();
            rows
        }
        None => select.into_tuple().all(db).await?,
    };
    let mut products = BTreeSet::new();
    Ok(rows.into_iter().filter(|(_, product)| products.insert(product.clone())).map(|(id, _)| id).collect())
}

/// Refuses listing ids that are not the channel's, each named by its index.
pub async fn check_listing_ids(db: &DatabaseConnection, channel_id: i64, ids: &[i64]) -> ServiceResult<()> {
    let mut found = BTreeSet::new();
    for chunk in ids.chunks(IN_CHUNK) {
        let rows: Vec<i64> = channel_listing::Entity::find()
            .select_only()
            .column(channel_listing::Column::Id)
            .filter(channel_listing::Column::ChannelId.eq(channel_id))
            .filter(channel_listing::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    let errors: Vec<FieldError> = ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !found.contains(id))
        .map(|(i, _)| {
            FieldError::new(&["listingIds", &i.to_string()], ErrorCode::NotFound, "Listing not found on this channel")
        })
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(ServiceError::Rejected(errors)) }
}

/// The listings a run already turned into products (a run executed again after a crash skips them).
pub async fn items_done(db: &DatabaseConnection, run_id: i64) -> ServiceResult<BTreeSet<i64>> {
    let rows: Vec<i64> = sync_run_item::Entity::find()
        .select_only()
        .column(sync_run_item::Column::ListingId)
        .filter(sync_run_item::Column::RunId.eq(run_id))
        .filter(sync_run_item::Column::Succeeded.eq(true))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Records what a run did with one listing: the product made, or the refusal (its first error). An upsert on
/// (run, listing), so a run executed again rewrites its row.
pub async fn record_item(
    db: &DatabaseConnection,
    run_id: i64,
    listing_id: i64,
    outcome: Result<i64, &FieldError>,
) -> ServiceResult<()> {
    let row = sync_run_item::ActiveModel {
        run_id: Set(run_id),
        listing_id: Set(listing_id),
        succeeded: Set(outcome.is_ok()),
        product_id: Set(outcome.ok()),
        error_code: Set(outcome.err().map(|e| e.code.name().to_owned())),
        message: Set(outcome.err().map(|e| e.message.clone())),
        created_at: Set(now()),
        ..Default::default()
    };
    sync_run_item::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([sync_run_item::Column::RunId, sync_run_item::Column::ListingId])
                .update_columns([
                    sync_run_item::Column::Succeeded,
                    sync_run_item::Column::ProductId,
                    sync_run_item::Column::ErrorCode,
                    sync_run_item::Column::Message,
                    sync_run_item::Column::CreatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A run's per-listing results, in listing order; `failed_only`: the listings it could not turn into products.
pub async fn run_items(
    db: &DatabaseConnection,
    run_id: i64,
    failed_only: bool,
    page: &PageArgs,
) -> ServiceResult<Page<sync_run_item::Model>> {
    let mut select = sync_run_item::Entity::find().filter(sync_run_item::Column::RunId.eq(run_id));
    if failed_only {
        select = select.filter(sync_run_item::Column::Succeeded.eq(false));
    }
    paginate(db, select, sync_run_item::Column::Id, page).await
}
