//! Table `leases`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A named, expiring claim on work that must not run twice at once (e.g. `stock-push:<channel id>`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "leases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub name: String,
    /// Who holds it (a job id).
    #[sea_orm(column_type = "Text")]
    pub owner: String,
    /// Free for anyone after this time (a holder that died loses it).
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
