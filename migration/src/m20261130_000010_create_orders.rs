use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000001_create_warehouses::Warehouses;
use super::m20261130_000006_create_channels::Channels;
use super::m20261130_000009_create_customers::Customers;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(big_pk_auto(Orders::Id))
                    .col(big_integer(Orders::ChannelId))
                    .col(text(Orders::ExternalId))
                    .col(text_null(Orders::OrderNumber))
                    .col(string(Orders::HubStatus))
                    .col(text_null(Orders::ChannelStatus))
                    .col(string(Orders::PaymentStatus))
                    .col(big_integer_null(Orders::CustomerId))
                    .col(text_null(Orders::CustomerName))
                    .col(text_null(Orders::CustomerPhone))
                    .col(text_null(Orders::CustomerEmail))
                    .col(json_null(Orders::ShippingAddress))
                    .col(string_len(Orders::Currency, 3))
                    .col(big_integer(Orders::SubtotalMinor))
                    .col(big_integer(Orders::ShippingFeeMinor))
                    .col(big_integer(Orders::DiscountMinor))
                    .col(big_integer(Orders::TotalMinor))
                    .col(big_integer(Orders::RefundedMinor).default(0))
                    .col(big_integer_null(Orders::WarehouseId))
                    .col(boolean(Orders::HasUnlinkedLines).default(false))
                    .col(text_null(Orders::CancelReason))
                    .col(timestamp_with_time_zone(Orders::PlacedAt))
                    .col(timestamp_with_time_zone_null(Orders::ChannelUpdatedAt))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orders_channel_id")
                            .from(Orders::Table, Orders::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orders_customer_id")
                            .from(Orders::Table, Orders::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orders_warehouse_id")
                            .from(Orders::Table, Orders::WarehouseId)
                            .to(Warehouses::Table, Warehouses::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_orders_channel_id_external_id")
                    .table(Orders::Table)
                    .col(Orders::ChannelId)
                    .col(Orders::ExternalId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_channel_id_hub_status")
                    .table(Orders::Table)
                    .col(Orders::ChannelId)
                    .col(Orders::HubStatus)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_orders_placed_at").table(Orders::Table).col(Orders::PlacedAt).to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Orders::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum Orders {
    Table,
    Id,
    ChannelId,
    ExternalId,
    OrderNumber,
    HubStatus,
    ChannelStatus,
    PaymentStatus,
    CustomerId,
    CustomerName,
    CustomerPhone,
    CustomerEmail,
    ShippingAddress,
    Currency,
    SubtotalMinor,
    ShippingFeeMinor,
    DiscountMinor,
    TotalMinor,
    RefundedMinor,
    WarehouseId,
    HasUnlinkedLines,
    CancelReason,
    PlacedAt,
    ChannelUpdatedAt,
    CreatedAt,
    UpdatedAt,
}
