//! Lazada Open Platform ("LazOP") connector. Credentials: `app_key`, `app_secret`, `access_token`,
//! `refresh_token` (+ their expiry times). API names are the paths after the gateway's `/rest`.
//!
//! Limits used (see /work/shared/channels/lazada.md): `/products/get` 50 a page, offset ≤ 10 000;
//! `/product/price_quantity/update` 50 SKUs a call (XML payload); `/orders/get` 100 a page, offset ≤ 5 000, then
//! the window moves to the last order's time; `/orders/items/get` 50 orders a call; pack and RTS 20 a call.

mod actions;
mod client;
pub mod codes;
mod mapping;

pub use mapping::{SALE_DATE_FORMAT, shop_offset};
mod marketplace;
pub mod sign;
mod wire;

pub use marketplace::MARKETPLACE;

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, DurationRound, TimeZone, Utc};
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use crate::channels::{
    Connector, ConnectorConfig, ConnectorError, ConnectorResult, Credentials, ListingPages, signatures_match,
};
use crate::domain::channel::{
    ActionOutcome, ChannelEvent, ChannelOrder, EventKind, OrderAction, OrderRef, OrderTimeField, ShippingLabel,
    ShopIdentity, SkuUpdateResult, StockPriceUpdate, UpdateReport, WebhookRequest, currency_of_country,
};
use client::{Client, Method, REAL_AUTH_GATEWAY, gateway_of};
pub use mapping::order_status_of;

/// `/products/get`: at most 50 products a page (error `19` above).
pub const PRODUCTS_PAGE_SIZE: usize = 50;
/// `/products/get`: the deprecated offset stops at 10 000; beyond it the walk narrows `create_before`.
pub const PRODUCTS_MAX_OFFSET: usize = 10_000;
/// `/product/price_quantity/update`: at most 50 SKUs a call (errors `204`, `4171`).
pub const PRICE_QUANTITY_BATCH: usize = 50;
/// `/orders/get`: at most 100 orders a page.
pub const ORDERS_PAGE_SIZE: usize = 100;
/// `/orders/get`: the offset stops at 5 000; then the window restarts at the last order's time.
pub const ORDERS_MAX_OFFSET: usize = 5_000;
/// `/orders/items/get`: at most 50 order ids a call.
pub const ORDER_ITEMS_BATCH: usize = 50;
/// Concurrent `/order/get` calls while fetching order details (Lazada has no multi-order detail API).
const ORDER_DETAIL_CONCURRENCY: usize = 4;
/// `/order/get`'s code for an order id it does not know (E016 "Invalid Order ID").
const INVALID_ORDER_ID: &str = "16";
/// Fewest orders worth reading the list instead of detail calls (`prefetch_orders`); the read may take one page
/// per this many wanted orders before it stops and leaves the rest to detail calls.
const PREFETCH_MIN_ORDERS: usize = 2;

/// The real API gateway of a Lazada venture country (Vietnam when unknown).
pub fn default_base_url(country: &str) -> String {
    match country.to_ascii_uppercase().as_str() {
        "SG" => "https://api.lazada.sg/rest",
        "MY" => "https://api.lazada.com.my/rest",
        "TH" => "https://api.lazada.co.th/rest",
        "PH" => "https://api.lazada.com.ph/rest",
        "ID" => "https://api.lazada.co.id/rest",
        _ => "https://api.lazada.vn/rest",
    }
    .to_owned()
}

/// Whether `gateway` is one of the real venture gateways (then tokens go to auth.lazada.com).
fn is_real_gateway(gateway: &str) -> bool {
    ["VN", "SG", "MY", "TH", "PH", "ID"].iter().any(|c| gateway_of(&default_base_url(c)) == gateway)
}

/// A Lazada seller account.
pub struct LazadaConnector {
    client: Client,
    /// Venture country, upper case (`VN`, …).
    country: String,
    currency: &'static str,
    /// Orders read whole by a list call of this connector (`/orders/get` returns the same order object as
    /// `/order/get`), taken by `get_orders` instead of a detail call each. Connectors live for one run.
    listed: std::sync::Mutex<HashMap<String, Value>>,
}

impl LazadaConnector {
    /// Checks the credentials are complete (no call is made).
    pub fn new(config: ConnectorConfig) -> ConnectorResult<Self> {
        let country = config.country.to_ascii_uppercase();
        let currency = currency_of_country(&country)
            .ok_or_else(|| ConnectorError::Config(format!("Lazada does not sell in country {:?}", config.country)))?;
        let base_url =
            if config.base_url.trim().is_empty() { default_base_url(&config.country) } else { config.base_url.clone() };
        let gateway = gateway_of(&base_url);
        let auth_gateway = if is_real_gateway(&gateway) { REAL_AUTH_GATEWAY.to_owned() } else { gateway.clone() };
        let client = Client::new(config.http, gateway, auth_gateway, config.credentials, config.tokens)?;
        Ok(Self { client, country, currency, listed: Default::default() })
    }

    /// Walks `/orders/get` over `[from, to)` (by creation or update time), windows and pages; keeps every order
    /// read in `listed`.
    async fn walk_orders(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        by: OrderTimeField,
    ) -> ConnectorResult<Vec<OrderRef>> {
        let api = "/orders/get";
        let (after_key, before_key, sort_by) = match by {
            OrderTimeField::Created => ("created_after", "created_before", "created_at"),
            OrderTimeField::Updated => ("update_after", "update_before", "updated_at"),
        };
        // Filters have second precision and are inclusive; the half-open range is applied here.
        let second = chrono::Duration::seconds(1);
        let end = to.duration_trunc(second).map_err(|e| ConnectorError::Config(e.to_string()))? + second;
        let mut window_start = from.duration_trunc(second).map_err(|e| ConnectorError::Config(e.to_string()))?;
        let mut offset = 0usize;
        let mut seen = HashSet::new();
        let mut found = Vec::new();
        while window_start < end {
            let params = [
                param(after_key, &mapping::format_filter_time(window_start)),
                param(before_key, &mapping::format_filter_time(end)),
                param("sort_by", sort_by),
                param("sort_direction", "ASC"),
                param("offset", &offset.to_string()),
                param("limit", &ORDERS_PAGE_SIZE.to_string()),
            ];
            let reply = self.client.call(Method::Get, api, &params).await?;
            let page: wire::OrdersPage = reply.data(api)?;
            let count = page.orders.len();
            let mut last_time = None;
            for raw in &page.orders {
                let order: wire::Order =
                    serde_json::from_value(raw.clone()).map_err(|e| ConnectorError::parse(api, e, &reply.body))?;
                let time_text = if by == OrderTimeField::Created { &order.created_at } else { &order.updated_at };
                let time = mapping::parse_time(time_text)
                    .ok_or_else(|| ConnectorError::parse(api, format!("bad time {time_text}"), &reply.body))?;
                last_time = Some(time);
                if time < from || time >= to || !seen.insert(order.order_id.0.clone()) {
                    continue;
                }
                self.listed
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(order.order_id.0.clone(), raw.clone());
                found.push(OrderRef {
                    external_id: order.order_id.0.clone(),
                    status_raw: order_status_of(order.statuses.iter().map(String::as_str)),
                    updated_at: mapping::parse_time(&order.updated_at),
                });
            }
            offset += count;
            let total = page.count_total.or(page.count).and_then(|t| usize::try_from(t).ok());
            if count < ORDERS_PAGE_SIZE || total.is_some_and(|t| offset >= t) {
                break;
            }
            if offset > ORDERS_MAX_OFFSET {
                let Some(last) = last_time else { break };
                let next_start = last.duration_trunc(second).map_err(|e| ConnectorError::Config(e.to_string()))?;
                if next_start <= window_start {
                    return Err(ConnectorError::Api {
                        path: api.to_owned(),
                        code: "14".into(),
                        message: format!(
                            "more than {ORDERS_MAX_OFFSET} orders in one second: the walk cannot continue"
                        ),
                    });
                }
                window_start = next_start;
                offset = 0;
            }
        }
        Ok(found)
    }

    /// Reads `/orders/get` newest first (by update time) back to `since`, keeping every order read in `listed`,
    /// until each of `wanted` was read, a page comes back short, or `max_pages` pages. Pushed orders changed just
    /// now: they are on the first page or two, where an oldest-first walk would reach them last.
    async fn read_recent(&self, since: DateTime<Utc>, wanted: &[String], max_pages: usize) -> ConnectorResult<()> {
        let api = "/orders/get";
        let second = chrono::Duration::seconds(1);
        let after = since.duration_trunc(second).map_err(|e| ConnectorError::Config(e.to_string()))?;
        let before = Utc::now().duration_trunc(second).map_err(|e| ConnectorError::Config(e.to_string()))? + second;
        let mut missing: HashSet<&str> = wanted.iter().map(String::as_str).collect();
        let mut offset = 0usize;
        for _ in 0..max_pages {
            if missing.is_empty() || offset > ORDERS_MAX_OFFSET {
                break;
            }
            let params = [
                param("update_after", &mapping::format_filter_time(after)),
                param("update_before", &mapping::format_filter_time(before)),
                param("sort_by", "updated_at"),
                param("sort_direction", "DESC"),
                param("offset", &offset.to_string()),
                param("limit", &ORDERS_PAGE_SIZE.to_string()),
            ];
            let reply = self.client.call(Method::Get, api, &params).await?;
            let page: wire::OrdersPage = reply.data(api)?;
            let count = page.orders.len();
            let mut listed = self.listed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for raw in &page.orders {
                let order: wire::Order =
                    serde_json::from_value(raw.clone()).map_err(|e| ConnectorError::parse(api, e, &reply.body))?;
                missing.remove(order.order_id.0.as_str());
                listed.insert(order.order_id.0.clone(), raw.clone());
            }
            if count < ORDERS_PAGE_SIZE {
                break;
            }
            offset += count;
        }
        Ok(())
    }

    /// `/order/get` data of one order (kept raw for mapping with its items).
    /// One order's detail; `None` when Lazada says there is no such order (`16`, "Invalid Order ID"): the order
    /// is left out of the answer like any order the channel does not return, not a failure of the whole batch.
    async fn order_detail(&self, order_id: String) -> ConnectorResult<Option<(String, Value)>> {
        match self.client.call(Method::Get, "/order/get", &[param("order_id", &order_id)]).await {
            Ok(reply) => Ok(Some((order_id, reply.envelope.data.unwrap_or(Value::Null)))),
            Err(ConnectorError::Api { code, .. }) if code == INVALID_ORDER_ID => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn param(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}

/// Failures named in a `501` answer's `detail` (shape UNCONFIRMED: entries naming `seller_sku` or `sku_id`).
fn failed_skus(detail: Option<&Value>) -> Vec<(Option<String>, Option<String>, String)> {
    let text = |v: &Value, keys: &[&str]| {
        keys.iter().find_map(|k| v.get(*k)).and_then(|x| match x {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    detail
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    let message = [text(e, &["field"]), text(e, &["message", "msg"])]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(": ");
                    (text(e, &["seller_sku", "SellerSku"]), text(e, &["sku_id", "SkuId"]), message)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[async_trait]
impl Connector for LazadaConnector {
    fn kind(&self) -> crate::channels::ChannelKind {
        crate::channels::ChannelKind::Lazada
    }

    fn requests_in_doubt_until(&self) -> Option<std::time::Instant> {
        self.client.api().in_doubt_until()
    }

    async fn shop_identity(&self) -> ConnectorResult<ShopIdentity> {
        let api = "/seller/get";
        let seller: wire::Seller = self.client.call(Method::Get, api, &[]).await?.data(api)?;
        let name = seller.name.or(seller.short_code).unwrap_or_default();
        Ok(ShopIdentity { external_id: seller.seller_id.0, name, country: Some(self.country.clone()) })
    }

    async fn stream_listings(&self, pages: ListingPages) -> ConnectorResult<()> {
        let api = "/products/get";
        let mut seen_skus = HashSet::new();
        let mut offset = 0usize;
        let mut create_before: Option<String> = None;
        let mut oldest_created_ms: Option<i64> = None;
        loop {
            let mut params = vec![
                param("filter", "all"),
                param("limit", &PRODUCTS_PAGE_SIZE.to_string()),
                param("offset", &offset.to_string()),
            ];
            if let Some(before) = &create_before {
                params.push(param("create_before", before));
            }
            let reply = self.client.call(Method::Get, api, &params).await?;
            let page: wire::ProductsPage = reply.data(api)?;
            let count = page.products.len();
            let mut listings = Vec::new();
            for product in &page.products {
                if let Some(ms) = product.created_time.as_ref().and_then(|t| t.0.parse::<i64>().ok()) {
                    oldest_created_ms = Some(oldest_created_ms.map_or(ms, |o| o.min(ms)));
                }
                for listing in mapping::listings_of(product, self.currency)
                    .map_err(|e| ConnectorError::parse(api, e, &reply.body))?
                {
                    if seen_skus.insert(listing.external_sku_id.clone()) {
                        listings.push(listing);
                    }
                }
            }
            if !pages.send(listings).await {
                return Ok(());
            }
            offset += count;
            let total = page.total_products.and_then(|t| usize::try_from(t).ok());
            if count < PRODUCTS_PAGE_SIZE || total.is_some_and(|t| offset >= t) {
                break;
            }
            if offset > PRODUCTS_MAX_OFFSET {
                // Lazada lists newest first (UNCONFIRMED): continue below the oldest product seen; the bound is
                // inclusive, so SKUs seen twice are dropped by `seen_skus`.
                let Some(oldest) = oldest_created_ms.and_then(|ms| Utc.timestamp_millis_opt(ms).single()) else {
                    break;
                };
                let next_before = mapping::format_filter_time(oldest);
                if create_before.as_deref() == Some(next_before.as_str()) {
                    return Err(ConnectorError::Api {
                        path: api.to_owned(),
                        code: "14".into(),
                        message: format!(
                            "more than {PRODUCTS_MAX_OFFSET} products created in the same second: the walk cannot continue"
                        ),
                    });
                }
                create_before = Some(next_before);
                offset = 0;
            }
        }
        Ok(())
    }

    async fn update_stock_price(&self, updates: &[StockPriceUpdate]) -> ConnectorResult<UpdateReport> {
        let api = "/product/price_quantity/update";
        let mut report = UpdateReport::default();
        let mut sendable = Vec::with_capacity(updates.len());
        for update in updates {
            if update.quantity.is_some_and(|q| q < 0) {
                report.results.push(SkuUpdateResult {
                    external_sku_id: update.external_sku_id.clone(),
                    ok: false,
                    error: Some("quantity can't be negative".into()),
                });
            } else if update.quantity.is_none() && update.price_minor.is_none() {
                report.results.push(SkuUpdateResult {
                    external_sku_id: update.external_sku_id.clone(),
                    ok: true,
                    error: None,
                });
            } else {
                sendable.push(update);
            }
        }
        for batch in sendable.chunks(PRICE_QUANTITY_BATCH) {
            let payload = mapping::price_quantity_payload(batch, self.currency, mapping::shop_offset(&self.country));
            report.calls += 1;
            let reply = self.client.call_any(Method::Post, api, &[param("payload", &payload)]).await?;
            let code = reply.envelope.code().to_owned();
            let message = reply.envelope.message.clone().unwrap_or_default();
            if reply.envelope.is_success() {
                report.results.extend(batch.iter().map(|u| SkuUpdateResult {
                    external_sku_id: u.external_sku_id.clone(),
                    ok: true,
                    error: None,
                }));
                continue;
            }
            let failures = if code == "501" { failed_skus(reply.envelope.detail.as_ref()) } else { Vec::new() };
            if failures.is_empty() {
                // Rate limits, signature and token problems are the call's, not the SKUs'.
                if codes::AUTH.contains(&code.as_str()) {
                    return Err(ConnectorError::Auth { path: api.to_owned(), code, message });
                }
                let error = Some(format!("{code}: {message}"));
                report.results.extend(batch.iter().map(|u| SkuUpdateResult {
                    external_sku_id: u.external_sku_id.clone(),
                    ok: false,
                    error: error.clone(),
                }));
                continue;
            }
            // A 501 names the SKUs that failed; the others were updated.
            for update in batch {
                let failure = failures.iter().find(|(seller_sku, sku_id, _)| {
                    (seller_sku.is_some() && seller_sku.as_deref() == update.seller_sku.as_deref())
                        || (sku_id.is_some() && sku_id.as_deref() == Some(update.external_sku_id.as_str()))
                });
                report.results.push(SkuUpdateResult {
                    external_sku_id: update.external_sku_id.clone(),
                    ok: failure.is_none(),
                    error: failure.map(|(_, _, why)| format!("{code}: {why}")),
                });
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
        self.walk_orders(from, to, by).await
    }

    async fn prefetch_orders(
        &self,
        external_ids: &[String],
        updated_since: DateTime<Utc>,
        _pushes: &[Value],
    ) -> ConnectorResult<()> {
        {
            // A copy read earlier in this run may predate the push: these come from this read or a detail call.
            let mut listed = self.listed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for id in external_ids {
                listed.remove(id);
            }
        }
        if external_ids.len() < PREFETCH_MIN_ORDERS {
            return Ok(());
        }
        // Each page read must save detail calls: at most one page per PREFETCH_MIN_ORDERS wanted orders.
        let budget = external_ids.len() / PREFETCH_MIN_ORDERS;
        self.read_recent(updated_since, external_ids, budget).await
    }

    async fn get_orders(&self, external_ids: &[String]) -> ConnectorResult<Vec<ChannelOrder>> {
        let mut ids: Vec<&str> = Vec::with_capacity(external_ids.len());
        for id in external_ids {
            if !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
        let items_api = "/orders/items/get";
        let mut items_of: HashMap<String, Vec<Value>> = HashMap::new();
        for batch in ids.chunks(ORDER_ITEMS_BATCH) {
            let list = format!("[{}]", batch.join(","));
            let reply = self.client.call(Method::Get, items_api, &[param("order_ids", &list)]).await?;
            let groups: Vec<wire::OrderItems> = reply.data(items_api)?;
            for group in groups {
                items_of.entry(group.order_id.0).or_default().extend(group.order_items);
            }
        }
        let detail_api = "/order/get";
        let mut details: Vec<(String, Value)> = Vec::with_capacity(ids.len());
        let mut unlisted: Vec<String> = Vec::new();
        {
            let mut listed = self.listed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for id in &ids {
                match listed.remove(*id) {
                    Some(raw) => details.push(((*id).to_owned(), raw)),
                    None => unlisted.push((*id).to_owned()),
                }
            }
        }
        let fetched: Vec<Option<(String, Value)>> =
            futures::stream::iter(unlisted.into_iter().map(|id| self.order_detail(id)))
                .buffered(ORDER_DETAIL_CONCURRENCY)
                .try_collect()
                .await?;
        details.extend(fetched.into_iter().flatten());
        let mut orders = Vec::with_capacity(details.len());
        for (id, order_raw) in details {
            let items = items_of.get(&id).map(Vec::as_slice).unwrap_or_default();
            let order = mapping::channel_order(&order_raw, items, self.currency)
                .map_err(|e| ConnectorError::parse(detail_api, e, order_raw.to_string().as_bytes()))?;
            orders.push(order);
        }
        Ok(orders)
    }

    /// One document call for many orders' packages (Lazada prints packages together).
    async fn shipping_labels(&self, external_order_ids: &[String]) -> Vec<ConnectorResult<ShippingLabel>> {
        self.labels(external_order_ids).await
    }

    async fn order_action(&self, external_order_id: &str, action: &OrderAction) -> ConnectorResult<ActionOutcome> {
        let message = match action {
            OrderAction::ReadyToShip => self.ready_to_ship(external_order_id).await?,
            OrderAction::Cancel { reason } => self.cancel(external_order_id, reason).await?,
            OrderAction::PrintLabel => self.print_label(external_order_id).await?,
            OrderAction::AwaitPickup => {
                return Err(ConnectorError::Unsupported(
                    "await pickup: Lazada's carrier collects packages after ready to ship",
                ));
            }
        };
        let items = self.order_items(external_order_id).await?;
        Ok(ActionOutcome {
            status_raw: order_status_of(items.iter().map(|i| i.status.as_str())),
            message: Some(message),
        })
    }

    fn verify_webhook(&self, request: &WebhookRequest) -> ConnectorResult<Vec<ChannelEvent>> {
        let given = request
            .header("Authorization")
            .ok_or_else(|| ConnectorError::BadWebhook("no Authorization header".into()))?;
        let expected = sign::sign_push(self.client.app_key(), self.client.app_secret(), &request.body);
        if !signatures_match(&expected, given.trim(), true) {
            return Err(ConnectorError::BadWebhook("signature does not match".into()));
        }
        let push: wire::Push = serde_json::from_slice(&request.body)
            .map_err(|e| ConnectorError::BadWebhook(format!("malformed push: {e}")))?;
        let raw: Value = serde_json::from_slice(&request.body)
            .map_err(|e| ConnectorError::BadWebhook(format!("malformed push: {e}")))?;
        let pushed_at = push.timestamp.and_then(|t| {
            if t > 10_000_000_000 { Utc.timestamp_millis_opt(t).single() } else { Utc.timestamp_opt(t, 0).single() }
        });
        let event = match push.message_type {
            0 => {
                let data: wire::TradeOrderPush = serde_json::from_value(push.data.clone())
                    .map_err(|e| ConnectorError::BadWebhook(format!("malformed order push: {e}")))?;
                let line = data.trade_order_line_id.map(|t| t.0).unwrap_or_default();
                let status = data.order_status.clone().unwrap_or_default();
                let update_time = data.status_update_time.unwrap_or_default();
                ChannelEvent {
                    kind: EventKind::OrderStatusChanged,
                    // Retries resend the same data with a new push timestamp: the key leaves that out.
                    dedup_key: format!("lazada:0:{}:{line}:{status}:{update_time}", data.trade_order_id.0),
                    external_order_id: Some(data.trade_order_id.0),
                    status_raw: data.order_status,
                    occurred_at: data.status_update_time.and_then(|s| Utc.timestamp_opt(s, 0).single()).or(pushed_at),
                    raw,
                }
            }
            kind => {
                let digest = crate::channels::hmac_sha256_hex(b"lazada-push", push.data.to_string().as_bytes());
                let seller = push.seller_id.map(|s| s.0).unwrap_or_default();
                ChannelEvent {
                    kind: match kind {
                        3 | 4 | 21 => EventKind::ProductChanged,
                        8 => EventKind::TokenExpiring,
                        _ => EventKind::Other,
                    },
                    dedup_key: format!("lazada:{kind}:{seller}:{digest}"),
                    external_order_id: None,
                    status_raw: None,
                    occurred_at: pushed_at,
                    raw,
                }
            }
        };
        Ok(vec![event])
    }

    async fn current_credentials(&self) -> Credentials {
        self.client.credentials().await
    }

    async fn exchange_authorization_code(
        &self,
        code: &str,
        _callback: &[(String, String)],
        _redirect_uri: Option<&str>,
    ) -> ConnectorResult<Credentials> {
        self.client.exchange_code(code).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_venture_has_its_real_gateway_and_tokens_go_to_auth_lazada_com() {
        assert_eq!(default_base_url("VN"), "https://api.lazada.vn/rest");
        assert_eq!(default_base_url("sg"), "https://api.lazada.sg/rest");
        assert_eq!(default_base_url("MY"), "https://api.lazada.com.my/rest");
        assert_eq!(default_base_url("TH"), "https://api.lazada.co.th/rest");
        assert_eq!(default_base_url("PH"), "https://api.lazada.com.ph/rest");
        assert_eq!(default_base_url("ID"), "https://api.lazada.co.id/rest");
        assert!(is_real_gateway("https://api.lazada.co.id/rest"));
        assert!(!is_real_gateway("http://127.0.0.1:8080/rest"));
    }
}
