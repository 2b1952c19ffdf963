//! Who is calling, and what their token's scope allows. Every request to `/graphql` and `/graphql/ws` carries a
//! token (HTTP: `Authorization: Bearer …`; WebSocket: that header on the upgrade, or `Authorization` /
//! `authToken` in the `connection_init` payload). Two checks, both answering `extensions.code = FORBIDDEN`:
//! - per operation, after parsing (`executor::HubExecutor`): queries and subscriptions need READ, mutations WRITE — the
//!   operation type cannot be respelled, so a new mutation is WRITE without anyone remembering it;
//! - per field, where it resolves (`RequireScope` guards): the fields that manage channels and tokens
//!   (`ADMIN_FIELDS`) need ADMIN, however the document reaches them (fragments, inline fragments, aliases,
//!   batches). A check on the document's root selections alone is bypassed by a fragment spread.

use async_graphql::parser::types::OperationType;
use async_graphql::{Context, ErrorExtensions, Guard};

use entity::enums::TokenScope;

use crate::domain::actor::Actor;
use crate::services::api_tokens::rank;

/// The caller, attached to each request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token_id: i64,
    pub scope: TokenScope,
    /// The token's name: what the ledger and order history record as the actor of this caller's writes.
    pub token_name: String,
}

/// The actor of a write made by this request: its API token. Fails closed without a caller (the schema outside
/// the HTTP and WebSocket transports, which attach one to every request).
pub fn actor(ctx: &Context<'_>) -> async_graphql::Result<Actor> {
    let principal = ctx.data::<Principal>()?;
    Ok(Actor::api_token(&principal.token_name))
}

/// Fields that manage channels and tokens (SPEC: ADMIN scope). Each carries `#[graphql(guard = "RequireScope::ADMIN")]`;
/// this list is what the tests check against the schema, so a renamed field cannot silently lose its guard.
pub const ADMIN_FIELDS: &[&str] =
    &["channelConnect", "channelUpdate", "channelDisconnect", "apiTokenCreate", "apiTokenRevoke", "apiTokens"];

/// The scope an operation needs by its type alone; fields that need more say so with a `RequireScope` guard.
pub fn required_scope(ty: OperationType) -> TokenScope {
    match ty {
        OperationType::Mutation => TokenScope::Write,
        OperationType::Query | OperationType::Subscription => TokenScope::Read,
    }
}

/// The refusal a client can branch on: `extensions.code = FORBIDDEN`.
pub(crate) fn forbidden_message(what: &str, needed: TokenScope, held: Option<TokenScope>) -> String {
    match held {
        Some(held) => format!("{what} needs the {} scope; the token has {}", needed.as_str(), held.as_str()),
        None => format!("{what} needs the {} scope; the request has no token", needed.as_str()),
    }
}

/// A field guard: the caller's token must hold at least this scope. Fails closed when no caller is attached.
pub struct RequireScope(pub TokenScope);

impl RequireScope {
    pub const ADMIN: RequireScope = RequireScope(TokenScope::Admin);
}

impl Guard for RequireScope {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let held = ctx.data_opt::<Principal>().map(|p| p.scope);
        if held.is_some_and(|scope| rank(scope) >= rank(self.0)) {
            return Ok(());
        }
        // The field's own name, not the alias the document may give it.
        let field = ctx.item.node.name.node.as_str();
        Err(async_graphql::Error::new(forbidden_message(field, self.0, held))
            .extend_with(|_, e| e.set("code", "FORBIDDEN")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_need_read_or_write_by_type() {
        assert_eq!(required_scope(OperationType::Query), TokenScope::Read);
        assert_eq!(required_scope(OperationType::Subscription), TokenScope::Read);
        assert_eq!(required_scope(OperationType::Mutation), TokenScope::Write);
    }

    #[test]
    fn refusals_name_what_was_needed_and_held() {
        assert_eq!(
            forbidden_message("apiTokens", TokenScope::Admin, Some(TokenScope::Read)),
            "apiTokens needs the ADMIN scope; the token has READ"
        );
        assert!(forbidden_message("apiTokens", TokenScope::Admin, None).contains("no token"));
    }
}
