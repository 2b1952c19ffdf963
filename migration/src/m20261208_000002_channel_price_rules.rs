//! Issue 21: a channel's price rule (`domain::price_rules`): a markup or markdown in basis points
//! (`price_adjust_basis_points`, 1000 = +10%), then an amount (`price_adjust_amount_minor`), then rounding to a
//! multiple (`price_round_to_minor`) or up to an ending (`price_round_up_to_ending_minor`, e.g. 9000). All zero or
//! null: prices are pushed as the policy gives them, as before.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for column in [
            big_integer(Channels::PriceAdjustBasisPoints).default(0).to_owned(),
            big_integer(Channels::PriceAdjustAmountMinor).default(0).to_owned(),
            big_integer_null(Channels::PriceRoundToMinor),
            big_integer_null(Channels::PriceRoundUpToEndingMinor),
        ] {
            manager.alter_table(Table::alter().table(Channels::Table).add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Channels::PriceAdjustBasisPoints,
            Channels::PriceAdjustAmountMinor,
            Channels::PriceRoundToMinor,
            Channels::PriceRoundUpToEndingMinor,
        ] {
            manager.alter_table(Table::alter().table(Channels::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Channels {
    Table,
    PriceAdjustBasisPoints,
    PriceAdjustAmountMinor,
    PriceRoundToMinor,
    PriceRoundUpToEndingMinor,
}
