//! `channels.webhook_*`: where the channel's push address stands — registered through the marketplace's API (when,
//! or why not), and when the first verified push arrived (so the merchant sees pushes work).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for column in [
            timestamp_with_time_zone_null(Channels::WebhookRegisteredAt),
            text_null(Channels::WebhookRegistrationError),
            timestamp_with_time_zone_null(Channels::WebhookFirstPushAt),
        ] {
            manager.alter_table(Table::alter().table(Channels::Table).add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Channels::WebhookRegisteredAt, Channels::WebhookRegistrationError, Channels::WebhookFirstPushAt]
        {
            manager.alter_table(Table::alter().table(Channels::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Channels {
    Table,
    WebhookRegisteredAt,
    WebhookRegistrationError,
    WebhookFirstPushAt,
}
