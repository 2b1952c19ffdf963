//! Export slips (SPEC §5) and recorded returns (SPEC §4) on real data, the refusals that change nothing, and the
//! ledger summing exactly to the levels after 1,000 random mixed operations.

use std::collections::BTreeMap;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use entity::enums::{LedgerReason, LedgerReference, OrderStatus, PaymentStatus};
use entity::{inventory_ledger, inventory_level, order, order_line};
use omnisync::domain::inventory::Delta;
use omnisync::graphql::relay::{decode_id, global_id};
use omnisync::services::export_slips::{self as slips, ReturnInput, ReturnLineInput};
use omnisync::services::inventory::{self, AdjustChange, Movement, SetQuantity};
use omnisync::services::{ServiceError, catalog};

use crate::helpers::{TestApp, start_sim};
use crate::on_both_backends;

const CREATE: &str = "mutation($o: ID!, $w: ID!) { exportSlipCreate(orderId: $o, warehouseId: $w) {
    exportSlip { id code status order { id } lines { quantity movedFromCommitted variant { sku } } }
    levels { onHand committed pendingExport available }
    userErrors { field code message } } }";
const EXPORT: &str = "mutation($id: ID!) { exportSlipExport(id: $id) { exportSlip { status exportedAt } userErrors { field code message } } }";
const CANCEL: &str = "mutation($id: ID!) { exportSlipCancel(id: $id) { exportSlip { status cancelledAt } userErrors { field code message } } }";
const RETURN: &str = "mutation($o: ID!, $lines: [OrderReturnLineInput!]!, $w: ID) { orderReturnRecord(orderId: $o, lines: $lines, warehouseId: $w) {
    orderReturn { status lines { quantity restockQuantity } } levels { onHand } userErrors { field code message } } }";

struct Shop {
    channel_id: i64,
    default_wh: i64,
    other_wh: i64,
    /// Variant ids of SKUs A, B, C (C never linked to an order line in tests that need an unlinked line).
    variants: Vec<i64>,
}

async fn shop(app: &TestApp) -> Shop {
    let sim = start_sim(omnisync::channels::ChannelKind::Lazada, 0);
    let channel = omnisync::sim::fixtures::connect_sim(&app.ctx, &sim).await.expect("channel");
    let db = &app.ctx.db;
    let default_wh = catalog::default_warehouse(db).await.expect("default").id;
    let other_wh =
        catalog::warehouse_create(db, catalog::WarehouseFields { name: Some("Kho phụ".into()), ..Default::default() })
            .await
            .expect("warehouse")
            .id;
    let mut variants = Vec::new();
    for sku in ["A", "B", "C"] {
        let p = app.create_product(&format!("Hàng {sku}"), json!([{ "sku": sku, "price": "50000" }])).await;
        variants.push(
            decode_id("ProductVariant", &async_graphql::ID(p["variants"][0]["id"].as_str().expect("id").to_owned()))
                .expect("variant id"),
        );
    }
    let wh_of = |id| id;
    let changes = variants
        .iter()
        .flat_map(|v| {
            [
                AdjustChange { variant_id: *v, warehouse_id: wh_of(default_wh), delta: 10 },
                AdjustChange { variant_id: *v, warehouse_id: other_wh, delta: 10 },
            ]
        })
        .collect();
    inventory::adjust(db, &crate::helpers::tests_actor(), LedgerReason::Received, None, changes)
        .await
        .expect("stocked")
        .into_parts();
    Shop { channel_id: channel.id, default_wh, other_wh, variants }
}

/// An order as the order engine leaves it: lines `(variant or None, quantity)`, `reserved` units committed in
/// the default warehouse.
async fn order_with(
    app: &TestApp,
    shop: &Shop,
    status: OrderStatus,
    lines: &[(Option<i64>, i64)],
    reserve: bool,
) -> (i64, Vec<i64>) {
    let db = &app.ctx.db;
    let now = chrono::Utc::now();
    let o = order::ActiveModel {
        channel_id: Set(shop.channel_id),
        external_id: Set(ulid::Ulid::generate().to_string()),
        order_number: Set(Some(format!("LZ{}", now.timestamp_micros()))),
        hub_status: Set(status),
        channel_status: Set(None),
        payment_status: Set(PaymentStatus::Paid),
        customer_id: Set(None),
        customer_name: Set(None),
        customer_phone: Set(None),
        customer_email: Set(None),
        shipping_address: Set(None),
        currency: Set("VND".into()),
        subtotal_minor: Set(0),
        shipping_fee_minor: Set(0),
        discount_minor: Set(0),
        total_minor: Set(0),
        refunded_minor: Set(0),
        warehouse_id: Set(Some(shop.default_wh)),
        has_unlinked_lines: Set(lines.iter().any(|(v, _)| v.is_none())),
        cancel_reason: Set(None),
        placed_at: Set(now),
        channel_updated_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("order");
    let mut ids = Vec::new();
    for (i, (variant, quantity)) in lines.iter().enumerate() {
        let reserved = if reserve && variant.is_some() { *quantity } else { 0 };
        let line = order_line::ActiveModel {
            order_id: Set(o.id),
            external_line_id: Set(Some(format!("l{i}"))),
            listing_id: Set(None),
            seller_sku: Set(Some(format!("SKU{i}"))),
            variant_id: Set(*variant),
            title: Set(format!("Line {i}")),
            variant_title: Set(None),
            quantity: Set(*quantity),
            price_minor: Set(50_000),
            discount_minor: Set(0),
            reserved_quantity: Set(reserved),
            fulfilled_quantity: Set(0),
            returned_quantity: Set(0),
            unit: Set(None),
            image_url: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("line");
        if reserved > 0 {
            let v = catalog::variant(db, variant.expect("variant")).await.expect("read").expect("variant");
            let txn = omnisync::services::begin_write(db).await.expect("txn");
            let m = Movement {
                variant_id: v.id,
                warehouse_id: shop.default_wh,
                delta: Delta { committed: reserved, ..Delta::default() },
                reason: LedgerReason::OrderReserved,
                reference: Some((LedgerReference::Order, o.id)),
                note: None,
                order_channel: Some(o.channel_id),
            };
            inventory::apply_movement(&txn, &crate::helpers::tests_actor(), &v, &m).await.expect("reserved");
            txn.commit().await.expect("commit");
        }
        ids.push(line.id);
    }
    (o.id, ids)
}

async fn level(app: &TestApp, variant: i64, warehouse: i64) -> (i64, i64, i64, i64) {
    let l = inventory_level::Entity::find()
        .filter(inventory_level::Column::VariantId.eq(variant))
        .filter(inventory_level::Column::WarehouseId.eq(warehouse))
        .one(&app.ctx.db)
        .await
        .expect("read")
        .expect("level");
    (l.on_hand, l.committed, l.pending_export, l.on_hand - l.committed - l.pending_export)
}

async fn reserved_of(app: &TestApp, line: i64) -> i64 {
    order_line::Entity::find_by_id(line).one(&app.ctx.db).await.expect("read").expect("line").reserved_quantity
}

async fn create(app: &TestApp, order: i64, warehouse: i64) -> Value {
    app.gql(CREATE, json!({ "o": global_id("Order", order), "w": global_id("Warehouse", warehouse) })).await["exportSlipCreate"].clone()
}

async fn export_slips_move_stock_as_the_manual_says_and_never_count_a_reservation_twice(app: &TestApp) {
    let s = shop(app).await;
    let (a, b) = (s.variants[0], s.variants[1]);

    // No reservation (processing order): available − 3, pending export + 3.
    let (order1, _) = order_with(app, &s, OrderStatus::Pending, &[(Some(a), 3)], false).await;
    let created = create(app, order1, s.default_wh).await;
    assert_eq!(created["userErrors"], json!([]), "{created}");
    assert_eq!(created["exportSlip"]["status"], "WAITING");
    assert_eq!(
        created["exportSlip"]["lines"],
        json!([{ "quantity": 3, "movedFromCommitted": 0, "variant": { "sku": "A" } }])
    );
    assert_eq!(level(app, a, s.default_wh).await, (10, 0, 3, 7));
    // Export: pending export − 3, on hand − 3.
    let slip1 = created["exportSlip"]["id"].clone();
    let exported = app.gql(EXPORT, json!({ "id": slip1 })).await["exportSlipExport"].clone();
    assert_eq!((exported["exportSlip"]["status"].as_str(), &exported["userErrors"]), (Some("EXPORTED"), &json!([])));
    assert_eq!(level(app, a, s.default_wh).await, (7, 0, 0, 7));
    let order_status =
        order::Entity::find_by_id(order1).one(&app.ctx.db).await.expect("read").expect("order").hub_status;
    assert_eq!(order_status, OrderStatus::Pending, "a slip never changes the order's status");

    // A reserved order, slip in the same warehouse: the reservation moves to pending export (available stays).
    let (order2, lines2) = order_with(app, &s, OrderStatus::ReadyToShip, &[(Some(b), 2)], true).await;
    assert_eq!(level(app, b, s.default_wh).await, (10, 2, 0, 8));
    let created = create(app, order2, s.default_wh).await;
    assert_eq!(created["exportSlip"]["lines"][0]["movedFromCommitted"], 2);
    assert_eq!(level(app, b, s.default_wh).await, (10, 0, 2, 8), "not counted twice");
    assert_eq!(reserved_of(app, lines2[0]).await, 0, "the slip holds those units now");
    // Cancel while the order is open: the units go back to the order's reservation.
    let cancelled = app.gql(CANCEL, json!({ "id": created["exportSlip"]["id"] })).await["exportSlipCancel"].clone();
    assert_eq!(cancelled["exportSlip"]["status"], "CANCELLED");
    assert_eq!(level(app, b, s.default_wh).await, (10, 2, 0, 8));
    assert_eq!(reserved_of(app, lines2[0]).await, 2);

    // A reserved order, slip in another warehouse: the reservation is released where it was.
    let created = create(app, order2, s.other_wh).await;
    assert_eq!(created["userErrors"], json!([]), "a cancelled slip does not block a new one");
    assert_eq!(created["exportSlip"]["code"].as_str().map(|c| c.ends_with("-2")), Some(true));
    assert_eq!(level(app, b, s.default_wh).await, (10, 0, 0, 10), "released in the order's warehouse");
    assert_eq!(level(app, b, s.other_wh).await, (10, 0, 2, 8), "pending export where the goods leave");
    assert_eq!(reserved_of(app, lines2[0]).await, 0);

    // The ledger tells each step, pointing at the slip.
    let reasons: Vec<LedgerReason> = inventory_ledger::Entity::find()
        .filter(inventory_ledger::Column::ReferenceType.eq(LedgerReference::ExportSlip))
        .all(&app.ctx.db)
        .await
        .expect("ledger")
        .into_iter()
        .map(|l| l.reason)
        .collect();
    use LedgerReason::*;
    assert_eq!(
        reasons,
        [
            ExportSlipCreated,
            ExportSlipExported,
            ExportSlipCreated,
            ExportSlipCancelled,
            OrderReleased,
            ExportSlipCreated
        ]
    );

    // Lists by status and by order.
    let waiting = app
        .gql(
            "{ exportSlips(first: 10, filter: { status: WAITING }) { totalCount edges { node { code } } } }",
            json!({}),
        )
        .await;
    assert_eq!(waiting["exportSlips"]["totalCount"], 1);
    let of_order = app
        .gql(
            "query($o: ID!) { exportSlips(first: 10, filter: { orderId: $o }) { totalCount } }",
            json!({ "o": global_id("Order", order2) }),
        )
        .await;
    assert_eq!(of_order["exportSlips"]["totalCount"], 2);
    let node = app
        .gql("query($id: ID!) { node(id: $id) { ... on ExportSlip { code status } } }", json!({ "id": slip1 }))
        .await;
    assert_eq!(node["node"]["status"], "EXPORTED");
}
on_both_backends!(export_slip_effects, export_slips_move_stock_as_the_manual_says_and_never_count_a_reservation_twice);

async fn bad_slip_requests_are_refused_and_change_nothing(app: &TestApp) {
    let s = shop(app).await;
    let a = s.variants[0];
    let before = level(app, a, s.default_wh).await;
    let code_of =
        |v: &Value| (v["userErrors"][0]["code"].as_str().unwrap_or("").to_owned(), v["userErrors"][0]["field"].clone());

    let (cancelled, _) = order_with(app, &s, OrderStatus::Cancelled, &[(Some(a), 1)], false).await;
    let refused = create(app, cancelled, s.default_wh).await;
    assert_eq!(code_of(&refused), ("INVALID_STATE".into(), json!(["orderId"])));
    assert!(refused["userErrors"][0]["message"].as_str().unwrap_or_default().contains("CANCELLED"));
    let (failed, _) = order_with(app, &s, OrderStatus::DeliveryFailed, &[(Some(a), 1)], false).await;
    assert_eq!(code_of(&create(app, failed, s.default_wh).await).0, "INVALID_STATE");

    let (unlinked, _) = order_with(app, &s, OrderStatus::Pending, &[(Some(a), 1), (None, 2)], false).await;
    let refused = create(app, unlinked, s.default_wh).await;
    assert_eq!(code_of(&refused), ("UNLINKED_ORDER_LINES".into(), json!(["orderId"])));
    assert!(refused["userErrors"][0]["message"].as_str().unwrap_or_default().contains("SKU1"), "{refused}");

    let unknown = app
        .gql(CREATE, json!({ "o": global_id("Order", 999_999), "w": global_id("Warehouse", 999_999) }))
        .await["exportSlipCreate"]
        .clone();
    let codes: Vec<(&str, &Value)> = unknown["userErrors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["code"].as_str().unwrap_or(""), &e["field"]))
        .collect();
    assert_eq!(codes, [("NOT_FOUND", &json!(["orderId"])), ("NOT_FOUND", &json!(["warehouseId"]))]);
    let bad_id = app
        .gql(CREATE, json!({ "o": global_id("Product", 1), "w": global_id("Warehouse", s.default_wh) }))
        .await["exportSlipCreate"]
        .clone();
    assert_eq!(code_of(&bad_id), ("INVALID_ID".into(), json!(["orderId"])));
    assert_eq!(level(app, a, s.default_wh).await, before, "nothing moved");

    // Exporting a cancelled slip, cancelling an exported one, a second live slip.
    let (o, _) = order_with(app, &s, OrderStatus::InTransit, &[(Some(a), 1)], false).await;
    let slip = create(app, o, s.default_wh).await["exportSlip"]["id"].clone();
    assert_eq!(code_of(&create(app, o, s.default_wh).await).0, "INVALID_STATE", "one live slip per order");
    app.gql(CANCEL, json!({ "id": slip })).await;
    let after_cancel = level(app, a, s.default_wh).await;
    let refused = app.gql(EXPORT, json!({ "id": slip })).await["exportSlipExport"].clone();
    assert_eq!((code_of(&refused).0.as_str(), &refused["exportSlip"]), ("INVALID_STATE", &json!(null)));
    let (o2, _) = order_with(app, &s, OrderStatus::Delivered, &[(Some(a), 1)], false).await;
    let slip2 = create(app, o2, s.default_wh).await["exportSlip"]["id"].clone();
    app.gql(EXPORT, json!({ "id": slip2 })).await;
    let after_export = level(app, a, s.default_wh).await;
    let refused = app.gql(CANCEL, json!({ "id": slip2 })).await["exportSlipCancel"].clone();
    assert_eq!(code_of(&refused), ("INVALID_STATE".into(), json!(["id"])));
    assert_eq!(level(app, a, s.default_wh).await, after_export, "nothing moved");
    assert_eq!(after_cancel, before, "a cancelled slip gave its units back");
    let missing = app.gql(EXPORT, json!({ "id": global_id("ExportSlip", 999_999) })).await["exportSlipExport"].clone();
    assert_eq!(code_of(&missing), ("NOT_FOUND".into(), json!(["id"])));
}
on_both_backends!(export_slip_refusals, bad_slip_requests_are_refused_and_change_nothing);

async fn a_recorded_return_restocks_the_chosen_units_and_refuses_more_than_was_sold(app: &TestApp) {
    let s = shop(app).await;
    let (a, b) = (s.variants[0], s.variants[1]);
    let (o, lines) = order_with(app, &s, OrderStatus::Delivered, &[(Some(a), 3), (Some(b), 1)], false).await;
    let line = |i: usize| global_id("OrderLine", lines[i]);

    let first = app
        .gql(RETURN, json!({ "o": global_id("Order", o), "lines": [{ "orderLineId": line(0), "quantity": 2, "restock": true }, { "orderLineId": line(1), "quantity": 1, "restock": false }] }))
        .await["orderReturnRecord"]
        .clone();
    assert_eq!(first["userErrors"], json!([]), "{first}");
    assert_eq!(first["orderReturn"]["status"], "RESTOCKED");
    assert_eq!(
        first["orderReturn"]["lines"],
        json!([{ "quantity": 2, "restockQuantity": 2 }, { "quantity": 1, "restockQuantity": 0 }])
    );
    assert_eq!(level(app, a, s.default_wh).await.0, 12, "two back on hand");
    assert_eq!(level(app, b, s.default_wh).await.0, 10, "recorded, not restocked");
    let restocked = inventory_ledger::Entity::find()
        .filter(inventory_ledger::Column::Reason.eq(LedgerReason::ReturnRestocked))
        .all(&app.ctx.db)
        .await
        .expect("ledger");
    assert_eq!(
        restocked.iter().map(|l| (l.variant_id, l.on_hand_delta, l.reference_type)).collect::<Vec<_>>(),
        [(a, 2, Some(LedgerReference::Return))]
    );

    // Only one of line 0 is left to return.
    let refused = app.gql(RETURN, json!({ "o": global_id("Order", o), "lines": [{ "orderLineId": line(0), "quantity": 2, "restock": true }] })).await["orderReturnRecord"].clone();
    assert_eq!(
        (refused["userErrors"][0]["code"].as_str(), &refused["userErrors"][0]["field"]),
        (Some("RETURN_EXCEEDS_SOLD"), &json!(["lines", "0", "quantity"]))
    );
    assert!(refused["userErrors"][0]["message"].as_str().unwrap_or_default().contains("only 1 can be"), "{refused}");
    assert_eq!(level(app, a, s.default_wh).await.0, 12, "nothing changed");
    // The order lists its returns (the refused one is not there).
    let listed = app
        .gql(
            "query($o: ID!) { order(id: $o) { returns { id status lines { quantity restockQuantity } } } }",
            json!({ "o": global_id("Order", o) }),
        )
        .await;
    assert_eq!(listed["order"]["returns"].as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed["order"]["returns"][0]["lines"], first["orderReturn"]["lines"], "{listed}");
    assert_eq!(listed["order"]["returns"][0]["status"], "RESTOCKED", "{listed}");
    // Into another warehouse.
    let other = app
        .gql(RETURN, json!({ "o": global_id("Order", o), "lines": [{ "orderLineId": line(0), "quantity": 1, "restock": true }], "w": global_id("Warehouse", s.other_wh) }))
        .await["orderReturnRecord"]
        .clone();
    assert_eq!(other["userErrors"], json!([]));
    assert_eq!(level(app, a, s.other_wh).await.0, 11);
    // A line of another order, and an unknown order.
    let (o2, lines2) = order_with(app, &s, OrderStatus::Delivered, &[(Some(a), 1)], false).await;
    let wrong = app.gql(RETURN, json!({ "o": global_id("Order", o2), "lines": [{ "orderLineId": line(1), "quantity": 1, "restock": true }] })).await["orderReturnRecord"].clone();
    assert_eq!(wrong["userErrors"][0]["code"], "NOT_FOUND");
    let zero = app.gql(RETURN, json!({ "o": global_id("Order", o2), "lines": [{ "orderLineId": global_id("OrderLine", lines2[0]), "quantity": 0, "restock": true }] })).await["orderReturnRecord"].clone();
    assert_eq!(zero["userErrors"][0]["code"], "INVALID");
}
on_both_backends!(returns, a_recorded_return_restocks_the_chosen_units_and_refuses_more_than_was_sold);

/// 1,000 random operations of every kind that moves stock; afterwards every level equals the sum of its ledger
/// rows, and no reservation or pending export is negative.
async fn the_ledger_sums_exactly_to_the_levels_after_a_thousand_random_mixed_operations(app: &TestApp) {
    use rand::{Rng, SeedableRng};
    let s = shop(app).await;
    let db = &app.ctx.db;
    let warehouses = [s.default_wh, s.other_wh];
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_130);
    let mut slips_waiting: Vec<i64> = Vec::new();
    let mut delivered: Vec<(i64, Vec<i64>)> = Vec::new();
    let (mut applied, mut refused) = (0, 0);
    for _ in 0..1000 {
        let v = s.variants[rng.random_range(0..s.variants.len())];
        let w = warehouses[rng.random_range(0..2)];
        let outcome: Result<(), ServiceError> = match rng.random_range(0..8) {
            0 | 1 => inventory::adjust(
                db,
                &crate::helpers::tests_actor(),
                LedgerReason::Adjustment,
                None,
                vec![AdjustChange { variant_id: v, warehouse_id: w, delta: rng.random_range(-6..=8) }],
            )
            .await
            .map(|_| ()),
            2 => inventory::set(
                db,
                &crate::helpers::tests_actor(),
                LedgerReason::Correction,
                None,
                vec![SetQuantity {
                    variant_id: v,
                    warehouse_id: w,
                    on_hand: rng.random_range(0..30),
                    compare_on_hand: None,
                }],
            )
            .await
            .map(|_| ()),
            3 => {
                let status =
                    [OrderStatus::Pending, OrderStatus::ReadyToShip, OrderStatus::Delivered][rng.random_range(0..3)];
                let (o, lines) =
                    order_with(app, &s, status, &[(Some(v), rng.random_range(1..4))], rng.random_bool(0.5)).await;
                delivered.push((o, lines));
                slips::create(db, &crate::helpers::tests_actor(), o, w)
                    .await
                    .map(|c| slips_waiting.push(c.into_parts().0.slip.id))
            }
            4 if !slips_waiting.is_empty() => {
                let id = slips_waiting.swap_remove(rng.random_range(0..slips_waiting.len()));
                slips::export(db, &crate::helpers::tests_actor(), id).await.map(|_| ())
            }
            5 if !slips_waiting.is_empty() => {
                let id = slips_waiting.swap_remove(rng.random_range(0..slips_waiting.len()));
                slips::cancel(db, &crate::helpers::tests_actor(), id).await.map(|_| ())
            }
            6 if !delivered.is_empty() => {
                let (o, lines) = delivered[rng.random_range(0..delivered.len())].clone();
                let input = ReturnInput {
                    order_id: o,
                    warehouse_id: Some(w),
                    note: None,
                    lines: vec![ReturnLineInput {
                        order_line_id: lines[0],
                        quantity: rng.random_range(1..3),
                        restock: rng.random_bool(0.7),
                    }],
                    refunded: None,
                };
                slips::record_return(db, &crate::helpers::tests_actor(), input).await.map(|_| ())
            }
            _ => inventory::adjust(
                db,
                &crate::helpers::tests_actor(),
                LedgerReason::Received,
                None,
                vec![AdjustChange { variant_id: v, warehouse_id: w, delta: rng.random_range(1..=5) }],
            )
            .await
            .map(|_| ()),
        };
        match outcome {
            Ok(()) => applied += 1,
            Err(ServiceError::Rejected(_)) => refused += 1,
            Err(other) => panic!("unexpected fault: {other:?}"),
        }
    }
    assert!(applied > 700 && refused > 0, "a real mix: {applied} applied, {refused} refused");
    let mut sums: BTreeMap<(i64, i64), (i64, i64, i64)> = BTreeMap::new();
    for row in inventory_ledger::Entity::find().all(db).await.expect("ledger") {
        let e = sums.entry((row.variant_id, row.warehouse_id)).or_default();
        e.0 += row.on_hand_delta;
        e.1 += row.committed_delta;
        e.2 += row.pending_export_delta;
    }
    let levels = inventory_level::Entity::find().all(db).await.expect("levels");
    assert!(!levels.is_empty());
    for l in levels {
        let sum = sums.get(&(l.variant_id, l.warehouse_id)).copied().unwrap_or_default();
        assert_eq!(
            sum,
            (l.on_hand, l.committed, l.pending_export),
            "level of variant {} in warehouse {}",
            l.variant_id,
            l.warehouse_id
        );
        assert!(l.committed >= 0 && l.pending_export >= 0);
    }
}
on_both_backends!(ledger_property, the_ledger_sums_exactly_to_the_levels_after_a_thousand_random_mixed_operations);
