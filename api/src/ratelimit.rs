//! Rate limits: per signed-in user (the token's subject), and per client address for requests
//! without a valid token. A generic cell rate algorithm (the `governor` crate): each key may
//! send a burst at once, then one more request every `60 / per_minute` seconds.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::config::RateLimitSettings;

/// How often (in checks) keys idle long enough to be full again are forgotten.
const CLEAN_EVERY: u64 = 4096;

/// The limiters of one server.
pub struct RateLimits {
    users: Option<DefaultKeyedRateLimiter<String>>,
    addresses: Option<DefaultKeyedRateLimiter<IpAddr>>,
    clock: DefaultClock,
    checks: AtomicU64,
}

/// Refused: retry after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds for the `Retry-After` header: rounded up, at least 1.
    pub fn seconds(self) -> u64 {
        let d = self.0;
        (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
    }
}

fn quota(per_minute: u32, burst: u32) -> Option<Quota> {
    let per_minute = NonZeroU32::new(per_minute)?;
    let burst = NonZeroU32::new(burst)?;
    Some(Quota::per_minute(per_minute).allow_burst(burst))
}

impl RateLimits {
    /// Limiters for these settings (`per_minute == 0`: none).
    pub fn new(settings: &RateLimitSettings) -> Self {
        let enabled = settings.per_minute > 0;
        Self {
            users: quota(settings.per_minute, settings.burst)
                .filter(|_| enabled)
                .map(governor::RateLimiter::keyed),
            addresses: quota(settings.anonymous_per_minute, settings.anonymous_burst)
                .filter(|_| enabled)
                .map(governor::RateLimiter::keyed),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    /// Count `operations` GraphQL operations against the signed-in user `subject`.
    pub fn check_user(&self, subject: &str, operations: u32) -> Result<(), RetryAfter> {
        self.tidy();
        let Some(limiter) = &self.users else {
            return Ok(());
        };
        let n = NonZeroU32::new(operations.max(1)).unwrap_or(NonZeroU32::MIN);
        let key = subject.to_string();
        match limiter.check_key_n(&key, n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(RetryAfter(not_until.wait_time_from(self.clock.now()))),
            // More operations than a whole burst: settings forbid a batch this large, but
            // never let it through.
            Err(_) => Err(RetryAfter(Duration::from_secs(60))),
        }
    }

    /// Count one request without a valid token against the client's address.
    pub fn check_address(&self, address: IpAddr) -> Result<(), RetryAfter> {
        self.tidy();
        let Some(limiter) = &self.addresses else {
            return Ok(());
        };
        limiter
            .check_key(&address)
            .map_err(|not_until| RetryAfter(not_until.wait_time_from(self.clock.now())))
    }

    /// Now and then forget keys whose buckets are full again, so memory stays bounded by the
    /// number of recently active users and addresses.
    fn tidy(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % CLEAN_EVERY == CLEAN_EVERY - 1 {
            if let Some(l) = &self.users {
                l.retain_recent();
            }
            if let Some(l) = &self.addresses {
                l.retain_recent();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_minute: u32, burst: u32) -> RateLimits {
        RateLimits::new(&RateLimitSettings {
            per_minute,
            burst,
            anonymous_per_minute: per_minute,
            anonymous_burst: burst,
        })
    }

    #[test]
    fn a_burst_passes_then_the_next_waits() {
        let l = limits(60, 3);
        for _ in 0..3 {
            assert!(l.check_user("a", 1).is_ok());
        }
        let wait = l.check_user("a", 1).unwrap_err();
        assert!(wait.seconds() >= 1 && wait.seconds() <= 1, "{wait:?}");
        // Another user is not affected.
        assert!(l.check_user("b", 1).is_ok());
    }

    #[test]
    fn a_batch_counts_every_operation() {
        let l = limits(60, 5);
        assert!(l.check_user("a", 5).is_ok());
        assert!(l.check_user("a", 1).is_err());
        assert!(
            l.check_user("b", 6).is_err(),
            "more than a burst never passes"
        );
    }

    #[test]
    fn addresses_are_limited_separately() {
        let l = limits(60, 1);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(l.check_address(a).is_ok());
        assert!(l.check_address(a).is_err());
        assert!(l.check_address(b).is_ok());
    }

    #[test]
    fn zero_per_minute_turns_limits_off() {
        let l = limits(0, 0);
        for _ in 0..1000 {
            assert!(l.check_user("a", 1).is_ok());
        }
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(RetryAfter(Duration::from_millis(1)).seconds(), 1);
        assert_eq!(RetryAfter(Duration::from_millis(1500)).seconds(), 2);
        assert_eq!(RetryAfter(Duration::from_secs(3)).seconds(), 3);
    }
}
