//! The `access_read` table: see [`Model`]; and [`Record`], one access record as the API and a
//! subject access bundle show it.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What kind of sensitive information was read.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum AccessCategory {
    /// The customer's name.
    #[sea_orm(string_value = "customer_identity")]
    CustomerIdentity,
    /// The customer's postal address, email or telephone number.
    #[sea_orm(string_value = "contact_details")]
    ContactDetails,
    /// What the customer is reported to have done: behaviour reports, breaches of restrictions.
    #[sea_orm(string_value = "behaviour_description")]
    BehaviourDescription,
    /// Health & Safety records: threats to staff, exclusions, terminated calls, harassment,
    /// requests to record (sections 3 and 4).
    #[sea_orm(string_value = "incident_description")]
    IncidentDescription,
    /// A police reference, or the notes on a referral to the police (3.3, 3.5).
    #[sea_orm(string_value = "police_reference")]
    PoliceReference,
    /// A letter to the customer.
    #[sea_orm(string_value = "letter")]
    Letter,
    /// What the customer said or wrote: contact summaries, new issues raised (5.2, 9.1).
    #[sea_orm(string_value = "correspondence")]
    Correspondence,
    /// The before and after of audit events about the customer's records.
    #[sea_orm(string_value = "audit_trail")]
    AuditTrail,
    /// Everything held about the customer, exported for a subject access request.
    #[sea_orm(string_value = "subject_access_export")]
    SubjectAccessExport,
}

impl AccessCategory {
    /// Every value, in declaration order.
    pub const ALL: &'static [Self] = &[
        Self::CustomerIdentity,
        Self::ContactDetails,
        Self::BehaviourDescription,
        Self::IncidentDescription,
        Self::PoliceReference,
        Self::Letter,
        Self::Correspondence,
        Self::AuditTrail,
        Self::SubjectAccessExport,
    ];

    /// The value as stored and as the API gives it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CustomerIdentity => "customer_identity",
            Self::ContactDetails => "contact_details",
            Self::BehaviourDescription => "behaviour_description",
            Self::IncidentDescription => "incident_description",
            Self::PoliceReference => "police_reference",
            Self::Letter => "letter",
            Self::Correspondence => "correspondence",
            Self::AuditTrail => "audit_trail",
            Self::SubjectAccessExport => "subject_access_export",
        }
    }
}

impl std::str::FromStr for AccessCategory {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not an access category"))
    }
}

/// Most access records one row holds: a request that read more of one kind of information in
/// one operation takes several rows. Also the factor in a record's id (see [`Record::id`]).
pub const RECORDS_PER_ROW: usize = 4096;

/// The ids of the cases, or of the customers, an access row names: `case_ids[i]` and
/// `customer_ids[i]` are one access record. `None` where the record has no case (or customer).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct Ids(pub Vec<Option<i64>>);

/// Who looked: one request's reads of one kind of sensitive information in one operation — who
/// was shown it, when, in which request and operation, and about which cases and customers (one
/// access record per pair, see [`Model::records`]). Written once when the request is answered,
/// never updated. The ids are deliberately not foreign keys, so the record of who looked outlives
/// anything it points at.
///
/// One row per request and kind rather than per case keeps the write to one row (and one entry
/// in each index) for a page of fifty cases; PostgreSQL finds the rows naming a case or customer
/// by GIN indexes on `case_ids` and `customer_ids`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "access_read")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When the request that read it was answered.
    pub occurred_at: DateTimeUtc,
    /// Identity-provider subject of the reader.
    pub actor_sub: String,
    /// Reader's name at the time.
    pub actor_name: Option<String>,
    /// Reader's roles at the time, comma separated.
    #[sea_orm(column_type = "Text")]
    pub actor_roles: String,
    /// Correlation id of the request (also in the logs and audit events).
    pub request_id: String,
    /// The client's address (behind a trusted reverse proxy, the one it forwarded). Null for
    /// records written before issue 20.
    pub client_address: Option<String>,
    /// The GraphQL operation, `type:name` (or `type:rootField+rootField`).
    pub operation: String,
    /// What was read.
    pub category: AccessCategory,
    /// The case of each record, if the information belongs to one.
    #[sea_orm(column_type = "JsonBinary")]
    pub case_ids: Ids,
    /// The customer of each record, if known (as long as `case_ids`).
    #[sea_orm(column_type = "JsonBinary")]
    pub customer_ids: Ids,
}

/// The records this one refers to by foreign key (none, on purpose).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// One access record: who was shown which kind of sensitive information about which case or
/// customer, when, in which request. Serialized with the same keys the per-record table had, so
/// subject access bundles keep their shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// `row id × RECORDS_PER_ROW + position in the row`: unique, and in the order written.
    pub id: i64,
    /// When the request that read it was answered.
    pub occurred_at: DateTimeUtc,
    /// Identity-provider subject of the reader.
    pub actor_sub: String,
    /// Reader's name at the time.
    pub actor_name: Option<String>,
    /// Reader's roles at the time, comma separated.
    pub actor_roles: String,
    /// Correlation id of the request.
    pub request_id: String,
    /// The client's address.
    pub client_address: Option<String>,
    /// The operation, `type:name`.
    pub operation: String,
    /// The case read, if the information belongs to one.
    pub case_id: Option<i64>,
    /// The customer read about, if known.
    pub customer_id: Option<i64>,
    /// What was read.
    pub category: AccessCategory,
}

impl Record {
    /// The id of the row holding the record with id `id`.
    pub const fn row_of(id: i64) -> i64 {
        id.div_euclid(RECORDS_PER_ROW as i64)
    }
}

impl Model {
    /// The row's access records, in order. A row whose id lists are of different lengths (never
    /// written so) yields as many as the longer, with `None` for the missing ids.
    pub fn records(&self) -> impl Iterator<Item = Record> + '_ {
        let n = self.case_ids.0.len().max(self.customer_ids.0.len());
        (0..n).map(move |i| Record {
            id: self.id * RECORDS_PER_ROW as i64 + i as i64,
            occurred_at: self.occurred_at,
            actor_sub: self.actor_sub.clone(),
            actor_name: self.actor_name.clone(),
            actor_roles: self.actor_roles.clone(),
            request_id: self.request_id.clone(),
            client_address: self.client_address.clone(),
            operation: self.operation.clone(),
            case_id: self.case_ids.0.get(i).copied().flatten(),
            customer_id: self.customer_ids.0.get(i).copied().flatten(),
            category: self.category,
        })
    }
}
