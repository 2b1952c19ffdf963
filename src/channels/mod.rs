//! Marketplace connectors. One trait for what the hub needs from any channel; one module per marketplace with its
//! signing, wire types, mapping and `Marketplace` descriptor; the descriptors' table in `registry`; shared HTTP
//! (retry, rate limit, tracing) in `http`.
//!
//! Dependency direction: `channels → domain` only.

pub mod http;
pub mod lazada;
pub mod rate_limit;
pub mod registry;
pub mod shopee;
pub mod tiki;
pub mod tiktok;
pub mod webstore;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::channel::{
    ActionOutcome, ChannelEvent, ChannelOrder, Listing, OrderAction, OrderRef, OrderTimeField, ProductDraft,
    ShippingLabel, ShopIdentity, StockPriceUpdate, UpdateReport, WebhookRequest,
};
/// The marketplaces: the stored enum is the one kind enum of the hub.
pub use entity::enums::ChannelKind;
pub use http::ChannelHttp;
pub use http::{ApiClient, RetryPolicy};
pub use rate_limit::RateLimiter;
pub use registry::{Marketplace, marketplace};

/// Everything a connector may need to authenticate. Which fields a kind uses is documented on its module.
/// Stored encrypted (JSON) on the channel row; never returned by the API.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// Lazada/TikTok app key, Shopee partner id, Tiki v2 client id.
    pub app_key: Option<String>,
    /// Lazada/TikTok app secret, Shopee partner key, Tiki v2 client secret, web store API secret.
    pub app_secret: Option<String>,
    /// Tiki v1 `tiki-api` key; web store API key.
    pub api_key: Option<String>,
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub access_token_expires_at: Option<DateTime<Utc>>,
    pub refresh_token_expires_at: Option<DateTime<Utc>>,
    /// Shopee shop id; TikTok shop id.
    pub shop_id: Option<String>,
    /// TikTok shop cipher.
    pub shop_cipher: Option<String>,
    /// Secret that signs webhook pushes where it differs from `app_secret` (web store).
    pub webhook_secret: Option<String>,
}

impl std::fmt::Debug for Credentials {
    /// Never prints a secret: only which fields are present.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let present = |v: &Option<String>| if v.is_some() { "set" } else { "-" };
        f.debug_struct("Credentials")
            .field("app_key", &self.app_key)
            .field("app_secret", &present(&self.app_secret))
            .field("api_key", &present(&self.api_key))
            .field("access_token", &present(&self.access_token))
            .field("refresh_token", &present(&self.refresh_token))
            .field("access_token_expires_at", &self.access_token_expires_at)
            .field("shop_id", &self.shop_id)
            .field("shop_cipher", &self.shop_cipher)
            .finish()
    }
}

/// Where new tokens go after a refresh (the channel row, encrypted). Connectors call it before using them.
#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn save(&self, credentials: &Credentials) -> Result<(), ConnectorError>;
}

/// A store that keeps nothing (tests, `omnisync sim` clients).
pub struct NoTokenStore;

#[async_trait]
impl TokenStore for NoTokenStore {
    async fn save(&self, _: &Credentials) -> Result<(), ConnectorError> {
        Ok(())
    }
}

/// How to reach one channel account.
#[derive(Clone)]
pub struct ConnectorConfig {
    pub kind: ChannelKind,
    /// API base URL (the real host by default; a simulator's URL in tests and demos).
    pub base_url: String,
    pub country: String,
    pub credentials: Credentials,
    pub http: ApiClient,
    pub tokens: Arc<dyn TokenStore>,
}

/// Why a connector call failed. Expected marketplace refusals carry the marketplace's own code and message.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ConnectorError {
    /// Credentials or signature refused (`code` is the marketplace's).
    #[error("{path}: credentials refused ({code}): {message}")]
    Auth { path: String, code: String, message: String },
    /// The access token expired and could not be refreshed.
    #[error("{path}: access token expired and refresh failed: {message}")]
    TokenExpired { path: String, message: String },
    /// Still rate-limited after the retries.
    #[error("{path}: rate limited by the marketplace")]
    RateLimited { path: String },
    /// The marketplace refused the request (`code`, `message` are its own).
    #[error("{path}: {code}: {message}")]
    Api { path: String, code: String, message: String },
    /// Server errors (5xx) after the retries.
    #[error("{path}: server error {status} after retries")]
    Server { path: String, status: u16, body: String },
    /// Timeouts or connection failures after the retries.
    #[error("{path}: {message}")]
    Transport { path: String, message: String },
    /// An answer that could not be understood; the raw body is kept (truncated).
    #[error("{path}: unreadable answer: {message}")]
    Parse { path: String, message: String, body: String },
    /// A webhook whose signature does not verify, or that is malformed.
    #[error("webhook refused: {0}")]
    BadWebhook(String),
    /// The marketplace API has no such operation.
    #[error("not supported by this marketplace: {0}")]
    Unsupported(&'static str),
    /// Missing or malformed credentials for this kind (before any call).
    #[error("credentials incomplete: {0}")]
    Config(String),
}

impl ConnectorError {
    /// Keeps at most 2 KiB of a raw body in errors and logs.
    pub fn truncate_body(body: &[u8]) -> String {
        let text = String::from_utf8_lossy(body);
        if text.len() <= 2048 {
            text.into_owned()
        } else {
            let mut end = 2048;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}…", &text[..end])
        }
    }

    pub fn parse(path: &str, err: impl std::fmt::Display, body: &[u8]) -> Self {
        Self::Parse { path: path.to_owned(), message: err.to_string(), body: Self::truncate_body(body) }
    }
}

pub type ConnectorResult<T> = Result<T, ConnectorError>;

/// Where a connector's listing walk sends its pages (`Connector::stream_listings`). Bounded: the walk waits while
/// the reader stores the pages it already has, so memory holds a couple of pages, not the shop.
pub struct ListingPages(tokio::sync::mpsc::Sender<Vec<Listing>>);

/// Pages a walk may read ahead of the reader.
const LISTING_PAGES_AHEAD: usize = 2;

impl ListingPages {
    pub fn channel() -> (Self, tokio::sync::mpsc::Receiver<Vec<Listing>>) {
        let (sender, receiver) = tokio::sync::mpsc::channel(LISTING_PAGES_AHEAD);
        (Self(sender), receiver)
    }

    /// Hands a page over; `false` when the reader is gone (the walk should stop). Empty pages are not sent.
    pub async fn send(&self, page: Vec<Listing>) -> bool {
        page.is_empty() || self.0.send(page).await.is_ok()
    }
}

/// A connector's listing walk running in its own task beside its reader, who takes the pages one at a time
/// (`next_page`); the walk waits while the reader handles a page. A reader that stops early drops the walk, which
/// ends it; one that read every page asks `finish` how the walk ended.
pub struct ListingWalk {
    pages: tokio::sync::mpsc::Receiver<Vec<Listing>>,
    walk: tokio::task::JoinHandle<ConnectorResult<()>>,
}

impl ListingWalk {
    pub fn start(connector: Arc<dyn Connector>) -> Self {
        use tracing::Instrument;
        let (sender, pages) = ListingPages::channel();
        let walk =
            tokio::spawn(async move { connector.stream_listings(sender).await }.instrument(tracing::Span::current()));
        Self { pages, walk }
    }

    /// The next page, `None` once the walk ended (finished or failed: see `finish`).
    pub async fn next_page(&mut self) -> Option<Vec<Listing>> {
        self.pages.recv().await
    }

    /// How the walk ended (a panic in it goes on in the reader, as it would have in one task).
    pub async fn finish(self) -> ConnectorResult<()> {
        drop(self.pages);
        match self.walk.await {
            Ok(walked) => walked,
            Err(failed) if failed.is_panic() => std::panic::resume_unwind(failed.into_panic()),
            Err(cancelled) => Err(ConnectorError::Config(format!("the listing walk stopped: {cancelled}"))),
        }
    }
}

/// What the hub needs from any channel.
#[async_trait]
pub trait Connector: Send + Sync {
    fn kind(&self) -> ChannelKind;

    /// Until when a request this connector gave up on may still be applied by the marketplace (`None`: it never
    /// gave up on one; see `ApiClient::in_doubt_until`). A push compares it before and after a call.
    fn requests_in_doubt_until(&self) -> Option<std::time::Instant>;

    /// How long an ordinary (not urgent) stock and price update would wait for the hub's rate limit now, taking
    /// nothing. Asked only of marketplaces with a quota reserve (`Marketplace::hub_reserve`), whose push rounds
    /// send only urgent pushes meanwhile; the others never wait on it (zero).
    async fn update_quota_wait(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }

    /// Checks the credentials with one real call and reads the shop's identity.
    async fn shop_identity(&self) -> ConnectorResult<ShopIdentity>;

    /// Every listing SKU of the shop, walking every page: each page goes to `pages` as soon as it is read, so a
    /// shop of 100,000 SKUs is never held at once. Stops early, with `Ok`, when the receiver is gone.
    async fn stream_listings(&self, pages: ListingPages) -> ConnectorResult<()>;

    /// Every listing SKU of the shop, collected (small shops, tests).
    async fn list_listings(&self) -> ConnectorResult<Vec<Listing>> {
        let (pages, mut received) = ListingPages::channel();
        let collect = async {
            let mut listings = Vec::new();
            while let Some(page) = received.recv().await {
                listings.extend(page);
            }
            listings
        };
        let (walked, listings) = tokio::join!(self.stream_listings(pages), collect);
        walked.map(|()| listings)
    }

    /// Sends stock and/or price for many SKUs, in as few calls as the API's batch maximum allows.
    async fn update_stock_price(&self, updates: &[StockPriceUpdate]) -> ConnectorResult<UpdateReport>;

    /// Orders created or updated in `[from, to)`, walking the API's window limits and pages.
    async fn list_orders(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        by: OrderTimeField,
    ) -> ConnectorResult<Vec<OrderRef>>;

    /// Orders with their lines, in as few calls as the API allows.
    async fn get_orders(&self, external_ids: &[String]) -> ConnectorResult<Vec<ChannelOrder>>;

    /// A hint before `get_orders(external_ids)`: these orders were pushed, all updated at or after
    /// `updated_since`; `pushes` are the verified bodies of their push events (when `pushes_carry_orders`). A
    /// marketplace whose list call returns whole orders (Lazada) may read them from it, many a call, instead of
    /// one detail call each; one whose push carries the whole order (the web store) may take it from there.
    /// Nothing else changes: `get_orders` still answers for every id.
    async fn prefetch_orders(
        &self,
        _external_ids: &[String],
        _updated_since: DateTime<Utc>,
        _pushes: &[serde_json::Value],
    ) -> ConnectorResult<()> {
        Ok(())
    }

    /// Whether this marketplace's order pushes carry the whole order (so `prefetch_orders` wants their bodies).
    fn pushes_carry_orders(&self) -> bool {
        false
    }

    /// A seller action on one order.
    async fn order_action(&self, external_order_id: &str, action: &OrderAction) -> ConnectorResult<ActionOutcome>;

    /// The shipping labels of several orders, one answer per order in the order asked. A marketplace with a
    /// batch call prints them together (Lazada); the default asks for each (`order_action(PrintLabel)`), taking
    /// the links the answer carries.
    async fn shipping_labels(&self, external_order_ids: &[String]) -> Vec<ConnectorResult<ShippingLabel>> {
        let mut out = Vec::with_capacity(external_order_ids.len());
        for id in external_order_ids {
            out.push(self.order_action(id, &OrderAction::PrintLabel).await.and_then(|outcome| {
                ShippingLabel::from_links(outcome.message.as_deref(), id).ok_or_else(|| ConnectorError::Api {
                    path: "shipping label".into(),
                    code: "NO_LABEL".into(),
                    message: format!("the answer for order {id} carried no label link"),
                })
            }));
        }
        out
    }

    /// Verifies a push with the marketplace's own signature and parses its events.
    fn verify_webhook(&self, request: &WebhookRequest) -> ConnectorResult<Vec<ChannelEvent>>;

    /// Channels without push (Tiki): pull pending events and acknowledge them.
    async fn drain_events(&self) -> ConnectorResult<Vec<ChannelEvent>> {
        Err(ConnectorError::Unsupported("event queue"))
    }

    /// The credentials now in use (after any token refresh).
    async fn current_credentials(&self) -> Credentials;

    /// Creates a product on the channel, hidden from buyers (SPEC §2: only the web store allows it; the hub never
    /// creates products on marketplaces). Returns its listings.
    async fn create_hidden_product(&self, _draft: &ProductDraft) -> ConnectorResult<Vec<Listing>> {
        Err(ConnectorError::Unsupported("creating products"))
    }

    /// Registers `address` as where the marketplace pushes this shop's events, through its API (marketplaces
    /// whose descriptor says `Webhooks::RegisteredByApi`). Registering the same address again changes nothing.
    async fn register_webhook(&self, _address: &str) -> ConnectorResult<()> {
        Err(ConnectorError::Unsupported("registering a push address"))
    }

    /// The listings of a product push's body (the web store's `products/*` pushes carry the whole product).
    fn listings_of_pushed_product(&self, _raw: &serde_json::Value) -> ConnectorResult<Vec<Listing>> {
        Err(ConnectorError::Unsupported("product pushes"))
    }

    /// OAuth: exchanges the authorization code of the consent redirect for tokens. `callback` holds every query
    /// parameter of the redirect (Shopee adds `shop_id`); `redirect_uri` is the one the consent URL named.
    async fn exchange_authorization_code(
        &self,
        _code: &str,
        _callback: &[(String, String)],
        _redirect_uri: Option<&str>,
    ) -> ConnectorResult<Credentials> {
        Err(ConnectorError::Unsupported("authorization code exchange"))
    }
}

/// The connector for `config.kind`.
pub fn connector(config: ConnectorConfig) -> ConnectorResult<Arc<dyn Connector>> {
    (marketplace(config.kind).connector)(config)
}

/// Hex HMAC-SHA256 of `message` with `key` (lowercase). Used by several marketplaces' signatures.
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(key) else { return String::new() };
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time comparison of two signatures (hex, case-insensitive when `ignore_case`).
pub fn signatures_match(expected: &str, given: &str, ignore_case: bool) -> bool {
    let (a, b) = if ignore_case {
        (expected.to_ascii_lowercase(), given.to_ascii_lowercase())
    } else {
        (expected.to_owned(), given.to_owned())
    };
    // `subtle`: a comparison the optimiser cannot turn into an early exit (a hand-written fold gives no such promise).
    subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn signature_comparison_is_exact_up_to_case() {
        assert!(signatures_match("ABCD", "abcd", true));
        assert!(!signatures_match("ABCD", "abcd", false));
        assert!(!signatures_match("abcd", "abce", true));
        assert!(!signatures_match("abcd", "abc", true));
    }

    #[test]
    fn credentials_debug_never_shows_secrets() {
        let c = Credentials {
            app_secret: Some("s3cret".into()),
            access_token: Some("tok".into()),
            ..Credentials::default()
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret") && !shown.contains("tok\""));
    }
}
