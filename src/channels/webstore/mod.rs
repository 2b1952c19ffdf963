//! The merchant's own web store (Admin REST API 2024-01, docs/webstore-api.md).
//!
//! Credentials: `api_key` + `app_secret` (HTTP Basic on every call), `webhook_secret` (push signatures).
//! No OAuth. Listings are product variants keyed by `sku`; money is a decimal string in the shop currency.

pub mod mapping;
mod marketplace;
pub mod sign;
mod webhooks;
mod wire;

pub use marketplace::MARKETPLACE;

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use serde_json::Value;

use crate::channels::http::{RawResponse, default_verdict};
use crate::channels::{
    Connector, ConnectorConfig, ConnectorError, ConnectorResult, Credentials, ListingPages, signatures_match,
};
use crate::domain::channel::{
    ActionOutcome, ChannelEvent, ChannelOrder, EventKind, Listing, OrderAction, OrderRef, OrderTimeField, ShopIdentity,
    SkuUpdateResult, StockPriceUpdate, UpdateReport, WebhookRequest, currency_of_country,
};
/// The neutral draft types, where the web store's callers have always found them.
pub use crate::domain::channel::{ProductDraft, VariantDraft};
use mapping::{listings_of_product, money_text, order_of, order_summary};
use sign::{
    WEBHOOK_EVENT_ID_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TOPIC_HEADER, basic_authorization, webhook_signature,
};
use wire::{
    ErrorEnvelope, NewOption, NewProduct, NewProductEnvelope, NewVariant, OrderEnvelope, OrdersPage, ProductEnvelope,
    ProductsPage, SetBatch, SetBatchAnswer, SetBatchItem, ShopEnvelope,
};

/// The store is the merchant's own host: there is no shared default, the channel's base URL is required.
pub const DEFAULT_BASE_URL: &str = "";
/// Every path of the API is under this prefix.
pub const API_PREFIX: &str = "/admin/api/2024-01";
/// Largest `limit` of `GET /products.json`.
pub const PRODUCTS_PAGE_MAX: usize = 250;
/// Largest `limit` of `GET /orders.json`.
pub const ORDERS_PAGE_MAX: usize = 250;
/// Most ids in one `GET /orders.json?ids=`.
pub const ORDERS_BY_ID_MAX: usize = 100;
/// Most variants in one `POST /variants/set_batch.json`.
pub const SET_BATCH_MAX: usize = 100;
/// Most options (`option1..3`) a product may have.
pub const OPTIONS_MAX: usize = 3;

/// A web store account: base URL (the store's domain) and API key pair.
pub struct WebstoreConnector {
    config: ConnectorConfig,
    /// `Basic …`, computed once (the key pair never changes during a connector's life).
    authorization: String,
    currency: &'static str,
    /// Orders read by `list_orders` (whole orders: the list and the by-id call return the same object), taken by
    /// `get_orders` instead of calling again, for the life of the connector (one run).
    listed: std::sync::Mutex<HashMap<String, ChannelOrder>>,
}

/// An answer with the API path it came from (for parse errors).
struct Answer {
    path: String,
    response: RawResponse,
}

impl Answer {
    fn json<T: serde::de::DeserializeOwned>(&self) -> ConnectorResult<T> {
        self.response.json(&self.path)
    }
}

impl WebstoreConnector {
    /// Checks the configuration (base URL, key pair, country) without calling the store.
    pub fn new(config: ConnectorConfig) -> ConnectorResult<Self> {
        if config.base_url.trim().is_empty() {
            return Err(ConnectorError::Config("the web store's base URL (its own domain) is required".into()));
        }
        url::Url::parse(config.base_url.trim())
            .map_err(|e| ConnectorError::Config(format!("web store base URL: {e}")))?;
        let credentials = &config.credentials;
        let (Some(api_key), Some(secret)) = (credentials.api_key.as_deref(), credentials.app_secret.as_deref()) else {
            return Err(ConnectorError::Config("the web store needs an API key and API secret".into()));
        };
        let authorization = basic_authorization(api_key, secret);
        let currency = currency_of_country(&config.country)
            .ok_or_else(|| ConnectorError::Config(format!("unknown country {}", config.country)))?;
        Ok(Self { config, authorization, currency, listed: Default::default() })
    }

    /// Creates a product hidden from the storefront (`published: false`) and returns its listings, one per variant.
    pub async fn create_hidden(&self, draft: &ProductDraft) -> ConnectorResult<Vec<Listing>> {
        let path = "/products.json";
        let mut option_names: Vec<&str> = Vec::new();
        for (name, _) in draft.variants.iter().flat_map(|v| v.options.iter()) {
            if !option_names.contains(&name.as_str()) {
                option_names.push(name);
            }
        }
        if option_names.len() > OPTIONS_MAX {
            // The store would refuse it the same way; its format has no room for a fourth option.
            return Err(ConnectorError::Api {
                path: format!("{API_PREFIX}{path}"),
                code: "invalid_product".into(),
                message: format!("a product has at most {OPTIONS_MAX} options, got {}", option_names.len()),
            });
        }
        let variants = draft
            .variants
            .iter()
            .map(|v| {
                let value_of = |i: usize| {
                    option_names
                        .get(i)
                        .and_then(|name| v.options.iter().find(|(n, _)| n == name))
                        .map(|(_, value)| value.as_str())
                };
                NewVariant {
                    sku: &v.seller_sku,
                    price: money_text(v.price_minor, self.currency),
                    compare_at_price: v.list_price_minor.map(|m| money_text(m, self.currency)),
                    inventory_quantity: v.quantity,
                    option1: value_of(0),
                    option2: value_of(1),
                    option3: value_of(2),
                }
            })
            .collect();
        let body = NewProductEnvelope {
            product: NewProduct {
                title: &draft.title,
                published: false,
                options: option_names.iter().map(|name| NewOption { name }).collect(),
                variants,
            },
        };
        let body = serde_json::to_vec(&body).map_err(|e| ConnectorError::Config(format!("product body: {e}")))?;
        let answer = self.call(Method::POST, path, &[], Some(body)).await?;
        let created: ProductEnvelope = answer.json()?;
        listings_of_product(&answer.path, &created.product, self.currency)
    }

    /// One API call: Basic auth, JSON, the shared retry/rate-limit path; a non-2xx answer becomes the store's error.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> ConnectorResult<Answer> {
        let api_path = format!("{API_PREFIX}{path}");
        let mut url = url::Url::parse(&format!("{}{api_path}", self.config.base_url.trim().trim_end_matches('/')))
            .map_err(|e| ConnectorError::Config(format!("web store URL: {e}")))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let build = |client: &reqwest::Client| {
            let mut request = client
                .request(method.clone(), url.clone())
                .header(AUTHORIZATION, &self.authorization)
                .header(ACCEPT, "application/json");
            if let Some(body) = &body {
                request = request.header(CONTENT_TYPE, "application/json").body(body.clone());
            }
            request
        };
        let response = self.config.http.send(&api_path, build, default_verdict).await?;
        if (200..300).contains(&response.status) {
            return Ok(Answer { path: api_path, response });
        }
        Err(refusal(&api_path, &response))
    }
}

/// The store's refusal, from its `{"error": {code, message}}` shape.
fn refusal(path: &str, response: &RawResponse) -> ConnectorError {
    let Ok(ErrorEnvelope { error }) = serde_json::from_slice::<ErrorEnvelope>(&response.body) else {
        return ConnectorError::parse(
            path,
            format!("HTTP {} without the store's error shape", response.status),
            &response.body,
        );
    };
    let path = path.to_owned();
    match response.status {
        401 => ConnectorError::Auth { path, code: error.code, message: error.message },
        429 => ConnectorError::RateLimited { path },
        _ => ConnectorError::Api { path, code: error.code, message: error.message },
    }
}

/// Times in filters: RFC 3339 UTC with as many fractional digits as needed, so `[from, to)` is exact.
fn wire_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn product_id(path: &str, raw: &Value) -> ConnectorResult<u64> {
    raw.get("id")
        .and_then(Value::as_u64)
        .ok_or_else(|| ConnectorError::parse(path, "product without id", raw.to_string().as_bytes()))
}

#[async_trait]
impl Connector for WebstoreConnector {
    async fn create_hidden_product(&self, draft: &ProductDraft) -> ConnectorResult<Vec<Listing>> {
        self.create_hidden(draft).await
    }

    async fn register_webhook(&self, address: &str) -> ConnectorResult<()> {
        self.register_push_address(address).await
    }

    fn kind(&self) -> crate::channels::ChannelKind {
        crate::channels::ChannelKind::Webstore
    }

    fn requests_in_doubt_until(&self) -> Option<std::time::Instant> {
        self.config.http.in_doubt_until()
    }

    async fn update_quota_wait(&self) -> std::time::Duration {
        // One quota for every call (not per API): any path reads it.
        self.config.http.ordinary_wait("/variants/set_batch.json").await
    }

    async fn shop_identity(&self) -> ConnectorResult<ShopIdentity> {
        let answer = self.call(Method::GET, "/shop.json", &[], None).await?;
        let ShopEnvelope { shop } = answer.json()?;
        Ok(ShopIdentity { external_id: shop.id.to_string(), name: shop.name, country: shop.country_code })
    }

    async fn stream_listings(&self, pages: ListingPages) -> ConnectorResult<()> {
        let mut since_id = 0u64;
        loop {
            let query = [
                ("limit", PRODUCTS_PAGE_MAX.to_string()),
                ("since_id", since_id.to_string()),
                ("published_status", "any".to_owned()),
            ];
            let answer = self.call(Method::GET, "/products.json", &query, None).await?;
            let page: ProductsPage = answer.json()?;
            let previous = since_id;
            let mut listings = Vec::new();
            for raw in &page.products {
                since_id = since_id.max(product_id(&answer.path, raw)?);
                listings.extend(listings_of_product(&answer.path, raw, self.currency)?);
            }
            if !pages.send(listings).await || page.products.len() < PRODUCTS_PAGE_MAX {
                return Ok(());
            }
            if since_id == previous {
                // A full page that does not move the cursor would loop for ever.
                return Err(ConnectorError::parse(
                    &answer.path,
                    "a full page did not advance since_id",
                    &answer.response.body,
                ));
            }
        }
    }

    async fn update_stock_price(&self, updates: &[StockPriceUpdate]) -> ConnectorResult<UpdateReport> {
        let mut report = UpdateReport::default();
        let mut items = Vec::with_capacity(updates.len());
        for update in updates {
            let (id, sku) = match update.external_sku_id.parse::<u64>() {
                Ok(id) => (Some(id), None),
                Err(_) => (None, update.seller_sku.clone()),
            };
            if id.is_none() && sku.is_none() {
                report.results.push(SkuUpdateResult {
                    external_sku_id: update.external_sku_id.clone(),
                    ok: false,
                    error: Some("invalid_item: neither a variant id nor a SKU".into()),
                });
                continue;
            }
            let price = update.price_minor.map(|minor| money_text(minor, self.currency));
            items.push((update, SetBatchItem { id, sku, inventory_quantity: update.quantity, price }));
        }
        let mut pending = items.into_iter().peekable();
        while pending.peek().is_some() {
            let (chunk_updates, chunk_items): (Vec<&StockPriceUpdate>, Vec<SetBatchItem>) =
                pending.by_ref().take(SET_BATCH_MAX).unzip();
            let body = serde_json::to_vec(&SetBatch { variants: chunk_items })
                .map_err(|e| ConnectorError::Config(format!("batch body: {e}")))?;
            report.calls += 1;
            let answer = match self.call(Method::POST, "/variants/set_batch.json", &[], Some(body)).await {
                Ok(answer) => answer,
                Err(ConnectorError::Api { code, message, .. }) => {
                    let error = format!("{code}: {message}");
                    report.results.extend(chunk_updates.iter().map(|u| SkuUpdateResult {
                        external_sku_id: u.external_sku_id.clone(),
                        ok: false,
                        error: Some(error.clone()),
                    }));
                    continue;
                }
                Err(other) => return Err(other),
            };
            let SetBatchAnswer { results } = answer.json()?;
            if results.len() != chunk_updates.len() {
                return Err(ConnectorError::parse(
                    &answer.path,
                    format!("{} results for {} items", results.len(), chunk_updates.len()),
                    &answer.response.body,
                ));
            }
            for (update, result) in chunk_updates.iter().zip(results) {
                let ok = result.status == "ok";
                let error = if ok {
                    None
                } else {
                    Some(result.error.map(|e| format!("{}: {}", e.code, e.message)).unwrap_or(result.status))
                };
                report.results.push(SkuUpdateResult { external_sku_id: update.external_sku_id.clone(), ok, error });
            }
        }
        Ok(report)
    }

    async fn list_orders(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        by: OrderTimeField,
    ) -> ConnectorResult<Vec<OrderRef>> {
        if from >= to {
            return Ok(Vec::new());
        }
        let (min_key, max_key) = match by {
            OrderTimeField::Created => ("created_at_min", "created_at_max"),
            OrderTimeField::Updated => ("updated_at_min", "updated_at_max"),
        };
        // No window maximum: one filtered walk over the cursor covers the whole range.
        let mut query = vec![
            ("limit", ORDERS_PAGE_MAX.to_string()),
            ("status", "any".to_owned()),
            (min_key, wire_time(from)),
            (max_key, wire_time(to)),
        ];
        let mut seen = HashSet::new();
        let mut found = Vec::new();
        loop {
            let answer = self.call(Method::GET, "/orders.json", &query, None).await?;
            let page: OrdersPage = answer.json()?;
            let mut listed = self.listed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for raw in &page.orders {
                let (external_id, status, updated_at) = order_summary(&answer.path, raw)?;
                if seen.insert(external_id.clone()) {
                    listed.insert(external_id.clone(), order_of(&answer.path, raw, self.currency)?);
                    found.push(OrderRef { external_id, status_raw: Some(status), updated_at });
                }
            }
            drop(listed);
            match page.next_page_info {
                Some(cursor) if !page.orders.is_empty() => {
                    query = vec![("limit", ORDERS_PAGE_MAX.to_string()), ("page_info", cursor)];
                }
                _ => return Ok(found),
            }
        }
    }

    async fn get_orders(&self, external_ids: &[String]) -> ConnectorResult<Vec<ChannelOrder>> {
        // Store ids are numbers: anything else cannot name an order there.
        let mut seen = HashSet::new();
        let ids: Vec<&str> = external_ids
            .iter()
            .map(|id| id.trim())
            .filter(|id| id.parse::<u64>().is_ok() && seen.insert(*id))
            .collect();
        let mut orders = Vec::with_capacity(ids.len());
        let ids: Vec<&str> = {
            let mut listed = self.listed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            ids.into_iter()
                .filter(|id| match listed.remove(*id) {
                    Some(order) => {
                        orders.push(order);
                        false
                    }
                    None => true,
                })
                .collect()
        };
        for chunk in ids.chunks(ORDERS_BY_ID_MAX) {
            let query =
                [("ids", chunk.join(",")), ("status", "any".to_owned()), ("limit", ORDERS_PAGE_MAX.to_string())];
            let answer = self.call(Method::GET, "/orders.json", &query, None).await?;
            let page: OrdersPage = answer.json()?;
            for raw in &page.orders {
                orders.push(order_of(&answer.path, raw, self.currency)?);
            }
        }
        Ok(orders)
    }

    async fn prefetch_orders(
        &self,
        external_ids: &[String],
        _updated_since: DateTime<Utc>,
        pushes: &[Value],
    ) -> ConnectorResult<()> {
        // A copy listed earlier in this run may predate the pushes: only the pushes' own bodies (the newest of
        // each order) or a fresh read answer for these orders.
        let wanted: HashSet<&str> = external_ids.iter().map(|id| id.trim()).collect();
        let mut newest: HashMap<String, ChannelOrder> = HashMap::new();
        for body in pushes {
            // An order push is the order object; anything else (or a body that does not parse) is fetched instead.
            let Ok(order) = order_of("webhook", body, self.currency) else { continue };
            if wanted.contains(order.external_id.as_str())
                && newest.get(&order.external_id).is_none_or(|known| known.updated_at < order.updated_at)
            {
                newest.insert(order.external_id.clone(), order);
            }
        }
        let mut listed = self.listed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for id in &wanted {
            listed.remove(*id);
        }
        listed.extend(newest);
        Ok(())
    }

    fn pushes_carry_orders(&self) -> bool {
        true
    }

    async fn order_action(&self, external_order_id: &str, action: &OrderAction) -> ConnectorResult<ActionOutcome> {
        let (verb, body) = match action {
            OrderAction::ReadyToShip => ("fulfill", serde_json::json!({})),
            OrderAction::Cancel { reason } => ("cancel", serde_json::json!({ "reason": reason })),
            OrderAction::PrintLabel => return Err(ConnectorError::Unsupported("web store shipping labels")),
            OrderAction::AwaitPickup => return Err(ConnectorError::Unsupported("web store carrier hand-over")),
        };
        let Ok(id) = external_order_id.trim().parse::<u64>() else {
            return Err(ConnectorError::Api {
                path: format!("{API_PREFIX}/orders/{{id}}/{verb}.json"),
                code: "not_found".into(),
                message: format!("web store order ids are numbers, got {external_order_id:?}"),
            });
        };
        let answer = self
            .call(Method::POST, &format!("/orders/{id}/{verb}.json"), &[], Some(body.to_string().into_bytes()))
            .await?;
        let OrderEnvelope { order } = answer.json()?;
        let (_, status, _) = order_summary(&answer.path, &order)?;
        Ok(ActionOutcome { status_raw: Some(status), message: None })
    }

    fn verify_webhook(&self, request: &WebhookRequest) -> ConnectorResult<Vec<ChannelEvent>> {
        let secret = self
            .config
            .credentials
            .webhook_secret
            .as_deref()
            .ok_or_else(|| ConnectorError::Config("the web store's webhook secret is not set".into()))?;
        let given = request
            .header(WEBHOOK_SIGNATURE_HEADER)
            .ok_or_else(|| ConnectorError::BadWebhook(format!("missing {WEBHOOK_SIGNATURE_HEADER}")))?;
        if !signatures_match(&webhook_signature(secret, &request.body), given.trim(), false) {
            return Err(ConnectorError::BadWebhook("signature does not match the body".into()));
        }
        let topic = request
            .header(WEBHOOK_TOPIC_HEADER)
            .ok_or_else(|| ConnectorError::BadWebhook(format!("missing {WEBHOOK_TOPIC_HEADER}")))?;
        let body: Value = serde_json::from_slice(&request.body)
            .map_err(|e| ConnectorError::BadWebhook(format!("body is not JSON: {e}")))?;
        let dedup_key = match request.header(WEBHOOK_EVENT_ID_HEADER) {
            Some(id) if !id.trim().is_empty() => format!("webstore:{}", id.trim()),
            // Without an event id, the same topic and body is the same event.
            _ => format!("webstore:body:{}", crate::channels::hmac_sha256_hex(topic.as_bytes(), &request.body)),
        };
        let kind = match topic {
            "orders/create" => EventKind::OrderCreated,
            "orders/updated" | "orders/cancelled" => EventKind::OrderStatusChanged,
            "products/create" | "products/update" => EventKind::ProductChanged,
            _ => EventKind::Other,
        };
        let is_order = topic.starts_with("orders/");
        let occurred_at = request
            .header("X-Webstore-Triggered-At")
            .or_else(|| body.get("updated_at").and_then(Value::as_str))
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc));
        Ok(vec![ChannelEvent {
            kind,
            dedup_key,
            external_order_id: if is_order {
                body.get("id").and_then(Value::as_u64).map(|id| id.to_string())
            } else {
                None
            },
            status_raw: if is_order { body.get("status").and_then(Value::as_str).map(str::to_owned) } else { None },
            occurred_at,
            raw: body,
        }])
    }

    fn listings_of_pushed_product(&self, raw: &Value) -> ConnectorResult<Vec<Listing>> {
        listings_of_product("products/push", raw, self.currency)
    }

    async fn current_credentials(&self) -> Credentials {
        self.config.credentials.clone()
    }
}
