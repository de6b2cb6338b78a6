//! Restriction inputs parsed into the seven kinds of 5.3: typed values whose shape the entity's
//! own rules check. Whether the establishments, officers and teams they name exist, and belong
//! to the case's service (5.4), is the domain's to decide with the directory's facts.

use entities::enums::ContactChannel;
use entities::restriction_parameters::{
    ClockTime, ContactAgreement, ContactForm, EstablishmentExclusion, NamedContact,
    RestrictionParameters, TelephoneTimes, Termination, TimeLimits, Weekday,
};

use super::inputs::{RestrictionInput, RestrictionParametersInput};
use crate::domain::restrictions::RestrictionTerms;
use crate::domain::values::{EstablishmentId, RecordId, StaffMemberId, TeamId, Text, choice};
use crate::error::{ApiError, ApiResult};
use crate::graphql::ids::parse_id;

/// One restriction as given in `field` (e.g. `restrictions[0]`).
pub fn terms(field: &str, input: &RestrictionInput) -> ApiResult<RestrictionTerms> {
    Ok(RestrictionTerms {
        field: field.to_string(),
        parameters: parameters(&format!("{field}.parameters"), &input.parameters)?,
        starts_on: input.starts_on,
        ends_on: input.ends_on,
    })
}

/// Restriction parameters as given in `field`, their shape checked.
pub fn parameters(
    field: &str,
    input: &RestrictionParametersInput,
) -> ApiResult<RestrictionParameters> {
    let optional = |name: &str, value: Option<&str>| {
        Text::optional(&format!("{field}.{name}"), value).map(|t| t.map(Text::into_string))
    };
    let parameters = match input {
        RestrictionParametersInput::TimeLimits(t) => {
            RestrictionParameters::TimeLimits(TimeLimits {
                max_contacts: t.max_contacts,
                per_days: t.per_days,
                max_minutes_per_contact: t.max_minutes_per_contact,
            })
        }
        RestrictionParametersInput::NamedContact(n) => {
            let staff_member_id = n
                .staff_member_id
                .as_ref()
                .map(|id| parse_id::<StaffMemberId>(&format!("{field}.staffMemberId"), id))
                .transpose()?;
            let team_id = n
                .team_id
                .as_ref()
                .map(|id| parse_id::<TeamId>(&format!("{field}.teamId"), id))
                .transpose()?;
            RestrictionParameters::NamedContact(NamedContact {
                staff_member_id: staff_member_id.map(RecordId::get),
                team_id: team_id.map(RecordId::get),
                officer_name: optional("officerName", n.officer_name.as_deref())?,
                time: optional("time", n.time.as_deref())?,
                place: optional("place", n.place.as_deref())?,
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
                ids.push(
                    parse_id::<EstablishmentId>(&format!("{field}.establishmentIds"), id)?.get(),
                );
            }
            RestrictionParameters::EstablishmentExclusion(EstablishmentExclusion {
                establishment_ids: ids,
            })
        }
        RestrictionParametersInput::ContactForm(c) => {
            let mut channels = Vec::new();
            for channel in &c.permitted_channels {
                channels.push(choice(
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
                terms: Text::parse(&format!("{field}.terms"), &a.terms)?.into_string(),
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
