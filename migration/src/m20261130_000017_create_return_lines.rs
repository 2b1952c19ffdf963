use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000003_create_product_variants::ProductVariants;
use super::m20261130_000011_create_order_lines::OrderLines;
use super::m20261130_000016_create_returns::Returns;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReturnLines::Table)
                    .col(big_pk_auto(ReturnLines::Id))
                    .col(big_integer(ReturnLines::ReturnId))
                    .col(big_integer(ReturnLines::OrderLineId))
                    .col(big_integer_null(ReturnLines::VariantId))
                    .col(big_integer(ReturnLines::Quantity))
                    .col(big_integer(ReturnLines::RestockQuantity).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_return_lines_return_id")
                            .from(ReturnLines::Table, ReturnLines::ReturnId)
                            .to(Returns::Table, Returns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_return_lines_order_line_id")
                            .from(ReturnLines::Table, ReturnLines::OrderLineId)
                            .to(OrderLines::Table, OrderLines::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_return_lines_variant_id")
                            .from(ReturnLines::Table, ReturnLines::VariantId)
                            .to(ProductVariants::Table, ProductVariants::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_return_lines_return_id")
                    .table(ReturnLines::Table)
                    .col(ReturnLines::ReturnId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ReturnLines::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum ReturnLines {
    Table,
    Id,
    ReturnId,
    OrderLineId,
    VariantId,
    Quantity,
    RestockQuantity,
}
