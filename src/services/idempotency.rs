//! Idempotency keys (`@idempotent(key:)` on a mutation): the first execution of a key claims it, its result is
//! kept, and a repeat with the same key gets that result without executing again. Keys are per API token, kept
//! for `RETENTION`, and stored in the database, so they survive restarts and are shared by every process.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr,
};
use sha2::{Digest, Sha256};

use entity::idempotency_key;

use super::{ServiceResult, now};

/// How long a key is remembered (Stripe and Shopify keep theirs at least a day).
pub const RETENTION: chrono::Duration = chrono::Duration::hours(24);
/// A first execution still unfinished after this is taken to have died with its process: the key is free again.
pub const ABANDONED_AFTER: chrono::Duration = chrono::Duration::seconds(120);
/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// What a request carrying a key may do.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// First use of the key: execute, then `complete` (or `release` if the execution failed).
    Execute { id: i64 },
    /// The key was used before for the same request: answer with its first result.
    Replay(serde_json::Value),
    /// The first request with this key is still executing.
    InProgress,
    /// The key was used for another request (another mutation or other arguments).
    OtherRequest { field: String },
}

/// The fingerprint of a request: its field and arguments, in a stable order.
pub fn fingerprint(field: &str, arguments: &[(String, serde_json::Value)]) -> String {
    let mut sorted: Vec<_> = arguments.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let text = serde_json::json!({ "field": field, "arguments": sorted }).to_string();
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Claims `key` for the token's request, or says why it can't run.
pub async fn claim(
    db: &DatabaseConnection,
    token_id: i64,
    key: &str,
    field: &str,
    fingerprint: &str,
) -> ServiceResult<Claim> {
    let at = now();
    let row = idempotency_key::ActiveModel {
        token_id: Set(token_id),
        key: Set(key.to_owned()),
        field: Set(field.to_owned()),
        fingerprint: Set(fingerprint.to_owned()),
        response: Set(None),
        created_at: Set(at),
        completed_at: Set(None),
        ..Default::default()
    };
    let inserted = idempotency_key::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([idempotency_key::Column::TokenId, idempotency_key::Column::Key])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    let stored = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::TokenId.eq(token_id))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("idempotency key {key} vanished"))?;
    if inserted == 1 {
        return Ok(Claim::Execute { id: stored.id });
    }
    if stored.fingerprint != fingerprint {
        return Ok(Claim::OtherRequest { field: stored.field });
    }
    if let Some(response) = stored.response {
        return Ok(Claim::Replay(response));
    }
    if stored.created_at < at - ABANDONED_AFTER && take_over(db, &stored, at).await? {
        return Ok(Claim::Execute { id: stored.id });
    }
    Ok(Claim::InProgress)
}

/// Takes an abandoned first execution's key (compare-and-set on its start time: one taker wins).
async fn take_over(db: &DatabaseConnection, stored: &idempotency_key::Model, at: DateTime<Utc>) -> ServiceResult<bool> {
    let taken = idempotency_key::Entity::update_many()
        .col_expr(idempotency_key::Column::CreatedAt, Expr::value(at))
        .filter(idempotency_key::Column::Id.eq(stored.id))
        .filter(idempotency_key::Column::CreatedAt.eq(stored.created_at))
        .filter(idempotency_key::Column::Response.is_null())
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Keeps the first execution's result for the key's repeats.
pub async fn complete(db: &DatabaseConnection, id: i64, response: serde_json::Value) -> ServiceResult<()> {
    idempotency_key::ActiveModel {
        id: Set(id),
        response: Set(Some(response)),
        completed_at: Set(Some(now())),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// The first execution failed before answering (a fault, not a refusal): the key is free for a retry.
pub async fn release(db: &DatabaseConnection, id: i64) -> ServiceResult<()> {
    idempotency_key::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Forgets keys created before `before`; returns how many.
pub async fn purge(db: &DatabaseConnection, before: DateTime<Utc>) -> ServiceResult<u64> {
    let deleted =
        idempotency_key::Entity::delete_many().filter(idempotency_key::Column::CreatedAt.lt(before)).exec(db).await?;
    Ok(deleted.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_ignores_argument_order_but_not_values() {
        let a = ("input".to_owned(), serde_json::json!({ "delta": 1 }));
        let b = ("note".to_owned(), serde_json::json!("x"));
        let one = fingerprint("inventoryAdjustQuantities", &[a.clone(), b.clone()]);
        assert_eq!(one, fingerprint("inventoryAdjustQuantities", &[b.clone(), a.clone()]));
        assert_ne!(one, fingerprint("inventorySetQuantities", &[a.clone(), b.clone()]));
        let other = ("input".to_owned(), serde_json::json!({ "delta": 2 }));
        assert_ne!(one, fingerprint("inventoryAdjustQuantities", &[other, b]));
    }
}
