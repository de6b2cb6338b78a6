//! Subject access requests (UK GDPR article 15, issue 7): Legal Services exports everything held
//! about one customer as one bundle — JSON for machines and a readable, printable HTML document.
//!
//! The bundle holds the customer record (with the people making up the customer, their
//! representatives and reasonable adjustments), their cases and every record filed on them
//! (reports, determinations, warnings, appeals, Stage 2 decisions, restrictions, breaches, new
//! issues, reviews, letters, Health & Safety records), their contacts and requests to record,
//! notices to service teams about their cases, who read their records (access records) and the
//! audit events about them. Nothing of another customer is included ([`collect`] selects by
//! customer, never by "on the same case").
//!
//! Council staff and elected Members appear in the record as third parties (who reported,
//! decided, wrote, read). The setting `subject_access_staff_names` decides whether their names
//! and sign-in ids are shown or replaced by `[redacted]` ([`StaffNames`]); their roles are always
//! shown. Free text is reproduced as recorded: a name written inside a description is not found
//! and must be reviewed by Legal Services before release.

pub mod about;
mod collect;
mod html;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde_json::{Map, Value, json};

pub use collect::KINDS;

use crate::error::{ApiError, ApiResult};

/// What a subject access bundle shows of council staff and elected Members who appear in the
/// record (setting `subject_access_staff_names`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StaffNames {
    /// Their names and sign-in ids are replaced by `[redacted]` (the default).
    #[default]
    Redacted,
    /// Shown as recorded.
    Shown,
}

impl StaffNames {
    /// The setting's value: `redacted` or `shown`.
    pub const fn as_str(self) -> &'static str {
        match self {
            StaffNames::Redacted => "redacted",
            StaffNames::Shown => "shown",
        }
    }
}

/// What replaces a redacted staff name or sign-in id.
pub const REDACTED: &str = "[redacted]";

/// Columns (and audit before/after keys) that hold the name or sign-in id of a member of staff or
/// an elected Member, compared without underscores and case so `reportedBy` matches too.
const STAFF_KEYS: &[&str] = &[
    "actor_sub",
    "actor_name",
    "reported_by",
    "reporter_name",
    "decided_by",
    "issued_by",
    "service_director_consulted",
    "consulted_name",
    "logged_by",
    "recorded_by",
    "filed_reviewed_by",
    "conducted_by",
    "endorsed_by",
    "considered_by",
    "sent_by",
    "authorised_by",
    "agreed_by",
    "referred_by",
    "referred_to",
    "terminated_by",
    "staff_member",
    "created_by",
    "officer_name",
    "requested_by",
];

fn normalised(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_staff_key(key: &str) -> bool {
    let key = normalised(key);
    STAFF_KEYS.iter().any(|k| normalised(k) == key)
}

/// Replace every staff name and sign-in id in `value`, at any depth (audit events' before and
/// after, a restriction's named officer).
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if is_staff_key(key) {
                    if !v.is_null() {
                        *v = Value::String(REDACTED.into());
                    }
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// How many records of one kind a bundle holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    /// The kind: a key of the JSON bundle, e.g. `letters`.
    pub kind: &'static str,
    /// How many.
    pub count: usize,
}

/// One subject access bundle.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The customer.
    pub customer_id: i64,
    /// When it was made.
    pub generated_at: DateTime<Utc>,
    /// Whether staff names are shown.
    pub staff_names: StaffNames,
    /// Everything, for machines.
    pub json: Value,
    /// Everything, for people: a complete printable HTML document.
    pub html: String,
    /// Records per kind, in the order of [`KINDS`].
    pub counts: Vec<Count>,
}

/// The bundle for customer `customer_id`, read on `db` (a transaction, for one consistent
/// picture). `NOT_FOUND` when there is no such customer.
pub async fn export<C: ConnectionTrait>(
    db: &C,
    customer_id: i64,
    staff_names: StaffNames,
    generated_at: DateTime<Utc>,
) -> ApiResult<Bundle> {
    let Some(mut held) = collect::held(db, customer_id).await? else {
        return Err(ApiError::NotFound(format!("no customer {customer_id}")));
    };
    if staff_names == StaffNames::Redacted {
        for value in held.values_mut() {
            redact(value);
        }
    }
    let counts: Vec<Count> = KINDS
        .iter()
        .map(|(kind, _)| Count {
            kind,
            count: match held.get(*kind) {
                Some(Value::Array(items)) => items.len(),
                Some(Value::Object(_)) => 1,
                _ => 0,
            },
        })
        .collect();
    let mut json = Map::new();
    json.insert("format".into(), json!("upc-subject-access/1"));
    json.insert("customer_id".into(), json!(customer_id));
    json.insert("generated_at".into(), json!(generated_at));
    json.insert("staff_names".into(), json!(staff_names.as_str()));
    json.insert(
        "counts".into(),
        Value::Object(
            counts
                .iter()
                .map(|c| (c.kind.to_string(), json!(c.count)))
                .collect(),
        ),
    );
    json.extend(held);
    let json = Value::Object(json);
    let html = html::render(&json, &counts, staff_names, generated_at)
        .map_err(|e| ApiError::internal(format!("rendering a subject access bundle: {e}")))?;
    Ok(Bundle {
        customer_id,
        generated_at,
        staff_names,
        json,
        html,
        counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_names_are_redacted_at_any_depth() {
        let mut v = json!({
            "id": 1,
            "reporter_name": "Alice Officer",
            "reported_by": "sub-1",
            "description": "Shouted",
            "sent_by": null,
            "parameters": {"named_contact": {"officer_name": "Bob", "staff_member_id": 4}},
            "after": [{"decidedBy": "sub-2", "reasons": "r"}],
        });
        redact(&mut v);
        assert_eq!(v["reporter_name"], REDACTED);
        assert_eq!(v["reported_by"], REDACTED);
        assert_eq!(v["description"], "Shouted");
        assert_eq!(v["sent_by"], Value::Null);
        assert_eq!(v["parameters"]["named_contact"]["officer_name"], REDACTED);
        assert_eq!(v["parameters"]["named_contact"]["staff_member_id"], 4);
        assert_eq!(v["after"][0]["decidedBy"], REDACTED);
        assert_eq!(v["after"][0]["reasons"], "r");
    }

    #[test]
    fn every_kind_has_a_heading_once() {
        let mut keys: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), n);
        for kind in collect::CASE_KINDS {
            assert!(KINDS.iter().any(|(k, _)| k == kind), "{kind}");
        }
    }
}
