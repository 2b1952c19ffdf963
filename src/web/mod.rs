//! The HTTP endpoints that are not GraphQL: marketplace webhooks, the OAuth callback, the console and the GraphiQL
//! page with their files, health, readiness and metrics. GraphQL's own transport (POST, WebSocket) stays in `graphql`.

pub mod console;
pub mod cors;
pub mod graphiql;
mod health;
pub mod oauth;
pub mod request_log;
pub mod webhooks;

pub use health::{healthz, metrics, readyz};
