//! Schema migrations of the omnisync hub: one dated file per table or change (see `docs/data-model.md`).
//!
//! Portable across SQLite and PostgreSQL: sea-query's schema builder only, foreign keys declared inside
//! `CREATE TABLE` (SQLite cannot add them later), closed sets stored as `VARCHAR`.

pub use sea_orm_migration::MigrationStatus;
pub use sea_orm_migration::prelude::*;

mod m20261130_000001_create_warehouses;
mod m20261130_000002_create_products;
mod m20261130_000003_create_product_variants;
mod m20261130_000004_create_inventory_levels;
mod m20261130_000005_create_inventory_ledger;
mod m20261130_000006_create_channels;
mod m20261130_000007_create_channel_listings;
mod m20261130_000008_create_product_links;
mod m20261130_000009_create_customers;
mod m20261130_000010_create_orders;
mod m20261130_000011_create_order_lines;
mod m20261130_000012_create_order_events;
mod m20261130_000013_create_sync_errors;
mod m20261130_000014_create_stock_pushes;
mod m20261130_000015_create_webhook_events;
mod m20261130_000016_create_returns;
mod m20261130_000017_create_return_lines;
mod m20261130_000018_create_export_slips;
mod m20261130_000019_create_export_slip_lines;
mod m20261130_000020_create_sync_runs;
mod m20261130_000021_create_api_tokens;
mod m20261130_000022_barcodes_may_repeat_in_a_product;
mod m20261202_000001_create_leases;
mod m20261202_000002_product_link_push_in_doubt;
mod m20261204_000001_create_idempotency_keys;
mod m20261205_000001_record_actors;
mod m20261205_000002_list_sort_indexes;
mod m20261206_000010_channel_order_poll_interval;
mod m20261206_000011_order_shipping_label;
mod m20261206_000020_slip_line_released_reservation;
mod m20261206_000021_channel_stock_warehouses;
mod m20261206_000030_create_sync_run_items;
mod m20261206_000040_channel_webhook;
mod m20261207_000001_oversell_guards;
mod m20261208_000001_search_text_and_unique_phone;
mod m20261208_000002_channel_price_rules;
mod m20261209_000001_bundle_components;
mod m20261209_000002_variant_sale;
mod m20261210_000001_csv_import_rows;
mod m20261211_000001_due_push_index;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261130_000001_create_warehouses::Migration),
            Box::new(m20261130_000002_create_products::Migration),
            Box::new(m20261130_000003_create_product_variants::Migration),
            Box::new(m20261130_000004_create_inventory_levels::Migration),
            Box::new(m20261130_000005_create_inventory_ledger::Migration),
            Box::new(m20261130_000006_create_channels::Migration),
            Box::new(m20261130_000007_create_channel_listings::Migration),
            Box::new(m20261130_000008_create_product_links::Migration),
            Box::new(m20261130_000009_create_customers::Migration),
            Box::new(m20261130_000010_create_orders::Migration),
            Box::new(m20261130_000011_create_order_lines::Migration),
            Box::new(m20261130_000012_create_order_events::Migration),
            Box::new(m20261130_000013_create_sync_errors::Migration),
            Box::new(m20261130_000014_create_stock_pushes::Migration),
            Box::new(m20261130_000015_create_webhook_events::Migration),
            Box::new(m20261130_000016_create_returns::Migration),
            Box::new(m20261130_000017_create_return_lines::Migration),
            Box::new(m20261130_000018_create_export_slips::Migration),
            Box::new(m20261130_000019_create_export_slip_lines::Migration),
            Box::new(m20261130_000020_create_sync_runs::Migration),
            Box::new(m20261130_000021_create_api_tokens::Migration),
            Box::new(m20261130_000022_barcodes_may_repeat_in_a_product::Migration),
            Box::new(m20261202_000001_create_leases::Migration),
            Box::new(m20261202_000002_product_link_push_in_doubt::Migration),
            Box::new(m20261204_000001_create_idempotency_keys::Migration),
            Box::new(m20261205_000001_record_actors::Migration),
            Box::new(m20261205_000002_list_sort_indexes::Migration),
            Box::new(m20261206_000010_channel_order_poll_interval::Migration),
            Box::new(m20261206_000011_order_shipping_label::Migration),
            Box::new(m20261206_000020_slip_line_released_reservation::Migration),
            Box::new(m20261206_000021_channel_stock_warehouses::Migration),
            Box::new(m20261206_000030_create_sync_run_items::Migration),
            Box::new(m20261206_000040_channel_webhook::Migration),
            Box::new(m20261207_000001_oversell_guards::Migration),
            Box::new(m20261208_000001_search_text_and_unique_phone::Migration),
            Box::new(m20261208_000002_channel_price_rules::Migration),
            Box::new(m20261209_000001_bundle_components::Migration),
            Box::new(m20261209_000002_variant_sale::Migration),
            Box::new(m20261210_000001_csv_import_rows::Migration),
            Box::new(m20261211_000001_due_push_index::Migration),
        ]
    }
}
