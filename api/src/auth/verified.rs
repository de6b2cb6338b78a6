//! Tokens already verified, so that the same token sent again is not verified again.
//!
//! The intranet sends one bearer token with every request for as long as it is valid.
//! Verifying it is a signature check, a base64 decode, its claims parsed as JSON and a
//! [`Principal`] built from them (and copied for the request) — a string per service the
//! token names. Under the contact check's load, keeping them took the API's CPU per check from
//! 0.12 to 0.11 ms for an officer of 25 services and from 0.17 to 0.12 ms for one of 250
//! (`docs/performance.md`).
//!
//! What a hit gives is exactly what verifying again would: only a token that verified is kept,
//! under the SHA-256 of its whole text (so a look-up compares digests, not secrets, and two
//! tokens differing in any byte are two entries); it is given back only while its `exp` is
//! within the leeway, checked on every hit the way the verifier checks it; `nbf` was checked
//! when it was kept and only ever becomes truer; and it is given back only while the signing
//! keys are the ones it was verified with (a JWKS refresh, which may drop a key, makes every
//! entry verify again). Bounded: past [`CAPACITY`] entries the expired ones go, then all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};

use crate::domain::roles::Principal;
use crate::domain::staff::SignIn;

/// At most this many tokens are kept (a token is a few hundred bytes to a few kilobytes).
pub(crate) const CAPACITY: usize = 1024;

/// The SHA-256 of a token's text.
pub(crate) type TokenDigest = [u8; 32];

/// What verifying one token gave.
#[derive(Debug)]
pub(crate) struct Verified {
    /// Its principal.
    pub(crate) principal: Arc<Principal>,
    /// What it says about the member of staff (identity provider's tokens only).
    pub(crate) sign_in: Option<SignIn>,
    /// Its `exp` claim, in seconds since the epoch.
    exp: u64,
    /// The signing keys' generation it was verified with.
    keys: u64,
}

impl Verified {
    /// What verifying a token with `exp` and keys of generation `keys` gave.
    pub(crate) fn new(
        principal: Principal,
        sign_in: Option<SignIn>,
        exp: u64,
        keys: u64,
    ) -> Arc<Self> {
        Arc::new(Verified {
            principal: Arc::new(principal),
            sign_in,
            exp,
            keys,
        })
    }

    /// Whether the verifier would still accept it at `now` (seconds since the epoch) with
    /// keys of generation `keys`: as `jsonwebtoken` checks `exp`, expired once
    /// `exp < now - leeway`.
    fn still_valid(&self, now: u64, leeway: u64, keys: u64) -> bool {
        self.keys == keys && self.exp >= now.saturating_sub(leeway)
    }
}

/// The verified tokens (see the module's documentation).
#[derive(Debug)]
pub(crate) struct VerifiedTokens {
    leeway: u64,
    entries: Mutex<HashMap<TokenDigest, Arc<Verified>>>,
}

impl VerifiedTokens {
    /// No token yet; `exp` is checked with `leeway` seconds, as the verifier checks it.
    pub(crate) fn new(leeway: u64) -> Self {
        VerifiedTokens {
            leeway,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The digest `token` is kept under.
    pub(crate) fn digest(token: &str) -> TokenDigest {
        Sha256::digest(token.as_bytes()).into()
    }

    /// What verifying the token with `digest` gave, if it is kept and still valid at `now`
    /// with keys of generation `keys`. An entry no longer valid is dropped.
    pub(crate) fn get(&self, digest: &TokenDigest, now: u64, keys: u64) -> Option<Arc<Verified>> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let found = entries.get(digest)?;
        if found.still_valid(now, self.leeway, keys) {
            return Some(found.clone());
        }
        entries.remove(digest);
        None
    }

    /// Keep what verifying the token with `digest` gave.
    pub(crate) fn put(&self, digest: TokenDigest, verified: Arc<Verified>, now: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY && !entries.contains_key(&digest) {
            let leeway = self.leeway;
            entries.retain(|_, v| v.exp >= now.saturating_sub(leeway));
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(digest, verified);
    }

    /// How many tokens are kept.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verified(exp: u64, keys: u64) -> Arc<Verified> {
        let principal = Principal {
            subject: "s".into(),
            name: None,
            roles: Default::default(),
            services: Default::default(),
            services_from_directory: false,
        };
        Verified::new(principal, None, exp, keys)
    }

    #[test]
    fn a_kept_token_is_given_back_while_its_exp_is_within_the_leeway() {
        let tokens = VerifiedTokens::new(30);
        let digest = VerifiedTokens::digest("a.b.c");
        tokens.put(digest, verified(1_000, 0), 900);
        assert!(tokens.get(&digest, 1_000, 0).is_some());
        assert!(tokens.get(&digest, 1_030, 0).is_some(), "exp + leeway");
        assert!(tokens.get(&digest, 1_031, 0).is_none(), "past exp + leeway");
        assert_eq!(tokens.len(), 0, "dropped once expired");
        assert!(
            tokens.get(&digest, 1_000, 0).is_none(),
            "and not given back again"
        );
    }

    #[test]
    fn other_signing_keys_mean_verifying_again() {
        let tokens = VerifiedTokens::new(0);
        let digest = VerifiedTokens::digest("a.b.c");
        tokens.put(digest, verified(1_000, 3), 900);
        assert!(tokens.get(&digest, 950, 4).is_none());
        assert!(tokens.get(&digest, 950, 3).is_none(), "dropped");
    }

    #[test]
    fn a_token_differing_in_one_byte_is_another_token() {
        let tokens = VerifiedTokens::new(0);
        tokens.put(VerifiedTokens::digest("a.b.c"), verified(1_000, 0), 900);
        assert!(
            tokens
                .get(&VerifiedTokens::digest("a.b.d"), 950, 0)
                .is_none()
        );
        assert!(
            tokens
                .get(&VerifiedTokens::digest("a.b.c"), 950, 0)
                .is_some()
        );
    }

    #[test]
    fn it_stays_bounded() {
        let tokens = VerifiedTokens::new(0);
        for i in 0..CAPACITY {
            // Every other one expired by the time the store is full.
            let exp = if i % 2 == 0 { 100 } else { 10_000 };
            tokens.put(VerifiedTokens::digest(&i.to_string()), verified(exp, 0), 50);
        }
        assert_eq!(tokens.len(), CAPACITY);
        tokens.put(VerifiedTokens::digest("one more"), verified(10_000, 0), 500);
        assert_eq!(tokens.len(), CAPACITY / 2 + 1, "the expired ones went");
        for i in 0..CAPACITY {
            tokens.put(
                VerifiedTokens::digest(&format!("more {i}")),
                verified(10_000, 0),
                500,
            );
        }
        assert!(tokens.len() <= CAPACITY);
    }
}
