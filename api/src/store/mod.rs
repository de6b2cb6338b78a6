//! The persistence seam: the one place that reads the facts a command of the policy needs and
//! applies what it decided, in one transaction with its audit row. GraphQL mutations, the
//! command line and the tests all run the policy through a [`Session`]; [`crate::domain`] never
//! sees the database.
//!
//! A command runs as: [`Session::begin`] a unit of work (with the client's idempotency key, if
//! any) → if the key was used before, return the first result → load the facts (through the
//! caller's row scope, 5.4) → the domain decides an [`Outcome`] or refuses → [`UnitOfWork::apply`]
//! writes it (rows, letters, alerts, the audit event) → [`UnitOfWork::commit`] remembers the
//! result for the key and commits; alerts are announced once committed. Any error before the
//! commit rolls everything back.

mod apply;
pub mod case_page;
pub mod commands;
pub mod facts;
pub mod idempotency;
pub mod list_pg;
pub mod reads;
mod restriction_line;
pub mod service_ids;
pub mod tables;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::alerts::{AlertHub, Pending};
use crate::authz::RequestContext;
use crate::domain::Outcome;
use crate::domain::lifecycle::LifecycleSettings;
use crate::domain::outcome::Row;
use crate::domain::roles::Principal;
use crate::error::{ApiError, ApiResult};
use service_ids::ServiceIds;

pub use idempotency::Idempotency;

/// A database a session acts on: a connection, or a transaction whose commands then nest inside
/// it as savepoints (the demonstration data set is loaded that way, all or nothing).
pub trait Database:
    ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction> + Sync
{
}

impl<T> Database for T where
    T: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction> + Sync
{
}

/// Someone acting on the case record: who, when, on which database, under which settings.
pub struct Session<'a, C: Database = DatabaseConnection> {
    /// The database.
    pub db: &'a C,
    /// Who acts, and the request id the audit trail records.
    pub request: &'a RequestContext,
    /// The council's lifecycle settings.
    pub settings: &'a LifecycleSettings,
    /// Where restriction alerts are announced (none: not announced in this process).
    pub alerts: Option<&'a AlertHub>,
    /// The time the command acts at (now, except for a demonstration or a test).
    pub now: DateTime<Utc>,
    /// The services' ids found so far (the app's; none: found afresh each time).
    pub service_ids: Option<&'a ServiceIds>,
}

impl<C: Database> Clone for Session<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C: Database> Copy for Session<'_, C> {}

impl<'a, C: Database> Session<'a, C> {
    /// A session acting now.
    pub fn new(
        db: &'a C,
        request: &'a RequestContext,
        settings: &'a LifecycleSettings,
        alerts: Option<&'a AlertHub>,
    ) -> Self {
        Session {
            db,
            request,
            settings,
            alerts,
            now: Utc::now(),
            service_ids: None,
        }
    }

    /// The same session finding services through `service_ids`.
    pub fn with_service_ids(self, service_ids: Option<&'a ServiceIds>) -> Self {
        Session {
            service_ids,
            ..self
        }
    }

    /// The same session acting at `now`.
    pub fn at(self, now: DateTime<Utc>) -> Self {
        Session { now, ..self }
    }

    /// Who acts.
    pub fn actor(&self) -> &'a Principal {
        &self.request.principal
    }

    /// Open a unit of work: one transaction, with the client's idempotency key.
    pub async fn begin(&self, key: Option<Idempotency>) -> ApiResult<UnitOfWork<'a, C>> {
        Ok(UnitOfWork {
            session: *self,
            txn: self.db.begin().await?,
            key,
            alerts: Pending::new(self.alerts),
        })
    }
}

/// One command's transaction.
pub struct UnitOfWork<'a, C: Database = DatabaseConnection> {
    session: Session<'a, C>,
    txn: DatabaseTransaction,
    key: Option<Idempotency>,
    alerts: Pending,
}

/// What an outcome wrote, as stored.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// The rows created, in the outcome's order.
    pub created: Vec<Row>,
    /// The rows changed, as they now stand, in the outcome's order.
    pub changed: Vec<Row>,
}

impl Applied {
    /// The `n`-th row created, of kind `M`.
    pub fn created<M: TryFrom<Row>>(&self, n: usize) -> ApiResult<M> {
        self.created
            .get(n)
            .cloned()
            .and_then(|row| M::try_from(row).ok())
            .ok_or_else(|| {
                ApiError::internal(format!("the outcome created no row {n} of that kind"))
            })
    }

    /// The first row of kind `M` changed or, failing that, created.
    pub fn written<M: TryFrom<Row>>(&self) -> ApiResult<M> {
        self.changed
            .iter()
            .chain(self.created.iter())
            .find_map(|row| M::try_from(row.clone()).ok())
            .ok_or_else(|| ApiError::internal("the outcome wrote no row of that kind"))
    }
}

impl<'a, C: Database> UnitOfWork<'a, C> {
    /// The session.
    pub fn session(&self) -> &Session<'a, C> {
        &self.session
    }

    /// The transaction, to read facts in.
    pub fn txn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// The first call's result if the client's key was used before with the same input.
    pub async fn replayed<R: DeserializeOwned>(&self) -> ApiResult<Option<R>> {
        idempotency::replayed(&self.txn, self.session.request, &self.key).await
    }

    /// Write `outcome`: its rows, letters and alerts, then its audit event.
    pub async fn apply(&mut self, outcome: Outcome) -> ApiResult<Applied> {
        apply::apply(self, outcome).await
    }

    /// Remember `result` for the client's key (as `result_type` `result_id`) and commit; then
    /// announce the alerts.
    pub async fn commit<R: Serialize>(
        self,
        result_type: &str,
        result_id: i64,
        result: &R,
    ) -> ApiResult<()> {
        idempotency::remember(
            &self.txn,
            self.session.request,
            &self.key,
            result_type,
            result_id,
            result,
        )
        .await?;
        self.txn.commit().await?;
        self.alerts.publish();
        Ok(())
    }
}
