//! Reading for the API's queries: a case's records in batches for a whole page (one statement
//! per kind of record, `WHERE case_id IN (...)`), case and customer lists through the caller's
//! row scope (5.4), the audit trail's pages, and the directory. The GraphQL adapter decides what
//! to read; the statements are built here.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use entities::enums::{CaseStage, CaseStatus, Language, LetterKind};
use entities::{
    access_read, appeal, audit_event, behaviour_report, behaviour_report_type, breach,
    call_termination, closure_day, customer, customer_member, determination, establishment,
    exclusion, exclusion_establishment, harassment_referral, harassment_referral_call, hs_incident,
    letter, letter_template, new_issue_consideration, police_referral, recording_request,
    representative, restriction, review, service, staff_member, staff_member_service, staff_role,
    staff_team, stage_1_warning, stage_2_decision, upc_case,
};
use sea_orm::sea_query::{Expr, Func, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait, IntoSimpleExpr,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::authz::scope::{CaseScope, case_scope};
use crate::domain::roles::Principal;
use crate::error::{ApiError, ApiResult};
use crate::store::facts::visible_case_ids;
use crate::subject_access::about;

pub use super::restriction_line::RestrictionLine;

/// A table whose rows belong to a case, listed oldest first.
pub trait CaseChild: EntityTrait {
    /// The `case_id` column.
    fn case_column() -> Self::Column;
    /// The column that orders a case's rows (then `id`).
    fn order_column() -> Self::Column;
    /// The id column.
    fn id_column() -> Self::Column;
    /// The case a row belongs to.
    fn case_of(model: &Self::Model) -> i64;
}

macro_rules! case_child {
    ($($module:ident => $order:ident),* $(,)?) => {
        $(
            impl CaseChild for $module::Entity {
                fn case_column() -> Self::Column {
                    $module::Column::CaseId
                }
                fn order_column() -> Self::Column {
                    $module::Column::$order
                }
                fn id_column() -> Self::Column {
                    $module::Column::Id
                }
                fn case_of(model: &Self::Model) -> i64 {
                    model.case_id
                }
            }
        )*
    };
}

case_child! {
    determination => DecidedAt,
    stage_1_warning => CreatedAt,
    appeal => CreatedAt,
    stage_2_decision => CreatedAt,
    restriction => CreatedAt,
    breach => OccurredAt,
    review => CreatedAt,
    new_issue_consideration => CreatedAt,
    letter => IssuedAt,
    hs_incident => ReportedAt,
    exclusion => CreatedAt,
    police_referral => ReferredOn,
    call_termination => TerminatedAt,
    harassment_referral => ReferredAt,
}

/// Contacts may have no case (a customer not yet on a case); those never match a case key.
impl CaseChild for entities::contact::Entity {
    fn case_column() -> Self::Column {
        entities::contact::Column::CaseId
    }
    fn order_column() -> Self::Column {
        entities::contact::Column::OccurredAt
    }
    fn id_column() -> Self::Column {
        entities::contact::Column::Id
    }
    fn case_of(model: &Self::Model) -> i64 {
        model.case_id.unwrap_or_default()
    }
}

/// Requests to record may have no case; those never match a case key.
impl CaseChild for recording_request::Entity {
    fn case_column() -> Self::Column {
        recording_request::Column::CaseId
    }
    fn order_column() -> Self::Column {
        recording_request::Column::RequestedAt
    }
    fn id_column() -> Self::Column {
        recording_request::Column::Id
    }
    fn case_of(model: &Self::Model) -> i64 {
        model.case_id.unwrap_or_default()
    }
}

/// Every `E` of the cases `case_ids`, by case, oldest first; every case has an entry.
pub async fn children_of<E, C>(
    db: &C,
    case_ids: &[i64],
) -> Result<HashMap<i64, Vec<E::Model>>, DbErr>
where
    E: CaseChild,
    C: ConnectionTrait,
{
    let rows = E::find()
        .filter(E::case_column().is_in(case_ids.to_vec()))
        .order_by_asc(E::order_column().into_simple_expr())
        .order_by_asc(E::id_column().into_simple_expr())
        .all(db)
        .await?;
    let mut out: HashMap<i64, Vec<E::Model>> =
        case_ids.iter().map(|id| (*id, Vec::new())).collect();
    for row in rows {
        out.entry(E::case_of(&row)).or_default().push(row);
    }
    Ok(out)
}

/// Where [`children_json_column`] leaves the match on the case id, which [`children_json`] fills
/// in: `= $1` for one case, `= ANY($1)` for several. (With one case PostgreSQL settles on a
/// generic plan for the prepared statement; with `ANY` of an array it estimates the generic plan
/// dearer and plans the sixteen sub-selects afresh every time, which cost more than running
/// them.)
pub(crate) const CASE_MATCH: &str = "{case_match}";

/// PostgreSQL: what [`children_of`] reads for `E`, as one column of [`children_json`]'s
/// statement: the cases' rows as one JSON array of whole rows, in the same order.
pub fn children_json_column<E: CaseChild>() -> String {
    use sea_orm::IdenStatic;
    format!(
        "(SELECT coalesce(json_agg(t ORDER BY t.\"{order}\", t.\"{id}\"), '[]')::text \
         FROM \"{table}\" t WHERE t.\"{case}\" {CASE_MATCH})",
        order = E::order_column().as_str(),
        id = E::id_column().as_str(),
        table = E::default().table_name(),
        case = E::case_column().as_str(),
    )
}

/// PostgreSQL: several kinds of the cases' records in ONE statement, where [`children_of`]
/// takes one per kind: `columns` are [`children_json_column`]s; one JSON text per column, in
/// order. (PostGraphile answers a case page with one statement; seventeen round trips cost more
/// than the rows.)
pub async fn children_json<C: ConnectionTrait>(
    db: &C,
    case_ids: &[i64],
    columns: &[String],
) -> Result<Vec<String>, DbErr> {
    if columns.is_empty() || case_ids.is_empty() {
        return Ok(vec!["[]".to_string(); columns.len()]);
    }
    let (case_match, value): (&str, sea_orm::Value) = match case_ids {
        [one] => ("= $1", (*one).into()),
        many => ("= ANY($1)", many.to_vec().into()),
    };
    let statement = sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        format!("SELECT {}", columns.join(", ")).replace(CASE_MATCH, case_match),
        [value],
    );
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("a case's records".into()))?;
    (0..columns.len())
        .map(|i| row.try_get_by_index::<String>(i))
        .collect()
}

/// One kind's JSON from [`children_json`] as [`children_of`] gives it: by case, every case an
/// entry.
pub fn children_from_json<E>(
    case_ids: &[i64],
    json: &str,
) -> Result<HashMap<i64, Vec<E::Model>>, DbErr>
where
    E: CaseChild,
    E::Model: serde::de::DeserializeOwned,
{
    let rows: Vec<E::Model> = serde_json::from_str(json).map_err(|e| {
        DbErr::Custom(format!(
            "reading {} as JSON: {e}",
            sea_orm::EntityName::table_name(&E::default())
        ))
    })?;
    let mut out: HashMap<i64, Vec<E::Model>> =
        case_ids.iter().map(|id| (*id, Vec::new())).collect();
    for row in rows {
        out.entry(E::case_of(&row)).or_default().push(row);
    }
    Ok(out)
}

/// The behaviour reports of the cases `case_ids` (only `author`'s, when given), oldest first,
/// each with the behaviour types it names; every case has an entry.
pub async fn reports_of<C: ConnectionTrait>(
    db: &C,
    case_ids: &[i64],
    author: Option<&str>,
) -> Result<HashMap<i64, Vec<(behaviour_report::Model, Vec<String>)>>, DbErr> {
    let mut query = behaviour_report::Entity::find()
        .filter(behaviour_report::Column::CaseId.is_in(case_ids.to_vec()))
        .order_by_asc(behaviour_report::Column::OccurredAt)
        .order_by_asc(behaviour_report::Column::Id);
    if let Some(author) = author {
        query = query.filter(behaviour_report::Column::ReportedBy.eq(author));
    }
    let reports = query.all(db).await?;
    let report_ids: Vec<i64> = reports.iter().map(|r| r.id).collect();
    let mut types: HashMap<i64, Vec<String>> = HashMap::new();
    for t in behaviour_report_type::Entity::find()
        .filter(behaviour_report_type::Column::ReportId.is_in(report_ids))
        .order_by_asc(behaviour_report_type::Column::Behaviour)
        .all(db)
        .await?
    {
        types
            .entry(t.report_id)
            .or_default()
            .push(t.behaviour.as_str().to_string());
    }
    let mut out: HashMap<i64, Vec<(behaviour_report::Model, Vec<String>)>> =
        case_ids.iter().map(|id| (*id, Vec::new())).collect();
    for report in reports {
        let behaviours = types.remove(&report.id).unwrap_or_default();
        out.entry(report.case_id)
            .or_default()
            .push((report, behaviours));
    }
    Ok(out)
}

/// Rows of `E` by id.
pub async fn by_id<E, C>(db: &C, id_column: E::Column, ids: &[i64]) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    E::find()
        .filter(id_column.is_in(ids.to_vec()))
        .all(db)
        .await
}

/// The premises of each of the exclusions `ids`, in id order.
pub async fn premises_of<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<i64>>, DbErr> {
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    for row in exclusion_establishment::Entity::find()
        .filter(exclusion_establishment::Column::ExclusionId.is_in(ids.to_vec()))
        .order_by_asc(exclusion_establishment::Column::EstablishmentId)
        .all(db)
        .await?
    {
        out.entry(row.exclusion_id)
            .or_default()
            .push(row.establishment_id);
    }
    Ok(out)
}

/// The terminated calls each of the harassment referrals `ids` rests on, in id order.
pub async fn calls_of<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<i64>>, DbErr> {
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    for row in harassment_referral_call::Entity::find()
        .filter(harassment_referral_call::Column::HarassmentReferralId.is_in(ids.to_vec()))
        .order_by_asc(harassment_referral_call::Column::CallTerminationId)
        .all(db)
        .await?
    {
        out.entry(row.harassment_referral_id)
            .or_default()
            .push(row.call_termination_id);
    }
    Ok(out)
}

/// What a case list is narrowed to (every part optional, combined with AND).
#[derive(Debug, Clone, Default)]
pub struct CaseListFilter {
    /// The service's code.
    pub service_code: Option<String>,
    /// Where the case stands.
    pub stage: Option<CaseStage>,
    /// Open or closed.
    pub status: Option<CaseStatus>,
    /// Opened on or after this day (UTC).
    pub opened_from: Option<NaiveDate>,
    /// Opened on or before this day (UTC).
    pub opened_to: Option<NaiveDate>,
    /// Review due on or before this day.
    pub review_due_by: Option<NaiveDate>,
    /// Flagged for early review, or not.
    pub flagged_for_review: Option<bool>,
}

/// A page of the cases `principal` may see that `filter` lets through, by id after `after_id`,
/// at most `limit`, and whether more follow.
pub async fn case_page<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    filter: CaseListFilter,
    after_id: i64,
    limit: u64,
) -> ApiResult<(Vec<upc_case::Model>, bool)> {
    let reads = ListReads::for_backend(db);
    case_page_read(db, principal, filter, after_id, limit, reads).await
}

/// [`case_page`], reading its rows as `reads` says.
async fn case_page_read<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    filter: CaseListFilter,
    after_id: i64,
    limit: u64,
    reads: ListReads,
) -> ApiResult<(Vec<upc_case::Model>, bool)> {
    // One row more than `limit`, to know whether more follow.
    let fetch = limit.saturating_add(1);
    let query = case_page_query(principal, filter, after_id);
    let mut rows = if reads == ListReads::ByPosition {
        use sea_orm::QueryTrait;
        // The page size is written into the statement, not bound: with `LIMIT $n` PostgreSQL
        // cannot tell from a generic plan how many rows the limit keeps, so it planned the
        // statement afresh on every execution (a custom plan each time: a tenth of its time
        // under the case list). A number written here cannot carry anything but a number.
        let mut statement = query.build(sea_orm::DbBackend::Postgres);
        statement.sql.push_str(&format!(" LIMIT {fetch}"));
        db.query_all_raw(statement)
            .await?
            .iter()
            .map(super::list_pg::case_at)
            .collect::<Result<Vec<_>, DbErr>>()?
    } else {
        query.limit(fetch).all(db).await?
    };
    let has_next = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((rows, has_next))
}

/// The statement of [`case_page`] but its limit: the cases `principal` may see that `filter`
/// lets through, by id after `after_id`, in order of id.
fn case_page_query(
    principal: &Principal,
    filter: CaseListFilter,
    after_id: i64,
) -> sea_orm::Select<upc_case::Entity> {
    let mut query = upc_case::Entity::find()
        .filter(case_scope(principal).condition())
        .filter(upc_case::Column::Id.gt(after_id))
        .order_by_asc(upc_case::Column::Id);
    if let Some(code) = filter.service_code {
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
    if let Some(stage) = filter.stage {
        query = query.filter(upc_case::Column::Stage.eq(stage));
    }
    if let Some(status) = filter.status {
        query = query.filter(upc_case::Column::Status.eq(status));
    }
    if let Some(from) = filter.opened_from {
        query =
            query.filter(upc_case::Column::OpenedAt.gte(from.and_time(NaiveTime::MIN).and_utc()));
    }
    if let Some(to) = filter.opened_to {
        let next_day = to.succ_opt().unwrap_or(to);
        query = query
            .filter(upc_case::Column::OpenedAt.lt(next_day.and_time(NaiveTime::MIN).and_utc()));
    }
    if let Some(by) = filter.review_due_by {
        query = query.filter(upc_case::Column::ReviewDueOn.lte(by));
    }
    if let Some(flagged) = filter.flagged_for_review {
        query = query.filter(upc_case::Column::FlaggedForReview.eq(flagged));
    }
    query
}

/// What a planned case list (`graphql::plan`) reads beside the page of cases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseListParts {
    /// Each case's customer.
    pub customers: bool,
    /// Each case's service.
    pub services: bool,
    /// Each case's restrictions, oldest first.
    pub restrictions: bool,
    /// The restrictions' details (`parameters`, JSON): read only when asked for, as whole rows.
    pub restriction_parameters: bool,
}

/// The restrictions of the cases `case_ids` without their details, in a case's order
/// ([`CaseChild`]); every case has an entry.
async fn restriction_lines<C: ConnectionTrait>(
    db: &C,
    case_ids: &[i64],
) -> Result<HashMap<i64, Vec<RestrictionLine>>, DbErr> {
    use restriction::Column as R;
    let rows = restriction::Entity::find()
        .select_only()
        .columns([
            R::Id,
            R::CaseId,
            R::Kind,
            R::StartsOn,
            R::EndsOn,
            R::ReviewDueOn,
            R::Status,
            R::Permanent,
            R::LiftedOn,
            R::LiftedReason,
            R::Version,
        ])
        .filter(R::CaseId.is_in(case_ids.to_vec()))
        .order_by_asc(<restriction::Entity as CaseChild>::order_column().into_simple_expr())
        .order_by_asc(R::Id)
        .into_model::<RestrictionLine>()
        .all(db)
        .await?;
    let mut out: HashMap<i64, Vec<RestrictionLine>> =
        case_ids.iter().map(|id| (*id, Vec::new())).collect();
    for row in rows {
        out.entry(row.case_id).or_default().push(row);
    }
    Ok(out)
}

/// How the case list reads its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListReads {
    /// SeaORM's statements (`IN (...)` lists), rows decoded by column name: SQLite, and
    /// PostgreSQL when a test compares both ways.
    ByName,
    /// PostgreSQL only: fixed statements with the ids as one array, rows decoded by position
    /// ([`super::list_pg`]).
    ByPosition,
}

impl ListReads {
    /// [`ListReads::ByPosition`] on PostgreSQL, [`ListReads::ByName`] elsewhere.
    pub fn for_backend<C: ConnectionTrait>(db: &C) -> Self {
        match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => ListReads::ByPosition,
            _ => ListReads::ByName,
        }
    }
}

/// A page of cases with the records a planned read asked for.
#[derive(Debug, Default, PartialEq)]
pub struct CaseListRows {
    /// The page, by id.
    pub cases: Vec<upc_case::Model>,
    /// Whether more cases follow the page.
    pub has_next: bool,
    /// The page's customers by id (when asked for).
    pub customers: HashMap<i64, customer::Model>,
    /// The page's services by id (when asked for).
    pub services: HashMap<i64, service::Model>,
    /// Each case's restrictions, oldest first (when asked for; every case of the page has an
    /// entry).
    pub restrictions: HashMap<i64, Vec<RestrictionLine>>,
    /// The restrictions' details by restriction id (when asked for), as the API shows them.
    pub restriction_parameters: HashMap<i64, serde_json::Value>,
}

/// A page of the cases `principal` may see (as [`case_page`]) and the `parts` asked for,
/// whatever the page's length: on PostgreSQL one statement for the page and one for its
/// customers, services and restrictions ([`super::list_pg::parts`]; a restriction's details,
/// when asked for, are read beside it); elsewhere one statement per part, read at the same time. (Joining the customers and services into the page's statement was measured
/// slower on PostgreSQL: 822 against 941 pages a second.)
pub async fn case_list_rows<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    filter: CaseListFilter,
    after_id: i64,
    limit: u64,
    parts: CaseListParts,
) -> ApiResult<CaseListRows> {
    let reads = ListReads::for_backend(db);
    case_list_rows_read(db, principal, filter, after_id, limit, parts, reads).await
}

/// [`case_list_rows`], reading the rows as `reads` says (the tests compare both ways).
pub async fn case_list_rows_read<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    filter: CaseListFilter,
    after_id: i64,
    limit: u64,
    parts: CaseListParts,
    reads: ListReads,
) -> ApiResult<CaseListRows> {
    let (cases, has_next) = case_page_read(db, principal, filter, after_id, limit, reads).await?;
    if cases.is_empty() {
        return Ok(CaseListRows {
            cases,
            has_next,
            ..CaseListRows::default()
        });
    }
    let ids = |key: fn(&upc_case::Model) -> i64| {
        let mut ids: Vec<i64> = cases.iter().map(key).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let case_ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
    let customer_ids = ids(|c| c.customer_id);
    let service_ids = ids(|c| c.service_id);
    if reads == ListReads::ByPosition {
        // One statement for the customers, services and restrictions asked for (an empty
        // array reads nothing), the restrictions' details beside it when asked for.
        let lines = parts.restrictions && !parts.restriction_parameters;
        let asked = |wanted: bool, ids: &[i64]| if wanted { ids.to_vec() } else { Vec::new() };
        let (customer_ids, service_ids, line_case_ids) = (
            asked(parts.customers, &customer_ids),
            asked(parts.services, &service_ids),
            asked(lines, &case_ids),
        );
        let read = async {
            if customer_ids.is_empty() && service_ids.is_empty() && line_case_ids.is_empty() {
                return Ok(super::list_pg::Parts::default());
            }
            super::list_pg::parts(db, &customer_ids, &service_ids, &line_case_ids).await
        };
        let details = async {
            if parts.restrictions && parts.restriction_parameters {
                restrictions_with_details(db, &case_ids).await
            } else {
                Ok((HashMap::new(), HashMap::new()))
            }
        };
        let (read, (mut restrictions, restriction_parameters)) = tokio::try_join!(read, details)?;
        if lines {
            restrictions = case_ids.iter().map(|id| (*id, Vec::new())).collect();
            for row in read.restriction_lines {
                restrictions.entry(row.case_id).or_default().push(row);
            }
        }
        return Ok(CaseListRows {
            cases,
            has_next,
            customers: read.customers.into_iter().map(|r| (r.id, r)).collect(),
            services: read.services.into_iter().map(|r| (r.id, r)).collect(),
            restrictions,
            restriction_parameters,
        });
    }
    let customers = async {
        if !parts.customers {
            return Ok(HashMap::new());
        }
        let rows = by_id::<customer::Entity, _>(db, customer::Column::Id, &customer_ids).await?;
        Ok::<_, DbErr>(rows.into_iter().map(|r| (r.id, r)).collect())
    };
    let services = async {
        if !parts.services {
            return Ok(HashMap::new());
        }
        let rows = by_id::<service::Entity, _>(db, service::Column::Id, &service_ids).await?;
        Ok::<_, DbErr>(rows.into_iter().map(|r| (r.id, r)).collect())
    };
    let restrictions = async {
        if !parts.restrictions {
            return Ok((HashMap::new(), HashMap::new()));
        }
        if !parts.restriction_parameters {
            return Ok((restriction_lines(db, &case_ids).await?, HashMap::new()));
        }
        restrictions_with_details(db, &case_ids).await
    };
    let (customers, services, (restrictions, restriction_parameters)) =
        tokio::try_join!(customers, services, restrictions)?;
    Ok(CaseListRows {
        cases,
        has_next,
        customers,
        services,
        restrictions,
        restriction_parameters,
    })
}

/// The restrictions of the cases `case_ids` as whole rows: each case's lines (every case has an
/// entry) and the details by restriction id, as the API shows them.
async fn restrictions_with_details<C: ConnectionTrait>(
    db: &C,
    case_ids: &[i64],
) -> Result<RestrictionsWithDetails, DbErr> {
    let mut parameters = HashMap::new();
    let lines = children_of::<restriction::Entity, _>(db, case_ids)
        .await?
        .into_iter()
        .map(|(case, rows)| {
            for m in &rows {
                if let Ok(value) = serde_json::to_value(&m.parameters) {
                    parameters.insert(m.id, value);
                }
            }
            (case, rows.iter().map(RestrictionLine::from).collect())
        })
        .collect();
    Ok((lines, parameters))
}

/// Each case's restriction lines and the restrictions' details by id.
type RestrictionsWithDetails = (
    HashMap<i64, Vec<RestrictionLine>>,
    HashMap<i64, serde_json::Value>,
);

/// The customers with a case `principal` may see (all for those who see every case), and
/// those recorded on their own by one of `principal`'s services (5.4).
fn visible_customers(principal: &Principal) -> Condition {
    match case_scope(principal) {
        CaseScope::All => Condition::all(),
        limited => {
            let mut any = Condition::any().add(
                customer::Column::Id.in_subquery(
                    Query::select()
                        .column(upc_case::Column::CustomerId)
                        .from(upc_case::Entity)
                        .cond_where(limited.condition())
                        .to_owned(),
                ),
            );
            if let CaseScope::Limited { services, .. } = &limited
                && !services.is_empty()
            {
                any = any.add(
                    customer::Column::ServiceId.in_subquery(
                        Query::select()
                            .column(service::Column::Id)
                            .from(service::Entity)
                            .and_where(
                                Expr::col(service::Column::Code).is_in(services.iter().cloned()),
                            )
                            .to_owned(),
                    ),
                );
            }
            Condition::all().add(any)
        }
    }
}

/// Customers whose name or reference contains `needle` (lower case), among those `principal`
/// may see (a case they may see, or recorded by their service), not merged into another; at
/// most 50, by reference.
pub async fn customers_matching<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    needle: &str,
) -> ApiResult<Vec<customer::Model>> {
    let pattern = format!("%{}%", needle.replace(['%', '_'], ""));
    Ok(customer::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(customer::Column::DisplayName)))
                        .like(&pattern),
                )
                .add(
                    Expr::expr(Func::lower(Expr::col(customer::Column::Reference))).like(&pattern),
                ),
        )
        .filter(visible_customers(principal))
        .filter(customer::Column::MergedIntoId.is_null())
        .order_by_asc(customer::Column::Reference)
        .limit(50)
        .all(db)
        .await?)
}

/// Customer `id`, if `principal` may see them (a case they may see, or recorded by their
/// service).
pub async fn visible_customer<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: i64,
) -> ApiResult<customer::Model> {
    customer::Entity::find_by_id(id)
        .filter(visible_customers(principal))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no customer {id} that you may see")))
}

/// The members of customer `id`, in the order added.
pub async fn members_of<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> ApiResult<Vec<customer_member::Model>> {
    Ok(customer_member::Entity::find()
        .filter(customer_member::Column::CustomerId.eq(id))
        .order_by_asc(customer_member::Column::Id)
        .all(db)
        .await?)
}

/// The representatives of customer `id`, in the order added.
pub async fn representatives_of<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> ApiResult<Vec<representative::Model>> {
    Ok(representative::Entity::find()
        .filter(representative::Column::CustomerId.eq(id))
        .order_by_asc(representative::Column::Id)
        .all(db)
        .await?)
}

/// Letter `id`, if `principal` may see its case.
pub async fn visible_letter<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: i64,
) -> ApiResult<letter::Model> {
    letter::Entity::find_by_id(id)
        .filter(letter::Column::CaseId.in_subquery(visible_case_ids(principal)))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no letter {id} that you may see")))
}

/// Every stored version of the letter templates, by kind and language, newest first.
pub async fn letter_templates<C: ConnectionTrait>(
    db: &C,
    kind: Option<LetterKind>,
    language: Option<Language>,
) -> ApiResult<Vec<letter_template::Model>> {
    let mut query = letter_template::Entity::find()
        .order_by_asc(letter_template::Column::Kind)
        .order_by_asc(letter_template::Column::Language)
        .order_by_desc(letter_template::Column::TemplateVersion);
    if let Some(kind) = kind {
        query = query.filter(letter_template::Column::Kind.eq(kind));
    }
    if let Some(language) = language {
        query = query.filter(letter_template::Column::Language.eq(language));
    }
    Ok(query.all(db).await?)
}

/// Template `id`.
pub async fn letter_template<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> ApiResult<letter_template::Model> {
    letter_template::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no template {id}")))
}

/// The council's closure days, in date order.
pub async fn closure_days<C: ConnectionTrait>(db: &C) -> ApiResult<Vec<closure_day::Model>> {
    Ok(closure_day::Entity::find()
        .order_by_asc(closure_day::Column::Day)
        .all(db)
        .await?)
}

/// Open cases `principal` may see whose review is due by `horizon`, soonest first; at most 200.
pub async fn reviews_due<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    horizon: NaiveDate,
) -> ApiResult<Vec<upc_case::Model>> {
    Ok(upc_case::Entity::find()
        .filter(case_scope(principal).condition())
        .filter(upc_case::Column::Status.eq(CaseStatus::Open))
        .filter(upc_case::Column::ReviewDueOn.lte(horizon))
        .order_by_asc(upc_case::Column::ReviewDueOn)
        .order_by_asc(upc_case::Column::Id)
        .limit(200)
        .all(db)
        .await?)
}

/// The code of every service, by id.
pub async fn service_codes<C: ConnectionTrait>(db: &C) -> ApiResult<HashMap<i64, String>> {
    Ok(service::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.code))
        .collect())
}

/// Every council service, by code.
pub async fn services<C: ConnectionTrait>(db: &C) -> ApiResult<Vec<service::Model>> {
    Ok(service::Entity::find()
        .order_by_asc(service::Column::Code)
        .all(db)
        .await?)
}

/// Every council establishment, by name, with the code of the service that runs it.
pub async fn establishments<C: ConnectionTrait>(
    db: &C,
) -> ApiResult<Vec<(establishment::Model, Option<String>)>> {
    let codes = service_codes(db).await?;
    Ok(establishment::Entity::find()
        .order_by_asc(establishment::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|e| {
            let code = e.service_id.and_then(|id| codes.get(&id).cloned());
            (e, code)
        })
        .collect())
}

/// What the staff directory is narrowed to (combined with AND).
#[derive(Debug, Clone, Default)]
pub struct StaffFilter {
    /// Those who belong to, or hold a role in, the service with this code.
    pub service_code: Option<String>,
    /// Those who hold this role (in `service_code` when given), by its token name.
    pub role: Option<String>,
    /// Those in use (`true`) or deactivated (`false`).
    pub active: Option<bool>,
}

/// One entry of the staff directory.
#[derive(Debug, Clone)]
pub struct StaffEntry {
    /// The member of staff.
    pub member: staff_member::Model,
    /// Codes of the services they belong to or hold a role in.
    pub service_codes: Vec<String>,
    /// The roles they hold: (role token name, service code).
    pub roles: Vec<(String, String)>,
}

/// The staff directory, by name, narrowed by `filter`, with the services each belongs to and
/// the roles they hold per service.
pub async fn staff_members<C: ConnectionTrait>(
    db: &C,
    filter: &StaffFilter,
) -> ApiResult<Vec<StaffEntry>> {
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
    let mut roles: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    for held in staff_role::Entity::find()
        .order_by_asc(staff_role::Column::Id)
        .all(db)
        .await?
    {
        if let Some(code) = codes.get(&held.service_id) {
            let services = memberships.entry(held.staff_member_id).or_default();
            if !services.contains(code) {
                services.push(code.clone());
            }
            roles
                .entry(held.staff_member_id)
                .or_default()
                .push((held.role, code.clone()));
        }
    }
    let mut query = staff_member::Entity::find().order_by_asc(staff_member::Column::DisplayName);
    if let Some(active) = filter.active {
        query = query.filter(staff_member::Column::Active.eq(active));
    }
    Ok(query
        .all(db)
        .await?
        .into_iter()
        .map(|member| {
            let mut service_codes = memberships.remove(&member.id).unwrap_or_default();
            service_codes.sort();
            StaffEntry {
                roles: roles.remove(&member.id).unwrap_or_default(),
                service_codes,
                member,
            }
        })
        .filter(|entry| {
            let in_service = filter
                .service_code
                .as_ref()
                .is_none_or(|code| entry.service_codes.contains(code));
            let holds = filter.role.as_ref().is_none_or(|role| {
                entry.roles.iter().any(|(r, code)| {
                    r == role
                        && filter
                            .service_code
                            .as_ref()
                            .is_none_or(|wanted| wanted == code)
                })
            });
            in_service && holds
        })
        .collect())
}

/// The teams, by service and name, narrowed to one service and to those in use or not.
pub async fn staff_teams<C: ConnectionTrait>(
    db: &C,
    service_code: Option<&str>,
    active: Option<bool>,
) -> ApiResult<Vec<(staff_team::Model, String)>> {
    let codes = service_codes(db).await?;
    let mut query = staff_team::Entity::find()
        .order_by_asc(staff_team::Column::ServiceId)
        .order_by_asc(staff_team::Column::Name);
    if let Some(active) = active {
        query = query.filter(staff_team::Column::Active.eq(active));
    }
    Ok(query
        .all(db)
        .await?
        .into_iter()
        .filter_map(|t| {
            let code = codes.get(&t.service_id)?.clone();
            Some((t, code))
        })
        .filter(|(_, code)| service_code.is_none_or(|wanted| wanted == code))
        .collect())
}

/// The members of staff in use who hold `role` in service `service_id`, by name.
pub async fn role_holders<C: ConnectionTrait>(
    db: &C,
    service_id: i64,
    role: &str,
) -> ApiResult<Vec<staff_member::Model>> {
    let ids: Vec<i64> = staff_role::Entity::find()
        .filter(staff_role::Column::ServiceId.eq(service_id))
        .filter(staff_role::Column::Role.eq(role))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.staff_member_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(staff_member::Entity::find()
        .filter(staff_member::Column::Id.is_in(ids))
        .filter(staff_member::Column::Active.eq(true))
        .order_by_asc(staff_member::Column::DisplayName)
        .all(db)
        .await?)
}

/// What a page of the audit trail or the access records is narrowed to (combined with AND).
#[derive(Debug, Clone, Default)]
pub struct TrailFilter {
    /// One case.
    pub case: Option<i64>,
    /// One customer (what counts as about them depends on the record; see `subject_access::about`).
    pub customer: Option<i64>,
    /// Who acted or read.
    pub actor: Option<String>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// At or before.
    pub to: Option<DateTime<Utc>>,
}

/// The columns a trail filter narrows, in one table: its id, case, actor and time.
struct TrailColumns<Col> {
    id: Col,
    case: Col,
    actor: Col,
    at: Col,
}

impl TrailFilter {
    /// Rows after `after_id` that match, in the table of `c`; `about` is the customer's
    /// condition for that table, when a customer is asked for.
    fn condition<Col: ColumnTrait>(
        &self,
        after_id: i64,
        c: TrailColumns<Col>,
        about: Option<Condition>,
    ) -> Condition {
        let mut cond = Condition::all().add(c.id.gt(after_id));
        if let Some(case) = self.case {
            cond = cond.add(c.case.eq(case));
        }
        if let Some(about) = about {
            cond = cond.add(about);
        }
        if let Some(actor) = &self.actor {
            cond = cond.add(c.actor.eq(actor.clone()));
        }
        if let Some(from) = self.from {
            cond = cond.add(c.at.gte(from));
        }
        if let Some(to) = self.to {
            cond = cond.add(c.at.lte(to));
        }
        cond
    }
}

/// One page of `E` matching `cond`, by id, and whether more follow.
async fn page_of<E: EntityTrait, C: ConnectionTrait>(
    db: &C,
    cond: Condition,
    id: E::Column,
    limit: u64,
) -> ApiResult<(Vec<E::Model>, bool)> {
    let mut rows = E::find()
        .filter(cond)
        .order_by_asc(id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let has_next = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((rows, has_next))
}

/// A page of audit events, oldest first (the order of the chain).
pub async fn audit_events<C: ConnectionTrait>(
    db: &C,
    filter: &TrailFilter,
    after_id: i64,
    limit: u64,
) -> ApiResult<(Vec<audit_event::Model>, bool)> {
    let about = match filter.customer {
        Some(customer) => Some(about::audit_events_about(db, customer).await?),
        None => None,
    };
    let cond = filter.condition(
        after_id,
        TrailColumns {
            id: audit_event::Column::Id,
            case: audit_event::Column::CaseId,
            actor: audit_event::Column::ActorSub,
            at: audit_event::Column::OccurredAt,
        },
        about,
    );
    page_of::<audit_event::Entity, _>(db, cond, audit_event::Column::Id, limit).await
}

/// A page of access records, oldest first: the records after `after_id` that match, at most
/// `limit`, and whether more follow. Rows (one per request, operation and kind of information)
/// are chosen by the filter, then their records are checked one by one: a row that names the
/// case asked for can also hold other cases' records.
pub async fn access_records<C: ConnectionTrait>(
    db: &C,
    filter: &TrailFilter,
    after_id: i64,
    limit: u64,
) -> ApiResult<(Vec<access_read::Record>, bool)> {
    let backend = db.get_database_backend();
    let about = match filter.customer {
        Some(customer) => Some(about::AccessAbout::of(db, customer).await?),
        None => None,
    };
    let mut cond = Condition::all()
        .add(access_read::Column::Id.gte(access_read::Record::row_of(Ord::max(after_id, 0))));
    if let Some(case) = filter.case {
        cond = cond.add(about::names(backend, about::IdList::Cases, case));
    }
    if let Some(about) = &about {
        cond = cond.add(about.rows(backend));
    }
    if let Some(actor) = &filter.actor {
        cond = cond.add(access_read::Column::ActorSub.eq(actor.clone()));
    }
    if let Some(from) = filter.from {
        cond = cond.add(access_read::Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        cond = cond.add(access_read::Column::OccurredAt.lte(to));
    }
    // Every row after the first holds at least one matching record (the first may hold only
    // records at or before the cursor): `limit + 2` rows give `limit + 1` records if there are.
    let rows = access_read::Entity::find()
        .filter(cond)
        .order_by_asc(access_read::Column::Id)
        .limit(limit + 2)
        .all(db)
        .await?;
    let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut records: Vec<access_read::Record> = rows
        .iter()
        .flat_map(access_read::Model::records)
        .filter(|r| r.id > after_id)
        .filter(|r| filter.case.is_none_or(|case| r.case_id == Some(case)))
        .filter(|r| about.as_ref().is_none_or(|about| about.covers(r)))
        .take(wanted.saturating_add(1))
        .collect();
    let has_next = records.len() > wanted;
    records.truncate(wanted);
    Ok((records, has_next))
}

/// The customer an audit event is about, when it says: the customer record itself, or a
/// `customer_id` in its before or after.
pub fn customer_of(m: &audit_event::Model) -> Option<i64> {
    if m.entity_type == "customer" {
        return m.entity_id.as_deref().and_then(|id| id.parse().ok());
    }
    [&m.after, &m.before]
        .into_iter()
        .flatten()
        .find_map(|v| v.get("customer_id").and_then(serde_json::Value::as_i64))
}

/// Which decision considered reasonable adjustments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsideredBy {
    /// A Stage 1 warning.
    Warning(i64),
    /// A Stage 2 decision.
    Decision(i64),
    /// A review.
    Review(i64),
}

/// The customer's reasonable adjustments, ended or not, in id order (the caller already may
/// see the customer).
pub async fn adjustments_of_customer<C: ConnectionTrait>(
    db: &C,
    customer_id: i64,
) -> ApiResult<Vec<entities::reasonable_adjustment::Model>> {
    Ok(super::facts::adjustments_of(db, customer_id).await?)
}

/// The reasonable adjustments a decision linked as considered, in id order (the caller already
/// may see the decision's case).
pub async fn adjustments_considered<C: ConnectionTrait>(
    db: &C,
    by: ConsideredBy,
) -> ApiResult<Vec<entities::reasonable_adjustment::Model>> {
    use entities::{
        reasonable_adjustment as ra, review_adjustment, stage_1_warning_adjustment,
        stage_2_decision_adjustment,
    };
    let linked = match by {
        ConsideredBy::Warning(id) => Query::select()
            .column(stage_1_warning_adjustment::Column::AdjustmentId)
            .from(stage_1_warning_adjustment::Entity)
            .and_where(stage_1_warning_adjustment::Column::WarningId.eq(id))
            .to_owned(),
        ConsideredBy::Decision(id) => Query::select()
            .column(stage_2_decision_adjustment::Column::AdjustmentId)
            .from(stage_2_decision_adjustment::Entity)
            .and_where(stage_2_decision_adjustment::Column::DecisionId.eq(id))
            .to_owned(),
        ConsideredBy::Review(id) => Query::select()
            .column(review_adjustment::Column::AdjustmentId)
            .from(review_adjustment::Entity)
            .and_where(review_adjustment::Column::ReviewId.eq(id))
            .to_owned(),
    };
    Ok(ra::Entity::find()
        .filter(ra::Column::Id.in_subquery(linked))
        .order_by_asc(ra::Column::Id)
        .all(db)
        .await?)
}
