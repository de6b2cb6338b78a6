//! Keeping a customer's record (2.3: a person, several people or a group): recording a customer
//! on their own, correcting their details, the members of a customer that is several people or
//! a group, representatives acting for them (recorded separately from the customer, ombudsman
//! guidance; letters go to a representative where the customer asked), and merging two records
//! of the same person (audited, and reversible from what the merge recorded).
//!
//! Who may: staff of one of the customer's services (5.4: decisions are service based) and Legal
//! Services (the central record, every service) keep the record; Legal Services merges two
//! records; the administrator undoes a merge. Elected Members and the Standards Committee do
//! none of it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entities::enums::{CaseStatus, CustomerKind, Language};
use entities::{customer, customer_member, representative, service, upc_case};
use serde_json::json;

use super::customers::NewCustomer;
use super::error::{DomainError, DomainResult};
use super::outcome::{AuditEntry, New, Outcome, Row};
use super::roles::{Principal, Role, role_list};
use super::values::Text;

/// Who keeps a customer's record: staff of one of the customer's services, and Legal Services
/// (every service).
pub const CUSTOMER_KEEPERS: &[Role] = &[
    Role::Officer,
    Role::ServiceManager,
    Role::HeadOfService,
    Role::ServiceDirector,
    Role::FeedbackOfficer,
    Role::GroupDirector,
    Role::LegalServices,
];
/// Who merges two records of the same person: Legal Services, who keep the central record and
/// see every service.
pub const CUSTOMER_MERGERS: &[Role] = &[Role::LegalServices];
/// Who undoes a merge: the administrator.
pub const CUSTOMER_UNMERGERS: &[Role] = &[Role::Admin];

/// A customer and what deciding about their record needs to know.
#[derive(Debug, Clone)]
pub struct CustomerFacts {
    /// The customer, as read.
    pub customer: customer::Model,
    /// The codes of the customer's services: those of their cases and the one that recorded
    /// them.
    pub service_codes: Vec<String>,
    /// How many members are recorded.
    pub members: usize,
    /// Their representatives.
    pub representatives: Vec<representative::Model>,
}

impl CustomerFacts {
    /// Refused unless `actor` keeps records in one of the customer's services, and the record
    /// is not merged into another.
    fn may_keep(&self, actor: &Principal, what: &str) -> DomainResult<()> {
        if !self
            .service_codes
            .iter()
            .any(|code| actor.may_act(CUSTOMER_KEEPERS, code))
            && !actor.has_role(Role::LegalServices)
        {
            return Err(DomainError::Forbidden(format!(
                "{what} needs the role {} in one of the customer's services ({})",
                role_list(CUSTOMER_KEEPERS),
                self.service_codes.join(", ")
            )));
        }
        if let Some(into) = self.customer.merged_into_id {
            return Err(DomainError::Conflict(format!(
                "customer {} was merged into customer {into}: change that record",
                self.customer.reference
            )));
        }
        Ok(())
    }
}

/// Record a customer on their own (`createCustomer`), for the service `service`.
pub fn create(
    details: NewCustomer,
    service: &service::Model,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    if !actor.may_act(CUSTOMER_KEEPERS, &service.code) {
        return Err(DomainError::Forbidden(format!(
            "createCustomer needs the role {} in {}",
            role_list(CUSTOMER_KEEPERS),
            service.code
        )));
    }
    if !service.active {
        return Err(DomainError::bad_input(
            "serviceCode",
            format!("service {} is not in use", service.code),
        ));
    }
    let mut out = Outcome::new();
    let mut row = details.row(now);
    row.service_id = Some(service.id);
    let created = out.create(New::Customer(row));
    Ok(out.audited(AuditEntry::new("customer.create", "customer", created)))
}

/// A change to a customer's details (`updateCustomer`); what is not given stays as it is.
#[derive(Debug, Clone, Default)]
pub struct UpdateCustomer {
    /// The version the caller read.
    pub version: i64,
    /// A new name.
    pub display_name: Option<Text>,
    /// A new kind.
    pub kind: Option<CustomerKind>,
    /// A new address (`Some(None)` clears it).
    pub address: Option<Option<Text>>,
    /// A new email (`Some(None)` clears it).
    pub email: Option<Option<Text>>,
    /// A new telephone number (`Some(None)` clears it).
    pub phone: Option<Option<Text>>,
    /// A new language for letters.
    pub preferred_language: Option<Language>,
}

/// Change the customer's details. A customer with members stays several people or a group.
pub fn update(
    cmd: UpdateCustomer,
    facts: &CustomerFacts,
    actor: &Principal,
) -> DomainResult<Outcome> {
    facts.may_keep(actor, "updateCustomer")?;
    let found = &facts.customer;
    if found.version != cmd.version {
        return Err(DomainError::stale("customer", found.id, cmd.version));
    }
    if cmd.kind == Some(CustomerKind::Person) && facts.members > 0 {
        return Err(DomainError::bad_input(
            "kind",
            format!(
                "customer {} has {} member(s): remove them before making the customer a person",
                found.reference, facts.members
            ),
        ));
    }
    let text = |given: Option<Option<Text>>, old: &Option<String>| match given {
        None => old.clone(),
        Some(new) => new.map(Text::into_string),
    };
    let after = customer::Model {
        display_name: cmd
            .display_name
            .map_or_else(|| found.display_name.clone(), Text::into_string),
        kind: cmd.kind.unwrap_or(found.kind),
        address: text(cmd.address, &found.address),
        email: text(cmd.email, &found.email),
        phone: text(cmd.phone, &found.phone),
        preferred_language: cmd.preferred_language.unwrap_or(found.preferred_language),
        ..found.clone()
    };
    let mut out = Outcome::new();
    let changed = out.change(found.clone(), after);
    Ok(out.audited(AuditEntry::new("customer.update", "customer", changed)))
}

/// A member of a customer that is several people or a group (`addCustomerMember`).
#[derive(Debug, Clone)]
pub struct NewMember {
    /// The person's name.
    pub name: Text,
    /// Their relationship to the customer, e.g. `spouse`.
    pub relationship: Option<Text>,
}

/// Add a member; only a customer that is several people or a group has members (2.3).
pub fn add_member(
    cmd: NewMember,
    facts: &CustomerFacts,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    facts.may_keep(actor, "addCustomerMember")?;
    let found = &facts.customer;
    if found.kind == CustomerKind::Person {
        return Err(DomainError::bad_input(
            "customerId",
            format!(
                "customer {} is a person: only several people or a group have members",
                found.reference
            ),
        ));
    }
    let mut out = Outcome::new();
    let created = out.create_row(customer_member::Model {
        id: 0,
        customer_id: found.id,
        name: cmd.name.into_string(),
        relationship: cmd.relationship.map(Text::into_string),
        version: 1,
        created_at: now,
    });
    Ok(out.audited(AuditEntry::new(
        "customer.add_member",
        "customer_member",
        created,
    )))
}

/// Remove member `member` (as read) of the customer, if the caller read `version`.
pub fn remove_member(
    member: customer_member::Model,
    version: i64,
    facts: &CustomerFacts,
    actor: &Principal,
) -> DomainResult<Outcome> {
    facts.may_keep(actor, "removeCustomerMember")?;
    if member.customer_id != facts.customer.id {
        return Err(DomainError::NotFound(format!(
            "no member {} of customer {}",
            member.id, facts.customer.reference
        )));
    }
    if member.version != version {
        return Err(DomainError::stale("customer member", member.id, version));
    }
    let mut out = Outcome::new();
    let removed = out.delete(member);
    Ok(out.audited(AuditEntry::new(
        "customer.remove_member",
        "customer_member",
        removed,
    )))
}

/// Someone acting for the customer: who, for which organisation, their relationship, whether
/// the customer's authority for them to act is confirmed, how to contact them, and whether the
/// customer asked for letters to go to them.
#[derive(Debug, Clone)]
pub struct RepresentativeDetails {
    /// Their name.
    pub name: Text,
    /// Their organisation, e.g. an advocacy service.
    pub organisation: Option<Text>,
    /// Their relationship to the customer.
    pub relationship: Option<Text>,
    /// How to contact them (for letters: their postal address).
    pub contact_details: Option<Text>,
    /// The customer's authority for them to act is confirmed.
    pub authority_confirmed: bool,
    /// The customer asked for letters to go to them.
    pub letters_to_representative: bool,
}

impl RepresentativeDetails {
    /// Letters go to a representative only with the customer's authority confirmed, to an
    /// address, and to one representative at a time (`others`: the customer's other
    /// representatives).
    fn check(&self, others: &[&representative::Model]) -> DomainResult<()> {
        if !self.letters_to_representative {
            return Ok(());
        }
        if !self.authority_confirmed {
            return Err(DomainError::bad_input(
                "lettersToRepresentative",
                "letters go to a representative only once the customer's authority for them to act is confirmed",
            ));
        }
        if self.contact_details.is_none() {
            return Err(DomainError::bad_input(
                "contactDetails",
                "letters to a representative need their contact details (postal address)",
            ));
        }
        if let Some(other) = others.iter().find(|r| r.letters_to_representative) {
            return Err(DomainError::bad_input(
                "lettersToRepresentative",
                format!(
                    "letters already go to representative {} ({}): change that one first",
                    other.id, other.name
                ),
            ));
        }
        Ok(())
    }

    fn apply(self, row: representative::Model) -> representative::Model {
        representative::Model {
            name: self.name.into_string(),
            organisation: self.organisation.map(Text::into_string),
            relationship: self.relationship.map(Text::into_string),
            contact_details: self.contact_details.map(Text::into_string),
            authority_confirmed: self.authority_confirmed,
            letters_to_representative: self.letters_to_representative,
            ..row
        }
    }
}

/// Record a representative of the customer (`addRepresentative`).
pub fn add_representative(
    cmd: RepresentativeDetails,
    facts: &CustomerFacts,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    facts.may_keep(actor, "addRepresentative")?;
    cmd.check(&facts.representatives.iter().collect::<Vec<_>>())?;
    let row = cmd.apply(representative::Model {
        id: 0,
        customer_id: facts.customer.id,
        name: String::new(),
        organisation: None,
        relationship: None,
        contact_details: None,
        authority_confirmed: false,
        letters_to_representative: false,
        version: 1,
        created_at: now,
    });
    let mut out = Outcome::new();
    let created = out.create_row(row);
    Ok(out.audited(AuditEntry::new(
        "customer.add_representative",
        "representative",
        created,
    )))
}

/// The customer's representative `id`, or `NOT_FOUND`.
fn representative_of(facts: &CustomerFacts, id: i64) -> DomainResult<&representative::Model> {
    facts
        .representatives
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| {
            DomainError::NotFound(format!(
                "no representative {id} of customer {}",
                facts.customer.reference
            ))
        })
}

/// Replace representative `id`'s details (`updateRepresentative`), if the caller read `version`.
pub fn update_representative(
    id: i64,
    version: i64,
    cmd: RepresentativeDetails,
    facts: &CustomerFacts,
    actor: &Principal,
) -> DomainResult<Outcome> {
    facts.may_keep(actor, "updateRepresentative")?;
    let found = representative_of(facts, id)?;
    if found.version != version {
        return Err(DomainError::stale("representative", id, version));
    }
    cmd.check(
        &facts
            .representatives
            .iter()
            .filter(|r| r.id != id)
            .collect::<Vec<_>>(),
    )?;
    let mut out = Outcome::new();
    let changed = out.change(found.clone(), cmd.apply(found.clone()));
    Ok(out.audited(AuditEntry::new(
        "customer.update_representative",
        "representative",
        changed,
    )))
}

/// Remove representative `id` (`removeRepresentative`), if the caller read `version`.
pub fn remove_representative(
    id: i64,
    version: i64,
    facts: &CustomerFacts,
    actor: &Principal,
) -> DomainResult<Outcome> {
    facts.may_keep(actor, "removeRepresentative")?;
    let found = representative_of(facts, id)?;
    if found.version != version {
        return Err(DomainError::stale("representative", id, version));
    }
    let mut out = Outcome::new();
    let removed = out.delete(found.clone());
    Ok(out.audited(AuditEntry::new(
        "customer.remove_representative",
        "representative",
        removed,
    )))
}

/// The representative letters to the customer go to: one the customer asked letters to go to,
/// whose authority to act is confirmed (the first by id, should there be more).
pub fn letters_go_to(representatives: &[representative::Model]) -> Option<&representative::Model> {
    representatives
        .iter()
        .filter(|r| r.letters_to_representative && r.authority_confirmed)
        .min_by_key(|r| r.id)
}

/// Merge two records of the same person (`mergeCustomers`): `merge` goes into `keep`.
#[derive(Debug, Clone)]
pub struct MergeCustomers {
    /// The version of the record kept, as the caller read it.
    pub keep_version: i64,
    /// The version of the record merged into it, as the caller read it.
    pub merge_version: i64,
    /// Why the two are the same person.
    pub reason: Text,
}

/// What merging needs: both records, the rows of the one merged away (its cases, contacts,
/// members, representatives, reasonable adjustments, recording requests), and the kept one's
/// cases.
#[derive(Debug, Clone)]
pub struct MergeFacts {
    /// The record kept.
    pub keep: customer::Model,
    /// The record merged into it.
    pub merge: customer::Model,
    /// The kept record's cases.
    pub keep_cases: Vec<upc_case::Model>,
    /// Every row of the merged record that names it, as read.
    pub rows: Vec<Row>,
    /// Service codes by service id (for messages).
    pub service_codes: BTreeMap<i64, String>,
}

/// `row` pointing at customer `customer_id`, if it is a row that names a customer.
pub fn with_customer(row: &Row, customer_id: i64) -> Option<Row> {
    Some(match row.clone() {
        Row::Case(m) => Row::Case(upc_case::Model { customer_id, ..m }),
        Row::Contact(m) => Row::Contact(entities::contact::Model { customer_id, ..m }),
        Row::CustomerMember(m) => Row::CustomerMember(customer_member::Model { customer_id, ..m }),
        Row::Representative(m) => Row::Representative(representative::Model { customer_id, ..m }),
        Row::Adjustment(m) => {
            Row::Adjustment(entities::reasonable_adjustment::Model { customer_id, ..m })
        }
        Row::RecordingRequest(m) => {
            Row::RecordingRequest(entities::recording_request::Model { customer_id, ..m })
        }
        _ => return None,
    })
}

/// The customer a row names, if it names one.
pub fn customer_of(row: &Row) -> Option<i64> {
    match row {
        Row::Case(m) => Some(m.customer_id),
        Row::Contact(m) => Some(m.customer_id),
        Row::CustomerMember(m) => Some(m.customer_id),
        Row::Representative(m) => Some(m.customer_id),
        Row::Adjustment(m) => Some(m.customer_id),
        Row::RecordingRequest(m) => Some(m.customer_id),
        _ => None,
    }
}

/// The ids of `rows` by table, as a merge records them.
fn by_table(rows: &[Row]) -> BTreeMap<&'static str, Vec<i64>> {
    let mut moved: BTreeMap<&'static str, Vec<i64>> = BTreeMap::new();
    for row in rows {
        moved.entry(row.table()).or_default().push(row.id());
    }
    moved
}

/// Merge `facts.merge` into `facts.keep`: every row naming the merged record moves to the kept
/// one; the merged record stays, marked merged into the kept one (never deleted); the audit
/// entry records the rows moved, which is what undoing the merge restores.
pub fn merge(
    cmd: MergeCustomers,
    facts: MergeFacts,
    actor: &Principal,
    now: DateTime<Utc>,
) -> DomainResult<Outcome> {
    if !actor.has_any_role(CUSTOMER_MERGERS) {
        return Err(DomainError::Forbidden(format!(
            "mergeCustomers needs the role {}",
            role_list(CUSTOMER_MERGERS)
        )));
    }
    let MergeFacts {
        keep,
        merge,
        keep_cases,
        rows,
        service_codes,
    } = facts;
    if keep.id == merge.id {
        return Err(DomainError::bad_input(
            "mergeId",
            "a record cannot be merged into itself",
        ));
    }
    for (field, c) in [("keepId", &keep), ("mergeId", &merge)] {
        if let Some(into) = c.merged_into_id {
            return Err(DomainError::bad_input(
                field,
                format!(
                    "customer {} was already merged into customer {into}",
                    c.reference
                ),
            ));
        }
    }
    if keep.version != cmd.keep_version {
        return Err(DomainError::stale("customer", keep.id, cmd.keep_version));
    }
    if merge.version != cmd.merge_version {
        return Err(DomainError::stale("customer", merge.id, cmd.merge_version));
    }
    // One open case per customer in a service (5.4): two open cases in one service would leave
    // the kept record with two.
    for row in &rows {
        if let Row::Case(case) = row
            && case.status == CaseStatus::Open
            && let Some(other) = keep_cases
                .iter()
                .find(|k| k.status == CaseStatus::Open && k.service_id == case.service_id)
        {
            return Err(DomainError::Conflict(format!(
                "both records have an open case in {} ({} and {}): close one before merging",
                service_codes
                    .get(&case.service_id)
                    .map_or("the same service", String::as_str),
                other.reference,
                case.reference
            )));
        }
    }
    let mut out = Outcome::new();
    for row in &rows {
        if let Some(after) = with_customer(row, keep.id) {
            out.changed.push(super::outcome::Change {
                before: row.clone(),
                after,
            });
        }
    }
    // The kept record's version goes up: a merge changes what it holds.
    out.change(keep.clone(), keep.clone());
    let merged = out.change(
        merge.clone(),
        customer::Model {
            merged_into_id: Some(keep.id),
            merged_at: Some(now),
            ..merge.clone()
        },
    );
    Ok(out.audited(
        AuditEntry::new("customer.merge", "customer", merged)
            .because(cmd.reason.into_string())
            .noting(json!({ "merged_into": keep.id, "moved": by_table(&rows) })),
    ))
}

/// Undo a merge (`unmergeCustomers`) of the record merged away.
#[derive(Debug, Clone)]
pub struct UnmergeCustomers {
    /// The version of the merged record, as the caller read it.
    pub version: i64,
    /// Why.
    pub reason: Text,
}

/// What undoing a merge needs: the merged record, the one it went into, what the merge recorded
/// it moved (the `moved` of its audit entry), and those rows as they stand now.
#[derive(Debug, Clone)]
pub struct UnmergeFacts {
    /// The record merged away.
    pub merged: customer::Model,
    /// The record it was merged into.
    pub kept: customer::Model,
    /// The rows the merge moved, as they stand now (a row deleted since is not here).
    pub moved: Vec<Row>,
}

/// What a merge's audit entry says it moved: table → row ids. `NOT_FOUND` when it says nothing.
pub fn recorded_moves(
    after: Option<&serde_json::Value>,
) -> DomainResult<BTreeMap<String, Vec<i64>>> {
    let moved = after
        .and_then(|a| a.get("moved"))
        .and_then(serde_json::Value::as_object)
        .ok_or_else(|| {
            DomainError::NotFound("the merge's record of what it moved is gone".into())
        })?;
    Ok(moved
        .iter()
        .map(|(table, ids)| {
            let ids = ids
                .as_array()
                .map(|ids| ids.iter().filter_map(serde_json::Value::as_i64).collect())
                .unwrap_or_default();
            (table.clone(), ids)
        })
        .collect())
}

/// Undo the merge: every row the merge moved that still names the kept record goes back to the
/// merged one, which is no longer marked merged. Rows added to the kept record since stay there.
pub fn unmerge(
    cmd: UnmergeCustomers,
    facts: UnmergeFacts,
    actor: &Principal,
) -> DomainResult<Outcome> {
    if !actor.has_any_role(CUSTOMER_UNMERGERS) {
        return Err(DomainError::Forbidden(format!(
            "unmergeCustomers needs the role {}",
            role_list(CUSTOMER_UNMERGERS)
        )));
    }
    let UnmergeFacts {
        merged,
        kept,
        moved,
    } = facts;
    if merged.merged_into_id != Some(kept.id) {
        return Err(DomainError::bad_input(
            "customerId",
            format!("customer {} is not merged into another", merged.reference),
        ));
    }
    if merged.version != cmd.version {
        return Err(DomainError::stale("customer", merged.id, cmd.version));
    }
    if let Some(into) = kept.merged_into_id {
        return Err(DomainError::Conflict(format!(
            "customer {} was since merged into customer {into}: undo that merge first",
            kept.reference
        )));
    }
    let mut out = Outcome::new();
    let mut back = Vec::new();
    for row in &moved {
        if customer_of(row) == Some(kept.id)
            && let Some(after) = with_customer(row, merged.id)
        {
            back.push(row.clone());
            out.changed.push(super::outcome::Change {
                before: row.clone(),
                after,
            });
        }
    }
    out.change(kept.clone(), kept.clone());
    let restored = out.change(
        merged.clone(),
        customer::Model {
            merged_into_id: None,
            merged_at: None,
            ..merged.clone()
        },
    );
    Ok(out.audited(
        AuditEntry::new("customer.unmerge", "customer", restored)
            .because(cmd.reason.into_string())
            .noting(json!({ "unmerged_from": kept.id, "moved_back": by_table(&back) })),
    ))
}
