//! Who did it (issue 15): `actor_kind` (API_TOKEN, CHANNEL, SYSTEM) and `actor_name` (the token's, channel's or
//! hub part's name at the time) on `inventory_ledger` and `order_events`. Rows written before stay NULL in both:
//! who made them was not recorded, and NULL says "unknown" where a default such as SYSTEM would claim an author.
//! One column per statement: SQLite's ALTER TABLE takes one change at a time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [InventoryLedger::Table.into_iden(), OrderEvents::Table.into_iden()] {
            for column in [Actor::ActorKind, Actor::ActorName] {
                manager
                    .alter_table(Table::alter().table(table.clone()).add_column(string_null(column)).to_owned())
                    .await?;
            }
        }
        // The ledger is long and listed by actor across every level; an order's events are read per order.
        manager
            .create_index(
                Index::create()
                    .name("idx_inventory_ledger_actor_kind_actor_name_id")
                    .table(InventoryLedger::Table)
                    .col(Actor::ActorKind)
                    .col(Actor::ActorName)
                    .col(InventoryLedger::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_inventory_ledger_actor_kind_actor_name_id")
                    .table(InventoryLedger::Table)
                    .to_owned(),
            )
            .await?;
        for table in [InventoryLedger::Table.into_iden(), OrderEvents::Table.into_iden()] {
            for column in [Actor::ActorKind, Actor::ActorName] {
                manager.alter_table(Table::alter().table(table.clone()).drop_column(column).to_owned()).await?;
            }
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum InventoryLedger {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OrderEvents {
    Table,
}

/// The two columns both tables get.
#[derive(DeriveIden, Clone, Copy)]
enum Actor {
    ActorKind,
    ActorName,
}
