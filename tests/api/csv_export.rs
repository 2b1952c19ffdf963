//! Issue 21, item 3 (exports): products with their variants, stock per warehouse and the order lines of a period
//! as CSV — UTF-8 with a byte-order mark, Vietnamese text and quoting intact — read back with a CSV reader. On
//! both backends.

use serde_json::{Value, json};

use omnisync::channels::ChannelKind;
use omnisync::sim::Buyer;

use crate::helpers::TestApp;
use crate::on_both_backends_driven;
use crate::orders::{connect, linked_variant, settle};

const EXPORT: &str = "query($i: CsvExportInput!) { csvExport(input: $i) { filename contentType content rowCount } }";

/// The export's (header, rows), after checking the byte-order mark and the row count.
async fn export(app: &TestApp, input: Value) -> (Vec<String>, Vec<Vec<String>>) {
    let data = app.gql(EXPORT, json!({ "i": input })).await;
    let file = &data["csvExport"];
    assert_eq!(file["contentType"], "text/csv; charset=utf-8");
    let content = file["content"].as_str().expect("content");
    let body = content.strip_prefix('\u{feff}').unwrap_or_else(|| panic!("no byte-order mark: {content:?}"));
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader.headers().expect("header").iter().map(str::to_owned).collect();
    let rows: Vec<Vec<String>> =
        reader.records().map(|r| r.expect("a row").iter().map(str::to_owned).collect()).collect();
    assert_eq!(file["rowCount"], json!(rows.len()), "{content}");
    assert!(file["filename"].as_str().is_some_and(|f| f.ends_with(".csv")), "{file}");
    (header, rows)
}

fn cell<'a>(header: &[String], row: &'a [String], column: &str) -> &'a str {
    let i = header.iter().position(|h| h == column).unwrap_or_else(|| panic!("no column {column}: {header:?}"));
    &row[i]
}

async fn refused(app: &TestApp, input: Value) -> (String, String) {
    let body = app.graphql(EXPORT, json!({ "i": input })).await;
    let error = &body["errors"][0];
    (error["extensions"]["code"].as_str().unwrap_or("").to_owned(), error["message"].as_str().unwrap_or("").to_owned())
}

async fn catalog_stock_and_orders_export_as_csv(app: &TestApp) {
    let product = app
        .create_product(
            "Áo thun \"basic\", cổ tròn",
            json!([
                { "sku": "AT-DO-M", "barcode": "893000000001", "price": "149000", "costPrice": "80000",
                  "options": [{ "name": "Màu", "value": "Đỏ" }, { "name": "Size", "value": "M" }], "unit": "cái" },
                { "sku": "AT-XANH-L", "price": "159000",
                  "options": [{ "name": "Màu", "value": "Xanh lá" }, { "name": "Size", "value": "L" }] },
            ]),
        )
        .await;
    let red = product["variants"][0]["id"].clone();
    let wh = app.default_warehouse_id().await;
    let adjusted = app
        .gql(
            "mutation($v: ID!, $w: ID!) { inventoryAdjustQuantities(input: { reason: RECEIVED, changes: [{ variantId: $v, warehouseId: $w, delta: 12 }] }) { userErrors { code } } }",
            json!({ "v": red, "w": wh }),
        )
        .await;
    assert_eq!(adjusted["inventoryAdjustQuantities"]["userErrors"], json!([]));

    let (header, rows) = export(app, json!({ "kind": "PRODUCTS" })).await;
    assert_eq!(header[..6], ["product_title", "vendor", "product_type", "variant_title", "sku", "barcode"]);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let red_row = rows.iter().find(|r| cell(&header, r, "sku") == "AT-DO-M").expect("the red row");
    assert_eq!(cell(&header, red_row, "product_title"), "Áo thun \"basic\", cổ tròn", "quotes and commas round-trip");
    assert_eq!((cell(&header, red_row, "option1_name"), cell(&header, red_row, "option1_value")), ("Màu", "Đỏ"));
    assert_eq!(
        (cell(&header, red_row, "price"), cell(&header, red_row, "cost_price"), cell(&header, red_row, "list_price")),
        ("149000", "80000", "")
    );
    assert_eq!((cell(&header, red_row, "unit"), cell(&header, red_row, "track_inventory")), ("cái", "true"));

    let (header, rows) = export(app, json!({ "kind": "STOCK", "warehouseId": wh })).await;
    let red_level = rows.iter().find(|r| cell(&header, r, "sku") == "AT-DO-M").expect("the red level");
    assert_eq!(
        ["on_hand", "committed", "pending_export", "available"].map(|c| cell(&header, red_level, c)),
        ["12", "0", "0", "12"]
    );
    assert_eq!(cell(&header, red_level, "product_title"), "Áo thun \"basic\", cổ tròn");
    let nowhere = omnisync::graphql::relay::global_id("Warehouse", 999_999);
    assert_eq!(refused(app, json!({ "kind": "STOCK", "warehouseId": nowhere.as_str() })).await.0, "NOT_FOUND");

    // Orders: one line per row, for the period asked.
    let lazada = connect(app, ChannelKind::Lazada, json!({})).await;
    linked_variant(app, &lazada, "SKU-0001-1", 5).await;
    let buyer = Buyer { name: "Trần Thị Bích".to_owned(), phone: "0901234567".to_owned() };
    lazada
        .sim
        .state
        .create_order_by(&buyer, &[("SKU-0001-1".to_owned(), 2), ("SKU-0002-1".to_owned(), 1)], None)
        .await
        .expect("order");
    settle(app, &lazada).await;
    let now = chrono::Utc::now();
    let period = |from: chrono::DateTime<chrono::Utc>, before: chrono::DateTime<chrono::Utc>| json!({ "kind": "ORDERS", "placedFrom": from.to_rfc3339(), "placedBefore": before.to_rfc3339() });
    let (header, rows) = export(app, period(now - chrono::Duration::days(1), now + chrono::Duration::hours(1))).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(cell(&header, &rows[0], "customer_name"), "Trần Thị Bích");
    assert_eq!(cell(&header, &rows[0], "customer_phone"), "+84901234567");
    assert_eq!((cell(&header, &rows[0], "sku"), cell(&header, &rows[0], "quantity")), ("SKU-0001-1", "2"));
    assert_eq!(cell(&header, &rows[0], "channel"), "lazada shop");
    let (_, none) = export(app, period(now - chrono::Duration::days(3), now - chrono::Duration::days(2))).await;
    assert_eq!(none, Vec::<Vec<String>>::new(), "orders outside the period are not written");

    assert_eq!(refused(app, json!({ "kind": "ORDERS" })).await.0, "BLANK");
    let (code, message) = refused(app, period(now - chrono::Duration::days(400), now)).await;
    assert_eq!(code, "INVALID", "{message}");
    assert!(message.contains("366 days"), "{message}");
}
on_both_backends_driven!(csv_exports, catalog_stock_and_orders_export_as_csv);
