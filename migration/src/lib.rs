//! Schema migrations for the UPC case record.
//!
//! Every migration is written with the sea-query builder, never dialect SQL, so the same
//! migration runs on SQLite (development, tests) and PostgreSQL (production).
//! The exceptions have no portable form: triggers (the audit chain's,
//! `m20261128_000007_audit_chain`, are raw SQL per backend) and PostgreSQL's GIN indexes on the
//! access records' id lists and their settings (`m20261206_000018_access_read`,
//! `m20261206_000019_access_read_pending_list`).

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_foundation;
mod m20261128_000002_lifecycle;
mod m20261128_000003_idempotency_snapshot;
mod m20261128_000004_notifications;
mod m20261128_000006_health_and_safety;
mod m20261128_000007_audit_chain;
mod m20261128_000008_access_record;
mod m20261128_000009_desk_indexes;
mod m20261128_000010_report_queue;
mod m20261128_000011_retention;
mod m20261206_000012_endings;
mod m20261206_000012_scheduler;
mod m20261206_000014_client_address;
mod m20261206_000015_customers;
mod m20261206_000016_adjustments;
mod m20261206_000017_staff_directory;
mod m20261206_000018_access_read;
mod m20261206_000019_access_read_pending_list;
mod new_table;

/// Runs the UPC schema migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_foundation::Migration),
            Box::new(m20261128_000002_lifecycle::Migration),
            Box::new(m20261128_000003_idempotency_snapshot::Migration),
            Box::new(m20261128_000004_notifications::Migration),
            Box::new(m20261128_000006_health_and_safety::Migration),
            Box::new(m20261128_000007_audit_chain::Migration),
            Box::new(m20261128_000008_access_record::Migration),
            Box::new(m20261128_000009_desk_indexes::Migration),
            Box::new(m20261128_000010_report_queue::Migration),
            Box::new(m20261128_000011_retention::Migration),
            Box::new(m20261206_000012_endings::Migration),
            Box::new(m20261206_000012_scheduler::Migration),
            Box::new(m20261206_000014_client_address::Migration),
            Box::new(m20261206_000015_customers::Migration),
            Box::new(m20261206_000016_adjustments::Migration),
            Box::new(m20261206_000017_staff_directory::Migration),
            Box::new(m20261206_000018_access_read::Migration),
            Box::new(m20261206_000019_access_read_pending_list::Migration),
        ]
    }
}

/// How many migrations run before the one named `name`: tests that stop just before a
/// migration use it, so a migration added later does not move them.
#[cfg(test)]
pub(crate) fn migrations_before(name: &str) -> u32 {
    Migrator::migrations()
        .iter()
        .position(|m| m.name() == name)
        .expect("a migration of that name") as u32
}

/// Every table the migrations leave, in creation order (parents before children).
///
/// Dropping in reverse order never trips a foreign key.
pub fn table_names() -> Vec<&'static str> {
    let mut names = m20261128_000001_foundation::TABLE_NAMES.to_vec();
    names.extend_from_slice(m20261128_000002_lifecycle::TABLE_NAMES);
    names.extend_from_slice(m20261128_000004_notifications::TABLE_NAMES);
    names.extend_from_slice(m20261128_000006_health_and_safety::TABLE_NAMES);
    names.extend_from_slice(m20261128_000011_retention::TABLE_NAMES);
    names.extend_from_slice(m20261206_000012_scheduler::TABLE_NAMES);
    names.extend_from_slice(m20261206_000016_adjustments::TABLE_NAMES);
    names.extend_from_slice(m20261206_000017_staff_directory::TABLE_NAMES);
    names.extend_from_slice(m20261206_000018_access_read::TABLE_NAMES);
    names
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::sea_orm::{Database, DatabaseConnection, DbErr};

    use super::*;

    async fn fresh_database() -> DatabaseConnection {
        Database::connect("sqlite::memory:")
            .await
            .expect("in-memory SQLite opens")
    }

    async fn existing_tables(db: &DatabaseConnection) -> Vec<&'static str> {
        let manager = SchemaManager::new(db);
        let mut existing = Vec::new();
        for name in table_names() {
            if manager.has_table(name).await.expect("has_table works") {
                existing.push(name);
            }
        }
        existing
    }

    async fn insert(
        db: &DatabaseConnection,
        table: &'static str,
        row: &[(&'static str, Expr)],
    ) -> Result<(), DbErr> {
        let statement = Query::insert()
            .into_table(table)
            .columns(row.iter().map(|(column, _)| *column))
            .values(row.iter().map(|(_, value)| value.clone()))
            .map_err(|error| DbErr::Custom(error.to_string()))?
            .take();
        db.execute(&statement).await.map(|_| ())
    }

    fn text(value: &str) -> Expr {
        Expr::val(value)
    }

    #[tokio::test]
    async fn up_down_up_creates_and_drops_every_table() {
        let db = fresh_database().await;

        Migrator::up(&db, None).await.expect("first up");
        assert_eq!(existing_tables(&db).await, table_names());

        Migrator::down(&db, None).await.expect("down");
        assert!(existing_tables(&db).await.is_empty());

        Migrator::up(&db, None).await.expect("second up");
        assert_eq!(existing_tables(&db).await, table_names());
    }

    #[tokio::test]
    async fn letters_keep_their_kind_through_the_endings_migration() {
        let db = fresh_database().await;
        let before_endings = migrations_before("m20261206_000012_endings");
        Migrator::up(&db, Some(before_endings))
            .await
            .expect("up to retention");
        insert(
            &db,
            "service",
            &[("code", text("HOUSING")), ("name", text("Housing"))],
        )
        .await
        .expect("a service");
        insert(
            &db,
            "customer",
            &[
                ("reference", text("C-000001")),
                ("kind", text("person")),
                ("display_name", text("A Customer")),
            ],
        )
        .await
        .expect("a customer");
        insert(
            &db,
            "upc_case",
            &[
                ("reference", text("UPC-2026-0001")),
                ("customer_id", Expr::val(1_i64)),
                ("service_id", Expr::val(1_i64)),
                ("stage", text("stage_1_warning")),
                ("status", text("open")),
                ("opened_at", text("2026-01-05T09:00:00+00:00")),
            ],
        )
        .await
        .expect("a case");
        let template = |kind: &str, version: i64| {
            vec![
                ("kind", text(kind)),
                ("language", text("en")),
                ("template_version", Expr::val(version)),
                ("subject", text("Subject")),
                ("body", text("Body")),
                ("created_by", text("admin")),
            ]
        };
        insert(&db, "letter_template", &template("review_outcome", 1))
            .await
            .expect("a template");
        let letter = |kind: &str| {
            vec![
                ("case_id", Expr::val(1_i64)),
                ("kind", text(kind)),
                ("language", text("en")),
                ("subject", text("Subject")),
                ("body_text", text("Body")),
                ("body_html", text("<p>Body</p>")),
                ("issued_at", text("2026-01-06T09:00:00+00:00")),
                ("issued_by", text("head")),
            ]
        };
        insert(&db, "letter", &letter("appeal_outcome"))
            .await
            .expect("a letter");
        assert!(insert(&db, "letter", &letter("case_closed")).await.is_err());

        Migrator::up(&db, None)
            .await
            .expect("the endings migration");
        let kinds = db
            .query_all_raw(sea_orm_migration::sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT kind FROM letter UNION ALL SELECT kind FROM letter_template",
            ))
            .await
            .expect("read kinds");
        let kinds: Vec<String> = kinds
            .iter()
            .map(|row| row.try_get_by_index::<String>(0).expect("a kind"))
            .collect();
        assert_eq!(kinds, vec!["appeal_outcome", "review_outcome"]);
        insert(&db, "letter", &letter("case_closed"))
            .await
            .expect("the new kind is accepted");
        assert!(insert(&db, "letter", &letter("postcard")).await.is_err());
        assert!(
            insert(&db, "letter_template", &template("review_outcome", 1))
                .await
                .is_err(),
            "the unique index on kind, language and version is back"
        );
        insert(&db, "letter_template", &template("case_closed", 1))
            .await
            .expect("a template of the new kind");
    }

    #[tokio::test]
    async fn constraints_reject_bad_rows() {
        let db = fresh_database().await;
        Migrator::up(&db, None).await.expect("up");

        insert(
            &db,
            "service",
            &[("code", text("HOUSING")), ("name", text("Housing"))],
        )
        .await
        .expect("a service");
        let customer = |kind: &str| {
            vec![
                ("reference", text("C-000001")),
                ("kind", text(kind)),
                ("display_name", text("A Customer")),
            ]
        };
        assert!(
            insert(&db, "customer", &customer("robot")).await.is_err(),
            "CHECK rejects a value outside the enumeration"
        );
        insert(&db, "customer", &customer("person"))
            .await
            .expect("a valid customer");

        let case = |customer_id: i64| {
            vec![
                ("reference", text("UPC-2026-0001")),
                ("customer_id", Expr::val(customer_id)),
                ("service_id", Expr::val(1_i64)),
                ("stage", text("reported")),
                ("status", text("open")),
                ("opened_at", text("2026-01-05T09:00:00+00:00")),
            ]
        };
        assert!(
            insert(&db, "upc_case", &case(999)).await.is_err(),
            "foreign key rejects a dangling customer id"
        );
        insert(&db, "upc_case", &case(1))
            .await
            .expect("a valid case");

        // 3.2: anything longer than a temporary exclusion needs someone to agree it.
        let exclusion = |agreed_by: Option<&str>| {
            let mut row = vec![
                ("case_id", Expr::val(1_i64)),
                ("kind", text("long_term")),
                ("health_and_safety", Expr::val(true)),
                ("starts_on", text("2026-01-05")),
                ("reasons", text("Threatened staff")),
                ("authorised_by", text("sub-manager")),
            ];
            if let Some(agreed_by) = agreed_by {
                row.push(("agreed_by", text(agreed_by)));
                row.push(("agreed_by_role", text("head_of_service")));
            }
            row
        };
        assert!(insert(&db, "exclusion", &exclusion(None)).await.is_err());
        insert(&db, "exclusion", &exclusion(Some("sub-head")))
            .await
            .expect("an agreed long-term exclusion");
    }
}
