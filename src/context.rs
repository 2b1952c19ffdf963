//! What resolvers and job handlers share.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::DatabaseConnection;

use crate::channels::ChannelHttp;
use crate::config::Settings;
use crate::events::EventBus;
use crate::jobs::queue::JobQueue;
use crate::secrets::SecretBox;

/// Counts the SQL statements run on the connections it is attached to.
#[derive(Clone, Default)]
pub struct StatementCount(Arc<AtomicU64>);

impl StatementCount {
    /// Statements so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Counts every statement `db` runs from now on (its transactions included).
    pub fn attach(&self, db: &mut DatabaseConnection) {
        let count = self.0.clone();
        db.set_metric_callback(move |_| {
            count.fetch_add(1, Ordering::Relaxed);
        });
    }
}

#[derive(Clone)]
pub struct AppContext {
    /// Writes, and the reads inside a write's transaction.
    pub db: DatabaseConnection,
    /// Reads outside a write (the API's queries and relations): on a SQLite file, a pool of read-only connections
    /// beside the one writer, since WAL lets readers run while a write commits; otherwise `db` itself.
    pub reader: DatabaseConnection,
    /// SQL statements run by this context's connections, writer and readers (`/metrics`, statement-count tests).
    pub statements: StatementCount,
    pub queue: JobQueue,
    pub events: EventBus,
    pub secrets: SecretBox,
    pub settings: Arc<Settings>,
    /// The marketplace HTTP client and rate-limit buckets every connector of this process shares.
    pub channel_http: ChannelHttp,
    /// This process's shutdown: requested on SIGTERM or SIGINT, watched by workers, long runs and sockets.
    pub shutdown: crate::shutdown::Shutdown,
}
