//! Services, council establishments and the staff directory; managed by the administrator.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entities::{establishment, service};
use sea_orm::DatabaseConnection;

use crate::domain::directory::{NewEstablishment, NewService, ServiceCode, UpdateService};
use crate::domain::values::{ServiceId, Text};
use crate::error::ApiResult;
use crate::graphql::ids::parse_id;
use crate::graphql::steps::{key, session};
use crate::store::reads;

/// A council service (service area). Restrictions are decided per service (policy 5.4).
#[derive(SimpleObject, Clone)]
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
    /// Codes of the services they belong to.
    pub service_codes: Vec<String>,
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

    /// The staff directory, by name.
    async fn staff_members(&self, ctx: &Context<'_>) -> ApiResult<Vec<StaffMember>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(reads::staff_members(db)
            .await?
            .into_iter()
            .map(|(s, service_codes)| StaffMember {
                id: ID(s.id.to_string()),
                service_codes,
                display_name: s.display_name,
                job_title: s.job_title,
                email: s.email,
            })
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
