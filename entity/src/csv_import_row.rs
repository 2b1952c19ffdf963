//! Table `csv_import_rows`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::CsvRowOutcome;

/// What a CSV_IMPORT run did (or, in a dry run, would do) with one row of its file.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "csv_import_rows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    /// The row's line in the file (the header is line 1).
    pub line: i64,
    pub outcome: CsvRowOutcome,
    /// The change was written (false in a dry run, and for every row of an import that had a rejected row).
    pub applied: bool,
    #[sea_orm(column_type = "Text")]
    pub sku: Option<String>,
    /// The column at fault, for a rejected row.
    #[sea_orm(column_type = "Text")]
    pub column_name: Option<String>,
    /// An `ErrorCode` of the API (as its GraphQL name), for a rejected row.
    #[sea_orm(column_type = "Text")]
    pub error_code: Option<String>,
    /// What was (or would be) done, or why the row was rejected.
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub product_id: Option<i64>,
    pub variant_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    /// A stock count's on hand before and after.
    pub on_hand_before: Option<i64>,
    pub on_hand_after: Option<i64>,
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
