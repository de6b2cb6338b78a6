//! How a case ends ([`crate::domain::endings`]), run by the worker on a schedule: find the
//! cases that may have ended with one cheap query, then close each in its own transaction.
//!
//! Safe to run at any time, as often as wanted, by several workers at once: each case's
//! transaction first claims the case row (a write that changes nothing, so a second run waits
//! for the first to finish with that case, then reads it as left), and the case is closed only
//! if it is still as read (its version). When two runs meet the same case one closes it and the
//! other finds it closed, or its version moved, and skips it — no error, no second letter or
//! audit event. A case already closed is no longer a candidate, so a second run closes nothing
//! the first did.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Months, Utc};
use entities::enums::{CaseStage, CaseStatus, RestrictionStatus, WarningStatus};
use entities::{exclusion, restriction, stage_1_warning, upc_case};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

use crate::auth::Principal;
use crate::authz::RequestContext;
use crate::domain::endings::{self, EndingFacts, StaysOpen};
use crate::domain::lifecycle::LifecycleSettings;
use crate::error::{ApiError, ApiResult};
use crate::store::{Session, facts};

/// The subject the endings run acts as: its letters are issued by, and its audit events
/// recorded under, this name.
pub const ENDINGS_SUBJECT: &str = "system:endings";

/// A case closed (or, in a dry run, that would be).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClosedCase {
    /// The case id.
    pub case_id: i64,
    /// Its reference, e.g. `UPC-2026-0001`.
    pub reference: String,
    /// The closure reason, starting `warning period ended` or `restrictions ended`.
    pub reason: String,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EndingsRun {
    /// How many candidate cases were looked at.
    pub checked: usize,
    /// The cases closed (dry run: that would be closed), in id order.
    pub closed: Vec<ClosedCase>,
}

/// Close every case that has ended at `now` — a Stage 1 warning whose period is over with no
/// further behaviour reported, a Stage 2 case whose restrictions all ended after review — each
/// in its own transaction with its letter to the customer and its audit event. Idempotent and
/// safe with several workers at once (see the module docs). For a scheduler: call it with the
/// lifecycle settings (`Settings::lifecycle()`) and `Utc::now()`.
pub async fn close_ended_cases(
    db: &DatabaseConnection,
    settings: &LifecycleSettings,
    now: DateTime<Utc>,
) -> Result<EndingsRun, ApiError> {
    let candidates = candidates(db, settings, now).await?;
    let request = context(now);
    let session = Session {
        db,
        request: &request,
        settings,
        alerts: None,
        now,
        service_ids: None,
    };
    let mut run = EndingsRun {
        checked: candidates.len(),
        closed: Vec::new(),
    };
    for id in candidates {
        if let Some(closed) = close_one(&session, id).await? {
            tracing::info!(case = %closed.reference, reason = %closed.reason, "case closed");
            run.closed.push(closed);
        }
    }
    Ok(run)
}

/// The cases [`close_ended_cases`] would close at `now`, writing nothing.
pub async fn ended_cases(
    db: &DatabaseConnection,
    settings: &LifecycleSettings,
    now: DateTime<Utc>,
) -> Result<EndingsRun, ApiError> {
    let candidates = candidates(db, settings, now).await?;
    let mut run = EndingsRun {
        checked: candidates.len(),
        closed: Vec::new(),
    };
    for id in candidates {
        let Some(facts) = ending_facts(db, id).await? else {
            continue;
        };
        if let Ok(outcome) = endings::close(&facts, settings, now)
            && let Some(reason) = outcome.audit.and_then(|a| a.reason)
        {
            run.closed.push(ClosedCase {
                case_id: id,
                reference: facts.file.case.reference.clone(),
                reason,
            });
        }
    }
    Ok(run)
}

/// Why case `id` stays open at `now`, or `None` when it has ended (or does not exist).
pub async fn why_open(
    db: &DatabaseConnection,
    settings: &LifecycleSettings,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<Option<StaysOpen>> {
    Ok(match ending_facts(db, id).await? {
        Some(facts) => endings::ending(&facts, settings, now.date_naive()).err(),
        None => None,
    })
}

/// The principal the run acts as.
fn context(now: DateTime<Utc>) -> RequestContext {
    RequestContext {
        client_address: None,
        principal: Principal {
            subject: ENDINGS_SUBJECT.into(),
            name: Some("Case endings".into()),
            roles: BTreeSet::new(),
            services: BTreeSet::new(),
            services_from_directory: false,
        }
        .into(),
        request_id: format!("endings-{}", now.format("%Y%m%dT%H%M%SZ")),
    }
}

/// Close case `id` in its own transaction, if it has ended. `None` when it has not, or when
/// another run closed or changed it first (its version moved: skipped silently).
async fn close_one(session: &Session<'_>, id: i64) -> ApiResult<Option<ClosedCase>> {
    let mut uow = session.begin(None).await?;
    // Claim the case first with a write that changes nothing: on PostgreSQL it locks the row,
    // so a second run waits here and then reads the case as the first left it; on SQLite it
    // takes the write lock before anything is read, so the facts are never stale when written.
    let claimed = upc_case::Entity::update_many()
        .col_expr(
            upc_case::Column::Version,
            Expr::col(upc_case::Column::Version),
        )
        .filter(upc_case::Column::Id.eq(id))
        .filter(upc_case::Column::Status.eq(CaseStatus::Open))
        .exec(uow.txn())
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(None);
    }
    let Some(facts) = ending_facts(uow.txn(), id).await? else {
        return Ok(None);
    };
    let Ok(outcome) = endings::close(&facts, session.settings, session.now) else {
        return Ok(None);
    };
    let reference = facts.file.case.reference.clone();
    let applied = match uow.apply(outcome).await {
        Ok(applied) => applied,
        // Another run closed (or someone changed) the case since it was read.
        Err(ApiError::Conflict(why)) => {
            tracing::debug!(case = %reference, %why, "skipped: the case changed since it was read");
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let case: upc_case::Model = applied.written()?;
    uow.commit("upc_case", case.id, &case).await?;
    Ok(Some(ClosedCase {
        case_id: case.id,
        reference,
        reason: case.closure_reason.unwrap_or_default(),
    }))
}

/// The facts deciding whether case `id` has ended: its case file and exclusions.
async fn ending_facts<C: sea_orm::ConnectionTrait>(
    db: &C,
    id: i64,
) -> ApiResult<Option<EndingFacts>> {
    let Some(case) = upc_case::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let file = facts::case_file(db, case).await?;
    let exclusions = exclusion::Entity::find()
        .filter(exclusion::Column::CaseId.eq(id))
        .order_by_asc(exclusion::Column::Id)
        .all(db)
        .await?;
    Ok(Some(EndingFacts { file, exclusions }))
}

/// Open cases that may have ended at `now`, in id order (a superset: the domain decides):
/// at Stage 1 with a standing warning whose period is over; at Stage 2 with no restriction that
/// is active and permanent, open-ended or not yet at its last day.
async fn candidates(
    db: &DatabaseConnection,
    settings: &LifecycleSettings,
    now: DateTime<Utc>,
) -> ApiResult<Vec<i64>> {
    let today = now.date_naive();
    // Warnings issued before their period's end was kept: counted from the letter's date (a
    // few days' margin for month ends; the domain has the last word).
    let months = Months::new(settings.warning_period_months.clamp(1, 24));
    let letters_before = today
        .checked_sub_months(months)
        .map_or(today, |d| d + Duration::days(4));
    let warned: Vec<i64> = upc_case::Entity::find()
        .select_only()
        .column(upc_case::Column::Id)
        .filter(upc_case::Column::Status.eq(CaseStatus::Open))
        .filter(upc_case::Column::Stage.eq(CaseStage::Stage1Warning))
        .filter(
            upc_case::Column::Id.in_subquery(
                Query::select()
                    .column(stage_1_warning::Column::CaseId)
                    .from(stage_1_warning::Entity)
                    .cond_where(
                        Condition::all()
                            .add(stage_1_warning::Column::Status.eq(WarningStatus::Active))
                            .add(
                                Condition::any()
                                    .add(stage_1_warning::Column::PeriodEndsOn.lt(today))
                                    .add(
                                        Condition::all()
                                            .add(stage_1_warning::Column::PeriodEndsOn.is_null())
                                            .add(
                                                stage_1_warning::Column::LetterDate
                                                    .lt(letters_before),
                                            ),
                                    ),
                            ),
                    )
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(db)
        .await?;
    let restricted: Vec<i64> = upc_case::Entity::find()
        .select_only()
        .column(upc_case::Column::Id)
        .filter(upc_case::Column::Status.eq(CaseStatus::Open))
        .filter(upc_case::Column::Stage.eq(CaseStage::Stage2Restricted))
        .filter(
            upc_case::Column::Id.not_in_subquery(
                Query::select()
                    .column(restriction::Column::CaseId)
                    .from(restriction::Entity)
                    .cond_where(
                        Condition::all()
                            .add(restriction::Column::Status.eq(RestrictionStatus::Active))
                            .add(
                                Condition::any()
                                    .add(restriction::Column::Permanent.eq(true))
                                    .add(restriction::Column::EndsOn.is_null())
                                    .add(restriction::Column::EndsOn.gte(today)),
                            ),
                    )
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(db)
        .await?;
    let mut ids: Vec<i64> = warned.into_iter().chain(restricted).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}
