//! Services, council establishments and the staff directory; managed by the administrator.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use entities::{establishment, service, staff_member, staff_team};
use sea_orm::DatabaseConnection;

use crate::domain::directory::{NewEstablishment, NewService, ServiceCode, UpdateService};
use crate::domain::roles::Role;
use crate::domain::staff::{
    self, NewStaffMember, NewStaffTeam, UpdateStaffMember, UpdateStaffTeam,
};
use crate::domain::values::{RecordId, ServiceId, StaffMemberId, TeamId, Text, choice};
use crate::error::{ApiError, ApiResult};
use crate::graphql::ids::{parse_id, parse_opt_id};
use crate::graphql::steps::{key, session};
use crate::store::reads::{self, StaffEntry, StaffFilter};

/// A council service (service area). Restrictions are decided per service (policy 5.4).
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Service {
    /// Opaque id.
    pub id: ID,
    /// Short code used in tokens and filters, e.g. `HOU`.
    pub code: String,
    /// Name, e.g. "Housing".
    pub name: String,
    /// Whether the service is in use.
    pub active: bool,
    /// Row version: pass it back when updating (optimistic concurrency).
    pub version: i64,
}

#[ComplexObject]
impl Service {
    /// The members of staff in use who hold `role` in this service (a role held per service,
    /// e.g. `service_manager`, `head_of_service`, `group_director`), by name.
    async fn staff(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A role held per service, e.g. `head_of_service`.")] role: String,
    ) -> ApiResult<Option<Vec<StaffMember>>> {
        let role = staff::service_role("role", choice("role", &role, &Role::ALL)?)?;
        let id: i64 = self
            .id
            .parse()
            .map_err(|_| ApiError::internal("a service id that is not a number"))?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let holders = reads::role_holders(db, id, role.as_str()).await?;
        let filter = StaffFilter {
            service_code: Some(self.code.clone()),
            ..StaffFilter::default()
        };
        let entries = reads::staff_members(db, &filter).await?;
        Ok(Some(
            entries
                .into_iter()
                .filter(|e| holders.iter().any(|h| h.id == e.member.id))
                .map(StaffMember::from)
                .collect(),
        ))
    }
}

impl From<service::Model> for Service {
    fn from(m: service::Model) -> Self {
        Service {
            id: ID(m.id.to_string()),
            code: m.code,
            name: m.name,
            active: m.active,
            version: m.version,
        }
    }
}

/// A council establishment (premises) from which a customer may be excluded.
#[derive(SimpleObject, Clone)]
pub struct Establishment {
    /// Opaque id.
    pub id: ID,
    /// Name, e.g. "One4All Centre".
    pub name: String,
    /// Postal address.
    pub address: String,
    /// Code of the service that runs it, if one does.
    pub service_code: Option<String>,
    /// Row version.
    pub version: i64,
}

impl Establishment {
    /// The API view of `m`, run by the service with code `service_code`.
    fn from_model(m: establishment::Model, service_code: Option<String>) -> Self {
        Establishment {
            id: ID(m.id.to_string()),
            name: m.name,
            address: m.address,
            service_code,
            version: m.version,
        }
    }
}

/// A member of staff a restriction can name.
#[derive(SimpleObject, Clone)]
pub struct StaffMember {
    /// Opaque id.
    pub id: ID,
    /// Name as shown to colleagues.
    pub display_name: String,
    /// Job title.
    pub job_title: Option<String>,
    /// Work email.
    pub email: Option<String>,
    /// Codes of the services they belong to or hold a role in.
    pub service_codes: Vec<String>,
    /// The team they belong to, if any.
    pub team_id: Option<ID>,
    /// The roles they hold per service.
    pub roles: Vec<StaffRole>,
    /// False once deactivated (they have left): they cannot be named in a new decision.
    pub active: bool,
    /// Row version: pass it back when updating (optimistic concurrency).
    pub version: i64,
}

/// A role a member of staff holds in one service.
#[derive(SimpleObject, Clone)]
pub struct StaffRole {
    /// The role's token name, e.g. `head_of_service`.
    pub role: String,
    /// The service's code.
    pub service_code: String,
}

impl From<StaffEntry> for StaffMember {
    fn from(e: StaffEntry) -> Self {
        StaffMember {
            id: ID(e.member.id.to_string()),
            display_name: e.member.display_name,
            job_title: e.member.job_title,
            email: e.member.email,
            service_codes: e.service_codes,
            team_id: e.member.team_id.map(|t| ID(t.to_string())),
            roles: e
                .roles
                .into_iter()
                .map(|(role, service_code)| StaffRole { role, service_code })
                .collect(),
            active: e.member.active,
            version: e.member.version,
        }
    }
}

/// A team of staff within a service, which a named-contact restriction may name (5.3).
#[derive(SimpleObject, Clone)]
pub struct StaffTeam {
    /// Opaque id.
    pub id: ID,
    /// Team name, unique within the service.
    pub name: String,
    /// The service's code.
    pub service_code: String,
    /// False once out of use: it cannot be named in a new decision.
    pub active: bool,
    /// Row version: pass it back when updating (optimistic concurrency).
    pub version: i64,
}

impl StaffTeam {
    fn from_model(t: staff_team::Model, service_code: String) -> Self {
        StaffTeam {
            id: ID(t.id.to_string()),
            name: t.name,
            service_code,
            active: t.active,
            version: t.version,
        }
    }
}

/// The directory entry of `member` as it now stands.
async fn entry(ctx: &Context<'_>, member: staff_member::Model) -> ApiResult<StaffMember> {
    let db = ctx.data_unchecked::<DatabaseConnection>();
    let found = reads::staff_members(db, &StaffFilter::default())
        .await?
        .into_iter()
        .find(|e| e.member.id == member.id);
    Ok(found.map_or_else(
        || {
            StaffMember::from(StaffEntry {
                member,
                service_codes: Vec::new(),
                roles: Vec::new(),
            })
        },
        StaffMember::from,
    ))
}

/// The team as the API shows it, with its service's code.
async fn team(ctx: &Context<'_>, t: staff_team::Model) -> ApiResult<StaffTeam> {
    let db = ctx.data_unchecked::<DatabaseConnection>();
    let code = reads::service_codes(db)
        .await?
        .remove(&t.service_id)
        .unwrap_or_default();
    Ok(StaffTeam::from_model(t, code))
}

/// Directory queries.
#[derive(Default)]
pub struct DirectoryQuery;

#[Object]
impl DirectoryQuery {
    /// Every council service, by code.
    async fn services(&self, ctx: &Context<'_>) -> ApiResult<Vec<Service>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(reads::services(db)
            .await?
            .into_iter()
            .map(Service::from)
            .collect())
    }

    /// Every council establishment, by name.
    async fn establishments(&self, ctx: &Context<'_>) -> ApiResult<Vec<Establishment>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(reads::establishments(db)
            .await?
            .into_iter()
            .map(|(e, code)| Establishment::from_model(e, code))
            .collect())
    }

    /// The staff directory, by name: narrowed to a service (members and role holders), a role
    /// held (in that service when given) and whether in use.
    async fn staff_members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only those who belong to, or hold a role in, this service.")]
        service_code: Option<String>,
        #[graphql(desc = "Only those who hold this role (in `serviceCode` when given).")]
        role: Option<String>,
        #[graphql(desc = "Only those in use (`true`) or deactivated (`false`).")] active: Option<
            bool,
        >,
    ) -> ApiResult<Vec<StaffMember>> {
        let role = role
            .map(|r| choice("role", &r, &Role::ALL).map(|r| r.as_str().to_string()))
            .transpose()?;
        let filter = StaffFilter {
            service_code,
            role,
            active,
        };
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(reads::staff_members(db, &filter)
            .await?
            .into_iter()
            .map(StaffMember::from)
            .collect())
    }

    /// The teams of staff, by service and name: narrowed to a service and whether in use.
    async fn staff_teams(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the teams of this service.")] service_code: Option<String>,
        #[graphql(desc = "Only those in use (`true`) or out of use (`false`).")] active: Option<
            bool,
        >,
    ) -> ApiResult<Vec<StaffTeam>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(reads::staff_teams(db, service_code.as_deref(), active)
            .await?
            .into_iter()
            .map(|(t, code)| StaffTeam::from_model(t, code))
            .collect())
    }
}

/// A new council service.
#[derive(InputObject, serde::Serialize)]
pub struct CreateServiceInput {
    /// Short code: 2 to 10 capital letters or digits, unique.
    pub code: String,
    /// Name.
    pub name: String,
}

/// A change to a service.
#[derive(InputObject, serde::Serialize)]
pub struct UpdateServiceInput {
    /// The service.
    pub id: ID,
    /// The version you read; a stale one gets `CONFLICT`.
    pub version: i64,
    /// New name.
    pub name: Option<String>,
    /// Whether the service is in use.
    pub active: Option<bool>,
}

/// A new council establishment.
#[derive(InputObject, serde::Serialize)]
pub struct CreateEstablishmentInput {
    /// Name.
    pub name: String,
    /// Postal address.
    pub address: String,
    /// Code of the service that runs it, if any.
    pub service_code: Option<String>,
}

/// A new member of staff.
#[derive(InputObject, serde::Serialize)]
pub struct CreateStaffMemberInput {
    /// Name as shown to colleagues and in letters.
    pub display_name: String,
    /// Work email address.
    pub email: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// The team they belong to (in use).
    pub team_id: Option<ID>,
}

/// A change to a member of staff; what is not given is kept.
#[derive(InputObject, serde::Serialize)]
pub struct UpdateStaffMemberInput {
    /// The member of staff.
    pub id: ID,
    /// The version you read; a stale one gets `CONFLICT`.
    pub version: i64,
    /// New name.
    pub display_name: Option<String>,
    /// New work email address.
    pub email: Option<String>,
    /// New job title.
    pub job_title: Option<String>,
    /// Move them to this team (in use).
    pub team_id: Option<ID>,
    /// Take them out of their team.
    #[graphql(default)]
    pub clear_team: bool,
}

/// A member of staff or team, at the version read (deactivate, reactivate).
#[derive(InputObject, serde::Serialize)]
pub struct VersionedIdInput {
    /// The record.
    pub id: ID,
    /// The version you read; a stale one gets `CONFLICT`.
    pub version: i64,
}

/// A new team of staff.
#[derive(InputObject, serde::Serialize)]
pub struct CreateStaffTeamInput {
    /// Code of the service it belongs to.
    pub service_code: String,
    /// Name, unique within the service.
    pub name: String,
}

/// A change to a team.
#[derive(InputObject, serde::Serialize)]
pub struct UpdateStaffTeamInput {
    /// The team.
    pub id: ID,
    /// The version you read; a stale one gets `CONFLICT`.
    pub version: i64,
    /// New name, unique within the service.
    pub name: Option<String>,
}

/// A role a member of staff holds in a service.
#[derive(InputObject, serde::Serialize)]
pub struct StaffRoleInput {
    /// The member of staff.
    pub staff_member_id: ID,
    /// The service's code.
    pub service_code: String,
    /// A role held per service: `officer`, `service_manager`, `head_of_service`,
    /// `service_director`, `feedback_officer` or `group_director`.
    pub role: String,
}

impl StaffRoleInput {
    fn parse(&self) -> ApiResult<(StaffMemberId, Role)> {
        let id = parse_id::<StaffMemberId>("staffMemberId", &self.staff_member_id)?;
        let role = staff::service_role("role", choice("role", &self.role, &Role::ALL)?)?;
        Ok((id, role))
    }
}

/// Staff directory mutations (administrator).
#[derive(Default)]
pub struct StaffMutation;

#[Object]
impl StaffMutation {
    /// Add a member of staff to the directory.
    async fn create_staff_member(
        &self,
        ctx: &Context<'_>,
        input: CreateStaffMemberInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<StaffMember> {
        let cmd = NewStaffMember {
            display_name: Text::parse("displayName", &input.display_name)?,
            email: input
                .email
                .as_deref()
                .map(|e| staff::email("email", e))
                .transpose()?,
            job_title: Text::optional("jobTitle", input.job_title.as_deref())?,
        };
        let team_id = parse_opt_id::<TeamId>("teamId", input.team_id.as_ref())?;
        let key = key(idempotency_key, "createStaffMember", &input)?;
        let created = session(ctx)?.create_staff_member(cmd, team_id, key).await?;
        entry(ctx, created).await
    }

    /// Change a member of staff's name, email, job title or team.
    async fn update_staff_member(
        &self,
        ctx: &Context<'_>,
        input: UpdateStaffMemberInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<StaffMember> {
        let id = parse_id::<StaffMemberId>("id", &input.id)?;
        if input.clear_team && input.team_id.is_some() {
            return Err(ApiError::bad_input(
                "clearTeam",
                "give a team or clear it, not both",
            ));
        }
        let team = if input.clear_team {
            Some(None)
        } else {
            parse_opt_id::<TeamId>("teamId", input.team_id.as_ref())?.map(Some)
        };
        let cmd = UpdateStaffMember {
            version: input.version,
            display_name: input
                .display_name
                .as_deref()
                .map(|n| Text::parse("displayName", n))
                .transpose()?,
            email: input
                .email
                .as_deref()
                .map(|e| staff::email("email", e))
                .transpose()?,
            job_title: input
                .job_title
                .as_deref()
                .map(|t| Text::parse("jobTitle", t))
                .transpose()?,
            team: None,
        };
        let key = key(idempotency_key, "updateStaffMember", &input)?;
        let changed = session(ctx)?
            .update_staff_member(id, cmd, team, key)
            .await?;
        entry(ctx, changed).await
    }

    /// Deactivate a member of staff who has left: they can no longer be named in a new
    /// decision; restrictions already naming them keep the name.
    async fn deactivate_staff_member(
        &self,
        ctx: &Context<'_>,
        input: VersionedIdInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<StaffMember> {
        let id = parse_id::<StaffMemberId>("id", &input.id)?;
        let key = key(idempotency_key, "deactivateStaffMember", &input)?;
        let changed = session(ctx)?
            .set_staff_member_active(id, input.version, false, key)
            .await?;
        entry(ctx, changed).await
    }

    /// Bring a deactivated member of staff back into use.
    async fn reactivate_staff_member(
        &self,
        ctx: &Context<'_>,
        input: VersionedIdInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<StaffMember> {
        let id = parse_id::<StaffMemberId>("id", &input.id)?;
        let key = key(idempotency_key, "reactivateStaffMember", &input)?;
        let changed = session(ctx)?
            .set_staff_member_active(id, input.version, true, key)
            .await?;
        entry(ctx, changed).await
    }

    /// Add a team of staff to a service.
    async fn create_staff_team(
        &self,
        ctx: &Context<'_>,
        input: CreateStaffTeamInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<StaffTeam> {
        let cmd = NewStaffTeam {
            name: Text::parse("name", &input.name)?,
        };
        let key = key(idempotency_key, "createStaffTeam", &input)?;
        let created = session(ctx)?
            .create_staff_team(cmd, &input.service_code, key)
            .await?;
        team(ctx, created).await
    }

    /// Rename a team.
    async fn update_staff_team(
        &self,
        ctx: &Context<'_>,
        input: UpdateStaffTeamInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<StaffTeam> {
        let id = parse_id::<TeamId>("id", &input.id)?;
        let cmd = UpdateStaffTeam {
            version: input.version,
            name: input
                .name
                .as_deref()
                .map(|n| Text::parse("name", n))
                .transpose()?,
        };
        let key = key(idempotency_key, "updateStaffTeam", &input)?;
        let changed = session(ctx)?.update_staff_team(id, cmd, key).await?;
        team(ctx, changed).await
    }

    /// Take a team out of use: it can no longer be named in a new decision, nor anyone put in
    /// it; restrictions already naming it keep the name.
    async fn deactivate_staff_team(
        &self,
        ctx: &Context<'_>,
        input: VersionedIdInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<StaffTeam> {
        let id = parse_id::<TeamId>("id", &input.id)?;
        let key = key(idempotency_key, "deactivateStaffTeam", &input)?;
        let changed = session(ctx)?
            .set_staff_team_active(id, input.version, false, key)
            .await?;
        team(ctx, changed).await
    }

    /// Bring a team back into use.
    async fn reactivate_staff_team(
        &self,
        ctx: &Context<'_>,
        input: VersionedIdInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<StaffTeam> {
        let id = parse_id::<TeamId>("id", &input.id)?;
        let key = key(idempotency_key, "reactivateStaffTeam", &input)?;
        let changed = session(ctx)?
            .set_staff_team_active(id, input.version, true, key)
            .await?;
        team(ctx, changed).await
    }

    /// Record that a member of staff holds a role in a service (e.g. Head of Service of HOU).
    async fn assign_staff_role(
        &self,
        ctx: &Context<'_>,
        input: StaffRoleInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<StaffMember> {
        let (id, role) = input.parse()?;
        let key = key(idempotency_key, "assignStaffRole", &input)?;
        let session = session(ctx)?;
        session
            .assign_staff_role(id, &input.service_code, role, key)
            .await?;
        member(ctx, id).await
    }

    /// Remove a role a member of staff holds in a service.
    async fn remove_staff_role(
        &self,
        ctx: &Context<'_>,
        input: StaffRoleInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<StaffMember> {
        let (id, role) = input.parse()?;
        let key = key(idempotency_key, "removeStaffRole", &input)?;
        session(ctx)?
            .remove_staff_role(id, &input.service_code, role, key)
            .await?;
        member(ctx, id).await
    }
}

/// The directory entry of member of staff `id`.
async fn member(ctx: &Context<'_>, id: StaffMemberId) -> ApiResult<StaffMember> {
    let db = ctx.data_unchecked::<DatabaseConnection>();
    reads::staff_members(db, &StaffFilter::default())
        .await?
        .into_iter()
        .find(|e| e.member.id == id.get())
        .map(StaffMember::from)
        .ok_or_else(|| ApiError::NotFound(format!("no staff member {id}")))
}

/// Directory mutations (administrator).
#[derive(Default)]
pub struct DirectoryMutation;

#[Object]
impl DirectoryMutation {
    /// Add a council service.
    async fn create_service(
        &self,
        ctx: &Context<'_>,
        input: CreateServiceInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Service> {
        let cmd = NewService {
            code: ServiceCode::parse(&input.code)?,
            name: Text::parse("name", &input.name)?,
        };
        let key = key(idempotency_key, "createService", &input)?;
        Ok(session(ctx)?.create_service(cmd, key).await?.into())
    }

    /// Rename a service or take it out of use.
    async fn update_service(
        &self,
        ctx: &Context<'_>,
        input: UpdateServiceInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Service> {
        let id = parse_id::<ServiceId>("id", &input.id)?;
        let key = key(idempotency_key, "updateService", &input)?;
        let cmd = UpdateService {
            version: input.version,
            name: input
                .name
                .as_deref()
                .map(|name| Text::parse("name", name))
                .transpose()?,
            active: input.active,
        };
        Ok(session(ctx)?.update_service(id, cmd, key).await?.into())
    }

    /// Add a council establishment.
    async fn create_establishment(
        &self,
        ctx: &Context<'_>,
        input: CreateEstablishmentInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Establishment> {
        let cmd = NewEstablishment {
            name: Text::parse("name", &input.name)?,
            address: Text::parse("address", &input.address)?,
        };
        let key = key(idempotency_key, "createEstablishment", &input)?;
        let created = session(ctx)?
            .create_establishment(cmd, input.service_code.as_deref(), key)
            .await?;
        Ok(Establishment::from_model(created, input.service_code))
    }
}
