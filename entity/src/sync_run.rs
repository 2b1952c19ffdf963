//! Table `sync_runs`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{SyncRunKind, SyncRunStatus};

/// A background job's state and progress; the apalis job carries only this row's id.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "sync_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: SyncRunKind,
    pub channel_id: Option<i64>,
    pub status: SyncRunStatus,
    pub total: i64,
    pub processed: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub skipped: i64,
    pub input: Option<Json>,
    #[sea_orm(column_type = "Text")]
    pub error_message: Option<String>,
    /// apalis task id (a ULID).
    #[sea_orm(column_type = "Text")]
    pub job_id: Option<String>,
    pub attempts: i32,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::channel::Entity",
        from = "Column::ChannelId",
        to = "super::channel::Column::Id",
        on_delete = "Cascade"
    )]
    Channel,
}

impl Related<super::channel::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Channel.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
