use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000003_create_product_variants::ProductVariants;
use super::m20261130_000007_create_channel_listings::ChannelListings;
use super::m20261130_000010_create_orders::Orders;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrderLines::Table)
                    .col(big_pk_auto(OrderLines::Id))
                    .col(big_integer(OrderLines::OrderId))
                    .col(text_null(OrderLines::ExternalLineId))
                    .col(big_integer_null(OrderLines::ListingId))
                    .col(text_null(OrderLines::SellerSku))
                    .col(big_integer_null(OrderLines::VariantId))
                    .col(text(OrderLines::Title))
                    .col(text_null(OrderLines::VariantTitle))
                    .col(big_integer(OrderLines::Quantity))
                    .col(big_integer(OrderLines::PriceMinor))
                    .col(big_integer(OrderLines::DiscountMinor).default(0))
                    .col(big_integer(OrderLines::ReservedQuantity).default(0))
                    .col(big_integer(OrderLines::FulfilledQuantity).default(0))
                    .col(big_integer(OrderLines::ReturnedQuantity).default(0))
                    .col(text_null(OrderLines::Unit))
                    .col(text_null(OrderLines::ImageUrl))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_lines_order_id")
                            .from(OrderLines::Table, OrderLines::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_lines_listing_id")
                            .from(OrderLines::Table, OrderLines::ListingId)
                            .to(ChannelListings::Table, ChannelListings::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_lines_variant_id")
                            .from(OrderLines::Table, OrderLines::VariantId)
                            .to(ProductVariants::Table, ProductVariants::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_order_lines_order_id")
                    .table(OrderLines::Table)
                    .col(OrderLines::OrderId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_order_lines_variant_id")
                    .table(OrderLines::Table)
                    .col(OrderLines::VariantId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OrderLines::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum OrderLines {
    Table,
    Id,
    OrderId,
    ExternalLineId,
    ListingId,
    SellerSku,
    VariantId,
    Title,
    VariantTitle,
    Quantity,
    PriceMinor,
    DiscountMinor,
    ReservedQuantity,
    FulfilledQuantity,
    ReturnedQuantity,
    Unit,
    ImageUrl,
}
