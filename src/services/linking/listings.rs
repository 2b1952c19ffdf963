//! A channel's listings as the hub stores them: written by every pull, read by matching, manual linking and the
//! order import.

use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use entity::enums::LinkState;
use entity::{channel_listing, product_link};

use super::now;
use crate::domain::channel::Listing;
use crate::services::pagination::{Page, PageArgs, paginate};
use crate::services::{ServiceResult, begin_write, contains_pattern, prefix_pattern};

/// Rows per INSERT when storing listings (well under SQLite's 32,766 bound parameters).
const LISTING_CHUNK: usize = 200;

/// Stores the listings a channel returned (insert or update by the channel's ids). Returns how many were stored.
pub async fn store_listings(db: &DatabaseConnection, channel_id: i64, listings: &[Listing]) -> ServiceResult<usize> {
    let seen = now();
    for chunk in listings.chunks(LISTING_CHUNK) {
        let rows = chunk.iter().map(|l| channel_listing::ActiveModel {
            channel_id: Set(channel_id),
            external_product_id: Set(l.external_product_id.clone()),
            external_sku_id: Set(l.external_sku_id.clone()),
            seller_sku: Set(l.seller_sku.clone()),
            title: Set(l.title.clone()),
            variant_title: Set(l.variant_title.clone()),
            options: Set(Some(serde_json::json!(l.options))),
            price_minor: Set(l.price_minor),
            list_price_minor: Set(l.list_price_minor),
            quantity: Set(l.quantity),
            channel_status: Set(l.status.clone()),
            raw: Set(l.raw.clone()),
            link_excluded: Set(false),
            seen_at: Set(seen),
            created_at: Set(seen),
            updated_at: Set(seen),
            ..Default::default()
        });
        let txn = begin_write(db).await?;
        channel_listing::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    channel_listing::Column::ChannelId,
                    channel_listing::Column::ExternalProductId,
                    channel_listing::Column::ExternalSkuId,
                ])
                // `link_excluded` and `created_at` are the hub's: never overwritten by a pull.
                .update_columns([
                    channel_listing::Column::SellerSku,
                    channel_listing::Column::Title,
                    channel_listing::Column::VariantTitle,
                    channel_listing::Column::Options,
                    channel_listing::Column::PriceMinor,
                    channel_listing::Column::ListPriceMinor,
                    channel_listing::Column::Quantity,
                    channel_listing::Column::ChannelStatus,
                    channel_listing::Column::Raw,
                    channel_listing::Column::SeenAt,
                    channel_listing::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
    }
    Ok(listings.len())
}

pub async fn listing(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<channel_listing::Model>> {
    Ok(channel_listing::Entity::find_by_id(id).one(db).await?)
}

/// How many listings a channel has stored.
pub async fn listing_count(db: &DatabaseConnection, channel_id: i64) -> ServiceResult<u64> {
    Ok(channel_listing::Entity::find().filter(channel_listing::Column::ChannelId.eq(channel_id)).count(db).await?)
}

/// Every listing of the channel's product `external_product_id` (a multi-SKU listing).
pub async fn listings_of_product(
    db: &DatabaseConnection,
    channel_id: i64,
    external_product_id: &str,
) -> ServiceResult<Vec<channel_listing::Model>> {
    Ok(channel_listing::Entity::find()
        .filter(channel_listing::Column::ChannelId.eq(channel_id))
        .filter(channel_listing::Column::ExternalProductId.eq(external_product_id))
        .order_by_asc(channel_listing::Column::Id)
        .all(db)
        .await?)
}

/// The listing's options as (name, value) pairs; none when they cannot be read.
pub fn listing_options(l: &channel_listing::Model) -> Vec<(String, String)> {
    l.options.clone().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default()
}

/// The stored listings of a channel (for manual linking), by seller SKU prefix or title.
pub async fn listings(
    db: &DatabaseConnection,
    channel_id: i64,
    search: Option<&str>,
    unlinked_only: bool,
    page: &PageArgs,
) -> ServiceResult<Page<channel_listing::Model>> {
    paginate(db, listing_select(channel_id, search, unlinked_only), channel_listing::Column::Id, page).await
}

/// A channel's listings whose seller SKU starts with `search` or whose title contains it; with `unlinked_only`,
/// those without a link in state LINKED. The one filter of listings, for the list and for bulk product creation.
pub(super) fn listing_select(
    channel_id: i64,
    search: Option<&str>,
    unlinked_only: bool,
) -> sea_orm::Select<channel_listing::Entity> {
    let mut select = channel_listing::Entity::find().filter(channel_listing::Column::ChannelId.eq(channel_id));
    if let Some(term) = search.map(str::trim).filter(|t| !t.is_empty()) {
        select = select.filter(
            Condition::any()
                .add(channel_listing::Column::SellerSku.like(LikeExpr::new(prefix_pattern(term)).escape('\\')))
                .add(
                    Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(channel_listing::Column::Title)))
                        .like(LikeExpr::new(contains_pattern(&term.to_lowercase())).escape('\\')),
                ),
        );
    }
    if unlinked_only {
        let linked = Query::select()
            .column(product_link::Column::ListingId)
            .from(product_link::Entity)
            .and_where(product_link::Column::ListingId.is_not_null())
            .and_where(product_link::Column::State.eq(LinkState::Linked))
            .to_owned();
        select = select.filter(channel_listing::Column::Id.not_in_subquery(linked));
    }
    select
}
