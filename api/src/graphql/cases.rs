//! Customers and cases, read through the caller's row scope (policy 5.4) and the field policy.
//! A case's records are loaded through the request's [`CaseLoader`], in batches for a whole
//! page: a page costs the same number of statements whatever its size.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entities::enums::Language;
use entities::enums::{CaseStage, CaseStatus};
use entities::{
    appeal, breach, customer, determination, letter, new_issue_consideration, restriction, review,
    service, stage_1_warning, stage_2_decision, upc_case,
};
use sea_orm::DatabaseConnection;

use crate::authz::caller;
use crate::domain::lifecycle;
use crate::domain::timeline::{CaseRecords, ReportLine};
use crate::domain::values::{CaseId, CustomerId, RecordId};
use crate::error::{ApiError, ApiResult};
use crate::graphql::ids::{cursor, page_size, parse_id};
use crate::graphql::loaders::{
    AllNames, CaseChild, CaseDataLoader, CustomerById, Of, ReportWithTypes, ReportsOf, ServiceById,
};
use crate::graphql::records::{
    Appeal, Breach, Determination, Letter, NewIssueConsideration, Restriction, Review,
    Stage1Warning, Stage2Decision, TimelineEntry,
};
use crate::letters;
use crate::store::facts::visible_case;
use crate::store::reads::{self, CaseListFilter};

/// Largest page a list returns.
pub const MAX_PAGE: u64 = 100;

/// A customer: a person, several people or a group (policy 2.3).
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Customer {
    /// The row id, for the members and representatives.
    #[graphql(skip)]
    pub key: i64,
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
    /// Row version: pass it back when changing the customer (optimistic concurrency).
    pub version: i64,
    /// The customer this record was merged into (a duplicate of the same person), if it was.
    pub merged_into_id: Option<ID>,
    /// When it was merged.
    pub merged_at: Option<DateTime<Utc>>,
}

impl From<customer::Model> for Customer {
    fn from(m: customer::Model) -> Self {
        Customer {
            key: m.id,
            id: ID(m.id.to_string()),
            reference: m.reference,
            kind: m.kind.as_str().to_string(),
            preferred_language: m.preferred_language.as_str().to_string(),
            display_name: Some(m.display_name),
            address: m.address,
            email: m.email,
            phone: m.phone,
            version: m.version,
            merged_into_id: m.merged_into_id.map(|id| ID(id.to_string())),
            merged_at: m.merged_at,
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

/// A case: one customer in one service. Its records are loaded in batches for a whole page.
#[derive(Clone)]
pub struct CaseNode(pub upc_case::Model);

/// Case and customer queries.
#[derive(Default)]
pub struct CaseQuery;

/// What to narrow a case list to; every field is optional and they combine with AND.
#[derive(async_graphql::InputObject, Default)]
pub struct CaseFilter {
    /// The service's code, e.g. `HOU`.
    pub service_code: Option<String>,
    /// `reported`, `determined_unreasonable`, `stage_1_warning`, `stage_2_restricted` or
    /// `closed`.
    pub stage: Option<String>,
    /// `open` or `closed`.
    pub status: Option<String>,
    /// Opened on or after this day (UTC).
    pub opened_from: Option<NaiveDate>,
    /// Opened on or before this day (UTC).
    pub opened_to: Option<NaiveDate>,
    /// Review due on or before this day (7.1).
    pub review_due_by: Option<NaiveDate>,
    /// Flagged for early review (5.6), or not.
    pub flagged_for_review: Option<bool>,
}

/// Load the records a page of cases (or one case) asks for, one batch per kind and all kinds at
/// once, before its nodes resolve (`wants`: whether the case's selection has a field): the
/// nodes then answer from the request's loader cache, so a page costs the same statements
/// whatever its length and however the resolvers are scheduled (issue 9). (The loader's own
/// batching waits a fixed delay, which a busy machine can outrun, splitting a page's keys.)
async fn prefetch(
    ctx: &Context<'_>,
    rows: &[upc_case::Model],
    wants: impl Fn(&str) -> bool,
) -> ApiResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let steps = wants("allowedSteps");
    // The timeline is made of every kind of record.
    let all = wants("timeline");
    let loader = loader(ctx);
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let customers = async {
        if wants("customer") {
            loader
                .load_many(rows.iter().map(|r| CustomerById(r.customer_id)))
                .await?;
        }
        ApiResult::Ok(())
    };
    let services = async {
        if wants("serviceName") || wants("serviceCode") {
            loader
                .load_many(rows.iter().map(|r| ServiceById(r.service_id)))
                .await?;
        }
        ApiResult::Ok(())
    };
    let reports = async {
        if all || steps || wants("reports") {
            loader
                .load_many(ids.iter().map(|id| ReportsOf(*id)))
                .await?;
        }
        ApiResult::Ok(())
    };
    use entities::{
        call_termination, contact, exclusion, harassment_referral, hs_incident, police_referral,
        recording_request,
    };
    let records = |field: &str| all || wants(field);
    let mut kinds = Kinds::new(loader, &ids);
    kinds.add::<restriction::Entity>(steps || records("restrictions"));
    kinds.add::<appeal::Entity>(steps || records("appeals"));
    kinds.add::<stage_1_warning::Entity>(steps || records("stage1Warnings"));
    kinds.add::<review::Entity>(steps || records("reviews"));
    kinds.add::<determination::Entity>(records("determinations"));
    kinds.add::<stage_2_decision::Entity>(records("stage2Decisions"));
    kinds.add::<breach::Entity>(records("breaches"));
    kinds.add::<letter::Entity>(records("letters"));
    kinds.add::<new_issue_consideration::Entity>(records("newIssueConsiderations"));
    kinds.add::<hs_incident::Entity>(records("hsIncidents"));
    kinds.add::<exclusion::Entity>(records("exclusions"));
    kinds.add::<police_referral::Entity>(records("policeReferrals"));
    kinds.add::<call_termination::Entity>(records("callTerminations"));
    kinds.add::<harassment_referral::Entity>(records("harassmentReferrals"));
    kinds.add::<recording_request::Entity>(records("recordingRequests"));
    kinds.add::<contact::Entity>(wants("contacts"));
    tokio::try_join!(customers, services, reports, kinds.load())?;
    Ok(())
}

/// Puts one kind's rows, decoded from [`reads::children_json`], in the loader's cache.
type Feed = for<'x> fn(
    &'x CaseDataLoader,
    &'x [i64],
    &'x str,
) -> futures_util::future::BoxFuture<'x, ApiResult<()>>;

/// The kinds of a case's records a selection needs, loaded together: on PostgreSQL in one
/// statement (each kind a JSON array, fed to the loader's cache), elsewhere one batch per kind,
/// all at once. A WebSocket connection's loader lives across operations and never answers from
/// its cache, so it is never fed (what it was fed would only pile up): it loads batch by batch.
struct Kinds<'a> {
    loader: &'a CaseDataLoader,
    ids: &'a [i64],
    one_statement: bool,
    /// PostgreSQL: each kind's column of the statement and what decodes it.
    columns: Vec<(String, Feed)>,
    /// Otherwise: each kind's batch.
    batches: Vec<futures_util::future::BoxFuture<'a, ApiResult<()>>>,
}

impl<'a> Kinds<'a> {
    fn new(loader: &'a CaseDataLoader, ids: &'a [i64]) -> Self {
        let backend = sea_orm::ConnectionTrait::get_database_backend(loader.loader().db());
        Self {
            loader,
            ids,
            one_statement: backend == sea_orm::DbBackend::Postgres && loader.loader().per_request(),
            columns: Vec::new(),
            batches: Vec::new(),
        }
    }

    /// Load the `E` records of the cases, when `wanted`.
    fn add<E>(&mut self, wanted: bool)
    where
        E: CaseChild,
        E::Model: serde::de::DeserializeOwned + Send + Sync + Clone + 'static,
    {
        if !wanted {
            return;
        }
        if self.one_statement {
            self.columns
                .push((reads::children_json_column::<E>(), |loader, ids, json| {
                    Box::pin(feed::<E>(loader, ids, json))
                }));
        } else {
            let (loader, ids) = (self.loader, self.ids);
            self.batches.push(Box::pin(async move {
                loader
                    .load_many(ids.iter().map(|id| Of::<E>::case(*id)))
                    .await?;
                Ok(())
            }));
        }
    }

    async fn load(self) -> ApiResult<()> {
        if !self.one_statement {
            futures_util::future::try_join_all(self.batches).await?;
            return Ok(());
        }
        let sql: Vec<String> = self.columns.iter().map(|(sql, _)| sql.clone()).collect();
        let texts = reads::children_json(self.loader.loader().db(), self.ids, &sql).await?;
        for ((_, feed), text) in self.columns.iter().zip(&texts) {
            feed(self.loader, self.ids, text).await?;
        }
        Ok(())
    }
}

/// [`Feed`] for `E`: every case gets an entry (empty when it has none), as a batch would give.
async fn feed<E>(loader: &CaseDataLoader, ids: &[i64], json: &str) -> ApiResult<()>
where
    E: CaseChild,
    E::Model: serde::de::DeserializeOwned + Send + Sync + Clone + 'static,
{
    let rows = reads::children_from_json::<E>(ids, json)?;
    loader
        .feed_many(
            rows.into_iter()
                .map(|(case, rows)| (Of::<E>::case(case), rows)),
        )
        .await;
    Ok(())
}

fn loader<'a>(ctx: &Context<'a>) -> &'a CaseDataLoader {
    ctx.data_unchecked::<CaseDataLoader>()
}

impl CaseNode {
    async fn children<E>(&self, ctx: &Context<'_>) -> ApiResult<Vec<E::Model>>
    where
        E: CaseChild,
        E::Model: Send + Sync + Clone + 'static,
    {
        let rows = loader(ctx)
            .load_one(Of::<E>::case(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(crate::access::case_records::<E>(ctx, &self.0, rows))
    }

    /// A case's records of kind `E`, as the API shows them.
    async fn list<E, T>(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<T>>>
    where
        E: CaseChild,
        E::Model: Send + Sync + Clone + 'static,
        T: From<E::Model>,
    {
        Ok(Some(
            self.children::<E>(ctx)
                .await?
                .into_iter()
                .map(T::from)
                .collect(),
        ))
    }

    async fn all_reports(&self, ctx: &Context<'_>) -> ApiResult<Vec<ReportWithTypes>> {
        let rows = loader(ctx)
            .load_one(ReportsOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(crate::access::case_reports(ctx, &self.0, rows))
    }

    async fn service(&self, ctx: &Context<'_>) -> ApiResult<Option<service::Model>> {
        loader(ctx).load_one(ServiceById(self.0.service_id)).await
    }
}

/// A case: one customer in one service (5.4), with its whole process record.
#[Object(name = "Case")]
impl CaseNode {
    /// Opaque id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Reference, e.g. `UPC-2026-0001` (the Standards Committee's anonymised handle).
    async fn reference(&self) -> &str {
        &self.0.reference
    }

    /// Code of the service the case belongs to (decisions are service based, 5.4).
    async fn service_code(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(self.service(ctx).await?.map(|s| s.code).unwrap_or_default())
    }

    /// Name of the service the case belongs to.
    async fn service_name(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(self.service(ctx).await?.map(|s| s.name).unwrap_or_default())
    }

    /// Where the case stands: `reported`, `determined_unreasonable`, `stage_1_warning`,
    /// `stage_2_restricted`, `closed`.
    async fn stage(&self) -> &str {
        self.0.stage.as_str()
    }

    /// `open` or `closed`.
    async fn status(&self) -> &str {
        self.0.status.as_str()
    }

    /// When the case was opened.
    async fn opened_at(&self) -> DateTime<Utc> {
        self.0.opened_at
    }

    /// When it was closed.
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }

    /// Why it was closed (restricted free text).
    async fn closure_reason(&self) -> Option<&str> {
        self.0.closure_reason.as_deref()
    }

    /// Last day to appeal the standing Stage 1 warning: the 15th working day after the letter
    /// date (6.1). Null when there is nothing to appeal.
    async fn appeal_deadline(&self) -> Option<NaiveDate> {
        self.0.appeal_deadline
    }

    /// When the restrictions must be reviewed (no later than 12 months after the decision to
    /// restrict, 7.1).
    async fn review_due_on(&self) -> Option<NaiveDate> {
        self.0.review_due_on
    }

    /// Flagged for early review (e.g. an ignored exclusion, 5.6).
    async fn flagged_for_review(&self) -> bool {
        self.0.flagged_for_review
    }

    /// Why it was flagged (restricted).
    async fn flag_reason(&self) -> Option<&str> {
        self.0.flag_reason.as_deref()
    }

    /// Row version: send it back with the next step; a stale one gets `CONFLICT`.
    async fn version(&self) -> i64 {
        self.0.version
    }

    /// The steps that are legal now, named as their mutations (whoever may take them).
    async fn allowed_steps(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        let facts = lifecycle::facts_from(
            &self.0,
            &self.children::<stage_1_warning::Entity>(ctx).await?,
            &self.children::<appeal::Entity>(ctx).await?,
            &self
                .all_reports(ctx)
                .await?
                .iter()
                .map(|r| r.report.occurred_at)
                .collect::<Vec<_>>(),
            &self.children::<restriction::Entity>(ctx).await?,
            &self.children::<review::Entity>(ctx).await?,
        );
        Ok(lifecycle::allowed_steps(&facts)
            .into_iter()
            .map(|s| s.mutation().to_string())
            .collect())
    }

    /// The customer (restricted).
    async fn customer(&self, ctx: &Context<'_>) -> ApiResult<Option<Customer>> {
        Ok(loader(ctx)
            .load_one(CustomerById(self.0.customer_id))
            .await?
            .inspect(|m| crate::access::note(ctx, "Customer", Some(self.0.id), Some(m.id)))
            .map(Customer::from))
    }

    /// Behaviour reports, oldest first (an elected Member sees only their own).
    async fn reports(&self, ctx: &Context<'_>) -> ApiResult<Vec<BehaviourReport>> {
        Ok(self
            .all_reports(ctx)
            .await?
            .into_iter()
            .map(|r| BehaviourReport {
                id: ID(r.report.id.to_string()),
                behaviours: r.behaviours,
                channel: r.report.channel.as_str().to_string(),
                occurred_at: r.report.occurred_at,
                description: Some(r.report.description),
                reporter_name: Some(r.report.reporter_name),
            })
            .collect())
    }

    /// Determinations, oldest first (5.1).
    async fn determinations(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<Determination>>> {
        self.list::<determination::Entity, _>(ctx).await
    }

    /// Stage 1 warnings, oldest first (5.1).
    async fn stage1_warnings(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<Stage1Warning>>> {
        self.list::<stage_1_warning::Entity, _>(ctx).await
    }

    /// Appeals, oldest first (6.1, 6.2).
    async fn appeals(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<Appeal>>> {
        self.list::<appeal::Entity, _>(ctx).await
    }

    /// Stage 2 decisions, oldest first (5.1, 5.3).
    async fn stage2_decisions(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<Stage2Decision>>> {
        self.list::<stage_2_decision::Entity, _>(ctx).await
    }

    /// Restrictions, in force or not, oldest first (5.3).
    async fn restrictions(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<Restriction>>> {
        let rows = self.children::<restriction::Entity>(ctx).await?;
        // The plain-words description needs the directory's names: read only when asked for.
        if !ctx.look_ahead().field("description").exists() {
            return Ok(Some(
                rows.into_iter()
                    .map(|m| Restriction::new(m, String::new()))
                    .collect(),
            ));
        }
        let names = loader(ctx).load_one(AllNames).await?.unwrap_or_default();
        Ok(Some(
            rows.into_iter()
                .map(|m| {
                    let words = letters::describe_restriction(&m.parameters, Language::En, &names);
                    Restriction::new(m, words)
                })
                .collect(),
        ))
    }

    /// Breaches of restrictions, oldest first (5.6).
    async fn breaches(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<Breach>>> {
        self.list::<breach::Entity, _>(ctx).await
    }

    /// Reviews, oldest first (7).
    async fn reviews(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<Review>>> {
        self.list::<review::Entity, _>(ctx).await
    }

    /// New issues raised while restricted, and whether restrictions remain appropriate (9.1).
    async fn new_issue_considerations(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<Vec<NewIssueConsideration>>> {
        self.list::<new_issue_consideration::Entity, _>(ctx).await
    }

    /// Contacts logged on this case, oldest first (5.2).
    async fn contacts(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<Vec<crate::graphql::desk::Contact>>> {
        self.list::<entities::contact::Entity, _>(ctx).await
    }

    /// Letters to the customer, oldest first.
    async fn letters(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<Letter>>> {
        self.list::<letter::Entity, _>(ctx).await
    }

    /// Threats to staff reported in writing, oldest first (3.1, 3.3).
    async fn hs_incidents(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<Vec<crate::graphql::safety::HsIncident>>> {
        self.list::<entities::hs_incident::Entity, _>(ctx).await
    }

    /// Exclusions from premises, in force or not, oldest first (3.2, 3.6, 5.6).
    async fn exclusions(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<Vec<crate::graphql::safety::Exclusion>>> {
        let rows = self.children::<entities::exclusion::Entity>(ctx).await?;
        Ok(Some(
            crate::graphql::safety::exclusion_views(ctx, rows).await?,
        ))
    }

    /// Reports to the police, oldest first (3.3, 3.5).
    async fn police_referrals(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<Vec<crate::graphql::safety::PoliceReferral>>> {
        self.list::<entities::police_referral::Entity, _>(ctx).await
    }

    /// Telephone calls ended by staff after a warning, oldest first (3.4).
    async fn call_terminations(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<Vec<crate::graphql::safety::CallTermination>>> {
        self.list::<entities::call_termination::Entity, _>(ctx)
            .await
    }

    /// Abusive calls referred to the Head of Service as harassment, oldest first (3.5).
    async fn harassment_referrals(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<Vec<crate::graphql::safety::HarassmentReferral>>> {
        let rows = self
            .children::<entities::harassment_referral::Entity>(ctx)
            .await?;
        Ok(Some(
            crate::graphql::safety::harassment_views(ctx, rows).await?,
        ))
    }

    /// The customer's requests to record a meeting or call, and the answers, oldest first (4).
    async fn recording_requests(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<Vec<crate::graphql::safety::RecordingRequest>>> {
        self.list::<entities::recording_request::Entity, _>(ctx)
            .await
    }

    /// The whole history in order: reports, determinations, warnings, appeals, decisions,
    /// restrictions, breaches, reviews and letters. Summaries carry no names or free text.
    async fn timeline(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<TimelineEntry>>> {
        use entities::{
            call_termination, exclusion, harassment_referral, hs_incident, police_referral,
            recording_request,
        };
        let records = CaseRecords {
            reports: self
                .all_reports(ctx)
                .await?
                .into_iter()
                .map(|r| ReportLine {
                    id: r.report.id,
                    occurred_at: r.report.occurred_at,
                    reporter_role: r.report.reporter_role,
                    behaviours: r.behaviours,
                })
                .collect(),
            determinations: self.children::<determination::Entity>(ctx).await?,
            warnings: self.children::<stage_1_warning::Entity>(ctx).await?,
            appeals: self.children::<appeal::Entity>(ctx).await?,
            decisions: self.children::<stage_2_decision::Entity>(ctx).await?,
            restrictions: self.children::<restriction::Entity>(ctx).await?,
            breaches: self.children::<breach::Entity>(ctx).await?,
            new_issues: self
                .children::<new_issue_consideration::Entity>(ctx)
                .await?,
            reviews: self.children::<review::Entity>(ctx).await?,
            letters: self.children::<letter::Entity>(ctx).await?,
            incidents: self.children::<hs_incident::Entity>(ctx).await?,
            exclusions: self.children::<exclusion::Entity>(ctx).await?,
            police: self.children::<police_referral::Entity>(ctx).await?,
            calls: self.children::<call_termination::Entity>(ctx).await?,
            harassment: self.children::<harassment_referral::Entity>(ctx).await?,
            recordings: self.children::<recording_request::Entity>(ctx).await?,
        };
        Ok(Some(
            records
                .timeline(&self.0)
                .into_iter()
                .map(|e| TimelineEntry {
                    at: e.at,
                    kind: e.kind.to_string(),
                    record_id: ID(e.record_id.to_string()),
                    summary: e.summary,
                })
                .collect(),
        ))
    }
}

/// The `cases` list's arguments, checked: the page size, the id it continues after and the
/// filter. The resolver and the planned read path (`graphql::plan`) both use it, so both refuse
/// the same input the same way.
pub(crate) struct CaseListArgs {
    /// Rows in the page.
    pub limit: u64,
    /// The page starts after this case id (0: from the start).
    pub after_id: i64,
    /// What the list is narrowed to.
    pub filter: CaseListFilter,
}

/// Check the `cases` arguments (see [`CaseListArgs`]).
pub(crate) fn case_list_args(
    first: Option<i32>,
    after: Option<String>,
    filter: Option<CaseFilter>,
) -> ApiResult<CaseListArgs> {
    let limit = page_size(first, 50, MAX_PAGE)?;
    let after_id = cursor(after)?.unwrap_or(0);
    let filter = filter.unwrap_or_default();
    if let (Some(from), Some(to)) = (filter.opened_from, filter.opened_to)
        && from > to
    {
        return Err(ApiError::bad_input(
            "filter.openedTo",
            "openedTo is before openedFrom",
        ));
    }
    let filter = CaseListFilter {
        stage: filter
            .stage
            .map(|stage| {
                stage.parse::<CaseStage>().map_err(|_| {
                    ApiError::bad_input("filter.stage", format!("`{stage}` is not a stage"))
                })
            })
            .transpose()?,
        status: filter
            .status
            .map(|status| {
                status.parse::<CaseStatus>().map_err(|_| {
                    ApiError::bad_input("filter.status", format!("`{status}` is not a status"))
                })
            })
            .transpose()?,
        service_code: filter.service_code,
        opened_from: filter.opened_from,
        opened_to: filter.opened_to,
        review_due_by: filter.review_due_by,
        flagged_for_review: filter.flagged_for_review,
    };
    Ok(CaseListArgs {
        limit,
        after_id,
        filter,
    })
}

#[Object]
impl CaseQuery {
    /// Cases you may see, ordered by id, as a Relay connection (`first` at most 100, default
    /// 50). Narrow them with `filter`.
    // Priced per row asked for (issue 8): a page's fields cost once per case it may hold.
    #[graphql(
        complexity = "1 + (first.unwrap_or(50).clamp(1, MAX_PAGE as i32) as usize) * child_complexity"
    )]
    async fn cases(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "What to narrow the list to; omit for every case you may see.")]
        filter: Option<CaseFilter>,
    ) -> ApiResult<Connection<i64, CaseNode>> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let CaseListArgs {
            limit,
            after_id,
            filter,
        } = case_list_args(first, after, filter)?;
        let (rows, has_next) =
            reads::case_page(db, &request.principal, filter, after_id, limit).await?;
        let look = ctx.look_ahead();
        prefetch(ctx, &rows, |field| {
            look.field("edges").field("node").field(field).exists()
                || look.field("nodes").field(field).exists()
        })
        .await?;
        let mut connection = Connection::new(after_id > 0, has_next);
        for row in rows {
            connection.edges.push(Edge::new(row.id, CaseNode(row)));
        }
        Ok(connection)
    }

    /// One case, if you may see it.
    async fn case(&self, ctx: &Context<'_>, id: ID) -> ApiResult<CaseNode> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let id = parse_id::<CaseId>("id", &id)?.get();
        let case = visible_case(db, &request.principal, id).await?;
        // Every kind of record the selection asks for at once, not one after another.
        let look = ctx.look_ahead();
        prefetch(ctx, std::slice::from_ref(&case), |field| {
            look.field(field).exists()
        })
        .await?;
        Ok(CaseNode(case))
    }

    /// Customers whose name or reference contains `search` (case-insensitive), among those with
    /// a case you may see; at most 50.
    async fn customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Part of a name or reference; at least 2 characters.")] search: String,
    ) -> ApiResult<Vec<Customer>> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let needle = search.trim().to_lowercase();
        if needle.len() < 2 {
            return Err(ApiError::bad_input(
                "search",
                "search needs at least 2 characters",
            ));
        }
        Ok(reads::customers_matching(db, &request.principal, &needle)
            .await?
            .into_iter()
            .inspect(|m| crate::access::note(ctx, "Customer", None, Some(m.id)))
            .map(Customer::from)
            .collect())
    }

    /// One customer, if they have a case you may see.
    async fn customer(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Customer> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let id = parse_id::<CustomerId>("id", &id)?.get();
        let found = reads::visible_customer(db, &request.principal, id).await?;
        crate::access::note(ctx, "Customer", None, Some(found.id));
        Ok(Customer::from(found))
    }
}
