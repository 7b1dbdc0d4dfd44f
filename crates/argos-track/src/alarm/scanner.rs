//! Scanner rule: known scanner User-Agents, and one source probing many users.
//!
//! * User-Agent: a request whose User-Agent contains one of the configured tool names
//!   (whole words, case-insensitive) raises a Scanner alarm keyed by its source IP.
//! * Behaviour: one source sending initial INVITE/REGISTER/OPTIONS (no To tag) to at
//!   least `distinct_users` users (R-URI user, else To user) within `window_s`. A proxy
//!   or SBC does that all day, so the rule also needs the probes to have failed: at
//!   least half of them got a final response back to the source (the capture sees both
//!   directions), and fewer than `max_answered_pct` % of them (401/407 challenges left
//!   out) were answered 18x/2xx. Enumeration tools get 404/403 for most users they try.

use super::hash::hash_str;
use argos_model::MessageFields;
use regex::Regex;

/// Settings of the scanner rule.
#[derive(Debug, Clone)]
pub struct ScannerConfig {
    pub enabled: bool,
    /// Tool names looked for in User-Agent headers (whole words, case-insensitive).
    pub user_agents: Vec<String>,
    /// Distinct users one source must probe within the window (behaviour rule; 0: off).
    pub distinct_users: usize,
    pub window_s: u32,
    /// The behaviour rule fires only when fewer than this % of the probes were answered.
    pub max_answered_pct: u32,
}

impl Default for ScannerConfig {
    fn default() -> Self {
        ScannerConfig {
            enabled: true,
            user_agents: [
                "friendly-scanner",
                "sipvicious",
                "sipcli",
                "sip-scan",
                "sipscan",
                "sundayddr",
                "VaxSIPUserAgent",
                "iWar",
                "SIPBomber",
                "pplsip",
                "smap",
                "sip-scanner",
                "Nmap NSE",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
            distinct_users: 20,
            window_s: 60,
            max_answered_pct: 20,
        }
    }
}

/// Matches User-Agent strings against the configured tool names (whole words,
/// case-insensitive). Also used by `argos grep` for its list of scanners seen.
#[derive(Debug)]
pub struct UaMatcher {
    re: Option<Regex>,
}

impl UaMatcher {
    pub fn new(names: &[String]) -> Self {
        let alts: Vec<String> = names
            .iter()
            .filter(|n| !n.trim().is_empty())
            .map(|n| regex::escape(n.trim()))
            .collect();
        if alts.is_empty() {
            return UaMatcher { re: None };
        }
        // ASCII word boundaries: "iWar" matches "iWar/0.1" but not "Kiwari".
        let pattern = format!(r"(?i)(?-u:\b)(?:{})(?-u:\b)", alts.join("|"));
        UaMatcher {
            re: Regex::new(&pattern).ok(),
        }
    }

    /// The tool name found in `ua`, when one is.
    pub fn find<'u>(&self, ua: &'u str) -> Option<&'u str> {
        self.re.as_ref()?.find(ua).map(|m| m.as_str())
    }
}

/// Most distinct users remembered per source and window (beyond: counted as "+").
pub(crate) const MAX_USERS: usize = 64;

/// One source's probes in the current window.
#[derive(Debug, Default)]
pub(crate) struct ProbeWindow {
    start_us: i64,
    probes: u32,
    /// Final responses back to the source, challenges among them, and 18x/2xx.
    finals: u32,
    challenges: u32,
    answered: u32,
    /// Hashes of the distinct users probed (at most [`MAX_USERS`]).
    users: Vec<u64>,
    more_users: bool,
}

/// What the behaviour rule concluded for one probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProbeVerdict {
    pub(crate) users: usize,
    pub(crate) more_users: bool,
    pub(crate) answered: u32,
    pub(crate) suspicious: bool,
}

/// The method when `f` is an initial probe request (INVITE/REGISTER/OPTIONS, no To tag).
pub(crate) fn probe_method(f: &MessageFields) -> Option<&str> {
    let m = f.method.as_deref()?;
    let is_probe = matches!(m, "INVITE" | "REGISTER" | "OPTIONS") && f.to_tag.is_none();
    is_probe.then_some(m)
}

pub(crate) fn probed_user<'f>(f: &'f MessageFields, method: &str) -> Option<&'f str> {
    if method == "REGISTER" {
        // A REGISTER's R-URI is the registrar's domain; the user is in To.
        f.to_user.as_deref().or(f.ruri_user.as_deref())
    } else {
        f.ruri_user.as_deref().or(f.to_user.as_deref())
    }
}

impl ProbeWindow {
    fn roll(&mut self, ts_us: i64, window_us: i64) {
        // Slightly older records (several capture agents) still belong to this window.
        if ts_us - self.start_us > window_us {
            self.start_us = ts_us;
            self.probes = 0;
            self.finals = 0;
            self.challenges = 0;
            self.answered = 0;
            self.users.clear();
            self.more_users = false;
        }
    }

    /// Counts one probe request from this source.
    pub(crate) fn probe(
        &mut self,
        f: &MessageFields,
        method: &str,
        ts_us: i64,
        cfg: &ScannerConfig,
    ) -> ProbeVerdict {
        self.roll(ts_us, i64::from(cfg.window_s) * 1_000_000);
        self.probes = self.probes.saturating_add(1);
        if let Some(u) = probed_user(f, method) {
            let h = hash_str(u);
            if !self.users.contains(&h) {
                if self.users.len() < MAX_USERS.max(cfg.distinct_users) {
                    self.users.push(h);
                } else {
                    self.more_users = true;
                }
            }
        }
        self.verdict(cfg)
    }

    /// Counts one final response (or 18x) sent back to this source.
    pub(crate) fn response(&mut self, status: u16, ts_us: i64, cfg: &ScannerConfig) {
        if ts_us - self.start_us > i64::from(cfg.window_s) * 1_000_000 {
            return; // belongs to a window already over
        }
        if status >= 200 {
            self.finals = self.finals.saturating_add(1);
        }
        match status {
            401 | 407 => self.challenges = self.challenges.saturating_add(1),
            180..=189 | 200..=299 => self.answered = self.answered.saturating_add(1),
            _ => {}
        }
    }

    fn verdict(&self, cfg: &ScannerConfig) -> ProbeVerdict {
        let probes = u64::from(self.probes);
        let effective = probes.saturating_sub(u64::from(self.challenges));
        let answered = u64::from(self.answered).min(effective);
        let suspicious = cfg.distinct_users > 0
            && self.users.len() >= cfg.distinct_users
            && u64::from(self.finals) * 2 >= probes
            && answered * 100 < effective * u64::from(cfg.max_answered_pct);
        ProbeVerdict {
            users: self.users.len(),
            more_users: self.more_users,
            answered: self.answered,
            suspicious,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_names_match_as_whole_words_only() {
        let m = UaMatcher::new(&ScannerConfig::default().user_agents);
        assert_eq!(m.find("friendly-scanner"), Some("friendly-scanner"));
        assert_eq!(m.find("SIPVicious 0.3.4"), Some("SIPVicious"));
        assert_eq!(m.find("iWar v0.1"), Some("iWar"));
        assert_eq!(m.find("sipcli/v1.8"), Some("sipcli"));
        assert_eq!(m.find("Asterisk PBX 18.2.0"), None);
        assert_eq!(m.find("Kiwarmo phone"), None);
        assert_eq!(m.find("Linphone/3.6 (belle-sip/1.3)"), None);
        assert_eq!(m.find("smapper"), None);
    }
}
