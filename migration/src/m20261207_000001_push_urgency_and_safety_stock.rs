//! Issue 18: `product_links.push_sells_out` (the pending change leaves the channel's quantity at 0: such links are
//! pushed first), and safety stock — `channels.safety_stock_units` / `safety_stock_percent` held back from what is
//! pushed, and `product_variants.safety_stock_units`, a per-variant override of the channel's.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(ProductLinks::Table)
                    .add_column(boolean(ProductLinks::PushSellsOut).default(false))
                    .to_owned(),
            )
            .await?;
        for column in [
            big_integer(Channels::SafetyStockUnits).default(0).to_owned(),
            integer(Channels::SafetyStockPercent).default(0).to_owned(),
        ] {
            manager.alter_table(Table::alter().table(Channels::Table).add_column(column).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ProductVariants::Table)
                    .add_column(big_integer_null(ProductVariants::SafetyStockUnits))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(ProductVariants::Table).drop_column(ProductVariants::SafetyStockUnits).to_owned(),
            )
            .await?;
        for column in [Channels::SafetyStockUnits, Channels::SafetyStockPercent] {
            manager.alter_table(Table::alter().table(Channels::Table).drop_column(column).to_owned()).await?;
        }
        manager
            .alter_table(Table::alter().table(ProductLinks::Table).drop_column(ProductLinks::PushSellsOut).to_owned())
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ProductLinks {
    Table,
    PushSellsOut,
}

#[derive(DeriveIden)]
enum Channels {
    Table,
    SafetyStockUnits,
    SafetyStockPercent,
}

#[derive(DeriveIden)]
enum ProductVariants {
    Table,
    SafetyStockUnits,
}
