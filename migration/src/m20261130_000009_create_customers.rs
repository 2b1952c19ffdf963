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
                    .table(Customers::Table)
                    .col(big_pk_auto(Customers::Id))
                    .col(big_integer_null(Customers::ChannelId))
                    .col(text_null(Customers::ExternalId))
                    .col(text(Customers::Name))
                    .col(text_null(Customers::Phone))
                    .col(text_null(Customers::Email))
                    .col(json_null(Customers::Address))
                    .col(timestamp_with_time_zone(Customers::CreatedAt))
                    .col(timestamp_with_time_zone(Customers::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_customers_channel_id")
                            .from(Customers::Table, Customers::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_customers_channel_id_external_id")
                    .table(Customers::Table)
                    .col(Customers::ChannelId)
                    .col(Customers::ExternalId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_customers_phone").table(Customers::Table).col(Customers::Phone).to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Customers::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum Customers {
    Table,
    Id,
    ChannelId,
    ExternalId,
    Name,
    Phone,
    Email,
    Address,
    CreatedAt,
    UpdatedAt,
}
