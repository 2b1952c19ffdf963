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
                    .table(WebhookEvents::Table)
                    .col(big_pk_auto(WebhookEvents::Id))
                    .col(big_integer(WebhookEvents::ChannelId))
                    .col(text(WebhookEvents::DedupKey))
                    .col(text_null(WebhookEvents::Topic))
                    .col(text_null(WebhookEvents::ExternalOrderId))
                    .col(json(WebhookEvents::Payload))
                    .col(timestamp_with_time_zone(WebhookEvents::ReceivedAt))
                    .col(timestamp_with_time_zone_null(WebhookEvents::ProcessedAt))
                    .col(text_null(WebhookEvents::Error))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_events_channel_id")
                            .from(WebhookEvents::Table, WebhookEvents::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_webhook_events_channel_id_dedup_key")
                    .table(WebhookEvents::Table)
                    .col(WebhookEvents::ChannelId)
                    .col(WebhookEvents::DedupKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(WebhookEvents::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum WebhookEvents {
    Table,
    Id,
    ChannelId,
    DedupKey,
    Topic,
    ExternalOrderId,
    Payload,
    ReceivedAt,
    ProcessedAt,
    Error,
}
