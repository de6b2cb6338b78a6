//! Filling the staff directory from sign-in (issue 19): a request with a valid identity-provider
//! token brings the directory's record of its member of staff up to what the token says (object
//! id, name, email, roles per service). Cheap on the request path: what was last written (or
//! found already so) for a subject is remembered as a hash of the claims, so a request whose
//! claims are unchanged costs one hash and one map look-up, no database statement. Only when the
//! claims are new or changed is the record read, and written (audited as `system:sign-in`) only
//! if it differs. A failure is logged and never refuses the request.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use sea_orm::DatabaseConnection;

use crate::domain::staff::SignIn;
use crate::store::commands::staff;

/// Subjects remembered at most; past this the memory starts again (the next request of each
/// checks the directory once more).
const MOST_REMEMBERED: usize = 10_000;

/// What this process last saw the directory agree with, per subject.
#[derive(Debug, Default)]
pub struct SignInCache {
    seen: Mutex<HashMap<String, u64>>,
}

fn fingerprint(claims: &SignIn) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    claims.hash(&mut hasher);
    hasher.finish()
}

impl SignInCache {
    /// Whether the directory was already brought up to `claims` by this process.
    fn known(&self, claims: &SignIn, print: u64) -> bool {
        self.seen
            .lock()
            .map(|seen| seen.get(&claims.subject) == Some(&print))
            .unwrap_or(false)
    }

    fn remember(&self, claims: &SignIn, print: u64) {
        if let Ok(mut seen) = self.seen.lock() {
            if seen.len() >= MOST_REMEMBERED {
                seen.clear();
            }
            seen.insert(claims.subject.clone(), print);
        }
    }

    /// Bring the directory up to `claims` unless this process already has; a failure is logged.
    pub async fn record(&self, db: &DatabaseConnection, claims: &SignIn) {
        let print = fingerprint(claims);
        if self.known(claims, print) {
            return;
        }
        let now = chrono::Utc::now();
        let request_id = format!("sign-in-{}", now.format("%Y%m%dT%H%M%S%.3fZ"));
        match staff::sign_in(db, claims, &request_id, now).await {
            Ok(wrote) => {
                if wrote {
                    tracing::info!("staff directory brought up to date from sign-in");
                }
                self.remember(claims, print);
            }
            Err(e) => {
                tracing::warn!(error = %e.message(), "staff directory not updated from sign-in");
            }
        }
    }
}
