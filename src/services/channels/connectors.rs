//! The connector of a channel account: its HTTP client and rate limit, its credentials sealed at rest, and
//! refreshed tokens written back.

use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};

use entity::channel;
use entity::enums::ChannelKind;

use super::kind_name;
use crate::channels::{
    self, ApiClient, Connector, ConnectorConfig, ConnectorError, Credentials, RateLimiter, RetryPolicy, TokenStore,
};
use crate::context::AppContext;
use crate::domain::errors::ErrorCode;
use crate::services::{ServiceError, ServiceResult};

/// A connector error as the merchant should read it (nothing was saved).
pub(super) fn refused(kind: ChannelKind, err: ConnectorError) -> ServiceError {
    let name = kind_name(kind);
    match err {
        ConnectorError::Auth { code, message, .. } | ConnectorError::Api { code, message, .. } => {
            ServiceError::rejected(
                &["credentials"],
                ErrorCode::ChannelRefused,
                format!("{name} refused the credentials: {code}: {message}"),
            )
        }
        ConnectorError::TokenExpired { message, .. } => ServiceError::rejected(
            &["credentials"],
            ErrorCode::ChannelRefused,
            format!("{name} refused the tokens (expired and not refreshable): {message}"),
        ),
        ConnectorError::Config(message) => ServiceError::rejected(&["credentials"], ErrorCode::Invalid, message),
        other => ServiceError::rejected(
            &["baseUrl"],
            ErrorCode::ChannelUnavailable,
            format!("{name} could not be reached: {other}"),
        ),
    }
}

/// An HTTP client for one channel account, with its rate limit (shared through Redis when the hub has one).
pub(super) fn api_client(ctx: &AppContext, kind: ChannelKind, limiter_key: &str) -> ServiceResult<ApiClient> {
    let marketplace = channels::marketplace(kind);
    let limiter = RateLimiter::for_marketplace(marketplace, limiter_key, ctx.queue.redis(), &ctx.channel_http.buckets);
    let retry = RetryPolicy {
        timeout: std::time::Duration::from_millis(ctx.settings.channel_timeout_ms.max(1)),
        ..RetryPolicy::default()
    };
    Ok(ApiClient::with_client(ctx.channel_http.client.clone(), marketplace.slug, limiter, retry))
}

/// Writes refreshed tokens back to the channel row, encrypted.
struct DbTokenStore {
    db: DatabaseConnection,
    secrets: crate::secrets::SecretBox,
    channel_id: i64,
}

#[async_trait]
impl TokenStore for DbTokenStore {
    async fn save(&self, credentials: &Credentials) -> Result<(), ConnectorError> {
        let sealed = seal(&self.secrets, credentials).map_err(|e| ConnectorError::Config(e.to_string()))?;
        let update = channel::ActiveModel {
            id: Set(self.channel_id),
            credentials_encrypted: Set(sealed),
            access_token_expires_at: Set(credentials.access_token_expires_at),
            updated_at: Set(chrono::Utc::now()),
            ..Default::default()
        };
        update
            .update(&self.db)
            .await
            .map(|_| ())
            .map_err(|e| ConnectorError::Config(format!("saving refreshed tokens: {e}")))
    }
}

/// Tokens of a connection being made are kept in memory until the channel row exists.
pub(super) struct PendingTokens;

#[async_trait]
impl TokenStore for PendingTokens {
    async fn save(&self, _: &Credentials) -> Result<(), ConnectorError> {
        Ok(())
    }
}

pub(super) fn seal(secrets: &crate::secrets::SecretBox, credentials: &Credentials) -> anyhow::Result<String> {
    Ok(secrets.encrypt(&serde_json::to_vec(credentials)?))
}

pub(super) fn unseal(secrets: &crate::secrets::SecretBox, stored: &str) -> anyhow::Result<Credentials> {
    Ok(serde_json::from_slice(&secrets.decrypt(stored)?)?)
}

/// Re-encrypts every channel's stored credentials under `secrets`' current key (a key rotation), in one
/// transaction: all or nothing. A value no key of `secrets` decrypts stops it, naming the channel. Returns how many
/// were re-encrypted.
pub async fn reseal_credentials(
    db: &sea_orm::DatabaseConnection,
    secrets: &crate::secrets::SecretBox,
) -> ServiceResult<usize> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let txn = crate::services::begin_write(db).await?;
    let channels = channel::Entity::find().all(&txn).await?;
    for c in &channels {
        let credentials = unseal(secrets, &c.credentials_encrypted).map_err(|e| {
            ServiceError::Unexpected(anyhow::anyhow!("the credentials of channel {} (\"{}\"): {e}", c.id, c.name))
        })?;
        channel::Entity::update_many()
            .col_expr(channel::Column::CredentialsEncrypted, Expr::value(seal(secrets, &credentials)?))
            .filter(channel::Column::Id.eq(c.id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(channels.len())
}

pub(super) fn connector_with(
    ctx: &AppContext,
    kind: ChannelKind,
    base_url: &str,
    country: &str,
    credentials: Credentials,
    tokens: Arc<dyn TokenStore>,
    limiter_key: &str,
) -> ServiceResult<Arc<dyn Connector>> {
    let http = api_client(ctx, kind, limiter_key)?;
    channels::connector(ConnectorConfig {
        kind,
        base_url: base_url.to_owned(),
        country: country.to_owned(),
        credentials,
        http,
        tokens,
    })
    .map_err(|e| refused(kind, e))
}

/// The connector of a stored channel (credentials decrypted; refreshed tokens saved back).
pub async fn connector_for(ctx: &AppContext, channel: &channel::Model) -> ServiceResult<Arc<dyn Connector>> {
    let credentials = unseal(&ctx.secrets, &channel.credentials_encrypted).map_err(ServiceError::Unexpected)?;
    let tokens = Arc::new(DbTokenStore { db: ctx.db.clone(), secrets: ctx.secrets.clone(), channel_id: channel.id });
    connector_with(
        ctx,
        channel.kind,
        &channel.base_url,
        &channel.country,
        credentials,
        tokens,
        &format!("channel-{}", channel.id),
    )
}
