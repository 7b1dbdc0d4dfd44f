//! Call tracker: one state machine per call (all legs sharing a `call_key`), producing
//! [`CallRecord`]s.
//!
//! * A call starts with an INVITE outside a dialog whose key is not tracked; only INVITE
//!   dialogs make calls (OPTIONS, MESSAGE, SUBSCRIBE, REGISTER... never do).
//! * Legs are the hops of the call: a Call-ID between the two addresses its first INVITE
//!   went between, in order of first appearance; the first is the caller's and decides
//!   the status (see [`state`]).
//! * A record is written when the status changes to ringing or in-call, and once more
//!   when the call is over — after it lingered [`CallConfig::linger_us`] to take in the
//!   last ACK, the reply to the BYE and retransmissions. So a call is written at most
//!   three times and with a final status exactly once.
//! * Every call has one deadline in an ordered queue ([`deadlines`]): INVITE timeout,
//!   ringing timeout, wait for a retry after a challenge or redirect, maximum duration, end of lingering.
//!   [`CallTracker::tick`] only visits calls that are due; when the table is full the call
//!   closest to its deadline makes room.

mod deadlines;
mod media;
mod state;

pub(crate) use deadlines::{Deadlines, Slot};

use argos_model::{CallRecord, CallStatus, Record};
use state::{Call, Msg, Phase};
use std::collections::HashMap;
use std::sync::Arc;

const SECOND_US: i64 = 1_000_000;

#[derive(Debug, Clone)]
pub struct CallConfig {
    /// Calls tracked at most; beyond it the call closest to its deadline is concluded
    /// early (as a timeout would), written and forgotten.
    pub max_calls: usize,
    /// An INVITE without a final answer after this long times out (RFC 3261 Timer B,
    /// 64 × T1 = 32 s). Runs from the caller's latest INVITE transaction.
    pub invite_timeout_us: i64,
    /// A call that rang without a final answer after this long (from the first 18x)
    /// times out.
    pub ringing_timeout_us: i64,
    /// An answered call with no BYE after this long (from the answer) is concluded as
    /// answered, ended at its last message.
    pub max_duration_us: i64,
    /// After a 3xx, 401/407 or 422 to the caller's INVITE, how long to wait for the
    /// UAC's new INVITE on the same Call-ID (credentials, new target, longer session
    /// interval) before concluding the call with that answer.
    pub retry_wait_us: i64,
    /// How long an ended call is kept to absorb late messages before it is written with
    /// its final status and forgotten.
    pub linger_us: i64,
}

impl Default for CallConfig {
    fn default() -> Self {
        CallConfig {
            max_calls: 200_000,
            invite_timeout_us: 32 * SECOND_US,
            ringing_timeout_us: 180 * SECOND_US,
            max_duration_us: 4 * 3600 * SECOND_US,
            retry_wait_us: 5 * SECOND_US,
            linger_us: 5 * SECOND_US,
        }
    }
}

/// Cumulative counts since start, for Prometheus (`argos_calls_total{status}` ...).
#[derive(Debug, Clone, Default)]
pub struct CallCounters {
    /// Calls ended, by final status (index: position in [`CallStatus::ALL`]). Counted
    /// when the status becomes final, before the record is written.
    pub ended: [u64; CallStatus::ALL.len()],
    /// Calls concluded by a timeout (INVITE, ringing, maximum duration) or dropped early
    /// by the `max_calls` cap.
    pub expired: u64,
    /// Of `expired`, the calls dropped early by the `max_calls` cap.
    pub evicted: u64,
    /// New calls not tracked because the collector was shedding load
    /// ([`CallTracker::set_admitting`]).
    pub not_admitted: u64,
}

impl CallCounters {
    fn count_end(&mut self, status: CallStatus) {
        if let Some(i) = CallStatus::ALL.iter().position(|&s| s == status) {
            self.ended[i] += 1;
        }
    }

    /// Calls ended with `status`.
    pub fn ended_with(&self, status: CallStatus) -> u64 {
        CallStatus::ALL
            .iter()
            .position(|&s| s == status)
            .map_or(0, |i| self.ended[i])
    }
}

/// Why the tracker stops waiting for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Its deadline passed.
    Due(i64),
    /// The table is full.
    Evicted,
    /// Shutdown or end of an import: written as it stands.
    Finish,
}

#[derive(Debug)]
pub struct CallTracker {
    cfg: CallConfig,
    /// Boxed: a call is ~700 bytes inline and a hash table keeps many slots empty;
    /// boxing keeps the empty ones small (measured on lab calls: 3.2 → 2.65 KB RSS per
    /// tracked call, most of the rest being the record's strings).
    calls: HashMap<Arc<str>, Box<Call>>,
    deadlines: Deadlines<Arc<str>>,
    counters: CallCounters,
    /// Calls whose live status changed since the last [`CallTracker::take_live`].
    dirty: Vec<Arc<str>>,
    /// New calls are taken in (see [`CallTracker::set_admitting`]).
    admitting: bool,
}

impl CallTracker {
    pub fn new(cfg: CallConfig) -> Self {
        CallTracker {
            cfg: CallConfig {
                max_calls: cfg.max_calls.max(1),
                ..cfg
            },
            calls: HashMap::new(),
            deadlines: Deadlines::default(),
            counters: CallCounters::default(),
            dirty: Vec::new(),
            admitting: true,
        }
    }

    /// Load shedding: while off, INVITEs of calls not yet tracked are counted
    /// (`not_admitted`) and ignored, and the calls already tracked go on being tracked
    /// to their end. A call is tracked whole or not at all, so its record is never wrong
    /// for want of the messages that arrived while the collector was busy.
    pub fn set_admitting(&mut self, on: bool) {
        self.admitting = on;
    }

    /// Writes the calls whose live status (ringing, in call) changed since the last
    /// call and that are still live now; ended calls are written once, when they stop
    /// lingering.
    pub fn take_live(&mut self, out: &mut Vec<CallRecord>) {
        for key in self.dirty.drain(..) {
            if let Some(call) = self.calls.get_mut(&*key) {
                if call.dirty {
                    call.dirty = false;
                    if call.rec.status.is_live() {
                        out.push(call.rec.clone());
                    }
                }
            }
        }
    }

    /// Feeds one record (arrival order, `call_key` set); records whose call changed
    /// status are pushed to `out`.
    pub fn observe(&mut self, r: &Record, out: &mut Vec<CallRecord>) {
        let Some(m) = Msg::of(r) else {
            return;
        };
        let key = r
            .fields
            .call_key
            .as_deref()
            .filter(|k| !k.is_empty())
            .unwrap_or(m.call_id);
        if let Some(call) = self.calls.get_mut(key) {
            let before = call.rec.status;
            call.observe(&m);
            let after = call.rec.status;
            if after != before {
                if after.is_live() {
                    // Written at the next take_live, if still live then: a call that rings,
                    // is answered and ends between two flushes costs one write (its final
                    // record), not three.
                    if !call.dirty {
                        call.dirty = true;
                        self.dirty.push(call.rec.call_key.as_str().into());
                    }
                } else {
                    // Written when it stops lingering, so it is written final only once.
                    self.counters.count_end(after);
                }
            }
            let due = call.deadline(&self.cfg);
            call.slot = self.deadlines.reschedule(call.slot, due);
        } else if m.is_initial_invite() && !self.admitting {
            self.counters.not_admitted += 1;
        } else if m.is_initial_invite() {
            while self.calls.len() >= self.cfg.max_calls {
                let Some((_, victim)) = self.deadlines.pop_first() else {
                    break;
                };
                self.stop(&victim, Stop::Evicted, out);
            }
            let key: Arc<str> = key.into();
            let mut call = Box::new(Call::new(&key, &m));
            call.slot = self
                .deadlines
                .schedule(call.deadline(&self.cfg), key.clone());
            self.calls.insert(key, call);
        }
    }

    /// Concludes or forgets the calls whose deadline is at or before `now_us`.
    pub fn tick(&mut self, now_us: i64, out: &mut Vec<CallRecord>) {
        while let Some(((due, _), key)) = self.deadlines.pop_due(now_us) {
            self.stop(&key, Stop::Due(due), out);
        }
        debug_assert_eq!(
            self.deadlines.len(),
            self.calls.len(),
            "one deadline per call"
        );
    }

    /// Writes every call still tracked, as it stands (an answer awaiting the UAC's
    /// retry is concluded with that answer), and forgets them.
    pub fn finish(&mut self, out: &mut Vec<CallRecord>) {
        while let Some((_, key)) = self.deadlines.pop_first() {
            self.stop(&key, Stop::Finish, out);
        }
    }

    /// Removes the call `key` (already out of the deadline queue) and writes its record.
    fn stop(&mut self, key: &str, why: Stop, out: &mut Vec<CallRecord>) {
        let Some(mut call) = self.calls.remove(key) else {
            return;
        };
        let phase = call.phase;
        let concluded = match (why, phase) {
            (Stop::Due(at), _) => call.give_up(at),
            (Stop::Evicted, _) => call.give_up(call.last_seen_us),
            (Stop::Finish, Phase::AwaitRetry { .. }) => call.give_up(call.last_seen_us),
            (Stop::Finish, _) => false,
        };
        if concluded {
            self.counters.count_end(call.rec.status);
            // Waiting in vain for a final answer or a BYE is a timeout; an answer the UAC
            // did not follow up (challenge, redirect) is not.
            let timed_out = matches!(phase, Phase::Setup | Phase::InCall);
            match why {
                Stop::Evicted => {
                    self.counters.evicted += 1;
                    self.counters.expired += 1;
                }
                Stop::Due(_) if timed_out => self.counters.expired += 1,
                _ => {}
            }
        }
        out.push(call.rec);
    }

    /// Calls tracked now (ended ones still lingering included).
    pub fn len(&self) -> usize {
        self.calls.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn counters(&self) -> &CallCounters {
        &self.counters
    }
}

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;
