//! Live events for subscriptions. In-process broadcast; a subscriber that falls behind loses the oldest events
//! (it is told it lagged) instead of letting memory grow.

use tokio::sync::broadcast;

/// Capacity of the broadcast ring: past this, slow subscribers lag.
const CAPACITY: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubEvent {
    /// A sync run changed state or counters.
    SyncRunChanged { run_id: i64 },
    /// A stock level changed.
    InventoryChanged { variant_id: i64, warehouse_id: i64 },
}

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<HubEvent>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self { tx: broadcast::channel(CAPACITY).0 }
    }
}

impl EventBus {
    /// Sends to whoever listens now; no listener is not an error.
    pub fn publish(&self, event: HubEvent) {
        let _ = self.tx.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<HubEvent> {
        self.tx.subscribe()
    }
}
