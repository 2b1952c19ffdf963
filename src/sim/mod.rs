//! Local simulators of each marketplace, speaking the real wire protocol on the real paths, as strict as the
//! real ones (signatures, page sizes, batch maxima, windows, token expiry, error shapes). Tests, the demo and
//! `omnisync sim` use them; any client of the real API works against them by changing only the host.
//!
//! Shared here: the state (`SimState`: credentials, the in-memory shop, faults), the fault middleware, the
//! control API under `/_sim/…`, and webhook delivery. Each marketplace module implements `MarketplaceSim`.

pub mod control;
pub mod fixtures;
pub mod lazada;
pub mod push_addresses;
pub mod quota;
pub mod shopee;
pub mod store;
pub mod tiki;
pub mod tiktok;
pub mod webstore;

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::channels::registry::Fact;
use crate::channels::{ChannelKind, Credentials};
pub use store::{SimOrder, SimOrderLine, SimProduct, SimSku, SimStore};

/// A marketplace's behaviour in the simulator.
pub trait MarketplaceSim: Send + Sync + 'static {
    fn kind(&self) -> ChannelKind;
    /// The app/shop credentials the simulator accepts (tokens are issued at start, see `start`).
    fn credentials(&self) -> Credentials;
    /// Out of the credentials the simulator holds, the ones a hub connects with (the demo, tests).
    fn connect_credentials(&self, issued: &Credentials) -> Credentials {
        issued.clone()
    }
    /// Whether calls carry OAuth access tokens (then the simulator issues a pair at start).
    fn uses_oauth(&self) -> bool {
        true
    }
    /// Registers the marketplace's real API routes (handlers read `web::Data<Arc<SimState>>`).
    fn configure(&self, cfg: &mut web::ServiceConfig);
    /// Every raw order status the API can return; the control API accepts only these.
    fn order_statuses(&self) -> &'static [&'static str];
    /// Status of a newly placed order.
    fn initial_order_status(&self) -> &'static str;
    /// How the demo's traffic walks an order through the statuses.
    fn status_walk(&self) -> StatusWalk;
    /// The status the order lists show a hub for a raw status (the marketplace may hide some from callers that
    /// did not ask for them).
    fn listed_status(&self, raw: &'static str) -> &'static str {
        raw
    }
    /// The simulator's order id behind an external order id.
    fn order_id_of(&self, external_id: &str) -> Option<u64> {
        external_id.parse().ok()
    }
    /// The marketplace's answer when rate limiting.
    fn rate_limited(&self) -> HttpResponse;
    /// How the marketplace counts requests against its quota.
    fn quota(&self) -> quota::Quota;
    /// The protocol facts the simulator enforces that the connector relies on too (limits, names, codes), written
    /// from the marketplace's documentation apart from the connector's (`channels::Marketplace::facts`).
    fn facts(&self) -> &'static [(&'static str, Fact)];
    /// The marketplace's answer on an internal error.
    fn server_error(&self) -> HttpResponse {
        HttpResponse::InternalServerError().content_type("text/plain").body("internal server error")
    }
    /// The push the marketplace sends when an order is created or changes status (`None`: it has no push).
    fn order_webhook(&self, state: &SimState, order: &SimOrder, created: bool) -> Option<WebhookPush>;
    /// Called with the store locked after an order is created or changes (Tiki records its event queue here).
    fn on_order_changed(&self, _store: &mut SimStore, _order_id: u64, _created: bool) {}
}

/// Raw statuses an order walks through: forward `steps` (the last one final), the cancellation, and the return
/// from the final step where the marketplace has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusWalk {
    pub steps: &'static [&'static str],
    pub cancel: &'static str,
    pub returned: Option<&'static str>,
}

/// A webhook the simulator will POST to the addresses of its topic (`push_addresses`).
#[derive(Debug, Clone)]
pub struct WebhookPush {
    /// The marketplace's name of the event, as subscriptions name it.
    pub topic: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Faults injected into the real API routes (never into `/_sim`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    RateLimit,
    ServerError,
    /// Answer after this many milliseconds.
    Slow(u64),
    /// Close the connection without an answer.
    Drop,
}

/// Random fault probabilities applied to every request (0.0 to 1.0), for long fault runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FaultRates {
    pub server_error: f64,
    pub timeout: f64,
    pub rate_limit: f64,
    /// How long a "timeout" answer is delayed (milliseconds).
    pub timeout_ms: u64,
}

#[derive(Default)]
struct Faults {
    queue: VecDeque<Fault>,
    rates: FaultRates,
}

/// Everything one simulator holds.
pub struct SimState {
    pub kind: ChannelKind,
    pub base_url: String,
    /// The credentials a client should use (also printed by `omnisync sim`).
    pub credentials: Credentials,
    pub store: Mutex<SimStore>,
    faults: Mutex<Faults>,
    push_addresses: Mutex<push_addresses::PushAddresses>,
    /// Orders are refused beyond a listing's quantity and lower it (off: tests that only need orders to exist
    /// place them whatever the listing shows).
    enforce_stock: AtomicBool,
    /// How long after an order event its push leaves (milliseconds; 0: at once, awaited by the caller).
    webhook_delay_ms: AtomicU64,
    quota: Mutex<quota::QuotaCounter>,
    /// Requests to the marketplace's API routes (the control API not counted).
    api_requests: AtomicU64,
    http: reqwest::Client,
    pub(crate) marketplace: Arc<dyn MarketplaceSim>,
}

impl SimState {
    /// The marketplace's lower-case name (logs, the control API).
    pub fn slug(&self) -> &'static str {
        crate::channels::marketplace(self.kind).slug
    }

    /// The marketplace this simulator plays.
    pub fn marketplace(&self) -> &dyn MarketplaceSim {
        self.marketplace.as_ref()
    }

    /// The shop, locked. A poisoned lock (a panicked handler) still gives the data: the simulator keeps serving.
    pub fn store(&self) -> MutexGuard<'_, SimStore> {
        self.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn inject(&self, fault: Fault, count: usize) {
        let mut faults = self.faults.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        faults.queue.extend(std::iter::repeat_n(fault, count));
    }

    pub fn set_fault_rates(&self, rates: FaultRates) {
        self.faults.lock().unwrap_or_else(std::sync::PoisonError::into_inner).rates = rates;
    }

    /// Counts a request against the marketplace's quota; false: refuse it as the marketplace would.
    fn admit(&self, path: &str) -> bool {
        self.quota.lock().unwrap_or_else(std::sync::PoisonError::into_inner).admit(
            self.marketplace.quota(),
            path,
            std::time::Instant::now(),
        )
    }

    /// Requests that reached the marketplace's API routes so far (refused ones included; `/_sim` not counted).
    pub fn api_requests(&self) -> u64 {
        self.api_requests.load(Ordering::SeqCst)
    }

    /// Requests refused for exceeding the marketplace's quota.
    pub fn quota_refusals(&self) -> u64 {
        self.quota.lock().unwrap_or_else(std::sync::PoisonError::into_inner).refused()
    }

    fn next_fault(&self) -> Option<Fault> {
        let mut faults = self.faults.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(f) = faults.queue.pop_front() {
            return Some(f);
        }
        let rates = faults.rates;
        let roll: f64 = rand::rng().random();
        if roll < rates.server_error {
            Some(Fault::ServerError)
        } else if roll < rates.server_error + rates.timeout {
            Some(Fault::Slow(rates.timeout_ms.max(1)))
        } else if roll < rates.server_error + rates.timeout + rates.rate_limit {
            Some(Fault::RateLimit)
        } else {
            None
        }
    }

    /// The address set in the marketplace's console; `None` also removes the subscriptions registered through
    /// the API, so the marketplace pushes nowhere.
    pub fn set_webhook_url(&self, url: Option<String>) {
        self.push_addresses().set_console(url);
    }

    /// The console's push address.
    pub fn webhook_url(&self) -> Option<String> {
        self.push_addresses().console()
    }

    /// The push addresses, locked: the console's and the API's subscriptions.
    pub fn push_addresses(&self) -> MutexGuard<'_, push_addresses::PushAddresses> {
        self.push_addresses.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every address a push of `topic` goes to.
    pub fn push_targets(&self, topic: &str) -> Vec<String> {
        self.push_addresses().targets(topic)
    }

    /// Delivers a push to every address of its topic (awaited, so tests stay deterministic); failures are logged,
    /// not retried.
    pub async fn deliver(&self, push: WebhookPush) {
        send_push(&self.http, self.slug(), self.push_targets(&push.topic), &push).await;
    }

    /// Order pushes leave this long after the event (a marketplace's own queueing, or a slow network), delivered in
    /// the background so the order call returns at once; `Duration::ZERO` (the default) delivers inline.
    pub fn set_webhook_delay(&self, delay: Duration) {
        self.webhook_delay_ms.store(delay.as_millis().try_into().unwrap_or(u64::MAX), Ordering::SeqCst);
    }

    /// On: behave like a real marketplace — an order for more than a listing's quantity is refused, and a placed
    /// order lowers it. Off (the default): orders never look at quantities.
    pub fn set_enforce_stock(&self, on: bool) {
        self.enforce_stock.store(on, Ordering::SeqCst);
    }

    /// Places an order for `(seller_sku, quantity)` lines at `created_at` (now when `None`); fires the
    /// marketplace's push. Unknown SKUs are refused; with `set_enforce_stock(true)`, so is an order for more than
    /// a listing holds (nothing changes then), and an accepted one lowers the listings.
    pub async fn create_order(
        &self,
        lines: &[(String, i64)],
        created_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<SimOrder, String> {
        self.create_order_by(&Buyer::default(), lines, created_at).await
    }

    /// An order placed by `buyer` (its name and phone, as the marketplace gives them).
    pub async fn create_order_by(
        &self,
        buyer: &Buyer,
        lines: &[(String, i64)],
        created_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<SimOrder, String> {
        let order = {
            let mut store = self.store();
            let mut order_lines = Vec::new();
            for (seller_sku, quantity) in lines {
                let (product, sku) =
                    store.sku_by_seller_sku(seller_sku).ok_or_else(|| format!("unknown seller SKU {seller_sku}"))?;
                let (product_id, sku_id, title, price) = (product.id, sku.id, product.title.clone(), sku.price);
                order_lines.push(SimOrderLine {
                    id: 0,
                    product_id,
                    sku_id,
                    seller_sku: seller_sku.clone(),
                    title,
                    quantity: *quantity,
                    price,
                    status: self.marketplace.initial_order_status().to_owned(),
                });
            }
            if self.enforce_stock.load(Ordering::SeqCst) {
                // Checked and taken under the one store lock, so concurrent buyers can't both get the last unit.
                let mut wanted: Vec<(u64, i64)> = Vec::new();
                for line in &order_lines {
                    match wanted.iter_mut().find(|(id, _)| *id == line.sku_id) {
                        Some((_, q)) => *q += line.quantity,
                        None => wanted.push((line.sku_id, line.quantity)),
                    }
                }
                for (sku_id, quantity) in &wanted {
                    let sku = store.sku_mut(*sku_id).ok_or_else(|| format!("unknown SKU {sku_id}"))?;
                    if sku.quantity < *quantity {
                        return Err(format!(
                            "insufficient stock for {}: {} left, {quantity} ordered",
                            sku.seller_sku, sku.quantity
                        ));
                    }
                }
                for (sku_id, quantity) in &wanted {
                    if let Some(sku) = store.sku_mut(*sku_id) {
                        sku.quantity -= quantity;
                    }
                }
            }
            for line in &mut order_lines {
                line.id = store.next_id();
            }
            let id = store.next_id();
            let at = created_at.unwrap_or_else(chrono::Utc::now);
            let order = SimOrder {
                id,
                order_number: format!("{}{id}", self.kind.as_str().chars().take(2).collect::<String>()),
                status: self.marketplace.initial_order_status().to_owned(),
                created_at: at,
                updated_at: at,
                buyer_name: buyer.name.clone(),
                buyer_phone: buyer.phone.clone(),
                address: "12 Lê Lợi".into(),
                ward: "Phường Bến Nghé".into(),
                district: "Quận 1".into(),
                province: "Hồ Chí Minh".into(),
                shipping_fee: 15_000,
                cancel_reason: None,
                lines: order_lines,
                package_id: None,
            };
            store.orders.push(order.clone());
            self.marketplace.on_order_changed(&mut store, id, true);
            order
        };
        self.push_order_webhook(&order, true).await;
        Ok(order)
    }

    /// Moves an order (and its lines) to a raw status the marketplace knows; fires the push.
    pub async fn set_order_status(&self, order_id: u64, status: &str) -> Result<SimOrder, String> {
        if !self.marketplace.order_statuses().contains(&status) {
            return Err(format!("{status} is not a {} order status", self.slug()));
        }
        let order = {
            let mut store = self.store();
            let order = store.order_mut(order_id).ok_or_else(|| format!("no order {order_id}"))?;
            order.status = status.to_owned();
            order.updated_at = chrono::Utc::now();
            for line in &mut order.lines {
                line.status = status.to_owned();
            }
            let order = order.clone();
            self.marketplace.on_order_changed(&mut store, order_id, false);
            order
        };
        self.push_order_webhook(&order, false).await;
        Ok(order)
    }

    /// Delivers the order push now (awaited, so tests are deterministic); failures are logged, not retried.
    /// With a webhook delay set (`set_webhook_delay`), it is sent later instead, from a task of its own, to the
    /// addresses of the time of the event.
    pub async fn push_order_webhook(&self, order: &SimOrder, created: bool) {
        let Some(push) = self.marketplace.order_webhook(self, order, created) else { return };
        let delay = Duration::from_millis(self.webhook_delay_ms.load(Ordering::SeqCst));
        if delay.is_zero() {
            self.deliver(push).await;
            return;
        }
        let (http, slug, targets) = (self.http.clone(), self.slug(), self.push_targets(&push.topic));
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            send_push(&http, slug, targets, &push).await;
        });
    }
}

/// POSTs `push` to each of `targets`; failures are logged, not retried.
async fn send_push(http: &reqwest::Client, slug: &'static str, targets: Vec<String>, push: &WebhookPush) {
    for url in targets {
        let mut request = http.post(&url).body(push.body.clone());
        for (name, value) in &push.headers {
            request = request.header(name, value);
        }
        match request.timeout(Duration::from_secs(5)).send().await {
            Ok(resp) => {
                tracing::debug!(kind = slug, status = resp.status().as_u16(), "simulator pushed a webhook");
            }
            Err(err) => tracing::warn!(kind = slug, error = %err, "simulator webhook delivery failed"),
        }
    }
}

/// A running simulator.
#[derive(Clone)]
pub struct SimHandle {
    pub kind: ChannelKind,
    pub base_url: String,
    pub state: Arc<SimState>,
}

/// Who places a simulated order: its name and phone as the marketplace gives them.
#[derive(Debug, Clone)]
pub struct Buyer {
    pub name: String,
    pub phone: String,
}

impl Default for Buyer {
    fn default() -> Self {
        Self { name: "Nguyễn Văn A".into(), phone: "0901234567".into() }
    }
}

/// Starts `marketplace` on `listener` with `seed_products` seeded products (SKUs `SKU-0001-1`, …); returns once
/// it accepts requests. Must be called inside a tokio runtime.
pub fn start(
    marketplace: Arc<dyn MarketplaceSim>,
    listener: TcpListener,
    credentials: Credentials,
    seed: u64,
    seed_products: usize,
) -> std::io::Result<SimHandle> {
    let addr = listener.local_addr()?;
    let kind = marketplace.kind();
    let base_url = format!("http://{addr}");
    let mut store = SimStore::default();
    store.seed(seed, seed_products, "SKU-");
    let mut credentials = credentials;
    if marketplace.uses_oauth() {
        // A ready-to-use pair, as if the seller had just authorised the app.
        let issued = store.tokens.issue(chrono::Duration::hours(4), chrono::Duration::days(30));
        let now = chrono::Utc::now();
        credentials.access_token = Some(issued.access_token);
        credentials.refresh_token = Some(issued.refresh_token);
        credentials.access_token_expires_at = Some(now + chrono::Duration::seconds(issued.access_expires_in));
        credentials.refresh_token_expires_at = Some(now + chrono::Duration::seconds(issued.refresh_expires_in));
    }
    let state = Arc::new(SimState {
        kind,
        base_url: base_url.clone(),
        credentials,
        store: Mutex::new(store),
        faults: Mutex::new(Faults::default()),
        push_addresses: Mutex::default(),
        enforce_stock: AtomicBool::new(false),
        webhook_delay_ms: AtomicU64::new(0),
        quota: Mutex::default(),
        api_requests: AtomicU64::new(0),
        http: reqwest::Client::new(),
        marketplace: marketplace.clone(),
    });
    let data = web::Data::new(state.clone());
    let server = HttpServer::new(move || {
        let marketplace = marketplace.clone();
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(8 * 1024 * 1024))
            .configure(control::configure)
            .service(web::scope("").wrap(from_fn(inject_faults)).configure(move |cfg| marketplace.configure(cfg)))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    tokio::spawn(server);
    Ok(SimHandle { kind, base_url, state })
}

/// Refuses a request over the marketplace's quota, then applies the next injected fault, if any, before the real
/// handler runs.
async fn inject_faults(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse, actix_web::Error> {
    let state = req.app_data::<web::Data<Arc<SimState>>>().map(|d| d.get_ref().clone());
    if let Some(state) = state {
        state.api_requests.fetch_add(1, Ordering::SeqCst);
        if !state.admit(req.path()) {
            return Ok(req.into_response(state.marketplace.rate_limited()));
        }
        match state.next_fault() {
            Some(Fault::RateLimit) => return Ok(req.into_response(state.marketplace.rate_limited())),
            Some(Fault::ServerError) => return Ok(req.into_response(state.marketplace.server_error())),
            Some(Fault::Drop) => {
                let broken = futures::stream::once(async {
                    Err::<web::Bytes, _>(std::io::Error::other("connection dropped by the simulator"))
                });
                return Ok(req.into_response(HttpResponse::Ok().streaming(broken)));
            }
            Some(Fault::Slow(ms)) => tokio::time::sleep(Duration::from_millis(ms)).await,
            None => {}
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The simulator of `kind`: the one table from a kind to its simulator.
pub fn marketplace(kind: ChannelKind) -> Arc<dyn MarketplaceSim> {
    match kind {
        ChannelKind::Lazada => Arc::new(lazada::LazadaSim),
        ChannelKind::Shopee => Arc::new(shopee::ShopeeSim),
        ChannelKind::Tiki => Arc::new(tiki::TikiSim),
        ChannelKind::Tiktok => Arc::new(tiktok::TiktokSim),
        ChannelKind::Webstore => Arc::new(webstore::WebstoreSim),
    }
}

/// The app/shop credentials a simulator of `kind` accepts (tokens are issued at start, see `start`).
pub fn default_credentials(kind: ChannelKind) -> Credentials {
    marketplace(kind).credentials()
}

/// Starts one simulator of `kind` on `listener`: its credentials' access token is registered as valid.
pub fn start_kind(
    kind: ChannelKind,
    listener: TcpListener,
    seed: u64,
    seed_products: usize,
) -> std::io::Result<SimHandle> {
    let marketplace = marketplace(kind);
    let credentials = marketplace.credentials();
    start(marketplace, listener, credentials, seed, seed_products)
}

/// `omnisync sim`: one of each marketplace, on ports `port`, `port+1`, …; returns their handles in the order of
/// the registry (`channels::registry::all`).
pub fn start_all(host: &str, port: u16, seed: u64, seed_products: usize) -> std::io::Result<Vec<SimHandle>> {
    crate::channels::registry::all()
        .enumerate()
        .map(|(i, m)| {
            let listener = TcpListener::bind((host, port + i as u16))?;
            start_kind(m.kind, listener, seed, seed_products)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;
    use crate::channels::registry::{self, SKUS_PER_UPDATE_CALL};
    use crate::domain::order_status::map_status;

    /// Each side read the marketplace's documentation on its own: they must agree on every fact they share (batch
    /// maxima, page sizes, paths, codes, the quota), and every status the simulator can return must be in the
    /// connector's status table.
    #[test]
    fn connector_and_simulator_agree_on_every_shared_fact() {
        for m in registry::all() {
            let sim = marketplace(m.kind);
            assert_eq!(sim.kind(), m.kind, "the simulator table gives {}'s own simulator", m.slug);

            let (per_second, per_api) = match sim.quota() {
                quota::Quota::PerSecond { limit, per_api } => (limit as f64, per_api),
                quota::Quota::Bucket { per_second, .. } => (per_second, false),
            };
            assert_eq!((per_second, per_api), (f64::from(m.quota.per_second), m.quota.per_api), "{}: quota", m.slug);

            let canonical = |facts: &[(&'static str, Fact)]| -> BTreeMap<&'static str, String> {
                facts.iter().map(|(name, fact)| (*name, fact.canonical())).collect()
            };
            let (client, simulated) = (canonical(m.facts), canonical(sim.facts()));
            assert_eq!(m.facts.len(), client.len(), "{}: a fact named twice", m.slug);
            assert_eq!(client, simulated, "{}: connector (left) and simulator (right) disagree", m.slug);
            assert_eq!(
                client.get(SKUS_PER_UPDATE_CALL),
                Some(&Fact::Number(m.updates.max_skus_per_call as i64).canonical()),
                "{}: the batch maximum the hub plans with",
                m.slug
            );

            for raw in sim.order_statuses() {
                let mapped = map_status(m.order_statuses, raw, &HashMap::new());
                assert!(mapped.recognized, "{} status {raw} has no row in its table", m.slug);
            }
        }
    }
}
