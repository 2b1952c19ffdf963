//! Issue 18: a partial index on the links waiting for a push (`push_pending`), by channel. A push round and a
//! lingering push run's look for the next change (every 20 ms) find a channel's due links through it instead of
//! reading the channel's links through `idx_product_links_channel_id_state` (10,000 per look for a large shop,
//! of which a handful are due). Raw SQL: the statement is the same on SQLite and PostgreSQL, and the schema builder
//! has no partial index. The queries name the predicate the same way (`push_pending` alone, not `= true` with a
//! bound value), which is what lets both planners prove the index applies.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_product_links_push_pending_channel_id ON product_links (channel_id) \
                 WHERE push_pending",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop().name("idx_product_links_push_pending_channel_id").table(ProductLinks::Table).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ProductLinks {
    Table,
}
