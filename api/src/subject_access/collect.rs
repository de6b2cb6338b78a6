//! Reading everything held about one customer, kind by kind, as the database holds it (every
//! column, so nothing is left out when a column is added). Only rows that belong to the customer
//! are read: their own record and its members, representatives and adjustments; their cases and
//! every record filed on those cases; contacts and requests to record made by them (never another
//! customer's, even on their case); notifications about their cases; who read their records; and
//! the audit events about them.

use std::collections::BTreeMap;

use entities::{
    appeal, audit_event, behaviour_report, behaviour_report_type, breach, call_termination,
    contact, customer, customer_member, determination, exclusion, exclusion_establishment,
    harassment_referral, harassment_referral_call, hs_incident, letter, new_issue_consideration,
    notification, police_referral, reasonable_adjustment, recording_request, representative,
    restriction, review, service, stage_1_warning, stage_2_decision, upc_case,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::about;

/// Every kind of record in a bundle, in the order the bundle lists them: `(JSON key, heading)`.
pub const KINDS: &[(&str, &str)] = &[
    ("customer", "Customer record"),
    ("customer_members", "People making up the customer"),
    ("representatives", "Representatives"),
    ("reasonable_adjustments", "Reasonable adjustments"),
    ("cases", "Cases"),
    ("behaviour_reports", "Behaviour reports"),
    ("determinations", "Determinations"),
    ("stage_1_warnings", "Stage 1 warnings"),
    ("appeals", "Appeals"),
    ("stage_2_decisions", "Stage 2 decisions"),
    ("restrictions", "Restrictions"),
    ("breaches", "Breaches of restrictions"),
    ("new_issue_considerations", "New issues considered"),
    ("reviews", "Reviews"),
    ("letters", "Letters"),
    ("hs_incidents", "Threats to staff (HS V1 incidents)"),
    ("exclusions", "Exclusions from premises"),
    ("police_referrals", "Reports to the police"),
    ("call_terminations", "Telephone calls ended by staff"),
    ("harassment_referrals", "Harassment referrals"),
    ("contacts", "Contacts with the council"),
    ("recording_requests", "Requests to record"),
    ("notifications", "Notices to service teams"),
    ("access_records", "Who has read your records"),
    ("audit_events", "Changes recorded in the audit trail"),
];

/// The records of the kinds that belong to a case (they carry `case_id`), as `KINDS` keys.
pub const CASE_KINDS: &[&str] = &[
    "behaviour_reports",
    "determinations",
    "stage_1_warnings",
    "appeals",
    "stage_2_decisions",
    "restrictions",
    "breaches",
    "new_issue_considerations",
    "reviews",
    "letters",
    "hs_incidents",
    "exclusions",
    "police_referrals",
    "call_terminations",
    "harassment_referrals",
];

fn to_json<M: Serialize>(model: &M) -> Result<Value, DbErr> {
    serde_json::to_value(model).map_err(|e| DbErr::Custom(format!("serialising a record: {e}")))
}

/// The rows of `E` matching `filter`, as JSON, ordered by case then id.
async fn rows<E, C>(db: &C, filter: Condition) -> Result<Vec<Value>, DbErr>
where
    E: EntityTrait,
    E::Model: Serialize,
    C: ConnectionTrait,
{
    let mut out = E::find()
        .filter(filter)
        .all(db)
        .await?
        .iter()
        .map(to_json)
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by_key(|v| (v["case_id"].as_i64(), v["id"].as_i64()));
    Ok(out)
}

fn ids(rows: &[Value]) -> Vec<i64> {
    rows.iter().filter_map(|r| r["id"].as_i64()).collect()
}

/// Everything held about customer `customer_id`, one JSON key per kind of `KINDS`; `None` when
/// there is no such customer.
pub async fn held<C: ConnectionTrait>(
    db: &C,
    customer_id: i64,
) -> Result<Option<Map<String, Value>>, DbErr> {
    let Some(customer) = customer::Entity::find_by_id(customer_id).one(db).await? else {
        return Ok(None);
    };
    let mut out = Map::new();
    out.insert("customer".into(), to_json(&customer)?);
    out.insert(
        "customer_members".into(),
        Value::Array(
            rows::<customer_member::Entity, _>(
                db,
                Condition::all().add(customer_member::Column::CustomerId.eq(customer_id)),
            )
            .await?,
        ),
    );
    out.insert(
        "representatives".into(),
        Value::Array(
            rows::<representative::Entity, _>(
                db,
                Condition::all().add(representative::Column::CustomerId.eq(customer_id)),
            )
            .await?,
        ),
    );
    out.insert(
        "reasonable_adjustments".into(),
        Value::Array(
            rows::<reasonable_adjustment::Entity, _>(
                db,
                Condition::all().add(reasonable_adjustment::Column::CustomerId.eq(customer_id)),
            )
            .await?,
        ),
    );

    // The cases, with their service's code and name.
    let cases = upc_case::Entity::find()
        .filter(upc_case::Column::CustomerId.eq(customer_id))
        .order_by_asc(upc_case::Column::Id)
        .all(db)
        .await?;
    let case_ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
    let services: BTreeMap<i64, service::Model> = service::Entity::find()
        .filter(service::Column::Id.is_in(cases.iter().map(|c| c.service_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let mut case_rows = Vec::with_capacity(cases.len());
    for case in &cases {
        let mut row = to_json(case)?;
        if let (Some(map), Some(service)) = (row.as_object_mut(), services.get(&case.service_id)) {
            map.insert("service_code".into(), json!(service.code));
            map.insert("service_name".into(), json!(service.name));
        }
        case_rows.push(row);
    }
    out.insert("cases".into(), Value::Array(case_rows));

    macro_rules! of_cases {
        ($key:literal, $module:ident) => {
            out.insert(
                $key.into(),
                Value::Array(
                    rows::<$module::Entity, _>(
                        db,
                        Condition::all().add($module::Column::CaseId.is_in(case_ids.clone())),
                    )
                    .await?,
                ),
            );
        };
    }

    // Behaviour reports, each with the behaviour types it names.
    let mut reports = rows::<behaviour_report::Entity, _>(
        db,
        Condition::all().add(behaviour_report::Column::CaseId.is_in(case_ids.clone())),
    )
    .await?;
    let mut behaviours: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for t in behaviour_report_type::Entity::find()
        .filter(behaviour_report_type::Column::ReportId.is_in(ids(&reports)))
        .all(db)
        .await?
    {
        behaviours
            .entry(t.report_id)
            .or_default()
            .push(t.behaviour.as_str().to_string());
    }
    for report in &mut reports {
        let id = report["id"].as_i64().unwrap_or_default();
        if let Some(map) = report.as_object_mut() {
            map.insert(
                "behaviours".into(),
                json!(behaviours.remove(&id).unwrap_or_default()),
            );
        }
    }
    out.insert("behaviour_reports".into(), Value::Array(reports));

    of_cases!("determinations", determination);
    of_cases!("stage_1_warnings", stage_1_warning);
    of_cases!("appeals", appeal);
    of_cases!("stage_2_decisions", stage_2_decision);
    of_cases!("restrictions", restriction);
    of_cases!("breaches", breach);
    of_cases!("new_issue_considerations", new_issue_consideration);
    of_cases!("reviews", review);
    of_cases!("letters", letter);
    of_cases!("hs_incidents", hs_incident);

    // Exclusions, each with the establishments it covers.
    let mut exclusions = rows::<exclusion::Entity, _>(
        db,
        Condition::all().add(exclusion::Column::CaseId.is_in(case_ids.clone())),
    )
    .await?;
    let mut premises: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for link in exclusion_establishment::Entity::find()
        .filter(exclusion_establishment::Column::ExclusionId.is_in(ids(&exclusions)))
        .order_by_asc(exclusion_establishment::Column::EstablishmentId)
        .all(db)
        .await?
    {
        premises
            .entry(link.exclusion_id)
            .or_default()
            .push(link.establishment_id);
    }
    for row in &mut exclusions {
        let id = row["id"].as_i64().unwrap_or_default();
        if let Some(map) = row.as_object_mut() {
            map.insert(
                "establishment_ids".into(),
                json!(premises.remove(&id).unwrap_or_default()),
            );
        }
    }
    out.insert("exclusions".into(), Value::Array(exclusions));

    of_cases!("police_referrals", police_referral);
    of_cases!("call_terminations", call_termination);

    // Harassment referrals, each with the terminated calls it rests on.
    let mut referrals = rows::<harassment_referral::Entity, _>(
        db,
        Condition::all().add(harassment_referral::Column::CaseId.is_in(case_ids.clone())),
    )
    .await?;
    let mut calls: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for link in harassment_referral_call::Entity::find()
        .filter(harassment_referral_call::Column::HarassmentReferralId.is_in(ids(&referrals)))
        .order_by_asc(harassment_referral_call::Column::CallTerminationId)
        .all(db)
        .await?
    {
        calls
            .entry(link.harassment_referral_id)
            .or_default()
            .push(link.call_termination_id);
    }
    for row in &mut referrals {
        let id = row["id"].as_i64().unwrap_or_default();
        if let Some(map) = row.as_object_mut() {
            map.insert(
                "call_termination_ids".into(),
                json!(calls.remove(&id).unwrap_or_default()),
            );
        }
    }
    out.insert("harassment_referrals".into(), Value::Array(referrals));

    // Contacts and requests to record are the customer's own: selected by customer, so another
    // customer's contact filed on this customer's case is never included.
    out.insert(
        "contacts".into(),
        Value::Array(
            rows::<contact::Entity, _>(
                db,
                Condition::all().add(contact::Column::CustomerId.eq(customer_id)),
            )
            .await?,
        ),
    );
    out.insert(
        "recording_requests".into(),
        Value::Array(
            rows::<recording_request::Entity, _>(
                db,
                Condition::all().add(recording_request::Column::CustomerId.eq(customer_id)),
            )
            .await?,
        ),
    );
    of_cases!("notifications", notification);

    let reads = about::AccessAbout::of(db, customer_id)
        .await?
        .records(db)
        .await?
        .iter()
        .map(to_json)
        .collect::<Result<Vec<_>, _>>()?;
    out.insert("access_records".into(), Value::Array(reads));
    let mut events =
        rows::<audit_event::Entity, _>(db, about::audit_events_about(db, customer_id).await?)
            .await?;
    events.sort_by_key(|v| v["id"].as_i64());
    out.insert("audit_events".into(), Value::Array(events));
    Ok(Some(out))
}
