//! Liveness, readiness and Prometheus metrics.

use actix_web::{HttpResponse, web};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::context::AppContext;
use crate::graphql;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Ready when the database and the queue both answer.
pub async fn readyz(ctx: web::Data<AppContext>) -> HttpResponse {
    let database = ctx.db.execute_unprepared("SELECT 1").await.map(|_| ()).map_err(|e| e.to_string());
    let queue = ctx.queue.ping().await.map_err(|e| e.to_string());
    let ok = database.is_ok() && queue.is_ok();
    if let Err(err) = &database {
        tracing::warn!(error = %err, "readiness: database unavailable");
    }
    if let Err(err) = &queue {
        tracing::warn!(error = %err, "readiness: queue unavailable");
    }
    let body = json!({
        "status": if ok { "ok" } else { "unavailable" },
        "database": if database.is_ok() { "ok" } else { "unavailable" },
        "queue": if queue.is_ok() { "ok" } else { "unavailable" },
        "queueBackend": ctx.queue.backend_name(),
    });
    if ok { HttpResponse::Ok().json(body) } else { HttpResponse::ServiceUnavailable().json(body) }
}

/// Prometheus text format; needs a token (any scope), like the API.
pub async fn metrics(ctx: web::Data<AppContext>, req: actix_web::HttpRequest) -> HttpResponse {
    let header = req.headers().get(actix_web::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if let Err(why) = graphql::principal_of(&ctx, header).await {
        return why.response();
    }
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let pending = entity::product_link::Entity::find()
        .filter(entity::product_link::Column::PushPending.eq(true))
        .count(&ctx.db)
        .await
        .unwrap_or(0);
    let mut gauges = vec![("omnisync_pushes_pending", vec![], pending as f64)];
    for marketplace in crate::channels::registry::all() {
        let channels: Vec<i64> = entity::channel::Entity::find()
            .filter(entity::channel::Column::Kind.eq(marketplace.kind))
            .all(&ctx.db)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.id)
            .collect();
        let orders = if channels.is_empty() {
            0
        } else {
            entity::order::Entity::find()
                .filter(entity::order::Column::ChannelId.is_in(channels))
                .count(&ctx.db)
                .await
                .unwrap_or(0)
        };
        gauges.push(("omnisync_orders", vec![("channel", marketplace.slug.to_owned())], orders as f64));
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(crate::metrics::render(&gauges))
}
