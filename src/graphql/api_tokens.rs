//! API tokens (ADMIN scope): create (the secret is shown once), revoke, list.

use super::auth::RequireScope;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};

use entity::api_token;

use super::errors::{UserError, query, split, user_errors};
use super::relay::{Conn, ConnectionArgs, connection, global_id, input_id};
use super::{app, reader};
use crate::services::api_tokens as service;

/// What a token may do.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "TokenScope", remote = "entity::enums::TokenScope")]
pub enum TokenScopeGql {
    /// Queries and subscriptions.
    Read,
    /// Also mutations, except managing channels and tokens.
    Write,
    /// Everything.
    Admin,
}

pub struct ApiToken(pub api_token::Model);

/// An API token. Its secret is shown once, at creation; only a hash is kept.
#[Object]
impl ApiToken {
    /// Global id.
    pub async fn id(&self) -> ID {
        global_id("ApiToken", self.0.id)
    }
    /// The label given at creation, e.g. the app or person using it.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What the token may do.
    async fn scope(&self) -> TokenScopeGql {
        self.0.scope.into()
    }
    /// The first characters of the secret, to recognise it.
    async fn prefix(&self) -> &str {
        &self.0.token_prefix
    }
    /// When it was created.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
    /// Last use, to the minute; null if never used.
    async fn last_used_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.last_used_at
    }
    /// When it was revoked; null while it is live.
    async fn revoked_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.revoked_at
    }
}

#[derive(Default)]
pub struct ApiTokenQuery;

#[Object]
impl ApiTokenQuery {
    /// The token this request is made with, so a front-end can offer only what its scope allows. Any scope may
    /// read its own token.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<ApiToken> {
        let principal = ctx.data::<super::auth::Principal>()?;
        Ok(ApiToken(query(service::current(reader(ctx)?, principal.token_id).await)?))
    }

    /// API tokens (ADMIN scope), oldest first. At most 100 a page.
    #[graphql(complexity = "super::relay::page_cost(first, last, child_complexity)", guard = "RequireScope::ADMIN")]
    async fn api_tokens(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Start after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "End before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Page size, from the start (or `after`): 0 to 100, default 50.")] first: Option<i32>,
        #[graphql(desc = "Page size, from the end (or `before`): 0 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "true: newest first (the list's order reversed). Default false.")] reverse: Option<bool>,
    ) -> Result<Conn<ApiToken>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page(ctx)?;
        let found = query(service::list(reader(ctx)?, &page).await)?;
        Ok(connection(found, ApiToken))
    }
}

/// A token to create.
#[derive(InputObject)]
pub struct ApiTokenCreateInput {
    /// A label to recognise the token by, e.g. the app using it: 1 to 255 characters.
    pub name: String,
    /// What the token may do.
    pub scope: TokenScopeGql,
}

/// Result of `apiTokenCreate`.
#[derive(SimpleObject)]
pub struct ApiTokenCreatePayload {
    /// The new token; null when refused.
    pub api_token: Option<ApiToken>,
    /// The secret, to send as `Authorization: Bearer <secret>`. Shown this once; store it now.
    pub secret: Option<String>,
    /// Why the input was refused; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Result of `apiTokenRevoke`.
#[derive(SimpleObject)]
pub struct ApiTokenRevokePayload {
    /// The token, now revoked; null when refused.
    pub api_token: Option<ApiToken>,
    /// Why the request was refused; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct ApiTokenMutation;

#[Object]
impl ApiTokenMutation {
    /// Creates a token (ADMIN scope).
    #[graphql(guard = "RequireScope::ADMIN")]
    async fn api_token_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token's name and scope.")] input: ApiTokenCreateInput,
    ) -> Result<ApiTokenCreatePayload> {
        let (created, user_errors) = split(service::create(&app(ctx)?.db, &input.name, input.scope.into()).await, &[])?;
        let (token, secret) = created.map(|(t, s)| (Some(ApiToken(t)), Some(s))).unwrap_or((None, None));
        Ok(ApiTokenCreatePayload { api_token: token, secret, user_errors })
    }

    /// Revokes a token at once (ADMIN scope); requests with it get 401 from then on.
    #[graphql(guard = "RequireScope::ADMIN")]
    async fn api_token_revoke(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the ApiToken.")] id: ID,
    ) -> Result<ApiTokenRevokePayload> {
        let id = match input_id("ApiToken", &id, &["id"]) {
            Ok(id) => id,
            Err(e) => return Ok(ApiTokenRevokePayload { api_token: None, user_errors: user_errors(vec![e], &["id"]) }),
        };
        let (token, user_errors) = split(service::revoke(&app(ctx)?.db, id).await, &["id"])?;
        Ok(ApiTokenRevokePayload { api_token: token.map(ApiToken), user_errors })
    }
}
