//! Every command of the policy, run through a [`Session`]: load the facts, let the domain
//! decide, apply the outcome, commit. One method per command, named as the policy step; each
//! returns the record the caller asked about, as stored.

mod adjustments;
mod admin;
mod alerts;
mod cases;
mod customers;
mod desk;
pub mod endings;
mod safety;
pub mod staff;

pub use desk::ContactLogged;

use entities::upc_case;

use super::{Database, Idempotency, Session, UnitOfWork, facts};
use crate::domain::Outcome;
use crate::error::ApiResult;

/// A command's unit of work, opened — or the first result, when the client's key was used
/// before with the same input.
enum Opened<'a, C: Database, R> {
    /// The first call's result.
    Replayed(R),
    /// Ready to read the facts and decide.
    Ready(UnitOfWork<'a, C>),
}

/// Unwrap an [`Opened`]: a replay returns its first result at once.
macro_rules! ready {
    ($opened:expr) => {
        match $opened {
            Opened::Replayed(result) => return Ok(result.into()),
            Opened::Ready(uow) => uow,
        }
    };
}
use ready;

impl<'a, C: Database> Session<'a, C> {
    /// Open a unit of work. A replayed result is returned only while the caller may still see
    /// its case (`case_of`).
    async fn open<R>(
        &self,
        key: Option<Idempotency>,
        case_of: impl FnOnce(&R) -> Option<i64>,
    ) -> ApiResult<Opened<'a, C, R>>
    where
        R: serde::de::DeserializeOwned,
    {
        let uow = self.begin(key).await?;
        match uow.replayed::<R>().await? {
            Some(first) => {
                if let Some(case_id) = case_of(&first) {
                    facts::visible_case(uow.txn(), self.actor(), case_id).await?;
                }
                Ok(Opened::Replayed(first))
            }
            None => Ok(Opened::Ready(uow)),
        }
    }

    /// Open a step whose result is a case.
    async fn open_case_step(
        &self,
        key: Option<Idempotency>,
    ) -> ApiResult<Opened<'a, C, upc_case::Model>> {
        self.open(key, |case: &upc_case::Model| Some(case.id)).await
    }

    /// Apply a case step's outcome and commit; the case as it now stands is the result.
    async fn finish_case(
        &self,
        mut uow: UnitOfWork<'a, C>,
        outcome: Outcome,
    ) -> ApiResult<upc_case::Model> {
        let applied = uow.apply(outcome).await?;
        let case: upc_case::Model = applied.written()?;
        uow.commit("upc_case", case.id, &case).await?;
        Ok(case)
    }
}
