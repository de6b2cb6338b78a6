//! Carrying out a plan: one transaction per case (and its customer when it is their last case).

use std::collections::{BTreeMap, BTreeSet};

use api::audit::{self, Change};
use api::auth::Principal;
use api::authz::RequestContext;
use chrono::Utc;
use entities::enums::{DisposalEntity, DisposalRule};
use entities::{audit_event, contact, disposal};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set, TransactionTrait, Value,
};
use serde::Serialize;
use serde_json::json;

use super::{Disposal, REMOVED, Schedule};

/// What a column holds and how it is anonymised.
#[derive(Clone, Copy)]
enum Kind {
    /// Required text: replaced with [`REMOVED`].
    Text,
    /// Optional text: replaced with [`REMOVED`] when present, so "was anything recorded"
    /// survives (the annual report's checks read that), the content does not.
    OptionalText,
    /// Optional contact details: cleared.
    Cleared,
}

use Kind::{Cleared, OptionalText, Text};

/// A table to anonymise: its name, the column linking it to the case or customer, and the
/// columns anonymised.
type TableRule = (&'static str, &'static str, &'static [(&'static str, Kind)]);

/// The tables of a case: `(table, column linking it to the case, columns anonymised)`.
const CASE_TABLES: &[TableRule] = &[
    (
        "upc_case",
        "id",
        &[
            ("closure_reason", OptionalText),
            ("flag_reason", OptionalText),
        ],
    ),
    (
        "behaviour_report",
        "case_id",
        &[("reporter_name", Text), ("description", Text)],
    ),
    ("determination", "case_id", &[("reasons", Text)]),
    (
        "stage_1_warning",
        "case_id",
        &[
            ("service_director_consulted", Text),
            ("adjustments_considered", Text),
            ("proportionality", Text),
        ],
    ),
    (
        "appeal",
        "case_id",
        &[
            ("grounds", Text),
            ("late_reason", OptionalText),
            ("decision_reasons", OptionalText),
        ],
    ),
    (
        "stage_2_decision",
        "case_id",
        &[
            ("exceptional_reasons", OptionalText),
            ("consulted_name", Text),
            ("adjustments_considered", Text),
            ("proportionality", Text),
            ("reasons", Text),
        ],
    ),
    ("restriction", "case_id", &[("lifted_reason", OptionalText)]),
    (
        "review",
        "case_id",
        &[
            ("recommendation_reasons", OptionalText),
            ("endorsement_reasons", OptionalText),
        ],
    ),
    ("breach", "case_id", &[("description", Text)]),
    (
        "police_referral",
        "case_id",
        &[("police_reference", OptionalText), ("notes", OptionalText)],
    ),
    (
        "exclusion",
        "case_id",
        &[
            ("reasons", Text),
            ("agreement_reasons", OptionalText),
            ("lifted_reason", OptionalText),
        ],
    ),
    (
        "hs_incident",
        "case_id",
        &[("reasons", Text), ("hs_v1_reference", OptionalText)],
    ),
    (
        "letter",
        "case_id",
        &[("subject", Text), ("body_text", Text), ("body_html", Text)],
    ),
    (
        "call_termination",
        "case_id",
        &[("warning_given", Text), ("reason", Text)],
    ),
    (
        "harassment_referral",
        "case_id",
        &[("referred_to", Text), ("reasons", Text)],
    ),
    (
        "new_issue_consideration",
        "case_id",
        &[("description", Text), ("reasons", Text)],
    ),
    (
        "recording_request",
        "case_id",
        &[("context", Text), ("refusal_reason", OptionalText)],
    ),
    ("contact", "case_id", &[("summary", Text)]),
    ("notification", "case_id", &[("summary", Text)]),
];

/// The tables of a customer: `(table, column linking it to the customer, columns anonymised)`.
const CUSTOMER_TABLES: &[TableRule] = &[
    (
        "customer",
        "id",
        &[
            ("display_name", Text),
            ("address", Cleared),
            ("email", Cleared),
            ("phone", Cleared),
            ("disability_or_unmet_need_noted", OptionalText),
        ],
    ),
    (
        "customer_member",
        "customer_id",
        &[("name", Text), ("relationship", OptionalText)],
    ),
    (
        "representative",
        "customer_id",
        &[
            ("name", Text),
            ("organisation", Cleared),
            ("relationship", OptionalText),
            ("contact_details", Cleared),
        ],
    ),
    (
        "reasonable_adjustment",
        "customer_id",
        &[("description", Text)],
    ),
    ("contact", "customer_id", &[("summary", Text)]),
    (
        "recording_request",
        "customer_id",
        &[("context", Text), ("refusal_reason", OptionalText)],
    ),
];

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    /// The run's id (in the `disposal` register and the audit events' request id).
    pub run_id: String,
    /// Cases anonymised.
    pub cases: u64,
    /// Customers anonymised.
    pub customers: u64,
    /// Audit events whose payload was erased.
    pub audit_events_redacted: u64,
}

/// The principal retention's audit events are recorded under.
fn retention_context(run_id: &str) -> RequestContext {
    RequestContext {
        client_address: None,
        principal: Principal {
            subject: "system:retention".into(),
            name: Some("Retention schedule".into()),
            roles: BTreeSet::new(),
            services: BTreeSet::new(),
            services_from_directory: false,
        }
        .into(),
        request_id: run_id.to_string(),
    }
}

/// Anonymise the rows of `tables` linked to `id`; returns rows changed per table.
async fn anonymise<C: ConnectionTrait>(
    txn: &C,
    tables: &[TableRule],
    id: i64,
) -> anyhow::Result<BTreeMap<String, u64>> {
    let mut changed = BTreeMap::new();
    for (table, key, columns) in tables {
        let mut rows = 0;
        for (column, kind) in columns.iter() {
            let value: SimpleExpr = match kind {
                Text | OptionalText => Expr::value(REMOVED),
                Cleared => Expr::value(Value::String(None)),
            };
            let mut update = Query::update();
            update
                .table(Alias::new(*table))
                .value(Alias::new(*column), value)
                .and_where(Expr::col(Alias::new(*key)).eq(id));
            if !matches!(kind, Text) {
                update.and_where(Expr::col(Alias::new(*column)).is_not_null());
            }
            rows = Ord::max(rows, txn.execute(&update).await?.rows_affected());
        }
        if rows > 0 {
            *changed.entry((*table).to_string()).or_default() += rows;
        }
    }
    Ok(changed)
}

/// Erase the payload of audit events matching `condition`, the one change the chain allows.
async fn redact<C: ConnectionTrait>(txn: &C, condition: sea_orm::Condition) -> anyhow::Result<u64> {
    let result = audit_event::Entity::update_many()
        .col_expr(audit_event::Column::Before, Expr::value(Value::Json(None)))
        .col_expr(audit_event::Column::After, Expr::value(Value::Json(None)))
        .col_expr(
            audit_event::Column::Reason,
            Expr::value(Value::String(None)),
        )
        .col_expr(audit_event::Column::RedactedAt, Expr::value(Utc::now()))
        .filter(audit_event::Column::RedactedAt.is_null())
        .filter(condition)
        .exec(txn)
        .await?;
    Ok(result.rows_affected)
}

/// Apply `plan` (from [`super::plan`]). Each case, with its customer when it is their last, is
/// one transaction: anonymised rows, erased audit payloads, the register row and the audit
/// event commit together or not at all.
pub async fn apply(
    db: &DatabaseConnection,
    schedule: &Schedule,
    plan: &[Disposal],
) -> anyhow::Result<RunSummary> {
    let run_id = format!("retention-{}", uuid::Uuid::new_v4());
    let context = retention_context(&run_id);
    let mut summary = RunSummary {
        run_id: run_id.clone(),
        ..RunSummary::default()
    };
    for item in plan {
        let txn = db.begin().await?;
        let now = Utc::now();
        let tables = anonymise(&txn, CASE_TABLES, item.case_id).await?;
        let redacted = redact(
            &txn,
            sea_orm::Condition::all().add(audit_event::Column::CaseId.eq(item.case_id)),
        )
        .await?;
        register(&txn, item, DisposalEntity::Case, item.rule, &run_id, now).await?;
        audit::record(
            &txn,
            &context,
            Change {
                action: "retention.anonymise_case",
                entity_type: "upc_case",
                entity_id: item.case_id.to_string(),
                case_id: Some(item.case_id),
                before: None,
                after: Some(json!({
                    "case_reference": item.case_reference,
                    "rule": item.rule.as_str(),
                    "basis_on": item.basis_on,
                    "due_on": item.due_on,
                    "rows_anonymised": tables,
                    "audit_events_redacted": redacted,
                })),
                reason: Some(item.why(schedule)),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("recording the disposal: {}", e.message()))?;
        summary.cases += 1;
        summary.audit_events_redacted += redacted;

        if item.customer_too {
            let tables = anonymise(&txn, CUSTOMER_TABLES, item.customer_id).await?;
            let contact_ids: Vec<i64> = contact::Entity::find()
                .select_only()
                .column(contact::Column::Id)
                .filter(contact::Column::CustomerId.eq(item.customer_id))
                .into_tuple()
                .all(&txn)
                .await?;
            let mut condition = sea_orm::Condition::any().add(
                sea_orm::Condition::all()
                    .add(audit_event::Column::EntityType.eq("customer"))
                    .add(audit_event::Column::EntityId.eq(item.customer_id.to_string())),
            );
            for chunk in contact_ids.chunks(1_000) {
                condition = condition.add(
                    sea_orm::Condition::all()
                        .add(audit_event::Column::EntityType.eq("contact"))
                        .add(
                            audit_event::Column::EntityId
                                .is_in(chunk.iter().map(|id| id.to_string())),
                        ),
                );
            }
            let redacted = redact(&txn, condition).await?;
            register(
                &txn,
                item,
                DisposalEntity::Customer,
                DisposalRule::AllCasesDisposed,
                &run_id,
                now,
            )
            .await?;
            audit::record(
                &txn,
                &context,
                Change {
                    action: "retention.anonymise_customer",
                    entity_type: "customer",
                    entity_id: item.customer_id.to_string(),
                    case_id: None,
                    before: None,
                    after: Some(json!({
                        "customer_reference": item.customer_reference,
                        "rule": DisposalRule::AllCasesDisposed.as_str(),
                        "last_case_reference": item.case_reference,
                        "rows_anonymised": tables,
                        "audit_events_redacted": redacted,
                    })),
                    reason: Some(format!(
                        "every case of the customer has been anonymised (the last: {})",
                        item.case_reference
                    )),
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("recording the disposal: {}", e.message()))?;
            summary.customers += 1;
            summary.audit_events_redacted += redacted;
        }
        txn.commit().await?;
    }
    Ok(summary)
}

/// Add a row to the `disposal` register.
async fn register<C: ConnectionTrait>(
    txn: &C,
    item: &Disposal,
    entity: DisposalEntity,
    rule: DisposalRule,
    run_id: &str,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    let (entity_id, reference) = match entity {
        DisposalEntity::Case => (item.case_id, item.case_reference.clone()),
        DisposalEntity::Customer => (item.customer_id, item.customer_reference.clone()),
    };
    disposal::ActiveModel {
        disposed_at: Set(now),
        entity_type: Set(entity),
        entity_id: Set(entity_id),
        reference: Set(reference),
        rule: Set(rule),
        basis_on: Set(item.basis_on),
        due_on: Set(item.due_on),
        run_id: Set(run_id.to_string()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}
