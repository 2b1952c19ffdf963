//! Links losing their hub variant: they stay, in LINK_ERROR VARIANT_DELETED, so the merchant relinks or deletes
//! them.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use entity::enums::{LinkState, SyncErrorKind};
use entity::{product, product_link, product_variant, sync_error};

use crate::domain::events::HubEvent;
use crate::domain::linking::LinkErrorCode;
use crate::services::ServiceResult;
use crate::services::now;
use crate::services::sync_errors::raised_event;

/// Links whose hub variant is being deleted report the loss (SPEC §2 [Sapo]) before the variant goes. Returns the
/// live events of the sync errors raised.
pub async fn mark_variants_deleted<C: ConnectionTrait>(txn: &C, variant_ids: &[i64]) -> ServiceResult<Vec<HubEvent>> {
    let mut events = Vec::new();
    if variant_ids.is_empty() {
        return Ok(events);
    }
    let links = product_link::Entity::find()
        .filter(product_link::Column::VariantId.is_in(variant_ids.to_vec()))
        .all(txn)
        .await?;
    let at = now();
    for l in links {
        let variant = product_variant::Entity::find_by_id(l.variant_id.unwrap_or_default()).one(txn).await?;
        let label = match &variant {
            Some(v) => {
                let title =
                    product::Entity::find_by_id(v.product_id).one(txn).await?.map(|p| p.title).unwrap_or_default();
                format!("{title} / {}", v.title)
            }
            None => "the hub variant".to_owned(),
        };
        let message =
            format!("{label} was deleted from the hub: link the listing to another variant, or delete the link");
        if l.listing_id.is_none() {
            product_link::Entity::delete_by_id(l.id).exec(txn).await?;
            continue;
        }
        let channel_id = l.channel_id;
        let listing_id = l.listing_id;
        let mut active: product_link::ActiveModel = l.into();
        active.state = Set(LinkState::LinkError);
        active.error_code = Set(Some(LinkErrorCode::VariantDeleted.as_str().to_owned()));
        active.error_message = Set(Some(message.clone()));
        active.push_pending = Set(false);
        active.updated_at = Set(at);
        let link = active.update(txn).await?;
        let opened = sync_error::ActiveModel {
            channel_id: Set(Some(channel_id)),
            kind: Set(SyncErrorKind::Product),
            code: Set(LinkErrorCode::VariantDeleted.as_str().to_owned()),
            message: Set(message),
            product_link_id: Set(Some(link.id)),
            variant_id: Set(None),
            listing_id: Set(listing_id),
            order_id: Set(None),
            details: Set(None),
            occurrences: Set(1),
            first_seen_at: Set(at),
            last_seen_at: Set(at),
            resolved_at: Set(None),
            dismissed_at: Set(None),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        events.extend(raised_event(&opened));
    }
    Ok(events)
}
