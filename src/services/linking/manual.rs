//! The merchant's own link actions (SPEC §2 [Biz]): link a listing to a chosen variant, create a hub product from
//! a listing, unlink, delete.

use std::collections::BTreeSet;

use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter,
};

use entity::enums::{LinkState, MatchKey, SyncErrorKind};
use entity::{channel, channel_listing, order, order_line, product, product_link, product_variant, sync_error};

use super::batch::to_hub_variant;
use super::listings::{listing, listing_options, listings_of_product};
use super::now;
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::events::HubEvent;
use crate::domain::linking::{HubVariant, LinkErrorCode};
use crate::domain::money;
use crate::services::effects::{Committed, Effects};
use crate::services::sync_errors::resolve_matching;
use crate::services::{ServiceError, ServiceResult, begin_write, catalog, channels, touch_orders};

/// Manual link (SPEC §2 [Biz]): attaches a listing to a chosen variant (or changes it), whatever matching says.
pub async fn set_link(
    db: &DatabaseConnection,
    listing_id: i64,
    variant_id: i64,
) -> ServiceResult<Committed<product_link::Model>> {
    let listing = listing(db, listing_id).await?.ok_or_else(|| ServiceError::not_found(&["listingId"], "Listing"))?;
    if listing.link_excluded {
        return Err(ServiceError::rejected(
            &["listingId"],
            ErrorCode::InvalidState,
            format!("listing \"{}\" was removed from sync for good and can't be linked", listing.title),
        ));
    }
    let variant = product_variant::Entity::find_by_id(variant_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["variantId"], "Variant"))?;
    let title = product::Entity::find_by_id(variant.product_id).one(db).await?.map(|p| p.title).unwrap_or_default();
    let hub = to_hub_variant(&variant, title);
    let txn = begin_write(db).await?;
    let at = now();
    let id = upsert_listing_link(&txn, listing.channel_id, listing.id, &hub, LinkState::Linked, None, at).await?;
    // The variant now has a link on this channel: its variant-level link errors are gone.
    product_link::Entity::delete_many()
        .filter(product_link::Column::ChannelId.eq(listing.channel_id))
        .filter(product_link::Column::VariantId.eq(variant.id))
        .filter(product_link::Column::ListingId.is_null())
        .exec(&txn)
        .await?;
    let sync_error_events = resolve_sync_errors(&txn, listing.channel_id, variant.id, listing.id, at).await?;
    // Orders already imported with this listing show the hub product (SPEC §2 [Biz]). Lines that already moved
    // stock keep their variant: the order import releases and re-reserves those when it next applies the order.
    let relinked = Condition::all()
        .add(order_line::Column::ListingId.eq(listing.id))
        .add(order_line::Column::ReservedQuantity.eq(0))
        .add(order_line::Column::FulfilledQuantity.eq(0));
    let orders_shown_otherwise = Query::select()
        .column(order_line::Column::OrderId)
        .from(order_line::Entity)
        .cond_where(relinked.clone())
        .cond_where(
            Condition::any()
                .add(order_line::Column::VariantId.is_null())
                .add(order_line::Column::VariantId.ne(variant.id)),
        )
        .to_owned();
    touch_orders(&txn, order::Column::Id.in_subquery(orders_shown_otherwise)).await?;
    order_line::Entity::update_many()
        .col_expr(order_line::Column::VariantId, Expr::value(variant.id))
        .col_expr(order_line::Column::Unit, Expr::value(variant.unit.clone()))
        .col_expr(order_line::Column::ImageUrl, Expr::value(variant.image_url.clone()))
        .filter(relinked)
        .exec(&txn)
        .await?;
    let model = product_link::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::Unexpected(anyhow::anyhow!("link vanished")))?;
    txn.commit().await?;
    // The new link is push-pending: its first push goes out.
    let mut effects = Effects::none();
    effects.publish_all(sync_error_events);
    effects.pushes_became_due();
    Ok(Committed::new(model, effects))
}

/// Unlink ("ngắt đồng bộ"): stops syncing; can be relinked later.
pub async fn unlink(db: &DatabaseConnection, ids: &[i64]) -> ServiceResult<Vec<product_link::Model>> {
    let txn = begin_write(db).await?;
    let found = product_link::Entity::find().filter(product_link::Column::Id.is_in(ids.to_vec())).all(&txn).await?;
    check_all_found(ids, &found)?;
    product_link::Entity::update_many()
        .col_expr(product_link::Column::State, Expr::value(LinkState::Unlinked))
        .col_expr(product_link::Column::PushPending, Expr::value(false))
        .col_expr(product_link::Column::UpdatedAt, Expr::value(now()))
        .filter(product_link::Column::Id.is_in(ids.to_vec()))
        .exec(&txn)
        .await?;
    let out = product_link::Entity::find().filter(product_link::Column::Id.is_in(ids.to_vec())).all(&txn).await?;
    txn.commit().await?;
    Ok(out)
}

/// Delete link ("hủy đồng bộ"): permanent; the listing leaves the sync list and cannot be linked again.
/// Effects: the sync errors resolved.
pub async fn delete_links(db: &DatabaseConnection, ids: &[i64]) -> ServiceResult<Committed<Vec<i64>>> {
    let txn = begin_write(db).await?;
    let found = product_link::Entity::find().filter(product_link::Column::Id.is_in(ids.to_vec())).all(&txn).await?;
    check_all_found(ids, &found)?;
    let listing_ids: Vec<i64> = found.iter().filter_map(|l| l.listing_id).collect();
    channel_listing::Entity::update_many()
        .col_expr(channel_listing::Column::LinkExcluded, Expr::value(true))
        .col_expr(channel_listing::Column::UpdatedAt, Expr::value(now()))
        .filter(channel_listing::Column::Id.is_in(listing_ids))
        .exec(&txn)
        .await?;
    // The merchant settled these links: errors about them (a deleted hub variant) are no longer open. Before the
    // delete, which sets their `product_link_id` to NULL.
    let select = sync_error::Entity::find().filter(sync_error::Column::ProductLinkId.is_in(ids.to_vec()));
    let resolved = resolve_matching(&txn, select, now()).await?;
    product_link::Entity::delete_many().filter(product_link::Column::Id.is_in(ids.to_vec())).exec(&txn).await?;
    txn.commit().await?;
    let mut effects = Effects::none();
    effects.publish_all(resolved);
    Ok(Committed::new(ids.to_vec(), effects))
}

fn check_all_found(ids: &[i64], found: &[product_link::Model]) -> ServiceResult<()> {
    let missing: Vec<usize> =
        ids.iter().enumerate().filter(|(_, id)| !found.iter().any(|l| l.id == **id)).map(|(i, _)| i).collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ServiceError::Rejected(
        missing
            .into_iter()
            .map(|i| FieldError::new(&["linkIds", &i.to_string()], ErrorCode::NotFound, "Link not found"))
            .collect(),
    ))
}

/// Creates a hub product from a channel listing's product (all its SKUs not linked yet) and links each SKU to
/// the new variant (SPEC §2 [Biz]). The matching field becomes the variant's barcode or SKU per `matchKey`.
/// `cost_is_price`: the web store's "create missing" sets the hub cost price to the store's retail price [Sapo].
pub async fn create_product_from_listing(
    db: &DatabaseConnection,
    hub_currency: &str,
    listing_id: i64,
    cost_is_price: bool,
) -> ServiceResult<Committed<(product::Model, Vec<product_link::Model>)>> {
    let first = listing(db, listing_id).await?.ok_or_else(|| ServiceError::not_found(&["listingId"], "Listing"))?;
    let channel = channel::Entity::find_by_id(first.channel_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["listingId"], "Channel"))?;
    let siblings = unlinked_siblings(db, &channel, &first).await?;
    if siblings.is_empty() {
        return Err(ServiceError::rejected(
            &["listingId"],
            ErrorCode::InvalidState,
            format!("every SKU of \"{}\" is already linked or removed from sync", first.title),
        ));
    }
    let variants = siblings.iter().map(|l| variant_from_listing(&channel, l, cost_is_price)).collect();
    let fields = catalog::ProductFields { title: Some(first.title.clone()), ..Default::default() };
    let (product, created) =
        catalog::product_create(db, hub_currency, fields, variants).await.map_err(|e| match e {
            ServiceError::Rejected(errors) => ServiceError::Rejected(
                errors
                    .into_iter()
                    .map(|mut e| {
                        e.message = format!("the listing cannot become a hub product: {}", e.message);
                        e.field = vec!["listingId".into()];
                        e
                    })
                    .collect(),
            ),
            other => other,
        })?;
    let mut links = Vec::with_capacity(created.len());
    let mut effects = Effects::none();
    for (variant, listing) in created.iter().zip(&siblings) {
        let (link, linked) = set_link(db, listing.id, variant.id).await?.into_parts();
        links.push(link);
        effects.merge(linked);
    }
    Ok(Committed::new((product, links), effects))
}

/// The SKUs of `first`'s channel product that are neither linked nor removed from sync.
async fn unlinked_siblings(
    db: &DatabaseConnection,
    channel: &channel::Model,
    first: &channel_listing::Model,
) -> ServiceResult<Vec<channel_listing::Model>> {
    let linked: BTreeSet<i64> = product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel.id))
        .filter(product_link::Column::State.eq(LinkState::Linked))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|l| l.listing_id)
        .collect();
    Ok(listings_of_product(db, channel.id, &first.external_product_id)
        .await?
        .into_iter()
        .filter(|l| !l.link_excluded && !linked.contains(&l.id))
        .collect())
}

/// The hub variant a listing becomes: its seller SKU as SKU (and as barcode when the channel matches by
/// barcode), its prices in the channel's currency, its options.
fn variant_from_listing(
    channel: &channel::Model,
    l: &channel_listing::Model,
    cost_is_price: bool,
) -> catalog::VariantFields {
    let channel_currency = channels::currency(channel);
    let code = l.seller_sku.clone();
    catalog::VariantFields {
        title: l.variant_title.clone().filter(|t| !t.trim().is_empty()),
        sku: Some(code.clone()),
        barcode: Some(if channel.match_key == MatchKey::Barcode { code } else { None }),
        price: Some(money::from_minor(l.price_minor.unwrap_or(0), channel_currency)),
        list_price: l.list_price_minor.map(|p| Some(money::from_minor(p, channel_currency))),
        cost_price: cost_is_price.then(|| Some(money::from_minor(l.price_minor.unwrap_or(0), channel_currency))),
        options: Some(
            listing_options(l).into_iter().map(|(name, value)| catalog::OptionPair { name, value }).collect(),
        ),
        ..Default::default()
    }
}

async fn upsert_listing_link<C: ConnectionTrait>(
    txn: &C,
    channel_id: i64,
    listing_id: i64,
    v: &HubVariant,
    state: LinkState,
    error: Option<(LinkErrorCode, &str)>,
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<i64> {
    let linked = state == LinkState::Linked;
    let (code, message) = error.map(|(c, m)| (Some(c.as_str().to_owned()), Some(m.to_owned()))).unwrap_or((None, None));
    let find = || product_link::Entity::find().filter(product_link::Column::ListingId.eq(listing_id)).one(txn);
    let link = match find().await? {
        Some(link) => link,
        None => {
            // Another run may insert this listing's link at the same moment (a link run and the web store's
            // automatic one): the insert yields to it, and the row it wrote is updated below.
            let inserted = product_link::Entity::insert(product_link::ActiveModel {
                channel_id: Set(channel_id),
                listing_id: Set(Some(listing_id)),
                variant_id: Set(Some(v.id)),
                product_id: Set(Some(v.product_id)),
                state: Set(state),
                error_code: Set(code.clone()),
                error_message: Set(message.clone()),
                last_pushed_quantity: Set(None),
                last_pushed_price_minor: Set(None),
                last_pushed_at: Set(None),
                push_pending: Set(linked),
                push_requested_at: Set(linked.then_some(at)),
                linked_at: Set(linked.then_some(at)),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            })
            .on_conflict(OnConflict::column(product_link::Column::ListingId).do_nothing().to_owned())
            .exec_without_returning(txn)
            .await?;
            let link = find().await?.ok_or_else(|| ServiceError::not_found(&["listingId"], "ProductLink"))?;
            if inserted == 1 {
                return Ok(link.id);
            }
            link
        }
    };
    let relinked_to_other = link.variant_id != Some(v.id);
    let mut active: product_link::ActiveModel = link.into();
    active.variant_id = Set(Some(v.id));
    active.product_id = Set(Some(v.product_id));
    active.state = Set(state);
    active.error_code = Set(code);
    active.error_message = Set(message);
    if linked {
        active.linked_at = Set(Some(at));
        active.push_pending = Set(true);
        active.push_requested_at = Set(Some(at));
    }
    if relinked_to_other {
        active.last_pushed_quantity = Set(None);
        active.last_pushed_price_minor = Set(None);
        active.last_pushed_at = Set(None);
    }
    active.updated_at = Set(at);
    let model = active.update(txn).await?;
    Ok(model.id)
}

/// The cause is fixed: the variant's open product errors on this channel, and the errors about the listing's
/// former link (its hub variant deleted), are resolved (history kept). Returns their live events.
async fn resolve_sync_errors<C: ConnectionTrait>(
    txn: &C,
    channel_id: i64,
    variant_id: i64,
    listing_id: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<Vec<HubEvent>> {
    let select = sync_error::Entity::find()
        .filter(sync_error::Column::ChannelId.eq(channel_id))
        .filter(sync_error::Column::Kind.eq(SyncErrorKind::Product))
        .filter(
            Condition::any().add(sync_error::Column::VariantId.eq(variant_id)).add(
                Condition::all()
                    .add(sync_error::Column::ListingId.eq(listing_id))
                    .add(sync_error::Column::VariantId.is_null()),
            ),
        );
    resolve_matching(txn, select, at).await
}
