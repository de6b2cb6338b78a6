//! At the point of contact (5.2 to 5.6). The contact check: given the restrictions and
//! exclusions in force for a customer in one service (5.4), and a proposed contact, is it
//! allowed, and what must the officer do? Every restriction that applies gives one finding with
//! a plain-English instruction; a finding that blocks the contact makes the answer "not
//! allowed". Logging a contact: repeat correspondence on a matter already addressed is read for
//! new issues and, if none, placed on file without reply, to be read by a manager (5.2); an
//! inbound contact a restriction or exclusion forbids is a breach, and an ignored exclusion
//! flags the case for immediate review (5.6).

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Europe::London;
use entities::enums::{
    BreachOutcome, ContactChannel, ContactDirection, ContactOutcome, ExclusionKind,
};
use entities::restriction_parameters::{
    ContactAgreement, ContactForm, EstablishmentExclusion, NamedContact, RestrictionParameters,
    TelephoneTimes, Termination, TimeLimits, Weekday,
};
use entities::{breach, contact, exclusion, restriction, service, upc_case};

use super::deadlines::{exclusion_in_force, restriction_in_force};
use super::error::{DomainError, DomainResult};
use super::outcome::{AuditEntry, New, Outcome, Ref};
use super::restrictions::{excludes_from_premises, flagged_for_ignored_exclusion};
use super::roles::{EVERY_SERVICE, FILE_READERS, Principal, Role, SERVICE_STAFF};
use super::values::{CustomerId, EstablishmentId, RecordId, StaffMemberId, Text, not_future_time};
use crate::letters::Names;

/// The contact being checked.
#[derive(Debug, Clone)]
pub struct Proposed {
    /// How the customer is making contact.
    pub channel: ContactChannel,
    /// When (UTC); telephone times are judged in UK local time.
    pub at: DateTime<Utc>,
    /// The officer they want to deal with, if known: (staff id, team id).
    pub officer: Option<(i64, Option<i64>)>,
    /// The establishment they are at or want to visit, if any.
    pub establishment_id: Option<i64>,
}

/// An exclusion from premises made for Health & Safety (section 3), with its establishments.
#[derive(Debug, Clone, PartialEq)]
pub struct PremisesExclusion {
    /// The exclusion.
    pub exclusion: exclusion::Model,
    /// The establishments it covers.
    pub establishment_ids: Vec<i64>,
}

/// Where a finding comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Source {
    /// A restriction (5.3).
    Restriction(i64),
    /// An exclusion from premises (3.2).
    Exclusion(i64),
}

/// What one restriction or exclusion means for this contact.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    /// The restriction or exclusion.
    pub source: Source,
    /// Its kind, snake_case (`contact_form`, …, or `premises_exclusion`).
    pub kind: String,
    /// Whether it forbids this contact.
    pub blocks: bool,
    /// What the officer must do, in plain English.
    pub instruction: String,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Verdict {
    /// No finding blocks the contact.
    pub allowed: bool,
    /// One per restriction or exclusion in force.
    pub findings: Vec<Finding>,
}

/// Check `proposed` against the restrictions and exclusions of one service. `inbound_contacts`
/// are the times of the customer's earlier inbound contacts with the service (for time
/// limits); `names` names establishments, officers and teams.
pub fn evaluate(
    proposed: &Proposed,
    restrictions: &[restriction::Model],
    exclusions: &[PremisesExclusion],
    inbound_contacts: &[DateTime<Utc>],
    names: &Names,
) -> Verdict {
    let day = proposed.at.with_timezone(&London).date_naive();
    let mut findings = Vec::new();
    for r in restrictions.iter().filter(|r| restriction_in_force(r, day)) {
        let (blocks, instruction) = match &r.parameters {
            RestrictionParameters::TimeLimits(t) => time_limits(t, proposed, inbound_contacts),
            RestrictionParameters::NamedContact(n) => named_contact(n, proposed, names),
            RestrictionParameters::TelephoneTimes(t) => telephone_times(t, proposed),
            RestrictionParameters::EstablishmentExclusion(e) => {
                establishment_exclusion(e, proposed, names)
            }
            RestrictionParameters::ContactForm(f) => contact_form(f, proposed),
            RestrictionParameters::ContactAgreement(a) => contact_agreement(a),
            RestrictionParameters::Termination(t) => termination(t),
        };
        findings.push(Finding {
            source: Source::Restriction(r.id),
            kind: r.kind.as_str().to_string(),
            blocks,
            instruction,
        });
    }
    for x in exclusions
        .iter()
        .filter(|x| exclusion_in_force(&x.exclusion, day))
    {
        let (blocks, instruction) = premises_exclusion(x, proposed, names);
        findings.push(Finding {
            source: Source::Exclusion(x.exclusion.id),
            kind: "premises_exclusion".to_string(),
            blocks,
            instruction,
        });
    }
    Verdict {
        allowed: !findings.iter().any(|f| f.blocks),
        findings,
    }
}

fn channel_words(channel: ContactChannel) -> &'static str {
    match channel {
        ContactChannel::InPerson => "in person",
        ContactChannel::Telephone => "by telephone",
        ContactChannel::Letter => "by letter",
        ContactChannel::Email => "by email",
        ContactChannel::Fax => "by fax",
        ContactChannel::Web => "through the website",
    }
}

fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn time_limits(t: &TimeLimits, p: &Proposed, inbound: &[DateTime<Utc>]) -> (bool, String) {
    let since = p.at - Duration::days(i64::from(t.per_days));
    let used = inbound
        .iter()
        .filter(|at| **at > since && **at <= p.at)
        .count();
    let used = u32::try_from(used).unwrap_or(u32::MAX);
    let per = if t.per_days == 1 {
        "day".to_string()
    } else {
        format!("{} days", t.per_days)
    };
    let minutes = t
        .max_minutes_per_contact
        .map(|m| format!(" Keep each contact to {m} minutes."))
        .unwrap_or_default();
    if used >= t.max_contacts {
        (
            true,
            format!(
                "Contact limit reached: {used} of {} contacts allowed in any {per} already made. Take no further contact now; explain when they may next make contact.",
                t.max_contacts
            ),
        )
    } else {
        (
            false,
            format!(
                "At most {} contacts in any {per}: this is contact {} of {}.{minutes}",
                t.max_contacts,
                used + 1,
                t.max_contacts
            ),
        )
    }
}

fn named_officer(n: &NamedContact, names: &Names) -> String {
    n.staff_member_id
        .and_then(|id| names.staff.get(&id).cloned())
        .or_else(|| n.officer_name.clone())
        .or_else(|| {
            n.team_id
                .and_then(|id| names.teams.get(&id).cloned())
                .map(|team| format!("the {team} team"))
        })
        .unwrap_or_else(|| "the named officer".to_string())
}

fn named_contact(n: &NamedContact, p: &Proposed, names: &Names) -> (bool, String) {
    let who = named_officer(n, names);
    let when = n
        .time
        .as_deref()
        .map(|t| format!(", at the set time ({t})"))
        .unwrap_or_default();
    let where_ = n
        .place
        .as_deref()
        .map(|t| format!(", at the set place ({t})"))
        .unwrap_or_default();
    let named_by_id = n.staff_member_id.is_some() || n.team_id.is_some();
    let matches = p.officer.is_some_and(|(officer, team)| {
        n.staff_member_id == Some(officer) || (n.team_id.is_some() && team == n.team_id)
    });
    if named_by_id && p.officer.is_some() && !matches {
        (
            true,
            format!(
                "Contact only with {who}{when}{where_}: you are not the named contact, so refer the customer to {who}."
            ),
        )
    } else {
        (
            false,
            format!("Contact only with {who}{when}{where_}: refer the customer to them."),
        )
    }
}

fn telephone_times(t: &TelephoneTimes, p: &Proposed) -> (bool, String) {
    let days: Vec<String> = t.days.iter().map(|d| day_name(*d).to_string()).collect();
    let window = format!("{} between {} and {}", list(&days), t.from, t.to);
    if p.channel != ContactChannel::Telephone {
        return (false, format!("Telephone calls only on {window}."));
    }
    let local = p.at.with_timezone(&London);
    let weekday = chrono::Datelike::weekday(&local);
    let time = local.time();
    let on_day = t.days.iter().any(|d| chrono::Weekday::from(*d) == weekday);
    let in_window = NaiveTime::from(t.from) <= time && time < NaiveTime::from(t.to);
    if on_day && in_window {
        (
            false,
            format!("Telephone calls only on {window}: this call is within those times."),
        )
    } else {
        (
            true,
            format!(
                "Telephone calls only on {window} (UK time): explain this and end the call politely."
            ),
        )
    }
}

fn day_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "Mondays",
        Weekday::Tuesday => "Tuesdays",
        Weekday::Wednesday => "Wednesdays",
        Weekday::Thursday => "Thursdays",
        Weekday::Friday => "Fridays",
        Weekday::Saturday => "Saturdays",
        Weekday::Sunday => "Sundays",
    }
}

fn establishment_names(ids: &[i64], names: &Names) -> String {
    let named: Vec<String> = ids
        .iter()
        .map(|id| {
            names
                .establishments
                .get(id)
                .cloned()
                .unwrap_or_else(|| format!("establishment {id}"))
        })
        .collect();
    list(&named)
}

fn establishment_exclusion(
    e: &EstablishmentExclusion,
    p: &Proposed,
    names: &Names,
) -> (bool, String) {
    let places = establishment_names(&e.establishment_ids, names);
    match p.establishment_id {
        Some(here) if e.establishment_ids.contains(&here) => (
            true,
            format!("Excluded from {places}: do not admit or serve them there."),
        ),
        _ => (false, format!("Excluded from {places}.")),
    }
}

fn contact_form(f: &ContactForm, p: &Proposed) -> (bool, String) {
    let allowed: Vec<String> = f
        .permitted_channels
        .iter()
        .map(|c| channel_words(*c).to_string())
        .collect();
    let allowed = list(&allowed);
    if f.permitted_channels.contains(&p.channel) {
        (false, format!("Contact {allowed} only."))
    } else {
        (
            true,
            format!(
                "Contact {allowed} only: do not take contact {}; ask them to get in touch {allowed}.",
                channel_words(p.channel)
            ),
        )
    }
}

fn contact_agreement(a: &ContactAgreement) -> (bool, String) {
    let signed = match a.signed_on {
        Some(day) => format!("signed on {day}"),
        None => "not yet signed by the customer".to_string(),
    };
    (
        false,
        format!(
            "Contact under the contact agreement ({signed}): {}",
            a.terms
        ),
    )
}

fn termination(t: &Termination) -> (bool, String) {
    let premises = if t.permanent_exclusion_from_premises {
        " They are also permanently excluded from council premises."
    } else {
        ""
    };
    (
        true,
        format!(
            "All contact with this service has been terminated: take no contact and do not reply.{premises}"
        ),
    )
}

fn premises_exclusion(x: &PremisesExclusion, p: &Proposed, names: &Names) -> (bool, String) {
    let places = establishment_names(&x.establishment_ids, names);
    let until = match (x.exclusion.kind, x.exclusion.ends_on) {
        (ExclusionKind::Permanent, _) | (_, None) => String::new(),
        (_, Some(end)) => format!(" until {end}"),
    };
    let why = if x.exclusion.health_and_safety {
        " for Health & Safety reasons"
    } else {
        ""
    };
    match p.establishment_id {
        Some(here) if x.establishment_ids.contains(&here) => (
            true,
            format!(
                "Excluded from {places}{why}{until}: do not admit them; if they will not leave, follow the Violence at Work procedure."
            ),
        ),
        _ => (false, format!("Excluded from {places}{why}{until}.")),
    }
}

/// Does `actor` work at the point of contact for service `code`, in one of `roles`? Legal
/// Services and the Monitoring Officer act for every service.
pub fn acts_for(actor: &Principal, roles: &[Role], code: &str) -> bool {
    actor.has_any_role(EVERY_SERVICE) || (actor.has_any_role(roles) && actor.in_service(code))
}

/// What decides a contact check for a customer in one service: the restrictions of that
/// service only (5.4; lifted ones matter for a check in the past), the customer's exclusions
/// from premises with their establishments, the times of their earlier inbound contacts with
/// the service (for time limits), and the names the findings use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckFacts {
    /// The customer's cases in the service, as stored, when a contact is logged (a breached
    /// exclusion flags its case); a check alone needs none.
    pub cases: Vec<upc_case::Model>,
    /// Their restrictions in the service.
    pub restrictions: Vec<restriction::Model>,
    /// Their exclusions from premises.
    pub exclusions: Vec<PremisesExclusion>,
    /// Times of their inbound contacts in the longest time-limit window before the contact.
    pub inbound: Vec<DateTime<Utc>>,
    /// Names of the establishments, officers and teams referred to.
    pub names: Names,
}

impl CheckFacts {
    /// The answer for `proposed`.
    pub fn check(&self, proposed: &Proposed) -> Verdict {
        evaluate(
            proposed,
            &self.restrictions,
            &self.exclusions,
            &self.inbound,
            &self.names,
        )
    }
}

/// A contact to log (`logContact`).
#[derive(Debug, Clone)]
pub struct LogContact {
    /// The customer.
    pub customer: CustomerId,
    /// The service contacted.
    pub service_code: String,
    /// The channel.
    pub channel: ContactChannel,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// The officer dealt with.
    pub officer: Option<StaffMemberId>,
    /// The establishment, for contact in person.
    pub establishment: Option<EstablishmentId>,
    /// From the customer, or to them.
    pub direction: ContactDirection,
    /// What was said or written.
    pub summary: Text,
    /// What was done (5.2 decides it for repeat correspondence).
    pub outcome: ContactOutcome,
    /// For repeat correspondence: whether it raises a new issue.
    pub raises_new_issue: Option<bool>,
    /// A safeguarding concern was noticed.
    pub safeguarding_concern: bool,
}

impl LogContact {
    /// What happens to a contact (5.2): repeat correspondence on a matter already addressed
    /// must be read for a new issue; without one it is placed on file without reply. Only such
    /// correspondence is placed on file. Returns the outcome and whether it raised a new issue.
    pub fn screen(
        repeat: bool,
        raises_new_issue: Option<bool>,
        outcome: Option<ContactOutcome>,
    ) -> DomainResult<(ContactOutcome, Option<bool>)> {
        match (repeat, raises_new_issue) {
            (true, None) => Err(DomainError::bad_input(
                "raisesNewIssue",
                "repeat correspondence must be read for a new issue: say whether it raises one (5.2)",
            )),
            (true, Some(false)) => Ok((ContactOutcome::PlacedOnFile, Some(false))),
            (repeat, raises) => {
                let raises = if repeat { raises } else { None };
                match outcome {
                    None => Ok((ContactOutcome::Pending, raises)),
                    Some(ContactOutcome::PlacedOnFile) => Err(DomainError::bad_input(
                        "outcome",
                        "only repeat correspondence raising no new issue is placed on file (5.2): set repeatCorrespondence and raisesNewIssue",
                    )),
                    Some(o) => Ok((o, raises)),
                }
            }
        }
    }

    /// The contact as the check sees it, with the officer named (and their team).
    pub fn proposed(&self, officer: Option<(i64, Option<i64>)>) -> Proposed {
        Proposed {
            channel: self.channel,
            at: self.occurred_at,
            officer,
            establishment_id: self.establishment.map(|e| e.get()),
        }
    }

    /// Rules about the contact alone: it has happened.
    pub fn validate(&self, now: DateTime<Utc>) -> DomainResult<()> {
        not_future_time("occurredAt", self.occurred_at, now).map(|_| ())
    }
}

/// Where a contact is logged: the service, whether the customer is on the system, the officer
/// named (with their team), their open case in the service, and what decides the check.
#[derive(Debug, Clone)]
pub struct ContactFacts {
    /// The service contacted.
    pub service: service::Model,
    /// Whether the customer is on the system.
    pub customer_exists: bool,
    /// The officer named: (staff id, team id).
    pub officer: Option<(i64, Option<i64>)>,
    /// Their open case in the service.
    pub open_case: Option<upc_case::Model>,
    /// What decides the check (the contacts logged before this one).
    pub check: CheckFacts,
}

/// Log the contact. An inbound contact that a restriction or exclusion in force forbids records
/// a breach linked to both (5.6); a breached exclusion flags its case for review at once.
/// Returns the outcome and the check's verdict.
pub fn log_contact(
    cmd: LogContact,
    facts: &ContactFacts,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<(Outcome, Verdict)> {
    let customer_id = cmd.customer.get();
    if !acts_for(actor, SERVICE_STAFF, &facts.service.code) {
        return Err(DomainError::Forbidden(format!(
            "you do not work in {}: log contacts for your own services",
            facts.service.code
        )));
    }
    if !facts.customer_exists {
        return Err(DomainError::bad_input(
            "customerId",
            format!("no customer {customer_id}"),
        ));
    }
    let proposed = cmd.proposed(facts.officer);
    let verdict = facts.check.check(&proposed);
    let mut out = Outcome::new();
    let logged = contact::Model {
        id: 0,
        customer_id,
        service_id: facts.service.id,
        case_id: facts.open_case.as_ref().map(|c| c.id),
        channel: cmd.channel,
        direction: cmd.direction,
        occurred_at: cmd.occurred_at,
        officer_staff_id: facts.officer.map(|(id, _)| id),
        establishment_id: cmd.establishment.map(|e| e.get()),
        recorded_by: actor.subject.clone(),
        summary: cmd.summary.into_string(),
        outcome: cmd.outcome,
        raises_new_issue: cmd.raises_new_issue,
        filed_reviewed_at: None,
        filed_reviewed_by: None,
        safeguarding_concern: cmd.safeguarding_concern,
        version: 1,
        created_at: now,
    };
    let contact = out.create_row(logged.clone());
    if cmd.direction == ContactDirection::Inbound {
        breaches(
            &verdict,
            &facts.check,
            &logged,
            contact,
            actor,
            now,
            &mut out,
        );
    }
    let outcome = out.audited(
        AuditEntry::new("contact.log", "contact", contact)
            .noting(serde_json::json!({ "allowed": verdict.allowed })),
    );
    Ok((outcome, verdict))
}

/// The breaches a blocked inbound contact makes (5.6), each linked to the contact and to the
/// restriction or exclusion; each case where an exclusion was ignored is flagged once.
fn breaches(
    verdict: &Verdict,
    check: &CheckFacts,
    logged: &contact::Model,
    contact: Ref,
    actor: &Principal,
    now: DateTime<Utc>,
    out: &mut Outcome,
) {
    let mut flagged = Vec::new();
    for finding in verdict.findings.iter().filter(|f| f.blocks) {
        let (case_id, restriction_id, exclusion_id, exclusion_like) = match finding.source {
            Source::Restriction(id) => match check.restrictions.iter().find(|r| r.id == id) {
                Some(r) => (r.case_id, Some(id), None, excludes_from_premises(r)),
                None => continue,
            },
            Source::Exclusion(id) => match check.exclusions.iter().find(|x| x.exclusion.id == id) {
                Some(x) => (x.exclusion.case_id, None, Some(id), true),
                None => continue,
            },
        };
        out.create(New::Breach {
            breach: breach::Model {
                id: 0,
                case_id,
                restriction_id,
                exclusion_id,
                contact_id: None,
                occurred_at: logged.occurred_at,
                description: format!(
                    "Contact {} {}: {}",
                    logged.direction.as_str(),
                    logged.channel.as_str(),
                    finding.instruction
                ),
                recorded_by: actor.subject.clone(),
                flagged_for_review: exclusion_like,
                outcome: BreachOutcome::Pending,
                version: 1,
                created_at: now,
            },
            contact: Some(contact),
        });
        if exclusion_like
            && !flagged.contains(&case_id)
            && let Some(case) = check.cases.iter().find(|c| c.id == case_id)
        {
            flagged.push(case_id);
            out.change(
                case.clone(),
                flagged_for_ignored_exclusion(case, logged.occurred_at.date_naive()),
            );
        }
    }
}

/// A manager's reading of correspondence placed on file (`reviewFiledContact`, 5.2).
#[derive(Debug, Clone)]
pub struct ReviewFiledContact {
    /// The contact version the caller read.
    pub version: i64,
    /// Whether it raises a new issue after all (then it is dealt with on its merits, 9.1).
    pub raises_new_issue: bool,
    /// Whether it raises a safeguarding concern.
    pub safeguarding_concern: bool,
}

/// A Service manager or Head of Service of the service reads the correspondence and records
/// whether it raises a new issue or a safeguarding concern; it then leaves the queue.
pub fn review_filed(
    cmd: ReviewFiledContact,
    found: &contact::Model,
    service_code: &str,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    if !acts_for(actor, FILE_READERS, service_code) {
        return Err(DomainError::Forbidden(
            "a Service manager or Head of Service of the service reads filed correspondence".into(),
        ));
    }
    if found.outcome != ContactOutcome::PlacedOnFile || found.filed_reviewed_at.is_some() {
        return Err(DomainError::InvalidTransition {
            message: format!("contact {} is not awaiting a manager's reading", found.id),
            current: found.outcome.as_str().to_string(),
            allowed: Vec::new(),
        });
    }
    if found.version != cmd.version {
        return Err(DomainError::stale("contact", found.id, cmd.version));
    }
    let mut out = Outcome::new();
    let read = out.change(
        found.clone(),
        contact::Model {
            filed_reviewed_at: Some(now),
            filed_reviewed_by: Some(actor.subject.clone()),
            raises_new_issue: Some(cmd.raises_new_issue),
            safeguarding_concern: cmd.safeguarding_concern || found.safeguarding_concern,
            outcome: if cmd.raises_new_issue {
                ContactOutcome::Pending
            } else {
                ContactOutcome::PlacedOnFile
            },
            ..found.clone()
        },
    );
    let mut entry = AuditEntry::new("contact.review_filed", "contact", read);
    if let Some(case) = found.case_id {
        entry = entry.on_case(Ref::Stored(case));
    }
    Ok(out.audited(entry))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use entities::enums::{RestrictionKind, RestrictionStatus};
    use entities::restriction_parameters::ClockTime;

    fn restriction(parameters: RestrictionParameters) -> restriction::Model {
        restriction::Model {
            id: 1,
            case_id: 1,
            service_id: 1,
            decision_id: None,
            kind: parameters.kind(),
            parameters,
            starts_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            ends_on: None,
            review_due_on: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            status: RestrictionStatus::Active,
            permanent: false,
            lifted_on: None,
            lifted_reason: None,
            version: 1,
            created_at: Utc::now(),
        }
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap()
    }

    fn proposed(channel: ContactChannel, when: DateTime<Utc>) -> Proposed {
        Proposed {
            channel,
            at: when,
            officer: None,
            establishment_id: None,
        }
    }

    fn check(p: &Proposed, r: restriction::Model) -> Verdict {
        evaluate(p, &[r], &[], &[], &Names::default())
    }

    #[test]
    fn telephone_times_are_judged_in_uk_local_time_5_3() {
        let r = restriction(RestrictionParameters::TelephoneTimes(TelephoneTimes {
            days: vec![Weekday::Tuesday],
            from: ClockTime::new(10, 0).unwrap(),
            to: ClockTime::new(12, 0).unwrap(),
        }));
        // Tuesday 7 July 2026, 09:30 UTC is 10:30 BST: inside.
        assert!(
            check(
                &proposed(ContactChannel::Telephone, at(2026, 7, 7, 9, 30)),
                r.clone()
            )
            .allowed
        );
        // 11:30 UTC is 12:30 BST: outside.
        assert!(
            !check(
                &proposed(ContactChannel::Telephone, at(2026, 7, 7, 11, 30)),
                r.clone()
            )
            .allowed
        );
        // Wednesday: outside. A letter is not a call: allowed.
        assert!(
            !check(
                &proposed(ContactChannel::Telephone, at(2026, 7, 8, 9, 30)),
                r.clone()
            )
            .allowed
        );
        assert!(check(&proposed(ContactChannel::Letter, at(2026, 7, 8, 9, 30)), r).allowed);
    }

    #[test]
    fn a_restriction_is_in_force_between_its_dates_only() {
        let mut r = restriction(RestrictionParameters::Termination(Termination {
            permanent_exclusion_from_premises: false,
        }));
        r.ends_on = NaiveDate::from_ymd_opt(2026, 3, 31);
        assert!(
            !check(
                &proposed(ContactChannel::Letter, at(2026, 3, 31, 12, 0)),
                r.clone()
            )
            .allowed
        );
        assert!(
            check(
                &proposed(ContactChannel::Letter, at(2026, 4, 1, 12, 0)),
                r.clone()
            )
            .allowed
        );
        assert!(
            check(
                &proposed(ContactChannel::Letter, at(2025, 12, 31, 12, 0)),
                r.clone()
            )
            .allowed
        );
        r.status = RestrictionStatus::Lifted;
        r.lifted_on = NaiveDate::from_ymd_opt(2026, 2, 1);
        assert!(
            !check(
                &proposed(ContactChannel::Letter, at(2026, 1, 31, 12, 0)),
                r.clone()
            )
            .allowed
        );
        assert!(check(&proposed(ContactChannel::Letter, at(2026, 2, 1, 12, 0)), r).allowed);
    }

    #[test]
    fn time_limits_count_earlier_inbound_contacts_in_the_window() {
        let r = restriction(RestrictionParameters::TimeLimits(TimeLimits {
            max_contacts: 2,
            per_days: 7,
            max_minutes_per_contact: Some(15),
        }));
        let now = at(2026, 6, 10, 12, 0);
        let p = proposed(ContactChannel::Telephone, now);
        let one = [now - Duration::days(1)];
        let two = [now - Duration::days(1), now - Duration::days(6)];
        let old = [now - Duration::days(1), now - Duration::days(8)];
        assert!(evaluate(&p, std::slice::from_ref(&r), &[], &one, &Names::default()).allowed);
        assert!(!evaluate(&p, std::slice::from_ref(&r), &[], &two, &Names::default()).allowed);
        let v = evaluate(&p, std::slice::from_ref(&r), &[], &old, &Names::default());
        assert!(v.allowed);
        assert!(v.findings[0].instruction.contains("15 minutes"), "{:?}", v);
        assert_eq!(r.kind, RestrictionKind::TimeLimits);
    }
}
