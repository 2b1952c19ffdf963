use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_backends;

const PRODUCT_FIELDS: &str = "product { id title variants { id title sku barcode price { amount currencyCode }
    listPrice { amount } options { name value } trackInventory allowOversell
    inventoryLevels { onHand committed pendingExport available warehouse { name } } } }";

async fn a_product_is_created_with_variants_options_prices_and_a_zero_level_in_the_default_warehouse(app: &TestApp) {
    let query = format!(
        "mutation($input: ProductCreateInput!) {{ productCreate(input: $input) {{ {PRODUCT_FIELDS} userErrors {{ field code message }} }} }}"
    );
    let data = app
        .gql(
            &query,
            json!({ "input": { "title": "Áo thun", "variants": [
                { "sku": " AT-DO-M ", "barcode": "8930001", "price": "150000", "listPrice": "199000",
                  "options": [{ "name": "Màu", "value": "Đỏ" }, { "name": "Size", "value": "M" }] },
                { "sku": "AT-DO-L", "barcode": "8930002", "price": "150000", "allowOversell": true,
                  "options": [{ "name": "Màu", "value": "Đỏ" }, { "name": "Size", "value": "L" }] }
            ] } }),
        )
        .await;
    let payload = &data["productCreate"];
    assert_eq!(payload["userErrors"], json!([]));
    let variants = payload["product"]["variants"].as_array().expect("variants");
    assert_eq!(variants.len(), 2);
    assert_eq!(variants[0]["sku"], "AT-DO-M", "SKU is trimmed");
    assert_eq!(variants[0]["title"], "Đỏ / M", "title follows the options");
    assert_eq!(variants[0]["price"], json!({ "amount": "150000", "currencyCode": "VND" }));
    assert_eq!(variants[0]["listPrice"]["amount"], "199000");
    assert_eq!(variants[0]["trackInventory"], true);
    assert_eq!(variants[1]["allowOversell"], true);
    assert_eq!(
        variants[0]["inventoryLevels"],
        json!([{ "onHand": 0, "committed": 0, "pendingExport": 0, "available": 0, "warehouse": { "name": "Kho tổng" } }])
    );
}
on_both_backends!(
    product_create,
    a_product_is_created_with_variants_options_prices_and_a_zero_level_in_the_default_warehouse
);

async fn bad_product_input_is_refused_with_field_paths_and_nothing_is_written(app: &TestApp) {
    let data = app
        .gql(
            "mutation($input: ProductCreateInput!) { productCreate(input: $input) { product { id } userErrors { field code message } } }",
            json!({ "input": { "title": "  ", "variants": [
                { "sku": "X-1", "barcode": "111", "price": "10000" },
                { "sku": "X-1", "barcode": "111", "price": "1.5" },
                { "price": "5", "options": [{ "name": "A", "value": "1" }, { "name": "B", "value": "2" }, { "name": "C", "value": "3" }, { "name": "D", "value": "4" }] }
            ] } }),
        )
        .await;
    let payload = &data["productCreate"];
    assert_eq!(payload["product"], json!(null));
    let errors = payload["userErrors"].as_array().expect("errors");
    let has = |field: serde_json::Value, code: &str| errors.iter().any(|e| e["field"] == field && e["code"] == code);
    assert!(has(json!(["input", "title"]), "BLANK"), "{errors:?}");
    assert!(has(json!(["input", "variants", "1", "price"]), "INVALID_MONEY"), "{errors:?}");
    assert!(has(json!(["input", "variants", "2", "options"]), "INVALID_OPTIONS"), "{errors:?}");
    let products = app.gql("{ products { totalCount } productVariants { totalCount } }", json!({})).await;
    assert_eq!(products["products"]["totalCount"], 0, "nothing half-written");
    assert_eq!(products["productVariants"]["totalCount"], 0);

    // A duplicate SKU within one product is refused; a duplicate barcode is kept (linking reports it).
    let data = app
        .gql(
            "mutation($input: ProductCreateInput!) { productCreate(input: $input) { product { id } userErrors { field code } } }",
            json!({ "input": { "title": "Quần", "variants": [
                { "sku": "Q-1", "barcode": "222", "price": "1000" }, { "sku": "Q-1", "barcode": "222", "price": "1000" } ] } }),
        )
        .await;
    assert_eq!(
        data["productCreate"]["userErrors"],
        json!([{ "field": ["input", "variants", "1", "sku"], "code": "SKU_TAKEN" }])
    );
}
on_both_backends!(product_create_bad_input, bad_product_input_is_refused_with_field_paths_and_nothing_is_written);

async fn barcodes_may_repeat_but_a_sku_is_unique_within_its_product(app: &TestApp) {
    let first = app.create_product("Mũ", json!([{ "sku": "M-1", "barcode": "SHARED", "price": "50000" }])).await;
    app.create_product("Mũ lưỡi trai", json!([{ "sku": "M-1", "barcode": "SHARED", "price": "60000" }])).await;

    let data = app
        .gql(
            "mutation($p: ID!, $input: ProductVariantCreateInput!) { productVariantCreate(productId: $p, input: $input) {
                productVariant { id } userErrors { field code message } } }",
            json!({ "p": first["id"], "input": { "sku": "M-1", "price": "1" } }),
        )
        .await;
    let errors = &data["productVariantCreate"]["userErrors"];
    assert_eq!(errors[0]["field"], json!(["input", "sku"]));
    assert_eq!(errors[0]["code"], "SKU_TAKEN");
    assert!(errors[0]["message"].as_str().unwrap_or_default().contains("M-1"));

    let search = app.gql("{ productVariants(filter: { search: \"M-1\" }) { totalCount } }", json!({})).await;
    assert_eq!(search["productVariants"]["totalCount"], 2);
}
on_both_backends!(code_uniqueness, barcodes_may_repeat_but_a_sku_is_unique_within_its_product);

async fn products_and_variants_are_updated_searched_and_deleted(app: &TestApp) {
    let p = app
        .create_product(
            "Giày chạy bộ",
            json!([{ "sku": "G-40", "barcode": "4001", "price": "900000" }, { "sku": "G-41", "price": "900000" }]),
        )
        .await;
    app.create_product("Dép", json!([{ "sku": "D-1", "price": "100000" }])).await;

    let updated = app
        .gql(
            "mutation($id: ID!) { productUpdate(id: $id, input: { title: \"Giày chạy bộ nam\", vendor: \"Biti's\" }) {
                product { title vendor } userErrors { code } } }",
            json!({ "id": p["id"] }),
        )
        .await;
    assert_eq!(updated["productUpdate"]["product"], json!({ "title": "Giày chạy bộ nam", "vendor": "Biti's" }));

    let v = &p["variants"][0]["id"];
    let updated = app
        .gql(
            "mutation($id: ID!) { productVariantUpdate(id: $id, input: { barcode: null, price: \"850000\", costPrice: \"500000\" }) {
                productVariant { sku barcode price { amount } costPrice { amount } } userErrors { code } } }",
            json!({ "id": v }),
        )
        .await;
    assert_eq!(
        updated["productVariantUpdate"]["productVariant"],
        json!({ "sku": "G-40", "barcode": null, "price": { "amount": "850000" }, "costPrice": { "amount": "500000" } }),
        "omitted fields unchanged, null clears"
    );

    for (search, expected) in [("giày", 1), ("G-4", 1), ("D-1", 1), ("nothing", 0), ("%", 0)] {
        let data = app
            .gql("query($s: String) { products(filter: { search: $s }) { totalCount } }", json!({ "s": search }))
            .await;
        assert_eq!(data["products"]["totalCount"], expected, "search {search:?}");
    }

    let deleted = app
        .gql(
            "mutation($id: ID!) { productVariantDelete(id: $id) { deletedId userErrors { code } } }",
            json!({ "id": v }),
        )
        .await;
    assert_eq!(deleted["productVariantDelete"]["deletedId"], *v);
    let last = &p["variants"][1]["id"];
    let refused = app
        .gql(
            "mutation($id: ID!) { productVariantDelete(id: $id) { deletedId userErrors { code } } }",
            json!({ "id": last }),
        )
        .await;
    assert_eq!(refused["productVariantDelete"]["userErrors"][0]["code"], "INVALID", "a product keeps one variant");

    let deleted = app
        .gql(
            "mutation($id: ID!) { productDelete(id: $id) { deletedId userErrors { code } } }",
            json!({ "id": p["id"] }),
        )
        .await;
    assert_eq!(deleted["productDelete"]["deletedId"], p["id"]);
    let gone =
        app.gql("query($id: ID!) { product(id: $id) { id } node(id: $id) { id } }", json!({ "id": p["id"] })).await;
    assert_eq!(gone, json!({ "product": null, "node": null }));
}
on_both_backends!(product_lifecycle, products_and_variants_are_updated_searched_and_deleted);

async fn unknown_and_malformed_ids_get_user_errors_in_mutations_and_clear_errors_in_queries(app: &TestApp) {
    let p = app.create_product("Tất", json!([{ "price": "1000" }])).await;
    let missing_product = p["id"].as_str().expect("id").to_owned();
    app.gql("mutation($id: ID!) { productDelete(id: $id) { deletedId } }", json!({ "id": missing_product })).await;

    let data = app
        .gql(
            "mutation($id: ID!) { productUpdate(id: $id, input: { title: \"x\" }) { product { id } userErrors { field code } } }",
            json!({ "id": missing_product }),
        )
        .await;
    assert_eq!(data["productUpdate"]["userErrors"], json!([{ "field": ["id"], "code": "NOT_FOUND" }]));

    let data = app
        .gql("mutation { productUpdate(id: \"garbage\", input: { title: \"x\" }) { product { id } userErrors { field code } } }", json!({}))
        .await;
    assert_eq!(data["productUpdate"]["userErrors"], json!([{ "field": ["id"], "code": "INVALID_ID" }]));

    let warehouse = app.default_warehouse_id().await;
    let data = app
        .gql("mutation($id: ID!) { productDelete(id: $id) { userErrors { field code } } }", json!({ "id": warehouse }))
        .await;
    assert_eq!(
        data["productDelete"]["userErrors"],
        json!([{ "field": ["id"], "code": "INVALID_ID" }]),
        "a warehouse id is not a product id"
    );

    let body = app.graphql("{ product(id: \"garbage\") { id } }", json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "INVALID_ID");
}
on_both_backends!(bad_ids, unknown_and_malformed_ids_get_user_errors_in_mutations_and_clear_errors_in_queries);

async fn warehouses_are_created_made_default_and_protected_from_deletion(app: &TestApp) {
    let main = app.default_warehouse_id().await;
    let created = app
        .gql(
            "mutation { warehouseCreate(input: { name: \"Kho Hà Nội\", code: \"HN\" }) { warehouse { id name isDefault } userErrors { code } } }",
            json!({}),
        )
        .await;
    let hn = created["warehouseCreate"]["warehouse"]["id"].as_str().expect("id").to_owned();
    assert_eq!(created["warehouseCreate"]["warehouse"]["isDefault"], false);

    let refused = app
        .gql(
            "mutation($id: ID!) { warehouseUpdate(id: $id, input: { isDefault: false }) { userErrors { code } } }",
            json!({ "id": main }),
        )
        .await;
    assert_eq!(refused["warehouseUpdate"]["userErrors"][0]["code"], "DEFAULT_WAREHOUSE_REQUIRED");

    app.gql(
        "mutation($id: ID!) { warehouseUpdate(id: $id, input: { isDefault: true }) { userErrors { code } } }",
        json!({ "id": hn }),
    )
    .await;
    let list = app.gql("{ warehouses { edges { node { id isDefault } } } }", json!({})).await;
    let defaults: Vec<_> = list["warehouses"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["node"]["isDefault"] == true)
        .collect();
    assert_eq!(defaults.len(), 1, "exactly one default");
    assert_eq!(defaults[0]["node"]["id"], hn.as_str());

    let refused = app
        .gql("mutation($id: ID!) { warehouseDelete(id: $id) { deletedId userErrors { code } } }", json!({ "id": hn }))
        .await;
    assert_eq!(refused["warehouseDelete"]["userErrors"][0]["code"], "DEFAULT_WAREHOUSE_REQUIRED");

    // A warehouse with recorded stock movements is kept; an unused one can go.
    let p = app.create_product("Nón", json!([{ "price": "1000" }])).await;
    app.gql(
        "mutation($v: ID!, $w: ID!) { inventoryAdjustQuantities(input: { reason: RECEIVED, changes: [{ variantId: $v, warehouseId: $w, delta: 3 }] }) { userErrors { code } } }",
        json!({ "v": p["variants"][0]["id"], "w": hn }),
    )
    .await;
    app.gql(
        "mutation($id: ID!) { warehouseUpdate(id: $id, input: { isDefault: true }) { userErrors { code } } }",
        json!({ "id": main }),
    )
    .await;
    let refused = app
        .gql("mutation($id: ID!) { warehouseDelete(id: $id) { deletedId userErrors { code } } }", json!({ "id": hn }))
        .await;
    assert_eq!(refused["warehouseDelete"]["userErrors"][0]["code"], "WAREHOUSE_IN_USE");
    let spare = app
        .gql("mutation { warehouseCreate(input: { name: \"Kho phụ\" }) { warehouse { id } } }", json!({}))
        .await["warehouseCreate"]["warehouse"]["id"]
        .clone();
    let deleted = app
        .gql(
            "mutation($id: ID!) { warehouseDelete(id: $id) { deletedId userErrors { code } } }",
            json!({ "id": spare }),
        )
        .await;
    assert_eq!(deleted["warehouseDelete"]["deletedId"], spare);
}
on_both_backends!(warehouses, warehouses_are_created_made_default_and_protected_from_deletion);
