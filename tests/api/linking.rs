//! Product linking (SPEC §2) end to end: a Lazada simulator, a hub catalog built to hit every rule, bulk link
//! in a job, the four views, relink after a fix, unlink vs delete, compare, create-from-listing, preview.

use serde_json::{Value, json};

use omnisync::channels::ChannelKind;
use omnisync::sim::SimHandle;

use crate::helpers::{Options, TestApp, start_sim};
use crate::on_both_backends;

/// Connects a Lazada channel to `sim` through GraphQL; returns its global id.
pub(crate) async fn connect_lazada(app: &TestApp, sim: &SimHandle) -> Value {
    let c = &sim.state.credentials;
    let data = app
        .gql(
            "mutation($input: ChannelConnectInput!) { channelConnect(input: $input) { channel { id } userErrors { field code message } } }",
            json!({ "input": { "kind": "LAZADA", "name": "Lazada", "country": "VN", "baseUrl": sim.base_url,
                "credentials": { "appKey": c.app_key, "appSecret": c.app_secret, "accessToken": c.access_token, "refreshToken": c.refresh_token } } }),
        )
        .await;
    assert_eq!(data["channelConnect"]["userErrors"], json!([]), "{data}");
    data["channelConnect"]["channel"]["id"].clone()
}

fn opts(n: usize) -> Value {
    json!((0..n).map(|i| json!({ "name": format!("Opt{i}"), "value": "x" })).collect::<Vec<_>>())
}

/// Hub products built to hit each rule against the simulator's seed (product n has (n-1)%3+1 SKUs
/// `SKU-000n-j`; multi-SKU products carry two options; list price = price + 20,000).
async fn build_catalog(app: &TestApp) -> Value {
    let mk =
        |title: &'static str, variants: Value| async move { app.create_product(title, variants).await["id"].clone() };
    json!({
        "linked": mk("Linked", json!([{ "sku": "H1", "barcode": "SKU-0001-1", "price": "1000" }])).await,
        "noBarcode": mk("No barcode", json!([{ "sku": "H2", "price": "1000" }])).await,
        "notFound": mk("Not found", json!([{ "sku": "H3", "barcode": "NOPE-1", "price": "1000" }])).await,
        "duplicate": app.create_product("Dup", json!([{ "sku": "H4a", "barcode": "SKU-0004-1", "price": "1000", "options": [{ "name": "Size", "value": "M" }] },
            { "sku": "H4b", "barcode": "SKU-0004-1", "price": "1000", "options": [{ "name": "Size", "value": "L" }] }])).await["id"].clone(),
        "conflictA": mk("Conflict A", json!([{ "sku": "H5", "barcode": "SKU-0007-1", "price": "1000" }])).await,
        "conflictB": mk("Conflict B", json!([{ "sku": "H6", "barcode": "SKU-0007-1", "price": "1000" }])).await,
        "priceAbove": mk("Too dear", json!([{ "sku": "H7", "barcode": "SKU-0013-1", "price": "99000000" }])).await,
        "options": mk("Options", json!([{ "sku": "H8", "barcode": "SKU-0005-1", "price": "1000", "options": opts(3) }])).await,
    })
}

async fn link_all(app: &TestApp, channel: &Value) -> Value {
    let started = app
        .gql(
            "mutation($input: ProductLinksCreateInput!) { productLinksCreate(input: $input) { syncRun { id status } userErrors { field code message } } }",
            json!({ "input": { "channelId": channel, "filter": {} } }),
        )
        .await;
    assert_eq!(started["productLinksCreate"]["userErrors"], json!([]), "{started}");
    app.wait_for_run(started["productLinksCreate"]["syncRun"]["id"].as_str().expect("run id")).await
}

async fn view(app: &TestApp, channel: &Value, view: &str) -> Vec<Value> {
    let data = app
        .gql(
            "query($c: ID!, $v: ProductLinkView!) { productLinks(channelId: $c, view: $v, first: 100) { totalCount edges { node {
                id state errorCode errorMessage listing { id sellerSku } variant { id barcode } product { title } } } } }",
            json!({ "c": channel, "v": view }),
        )
        .await;
    data["productLinks"]["edges"].as_array().expect("edges").iter().map(|e| e["node"].clone()).collect()
}

fn codes_by_product(links: &[Value]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = links
        .iter()
        .map(|l| {
            (l["product"]["title"].as_str().unwrap_or("").to_owned(), l["errorCode"].as_str().unwrap_or("").to_owned())
        })
        .collect();
    out.sort();
    out
}

async fn every_link_error_arises_from_the_right_data_and_the_views_show_the_right_rows(app: &TestApp) {
    let sim = start_sim(ChannelKind::Lazada, 20);
    let channel = connect_lazada(app, &sim).await;
    build_catalog(app).await;

    let run = link_all(app, &channel).await;
    assert_eq!(run["status"], "COMPLETED", "{run}");
    assert_eq!(
        (run["total"].as_i64(), run["succeeded"].as_i64(), run["failed"].as_i64()),
        (Some(8), Some(2), Some(6)),
        "{run}"
    );

    let errors = view(app, &channel, "LINK_ERROR").await;
    assert_eq!(
        codes_by_product(&errors),
        [
            ("Conflict A", "CONFLICT_ACROSS_PRODUCTS"),
            ("Conflict B", "CONFLICT_ACROSS_PRODUCTS"),
            ("Dup", "DUPLICATE_IN_PRODUCT"),
            ("Dup", "DUPLICATE_IN_PRODUCT"),
            ("No barcode", "NO_MATCH_KEY"),
            ("Not found", "NOT_FOUND_ON_CHANNEL"),
            ("Options", "OPTION_MISMATCH"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    // One product's failing variants with their reasons (what a screen lists under the product).
    let dup = app.gql("{ products(first: 1, filter: { search: \"Dup\" }) { nodes { id title } } }", json!({})).await;
    let dup_id = dup["products"]["nodes"][0]["id"].clone();
    assert_eq!(dup["products"]["nodes"][0]["title"], "Dup", "{dup}");
    let of_dup = app
        .gql(
            "query($c: ID!, $p: ID!) { productLinks(channelId: $c, view: LINK_ERROR, productId: $p) { totalCount nodes { errorCode product { title } } } }",
            json!({ "c": channel, "p": dup_id }),
        )
        .await;
    assert_eq!(of_dup["productLinks"]["totalCount"], 2, "{of_dup}");
    let nodes = of_dup["productLinks"]["nodes"].as_array().expect("nodes");
    assert!(
        nodes.iter().all(|l| l["product"]["title"] == "Dup" && l["errorCode"] == "DUPLICATE_IN_PRODUCT"),
        "{of_dup}"
    );
    let not_a_product = app
        .graphql(
            "query($c: ID!) { productLinks(channelId: $c, productId: $c) { totalCount } }",
            json!({ "c": channel }),
        )
        .await;
    assert!(
        not_a_product["errors"][0]["message"].as_str().is_some(),
        "a channel id is not a product id: {not_a_product}"
    );

    let no_barcode = errors.iter().find(|l| l["errorCode"] == "NO_MATCH_KEY").expect("no barcode");
    assert_eq!(no_barcode["errorMessage"], "No barcode / Default Title has no barcode: add one to link it");
    let conflict = errors.iter().find(|l| l["product"]["title"] == "Conflict A").expect("conflict");
    assert!(
        conflict["errorMessage"].as_str().unwrap_or_default().contains("Conflict B"),
        "names the other product: {conflict}"
    );
    assert!(
        errors.iter().find(|l| l["errorCode"] == "OPTION_MISMATCH").expect("options")["listing"]["sellerSku"]
            == "SKU-0005-1"
    );

    // A price above the list price is refused by Tiki only: Lazada takes it (see `stock_warnings`).
    let mut synced = view(app, &channel, "SYNCED").await;
    synced.sort_by_key(|l| l["listing"]["sellerSku"].as_str().unwrap_or("").to_owned());
    assert_eq!(
        synced.iter().map(|l| (l["state"].as_str(), l["listing"]["sellerSku"].as_str())).collect::<Vec<_>>(),
        [(Some("LINKED"), Some("SKU-0001-1")), (Some("LINKED"), Some("SKU-0013-1"))]
    );
    assert_eq!(view(app, &channel, "ALL").await.len(), 9);
    assert_eq!(view(app, &channel, "SYNC_ERROR").await.len(), 0, "no push has failed");

    // A push failure (issue 5 writes these) shows in the SYNC_ERROR view and nowhere else but ALL.
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let link_id = omnisync::graphql::relay::decode_id(
        "ProductLink",
        &async_graphql::ID(synced[0]["id"].as_str().expect("id").to_owned()),
    )
    .expect("id");
    entity::product_link::ActiveModel {
        id: Set(link_id),
        state: Set(entity::enums::LinkState::SyncError),
        ..Default::default()
    }
    .update(&app.ctx.db)
    .await
    .expect("update");
    assert_eq!(view(app, &channel, "SYNC_ERROR").await.len(), 1);
    assert_eq!(view(app, &channel, "SYNCED").await.len(), 1);

    // Product-level state: linked only when every variant is.
    let dup = app.gql("{ products(filter: { search: \"Dup\" }) { edges { node { id } } } }", json!({})).await["products"]["edges"][0]["node"]["id"].clone();
    let status = app
        .gql("query($p: ID!, $c: ID!) { productLinkStatus(productId: $p, channelId: $c) { state failingVariants { sku } } }", json!({ "p": dup, "c": channel }))
        .await;
    assert_eq!(
        status["productLinkStatus"],
        json!({ "state": "FAILED", "failingVariants": [{ "sku": "H4a" }, { "sku": "H4b" }] })
    );
}

async fn relink_after_a_fix_unlink_versus_delete_and_a_deleted_variant(app: &TestApp) {
    let sim = start_sim(ChannelKind::Lazada, 20);
    let channel = connect_lazada(app, &sim).await;
    let ids = build_catalog(app).await;
    link_all(app, &channel).await;

    // Fix the barcode of "Not found", then relink every error.
    let variant = app
        .gql("query($p: ID!) { product(id: $p) { variants { id } } }", json!({ "p": ids["notFound"] }))
        .await["product"]["variants"][0]["id"]
        .clone();
    app.gql("mutation($v: ID!) { productVariantUpdate(id: $v, input: { barcode: \"SKU-0008-1\" }) { userErrors { code } } }", json!({ "v": variant })).await;
    let relink = app
        .gql(
            "mutation($c: ID!) { productLinksRelink(input: { channelId: $c, allErrors: true }) { syncRun { id } userErrors { code message } } }",
            json!({ "c": channel }),
        )
        .await;
    let run = app.wait_for_run(relink["productLinksRelink"]["syncRun"]["id"].as_str().expect("run")).await;
    assert_eq!(run["status"], "COMPLETED");
    let synced = view(app, &channel, "SYNCED").await;
    let skus: Vec<&str> = synced.iter().map(|l| l["listing"]["sellerSku"].as_str().unwrap_or("")).collect();
    assert!(skus.contains(&"SKU-0008-1"), "the fixed variant is linked: {skus:?}");
    assert!(
        !view(app, &channel, "LINK_ERROR").await.iter().any(|l| l["errorCode"] == "NOT_FOUND_ON_CHANNEL"),
        "its error is gone"
    );

    // Unlink: stops syncing, can be relinked.
    let link = synced.iter().find(|l| l["listing"]["sellerSku"] == "SKU-0001-1").expect("link")["id"].clone();
    let unlinked = app
        .gql(
            "mutation($l: [ID!]!) { productLinksUnlink(linkIds: $l) { productLinks { state } userErrors { code } } }",
            json!({ "l": [link] }),
        )
        .await;
    assert_eq!(unlinked["productLinksUnlink"]["productLinks"][0]["state"], "UNLINKED");
    let relink = app
        .gql("mutation($c: ID!, $l: [ID!]) { productLinksRelink(input: { channelId: $c, linkIds: $l }) { syncRun { id } userErrors { code } } }", json!({ "c": channel, "l": [link] }))
        .await;
    app.wait_for_run(relink["productLinksRelink"]["syncRun"]["id"].as_str().expect("run")).await;
    let again = app.gql("query($l: ID!) { productLink(id: $l) { state } }", json!({ "l": link })).await;
    assert_eq!(again["productLink"]["state"], "LINKED", "an unlinked product can be relinked");

    // Delete: permanent; the listing cannot be linked again, by matching or by hand.
    let listing = app
        .gql("query($l: ID!) { productLink(id: $l) { listing { id } variant { id } } }", json!({ "l": link }))
        .await["productLink"]
        .clone();
    let deleted = app
        .gql(
            "mutation($l: [ID!]!) { productLinksDelete(linkIds: $l) { deletedIds userErrors { code } } }",
            json!({ "l": [link] }),
        )
        .await;
    assert_eq!(deleted["productLinksDelete"]["deletedIds"], json!([link]));
    link_all(app, &channel).await;
    // The deleted link leaves the views (SPEC §2 [Sapo]); the error list says why the product is not linked.
    let errors = view(app, &channel, "ALL").await;
    assert!(!errors.iter().any(|l| l["product"]["title"] == "Linked"), "{errors:?}");
    let listed = crate::linking_rules::sync_errors(app, &channel).await;
    assert!(
        listed.iter().any(|(code, message, resolved)| code == "LISTING_EXCLUDED"
            && message.starts_with("Linked /")
            && !resolved),
        "{listed:?}"
    );
    let manual = app
        .gql(
            "mutation($l: ID!, $v: ID!) { productLinkSet(listingId: $l, variantId: $v) { productLink { id } userErrors { field code } } }",
            json!({ "l": listing["listing"]["id"], "v": listing["variant"]["id"] }),
        )
        .await;
    assert_eq!(manual["productLinkSet"]["userErrors"], json!([{ "field": ["listingId"], "code": "INVALID_STATE" }]));

    // Deleting a linked hub product leaves the link in LINK_ERROR with VARIANT_DELETED.
    let fixed_link = view(app, &channel, "SYNCED")
        .await
        .into_iter()
        .find(|l| l["listing"]["sellerSku"] == "SKU-0008-1")
        .expect("link");
    app.gql("mutation($p: ID!) { productDelete(id: $p) { deletedId } }", json!({ "p": ids["notFound"] })).await;
    let lost = app
        .gql(
            "query($l: ID!) { productLink(id: $l) { state errorCode errorMessage variant { id } } }",
            json!({ "l": fixed_link["id"] }),
        )
        .await;
    assert_eq!(lost["productLink"]["state"], "LINK_ERROR");
    assert_eq!(lost["productLink"]["errorCode"], "VARIANT_DELETED");
    assert_eq!(lost["productLink"]["variant"], json!(null));
    assert!(lost["productLink"]["errorMessage"].as_str().unwrap_or_default().contains("Not found /"), "{lost}");
}

async fn manual_link_create_from_listing_compare_and_preview(app: &TestApp) {
    let sim = start_sim(ChannelKind::Lazada, 20);
    let channel = connect_lazada(app, &sim).await;
    let ids = build_catalog(app).await;

    // Preview before any pull has nothing to match against; after a pull it shows the decisions, writing nothing.
    let pull = app
        .gql("mutation($c: ID!) { channelListingsPull(channelId: $c) { syncRun { id } } }", json!({ "c": channel }))
        .await;
    let pulled = app.wait_for_run(pull["channelListingsPull"]["syncRun"]["id"].as_str().expect("run")).await;
    assert_eq!(pulled["succeeded"], 39, "20 seeded products have 39 SKUs: {pulled}");
    let preview = app
        .gql(
            "query($c: ID!, $p: [ID!]) { productLinksPreview(input: { channelId: $c, productIds: $p }) { wouldLink errorCode variant { sku } listing { sellerSku } } }",
            json!({ "c": channel, "p": [ids["linked"], ids["notFound"]] }),
        )
        .await;
    assert_eq!(
        preview["productLinksPreview"],
        json!([{ "wouldLink": true, "errorCode": null, "variant": { "sku": "H1" }, "listing": { "sellerSku": "SKU-0001-1" } },
               { "wouldLink": false, "errorCode": "NOT_FOUND_ON_CHANNEL", "variant": { "sku": "H3" }, "listing": null }])
    );
    assert_eq!(view(app, &channel, "ALL").await.len(), 0, "a preview writes nothing");

    // Create a hub product from a 3-SKU listing (SKU-0009-*), linked at once.
    let listing = app
        .gql("query($c: ID!) { channelListings(channelId: $c, search: \"SKU-0009\") { totalCount edges { node { id } } } }", json!({ "c": channel }))
        .await;
    assert_eq!(listing["channelListings"]["totalCount"], 3);
    let created = app
        .gql(
            "mutation($l: ID!) { productCreateFromListing(listingId: $l) { product { title variants { barcode options { name } } } productLinks { state } userErrors { code message } } }",
            json!({ "l": listing["channelListings"]["edges"][0]["node"]["id"] }),
        )
        .await;
    let payload = &created["productCreateFromListing"];
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(payload["product"]["variants"].as_array().map(Vec::len), Some(3));
    assert_eq!(payload["product"]["variants"][0]["barcode"], "SKU-0009-1", "the matching field becomes the barcode");
    assert_eq!(payload["productLinks"], json!([{ "state": "LINKED" }, { "state": "LINKED" }, { "state": "LINKED" }]));

    // Manual link of a listing to a chosen variant, then compare them field by field.
    let other = app
        .gql(
            "query($c: ID!) { channelListings(channelId: $c, search: \"SKU-0011-1\") { edges { node { id } } } }",
            json!({ "c": channel }),
        )
        .await;
    let variant = app
        .gql("query($p: ID!) { product(id: $p) { variants { id } } }", json!({ "p": ids["noBarcode"] }))
        .await["product"]["variants"][0]["id"]
        .clone();
    let set = app
        .gql(
            "mutation($l: ID!, $v: ID!) { productLinkSet(listingId: $l, variantId: $v) { productLink { id state variant { sku } listing { sellerSku } } userErrors { code } } }",
            json!({ "l": other["channelListings"]["edges"][0]["node"]["id"], "v": variant }),
        )
        .await;
    let link = &set["productLinkSet"]["productLink"];
    assert_eq!(
        (link["state"].as_str(), link["variant"]["sku"].as_str(), link["listing"]["sellerSku"].as_str()),
        (Some("LINKED"), Some("H2"), Some("SKU-0011-1"))
    );
    let compare = app
        .gql(
            "query($l: ID!) { productLinkCompare(linkId: $l) { field hub channel differs } }",
            json!({ "l": link["id"] }),
        )
        .await;
    let rows = compare["productLinkCompare"].as_array().expect("rows");
    let row = |f: &str| rows.iter().find(|r| r["field"] == f).cloned().expect("field");
    assert_eq!(row("title")["hub"], "No barcode");
    assert_eq!(row("title")["differs"], true);
    assert_eq!(row("matchKey"), json!({ "field": "matchKey", "hub": null, "channel": "SKU-0011-1", "differs": true }));
}

on_both_backends!(link_errors_and_views, every_link_error_arises_from_the_right_data_and_the_views_show_the_right_rows);
on_both_backends!(relink_unlink_delete, relink_after_a_fix_unlink_versus_delete_and_a_deleted_variant);
on_both_backends!(manual_link_and_compare, manual_link_create_from_listing_compare_and_preview);

/// A link run queued by a process that dies before running it finishes once a worker starts, exactly once.
async fn a_link_run_of_a_dead_process_finishes_after_restart_without_duplicates(backend: crate::helpers::Backend) {
    let Some(api_only) = crate::helpers::spawn_app_with(backend, Options { run_workers: false }).await else { return };
    let sim = start_sim(ChannelKind::Lazada, 20);
    let channel = connect_lazada(&api_only, &sim).await;
    build_catalog(&api_only).await;
    let started = api_only
        .gql(
            "mutation($c: ID!) { productLinksCreate(input: { channelId: $c, filter: {} }) { syncRun { id } } }",
            json!({ "c": channel }),
        )
        .await;
    let run_id = started["productLinksCreate"]["syncRun"]["id"].as_str().expect("run").to_owned();
    let restarted = api_only.sibling(Options { run_workers: true }).await;
    let run = restarted.wait_for_run(&run_id).await;
    assert_eq!(
        (run["status"].as_str(), run["attempts"].as_i64(), run["succeeded"].as_i64()),
        (Some("COMPLETED"), Some(1), Some(2)),
        "{run}"
    );
    assert_eq!(
        view(&restarted, &channel, "ALL").await.len(),
        9,
        "one row per listing link or variant error, no duplicates"
    );
    api_only.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_run_survives_a_restart_on_sqlite() {
    a_link_run_of_a_dead_process_finishes_after_restart_without_duplicates(crate::helpers::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_run_survives_a_restart_on_postgres_and_redis() {
    a_link_run_of_a_dead_process_finishes_after_restart_without_duplicates(crate::helpers::Backend::PostgresRedis)
        .await;
}

/// The web store's "create missing" (SPEC §2 [Sapo]): hub products the store lacks are created there hidden;
/// store products the hub lacks are created in the hub with cost price = retail price; everything ends linked.
async fn web_store_linking_creates_what_is_missing_on_both_sides(app: &TestApp) {
    let sim = start_sim(ChannelKind::Webstore, 3);
    let c = &sim.state.credentials;
    let connected = app
        .gql(
            "mutation($input: ChannelConnectInput!) { channelConnect(input: $input) { channel { id settings { matchKey } } userErrors { field code message } } }",
            json!({ "input": { "kind": "WEBSTORE", "name": "Web", "country": "VN", "baseUrl": sim.base_url,
                "credentials": { "apiKey": c.api_key, "appSecret": c.app_secret, "webhookSecret": c.webhook_secret } } }),
        )
        .await;
    assert_eq!(connected["channelConnect"]["userErrors"], json!([]), "{connected}");
    assert_eq!(connected["channelConnect"]["channel"]["settings"]["matchKey"], "SKU");
    let channel = connected["channelConnect"]["channel"]["id"].clone();
    app.create_product("Hub only", json!([{ "sku": "HUB-ONLY-1", "price": "120000" }])).await;
    app.create_product("On both", json!([{ "sku": "SKU-0001-1", "price": "90000" }])).await;

    let run = link_all(app, &channel).await;
    assert_eq!(run["status"], "COMPLETED", "{run}");
    {
        let store = sim.state.store();
        let created = store
            .products
            .iter()
            .find(|p| p.skus.iter().any(|s| s.seller_sku == "HUB-ONLY-1"))
            .expect("created on the store");
        assert!(created.hidden, "created hidden");
        assert_eq!(created.skus[0].price, 120_000);
    }
    let synced = view(app, &channel, "SYNCED").await;
    let mut skus: Vec<&str> = synced.iter().map(|l| l["listing"]["sellerSku"].as_str().unwrap_or("")).collect();
    skus.sort_unstable();
    assert_eq!(
        skus,
        ["HUB-ONLY-1", "SKU-0001-1", "SKU-0002-1", "SKU-0002-2", "SKU-0003-1", "SKU-0003-2", "SKU-0003-3"]
    );
    assert!(view(app, &channel, "LINK_ERROR").await.is_empty());
    let imported = app
        .gql("{ productVariants(filter: { search: \"SKU-0003\" }) { edges { node { sku price { amount } costPrice { amount } } } } }", json!({}))
        .await;
    for edge in imported["productVariants"]["edges"].as_array().expect("edges") {
        assert_eq!(edge["node"]["costPrice"], edge["node"]["price"], "cost price = store retail price: {edge}");
    }
}
on_both_backends!(webstore_create_missing, web_store_linking_creates_what_is_missing_on_both_sides);

async fn bad_link_requests_get_user_errors(app: &TestApp) {
    let sim = start_sim(ChannelKind::Lazada, 2);
    let channel = connect_lazada(app, &sim).await;
    let product =
        app.create_product("P", json!([{ "sku": "P1", "barcode": "SKU-0001-1", "price": "1000" }])).await["id"].clone();
    let missing = omnisync::graphql::relay::global_id("Product", 999_999);
    let create = "mutation($input: ProductLinksCreateInput!) { productLinksCreate(input: $input) { syncRun { id } userErrors { field code } } }";
    let cases = [
        (
            json!({ "channelId": channel, "productIds": [product, missing] }),
            json!([{ "field": ["input", "productIds", "1"], "code": "NOT_FOUND" }]),
        ),
        (
            json!({ "channelId": omnisync::graphql::relay::global_id("Channel", 999), "productIds": [product] }),
            json!([{ "field": ["input", "channelId"], "code": "NOT_FOUND" }]),
        ),
        (json!({ "channelId": channel }), json!([{ "field": ["input", "productIds"], "code": "BLANK" }])),
        (
            json!({ "channelId": "garbage", "filter": {} }),
            json!([{ "field": ["input", "channelId"], "code": "INVALID_ID" }]),
        ),
    ];
    for (input, expected) in cases {
        let data = app.gql(create, json!({ "input": input })).await;
        assert_eq!(data["productLinksCreate"]["userErrors"], expected, "{input}");
        assert_eq!(data["productLinksCreate"]["syncRun"], json!(null));
    }
    let relink = app
        .gql(
            "mutation($c: ID!, $l: [ID!]) { productLinksRelink(input: { channelId: $c, linkIds: $l }) { syncRun { id } userErrors { field code message } } }",
            json!({ "c": channel, "l": [omnisync::graphql::relay::global_id("ProductLink", 424_242)] }),
        )
        .await;
    assert_eq!(relink["productLinksRelink"]["userErrors"][0]["field"], json!(["input", "linkIds", "0"]));
    assert_eq!(relink["productLinksRelink"]["userErrors"][0]["code"], "NOT_FOUND");

    app.gql(
        "mutation($c: ID!) { channelDisconnect(id: $c, confirm: true) { userErrors { code } } }",
        json!({ "c": channel }),
    )
    .await;
    let data = app.gql(create, json!({ "input": { "channelId": channel, "productIds": [product] } })).await;
    assert_eq!(
        data["productLinksCreate"]["userErrors"],
        json!([{ "field": ["input", "channelId"], "code": "INVALID_STATE" }]),
        "a disconnected channel"
    );
    assert_eq!(
        app.gql("{ syncRuns { totalCount } }", json!({})).await["syncRuns"]["totalCount"],
        0,
        "no run was started"
    );
}
on_both_backends!(link_bad_input, bad_link_requests_get_user_errors);
