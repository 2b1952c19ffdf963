//! Tiki's descriptor: what the hub knows of Tiki outside the connector.

use std::sync::Arc;

use entity::enums::OrderStatus::{Cancelled, Delivered, InTransit, Pending, ReadyToShip};
use entity::enums::{ChannelKind, MatchKey, OversellPolicy, PricePolicy};

use crate::channels::registry::{Auth, Consent, ConsentRequest, Marketplace, OrderRules, Quota, UpdateLimits};
use crate::channels::{Connector, ConnectorConfig, ConnectorResult};
use crate::domain::channel_settings::KindDefaults;
use crate::domain::order_status::{PAID, RETURNED, StatusRow, UNPAID};
use crate::domain::orders::CustomerEmail;

/// Requests per second Tiki allows: 200 per seller, one quota for everything.
const QUOTA_PER_SECOND: u32 = 200;

pub static MARKETPLACE: Marketplace = Marketplace {
    kind: ChannelKind::Tiki,
    slug: "tiki",
    name: "Tiki",
    quota: Quota { per_second: QUOTA_PER_SECOND, per_api: false },
    // The rate Tiki's team once gave (tikivn/open-api-docs#150).
    hub_rate_per_second: 100,
    updates: UpdateLimits {
        max_skus_per_call: super::wire::MAX_UPDATE_SKUS_BATCH,
        one_product_per_call: false,
        stock_and_price_apart: false,
    },
    auth: Auth::ApiKeyOrClient,
    consent: Some(Consent { url: "https://api.tiki.vn/sc/oauth2/auth", query: consent_query }),
    default_base_url,
    connector,
    order_statuses: ORDER_STATUSES,
    // Matched by barcode [H-Tiki]; the first order sync reaches back 60 days [Biz]; the oversell quantity is
    // pushed only when out of stock [H-Tiki].
    settings: KindDefaults {
        match_key: MatchKey::Barcode,
        order_backfill_days: 60,
        oversell_policy: OversellPolicy::WhenOutOfStock,
        price_policy: PricePolicy::Retail,
    },
    // No push: the event queue is pulled at every poll, so polls come more often. Tiki shares no customer
    // e-mail [H-Tiki].
    orders: OrderRules {
        poll_every_seconds: 15,
        event_queue: true,
        customer_email: CustomerEmail::FromPhone,
        keeps_ward: true,
    },
    creates_missing_products: false,
};

fn default_base_url(_country: &str) -> String {
    super::DEFAULT_BASE_URL.to_owned()
}

fn connector(config: ConnectorConfig) -> ConnectorResult<Arc<dyn Connector>> {
    Ok(Arc::new(super::TikiConnector::new(config)?))
}

fn consent_query(
    q: &mut url::form_urlencoded::Serializer<'_, url::UrlQuery<'_>>,
    r: &ConsentRequest<'_>,
) -> Result<(), String> {
    q.append_pair("response_type", "code")
        .append_pair("client_id", r.app_key)
        .append_pair("redirect_uri", r.redirect_uri)
        .append_pair("scope", "offline all")
        .append_pair("state", r.state);
    Ok(())
}

/// Tiki v2 order statuses (18) and the v1 filter values `seller_confirmed`, `seller_canceled`.
pub const ORDER_STATUSES: &[StatusRow] = &[
    ("queueing", Pending, None),
    ("processing", Pending, None),
    ("waiting_payment", Pending, UNPAID),
    ("payment_review", Pending, UNPAID),
    ("paid", Pending, PAID),
    ("holded", Pending, None),
    ("seller_confirmed", Pending, None),
    ("picking", Pending, None),
    ("packaging", Pending, None),
    ("finished_packing", ReadyToShip, None),
    ("ready_to_ship", ReadyToShip, None),
    ("handover_to_partner", InTransit, None),
    ("shipping", InTransit, None),
    ("delivered", Delivered, None),
    ("successful_delivery", Delivered, PAID),
    ("complete", Delivered, PAID),
    ("canceled", Cancelled, None),
    ("seller_canceled", Cancelled, None),
    ("closed", Cancelled, None),
    ("returned", Delivered, RETURNED),
];
