//! The council's services' ids by code, kept once read, for the contact check (issue 18).
//!
//! A service's code never changes and no service is ever removed: `updateService` renames a
//! service or takes it out of use, and every case, restriction and contact refers to its
//! service by id. So once a code has been found, the id it names is the same for as long as the
//! database is, and a contact check can ask PostgreSQL for its facts by the service's id rather
//! than look the code up again on every check: on a council of 250 services PostgreSQL chose to
//! read the whole `service` table for that look-up, a fifth to a third of the check's
//! statement (`pgbench`, docs/performance.md). A code not found is not kept (the service may be
//! created later); a service taken out of use keeps its id, as the check has always treated it.
//!
//! One [`ServiceIds`] per app (the schema's data and `AppState`); it holds one entry per service
//! that has been checked, at most as many as the council has services.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use sea_orm::ConnectionTrait;

use crate::error::ApiResult;
use crate::store::facts;

/// The services' ids by code, as found so far.
#[derive(Debug, Default)]
pub struct ServiceIds(RwLock<HashMap<String, i64>>);

impl ServiceIds {
    /// An empty one.
    pub fn new() -> Self {
        Self::default()
    }

    /// The service whose code is `code` (trimmed): its id and its code as stored, from what was
    /// found before or else read with [`facts::service_by_code`] (the same error when there is
    /// none).
    pub async fn find<C: ConnectionTrait>(&self, db: &C, code: &str) -> ApiResult<(i64, String)> {
        let code = code.trim();
        if let Some(id) = self.known(code) {
            return Ok((id, code.to_string()));
        }
        let service = facts::service_by_code(db, code).await?;
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(service.code.clone(), service.id);
        Ok((service.id, service.code))
    }

    /// The id kept for `code`, if any.
    pub fn known(&self, code: &str) -> Option<i64> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(code)
            .copied()
    }
}
