//! The push's sync errors resolve once their cause is fixed (QUANTITY_NOT_TRACKED, STOCK_PUSH_FAILED, STOCK_DRIFT,
//! PRICE_ABOVE_LIST_PRICE), and Tiki's rule that a price may not exceed its list price, held at link time and at
//! every push, while Lazada takes such a price. Everything through the API against the simulators.

use serde_json::{Value, json};

use entity::product_link;
use omnisync::channels::ChannelKind;
use omnisync::sim::{Fault, SimHandle};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::TestApp;
use crate::on_both_backends_driven;
use crate::orders::{Shop, connect, linked_variant};

/// Pushes the channel now (a STOCK_PUSH run through the API) and waits for it.
pub(crate) async fn push(app: &TestApp, channel: &Value) {
    let started = app
        .gql(
            "mutation($c: ID!) { stockPushStart(channelId: $c) { syncRun { id } userErrors { code message } } }",
            json!({ "c": channel }),
        )
        .await;
    let run = app.wait_for_run(started["stockPushStart"]["syncRun"]["id"].as_str().expect("run")).await;
    assert_eq!(run["status"], "COMPLETED", "{run}");
}

async fn reconcile(app: &TestApp, channel: &Value) {
    let started = app
        .gql(
            "mutation($c: ID!) { stockReconcileStart(channelId: $c) { syncRun { id } userErrors { code message } } }",
            json!({ "c": channel }),
        )
        .await;
    app.wait_for_run(started["stockReconcileStart"]["syncRun"]["id"].as_str().expect("run")).await;
}

/// The channel's sync errors of `code`, resolved ones included: (message, resolved).
async fn errors_of(app: &TestApp, channel: &Value, code: &str) -> Vec<(String, bool)> {
    let data = app
        .gql(
            "query($f: SyncErrorFilterInput) { syncErrors(filter: $f, first: 50) { edges { node { message resolvedAt } } } }",
            json!({ "f": { "channelId": channel, "code": code, "includeResolved": true } }),
        )
        .await;
    data["syncErrors"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| (e["node"]["message"].as_str().unwrap_or("").to_owned(), !e["node"]["resolvedAt"].is_null()))
        .collect()
}

async fn link_state(app: &TestApp, channel: &Value, variant: &Value) -> (String, Value) {
    let data = app
        .gql(
            "query($c: ID!) { productLinks(channelId: $c, view: ALL, first: 50) { edges { node { state errorCode variant { id } } } } }",
            json!({ "c": channel }),
        )
        .await;
    let link = data["productLinks"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| e["node"]["variant"]["id"] == *variant)
        .unwrap_or_else(|| panic!("a link of {variant}: {data}"))["node"]
        .clone();
    (link["state"].as_str().unwrap_or("").to_owned(), link["errorCode"].clone())
}

/// (quantity, price, list price) of the simulator's SKU.
pub(crate) fn on_sim(sim: &SimHandle, sku: &str) -> (i64, i64, i64) {
    sim.state.store().sku_by_seller_sku(sku).map(|(_, s)| (s.quantity, s.price, s.list_price)).expect("sku")
}

async fn every_push_warning_resolves_once_its_cause_is_fixed(app: &TestApp) {
    let shop: Shop = connect(app, ChannelKind::Lazada, json!({})).await;
    let channel = shop.channel.clone();
    let sku = "SKU-0002-1";
    let variant = linked_variant(app, &shop, sku, 6).await;
    push(app, &channel).await;
    assert_eq!(on_sim(&shop.sim, sku).0, 6);

    // QUANTITY_NOT_TRACKED: open while the variant does not track inventory, resolved when it does again.
    app.update_variant(&variant, json!({ "trackInventory": false })).await;
    push(app, &channel).await;
    let open = errors_of(app, &channel, "QUANTITY_NOT_TRACKED").await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert!(!open[0].1 && open[0].0.contains("does not track inventory"), "{open:?}");
    app.update_variant(&variant, json!({ "trackInventory": true })).await;
    push(app, &channel).await;
    assert_eq!(errors_of(app, &channel, "QUANTITY_NOT_TRACKED").await.iter().filter(|e| !e.1).count(), 0);
    assert_eq!(errors_of(app, &channel, "QUANTITY_NOT_TRACKED").await.len(), 1, "kept, resolved");

    // STOCK_PUSH_FAILED: every attempt of the call fails; the retry after the backoff succeeds and resolves it.
    shop.sim.state.inject(Fault::ServerError, 5);
    app.adjust_stock(&variant, "RECEIVED", 3).await;
    push(app, &channel).await;
    assert_eq!(errors_of(app, &channel, "STOCK_PUSH_FAILED").await.iter().filter(|e| !e.1).count(), 1);
    assert_eq!(link_state(app, &channel, &variant).await, ("SYNC_ERROR".to_owned(), json!("STOCK_PUSH_FAILED")));
    // The backoff (10 s) is over.
    product_link::Entity::update_many()
        .col_expr(product_link::Column::PushRequestedAt, sea_orm::sea_query::Expr::value(chrono::Utc::now()))
        .filter(product_link::Column::ChannelId.eq(shop.channel_id))
        .exec(&app.ctx.db)
        .await
        .expect("time passes");
    push(app, &channel).await;
    assert_eq!(on_sim(&shop.sim, sku).0, 9);
    let failed = errors_of(app, &channel, "STOCK_PUSH_FAILED").await;
    assert_eq!((failed.len(), failed.iter().all(|e| e.1)), (1, true), "{failed:?}");
    assert_eq!(link_state(app, &channel, &variant).await, ("LINKED".to_owned(), json!(null)));

    // STOCK_DRIFT: the marketplace shows another number; repaired (the channel's setting), it resolves.
    let sku_id = shop.sim.state.store().sku_by_seller_sku(sku).map(|(_, s)| s.id).expect("sku");
    shop.sim.state.store().sku_mut(sku_id).expect("sku").quantity = 2;
    reconcile(app, &channel).await;
    let drift = errors_of(app, &channel, "STOCK_DRIFT").await;
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert!(!drift[0].1 && drift[0].0.contains("shows 2") && drift[0].0.contains("pushed 9"), "{drift:?}");
    let repair = app
        .gql(
            "mutation($id: ID!) { channelUpdate(id: $id, input: { settings: { stockDriftRepair: true } }) { userErrors { code } } }",
            json!({ "id": channel }),
        )
        .await;
    assert_eq!(repair["channelUpdate"]["userErrors"], json!([]));
    reconcile(app, &channel).await;
    push(app, &channel).await;
    assert_eq!(on_sim(&shop.sim, sku).0, 9, "the hub's number again");
    reconcile(app, &channel).await;
    let drift = errors_of(app, &channel, "STOCK_DRIFT").await;
    assert_eq!((drift.len(), drift.iter().all(|e| e.1)), (1, true), "{drift:?}");
}
on_both_backends_driven!(push_warnings_resolve, every_push_warning_resolves_once_its_cause_is_fixed);

async fn link_all(app: &TestApp, channel: &Value) {
    let started = app
        .gql(
            "mutation($c: ID!) { productLinksCreate(input: { channelId: $c, filter: {} }) { syncRun { id } userErrors { code message } } }",
            json!({ "c": channel }),
        )
        .await;
    let run = app.wait_for_run(started["productLinksCreate"]["syncRun"]["id"].as_str().expect("run")).await;
    assert_eq!(run["status"], "COMPLETED", "{run}");
}

async fn product(app: &TestApp, title: &str, sku: &str, price: i64) -> Value {
    let p = app.create_product(title, json!([{ "sku": sku, "barcode": sku, "price": price.to_string() }])).await;
    p["variants"][0]["id"].clone()
}

async fn tiki_refuses_a_price_above_its_list_price_at_link_and_push_time_and_lazada_takes_it(app: &TestApp) {
    let tiki = connect(app, ChannelKind::Tiki, json!({})).await;
    let (cheap_sku, dear_sku) = ("SKU-0003-1", "SKU-0004-1");
    let (_, _, cheap_list) = on_sim(&tiki.sim, cheap_sku);
    let (_, _, dear_list) = on_sim(&tiki.sim, dear_sku);
    let cheap = product(app, "Rẻ", cheap_sku, cheap_list - 5_000).await;
    let dear = product(app, "Đắt", dear_sku, dear_list + 1_000).await;

    // At link time: the price above Tiki's list price is a link error.
    link_all(app, &tiki.channel).await;
    assert_eq!(link_state(app, &tiki.channel, &cheap).await, ("LINKED".to_owned(), json!(null)));
    assert_eq!(link_state(app, &tiki.channel, &dear).await, ("LINK_ERROR".to_owned(), json!("PRICE_ABOVE_LIST_PRICE")));
    push(app, &tiki.channel).await;
    assert_eq!(on_sim(&tiki.sim, cheap_sku).1, cheap_list - 5_000, "the price within the list price is pushed");

    // At push time: raised above the list price later, the price is not pushed and the link shows why; the
    // quantity still goes.
    app.update_variant(&cheap, json!({ "price": (cheap_list + 10_000).to_string() })).await;
    app.adjust_stock(&cheap, "RECEIVED", 4).await;
    push(app, &tiki.channel).await;
    assert_eq!(on_sim(&tiki.sim, cheap_sku), (4, cheap_list - 5_000, cheap_list), "quantity pushed, price not");
    assert_eq!(
        link_state(app, &tiki.channel, &cheap).await,
        ("SYNC_ERROR".to_owned(), json!("PRICE_ABOVE_LIST_PRICE"))
    );
    let open = errors_of(app, &tiki.channel, "PRICE_ABOVE_LIST_PRICE").await;
    let open: Vec<&(String, bool)> = open.iter().filter(|e| !e.1 && e.0.contains("Rẻ")).collect();
    assert_eq!(open.len(), 1, "{open:?}");
    assert!(open[0].0.contains("Tiki") && open[0].0.contains("not pushed"), "{open:?}");

    // Lowered within it again: pushed, the error resolved, the link LINKED.
    app.update_variant(&cheap, json!({ "price": (cheap_list - 1_000).to_string() })).await;
    push(app, &tiki.channel).await;
    assert_eq!(on_sim(&tiki.sim, cheap_sku).1, cheap_list - 1_000);
    assert_eq!(link_state(app, &tiki.channel, &cheap).await, ("LINKED".to_owned(), json!(null)));
    let resolved = errors_of(app, &tiki.channel, "PRICE_ABOVE_LIST_PRICE").await;
    assert!(resolved.iter().filter(|e| e.0.contains("Rẻ")).all(|e| e.1), "{resolved:?}");

    // Lazada takes a price above its list price: the same product links and its price is pushed.
    let lazada = connect(app, ChannelKind::Lazada, json!({})).await;
    let (_, _, lazada_list) = on_sim(&lazada.sim, dear_sku);
    app.update_variant(&dear, json!({ "price": (lazada_list + 1_000).to_string() })).await;
    link_all(app, &lazada.channel).await;
    assert_eq!(link_state(app, &lazada.channel, &dear).await, ("LINKED".to_owned(), json!(null)));
    push(app, &lazada.channel).await;
    assert_eq!(on_sim(&lazada.sim, dear_sku).1, lazada_list + 1_000);
    assert!(errors_of(app, &lazada.channel, "PRICE_ABOVE_LIST_PRICE").await.is_empty());
}
on_both_backends_driven!(
    tiki_price_rule,
    tiki_refuses_a_price_above_its_list_price_at_link_and_push_time_and_lazada_takes_it
);
