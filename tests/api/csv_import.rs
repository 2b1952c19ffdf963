//! Issue 21, item 3 (imports): a stock count and products with variants from CSV, as a CSV_IMPORT run — a dry run
//! listing what would change, each rejected row reported by line and column, nothing applied while any row is
//! rejected, the byte-order mark and Vietnamese text taken as written, an exported file importing back. On both
//! backends.

use serde_json::{Value, json};

use omnisync::channels::ChannelKind;

use crate::helpers::TestApp;
use crate::on_both_backends_driven;
use crate::orders::{connect, linked_variant};

const IMPORT: &str = "mutation($i: CsvImportInput!) { csvImport(input: $i) { syncRun { id status } userErrors { field code message } } }";
const ROWS: &str =
    "query($r: ID!, $rejected: Boolean!) { csvImportRows(runId: $r, rejectedOnly: $rejected, first: 100) {
    edges { node { line outcome applied sku column errorCode message onHandBefore onHandAfter
        warehouse { code } variant { sku price { amount } } product { title } } } } }";
const EXPORT: &str = "query($i: CsvExportInput!) { csvExport(input: $i) { content } }";

/// Starts an import as `token` (the app's own token when None) and waits for its run; returns (run, rows).
async fn import(app: &TestApp, token: Option<&str>, input: Value) -> (Value, Vec<Value>) {
    let body = match token {
        Some(token) => app.graphql_as(token, IMPORT, json!({ "i": input })).await,
        None => app.graphql(IMPORT, json!({ "i": input })).await,
    };
    let payload = &body["data"]["csvImport"];
    assert_eq!(payload["userErrors"], json!([]), "{body}");
    let run_id = payload["syncRun"]["id"].as_str().unwrap_or_else(|| panic!("a run: {body}")).to_owned();
    let run = app.wait_for_run(&run_id).await;
    (run, rows(app, &run_id, false).await)
}

async fn rows(app: &TestApp, run_id: &str, rejected_only: bool) -> Vec<Value> {
    let data = app.gql(ROWS, json!({ "r": run_id, "rejected": rejected_only })).await;
    let edges = data["csvImportRows"]["edges"].as_array().unwrap_or_else(|| panic!("{data}"));
    edges.iter().map(|e| e["node"].clone()).collect()
}

/// The import's refusal as (field, code).
async fn refused(app: &TestApp, input: Value) -> (Value, String) {
    let data = app.gql(IMPORT, json!({ "i": input })).await;
    let payload = &data["csvImport"];
    assert_eq!(payload["syncRun"], Value::Null, "{data}");
    let error = &payload["userErrors"][0];
    (error["field"].clone(), error["code"].as_str().unwrap_or_else(|| panic!("{data}")).to_owned())
}

/// Each rejected row as (line, column, error code).
fn located(rejected: &[Value]) -> Vec<(i64, &str, &str)> {
    rejected
        .iter()
        .map(|r| {
            (r["line"].as_i64().unwrap_or(0), r["column"].as_str().unwrap_or(""), r["errorCode"].as_str().unwrap_or(""))
        })
        .collect()
}

fn by_sku<'a>(rows: &'a [Value], sku: &str) -> &'a Value {
    rows.iter().find(|r| r["sku"] == sku).unwrap_or_else(|| panic!("no row of {sku}: {rows:#?}"))
}

async fn on_hand(app: &TestApp, sku: &str, warehouse_code: Option<&str>) -> i64 {
    let data = app
        .gql(
            "query($s: String!) { productVariants(first: 5, filter: { search: $s }) { nodes { sku inventoryLevels { onHand warehouse { code isDefault } } } } }",
            json!({ "s": sku }),
        )
        .await;
    let variant = data["productVariants"]["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["sku"] == sku))
        .unwrap_or_else(|| panic!("no variant {sku}: {data}"))
        .clone();
    let levels = variant["inventoryLevels"].as_array().cloned().unwrap_or_default();
    levels
        .iter()
        .find(|l| match warehouse_code {
            Some(code) => l["warehouse"]["code"] == code,
            None => l["warehouse"]["isDefault"] == true,
        })
        .map(|l| l["onHand"].as_i64().expect("onHand"))
        .unwrap_or(0)
}

async fn stock_counts_import_all_or_nothing(app: &TestApp) {
    let counter = app.create_token("stock counter", "WRITE").await;
    let lazada = connect(app, ChannelKind::Lazada, json!({})).await;
    linked_variant(app, &lazada, "SKU-0001-1", 5).await;
    app.create_product(
        "Áo thun cổ tròn",
        json!([{ "sku": "AT-DO-M", "price": "149000", "options": [{ "name": "Màu", "value": "Đỏ" }] },
               { "sku": "AT-XANH-L", "price": "159000", "options": [{ "name": "Màu", "value": "Xanh" }] }]),
    )
    .await;
    let created = app
        .gql("mutation { warehouseCreate(input: { name: \"Kho Hồ Chí Minh\", code: \"HCM\" }) { warehouse { id } userErrors { message } } }", json!({}))
        .await;
    assert_eq!(created["warehouseCreate"]["userErrors"], json!([]), "{created}");

    // The stock export, edited in a spreadsheet: one count changed, one row added for the second warehouse.
    let exported = app.gql(EXPORT, json!({ "i": { "kind": "STOCK" } })).await;
    let content = exported["csvExport"]["content"].as_str().expect("content").to_owned();
    assert!(content.starts_with('\u{feff}'), "the export starts with a byte-order mark");
    let edited = content.replace("SKU-0001-1,5,0,0,5", "SKU-0001-1,9,0,0,9")
        + "Kho Hồ Chí Minh,HCM,Áo thun cổ tròn,Xanh,AT-XANH-L,,4,,,\n";
    assert_ne!(edited, content, "the export holds the row edited: {content}");

    // A dry run lists what would change and writes nothing.
    let input = json!({ "kind": "STOCK", "content": edited, "dryRun": true });
    let (run, report) = import(app, Some(&counter), input).await;
    assert_eq!(run["status"], "COMPLETED", "{run}");
    assert_eq!((run["total"].as_i64(), run["succeeded"].as_i64(), run["failed"].as_i64()), (Some(4), Some(2), Some(0)));
    let counted = by_sku(&report, "SKU-0001-1");
    assert_eq!((&counted["outcome"], &counted["applied"]), (&json!("UPDATED"), &json!(false)), "{counted}");
    assert_eq!((counted["onHandBefore"].as_i64(), counted["onHandAfter"].as_i64()), (Some(5), Some(9)));
    let added = report.iter().find(|r| r["warehouse"]["code"] == "HCM").expect("the HCM row");
    assert_eq!((added["line"].as_i64(), added["outcome"].as_str()), (Some(5), Some("UPDATED")), "{added}");
    assert_eq!(by_sku(&report, "AT-DO-M")["outcome"], "UNCHANGED");
    assert_eq!(on_hand(app, "SKU-0001-1", None).await, 5, "a dry run changes nothing");
    assert_eq!(on_hand(app, "AT-XANH-L", Some("HCM")).await, 0);

    // Applied: the levels, the ledger (a correction by the importer, noting the line) and the channel follow.
    let (run, report) = import(app, Some(&counter), json!({ "kind": "STOCK", "content": edited })).await;
    assert_eq!(run["status"], "COMPLETED", "{run}");
    assert!(report.iter().all(|r| r["applied"] == (r["outcome"] != "REJECTED")), "{report:#?}");
    assert_eq!(on_hand(app, "SKU-0001-1", None).await, 9);
    assert_eq!(on_hand(app, "AT-XANH-L", Some("HCM")).await, 4);
    let ledger = app
        .gql(
            "query { inventoryLedger(first: 5, reverse: true, filter: { actorName: \"stock counter\" }) { nodes { reason note onHandDelta onHandAfter variant { sku } } } }",
            json!({}),
        )
        .await;
    let entries = ledger["inventoryLedger"]["nodes"].as_array().expect("entries").clone();
    assert_eq!(entries.len(), 2, "one entry per level changed: {ledger}");
    let entry = entries.iter().find(|e| e["variant"]["sku"] == "SKU-0001-1").expect("the entry");
    assert_eq!(entry["reason"], "CORRECTION");
    assert_eq!((entry["onHandDelta"].as_i64(), entry["onHandAfter"].as_i64()), (Some(4), Some(9)));
    assert!(entry["note"].as_str().is_some_and(|n| n.contains("line")), "{entry}");
    let sku_on_lazada = || lazada.sim.state.store().sku_by_seller_sku("SKU-0001-1").map(|(_, s)| s.quantity);
    for _ in 0..100 {
        app.run_pending_jobs().await;
        if sku_on_lazada() == Some(9) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(sku_on_lazada(), Some(9), "the counted quantity reaches the channel");

    // One bad row and nothing is applied; every bad row says its line, column and why.
    let bad = "\u{feff}sku;on_hand;warehouse_code\n\
               SKU-0001-1;3;\n\
               NO-SUCH-SKU;1;\n\
               AT-DO-M;12,5;\n\
               AT-XANH-L;-2;HCM\n\
               AT-DO-M;1;NOWHERE\n\
               SKU-0001-1;4;\n";
    let (run, report) = import(app, None, json!({ "kind": "STOCK", "content": bad })).await;
    assert_eq!(run["status"], "FAILED", "{run}");
    assert!(run["errorMessage"].as_str().is_some_and(|m| m.contains("5 of 6 rows were rejected")), "{run}");
    let rejected = rows(app, run["id"].as_str().expect("id"), true).await;
    assert_eq!(
        located(&rejected),
        [
            (3, "sku", "NOT_FOUND"),
            (4, "on_hand", "INVALID"),
            (5, "on_hand", "INVALID"),
            (6, "warehouse_code", "NOT_FOUND"),
            (7, "sku", "DUPLICATE_ENTRY"),
        ],
        "{rejected:#?}"
    );
    assert_eq!(by_sku(&report, "SKU-0001-1")["applied"], false, "{report:#?}");
    assert_eq!(on_hand(app, "SKU-0001-1", None).await, 9, "the good row of a rejected file is not applied");

    // A file that is not a stock count is refused before any run.
    let (field, code) = refused(app, json!({ "kind": "STOCK", "content": "sku,quantity\nA,1\n" })).await;
    assert_eq!((field, code.as_str()), (json!(["input", "content"]), "MISSING_COLUMN"));
    assert_eq!(refused(app, json!({ "kind": "STOCK", "content": "\u{feff}" })).await.1, "BLANK");
    let nowhere = omnisync::graphql::relay::global_id("Warehouse", 999_999);
    let (field, code) =
        refused(app, json!({ "kind": "STOCK", "content": "sku,on_hand\nA,1\n", "warehouseId": nowhere.as_str() }))
            .await;
    assert_eq!((field, code.as_str()), (json!(["input", "warehouseId"]), "NOT_FOUND"));
}
on_both_backends_driven!(csv_stock_counts, stock_counts_import_all_or_nothing);

async fn products_import_by_sku(app: &TestApp) {
    let file = "\u{feff}product_title,vendor,variant_title,sku,barcode,option1_name,option1_value,price,list_price,cost_price,unit\n\
                Áo thun cổ tròn,Việt Tiến,,AT-DO-M,8930001,Màu,Đỏ,149000,179000,80000,cái\n\
                Áo thun cổ tròn,Việt Tiến,,AT-XANH-M,,Màu,Xanh,149000,,80000,cái\n\
                \"Nón lá, Huế\",,,NL-01,,,,55000,,,chiếc\n";

    // A dry run: what would be created, nothing written.
    let (run, report) = import(app, None, json!({ "kind": "PRODUCTS", "content": file, "dryRun": true })).await;
    assert_eq!(run["status"], "COMPLETED", "{run}");
    assert!(
        report.iter().all(|r| r["outcome"] == "CREATED" && r["applied"] == false && r["product"].is_null()),
        "{report:#?}"
    );
    let count = |data: &Value| data["products"]["totalCount"].as_i64();
    let none = app.gql("query { products(first: 1) { totalCount } }", json!({})).await;
    assert_eq!(count(&none), Some(0), "a dry run creates nothing: {none}");

    let (run, report) = import(app, None, json!({ "kind": "PRODUCTS", "content": file })).await;
    assert_eq!(run["status"], "COMPLETED", "{run}");
    assert_eq!((run["succeeded"].as_i64(), run["failed"].as_i64()), (Some(3), Some(0)), "{run}");
    assert_eq!(by_sku(&report, "AT-XANH-M")["product"]["title"], "Áo thun cổ tròn");
    let found = app
        .gql(
            "query { products(first: 5, filter: { search: \"ao thun\" }) { nodes { title vendor variants { sku barcode title unit options { name value } price { amount } listPrice { amount } costPrice { amount } } } } }",
            json!({}),
        )
        .await;
    let shirt = &found["products"]["nodes"][0];
    assert_eq!((&shirt["title"], &shirt["vendor"]), (&json!("Áo thun cổ tròn"), &json!("Việt Tiến")), "{found}");
    let red = &shirt["variants"][0];
    assert_eq!(red["options"], json!([{ "name": "Màu", "value": "Đỏ" }]));
    assert_eq!(
        (red["title"].as_str(), red["barcode"].as_str(), red["unit"].as_str()),
        (Some("Đỏ"), Some("8930001"), Some("cái"))
    );
    assert_eq!(
        (red["price"]["amount"].as_str(), red["listPrice"]["amount"].as_str(), red["costPrice"]["amount"].as_str()),
        (Some("149000"), Some("179000"), Some("80000"))
    );
    assert_eq!(shirt["variants"][1]["listPrice"], Value::Null);

    // Exported and imported back unchanged: every row UNCHANGED.
    let exported = app.gql(EXPORT, json!({ "i": { "kind": "PRODUCTS" } })).await;
    let content = exported["csvExport"]["content"].as_str().expect("content").to_owned();
    let (run, report) = import(app, None, json!({ "kind": "PRODUCTS", "content": content })).await;
    assert_eq!((run["status"].as_str(), run["skipped"].as_i64()), (Some("COMPLETED"), Some(3)), "{run} {report:#?}");

    // Edited: a price changed and a variant added to the shirt.
    let edited = content.replace("AT-XANH-M,,Màu,Xanh,,,,,149000", "AT-XANH-M,,Màu,Xanh,,,,,139000")
        + "Áo thun cổ tròn,Việt Tiến,,,AT-VANG-M,,Màu,Vàng,,,,,149000,,,cái,true,false\n";
    assert!(edited.contains("AT-XANH-M,,Màu,Xanh,,,,,139000"), "the export holds the row edited: {content}");
    let (run, report) = import(app, None, json!({ "kind": "PRODUCTS", "content": edited })).await;
    assert_eq!(run["status"], "COMPLETED", "{run}");
    let outcomes: Vec<(&str, &str)> =
        report.iter().map(|r| (r["sku"].as_str().unwrap_or(""), r["outcome"].as_str().unwrap_or(""))).collect();
    assert_eq!(
        outcomes,
        [("AT-DO-M", "UNCHANGED"), ("AT-XANH-M", "UPDATED"), ("NL-01", "UNCHANGED"), ("AT-VANG-M", "CREATED")],
        "{edited}\n{report:#?}"
    );
    assert_eq!(by_sku(&report, "AT-XANH-M")["variant"]["price"]["amount"], "139000");
    assert_eq!(by_sku(&report, "AT-VANG-M")["product"]["title"], "Áo thun cổ tròn", "added to the same product");
    let all = app.gql("query { products(first: 5) { totalCount } }", json!({})).await;
    assert_eq!(count(&all), Some(2), "no product was added: {all}");

    // Bad rows: each reported by line and column; the good row's price change is not applied.
    let bad = "product_title,sku,price,option1_name,option1_value,track_inventory\n\
               Áo thun cổ tròn,AT-DO-M,99000,Màu,Đỏ,true\n\
               Áo thun cổ tròn,AT-XANH-M,abc,Màu,Xanh,true\n\
               Áo thun cổ tròn,AT-DO-M,99000,Màu,Đỏ,true\n\
               Áo thun dài tay,AT-VANG-M,149000,Màu,Vàng,true\n\
               Quần,Q-01,120000,Size,,true\n\
               Quần,Q-02,120000,,,maybe\n";
    let (run, _) = import(app, None, json!({ "kind": "PRODUCTS", "content": bad })).await;
    assert_eq!(run["status"], "FAILED", "{run}");
    let rejected = rows(app, run["id"].as_str().expect("id"), true).await;
    assert_eq!(
        located(&rejected),
        [
            (3, "price", "INVALID_MONEY"),
            (4, "sku", "DUPLICATE_ENTRY"),
            (5, "product_title", "INVALID"),
            (6, "option1_value", "INVALID_OPTIONS"),
            (7, "track_inventory", "INVALID"),
        ],
        "{rejected:#?}"
    );
    let red = app
        .gql(
            "query { productVariants(first: 1, filter: { search: \"AT-DO-M\" }) { nodes { price { amount } } } }",
            json!({}),
        )
        .await;
    assert_eq!(red["productVariants"]["nodes"][0]["price"]["amount"], "149000", "nothing applied: {red}");

    let (field, code) = refused(app, json!({ "kind": "PRODUCTS", "content": "title,sku\nA,B\n" })).await;
    assert_eq!((field, code.as_str()), (json!(["input", "content"]), "MISSING_COLUMN"));
}
on_both_backends_driven!(csv_product_imports, products_import_by_sku);
