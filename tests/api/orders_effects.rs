//! Effects after commit (`services::effects`, `jobs::effects`): a write that makes pushes due queues them itself.
//! The app here has no workers and so no scheduler: a push that is not kicked by the write never goes out, and the
//! channel keeps the old number.

use std::time::Duration;

use serde_json::json;

use omnisync::channels::ChannelKind;

use crate::helpers::TestApp;
use crate::orders::{Shop, connect, linked_variant, settle};

/// Runs the jobs queued so far (only writes queue them here) until the simulator shows `want` for `sku`.
async fn wait_until_shown(app: &TestApp, shop: &Shop, sku: &str, want: i64, after: &str) {
    let mut shown = None;
    for _ in 0..200 {
        app.run_pending_jobs().await;
        shown = shop.sim.state.store().sku_by_seller_sku(sku).map(|(_, s)| s.quantity);
        if shown == Some(want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("after {after}, the channel shows {shown:?} for {sku}, not {want}");
}

async fn links_orders_and_seller_actions_push_the_stock_they_move_without_the_scheduler(app: &TestApp) {
    assert!(!app.settings.run_workers, "no scheduler may push in this test");
    // A chosen stock warehouse: the channel is pushed what is not reserved, so orders move its number.
    let warehouse = app.default_warehouse_id().await;
    let shop = connect(app, ChannelKind::Webstore, json!({ "stockWarehouseId": warehouse })).await;
    // A manual link is push-pending: it queues its first push.
    linked_variant(app, &shop, "SKU-0001-1", 5).await;
    wait_until_shown(app, &shop, "SKU-0001-1", 5, "a manual link").await;

    // An imported order reserves two: its import queues the push of "on hand − committed".
    shop.sim.state.create_order(&[("SKU-0001-1".to_owned(), 2)], None).await.expect("order");
    settle(app, &shop).await;
    wait_until_shown(app, &shop, "SKU-0001-1", 3, "an order import").await;

    // Cancelling from the hub releases the two: the mutation queues the push.
    let orders = app
        .gql(
            "query($c: ID!) { orders(first: 5, filter: { channelId: $c }) { nodes { id } } }",
            json!({ "c": shop.channel }),
        )
        .await;
    let order = orders["orders"]["nodes"][0]["id"].clone();
    let cancelled = app
        .gql("mutation($o: ID!) { orderCancel(orderId: $o, reason: \"buyer asked\") { order { status } userErrors { code message } } }", json!({ "o": order }))
        .await;
    assert_eq!(
        cancelled["orderCancel"],
        json!({ "order": { "status": "CANCELLED" }, "userErrors": [] }),
        "{cancelled}"
    );
    wait_until_shown(app, &shop, "SKU-0001-1", 5, "a cancel from the hub").await;
}
crate::on_both_backends!(
    orders_effects,
    links_orders_and_seller_actions_push_the_stock_they_move_without_the_scheduler,
    options: crate::helpers::Options { run_workers: false },
    settings: |_| {}
);
