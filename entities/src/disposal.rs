//! The `disposal` table: see [`Model`].

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{DisposalEntity, DisposalRule};

/// One case or customer anonymised by the retention schedule (issue 7, item 4). Append-only:
/// the register of what was disposed of, when and why, never of the erased content.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "disposal")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When it was done.
    pub disposed_at: DateTimeUtc,
    /// A case or a customer.
    pub entity_type: DisposalEntity,
    /// The case's or customer's id (not a foreign key: the register outlives what it names).
    pub entity_id: i64,
    /// The case's or customer's reference, which is kept.
    pub reference: String,
    /// The rule applied.
    pub rule: DisposalRule,
    /// The date the rule counts from (the last restriction's end, or the closure).
    pub basis_on: Date,
    /// The date the schedule made it due.
    pub due_on: Date,
    /// The retention run that did it.
    pub run_id: String,
}

/// The records this one refers to by foreign key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
