//! Typed values, parsed once at the edge: inside the domain a reason is never blank, an id is
//! never a string and a choice is never a free word.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::error::{DomainError, DomainResult};

/// The longest free text the record accepts (a letter's reasons, a description).
pub const MAX_TEXT: usize = 20_000;

/// Free text that must be said: trimmed, not blank, at most [`MAX_TEXT`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    /// `value` trimmed, refused in `field` when blank or too long.
    pub fn parse(field: &str, value: &str) -> DomainResult<Text> {
        let v = value.trim();
        if v.is_empty() {
            return Err(DomainError::bad_input(
                field,
                format!("{field} must not be blank"),
            ));
        }
        if v.len() > MAX_TEXT {
            return Err(DomainError::bad_input(
                field,
                format!("{field} is longer than 20,000 characters"),
            ));
        }
        Ok(Text(v.to_string()))
    }

    /// Optional text: absent or blank is `None`; otherwise as [`Text::parse`].
    pub fn optional(field: &str, value: Option<&str>) -> DomainResult<Option<Text>> {
        match value.map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => Text::parse(field, v).map(Some),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.0
    }
}

/// A record's id: positive, and of one kind of record, so a restriction id can never be passed
/// where a case id is meant.
pub trait RecordId: Copy + Sized {
    /// The id from a stored row's key.
    fn from_key(key: i64) -> Self;
    /// The row key.
    fn get(self) -> i64;

    /// The id a client sent in `field` (an opaque string of digits), refused when it is not one
    /// of ours.
    fn parse(field: &str, sent: &str) -> DomainResult<Self> {
        sent.parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Self::from_key)
            .ok_or_else(|| DomainError::bad_input(field, format!("`{sent}` is not a valid id")))
    }
}

macro_rules! record_ids {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {
        $(
            $(#[$meta])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
            #[serde(transparent)]
            pub struct $name(i64);

            impl RecordId for $name {
                fn from_key(key: i64) -> Self {
                    $name(key)
                }
                fn get(self) -> i64 {
                    self.0
                }
            }

            impl fmt::Display for $name {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    write!(f, "{}", self.0)
                }
            }
        )*
    };
}

record_ids!(
    /// A case: one customer in one service (5.4).
    CaseId,
    /// A customer: a person, several people or a group (2.3).
    CustomerId,
    /// One of the people making up a customer that is several people or a group (2.3).
    CustomerMemberId,
    /// Someone acting for a customer.
    RepresentativeId,
    /// A report of behaviour (2.3).
    ReportId,
    /// A restriction (5.3).
    RestrictionId,
    /// A breach of a restriction or exclusion (5.6).
    BreachId,
    /// A threat to staff reported in writing (3.1).
    IncidentId,
    /// An exclusion from premises (3.2).
    ExclusionId,
    /// A telephone call ended after a warning (3.4).
    CallTerminationId,
    /// Abusive calls referred as harassment (3.5).
    HarassmentReferralId,
    /// A council establishment (premises).
    EstablishmentId,
    /// A member of staff in the directory.
    StaffMemberId,
    /// A team of staff.
    TeamId,
    /// A contact between a customer and the council.
    ContactId,
    /// A letter to the customer.
    LetterId,
    /// A council service.
    ServiceId,
    /// A council closure day.
    ClosureDayId,
    /// An alert to a service team (5.5).
    NotificationId,
    /// A request for the annual report (8.1).
    ReportJobId,
);

/// One of a closed list of words (`channel`, `kind`, …), refused in `field` with the list of
/// what it may be.
pub fn choice<T>(field: &str, value: &str, all: &[T]) -> DomainResult<T>
where
    T: FromStr + Copy + fmt::Display,
{
    value.parse::<T>().map_err(|_| {
        let values: Vec<String> = all.iter().map(|v| v.to_string()).collect();
        DomainError::bad_input(
            field,
            format!("`{value}` is not one of: {}", values.join(", ")),
        )
    })
}

/// A day that has already come: refused in `field` when after `today`.
pub fn not_future(field: &str, date: NaiveDate, today: NaiveDate) -> DomainResult<NaiveDate> {
    if date > today {
        return Err(DomainError::bad_input(
            field,
            format!("{field} ({date}) is in the future"),
        ));
    }
    Ok(date)
}

/// A moment that has already come, allowing five minutes for clocks that disagree.
pub fn not_future_time(
    field: &str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DomainResult<DateTime<Utc>> {
    if at > now + Duration::minutes(5) {
        return Err(DomainError::bad_input(
            field,
            format!("{field} is in the future"),
        ));
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_never_blank() {
        assert_eq!(Text::parse("reasons", "  why  ").unwrap().as_str(), "why");
        let blank = Text::parse("reasons", "   ").unwrap_err();
        assert_eq!(
            blank,
            DomainError::bad_input("reasons", "reasons must not be blank")
        );
        assert_eq!(Text::optional("notes", Some("  ")).unwrap(), None);
        assert!(Text::parse("x", &"a".repeat(MAX_TEXT + 1)).is_err());
    }

    #[test]
    fn ids_are_positive_numbers_of_one_kind() {
        assert_eq!(CaseId::parse("caseId", "42").unwrap().get(), 42);
        for bad in ["0", "-3", "abc", ""] {
            assert!(CaseId::parse("caseId", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_choice_lists_what_it_may_be() {
        use entities::enums::ReportChannel;
        let err = choice("channel", "pigeon", ReportChannel::ALL).unwrap_err();
        assert!(err.message().contains("telephone"), "{err:?}");
        assert_eq!(
            choice("channel", "email", ReportChannel::ALL).unwrap(),
            ReportChannel::Email
        );
    }
}
