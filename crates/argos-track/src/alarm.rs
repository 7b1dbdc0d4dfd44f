//! Alarm rules (STUB — being written).

use argos_model::{Alarm, Record};

#[derive(Debug, Clone, Default)]
pub struct AlarmConfig {}

#[derive(Debug)]
pub struct AlarmEngine {}

impl AlarmEngine {
    pub fn new(cfg: AlarmConfig) -> Self {
        let _ = cfg;
        AlarmEngine {}
    }
    pub fn observe(&mut self, r: &Record, out: &mut Vec<Alarm>) {
        let _ = (r, out);
    }
    pub fn tick(&mut self, now_us: i64, out: &mut Vec<Alarm>) {
        let _ = (now_us, out);
    }
    pub fn finish(&mut self, out: &mut Vec<Alarm>) {
        let _ = out;
    }
}
