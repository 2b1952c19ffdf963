//! SeaORM entities of the omnisync hub, one module per table (see `docs/data-model.md`).
//!
//! This crate only describes the database: API shapes live in the application crate.

pub mod derived;
pub mod enums;

pub mod api_token;
pub mod bundle_component;
pub mod channel;
pub mod channel_listing;
pub mod channel_stock_warehouse;
pub mod csv_import_row;
pub mod customer;
pub mod export_slip;
pub mod export_slip_line;
pub mod idempotency_key;
pub mod inventory_ledger;
pub mod inventory_level;
pub mod lease;
pub mod order;
pub mod order_event;
pub mod order_line;
pub mod order_return;
pub mod product;
pub mod product_link;
pub mod product_variant;
pub mod return_line;
pub mod stock_push;
pub mod sync_error;
pub mod sync_run;
pub mod sync_run_item;
pub mod warehouse;
pub mod webhook_event;

/// Every entity under a readable name.
pub mod prelude {
    pub use super::api_token::Entity as ApiToken;
    pub use super::bundle_component::Entity as BundleComponent;
    pub use super::channel::Entity as Channel;
    pub use super::channel_listing::Entity as ChannelListing;
    pub use super::channel_stock_warehouse::Entity as ChannelStockWarehouse;
    pub use super::csv_import_row::Entity as CsvImportRow;
    pub use super::customer::Entity as Customer;
    pub use super::export_slip::Entity as ExportSlip;
    pub use super::export_slip_line::Entity as ExportSlipLine;
    pub use super::idempotency_key::Entity as IdempotencyKey;
    pub use super::inventory_ledger::Entity as InventoryLedger;
    pub use super::inventory_level::Entity as InventoryLevel;
    pub use super::lease::Entity as Lease;
    pub use super::order::Entity as Order;
    pub use super::order_event::Entity as OrderEvent;
    pub use super::order_line::Entity as OrderLine;
    pub use super::order_return::Entity as OrderReturn;
    pub use super::product::Entity as Product;
    pub use super::product_link::Entity as ProductLink;
    pub use super::product_variant::Entity as ProductVariant;
    pub use super::return_line::Entity as ReturnLine;
    pub use super::stock_push::Entity as StockPush;
    pub use super::sync_error::Entity as SyncError;
    pub use super::sync_run::Entity as SyncRun;
    pub use super::sync_run_item::Entity as SyncRunItem;
    pub use super::warehouse::Entity as Warehouse;
    pub use super::webhook_event::Entity as WebhookEvent;
}
