//! The move from one access record per row (`access_record`) to one row per request, operation
//! and kind of information (`access_read`, issue 18), on both databases: every record stored
//! before is there after, in the same order, with the same reader, request, operation, case,
//! customer and category; a request with more than `RECORDS_PER_ROW` records of one kind takes
//! several rows; and going down gives back one row per record.

use entities::access_read::{self, RECORDS_PER_ROW, Record};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, EntityTrait, QueryOrder, Statement};
use tests::postgres;

/// One stored record, as compared: `(request, operation, category, case, customer, reader name,
/// client address)`.
type Seen = (
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

/// The records the test writes into `access_record`, in id order.
fn before() -> Vec<Seen> {
    let s = |v: &str| v.to_string();
    let mut rows = vec![
        (
            s("r1"),
            s("query:cases"),
            s("customer_identity"),
            Some(1),
            Some(10),
            Some(s("Ann")),
            None,
        ),
        (
            s("r1"),
            s("query:cases"),
            s("customer_identity"),
            Some(2),
            Some(20),
            Some(s("Ann")),
            None,
        ),
        (
            s("r1"),
            s("query:cases"),
            s("contact_details"),
            Some(1),
            Some(10),
            Some(s("Ann")),
            None,
        ),
        (
            s("r2"),
            s("query:customer"),
            s("customer_identity"),
            None,
            Some(10),
            None,
            Some(s("10.0.0.1")),
        ),
        (
            s("r1"),
            s("query:cases"),
            s("customer_identity"),
            Some(3),
            None,
            Some(s("Ann")),
            None,
        ),
        (
            s("r2"),
            s("query:case"),
            s("letter"),
            Some(1),
            Some(10),
            None,
            Some(s("10.0.0.1")),
        ),
    ];
    // One request that read more than a row holds.
    for i in 0..=RECORDS_PER_ROW as i64 {
        rows.push((
            s("r3"),
            s("query:cases"),
            s("customer_identity"),
            Some(1000 + i),
            Some(i),
            None,
            None,
        ));
    }
    rows
}

fn literal(v: &Option<String>) -> String {
    v.as_ref().map_or("NULL".into(), |v| format!("'{v}'"))
}

fn number(v: Option<i64>) -> String {
    v.map_or("NULL".into(), |v| v.to_string())
}

async fn exec(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Up to just before `access_read`, write [`before`], migrate up and check, then down and
/// check.
async fn carried_over_and_back(db: &DatabaseConnection) {
    let before_move = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261206_000018_access_read")
        .map(|i| u32::try_from(i).expect("a count"))
        .expect("the access_read migration");
    Migrator::up(db, Some(before_move))
        .await
        .expect("up to before the move");
    let expected = before();
    for chunk in expected.chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|(request, operation, category, case, customer, name, client)| {
                format!(
                    "('2026-12-01T10:00:00+00:00', 'reader-1', {}, 'legal_services', '{request}', \
                     {}, '{operation}', {}, {}, '{category}')",
                    literal(name),
                    literal(client),
                    number(*case),
                    number(*customer),
                )
            })
            .collect();
        exec(
            db,
            &format!(
                "INSERT INTO access_record (occurred_at, actor_sub, actor_name, actor_roles, \
                 request_id, client_address, operation, case_id, customer_id, category) VALUES {}",
                values.join(", ")
            ),
        )
        .await;
    }

    Migrator::up(db, None).await.expect("the move");
    let rows = access_read::Entity::find()
        .order_by_asc(access_read::Column::Id)
        .all(db)
        .await
        .expect("access_read rows");
    // r1's identity reads, r1's contact details, r2's customer, r2's letter, r3 in two rows.
    assert_eq!(rows.len(), 6, "{rows:#?}");
    assert_eq!(
        rows.iter().map(|r| r.case_ids.0.len()).collect::<Vec<_>>(),
        [3, 1, 1, 1, RECORDS_PER_ROW, 1]
    );
    let records: Vec<Record> = rows.iter().flat_map(access_read::Model::records).collect();
    let seen = |r: &Record| -> Seen {
        (
            r.request_id.clone(),
            r.operation.clone(),
            r.category.as_str().to_string(),
            r.case_id,
            r.customer_id,
            r.actor_name.clone(),
            r.client_address.clone(),
        )
    };
    let mut after: Vec<Seen> = records.iter().map(seen).collect();
    let mut sorted = expected.clone();
    after.sort();
    sorted.sort();
    assert_eq!(after, sorted, "every record carried over, none added");
    // Rows come in the order of their first record.
    assert_eq!(
        rows.iter()
            .map(|r| r.request_id.as_str())
            .collect::<Vec<_>>(),
        ["r1", "r1", "r2", "r2", "r3", "r3"]
    );
    let r1: Vec<Option<i64>> = records
        .iter()
        .filter(|r| r.request_id == "r1" && r.category.as_str() == "customer_identity")
        .map(|r| r.case_id)
        .collect();
    assert_eq!(r1, [Some(1), Some(2), Some(3)], "in their old order");
    assert!(records.iter().all(|r| r.actor_sub == "reader-1"
        && r.actor_roles == "legal_services"
        && r.occurred_at.to_rfc3339() == "2026-12-01T10:00:00+00:00"));
    let ids: std::collections::BTreeSet<i64> = records.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), records.len(), "record ids are unique");

    // Down through the move (and the migrations after it).
    let after_move = u32::try_from(Migrator::migrations().len()).expect("a count") - before_move;
    Migrator::down(db, Some(after_move))
        .await
        .expect("down again");
    let back = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT request_id, operation, category, case_id, customer_id, actor_name, \
             client_address FROM access_record ORDER BY id",
        ))
        .await
        .expect("access_record rows");
    let mut back: Vec<Seen> = back
        .iter()
        .map(|row| {
            (
                row.try_get_by_index(0).expect("request"),
                row.try_get_by_index(1).expect("operation"),
                row.try_get_by_index(2).expect("category"),
                row.try_get_by_index(3).expect("case"),
                row.try_get_by_index(4).expect("customer"),
                row.try_get_by_index(5).expect("name"),
                row.try_get_by_index(6).expect("client"),
            )
        })
        .collect();
    back.sort();
    assert_eq!(back, sorted, "one row per record again");
}

#[tokio::test]
async fn access_records_move_to_one_row_per_request_and_back_on_sqlite() {
    let dir = tempfile::tempdir().expect("a directory");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("move.db").display());
    let db = Database::connect(url.as_str()).await.expect("connect");
    carried_over_and_back(&db).await;
}

#[tokio::test]
async fn access_records_move_to_one_row_per_request_and_back_on_postgres() {
    let url = match postgres::empty_database().await {
        Ok(url) => url,
        Err(why) => {
            assert!(
                !postgres::required(),
                "PostgreSQL required but unavailable: {why}"
            );
            eprintln!("\n!!!!!!!!!! PostgreSQL NOT TESTED: {why}\n");
            return;
        }
    };
    let db = Database::connect(url.as_str()).await.expect("connect");
    carried_over_and_back(&db).await;
    // Up again: the rows naming a case or a customer are found by GIN indexes on the lists.
    Migrator::up(&db, None).await.expect("up again");
    let indexes = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'access_read' \
             ORDER BY indexname",
        ))
        .await
        .expect("indexes");
    let defs: Vec<String> = indexes
        .iter()
        .map(|row| row.try_get_by_index::<String>(1).expect("a definition"))
        .collect();
    for list in ["case_ids", "customer_ids"] {
        assert!(
            defs.iter()
                .any(|d| d.contains("USING gin") && d.contains(&format!("({list} jsonb_path_ops)"))),
            "no GIN index on {list}: {defs:#?}"
        );
    }
    // Their pending lists are kept small (`m20261206_000019_access_read_pending_list`), so the
    // insert that merges one into its index holds up the waiting requests for less.
    let options = |db: &DatabaseConnection| {
        let db = db.clone();
        async move {
            db.query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT c.relname, coalesce(array_to_string(c.reloptions, ','), '') FROM pg_class c \
                 WHERE c.relname IN ('idx_access_read_case_ids', 'idx_access_read_customer_ids') \
                 ORDER BY c.relname",
            ))
            .await
            .expect("index options")
            .iter()
            .map(|row| row.try_get_by_index::<String>(1).expect("options"))
            .collect::<Vec<String>>()
        }
    };
    assert_eq!(
        options(&db).await,
        vec!["gin_pending_list_limit=256".to_string(); 2],
        "both GIN indexes keep a 256 kB pending list"
    );
    Migrator::down(&db, Some(1)).await.expect("down one");
    assert_eq!(
        options(&db).await,
        vec![String::new(); 2],
        "back to PostgreSQL's default"
    );
}
