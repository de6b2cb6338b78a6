//! The tamper-evident audit chain (issue 7): columns for the payload hash and redaction, events
//! already written re-hashed under the documented scheme, a unique `prev_hash` so the chain
//! cannot fork, and triggers that refuse to change or delete an event.
//!
//! * `payload_hash`: SHA-256 of the canonical payload (`before`, `after`, `reason`); the event's
//!   `hash` covers it instead of the payload, so retention can erase the payload.
//! * `legacy_hash`: for events written before this migration, the hash they had under the first
//!   scheme (which could not be recomputed from the stored row on PostgreSQL: it hashed the time
//!   to the nanosecond); the new `hash` covers it, so the old value stays on record.
//! * `redacted_at`: when retention erased the payload.
//!
//! Existing events are re-chained here, in id order, under scheme 1 — the one
//! `api::audit::chain` documents. The copy of the scheme below is frozen with this migration
//! (a migration must not change when the code does); both are pinned to the same test vector.
//!
//! The triggers refuse every UPDATE and DELETE (and on PostgreSQL TRUNCATE) of `audit_event`,
//! except one narrow UPDATE for retention: `before`, `after` and `reason` set to NULL and
//! `redacted_at` set, on an event not yet redacted, every other column unchanged. They are
//! the only dialect SQL in the migrations: triggers have no portable form. A later migration that
//! adds a column to `audit_event` must recreate the SQLite update trigger, which names the
//! columns it keeps unchanged (the PostgreSQL one compares whole rows).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::prelude::{DateTimeUtc, Json};
use sea_orm_migration::sea_orm::{DbBackend, QueryResult};
use sea_orm_migration::sea_query::value::prelude::chrono::SubsecRound;
use sha2::{Digest, Sha256};

/// Adds the chain columns, re-chains existing events, adds the unique index and the triggers.
#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "audit_event";
const PREV_HASH_INDEX: &str = "uq_audit_event_prev_hash";
/// The `prev_hash` of the first event.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Events re-chained per query.
const PAGE: u64 = 500;

fn added_columns() -> Vec<ColumnDef> {
    vec![
        string_null("payload_hash"),
        string_null("legacy_hash"),
        timestamp_with_time_zone_null("redacted_at"),
    ]
}

/// The message every refusal carries.
const REFUSED: &str = "audit_event is append-only: events cannot be changed or deleted \
    (only retention may erase before/after/reason, setting redacted_at)";

const POSTGRES_UP: &[&str] = &[
    r#"CREATE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.redacted_at IS NULL
            AND NEW.redacted_at IS NOT NULL
            AND NEW."before" IS NULL AND NEW."after" IS NULL AND NEW.reason IS NULL
            AND (to_jsonb(NEW) - 'before' - 'after' - 'reason' - 'redacted_at')
                = (to_jsonb(OLD) - 'before' - 'after' - 'reason' - 'redacted_at')
        THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation',
              DETAIL = 'Events cannot be changed or deleted; only retention may erase before/after/reason, setting redacted_at.';
END
$$"#,
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event \
     FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event \
     FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
    "DROP FUNCTION IF EXISTS audit_event_refuse_change()",
];

/// The columns the retention UPDATE must leave as they are (all but the payload and
/// `redacted_at`).
const KEPT: &[&str] = &[
    "id",
    "occurred_at",
    "actor_sub",
    "actor_name",
    "actor_roles",
    "action",
    "entity_type",
    "entity_id",
    "case_id",
    "request_id",
    "prev_hash",
    "hash",
    "payload_hash",
    "legacy_hash",
];

fn sqlite_up() -> Vec<String> {
    vec![
        format!(
            "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event \
             BEGIN SELECT RAISE(ABORT, '{REFUSED}: DELETE refused'); END"
        ),
        sqlite_no_update(&[]),
    ]
}

/// SQLite's trigger refusing every UPDATE but retention's redaction, keeping [`KEPT`] and
/// `extra` (columns later migrations add) as they are.
pub(crate) fn sqlite_no_update(extra: &[&str]) -> String {
    // `IS` compares NULLs as values, so no part of the condition is ever NULL (a NULL WHEN
    // would let the update through).
    let unchanged: Vec<String> = KEPT
        .iter()
        .chain(extra)
        .map(|c| format!("NEW.\"{c}\" IS OLD.\"{c}\""))
        .collect();
    format!(
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event \
         WHEN NOT (OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL \
         AND NEW.\"before\" IS NULL AND NEW.\"after\" IS NULL AND NEW.reason IS NULL \
         AND {}) \
         BEGIN SELECT RAISE(ABORT, '{REFUSED}: UPDATE refused'); END",
        unchanged.join(" AND ")
    )
}

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// Atomic on both databases: a failure re-chaining leaves the table as it was.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in added_columns() {
            manager
                .alter_table(Table::alter().table(TABLE).add_column(column).take())
                .await?;
        }
        // On PostgreSQL the ALTER TABLE above holds an exclusive lock on the table until this
        // migration commits, so nothing is appended while the chain is rebuilt.
        rechain(manager).await?;
        manager
            .create_index(
                Index::create()
                    .name(PREV_HASH_INDEX)
                    .table(TABLE)
                    .col("prev_hash")
                    .unique()
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                for sql in POSTGRES_UP {
                    db.execute_unprepared(sql).await?;
                }
            }
            DbBackend::Sqlite => {
                for sql in sqlite_up() {
                    db.execute_unprepared(&sql).await?;
                }
            }
            other => {
                return Err(DbErr::Migration(format!(
                    "audit chain triggers: unsupported database {other:?}"
                )));
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let drops: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_DOWN,
            _ => SQLITE_DOWN,
        };
        for sql in drops {
            db.execute_unprepared(sql).await?;
        }
        manager
            .drop_index(Index::drop().name(PREV_HASH_INDEX).table(TABLE).to_owned())
            .await?;
        for column in added_columns().into_iter().rev() {
            manager
                .alter_table(
                    Table::alter()
                        .table(TABLE)
                        .drop_column(Alias::new(column.get_column_name()))
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}

/// Re-hash every existing event under scheme 1, in id order, keeping its old hash.
async fn rechain(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let mut prev = GENESIS.to_string();
    let mut last_id = 0_i64;
    loop {
        let select = Query::select()
            .columns([
                "id",
                "occurred_at",
                "actor_sub",
                "actor_name",
                "actor_roles",
                "action",
                "entity_type",
                "entity_id",
                "case_id",
                "before",
                "after",
                "reason",
                "request_id",
                "hash",
            ])
            .from(TABLE)
            .and_where(Expr::col("id").gt(last_id))
            .order_by("id", Order::Asc)
            .limit(PAGE)
            .take();
        let rows = db.query_all(&select).await?;
        let count = rows.len() as u64;
        for row in rows {
            let event = LegacyEvent::read(&row)?;
            let payload_hash = payload_hash(
                event.before.as_ref(),
                event.after.as_ref(),
                event.reason.as_deref(),
            );
            let hash = event_hash(&event, &prev, &payload_hash);
            let update = Query::update()
                .table(TABLE)
                .values([
                    ("prev_hash", Expr::val(prev.clone())),
                    ("payload_hash", Expr::val(payload_hash)),
                    ("legacy_hash", Expr::val(event.hash.clone())),
                    ("hash", Expr::val(hash.clone())),
                ])
                .and_where(Expr::col("id").eq(event.id))
                .take();
            db.execute(&update).await?;
            prev = hash;
            last_id = event.id;
        }
        if count < PAGE {
            return Ok(());
        }
    }
}

/// An event as the first release stored it.
struct LegacyEvent {
    id: i64,
    occurred_at: DateTimeUtc,
    actor_sub: String,
    actor_name: Option<String>,
    actor_roles: String,
    action: String,
    entity_type: String,
    entity_id: Option<String>,
    case_id: Option<i64>,
    before: Option<Json>,
    after: Option<Json>,
    reason: Option<String>,
    request_id: Option<String>,
    hash: String,
}

impl LegacyEvent {
    fn read(row: &QueryResult) -> Result<Self, DbErr> {
        Ok(LegacyEvent {
            id: row.try_get("", "id")?,
            occurred_at: row.try_get("", "occurred_at")?,
            actor_sub: row.try_get("", "actor_sub")?,
            actor_name: row.try_get("", "actor_name")?,
            actor_roles: row.try_get("", "actor_roles")?,
            action: row.try_get("", "action")?,
            entity_type: row.try_get("", "entity_type")?,
            entity_id: row.try_get("", "entity_id")?,
            case_id: row.try_get("", "case_id")?,
            before: row.try_get("", "before")?,
            after: row.try_get("", "after")?,
            reason: row.try_get("", "reason")?,
            request_id: row.try_get("", "request_id")?,
            hash: row.try_get("", "hash")?,
        })
    }
}

// Scheme 1, frozen: see `api::audit::chain` for its description.

fn text(value: Option<&str>) -> Json {
    value.map_or(Json::Null, |v| Json::String(v.to_string()))
}

fn payload_hash(before: Option<&Json>, after: Option<&Json>, reason: Option<&str>) -> String {
    let mut out = String::new();
    write_object(
        &[
            ("after", after.cloned().unwrap_or(Json::Null)),
            ("before", before.cloned().unwrap_or(Json::Null)),
            ("reason", text(reason)),
        ],
        &mut out,
    );
    sha256_hex(&out)
}

fn event_hash(event: &LegacyEvent, prev_hash: &str, payload_hash: &str) -> String {
    let occurred_at = event
        .occurred_at
        .trunc_subsecs(6)
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let mut out = String::new();
    write_object(
        &[
            ("action", text(Some(&event.action))),
            ("actor_name", text(event.actor_name.as_deref())),
            ("actor_roles", text(Some(&event.actor_roles))),
            ("actor_sub", text(Some(&event.actor_sub))),
            ("case_id", event.case_id.map_or(Json::Null, Json::from)),
            ("entity_id", text(event.entity_id.as_deref())),
            ("entity_type", text(Some(&event.entity_type))),
            ("legacy_hash", text(Some(&event.hash))),
            ("occurred_at", Json::String(occurred_at)),
            ("payload_hash", text(Some(payload_hash))),
            ("prev_hash", text(Some(prev_hash))),
            ("request_id", text(event.request_id.as_deref())),
        ],
        &mut out,
    );
    sha256_hex(&out)
}

/// An object whose members are given in key order.
fn write_object(members: &[(&str, Json)], out: &mut String) {
    out.push('{');
    for (i, (key, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Json::String((*key).to_string()).to_string());
        out.push(':');
        write_canonical(value, out);
    }
    out.push('}');
}

fn write_canonical(value: &Json, out: &mut String) {
    match value {
        Json::Object(map) => {
            let mut members: Vec<(&str, Json)> =
                map.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            write_object(&members, out);
        }
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn sha256_hex(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::sea_query::value::prelude::chrono::{Duration, TimeZone, Utc};
    use sea_orm_migration::sea_query::value::prelude::serde_json::json;

    use super::*;

    /// The same vector and hashes as `api::audit::chain`'s tests: the two copies of scheme 1
    /// must agree.
    #[test]
    fn scheme_1_matches_the_pinned_vector() {
        let before = json!({"name": "Tai", "z": [1, {"b": true, "a": null}], "version": 1});
        let after = json!({"version": 2, "name": "Gwasanaethau Tai — \"ŵ\"\n", "big": 18446744073709551615_u64});
        let payload = payload_hash(Some(&before), Some(&after), Some("Rheswm: \u{1}"));
        assert_eq!(payload, PINNED_PAYLOAD_HASH);
        let event = LegacyEvent {
            id: 1,
            occurred_at: Utc
                .with_ymd_and_hms(2026, 11, 28, 9, 30, 5)
                .single()
                .unwrap()
                + Duration::nanoseconds(123_456_789),
            actor_sub: "sub-1".into(),
            actor_name: Some("Dewi Jones".into()),
            actor_roles: "head_of_service,officer".into(),
            action: "stage_1_warning.issue".into(),
            entity_type: "stage_1_warning".into(),
            entity_id: Some("7".into()),
            case_id: Some(3),
            before: None,
            after: None,
            reason: None,
            request_id: None,
            hash: "legacy".into(),
        };
        assert_eq!(
            event_hash(&event, GENESIS, PINNED_PAYLOAD_HASH),
            PINNED_LEGACY_EVENT_HASH
        );
    }

    const PINNED_PAYLOAD_HASH: &str =
        "8d49be55a5769f3f5c19a278dc8cfa2076d19c0c839c7ac81dca706c1daa00db";
    /// The api test's event with `legacy_hash: "legacy"` (new events have none).
    const PINNED_LEGACY_EVENT_HASH: &str =
        "91bdb0cea3a06307bae9d55f84e7522407a7ea21e525641bacd944b2285d6ce9";
}
