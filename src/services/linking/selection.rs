//! Which hub products a run covers: a bulk link's selection, a relink's links, and the check that requested ids
//! exist.

use std::collections::BTreeSet;

use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use entity::enums::{ChannelStatus, LinkState};
use entity::{channel, product, product_link, product_variant};

use super::{IN_CHUNK, key_column};
use crate::domain::errors::{ErrorCode, FieldError};
use crate::services::{ServiceError, ServiceResult, catalog};

/// Which hub products a bulk link covers.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Selection {
    pub product_ids: Option<Vec<i64>>,
    /// Title contains / SKU or barcode starts with.
    pub search: Option<String>,
    /// Only products whose variants all have (true) / some lack (false) the channel's match key.
    pub has_match_key: Option<bool>,
    /// Only products with no link on the channel yet.
    #[serde(default)]
    pub not_yet_linked: bool,
}

/// Product ids of a selection, in id order.
pub async fn selected_products(
    db: &DatabaseConnection,
    channel: &channel::Model,
    selection: &Selection,
) -> ServiceResult<Vec<i64>> {
    let mut select = product::Entity::find().select_only().column(product::Column::Id);
    if let Some(ids) = &selection.product_ids {
        select = select.filter(product::Column::Id.is_in(ids.clone()));
    }
    if let Some(term) = selection.search.as_deref() {
        select = select.filter(catalog::product_search(term));
    }
    if let Some(has) = selection.has_match_key {
        let key_col = key_column(channel.match_key);
        let missing = Query::select()
            .column(product_variant::Column::ProductId)
            .from(product_variant::Entity)
            .and_where(key_col.is_null())
            .to_owned();
        select = if has {
            select.filter(product::Column::Id.not_in_subquery(missing))
        } else {
            select.filter(product::Column::Id.in_subquery(missing))
        };
    }
    if selection.not_yet_linked {
        let linked = Query::select()
            .column(product_link::Column::ProductId)
            .from(product_link::Entity)
            .and_where(product_link::Column::ChannelId.eq(channel.id))
            .and_where(product_link::Column::ProductId.is_not_null())
            .to_owned();
        select = select.filter(product::Column::Id.not_in_subquery(linked));
    }
    Ok(select.order_by_asc(product::Column::Id).into_tuple::<i64>().all(db).await?)
}

/// The products behind links (for relink): chosen link ids, or every link in LINK_ERROR on the channel.
pub async fn products_of_links(
    db: &DatabaseConnection,
    channel_id: i64,
    link_ids: Option<&[i64]>,
) -> ServiceResult<Vec<i64>> {
    let mut select = product_link::Entity::find()
        .select_only()
        .column(product_link::Column::ProductId)
        .filter(product_link::Column::ChannelId.eq(channel_id))
        .filter(product_link::Column::ProductId.is_not_null());
    select = match link_ids {
        Some(ids) => select.filter(product_link::Column::Id.is_in(ids.to_vec())),
        None => select.filter(product_link::Column::State.eq(LinkState::LinkError)),
    };
    let ids: BTreeSet<i64> = select.into_tuple::<Option<i64>>().all(db).await?.into_iter().flatten().collect();
    Ok(ids.into_iter().collect())
}

/// Connected channels whose marketplace keeps the hub's products in step (its descriptor creates missing
/// products: the web store): a product created in the hub is created there too.
pub async fn channels_creating_products(db: &DatabaseConnection) -> ServiceResult<Vec<channel::Model>> {
    Ok(channel::Entity::find()
        .filter(channel::Column::Status.eq(ChannelStatus::Connected))
        .order_by_asc(channel::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|c| crate::channels::marketplace(c.kind).creates_missing_products)
        .collect())
}

/// Connected channels on which `product_id` has links or link errors: an edit of it is matched again there.
pub async fn channels_linking_product(db: &DatabaseConnection, product_id: i64) -> ServiceResult<Vec<i64>> {
    let linked = Query::select()
        .column(product_link::Column::ChannelId)
        .from(product_link::Entity)
        .and_where(product_link::Column::ProductId.eq(product_id))
        .to_owned();
    Ok(channel::Entity::find()
        .select_only()
        .column(channel::Column::Id)
        .filter(channel::Column::Status.eq(ChannelStatus::Connected))
        .filter(channel::Column::Id.in_subquery(linked))
        .order_by_asc(channel::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}

/// The listings of the links `link_ids` (a relink relinks these even if the merchant unlinked them).
pub async fn listings_of_links(db: &DatabaseConnection, link_ids: &[i64]) -> ServiceResult<BTreeSet<i64>> {
    let mut out = BTreeSet::new();
    for chunk in link_ids.chunks(IN_CHUNK) {
        let ids: Vec<Option<i64>> = product_link::Entity::find()
            .select_only()
            .column(product_link::Column::ListingId)
            .filter(product_link::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(ids.into_iter().flatten());
    }
    Ok(out)
}

/// Refuses ids that do not exist: products (anywhere) and links (on the channel), each named by its index.
pub async fn check_request_ids(
    db: &DatabaseConnection,
    channel_id: i64,
    product_ids: Option<&[i64]>,
    link_ids: Option<&[i64]>,
) -> ServiceResult<()> {
    let mut errors = Vec::new();
    if let Some(ids) = product_ids {
        let mut found = BTreeSet::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let rows: Vec<i64> = product::Entity::find()
                .select_only()
                .column(product::Column::Id)
                .filter(product::Column::Id.is_in(chunk.to_vec()))
                .into_tuple()
                .all(db)
                .await?;
            found.extend(rows);
        }
        errors.extend(
            ids.iter().enumerate().filter(|(_, id)| !found.contains(id)).map(|(i, _)| {
                FieldError::new(&["productIds", &i.to_string()], ErrorCode::NotFound, "Product not found")
            }),
        );
    }
    if let Some(ids) = link_ids {
        let mut found = BTreeSet::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let rows: Vec<i64> = product_link::Entity::find()
                .select_only()
                .column(product_link::Column::Id)
                .filter(product_link::Column::ChannelId.eq(channel_id))
                .filter(product_link::Column::Id.is_in(chunk.to_vec()))
                .into_tuple()
                .all(db)
                .await?;
            found.extend(rows);
        }
        errors.extend(ids.iter().enumerate().filter(|(_, id)| !found.contains(id)).map(|(i, _)| {
            FieldError::new(
                &["linkIds", &i.to_string()],
                ErrorCode::NotFound,
                "Link not found on this channel (deleted links cannot be relinked)",
            )
        }));
    }
    if errors.is_empty() { Ok(()) } else { Err(ServiceError::Rejected(errors)) }
}
