//! The staff directory: members of staff, teams, the roles they hold per service, and the
//! record sign-in keeps (issue 19).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use entities::{service, staff_member, staff_role, staff_team};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};

use super::safety::HasId;
use super::{Opened, ready};
use crate::authz::RequestContext;
use crate::domain::Outcome;
use crate::domain::lifecycle::LifecycleSettings;
use crate::domain::outcome::Row;
use crate::domain::roles::{Principal, Role};
use crate::domain::staff::{
    self, NewStaffMember, NewStaffTeam, SignIn, SignInFacts, UpdateStaffMember, UpdateStaffTeam,
};
use crate::domain::values::{RecordId, StaffMemberId, TeamId};
use crate::error::{ApiError, ApiResult};
use crate::store::{Database, Idempotency, Session, UnitOfWork, facts};

/// The subject the audit trail records for what sign-in writes.
pub const SIGN_IN_SUBJECT: &str = "system:sign-in";

async fn member_by_id<C: sea_orm::ConnectionTrait>(
    db: &C,
    id: i64,
    field: &str,
) -> ApiResult<staff_member::Model> {
    staff_member::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no staff member {id} ({field})")))
}

async fn team_by_id<C: sea_orm::ConnectionTrait>(
    db: &C,
    id: i64,
    field: &str,
) -> ApiResult<staff_team::Model> {
    staff_team::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::bad_input(field, format!("no team {id}")))
}

impl<'a, C: Database> Session<'a, C> {
    /// Apply and commit a directory command whose result is the first row of kind `M` it wrote.
    async fn finish_staff<M>(
        &self,
        mut uow: UnitOfWork<'a, C>,
        outcome: Outcome,
        table: &str,
    ) -> ApiResult<M>
    where
        M: TryFrom<Row> + serde::Serialize + HasId,
    {
        let applied = uow.apply(outcome).await?;
        let row: M = applied.written()?;
        uow.commit(table, row.id(), &row).await?;
        Ok(row)
    }

    /// Add a member of staff, in team `team` if given.
    pub async fn create_staff_member(
        &self,
        cmd: NewStaffMember,
        team: Option<TeamId>,
        key: Option<Idempotency>,
    ) -> ApiResult<staff_member::Model> {
        let uow = ready!(self.open::<staff_member::Model>(key, |_| None).await?);
        let team = match team {
            Some(id) => Some(team_by_id(uow.txn(), id.get(), "teamId").await?),
            None => None,
        };
        let outcome = staff::create_staff_member(cmd, team.as_ref(), self.now)?;
        self.finish_staff(uow, outcome, "staff_member").await
    }

    /// Change a member of staff's details; `team`: `Some(None)` takes them out of their team.
    pub async fn update_staff_member(
        &self,
        id: StaffMemberId,
        mut cmd: UpdateStaffMember,
        team: Option<Option<TeamId>>,
        key: Option<Idempotency>,
    ) -> ApiResult<staff_member::Model> {
        let uow = ready!(self.open::<staff_member::Model>(key, |_| None).await?);
        let found = member_by_id(uow.txn(), id.get(), "id").await?;
        cmd.team = match team {
            None => None,
            Some(None) => Some(None),
            Some(Some(t)) => Some(Some(team_by_id(uow.txn(), t.get(), "teamId").await?)),
        };
        let outcome = staff::update_staff_member(cmd, &found)?;
        self.finish_staff(uow, outcome, "staff_member").await
    }

    /// Deactivate (`active` false) or reactivate a member of staff.
    pub async fn set_staff_member_active(
        &self,
        id: StaffMemberId,
        version: i64,
        active: bool,
        key: Option<Idempotency>,
    ) -> ApiResult<staff_member::Model> {
        let uow = ready!(self.open::<staff_member::Model>(key, |_| None).await?);
        let found = member_by_id(uow.txn(), id.get(), "id").await?;
        let outcome = staff::set_staff_member_active(version, active, &found)?;
        self.finish_staff(uow, outcome, "staff_member").await
    }

    /// Add a team to the service with `service_code`.
    pub async fn create_staff_team(
        &self,
        cmd: NewStaffTeam,
        service_code: &str,
        key: Option<Idempotency>,
    ) -> ApiResult<staff_team::Model> {
        let uow = ready!(self.open::<staff_team::Model>(key, |_| None).await?);
        let service = facts::service_by_code(uow.txn(), service_code).await?;
        let existing = staff_team::Entity::find()
            .filter(staff_team::Column::ServiceId.eq(service.id))
            .filter(staff_team::Column::Name.eq(cmd.name.as_str()))
            .one(uow.txn())
            .await?;
        let outcome = staff::create_staff_team(cmd, &service, existing.as_ref(), self.now)?;
        self.finish_staff(uow, outcome, "staff_team").await
    }

    /// Rename a team.
    pub async fn update_staff_team(
        &self,
        id: TeamId,
        cmd: UpdateStaffTeam,
        key: Option<Idempotency>,
    ) -> ApiResult<staff_team::Model> {
        let uow = ready!(self.open::<staff_team::Model>(key, |_| None).await?);
        let found = staff_team::Entity::find_by_id(id.get())
            .one(uow.txn())
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no team {id}")))?;
        let clash = match &cmd.name {
            Some(name) => {
                staff_team::Entity::find()
                    .filter(staff_team::Column::ServiceId.eq(found.service_id))
                    .filter(staff_team::Column::Name.eq(name.as_str()))
                    .one(uow.txn())
                    .await?
            }
            None => None,
        };
        let outcome = staff::update_staff_team(cmd, &found, clash.as_ref())?;
        self.finish_staff(uow, outcome, "staff_team").await
    }

    /// Take a team out of use (`active` false) or back into use.
    pub async fn set_staff_team_active(
        &self,
        id: TeamId,
        version: i64,
        active: bool,
        key: Option<Idempotency>,
    ) -> ApiResult<staff_team::Model> {
        let uow = ready!(self.open::<staff_team::Model>(key, |_| None).await?);
        let found = staff_team::Entity::find_by_id(id.get())
            .one(uow.txn())
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no team {id}")))?;
        let outcome = staff::set_staff_team_active(version, active, &found)?;
        self.finish_staff(uow, outcome, "staff_team").await
    }

    /// Record that a member of staff holds `role` in the service with `service_code`.
    pub async fn assign_staff_role(
        &self,
        id: StaffMemberId,
        service_code: &str,
        role: Role,
        key: Option<Idempotency>,
    ) -> ApiResult<staff_role::Model> {
        let uow = ready!(self.open::<staff_role::Model>(key, |_| None).await?);
        let member = member_by_id(uow.txn(), id.get(), "staffMemberId").await?;
        let service = facts::service_by_code(uow.txn(), service_code).await?;
        let existing = staff_role::Entity::find()
            .filter(staff_role::Column::StaffMemberId.eq(member.id))
            .filter(staff_role::Column::ServiceId.eq(service.id))
            .filter(staff_role::Column::Role.eq(role.as_str()))
            .one(uow.txn())
            .await?;
        let outcome = staff::assign_role(&member, &service, role, existing.as_ref(), self.now)?;
        self.finish_staff(uow, outcome, "staff_role").await
    }

    /// Remove a role a member of staff holds in the service with `service_code`.
    pub async fn remove_staff_role(
        &self,
        id: StaffMemberId,
        service_code: &str,
        role: Role,
        key: Option<Idempotency>,
    ) -> ApiResult<staff_role::Model> {
        let mut uow = ready!(self.open::<staff_role::Model>(key, |_| None).await?);
        let service = facts::service_by_code(uow.txn(), service_code).await?;
        let found = staff_role::Entity::find()
            .filter(staff_role::Column::StaffMemberId.eq(id.get()))
            .filter(staff_role::Column::ServiceId.eq(service.id))
            .filter(staff_role::Column::Role.eq(role.as_str()))
            .one(uow.txn())
            .await?
            .ok_or_else(|| {
                ApiError::NotFound(format!(
                    "staff member {id} is not {} of {}",
                    role.as_str(),
                    service.code
                ))
            })?;
        uow.apply(staff::remove_role(found.clone())).await?;
        uow.commit("staff_role", found.id, &found).await?;
        Ok(found)
    }
}

/// Bring the directory's record of the member of staff signing in up to what their token says,
/// in one transaction, audited as the system (`system:sign-in`). Writes nothing when the record
/// already says so; returns whether it wrote.
pub async fn sign_in(
    db: &DatabaseConnection,
    cmd: &SignIn,
    request_id: &str,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let request = RequestContext {
        principal: Principal {
            subject: SIGN_IN_SUBJECT.into(),
            name: Some("Sign-in".into()),
            roles: BTreeSet::new(),
            services: BTreeSet::new(),
            services_from_directory: false,
        }
        .into(),
        request_id: request_id.to_string(),
        client_address: None,
    };
    let settings = LifecycleSettings::default();
    let session = Session::new(db, &request, &settings, None).at(now);
    let mut uow = session.begin(None).await?;
    let mut by = Condition::any().add(staff_member::Column::Subject.eq(cmd.subject.as_str()));
    if let Some(oid) = &cmd.object_id {
        by = by.add(staff_member::Column::ObjectId.eq(oid.as_str()));
    }
    let found = staff_member::Entity::find()
        .filter(by)
        .one(uow.txn())
        .await?;
    let mut wrote = false;
    let member = match staff::sign_in_member(cmd, found.as_ref(), now) {
        Some(outcome) => {
            wrote = true;
            uow.apply(outcome).await?.written::<staff_member::Model>()?
        }
        None => found.ok_or_else(|| ApiError::internal("sign-in found no member"))?,
    };
    let services = if cmd.services.is_empty() {
        Vec::new()
    } else {
        service::Entity::find()
            .filter(service::Column::Code.is_in(cmd.services.iter().cloned()))
            .all(uow.txn())
            .await?
    };
    let roles = staff_role::Entity::find()
        .filter(staff_role::Column::StaffMemberId.eq(member.id))
        .all(uow.txn())
        .await?;
    let facts = SignInFacts {
        member: Some(member.clone()),
        services,
        roles,
    };
    if let Some(outcome) = staff::sign_in_roles(cmd, &member, &facts, now) {
        wrote = true;
        uow.apply(outcome).await?;
    }
    if wrote {
        uow.commit("staff_member", member.id, &member).await?;
    }
    Ok(wrote)
}
