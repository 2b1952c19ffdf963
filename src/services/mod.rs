//! Use-cases over the database. Each public write is one transaction; expected refusals are
//! `ServiceError::Rejected` with field errors, anything else is `Unexpected`. No GraphQL types here.

pub mod api_tokens;
pub mod catalog;
pub mod channels;
pub mod export_slips;
pub mod inventory;
pub mod leases;
pub mod linking;
pub mod orders;
pub mod pagination;
pub mod stock_push;
pub mod sync_errors;
pub mod sync_runs;
pub mod webhooks;

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::domain::errors::{ErrorCode, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Bad input: nothing was written. Shown to the client as `userErrors`.
    #[error("rejected: {0:?}")]
    Rejected(Vec<FieldError>),
    /// A fault (database down, bug). Logged with its cause; the client sees only `INTERNAL`.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbErr> for ServiceError {
    fn from(err: DbErr) -> Self {
        ServiceError::Unexpected(err.into())
    }
}

impl From<FieldError> for ServiceError {
    fn from(err: FieldError) -> Self {
        ServiceError::Rejected(vec![err])
    }
}

impl ServiceError {
    pub fn rejected(field: &[&str], code: ErrorCode, message: impl Into<String>) -> Self {
        FieldError::new(field, code, message).into()
    }

    pub fn not_found(field: &[&str], what: &str) -> Self {
        Self::rejected(field, ErrorCode::NotFound, format!("{what} not found"))
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// The time services stamp on the rows they write (`created_at`, `updated_at`, `processed_at`, …).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// Begin a transaction that will write. On SQLite it takes the write lock at BEGIN (`BEGIN IMMEDIATE`), so two
/// writers queue on the busy timeout instead of failing when a read turns into a write; on PostgreSQL it is a
/// plain READ COMMITTED transaction and rows are locked with `SELECT … FOR UPDATE` where it matters.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// `LIKE` pattern matching `text` anywhere, with the wildcards in `text` escaped (escape character `\`).
pub fn contains_pattern(text: &str) -> String {
    format!("%{}%", escape_like(text))
}

/// `LIKE` pattern matching values starting with `text`.
pub fn prefix_pattern(text: &str) -> String {
    format!("{}%", escape_like(text))
}

fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("50%_off"), "%50\\%\\_off%");
        assert_eq!(prefix_pattern("SKU\\1"), "SKU\\\\1%");
    }
}
