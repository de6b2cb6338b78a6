//! Writing rows: every table the domain writes has an `id` and a `version`. A new row gets its
//! id from the database; a changed row is written only where its columns differ from the row as
//! read, with the version raised by one, and only if the stored version is still the one read
//! (else `CONFLICT`): optimistic concurrency for every change.

use entities::{
    appeal, behaviour_report, breach, call_termination, closure_day, contact, customer,
    customer_member, determination, establishment, exclusion, harassment_referral, hs_incident,
    letter, letter_template, new_issue_consideration, police_referral, reasonable_adjustment,
    recording_request, representative, restriction, review, service, staff_member, staff_role,
    staff_team, stage_1_warning, stage_2_decision, upc_case,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IdenStatic, IntoActiveModel,
    Iterable, ModelTrait, QueryFilter, Value,
};

use crate::domain::DomainError;
use crate::domain::outcome::Row;
use crate::error::{ApiError, ApiResult};

/// A table with `id` and `version` columns.
pub trait Table: EntityTrait {
    /// The `id` column.
    const ID: Self::Column;
    /// The `version` column.
    const VERSION: Self::Column;
    /// The record's name in messages, e.g. `case`.
    const NAME: &'static str;
    /// A row's id.
    fn id_of(m: &Self::Model) -> i64;
    /// A row's version.
    fn version_of(m: &Self::Model) -> i64;
}

macro_rules! tables {
    ($($variant:ident => $module:ident, $name:literal;)*) => {
        $(
            impl Table for $module::Entity {
                const ID: Self::Column = $module::Column::Id;
                const VERSION: Self::Column = $module::Column::Version;
                const NAME: &'static str = $name;
                fn id_of(m: &Self::Model) -> i64 {
                    m.id
                }
                fn version_of(m: &Self::Model) -> i64 {
                    m.version
                }
            }
        )*

        /// Insert `row` (its id is given by the database) and return it as stored.
        pub async fn insert_row<C: ConnectionTrait>(db: &C, row: Row) -> ApiResult<Row> {
            match row {
                $(Row::$variant(m) => Ok(Row::$variant(insert::<$module::Entity, C>(db, m).await?)),)*
            }
        }

        /// Write the change from `before` to `after` (rows of one table) and return the row as
        /// stored.
        pub async fn update_row<C: ConnectionTrait>(db: &C, before: &Row, after: Row) -> ApiResult<Row> {
            match (before, after) {
                $((Row::$variant(b), Row::$variant(a)) => {
                    Ok(Row::$variant(update::<$module::Entity, C>(db, b, a).await?))
                })*
                (b, a) => Err(ApiError::internal(format!(
                    "a change from a {} row to a {} row", b.table(), a.table()
                ))),
            }
        }

        /// Delete `row`, as read (refused with `CONFLICT` if it changed since).
        pub async fn delete_row<C: ConnectionTrait>(db: &C, row: &Row) -> ApiResult<()> {
            match row {
                $(Row::$variant(m) => delete::<$module::Entity, C>(db, m).await,)*
            }
        }
    };
}

tables! {
    Customer => customer, "customer";
    CustomerMember => customer_member, "customer member";
    Representative => representative, "representative";
    Case => upc_case, "case";
    Report => behaviour_report, "report";
    Determination => determination, "determination";
    Warning => stage_1_warning, "warning";
    Appeal => appeal, "appeal";
    Decision => stage_2_decision, "decision";
    Restriction => restriction, "restriction";
    Breach => breach, "breach";
    NewIssue => new_issue_consideration, "new issue";
    Review => review, "review";
    Incident => hs_incident, "incident";
    Exclusion => exclusion, "exclusion";
    PoliceReferral => police_referral, "police referral";
    CallTermination => call_termination, "call termination";
    HarassmentReferral => harassment_referral, "harassment referral";
    RecordingRequest => recording_request, "recording request";
    Contact => contact, "contact";
    Letter => letter, "letter";
    LetterTemplate => letter_template, "letter template";
    ClosureDay => closure_day, "closure day";
    Service => service, "service";
    Establishment => establishment, "establishment";
    Adjustment => reasonable_adjustment, "reasonable adjustment";
    StaffMember => staff_member, "staff member";
    StaffTeam => staff_team, "team";
    StaffRole => staff_role, "staff role";
}

/// Insert `m`, letting the database give its id.
pub async fn insert<E, C>(db: &C, m: E::Model) -> ApiResult<E::Model>
where
    E: Table,
    C: ConnectionTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let mut row = m.into_active_model();
    row.not_set(E::ID);
    Ok(row.insert(db).await?)
}

/// Write the columns in which `after` differs from `before`, raising the version, if the
/// stored version is still `before`'s; return the row as stored.
pub async fn update<E, C>(db: &C, before: &E::Model, after: E::Model) -> ApiResult<E::Model>
where
    E: Table,
    C: ConnectionTrait,
    E::Model: ModelTrait<Entity = E>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let id = E::id_of(before);
    let version = E::version_of(before);
    let mut changes = <E::ActiveModel as ActiveModelTrait>::default();
    for column in E::Column::iter() {
        let name = column.as_str();
        if name == E::ID.as_str() || name == E::VERSION.as_str() {
            continue;
        }
        let value: Value = after.get(column);
        if before.get(column) != value {
            changes.set(column, value);
        }
    }
    changes.set(E::VERSION, (version + 1).into());
    let result = E::update_many()
        .set(changes)
        .filter(E::ID.eq(id))
        .filter(E::VERSION.eq(version))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Err(DomainError::stale(E::NAME, id, version).into());
    }
    E::find()
        .filter(E::ID.eq(id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no {} {id}", E::NAME)))
}

/// Delete `m` if it is still as read.
pub async fn delete<E, C>(db: &C, m: &E::Model) -> ApiResult<()>
where
    E: Table,
    C: ConnectionTrait,
{
    let id = E::id_of(m);
    let result = E::delete_many()
        .filter(E::ID.eq(id))
        .filter(E::VERSION.eq(E::version_of(m)))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Err(DomainError::stale(E::NAME, id, E::version_of(m)).into());
    }
    Ok(())
}
