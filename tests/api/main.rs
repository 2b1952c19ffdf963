//! One integration-test binary: every test spawns the real application on a random port and speaks HTTP and
//! WebSocket to it. Tests that touch storage run on both backends: SQLite + embedded queue, and PostgreSQL +
//! Redis (`TEST_DATABASE_URL`, `TEST_REDIS_URL`; unreachable → SKIPPED, or a failure with
//! `OMNISYNC_REQUIRE_SERVICES=1`).

// A test fails by panicking: unwrapping is how it reports.
#![allow(clippy::unwrap_used)]

mod helpers;

mod actors;
mod api_input;
mod auth;
mod browser;
mod bundles;
mod cancel_reasons;
mod catalog;
mod channel_lazada;
mod channel_shopee;
mod channel_tiki;
mod channel_tiktok;
mod channel_webstore;
mod channels;
mod clock_skew;
mod cluster;
mod console_browser;
mod csv_export;
mod csv_import;
mod export_slips;
mod faults_chaos;
mod faults_kill;
mod faults_services;
mod fuzz;
mod graphiql_browser;
mod health;
mod idempotency;
mod inbox_answers;
mod inventory;
mod jobs;
mod lifecycle;
mod linking;
mod linking_rules;
mod listing_products;
mod live_events;
mod metrics;
mod orders;
mod orders_effects;
mod orders_seed_rules;
mod oversell_guards;
mod pagination;
mod persisted_queries;
mod price_rules;
mod push_linger;
mod query_cost;
mod read_statements;
mod schema;
mod schema_docs;
mod schema_relations;
mod search;
mod settings_e2e;
mod slip_reservations;
mod sorting;
mod spec_rules;
mod stock_push;
mod stock_warehouses;
mod stock_warnings;
mod store_in_step;
mod subscriptions;
mod sync_errors;
mod webhook_registration;
mod webhooks;
mod ws_protocol;
