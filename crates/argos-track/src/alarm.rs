//! Alarm rules over SIP records in arrival order: scanners, SQL injection, loops, floods,
//! error spikes and registration-failure bursts.
//!
//! Time is the records' own time (`ts_us`), so importing a pcap raises the same alarms
//! as capturing it live. Each rule lives in its own module:
//!
//! | rule | module | keyed by |
//! |---|---|---|
//! | [`AlarmKind::Scanner`] | [`scanner`] | source IP |
//! | [`AlarmKind::SqlInjection`] | [`sqli`] | source IP |
//! | [`AlarmKind::Loop`] | [`loops`] | the hop that detects the loop |
//! | [`AlarmKind::Flood`] | [`flood`] | source IP |
//! | [`AlarmKind::ErrorSpike`] | [`spike`] | HEP node, else `all` |
//! | [`AlarmKind::RegistrationFailures`] | [`regfail`] | the REGISTER's source IP |
//!
//! Alarm lifecycle (see `book`): one open alarm per (kind, key); the first hit emits it,
//! later hits update it (count, `last_us`, up to `max_evidence` messages) and re-emit it
//! at most once per `reemit_s` of record time with the same `first_us` (the store
//! replaces by (kind, key, first_us)). It closes after `quiet_close_s` without a hit or
//! `max_span_s` after it opened; a later hit opens a new alarm.
//!
//! Cost per message: one lookup in the per-source table (two for a response), one in the
//! User-Agent verdict cache for a request, byte scans of short user fields, and the
//! Max-Forwards scan of a request's header section. Nothing is allocated per message
//! except evidence for the first few hits of an alarm. Every table is size-capped.

mod book;
mod bounded;
mod evidence;
mod facts;
pub mod flood;
mod hash;
pub mod loops;
pub mod regfail;
pub mod scanner;
pub mod spike;
pub mod sqli;
mod tally;

pub use flood::FloodConfig;
pub use loops::LoopConfig;
pub use regfail::RegFailConfig;
pub use scanner::{ScannerConfig, UaMatcher};
pub use spike::ErrorSpikeConfig;
pub use sqli::SqlInjectionConfig;

use argos_model::{Alarm, AlarmKind, Record, Severity};
use book::{Book, BookLimits, Hit, Subject};
use bounded::Bounded;
use facts::{
    Facts, FloodFacts, LoopFacts, RegFailFacts, ScannerFacts, SpikeFacts, SqliFacts, MAX_UA_USERS,
};
use std::net::IpAddr;

/// Settings of every rule and of the alarm lifecycle.
#[derive(Debug, Clone)]
pub struct AlarmConfig {
    pub scanner: ScannerConfig,
    pub sql_injection: SqlInjectionConfig,
    pub loops: LoopConfig,
    pub flood: FloodConfig,
    pub error_spike: ErrorSpikeConfig,
    pub registration_failures: RegFailConfig,
    /// An updated alarm is emitted again at most this often (record time).
    pub reemit_s: u32,
    /// An alarm with no hit for this long is closed.
    pub quiet_close_s: u32,
    /// An alarm open this long is closed even if still hit (a new one opens).
    pub max_span_s: u32,
    pub max_open_alarms: usize,
    /// Sources (IPs) tracked at most; the least recently seen are forgotten first.
    pub max_sources: usize,
    /// Evidence messages kept per alarm.
    pub max_evidence: usize,
}

impl Default for AlarmConfig {
    fn default() -> Self {
        AlarmConfig {
            scanner: ScannerConfig::default(),
            sql_injection: SqlInjectionConfig::default(),
            loops: LoopConfig::default(),
            flood: FloodConfig::default(),
            error_spike: ErrorSpikeConfig::default(),
            registration_failures: RegFailConfig::default(),
            reemit_s: 10,
            quiet_close_s: 300,
            max_span_s: 3_600,
            max_open_alarms: 4_096,
            max_sources: 65_536,
            max_evidence: 5,
        }
    }
}

/// Distinct User-Agent verdicts cached, and HEP nodes tracked by the spike rule.
const MAX_UA_VERDICTS: usize = 8_192;
const MAX_SPIKE_KEYS: usize = 1_024;

/// What the per-source table holds for one IP.
#[derive(Debug, Default)]
struct SourceState {
    flood: flood::FloodMeter,
    probes: scanner::ProbeWindow,
    registrations: regfail::RegWindow,
}

/// What a User-Agent string is, decided once per distinct string.
#[derive(Debug, Clone, Copy)]
struct UaVerdict {
    scanner: bool,
    sql: bool,
}

/// The rules, their state and the open alarms.
#[derive(Debug)]
pub struct AlarmEngine {
    cfg: AlarmConfig,
    book: Book,
    sources: Bounded<IpAddr, SourceState>,
    ua_verdicts: Bounded<u64, UaVerdict>,
    spikes: Bounded<u64, spike::SpikeMeter>,
    ua: scanner::UaMatcher,
    sql: sqli::SqlDetector,
    max_forwards: loops::MaxForwardsZero,
}

impl AlarmEngine {
    pub fn new(cfg: AlarmConfig) -> Self {
        let limits = BookLimits {
            reemit_us: i64::from(cfg.reemit_s) * 1_000_000,
            quiet_us: i64::from(cfg.quiet_close_s.max(1)) * 1_000_000,
            max_span_us: i64::from(cfg.max_span_s.max(1)) * 1_000_000,
            max_open: cfg.max_open_alarms.max(1),
            max_evidence: cfg.max_evidence,
        };
        AlarmEngine {
            book: Book::new(limits),
            sources: Bounded::new(cfg.max_sources),
            ua_verdicts: Bounded::new(MAX_UA_VERDICTS),
            spikes: Bounded::new(MAX_SPIKE_KEYS),
            ua: scanner::UaMatcher::new(&cfg.scanner.user_agents),
            sql: sqli::SqlDetector::new(),
            max_forwards: loops::MaxForwardsZero::new(),
            cfg,
        }
    }

    /// Feeds one record (arrival order); alarms opened or due for re-emission go to `out`.
    pub fn observe(&mut self, r: &Record, out: &mut Vec<Alarm>) {
        let f = &r.fields;
        if let Some(method) = f.method.as_deref() {
            self.count_flood(r, out);
            self.request(r, method, out);
        } else if let Some(status) = f.status {
            self.count_flood(r, out);
            self.response(r, status, out);
        }
        // Non-SIP payloads (RTCP reports, logs) are not what these rules are about.
    }

    /// Re-emits updated alarms that are due and closes the quiet ones, at `now_us`.
    pub fn tick(&mut self, now_us: i64, out: &mut Vec<Alarm>) {
        self.book.tick(now_us, out);
    }

    /// At shutdown or the end of an import: every alarm changed since it was last emitted.
    pub fn finish(&mut self, out: &mut Vec<Alarm>) {
        self.book.finish(out);
    }

    /// Alarms open now.
    pub fn open_alarms(&self) -> usize {
        self.book.len()
    }

    /// Source IPs tracked now (at most `max_sources`).
    pub fn tracked_sources(&self) -> usize {
        self.sources.len()
    }

    fn count_flood(&mut self, r: &Record, out: &mut Vec<Alarm>) {
        let ts = r.capture.ts_us;
        let src = r.capture.src.ip();
        let state = self.sources.entry(src, ts, SourceState::default);
        if !self.cfg.flood.enabled {
            return;
        }
        let step = state.flood.count(ts, &self.cfg.flood);
        let seconds = state.flood.run_seconds();
        let threshold = u64::from(self.cfg.flood.msgs_per_s);
        let subject = Subject::Ip(src);
        if let Some((add, total)) = step.tail {
            if self.book.is_open(AlarmKind::Flood, subject, ts) {
                self.book.hit(
                    hit(AlarmKind::Flood, Severity::Critical, subject, ts, add, None),
                    || Facts::Flood(FloodFacts::default()),
                    |fa| {
                        if let Facts::Flood(fl) = fa {
                            fl.peak_per_s = fl.peak_per_s.max(total);
                        }
                    },
                    out,
                );
            }
        }
        if let Some((add, started)) = step.cross {
            self.book.hit(
                hit(
                    AlarmKind::Flood,
                    Severity::Critical,
                    subject,
                    ts,
                    add,
                    Some(r),
                ),
                || Facts::Flood(FloodFacts::default()),
                |fa| {
                    if let Facts::Flood(fl) = fa {
                        fl.threshold = threshold;
                        fl.peak_per_s = fl.peak_per_s.max(threshold);
                        fl.seconds += if started { seconds } else { 1 };
                    }
                },
                out,
            );
        }
    }

    fn request(&mut self, r: &Record, method: &str, out: &mut Vec<Alarm>) {
        let f = &r.fields;
        let ts = r.capture.ts_us;
        let src = r.capture.src.ip();
        let ua = f
            .user_agent
            .as_deref()
            .map(|ua| (ua, self.ua_verdict(ua, ts)));

        if self.cfg.scanner.enabled {
            self.scanner(r, method, ua, out);
        }
        if self.cfg.sql_injection.enabled {
            let ua_sql = ua.filter(|(_, v)| v.sql).map(|(ua, _)| ("User-Agent", ua));
            let found = self.sql.check_users(f).or(ua_sql);
            let raw_found;
            let found = match found {
                Some(x) => Some(x),
                None if self.sql.has_quote(&r.capture.payload) => {
                    raw_found = sqli::check_name_headers(&mut self.sql, &r.capture.payload);
                    raw_found.as_ref().map(|(n, v)| (*n, v.as_str()))
                }
                None => None,
            };
            if let Some((label, value)) = found {
                let sample = evidence::clip(value, 80).to_owned();
                self.book.hit(
                    Hit {
                        matched: Some((label, value)),
                        ..hit(
                            AlarmKind::SqlInjection,
                            Severity::Critical,
                            Subject::Ip(src),
                            ts,
                            1,
                            Some(r),
                        )
                    },
                    || {
                        Facts::Sqli(SqliFacts {
                            field: label,
                            sample,
                        })
                    },
                    |_| {},
                    out,
                );
            }
        }
        if self.cfg.loops.enabled
            && method != "OPTIONS"
            && self.max_forwards.found_in(&r.capture.payload)
        {
            let user = f.ruri_user.as_deref().or(f.to_user.as_deref());
            self.book.hit(
                Hit {
                    matched: Some(("Max-Forwards", "0")),
                    ..hit(
                        AlarmKind::Loop,
                        Severity::Warning,
                        Subject::Ip(r.capture.dst.ip()),
                        ts,
                        1,
                        Some(r),
                    )
                },
                || Facts::Loop(LoopFacts::default()),
                |fa| {
                    if let Facts::Loop(l) = fa {
                        l.max_forwards_zero += 1;
                        set_user(&mut l.user, user);
                    }
                },
                out,
            );
        }
    }

    /// The scanner rule for one request: a known tool's User-Agent, or a source whose
    /// probes look like enumeration.
    fn scanner(
        &mut self,
        r: &Record,
        method: &str,
        ua: Option<(&str, UaVerdict)>,
        out: &mut Vec<Alarm>,
    ) {
        let f = &r.fields;
        let ts = r.capture.ts_us;
        let src = r.capture.src.ip();
        let cfg = &self.cfg.scanner;
        let verdict = match (scanner::probe_method(f), self.sources.get_mut(&src, ts)) {
            (Some(m), Some(state)) => Some(state.probes.probe(f, m, ts, cfg)),
            _ => None,
        };
        let by_ua = ua.filter(|(_, v)| v.scanner).map(|(ua, _)| ua);
        let by_behaviour = verdict.is_some_and(|v| v.suspicious);
        if by_ua.is_none() && !by_behaviour {
            return;
        }
        let subject = Subject::Ip(src);
        let opening = !self.book.is_open(AlarmKind::Scanner, subject, ts);
        let user =
            scanner::probe_method(f).map_or(f.ruri_user.as_deref(), |m| scanner::probed_user(f, m));
        // The tool's User-Agent, else the user probed (a REGISTER's start line lacks it).
        let matched = by_ua
            .map(|ua| ("User-Agent", ua))
            .or(user.map(|u| ("probed user", u)));
        let tool = by_ua.map(|ua| evidence::clip(ua, 60).to_owned());
        let tool_at_open = tool.clone();
        self.book.hit(
            Hit {
                matched,
                ..hit(
                    AlarmKind::Scanner,
                    Severity::Warning,
                    subject,
                    ts,
                    1,
                    Some(r),
                )
            },
            move || {
                Facts::Scanner(ScannerFacts {
                    user_agent: tool_at_open,
                    ..ScannerFacts::default()
                })
            },
            move |fa| {
                if let Facts::Scanner(s) = fa {
                    s.methods.add(method);
                    if let (Some(_), Some(u)) = (by_ua, user) {
                        let h = hash::hash_str(u);
                        if s.ua_users.len() < MAX_UA_USERS && !s.ua_users.contains(&h) {
                            s.ua_users.push(h);
                        }
                    }
                    if s.user_agent.is_none() && !opening {
                        s.user_agent = tool;
                    }
                    if let Some(v) = verdict {
                        s.users = s.users.max(v.users);
                        s.more_users |= v.more_users;
                        s.answered = s.answered.max(u64::from(v.answered));
                    }
                }
            },
            out,
        );
    }

    fn response(&mut self, r: &Record, status: u16, out: &mut Vec<Alarm>) {
        let f = &r.fields;
        let ts = r.capture.ts_us;
        let dst = r.capture.dst.ip();
        let cseq = f.cseq_method.as_deref().unwrap_or("");

        // The response goes back to the request's sender: its probe window and
        // registration window are the destination's.
        let reg_step = if cseq == "REGISTER" {
            let state = self.sources.entry(dst, ts, SourceState::default);
            state.probes.response(status, ts, &self.cfg.scanner);
            if self.cfg.registration_failures.enabled {
                state
                    .registrations
                    .response(status, ts, &self.cfg.registration_failures)
            } else {
                None
            }
        } else {
            if matches!(cseq, "INVITE" | "OPTIONS") {
                if let Some(state) = self.sources.get_mut(&dst, ts) {
                    state.probes.response(status, ts, &self.cfg.scanner);
                }
            }
            None
        };
        if let Some(step) = reg_step {
            let window_s = self.cfg.registration_failures.window_s;
            self.book.hit(
                hit(
                    AlarmKind::RegistrationFailures,
                    Severity::Warning,
                    Subject::Ip(dst),
                    ts,
                    step.add,
                    Some(r),
                ),
                || Facts::RegFail(RegFailFacts::default()),
                |fa| {
                    if let Facts::RegFail(rf) = fa {
                        rf.window_s = window_s;
                        if step.failures >= rf.worst_window {
                            rf.worst_window = step.failures;
                            rf.codes = step.codes;
                            rf.unanswered_challenges = step.unanswered_challenges;
                        }
                    }
                },
                out,
            );
        }

        if self.cfg.loops.enabled && (status == 482 || status == 483) {
            let user = f.to_user.as_deref();
            self.book.hit(
                hit(
                    AlarmKind::Loop,
                    Severity::Warning,
                    Subject::Ip(r.capture.src.ip()),
                    ts,
                    1,
                    Some(r),
                ),
                || Facts::Loop(LoopFacts::default()),
                |fa| {
                    if let Facts::Loop(l) = fa {
                        if status == 482 {
                            l.loop_detected += 1;
                        } else {
                            l.too_many_hops += 1;
                        }
                        set_user(&mut l.user, user);
                    }
                },
                out,
            );
        }

        if self.cfg.error_spike.enabled && spike::is_error(status) {
            self.error_spike(r, status, out);
        }
    }

    fn error_spike(&mut self, r: &Record, status: u16, out: &mut Vec<Alarm>) {
        let ts = r.capture.ts_us;
        let node = match (&r.capture.node, self.cfg.error_spike.per_node) {
            (Some(n), true) if !n.is_empty() => &**n,
            _ => "all",
        };
        let meter = self
            .spikes
            .entry(hash::hash_str(node), ts, spike::SpikeMeter::default);
        let Some(step) = meter.error(ts, &self.cfg.error_spike) else {
            return;
        };
        self.book.hit(
            hit(
                AlarmKind::ErrorSpike,
                Severity::Critical,
                Subject::Name(node),
                ts,
                step.add,
                Some(r),
            ),
            || Facts::Spike(SpikeFacts::default()),
            |fa| {
                if let Facts::Spike(s) = fa {
                    if step.minute_count >= s.worst_minute {
                        s.worst_minute = step.minute_count;
                        s.baseline = step.baseline;
                    }
                    s.codes.add(status, step.add);
                }
            },
            out,
        );
    }

    fn ua_verdict(&mut self, ua: &str, ts: i64) -> UaVerdict {
        let key = hash::hash_str(ua);
        if let Some(v) = self.ua_verdicts.get_mut(&key, ts) {
            return *v;
        }
        let v = UaVerdict {
            scanner: self.ua.find(ua).is_some(),
            sql: self.sql.matches(ua),
        };
        *self.ua_verdicts.entry(key, ts, || v) = v;
        v
    }
}

fn hit<'a>(
    kind: AlarmKind,
    severity: Severity,
    subject: Subject<'a>,
    ts_us: i64,
    add: u64,
    record: Option<&'a Record>,
) -> Hit<'a> {
    Hit {
        kind,
        severity,
        subject,
        ts_us,
        add,
        record,
        matched: None,
    }
}

/// Keeps the last user named by a loop hit, reusing the string's buffer.
fn set_user(slot: &mut Option<String>, user: Option<&str>) {
    if let Some(u) = user {
        let s = slot.get_or_insert_with(String::new);
        s.clear();
        s.push_str(evidence::clip(u, 64));
    }
}
