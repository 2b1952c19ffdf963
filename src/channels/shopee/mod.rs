//! Shopee Open Platform v2 connector (shop APIs under `/api/v2/...` on the partner host).
//!
//! Credentials: `app_key` = partner id, `app_secret` = partner key, `shop_id` = shop id, plus the shop's access
//! and refresh tokens (access 4 h; refresh 30 d, single-use). Signing and push verification: `sign`; the call
//! machinery and token refresh: `client`; wire types: `wire`; mapping to domain types: `mapping`.

mod client;
mod mapping;
mod marketplace;
pub mod sign;
pub mod wire;

pub use marketplace::MARKETPLACE;

use std::collections::{BTreeMap, HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};

use self::client::{Answer, Client};
pub use self::client::{REFRESH_PATH, TOKEN_PATH, authorization_url, is_rate_limited};
use self::wire::{
    ItemBaseInfo, ItemListPage, Model, ModelList, OrderDetail, OrderDetails, OrderListPage, OrderStatusPush, Push,
    ShippingParameter, ShopInfo, UpdateAnswer,
};
use crate::channels::{
    Connector, ConnectorConfig, ConnectorError, ConnectorResult, Credentials, ListingPages, signatures_match,
};
use crate::domain::channel::{
    ActionOutcome, ChannelEvent, ChannelOrder, EventKind, Listing, OrderAction, OrderRef, OrderTimeField, ShopIdentity,
    SkuUpdateResult, StockPriceUpdate, UpdateReport, WebhookRequest, currency_of_country,
};

/// The real API host (global, Singapore-hosted; the Vietnamese shop is addressed by `shop_id` on it).
pub const DEFAULT_BASE_URL: &str = "https://partner.shopeemobile.com";

/// `get_item_list` page size maximum.
pub const ITEM_PAGE_SIZE: usize = 100;
/// `get_item_base_info` ids per call maximum.
pub const ITEM_INFO_BATCH: usize = 50;
/// `update_stock` / `update_price`: one item per call, 1–50 models.
pub const MODELS_PER_UPDATE: usize = 50;
/// `product/update_stock`'s refusal of a bundle ("virtual") SKU item, whose stock Shopee computes from its items
/// (shared/channels/README.md, "Stock-update rules").
pub const VIRTUAL_SKU_STOCK_REFUSED: &str = "error_busi_cannot_edit_vsku";
/// `get_order_list` page size maximum.
pub const ORDER_PAGE_SIZE: usize = 100;
/// `get_order_list` time window maximum (`time_to − time_from`).
pub const ORDER_WINDOW_SECS: i64 = 15 * 24 * 3600;
/// `get_order_detail` order_sn per call maximum.
pub const ORDER_DETAIL_BATCH: usize = 50;
/// Item statuses the hub lists (deleted items are gone for the merchant).
pub const LISTED_ITEM_STATUSES: [&str; 4] = ["NORMAL", "UNLIST", "BANNED", "REVIEWING"];
/// Seller cancellation reasons `cancel_order` accepts.
pub const CANCEL_REASONS: [&str; 4] = ["OUT_OF_STOCK", "CUSTOMER_REQUEST", "UNDELIVERABLE_AREA", "COD_NOT_SUPPORTED"];
/// Optional order detail fields the mapping reads.
const ORDER_DETAIL_FIELDS: &str = "buyer_user_id,buyer_username,recipient_address,item_list,payment_method,total_amount,actual_shipping_fee,estimated_shipping_fee,pay_time";
/// Model-list calls in flight at once while walking listings (the rate limiter still paces them).
const MODEL_LIST_CONCURRENCY: usize = 4;

const SHOP_INFO: &str = "/api/v2/shop/get_shop_info";
const ITEM_LIST: &str = "/api/v2/product/get_item_list";
const ITEM_BASE_INFO: &str = "/api/v2/product/get_item_base_info";
const MODEL_LIST: &str = "/api/v2/product/get_model_list";
const UPDATE_STOCK: &str = "/api/v2/product/update_stock";
const UPDATE_PRICE: &str = "/api/v2/product/update_price";
const ORDER_LIST: &str = "/api/v2/order/get_order_list";
const ORDER_DETAIL: &str = "/api/v2/order/get_order_detail";
const CANCEL_ORDER: &str = "/api/v2/order/cancel_order";
const SHIPPING_PARAMETER: &str = "/api/v2/logistics/get_shipping_parameter";
const SHIP_ORDER: &str = "/api/v2/logistics/ship_order";

/// `[from, to)` split into `get_order_list` windows: `(time_from, time_to)` in seconds, both inclusive
/// (UNCONFIRMED whether `time_to` is inclusive: ours never overlap, and order numbers are deduplicated anyway).
pub fn order_windows(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(i64, i64)> {
    let (mut start, end) = (from.timestamp(), to.timestamp());
    let mut windows = Vec::new();
    while start < end {
        let stop = (start + ORDER_WINDOW_SECS).min(end);
        // Shopee wants time_from strictly before time_to.
        windows.push((start, (stop - 1).max(start + 1)));
        start = stop;
    }
    windows
}

pub struct ShopeeConnector {
    client: Client,
    currency: &'static str,
}

impl ShopeeConnector {
    pub fn new(config: ConnectorConfig) -> ConnectorResult<Self> {
        let currency = currency_of_country(&config.country)
            .ok_or_else(|| ConnectorError::Config(format!("Shopee country {:?} is not supported", config.country)))?;
        let client = Client::new(&config.base_url, config.credentials, config.http, config.tokens)?;
        Ok(Self { client, currency })
    }

    /// Exchanges the consent redirect's `code` for the shop's tokens (saved through the token store).
    pub async fn exchange_code(&self, code: &str) -> ConnectorResult<Credentials> {
        self.client.exchange_code(code, None).await
    }

    async fn get(&self, path: &str, params: &[(&str, String)]) -> ConnectorResult<Answer> {
        self.client.call(path, params, None).await?.ok(path)
    }

    async fn post(&self, path: &str, body: &Value) -> ConnectorResult<Answer> {
        self.client.call(path, &[], Some(body)).await?.ok(path)
    }

    async fn item_ids(&self) -> ConnectorResult<Vec<u64>> {
        let mut ids = Vec::new();
        let mut offset = 0i64;
        loop {
            let mut params = vec![("offset", offset.to_string()), ("page_size", ITEM_PAGE_SIZE.to_string())];
            params.extend(LISTED_ITEM_STATUSES.iter().map(|s| ("item_status", (*s).to_owned())));
            let page: ItemListPage = self.get(ITEM_LIST, &params).await?.response(ITEM_LIST)?;
            ids.extend(page.item.iter().map(|i| i.item_id));
            if !page.has_next_page || page.item.is_empty() {
                return Ok(ids);
            }
            if page.next_offset <= offset {
                return Err(ConnectorError::Parse {
                    path: ITEM_LIST.to_owned(),
                    message: format!("next_offset {} does not advance past {offset}", page.next_offset),
                    body: String::new(),
                });
            }
            offset = page.next_offset;
        }
    }

    async fn base_infos(&self, ids: &[u64]) -> ConnectorResult<Vec<(ItemBaseInfo, Value)>> {
        let mut items = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(ITEM_INFO_BATCH) {
            let list = chunk.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
            let answer = self.get(ITEM_BASE_INFO, &[("item_id_list", list)]).await?;
            #[derive(serde::Deserialize)]
            struct ItemList {
                #[serde(default)]
                item_list: Vec<Value>,
            }
            let list: ItemList = answer.response(ITEM_BASE_INFO)?;
            for raw in list.item_list {
                let item: ItemBaseInfo = serde_json::from_value(raw.clone())
                    .map_err(|e| ConnectorError::parse(ITEM_BASE_INFO, e, raw.to_string().as_bytes()))?;
                items.push((item, raw));
            }
        }
        Ok(items)
    }

    async fn model_listings(&self, item: &ItemBaseInfo) -> ConnectorResult<Vec<Listing>> {
        let models: ModelList =
            self.get(MODEL_LIST, &[("item_id", item.item_id.to_string())]).await?.response(MODEL_LIST)?;
        models
            .model
            .iter()
            .map(|raw| {
                let model: Model = serde_json::from_value(raw.clone())
                    .map_err(|e| ConnectorError::parse(MODEL_LIST, e, raw.to_string().as_bytes()))?;
                Ok(mapping::model_listing(item, &models.tier_variation, &model, raw.clone(), self.currency))
            })
            .collect()
    }

    /// One `update_stock` or `update_price` call for one item; the per-model outcome (`Err` = refusal text).
    async fn update_models(
        &self,
        path: &str,
        body: Value,
        model_ids: &[u64],
    ) -> ConnectorResult<HashMap<u64, Result<(), String>>> {
        let answer = self.client.call(path, &[], Some(&body)).await?;
        let has_lists = answer
            .body
            .get("response")
            .is_some_and(|r| r.get("success_list").is_some() || r.get("failure_list").is_some());
        if !answer.error.is_empty() && !has_lists {
            // The whole call was refused (unknown item, promotion lock, …): every model of it failed.
            let reason = format!("{}: {}", answer.error, answer.message);
            return Ok(model_ids.iter().map(|id| (*id, Err(reason.clone()))).collect());
        }
        let lists: UpdateAnswer = answer.response(path)?;
        let mut outcome: HashMap<u64, Result<(), String>> =
            model_ids.iter().map(|id| (*id, Err("not in Shopee's answer".to_owned()))).collect();
        for success in lists.success_list {
            outcome.insert(success.model_id, Ok(()));
        }
        for failure in lists.failure_list {
            outcome.insert(failure.model_id, Err(failure.failed_reason));
        }
        Ok(outcome)
    }

    async fn order_details(&self, order_sns: &[String]) -> ConnectorResult<Vec<(OrderDetail, Value)>> {
        let mut orders = Vec::with_capacity(order_sns.len());
        for chunk in order_sns.chunks(ORDER_DETAIL_BATCH) {
            let params =
                [("order_sn_list", chunk.join(",")), ("response_optional_fields", ORDER_DETAIL_FIELDS.to_owned())];
            let answer = self.get(ORDER_DETAIL, &params).await?;
            let details: OrderDetails = answer.response(ORDER_DETAIL)?;
            for raw in details.order_list {
                let detail: OrderDetail = serde_json::from_value(raw.clone())
                    .map_err(|e| ConnectorError::parse(ORDER_DETAIL, e, raw.to_string().as_bytes()))?;
                orders.push((detail, raw));
            }
        }
        Ok(orders)
    }

    async fn order_status(&self, order_sn: &str) -> ConnectorResult<Option<String>> {
        let details = self.order_details(&[order_sn.to_owned()]).await?;
        Ok(details.into_iter().next().map(|(d, _)| d.order_status))
    }

    /// Arrange shipment: read the shipping parameters, then `ship_order` with the one mode Shopee asks for.
    async fn ship(&self, order_sn: &str) -> ConnectorResult<()> {
        let parameter: ShippingParameter =
            self.get(SHIPPING_PARAMETER, &[("order_sn", order_sn.to_owned())]).await?.response(SHIPPING_PARAMETER)?;
        let needed = &parameter.info_needed;
        let mut body = json!({ "order_sn": order_sn });
        if let Some(fields) = &needed.pickup {
            let mut pickup = serde_json::Map::new();
            let addresses = parameter.pickup.as_ref().map(|p| p.address_list.as_slice()).unwrap_or_default();
            let address = addresses
                .iter()
                .find(|a| a.address_flag.iter().any(|f| f == "pickup_address"))
                .or_else(|| addresses.first());
            if fields.iter().any(|f| f == "address_id") {
                let address = address.ok_or(ConnectorError::Unsupported("Shopee pickup without a pickup address"))?;
                pickup.insert("address_id".into(), json!(address.address_id));
            }
            if fields.iter().any(|f| f == "pickup_time_id") {
                let slot = address.and_then(|a| a.time_slot_list.as_ref()).and_then(|slots| slots.first());
                let slot = slot.ok_or(ConnectorError::Unsupported("Shopee pickup without a pickup time slot"))?;
                pickup.insert("pickup_time_id".into(), json!(slot.pickup_time_id));
            }
            if fields.iter().any(|f| f == "tracking_number") {
                return Err(ConnectorError::Unsupported("Shopee pickup needing a seller tracking number"));
            }
            body["pickup"] = Value::Object(pickup);
        } else if let Some(fields) = &needed.dropoff {
            let mut dropoff = serde_json::Map::new();
            if fields.iter().any(|f| f == "sender_real_name" || f == "tracking_number") {
                return Err(ConnectorError::Unsupported("Shopee drop-off needing a sender name or tracking number"));
            }
            if fields.iter().any(|f| f == "branch_id") {
                let branch = parameter.dropoff.as_ref().and_then(|d| d.branch_list.as_ref()).and_then(|b| b.first());
                let branch = branch.ok_or(ConnectorError::Unsupported("Shopee drop-off without a branch"))?;
                dropoff.insert("branch_id".into(), json!(branch.branch_id));
            }
            body["dropoff"] = Value::Object(dropoff);
        } else {
            // Non-integrated channels take an optional tracking number; we have none to give.
            body["non_integrated"] = json!({});
        }
        self.post(SHIP_ORDER, &body).await.map(drop)
    }

    async fn cancel(&self, order_sn: &str, reason: &str) -> ConnectorResult<()> {
        let mut body = json!({ "order_sn": order_sn, "cancel_reason": reason });
        if reason == "OUT_OF_STOCK" {
            // Shopee requires the items then; cancelling the whole order names all of them.
            let details = self.order_details(&[order_sn.to_owned()]).await?;
            let items: Vec<Value> = details
                .iter()
                .flat_map(|(d, _)| d.item_list.iter().map(|i| json!({ "item_id": i.item_id, "model_id": i.model_id })))
                .collect();
            body["item_list"] = Value::Array(items);
        }
        self.post(CANCEL_ORDER, &body).await.map(drop)
    }
}

/// Dedup key of a push: stable per event (order pushes by order, status and time; others by their body).
fn push_dedup_key(push: &Push, order: Option<&OrderStatusPush>, body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    match order {
        Some(o) => format!(
            "shopee:{}:{}:{}:{}:{}",
            push.shop_id.unwrap_or_default(),
            push.code,
            o.ordersn,
            o.status,
            o.update_time.or(push.timestamp).unwrap_or_default()
        ),
        None => format!("shopee:{}:{}", push.code, hex::encode(Sha256::digest(body))),
    }
}

#[async_trait]
impl Connector for ShopeeConnector {
    fn kind(&self) -> crate::channels::ChannelKind {
        crate::channels::ChannelKind::Shopee
    }

    fn requests_in_doubt_until(&self) -> Option<std::time::Instant> {
        self.client.api().in_doubt_until()
    }

    async fn shop_identity(&self) -> ConnectorResult<ShopIdentity> {
        let info: ShopInfo = self.get(SHOP_INFO, &[]).await?.whole(SHOP_INFO)?;
        let shop_id = client::shop_id_of(&self.client.credentials().await)?;
        Ok(ShopIdentity {
            external_id: shop_id.to_string(),
            name: info.shop_name,
            country: info.region.filter(|r| !r.is_empty()),
        })
    }

    async fn stream_listings(&self, pages: ListingPages) -> ConnectorResult<()> {
        // The ids are small; the items' details go page by page, one base-info call's worth at a time.
        let ids = self.item_ids().await?;
        for chunk in ids.chunks(ITEM_INFO_BATCH) {
            let items = self.base_infos(chunk).await?;
            let per_item: Vec<Vec<Listing>> = futures::stream::iter(items)
                .map(|(item, raw)| async move {
                    if item.has_model {
                        self.model_listings(&item).await
                    } else {
                        Ok(vec![mapping::item_listing(&item, raw, self.currency)])
                    }
                })
                .buffered(MODEL_LIST_CONCURRENCY)
                .try_collect()
                .await?;
            if !pages.send(per_item.into_iter().flatten().collect()).await {
                return Ok(());
            }
        }
        Ok(())
    }

    async fn update_stock_price(&self, updates: &[StockPriceUpdate]) -> ConnectorResult<UpdateReport> {
        let mut report = UpdateReport::default();
        // Outcome per (item, model): stock and price refusals both count.
        let mut failures: HashMap<(String, u64), String> = HashMap::new();
        let mut by_item: BTreeMap<&str, Vec<(u64, &StockPriceUpdate)>> = BTreeMap::new();
        for update in updates {
            match mapping::model_id_of(&update.external_product_id, &update.external_sku_id) {
                Some(model_id) => {
                    by_item.entry(update.external_product_id.as_str()).or_default().push((model_id, update));
                }
                None => {
                    failures.insert(
                        (update.external_product_id.clone(), u64::MAX),
                        format!("SKU id {:?} is not a Shopee model id", update.external_sku_id),
                    );
                }
            }
        }
        for (item, models) in &by_item {
            let item_id: u64 = match item.parse() {
                Ok(id) => id,
                Err(_) => {
                    for (model_id, _) in models {
                        failures.insert(
                            ((*item).to_owned(), *model_id),
                            format!("product id {item:?} is not a Shopee item id"),
                        );
                    }
                    continue;
                }
            };
            let stock: Vec<(u64, i64)> = models.iter().filter_map(|(m, u)| u.quantity.map(|q| (*m, q))).collect();
            for chunk in stock.chunks(MODELS_PER_UPDATE) {
                let list: Vec<Value> =
                    chunk.iter().map(|(m, q)| json!({ "model_id": m, "seller_stock": [{ "stock": q }] })).collect();
                let ids: Vec<u64> = chunk.iter().map(|(m, _)| *m).collect();
                report.calls += 1;
                for (model_id, outcome) in
                    self.update_models(UPDATE_STOCK, json!({ "item_id": item_id, "stock_list": list }), &ids).await?
                {
                    if let Err(reason) = outcome {
                        failures.entry(((*item).to_owned(), model_id)).or_insert(format!("stock: {reason}"));
                    }
                }
            }
            let prices: Vec<(u64, i64)> = models.iter().filter_map(|(m, u)| u.price_minor.map(|p| (*m, p))).collect();
            for chunk in prices.chunks(MODELS_PER_UPDATE) {
                let list: Vec<Value> = chunk
                    .iter()
                    .map(|(m, p)| json!({ "model_id": m, "original_price": mapping::from_minor(*p, self.currency) }))
                    .collect();
                let ids: Vec<u64> = chunk.iter().map(|(m, _)| *m).collect();
                report.calls += 1;
                for (model_id, outcome) in
                    self.update_models(UPDATE_PRICE, json!({ "item_id": item_id, "price_list": list }), &ids).await?
                {
                    if let Err(reason) = outcome {
                        failures.entry(((*item).to_owned(), model_id)).or_insert(format!("price: {reason}"));
                    }
                }
            }
        }
        report.results = updates
            .iter()
            .map(|u| {
                let model_id = mapping::model_id_of(&u.external_product_id, &u.external_sku_id).unwrap_or(u64::MAX);
                let error = failures.get(&(u.external_product_id.clone(), model_id)).cloned();
                SkuUpdateResult { external_sku_id: u.external_sku_id.clone(), ok: error.is_none(), error }
            })
            .collect();
        Ok(report)
    }

    async fn list_orders(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        by: OrderTimeField,
    ) -> ConnectorResult<Vec<OrderRef>> {
        let field = match by {
            OrderTimeField::Created => "create_time",
            OrderTimeField::Updated => "update_time",
        };
        let mut seen = HashSet::new();
        let mut orders = Vec::new();
        for (time_from, time_to) in order_windows(from, to) {
            let mut cursor = String::new();
            loop {
                let params = [
                    ("time_range_field", field.to_owned()),
                    ("time_from", time_from.to_string()),
                    ("time_to", time_to.to_string()),
                    ("page_size", ORDER_PAGE_SIZE.to_string()),
                    ("cursor", cursor.clone()),
                    ("response_optional_fields", "order_status".to_owned()),
                ];
                let page: OrderListPage = self.get(ORDER_LIST, &params).await?.response(ORDER_LIST)?;
                for entry in page.order_list {
                    if seen.insert(entry.order_sn.clone()) {
                        orders.push(OrderRef {
                            external_id: entry.order_sn,
                            status_raw: entry.order_status,
                            updated_at: None,
                        });
                    }
                }
                if !page.more || page.next_cursor.is_empty() || page.next_cursor == cursor {
                    break;
                }
                cursor = page.next_cursor;
            }
        }
        Ok(orders)
    }

    async fn get_orders(&self, external_ids: &[String]) -> ConnectorResult<Vec<ChannelOrder>> {
        let details = self.order_details(external_ids).await?;
        Ok(details.iter().map(|(detail, raw)| mapping::order(detail, raw.clone(), self.currency)).collect())
    }

    async fn order_action(&self, external_order_id: &str, action: &OrderAction) -> ConnectorResult<ActionOutcome> {
        match action {
            OrderAction::ReadyToShip => self.ship(external_order_id).await?,
            // The reason goes verbatim: Shopee refuses anything but its four codes with its own error.
            OrderAction::Cancel { reason } => self.cancel(external_order_id, reason.trim()).await?,
            OrderAction::PrintLabel => {
                return Err(ConnectorError::Unsupported("Shopee shipping documents (print label)"));
            }
            OrderAction::AwaitPickup => {
                return Err(ConnectorError::Unsupported(
                    "Shopee has no await-pickup action (pickup is arranged by ship_order)",
                ));
            }
        }
        // The action answers no status; read it back (READY_TO_SHIP → PROCESSED, or CANCELLED).
        Ok(ActionOutcome { status_raw: self.order_status(external_order_id).await?, message: None })
    }

    fn verify_webhook(&self, request: &WebhookRequest) -> ConnectorResult<Vec<ChannelEvent>> {
        let given = request
            .header("Authorization")
            .ok_or_else(|| ConnectorError::BadWebhook("no Authorization header".into()))?;
        let expected = sign::push_signature(self.client.partner_key(), &request.url, &request.body);
        if !signatures_match(&expected, given.trim(), true) {
            return Err(ConnectorError::BadWebhook("Authorization does not match the body".into()));
        }
        let raw: Value = serde_json::from_slice(&request.body)
            .map_err(|e| ConnectorError::BadWebhook(format!("body is not JSON: {e}")))?;
        let push: Push = serde_json::from_value(raw.clone())
            .map_err(|e| ConnectorError::BadWebhook(format!("not a Shopee push: {e}")))?;
        let order: Option<OrderStatusPush> = if push.code == 3 {
            Some(
                serde_json::from_value(push.data.clone())
                    .map_err(|e| ConnectorError::BadWebhook(format!("order push without order data: {e}")))?,
            )
        } else {
            None
        };
        let kind = match push.code {
            3 => EventKind::OrderStatusChanged,
            // Banned item, item promotion, reserved stock change.
            6..=8 => EventKind::ProductChanged,
            12 => EventKind::TokenExpiring,
            _ => EventKind::Other,
        };
        let occurred =
            order.as_ref().and_then(|o| o.update_time).or(push.timestamp).and_then(|s| DateTime::from_timestamp(s, 0));
        Ok(vec![ChannelEvent {
            kind,
            dedup_key: push_dedup_key(&push, order.as_ref(), &request.body),
            external_order_id: order.as_ref().map(|o| o.ordersn.clone()),
            status_raw: order.map(|o| o.status),
            occurred_at: occurred,
            raw,
        }])
    }

    /// Shopee's redirect carries `code` and `shop_id` (the shop the seller authorised).
    async fn exchange_authorization_code(
        &self,
        code: &str,
        callback: &[(String, String)],
        _redirect_uri: Option<&str>,
    ) -> ConnectorResult<Credentials> {
        let shop_id = callback.iter().find(|(k, _)| k == "shop_id").map(|(_, v)| v.as_str());
        self.client.exchange_code(code, shop_id).await
    }

    async fn current_credentials(&self) -> Credentials {
        self.client.credentials().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_ninety_day_range_is_walked_in_six_fifteen_day_windows_without_overlap() {
        let from = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().expect("date");
        let to = from + chrono::Duration::days(90);
        let windows = order_windows(from, to);
        assert_eq!(windows.len(), 6);
        assert_eq!(windows[0], (from.timestamp(), from.timestamp() + ORDER_WINDOW_SECS - 1));
        for pair in windows.windows(2) {
            assert_eq!(pair[1].0, pair[0].1 + 1, "contiguous and not overlapping");
        }
        assert!(windows.iter().all(|(a, b)| b > a && b - a <= ORDER_WINDOW_SECS));
        assert_eq!(windows.last().map(|w| w.1), Some(to.timestamp() - 1));
        assert!(order_windows(to, from).is_empty());
    }
}
