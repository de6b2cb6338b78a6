//! The PostgreSQL side of live alerts: each API instance `LISTEN`s on [`CHANNEL`], loads each
//! announced notification and publishes it to its [`AlertHub`]. The task runs beside request
//! handling and never blocks it; if the connection drops it logs, waits (doubling from one
//! second to thirty) and reconnects, then catches up on notifications stored while it was away.

use std::time::Duration;

use entities::{notification, service};
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use tokio::task::JoinHandle;

use super::{Alert, AlertHub, CHANNEL};

/// Waits between reconnection attempts: doubling from the first to the second.
const BACKOFF: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(30));
/// How long start-up waits for the first `LISTEN` before going on without it (the task keeps
/// trying in the background).
const FIRST_CONNECT: Duration = Duration::from_secs(10);
/// At most this many stored notifications are re-announced after a reconnection.
const CATCH_UP_LIMIT: u64 = 500;

/// The running listener; dropping it stops the task.
pub struct Listener {
    task: JoinHandle<()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start listening for alerts on PostgreSQL (`None` on SQLite, where steps publish their own).
/// Returns once the first `LISTEN` is in place (or has failed, or [`FIRST_CONNECT`] passed),
/// so that no alert committed after start-up is missed.
pub async fn start(db: &DatabaseConnection, database_url: &str, hub: AlertHub) -> Option<Listener> {
    if db.get_database_backend() != DbBackend::Postgres {
        return None;
    }
    // Where a catch-up starts: 0 for an empty table; unknown (None) if it cannot be read.
    let last_seen = match newest_id(db).await {
        Ok(newest) => Some(newest.unwrap_or(0)),
        Err(e) => {
            tracing::warn!(error = %e, "alert listener: cannot read the newest notification id");
            None
        }
    };
    let first = match tokio::time::timeout(FIRST_CONNECT, connect(database_url)).await {
        Ok(Ok(listener)) => Some(listener),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "alert listener: cannot LISTEN yet; retrying in the background");
            None
        }
        Err(_) => {
            tracing::warn!("alert listener: LISTEN timed out; retrying in the background");
            None
        }
    };
    let task = tokio::spawn(run(
        db.clone(),
        database_url.to_string(),
        hub,
        first,
        last_seen,
    ));
    Some(Listener { task })
}

async fn connect(url: &str) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

async fn newest_id(db: &DatabaseConnection) -> Result<Option<i64>, DbErr> {
    notification::Entity::find()
        .select_only()
        .column(notification::Column::Id)
        .order_by_desc(notification::Column::Id)
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await
}

/// The listener loop: forward each notification; on a lost connection, back off, reconnect
/// and catch up.
async fn run(
    db: DatabaseConnection,
    url: String,
    hub: AlertHub,
    mut current: Option<PgListener>,
    mut last_seen: Option<i64>,
) {
    let mut backoff = BACKOFF.0;
    let mut missed = current.is_none();
    loop {
        let mut listener = match current.take() {
            Some(listener) => listener,
            None => match connect(&url).await {
                Ok(listener) => {
                    tracing::info!("alert listener: listening again");
                    listener
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "alert listener: cannot connect");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(BACKOFF.1);
                    continue;
                }
            },
        };
        if missed {
            catch_up(&db, &hub, &mut last_seen).await;
        }
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => {
                    backoff = BACKOFF.0;
                    forward(&db, &hub, n.payload(), &mut last_seen).await;
                }
                Ok(None) => {
                    // The connection dropped and sqlx reconnected and listens again; anything
                    // announced in between was lost, so look in the table.
                    tracing::warn!("alert listener: connection lost and re-established");
                    catch_up(&db, &hub, &mut last_seen).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "alert listener: connection failed");
                    break;
                }
            }
        }
        drop(listener);
        missed = true;
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF.1);
    }
}

/// Publish the notification whose id is `payload`.
async fn forward(
    db: &DatabaseConnection,
    hub: &AlertHub,
    payload: &str,
    last_seen: &mut Option<i64>,
) {
    let Ok(id) = payload.parse::<i64>() else {
        tracing::warn!(
            payload,
            "alert listener: ignoring a payload that is not an id"
        );
        return;
    };
    match notification::Entity::find_by_id(id)
        .find_also_related(service::Entity)
        .one(db)
        .await
    {
        Ok(Some((n, s))) => {
            *last_seen = Some(last_seen.map_or(n.id, |seen| seen.max(n.id)));
            hub.publish(Alert {
                notification: n,
                service_code: s.map(|s| s.code).unwrap_or_default(),
            });
        }
        Ok(None) => tracing::warn!(id, "alert listener: announced notification not found"),
        Err(e) => tracing::warn!(id, error = %e, "alert listener: cannot load notification"),
    }
}

/// Publish the notifications stored after `last_seen` (those announced while not listening).
/// A notification committed during the gap with an id below one already seen (PostgreSQL ids
/// are taken before commit) is not re-announced; it is still in everyone's stored list.
async fn catch_up(db: &DatabaseConnection, hub: &AlertHub, last_seen: &mut Option<i64>) {
    let Some(after) = *last_seen else {
        match newest_id(db).await {
            Ok(newest) => *last_seen = Some(newest.unwrap_or(0)),
            Err(e) => {
                tracing::warn!(error = %e, "alert listener: cannot read the newest notification id")
            }
        }
        return;
    };
    let rows = notification::Entity::find()
        .filter(notification::Column::Id.gt(after))
        .find_also_related(service::Entity)
        .order_by_asc(notification::Column::Id)
        .limit(CATCH_UP_LIMIT)
        .all(db)
        .await;
    match rows {
        Ok(rows) => {
            if !rows.is_empty() {
                tracing::info!(
                    count = rows.len(),
                    "alert listener: re-announcing alerts stored while away"
                );
            }
            for (n, s) in rows {
                *last_seen = Some(n.id);
                hub.publish(Alert {
                    notification: n,
                    service_code: s.map(|s| s.code).unwrap_or_default(),
                });
            }
        }
        Err(e) => tracing::warn!(error = %e, "alert listener: cannot catch up"),
    }
}
