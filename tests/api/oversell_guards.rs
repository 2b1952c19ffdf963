//! Issue 18: what keeps a channel from selling what is gone besides the stale-push guard (`stock_push.rs`) —
//! safety stock held back per channel (units or percent) and per variant, explained and refused when out of
//! range; and sell-outs first: a change that leaves a channel at 0 is collected before every other due link and
//! sent first in its round, then lowerings by relative drop, then prices, then raises.

use serde_json::{Value, json};

use omnisync::channels::ChannelKind;
use omnisync::graphql::relay::global_id;
use omnisync::services::channels;
use omnisync::services::stock_push as service;

use crate::helpers::TestApp;
use crate::on_both_backends_driven;
use crate::stock_push::{adjust, link_of, linked, round, sim_quantity};

async fn update_settings(app: &TestApp, channel_id: i64, settings: Value) -> Value {
    let data = app
        .gql(
            "mutation($id: ID!, $s: ChannelSettingsInput!) { channelUpdate(id: $id, input: { settings: $s }) { channel { settings { safetyStockUnits safetyStockPercent } } userErrors { field code message } } }",
            json!({ "id": global_id("Channel", channel_id), "s": settings }),
        )
        .await;
    data["channelUpdate"].clone()
}

async fn explanation(app: &TestApp, variant_id: i64, channel_id: i64) -> Value {
    app.gql(
        "query($v: ID!, $c: ID!) { stockExplanation(variantId: $v, channelId: $c) { quantity available safetyStock safetyStockSource summary } }",
        json!({ "v": global_id("ProductVariant", variant_id), "c": global_id("Channel", channel_id) }),
    )
    .await["stockExplanation"]
        .clone()
}

/// A channel's safety stock (the larger of its units and its percent of the real quantity, rounded up) is held
/// back from what it is pushed; a variant's own `safetyStockUnits` overrides it, and null gives it back; each is
/// in `stockExplanation`. Out-of-range values are refused by field and change nothing.
async fn safety_stock_is_held_back_per_channel_and_per_variant(app: &TestApp) {
    let (sim, channel, variants) = linked(app, ChannelKind::Lazada, 2).await;
    adjust(app, &[(variants[0], 40), (variants[1], 4)]).await;
    round(app, channel.id).await;
    assert_eq!((sim_quantity(&sim, 0), sim_quantity(&sim, 1)), (40, 4));

    let set = update_settings(app, channel.id, json!({ "safetyStockUnits": 5 })).await;
    assert_eq!(set["userErrors"], json!([]), "{set}");
    assert_eq!(set["channel"]["settings"], json!({ "safetyStockUnits": 5, "safetyStockPercent": 0 }));
    round(app, channel.id).await;
    assert_eq!((sim_quantity(&sim, 0), sim_quantity(&sim, 1)), (35, 0), "5 held back; never below 0");
    let e = explanation(app, variants[0], channel.id).await;
    assert_eq!(
        (&e["quantity"], &e["available"], &e["safetyStock"], &e["safetyStockSource"]),
        (&json!(35), &json!(40), &json!(5), &json!("CHANNEL")),
        "{e}"
    );
    assert!(e["summary"].as_str().unwrap_or_default().contains("minus a safety stock of 5: 35 is sent"), "{e}");

    // 25% of 40 is 10, more than the 5 units: the larger is held back.
    update_settings(app, channel.id, json!({ "safetyStockPercent": 25 })).await;
    round(app, channel.id).await;
    assert_eq!(sim_quantity(&sim, 0), 30);

    // The variant's own safety stock overrides the channel's, on every channel; null gives the channel's back.
    app.update_variant(&json!(global_id("ProductVariant", variants[0])), json!({ "safetyStockUnits": 0 })).await;
    round(app, channel.id).await;
    assert_eq!(sim_quantity(&sim, 0), 40);
    let e = explanation(app, variants[0], channel.id).await;
    assert_eq!((&e["safetyStock"], &e["safetyStockSource"]), (&json!(0), &json!("VARIANT")), "{e}");
    app.update_variant(&json!(global_id("ProductVariant", variants[0])), json!({ "safetyStockUnits": null })).await;
    round(app, channel.id).await;
    assert_eq!(sim_quantity(&sim, 0), 30, "the channel's 25% again");

    // Out of range: refused by field, nothing changed, nothing pushed.
    let refused = update_settings(app, channel.id, json!({ "safetyStockUnits": -1, "safetyStockPercent": 101 })).await;
    let fields: Vec<&Value> =
        refused["userErrors"].as_array().map(|e| e.iter().map(|e| &e["field"]).collect()).unwrap_or_default();
    assert_eq!(
        fields,
        [&json!(["input", "settings", "safetyStockUnits"]), &json!(["input", "settings", "safetyStockPercent"])],
        "{refused}"
    );
    assert!(refused["userErrors"].as_array().is_some_and(|e| e.iter().all(|e| e["code"] == "INVALID")), "{refused}");
    let stored = channels::get(&app.ctx.db, channel.id).await.expect("read").expect("channel");
    assert_eq!((stored.safety_stock_units, stored.safety_stock_percent), (5, 25));
    let variant = global_id("ProductVariant", variants[0]);
    let bad = app
        .gql(
            "mutation($v: ID!) { productVariantUpdate(id: $v, input: { safetyStockUnits: -2 }) { userErrors { field code } } }",
            json!({ "v": variant }),
        )
        .await;
    assert_eq!(
        bad["productVariantUpdate"]["userErrors"],
        json!([{ "field": ["input", "safetyStockUnits"], "code": "INVALID" }]),
        "{bad}"
    );
    let read = app.gql("query($v: ID!) { productVariant(id: $v) { safetyStockUnits } }", json!({ "v": variant })).await;
    assert_eq!(read["productVariant"]["safetyStockUnits"], Value::Null, "{read}");
    assert_eq!(round(app, channel.id).await.sent, 0, "nothing changed, nothing pushed");
}
on_both_backends_driven!(safety_stock, safety_stock_is_held_back_per_channel_and_per_variant);

/// A change that leaves a channel at 0 is collected before every other due link, even when it was the channel's
/// most recently pushed link (least recently pushed links come first otherwise), on an API that updates one
/// product per call (Shopee: rounds of 50 links, about a second at the hub's 40 calls/s).
async fn a_sell_out_is_collected_before_every_other_due_link(app: &TestApp) {
    let (sim, channel, variants) = linked(app, ChannelKind::Shopee, 120).await;
    let last = *variants.last().expect("variants");
    adjust(app, &variants.iter().map(|v| (*v, 3)).collect::<Vec<_>>()).await;
    while round(app, channel.id).await.links > 0 {}
    // The last SKU is pushed alone once more: it is now the channel's most recently pushed link.
    adjust(app, &[(last, 1)]).await;
    assert_eq!(round(app, channel.id).await.sent, 1);
    adjust(app, &variants.iter().map(|v| (*v, 1)).collect::<Vec<_>>()).await;
    assert!(!link_of(app, channel.id, last).await.push_sells_out);
    adjust(app, &[(last, -5)]).await;
    assert!(link_of(app, channel.id, last).await.push_sells_out, "marked a sell-out");

    let size = service::round_size(ChannelKind::Shopee);
    assert_eq!(size, 50, "about a second of Shopee's calls at the hub's rate");
    let mut collected = service::collect(&app.ctx.db, &channel, size).await.expect("collected");
    assert!(collected.pushes.len() < variants.len(), "a round takes part of what is due: {}", collected.pushes.len());
    let connector = channels::connector_for(&app.ctx, &channel).await.expect("connector");
    let (outcomes, _) = service::send(&*connector, channel.kind, &mut collected.pushes).await;
    assert_eq!(collected.pushes[0].variant_id, last, "the sell-out goes first");
    assert_eq!(collected.pushes[0].update.quantity, Some(0));
    omnisync::jobs::effects::after_commit(
        &app.ctx,
        service::record(&app.ctx.db, &channel, &collected.pushes, &outcomes).await.expect("recorded"),
    );
    assert_eq!(sim_quantity(&sim, variants.len() - 1), 0, "the channel shows 0");
}
on_both_backends_driven!(sell_outs_first, a_sell_out_is_collected_before_every_other_due_link);

/// Within a round: the sell-out, then lowerings by relative drop (50% before 10%), then a price, then a raise.
async fn a_round_sends_by_oversell_risk(app: &TestApp) {
    let (_sim, channel, variants) = linked(app, ChannelKind::Lazada, 5).await;
    adjust(app, &[(variants[0], 10), (variants[1], 100), (variants[2], 10), (variants[3], 10), (variants[4], 10)])
        .await;
    round(app, channel.id).await;
    // raise, 10% drop, 50% drop, price only, sell-out: in the opposite order of urgency.
    adjust(app, &[(variants[0], 5), (variants[1], -10), (variants[2], -5), (variants[4], -10)]).await;
    app.update_variant(&json!(global_id("ProductVariant", variants[3])), json!({ "price": "123000" })).await;
    let mut collected = service::collect(&app.ctx.db, &channel, 500).await.expect("collected");
    let connector = channels::connector_for(&app.ctx, &channel).await.expect("connector");
    let (outcomes, _) = service::send(&*connector, channel.kind, &mut collected.pushes).await;
    assert!(outcomes.iter().all(|o| o.ok), "{outcomes:?}");
    let order: Vec<i64> = collected.pushes.iter().map(|p| p.variant_id).collect();
    assert_eq!(order, [variants[4], variants[2], variants[1], variants[3], variants[0]]);
}
on_both_backends_driven!(push_order, a_round_sends_by_oversell_risk);
