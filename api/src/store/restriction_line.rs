//! A restriction as the case list shows it: its own row, without its details.

use chrono::NaiveDate;
use entities::restriction;

/// A restriction as a planned case list shows it, without its details: the JSON column is the
/// costly one to read, so it is read only when a plan selects it.
#[derive(Debug, Clone, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct RestrictionLine {
    /// Row id.
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// Which of the seven kinds.
    pub kind: entities::enums::RestrictionKind,
    /// First day in force.
    pub starts_on: NaiveDate,
    /// Last day in force.
    pub ends_on: Option<NaiveDate>,
    /// Review due by.
    pub review_due_on: NaiveDate,
    /// In force, lifted or expired.
    pub status: entities::enums::RestrictionStatus,
    /// Made permanent.
    pub permanent: bool,
    /// Date lifted.
    pub lifted_on: Option<NaiveDate>,
    /// Why it was lifted.
    pub lifted_reason: Option<String>,
    /// Row version.
    pub version: i64,
}

impl From<&restriction::Model> for RestrictionLine {
    fn from(m: &restriction::Model) -> Self {
        RestrictionLine {
            id: m.id,
            case_id: m.case_id,
            kind: m.kind,
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            review_due_on: m.review_due_on,
            status: m.status,
            permanent: m.permanent,
            lifted_on: m.lifted_on,
            lifted_reason: m.lifted_reason.clone(),
            version: m.version,
        }
    }
}
