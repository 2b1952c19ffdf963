//! Issue 18: what keeps a channel from selling what is gone besides the stale-push guard (`stock_push.rs`) —
//! safety stock held back per channel (units or percent) and per variant, explained and refused when out of
//! range; sell-outs first: a change that leaves a channel at 0 is collected before every other due link and
//! sent first in its round, then lowerings by relative drop, then prices, then raises; and allocation: an
//! allocating warehouse (or a variant below its low-stock threshold) splits its units between channels.

use entity::product_link;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use omnisync::channels::ChannelKind;
use omnisync::graphql::relay::global_id;
use omnisync::services::channels;
use omnisync::services::stock_push::{self as service, InFlight};

use crate::helpers::TestApp;
use crate::on_both_backends_driven;
use crate::orders::{Shop, connect, link_listing, settle};
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
        "query($v: ID!, $c: ID!) { stockExplanation(variantId: $v, channelId: $c) { quantity available safetyStock safetyStockSource allocatedQuantity rule summary } }",
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
/// product per call (Shopee: rounds of 30 products, 0.75 s at the hub's 40 calls/s; 60 products here).
async fn a_sell_out_is_collected_before_every_other_due_link(app: &TestApp) {
    let (sim, channel, variants) = linked(app, ChannelKind::Shopee, 600).await;
    let last = *variants.last().expect("variants");
    adjust_all(app, &variants, 3).await;
    while round(app, channel.id).await.links > 0 {}
    // The last SKU is pushed alone once more: it is now the channel's most recently pushed link.
    adjust(app, &[(last, 1)]).await;
    assert_eq!(round(app, channel.id).await.sent, 1);
    adjust_all(app, &variants, 1).await;
    assert!(!link_of(app, channel.id, last).await.push_sells_out);
    adjust(app, &[(last, -5)]).await;
    assert!(link_of(app, channel.id, last).await.push_sells_out, "marked a sell-out");

    let size = service::round_size(ChannelKind::Shopee);
    assert_eq!(size, 30, "0.75 s of Shopee's calls at the hub's rate");
    let mut collected = service::collect(&app.ctx.db, &channel, size, &InFlight::default()).await.expect("collected");
    assert!(collected.pushes.len() < variants.len(), "a round takes part of what is due: {}", collected.pushes.len());
    let connector = channels::connector_for(&app.ctx, &channel).await.expect("connector");
    let (outcomes, _) = service::send(&*connector, channel.kind, &mut collected.pushes, None).await;
    assert_eq!(collected.pushes[0].variant_id, last, "the sell-out goes first");
    assert_eq!(collected.pushes[0].update.quantity, Some(0));
    omnisync::jobs::effects::after_commit(
        &app.ctx,
        service::record(&app.ctx.db, &channel, &collected.pushes, &outcomes).await.expect("recorded"),
    );
    assert_eq!(sim_quantity(&sim, variants.len() - 1), 0, "the channel shows 0");
}
on_both_backends_driven!(sell_outs_first, a_sell_out_is_collected_before_every_other_due_link);

/// Where a call updates one product, a round takes products by their last push (their newest SKU's), so a product
/// pushed a moment ago waits behind every product pushed before it — even when the SKU that changed now had not
/// been pushed for long (ordered by that SKU, the product jumped the queue and others waited more than a pass).
async fn a_product_pushed_last_waits_behind_products_pushed_before_it(app: &TestApp) {
    let per_product = omnisync::sim::fixtures::PER_PRODUCT;
    let (_sim, channel, variants) = linked(app, ChannelKind::Shopee, 60 * per_product).await;
    adjust_all(app, &variants, 3).await;
    // Products 0–29 in a first round, 30–59 in a second.
    while round(app, channel.id).await.links > 0 {}
    let first_skus: Vec<i64> = (0..60).map(|p| variants[p * per_product]).collect();
    adjust_all(app, &first_skus, 1).await;
    let again = round(app, channel.id).await;
    assert_eq!((again.sent, again.calls), (30, 30), "products 0–29, pushed before 30–59: {again:?}");
    // Product 0's second SKU was last pushed in the very first round, product 0 itself just now.
    adjust(app, &[(variants[1], 1)]).await;
    let collected = service::collect(&app.ctx.db, &channel, 5, &InFlight::default()).await.expect("collected");
    assert_eq!(
        products_of(&collected, &variants),
        [30, 31, 32, 33, 34],
        "the products waiting since before product 0's last push go first"
    );
}
on_both_backends_driven!(products_by_last_push, a_product_pushed_last_waits_behind_products_pushed_before_it);

/// Where a call updates one product, a round orders the due products the same way whether they are few (only
/// they are grouped, found by id) or more than 500 (the channel's products are all grouped): a sell-out first, then
/// by their newest push, then by their first link.
async fn due_products_are_ordered_alike_beyond_500(app: &TestApp) {
    let per_product = omnisync::sim::fixtures::PER_PRODUCT;
    let (_sim, channel, variants) = linked(app, ChannelKind::Shopee, 502 * per_product).await;
    let skus = |products: &[usize]| -> Vec<i64> {
        products.iter().flat_map(|p| variants[p * per_product..(p + 1) * per_product].iter().copied()).collect()
    };
    let pushed_at = chrono::Utc::now() - chrono::Duration::minutes(10);
    let set = |skus: Vec<i64>, column: product_link::Column, value: Expr| {
        product_link::Entity::update_many()
            .col_expr(column, value)
            .filter(product_link::Column::ChannelId.eq(channel.id))
            .filter(product_link::Column::VariantId.is_in(skus))
            .exec(&app.ctx.db)
    };
    let every: Vec<usize> = (0..502).collect();
    set(skus(&every), product_link::Column::PushPending, Expr::value(true)).await.expect("due");
    set(skus(&every), product_link::Column::LastPushedAt, Expr::value(pushed_at)).await.expect("pushed");
    // A quantity the hub never computes, so every collected link has something to send.
    set(skus(&every), product_link::Column::LastPushedQuantity, Expr::value(1_000_000)).await.expect("shown");
    let later = pushed_at + chrono::Duration::minutes(5);
    set(skus(&[0]), product_link::Column::LastPushedAt, Expr::value(later)).await.expect("pushed again");
    set(vec![variants[300 * per_product]], product_link::Column::PushSellsOut, Expr::value(true)).await.expect("0");

    let expected = [1, 2, 3, 4, 300];
    let all_due = service::collect(&app.ctx.db, &channel, 5, &InFlight::default()).await.expect("collected");
    assert_eq!(products_of(&all_due, &variants), expected, "502 products due: the sell-out, then the oldest pushes");
    let few: Vec<usize> = (40..502).filter(|p| *p != 300).collect();
    set(skus(&few), product_link::Column::PushPending, Expr::value(false)).await.expect("not due");
    let some_due = service::collect(&app.ctx.db, &channel, 5, &InFlight::default()).await.expect("collected");
    assert_eq!(products_of(&some_due, &variants), expected, "41 products due: the same order");
}
on_both_backends_driven!(due_products_beyond_500, due_products_are_ordered_alike_beyond_500);

/// The seeded products (by index, `PER_PRODUCT` variants each) a collect took, in order, each once.
fn products_of(collected: &service::Collected, variants: &[i64]) -> Vec<usize> {
    let per_product = omnisync::sim::fixtures::PER_PRODUCT;
    let mut products: Vec<usize> = collected
        .pushes
        .iter()
        .map(|p| variants.iter().position(|v| *v == p.variant_id).expect("a seeded variant") / per_product)
        .collect();
    products.sort_unstable();
    products.dedup();
    products
}

/// Rounds are pipelined (`Rounds`: a round is recorded while the next one collects and sends), so a collect beside
/// a round in flight leaves that round's links alone — they are still pending, and sent again they would cost
/// calls for values the channel already has — while other due SKUs of its products come along; and rounds run to
/// the end send every due SKU once.
async fn a_round_in_flight_is_left_to_the_round_after(app: &TestApp) {
    let per_product = omnisync::sim::fixtures::PER_PRODUCT;
    let (sim, channel, variants) = linked(app, ChannelKind::Shopee, 60 * per_product).await;
    while round(app, channel.id).await.links > 0 {}
    // Products 0–49 in flight with their first SKU; then every SKU changes.
    let first_skus: Vec<i64> = (0..50).map(|p| variants[p * per_product]).collect();
    adjust_all(app, &first_skus, 3).await;
    let first = service::collect(&app.ctx.db, &channel, 50, &InFlight::default()).await.expect("collected");
    assert_eq!(first.pushes.len(), 50);
    let in_flight = InFlight::of(&first.pushes);
    let was_in_flight = |link: i64| first.pushes.iter().any(|p| p.link_id == link);
    adjust_all(app, &variants, 3).await;
    let again = service::collect(&app.ctx.db, &channel, 60, &InFlight::default()).await.expect("collected");
    assert!(
        first.pushes.iter().all(|p| again.pushes.iter().any(|a| a.link_id == p.link_id)),
        "unrecorded, the links in flight are due again"
    );
    let beside = service::collect(&app.ctx.db, &channel, 60, &in_flight).await.expect("collected");
    assert_eq!(beside.pushes.len(), variants.len() - 50, "every due SKU but those in flight");
    assert!(beside.pushes.iter().all(|p| !was_in_flight(p.link_id)), "none of those in flight");

    // None of those collects was recorded: every SKU is still due, and rounds run to the end send each once.
    let connector = channels::connector_for(&app.ctx, &channel).await.expect("connector");
    let mut rounds = service::Rounds::new(&app.ctx.db, &channel, &*connector);
    let mut sent = 0;
    while let Some(report) = rounds.next().await.expect("a round") {
        sent += omnisync::jobs::effects::after_commit(&app.ctx, report).sent;
    }
    assert_eq!(sent, variants.len(), "every due SKU sent once");
    let expected = |i: usize| if i.is_multiple_of(per_product) && i < 50 * per_product { 6 } else { 3 };
    let wrong: Vec<(usize, i64)> =
        (0..variants.len()).map(|i| (i, sim_quantity(&sim, i))).filter(|(i, q)| *q != expected(*i)).collect();
    assert_eq!(wrong, [], "the channel shows the hub's numbers");
    assert_eq!(rounds.next().await.expect("a round").map(|r| omnisync::jobs::effects::after_commit(&app.ctx, r)), None);
}
on_both_backends_driven!(rounds_in_flight, a_round_in_flight_is_left_to_the_round_after);

/// Where a call updates one product, a product of the round in flight comes after every other due product: its
/// push is not recorded yet, and by its last recorded push it looked the longest waiting, so a SKU of it that
/// changed meanwhile took a call at once while others had waited a whole pass. With room in the round it comes
/// along.
async fn a_product_in_flight_waits_behind_every_other_due_product(app: &TestApp) {
    let per_product = omnisync::sim::fixtures::PER_PRODUCT;
    let (_sim, channel, variants) = linked(app, ChannelKind::Shopee, 60 * per_product).await;
    adjust_all(app, &variants, 3).await;
    // Products 0–29 pushed in a first round, 30–59 in a second.
    while round(app, channel.id).await.links > 0 {}
    let sku = |product: usize, n: usize| variants[product * per_product + n];
    // Products 0–9 in flight with their first SKU.
    adjust_all(app, &(0..10).map(|p| sku(p, 0)).collect::<Vec<_>>(), 1).await;
    let first = service::collect(&app.ctx.db, &channel, 10, &InFlight::default()).await.expect("collected");
    assert_eq!(first.pushes.len(), 10);
    let in_flight = InFlight::of(&first.pushes);
    // Meanwhile their second SKU changes, and so does a SKU of products 30–39 (pushed after products 0–9).
    let changed: Vec<i64> = (0..10).map(|p| sku(p, 1)).chain((30..40).map(|p| sku(p, 0))).collect();
    adjust_all(app, &changed, 1).await;
    let beside = service::collect(&app.ctx.db, &channel, 10, &in_flight).await.expect("collected");
    assert_eq!(products_of(&beside, &variants), (30..40).collect::<Vec<_>>(), "the products not in flight go first");
    let roomy = service::collect(&app.ctx.db, &channel, 20, &in_flight).await.expect("collected");
    assert_eq!(
        products_of(&roomy, &variants),
        (0..10).chain(30..40).collect::<Vec<_>>(),
        "with room, the changed SKUs of the products in flight come along"
    );
    assert!(roomy.pushes.iter().all(|p| !first.pushes.iter().any(|f| f.link_id == p.link_id)), "never a SKU in flight");
}
on_both_backends_driven!(products_in_flight_last, a_product_in_flight_waits_behind_every_other_due_product);

/// The web store drains its call bucket at 2 calls a second and the hub keeps half the bucket for urgent pushes
/// (`Marketplace::hub_reserve`): while an ordinary call would wait for the rate, a round sends only its urgent
/// pushes (a sell-out here) and leaves the others due, computed afresh and sent once the rate allows — so a raise
/// never queues in front of a sell-out.
async fn a_sell_out_to_the_web_store_goes_while_ordinary_pushes_wait_for_the_rate(app: &TestApp) {
    let (sim, channel, variants) = linked(app, ChannelKind::Webstore, 3).await;
    adjust_all(app, &variants, 10).await;
    while round(app, channel.id).await.links > 0 {}
    assert_eq!((0..3).map(|i| sim_quantity(&sim, i)).collect::<Vec<_>>(), [10, 10, 10]);
    let connector = channels::connector_for(&app.ctx, &channel).await.expect("connector");
    // Urgent calls spend part of the reserve at once (the third SKU, its own value again): ordinary calls now wait
    // about 4 s for the debt to drain.
    let listing = entity::channel_listing::Entity::find_by_id(
        link_of(app, channel.id, variants[2]).await.listing_id.expect("linked to a listing"),
    )
    .one(&app.ctx.db)
    .await
    .expect("read")
    .expect("listing");
    let same = omnisync::domain::channel::StockPriceUpdate {
        external_product_id: listing.external_product_id,
        external_sku_id: listing.external_sku_id,
        seller_sku: listing.seller_sku,
        quantity: Some(10),
        price_minor: None,
        sale: None,
    };
    for _ in 0..8 {
        omnisync::channels::rate_limit::urgent(connector.update_stock_price(std::slice::from_ref(&same)))
            .await
            .expect("an urgent call");
    }
    assert!(connector.update_quota_wait().await > std::time::Duration::from_secs(2), "ordinary calls wait");

    adjust(app, &[(variants[0], -10), (variants[1], 5)]).await;
    let mut rounds = service::Rounds::new(&app.ctx.db, &channel, &*connector);
    let started = std::time::Instant::now();
    if let Some(report) = rounds.next().await.expect("a round") {
        omnisync::jobs::effects::after_commit(&app.ctx, report);
    }
    assert_eq!(sim_quantity(&sim, 0), 0, "the sell-out went at once");
    assert_eq!(sim_quantity(&sim, 1), 10, "the raise waits for its turn");
    assert!(link_of(app, channel.id, variants[1]).await.push_pending, "and stays due");
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "the sell-out waited for no rate");
    while let Some(report) = rounds.next().await.expect("a round") {
        omnisync::jobs::effects::after_commit(&app.ctx, report);
    }
    assert_eq!(sim_quantity(&sim, 1), 15, "sent once the rate allowed");
    assert!(!link_of(app, channel.id, variants[1]).await.push_pending);
}
on_both_backends_driven!(
    web_store_sell_outs_first,
    a_sell_out_to_the_web_store_goes_while_ordinary_pushes_wait_for_the_rate
);

/// `delta` on every variant, in requests of the most changes one takes.
async fn adjust_all(app: &TestApp, variants: &[i64], delta: i64) {
    for chunk in variants.chunks(250) {
        adjust(app, &chunk.iter().map(|v| (*v, delta)).collect::<Vec<_>>()).await;
    }
}

/// Within a round: the sell-out, then lowerings by relative drop (50% before 10%), then a price, then a raise.
async fn a_round_sends_by_oversell_risk(app: &TestApp) {
    let (_sim, channel, variants) = linked(app, ChannelKind::Lazada, 5).await;
    adjust(app, &[(variants[0], 10), (variants[1], 100), (variants[2], 10), (variants[3], 10), (variants[4], 10)])
        .await;
    round(app, channel.id).await;
    // raise, 10% drop, 50% drop, price only, sell-out: in the opposite order of urgency.
    adjust(app, &[(variants[0], 5), (variants[1], -10), (variants[2], -5), (variants[4], -10)]).await;
    app.update_variant(&json!(global_id("ProductVariant", variants[3])), json!({ "price": "123000" })).await;
    let mut collected = service::collect(&app.ctx.db, &channel, 500, &InFlight::default()).await.expect("collected");
    let connector = channels::connector_for(&app.ctx, &channel).await.expect("connector");
    let (outcomes, _) = service::send(&*connector, channel.kind, &mut collected.pushes, None).await;
    assert!(outcomes.iter().all(|o| o.ok), "{outcomes:?}");
    let order: Vec<i64> = collected.pushes.iter().map(|p| p.variant_id).collect();
    assert_eq!(order, [variants[4], variants[2], variants[1], variants[3], variants[0]]);
}
on_both_backends_driven!(push_order, a_round_sends_by_oversell_risk);

/// One hub variant on three marketplaces that sell only what their listing shows, all selling from the default
/// warehouse; returns the shops and the variant's global and raw ids.
async fn three_shops_selling_one_variant(app: &TestApp) -> (Vec<Shop>, Value, i64) {
    let product = app.create_product("Áo", json!([{ "sku": SKU, "barcode": SKU, "price": "1000" }])).await;
    let variant = product["variants"][0]["id"].clone();
    let mut shops = Vec::new();
    for kind in [ChannelKind::Lazada, ChannelKind::Shopee, ChannelKind::Tiktok] {
        let shop = connect(app, kind, json!({})).await;
        shop.sim.state.set_enforce_stock(true);
        link_listing(app, &shop, SKU, &variant).await;
        shops.push(shop);
    }
    let raw = omnisync::graphql::relay::decode_id(
        "ProductVariant",
        &async_graphql::ID(variant.as_str().unwrap_or_default().to_owned()),
    )
    .expect("variant id");
    (shops, variant, raw)
}

const SKU: &str = "SKU-0001-1";

fn shown(shop: &Shop) -> i64 {
    shop.sim.state.store().sku_by_seller_sku(SKU).map(|(_, s)| s.quantity).expect("the listing")
}

async fn push_all(app: &TestApp, shops: &[Shop]) -> usize {
    let mut sent = 0;
    for shop in shops {
        sent += round(app, shop.channel_id).await.sent;
    }
    sent
}

async fn shares(app: &TestApp, shops: &[Shop], variant_id: i64) -> Vec<Option<i64>> {
    let mut out = Vec::new();
    for shop in shops {
        out.push(link_of(app, shop.channel_id, variant_id).await.allocated_quantity);
    }
    out
}

async fn sell(app: &TestApp, shop: &Shop, units: i64) {
    shop.sim.state.create_order(&[(SKU.to_owned(), units)], None).await.expect("the marketplace takes the order");
    settle(app, shop).await;
}

async fn warehouse_update(app: &TestApp, input: Value) -> Value {
    let warehouse = app.default_warehouse_id().await;
    app.gql(
        "mutation($w: ID!, $i: WarehouseUpdateInput!) { warehouseUpdate(id: $w, input: $i) { warehouse { stockAllocation lowStockThreshold } userErrors { field code } } }",
        json!({ "w": warehouse, "i": input }),
    )
    .await["warehouseUpdate"]
        .clone()
}

/// An allocating warehouse splits its units between the channels selling from it by weight, and what they show
/// never adds up to more than it holds: each channel's own sales come off its share without a push; a sold-out
/// channel gets free units, a quiet channel's excess is freed for it, a channel still selling is never raised;
/// ending allocation gives the shared number back; a low-stock threshold turns it on by itself. Bad input is
/// refused by field and changes nothing.
async fn an_allocating_warehouse_never_shows_more_than_it_holds(app: &TestApp) {
    let (shops, variant, variant_id) = three_shops_selling_one_variant(app).await;
    let on = warehouse_update(app, json!({ "stockAllocation": true })).await;
    assert_eq!(on["warehouse"], json!({ "stockAllocation": true, "lowStockThreshold": null }), "{on}");
    let weight = update_settings(app, shops[0].channel_id, json!({ "allocationWeight": 2 })).await;
    assert_eq!(weight["userErrors"], json!([]), "{weight}");

    adjust(app, &[(variant_id, 40)]).await;
    push_all(app, &shops).await;
    assert_eq!(shares(app, &shops, variant_id).await, [Some(20), Some(10), Some(10)], "40 split 2:1:1");
    assert_eq!(shops.iter().map(shown).collect::<Vec<_>>(), [20, 10, 10]);
    let e = explanation(app, variant_id, shops[0].channel_id).await;
    assert_eq!((&e["quantity"], &e["allocatedQuantity"]), (&json!(20), &json!(20)), "{e}");
    assert!(e["summary"].as_str().unwrap_or_default().contains("splits its 40 available units"), "{e}");

    // Shopee sells 4: its listing went to 6 by itself; the hub's share and known number follow, nothing is pushed.
    sell(app, &shops[1], 4).await;
    assert_eq!(shares(app, &shops, variant_id).await, [Some(20), Some(6), Some(10)]);
    assert_eq!(link_of(app, shops[1].channel_id, variant_id).await.last_pushed_quantity, Some(6));
    assert_eq!(push_all(app, &shops).await, 0, "own sales need no push");
    assert_eq!(shops.iter().map(shown).collect::<Vec<_>>(), [20, 6, 10]);

    // TikTok sells out its share: it shows 0 and nobody is raised (every channel sold or was pushed lately). 12
    // more arrive: 38 available, fair shares 19/10/9: TikTok (sold out) gets its 9, Lazada keeps its 20 and
    // Shopee its 6 (both still active), 3 stay free.
    sell(app, &shops[2], 10).await;
    assert_eq!(shares(app, &shops, variant_id).await, [Some(20), Some(6), Some(0)]);
    assert!(shops[2].sim.state.create_order(&[(SKU.to_owned(), 1)], None).await.is_err(), "TikTok shows 0");
    adjust(app, &[(variant_id, 12)]).await;
    assert_eq!(shares(app, &shops, variant_id).await, [Some(20), Some(6), Some(9)]);
    push_all(app, &shops).await;
    assert_eq!(shops.iter().map(shown).collect::<Vec<_>>(), [20, 6, 9], "35 of the 38 shown");

    // Once the channels have been quiet long enough, the scheduler's rebalance re-splits without a movement:
    // Lazada's excess is freed, Shopee takes the free units up to its fair share.
    let quiet = chrono::Utc::now() - omnisync::services::link_marks::allocation::quiet_after();
    entity::product_link::Entity::update_many()
        .col_expr(entity::product_link::Column::LastSoldAt, sea_orm::sea_query::Expr::value(quiet))
        .col_expr(entity::product_link::Column::LastPushedAt, sea_orm::sea_query::Expr::value(quiet))
        .filter(entity::product_link::Column::VariantId.eq(variant_id))
        .exec(&app.ctx.db)
        .await
        .expect("time passes");
    let rebalanced = omnisync::services::link_marks::allocation::rebalance(&app.ctx.db).await.expect("rebalance");
    assert_eq!(rebalanced, 1, "one variant re-split");
    assert_eq!(shares(app, &shops, variant_id).await, [Some(19), Some(10), Some(9)]);
    push_all(app, &shops).await;
    assert_eq!(shops.iter().map(shown).collect::<Vec<_>>(), [19, 10, 9]);
    assert_eq!(omnisync::services::link_marks::allocation::rebalance(&app.ctx.db).await.expect("again"), 0);

    // Bad input: refused by field, nothing changed.
    let refused = warehouse_update(app, json!({ "lowStockThreshold": -1 })).await;
    assert_eq!(
        refused["userErrors"],
        json!([{ "field": ["input", "lowStockThreshold"], "code": "INVALID" }]),
        "{refused}"
    );
    let bad = app
        .gql(
            "mutation($v: ID!) { productVariantUpdate(id: $v, input: { lowStockThreshold: -5 }) { userErrors { field code } } }",
            json!({ "v": variant }),
        )
        .await;
    assert_eq!(
        bad["productVariantUpdate"]["userErrors"],
        json!([{ "field": ["input", "lowStockThreshold"], "code": "INVALID" }])
    );
    assert_eq!(
        update_settings(app, shops[1].channel_id, json!({ "allocationWeight": 0 })).await["userErrors"],
        json!([])
    );
    assert_eq!(
        update_settings(app, shops[2].channel_id, json!({ "allocationWeight": 0 })).await["userErrors"],
        json!([])
    );
    let all_zero = update_settings(app, shops[0].channel_id, json!({ "allocationWeight": 0 })).await;
    assert_eq!(
        all_zero["userErrors"][0]["field"],
        json!(["input", "settings", "allocationWeight"]),
        "every channel of the warehouse at 0: {all_zero}"
    );
    let stored = channels::get(&app.ctx.db, shops[0].channel_id).await.expect("read").expect("channel");
    assert_eq!(stored.allocation_weight, 2, "unchanged");
    let out_of_range = update_settings(app, shops[0].channel_id, json!({ "allocationWeight": 1001 })).await;
    assert_eq!(out_of_range["userErrors"][0]["code"], "INVALID", "{out_of_range}");
    for shop in &shops[1..] {
        update_settings(app, shop.channel_id, json!({ "allocationWeight": 1 })).await;
    }

    // Allocation off: every channel gets the shared number (on hand in the default warehouse) again.
    let off = warehouse_update(app, json!({ "stockAllocation": false })).await;
    assert_eq!(off["warehouse"]["stockAllocation"], false, "{off}");
    assert_eq!(shares(app, &shops, variant_id).await, [None, None, None]);
    push_all(app, &shops).await;
    let shared = explanation(app, variant_id, shops[0].channel_id).await["quantity"].as_i64().expect("a quantity");
    assert_eq!(shops.iter().map(shown).collect::<Vec<_>>(), [shared; 3]);

    // A low-stock threshold turns allocation on by itself at the next movement below it.
    let low = app
        .gql(
            "mutation($v: ID!) { productVariantUpdate(id: $v, input: { lowStockThreshold: 100 }) { userErrors { field code } } }",
            json!({ "v": variant }),
        )
        .await;
    assert_eq!(low["productVariantUpdate"]["userErrors"], json!([]));
    adjust(app, &[(variant_id, -1)]).await;
    let split = shares(app, &shops, variant_id).await;
    assert!(split.iter().all(Option::is_some), "allocating below the threshold: {split:?}");
    let available = explanation(app, variant_id, shops[0].channel_id).await["available"].as_i64().expect("available");
    assert!(split.iter().flatten().sum::<i64>() <= available, "{split:?} of {available}");
    push_all(app, &shops).await;
    assert_eq!(shops.iter().map(shown).map(Some).collect::<Vec<_>>(), split);
}
on_both_backends_driven!(allocation, an_allocating_warehouse_never_shows_more_than_it_holds);
