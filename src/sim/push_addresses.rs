//! Where a simulated marketplace sends its pushes: the address set in its console (one per app, the control API's
//! `/_sim/webhook` plays the merchant pasting it there) and the subscriptions registered through the
//! marketplace's own API, per topic (TikTok's Event API, the web store's `webhooks.json`). A push goes to every
//! address subscribed to its topic and to the console address, each once.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A push subscription registered through the marketplace's API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscription {
    pub id: u64,
    /// The marketplace's name of the event (`ORDER_STATUS_CHANGE`, `orders/create`, …).
    pub topic: String,
    pub address: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub struct PushAddresses {
    console: Option<String>,
    subscriptions: Vec<Subscription>,
    next_id: u64,
}

impl PushAddresses {
    /// The console address; `None` also removes every subscription (the marketplace then pushes nowhere).
    pub fn set_console(&mut self, url: Option<String>) {
        if url.is_none() {
            self.subscriptions.clear();
        }
        self.console = url;
    }

    pub fn console(&self) -> Option<String> {
        self.console.clone()
    }

    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.subscriptions.clone()
    }

    /// Adds a subscription; `None` if this address is already subscribed to the topic.
    pub fn subscribe(&mut self, topic: &str, address: &str) -> Option<Subscription> {
        if self.subscriptions.iter().any(|s| s.topic == topic && s.address == address) {
            return None;
        }
        Some(self.insert(topic, address))
    }

    fn insert(&mut self, topic: &str, address: &str) -> Subscription {
        self.next_id += 1;
        let now = Utc::now();
        let subscription = Subscription {
            id: 1_000_000 + self.next_id,
            topic: topic.to_owned(),
            address: address.to_owned(),
            created_at: now,
            updated_at: now,
        };
        self.subscriptions.push(subscription.clone());
        subscription
    }

    /// Sets the one address of a topic (replacing any other).
    pub fn replace(&mut self, topic: &str, address: &str) -> Subscription {
        let now = Utc::now();
        if let Some(s) = self.subscriptions.iter_mut().find(|s| s.topic == topic) {
            s.address = address.to_owned();
            s.updated_at = now;
            return s.clone();
        }
        self.insert(topic, address)
    }

    /// Removes the subscriptions `matches` picks; returns how many went.
    pub fn remove(&mut self, matches: impl Fn(&Subscription) -> bool) -> usize {
        let before = self.subscriptions.len();
        self.subscriptions.retain(|s| !matches(s));
        before - self.subscriptions.len()
    }

    /// Every address a push of `topic` goes to, each once.
    pub fn targets(&self, topic: &str) -> Vec<String> {
        let mut out: Vec<String> =
            self.subscriptions.iter().filter(|s| s.topic == topic).map(|s| s.address.clone()).collect();
        out.extend(self.console.clone());
        let mut seen = std::collections::HashSet::new();
        out.retain(|a| seen.insert(a.clone()));
        out
    }
}

/// Whether a marketplace accepts `address` as a push address: an absolute HTTPS URL (TikTok and the web store
/// want a valid certificate). The simulators also take plain HTTP on the loopback host, where tests run.
pub fn acceptable_address(address: &str) -> bool {
    let Ok(url) = url::Url::parse(address) else { return false };
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    url.host_str().is_some_and(|h| !h.is_empty()) && (url.scheme() == "https" || (url.scheme() == "http" && loopback))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_push_goes_to_each_subscribed_address_and_the_console_once() {
        let mut a = PushAddresses::default();
        a.set_console(Some("https://hub/webhooks/1".into()));
        assert!(a.subscribe("orders/create", "https://hub/webhooks/1").is_some());
        assert!(a.subscribe("orders/create", "https://hub/webhooks/1").is_none(), "taken");
        a.subscribe("orders/create", "https://other/x");
        assert_eq!(a.targets("orders/create"), ["https://hub/webhooks/1", "https://other/x"]);
        assert_eq!(a.targets("products/update"), ["https://hub/webhooks/1"]);
        a.set_console(None);
        assert!(a.targets("orders/create").is_empty(), "no console address: no subscription either");
        assert_eq!(a.replace("ORDER_STATUS_CHANGE", "https://a").address, "https://a");
        assert_eq!(a.replace("ORDER_STATUS_CHANGE", "https://b").address, "https://b");
        assert_eq!(a.targets("ORDER_STATUS_CHANGE"), ["https://b"]);
    }

    #[test]
    fn push_addresses_are_absolute_https_or_loopback_http() {
        assert!(acceptable_address("https://hub.example.vn/webhooks/3"));
        assert!(acceptable_address("http://127.0.0.1:8080/webhooks/3"));
        assert!(!acceptable_address("http://hub.example.vn/webhooks/3"));
        assert!(!acceptable_address("/webhooks/3"));
        assert!(!acceptable_address("ftp://hub.example.vn/x"));
    }
}
