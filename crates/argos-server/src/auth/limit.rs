//! Login rate limiting, per client IP and per user name.
//!
//! Each key counts failed logins in a sliding window. `MAX_FAILURES` failures within the
//! window lock the key; the lockout doubles with each further lockout (window, 2×, 4×, …,
//! capped at [`MAX_LOCKOUT`]). A locked key is refused before the password is checked, so
//! a guessing client costs no argon2 time. Both the IP and the user name are keys: one IP
//! trying many names and many IPs trying one name are both slowed.

use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Failed logins within the window that lock a key.
pub const MAX_FAILURES: usize = 5;
/// Longest lockout, however often a key was locked.
pub const MAX_LOCKOUT: Duration = Duration::from_secs(3600);
/// Keys tracked before stale ones are pruned (bounds memory under a spray of IPs).
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Default)]
struct Entry {
    failures: VecDeque<Instant>,
    /// Lockouts so far; sets the next lockout's length.
    strikes: u32,
    locked_until: Option<Instant>,
    last_seen: Option<Instant>,
}

/// Tracks failed logins per key (`ip:…`, `user:…`).
#[derive(Debug)]
pub struct LoginLimiter {
    window: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl LoginLimiter {
    /// A limiter whose window (and first lockout) is `window`.
    pub fn new(window: Duration) -> LoginLimiter {
        LoginLimiter {
            window: window.max(Duration::from_millis(100)),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// If any key is locked: how long until the longest lock ends.
    pub fn locked(&self, keys: &[String]) -> Option<Duration> {
        let now = Instant::now();
        let e = self.entries.lock();
        keys.iter()
            .filter_map(|k| e.get(k).and_then(|en| en.locked_until))
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max()
    }

    /// Records a failed login for each key; returns how long the keys are now locked, if
    /// this failure locked one.
    pub fn failed(&self, keys: &[String]) -> Option<Duration> {
        let now = Instant::now();
        let mut e = self.entries.lock();
        if e.len() >= MAX_KEYS {
            let stale = self.forget_after();
            e.retain(|_, en| en.last_seen.is_some_and(|t| now.duration_since(t) < stale));
            if e.len() >= MAX_KEYS {
                // A spray from very many addresses: keep only the keys that are locked now.
                e.retain(|_, en| en.locked_until.is_some_and(|u| u > now));
            }
        }
        let mut locked = None;
        for k in keys {
            let en = e.entry(k.clone()).or_default();
            // Lockouts are forgotten after a long quiet spell, not after one good login
            // (an attacker holding one account must not reset its IP's back-off).
            if en
                .last_seen
                .is_some_and(|t| now.duration_since(t) > self.forget_after())
            {
                en.strikes = 0;
            }
            en.last_seen = Some(now);
            while en
                .failures
                .front()
                .is_some_and(|t| now.duration_since(*t) > self.window)
            {
                en.failures.pop_front();
            }
            en.failures.push_back(now);
            if en.failures.len() >= MAX_FAILURES {
                en.failures.clear();
                let factor = 1u32 << en.strikes.min(16);
                let lock = self.window.saturating_mul(factor).min(MAX_LOCKOUT);
                en.strikes = en.strikes.saturating_add(1);
                en.locked_until = Some(now + lock);
                locked = locked.max(Some(lock));
            }
        }
        locked
    }

    /// A successful login clears the keys' counted failures; the lockout count (and so
    /// the next lockout's length) stays until the key has been quiet for a while.
    pub fn succeeded(&self, keys: &[String]) {
        let mut e = self.entries.lock();
        for k in keys {
            if let Some(en) = e.get_mut(k) {
                en.failures.clear();
            }
        }
    }

    /// Quiet time after which a key's lockout count starts again from zero.
    fn forget_after(&self) -> Duration {
        self.window.saturating_mul(64).min(MAX_LOCKOUT * 2)
    }
}

/// The limiter keys of a login attempt.
pub fn keys(ip: Option<std::net::IpAddr>, username: &str) -> Vec<String> {
    let mut v = vec![format!("user:{username}")];
    if let Some(ip) = ip {
        v.push(format!("ip:{ip}"));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_with_growing_backoff() {
        let l = LoginLimiter::new(Duration::from_millis(200));
        let k = keys(Some([10, 0, 0, 1].into()), "bob");
        for _ in 0..MAX_FAILURES - 1 {
            assert!(l.failed(&k).is_none());
        }
        assert!(l.locked(&k).is_none());
        let first = l.failed(&k).expect("locked");
        assert!(l.locked(&k).is_some());
        std::thread::sleep(first + Duration::from_millis(20));
        assert!(l.locked(&k).is_none());
        let mut second = None;
        for _ in 0..MAX_FAILURES {
            second = l.failed(&k);
        }
        assert_eq!(second, Some(first * 2));
        std::thread::sleep(first * 2 + Duration::from_millis(20));
        l.succeeded(&k);
        assert!(l.locked(&k).is_none());
        for _ in 0..MAX_FAILURES - 1 {
            assert!(
                l.failed(&k).is_none(),
                "success cleared the counted failures"
            );
        }
    }

    #[test]
    fn another_ip_is_still_locked_by_user_name() {
        let l = LoginLimiter::new(Duration::from_secs(60));
        for _ in 0..MAX_FAILURES {
            l.failed(&keys(Some([10, 0, 0, 1].into()), "bob"));
        }
        assert!(l.locked(&keys(Some([10, 0, 0, 2].into()), "bob")).is_some());
        assert!(l.locked(&keys(Some([10, 0, 0, 2].into()), "amy")).is_none());
    }
}
