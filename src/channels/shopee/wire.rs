//! Shopee v2 wire types (only the fields the hub reads), kept apart from the domain types.
//! Numbers that are money stay `serde_json::Number` so decimals are converted exactly.

use serde::{Deserialize, Serialize};
use serde_json::Number;

/// `shop/get_shop_info`: its fields sit at the top level, next to `error`/`message` (no `response` wrapper).
#[derive(Debug, Deserialize)]
pub struct ShopInfo {
    #[serde(default)]
    pub shop_name: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// `auth/token/get` and `auth/access_token/get`: top-level fields, no `response` wrapper.
#[derive(Debug, Deserialize)]
pub struct TokenAnswer {
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: String,
    /// Seconds until the access token expires.
    #[serde(default)]
    pub expire_in: i64,
}

#[derive(Debug, Deserialize)]
pub struct ItemListPage {
    #[serde(default)]
    pub item: Vec<ItemRef>,
    #[serde(default)]
    pub has_next_page: bool,
    #[serde(default)]
    pub next_offset: i64,
}

#[derive(Debug, Deserialize)]
pub struct ItemRef {
    pub item_id: u64,
}

#[derive(Debug, Deserialize)]
pub struct ItemBaseInfo {
    pub item_id: u64,
    #[serde(default)]
    pub item_name: String,
    #[serde(default)]
    pub item_sku: String,
    #[serde(default)]
    pub item_status: String,
    #[serde(default)]
    pub has_model: bool,
    /// Only for items without models.
    #[serde(default)]
    pub price_info: Vec<PriceInfo>,
    #[serde(default)]
    pub stock_info_v2: Option<StockInfo>,
}

#[derive(Debug, Deserialize)]
pub struct PriceInfo {
    #[serde(default)]
    pub currency: Option<String>,
    pub current_price: Option<Number>,
    pub original_price: Option<Number>,
}

#[derive(Debug, Deserialize)]
pub struct StockInfo {
    #[serde(default)]
    pub summary_info: Option<StockSummary>,
    #[serde(default)]
    pub seller_stock: Vec<LocationStock>,
}

#[derive(Debug, Deserialize)]
pub struct StockSummary {
    pub total_available_stock: Option<i64>,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct LocationStock {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    pub stock: i64,
}

impl StockInfo {
    /// Sellable quantity: the summary when given, else the sum of the seller's locations.
    pub fn available(&self) -> i64 {
        self.summary_info
            .as_ref()
            .and_then(|s| s.total_available_stock)
            .unwrap_or_else(|| self.seller_stock.iter().map(|s| s.stock).sum())
    }
}

#[derive(Debug, Deserialize)]
pub struct ModelList {
    #[serde(default)]
    pub tier_variation: Vec<TierVariation>,
    #[serde(default)]
    pub model: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct TierVariation {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub option_list: Vec<TierOption>,
}

#[derive(Debug, Deserialize)]
pub struct TierOption {
    #[serde(default)]
    pub option: String,
}

#[derive(Debug, Deserialize)]
pub struct Model {
    pub model_id: u64,
    #[serde(default)]
    pub model_sku: String,
    #[serde(default)]
    pub model_status: Option<String>,
    #[serde(default)]
    pub tier_index: Vec<usize>,
    #[serde(default)]
    pub price_info: Vec<PriceInfo>,
    #[serde(default)]
    pub stock_info_v2: Option<StockInfo>,
}

/// `update_stock` / `update_price` answers: partial success is normal.
#[derive(Debug, Deserialize)]
pub struct UpdateAnswer {
    #[serde(default)]
    pub success_list: Vec<UpdateSuccess>,
    #[serde(default)]
    pub failure_list: Vec<UpdateFailure>,
}

#[derive(Debug, Deserialize)]
pub struct UpdateSuccess {
    pub model_id: u64,
}

#[derive(Debug, Deserialize)]
pub struct UpdateFailure {
    pub model_id: u64,
    #[serde(default)]
    pub failed_reason: String,
}

#[derive(Debug, Deserialize)]
pub struct OrderListPage {
    #[serde(default)]
    pub more: bool,
    #[serde(default)]
    pub next_cursor: String,
    #[serde(default)]
    pub order_list: Vec<OrderListEntry>,
}

#[derive(Debug, Deserialize)]
pub struct OrderListEntry {
    pub order_sn: String,
    #[serde(default)]
    pub order_status: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OrderDetails {
    #[serde(default)]
    pub order_list: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct OrderDetail {
    pub order_sn: String,
    #[serde(default)]
    pub order_status: String,
    #[serde(default)]
    pub currency: Option<String>,
    pub create_time: i64,
    pub update_time: i64,
    #[serde(default)]
    pub buyer_user_id: Option<u64>,
    #[serde(default)]
    pub buyer_username: Option<String>,
    #[serde(default)]
    pub recipient_address: Option<RecipientAddress>,
    #[serde(default)]
    pub payment_method: Option<String>,
    #[serde(default)]
    pub total_amount: Option<Number>,
    #[serde(default)]
    pub actual_shipping_fee: Option<Number>,
    #[serde(default)]
    pub estimated_shipping_fee: Option<Number>,
    #[serde(default)]
    pub item_list: Vec<OrderItem>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RecipientAddress {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub town: Option<String>,
    pub district: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub region: Option<String>,
    pub full_address: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OrderItem {
    pub item_id: u64,
    #[serde(default)]
    pub item_name: String,
    #[serde(default)]
    pub item_sku: String,
    #[serde(default)]
    pub model_id: u64,
    #[serde(default)]
    pub model_name: String,
    #[serde(default)]
    pub model_sku: String,
    #[serde(default)]
    pub model_quantity_purchased: i64,
    pub model_original_price: Option<Number>,
    pub model_discounted_price: Option<Number>,
    #[serde(default)]
    pub order_item_id: Option<u64>,
}

/// `logistics/get_shipping_parameter`.
#[derive(Debug, Deserialize)]
pub struct ShippingParameter {
    #[serde(default)]
    pub info_needed: InfoNeeded,
    #[serde(default)]
    pub pickup: Option<PickupInfo>,
    #[serde(default)]
    pub dropoff: Option<DropoffInfo>,
}

/// Which of the three ways to arrange shipment applies, and which fields it needs.
#[derive(Debug, Default, Deserialize)]
pub struct InfoNeeded {
    #[serde(default)]
    pub pickup: Option<Vec<String>>,
    #[serde(default)]
    pub dropoff: Option<Vec<String>>,
    #[serde(default)]
    pub non_integrated: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
pub struct PickupInfo {
    #[serde(default)]
    pub address_list: Vec<PickupAddress>,
}

#[derive(Debug, Deserialize)]
pub struct PickupAddress {
    pub address_id: i64,
    #[serde(default)]
    pub address_flag: Vec<String>,
    #[serde(default)]
    pub time_slot_list: Option<Vec<TimeSlot>>,
}

#[derive(Debug, Deserialize)]
pub struct TimeSlot {
    pub pickup_time_id: String,
}

#[derive(Debug, Deserialize)]
pub struct DropoffInfo {
    #[serde(default)]
    pub branch_list: Option<Vec<Branch>>,
}

#[derive(Debug, Deserialize)]
pub struct Branch {
    pub branch_id: i64,
}

/// A push notification as Shopee posts it (`data` differs per `code`).
#[derive(Debug, Deserialize)]
pub struct Push {
    #[serde(default)]
    pub shop_id: Option<u64>,
    pub code: i64,
    #[serde(default)]
    pub timestamp: Option<i64>,
    #[serde(default)]
    pub data: serde_json::Value,
}

/// `data` of an order status push (code 3); note `ordersn` without underscore.
#[derive(Debug, Deserialize)]
pub struct OrderStatusPush {
    pub ordersn: String,
    pub status: String,
    #[serde(default)]
    pub update_time: Option<i64>,
}
