//! `sortKey` and `updatedAtMin` (issue 15, item 9): lists sorted by a column page on (value, id), so rows sharing a
//! value are neither skipped nor repeated; a cursor only continues the sort it came from; `updatedAtMin` (and
//! `lastSeenAtMin`) return only what changed at or after a time, and the changes a front-end sees move the time.

use serde_json::{Value, json};

use omnisync::channels::ChannelKind;

use crate::helpers::{TestApp, start_sim};
use crate::on_both_backends;
use crate::orders::{connect, linked_variant, settle};

const PRODUCTS: &str = "query($first: Int, $after: String, $last: Int, $before: String, $reverse: Boolean,
    $sort: ProductSortKeys, $since: DateTime) {
    products(first: $first, after: $after, last: $last, before: $before, reverse: $reverse, sortKey: $sort,
        filter: { updatedAtMin: $since }) {
        totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id title updatedAt } } } }";

const ORDERS: &str = "query($sort: OrderSortKeys, $reverse: Boolean, $since: DateTime, $c: ID) {
    orders(first: 100, sortKey: $sort, reverse: $reverse, filter: { channelId: $c, updatedAtMin: $since }) {
        totalCount edges { node { id updatedAt } } } }";

const SYNC_ERRORS: &str = "query($first: Int, $after: String, $sort: SyncErrorSortKeys, $since: DateTime) {
    syncErrors(first: $first, after: $after, sortKey: $sort, filter: { lastSeenAtMin: $since }) {
        pageInfo { hasNextPage endCursor } edges { node { id code lastSeenAt occurrences } } } }";

fn ids(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"]["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// Every product id, walking `first: 2` pages forward under `sort`; checks the count and page flags on the way.
async fn walk_forward(app: &TestApp, sort: &str, reverse: bool, total: usize) -> Vec<String> {
    let (mut seen, mut after) = (Vec::new(), Value::Null);
    loop {
        let vars = json!({ "first": 2, "after": after, "sort": sort, "reverse": reverse });
        let page = app.gql(PRODUCTS, vars).await["products"].clone();
        assert_eq!(page["totalCount"], total, "{page}");
        assert_eq!(page["pageInfo"]["hasPreviousPage"], !seen.is_empty(), "{page}");
        seen.extend(ids(&page));
        if page["pageInfo"]["hasNextPage"] == false {
            return seen;
        }
        assert!(seen.len() < total, "more pages than rows: {seen:?}");
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// Every product id, walking `last: 2` pages back from the end under `sort`, in list order.
async fn walk_backward(app: &TestApp, sort: &str, total: usize) -> Vec<String> {
    let (mut seen, mut before) = (Vec::new(), Value::Null);
    loop {
        let page = app.gql(PRODUCTS, json!({ "last": 2, "before": before, "sort": sort })).await["products"].clone();
        let mut chunk = ids(&page);
        chunk.append(&mut seen);
        seen = chunk;
        if page["pageInfo"]["hasPreviousPage"] == false {
            return seen;
        }
        assert!(seen.len() < total, "more pages than rows: {seen:?}");
        before = page["pageInfo"]["startCursor"].clone();
    }
}

async fn products_sorted_by_title_page_through_equal_titles_without_gaps_or_repeats(app: &TestApp) {
    // Equal titles created apart from each other, so id order and title order disagree.
    let titles = ["Beta", "Alpha", "Beta", "Gamma", "Alpha", "Beta", "Delta"];
    let mut created = Vec::new();
    for (i, title) in titles.iter().enumerate() {
        let product = app.create_product(title, json!([{ "sku": format!("T-{i}"), "price": "1000" }])).await;
        created.push((title.to_owned(), product["id"].as_str().expect("an id").to_owned()));
    }
    // Global ids of one type sort as their numbers do only by accident: order by creation index instead.
    let mut expected: Vec<(&str, usize)> = titles.iter().enumerate().map(|(i, t)| (*t, i)).collect();
    expected.sort();
    let expected: Vec<String> = expected.iter().map(|(_, i)| created[*i].1.clone()).collect();
    let total = titles.len();

    assert_eq!(walk_forward(app, "TITLE", false, total).await, expected, "TITLE, first: 2 pages");
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(walk_forward(app, "TITLE", true, total).await, reversed, "TITLE reversed, first: 2 pages");
    assert_eq!(walk_backward(app, "TITLE", total).await, expected, "TITLE, last: 2 pages from the end");

    // The default is still creation order, and its cursors look as they always did.
    let by_id: Vec<String> = created.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(walk_forward(app, "ID", false, total).await, by_id);
    let page = app.gql(PRODUCTS, json!({ "first": 2 })).await["products"].clone();
    assert_eq!(ids(&page), by_id[..2]);
}
on_both_backends!(products_by_title, products_sorted_by_title_page_through_equal_titles_without_gaps_or_repeats);

async fn a_cursor_only_continues_the_sort_it_was_taken_under(app: &TestApp) {
    for title in ["One", "Two", "Three"] {
        app.create_product(title, json!([{ "sku": "S", "price": "1000" }])).await;
    }
    let by_title = app.gql(PRODUCTS, json!({ "first": 1, "sort": "TITLE" })).await["products"].clone();
    let title_cursor = by_title["pageInfo"]["endCursor"].clone();
    let by_id = app.gql(PRODUCTS, json!({ "first": 1 })).await["products"].clone();
    let id_cursor = by_id["pageInfo"]["endCursor"].clone();

    for (cursor, sort) in [(&title_cursor, "UPDATED_AT"), (&title_cursor, "ID"), (&id_cursor, "TITLE")] {
        let body = app.graphql(PRODUCTS, json!({ "first": 1, "after": cursor, "sort": sort })).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_CURSOR", "{sort}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("sorted by") && message.contains(sort), "{message}");
        assert!(body["data"].is_null(), "no page is given: {body}");
    }
    // Lists without sort keys refuse another key's cursor too.
    let body =
        app.graphql("query($a: String) { warehouses(after: $a) { totalCount } }", json!({ "a": title_cursor })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_CURSOR", "{body}");
    // Under its own key it continues.
    let next = app.gql(PRODUCTS, json!({ "first": 1, "after": title_cursor, "sort": "TITLE" })).await;
    assert_eq!(next["products"]["edges"][0]["node"]["title"], "Three");
}
on_both_backends!(cursor_of_another_sort, a_cursor_only_continues_the_sort_it_was_taken_under);

async fn products_changed_since_a_time_include_variant_changes(app: &TestApp) {
    let mut products = Vec::new();
    for title in ["P1", "P2", "P3"] {
        products.push(app.create_product(title, json!([{ "sku": "V", "price": "1000" }])).await);
    }
    let updated = app
        .gql(
            "mutation($id: ID!) { productUpdate(id: $id, input: { title: \"P1 renamed\" }) { product { updatedAt } userErrors { code } } }",
            json!({ "id": products[0]["id"] }),
        )
        .await;
    let since = updated["productUpdate"]["product"]["updatedAt"].clone();
    let changed = app.gql(PRODUCTS, json!({ "since": since, "sort": "UPDATED_AT" })).await["products"].clone();
    assert_eq!(ids(&changed), [products[0]["id"].as_str().expect("id")], "inclusive of the exact time: {changed}");
    assert_eq!(changed["totalCount"], 1);

    // A variant's change is the product's change.
    let variant = products[1]["variants"][0]["id"].clone();
    let priced = app
        .gql(
            "mutation($id: ID!) { productVariantUpdate(id: $id, input: { price: \"2000\" }) { userErrors { code } } }",
            json!({ "id": variant }),
        )
        .await;
    assert_eq!(priced["productVariantUpdate"]["userErrors"], json!([]));
    let changed = app.gql(PRODUCTS, json!({ "since": since, "sort": "UPDATED_AT" })).await["products"].clone();
    let expected = [products[0]["id"].as_str().expect("id"), products[1]["id"].as_str().expect("id")];
    assert_eq!(ids(&changed), expected, "both, the latest change last");
    let all = app.gql(PRODUCTS, json!({ "sort": "UPDATED_AT", "reverse": true })).await["products"].clone();
    assert_eq!(ids(&all)[..2], [expected[1], expected[0]], "newest change first");
}
on_both_backends!(products_changed_since, products_changed_since_a_time_include_variant_changes);

async fn an_order_whose_status_changes_moves_to_the_end_of_the_updated_at_order(app: &TestApp) {
    let shop = connect(app, ChannelKind::Webstore, json!({ "processOrdersInHub": true })).await;
    linked_variant(app, &shop, "SKU-0001-1", 10).await;
    for _ in 0..3 {
        shop.sim.state.create_order(&[("SKU-0001-1".to_owned(), 1)], None).await.expect("order");
        settle(app, &shop).await;
    }
    let list = async |sort: &str, reverse: bool, since: Value| {
        let vars = json!({ "sort": sort, "reverse": reverse, "since": since, "c": shop.channel });
        ids(&app.gql(ORDERS, vars).await["orders"])
    };
    let imported = list("ID", false, Value::Null).await;
    assert_eq!(imported.len(), 3);
    assert_eq!(list("CREATED_AT", false, Value::Null).await, imported, "imported one after another");
    assert_eq!(list("UPDATED_AT", false, Value::Null).await, imported, "unchanged since import");

    let moved = app
        .gql(
            "mutation($o: ID!) { orderStatusUpdate(orderId: $o, status: DELIVERED) { order { updatedAt } userErrors { code message } } }",
            json!({ "o": imported[0] }),
        )
        .await;
    assert_eq!(moved["orderStatusUpdate"]["userErrors"], json!([]), "{moved}");
    let since = moved["orderStatusUpdate"]["order"]["updatedAt"].clone();

    let by_update = list("UPDATED_AT", false, Value::Null).await;
    assert_eq!(by_update, [imported[1].as_str(), &imported[2], &imported[0]], "the changed order is now the latest");
    let newest_first = list("UPDATED_AT", true, Value::Null).await;
    assert_eq!(newest_first, [imported[0].as_str(), &imported[2], &imported[1]]);
    assert_eq!(list("CREATED_AT", false, Value::Null).await, imported, "its import time did not move");
    assert_eq!(list("UPDATED_AT", false, since).await, [imported[0].as_str()], "only what changed at or after T");
}
on_both_backends!(orders_by_updated_at, an_order_whose_status_changes_moves_to_the_end_of_the_updated_at_order);

async fn sync_errors_sort_by_when_they_were_last_seen(app: &TestApp) {
    let sim = start_sim(ChannelKind::Lazada, 5);
    let c = &sim.state.credentials;
    let channel = app
        .gql(
            "mutation($input: ChannelConnectInput!) { channelConnect(input: $input) { channel { id } } }",
            json!({ "input": { "kind": "LAZADA", "name": "L", "country": "VN", "baseUrl": sim.base_url,
                "credentials": { "appKey": c.app_key, "appSecret": c.app_secret, "accessToken": c.access_token, "refreshToken": c.refresh_token } } }),
        )
        .await["channelConnect"]["channel"]["id"]
        .clone();
    // Each fails to link: no barcode, or a barcode the channel does not have.
    let mut products = Vec::new();
    for (title, barcode) in
        [("No barcode", Value::Null), ("Unknown 1", json!("NOPE-1")), ("Unknown 2", json!("NOPE-2"))]
    {
        products.push(
            app.create_product(title, json!([{ "sku": title.replace(' ', "-"), "barcode": barcode, "price": "1000" }]))
                .await,
        );
    }
    let link = async |product_ids: Value| {
        let started = app
            .gql(
                "mutation($c: ID!, $p: [ID!]) { productLinksCreate(input: { channelId: $c, productIds: $p }) { syncRun { id } } }",
                json!({ "c": channel, "p": product_ids }),
            )
            .await;
        app.wait_for_run(started["productLinksCreate"]["syncRun"]["id"].as_str().expect("run")).await;
    };
    link(json!(products.iter().map(|p| p["id"].clone()).collect::<Vec<_>>())).await;
    let page = |sort: &str, since: Value| json!({ "first": 100, "sort": sort, "since": since });
    let by_id = app.gql(SYNC_ERRORS, page("ID", Value::Null)).await["syncErrors"].clone();
    let first_seen = ids(&by_id);
    assert_eq!(first_seen.len(), 3, "{by_id}");

    // The three were seen in one batch, at one instant: ties, in id order. Linking the product without a barcode
    // again repeats its error, which is then the latest seen.
    let ties = app.gql(SYNC_ERRORS, page("LAST_SEEN_AT", Value::Null)).await["syncErrors"].clone();
    assert_eq!(ids(&ties), first_seen, "{ties}");
    link(json!([products[0]["id"]])).await;

    let by_last_seen = app.gql(SYNC_ERRORS, page("LAST_SEEN_AT", Value::Null)).await["syncErrors"].clone();
    let edges = by_last_seen["edges"].as_array().expect("edges");
    let again = edges.iter().find(|e| e["node"]["occurrences"] == 2).expect("the repeated error")["node"].clone();
    assert_eq!(again["code"], "NO_MATCH_KEY");
    let expected: Vec<String> = first_seen
        .iter()
        .filter(|id| **id != again["id"])
        .cloned()
        .chain([again["id"].as_str().expect("id").to_owned()])
        .collect();
    assert_eq!(ids(&by_last_seen), expected, "the repeated error is last: {by_last_seen}");

    // One at a time, the same order.
    let (mut walked, mut after) = (Vec::new(), Value::Null);
    loop {
        let vars = json!({ "first": 1, "after": after, "sort": "LAST_SEEN_AT" });
        let page = app.gql(SYNC_ERRORS, vars).await["syncErrors"].clone();
        walked.extend(ids(&page));
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(walked, expected);
    let since = again["lastSeenAt"].clone();
    let recent = app.gql(SYNC_ERRORS, page("LAST_SEEN_AT", since)).await["syncErrors"].clone();
    assert_eq!(ids(&recent), [again["id"].as_str().expect("id")], "seen at or after T: {recent}");
}
on_both_backends!(sync_errors_by_last_seen, sync_errors_sort_by_when_they_were_last_seen);
