//! Restrictions (5.3 to 5.6): what each of the seven kinds names, that it applies to the case's
//! service only (5.4), and how a restriction in force changes — a further one imposed, its
//! details varied, extended or made permanent (5.6: an ignored exclusion may be), or lifted
//! (lifting the last closes the case). Every change is written to the customer and told to the
//! service team (5.5). A breach of a restriction is recorded; a breached exclusion flags the
//! case for immediate review (5.6).

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use entities::enums::{BreachOutcome, LetterKind, RestrictionKind, RestrictionStatus};
use entities::notification::AlertEvent;
use entities::restriction_parameters::RestrictionParameters;
use entities::{breach, establishment, restriction, upc_case};

use super::error::{DomainError, DomainResult};
use super::letters::{LetterContent, line};
use super::lifecycle::{CaseFile, LifecycleSettings, Step};
use super::outcome::{AuditEntry, LetterOrder, New, Outcome, Ref};
use super::roles::Principal;
use super::values::{BreachId, RecordId, Text, not_future_time};
use crate::letters::Variation;

/// One restriction as decided: its details and dates. `field` is where the caller gave it
/// (e.g. `restrictions[0]`), so a refusal names the right input.
#[derive(Debug, Clone)]
pub struct RestrictionTerms {
    /// Where in the input it was given.
    pub field: String,
    /// Its details, of one of the seven kinds of 5.3 (their shape already checked).
    pub parameters: RestrictionParameters,
    /// First day in force (default the decision date; not before it).
    pub starts_on: Option<NaiveDate>,
    /// Last day in force, if it has an end.
    pub ends_on: Option<NaiveDate>,
}

/// The directory entries restrictions being decided name: the establishments (with the
/// service that runs them), and which staff members and teams exist.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    /// The establishments named.
    pub establishments: Vec<establishment::Model>,
    /// The staff members named that exist.
    pub staff: BTreeSet<i64>,
    /// The teams named that exist.
    pub teams: BTreeSet<i64>,
    /// The staff members named that are deactivated (they have left): not to be named anew.
    pub inactive_staff: BTreeSet<i64>,
    /// The teams named that are out of use: not to be named anew.
    pub inactive_teams: BTreeSet<i64>,
}

impl Directory {
    /// The same, allowing what `kept` already named (a variation keeps its names).
    pub fn keeping(&self, kept: &RestrictionParameters) -> Directory {
        let (_, staff, teams) = named_in(kept);
        let mut directory = self.clone();
        for id in staff {
            directory.inactive_staff.remove(&id);
        }
        for id in teams {
            directory.inactive_teams.remove(&id);
        }
        directory
    }
}

/// The establishments, staff members and teams `parameters` name.
pub fn named_in(parameters: &RestrictionParameters) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
    match parameters {
        RestrictionParameters::EstablishmentExclusion(e) => {
            (e.establishment_ids.clone(), Vec::new(), Vec::new())
        }
        RestrictionParameters::NamedContact(n) => (
            Vec::new(),
            n.staff_member_id.into_iter().collect(),
            n.team_id.into_iter().collect(),
        ),
        _ => (Vec::new(), Vec::new(), Vec::new()),
    }
}

/// Everything `parameters` names exists, and an excluded establishment is not another
/// service's (5.4: a restriction is the case's service's alone). `field` names the parameters
/// in the input.
pub fn check_named(
    field: &str,
    parameters: &RestrictionParameters,
    directory: &Directory,
    service_id: i64,
) -> DomainResult<()> {
    match parameters {
        RestrictionParameters::NamedContact(n) => {
            if let Some(id) = n.staff_member_id
                && !directory.staff.contains(&id)
            {
                return Err(DomainError::bad_input(
                    &format!("{field}.staffMemberId"),
                    format!("no staff member {id}"),
                ));
            }
            if let Some(id) = n.staff_member_id
                && directory.inactive_staff.contains(&id)
            {
                return Err(DomainError::bad_input(
                    &format!("{field}.staffMemberId"),
                    format!(
                        "staff member {id} is deactivated and cannot be named in a new decision"
                    ),
                ));
            }
            if let Some(id) = n.team_id
                && !directory.teams.contains(&id)
            {
                return Err(DomainError::bad_input(
                    &format!("{field}.teamId"),
                    format!("no team {id}"),
                ));
            }
            if let Some(id) = n.team_id
                && directory.inactive_teams.contains(&id)
            {
                return Err(DomainError::bad_input(
                    &format!("{field}.teamId"),
                    format!("team {id} is out of use and cannot be named in a new decision"),
                ));
            }
        }
        RestrictionParameters::EstablishmentExclusion(e) => {
            let found = |id: &i64| directory.establishments.iter().find(|f| f.id == *id);
            if let Some(missing) = e.establishment_ids.iter().find(|id| found(id).is_none()) {
                return Err(DomainError::bad_input(
                    &format!("{field}.establishmentIds"),
                    format!("no establishment {missing}"),
                ));
            }
            if let Some(other) = e
                .establishment_ids
                .iter()
                .filter_map(found)
                .find(|e| e.service_id.is_some_and(|s| s != service_id))
            {
                return Err(DomainError::bad_input(
                    &format!("{field}.establishmentIds"),
                    format!(
                        "{} is run by another service: a restriction applies to the case's service only (5.4)",
                        other.name
                    ),
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

impl RestrictionTerms {
    /// The restriction's row on `case`, starting no earlier than `earliest` (the decision),
    /// to be reviewed by `review_due_on` (7.1).
    pub fn row(
        self,
        case: &upc_case::Model,
        earliest: NaiveDate,
        review_due_on: NaiveDate,
        directory: &Directory,
        now: DateTime<Utc>,
    ) -> DomainResult<restriction::Model> {
        let field = &self.field;
        check_named(
            &format!("{field}.parameters"),
            &self.parameters,
            directory,
            case.service_id,
        )?;
        let starts_on = self.starts_on.unwrap_or(earliest);
        if starts_on < earliest {
            return Err(DomainError::bad_input(
                &format!("{field}.startsOn"),
                format!(
                    "a restriction cannot start ({starts_on}) before the decision ({earliest})"
                ),
            ));
        }
        if let Some(ends_on) = self.ends_on
            && ends_on < starts_on
        {
            return Err(DomainError::bad_input(
                &format!("{field}.endsOn"),
                format!("a restriction cannot end ({ends_on}) before it starts ({starts_on})"),
            ));
        }
        Ok(restriction::Model {
            id: 0,
            case_id: case.id,
            service_id: case.service_id,
            decision_id: None,
            kind: self.parameters.kind(),
            parameters: self.parameters,
            starts_on,
            ends_on: self.ends_on,
            review_due_on,
            status: RestrictionStatus::Active,
            permanent: false,
            lifted_on: None,
            lifted_reason: None,
            version: 1,
            created_at: now,
        })
    }
}

/// A restriction in force on a case the caller may see, and its case.
#[derive(Debug, Clone)]
pub struct RestrictionFacts {
    /// The restriction's case.
    pub file: CaseFile,
    /// The restriction.
    pub restriction: restriction::Model,
}

impl RestrictionFacts {
    /// Open `step` on the restriction for `actor`: the case step's checks, then the restriction
    /// must be as the caller read it (`version`) and in force.
    fn open(&self, step: Step, actor: &Principal, version: i64) -> DomainResult<()> {
        self.file.open_step(step, actor)?;
        let r = &self.restriction;
        if r.version != version {
            return Err(DomainError::stale("restriction", r.id, version));
        }
        if r.status != RestrictionStatus::Active {
            return Err(DomainError::InvalidTransition {
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
}

/// Does breaking restriction `r` amount to ignoring an exclusion (5.6)?
pub fn excludes_from_premises(r: &restriction::Model) -> bool {
    r.kind == RestrictionKind::EstablishmentExclusion
        || matches!(&r.parameters, RestrictionParameters::Termination(t) if t.permanent_exclusion_from_premises)
}

/// A further restriction on a restricted case (`imposeRestriction`, 5.3).
#[derive(Debug, Clone)]
pub struct ImposeRestriction {
    /// The case version the caller read.
    pub version: i64,
    /// The restriction.
    pub terms: RestrictionTerms,
    /// Why, given to the customer.
    pub reasons: Text,
    /// Why it is proportionate.
    pub proportionality: Text,
}

/// Impose it (5.3), for the case's service only (5.4); its review falls no later than the
/// case's review date (7.1).
pub fn impose(
    cmd: ImposeRestriction,
    file: &CaseFile,
    directory: &Directory,
    settings: &LifecycleSettings,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    file.open_step(Step::ImposeRestriction, actor)?;
    file.expect_version(cmd.version)?;
    let today = now.date_naive();
    let latest = settings.latest_review(today);
    let review_due_on = file.case.review_due_on.map_or(latest, |d| d.min(latest));
    let mut row = cmd
        .terms
        .row(&file.case, today, review_due_on, directory, now)?;
    row.decision_id = file.decisions.iter().map(|d| d.id).max();
    let reasons = cmd.reasons.into_string();
    let mut out = Outcome::new();
    let imposed = out.create(New::Restriction {
        restriction: row.clone(),
        decision: None,
    });
    out.alert(AlertEvent::Imposed, imposed);
    let mut in_force: Vec<_> = file.restrictions_in_force().map(line).collect();
    in_force.push(line(&row));
    variation_letter(
        &mut out,
        file,
        Variation::Imposed,
        imposed,
        reasons.clone(),
        in_force,
        Vec::new(),
        today,
    );
    out.change(
        file.case.clone(),
        upc_case::Model {
            review_due_on: Some(review_due_on),
            ..file.case.clone()
        },
    );
    Ok(out.audited(
        AuditEntry::new("restriction.impose", "restriction", imposed)
            .on_case(Ref::Stored(file.case.id))
            .because(reasons)
            .noting(serde_json::json!({ "proportionality": cmd.proportionality.as_str() })),
    ))
}

/// A variation letter: the restrictions in force now, and any lifted by this change.
#[expect(
    clippy::too_many_arguments,
    reason = "one letter's parts, named at the call"
)]
fn variation_letter(
    out: &mut Outcome,
    file: &CaseFile,
    variation: Variation,
    regarding: Ref,
    reasons: String,
    restrictions: Vec<crate::letters::RestrictionLine>,
    lifted: Vec<crate::letters::RestrictionLine>,
    today: NaiveDate,
) {
    let review_due_on = restrictions.iter().map(|r| r.review_due_on).min();
    out.letter(LetterOrder {
        case_id: file.case.id,
        kind: LetterKind::RestrictionVariation,
        regarding: ("restriction", regarding),
        letter_date: today,
        content: LetterContent {
            reasons,
            restrictions,
            lifted,
            review_due_on,
            variation: Some(variation),
            ..LetterContent::default()
        },
    });
}

/// A change to one restriction in force: `after` replaces it; the case becomes `case_after`.
#[expect(
    clippy::too_many_arguments,
    reason = "one change's parts, named at the call"
)]
fn restriction_changed(
    facts: &RestrictionFacts,
    after: restriction::Model,
    case_after: upc_case::Model,
    variation: Variation,
    action: &'static str,
    reasons: String,
    today: NaiveDate,
    out: &mut Outcome,
) {
    let before = &facts.restriction;
    let in_force: Vec<_> = facts
        .file
        .restrictions_in_force()
        .map(|r| if r.id == before.id { &after } else { r })
        .filter(|r| r.status == RestrictionStatus::Active)
        .map(line)
        .collect();
    let lifted = if after.status == RestrictionStatus::Lifted {
        vec![line(&after)]
    } else {
        Vec::new()
    };
    let changed = out.change(before.clone(), after);
    out.alert(variation.into(), changed);
    variation_letter(
        out,
        &facts.file,
        variation,
        changed,
        reasons.clone(),
        in_force,
        lifted,
        today,
    );
    out.change(facts.file.case.clone(), case_after);
    out.audit = Some(
        AuditEntry::new(action, "restriction", changed)
            .on_case(Ref::Stored(facts.file.case.id))
            .because(reasons),
    );
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

/// New details for a restriction of the same kind (`varyRestriction`, 5.3).
#[derive(Debug, Clone)]
pub struct VaryRestriction {
    /// The restriction version the caller read.
    pub version: i64,
    /// The new details (same kind).
    pub parameters: RestrictionParameters,
    /// The new last day: `None` keeps it; `Some(None)` removes it; `Some(Some(day))` sets it.
    pub ends_on: Option<Option<NaiveDate>>,
    /// Why, given to the customer.
    pub reasons: Text,
}

/// Vary the restriction, keeping its kind.
pub fn vary(
    cmd: VaryRestriction,
    facts: &RestrictionFacts,
    directory: &Directory,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    facts.open(Step::VaryRestriction, actor, cmd.version)?;
    let r = &facts.restriction;
    check_named(
        "parameters",
        &cmd.parameters,
        &directory.keeping(&r.parameters),
        facts.file.case.service_id,
    )?;
    if cmd.parameters.kind() != r.kind {
        return Err(DomainError::bad_input(
            "parameters",
            format!(
                "a variation keeps the kind ({}); lift this restriction and impose a new one to change it",
                r.kind.as_str()
            ),
        ));
    }
    let ends_on = cmd.ends_on.unwrap_or(r.ends_on);
    if let Some(ends_on) = ends_on
        && ends_on < r.starts_on
    {
        return Err(DomainError::bad_input(
            "endsOn",
            "a restriction cannot end before it starts",
        ));
    }
    if r.permanent && ends_on.is_some() {
        return Err(DomainError::bad_input(
            "endsOn",
            "a permanent restriction has no end date; lift it instead",
        ));
    }
    let after = restriction::Model {
        parameters: cmd.parameters,
        ends_on,
        ..r.clone()
    };
    let mut out = Outcome::new();
    restriction_changed(
        facts,
        after,
        facts.file.case.clone(),
        Variation::Varied,
        "restriction.vary",
        cmd.reasons.into_string(),
        now.date_naive(),
        &mut out,
    );
    Ok(out)
}

/// A later end date (`extendRestriction`; 5.6: an ignored exclusion may be extended).
#[derive(Debug, Clone)]
pub struct ExtendRestriction {
    /// The restriction version the caller read.
    pub version: i64,
    /// The new last day: after the current one.
    pub ends_on: NaiveDate,
    /// Why, given to the customer.
    pub reasons: Text,
    /// The breach this answers, if any.
    pub breach: Option<BreachId>,
}

/// Extend the restriction; naming the breach it answers records that outcome.
pub fn extend(
    cmd: ExtendRestriction,
    facts: &RestrictionFacts,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    facts.open(Step::ExtendRestriction, actor, cmd.version)?;
    let r = &facts.restriction;
    match r.ends_on {
        None => {
            return Err(DomainError::bad_input(
                "endsOn",
                "this restriction has no end date, so there is nothing to extend",
            ));
        }
        Some(current) if cmd.ends_on <= current => {
            return Err(DomainError::bad_input(
                "endsOn",
                format!("an extension must end after the current end date ({current})"),
            ));
        }
        Some(_) => {}
    }
    let mut out = Outcome::new();
    let case_after = resolve_breach(
        &facts.file,
        cmd.breach,
        r.id,
        BreachOutcome::Extended,
        facts.file.case.clone(),
        &mut out,
    )?;
    let after = restriction::Model {
        ends_on: Some(cmd.ends_on),
        ..r.clone()
    };
    restriction_changed(
        facts,
        after,
        case_after,
        Variation::Extended,
        "restriction.extend",
        cmd.reasons.into_string(),
        now.date_naive(),
        &mut out,
    );
    Ok(out)
}

/// Make a restriction permanent (`makeRestrictionPermanent`; 5.6: in extreme cases).
#[derive(Debug, Clone)]
pub struct MakePermanent {
    /// The restriction version the caller read.
    pub version: i64,
    /// Why, given to the customer.
    pub reasons: Text,
    /// The breach this answers, if any.
    pub breach: Option<BreachId>,
}

/// Make it permanent; it is still reviewed (7.1).
pub fn make_permanent(
    cmd: MakePermanent,
    facts: &RestrictionFacts,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    facts.open(Step::MakeRestrictionPermanent, actor, cmd.version)?;
    let r = &facts.restriction;
    if r.permanent {
        return Err(DomainError::bad_input(
            "restrictionId",
            "this restriction is already permanent",
        ));
    }
    let mut out = Outcome::new();
    let case_after = resolve_breach(
        &facts.file,
        cmd.breach,
        r.id,
        BreachOutcome::MadePermanent,
        facts.file.case.clone(),
        &mut out,
    )?;
    let after = restriction::Model {
        permanent: true,
        ends_on: None,
        ..r.clone()
    };
    restriction_changed(
        facts,
        after,
        case_after,
        Variation::MadePermanent,
        "restriction.make_permanent",
        cmd.reasons.into_string(),
        now.date_naive(),
        &mut out,
    );
    Ok(out)
}

/// Lift a restriction (`liftRestriction`).
#[derive(Debug, Clone)]
pub struct LiftRestriction {
    /// The restriction version the caller read.
    pub version: i64,
    /// Why, given to the customer.
    pub reasons: Text,
}

/// Lift it; lifting the last one in force closes the case.
pub fn lift(
    cmd: LiftRestriction,
    facts: &RestrictionFacts,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    facts.open(Step::LiftRestriction, actor, cmd.version)?;
    let r = &facts.restriction;
    let reasons = cmd.reasons.into_string();
    let today = now.date_naive();
    let after = restriction::Model {
        status: RestrictionStatus::Lifted,
        lifted_on: Some(today),
        lifted_reason: Some(reasons.clone()),
        ..r.clone()
    };
    let remaining = facts
        .file
        .restrictions_in_force()
        .filter(|other| other.id != r.id)
        .map(|other| other.review_due_on)
        .min();
    let case_after = match remaining {
        Some(review) => upc_case::Model {
            review_due_on: Some(review),
            ..facts.file.case.clone()
        },
        None => facts
            .file
            .closed(format!("every restriction lifted: {reasons}"), now),
    };
    let mut out = Outcome::new();
    restriction_changed(
        facts,
        after,
        case_after,
        Variation::Lifted,
        "restriction.lift",
        reasons,
        today,
        &mut out,
    );
    Ok(out)
}

/// Record the outcome of a pending breach of restriction `restriction_id` named by a
/// restriction step (5.6); the case's flag is cleared when no flagged breach is left pending.
fn resolve_breach(
    file: &CaseFile,
    breach_id: Option<BreachId>,
    restriction_id: i64,
    outcome: BreachOutcome,
    mut case: upc_case::Model,
    out: &mut Outcome,
) -> DomainResult<upc_case::Model> {
    let Some(id) = breach_id else {
        return Ok(case);
    };
    let b = file
        .breaches
        .iter()
        .find(|b| b.id == id.get())
        .ok_or_else(|| {
            DomainError::bad_input("breachId", format!("no breach {id} on this case"))
        })?;
    if b.restriction_id != Some(restriction_id) || b.outcome != BreachOutcome::Pending {
        return Err(DomainError::bad_input(
            "breachId",
            format!("breach {id} is not a pending breach of restriction {restriction_id}"),
        ));
    }
    out.change(
        b.clone(),
        breach::Model {
            outcome,
            ..b.clone()
        },
    );
    let still_flagged = file.breaches.iter().any(|other| {
        other.id != b.id && other.flagged_for_review && other.outcome == BreachOutcome::Pending
    });
    if !still_flagged {
        case.flagged_for_review = false;
        case.flag_reason = None;
    }
    Ok(case)
}

/// A breach of a restriction in force (`recordBreach`, 5.6).
#[derive(Debug, Clone)]
pub struct RecordBreach {
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// What happened.
    pub description: Text,
}

impl RecordBreach {
    /// Rules about the breach alone: it has happened.
    pub fn validate(&self, now: DateTime<Utc>) -> DomainResult<()> {
        not_future_time("occurredAt", self.occurred_at, now).map(|_| ())
    }
}

/// The case flagged for review at once because an exclusion was ignored on `day` (5.6).
pub fn flagged_for_ignored_exclusion(case: &upc_case::Model, day: NaiveDate) -> upc_case::Model {
    upc_case::Model {
        flagged_for_review: true,
        flag_reason: Some(format!(
            "exclusion ignored on {day}: review at once, extend or make permanent (5.6)"
        )),
        ..case.clone()
    }
}

/// Record the breach. A breached exclusion flags the case for immediate review, extension or
/// permanent exclusion (5.6).
pub fn record_breach(
    cmd: RecordBreach,
    facts: &RestrictionFacts,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    let r = &facts.restriction;
    facts.open(Step::RecordBreach, actor, r.version)?;
    if cmd.occurred_at.date_naive() < r.starts_on {
        return Err(DomainError::bad_input(
            "occurredAt",
            format!(
                "restriction {} only started on {}: nothing before then breaches it",
                r.id, r.starts_on
            ),
        ));
    }
    let exclusion = excludes_from_premises(r);
    let mut out = Outcome::new();
    let b = out.create(New::Breach {
        breach: breach::Model {
            id: 0,
            case_id: facts.file.case.id,
            restriction_id: Some(r.id),
            exclusion_id: None,
            contact_id: None,
            occurred_at: cmd.occurred_at,
            description: cmd.description.into_string(),
            recorded_by: actor.subject.clone(),
            flagged_for_review: exclusion,
            outcome: BreachOutcome::Pending,
            version: 1,
            created_at: now,
        },
        contact: None,
    });
    let case = &facts.file.case;
    let after = if exclusion {
        flagged_for_ignored_exclusion(case, cmd.occurred_at.date_naive())
    } else {
        case.clone()
    };
    out.change(case.clone(), after);
    Ok(out
        .audited(AuditEntry::new("restriction.breach", "breach", b).on_case(Ref::Stored(case.id))))
}
