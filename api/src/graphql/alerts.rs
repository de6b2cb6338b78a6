//! Live alerts to service teams (policy 5.5): the stored notifications each user lists and
//! marks read, the `restrictionAlerts` subscription, and the hook the lifecycle steps call
//! when they change a restriction. See [`crate::alerts`] for how alerts travel.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::{Context, ID, Object, SimpleObject, Subscription};
use chrono::{DateTime, NaiveDate, Utc};
use entities::notification::{self, AlertEvent};
use entities::{notification_read, restriction, service};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use tokio::sync::broadcast;

use crate::alerts::socket::ConnectionAlerts;
use crate::alerts::{Alert, AlertHub};
use crate::audit::{self, Change};
use crate::auth::{Principal, Role};
use crate::authz::policy::{SERVICE_STAFF, Verdict, verdict};
use crate::authz::{RequestContext, caller};
use crate::error::{ApiError, ApiResult};
use crate::graphql::ids::parse_id;
use crate::graphql::steps::StepTxn;
use crate::letters::Variation;
use crate::lifecycle::store::{Idempotency, remember, replayed};

/// Default and largest number of notifications a list returns.
const PAGE: (i32, i32) = (50, 200);

/// An alert to a service team about a restriction in their service (5.5). It names no
/// customer and carries no free text: open the case for the details.
#[derive(SimpleObject, Clone, Debug)]
pub struct Notification {
    /// Opaque id: pass it to `markNotificationRead`, or as `since` to `restrictionAlerts` to
    /// resume after it.
    pub id: ID,
    /// What happened: `imposed`, `varied`, `extended`, `made_permanent` or `lifted`.
    pub event: String,
    /// The service whose team is told.
    pub service_code: String,
    /// The case (read it with `case(id:)`).
    pub case_id: ID,
    /// The case reference.
    pub case_reference: String,
    /// The restriction.
    pub restriction_id: ID,
    /// Its kind (5.3): `time_limits`, `named_contact`, `telephone_times`,
    /// `establishment_exclusion`, `contact_form`, `contact_agreement` or `termination`.
    pub restriction_kind: String,
    /// Its first day in force, as it stood after the change.
    pub starts_on: NaiveDate,
    /// Its last day in force, if it had one, as it stood after the change.
    pub ends_on: Option<NaiveDate>,
    /// One line for the team: the case reference, what happened, the kind and the dates.
    pub summary: String,
    /// When the change was made.
    pub created_at: DateTime<Utc>,
    /// When you marked it read; null while unread.
    pub read_at: Option<DateTime<Utc>>,
}

impl Notification {
    fn new(n: notification::Model, service_code: String, read_at: Option<DateTime<Utc>>) -> Self {
        Notification {
            id: ID(n.id.to_string()),
            event: n.event.as_str().to_string(),
            service_code,
            case_id: ID(n.case_id.to_string()),
            case_reference: n.case_reference,
            restriction_id: ID(n.restriction_id.to_string()),
            restriction_kind: n.restriction_kind.as_str().to_string(),
            starts_on: n.starts_on,
            ends_on: n.ends_on,
            summary: n.summary,
            created_at: n.created_at,
            read_at,
        }
    }
}

/// Whose alerts a caller receives: staff those of their own services; Legal Services and the
/// Monitoring Officer every service's; anyone else (Members, the Standards Committee, admin)
/// none.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AlertScope {
    All,
    Services(BTreeSet<String>),
}

impl AlertScope {
    fn of(principal: &Principal) -> Self {
        if principal.has_any_role(&[Role::LegalServices, Role::MonitoringOfficer]) {
            AlertScope::All
        } else if principal.has_any_role(SERVICE_STAFF) {
            AlertScope::Services(principal.services.clone())
        } else {
            AlertScope::Services(BTreeSet::new())
        }
    }

    fn includes(&self, service_code: &str) -> bool {
        match self {
            AlertScope::All => true,
            AlertScope::Services(codes) => codes.contains(service_code),
        }
    }

    /// A condition on `notification` rows implementing this scope.
    fn condition(&self) -> Condition {
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

/// Refuse callers the policy table does not let call `Type.field` (the guard checks it too,
/// but a subscription's field is only guarded as each event arrives).
fn allowed(request: &RequestContext, type_name: &str, field: &str) -> ApiResult<()> {
    let roles: Vec<Role> = request.principal.roles.iter().copied().collect();
    match verdict(type_name, field, &roles) {
        Verdict::Allow => Ok(()),
        _ => Err(ApiError::Forbidden(format!(
            "your roles may not read {type_name}.{field}"
        ))),
    }
}

/// `rows` with their service codes and the caller's read marks.
async fn described(
    db: &impl sea_orm::ConnectionTrait,
    subject: &str,
    rows: Vec<notification::Model>,
) -> ApiResult<Vec<Notification>> {
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
            Notification::new(n, code, read_at)
        })
        .collect())
}

/// The stored notifications query.
#[derive(Default)]
pub struct AlertQuery;

#[Object]
impl AlertQuery {
    /// Restriction alerts for your services (5.5), newest first: staff see their own services';
    /// Legal Services and the Monitoring Officer every service's.
    // Priced per row asked for (issue 8), like the case list.
    #[graphql(
        complexity = "1 + (first.unwrap_or(PAGE.0).clamp(1, PAGE.1) as usize) * child_complexity"
    )]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only those you have not marked read (default false).")]
        unread_only: Option<bool>,
        #[graphql(desc = "How many, 1 to 200 (default 50).")] first: Option<i32>,
    ) -> ApiResult<Vec<Notification>> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let first = first.unwrap_or(PAGE.0);
        if !(1..=PAGE.1).contains(&first) {
            return Err(ApiError::bad_input(
                "first",
                format!("first must be from 1 to {}", PAGE.1),
            ));
        }
        let subject = &request.principal.subject;
        let mut query = notification::Entity::find()
            .filter(AlertScope::of(&request.principal).condition())
            .order_by_desc(notification::Column::Id)
            .limit(u64::try_from(first).unwrap_or(50));
        if unread_only.unwrap_or(false) {
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
}

/// Marking notifications read.
#[derive(Default)]
pub struct AlertMutation;

#[Object]
impl AlertMutation {
    /// Mark a notification read, for you only. Marking it again changes nothing and returns
    /// the time it was first marked.
    async fn mark_notification_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The notification.")] id: ID,
        #[graphql(desc = "Makes a retry return the first result without repeating the change.")]
        idempotency_key: Option<String>,
    ) -> ApiResult<Notification> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let notification_id = parse_id("id", &id)?;
        let key = Idempotency::new(
            idempotency_key,
            "markNotificationRead",
            &serde_json::json!({ "id": notification_id }),
        )?;
        let subject = request.principal.subject.clone();
        let txn = db.begin().await?;
        if replayed::<serde_json::Value, _>(&txn, request, &key)
            .await?
            .is_some()
        {
            // Marking read is idempotent anyway: answer with the notification as it is now.
            let found = notification::Entity::find_by_id(notification_id)
                .filter(AlertScope::of(&request.principal).condition())
                .one(&txn)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("no notification {notification_id}")))?;
            let node = described(&txn, &subject, vec![found]).await?;
            return node
                .into_iter()
                .next()
                .ok_or_else(|| ApiError::internal("described lost a row"));
        }
        let found = notification::Entity::find_by_id(notification_id)
            .filter(AlertScope::of(&request.principal).condition())
            .one(&txn)
            .await?
            .ok_or_else(|| {
                ApiError::NotFound(format!(
                    "no notification {notification_id} that you may see"
                ))
            })?;
        let now = Utc::now();
        let inserted = notification_read::Entity::insert(notification_read::ActiveModel {
            notification_id: Set(found.id),
            user_sub: Set(subject.clone()),
            read_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([
                notification_read::Column::NotificationId,
                notification_read::Column::UserSub,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        let mark = notification_read::Entity::find()
            .filter(notification_read::Column::NotificationId.eq(found.id))
            .filter(notification_read::Column::UserSub.eq(&subject))
            .one(&txn)
            .await?
            .ok_or_else(|| ApiError::internal("the read mark just written is missing"))?;
        if inserted == 1 {
            let mut change = Change::created(
                "notification.mark_read",
                "notification_read",
                mark.id,
                &mark,
            );
            change.case_id = Some(found.case_id);
            audit::record(&txn, request, change).await?;
        }
        remember(&txn, request, &key, "notification_read", mark.id, &mark).await?;
        txn.commit().await?;
        let service_code = service::Entity::find_by_id(found.service_id)
            .one(db)
            .await?
            .map(|s| s.code)
            .unwrap_or_default();
        Ok(Notification::new(found, service_code, Some(mark.read_at)))
    }
}

/// The live alerts subscription: the schema's `Subscription` type.
#[derive(Default)]
pub struct AlertSubscription;

/// Every subscription the API serves, over WebSocket at `/graphql/ws` (graphql-transport-ws,
/// the bearer token in the `connection_init` payload).
#[Subscription(name = "Subscription")]
impl AlertSubscription {
    /// Restriction alerts for your services as they happen (5.5): one event each time a
    /// restriction is imposed, varied, extended, made permanent or lifted in a service you see
    /// (staff: their own services; Legal Services and the Monitoring Officer: every service).
    /// With `since`, first the stored ones after that id (at most 200, oldest first), so a
    /// client that reconnects misses nothing. Served over WebSocket at `/graphql/ws`.
    async fn restriction_alerts(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Replay the stored notifications after this id first (`0` for all, at most 200)."
        )]
        since: Option<ID>,
    ) -> async_graphql::Result<BoxStream<'static, Notification>> {
        let request = caller(ctx)?;
        allowed(request, "Subscription", "restrictionAlerts")?;
        let scope = AlertScope::of(&request.principal);
        // Receive first, then read the backlog, so nothing falls between the two.
        let receiver = ctx
            .data_opt::<ConnectionAlerts>()
            .and_then(ConnectionAlerts::take)
            .or_else(|| ctx.data_opt::<AlertHub>().map(AlertHub::subscribe));
        let mut backlog = Vec::new();
        if let Some(since) = since {
            let after = since
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| {
                    ApiError::bad_input("since", format!("`{}` is not a valid id", since.as_str()))
                })?;
            let db = ctx.data_unchecked::<DatabaseConnection>();
            let rows = notification::Entity::find()
                .filter(scope.condition())
                .filter(notification::Column::Id.gt(after))
                .order_by_asc(notification::Column::Id)
                .limit(u64::try_from(PAGE.1).unwrap_or(200))
                .all(db)
                .await?;
            backlog = described(db, &request.principal.subject, rows).await?;
        }
        let replayed: HashSet<String> = backlog.iter().map(|n| n.id.to_string()).collect();
        let live = match receiver {
            Some(receiver) => live(receiver, scope, replayed),
            None => stream::empty().boxed(),
        };
        Ok(stream::iter(backlog).chain(live).boxed())
    }
}

/// The alerts `receiver` gets that `scope` includes, skipping those already replayed.
fn live(
    receiver: broadcast::Receiver<Arc<Alert>>,
    scope: AlertScope,
    replayed: HashSet<String>,
) -> BoxStream<'static, Notification> {
    stream::unfold(receiver, move |mut receiver| {
        let scope = scope.clone();
        let replayed = replayed.clone();
        async move {
            loop {
                match receiver.recv().await {
                    Ok(alert) => {
                        let id = alert.notification.id.to_string();
                        if scope.includes(&alert.service_code) && !replayed.contains(&id) {
                            let n = Notification::new(
                                alert.notification.clone(),
                                alert.service_code.clone(),
                                None,
                            );
                            return Some((n, receiver));
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(skipped)) => {
                        tracing::warn!(
                            skipped,
                            "a restrictionAlerts subscriber fell behind; the skipped alerts are in its stored notifications"
                        );
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        }
    })
    .boxed()
}

impl From<Variation> for AlertEvent {
    fn from(v: Variation) -> Self {
        match v {
            Variation::Imposed => AlertEvent::Imposed,
            Variation::Varied => AlertEvent::Varied,
            Variation::Extended => AlertEvent::Extended,
            Variation::MadePermanent => AlertEvent::MadePermanent,
            Variation::Lifted => AlertEvent::Lifted,
        }
    }
}

impl StepTxn<'_> {
    /// Tell the case's service team about restriction `r` as it stands after the change
    /// (5.5): the notification is stored in this step's transaction and announced once it
    /// commits.
    pub async fn alert(&self, event: AlertEvent, r: &restriction::Model) -> ApiResult<()> {
        let alert = crate::alerts::record(
            &self.txn,
            &self.request.principal.subject,
            &self.case,
            event,
            r,
        )
        .await?;
        self.alerts.push(alert);
        Ok(())
    }
}
