//! Issue 21, item 1: bundles, combos and multi-packs. A bundle's quantity is what its components make, pushed like
//! any variant's and again whenever a component moves; its orders move its components, with ledger entries naming
//! it; the explanation names the limiting component; bad compositions are refused by field, nothing changed. A
//! property test drives random orders, cancellations and stock changes through the API and the simulator. On both
//! backends.

use std::collections::HashMap;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use omnisync::channels::ChannelKind;

use crate::helpers::TestApp;
use crate::on_both_backends_driven;
use crate::orders::{Shop, connect, linked_variant, raw, settle, stock};
use crate::stock_warnings::{on_sim, push};

const SHIRT: &str = "SKU-0001-1";
const BOTTLE: &str = "SKU-0002-1";
const COMBO: &str = "SKU-0003-1";

/// `productVariantBundleSet`: (the components after it as (sku, quantity), userErrors as (field, code)).
async fn set_bundle(app: &TestApp, bundle: &Value, components: Value) -> (Vec<(String, i64)>, Vec<(String, String)>) {
    let data = app
        .gql(
            "mutation($v: ID!, $c: [BundleComponentInput!]!) { productVariantBundleSet(variantId: $v, components: $c) {
                productVariant { bundleComponents { variant { sku } quantity } } userErrors { field code message } } }",
            json!({ "v": bundle, "c": components }),
        )
        .await;
    let payload = &data["productVariantBundleSet"];
    let parts = payload["productVariant"]["bundleComponents"]
        .as_array()
        .map(|parts| {
            parts
                .iter()
                .map(|p| (p["variant"]["sku"].as_str().expect("sku").to_owned(), p["quantity"].as_i64().expect("qty")))
                .collect()
        })
        .unwrap_or_default();
    let errors = payload["userErrors"]
        .as_array()
        .unwrap_or_else(|| panic!("a payload: {data}"))
        .iter()
        .map(|e| {
            let field = e["field"].as_array().map(|f| f.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("."));
            (field.unwrap_or_default(), e["code"].as_str().expect("code").to_owned())
        })
        .collect();
    (parts, errors)
}

async fn components_of(app: &TestApp, variant: &Value) -> Vec<(String, i64)> {
    let data = app
        .gql(
            "query($v: ID!) { productVariant(id: $v) { bundleComponents { variant { sku } quantity } } }",
            json!({ "v": variant }),
        )
        .await;
    data["productVariant"]["bundleComponents"]
        .as_array()
        .expect("components")
        .iter()
        .map(|p| (p["variant"]["sku"].as_str().expect("sku").to_owned(), p["quantity"].as_i64().expect("qty")))
        .collect()
}

/// A shop of `kind` reading the default warehouse's available units (reservations count), with a shirt, a bottle
/// (on hand as given) and a combo variant (no stock) linked to its listings.
async fn shop_of_kind_with_combo(
    app: &TestApp,
    kind: ChannelKind,
    shirt: i64,
    bottle: i64,
) -> (Shop, Value, Value, Value) {
    let wh = app.default_warehouse_id().await;
    let shop = connect(app, kind, json!({ "stockWarehouseIds": [wh] })).await;
    let shirt = linked_variant(app, &shop, SHIRT, shirt).await;
    let bottle = linked_variant(app, &shop, BOTTLE, bottle).await;
    let combo = linked_variant(app, &shop, COMBO, 0).await;
    (shop, shirt, bottle, combo)
}

/// A Lazada shop with the shirt, the bottle and the combo (`shop_of_kind_with_combo`).
async fn shop_with_combo(app: &TestApp, shirt: i64, bottle: i64) -> (Shop, Value, Value, Value) {
    shop_of_kind_with_combo(app, ChannelKind::Lazada, shirt, bottle).await
}

async fn adjust(app: &TestApp, variant: &Value, delta: i64) -> Value {
    let wh = app.default_warehouse_id().await;
    let data = app
        .gql(
            "mutation($v: ID!, $w: ID!, $d: Int!) { inventoryAdjustQuantities(input: { reason: RECEIVED,
                changes: [{ variantId: $v, warehouseId: $w, delta: $d }] }) { userErrors { field code message } } }",
            json!({ "v": variant, "w": wh, "d": delta }),
        )
        .await;
    data["inventoryAdjustQuantities"]["userErrors"].clone()
}

async fn a_bundle_is_pushed_what_its_components_make(app: &TestApp) {
    let (shop, shirt, bottle, combo) = shop_with_combo(app, 10, 5).await;
    let (parts, errors) =
        set_bundle(app, &combo, json!([{ "variantId": bottle, "quantity": 2 }, { "variantId": shirt, "quantity": 1 }]))
            .await;
    assert_eq!(errors, vec![]);
    assert_eq!(parts, vec![(SHIRT.to_owned(), 1), (BOTTLE.to_owned(), 2)], "in component order");
    assert_eq!(components_of(app, &shirt).await, vec![], "a component is an ordinary variant");

    // 10 shirts and 5 bottles make min(10 ÷ 1, 5 ÷ 2) = 2 combos.
    push(app, &shop.channel).await;
    assert_eq!((on_sim(&shop.sim, COMBO).0, on_sim(&shop.sim, SHIRT).0, on_sim(&shop.sim, BOTTLE).0), (2, 10, 5));
    let explained = app
        .gql(
            "query($v: ID!, $c: ID!) { stockExplanation(variantId: $v, channelId: $c) { quantity available summary
                bundleComponents { variant { sku } quantity available bundles limiting } } }",
            json!({ "v": combo, "c": shop.channel }),
        )
        .await;
    let explanation = &explained["stockExplanation"];
    assert_eq!((explanation["quantity"].clone(), explanation["available"].clone()), (json!(2), json!(2)));
    assert_eq!(
        explanation["bundleComponents"],
        json!([
            { "variant": { "sku": SHIRT }, "quantity": 1, "available": 10, "bundles": 10, "limiting": false },
            { "variant": { "sku": BOTTLE }, "quantity": 2, "available": 5, "bundles": 2, "limiting": true },
        ])
    );
    let summary = explanation["summary"].as_str().expect("summary");
    assert!(summary.contains("SKU-0002-1 limits it (5 available ÷ 2 per bundle = 2)"), "{summary}");

    // A component's movement moves the combo: 5 more bottles make 5 combos.
    assert_eq!(adjust(app, &bottle, 5).await, json!([]));
    push(app, &shop.channel).await;
    assert_eq!(on_sim(&shop.sim, COMBO).0, 5);

    // An order of 2 combos reserves 2 shirts and 4 bottles, each ledger entry naming the combo.
    let order = shop.sim.state.create_order(&[(COMBO.to_owned(), 2)], None).await.expect("order");
    settle(app, &shop).await;
    assert_eq!((stock(app, &shirt).await, stock(app, &bottle).await), ((10, 2), (10, 4)));
    let ledger = app
        .gql(
            "query($v: ID!) { inventoryLedger(filter: { variantId: $v }, reverse: true, first: 1) { edges { node {
                reason committedDelta bundle { sku } reference { __typename } } } } }",
            json!({ "v": bottle }),
        )
        .await;
    assert_eq!(
        ledger["inventoryLedger"]["edges"][0]["node"],
        json!({ "reason": "ORDER_RESERVED", "committedDelta": 4, "bundle": { "sku": COMBO }, "reference": { "__typename": "Order" } })
    );
    push(app, &shop.channel).await;
    // 8 shirts and 6 bottles available: 3 combos; the components show their own units.
    assert_eq!((on_sim(&shop.sim, COMBO).0, on_sim(&shop.sim, SHIRT).0, on_sim(&shop.sim, BOTTLE).0), (3, 8, 6));

    // Cancelled: the components' reservations are released, and the combo shows 5 again.
    shop.sim.state.set_order_status(order.id, "canceled").await.expect("cancelled");
    settle(app, &shop).await;
    assert_eq!((stock(app, &shirt).await, stock(app, &bottle).await), ((10, 0), (10, 0)));
    push(app, &shop.channel).await;
    assert_eq!(on_sim(&shop.sim, COMBO).0, 5);

    // A bundle's stock is its components': adjusting it is refused, and a component can't be deleted under it.
    let refused = adjust(app, &combo, 3).await;
    assert_eq!(refused[0]["code"], "BUNDLE_STOCK_DERIVED", "{refused}");
    let product = app.gql("query($v: ID!) { productVariant(id: $v) { product { id } } }", json!({ "v": shirt })).await;
    let deleted = app
        .gql(
            "mutation($id: ID!) { productDelete(id: $id) { deletedId userErrors { field code message } } }",
            json!({ "id": product["productVariant"]["product"]["id"] }),
        )
        .await;
    assert_eq!(deleted["productDelete"]["userErrors"][0]["code"], "INVALID_STATE", "{deleted}");
    assert!(deleted["productDelete"]["userErrors"][0]["message"].as_str().unwrap_or("").contains(COMBO), "{deleted}");

    // An empty composition makes it an ordinary variant again; its links are pushed its own (zero) stock.
    let (parts, errors) = set_bundle(app, &combo, json!([])).await;
    assert_eq!((parts, errors), (vec![], vec![]));
    push(app, &shop.channel).await;
    assert_eq!(on_sim(&shop.sim, COMBO).0, 0);
}
on_both_backends_driven!(bundles_pushed, a_bundle_is_pushed_what_its_components_make);

async fn bad_compositions_are_refused_and_change_nothing(app: &TestApp) {
    let (_shop, shirt, bottle, combo) = shop_with_combo(app, 4, 0).await;
    let product = app.create_product("Lốc 6 chai", json!([{ "sku": "LOC-6", "price": "60000" }])).await;
    let six_pack = product["variants"][0]["id"].clone();
    assert_eq!(set_bundle(app, &six_pack, json!([{ "variantId": bottle, "quantity": 6 }])).await.1, vec![]);
    let code = |field: &str, code: &str| vec![(field.to_owned(), code.to_owned())];

    // Itself, directly or through another bundle.
    assert_eq!(
        set_bundle(app, &combo, json!([{ "variantId": combo, "quantity": 1 }])).await.1,
        code("components.0.variantId", "BUNDLE_CYCLE")
    );
    let (_, errors) = set_bundle(app, &bottle, json!([{ "variantId": six_pack, "quantity": 1 }])).await;
    assert!(errors.contains(&("components.0.variantId".to_owned(), "BUNDLE_CYCLE".to_owned())), "{errors:?}");
    assert!(errors.contains(&("variantId".to_owned(), "BUNDLE_NESTED".to_owned())), "{errors:?}");
    // A bundle as a component.
    assert_eq!(
        set_bundle(app, &combo, json!([{ "variantId": six_pack, "quantity": 1 }])).await.1,
        code("components.0.variantId", "BUNDLE_NESTED")
    );
    // Quantities, duplicates, unknown and malformed ids.
    assert_eq!(
        set_bundle(
            app,
            &combo,
            json!([{ "variantId": bottle, "quantity": 0 }, { "variantId": shirt, "quantity": -2 }])
        )
        .await
        .1,
        vec![
            ("components.0.quantity".to_owned(), "INVALID".to_owned()),
            ("components.1.quantity".to_owned(), "INVALID".to_owned())
        ]
    );
    assert_eq!(
        set_bundle(
            app,
            &combo,
            json!([{ "variantId": bottle, "quantity": 1 }, { "variantId": bottle, "quantity": 2 }])
        )
        .await
        .1,
        code("components.1.variantId", "DUPLICATE_ENTRY")
    );
    let missing = omnisync::graphql::relay::global_id("ProductVariant", 999_999);
    assert_eq!(
        set_bundle(app, &combo, json!([{ "variantId": missing.as_str(), "quantity": 1 }])).await.1,
        code("components.0.variantId", "NOT_FOUND")
    );
    assert_eq!(
        set_bundle(app, &combo, json!([{ "variantId": "nope", "quantity": 1 }])).await.1,
        code("components.0.variantId", "INVALID_ID")
    );
    // A variant with stock of its own: set it to 0 first.
    assert_eq!(
        set_bundle(app, &shirt, json!([{ "variantId": bottle, "quantity": 1 }])).await.1,
        code("variantId", "INVALID_STATE")
    );
    // Nothing changed.
    assert_eq!(components_of(app, &combo).await, vec![]);
    assert_eq!(components_of(app, &shirt).await, vec![]);
    assert_eq!(components_of(app, &bottle).await, vec![]);
    assert_eq!(components_of(app, &six_pack).await, vec![(BOTTLE.to_owned(), 6)]);
    assert_eq!(stock(app, &shirt).await, (4, 0));
}
on_both_backends_driven!(bundles_refused, bad_compositions_are_refused_and_change_nothing);

/// One step of the property test.
#[derive(Debug, Clone)]
enum Step {
    /// A buyer orders `quantity` of the shirt (0), the bottle (1) or the combo (2) on the marketplace.
    Sell { sku: usize, quantity: i64 },
    /// The `nth` order placed so far (modulo their number) is cancelled on the marketplace.
    Cancel { nth: usize },
    /// The merchant adjusts the shirt (0) or the bottle (1) by `delta` (refused below zero: nothing changes).
    Adjust { component: usize, delta: i64 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0usize..3, 1i64..=3).prop_map(|(sku, quantity)| Step::Sell { sku, quantity }),
        1 => (0usize..100).prop_map(|nth| Step::Cancel { nth }),
        2 => (0usize..2, -4i64..=6).prop_map(|(component, delta)| Step::Adjust { component, delta }),
    ]
}

/// Every level's ledger sums to it, and the combo holds no stock of its own.
async fn ledger_sums_to_levels(app: &TestApp, variants: &[&Value], combo: &Value) {
    let ids: Vec<i64> = variants.iter().map(|v| raw("ProductVariant", v)).collect();
    let mut sums: HashMap<(i64, i64), (i64, i64, i64)> = HashMap::new();
    for row in entity::inventory_ledger::Entity::find()
        .filter(entity::inventory_ledger::Column::VariantId.is_in(ids.clone()))
        .all(&app.ctx.db)
        .await
        .expect("ledger")
    {
        let sum = sums.entry((row.variant_id, row.warehouse_id)).or_default();
        *sum = (sum.0 + row.on_hand_delta, sum.1 + row.committed_delta, sum.2 + row.pending_export_delta);
    }
    for level in entity::inventory_level::Entity::find()
        .filter(entity::inventory_level::Column::VariantId.is_in(ids))
        .all(&app.ctx.db)
        .await
        .expect("levels")
    {
        let sum = sums.remove(&(level.variant_id, level.warehouse_id)).unwrap_or_default();
        assert_eq!(sum, (level.on_hand, level.committed, level.pending_export), "the ledger of {level:?}");
        if level.variant_id == raw("ProductVariant", combo) {
            assert_eq!((level.on_hand, level.committed, level.pending_export), (0, 0, 0), "a bundle holds no stock");
        }
    }
    assert!(sums.values().all(|s| *s == (0, 0, 0)), "ledger rows without a level: {sums:?}");
}

async fn a_bundle_is_never_pushed_above_what_its_components_allow(app: &TestApp) {
    let (shop, shirt, bottle, combo) = shop_with_combo(app, 6, 13).await;
    let (_, errors) =
        set_bundle(app, &combo, json!([{ "variantId": shirt, "quantity": 1 }, { "variantId": bottle, "quantity": 3 }]))
            .await;
    assert_eq!(errors, vec![]);
    push(app, &shop.channel).await;
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let steps = proptest::collection::vec(step(), 24).new_tree(&mut runner).expect("steps").current();
    let skus = [SHIRT, BOTTLE, COMBO];
    let components = [&shirt, &bottle];
    let mut orders = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Sell { sku, quantity } => {
                // The marketplace refuses an order beyond its listing's quantity: nothing happens then.
                if let Ok(order) = shop.sim.state.create_order(&[(skus[*sku].to_owned(), *quantity)], None).await {
                    orders.push(order.id);
                }
            }
            Step::Cancel { nth } if !orders.is_empty() => {
                let id = orders.remove(nth % orders.len());
                shop.sim.state.set_order_status(id, "canceled").await.expect("cancelled");
            }
            Step::Cancel { .. } => {}
            Step::Adjust { component, delta } if *delta != 0 => {
                adjust(app, components[*component], *delta).await;
            }
            Step::Adjust { .. } => {}
        }
        settle(app, &shop).await;
        push(app, &shop.channel).await;
        ledger_sums_to_levels(app, &[&shirt, &bottle, &combo], &combo).await;
        // What the components allow now: the fewest combos either makes from its available units.
        let (shirt_level, bottle_level) = (stock_of(app, &shirt).await, stock_of(app, &bottle).await);
        let allowed = shirt_level.min(bottle_level.div_euclid(3)).max(0);
        let shown = on_sim(&shop.sim, COMBO).0;
        assert!(shown <= allowed, "step {i} {step:?}: the combo shows {shown}, its components allow {allowed}");
        assert_eq!(shown, allowed, "step {i} {step:?}: once pushed, the combo shows what its components make");
        assert_eq!(on_sim(&shop.sim, SHIRT).0, shirt_level.max(0), "step {i} {step:?}: the shirt's own units");
    }
    assert!(steps.iter().any(|s| matches!(s, Step::Sell { sku: 2, .. })), "the sequence sells combos: {steps:?}");
}
on_both_backends_driven!(bundles_property, a_bundle_is_never_pushed_above_what_its_components_allow);

/// On hand − committed − pending export of the variant in the default warehouse.
async fn stock_of(app: &TestApp, variant: &Value) -> i64 {
    let level = entity::inventory_level::Entity::find()
        .filter(entity::inventory_level::Column::VariantId.eq(raw("ProductVariant", variant)))
        .one(&app.ctx.db)
        .await
        .expect("level")
        .expect("a level");
    level.on_hand - level.committed - level.pending_export
}

/// Shopee's virtual SKUs and TikTok's combos are bundles the marketplace computes: their stock is refused by API.
/// Linked to a hub bundle, the listing is no longer pushed a quantity once refused, says why, and its explanation
/// still shows what the hub's components make; its price and the components' quantities are pushed as before.
async fn a_marketplace_bundle_sku_is_left_to_the_marketplace(app: &TestApp) {
    for kind in [ChannelKind::Shopee, ChannelKind::Tiktok] {
        let (shop, shirt, bottle, combo) = shop_of_kind_with_combo(app, kind, 10, 5).await;
        let (_, errors) = set_bundle(
            app,
            &combo,
            json!([{ "variantId": shirt, "quantity": 1 }, { "variantId": bottle, "quantity": 2 }]),
        )
        .await;
        assert_eq!(errors, vec![]);
        assert!(shop.sim.state.store().make_computed_bundle(COMBO), "{kind:?}: the combo listing");
        let shown = on_sim(&shop.sim, COMBO).0;
        push(app, &shop.channel).await;
        push(app, &shop.channel).await;
        assert_eq!(on_sim(&shop.sim, COMBO).0, shown, "{kind:?}: the marketplace keeps computing it");
        assert_eq!((on_sim(&shop.sim, SHIRT).0, on_sim(&shop.sim, BOTTLE).0), (10, 5), "{kind:?}");

        let explained = app
            .gql(
                "query($v: ID!, $c: ID!) { stockExplanation(variantId: $v, channelId: $c) { quantity rule summary
                    bundleComponents { variant { sku } limiting } pushPending } }",
                json!({ "v": combo, "c": shop.channel }),
            )
            .await;
        let explanation = &explained["stockExplanation"];
        assert_eq!(
            (explanation["quantity"].clone(), explanation["rule"].clone()),
            (json!(null), json!("COMPUTED_BY_CHANNEL"))
        );
        assert_eq!(explanation["pushPending"], false, "{kind:?}: nothing left to push: {explanation}");
        assert!(explanation["summary"].as_str().unwrap_or("").contains("computes"), "{explanation}");
        assert_eq!(explanation["bundleComponents"][1], json!({ "variant": { "sku": BOTTLE }, "limiting": true }));

        let warnings = app
            .gql(
                "query($f: SyncErrorFilterInput) { syncErrors(filter: $f, first: 10) { edges { node { code message } } } }",
                json!({ "f": { "channelId": shop.channel } }),
            )
            .await;
        let open: Vec<(String, String)> = warnings["syncErrors"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| {
                (
                    e["node"]["code"].as_str().unwrap_or("").to_owned(),
                    e["node"]["message"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        assert_eq!(open.len(), 1, "{kind:?}: one warning, no push failure: {open:?}");
        assert_eq!(open[0].0, "STOCK_COMPUTED_BY_CHANNEL");
        let name = omnisync::channels::marketplace(kind).name;
        assert!(open[0].1.contains(name) && open[0].1.contains("not pushed"), "{open:?}");
    }
}
on_both_backends_driven!(bundles_of_the_marketplace, a_marketplace_bundle_sku_is_left_to_the_marketplace);
