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
        /// The sync error raised or cleared (SYNC_ERROR_RAISED, SYNC_ERROR_CLEARED).
        #[serde(default)]
        sync_error_id: Option<i64>,
    },
    /// A sync run changed state or counters.
    SyncRunChanged { run_id: i64 },
    /// A stock level changed.
    InventoryChanged { variant_id: i64, warehouse_id: i64 },
    /// An order was imported or changed (status, stock, lines).
    OrderChanged { order_id: i64, channel_id: i64 },
}

impl HubEvent {
    /// A quantity or price pushed to a channel (`ok` false: the channel refused it or the call failed).
    pub fn pushed(channel_id: i64, kind: ActivityKind, sku: String, value: i64, ok: bool, message: String) -> Self {
        Self::ChannelActivity { channel_id, kind, sku: Some(sku), value: Some(value), ok, message, sync_error_id: None }
    }

    /// A sync error opened (`raised`) or resolved on a channel.
    pub fn sync_error(channel_id: i64, sync_error_id: i64, raised: bool, message: String) -> Self {
        Self::ChannelActivity {
            channel_id,
            kind: if raised { ActivityKind::SyncErrorRaised } else { ActivityKind::SyncErrorCleared },
            sku: None,
            value: None,
            ok: !raised,
            message,
            sync_error_id: Some(sync_error_id),
        }
    }
}
