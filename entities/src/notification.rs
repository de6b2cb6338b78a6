//! The `notification` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::RestrictionKind;

/// What happened to a restriction, as a service team is told of it (5.5).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum AlertEvent {
    /// A restriction was imposed (a Stage 2 decision or a further restriction).
    #[sea_orm(string_value = "imposed")]
    Imposed,
    /// Its details were changed.
    #[sea_orm(string_value = "varied")]
    Varied,
    /// It was extended to a later end date (5.6).
    #[sea_orm(string_value = "extended")]
    Extended,
    /// It was made permanent (5.6).
    #[sea_orm(string_value = "made_permanent")]
    MadePermanent,
    /// It was lifted (by the Group Director, or on review).
    #[sea_orm(string_value = "lifted")]
    Lifted,
    /// Its review falls due soon or is overdue (7.1): a reminder from the worker's scheduler,
    /// written once per restriction and review date.
    #[sea_orm(string_value = "review_due")]
    ReviewDue,
}

impl AlertEvent {
    /// Every value, in declaration order.
    pub const ALL: &'static [Self] = &[
        Self::Imposed,
        Self::Varied,
        Self::Extended,
        Self::MadePermanent,
        Self::Lifted,
        Self::ReviewDue,
    ];

    /// The value as stored and as the API gives it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Imposed => "imposed",
            Self::Varied => "varied",
            Self::Extended => "extended",
            Self::MadePermanent => "made_permanent",
            Self::Lifted => "lifted",
            Self::ReviewDue => "review_due",
        }
    }
}

/// An alert to a service team about one restriction in their service (5.5). It holds no
/// customer name and no free text: the case reference, the restriction's kind and dates, and
/// what happened. Written in the same transaction as the restriction change; never updated.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "notification")]
pub struct Model {
    /// Surrogate key; also the payload of the PostgreSQL `NOTIFY`.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The service whose team is told.
    pub service_id: i64,
    /// The case.
    pub case_id: i64,
    /// The restriction.
    pub restriction_id: i64,
    /// What happened.
    pub event: AlertEvent,
    /// The restriction's kind (5.3).
    pub restriction_kind: RestrictionKind,
    /// The case reference (never a name).
    pub case_reference: String,
    /// The restriction's first day in force, as it stands after the change.
    pub starts_on: Date,
    /// Its last day in force, if it has one, as it stands after the change.
    pub ends_on: Option<Date>,
    /// One line for the team, e.g. `UPC-2026-0001: restriction imposed: ...`.
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    /// Identity-provider subject of whoever made the change.
    pub created_by: String,
    /// When.
    pub created_at: DateTimeUtc,
    /// For a `review_due` reminder, the review date it is about (unique per restriction with
    /// the event); empty for every other event.
    pub review_due_on: Option<Date>,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The service whose team is told. (`service_id`)
    #[sea_orm(
        belongs_to = "super::service::Entity",
        from = "Column::ServiceId",
        to = "super::service::Column::Id"
    )]
    Service,
    /// The case. (`case_id`)
    #[sea_orm(
        belongs_to = "super::upc_case::Entity",
        from = "Column::CaseId",
        to = "super::upc_case::Column::Id"
    )]
    Case,
    /// The restriction. (`restriction_id`)
    #[sea_orm(
        belongs_to = "super::restriction::Entity",
        from = "Column::RestrictionId",
        to = "super::restriction::Column::Id"
    )]
    Restriction,
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

impl Related<super::restriction::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Restriction.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
