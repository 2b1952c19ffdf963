//! `channel_stock_warehouses`: the warehouses whose stock a channel gets, one or more (Sapo: "một hoặc nhiều chi
//! nhánh"); none = the default warehouse. Filled from `channels.stock_warehouse_id`, which is no longer read or
//! written (SQLite can't drop a column under a foreign key).

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000001_create_warehouses::Warehouses;
use super::m20261130_000006_create_channels::Channels;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChannelStockWarehouses::Table)
                    .col(big_integer(ChannelStockWarehouses::ChannelId))
                    .col(big_integer(ChannelStockWarehouses::WarehouseId))
                    .primary_key(
                        Index::create().col(ChannelStockWarehouses::ChannelId).col(ChannelStockWarehouses::WarehouseId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_channel_stock_warehouses_channel_id")
                            .from(ChannelStockWarehouses::Table, ChannelStockWarehouses::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // A warehouse a channel reads is not deleted under it: the delete is refused (it names the
                    // channels), this is the backstop.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_channel_stock_warehouses_warehouse_id")
                            .from(ChannelStockWarehouses::Table, ChannelStockWarehouses::WarehouseId)
                            .to(Warehouses::Table, Warehouses::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_channel_stock_warehouses_warehouse_id")
                    .table(ChannelStockWarehouses::Table)
                    .col(ChannelStockWarehouses::WarehouseId)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO channel_stock_warehouses (channel_id, warehouse_id) \
                 SELECT id, stock_warehouse_id FROM channels WHERE stock_warehouse_id IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The first warehouse of each channel goes back to the column.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE channels SET stock_warehouse_id = (SELECT MIN(s.warehouse_id) FROM channel_stock_warehouses s \
                 WHERE s.channel_id = channels.id)",
            )
            .await?;
        manager.drop_table(Table::drop().table(ChannelStockWarehouses::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ChannelStockWarehouses {
    Table,
    ChannelId,
    WarehouseId,
}
