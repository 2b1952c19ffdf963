//! `GET /oauth/{kind}/callback`: the marketplace's redirect after the seller's consent. Open (the marketplace
//! calls it), but it completes only the channel whose signed `state` it carries.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::context::AppContext;
use crate::graphql::relay::global_id;
use crate::services::ServiceError;
use crate::services::channels as service;

/// `GET /oauth/{kind}/callback?code=…&state=…`: the marketplace's redirect after consent.
pub async fn callback(ctx: web::Data<AppContext>, path: web::Path<String>, req: HttpRequest) -> HttpResponse {
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
    match service::complete_authorization(&ctx, &path.into_inner(), &params).await {
        Ok(channel) => HttpResponse::Ok().json(serde_json::json!({
            "status": "connected",
            "channelId": global_id("Channel", channel.id).to_string(),
            "name": channel.name,
            "shopName": channel.shop_name,
        })),
        Err(ServiceError::Rejected(errors)) => HttpResponse::BadRequest().json(serde_json::json!({
            "status": "refused",
            "errors": errors.iter().map(|e| serde_json::json!({ "code": format!("{:?}", e.code), "message": e.message })).collect::<Vec<_>>(),
        })),
        Err(ServiceError::Unexpected(err)) => {
            tracing::error!(error = ?err, "OAuth callback failed");
            HttpResponse::InternalServerError().json(serde_json::json!({ "status": "error" }))
        }
    }
}
