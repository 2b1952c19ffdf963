//! Live events for subscriptions. Each process keeps an in-process broadcast ring; a subscriber that falls behind
//! loses the oldest events (it is told it lagged and re-reads state) instead of letting memory grow.
//!
//! With Redis, events travel through Redis pub/sub: `publish` sends to Redis (in order, from one task), and one
//! task per process relays every message of the channel into the local ring — so a subscriber on an API process
//! sees what a worker in another process did. Without Redis, `publish` goes straight to the local ring.

use std::time::Duration;

use tokio::sync::{broadcast, mpsc};

/// Capacity of the broadcast ring: past this, slow subscribers lag.
const CAPACITY: usize = 1024;
/// Events waiting to be sent to Redis; past this they are dropped (and logged), never buffered without bound.
const OUTBOX: usize = 10_000;

pub use crate::domain::events::{ActivityKind, HubEvent};

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<HubEvent>,
    /// Set when events go through Redis.
    outbox: Option<mpsc::Sender<HubEvent>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self { tx: broadcast::channel(CAPACITY).0, outbox: None }
    }
}

impl EventBus {
    /// An event bus over Redis pub/sub on `<namespace>.events`; in-process only without a URL.
    pub fn connect(redis_url: Option<&str>, namespace: &str) -> anyhow::Result<Self> {
        let Some(url) = redis_url else { return Ok(Self::default()) };
        let client = redis::Client::open(url)?;
        let channel = format!("{namespace}.events");
        let (tx, _) = broadcast::channel(CAPACITY);
        let (outbox, inbox) = mpsc::channel(OUTBOX);
        tokio::spawn(relay_from_redis(client.clone(), channel.clone(), tx.clone()));
        tokio::spawn(publish_to_redis(client, channel, inbox));
        Ok(Self { tx, outbox: Some(outbox) })
    }

    /// Sends to whoever listens now (in every process, with Redis); no listener is not an error.
    pub fn publish(&self, event: HubEvent) {
        match &self.outbox {
            None => {
                let _ = self.tx.send(event);
            }
            Some(outbox) => {
                if outbox.try_send(event).is_err() {
                    tracing::warn!("event outbox full or closed: an event was dropped");
                }
            }
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<HubEvent> {
        self.tx.subscribe()
    }
}

/// Sends queued events to Redis one at a time, so their order is kept; reconnects after failures.
async fn publish_to_redis(client: redis::Client, channel: String, mut inbox: mpsc::Receiver<HubEvent>) {
    let mut conn = None;
    while let Some(event) = inbox.recv().await {
        let Ok(payload) = serde_json::to_string(&event) else { continue };
        for attempt in 0..5u32 {
            if conn.is_none() {
                conn = client.get_multiplexed_async_connection().await.ok();
            }
            let Some(c) = conn.as_mut() else {
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                continue;
            };
            let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH").arg(&channel).arg(&payload).query_async(c).await;
            match sent {
                Ok(_) => break,
                Err(err) => {
                    tracing::warn!(error = %err, "publishing an event to Redis failed");
                    conn = None;
                    tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                }
            }
        }
    }
}

/// Relays every event of the Redis channel into this process's ring; resubscribes after a disconnect.
async fn relay_from_redis(client: redis::Client, channel: String, tx: broadcast::Sender<HubEvent>) {
    use futures::StreamExt;
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => {
                if let Err(err) = pubsub.subscribe(&channel).await {
                    tracing::warn!(error = %err, "subscribing to Redis events failed");
                } else {
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        let Ok(payload) = message.get_payload::<String>() else { continue };
                        match serde_json::from_str::<HubEvent>(&payload) {
                            Ok(event) => {
                                let _ = tx.send(event);
                            }
                            Err(err) => tracing::warn!(error = %err, "an unreadable event on the Redis channel"),
                        }
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "Redis events unavailable; retrying"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
