//! What the hub shows of a channel's links: the four views with search, one link, a product's link state.

use sea_orm::sea_query::{LikeExpr, Query};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use entity::enums::LinkState;
use entity::{channel_listing, product, product_link, product_variant};

use crate::services::pagination::{Page, PageArgs, paginate};
use crate::services::{ServiceResult, folded_contains, prefix_pattern};

/// Links of the channel, in one of the four views (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    All,
    Synced,
    SyncError,
    LinkError,
}

pub async fn links(
    db: &DatabaseConnection,
    channel_id: i64,
    view: View,
    search: Option<&str>,
    product_id: Option<i64>,
    page: &PageArgs,
) -> ServiceResult<Page<product_link::Model>> {
    let mut select = product_link::Entity::find().filter(product_link::Column::ChannelId.eq(channel_id));
    if let Some(product_id) = product_id {
        select = select.filter(product_link::Column::ProductId.eq(product_id));
    }
    select = match view {
        View::All => select,
        View::Synced => select.filter(product_link::Column::State.eq(LinkState::Linked)),
        View::SyncError => select.filter(product_link::Column::State.eq(LinkState::SyncError)),
        View::LinkError => select.filter(product_link::Column::State.eq(LinkState::LinkError)),
    };
    if let Some(term) = search.map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = prefix_pattern(term);
        let variants = Query::select()
            .column(product_variant::Column::Id)
            .from(product_variant::Entity)
            .cond_where(
                Condition::any()
                    .add(product_variant::Column::Sku.like(LikeExpr::new(pattern.clone()).escape('\\')))
                    .add(product_variant::Column::Barcode.like(LikeExpr::new(pattern.clone()).escape('\\'))),
            )
            .to_owned();
        let listings = Query::select()
            .column(channel_listing::Column::Id)
            .from(channel_listing::Entity)
            .and_where(channel_listing::Column::SellerSku.like(LikeExpr::new(pattern).escape('\\')))
            .to_owned();
        let products = Query::select()
            .column(product::Column::Id)
            .from(product::Entity)
            .and_where(folded_contains(product::Column::SearchText, term))
            .to_owned();
        select = select.filter(
            Condition::any()
                .add(product_link::Column::VariantId.in_subquery(variants))
                .add(product_link::Column::ListingId.in_subquery(listings))
                .add(product_link::Column::ProductId.in_subquery(products)),
        );
    }
    paginate(db, select, product_link::Column::Id, page).await
}

pub async fn link(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<product_link::Model>> {
    Ok(product_link::Entity::find_by_id(id).one(db).await?)
}

/// A product's link state on a channel (SPEC §2): linked only when every variant is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductLinkState {
    NotLinked,
    Linked,
    /// The variants without a working link.
    Failed(Vec<i64>),
}

pub async fn product_link_state(
    db: &DatabaseConnection,
    channel_id: i64,
    product_id: i64,
) -> ServiceResult<ProductLinkState> {
    let variants: Vec<i64> = product_variant::Entity::find()
        .select_only()
        .column(product_variant::Column::Id)
        .filter(product_variant::Column::ProductId.eq(product_id))
        .order_by_asc(product_variant::Column::Position)
        .into_tuple()
        .all(db)
        .await?;
    let links = product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel_id))
        .filter(product_link::Column::VariantId.is_in(variants.clone()))
        .all(db)
        .await?;
    if links.is_empty() {
        return Ok(ProductLinkState::NotLinked);
    }
    let failing: Vec<i64> = variants
        .into_iter()
        .filter(|v| {
            !links
                .iter()
                .any(|l| l.variant_id == Some(*v) && matches!(l.state, LinkState::Linked | LinkState::SyncError))
        })
        .collect();
    Ok(if failing.is_empty() { ProductLinkState::Linked } else { ProductLinkState::Failed(failing) })
}
