//! Live alerts to service teams (policy 5.5): the stored notifications each user lists and
//! marks read, the `restrictionAlerts` subscription, and the hook the lifecycle steps call
//! when they change a restriction. See [`crate::alerts`] for how alerts travel.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::{Context, ID, Object, SimpleObject, Subscription};
use chrono::{DateTime, NaiveDate, Utc};
use entities::notification;
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;

use crate::alerts::{Alert, AlertHub, AlertScope, ConnectionAlerts};
use crate::auth::Role;
use crate::authz::policy::{Verdict, verdict};
use crate::authz::{RequestContext, caller};
use crate::domain::values::{NotificationId, RecordId};
use crate::error::{ApiError, ApiResult};
use crate::graphql::ids::{page_size, parse_id};
use crate::graphql::steps::{key, session};

/// Default and largest number of notifications a list returns.
const PAGE: (i32, i32) = (50, 200);

/// An alert to a service team about a restriction in their service (5.5). It names no
/// customer and carries no free text: open the case for the details.
#[derive(SimpleObject, Clone, Debug)]
pub struct Notification {
    /// Opaque id: pass it to `markNotificationRead`, or as `since` to `restrictionAlerts` to
    /// resume after it.
    pub id: ID,
    /// What happened: `imposed`, `varied`, `extended`, `made_permanent` or `lifted`; or
    /// `review_due`, a reminder from the scheduler that the restriction's review is due soon
    /// or overdue (7.1).
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
    /// For `review_due`: the review date the reminder is about; null for other events.
    pub review_due_on: Option<NaiveDate>,
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
            review_due_on: n.review_due_on,
            read_at,
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

/// Notifications with their service codes and read marks, as the API shows them.
fn views(rows: Vec<(notification::Model, String, Option<DateTime<Utc>>)>) -> Vec<Notification> {
    rows.into_iter()
        .map(|(n, code, read_at)| Notification::new(n, code, read_at))
        .collect()
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
        let limit = page_size(first, PAGE.0 as u64, PAGE.1 as u64)?;
        let rows =
            crate::alerts::latest(db, &request.principal, unread_only.unwrap_or(false), limit)
                .await?;
        Ok(views(rows))
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
        let notification_id = parse_id::<NotificationId>("id", &id)?.get();
        let key = key(
            idempotency_key,
            "markNotificationRead",
            &serde_json::json!({ "id": notification_id }),
        )?;
        let (n, code, read_at) = session(ctx)?
            .mark_notification_read(notification_id, key)
            .await?;
        Ok(Notification::new(n, code, read_at))
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
            let limit = u64::try_from(PAGE.1).unwrap_or(200);
            backlog = views(crate::alerts::after(db, &request.principal, after, limit).await?);
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
