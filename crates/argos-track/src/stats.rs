//! Per-minute message counters ([`StatRow`]), named:
//!
//! * `req:{METHOD}` for the known methods ([`METHODS`]), `req:OTHER` for the rest;
//! * `rsp:{code}` for codes 100..=699, and `rsp:INVITE:{code}` / `rsp:REGISTER:{code}`
//!   for replies to those two methods;
//! * `reg:success` (2xx), `reg:challenge` (401/407) and `reg:failure` (other 3xx-6xx)
//!   for final replies to REGISTER.
//!
//! A counter is a small copyable key, so counting allocates nothing per message; names
//! are spelled out only when the minutes are taken.

use argos_model::{PayloadKind, Record, StatRow};
use std::collections::{BTreeMap, HashMap};

/// Methods counted under their own name.
pub const METHODS: [&str; 14] = [
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "REGISTER",
    "OPTIONS",
    "PRACK",
    "UPDATE",
    "INFO",
    "SUBSCRIBE",
    "NOTIFY",
    "REFER",
    "MESSAGE",
    "PUBLISH",
];

const MINUTE_US: i64 = 60_000_000;

/// One counter within a minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Counter {
    /// Index into [`METHODS`], or `METHODS.len()` for `OTHER`.
    Request(u8),
    Response(u16),
    InviteResponse(u16),
    RegisterResponse(u16),
    RegSuccess,
    RegChallenge,
    RegFailure,
}

impl Counter {
    fn name(self) -> String {
        match self {
            Counter::Request(i) => format!(
                "req:{}",
                METHODS.get(usize::from(i)).copied().unwrap_or("OTHER")
            ),
            Counter::Response(c) => format!("rsp:{c}"),
            Counter::InviteResponse(c) => format!("rsp:INVITE:{c}"),
            Counter::RegisterResponse(c) => format!("rsp:REGISTER:{c}"),
            Counter::RegSuccess => "reg:success".to_owned(),
            Counter::RegChallenge => "reg:challenge".to_owned(),
            Counter::RegFailure => "reg:failure".to_owned(),
        }
    }
}

fn method_index(m: &str) -> u8 {
    METHODS
        .iter()
        .position(|k| *k == m)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(METHODS.len() as u8)
}

/// Counters by minute (start of the minute, µs) until they are taken.
#[derive(Debug, Default)]
pub struct MinuteStats {
    minutes: BTreeMap<i64, HashMap<Counter, u64>>,
}

impl MinuteStats {
    /// Counts one record (SIP only) in the minute of its capture time.
    pub fn observe(&mut self, r: &Record) {
        if r.capture.kind != PayloadKind::SIP {
            return;
        }
        let f = &r.fields;
        let minute = r.capture.ts_us.div_euclid(MINUTE_US) * MINUTE_US;
        let mut add = |c: Counter| {
            *self
                .minutes
                .entry(minute)
                .or_default()
                .entry(c)
                .or_insert(0) += 1;
        };
        match (f.method.as_deref(), f.status) {
            (Some(m), _) => add(Counter::Request(method_index(m))),
            (None, Some(code)) if (100..=699).contains(&code) => {
                add(Counter::Response(code));
                match f.cseq_method.as_deref() {
                    Some("INVITE") => add(Counter::InviteResponse(code)),
                    Some("REGISTER") => {
                        add(Counter::RegisterResponse(code));
                        match code {
                            200..=299 => add(Counter::RegSuccess),
                            401 | 407 => add(Counter::RegChallenge),
                            300..=699 => add(Counter::RegFailure),
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// Moves counters of minutes before `now_us`'s minute (all, with `i64::MAX`) to `out`,
    /// sorted by minute then name.
    pub fn take(&mut self, now_us: i64, out: &mut Vec<StatRow>) {
        let current = now_us.div_euclid(MINUTE_US) * MINUTE_US;
        let keep = if now_us == i64::MAX {
            BTreeMap::new()
        } else {
            self.minutes.split_off(&current)
        };
        let done = std::mem::replace(&mut self.minutes, keep);
        for (minute_us, counters) in done {
            let start = out.len();
            out.extend(counters.into_iter().map(|(c, count)| StatRow {
                minute_us,
                name: c.name(),
                count,
            }));
            out[start..].sort_by(|a, b| a.name.cmp(&b.name));
        }
    }

    /// Minutes held (not yet taken).
    pub fn minutes(&self) -> usize {
        self.minutes.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;
    use crate::call::testkit::{record, Dialog, CALLEE, CALLER, T0};

    fn rows(s: &mut MinuteStats, now: i64) -> Vec<(i64, String, u64)> {
        let mut out = Vec::new();
        s.take(now, &mut out);
        out.into_iter()
            .map(|r| ((r.minute_us - T0) / 1_000_000, r.name, r.count))
            .collect()
    }

    #[test]
    fn counts_by_minute_and_name() {
        let mut s = MinuteStats::default();
        let d = Dialog::new("s");
        let at = |sec: i64, sip: String| record(T0 + sec * 1_000_000, CALLER, CALLEE, &sip);
        s.observe(&at(1, d.req("INVITE", 1, &[], "")));
        s.observe(&at(2, d.req("INVITE", 1, &[], "")));
        s.observe(&at(3, d.rsp(486, 1, "INVITE", &[], "")));
        s.observe(&at(4, d.req("FOO", 2, &[], "")));
        s.observe(&at(61, d.rsp(401, 1, "REGISTER", &[], "")));
        s.observe(&at(62, d.rsp(200, 2, "REGISTER", &[], "")));
        s.observe(&at(63, d.rsp(403, 3, "REGISTER", &[], "")));
        s.observe(&at(64, d.rsp(200, 1, "OPTIONS", &[], "")));
        let mut rtcp = at(65, d.req("BYE", 9, &[], ""));
        rtcp.capture.kind = PayloadKind::RTCP_JSON;
        s.observe(&rtcp);

        assert_eq!(
            rows(&mut s, T0 + 90 * 1_000_000),
            [
                (0, "req:INVITE".into(), 2),
                (0, "req:OTHER".into(), 1),
                (0, "rsp:486".into(), 1),
                (0, "rsp:INVITE:486".into(), 1),
            ]
        );
        assert_eq!(s.minutes(), 1, "the current minute is kept");
        assert_eq!(
            rows(&mut s, i64::MAX),
            [
                (60, "reg:challenge".into(), 1),
                (60, "reg:failure".into(), 1),
                (60, "reg:success".into(), 1),
                (60, "rsp:200".into(), 2),
                (60, "rsp:401".into(), 1),
                (60, "rsp:403".into(), 1),
                (60, "rsp:REGISTER:200".into(), 1),
                (60, "rsp:REGISTER:401".into(), 1),
                (60, "rsp:REGISTER:403".into(), 1),
            ]
        );
        assert_eq!(s.minutes(), 0);
    }
}
