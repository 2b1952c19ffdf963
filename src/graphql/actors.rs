//! Who did it: the actor of a ledger entry or an order history line, and the `actorKind` / `actorName` filters of
//! those lists.

use async_graphql::resolver_utils::enum_value;
use async_graphql::{Enum, ErrorExtensions, Result, SimpleObject};

use crate::domain::actor::{Actor as DomainActor, ActorFilter};

/// What kind of actor made a change.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::enums::ActorKind")]
pub enum ActorKind {
    /// A caller of the API; the name is its API token's name.
    ApiToken,
    /// A sales channel: its orders imported by webhook, poll or resync; the name is the channel's name.
    Channel,
    /// The hub itself (e.g. demo or benchmark seeding); the name says which part.
    System,
}

/// Who made a change: recorded when the change was written, with the name the actor had then.
#[derive(SimpleObject)]
pub struct Actor {
    /// An API token, a channel or the hub itself.
    pub kind: ActorKind,
    /// The API token's name, the channel's name, or the part of the hub.
    pub name: String,
}

/// The actor stored on a row; null for rows written before actors were recorded.
pub fn stored(kind: Option<entity::enums::ActorKind>, name: Option<&str>) -> Option<Actor> {
    DomainActor::from_columns(kind, name).map(|a| Actor { kind: a.kind().into(), name: a.name().to_owned() })
}

/// Decodes a list's `actorKind` and `actorName` filter fields; `field` is the filter argument's name. A blank
/// name is a request error with `extensions.code = BLANK` (a list has no `userErrors`).
pub fn filter(field: &str, kind: Option<ActorKind>, name: Option<&str>) -> Result<ActorFilter> {
    ActorFilter::parse(field, kind.map(Into::into), name).map_err(|refused| {
        let code = enum_value(refused.code);
        async_graphql::Error::new(refused.message).extend_with(|_, e| e.set("code", code.clone()))
    })
}
