//! Why the policy refuses a command. Each refusal has a stable code the front end matches on;
//! [`crate::error::ApiError`] carries it to the client unchanged.
//!
//! Deliberately not `Display`: a refusal reaches a client only through `ApiError`, which adds
//! its code (async-graphql would turn any `Display` error into a GraphQL error without one).

/// A refusal by the policy, or input it cannot accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainError {
    /// The caller's roles or services do not allow this (5.4: decisions are service based).
    Forbidden(String),
    /// The input breaks a rule; names the input field (camelCase, as the API spells it).
    BadInput {
        /// The field at fault.
        field: String,
        /// What is wrong, in words an officer can act on.
        message: String,
    },
    /// No such record, or none the caller may see (the two are never told apart).
    NotFound(String),
    /// The record changed since the caller read it, or a clash with another record.
    Conflict(String),
    /// The step is not one the case can take in its current state.
    InvalidTransition {
        /// What was refused and why.
        message: String,
        /// The case's current state.
        current: String,
        /// The steps it can take now, named as their mutations.
        allowed: Vec<String>,
    },
    /// An appeal received after the 15-working-day window (6.1).
    AppealOutOfTime(String),
    /// An appeal the policy gives no right to (3.6).
    NoRightOfAppeal(String),
}

/// The result of a domain rule.
pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    /// Input that breaks a rule, in `field`.
    pub fn bad_input(field: &str, message: impl Into<String>) -> Self {
        DomainError::BadInput {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// A stale version: `what` `id` was changed by someone else since the caller read it.
    pub fn stale(what: &str, id: i64, sent: i64) -> Self {
        DomainError::Conflict(format!(
            "{what} {id} changed since you read it (you sent version {sent}); read it again and retry"
        ))
    }

    /// The message shown to the caller.
    pub fn message(&self) -> &str {
        match self {
            DomainError::Forbidden(m)
            | DomainError::NotFound(m)
            | DomainError::Conflict(m)
            | DomainError::AppealOutOfTime(m)
            | DomainError::NoRightOfAppeal(m) => m,
            DomainError::BadInput { message, .. }
            | DomainError::InvalidTransition { message, .. } => message,
        }
    }
}
