//! Live alerts (policy 5.5: "awareness of the decision to restrict or terminate contact with a
//! customer will be circulated to the appropriate service team").
//!
//! When a lifecycle step imposes, varies, extends, makes permanent or lifts a restriction, it
//! calls [`record`] in its own transaction: that stores a `notification` row and, on
//! PostgreSQL, `NOTIFY`s the channel [`CHANNEL`] with the row's id, which PostgreSQL delivers
//! only when (and if) the transaction commits. Every API instance runs a [`listener`] that
//! loads the notification and hands it to its in-process [`AlertHub`], a broadcast channel
//! that GraphQL subscriptions read from ([`socket`] serves them over WebSocket). On SQLite
//! there is one process and no `NOTIFY`: the step publishes to the hub itself once its
//! transaction has committed ([`Pending::publish`]). Either way nothing is announced for a
//! change that was rolled back.

pub mod listener;
pub mod socket;

use std::sync::{Arc, Mutex};

use chrono::Utc;
use entities::enums::RestrictionKind;
use entities::notification::{self, AlertEvent};
use entities::{restriction, service, upc_case};
use sea_orm::sea_query::{Func, Query};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, Set,
};
use tokio::sync::broadcast;

use crate::error::ApiResult;

/// The PostgreSQL channel alerts are announced on; the payload is the notification's id.
pub const CHANNEL: &str = "upc_alerts";

/// How many alerts a slow subscriber may fall behind before it skips some (it is told in the
/// log; the stored notifications still list them).
const CAPACITY: usize = 1024;

/// An alert as subscribers receive it: the stored notification and its service's code.
#[derive(Debug, Clone)]
pub struct Alert {
    /// The stored notification.
    pub notification: notification::Model,
    /// The code of the service whose team is told.
    pub service_code: String,
}

/// The in-process fan-out of alerts to this instance's subscriptions.
#[derive(Clone)]
pub struct AlertHub {
    sender: broadcast::Sender<Arc<Alert>>,
    /// True when steps publish their own alerts after commit (SQLite); false when the
    /// PostgreSQL listener does (so each alert is published once, by the listener).
    local: bool,
}

impl AlertHub {
    /// A hub for a database of `backend`.
    pub fn new(backend: DbBackend) -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Self {
            sender,
            local: backend != DbBackend::Postgres,
        }
    }

    /// A receiver of every alert published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Alert>> {
        self.sender.subscribe()
    }

    /// Hand `alert` to every current subscriber (none listening is fine).
    pub fn publish(&self, alert: Alert) {
        let _ = self.sender.send(Arc::new(alert));
    }
}

/// The alerts a step has recorded in its transaction, published once it commits.
#[derive(Default)]
pub struct Pending {
    hub: Option<AlertHub>,
    alerts: Mutex<Vec<Alert>>,
}

impl Pending {
    /// Nothing pending yet; alerts will go to `hub` (none in a schema built without one).
    pub fn new(hub: Option<&AlertHub>) -> Self {
        Self {
            hub: hub.cloned(),
            alerts: Mutex::new(Vec::new()),
        }
    }

    /// Remember `alert` until the transaction commits.
    pub fn push(&self, alert: Alert) {
        if let Ok(mut alerts) = self.alerts.lock() {
            alerts.push(alert);
        }
    }

    /// The transaction committed: publish (on SQLite; on PostgreSQL the listener does).
    pub fn publish(self) {
        let Some(hub) = self.hub else { return };
        if !hub.local {
            return;
        }
        if let Ok(alerts) = self.alerts.into_inner() {
            for alert in alerts {
                hub.publish(alert);
            }
        }
    }
}

/// Store an alert about restriction `r` (as it stands after the change) on `case` for the
/// case's service team, in `txn`, by `actor`; on PostgreSQL also `NOTIFY` it, which is
/// delivered when `txn` commits.
pub async fn record(
    txn: &DatabaseTransaction,
    actor: &str,
    case: &upc_case::Model,
    event: AlertEvent,
    r: &restriction::Model,
) -> ApiResult<Alert> {
    let service_code = service::Entity::find_by_id(case.service_id)
        .one(txn)
        .await?
        .map(|s| s.code)
        .unwrap_or_default();
    let row = notification::ActiveModel {
        service_id: Set(case.service_id),
        case_id: Set(case.id),
        restriction_id: Set(r.id),
        event: Set(event),
        restriction_kind: Set(r.kind),
        case_reference: Set(case.reference.clone()),
        starts_on: Set(r.starts_on),
        ends_on: Set(r.ends_on),
        summary: Set(summary(&case.reference, &service_code, event, r)),
        created_by: Set(actor.to_string()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // PostgreSQL-only by nature: delivered to every listener at commit, never on rollback.
        let notify = Query::select()
            .expr(Func::cust("pg_notify").arg(CHANNEL).arg(row.id.to_string()))
            .to_owned();
        txn.execute(&notify).await?;
    }
    Ok(Alert {
        notification: row,
        service_code,
    })
}

/// One line for the service team: the case reference, what happened, the kind and the dates.
/// No customer name and no free text (the reasons may name people).
pub fn summary(
    reference: &str,
    service: &str,
    event: AlertEvent,
    r: &restriction::Model,
) -> String {
    let what = match event {
        AlertEvent::Imposed => "restriction imposed",
        AlertEvent::Varied => "restriction varied",
        AlertEvent::Extended => "restriction extended",
        AlertEvent::MadePermanent => "restriction made permanent",
        AlertEvent::Lifted => "restriction lifted",
    };
    let when = match event {
        AlertEvent::Lifted => match r.lifted_on {
            Some(day) => format!("lifted on {day}"),
            None => "lifted".to_string(),
        },
        _ if r.permanent => format!("from {}, permanent", r.starts_on),
        _ => match r.ends_on {
            Some(end) => format!("from {} until {end}", r.starts_on),
            None => format!("from {}, no end date", r.starts_on),
        },
    };
    format!(
        "{reference} ({service}): {what}: {} ({when}). Check the case before any contact.",
        kind_words(r.kind)
    )
}

/// A restriction kind in plain words.
fn kind_words(kind: RestrictionKind) -> &'static str {
    match kind {
        RestrictionKind::TimeLimits => "contact within set time limits",
        RestrictionKind::NamedContact => "contact only with a named officer or team",
        RestrictionKind::TelephoneTimes => "telephone contact on set days and times only",
        RestrictionKind::EstablishmentExclusion => "exclusion from named council establishments",
        RestrictionKind::ContactForm => "contact in one form only",
        RestrictionKind::ContactAgreement => "contact under a contact agreement",
        RestrictionKind::Termination => "termination of contact",
    }
}
