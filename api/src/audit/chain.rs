//! The audit chain's hashing scheme (scheme 1), and how writers are kept to one at a time.
//!
//! # What is hashed
//!
//! Every `audit_event` row carries two SHA-256 hashes, written as 64 lowercase hexadecimal
//! digits:
//!
//! * `payload_hash` = SHA-256 of the canonical JSON of
//!   `{"after": <after>, "before": <before>, "reason": <reason>}` — the personal payload. A
//!   missing value (SQL `NULL`) and JSON `null` are both `null`.
//! * `hash` = SHA-256 of the canonical JSON of the event's other stored fields:
//!
//!   ```text
//!   {"action", "actor_name", "actor_roles", "actor_sub", "case_id", "entity_id", "entity_type",
//!    "legacy_hash", "occurred_at", "payload_hash", "prev_hash", "request_id"}
//!   ```
//!
//!   plus `"client_address"` (the client's IP address as text, issue 20) only when the event
//!   has one, so events written before the column existed keep their hashes.
//!
//!   with `occurred_at` written `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, exactly six fractional
//!   digits: the time is truncated to whole microseconds before it is stored, because
//!   PostgreSQL keeps no more), `case_id` a JSON integer, absent values `null`, and `prev_hash`
//!   the `hash` of the event before it in id order, or [`GENESIS`] (64 zeros) for the first.
//!   The row's `id` is not hashed (the database assigns it); `redacted_at` is not hashed
//!   (retention sets it later).
//!
//! The chain covers the payload's hash, not the payload, so the retention job may erase
//! `before`, `after` and `reason` (setting `redacted_at`) and the chain still verifies: such an
//! event is reported as redacted, its hash intact.
//!
//! # Canonical JSON
//!
//! Object members sorted by key (byte order of the UTF-8 key), at every depth; no whitespace;
//! strings escaped as `serde_json` writes them (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other
//! control characters as `\u00xx`, everything else as raw UTF-8); integers in decimal; other
//! numbers in `serde_json`'s shortest round-trip form. This is the sorted-keys form of
//! `serde_json`'s compact output, which does not depend on its `preserve_order` feature. (It
//! differs from RFC 8785 only for numbers that are not integers and for keys outside the Basic
//! Multilingual Plane, neither of which the audit payloads contain.) Payloads are hashed as they
//! read back from the database: [`normalise_json`] sends a value through its JSON text once, as
//! the database does, before it is hashed and stored.
//!
//! # One writer at a time
//!
//! Each writer reads the head of the chain and appends after it inside the mutation's own
//! transaction; [`serialise_writers`] makes sure no two do that at once, and the unique index on
//! `prev_hash` makes a fork impossible even if they did (the second insert fails and its
//! mutation rolls back).

use chrono::{DateTime, SubsecRound, Utc};
use entities::audit_event;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryOrder, QuerySelect, Statement};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first event in the chain: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The PostgreSQL advisory-lock key every audit writer takes (`pg_advisory_xact_lock`): the
/// ASCII bytes `UPC_AUDT`. Nothing else in the system may use this key.
pub const LOCK_KEY: i64 = 0x5550_435F_4155_4454;

/// The fields of an event its `hash` covers, as stored in its row.
#[derive(Debug, Clone, Copy)]
pub struct EventFields<'a> {
    /// When it happened (hashed truncated to microseconds).
    pub occurred_at: DateTime<Utc>,
    /// The actor's identity-provider subject.
    pub actor_sub: &'a str,
    /// The actor's name at the time.
    pub actor_name: Option<&'a str>,
    /// The actor's roles at the time, comma separated.
    pub actor_roles: &'a str,
    /// What was done.
    pub action: &'a str,
    /// The kind of record acted on.
    pub entity_type: &'a str,
    /// Its id.
    pub entity_id: Option<&'a str>,
    /// The case, if any.
    pub case_id: Option<i64>,
    /// The request's correlation id.
    pub request_id: Option<&'a str>,
    /// The client's address; hashed only when present, so events from before it existed keep
    /// their hashes.
    pub client_address: Option<&'a str>,
    /// The previous event's hash ([`GENESIS`] for the first).
    pub prev_hash: Option<&'a str>,
    /// The hash of the payload ([`payload_hash`]).
    pub payload_hash: Option<&'a str>,
    /// The event's hash under the first scheme, for events re-hashed by the migration.
    pub legacy_hash: Option<&'a str>,
}

impl<'a> EventFields<'a> {
    /// The hashed fields of a stored row.
    pub fn of(event: &'a audit_event::Model) -> Self {
        EventFields {
            occurred_at: event.occurred_at,
            actor_sub: &event.actor_sub,
            actor_name: event.actor_name.as_deref(),
            actor_roles: &event.actor_roles,
            action: &event.action,
            entity_type: &event.entity_type,
            entity_id: event.entity_id.as_deref(),
            case_id: event.case_id,
            request_id: event.request_id.as_deref(),
            client_address: event.client_address.as_deref(),
            prev_hash: event.prev_hash.as_deref(),
            payload_hash: event.payload_hash.as_deref(),
            legacy_hash: event.legacy_hash.as_deref(),
        }
    }

    /// The canonical JSON text the event's hash is taken over.
    pub fn canonical(&self) -> String {
        let mut content = serde_json::json!({
            "action": self.action,
            "actor_name": self.actor_name,
            "actor_roles": self.actor_roles,
            "actor_sub": self.actor_sub,
            "case_id": self.case_id,
            "entity_id": self.entity_id,
            "entity_type": self.entity_type,
            "legacy_hash": self.legacy_hash,
            "occurred_at": timestamp(self.occurred_at),
            "payload_hash": self.payload_hash,
            "prev_hash": self.prev_hash,
            "request_id": self.request_id,
        });
        if let (Some(address), Some(fields)) = (self.client_address, content.as_object_mut()) {
            fields.insert("client_address".into(), serde_json::Value::from(address));
        }
        canonical_json(&content)
    }

    /// The event's hash.
    pub fn hash(&self) -> String {
        sha256_hex(&self.canonical())
    }
}

/// The canonical JSON text of a payload, which [`payload_hash`] hashes.
pub fn canonical_payload(
    before: Option<&Value>,
    after: Option<&Value>,
    reason: Option<&str>,
) -> String {
    let content = serde_json::json!({
        "after": after.unwrap_or(&Value::Null),
        "before": before.unwrap_or(&Value::Null),
        "reason": reason,
    });
    canonical_json(&content)
}

/// SHA-256 of the canonical payload, in hexadecimal.
pub fn payload_hash(before: Option<&Value>, after: Option<&Value>, reason: Option<&str>) -> String {
    sha256_hex(&canonical_payload(before, after, reason))
}

/// True when the payload has been erased: no `before`, `after` or `reason`.
pub fn payload_erased(event: &audit_event::Model) -> bool {
    let empty = |v: &Option<Value>| v.as_ref().is_none_or(Value::is_null);
    empty(&event.before) && empty(&event.after) && event.reason.is_none()
}

/// `time` truncated to whole microseconds, as PostgreSQL stores it.
pub fn to_micros(time: DateTime<Utc>) -> DateTime<Utc> {
    time.trunc_subsecs(6)
}

/// `time` as the scheme writes it: `YYYY-MM-DDTHH:MM:SS.ffffffZ`, truncated to microseconds.
pub fn timestamp(time: DateTime<Utc>) -> String {
    to_micros(time).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// `value` as it reads back from the database after being stored: once through its JSON text.
pub fn normalise_json(value: Value) -> Value {
    serde_json::from_str(&value.to_string()).unwrap_or(value)
}

/// The canonical JSON text of `value`: object members sorted by key, no whitespace.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(members) => {
            let mut members: Vec<(&String, &Value)> = members.iter().collect();
            members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, member)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(member, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
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

/// SHA-256 of `text`'s UTF-8 bytes, in lowercase hexadecimal.
pub fn sha256_hex(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// Make this transaction the only audit writer until it ends.
///
/// On PostgreSQL, `pg_advisory_xact_lock(LOCK_KEY)`: a second writer waits here until the first
/// commits or rolls back, and then reads the head the first one wrote. It must be called inside
/// the mutation's transaction (as every caller of `audit::record` does), or the lock is released
/// at once.
///
/// On SQLite there is nothing to take: the pool holds one connection (`db::connect`), so
/// transactions already run one at a time; and a second process writing the same file cannot
/// append after a head it read before another writer committed (WAL refuses a write from a stale
/// snapshot with `SQLITE_BUSY_SNAPSHOT`). The unique `prev_hash` index backs both up.
pub async fn serialise_writers<C: ConnectionTrait>(txn: &C) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_advisory_xact_lock({LOCK_KEY})"),
        ))
        .await?;
    }
    Ok(())
}

/// The head of the chain: the id and hash of the latest event, if any.
pub async fn head<C: ConnectionTrait>(db: &C) -> Result<Option<(i64, String)>, DbErr> {
    audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::Id)
        .column(audit_event::Column::Hash)
        .order_by_desc(audit_event::Column::Id)
        .limit(1)
        .into_tuple::<(i64, String)>()
        .one(db)
        .await
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    /// The test vector the migration's frozen copy of the scheme is pinned to as well
    /// (`migration/src/m20261128_000007_audit_chain.rs`): both must give the same hashes.
    fn vector() -> (Value, Value, String) {
        let before = json!({"name": "Tai", "z": [1, {"b": true, "a": null}], "version": 1});
        let after = json!({"version": 2, "name": "Gwasanaethau Tai — \"ŵ\"\n", "big": 18446744073709551615_u64});
        (before, after, "Rheswm: \u{1}".to_string())
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let value = json!({"b": {"d": 1, "c": [{"z": 1, "y": 2}]}, "a": "x\"y", "é": 1, "Z": null});
        assert_eq!(
            canonical_json(&value),
            r#"{"Z":null,"a":"x\"y","b":{"c":[{"y":2,"z":1}],"d":1},"é":1}"#
        );
    }

    #[test]
    fn payload_is_canonical_and_pinned() {
        let (before, after, reason) = vector();
        assert_eq!(
            canonical_payload(Some(&before), Some(&after), Some(&reason)),
            "{\"after\":{\"big\":18446744073709551615,\"name\":\"Gwasanaethau Tai — \\\"ŵ\\\"\\n\",\"version\":2},\
             \"before\":{\"name\":\"Tai\",\"version\":1,\"z\":[1,{\"a\":null,\"b\":true}]},\
             \"reason\":\"Rheswm: \\u0001\"}"
        );
        assert_eq!(
            payload_hash(Some(&before), Some(&after), Some(&reason)),
            PINNED_PAYLOAD_HASH
        );
        assert_eq!(
            payload_hash(None, Some(&Value::Null), None),
            sha256_hex(r#"{"after":null,"before":null,"reason":null}"#)
        );
    }

    /// The hashes of [`vector`] (the migration's unit test pins them too), computed independently
    /// with Python's `json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`.
    const PINNED_PAYLOAD_HASH: &str =
        "8d49be55a5769f3f5c19a278dc8cfa2076d19c0c839c7ac81dca706c1daa00db";
    const PINNED_EVENT_HASH: &str =
        "d30271b8ab0a6c0165d9e0d3cc1d6cd9b1835a57443e5e8f4782bec625554404";
    const PINNED_LEGACY_EVENT_HASH: &str =
        "91bdb0cea3a06307bae9d55f84e7522407a7ea21e525641bacd944b2285d6ce9";

    #[test]
    fn event_hash_is_canonical_and_pinned() {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 28, 9, 30, 5)
            .single()
            .unwrap()
            + chrono::Duration::nanoseconds(123_456_789);
        let fields = EventFields {
            occurred_at: at,
            actor_sub: "sub-1",
            actor_name: Some("Dewi Jones"),
            actor_roles: "head_of_service,officer",
            action: "stage_1_warning.issue",
            entity_type: "stage_1_warning",
            entity_id: Some("7"),
            case_id: Some(3),
            request_id: None,
            client_address: None,
            prev_hash: Some(GENESIS),
            payload_hash: Some(PINNED_PAYLOAD_HASH),
            legacy_hash: None,
        };
        assert_eq!(
            fields.canonical(),
            format!(
                "{{\"action\":\"stage_1_warning.issue\",\"actor_name\":\"Dewi Jones\",\
                 \"actor_roles\":\"head_of_service,officer\",\"actor_sub\":\"sub-1\",\"case_id\":3,\
                 \"entity_id\":\"7\",\"entity_type\":\"stage_1_warning\",\"legacy_hash\":null,\
                 \"occurred_at\":\"2026-11-28T09:30:05.123456Z\",\"payload_hash\":\"{PINNED_PAYLOAD_HASH}\",\
                 \"prev_hash\":\"{GENESIS}\",\"request_id\":null}}"
            )
        );
        assert_eq!(fields.hash(), PINNED_EVENT_HASH);
        // An event re-hashed by the migration, which keeps its old hash (pinned there too).
        let legacy = EventFields {
            legacy_hash: Some("legacy"),
            ..fields
        };
        assert_eq!(legacy.hash(), PINNED_LEGACY_EVENT_HASH);
        // Nanoseconds beyond the microsecond do not change the hash.
        let later = EventFields {
            occurred_at: at + chrono::Duration::nanoseconds(200),
            ..fields
        };
        assert_eq!(later.hash(), fields.hash());
        // Any field does.
        let other = EventFields {
            case_id: Some(4),
            ..fields
        };
        assert_ne!(other.hash(), fields.hash());
        // The client's address (issue 20) is hashed when present, in its sorted place, and an
        // event without one hashes exactly as before it existed.
        let from = EventFields {
            client_address: Some("203.0.113.9"),
            ..fields
        };
        assert!(
            from.canonical()
                .contains("\"case_id\":3,\"client_address\":\"203.0.113.9\",\"entity_id\""),
            "{}",
            from.canonical()
        );
        assert_ne!(from.hash(), fields.hash());
        let elsewhere = EventFields {
            client_address: Some("203.0.113.10"),
            ..fields
        };
        assert_ne!(elsewhere.hash(), from.hash());
    }

    #[test]
    fn timestamps_have_six_fractional_digits() {
        let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().unwrap();
        assert_eq!(timestamp(at), "2026-01-05T09:00:00.000000Z");
    }

    #[test]
    fn normalising_is_idempotent() {
        let (before, after, _) = vector();
        for value in [before, after] {
            let once = normalise_json(value.clone());
            assert_eq!(once, value);
            assert_eq!(normalise_json(once.clone()), once);
        }
    }
}
