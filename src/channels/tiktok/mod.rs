//! TikTok Shop connector (Open API, `202309` versioned paths).
//!
//! Credentials: `app_key`, `app_secret`, `access_token` (+ `refresh_token` and expiries), `shop_cipher` (looked up
//! from the authorized shops and saved when missing) and `shop_id`. Every call carries `app_key`, `timestamp`,
//! `shop_cipher` (shop-scoped APIs) and `sign` in the query and the token in the `x-tts-access-token` header.
//! Tokens come from the auth host (`auth.tiktok-shops.com`), or from `base_url` itself when it is a simulator.

mod client;
pub mod codes;
mod events;
mod mapping;
mod marketplace;
pub mod sign;
mod wire;

pub use marketplace::MARKETPLACE;

use std::collections::{BTreeMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::Digest;

use crate::channels::{Connector, ConnectorConfig, ConnectorError, ConnectorResult, Credentials, ListingPages};
use crate::domain::channel::{
    ActionOutcome, ChannelEvent, ChannelOrder, EventKind, Listing, OrderAction, OrderRef, OrderTimeField, ShopIdentity,
    SkuUpdateResult, StockPriceUpdate, UpdateReport, WebhookRequest, currency_of_country,
};
use crate::domain::money;
use client::{ApiCall, Scope};

/// The real API host.
pub const DEFAULT_BASE_URL: &str = "https://open-api.tiktokglobalshop.com";
/// The real auth host (token get / refresh).
pub const AUTH_BASE_URL: &str = "https://auth.tiktok-shops.com";
/// Header that carries the access token (202309+); it is not signed.
pub const ACCESS_TOKEN_HEADER: &str = "x-tts-access-token";
/// `page_size` maximum of Search Products and Get Order List.
pub const MAX_PAGE_SIZE: usize = 100;
/// `ids` maximum of Get Order Detail.
pub const MAX_ORDER_IDS_PER_CALL: usize = 50;
/// SKUs per price or inventory update call. The docs only say "all SKUs of one product"; the maximum is
/// UNCONFIRMED: we take 100 (the usual SKU ceiling of a product); the simulator enforces its own reading.
pub const MAX_SKUS_PER_UPDATE_CALL: usize = 100;
/// The inventory update's refusal of a combo product, whose stock TikTok computes from its items ("combo stock
/// cannot be edited", shared/channels/README.md, "Stock-update rules"); reported as "<code>: <message>".
pub const COMBO_STOCK_REFUSED: &str = "12052850";
/// Quantities Update Inventory accepts. The docs say [1, 99 999]; 0 is UNCONFIRMED — we send and accept it,
/// because a stock sync must be able to say "sold out".
pub const INVENTORY_QUANTITY_RANGE: std::ops::RangeInclusive<i64> = 0..=99_999;
/// Webhook type of an order status change.
pub const WEBHOOK_ORDER_STATUS_CHANGE: i64 = 1;
/// How we ship a package when the seller did not choose: the carrier picks it up. UNCONFIRMED which method a
/// shop allows; SEA markets ignore the field.
const DEFAULT_HANDOVER_METHOD: &str = "PICKUP";

/// The TikTok Shop connector.
pub struct TiktokConnector {
    config: ConnectorConfig,
    base_url: String,
    app_key: String,
    app_secret: String,
    currency: &'static str,
    credentials: tokio::sync::Mutex<Credentials>,
}

impl TiktokConnector {
    /// Checks the configuration (app key and secret, a known country, an http(s) base URL); makes no call.
    pub fn new(config: ConnectorConfig) -> ConnectorResult<Self> {
        let app_key = config
            .credentials
            .app_key
            .clone()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| ConnectorError::Config("TikTok needs an app key".into()))?;
        let app_secret = config
            .credentials
            .app_secret
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ConnectorError::Config("TikTok needs an app secret".into()))?;
        let currency = currency_of_country(&config.country)
            .ok_or_else(|| ConnectorError::Config(format!("unknown country {}", config.country)))?;
        let base_url = config.base_url.trim_end_matches('/').to_owned();
        let parsed = url::Url::parse(&base_url).map_err(|e| ConnectorError::Config(format!("base URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ConnectorError::Config("base URL must be http(s)".into()));
        }
        let credentials = tokio::sync::Mutex::new(config.credentials.clone());
        Ok(Self { config, base_url, app_key, app_secret, currency, credentials })
    }

    /// Where the token endpoints live: the real auth host for the real API, else the base URL (a simulator).
    fn token_host(&self) -> String {
        token_host(&self.base_url)
    }

    /// The shop these credentials are for: the one whose cipher or id they carry, else the first authorized.
    async fn authorized_shop(&self) -> ConnectorResult<wire::Shop> {
        let data: wire::ShopsData = self.call_as(&ApiCall::get("/authorization/202309/shops", Scope::App)).await?;
        let (cipher, shop_id) = {
            let credentials = self.credentials.lock().await;
            (credentials.shop_cipher.clone(), credentials.shop_id.clone())
        };
        let chosen = match (&cipher, &shop_id) {
            (Some(cipher), _) => data.shops.iter().find(|s| s.cipher.as_ref() == Some(cipher)),
            (None, Some(id)) => data.shops.iter().find(|s| &s.id == id),
            (None, None) => data.shops.first(),
        };
        chosen.cloned().ok_or_else(|| ConnectorError::Auth {
            path: "/authorization/202309/shops".into(),
            code: "no_matching_shop".into(),
            message: "no authorized shop matches these credentials".into(),
        })
    }

    /// Orders by id, in calls of at most `MAX_ORDER_IDS_PER_CALL` (raw JSON, in answer order).
    async fn orders_raw(&self, ids: &[String]) -> ConnectorResult<Vec<serde_json::Value>> {
        let mut orders = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_ORDER_IDS_PER_CALL) {
            let call = ApiCall::get("/order/202309/orders", Scope::Shop).param("ids", chunk.join(","));
            let data: wire::OrdersData = self.call_as(&call).await?;
            orders.extend(data.orders);
        }
        Ok(orders)
    }

    /// One order's detail, or `Api` "not found" when the API does not return it.
    async fn order_detail(&self, order_id: &str) -> ConnectorResult<wire::Order> {
        let path = "/order/202309/orders";
        let raw = self.orders_raw(&[order_id.to_owned()]).await?;
        let found =
            raw.into_iter().find(|o| o.get("id").and_then(|v| v.as_str()) == Some(order_id)).ok_or_else(|| {
                ConnectorError::Api {
                    path: path.into(),
                    code: codes::ORDER_NOT_FOUND.to_string(),
                    message: format!("order {order_id} not found"),
                }
            })?;
        serde_json::from_value(found.clone()).map_err(|e| ConnectorError::parse(path, e, found.to_string().as_bytes()))
    }

    /// The order's packages; refusing when it has none yet (unpaid, on hold).
    async fn packages_of(&self, order_id: &str) -> ConnectorResult<Vec<String>> {
        let order = self.order_detail(order_id).await?;
        if order.packages.is_empty() {
            return Err(ConnectorError::Api {
                path: "/order/202309/orders".into(),
                code: codes::ORDER_STATUS_NOT_ALLOWED.to_string(),
                message: format!("order {order_id} has no package yet (status {})", order.status),
            });
        }
        Ok(order.packages.into_iter().map(|p| p.id).collect())
    }

    /// Sends one price or inventory call for `indexes` of `updates`; records per-SKU failures in `errors`.
    async fn send_update(
        &self,
        call: ApiCall,
        updates: &[StockPriceUpdate],
        indexes: &[usize],
        errors: &mut BTreeMap<usize, Vec<String>>,
    ) -> ConnectorResult<()> {
        match self.call_as::<wire::UpdateData>(&call).await {
            Ok(data) => {
                for error in data.errors {
                    let text = format!("{}: {}", error.code, error.message);
                    match error.detail.and_then(|d| d.sku_id) {
                        Some(sku_id) => indexes
                            .iter()
                            .filter(|i| updates[**i].external_sku_id == sku_id)
                            .for_each(|i| errors.entry(*i).or_default().push(text.clone())),
                        None => indexes.iter().for_each(|i| errors.entry(*i).or_default().push(text.clone())),
                    }
                }
                Ok(())
            }
            // A refusal of the whole call fails its SKUs; the other calls still go.
            Err(ConnectorError::Api { code, message, .. }) => {
                indexes.iter().for_each(|i| errors.entry(*i).or_default().push(format!("{code}: {message}")));
                Ok(())
            }
            Err(other) => Err(other),
        }
    }

    async fn status_of(&self, order_id: &str) -> ConnectorResult<String> {
        Ok(self.order_detail(order_id).await?.status)
    }
}

/// The token host for an API base URL.
fn token_host(base_url: &str) -> String {
    let base = base_url.trim_end_matches('/');
    if base == DEFAULT_BASE_URL { AUTH_BASE_URL.to_owned() } else { base.to_owned() }
}

/// Calls (price + inventory) an update of `updates` needs: per product, ⌈SKUs with a price / max⌉ +
/// ⌈SKUs with a quantity / max⌉ — the API takes one product per call and one field per endpoint.
pub fn minimum_update_calls(updates: &[StockPriceUpdate]) -> usize {
    let mut per_product: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for update in updates {
        let counts = per_product.entry(update.external_product_id.as_str()).or_default();
        counts.0 += usize::from(update.price_minor.is_some());
        counts.1 += usize::from(update.quantity.is_some());
    }
    per_product
        .values()
        .map(|(prices, quantities)| {
            prices.div_ceil(MAX_SKUS_PER_UPDATE_CALL) + quantities.div_ceil(MAX_SKUS_PER_UPDATE_CALL)
        })
        .sum()
}

/// Exchanges an authorization code (from the consent page's redirect) for tokens at the auth host
/// (`base_url` itself for a simulator). Returns `credentials` with the tokens filled in.
pub async fn exchange_authorization_code(config: &ConnectorConfig, code: &str) -> ConnectorResult<Credentials> {
    let path = "/api/v2/token/get";
    let app_key =
        config.credentials.app_key.clone().ok_or_else(|| ConnectorError::Config("TikTok needs an app key".into()))?;
    let app_secret = config
        .credentials
        .app_secret
        .clone()
        .ok_or_else(|| ConnectorError::Config("TikTok needs an app secret".into()))?;
    let params = [
        ("app_key", app_key.as_str()),
        ("app_secret", app_secret.as_str()),
        ("auth_code", code),
        ("grant_type", "authorized_code"),
    ];
    let tokens = match client::token_request(&config.http, &token_host(&config.base_url), path, &params).await {
        Ok(tokens) => tokens,
        Err(ConnectorError::Api { path, code, message }) => return Err(ConnectorError::Auth { path, code, message }),
        Err(other) => return Err(other),
    };
    let mut credentials = config.credentials.clone();
    client::apply_tokens(path, &mut credentials, tokens)?;
    Ok(credentials)
}

/// The consent page a seller opens to authorize the app (`state` comes back on the redirect).
pub fn authorization_url(app_key: &str, state: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("app_key", app_key)
        .append_pair("state", state)
        .finish();
    format!("{AUTH_BASE_URL}/oauth/authorize?{query}")
}

/// Get Product calls in flight at once while reading listings.
const DETAIL_CALLS_AT_ONCE: usize = 8;

impl TiktokConnector {
    /// `GET /product/202309/products/{id}`: every SKU of the product with its options and list price. A product
    /// deleted between the search and this call has no listings.
    async fn product_detail(&self, product_id: &str) -> ConnectorResult<Vec<Listing>> {
        let path = format!("/product/202309/products/{product_id}");
        match self.call_as::<serde_json::Value>(&ApiCall::get(path.clone(), Scope::Shop)).await {
            Ok(product) => mapping::product_listings(&path, &product, self.currency),
            Err(ConnectorError::Api { code, .. }) if code == codes::PRODUCT_NOT_FOUND.to_string() => Ok(Vec::new()),
            Err(other) => Err(other),
        }
    }
}

#[async_trait]
impl Connector for TiktokConnector {
    fn kind(&self) -> crate::channels::ChannelKind {
        crate::channels::ChannelKind::Tiktok
    }

    fn requests_in_doubt_until(&self) -> Option<std::time::Instant> {
        self.config.http.in_doubt_until()
    }

    async fn shop_identity(&self) -> ConnectorResult<ShopIdentity> {
        let shop = self.authorized_shop().await?;
        Ok(ShopIdentity { external_id: shop.id, name: shop.name.unwrap_or_default(), country: shop.region })
    }

    async fn stream_listings(&self, pages: ListingPages) -> ConnectorResult<()> {
        let path = "/product/202309/products/search";
        let mut product_ids = Vec::new();
        let mut page_token: Option<String> = None;
        let mut seen_tokens = HashSet::new();
        loop {
            let mut call = ApiCall::post(path, &serde_json::json!({}))?.param("page_size", MAX_PAGE_SIZE.to_string());
            if let Some(token) = &page_token {
                call = call.param("page_token", token.clone());
            }
            let page: wire::ProductSearchData = self.call_as(&call).await?;
            for product in &page.products {
                let product: wire::Product = serde_json::from_value(product.clone())
                    .map_err(|e| ConnectorError::parse(path, e, product.to_string().as_bytes()))?;
                product_ids.push(product.id);
            }
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) if !page.products.is_empty() => {
                    if !seen_tokens.insert(next.clone()) {
                        return Err(ConnectorError::parse(path, "page token repeats", next.as_bytes()));
                    }
                    page_token = Some(next);
                }
                _ => break,
            }
        }
        // Search Products gives no sales attributes and no list price: each product's detail does. A few calls
        // at a time, within the hub's rate for that API.
        for chunk in product_ids.chunks(DETAIL_CALLS_AT_ONCE) {
            let mut calls = Vec::with_capacity(chunk.len());
            for id in chunk {
                calls.push(self.product_detail(id));
            }
            let mut listings = Vec::new();
            for detail in futures::future::join_all(calls).await {
                listings.extend(detail?);
            }
            if !pages.send(listings).await {
                return Ok(());
            }
        }
        Ok(())
    }

    async fn update_stock_price(&self, updates: &[StockPriceUpdate]) -> ConnectorResult<UpdateReport> {
        let mut errors: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        let mut by_product: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (index, update) in updates.iter().enumerate() {
            if update.external_product_id.is_empty() || update.external_sku_id.is_empty() {
                errors.entry(index).or_default().push("TikTok updates need the product id and the SKU id".into());
                continue;
            }
            by_product.entry(update.external_product_id.as_str()).or_default().push(index);
        }
        let mut calls = 0;
        for (product_id, indexes) in by_product {
            let priced: Vec<usize> = indexes.iter().copied().filter(|i| updates[*i].price_minor.is_some()).collect();
            for chunk in priced.chunks(MAX_SKUS_PER_UPDATE_CALL) {
                let skus = chunk
                    .iter()
                    .filter_map(|i| {
                        let update = &updates[*i];
                        let amount = money::from_minor(update.price_minor?, self.currency).to_string();
                        Some(wire::PriceUpdateSku {
                            id: update.external_sku_id.clone(),
                            price: wire::Amount { amount, currency: self.currency.to_owned() },
                        })
                    })
                    .collect();
                let call = ApiCall::post(
                    format!("/product/202309/products/{product_id}/prices/update"),
                    &wire::PriceUpdateBody { skus },
                )?;
                calls += 1;
                self.send_update(call, updates, chunk, &mut errors).await?;
            }
            let counted: Vec<usize> = indexes.iter().copied().filter(|i| updates[*i].quantity.is_some()).collect();
            for chunk in counted.chunks(MAX_SKUS_PER_UPDATE_CALL) {
                let skus = chunk
                    .iter()
                    .filter_map(|i| {
                        let update = &updates[*i];
                        // No warehouse id: valid for a SKU stocked in one warehouse (the API asks for all of them otherwise).
                        Some(wire::InventoryUpdateSku {
                            id: update.external_sku_id.clone(),
                            inventory: vec![wire::Inventory { warehouse_id: None, quantity: update.quantity? }],
                        })
                    })
                    .collect();
                let call = ApiCall::post(
                    format!("/product/202309/products/{product_id}/inventory/update"),
                    &wire::InventoryUpdateBody { skus },
                )?;
                calls += 1;
                self.send_update(call, updates, chunk, &mut errors).await?;
            }
        }
        let results = updates
            .iter()
            .enumerate()
            .map(|(index, update)| {
                let error = errors.remove(&index).map(|e| e.join("; "));
                SkuUpdateResult { external_sku_id: update.external_sku_id.clone(), ok: error.is_none(), error }
            })
            .collect();
        Ok(UpdateReport { calls, results })
    }

    async fn list_orders(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        by: OrderTimeField,
    ) -> ConnectorResult<Vec<OrderRef>> {
        let path = "/order/202309/orders/search";
        // [from, to) in whole seconds: `_ge` rounds down, `_lt` rounds up so nothing inside the range is lost.
        let from_s = from.timestamp();
        let to_s = if to.timestamp_subsec_nanos() > 0 { to.timestamp() + 1 } else { to.timestamp() };
        let (field, body) = match by {
            OrderTimeField::Created => {
                ("create_time", serde_json::json!({ "create_time_ge": from_s, "create_time_lt": to_s }))
            }
            OrderTimeField::Updated => {
                ("update_time", serde_json::json!({ "update_time_ge": from_s, "update_time_lt": to_s }))
            }
        };
        let mut found = Vec::new();
        let mut seen_ids = HashSet::new();
        let mut seen_tokens = HashSet::new();
        let mut page_token: Option<String> = None;
        loop {
            let mut call = ApiCall::post(path, &body)?
                .param("page_size", MAX_PAGE_SIZE.to_string())
                .param("sort_field", field)
                .param("sort_order", "ASC");
            if let Some(token) = &page_token {
                call = call.param("page_token", token.clone());
            }
            let page: wire::OrdersData = self.call_as(&call).await?;
            for raw in &page.orders {
                let order = mapping::order_ref(path, raw)?;
                // An order updated while we page may show up twice; keep it once.
                if seen_ids.insert(order.external_id.clone()) {
                    found.push(order);
                }
            }
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) if !page.orders.is_empty() => {
                    if !seen_tokens.insert(next.clone()) {
                        return Err(ConnectorError::parse(path, "page token repeats", next.as_bytes()));
                    }
                    page_token = Some(next);
                }
                _ => break,
            }
        }
        Ok(found)
    }

    async fn get_orders(&self, external_ids: &[String]) -> ConnectorResult<Vec<ChannelOrder>> {
        let raw = self.orders_raw(external_ids).await?;
        raw.iter().map(|order| mapping::channel_order("/order/202309/orders", order, self.currency)).collect()
    }

    async fn order_action(&self, external_order_id: &str, action: &OrderAction) -> ConnectorResult<ActionOutcome> {
        match action {
            OrderAction::ReadyToShip => {
                for package_id in self.packages_of(external_order_id).await? {
                    let call = ApiCall::post(
                        format!("/fulfillment/202309/packages/{package_id}/ship"),
                        &serde_json::json!({ "handover_method": DEFAULT_HANDOVER_METHOD }),
                    )?;
                    self.call(&call).await?;
                }
                Ok(ActionOutcome { status_raw: Some(self.status_of(external_order_id).await?), message: None })
            }
            OrderAction::Cancel { reason } => {
                let call = ApiCall::post(
                    "/return_refund/202309/cancellations",
                    &serde_json::json!({ "order_id": external_order_id, "cancel_reason": reason }),
                )?;
                let data: wire::CancelData = self.call_as(&call).await?;
                let message = data.cancel_status.map(|status| match data.cancel_id {
                    Some(id) => format!("cancellation {id}: {status}"),
                    None => status,
                });
                Ok(ActionOutcome { status_raw: Some(self.status_of(external_order_id).await?), message })
            }
            OrderAction::PrintLabel => {
                let mut urls = Vec::new();
                for package_id in self.packages_of(external_order_id).await? {
                    let call = ApiCall::get(
                        format!("/fulfillment/202309/packages/{package_id}/shipping_documents"),
                        Scope::Shop,
                    )
                    .param("document_type", "SHIPPING_LABEL");
                    let data: wire::ShippingDocumentData = self.call_as(&call).await?;
                    urls.extend(data.doc_url);
                }
                Ok(ActionOutcome { status_raw: None, message: Some(urls.join("\n")) })
            }
            OrderAction::AwaitPickup => {
                Err(ConnectorError::Unsupported("TikTok hands packages over when they are shipped (ready to ship)"))
            }
        }
    }

    fn verify_webhook(&self, request: &WebhookRequest) -> ConnectorResult<Vec<ChannelEvent>> {
        let given = request
            .header("authorization")
            .ok_or_else(|| ConnectorError::BadWebhook("no Authorization header".into()))?;
        let expected = sign::webhook_signature(&self.app_key, &self.app_secret, &request.body);
        if !crate::channels::signatures_match(&expected, given.trim(), true) {
            return Err(ConnectorError::BadWebhook("signature does not match".into()));
        }
        let raw: serde_json::Value = serde_json::from_slice(&request.body)
            .map_err(|e| ConnectorError::BadWebhook(format!("body is not JSON: {e}")))?;
        let push: wire::Push = serde_json::from_value(raw.clone())
            .map_err(|e| ConnectorError::BadWebhook(format!("not a TikTok push: {e}")))?;
        let kind = match push.kind {
            WEBHOOK_ORDER_STATUS_CHANGE => EventKind::OrderStatusChanged,
            // 5 product status, 15/16 product info change/creation, 27 inventory status.
            5 | 15 | 16 | 27 => EventKind::ProductChanged,
            // 7 upcoming authorization expiration.
            7 => EventKind::TokenExpiring,
            _ => EventKind::Other,
        };
        let text = |key: &str| {
            push.data.get(key).and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.as_i64().map(|n| n.to_string())))
        };
        let occurred_at = push
            .data
            .get("update_time")
            .and_then(serde_json::Value::as_i64)
            .or(push.timestamp)
            .and_then(|t| DateTime::from_timestamp(t, 0));
        let dedup_key = match push.tts_notification_id.filter(|id| !id.is_empty()) {
            Some(id) => format!("tiktok:{id}"),
            None => format!("tiktok:sha256:{}", hex::encode(sha2::Sha256::digest(&request.body))),
        };
        Ok(vec![ChannelEvent {
            kind,
            dedup_key,
            external_order_id: text("order_id"),
            status_raw: text("order_status"),
            occurred_at,
            raw,
        }])
    }

    async fn current_credentials(&self) -> Credentials {
        self.credentials.lock().await.clone()
    }

    async fn register_webhook(&self, address: &str) -> ConnectorResult<()> {
        self.register_push_address(address).await
    }

    async fn exchange_authorization_code(
        &self,
        code: &str,
        _callback: &[(String, String)],
        _redirect_uri: Option<&str>,
    ) -> ConnectorResult<Credentials> {
        let credentials = exchange_authorization_code(&self.config, code).await?;
        *self.credentials.lock().await = credentials.clone();
        Ok(credentials)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(product: &str, sku: &str, quantity: Option<i64>, price: Option<i64>) -> StockPriceUpdate {
        StockPriceUpdate {
            external_product_id: product.into(),
            external_sku_id: sku.into(),
            seller_sku: None,
            quantity,
            price_minor: price,
            sale: None,
        }
    }

    #[test]
    fn the_minimum_is_one_call_per_product_and_field_per_hundred_skus() {
        let mut updates: Vec<StockPriceUpdate> =
            (0..150).map(|i| update("p1", &i.to_string(), Some(1), Some(1000))).collect();
        updates.push(update("p2", "x", Some(3), None));
        updates.push(update("p3", "y", None, Some(5000)));
        assert_eq!(minimum_update_calls(&updates), 2 + 2 + 1 + 1);
    }

    #[test]
    fn tokens_come_from_the_auth_host_only_for_the_real_api() {
        assert_eq!(token_host("https://open-api.tiktokglobalshop.com/"), AUTH_BASE_URL);
        assert_eq!(token_host("http://127.0.0.1:9000"), "http://127.0.0.1:9000");
    }

    #[test]
    fn the_consent_url_carries_the_app_key_and_state() {
        assert_eq!(authorization_url("k 1", "s"), "https://auth.tiktok-shops.com/oauth/authorize?app_key=k+1&state=s");
    }
}
