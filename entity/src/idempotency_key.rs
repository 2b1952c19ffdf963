//! Table `idempotency_keys`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The first result of a mutation sent with `@idempotent(key:)`, per API token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The token that sent it: keys of different callers never meet.
    pub token_id: i64,
    #[sea_orm(column_type = "Text")]
    pub key: String,
    /// The mutation field (`inventoryAdjustQuantities`, …).
    #[sea_orm(column_type = "Text")]
    pub field: String,
    /// SHA-256 of the field and its arguments: the same key with other arguments is refused.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub fingerprint: String,
    /// The field's result as first answered; null while that first execution runs.
    pub response: Option<Json>,
    pub created_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
