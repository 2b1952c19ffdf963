//! What resolvers and job handlers share.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

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
}
