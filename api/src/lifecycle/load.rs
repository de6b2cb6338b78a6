//! Gathering the facts of a case for the state machine, and the names restrictions refer to.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::enums::{AppealOutcome, RestrictionStatus, WarningStatus};
use entities::{
    appeal, establishment, restriction, review, staff_member, staff_team, stage_1_warning, upc_case,
};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use super::CaseFacts;
use crate::letters::Names;

/// The state-machine facts of `case` from its records.
pub fn facts_from(
    case: &upc_case::Model,
    warnings: &[stage_1_warning::Model],
    appeals: &[appeal::Model],
    report_times: &[DateTime<Utc>],
    restrictions: &[restriction::Model],
    reviews: &[review::Model],
) -> CaseFacts {
    let standing = warnings
        .iter()
        .filter(|w| w.status == WarningStatus::Active)
        .max_by_key(|w| w.id);
    let warning_appealed = standing.is_some_and(|w| appeals.iter().any(|a| a.warning_id == w.id));
    let reports_since_warning = standing.is_some_and(|w| {
        report_times
            .iter()
            .any(|at| at.date_naive() > w.letter_date)
    });
    CaseFacts {
        stage: Some(case.stage),
        status: Some(case.status),
        active_warning: standing.is_some(),
        warning_appealed,
        pending_appeal: appeals.iter().any(|a| a.outcome == AppealOutcome::Pending),
        reports_since_warning,
        active_restrictions: restrictions
            .iter()
            .filter(|r| r.status == RestrictionStatus::Active)
            .count(),
        pending_review: reviews
            .iter()
            .any(|r| r.recommendation.is_some() && r.endorsed.is_none()),
    }
}

/// Names of every establishment, staff member and team, for describing restrictions.
pub async fn names<C: ConnectionTrait>(db: &C) -> Result<Names, DbErr> {
    let establishments: HashMap<i64, String> = establishment::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect();
    let staff: HashMap<i64, String> = staff_member::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.display_name))
        .collect();
    let teams: HashMap<i64, String> = staff_team::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    Ok(Names {
        establishments,
        staff,
        teams,
    })
}
