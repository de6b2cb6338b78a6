//! What a command decides must change, as plain data: the rows to create, the rows to change
//! (as they were read and as they must become), the letters to write, the service teams to
//! tell, and the audit entry. The store applies an outcome in one transaction, or none of it.
//!
//! Rows are the record's own types (`entities`); a row this outcome creates has no id yet, so
//! later parts of the same outcome point at it with [`Ref::Created`].

use chrono::NaiveDate;
use entities::enums::{Behaviour, LetterKind};
use entities::notification::AlertEvent;
use entities::{
    appeal, behaviour_report, breach, call_termination, closure_day, contact, customer,
    customer_member, determination, establishment, exclusion, harassment_referral, hs_incident,
    letter, letter_template, new_issue_consideration, police_referral, reasonable_adjustment,
    recording_request, representative, restriction, review, service, staff_member, staff_role,
    staff_team, stage_1_warning, stage_2_decision, upc_case,
};

use super::letters::LetterContent;

/// A row an outcome points at: one already stored, or one this outcome creates (its place in
/// [`Outcome::created`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ref {
    /// A stored row, by id.
    Stored(i64),
    /// The n-th row this outcome creates.
    Created(usize),
}

macro_rules! rows {
    ($($(#[$meta:meta])* $variant:ident => $module:ident),* $(,)?) => {
        /// A row of the case record, as read or as it must be written.
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        #[serde(untagged)]
        pub enum Row {
            $($(#[$meta])* $variant($module::Model),)*
        }

        impl Row {
            /// The table the row belongs to.
            pub fn table(&self) -> &'static str {
                match self {
                    $(Row::$variant(_) => stringify!($module),)*
                }
            }

            /// The row's id (0 for a row not yet created).
            pub fn id(&self) -> i64 {
                match self {
                    $(Row::$variant(m) => m.id,)*
                }
            }
        }

        $(
            impl From<$module::Model> for Row {
                fn from(m: $module::Model) -> Self {
                    Row::$variant(m)
                }
            }

            impl TryFrom<Row> for $module::Model {
                type Error = Row;

                fn try_from(row: Row) -> Result<Self, Row> {
                    match row {
                        Row::$variant(m) => Ok(m),
                        other => Err(other),
                    }
                }
            }
        )*
    };
}

rows!(
    /// A customer (2.3).
    Customer => customer,
    /// One of the people making up a customer that is several people or a group (2.3).
    CustomerMember => customer_member,
    /// Someone acting for a customer.
    Representative => representative,
    /// A case (5.4).
    Case => upc_case,
    /// A report of behaviour (2.3).
    Report => behaviour_report,
    /// A determination (5.1).
    Determination => determination,
    /// A Stage 1 warning (5.1).
    Warning => stage_1_warning,
    /// An appeal (6).
    Appeal => appeal,
    /// A Stage 2 decision (5.1, 5.3).
    Decision => stage_2_decision,
    /// A restriction (5.3).
    Restriction => restriction,
    /// A breach (5.6).
    Breach => breach,
    /// A new issue considered (9.1).
    NewIssue => new_issue_consideration,
    /// A review (7).
    Review => review,
    /// A threat reported (3.1).
    Incident => hs_incident,
    /// An exclusion from premises (3.2).
    Exclusion => exclusion,
    /// A report to the police (3.3, 3.5).
    PoliceReferral => police_referral,
    /// A call ended (3.4).
    CallTermination => call_termination,
    /// Calls referred as harassment (3.5).
    HarassmentReferral => harassment_referral,
    /// A request to record (4).
    RecordingRequest => recording_request,
    /// A contact (5.2).
    Contact => contact,
    /// A letter.
    Letter => letter,
    /// A letter template.
    LetterTemplate => letter_template,
    /// A council closure day.
    ClosureDay => closure_day,
    /// A council service.
    Service => service,
    /// A council establishment.
    Establishment => establishment,
    /// A customer's reasonable adjustment (Equality Act 2010).
    Adjustment => reasonable_adjustment,
    /// A member of staff in the directory.
    StaffMember => staff_member,
    /// A team of staff.
    StaffTeam => staff_team,
    /// A role a member of staff holds in a service.
    StaffRole => staff_role,
);

/// A row to create. Its `id` is given by the database; every other column is written as given.
/// Variants with links name the rows of this outcome they belong to.
#[derive(Debug, Clone, PartialEq)]
pub enum New {
    /// A row that refers only to rows already stored.
    Row(Row),
    /// A customer; the store gives the next customer reference.
    Customer(customer::Model),
    /// A case of `customer`; the store gives the next case reference.
    Case {
        /// The case.
        case: upc_case::Model,
        /// Its customer.
        customer: Ref,
    },
    /// A report of behaviour on `case`, naming `behaviours` (2.3, 4.4).
    Report {
        /// The report.
        report: behaviour_report::Model,
        /// Its case.
        case: Ref,
        /// The behaviour types, in the order given.
        behaviours: Vec<Behaviour>,
    },
    /// A threat reported on `case` (3.1).
    Incident {
        /// The incident.
        incident: hs_incident::Model,
        /// Its case.
        case: Ref,
    },
    /// A call ended on `case` (3.4).
    CallTermination {
        /// The note.
        call: call_termination::Model,
        /// Its case.
        case: Ref,
    },
    /// A restriction imposed by `decision` (5.3).
    Restriction {
        /// The restriction.
        restriction: restriction::Model,
        /// The Stage 2 decision that imposed it.
        decision: Option<Ref>,
    },
    /// A breach, found by `contact` when it was (5.6).
    Breach {
        /// The breach.
        breach: breach::Model,
        /// The contact that breached.
        contact: Option<Ref>,
    },
    /// An exclusion from `establishments` (3.2).
    Exclusion {
        /// The exclusion.
        exclusion: exclusion::Model,
        /// The premises, in id order.
        establishments: Vec<i64>,
    },
    /// A harassment referral resting on terminated `calls` (3.5).
    HarassmentReferral {
        /// The referral.
        referral: harassment_referral::Model,
        /// The terminated calls, in id order.
        calls: Vec<i64>,
    },
    /// A decision (a Stage 1 warning, a Stage 2 decision or a review) with the stored
    /// reasonable adjustments it considered, in id order.
    Considered {
        /// The decision.
        decision: Row,
        /// The adjustments it considered.
        adjustments: Vec<i64>,
    },
    /// A report to the police; when it `answers` a harassment referral (as read), that
    /// referral is linked to it (3.5).
    PoliceReferral {
        /// The report.
        referral: police_referral::Model,
        /// The harassment referral it reports.
        answers: Option<harassment_referral::Model>,
    },
}

/// A stored row, as read and as it must become. The store writes the columns that differ and
/// raises the version by one, refusing with `CONFLICT` when the stored version is no longer
/// the one read.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// As read.
    pub before: Row,
    /// As it must become.
    pub after: Row,
}

/// A letter to the customer of `case`, in their preferred language (Welsh Language Standards).
#[derive(Debug, Clone, PartialEq)]
pub struct LetterOrder {
    /// The case.
    pub case_id: i64,
    /// Which letter.
    pub kind: LetterKind,
    /// The record it tells the customer about: its table and row.
    pub regarding: (&'static str, Ref),
    /// The letter's date.
    pub letter_date: NaiveDate,
    /// What the letter says about the decision.
    pub content: LetterContent,
}

/// Tell the service team of a restriction's case about it (5.5), as it stands after the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertOrder {
    /// What happened.
    pub event: AlertEvent,
    /// The restriction.
    pub restriction: Ref,
}

/// The audit entry every command writes, in the same transaction as its change.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// What was done, e.g. `case.decide_stage_2`.
    pub action: &'static str,
    /// The record it is about: its table and row.
    pub entity: (&'static str, Ref),
    /// The case it belongs to, if any.
    pub case: Option<Ref>,
    /// The reason given, if any.
    pub reason: Option<String>,
    /// Anything else worth keeping beside the rows written (e.g. whether a contact was allowed).
    pub note: Option<serde_json::Value>,
}

impl AuditEntry {
    /// An entry for `action` about `entity` (`table`, row).
    pub fn new(action: &'static str, table: &'static str, entity: Ref) -> Self {
        AuditEntry {
            action,
            entity: (table, entity),
            case: None,
            reason: None,
            note: None,
        }
    }

    /// On `case`.
    pub fn on_case(mut self, case: Ref) -> Self {
        self.case = Some(case);
        self
    }

    /// With the reason given.
    pub fn because(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// With the reason given, if one was.
    pub fn because_maybe(mut self, reason: Option<String>) -> Self {
        self.reason = reason;
        self
    }

    /// Noting the reasonable adjustments a decision considered (by id), when it named any.
    pub fn considering(self, adjustments: &[i64]) -> Self {
        if adjustments.is_empty() {
            self
        } else {
            self.noting(serde_json::json!({ "adjustments_considered": adjustments }))
        }
    }

    /// With a note kept beside the rows.
    pub fn noting(mut self, note: serde_json::Value) -> Self {
        self.note = Some(note);
        self
    }
}

/// Everything a command decided, in the order the store applies it: created rows, changed
/// rows, deleted rows, letters, alerts, then the audit entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    /// Rows to create; [`Ref::Created`] counts from 0 here.
    pub created: Vec<New>,
    /// Stored rows to change.
    pub changed: Vec<Change>,
    /// Stored rows to delete.
    pub deleted: Vec<Row>,
    /// Letters to the customer.
    pub letters: Vec<LetterOrder>,
    /// Service teams to tell (5.5).
    pub alerts: Vec<AlertOrder>,
    /// The audit entry (every outcome has one).
    pub audit: Option<AuditEntry>,
}

impl Outcome {
    /// Nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Create `row`, returning how later parts point at it.
    pub fn create(&mut self, row: New) -> Ref {
        self.created.push(row);
        Ref::Created(self.created.len() - 1)
    }

    /// Create a row that refers only to stored rows.
    pub fn create_row(&mut self, row: impl Into<Row>) -> Ref {
        self.create(New::Row(row.into()))
    }

    /// Change a stored row from `before` to `after`.
    pub fn change<M: Into<Row>>(&mut self, before: M, after: M) -> Ref {
        let before = before.into();
        let id = before.id();
        self.changed.push(Change {
            before,
            after: after.into(),
        });
        Ref::Stored(id)
    }

    /// Delete a stored row.
    pub fn delete(&mut self, row: impl Into<Row>) -> Ref {
        let row = row.into();
        let id = row.id();
        self.deleted.push(row);
        Ref::Stored(id)
    }

    /// Write a letter to the customer.
    pub fn letter(&mut self, order: LetterOrder) {
        self.letters.push(order);
    }

    /// Tell the service team about a restriction (5.5).
    pub fn alert(&mut self, event: AlertEvent, restriction: Ref) {
        self.alerts.push(AlertOrder { event, restriction });
    }

    /// Record the audit entry, finishing the outcome.
    pub fn audited(mut self, entry: AuditEntry) -> Self {
        self.audit = Some(entry);
        self
    }

    /// The row changed with id `id` in `table`, as it must become.
    pub fn changed_row(&self, table: &str, id: i64) -> Option<&Row> {
        self.changed
            .iter()
            .rev()
            .find(|c| c.after.table() == table && c.after.id() == id)
            .map(|c| &c.after)
    }
}
