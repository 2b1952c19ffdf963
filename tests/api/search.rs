//! Issue 21, items 4 and 5: Vietnamese search ("ao thun" finds "Áo thun") in products, variants, orders and
//! customers, and one customer per phone (`+84 90 123 4567`, `84901234567` and `0901234567` are one number, kept
//! in E.164 under a unique index; the migration that brings it merges existing duplicates), on both backends.

use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Statement};
use serde_json::{Value, json};

use migration::{Migrator, MigratorTrait};
use omnisync::channels::ChannelKind;
use omnisync::sim::Buyer;

use crate::helpers::TestApp;
use crate::orders::{Shop, connect, poll, settle};
use crate::{on_both_backends, on_both_backends_driven};

/// Titles of the products a search finds.
async fn product_titles(app: &TestApp, search: &str) -> Vec<String> {
    let data = app
        .gql(
            "query($s: String!) { products(first: 50, filter: { search: $s }) { nodes { title } } }",
            json!({ "s": search }),
        )
        .await;
    titles(&data["products"]["nodes"], "title")
}

fn titles(nodes: &Value, field: &str) -> Vec<String> {
    let mut out: Vec<String> =
        nodes.as_array().expect("nodes").iter().map(|n| n[field].as_str().expect("text").to_owned()).collect();
    out.sort();
    out
}

async fn search_count(app: &TestApp, list: &str, search: &str) -> i64 {
    let data = app
        .gql(
            &format!("query($s: String!) {{ {list}(first: 50, filter: {{ search: $s }}) {{ totalCount }} }}"),
            json!({ "s": search }),
        )
        .await;
    data[list]["totalCount"].as_i64().expect("a count")
}

async fn vietnamese_search_ignores_case_and_diacritics(app: &TestApp) {
    let shirt = app
        .create_product(
            "Áo thun cổ tròn",
            json!([
                { "sku": "AT-DO", "price": "150000", "options": [{ "name": "Màu", "value": "Đỏ" }] },
                { "sku": "AT-XANH", "price": "150000", "options": [{ "name": "Màu", "value": "Xanh lá" }] }
            ]),
        )
        .await;
    app.create_product("Điện thoại Samsung A15", json!([{ "sku": "DT-A15", "price": "3990000" }])).await;
    app.create_product("Quần jean nam", json!([{ "sku": "QJ-1", "price": "350000" }])).await;

    let shirt_title = vec!["Áo thun cổ tròn".to_owned()];
    for term in ["ao thun", "Áo thun", "ÁO THUN", "  ao   thun ", "co tron", "cổ tròn", "thun"] {
        assert_eq!(product_titles(app, term).await, shirt_title, "products(search: {term:?})");
    }
    assert_eq!(product_titles(app, "dien thoai").await, vec!["Điện thoại Samsung A15".to_owned()]);
    assert_eq!(product_titles(app, "ĐIỆN").await, vec!["Điện thoại Samsung A15".to_owned()]);
    assert_eq!(product_titles(app, "quan").await, vec!["Quần jean nam".to_owned()]);
    assert_eq!(product_titles(app, "ao so mi").await, Vec::<String>::new(), "nothing else matches");
    // A SKU still finds its product by prefix; `%` is a character, not a wildcard.
    assert_eq!(product_titles(app, "DT-").await, vec!["Điện thoại Samsung A15".to_owned()]);
    assert_eq!(product_titles(app, "%").await, Vec::<String>::new());

    // Variants: by title and option values ("do" finds "Đỏ", not "Xanh lá").
    let data =
        app.gql("query { productVariants(first: 50, filter: { search: \"do\" }) { nodes { sku } } }", json!({})).await;
    assert_eq!(titles(&data["productVariants"]["nodes"], "sku"), vec!["AT-DO".to_owned()]);
    let data = app
        .gql("query { productVariants(first: 50, filter: { search: \"xanh la\" }) { nodes { sku } } }", json!({}))
        .await;
    assert_eq!(titles(&data["productVariants"]["nodes"], "sku"), vec!["AT-XANH".to_owned()]);

    // The column follows a rename.
    let renamed = app
        .gql(
            "mutation($id: ID!) { productUpdate(id: $id, input: { title: \"Áo sơ mi trắng\" }) { userErrors { code } } }",
            json!({ "id": shirt["id"] }),
        )
        .await;
    assert_eq!(renamed["productUpdate"]["userErrors"], json!([]), "{renamed}");
    assert_eq!(product_titles(app, "ao so mi").await, vec!["Áo sơ mi trắng".to_owned()]);
    assert_eq!(product_titles(app, "ao thun").await, Vec::<String>::new());
}
on_both_backends_driven!(search_vietnamese_products_and_variants, vietnamese_search_ignores_case_and_diacritics);

async fn place(app: &TestApp, shop: &Shop, name: &str, phone: &str) {
    let buyer = Buyer { name: name.to_owned(), phone: phone.to_owned() };
    shop.sim.state.create_order_by(&buyer, &[("SKU-0001-1".to_owned(), 1)], None).await.expect("order placed");
    // Channels that push orders were pointed at the hub (`connect`); the others are polled.
    if shop.sim.state.webhook_url().is_some() {
        settle(app, shop).await;
    } else {
        poll(app, shop).await;
    }
}

async fn customers(app: &TestApp, search: &str) -> Vec<Value> {
    let data = app
        .gql(
            "query($s: String) { customers(first: 50, filter: { search: $s }) { totalCount nodes { name phone email } } }",
            json!({ "s": search }),
        )
        .await;
    data["customers"]["nodes"].as_array().expect("nodes").clone()
}

async fn one_customer_per_phone_across_channels_and_spellings(app: &TestApp) {
    let lazada = connect(app, ChannelKind::Lazada, json!({})).await;
    let shopee = connect(app, ChannelKind::Shopee, json!({})).await;
    let tiki = connect(app, ChannelKind::Tiki, json!({})).await;
    place(app, &lazada, "Trần Thị Bích", "+84 90 123 4567").await;
    place(app, &shopee, "Trần Thị Bích", "84901234567").await;
    place(app, &tiki, "Trần Thị Bích", "0901234567").await;
    // A masked phone identifies no one: its buyer is a customer of their own, with no phone.
    place(app, &lazada, "Lê Văn Cường", "******67").await;

    let all = customers(app, "").await;
    assert_eq!(all.len(), 2, "one customer per phone, whatever its spelling or channel: {all:#?}");
    let bich = customers(app, "tran thi bich").await;
    assert_eq!(bich.len(), 1, "{bich:#?}");
    assert_eq!(bich[0]["phone"], "+84901234567", "stored in E.164");
    assert_eq!(bich[0]["email"], "0901234567@vn.phone", "Tiki's e-mail keeps the phone as the buyer gave it");
    let cuong = customers(app, "cuong").await;
    assert_eq!(cuong.len(), 1, "{cuong:#?}");
    assert_eq!(cuong[0]["phone"], json!(null), "a masked phone is no phone");

    for phone in ["0901234567", "+84 90 123 4567", "84901234567", "4567", "090-123-4567"] {
        let found = customers(app, phone).await;
        assert_eq!(found.len(), 1, "customers(search: {phone:?}): {found:#?}");
        assert_eq!(found[0]["name"], "Trần Thị Bích");
        assert_eq!(search_count(app, "orders", phone).await, 3, "orders(search: {phone:?})");
    }
    assert_eq!(search_count(app, "orders", "bich").await, 3);
    assert_eq!(search_count(app, "orders", "TRẦN THỊ").await, 3);
    assert_eq!(search_count(app, "orders", "le van cuong").await, 1);
    assert_eq!(search_count(app, "customers", "nguyen").await, 0);

    // The unique index holds whatever writes the row.
    let duplicate = app
        .ctx
        .db
        .execute_raw(Statement::from_string(
            app.ctx.db.get_database_backend(),
            "INSERT INTO customers (name, phone, created_at, updated_at, search_text) \
             VALUES ('Copy', '+84901234567', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '')",
        ))
        .await;
    assert!(duplicate.is_err(), "a second customer with one phone is refused by the database");
}
on_both_backends_driven!(search_one_customer_per_phone, one_customer_per_phone_across_channels_and_spellings);

/// Four shops' workers import one buyer's orders at once: the imports that find the phone taken by a concurrent
/// one take its customer (on PostgreSQL an insert that conflicts returns no row), none fails.
async fn concurrent_imports_of_one_buyer_make_one_customer(app: &TestApp) {
    let mut shops = Vec::new();
    for _ in 0..4 {
        shops.push(connect(app, ChannelKind::Lazada, json!({})).await);
    }
    let buyer = Buyer { name: "Phạm Minh Đức".to_owned(), phone: "0912 345 678".to_owned() };
    let lines = [("SKU-0001-1".to_owned(), 1)];
    let placed =
        futures::future::join_all(shops.iter().map(|shop| shop.sim.state.create_order_by(&buyer, &lines, None))).await;
    assert!(placed.iter().all(Result::is_ok), "{placed:?}");
    for shop in &shops {
        settle(app, shop).await;
    }
    let found = customers(app, "pham minh duc").await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["phone"], "+84912345678");
    assert_eq!(search_count(app, "orders", "0912345678").await, 4, "every shop's order imported");
}
on_both_backends!(search_one_customer_concurrent_imports, concurrent_imports_of_one_buyer_make_one_customer);

async fn sql(app: &TestApp, statement: &str) {
    app.ctx
        .db
        .execute_raw(Statement::from_string(app.ctx.db.get_database_backend(), statement))
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

/// The migration that brings the unique phone index merges the customers an older hub kept apart (phones stored
/// as given: the same number in two spellings), moves their orders to the oldest, and fills the search columns.
async fn the_migration_merges_customers_sharing_a_phone(app: &TestApp) {
    app.create_product("Bánh mì Hội An", json!([{ "sku": "BM-1", "price": "25000" }])).await;
    let lazada = connect(app, ChannelKind::Lazada, json!({})).await;
    place(app, &lazada, "Phạm Minh Đức", "0911111111").await;
    place(app, &lazada, "Phạm M. Đức", "0922222222").await;
    place(app, &lazada, "Hồ Thu", "0933333333").await;
    let ids: Vec<i64> = entity::customer::Entity::find()
        .order_by_asc(entity::customer::Column::Id)
        .all(&app.ctx.db)
        .await
        .expect("customers")
        .iter()
        .map(|c| c.id)
        .collect();
    let [first, second, third] = ids[..] else { panic!("three customers: {ids:?}") };

    // Back to the schema before it, with the data an older hub wrote.
    let migrations: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    let at = migrations
        .iter()
        .position(|name| name == "m20261208_000001_search_text_and_unique_phone")
        .expect("the migration is registered");
    let steps = u32::try_from(migrations.len() - at).expect("a few steps");
    Migrator::down(&app.ctx.db, Some(steps)).await.expect("reverted to before the migration");
    sql(app, &format!("UPDATE customers SET phone = '0911 111 111', email = NULL WHERE id = {first}")).await;
    sql(app, &format!("UPDATE customers SET phone = '84911111111', email = 'duc@example.vn' WHERE id = {second}"))
        .await;
    sql(app, &format!("UPDATE customers SET phone = '******33' WHERE id = {third}")).await;
    sql(app, "UPDATE orders SET customer_phone = '0911111111'").await;
    sql(app, "UPDATE products SET title = 'Bánh mì Sài Gòn'").await;
    Migrator::up(&app.ctx.db, None).await.expect("migrated again");

    let rows = entity::customer::Entity::find()
        .order_by_asc(entity::customer::Column::Id)
        .all(&app.ctx.db)
        .await
        .expect("customers");
    let summary: Vec<(i64, Option<String>, Option<String>)> =
        rows.iter().map(|c| (c.id, c.phone.clone(), c.email.clone())).collect();
    assert_eq!(
        summary,
        vec![
            (first, Some("+84911111111".to_owned()), Some("duc@example.vn".to_owned())),
            (third, None, rows.get(1).and_then(|c| c.email.clone())),
        ],
        "the newer customer merged into the oldest, which took its e-mail; a masked phone became none"
    );
    assert!(rows[0].search_text.contains("pham minh duc") && rows[0].search_text.contains("0911111111"), "{rows:?}");
    let orders = entity::order::Entity::find().all(&app.ctx.db).await.expect("orders");
    let of_first = orders.iter().filter(|o| o.customer_id == Some(first)).count();
    assert_eq!(of_first, 2, "the merged customer's order moved to the one kept");
    assert!(orders.iter().all(|o| o.customer_phone.as_deref() == Some("+84911111111")), "order phones in E.164");
    assert!(orders.iter().all(|o| o.search_text.contains("0911111111")), "order search columns filled");
    let products = entity::product::Entity::find().all(&app.ctx.db).await.expect("products");
    let texts: Vec<&str> = products.iter().map(|p| p.search_text.as_str()).collect();
    assert_eq!(texts, vec!["banh mi sai gon"], "product search columns filled from what the table holds");
    // And through the API.
    assert_eq!(customers(app, "0911111111").await.len(), 1);
    assert_eq!(search_count(app, "orders", "pham minh duc").await, 1);
}
on_both_backends_driven!(search_migration_merges_customers, the_migration_merges_customers_sharing_a_phone);
