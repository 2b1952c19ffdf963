//! Table `api_tokens`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::TokenScope;

/// An API token; only its hash is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// SHA-256 of the token, lowercase hex.
    #[sea_orm(column_type = "String(StringLen::N(64))", unique)]
    pub token_hash: String,
    /// First characters of the token, shown to recognise it.
    #[sea_orm(column_type = "String(StringLen::N(12))")]
    pub token_prefix: String,
    pub scope: TokenScope,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
