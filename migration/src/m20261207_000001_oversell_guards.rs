//! Issue 18, what keeps channels from selling what is gone:
//! - `product_links.push_sells_out`: the pending change leaves the channel's quantity at 0 (pushed first);
//! - safety stock: `channels.safety_stock_units` / `safety_stock_percent` held back from what is pushed, and
//!   `product_variants.safety_stock_units`, a per-variant override of the channel's;
//! - allocation: `warehouses.stock_allocation` (its units are split between the channels that sell from it),
//!   `warehouses.low_stock_threshold` and `product_variants.low_stock_threshold` (allocation turns on below it),
//!   `channels.allocation_weight`, and per link its share `allocated_quantity` and `last_sold_at` (when an order
//!   of the channel last took the variant: a quiet channel's share may change).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for column in [
            boolean(ProductLinks::PushSellsOut).default(false).to_owned(),
            big_integer_null(ProductLinks::AllocatedQuantity),
            timestamp_with_time_zone_null(ProductLinks::LastSoldAt),
        ] {
            manager.alter_table(Table::alter().table(ProductLinks::Table).add_column(column).to_owned()).await?;
        }
        for column in [
            big_integer(Channels::SafetyStockUnits).default(0).to_owned(),
            integer(Channels::SafetyStockPercent).default(0).to_owned(),
            integer(Channels::AllocationWeight).default(1).to_owned(),
        ] {
            manager.alter_table(Table::alter().table(Channels::Table).add_column(column).to_owned()).await?;
        }
        for column in
            [big_integer_null(ProductVariants::SafetyStockUnits), big_integer_null(ProductVariants::LowStockThreshold)]
        {
            manager.alter_table(Table::alter().table(ProductVariants::Table).add_column(column).to_owned()).await?;
        }
        for column in [
            boolean(Warehouses::StockAllocation).default(false).to_owned(),
            big_integer_null(Warehouses::LowStockThreshold),
        ] {
            manager.alter_table(Table::alter().table(Warehouses::Table).add_column(column).to_owned()).await?;
        }
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
    AllocatedQuantity,
    LastSoldAt,
}

#[derive(DeriveIden)]
enum Channels {
    Table,
    SafetyStockUnits,
    SafetyStockPercent,
    AllocationWeight,
}

#[derive(DeriveIden)]
enum ProductVariants {
    Table,
    SafetyStockUnits,
    LowStockThreshold,
}

#[derive(DeriveIden)]
enum Warehouses {
    Table,
    StockAllocation,
    LowStockThreshold,
}
