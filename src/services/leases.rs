//! Named leases across processes: one atomic upsert takes a lease when it is free, expired, or already ours, so
//! two workers (or two processes) never hold the same one at once. A holder that dies loses it at expiry. Times
//! are the database's (`clock`), so hosts with different clocks agree on expiry.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use entity::lease;

use super::ServiceResult;

/// Takes (or renews) `name` for `owner` until now + `ttl`. `false`: someone else holds it.
pub async fn acquire<C: ConnectionTrait>(
    db: &C,
    name: &str,
    owner: &str,
    ttl: chrono::Duration,
) -> ServiceResult<bool> {
    let now = super::clock::now(db).await?;
    let row =
        lease::ActiveModel { name: Set(name.to_owned()), owner: Set(owner.to_owned()), expires_at: Set(now + ttl) };
    let taken = lease::Entity::insert(row)
        .on_conflict(
            OnConflict::column(lease::Column::Name)
                .update_columns([lease::Column::Owner, lease::Column::ExpiresAt])
                .action_and_where(
                    Expr::col((lease::Entity, lease::Column::ExpiresAt)).lt(now).or(Expr::col((
                        lease::Entity,
                        lease::Column::Owner,
                    ))
                    .eq(owner)),
                )
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(taken == 1)
}

/// Gives `name` back, if `owner` still holds it.
pub async fn release<C: ConnectionTrait>(db: &C, name: &str, owner: &str) -> ServiceResult<()> {
    lease::Entity::delete_many()
        .filter(lease::Column::Name.eq(name))
        .filter(lease::Column::Owner.eq(owner))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether someone holds `name` now (an expired lease is held by no one).
pub async fn held<C: ConnectionTrait>(db: &C, name: &str) -> ServiceResult<bool> {
    let now = super::clock::now(db).await?;
    Ok(lease::Entity::find()
        .filter(lease::Column::Name.eq(name))
        .filter(lease::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
        .is_some())
}

/// Waits (polling every 100 ms) up to `wait` for the lease.
pub async fn acquire_within<C: ConnectionTrait>(
    db: &C,
    name: &str,
    owner: &str,
    ttl: chrono::Duration,
    wait: std::time::Duration,
) -> ServiceResult<bool> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        if acquire(db, name, owner, ttl).await? {
            return Ok(true);
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
