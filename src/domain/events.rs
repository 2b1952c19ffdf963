//! What happened in the hub, as subscribers hear it. Values only: the bus that carries them is `crate::events`.

use serde::{Deserialize, Serialize};

/// Kinds of channel activity (the `channelEvents` subscription).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActivityKind {
    LinkResult,
    StockPush,
    PricePush,
    SyncErrorRaised,
    SyncErrorCleared,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HubEvent {
    /// Something happened on a channel: a link batch, a push (SKU, value, ok or error), a sync error.
    ChannelActivity {
        channel_id: i64,
        kind: ActivityKind,
        sku: Option<String>,
        value: Option<i64>,
        ok: bool,
        message: String,
    },
    /// A sync run changed state or counters.
    SyncRunChanged { run_id: i64 },
    /// A stock level changed.
    InventoryChanged { variant_id: i64, warehouse_id: i64 },
    /// An order was imported or changed (status, stock, lines).
    OrderChanged { order_id: i64, channel_id: i64 },
}
