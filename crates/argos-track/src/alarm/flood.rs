//! Flood rule: one source sending more than `msgs_per_s` SIP messages in each of
//! `sustain_s` consecutive seconds (record time).
//!
//! Each source keeps one counter for the current second and the length of its current
//! run of over-threshold seconds. The alarm is hit once per over-threshold second (when
//! the count crosses the threshold, and with the rest of that second's messages when
//! the next second starts), not once per message.

/// Settings of the flood rule.
#[derive(Debug, Clone)]
pub struct FloodConfig {
    pub enabled: bool,
    pub msgs_per_s: u32,
    pub sustain_s: u32,
}

impl Default for FloodConfig {
    fn default() -> Self {
        FloodConfig {
            enabled: true,
            msgs_per_s: 2_000,
            sustain_s: 5,
        }
    }
}

/// One source's message rate.
#[derive(Debug, Default)]
pub(crate) struct FloodMeter {
    sec: i64,
    n: u32,
    /// Completed consecutive seconds over the threshold just before `sec`, and their messages.
    run_secs: u32,
    run_msgs: u64,
    /// The current run has raised the alarm.
    alarming: bool,
}

/// What one message did to the meter.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FloodStep {
    /// A second that was over the threshold while alarming ended: its messages after the
    /// crossing, and its total.
    pub(crate) tail: Option<(u64, u64)>,
    /// This message made the run long enough (or extended an alarming run): messages to
    /// add, and whether the run just started alarming.
    pub(crate) cross: Option<(u64, bool)>,
}

impl FloodMeter {
    pub(crate) fn count(&mut self, ts_us: i64, cfg: &FloodConfig) -> FloodStep {
        let rate = cfg.msgs_per_s.max(1);
        let mut step = FloodStep::default();
        let s = ts_us.div_euclid(1_000_000);
        if s > self.sec {
            let over = self.n >= rate;
            if over && self.alarming {
                step.tail = Some((u64::from(self.n - rate), u64::from(self.n)));
            }
            if over && s == self.sec + 1 {
                self.run_secs += 1;
                self.run_msgs += u64::from(self.n);
            } else {
                self.run_secs = 0;
                self.run_msgs = 0;
                self.alarming = false;
            }
            self.sec = s;
            self.n = 0;
        }
        self.n = self.n.saturating_add(1);
        if self.n == rate && self.run_secs + 1 >= cfg.sustain_s.max(1) {
            let started = !self.alarming;
            let add = if started {
                self.run_msgs + u64::from(rate)
            } else {
                u64::from(rate)
            };
            self.alarming = true;
            step.cross = Some((add, started));
        }
        step
    }

    /// Seconds in the current run, the current one included.
    pub(crate) fn run_seconds(&self) -> u64 {
        u64::from(self.run_secs) + 1
    }
}
