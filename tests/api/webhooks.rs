//! `POST /webhooks/{channel_id}`: verified pushes are stored once and answered at once; bad input is refused with
//! the right status and stores nothing.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use omnisync::channels::ChannelKind;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::orders::{connect, settle, the_order};

async fn stored(app: &TestApp, channel_id: i64) -> u64 {
    entity::webhook_event::Entity::find()
        .filter(entity::webhook_event::Column::ChannelId.eq(channel_id))
        .count(&app.ctx.db)
        .await
        .expect("count")
}

fn sign(secret: &str, body: &[u8]) -> String {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

async fn bad_pushes_are_refused_and_replays_are_stored_once(app: &TestApp) {
    let shop = connect(app, ChannelKind::Webstore, json!({})).await;
    let secret = shop.sim.state.credentials.webhook_secret.clone().expect("webhook secret");
    let url = format!("{}/webhooks/{}", app.address, shop.channel_id);
    let send = |url: String, body: Vec<u8>, signature: String, event: &'static str| {
        let client = app.client.clone();
        async move {
            client
                .post(url)
                .header("Content-Type", "application/json")
                .header("X-Webstore-Topic", "orders/updated")
                .header("X-Webstore-Event-Id", event)
                .header("X-Webstore-Hmac-Sha256", signature)
                .body(body)
                .send()
                .await
                .expect("sent")
                .status()
                .as_u16()
        }
    };
    let order = shop.sim.state.create_order(&[("SKU-0001-1".to_owned(), 1)], None).await.expect("order");
    settle(app, &shop).await;
    let before = stored(app, shop.channel_id).await;
    let body = json!({ "id": order.id, "status": "open", "updated_at": order.updated_at }).to_string().into_bytes();

    assert_eq!(send(url.clone(), body.clone(), sign("wrong secret", &body), "e-1").await, 401, "bad signature");
    assert_eq!(send(url.clone(), b"not json".to_vec(), sign(&secret, b"not json"), "e-2").await, 400, "not JSON");
    assert_eq!(
        send(format!("{}/webhooks/999999", app.address), body.clone(), sign(&secret, &body), "e-3").await,
        404,
        "unknown channel"
    );
    assert_eq!(
        send(format!("{}/webhooks/abc", app.address), body.clone(), sign(&secret, &body), "e-3").await,
        404,
        "not a channel id"
    );
    let huge = vec![b' '; 2 * 1024 * 1024];
    assert_eq!(send(url.clone(), huge.clone(), sign(&secret, &huge), "e-4").await, 413, "too large");
    assert_eq!(stored(app, shop.channel_id).await, before, "nothing stored");

    assert_eq!(send(url.clone(), body.clone(), sign(&secret, &body), "e-5").await, 200);
    assert_eq!(send(url.clone(), body.clone(), sign(&secret, &body), "e-5").await, 200, "a replay is acknowledged");
    assert_eq!(stored(app, shop.channel_id).await, before + 1, "and stored once");
    settle(app, &shop).await;
    assert_eq!(the_order(app, &shop).await["status"], "PENDING", "still one order");

    let tiki = connect(app, ChannelKind::Tiki, json!({})).await;
    assert_eq!(
        send(format!("{}/webhooks/{}", app.address, tiki.channel_id), body.clone(), sign(&secret, &body), "e-6").await,
        400,
        "Tiki has no push"
    );

    app.gql(
        "mutation($c: ID!) { channelDisconnect(id: $c, confirm: true) { userErrors { code } } }",
        json!({ "c": shop.channel }),
    )
    .await;
    assert_eq!(send(url, body.clone(), sign(&secret, &body), "e-7").await, 410, "disconnected");
    assert_eq!(stored(app, shop.channel_id).await, before + 1);
}
on_both_backends!(webhooks_bad_input, bad_pushes_are_refused_and_replays_are_stored_once);

async fn every_pushing_marketplace_delivers_orders_by_webhook(app: &TestApp) {
    for kind in [ChannelKind::Lazada, ChannelKind::Shopee, ChannelKind::Tiktok, ChannelKind::Webstore] {
        let shop = connect(app, kind, json!({})).await;
        shop.sim.state.create_order(&[("SKU-0002-1".to_owned(), 2)], None).await.expect("order");
        settle(app, &shop).await;
        let order = the_order(app, &shop).await;
        assert_eq!(order["lines"][0]["quantity"], 2, "{kind:?}: {order}");
        let webhook = app.gql("query($c: ID!) { channel(id: $c) { webhookUrl } }", json!({ "c": shop.channel })).await;
        assert!(
            webhook["channel"]["webhookUrl"]
                .as_str()
                .unwrap_or("")
                .ends_with(&format!("/webhooks/{}", shop.channel_id))
        );
    }
}
on_both_backends!(webhooks_every_marketplace, every_pushing_marketplace_delivers_orders_by_webhook);
