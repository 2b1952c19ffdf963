//! The GraphQL API: one schema built in one place, served over HTTP and WebSocket by actix-web.
//! Resolvers are thin: read the context, call one service function, build the payload.

pub mod actors;
pub mod api_tokens;
pub mod auth;
pub mod catalog;
pub mod channel_webhook;
pub mod channels;
pub mod cost;
pub mod errors;
pub mod executor;
pub mod exports;
pub mod idempotency;
pub mod imports;
pub mod inventory;
pub mod labels;
pub mod linking;
pub mod listing_products;
pub mod live;
pub mod loaders;
pub mod node;
pub mod orders;
pub mod relay;
pub mod stock;
pub mod sync_errors;
pub mod sync_runs;
pub mod ws;

use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::http::MultipartOptions;
use async_graphql::{Context, MergedObject, MergedSubscription, Schema};
use async_graphql_actix_web::GraphQLResponse;

use crate::context::AppContext;

/// Deepest query accepted.
pub const MAX_DEPTH: usize = 12;
/// Highest complexity accepted: every field costs 1, connection fields multiply their children by the page size.
pub const MAX_COMPLEXITY: usize = 20_000;

/// Every read: catalog, stock, channels, links, orders, sync runs and errors. Needs a token of READ scope
/// (`apiTokens`: ADMIN).
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    node::NodeQuery,
    catalog::CatalogQuery,
    inventory::InventoryQuery,
    sync_runs::SyncRunQuery,
    channels::ChannelQuery,
    linking::LinkingQuery,
    listing_products::ListingProductsQuery,
    orders::OrderQuery,
    api_tokens::ApiTokenQuery,
    sync_errors::SyncErrorQuery,
    stock::StockQuery,
    exports::ExportQuery,
    imports::ImportQuery,
);

/// Every write. Needs a token of WRITE scope (channels and tokens: ADMIN). Refused input comes back as the
/// payload's `userErrors`, with nothing written; `@idempotent(key:)` makes a write safe to retry.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    catalog::CatalogMutation,
    inventory::InventoryMutation,
    sync_runs::SyncRunMutation,
    channels::ChannelMutation,
    linking::LinkingMutation,
    listing_products::ListingProductsMutation,
    imports::ImportMutation,
    orders::OrderMutation,
    labels::LabelMutation,
    api_tokens::ApiTokenMutation,
    sync_errors::SyncErrorMutation,
    stock::StockMutation,
);

/// Live streams over the WebSocket at `/graphql/ws`: a sync run's progress, a channel's activity, order changes.
/// Needs a token of READ scope.
#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(sync_runs::SyncRunSubscription, live::LiveSubscription);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema; `ctx` is absent only when printing the SDL. It has no extension (see `cost`).
pub fn build_schema(ctx: Option<AppContext>) -> AppSchema {
    let mut builder = schema_builder();
    if let Some(ctx) = ctx {
        if !ctx.settings.introspection {
            builder = builder.disable_introspection();
        }
        builder = builder.data(loaders::new(ctx.reader.clone())).data(ctx);
    }
    builder.finish()
}

/// What executes operations over HTTP and WebSocket: the schema behind the hub's checks and its query cost meter.
pub fn executor(ctx: &AppContext) -> executor::HubExecutor {
    let s = &ctx.settings;
    let budget = (s.cost_budget > 0).then(|| cost::Budget {
        capacity: f64::from(s.cost_budget),
        restore_per_second: f64::from(s.cost_restore_per_second),
    });
    let probe = schema_builder().extension(cost::ComplexityProbe).finish();
    executor::HubExecutor::new(build_schema(Some(ctx.clone())), cost::CostMeter::new(probe, budget))
}

/// The types and the rules every operation is validated by (the executing schema and the cost probe alike).
fn schema_builder() -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot::default())
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .directive(idempotency::idempotent)
}

/// The SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema(None).sdl()
}

pub(crate) fn app<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a AppContext> {
    ctx.data::<AppContext>()
}

/// The connections for reads (`AppContext::reader`): every query and relation field reads through them; writes
/// and the reads inside a write go through `AppContext::db`.
pub(crate) fn reader<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a sea_orm::DatabaseConnection> {
    Ok(&app(ctx)?.reader)
}

/// 401 with a JSON error and no detail of why (missing, malformed, unknown and revoked look the same).
pub fn unauthorized() -> HttpResponse {
    HttpResponse::Unauthorized().insert_header(("WWW-Authenticate", "Bearer")).json(request_error(
        "unauthorized: send a live API token as `Authorization: Bearer <token>`",
        "UNAUTHENTICATED",
    ))
}

/// The token could not be checked (the database did not answer): the caller may well be authorised.
pub fn unavailable() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header(("Retry-After", "1"))
        .json(request_error("unavailable: the token could not be checked; try again", "UNAVAILABLE"))
}

/// A GraphQL request error (no `data`), so GraphQL clients read the refusal like any other error and can branch on
/// `extensions.code`.
fn request_error(message: &str, code: &str) -> serde_json::Value {
    serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
}

/// Why a request has no caller.
pub enum Unauthenticated {
    /// No token, or not a live one: 401.
    Refused,
    /// The check itself failed (logged): 503, never a 401 for a token that may be valid.
    Unavailable,
}

impl Unauthenticated {
    pub fn response(&self) -> HttpResponse {
        match self {
            Self::Refused => unauthorized(),
            Self::Unavailable => unavailable(),
        }
    }
}

/// The caller of a request bearing `Authorization: Bearer <token>`, if the token is live.
pub async fn principal_of(ctx: &AppContext, authorization: Option<&str>) -> Result<auth::Principal, Unauthenticated> {
    let secret = authorization.and_then(crate::services::api_tokens::bearer).ok_or(Unauthenticated::Refused)?;
    match crate::services::api_tokens::verify(&ctx.db, &ctx.reader, secret).await {
        Ok(Some(token)) => Ok(auth::Principal { token_id: token.id, scope: token.scope, token_name: token.name }),
        Ok(None) => Err(Unauthenticated::Refused),
        Err(err) => {
            tracing::error!(error = %err, "token check failed");
            Err(Unauthenticated::Unavailable)
        }
    }
}

fn authorization_header(req: &HttpRequest) -> Option<&str> {
    req.headers().get(actix_web::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok())
}

/// A GraphQL POST. The caller is authenticated from the header before a byte of the body is read, and the body
/// is read only up to `max_request_bytes`: an unauthenticated or oversized request costs no memory.
pub async fn graphql_post(
    executor: web::Data<executor::HubExecutor>,
    ctx: web::Data<AppContext>,
    http: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let principal = match principal_of(&ctx, authorization_header(&http)).await {
        Ok(principal) => principal,
        Err(why) => return why.response(),
    };
    let limit = ctx.settings.max_request_bytes;
    let declared = http
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return too_large(limit);
    }
    let body = match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => body,
        Ok(Err(err)) => return bad_request(&format!("the request body could not be read: {err}")),
        Err(_) => return too_large(limit),
    };
    let content_type = http.headers().get(actix_web::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let request =
        match async_graphql::http::receive_body(content_type, body.as_ref(), MultipartOptions::default()).await {
            Ok(request) => request,
            Err(err) => return bad_request(&format!("not a GraphQL request: {err}")),
        };
    if let Some(name) = &request.operation_name {
        crate::web::request_log::record_operation(name);
    }
    let response: GraphQLResponse =
        async_graphql::Executor::execute(executor.get_ref(), request.data(principal)).await.into();
    actix_web::Responder::respond_to(response, &http).map_into_boxed_body()
}

/// 413 as a GraphQL request error.
fn too_large(limit: usize) -> HttpResponse {
    HttpResponse::PayloadTooLarge().json(request_error(
        &format!("the request body is larger than {limit} bytes; send smaller requests"),
        "PAYLOAD_TOO_LARGE",
    ))
}

/// 400 as a GraphQL request error.
fn bad_request(message: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(request_error(message, "BAD_REQUEST"))
}
