//! Turning restriction inputs into typed, checked parameters (5.3): the shape is checked by the
//! entity's own rules, and every establishment, officer and team named must exist.

use chrono::NaiveDate;
use entities::enums::ContactChannel;
use entities::restriction_parameters::{
    ClockTime, ContactAgreement, ContactForm, EstablishmentExclusion, NamedContact,
    RestrictionParameters, TelephoneTimes, Termination, TimeLimits, Weekday,
};
use entities::{establishment, staff_member, staff_team};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter};

use super::inputs::{RestrictionInput, RestrictionParametersInput};
use super::{optional, parse_enum, required};
use crate::error::{ApiError, ApiResult};
use crate::graphql::ids::parse_id;

/// A checked restriction: parameters and dates.
pub struct CheckedRestriction {
    /// The typed parameters.
    pub parameters: RestrictionParameters,
    /// First day in force.
    pub starts_on: NaiveDate,
    /// Last day in force.
    pub ends_on: Option<NaiveDate>,
}

/// Check one restriction input; `field` prefixes error field names, e.g. `restrictions[0]`.
pub async fn check_restriction(
    txn: &DatabaseTransaction,
    field: &str,
    input: &RestrictionInput,
    earliest: NaiveDate,
    service_id: i64,
) -> ApiResult<CheckedRestriction> {
    let parameters = check_parameters(
        txn,
        &format!("{field}.parameters"),
        &input.parameters,
        service_id,
    )
    .await?;
    let starts_on = input.starts_on.unwrap_or(earliest);
    if starts_on < earliest {
        return Err(ApiError::bad_input(
            &format!("{field}.startsOn"),
            format!("a restriction cannot start ({starts_on}) before the decision ({earliest})"),
        ));
    }
    if let Some(ends_on) = input.ends_on
        && ends_on < starts_on
    {
        return Err(ApiError::bad_input(
            &format!("{field}.endsOn"),
            format!("a restriction cannot end ({ends_on}) before it starts ({starts_on})"),
        ));
    }
    Ok(CheckedRestriction {
        parameters,
        starts_on,
        ends_on: input.ends_on,
    })
}

/// Check restriction parameters: shape, values, that named records exist, and that an excluded
/// establishment is not another service's (5.4: a restriction is the case's service's alone).
pub async fn check_parameters(
    txn: &DatabaseTransaction,
    field: &str,
    input: &RestrictionParametersInput,
    service_id: i64,
) -> ApiResult<RestrictionParameters> {
    let parameters = match input {
        RestrictionParametersInput::TimeLimits(t) => {
            RestrictionParameters::TimeLimits(TimeLimits {
                max_contacts: t.max_contacts,
                per_days: t.per_days,
                max_minutes_per_contact: t.max_minutes_per_contact,
            })
        }
        RestrictionParametersInput::NamedContact(n) => {
            let staff_member_id = match &n.staff_member_id {
                None => None,
                Some(id) => {
                    let id = parse_id(&format!("{field}.staffMemberId"), id)?;
                    if staff_member::Entity::find_by_id(id).count(txn).await? == 0 {
                        return Err(ApiError::bad_input(
                            &format!("{field}.staffMemberId"),
                            format!("no staff member {id}"),
                        ));
                    }
                    Some(id)
                }
            };
            let team_id = match &n.team_id {
                None => None,
                Some(id) => {
                    let id = parse_id(&format!("{field}.teamId"), id)?;
                    if staff_team::Entity::find_by_id(id).count(txn).await? == 0 {
                        return Err(ApiError::bad_input(
                            &format!("{field}.teamId"),
                            format!("no team {id}"),
                        ));
                    }
                    Some(id)
                }
            };
            RestrictionParameters::NamedContact(NamedContact {
                staff_member_id,
                team_id,
                officer_name: optional(&format!("{field}.officerName"), n.officer_name.as_deref())?,
                time: optional(&format!("{field}.time"), n.time.as_deref())?,
                place: optional(&format!("{field}.place"), n.place.as_deref())?,
            })
        }
        RestrictionParametersInput::TelephoneTimes(t) => {
            let mut days = Vec::new();
            for day in &t.days {
                days.push(
                    serde_json::from_value::<Weekday>(serde_json::Value::String(day.clone()))
                        .map_err(|_| {
                            ApiError::bad_input(
                                &format!("{field}.days"),
                                format!("`{day}` is not a day: monday … sunday"),
                            )
                        })?,
                );
            }
            let time = |name: &str, value: &str| {
                value.parse::<ClockTime>().map_err(|_| {
                    ApiError::bad_input(
                        &format!("{field}.{name}"),
                        format!("`{value}` is not a time of day as HH:MM"),
                    )
                })
            };
            RestrictionParameters::TelephoneTimes(TelephoneTimes {
                days,
                from: time("from", &t.from)?,
                to: time("to", &t.to)?,
            })
        }
        RestrictionParametersInput::EstablishmentExclusion(e) => {
            let mut ids = Vec::new();
            for id in &e.establishment_ids {
                ids.push(parse_id(&format!("{field}.establishmentIds"), id)?);
            }
            let found = establishment::Entity::find()
                .filter(establishment::Column::Id.is_in(ids.clone()))
                .all(txn)
                .await?;
            if let Some(missing) = ids.iter().find(|id| !found.iter().any(|f| f.id == **id)) {
                return Err(ApiError::bad_input(
                    &format!("{field}.establishmentIds"),
                    format!("no establishment {missing}"),
                ));
            }
            if let Some(other) = found
                .iter()
                .find(|e| e.service_id.is_some_and(|s| s != service_id))
            {
                return Err(ApiError::bad_input(
                    &format!("{field}.establishmentIds"),
                    format!(
                        "{} is run by another service: a restriction applies to the case's service only (5.4)",
                        other.name
                    ),
                ));
            }
            RestrictionParameters::EstablishmentExclusion(EstablishmentExclusion {
                establishment_ids: ids,
            })
        }
        RestrictionParametersInput::ContactForm(c) => {
            let mut channels = Vec::new();
            for channel in &c.permitted_channels {
                channels.push(parse_enum(
                    &format!("{field}.permittedChannels"),
                    channel,
                    ContactChannel::ALL,
                )?);
            }
            RestrictionParameters::ContactForm(ContactForm {
                permitted_channels: channels,
            })
        }
        RestrictionParametersInput::ContactAgreement(a) => {
            RestrictionParameters::ContactAgreement(ContactAgreement {
                terms: required(&format!("{field}.terms"), &a.terms)?,
                signed_on: a.signed_on,
            })
        }
        RestrictionParametersInput::Termination(t) => {
            RestrictionParameters::Termination(Termination {
                permanent_exclusion_from_premises: t.permanent_exclusion_from_premises,
            })
        }
    };
    parameters
        .validate()
        .map_err(|e| ApiError::bad_input(field, e.to_string()))?;
    Ok(parameters)
}
