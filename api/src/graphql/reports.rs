//! The annual report to the Standards Committee (issue 6, policy section 8): the Monitoring
//! Officer or Legal Services ask for it (`requestAnnualReport`), follow the job (`reportJob`,
//! `reportJobs`, and live over WebSocket with `reportJobUpdated`), then download its files
//! (`GET /reports/{id}/{file}`) or read the report itself as typed objects (`ReportJob.report`).
//!
//! The typed report mirrors `report.json` (`api::reports::model`): each table is a list of row
//! objects whose fields are the CSV and Parquet columns, camelCased, with the figure flattened
//! into `count`, `previousCount`, `countSuppressed` and `previousCountSuppressed` (a suppressed
//! count is null with its flag true). The policy checks of 8.2 are the `PolicyCheck` enum.
//!
//! Who sees what: the Monitoring Officer and Legal Services see every job; the Standards
//! Committee sees finished jobs and their reports (either edition: both are anonymised), but
//! not the free-text `notes` of the internal edition's cases, nor who asked or why a job failed.

use std::borrow::Cow;
use std::pin::Pin;

use async_graphql::connection::{Connection, Edge};
use async_graphql::futures_util::Stream;
use async_graphql::futures_util::stream::{BoxStream, StreamExt};
use async_graphql::registry::{MetaType, Registry};
use async_graphql::{
    Context, Enum, ID, InputObject, Object, Response, SimpleObject, Subscription, SubscriptionType,
};
use chrono::{DateTime, NaiveDate, Utc};
use entities::enums::{ReportEdition, ReportJobStatus};
use entities::{report_job, service};
use sea_orm::DatabaseConnection;

use crate::authz::policy::{Verdict, verdict};
use crate::authz::{RequestContext, caller};
use crate::domain::values::{RecordId, ReportJobId, ServiceId};
use crate::error::{ApiError, ApiResult};
use crate::graphql::alerts::AlertSubscription;
use crate::graphql::directory::Service;
use crate::graphql::ids::{cursor, page_size, parse_id};
use crate::reports::jobs::{self, ReportRequest, ReportSettings};
use crate::reports::model;

/// Default and largest page of report jobs.
const PAGE: (i32, i32) = (20, 100);

/// Which edition of the report.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "ReportEdition")]
pub enum Edition {
    /// For publication: counts from 1 to 4 withheld, and any count that would give one away; no
    /// free text and no per-case rows.
    Public,
    /// For the Standards Committee: every count, with the exceptional reasons of immediate
    /// Stage 2 decisions.
    Internal,
}

impl From<Edition> for ReportEdition {
    fn from(e: Edition) -> Self {
        match e {
            Edition::Public => ReportEdition::Public,
            Edition::Internal => ReportEdition::Internal,
        }
    }
}

impl From<ReportEdition> for Edition {
    fn from(e: ReportEdition) -> Self {
        match e {
            ReportEdition::Public => Edition::Public,
            ReportEdition::Internal => Edition::Internal,
        }
    }
}

impl From<model::Edition> for Edition {
    fn from(e: model::Edition) -> Self {
        match e {
            model::Edition::Public => Edition::Public,
            model::Edition::Internal => Edition::Internal,
        }
    }
}

/// Where a report job stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "ReportJobStatus")]
pub enum JobStatus {
    /// Waiting for a worker (also between a failed attempt and its retry).
    Queued,
    /// A worker is producing it: see `progress`.
    Running,
    /// Finished: the files and the report are ready.
    Done,
    /// Given up after the last attempt: see `error`.
    Failed,
}

impl From<ReportJobStatus> for JobStatus {
    fn from(s: ReportJobStatus) -> Self {
        match s {
            ReportJobStatus::Queued => JobStatus::Queued,
            ReportJobStatus::Running => JobStatus::Running,
            ReportJobStatus::Done => JobStatus::Done,
            ReportJobStatus::Failed => JobStatus::Failed,
        }
    }
}

impl From<JobStatus> for ReportJobStatus {
    fn from(s: JobStatus) -> Self {
        match s {
            JobStatus::Queued => ReportJobStatus::Queued,
            JobStatus::Running => ReportJobStatus::Running,
            JobStatus::Done => ReportJobStatus::Done,
            JobStatus::Failed => ReportJobStatus::Failed,
        }
    }
}

/// The outcome of one policy check on one case (8.2).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum PolicyCheck {
    /// The policy was followed.
    Met,
    /// It was not, or the record does not show it.
    NotMet,
    /// The check does not apply to the case (e.g. no appeal was made).
    NotApplicable,
}

impl From<model::Check> for PolicyCheck {
    fn from(c: model::Check) -> Self {
        match c {
            model::Check::Met => PolicyCheck::Met,
            model::Check::NotMet => PolicyCheck::NotMet,
            model::Check::NotApplicable => PolicyCheck::NotApplicable,
        }
    }
}

/// What to ask for.
#[derive(InputObject, Clone, Debug)]
pub struct RequestAnnualReportInput {
    /// The reporting year, by the year it starts in (2024 for April 2024 to March 2025 with the
    /// default start month): from 2000 to the current reporting year.
    pub reporting_year: i32,
    /// Only these services; leave out for every service.
    pub service_ids: Option<Vec<ID>>,
    /// Which edition (default `PUBLIC`).
    pub edition: Option<Edition>,
}

/// A file a finished report job produced.
#[derive(SimpleObject, Clone, Debug)]
pub struct ReportArtifact {
    /// File name: `report.json`, `committee-paper.html`, and `{table}.csv` and
    /// `{table}.parquet` for each table.
    pub name: String,
    /// Its media type, as served.
    pub content_type: String,
    /// Its size in bytes.
    pub size_bytes: i64,
    /// Hex SHA-256 of its content (also its `ETag`).
    pub sha256: String,
    /// Where to download it with your bearer token: `/reports/{id}/{name}`.
    pub url: String,
}

/// A request for the annual report and how far the worker has got with it.
#[derive(Clone, Debug)]
pub struct ReportJob {
    job: report_job::Model,
    settings: ReportSettings,
}

impl ReportJob {
    fn new(job: report_job::Model, settings: ReportSettings) -> Self {
        ReportJob { job, settings }
    }
}

/// A request for the annual report and how far the worker has got with it.
#[Object]
impl ReportJob {
    /// Opaque id.
    async fn id(&self) -> ID {
        ID(self.job.id.to_string())
    }

    /// The reporting year, by the year it starts in.
    async fn reporting_year(&self) -> i32 {
        self.job.reporting_year
    }

    /// The reporting year's label, e.g. `2024-25`.
    async fn label(&self) -> String {
        self.settings.label(self.job.reporting_year)
    }

    /// Which edition.
    async fn edition(&self) -> Edition {
        self.job.edition.into()
    }

    /// The services asked for; null for every service.
    async fn services(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<Service>>> {
        let Some(ids) = jobs::service_ids(&self.job) else {
            return Ok(None);
        };
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let mut rows =
            crate::store::reads::by_id::<service::Entity, _>(db, service::Column::Id, &ids).await?;
        rows.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(Some(rows.into_iter().map(Service::from).collect()))
    }

    /// Where it stands.
    async fn status(&self) -> JobStatus {
        self.job.status.into()
    }

    /// Percentage done, 0 to 100.
    async fn progress(&self) -> i32 {
        self.job.progress
    }

    /// Attempts made so far.
    async fn attempts(&self) -> i32 {
        self.job.attempts
    }

    /// Attempts allowed before it is given up.
    async fn max_attempts(&self) -> i32 {
        self.job.max_attempts
    }

    /// Why the last attempt failed, in words safe to show; null unless an attempt failed.
    async fn error(&self) -> Option<String> {
        jobs::safe_reason(&self.job)
    }

    /// Who asked for it (the identity provider's subject).
    async fn requested_by(&self) -> Option<String> {
        Some(self.job.requested_by.clone())
    }

    /// When it was asked for.
    async fn created_at(&self) -> DateTime<Utc> {
        self.job.created_at
    }

    /// When the current or last attempt started.
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.job.started_at
    }

    /// When it finished (done or failed).
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.job.finished_at
    }

    /// Goes up by one each time the job changes.
    async fn version(&self) -> i64 {
        self.job.version
    }

    /// The files it produced, by name (none until it is done).
    async fn artifacts(&self, ctx: &Context<'_>) -> ApiResult<Vec<ReportArtifact>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let id = self.job.id;
        Ok(jobs::artifacts(db, id)
            .await?
            .into_iter()
            .map(|a| ReportArtifact {
                url: format!("/reports/{id}/{}", a.name),
                name: a.name,
                content_type: a.content_type,
                size_bytes: a.size_bytes,
                sha256: a.sha256,
            })
            .collect())
    }

    /// The report itself, read from its `report.json`; null until the job is done.
    async fn report(&self, ctx: &Context<'_>) -> ApiResult<Option<AnnualReport>> {
        if self.job.status != ReportJobStatus::Done {
            return Ok(None);
        }
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(jobs::report(db, self.job.id).await?.map(AnnualReport::from))
    }
}

/// A service included in a report, as it was when the report was made.
#[derive(SimpleObject, Clone, Debug)]
pub struct ReportService {
    /// Opaque id.
    pub id: ID,
    /// Code, e.g. `HOU`.
    pub code: String,
    /// Name.
    pub name: String,
}

/// A row of the summary table: one metric for the whole council (or the services asked for).
#[derive(SimpleObject, Clone, Debug)]
pub struct ReportSummaryRow {
    /// The reporting year's label.
    pub reporting_year: String,
    /// The metric, e.g. `stage_1_warnings`.
    pub metric: String,
    /// This year's count; null when suppressed.
    pub count: Option<i64>,
    /// The previous year's count; null when suppressed.
    pub previous_count: Option<i64>,
    /// `count` was withheld (public edition: 1 to 4, or a count that would give one away).
    pub count_suppressed: bool,
    /// `previousCount` was suppressed.
    pub previous_count_suppressed: bool,
}

/// A row of the by-service table.
#[derive(SimpleObject, Clone, Debug)]
pub struct ReportServiceRow {
    /// The reporting year's label.
    pub reporting_year: String,
    /// Service code.
    pub service_code: String,
    /// Service name.
    pub service_name: String,
    /// The metric.
    pub metric: String,
    /// This year's count; null when suppressed.
    pub count: Option<i64>,
    /// The previous year's count; null when suppressed.
    pub previous_count: Option<i64>,
    /// `count` was suppressed.
    pub count_suppressed: bool,
    /// `previousCount` was suppressed.
    pub previous_count_suppressed: bool,
}

/// A row of the by-stage table.
#[derive(SimpleObject, Clone, Debug)]
pub struct ReportStageRow {
    /// The reporting year's label.
    pub reporting_year: String,
    /// The stage: `report`, `stage_1`, `stage_2` or `health_and_safety`.
    pub stage: String,
    /// The metric (or `cases_at_year_end`).
    pub metric: String,
    /// This year's count; null when suppressed.
    pub count: Option<i64>,
    /// The previous year's count; null when suppressed.
    pub previous_count: Option<i64>,
    /// `count` was suppressed.
    pub count_suppressed: bool,
    /// `previousCount` was suppressed.
    pub previous_count_suppressed: bool,
}

/// A row of the by-restriction-type table.
#[derive(SimpleObject, Clone, Debug)]
pub struct ReportRestrictionTypeRow {
    /// The reporting year's label.
    pub reporting_year: String,
    /// Restriction kind, e.g. `contact_form`.
    pub restriction_type: String,
    /// The metric: `restrictions_imposed`, `restrictions_lifted` or `breaches`.
    pub metric: String,
    /// This year's count; null when suppressed.
    pub count: Option<i64>,
    /// The previous year's count; null when suppressed.
    pub previous_count: Option<i64>,
    /// `count` was suppressed.
    pub count_suppressed: bool,
    /// `previousCount` was suppressed.
    pub previous_count_suppressed: bool,
}

/// A row of the service-by-restriction-type table (restrictions imposed).
#[derive(SimpleObject, Clone, Debug)]
pub struct ReportServiceRestrictionRow {
    /// The reporting year's label.
    pub reporting_year: String,
    /// Service code.
    pub service_code: String,
    /// Service name.
    pub service_name: String,
    /// Restriction kind.
    pub restriction_type: String,
    /// The metric (always `restrictions_imposed`).
    pub metric: String,
    /// This year's count; null when suppressed.
    pub count: Option<i64>,
    /// The previous year's count; null when suppressed.
    pub previous_count: Option<i64>,
    /// `count` was suppressed.
    pub count_suppressed: bool,
    /// `previousCount` was suppressed.
    pub previous_count_suppressed: bool,
}

/// A row of the monthly table: one metric in one month, beside the same month a year before.
#[derive(SimpleObject, Clone, Debug)]
pub struct ReportMonthRow {
    /// The reporting year's label.
    pub reporting_year: String,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// The metric.
    pub metric: String,
    /// This year's count; null when suppressed.
    pub count: Option<i64>,
    /// The previous year's count; null when suppressed.
    pub previous_count: Option<i64>,
    /// `count` was suppressed.
    pub count_suppressed: bool,
    /// `previousCount` was suppressed.
    pub previous_count_suppressed: bool,
}

/// How many of the year's cases met, did not meet, or were not subject to one check of 8.2.
#[derive(SimpleObject, Clone, Debug)]
pub struct ReportPolicyCheckRow {
    /// The reporting year's label.
    pub reporting_year: String,
    /// The check (`warning_before_stage_2`, `appeal_rights_given`, `appeal_decided`,
    /// `customer_told`, `review_within_period`, `adjustments_considered`), `policy_followed`,
    /// or `cases` for the number of cases in the year.
    pub check: String,
    /// `met`, `not_met`, `not_applicable`, or `in_year` (with `check` = `cases`).
    pub outcome: String,
    /// How many cases; null when withheld.
    pub count: Option<i64>,
    /// `count` was withheld (public edition).
    pub count_suppressed: bool,
}

/// One case's anonymised process record with the policy checks of 8.2.
#[derive(SimpleObject, Clone, Debug)]
pub struct ReportCaseRow {
    /// The reporting year's label.
    pub reporting_year: String,
    /// Case reference (never a name).
    pub case_reference: String,
    /// Service code.
    pub service_code: String,
    /// Where the case stood at the year end: `reported`, `determined_unreasonable`,
    /// `stage_1_warning`, `stage_2_restricted` or `closed`.
    pub stage_at_year_end: String,
    /// When it was opened.
    pub opened_on: NaiveDate,
    /// When it was closed, if by the year end.
    pub closed_on: Option<NaiveDate>,
    /// Kinds of restriction imposed by the year end, `;`-separated.
    pub restriction_types: String,
    /// Each Stage 2 decision followed a warning, or had exceptional reasons recorded (5.1).
    pub warning_before_stage_2: PolicyCheck,
    /// Each warning letter gave the right of appeal (6.1).
    pub appeal_rights_given: PolicyCheck,
    /// Each appeal was decided (6.2).
    pub appeal_decided: PolicyCheck,
    /// The customer was told of each decision.
    pub customer_told: PolicyCheck,
    /// Each review due by the year end was held in time (7.1).
    pub review_within_period: PolicyCheck,
    /// Reasonable adjustments were considered for each warning and Stage 2 decision.
    pub adjustments_considered: PolicyCheck,
    /// Every applicable check was met.
    pub policy_followed: bool,
    /// Free text for the Committee's paper (internal edition only): the exceptional reasons of
    /// immediate Stage 2 decisions. Restricted to the Monitoring Officer and Legal Services.
    pub notes: Option<String>,
}

/// The annual report (policy 8.1), as the worker wrote it.
#[derive(SimpleObject, Clone, Debug)]
pub struct AnnualReport {
    /// The version of the report's shape.
    pub format_version: i32,
    /// Which edition.
    pub edition: Edition,
    /// The year it starts in.
    pub reporting_year: i32,
    /// Its label, e.g. `2024-25`.
    pub reporting_year_label: String,
    /// The previous year's label.
    pub previous_year_label: String,
    /// First day of the year.
    pub period_start: NaiveDate,
    /// Last day of the year.
    pub period_end: NaiveDate,
    /// The services included.
    pub services: Vec<ReportService>,
    /// Whether the request named a subset of services.
    pub services_subset: bool,
    /// When it was made.
    pub generated_at: DateTime<Utc>,
    /// The plain-English summary, one sentence or short paragraph each.
    pub narrative: Vec<String>,
    /// One row per metric.
    pub summary: Vec<ReportSummaryRow>,
    /// Per service and metric.
    pub by_service: Vec<ReportServiceRow>,
    /// Per stage and metric.
    pub by_stage: Vec<ReportStageRow>,
    /// Per restriction kind and metric.
    pub by_restriction_type: Vec<ReportRestrictionTypeRow>,
    /// Restrictions imposed per service and kind.
    pub service_by_restriction_type: Vec<ReportServiceRestrictionRow>,
    /// Per month and metric.
    pub monthly: Vec<ReportMonthRow>,
    /// The checks of 8.2 counted over the year's cases (both editions).
    pub policy_checks: Vec<ReportPolicyCheckRow>,
    /// Each case with activity in the year; empty in the public edition, whose per-case rows
    /// would give back every withheld count.
    pub cases: Vec<ReportCaseRow>,
}

/// A table's rows as the API shows them: the named fields as they are, the figure flattened.
macro_rules! figure_rows {
    ($rows:expr => $row:ident { $($field:ident),* }) => {
        $rows
            .into_iter()
            .map(|x| $row {
                $($field: x.$field,)*
                count: x.figure.count,
                previous_count: x.figure.previous_count,
                count_suppressed: x.figure.count_suppressed,
                previous_count_suppressed: x.figure.previous_count_suppressed,
            })
            .collect()
    };
}

impl From<model::AnnualReport> for AnnualReport {
    fn from(r: model::AnnualReport) -> Self {
        AnnualReport {
            format_version: i32::try_from(r.format_version).unwrap_or(i32::MAX),
            edition: r.edition.into(),
            reporting_year: r.reporting_year,
            reporting_year_label: r.reporting_year_label,
            previous_year_label: r.previous_year_label,
            period_start: r.period_start,
            period_end: r.period_end,
            services: r
                .services
                .into_iter()
                .map(|s| ReportService {
                    id: ID(s.id.to_string()),
                    code: s.code,
                    name: s.name,
                })
                .collect(),
            services_subset: r.services_subset,
            generated_at: r.generated_at,
            narrative: r.narrative,
            summary: figure_rows!(r.summary => ReportSummaryRow { reporting_year, metric }),
            by_service: figure_rows!(r.by_service => ReportServiceRow { reporting_year, service_code, service_name, metric }),
            by_stage: figure_rows!(r.by_stage => ReportStageRow { reporting_year, stage, metric }),
            by_restriction_type: figure_rows!(r.by_restriction_type => ReportRestrictionTypeRow { reporting_year, restriction_type, metric }),
            service_by_restriction_type: figure_rows!(r.service_by_restriction_type => ReportServiceRestrictionRow { reporting_year, service_code, service_name, restriction_type, metric }),
            monthly: figure_rows!(r.monthly => ReportMonthRow { reporting_year, month, metric }),
            policy_checks: r
                .policy_checks
                .into_iter()
                .map(|x| ReportPolicyCheckRow {
                    reporting_year: x.reporting_year,
                    check: x.check,
                    outcome: x.outcome,
                    count: x.count,
                    count_suppressed: x.count_suppressed,
                })
                .collect(),
            cases: r
                .cases
                .into_iter()
                .map(|x| ReportCaseRow {
                    reporting_year: x.reporting_year,
                    case_reference: x.case_reference,
                    service_code: x.service_code,
                    stage_at_year_end: x.stage_at_year_end,
                    opened_on: x.opened_on,
                    closed_on: x.closed_on,
                    restriction_types: x.restriction_types,
                    warning_before_stage_2: x.warning_before_stage_2.into(),
                    appeal_rights_given: x.appeal_rights_given.into(),
                    appeal_decided: x.appeal_decided.into(),
                    customer_told: x.customer_told.into(),
                    review_within_period: x.review_within_period.into(),
                    adjustments_considered: x.adjustments_considered.into(),
                    policy_followed: x.policy_followed,
                    notes: x.notes,
                })
                .collect(),
        }
    }
}

/// The reporting year's settings the schema was built with.
fn settings(ctx: &Context<'_>) -> ReportSettings {
    ctx.data_opt::<ReportSettings>()
        .copied()
        .unwrap_or_default()
}

/// Report jobs.
#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// One report job. The Monitoring Officer and Legal Services see every job; the Standards
    /// Committee finished ones.
    async fn report_job(&self, ctx: &Context<'_>, id: ID) -> ApiResult<ReportJob> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let id = parse_id::<ReportJobId>("id", &id)?.get();
        let job = jobs::visible_job(db, &request.principal, id).await?;
        Ok(ReportJob::new(job, settings(ctx)))
    }

    /// Report jobs you may see, newest first, as a Relay connection (`first` at most 100,
    /// default 20).
    #[graphql(
        complexity = "1 + (first.unwrap_or(PAGE.0).clamp(1, PAGE.1) as usize) * child_complexity"
    )]
    async fn report_jobs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "Only jobs in this state.")] status: Option<JobStatus>,
    ) -> ApiResult<Connection<i64, ReportJob>> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let limit = page_size(first, PAGE.0 as u64, PAGE.1 as u64)?;
        let after = cursor(after)?;
        let status = status.map(ReportJobStatus::from);
        let (rows, has_next) = jobs::page(db, &request.principal, status, after, limit).await?;
        let settings = settings(ctx);
        let mut connection = Connection::new(after.is_some(), has_next);
        for job in rows {
            connection
                .edges
                .push(Edge::new(job.id, ReportJob::new(job, settings)));
        }
        Ok(connection)
    }
}

/// Asking for the annual report.
#[derive(Default)]
pub struct ReportMutation;

#[Object]
impl ReportMutation {
    /// Ask for the annual report (8.1): a job is queued for the worker and returned at once;
    /// follow it with `reportJob` or `reportJobUpdated`. Asking again for the same report (year,
    /// edition and services) while it is queued or running returns that job. The Monitoring
    /// Officer and Legal Services only.
    async fn request_annual_report(
        &self,
        ctx: &Context<'_>,
        input: RequestAnnualReportInput,
    ) -> ApiResult<ReportJob> {
        let request = caller(ctx)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let settings = settings(ctx);
        let services = input
            .service_ids
            .as_ref()
            .map(|ids| {
                ids.iter()
                    .map(|id| parse_id::<ServiceId>("input.serviceIds", id).map(RecordId::get))
                    .collect::<ApiResult<Vec<i64>>>()
            })
            .transpose()?;
        let edition = input.edition.unwrap_or(Edition::Public).into();
        let wanted = ReportRequest::new(
            db,
            &settings,
            jobs::today_in_london(),
            input.reporting_year,
            edition,
            services,
        )
        .await?;
        let requested = jobs::request(db, request, &wanted).await?;
        Ok(ReportJob::new(requested.job, settings))
    }
}

/// Refuse callers the policy table does not let call `Subscription.field` (the guard checks
/// it too, but a subscription's field is only guarded as each event arrives).
fn allowed(request: &RequestContext, field: &str) -> ApiResult<()> {
    match verdict("Subscription", field, &request.principal.roles) {
        Verdict::Allow => Ok(()),
        _ => Err(ApiError::Forbidden(format!(
            "your roles may not read Subscription.{field}"
        ))),
    }
}

/// The report jobs' subscription; part of the schema's `Subscription` type (see
/// [`SubscriptionRoot`]).
#[derive(Default)]
pub struct ReportSubscription;

#[Subscription(name = "ReportSubscription")]
impl ReportSubscription {
    /// A report job as it changes: first as it stands, then each time its status, progress or
    /// anything else changes, ending after it is done or has failed. The Monitoring Officer and
    /// Legal Services only. Served over WebSocket at `/graphql/ws`.
    async fn report_job_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The job.")] id: ID,
    ) -> async_graphql::Result<BoxStream<'static, async_graphql::Result<ReportJob>>> {
        let request = caller(ctx)?;
        allowed(request, "reportJobUpdated")?;
        let id = parse_id::<ReportJobId>("id", &id)?.get();
        let db = ctx.data_unchecked::<DatabaseConnection>().clone();
        // Refuse an unknown job at once rather than with an empty stream.
        jobs::visible_job(&db, &request.principal, id).await?;
        let settings = settings(ctx);
        Ok(jobs::watch(db, id)
            .map(move |job| {
                job.map(|job| ReportJob::new(job, settings))
                    .map_err(async_graphql::Error::from)
            })
            .boxed())
    }
}

/// The schema's `Subscription` type: the live alerts' fields ([`AlertSubscription`], which
/// names the type) and the report jobs' ([`ReportSubscription`]), as one object.
///
/// async-graphql's merged subscriptions need each part to have its own type name, and the
/// alerts' part already is `Subscription`; so the report jobs' fields are added to that type
/// here. They resolve with `ReportSubscription` as their parent, which the policy guard reads
/// as `Subscription` (see `authz::guard`).
#[derive(Default)]
pub struct SubscriptionRoot(AlertSubscription, ReportSubscription);

impl SubscriptionType for SubscriptionRoot {
    fn type_name() -> Cow<'static, str> {
        AlertSubscription::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        let name = AlertSubscription::create_type_info(registry);
        ReportSubscription::create_type_info(registry);
        let extra = match registry.types.get(&*ReportSubscription::type_name()) {
            Some(MetaType::Object { fields, .. }) => fields.clone(),
            _ => Default::default(),
        };
        if let Some(MetaType::Object { fields, .. }) =
            registry.types.get_mut(&*AlertSubscription::type_name())
        {
            fields.extend(extra);
        }
        name
    }

    fn create_field_stream<'a>(
        &'a self,
        ctx: &'a Context<'_>,
    ) -> Option<Pin<Box<dyn Stream<Item = Response> + Send + 'a>>> {
        self.0
            .create_field_stream(ctx)
            .or_else(|| self.1.create_field_stream(ctx))
    }
}
