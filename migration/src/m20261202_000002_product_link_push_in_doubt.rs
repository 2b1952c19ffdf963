//! `product_links.push_in_doubt_until`: a push whose request the hub gave up on (its timeout fired) may still be
//! applied by the marketplace later, after a newer value. Until this time the link is not pushed again; after it,
//! it is pushed once more whatever the hub last recorded, so the channel ends at the hub's number.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProductLinks::Table)
                    .add_column(timestamp_with_time_zone_null(ProductLinks::PushInDoubtUntil))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(ProductLinks::Table).drop_column(ProductLinks::PushInDoubtUntil).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ProductLinks {
    Table,
    PushInDoubtUntil,
}
