//! Pure rules and value types: no I/O, no database, no HTTP. Unit-tested where they live.

pub mod actor;
pub mod allocation;
pub mod bundles;
pub mod cancel_reasons;
pub mod channel;
pub mod channel_settings;
pub mod csv_import;
pub mod errors;
pub mod events;
pub mod export_slips;
pub mod inventory;
pub mod linking;
pub mod money;
pub mod order_status;
pub mod orders;
pub mod price_rules;
pub mod stock_push;
pub mod sync_errors;
pub mod text;
