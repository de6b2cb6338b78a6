//! One mutation per step of the policy: parse the input into the domain's command (typed
//! values; `BAD_USER_INPUT` naming the field), run it through the request's store session
//! ([`crate::store::Session`]: one transaction, the step's rules in [`crate::domain`], its
//! letters, alerts and audit event), and return the case after the step. An optional
//! idempotency key makes a retry return the first result (the case as that call returned it)
//! without repeating the step.

mod inputs;
mod mutations;
mod restrictions;

pub use inputs::*;
pub use mutations::StepMutation;

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use crate::alerts::AlertHub;
use crate::authz::caller;
use crate::domain::customers::{CustomerChoice, NewCustomer};
use crate::domain::lifecycle::LifecycleSettings;
use crate::domain::values::{CustomerId, Text, choice};
use crate::error::{ApiError, ApiResult};
use crate::graphql::ids::parse_id;
use crate::store::service_ids::ServiceIds;
use crate::store::{Idempotency, Session};

/// The store session of this request: the caller, acting now.
pub fn session<'a>(ctx: &Context<'a>) -> ApiResult<Session<'a>> {
    Ok(Session::new(
        ctx.data_unchecked::<DatabaseConnection>(),
        caller(ctx)?,
        ctx.data_unchecked::<LifecycleSettings>(),
        ctx.data_opt::<AlertHub>(),
    )
    .with_service_ids(
        ctx.data_opt::<std::sync::Arc<ServiceIds>>()
            .map(|ids| &**ids),
    ))
}

/// The client's idempotency key for `operation` with `input`.
pub fn key<T: serde::Serialize>(
    key: Option<String>,
    operation: &'static str,
    input: &T,
) -> ApiResult<Option<Idempotency>> {
    Idempotency::new(key, operation, input)
}

/// The customer a report names: one on the system, or a new one (exactly one of the two).
pub fn customer_choice(
    customer_id: Option<&async_graphql::ID>,
    new_customer: Option<&NewCustomerInput>,
) -> ApiResult<CustomerChoice> {
    match (customer_id, new_customer) {
        (Some(id), None) => Ok(CustomerChoice::Existing(parse_id::<CustomerId>(
            "customerId",
            id,
        )?)),
        (None, Some(new)) => Ok(CustomerChoice::New(NewCustomer {
            display_name: Text::parse("newCustomer.displayName", &new.display_name)?,
            kind: match &new.kind {
                None => entities::enums::CustomerKind::Person,
                Some(k) => choice("newCustomer.kind", k, entities::enums::CustomerKind::ALL)?,
            },
            address: Text::optional("newCustomer.address", new.address.as_deref())?,
            email: Text::optional("newCustomer.email", new.email.as_deref())?,
            phone: Text::optional("newCustomer.phone", new.phone.as_deref())?,
            preferred_language: match &new.preferred_language {
                None => entities::enums::Language::En,
                Some(l) => choice(
                    "newCustomer.preferredLanguage",
                    l,
                    entities::enums::Language::ALL,
                )?,
            },
        })),
        _ => Err(ApiError::bad_input(
            "customerId",
            "give exactly one of customerId and newCustomer",
        )),
    }
}
