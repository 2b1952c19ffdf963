//! Tiki (Vietnam) connector.
//!
//! Two credential styles, chosen from what is present:
//! - v2 (OAuth2, open.tiki.vn): `app_key` = client id, `app_secret` = client secret, optionally `access_token`
//!   (+ `refresh_token` for public apps). Calls `/integration/v2…` with `Authorization: Bearer`.
//! - v1 (legacy): `api_key`, sent as the `tiki-api` header to `/integration/v1…`.
//!
//! Tiki signs no requests and has no push for marketplace orders: events come from a pull "event queue"
//! (`drain_events`), so `verify_webhook` is unsupported. Seller cancellation is not offered by the API.

mod client;
mod mapping;
mod marketplace;
pub mod wire;

pub use marketplace::MARKETPLACE;

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Duration, DurationRound, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::channels::{Connector, ConnectorConfig, ConnectorError, ConnectorResult, Credentials, ListingPages};
use crate::domain::channel::{
    ActionOutcome, ChannelEvent, ChannelOrder, OrderAction, OrderRef, OrderTimeField, ShopIdentity, SkuUpdateResult,
    StockPriceUpdate, UpdateReport, WebhookRequest, currency_of_country,
};
use client::Client;
use wire::{V1, V2, V2_1};

/// The real API host (API and OAuth2 token endpoint alike).
pub const DEFAULT_BASE_URL: &str = "https://api.tiki.vn";

/// Order details are fetched one order per call; this many at once.
const DETAIL_CONCURRENCY: usize = 8;
/// Upper bound of pulls in one drain (the rest waits for the next drain).
const MAX_PULLS_PER_DRAIN: usize = 50;

/// The Tiki connector (see the module docs for credentials).
pub struct TikiConnector {
    client: Client,
    currency: &'static str,
    /// The event queue's code, found or created on first drain.
    queue_code: Mutex<Option<String>>,
    /// The seller warehouse that v2 stock updates and confirmations name.
    warehouse_id: Mutex<Option<u64>>,
}

impl TikiConnector {
    /// Checks the credentials' shape (not their validity: that is `shop_identity`).
    pub fn new(config: ConnectorConfig) -> ConnectorResult<Self> {
        let currency = currency_of_country(&config.country)
            .ok_or_else(|| ConnectorError::Config(format!("unknown country {}", config.country)))?;
        Ok(Self {
            client: Client::new(config)?,
            currency,
            queue_code: Mutex::new(None),
            warehouse_id: Mutex::new(None),
        })
    }

    fn prefix(&self) -> &'static str {
        if self.client.style.is_v2() { V2 } else { V1 }
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> ConnectorResult<T> {
        self.client.call(Method::GET, path, query, None).await?.json(path)
    }

    /// The seller's first active warehouse (v2 quantities and confirmations are per warehouse).
    async fn warehouse(&self) -> ConnectorResult<u64> {
        let mut cached = self.warehouse_id.lock().await;
        if let Some(id) = *cached {
            return Ok(id);
        }
        let path = format!("{V2}/sellers/me/warehouses");
        let page: wire::Page = self.get_json(&path, &[]).await?;
        let warehouses: Vec<wire::Warehouse> =
            page.data.into_iter().filter_map(|w| serde_json::from_value(w).ok()).collect();
        let id =
            warehouses.iter().find(|w| w.status.unwrap_or(1) == 1).or(warehouses.first()).map(|w| w.id).ok_or_else(
                || ConnectorError::Api {
                    path: path.clone(),
                    code: "no_warehouse".into(),
                    message: "the seller has no warehouse".into(),
                },
            )?;
        *cached = Some(id);
        Ok(id)
    }

    async fn update_one_v1(&self, update: &StockPriceUpdate) -> ConnectorResult<SkuUpdateResult> {
        let path = format!("{V1}/products/updateSku");
        let mut body = sku_key(update);
        if let Some(price) = update.price_minor {
            body["price"] = mapping::amount(price, self.currency);
        }
        if let Some(quantity) = update.quantity {
            body["quantity"] = json!(quantity.max(0));
        }
        let result = match self.client.call(Method::POST, &path, &[], Some(&body)).await {
            Ok(_) => SkuUpdateResult { external_sku_id: update.external_sku_id.clone(), ok: true, error: None },
            Err(ConnectorError::Api { code, message, .. }) => SkuUpdateResult {
                external_sku_id: update.external_sku_id.clone(),
                ok: false,
                error: Some(format!("{code}: {message}")),
            },
            Err(err) => return Err(err),
        };
        Ok(result)
    }

    async fn update_batch_v2(
        &self,
        batch: &[StockPriceUpdate],
        warehouse: Option<u64>,
    ) -> ConnectorResult<Vec<SkuUpdateResult>> {
        let path = format!("{V2_1}/products/updateSkus");
        let data: Vec<Value> = batch
            .iter()
            .map(|update| {
                let mut item = sku_key(update);
                if let Some(price) = update.price_minor {
                    item["price"] = mapping::amount(price, self.currency);
                }
                if let (Some(quantity), Some(warehouse)) = (update.quantity, warehouse) {
                    item["warehouse_quantities"] =
                        json!([{ "warehouse_id": warehouse, "qty_available": quantity.max(0) }]);
                }
                item
            })
            .collect();
        let response = match self.client.call(Method::PUT, &path, &[], Some(&json!({ "data": data }))).await {
            Ok(response) => response,
            Err(ConnectorError::Api { code, message, .. }) => {
                let error = Some(format!("{code}: {message}"));
                return Ok(batch
                    .iter()
                    .map(|u| SkuUpdateResult {
                        external_sku_id: u.external_sku_id.clone(),
                        ok: false,
                        error: error.clone(),
                    })
                    .collect());
            }
            Err(err) => return Err(err),
        };
        let page: wire::Page = response.json(&path)?;
        let mut states: HashMap<String, wire::SkuUpdateState> = HashMap::new();
        for raw in page.data {
            let state: wire::SkuUpdateState =
                serde_json::from_value(raw).map_err(|e| ConnectorError::parse(&path, e, &response.body))?;
            // Keyed by both: the answer may name a SKU by the other key than the one sent.
            if let Some(id) = state.product_id {
                states.insert(id.to_string(), state.clone());
            }
            if let Some(code) = state.original_sku.clone() {
                states.insert(code, state);
            }
        }
        Ok(batch
            .iter()
            .map(|update| {
                let state = update
                    .seller_sku
                    .as_ref()
                    .and_then(|s| states.get(s))
                    .or_else(|| states.get(&update.external_product_id));
                let (ok, error) = match state {
                    Some(s) if s.errors.is_empty() && s.state.as_deref() != Some("rejected") => (true, None),
                    Some(s) => (
                        false,
                        Some(
                            s.errors
                                .iter()
                                .map(|e| e.as_str().unwrap_or_default().to_owned())
                                .collect::<Vec<_>>()
                                .join("; "),
                        ),
                    ),
                    None => (false, Some("not in Tiki's answer".to_owned())),
                };
                SkuUpdateResult { external_sku_id: update.external_sku_id.clone(), ok, error }
            })
            .collect())
    }

    /// Every order in one window (at most `MAX_ORDER_WINDOW_DAYS`), all pages.
    async fn orders_in_window(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        by: OrderTimeField,
    ) -> ConnectorResult<Vec<OrderRef>> {
        let path = format!("{}/orders", self.prefix());
        let field = match by {
            OrderTimeField::Created => "created",
            OrderTimeField::Updated => "updated",
        };
        let (from_name, to_name) = (format!("{field}_from_date"), format!("{field}_to_date"));
        let mut found = Vec::new();
        let mut page_number = 1u64;
        loop {
            let mut query = vec![
                ("page", page_number.to_string()),
                ("limit", wire::MAX_ORDERS_PAGE.to_string()),
                (from_name.as_str(), wire::format_local(from)),
                // Tiki's bounds are inclusive, to the second: stop one second before the next window.
                (to_name.as_str(), wire::format_local(to - Duration::seconds(1))),
            ];
            if !self.client.style.is_v2() {
                // The legacy list shows only `queueing` orders unless told otherwise.
                query.push(("status", "all".into()));
            }
            let response = self.client.call(Method::GET, &path, &query, None).await?;
            let page: wire::Page = response.json(&path)?;
            let count = page.data.len();
            for raw in &page.data {
                found.push(
                    mapping::order_ref(raw)
                        .ok_or_else(|| ConnectorError::parse(&path, "order without code", &response.body))?,
                );
            }
            let last = page.paging.as_ref().and_then(|p| p.last_page).unwrap_or(page_number);
            if count == 0 || page_number >= last {
                return Ok(found);
            }
            page_number += 1;
        }
    }

    async fn order_detail(&self, code: &str) -> ConnectorResult<Option<ChannelOrder>> {
        let path = format!("{}/orders/{}", self.prefix(), path_segment(code)?);
        let response = match self.client.call(Method::GET, &path, &[], None).await {
            Ok(response) => response,
            Err(ConnectorError::Api { code, .. }) if code == "404" => return Ok(None),
            Err(err) => return Err(err),
        };
        let raw: Value = response.json(&path)?;
        // v2 may wrap the order in `data`; v1 answers the order itself.
        let raw = match raw.get("data") {
            Some(inner) if inner.is_object() => inner.clone(),
            _ => raw,
        };
        let order = if self.client.style.is_v2() {
            mapping::order_v2(raw, self.currency)
        } else {
            mapping::order_v1(raw, self.currency)
        };
        order.map(Some).map_err(|e| ConnectorError::parse(&path, e, &response.body))
    }

    /// Confirms which items of the order are available (v1 `confirmItems`, v2 `confirm-available`); the items
    /// left out are unavailable, so none cancels the order.
    async fn confirm_items(&self, code: &str, item_ids: Vec<Value>, done: &str) -> ConnectorResult<ActionOutcome> {
        let (path, body) = if self.client.style.is_v2() {
            let warehouse = self.warehouse().await?;
            (
                format!("{V2}/orders/{code}/confirm-available"),
                json!({ "available_item_ids": item_ids, "seller_inventory_id": warehouse }),
            )
        } else {
            (format!("{V1}/orders/confirmItems"), json!({ "order_code": code, "item_ids": item_ids }))
        };
        let response = self.client.call(Method::POST, &path, &[], Some(&body)).await?;
        Ok(outcome(&response.body, done))
    }

    /// The connector's event queue, created and subscribed to order events on first use.
    async fn queue(&self) -> ConnectorResult<String> {
        let mut cached = self.queue_code.lock().await;
        if let Some(code) = cached.as_ref() {
            return Ok(code.clone());
        }
        let path = format!("{V1}/queues");
        let page: wire::Page = self.get_json(&path, &[]).await?;
        let existing = page.data.into_iter().filter_map(|q| serde_json::from_value::<wire::Queue>(q).ok()).find(|q| {
            q.name.as_deref() == Some(wire::QUEUE_NAME)
                && q.status.as_deref().is_none_or(|s| s.eq_ignore_ascii_case("ACTIVE"))
        });
        let queue = match existing {
            Some(queue) => queue,
            None => self
                .client
                .call(Method::POST, &path, &[], Some(&json!({ "name": wire::QUEUE_NAME })))
                .await?
                .json::<wire::Queue>(&path)?,
        };
        let subscriptions = format!("{V1}/queues/{}/subscriptions", path_segment(&queue.code)?);
        for event_type in wire::ORDER_EVENT_TYPES {
            match self.client.call(Method::POST, &subscriptions, &[], Some(&json!({ "event_type": event_type }))).await
            {
                // Already subscribed is fine.
                Ok(_) => {}
                Err(ConnectorError::Api { code, .. }) if code == "409" => {}
                Err(err) => return Err(err),
            }
        }
        *cached = Some(queue.code.clone());
        Ok(queue.code)
    }
}

/// `original_sku` when the listing has one (Tiki's matching key), else `product_id`.
fn sku_key(update: &StockPriceUpdate) -> Value {
    match update.seller_sku.as_deref().filter(|s| !s.is_empty()) {
        Some(sku) => json!({ "original_sku": sku }),
        None => match update.external_product_id.parse::<u64>() {
            Ok(id) => json!({ "product_id": id }),
            Err(_) => json!({ "product_id": update.external_product_id }),
        },
    }
}

/// Order codes and queue codes go into paths: refuse anything that would change the path.
fn path_segment(code: &str) -> ConnectorResult<&str> {
    if !code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        Ok(code)
    } else {
        Err(ConnectorError::Config(format!("not a Tiki code: {code:?}")))
    }
}

#[async_trait]
impl Connector for TikiConnector {
    fn kind(&self) -> crate::channels::ChannelKind {
        crate::channels::ChannelKind::Tiki
    }

    fn requests_in_doubt_until(&self) -> Option<std::time::Instant> {
        self.client.config.http.in_doubt_until()
    }

    async fn shop_identity(&self) -> ConnectorResult<ShopIdentity> {
        let path = format!("{}/sellers/me", self.prefix());
        let seller: wire::Seller = self.get_json(&path, &[]).await?;
        let external_id = seller
            .sid
            .clone()
            .or_else(|| seller.id.as_ref().map(|id| id.as_str().map(str::to_owned).unwrap_or_else(|| id.to_string())))
            .ok_or_else(|| ConnectorError::parse(&path, "seller without sid or id", b""))?;
        Ok(ShopIdentity { external_id, name: seller.name.unwrap_or_default(), country: Some("VN".into()) })
    }

    async fn stream_listings(&self, pages: ListingPages) -> ConnectorResult<()> {
        let path = format!("{}/products", self.prefix());
        let mut page_number = 1u64;
        loop {
            let query = [
                ("page", page_number.to_string()),
                ("limit", wire::MAX_PRODUCTS_PAGE.to_string()),
                ("include", "inventory".to_owned()),
            ];
            let response = self.client.call(Method::GET, &path, &query, None).await?;
            let page: wire::Page = response.json(&path)?;
            let count = page.data.len();
            let last = page.paging.as_ref().and_then(|p| p.last_page).unwrap_or(page_number);
            let listings = page
                .data
                .into_iter()
                .map(|raw| {
                    mapping::listing(raw, self.currency).map_err(|e| ConnectorError::parse(&path, e, &response.body))
                })
                .collect::<ConnectorResult<Vec<_>>>()?;
            if !pages.send(listings).await || count == 0 || page_number >= last {
                return Ok(());
            }
            page_number += 1;
        }
    }

    /// v2: `PUT /integration/v2.1/products/updateSkus` in batches of `MAX_UPDATE_SKUS_BATCH`;
    /// v1: `POST /integration/v1/products/updateSku`, one SKU per call (the legacy API has no batch).
    async fn update_stock_price(&self, updates: &[StockPriceUpdate]) -> ConnectorResult<UpdateReport> {
        let mut report = UpdateReport::default();
        if updates.is_empty() {
            return Ok(report);
        }
        if self.client.style.is_v2() {
            let warehouse =
                if updates.iter().any(|u| u.quantity.is_some()) { Some(self.warehouse().await?) } else { None };
            for batch in updates.chunks(wire::MAX_UPDATE_SKUS_BATCH) {
                report.results.extend(self.update_batch_v2(batch, warehouse).await?);
                report.calls += 1;
            }
        } else {
            for update in updates {
                report.results.push(self.update_one_v1(update).await?);
                report.calls += 1;
            }
        }
        Ok(report)
    }

    /// Walks windows of at most `MAX_ORDER_WINDOW_DAYS` (whole seconds, Tiki's precision) and every page.
    async fn list_orders(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        by: OrderTimeField,
    ) -> ConnectorResult<Vec<OrderRef>> {
        let second = Duration::seconds(1);
        let start = from.duration_trunc(second).unwrap_or(from);
        let end = match to.duration_trunc(second) {
            Ok(t) if t < to => t + second,
            Ok(t) => t,
            Err(_) => to,
        };
        let mut seen = HashSet::new();
        let mut found = Vec::new();
        let mut window_start = start;
        while window_start < end {
            let window_end = (window_start + Duration::days(wire::MAX_ORDER_WINDOW_DAYS)).min(end);
            for order in self.orders_in_window(window_start, window_end, by).await? {
                if seen.insert(order.external_id.clone()) {
                    found.push(order);
                }
            }
            window_start = window_end;
        }
        Ok(found)
    }

    /// One call per order (Tiki has no batch detail), a few at once; unknown codes are left out.
    async fn get_orders(&self, external_ids: &[String]) -> ConnectorResult<Vec<ChannelOrder>> {
        let mut orders = Vec::with_capacity(external_ids.len());
        for chunk in external_ids.chunks(DETAIL_CONCURRENCY) {
            let details = futures::future::try_join_all(
                chunk.iter().cloned().map(|id| async move { self.order_detail(&id).await }),
            )
            .await?;
            orders.extend(details.into_iter().flatten());
        }
        Ok(orders)
    }

    async fn order_action(&self, external_order_id: &str, action: &OrderAction) -> ConnectorResult<ActionOutcome> {
        let code = path_segment(external_order_id)?;
        let v2 = self.client.style.is_v2();
        match action {
            // Tiki has no cancel call: the seller cancels by confirming that no item is available (tiki.md);
            // Tiki allows it only while the order waits for confirmation and answers why otherwise.
            OrderAction::Cancel { .. } => self.confirm_items(code, Vec::new(), "cancelled: no item available").await,
            OrderAction::AwaitPickup if v2 => {
                Err(ConnectorError::Unsupported("Tiki v2 has no await-pickup call: pickup follows confirmation"))
            }
            OrderAction::ReadyToShip => {
                let order = self.order_detail(code).await?.ok_or_else(|| ConnectorError::Api {
                    path: format!("{}/orders/{code}", self.prefix()),
                    code: "404".into(),
                    message: format!("no order {code}"),
                })?;
                let item_ids: Vec<Value> = order
                    .lines
                    .iter()
                    .map(|l| {
                        l.external_line_id
                            .parse::<u64>()
                            .map(Value::from)
                            .unwrap_or_else(|_| Value::from(l.external_line_id.clone()))
                    })
                    .collect();
                self.confirm_items(code, item_ids, "items confirmed").await
            }
            OrderAction::PrintLabel => {
                let (path, query) = if v2 {
                    (format!("{V2}/orders/{code}/seller-delivery/labels"), vec![("format", "html".to_owned())])
                } else {
                    (format!("{V1}/orders/{code}/print"), Vec::new())
                };
                let label: wire::Label = self.get_json(&path, &query).await?;
                Ok(ActionOutcome { status_raw: None, message: label.shipping_label_url.or(label.label_url) })
            }
            OrderAction::AwaitPickup => {
                let path = format!("{V1}/orders/updateDeliveryStatus");
                let body = json!({ "order_code": code, "update_time": wire::format_local(Utc::now()), "status": "ready_for_delivery" });
                let response = self.client.call(Method::POST, &path, &[], Some(&body)).await?;
                Ok(outcome(&response.body, "ready for delivery"))
            }
        }
    }

    fn verify_webhook(&self, _request: &WebhookRequest) -> ConnectorResult<Vec<ChannelEvent>> {
        Err(ConnectorError::Unsupported("Tiki has no order push; events are pulled with drain_events"))
    }

    /// Pulls the queue until it is empty, acknowledging each batch so it is not delivered again.
    async fn drain_events(&self) -> ConnectorResult<Vec<ChannelEvent>> {
        let code = self.queue().await?;
        let pull = format!("{V1}/queues/{code}/events/pull");
        let ack = format!("{V1}/queues/{code}/events/ack");
        let mut events = Vec::new();
        for _ in 0..MAX_PULLS_PER_DRAIN {
            let response = self
                .client
                .call(Method::POST, &pull, &[], Some(&json!({ "max_events": wire::MAX_EVENTS_PER_PULL })))
                .await?;
            let pulled: wire::PulledEvents = response.json(&pull)?;
            if pulled.events.is_empty() {
                break;
            }
            for raw in pulled.events {
                events.push(mapping::event(raw).map_err(|e| ConnectorError::parse(&pull, e, &response.body))?);
            }
            let ack_id =
                pulled.ack_id.ok_or_else(|| ConnectorError::parse(&pull, "events without ack_id", &response.body))?;
            self.client.call(Method::POST, &ack, &[], Some(&json!({ "ack_id": ack_id }))).await?;
        }
        Ok(events)
    }

    async fn current_credentials(&self) -> Credentials {
        self.client.credentials().await
    }
}

/// The order's status after an action, when the answer says it.
fn outcome(body: &[u8], message: &str) -> ActionOutcome {
    let status = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("status").and_then(Value::as_str).map(str::to_owned));
    ActionOutcome { status_raw: status, message: Some(message.to_owned()) }
}
