use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000001_create_warehouses::Warehouses;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Channels::Table)
                    .col(big_pk_auto(Channels::Id))
                    .col(string(Channels::Kind))
                    .col(text(Channels::Name))
                    .col(string_len(Channels::Country, 2))
                    .col(text(Channels::BaseUrl))
                    .col(text(Channels::CredentialsEncrypted))
                    .col(string(Channels::Status))
                    .col(text_null(Channels::ShopExternalId))
                    .col(text_null(Channels::ShopName))
                    .col(timestamp_with_time_zone_null(Channels::AccessTokenExpiresAt))
                    .col(boolean(Channels::SyncPrice).default(true))
                    .col(boolean(Channels::SyncQuantity).default(true))
                    .col(boolean(Channels::ProcessOrdersInHub).default(false))
                    .col(big_integer_null(Channels::StockWarehouseId))
                    .col(big_integer_null(Channels::OrderWarehouseId))
                    .col(string(Channels::PricePolicy))
                    .col(string(Channels::MatchKey))
                    .col(integer(Channels::OrderBackfillDays).default(60))
                    .col(big_integer(Channels::OversellQuantity).default(50000))
                    .col(string(Channels::OversellPolicy))
                    .col(integer(Channels::OrderPollOverlapSeconds).default(120))
                    .col(boolean(Channels::StockDriftRepair).default(false))
                    .col(integer(Channels::PushHistoryRetentionDays).default(30))
                    .col(json_null(Channels::StatusMappingOverrides))
                    .col(timestamp_with_time_zone_null(Channels::OrdersCursorAt))
                    .col(timestamp_with_time_zone_null(Channels::OrdersReconciledUntil))
                    .col(timestamp_with_time_zone_null(Channels::ConnectedAt))
                    .col(timestamp_with_time_zone_null(Channels::DisconnectedAt))
                    .col(timestamp_with_time_zone(Channels::CreatedAt))
                    .col(timestamp_with_time_zone(Channels::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_channels_stock_warehouse_id")
                            .from(Channels::Table, Channels::StockWarehouseId)
                            .to(Warehouses::Table, Warehouses::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_channels_order_warehouse_id")
                            .from(Channels::Table, Channels::OrderWarehouseId)
                            .to(Warehouses::Table, Warehouses::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_channels_kind").table(Channels::Table).col(Channels::Kind).to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Channels::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum Channels {
    Table,
    Id,
    Kind,
    Name,
    Country,
    BaseUrl,
    CredentialsEncrypted,
    Status,
    ShopExternalId,
    ShopName,
    AccessTokenExpiresAt,
    SyncPrice,
    SyncQuantity,
    ProcessOrdersInHub,
    StockWarehouseId,
    OrderWarehouseId,
    PricePolicy,
    MatchKey,
    OrderBackfillDays,
    OversellQuantity,
    OversellPolicy,
    OrderPollOverlapSeconds,
    StockDriftRepair,
    PushHistoryRetentionDays,
    StatusMappingOverrides,
    OrdersCursorAt,
    OrdersReconciledUntil,
    ConnectedAt,
    DisconnectedAt,
    CreatedAt,
    UpdatedAt,
}
