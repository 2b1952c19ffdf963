//! Indexes on (sort column, id) for the lists' sort keys (`orders(sortKey:)`, `products(sortKey:)`,
//! `syncErrors(sortKey:)`): a page continues past a (value, id) pair and is read in that order, so one index range
//! scan serves it instead of a sort of every matching row. The single-column indexes on `orders.placed_at` and
//! `products.title` give way to the (column, id) ones, which serve what they served.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index, table, sort column) of each (sort column, id) index.
const SORT_INDEXES: [(&str, &str, &str); 6] = [
    ("idx_orders_created_at_id", "orders", "created_at"),
    ("idx_orders_updated_at_id", "orders", "updated_at"),
    ("idx_orders_placed_at_id", "orders", "placed_at"),
    ("idx_products_title_id", "products", "title"),
    ("idx_products_updated_at_id", "products", "updated_at"),
    ("idx_sync_errors_last_seen_at_id", "sync_errors", "last_seen_at"),
];

/// (index, table, column) of the single-column indexes the ones above replace.
const REPLACED: [(&str, &str, &str); 2] =
    [("idx_orders_placed_at", "orders", "placed_at"), ("idx_products_title", "products", "title")];

fn drop(name: &str, table: &str) -> IndexDropStatement {
    Index::drop().name(name).table(Alias::new(table)).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in REPLACED {
            manager.drop_index(drop(name, table)).await?;
        }
        for (name, table, column) in SORT_INDEXES {
            let index = Index::create()
                .name(name)
                .table(Alias::new(table))
                .col(Alias::new(column))
                .col(Alias::new("id"))
                .to_owned();
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in SORT_INDEXES {
            manager.drop_index(drop(name, table)).await?;
        }
        for (name, table, column) in REPLACED {
            manager
                .create_index(Index::create().name(name).table(Alias::new(table)).col(Alias::new(column)).to_owned())
                .await?;
        }
        Ok(())
    }
}
