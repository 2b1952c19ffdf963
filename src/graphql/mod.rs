//! The GraphQL API: one schema built in one place, served over HTTP and WebSocket by actix-web.
//! Resolvers are thin: read the context, call one service function, build the payload.

pub mod catalog;
pub mod channels;
pub mod errors;
pub mod inventory;
pub mod linking;
pub mod node;
pub mod relay;
pub mod sync_runs;

use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::http::GraphiQLSource;
use async_graphql::{Context, MergedObject, MergedSubscription, Schema, extensions::Tracing};
use async_graphql_actix_web::{GraphQLRequest, GraphQLResponse, GraphQLSubscription};

use crate::context::AppContext;

/// Deepest query accepted.
pub const MAX_DEPTH: usize = 12;
/// Highest complexity accepted: every field costs 1, connection fields multiply their children by the page size.
pub const MAX_COMPLEXITY: usize = 20_000;

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    node::NodeQuery,
    catalog::CatalogQuery,
    inventory::InventoryQuery,
    sync_runs::SyncRunQuery,
    channels::ChannelQuery,
    linking::LinkingQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    catalog::CatalogMutation,
    inventory::InventoryMutation,
    sync_runs::SyncRunMutation,
    channels::ChannelMutation,
    linking::LinkingMutation,
);

#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(sync_runs::SyncRunSubscription);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema; `ctx` is absent only when printing the SDL.
pub fn build_schema(ctx: Option<AppContext>) -> AppSchema {
    let mut builder = Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot::default())
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .extension(Tracing);
    if let Some(ctx) = ctx {
        builder = builder.data(ctx);
    }
    builder.finish()
}

/// The SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema(None).sdl()
}

pub(crate) fn app<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a AppContext> {
    ctx.data::<AppContext>()
}

pub async fn graphql_post(schema: web::Data<AppSchema>, req: GraphQLRequest) -> GraphQLResponse {
    schema.execute(req.into_inner()).await.into()
}

pub async fn graphiql() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(GraphiQLSource::build().endpoint("/graphql").subscription_endpoint("/graphql/ws").finish())
}

/// WebSocket subscriptions; speaks graphql-transport-ws and the legacy graphql-ws (chosen by the client's
/// Sec-WebSocket-Protocol).
pub async fn graphql_ws(schema: web::Data<AppSchema>, req: HttpRequest, payload: web::Payload) -> actix_web::Result<HttpResponse> {
    GraphQLSubscription::new(AppSchema::clone(&schema)).start(&req, payload)
}
