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
