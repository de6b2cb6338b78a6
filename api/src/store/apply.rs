//! Applying an outcome inside its unit of work: rows created (with the links between them),
//! rows changed and deleted, letters rendered in the customer's language, alerts stored for the
//! service team, and the audit event — in that order, all in the one transaction.

use std::collections::BTreeMap;

use chrono::Datelike;
use entities::{
    behaviour_report_type, customer, exclusion_establishment, harassment_referral,
    harassment_referral_call, letter, representative, restriction, review_adjustment, service,
    stage_1_warning_adjustment, stage_2_decision_adjustment, upc_case,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, SqlErr,
};
use serde_json::{Map, Value};

use super::facts::{active_template, names};
use super::tables::{delete_row, insert, insert_row, update, update_row};
use super::{Applied, Database, UnitOfWork};
use crate::audit::{self, Change};
use crate::domain::outcome::{AuditEntry, LetterOrder, New, Outcome, Ref, Row};
use crate::error::{ApiError, ApiResult};
use crate::letters::{self, LetterContext};

/// Apply `outcome` in `uow`'s transaction.
pub(super) async fn apply<C: Database>(
    uow: &mut UnitOfWork<'_, C>,
    outcome: Outcome,
) -> ApiResult<Applied> {
    let Outcome {
        created,
        changed,
        deleted,
        letters,
        alerts,
        audit,
    } = outcome;
    let audit = audit.ok_or_else(|| ApiError::internal("an outcome without its audit entry"))?;
    let mut applied = Applied::default();
    let mut changes = Vec::new();
    for new in created {
        create(&uow.txn, &uow.session, new, &mut applied, &mut changes).await?;
    }
    for change in changed {
        let after = update_row(&uow.txn, &change.before, change.after).await?;
        changes.push((change.before, after.clone()));
        applied.changed.push(after);
    }
    for row in &deleted {
        delete_row(&uow.txn, row).await?;
    }
    for order in letters {
        write_letter(uow, order, &applied).await?;
    }
    for order in alerts {
        let r: restriction::Model = row_of(order.restriction, "restriction", &applied)?;
        let case = case_of(&uow.txn, r.case_id, &applied).await?;
        let alert = crate::alerts::record(
            &uow.txn,
            &uow.session.actor().subject,
            &case,
            order.event,
            &r,
        )
        .await?;
        uow.alerts.push(alert);
    }
    record_audit(uow, audit, &applied, &changes, &deleted).await?;
    Ok(applied)
}

/// The id of the row `r` points at.
fn id_of(r: Ref, applied: &Applied) -> ApiResult<i64> {
    match r {
        Ref::Stored(id) => Ok(id),
        Ref::Created(n) => applied
            .created
            .get(n)
            .map(Row::id)
            .ok_or_else(|| ApiError::internal(format!("no row {n} created yet"))),
    }
}

/// The row `r` points at, as written by this outcome, of kind `M` in `table`.
fn row_of<M: TryFrom<Row>>(r: Ref, table: &str, applied: &Applied) -> ApiResult<M> {
    let found = match r {
        Ref::Created(n) => applied.created.get(n),
        Ref::Stored(id) => applied
            .changed
            .iter()
            .rev()
            .find(|row| row.table() == table && row.id() == id),
    };
    found
        .cloned()
        .and_then(|row| M::try_from(row).ok())
        .ok_or_else(|| ApiError::internal(format!("the outcome wrote no {table} {r:?}")))
}

/// Case `id` as it stands after this outcome.
async fn case_of(
    txn: &DatabaseTransaction,
    id: i64,
    applied: &Applied,
) -> ApiResult<upc_case::Model> {
    if let Some(Row::Case(c)) = applied
        .changed
        .iter()
        .chain(applied.created.iter())
        .rev()
        .find(|row| row.table() == "upc_case" && row.id() == id)
    {
        return Ok(c.clone());
    }
    upc_case::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::internal(format!("no case {id}")))
}

/// Link the decision `decision` (a warning, a Stage 2 decision or a review, as stored) to the
/// reasonable adjustment it considered.
async fn link_adjustment(
    txn: &DatabaseTransaction,
    decision: &Row,
    adjustment_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<()> {
    match decision {
        Row::Warning(w) => {
            stage_1_warning_adjustment::ActiveModel {
                warning_id: Set(w.id),
                adjustment_id: Set(adjustment_id),
                version: Set(1),
                created_at: Set(now),
            }
            .insert(txn)
            .await?;
        }
        Row::Decision(d) => {
            stage_2_decision_adjustment::ActiveModel {
                decision_id: Set(d.id),
                adjustment_id: Set(adjustment_id),
                version: Set(1),
                created_at: Set(now),
            }
            .insert(txn)
            .await?;
        }
        Row::Review(r) => {
            review_adjustment::ActiveModel {
                review_id: Set(r.id),
                adjustment_id: Set(adjustment_id),
                version: Set(1),
                created_at: Set(now),
            }
            .insert(txn)
            .await?;
        }
        other => {
            return Err(ApiError::internal(format!(
                "a {} does not consider reasonable adjustments",
                other.table()
            )));
        }
    }
    Ok(())
}

/// Insert one new row with its links and children.
async fn create<C: Database>(
    txn: &DatabaseTransaction,
    session: &super::Session<'_, C>,
    new: New,
    applied: &mut Applied,
    changes: &mut Vec<(Row, Row)>,
) -> ApiResult<()> {
    let row = match new {
        New::Row(row) => insert_row(txn, row).await?,
        New::Customer(mut c) => {
            c.reference = super::facts::next_customer_reference(txn).await?;
            Row::Customer(insert::<customer::Entity, _>(txn, c).await?)
        }
        New::Case { mut case, customer } => {
            case.customer_id = id_of(customer, applied)?;
            case.reference = super::facts::next_case_reference(txn, case.opened_at.year()).await?;
            let mut row = case.into_active_model();
            row.not_set(upc_case::Column::Id);
            let stored = row.insert(txn).await.map_err(|e| {
                if opened_at_once(&e) {
                    ApiError::Conflict("another case was opened at the same moment; retry".into())
                } else {
                    e.into()
                }
            })?;
            Row::Case(stored)
        }
        New::Report {
            mut report,
            case,
            behaviours,
        } => {
            report.case_id = id_of(case, applied)?;
            let stored = insert_row(txn, Row::Report(report)).await?;
            for behaviour in behaviours {
                behaviour_report_type::ActiveModel {
                    report_id: Set(stored.id()),
                    behaviour: Set(behaviour),
                    version: Set(1),
                    created_at: Set(session.now),
                }
                .insert(txn)
                .await?;
            }
            stored
        }
        New::Incident { mut incident, case } => {
            incident.case_id = id_of(case, applied)?;
            insert_row(txn, Row::Incident(incident)).await?
        }
        New::CallTermination { mut call, case } => {
            call.case_id = id_of(case, applied)?;
            insert_row(txn, Row::CallTermination(call)).await?
        }
        New::Restriction {
            mut restriction,
            decision,
        } => {
            if let Some(decision) = decision {
                restriction.decision_id = Some(id_of(decision, applied)?);
            }
            insert_row(txn, Row::Restriction(restriction)).await?
        }
        New::Breach {
            mut breach,
            contact,
        } => {
            if let Some(contact) = contact {
                breach.contact_id = Some(id_of(contact, applied)?);
            }
            insert_row(txn, Row::Breach(breach)).await?
        }
        New::Exclusion {
            exclusion,
            establishments,
        } => {
            let stored = insert_row(txn, Row::Exclusion(exclusion)).await?;
            for establishment_id in establishments {
                exclusion_establishment::ActiveModel {
                    exclusion_id: Set(stored.id()),
                    establishment_id: Set(establishment_id),
                    version: Set(1),
                    created_at: Set(session.now),
                }
                .insert(txn)
                .await?;
            }
            stored
        }
        New::HarassmentReferral { referral, calls } => {
            let stored = insert_row(txn, Row::HarassmentReferral(referral)).await?;
            for call in calls {
                harassment_referral_call::ActiveModel {
                    harassment_referral_id: Set(stored.id()),
                    call_termination_id: Set(call),
                    version: Set(1),
                    created_at: Set(session.now),
                }
                .insert(txn)
                .await?;
            }
            stored
        }
        New::Considered {
            decision,
            adjustments,
        } => {
            let stored = insert_row(txn, decision).await?;
            for adjustment_id in adjustments {
                link_adjustment(txn, &stored, adjustment_id, session.now).await?;
            }
            stored
        }
        New::PoliceReferral { referral, answers } => {
            let stored = insert_row(txn, Row::PoliceReferral(referral)).await?;
            if let Some(answered) = answers {
                let linked = harassment_referral::Model {
                    police_referral_id: Some(stored.id()),
                    ..answered.clone()
                };
                let after =
                    update::<harassment_referral::Entity, _>(txn, &answered, linked).await?;
                changes.push((
                    Row::HarassmentReferral(answered),
                    Row::HarassmentReferral(after.clone()),
                ));
                applied.changed.push(Row::HarassmentReferral(after));
            }
            stored
        }
    };
    applied.created.push(row);
    Ok(())
}

/// Render and store a letter to the customer of the order's case, in their preferred language.
async fn write_letter<C: Database>(
    uow: &mut UnitOfWork<'_, C>,
    order: LetterOrder,
    applied: &Applied,
) -> ApiResult<()> {
    let txn = &uow.txn;
    let case = case_of(txn, order.case_id, applied).await?;
    let customer = customer::Entity::find_by_id(case.customer_id)
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::internal(format!("case {} has no customer", case.id)))?;
    let service = service::Entity::find_by_id(case.service_id)
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::internal(format!("case {} has no service", case.id)))?;
    let language = customer.preferred_language;
    let representatives = representative::Entity::find()
        .filter(representative::Column::CustomerId.eq(customer.id))
        .order_by_asc(representative::Column::Id)
        .all(txn)
        .await?;
    let addressee = crate::domain::customer_records::letters_go_to(&representatives).map(|r| {
        letters::Addressee {
            name: r.name.clone(),
            organisation: r.organisation.clone(),
            address: r.contact_details.clone(),
        }
    });
    let (template_id, template) = active_template(txn, order.kind, language).await?;
    let names = names(txn).await?;
    let content = order.content;
    let context = LetterContext {
        kind: order.kind,
        language,
        letter_date: order.letter_date,
        customer_name: customer.display_name,
        customer_address: customer.address,
        case_reference: case.reference.clone(),
        service_name: service.name,
        reasons: content.reasons,
        exceptional_reasons: content.exceptional_reasons,
        consulted: content.consulted,
        restrictions: content.restrictions,
        lifted: content.lifted,
        review_due_on: content.review_due_on,
        appeal_deadline: content.appeal_deadline,
        warning_period_ends_on: content.warning_period_ends_on,
        closure: content.closure,
        legal_services_address: uow.session.settings.legal_services_address.clone(),
        appeal_upheld: content.appeal_upheld,
        recommendation: content.recommendation,
        endorsed: content.endorsed,
        variation: content.variation,
        unreasonable: content.unreasonable,
        addressee,
    };
    let rendered = letters::render(&template, &context, &names).map_err(|e| {
        ApiError::internal(format!(
            "letter template {template_id:?} ({}, {}) failed: {e}",
            order.kind.as_str(),
            language.as_str()
        ))
    })?;
    let now = uow.session.now;
    letter::ActiveModel {
        case_id: Set(case.id),
        kind: Set(order.kind),
        language: Set(language),
        template_id: Set(template_id),
        subject: Set(rendered.subject),
        body_text: Set(rendered.body_text),
        body_html: Set(rendered.body_html),
        issued_at: Set(now),
        issued_by: Set(uow.session.actor().subject.clone()),
        sent_at: Set(None),
        sent_by: Set(None),
        regarding_type: Set(Some(order.regarding.0.to_string())),
        regarding_id: Set(Some(id_of(order.regarding.1, applied)?)),
        version: Set(1),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

fn json(row: &Row) -> Value {
    serde_json::to_value(row).unwrap_or(Value::Null)
}

/// The audit event: who did what to which record, with the record before and after.
///
/// `before` is the record as read when it was changed or deleted; for a record created on a
/// case that changed, the case as read. `after` is the record as written; when the outcome wrote
/// other rows too (the case apart), or the entry carries a note, an object of every row written
/// by table (a list where there are several) with the note's fields beside them.
async fn record_audit<C: Database>(
    uow: &UnitOfWork<'_, C>,
    entry: AuditEntry,
    applied: &Applied,
    changes: &[(Row, Row)],
    deleted: &[Row],
) -> ApiResult<()> {
    let (table, entity) = entry.entity;
    let entity_id = id_of(entity, applied)?;
    let same = |row: &Row| row.table() == table && row.id() == entity_id;
    let before = changes
        .iter()
        .map(|(before, _)| before)
        .chain(deleted.iter())
        .find(|row| same(row))
        .or_else(|| {
            changes
                .iter()
                .map(|(before, _)| before)
                .find(|row| row.table() == "upc_case")
        })
        .map(json);
    let after = if deleted.iter().any(same) {
        None
    } else {
        // A case's own version bump or state is not the record's content, unless the case is
        // what the event is about; a case opened by the command is.
        let mut written: Vec<&Row> = applied.created.iter().collect();
        written.extend(
            changes
                .iter()
                .map(|(_, after)| after)
                .filter(|row| row.table() != "upc_case" || table == "upc_case"),
        );
        match (written.as_slice(), entry.note) {
            ([only], None) => Some(json(only)),
            (rows, note) => {
                let mut by_table: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
                for row in rows {
                    by_table.entry(row.table()).or_default().push(json(row));
                }
                let mut object = Map::new();
                for (name, mut values) in by_table {
                    let value = if values.len() == 1 {
                        values.remove(0)
                    } else {
                        Value::Array(values)
                    };
                    object.insert(name.to_string(), value);
                }
                if let Some(Value::Object(note)) = note {
                    object.extend(note);
                }
                Some(Value::Object(object))
            }
        }
    };
    let case_id = entry.case.map(|c| id_of(c, applied)).transpose()?;
    audit::record(
        &uow.txn,
        uow.session.request,
        Change {
            action: entry.action,
            entity_type: table,
            entity_id: entity_id.to_string(),
            case_id,
            before,
            after,
            reason: entry.reason,
        },
    )
    .await
}

/// A unique-constraint clash on opening a case: someone opened the customer's case in the
/// service at the same moment.
fn opened_at_once(e: &sea_orm::DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
