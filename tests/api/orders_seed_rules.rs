//! Issue 16's order rules end to end against the simulators: the backfill is by creation time, Tiki's buttons keep
//! the hub and Tiki in step (ready to ship, cancel), and the order sync errors resolve once their cause is fixed.

use serde_json::{Value, json};

use omnisync::channels::ChannelKind;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::orders::{connect, linked_variant, orders_of, poll, settle, stock};

fn days_ago(d: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    Some(chrono::Utc::now() - chrono::Duration::days(d))
}

async fn an_order_placed_before_the_backfill_start_is_never_imported_even_when_updated_after_connecting(app: &TestApp) {
    // Shopee pushes (webhook path) and is polled (poll path); its backfill is 60 days by default.
    let shop = connect(app, ChannelKind::Shopee, json!({})).await;
    let variant = linked_variant(app, &shop, "SKU-0001-1", 10).await;
    let old = shop.sim.state.create_order(&[("SKU-0001-1".to_owned(), 3)], days_ago(90)).await.expect("old order");
    let recent = shop.sim.state.create_order(&[("SKU-0001-1".to_owned(), 2)], days_ago(10)).await.expect("order");
    settle(app, &shop).await;
    // The old order changes now: its push and the next poll (which lists by update time) both see it.
    shop.sim.state.set_order_status(old.id, "READY_TO_SHIP").await.expect("status");
    settle(app, &shop).await;
    let run = poll(app, &shop).await;
    let orders = orders_of(app, &shop).await;
    // Shopee's order id is its order_sn: the orders are told apart by their quantities (old 3, recent 2).
    let quantities: Vec<&Value> = orders.iter().map(|o| &o["lines"][0]["quantity"]).collect();
    assert_eq!(quantities, vec![&json!(2)], "only the order placed inside the window: {run}");
    assert_eq!(stock(app, &variant).await, (10, 2), "the old order reserves nothing");
    // Updates of the order already imported still apply.
    shop.sim.state.set_order_status(recent.id, "CANCELLED").await.expect("status");
    settle(app, &shop).await;
    assert_eq!(orders_of(app, &shop).await[0]["status"], "CANCELLED");
    assert_eq!(stock(app, &variant).await, (10, 0));

    // The web store's 0: nothing placed before connecting, however recently it changed.
    let store = connect(app, ChannelKind::Webstore, json!({})).await;
    let before = store.sim.state.create_order(&[("SKU-0001-1".to_owned(), 1)], days_ago(1)).await.expect("order");
    store.sim.state.set_order_status(before.id, "shipped").await.expect("status");
    settle(app, &store).await;
    poll(app, &store).await;
    assert_eq!(orders_of(app, &store).await, Vec::<Value>::new());
}
on_both_backends!(
    orders_backfill_by_creation_time,
    an_order_placed_before_the_backfill_start_is_never_imported_even_when_updated_after_connecting
);

async fn action(app: &TestApp, mutation: &str, order: &Value, reason: Option<&str>) -> Value {
    let (args, vars) = match reason {
        Some(r) => ("(orderId: $o, reason: $r)", json!({ "o": order["id"], "r": r })),
        None => ("(orderId: $o)", json!({ "o": order["id"] })),
    };
    let decl = if reason.is_some() { "($o: ID!, $r: String!)" } else { "($o: ID!)" };
    let data = app
        .gql(
            &format!(
                "mutation{decl} {{ {mutation}{args} {{ order {{ status channelStatus }} userErrors {{ field code message }} }} }}"
            ),
            vars,
        )
        .await;
    data[mutation].clone()
}

fn by_external(orders: &[Value], external_id: u64) -> &Value {
    orders
        .iter()
        .find(|o| o["externalId"].as_str().and_then(|s| s.parse().ok()) == Some(external_id))
        .expect("the order")
}

async fn tikis_buttons_keep_the_hub_and_tiki_in_step_and_a_cancel_tiki_refuses_is_quoted(app: &TestApp) {
    let shop = connect(app, ChannelKind::Tiki, json!({})).await;
    let variant = linked_variant(app, &shop, "SKU-0001-1", 10).await;
    let shipped = shop.sim.state.create_order(&[("SKU-0001-1".to_owned(), 1)], None).await.expect("order");
    let dropped = shop.sim.state.create_order(&[("SKU-0001-1".to_owned(), 2)], None).await.expect("order");
    poll(app, &shop).await;
    let orders = orders_of(app, &shop).await;
    let (a, b) = (by_external(&orders, shipped.id).clone(), by_external(&orders, dropped.id).clone());
    assert_eq!((a["status"].as_str(), b["status"].as_str()), (Some("PENDING"), Some("PENDING")));
    let tiki_status = |id: u64| shop.sim.state.store().order(id).expect("order").status.clone();

    // Ready to ship: Tiki answers `packaging`, which the hub reads as READY_TO_SHIP, and Tiki's later updates agree.
    let rts = action(app, "orderReadyToShip", &a, None).await;
    assert_eq!(rts["userErrors"], json!([]), "{rts}");
    assert_eq!(
        (rts["order"]["status"].as_str(), rts["order"]["channelStatus"].as_str()),
        (Some("READY_TO_SHIP"), Some("packaging"))
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    shop.sim.state.set_order_status(shipped.id, "packaging").await.expect("a later Tiki update");
    poll(app, &shop).await;
    assert_eq!(by_external(&orders_of(app, &shop).await, shipped.id)["status"], "READY_TO_SHIP", "not moved back");

    // Print, then await pickup ("chờ lấy hàng"): both sides say ready to ship.
    let label = action(app, "orderPrintLabel", &a, None).await;
    assert_eq!(label["userErrors"], json!([]), "{label}");
    let pickup = action(app, "orderAwaitPickup", &a, None).await;
    assert_eq!(pickup["userErrors"], json!([]), "{pickup}");
    assert_eq!(tiki_status(shipped.id), "ready_to_ship");
    poll(app, &shop).await;
    assert_eq!(by_external(&orders_of(app, &shop).await, shipped.id)["status"], "READY_TO_SHIP");

    // Cancel ("Hủy đơn hàng") a waiting order: Tiki cancels it, the hub releases its reservation.
    assert_eq!(stock(app, &variant).await, (10, 3));
    let cancelled = action(app, "orderCancel", &b, Some("Hết hàng")).await;
    assert_eq!(cancelled["userErrors"], json!([]), "{cancelled}");
    assert_eq!(cancelled["order"]["status"], "CANCELLED");
    assert_eq!(tiki_status(dropped.id), "canceled");
    assert_eq!(stock(app, &variant).await, (10, 1));
    poll(app, &shop).await;
    assert_eq!(by_external(&orders_of(app, &shop).await, dropped.id)["status"], "CANCELLED");

    // Tiki cancels only orders waiting for confirmation: its reason is quoted and nothing changes.
    let refused = action(app, "orderCancel", &a, Some("Khách đổi ý")).await;
    let error = &refused["userErrors"][0];
    assert_eq!(
        (error["code"].as_str(), error["field"].clone()),
        (Some("CHANNEL_REFUSED"), json!(["orderId"])),
        "{refused}"
    );
    assert!(error["message"].as_str().unwrap_or_default().contains("only queueing orders"), "{refused}");
    assert_eq!(tiki_status(shipped.id), "ready_to_ship");
    let after = by_external(&orders_of(app, &shop).await, shipped.id).clone();
    assert_eq!((after["status"].as_str(), after["cancelReason"].clone()), (Some("READY_TO_SHIP"), json!(null)));
    assert_eq!(stock(app, &variant).await, (10, 1));
}
on_both_backends!(orders_tiki_buttons, tikis_buttons_keep_the_hub_and_tiki_in_step_and_a_cancel_tiki_refuses_is_quoted);

/// The channel's order sync errors of `code`, resolved ones included: (resolved, occurrences) each.
async fn order_errors(app: &TestApp, channel: &Value, code: &str) -> Vec<(bool, i64)> {
    let data = app
        .gql(
            "query($c: ID!, $code: SyncErrorCode!) { syncErrors(first: 100, filter: { channelId: $c, code: $code, includeResolved: true }) { edges { node { resolvedAt occurrences } } } }",
            json!({ "c": channel, "code": code }),
        )
        .await;
    data["syncErrors"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{data}"))
        .iter()
        .map(|e| (!e["node"]["resolvedAt"].is_null(), e["node"]["occurrences"].as_i64().unwrap_or(0)))
        .collect()
}

async fn resync(app: &TestApp, shop: &crate::orders::Shop, order: &Value) {
    let data = app
        .gql(
            "mutation($o: [ID!]!) { ordersResync(input: { orderIds: $o }) { syncRuns { id } userErrors { code message } } }",
            json!({ "o": [order["id"]] }),
        )
        .await;
    assert_eq!(data["ordersResync"]["userErrors"], json!([]), "{data}");
    settle(app, shop).await;
}

async fn link_of(app: &TestApp, shop: &crate::orders::Shop, seller_sku: &str) -> (Value, Value) {
    let links = app
        .gql(
            "query($c: ID!) { productLinks(channelId: $c, first: 100) { edges { node { id listing { id sellerSku } variant { id } } } } }",
            json!({ "c": shop.channel }),
        )
        .await;
    let node = links["productLinks"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{links}"))
        .iter()
        .map(|e| e["node"].clone())
        .find(|n| n["listing"]["sellerSku"] == seller_sku)
        .unwrap_or_else(|| panic!("no link of {seller_sku}: {links}"));
    (node["id"].clone(), node["listing"]["id"].clone())
}

async fn every_order_sync_error_resolves_once_its_cause_is_fixed(app: &TestApp) {
    let shop = connect(app, ChannelKind::Lazada, json!({})).await;
    let variant = linked_variant(app, &shop, "SKU-0001-1", 0).await;

    // ORDER_STOCK_REFUSED: delivered with nothing on hand; stock arrives, a resync applies it.
    let sold = shop.sim.state.create_order(&[("SKU-0001-1".to_owned(), 2)], None).await.expect("order");
    settle(app, &shop).await;
    shop.sim.state.set_order_status(sold.id, "delivered").await.expect("delivered");
    settle(app, &shop).await;
    assert_eq!(order_errors(app, &shop.channel, "ORDER_STOCK_REFUSED").await, vec![(false, 1)]);
    let wh = app.default_warehouse_id().await;
    let added = app
        .gql(
            "mutation($v: ID!, $w: ID!) { inventoryAdjustQuantities(input: { reason: RECEIVED, changes: [{ variantId: $v, warehouseId: $w, delta: 5 }] }) { userErrors { code } } }",
            json!({ "v": variant, "w": wh }),
        )
        .await;
    assert_eq!(added["inventoryAdjustQuantities"]["userErrors"], json!([]));
    let delivered = orders_of(app, &shop).await[0].clone();
    resync(app, &shop, &delivered).await;
    assert_eq!(order_errors(app, &shop.channel, "ORDER_STOCK_REFUSED").await, vec![(true, 1)]);
    assert_eq!(stock(app, &variant).await, (3, 0), "the delivery took its units once the stock was there");

    // ORDER_STATUS_UNRECOGNIZED resolves when a mapping is added: `orders::orders_unknown_status`.
    let status_of = |orders: Vec<Value>, id: u64| {
        orders
            .into_iter()
            .find(|o| o["externalId"].as_str().and_then(|s| s.parse().ok()) == Some(id))
            .map(|o| o["status"].clone())
    };

    // ORDER_CONTAINS_UNLINKED_PRODUCT: the merchant stopped the product's sync, then links it again.
    let (link, listing) = link_of(app, &shop, "SKU-0001-1").await;
    let unlinked = app
        .gql("mutation($l: [ID!]!) { productLinksUnlink(linkIds: $l) { userErrors { code } } }", json!({ "l": [link] }))
        .await;
    assert_eq!(unlinked["productLinksUnlink"]["userErrors"], json!([]));
    let kept_out = shop.sim.state.create_order(&[("SKU-0001-1".to_owned(), 1)], None).await.expect("order");
    settle(app, &shop).await;
    assert_eq!(status_of(orders_of(app, &shop).await, kept_out.id), None, "not imported");
    assert_eq!(order_errors(app, &shop.channel, "ORDER_CONTAINS_UNLINKED_PRODUCT").await, vec![(false, 1)]);
    let set = app
        .gql(
            "mutation($l: ID!, $v: ID!) { productLinkSet(listingId: $l, variantId: $v) { userErrors { code message } } }",
            json!({ "l": listing, "v": variant }),
        )
        .await;
    assert_eq!(set["productLinkSet"]["userErrors"], json!([]), "{set}");
    poll(app, &shop).await;
    assert_eq!(status_of(orders_of(app, &shop).await, kept_out.id), Some(json!("PENDING")), "imported at the poll");
    assert_eq!(order_errors(app, &shop.channel, "ORDER_CONTAINS_UNLINKED_PRODUCT").await, vec![(true, 1)]);

    // ORDER_NOT_FOUND_ON_CHANNEL: announced, but Lazada answers "Invalid Order ID" for a while; the rest of the
    // batch is not held up, and once the channel returns the order, the next poll imports it.
    let webhook_url = format!("{}/webhooks/{}", app.address, shop.channel_id);
    shop.sim.state.set_webhook_url(None);
    let late = shop.sim.state.create_order(&[("SKU-0001-1".to_owned(), 1)], None).await.expect("order");
    let hidden = {
        let mut store = shop.sim.state.store();
        let at = store.orders.iter().position(|o| o.id == late.id).expect("order");
        store.orders.remove(at)
    };
    shop.sim.state.set_webhook_url(Some(webhook_url));
    shop.sim.state.push_order_webhook(&hidden, true).await;
    settle(app, &shop).await;
    assert_eq!(order_errors(app, &shop.channel, "ORDER_NOT_FOUND_ON_CHANNEL").await, vec![(false, 1)]);
    shop.sim.state.store().orders.push(hidden);
    poll(app, &shop).await;
    assert_eq!(status_of(orders_of(app, &shop).await, late.id), Some(json!("PENDING")));
    assert_eq!(order_errors(app, &shop.channel, "ORDER_NOT_FOUND_ON_CHANNEL").await, vec![(true, 1)]);
}
on_both_backends!(orders_sync_errors_resolve, every_order_sync_error_resolves_once_its_cause_is_fixed);

async fn update_interval(app: &TestApp, channel: &Value, seconds: i64) -> Value {
    let data = app
        .gql(
            "mutation($id: ID!, $s: Int!) { channelUpdate(id: $id, input: { settings: { orderPollIntervalSeconds: $s } }) { channel { settings { orderPollIntervalSeconds } } userErrors { field code message } } }",
            json!({ "id": channel, "s": seconds }),
        )
        .await;
    data["channelUpdate"].clone()
}

/// ORDER_POLL runs of the channel so far.
async fn polls(app: &TestApp, shop: &crate::orders::Shop) -> u64 {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    entity::sync_run::Entity::find()
        .filter(entity::sync_run::Column::ChannelId.eq(shop.channel_id))
        .filter(entity::sync_run::Column::Kind.eq(entity::enums::SyncRunKind::OrderPoll))
        .count(&app.ctx.db)
        .await
        .expect("runs")
}

async fn the_order_poll_interval_is_a_channel_setting_the_scheduler_follows(app: &TestApp) {
    let tiki = connect(app, ChannelKind::Tiki, json!({})).await;
    let lazada = connect(app, ChannelKind::Lazada, json!({ "orderPollIntervalSeconds": 30 })).await;
    let interval = |shop: &crate::orders::Shop| {
        let channel = shop.channel.clone();
        async move {
            let data = app
                .gql(
                    "query($id: ID!) { channel(id: $id) { settings { orderPollIntervalSeconds } } }",
                    json!({ "id": channel }),
                )
                .await;
            data["channel"]["settings"]["orderPollIntervalSeconds"].clone()
        }
    };
    assert_eq!(interval(&tiki).await, json!(15), "Tiki's default (its event queue is pulled)");
    assert_eq!(interval(&lazada).await, json!(30), "set on connect");

    // Out of bounds: refused, nothing changed.
    for bad in [4, 3601] {
        let refused = update_interval(app, &tiki.channel, bad).await;
        assert_eq!(
            (refused["userErrors"][0]["code"].as_str(), refused["userErrors"][0]["field"].clone()),
            (Some("INVALID"), json!(["input", "settings", "orderPollIntervalSeconds"])),
            "{refused}"
        );
    }
    assert_eq!(interval(&tiki).await, json!(15));

    // Polled 20 s ago: due at Tiki's 15 s, not at 120 s.
    poll(app, &tiki).await;
    let set_cursor = |secs: i64| {
        let db = app.ctx.db.clone();
        let id = tiki.channel_id;
        async move {
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
            entity::channel::Entity::update_many()
                .col_expr(
                    entity::channel::Column::OrdersCursorAt,
                    Expr::value(chrono::Utc::now() - chrono::Duration::seconds(secs)),
                )
                .filter(entity::channel::Column::Id.eq(id))
                .exec(&db)
                .await
                .expect("cursor");
        }
    };
    let updated = update_interval(app, &tiki.channel, 120).await;
    assert_eq!(updated["userErrors"], json!([]), "{updated}");
    assert_eq!(updated["channel"]["settings"]["orderPollIntervalSeconds"], 120);
    set_cursor(20).await;
    let before = polls(app, &tiki).await;
    omnisync::jobs::scheduler::tick(&app.ctx).await.expect("tick");
    assert_eq!(polls(app, &tiki).await, before, "not due before 120 s");
    set_cursor(121).await;
    omnisync::jobs::scheduler::tick(&app.ctx).await.expect("tick");
    assert_eq!(polls(app, &tiki).await, before + 1, "due after 120 s");
}
on_both_backends!(orders_poll_interval_setting, the_order_poll_interval_is_a_channel_setting_the_scheduler_follows);

const LABEL: &str = "url urls contentType contentBase64 ordersInDocument printedAt";

async fn labels_are_answered_kept_on_the_order_and_printed_in_batches(app: &TestApp) {
    let shop = connect(app, ChannelKind::Lazada, json!({})).await;
    linked_variant(app, &shop, "SKU-0001-1", 10).await;
    let mut placed = Vec::new();
    for _ in 0..3 {
        placed.push(shop.sim.state.create_order(&[("SKU-0001-1".to_owned(), 1)], None).await.expect("order"));
    }
    settle(app, &shop).await;
    let orders = orders_of(app, &shop).await;
    let [a, b, c] = [0, 1, 2].map(|i| by_external(&orders, placed[i].id).clone());
    for o in [&a, &b] {
        let rts = action(app, "orderReadyToShip", o, None).await;
        assert_eq!(rts["userErrors"], json!([]), "{rts}");
    }

    // Not ready: refused, nothing changed.
    let refused = app
        .gql(
            &format!("mutation($o: ID!) {{ orderPrintLabel(orderId: $o) {{ shippingLabel {{ {LABEL} }} userErrors {{ field code message }} }} }}"),
            json!({ "o": c["id"] }),
        )
        .await;
    let payload = &refused["orderPrintLabel"];
    assert_eq!(
        (payload["userErrors"][0]["code"].as_str(), payload["userErrors"][0]["field"].clone()),
        (Some("INVALID_STATE"), json!(["orderId"])),
        "{refused}"
    );
    assert_eq!(payload["shippingLabel"], json!(null));

    // Two ready orders and one not, at once: the ready ones share one Lazada document.
    let printed = app
        .gql(
            &format!("mutation($ids: [ID!]!) {{ ordersPrintLabels(orderIds: $ids) {{ results {{ orderId order {{ id shippingLabel {{ {LABEL} }} }} shippingLabel {{ {LABEL} }} userErrors {{ field code message }} }} userErrors {{ field code }} }} }}"),
            json!({ "ids": [a["id"], b["id"], c["id"]] }),
        )
        .await;
    let payload = &printed["ordersPrintLabels"];
    assert_eq!(payload["userErrors"], json!([]), "{printed}");
    let results = payload["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    let expected = [placed[0].id.to_string(), placed[1].id.to_string()];
    for result in &results[..2] {
        assert_eq!(result["userErrors"], json!([]), "{result}");
        let label = &result["shippingLabel"];
        assert_eq!(label["contentType"], "application/pdf");
        assert!(label["contentBase64"].as_str().is_some_and(|c| !c.is_empty()), "Lazada sends the file: {label}");
        let together: Vec<&str> =
            label["ordersInDocument"].as_array().expect("ids").iter().filter_map(Value::as_str).collect();
        assert_eq!(together, expected.iter().map(String::as_str).collect::<Vec<_>>(), "one document for both");
        assert_eq!(result["order"]["shippingLabel"], *label, "kept on the order");
    }
    assert_eq!(
        (results[2]["userErrors"][0]["code"].as_str(), results[2]["userErrors"][0]["field"].clone()),
        (Some("INVALID_STATE"), json!(["orderIds", "2"])),
        "{printed}"
    );
    let kept = orders_of(app, &shop).await;
    assert_eq!(by_external(&kept, placed[2].id)["status"], "PENDING");
    let shown = app
        .gql(
            &format!("query($o: ID!) {{ order(id: $o) {{ shippingLabel {{ {LABEL} }} events {{ kind message }} }} }}"),
            json!({ "o": a["id"] }),
        )
        .await;
    assert!(shown["order"]["shippingLabel"]["printedAt"].is_string(), "{shown}");
    assert!(
        shown["order"]["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["message"].as_str().unwrap_or_default().starts_with("Shipping label printed")),
        "{shown}"
    );
    let none = app.gql("query($o: ID!) { order(id: $o) { shippingLabel { url } } }", json!({ "o": c["id"] })).await;
    assert_eq!(none["order"]["shippingLabel"], json!(null));

    // Tiki gives a link (an HTML page in its v1 API).
    let tiki = connect(app, ChannelKind::Tiki, json!({})).await;
    linked_variant(app, &tiki, "SKU-0001-1", 10).await;
    let sold = tiki.sim.state.create_order(&[("SKU-0001-1".to_owned(), 1)], None).await.expect("order");
    poll(app, &tiki).await;
    let order = by_external(&orders_of(app, &tiki).await, sold.id).clone();
    assert_eq!(action(app, "orderReadyToShip", &order, None).await["userErrors"], json!([]));
    let label = app
        .gql(
            &format!("mutation($o: ID!) {{ orderPrintLabel(orderId: $o) {{ shippingLabel {{ {LABEL} }} userErrors {{ code message }} }} }}"),
            json!({ "o": order["id"] }),
        )
        .await;
    let label = &label["orderPrintLabel"]["shippingLabel"];
    assert!(label["url"].as_str().is_some_and(|u| u.starts_with("http")), "{label}");
    assert_eq!(label["urls"], json!([label["url"].clone()]));
}
on_both_backends!(orders_shipping_labels, labels_are_answered_kept_on_the_order_and_printed_in_batches);
