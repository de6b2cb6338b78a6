//! Walking the audit chain: [`verify`] recomputes every event's hashes from its stored row, in id
//! order, a page at a time, and stops at the first event that does not match; [`head`] reads the
//! head to keep outside the database.

use chrono::{DateTime, Utc};
use entities::audit_event;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;

use super::chain::{self, EventFields, GENESIS};

/// Events read per query when none is given: enough to be quick, few enough that millions of
/// events never sit in memory at once.
pub const DEFAULT_PAGE_SIZE: u64 = 1000;

/// What is wrong with the first broken event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Its fields (or its `prev_hash`) no longer give its stored `hash`: it was changed.
    Hash,
    /// Its payload (`before`, `after`, `reason`) no longer gives its stored `payload_hash`.
    Payload,
    /// Its `prev_hash` is not the hash of the event before it: events were deleted, inserted or
    /// re-hashed before it.
    Link,
}

impl Fault {
    /// The fault in words, for the report.
    pub fn describe(self) -> &'static str {
        match self {
            Fault::Hash => "its content does not give its hash (the event was changed)",
            Fault::Payload => {
                "its before/after/reason do not give its payload hash (the payload was changed)"
            }
            Fault::Link => {
                "its prev_hash is not the hash of the event before it (events were removed, \
                 inserted or rewritten before it)"
            }
        }
    }

    /// Which hash the expected and found values are.
    pub fn hash_name(self) -> &'static str {
        match self {
            Fault::Hash => "hash",
            Fault::Payload => "payload_hash",
            Fault::Link => "prev_hash",
        }
    }
}

/// The first event that breaks the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// Its id.
    pub id: i64,
    /// What is wrong.
    pub fault: Fault,
    /// The hash recomputed from the stored data.
    pub expected: String,
    /// The hash stored (None when the column is empty).
    pub found: Option<String>,
    /// How many events before it verified.
    pub intact_before: u64,
}

/// Where the exported head was found in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundHead {
    /// The event whose hash it is.
    pub id: i64,
    /// Its position in the chain, counting from 1.
    pub position: u64,
}

/// A chain that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intact {
    /// How many events.
    pub events: u64,
    /// How many of them had their payload erased by retention (hash intact).
    pub redacted: u64,
    /// The latest event's hash, if there are any events.
    pub head: Option<String>,
    /// Where the expected head is, when one was asked for and is in the chain.
    pub expected_head: Option<FoundHead>,
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every event verified.
    Intact(Intact),
    /// An event did not.
    Broken(Broken),
}

/// Check one stored event, which follows an event whose hash is `expected_prev`.
///
/// Returns whether its payload has been erased (redacted), or the fault found. The checks run
/// in the order: payload, own hash, link, so a changed event is named as changed and the event
/// after a removed one as not linking.
pub fn check_event(
    event: &audit_event::Model,
    expected_prev: &str,
) -> Result<bool, (Fault, String, Option<String>)> {
    let redacted = event.redacted_at.is_some() && chain::payload_erased(event);
    if !redacted {
        let payload = chain::payload_hash(
            event.before.as_ref(),
            event.after.as_ref(),
            event.reason.as_deref(),
        );
        if event.payload_hash.as_deref() != Some(payload.as_str()) {
            return Err((Fault::Payload, payload, event.payload_hash.clone()));
        }
    }
    let hash = EventFields::of(event).hash();
    if hash != event.hash {
        return Err((Fault::Hash, hash, Some(event.hash.clone())));
    }
    if event.prev_hash.as_deref() != Some(expected_prev) {
        return Err((
            Fault::Link,
            expected_prev.to_string(),
            event.prev_hash.clone(),
        ));
    }
    Ok(redacted)
}

/// Walk the whole chain in id order, `page_size` events per query, and report the first broken
/// event or that it is intact; with `expect_head`, also where that hash is in the chain.
pub async fn verify<C: ConnectionTrait>(
    db: &C,
    page_size: u64,
    expect_head: Option<&str>,
) -> Result<Outcome, DbErr> {
    let page_size = page_size.max(1);
    let mut prev = GENESIS.to_string();
    let mut last_id: Option<i64> = None;
    let mut events = 0_u64;
    let mut redacted = 0_u64;
    let mut expected_head = None;
    loop {
        let mut query = audit_event::Entity::find().order_by_asc(audit_event::Column::Id);
        if let Some(id) = last_id {
            query = query.filter(audit_event::Column::Id.gt(id));
        }
        let page = query.limit(page_size).all(db).await?;
        let full = page.len() as u64 == page_size;
        for event in page {
            match check_event(&event, &prev) {
                Ok(erased) => redacted += u64::from(erased),
                Err((fault, expected, found)) => {
                    return Ok(Outcome::Broken(Broken {
                        id: event.id,
                        fault,
                        expected,
                        found,
                        intact_before: events,
                    }));
                }
            }
            events += 1;
            if expect_head == Some(event.hash.as_str()) && expected_head.is_none() {
                expected_head = Some(FoundHead {
                    id: event.id,
                    position: events,
                });
            }
            last_id = Some(event.id);
            prev = event.hash;
        }
        if !full {
            break;
        }
    }
    Ok(Outcome::Intact(Intact {
        events,
        redacted,
        head: last_id.map(|_| prev),
        expected_head,
    }))
}

/// The head of the chain, to keep outside the database (`upc-api audit head`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeadExport {
    /// The latest event's hash (None while there are no events).
    pub head: Option<String>,
    /// The latest event's id.
    pub head_id: Option<i64>,
    /// When the latest event happened (`YYYY-MM-DDTHH:MM:SS.ffffffZ`).
    pub head_occurred_at: Option<String>,
    /// How many events the chain holds up to and including the head.
    pub events: u64,
    /// When this export was taken.
    pub exported_at: String,
}

/// Read the head of the chain and how many events lead up to it.
///
/// Not a verification: run `audit verify` before trusting the head you keep.
pub async fn head<C: ConnectionTrait>(db: &C) -> Result<HeadExport, DbErr> {
    let exported_at = chain::timestamp(Utc::now());
    let Some((id, hash)) = chain::head(db).await? else {
        return Ok(HeadExport {
            head: None,
            head_id: None,
            head_occurred_at: None,
            events: 0,
            exported_at,
        });
    };
    let occurred_at: Option<DateTime<Utc>> = audit_event::Entity::find_by_id(id)
        .select_only()
        .column(audit_event::Column::OccurredAt)
        .into_tuple()
        .one(db)
        .await?;
    // Ids are taken under the writers' lock, so the events up to the head are those with an id
    // no greater than its id, whatever was appended since.
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::Id.lte(id))
        .count(db)
        .await?;
    Ok(HeadExport {
        head: Some(hash),
        head_id: Some(id),
        head_occurred_at: occurred_at.map(chain::timestamp),
        events,
        exported_at,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    fn event(prev: &str) -> audit_event::Model {
        let mut event = audit_event::Model {
            id: 1,
            occurred_at: Utc
                .with_ymd_and_hms(2026, 11, 28, 9, 0, 0)
                .single()
                .unwrap(),
            actor_sub: "sub-1".into(),
            actor_name: Some("A".into()),
            actor_roles: "admin".into(),
            action: "service.create".into(),
            entity_type: "service".into(),
            entity_id: Some("1".into()),
            case_id: None,
            before: None,
            after: Some(json!({"code": "HOU"})),
            reason: None,
            request_id: Some("r-1".into()),
            client_address: None,
            prev_hash: Some(prev.into()),
            hash: String::new(),
            payload_hash: None,
            legacy_hash: None,
            redacted_at: None,
        };
        event.payload_hash = Some(chain::payload_hash(None, event.after.as_ref(), None));
        event.hash = EventFields::of(&event).hash();
        event
    }

    #[test]
    fn an_intact_event_passes() {
        assert_eq!(check_event(&event(GENESIS), GENESIS), Ok(false));
    }

    #[test]
    fn a_changed_payload_is_a_payload_fault() {
        let mut e = event(GENESIS);
        e.after = Some(json!({"code": "SOC"}));
        let (fault, expected, found) = check_event(&e, GENESIS).unwrap_err();
        assert_eq!(fault, Fault::Payload);
        assert_eq!(found, e.payload_hash);
        assert_eq!(expected, chain::payload_hash(None, e.after.as_ref(), None));
    }

    #[test]
    fn a_changed_field_is_a_hash_fault() {
        let mut e = event(GENESIS);
        e.actor_sub = "sub-2".into();
        let (fault, expected, found) = check_event(&e, GENESIS).unwrap_err();
        assert_eq!(fault, Fault::Hash);
        assert_eq!(found.as_deref(), Some(e.hash.as_str()));
        assert_eq!(expected, EventFields::of(&e).hash());
        assert_ne!(expected, e.hash);
    }

    #[test]
    fn a_missing_predecessor_is_a_link_fault() {
        let other = "1".repeat(64);
        let e = event(&other);
        let (fault, expected, found) = check_event(&e, GENESIS).unwrap_err();
        assert_eq!(fault, Fault::Link);
        assert_eq!(expected, GENESIS);
        assert_eq!(found, Some(other));
    }

    #[test]
    fn a_redacted_event_is_intact() {
        let mut e = event(GENESIS);
        e.after = None;
        e.redacted_at = Some(Utc::now());
        assert_eq!(check_event(&e, GENESIS), Ok(true));
        // Erasing without marking it redacted is a changed payload.
        e.redacted_at = None;
        assert_eq!(check_event(&e, GENESIS).unwrap_err().0, Fault::Payload);
    }
}
