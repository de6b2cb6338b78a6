//! Customers and cases, read through the caller's row scope (policy 5.4) and the field policy.
//! Nested data (customer, reports) is loaded in batches for a whole page: a page costs the same
//! number of statements whatever its size.

use std::collections::HashMap;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entities::{behaviour_report, behaviour_report_type, customer, service, upc_case};
use sea_orm::sea_query::{Expr, Func, Query};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::authz::caller;
use crate::authz::scope::{CaseScope, case_scope};
use crate::error::{ApiError, ApiResult};
use crate::graphql::ids::parse_id;

/// Largest page a list returns.
pub const MAX_PAGE: u64 = 100;

/// A customer: a person, several people or a group (policy 2.3).
#[derive(SimpleObject, Clone)]
pub struct Customer {
    /// Opaque id.
    pub id: ID,
    /// Reference, e.g. `C-000042`.
    pub reference: String,
    /// `person`, `several_people` or `group`.
    pub kind: String,
    /// Letters are written in this language: `en` or `cy` (Welsh Language Standards).
    pub preferred_language: String,
    /// Name (restricted: never shown to the Standards Committee).
    pub display_name: Option<String>,
    /// Postal address (restricted).
    pub address: Option<String>,
    /// Email (restricted).
    pub email: Option<String>,
    /// Telephone (restricted).
    pub phone: Option<String>,
}

impl From<customer::Model> for Customer {
    fn from(m: customer::Model) -> Self {
        Customer {
            id: ID(m.id.to_string()),
            reference: m.reference,
            kind: m.kind.as_str().to_string(),
            preferred_language: m.preferred_language.as_str().to_string(),
            display_name: Some(m.display_name),
            address: m.address,
            email: m.email,
            phone: m.phone,
        }
    }
}

/// A report of behaviour (policy 2.3).
#[derive(SimpleObject, Clone)]
pub struct BehaviourReport {
    /// Opaque id.
    pub id: ID,
    /// The behaviour types of 2.3 and 4.4 reported.
    pub behaviours: Vec<String>,
    /// How it happened: in person, telephone, writing, email, fax.
    pub channel: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// What happened (restricted free text).
    pub description: Option<String>,
    /// Who reported it (restricted).
    pub reporter_name: Option<String>,
}

/// A case: one customer in one service.
#[derive(SimpleObject, Clone)]
#[graphql(name = "Case")]
pub struct CaseNode {
    /// Opaque id.
    pub id: ID,
    /// Reference, e.g. `UPC-2026-0001` (the Standards Committee's anonymised handle).
    pub reference: String,
    /// Code of the service the case belongs to.
    pub service_code: String,
    /// Where the case stands: reported, determined_unreasonable, stage_1_warning,
    /// stage_2_restricted, closed.
    pub stage: String,
    /// `open` or `closed`.
    pub status: String,
    /// When the case was opened.
    pub opened_at: DateTime<Utc>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Why it was closed (restricted free text).
    pub closure_reason: Option<String>,
    /// Last day to appeal the Stage 1 warning (15 working days, 6.1).
    pub appeal_deadline: Option<NaiveDate>,
    /// When the restrictions must be reviewed (no later than 12 months, 7.1).
    pub review_due_on: Option<NaiveDate>,
    /// Flagged for early review (e.g. an ignored exclusion, 5.6).
    pub flagged_for_review: bool,
    /// Row version.
    pub version: i64,
    /// The customer (restricted).
    pub customer: Option<Customer>,
    /// Behaviour reports, oldest first (an elected Member sees only their own).
    pub reports: Vec<BehaviourReport>,
}

/// Case and customer queries.
#[derive(Default)]
pub struct CaseQuery;

/// Load the nested data of a page of cases in a fixed number of statements.
async fn case_nodes(
    db: &DatabaseConnection,
    cases: Vec<upc_case::Model>,
    report_author: Option<String>,
) -> ApiResult<Vec<CaseNode>> {
    let case_ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
    let customer_ids: Vec<i64> = cases.iter().map(|c| c.customer_id).collect();
    let services: HashMap<i64, String> = service::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.code))
        .collect();
    let customers: HashMap<i64, customer::Model> = customer::Entity::find()
        .filter(customer::Column::Id.is_in(customer_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut report_query = behaviour_report::Entity::find()
        .filter(behaviour_report::Column::CaseId.is_in(case_ids.clone()))
        .order_by_asc(behaviour_report::Column::OccurredAt);
    if let Some(author) = report_author {
        report_query = report_query.filter(behaviour_report::Column::ReportedBy.eq(author));
    }
    let reports = report_query.all(db).await?;
    let report_ids: Vec<i64> = reports.iter().map(|r| r.id).collect();
    let mut types: HashMap<i64, Vec<String>> = HashMap::new();
    for t in behaviour_report_type::Entity::find()
        .filter(behaviour_report_type::Column::ReportId.is_in(report_ids))
        .all(db)
        .await?
    {
        types
            .entry(t.report_id)
            .or_default()
            .push(t.behaviour.as_str().to_string());
    }
    let mut by_case: HashMap<i64, Vec<BehaviourReport>> = HashMap::new();
    for r in reports {
        by_case.entry(r.case_id).or_default().push(BehaviourReport {
            id: ID(r.id.to_string()),
            behaviours: types.remove(&r.id).unwrap_or_default(),
            channel: r.channel.as_str().to_string(),
            occurred_at: r.occurred_at,
            description: Some(r.description),
            reporter_name: Some(r.reporter_name),
        });
    }
    Ok(cases
        .into_iter()
        .map(|c| CaseNode {
            id: ID(c.id.to_string()),
            reference: c.reference,
            service_code: services.get(&c.service_id).cloned().unwrap_or_default(),
            stage: c.stage.as_str().to_string(),
            status: c.status.as_str().to_string(),
            opened_at: c.opened_at,
            closed_at: c.closed_at,
            closure_reason: c.closure_reason,
            appeal_deadline: c.appeal_deadline,
            review_due_on: c.review_due_on,
            flagged_for_review: c.flagged_for_review,
            version: c.version,
            customer: customers.get(&c.customer_id).cloned().map(Customer::from),
            reports: by_case.remove(&c.id).unwrap_or_default(),
        })
        .collect())
}

#[Object]
impl CaseQuery {
    /// Cases you may see, ordered by id, as a Relay connection (`first` at most 100).
    /// Filter by service code, stage or status.
    async fn cases(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        service_code: Option<String>,
        stage: Option<String>,
        status: Option<String>,
    ) -> ApiResult<Connection<i64, CaseNode>> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let limit = match first {
            None => 50,
            Some(n) if n >= 1 && (n as u64) <= MAX_PAGE => n as u64,
            Some(_) => {
                return Err(ApiError::bad_input(
                    "first",
                    format!("first must be from 1 to {MAX_PAGE}"),
                ));
            }
        };
        let after_id = match after {
            None => 0,
            Some(c) => c
                .parse::<i64>()
                .map_err(|_| ApiError::bad_input("after", "not a cursor from this list"))?,
        };
        let scope = case_scope(&request.principal);
        let mut query = upc_case::Entity::find()
            .filter(scope.condition())
            .filter(upc_case::Column::Id.gt(after_id))
            .order_by_asc(upc_case::Column::Id)
            .limit(limit + 1);
        if let Some(code) = service_code {
            query = query.filter(
                upc_case::Column::ServiceId.in_subquery(
                    Query::select()
                        .column(service::Column::Id)
                        .from(service::Entity)
                        .and_where(Expr::col(service::Column::Code).eq(code))
                        .to_owned(),
                ),
            );
        }
        if let Some(stage) = stage {
            let stage = stage
                .parse::<entities::enums::CaseStage>()
                .map_err(|_| ApiError::bad_input("stage", format!("`{stage}` is not a stage")))?;
            query = query.filter(upc_case::Column::Stage.eq(stage));
        }
        if let Some(status) = status {
            let status = status.parse::<entities::enums::CaseStatus>().map_err(|_| {
                ApiError::bad_input("status", format!("`{status}` is not a status"))
            })?;
            query = query.filter(upc_case::Column::Status.eq(status));
        }
        let mut rows = query.all(db).await?;
        let has_next = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let nodes = case_nodes(db, rows, scope.report_author(&request.principal)).await?;
        let mut connection = Connection::new(after_id > 0, has_next);
        for node in nodes {
            let id = node.id.parse::<i64>().unwrap_or_default();
            connection.edges.push(Edge::new(id, node));
        }
        Ok(connection)
    }

    /// One case, if you may see it.
    async fn case(&self, ctx: &Context<'_>, id: ID) -> ApiResult<CaseNode> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let id = parse_id("id", &id)?;
        let scope = case_scope(&request.principal);
        let row = upc_case::Entity::find_by_id(id)
            .filter(scope.condition())
            .one(db)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no case {id} that you may see")))?;
        let mut nodes = case_nodes(db, vec![row], scope.report_author(&request.principal)).await?;
        nodes
            .pop()
            .ok_or_else(|| ApiError::NotFound(format!("no case {id}")))
    }

    /// Customers whose name or reference contains `search` (case-insensitive), among those with
    /// a case you may see; at most 50.
    async fn customers(&self, ctx: &Context<'_>, search: String) -> ApiResult<Vec<Customer>> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let needle = search.trim().to_lowercase();
        if needle.len() < 2 {
            return Err(ApiError::bad_input(
                "search",
                "search needs at least 2 characters",
            ));
        }
        let pattern = format!("%{}%", needle.replace(['%', '_'], ""));
        let scope = case_scope(&request.principal);
        Ok(customer::Entity::find()
            .filter(
                Condition::any()
                    .add(
                        Expr::expr(Func::lower(Expr::col(customer::Column::DisplayName)))
                            .like(&pattern),
                    )
                    .add(
                        Expr::expr(Func::lower(Expr::col(customer::Column::Reference)))
                            .like(&pattern),
                    ),
            )
            .filter(visible_customers(&scope))
            .order_by_asc(customer::Column::Reference)
            .limit(50)
            .all(db)
            .await?
            .into_iter()
            .map(Customer::from)
            .collect())
    }

    /// One customer, if they have a case you may see.
    async fn customer(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Customer> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let id = parse_id("id", &id)?;
        let scope = case_scope(&request.principal);
        customer::Entity::find_by_id(id)
            .filter(visible_customers(&scope))
            .one(db)
            .await?
            .map(Customer::from)
            .ok_or_else(|| ApiError::NotFound(format!("no customer {id} that you may see")))
    }
}

fn visible_customers(scope: &CaseScope) -> Condition {
    match scope {
        CaseScope::All => Condition::all(),
        limited => Condition::all().add(
            customer::Column::Id.in_subquery(
                Query::select()
                    .column(upc_case::Column::CustomerId)
                    .from(upc_case::Entity)
                    .cond_where(limited.condition())
                    .to_owned(),
            ),
        ),
    }
}
