//! Channel accounts: connect, settings, disconnect (the OAuth callback is `web::oauth`).

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};

use entity::channel;

use super::auth::RequireScope;
use super::catalog::{Decimal, Warehouse};
use super::errors::{UserError, int, internal, payloads, query, split, user_errors};
use super::relay::{Conn, ConnectionArgs, connection, global_id, input_id, require_id};
use super::{app, reader};
use crate::domain::channel::CountryCode;
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::money::CurrencyCode;
use crate::services::catalog;
use crate::services::channels::{
    self as service, ChannelFilter, ConnectInput, CredentialsInput, PriceRuleInput, SettingsInput, UpdateInput,
};
use crate::services::warehouses::stock_warehouses;

/// A sales channel kind.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "ChannelKind", remote = "entity::enums::ChannelKind")]
pub enum ChannelKindGql {
    /// Lazada.
    Lazada,
    /// Shopee.
    Shopee,
    /// Tiki.
    Tiki,
    /// TikTok Shop.
    Tiktok,
    /// The merchant's own web storefront.
    Webstore,
}

/// Connection state of a channel account.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "ChannelStatus", remote = "entity::enums::ChannelStatus")]
pub enum ChannelStatusGql {
    /// Waiting for the seller's consent on the marketplace (open `authorizationUrl`).
    PendingAuthorization,
    /// Working: listings, stock, prices and orders sync.
    Connected,
    /// Stopped by the merchant; imported orders stay.
    Disconnected,
    /// The marketplace refuses the credentials; replace them with `channelUpdate`.
    Error,
}

/// Which hub price is pushed.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "PricePolicy", remote = "entity::enums::PricePolicy")]
pub enum PricePolicyGql {
    /// The variant's `price`.
    Retail,
    /// The variant's `listPrice`, else its `price`.
    List,
    /// The variant's `costPrice`, else its `price`.
    Cost,
}

/// Which hub field a listing's SKU is matched against.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "MatchKey", remote = "entity::enums::MatchKey")]
pub enum MatchKeyGql {
    /// The variant's `barcode`.
    Barcode,
    /// The variant's `sku`.
    Sku,
}

/// What is pushed for variants that continue selling when out of stock.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "OversellPolicy", remote = "entity::enums::OversellPolicy")]
pub enum OversellPolicyGql {
    /// Always the oversell quantity (Lazada).
    Always,
    /// The real quantity while above zero, else the oversell quantity (Tiki).
    WhenOutOfStock,
}

pub struct Channel(pub channel::Model);

pub struct ChannelSettings(channel::Model);

/// Settings of a channel (SPEC §1). A change applies from the moment it is saved.
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
    /// The warehouses whose stock is pushed, by id: the chosen ones (their stock together), else the default
    /// warehouse alone.
    async fn stock_warehouses(&self, ctx: &Context<'_>) -> Result<Vec<Warehouse>> {
        let source = query(stock_warehouses(reader(ctx)?, self.0.id).await)?;
        Ok(source.warehouses.into_iter().map(Warehouse).collect())
    }
    /// The first of `stockWarehouses`.
    #[graphql(deprecation = "A channel may read several warehouses: use stockWarehouses.")]
    async fn stock_warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        let source = query(stock_warehouses(reader(ctx)?, self.0.id).await)?;
        Ok(source.warehouses.into_iter().next().map(Warehouse))
    }
    /// Whether stock warehouses were chosen (changes the quantity rule, SPEC §3).
    async fn stock_warehouse_chosen(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(query(stock_warehouses(reader(ctx)?, self.0.id).await)?.chosen)
    }
    /// The warehouse channel orders take stock from.
    async fn order_warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        warehouse_or_default(ctx, self.0.order_warehouse_id).await
    }
    /// Which hub price is pushed.
    async fn price_policy(&self) -> PricePolicyGql {
        self.0.price_policy.into()
    }
    /// Which hub field listings' seller SKUs are matched against when linking.
    async fn match_key(&self) -> MatchKeyGql {
        self.0.match_key.into()
    }
    /// Days the first order sync reaches back.
    async fn order_backfill_days(&self) -> i32 {
        self.0.order_backfill_days
    }
    /// Units pushed for continue-selling variants.
    async fn oversell_quantity(&self) -> Result<i32> {
        int(self.0.oversell_quantity)
    }
    /// When `oversellQuantity` is pushed for continue-selling variants.
    async fn oversell_policy(&self) -> OversellPolicyGql {
        self.0.oversell_policy.into()
    }
    /// Units held back from every quantity pushed to this channel (safety stock), unless the variant sets its own
    /// `safetyStockUnits`. The larger of this and `safetyStockPercent` is held back.
    async fn safety_stock_units(&self) -> Result<i32> {
        int(self.0.safety_stock_units)
    }
    /// Percent of the real quantity held back from what is pushed (rounded up), unless the variant sets its own
    /// `safetyStockUnits`.
    async fn safety_stock_percent(&self) -> i32 {
        self.0.safety_stock_percent
    }
    /// The channel's weight when the warehouse it sells from splits its units between channels
    /// (`Warehouse.stockAllocation`, or a variant below its low-stock threshold): its share is this weight over
    /// the weights of all the channels selling from that warehouse alone. 0: no share.
    async fn allocation_weight(&self) -> i32 {
        self.0.allocation_weight
    }
    /// Overlap of successive order polling windows, in seconds.
    async fn order_poll_overlap_seconds(&self) -> i32 {
        self.0.order_poll_overlap_seconds
    }
    /// Seconds between the scheduler's order polls of this channel (pulling Tiki's event queue, listing orders
    /// updated since the last poll); the marketplace's default unless set (Tiki 15, which has no push; the others
    /// 60). Pushed orders do not wait for it.
    async fn order_poll_interval_seconds(&self) -> Result<i32> {
        int(crate::jobs::orders::poll_every(&self.0).num_seconds())
    }
    /// Repair stock drift found by reconciliation with a push.
    async fn stock_drift_repair(&self) -> bool {
        self.0.stock_drift_repair
    }
    /// Days push history is kept.
    async fn push_history_retention_days(&self) -> i32 {
        self.0.push_history_retention_days
    }
    /// How the pushed price is made from the `pricePolicy`'s price: a markup or markdown, then rounding; never
    /// below the variant's cost, never above the listing's list price where the channel caps prices at it (Tiki).
    /// `stockExplanation.priceSteps` shows each step for a variant.
    async fn price_rule(&self) -> PriceRuleGql {
        let currency = crate::services::channels::currency(&self.0);
        let money = |minor: i64| Decimal(crate::domain::money::from_minor(minor, currency));
        PriceRuleGql {
            adjust_percent: Decimal(rust_decimal::Decimal::new(self.0.price_adjust_basis_points, 2).normalize()),
            adjust_amount: money(self.0.price_adjust_amount_minor),
            round_to: self.0.price_round_to_minor.map(money),
            round_up_to_ending: self.0.price_round_up_to_ending_minor.map(money),
        }
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
    /// Listings stored from the channel.
    pub listings: i32,
    /// Product links, in every state (link errors included).
    pub links: i32,
    /// Links in LINK_ERROR.
    pub link_errors: i32,
    /// Links in SYNC_ERROR (their last push failed).
    pub sync_errors: i32,
    /// Orders imported from the channel.
    pub orders: i32,
}

/// How a channel keeps in step, now: what the console's overview shows and the metrics alert on.
#[derive(SimpleObject)]
pub struct ChannelHealth {
    /// Links whose stock or price waits to be pushed to the channel.
    pub pushes_pending: i32,
    /// When the last completed order poll ended; null if none has.
    pub last_order_poll_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the last completed stock push run ended; null if none has.
    pub last_push_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the oldest order push (webhook) not yet applied arrived; null when none waits.
    pub oldest_unapplied_order_event_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A connected marketplace account (shop). Credentials are never readable.
#[Object]
impl Channel {
    /// Global id.
    pub async fn id(&self) -> ID {
        global_id("Channel", self.0.id)
    }
    /// The marketplace.
    async fn kind(&self) -> ChannelKindGql {
        self.0.kind.into()
    }
    /// The merchant's name for the account.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The shop's country.
    async fn country(&self) -> Result<CountryCode> {
        CountryCode::parse(&self.0.country).ok_or_else(|| {
            internal(anyhow::anyhow!("channel {} has an unknown country {:?}", self.0.id, self.0.country))
        })
    }
    /// Currency of the channel's prices.
    async fn currency_code(&self) -> CurrencyCode {
        CurrencyCode::of_stored(service::currency(&self.0))
    }
    /// API base URL (the marketplace's real host unless overridden, e.g. by a simulator).
    async fn base_url(&self) -> &str {
        &self.0.base_url
    }
    /// Connection state.
    async fn status(&self) -> ChannelStatusGql {
        self.0.status.into()
    }
    /// The shop's id on the marketplace.
    async fn shop_external_id(&self) -> Option<&str> {
        self.0.shop_external_id.as_deref()
    }
    /// The shop's name on the marketplace, once known.
    async fn shop_name(&self) -> Option<&str> {
        self.0.shop_name.as_deref()
    }
    /// When the current access token expires (OAuth channels); it is refreshed before.
    async fn access_token_expires_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.access_token_expires_at
    }
    /// How the channel syncs.
    async fn settings(&self) -> ChannelSettings {
        ChannelSettings(self.0.clone())
    }
    /// How much of the channel the hub knows, counted now.
    async fn counts(&self, ctx: &Context<'_>) -> Result<ChannelCounts> {
        let c = query(service::counts(reader(ctx)?, self.0.id).await)?;
        Ok(ChannelCounts {
            listings: int(c.listings)?,
            links: int(c.links)?,
            link_errors: int(c.link_errors)?,
            sync_errors: int(c.sync_errors)?,
            orders: int(c.orders)?,
        })
    }
    /// Pending pushes and the last order poll and push, read now.
    async fn health(&self, ctx: &Context<'_>) -> Result<ChannelHealth> {
        let found =
            service::health(reader(ctx)?, Some(&[self.0.id])).await.map_err(crate::services::ServiceError::from);
        let h = query(found)?.remove(&self.0.id).unwrap_or_default();
        Ok(ChannelHealth {
            pushes_pending: i32::try_from(h.pushes_pending).unwrap_or(i32::MAX),
            last_order_poll_at: h.last_order_poll_at,
            last_push_at: h.last_push_at,
            oldest_unapplied_order_event_at: h.oldest_unapplied_order_event_at,
        })
    }
    /// When it was connected; null while waiting for consent.
    async fn connected_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.connected_at
    }
    /// Where the marketplace must send its pushes (`webhook.url`).
    #[graphql(deprecation = "Use `webhook`: the address with how it is registered and whether pushes arrive.")]
    async fn webhook_url(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(service::webhook_url(&app(ctx)?.settings, self.0.id))
    }
    /// Where the marketplace pushes the channel's events and how that stands; null for a marketplace that does not
    /// push (Tiki: the hub pulls its events).
    async fn webhook(&self, ctx: &Context<'_>) -> Result<Option<super::channel_webhook::ChannelWebhook>> {
        Ok(super::channel_webhook::of(&app(ctx)?.settings, &self.0))
    }
    /// The reasons `orderCancel` takes for this channel's orders, as its marketplace takes them. Empty: the
    /// marketplace takes any text (Tiki, TikTok Shop, the web store).
    async fn cancel_reasons(&self) -> Vec<CancelReason> {
        crate::channels::marketplace(self.0.kind)
            .cancel_reasons
            .iter()
            .map(|o| CancelReason { code: o.code, label: o.label })
            .collect()
    }
    /// Every order of the channel updated before this time is known to be imported (moved by each completed poll).
    async fn orders_reconciled_until(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.orders_reconciled_until
    }
    /// How the channel's raw order statuses map to hub statuses: its kind's table with this channel's overrides.
    async fn status_mapping(&self) -> Vec<super::orders::StatusMappingRow> {
        super::orders::mapping_rows(&self.0)
    }
    /// When the merchant disconnected it; null unless DISCONNECTED.
    async fn disconnected_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.disconnected_at
    }
    /// When it was created.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
    /// When it last changed (settings included).
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}

/// Which channels to list.
#[derive(InputObject, Default)]
pub struct ChannelFilterInput {
    /// Only this marketplace.
    pub kind: Option<ChannelKindGql>,
    /// Only channels in this state.
    pub status: Option<ChannelStatusGql>,
}

#[derive(Default)]
pub struct ChannelQuery;

#[Object]
impl ChannelQuery {
    /// Channel accounts, oldest first (`reverse` for newest first). At most 100 a page.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::relay::page_cost(first, last, child_complexity)")]
    async fn channels(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Start after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "End before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Page size, from the start (or `after`): 0 to 100, default 50.")] first: Option<i32>,
        #[graphql(desc = "Page size, from the end (or `before`): 0 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "true: newest first (the list's order reversed). Default false.")] reverse: Option<bool>,
        #[graphql(desc = "Narrows the list.")] filter: Option<ChannelFilterInput>,
    ) -> Result<Conn<Channel>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page(ctx)?;
        let filter = filter.unwrap_or_default();
        let filter = ChannelFilter { kind: filter.kind.map(Into::into), status: filter.status.map(Into::into) };
        let found = query(service::list(reader(ctx)?, &filter, &page).await)?;
        Ok(connection(found, Channel))
    }

    /// A channel by global id; null if it does not exist.
    async fn channel(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Channel.")] id: ID,
    ) -> Result<Option<Channel>> {
        let id = require_id("Channel", &id)?;
        Ok(query(service::get(reader(ctx)?, id).await)?.map(Channel))
    }

    /// The marketplace's seller consent URL for an app (real OAuth flow). `channelConnect` without tokens
    /// returns the same URL bound to a pending connection, whose redirect completes it. Shopee's link is signed,
    /// so it needs `appSecret`. `baseUrl`: a simulator's URL gives the simulator's consent page.
    #[allow(clippy::too_many_arguments)]
    async fn channel_authorization_url(
        &self,
        #[graphql(desc = "The marketplace.")] kind: ChannelKindGql,
        #[graphql(desc = "The shop's country.")] country: CountryCode,
        #[graphql(desc = "The app's key (Shopee: partner id; Tiki: client id).")] app_key: String,
        #[graphql(desc = "Where the marketplace sends the seller back after consent.")] redirect_uri: String,
        #[graphql(desc = "Returned on the redirect, to match it; random when omitted.")] state: Option<String>,
        #[graphql(desc = "The app's secret; required for Shopee, which signs the link.")] app_secret: Option<String>,
        #[graphql(desc = "The marketplace's host; omit for the real one.")] base_url: Option<String>,
    ) -> Result<String> {
        let state = state.unwrap_or_else(|| ulid::Ulid::generate().to_string());
        let request = crate::channels::registry::ConsentRequest {
            country: country.as_str(),
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
    /// TIKI v1 and WEBSTORE: the API key.
    pub api_key: Option<String>,
    /// The app's key (SHOPEE: partner id; TIKI v2: client id).
    pub app_key: Option<String>,
    /// The app's secret (SHOPEE: partner key; TIKI v2: client secret; WEBSTORE: the API secret, with `apiKey`).
    pub app_secret: Option<String>,
    /// OAuth: the code the marketplace's consent redirect carried, exchanged for tokens on connect.
    pub authorization_code: Option<String>,
    /// OAuth: an access token already obtained (with `refreshToken`).
    pub access_token: Option<String>,
    /// OAuth: the refresh token going with `accessToken`.
    pub refresh_token: Option<String>,
    /// SHOPEE: the shop's id.
    pub shop_id: Option<String>,
    /// TIKTOK: the shop cipher, if known (else it is read from the authorized shops).
    pub shop_cipher: Option<String>,
    /// WEBSTORE: the secret signing its webhooks.
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

/// A channel's price rule; amounts in the channel's currency.
#[derive(SimpleObject)]
#[graphql(name = "PriceRule")]
pub struct PriceRuleGql {
    /// Markup (> 0) or markdown (< 0) in percent, applied to the policy's price first: "10" is +10%.
    adjust_percent: Decimal,
    /// Then added (> 0) or taken off (< 0).
    adjust_amount: Decimal,
    /// Then rounded to the nearest multiple of it (half up); null: not rounded to a multiple.
    round_to: Option<Decimal>,
    /// Or rounded up to the nearest price ending in it ("9000": 153,450 → 159,000); null: no ending.
    round_up_to_ending: Option<Decimal>,
}

/// A channel's price rule; it replaces the whole rule (an omitted part is none, `{}` clears it). Checked against
/// the variants linked to the channel: no price may be taken to 0 or below.
#[derive(InputObject, Default)]
#[graphql(name = "PriceRuleInput")]
pub struct PriceRuleInputGql {
    /// Markup (> 0) or markdown (< 0) in percent, up to 2 decimals, above -100 and at most 1000.
    pub adjust_percent: Option<Decimal>,
    /// Then added (> 0) or taken off (< 0), in the channel's currency.
    pub adjust_amount: Option<Decimal>,
    /// Then rounded to the nearest multiple of it (above 0, e.g. "1000").
    pub round_to: Option<Decimal>,
    /// Or rounded up to the nearest price ending in it (above 0, e.g. "9000"); not with `roundTo`.
    pub round_up_to_ending: Option<Decimal>,
}

/// Settings (SPEC §1); omitted fields keep their value (on connect: the kind's default).
#[derive(InputObject, Default)]
pub struct ChannelSettingsInput {
    /// When false, prices are never pushed.
    pub sync_price: Option<bool>,
    /// When false, quantities are never pushed.
    pub sync_quantity: Option<bool>,
    /// Orders are run in the hub: channel status changes no longer overwrite hub statuses.
    pub process_orders_in_hub: Option<bool>,
    /// The warehouses whose stock is pushed, their stock together (Warehouse global ids, each once, at most 50);
    /// an empty list: back to the default warehouse alone.
    pub stock_warehouse_ids: Option<Vec<ID>>,
    /// One warehouse whose stock is pushed; null: back to the default warehouse.
    #[graphql(deprecation = "A channel may read several warehouses: use stockWarehouseIds.")]
    pub stock_warehouse_id: MaybeUndefined<ID>,
    /// The warehouse channel orders take stock from (a Warehouse global id); null: back to the default warehouse.
    pub order_warehouse_id: MaybeUndefined<ID>,
    /// Which hub price is pushed.
    pub price_policy: Option<PricePolicyGql>,
    /// Which hub field listings' seller SKUs are matched against when linking.
    pub match_key: Option<MatchKeyGql>,
    /// Days the first order sync reaches back: 0 to 365.
    pub order_backfill_days: Option<i32>,
    /// Units pushed for continue-selling variants: 0 to 1,000,000.
    pub oversell_quantity: Option<i32>,
    /// When `oversellQuantity` is pushed for continue-selling variants.
    pub oversell_policy: Option<OversellPolicyGql>,
    /// Overlap of successive order polling windows, in seconds: 0 to 3600.
    pub order_poll_overlap_seconds: Option<i32>,
    /// Seconds between the scheduler's order polls of this channel: 5 to 3600. Default: the marketplace's (Tiki
    /// 15, polled for its event queue since it has no push; the others 60).
    pub order_poll_interval_seconds: Option<i32>,
    /// Repair stock drift found by reconciliation with a push.
    pub stock_drift_repair: Option<bool>,
    /// Days push history is kept: 1 to 3650.
    pub push_history_retention_days: Option<i32>,
    /// Units held back from every quantity pushed (safety stock): 0 to 1,000,000. A sale that a push has not
    /// caught up with yet comes out of it instead of being oversold. A variant's own `safetyStockUnits`
    /// overrides it.
    pub safety_stock_units: Option<i32>,
    /// Percent of the real quantity held back (rounded up): 0 to 100. The larger of this and
    /// `safetyStockUnits` is held back.
    pub safety_stock_percent: Option<i32>,
    /// The channel's weight in the split of an allocating warehouse's units: 0 to 1000 (default 1); not 0 where
    /// every other channel selling from the same warehouse weighs 0.
    pub allocation_weight: Option<i32>,
    /// The price rule, replacing the channel's (see `PriceRuleInput`).
    pub price_rule: Option<PriceRuleInputGql>,
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
        let one = warehouse("stockWarehouseId", self.stock_warehouse_id).map(|w| w.into_iter().collect::<Vec<_>>());
        let order_warehouse_id = warehouse("orderWarehouseId", self.order_warehouse_id);
        let many = self.stock_warehouse_ids.map(|ids| {
            ids.iter()
                .enumerate()
                .filter_map(|(i, id)| {
                    input_id("Warehouse", id, &["settings", "stockWarehouseIds", &i.to_string()])
                        .map_err(|e| errors.push(e))
                        .ok()
                })
                .collect::<Vec<i64>>()
        });
        if many.is_some() && one.is_some() {
            errors.push(FieldError::new(
                &["settings", "stockWarehouseId"],
                ErrorCode::Invalid,
                "give stockWarehouseIds only (stockWarehouseId is its deprecated one-warehouse form)",
            ));
        }
        SettingsInput {
            stock_warehouse_ids: many.or(one),
            order_warehouse_id,
            sync_price: self.sync_price,
            sync_quantity: self.sync_quantity,
            process_orders_in_hub: self.process_orders_in_hub,
            price_policy: self.price_policy.map(Into::into),
            match_key: self.match_key.map(Into::into),
            order_backfill_days: self.order_backfill_days,
            oversell_quantity: self.oversell_quantity.map(i64::from),
            oversell_policy: self.oversell_policy.map(Into::into),
            order_poll_overlap_seconds: self.order_poll_overlap_seconds,
            order_poll_interval_seconds: self.order_poll_interval_seconds,
            stock_drift_repair: self.stock_drift_repair,
            push_history_retention_days: self.push_history_retention_days,
            safety_stock_units: self.safety_stock_units.map(i64::from),
            safety_stock_percent: self.safety_stock_percent,
            allocation_weight: self.allocation_weight,
            price_rule: self.price_rule.map(|r| PriceRuleInput {
                adjust_percent: r.adjust_percent.map(|d| d.0),
                adjust_amount: r.adjust_amount.map(|d| d.0),
                round_to: r.round_to.map(|d| d.0),
                round_up_to_ending: r.round_up_to_ending.map(|d| d.0),
            }),
        }
    }
}

/// A channel account to connect.
#[derive(InputObject)]
pub struct ChannelConnectInput {
    /// The marketplace.
    pub kind: ChannelKindGql,
    /// The merchant's name for the account, 1 to 255 characters.
    pub name: String,
    /// The shop's country.
    pub country: CountryCode,
    /// http(s) URL of the API; defaults to the marketplace's real host (required for WEBSTORE).
    pub base_url: Option<String>,
    /// The kind's credentials (see `ChannelCredentialsInput`); checked with one real call.
    pub credentials: ChannelCredentialsInput,
    /// Settings; omitted ones take the kind's defaults.
    pub settings: Option<ChannelSettingsInput>,
}

/// Changes to a channel account; omitted fields are unchanged.
#[derive(InputObject, Default)]
pub struct ChannelUpdateInput {
    /// The merchant's name for the account, 1 to 255 characters.
    pub name: Option<String>,
    /// http(s) URL of the API.
    pub base_url: Option<String>,
    /// Replaces the credentials (checked with one real call first).
    pub credentials: Option<ChannelCredentialsInput>,
    /// Settings to change; omitted ones keep their value.
    pub settings: Option<ChannelSettingsInput>,
}

/// Result of `channelConnect`.
#[derive(SimpleObject)]
pub struct ChannelConnectPayload {
    /// The channel, CONNECTED or PENDING_AUTHORIZATION; null when refused.
    pub channel: Option<Channel>,
    /// Set when the connection waits for the seller's consent: open it; the marketplace redirects back to
    /// `/oauth/{kind}/callback`, which completes the connection.
    pub authorization_url: Option<String>,
    /// Why the input was refused; empty on success.
    pub user_errors: Vec<UserError>,
}

payloads! {
    /// Result of `channelUpdate`.
    ChannelUpdatePayload,
    /// Result of `channelDisconnect`.
    ChannelDisconnectPayload => {
        /// The channel after the change; null when refused.
        pub channel: Option<Channel>,
        /// Why the input was refused; empty on success.
        pub user_errors: Vec<UserError>,
    }
}

#[derive(Default)]
pub struct ChannelMutation;

#[Object]
impl ChannelMutation {
    /// Connects a channel account: the credentials are checked with one real call (or, for OAuth without
    /// tokens, the connection waits for consent) and stored encrypted. Refusals name the marketplace's answer.
    #[graphql(guard = "RequireScope::ADMIN")]
    async fn channel_connect(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account: kind, name, country, credentials, settings.")] input: ChannelConnectInput,
    ) -> Result<ChannelConnectPayload> {
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
            kind: entity::enums::ChannelKind::from(input.kind).as_str().to_owned(),
            name: input.name,
            country: input.country.as_str().to_owned(),
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
    async fn channel_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Channel.")] id: ID,
        #[graphql(desc = "The changes.")] input: ChannelUpdateInput,
    ) -> Result<ChannelUpdatePayload> {
        let mut errors = Vec::new();
        let id = input_id("Channel", &id, &["id"]).map_err(|e| errors.push(e)).ok();
        let settings = input.settings.unwrap_or_default().decode(&mut errors);
        let Some(id) = id.filter(|_| errors.is_empty()) else {
            return Ok(ChannelUpdatePayload { channel: None, user_errors: user_errors(errors, &["id"]) });
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
        Ok(ChannelUpdatePayload { channel: channel.map(Channel), user_errors })
    }

    /// Disconnects (SPEC §1): requires `confirm: true`; the account stops receiving order updates and its links
    /// stop syncing; imported orders stay.
    #[graphql(guard = "RequireScope::ADMIN")]
    async fn channel_disconnect(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Channel.")] id: ID,
        #[graphql(desc = "Must be true (CONFIRMATION_REQUIRED otherwise).")] confirm: bool,
    ) -> Result<ChannelDisconnectPayload> {
        let id = match input_id("Channel", &id, &["id"]) {
            Ok(id) => id,
            Err(e) => {
                return Ok(ChannelDisconnectPayload {
                    channel: None,
                    user_errors: user_errors(vec![e], &["id", "confirm"]),
                });
            }
        };
        let (channel, user_errors) = split(service::disconnect(&app(ctx)?.db, id, confirm).await, &["id", "confirm"])?;
        Ok(ChannelDisconnectPayload { channel: channel.map(Channel), user_errors })
    }
}

/// A reason a seller's cancel may give on a channel (`Channel.cancelReasons`).
#[derive(SimpleObject)]
pub struct CancelReason {
    /// What `orderCancel(reason:)` takes.
    pub code: &'static str,
    /// The reason in the merchant's words (Vietnamese).
    pub label: &'static str,
}
