//! The clock leases are read on: the database's, so processes on hosts whose clocks differ agree on who holds a
//! lease and when it expires (named leases, and the leases of sync runs). SQLite is embedded, on one host: its
//! clock is this host's.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};

use super::ServiceResult;

/// The database's time now (PostgreSQL's `clock_timestamp()`: the real time, even inside a transaction).
pub async fn now<C: ConnectionTrait>(db: &C) -> ServiceResult<DateTime<Utc>> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(Utc::now());
    }
    let statement = Statement::from_string(DatabaseBackend::Postgres, "SELECT clock_timestamp() AS now");
    let row =
        db.query_one_raw(statement).await?.ok_or_else(|| DbErr::Custom("the clock query returned no row".into()))?;
    Ok(row.try_get::<DateTime<Utc>>("", "now")?)
}

/// The database's time `age` ago (an age beyond chrono's range: the epoch, older than anything stored).
pub async fn ago<C: ConnectionTrait>(db: &C, age: Duration) -> ServiceResult<DateTime<Utc>> {
    let now = now(db).await?;
    Ok(chrono::Duration::from_std(age).ok().and_then(|age| now.checked_sub_signed(age)).unwrap_or(DateTime::UNIX_EPOCH))
}

/// The database's time now as an SQL expression, for a timestamp a write stores: no round trip of its own on
/// PostgreSQL (`clock_timestamp()`, evaluated by the statement), this host's time on SQLite.
pub fn now_expr(backend: DatabaseBackend) -> SimpleExpr {
    match backend {
        DatabaseBackend::Postgres => Expr::cust("clock_timestamp()"),
        _ => Expr::value(Utc::now()),
    }
}
