//! Who is calling, and what their token's scope allows. Every request to `/graphql` and `/graphql/ws` carries a
//! token (HTTP: `Authorization: Bearer …`; WebSocket: that header on the upgrade, or `Authorization` /
//! `authToken` in the `connection_init` payload). Two checks, both answering `extensions.code = FORBIDDEN`:
//! - per operation, after parsing (`ScopeCheck`): queries and subscriptions need READ, mutations WRITE — the
//!   operation type cannot be respelled, so a new mutation is WRITE without anyone remembering it;
//! - per field, where it resolves (`RequireScope` guards): the fields that manage channels and tokens
//!   (`ADMIN_FIELDS`) need ADMIN, however the document reaches them (fragments, inline fragments, aliases,
//!   batches). A check on the document's root selections alone is bypassed by a fragment spread.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{
    Context, ErrorExtensionValues, ErrorExtensions, Guard, Response, ServerError, ServerResult, Variables,
};
use tracing::Instrument;

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
fn forbidden_message(what: &str, needed: TokenScope, held: Option<TokenScope>) -> String {
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

pub struct ScopeCheck;

impl ExtensionFactory for ScopeCheck {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ScopeCheckExtension)
    }
}

struct ScopeCheckExtension;

#[async_trait::async_trait]
impl Extension for ScopeCheckExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        // No principal: the schema runs without the HTTP layer (SDL export). Fields guarded by `RequireScope`
        // still refuse there.
        let Some(principal) = ctx.data_opt::<Principal>() else { return Ok(document) };
        for (_, operation) in document.operations.iter() {
            let needed = required_scope(operation.node.ty);
            if rank(principal.scope) < rank(needed) {
                let mut error =
                    ServerError::new(forbidden_message("this operation", needed, Some(principal.scope)), None);
                let mut extensions = ErrorExtensionValues::default();
                extensions.set("code", "FORBIDDEN");
                error.extensions = Some(extensions);
                return Err(error);
            }
        }
        Ok(document)
    }
}

/// One tracing span per GraphQL operation (name, duration, whether it erred) — not one per field, which would
/// cost more than the resolvers themselves on large pages.
pub struct OperationSpan;

impl ExtensionFactory for OperationSpan {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationSpanExtension)
    }
}

struct OperationSpanExtension;

#[async_trait::async_trait]
impl Extension for OperationSpanExtension {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let span = tracing::info_span!(
            "graphql",
            operation = operation_name.unwrap_or("anonymous"),
            errors = tracing::field::Empty
        );
        let started = std::time::Instant::now();
        let response = next.run(ctx, operation_name).instrument(span.clone()).await;
        span.record("errors", response.errors.len());
        tracing::debug!(parent: &span, took_ms = started.elapsed().as_millis() as u64, "graphql operation");
        response
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
