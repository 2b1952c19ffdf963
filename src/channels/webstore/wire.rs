//! Serde shapes of the web store Admin API (docs/webstore-api.md), kept apart from the domain types.

use serde::{Deserialize, Serialize};

/// Every refusal: `{"error": {"code", "message"}}`.
#[derive(Debug, Deserialize)]
pub struct ErrorEnvelope {
    pub error: WireError,
}

#[derive(Debug, Deserialize)]
pub struct WireError {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Deserialize)]
pub struct ShopEnvelope {
    pub shop: WireShop,
}

#[derive(Debug, Deserialize)]
pub struct WireShop {
    pub id: u64,
    pub name: String,
    pub country_code: Option<String>,
}

/// A products page; products stay raw JSON so each listing keeps what the store sent.
#[derive(Debug, Deserialize)]
pub struct ProductsPage {
    pub products: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct ProductEnvelope {
    pub product: serde_json::Value,
}

#[derive(Debug, Deserialize)]
pub struct WireProduct {
    pub id: u64,
    pub title: String,
    pub status: Option<String>,
    #[serde(default = "visible")]
    pub published: bool,
    #[serde(default)]
    pub options: Vec<WireOption>,
    #[serde(default)]
    pub variants: Vec<serde_json::Value>,
}

fn visible() -> bool {
    true
}

#[derive(Debug, Deserialize)]
pub struct WireOption {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct WireVariant {
    pub id: u64,
    pub sku: Option<String>,
    pub title: Option<String>,
    pub option1: Option<String>,
    pub option2: Option<String>,
    pub option3: Option<String>,
    pub price: Option<String>,
    pub compare_at_price: Option<String>,
    pub inventory_quantity: Option<i64>,
}

/// `POST /products.json` body.
#[derive(Debug, Serialize)]
pub struct NewProductEnvelope<'a> {
    pub product: NewProduct<'a>,
}

#[derive(Debug, Serialize)]
pub struct NewProduct<'a> {
    pub title: &'a str,
    pub published: bool,
    pub options: Vec<NewOption<'a>>,
    pub variants: Vec<NewVariant<'a>>,
}

#[derive(Debug, Serialize)]
pub struct NewOption<'a> {
    pub name: &'a str,
}

#[derive(Debug, Serialize)]
pub struct NewVariant<'a> {
    pub sku: &'a str,
    pub price: String,
    pub compare_at_price: Option<String>,
    pub inventory_quantity: i64,
    pub option1: Option<&'a str>,
    pub option2: Option<&'a str>,
    pub option3: Option<&'a str>,
}

/// `POST /variants/set_batch.json` body.
#[derive(Debug, Serialize)]
pub struct SetBatch {
    pub variants: Vec<SetBatchItem>,
}

#[derive(Debug, Serialize)]
pub struct SetBatchItem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory_quantity: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SetBatchAnswer {
    pub results: Vec<SetBatchResult>,
}

#[derive(Debug, Deserialize)]
pub struct SetBatchResult {
    pub status: String,
    pub error: Option<WireError>,
}

#[derive(Debug, Deserialize)]
pub struct OrdersPage {
    pub orders: Vec<serde_json::Value>,
    pub next_page_info: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OrderEnvelope {
    pub order: serde_json::Value,
}

#[derive(Debug, Deserialize)]
pub struct WireOrder {
    pub id: u64,
    pub order_number: Option<String>,
    pub status: String,
    pub currency: Option<String>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub updated_at: chrono::DateTime<chrono::FixedOffset>,
    pub payment_method: Option<String>,
    #[serde(default)]
    pub customer: WireCustomer,
    #[serde(default)]
    pub shipping_address: WireAddress,
    pub subtotal_price: String,
    pub shipping_price: String,
    pub total_discounts: String,
    pub total_price: String,
    #[serde(default)]
    pub line_items: Vec<WireLine>,
}

#[derive(Debug, Default, Deserialize)]
pub struct WireCustomer {
    pub id: Option<u64>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct WireAddress {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub address1: Option<String>,
    pub ward: Option<String>,
    pub district: Option<String>,
    pub province: Option<String>,
    pub country_code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct WireLine {
    pub id: u64,
    pub product_id: Option<u64>,
    pub variant_id: Option<u64>,
    pub sku: Option<String>,
    pub title: String,
    pub variant_title: Option<String>,
    pub quantity: i64,
    pub price: String,
    pub total_discount: Option<String>,
}
