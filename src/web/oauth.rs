//! `GET /oauth/{kind}/callback`: the marketplace's redirect after the seller's consent. Open (the marketplace
//! calls it), but it completes only the channel whose signed `state` it carries. A seller's browser (it asks for
//! HTML) is sent back to the console's channel page with the outcome; any other client gets JSON.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::context::AppContext;
use crate::graphql::relay::global_id;
use crate::services::ServiceError;
use crate::services::channels as service;

/// `GET /oauth/{kind}/callback?code=…&state=…`: the marketplace's redirect after consent.
pub async fn callback(ctx: web::Data<AppContext>, path: web::Path<String>, req: HttpRequest) -> HttpResponse {
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
    let outcome = service::complete_authorization(&ctx, &path.into_inner(), &params).await;
    if wants_html(&req) {
        return match outcome {
            Ok(channel) => {
                to_console(&[("id", global_id("Channel", channel.id).to_string()), ("connected", "1".into())])
            }
            Err(ServiceError::Rejected(errors)) => {
                let message = errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; ");
                to_console(&[("refused", message)])
            }
            Err(ServiceError::Unexpected(err)) => {
                tracing::error!(error = ?err, "OAuth callback failed");
                to_console(&[("refused", "the hub could not complete the connection; see its log".into())])
            }
        };
    }
    match outcome {
        Ok(channel) => HttpResponse::Ok().json(serde_json::json!({
            "status": "connected",
            "channelId": global_id("Channel", channel.id).to_string(),
            "name": channel.name,
            "shopName": channel.shop_name,
        })),
        Err(ServiceError::Rejected(errors)) => HttpResponse::BadRequest().json(serde_json::json!({
            "status": "refused",
            "errors": errors.iter().map(|e| serde_json::json!({ "code": e.code.name(), "message": e.message })).collect::<Vec<_>>(),
        })),
        Err(ServiceError::Unexpected(err)) => {
            tracing::error!(error = ?err, "OAuth callback failed");
            HttpResponse::InternalServerError().json(serde_json::json!({ "status": "error" }))
        }
    }
}

/// A browser navigating here (not an API client) asks for HTML first.
fn wants_html(req: &HttpRequest) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| accept.contains("text/html"))
}

/// 303 to the console's channel page (`/#/channels?…`) with `params`.
fn to_console(params: &[(&str, String)]) -> HttpResponse {
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    HttpResponse::SeeOther().insert_header((header::LOCATION, format!("/#/channels?{query}"))).finish()
}
