//! omnisync: one catalog, one stock ledger and one order book, kept in step with every sales channel.
//!
//! Dependency direction: `graphql, web → services → domain, entity`; `jobs → services`; `domain` does no I/O.

/// `omnisync --version`: the package version and the commit it was built from (`build.rs`).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("OMNISYNC_COMMIT"), ")");

pub mod backup;
pub mod bench;
pub mod channels;
pub mod config;
pub mod context;
pub mod demo;
pub mod domain;
pub mod events;
pub mod graphql;
pub mod jobs;
pub mod metrics;
pub mod secrets;
pub mod services;
pub mod shutdown;
pub mod sim;
pub mod startup;
pub mod telemetry;
pub mod web;
