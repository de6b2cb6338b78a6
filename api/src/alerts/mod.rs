//! Live alerts (policy 5.5: "awareness of the decision to restrict or terminate contact with a
//! customer will be circulated to the appropriate service team").
//!
//! When a lifecycle step imposes, varies, extends, makes permanent or lifts a restriction, it
//! calls [`record`] in its own transaction: that stores a `notification` row and, on
//! PostgreSQL, `NOTIFY`s the channel [`CHANNEL`] with the row's id, which PostgreSQL delivers
//! only when (and if) the transaction commits. Every API instance runs a [`listener`] that
//! loads the notification and hands it to its in-process [`AlertHub`], a broadcast channel
//! that GraphQL subscriptions read from (`http::ws` serves them over WebSocket). On SQLite
//! there is one process and no `NOTIFY`: the step publishes to the hub itself once its
//! transaction has committed ([`Pending::publish`]). Either way nothing is announced for a
//! change that was rolled back.

pub mod listener;

use std::sync::{Arc, Mutex};

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use entities::enums::RestrictionKind;
use entities::notification::{self, AlertEvent};
use entities::{notification_read, restriction, service, upc_case};
use sea_orm::sea_query::{Expr, Func, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend,
    EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::auth::{Principal, Role};
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

/// The alerts published since this connection was acknowledged, for its first
/// `restrictionAlerts` subscription, so that nothing published between the acknowledgement and
/// the subscription is missed.
pub struct ConnectionAlerts(pub Mutex<Option<broadcast::Receiver<Arc<Alert>>>>);

impl ConnectionAlerts {
    /// The connection's receiver the first time; later subscriptions on the same connection
    /// start from the moment they subscribe.
    pub fn take(&self) -> Option<broadcast::Receiver<Arc<Alert>>> {
        self.0.lock().ok().and_then(|mut r| r.take())
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
    insert(txn, actor, case, event, r, None).await
}

/// Store a reminder that restriction `r`'s review is due on `r.review_due_on` (7.1), as
/// [`record`] does, unless one was already written for that restriction and review date:
/// `Ok(None)` then. A unique index on (restriction, event, review date) backs the check.
pub async fn record_review_due(
    txn: &DatabaseTransaction,
    actor: &str,
    case: &upc_case::Model,
    r: &restriction::Model,
) -> ApiResult<Option<Alert>> {
    let already = notification::Entity::find()
        .filter(notification::Column::RestrictionId.eq(r.id))
        .filter(notification::Column::Event.eq(AlertEvent::ReviewDue))
        .filter(notification::Column::ReviewDueOn.eq(r.review_due_on))
        .one(txn)
        .await?;
    if already.is_some() {
        return Ok(None);
    }
    insert(
        txn,
        actor,
        case,
        AlertEvent::ReviewDue,
        r,
        Some(r.review_due_on),
    )
    .await
    .map(Some)
}

async fn insert(
    txn: &DatabaseTransaction,
    actor: &str,
    case: &upc_case::Model,
    event: AlertEvent,
    r: &restriction::Model,
    review_due_on: Option<chrono::NaiveDate>,
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
        review_due_on: Set(review_due_on),
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
        AlertEvent::ReviewDue => {
            return format!(
                "{reference} ({service}): review due on {}: {} (7.1). Arrange the review with Legal Services.",
                r.review_due_on,
                kind_words(r.kind)
            );
        }
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

/// Whose alerts a caller receives: staff those of their own services; Legal Services and the
/// Monitoring Officer every service's; anyone else (Members, the Standards Committee, admin)
/// none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertScope {
    /// Every service's.
    All,
    /// These services'.
    Services(BTreeSet<String>),
}

impl AlertScope {
    /// The scope of `principal`.
    pub fn of(principal: &Principal) -> Self {
        if principal.has_any_role(&[Role::LegalServices, Role::MonitoringOfficer]) {
            AlertScope::All
        } else if principal.has_any_role(crate::domain::roles::SERVICE_STAFF) {
            AlertScope::Services(principal.services.clone())
        } else {
            AlertScope::Services(BTreeSet::new())
        }
    }

    /// Whether alerts of the service with `service_code` reach the caller.
    pub fn includes(&self, service_code: &str) -> bool {
        match self {
            AlertScope::All => true,
            AlertScope::Services(codes) => codes.contains(service_code),
        }
    }

    /// A condition on `notification` rows implementing this scope.
    pub fn condition(&self) -> Condition {
        match self {
            AlertScope::All => Condition::all(),
            AlertScope::Services(codes) if codes.is_empty() => {
                Condition::all().add(Expr::val(1).eq(0))
            }
            AlertScope::Services(codes) => Condition::all().add(
                notification::Column::ServiceId.in_subquery(
                    Query::select()
                        .column(service::Column::Id)
                        .from(service::Entity)
                        .and_where(Expr::col(service::Column::Code).is_in(codes.iter().cloned()))
                        .to_owned(),
                ),
            ),
        }
    }
}

/// `rows` with their service codes and `subject`'s read marks.
pub async fn described(
    db: &impl sea_orm::ConnectionTrait,
    subject: &str,
    rows: Vec<notification::Model>,
) -> ApiResult<Vec<(notification::Model, String, Option<DateTime<Utc>>)>> {
    let ids: Vec<i64> = rows.iter().map(|n| n.id).collect();
    let service_ids: BTreeSet<i64> = rows.iter().map(|n| n.service_id).collect();
    let codes: HashMap<i64, String> = service::Entity::find()
        .filter(service::Column::Id.is_in(service_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.code))
        .collect();
    let marks: HashMap<i64, DateTime<Utc>> = notification_read::Entity::find()
        .filter(notification_read::Column::UserSub.eq(subject))
        .filter(notification_read::Column::NotificationId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.notification_id, m.read_at))
        .collect();
    Ok(rows
        .into_iter()
        .map(|n| {
            let code = codes.get(&n.service_id).cloned().unwrap_or_default();
            let read_at = marks.get(&n.id).copied();
            (n, code, read_at)
        })
        .collect())
}

/// The notifications `principal` receives, newest first, at most `limit` (only those
/// `principal` has not marked read, when `unread_only`), with their service codes and read
/// marks.
pub async fn latest<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    unread_only: bool,
    limit: u64,
) -> ApiResult<Vec<(notification::Model, String, Option<DateTime<Utc>>)>> {
    let subject = &principal.subject;
    let mut query = notification::Entity::find()
        .filter(AlertScope::of(principal).condition())
        .order_by_desc(notification::Column::Id)
        .limit(limit);
    if unread_only {
        query = query.filter(
            notification::Column::Id.not_in_subquery(
                Query::select()
                    .column(notification_read::Column::NotificationId)
                    .from(notification_read::Entity)
                    .and_where(Expr::col(notification_read::Column::UserSub).eq(subject))
                    .to_owned(),
            ),
        );
    }
    let rows = query.all(db).await?;
    described(db, subject, rows).await
}

/// The stored notifications `principal` receives after id `after`, oldest first, at most
/// `limit`, with their service codes and read marks: what a reconnecting subscriber missed.
pub async fn after<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    after: i64,
    limit: u64,
) -> ApiResult<Vec<(notification::Model, String, Option<DateTime<Utc>>)>> {
    let rows = notification::Entity::find()
        .filter(AlertScope::of(principal).condition())
        .filter(notification::Column::Id.gt(after))
        .order_by_asc(notification::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    described(db, &principal.subject, rows).await
}
