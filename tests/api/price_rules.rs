//! Issue 21, item 2: a channel's price rule — markup or markdown, rounding, and bounds (never below cost, never
//! above the channel's list price where it caps prices) — reaches the marketplace and is explained step by step;
//! a bad rule is refused by field and changes nothing. Through the API against the simulators, on both backends.

use serde_json::{Value, json};

use omnisync::channels::ChannelKind;

use crate::helpers::TestApp;
use crate::on_both_backends_driven;
use crate::orders::{Shop, connect, link_listing};
use crate::stock_warnings::{on_sim, push};

const RULE_FIELDS: &str = "priceRule { adjustPercent adjustAmount roundTo roundUpToEnding }";

/// `channelUpdate` with `settings`: (the channel's settings after it, userErrors).
async fn set_rule(app: &TestApp, shop: &Shop, rule: Value) -> (Value, Value) {
    let data = app
        .gql(
            &format!(
                "mutation($id: ID!, $s: ChannelSettingsInput!) {{ channelUpdate(id: $id, input: {{ settings: $s }}) {{
                    channel {{ settings {{ {RULE_FIELDS} }} }} userErrors {{ field code message }} }} }}"
            ),
            json!({ "id": shop.channel, "s": { "priceRule": rule } }),
        )
        .await;
    (data["channelUpdate"]["channel"]["settings"]["priceRule"].clone(), data["channelUpdate"]["userErrors"].clone())
}

async fn rule_of(app: &TestApp, shop: &Shop) -> Value {
    let data = app
        .gql(
            &format!("query($id: ID!) {{ channel(id: $id) {{ settings {{ {RULE_FIELDS} }} }} }}"),
            json!({ "id": shop.channel }),
        )
        .await;
    data["channel"]["settings"]["priceRule"].clone()
}

/// The explanation's price steps: (kind, amount).
async fn price_steps(app: &TestApp, variant: &Value, shop: &Shop) -> (Value, Vec<(String, String)>) {
    let data = app
        .gql(
            "query($v: ID!, $c: ID!) { stockExplanation(variantId: $v, channelId: $c) {
                price { amount } priceSteps { kind price { amount } } } }",
            json!({ "v": variant, "c": shop.channel }),
        )
        .await;
    let explanation = &data["stockExplanation"];
    let steps = explanation["priceSteps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (s["kind"].as_str().expect("kind").to_owned(), s["price"]["amount"].as_str().expect("amount").to_owned())
        })
        .collect();
    (explanation["price"]["amount"].clone(), steps)
}

fn steps(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(k, a)| ((*k).to_owned(), (*a).to_owned())).collect()
}

/// A hub variant priced `price` with `cost`, linked by hand to the shop's listing `sku`.
async fn priced_variant(app: &TestApp, shop: &Shop, sku: &str, price: i64, cost: i64) -> Value {
    let product = app
        .create_product(
            &format!("Giá {sku}"),
            json!([{ "sku": sku, "barcode": sku, "price": price.to_string(), "costPrice": cost.to_string() }]),
        )
        .await;
    let variant = product["variants"][0]["id"].clone();
    link_listing(app, shop, sku, &variant).await;
    variant
}

async fn a_price_rule_reaches_the_channel_and_is_explained_step_by_step(app: &TestApp) {
    let lazada = connect(app, ChannelKind::Lazada, json!({})).await;
    let sku = "SKU-0002-1";
    let variant = priced_variant(app, &lazada, sku, 139_500, 100_000).await;
    assert_eq!(
        rule_of(app, &lazada).await,
        json!({ "adjustPercent": "0", "adjustAmount": "0", "roundTo": null, "roundUpToEnding": null }),
        "no rule by default"
    );
    push(app, &lazada.channel).await;
    assert_eq!(on_sim(&lazada.sim, sku).1, 139_500, "without a rule the policy's price goes as it is");

    // +10%, to the nearest 1,000: 139,500 → 153,450 → 153,000.
    let (rule, errors) = set_rule(app, &lazada, json!({ "adjustPercent": "10", "roundTo": "1000" })).await;
    assert_eq!(errors, json!([]));
    assert_eq!(rule, json!({ "adjustPercent": "10", "adjustAmount": "0", "roundTo": "1000", "roundUpToEnding": null }));
    push(app, &lazada.channel).await;
    assert_eq!(on_sim(&lazada.sim, sku).1, 153_000, "the rule's price reached the marketplace");
    assert_eq!(
        price_steps(app, &variant, &lazada).await,
        (json!("153000"), steps(&[("BASE", "139500"), ("PERCENT", "153450"), ("ROUNDED", "153000")]))
    );

    // −40% then −5,000, up to a price ending in 9,000: 83,700 → 78,700 → 79,000, below the cost of 100,000.
    let (_, errors) =
        set_rule(app, &lazada, json!({ "adjustPercent": "-40", "adjustAmount": "-5000", "roundUpToEnding": "9000" }))
            .await;
    assert_eq!(errors, json!([]));
    push(app, &lazada.channel).await;
    assert_eq!(on_sim(&lazada.sim, sku).1, 100_000, "never below cost");
    assert_eq!(
        price_steps(app, &variant, &lazada).await,
        (
            json!("100000"),
            steps(&[
                ("BASE", "139500"),
                ("PERCENT", "83700"),
                ("AMOUNT", "78700"),
                ("ROUNDED", "79000"),
                ("COST_FLOOR", "100000")
            ])
        )
    );

    // Tiki caps prices at the listing's list price: a markup stops there instead of being refused.
    let tiki = connect(app, ChannelKind::Tiki, json!({})).await;
    let tiki_sku = "SKU-0003-1";
    let (_, _, list_price) = on_sim(&tiki.sim, tiki_sku);
    let base = list_price - 10_000;
    let capped = priced_variant(app, &tiki, tiki_sku, base, 1_000).await;
    let (_, errors) = set_rule(app, &tiki, json!({ "adjustPercent": "50" })).await;
    assert_eq!(errors, json!([]));
    push(app, &tiki.channel).await;
    assert_eq!(on_sim(&tiki.sim, tiki_sku).1, list_price, "at most Tiki's list price");
    let (price, explained) = price_steps(app, &capped, &tiki).await;
    assert_eq!(price, json!(list_price.to_string()));
    assert_eq!(explained.last().map(|s| s.0.as_str()), Some("LIST_PRICE_CEILING"), "{explained:?}");

    // Cleared: the policy's price again.
    let (rule, errors) = set_rule(app, &lazada, json!({})).await;
    assert_eq!(errors, json!([]));
    assert_eq!(rule["adjustPercent"], "0");
    push(app, &lazada.channel).await;
    assert_eq!(on_sim(&lazada.sim, sku).1, 139_500);
}
on_both_backends_driven!(price_rules_reach_the_channel, a_price_rule_reaches_the_channel_and_is_explained_step_by_step);

async fn a_bad_price_rule_is_refused_by_field_and_changes_nothing(app: &TestApp) {
    let lazada = connect(app, ChannelKind::Lazada, json!({})).await;
    priced_variant(app, &lazada, "SKU-0002-1", 40_000, 10_000).await;
    let (_, errors) = set_rule(app, &lazada, json!({ "adjustPercent": "5", "roundTo": "500" })).await;
    assert_eq!(errors, json!([]));
    let before = rule_of(app, &lazada).await;

    let refused = [
        (json!({ "adjustPercent": "-100" }), "adjustPercent"),
        (json!({ "adjustPercent": "12.345" }), "adjustPercent"),
        (json!({ "roundTo": "0" }), "roundTo"),
        (json!({ "roundUpToEnding": "-9000" }), "roundUpToEnding"),
        (json!({ "roundTo": "1000", "roundUpToEnding": "9000" }), "roundUpToEnding"),
        // Takes the linked variant's 40,000 to 0 or below.
        (json!({ "adjustAmount": "-50000" }), "adjustAmount"),
    ];
    for (rule, field) in refused {
        let (after, errors) = set_rule(app, &lazada, rule.clone()).await;
        assert_eq!(after, json!(null), "{rule}: no channel returned");
        let fields: Vec<Value> = errors.as_array().expect("errors").iter().map(|e| e["field"].clone()).collect();
        assert_eq!(fields, vec![json!(["input", "settings", "priceRule", field])], "{rule}: {errors}");
        assert!(errors[0]["message"].as_str().is_some_and(|m| m.contains(field)), "{errors}");
        assert_eq!(rule_of(app, &lazada).await, before, "{rule}: nothing changed");
    }
}
on_both_backends_driven!(price_rules_refused, a_bad_price_rule_is_refused_by_field_and_changes_nothing);

/// `productVariantUpdate` with `input`: (the variant's sale after it, userErrors as (field, code)).
async fn set_sale(app: &TestApp, variant: &Value, input: Value) -> (Value, Vec<(String, String)>) {
    let data = app
        .gql(
            "mutation($v: ID!, $i: ProductVariantUpdateInput!) { productVariantUpdate(id: $v, input: $i) {
                productVariant { sale { price { amount } startsAt endsAt } } userErrors { field code message } } }",
            json!({ "v": variant, "i": input }),
        )
        .await;
    let payload = &data["productVariantUpdate"];
    let errors = payload["userErrors"]
        .as_array()
        .expect("userErrors")
        .iter()
        .map(|e| {
            let field = e["field"].as_array().map(|f| f.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("."));
            (field.unwrap_or_default(), e["code"].as_str().unwrap_or("").to_owned())
        })
        .collect();
    (payload["productVariant"]["sale"].clone(), errors)
}

/// Lazada's sale price as the simulator holds it: (price, from, to).
fn sale_on_sim(shop: &Shop, sku: &str) -> Option<(i64, chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
    shop.sim.state.store().sku_by_seller_sku(sku).and_then(|(_, s)| s.sale)
}

/// A variant's sale reaches Lazada (SalePrice with its dates, in the shop's local time), through the channel's price
/// rule; removed, the channel's sale is ended; refused when it is not below the price or ends before it starts or
/// before now; a marketplace without scheduled sales gets none.
async fn a_sale_reaches_lazada_and_ends_when_removed(app: &TestApp) {
    let lazada = connect(app, ChannelKind::Lazada, json!({})).await;
    let sku = "SKU-0003-1";
    let variant = priced_variant(app, &lazada, sku, 150_000, 100_000).await;
    let now = chrono::Utc::now();
    let starts = chrono::DateTime::from_timestamp(now.timestamp() - 3600, 0).expect("a time");
    let ends = starts + chrono::Duration::days(3);
    let sale = |price: &str| json!({ "sale": { "price": price, "startsAt": starts.to_rfc3339(), "endsAt": ends.to_rfc3339() } });
    let (stored, errors) = set_sale(app, &variant, sale("129000")).await;
    assert_eq!(errors, vec![]);
    assert_eq!(stored["price"]["amount"], "129000");
    push(app, &lazada.channel).await;
    assert_eq!(sale_on_sim(&lazada, sku), Some((129_000, starts, ends)), "the dates survive the shop's local time");
    assert_eq!(on_sim(&lazada.sim, sku).1, 150_000, "the regular price goes with it");

    // The channel's rule applies to the sale price too: +10% to 1,000.
    let (_, errors) = set_rule(app, &lazada, json!({ "adjustPercent": "10", "roundTo": "1000" })).await;
    assert_eq!(errors, json!([]));
    push(app, &lazada.channel).await;
    assert_eq!(sale_on_sim(&lazada, sku).map(|s| s.0), Some(142_000), "129,000 + 10% = 141,900 → 142,000");
    assert_eq!(on_sim(&lazada.sim, sku).1, 165_000);
    let explained = app
        .gql(
            "query($v: ID!, $c: ID!) { stockExplanation(variantId: $v, channelId: $c) { sale { price { amount } endsAt } } }",
            json!({ "v": variant, "c": lazada.channel }),
        )
        .await;
    assert_eq!(explained["stockExplanation"]["sale"]["price"]["amount"], "142000");

    // Removed: the channel's sale ends now.
    let (stored, errors) = set_sale(app, &variant, json!({ "sale": null })).await;
    assert_eq!((stored, errors), (json!(null), vec![]));
    push(app, &lazada.channel).await;
    let (_, _, until) = sale_on_sim(&lazada, sku).expect("the ended sale");
    assert!(until <= chrono::Utc::now(), "ended: {until}");

    // Refused, nothing changed.
    let refused = |field: &str| vec![(format!("input.sale.{field}"), "INVALID".to_owned())];
    assert_eq!(set_sale(app, &variant, sale("150000")).await.1, refused("price"), "not below the price");
    let backwards =
        json!({ "sale": { "price": "99000", "startsAt": ends.to_rfc3339(), "endsAt": starts.to_rfc3339() } });
    assert_eq!(set_sale(app, &variant, backwards).await.1, refused("endsAt"));
    let over = json!({ "sale": { "price": "99000", "startsAt": (starts - chrono::Duration::days(9)).to_rfc3339(), "endsAt": (starts - chrono::Duration::days(8)).to_rfc3339() } });
    assert_eq!(set_sale(app, &variant, over).await.1, refused("endsAt"), "already ended");
    assert_eq!(set_sale(app, &variant, json!({})).await.0, json!(null));

    // Shopee schedules no sale prices through this API: nothing is pushed there.
    let shopee = connect(app, ChannelKind::Shopee, json!({})).await;
    let on_shopee = priced_variant(app, &shopee, "SKU-0004-1", 150_000, 100_000).await;
    assert_eq!(set_sale(app, &on_shopee, sale("129000")).await.1, vec![]);
    let explained = app
        .gql(
            "query($v: ID!, $c: ID!) { stockExplanation(variantId: $v, channelId: $c) { sale { endsAt } } }",
            json!({ "v": on_shopee, "c": shopee.channel }),
        )
        .await;
    assert_eq!(explained["stockExplanation"]["sale"], json!(null));
}
on_both_backends_driven!(price_rules_sale, a_sale_reaches_lazada_and_ends_when_removed);
