//! Review (7): no later than the review period after the decision to restrict (at most 12
//! months, 7.1), Legal Services reviews the case at cross-cutting service level and recommends
//! that the restrictions continue, or are partially or fully removed (7.2, 7.3); the Group
//! Director endorses the recommendation or not, and Legal Services tells the customer (7.4).

use chrono::{DateTime, Utc};
use entities::enums::{LetterKind, RestrictionStatus, ReviewRecommendation};
use entities::notification::AlertEvent;
use entities::{restriction, review, upc_case};

use super::adjustments::{self, AdjustmentId};
use super::error::{DomainError, DomainResult};
use super::letters::{LetterContent, line};
use super::lifecycle::{CaseFile, LifecycleSettings, Step};
use super::outcome::{AuditEntry, LetterOrder, Outcome, Ref};
use super::roles::Principal;
use super::values::{RecordId, RestrictionId, Text};

/// Legal Services' recommendation (`recommendReview`).
#[derive(Debug, Clone)]
pub struct RecommendReview {
    /// The case version the caller read.
    pub version: i64,
    /// Continue, partially remove or fully remove.
    pub recommendation: ReviewRecommendation,
    /// Reasons, considering the contact during the restriction period (7.2).
    pub reasons: Text,
    /// For a partial removal: the restrictions to remove.
    pub remove: Vec<RestrictionId>,
    /// The customer's reasonable adjustments considered (`adjustmentIdsConsidered`): each the
    /// customer's and in place on the day of the decision.
    pub adjustment_ids: Vec<AdjustmentId>,
}

/// Recommend (7.2, 7.3). A partial removal names some, not all, of the restrictions in force.
pub fn recommend(
    cmd: RecommendReview,
    file: &CaseFile,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    file.open_step(Step::RecommendReview, actor)?;
    file.expect_version(cmd.version)?;
    let in_force: Vec<i64> = file.restrictions_in_force().map(|r| r.id).collect();
    let mut remove: Vec<i64> = cmd.remove.iter().map(|id| id.get()).collect();
    match cmd.recommendation {
        ReviewRecommendation::PartiallyRemove => {
            if remove.is_empty() {
                return Err(DomainError::bad_input(
                    "removeRestrictionIds",
                    "a partial removal names the restrictions to remove",
                ));
            }
            if let Some(bad) = remove.iter().find(|id| !in_force.contains(id)) {
                return Err(DomainError::bad_input(
                    "removeRestrictionIds",
                    format!("restriction {bad} is not in force on this case"),
                ));
            }
            remove.sort_unstable();
            remove.dedup();
            if remove.len() >= in_force.len() {
                return Err(DomainError::bad_input(
                    "removeRestrictionIds",
                    "removing every restriction is a full removal: recommend fully_remove",
                ));
            }
        }
        _ => {
            if !remove.is_empty() {
                return Err(DomainError::bad_input(
                    "removeRestrictionIds",
                    "name restrictions to remove only for a partial removal",
                ));
            }
        }
    }
    let today = now.date_naive();
    let noted = adjustments::considered(&cmd.adjustment_ids, &file.adjustments, today)?;
    let reasons = cmd.reasons.into_string();
    let mut out = Outcome::new();
    let r = adjustments::with_considered(
        &mut out,
        review::Model {
            id: 0,
            case_id: file.case.id,
            due_on: file.case.review_due_on.unwrap_or(today),
            conducted_by: Some(actor.subject.clone()),
            recommendation: Some(cmd.recommendation),
            recommendation_reasons: Some(reasons.clone()),
            recommended_on: Some(today),
            endorsed: None,
            endorsed_by: None,
            endorsed_on: None,
            endorsement_reasons: None,
            customer_told_at: None,
            remove_restriction_ids: if remove.is_empty() {
                None
            } else {
                serde_json::to_string(&remove).ok()
            },
            version: 1,
            created_at: now,
        },
        noted.clone(),
    );
    out.change(file.case.clone(), file.case.clone());
    Ok(out.audited(
        AuditEntry::new("case.recommend_review", "review", r)
            .on_case(Ref::Stored(file.case.id))
            .because(reasons)
            .considering(&noted),
    ))
}

/// The Group Director's endorsement (`endorseReview`).
#[derive(Debug, Clone)]
pub struct EndorseReview {
    /// The case version the caller read.
    pub version: i64,
    /// Whether the recommendation is endorsed.
    pub endorsed: bool,
    /// Reasons.
    pub reasons: Text,
}

/// Endorse or not (7.4). Endorsed, the recommendation is applied: continue keeps the
/// restrictions, partial removal lifts the named ones, full removal lifts all and closes the
/// case. Not endorsed, they continue. Restrictions that continue get a new review date (7.1),
/// and the customer is written to.
pub fn endorse(
    cmd: EndorseReview,
    file: &CaseFile,
    settings: &LifecycleSettings,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    file.open_step(Step::EndorseReview, actor)?;
    file.expect_version(cmd.version)?;
    let pending = file
        .reviews
        .iter()
        .find(|r| r.recommendation.is_some() && r.endorsed.is_none())
        .ok_or_else(|| DomainError::InvalidTransition {
            message: "endorseReview refused: there is no review recommendation to endorse (7.4)"
                .into(),
            current: file.case.stage.as_str().to_string(),
            allowed: Vec::new(),
        })?;
    let recommendation = pending
        .recommendation
        .unwrap_or(ReviewRecommendation::Continue);
    let to_remove: Vec<i64> = pending
        .remove_restriction_ids
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    let today = now.date_naive();
    let next_review = settings.latest_review(today);
    let reasons = cmd.reasons.into_string();
    let lift_reason = format!("removed on review: {reasons}");
    let mut out = Outcome::new();
    let mut lifted = Vec::new();
    let mut kept = Vec::new();
    for r in file.restrictions_in_force() {
        let lift = cmd.endorsed
            && match recommendation {
                ReviewRecommendation::FullyRemove => true,
                ReviewRecommendation::PartiallyRemove => to_remove.contains(&r.id),
                ReviewRecommendation::Continue => false,
            };
        let after = if lift {
            restriction::Model {
                status: RestrictionStatus::Lifted,
                lifted_on: Some(today),
                lifted_reason: Some(lift_reason.clone()),
                ..r.clone()
            }
        } else {
            restriction::Model {
                review_due_on: next_review,
                ..r.clone()
            }
        };
        let changed = out.change(r.clone(), after.clone());
        if lift {
            out.alert(AlertEvent::Lifted, changed);
            lifted.push(line(&after));
        } else {
            kept.push(line(&after));
        }
    }
    let endorsed = out.change(
        pending.clone(),
        review::Model {
            endorsed: Some(cmd.endorsed),
            endorsed_by: Some(actor.subject.clone()),
            endorsed_on: Some(today),
            endorsement_reasons: Some(reasons.clone()),
            ..pending.clone()
        },
    );
    let closing = kept.is_empty();
    out.letter(LetterOrder {
        case_id: file.case.id,
        kind: LetterKind::ReviewOutcome,
        regarding: ("review", endorsed),
        letter_date: today,
        content: LetterContent {
            reasons: format!(
                "{}\n\n{}",
                pending.recommendation_reasons.clone().unwrap_or_default(),
                reasons
            ),
            recommendation: Some(recommendation),
            endorsed: Some(cmd.endorsed),
            restrictions: kept,
            lifted,
            review_due_on: (!closing).then_some(next_review),
            ..LetterContent::default()
        },
    });
    let case_after = if closing {
        file.closed(
            format!("restrictions fully removed on review: {reasons}"),
            now,
        )
    } else {
        upc_case::Model {
            review_due_on: Some(next_review),
            flagged_for_review: false,
            flag_reason: None,
            ..file.case.clone()
        }
    };
    out.change(file.case.clone(), case_after);
    Ok(out.audited(
        AuditEntry::new("case.endorse_review", "review", endorsed)
            .on_case(Ref::Stored(file.case.id))
            .because(reasons),
    ))
}
