//! Error-spike rule: 5xx and 408 responses per minute against their own baseline.
//!
//! The baseline is an exponentially weighted moving average of the previous minutes'
//! counts (minutes without errors count as 0). The alarm fires when the current
//! minute's count reaches `max(min_count, factor × baseline)`: `min_count` keeps a
//! quiet system from alarming on its first few errors, `factor` makes a busy system
//! alarm only on a real change. Keyed by HEP node name when the record has one (each
//! proxy has its own normal), else `all`.

/// Settings of the error-spike rule.
#[derive(Debug, Clone)]
pub struct ErrorSpikeConfig {
    pub enabled: bool,
    pub min_count: u64,
    pub factor: f64,
    /// Weight of the last minute in the baseline (0 < alpha <= 1).
    pub ewma_alpha: f64,
    /// One baseline per HEP node (else one for all traffic).
    pub per_node: bool,
}

impl Default for ErrorSpikeConfig {
    fn default() -> Self {
        ErrorSpikeConfig {
            enabled: true,
            min_count: 20,
            factor: 3.0,
            ewma_alpha: 0.3,
            per_node: true,
        }
    }
}

/// A final response that counts as an error for this rule.
pub(crate) fn is_error(status: u16) -> bool {
    status == 408 || (500..600).contains(&status)
}

/// One key's errors per minute.
#[derive(Debug)]
pub(crate) struct SpikeMeter {
    minute: i64,
    count: u64,
    baseline: f64,
    alarming: bool,
}

impl Default for SpikeMeter {
    fn default() -> Self {
        SpikeMeter {
            minute: i64::MIN,
            count: 0,
            baseline: 0.0,
            alarming: false,
        }
    }
}

/// What one error did: the count to add to the alarm, the minute's count, the baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SpikeStep {
    pub(crate) add: u64,
    pub(crate) minute_count: u64,
    pub(crate) baseline: f64,
}

impl SpikeMeter {
    /// Counts one error at `ts_us`; `Some` when the minute is (still) a spike.
    pub(crate) fn error(&mut self, ts_us: i64, cfg: &ErrorSpikeConfig) -> Option<SpikeStep> {
        let m = ts_us.div_euclid(60_000_000);
        if self.minute == i64::MIN {
            self.minute = m;
        } else if m > self.minute {
            let a = cfg.ewma_alpha.clamp(0.01, 1.0);
            self.baseline = a * self.count as f64 + (1.0 - a) * self.baseline;
            // Minutes with no error at all pull the baseline down too.
            let empty = (m - self.minute - 1).min(1_000) as i32;
            self.baseline *= (1.0 - a).powi(empty);
            self.minute = m;
            self.count = 0;
            self.alarming = false;
        }
        self.count += 1;
        let threshold = (cfg.min_count.max(1) as f64).max(cfg.factor * self.baseline);
        if (self.count as f64) < threshold {
            return None;
        }
        let add = if self.alarming { 1 } else { self.count };
        self.alarming = true;
        Some(SpikeStep {
            add,
            minute_count: self.count,
            baseline: self.baseline,
        })
    }
}
