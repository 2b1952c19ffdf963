//! Channel accounts: connect, settings, disconnect (the OAuth callback is `web::oauth`).

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};

use entity::channel;

use super::app;
use super::auth::RequireScope;
use super::catalog::Warehouse;
use super::errors::{UserError, query, split, user_errors};
use super::relay::{Conn, ConnectionArgs, connection, global_id, input_id, require_id};
use crate::domain::errors::FieldError;
use crate::services::catalog;
use crate::services::channels::{
    self as service, ChannelFilter, ConnectInput, CredentialsInput, SettingsInput, UpdateInput,
};

/// A sales channel kind.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::enums::ChannelKind")]
pub enum ChannelKindGql {
    Lazada,
    Shopee,
    Tiki,
    Tiktok,
    /// The merchant's own web storefront.
    Webstore,
}

/// Connection state of a channel account.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::enums::ChannelStatus")]
pub enum ChannelStatusGql {
    /// Waiting for the seller's consent on the marketplace (open `authorizationUrl`).
    PendingAuthorization,
    Connected,
    /// Stopped by the merchant; imported orders stay.
    Disconnected,
    /// The marketplace refuses the credentials; replace them with `channelUpdate`.
    Error,
}

/// Which hub price is pushed.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::enums::PricePolicy")]
pub enum PricePolicyGql {
    Retail,
    List,
    Cost,
}

/// Which hub field a listing's SKU is matched against.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::enums::MatchKey")]
pub enum MatchKeyGql {
    Barcode,
    Sku,
}

/// What is pushed for variants that continue selling when out of stock.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::enums::OversellPolicy")]
pub enum OversellPolicyGql {
    /// Always the oversell quantity (Lazada).
    Always,
    /// The real quantity while above zero, else the oversell quantity (Tiki).
    WhenOutOfStock,
}

/// A connected marketplace account (shop). Credentials are never readable.
pub struct Channel(pub channel::Model);

/// Settings of a channel (SPEC §1). A change applies from the moment it is saved.
pub struct ChannelSettings(channel::Model);

#[Object]
impl ChannelSettings {
    /// When false, prices are never pushed.
    async fn sync_price(&self) -> bool {
        self.0.sync_price
    }
    /// When false, quantities are never pushed.
    async fn sync_quantity(&self) -> bool {
        self.0.sync_quantity
    }
    /// Orders are run in the hub: channel status changes no longer overwrite hub statuses.
    async fn process_orders_in_hub(&self) -> bool {
        self.0.process_orders_in_hub
    }
    /// The warehouse whose stock is pushed (the default warehouse unless chosen).
    async fn stock_warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        warehouse_or_default(ctx, self.0.stock_warehouse_id).await
    }
    /// Whether a warehouse was chosen for stock (changes the quantity rule, SPEC §3).
    async fn stock_warehouse_chosen(&self) -> bool {
        self.0.stock_warehouse_id.is_some()
    }
    /// The warehouse channel orders take stock from.
    async fn order_warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        warehouse_or_default(ctx, self.0.order_warehouse_id).await
    }
    async fn price_policy(&self) -> PricePolicyGql {
        self.0.price_policy.into()
    }
    async fn match_key(&self) -> MatchKeyGql {
        self.0.match_key.into()
    }
    /// Days the first order sync reaches back.
    async fn order_backfill_days(&self) -> i32 {
        self.0.order_backfill_days
    }
    /// Units pushed for continue-selling variants.
    async fn oversell_quantity(&self) -> i64 {
        self.0.oversell_quantity
    }
    async fn oversell_policy(&self) -> OversellPolicyGql {
        self.0.oversell_policy.into()
    }
    /// Overlap of successive order polling windows, in seconds.
    async fn order_poll_overlap_seconds(&self) -> i32 {
        self.0.order_poll_overlap_seconds
    }
    /// Repair stock drift found by reconciliation with a push.
    async fn stock_drift_repair(&self) -> bool {
        self.0.stock_drift_repair
    }
    /// Days push history is kept.
    async fn push_history_retention_days(&self) -> i32 {
        self.0.push_history_retention_days
    }
}

async fn warehouse_or_default(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Warehouse>> {
    let db = &app(ctx)?.db;
    Ok(match id {
        Some(id) => query(catalog::warehouse(db, id).await)?.map(Warehouse),
        None => Some(Warehouse(query(catalog::default_warehouse(db).await)?)),
    })
}

/// How much of the channel the hub knows.
#[derive(SimpleObject)]
pub struct ChannelCounts {
    pub listings: u64,
    pub links: u64,
    pub link_errors: u64,
    pub sync_errors: u64,
    pub orders: u64,
}

#[Object]
impl Channel {
    pub async fn id(&self) -> ID {
        global_id("Channel", self.0.id)
    }
    async fn kind(&self) -> ChannelKindGql {
        self.0.kind.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// VN, TH, MY, SG, PH or ID.
    async fn country(&self) -> &str {
        &self.0.country
    }
    /// Currency of the channel's prices.
    async fn currency_code(&self) -> &str {
        service::currency(&self.0)
    }
    /// API base URL (the marketplace's real host unless overridden, e.g. by a simulator).
    async fn base_url(&self) -> &str {
        &self.0.base_url
    }
    async fn status(&self) -> ChannelStatusGql {
        self.0.status.into()
    }
    /// The shop's id on the marketplace.
    async fn shop_external_id(&self) -> Option<&str> {
        self.0.shop_external_id.as_deref()
    }
    async fn shop_name(&self) -> Option<&str> {
        self.0.shop_name.as_deref()
    }
    /// When the current access token expires (OAuth channels); it is refreshed before.
    async fn access_token_expires_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.access_token_expires_at
    }
    async fn settings(&self) -> ChannelSettings {
        ChannelSettings(self.0.clone())
    }
    async fn counts(&self, ctx: &Context<'_>) -> Result<ChannelCounts> {
        let c = query(service::counts(&app(ctx)?.db, self.0.id).await)?;
        Ok(ChannelCounts {
            listings: c.listings,
            links: c.links,
            link_errors: c.link_errors,
            sync_errors: c.sync_errors,
            orders: c.orders,
        })
    }
    async fn connected_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.connected_at
    }
    /// Where the marketplace must send its pushes (configure it in the marketplace's app console).
    async fn webhook_url(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(format!("{}/webhooks/{}", app(ctx)?.settings.public_base_url(), self.0.id))
    }
    /// Every order of the channel updated before this time is known to be imported (moved by each completed poll).
    async fn orders_reconciled_until(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.orders_reconciled_until
    }
    /// How the channel's raw order statuses map to hub statuses: its kind's table with this channel's overrides.
    async fn status_mapping(&self) -> Vec<super::orders::StatusMappingRow> {
        super::orders::mapping_rows(&self.0)
    }
    async fn disconnected_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.disconnected_at
    }
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}

#[derive(InputObject, Default)]
pub struct ChannelFilterInput {
    pub kind: Option<ChannelKindGql>,
    pub status: Option<ChannelStatusGql>,
}

#[derive(Default)]
pub struct ChannelQuery;

#[Object]
impl ChannelQuery {
    /// Channel accounts, oldest first (`reverse` for newest first). At most 100 a page.
    #[allow(clippy::too_many_arguments)]
    async fn channels(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        reverse: Option<bool>,
        filter: Option<ChannelFilterInput>,
    ) -> Result<Conn<Channel>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page()?;
        let filter = filter.unwrap_or_default();
        let filter = ChannelFilter { kind: filter.kind.map(Into::into), status: filter.status.map(Into::into) };
        let found = query(service::list(&app(ctx)?.db, &filter, &page).await)?;
        Ok(connection(found, |c| c.id, Channel))
    }

    async fn channel(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Channel>> {
        let id = require_id("Channel", &id)?;
        Ok(query(service::get(&app(ctx)?.db, id).await)?.map(Channel))
    }

    /// The marketplace's seller consent URL for an app (real OAuth flow). `channelConnect` without tokens
    /// returns the same URL bound to a pending connection, whose redirect completes it. Shopee's link is signed,
    /// so it needs `appSecret`. `baseUrl`: a simulator's URL gives the simulator's consent page.
    #[allow(clippy::too_many_arguments)]
    async fn channel_authorization_url(
        &self,
        kind: ChannelKindGql,
        country: String,
        app_key: String,
        redirect_uri: String,
        state: Option<String>,
        app_secret: Option<String>,
        base_url: Option<String>,
    ) -> Result<String> {
        let state = state.unwrap_or_else(|| ulid::Ulid::generate().to_string());
        let country = country.to_ascii_uppercase();
        let request = crate::channels::registry::ConsentRequest {
            country: &country,
            app_key: &app_key,
            app_secret: app_secret.as_deref(),
            redirect_uri: &redirect_uri,
            state: &state,
        };
        crate::channels::registry::authorization_url(kind.into(), base_url.as_deref().unwrap_or_default(), &request)
            .map_err(async_graphql::Error::new)
    }
}

/// Credentials by kind — LAZADA, TIKTOK: appKey, appSecret and an authorizationCode or accessToken +
/// refreshToken (or neither: the connection then waits for consent); SHOPEE: the same with appKey = partner id,
/// appSecret = partner key, and shopId; TIKI: apiKey (v1) or appKey = client id + appSecret = client secret
/// (v2); WEBSTORE: apiKey and appSecret (+ webhookSecret). Stored encrypted; never returned.
#[derive(InputObject, Default)]
pub struct ChannelCredentialsInput {
    pub api_key: Option<String>,
    pub app_key: Option<String>,
    pub app_secret: Option<String>,
    pub authorization_code: Option<String>,
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub shop_id: Option<String>,
    pub shop_cipher: Option<String>,
    pub webhook_secret: Option<String>,
}

impl From<ChannelCredentialsInput> for CredentialsInput {
    fn from(c: ChannelCredentialsInput) -> Self {
        Self {
            api_key: c.api_key,
            app_key: c.app_key,
            app_secret: c.app_secret,
            authorization_code: c.authorization_code,
            access_token: c.access_token,
            refresh_token: c.refresh_token,
            shop_id: c.shop_id,
            shop_cipher: c.shop_cipher,
            webhook_secret: c.webhook_secret,
        }
    }
}

/// Settings (SPEC §1); omitted fields keep their value (on connect: the kind's default).
#[derive(InputObject, Default)]
pub struct ChannelSettingsInput {
    pub sync_price: Option<bool>,
    pub sync_quantity: Option<bool>,
    pub process_orders_in_hub: Option<bool>,
    /// null: back to the default warehouse.
    pub stock_warehouse_id: MaybeUndefined<ID>,
    /// null: back to the default warehouse.
    pub order_warehouse_id: MaybeUndefined<ID>,
    pub price_policy: Option<PricePolicyGql>,
    pub match_key: Option<MatchKeyGql>,
    /// 0 to 365.
    pub order_backfill_days: Option<i32>,
    /// 0 to 1,000,000.
    pub oversell_quantity: Option<i32>,
    pub oversell_policy: Option<OversellPolicyGql>,
    /// 0 to 3600.
    pub order_poll_overlap_seconds: Option<i32>,
    pub stock_drift_repair: Option<bool>,
    /// 1 to 3650.
    pub push_history_retention_days: Option<i32>,
}

impl ChannelSettingsInput {
    fn decode(self, errors: &mut Vec<FieldError>) -> SettingsInput {
        let mut warehouse = |field: &str, v: MaybeUndefined<ID>| -> Option<Option<i64>> {
            match v {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(id) => {
                    input_id("Warehouse", &id, &["settings", field]).map_err(|e| errors.push(e)).ok().map(Some)
                }
            }
        };
        SettingsInput {
            stock_warehouse_id: warehouse("stockWarehouseId", self.stock_warehouse_id),
            order_warehouse_id: warehouse("orderWarehouseId", self.order_warehouse_id),
            sync_price: self.sync_price,
            sync_quantity: self.sync_quantity,
            process_orders_in_hub: self.process_orders_in_hub,
            price_policy: self.price_policy.map(Into::into),
            match_key: self.match_key.map(Into::into),
            order_backfill_days: self.order_backfill_days,
            oversell_quantity: self.oversell_quantity.map(i64::from),
            oversell_policy: self.oversell_policy.map(Into::into),
            order_poll_overlap_seconds: self.order_poll_overlap_seconds,
            stock_drift_repair: self.stock_drift_repair,
            push_history_retention_days: self.push_history_retention_days,
        }
    }
}

#[derive(InputObject)]
pub struct ChannelConnectInput {
    /// LAZADA, SHOPEE, TIKI, TIKTOK or WEBSTORE.
    pub kind: String,
    pub name: String,
    /// VN, TH, MY, SG, PH or ID.
    pub country: String,
    /// http(s) URL of the API; defaults to the marketplace's real host (required for WEBSTORE).
    pub base_url: Option<String>,
    pub credentials: ChannelCredentialsInput,
    pub settings: Option<ChannelSettingsInput>,
}

#[derive(InputObject, Default)]
pub struct ChannelUpdateInput {
    pub name: Option<String>,
    pub base_url: Option<String>,
    /// Replaces the credentials (checked with one real call first).
    pub credentials: Option<ChannelCredentialsInput>,
    pub settings: Option<ChannelSettingsInput>,
}

#[derive(SimpleObject)]
pub struct ChannelConnectPayload {
    pub channel: Option<Channel>,
    /// Set when the connection waits for the seller's consent: open it; the marketplace redirects back to
    /// `/oauth/{kind}/callback`, which completes the connection.
    pub authorization_url: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct ChannelPayload {
    pub channel: Option<Channel>,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct ChannelMutation;

#[Object]
impl ChannelMutation {
    /// Connects a channel account: the credentials are checked with one real call (or, for OAuth without
    /// tokens, the connection waits for consent) and stored encrypted. Refusals name the marketplace's answer.
    #[graphql(guard = "RequireScope::ADMIN")]
    async fn channel_connect(&self, ctx: &Context<'_>, input: ChannelConnectInput) -> Result<ChannelConnectPayload> {
        let mut errors = Vec::new();
        let settings = input.settings.unwrap_or_default().decode(&mut errors);
        if !errors.is_empty() {
            return Ok(ChannelConnectPayload {
                channel: None,
                authorization_url: None,
                user_errors: user_errors(errors, &[]),
            });
        }
        let input = ConnectInput {
            kind: input.kind,
            name: input.name,
            country: input.country,
            base_url: input.base_url,
            credentials: input.credentials.into(),
            settings,
        };
        let (connected, user_errors) = split(service::connect(app(ctx)?, input).await, &[])?;
        Ok(match connected {
            Some(c) => ChannelConnectPayload {
                channel: Some(Channel(c.channel)),
                authorization_url: c.authorization_url,
                user_errors,
            },
            None => ChannelConnectPayload { channel: None, authorization_url: None, user_errors },
        })
    }

    /// Changes settings and/or replaces credentials.
    #[graphql(guard = "RequireScope::ADMIN")]
    async fn channel_update(&self, ctx: &Context<'_>, id: ID, input: ChannelUpdateInput) -> Result<ChannelPayload> {
        let mut errors = Vec::new();
        let id = input_id("Channel", &id, &["id"]).map_err(|e| errors.push(e)).ok();
        let settings = input.settings.unwrap_or_default().decode(&mut errors);
        let Some(id) = id.filter(|_| errors.is_empty()) else {
            return Ok(ChannelPayload { channel: None, user_errors: user_errors(errors, &["id"]) });
        };
        let update = UpdateInput {
            name: input.name,
            base_url: input.base_url,
            credentials: input.credentials.map(Into::into),
            settings,
        };
        let app = app(ctx)?;
        let (channel, user_errors) =
            split(crate::jobs::effects::with_effects(app, service::update(app, id, update).await), &["id"])?;
        Ok(ChannelPayload { channel: channel.map(Channel), user_errors })
    }

    /// Disconnects (SPEC §1): requires `confirm: true`; the account stops receiving order updates and its links
    /// stop syncing; imported orders stay.
    #[graphql(guard = "RequireScope::ADMIN")]
    async fn channel_disconnect(&self, ctx: &Context<'_>, id: ID, confirm: bool) -> Result<ChannelPayload> {
        let id = match input_id("Channel", &id, &["id"]) {
            Ok(id) => id,
            Err(e) => {
                return Ok(ChannelPayload { channel: None, user_errors: user_errors(vec![e], &["id", "confirm"]) });
            }
        };
        let (channel, user_errors) = split(service::disconnect(&app(ctx)?.db, id, confirm).await, &["id", "confirm"])?;
        Ok(ChannelPayload { channel: channel.map(Channel), user_errors })
    }
}
