//! Issue 18: a drain of pushed orders answers only the webhook events whose bodies it read. A push stamped before
//! the drain's cutoff but committed after the drain read its siblings' bodies (so it was not among them) stays
//! waiting for the next drain, instead of being marked answered by an older body of its order. On both backends.

use std::sync::Arc;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::json;

use omnisync::channels::ChannelKind;
use omnisync::services::orders::EventsAnswered;
use omnisync::services::webhooks;

use crate::helpers::TestApp;
use crate::on_both_backends_driven;
use crate::orders::{connect, linked_variant, settle};

/// Stores a push of `order` in the channel's inbox as received at `received_at`; returns its id.
async fn push_received_at(
    app: &TestApp,
    channel_id: i64,
    key: &str,
    order: &str,
    received_at: chrono::DateTime<chrono::Utc>,
) -> i64 {
    entity::webhook_event::ActiveModel {
        channel_id: Set(channel_id),
        dedup_key: Set(key.to_owned()),
        topic: Set(Some("OrderUpdated".to_owned())),
        external_order_id: Set(Some(order.to_owned())),
        payload: Set(json!({ "id": order })),
        received_at: Set(received_at),
        processed_at: Set(None),
        error: Set(None),
        ..Default::default()
    }
    .insert(&app.ctx.db)
    .await
    .expect("an inbox row")
    .id
}

async fn processed(app: &TestApp, id: i64) -> bool {
    let row = entity::webhook_event::Entity::find_by_id(id).one(&app.ctx.db).await.expect("read").expect("the row");
    row.processed_at.is_some()
}

async fn only_the_pushes_read_are_answered(app: &TestApp) {
    let shop = connect(app, ChannelKind::Webstore, json!({})).await;
    linked_variant(app, &shop, "SKU-0001-1", 5).await;
    shop.sim.state.create_order(&[("SKU-0001-1".to_owned(), 1)], None).await.expect("order");
    settle(app, &shop).await;
    let channel = omnisync::services::channels::get(&app.ctx.db, shop.channel_id).await.expect("db").expect("channel");
    let connector = crate::helpers::connector_for(&shop.sim, Arc::new(omnisync::channels::NoTokenStore));
    let order_id = {
        let data = app
            .gql(
                "query($c: ID!) { orders(first: 1, filter: { channelId: $c }) { nodes { externalId } } }",
                json!({ "c": shop.channel }),
            )
            .await;
        data["orders"]["nodes"][0]["externalId"].as_str().expect("an order").to_owned()
    };

    // A drain reads the waiting pushes of the order (one), then a second push stamped earlier commits.
    let before = chrono::Utc::now() - chrono::Duration::seconds(2);
    let read_push = push_received_at(app, shop.channel_id, "push-read", &order_id, before).await;
    let pending = webhooks::pending_orders(&app.ctx.db, shop.channel_id, 10).await.expect("pending");
    assert_eq!(pending.ids, std::slice::from_ref(&order_id));
    let read =
        webhooks::pending_payloads(&app.ctx.db, shop.channel_id, &pending.ids, pending.cutoff).await.expect("read");
    assert_eq!(read.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [read_push]);
    let late_push = push_received_at(app, shop.channel_id, "push-late", &order_id, before).await;

    // Applying what was read answers the push read, not the late one.
    let fetched = connector.get_orders(std::slice::from_ref(&order_id)).await.expect("fetch");
    let answered = EventsAnswered { received_by: pending.cutoff, only: Some(Arc::new(vec![read_push])) };
    let actor = omnisync::domain::actor::Actor::channel(&channel.name);
    omnisync::services::orders::apply_channel_orders(&app.ctx.db, &actor, &channel, &fetched, Some(&answered))
        .await
        .expect("applied")
        .into_parts();
    assert!(processed(app, read_push).await, "the push read is answered");
    assert!(!processed(app, late_push).await, "the late push waits for the next drain");
    assert_eq!(webhooks::unprocessed_count(&app.ctx.db, shop.channel_id).await.expect("count"), 1);

    // An order read from the channel after the cutoff answers every push received up to it.
    let answered = EventsAnswered::received_by(pending.cutoff);
    omnisync::services::orders::apply_channel_orders(&app.ctx.db, &actor, &channel, &fetched, Some(&answered))
        .await
        .expect("applied")
        .into_parts();
    assert!(processed(app, late_push).await, "answered by a read made after it");
}
on_both_backends_driven!(inbox_answers, only_the_pushes_read_are_answered);
