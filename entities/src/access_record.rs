//! The `access_record` table: see [`Model`].

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

/// One sensitive read: who was shown which kind of sensitive information about which case or
/// customer, when, in which request. Written once per request for everything it read, never
/// updated. `case_id` and `customer_id` are deliberately not foreign keys, so the record of who
/// looked outlives anything it points at.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "access_record")]
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
    /// The case read, if the information belongs to one.
    pub case_id: Option<i64>,
    /// The customer read about, if known.
    pub customer_id: Option<i64>,
    /// What was read.
    pub category: AccessCategory,
}

/// The records this one refers to by foreign key (none, on purpose).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
