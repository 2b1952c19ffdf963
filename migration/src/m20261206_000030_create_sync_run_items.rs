//! Per-item results of a sync run (issue 16 item 9): which item (a channel listing) a run could not process and
//! why, readable through the API after the run. One row per (run, listing), so a run re-executed after a crash
//! rewrites its rows instead of doubling them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SyncRunItems::Table)
                    .col(big_pk_auto(SyncRunItems::Id))
                    .col(big_integer(SyncRunItems::RunId))
                    .col(big_integer(SyncRunItems::ListingId))
                    .col(boolean(SyncRunItems::Succeeded))
                    .col(big_integer_null(SyncRunItems::ProductId))
                    .col(text_null(SyncRunItems::ErrorCode))
                    .col(text_null(SyncRunItems::Message))
                    .col(timestamp_with_time_zone(SyncRunItems::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sync_run_items_run_id")
                            .from(SyncRunItems::Table, SyncRunItems::RunId)
                            .to(SyncRuns::Table, SyncRuns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_sync_run_items_run_id_listing_id")
                    .table(SyncRunItems::Table)
                    .col(SyncRunItems::RunId)
                    .col(SyncRunItems::ListingId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SyncRunItems::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum SyncRunItems {
    Table,
    Id,
    RunId,
    ListingId,
    Succeeded,
    ProductId,
    ErrorCode,
    Message,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum SyncRuns {
    Table,
    Id,
}
