//! The marketplaces the hub knows. Each one's folder (`channels::<kind>`) declares its `Marketplace` descriptor:
//! every per-kind rule the rest of the hub needs (names, quotas, batch limits, how a merchant connects, the order
//! status table, default settings, order rules) as data or function pointers. `marketplace(kind)` is the one
//! table from a kind to its descriptor; nothing else in the hub branches on a kind.

use std::collections::BTreeMap;
use std::sync::Arc;

use sea_orm::Iterable;

use super::{ChannelKind, Connector, ConnectorConfig, ConnectorResult};
use crate::domain::cancel_reasons::CancelReasonOption;
use crate::domain::channel::StockPriceUpdate;
use crate::domain::channel_settings::KindDefaults;
use crate::domain::order_status::StatusRow;
use crate::domain::orders::CustomerEmail;

/// Everything the hub knows of one marketplace outside its connector.
pub struct Marketplace {
    pub kind: ChannelKind,
    /// Lower-case name used on the wire and in labels: `/oauth/{slug}/callback`, the simulators' `kind`
    /// parameter, HTTP client labels in traces, metrics labels, benchmark keys.
    pub slug: &'static str,
    /// Human name, for messages ("Lazada", "the web store").
    pub name: &'static str,
    /// The request quota the marketplace itself allows a shop.
    pub quota: Quota,
    /// Requests per second the hub allows itself per channel account (per API where `quota.per_api`): below
    /// `quota.per_second`, leaving room for clock skew and calls outside the hub. A throttled call waits and
    /// retries like a 429, so a lower real quota slows calls without losing any.
    pub hub_rate_per_second: u32,
    /// How stock and price updates are batched.
    pub updates: UpdateLimits,
    /// How a merchant connects, and which credentials the connect input must carry.
    pub auth: Auth,
    /// The seller consent page (OAuth and Tiki's public apps); `None`: the marketplace has none.
    pub consent: Option<Consent>,
    /// The real API host for a channel country (the default `base_url` of a channel; empty: the merchant must
    /// give it).
    pub default_base_url: fn(country: &str) -> String,
    /// Builds the connector of a channel account.
    pub connector: fn(ConnectorConfig) -> ConnectorResult<Arc<dyn Connector>>,
    /// Raw order status → hub status and payment status, covering every status the API can return.
    pub order_statuses: &'static [StatusRow],
    /// Default channel settings where the sources differ by kind.
    pub settings: KindDefaults,
    /// How orders are fetched and stored.
    pub orders: OrderRules,
    /// How the marketplace learns where to push the shop's events.
    pub push_address: PushAddress,
    /// Whether linking creates missing products on the channel (hidden; SPEC §2: only the web store allows it).
    pub creates_missing_products: bool,
    /// What prices the marketplace takes, checked when a link is made and before every price push.
    pub prices: PriceRules,
    /// The marketplace needs each seller SKU on one listing only (the web store, SPEC §2 [Sapo]: SKUs must be
    /// unique): a SKU found on several listings is a link error naming them, not a link to each.
    pub unique_seller_skus: bool,
    /// The reasons a seller's cancel may give, as the marketplace takes them; empty: any text.
    pub cancel_reasons: &'static [CancelReasonOption],
    /// Protocol facts the connector relies on (limits, names, codes). The simulator holds its own, written from
    /// the marketplace's documentation too (`sim::MarketplaceSim::facts`), so that a misreading on one side fails
    /// a test instead of agreeing with itself. Every marketplace names at least `SKUS_PER_UPDATE_CALL`.
    pub facts: &'static [(&'static str, Fact)],
}

impl Marketplace {
    /// Requests urgent calls (`rate_limit::urgent`: pushes that sell out or lower a listing by a quarter or more)
    /// may send at once beyond the hub's rate: half the marketplace's bucket where it has one — what lets a
    /// sell-out go at once instead of waiting its turn at 2 a second; the other half is room for calls of other
    /// processes in flight and clock differences. `None` elsewhere, where any one-second interval must stay near
    /// the rate.
    pub fn hub_reserve(&self) -> Option<u32> {
        (self.quota.bucket > 0).then_some(self.quota.bucket / 2)
    }
}

/// One protocol fact: a limit, a name, or a set of names (compared as a set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    Number(i64),
    Text(&'static str),
    Names(&'static [&'static str]),
}

impl Fact {
    /// Comparable form: sets of names sorted.
    pub fn canonical(&self) -> String {
        match self {
            Fact::Names(names) => {
                let mut names = names.to_vec();
                names.sort_unstable();
                format!("Names({names:?})")
            }
            other => format!("{other:?}"),
        }
    }
}

/// The fact every marketplace names: SKUs per stock/price update call (`UpdateLimits::max_skus_per_call`).
pub const SKUS_PER_UPDATE_CALL: &str = "SKUs per update call";

/// A marketplace's request quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests per second the marketplace allows a shop ("N a second" read as "N in any one-second interval").
    pub per_second: u32,
    /// Whether the quota counts per API rather than for the whole shop (the hub's limiter then keys its buckets
    /// by `rate_limit::api_name(path)`).
    pub per_api: bool,
    /// Where the quota is a leaky bucket draining `per_second`, its capacity: requests the marketplace takes at
    /// once (the web store's 40); 0 where it counts any one-second interval.
    pub bucket: u32,
}

/// How a marketplace's stock and price update API batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateLimits {
    /// SKUs per call (the API's batch maximum).
    pub max_skus_per_call: usize,
    /// Whether one call takes the SKUs of one product only (a batch must then not split a product).
    pub one_product_per_call: bool,
    /// Whether stock and price go in separate calls.
    pub stock_and_price_apart: bool,
    /// The code with which the marketplace refuses a stock update of a bundle it computes itself (its own
    /// bundle SKUs, made of other items); none where it has no such bundles. Such a listing's quantity is then
    /// not pushed (`channel_listings.stock_computed_by_channel`).
    pub computed_stock_refusal: Option<&'static str>,
}

impl UpdateLimits {
    /// Whether a push's refusal (as the connector reports it) says the listing's stock is the marketplace's to
    /// compute.
    pub fn refuses_computed_stock(&self, error: &str) -> bool {
        self.computed_stock_refusal.is_some_and(|code| error.contains(code))
    }

    /// Fewest calls the API allows for these updates (the benchmark's yardstick).
    pub fn minimum_calls(&self, updates: &[StockPriceUpdate]) -> usize {
        let mut groups: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
        for u in updates {
            let key = if self.one_product_per_call { u.external_product_id.as_str() } else { "" };
            let e = groups.entry(key).or_default();
            e.0 += usize::from(u.quantity.is_some());
            e.1 += usize::from(u.price_minor.is_some());
            e.2 += usize::from(u.quantity.is_some() || u.price_minor.is_some());
        }
        let max = self.max_skus_per_call;
        groups
            .values()
            .map(
                |(stock, price, any)| {
                    if self.stock_and_price_apart {
                        stock.div_ceil(max) + price.div_ceil(max)
                    } else {
                        any.div_ceil(max)
                    }
                },
            )
            .sum()
    }
}

/// What prices a marketplace takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceRules {
    /// The selling price may not exceed the listing's list price: the marketplace refuses a price above it (Tiki:
    /// "Nếu giá SP bên HRV cao hơn giá niêm yết của tiki sẽ báo lỗi" [Biz]). Others take such a price, or make it
    /// the list price.
    pub at_most_list_price: bool,
    /// The marketplace schedules sale prices (a price from a start to an end time), sent with the price: Lazada's
    /// SalePrice, SaleStartDate and SaleEndDate. Elsewhere a variant's sale is not pushed.
    pub scheduled_sale: bool,
}

/// How a merchant connects a channel of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// App key and secret, then the seller's consent (or tokens given): calls carry access tokens that expire
    /// and are refreshed. `shop_id`: the calls are per shop, so the shop id is needed unless a consent code
    /// brings it.
    OAuth { shop_id: bool },
    /// Tiki: an API key (v1), or a client id and secret (v2).
    ApiKeyOrClient,
    /// An API key and secret, no consent (the web store).
    ApiKey,
}

/// What a consent URL is built from.
pub struct ConsentRequest<'a> {
    pub country: &'a str,
    pub app_key: &'a str,
    pub app_secret: Option<&'a str>,
    pub redirect_uri: &'a str,
    pub state: &'a str,
}

/// A marketplace's seller consent page.
pub struct Consent {
    /// The real consent page.
    pub url: &'static str,
    /// Appends the marketplace's query parameters (an error names what is missing).
    pub query:
        fn(&mut url::form_urlencoded::Serializer<'_, url::UrlQuery<'_>>, &ConsentRequest<'_>) -> Result<(), String>,
}

/// Per-kind rules of order fetching and storing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderRules {
    /// How often a channel is polled, in seconds.
    pub poll_every_seconds: i64,
    /// The marketplace has no push: every poll first pulls its event queue (`Connector::drain_events`).
    pub event_queue: bool,
    /// Where the customer's e-mail comes from.
    pub customer_email: CustomerEmail,
    /// Whether the saved shipping address keeps its ward.
    pub keeps_ward: bool,
}

/// How a marketplace learns where to push a shop's events (the channel's webhook address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushAddress {
    /// The hub registers it through the marketplace's API when the channel connects
    /// (`Connector::register_webhook`).
    RegisteredByApi,
    /// Set once per app in the marketplace's console, where the merchant pastes it; `instructions` say where
    /// (`{url}` stands for the address).
    Console { instructions: &'static str },
    /// The marketplace does not push: the hub pulls its events (`OrderRules::event_queue`).
    Pulled,
}

/// The descriptor of `kind`: the one table from a kind to its marketplace.
pub fn marketplace(kind: ChannelKind) -> &'static Marketplace {
    match kind {
        ChannelKind::Lazada => &super::lazada::MARKETPLACE,
        ChannelKind::Shopee => &super::shopee::MARKETPLACE,
        ChannelKind::Tiki => &super::tiki::MARKETPLACE,
        ChannelKind::Tiktok => &super::tiktok::MARKETPLACE,
        ChannelKind::Webstore => &super::webstore::MARKETPLACE,
    }
}

/// Every marketplace, in the order of `ChannelKind`.
pub fn all() -> impl Iterator<Item = &'static Marketplace> {
    ChannelKind::iter().map(marketplace)
}

/// The marketplace named `text` (its `ChannelKind` name, any case, surrounding spaces ignored).
pub fn parse(text: &str) -> Option<&'static Marketplace> {
    let text = text.trim();
    all().find(|m| m.kind.as_str().eq_ignore_ascii_case(text))
}

/// The marketplace of a slug (`/oauth/{slug}/callback`, the simulators' `kind` parameter).
pub fn by_slug(slug: &str) -> Option<&'static Marketplace> {
    all().find(|m| m.slug == slug)
}

/// The marketplace's seller consent page. When `base_url` is not the real host (a simulator), the simulator's
/// consent page (`/_sim/oauth/authorize`), which redirects at once with a code. Shopee's link is signed, so it
/// needs the partner key (`app_secret`).
pub fn authorization_url(kind: ChannelKind, base_url: &str, request: &ConsentRequest<'_>) -> Result<String, String> {
    let m = marketplace(kind);
    let real = base_url.is_empty() || base_url == (m.default_base_url)(request.country);
    let mut url = if !real {
        url::Url::parse(&format!("{}/_sim/oauth/authorize", base_url.trim_end_matches('/')))
            .map_err(|e| e.to_string())?
    } else {
        let consent = m.consent.as_ref().ok_or_else(|| format!("{} connects with an API key, not OAuth", m.name))?;
        url::Url::parse(consent.url).map_err(|e| e.to_string())?
    };
    {
        let mut q = url.query_pairs_mut();
        if let Some(consent) = &m.consent {
            (consent.query)(&mut q, request)?;
        }
        if !real {
            q.append_pair("kind", m.slug);
        }
    }
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use entity::enums::{MatchKey, OrderStatus, OversellPolicy, PaymentStatus};

    use super::*;
    use crate::domain::order_status::map_status;

    #[test]
    fn every_kind_has_its_own_slug_and_name() {
        let kinds: Vec<ChannelKind> = all().map(|m| m.kind).collect();
        assert_eq!(kinds, ChannelKind::iter().collect::<Vec<_>>(), "each descriptor names its own kind");
        let slugs: Vec<&str> = all().map(|m| m.slug).collect();
        assert_eq!(slugs, ["lazada", "shopee", "tiki", "tiktok", "webstore"]);
        for m in all() {
            assert_eq!(m.slug.to_ascii_uppercase(), m.kind.as_str(), "the slug is the kind's name in lower case");
            assert_eq!(parse(&format!(" {} ", m.slug)).map(|p| p.kind), Some(m.kind));
            assert_eq!(by_slug(m.slug).map(|p| p.kind), Some(m.kind));
        }
        assert!(parse("AMAZON").is_none());
    }

    #[test]
    fn the_hub_asks_less_than_every_marketplace_allows() {
        for m in all() {
            let (hub, quota) = (m.hub_rate_per_second, m.quota.per_second);
            assert!(hub >= 1 && hub <= quota, "{}: the hub's {hub}/s within the marketplace's {quota}/s", m.slug);
        }
        assert_eq!(marketplace(ChannelKind::Tiktok).hub_rate_per_second, 40, "80% of TikTok's documented 50 per API");
    }

    #[test]
    fn the_spec_examples_map_as_the_lazada_manual_says() {
        let none = HashMap::new();
        let table = marketplace(ChannelKind::Lazada).order_statuses;
        let m = |raw| map_status(table, raw, &none).status;
        assert_eq!(m("pending"), OrderStatus::Pending);
        assert_eq!(m("ready_to_ship"), OrderStatus::ReadyToShip);
        assert_eq!(m("shipped"), OrderStatus::InTransit);
        assert_eq!(m("delivered"), OrderStatus::Delivered);
        assert_eq!(m("failed_delivery"), OrderStatus::DeliveryFailed);
        assert_eq!(m("canceled"), OrderStatus::Cancelled);
    }

    #[test]
    fn the_web_store_table_is_exactly_the_protocols_statuses() {
        let raws: Vec<&str> = marketplace(ChannelKind::Webstore).order_statuses.iter().map(|(r, _, _)| *r).collect();
        assert_eq!(raws, crate::sim::webstore::ORDER_STATUSES);
    }

    #[test]
    fn returned_statuses_set_the_payment_status_and_tables_have_no_duplicates() {
        let none = HashMap::new();
        let tiki = marketplace(ChannelKind::Tiki).order_statuses;
        assert_eq!(map_status(tiki, "returned", &none).payment, Some(PaymentStatus::Returned));
        for m in all() {
            let rows = m.order_statuses;
            for (i, (raw, _, _)) in rows.iter().enumerate() {
                assert!(!rows[..i].iter().any(|(r, _, _)| r.eq_ignore_ascii_case(raw)), "{}: {raw} twice", m.slug);
            }
        }
    }

    #[test]
    fn default_settings_follow_the_source_of_each_kind() {
        let defaults = |kind| &marketplace(kind).settings;
        assert_eq!(defaults(ChannelKind::Lazada).match_key, MatchKey::Barcode);
        assert_eq!(defaults(ChannelKind::Lazada).oversell_policy, OversellPolicy::Always);
        assert_eq!(defaults(ChannelKind::Tiki).oversell_policy, OversellPolicy::WhenOutOfStock);
        assert_eq!(defaults(ChannelKind::Webstore).match_key, MatchKey::Sku);
        assert_eq!(defaults(ChannelKind::Webstore).order_backfill_days, 0);
        assert_eq!(defaults(ChannelKind::Shopee).order_backfill_days, 60);
    }

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
    fn minimum_calls_count_per_product_and_per_api_where_the_marketplace_does() {
        let mut updates: Vec<StockPriceUpdate> =
            (0..60).map(|i| update("1", &format!("{}", 100 + i), Some(1), Some(1000))).collect();
        updates.push(update("2", "2", Some(5), None));
        // Shopee, item 1: 60 models → 2 stock + 2 price calls; item 2: 1 stock call.
        assert_eq!(marketplace(ChannelKind::Shopee).updates.minimum_calls(&updates), 5);
        // Lazada: 61 SKUs, price and quantity together, 50 a call.
        assert_eq!(marketplace(ChannelKind::Lazada).updates.minimum_calls(&updates), 2);
        // TikTok: 100 SKUs a call, stock and price apart, per product.
        assert_eq!(marketplace(ChannelKind::Tiktok).updates.minimum_calls(&updates), 3);
        assert_eq!(marketplace(ChannelKind::Tiki).updates.minimum_calls(&[]), 0);
    }
}
