//! Reporting behaviour (2.3; covert recording, 4.4): an officer of the service, or an elected
//! Member it was aimed at (1.2, 1.3), reports one or more of the behaviours the policy lists,
//! how and when it happened. The report is filed on the customer's open case in that service,
//! or opens a new case at stage `reported`.

use chrono::{DateTime, Utc};
use entities::enums::{Behaviour, ReportChannel, ReporterRole};
use entities::{behaviour_report, customer, service, upc_case};

use super::customers::{CustomerChoice, open_for};
use super::error::{DomainError, DomainResult};
use super::lifecycle::Step;
use super::outcome::{AuditEntry, New, Outcome};
use super::roles::{Principal, Role};
use super::values::{Text, not_future_time};

/// A report of behaviour (`reportBehaviour`).
#[derive(Debug, Clone)]
pub struct ReportBehaviour {
    /// Who it is about.
    pub customer: CustomerChoice,
    /// The service whose staff (or Member) experienced it.
    pub service_code: String,
    /// The behaviours of 2.3 (and 4.4): at least one, none twice.
    pub behaviours: Vec<Behaviour>,
    /// How: in person, telephone, writing, email or fax (2.3).
    pub channel: ReportChannel,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// What happened.
    pub description: Text,
}

impl ReportBehaviour {
    /// The behaviours named, refused when none is named or one is named twice.
    pub fn behaviours(named: Vec<Behaviour>) -> DomainResult<Vec<Behaviour>> {
        if named.is_empty() {
            return Err(DomainError::bad_input(
                "behaviours",
                "name at least one behaviour type (2.3, 4.4)",
            ));
        }
        let mut out: Vec<Behaviour> = Vec::with_capacity(named.len());
        for b in named {
            if out.contains(&b) {
                return Err(DomainError::bad_input(
                    "behaviours",
                    format!("`{b}` is listed more than once"),
                ));
            }
            out.push(b);
        }
        Ok(out)
    }

    /// Rules about the report alone: it cannot be about the future.
    pub fn validate(&self, now: DateTime<Utc>) -> DomainResult<()> {
        not_future_time("occurredAt", self.occurred_at, now).map(|_| ())
    }
}

/// What a report needs to know: the service, the customer when one on the system was named,
/// and their open case in the service.
#[derive(Debug, Clone)]
pub struct ReportFacts {
    /// The service named.
    pub service: service::Model,
    /// The customer on the system, when one was named (`None`: no such customer).
    pub customer: Option<customer::Model>,
    /// Their open case in the service.
    pub open_case: Option<upc_case::Model>,
}

/// File the report (2.3): on the customer's open case in the service (its version goes up, so
/// whoever read it sees that something was added), or on a new case at stage `reported`.
pub fn report(
    cmd: ReportBehaviour,
    facts: ReportFacts,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    let service = &facts.service;
    if !actor.may_act(Step::ReportBehaviour.roles(), &service.code) {
        return Err(DomainError::Forbidden(format!(
            "officers report behaviour for their own services; you are not in {}",
            service.code
        )));
    }
    // An officer of the service reports as an officer; anyone else allowed here is a Member.
    let reporter_role = if actor.has_role(Role::Officer) && actor.in_service(&service.code) {
        ReporterRole::Officer
    } else {
        ReporterRole::ElectedMember
    };
    let mut out = Outcome::new();
    let filed = open_for(
        cmd.customer,
        facts.customer,
        facts.open_case,
        service,
        now,
        &mut out,
    )?;
    if let Some(existing) = &filed.existing {
        out.change(existing.clone(), existing.clone());
    }
    let report = out.create(New::Report {
        report: behaviour_report::Model {
            id: 0,
            case_id: filed.existing.as_ref().map_or(0, |c| c.id),
            reported_by: actor.subject.clone(),
            reporter_name: actor.display_name(),
            reporter_role,
            channel: cmd.channel,
            occurred_at: cmd.occurred_at,
            description: cmd.description.into_string(),
            version: 1,
            created_at: now,
        },
        case: filed.case,
        behaviours: cmd.behaviours,
    });
    Ok(out.audited(
        AuditEntry::new("case.report_behaviour", "behaviour_report", report).on_case(filed.case),
    ))
}
