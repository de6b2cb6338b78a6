//! The HTTP side of the API (issue 8): GraphQL over HTTP with its limits, subscriptions over
//! WebSocket, the report downloads and feeds, the middleware every request goes through
//! (request id, timeout, security headers, access log, metrics, panics), the state handlers
//! share, and the database's health as requests see it.

pub mod graphql;
pub mod limits;
pub mod middleware;
pub mod reports;
pub mod sign_in;
pub mod state;
pub mod ws;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sea_orm::DatabaseConnection;

/// Whether the database answered last time it was asked. Set when a request fails internally
/// and a ping then fails too; while set, each request pings first and is answered 503 at once
/// if the database is still away, so nothing is half-done. The first successful ping clears it:
/// the API recovers by itself when the database returns.
#[derive(Debug, Default)]
pub struct DbHealth {
    down: AtomicBool,
}

/// Longest a health ping may take.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

impl DbHealth {
    /// True when the database answers a ping now; records the answer.
    pub async fn check(&self, db: &DatabaseConnection) -> bool {
        let up = matches!(
            tokio::time::timeout(PING_TIMEOUT, db.ping()).await,
            Ok(Ok(()))
        );
        let was_down = self.down.swap(!up, Ordering::SeqCst);
        if up && was_down {
            tracing::warn!("database reachable again; serving requests");
        } else if !up && !was_down {
            tracing::error!("database unreachable; answering 503 until it returns");
        }
        up
    }

    /// True when the last check failed.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::SeqCst)
    }
}
