use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000003_create_product_variants::ProductVariants;
use super::m20261130_000011_create_order_lines::OrderLines;
use super::m20261130_000018_create_export_slips::ExportSlips;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ExportSlipLines::Table)
                    .col(big_pk_auto(ExportSlipLines::Id))
                    .col(big_integer(ExportSlipLines::SlipId))
                    .col(big_integer_null(ExportSlipLines::OrderLineId))
                    .col(big_integer(ExportSlipLines::VariantId))
                    .col(big_integer(ExportSlipLines::Quantity))
                    .col(big_integer(ExportSlipLines::MovedFromCommitted).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_export_slip_lines_slip_id")
                            .from(ExportSlipLines::Table, ExportSlipLines::SlipId)
                            .to(ExportSlips::Table, ExportSlips::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_export_slip_lines_order_line_id")
                            .from(ExportSlipLines::Table, ExportSlipLines::OrderLineId)
                            .to(OrderLines::Table, OrderLines::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_export_slip_lines_variant_id")
                            .from(ExportSlipLines::Table, ExportSlipLines::VariantId)
                            .to(ProductVariants::Table, ProductVariants::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_export_slip_lines_slip_id")
                    .table(ExportSlipLines::Table)
                    .col(ExportSlipLines::SlipId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ExportSlipLines::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum ExportSlipLines {
    Table,
    Id,
    SlipId,
    OrderLineId,
    VariantId,
    Quantity,
    MovedFromCommitted,
}
