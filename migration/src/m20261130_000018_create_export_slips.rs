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
                    .table(ExportSlips::Table)
                    .col(big_pk_auto(ExportSlips::Id))
                    .col(big_integer(ExportSlips::OrderId))
                    .col(big_integer(ExportSlips::WarehouseId))
                    .col(text(ExportSlips::Code))
                    .col(string(ExportSlips::Status))
                    .col(timestamp_with_time_zone(ExportSlips::CreatedAt))
                    .col(timestamp_with_time_zone_null(ExportSlips::ExportedAt))
                    .col(timestamp_with_time_zone_null(ExportSlips::CancelledAt))
                    .col(timestamp_with_time_zone(ExportSlips::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_export_slips_order_id")
                            .from(ExportSlips::Table, ExportSlips::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_export_slips_warehouse_id")
                            .from(ExportSlips::Table, ExportSlips::WarehouseId)
                            .to(Warehouses::Table, Warehouses::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_export_slips_code")
                    .table(ExportSlips::Table)
                    .col(ExportSlips::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_export_slips_order_id")
                    .table(ExportSlips::Table)
                    .col(ExportSlips::OrderId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ExportSlips::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum ExportSlips {
    Table,
    Id,
    OrderId,
    WarehouseId,
    Code,
    Status,
    CreatedAt,
    ExportedAt,
    CancelledAt,
    UpdatedAt,
}
