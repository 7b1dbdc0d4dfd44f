//! Registration tracker (STUB — being written).

use argos_model::{Record, RegistrationRecord};

#[derive(Debug, Clone)]
pub struct RegConfig {
    pub max_bindings: usize,
}

impl Default for RegConfig {
    fn default() -> Self {
        RegConfig {
            max_bindings: 500_000,
        }
    }
}

#[derive(Debug)]
pub struct RegTracker {}

impl RegTracker {
    pub fn new(cfg: RegConfig) -> Self {
        let _ = cfg;
        RegTracker {}
    }
    pub fn observe(&mut self, r: &Record, out: &mut Vec<RegistrationRecord>) {
        let _ = (r, out);
    }
    pub fn tick(&mut self, now_us: i64, out: &mut Vec<RegistrationRecord>) {
        let _ = (now_us, out);
    }
    pub fn finish(&mut self, out: &mut Vec<RegistrationRecord>) {
        let _ = out;
    }
    pub fn len(&self) -> usize {
        0
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
