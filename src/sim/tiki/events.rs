//! Tiki's event queues (the webhook alternative): queues, subscriptions, pull and acknowledge.
//!
//! Delivery is at-least-once and in order: a pulled batch waits under an `ack_id`; acknowledged, it is gone;
//! not acknowledged within `VISIBILITY_TIMEOUT`, it is delivered again.
//!
//! Where the queues live: `SimStore` (shared) has no room for them and `TikiSim` is a unit struct, so they are
//! kept here, keyed by the identity of the store they belong to (its address plus its first product, so a
//! store freed and another allocated at the same address never share queues). Callers hold the store's lock
//! first, then this registry's, always in that order.

use std::collections::{HashMap, VecDeque};
use std::sync::{LazyLock, Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde_json::{Value, json};

use super::wire;
use crate::sim::SimStore;

/// A pulled batch not acknowledged within this is delivered again. UNCONFIRMED.
const VISIBILITY_TIMEOUT: Duration = Duration::seconds(60);

/// The seller whose events these are (`sid` field).
pub const SELLER_SID: &str = "SIMT1K1S3LL3R";

type StoreKey = (usize, Option<(u64, i64)>);

fn key(store: &SimStore) -> StoreKey {
    let first = store.products.first().map(|p| (p.id, p.created_at.timestamp_nanos_opt().unwrap_or_default()));
    (std::ptr::from_ref(store) as usize, first)
}

static BOOKS: LazyLock<Mutex<HashMap<StoreKey, QueueBook>>> = LazyLock::new(Mutex::default);

/// The queues of one simulated seller.
#[derive(Default)]
pub struct QueueBook {
    pub queues: Vec<Queue>,
}

pub struct Queue {
    pub code: String,
    pub name: String,
    pub subscriptions: Vec<Subscription>,
    pending: VecDeque<Value>,
    in_flight: HashMap<String, (DateTime<Utc>, Vec<Value>)>,
}

pub struct Subscription {
    pub code: String,
    pub event_type: String,
}

impl Queue {
    pub fn json(&self) -> Value {
        json!({ "code": self.code, "name": self.name, "status": "ACTIVE" })
    }

    /// Up to `max` events under a new ack id (`None` when there is nothing to deliver).
    pub fn pull(&mut self, max: usize) -> (Option<String>, Vec<Value>) {
        let now = Utc::now();
        let expired: Vec<String> = self
            .in_flight
            .iter()
            .filter(|(_, (at, _))| now - *at > VISIBILITY_TIMEOUT)
            .map(|(k, _)| k.clone())
            .collect();
        let mut redeliver: Vec<(DateTime<Utc>, Vec<Value>)> =
            expired.iter().filter_map(|k| self.in_flight.remove(k)).collect();
        redeliver.sort_by_key(|(at, _)| *at);
        for (_, events) in redeliver.into_iter().rev() {
            for event in events.into_iter().rev() {
                self.pending.push_front(event);
            }
        }
        let take = max.min(self.pending.len());
        if take == 0 {
            return (None, Vec::new());
        }
        let events: Vec<Value> = self.pending.drain(..take).collect();
        let ack_id = uuid_like();
        self.in_flight.insert(ack_id.clone(), (now, events.clone()));
        (Some(ack_id), events)
    }

    /// Acknowledges a pulled batch; the number of events, or `None` for an unknown ack id.
    pub fn ack(&mut self, ack_id: &str) -> Option<usize> {
        self.in_flight.remove(ack_id).map(|(_, events)| events.len())
    }
}

/// A random id in UUID form (Tiki's queue, subscription and event codes are UUIDs).
pub fn uuid_like() -> String {
    let n: u128 = rand::rng().random();
    let h = format!("{n:032x}");
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// The queue book of `store` (the caller holds the store's lock).
pub fn book(store: &SimStore) -> BookGuard<'_> {
    let guard = BOOKS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    BookGuard { guard, key: key(store), _store: std::marker::PhantomData }
}

pub struct BookGuard<'a> {
    guard: MutexGuard<'static, HashMap<StoreKey, QueueBook>>,
    key: StoreKey,
    // Ties the guard to the store borrow, so the lock order (store, then book) holds.
    _store: std::marker::PhantomData<&'a SimStore>,
}

impl BookGuard<'_> {
    pub fn get(&mut self) -> &mut QueueBook {
        self.guard.entry(self.key).or_default()
    }
}

impl QueueBook {
    pub fn queue_mut(&mut self, code: &str) -> Option<&mut Queue> {
        self.queues.iter_mut().find(|q| q.code == code)
    }

    pub fn create(&mut self, name: &str) -> &Queue {
        self.queues.push(Queue {
            code: uuid_like(),
            name: name.to_owned(),
            subscriptions: Vec::new(),
            pending: VecDeque::new(),
            in_flight: HashMap::new(),
        });
        let last = self.queues.len() - 1;
        &self.queues[last]
    }
}

/// Records an order event into every queue subscribed to its type (called with the store locked).
pub fn record_order_event(store: &SimStore, order_id: u64, created: bool) {
    let Some(order) = store.order(order_id) else { return };
    let event_type = if created { wire::ORDER_CREATED } else { wire::ORDER_STATUS_UPDATED };
    let event = json!({
        "id": uuid_like(),
        "sid": SELLER_SID,
        "type": event_type,
        "created_at": wire::format_local(Utc::now()),
        "version": "v1",
        "payload": { "order_code": order.id.to_string(), "status": order.status },
    });
    let mut guard = book(store);
    for queue in &mut guard.get().queues {
        if queue.subscriptions.iter().any(|s| s.event_type == event_type) {
            queue.pending.push_back(event.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue() -> Queue {
        Queue {
            code: "q".into(),
            name: "n".into(),
            subscriptions: Vec::new(),
            pending: VecDeque::new(),
            in_flight: HashMap::new(),
        }
    }

    #[test]
    fn acknowledged_events_are_gone_and_unacknowledged_ones_come_back() {
        let mut q = queue();
        q.pending.extend([json!(1), json!(2), json!(3)]);
        let (ack, events) = q.pull(2);
        assert_eq!(events, vec![json!(1), json!(2)]);
        let ack = ack.expect("an ack id");
        assert_eq!(q.ack(&ack), Some(2));
        assert_eq!(q.ack(&ack), None, "an ack id works once");
        let (ack, events) = q.pull(10);
        assert_eq!(events, vec![json!(3)]);
        // Not acknowledged and past the visibility timeout: delivered again.
        if let Some(entry) = q.in_flight.get_mut(&ack.expect("ack")) {
            entry.0 -= VISIBILITY_TIMEOUT * 2;
        }
        assert_eq!(q.pull(10).1, vec![json!(3)]);
    }
}
