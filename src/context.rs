//! What resolvers and job handlers share.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::channels::ChannelHttp;
use crate::config::Settings;
use crate::events::EventBus;
use crate::jobs::queue::JobQueue;
use crate::secrets::SecretBox;

#[derive(Clone)]
pub struct AppContext {
    pub db: DatabaseConnection,
    pub queue: JobQueue,
    pub events: EventBus,
    pub secrets: SecretBox,
    pub settings: Arc<Settings>,
    /// The marketplace HTTP client and rate-limit buckets every connector of this process shares.
    pub channel_http: ChannelHttp,
}
