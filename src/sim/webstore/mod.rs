//! Webstore simulator (stub: being implemented).

use actix_web::{HttpResponse, web};

use crate::channels::{Credentials, Kind};
use crate::sim::{MarketplaceSim, SimOrder, SimState, WebhookPush};

pub struct WebstoreSim;

/// The app credentials this simulator accepts.
pub fn sim_credentials() -> Credentials {
    Credentials::default()
}

impl MarketplaceSim for WebstoreSim {
    fn kind(&self) -> Kind {
        Kind::Webstore
    }
    fn configure(&self, _cfg: &mut web::ServiceConfig) {}
    fn order_statuses(&self) -> &'static [&'static str] {
        &["pending"]
    }
    fn initial_order_status(&self) -> &'static str {
        "pending"
    }
    fn rate_limited(&self) -> HttpResponse {
        HttpResponse::TooManyRequests().finish()
    }
    fn order_webhook(&self, _state: &SimState, _order: &SimOrder, _created: bool) -> Option<WebhookPush> {
        None
    }
}
