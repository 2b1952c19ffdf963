use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .col(big_pk_auto(Products::Id))
                    .col(text(Products::Title))
                    .col(text_null(Products::Description))
                    .col(text_null(Products::Vendor))
                    .col(text_null(Products::ProductType))
                    .col(text_null(Products::ImageUrl))
                    .col(big_integer(Products::TotalOnHand).default(0))
                    .col(timestamp_with_time_zone_null(Products::TotalsComputedAt))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_products_title").table(Products::Table).col(Products::Title).to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Products::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum Products {
    Table,
    Id,
    Title,
    Description,
    Vendor,
    ProductType,
    ImageUrl,
    TotalOnHand,
    TotalsComputedAt,
    CreatedAt,
    UpdatedAt,
}
