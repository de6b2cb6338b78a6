//! Services, council establishments and the staff directory; managed by the administrator.

use std::collections::HashMap;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entities::{establishment, service, staff_member, staff_member_service};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

use crate::audit::{self, Change};
use crate::authz::caller;
use crate::error::{ApiError, ApiResult};
use crate::graphql::ids::parse_id;
use crate::lifecycle::store::{Idempotency, remember, replayed};

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

async fn service_codes(db: &DatabaseConnection) -> ApiResult<HashMap<i64, String>> {
    Ok(service::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.code))
        .collect())
}

#[Object]
impl DirectoryQuery {
    /// Every council service, by code.
    async fn services(&self, ctx: &Context<'_>) -> ApiResult<Vec<Service>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(service::Entity::find()
            .order_by_asc(service::Column::Code)
            .all(db)
            .await?
            .into_iter()
            .map(Service::from)
            .collect())
    }

    /// Every council establishment, by name.
    async fn establishments(&self, ctx: &Context<'_>) -> ApiResult<Vec<Establishment>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let codes = service_codes(db).await?;
        Ok(establishment::Entity::find()
            .order_by_asc(establishment::Column::Name)
            .all(db)
            .await?
            .into_iter()
            .map(|e| Establishment {
                id: ID(e.id.to_string()),
                service_code: e.service_id.and_then(|id| codes.get(&id).cloned()),
                name: e.name,
                address: e.address,
                version: e.version,
            })
            .collect())
    }

    /// The staff directory, by name.
    async fn staff_members(&self, ctx: &Context<'_>) -> ApiResult<Vec<StaffMember>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let codes = service_codes(db).await?;
        let mut memberships: HashMap<i64, Vec<String>> = HashMap::new();
        for link in staff_member_service::Entity::find().all(db).await? {
            if let Some(code) = codes.get(&link.service_id) {
                memberships
                    .entry(link.staff_member_id)
                    .or_default()
                    .push(code.clone());
            }
        }
        Ok(staff_member::Entity::find()
            .order_by_asc(staff_member::Column::DisplayName)
            .all(db)
            .await?
            .into_iter()
            .map(|s| StaffMember {
                id: ID(s.id.to_string()),
                service_codes: memberships.remove(&s.id).unwrap_or_default(),
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

fn required_text(field: &str, value: &str) -> ApiResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::bad_input(
            field,
            format!("{field} must not be blank"),
        ));
    }
    Ok(v.to_string())
}

#[Object]
impl DirectoryMutation {
    /// Add a council service.
    async fn create_service(
        &self,
        ctx: &Context<'_>,
        input: CreateServiceInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Service> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let code = input.code.trim().to_string();
        if !(2..=10).contains(&code.len())
            || !code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            return Err(ApiError::bad_input(
                "code",
                "code must be 2 to 10 capital letters or digits",
            ));
        }
        let name = required_text("name", &input.name)?;
        let key = Idempotency::new(idempotency_key, "createService", &input)?;
        let txn = db.begin().await?;
        if let Some(first) = replayed::<service::Model, _>(&txn, request, &key).await? {
            return Ok(first.into());
        }
        if service::Entity::find()
            .filter(service::Column::Code.eq(&code))
            .one(&txn)
            .await?
            .is_some()
        {
            return Err(ApiError::Conflict(format!(
                "a service with code {code} exists"
            )));
        }
        let created = service::ActiveModel {
            code: Set(code),
            name: Set(name),
            active: Set(true),
            version: Set(1),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            request,
            Change::created("service.create", "service", created.id, &created),
        )
        .await?;
        remember(&txn, request, &key, "service", created.id, &created).await?;
        txn.commit().await?;
        Ok(created.into())
    }

    /// Rename a service or take it out of use.
    async fn update_service(
        &self,
        ctx: &Context<'_>,
        input: UpdateServiceInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Service> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let id = parse_id("id", &input.id)?;
        let key = Idempotency::new(idempotency_key, "updateService", &input)?;
        let txn = db.begin().await?;
        if let Some(first) = replayed::<service::Model, _>(&txn, request, &key).await? {
            return Ok(first.into());
        }
        let before = service::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no service {id}")))?;
        if before.version != input.version {
            return Err(ApiError::Conflict(format!(
                "service {id} changed since you read it (version {} now, you sent {})",
                before.version, input.version
            )));
        }
        let mut active: service::ActiveModel = before.clone().into();
        if let Some(name) = &input.name {
            active.name = Set(required_text("name", name)?);
        }
        if let Some(flag) = input.active {
            active.active = Set(flag);
        }
        active.version = Set(before.version + 1);
        let after = active.update(&txn).await?;
        audit::record(
            &txn,
            request,
            Change::updated("service.update", "service", id, &before, &after),
        )
        .await?;
        remember(&txn, request, &key, "service", after.id, &after).await?;
        txn.commit().await?;
        Ok(after.into())
    }

    /// Add a council establishment.
    async fn create_establishment(
        &self,
        ctx: &Context<'_>,
        input: CreateEstablishmentInput,
        idempotency_key: Option<String>,
    ) -> ApiResult<Establishment> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let name = required_text("name", &input.name)?;
        let address = required_text("address", &input.address)?;
        let key = Idempotency::new(idempotency_key, "createEstablishment", &input)?;
        let txn = db.begin().await?;
        if let Some(first) = replayed::<establishment::Model, _>(&txn, request, &key).await? {
            return Ok(Establishment::from_model(first, input.service_code.clone()));
        }
        let service_id = match &input.service_code {
            None => None,
            Some(code) => Some(
                service::Entity::find()
                    .filter(service::Column::Code.eq(code.as_str()))
                    .one(&txn)
                    .await?
                    .ok_or_else(|| {
                        ApiError::bad_input("serviceCode", format!("no service with code {code}"))
                    })?
                    .id,
            ),
        };
        let created = establishment::ActiveModel {
            service_id: Set(service_id),
            name: Set(name),
            address: Set(address),
            active: Set(true),
            version: Set(1),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            request,
            Change::created(
                "establishment.create",
                "establishment",
                created.id,
                &created,
            ),
        )
        .await?;
        remember(&txn, request, &key, "establishment", created.id, &created).await?;
        txn.commit().await?;
        Ok(Establishment::from_model(created, input.service_code))
    }
}
