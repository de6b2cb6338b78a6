//! Report jobs (issue 6): asking for the annual report, who may see which jobs and download
//! which files, and what of a job is safe to show. The worker (`upc-worker`) runs the jobs; the
//! API only queues them and serves what the worker wrote.
//!
//! Asking again for the same report (same year, edition and services) while one is queued or
//! running returns that job: the request's canonical key is unique among active jobs (the
//! partial unique index `uq_report_job_active_request`), so two requests racing each other
//! still make one job.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Utc};
use chrono_tz::Europe::London;
use entities::enums::{ReportEdition, ReportJobStatus};
use entities::{report_artifact, report_job, service};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
    TransactionTrait,
};

use super::model::AnnualReport;
use crate::audit::{self, Change};
use crate::auth::{Principal, Role};
use crate::authz::RequestContext;
use crate::authz::policy::REPORT_REQUESTERS;
use crate::error::{ApiError, ApiResult};

/// The artifact holding the report itself, which the API reads back for GraphQL.
pub const REPORT_JSON: &str = "report.json";

/// The first reporting year that may be asked for.
pub const FIRST_YEAR: i32 = 2000;

/// Attempts a new job is allowed (the worker retries with back-off until then).
pub const MAX_ATTEMPTS: i32 = 3;

/// The reporting year's settings the API needs (the worker has its own copy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportSettings {
    /// First month of the reporting year, 1 to 12 (`reporting_year_start_month`; 4 = April).
    pub year_start_month: u32,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            year_start_month: 4,
        }
    }
}

impl ReportSettings {
    /// The label of the reporting year starting in `year`: `2024-25`, or `2024` when the year
    /// runs January to December.
    pub fn label(&self, year: i32) -> String {
        if self.year_start_month <= 1 {
            year.to_string()
        } else {
            format!("{year}-{:02}", (year + 1).rem_euclid(100))
        }
    }

    /// The reporting year `day` falls in (by the year it starts in).
    pub fn year_of(&self, day: NaiveDate) -> i32 {
        if day.month() >= self.year_start_month {
            day.year()
        } else {
            day.year() - 1
        }
    }
}

/// Today in the council's time zone.
pub fn today_in_london() -> NaiveDate {
    Utc::now().with_timezone(&London).date_naive()
}

/// A request for the annual report, checked: the year has begun and is not before
/// [`FIRST_YEAR`], and every service named exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    year: i32,
    edition: ReportEdition,
    /// Sorted, without repeats; `None` for every service.
    services: Option<Vec<i64>>,
}

impl ReportRequest {
    /// Check a request made on `today`. Errors name the input field at fault
    /// (`input.reportingYear`, `input.serviceIds`).
    pub async fn new<C: ConnectionTrait>(
        db: &C,
        settings: &ReportSettings,
        today: NaiveDate,
        year: i32,
        edition: ReportEdition,
        services: Option<Vec<i64>>,
    ) -> ApiResult<Self> {
        let current = settings.year_of(today);
        if !(FIRST_YEAR..=current).contains(&year) {
            return Err(ApiError::bad_input(
                "input.reportingYear",
                format!(
                    "reportingYear must be from {FIRST_YEAR} to {current} (the reporting year \
                     {} is the latest that has begun)",
                    settings.label(current)
                ),
            ));
        }
        let services = match services {
            None => None,
            Some(ids) if ids.is_empty() => {
                return Err(ApiError::bad_input(
                    "input.serviceIds",
                    "serviceIds is empty: name at least one service, or leave it out for all",
                ));
            }
            Some(ids) => {
                let wanted: BTreeSet<i64> = ids.into_iter().collect();
                let found: BTreeSet<i64> = service::Entity::find()
                    .select_only()
                    .column(service::Column::Id)
                    .filter(service::Column::Id.is_in(wanted.iter().copied()))
                    .into_tuple::<i64>()
                    .all(db)
                    .await?
                    .into_iter()
                    .collect();
                let missing: Vec<String> =
                    wanted.difference(&found).map(|id| id.to_string()).collect();
                if !missing.is_empty() {
                    return Err(ApiError::bad_input(
                        "input.serviceIds",
                        format!("no service with id {}", missing.join(", ")),
                    ));
                }
                Some(wanted.into_iter().collect())
            }
        };
        Ok(ReportRequest {
            year,
            edition,
            services,
        })
    }

    /// The canonical key: `year|edition|ids` with the ids sorted and comma-separated, or `all`.
    pub fn key(&self) -> String {
        request_key(self.year, self.edition, self.services.as_deref())
    }
}

/// The canonical key of a request: `2024|public|all`, `2024|internal|1,3`.
pub fn request_key(year: i32, edition: ReportEdition, services: Option<&[i64]>) -> String {
    let services = match services {
        None => "all".to_string(),
        Some(ids) => {
            let sorted: BTreeSet<i64> = ids.iter().copied().collect();
            sorted
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        }
    };
    format!("{year}|{}|{services}", edition.as_str())
}

/// What came of a request.
#[derive(Debug, Clone)]
pub struct Requested {
    /// The job: a new one, or the one already queued or running for the same report.
    pub job: report_job::Model,
    /// Whether this request created it.
    pub created: bool,
}

/// The queued or running job for `key`, if there is one.
pub async fn active_job<C: ConnectionTrait>(
    db: &C,
    key: &str,
) -> ApiResult<Option<report_job::Model>> {
    Ok(report_job::Entity::find()
        .filter(report_job::Column::RequestKey.eq(key))
        .filter(
            report_job::Column::Status.is_in([ReportJobStatus::Queued, ReportJobStatus::Running]),
        )
        .order_by_desc(report_job::Column::Id)
        .one(db)
        .await?)
}

/// Queue `wanted` for the caller of `request`, in one transaction with its audit event; or
/// return the job already queued or running for the same report.
pub async fn request(
    db: &DatabaseConnection,
    request: &RequestContext,
    wanted: &ReportRequest,
) -> ApiResult<Requested> {
    let key = wanted.key();
    let txn = db.begin().await?;
    if let Some(job) = active_job(&txn, &key).await? {
        txn.rollback().await?;
        return Ok(Requested {
            job,
            created: false,
        });
    }
    let now = Utc::now();
    let inserted = report_job::ActiveModel {
        requested_by: Set(request.principal.subject.clone()),
        reporting_year: Set(wanted.year),
        services: Set(wanted.services.as_ref().map(|ids| serde_json::json!(ids))),
        edition: Set(wanted.edition),
        status: Set(ReportJobStatus::Queued),
        progress: Set(0),
        attempts: Set(0),
        max_attempts: Set(MAX_ATTEMPTS),
        run_after: Set(now),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        error: Set(None),
        started_at: Set(None),
        finished_at: Set(None),
        request_key: Set(Some(key.clone())),
        heartbeat_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let job = match inserted {
        Ok(job) => job,
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            // Another request for the same report committed first; on PostgreSQL this
            // transaction is now unusable, so read the winner outside it.
            txn.rollback().await?;
            return match active_job(db, &key).await? {
                Some(job) => Ok(Requested {
                    job,
                    created: false,
                }),
                // It finished in between: rare enough to leave to the caller.
                None => Err(ApiError::Conflict(
                    "the same report was requested at the same moment and has already \
                     finished; ask again for a fresh one"
                        .into(),
                )),
            };
        }
        Err(e) => return Err(e.into()),
    };
    audit::record(
        &txn,
        request,
        Change::created("report_job.request", "report_job", job.id, &job),
    )
    .await?;
    txn.commit().await?;
    Ok(Requested { job, created: true })
}

/// Which report jobs a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobVisibility {
    /// Every job (the Monitoring Officer and Legal Services, who ask for them).
    All,
    /// Finished jobs only (the Standards Committee reads the report, not the queue).
    DoneOnly,
    /// None.
    Nothing,
}

impl JobVisibility {
    /// The visibility of `principal`: the widest its roles grant.
    pub fn of(principal: &Principal) -> Self {
        if principal.has_any_role(REPORT_REQUESTERS) {
            JobVisibility::All
        } else if principal.has_role(Role::StandardsCommittee) {
            JobVisibility::DoneOnly
        } else {
            JobVisibility::Nothing
        }
    }

    /// A condition on `report_job` rows implementing it.
    pub fn condition(self) -> Condition {
        match self {
            JobVisibility::All => Condition::all(),
            JobVisibility::DoneOnly => {
                Condition::all().add(report_job::Column::Status.eq(ReportJobStatus::Done))
            }
            JobVisibility::Nothing => Condition::all().add(Expr::val(1).eq(0)),
        }
    }

    /// Whether `job` is one of those it shows.
    pub fn shows(self, job: &report_job::Model) -> bool {
        match self {
            JobVisibility::All => true,
            JobVisibility::DoneOnly => job.status == ReportJobStatus::Done,
            JobVisibility::Nothing => false,
        }
    }
}

/// Why a caller may not download a job's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadRefusal {
    /// The caller may not see the job at all: answered as if there were no such job.
    NotFound,
    /// The caller sees the job but may not have these files.
    Forbidden(String),
}

/// May `principal` download the files of `job`? The Monitoring Officer and Legal Services: any
/// job's. The Standards Committee: a finished public edition's; an internal edition's files
/// hold free text about people (exceptional reasons), which the Committee reads none of
/// (policy 8.2; the typed `report` in GraphQL withholds that field instead). Anyone else is
/// refused before this is asked.
pub fn may_download(principal: &Principal, job: &report_job::Model) -> Result<(), DownloadRefusal> {
    let visibility = JobVisibility::of(principal);
    if !visibility.shows(job) {
        return Err(DownloadRefusal::NotFound);
    }
    if visibility == JobVisibility::DoneOnly && job.edition != ReportEdition::Public {
        return Err(DownloadRefusal::Forbidden(
            "the Standards Committee downloads the public edition's files; read the internal \
             edition through GraphQL (reportJob.report)"
                .into(),
        ));
    }
    Ok(())
}

/// What may be shown of a job's last error: its first line when it reads as a reason for a
/// person, else a sentence saying the details are in the worker's log. Nothing for a job that
/// finished, or has not failed.
pub fn safe_reason(job: &report_job::Model) -> Option<String> {
    if job.status == ReportJobStatus::Done {
        return None;
    }
    let raw = job.error.as_deref()?.trim();
    if raw.is_empty() {
        return None;
    }
    let first = raw.lines().next().unwrap_or_default().trim();
    let lower = first.to_lowercase();
    // Words and marks of internals: SQL, library messages, paths, source locations.
    const INTERNAL: &[&str] = &[
        "sql",
        "database",
        "postgres",
        "sqlite",
        "constraint",
        "relation ",
        "column ",
        "syntax",
        "select ",
        "insert ",
        "update ",
        "delete ",
        "panick",
        "thread '",
        ".rs:",
        "::",
        "/",
        "\\",
        "password",
        "secret",
        "token",
        "connection",
        "os error",
        "0x",
    ];
    if first.is_empty() || first.chars().count() > 200 || INTERNAL.iter().any(|w| lower.contains(w))
    {
        return Some(match job.status {
            ReportJobStatus::Failed => format!(
                "the report could not be produced after {} attempts; the details are in the \
                 worker's log (job {})",
                job.attempts, job.id
            ),
            _ => format!(
                "the last attempt failed and will be retried; the details are in the worker's \
                 log (job {})",
                job.id
            ),
        });
    }
    Some(first.to_string())
}

/// The services a job names, as stored (`None` for every service).
pub fn service_ids(job: &report_job::Model) -> Option<Vec<i64>> {
    let ids = job.services.as_ref()?.as_array()?;
    Some(ids.iter().filter_map(serde_json::Value::as_i64).collect())
}

/// A file a job produced, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactSummary {
    /// File name, e.g. `summary.csv`.
    pub name: String,
    /// MIME type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
}

/// The files of `job_id`, by name, without reading their content.
pub async fn artifacts<C: ConnectionTrait>(db: &C, job_id: i64) -> ApiResult<Vec<ArtifactSummary>> {
    let rows = report_artifact::Entity::find()
        .select_only()
        .columns([
            report_artifact::Column::Name,
            report_artifact::Column::ContentType,
            report_artifact::Column::SizeBytes,
            report_artifact::Column::Sha256,
        ])
        .filter(report_artifact::Column::JobId.eq(job_id))
        .order_by_asc(report_artifact::Column::Name)
        .into_tuple::<(String, String, i64, String)>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(name, content_type, size_bytes, sha256)| ArtifactSummary {
            name,
            content_type,
            size_bytes,
            sha256,
        })
        .collect())
}

/// One file of `job_id`, content included.
pub async fn artifact<C: ConnectionTrait>(
    db: &C,
    job_id: i64,
    name: &str,
) -> ApiResult<Option<report_artifact::Model>> {
    Ok(report_artifact::Entity::find()
        .filter(report_artifact::Column::JobId.eq(job_id))
        .filter(report_artifact::Column::Name.eq(name))
        .one(db)
        .await?)
}

/// The report a finished job wrote to [`REPORT_JSON`]; `None` until there is one.
pub async fn report<C: ConnectionTrait>(db: &C, job_id: i64) -> ApiResult<Option<AnnualReport>> {
    let Some(file) = artifact(db, job_id, REPORT_JSON).await? else {
        return Ok(None);
    };
    serde_json::from_slice::<AnnualReport>(&file.content)
        .map(Some)
        .map_err(|e| ApiError::internal(format!("report job {job_id}: {REPORT_JSON}: {e}")))
}

/// Job `id`, if `principal` may see it.
pub async fn visible_job<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: i64,
) -> ApiResult<report_job::Model> {
    report_job::Entity::find_by_id(id)
        .filter(JobVisibility::of(principal).condition())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no report job {id} that you may see")))
}

/// A page of the jobs `principal` may see (only those in `status`, when given), newest first,
/// before job `before`, at most `limit`; and whether more follow.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    status: Option<ReportJobStatus>,
    before: Option<i64>,
    limit: u64,
) -> ApiResult<(Vec<report_job::Model>, bool)> {
    let mut cond = Condition::all().add(JobVisibility::of(principal).condition());
    if let Some(before) = before {
        cond = cond.add(report_job::Column::Id.lt(before));
    }
    if let Some(status) = status {
        cond = cond.add(report_job::Column::Status.eq(status));
    }
    let mut rows = report_job::Entity::find()
        .filter(cond)
        .order_by_desc(report_job::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let has_next = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((rows, has_next))
}

/// How often [`watch`] looks at the job: the worker is another process, so the API watches the
/// row's version.
const POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// Job `id` as it changes: first as it stands, then each time its version moves, ending after
/// it is done or has failed (or is deleted).
pub fn watch(
    db: sea_orm::DatabaseConnection,
    id: i64,
) -> impl futures_util::Stream<Item = ApiResult<report_job::Model>> + Send + 'static {
    struct Watch {
        db: sea_orm::DatabaseConnection,
        id: i64,
        sent: Option<i64>,
        finished: bool,
    }
    let start = Watch {
        db,
        id,
        sent: None,
        finished: false,
    };
    futures_util::stream::unfold(start, |mut w| async move {
        if w.finished {
            return None;
        }
        loop {
            if w.sent.is_some() {
                tokio::time::sleep(POLL).await;
            }
            let job = match report_job::Entity::find_by_id(w.id).one(&w.db).await {
                Ok(Some(job)) => job,
                // Deleted under us: nothing more will happen to it.
                Ok(None) => return None,
                Err(e) => {
                    w.finished = true;
                    return Some((Err(e.into()), w));
                }
            };
            if w.sent == Some(job.version) {
                continue;
            }
            w.sent = Some(job.version);
            w.finished = matches!(job.status, ReportJobStatus::Done | ReportJobStatus::Failed);
            return Some((Ok(job), w));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(status: ReportJobStatus, error: Option<&str>) -> report_job::Model {
        let now = Utc::now();
        report_job::Model {
            id: 7,
            requested_by: "mo".into(),
            reporting_year: 2024,
            services: None,
            edition: ReportEdition::Public,
            status,
            progress: 0,
            attempts: 3,
            max_attempts: 3,
            run_after: now,
            lease_owner: None,
            lease_expires_at: None,
            error: error.map(str::to_string),
            started_at: None,
            finished_at: None,
            request_key: None,
            heartbeat_at: None,
            version: 1,
            created_at: now,
        }
    }

    #[test]
    fn labels_follow_the_start_month() {
        let april = ReportSettings::default();
        assert_eq!(april.label(2024), "2024-25");
        assert_eq!(april.label(2099), "2099-00");
        assert_eq!(
            ReportSettings {
                year_start_month: 1
            }
            .label(2024),
            "2024"
        );
    }

    #[test]
    fn the_year_a_day_falls_in_starts_in_the_start_month() {
        let april = ReportSettings::default();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        assert_eq!(april.year_of(day(2025, 3, 31)), 2024);
        assert_eq!(april.year_of(day(2025, 4, 1)), 2025);
        let january = ReportSettings {
            year_start_month: 1,
        };
        assert_eq!(january.year_of(day(2025, 1, 1)), 2025);
    }

    #[test]
    fn keys_are_canonical() {
        assert_eq!(
            request_key(2024, ReportEdition::Public, None),
            "2024|public|all"
        );
        assert_eq!(
            request_key(2024, ReportEdition::Internal, Some(&[3, 1, 3])),
            "2024|internal|1,3"
        );
    }

    #[test]
    fn internals_never_reach_a_reason() {
        let leaky = job(
            ReportJobStatus::Failed,
            Some("error returned from database: relation \"report_job\" does not exist"),
        );
        let shown = safe_reason(&leaky).unwrap_or_default();
        assert!(!shown.contains("relation"), "{shown}");
        assert!(shown.contains("3 attempts"), "{shown}");
        let plain = job(
            ReportJobStatus::Failed,
            Some("no cases in the services asked for\nat step 2"),
        );
        assert_eq!(
            safe_reason(&plain).as_deref(),
            Some("no cases in the services asked for")
        );
        assert_eq!(safe_reason(&job(ReportJobStatus::Done, Some("x"))), None);
        assert_eq!(safe_reason(&job(ReportJobStatus::Queued, None)), None);
    }
}
