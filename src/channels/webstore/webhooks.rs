//! Registering the hub's push address (docs/webstore-api.md, "Webhooks"): one subscription per topic the hub
//! takes, created only where the store lacks it, so registering again changes nothing.

use reqwest::Method;
use serde::Deserialize;

use super::WebstoreConnector;
use crate::channels::{ConnectorError, ConnectorResult};

/// The topics the hub takes: orders (imported) and products (listing changes).
pub const PUSH_TOPICS: [&str; 5] =
    ["orders/create", "orders/updated", "orders/cancelled", "products/create", "products/update"];

#[derive(Deserialize)]
struct Webhooks {
    webhooks: Vec<Webhook>,
}

#[derive(Deserialize)]
struct Webhook {
    topic: String,
    address: String,
}

impl WebstoreConnector {
    /// Subscribes `address` to every topic of `PUSH_TOPICS` it is not subscribed to yet.
    pub(super) async fn register_push_address(&self, address: &str) -> ConnectorResult<()> {
        let Webhooks { webhooks } = self.call(Method::GET, "/webhooks.json", &[], None).await?.json()?;
        for topic in PUSH_TOPICS {
            if webhooks.iter().any(|w| w.topic == topic && w.address == address) {
                continue;
            }
            let body = serde_json::json!({ "webhook": { "topic": topic, "address": address, "format": "json" } });
            let body = serde_json::to_vec(&body).map_err(|e| ConnectorError::Config(format!("webhook body: {e}")))?;
            self.call(Method::POST, "/webhooks.json", &[], Some(body)).await?;
        }
        Ok(())
    }
}
