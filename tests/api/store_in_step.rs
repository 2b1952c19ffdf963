//! The web store stays in step by itself after setup (issue 16 item 5, SPEC §2 [Sapo] "after setup"): a product
//! created on the store (its signed push) is created and linked in the hub; a product created in the hub is created
//! on the store, hidden; an edit on either side that changes the option count is reported (OPTION_MISMATCH).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use omnisync::channels::{ChannelKind, NoTokenStore};
use omnisync::domain::channel::{ProductDraft, StockPriceUpdate, VariantDraft};
use omnisync::graphql::relay::global_id;
use omnisync::sim::fixtures;

use crate::helpers::{TestApp, connector_for, start_sim};
use crate::linking_rules::link;
use crate::on_both_backends;

/// Runs queued jobs (or lets the workers run them) until `query` answers what `done` wants; returns the answer.
async fn until(app: &TestApp, query: &str, variables: Value, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        if !app.settings.run_workers {
            app.run_pending_jobs().await;
        }
        let data = app.gql(query, variables.clone()).await;
        if done(&data) {
            return data;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not reached in 10 s: {query} {variables}");
}

const LINK_OF_SKU: &str = "query($c: ID!, $s: String) { productLinks(channelId: $c, search: $s) { edges { node {
    state errorCode errorMessage variant { sku costPrice { amount } price { amount } options { name } } listing { sellerSku } } } } }";

fn first_link(data: &Value) -> &Value {
    &data["productLinks"]["edges"][0]["node"]
}

async fn products_made_on_either_side_reach_the_other_and_option_edits_are_reported(app: &TestApp) {
    let sim = start_sim(ChannelKind::Webstore, 2);
    let channel = fixtures::connect_sim(&app.ctx, &sim).await.expect("connected");
    sim.state.set_webhook_url(Some(format!("{}/webhooks/{}", app.address, channel.id)));
    let channel_id = json!(global_id("Channel", channel.id));
    link(app, &channel_id, json!({ "filter": {} })).await;

    // Created on the store: its push makes the hub product (cost = retail price), linked.
    let store = connector_for(&sim, Arc::new(NoTokenStore));
    let made = store
        .create_hidden_product(&ProductDraft {
            title: "Made on the store".into(),
            variants: vec![VariantDraft {
                seller_sku: "STORE-NEW-1".into(),
                price_minor: 150_000,
                list_price_minor: None,
                quantity: 0,
                options: vec![("Size".into(), "M".into())],
            }],
        })
        .await
        .expect("created on the store");
    let vars = json!({ "c": channel_id, "s": "STORE-NEW-1" });
    let data = until(app, LINK_OF_SKU, vars.clone(), |d| first_link(d)["state"] == "LINKED").await;
    let variant = &first_link(&data)["variant"];
    assert_eq!(variant["sku"], "STORE-NEW-1");
    assert_eq!(variant["costPrice"], variant["price"], "cost = the store's retail price: {variant}");
    assert_eq!(variant["price"]["amount"], "150000");

    // Edited on the store: a second option there, one in the hub.
    {
        let mut sim_store = sim.state.store();
        let sku = sim_store.sku_mut(made[0].external_sku_id.parse().expect("sku id")).expect("the SKU");
        sku.options.push(("Màu".into(), "Đỏ".into()));
    }
    // Any change the store pushes carries the whole product: a price change here.
    let report = store
        .update_stock_price(&[StockPriceUpdate {
            external_product_id: made[0].external_product_id.clone(),
            external_sku_id: made[0].external_sku_id.clone(),
            seller_sku: Some("STORE-NEW-1".into()),
            quantity: None,
            price_minor: Some(160_000),
            sale: None,
        }])
        .await
        .expect("updated on the store");
    assert!(report.results.iter().all(|r| r.ok), "{report:?}");
    let data = until(app, LINK_OF_SKU, vars, |d| first_link(d)["state"] == "LINK_ERROR").await;
    assert_eq!(first_link(&data)["errorCode"], "OPTION_MISMATCH", "{data}");

    // Created in the hub: created on the store, hidden, and linked.
    let created = app
        .gql(
            "mutation($i: ProductCreateInput!) { productCreate(input: $i) { product { id variants { id } } userErrors { message } } }",
            json!({ "i": { "title": "Made in the hub", "variants": [{ "sku": "HUB-NEW-1", "price": "120000", "options": [{ "name": "Size", "value": "L" }] }] } }),
        )
        .await;
    assert_eq!(created["productCreate"]["userErrors"], json!([]), "{created}");
    let vars = json!({ "c": channel_id, "s": "HUB-NEW-1" });
    until(app, LINK_OF_SKU, vars.clone(), |d| first_link(d)["state"] == "LINKED").await;
    {
        let sim_store = sim.state.store();
        let (product, _) = sim_store.sku_by_seller_sku("HUB-NEW-1").expect("created on the store");
        assert!(product.hidden, "hidden, as the manual says");
        assert_eq!(product.title, "Made in the hub");
    }

    // Edited in the hub: a second option in the hub, one on the store.
    let variant = created["productCreate"]["product"]["variants"][0]["id"].clone();
    let updated = app
        .gql(
            "mutation($v: ID!) { productVariantUpdate(id: $v, input: { options: [{ name: \"Size\", value: \"L\" }, { name: \"Màu\", value: \"Đen\" }] }) { userErrors { message } } }",
            json!({ "v": variant }),
        )
        .await;
    assert_eq!(updated["productVariantUpdate"]["userErrors"], json!([]), "{updated}");
    let data = until(app, LINK_OF_SKU, vars, |d| first_link(d)["state"] == "LINK_ERROR").await;
    assert_eq!(first_link(&data)["errorCode"], "OPTION_MISMATCH", "{data}");
}
on_both_backends!(webstore_in_step, products_made_on_either_side_reach_the_other_and_option_edits_are_reported);
