//! Which links are due for a push: pending, syncing, linked to a listing and a variant, and past their
//! `push_requested_at` (the time they became due, or the end of a backoff, a hold or a doubt).

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use entity::product_link;

use super::now;
use crate::services::ServiceResult;
use crate::services::link_marks::SYNCING;

/// Channels with links due for a push now.
pub async fn channels_with_due_pushes(db: &DatabaseConnection) -> ServiceResult<Vec<i64>> {
    let ids: Vec<i64> = product_link::Entity::find()
        .select_only()
        .column(product_link::Column::ChannelId)
        .distinct()
        .filter(due_condition(now()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids)
}

pub(super) fn due_condition(at: chrono::DateTime<chrono::Utc>) -> Condition {
    Condition::all()
        // The column alone, as the partial index `idx_product_links_push_pending_channel_id` names it: compared with
        // a bound `true` neither planner can prove the index applies.
        .add(Expr::col((product_link::Entity, product_link::Column::PushPending)))
        .add(product_link::Column::State.is_in(SYNCING))
        .add(product_link::Column::ListingId.is_not_null())
        .add(product_link::Column::VariantId.is_not_null())
        .add(
            Condition::any()
                .add(product_link::Column::PushRequestedAt.is_null())
                .add(product_link::Column::PushRequestedAt.lte(at)),
        )
}

/// Whether the channel has links due for a push now.
pub async fn has_due_pushes(db: &DatabaseConnection, channel_id: i64) -> ServiceResult<bool> {
    Ok(product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel_id))
        .filter(due_condition(now()))
        .one(db)
        .await?
        .is_some())
}

pub use crate::services::link_marks::orders_waiting;
