//! Registering the hub's push address through the Event API (`PUT /event/202309/webhooks`, one address per event
//! type and shop; setting it again replaces it, so registering twice changes nothing).

use reqwest::Method;

use super::TiktokConnector;
use super::client::ApiCall;
use crate::channels::ConnectorResult;

/// The event types the hub takes: order status changes (imported), product changes, the token's coming expiry.
pub const PUSH_EVENT_TYPES: [&str; 5] = [
    "ORDER_STATUS_CHANGE",
    "PRODUCT_STATUS_CHANGE",
    "PRODUCT_INFORMATION_CHANGE",
    "PRODUCT_CREATION",
    "UPCOMING_AUTHORIZATION_EXPIRATION",
];

impl TiktokConnector {
    /// Points every event type of `PUSH_EVENT_TYPES` of the shop at `address`.
    pub(super) async fn register_push_address(&self, address: &str) -> ConnectorResult<()> {
        for event_type in PUSH_EVENT_TYPES {
            let mut call = ApiCall::post(
                "/event/202309/webhooks",
                &serde_json::json!({ "event_type": event_type, "address": address }),
            )?;
            call.method = Method::PUT;
            self.call(&call).await?;
        }
        Ok(())
    }
}
