use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000006_create_channels::Channels;
use super::m20261130_000008_create_product_links::ProductLinks;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StockPushes::Table)
                    .col(big_pk_auto(StockPushes::Id))
                    .col(big_integer(StockPushes::ChannelId))
                    .col(big_integer_null(StockPushes::ProductLinkId))
                    .col(big_integer_null(StockPushes::VariantId))
                    .col(text_null(StockPushes::SellerSku))
                    .col(big_integer_null(StockPushes::Quantity))
                    .col(big_integer_null(StockPushes::PriceMinor))
                    .col(json(StockPushes::Inputs))
                    .col(boolean(StockPushes::Ok).default(false))
                    .col(json_null(StockPushes::Response))
                    .col(string_null(StockPushes::ErrorCode))
                    .col(timestamp_with_time_zone(StockPushes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stock_pushes_channel_id")
                            .from(StockPushes::Table, StockPushes::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stock_pushes_product_link_id")
                            .from(StockPushes::Table, StockPushes::ProductLinkId)
                            .to(ProductLinks::Table, ProductLinks::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_stock_pushes_product_link_id_id")
                    .table(StockPushes::Table)
                    .col(StockPushes::ProductLinkId)
                    .col(StockPushes::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_stock_pushes_created_at")
                    .table(StockPushes::Table)
                    .col(StockPushes::CreatedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(StockPushes::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum StockPushes {
    Table,
    Id,
    ChannelId,
    ProductLinkId,
    VariantId,
    SellerSku,
    Quantity,
    PriceMinor,
    Inputs,
    Ok,
    Response,
    ErrorCode,
    CreatedAt,
}
