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

use actix_web::HttpResponse;
use actix_web::http::header;

/// An HTML page of ours (the console, GraphiQL): its Content-Security-Policy, never cached (a new binary's page
/// and file names are what a browser loads), no referrer, no sniffing, never framed.
pub fn html_page(
    content_security_policy: &'static str,
    body: impl actix_web::body::MessageBody + 'static,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, content_security_policy))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .body(body)
}
