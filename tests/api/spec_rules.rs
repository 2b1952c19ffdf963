//! SPEC rules whose proof spans flows and has no other home (docs/spec-coverage.md points here).

use serde_json::{Value, json};

use omnisync::channels::ChannelKind;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::orders::{Shop, connect, linked_variant, settle, stock};

async fn orders_with_their_channel(app: &TestApp, shop: &Shop) -> Vec<Value> {
    let data = app
        .gql(
            "query($c: ID!) { orders(first: 10, filter: { channelId: $c }) { edges { node {
                externalId hasUnlinkedLines channel { id kind name country } lines { reservedQuantity } } } } }",
            json!({ "c": shop.channel }),
        )
        .await;
    data["orders"]["edges"].as_array().expect("edges").iter().map(|e| e["node"].clone()).collect()
}

/// SPEC §1: several accounts of one kind are connected at once, each with its own name and country, and every
/// order is tagged with the account it came from; a link on one account does not link the other.
async fn two_accounts_of_one_kind_work_side_by_side_and_tag_their_own_orders(app: &TestApp) {
    let north = connect(app, ChannelKind::Lazada, json!({})).await;
    let south = connect(app, ChannelKind::Lazada, json!({})).await;
    let renamed = app
        .gql(
            "mutation($id: ID!) { channelUpdate(id: $id, input: { name: \"Lazada miền Nam\" }) { userErrors { code } } }",
            json!({ "id": south.channel }),
        )
        .await;
    assert_eq!(renamed["channelUpdate"]["userErrors"], json!([]));
    let variant = linked_variant(app, &north, "SKU-0001-1", 10).await;

    // The same seller SKU sold on both accounts.
    north.sim.state.create_order(&[("SKU-0001-1".to_owned(), 2)], None).await.expect("order");
    south.sim.state.create_order(&[("SKU-0001-1".to_owned(), 3)], None).await.expect("order");
    settle(app, &north).await;
    settle(app, &south).await;

    let north_orders = orders_with_their_channel(app, &north).await;
    let south_orders = orders_with_their_channel(app, &south).await;
    assert_eq!((north_orders.len(), south_orders.len()), (1, 1), "{north_orders:#?} {south_orders:#?}");
    assert_eq!(
        north_orders[0]["channel"],
        json!({ "id": north.channel, "kind": "LAZADA", "name": "lazada shop", "country": "VN" })
    );
    assert_eq!(
        south_orders[0]["channel"],
        json!({ "id": south.channel, "kind": "LAZADA", "name": "Lazada miền Nam", "country": "VN" })
    );
    // Linked on the north account only: its order reserves; the south one is kept with an unlinked line.
    assert_eq!(
        (north_orders[0]["hasUnlinkedLines"].clone(), north_orders[0]["lines"][0]["reservedQuantity"].clone()),
        (json!(false), json!(2))
    );
    assert_eq!(south_orders[0]["hasUnlinkedLines"], json!(true));
    assert_eq!(stock(app, &variant).await, (10, 2), "only the linked account's order reserves");
}
on_both_backends!(two_accounts_of_one_kind, two_accounts_of_one_kind_work_side_by_side_and_tag_their_own_orders);
