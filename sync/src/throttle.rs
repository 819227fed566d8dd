//! Brute-force protection for logins: recent failed attempts per username, kept in memory.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Failed logins for one username within [`WINDOW`] after which logins are refused.
pub(crate) const MAX_FAILURES: usize = 10;

/// How long a failed login counts against its username.
pub(crate) const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Usernames tracked before stale entries are swept out.
const SWEEP_AT: usize = 10_000;

/// Recent failed logins per username. A successful login clears its username.
#[derive(Debug, Default)]
pub(crate) struct LoginThrottle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginThrottle {
    /// Whether `username` has had [`MAX_FAILURES`] failed logins within [`WINDOW`].
    pub(crate) fn is_locked(&self, username: &str) -> bool {
        self.is_locked_at(username, Instant::now())
    }

    /// Counts a failed login for `username`.
    pub(crate) fn record_failure(&self, username: &str) {
        self.record_failure_at(username, Instant::now());
    }

    /// Forgets the failed logins of `username` (after a successful login).
    pub(crate) fn reset(&self, username: &str) {
        self.lock().remove(username);
    }

    fn is_locked_at(&self, username: &str, now: Instant) -> bool {
        self.lock().get(username).is_some_and(|times| {
            times.iter().filter(|t| is_recent(**t, now)).count() >= MAX_FAILURES
        })
    }

    fn record_failure_at(&self, username: &str, now: Instant) {
        let mut failures = self.lock();
        if failures.len() >= SWEEP_AT && !failures.contains_key(username) {
            failures.retain(|_, times| times.back().is_some_and(|t| is_recent(*t, now)));
        }
        let times = failures.entry(username.to_owned()).or_default();
        times.retain(|t| is_recent(*t, now));
        times.push_back(now);
        while times.len() > MAX_FAILURES {
            times.pop_front();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        // The map stays consistent even if a holder panicked; keep using it.
        self.failures.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn is_recent(at: Instant, now: Instant) -> bool {
    now.saturating_duration_since(at) < WINDOW
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_and_unlocks_after_the_window() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for i in 0..MAX_FAILURES {
            assert!(!throttle.is_locked_at("ada", start), "after {i} failures");
            throttle.record_failure_at("ada", start + Duration::from_secs(i as u64));
        }
        let last = start + Duration::from_secs(MAX_FAILURES as u64 - 1);
        assert!(throttle.is_locked_at("ada", last));
        assert!(!throttle.is_locked_at("bob", last), "per username");
        // The oldest failure ages out first, then the lock lifts.
        assert!(throttle.is_locked_at("ada", start + WINDOW - Duration::from_millis(1)));
        assert!(!throttle.is_locked_at("ada", start + WINDOW));
    }

    #[test]
    fn old_failures_do_not_count() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for i in 0..MAX_FAILURES - 1 {
            throttle.record_failure_at("ada", start + Duration::from_secs(i as u64));
        }
        let later = start + WINDOW + Duration::from_secs(60);
        throttle.record_failure_at("ada", later);
        assert!(!throttle.is_locked_at("ada", later));
        assert_eq!(throttle.lock()["ada"].len(), 1);
    }

    #[test]
    fn reset_clears_the_count() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..MAX_FAILURES {
            throttle.record_failure_at("ada", now);
        }
        assert!(throttle.is_locked_at("ada", now));
        throttle.reset("ada");
        assert!(!throttle.is_locked_at("ada", now));
    }

    #[test]
    fn stale_usernames_are_swept() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for i in 0..SWEEP_AT {
            throttle.record_failure_at(&format!("user{i}"), start);
        }
        throttle.record_failure_at("fresh", start + WINDOW);
        let failures = throttle.lock();
        assert_eq!(failures.len(), 1);
        assert!(failures.contains_key("fresh"));
    }
}
