//! Letters sent, letter templates, the council's services, establishments and closure days.

use entities::{appeal, closure_day, establishment, letter, letter_template, review, service};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::safety::HasId;
use super::{Opened, ready};
use crate::audit::{self, Change};
use crate::domain::Outcome;
use crate::domain::correspondence::{self, LetterFacts, MarkLetterSent, NewTemplate, Regarding};
use crate::domain::directory::{self, NewClosureDay, NewEstablishment, NewService, UpdateService};
use crate::domain::outcome::Row;
use crate::domain::values::{ClosureDayId, CustomerId, LetterId, RecordId, ServiceId};
use crate::error::{ApiError, ApiResult};
use crate::store::{Database, Idempotency, Session, UnitOfWork, facts};
use crate::subject_access::{self, Bundle, StaffNames};

impl<'a, C: Database> Session<'a, C> {
    /// Apply and commit a command whose result is the first row of kind `M` it wrote.
    pub(super) async fn finish_row<M>(
        &self,
        mut uow: UnitOfWork<'a, C>,
        outcome: Outcome,
        table: &str,
    ) -> ApiResult<M>
    where
        M: TryFrom<Row> + serde::Serialize + HasId,
    {
        let applied = uow.apply(outcome).await?;
        let row: M = applied.written()?;
        uow.commit(table, row.id(), &row).await?;
        Ok(row)
    }

    /// Mark a letter sent; for an appeal or review outcome, the customer was told (6.2, 7.4).
    pub async fn mark_letter_sent(
        &self,
        id: LetterId,
        cmd: MarkLetterSent,
        key: Option<Idempotency>,
    ) -> ApiResult<letter::Model> {
        let uow = ready!(self.open::<letter::Model>(key, |_| None).await?);
        let txn = uow.txn();
        let found = letter::Entity::find_by_id(id.get())
            .one(txn)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no letter {id}")))?;
        let case = facts::visible_case(txn, self.actor(), found.case_id).await?;
        let service_code = facts::service_code(txn, case.service_id).await?;
        let regarding = match (found.regarding_type.as_deref(), found.regarding_id) {
            (Some("appeal"), Some(id)) => appeal::Entity::find_by_id(id)
                .one(txn)
                .await?
                .map(Regarding::Appeal),
            (Some("review"), Some(id)) => review::Entity::find_by_id(id)
                .one(txn)
                .await?
                .map(Regarding::Review),
            _ => None,
        };
        let outcome = correspondence::mark_sent(
            &cmd,
            LetterFacts {
                letter: found,
                service_code,
                regarding,
            },
            self.actor(),
            self.now,
        )?;
        self.finish_row(uow, outcome, "letter").await
    }

    /// A new version of a letter template; it becomes the one new letters use.
    pub async fn create_letter_template(
        &self,
        cmd: NewTemplate,
        key: Option<Idempotency>,
    ) -> ApiResult<letter_template::Model> {
        cmd.validate()?;
        let uow = ready!(self.open::<letter_template::Model>(key, |_| None).await?);
        let previous = letter_template::Entity::find()
            .filter(letter_template::Column::Kind.eq(cmd.kind))
            .filter(letter_template::Column::Language.eq(cmd.language))
            .order_by_desc(letter_template::Column::TemplateVersion)
            .all(uow.txn())
            .await?;
        let outcome = correspondence::create_template(cmd, previous, self.actor(), self.now);
        let mut uow = uow;
        let applied = uow.apply(outcome).await?;
        let created: letter_template::Model = applied.created(0)?;
        uow.commit("letter_template", created.id, &created).await?;
        Ok(created)
    }

    /// Add a council closure day.
    pub async fn add_closure_day(
        &self,
        cmd: NewClosureDay,
        key: Option<Idempotency>,
    ) -> ApiResult<closure_day::Model> {
        let uow = ready!(self.open::<closure_day::Model>(key, |_| None).await?);
        let existing = closure_day::Entity::find()
            .filter(closure_day::Column::Day.eq(cmd.day))
            .one(uow.txn())
            .await?;
        let outcome = directory::add_closure_day(cmd, existing.as_ref(), self.actor(), self.now)?;
        self.finish_row(uow, outcome, "closure_day").await
    }

    /// Remove a council closure day.
    pub async fn remove_closure_day(
        &self,
        id: ClosureDayId,
        key: Option<Idempotency>,
    ) -> ApiResult<closure_day::Model> {
        let mut uow = ready!(self.open::<closure_day::Model>(key, |_| None).await?);
        let found = closure_day::Entity::find_by_id(id.get())
            .one(uow.txn())
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no closure day {id}")))?;
        uow.apply(directory::remove_closure_day(found.clone()))
            .await?;
        uow.commit("closure_day", found.id, &found).await?;
        Ok(found)
    }

    /// Add a council service.
    pub async fn create_service(
        &self,
        cmd: NewService,
        key: Option<Idempotency>,
    ) -> ApiResult<service::Model> {
        let uow = ready!(self.open::<service::Model>(key, |_| None).await?);
        let existing = service::Entity::find()
            .filter(service::Column::Code.eq(cmd.code.as_str()))
            .one(uow.txn())
            .await?;
        let outcome = directory::create_service(cmd, existing.as_ref(), self.now)?;
        self.finish_row(uow, outcome, "service").await
    }

    /// Rename a service or take it out of use.
    pub async fn update_service(
        &self,
        id: ServiceId,
        cmd: UpdateService,
        key: Option<Idempotency>,
    ) -> ApiResult<service::Model> {
        let uow = ready!(self.open::<service::Model>(key, |_| None).await?);
        let found = service::Entity::find_by_id(id.get())
            .one(uow.txn())
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no service {id}")))?;
        let outcome = directory::update_service(cmd, &found)?;
        self.finish_row(uow, outcome, "service").await
    }

    /// Add a council establishment, run by the service with `service_code` if given.
    pub async fn create_establishment(
        &self,
        cmd: NewEstablishment,
        service_code: Option<&str>,
        key: Option<Idempotency>,
    ) -> ApiResult<establishment::Model> {
        let uow = ready!(self.open::<establishment::Model>(key, |_| None).await?);
        let service = match service_code {
            None => None,
            Some(code) => Some(facts::service_by_code(uow.txn(), code).await?),
        };
        let outcome = directory::create_establishment(cmd, service.as_ref(), self.now);
        self.finish_row(uow, outcome, "establishment").await
    }
}

impl<C: Database> Session<'_, C> {
    /// Export everything held about customer `id` for a subject access request (UK GDPR
    /// article 15): the bundle, and its audit event (the counts, never the content), in one
    /// transaction. The bundle shows the record as it stood just before.
    pub async fn export_subject_access(
        &self,
        id: CustomerId,
        staff_names: StaffNames,
        reason: Option<String>,
    ) -> ApiResult<Bundle> {
        let txn = self.db.begin().await?;
        let bundle = subject_access::export(&txn, id.get(), staff_names, self.now).await?;
        let counts: serde_json::Map<String, serde_json::Value> = bundle
            .counts
            .iter()
            .map(|c| (c.kind.to_string(), serde_json::json!(c.count)))
            .collect();
        audit::record(
            &txn,
            self.request,
            Change {
                action: "subject_access.export",
                entity_type: "customer",
                entity_id: id.to_string(),
                case_id: None,
                before: None,
                after: Some(serde_json::json!({
                    "generated_at": bundle.generated_at,
                    "staff_names": staff_names.as_str(),
                    "counts": counts,
                })),
                reason: reason
                    .map(|r| r.trim().to_string())
                    .filter(|r| !r.is_empty()),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(bundle)
    }
}
