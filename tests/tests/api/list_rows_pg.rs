//! Issue 18: on PostgreSQL the case list reads its page, customers, services and restrictions
//! with fixed statements (the ids as one array) and decodes the rows by position
//! (`store::list_pg`); SQLite keeps SeaORM's statements, decoded by column name. Both ways must
//! read the same rows: every page of the seeded data set, for callers with every kind of row
//! scope, with and without filters, page sizes that split it differently.

use api::domain::roles::{Principal, Role};
use api::store::reads::{self, CaseListFilter, CaseListParts, ListReads};
use entities::enums::{CaseStage, CaseStatus};
use entities::{restriction, service, upc_case};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, QueryOrder};
use tests::db_tests;

use crate::read_plan::small;

fn principal(subject: &str, roles: &[Role], services: &[&str]) -> Principal {
    Principal {
        subject: subject.to_string(),
        name: None,
        roles: roles.iter().copied().collect(),
        services: services.iter().map(|s| s.to_string()).collect(),
        services_from_directory: false,
    }
}

const EVERYTHING: CaseListParts = CaseListParts {
    customers: true,
    services: true,
    restrictions: true,
    restriction_parameters: false,
};

/// Every page of what `who` sees through `filter`, `limit` at a time, read as `reads` says.
async fn all_pages(
    db: &DatabaseConnection,
    who: &Principal,
    filter: &CaseListFilter,
    limit: u64,
    parts: CaseListParts,
    how: ListReads,
) -> Vec<reads::CaseListRows> {
    let mut pages = Vec::new();
    let mut after = 0;
    loop {
        let page = reads::case_list_rows_read(db, who, filter.clone(), after, limit, parts, how)
            .await
            .expect("a page");
        let last = page.cases.last().map(|c| c.id);
        let more = page.has_next;
        pages.push(page);
        match last {
            Some(id) if more => after = id,
            _ => return pages,
        }
    }
}

db_tests! {
    async fn case_list_rows_by_position_equal_rows_by_name(app) {
        api::seed::seed(&app.db, small(), 9).await.expect("seeded");
        let services: Vec<service::Model> = service::Entity::find().all(&app.db).await.expect("services");
        let cases: Vec<upc_case::Model> = upc_case::Entity::find().all(&app.db).await.expect("cases");
        // A case's restrictions are listed oldest first, not by id: make the later row of some
        // cases the older one, so the order is seen.
        let all: Vec<restriction::Model> = restriction::Entity::find().order_by_asc(restriction::Column::Id).all(&app.db).await.expect("restrictions");
        let mut reordered = 0;
        for pair in all.windows(2) {
            if pair[0].case_id == pair[1].case_id && reordered < 5 {
                let mut later: restriction::ActiveModel = pair[1].clone().into();
                later.created_at = Set(pair[0].created_at - chrono::Duration::days(1));
                later.update(&app.db).await.expect("made older");
                reordered += 1;
            }
        }
        assert!(reordered > 0, "no case with two restrictions");
        let (first, second) = (&services[0].code, &services[1].code);
        let callers = [
            principal("legal", &[Role::LegalServices], &[]),
            principal("officer", &[Role::Officer], &[first]),
            principal("manager", &[Role::ServiceManager], &[first, second]),
            principal("member", &[Role::ElectedMember], &[]),
            principal("nobody", &[Role::Officer], &[]),
        ];
        let filters = [
            CaseListFilter::default(),
            CaseListFilter { service_code: Some(second.clone()), ..Default::default() },
            CaseListFilter { stage: Some(CaseStage::Stage2Restricted), ..Default::default() },
            CaseListFilter { status: Some(CaseStatus::Closed), ..Default::default() },
            CaseListFilter { flagged_for_review: Some(true), ..Default::default() },
        ];
        let expected = ListReads::for_backend(&app.db);
        match app.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => assert_eq!(expected, ListReads::ByPosition),
            _ => assert_eq!(expected, ListReads::ByName),
        }

        let (mut pages, mut rows, mut restrictions) = (0, 0, 0);
        let (mut closed, mut emails, mut ended) = (0, 0, 0);
        for who in &callers {
            for filter in &filters {
                for limit in [7, 50] {
                    let by_name = all_pages(&app.db, who, filter, limit, EVERYTHING, ListReads::ByName).await;
                    let chosen = all_pages(&app.db, who, filter, limit, EVERYTHING, expected).await;
                    assert_eq!(chosen, by_name, "{} {filter:?} {limit}", who.subject);
                    for page in &chosen {
                        pages += 1;
                        rows += page.cases.len();
                        restrictions += page.restrictions.values().map(Vec::len).sum::<usize>();
                        closed += page.cases.iter().filter(|c| c.closed_at.is_some()).count();
                        emails += page.customers.values().filter(|c| c.email.is_some()).count();
                        ended += page.restrictions.values().flatten().filter(|r| r.ends_on.is_some() || r.lifted_on.is_some()).count();
                        assert_eq!(page.customers.len(), page.cases.iter().map(|c| c.customer_id).collect::<std::collections::BTreeSet<_>>().len());
                    }
                }
            }
        }
        // The comparison saw the whole data set, nulls and values in the optional columns.
        assert!(rows >= 2 * cases.len(), "{rows} rows for {} cases", cases.len());
        assert!(pages > 20 && restrictions > 10, "{pages} pages, {restrictions} restrictions");
        assert!(closed > 0 && closed < rows, "{closed} closed of {rows}");
        assert!(emails > 0 && ended > 0, "{emails} emails, {ended} ended restrictions");

        // The parts not asked for stay empty both ways; the restrictions' details still come
        // from whole rows.
        let legal = &callers[0];
        let bare = CaseListParts::default();
        let with_details = CaseListParts { restriction_parameters: true, ..EVERYTHING };
        let only_details = CaseListParts { restrictions: true, restriction_parameters: true, ..bare };
        let customers = CaseListParts { customers: true, ..bare };
        let services = CaseListParts { services: true, ..bare };
        let restrictions = CaseListParts { restrictions: true, ..bare };
        let no_customers = CaseListParts { customers: false, ..EVERYTHING };
        for parts in [bare, with_details, only_details, customers, services, restrictions, no_customers] {
            let by_name = all_pages(&app.db, legal, &filters[0], 50, parts, ListReads::ByName).await;
            let chosen = all_pages(&app.db, legal, &filters[0], 50, parts, expected).await;
            assert_eq!(chosen, by_name, "{parts:?}");
        }
    }
}

/// The page's statement on PostgreSQL carries its page size as a number, not a parameter: with
/// `LIMIT $n` PostgreSQL cannot tell from a generic plan how many rows the limit keeps and
/// plans the statement afresh on every execution (a custom plan each time, a tenth of its time
/// under the case list). Seen from PostgreSQL: after a few executions on one connection the
/// page's prepared statement runs on a generic plan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_plans_the_page_once() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let Some(app) = tests::app::TestApp::spawn(tests::app::Backend::Postgres).await else {
        return;
    };
    api::seed::seed(&app.db, small(), 9).await.expect("seeded");
    // One connection, so every statement below runs in the same session.
    let mut settings = api::config::Settings::embedded(&app.data_dir);
    settings.database_url = app.database_url.clone();
    settings.db_max_connections = 1;
    let db = api::db::connect(&settings).await.expect("the pool");
    let legal = principal("legal", &[Role::LegalServices], &[]);
    let mut first = None;
    for _ in 0..10 {
        let page = reads::case_list_rows_read(
            &db,
            &legal,
            CaseListFilter::default(),
            0,
            50,
            EVERYTHING,
            ListReads::ByPosition,
        )
        .await
        .expect("a page");
        assert!(!page.cases.is_empty() && page.cases.len() <= 50);
        let ids: Vec<i64> = page.cases.iter().map(|c| c.id).collect();
        assert_eq!(
            *first.get_or_insert_with(|| ids.clone()),
            ids,
            "the same page each time"
        );
    }
    let plans = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements \
             WHERE statement LIKE 'SELECT \"upc_case\".%'",
        ))
        .await
        .expect("the session's prepared statements");
    let texts: Vec<String> = plans
        .iter()
        .map(|p| p.try_get_by_index(0).expect("statement"))
        .collect();
    assert_eq!(
        plans.len(),
        1,
        "one prepared statement for the page: {texts:?}"
    );
    let statement: String = plans[0].try_get_by_index(0).expect("statement");
    let generic: i64 = plans[0].try_get_by_index(1).expect("generic plans");
    let custom: i64 = plans[0].try_get_by_index(2).expect("custom plans");
    assert!(
        statement.ends_with(" LIMIT 51"),
        "the page size is written in: {statement}"
    );
    assert!(
        generic >= 1,
        "{generic} generic and {custom} custom plans for {statement}"
    );
    assert!(
        custom <= 5,
        "{generic} generic and {custom} custom plans for {statement}"
    );
    // The page's customers, services and restrictions: one statement, planned once too.
    let parts = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements \
             WHERE statement LIKE 'SELECT 0 AS part,%'",
        ))
        .await
        .expect("the session's prepared statements");
    assert_eq!(parts.len(), 1, "one statement for the page's parts");
    let generic: i64 = parts[0].try_get_by_index(0).expect("generic plans");
    let custom: i64 = parts[0].try_get_by_index(1).expect("custom plans");
    assert!(
        generic >= 1 && custom <= 5,
        "the parts' statement: {generic} generic and {custom} custom plans"
    );
}
