//! Issue 21:
//! - `search_text` on products, variants, orders and customers: their searchable texts folded (lower case, no
//!   diacritics: "Áo thun" → "ao thun"), written with them, so "ao thun" finds "Áo thun" on SQLite and PostgreSQL
//!   alike; filled here for existing rows (`entity::derived`, the one definition every writer uses).
//! - One customer per phone: phones stored in E.164 (read in the customer's channel's country), customers sharing
//!   one merged into the oldest (their orders moved to it), then a unique index on `customers.phone`. An invalid
//!   phone (a marketplace's masked number) is stored as none: it identifies no one.

use std::collections::BTreeMap;

use entity::derived;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::text;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Rows written per statement when filling a column.
const CHUNK: usize = 500;

/// The region a phone without a country code is read in when its channel names none.
const DEFAULT_REGION: &str = "VN";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Table::Products, Table::ProductVariants, Table::Orders, Table::Customers] {
            let column = text(SearchText::SearchText).default("").to_owned();
            manager.alter_table(sea_query::Table::alter().table(table).add_column(column).to_owned()).await?;
        }
        merge_customers_by_phone(manager).await?;
        fill_products(manager).await?;
        fill_variants(manager).await?;
        fill_orders(manager).await?;
        fill_customers(manager).await?;
        manager
            .drop_index(sea_query::Index::drop().name("idx_customers_phone").table(Table::Customers).to_owned())
            .await?;
        manager
            .create_index(
                sea_query::Index::create()
                    .name("uq_customers_phone")
                    .table(Table::Customers)
                    .col(Contact::Phone)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(sea_query::Index::drop().name("uq_customers_phone").table(Table::Customers).to_owned())
            .await?;
        manager
            .create_index(
                sea_query::Index::create()
                    .name("idx_customers_phone")
                    .table(Table::Customers)
                    .col(Contact::Phone)
                    .to_owned(),
            )
            .await?;
        for table in [Table::Products, Table::ProductVariants, Table::Orders, Table::Customers] {
            manager
                .alter_table(sea_query::Table::alter().table(table).drop_column(SearchText::SearchText).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn rows(manager: &SchemaManager<'_>, sql: &str) -> Result<Vec<sea_orm_migration::sea_orm::QueryResult>, DbErr> {
    let db = manager.get_connection();
    db.query_all_raw(Statement::from_string(manager.get_database_backend(), sql)).await
}

/// Writes `values` (id → value) into `column` of `table`, a chunk of rows per statement.
async fn write_column(
    manager: &SchemaManager<'_>,
    table: Table,
    column: impl Iden + Copy + 'static,
    values: &[(i64, Option<String>)],
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for chunk in values.chunks(CHUNK) {
        let mut case = CaseStatement::new();
        for (id, value) in chunk {
            case = case.case(Expr::col(Id::Id).eq(*id), Expr::val(value.clone()));
        }
        let update = Query::update()
            .table(table)
            .value(column, case.finally(Expr::col(column)))
            .and_where(Expr::col(Id::Id).is_in(chunk.iter().map(|(id, _)| *id)))
            .to_owned();
        db.execute(&update).await?;
    }
    Ok(())
}

fn some_all(values: Vec<(i64, String)>) -> Vec<(i64, Option<String>)> {
    values.into_iter().map(|(id, v)| (id, Some(v))).collect()
}

async fn fill_products(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut values = Vec::new();
    for row in rows(manager, "SELECT id, title FROM products").await? {
        let title: String = row.try_get("", "title")?;
        values.push((row.try_get("", "id")?, derived::product_search_text(&title)));
    }
    write_column(manager, Table::Products, SearchText::SearchText, &some_all(values)).await
}

async fn fill_variants(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut values = Vec::new();
    let sql = "SELECT id, title, option1_value, option2_value, option3_value FROM product_variants";
    for row in rows(manager, sql).await? {
        let title: String = row.try_get("", "title")?;
        let options: [Option<String>; 3] =
            [row.try_get("", "option1_value")?, row.try_get("", "option2_value")?, row.try_get("", "option3_value")?];
        let [o1, o2, o3] = &options;
        let text = derived::variant_search_text(&title, [o1.as_deref(), o2.as_deref(), o3.as_deref()]);
        values.push((row.try_get("", "id")?, text));
    }
    write_column(manager, Table::ProductVariants, SearchText::SearchText, &some_all(values)).await
}

async fn fill_orders(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut phones = Vec::new();
    let mut texts = Vec::new();
    let sql = "SELECT o.id, o.order_number, o.external_id, o.customer_name, o.customer_phone, c.country \
               FROM orders o LEFT JOIN channels c ON c.id = o.channel_id";
    for row in rows(manager, sql).await? {
        let id: i64 = row.try_get("", "id")?;
        let raw_phone: Option<String> = row.try_get("", "customer_phone")?;
        let country: Option<String> = row.try_get("", "country")?;
        let phone = raw_phone
            .as_deref()
            .and_then(|p| derived::phone_e164(p, country.as_deref().unwrap_or(DEFAULT_REGION)))
            .or(raw_phone);
        let number: Option<String> = row.try_get("", "order_number")?;
        let external_id: String = row.try_get("", "external_id")?;
        let name: Option<String> = row.try_get("", "customer_name")?;
        texts
            .push((id, derived::order_search_text(number.as_deref(), &external_id, name.as_deref(), phone.as_deref())));
        phones.push((id, phone));
    }
    write_column(manager, Table::Orders, Contact::CustomerPhone, &phones).await?;
    write_column(manager, Table::Orders, SearchText::SearchText, &some_all(texts)).await
}

async fn fill_customers(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut values = Vec::new();
    for row in rows(manager, "SELECT id, name, phone, email FROM customers").await? {
        let name: String = row.try_get("", "name")?;
        let phone: Option<String> = row.try_get("", "phone")?;
        let email: Option<String> = row.try_get("", "email")?;
        values.push((row.try_get("", "id")?, derived::customer_search_text(&name, phone.as_deref(), email.as_deref())));
    }
    write_column(manager, Table::Customers, SearchText::SearchText, &some_all(values)).await
}

/// Customers' phones to E.164; customers sharing one merged into the oldest: their orders move to it, it takes an
/// e-mail it lacks, the others are deleted.
async fn merge_customers_by_phone(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let sql = "SELECT cu.id, cu.phone, cu.email, ch.country FROM customers cu \
               LEFT JOIN channels ch ON ch.id = cu.channel_id ORDER BY cu.id";
    let mut phones = Vec::new();
    // E.164 phone → (the oldest customer with it, its e-mail), and the newer ones to merge into it.
    let mut keepers: BTreeMap<String, (i64, Option<String>)> = BTreeMap::new();
    let mut merged: Vec<(i64, i64)> = Vec::new();
    let mut emails = Vec::new();
    for row in rows(manager, sql).await? {
        let id: i64 = row.try_get("", "id")?;
        let raw: Option<String> = row.try_get("", "phone")?;
        let email: Option<String> = row.try_get("", "email")?;
        let country: Option<String> = row.try_get("", "country")?;
        let phone = raw.as_deref().and_then(|p| derived::phone_e164(p, country.as_deref().unwrap_or(DEFAULT_REGION)));
        match phone.as_ref().and_then(|p| keepers.get_mut(p)) {
            Some((keeper, keeper_email)) => {
                merged.push((id, *keeper));
                if keeper_email.is_none() && email.is_some() {
                    keeper_email.clone_from(&email);
                    emails.push((*keeper, email));
                }
            }
            None => {
                if let Some(p) = &phone {
                    keepers.insert(p.clone(), (id, email));
                }
                phones.push((id, phone));
            }
        }
    }
    let db = manager.get_connection();
    for chunk in merged.chunks(CHUNK) {
        let mut case = CaseStatement::new();
        for (id, keeper) in chunk {
            case = case.case(Expr::col(Id::CustomerId).eq(*id), Expr::val(*keeper));
        }
        let ids = chunk.iter().map(|(id, _)| *id);
        let move_orders = Query::update()
            .table(Table::Orders)
            .value(Id::CustomerId, case.finally(Expr::col(Id::CustomerId)))
            .and_where(Expr::col(Id::CustomerId).is_in(ids.clone()))
            .to_owned();
        db.execute(&move_orders).await?;
        db.execute(&Query::delete().from_table(Table::Customers).and_where(Expr::col(Id::Id).is_in(ids)).to_owned())
            .await?;
    }
    write_column(manager, Table::Customers, Contact::Phone, &phones).await?;
    write_column(manager, Table::Customers, Contact::Email, &emails).await
}

#[derive(DeriveIden, Clone, Copy)]
enum Table {
    Products,
    ProductVariants,
    Orders,
    Customers,
}

#[derive(DeriveIden, Clone, Copy)]
enum SearchText {
    SearchText,
}

#[derive(DeriveIden, Clone, Copy)]
enum Contact {
    Phone,
    Email,
    CustomerPhone,
}

#[derive(DeriveIden, Clone, Copy)]
enum Id {
    Id,
    CustomerId,
}
