//! Issue 21: CSV imports. `csv_import_rows` holds what a CSV_IMPORT run did, or in a dry run would do, with each
//! row of the file: its line number, its outcome (created, updated, unchanged, rejected with the reason and the
//! column at fault) and, for a stock count, the on-hand quantity before and after. A run executed again after a
//! crash replaces its rows.

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261206_000030_create_sync_run_items::SyncRuns;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CsvImportRows::Table)
                    .col(big_pk_auto(CsvImportRows::Id))
                    .col(big_integer(CsvImportRows::RunId))
                    .col(big_integer(CsvImportRows::Line))
                    .col(text(CsvImportRows::Outcome))
                    .col(boolean(CsvImportRows::Applied))
                    .col(text_null(CsvImportRows::Sku))
                    .col(text_null(CsvImportRows::ColumnName))
                    .col(text_null(CsvImportRows::ErrorCode))
                    .col(text(CsvImportRows::Message))
                    // No foreign keys: the report stays readable after a product or warehouse is deleted.
                    .col(big_integer_null(CsvImportRows::ProductId))
                    .col(big_integer_null(CsvImportRows::VariantId))
                    .col(big_integer_null(CsvImportRows::WarehouseId))
                    .col(big_integer_null(CsvImportRows::OnHandBefore))
                    .col(big_integer_null(CsvImportRows::OnHandAfter))
                    .col(timestamp_with_time_zone(CsvImportRows::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_csv_import_rows_run_id")
                            .from(CsvImportRows::Table, CsvImportRows::RunId)
                            .to(SyncRuns::Table, SyncRuns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_csv_import_rows_run_id_id")
                    .table(CsvImportRows::Table)
                    .col(CsvImportRows::RunId)
                    .col(CsvImportRows::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(CsvImportRows::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum CsvImportRows {
    Table,
    Id,
    RunId,
    Line,
    Outcome,
    Applied,
    Sku,
    ColumnName,
    ErrorCode,
    Message,
    ProductId,
    VariantId,
    WarehouseId,
    OnHandBefore,
    OnHandAfter,
    CreatedAt,
}
