//! Connecting an account (SPEC §1): credentials checked by one real call, or the OAuth consent round trip.

use std::sync::Arc;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};

use entity::channel;
use entity::enums::{ChannelKind, ChannelStatus};

use super::connectors::{PendingTokens, connector_with, refused, seal, unseal};
use super::{ConnectInput, Connected, SettingsInput, check_base_url, check_settings, credentials_for};
use crate::channels::registry::{self, Auth, ConsentRequest};
use crate::channels::{self, Credentials};
use crate::context::AppContext;
use crate::domain::channel::CountryCode;
use crate::domain::channel_settings;
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::text;
use crate::services::{ServiceError, ServiceResult};

/// The OAuth `state` of a pending channel: its id, authenticated, so a callback cannot name another channel.
fn oauth_state(ctx: &AppContext, channel_id: i64) -> String {
    let tag = ctx.secrets.mac(&state_message(channel_id));
    format!("{channel_id}.{}", &tag[..STATE_TAG_HEX_LEN])
}

/// The state's tag: the first 16 bytes of the MAC, in hex.
const STATE_TAG_HEX_LEN: usize = 32;

fn state_message(channel_id: i64) -> String {
    format!("oauth-state:{channel_id}")
}

/// The channel a callback's `state` names, if the hub issued it (the tag checked in constant time by the MAC).
fn channel_of_state(ctx: &AppContext, state: &str) -> Option<i64> {
    let (id, tag) = state.split_once('.')?;
    let id: i64 = id.parse().ok()?;
    (tag.len() == STATE_TAG_HEX_LEN && ctx.secrets.verify_mac(&state_message(id), tag)).then_some(id)
}

/// Where the marketplace sends the seller back after consent.
pub fn redirect_uri(ctx: &AppContext, kind: ChannelKind) -> String {
    format!("{}/oauth/{}/callback", ctx.settings.public_base_url(), channels::marketplace(kind).slug)
}

/// "LAZADA, SHOPEE, TIKI, TIKTOK or WEBSTORE".
fn kind_names() -> String {
    let names: Vec<&str> = registry::all().map(|m| m.kind.as_str()).collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

pub async fn connect(ctx: &AppContext, input: ConnectInput) -> ServiceResult<Connected> {
    let mut errors = Vec::new();
    let kind = registry::parse(&input.kind).map(|m| m.kind);
    if kind.is_none() {
        errors.push(FieldError::new(
            &["kind"],
            ErrorCode::Invalid,
            format!("unknown channel kind \"{}\": use {}", input.kind, kind_names()),
        ));
    }
    let name = text::required("name", &input.name, text::MAX_TITLE_LEN).map_err(|e| errors.push(e)).ok();
    let country = input.country.trim().to_ascii_uppercase();
    if CountryCode::parse(&country).is_none() {
        let known: Vec<&str> = CountryCode::ALL.iter().map(|c| c.as_str()).collect();
        errors.push(FieldError::new(
            &["country"],
            ErrorCode::Invalid,
            format!("unknown country \"{}\": use one of {}", input.country, known.join(", ")),
        ));
    }
    let Some(kind) = kind else { return Err(ServiceError::Rejected(errors)) };
    let base_url = check_base_url(kind, input.base_url.as_deref(), &country).map_err(|e| errors.push(e)).ok();
    let creds = credentials_for(kind, &input.credentials).map_err(|e| errors.extend(e)).ok();
    let currency = crate::domain::channel::currency_of_country(&country).unwrap_or("VND");
    errors.extend(check_settings(ctx, None, &input.settings, currency).await?);
    let (Some(name), Some(base_url), Some((credentials, code)), true) = (name, base_url, creds, errors.is_empty())
    else {
        return Err(ServiceError::Rejected(errors));
    };

    let oauth = matches!(channels::marketplace(kind).auth, Auth::OAuth { .. });
    let needs_consent = oauth && code.is_none() && credentials.access_token.is_none();
    if needs_consent {
        let channel = insert_channel(
            ctx,
            kind,
            &name,
            &country,
            &base_url,
            &credentials,
            &input.settings,
            ChannelStatus::PendingAuthorization,
            None,
        )
        .await?;
        let (redirect_uri, state) = (redirect_uri(ctx, kind), oauth_state(ctx, channel.id));
        let request = ConsentRequest {
            country: &country,
            app_key: credentials.app_key.as_deref().unwrap_or_default(),
            app_secret: credentials.app_secret.as_deref(),
            redirect_uri: &redirect_uri,
            state: &state,
        };
        let url = registry::authorization_url(kind, &base_url, &request)
            .map_err(|m| ServiceError::rejected(&["credentials"], ErrorCode::Invalid, m))?;
        return Ok(Connected { channel, authorization_url: Some(url) });
    }

    let limiter_key = format!("connect-{}", ulid::Ulid::generate());
    let connector =
        connector_with(ctx, kind, &base_url, &country, credentials.clone(), Arc::new(PendingTokens), &limiter_key)?;
    let credentials = match code {
        Some(code) => connector
            .exchange_authorization_code(&code, &[], Some(&redirect_uri(ctx, kind)))
            .await
            .map_err(|e| refused(kind, e))?,
        None => credentials,
    };
    let connector = connector_with(ctx, kind, &base_url, &country, credentials, Arc::new(PendingTokens), &limiter_key)?;
    let identity = connector.shop_identity().await.map_err(|e| refused(kind, e))?;
    let credentials = connector.current_credentials().await;
    let channel = insert_channel(
        ctx,
        kind,
        &name,
        &country,
        &base_url,
        &credentials,
        &input.settings,
        ChannelStatus::Connected,
        Some(identity),
    )
    .await?;
    let channel = super::webhook::register(ctx, channel, &*connector).await?;
    Ok(Connected { channel, authorization_url: None })
}

/// Completes a pending connection from the consent redirect (`GET /oauth/{kind}/callback`).
pub async fn complete_authorization(
    ctx: &AppContext,
    kind_path: &str,
    params: &[(String, String)],
) -> ServiceResult<channel::Model> {
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let invalid = |m: &str| ServiceError::rejected(&["state"], ErrorCode::Invalid, m);
    let state = param("state").ok_or_else(|| invalid("the callback has no state"))?;
    let channel_id =
        channel_of_state(ctx, &state).ok_or_else(|| invalid("the callback's state was not issued by this hub"))?;
    let code = param("code").ok_or_else(|| {
        ServiceError::rejected(
            &["code"],
            ErrorCode::Blank,
            "the callback has no authorization code (did the seller decline?)",
        )
    })?;
    let channel = channel::Entity::find_by_id(channel_id)
        .one(&ctx.db)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["state"], "Channel"))?;
    if channels::marketplace(channel.kind).slug != kind_path {
        return Err(invalid("the callback is for another marketplace"));
    }
    if channel.status != ChannelStatus::PendingAuthorization {
        return Err(ServiceError::rejected(
            &["state"],
            ErrorCode::InvalidState,
            "this channel is not waiting for authorization",
        ));
    }
    let credentials = unseal(&ctx.secrets, &channel.credentials_encrypted).map_err(ServiceError::Unexpected)?;
    let limiter_key = format!("channel-{}", channel.id);
    let connector = connector_with(
        ctx,
        channel.kind,
        &channel.base_url,
        &channel.country,
        credentials,
        Arc::new(PendingTokens),
        &limiter_key,
    )?;
    let credentials = connector
        .exchange_authorization_code(&code, params, Some(&redirect_uri(ctx, channel.kind)))
        .await
        .map_err(|e| refused(channel.kind, e))?;
    let connector = connector_with(
        ctx,
        channel.kind,
        &channel.base_url,
        &channel.country,
        credentials,
        Arc::new(PendingTokens),
        &limiter_key,
    )?;
    let identity = connector.shop_identity().await.map_err(|e| refused(channel.kind, e))?;
    let credentials = connector.current_credentials().await;
    let now = chrono::Utc::now();
    let mut active: channel::ActiveModel = channel.into();
    active.credentials_encrypted = Set(seal(&ctx.secrets, &credentials).map_err(ServiceError::Unexpected)?);
    active.access_token_expires_at = Set(credentials.access_token_expires_at);
    active.status = Set(ChannelStatus::Connected);
    active.shop_external_id = Set(Some(identity.external_id));
    active.shop_name = Set(Some(identity.name));
    active.connected_at = Set(Some(now));
    active.updated_at = Set(now);
    let channel = active.update(&ctx.db).await?;
    super::webhook::register(ctx, channel, &*connector).await
}

#[allow(clippy::too_many_arguments)]
async fn insert_channel(
    ctx: &AppContext,
    kind: ChannelKind,
    name: &str,
    country: &str,
    base_url: &str,
    credentials: &Credentials,
    settings: &SettingsInput,
    status: ChannelStatus,
    identity: Option<crate::domain::channel::ShopIdentity>,
) -> ServiceResult<channel::Model> {
    let defaults = channels::marketplace(kind).settings.clone();
    let now = chrono::Utc::now();
    let connected = status == ChannelStatus::Connected;
    let mut model = channel::ActiveModel {
        kind: Set(kind),
        name: Set(name.to_owned()),
        country: Set(country.to_owned()),
        base_url: Set(base_url.to_owned()),
        credentials_encrypted: Set(seal(&ctx.secrets, credentials).map_err(ServiceError::Unexpected)?),
        status: Set(status),
        shop_external_id: Set(identity.as_ref().map(|i| i.external_id.clone())),
        shop_name: Set(identity.map(|i| i.name)),
        access_token_expires_at: Set(credentials.access_token_expires_at),
        sync_price: Set(settings.sync_price.unwrap_or(true)),
        sync_quantity: Set(settings.sync_quantity.unwrap_or(true)),
        process_orders_in_hub: Set(settings.process_orders_in_hub.unwrap_or(false)),
        order_warehouse_id: Set(settings.order_warehouse_id.flatten()),
        price_policy: Set(settings.price_policy.unwrap_or(defaults.price_policy)),
        match_key: Set(settings.match_key.unwrap_or(defaults.match_key)),
        order_backfill_days: Set(settings.order_backfill_days.unwrap_or(defaults.order_backfill_days)),
        oversell_quantity: Set(settings.oversell_quantity.unwrap_or(channel_settings::DEFAULT_OVERSELL_QUANTITY)),
        oversell_policy: Set(settings.oversell_policy.unwrap_or(defaults.oversell_policy)),
        order_poll_overlap_seconds: Set(settings.order_poll_overlap_seconds.unwrap_or(120)),
        // None: the marketplace's default, whatever it is when the scheduler reads it.
        order_poll_interval_seconds: Set(settings.order_poll_interval_seconds),
        stock_drift_repair: Set(settings.stock_drift_repair.unwrap_or(false)),
        safety_stock_units: Set(settings.safety_stock_units.unwrap_or(0)),
        safety_stock_percent: Set(settings.safety_stock_percent.unwrap_or(0)),
        allocation_weight: Set(settings.allocation_weight.unwrap_or(1)),
        push_history_retention_days: Set(settings.push_history_retention_days.unwrap_or(30)),
        status_mapping_overrides: Set(None),
        orders_cursor_at: Set(None),
        orders_reconciled_until: Set(None),
        connected_at: Set(connected.then_some(now)),
        disconnected_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(rule) = &settings.price_rule {
        let currency = crate::domain::channel::currency_of_country(country).unwrap_or("VND");
        let rule = super::price_rule::decode(rule, currency).map_err(ServiceError::Rejected)?;
        super::price_rule::store(&mut model, &rule);
    }
    let txn = crate::services::begin_write(&ctx.db).await?;
    let inserted = model.insert(&txn).await?;
    if let Some(ids) = &settings.stock_warehouse_ids {
        super::stock_warehouses::replace(&txn, inserted.id, ids).await?;
    }
    txn.commit().await?;
    Ok(inserted)
}
