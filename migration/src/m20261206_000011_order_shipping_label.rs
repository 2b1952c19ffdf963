//! `orders.shipping_label` and `orders.label_printed_at`: the last shipping label the marketplace gave for the
//! order (links or the document, its type), kept so the merchant can print it again without asking again.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one column at a time.
        manager
            .alter_table(Table::alter().table(Orders::Table).add_column(json_null(Orders::ShippingLabel)).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(timestamp_with_time_zone_null(Orders::LabelPrintedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Orders::Table).drop_column(Orders::LabelPrintedAt).to_owned()).await?;
        manager.alter_table(Table::alter().table(Orders::Table).drop_column(Orders::ShippingLabel).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    ShippingLabel,
    LabelPrintedAt,
}
