//! API tokens: random secrets shown once, stored as SHA-256 hashes, with a scope (READ < WRITE < ADMIN).

use base64::Engine as _;
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use entity::api_token;
use entity::enums::TokenScope;

use super::pagination::{Page, PageArgs, paginate};
use super::{ServiceError, ServiceResult};
use crate::domain::errors::ErrorCode;
use crate::domain::text;

/// Tokens look like `osk_<43 base64url characters>` (256 random bits), so they are easy to spot in a leak scan.
const PREFIX: &str = "osk_";

/// How a scope ranks: a token satisfies every scope up to its own.
pub fn rank(scope: TokenScope) -> u8 {
    match scope {
        TokenScope::Read => 1,
        TokenScope::Write => 2,
        TokenScope::Admin => 3,
    }
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates a token; returns it with its secret, which is never stored nor shown again.
pub async fn create(
    db: &DatabaseConnection,
    name: &str,
    scope: TokenScope,
) -> ServiceResult<(api_token::Model, String)> {
    let name = text::required("name", name, text::MAX_TITLE_LEN)?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
    let model = api_token::ActiveModel {
        name: Set(name),
        token_hash: Set(hash(&secret)),
        token_prefix: Set(secret.chars().take(12).collect()),
        scope: Set(scope),
        created_at: Set(chrono::Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((model, secret))
}

/// The live token with this secret, if any, looked up through `reader`. Records its use through `db` at most once
/// a minute (no write per request).
pub async fn verify(
    db: &DatabaseConnection,
    reader: &DatabaseConnection,
    secret: &str,
) -> ServiceResult<Option<api_token::Model>> {
    if !secret.starts_with(PREFIX) {
        return Ok(None);
    }
    let found = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash(secret)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(reader)
        .await?;
    if let Some(token) = &found {
        let now = chrono::Utc::now();
        if token.last_used_at.is_none_or(|t| now - t > chrono::Duration::minutes(1)) {
            api_token::Entity::update_many()
                .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
                .filter(api_token::Column::Id.eq(token.id))
                .exec(db)
                .await?;
        }
    }
    Ok(found)
}

pub async fn revoke(db: &DatabaseConnection, id: i64) -> ServiceResult<api_token::Model> {
    let token = api_token::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["id"], "API token"))?;
    if token.revoked_at.is_some() {
        return Err(ServiceError::rejected(
            &["id"],
            ErrorCode::InvalidState,
            format!("token \"{}\" is already revoked", token.name),
        ));
    }
    let mut active: api_token::ActiveModel = token.into();
    active.revoked_at = Set(Some(chrono::Utc::now()));
    Ok(active.update(db).await?)
}

/// The token a request was authenticated with (it was live when the request began).
pub async fn current(db: &DatabaseConnection, id: i64) -> ServiceResult<api_token::Model> {
    api_token::Entity::find_by_id(id).one(db).await?.ok_or_else(|| ServiceError::not_found(&["id"], "API token"))
}

pub async fn list(db: &DatabaseConnection, page: &PageArgs) -> ServiceResult<Page<api_token::Model>> {
    paginate(db, api_token::Entity::find(), api_token::Column::Id, page).await
}

/// On the very first start of an empty database, one admin token (to be printed once). `None` afterwards.
pub async fn first_admin_token(db: &DatabaseConnection) -> ServiceResult<Option<String>> {
    if api_token::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let (_, secret) = create(db, "first admin token", TokenScope::Admin).await?;
    Ok(Some(secret))
}

/// The bearer secret of an `Authorization` header value (`Bearer <token>`, case-insensitive scheme).
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_headers_are_read_and_others_refused() {
        assert_eq!(bearer("Bearer osk_abc"), Some("osk_abc"));
        assert_eq!(bearer("bearer   osk_abc "), Some("osk_abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
    }

    #[test]
    fn scopes_rank_read_write_admin() {
        assert!(rank(TokenScope::Read) < rank(TokenScope::Write) && rank(TokenScope::Write) < rank(TokenScope::Admin));
    }
}
