//! Registration-failure rule: many failed REGISTERs from one source within a window.
//!
//! Counted per source of the REGISTER (the destination of its final response):
//! * every final 3xx-6xx other than a challenge (403, 404, 5xx...) is a failure;
//! * a 401/407 challenge is a normal step of digest authentication, so challenges count
//!   only beyond the successes that follow them plus `challenge_allowance`: a device
//!   that answers each challenge and gets its 200 never counts, a password-guessing
//!   tool that collects challenge after challenge does.
//!
//! The alarm fires when the window's failures reach `failures`.

use super::tally::CodeTally;

/// Settings of the registration-failure rule.
#[derive(Debug, Clone)]
pub struct RegFailConfig {
    pub enabled: bool,
    /// Failures from one source within the window that raise the alarm.
    pub failures: u64,
    pub window_s: u32,
    /// Challenges not followed by a success that are still tolerated per window.
    pub challenge_allowance: u64,
}

impl Default for RegFailConfig {
    fn default() -> Self {
        RegFailConfig {
            enabled: true,
            failures: 20,
            window_s: 60,
            challenge_allowance: 5,
        }
    }
}

/// One source's REGISTER outcomes in the current window.
#[derive(Debug, Default)]
pub(crate) struct RegWindow {
    start_us: i64,
    hard: u64,
    challenges: u64,
    successes: u64,
    /// Failures already added to the alarm in this window.
    reported: u64,
    codes: CodeTally,
}

/// A window over the threshold: count to add to the alarm, and the window's state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RegFailStep {
    pub(crate) add: u64,
    pub(crate) failures: u64,
    pub(crate) unanswered_challenges: u64,
    pub(crate) codes: CodeTally,
}

impl RegWindow {
    /// Counts one final response to a REGISTER from this source.
    pub(crate) fn response(
        &mut self,
        status: u16,
        ts_us: i64,
        cfg: &RegFailConfig,
    ) -> Option<RegFailStep> {
        if status < 200 {
            return None;
        }
        // Slightly older records (several capture agents) still belong to this window.
        if ts_us - self.start_us > i64::from(cfg.window_s) * 1_000_000 {
            *self = RegWindow {
                start_us: ts_us,
                ..RegWindow::default()
            };
        }
        match status {
            200..=299 => self.successes += 1,
            401 | 407 => self.challenges += 1,
            _ => {
                self.hard += 1;
                self.codes.add(status, 1);
            }
        }
        let unanswered = self
            .challenges
            .saturating_sub(self.successes + cfg.challenge_allowance);
        let failures = self.hard + unanswered;
        if failures < cfg.failures.max(1) || failures <= self.reported {
            return None;
        }
        let add = failures - self.reported;
        self.reported = failures;
        Some(RegFailStep {
            add,
            failures,
            unanswered_challenges: unanswered,
            codes: self.codes.clone(),
        })
    }
}
