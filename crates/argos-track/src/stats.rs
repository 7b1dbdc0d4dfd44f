//! Per-minute message counters (STUB — being written).

use argos_model::{Record, StatRow};

#[derive(Debug, Default)]
pub struct MinuteStats {}

impl MinuteStats {
    pub fn observe(&mut self, r: &Record) {
        let _ = r;
    }
    /// Moves counters of minutes before `now_us`'s minute (all, with `i64::MAX`) to `out`.
    pub fn take(&mut self, now_us: i64, out: &mut Vec<StatRow>) {
        let _ = (now_us, out);
    }
}
