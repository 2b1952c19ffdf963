//! Stock and price push (SPEC §3) end to end against the simulators: batched rounds, collapse of many changes,
//! failures as sync errors with backoff, the stale-push guard, read-back reconciliation, the explanation of a
//! number, and convergence of four marketplaces under 20% injected 5xx.

use std::time::Duration;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use entity::enums::{LedgerReason, LinkState, SyncRunKind};
use entity::{channel, product_link, stock_push, sync_error, sync_run, webhook_event};
use omnisync::channels::ChannelKind;
use omnisync::graphql::relay::global_id;
use omnisync::jobs;
use omnisync::services::inventory::{self, AdjustChange};
use omnisync::services::stock_push::{self as service, InFlight, RoundReport};
use omnisync::services::{channels, sync_runs};
use omnisync::sim::fixtures;
use omnisync::sim::{Fault, FaultRates, SimHandle};

use crate::helpers::{TestApp, all_kinds, slug, start_sim};
use crate::{on_both_backends, on_both_backends_driven};

/// Queues a run and executes it here (workers are off); returns the finished run.
pub async fn run_job(
    app: &TestApp,
    kind: SyncRunKind,
    channel_id: i64,
    input: Option<serde_json::Value>,
) -> sync_run::Model {
    let run = jobs::enqueue_run(&app.ctx, kind, Some(channel_id), input).await.expect("queued");
    jobs::execute(&app.ctx, run.id, run.job_id.as_deref().expect("job id")).await.expect("executed");
    sync_runs::get(&app.ctx.db, run.id).await.expect("read").expect("run")
}

/// Links every hub product on the channel (a LINK_PRODUCTS run executed here); asserts the run completed.
async fn link_every_product(app: &TestApp, channel_id: i64) {
    let run = run_job(
        app,
        SyncRunKind::LinkProducts,
        channel_id,
        Some(serde_json::to_value(jobs::linking::LinkInput::default()).expect("json")),
    )
    .await;
    assert_eq!(run.status, entity::enums::SyncRunStatus::Completed, "{run:?}");
}

/// A simulator of `kind` with `skus` SKUs (quantity 9 each), the same SKUs in the hub, connected and linked.
pub(crate) async fn linked(app: &TestApp, kind: ChannelKind, skus: usize) -> (SimHandle, channel::Model, Vec<i64>) {
    let sim = start_sim(kind, 0);
    fixtures::seed_sim(&sim, skus, "T-");
    for p in &mut sim.state.store().products {
        for s in &mut p.skus {
            s.quantity = 9;
        }
    }
    let variants = fixtures::seed_hub(&app.ctx.db, skus, "T-").await.expect("hub seeded");
    let channel = fixtures::connect_sim(&app.ctx, &sim).await.expect("connected");
    link_every_product(app, channel.id).await;
    let linked = product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel.id))
        .filter(product_link::Column::State.eq(LinkState::Linked))
        .count(&app.ctx.db)
        .await
        .expect("count");
    assert_eq!(linked as usize, skus, "every SKU linked");
    (sim, channel, variants)
}

pub(crate) async fn round(app: &TestApp, channel_id: i64) -> RoundReport {
    let channel = channels::get(&app.ctx.db, channel_id).await.expect("read").expect("channel");
    let connector = channels::connector_for(&app.ctx, &channel).await.expect("connector");
    omnisync::jobs::effects::after_commit_queued(
        &app.ctx,
        service::round(&app.ctx.db, &channel, &*connector).await.expect("round"),
    )
    .await
}

pub(crate) async fn adjust(app: &TestApp, changes: &[(i64, i64)]) {
    let wh = omnisync::services::catalog::default_warehouse(&app.ctx.db).await.expect("default").id;
    let changes = changes.iter().map(|(v, d)| AdjustChange { variant_id: *v, warehouse_id: wh, delta: *d }).collect();
    inventory::adjust(&app.ctx.db, &crate::helpers::tests_actor(), LedgerReason::Received, None, changes)
        .await
        .expect("adjusted")
        .into_parts();
}

pub(crate) fn sim_quantity(sim: &SimHandle, i: usize) -> i64 {
    let sku = fixtures::code("T-", i);
    sim.state.store().sku_by_seller_sku(&sku).map(|(_, s)| s.quantity).expect("sku on the simulator")
}

pub(crate) async fn link_of(app: &TestApp, channel_id: i64, variant_id: i64) -> product_link::Model {
    product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel_id))
        .filter(product_link::Column::VariantId.eq(variant_id))
        .one(&app.ctx.db)
        .await
        .expect("read")
        .expect("link")
}

async fn changes_reach_the_channel_in_as_few_calls_as_the_batch_maximum_allows_and_every_push_is_recorded(
    app: &TestApp,
) {
    let (sim, channel, variants) = linked(app, ChannelKind::Lazada, 120).await;

    // First push: 120 SKUs, Lazada takes 50 per call.
    let first = round(app, channel.id).await;
    assert_eq!((first.links, first.sent, first.succeeded, first.calls), (120, 120, 120, 3), "{first:?}");
    assert_eq!((0..120).map(|i| sim_quantity(&sim, i)).collect::<Vec<_>>(), vec![0; 120], "the hub has none");
    assert_eq!(round(app, channel.id).await, RoundReport::default(), "nothing is due any more");

    // Seven changes: one call.
    adjust(app, &(0..7).map(|i| (variants[i], i as i64 + 1)).collect::<Vec<_>>()).await;
    let seven = round(app, channel.id).await;
    assert_eq!((seven.links, seven.sent, seven.calls), (7, 7, 1), "{seven:?}");
    assert_eq!((0..8).map(|i| sim_quantity(&sim, i)).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6, 7, 0]);

    // Five changes of one SKU before the push collapse into one push of the latest value.
    for _ in 0..5 {
        adjust(app, &[(variants[10], 2)]).await;
    }
    let collapsed = round(app, channel.id).await;
    assert_eq!((collapsed.links, collapsed.sent, collapsed.calls), (1, 1, 1));
    assert_eq!(sim_quantity(&sim, 10), 10);

    // A change undone before the push costs no call.
    adjust(app, &[(variants[11], 3)]).await;
    adjust(app, &[(variants[11], -3)]).await;
    let undone = round(app, channel.id).await;
    assert_eq!((undone.links, undone.unchanged, undone.sent, undone.calls), (1, 1, 0, 0));

    // The history of a SKU's quantity on the channel, with the inputs of each number.
    let link = link_of(app, channel.id, variants[10]).await;
    assert_eq!((link.last_pushed_quantity, link.push_pending, link.state), (Some(10), false, LinkState::Linked));
    let data = app
        .gql(
            "query($c: ID!, $v: ID!) { stockPushes(channelId: $c, filter: { variantId: $v }, first: 10) { totalCount edges { node {
                quantity price { amount currencyCode } ok sellerSku inputs link { id } } } } }",
            json!({ "c": global_id("Channel", channel.id), "v": global_id("ProductVariant", variants[10]) }),
        )
        .await;
    let pushes = &data["stockPushes"];
    assert_eq!(pushes["totalCount"], 2, "{pushes}");
    let last = &pushes["edges"][1]["node"];
    assert_eq!(
        (last["quantity"].as_i64(), last["ok"].as_bool(), last["sellerSku"].as_str()),
        (Some(10), Some(true), Some("T-00002-1"))
    );
    assert_eq!(last["price"], json!(null), "the price did not change, so it was not sent again");
    assert_eq!(pushes["edges"][0]["node"]["price"]["currencyCode"], "VND", "the first push sent the price: {pushes}");
    assert_eq!(last["link"]["id"], json!(global_id("ProductLink", link.id)), "each push names its link");
    assert_eq!(
        (
            last["inputs"]["rule"].as_str(),
            last["inputs"]["onHand"].as_i64(),
            last["inputs"]["previousQuantity"].as_i64()
        ),
        (Some("DefaultWarehouseOnHand"), Some(10), Some(0))
    );
}
on_both_backends_driven!(
    batched_pushes,
    changes_reach_the_channel_in_as_few_calls_as_the_batch_maximum_allows_and_every_push_is_recorded
);

async fn a_failed_push_is_a_sync_error_retried_after_a_backoff_and_a_success_clears_it(app: &TestApp) {
    let (sim, channel, variants) = linked(app, ChannelKind::Lazada, 3).await;
    round(app, channel.id).await;
    adjust(app, &[(variants[0], 4), (variants[1], 5), (variants[2], 6)]).await;

    // Every attempt of the call fails (the client retries 5 times).
    sim.state.inject(Fault::ServerError, 5);
    let failed = round(app, channel.id).await;
    assert_eq!((failed.sent, failed.failed, failed.succeeded), (3, 3, 0), "{failed:?}");
    let link = link_of(app, channel.id, variants[0]).await;
    assert_eq!(
        (link.state, link.error_code.as_deref(), link.push_pending),
        (LinkState::SyncError, Some(service::PUSH_FAILED), true)
    );
    assert!(
        link.push_requested_at.expect("retry time") > chrono::Utc::now() + chrono::Duration::seconds(5),
        "retried after a backoff, not at once"
    );
    let error = sync_error::Entity::find()
        .filter(sync_error::Column::ProductLinkId.eq(link.id))
        .one(&app.ctx.db)
        .await
        .expect("read")
        .expect("a sync error");
    assert_eq!((error.code.as_str(), error.occurrences, error.resolved_at), (service::PUSH_FAILED, 1, None));
    assert!(error.message.contains("T-00001-1") && error.message.contains("500"), "{}", error.message);
    assert_eq!(round(app, channel.id).await.links, 0, "waiting out the backoff");
    let view = app
        .gql(
            "query($c: ID!) { productLinks(channelId: $c, view: SYNC_ERROR, first: 10) { totalCount } }",
            json!({ "c": global_id("Channel", channel.id) }),
        )
        .await;
    assert_eq!(view["productLinks"]["totalCount"], 3, "the merchant sees them in the sync-error view");

    // The backoff is over: the retry sends the values of now and clears the error.
    adjust(app, &[(variants[0], 1)]).await;
    product_link::Entity::update_many()
        .col_expr(product_link::Column::PushRequestedAt, sea_orm::sea_query::Expr::value(chrono::Utc::now()))
        .filter(product_link::Column::ChannelId.eq(channel.id))
        .exec(&app.ctx.db)
        .await
        .expect("time passes");
    let retried = round(app, channel.id).await;
    assert_eq!((retried.sent, retried.succeeded), (3, 3), "{retried:?}");
    assert_eq!((sim_quantity(&sim, 0), sim_quantity(&sim, 1), sim_quantity(&sim, 2)), (5, 5, 6));
    let link = link_of(app, channel.id, variants[0]).await;
    assert_eq!(
        (link.state, link.error_code, link.last_pushed_quantity, link.push_pending),
        (LinkState::Linked, None, Some(5), false)
    );
    let error = sync_error::Entity::find_by_id(error.id).one(&app.ctx.db).await.expect("read").expect("kept");
    assert!(error.resolved_at.is_some(), "resolved, history kept");
    let refused =
        stock_push::Entity::find().filter(stock_push::Column::Ok.eq(false)).count(&app.ctx.db).await.expect("count");
    assert_eq!(refused, 3, "failed pushes are kept in the history too");
}
on_both_backends_driven!(failed_pushes, a_failed_push_is_a_sync_error_retried_after_a_backoff_and_a_success_clears_it);

async fn while_an_order_of_the_channel_waits_to_be_applied_only_a_sell_out_is_pushed(app: &TestApp) {
    let (sim, channel, variants) = linked(app, ChannelKind::Tiki, 2).await;
    adjust(app, &[(variants[0], 10), (variants[1], 10)]).await;
    round(app, channel.id).await;
    assert_eq!((sim_quantity(&sim, 0), sim_quantity(&sim, 1)), (10, 10));

    // An order event arrived and is not imported yet.
    let event = webhook_event::ActiveModel {
        channel_id: Set(channel.id),
        dedup_key: Set("evt-1".into()),
        topic: Set(Some("order".into())),
        external_order_id: Set(Some("123".into())),
        payload: Set(json!({})),
        received_at: Set(chrono::Utc::now()),
        processed_at: Set(None),
        error: Set(None),
        ..Default::default()
    }
    .insert(&app.ctx.db)
    .await
    .expect("event stored");
    adjust(app, &[(variants[0], 5), (variants[1], -4)]).await;
    let guarded = round(app, channel.id).await;
    assert_eq!((guarded.sent, guarded.held), (0, 2), "{guarded:?}");
    assert_eq!((sim_quantity(&sim, 0), sim_quantity(&sim, 1)), (10, 10), "a raise and a lowering both wait");
    // A sell-out cannot give anything back: it goes at once.
    adjust(app, &[(variants[1], -6)]).await;
    let sold_out = round(app, channel.id).await;
    assert_eq!((sold_out.sent, sold_out.held), (1, 0), "{sold_out:?}");
    assert_eq!((sim_quantity(&sim, 0), sim_quantity(&sim, 1)), (10, 0));
    let explained = app
        .gql(
            "query($v: ID!, $c: ID!) { stockExplanation(variantId: $v, channelId: $c) { quantity held ordersWaiting pushPending lastPushedQuantity summary } }",
            json!({ "v": global_id("ProductVariant", variants[0]), "c": global_id("Channel", channel.id) }),
        )
        .await;
    let e = &explained["stockExplanation"];
    assert_eq!(
        (e["quantity"].as_i64(), e["held"].as_bool(), e["ordersWaiting"].as_bool(), e["lastPushedQuantity"].as_i64()),
        (Some(15), Some(true), Some(true), Some(10))
    );
    assert!(e["summary"].as_str().unwrap_or_default().contains("held back"), "{e}");

    // The order is imported: the raise goes out.
    let mut active: webhook_event::ActiveModel = event.into();
    active.processed_at = Set(Some(chrono::Utc::now()));
    active.update(&app.ctx.db).await.expect("processed");
    product_link::Entity::update_many()
        .col_expr(product_link::Column::PushRequestedAt, sea_orm::sea_query::Expr::value(chrono::Utc::now()))
        .filter(product_link::Column::ChannelId.eq(channel.id))
        .exec(&app.ctx.db)
        .await
        .expect("recheck now");
    let released = round(app, channel.id).await;
    assert_eq!((released.sent, released.held), (1, 0));
    assert_eq!(sim_quantity(&sim, 0), 15);
}
on_both_backends_driven!(stale_push_guard, while_an_order_of_the_channel_waits_to_be_applied_only_a_sell_out_is_pushed);

/// Issue 18: pushes send absolute quantities, so a number computed before a channel's own sale is applied would hand
/// that sale's units back. The interleaving, step by step: the hub pushes 100 to A and B → A sells 30 (its push is
/// stored, not applied) → B sells 10 and is applied → nothing above 70 reaches A before A's order is applied; after
/// it, A gets 60 at once.
async fn a_channel_is_never_given_back_units_it_sold_before_its_order_is_applied(app: &TestApp) {
    let (a_sim, b_sim) = (start_sim(ChannelKind::Lazada, 0), start_sim(ChannelKind::Tiktok, 0));
    for sim in [&a_sim, &b_sim] {
        fixtures::seed_sim(sim, 1, "T-");
        // The marketplaces refuse orders beyond what they show, and take what they sell off their listing.
        sim.state.set_enforce_stock(true);
    }
    let variant = fixtures::seed_hub(&app.ctx.db, 1, "T-").await.expect("hub seeded")[0];
    let warehouse = omnisync::services::catalog::default_warehouse(&app.ctx.db).await.expect("default").id;
    let mut channel_ids = Vec::new();
    for sim in [&a_sim, &b_sim] {
        let channel = fixtures::connect_sim(&app.ctx, sim).await.expect("connected");
        // A chosen stock warehouse: each channel gets on hand − committed, so every applied sale lowers the others.
        let updated = app
            .gql(
                "mutation($id: ID!, $w: ID!) { channelUpdate(id: $id, input: { settings: { stockWarehouseIds: [$w] } }) { userErrors { message } } }",
                json!({ "id": global_id("Channel", channel.id), "w": global_id("Warehouse", warehouse) }),
            )
            .await;
        assert_eq!(updated["channelUpdate"]["userErrors"], json!([]), "{updated}");
        link_every_product(app, channel.id).await;
        channel_ids.push(channel.id);
    }
    let (a, b) = (channel_ids[0], channel_ids[1]);
    adjust(app, &[(variant, 100)]).await;
    round(app, a).await;
    round(app, b).await;
    assert_eq!((sim_quantity(&a_sim, 0), sim_quantity(&b_sim, 0)), (100, 100));

    // A sells 30: Lazada shows 70 and pushes the order to the hub, which stores it (no worker applies it yet).
    a_sim.state.set_webhook_url(Some(format!("{}/webhooks/{a}", app.address)));
    a_sim.state.create_order(&[(fixtures::code("T-", 0), 30)], None).await.expect("A's order");
    assert_eq!(sim_quantity(&a_sim, 0), 70);
    assert!(service::orders_waiting(&app.ctx.db, a).await.expect("read"), "A's order event is stored");

    // B sells 10, and the hub applies it (B's poll): 90 available.
    b_sim.state.create_order(&[(fixtures::code("T-", 0), 10)], None).await.expect("B's order");
    let poll = run_job(app, SyncRunKind::OrderPoll, b, None).await;
    assert_eq!(poll.status, entity::enums::SyncRunStatus::Completed, "{poll:?}");
    assert_eq!(sim_quantity(&b_sim, 0), 90);

    // A push to A now would send 90 and give back 20 of the 30 A sold: it is held.
    let held = round(app, a).await;
    assert_eq!((held.sent, held.held), (0, 1), "{held:?}");
    assert_eq!(sim_quantity(&a_sim, 0), 70, "A still shows what it has left, not more");

    // A's order is applied (its queued fetch): the held push goes at once with 100 − 30 − 10.
    app.run_pending_jobs().await;
    assert!(!service::orders_waiting(&app.ctx.db, a).await.expect("read"), "A's order event is answered");
    let link = product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(a))
        .one(&app.ctx.db)
        .await
        .expect("read")
        .expect("A's link");
    assert!(link.push_requested_at.is_some_and(|at| at <= chrono::Utc::now()), "due now, not after the recheck delay");
    round(app, a).await;
    round(app, b).await;
    assert_eq!((sim_quantity(&a_sim, 0), sim_quantity(&b_sim, 0)), (60, 60));
}
on_both_backends_driven!(
    sold_units_are_never_given_back,
    a_channel_is_never_given_back_units_it_sold_before_its_order_is_applied
);

async fn the_explanation_names_the_rule_the_warehouse_and_every_quantity_behind_the_number(app: &TestApp) {
    let (_sim, channel, variants) = linked(app, ChannelKind::Tiki, 2).await;
    let db = &app.ctx.db;
    // A chosen stock warehouse with 40 on hand, 2 committed, 1 pending export: 37 is pushed.
    let wh = omnisync::services::catalog::warehouse_create(
        db,
        omnisync::services::catalog::WarehouseFields { name: Some("Kho Hà Nội".into()), ..Default::default() },
    )
    .await
    .expect("warehouse");
    let updated = app
        .gql(
            "mutation($id: ID!, $w: ID!) { channelUpdate(id: $id, input: { settings: { stockWarehouseId: $w } }) { userErrors { field code message } } }",
            json!({ "id": global_id("Channel", channel.id), "w": global_id("Warehouse", wh.id) }),
        )
        .await;
    assert_eq!(updated["channelUpdate"]["userErrors"], json!([]));
    let variant = omnisync::services::catalog::variant(db, variants[0]).await.expect("read").expect("variant");
    let txn = omnisync::services::begin_write(db).await.expect("txn");
    let movement = |delta: omnisync::domain::inventory::Delta| inventory::Movement {
        variant_id: variant.id,
        warehouse_id: wh.id,
        delta,
        reason: LedgerReason::Received,
        reference: None,
        note: None,
        order_channel: None,
    };
    inventory::apply_movement(
        &txn,
        &crate::helpers::tests_actor(),
        &variant,
        &movement(omnisync::domain::inventory::Delta { on_hand: 40, committed: 2, pending_export: 1 }),
    )
    .await
    .expect("moved");
    txn.commit().await.expect("commit");
    let q = "query($v: ID!, $c: ID!) { stockExplanation(variantId: $v, channelId: $c) { quantity rule warehouse { name } warehouseChosen onHand committed
        pendingExport available oversellPolicy oversellQuantity price { amount currencyCode } pushPending summary } }";
    let ids = json!({ "v": global_id("ProductVariant", variants[0]), "c": global_id("Channel", channel.id) });
    let e = app.gql(q, ids.clone()).await["stockExplanation"].clone();
    assert_eq!(
        e,
        json!({ "quantity": 37, "rule": "CHOSEN_WAREHOUSE_AVAILABLE", "warehouse": { "name": "Kho Hà Nội" }, "warehouseChosen": true, "onHand": 40,
            "committed": 2, "pendingExport": 1, "available": 37, "oversellPolicy": "WHEN_OUT_OF_STOCK", "oversellQuantity": 50000,
            "price": { "amount": "100000", "currencyCode": "VND" }, "pushPending": true,
            "summary": "in Kho Hà Nội: on hand 40 − committed 2 − pending export 1 = 37: 37 is sent" })
    );

    // Continue selling on Tiki: the real quantity while there is one, else 50,000.
    app.gql(
        "mutation($v: ID!) { productVariantUpdate(id: $v, input: { allowOversell: true }) { userErrors { code } } }",
        json!({ "v": global_id("ProductVariant", variants[1]) }),
    )
    .await;
    let ids = json!({ "v": global_id("ProductVariant", variants[1]), "c": global_id("Channel", channel.id) });
    let e = app.gql(q, ids).await["stockExplanation"].clone();
    assert_eq!((e["quantity"].as_i64(), e["rule"].as_str()), (Some(50_000), Some("OVERSELL_OUT_OF_STOCK")));
    // Unknown ids are errors naming the argument.
    let missing = app
        .graphql(q, json!({ "v": global_id("ProductVariant", 999_999), "c": global_id("Channel", channel.id) }))
        .await;
    assert!(missing["errors"][0]["message"].as_str().unwrap_or_default().contains("Variant not found"), "{missing}");
}
on_both_backends_driven!(
    stock_explanation,
    the_explanation_names_the_rule_the_warehouse_and_every_quantity_behind_the_number
);

async fn reconciliation_reports_drift_with_both_numbers_and_repairs_it_when_the_channel_asks(app: &TestApp) {
    let (sim, channel, variants) = linked(app, ChannelKind::Lazada, 3).await;
    adjust(app, &[(variants[0], 7)]).await;
    round(app, channel.id).await;
    // Someone changed the quantity on the marketplace.
    let sku_id = sim.state.store().sku_by_seller_sku(&fixtures::code("T-", 0)).map(|(_, s)| s.id).expect("sku");
    sim.state.store().sku_mut(sku_id).expect("sku").quantity = 3;

    let run = run_job(app, SyncRunKind::StockReconcile, channel.id, None).await;
    assert_eq!((run.total, run.succeeded, run.failed), (3, 2, 1), "{run:?}");
    let link = link_of(app, channel.id, variants[0]).await;
    let drift = sync_error::Entity::find()
        .filter(sync_error::Column::ProductLinkId.eq(link.id))
        .filter(sync_error::Column::Code.eq(service::STOCK_DRIFT))
        .one(&app.ctx.db)
        .await
        .expect("read")
        .expect("drift reported");
    assert_eq!(drift.message, "T-00001-1: the channel shows 3, the hub last pushed 7");
    assert_eq!(
        drift.details.as_ref().map(|d| (d["channelQuantity"].clone(), d["pushedQuantity"].clone())),
        Some((json!(3), json!(7)))
    );
    assert!(!link.push_pending, "repair is off by default: reported only");
    assert_eq!(sim_quantity(&sim, 0), 3);

    // With repair on, the next reconciliation pushes the hub's value again.
    let updated = app
        .gql("mutation($id: ID!) { channelUpdate(id: $id, input: { settings: { stockDriftRepair: true } }) { userErrors { code } } }", json!({ "id": global_id("Channel", channel.id) }))
        .await;
    assert_eq!(updated["channelUpdate"]["userErrors"], json!([]));
    run_job(app, SyncRunKind::StockReconcile, channel.id, None).await;
    let repair = round(app, channel.id).await;
    assert_eq!((repair.sent, repair.succeeded), (1, 1));
    assert_eq!(sim_quantity(&sim, 0), 7);
    let clean = run_job(app, SyncRunKind::StockReconcile, channel.id, None).await;
    assert_eq!(clean.failed, 0);
    let open = sync_error::Entity::find()
        .filter(sync_error::Column::Code.eq(service::STOCK_DRIFT))
        .filter(sync_error::Column::ResolvedAt.is_null())
        .count(&app.ctx.db)
        .await
        .expect("count");
    assert_eq!(open, 0, "the drift is resolved once the numbers agree");
}
on_both_backends_driven!(
    reconciliation,
    reconciliation_reports_drift_with_both_numbers_and_repairs_it_when_the_channel_asks
);

/// Every marketplace, 20% of its answers 5xx, random changes: every simulator ends with the hub's numbers.
async fn every_marketplace_converges_to_the_hub_after_a_run_with_one_answer_in_five_failing(app: &TestApp) {
    let kinds = all_kinds();
    let skus = 40;
    let mut sims = Vec::new();
    for kind in kinds {
        let s = start_sim(kind, 0);
        fixtures::seed_sim(&s, skus, "C-");
        sims.push(s);
    }
    let variants = fixtures::seed_hub(&app.ctx.db, skus, "C-").await.expect("hub");
    let mut connected = Vec::new();
    for s in &sims {
        let c = fixtures::connect_sim(&app.ctx, s).await.expect("connected");
        let run = app.link_everything(c.id).await;
        assert_eq!(run["status"], "COMPLETED", "{run}");
        connected.push(c);
    }
    for s in &sims {
        s.state.set_fault_rates(FaultRates { server_error: 0.2, ..FaultRates::default() });
    }
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let mut on_hand = vec![0i64; skus];
    for _ in 0..8 {
        let mut changes = Vec::new();
        for i in rand::seq::index::sample(&mut rng, skus, 15) {
            let delta =
                if on_hand[i] > 3 && rng.random_bool(0.4) { -rng.random_range(1..=3) } else { rng.random_range(1..=6) };
            on_hand[i] += delta;
            changes.push((variants[i], delta));
        }
        adjust(app, &changes).await;
        jobs::stock_push::kick(&app.ctx).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    fixtures::settle(&app.ctx, Duration::from_secs(120), true).await.expect("pushes settle");
    for (c, s) in connected.iter().zip(&sims) {
        let wrong = fixtures::mismatches(&app.ctx, c, s).await.expect("compared");
        assert_eq!(wrong, [], "{} ends equal to the hub", slug(s.kind));
        let values: Vec<i64> = (0..skus)
            .map(|i| s.state.store().sku_by_seller_sku(&fixtures::code("C-", i)).map(|(_, k)| k.quantity).unwrap_or(-1))
            .collect();
        assert_eq!(values, on_hand, "{}", slug(s.kind));
    }
}

on_both_backends!(
    convergence_under_faults,
    every_marketplace_converges_to_the_hub_after_a_run_with_one_answer_in_five_failing
);

/// Two processes pushing one channel at once never interleave: one holds the lease, the other ends at once.
async fn pushes_of_one_channel_never_run_in_two_workers_at_once(app: &TestApp) {
    let (_sim, channel, _variants) = linked(app, ChannelKind::Lazada, 2).await;
    let lease = service::lease_name(channel.id);
    assert!(
        omnisync::services::leases::acquire(&app.ctx.db, &lease, "worker-a", chrono::Duration::seconds(60))
            .await
            .expect("lease")
    );
    assert!(
        !omnisync::services::leases::acquire(&app.ctx.db, &lease, "worker-b", chrono::Duration::seconds(60))
            .await
            .expect("lease"),
        "held by a"
    );
    // A push run while another holds the lease sends nothing.
    let run = run_job(app, SyncRunKind::StockPush, channel.id, None).await;
    assert_eq!((run.status, run.total), (entity::enums::SyncRunStatus::Completed, 0));
    assert_eq!(link_count_pending(app, channel.id).await, 2, "left for the holder");
    omnisync::services::leases::release(&app.ctx.db, &lease, "worker-a").await.expect("released");
    let run = run_job(app, SyncRunKind::StockPush, channel.id, None).await;
    assert_eq!((run.total, run.succeeded), (2, 2));
    assert_eq!(link_count_pending(app, channel.id).await, 0);
    // An expired lease is free again.
    assert!(
        omnisync::services::leases::acquire(&app.ctx.db, &lease, "worker-a", chrono::Duration::seconds(-1))
            .await
            .expect("lease")
    );
    assert!(
        omnisync::services::leases::acquire(&app.ctx.db, &lease, "worker-b", chrono::Duration::seconds(60))
            .await
            .expect("lease"),
        "expired"
    );
}
on_both_backends_driven!(push_lease, pushes_of_one_channel_never_run_in_two_workers_at_once);

/// A round takes the least recently pushed links first: links that change all the time cannot keep the others
/// waiting (rounds of one link here, every link changing before each round).
async fn links_that_change_all_the_time_do_not_keep_the_others_waiting(app: &TestApp) {
    let (_sim, channel, variants) = linked(app, ChannelKind::Lazada, 3).await;
    round(app, channel.id).await;
    let connector = channels::connector_for(&app.ctx, &channel).await.expect("connector");
    let mut pushed = Vec::new();
    for _ in 0..3 {
        adjust(app, &variants.iter().map(|v| (*v, 1)).collect::<Vec<_>>()).await;
        let mut collected = service::collect(&app.ctx.db, &channel, 1, &InFlight::default()).await.expect("collected");
        assert_eq!(collected.pushes.len(), 1, "{collected:?}");
        let (outcomes, _) = service::send(&*connector, channel.kind, &mut collected.pushes, None).await;
        omnisync::jobs::effects::after_commit(
            &app.ctx,
            service::record(&app.ctx.db, &channel, &collected.pushes, &outcomes).await.expect("recorded"),
        );
        pushed.push(collected.pushes[0].variant_id);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    pushed.sort();
    assert_eq!(pushed, variants, "each link had its turn");
}
on_both_backends_driven!(push_fairness, links_that_change_all_the_time_do_not_keep_the_others_waiting);

/// Where the API updates one product per call (Shopee, TikTok), a round takes every due SKU of the products it
/// takes: SKUs of one product that changed at different times still cost one call, not one each.
async fn a_round_takes_every_due_sku_of_a_product_where_a_call_updates_one_product(app: &TestApp, kind: ChannelKind) {
    let (sim, channel, variants) = linked(app, kind, 20).await;
    round(app, channel.id).await;
    // SKU 0 is pushed alone first, so its last push is newer than its siblings'.
    adjust(app, &[(variants[0], 1)]).await;
    assert_eq!(round(app, channel.id).await.calls, 1);
    tokio::time::sleep(Duration::from_millis(5)).await;
    // Then every SKU of the first product changes; the first link a round of one takes brings its siblings.
    adjust(app, &(0..10).map(|i| (variants[i], 2)).collect::<Vec<_>>()).await;
    let connector = channels::connector_for(&app.ctx, &channel).await.expect("connector");
    let mut collected = service::collect(&app.ctx.db, &channel, 1, &InFlight::default()).await.expect("collected");
    assert_eq!(collected.pushes.len(), 10, "{}: the whole product", slug(kind));
    let (outcomes, calls) = service::send(&*connector, channel.kind, &mut collected.pushes, None).await;
    assert_eq!(calls, 1, "{}: one call for the product", slug(kind));
    omnisync::jobs::effects::after_commit(
        &app.ctx,
        service::record(&app.ctx.db, &channel, &collected.pushes, &outcomes).await.expect("recorded"),
    );
    assert_eq!(
        (0..10).map(|i| sim_quantity(&sim, i)).collect::<Vec<_>>(),
        [3, 2, 2, 2, 2, 2, 2, 2, 2, 2],
        "{}",
        slug(kind)
    );
    assert_eq!(link_count_pending(app, channel.id).await, 0);
}

async fn whole_products_on_shopee(app: &TestApp) {
    a_round_takes_every_due_sku_of_a_product_where_a_call_updates_one_product(app, ChannelKind::Shopee).await;
}
on_both_backends_driven!(push_whole_products_shopee, whole_products_on_shopee);

async fn whole_products_on_tiktok(app: &TestApp) {
    a_round_takes_every_due_sku_of_a_product_where_a_call_updates_one_product(app, ChannelKind::Tiktok).await;
}
on_both_backends_driven!(push_whole_products_tiktok, whole_products_on_tiktok);

/// The simulators enforce the marketplaces' quotas (TikTok: 50 a second per API) with the marketplace's own
/// answer, and the hub's limiter keeps under them: a first push of 150 products (300 calls, stock and price, in
/// rounds of about a second) is never refused, while 70 calls at once from a client that does not limit itself are.
async fn the_hub_keeps_within_the_quotas_the_simulators_enforce(app: &TestApp) {
    let (sim, channel, _variants) = linked(app, ChannelKind::Tiktok, 1500).await;
    let first = round(app, channel.id).await;
    // TikTok updates one product per call: a round takes `size` products, each with all its due SKUs.
    let size = service::round_size(ChannelKind::Tiktok) as usize;
    assert_eq!(
        (first.sent, first.calls, first.failed),
        (size * fixtures::PER_PRODUCT, 2 * size, 0),
        "a round of about a second of stock and price calls at the hub's rate: {first:?}"
    );
    while round(app, channel.id).await.links > 0 {}
    assert_eq!(link_count_pending(app, channel.id).await, 0);
    assert_eq!(sim.state.quota_refusals(), 0, "the hub stayed within TikTok's quota");

    let client = reqwest::Client::new();
    let url = format!("{}/product/202309/products/1/inventory/update", sim.base_url);
    let answers = futures::future::join_all((0..70).map(|_| client.post(&url).body("{}").send())).await;
    let refused: Vec<serde_json::Value> = futures::future::join_all(
        answers
            .into_iter()
            .map(|a| a.expect("answered"))
            .filter(|a| a.status() == 429)
            .map(|a| async move { a.json::<serde_json::Value>().await.expect("json") }),
    )
    .await;
    assert!(refused.len() >= 20, "beyond 50 in a second: refused {}", refused.len());
    assert_eq!(refused[0]["code"], 36009002, "TikTok's rate-limit answer: {}", refused[0]);
    assert_eq!(sim.state.quota_refusals(), refused.len() as u64);
}
on_both_backends_driven!(quotas_enforced, the_hub_keeps_within_the_quotas_the_simulators_enforce);

/// A push whose answer the hub gave up on (its timeout fired, the client retried) may still be applied by the
/// marketplace after a newer push. The link stays due, is not pushed while the late request may land, and is
/// pushed once more after that: the channel ends at the hub's number.
async fn a_push_the_hub_gave_up_on_is_sent_again_once_it_can_no_longer_land(app: &TestApp) {
    let (sim, channel, variants) = linked(app, ChannelKind::Lazada, 1).await;
    adjust(app, &[(variants[0], 10)]).await;
    round(app, channel.id).await;
    assert_eq!(sim_quantity(&sim, 0), 10);

    // The next request is answered (and applied) after 3 s; the hub gives up at 300 ms and its retry succeeds.
    sim.state.inject(Fault::Slow(3000), 1);
    adjust(app, &[(variants[0], 2)]).await;
    let started = std::time::Instant::now();
    let first = round(app, channel.id).await;
    assert_eq!((first.sent, first.succeeded), (1, 1), "{first:?}");
    let link = link_of(app, channel.id, variants[0]).await;
    let doubt = link.push_in_doubt_until.expect("the request given up on may still land");
    assert!(link.push_pending, "pushed again later");
    assert!(
        doubt > chrono::Utc::now() + chrono::Duration::seconds(3),
        "in doubt longer than the slow answer takes: {doubt}"
    );

    // A newer value goes out before the late request lands, and the late request then overwrites it.
    adjust(app, &[(variants[0], -5)]).await;
    let newer = round(app, channel.id).await;
    assert_eq!((newer.sent, newer.succeeded), (1, 1), "{newer:?}");
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "sent before the late request lands: {:?}",
        started.elapsed()
    );
    assert_eq!(sim_quantity(&sim, 0), 7);
    tokio::time::sleep_until(tokio::time::Instant::from_std(started + Duration::from_millis(3500))).await;
    assert_eq!(sim_quantity(&sim, 0), 12, "the request given up on landed after the newer push");
    assert_eq!(round(app, channel.id).await.links, 0, "nothing is sent while the late request may still land");

    // Once it can no longer land, the hub's value is sent again although it was "already pushed".
    let wait = (doubt - chrono::Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(100);
    tokio::time::sleep(wait).await;
    let repair = round(app, channel.id).await;
    assert_eq!((repair.sent, repair.succeeded), (1, 1), "{repair:?}");
    assert_eq!(sim_quantity(&sim, 0), 7, "the channel ends at the hub's number");
    let link = link_of(app, channel.id, variants[0]).await;
    assert_eq!((link.push_pending, link.push_in_doubt_until, link.last_pushed_quantity), (false, None, Some(7)));
    assert_eq!(round(app, channel.id).await, RoundReport::default(), "settled: nothing more to send");
}

on_both_backends!(
    late_request_pushed_again,
    a_push_the_hub_gave_up_on_is_sent_again_once_it_can_no_longer_land,
    options: crate::helpers::Options { run_workers: false },
    settings: |s| s.channel_timeout_ms = 300
);

async fn link_count_pending(app: &TestApp, channel_id: i64) -> u64 {
    product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel_id))
        .filter(product_link::Column::PushPending.eq(true))
        .count(&app.ctx.db)
        .await
        .expect("count")
}
