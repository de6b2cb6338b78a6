//! The case lifecycle of the policy (sections 2, 5, 6, 7 and 9) as a state machine: which step
//! is legal in which state, and who may take it. Every step on a case starts with
//! [`CaseFile::open_step`]: the caller must hold a role the policy names for the step in the
//! case's service (5.4), and the step must be legal now (else `INVALID_TRANSITION` with the
//! current state and the legal steps). The property test drives random sequences of steps
//! through the API and checks that only these transitions are ever applied.

use chrono::{DateTime, Months, NaiveDate, Utc};
use entities::enums::{AppealOutcome, CaseStage, CaseStatus, RestrictionStatus, WarningStatus};
use entities::{
    appeal, behaviour_report, breach, determination, reasonable_adjustment, restriction, review,
    stage_1_warning, stage_2_decision, upc_case,
};

use super::error::{DomainError, DomainResult};
use super::roles::Role::{self, *};
use super::roles::{BREACH_RECORDERS, DETERMINERS, Principal, REPORTERS, role_list};

/// Where appeals are sent (6.1), as the policy gives it; a setting may replace it.
pub const LEGAL_SERVICES_ADDRESS: &str = "Service Director - Legal Services, Legal Services, The Pavilions, Clydach Vale, Tonypandy, Rhondda Cynon Taf. CF40 1NY";

/// The council's settings the lifecycle needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleSettings {
    /// Months from a decision to restrict to its review: 1 to 12 (7.1).
    pub review_period_months: u32,
    /// Months a Stage 1 warning runs from the date of its letter (1 to 24): with no further
    /// behaviour reported by then, the case closes ([`super::endings`]).
    pub warning_period_months: u32,
    /// Where appeals go (6.1), printed in letters.
    pub legal_services_address: String,
    /// Longest temporary Health & Safety exclusion a Service manager may make at once, in days
    /// (3.2; longer needs the long-term agreement).
    pub exclusion_temporary_max_days: u32,
}

impl Default for LifecycleSettings {
    fn default() -> Self {
        Self {
            review_period_months: 12,
            warning_period_months: 12,
            legal_services_address: LEGAL_SERVICES_ADDRESS.to_string(),
            exclusion_temporary_max_days: 14,
        }
    }
}

impl LifecycleSettings {
    /// The latest review date for a decision to restrict made on `decided_on` (7.1): the
    /// review period later, never more than 12 months.
    pub fn latest_review(&self, decided_on: NaiveDate) -> NaiveDate {
        let months = self.review_period_months.clamp(1, 12);
        decided_on
            .checked_add_months(Months::new(months))
            .unwrap_or(decided_on)
    }

    /// The last day of a Stage 1 warning whose letter is dated `letter_date`: the warning
    /// period later (the period runs from the date on the letter, day 0 of the appeal window
    /// too, because the letter itself tells the customer when it ends).
    pub fn warning_period_end(&self, letter_date: NaiveDate) -> NaiveDate {
        let months = self.warning_period_months.clamp(1, 24);
        letter_date
            .checked_add_months(Months::new(months))
            .unwrap_or(letter_date)
    }
}

/// One step of the policy, named as its GraphQL mutation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// An officer or elected Member reports behaviour (2.3, 4.4, 5.1).
    ReportBehaviour,
    /// The Service manager or Head of Service decides whether it was unreasonable (5.1).
    DetermineBehaviour,
    /// The Head of Service, having consulted the Service Director, issues the warning (5.1).
    IssueStage1Warning,
    /// Legal Services logs the customer's written appeal (6.1, 6.2).
    LogAppeal,
    /// The Group Director decides the appeal: upheld or not upheld (6.2).
    DecideAppeal,
    /// The Group Director decides restricted contact (5.1, 5.3, 6.3), after a warning or, in
    /// exceptional circumstances, at once.
    DecideStage2,
    /// The Group Director imposes a further restriction (5.3).
    ImposeRestriction,
    /// The Group Director changes a restriction's details (5.3).
    VaryRestriction,
    /// The Group Director extends a restriction, e.g. an ignored exclusion (5.6).
    ExtendRestriction,
    /// The Group Director makes a restriction permanent (5.6).
    MakeRestrictionPermanent,
    /// The Group Director lifts a restriction.
    LiftRestriction,
    /// Staff record that a restriction was breached (an ignored exclusion, 5.6).
    RecordBreach,
    /// The Group Director considers a new issue raised by a restricted customer (9.1).
    ConsiderNewIssue,
    /// Legal Services reviews the case and recommends (7.1 to 7.3).
    RecommendReview,
    /// The Group Director endorses the recommendation or not (7.4).
    EndorseReview,
}

impl Step {
    /// Every step, in the order of the policy.
    pub const ALL: [Step; 15] = [
        Step::ReportBehaviour,
        Step::DetermineBehaviour,
        Step::IssueStage1Warning,
        Step::LogAppeal,
        Step::DecideAppeal,
        Step::DecideStage2,
        Step::ImposeRestriction,
        Step::VaryRestriction,
        Step::ExtendRestriction,
        Step::MakeRestrictionPermanent,
        Step::LiftRestriction,
        Step::RecordBreach,
        Step::ConsiderNewIssue,
        Step::RecommendReview,
        Step::EndorseReview,
    ];

    /// The GraphQL mutation that takes this step.
    pub const fn mutation(self) -> &'static str {
        match self {
            Step::ReportBehaviour => "reportBehaviour",
            Step::DetermineBehaviour => "determineBehaviour",
            Step::IssueStage1Warning => "issueStage1Warning",
            Step::LogAppeal => "logAppeal",
            Step::DecideAppeal => "decideAppeal",
            Step::DecideStage2 => "decideStage2",
            Step::ImposeRestriction => "imposeRestriction",
            Step::VaryRestriction => "varyRestriction",
            Step::ExtendRestriction => "extendRestriction",
            Step::MakeRestrictionPermanent => "makeRestrictionPermanent",
            Step::LiftRestriction => "liftRestriction",
            Step::RecordBreach => "recordBreach",
            Step::ConsiderNewIssue => "considerNewIssue",
            Step::RecommendReview => "recommendReview",
            Step::EndorseReview => "endorseReview",
        }
    }

    /// The roles the policy names for this step. Service roles act only on cases of their own
    /// services (5.4); Legal Services acts on every service.
    pub const fn roles(self) -> &'static [Role] {
        match self {
            Step::ReportBehaviour => REPORTERS,
            Step::DetermineBehaviour => DETERMINERS,
            Step::IssueStage1Warning => &[HeadOfService],
            Step::LogAppeal | Step::RecommendReview => &[LegalServices],
            Step::RecordBreach => BREACH_RECORDERS,
            Step::DecideAppeal
            | Step::DecideStage2
            | Step::ImposeRestriction
            | Step::VaryRestriction
            | Step::ExtendRestriction
            | Step::MakeRestrictionPermanent
            | Step::LiftRestriction
            | Step::ConsiderNewIssue
            | Step::EndorseReview => &[GroupDirector],
        }
    }
}

/// What the state machine needs to know about a case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFacts {
    /// Where the case stands.
    pub stage: Option<CaseStage>,
    /// Open or closed.
    pub status: Option<CaseStatus>,
    /// A Stage 1 warning stands (not withdrawn).
    pub active_warning: bool,
    /// The standing warning has already been appealed (one appeal per warning).
    pub warning_appealed: bool,
    /// An appeal awaits the Group Director's decision.
    pub pending_appeal: bool,
    /// Behaviour has been reported since the standing warning's letter date: Stage 2 follows a
    /// warning only if the behaviour continues (5.1).
    pub reports_since_warning: bool,
    /// Restrictions in force.
    pub active_restrictions: usize,
    /// A review recommendation awaits the Group Director's endorsement.
    pub pending_review: bool,
}

/// The steps that are legal for a case in this state, in the order of the policy. A closed case
/// takes no step: a new report about the customer opens a new case.
pub fn allowed_steps(facts: &CaseFacts) -> Vec<Step> {
    use CaseStage as S;
    if facts.status != Some(CaseStatus::Open) {
        return Vec::new();
    }
    let mut steps = vec![Step::ReportBehaviour];
    match facts.stage {
        Some(S::Reported) => steps.push(Step::DetermineBehaviour),
        Some(S::DeterminedUnreasonable) => {
            steps.push(Step::IssueStage1Warning);
            // Exceptionally, Stage 2 at once without a warning (note under 5.1).
            steps.push(Step::DecideStage2);
        }
        Some(S::Stage1Warning) => {
            if facts.active_warning && !facts.warning_appealed {
                steps.push(Step::LogAppeal);
            }
            if facts.pending_appeal {
                steps.push(Step::DecideAppeal);
            } else if facts.active_warning && facts.reports_since_warning {
                steps.push(Step::DecideStage2);
            }
        }
        Some(S::Stage2Restricted) => {
            steps.push(Step::ImposeRestriction);
            if facts.active_restrictions > 0 {
                steps.extend([
                    Step::VaryRestriction,
                    Step::ExtendRestriction,
                    Step::MakeRestrictionPermanent,
                    Step::LiftRestriction,
                    Step::RecordBreach,
                ]);
            }
            steps.push(Step::ConsiderNewIssue);
            if facts.pending_review {
                steps.push(Step::EndorseReview);
            } else if facts.active_restrictions > 0 {
                steps.push(Step::RecommendReview);
            }
        }
        Some(S::Closed) | None => {}
    }
    steps
}

/// Why a step is not legal now, in words for the officer, or `None` when it is.
pub fn refusal(step: Step, facts: &CaseFacts) -> Option<String> {
    if allowed_steps(facts).contains(&step) {
        return None;
    }
    let stage = facts.stage.map(|s| s.as_str()).unwrap_or("unknown");
    if facts.status != Some(CaseStatus::Open) {
        return Some(format!(
            "the case is closed: no further step can be taken on it (report new behaviour to open a new case); {} refused",
            step.mutation()
        ));
    }
    let why = match (step, facts.stage) {
        (Step::DecideStage2, Some(CaseStage::Stage1Warning)) if facts.pending_appeal => {
            "the appeal against the Stage 1 warning must be decided first (6.2)".to_string()
        }
        (Step::DecideStage2, Some(CaseStage::Stage1Warning)) => {
            "Stage 2 follows a warning only when the behaviour continues (5.1): report the further behaviour first".to_string()
        }
        (Step::DecideStage2, Some(CaseStage::Reported)) => {
            "the behaviour must first be determined unreasonable (5.1)".to_string()
        }
        (Step::LogAppeal, Some(CaseStage::Stage1Warning)) => {
            "the Stage 1 warning has already been appealed (6.1)".to_string()
        }
        (Step::LogAppeal, _) => "only a Stage 1 warning can be appealed (6.1)".to_string(),
        (Step::EndorseReview, _) => "there is no review recommendation to endorse (7.4)".to_string(),
        (Step::RecommendReview, _) if facts.pending_review => {
            "a review recommendation already awaits the Group Director (7.4)".to_string()
        }
        _ => format!("it is not a step of a case at stage {stage}"),
    };
    Some(format!("{} refused: {why}", step.mutation()))
}

/// The state-machine facts of `case` from its records.
pub fn facts_from(
    case: &upc_case::Model,
    warnings: &[stage_1_warning::Model],
    appeals: &[appeal::Model],
    report_times: &[DateTime<Utc>],
    restrictions: &[restriction::Model],
    reviews: &[review::Model],
) -> CaseFacts {
    let standing = standing_warning(warnings);
    let warning_appealed = standing.is_some_and(|w| appeals.iter().any(|a| a.warning_id == w.id));
    let reports_since_warning = standing.is_some_and(|w| {
        report_times
            .iter()
            .any(|at| at.date_naive() > w.letter_date)
    });
    CaseFacts {
        stage: Some(case.stage),
        status: Some(case.status),
        active_warning: standing.is_some(),
        warning_appealed,
        pending_appeal: appeals.iter().any(|a| a.outcome == AppealOutcome::Pending),
        reports_since_warning,
        active_restrictions: restrictions
            .iter()
            .filter(|r| r.status == RestrictionStatus::Active)
            .count(),
        pending_review: reviews
            .iter()
            .any(|r| r.recommendation.is_some() && r.endorsed.is_none()),
    }
}

/// The Stage 1 warning that stands (the latest not withdrawn), if any.
fn standing_warning(warnings: &[stage_1_warning::Model]) -> Option<&stage_1_warning::Model> {
    warnings
        .iter()
        .filter(|w| w.status == WarningStatus::Active)
        .max_by_key(|w| w.id)
}

/// A case with every record the steps of the policy look at, as read in the step's
/// transaction. Each list is in id order (oldest first).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFile {
    /// The case.
    pub case: upc_case::Model,
    /// The code of its service (5.4).
    pub service_code: String,
    /// Reports of behaviour (2.3).
    pub reports: Vec<behaviour_report::Model>,
    /// Determinations (5.1).
    pub determinations: Vec<determination::Model>,
    /// Stage 1 warnings (5.1).
    pub warnings: Vec<stage_1_warning::Model>,
    /// Appeals (6).
    pub appeals: Vec<appeal::Model>,
    /// Stage 2 decisions (5.1, 5.3).
    pub decisions: Vec<stage_2_decision::Model>,
    /// Restrictions, in force or not (5.3).
    pub restrictions: Vec<restriction::Model>,
    /// Breaches (5.6).
    pub breaches: Vec<breach::Model>,
    /// Reviews (7).
    pub reviews: Vec<review::Model>,
    /// The customer's reasonable adjustments, ended or not (Equality Act 2010).
    pub adjustments: Vec<reasonable_adjustment::Model>,
}

impl CaseFile {
    /// The state-machine facts.
    pub fn facts(&self) -> CaseFacts {
        let report_times: Vec<DateTime<Utc>> = self.reports.iter().map(|r| r.occurred_at).collect();
        facts_from(
            &self.case,
            &self.warnings,
            &self.appeals,
            &report_times,
            &self.restrictions,
            &self.reviews,
        )
    }

    /// Open `step` for `actor`: they must hold one of the step's roles in the case's service
    /// (`FORBIDDEN`), and the step must be legal in the case's state (`INVALID_TRANSITION`).
    pub fn open_step(&self, step: Step, actor: &Principal) -> DomainResult<()> {
        if !actor.may_act(step.roles(), &self.service_code) {
            return Err(DomainError::Forbidden(format!(
                "{} needs the role {} in the case's service ({})",
                step.mutation(),
                role_list(step.roles()),
                self.service_code
            )));
        }
        let facts = self.facts();
        match refusal(step, &facts) {
            None => Ok(()),
            Some(message) => Err(DomainError::InvalidTransition {
                message,
                current: self.case.stage.as_str().to_string(),
                allowed: allowed_steps(&facts)
                    .into_iter()
                    .map(|s| s.mutation().to_string())
                    .collect(),
            }),
        }
    }

    /// Refuse with `CONFLICT` unless the caller read the case as it stands (`sent`).
    pub fn expect_version(&self, sent: i64) -> DomainResult<()> {
        if sent == self.case.version {
            Ok(())
        } else {
            Err(DomainError::stale("case", self.case.id, sent))
        }
    }

    /// The Stage 1 warning that stands (not withdrawn), if any.
    pub fn standing_warning(&self) -> Option<&stage_1_warning::Model> {
        standing_warning(&self.warnings)
    }

    /// Restrictions in force.
    pub fn restrictions_in_force(&self) -> impl Iterator<Item = &restriction::Model> {
        self.restrictions
            .iter()
            .filter(|r| r.status == RestrictionStatus::Active)
    }

    /// The case closed, with `reason`, at `now`: nothing further is due on it.
    pub fn closed(&self, reason: String, now: DateTime<Utc>) -> upc_case::Model {
        upc_case::Model {
            stage: CaseStage::Closed,
            status: CaseStatus::Closed,
            closed_at: Some(now),
            closure_reason: Some(reason),
            review_due_on: None,
            flagged_for_review: false,
            flag_reason: None,
            ..self.case.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(stage: CaseStage) -> CaseFacts {
        CaseFacts {
            stage: Some(stage),
            status: Some(CaseStatus::Open),
            ..CaseFacts::default()
        }
    }

    #[test]
    fn a_closed_case_takes_no_step() {
        let facts = CaseFacts {
            stage: Some(CaseStage::Closed),
            status: Some(CaseStatus::Closed),
            ..CaseFacts::default()
        };
        assert!(allowed_steps(&facts).is_empty());
        for step in Step::ALL {
            assert!(refusal(step, &facts).is_some_and(|m| m.contains("closed")));
        }
    }

    #[test]
    fn reported_behaviour_is_determined_first_5_1() {
        assert_eq!(
            allowed_steps(&open(CaseStage::Reported)),
            vec![Step::ReportBehaviour, Step::DetermineBehaviour]
        );
    }

    #[test]
    fn stage_2_without_warning_only_from_a_determination_5_1() {
        let steps = allowed_steps(&open(CaseStage::DeterminedUnreasonable));
        assert!(steps.contains(&Step::DecideStage2));
        assert!(!allowed_steps(&open(CaseStage::Reported)).contains(&Step::DecideStage2));
    }

    #[test]
    fn stage_2_after_a_warning_needs_continued_behaviour_and_no_pending_appeal_5_1_6_2() {
        let mut facts = open(CaseStage::Stage1Warning);
        facts.active_warning = true;
        assert!(!allowed_steps(&facts).contains(&Step::DecideStage2));
        facts.reports_since_warning = true;
        assert!(allowed_steps(&facts).contains(&Step::DecideStage2));
        facts.warning_appealed = true;
        facts.pending_appeal = true;
        let steps = allowed_steps(&facts);
        assert!(!steps.contains(&Step::DecideStage2));
        assert!(!steps.contains(&Step::LogAppeal));
        assert!(steps.contains(&Step::DecideAppeal));
    }

    #[test]
    fn restriction_steps_need_restrictions_and_reviews_alternate_7() {
        let mut facts = open(CaseStage::Stage2Restricted);
        facts.active_restrictions = 2;
        let steps = allowed_steps(&facts);
        assert!(steps.contains(&Step::RecommendReview));
        assert!(!steps.contains(&Step::EndorseReview));
        facts.pending_review = true;
        let steps = allowed_steps(&facts);
        assert!(!steps.contains(&Step::RecommendReview));
        assert!(steps.contains(&Step::EndorseReview));
    }

    #[test]
    fn every_step_names_a_role_and_a_mutation() {
        for step in Step::ALL {
            assert!(!step.roles().is_empty());
            assert!(
                step.mutation()
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_lowercase())
            );
        }
    }
}
