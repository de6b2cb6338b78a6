//! The lifecycle mutations themselves: parse → run the step → return the case after it (its
//! `version`, `allowedSteps`, records and letters), so the front end can go straight on to
//! the next step. The rules are in [`crate::domain`]; what each step writes is in its outcome.

use async_graphql::{Context, MaybeUndefined, Object};
use entities::enums::{Behaviour, ConsultedRole, ReportChannel, ReviewRecommendation};

use super::inputs::*;
use super::restrictions::{parameters, terms};
use super::{customer_choice, key, session};
use crate::domain::adjustments::AdjustmentId;
use crate::domain::appeals::{DecideAppeal, LogAppeal};
use crate::domain::behaviour::ReportBehaviour;
use crate::domain::new_issues::ConsiderNewIssue;
use crate::domain::restrictions::{
    ExtendRestriction, ImposeRestriction, LiftRestriction, MakePermanent, RecordBreach,
    VaryRestriction,
};
use crate::domain::reviews::{EndorseReview, RecommendReview};
use crate::domain::stage1::{DetermineBehaviour, IssueWarning};
use crate::domain::stage2::DecideStage2;
use crate::domain::values::{BreachId, CaseId, ReportId, RestrictionId, Text, choice};
use crate::error::ApiResult;
use crate::graphql::cases::CaseNode;
use crate::graphql::ids::{parse_id, parse_opt_id};

/// The lifecycle mutations.
#[derive(Default)]
pub struct StepMutation;

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
        let key = key(idempotency_key, "reportBehaviour", &input)?;
        let mut behaviours = Vec::with_capacity(input.behaviours.len());
        for b in &input.behaviours {
            behaviours.push(choice("behaviours", b, Behaviour::ALL)?);
        }
        let cmd = ReportBehaviour {
            behaviours: ReportBehaviour::behaviours(behaviours)?,
            channel: choice("channel", &input.channel, ReportChannel::ALL)?,
            occurred_at: input.occurred_at,
            description: Text::parse("description", &input.description)?,
            customer: customer_choice(input.customer_id.as_ref(), input.new_customer.as_ref())?,
            service_code: input.service_code.trim().to_string(),
        };
        Ok(CaseNode(session(ctx)?.report_behaviour(cmd, key).await?))
    }

    /// Decide whether the reported behaviour was unreasonable (Service manager or Head of
    /// Service, 5.1). `unreasonable: false` closes the case with the reasons.
    async fn determine_behaviour(
        &self,
        ctx: &Context<'_>,
        input: DetermineBehaviourInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = key(idempotency_key, "determineBehaviour", &input)?;
        let case = parse_id::<CaseId>("caseId", &input.case_id)?;
        let cmd = DetermineBehaviour {
            version: input.version,
            unreasonable: input.unreasonable,
            reasons: Text::parse("reasons", &input.reasons)?,
            report: parse_opt_id::<ReportId>("reportId", input.report_id.as_ref())?,
        };
        let s = session(ctx)?;
        Ok(CaseNode(s.determine_behaviour(case, cmd, key).await?))
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
        let key = key(idempotency_key, "issueStage1Warning", &input)?;
        let case = parse_id::<CaseId>("caseId", &input.case_id)?;
        let cmd = IssueWarning {
            version: input.version,
            letter_date: input.letter_date,
            reasons: Text::parse("reasons", &input.reasons)?,
            service_director_consulted: Text::parse(
                "serviceDirectorConsulted",
                &input.service_director_consulted,
            )?,
            consulted_on: input.consulted_on,
            adjustments_considered: Text::parse(
                "adjustmentsConsidered",
                &input.adjustments_considered,
            )?,
            proportionality: Text::parse("proportionality", &input.proportionality)?,
            adjustment_ids: adjustment_ids(input.adjustment_ids_considered.as_deref())?,
        };
        let s = session(ctx)?;
        Ok(CaseNode(s.issue_stage_1_warning(case, cmd, key).await?))
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
        let key = key(idempotency_key, "logAppeal", &input)?;
        let case = parse_id::<CaseId>("caseId", &input.case_id)?;
        let cmd = LogAppeal {
            version: input.version,
            received_on: input.received_on,
            grounds: Text::parse("grounds", &input.grounds)?,
            late_reason: Text::optional("lateReason", input.late_reason.as_deref())?,
        };
        Ok(CaseNode(session(ctx)?.log_appeal(case, cmd, key).await?))
    }

    /// Decide the appeal (Group Director, 6.2). Upheld: the warning is withdrawn and the case
    /// closed. Not upheld: the warning stands. Either way the customer is written to.
    async fn decide_appeal(
        &self,
        ctx: &Context<'_>,
        input: DecideAppealInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = key(idempotency_key, "decideAppeal", &input)?;
        let case = parse_id::<CaseId>("caseId", &input.case_id)?;
        let cmd = DecideAppeal {
            version: input.version,
            upheld: input.upheld,
            reasons: Text::parse("reasons", &input.reasons)?,
        };
        Ok(CaseNode(session(ctx)?.decide_appeal(case, cmd, key).await?))
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
        let key = key(idempotency_key, "decideStage2", &input)?;
        let case = parse_id::<CaseId>("caseId", &input.case_id)?;
        let mut restrictions = Vec::with_capacity(input.restrictions.len());
        for (i, r) in input.restrictions.iter().enumerate() {
            restrictions.push(terms(&format!("restrictions[{i}]"), r)?);
        }
        let cmd = DecideStage2 {
            version: input.version,
            consulted_role: choice("consultedRole", &input.consulted_role, ConsultedRole::ALL)?,
            consulted_name: Text::parse("consultedName", &input.consulted_name)?,
            adjustments_considered: Text::parse(
                "adjustmentsConsidered",
                &input.adjustments_considered,
            )?,
            proportionality: Text::parse("proportionality", &input.proportionality)?,
            reasons: Text::parse("reasons", &input.reasons)?,
            exceptional_reasons: Text::optional(
                "exceptionalReasons",
                input.exceptional_reasons.as_deref(),
            )?,
            decided_on: input.decided_on,
            review_due_on: input.review_due_on,
            restrictions,
            adjustment_ids: adjustment_ids(input.adjustment_ids_considered.as_deref())?,
        };
        Ok(CaseNode(
            session(ctx)?.decide_stage_2(case, cmd, key).await?,
        ))
    }

    /// Impose a further restriction on a restricted case (Group Director, 5.3), for the case's
    /// service only (5.4). Its review falls no later than the case's review date.
    async fn impose_restriction(
        &self,
        ctx: &Context<'_>,
        input: ImposeRestrictionInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = key(idempotency_key, "imposeRestriction", &input)?;
        let case = parse_id::<CaseId>("caseId", &input.case_id)?;
        let cmd = ImposeRestriction {
            version: input.version,
            reasons: Text::parse("reasons", &input.reasons)?,
            proportionality: Text::parse("proportionality", &input.proportionality)?,
            terms: terms("restriction", &input.restriction)?,
        };
        let s = session(ctx)?;
        Ok(CaseNode(s.impose_restriction(case, cmd, key).await?))
    }

    /// Change a restriction's details, keeping its kind (Group Director, 5.3).
    async fn vary_restriction(
        &self,
        ctx: &Context<'_>,
        input: VaryRestrictionInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = key(idempotency_key, "varyRestriction", &input)?;
        let reasons = Text::parse("reasons", &input.reasons)?;
        let id = parse_id::<RestrictionId>("restrictionId", &input.restriction_id)?;
        let cmd = VaryRestriction {
            version: input.version,
            parameters: parameters("parameters", &input.parameters)?,
            ends_on: match input.ends_on {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(day) => Some(Some(day)),
            },
            reasons,
        };
        Ok(CaseNode(
            session(ctx)?.vary_restriction(id, cmd, key).await?,
        ))
    }

    /// Extend a restriction to a later end date (Group Director; 5.6: an ignored exclusion may
    /// be extended). Naming the breach it answers records that outcome.
    async fn extend_restriction(
        &self,
        ctx: &Context<'_>,
        input: ExtendRestrictionInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = key(idempotency_key, "extendRestriction", &input)?;
        let reasons = Text::parse("reasons", &input.reasons)?;
        let id = parse_id::<RestrictionId>("restrictionId", &input.restriction_id)?;
        let cmd = ExtendRestriction {
            version: input.version,
            ends_on: input.ends_on,
            reasons,
            breach: parse_opt_id::<BreachId>("breachId", input.breach_id.as_ref())?,
        };
        let s = session(ctx)?;
        Ok(CaseNode(s.extend_restriction(id, cmd, key).await?))
    }

    /// Make a restriction permanent (Group Director; 5.6: in extreme cases). It is still
    /// reviewed (7.1).
    async fn make_restriction_permanent(
        &self,
        ctx: &Context<'_>,
        input: MakeRestrictionPermanentInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = key(idempotency_key, "makeRestrictionPermanent", &input)?;
        let reasons = Text::parse("reasons", &input.reasons)?;
        let id = parse_id::<RestrictionId>("restrictionId", &input.restriction_id)?;
        let cmd = MakePermanent {
            version: input.version,
            reasons,
            breach: parse_opt_id::<BreachId>("breachId", input.breach_id.as_ref())?,
        };
        let s = session(ctx)?;
        Ok(CaseNode(s.make_restriction_permanent(id, cmd, key).await?))
    }

    /// Lift a restriction (Group Director). Lifting the last one in force closes the case.
    async fn lift_restriction(
        &self,
        ctx: &Context<'_>,
        input: LiftRestrictionInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = key(idempotency_key, "liftRestriction", &input)?;
        let reasons = Text::parse("reasons", &input.reasons)?;
        let id = parse_id::<RestrictionId>("restrictionId", &input.restriction_id)?;
        let cmd = LiftRestriction {
            version: input.version,
            reasons,
        };
        Ok(CaseNode(
            session(ctx)?.lift_restriction(id, cmd, key).await?,
        ))
    }

    /// Record a breach of a restriction in force (5.6). A breached exclusion flags the case
    /// for immediate review, extension or permanent exclusion.
    async fn record_breach(
        &self,
        ctx: &Context<'_>,
        input: RecordBreachInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<CaseNode> {
        let key = key(idempotency_key, "recordBreach", &input)?;
        let cmd = RecordBreach {
            description: Text::parse("description", &input.description)?,
            occurred_at: input.occurred_at,
        };
        let id = parse_id::<RestrictionId>("restrictionId", &input.restriction_id)?;
        Ok(CaseNode(session(ctx)?.record_breach(id, cmd, key).await?))
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
        let key = key(idempotency_key, "considerNewIssue", &input)?;
        let case = parse_id::<CaseId>("caseId", &input.case_id)?;
        let cmd = ConsiderNewIssue {
            version: input.version,
            description: Text::parse("description", &input.description)?,
            restrictions_remain_appropriate: input.restrictions_remain_appropriate,
            reasons: Text::parse("reasons", &input.reasons)?,
        };
        let s = session(ctx)?;
        Ok(CaseNode(s.consider_new_issue(case, cmd, key).await?))
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
        let key = key(idempotency_key, "recommendReview", &input)?;
        let case = parse_id::<CaseId>("caseId", &input.case_id)?;
        let mut remove = Vec::new();
        for id in input.remove_restriction_ids.iter().flatten() {
            remove.push(parse_id::<RestrictionId>("removeRestrictionIds", id)?);
        }
        let cmd = RecommendReview {
            version: input.version,
            recommendation: choice(
                "recommendation",
                &input.recommendation,
                ReviewRecommendation::ALL,
            )?,
            reasons: Text::parse("reasons", &input.reasons)?,
            remove,
            adjustment_ids: adjustment_ids(input.adjustment_ids_considered.as_deref())?,
        };
        Ok(CaseNode(
            session(ctx)?.recommend_review(case, cmd, key).await?,
        ))
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
        let key = key(idempotency_key, "endorseReview", &input)?;
        let case = parse_id::<CaseId>("caseId", &input.case_id)?;
        let cmd = EndorseReview {
            version: input.version,
            endorsed: input.endorsed,
            reasons: Text::parse("reasons", &input.reasons)?,
        };
        Ok(CaseNode(
            session(ctx)?.endorse_review(case, cmd, key).await?,
        ))
    }
}

/// The adjustments a decision names in `adjustmentIdsConsidered`.
fn adjustment_ids(sent: Option<&[async_graphql::ID]>) -> ApiResult<Vec<AdjustmentId>> {
    sent.unwrap_or_default()
        .iter()
        .map(|id| parse_id::<AdjustmentId>("adjustmentIdsConsidered", id))
        .collect()
}
