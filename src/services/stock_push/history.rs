//! Reads of the push history (`stock_pushes`).

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use entity::stock_push;

use crate::services::ServiceResult;
use crate::services::pagination::{Page, PageArgs, paginate};

#[derive(Debug, Clone, Default)]
pub struct PushFilter {
    pub channel_id: Option<i64>,
    pub variant_id: Option<i64>,
    pub link_id: Option<i64>,
    pub ok: Option<bool>,
}

/// The push history (kept per the channel's retention).
pub async fn history(
    db: &DatabaseConnection,
    filter: &PushFilter,
    page: &PageArgs,
) -> ServiceResult<Page<stock_push::Model>> {
    let mut select = stock_push::Entity::find();
    if let Some(id) = filter.channel_id {
        select = select.filter(stock_push::Column::ChannelId.eq(id));
    }
    if let Some(id) = filter.variant_id {
        select = select.filter(stock_push::Column::VariantId.eq(id));
    }
    if let Some(id) = filter.link_id {
        select = select.filter(stock_push::Column::ProductLinkId.eq(id));
    }
    if let Some(ok) = filter.ok {
        select = select.filter(stock_push::Column::Ok.eq(ok));
    }
    paginate(db, select, stock_push::Column::Id, page).await
}

pub async fn push(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<stock_push::Model>> {
    Ok(stock_push::Entity::find_by_id(id).one(db).await?)
}
