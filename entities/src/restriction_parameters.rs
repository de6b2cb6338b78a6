//! The details of a restriction (policy 5.3), stored as JSON in `restriction.parameters`.
//!
//! Each of the seven kinds of restriction has its own shape. The JSON is tagged with the kind,
//! so a stored value says what it is: `{"kind": "telephone_times", "days": ["tuesday"],
//! "from": "10:00", "to": "12:00"}`.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use sea_orm::FromJsonQueryResult;
use serde::{Deserialize, Serialize};

use crate::enums::{ContactChannel, RestrictionKind};

/// The details of one restriction, shaped by its kind (5.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RestrictionParameters {
    /// Contact within manageable and reasonable time limits.
    TimeLimits(TimeLimits),
    /// Contact only with a specified officer or team, or at a particular time or place.
    NamedContact(NamedContact),
    /// Telephone contact only on specific days and times.
    TelephoneTimes(TelephoneTimes),
    /// Exclusion from one or more council establishments.
    EstablishmentExclusion(EstablishmentExclusion),
    /// Contact in a particular form only, e.g. by letter only.
    ContactForm(ContactForm),
    /// An agreement the customer must enter into about further contact.
    ContactAgreement(ContactAgreement),
    /// Complete termination of contact, or permanent exclusion from council premises.
    Termination(Termination),
}

/// Contact within set time limits: at most `max_contacts` contacts in any `per_days` days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeLimits {
    /// Most contacts allowed in the period; at least 1 (none at all is a termination).
    pub max_contacts: u32,
    /// Length of the period in days, 1 to 366.
    pub per_days: u32,
    /// Longest a single call or meeting may last, in minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_minutes_per_contact: Option<u32>,
}

/// Contact only with a named officer or team, or at a set time or place. At least one of the
/// fields must be given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedContact {
    /// The named officer, when they are on the system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_member_id: Option<i64>,
    /// The named team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<i64>,
    /// The named officer as written in the letter, e.g. `the Customer Services Manager`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub officer_name: Option<String>,
    /// The set time, as the letter puts it, e.g. `Tuesdays, 10am to 12 noon`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The set place, as the letter puts it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
}

/// Telephone contact only on the given days, between `from` and `to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelephoneTimes {
    /// Days on which the customer may telephone; at least one, none repeated.
    pub days: Vec<Weekday>,
    /// Earliest time of day, `HH:MM`.
    pub from: ClockTime,
    /// Latest time of day, `HH:MM`; after `from`.
    pub to: ClockTime,
}

/// Exclusion from the named establishments (for that service, 5.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstablishmentExclusion {
    /// Ids of the establishments; at least one, none repeated.
    pub establishment_ids: Vec<i64>,
}

/// Contact by the permitted channels only, e.g. letter only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactForm {
    /// The channels the customer may still use; at least one, none repeated.
    pub permitted_channels: Vec<ContactChannel>,
}

/// An agreement about further contact that the customer must enter into.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactAgreement {
    /// The terms of the agreement; not blank.
    pub terms: String,
    /// When the customer signed it, once they have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_on: Option<NaiveDate>,
}

/// Complete termination of contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Termination {
    /// Whether the customer is also permanently excluded from council premises.
    pub permanent_exclusion_from_premises: bool,
}

/// A day of the week, for telephone times.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl Weekday {
    /// Every day, Monday first.
    pub const ALL: &'static [Self] = &[
        Self::Monday,
        Self::Tuesday,
        Self::Wednesday,
        Self::Thursday,
        Self::Friday,
        Self::Saturday,
        Self::Sunday,
    ];
}

impl From<Weekday> for chrono::Weekday {
    fn from(day: Weekday) -> Self {
        match day {
            Weekday::Monday => Self::Mon,
            Weekday::Tuesday => Self::Tue,
            Weekday::Wednesday => Self::Wed,
            Weekday::Thursday => Self::Thu,
            Weekday::Friday => Self::Fri,
            Weekday::Saturday => Self::Sat,
            Weekday::Sunday => Self::Sun,
        }
    }
}

/// A time of day to the minute, written `HH:MM` (24-hour clock).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClockTime {
    /// Minutes since midnight, 0 to 1439.
    minutes: u16,
}

impl ClockTime {
    /// The time `hour:minute`, or `None` if either is out of range.
    pub const fn new(hour: u8, minute: u8) -> Option<Self> {
        if hour < 24 && minute < 60 {
            Some(Self {
                minutes: hour as u16 * 60 + minute as u16,
            })
        } else {
            None
        }
    }

    /// The hour, 0 to 23.
    pub const fn hour(self) -> u8 {
        (self.minutes / 60) as u8
    }

    /// The minute, 0 to 59.
    pub const fn minute(self) -> u8 {
        (self.minutes % 60) as u8
    }
}

impl From<ClockTime> for chrono::NaiveTime {
    fn from(time: ClockTime) -> Self {
        Self::MIN + chrono::Duration::minutes(i64::from(time.minutes))
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())
    }
}

/// A string that is not a time of day written `HH:MM`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a time of day written HH:MM")]
pub struct InvalidClockTime(pub String);

impl FromStr for ClockTime {
    type Err = InvalidClockTime;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidClockTime(text.to_owned());
        let (hour, minute) = text.split_once(':').ok_or_else(invalid)?;
        let two_digits = |part: &str| {
            if part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse::<u8>().ok()
            } else {
                None
            }
        };
        match (two_digits(hour), two_digits(minute)) {
            (Some(hour), Some(minute)) => Self::new(hour, minute).ok_or_else(invalid),
            _ => Err(invalid()),
        }
    }
}

impl TryFrom<String> for ClockTime {
    type Error = InvalidClockTime;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<ClockTime> for String {
    fn from(time: ClockTime) -> Self {
        time.to_string()
    }
}

/// Why a restriction's parameters do not make sense.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRestrictionParameters {
    /// Time limits allowing no contact at all; that is a termination.
    #[error("time limits must allow at least one contact; use a termination to stop contact")]
    NoContactsAllowed,
    /// A time-limit period outside 1 to 366 days.
    #[error("the time-limit period must be between 1 and 366 days, not {0}")]
    PeriodOutOfRange(u32),
    /// A zero-minute limit on each contact.
    #[error("the length limit on each contact must be at least one minute")]
    ZeroMinutesPerContact,
    /// A named-contact restriction naming no officer, team, time or place.
    #[error("a named-contact restriction must name an officer, a team, a time or a place")]
    NothingNamed,
    /// A text field that is present but blank.
    #[error("`{0}` must not be blank")]
    Blank(&'static str),
    /// Telephone times with no days.
    #[error("telephone times need at least one day")]
    NoDays,
    /// A day listed twice.
    #[error("{0:?} is listed more than once")]
    RepeatedDay(Weekday),
    /// A telephone window that does not end after it starts.
    #[error("telephone times must end after they start ({from} to {to})")]
    EmptyWindow {
        /// Start of the window.
        from: ClockTime,
        /// End of the window.
        to: ClockTime,
    },
    /// An exclusion naming no establishment.
    #[error("an establishment exclusion needs at least one establishment")]
    NoEstablishments,
    /// An establishment listed twice.
    #[error("establishment {0} is listed more than once")]
    RepeatedEstablishment(i64),
    /// A contact-form restriction permitting no channel; that is a termination.
    #[error(
        "a contact-form restriction must permit at least one channel; use a termination to stop contact"
    )]
    NoChannels,
    /// A channel listed twice.
    #[error("channel `{0}` is listed more than once")]
    RepeatedChannel(ContactChannel),
}

/// The first value that appears twice in `items`, if any.
fn first_repeat<T: Copy + PartialEq>(items: &[T]) -> Option<T> {
    items
        .iter()
        .enumerate()
        .find(|(i, item)| items[..*i].contains(item))
        .map(|(_, item)| *item)
}

/// `Err(Blank(field))` when `value` is present but only whitespace.
fn not_blank(field: &'static str, value: Option<&str>) -> Result<(), InvalidRestrictionParameters> {
    match value {
        Some(text) if text.trim().is_empty() => Err(InvalidRestrictionParameters::Blank(field)),
        _ => Ok(()),
    }
}

impl RestrictionParameters {
    /// Which of the seven kinds of restriction these parameters are for.
    pub const fn kind(&self) -> RestrictionKind {
        match self {
            Self::TimeLimits(_) => RestrictionKind::TimeLimits,
            Self::NamedContact(_) => RestrictionKind::NamedContact,
            Self::TelephoneTimes(_) => RestrictionKind::TelephoneTimes,
            Self::EstablishmentExclusion(_) => RestrictionKind::EstablishmentExclusion,
            Self::ContactForm(_) => RestrictionKind::ContactForm,
            Self::ContactAgreement(_) => RestrictionKind::ContactAgreement,
            Self::Termination(_) => RestrictionKind::Termination,
        }
    }

    /// Checks the parameters make sense on their own (it does not check that ids exist).
    pub fn validate(&self) -> Result<(), InvalidRestrictionParameters> {
        use InvalidRestrictionParameters as Invalid;
        match self {
            Self::TimeLimits(limits) => {
                if limits.max_contacts == 0 {
                    return Err(Invalid::NoContactsAllowed);
                }
                if !(1..=366).contains(&limits.per_days) {
                    return Err(Invalid::PeriodOutOfRange(limits.per_days));
                }
                if limits.max_minutes_per_contact == Some(0) {
                    return Err(Invalid::ZeroMinutesPerContact);
                }
                Ok(())
            }
            Self::NamedContact(named) => {
                not_blank("officer_name", named.officer_name.as_deref())?;
                not_blank("time", named.time.as_deref())?;
                not_blank("place", named.place.as_deref())?;
                if named.staff_member_id.is_none()
                    && named.team_id.is_none()
                    && named.officer_name.is_none()
                    && named.time.is_none()
                    && named.place.is_none()
                {
                    return Err(Invalid::NothingNamed);
                }
                Ok(())
            }
            Self::TelephoneTimes(times) => {
                if times.days.is_empty() {
                    return Err(Invalid::NoDays);
                }
                if let Some(day) = first_repeat(&times.days) {
                    return Err(Invalid::RepeatedDay(day));
                }
                if times.from >= times.to {
                    return Err(Invalid::EmptyWindow {
                        from: times.from,
                        to: times.to,
                    });
                }
                Ok(())
            }
            Self::EstablishmentExclusion(exclusion) => {
                if exclusion.establishment_ids.is_empty() {
                    return Err(Invalid::NoEstablishments);
                }
                match first_repeat(&exclusion.establishment_ids) {
                    Some(id) => Err(Invalid::RepeatedEstablishment(id)),
                    None => Ok(()),
                }
            }
            Self::ContactForm(form) => {
                if form.permitted_channels.is_empty() {
                    return Err(Invalid::NoChannels);
                }
                match first_repeat(&form.permitted_channels) {
                    Some(channel) => Err(Invalid::RepeatedChannel(channel)),
                    None => Ok(()),
                }
            }
            Self::ContactAgreement(agreement) => not_blank("terms", Some(&agreement.terms)),
            Self::Termination(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn time(text: &str) -> ClockTime {
        text.parse().expect("valid time")
    }

    fn one_of_each() -> Vec<RestrictionParameters> {
        vec![
            RestrictionParameters::TimeLimits(TimeLimits {
                max_contacts: 1,
                per_days: 14,
                max_minutes_per_contact: Some(20),
            }),
            RestrictionParameters::NamedContact(NamedContact {
                staff_member_id: Some(7),
                officer_name: Some("the Customer Services Manager".into()),
                ..NamedContact::default()
            }),
            RestrictionParameters::TelephoneTimes(TelephoneTimes {
                days: vec![Weekday::Tuesday, Weekday::Thursday],
                from: time("10:00"),
                to: time("12:00"),
            }),
            RestrictionParameters::EstablishmentExclusion(EstablishmentExclusion {
                establishment_ids: vec![3, 4],
            }),
            RestrictionParameters::ContactForm(ContactForm {
                permitted_channels: vec![ContactChannel::Letter],
            }),
            RestrictionParameters::ContactAgreement(ContactAgreement {
                terms: "One email a week to the named officer.".into(),
                signed_on: NaiveDate::from_ymd_opt(2026, 2, 3),
            }),
            RestrictionParameters::Termination(Termination {
                permanent_exclusion_from_premises: true,
            }),
        ]
    }

    #[test]
    fn every_kind_round_trips_through_json_and_is_valid() {
        let all = one_of_each();
        let kinds: Vec<RestrictionKind> = all.iter().map(RestrictionParameters::kind).collect();
        assert_eq!(kinds, RestrictionKind::ALL, "one example per kind of 5.3");
        for parameters in all {
            let stored = serde_json::to_value(&parameters).expect("serialises");
            assert_eq!(stored["kind"], parameters.kind().as_str());
            let read: RestrictionParameters = serde_json::from_value(stored).expect("reads back");
            assert_eq!(read, parameters);
            assert_eq!(read.validate(), Ok(()));
        }
    }

    #[test]
    fn json_shape_is_tagged_by_kind_with_hh_mm_times() {
        let parameters = RestrictionParameters::TelephoneTimes(TelephoneTimes {
            days: vec![Weekday::Monday],
            from: time("09:30"),
            to: time("11:00"),
        });
        assert_eq!(
            serde_json::to_value(&parameters).expect("serialises"),
            json!({"kind": "telephone_times", "days": ["monday"], "from": "09:30", "to": "11:00"})
        );
    }

    #[test]
    fn malformed_json_is_refused() {
        for bad in [
            json!({"kind": "curfew"}),
            json!({"kind": "telephone_times", "days": ["monday"], "from": "9:30", "to": "11:00"}),
            json!({"kind": "telephone_times", "days": ["monday"], "from": "24:00", "to": "11:00"}),
            json!({"kind": "time_limits", "max_contacts": -1, "per_days": 7}),
            json!({"days": ["monday"], "from": "09:30", "to": "11:00"}),
        ] {
            assert!(
                serde_json::from_value::<RestrictionParameters>(bad.clone()).is_err(),
                "{bad} should not parse"
            );
        }
    }

    #[test]
    fn telephone_window_must_end_after_it_starts_5_3() {
        let parameters = RestrictionParameters::TelephoneTimes(TelephoneTimes {
            days: vec![Weekday::Monday],
            from: time("12:00"),
            to: time("12:00"),
        });
        assert_eq!(
            parameters.validate(),
            Err(InvalidRestrictionParameters::EmptyWindow {
                from: time("12:00"),
                to: time("12:00"),
            })
        );
    }

    #[test]
    fn invalid_parameters_are_named() {
        use InvalidRestrictionParameters as Invalid;
        let cases = [
            (
                RestrictionParameters::TimeLimits(TimeLimits {
                    max_contacts: 0,
                    per_days: 7,
                    max_minutes_per_contact: None,
                }),
                Invalid::NoContactsAllowed,
            ),
            (
                RestrictionParameters::TimeLimits(TimeLimits {
                    max_contacts: 1,
                    per_days: 400,
                    max_minutes_per_contact: None,
                }),
                Invalid::PeriodOutOfRange(400),
            ),
            (
                RestrictionParameters::NamedContact(NamedContact::default()),
                Invalid::NothingNamed,
            ),
            (
                RestrictionParameters::NamedContact(NamedContact {
                    place: Some("  ".into()),
                    ..NamedContact::default()
                }),
                Invalid::Blank("place"),
            ),
            (
                RestrictionParameters::TelephoneTimes(TelephoneTimes {
                    days: vec![],
                    from: time("09:00"),
                    to: time("10:00"),
                }),
                Invalid::NoDays,
            ),
            (
                RestrictionParameters::TelephoneTimes(TelephoneTimes {
                    days: vec![Weekday::Friday, Weekday::Friday],
                    from: time("09:00"),
                    to: time("10:00"),
                }),
                Invalid::RepeatedDay(Weekday::Friday),
            ),
            (
                RestrictionParameters::EstablishmentExclusion(EstablishmentExclusion {
                    establishment_ids: vec![],
                }),
                Invalid::NoEstablishments,
            ),
            (
                RestrictionParameters::EstablishmentExclusion(EstablishmentExclusion {
                    establishment_ids: vec![1, 2, 1],
                }),
                Invalid::RepeatedEstablishment(1),
            ),
            (
                RestrictionParameters::ContactForm(ContactForm {
                    permitted_channels: vec![],
                }),
                Invalid::NoChannels,
            ),
            (
                RestrictionParameters::ContactForm(ContactForm {
                    permitted_channels: vec![ContactChannel::Email, ContactChannel::Email],
                }),
                Invalid::RepeatedChannel(ContactChannel::Email),
            ),
            (
                RestrictionParameters::ContactAgreement(ContactAgreement {
                    terms: " ".into(),
                    signed_on: None,
                }),
                Invalid::Blank("terms"),
            ),
        ];
        for (parameters, expected) in cases {
            assert_eq!(parameters.validate(), Err(expected));
        }
    }

    #[test]
    fn clock_time_parses_only_hh_mm() {
        assert_eq!(time("00:00"), ClockTime::new(0, 0).expect("midnight"));
        assert_eq!(time("23:59").to_string(), "23:59");
        assert_eq!(
            chrono::NaiveTime::from(time("13:05")),
            chrono::NaiveTime::from_hms_opt(13, 5, 0).expect("valid")
        );
        for bad in [
            "", "9:00", "09:0", "0900", "24:00", "12:60", "ab:cd", "+1:00",
        ] {
            assert!(
                bad.parse::<ClockTime>().is_err(),
                "{bad:?} should not parse"
            );
        }
    }
}
