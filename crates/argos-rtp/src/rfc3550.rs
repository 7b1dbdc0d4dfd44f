//! Receiver statistics as RFC 3550 Appendix A defines them — what a receiver puts in
//! an RTCP report block — kept beside the Wireshark-style display statistics of
//! [`crate::stream`] (qos-metrics.md §1.7, §7.1): sequence validation with probation
//! (A.1), expected/lost with the 24-bit clamp and the interval fraction lost (A.3), and
//! the interarrival jitter in timestamp units (A.8).

/// Sequential packets needed before a new source is valid.
const MIN_SEQUENTIAL: u16 = 2;
/// Largest forward jump still taken as in order.
const MAX_DROPOUT: u16 = 3000;
/// Largest backward jump taken as reordering, not a restart.
const MAX_MISORDER: u16 = 100;
const RTP_SEQ_MOD: u32 = 1 << 16;

/// RFC 3550 reception state of one source.
#[derive(Debug, Clone, Default)]
pub struct ReceptionStats {
    max_seq: u16,
    /// Shifted count of sequence number cycles.
    cycles: u32,
    base_seq: u32,
    /// Last 'bad' sequence number + 1.
    bad_seq: u32,
    probation: u16,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    /// Relative transit time of the previous packet, timestamp units.
    transit: Option<i64>,
    /// Estimated jitter × 16 (A.8 integer form), timestamp units.
    jitter_q4: u64,
    started: bool,
}

/// What a report block about this source would carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReceptionReport {
    /// Fraction lost since the previous report, x/256.
    pub fraction_lost: u8,
    /// Cumulative lost, clamped to the 24-bit signed range.
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub extended_max_seq: u32,
    /// Interarrival jitter, timestamp units.
    pub jitter: u32,
    /// Packets expected so far.
    pub expected: u64,
    /// Packets received (and accepted) so far.
    pub received: u64,
}

impl ReceptionStats {
    /// A new source.
    pub fn new() -> Self {
        Self::default()
    }

    fn init_seq(&mut self, seq: u16) {
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = RTP_SEQ_MOD + 1; // so seq == bad_seq is false
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
    }

    /// Adds a packet with sequence `seq` and RTP timestamp `ts`, arriving at
    /// `arrival_ts` (the arrival time in the same clock units, e.g. µs × clock / 10⁶;
    /// pass `None` when the clock rate is unknown: no jitter then). Returns false when
    /// the packet was not counted (probation, or a jump awaiting confirmation).
    pub fn update(&mut self, seq: u16, ts: u32, arrival_ts: Option<i64>) -> bool {
        if !self.started {
            self.started = true;
            self.init_seq(seq);
            self.max_seq = seq.wrapping_sub(1);
            self.probation = MIN_SEQUENTIAL;
        }
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            // Packets must be in sequence during probation.
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    self.received += 1;
                    self.jitter(ts, arrival_ts);
                    return true;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return false;
        } else if udelta < MAX_DROPOUT {
            // In order, with a permissible gap.
            if seq < self.max_seq {
                self.cycles += RTP_SEQ_MOD;
            }
            self.max_seq = seq;
        } else if u32::from(udelta) <= RTP_SEQ_MOD - u32::from(MAX_MISORDER) {
            // A very large jump: a restart if two in a row agree.
            if u32::from(seq) == self.bad_seq {
                self.init_seq(seq);
            } else {
                self.bad_seq = (u32::from(seq) + 1) & (RTP_SEQ_MOD - 1);
                return false;
            }
        }
        // else: duplicate or reordered packet, counted.
        self.received += 1;
        self.jitter(ts, arrival_ts);
        true
    }

    fn jitter(&mut self, ts: u32, arrival_ts: Option<i64>) {
        let Some(arrival) = arrival_ts else { return };
        let transit = arrival.wrapping_sub(i64::from(ts));
        if let Some(prev) = self.transit {
            let d = transit.wrapping_sub(prev).unsigned_abs();
            // J += (|D| − J) / 16, in the ×16 integer form of A.8.
            let j = self.jitter_q4 as i128 + i128::from(d) - ((self.jitter_q4 as i128 + 8) >> 4);
            self.jitter_q4 = j.clamp(0, i128::from(u64::MAX)) as u64;
        }
        self.transit = Some(transit);
    }

    /// The report so far; `take_interval` starts a new fraction-lost interval (as
    /// sending a report does).
    pub fn report(&mut self, take_interval: bool) -> ReceptionReport {
        let extended_max = self.cycles.wrapping_add(u32::from(self.max_seq));
        let expected = if self.received == 0 {
            0
        } else {
            u64::from(extended_max).saturating_sub(u64::from(self.base_seq)) + 1
        };
        let lost = expected as i64 - self.received as i64;
        let cumulative_lost = lost.clamp(-0x80_0000, 0x7F_FFFF) as i32;
        let expected_interval = expected.saturating_sub(self.expected_prior);
        let received_interval = self.received.saturating_sub(self.received_prior);
        let lost_interval = expected_interval as i64 - received_interval as i64;
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / expected_interval as i64).min(255) as u8
        };
        if take_interval {
            self.expected_prior = expected;
            self.received_prior = self.received;
        }
        ReceptionReport {
            fraction_lost,
            cumulative_lost,
            extended_max_seq: extended_max,
            jitter: (self.jitter_q4 >> 4).min(u64::from(u32::MAX)) as u32,
            expected,
            received: self.received,
        }
    }
}
