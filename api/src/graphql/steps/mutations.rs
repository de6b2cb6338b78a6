//! The lifecycle mutations themselves. Each returns the case after the step (its `version`,
//! `allowedSteps`, records and letters), so the front end can go straight on to the next step.

use async_graphql::{Context, ID, MaybeUndefined, Object};
use chrono::{Datelike, Utc};
use entities::enums::{
    AppealOutcome, Behaviour, BreachOutcome, CaseStage, CaseStatus, ConsultedRole, CustomerKind,
    DeciderRole, Language, LetterKind, ReportChannel, ReporterRole, RestrictionKind,
    RestrictionStatus, ReviewRecommendation, WarningStatus,
};
use entities::notification::AlertEvent;
use entities::{
    appeal, behaviour_report, behaviour_report_type, breach, customer, determination,
    new_issue_consideration, restriction, review, service, stage_1_warning, stage_2_decision,
    upc_case,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};

use super::inputs::*;
use super::restrictions::{check_parameters, check_restriction};
use super::{
    Begun, StepTxn, begin, may_take, not_future, optional, parse_enum, required, today,
    visible_case,
};
use crate::audit::{self, Change};
use crate::auth::Role;
use crate::authz::caller;
use crate::authz::scope::case_scope;
use crate::error::{ApiError, ApiResult};
use crate::graphql::cases::CaseNode;
use crate::graphql::ids::parse_id;
use crate::letters::Variation;
use crate::lifecycle::Step;
use crate::lifecycle::store::{
    Idempotency, LetterRequest, calendar, issue_letter, line, next_case_reference,
    next_customer_reference, update_versioned,
};

/// The lifecycle mutations.
#[derive(Default)]
pub struct StepMutation;

/// Unwrap a [`Begun`]: a replay returns its first result at once.
macro_rules! ready {
    ($begun:expr) => {
        match $begun {
            Begun::Ready(step) => *step,
            Begun::Replayed(node) => return Ok(node),
        }
    };
}

/// Case changes that set nothing but the version bump.
fn unchanged() -> upc_case::ActiveModel {
    Default::default()
}

fn json<T: serde::Serialize>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

/// The restrictions of a case, read in the step's transaction.
async fn restrictions_of(
    txn: &DatabaseTransaction,
    case_id: i64,
) -> ApiResult<Vec<restriction::Model>> {
    Ok(restriction::Entity::find()
        .filter(restriction::Column::CaseId.eq(case_id))
        .order_by_asc(restriction::Column::Id)
        .all(txn)
        .await?)
}

fn active(rows: &[restriction::Model]) -> Vec<&restriction::Model> {
    rows.iter()
        .filter(|r| r.status == RestrictionStatus::Active)
        .collect()
}

/// Load a restriction of a case the caller may see, and open the step on its case. A
/// restriction on a case the caller may not see is reported exactly like one that does not
/// exist (5.4).
async fn begin_on_restriction<'a>(
    ctx: &Context<'a>,
    step: Step,
    restriction_id: &ID,
    field: &str,
    idempotency: Option<Idempotency>,
) -> ApiResult<Result<(Box<StepTxn<'a>>, restriction::Model), CaseNode>> {
    let id = parse_id(field, restriction_id)?;
    let request = caller(ctx)?;
    let db = ctx.data_unchecked::<DatabaseConnection>();
    let not_found = || ApiError::NotFound(format!("no restriction {id} that you may see"));
    let visible_cases = sea_orm::sea_query::Query::select()
        .column(upc_case::Column::Id)
        .from(upc_case::Entity)
        .cond_where(case_scope(&request.principal).condition())
        .to_owned();
    let found = restriction::Entity::find_by_id(id)
        .filter(restriction::Column::CaseId.in_subquery(visible_cases))
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    match begin(ctx, step, found.case_id, idempotency).await? {
        Begun::Replayed(node) => Ok(Err(node)),
        Begun::Ready(step_txn) => {
            let r = restriction::Entity::find_by_id(id)
                .one(&step_txn.txn)
                .await?
                .ok_or_else(not_found)?;
            Ok(Ok((step_txn, r)))
        }
    }
}

/// Check the restriction version the client read and that it is in force.
fn check_restriction_state(r: &restriction::Model, sent: i64) -> ApiResult<()> {
    if r.version != sent {
        return Err(crate::lifecycle::store::stale("restriction", r.id, sent));
    }
    if r.status != RestrictionStatus::Active {
        return Err(ApiError::InvalidTransition {
            message: format!(
                "restriction {} is {}, not in force",
                r.id,
                r.status.as_str()
            ),
            current: r.status.as_str().to_string(),
            allowed: Vec::new(),
        });
    }
    Ok(())
}

/// Unwrap an opened restriction step: an idempotent replay returns its first result at once.
macro_rules! replay_or {
    ($opened:expr) => {
        match $opened {
            Ok(pair) => pair,
            Err(node) => return Ok(node),
        }
    };
}

/// Open a change to restriction `restriction_id` whose version the client read as `version`:
/// the step's checks, then the restriction must be unchanged and in force.
async fn open_restriction_step<'a>(
    ctx: &Context<'a>,
    step: Step,
    restriction_id: &ID,
    version: i64,
    idempotency: Option<Idempotency>,
) -> ApiResult<Result<(StepTxn<'a>, restriction::Model), CaseNode>> {
    let opened =
        begin_on_restriction(ctx, step, restriction_id, "restrictionId", idempotency).await?;
    Ok(match opened {
        Ok((s, r)) => {
            check_restriction_state(&r, version)?;
            Ok((*s, r))
        }
        Err(node) => Err(node),
    })
}

/// What a restriction step changes, and how it is recorded.
struct RestrictionPlan {
    variation: Variation,
    action: &'static str,
    reasons: String,
    restriction: restriction::ActiveModel,
    case: upc_case::ActiveModel,
}

impl RestrictionPlan {
    fn new(
        variation: Variation,
        action: &'static str,
        reasons: String,
        restriction: restriction::ActiveModel,
    ) -> Self {
        Self {
            variation,
            action,
            reasons,
            restriction,
            case: unchanged(),
        }
    }
}

/// Apply `plan` to restriction `r`, write the variation letter and the audit event, commit.
async fn close_restriction_step(
    s: StepTxn<'_>,
    r: restriction::Model,
    plan: RestrictionPlan,
) -> ApiResult<CaseNode> {
    let after = update_versioned::<restriction::Entity>(
        &s.txn,
        r.id,
        r.version,
        plan.restriction,
        "restriction",
    )
    .await?;
    s.alert(plan.variation.into(), &after).await?;
    variation_letter(&s, plan.variation, r.id, plan.reasons.clone()).await?;
    s.finish(
        plan.case,
        Change {
            action: plan.action,
            entity_type: "restriction",
            entity_id: r.id.to_string(),
            case_id: None,
            before: json(&r),
            after: json(&after),
            reason: Some(plan.reasons),
        },
    )
    .await
}

/// A variation letter for `case` with the restrictions now in force.
async fn variation_letter(
    s: &StepTxn<'_>,
    variation: Variation,
    regarding: i64,
    reasons: String,
) -> ApiResult<()> {
    let all = restrictions_of(&s.txn, s.case.id).await?;
    let in_force: Vec<_> = active(&all).into_iter().map(line).collect();
    let lifted: Vec<_> = all
        .iter()
        .filter(|r| r.id == regarding && r.status == RestrictionStatus::Lifted)
        .map(line)
        .collect();
    let review_due_on = all
        .iter()
        .filter(|r| r.status == RestrictionStatus::Active)
        .map(|r| r.review_due_on)
        .min();
    issue_letter(
        &s.txn,
        s.request,
        s.settings,
        &s.case,
        LetterRequest {
            kind: LetterKind::RestrictionVariation,
            regarding: ("restriction", regarding),
            letter_date: today(),
            fill: Box::new(move |c| {
                c.reasons = reasons;
                c.restrictions = in_force;
                c.lifted = lifted;
                c.review_due_on = review_due_on;
                c.variation = Some(variation);
            }),
        },
    )
    .await?;
    Ok(())
}

/// Resolve a breach named by a restriction step (5.6): it must be a pending breach of that
/// restriction. Clears the case's flag when no flagged breach is left pending.
async fn resolve_breach(
    s: &StepTxn<'_>,
    breach_id: Option<&ID>,
    restriction_id: i64,
    outcome: BreachOutcome,
    case_changes: &mut upc_case::ActiveModel,
) -> ApiResult<()> {
    let Some(breach_id) = breach_id else {
        return Ok(());
    };
    let id = parse_id("breachId", breach_id)?;
    let b = breach::Entity::find_by_id(id)
        .filter(breach::Column::CaseId.eq(s.case.id))
        .one(&s.txn)
        .await?
        .ok_or_else(|| ApiError::bad_input("breachId", format!("no breach {id} on this case")))?;
    if b.restriction_id != Some(restriction_id) || b.outcome != BreachOutcome::Pending {
        return Err(ApiError::bad_input(
            "breachId",
            format!("breach {id} is not a pending breach of restriction {restriction_id}"),
        ));
    }
    update_versioned::<breach::Entity>(
        &s.txn,
        b.id,
        b.version,
        breach::ActiveModel {
            outcome: Set(outcome),
            ..Default::default()
        },
        "breach",
    )
    .await?;
    let still_flagged = breach::Entity::find()
        .filter(breach::Column::CaseId.eq(s.case.id))
        .filter(breach::Column::FlaggedForReview.eq(true))
        .filter(breach::Column::Outcome.eq(BreachOutcome::Pending))
        .one(&s.txn)
        .await?
        .is_some();
    if !still_flagged {
        case_changes.flagged_for_review = Set(false);
        case_changes.flag_reason = Set(None);
    }
    Ok(())
}

#[Object]
impl StepMutation {
    /// Report behaviour (2.3, 4.4): an officer of the service, or an elected Member. The report
    /// is filed on the customer's open case in that service, or opens a new case at stage
    /// `reported`.
    async fn report_behaviour(
        &self,
        ctx: &Context<'_>,
        input: ReportBehaviourInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let key = Idempotency::new(idempotency_key, "reportBehaviour", &input)?;
        let behaviours = {
            if input.behaviours.is_empty() {
                return Err(ApiError::bad_input(
                    "behaviours",
                    "name at least one behaviour type (2.3, 4.4)",
                ));
            }
            let mut out = Vec::new();
            for b in &input.behaviours {
                let parsed = parse_enum("behaviours", b, Behaviour::ALL)?;
                if out.contains(&parsed) {
                    return Err(ApiError::bad_input(
                        "behaviours",
                        format!("`{b}` is listed more than once"),
                    ));
                }
                out.push(parsed);
            }
            out
        };
        let channel = parse_enum("channel", &input.channel, ReportChannel::ALL)?;
        if input.occurred_at > Utc::now() + chrono::Duration::minutes(5) {
            return Err(ApiError::bad_input(
                "occurredAt",
                "occurredAt is in the future",
            ));
        }
        let description = required("description", &input.description)?;
        let txn = db.begin().await?;
        if let Some(key) = &key
            && let Some(replay) = key.replay(&txn, request).await?
        {
            visible_case(&txn, request, replay.result_id).await?;
            return Ok(CaseNode(replay.result()?));
        }
        let service = service::Entity::find()
            .filter(service::Column::Code.eq(input.service_code.trim()))
            .one(&txn)
            .await?
            .ok_or_else(|| {
                ApiError::bad_input(
                    "serviceCode",
                    format!("no service with code {}", input.service_code.trim()),
                )
            })?;
        if !may_take(&request.principal, Step::ReportBehaviour, &service.code) {
            return Err(ApiError::Forbidden(format!(
                "officers report behaviour for their own services; you are not in {}",
                service.code
            )));
        }
        let reporter_role = if request.principal.has_role(Role::Officer)
            && request.principal.in_service(&service.code)
        {
            ReporterRole::Officer
        } else {
            ReporterRole::ElectedMember
        };
        let now = Utc::now();
        let customer = match (&input.customer_id, &input.new_customer) {
            (Some(id), None) => {
                let id = parse_id("customerId", id)?;
                customer::Entity::find_by_id(id)
                    .one(&txn)
                    .await?
                    .ok_or_else(|| ApiError::bad_input("customerId", format!("no customer {id}")))?
            }
            (None, Some(new)) => {
                let kind = match &new.kind {
                    None => CustomerKind::Person,
                    Some(k) => parse_enum("newCustomer.kind", k, CustomerKind::ALL)?,
                };
                let language = match &new.preferred_language {
                    None => Language::En,
                    Some(l) => parse_enum("newCustomer.preferredLanguage", l, Language::ALL)?,
                };
                customer::ActiveModel {
                    reference: Set(next_customer_reference(&txn).await?),
                    kind: Set(kind),
                    display_name: Set(required("newCustomer.displayName", &new.display_name)?),
                    address: Set(optional("newCustomer.address", new.address.as_deref())?),
                    email: Set(optional("newCustomer.email", new.email.as_deref())?),
                    phone: Set(optional("newCustomer.phone", new.phone.as_deref())?),
                    preferred_language: Set(language),
                    disability_or_unmet_need_noted: Set(None),
                    version: Set(1),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
            }
            _ => {
                return Err(ApiError::bad_input(
                    "customerId",
                    "give exactly one of customerId and newCustomer",
                ));
            }
        };
        let open_case = upc_case::Entity::find()
            .filter(upc_case::Column::CustomerId.eq(customer.id))
            .filter(upc_case::Column::ServiceId.eq(service.id))
            .filter(upc_case::Column::Status.eq(CaseStatus::Open))
            .one(&txn)
            .await?;
        let (case, before) = match open_case {
            Some(existing) => {
                let before = json(&existing);
                let case = update_versioned::<upc_case::Entity>(
                    &txn,
                    existing.id,
                    existing.version,
                    unchanged(),
                    "case",
                )
                .await?;
                (case, before)
            }
            None => {
                let case = upc_case::ActiveModel {
                    reference: Set(next_case_reference(&txn, now.year()).await?),
                    customer_id: Set(customer.id),
                    service_id: Set(service.id),
                    stage: Set(CaseStage::Reported),
                    status: Set(CaseStatus::Open),
                    opened_at: Set(now),
                    closed_at: Set(None),
                    closure_reason: Set(None),
                    appeal_deadline: Set(None),
                    review_due_on: Set(None),
                    flagged_for_review: Set(false),
                    flag_reason: Set(None),
                    version: Set(1),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await
                .map_err(|e| match e.sql_err() {
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ApiError::Conflict(
                        "another case was opened at the same moment; retry".into(),
                    ),
                    _ => e.into(),
                })?;
                (case, None)
            }
        };
        let report = behaviour_report::ActiveModel {
            case_id: Set(case.id),
            reported_by: Set(request.principal.subject.clone()),
            reporter_name: Set(request
                .principal
                .name
                .clone()
                .unwrap_or_else(|| request.principal.subject.clone())),
            reporter_role: Set(reporter_role),
            channel: Set(channel),
            occurred_at: Set(input.occurred_at),
            description: Set(description),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for behaviour in &behaviours {
            behaviour_report_type::ActiveModel {
                report_id: Set(report.id),
                behaviour: Set(*behaviour),
                version: Set(1),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
        audit::record(
            &txn,
            request,
            Change {
                action: "case.report_behaviour",
                entity_type: "behaviour_report",
                entity_id: report.id.to_string(),
                case_id: Some(case.id),
                before,
                after: json(
                    &serde_json::json!({"case": case, "report": report, "behaviours": behaviours}),
                ),
                reason: None,
            },
        )
        .await?;
        if let Some(key) = &key {
            key.remember(&txn, request, "upc_case", case.id, &case)
                .await?;
        }
        txn.commit().await?;
        Ok(CaseNode(case))
    }

    /// Decide whether the reported behaviour was unreasonable (Service manager or Head of
    /// Service, 5.1). `unreasonable: false` closes the case with the reasons.
    async fn determine_behaviour(
        &self,
        ctx: &Context<'_>,
        input: DetermineBehaviourInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = Idempotency::new(idempotency_key, "determineBehaviour", &input)?;
        let case_id = parse_id("caseId", &input.case_id)?;
        let reasons = required("reasons", &input.reasons)?;
        let s = ready!(begin(ctx, Step::DetermineBehaviour, case_id, key).await?);
        s.expect_version(input.version)?;
        let report = match &input.report_id {
            Some(id) => {
                let id = parse_id("reportId", id)?;
                Some(
                    behaviour_report::Entity::find_by_id(id)
                        .filter(behaviour_report::Column::CaseId.eq(s.case.id))
                        .one(&s.txn)
                        .await?
                        .ok_or_else(|| {
                            ApiError::bad_input("reportId", format!("no report {id} on this case"))
                        })?,
                )
            }
            None => {
                behaviour_report::Entity::find()
                    .filter(behaviour_report::Column::CaseId.eq(s.case.id))
                    .order_by_desc(behaviour_report::Column::OccurredAt)
                    .one(&s.txn)
                    .await?
            }
        };
        let decider_role = if s.request.principal.has_role(Role::HeadOfService) {
            DeciderRole::HeadOfService
        } else {
            DeciderRole::ServiceManager
        };
        let now = Utc::now();
        let d = determination::ActiveModel {
            case_id: Set(s.case.id),
            report_id: Set(report.map(|r| r.id)),
            decided_by: Set(s.request.principal.subject.clone()),
            decider_role: Set(decider_role),
            unreasonable: Set(input.unreasonable),
            reasons: Set(reasons.clone()),
            decided_at: Set(now),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&s.txn)
        .await?;
        let changes = if input.unreasonable {
            upc_case::ActiveModel {
                stage: Set(CaseStage::DeterminedUnreasonable),
                ..Default::default()
            }
        } else {
            upc_case::ActiveModel {
                stage: Set(CaseStage::Closed),
                status: Set(CaseStatus::Closed),
                closed_at: Set(Some(now)),
                closure_reason: Set(Some(format!(
                    "behaviour determined not unreasonable: {reasons}"
                ))),
                ..Default::default()
            }
        };
        s.finish(
            changes,
            Change {
                action: "case.determine_behaviour",
                entity_type: "determination",
                entity_id: d.id.to_string(),
                case_id: None,
                before: None,
                after: json(&d),
                reason: Some(reasons),
            },
        )
        .await
    }

    /// Issue the Stage 1 warning (Head of Service, having consulted the Service Director, 5.1).
    /// Sets the appeal deadline (15 working days after the letter date, 6.1), copies the Service
    /// Feedback Officer, enters the central record for Legal Services, and writes the warning
    /// letter in the customer's language.
    async fn issue_stage1_warning(
        &self,
        ctx: &Context<'_>,
        input: IssueStage1WarningInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = Idempotency::new(idempotency_key, "issueStage1Warning", &input)?;
        let case_id = parse_id("caseId", &input.case_id)?;
        let reasons = required("reasons", &input.reasons)?;
        let consulted = required(
            "serviceDirectorConsulted",
            &input.service_director_consulted,
        )?;
        let adjustments = required("adjustmentsConsidered", &input.adjustments_considered)?;
        let proportionality = required("proportionality", &input.proportionality)?;
        let letter_date = input.letter_date.unwrap_or_else(today);
        if letter_date > today() + chrono::Duration::days(14) {
            return Err(ApiError::bad_input(
                "letterDate",
                "the letter date may be at most 14 days ahead",
            ));
        }
        if input.consulted_on > letter_date {
            return Err(ApiError::bad_input(
                "consultedOn",
                "the Service Director must be consulted before the warning is issued (5.1)",
            ));
        }
        let s = ready!(begin(ctx, Step::IssueStage1Warning, case_id, key).await?);
        s.expect_version(input.version)?;
        let determination = determination::Entity::find()
            .filter(determination::Column::CaseId.eq(s.case.id))
            .filter(determination::Column::Unreasonable.eq(true))
            .order_by_desc(determination::Column::Id)
            .one(&s.txn)
            .await?;
        if let Some(d) = &determination
            && letter_date < d.decided_at.date_naive()
        {
            return Err(ApiError::bad_input(
                "letterDate",
                format!(
                    "the letter cannot be dated before the determination ({})",
                    d.decided_at.date_naive()
                ),
            ));
        }
        let deadline = calendar(&s.txn).await?.appeal_deadline(letter_date);
        let now = Utc::now();
        let warning = stage_1_warning::ActiveModel {
            case_id: Set(s.case.id),
            determination_id: Set(determination.map(|d| d.id)),
            issued_by: Set(s.request.principal.subject.clone()),
            letter_date: Set(letter_date),
            service_director_consulted: Set(consulted),
            consulted_on: Set(input.consulted_on),
            adjustments_considered: Set(adjustments),
            proportionality: Set(proportionality),
            feedback_officer_copied: Set(true),
            legal_services_notified_at: Set(Some(now)),
            appeal_deadline: Set(deadline),
            status: Set(WarningStatus::Active),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&s.txn)
        .await?;
        let letter_reasons = reasons.clone();
        issue_letter(
            &s.txn,
            s.request,
            s.settings,
            &s.case,
            LetterRequest {
                kind: LetterKind::Stage1Warning,
                regarding: ("stage_1_warning", warning.id),
                letter_date,
                fill: Box::new(move |c| {
                    c.reasons = letter_reasons;
                    c.appeal_deadline = Some(deadline);
                }),
            },
        )
        .await?;
        s.finish(
            upc_case::ActiveModel {
                stage: Set(CaseStage::Stage1Warning),
                appeal_deadline: Set(Some(deadline)),
                ..Default::default()
            },
            Change {
                action: "case.issue_stage_1_warning",
                entity_type: "stage_1_warning",
                entity_id: warning.id.to_string(),
                case_id: None,
                before: None,
                after: json(&warning),
                reason: Some(reasons),
            },
        )
        .await
    }

    /// Log the customer's written appeal against the Stage 1 warning (Legal Services, 6.1,
    /// 6.2), and notify the Group Director. One received after the deadline gets
    /// `APPEAL_OUT_OF_TIME` unless `lateReason` records why it is accepted late.
    async fn log_appeal(
        &self,
        ctx: &Context<'_>,
        input: LogAppealInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = Idempotency::new(idempotency_key, "logAppeal", &input)?;
        let case_id = parse_id("caseId", &input.case_id)?;
        let grounds = required("grounds", &input.grounds)?;
        let late_reason = optional("lateReason", input.late_reason.as_deref())?;
        let received_on = not_future("receivedOn", input.received_on)?;
        let s = ready!(begin(ctx, Step::LogAppeal, case_id, key).await?);
        s.expect_version(input.version)?;
        let warning = stage_1_warning::Entity::find()
            .filter(stage_1_warning::Column::CaseId.eq(s.case.id))
            .filter(stage_1_warning::Column::Status.eq(WarningStatus::Active))
            .order_by_desc(stage_1_warning::Column::Id)
            .one(&s.txn)
            .await?
            .ok_or_else(|| {
                ApiError::internal(format!("case {} has no standing warning", s.case.id))
            })?;
        if received_on < warning.letter_date {
            return Err(ApiError::bad_input(
                "receivedOn",
                format!(
                    "an appeal cannot be received ({received_on}) before the warning letter ({})",
                    warning.letter_date
                ),
            ));
        }
        let late = received_on > warning.appeal_deadline;
        if !late && late_reason.is_some() {
            return Err(ApiError::bad_input(
                "lateReason",
                format!(
                    "the appeal is in time (the deadline is {}): a late reason is only for appeals received after it",
                    warning.appeal_deadline
                ),
            ));
        }
        if late && late_reason.is_none() {
            return Err(ApiError::AppealOutOfTime(format!(
                "the appeal was received on {received_on}, after the deadline of {} (15 working days after the letter of {}, 6.1); Legal Services may accept it late by giving lateReason",
                warning.appeal_deadline, warning.letter_date
            )));
        }
        let now = Utc::now();
        let a = appeal::ActiveModel {
            case_id: Set(s.case.id),
            warning_id: Set(warning.id),
            received_on: Set(received_on),
            grounds: Set(grounds),
            logged_by: Set(s.request.principal.subject.clone()),
            accepted_late: Set(late),
            late_reason: Set(late_reason),
            group_director_notified_at: Set(Some(now)),
            outcome: Set(AppealOutcome::Pending),
            decided_by: Set(None),
            decided_at: Set(None),
            decision_reasons: Set(None),
            customer_told_at: Set(None),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&s.txn)
        .await?;
        s.finish(
            unchanged(),
            Change {
                action: "case.log_appeal",
                entity_type: "appeal",
                entity_id: a.id.to_string(),
                case_id: None,
                before: None,
                after: json(&a),
                reason: a.late_reason.clone(),
            },
        )
        .await
    }

    /// Decide the appeal (Group Director, 6.2). Upheld: the warning is withdrawn and the case
    /// closed. Not upheld: the warning stands. Either way the customer is written to.
    async fn decide_appeal(
        &self,
        ctx: &Context<'_>,
        input: DecideAppealInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = Idempotency::new(idempotency_key, "decideAppeal", &input)?;
        let case_id = parse_id("caseId", &input.case_id)?;
        let reasons = required("reasons", &input.reasons)?;
        let s = ready!(begin(ctx, Step::DecideAppeal, case_id, key).await?);
        s.expect_version(input.version)?;
        let pending = appeal::Entity::find()
            .filter(appeal::Column::CaseId.eq(s.case.id))
            .filter(appeal::Column::Outcome.eq(AppealOutcome::Pending))
            .one(&s.txn)
            .await?
            .ok_or_else(|| {
                ApiError::internal(format!("case {} has no pending appeal", s.case.id))
            })?;
        let now = Utc::now();
        let outcome = if input.upheld {
            AppealOutcome::Upheld
        } else {
            AppealOutcome::NotUpheld
        };
        let decided = update_versioned::<appeal::Entity>(
            &s.txn,
            pending.id,
            pending.version,
            appeal::ActiveModel {
                outcome: Set(outcome),
                decided_by: Set(Some(s.request.principal.subject.clone())),
                decided_at: Set(Some(now)),
                decision_reasons: Set(Some(reasons.clone())),
                ..Default::default()
            },
            "appeal",
        )
        .await?;
        let mut changes = unchanged();
        if input.upheld {
            let warning = stage_1_warning::Entity::find_by_id(pending.warning_id)
                .one(&s.txn)
                .await?
                .ok_or_else(|| ApiError::internal("appeal without its warning"))?;
            update_versioned::<stage_1_warning::Entity>(
                &s.txn,
                warning.id,
                warning.version,
                stage_1_warning::ActiveModel {
                    status: Set(WarningStatus::Withdrawn),
                    ..Default::default()
                },
                "warning",
            )
            .await?;
            changes.stage = Set(CaseStage::Closed);
            changes.status = Set(CaseStatus::Closed);
            changes.closed_at = Set(Some(now));
            changes.closure_reason = Set(Some(format!(
                "appeal upheld: the Stage 1 warning is withdrawn ({reasons})"
            )));
            changes.appeal_deadline = Set(None);
        }
        let letter_reasons = reasons.clone();
        let upheld = input.upheld;
        issue_letter(
            &s.txn,
            s.request,
            s.settings,
            &s.case,
            LetterRequest {
                kind: LetterKind::AppealOutcome,
                regarding: ("appeal", decided.id),
                letter_date: today(),
                fill: Box::new(move |c| {
                    c.reasons = letter_reasons;
                    c.appeal_upheld = Some(upheld);
                }),
            },
        )
        .await?;
        s.finish(
            changes,
            Change {
                action: "case.decide_appeal",
                entity_type: "appeal",
                entity_id: decided.id.to_string(),
                case_id: None,
                before: json(&pending),
                after: json(&decided),
                reason: Some(reasons),
            },
        )
        .await
    }

    /// Decide Stage 2 restricted contact (Group Director, in consultation with Legal Services
    /// or the Monitoring Officer: 5.1, 5.3, 6.3), imposing at least one restriction for the
    /// case's service only (5.4). After a warning the behaviour must have continued; straight
    /// after the determination it is exceptional, and `exceptionalReasons` are required and
    /// given to the customer. Sets the review date (7.1) and writes the decision letter.
    async fn decide_stage2(
        &self,
        ctx: &Context<'_>,
        input: DecideStage2Input,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = Idempotency::new(idempotency_key, "decideStage2", &input)?;
        let case_id = parse_id("caseId", &input.case_id)?;
        let consulted_role =
            parse_enum("consultedRole", &input.consulted_role, ConsultedRole::ALL)?;
        let consulted_name = required("consultedName", &input.consulted_name)?;
        let adjustments = required("adjustmentsConsidered", &input.adjustments_considered)?;
        let proportionality = required("proportionality", &input.proportionality)?;
        let reasons = required("reasons", &input.reasons)?;
        let exceptional = optional("exceptionalReasons", input.exceptional_reasons.as_deref())?;
        let decided_on = not_future("decidedOn", input.decided_on.unwrap_or_else(today))?;
        if input.restrictions.is_empty() {
            return Err(ApiError::bad_input(
                "restrictions",
                "a Stage 2 decision imposes at least one restriction (5.3)",
            ));
        }
        let s = ready!(begin(ctx, Step::DecideStage2, case_id, key).await?);
        s.expect_version(input.version)?;
        let settings = s.settings;
        let latest_review = settings.latest_review(decided_on);
        let review_due_on = input.review_due_on.unwrap_or(latest_review);
        if review_due_on > latest_review || review_due_on < decided_on {
            return Err(ApiError::bad_input(
                "reviewDueOn",
                format!(
                    "the review must fall between the decision ({decided_on}) and {latest_review}: no later than {} months after it (7.1)",
                    settings.review_period_months
                ),
            ));
        }
        if let Some(determined) = determination::Entity::find()
            .filter(determination::Column::CaseId.eq(s.case.id))
            .order_by_desc(determination::Column::DecidedAt)
            .one(&s.txn)
            .await?
            && decided_on < determined.decided_at.date_naive()
        {
            return Err(ApiError::bad_input(
                "decidedOn",
                format!(
                    "the decision cannot be dated before the behaviour was determined unreasonable ({})",
                    determined.decided_at.date_naive()
                ),
            ));
        }
        let immediate = s.case.stage == CaseStage::DeterminedUnreasonable;
        let warning_id = if immediate {
            if exceptional.is_none() {
                return Err(ApiError::bad_input(
                    "exceptionalReasons",
                    "Stage 2 without a Stage 1 warning is only for exceptional circumstances: record the reasons, which the customer is given (note under 5.1)",
                ));
            }
            None
        } else {
            if exceptional.is_some() {
                return Err(ApiError::bad_input(
                    "exceptionalReasons",
                    "exceptional reasons are for Stage 2 without a warning; this case has one",
                ));
            }
            stage_1_warning::Entity::find()
                .filter(stage_1_warning::Column::CaseId.eq(s.case.id))
                .filter(stage_1_warning::Column::Status.eq(WarningStatus::Active))
                .order_by_desc(stage_1_warning::Column::Id)
                .one(&s.txn)
                .await?
                .map(|w| w.id)
        };
        let mut checked = Vec::new();
        for (i, r) in input.restrictions.iter().enumerate() {
            checked.push(
                check_restriction(
                    &s.txn,
                    &format!("restrictions[{i}]"),
                    r,
                    decided_on,
                    s.case.service_id,
                )
                .await?,
            );
        }
        let now = Utc::now();
        let decision = stage_2_decision::ActiveModel {
            case_id: Set(s.case.id),
            warning_id: Set(warning_id),
            immediate: Set(immediate),
            exceptional_reasons: Set(exceptional.clone()),
            decided_by: Set(s.request.principal.subject.clone()),
            decided_on: Set(decided_on),
            consulted_role: Set(consulted_role),
            consulted_name: Set(consulted_name),
            adjustments_considered: Set(adjustments),
            proportionality: Set(proportionality),
            reasons: Set(reasons.clone()),
            review_due_on: Set(review_due_on),
            service_team_notified_at: Set(Some(now)),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&s.txn)
        .await?;
        let mut imposed = Vec::new();
        for c in checked {
            imposed.push(
                restriction::ActiveModel {
                    case_id: Set(s.case.id),
                    service_id: Set(s.case.service_id),
                    decision_id: Set(Some(decision.id)),
                    kind: Set(c.parameters.kind()),
                    parameters: Set(c.parameters),
                    starts_on: Set(c.starts_on),
                    ends_on: Set(c.ends_on),
                    review_due_on: Set(review_due_on),
                    status: Set(RestrictionStatus::Active),
                    permanent: Set(false),
                    lifted_on: Set(None),
                    lifted_reason: Set(None),
                    version: Set(1),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(&s.txn)
                .await?,
            );
        }
        for r in &imposed {
            s.alert(AlertEvent::Imposed, r).await?;
        }
        let lines: Vec<_> = imposed.iter().map(line).collect();
        let letter_reasons = reasons.clone();
        issue_letter(
            &s.txn,
            s.request,
            s.settings,
            &s.case,
            LetterRequest {
                kind: LetterKind::Stage2Decision,
                regarding: ("stage_2_decision", decision.id),
                letter_date: today(),
                fill: Box::new(move |c| {
                    c.reasons = letter_reasons;
                    c.exceptional_reasons = exceptional;
                    c.consulted = Some(consulted_role);
                    c.restrictions = lines;
                    c.review_due_on = Some(review_due_on);
                }),
            },
        )
        .await?;
        s.finish(
            upc_case::ActiveModel {
                stage: Set(CaseStage::Stage2Restricted),
                review_due_on: Set(Some(review_due_on)),
                appeal_deadline: Set(None),
                ..Default::default()
            },
            Change {
                action: "case.decide_stage_2",
                entity_type: "stage_2_decision",
                entity_id: decision.id.to_string(),
                case_id: None,
                before: None,
                after: json(&serde_json::json!({"decision": decision, "restrictions": imposed})),
                reason: Some(reasons),
            },
        )
        .await
    }

    /// Impose a further restriction on a restricted case (Group Director, 5.3), for the case's
    /// service only (5.4). Its review falls no later than the case's review date.
    async fn impose_restriction(
        &self,
        ctx: &Context<'_>,
        input: ImposeRestrictionInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = Idempotency::new(idempotency_key, "imposeRestriction", &input)?;
        let case_id = parse_id("caseId", &input.case_id)?;
        let reasons = required("reasons", &input.reasons)?;
        let proportionality = required("proportionality", &input.proportionality)?;
        let s = ready!(begin(ctx, Step::ImposeRestriction, case_id, key).await?);
        s.expect_version(input.version)?;
        let checked = check_restriction(
            &s.txn,
            "restriction",
            &input.restriction,
            today(),
            s.case.service_id,
        )
        .await?;
        let latest = s.settings.latest_review(today());
        let review_due_on = s.case.review_due_on.map_or(latest, |d| d.min(latest));
        let decision_id = stage_2_decision::Entity::find()
            .filter(stage_2_decision::Column::CaseId.eq(s.case.id))
            .order_by_desc(stage_2_decision::Column::Id)
            .one(&s.txn)
            .await?
            .map(|d| d.id);
        let now = Utc::now();
        let r = restriction::ActiveModel {
            case_id: Set(s.case.id),
            service_id: Set(s.case.service_id),
            decision_id: Set(decision_id),
            kind: Set(checked.parameters.kind()),
            parameters: Set(checked.parameters),
            starts_on: Set(checked.starts_on),
            ends_on: Set(checked.ends_on),
            review_due_on: Set(review_due_on),
            status: Set(RestrictionStatus::Active),
            permanent: Set(false),
            lifted_on: Set(None),
            lifted_reason: Set(None),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&s.txn)
        .await?;
        s.alert(AlertEvent::Imposed, &r).await?;
        variation_letter(&s, Variation::Imposed, r.id, reasons.clone()).await?;
        s.finish(
            upc_case::ActiveModel {
                review_due_on: Set(Some(review_due_on)),
                ..Default::default()
            },
            Change {
                action: "restriction.impose",
                entity_type: "restriction",
                entity_id: r.id.to_string(),
                case_id: None,
                before: None,
                after: json(
                    &serde_json::json!({"restriction": r, "proportionality": proportionality}),
                ),
                reason: Some(reasons),
            },
        )
        .await
    }

    /// Change a restriction's details, keeping its kind (Group Director, 5.3).
    async fn vary_restriction(
        &self,
        ctx: &Context<'_>,
        input: VaryRestrictionInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = Idempotency::new(idempotency_key, "varyRestriction", &input)?;
        let reasons = required("reasons", &input.reasons)?;
        let (s, r) = replay_or!(
            open_restriction_step(
                ctx,
                Step::VaryRestriction,
                &input.restriction_id,
                input.version,
                key
            )
            .await?
        );
        let parameters =
            check_parameters(&s.txn, "parameters", &input.parameters, s.case.service_id).await?;
        if parameters.kind() != r.kind {
            return Err(ApiError::bad_input(
                "parameters",
                format!(
                    "a variation keeps the kind ({}); lift this restriction and impose a new one to change it",
                    r.kind.as_str()
                ),
            ));
        }
        let ends_on = match input.ends_on {
            MaybeUndefined::Undefined => r.ends_on,
            MaybeUndefined::Null => None,
            MaybeUndefined::Value(day) => Some(day),
        };
        if let Some(ends_on) = ends_on
            && ends_on < r.starts_on
        {
            return Err(ApiError::bad_input(
                "endsOn",
                "a restriction cannot end before it starts",
            ));
        }
        if r.permanent && ends_on.is_some() {
            return Err(ApiError::bad_input(
                "endsOn",
                "a permanent restriction has no end date; lift it instead",
            ));
        }
        let changes = restriction::ActiveModel {
            parameters: Set(parameters),
            ends_on: Set(ends_on),
            ..Default::default()
        };
        let plan = RestrictionPlan::new(Variation::Varied, "restriction.vary", reasons, changes);
        close_restriction_step(s, r, plan).await
    }

    /// Extend a restriction to a later end date (Group Director; 5.6: an ignored exclusion may
    /// be extended). Naming the breach it answers records that outcome.
    async fn extend_restriction(
        &self,
        ctx: &Context<'_>,
        input: ExtendRestrictionInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = Idempotency::new(idempotency_key, "extendRestriction", &input)?;
        let reasons = required("reasons", &input.reasons)?;
        let (s, r) = replay_or!(
            open_restriction_step(
                ctx,
                Step::ExtendRestriction,
                &input.restriction_id,
                input.version,
                key
            )
            .await?
        );
        match r.ends_on {
            None => {
                return Err(ApiError::bad_input(
                    "endsOn",
                    "this restriction has no end date, so there is nothing to extend",
                ));
            }
            Some(current) if input.ends_on <= current => {
                return Err(ApiError::bad_input(
                    "endsOn",
                    format!("an extension must end after the current end date ({current})"),
                ));
            }
            Some(_) => {}
        }
        let changes = restriction::ActiveModel {
            ends_on: Set(Some(input.ends_on)),
            ..Default::default()
        };
        let mut plan =
            RestrictionPlan::new(Variation::Extended, "restriction.extend", reasons, changes);
        resolve_breach(
            &s,
            input.breach_id.as_ref(),
            r.id,
            BreachOutcome::Extended,
            &mut plan.case,
        )
        .await?;
        close_restriction_step(s, r, plan).await
    }

    /// Make a restriction permanent (Group Director; 5.6: in extreme cases). It is still
    /// reviewed (7.1).
    async fn make_restriction_permanent(
        &self,
        ctx: &Context<'_>,
        input: MakeRestrictionPermanentInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = Idempotency::new(idempotency_key, "makeRestrictionPermanent", &input)?;
        let reasons = required("reasons", &input.reasons)?;
        let (s, r) = replay_or!(
            open_restriction_step(
                ctx,
                Step::MakeRestrictionPermanent,
                &input.restriction_id,
                input.version,
                key
            )
            .await?
        );
        if r.permanent {
            return Err(ApiError::bad_input(
                "restrictionId",
                "this restriction is already permanent",
            ));
        }
        let changes = restriction::ActiveModel {
            permanent: Set(true),
            ends_on: Set(None),
            ..Default::default()
        };
        let mut plan = RestrictionPlan::new(
            Variation::MadePermanent,
            "restriction.make_permanent",
            reasons,
            changes,
        );
        resolve_breach(
            &s,
            input.breach_id.as_ref(),
            r.id,
            BreachOutcome::MadePermanent,
            &mut plan.case,
        )
        .await?;
        close_restriction_step(s, r, plan).await
    }

    /// Lift a restriction (Group Director). Lifting the last one in force closes the case.
    async fn lift_restriction(
        &self,
        ctx: &Context<'_>,
        input: LiftRestrictionInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = Idempotency::new(idempotency_key, "liftRestriction", &input)?;
        let reasons = required("reasons", &input.reasons)?;
        let (s, r) = replay_or!(
            open_restriction_step(
                ctx,
                Step::LiftRestriction,
                &input.restriction_id,
                input.version,
                key
            )
            .await?
        );
        let changes = restriction::ActiveModel {
            status: Set(RestrictionStatus::Lifted),
            lifted_on: Set(Some(today())),
            lifted_reason: Set(Some(reasons.clone())),
            ..Default::default()
        };
        let remaining = active(&restrictions_of(&s.txn, s.case.id).await?)
            .into_iter()
            .filter(|other| other.id != r.id)
            .map(|other| other.review_due_on)
            .min();
        let case = match remaining {
            Some(review) => upc_case::ActiveModel {
                review_due_on: Set(Some(review)),
                ..Default::default()
            },
            None => upc_case::ActiveModel {
                stage: Set(CaseStage::Closed),
                status: Set(CaseStatus::Closed),
                closed_at: Set(Some(Utc::now())),
                closure_reason: Set(Some(format!("every restriction lifted: {reasons}"))),
                review_due_on: Set(None),
                flagged_for_review: Set(false),
                flag_reason: Set(None),
                ..Default::default()
            },
        };
        let mut plan =
            RestrictionPlan::new(Variation::Lifted, "restriction.lift", reasons, changes);
        plan.case = case;
        close_restriction_step(s, r, plan).await
    }

    /// Record a breach of a restriction in force (5.6). A breached exclusion flags the case
    /// for immediate review, extension or permanent exclusion.
    async fn record_breach(
        &self,
        ctx: &Context<'_>,
        input: RecordBreachInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = Idempotency::new(idempotency_key, "recordBreach", &input)?;
        let description = required("description", &input.description)?;
        if input.occurred_at > Utc::now() + chrono::Duration::minutes(5) {
            return Err(ApiError::bad_input(
                "occurredAt",
                "occurredAt is in the future",
            ));
        }
        let (s, r) = match begin_on_restriction(
            ctx,
            Step::RecordBreach,
            &input.restriction_id,
            "restrictionId",
            key,
        )
        .await?
        {
            Ok(pair) => pair,
            Err(node) => return Ok(node),
        };
        let s = *s;
        check_restriction_state(&r, r.version)?;
        if input.occurred_at.date_naive() < r.starts_on {
            return Err(ApiError::bad_input(
                "occurredAt",
                format!(
                    "restriction {} only started on {}: nothing before then breaches it",
                    r.id, r.starts_on
                ),
            ));
        }
        let exclusion = r.kind == RestrictionKind::EstablishmentExclusion
            || matches!(
                &r.parameters,
                entities::restriction_parameters::RestrictionParameters::Termination(t)
                    if t.permanent_exclusion_from_premises
            );
        let now = Utc::now();
        let b = breach::ActiveModel {
            case_id: Set(s.case.id),
            restriction_id: Set(Some(r.id)),
            exclusion_id: Set(None),
            contact_id: Set(None),
            occurred_at: Set(input.occurred_at),
            description: Set(description),
            recorded_by: Set(s.request.principal.subject.clone()),
            flagged_for_review: Set(exclusion),
            outcome: Set(BreachOutcome::Pending),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&s.txn)
        .await?;
        let changes = if exclusion {
            upc_case::ActiveModel {
                flagged_for_review: Set(true),
                flag_reason: Set(Some(format!(
                    "exclusion ignored on {}: review at once, extend or make permanent (5.6)",
                    input.occurred_at.date_naive()
                ))),
                ..Default::default()
            }
        } else {
            unchanged()
        };
        s.finish(
            changes,
            Change {
                action: "restriction.breach",
                entity_type: "breach",
                entity_id: b.id.to_string(),
                case_id: None,
                before: None,
                after: json(&b),
                reason: None,
            },
        )
        .await
    }

    /// Record the Group Director's consideration of a new issue raised by a restricted customer
    /// (9.1): the issue is dealt with on its merits, and whether the restrictions remain
    /// appropriate and necessary is recorded. Changing them is a separate step.
    async fn consider_new_issue(
        &self,
        ctx: &Context<'_>,
        input: ConsiderNewIssueInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = Idempotency::new(idempotency_key, "considerNewIssue", &input)?;
        let case_id = parse_id("caseId", &input.case_id)?;
        let description = required("description", &input.description)?;
        let reasons = required("reasons", &input.reasons)?;
        let s = ready!(begin(ctx, Step::ConsiderNewIssue, case_id, key).await?);
        s.expect_version(input.version)?;
        let now = Utc::now();
        let n = new_issue_consideration::ActiveModel {
            case_id: Set(s.case.id),
            contact_id: Set(None),
            description: Set(description),
            considered_by: Set(s.request.principal.subject.clone()),
            restrictions_remain_appropriate: Set(input.restrictions_remain_appropriate),
            reasons: Set(reasons.clone()),
            considered_on: Set(today()),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&s.txn)
        .await?;
        s.finish(
            unchanged(),
            Change {
                action: "case.consider_new_issue",
                entity_type: "new_issue_consideration",
                entity_id: n.id.to_string(),
                case_id: None,
                before: None,
                after: json(&n),
                reason: Some(reasons),
            },
        )
        .await
    }

    /// Review the case and recommend (Legal Services, 7.2, 7.3): continue, partially remove
    /// (naming the restrictions to remove) or fully remove. The Group Director then endorses
    /// or not.
    async fn recommend_review(
        &self,
        ctx: &Context<'_>,
        input: RecommendReviewInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = Idempotency::new(idempotency_key, "recommendReview", &input)?;
        let case_id = parse_id("caseId", &input.case_id)?;
        let recommendation = parse_enum(
            "recommendation",
            &input.recommendation,
            ReviewRecommendation::ALL,
        )?;
        let reasons = required("reasons", &input.reasons)?;
        let mut remove = Vec::new();
        for id in input.remove_restriction_ids.iter().flatten() {
            remove.push(parse_id("removeRestrictionIds", id)?);
        }
        let s = ready!(begin(ctx, Step::RecommendReview, case_id, key).await?);
        s.expect_version(input.version)?;
        let in_force: Vec<i64> = active(&restrictions_of(&s.txn, s.case.id).await?)
            .iter()
            .map(|r| r.id)
            .collect();
        match recommendation {
            ReviewRecommendation::PartiallyRemove => {
                if remove.is_empty() {
                    return Err(ApiError::bad_input(
                        "removeRestrictionIds",
                        "a partial removal names the restrictions to remove",
                    ));
                }
                if let Some(bad) = remove.iter().find(|id| !in_force.contains(id)) {
                    return Err(ApiError::bad_input(
                        "removeRestrictionIds",
                        format!("restriction {bad} is not in force on this case"),
                    ));
                }
                let mut distinct = remove.clone();
                distinct.sort_unstable();
                distinct.dedup();
                if distinct.len() >= in_force.len() {
                    return Err(ApiError::bad_input(
                        "removeRestrictionIds",
                        "removing every restriction is a full removal: recommend fully_remove",
                    ));
                }
                remove = distinct;
            }
            _ => {
                if !remove.is_empty() {
                    return Err(ApiError::bad_input(
                        "removeRestrictionIds",
                        "name restrictions to remove only for a partial removal",
                    ));
                }
            }
        }
        let due_on = s.case.review_due_on.unwrap_or_else(today);
        let now = Utc::now();
        let r = review::ActiveModel {
            case_id: Set(s.case.id),
            due_on: Set(due_on),
            conducted_by: Set(Some(s.request.principal.subject.clone())),
            recommendation: Set(Some(recommendation)),
            recommendation_reasons: Set(Some(reasons.clone())),
            recommended_on: Set(Some(today())),
            endorsed: Set(None),
            endorsed_by: Set(None),
            endorsed_on: Set(None),
            endorsement_reasons: Set(None),
            customer_told_at: Set(None),
            remove_restriction_ids: Set(if remove.is_empty() {
                None
            } else {
                serde_json::to_string(&remove).ok()
            }),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&s.txn)
        .await?;
        s.finish(
            unchanged(),
            Change {
                action: "case.recommend_review",
                entity_type: "review",
                entity_id: r.id.to_string(),
                case_id: None,
                before: None,
                after: json(&r),
                reason: Some(reasons),
            },
        )
        .await
    }

    /// Endorse the review recommendation or not (Group Director, 7.4). Endorsed, it is applied:
    /// continue keeps the restrictions, partial removal lifts the named ones, full removal
    /// lifts all and closes the case. Not endorsed, the restrictions continue. Restrictions
    /// that continue get a new review date (7.1), and the customer is written to.
    async fn endorse_review(
        &self,
        ctx: &Context<'_>,
        input: EndorseReviewInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = Idempotency::new(idempotency_key, "endorseReview", &input)?;
        let case_id = parse_id("caseId", &input.case_id)?;
        let reasons = required("reasons", &input.reasons)?;
        let s = ready!(begin(ctx, Step::EndorseReview, case_id, key).await?);
        s.expect_version(input.version)?;
        let pending = review::Entity::find()
            .filter(review::Column::CaseId.eq(s.case.id))
            .filter(review::Column::Endorsed.is_null())
            .filter(review::Column::Recommendation.is_not_null())
            .one(&s.txn)
            .await?
            .ok_or_else(|| {
                ApiError::internal(format!("case {} has no pending review", s.case.id))
            })?;
        let recommendation = pending
            .recommendation
            .unwrap_or(ReviewRecommendation::Continue);
        let to_remove: Vec<i64> = pending
            .remove_restriction_ids
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default();
        let today = today();
        let next_review = s.settings.latest_review(today);
        let all = restrictions_of(&s.txn, s.case.id).await?;
        let mut lifted_lines = Vec::new();
        let mut kept_lines = Vec::new();
        let lift_reason = format!("removed on review: {reasons}");
        for r in active(&all) {
            let lift = input.endorsed
                && match recommendation {
                    ReviewRecommendation::FullyRemove => true,
                    ReviewRecommendation::PartiallyRemove => to_remove.contains(&r.id),
                    ReviewRecommendation::Continue => false,
                };
            let changes = if lift {
                restriction::ActiveModel {
                    status: Set(RestrictionStatus::Lifted),
                    lifted_on: Set(Some(today)),
                    lifted_reason: Set(Some(lift_reason.clone())),
                    ..Default::default()
                }
            } else {
                restriction::ActiveModel {
                    review_due_on: Set(next_review),
                    ..Default::default()
                }
            };
            let after = update_versioned::<restriction::Entity>(
                &s.txn,
                r.id,
                r.version,
                changes,
                "restriction",
            )
            .await?;
            if lift {
                s.alert(AlertEvent::Lifted, &after).await?;
                lifted_lines.push(line(&after));
            } else {
                kept_lines.push(line(&after));
            }
        }
        let endorsed = update_versioned::<review::Entity>(
            &s.txn,
            pending.id,
            pending.version,
            review::ActiveModel {
                endorsed: Set(Some(input.endorsed)),
                endorsed_by: Set(Some(s.request.principal.subject.clone())),
                endorsed_on: Set(Some(today)),
                endorsement_reasons: Set(Some(reasons.clone())),
                ..Default::default()
            },
            "review",
        )
        .await?;
        let closing = kept_lines.is_empty();
        let letter_reasons = format!(
            "{}\n\n{}",
            pending.recommendation_reasons.clone().unwrap_or_default(),
            reasons
        );
        let endorsed_flag = input.endorsed;
        issue_letter(
            &s.txn,
            s.request,
            s.settings,
            &s.case,
            LetterRequest {
                kind: LetterKind::ReviewOutcome,
                regarding: ("review", endorsed.id),
                letter_date: today,
                fill: Box::new(move |c| {
                    c.reasons = letter_reasons;
                    c.recommendation = Some(recommendation);
                    c.endorsed = Some(endorsed_flag);
                    c.restrictions = kept_lines;
                    c.lifted = lifted_lines;
                    c.review_due_on = (!closing).then_some(next_review);
                }),
            },
        )
        .await?;
        let changes = if closing {
            upc_case::ActiveModel {
                stage: Set(CaseStage::Closed),
                status: Set(CaseStatus::Closed),
                closed_at: Set(Some(Utc::now())),
                closure_reason: Set(Some(format!(
                    "restrictions fully removed on review: {reasons}"
                ))),
                review_due_on: Set(None),
                flagged_for_review: Set(false),
                flag_reason: Set(None),
                ..Default::default()
            }
        } else {
            upc_case::ActiveModel {
                review_due_on: Set(Some(next_review)),
                flagged_for_review: Set(false),
                flag_reason: Set(None),
                ..Default::default()
            }
        };
        s.finish(
            changes,
            Change {
                action: "case.endorse_review",
                entity_type: "review",
                entity_id: endorsed.id.to_string(),
                case_id: None,
                before: json(&pending),
                after: json(&endorsed),
                reason: Some(reasons),
            },
        )
        .await
    }
}
