//! Lazada wire types, kept apart from the domain types. Lenient on purpose: Lazada sends ids and amounts as
//! numbers in some APIs and as strings in others, so those are read through `Text` / `serde_json::Value`.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A string or number on the wire, kept as its text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(s) => Ok(Text(s)),
            Value::Number(n) => Ok(Text(n.to_string())),
            Value::Bool(b) => Ok(Text(b.to_string())),
            Value::Null => Ok(Text(String::new())),
            other => Err(serde::de::Error::custom(format!("expected a string or number, got {other}"))),
        }
    }
}

/// Every answer: `code` is `"0"` on success; the payload is under `data` (most APIs) or `result` (fulfilment).
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub code: Option<Text>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub data: Option<Value>,
    #[serde(default)]
    pub result: Option<Value>,
    /// Per-SKU failures of a price/quantity update (code `501`).
    #[serde(default)]
    pub detail: Option<Value>,
}

impl Envelope {
    pub fn code(&self) -> &str {
        self.code.as_ref().map(|c| c.0.as_str()).unwrap_or("")
    }

    pub fn is_success(&self) -> bool {
        self.code() == "0"
    }
}

/// `/auth/token/create` and `/auth/token/refresh` answer with the token fields at the top level.
#[derive(Debug, Deserialize)]
pub struct TokenAnswer {
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Seconds.
    #[serde(default)]
    pub expires_in: Option<i64>,
    /// Seconds.
    #[serde(default)]
    pub refresh_expires_in: Option<i64>,
}

/// `/seller/get` data.
#[derive(Debug, Deserialize)]
pub struct Seller {
    #[serde(default)]
    pub seller_id: Text,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub short_code: Option<String>,
}

/// `/products/get` data.
#[derive(Debug, Deserialize)]
pub struct ProductsPage {
    /// Items (not SKUs) matching the filter.
    #[serde(default)]
    pub total_products: Option<i64>,
    #[serde(default)]
    pub products: Vec<Product>,
}

#[derive(Debug, Deserialize)]
pub struct Product {
    pub item_id: Text,
    #[serde(default)]
    pub attributes: ProductAttributes,
    #[serde(default)]
    pub status: Option<String>,
    /// Epoch milliseconds, as a string.
    #[serde(default)]
    pub created_time: Option<Text>,
    /// Kept raw: each becomes a listing's `raw`.
    #[serde(default)]
    pub skus: Vec<Value>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ProductAttributes {
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Sku {
    #[serde(rename = "SkuId")]
    pub sku_id: Text,
    #[serde(rename = "SellerSku", default)]
    pub seller_sku: Option<String>,
    #[serde(rename = "Status", default)]
    pub status: Option<String>,
    #[serde(default)]
    pub quantity: Option<i64>,
    #[serde(default)]
    pub price: Option<Value>,
    #[serde(default)]
    pub special_price: Option<Value>,
    /// Sale properties (option name → value).
    #[serde(rename = "saleProp", default)]
    pub sale_prop: Option<serde_json::Map<String, Value>>,
}

/// `/orders/get` data.
#[derive(Debug, Deserialize)]
pub struct OrdersPage {
    #[serde(default)]
    pub count: Option<i64>,
    #[serde(rename = "countTotal", default)]
    pub count_total: Option<i64>,
    #[serde(default)]
    pub orders: Vec<Value>,
}

#[derive(Debug, Deserialize)]
pub struct Order {
    pub order_id: Text,
    #[serde(default)]
    pub order_number: Option<Text>,
    pub created_at: String,
    pub updated_at: String,
    /// Distinct statuses of the order's items.
    #[serde(default)]
    pub statuses: Vec<String>,
    #[serde(default)]
    pub shipping_fee: Option<Value>,
    #[serde(default)]
    pub voucher: Option<Value>,
    #[serde(default)]
    pub payment_method: Option<String>,
    #[serde(default)]
    pub customer_first_name: Option<String>,
    #[serde(default)]
    pub customer_last_name: Option<String>,
    #[serde(default)]
    pub address_shipping: Option<OrderAddress>,
}

#[derive(Debug, Default, Deserialize)]
pub struct OrderAddress {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address1: Option<String>,
    /// Vietnam: province.
    #[serde(default)]
    pub address3: Option<String>,
    /// Vietnam: district.
    #[serde(default)]
    pub address4: Option<String>,
    /// Vietnam: ward.
    #[serde(default)]
    pub address5: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

/// One element of `/orders/items/get` data.
#[derive(Debug, Deserialize)]
pub struct OrderItems {
    pub order_id: Text,
    #[serde(default)]
    pub order_items: Vec<Value>,
}

/// One order item (one unit: Lazada has no quantity field).
#[derive(Debug, Deserialize)]
pub struct OrderItem {
    pub order_item_id: Text,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub sku_id: Option<Text>,
    #[serde(default)]
    pub product_id: Option<Text>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub variation: Option<String>,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub item_price: Option<Value>,
    #[serde(default)]
    pub voucher_amount: Option<Value>,
    #[serde(default)]
    pub package_id: Option<Text>,
}

/// `result` of `/order/fulfill/pack`.
#[derive(Debug, Default, Deserialize)]
pub struct PackResult {
    #[serde(default)]
    pub data: PackData,
    #[serde(default)]
    pub success: Option<Value>,
    #[serde(default)]
    pub error_code: Option<Text>,
    #[serde(default)]
    pub error_msg: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PackData {
    #[serde(default)]
    pub pack_order_list: Vec<PackOrder>,
}

#[derive(Debug, Deserialize)]
pub struct PackOrder {
    #[serde(default)]
    pub order_item_list: Vec<PackItem>,
}

#[derive(Debug, Deserialize)]
pub struct PackItem {
    #[serde(default)]
    pub order_item_id: Text,
    #[serde(default)]
    pub item_err_code: Text,
    #[serde(default)]
    pub msg: Option<String>,
    #[serde(default)]
    pub package_id: Option<Text>,
}

/// `result` of `/order/package/rts`.
#[derive(Debug, Default, Deserialize)]
pub struct RtsResult {
    #[serde(default)]
    pub data: RtsData,
    #[serde(default)]
    pub success: Option<Value>,
    #[serde(default)]
    pub error_code: Option<Text>,
    #[serde(default)]
    pub error_msg: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RtsData {
    #[serde(default)]
    pub packages: Vec<RtsPackage>,
}

#[derive(Debug, Deserialize)]
pub struct RtsPackage {
    #[serde(default)]
    pub package_id: Text,
    #[serde(default)]
    pub item_err_code: Text,
    #[serde(default)]
    pub msg: Option<String>,
}

/// `result` of `/order/package/document/get`.
#[derive(Debug, Default, Deserialize)]
pub struct DocumentResult {
    #[serde(default)]
    pub data: DocumentData,
    #[serde(default)]
    pub success: Option<Value>,
    #[serde(default)]
    pub error_code: Option<Text>,
    #[serde(default)]
    pub error_msg: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DocumentData {
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub doc_type: Option<String>,
    #[serde(default)]
    pub pdf_url: Option<String>,
}

/// `true` or `"true"`: fulfilment results send either.
pub fn truthy(value: &Option<Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// `/order/reverse/cancel/validate` data.
#[derive(Debug, Default, Deserialize)]
pub struct CancelValidation {
    #[serde(default)]
    pub reason_options: Vec<CancelReason>,
}

#[derive(Debug, Deserialize)]
pub struct CancelReason {
    pub reason_id: Text,
    #[serde(default)]
    pub reason_name: String,
}

/// A push body ("Lazada Push Mechanism").
#[derive(Debug, Deserialize)]
pub struct Push {
    #[serde(default)]
    pub seller_id: Option<Text>,
    pub message_type: i64,
    #[serde(default)]
    pub data: Value,
    #[serde(default)]
    pub timestamp: Option<i64>,
}

/// `data` of a trade-order push (message type 0).
#[derive(Debug, Deserialize)]
pub struct TradeOrderPush {
    #[serde(default)]
    pub order_status: Option<String>,
    pub trade_order_id: Text,
    #[serde(default)]
    pub trade_order_line_id: Option<Text>,
    /// Epoch seconds.
    #[serde(default)]
    pub status_update_time: Option<i64>,
}
