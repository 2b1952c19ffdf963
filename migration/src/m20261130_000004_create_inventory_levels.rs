use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000001_create_warehouses::Warehouses;
use super::m20261130_000003_create_product_variants::ProductVariants;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InventoryLevels::Table)
                    .col(big_pk_auto(InventoryLevels::Id))
                    .col(big_integer(InventoryLevels::VariantId))
                    .col(big_integer(InventoryLevels::WarehouseId))
                    .col(big_integer(InventoryLevels::OnHand).default(0))
                    .col(big_integer(InventoryLevels::Committed).default(0))
                    .col(big_integer(InventoryLevels::PendingExport).default(0))
                    .col(timestamp_with_time_zone(InventoryLevels::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_inventory_levels_variant_id")
                            .from(InventoryLevels::Table, InventoryLevels::VariantId)
                            .to(ProductVariants::Table, ProductVariants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_inventory_levels_warehouse_id")
                            .from(InventoryLevels::Table, InventoryLevels::WarehouseId)
                            .to(Warehouses::Table, Warehouses::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_inventory_levels_variant_id_warehouse_id")
                    .table(InventoryLevels::Table)
                    .col(InventoryLevels::VariantId)
                    .col(InventoryLevels::WarehouseId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(InventoryLevels::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum InventoryLevels {
    Table,
    Id,
    VariantId,
    WarehouseId,
    OnHand,
    Committed,
    PendingExport,
    UpdatedAt,
}
