//! The one error type of the API. Every error a client can see carries a stable code in
//! `extensions.code`; internal failures are logged with a correlation id and reach the client as
//! `INTERNAL_SERVER_ERROR` with that id only, never SQL, table names or library messages.

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

/// Stable error codes, as the intranet front end matches on them.
pub mod code {
    /// No or invalid credentials.
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    /// Signed in, but not allowed to do or see this.
    pub const FORBIDDEN: &str = "FORBIDDEN";
    /// The input breaks a rule; `extensions.field` names the field when there is one.
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    /// No such record (or not visible to the caller).
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// The record changed since it was read (stale `version`), or a uniqueness clash.
    pub const CONFLICT: &str = "CONFLICT";
    /// The case is not in a state where this step is legal.
    pub const INVALID_TRANSITION: &str = "INVALID_TRANSITION";
    /// An appeal received after the 15-working-day window (policy 6.1).
    pub const APPEAL_OUT_OF_TIME: &str = "APPEAL_OUT_OF_TIME";
    /// An appeal the policy gives no right to, e.g. against a Health & Safety exclusion (3.6).
    pub const NO_RIGHT_OF_APPEAL: &str = "NO_RIGHT_OF_APPEAL";
    /// Too many requests: slow down and retry after the time given.
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    /// Something failed inside the server; the correlation id finds it in the logs.
    pub const INTERNAL_SERVER_ERROR: &str = "INTERNAL_SERVER_ERROR";
}

/// An error a resolver or domain function returns.
///
/// Deliberately not `Display`: async-graphql converts any `Display` error into a GraphQL error
/// without a code, so `?` on an `ApiError` must go through the `From` below, which adds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No or invalid credentials.
    Unauthenticated,
    /// The caller's roles or services do not allow this.
    Forbidden(String),
    /// Invalid input; names the field where there is one.
    BadUserInput {
        /// What is wrong, in words a front-end developer can show.
        message: String,
        /// The input field at fault (camelCase, as in the schema).
        field: Option<String>,
    },
    /// No such record, or not visible to the caller.
    NotFound(String),
    /// Stale version or uniqueness clash.
    Conflict(String),
    /// The step is not legal in the case's current state.
    InvalidTransition {
        /// What was refused.
        message: String,
        /// The case's current state.
        current: String,
        /// The steps that are legal now.
        allowed: Vec<String>,
    },
    /// An appeal outside its window (policy 6.1).
    AppealOutOfTime(String),
    /// An appeal the policy gives no right to (3.6).
    NoRightOfAppeal(String),
    /// Too many requests.
    RateLimited {
        /// What to tell the client.
        message: String,
        /// Seconds until a retry may succeed.
        retry_after_seconds: u64,
    },
    /// An internal failure, already logged under `correlation_id`.
    Internal {
        /// The id under which the detail was logged.
        correlation_id: String,
    },
}

impl ApiError {
    /// The stable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => code::UNAUTHENTICATED,
            ApiError::Forbidden(_) => code::FORBIDDEN,
            ApiError::BadUserInput { .. } => code::BAD_USER_INPUT,
            ApiError::NotFound(_) => code::NOT_FOUND,
            ApiError::Conflict(_) => code::CONFLICT,
            ApiError::InvalidTransition { .. } => code::INVALID_TRANSITION,
            ApiError::AppealOutOfTime(_) => code::APPEAL_OUT_OF_TIME,
            ApiError::NoRightOfAppeal(_) => code::NO_RIGHT_OF_APPEAL,
            ApiError::RateLimited { .. } => code::RATE_LIMITED,
            ApiError::Internal { .. } => code::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message shown to the client.
    pub fn message(&self) -> String {
        match self {
            ApiError::Unauthenticated => "authentication required".into(),
            ApiError::Forbidden(m)
            | ApiError::NotFound(m)
            | ApiError::Conflict(m)
            | ApiError::AppealOutOfTime(m)
            | ApiError::NoRightOfAppeal(m) => m.clone(),
            ApiError::RateLimited { message, .. } => message.clone(),
            ApiError::BadUserInput { message, .. }
            | ApiError::InvalidTransition { message, .. } => message.clone(),
            ApiError::Internal { correlation_id } => {
                format!("internal server error (correlation id {correlation_id})")
            }
        }
    }

    /// Invalid input in a named field.
    pub fn bad_input(field: &str, message: impl Into<String>) -> Self {
        ApiError::BadUserInput {
            message: message.into(),
            field: Some(field.to_string()),
        }
    }

    /// Log an internal failure with a fresh correlation id and return the client-safe error.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        let correlation_id = uuid::Uuid::new_v4().to_string();
        tracing::error!(correlation_id = %correlation_id, error = %detail, "internal error");
        ApiError::Internal { correlation_id }
    }
}

impl From<crate::domain::DomainError> for ApiError {
    fn from(err: crate::domain::DomainError) -> Self {
        use crate::domain::DomainError as D;
        match err {
            D::Forbidden(m) => ApiError::Forbidden(m),
            D::BadInput { field, message } => ApiError::BadUserInput {
                message,
                field: Some(field),
            },
            D::NotFound(m) => ApiError::NotFound(m),
            D::Conflict(m) => ApiError::Conflict(m),
            D::InvalidTransition {
                message,
                current,
                allowed,
            } => ApiError::InvalidTransition {
                message,
                current,
                allowed,
            },
            D::AppealOutOfTime(m) => ApiError::AppealOutOfTime(m),
            D::NoRightOfAppeal(m) => ApiError::NoRightOfAppeal(m),
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        ApiError::internal(format!("database: {err}"))
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        async_graphql::Error::new(err.message()).extend_with(|_, ext| {
            ext.set("code", err.code());
            match &err {
                ApiError::BadUserInput {
                    field: Some(field), ..
                } => ext.set("field", field.as_str()),
                ApiError::InvalidTransition {
                    current, allowed, ..
                } => {
                    ext.set("currentState", current.as_str());
                    ext.set("allowedSteps", allowed.clone());
                }
                ApiError::Internal { correlation_id } => {
                    ext.set("correlationId", correlation_id.as_str())
                }
                ApiError::RateLimited {
                    retry_after_seconds,
                    ..
                } => ext.set("retryAfterSeconds", *retry_after_seconds),
                _ => {}
            }
        })
    }
}

/// Result alias for resolvers and domain functions.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::Value;

    fn ext(err: ApiError) -> (String, async_graphql::ErrorExtensionValues) {
        let gql: async_graphql::Error = err.into();
        (gql.message, gql.extensions.unwrap_or_default())
    }

    fn code_of(err: ApiError) -> Value {
        ext(err).1.get("code").cloned().unwrap()
    }

    #[test]
    fn every_variant_maps_to_its_stable_code() {
        let cases = [
            (ApiError::Unauthenticated, "UNAUTHENTICATED"),
            (ApiError::Forbidden("no".into()), "FORBIDDEN"),
            (ApiError::bad_input("name", "empty"), "BAD_USER_INPUT"),
            (ApiError::NotFound("case".into()), "NOT_FOUND"),
            (ApiError::Conflict("stale".into()), "CONFLICT"),
            (
                ApiError::InvalidTransition {
                    message: "no".into(),
                    current: "closed".into(),
                    allowed: vec![],
                },
                "INVALID_TRANSITION",
            ),
            (
                ApiError::AppealOutOfTime("late".into()),
                "APPEAL_OUT_OF_TIME",
            ),
            (
                ApiError::NoRightOfAppeal("3.6".into()),
                "NO_RIGHT_OF_APPEAL",
            ),
            (
                ApiError::RateLimited {
                    message: "slow down".into(),
                    retry_after_seconds: 3,
                },
                "RATE_LIMITED",
            ),
            (
                ApiError::Internal {
                    correlation_id: "x".into(),
                },
                "INTERNAL_SERVER_ERROR",
            ),
        ];
        for (err, expected) in cases {
            assert_eq!(err.code(), expected);
            assert_eq!(code_of(err), Value::from(expected));
        }
    }

    #[test]
    fn every_domain_refusal_keeps_its_code() {
        use crate::domain::DomainError as D;
        let cases = [
            (D::Forbidden("no".into()), "FORBIDDEN"),
            (D::bad_input("reasons", "blank"), "BAD_USER_INPUT"),
            (D::NotFound("case".into()), "NOT_FOUND"),
            (D::Conflict("stale".into()), "CONFLICT"),
            (
                D::InvalidTransition {
                    message: "no".into(),
                    current: "closed".into(),
                    allowed: vec![],
                },
                "INVALID_TRANSITION",
            ),
            (D::AppealOutOfTime("late".into()), "APPEAL_OUT_OF_TIME"),
            (D::NoRightOfAppeal("3.6".into()), "NO_RIGHT_OF_APPEAL"),
        ];
        for (refusal, expected) in cases {
            let message = refusal.message().to_string();
            let api: ApiError = refusal.into();
            assert_eq!(api.code(), expected);
            assert_eq!(api.message(), message);
        }
        let (_, e) = ext(D::bad_input("reasons", "blank").into());
        assert_eq!(e.get("field"), Some(&Value::from("reasons")));
    }

    #[test]
    fn bad_input_names_the_field() {
        let (_, e) = ext(ApiError::bad_input("reasons", "reasons are required"));
        assert_eq!(e.get("field"), Some(&Value::from("reasons")));
    }

    #[test]
    fn invalid_transition_carries_state_and_allowed_steps() {
        let (_, e) = ext(ApiError::InvalidTransition {
            message: "x".into(),
            current: "reported".into(),
            allowed: vec!["determine".into()],
        });
        assert_eq!(e.get("currentState"), Some(&Value::from("reported")));
        assert_eq!(
            e.get("allowedSteps"),
            Some(&Value::List(vec![Value::from("determine")]))
        );
    }

    #[test]
    fn database_errors_never_reach_the_client() {
        let err: ApiError = DbErr::Custom("SELECT secret FROM upc_case WHERE".into()).into();
        let (message, e) = ext(err);
        assert!(!message.contains("SELECT"), "{message}");
        assert!(!message.contains("upc_case"), "{message}");
        assert_eq!(e.get("code"), Some(&Value::from("INTERNAL_SERVER_ERROR")));
        assert!(e.get("correlationId").is_some());
    }
}
