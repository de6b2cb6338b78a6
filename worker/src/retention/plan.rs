//! Which cases and customers the schedule makes due, and why (the dry run's list).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Months, NaiveDate, Utc};
use chrono_tz::Europe::London;
use entities::enums::{CaseStatus, DisposalEntity, DisposalRule};
use entities::{customer, disposal, exclusion, restriction, upc_case};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;

use super::Schedule;

/// One case due for anonymisation, and its customer when this is their last case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Disposal {
    /// The case.
    pub case_id: i64,
    /// Its reference (kept).
    pub case_reference: String,
    /// The customer.
    pub customer_id: i64,
    /// The customer's reference (kept).
    pub customer_reference: String,
    /// The rule that makes the case due.
    pub rule: DisposalRule,
    /// The date the rule counts from.
    pub basis_on: NaiveDate,
    /// The date the case fell due.
    pub due_on: NaiveDate,
    /// Whether the customer is anonymised too: every other case of theirs is already anonymised
    /// or due in the same run.
    pub customer_too: bool,
}

impl Disposal {
    /// Why it is due, in plain English.
    pub fn why(&self, schedule: &Schedule) -> String {
        let case = match self.rule {
            DisposalRule::RestrictionsEnded => format!(
                "closed, and its last restriction or exclusion ended; {} year(s) after {} it fell due on {}",
                schedule.years_after_restriction, self.basis_on, self.due_on
            ),
            _ => format!(
                "closed on {} without any restriction or exclusion; {} year(s) later it fell due on {}",
                self.basis_on, schedule.years_after_closure, self.due_on
            ),
        };
        if self.customer_too {
            format!("{case}; the customer's last case, so the customer is anonymised too")
        } else {
            case
        }
    }
}

/// A case as the plan reads it: id, reference, customer, status, when closed.
type CaseRow = (i64, String, i64, CaseStatus, Option<DateTime<Utc>>);

/// The local (Europe/London) date of an instant.
fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&London).date_naive()
}

/// The end of a restriction or exclusion, or `None` while it is still in force on `today`.
fn ended_on(
    lifted_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<NaiveDate> {
    match (lifted_on, ends_on) {
        (Some(lifted), _) => Some(lifted),
        (None, Some(end)) if end <= today => Some(end),
        _ => None,
    }
}

/// The dates restrictions and exclusions of each case ended; a case with one still in force
/// maps to `None`.
fn restriction_ends(
    restrictions: Vec<(i64, Option<NaiveDate>, Option<NaiveDate>)>,
    exclusions: Vec<(i64, Option<NaiveDate>, Option<NaiveDate>)>,
    today: NaiveDate,
) -> HashMap<i64, Option<NaiveDate>> {
    let mut ends: HashMap<i64, Option<NaiveDate>> = HashMap::new();
    for (case_id, lifted_on, ends_on) in restrictions.into_iter().chain(exclusions) {
        let end = ended_on(lifted_on, ends_on, today);
        ends.entry(case_id)
            .and_modify(|latest| {
                *latest = match (*latest, end) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                }
            })
            .or_insert(end);
    }
    ends
}

fn add_years(date: NaiveDate, years: u32) -> NaiveDate {
    date.checked_add_months(Months::new(years.saturating_mul(12)))
        .unwrap_or(NaiveDate::MAX)
}

/// Every case (and customer) the schedule makes due on `today`, by case reference.
pub async fn plan(
    db: &DatabaseConnection,
    schedule: &Schedule,
    today: NaiveDate,
) -> anyhow::Result<Vec<Disposal>> {
    let disposed: Vec<(DisposalEntity, i64)> = disposal::Entity::find()
        .select_only()
        .column(disposal::Column::EntityType)
        .column(disposal::Column::EntityId)
        .into_tuple()
        .all(db)
        .await?;
    let disposed_cases: BTreeSet<i64> = disposed
        .iter()
        .filter(|(kind, _)| *kind == DisposalEntity::Case)
        .map(|(_, id)| *id)
        .collect();
    let disposed_customers: BTreeSet<i64> = disposed
        .iter()
        .filter(|(kind, _)| *kind == DisposalEntity::Customer)
        .map(|(_, id)| *id)
        .collect();

    let cases: Vec<CaseRow> = upc_case::Entity::find()
        .select_only()
        .column(upc_case::Column::Id)
        .column(upc_case::Column::Reference)
        .column(upc_case::Column::CustomerId)
        .column(upc_case::Column::Status)
        .column(upc_case::Column::ClosedAt)
        .into_tuple()
        .all(db)
        .await?;
    let restrictions: Vec<(i64, Option<NaiveDate>, Option<NaiveDate>)> =
        restriction::Entity::find()
            .select_only()
            .column(restriction::Column::CaseId)
            .column(restriction::Column::LiftedOn)
            .column(restriction::Column::EndsOn)
            .into_tuple()
            .all(db)
            .await?;
    let exclusions: Vec<(i64, Option<NaiveDate>, Option<NaiveDate>)> = exclusion::Entity::find()
        .select_only()
        .column(exclusion::Column::CaseId)
        .column(exclusion::Column::LiftedOn)
        .column(exclusion::Column::EndsOn)
        .into_tuple()
        .all(db)
        .await?;
    let ends = restriction_ends(restrictions, exclusions, today);

    // Each customer's cases not yet anonymised, to know whether this run takes their last.
    let mut remaining: HashMap<i64, usize> = HashMap::new();
    for (id, _, customer_id, _, _) in &cases {
        if !disposed_cases.contains(id) {
            *remaining.entry(*customer_id).or_default() += 1;
        }
    }

    let mut due: BTreeMap<String, Disposal> = BTreeMap::new();
    for (id, reference, customer_id, status, closed_at) in cases {
        if disposed_cases.contains(&id) || status != CaseStatus::Closed {
            continue;
        }
        let Some(closed_on) = closed_at.map(local_date) else {
            continue;
        };
        let (rule, basis_on, years) = match ends.get(&id) {
            // A restriction or exclusion is still in force.
            Some(None) => continue,
            Some(Some(last_end)) => (
                DisposalRule::RestrictionsEnded,
                (*last_end).max(closed_on),
                schedule.years_after_restriction,
            ),
            None => (
                DisposalRule::ClosedWithoutRestriction,
                closed_on,
                schedule.years_after_closure,
            ),
        };
        let due_on = add_years(basis_on, years);
        if due_on > today {
            continue;
        }
        due.insert(
            reference.clone(),
            Disposal {
                case_id: id,
                case_reference: reference,
                customer_id,
                customer_reference: String::new(),
                rule,
                basis_on,
                due_on,
                customer_too: false,
            },
        );
    }

    // A customer goes with the last of their cases (in reference order) when all are due.
    let mut due_per_customer: HashMap<i64, usize> = HashMap::new();
    for d in due.values() {
        *due_per_customer.entry(d.customer_id).or_default() += 1;
    }
    let customer_ids: Vec<i64> = due_per_customer.keys().copied().collect();
    let mut references: HashMap<i64, String> = HashMap::new();
    for chunk in customer_ids.chunks(5_000) {
        let rows: Vec<(i64, String)> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .column(customer::Column::Reference)
            .filter(customer::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        references.extend(rows);
    }
    let mut seen: HashMap<i64, usize> = HashMap::new();
    for d in due.values_mut() {
        d.customer_reference = references.get(&d.customer_id).cloned().unwrap_or_default();
        let n = seen.entry(d.customer_id).or_default();
        *n += 1;
        let all_due = remaining.get(&d.customer_id) == due_per_customer.get(&d.customer_id);
        d.customer_too = all_due
            && *n == due_per_customer[&d.customer_id]
            && !disposed_customers.contains(&d.customer_id);
    }
    Ok(due.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn a_restriction_ends_when_lifted_or_past_its_end_date() {
        let today = day("2026-01-01");
        assert_eq!(
            ended_on(Some(day("2020-01-01")), None, today),
            Some(day("2020-01-01"))
        );
        assert_eq!(
            ended_on(None, Some(day("2025-12-31")), today),
            Some(day("2025-12-31"))
        );
        assert_eq!(ended_on(None, Some(day("2026-06-01")), today), None);
        assert_eq!(
            ended_on(None, None, today),
            None,
            "open-ended: still in force"
        );
    }

    #[test]
    fn one_restriction_in_force_keeps_the_case() {
        let today = day("2026-01-01");
        let ends = restriction_ends(
            vec![
                (1, Some(day("2018-01-01")), None),
                (1, None, None),
                (2, Some(day("2018-01-01")), None),
            ],
            vec![(2, None, Some(day("2019-05-01")))],
            today,
        );
        assert_eq!(ends[&1], None);
        assert_eq!(ends[&2], Some(day("2019-05-01")));
    }

    #[test]
    fn years_are_whole_calendar_years() {
        assert_eq!(add_years(day("2020-02-29"), 1), day("2021-02-28"));
        assert_eq!(add_years(day("2019-05-01"), 6), day("2025-05-01"));
    }
}
