//! The sync error list (SPEC §6): product and order errors per channel, filterable; dismissible. Errors are
//! resolved automatically when their cause is fixed (linking, pushes and order imports do that) and keep their
//! history: a resolved or dismissed error stays in the table.

use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use entity::enums::SyncErrorKind;
use entity::sync_error;

use crate::domain::events::HubEvent;

use super::pagination::{Page, PageArgs, SortColumn, SortKey, SortValueKind, paginate};
use super::{ServiceResult, begin_write, contains_pattern};

#[derive(Debug, Clone, Default)]
pub struct SyncErrorFilter {
    pub channel_id: Option<i64>,
    pub kind: Option<SyncErrorKind>,
    pub code: Option<String>,
    /// Message contains (case-insensitive for ASCII).
    pub search: Option<String>,
    pub include_dismissed: bool,
    /// Also errors whose cause was fixed (their history).
    pub include_resolved: bool,
    /// Seen (again) at or after (`last_seen_at`).
    pub last_seen_at_min: Option<chrono::DateTime<chrono::Utc>>,
}

/// The sync error list's sort keys; ties are broken by id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SyncErrorSortKey {
    /// First-seen order (the primary key).
    #[default]
    Id,
    /// When the error last occurred (`last_seen_at`).
    LastSeenAt,
}

impl SortKey for SyncErrorSortKey {
    fn name(self) -> &'static str {
        match self {
            Self::Id => "ID",
            Self::LastSeenAt => "LAST_SEEN_AT",
        }
    }

    fn value_kind(self) -> Option<SortValueKind> {
        (self == Self::LastSeenAt).then_some(SortValueKind::Time)
    }
}

impl SortColumn<sync_error::Entity> for SyncErrorSortKey {
    fn column(self) -> Option<sync_error::Column> {
        (self == Self::LastSeenAt).then_some(sync_error::Column::LastSeenAt)
    }
}

fn filtered(filter: &SyncErrorFilter) -> sea_orm::Select<sync_error::Entity> {
    let mut select = sync_error::Entity::find();
    if let Some(id) = filter.channel_id {
        select = select.filter(sync_error::Column::ChannelId.eq(id));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(sync_error::Column::Kind.eq(kind));
    }
    if let Some(code) = filter.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        select = select.filter(sync_error::Column::Code.eq(code));
    }
    if let Some(term) = filter.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        select = select.filter(
            Condition::all().add(
                Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(sync_error::Column::Message)))
                    .like(LikeExpr::new(contains_pattern(&term.to_lowercase())).escape('\\')),
            ),
        );
    }
    if let Some(at) = filter.last_seen_at_min {
        select = select.filter(sync_error::Column::LastSeenAt.gte(at));
    }
    if !filter.include_dismissed {
        select = select.filter(sync_error::Column::DismissedAt.is_null());
    }
    if !filter.include_resolved {
        select = select.filter(sync_error::Column::ResolvedAt.is_null());
    }
    select
}

pub async fn list(
    db: &DatabaseConnection,
    filter: &SyncErrorFilter,
    page: &PageArgs<SyncErrorSortKey>,
) -> ServiceResult<Page<sync_error::Model>> {
    paginate(db, filtered(filter), sync_error::Column::Id, page).await
}

pub async fn get(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<sync_error::Model>> {
    Ok(sync_error::Entity::find_by_id(id).one(db).await?)
}

/// Dismisses errors by id and/or every error a filter matches; returns how many were dismissed now.
pub async fn dismiss(
    db: &DatabaseConnection,
    ids: Option<&[i64]>,
    filter: Option<&SyncErrorFilter>,
) -> ServiceResult<u64> {
    let txn = begin_write(db).await?;
    let now = chrono::Utc::now();
    let mut dismissed = 0;
    if let Some(ids) = ids {
        dismissed += sync_error::Entity::update_many()
            .col_expr(sync_error::Column::DismissedAt, Expr::value(now))
            .filter(sync_error::Column::Id.is_in(ids.to_vec()))
            .filter(sync_error::Column::DismissedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected;
    }
    if let Some(filter) = filter {
        let matching = SyncErrorFilter { include_dismissed: false, ..filter.clone() };
        let ids: Vec<i64> = filtered(&matching).all(&txn).await?.into_iter().map(|e| e.id).collect();
        for chunk in ids.chunks(500) {
            dismissed += sync_error::Entity::update_many()
                .col_expr(sync_error::Column::DismissedAt, Expr::value(now))
                .filter(sync_error::Column::Id.is_in(chunk.to_vec()))
                .exec(&txn)
                .await?
                .rows_affected;
        }
    }
    txn.commit().await?;
    Ok(dismissed)
}

/// The live event of a sync error just opened (`None` for an error of no channel).
pub fn raised_event(error: &sync_error::Model) -> Option<HubEvent> {
    Some(HubEvent::sync_error(error.channel_id?, error.id, true, error.message.clone()))
}

/// Resolves the open errors `select` matches at `at`, and returns the live event of each: subscribers hear of
/// every error cleared, once (an error already resolved is not matched again).
pub async fn resolve_matching<C: ConnectionTrait>(
    db: &C,
    select: sea_orm::Select<sync_error::Entity>,
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<Vec<HubEvent>> {
    let open: Vec<(i64, Option<i64>, String)> = select
        .filter(sync_error::Column::ResolvedAt.is_null())
        .select_only()
        .column(sync_error::Column::Id)
        .column(sync_error::Column::ChannelId)
        .column(sync_error::Column::Message)
        .into_tuple()
        .all(db)
        .await?;
    let ids: Vec<i64> = open.iter().map(|(id, _, _)| *id).collect();
    for chunk in ids.chunks(500) {
        sync_error::Entity::update_many()
            .col_expr(sync_error::Column::ResolvedAt, Expr::value(at))
            .filter(sync_error::Column::Id.is_in(chunk.to_vec()))
            .filter(sync_error::Column::ResolvedAt.is_null())
            .exec(db)
            .await?;
    }
    Ok(open
        .into_iter()
        .filter_map(|(id, channel_id, message)| {
            Some(HubEvent::sync_error(channel_id?, id, false, format!("resolved: {message}")))
        })
        .collect())
}
