//! One case's records in one statement (issue 18): on PostgreSQL the case page reads every kind
//! of record it needs as JSON arrays in one statement, where it took one statement per kind.
//! Every kind decoded from that JSON equals the same rows read column by column, and the case
//! page with its timeline costs a handful of statements.

use api::auth::Role;
use api::store::reads::{self, CaseChild};
use entities::{
    appeal, breach, call_termination, contact, determination, exclusion, harassment_referral,
    hs_incident, letter, new_issue_consideration, police_referral, recording_request, restriction,
    review, stage_1_warning, stage_2_decision, upc_case,
};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::json;
use tests::{Backend, TestApp, db_tests};

use crate::access_records::council::*;

/// The intranet's case page, as the side-by-side benchmark asks for it.
const CASE_PAGE: &str = "query($id: ID!) { case(id: $id) {
  reference stage status serviceName customer { displayName }
  timeline { at kind recordId summary }
  stage2Decisions { id immediate decidedOn consultedRole reviewDueOn serviceTeamNotifiedAt }
  stage1Warnings { id letterDate appealDeadline status consultedOn copiedToFeedbackOfficer }
  restrictions { kind startsOn reviewDueOn }
  letters { id kind language issuedAt sentAt }
} }";

/// `E`'s rows of the cases `ids` read both ways must be equal; how many there were.
async fn same_both_ways<E>(db: &DatabaseConnection, ids: &[i64]) -> usize
where
    E: CaseChild,
    E::Model: serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let table = sea_orm::EntityName::table_name(&E::default());
    let by_column = reads::children_of::<E, _>(db, ids).await.expect(table);
    let texts = reads::children_json(db, ids, &[reads::children_json_column::<E>()])
        .await
        .expect(table);
    let by_json = reads::children_from_json::<E>(ids, &texts[0]).expect(table);
    assert_eq!(by_json, by_column, "{table}");
    // One case alone is a statement of its own (`= $1`, not `= ANY($1)`).
    for id in ids {
        let texts = reads::children_json(db, &[*id], &[reads::children_json_column::<E>()])
            .await
            .expect(table);
        let one = reads::children_from_json::<E>(&[*id], &texts[0]).expect(table);
        assert_eq!(one.get(id), by_column.get(id), "{table} of case {id}");
    }
    by_column.values().map(Vec::len).sum()
}

/// Every kind of a case's records, read as JSON in one statement, decodes to exactly the rows
/// read column by column, in the same order; cases without records get empty lists. (Only on
/// PostgreSQL: SQLite reads kind by kind.)
#[tokio::test]
async fn records_read_as_json_equal_records_read_by_column_on_postgres() {
    // The generator's cases (appeals, reviews, ...) in one database, two cases with every Health
    // & Safety record in another.
    let Some(seeded) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    api::seed::seed(
        &seeded.db,
        api::seed::Scale::new(0.005).expect("a scale"),
        7,
    )
    .await
    .expect("seeded");
    let Some(made) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let c = Council::new(&made).await;
    c.everything_about("Json Customer", "JSON-A").await;
    c.everything_about("Other Customer", "JSON-B").await;
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for db in [&seeded.db, &made.db] {
        let ids: Vec<i64> = upc_case::Entity::find()
            .all(db)
            .await
            .expect("cases")
            .iter()
            .map(|c| c.id)
            .chain([i64::MAX])
            .collect();
        for (kind, n) in [
            (
                "restriction",
                same_both_ways::<restriction::Entity>(db, &ids).await,
            ),
            ("appeal", same_both_ways::<appeal::Entity>(db, &ids).await),
            (
                "stage_1_warning",
                same_both_ways::<stage_1_warning::Entity>(db, &ids).await,
            ),
            ("review", same_both_ways::<review::Entity>(db, &ids).await),
            (
                "determination",
                same_both_ways::<determination::Entity>(db, &ids).await,
            ),
            (
                "stage_2_decision",
                same_both_ways::<stage_2_decision::Entity>(db, &ids).await,
            ),
            ("breach", same_both_ways::<breach::Entity>(db, &ids).await),
            ("letter", same_both_ways::<letter::Entity>(db, &ids).await),
            (
                "new_issue_consideration",
                same_both_ways::<new_issue_consideration::Entity>(db, &ids).await,
            ),
            (
                "hs_incident",
                same_both_ways::<hs_incident::Entity>(db, &ids).await,
            ),
            (
                "exclusion",
                same_both_ways::<exclusion::Entity>(db, &ids).await,
            ),
            (
                "police_referral",
                same_both_ways::<police_referral::Entity>(db, &ids).await,
            ),
            (
                "call_termination",
                same_both_ways::<call_termination::Entity>(db, &ids).await,
            ),
            (
                "harassment_referral",
                same_both_ways::<harassment_referral::Entity>(db, &ids).await,
            ),
            (
                "recording_request",
                same_both_ways::<recording_request::Entity>(db, &ids).await,
            ),
            ("contact", same_both_ways::<contact::Entity>(db, &ids).await),
        ] {
            *counts.entry(kind).or_default() += n;
        }
    }
    let none: Vec<&str> = counts
        .iter()
        .filter(|(_, n)| **n < 2)
        .map(|(k, _)| *k)
        .collect();
    assert!(
        none.is_empty(),
        "fewer than two rows of {none:?}: {counts:?}"
    );
}

db_tests! {
    async fn the_case_page_costs_a_handful_of_statements(app) {
        let c = Council::new(&app).await;
        let made = c.everything_about("Page Customer", "PAGE").await;
        let legal = app.token(Role::LegalServices, &[]);
        let (body, statements) = app.graphql_counting(&legal, CASE_PAGE, json!({"id": made.restricted_case})).await;
        assert!(body["errors"].is_null(), "{body}");
        let case = &body["data"]["case"];
        assert!(case["timeline"].as_array().is_some_and(|t| t.len() >= 10), "{case}");
        assert!(case["restrictions"].as_array().is_some_and(|r| !r.is_empty()), "{case}");
        assert!(case["letters"].as_array().is_some_and(|l| !l.is_empty()), "{case}");
        match app.backend {
            // The case, its customer, service and behaviour reports (with their types), every
            // other kind in one statement, and the access record.
            Backend::Postgres => assert!(statements <= 7, "{statements} statements"),
            // One batch per kind.
            Backend::Sqlite => assert!(statements >= 17, "{statements} statements"),
        }
    }
}
