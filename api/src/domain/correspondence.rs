//! Correspondence with the customer after a decision: recording that a letter was sent — for
//! an appeal or review outcome, that is when the customer was told (6.2, 7.4) — and the letter
//! templates' versions, which must still say what each letter must say.

use chrono::{DateTime, Utc};
use entities::enums::LetterKind;
use entities::{appeal, letter, letter_template, review};

use super::error::{DomainError, DomainResult};
use super::outcome::{AuditEntry, Outcome, Ref};
use super::roles::{Principal, Role};
use super::values::Text;
use crate::letters::Template;

/// Mark a letter sent (`markLetterSent`).
#[derive(Debug, Clone)]
pub struct MarkLetterSent {
    /// The letter version the caller read.
    pub version: i64,
}

/// What marking a letter sent needs to know.
pub struct LetterFacts {
    /// The letter.
    pub letter: letter::Model,
    /// The code of its case's service.
    pub service_code: String,
    /// The appeal or review it tells the customer about, when it is one.
    pub regarding: Option<Regarding>,
}

/// The decision a letter tells the customer about, when the record keeps when they were told.
pub enum Regarding {
    /// An appeal outcome (6.2).
    Appeal(appeal::Model),
    /// A review outcome (7.4).
    Review(review::Model),
}

/// Legal Services writes every decision to the customer (5.1, 6.2, 7.4); a Head of Service may
/// send their own service's Stage 1 warning letters. Sending an appeal or review outcome
/// records when the customer was told.
pub fn mark_sent(
    cmd: &MarkLetterSent,
    facts: LetterFacts,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    let found = &facts.letter;
    let allowed = actor.has_role(Role::LegalServices)
        || (actor.has_role(Role::HeadOfService)
            && actor.in_service(&facts.service_code)
            && found.kind == LetterKind::Stage1Warning);
    if !allowed {
        return Err(DomainError::Forbidden(
            "Legal Services sends decision letters; a Head of Service may send their service's warning letters".into(),
        ));
    }
    if found.sent_at.is_some() {
        return Err(DomainError::Conflict(format!(
            "letter {} was already marked sent",
            found.id
        )));
    }
    if found.version != cmd.version {
        return Err(DomainError::stale("letter", found.id, cmd.version));
    }
    let mut out = Outcome::new();
    let sent = out.change(
        found.clone(),
        letter::Model {
            sent_at: Some(now),
            sent_by: Some(actor.subject.clone()),
            ..found.clone()
        },
    );
    match facts.regarding {
        Some(Regarding::Appeal(a)) => {
            let told = appeal::Model {
                customer_told_at: Some(now),
                ..a.clone()
            };
            out.change(a, told);
        }
        Some(Regarding::Review(r)) => {
            let told = review::Model {
                customer_told_at: Some(now),
                ..r.clone()
            };
            out.change(r, told);
        }
        None => {}
    }
    Ok(out.audited(
        AuditEntry::new("letter.mark_sent", "letter", sent).on_case(Ref::Stored(found.case_id)),
    ))
}

/// A new version of a letter template (`createLetterTemplate`).
#[derive(Debug, Clone)]
pub struct NewTemplate {
    /// Which letter.
    pub kind: LetterKind,
    /// Its language.
    pub language: entities::enums::Language,
    /// The subject line template.
    pub subject: Text,
    /// The body template.
    pub body: Text,
}

impl NewTemplate {
    /// Refuse a template that does not compile, uses unknown fields, or would leave out what
    /// the letter must say (the reasons, the Ombudsman, and for a warning the appeal deadline
    /// and address).
    pub fn validate(&self) -> DomainResult<()> {
        crate::letters::validate(
            self.kind,
            self.language,
            &Template {
                subject: self.subject.to_string(),
                body: self.body.to_string(),
            },
        )
        .map_err(|e| DomainError::bad_input(e.field, e.message))
    }
}

/// The new version becomes the one new letters use; earlier versions stay on record, inactive.
pub fn create_template(
    cmd: NewTemplate,
    previous: Vec<letter_template::Model>,
    actor: &Principal,
    now: DateTime<Utc>,
) -> Outcome {
    let mut out = Outcome::new();
    let template_version = previous
        .iter()
        .map(|p| p.template_version)
        .max()
        .map_or(1, |v| v + 1);
    for p in previous.into_iter().filter(|p| p.active) {
        let retired = letter_template::Model {
            active: false,
            ..p.clone()
        };
        out.change(p, retired);
    }
    let created = out.create_row(letter_template::Model {
        id: 0,
        kind: cmd.kind,
        language: cmd.language,
        template_version,
        subject: cmd.subject.into_string(),
        body: cmd.body.into_string(),
        created_by: actor.subject.clone(),
        active: true,
        version: 1,
        created_at: now,
    });
    out.audited(AuditEntry::new(
        "letter_template.create",
        "letter_template",
        created,
    ))
}
