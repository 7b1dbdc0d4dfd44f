//! What each kind of alarm remembers about itself, and its one-line summary.
//!
//! Rules update these small structs on every hit; the summary string is rendered only
//! when the alarm is emitted, so a flood of matching messages costs no formatting.

use super::tally::{CodeTally, MethodTally};
use std::fmt::Write as _;

/// Distinct users remembered per scanner User-Agent alarm.
pub(crate) const MAX_UA_USERS: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Facts {
    Scanner(ScannerFacts),
    Sqli(SqliFacts),
    Loop(LoopFacts),
    Flood(FloodFacts),
    Spike(SpikeFacts),
    RegFail(RegFailFacts),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ScannerFacts {
    /// The scanner User-Agent, when the alarm came from one.
    pub(crate) user_agent: Option<String>,
    pub(crate) methods: MethodTally,
    /// Hashes of the distinct users the scanner User-Agent's requests went to (capped).
    pub(crate) ua_users: Vec<u64>,
    /// Most distinct users probed in one window (capped, see `more_users`).
    pub(crate) users: usize,
    pub(crate) more_users: bool,
    /// Probes that got a 2xx or 18x (behaviour rule).
    pub(crate) answered: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SqliFacts {
    /// Where the first match was (`From user`, `User-Agent`...) and a sample of it.
    pub(crate) field: &'static str,
    pub(crate) sample: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct LoopFacts {
    pub(crate) loop_detected: u64,
    pub(crate) too_many_hops: u64,
    pub(crate) max_forwards_zero: u64,
    /// R-URI or To user of the last looping request/response, when known.
    pub(crate) user: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FloodFacts {
    pub(crate) peak_per_s: u64,
    pub(crate) seconds: u64,
    pub(crate) threshold: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SpikeFacts {
    /// Errors in the worst minute and the baseline it was compared with.
    pub(crate) worst_minute: u64,
    pub(crate) baseline: f64,
    pub(crate) codes: CodeTally,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RegFailFacts {
    /// Most failures counted in one window.
    pub(crate) worst_window: u64,
    pub(crate) window_s: u32,
    pub(crate) codes: CodeTally,
    /// Challenges (401/407) counted as failures: not followed by a success.
    pub(crate) unanswered_challenges: u64,
}

impl Facts {
    /// The alarm's one line for people.
    pub(crate) fn render(&self, key: &str, count: u64, out: &mut String) {
        out.clear();
        match self {
            Facts::Scanner(f) => {
                match &f.user_agent {
                    Some(ua) => {
                        let _ = write!(out, "{ua} from {key}: ");
                    }
                    None => {
                        let _ = write!(out, "{key} probed many users: ");
                    }
                }
                f.methods.render(out);
                // A tool's alarm counts the users its own requests went to; the
                // behaviour rule's, all users the source probed.
                let (users, more) = match f.user_agent {
                    Some(_) => (f.ua_users.len(), f.ua_users.len() >= MAX_UA_USERS),
                    None => (f.users, f.more_users),
                };
                let plus = if more { "+" } else { "" };
                let s = if users == 1 { "" } else { "s" };
                let _ = write!(out, " to {users}{plus} user{s}");
                if f.user_agent.is_none() {
                    let _ = write!(out, ", {} answered", f.answered);
                }
            }
            Facts::Sqli(f) => {
                let _ = write!(
                    out,
                    "SQL injection from {key} in {}: {} ({count} message{})",
                    f.field,
                    f.sample,
                    plural(count)
                );
            }
            Facts::Loop(f) => {
                let _ = write!(out, "loop at {key}: ");
                let mut parts = Vec::with_capacity(3);
                if f.loop_detected > 0 {
                    parts.push(format!("{} × 482 Loop Detected", f.loop_detected));
                }
                if f.too_many_hops > 0 {
                    parts.push(format!("{} × 483 Too Many Hops", f.too_many_hops));
                }
                if f.max_forwards_zero > 0 {
                    parts.push(format!(
                        "{} request{} with Max-Forwards: 0",
                        f.max_forwards_zero,
                        plural(f.max_forwards_zero)
                    ));
                }
                out.push_str(&parts.join(", "));
                if let Some(u) = &f.user {
                    let _ = write!(out, " (user {u})");
                }
            }
            Facts::Flood(f) => {
                let _ = write!(
                    out,
                    "flood from {key}: over {}/s for {} s, peak {}/s ({count} messages)",
                    f.threshold, f.seconds, f.peak_per_s
                );
            }
            Facts::Spike(f) => {
                let _ = write!(
                    out,
                    "error spike at {key}: {} 5xx/408 responses in a minute (baseline {:.1}/min): ",
                    f.worst_minute, f.baseline
                );
                f.codes.render(out);
            }
            Facts::RegFail(f) => {
                let _ = write!(
                    out,
                    "{} failed registrations from {key} within {} s: ",
                    f.worst_window, f.window_s
                );
                f.codes.render(out);
                if f.unanswered_challenges > 0 {
                    let _ = write!(
                        out,
                        " ({} challenge{} never answered by a success)",
                        f.unanswered_challenges,
                        plural(f.unanswered_challenges)
                    );
                }
            }
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
