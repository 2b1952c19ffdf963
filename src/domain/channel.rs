//! Channel-neutral value types: what the hub knows of a marketplace's listings, orders and pushes, whatever the
//! wire format. Connectors (`crate::channels`) translate to and from these.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A country the marketplaces sell in (SPEC §1), as its ISO 3166-1 alpha-2 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum CountryCode {
    /// Vietnam.
    Vn,
    /// Thailand.
    Th,
    /// Malaysia.
    My,
    /// Singapore.
    Sg,
    /// The Philippines.
    Ph,
    /// Indonesia.
    Id,
}

impl CountryCode {
    pub const ALL: [CountryCode; 6] = [Self::Vn, Self::Th, Self::My, Self::Sg, Self::Ph, Self::Id];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Vn => "VN",
            Self::Th => "TH",
            Self::My => "MY",
            Self::Sg => "SG",
            Self::Ph => "PH",
            Self::Id => "ID",
        }
    }

    /// The country of a code in any case, e.g. "vn".
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(code.trim()))
    }

    /// The currency the country's marketplaces price in.
    pub const fn currency(self) -> &'static str {
        match self {
            Self::Vn => "VND",
            Self::Th => "THB",
            Self::My => "MYR",
            Self::Sg => "SGD",
            Self::Ph => "PHP",
            Self::Id => "IDR",
        }
    }
}

/// Currency of a marketplace country; `None` for a country we do not sell in.
pub fn currency_of_country(country: &str) -> Option<&'static str> {
    CountryCode::parse(country).map(CountryCode::currency)
}

/// The shop behind a set of credentials, read when connecting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopIdentity {
    pub external_id: String,
    pub name: String,
    pub country: Option<String>,
}

/// One sellable SKU of a channel listing, as last seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    /// The marketplace's product / item id.
    pub external_product_id: String,
    /// The marketplace's SKU / model id (equal to the product id for single-SKU products where the API has none).
    pub external_sku_id: String,
    /// The merchant's code on the channel: the field matched against the hub's barcode or SKU.
    pub seller_sku: Option<String>,
    pub title: String,
    pub variant_title: Option<String>,
    /// Option name/value pairs, in the channel's order.
    pub options: Vec<(String, String)>,
    /// Selling price, minor units of the channel's currency.
    pub price_minor: Option<i64>,
    /// List ("original") price, minor units.
    pub list_price_minor: Option<i64>,
    pub quantity: Option<i64>,
    /// The channel's status text (active, inactive, …).
    pub status: Option<String>,
    /// The SKU as the channel sent it (kept for comparison and debugging).
    pub raw: serde_json::Value,
}

/// A stock and/or price change for one channel SKU. `None` fields are not sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockPriceUpdate {
    pub external_product_id: String,
    pub external_sku_id: String,
    pub seller_sku: Option<String>,
    pub quantity: Option<i64>,
    pub price_minor: Option<i64>,
    /// A sale price for a time, where the marketplace schedules them (sent with `price_minor`); a sale ending now
    /// ends the one the channel has.
    pub sale: Option<crate::domain::price_rules::ScheduledSale>,
}

/// The channel's answer for one SKU of an update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuUpdateResult {
    pub external_sku_id: String,
    pub ok: bool,
    /// The channel's code and message when refused.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateReport {
    /// API calls made (batches).
    pub calls: usize,
    pub results: Vec<SkuUpdateResult>,
}

/// Which time an order search filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderTimeField {
    Created,
    Updated,
}

/// An order as found by a search: enough to decide whether to fetch it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRef {
    pub external_id: String,
    pub status_raw: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub line1: Option<String>,
    pub ward: Option<String>,
    pub district: Option<String>,
    pub province: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelCustomer {
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// An order with its lines, as the channel has it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelOrder {
    pub external_id: String,
    pub order_number: Option<String>,
    /// The channel's own status, verbatim (mapped to a hub status by `domain` rules, never guessed here).
    pub status_raw: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub currency: String,
    pub customer: ChannelCustomer,
    pub shipping_address: Address,
    pub payment_method: Option<String>,
    pub subtotal_minor: i64,
    pub shipping_fee_minor: i64,
    pub discount_minor: i64,
    pub total_minor: i64,
    pub lines: Vec<ChannelOrderLine>,
    pub raw: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelOrderLine {
    pub external_line_id: String,
    pub external_product_id: Option<String>,
    pub external_sku_id: Option<String>,
    pub seller_sku: Option<String>,
    pub title: String,
    pub variant_title: Option<String>,
    pub quantity: i64,
    /// Unit price, minor units.
    pub price_minor: i64,
    pub discount_minor: i64,
    /// Line-level status where the channel has one (Lazada items).
    pub status_raw: Option<String>,
}

/// Seller actions on a channel order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderAction {
    /// Pack / confirm and mark ready to ship.
    ReadyToShip,
    Cancel {
        reason: String,
    },
    /// Print the shipping label / documents.
    PrintLabel,
    /// Hand over to the carrier (Tiki "await pickup").
    AwaitPickup,
}

/// A shipping label as the marketplace gives it: links to the document, or the document itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingLabel {
    /// Links to the document (one per package where the marketplace splits them); marketplaces' links may expire.
    pub urls: Vec<String>,
    /// The document itself, base64, when the marketplace sends it instead of a link.
    pub content_base64: Option<String>,
    /// The document's media type (`application/pdf`, `text/html`).
    pub content_type: String,
    /// The channel's order ids printed in the same document (a batch call prints several orders at once).
    pub orders_in_document: Vec<String>,
}

impl ShippingLabel {
    /// A label given as links, one per line of an action's answer (Tiki, TikTok); `None` without any link.
    pub fn from_links(text: Option<&str>, external_order_id: &str) -> Option<Self> {
        let urls: Vec<String> = text
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("http://") || l.starts_with("https://"))
            .map(str::to_owned)
            .collect();
        let content_type = urls.first().map(|u| media_type_of(u))?.to_owned();
        Some(Self { urls, content_base64: None, content_type, orders_in_document: vec![external_order_id.to_owned()] })
    }
}

/// A document's media type from its link's file extension (PDF when it says nothing: what marketplaces print).
pub fn media_type_of(url: &str) -> &'static str {
    let path = url.split(['?', '#']).next().unwrap_or_default().to_ascii_lowercase();
    if path.ends_with(".html") || path.ends_with(".htm") {
        "text/html"
    } else if path.ends_with(".png") {
        "image/png"
    } else if path.ends_with(".zip") {
        "application/zip"
    } else {
        "application/pdf"
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionOutcome {
    /// The order's raw status after the action, when the channel says it.
    pub status_raw: Option<String>,
    pub message: Option<String>,
}

/// What a push (or pulled event) is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    OrderCreated,
    OrderStatusChanged,
    ProductChanged,
    TokenExpiring,
    Other,
}

/// One verified event from a channel (a webhook push, or an entry of Tiki's event queue).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelEvent {
    pub kind: EventKind,
    /// Unique per event for deduplication (the channel's message id, or a hash of the body).
    pub dedup_key: String,
    pub external_order_id: Option<String>,
    pub status_raw: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub raw: serde_json::Value,
}

/// A webhook request as received, for signature checking.
#[derive(Debug, Clone)]
pub struct WebhookRequest {
    /// The full URL the channel called (Shopee signs it).
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl WebhookRequest {
    /// A header's value, case-insensitive.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A product to create on a channel, hidden from buyers (linking's "create missing"; only the web store allows it).
/// Images are never sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDraft {
    pub title: String,
    pub variants: Vec<VariantDraft>,
}

/// One variant of a `ProductDraft`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantDraft {
    pub seller_sku: String,
    /// Minor units of the channel currency.
    pub price_minor: i64,
    pub list_price_minor: Option<i64>,
    pub quantity: i64,
    /// Option name/value pairs (at most 3 names across the product), in display order.
    pub options: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_parse_in_any_case_and_name_their_currency() {
        let table = [("VN", Some("VND")), ("th", Some("THB")), (" my ", Some("MYR")), ("Sg", Some("SGD"))];
        for (code, currency) in table {
            assert_eq!(currency_of_country(code), currency, "{code}");
        }
        assert_eq!(CountryCode::parse("US"), None);
        assert_eq!(currency_of_country(""), None);
        for c in CountryCode::ALL {
            assert_eq!(CountryCode::parse(c.as_str()), Some(c));
        }
    }

    #[test]
    fn labels_given_as_links_keep_every_link_and_their_media_type() {
        let table = [
            ("https://x.vn/labels/1.html", "text/html"),
            ("https://x.vn/l/1.PDF?sig=a.html", "application/pdf"),
            ("https://x.vn/doc?id=1", "application/pdf"),
            ("https://x.vn/a.png", "image/png"),
        ];
        for (url, media) in table {
            assert_eq!(media_type_of(url), media, "{url}");
        }
        let label = ShippingLabel::from_links(Some("https://a/1.pdf\nhttps://a/2.pdf\n"), "9").expect("links");
        assert_eq!(label.urls, ["https://a/1.pdf", "https://a/2.pdf"]);
        assert_eq!(
            (label.content_type.as_str(), label.orders_in_document.clone()),
            ("application/pdf", vec!["9".into()])
        );
        assert_eq!(ShippingLabel::from_links(Some("label requested"), "9"), None);
        assert_eq!(ShippingLabel::from_links(None, "9"), None);
    }
}
