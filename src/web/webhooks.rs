//! `POST /webhooks/{channel_id}`: the marketplaces' pushes. Verified with the channel's own signature, stored once
//! in the inbox, answered at once (marketplaces give 0.5–5 s); the order fetch runs as a job.
//!
//! Answers: 200 stored or already seen (replays are acknowledged, never stored twice); 400 not JSON or a channel
//! without pushes (Tiki); 401 signature refused; 404 unknown channel; 410 channel not connected; 413 body over
//! `MAX_BODY_BYTES` (by the payload limit of the route). Every refusal is logged with its reason; nothing is stored.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::context::AppContext;
use crate::domain::channel::WebhookRequest;
use crate::jobs;
use crate::services::webhooks::{self, Refusal};

pub use webhooks::MAX_BODY_BYTES;

pub async fn receive(
    ctx: web::Data<AppContext>,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let channel = path.into_inner();
    // The URL the marketplace called, as it knows it (Shopee signs it): the hub's public base plus the path.
    let mut url = format!("{}{}", ctx.settings.public_base_url(), req.uri().path());
    if let Some(q) = req.uri().query() {
        url.push('?');
        url.push_str(q);
    }
    let headers = req
        .headers()
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_owned(), v.to_owned())))
        .collect();
    let request = WebhookRequest { url, headers, body: body.to_vec() };
    match webhooks::receive(&ctx, &channel, request).await {
        Ok(received) => {
            tracing::debug!(
                channel_id = received.channel_id,
                stored = received.stored,
                duplicates = received.duplicates,
                "webhook received"
            );
            if received.orders_to_fetch
                && let Err(err) = jobs::orders::enqueue_inbox_fetch(&ctx, received.channel_id).await
            {
                // Stored: the next poll applies it.
                tracing::warn!(channel_id = received.channel_id, error = %err, "webhook stored, but its fetch could not be queued");
            }
            if !received.product_events.is_empty()
                && let Err(err) =
                    jobs::store_products::enqueue(&ctx, received.channel_id, received.product_events).await
            {
                // Stored: the next link run brings the store's products in step.
                tracing::warn!(channel_id = received.channel_id, error = %err, "product push stored, but not queued");
            }
            HttpResponse::Ok().finish()
        }
        Err(refusal) => {
            let status = match &refusal {
                Refusal::UnknownChannel(_) => actix_web::http::StatusCode::NOT_FOUND,
                Refusal::NotConnected(..) => actix_web::http::StatusCode::GONE,
                Refusal::NotJson | Refusal::Unsupported(_) => actix_web::http::StatusCode::BAD_REQUEST,
                Refusal::BadSignature(_) => actix_web::http::StatusCode::UNAUTHORIZED,
                Refusal::Fault(err) => {
                    tracing::error!(channel = %channel, error = ?err, "webhook could not be stored");
                    return HttpResponse::ServiceUnavailable().finish();
                }
            };
            tracing::warn!(channel = %channel, reason = %refusal, "webhook refused");
            HttpResponse::build(status).finish()
        }
    }
}
