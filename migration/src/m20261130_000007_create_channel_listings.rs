use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000006_create_channels::Channels;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChannelListings::Table)
                    .col(big_pk_auto(ChannelListings::Id))
                    .col(big_integer(ChannelListings::ChannelId))
                    .col(text(ChannelListings::ExternalProductId))
                    .col(text(ChannelListings::ExternalSkuId))
                    .col(text_null(ChannelListings::SellerSku))
                    .col(text(ChannelListings::Title))
                    .col(text_null(ChannelListings::VariantTitle))
                    .col(json_null(ChannelListings::Options))
                    .col(big_integer_null(ChannelListings::PriceMinor))
                    .col(big_integer_null(ChannelListings::ListPriceMinor))
                    .col(big_integer_null(ChannelListings::Quantity))
                    .col(text_null(ChannelListings::ChannelStatus))
                    .col(json(ChannelListings::Raw))
                    .col(boolean(ChannelListings::LinkExcluded).default(false))
                    .col(timestamp_with_time_zone(ChannelListings::SeenAt))
                    .col(timestamp_with_time_zone(ChannelListings::CreatedAt))
                    .col(timestamp_with_time_zone(ChannelListings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_channel_listings_channel_id")
                            .from(ChannelListings::Table, ChannelListings::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_channel_listings_external_ids")
                    .table(ChannelListings::Table)
                    .col(ChannelListings::ChannelId)
                    .col(ChannelListings::ExternalProductId)
                    .col(ChannelListings::ExternalSkuId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_channel_listings_channel_id_seller_sku")
                    .table(ChannelListings::Table)
                    .col(ChannelListings::ChannelId)
                    .col(ChannelListings::SellerSku)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ChannelListings::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum ChannelListings {
    Table,
    Id,
    ChannelId,
    ExternalProductId,
    ExternalSkuId,
    SellerSku,
    Title,
    VariantTitle,
    Options,
    PriceMinor,
    ListPriceMinor,
    Quantity,
    ChannelStatus,
    Raw,
    LinkExcluded,
    SeenAt,
    CreatedAt,
    UpdatedAt,
}
