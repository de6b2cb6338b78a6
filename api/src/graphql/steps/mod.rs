//! One mutation per step of the policy. Each is one transaction: it loads the case through the
//! caller's row scope, checks the caller holds the role the policy names for the step in the
//! case's service, checks the step is legal in the case's state (else `INVALID_TRANSITION` with
//! the current state and the legal steps), writes the step's records, any letter to the
//! customer, the case's new state (refusing a stale `version` with `CONFLICT`) and one audit
//! event, and commits. An optional idempotency key makes a retry return the first result
//! (the case as that call returned it) without repeating the step.

mod inputs;
mod mutations;
mod restrictions;

pub use inputs::*;
pub use mutations::StepMutation;

use async_graphql::Context;
use chrono::{DateTime, NaiveDate, Utc};
use entities::{appeal, behaviour_report, restriction, review, service, stage_1_warning, upc_case};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait,
};

use crate::audit::{self, Change};
use crate::auth::{Principal, Role};
use crate::authz::scope::case_scope;
use crate::authz::{RequestContext, caller};
use crate::error::{ApiError, ApiResult};
use crate::graphql::cases::CaseNode;
use crate::lifecycle::store::{Idempotency, LifecycleSettings, update_versioned};
use crate::lifecycle::{self, CaseFacts, Step};

/// A step under way: the transaction, the case as read in it, and what the caller sent.
pub struct StepTxn<'a> {
    /// The caller.
    pub request: &'a RequestContext,
    /// Lifecycle settings.
    pub settings: &'a LifecycleSettings,
    /// The step's transaction.
    pub txn: DatabaseTransaction,
    /// The case as read in the transaction.
    pub case: upc_case::Model,
    /// The step.
    pub step: Step,
    idempotency: Option<Idempotency>,
    /// Restriction alerts recorded in the transaction, announced after it commits (5.5).
    pub(crate) alerts: crate::alerts::Pending,
}

/// Either a step ready to run, or the first result of an idempotent replay.
pub enum Begun<'a> {
    /// Run the step.
    Ready(Box<StepTxn<'a>>),
    /// The key was used before with the same input: this is the first call's result.
    Replayed(CaseNode),
}

/// Today, in the council's calendar (UTC; the council is in the UK).
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// May `principal` take `step` on a case of service `service_code`? Service roles act only for
/// their own services (5.4); Legal Services for every service; an elected Member reports
/// behaviour aimed at them in any service.
pub fn may_take(principal: &Principal, step: Step, service_code: &str) -> bool {
    step.roles().iter().any(|role| {
        principal.has_role(*role)
            && (matches!(role, Role::LegalServices | Role::ElectedMember)
                || principal.in_service(service_code))
    })
}

/// The facts of `case` as stored now, read in `txn`.
pub async fn load_facts(txn: &DatabaseTransaction, case: &upc_case::Model) -> ApiResult<CaseFacts> {
    let warnings = stage_1_warning::Entity::find()
        .filter(stage_1_warning::Column::CaseId.eq(case.id))
        .all(txn)
        .await?;
    let appeals = appeal::Entity::find()
        .filter(appeal::Column::CaseId.eq(case.id))
        .all(txn)
        .await?;
    let report_times: Vec<DateTime<Utc>> = behaviour_report::Entity::find()
        .select_only()
        .column(behaviour_report::Column::OccurredAt)
        .filter(behaviour_report::Column::CaseId.eq(case.id))
        .into_tuple()
        .all(txn)
        .await?;
    let restrictions = restriction::Entity::find()
        .filter(restriction::Column::CaseId.eq(case.id))
        .all(txn)
        .await?;
    let reviews = review::Entity::find()
        .filter(review::Column::CaseId.eq(case.id))
        .all(txn)
        .await?;
    Ok(lifecycle::facts_from(
        case,
        &warnings,
        &appeals,
        &report_times,
        &restrictions,
        &reviews,
    ))
}

/// `INVALID_TRANSITION` unless `step` is legal for `case` now.
pub fn check_transition(step: Step, case: &upc_case::Model, facts: &CaseFacts) -> ApiResult<()> {
    match lifecycle::refusal(step, facts) {
        None => Ok(()),
        Some(message) => Err(ApiError::InvalidTransition {
            message,
            current: case.stage.as_str().to_string(),
            allowed: lifecycle::allowed_steps(facts)
                .into_iter()
                .map(|s| s.mutation().to_string())
                .collect(),
        }),
    }
}

/// The service code of `service_id`.
pub async fn service_code(txn: &DatabaseTransaction, service_id: i64) -> ApiResult<String> {
    Ok(service::Entity::find_by_id(service_id)
        .one(txn)
        .await?
        .map(|s| s.code)
        .unwrap_or_default())
}

/// `FORBIDDEN` unless the caller may take `step` in the case's service.
pub async fn authorise(
    txn: &DatabaseTransaction,
    request: &RequestContext,
    step: Step,
    case: &upc_case::Model,
) -> ApiResult<()> {
    let code = service_code(txn, case.service_id).await?;
    if may_take(&request.principal, step, &code) {
        return Ok(());
    }
    let roles: Vec<&str> = step.roles().iter().map(|r| r.as_str()).collect();
    Err(ApiError::Forbidden(format!(
        "{} needs the role {} in the case's service ({code})",
        step.mutation(),
        roles.join(" or ")
    )))
}

/// The case `case_id` as the caller may see it, read in `txn`.
pub async fn visible_case(
    txn: &DatabaseTransaction,
    request: &RequestContext,
    case_id: i64,
) -> ApiResult<upc_case::Model> {
    upc_case::Entity::find_by_id(case_id)
        .filter(case_scope(&request.principal).condition())
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no case {case_id} that you may see")))
}

/// Open the transaction for `step` on `case_id`: replay an idempotent retry, or check scope,
/// role and state.
pub async fn begin<'a>(
    ctx: &Context<'a>,
    step: Step,
    case_id: i64,
    idempotency: Option<Idempotency>,
) -> ApiResult<Begun<'a>> {
    let request = caller(ctx)?;
    let settings = ctx.data_unchecked::<LifecycleSettings>();
    let db = ctx.data_unchecked::<DatabaseConnection>();
    let txn = db.begin().await?;
    if let Some(key) = &idempotency
        && let Some(replay) = key.replay(&txn, request).await?
    {
        visible_case(&txn, request, replay.result_id).await?;
        return Ok(Begun::Replayed(CaseNode(replay.result()?)));
    }
    let case = visible_case(&txn, request, case_id).await?;
    authorise(&txn, request, step, &case).await?;
    let facts = load_facts(&txn, &case).await?;
    check_transition(step, &case, &facts)?;
    Ok(Begun::Ready(Box::new(StepTxn {
        request,
        settings,
        txn,
        case,
        step,
        idempotency,
        alerts: crate::alerts::Pending::new(ctx.data_opt::<crate::alerts::AlertHub>()),
    })))
}

impl StepTxn<'_> {
    /// Check the version the client read.
    pub fn expect_version(&self, sent: i64) -> ApiResult<()> {
        if sent == self.case.version {
            Ok(())
        } else {
            Err(crate::lifecycle::store::stale("case", self.case.id, sent))
        }
    }

    /// Write the case's new state (bumping its version), the audit event and the idempotency
    /// key, and commit.
    pub async fn finish(
        self,
        changes: upc_case::ActiveModel,
        change: Change<'_>,
    ) -> ApiResult<CaseNode> {
        let before = serde_json::to_value(&self.case).ok();
        let case = update_versioned::<upc_case::Entity>(
            &self.txn,
            self.case.id,
            self.case.version,
            changes,
            "case",
        )
        .await?;
        let mut change = change;
        change.case_id = Some(case.id);
        if change.before.is_none() {
            change.before = before;
        }
        audit::record(&self.txn, self.request, change).await?;
        if let Some(key) = &self.idempotency {
            key.remember(&self.txn, self.request, "upc_case", case.id, &case)
                .await?;
        }
        self.txn.commit().await?;
        self.alerts.publish();
        Ok(CaseNode(case))
    }
}

/// Trimmed text that must not be blank.
pub fn required(field: &str, value: &str) -> ApiResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::bad_input(
            field,
            format!("{field} must not be blank"),
        ));
    }
    if v.len() > 20_000 {
        return Err(ApiError::bad_input(
            field,
            format!("{field} is longer than 20,000 characters"),
        ));
    }
    Ok(v.to_string())
}

/// Trimmed optional text: blank counts as absent.
pub fn optional(field: &str, value: Option<&str>) -> ApiResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required(field, v).map(Some),
    }
}

/// Refuse a date after today.
pub fn not_future(field: &str, date: NaiveDate) -> ApiResult<NaiveDate> {
    if date > today() {
        return Err(ApiError::bad_input(
            field,
            format!("{field} ({date}) is in the future"),
        ));
    }
    Ok(date)
}

/// Parse a text enumeration value, naming the field and listing the values on error.
pub fn parse_enum<T>(field: &str, value: &str, all: &[T]) -> ApiResult<T>
where
    T: std::str::FromStr + Copy + std::fmt::Display,
{
    value.parse::<T>().map_err(|_| {
        let values: Vec<String> = all.iter().map(|v| v.to_string()).collect();
        ApiError::bad_input(
            field,
            format!("`{value}` is not one of: {}", values.join(", ")),
        )
    })
}
