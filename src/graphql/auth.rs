//! Who is calling, and what their token's scope allows. Every request to `/graphql` and `/graphql/ws` carries a
//! token (HTTP: `Authorization: Bearer …`; WebSocket: that header on the upgrade, or `Authorization` /
//! `authToken` in the `connection_init` payload). The operation's needs are checked once, after parsing:
//! queries and subscriptions need READ, mutations WRITE, and the root fields in `ADMIN_FIELDS` ADMIN.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection};
use async_graphql::{Response, ServerError, ServerResult, Variables};
use tracing::Instrument;

use entity::enums::TokenScope;

use crate::services::api_tokens::rank;

/// The caller, attached to each request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub token_id: i64,
    pub scope: TokenScope,
}

/// Root fields that manage channels and tokens (SPEC: ADMIN scope), queries and mutations alike.
pub const ADMIN_FIELDS: &[&str] =
    &["channelConnect", "channelUpdate", "channelDisconnect", "apiTokenCreate", "apiTokenRevoke", "apiTokens"];

fn scope_name(scope: TokenScope) -> &'static str {
    scope.as_str()
}

/// The scope an operation needs.
pub fn required_scope(ty: OperationType, root_fields: &[&str], has_spreads: bool) -> TokenScope {
    let admin = root_fields.iter().any(|f| ADMIN_FIELDS.contains(f)) || (has_spreads && ty == OperationType::Mutation);
    match ty {
        _ if admin => TokenScope::Admin,
        OperationType::Mutation => TokenScope::Write,
        OperationType::Query | OperationType::Subscription => TokenScope::Read,
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
        // No principal: the schema runs without the HTTP layer (SDL export, unit tests of resolvers).
        let Some(principal) = ctx.data_opt::<Principal>() else { return Ok(document) };
        for (_, operation) in document.operations.iter() {
            let op = &operation.node;
            let mut fields = Vec::new();
            let mut spreads = false;
            for item in &op.selection_set.node.items {
                match &item.node {
                    Selection::Field(f) => fields.push(f.node.name.node.as_str()),
                    Selection::FragmentSpread(_) | Selection::InlineFragment(_) => spreads = true,
                }
            }
            let needed = required_scope(op.ty, &fields, spreads);
            if rank(principal.scope) < rank(needed) {
                return Err(ServerError::new(
                    format!(
                        "this operation needs the {} scope; the token has {}",
                        scope_name(needed),
                        scope_name(principal.scope)
                    ),
                    None,
                ));
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
    fn operations_need_read_write_or_admin() {
        assert_eq!(required_scope(OperationType::Query, &["products"], false), TokenScope::Read);
        assert_eq!(required_scope(OperationType::Subscription, &["syncRun"], false), TokenScope::Read);
        assert_eq!(required_scope(OperationType::Mutation, &["productCreate"], false), TokenScope::Write);
        assert_eq!(
            required_scope(OperationType::Mutation, &["productCreate", "channelConnect"], false),
            TokenScope::Admin
        );
        assert_eq!(required_scope(OperationType::Query, &["apiTokens"], false), TokenScope::Admin);
        assert_eq!(
            required_scope(OperationType::Mutation, &[], true),
            TokenScope::Admin,
            "spreads at the root: the strictest"
        );
    }
}
