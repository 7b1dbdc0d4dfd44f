//! A fixed-size tally of response codes (or methods) for alarm summaries.

use std::fmt::Write as _;

/// Counts of at most [`SLOTS`] distinct codes; further codes are added to `other`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CodeTally {
    slots: [(u16, u64); SLOTS],
    other: u64,
}

const SLOTS: usize = 6;

impl CodeTally {
    pub(crate) fn add(&mut self, code: u16, n: u64) {
        for s in &mut self.slots {
            if s.0 == code {
                s.1 += n;
                return;
            }
            if s.0 == 0 {
                *s = (code, n);
                return;
            }
        }
        self.other += n;
    }

    /// `503×50, 408×7` (most frequent first; `other×n` last).
    pub(crate) fn render(&self, out: &mut String) {
        let mut v: Vec<(u16, u64)> = self.slots.iter().copied().filter(|s| s.0 != 0).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (i, (code, n)) in v.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{code}×{n}");
        }
        if self.other > 0 {
            let _ = write!(out, ", other×{}", self.other);
        }
    }
}

/// Requests by method for scanner summaries: INVITE, REGISTER, OPTIONS, anything else.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct MethodTally {
    pub(crate) invite: u64,
    pub(crate) register: u64,
    pub(crate) options: u64,
    pub(crate) other: u64,
}

impl MethodTally {
    pub(crate) fn add(&mut self, method: &str) {
        match method {
            "INVITE" => self.invite += 1,
            "REGISTER" => self.register += 1,
            "OPTIONS" => self.options += 1,
            _ => self.other += 1,
        }
    }

    /// `12 OPTIONS, 3 REGISTER` (non-zero ones, in that order).
    pub(crate) fn render(&self, out: &mut String) {
        let mut first = true;
        for (n, name) in [
            (self.options, "OPTIONS"),
            (self.register, "REGISTER"),
            (self.invite, "INVITE"),
            (self.other, "other requests"),
        ] {
            if n == 0 {
                continue;
            }
            if !first {
                out.push_str(", ");
            }
            first = false;
            let _ = write!(out, "{n} {name}");
        }
        if first {
            out.push_str("requests");
        }
    }
}
