//! Table `sync_run_items`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a run did with one item (a channel listing): the product it made, or why it could not.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "sync_run_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    pub listing_id: i64,
    pub succeeded: bool,
    pub product_id: Option<i64>,
    /// An `ErrorCode` of the API (as its GraphQL name), when it failed.
    #[sea_orm(column_type = "Text")]
    pub error_code: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub message: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::sync_run::Entity",
        from = "Column::RunId",
        to = "super::sync_run::Column::Id",
        on_delete = "Cascade"
    )]
    SyncRun,
}

impl Related<super::sync_run::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SyncRun.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
