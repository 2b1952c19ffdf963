use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000003_create_product_variants::ProductVariants;
use super::m20261130_000006_create_channels::Channels;
use super::m20261130_000007_create_channel_listings::ChannelListings;
use super::m20261130_000008_create_product_links::ProductLinks;
use super::m20261130_000010_create_orders::Orders;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SyncErrors::Table)
                    .col(big_pk_auto(SyncErrors::Id))
                    .col(big_integer_null(SyncErrors::ChannelId))
                    .col(string(SyncErrors::Kind))
                    .col(string(SyncErrors::Code))
                    .col(text(SyncErrors::Message))
                    .col(big_integer_null(SyncErrors::ProductLinkId))
                    .col(big_integer_null(SyncErrors::VariantId))
                    .col(big_integer_null(SyncErrors::ListingId))
                    .col(big_integer_null(SyncErrors::OrderId))
                    .col(json_null(SyncErrors::Details))
                    .col(integer(SyncErrors::Occurrences).default(1))
                    .col(timestamp_with_time_zone(SyncErrors::FirstSeenAt))
                    .col(timestamp_with_time_zone(SyncErrors::LastSeenAt))
                    .col(timestamp_with_time_zone_null(SyncErrors::ResolvedAt))
                    .col(timestamp_with_time_zone_null(SyncErrors::DismissedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sync_errors_channel_id")
                            .from(SyncErrors::Table, SyncErrors::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sync_errors_product_link_id")
                            .from(SyncErrors::Table, SyncErrors::ProductLinkId)
                            .to(ProductLinks::Table, ProductLinks::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sync_errors_variant_id")
                            .from(SyncErrors::Table, SyncErrors::VariantId)
                            .to(ProductVariants::Table, ProductVariants::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sync_errors_listing_id")
                            .from(SyncErrors::Table, SyncErrors::ListingId)
                            .to(ChannelListings::Table, ChannelListings::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sync_errors_order_id")
                            .from(SyncErrors::Table, SyncErrors::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sync_errors_channel_id_kind_code")
                    .table(SyncErrors::Table)
                    .col(SyncErrors::ChannelId)
                    .col(SyncErrors::Kind)
                    .col(SyncErrors::Code)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SyncErrors::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum SyncErrors {
    Table,
    Id,
    ChannelId,
    Kind,
    Code,
    Message,
    ProductLinkId,
    VariantId,
    ListingId,
    OrderId,
    Details,
    Occurrences,
    FirstSeenAt,
    LastSeenAt,
    ResolvedAt,
    DismissedAt,
}
