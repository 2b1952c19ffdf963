//! Issue 21: bundles, combos and multi-packs. `bundle_components` makes a hub variant (the bundle) out of other
//! variants, each so many times ("lốc 6 chai": 6 × the bottle); a bundle holds no stock of its own, its available
//! quantity is derived from its components'. `inventory_ledger.bundle_variant_id` names the bundle whose order,
//! slip or return moved a component. `channel_listings.stock_computed_by_channel`: the listing is a bundle of the
//! marketplace's own (a Shopee virtual SKU, a TikTok combo), whose stock the marketplace computes and refuses by API.

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000003_create_product_variants::ProductVariants;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BundleComponents::Table)
                    .col(big_integer(BundleComponents::BundleVariantId))
                    .col(big_integer(BundleComponents::ComponentVariantId))
                    .col(big_integer(BundleComponents::Quantity))
                    .primary_key(
                        Index::create()
                            .col(BundleComponents::BundleVariantId)
                            .col(BundleComponents::ComponentVariantId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_bundle_components_bundle_variant_id")
                            .from(BundleComponents::Table, BundleComponents::BundleVariantId)
                            .to(ProductVariants::Table, ProductVariants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // A variant some bundle is made of is not deleted under it: the delete is refused (it names
                    // the bundles), this is the backstop.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_bundle_components_component_variant_id")
                            .from(BundleComponents::Table, BundleComponents::ComponentVariantId)
                            .to(ProductVariants::Table, ProductVariants::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .check(Expr::col(BundleComponents::Quantity).gt(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_bundle_components_component_variant_id")
                    .table(BundleComponents::Table)
                    .col(BundleComponents::ComponentVariantId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(InventoryLedger::Table)
                    .add_column(big_integer_null(InventoryLedger::BundleVariantId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ChannelListings::Table)
                    .add_column(boolean(ChannelListings::StockComputedByChannel).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ChannelListings::Table)
                    .drop_column(ChannelListings::StockComputedByChannel)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter().table(InventoryLedger::Table).drop_column(InventoryLedger::BundleVariantId).to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table(BundleComponents::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum BundleComponents {
    Table,
    BundleVariantId,
    ComponentVariantId,
    Quantity,
}

#[derive(DeriveIden)]
enum ChannelListings {
    Table,
    StockComputedByChannel,
}

#[derive(DeriveIden)]
enum InventoryLedger {
    Table,
    BundleVariantId,
}
