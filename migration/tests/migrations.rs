//! The migrations run up, down and up again on SQLite and on PostgreSQL, and agree with the entities.

// A test fails by panicking: unwrapping is how it reports.
#![allow(clippy::unwrap_used)]

mod round_trip;

use std::collections::hash_map::RandomState;
use std::env;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use entity::warehouse;
use migration::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    EntityTrait, QueryFilter,
};
use migration::{Migrator, MigratorTrait};

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

async fn connect(url: &str) -> Result<DatabaseConnection, migration::DbErr> {
    let mut options = ConnectOptions::new(url);
    options.connect_timeout(Duration::from_secs(5)).sqlx_logging(false);
    Database::connect(options).await
}

/// Up, write a row to every table, down (with data present), up again; then the seed is there exactly once.
async fn migrations_go_up_down_and_up_again(db: DatabaseConnection) {
    Migrator::up(&db, None).await.expect("first up");
    round_trip::write_and_read_every_table(&db).await;
    Migrator::down(&db, None).await.expect("down");
    let recorded = db
        .query_all(
            &migration::Query::select()
                .expr(migration::Expr::val(1))
                .from(migration::Alias::new("seaql_migrations"))
                .to_owned(),
        )
        .await
        .expect("read seaql_migrations");
    assert!(recorded.is_empty(), "down left migrations recorded");
    assert!(warehouse::Entity::find().all(&db).await.is_err(), "down dropped the tables");
    Migrator::up(&db, None).await.expect("second up");

    let defaults = warehouse::Entity::find()
        .filter(warehouse::Column::IsDefault.eq(true))
        .all(&db)
        .await
        .expect("read warehouses");
    assert_eq!(defaults.len(), 1, "exactly one default warehouse");
    assert_eq!(defaults[0].name, "Kho tổng");
    assert_eq!(defaults[0].code.as_deref(), Some("MAIN"));
    assert_eq!(
        warehouse::Entity::find().all(&db).await.expect("read warehouses").len(),
        1,
        "the seed is the only warehouse"
    );

    let second_default = warehouse::ActiveModel {
        name: Set("Kho 2".to_owned()),
        is_default: Set(true),
        created_at: Set(defaults[0].created_at),
        updated_at: Set(defaults[0].updated_at),
        ..Default::default()
    };
    assert!(second_default.insert(&db).await.is_err(), "a second default warehouse is rejected");
    let other = warehouse::ActiveModel {
        name: Set("Kho 2".to_owned()),
        is_default: Set(false),
        created_at: Set(defaults[0].created_at),
        updated_at: Set(defaults[0].updated_at),
        ..Default::default()
    };
    other.insert(&db).await.expect("any number of non-default warehouses");
}

#[tokio::test]
async fn migrations_go_up_down_and_up_again_on_sqlite() {
    let db = connect("sqlite::memory:").await.expect("in-memory SQLite");
    migrations_go_up_down_and_up_again(db).await;
}

#[tokio::test]
async fn migrations_go_up_down_and_up_again_on_postgres() {
    let admin_url = env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned());
    let admin = match connect(&admin_url).await {
        Ok(admin) => admin,
        Err(e) if env::var("OMNISYNC_REQUIRE_SERVICES").as_deref() != Ok("1") => {
            println!("SKIPPED: PostgreSQL unreachable at {admin_url} ({e})");
            return;
        }
        Err(e) => {
            panic!("PostgreSQL unreachable at {admin_url} and OMNISYNC_REQUIRE_SERVICES=1: {e}")
        }
    };

    let name = format!("omnisync_migtest_{:016x}", RandomState::new().build_hasher().finish());
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create the test database");
    let db = connect(&with_database(&admin_url, &name)).await.expect("connect to the test database");

    // Run in a task so that the database is dropped even when a check fails.
    let outcome = tokio::spawn(migrations_go_up_down_and_up_again(db)).await;
    admin.execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)")).await.expect("drop the test database");
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// `url` with its database name replaced by `name` (query string kept).
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let (rest, query) = match rest.find('?') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}/{name}{query}")
}
