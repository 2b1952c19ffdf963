//! Tiki's wire protocol: paths, limits, the local-time format, and the JSON shapes the connector reads.
//! The simulator (`crate::sim::tiki`) holds its own reading of the docs; a test checks that the two agree.
//!
//! Facts marked UNCONFIRMED in `shared/channels/tiki.md` are chosen here, each with a short reason.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone, Utc};
use serde::Deserialize;
use serde_json::Value;

/// Legacy API-key integration (also where the event queues live, for both credential styles).
pub const V1: &str = "/integration/v1";
/// OAuth2 integration.
pub const V2: &str = "/integration/v2";
/// OAuth2 integration, batch endpoints.
pub const V2_1: &str = "/integration/v2.1";
/// OAuth2 token endpoint (same host as the API).
pub const TOKEN_PATH: &str = "/sc/oauth2/token";
/// OAuth2 consent page (public apps).
pub const AUTHORIZE_PATH: &str = "/sc/oauth2/auth";
/// Header carrying the legacy API key.
pub const API_KEY_HEADER: &str = "tiki-api";

/// Largest `limit` of a product page. UNCONFIRMED: a community client says "limit must not be greater than 100".
pub const MAX_PRODUCTS_PAGE: u32 = 100;
/// Largest `limit` of an order page. UNCONFIRMED: same community note as products.
pub const MAX_ORDERS_PAGE: u32 = 100;
/// Largest `data` array of `PUT /integration/v2.1/products/updateSkus`. UNCONFIRMED: 50 is the batch size the
/// other Vietnamese marketplaces allow for price/stock, a safe guess.
pub const MAX_UPDATE_SKUS_BATCH: usize = 50;
/// Longest date range of one order search. UNCONFIRMED: the docs' widest preset is `last30days`.
pub const MAX_ORDER_WINDOW_DAYS: i64 = 30;
/// Most events one pull returns. UNCONFIRMED.
pub const MAX_EVENTS_PER_PULL: usize = 100;
/// Order event types the connector subscribes its queue to.
pub const ORDER_EVENT_TYPES: [&str; 2] = ["ORDER_CREATED_SUCCESSFULLY", "ORDER_STATUS_UPDATED"];
/// Name of the event queue the connector creates (and finds again) on the seller's account.
pub const QUEUE_NAME: &str = "omnisync";

/// Tiki's date parameters and fields: `yyyy-MM-dd HH:mm:ss`, Vietnam local time (UTC+7, no DST).
pub const DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

fn vietnam() -> FixedOffset {
    // 7 h is always a valid offset; the UTC fallback is never taken.
    FixedOffset::east_opt(7 * 3600).unwrap_or(Utc.fix())
}

/// `2024-05-01 17:05:00` for 10:05 UTC.
pub fn format_local(at: DateTime<Utc>) -> String {
    at.with_timezone(&vietnam()).format(DATE_FORMAT).to_string()
}

/// Reads a Tiki local time (also accepts RFC 3339, which some v2 fields use).
pub fn parse_local(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(text, DATE_FORMAT).ok()?;
    vietnam().from_local_datetime(&naive).single().map(|at| at.with_timezone(&Utc))
}

/// `{"data":[...],"paging":{...}}`, the list shape of both versions.
#[derive(Debug, Deserialize)]
pub struct Page {
    #[serde(default)]
    pub data: Vec<Value>,
    pub paging: Option<Paging>,
}

#[derive(Debug, Deserialize)]
pub struct Paging {
    pub total: Option<u64>,
    pub current_page: Option<u64>,
    pub last_page: Option<u64>,
}

/// An error body: `{"errors":[...]}` (v2), or `{"msg": ...}` (legacy v1).
#[derive(Debug, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub errors: Vec<Value>,
    pub msg: Option<String>,
    /// OAuth2 token endpoint errors.
    pub error: Option<String>,
    pub error_description: Option<String>,
}

impl ErrorBody {
    /// The human text of an error body, whichever style it has.
    pub fn message(&self) -> Option<String> {
        if !self.errors.is_empty() {
            let parts: Vec<String> =
                self.errors.iter().map(|e| e.as_str().map(str::to_owned).unwrap_or_else(|| e.to_string())).collect();
            return Some(parts.join("; "));
        }
        self.msg.clone().or_else(|| self.error_description.clone()).or_else(|| self.error.clone())
    }
}

/// `POST /sc/oauth2/token` answer.
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: Option<i64>,
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub token_type: Option<String>,
}

/// `GET …/sellers/me`.
#[derive(Debug, Deserialize)]
pub struct Seller {
    pub id: Option<Value>,
    pub sid: Option<String>,
    pub name: Option<String>,
}

/// `GET /integration/v2/sellers/me/warehouses` entry.
#[derive(Debug, Deserialize)]
pub struct Warehouse {
    pub id: u64,
    #[serde(default)]
    pub status: Option<i64>,
}

/// One product (one SKU) of a product page, both versions.
#[derive(Debug, Deserialize)]
pub struct Product {
    pub id: u64,
    pub sku: Option<String>,
    pub original_sku: Option<String>,
    pub name: Option<String>,
    pub super_id: Option<u64>,
    pub active: Option<i64>,
    pub price: Option<Value>,
    pub market_price: Option<Value>,
    #[serde(default)]
    pub option_attributes: Vec<String>,
    pub option1: Option<String>,
    pub option2: Option<String>,
    pub option3: Option<String>,
    pub inventory: Option<Inventory>,
}

#[derive(Debug, Deserialize)]
pub struct Inventory {
    pub quantity_available: Option<i64>,
    #[serde(default)]
    pub warehouse_quantities: Vec<WarehouseQuantity>,
}

#[derive(Debug, Deserialize)]
pub struct WarehouseQuantity {
    pub warehouse_id: Option<u64>,
    pub qty_available: Option<i64>,
}

/// One entry of `updateSkus`' answer. UNCONFIRMED shape: `{data:[{original_sku|product_id, state, errors?}]}`.
#[derive(Debug, Clone, Deserialize)]
pub struct SkuUpdateState {
    pub product_id: Option<u64>,
    pub original_sku: Option<String>,
    pub state: Option<String>,
    #[serde(default)]
    pub errors: Vec<Value>,
}

/// An order of the legacy v1 API (documented field names).
#[derive(Debug, Deserialize)]
pub struct OrderV1 {
    pub order_code: String,
    pub status: String,
    pub purchased_at: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub total_price_before_discount: Option<Value>,
    pub total_price_after_discount: Option<Value>,
    pub collectable_total_price: Option<Value>,
    pub shipping: Option<Shipping>,
    pub payment: Option<Payment>,
    pub customer: Option<Customer>,
    #[serde(default)]
    pub items: Vec<ItemV1>,
}

#[derive(Debug, Deserialize)]
pub struct ItemV1 {
    pub id: Value,
    pub product_id: Option<u64>,
    pub product_name: Option<String>,
    pub sku: Option<String>,
    pub original_sku: Option<String>,
    pub qty: i64,
    pub price: Option<Value>,
    pub discount: Option<Value>,
    pub confirmation_status: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Shipping {
    pub address: Option<ShippingAddress>,
    pub shipping_fee: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ShippingAddress {
    pub full_name: Option<String>,
    pub street: Option<String>,
    pub ward: Option<String>,
    pub district: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Payment {
    pub payment_method: Option<String>,
    pub method: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Customer {
    pub id: Option<Value>,
    pub full_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// An order of the v2 API: fields grouped into objects. UNCONFIRMED names (from third-party clients).
#[derive(Debug, Deserialize)]
pub struct OrderV2 {
    pub code: String,
    pub status: String,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub invoice: Option<InvoiceV2>,
    pub shipping: Option<Shipping>,
    pub customer: Option<Customer>,
    #[serde(default)]
    pub items: Vec<ItemV2>,
}

#[derive(Debug, Default, Deserialize)]
pub struct InvoiceV2 {
    pub subtotal: Option<Value>,
    pub shipping_amount: Option<Value>,
    pub discount_amount: Option<Value>,
    pub grand_total: Option<Value>,
    pub payment_method: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ItemV2 {
    pub id: Value,
    pub product: Option<ItemProductV2>,
    pub confirmation: Option<ItemConfirmationV2>,
    pub invoice: Option<ItemInvoiceV2>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ItemProductV2 {
    pub id: Option<u64>,
    pub name: Option<String>,
    pub sku: Option<String>,
    /// The seller's code (v1 `original_sku`).
    pub seller_product_code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ItemConfirmationV2 {
    pub status: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ItemInvoiceV2 {
    pub price: Option<Value>,
    pub quantity: Option<i64>,
    pub discount_amount: Option<Value>,
}

/// `GET /integration/v1/queues` entry and `POST /integration/v1/queues` answer.
#[derive(Debug, Deserialize)]
pub struct Queue {
    pub code: String,
    pub name: Option<String>,
    pub status: Option<String>,
}

/// `POST /integration/v1/queues/{code}/events/pull` answer. UNCONFIRMED path and shape.
#[derive(Debug, Deserialize)]
pub struct PulledEvents {
    pub ack_id: Option<String>,
    #[serde(default)]
    pub events: Vec<Value>,
}

/// One queued event.
#[derive(Debug, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub created_at: Option<String>,
    #[serde(default)]
    pub payload: Value,
}

/// A label answer (`print` in v1, `…/labels` in v2).
#[derive(Debug, Deserialize)]
pub struct Label {
    pub shipping_label_url: Option<String>,
    pub label_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_vietnam_time_both_ways() {
        let at = Utc.with_ymd_and_hms(2024, 5, 1, 10, 5, 0).single().expect("valid");
        assert_eq!(format_local(at), "2024-05-01 17:05:00");
        assert_eq!(parse_local("2024-05-01 17:05:00"), Some(at));
        assert_eq!(parse_local("2024-05-01T10:05:00Z"), Some(at));
        assert_eq!(parse_local("yesterday"), None);
    }

    #[test]
    fn error_bodies_of_both_styles_give_their_text() {
        let v2: ErrorBody =
            serde_json::from_str(r#"{"errors":["The authorization (token) is missing or expired"]}"#).expect("json");
        assert_eq!(v2.message().as_deref(), Some("The authorization (token) is missing or expired"));
        let v1: ErrorBody = serde_json::from_str(r#"{"msg":"Permission denied"}"#).expect("json");
        assert_eq!(v1.message().as_deref(), Some("Permission denied"));
    }
}
