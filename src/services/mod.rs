//! Use-cases over the database. Each public write is one transaction; expected refusals are
//! `ServiceError::Rejected` with field errors, anything else is `Unexpected`. No GraphQL types here.

pub mod api_tokens;
pub mod bundles;
pub mod catalog;
pub mod channels;
pub mod clock;
pub mod csv_export;
pub mod csv_import;
pub mod effects;
pub mod export_slips;
pub mod idempotency;
pub mod inventory;
pub mod leases;
pub mod link_marks;
pub mod linking;
pub mod orders;
pub mod pagination;
pub mod stock_push;
pub mod sync_errors;
pub mod sync_runs;
pub mod warehouses;
pub mod webhooks;

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
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

/// Keys per `IN (…)` list, for every service.
pub const IN_CHUNK: usize = 500;

/// The time services stamp on the rows they write (`created_at`, `updated_at`, `processed_at`, …).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// Marks the orders `which` selects changed now (`updated_at`), for writes that change what shows on an order
/// through other rows (its lines, export slips, returns, history): `orders(filter: { updatedAtMin })` must find
/// them. Writes to the order row itself set `updated_at` with the rest.
pub async fn touch_orders<C: ConnectionTrait>(db: &C, which: SimpleExpr) -> Result<(), DbErr> {
    entity::order::Entity::update_many()
        .col_expr(entity::order::Column::UpdatedAt, Expr::value(now()))
        .filter(which)
        .exec(db)
        .await?;
    Ok(())
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

/// Whether an `INSERT … ON CONFLICT DO NOTHING … RETURNING` found its row taken: SeaORM says so as
/// `RecordNotInserted` on SQLite and as `RecordNotFound` (nothing returned) on PostgreSQL.
pub fn not_inserted(err: &DbErr) -> bool {
    matches!(err, DbErr::RecordNotInserted | DbErr::RecordNotFound(_))
}

/// `LIKE` pattern matching `text` anywhere, with the wildcards in `text` escaped (escape character `\`).
pub fn contains_pattern(text: &str) -> String {
    format!("%{}%", escape_like(text))
}

/// A `search_text` column (`entity::derived`) holding `term`, both folded: no case, no diacritics ("ao thun"
/// finds "Áo thun"), the same on SQLite and PostgreSQL.
pub fn folded_contains<C: sea_orm::ColumnTrait>(column: C, term: &str) -> SimpleExpr {
    use sea_orm::sea_query::{ExprTrait, LikeExpr};
    Expr::col(column).like(LikeExpr::new(contains_pattern(&entity::derived::fold(term))).escape('\\'))
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

    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// The service modules each file names (`super::x`, `services::x`, `crate::services::x`), by top-level module
    /// (a folder's files count as its module).
    fn service_imports() -> BTreeMap<String, BTreeSet<String>> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/services");
        let mut files = Vec::new();
        let mut dirs = vec![root.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("services folder").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for file in files {
            let relative = file.strip_prefix(&root).expect("inside services");
            let first = relative.components().next().expect("a component").as_os_str().to_string_lossy();
            let module = first.trim_end_matches(".rs").to_owned();
            if module == "mod" {
                continue;
            }
            // Inside a folder, `super::` in a file other than `mod.rs` names the folder's own module.
            let nested = relative.components().count() > 1 && !file.ends_with("mod.rs");
            let text = std::fs::read_to_string(&file).expect("readable");
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            // Comments name modules without importing them.
            let text: String = code
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .flat_map(|line| [line, "\n"])
                .collect();
            let mut named = BTreeSet::new();
            for prefix in ["services::", "super::"] {
                for (at, _) in text.match_indices(prefix) {
                    if prefix == "super::" && nested && !text[at + prefix.len()..].starts_with("super::") {
                        continue;
                    }
                    let rest = text[at + prefix.len()..].trim_start_matches("super::");
                    let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    named.insert(name);
                }
            }
            graph.entry(module).or_default().extend(named);
        }
        let modules: BTreeSet<String> = graph.keys().cloned().collect();
        for (module, named) in &mut graph {
            named.retain(|n| modules.contains(n) && n != module);
        }
        graph
    }

    #[test]
    fn service_modules_import_each_other_without_a_cycle() {
        let graph = service_imports();
        assert!(graph["inventory"].contains("link_marks"), "the scan sees imports: {graph:?}");
        // Kahn's algorithm: repeatedly remove modules that import no remaining module.
        let mut remaining = graph.clone();
        while !remaining.is_empty() {
            let leaves: Vec<String> =
                remaining.iter().filter(|(_, named)| named.is_empty()).map(|(m, _)| m.clone()).collect();
            assert!(!leaves.is_empty(), "service modules import each other in a cycle: {remaining:?}");
            for leaf in &leaves {
                remaining.remove(leaf);
            }
            for named in remaining.values_mut() {
                named.retain(|n| !leaves.contains(n));
            }
        }
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("50%_off"), "%50\\%\\_off%");
        assert_eq!(prefix_pattern("SKU\\1"), "SKU\\\\1%");
    }
}
