//! The `contact` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{ContactChannel, ContactDirection, ContactOutcome};

/// A contact between the customer and the council (5.2: read for new issues and safeguarding concerns even when placed on file).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "contact")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The customer.
    pub customer_id: i64,
    /// The service contacted.
    pub service_id: i64,
    /// The case it belongs to, if any.
    pub case_id: Option<i64>,
    /// How the contact happened.
    pub channel: ContactChannel,
    /// Inbound or outbound.
    pub direction: ContactDirection,
    /// When it happened.
    pub occurred_at: DateTimeUtc,
    /// The officer who dealt with it.
    pub officer_staff_id: Option<i64>,
    /// Where it happened, for in-person contact.
    pub establishment_id: Option<i64>,
    /// Identity-provider subject of who recorded it.
    pub recorded_by: String,
    /// What was said or asked.
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    /// What happened to it.
    pub outcome: ContactOutcome,
    /// Whether it raises a new issue (5.2, 9.1); unknown until read.
    pub raises_new_issue: Option<bool>,
    /// When correspondence placed on file was read for new issues.
    pub filed_reviewed_at: Option<DateTimeUtc>,
    /// Identity-provider subject of who read it.
    pub filed_reviewed_by: Option<String>,
    /// Whether it raises a safeguarding concern.
    pub safeguarding_concern: bool,
    /// Optimistic-concurrency version: starts at 1 and goes up by one on every update.
    pub version: i64,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The customer. (`customer_id`)
    #[sea_orm(
        belongs_to = "super::customer::Entity",
        from = "Column::CustomerId",
        to = "super::customer::Column::Id"
    )]
    Customer,
    /// The service contacted. (`service_id`)
    #[sea_orm(
        belongs_to = "super::service::Entity",
        from = "Column::ServiceId",
        to = "super::service::Column::Id"
    )]
    Service,
    /// The case it belongs to, if any. (`case_id`)
    #[sea_orm(
        belongs_to = "super::upc_case::Entity",
        from = "Column::CaseId",
        to = "super::upc_case::Column::Id"
    )]
    Case,
    /// The officer who dealt with it. (`officer_staff_id`)
    #[sea_orm(
        belongs_to = "super::staff_member::Entity",
        from = "Column::OfficerStaffId",
        to = "super::staff_member::Column::Id"
    )]
    OfficerStaff,
    /// Where it happened, for in-person contact. (`establishment_id`)
    #[sea_orm(
        belongs_to = "super::establishment::Entity",
        from = "Column::EstablishmentId",
        to = "super::establishment::Column::Id"
    )]
    Establishment,
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl Related<super::service::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Service.def()
    }
}

impl Related<super::upc_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl Related<super::staff_member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OfficerStaff.def()
    }
}

impl Related<super::establishment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Establishment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
