//! Review (7).

use entities::enums::{CaseStage, LetterKind, RestrictionStatus, ReviewRecommendation};
use entities::review;

use super::fixtures::*;
use crate::domain::outcome::Row;
use crate::domain::reviews::{EndorseReview, RecommendReview, endorse, recommend};
use crate::domain::values::{RecordId, RestrictionId, Text};

fn recommendation(recommendation: ReviewRecommendation, remove: &[i64]) -> RecommendReview {
    RecommendReview {
        adjustment_ids: Vec::new(),
        version: 4,
        recommendation,
        reasons: Text::parse("reasons", "Contact has been reasonable for a year").unwrap(),
        remove: remove
            .iter()
            .map(|id| RestrictionId::from_key(*id))
            .collect(),
    }
}

#[test]
fn legal_services_review_and_a_partial_removal_names_some_not_all_7_2_7_3() {
    let file = restricted();
    let now = at(2027, 3, 1);
    let refused = recommend(
        recommendation(ReviewRecommendation::Continue, &[]),
        &file,
        &group_director(),
        now,
    )
    .unwrap_err();
    assert_eq!(code(&refused), "FORBIDDEN", "7.2: Legal Services reviews");
    let refused = recommend(
        recommendation(ReviewRecommendation::PartiallyRemove, &[41, 42]),
        &file,
        &legal_services(),
        now,
    )
    .unwrap_err();
    assert!(refused.message().contains("fully_remove"), "{refused:?}");
    assert!(
        recommend(
            recommendation(ReviewRecommendation::PartiallyRemove, &[41]),
            &file,
            &legal_services(),
            now,
        )
        .is_ok()
    );
}

#[test]
fn an_endorsed_full_removal_lifts_every_restriction_and_closes_the_case_7_4() {
    let mut file = restricted();
    file.reviews.push(review::Model {
        id: 81,
        case_id: 7,
        due_on: day(2027, 4, 1),
        conducted_by: Some("legal".into()),
        recommendation: Some(ReviewRecommendation::FullyRemove),
        recommendation_reasons: Some("Reasonable for a year".into()),
        recommended_on: Some(day(2027, 3, 1)),
        endorsed: None,
        endorsed_by: None,
        endorsed_on: None,
        endorsement_reasons: None,
        customer_told_at: None,
        remove_restriction_ids: None,
        version: 1,
        created_at: at(2027, 3, 1),
    });
    let out = endorse(
        EndorseReview {
            version: 4,
            endorsed: true,
            reasons: Text::parse("reasons", "Agreed").unwrap(),
        },
        &file,
        &settings(),
        &group_director(),
        at(2027, 3, 8),
    )
    .unwrap();
    let lifted = out
        .changed
        .iter()
        .filter(
            |c| matches!(&c.after, Row::Restriction(r) if r.status == RestrictionStatus::Lifted),
        )
        .count();
    assert_eq!(lifted, 2);
    assert_eq!(out.alerts.len(), 2);
    assert!(
        matches!(&out.changed.last().unwrap().after, Row::Case(c) if c.stage == CaseStage::Closed)
    );
    assert_eq!(out.letters[0].kind, LetterKind::ReviewOutcome);
    assert_eq!(
        out.letters[0].content.review_due_on, None,
        "nothing left to review"
    );
}
