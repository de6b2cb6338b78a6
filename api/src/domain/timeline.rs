//! A case's process record in order (8.2: the Standards Committee reviews each case to see the
//! policy was followed): every report, determination, warning, appeal, decision, restriction,
//! breach, new issue, review, letter, threat, exclusion, police report, ended call, harassment
//! referral and request to record, each as one line that carries no names, references or free
//! text.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use entities::enums::ReporterRole;
use entities::{
    appeal, breach, call_termination, determination, exclusion, harassment_referral, hs_incident,
    letter, new_issue_consideration, police_referral, recording_request, restriction, review,
    stage_1_warning, stage_2_decision, upc_case,
};

/// One line of the process record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// When.
    pub at: DateTime<Utc>,
    /// What kind of event, e.g. `stage_2_decision`.
    pub kind: &'static str,
    /// The record's id.
    pub record_id: i64,
    /// What happened, without names or free text.
    pub summary: String,
}

/// A report of behaviour as the timeline tells it: who reported (by role) and what.
#[derive(Debug, Clone)]
pub struct ReportLine {
    /// The report's id.
    pub id: i64,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Officer or elected Member.
    pub reporter_role: ReporterRole,
    /// The behaviours, as named.
    pub behaviours: Vec<String>,
}

/// The records of one case the caller may see.
#[derive(Debug, Clone, Default)]
pub struct CaseRecords {
    /// Reports of behaviour.
    pub reports: Vec<ReportLine>,
    /// Determinations.
    pub determinations: Vec<determination::Model>,
    /// Stage 1 warnings.
    pub warnings: Vec<stage_1_warning::Model>,
    /// Appeals.
    pub appeals: Vec<appeal::Model>,
    /// Stage 2 decisions.
    pub decisions: Vec<stage_2_decision::Model>,
    /// Restrictions.
    pub restrictions: Vec<restriction::Model>,
    /// Breaches.
    pub breaches: Vec<breach::Model>,
    /// New issues considered.
    pub new_issues: Vec<new_issue_consideration::Model>,
    /// Reviews.
    pub reviews: Vec<review::Model>,
    /// Letters.
    pub letters: Vec<letter::Model>,
    /// Threats reported (3.1).
    pub incidents: Vec<hs_incident::Model>,
    /// Exclusions from premises (3.2).
    pub exclusions: Vec<exclusion::Model>,
    /// Reports to the police (3.3, 3.5).
    pub police: Vec<police_referral::Model>,
    /// Calls ended (3.4).
    pub calls: Vec<call_termination::Model>,
    /// Harassment referrals (3.5).
    pub harassment: Vec<harassment_referral::Model>,
    /// Requests to record (4).
    pub recordings: Vec<recording_request::Model>,
}

/// The start of `day`, or `created` if later (a record dated a day is shown no earlier than it
/// was made).
fn day_or_created(day: NaiveDate, created: DateTime<Utc>) -> DateTime<Utc> {
    std::cmp::max(day.and_time(NaiveTime::MIN).and_utc(), created)
}

fn words(snake: &str) -> String {
    snake.replace('_', " ")
}

impl CaseRecords {
    /// The process record of `case`, oldest first (ties keep the order above).
    pub fn timeline(&self, case: &upc_case::Model) -> Vec<Entry> {
        let mut t = Vec::new();
        let mut add = |at, kind, record_id, summary| {
            t.push(Entry {
                at,
                kind,
                record_id,
                summary,
            })
        };
        for r in &self.reports {
            add(
                r.occurred_at,
                "report",
                r.id,
                format!(
                    "behaviour reported by {}: {}",
                    r.reporter_role.as_str(),
                    r.behaviours.join(", ")
                ),
            );
        }
        for d in &self.determinations {
            let verdict = if d.unreasonable {
                "unreasonable"
            } else {
                "not unreasonable"
            };
            add(
                d.decided_at,
                "determination",
                d.id,
                format!(
                    "behaviour determined {verdict} by the {}",
                    d.decider_role.as_str()
                ),
            );
        }
        for w in &self.warnings {
            add(
                w.created_at,
                "stage_1_warning",
                w.id,
                format!(
                    "Stage 1 warning dated {}; appeal by {}",
                    w.letter_date, w.appeal_deadline
                ),
            );
        }
        for a in &self.appeals {
            let late = if a.accepted_late {
                " (accepted late)"
            } else {
                ""
            };
            add(
                a.created_at,
                "appeal_logged",
                a.id,
                format!("appeal received {}{late}", a.received_on),
            );
            if let Some(at) = a.decided_at {
                add(
                    at,
                    "appeal_decided",
                    a.id,
                    format!("appeal {}", words(a.outcome.as_str())),
                );
            }
        }
        for d in &self.decisions {
            let how = if d.immediate {
                "immediately, without a warning"
            } else {
                "after a warning"
            };
            add(
                d.created_at,
                "stage_2_decision",
                d.id,
                format!(
                    "Stage 2 restricted contact decided {how}; review by {}",
                    d.review_due_on
                ),
            );
        }
        for r in &self.restrictions {
            add(
                r.created_at,
                "restriction_imposed",
                r.id,
                format!("{} restriction from {}", r.kind.as_str(), r.starts_on),
            );
            if let Some(on) = r.lifted_on {
                add(
                    day_or_created(on, r.created_at),
                    "restriction_lifted",
                    r.id,
                    format!("{} restriction lifted", r.kind.as_str()),
                );
            }
        }
        for b in &self.breaches {
            let flagged = if b.flagged_for_review {
                "; flagged for review"
            } else {
                ""
            };
            add(
                b.occurred_at,
                "breach",
                b.id,
                format!("restriction breached{flagged}"),
            );
        }
        for n in &self.new_issues {
            let remain = if n.restrictions_remain_appropriate {
                "remain"
            } else {
                "no longer"
            };
            add(
                n.created_at,
                "new_issue_considered",
                n.id,
                format!("new issue considered: restrictions {remain} appropriate"),
            );
        }
        for r in &self.reviews {
            if let Some(rec) = r.recommendation {
                add(
                    r.created_at,
                    "review_recommended",
                    r.id,
                    format!("review recommends: {}", words(rec.as_str())),
                );
            }
            if let (Some(endorsed), Some(on)) = (r.endorsed, r.endorsed_on) {
                let word = if endorsed { "endorsed" } else { "not endorsed" };
                add(
                    day_or_created(on, r.created_at),
                    "review_endorsed",
                    r.id,
                    format!("review recommendation {word}"),
                );
            }
        }
        for l in &self.letters {
            add(
                l.issued_at,
                "letter_issued",
                l.id,
                format!(
                    "{} letter issued in {}",
                    words(l.kind.as_str()),
                    l.language.as_str()
                ),
            );
        }
        for i in &self.incidents {
            let risk = if i.imminent_risk {
                "; imminent risk of harm"
            } else {
                ""
            };
            add(
                i.reported_at,
                "threat_reported",
                i.id,
                format!("threat to staff reported in writing{risk}"),
            );
        }
        for e in &self.exclusions {
            let why = if e.health_and_safety {
                " (Health & Safety: no appeal)"
            } else {
                ""
            };
            let until = e
                .ends_on
                .map_or_else(|| "until lifted".to_string(), |d| format!("to {d}"));
            // A temporary exclusion later made long-term was agreed after it was made.
            let made_long_term = e.agreed_at.filter(|at| *at > e.created_at);
            let imposed = if made_long_term.is_some() {
                format!(
                    "temporary exclusion from premises from {}{why}",
                    e.starts_on
                )
            } else {
                format!(
                    "{} exclusion from premises from {} {until}{why}",
                    words(e.kind.as_str()),
                    e.starts_on
                )
            };
            add(e.created_at, "exclusion_imposed", e.id, imposed);
            if let (Some(at), Some(role)) = (made_long_term, e.agreed_by_role) {
                add(
                    at,
                    "exclusion_made_long_term",
                    e.id,
                    format!(
                        "exclusion made long-term {until}, agreed by the {}",
                        words(role.as_str())
                    ),
                );
            }
            if let Some(on) = e.lifted_on {
                add(
                    day_or_created(on, e.created_at),
                    "exclusion_lifted",
                    e.id,
                    format!("exclusion lifted from {on}"),
                );
            }
        }
        for p in &self.police {
            add(
                day_or_created(p.referred_on, p.created_at),
                "police_referral",
                p.id,
                format!("reported to the police on {}", p.referred_on),
            );
        }
        for c in &self.calls {
            add(
                c.terminated_at,
                "call_terminated",
                c.id,
                "call ended after a warning".to_string(),
            );
        }
        for h in &self.harassment {
            add(
                h.referred_at,
                "harassment_referred",
                h.id,
                "abusive calls referred to the Head of Service as harassment".to_string(),
            );
        }
        for r in &self.recordings {
            let answer = if r.agreed { "agreed" } else { "refused" };
            add(
                r.requested_at,
                "recording_request",
                r.id,
                format!("request to record a conversation {answer}"),
            );
        }
        if let Some(at) = case.closed_at {
            add(at, "case_closed", case.id, "case closed".to_string());
        }
        t.sort_by_key(|e| e.at);
        t
    }
}
