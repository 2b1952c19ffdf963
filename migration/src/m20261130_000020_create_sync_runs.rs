use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000006_create_channels::Channels;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SyncRuns::Table)
                    .col(big_pk_auto(SyncRuns::Id))
                    .col(string(SyncRuns::Kind))
                    .col(big_integer_null(SyncRuns::ChannelId))
                    .col(string(SyncRuns::Status))
                    .col(big_integer(SyncRuns::Total).default(0))
                    .col(big_integer(SyncRuns::Processed).default(0))
                    .col(big_integer(SyncRuns::Succeeded).default(0))
                    .col(big_integer(SyncRuns::Failed).default(0))
                    .col(big_integer(SyncRuns::Skipped).default(0))
                    .col(json_null(SyncRuns::Input))
                    .col(text_null(SyncRuns::ErrorMessage))
                    .col(text_null(SyncRuns::JobId))
                    .col(integer(SyncRuns::Attempts).default(0))
                    .col(timestamp_with_time_zone(SyncRuns::CreatedAt))
                    .col(timestamp_with_time_zone_null(SyncRuns::StartedAt))
                    .col(timestamp_with_time_zone_null(SyncRuns::FinishedAt))
                    .col(timestamp_with_time_zone(SyncRuns::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sync_runs_channel_id")
                            .from(SyncRuns::Table, SyncRuns::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_sync_runs_status").table(SyncRuns::Table).col(SyncRuns::Status).to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sync_runs_channel_id_kind")
                    .table(SyncRuns::Table)
                    .col(SyncRuns::ChannelId)
                    .col(SyncRuns::Kind)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SyncRuns::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum SyncRuns {
    Table,
    Id,
    Kind,
    ChannelId,
    Status,
    Total,
    Processed,
    Succeeded,
    Failed,
    Skipped,
    Input,
    ErrorMessage,
    JobId,
    Attempts,
    CreatedAt,
    StartedAt,
    FinishedAt,
    UpdatedAt,
}
