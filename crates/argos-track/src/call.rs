//! Call tracker: one state machine per INVITE dialog (STUB — being written).

use argos_model::{CallRecord, CallStatus, Record};

#[derive(Debug, Clone)]
pub struct CallConfig {
    /// Calls tracked at most; beyond it the oldest are written as they stand and forgotten.
    pub max_calls: usize,
}

impl Default for CallConfig {
    fn default() -> Self {
        CallConfig { max_calls: 200_000 }
    }
}

/// Cumulative counts since start, for Prometheus (`argos_calls_total{status}` ...).
#[derive(Debug, Clone, Default)]
pub struct CallCounters {
    /// Calls ended, by final status (index: position in [`CallStatus::ALL`]).
    pub ended: [u64; CallStatus::ALL.len()],
    /// Calls expired by a timeout or by the `max_calls` cap.
    pub expired: u64,
}

#[derive(Debug)]
pub struct CallTracker {
    counters: CallCounters,
}

impl CallTracker {
    pub fn new(cfg: CallConfig) -> Self {
        let _ = cfg;
        CallTracker {
            counters: CallCounters::default(),
        }
    }
    pub fn observe(&mut self, r: &Record, out: &mut Vec<CallRecord>) {
        let _ = (r, out);
    }
    pub fn tick(&mut self, now_us: i64, out: &mut Vec<CallRecord>) {
        let _ = (now_us, out);
    }
    pub fn finish(&mut self, out: &mut Vec<CallRecord>) {
        let _ = out;
    }
    pub fn len(&self) -> usize {
        0
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn counters(&self) -> &CallCounters {
        &self.counters
    }
}
