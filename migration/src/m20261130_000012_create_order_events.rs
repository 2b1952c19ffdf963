use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000010_create_orders::Orders;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrderEvents::Table)
                    .col(big_pk_auto(OrderEvents::Id))
                    .col(big_integer(OrderEvents::OrderId))
                    .col(string(OrderEvents::Kind))
                    .col(text(OrderEvents::Message))
                    .col(string_null(OrderEvents::FromStatus))
                    .col(string_null(OrderEvents::ToStatus))
                    .col(json_null(OrderEvents::Data))
                    .col(timestamp_with_time_zone(OrderEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_events_order_id")
                            .from(OrderEvents::Table, OrderEvents::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_order_events_order_id_id")
                    .table(OrderEvents::Table)
                    .col(OrderEvents::OrderId)
                    .col(OrderEvents::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OrderEvents::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum OrderEvents {
    Table,
    Id,
    OrderId,
    Kind,
    Message,
    FromStatus,
    ToStatus,
    Data,
    CreatedAt,
}
