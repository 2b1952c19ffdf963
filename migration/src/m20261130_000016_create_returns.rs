use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000001_create_warehouses::Warehouses;
use super::m20261130_000010_create_orders::Orders;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Returns::Table)
                    .col(big_pk_auto(Returns::Id))
                    .col(big_integer(Returns::OrderId))
                    .col(big_integer(Returns::WarehouseId))
                    .col(string(Returns::Status))
                    .col(big_integer(Returns::RefundedMinor).default(0))
                    .col(text_null(Returns::Note))
                    .col(timestamp_with_time_zone(Returns::CreatedAt))
                    .col(timestamp_with_time_zone(Returns::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_returns_order_id")
                            .from(Returns::Table, Returns::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_returns_warehouse_id")
                            .from(Returns::Table, Returns::WarehouseId)
                            .to(Warehouses::Table, Warehouses::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_returns_order_id").table(Returns::Table).col(Returns::OrderId).to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Returns::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum Returns {
    Table,
    Id,
    OrderId,
    WarehouseId,
    Status,
    RefundedMinor,
    Note,
    CreatedAt,
    UpdatedAt,
}
