//! KPIs from grouped call records: ASR, NER, SER, ACD, PDD and setup time per dimension
//! value and time bucket.
//!
//! The store groups call records by (bucket, key, status, final code) and sums them
//! ([`CallAggRow`]); [`compute`] turns the groups into one [`KpiSeries`] per key (sorted
//! by attempts, most first) with one [`KpiPoint`] per bucket and a `total` point.
//!
//! # Definitions
//!
//! * **attempts** — calls with a final state (answered, busy, cancelled, no answer,
//!   rejected, failed, timeout). Calls still in progress (trying, ringing, in call) may
//!   change and are reported apart as `live`, never in a ratio.
//! * **ASR**, answer-seizure ratio (ITU-T E.411): `answered / attempts × 100`.
//! * **NER**, network effectiveness ratio (ITU-T E.411; GSMA IR.42): the share of
//!   attempts the network delivered to the called user, whatever the user then did:
//!   `effective / attempts × 100`, where *effective* is
//!   - answered;
//!   - user busy: status busy (486 Busy Here, 600 Busy Everywhere);
//!   - no answer: status no_answer (408/480 after ringing, 487 without CANCEL);
//!   - cancelled by the caller (CANCEL → 487): the caller's choice, not a network
//!     failure (E.411 excludes customer behaviour from network failures);
//!   - user rejection / unavailability: 603 Decline (Q.850 cause 21, call rejected) and
//!     480 Temporarily Unavailable without ringing (E.411 "terminal rejection /
//!     unavailability"; also in RFC 6076 SEER's list 200/480/486/600/603).
//!
//!   Not effective: 404/484/604 (number or routing failures), 403 and unanswered
//!   401/407 challenges (refused by the network's policy), 488/606 (media), other 4xx,
//!   every 5xx, 3xx redirects that ended the call, and timeouts.
//! * **SER**, session establishment ratio (RFC 6076 §4.6):
//!   `answered / (attempts − redirected) × 100`, where *redirected* are attempts whose
//!   final response was a 3xx.
//! * **ACD**, average call duration: talk time of answered, ended calls that have one
//!   (2xx → first BYE), in seconds.
//! * **PDD** and **setup time**: means, in ms, over every call that has the value (a
//!   ringing call's PDD is final once known, so live calls count here).
//!
//! Ratios are `None` when their denominator is 0; ratios and ACD are rounded to 0.01,
//! PDD and setup time to 0.1 ms.

use argos_model::{CallAggRow, CallStatus};
use serde::Serialize;
use std::collections::BTreeMap;

/// KPIs of one time bucket for one dimension value.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KpiPoint {
    /// Start of the bucket (for a series' `total`: of its first bucket).
    pub ts_us: i64,
    /// Calls with a final state; see the module documentation.
    pub attempts: u64,
    pub answered: u64,
    pub busy: u64,
    pub cancelled: u64,
    pub no_answer: u64,
    pub rejected: u64,
    pub failed: u64,
    pub timeout: u64,
    /// Calls still in progress (trying, ringing, in call): not in `attempts`.
    pub live: u64,
    /// Answer-seizure ratio, % of attempts answered.
    pub asr: Option<f64>,
    /// Network effectiveness ratio, % (answered + user busy/no answer/rejection).
    pub ner: Option<f64>,
    /// Session establishment ratio (RFC 6076), % of non-redirected attempts answered.
    pub ser: Option<f64>,
    /// Average call duration of answered calls, seconds.
    pub acd_s: Option<f64>,
    /// Average post-dial delay, ms.
    pub pdd_ms: Option<f64>,
    /// Average setup time (INVITE → 2xx), ms.
    pub setup_ms: Option<f64>,
}

/// One series: a dimension value and its points in time order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KpiSeries {
    pub key: String,
    pub points: Vec<KpiPoint>,
    pub total: KpiPoint,
}

/// Whether a call that ended with `status` / `final_code` counts as network-effective
/// for NER (see the module documentation).
pub fn network_effective(status: CallStatus, final_code: u16) -> bool {
    match status {
        CallStatus::Answered | CallStatus::Busy | CallStatus::NoAnswer | CallStatus::Cancelled => {
            true
        }
        CallStatus::Rejected | CallStatus::Failed => matches!(final_code, 480 | 486 | 600 | 603),
        CallStatus::Timeout | CallStatus::Trying | CallStatus::Ringing | CallStatus::InCall => {
            false
        }
    }
}

/// Sums for one (key, bucket), or for a whole series.
#[derive(Debug, Clone, Default)]
struct Sums {
    by_status: [u64; CallStatus::ALL.len()],
    effective: u64,
    redirected: u64,
    duration: Mean,
    pdd: Mean,
    setup: Mean,
}

#[derive(Debug, Clone, Copy, Default)]
struct Mean {
    sum: i64,
    n: u64,
}

impl Mean {
    fn add(&mut self, sum: i64, n: u64) {
        self.sum = self.sum.saturating_add(sum);
        self.n += n;
    }
    fn get(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum as f64 / self.n as f64)
    }
}

fn status_index(s: CallStatus) -> usize {
    CallStatus::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

impl Sums {
    fn add_row(&mut self, r: &CallAggRow) {
        self.by_status[status_index(r.status)] += r.calls;
        if network_effective(r.status, r.final_code) {
            self.effective += r.calls;
        }
        if !r.status.is_live() && (300..400).contains(&r.final_code) {
            self.redirected += r.calls;
        }
        if !r.status.is_live() {
            self.duration.add(r.duration_ms_sum, r.duration_n);
        }
        self.pdd.add(r.pdd_ms_sum, r.pdd_n);
        self.setup.add(r.setup_ms_sum, r.setup_n);
    }

    fn add(&mut self, o: &Sums) {
        for (a, b) in self.by_status.iter_mut().zip(o.by_status) {
            *a += b;
        }
        self.effective += o.effective;
        self.redirected += o.redirected;
        self.duration.add(o.duration.sum, o.duration.n);
        self.pdd.add(o.pdd.sum, o.pdd.n);
        self.setup.add(o.setup.sum, o.setup.n);
    }

    fn count(&self, s: CallStatus) -> u64 {
        self.by_status[status_index(s)]
    }

    fn attempts(&self) -> u64 {
        CallStatus::ALL
            .iter()
            .filter(|s| !s.is_live())
            .map(|s| self.count(*s))
            .sum()
    }

    fn point(&self, ts_us: i64) -> KpiPoint {
        let attempts = self.attempts();
        let answered = self.count(CallStatus::Answered);
        KpiPoint {
            ts_us,
            attempts,
            answered,
            busy: self.count(CallStatus::Busy),
            cancelled: self.count(CallStatus::Cancelled),
            no_answer: self.count(CallStatus::NoAnswer),
            rejected: self.count(CallStatus::Rejected),
            failed: self.count(CallStatus::Failed),
            timeout: self.count(CallStatus::Timeout),
            live: CallStatus::ALL
                .iter()
                .filter(|s| s.is_live())
                .map(|s| self.count(*s))
                .sum(),
            asr: percent(answered, attempts),
            ner: percent(self.effective, attempts),
            ser: percent(answered, attempts.saturating_sub(self.redirected)),
            acd_s: self.duration.get().map(|ms| round(ms / 1000.0, 100.0)),
            pdd_ms: self.pdd.get().map(|v| round(v, 10.0)),
            setup_ms: self.setup.get().map(|v| round(v, 10.0)),
        }
    }
}

fn percent(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| round(num as f64 * 100.0 / den as f64, 100.0))
}

/// `v` rounded to `1/scale`.
fn round(v: f64, scale: f64) -> f64 {
    (v * scale).round() / scale
}

/// One series per key (most attempts first, then by key), points in bucket order.
pub fn compute(rows: &[CallAggRow]) -> Vec<KpiSeries> {
    let mut by_key: BTreeMap<&str, BTreeMap<i64, Sums>> = BTreeMap::new();
    for r in rows {
        by_key
            .entry(r.key.as_str())
            .or_default()
            .entry(r.bucket_us)
            .or_default()
            .add_row(r);
    }
    let mut series: Vec<(u64, KpiSeries)> = by_key
        .into_iter()
        .map(|(key, buckets)| {
            let mut total = Sums::default();
            let mut points = Vec::with_capacity(buckets.len());
            for (ts, sums) in &buckets {
                total.add(sums);
                points.push(sums.point(*ts));
            }
            let first_ts = buckets.keys().next().copied().unwrap_or(0);
            let total = total.point(first_ts);
            (
                total.attempts,
                KpiSeries {
                    key: key.to_owned(),
                    points,
                    total,
                },
            )
        })
        .collect();
    // BTreeMap gave key order; a stable sort keeps it among equal attempts.
    series.sort_by_key(|s| std::cmp::Reverse(s.0));
    series.into_iter().map(|(_, s)| s).collect()
}
