//! Stock and price push (SPEC §3), the flow "A stock push" of `docs/architecture.md`. Links are marked
//! push-pending by `services::link_marks` when a change alters what they would push; a push run of a channel then
//! does rounds of: [`collect()`] (`collect.rs`: lock up to [`round_size()`] due links, sell-outs first — `due.rs` says which — and
//! compute each value now, with the stale-push guard) → [`send()`] (`send.rs`: batches of the API's maximum) →
//! [`record()`] (`record.rs`: every push in `stock_pushes`, the links' pushed values, sync errors with backoff);
//! [`round()`] (`round.rs`) chains them. [`reconcile()`] (`reconcile.rs`) compares what the channel shows with what
//! was pushed, [`explain()`] (`explain.rs`) says why a number is what it is, and `history.rs` reads the pushes.
//!
//! Invariants: a round clears `push_pending` only of links it has nothing to send for, in the transaction that
//! reads the values, with the links locked (`FOR UPDATE` on PostgreSQL; SQLite's write lock); a sent link stays
//! pending until its push is recorded, and `record` clears it only if no change re-marked it meanwhile, so a
//! change committed later, or a worker killed between send and record, leaves the link due and the next round
//! sends the newer value. One channel's rounds run in one job at a time, which holds the channel's lease
//! (`services::leases`, [`lease_name()`]) across processes; within it ([`Rounds`]) a round's record runs while the
//! next round collects and sends, and that collect leaves out the links still in flight (per-product APIs take
//! their products after every other), so no SKU is ever in two calls at once and a newer value is never
//! overwritten by an older one.

mod collect;
mod due;
mod explain;
mod history;
mod reconcile;
mod record;
mod round;
mod send;

pub(crate) use super::IN_CHUNK;
pub(crate) use super::now;
pub use super::warehouses::{StockLevels, StockWarehouses, stock_warehouses};
use crate::domain::sync_errors::SyncErrorCode;

pub use super::link_marks::{
    LevelMove, channel_push_settings_changed, mark_channel, mark_variants, on_levels_changed, push_settings,
    variant_flags, variant_prices, variant_push_fields_changed,
};
pub use collect::{Collected, InFlight, PlannedPush, collect};
pub use due::{channels_with_due_pushes, has_due_pushes, orders_waiting};
pub use explain::{Explanation, explain};
pub use history::{PushFilter, history, push};
pub use reconcile::{ReconcileReport, reconcile};
pub use record::{Recorded, prune_history, record};
pub use round::{RoundReport, Rounds, lease_name, round, round_size};
pub use send::{PushOutcome, chunk_size, minimum_calls, send};

/// Sync error code of a failed push (on the link, with backoff retries).
pub const PUSH_FAILED: &str = SyncErrorCode::StockPushFailed.as_str();
/// Sync error code of a channel quantity that differs from what the hub last pushed.
pub const STOCK_DRIFT: &str = SyncErrorCode::StockDrift.as_str();
/// Sync warning: the variant does not track inventory, so no quantity is pushed (SPEC §3).
pub const NOT_TRACKED: &str = SyncErrorCode::QuantityNotTracked.as_str();
/// Sync warning: the listing is a bundle the marketplace computes itself, so no quantity is pushed.
pub const STOCK_COMPUTED: &str = SyncErrorCode::StockComputedByChannel.as_str();
/// Sync error (on the link too): the price is above the listing's list price, which the marketplace refuses; the
/// price is not pushed until it is within it.
pub const PRICE_ABOVE_LIST: &str = SyncErrorCode::PriceAboveListPrice.as_str();
