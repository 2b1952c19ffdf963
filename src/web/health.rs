//! Liveness, readiness and Prometheus metrics.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, Iterable, QueryFilter, QuerySelect,
};
use serde_json::json;

use entity::enums::{ChannelStatus, SyncRunKind, SyncRunStatus};
use entity::{channel, order, sync_error, sync_run};

use crate::context::AppContext;
use crate::graphql;
use crate::metrics::Sample;

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
    // The database's values are part of the scrape; without the database, the process's own metrics still go out.
    let scraped = match scraped_samples(&ctx.db, Utc::now()).await {
        Ok(samples) => samples,
        Err(err) => {
            tracing::warn!(error = %err, "metrics: the database values could not be read");
            Vec::new()
        }
    };
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(crate::metrics::render(&scraped))
}

/// Per channel: pending pushes, connection, the age of its last completed order poll and push run, of its oldest
/// unapplied order push, its token's remaining life and its open sync errors by code; the queue's waiting and
/// running runs by kind; orders by channel kind. A handful of grouped queries, whatever the store's size.
async fn scraped_samples(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Vec<Sample>, DbErr> {
    let channels = channel::Entity::find().all(db).await?;
    let health = crate::services::channels::health(db, None).await?;
    let errors: Vec<(Option<i64>, String, i64)> = sync_error::Entity::find()
        .select_only()
        .column(sync_error::Column::ChannelId)
        .column(sync_error::Column::Code)
        .column_as(sync_error::Column::Id.count(), "n")
        .filter(sync_error::Column::ResolvedAt.is_null())
        .filter(sync_error::Column::DismissedAt.is_null())
        .group_by(sync_error::Column::ChannelId)
        .group_by(sync_error::Column::Code)
        .into_tuple()
        .all(db)
        .await?;
    let runs: Vec<(SyncRunKind, SyncRunStatus, i64)> = sync_run::Entity::find()
        .select_only()
        .column(sync_run::Column::Kind)
        .column(sync_run::Column::Status)
        .column_as(sync_run::Column::Id.count(), "n")
        .filter(sync_run::Column::Status.is_in([SyncRunStatus::Created, SyncRunStatus::Running]))
        .group_by(sync_run::Column::Kind)
        .group_by(sync_run::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let orders: Vec<(i64, i64)> = order::Entity::find()
        .select_only()
        .column(order::Column::ChannelId)
        .column_as(order::Column::Id.count(), "n")
        .group_by(order::Column::ChannelId)
        .into_tuple()
        .all(db)
        .await?;

    let age = |at: DateTime<Utc>| (now - at).num_milliseconds().max(0) as f64 / 1000.0;
    let mut samples = Vec::new();
    for c in &channels {
        let labels = || vec![("channel_id", c.id.to_string()), ("kind", c.kind.as_str().to_ascii_lowercase())];
        let health = health.get(&c.id).copied().unwrap_or_default();
        samples.push(Sample::new("omnisync_pushes_pending", labels(), health.pushes_pending as f64));
        let connected = c.status == ChannelStatus::Connected;
        samples.push(Sample::new("omnisync_channel_connected", labels(), if connected { 1.0 } else { 0.0 }));
        for (last, name) in [
            (health.last_order_poll_at, "omnisync_channel_order_poll_age_seconds"),
            (health.last_push_at, "omnisync_channel_push_age_seconds"),
        ] {
            // Never done: as old as the channel's connection.
            if let Some(since) = last.or(c.connected_at) {
                samples.push(Sample::new(name, labels(), age(since)));
            }
        }
        samples.push(Sample::new(
            "omnisync_channel_oldest_unapplied_order_event_age_seconds",
            labels(),
            health.oldest_unapplied_order_event_at.map_or(0.0, age),
        ));
        if let Some(expires) = c.access_token_expires_at {
            let left = (expires - now).num_milliseconds() as f64 / 1000.0;
            samples.push(Sample::new("omnisync_channel_token_expires_in_seconds", labels(), left));
        }
        for (_, code, n) in errors.iter().filter(|(id, _, _)| *id == Some(c.id)) {
            let mut labels = labels();
            labels.push(("code", code.clone()));
            samples.push(Sample::new("omnisync_sync_errors_open", labels, *n as f64));
        }
    }
    // Every kind, 0 included: an alert on the queue sees a series even while it is empty.
    for kind in SyncRunKind::iter() {
        let count = |status| runs.iter().find(|(k, s, _)| *k == kind && *s == status).map_or(0, |(_, _, n)| *n) as f64;
        let name = kind.as_str().to_owned();
        samples.push(Sample::new(
            "omnisync_queue_depth",
            vec![("queue", "sync".into()), ("kind", name.clone())],
            count(SyncRunStatus::Created),
        ));
        samples.push(Sample::new("omnisync_runs_running", vec![("kind", name)], count(SyncRunStatus::Running)));
    }
    for marketplace in crate::channels::registry::all() {
        let ids: Vec<i64> = channels.iter().filter(|c| c.kind == marketplace.kind).map(|c| c.id).collect();
        let n: i64 = orders.iter().filter(|(id, _)| ids.contains(id)).map(|(_, n)| n).sum();
        samples.push(Sample::new("omnisync_orders", vec![("channel", marketplace.slug.to_owned())], n as f64));
    }
    Ok(samples)
}
