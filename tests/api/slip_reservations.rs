//! Export slips and the reservations of real orders (imported from a simulator): a slip takes over the order's
//! reservation, in its own warehouse or released in the order's, and cancelling it gives back exactly that; a
//! property test over random create / export / cancel sequences checks the stock invariants after every step.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use entity::enums::{ExportSlipStatus, OrderStatus};
use entity::{export_slip, export_slip_line, inventory_ledger, inventory_level, order, order_line};
use omnisync::channels::ChannelKind;
use omnisync::graphql::relay::decode_id;

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::on_both_backends;
use crate::orders::{Shop, connect, linked_variant, settle};

const CREATE: &str = "mutation($o: ID!, $w: ID!) { exportSlipCreate(orderId: $o, warehouseId: $w) {
    exportSlip { id lines { quantity movedFromCommitted releasedQuantity releasedWarehouse { id } } }
    userErrors { field code message } } }";
const EXPORT: &str = "mutation($id: ID!) { exportSlipExport(id: $id) { exportSlip { status } userErrors { code } } }";
const CANCEL: &str = "mutation($id: ID!) { exportSlipCancel(id: $id) { exportSlip { status } userErrors { code } } }";
const SKUS: [&str; 2] = ["SKU-0003-1", "SKU-0004-1"];

fn raw(type_name: &str, id: &Value) -> i64 {
    decode_id(type_name, &async_graphql::ID(id.as_str().expect("an id").to_owned())).expect("a global id")
}

/// A Shopee shop with two linked variants holding 50 units in the default warehouse and 50 in another one.
struct Setup {
    shop: Shop,
    default_wh: Value,
    other_wh: Value,
}

async fn setup(app: &TestApp) -> Setup {
    let shop = connect(app, ChannelKind::Shopee, json!({})).await;
    let created =
        app.gql("mutation { warehouseCreate(input: { name: \"Kho Hà Nội\" }) { warehouse { id } } }", json!({})).await;
    let other_wh = created["warehouseCreate"]["warehouse"]["id"].clone();
    for sku in SKUS {
        let variant = linked_variant(app, &shop, sku, 50).await;
        let adjusted = app
            .gql(
                "mutation($v: ID!, $w: ID!) { inventoryAdjustQuantities(input: { reason: RECEIVED, changes: [{ variantId: $v, warehouseId: $w, delta: 50 }] }) { userErrors { code } } }",
                json!({ "v": variant, "w": other_wh }),
            )
            .await;
        assert_eq!(adjusted["inventoryAdjustQuantities"]["userErrors"], json!([]));
    }
    Setup { shop, default_wh: json!(app.default_warehouse_id().await), other_wh }
}

async fn order_ids(app: &TestApp, shop: &Shop) -> Vec<Value> {
    let orders = app
        .gql(
            "query($c: ID!) { orders(first: 100, filter: { channelId: $c }) { edges { node { id } } } }",
            json!({ "c": shop.channel }),
        )
        .await;
    orders["orders"]["edges"].as_array().expect("edges").iter().map(|e| e["node"]["id"].clone()).collect()
}

/// Places an order on the simulator and waits until the hub imported it; returns the order's global id.
async fn place(app: &TestApp, shop: &Shop, sku: &str, quantity: i64) -> Value {
    let before = order_ids(app, shop).await;
    shop.sim.state.create_order(&[(sku.to_owned(), quantity)], None).await.expect("order");
    settle(app, shop).await;
    let after = order_ids(app, shop).await;
    let new: Vec<&Value> = after.iter().filter(|id| !before.contains(id)).collect();
    assert_eq!(new.len(), 1, "one new order imported: {after:?}");
    new[0].clone()
}

async fn order_line_of(app: &TestApp, order: &Value) -> Value {
    let data = app
        .gql(
            "query($id: ID!) { node(id: $id) { ... on Order { status lines { quantity reservedQuantity variant { id } } } } }",
            json!({ "id": order }),
        )
        .await;
    data["node"]["lines"][0].clone()
}

async fn level(app: &TestApp, variant: &Value, warehouse: &Value) -> (i64, i64, i64) {
    let l = inventory_level::Entity::find()
        .filter(inventory_level::Column::VariantId.eq(raw("ProductVariant", variant)))
        .filter(inventory_level::Column::WarehouseId.eq(raw("Warehouse", warehouse)))
        .one(&app.ctx.db)
        .await
        .expect("read")
        .expect("level");
    (l.on_hand, l.committed, l.pending_export)
}

async fn cancelling_a_slip_from_another_warehouse_gives_the_order_its_reservation_back(app: &TestApp) {
    let s = setup(app).await;
    let order = place(app, &s.shop, SKUS[0], 5).await;
    let line = order_line_of(app, &order).await;
    let variant = line["variant"]["id"].clone();
    assert_eq!(line["reservedQuantity"], 5, "the open order reserved its units: {line}");
    assert_eq!(level(app, &variant, &s.default_wh).await, (50, 5, 0));

    // A slip from the other warehouse releases the reservation in the order's warehouse.
    let created = app.gql(CREATE, json!({ "o": order, "w": s.other_wh })).await["exportSlipCreate"].clone();
    assert_eq!(created["userErrors"], json!([]), "{created}");
    assert_eq!(
        created["exportSlip"]["lines"],
        json!([{ "quantity": 5, "movedFromCommitted": 0, "releasedQuantity": 5, "releasedWarehouse": { "id": s.default_wh } }])
    );
    assert_eq!(level(app, &variant, &s.default_wh).await, (50, 0, 0));
    assert_eq!(level(app, &variant, &s.other_wh).await, (50, 0, 5));
    assert_eq!(order_line_of(app, &order).await["reservedQuantity"], 0);

    // Cancelled while the order is open: exactly what the create moved comes back, where it was.
    let cancelled = app.gql(CANCEL, json!({ "id": created["exportSlip"]["id"] })).await["exportSlipCancel"].clone();
    assert_eq!(cancelled["exportSlip"]["status"], "CANCELLED", "{cancelled}");
    assert_eq!(level(app, &variant, &s.default_wh).await, (50, 5, 0), "the order's reservation is back");
    assert_eq!(level(app, &variant, &s.other_wh).await, (50, 0, 0));
    let line = order_line_of(app, &order).await;
    assert_eq!((line["reservedQuantity"].clone(), line["quantity"].clone()), (json!(5), json!(5)));
    let available = app
        .gql(
            "query($v: ID!) { node(id: $v) { ... on ProductVariant { inventoryLevels { warehouse { id } available } } } }",
            json!({ "v": variant }),
        )
        .await;
    let default_available = available["node"]["inventoryLevels"]
        .as_array()
        .expect("levels")
        .iter()
        .find(|l| l["warehouse"]["id"] == s.default_wh)
        .expect("default level")["available"]
        .clone();
    assert_eq!(default_available, 45, "available is not overstated");

    // The same warehouse: units move from committed to pending export and back.
    let created = app.gql(CREATE, json!({ "o": order, "w": s.default_wh })).await["exportSlipCreate"].clone();
    assert_eq!(created["exportSlip"]["lines"][0]["movedFromCommitted"], 5, "{created}");
    assert_eq!(level(app, &variant, &s.default_wh).await, (50, 0, 5));
    app.gql(CANCEL, json!({ "id": created["exportSlip"]["id"] })).await;
    assert_eq!(level(app, &variant, &s.default_wh).await, (50, 5, 0));
    assert_eq!(order_line_of(app, &order).await["reservedQuantity"], 5);
}
on_both_backends!(
    slip_cancel_other_warehouse,
    cancelling_a_slip_from_another_warehouse_gives_the_order_its_reservation_back
);

#[derive(Debug, Clone)]
enum Op {
    Place { sku: usize, quantity: i64 },
    Create { order: usize, other_warehouse: bool },
    Export { slip: usize },
    Cancel { slip: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0..SKUS.len(), 1..5i64).prop_map(|(sku, quantity)| Op::Place { sku, quantity }),
        4 => (0..8usize, any::<bool>()).prop_map(|(order, other_warehouse)| Op::Create { order, other_warehouse }),
        1 => (0..8usize).prop_map(|slip| Op::Export { slip }),
        3 => (0..8usize).prop_map(|slip| Op::Cancel { slip }),
    ]
}

/// After every step: committed per level = the open orders' `reservedQuantity` there; pending export = the units
/// of waiting slips there; each open order line's units are reserved or held by its live slip; the ledger sums to
/// the levels.
async fn check_invariants(app: &TestApp) -> Result<(), String> {
    let db = &app.ctx.db;
    let orders: BTreeMap<i64, order::Model> =
        order::Entity::find().all(db).await.map_err(|e| e.to_string())?.into_iter().map(|o| (o.id, o)).collect();
    let slips: BTreeMap<i64, export_slip::Model> =
        export_slip::Entity::find().all(db).await.map_err(|e| e.to_string())?.into_iter().map(|s| (s.id, s)).collect();
    let slip_lines = export_slip_line::Entity::find().all(db).await.map_err(|e| e.to_string())?;
    let mut committed: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    let mut pending: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    let mut held: BTreeMap<i64, i64> = BTreeMap::new();
    for l in &slip_lines {
        let slip = &slips[&l.slip_id];
        if slip.status == ExportSlipStatus::Waiting {
            *pending.entry((l.variant_id, slip.warehouse_id)).or_default() += l.quantity;
        }
        if slip.status != ExportSlipStatus::Cancelled
            && let Some(line) = l.order_line_id
        {
            *held.entry(line).or_default() += l.moved_from_committed + l.released_quantity;
        }
    }
    for line in order_line::Entity::find().all(db).await.map_err(|e| e.to_string())? {
        let o = &orders[&line.order_id];
        let (Some(variant), Some(wh)) = (line.variant_id, o.warehouse_id) else { continue };
        if !matches!(o.hub_status, OrderStatus::Pending | OrderStatus::ReadyToShip) {
            return Err(format!("order {} is no longer open: {:?}", o.id, o.hub_status));
        }
        *committed.entry((variant, wh)).or_default() += line.reserved_quantity;
        let taken = held.get(&line.id).copied().unwrap_or_default();
        if line.reserved_quantity + taken != line.quantity {
            return Err(format!(
                "order line {}: reserved {} + held by its slip {taken} != {} units",
                line.id, line.reserved_quantity, line.quantity
            ));
        }
    }
    let mut sums: BTreeMap<(i64, i64), (i64, i64, i64)> = BTreeMap::new();
    for row in inventory_ledger::Entity::find().all(db).await.map_err(|e| e.to_string())? {
        let e = sums.entry((row.variant_id, row.warehouse_id)).or_default();
        e.0 += row.on_hand_delta;
        e.1 += row.committed_delta;
        e.2 += row.pending_export_delta;
    }
    for l in inventory_level::Entity::find().all(db).await.map_err(|e| e.to_string())? {
        let key = (l.variant_id, l.warehouse_id);
        let expected =
            (committed.get(&key).copied().unwrap_or_default(), pending.get(&key).copied().unwrap_or_default());
        if (l.committed, l.pending_export) != expected {
            return Err(format!(
                "level {key:?}: committed {} / pending export {}, expected {expected:?} from the orders and slips",
                l.committed, l.pending_export
            ));
        }
        if sums.get(&key).copied().unwrap_or_default() != (l.on_hand, l.committed, l.pending_export) {
            return Err(format!("level {key:?}: the ledger does not sum to it"));
        }
    }
    Ok(())
}

/// Runs one generated sequence through the API, checking the invariants after each step.
async fn run_case(app: &TestApp, s: &Setup, ops: &[Op]) -> Result<(), String> {
    let (mut orders, mut slips) = (Vec::new(), Vec::new());
    for (step, op) in ops.iter().enumerate() {
        match op {
            Op::Place { sku, quantity } => orders.push(place(app, &s.shop, SKUS[*sku], *quantity).await),
            Op::Create { order, other_warehouse } if !orders.is_empty() => {
                let wh = if *other_warehouse { &s.other_wh } else { &s.default_wh };
                let created = app.gql(CREATE, json!({ "o": orders[order % orders.len()], "w": wh })).await;
                let id = created["exportSlipCreate"]["exportSlip"]["id"].clone();
                if !id.is_null() {
                    slips.push(id);
                }
            }
            Op::Export { slip } | Op::Cancel { slip } if !slips.is_empty() => {
                let id = slips[slip % slips.len()].clone();
                let query = if matches!(op, Op::Export { .. }) { EXPORT } else { CANCEL };
                app.gql(query, json!({ "id": id })).await;
            }
            _ => continue,
        }
        check_invariants(app).await.map_err(|e| format!("after step {step} ({op:?}) of {ops:?}: {e}"))?;
    }
    Ok(())
}

fn slips_restore_exactly_what_they_took(backend: Backend) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let Some(app) = rt.block_on(spawn_app(backend)) else { return };
    let s = rt.block_on(setup(&app));
    let mut runner = TestRunner::new(Config { cases: 12, failure_persistence: None, ..Config::default() });
    let result = runner.run(&prop::collection::vec(op(), 1..14), |ops| {
        rt.block_on(run_case(&app, &s, &ops)).map_err(TestCaseError::fail)
    });
    rt.block_on(app.cleanup());
    result.unwrap_or_else(|failure| panic!("{failure}"));
}

#[test]
fn slips_restore_exactly_what_they_took_on_sqlite() {
    slips_restore_exactly_what_they_took(Backend::Sqlite);
}

#[test]
fn slips_restore_exactly_what_they_took_on_postgres_and_redis() {
    slips_restore_exactly_what_they_took(Backend::PostgresRedis);
}
