//! Issue 21: a variant's scheduled sale (`sale_price_minor` from `sale_starts_at` until `sale_ends_at`, all three
//! or none), pushed where the marketplace schedules sale prices (Lazada); `product_links.last_pushed_sale`: the sale
//! the channel was last given (JSON `{price, startsAt, endsAt}`), so an unchanged sale is not sent again and a
//! removed one is ended.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for column in [
            big_integer_null(ProductVariants::SalePriceMinor),
            timestamp_with_time_zone_null(ProductVariants::SaleStartsAt),
            timestamp_with_time_zone_null(ProductVariants::SaleEndsAt),
        ] {
            manager.alter_table(Table::alter().table(ProductVariants::Table).add_column(column).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ProductLinks::Table)
                    .add_column(json_null(ProductLinks::LastPushedSale))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(ProductLinks::Table).drop_column(ProductLinks::LastPushedSale).to_owned())
            .await?;
        for column in [ProductVariants::SalePriceMinor, ProductVariants::SaleStartsAt, ProductVariants::SaleEndsAt] {
            manager.alter_table(Table::alter().table(ProductVariants::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ProductVariants {
    Table,
    SalePriceMinor,
    SaleStartsAt,
    SaleEndsAt,
}

#[derive(DeriveIden)]
enum ProductLinks {
    Table,
    LastPushedSale,
}
