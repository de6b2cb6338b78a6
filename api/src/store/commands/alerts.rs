//! Marking an alert to a service team read (5.5): for the caller only, once.

use chrono::{DateTime, Utc};
use entities::notification;
use entities::notification_read;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::alerts::{AlertScope, described};
use crate::audit::{self, Change};
use crate::error::{ApiError, ApiResult};
use crate::store::{Database, Idempotency, Session};

/// A notification, its service's code, and when the caller marked it read.
pub type Marked = (notification::Model, String, Option<DateTime<Utc>>);

impl<C: Database> Session<'_, C> {
    /// Mark notification `id` read for the caller. Marking it again changes nothing and
    /// returns the time it was first marked; the first mark is audited.
    pub async fn mark_notification_read(
        &self,
        id: i64,
        key: Option<Idempotency>,
    ) -> ApiResult<Marked> {
        let subject = self.actor().subject.clone();
        let uow = self.begin(key).await?;
        let txn = uow.txn();
        let scope = AlertScope::of(self.actor()).condition();
        let replay = uow.replayed::<serde_json::Value>().await?.is_some();
        let found = notification::Entity::find_by_id(id)
            .filter(scope)
            .one(txn)
            .await?
            .ok_or_else(|| {
                ApiError::NotFound(if replay {
                    format!("no notification {id}")
                } else {
                    format!("no notification {id} that you may see")
                })
            })?;
        if replay {
            // Marking read is idempotent anyway: answer with the notification as it is now.
            return described(txn, &subject, vec![found])
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| ApiError::internal("described lost a row"));
        }
        let inserted = notification_read::Entity::insert(notification_read::ActiveModel {
            notification_id: Set(found.id),
            user_sub: Set(subject.clone()),
            read_at: Set(self.now),
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
        .exec_without_returning(txn)
        .await?;
        let mark = notification_read::Entity::find()
            .filter(notification_read::Column::NotificationId.eq(found.id))
            .filter(notification_read::Column::UserSub.eq(&subject))
            .one(txn)
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
            audit::record(txn, self.request, change).await?;
        }
        let read_at = mark.read_at;
        uow.commit("notification_read", mark.id, &mark).await?;
        let code = crate::store::facts::service_code(self.db, found.service_id).await?;
        Ok((found, code, Some(read_at)))
    }
}
