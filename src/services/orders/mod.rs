//! Orders (SPEC §4), one flow in steps:
//!
//! - **import batch** (`import`, `batch`): one idempotent upsert keyed by (channel, external order id) that every
//!   path uses — webhook fetches, polling, resyncs — applied a fetched batch per write transaction;
//! - **apply** (`import`, `customers`, `order_lines`, `stock`, `history`): each order maps its status, saves the
//!   customer, upserts the lines against the channel's links, moves stock through the ledger
//!   (`inventory::LevelBook`), writes the order's history and sync errors, and marks the webhook events it answers
//!   as processed;
//! - **actions** (`actions`): the seller actions sent to the channel (ready to ship, cancel, print, await pickup)
//!   and hub-only status changes when orders are processed in the hub;
//! - **labels** (`labels`): shipping labels of one order or many (the marketplace's batch call), kept on the order;
//! - **status mapping** (`status_mapping`): the channel's overrides of the raw status table;
//! - **reads** (`reads`): the list and one order with its lines, history and errors; which orders a resync covers.
//!
//! Seller actions call the marketplace inside the request: the merchant needs the channel's answer (a refusal is
//! a `CHANNEL_REFUSED` userError quoting it), and nothing changes in the hub unless the channel accepted.

mod actions;
mod batch;
mod customers;
mod history;
mod import;
mod labels;
mod order_lines;
mod reads;
mod retries;
mod status_mapping;
mod stock;

pub use actions::{act, change_hub_status, set_hub_status};
pub use customers::customers;
pub use history::{EventsAnswered, add_event, mark_events_processed, open_error, resolve_errors};
pub use import::{Applied, apply_channel_order, apply_channel_orders};
pub use labels::{MAX_LABELS, Printed, label_of, print_labels};
pub use order_lines::orders_with_newly_linked_lines;
pub use reads::{
    OrderFilter, OrderSortKey, by_ids, events, export_slips, get, ids_matching, list, open_errors, returns,
};
pub use retries::{orders_to_import_again, orders_with_open_error};
pub use status_mapping::{MAX_OVERRIDES, MappingRow, mapping, overrides_of, update_mapping};
pub use stock::apply_stock;

/// Sync error codes of orders (`sync_errors.code`, kind ORDER).
pub mod codes {
    use crate::domain::sync_errors::SyncErrorCode;

    /// Some lines' listings are not linked to a hub variant: the order is kept and re-synced once they are.
    pub const PRODUCT_NOT_LINKED: &str = SyncErrorCode::OrderProductNotLinked.as_str();
    /// The channel reported a status no mapping knows: the order is UNRECOGNIZED until a mapping is added.
    pub const STATUS_UNRECOGNIZED: &str = SyncErrorCode::OrderStatusUnrecognized.as_str();
    /// A stock movement of the order was refused (e.g. on hand would go below zero).
    pub const STOCK_REFUSED: &str = SyncErrorCode::OrderStockRefused.as_str();
    /// The order contains a product whose sync the merchant stopped ("ngắt"): it is not imported (SPEC §4).
    pub const CONTAINS_UNLINKED_PRODUCT: &str = SyncErrorCode::OrderContainsUnlinkedProduct.as_str();
    /// The channel announced an order it then did not return.
    pub const NOT_FOUND_ON_CHANNEL: &str = SyncErrorCode::OrderNotFoundOnChannel.as_str();
}

/// Rows written per multi-row statement.
const ROWS_PER_STATEMENT: usize = 200;
