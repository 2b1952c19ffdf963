//! TikTok Shop wire types (202309 Open API), kept apart from the domain types. Every field the API may omit is
//! optional or defaulted, so a sparse answer still parses; ids are strings on the wire.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every answer: `{code, message, request_id, data}`; `code` 0 is success.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    pub code: i64,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub data: Option<Value>,
}

/// Only the code, to classify an answer before deciding to retry.
#[derive(Debug, Deserialize)]
pub struct CodeOnly {
    pub code: Option<i64>,
}

/// `data` of `GET /authorization/202309/shops`.
#[derive(Debug, Default, Deserialize)]
pub struct ShopsData {
    #[serde(default)]
    pub shops: Vec<Shop>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Shop {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub cipher: Option<String>,
}

/// `data` of `POST /product/202309/products/search` (products kept raw: each SKU's JSON goes into `Listing.raw`).
#[derive(Debug, Default, Deserialize)]
pub struct ProductSearchData {
    #[serde(default)]
    pub products: Vec<Value>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Product {
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub skus: Vec<Value>,
}

#[derive(Debug, Deserialize)]
pub struct Sku {
    pub id: String,
    #[serde(default)]
    pub seller_sku: Option<String>,
    #[serde(default)]
    pub price: Option<SkuPrice>,
    /// `{amount, currency}`: Get Product only, where the market has one (shared/channels/tiktok.md §3.1).
    #[serde(default)]
    pub list_price: Option<Amount>,
    #[serde(default)]
    pub inventory: Vec<Inventory>,
    /// The SKU's options (size, colour…): Get Product only; Search Products gives none.
    #[serde(default)]
    pub sales_attributes: Vec<SalesAttribute>,
}

/// One option of a SKU (`skus[].sales_attributes[]` of Get Product).
#[derive(Debug, Deserialize)]
pub struct SalesAttribute {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub value_name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SkuPrice {
    #[serde(default)]
    pub currency: Option<String>,
    /// Local sellers: the display price before discounts (what `prices/update` sets).
    #[serde(default)]
    pub tax_exclusive_price: Option<String>,
    #[serde(default)]
    pub sale_price: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Amount {
    pub amount: String,
    pub currency: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Inventory {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse_id: Option<String>,
    #[serde(default)]
    pub quantity: i64,
}

/// Body of `POST /product/202309/products/{id}/prices/update`.
#[derive(Debug, Serialize)]
pub struct PriceUpdateBody {
    pub skus: Vec<PriceUpdateSku>,
}

#[derive(Debug, Serialize)]
pub struct PriceUpdateSku {
    pub id: String,
    pub price: Amount,
}

/// Body of `POST /product/202309/products/{id}/inventory/update`.
#[derive(Debug, Serialize)]
pub struct InventoryUpdateBody {
    pub skus: Vec<InventoryUpdateSku>,
}

#[derive(Debug, Serialize)]
pub struct InventoryUpdateSku {
    pub id: String,
    pub inventory: Vec<Inventory>,
}

/// `data` of both update calls: partial failures, one per refused SKU (or for the whole call without `detail`).
#[derive(Debug, Default, Deserialize)]
pub struct UpdateData {
    #[serde(default)]
    pub errors: Vec<UpdateError>,
}

#[derive(Debug, Deserialize)]
pub struct UpdateError {
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub detail: Option<UpdateErrorDetail>,
}

#[derive(Debug, Deserialize)]
pub struct UpdateErrorDetail {
    #[serde(default)]
    pub sku_id: Option<String>,
}

/// `data` of `POST /order/202309/orders/search` and `GET /order/202309/orders` (orders kept raw for `ChannelOrder.raw`).
#[derive(Debug, Default, Deserialize)]
pub struct OrdersData {
    #[serde(default)]
    pub orders: Vec<Value>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Order {
    pub id: String,
    pub status: String,
    pub create_time: i64,
    #[serde(default)]
    pub update_time: Option<i64>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub buyer_email: Option<String>,
    #[serde(default)]
    pub payment_method_name: Option<String>,
    #[serde(default)]
    pub payment: Option<Payment>,
    #[serde(default)]
    pub recipient_address: Option<RecipientAddress>,
    #[serde(default)]
    pub packages: Vec<Package>,
    #[serde(default)]
    pub line_items: Vec<LineItem>,
}

/// Money fields are decimal strings in `currency`.
#[derive(Debug, Default, Deserialize)]
pub struct Payment {
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub sub_total: Option<String>,
    #[serde(default)]
    pub shipping_fee: Option<String>,
    #[serde(default)]
    pub seller_discount: Option<String>,
    #[serde(default)]
    pub platform_discount: Option<String>,
    #[serde(default)]
    pub total_amount: Option<String>,
    #[serde(default)]
    pub original_total_product_price: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RecipientAddress {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub full_address: Option<String>,
    #[serde(default)]
    pub address_detail: Option<String>,
    #[serde(default)]
    pub address_line1: Option<String>,
    #[serde(default)]
    pub region_code: Option<String>,
    #[serde(default)]
    pub district_info: Vec<DistrictInfo>,
}

/// One administrative level: `L0` country, `L1` province, `L2` district, `L3` ward (VN).
#[derive(Debug, Default, Deserialize)]
pub struct DistrictInfo {
    #[serde(default)]
    pub address_level: Option<String>,
    #[serde(default)]
    pub address_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Package {
    pub id: String,
}

/// One unit of one SKU: the 202309 API has no quantity on line items (several units are several items).
#[derive(Debug, Deserialize)]
pub struct LineItem {
    pub id: String,
    #[serde(default)]
    pub sku_id: Option<String>,
    #[serde(default)]
    pub product_id: Option<String>,
    #[serde(default)]
    pub seller_sku: Option<String>,
    #[serde(default)]
    pub product_name: Option<String>,
    #[serde(default)]
    pub sku_name: Option<String>,
    #[serde(default)]
    pub original_price: Option<String>,
    #[serde(default)]
    pub sale_price: Option<String>,
    #[serde(default)]
    pub seller_discount: Option<String>,
    #[serde(default)]
    pub platform_discount: Option<String>,
    #[serde(default)]
    pub display_status: Option<String>,
    /// Not in the documented shape; honoured if a market sends it (else each item is one unit).
    #[serde(default)]
    pub quantity: Option<i64>,
}

/// `data` of `POST /return_refund/202309/cancellations`.
#[derive(Debug, Default, Deserialize)]
pub struct CancelData {
    #[serde(default)]
    pub cancel_id: Option<String>,
    #[serde(default)]
    pub cancel_status: Option<String>,
}

/// `data` of `GET /fulfillment/202309/packages/{id}/shipping_documents`.
#[derive(Debug, Default, Deserialize)]
pub struct ShippingDocumentData {
    #[serde(default)]
    pub doc_url: Option<String>,
}

/// `data` of the auth host's `/api/v2/token/get` and `/api/v2/token/refresh`.
#[derive(Debug, Deserialize)]
pub struct TokenData {
    pub access_token: String,
    /// Absolute Unix time (seconds), not a duration.
    pub access_token_expire_in: i64,
    pub refresh_token: String,
    /// Absolute Unix time (seconds).
    pub refresh_token_expire_in: i64,
}

/// A webhook push: `{type, tts_notification_id, shop_id, timestamp, data}`.
#[derive(Debug, Deserialize)]
pub struct Push {
    #[serde(rename = "type")]
    pub kind: i64,
    #[serde(default)]
    pub tts_notification_id: Option<String>,
    #[serde(default)]
    pub timestamp: Option<i64>,
    #[serde(default)]
    pub data: Value,
}
