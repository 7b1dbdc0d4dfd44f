//! What happened, not just what was sent: state machines over parsed SIP records.
//!
//! * [`call`] — one state machine per call (its INVITE dialogs on every leg, joined by
//!   `call_key`), producing [`argos_model::CallRecord`]s: written when it rings, when it
//!   is answered, and once with its final status a few seconds after it ends.
//! * [`register`] — REGISTER transactions per binding, producing
//!   [`argos_model::RegistrationRecord`]s.
//! * [`alarm`] — rules (scanners, SQL injection, loops, floods, error spikes,
//!   registration failure bursts) producing [`argos_model::Alarm`]s.
//! * [`stats`] — per-minute message counters ([`argos_model::StatRow`]).
//! * [`kpi`] — ASR, NER, ACD, PDD... from grouped call records.
//! * [`diagnose`] — a plain-language explanation of a failed or degraded call.
//!
//! [`Tracker`] runs the first four on the collector's writer thread (records in arrival
//! order, already linked: `call_key` set). It reads time from the records themselves, so
//! a pcap import gives the same results as live capture. Memory is bounded: dialogs that
//! never finish expire, and every table has a size cap.

pub mod alarm;
pub mod call;
pub mod diagnose;
pub mod kpi;
pub mod register;
pub mod stats;

use argos_model::{Alarm, CallRecord, Record, RegistrationRecord, StatRow};

/// Everything the tracker concluded since the last [`Tracker::take`].
#[derive(Debug, Default)]
pub struct TrackerOutput {
    /// Calls whose state changed (write them with `Store::put_calls`, which replaces).
    pub calls: Vec<CallRecord>,
    pub registrations: Vec<RegistrationRecord>,
    pub alarms: Vec<Alarm>,
    pub stats: Vec<StatRow>,
}

impl TrackerOutput {
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
            && self.registrations.is_empty()
            && self.alarms.is_empty()
            && self.stats.is_empty()
    }
}

/// Settings of all trackers.
#[derive(Debug, Clone, Default)]
pub struct TrackerConfig {
    pub calls: call::CallConfig,
    pub registrations: register::RegConfig,
    pub alarms: alarm::AlarmConfig,
}

/// The four trackers behind one door, for the writer thread and `argos import`.
#[derive(Debug)]
pub struct Tracker {
    calls: call::CallTracker,
    regs: register::RegTracker,
    alarms: alarm::AlarmEngine,
    stats: stats::MinuteStats,
    out: TrackerOutput,
}

impl Tracker {
    pub fn new(cfg: TrackerConfig) -> Self {
        Tracker {
            calls: call::CallTracker::new(cfg.calls),
            regs: register::RegTracker::new(cfg.registrations),
            alarms: alarm::AlarmEngine::new(cfg.alarms),
            stats: stats::MinuteStats::default(),
            out: TrackerOutput::default(),
        }
    }

    /// Feeds one record (arrival order, `call_key` already set).
    pub fn observe(&mut self, r: &Record) {
        self.stats.observe(r);
        self.calls.observe(r, &mut self.out.calls);
        self.regs.observe(r, &mut self.out.registrations);
        self.alarms.observe(r, &mut self.out.alarms);
    }

    /// Expires what timed out by `now_us` (wall clock when live; the last record's time
    /// when importing).
    pub fn tick(&mut self, now_us: i64) {
        self.calls.tick(now_us, &mut self.out.calls);
        self.regs.tick(now_us, &mut self.out.registrations);
        self.alarms.tick(now_us, &mut self.out.alarms);
    }

    /// What was concluded since the last call; per-minute counters are included up to
    /// the minute of `now_us` (the current minute is added to later, the store sums).
    pub fn take(&mut self, now_us: i64) -> TrackerOutput {
        self.calls.take_live(&mut self.out.calls);
        self.stats.take(now_us, &mut self.out.stats);
        drop_superseded_calls(&mut self.out.calls);
        std::mem::take(&mut self.out)
    }

    /// At shutdown or the end of an import: everything still tracked, as it stands.
    pub fn finish(&mut self) -> TrackerOutput {
        self.calls.finish(&mut self.out.calls);
        self.regs.finish(&mut self.out.registrations);
        self.alarms.finish(&mut self.out.alarms);
        self.stats.take(i64::MAX, &mut self.out.stats);
        drop_superseded_calls(&mut self.out.calls);
        std::mem::take(&mut self.out)
    }

    /// Whether new calls are tracked; see [`call::CallTracker::set_admitting`].
    pub fn set_admitting(&mut self, on: bool) {
        self.calls.set_admitting(on);
    }

    /// Sizes, for metrics: calls and bindings tracked now.
    pub fn tracked(&self) -> (usize, usize) {
        (self.calls.len(), self.regs.len())
    }

    pub fn call_counters(&self) -> &call::CallCounters {
        self.calls.counters()
    }
}

/// Drops in-progress call records followed by a later record of the same call in the
/// same batch: the store replaces by `call_key`, so only the last one would survive, and
/// a call that rings and is answered within one flush costs one write instead of two.
/// Final records are always kept: each is written (and counted by the server) once.
fn drop_superseded_calls(calls: &mut Vec<CallRecord>) {
    if calls.len() < 2 {
        return;
    }
    let mut later = std::collections::HashSet::with_capacity(calls.len());
    let keep: Vec<bool> = calls
        .iter()
        .rev()
        .map(|c| later.insert(c.call_key.as_str()) || !c.status.is_live())
        .collect();
    let mut keep = keep.into_iter().rev();
    calls.retain(|_| keep.next().unwrap_or(true));
}

#[cfg(test)]
mod tests {
    use super::*;
    use argos_model::CallStatus;

    fn rec(key: &str, status: CallStatus) -> CallRecord {
        CallRecord {
            call_key: key.into(),
            status,
            ..CallRecord::default()
        }
    }

    #[test]
    fn superseded_in_progress_records_are_dropped_finals_kept() {
        let mut calls = vec![
            rec("a", CallStatus::Ringing),
            rec("b", CallStatus::Ringing),
            rec("a", CallStatus::InCall),
            rec("c", CallStatus::Busy),
            rec("c", CallStatus::Ringing),
        ];
        drop_superseded_calls(&mut calls);
        let left: Vec<_> = calls
            .iter()
            .map(|c| (c.call_key.as_str(), c.status))
            .collect();
        assert_eq!(
            left,
            [
                ("b", CallStatus::Ringing),
                ("a", CallStatus::InCall),
                ("c", CallStatus::Busy),
                ("c", CallStatus::Ringing),
            ]
        );
    }
}
