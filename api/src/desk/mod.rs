//! At the point of contact (policy 5.2 to 5.6): the contact check an officer runs at the desk or
//! on the phone, and what logging a contact does — screening repeat correspondence, recording
//! breaches. Only the restrictions of the service asked about are ever considered (5.4).

pub mod check;

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entities::enums::{ContactDirection, RestrictionStatus};
use entities::restriction_parameters::RestrictionParameters;
use entities::{contact, exclusion, exclusion_establishment, restriction, upc_case};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use check::{PremisesExclusion, Proposed, Verdict};

/// The restrictions, exclusions and recent contacts that decide a contact check for
/// `customer_id` in `service_id`, read in three to five statements.
pub async fn contact_check<C: ConnectionTrait>(
    db: &C,
    service_id: i64,
    customer_id: i64,
    proposed: &Proposed,
) -> Result<Verdict, DbErr> {
    let cases = upc_case::Entity::find()
        .select_only()
        .column(upc_case::Column::Id)
        .filter(upc_case::Column::CustomerId.eq(customer_id))
        .filter(upc_case::Column::ServiceId.eq(service_id));
    let case_ids: Vec<i64> = cases.into_tuple().all(db).await?;
    if case_ids.is_empty() {
        return Ok(Verdict {
            allowed: true,
            findings: Vec::new(),
        });
    }
    // Restrictions of this service only (5.4); lifted ones matter for a check in the past.
    let restrictions = restriction::Entity::find()
        .filter(restriction::Column::CaseId.is_in(case_ids.clone()))
        .filter(restriction::Column::ServiceId.eq(service_id))
        .filter(restriction::Column::Status.ne(RestrictionStatus::Expired))
        .order_by_asc(restriction::Column::Id)
        .all(db)
        .await?;
    let exclusions = exclusion::Entity::find()
        .filter(exclusion::Column::CaseId.is_in(case_ids))
        .order_by_asc(exclusion::Column::Id)
        .all(db)
        .await?;
    let mut premises: HashMap<i64, Vec<i64>> = HashMap::new();
    if !exclusions.is_empty() {
        for row in exclusion_establishment::Entity::find()
            .filter(
                exclusion_establishment::Column::ExclusionId
                    .is_in(exclusions.iter().map(|e| e.id).collect::<Vec<_>>()),
            )
            .all(db)
            .await?
        {
            premises
                .entry(row.exclusion_id)
                .or_default()
                .push(row.establishment_id);
        }
    }
    let exclusions: Vec<PremisesExclusion> = exclusions
        .into_iter()
        .map(|e| PremisesExclusion {
            establishment_ids: premises.remove(&e.id).unwrap_or_default(),
            exclusion: e,
        })
        .collect();
    let longest_window = restrictions
        .iter()
        .filter_map(|r| match &r.parameters {
            RestrictionParameters::TimeLimits(t) => Some(t.per_days),
            _ => None,
        })
        .max();
    let inbound: Vec<DateTime<Utc>> = match longest_window {
        None => Vec::new(),
        Some(days) => {
            contact::Entity::find()
                .select_only()
                .column(contact::Column::OccurredAt)
                .filter(contact::Column::CustomerId.eq(customer_id))
                .filter(contact::Column::ServiceId.eq(service_id))
                .filter(contact::Column::Direction.eq(ContactDirection::Inbound))
                .filter(
                    contact::Column::OccurredAt.gt(proposed.at - Duration::days(i64::from(days))),
                )
                .filter(contact::Column::OccurredAt.lte(proposed.at))
                .into_tuple()
                .all(db)
                .await?
        }
    };
    let names = names_for(db, &restrictions, &exclusions).await?;
    Ok(check::evaluate(
        proposed,
        &restrictions,
        &exclusions,
        &inbound,
        &names,
    ))
}

/// Only the names the restrictions and exclusions refer to (not the whole directory).
async fn names_for<C: ConnectionTrait>(
    db: &C,
    restrictions: &[restriction::Model],
    exclusions: &[PremisesExclusion],
) -> Result<crate::letters::Names, DbErr> {
    use entities::{establishment, staff_member, staff_team};
    let mut establishments: Vec<i64> = exclusions
        .iter()
        .flat_map(|x| x.establishment_ids.iter().copied())
        .collect();
    let mut staff = Vec::new();
    let mut teams = Vec::new();
    for r in restrictions {
        match &r.parameters {
            RestrictionParameters::EstablishmentExclusion(e) => {
                establishments.extend(e.establishment_ids.iter().copied());
            }
            RestrictionParameters::NamedContact(n) => {
                staff.extend(n.staff_member_id);
                teams.extend(n.team_id);
            }
            _ => {}
        }
    }
    let mut names = crate::letters::Names::default();
    if !establishments.is_empty() {
        names.establishments = establishment::Entity::find()
            .filter(establishment::Column::Id.is_in(establishments))
            .all(db)
            .await?
            .into_iter()
            .map(|e| (e.id, e.name))
            .collect();
    }
    if !staff.is_empty() {
        names.staff = staff_member::Entity::find()
            .filter(staff_member::Column::Id.is_in(staff))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s.display_name))
            .collect();
    }
    if !teams.is_empty() {
        names.teams = staff_team::Entity::find()
            .filter(staff_team::Column::Id.is_in(teams))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
    }
    Ok(names)
}
