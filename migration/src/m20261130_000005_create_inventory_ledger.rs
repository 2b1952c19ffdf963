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
                    .table(InventoryLedger::Table)
                    .col(big_pk_auto(InventoryLedger::Id))
                    .col(big_integer(InventoryLedger::VariantId))
                    .col(big_integer(InventoryLedger::WarehouseId))
                    .col(big_integer(InventoryLedger::OnHandDelta))
                    .col(big_integer(InventoryLedger::CommittedDelta))
                    .col(big_integer(InventoryLedger::PendingExportDelta))
                    .col(big_integer(InventoryLedger::OnHandAfter))
                    .col(big_integer(InventoryLedger::CommittedAfter))
                    .col(big_integer(InventoryLedger::PendingExportAfter))
                    .col(string(InventoryLedger::Reason))
                    .col(string_null(InventoryLedger::ReferenceType))
                    .col(big_integer_null(InventoryLedger::ReferenceId))
                    .col(text_null(InventoryLedger::Note))
                    .col(timestamp_with_time_zone(InventoryLedger::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_inventory_ledger_variant_id")
                            .from(InventoryLedger::Table, InventoryLedger::VariantId)
                            .to(ProductVariants::Table, ProductVariants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_inventory_ledger_warehouse_id")
                            .from(InventoryLedger::Table, InventoryLedger::WarehouseId)
                            .to(Warehouses::Table, Warehouses::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_inventory_ledger_variant_id_warehouse_id_id")
                    .table(InventoryLedger::Table)
                    .col(InventoryLedger::VariantId)
                    .col(InventoryLedger::WarehouseId)
                    .col(InventoryLedger::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(InventoryLedger::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum InventoryLedger {
    Table,
    Id,
    VariantId,
    WarehouseId,
    OnHandDelta,
    CommittedDelta,
    PendingExportDelta,
    OnHandAfter,
    CommittedAfter,
    PendingExportAfter,
    Reason,
    ReferenceType,
    ReferenceId,
    Note,
    CreatedAt,
}
