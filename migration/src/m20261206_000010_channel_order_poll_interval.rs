//! `channels.order_poll_interval_seconds`: how often the channel's orders are polled, a setting of the channel
//! (NULL: the marketplace's default, as for channels connected before the setting existed).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Channels::Table)
                    .add_column(integer_null(Channels::OrderPollIntervalSeconds))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Channels::Table).drop_column(Channels::OrderPollIntervalSeconds).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Channels {
    Table,
    OrderPollIntervalSeconds,
}
