//! Barcodes may repeat within a product: merchants' data has such duplicates, and SPEC §2 wants linking to report
//! them (the whole product fails) rather than the catalog to refuse them. SKUs stay unique within a product.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProductVariants {
    Table,
    ProductId,
    Barcode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop().name("uq_product_variants_product_id_barcode").table(ProductVariants::Table).to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_product_variants_product_id_barcode")
                    .table(ProductVariants::Table)
                    .col(ProductVariants::ProductId)
                    .col(ProductVariants::Barcode)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop().name("idx_product_variants_product_id_barcode").table(ProductVariants::Table).to_owned(),
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
            .await
    }
}
