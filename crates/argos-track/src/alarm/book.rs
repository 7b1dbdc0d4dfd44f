//! The alarms currently open, and when they are (re-)emitted.
//!
//! One open alarm per (kind, subject). A rule "hits" it each time its condition holds;
//! the first hit emits the alarm at once, later hits update it in place (count, last
//! time, up to `max_evidence` messages) and re-emit it at most once per `reemit_us` of
//! record time, so the store, which replaces alarms by (kind, key, first_us), always has
//! a recent copy without one write per message. An alarm closes when its subject has
//! been quiet for `quiet_us` or it has lasted `max_span_us`; the next hit opens a new one.

use super::evidence;
use super::facts::Facts;
use super::hash::{hash_str, FxMap};
use argos_model::{Alarm, AlarmKind, Record, Severity};
use std::net::IpAddr;

/// What an alarm is about.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subject<'a> {
    Ip(IpAddr),
    Name(&'a str),
}

impl Subject<'_> {
    /// A 64-bit identity, so lookups do not build the key string.
    fn id(&self) -> u64 {
        match self {
            Subject::Ip(ip) => {
                let s = match ip {
                    IpAddr::V4(v4) => u64::from(u32::from(*v4)),
                    IpAddr::V6(v6) => {
                        let x = u128::from(*v6);
                        (x as u64) ^ ((x >> 64) as u64).rotate_left(17) ^ 0x6_0000_0000
                    }
                };
                s.wrapping_mul(0x9e37_79b9_7f4a_7c15)
            }
            Subject::Name(n) => hash_str(n) | 1,
        }
    }

    fn key(&self) -> String {
        match self {
            Subject::Ip(ip) => ip.to_string(),
            Subject::Name(n) => (*n).to_owned(),
        }
    }
}

/// Timing and size settings of the book.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BookLimits {
    pub(crate) reemit_us: i64,
    pub(crate) quiet_us: i64,
    pub(crate) max_span_us: i64,
    pub(crate) max_open: usize,
    pub(crate) max_evidence: usize,
}

#[derive(Debug)]
struct Open {
    alarm: Alarm,
    facts: Facts,
    last_emit_us: i64,
    /// Changed since it was last emitted.
    dirty: bool,
}

impl Open {
    fn expired(&self, now_us: i64, l: &BookLimits) -> bool {
        now_us - self.alarm.last_us > l.quiet_us || now_us - self.alarm.first_us > l.max_span_us
    }

    fn emit(&mut self, now_us: i64, out: &mut Vec<Alarm>) {
        self.facts
            .render(&self.alarm.key, self.alarm.count, &mut self.alarm.summary);
        out.push(self.alarm.clone());
        self.last_emit_us = now_us;
        self.dirty = false;
    }
}

/// One hit of a rule on an alarm.
#[derive(Debug)]
pub(crate) struct Hit<'a> {
    pub(crate) kind: AlarmKind,
    pub(crate) severity: Severity,
    pub(crate) subject: Subject<'a>,
    pub(crate) ts_us: i64,
    /// Added to the alarm's count.
    pub(crate) add: u64,
    /// The message that shows it, and the (label, value) that matched.
    pub(crate) record: Option<&'a Record>,
    pub(crate) matched: Option<(&'a str, &'a str)>,
}

#[derive(Debug)]
pub(crate) struct Book {
    open: FxMap<(AlarmKind, u64), Open>,
    limits: BookLimits,
}

impl Book {
    pub(crate) fn new(limits: BookLimits) -> Self {
        Book {
            open: FxMap::default(),
            limits,
        }
    }

    /// Whether an alarm for (kind, subject) is open (and not expired) at `now_us`.
    pub(crate) fn is_open(&self, kind: AlarmKind, subject: Subject<'_>, now_us: i64) -> bool {
        self.open
            .get(&(kind, subject.id()))
            .is_some_and(|o| !o.expired(now_us, &self.limits))
    }

    /// Records a hit: opens the alarm (with `init` facts) or updates it, then `update`s
    /// its facts. Returns true when this hit opened a new alarm.
    pub(crate) fn hit(
        &mut self,
        h: Hit<'_>,
        init: impl FnOnce() -> Facts,
        update: impl FnOnce(&mut Facts),
        out: &mut Vec<Alarm>,
    ) -> bool {
        let id = (h.kind, h.subject.id());
        let limits = self.limits;
        if let Some(o) = self.open.get_mut(&id) {
            if o.expired(h.ts_us, &limits) {
                if o.dirty {
                    o.emit(h.ts_us, out);
                }
                self.open.remove(&id);
            }
        }
        if !self.open.contains_key(&id) && self.open.len() >= limits.max_open {
            self.close_least_recent(out);
        }
        let mut opened = false;
        let o = self.open.entry(id).or_insert_with(|| {
            opened = true;
            Open {
                alarm: Alarm {
                    kind: h.kind,
                    severity: h.severity,
                    key: h.subject.key(),
                    first_us: h.ts_us,
                    last_us: h.ts_us,
                    count: 0,
                    summary: String::new(),
                    evidence: Vec::new(),
                },
                facts: init(),
                last_emit_us: i64::MIN,
                dirty: false,
            }
        });
        o.alarm.count += h.add;
        o.alarm.last_us = o.alarm.last_us.max(h.ts_us);
        o.alarm.severity = o.alarm.severity.max(h.severity);
        if let Some(r) = h.record {
            if o.alarm.evidence.len() < limits.max_evidence {
                o.alarm.evidence.push(evidence::of(r, h.matched));
            }
        }
        update(&mut o.facts);
        if opened || h.ts_us.saturating_sub(o.last_emit_us) >= limits.reemit_us {
            o.emit(h.ts_us, out);
        } else {
            o.dirty = true;
        }
        opened
    }

    /// Re-emits what changed and is due, closes what expired (emitting its last state).
    pub(crate) fn tick(&mut self, now_us: i64, out: &mut Vec<Alarm>) {
        let limits = self.limits;
        self.open.retain(|_, o| {
            let expired = o.expired(now_us, &limits);
            if o.dirty && (expired || now_us.saturating_sub(o.last_emit_us) >= limits.reemit_us) {
                o.emit(now_us, out);
            }
            !expired
        });
    }

    /// Emits every alarm that changed since it was last emitted, and forgets them all.
    pub(crate) fn finish(&mut self, out: &mut Vec<Alarm>) {
        for (_, mut o) in self.open.drain() {
            if o.dirty {
                let t = o.alarm.last_us;
                o.emit(t, out);
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.open.len()
    }

    fn close_least_recent(&mut self, out: &mut Vec<Alarm>) {
        let oldest = self
            .open
            .iter()
            .min_by_key(|(_, o)| o.alarm.last_us)
            .map(|(k, _)| *k);
        if let Some(k) = oldest {
            if let Some(mut o) = self.open.remove(&k) {
                if o.dirty {
                    let t = o.alarm.last_us;
                    o.emit(t, out);
                }
            }
        }
    }
}
