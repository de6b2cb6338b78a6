//! Writing a planned answer: straight to JSON bytes, in the selection's order, byte for byte
//! what the schema would have written.

use std::collections::HashMap;

use entities::{customer, service, upc_case};

use super::json::Json;
use super::select::{CaseField, CustomerField, Item, Leaf, RestrictionField};
use crate::domain::timeline::{CaseRecords, Entry};
use crate::store::reads::RestrictionLine;

/// What one case's fields are written from: the row, and what was read beside it.
pub(super) struct CaseView<'a> {
    /// The case.
    pub case: &'a upc_case::Model,
    /// Its service, when read.
    pub service: Option<&'a service::Model>,
    /// Its customer, when read.
    pub customer: Option<&'a customer::Model>,
    /// Its restrictions, oldest first.
    pub restrictions: &'a [RestrictionLine],
    /// The restrictions' details by restriction id, when selected.
    pub parameters: &'a HashMap<i64, serde_json::Value>,
    /// One case's page (`case(id)`): its records, timeline and legal steps.
    pub page: Option<&'a PageView<'a>>,
}

/// What a case page shows beside the case's own columns.
pub(super) struct PageView<'a> {
    /// The case's records the caller may see.
    pub records: &'a CaseRecords,
    /// The timeline, when selected.
    pub timeline: &'a [Entry],
    /// The steps legal now, named as their mutations, when selected.
    pub allowed_steps: &'a [String],
}

pub(super) fn write_case(out: &mut Json, fields: &[Item<CaseField>], view: &CaseView<'_>) {
    let case = view.case;
    out.raw("{");
    for (i, item) in fields.iter().enumerate() {
        out.key(i, &item.key);
        match &item.field {
            CaseField::Typename => out.str("Case"),
            CaseField::Id => out.id(case.id),
            CaseField::Reference => out.str(&case.reference),
            CaseField::ServiceCode => out.str(view.service.map_or("", |s| &s.code)),
            CaseField::ServiceName => out.str(view.service.map_or("", |s| &s.name)),
            CaseField::Stage => out.str(case.stage.as_str()),
            CaseField::Status => out.str(case.status.as_str()),
            CaseField::OpenedAt => out.datetime(case.opened_at),
            CaseField::ClosedAt => out.opt_datetime(case.closed_at),
            CaseField::ClosureReason => out.opt_str(case.closure_reason.as_deref()),
            CaseField::AppealDeadline => out.opt_date(case.appeal_deadline),
            CaseField::ReviewDueOn => out.opt_date(case.review_due_on),
            CaseField::FlaggedForReview => out.bool(case.flagged_for_review),
            CaseField::FlagReason => out.opt_str(case.flag_reason.as_deref()),
            CaseField::Version => out.int(case.version),
            CaseField::Customer(customer_fields) => match view.customer {
                Some(customer) => write_customer(out, customer_fields, customer),
                None => out.raw("null"),
            },
            CaseField::Restrictions(restriction_fields) => {
                out.raw("[");
                for (n, r) in view.restrictions.iter().enumerate() {
                    if n > 0 {
                        out.raw(",");
                    }
                    write_restriction(out, restriction_fields, r, view.parameters);
                }
                out.raw("]");
            }
            // The page's own fields: a plan has them only when it reads a page.
            CaseField::AllowedSteps => out.strs(view.page.map_or(&[], |p| p.allowed_steps)),
            CaseField::Timeline(leaves) => {
                write_list(out, leaves, view.page.map_or(&[], |p| p.timeline))
            }
            CaseField::Determinations(leaves) => write_list(
                out,
                leaves,
                view.page.map_or(&[], |p| &p.records.determinations),
            ),
            CaseField::Stage1Warnings(leaves) => {
                write_list(out, leaves, view.page.map_or(&[], |p| &p.records.warnings))
            }
            CaseField::Appeals(leaves) => {
                write_list(out, leaves, view.page.map_or(&[], |p| &p.records.appeals))
            }
            CaseField::Stage2Decisions(leaves) => {
                write_list(out, leaves, view.page.map_or(&[], |p| &p.records.decisions))
            }
            CaseField::Reviews(leaves) => {
                write_list(out, leaves, view.page.map_or(&[], |p| &p.records.reviews))
            }
            CaseField::Letters(leaves) => {
                write_list(out, leaves, view.page.map_or(&[], |p| &p.records.letters))
            }
        }
    }
    out.raw("}");
}

/// A list of records, each an object of `leaves`.
pub(super) fn write_list<M>(out: &mut Json, leaves: &[Item<Leaf<M>>], rows: &[M]) {
    out.raw("[");
    for (n, row) in rows.iter().enumerate() {
        if n > 0 {
            out.raw(",");
        }
        out.raw("{");
        for (i, item) in leaves.iter().enumerate() {
            out.key(i, &item.key);
            match &item.field {
                Leaf::Typename(name) => out.str(name),
                Leaf::Value(write) => write(out, row),
            }
        }
        out.raw("}");
    }
    out.raw("]");
}

pub(super) fn write_customer(out: &mut Json, fields: &[Item<CustomerField>], c: &customer::Model) {
    out.raw("{");
    for (i, item) in fields.iter().enumerate() {
        out.key(i, &item.key);
        match item.field {
            CustomerField::Typename => out.str("Customer"),
            CustomerField::Id => out.id(c.id),
            CustomerField::Reference => out.str(&c.reference),
            CustomerField::Kind => out.str(c.kind.as_str()),
            CustomerField::PreferredLanguage => out.str(c.preferred_language.as_str()),
            CustomerField::DisplayName => out.str(&c.display_name),
            CustomerField::Address => out.opt_str(c.address.as_deref()),
            CustomerField::Email => out.opt_str(c.email.as_deref()),
            CustomerField::Phone => out.opt_str(c.phone.as_deref()),
            CustomerField::Version => out.int(c.version),
            CustomerField::MergedIntoId => out.opt_id(c.merged_into_id),
            CustomerField::MergedAt => out.opt_datetime(c.merged_at),
        }
    }
    out.raw("}");
}

pub(super) fn write_restriction(
    out: &mut Json,
    fields: &[Item<RestrictionField>],
    r: &RestrictionLine,
    parameters: &HashMap<i64, serde_json::Value>,
) {
    out.raw("{");
    for (i, item) in fields.iter().enumerate() {
        out.key(i, &item.key);
        match item.field {
            RestrictionField::Typename => out.str("Restriction"),
            RestrictionField::Id => out.id(r.id),
            RestrictionField::Kind => out.str(r.kind.as_str()),
            RestrictionField::StartsOn => out.date(r.starts_on),
            RestrictionField::EndsOn => out.opt_date(r.ends_on),
            RestrictionField::ReviewDueOn => out.date(r.review_due_on),
            RestrictionField::Status => out.str(r.status.as_str()),
            RestrictionField::Permanent => out.bool(r.permanent),
            RestrictionField::LiftedOn => out.opt_date(r.lifted_on),
            RestrictionField::Version => out.int(r.version),
            RestrictionField::Parameters => match parameters.get(&r.id) {
                Some(value) => out.value(value),
                None => out.raw("null"),
            },
            RestrictionField::LiftedReason => out.opt_str(r.lifted_reason.as_deref()),
        }
    }
    out.raw("}");
}
