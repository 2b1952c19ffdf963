use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000002_create_products::Products;
use super::m20261130_000003_create_product_variants::ProductVariants;
use super::m20261130_000006_create_channels::Channels;
use super::m20261130_000007_create_channel_listings::ChannelListings;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProductLinks::Table)
                    .col(big_pk_auto(ProductLinks::Id))
                    .col(big_integer(ProductLinks::ChannelId))
                    .col(big_integer_null(ProductLinks::ListingId))
                    .col(big_integer_null(ProductLinks::VariantId))
                    .col(big_integer_null(ProductLinks::ProductId))
                    .col(string(ProductLinks::State))
                    .col(string_null(ProductLinks::ErrorCode))
                    .col(text_null(ProductLinks::ErrorMessage))
                    .col(big_integer_null(ProductLinks::LastPushedQuantity))
                    .col(big_integer_null(ProductLinks::LastPushedPriceMinor))
                    .col(timestamp_with_time_zone_null(ProductLinks::LastPushedAt))
                    .col(boolean(ProductLinks::PushPending).default(false))
                    .col(timestamp_with_time_zone_null(ProductLinks::PushRequestedAt))
                    .col(timestamp_with_time_zone_null(ProductLinks::LinkedAt))
                    .col(timestamp_with_time_zone(ProductLinks::CreatedAt))
                    .col(timestamp_with_time_zone(ProductLinks::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_product_links_channel_id")
                            .from(ProductLinks::Table, ProductLinks::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_product_links_listing_id")
                            .from(ProductLinks::Table, ProductLinks::ListingId)
                            .to(ChannelListings::Table, ChannelListings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_product_links_variant_id")
                            .from(ProductLinks::Table, ProductLinks::VariantId)
                            .to(ProductVariants::Table, ProductVariants::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_product_links_product_id")
                            .from(ProductLinks::Table, ProductLinks::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_product_links_listing_id")
                    .table(ProductLinks::Table)
                    .col(ProductLinks::ListingId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_product_links_channel_id_state")
                    .table(ProductLinks::Table)
                    .col(ProductLinks::ChannelId)
                    .col(ProductLinks::State)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_product_links_variant_id")
                    .table(ProductLinks::Table)
                    .col(ProductLinks::VariantId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ProductLinks::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum ProductLinks {
    Table,
    Id,
    ChannelId,
    ListingId,
    VariantId,
    ProductId,
    State,
    ErrorCode,
    ErrorMessage,
    LastPushedQuantity,
    LastPushedPriceMinor,
    LastPushedAt,
    PushPending,
    PushRequestedAt,
    LinkedAt,
    CreatedAt,
    UpdatedAt,
}
