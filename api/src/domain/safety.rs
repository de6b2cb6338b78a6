//! Threats to health and safety (3): a member of staff who feels threatened reports it in
//! writing to their Service manager, with the reasons (3.1). On an imminent risk of harm the
//! Service manager may exclude the customer from premises at once, temporarily; a long-term
//! exclusion needs the agreement of the Head of Service or Service Director (3.2). The incident
//! is recorded on the HS V1 form (3.3), and may be reported to the police (3.3 ii). Staff end
//! abusive calls after a warning and note why (3.4); repeated calls may be harassment, referred
//! by the Service manager to the Head of Service to be reported to the police, and any assault
//! is reported (3.5). There is no right of appeal against a Health & Safety exclusion (3.6,
//! see [`super::appeals`]).
//!
//! An exclusion is in force from `starts_on`, until `ends_on` when it has one, unless lifted
//! (see [`super::deadlines::exclusion_in_force`]).

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use entities::enums::{
    CaseStatus, ContactChannel, ExclusionAgreedByRole, ExclusionKind, PoliceReferralReason,
};
use entities::{
    call_termination, contact, establishment, exclusion, harassment_referral, hs_incident,
    police_referral, upc_case,
};

use super::customers::{CaseTarget, TargetFacts, file_on};
use super::deadlines::exclusion_in_force;
use super::error::{DomainError, DomainResult};
use super::lifecycle::LifecycleSettings;
use super::outcome::{AuditEntry, New, Outcome, Ref};
use super::roles::{
    EXCLUSION_LIFTERS, HARASSMENT_REFERRERS, HARASSMENT_REPORTERS, HS_V1_RECORDERS,
    LONG_TERM_AGREERS, POLICE_REFERRERS, Principal, Role, SERVICE_STAFF, TEMPORARY_EXCLUDERS,
    role_list,
};
use super::values::{ContactId, EstablishmentId, RecordId, Text, not_future, not_future_time};

/// A record of section 3 on a case the caller may see, with the case and its service's code.
#[derive(Debug, Clone)]
pub struct OnCase<M> {
    /// The record.
    pub record: M,
    /// Its case.
    pub case: upc_case::Model,
    /// The case's service code.
    pub service_code: String,
}

/// `FORBIDDEN` unless `actor` holds one of `roles` in the service `code` of the case (5.4).
pub fn authorise(actor: &Principal, roles: &[Role], code: &str, what: &str) -> DomainResult<()> {
    if actor.may_act(roles, code) {
        return Ok(());
    }
    Err(DomainError::Forbidden(format!(
        "{what} needs the role {} in the case's service ({code})",
        role_list(roles)
    )))
}

/// Refuse a step on a closed case.
fn open_case(case: &upc_case::Model, field: &str) -> DomainResult<()> {
    if case.status == CaseStatus::Open {
        Ok(())
    } else {
        Err(DomainError::bad_input(
            field,
            format!("case {} is closed", case.reference),
        ))
    }
}

/// A written report of feeling threatened (`reportThreat`, 3.1).
#[derive(Debug, Clone)]
pub struct ReportThreat {
    /// Where it is filed.
    pub target: CaseTarget,
    /// Why the member of staff felt threatened, in their words.
    pub reasons: Text,
    /// Whether there is an imminent risk of harm (3.2).
    pub imminent_risk: bool,
}

/// Any member of the service's staff reports a threat (3.1), filed on the named open case, the
/// customer's open case in the service, or a new case.
pub fn report_threat(
    cmd: ReportThreat,
    facts: TargetFacts,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    let mut out = Outcome::new();
    let filed = file_on(
        cmd.target,
        facts,
        SERVICE_STAFF,
        "reportThreat",
        actor,
        now,
        &mut out,
    )?;
    let incident = out.create(New::Incident {
        incident: hs_incident::Model {
            id: 0,
            case_id: 0,
            reported_by: actor.subject.clone(),
            reported_at: now,
            reasons: cmd.reasons.into_string(),
            imminent_risk: cmd.imminent_risk,
            hs_v1_reference: None,
            version: 1,
            created_at: now,
        },
        case: filed.case,
    });
    Ok(out.audited(
        AuditEntry::new("hs_incident.report", "hs_incident", incident).on_case(filed.case),
    ))
}

/// The premises named for an exclusion on `case`: one or more, no repeats, each existing, open,
/// and the case's service's own or a shared building, never another service's (5.4). `found`
/// holds the named establishments that exist.
pub fn check_establishments(
    case: &upc_case::Model,
    named: &[EstablishmentId],
    found: &[establishment::Model],
) -> DomainResult<Vec<i64>> {
    const FIELD: &str = "establishmentIds";
    if named.is_empty() {
        return Err(DomainError::bad_input(
            FIELD,
            "name at least one establishment (3.2)",
        ));
    }
    let mut out = BTreeSet::new();
    for id in named.iter().map(|id| id.get()) {
        if !out.insert(id) {
            return Err(DomainError::bad_input(
                FIELD,
                format!("establishment {id} is listed more than once"),
            ));
        }
        let e = found
            .iter()
            .find(|e| e.id == id)
            .ok_or_else(|| DomainError::bad_input(FIELD, format!("no establishment {id}")))?;
        if !e.active {
            return Err(DomainError::bad_input(
                FIELD,
                format!("establishment {id} ({}) has closed", e.name),
            ));
        }
        if e.service_id.is_some_and(|s| s != case.service_id) {
            return Err(DomainError::bad_input(
                FIELD,
                format!(
                    "establishment {id} ({}) is another service's premises: an exclusion applies to the case's service only (5.4)",
                    e.name
                ),
            ));
        }
    }
    Ok(out.into_iter().collect())
}

/// An end date that is not before `starts_on` and not in the past.
fn check_ends_on(
    ends_on: NaiveDate,
    starts_on: NaiveDate,
    today: NaiveDate,
) -> DomainResult<NaiveDate> {
    if ends_on < starts_on {
        return Err(DomainError::bad_input(
            "endsOn",
            format!("endsOn ({ends_on}) is before the first day ({starts_on})"),
        ));
    }
    if ends_on < today {
        return Err(DomainError::bad_input(
            "endsOn",
            format!("endsOn ({ends_on}) is in the past"),
        ));
    }
    Ok(ends_on)
}

/// A temporary exclusion at once (`excludeTemporarily`, 3.2).
#[derive(Debug, Clone)]
pub struct ExcludeTemporarily {
    /// The premises.
    pub establishments: Vec<EstablishmentId>,
    /// First day: today (the default) or earlier.
    pub starts_on: Option<NaiveDate>,
    /// Last day: required.
    pub ends_on: Option<NaiveDate>,
    /// Why.
    pub reasons: Text,
}

impl ExcludeTemporarily {
    /// The first and last day: "at once" (never later than today), with an end that is not
    /// before the start and not in the past, and no more than `exclusion_temporary_max_days`
    /// days after the start (14: a fortnight, from a Monday to the Monday two weeks on); longer
    /// needs the long-term agreement.
    pub fn period(
        &self,
        today: NaiveDate,
        settings: &LifecycleSettings,
    ) -> DomainResult<(NaiveDate, NaiveDate)> {
        let starts_on = not_future("startsOn", self.starts_on.unwrap_or(today), today)?;
        let Some(ends_on) = self.ends_on else {
            return Err(DomainError::bad_input(
                "endsOn",
                "a temporary exclusion needs an end date (3.2); a longer one needs the agreement of the Head of Service or Service Director (excludeLongTerm)",
            ));
        };
        let ends_on = check_ends_on(ends_on, starts_on, today)?;
        let days = (ends_on - starts_on).num_days();
        let longest = i64::from(settings.exclusion_temporary_max_days);
        if days > longest {
            return Err(DomainError::bad_input(
                "endsOn",
                format!(
                    "a temporary exclusion may last at most {longest} days (setting exclusion_temporary_max_days): {starts_on} to {ends_on} is {days}; a longer exclusion needs the agreement of the Head of Service or Service Director (excludeLongTerm, 3.2)"
                ),
            ));
        }
        Ok((starts_on, ends_on))
    }
}

/// The Service manager excludes the customer from premises at once, temporarily, where the
/// reported threat carries an imminent risk of harm (3.2). Made for Health & Safety reasons, it
/// cannot be appealed (3.6).
pub fn exclude_temporarily(
    cmd: ExcludeTemporarily,
    incident: &OnCase<hs_incident::Model>,
    establishments: &[establishment::Model],
    actor: &Principal,
    settings: &LifecycleSettings,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    let (starts_on, ends_on) = cmd.period(now.date_naive(), settings)?;
    authorise(
        actor,
        TEMPORARY_EXCLUDERS,
        &incident.service_code,
        "excludeTemporarily",
    )?;
    open_case(&incident.case, "hsIncidentId")?;
    if !incident.record.imminent_risk {
        return Err(DomainError::bad_input(
            "hsIncidentId",
            format!(
                "incident {} records no imminent risk of harm: a temporary exclusion at once is only for imminent risk (3.2)",
                incident.record.id
            ),
        ));
    }
    let premises = check_establishments(&incident.case, &cmd.establishments, establishments)?;
    let reasons = cmd.reasons.into_string();
    let mut out = Outcome::new();
    let created = out.create(New::Exclusion {
        exclusion: exclusion::Model {
            id: 0,
            case_id: incident.case.id,
            kind: ExclusionKind::Temporary,
            health_and_safety: true,
            starts_on,
            ends_on: Some(ends_on),
            reasons: reasons.clone(),
            authorised_by: actor.subject.clone(),
            agreed_by: None,
            agreed_by_role: None,
            agreed_at: None,
            agreement_reasons: None,
            hs_incident_id: Some(incident.record.id),
            lifted_on: None,
            lifted_reason: None,
            version: 1,
            created_at: now,
        },
        establishments: premises,
    });
    Ok(out.audited(
        AuditEntry::new("exclusion.temporary", "exclusion", created)
            .on_case(Ref::Stored(incident.case.id))
            .because(reasons),
    ))
}

/// The agreeing role of a caller who holds `head_of_service` or `service_director` in `code`.
fn agreeing_role(actor: &Principal, code: &str) -> DomainResult<ExclusionAgreedByRole> {
    if !actor.in_service(code) {
        return Err(DomainError::Forbidden(format!(
            "a long-term exclusion is agreed by the Head of Service or Service Director of the case's service ({code}) (3.2)"
        )));
    }
    if actor.has_role(Role::HeadOfService) {
        Ok(ExclusionAgreedByRole::HeadOfService)
    } else if actor.has_role(Role::ServiceDirector) {
        Ok(ExclusionAgreedByRole::ServiceDirector)
    } else {
        Err(DomainError::Forbidden(
            "a long-term exclusion needs the agreement of the Head of Service or Service Director (3.2): a Service manager alone may only exclude temporarily".into(),
        ))
    }
}

/// Make a temporary exclusion in force long-term (`excludeLongTerm` with `exclusionId`).
#[derive(Debug, Clone)]
pub struct MakeLongTerm {
    /// The exclusion version the caller read.
    pub version: i64,
    /// Last day, not in the past; none: until lifted.
    pub ends_on: Option<NaiveDate>,
    /// Why it should be long-term.
    pub reasons: Text,
}

/// The Head of Service or Service Director of the case's service agrees that a temporary
/// exclusion in force becomes long-term (3.2); their agreement is recorded.
pub fn make_long_term(
    cmd: MakeLongTerm,
    found: &OnCase<exclusion::Model>,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    authorise(
        actor,
        LONG_TERM_AGREERS,
        &found.service_code,
        "excludeLongTerm",
    )?;
    let role = agreeing_role(actor, &found.service_code)?;
    let e = &found.record;
    if e.version != cmd.version {
        return Err(DomainError::stale("exclusion", e.id, cmd.version));
    }
    let today = now.date_naive();
    if e.kind != ExclusionKind::Temporary || !exclusion_in_force(e, today) {
        return Err(DomainError::bad_input(
            "exclusionId",
            format!(
                "exclusion {} is not a temporary exclusion in force; make a new long-term exclusion instead",
                e.id
            ),
        ));
    }
    let ends_on = match cmd.ends_on {
        None => None,
        Some(day) => Some(check_ends_on(day, e.starts_on, today)?),
    };
    let reasons = cmd.reasons.into_string();
    let mut out = Outcome::new();
    let changed = out.change(
        e.clone(),
        exclusion::Model {
            kind: ExclusionKind::LongTerm,
            ends_on,
            agreed_by: Some(actor.subject.clone()),
            agreed_by_role: Some(role),
            agreed_at: Some(now),
            agreement_reasons: Some(reasons.clone()),
            ..e.clone()
        },
    );
    Ok(out.audited(
        AuditEntry::new("exclusion.long_term", "exclusion", changed)
            .on_case(Ref::Stored(found.case.id))
            .because(reasons),
    ))
}

/// A new long-term exclusion (`excludeLongTerm` without `exclusionId`).
#[derive(Debug, Clone)]
pub struct NewLongTerm {
    /// Made for Health & Safety reasons (then it names the threat, and cannot be appealed).
    pub health_and_safety: bool,
    /// The premises.
    pub establishments: Vec<EstablishmentId>,
    /// First day (default today).
    pub starts_on: Option<NaiveDate>,
    /// Last day, not in the past; none: until lifted.
    pub ends_on: Option<NaiveDate>,
    /// Why.
    pub reasons: Text,
}

/// What a new long-term exclusion hangs on: the threat it arises from (with its case), or for
/// one not made for Health & Safety, the case.
#[derive(Debug, Clone)]
pub struct LongTermBasis {
    /// The threat, when there is one.
    pub incident: Option<hs_incident::Model>,
    /// The case.
    pub case: upc_case::Model,
    /// The case's service code.
    pub service_code: String,
}

/// A new long-term exclusion, agreed by the Head of Service or Service Director of the case's
/// service, who makes it (3.2).
pub fn new_long_term(
    cmd: NewLongTerm,
    basis: &LongTermBasis,
    establishments: &[establishment::Model],
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    authorise(
        actor,
        LONG_TERM_AGREERS,
        &basis.service_code,
        "excludeLongTerm",
    )?;
    let role = agreeing_role(actor, &basis.service_code)?;
    open_case(&basis.case, "caseId")?;
    let today = now.date_naive();
    let starts_on = cmd.starts_on.unwrap_or(today);
    let ends_on = match cmd.ends_on {
        None => None,
        Some(day) => Some(check_ends_on(day, starts_on, today)?),
    };
    let premises = check_establishments(&basis.case, &cmd.establishments, establishments)?;
    let reasons = cmd.reasons.into_string();
    let mut out = Outcome::new();
    let created = out.create(New::Exclusion {
        exclusion: exclusion::Model {
            id: 0,
            case_id: basis.case.id,
            kind: ExclusionKind::LongTerm,
            health_and_safety: cmd.health_and_safety,
            starts_on,
            ends_on,
            reasons: reasons.clone(),
            authorised_by: actor.subject.clone(),
            agreed_by: Some(actor.subject.clone()),
            agreed_by_role: Some(role),
            agreed_at: Some(now),
            agreement_reasons: Some(reasons.clone()),
            hs_incident_id: basis.incident.as_ref().map(|i| i.id),
            lifted_on: None,
            lifted_reason: None,
            version: 1,
            created_at: now,
        },
        establishments: premises,
    });
    Ok(out.audited(
        AuditEntry::new("exclusion.long_term", "exclusion", created)
            .on_case(Ref::Stored(basis.case.id))
            .because(reasons),
    ))
}

/// Lift an exclusion early (`liftExclusion`).
#[derive(Debug, Clone)]
pub struct LiftExclusion {
    /// The exclusion version the caller read.
    pub version: i64,
    /// The first day it no longer applies: today (the default) or earlier.
    pub lifted_on: Option<NaiveDate>,
    /// Why.
    pub reasons: Text,
}

impl LiftExclusion {
    /// The first day it no longer applies, which has come.
    pub fn lifted_on(&self, today: NaiveDate) -> DomainResult<NaiveDate> {
        not_future("liftedOn", self.lifted_on.unwrap_or(today), today)
    }
}

/// A temporary exclusion is lifted by the Service manager, Head of Service or Service
/// Director; a long-term or permanent one by the Head of Service or Service Director.
pub fn lift_exclusion(
    cmd: LiftExclusion,
    found: &OnCase<exclusion::Model>,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    let today = now.date_naive();
    let lifted_on = cmd.lifted_on(today)?;
    let e = &found.record;
    let roles = if e.kind == ExclusionKind::Temporary {
        EXCLUSION_LIFTERS
    } else {
        LONG_TERM_AGREERS
    };
    authorise(actor, roles, &found.service_code, "liftExclusion")?;
    if e.version != cmd.version {
        return Err(DomainError::stale("exclusion", e.id, cmd.version));
    }
    if e.lifted_on.is_some() || !exclusion_in_force(e, today) {
        return Err(DomainError::bad_input(
            "exclusionId",
            format!("exclusion {} is not in force", e.id),
        ));
    }
    if lifted_on < e.starts_on {
        return Err(DomainError::bad_input(
            "liftedOn",
            format!(
                "liftedOn ({lifted_on}) is before the exclusion started ({})",
                e.starts_on
            ),
        ));
    }
    let reasons = cmd.reasons.into_string();
    let mut out = Outcome::new();
    let changed = out.change(
        e.clone(),
        exclusion::Model {
            lifted_on: Some(lifted_on),
            lifted_reason: Some(reasons.clone()),
            ..e.clone()
        },
    );
    Ok(out.audited(
        AuditEntry::new("exclusion.lift", "exclusion", changed)
            .on_case(Ref::Stored(found.case.id))
            .because(reasons),
    ))
}

/// The HS V1 form's reference (`recordHsV1Reference`, 3.3).
#[derive(Debug, Clone)]
pub struct RecordHsV1 {
    /// The incident version the caller read.
    pub version: i64,
    /// The form's reference.
    pub reference: Text,
}

/// The longest HS V1 reference.
const HS_V1_REFERENCE_MAX: usize = 100;

impl RecordHsV1 {
    /// Rules about the reference alone.
    pub fn validate(&self) -> DomainResult<()> {
        if self.reference.as_str().len() > HS_V1_REFERENCE_MAX {
            return Err(DomainError::bad_input(
                "hsV1Reference",
                "an HS V1 reference is at most 100 characters",
            ));
        }
        Ok(())
    }
}

/// The Service manager records the incident on the HS V1 form (3.3); a correction carries the
/// version read.
pub fn record_hs_v1(
    cmd: RecordHsV1,
    incident: &OnCase<hs_incident::Model>,
    actor: &Principal,
) -> DomainResult<Outcome> {
    authorise(
        actor,
        HS_V1_RECORDERS,
        &incident.service_code,
        "recordHsV1Reference",
    )?;
    let i = &incident.record;
    if i.version != cmd.version {
        return Err(DomainError::stale("incident", i.id, cmd.version));
    }
    let mut out = Outcome::new();
    let changed = out.change(
        i.clone(),
        hs_incident::Model {
            hs_v1_reference: Some(cmd.reference.into_string()),
            ..i.clone()
        },
    );
    Ok(out.audited(
        AuditEntry::new("hs_incident.record_hs_v1", "hs_incident", changed)
            .on_case(Ref::Stored(incident.case.id)),
    ))
}

/// A report to the police (`recordPoliceReferral`; 3.3 ii, 3.5).
#[derive(Debug, Clone)]
pub struct RecordPoliceReferral {
    /// The day it was reported.
    pub referred_on: NaiveDate,
    /// The police's reference, when they gave one.
    pub police_reference: Option<Text>,
    /// Threat, assault, harassment or other.
    pub reason: PoliceReferralReason,
    /// Details; required for `other`.
    pub notes: Option<Text>,
}

impl RecordPoliceReferral {
    /// Rules about the report alone: it has been made, and `other` says what.
    pub fn validate(&self, today: NaiveDate) -> DomainResult<()> {
        not_future("referredOn", self.referred_on, today)?;
        if self.reason == PoliceReferralReason::Other && self.notes.is_none() {
            return Err(DomainError::bad_input(
                "notes",
                "say in notes why it was reported when the reason is `other`",
            ));
        }
        Ok(())
    }
}

/// Where a police referral is filed: the case, and the threat it arises from if any.
#[derive(Debug, Clone)]
pub struct ReferralBasis {
    /// The threat, when it arises from one.
    pub incident: Option<hs_incident::Model>,
    /// The case.
    pub case: upc_case::Model,
    /// The case's service code.
    pub service_code: String,
}

/// The Service manager, Head of Service or Service Director records a report to the police.
pub fn record_police_referral(
    cmd: RecordPoliceReferral,
    basis: &ReferralBasis,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    authorise(
        actor,
        POLICE_REFERRERS,
        &basis.service_code,
        "recordPoliceReferral",
    )?;
    let mut out = Outcome::new();
    let created = out.create(New::PoliceReferral {
        referral: police_referral::Model {
            id: 0,
            case_id: basis.case.id,
            hs_incident_id: basis.incident.as_ref().map(|i| i.id),
            referred_on: cmd.referred_on,
            police_reference: cmd.police_reference.map(Text::into_string),
            reason: cmd.reason,
            referred_by: actor.subject.clone(),
            notes: cmd.notes.map(Text::into_string),
            version: 1,
            created_at: now,
        },
        answers: None,
    });
    Ok(out.audited(
        AuditEntry::new("police_referral.record", "police_referral", created)
            .on_case(Ref::Stored(basis.case.id)),
    ))
}

/// The case-file note of a call ended after a warning (`recordCallTermination`, 3.4).
#[derive(Debug, Clone)]
pub struct RecordCallTermination {
    /// Where it is filed.
    pub target: CaseTarget,
    /// The logged telephone contact, if it was logged.
    pub contact: Option<ContactId>,
    /// When the call was ended.
    pub terminated_at: DateTime<Utc>,
    /// The warning given that the call would be ended.
    pub warning_given: Text,
    /// Why it was ended.
    pub reason: Text,
}

impl RecordCallTermination {
    /// Rules about the note alone: the call has ended.
    pub fn validate(&self, now: DateTime<Utc>) -> DomainResult<()> {
        not_future_time("terminatedAt", self.terminated_at, now).map(|_| ())
    }
}

/// Any member of the service's staff notes on the case file a call they ended, the warning
/// given and why (3.4). A logged contact it names (`contact`, as found) must be a telephone
/// call with this customer in the case's service.
pub fn record_call_termination(
    cmd: RecordCallTermination,
    facts: TargetFacts,
    contact: Option<contact::Model>,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    let mut out = Outcome::new();
    let (customer_id, service_id) = match &facts {
        TargetFacts::Case(case, _) => (Some(case.customer_id), Some(case.service_id)),
        TargetFacts::Customer {
            service,
            customer,
            open_case,
        } => (
            customer
                .as_ref()
                .map(|c| c.id)
                .or(open_case.as_ref().map(|c| c.customer_id)),
            Some(service.id),
        ),
    };
    let filed = file_on(
        cmd.target,
        facts,
        SERVICE_STAFF,
        "recordCallTermination",
        actor,
        now,
        &mut out,
    )?;
    let contact_id = match cmd.contact {
        None => None,
        Some(id) => {
            let c = contact
                .filter(|c| Some(c.customer_id) == customer_id && Some(c.service_id) == service_id)
                .ok_or_else(|| {
                    DomainError::bad_input(
                        "contactId",
                        format!("no contact {id} with this customer in the case's service"),
                    )
                })?;
            if c.channel != ContactChannel::Telephone {
                return Err(DomainError::bad_input(
                    "contactId",
                    format!("contact {id} was not a telephone call"),
                ));
            }
            Some(c.id)
        }
    };
    let reason = cmd.reason.into_string();
    let created = out.create(New::CallTermination {
        call: call_termination::Model {
            id: 0,
            case_id: 0,
            contact_id,
            warning_given: cmd.warning_given.into_string(),
            reason: reason.clone(),
            terminated_by: actor.subject.clone(),
            terminated_at: cmd.terminated_at,
            version: 1,
            created_at: now,
        },
        case: filed.case,
    });
    Ok(out.audited(
        AuditEntry::new("call_termination.record", "call_termination", created)
            .on_case(filed.case)
            .because(reason),
    ))
}

/// Repeated abusive calls referred as harassment (`referHarassment`, 3.5).
#[derive(Debug, Clone)]
pub struct ReferHarassment {
    /// The terminated calls it rests on, as named.
    pub calls: Vec<i64>,
    /// The Head of Service referred to.
    pub referred_to: Text,
    /// Why the calls amount to harassment.
    pub reasons: Text,
}

impl ReferHarassment {
    /// Rules about the referral alone: it names the calls it rests on.
    pub fn validate(&self) -> DomainResult<()> {
        if self.calls.is_empty() {
            return Err(DomainError::bad_input(
                "callTerminationIds",
                "name the terminated calls (3.4) the referral rests on",
            ));
        }
        Ok(())
    }
}

/// The Service manager refers repeated abusive calls (3.4) on the case to the Head of Service as
/// harassment, to be reported to the police (3.5). `calls_on_case` are the case's terminated
/// calls.
pub fn refer_harassment(
    cmd: ReferHarassment,
    case: &upc_case::Model,
    service_code: &str,
    calls_on_case: &[i64],
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    authorise(actor, HARASSMENT_REFERRERS, service_code, "referHarassment")?;
    let mut calls = BTreeSet::new();
    for id in cmd.calls {
        if !calls.insert(id) {
            return Err(DomainError::bad_input(
                "callTerminationIds",
                format!("call {id} is listed more than once"),
            ));
        }
        if !calls_on_case.contains(&id) {
            return Err(DomainError::bad_input(
                "callTerminationIds",
                format!("no terminated call {id} on this case"),
            ));
        }
    }
    let reasons = cmd.reasons.into_string();
    let mut out = Outcome::new();
    let created = out.create(New::HarassmentReferral {
        referral: harassment_referral::Model {
            id: 0,
            case_id: case.id,
            referred_by: actor.subject.clone(),
            referred_to: cmd.referred_to.into_string(),
            referred_at: now,
            reasons: reasons.clone(),
            police_referral_id: None,
            version: 1,
            created_at: now,
        },
        calls: calls.into_iter().collect(),
    });
    Ok(out.audited(
        AuditEntry::new("harassment_referral.refer", "harassment_referral", created)
            .on_case(Ref::Stored(case.id))
            .because(reasons),
    ))
}

/// The Head of Service's report of a harassment referral to the police
/// (`reportHarassmentToPolice`, 3.5).
#[derive(Debug, Clone)]
pub struct ReportHarassmentToPolice {
    /// The referral version the caller read.
    pub version: i64,
    /// The day it was reported.
    pub referred_on: NaiveDate,
    /// The police's reference, when they gave one.
    pub police_reference: Option<Text>,
    /// Details.
    pub notes: Option<Text>,
}

impl ReportHarassmentToPolice {
    /// Rules about the report alone: it has been made.
    pub fn validate(&self, today: NaiveDate) -> DomainResult<()> {
        not_future("referredOn", self.referred_on, today).map(|_| ())
    }
}

/// The Head of Service reports the referral to the police: a police referral (reason
/// `harassment`), linked to the referral. Once only.
pub fn report_harassment_to_police(
    cmd: ReportHarassmentToPolice,
    found: &OnCase<harassment_referral::Model>,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    authorise(
        actor,
        HARASSMENT_REPORTERS,
        &found.service_code,
        "reportHarassmentToPolice",
    )?;
    let referral = &found.record;
    if referral.version != cmd.version {
        return Err(DomainError::stale(
            "harassment referral",
            referral.id,
            cmd.version,
        ));
    }
    if let Some(existing) = referral.police_referral_id {
        return Err(DomainError::Conflict(format!(
            "harassment referral {} was already reported to the police (police referral {existing})",
            referral.id
        )));
    }
    if cmd.referred_on < referral.referred_at.date_naive() {
        return Err(DomainError::bad_input(
            "referredOn",
            format!(
                "referredOn ({}) is before the referral ({})",
                cmd.referred_on,
                referral.referred_at.date_naive()
            ),
        ));
    }
    let mut out = Outcome::new();
    out.create(New::PoliceReferral {
        referral: police_referral::Model {
            id: 0,
            case_id: found.case.id,
            hs_incident_id: None,
            referred_on: cmd.referred_on,
            police_reference: cmd.police_reference.map(Text::into_string),
            reason: PoliceReferralReason::Harassment,
            referred_by: actor.subject.clone(),
            notes: cmd.notes.map(Text::into_string),
            version: 1,
            created_at: now,
        },
        answers: Some(referral.clone()),
    });
    Ok(out.audited(
        AuditEntry::new(
            "harassment_referral.report_to_police",
            "harassment_referral",
            Ref::Stored(referral.id),
        )
        .on_case(Ref::Stored(found.case.id)),
    ))
}

/// A long-term exclusion (`excludeLongTerm`): a temporary one made long-term, or a new one.
#[derive(Debug, Clone)]
pub enum ExcludeLongTerm {
    /// Make temporary exclusion `0` long-term.
    Existing(super::values::ExclusionId, MakeLongTerm),
    /// A new long-term exclusion, on the threat or the case named.
    New(LongTermOn, NewLongTerm),
}

/// What a new long-term exclusion is made on.
#[derive(Debug, Clone, Copy)]
pub enum LongTermOn {
    /// The threat it arises from (and its case).
    Incident(super::values::IncidentId),
    /// A case, for an exclusion not made for Health & Safety.
    Case(super::values::CaseId),
}

/// Where a police referral is filed, as named: the threat, the case, or both (then the threat
/// must be on that case).
#[derive(Debug, Clone, Copy)]
pub struct ReferralOn {
    /// The threat it arises from.
    pub incident: Option<super::values::IncidentId>,
    /// The case.
    pub case: Option<super::values::CaseId>,
}
