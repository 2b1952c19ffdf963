use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000002_create_products::Products;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProductVariants::Table)
                    .col(big_pk_auto(ProductVariants::Id))
                    .col(big_integer(ProductVariants::ProductId))
                    .col(text(ProductVariants::Title))
                    .col(integer(ProductVariants::Position))
                    .col(text_null(ProductVariants::Sku))
                    .col(text_null(ProductVariants::Barcode))
                    .col(big_integer(ProductVariants::PriceMinor))
                    .col(big_integer_null(ProductVariants::ListPriceMinor))
                    .col(big_integer_null(ProductVariants::CostPriceMinor))
                    .col(text_null(ProductVariants::Option1Name))
                    .col(text_null(ProductVariants::Option1Value))
                    .col(text_null(ProductVariants::Option2Name))
                    .col(text_null(ProductVariants::Option2Value))
                    .col(text_null(ProductVariants::Option3Name))
                    .col(text_null(ProductVariants::Option3Value))
                    .col(boolean(ProductVariants::TrackInventory).default(false))
                    .col(boolean(ProductVariants::AllowOversell).default(false))
                    .col(text_null(ProductVariants::Unit))
                    .col(text_null(ProductVariants::ImageUrl))
                    .col(boolean(ProductVariants::Hidden).default(false))
                    .col(timestamp_with_time_zone(ProductVariants::CreatedAt))
                    .col(timestamp_with_time_zone(ProductVariants::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_product_variants_product_id")
                            .from(ProductVariants::Table, ProductVariants::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_product_variants_product_id_sku")
                    .table(ProductVariants::Table)
                    .col(ProductVariants::ProductId)
                    .col(ProductVariants::Sku)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_product_variants_product_id_barcode")
                    .table(ProductVariants::Table)
                    .col(ProductVariants::ProductId)
                    .col(ProductVariants::Barcode)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_product_variants_sku")
                    .table(ProductVariants::Table)
                    .col(ProductVariants::Sku)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_product_variants_barcode")
                    .table(ProductVariants::Table)
                    .col(ProductVariants::Barcode)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ProductVariants::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum ProductVariants {
    Table,
    Id,
    ProductId,
    Title,
    Position,
    Sku,
    Barcode,
    PriceMinor,
    ListPriceMinor,
    CostPriceMinor,
    Option1Name,
    Option1Value,
    Option2Name,
    Option2Value,
    Option3Name,
    Option3Value,
    TrackInventory,
    AllowOversell,
    Unit,
    ImageUrl,
    Hidden,
    CreatedAt,
    UpdatedAt,
}
