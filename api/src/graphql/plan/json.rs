//! Writing a planned answer: straight to JSON bytes, in the selection's order, byte for byte
//! what the schema would have written (text escaped as `serde_json` escapes it, dates and times
//! formatted as the schema's scalars format them).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entities::{customer, service, upc_case};

use super::select::{CaseField, CustomerField, Item, Leaf, RestrictionField};
use crate::domain::timeline::{CaseRecords, Entry};
use crate::store::reads::RestrictionLine;

/// A JSON writer: text is escaped as `serde_json` escapes it, so the bytes are the schema's.
pub(super) struct Json(pub(super) Vec<u8>);

impl Json {
    pub(super) fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    pub(super) fn key(&mut self, index: usize, key: &str) {
        if index > 0 {
            self.0.push(b',');
        }
        self.str(key);
        self.0.push(b':');
    }

    pub(super) fn str(&mut self, s: &str) {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.0, s);
    }

    pub(super) fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.raw("null"),
        }
    }

    pub(super) fn int(&mut self, n: i64) {
        use std::io::Write;
        let _ = write!(self.0, "{n}");
    }

    pub(super) fn id(&mut self, n: i64) {
        self.0.push(b'"');
        self.int(n);
        self.0.push(b'"');
    }

    pub(super) fn opt_id(&mut self, n: Option<i64>) {
        match n {
            Some(n) => self.id(n),
            None => self.raw("null"),
        }
    }

    pub(super) fn bool(&mut self, b: bool) {
        self.raw(if b { "true" } else { "false" });
    }

    /// `"YYYY-MM-DD"`, as the schema's `NaiveDate` (`%Y-%m-%d`) writes it.
    pub(super) fn date(&mut self, d: NaiveDate) {
        use chrono::Datelike;
        use std::io::Write;
        let year = d.year();
        if (0..=9999).contains(&year) {
            let digits = |n: u32, width: usize, out: &mut Vec<u8>| {
                for i in (0..width).rev() {
                    out.push(b'0' + ((n / 10u32.pow(i as u32)) % 10) as u8);
                }
            };
            self.0.push(b'"');
            digits(year as u32, 4, &mut self.0);
            self.0.push(b'-');
            digits(d.month(), 2, &mut self.0);
            self.0.push(b'-');
            digits(d.day(), 2, &mut self.0);
            self.0.push(b'"');
        } else {
            let _ = write!(self.0, "\"{}\"", d.format("%Y-%m-%d"));
        }
    }

    pub(super) fn opt_date(&mut self, d: Option<NaiveDate>) {
        match d {
            Some(d) => self.date(d),
            None => self.raw("null"),
        }
    }

    pub(super) fn datetime(&mut self, t: DateTime<Utc>) {
        self.str(&t.to_rfc3339());
    }

    pub(super) fn opt_datetime(&mut self, t: Option<DateTime<Utc>>) {
        match t {
            Some(t) => self.datetime(t),
            None => self.raw("null"),
        }
    }

    /// A list of strings.
    pub(super) fn strs(&mut self, items: &[String]) {
        self.0.push(b'[');
        for (i, s) in items.iter().enumerate() {
            if i > 0 {
                self.0.push(b',');
            }
            self.str(s);
        }
        self.0.push(b']');
    }

    /// Any value, as `serde_json` writes it.
    pub(super) fn value(&mut self, value: &serde_json::Value) {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.0, value);
    }
}

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
fn write_list<M>(out: &mut Json, leaves: &[Item<Leaf<M>>], rows: &[M]) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_the_schema_writes_them() {
        for (y, m, d) in [
            (2026, 1, 5),
            (999, 12, 31),
            (10000, 2, 29),
            (-44, 3, 15),
            (0, 1, 1),
        ] {
            let Some(date) = NaiveDate::from_ymd_opt(y, m, d) else {
                continue;
            };
            let mut out = Json(Vec::new());
            out.date(date);
            let schema = serde_json::to_vec(&date.format("%Y-%m-%d").to_string()).expect("json");
            assert_eq!(
                String::from_utf8_lossy(&out.0),
                String::from_utf8_lossy(&schema)
            );
        }
    }
}
