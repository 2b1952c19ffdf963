//! Channel accounts (SPEC §1): connect (credentials checked by one real call, stored encrypted), settings,
//! disconnect, the OAuth consent round trip, and building the connector of a stored channel.
//!
//! This is the one service that talks to marketplaces (through `crate::channels`): connecting is a
//! credential check, not background work.

mod connect;
mod connectors;
mod price_rule;
pub mod stock_warehouses;
mod webhook;

pub use connect::{complete_authorization, connect, redirect_uri};
pub use connectors::{connector_for, reseal_credentials};
pub use price_rule::PriceRuleInput;
pub use webhook::{console_instructions, webhook_url};

use std::sync::Arc;

use connectors::{PendingTokens, connector_with, refused, seal};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};

use entity::enums::{ChannelKind, ChannelStatus, LinkState, MatchKey, OversellPolicy, PricePolicy};
use entity::{channel, channel_listing, order, product_link, warehouse};

use super::effects::{Committed, Effects};
use super::pagination::{Page, PageArgs, paginate};
use super::warehouses::SoleStockWarehouse;
use super::{ServiceError, ServiceResult};
use crate::channels::registry::Auth;
use crate::channels::{self, Credentials};
use crate::context::AppContext;
use crate::domain::channel::currency_of_country;
use crate::domain::channel_settings;
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::text;

/// Human name of a kind, for messages.
pub fn kind_name(kind: ChannelKind) -> &'static str {
    channels::marketplace(kind).name
}

#[derive(Debug, Clone, Default)]
pub struct CredentialsInput {
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

impl From<&Credentials> for CredentialsInput {
    /// Every field of stored credentials (a simulator's, a bench's), no authorization code.
    fn from(c: &Credentials) -> Self {
        Self {
            api_key: c.api_key.clone(),
            app_key: c.app_key.clone(),
            app_secret: c.app_secret.clone(),
            authorization_code: None,
            access_token: c.access_token.clone(),
            refresh_token: c.refresh_token.clone(),
            shop_id: c.shop_id.clone(),
            shop_cipher: c.shop_cipher.clone(),
            webhook_secret: c.webhook_secret.clone(),
        }
    }
}

/// Settings of SPEC §1; `None` leaves a setting as it is (or at its kind's default on connect).
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    pub sync_price: Option<bool>,
    pub sync_quantity: Option<bool>,
    pub process_orders_in_hub: Option<bool>,
    /// The warehouses whose stock is pushed; `Some(vec![])`: back to the default warehouse.
    pub stock_warehouse_ids: Option<Vec<i64>>,
    pub order_warehouse_id: Option<Option<i64>>,
    pub price_policy: Option<PricePolicy>,
    pub match_key: Option<MatchKey>,
    pub order_backfill_days: Option<i32>,
    pub oversell_quantity: Option<i64>,
    pub oversell_policy: Option<OversellPolicy>,
    pub order_poll_overlap_seconds: Option<i32>,
    pub order_poll_interval_seconds: Option<i32>,
    pub stock_drift_repair: Option<bool>,
    pub push_history_retention_days: Option<i32>,
    /// Units held back from every pushed quantity (a variant's own safety stock overrides).
    pub safety_stock_units: Option<i64>,
    /// Percent of the real quantity held back (the larger of this and the units is held).
    pub safety_stock_percent: Option<i32>,
    /// The channel's weight in the split of an allocating warehouse's units.
    pub allocation_weight: Option<i32>,
    /// Replaces the channel's price rule.
    pub price_rule: Option<PriceRuleInput>,
}

#[derive(Debug, Clone, Default)]
pub struct ConnectInput {
    pub kind: String,
    pub name: String,
    pub country: String,
    pub base_url: Option<String>,
    pub credentials: CredentialsInput,
    pub settings: SettingsInput,
}

#[derive(Debug, Clone)]
pub struct Connected {
    pub channel: channel::Model,
    /// For a connection waiting for the seller's consent: where to send the seller.
    pub authorization_url: Option<String>,
}

fn clean(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn blank(field: &str, message: String) -> FieldError {
    FieldError::new(&["credentials", field], ErrorCode::Blank, message)
}

/// The credentials a kind needs, from the input: missing pieces are named.
fn credentials_for(
    kind: ChannelKind,
    input: &CredentialsInput,
) -> Result<(Credentials, Option<String>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let c = Credentials {
        app_key: clean(&input.app_key),
        app_secret: clean(&input.app_secret),
        api_key: clean(&input.api_key),
        access_token: clean(&input.access_token),
        refresh_token: clean(&input.refresh_token),
        shop_id: clean(&input.shop_id),
        shop_cipher: clean(&input.shop_cipher),
        webhook_secret: clean(&input.webhook_secret),
        ..Credentials::default()
    };
    let code = clean(&input.authorization_code);
    let name = kind_name(kind);
    match channels::marketplace(kind).auth {
        Auth::OAuth { shop_id } => {
            if c.app_key.is_none() {
                errors.push(blank("appKey", format!("{name} needs the app key (Shopee: partner id)")));
            }
            if c.app_secret.is_none() {
                errors.push(blank("appSecret", format!("{name} needs the app secret (Shopee: partner key)")));
            }
            if code.is_some() && c.access_token.is_some() {
                errors.push(FieldError::new(
                    &["credentials", "authorizationCode"],
                    ErrorCode::Invalid,
                    "give an authorization code or tokens, not both",
                ));
            }
            if c.access_token.is_some() && c.refresh_token.is_none() {
                errors.push(blank("refreshToken", format!("{name} access tokens expire: give the refresh token too")));
            }
            if shop_id && c.shop_id.is_none() && code.is_none() {
                errors.push(blank("shopId", format!("{name} calls are per shop: give the shop id")));
            }
        }
        Auth::ApiKeyOrClient => {
            let v2 = c.app_key.is_some() || c.app_secret.is_some();
            if c.api_key.is_none() && !v2 {
                errors.push(blank("apiKey", format!("{name} needs an API key (v1) or a client id and secret (v2)")));
            }
            if v2 && (c.app_key.is_none() || c.app_secret.is_none()) {
                errors.push(blank(
                    if c.app_key.is_none() { "appKey" } else { "appSecret" },
                    format!("{name} v2 needs both the client id (appKey) and the client secret (appSecret)"),
                ));
            }
        }
        Auth::ApiKey => {
            if c.api_key.is_none() {
                errors.push(blank("apiKey", format!("{name} needs its API key")));
            }
            if c.app_secret.is_none() {
                errors.push(blank("appSecret", format!("{name} needs its API secret")));
            }
        }
    }
    if errors.is_empty() { Ok((c, code)) } else { Err(errors) }
}

fn check_base_url(kind: ChannelKind, given: Option<&str>, country: &str) -> Result<String, FieldError> {
    let given = given.map(str::trim).filter(|s| !s.is_empty());
    let Some(url) = given else {
        let default = (channels::marketplace(kind).default_base_url)(country);
        if default.is_empty() {
            return Err(FieldError::new(
                &["baseUrl"],
                ErrorCode::Blank,
                format!("{}'s base URL is required (e.g. https://shop.example.com)", kind_name(kind)),
            ));
        }
        return Ok(default);
    };
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
            Ok(url.trim_end_matches('/').to_owned())
        }
        _ => Err(FieldError::new(&["baseUrl"], ErrorCode::Invalid, format!("\"{url}\" is not an http(s) URL"))),
    }
}

/// The settings' own checks; `current`: the channel they change (`None` on connect); `currency`: the channel's.
async fn check_settings(
    ctx: &AppContext,
    current: Option<&channel::Model>,
    s: &SettingsInput,
    currency: &str,
) -> ServiceResult<Vec<FieldError>> {
    let mut errors = channel_settings::check_numbers(
        s.order_backfill_days,
        s.oversell_quantity,
        s.order_poll_overlap_seconds,
        s.push_history_retention_days,
        s.order_poll_interval_seconds,
    );
    errors.extend(channel_settings::check_safety_stock(s.safety_stock_units, s.safety_stock_percent));
    errors.extend(check_allocation_weight(&ctx.db, current, s).await?);
    if let Some(rule) = &s.price_rule {
        let policy = s.price_policy.or(current.map(|c| c.price_policy)).unwrap_or(PricePolicy::Retail);
        errors.extend(price_rule::check(&ctx.db, current, policy, rule, currency).await?);
    }
    if let Some(id) = s.order_warehouse_id.flatten()
        && warehouse::Entity::find_by_id(id).one(&ctx.db).await?.is_none()
    {
        errors.push(FieldError::new(&["settings", "orderWarehouseId"], ErrorCode::NotFound, "Warehouse not found"));
    }
    if let Some(ids) = &s.stock_warehouse_ids {
        errors.extend(stock_warehouses::check(&ctx.db, ids).await?);
    }
    Ok(errors)
}

#[derive(Debug, Clone, Default)]
pub struct UpdateInput {
    pub name: Option<String>,
    pub base_url: Option<String>,
    /// Replaces the stored credentials after checking them with one real call.
    pub credentials: Option<CredentialsInput>,
    pub settings: SettingsInput,
}

/// Changes settings (from now on; nothing already done is rewritten) and/or replaces credentials.
pub async fn update(ctx: &AppContext, id: i64, input: UpdateInput) -> ServiceResult<Committed<channel::Model>> {
    let current = channel::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["id"], "Channel"))?;
    let mut errors = check_settings(ctx, Some(&current), &input.settings, currency(&current)).await?;
    let name = input
        .name
        .as_deref()
        .map(|n| text::required("name", n, text::MAX_TITLE_LEN))
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let base_url = match input.base_url.as_deref() {
        Some(url) => check_base_url(current.kind, Some(url), &current.country).map_err(|e| errors.push(e)).ok(),
        None => Some(current.base_url.clone()),
    };
    let new_credentials = match &input.credentials {
        Some(c) => credentials_for(current.kind, c).map_err(|e| errors.extend(e)).ok().map(|(creds, _)| creds),
        None => None,
    };
    let Some(base_url) = base_url else { return Err(ServiceError::Rejected(errors)) };
    if !errors.is_empty() {
        return Err(ServiceError::Rejected(errors));
    }
    let mut active: channel::ActiveModel = current.clone().into();
    if let Some(credentials) = new_credentials {
        let connector = connector_with(
            ctx,
            current.kind,
            &base_url,
            &current.country,
            credentials,
            Arc::new(PendingTokens),
            &format!("channel-{id}"),
        )?;
        let identity = connector.shop_identity().await.map_err(|e| refused(current.kind, e))?;
        let credentials = connector.current_credentials().await;
        active.credentials_encrypted = Set(seal(&ctx.secrets, &credentials).map_err(ServiceError::Unexpected)?);
        active.access_token_expires_at = Set(credentials.access_token_expires_at);
        active.shop_external_id = Set(Some(identity.external_id));
        active.shop_name = Set(Some(identity.name));
        if current.status != ChannelStatus::Disconnected {
            active.status = Set(ChannelStatus::Connected);
        }
    }
    if let Some(name) = name {
        active.name = Set(name);
    }
    active.base_url = Set(base_url);
    let s = &input.settings;
    if let Some(v) = s.sync_price {
        active.sync_price = Set(v);
    }
    if let Some(v) = s.sync_quantity {
        active.sync_quantity = Set(v);
    }
    if let Some(v) = s.process_orders_in_hub {
        active.process_orders_in_hub = Set(v);
    }
    if let Some(v) = s.order_warehouse_id {
        active.order_warehouse_id = Set(v);
    }
    if let Some(v) = s.price_policy {
        active.price_policy = Set(v);
    }
    if let Some(v) = s.match_key {
        active.match_key = Set(v);
    }
    if let Some(v) = s.order_backfill_days {
        active.order_backfill_days = Set(v);
    }
    if let Some(v) = s.oversell_quantity {
        active.oversell_quantity = Set(v);
    }
    if let Some(v) = s.oversell_policy {
        active.oversell_policy = Set(v);
    }
    if let Some(v) = s.order_poll_overlap_seconds {
        active.order_poll_overlap_seconds = Set(v);
    }
    if let Some(v) = s.order_poll_interval_seconds {
        active.order_poll_interval_seconds = Set(Some(v));
    }
    if let Some(v) = s.stock_drift_repair {
        active.stock_drift_repair = Set(v);
    }
    if let Some(v) = s.safety_stock_units {
        active.safety_stock_units = Set(v);
    }
    if let Some(v) = s.safety_stock_percent {
        active.safety_stock_percent = Set(v);
    }
    if let Some(v) = s.allocation_weight {
        active.allocation_weight = Set(v);
    }
    if let Some(v) = s.push_history_retention_days {
        active.push_history_retention_days = Set(v);
    }
    if let Some(rule) = &s.price_rule {
        let rule = price_rule::decode(rule, currency(&current)).map_err(ServiceError::Rejected)?;
        price_rule::store(&mut active, &rule);
    }
    active.updated_at = Set(chrono::Utc::now());
    let txn = super::begin_write(&ctx.db).await?;
    let updated = active.update(&txn).await?;
    let warehouses_changed = match &s.stock_warehouse_ids {
        Some(ids) => stock_warehouses::replace(&txn, id, ids).await?,
        None => false,
    };
    // From now on the links push per the new settings (SPEC §1: a change applies from the moment it is saved).
    let mut effects = Effects::none();
    if warehouses_changed || super::link_marks::channel_push_settings_changed(&current, &updated) {
        super::link_marks::mark_channel(&txn, id).await?;
        effects.pushes_became_due();
    }
    txn.commit().await?;
    Ok(Committed::new(updated, effects))
}

/// The weight the channel would have after `s`, against the other connected channels selling from the same one
/// warehouse (`domain::channel_settings::check_allocation_weight`).
async fn check_allocation_weight(
    db: &DatabaseConnection,
    current: Option<&channel::Model>,
    s: &SettingsInput,
) -> ServiceResult<Option<FieldError>> {
    let Some(weight) = s.allocation_weight else { return Ok(None) };
    let current_id = current.map(|c| c.id).unwrap_or(0);
    let others = channel::Entity::find()
        .filter(channel::Column::Status.eq(ChannelStatus::Connected))
        .filter(channel::Column::Id.ne(current_id))
        .all(db)
        .await?;
    let mut ids: Vec<i64> = others.iter().map(|c| c.id).collect();
    ids.push(current_id);
    let chosen = super::warehouses::chosen_stock_warehouses(db, &ids).await?;
    let default = super::warehouses::default_warehouse(db).await?;
    let sells_from = |channel_id: i64, given: Option<&Vec<i64>>| {
        SoleStockWarehouse::of(given.or(chosen.get(&channel_id))).id(default.id)
    };
    let Some(warehouse_id) = sells_from(current_id, s.stock_warehouse_ids.as_ref()) else { return Ok(None) };
    let weights: Vec<i64> = others
        .iter()
        .filter(|c| sells_from(c.id, None) == Some(warehouse_id))
        .map(|c| i64::from(c.allocation_weight))
        .collect();
    let name = warehouse::Entity::find_by_id(warehouse_id).one(db).await?.map(|w| w.name).unwrap_or_default();
    Ok(channel_settings::check_allocation_weight(Some(i64::from(weight)), &weights, &name))
}

/// Stops the account (SPEC §1): no more order updates, links stop syncing; imported orders stay.
pub async fn disconnect(db: &DatabaseConnection, id: i64, confirm: bool) -> ServiceResult<channel::Model> {
    let current =
        channel::Entity::find_by_id(id).one(db).await?.ok_or_else(|| ServiceError::not_found(&["id"], "Channel"))?;
    if !confirm {
        return Err(ServiceError::rejected(
            &["confirm"],
            ErrorCode::ConfirmationRequired,
            format!("disconnecting \"{}\" stops its order updates and stock pushes: pass confirm: true", current.name),
        ));
    }
    if current.status == ChannelStatus::Disconnected {
        return Err(ServiceError::rejected(
            &["id"],
            ErrorCode::InvalidState,
            format!("\"{}\" is already disconnected", current.name),
        ));
    }
    let now = chrono::Utc::now();
    let mut active: channel::ActiveModel = current.into();
    active.status = Set(ChannelStatus::Disconnected);
    active.disconnected_at = Set(Some(now));
    active.updated_at = Set(now);
    Ok(active.update(db).await?)
}

pub async fn get(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<channel::Model>> {
    Ok(channel::Entity::find_by_id(id).one(db).await?)
}

/// The channel a request names in `channelId`, which must be CONNECTED to start work on it.
pub async fn connected(db: &DatabaseConnection, id: i64) -> ServiceResult<channel::Model> {
    let channel = get(db, id).await?.ok_or_else(|| ServiceError::not_found(&["channelId"], "Channel"))?;
    if channel.status != ChannelStatus::Connected {
        return Err(ServiceError::rejected(
            &["channelId"],
            ErrorCode::InvalidState,
            format!("\"{}\" is not connected", channel.name),
        ));
    }
    Ok(channel)
}

#[derive(Debug, Clone, Default)]
pub struct ChannelFilter {
    pub kind: Option<ChannelKind>,
    pub status: Option<ChannelStatus>,
}

pub async fn list(
    db: &DatabaseConnection,
    filter: &ChannelFilter,
    page: &PageArgs,
) -> ServiceResult<Page<channel::Model>> {
    let mut select = channel::Entity::find();
    if let Some(kind) = filter.kind {
        select = select.filter(channel::Column::Kind.eq(kind));
    }
    if let Some(status) = filter.status {
        select = select.filter(channel::Column::Status.eq(status));
    }
    paginate(db, select, channel::Column::Id, page).await
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChannelCounts {
    pub listings: u64,
    pub links: u64,
    pub link_errors: u64,
    pub sync_errors: u64,
    pub orders: u64,
}

pub async fn counts(db: &DatabaseConnection, channel_id: i64) -> ServiceResult<ChannelCounts> {
    let links = |state: Option<LinkState>| {
        let mut q = product_link::Entity::find().filter(product_link::Column::ChannelId.eq(channel_id));
        if let Some(state) = state {
            q = q.filter(product_link::Column::State.eq(state));
        }
        q.count(db)
    };
    Ok(ChannelCounts {
        listings: channel_listing::Entity::find()
            .filter(channel_listing::Column::ChannelId.eq(channel_id))
            .count(db)
            .await?,
        links: links(None).await?,
        link_errors: links(Some(LinkState::LinkError)).await?,
        sync_errors: links(Some(LinkState::SyncError)).await?,
        orders: order::Entity::find().filter(order::Column::ChannelId.eq(channel_id)).count(db).await?,
    })
}

/// How a channel keeps in step, as a merchant watches it and alerts measure it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChannelHealth {
    /// Links whose stock or price waits to be pushed.
    pub pushes_pending: u64,
    /// The end of the last completed order poll and stock push run.
    pub last_order_poll_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_push_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the oldest order push (webhook) still waiting to be applied arrived.
    pub oldest_unapplied_order_event_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The health of the channels `ids` (every channel when `None`) in three grouped queries, whatever their number.
/// A channel missing from the map has nothing pending and no completed run.
pub async fn health(
    db: &DatabaseConnection,
    ids: Option<&[i64]>,
) -> Result<std::collections::HashMap<i64, ChannelHealth>, sea_orm::DbErr> {
    use entity::enums::{SyncRunKind, SyncRunStatus};
    use entity::{sync_run, webhook_event};
    use sea_orm::QuerySelect;

    let mut pending = product_link::Entity::find()
        .select_only()
        .column(product_link::Column::ChannelId)
        .column_as(product_link::Column::Id.count(), "n")
        .filter(product_link::Column::PushPending.eq(true))
        .group_by(product_link::Column::ChannelId);
    let mut last_runs = sync_run::Entity::find()
        .select_only()
        .column(sync_run::Column::ChannelId)
        .column(sync_run::Column::Kind)
        .column_as(sync_run::Column::FinishedAt.max(), "last")
        .filter(sync_run::Column::Status.eq(SyncRunStatus::Completed))
        .filter(sync_run::Column::Kind.is_in([SyncRunKind::OrderPoll, SyncRunKind::StockPush]))
        .group_by(sync_run::Column::ChannelId)
        .group_by(sync_run::Column::Kind);
    let mut oldest_events = webhook_event::Entity::find()
        .select_only()
        .column(webhook_event::Column::ChannelId)
        .column_as(webhook_event::Column::ReceivedAt.min(), "oldest")
        .filter(webhook_event::Column::ProcessedAt.is_null())
        .group_by(webhook_event::Column::ChannelId);
    if let Some(ids) = ids {
        pending = pending.filter(product_link::Column::ChannelId.is_in(ids.to_vec()));
        last_runs = last_runs.filter(sync_run::Column::ChannelId.is_in(ids.to_vec()));
        oldest_events = oldest_events.filter(webhook_event::Column::ChannelId.is_in(ids.to_vec()));
    }
    let mut health: std::collections::HashMap<i64, ChannelHealth> = std::collections::HashMap::new();
    for (id, n) in pending.into_tuple::<(i64, i64)>().all(db).await? {
        health.entry(id).or_default().pushes_pending = u64::try_from(n).unwrap_or(0);
    }
    let runs: Vec<(Option<i64>, SyncRunKind, Option<chrono::DateTime<chrono::Utc>>)> =
        last_runs.into_tuple().all(db).await?;
    for (id, kind, at) in runs {
        let Some(id) = id else { continue };
        let entry = health.entry(id).or_default();
        match kind {
            SyncRunKind::OrderPoll => entry.last_order_poll_at = at,
            _ => entry.last_push_at = at,
        }
    }
    for (id, at) in oldest_events.into_tuple::<(i64, Option<chrono::DateTime<chrono::Utc>>)>().all(db).await? {
        health.entry(id).or_default().oldest_unapplied_order_event_at = at;
    }
    Ok(health)
}

/// The currency of a channel's prices.
pub fn currency(channel: &channel::Model) -> &'static str {
    currency_of_country(&channel.country).unwrap_or("VND")
}
