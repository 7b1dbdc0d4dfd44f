//! The call tracker on the writer thread: every linked record goes through
//! [`argos_track::Tracker`]; at each store flush what it concluded (call records,
//! registrations, alarms, per-minute counters) is written beside the messages, counted in
//! `/metrics`, and new alarms go to the webhooks.
//!
//! Time: the tracker's clock is the newest record time, advanced by the wall time since
//! that record arrived. A quiet network still expires its dialogs, an agent whose clock is
//! off by an hour does not time every call out at once, and a pcap import (which runs
//! much faster than real time) sees the capture's own timeline.

use crate::metrics::{DropReason, Metrics};
use crate::webhook::Webhooks;
use argos_model::{Alarm, AlarmKind, CallStatus, Record};
use argos_store::Store;
use argos_track::{Tracker, TrackerConfig, TrackerOutput};
use std::collections::{HashSet, VecDeque};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

/// Methods with their own `argos_sip_requests_total` series (the same as the per-minute
/// counters'); others are `OTHER`.
use argos_track::stats::METHODS;
/// Upper bounds (seconds) of the setup-time and PDD histograms.
const SECONDS_BUCKETS: [f64; 10] = [0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0];
/// Alarm identities remembered to tell a new alarm from an update of one already sent.
const ALARMS_REMEMBERED: usize = 16_384;

/// Fixed-bucket histogram (cumulative buckets are computed when rendered).
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; SECONDS_BUCKETS.len() + 1],
    sum_ms: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn observe_ms(&self, ms: i64) {
        let ms = ms.max(0);
        let s = ms as f64 / 1000.0;
        let i = SECONDS_BUCKETS
            .iter()
            .position(|&b| s <= b)
            .unwrap_or(SECONDS_BUCKETS.len());
        self.buckets[i].fetch_add(1, Relaxed);
        self.sum_ms.fetch_add(ms as u64, Relaxed);
        self.count.fetch_add(1, Relaxed);
    }

    fn render(&self, s: &mut String, name: &str, help: &str) {
        let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut acc = 0;
        for (i, b) in SECONDS_BUCKETS.iter().enumerate() {
            acc += self.buckets[i].load(Relaxed);
            let _ = writeln!(s, "{name}_bucket{{le=\"{b}\"}} {acc}");
        }
        acc += self.buckets[SECONDS_BUCKETS.len()].load(Relaxed);
        let _ = writeln!(s, "{name}_bucket{{le=\"+Inf\"}} {acc}");
        let _ = writeln!(
            s,
            "{name}_sum {}\n{name}_count {}",
            self.sum_ms.load(Relaxed) as f64 / 1000.0,
            self.count.load(Relaxed)
        );
    }
}

/// Tracker counters for `/metrics`: fixed label sets, so cardinality is bounded.
#[derive(Debug, Default)]
pub struct TrackMetrics {
    /// Calls that reached a final status, by status (index in `CallStatus::ALL`).
    calls: [AtomicU64; CallStatus::ALL.len()],
    calls_tracked: AtomicU64,
    registrations_tracked: AtomicU64,
    /// Requests by method (index in `METHODS`, last = other).
    requests: [AtomicU64; METHODS.len() + 1],
    /// Responses by class 1xx..6xx.
    responses: [AtomicU64; 6],
    alarms: [AtomicU64; AlarmKind::ALL.len()],
    setup: Histogram,
    pdd: Histogram,
    /// New calls not tracked while shedding load, and whether new calls are taken now.
    calls_not_admitted: AtomicU64,
    admitting: AtomicU64,
    /// Store writes of tracker output that failed (the output is lost, the messages not).
    pub write_errors: AtomicU64,
}

impl TrackMetrics {
    fn count_message(&self, r: &Record) {
        let f = &r.fields;
        if let Some(m) = f.method.as_deref() {
            let i = METHODS
                .iter()
                .position(|&k| k == m)
                .unwrap_or(METHODS.len());
            self.requests[i].fetch_add(1, Relaxed);
        } else if let Some(code) = f.status {
            if (100..700).contains(&code) {
                self.responses[usize::from(code / 100 - 1)].fetch_add(1, Relaxed);
            }
        }
    }

    pub fn render(&self, s: &mut String) {
        let _ = writeln!(
            s,
            "# HELP argos_calls_total Calls ended, by final status.\n# TYPE argos_calls_total counter"
        );
        for (i, st) in CallStatus::ALL.iter().enumerate() {
            if !st.is_live() {
                let _ = writeln!(
                    s,
                    "argos_calls_total{{status=\"{}\"}} {}",
                    st.as_str(),
                    self.calls[i].load(Relaxed)
                );
            }
        }
        let _ = writeln!(
            s,
            "# HELP argos_calls_not_tracked_total New calls not tracked because the writer was shedding load (messages are still stored).\n# TYPE argos_calls_not_tracked_total counter\nargos_calls_not_tracked_total {}\n# HELP argos_tracker_admitting 1 when new calls are tracked, 0 while shedding load.\n# TYPE argos_tracker_admitting gauge\nargos_tracker_admitting {}",
            self.calls_not_admitted.load(Relaxed),
            self.admitting.load(Relaxed)
        );
        let _ = writeln!(
            s,
            "# HELP argos_calls_tracked Calls the tracker follows now.\n# TYPE argos_calls_tracked gauge\nargos_calls_tracked {}",
            self.calls_tracked.load(Relaxed)
        );
        let _ = writeln!(
            s,
            "# HELP argos_registrations_tracked Registration bindings the tracker follows now.\n# TYPE argos_registrations_tracked gauge\nargos_registrations_tracked {}",
            self.registrations_tracked.load(Relaxed)
        );
        let _ = writeln!(
            s,
            "# HELP argos_sip_requests_total SIP requests seen, by method.\n# TYPE argos_sip_requests_total counter"
        );
        for (i, n) in self.requests.iter().enumerate() {
            let m = METHODS.get(i).copied().unwrap_or("OTHER");
            let _ = writeln!(
                s,
                "argos_sip_requests_total{{method=\"{m}\"}} {}",
                n.load(Relaxed)
            );
        }
        let _ = writeln!(
            s,
            "# HELP argos_sip_responses_total SIP responses seen, by class.\n# TYPE argos_sip_responses_total counter"
        );
        for (i, n) in self.responses.iter().enumerate() {
            let _ = writeln!(
                s,
                "argos_sip_responses_total{{class=\"{}xx\"}} {}",
                i + 1,
                n.load(Relaxed)
            );
        }
        let _ = writeln!(
            s,
            "# HELP argos_alarms_total Alarms raised, by kind.\n# TYPE argos_alarms_total counter"
        );
        for (i, k) in AlarmKind::ALL.iter().enumerate() {
            let _ = writeln!(
                s,
                "argos_alarms_total{{kind=\"{}\"}} {}",
                k.as_str(),
                self.alarms[i].load(Relaxed)
            );
        }
        self.setup.render(
            s,
            "argos_call_setup_seconds",
            "INVITE to 2xx of answered calls.",
        );
        self.pdd.render(
            s,
            "argos_call_pdd_seconds",
            "Post-dial delay: INVITE to first ringing (or final) response.",
        );
        let _ = writeln!(
            s,
            "# HELP argos_tracker_write_errors_total Store writes of call records, registrations or alarms that failed.\n# TYPE argos_tracker_write_errors_total counter\nargos_tracker_write_errors_total {}",
            self.write_errors.load(Relaxed)
        );
    }
}

/// Which clock expires dialogs; see the module docs.
#[derive(Debug)]
struct TrackClock {
    newest_us: i64,
    at: Instant,
}

impl TrackClock {
    fn see(&mut self, ts_us: i64) {
        if ts_us > self.newest_us {
            self.newest_us = ts_us;
            self.at = Instant::now();
        }
    }
    fn now_us(&self) -> i64 {
        if self.newest_us == i64::MIN {
            return i64::MIN;
        }
        let elapsed = i64::try_from(self.at.elapsed().as_micros()).unwrap_or(i64::MAX);
        self.newest_us.saturating_add(elapsed)
    }
}

/// The tracker and what it needs, owned by the writer thread.
pub struct TrackStage {
    tracker: Tracker,
    clock: TrackClock,
    sent_alarms: HashSet<(AlarmKind, String, i64)>,
    sent_order: VecDeque<(AlarmKind, String, i64)>,
    webhooks: Option<Webhooks>,
    admitting: bool,
    /// Messages lost so far (queue full + kernel socket buffer), and until when new calls
    /// are not tracked because that number grew.
    lost_seen: Option<u64>,
    shed_until: Instant,
    /// `--no-call-tracking`: records pass by untouched.
    enabled: bool,
}

/// How long new calls are not tracked after messages were lost.
const SHED_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// Ingest backlog (records queued) above which new calls are not tracked, and below which
/// they are again: messages come first, the tracker gets what CPU is left.
const SHED_ABOVE: usize = 16_384;
const ADMIT_BELOW: usize = 2_048;

impl TrackStage {
    pub fn new(cfg: TrackerConfig, webhooks: Option<Webhooks>) -> Self {
        TrackStage {
            tracker: Tracker::new(cfg),
            clock: TrackClock {
                newest_us: i64::MIN,
                at: Instant::now(),
            },
            sent_alarms: HashSet::new(),
            sent_order: VecDeque::new(),
            webhooks,
            admitting: true,
            lost_seen: None,
            shed_until: Instant::now(),
            enabled: true,
        }
    }

    /// A stage that tracks nothing (`argos serve --no-call-tracking`): every CPU cycle goes
    /// to storing messages.
    pub fn disabled() -> Self {
        TrackStage {
            enabled: false,
            ..TrackStage::new(TrackerConfig::default(), None)
        }
    }

    /// Load shedding, called with the ingest queue's backlog before each batch: above
    /// [`SHED_ABOVE`] records new calls are no longer tracked (calls already tracked are,
    /// to their end), below [`ADMIT_BELOW`] they are again.
    pub fn set_backlog(&mut self, backlog: usize, metrics: &Metrics) {
        if !self.enabled {
            return;
        }
        let calm = Instant::now() >= self.shed_until;
        let admit = calm
            && if self.admitting {
                backlog <= SHED_ABOVE
            } else {
                backlog < ADMIT_BELOW
            };
        if admit != self.admitting {
            self.admitting = admit;
            self.tracker.set_admitting(admit);
            if !admit {
                tracing::warn!(
                    backlog,
                    "ingest backlog: new calls are not tracked until it drains"
                );
            }
        }
        metrics.tracking.admitting.store(u64::from(admit), Relaxed);
    }

    /// One linked record, in arrival order.
    pub fn observe(&mut self, r: &Record, metrics: &Metrics) {
        if !self.enabled {
            return;
        }
        self.clock.see(r.capture.ts_us);
        metrics.tracking.count_message(r);
        self.tracker.observe(r);
    }

    /// Expires what timed out and writes what the tracker concluded; called before each
    /// store flush, so it becomes durable with the messages. True when it wrote anything.
    pub fn write(&mut self, store: &dyn Store, metrics: &Metrics) -> bool {
        if !self.enabled {
            return false;
        }
        self.watch_losses(metrics);
        let now = self.clock.now_us();
        if now == i64::MIN {
            return false;
        }
        self.tracker.tick(now);
        let out = self.tracker.take(now);
        let wrote = !out.is_empty();
        self.store_output(out, store, metrics);
        wrote
    }

    /// Messages lost (queue full, or the kernel's socket buffer overflowing because the
    /// receiving thread got too little CPU) mean the tracker must give its CPU back: no
    /// new calls are tracked for [`SHED_FOR`].
    fn watch_losses(&mut self, metrics: &Metrics) {
        let lost = metrics.dropped(DropReason::QueueFull) + metrics.kernel_udp_drops();
        match self.lost_seen {
            Some(seen) if lost > seen => {
                self.shed_until = Instant::now() + SHED_FOR;
                if self.admitting {
                    self.admitting = false;
                    self.tracker.set_admitting(false);
                    tracing::warn!(
                        lost = lost - seen,
                        "messages lost: new calls are not tracked for {} s",
                        SHED_FOR.as_secs()
                    );
                }
            }
            _ => {}
        }
        self.lost_seen = Some(lost);
    }

    /// At shutdown or the end of an import: everything still tracked, as it stands.
    pub fn finish(&mut self, store: &dyn Store, metrics: &Metrics) {
        let out = self.tracker.finish();
        self.store_output(out, store, metrics);
    }

    fn store_output(&mut self, out: TrackerOutput, store: &dyn Store, metrics: &Metrics) {
        let m = &metrics.tracking;
        let (calls, regs) = self.tracker.tracked();
        m.calls_tracked.store(calls as u64, Relaxed);
        m.registrations_tracked.store(regs as u64, Relaxed);
        m.calls_not_admitted
            .store(self.tracker.call_counters().not_admitted, Relaxed);
        if out.is_empty() {
            return;
        }
        for c in &out.calls {
            if c.status.is_live() {
                continue;
            }
            if let Some(i) = CallStatus::ALL.iter().position(|&s| s == c.status) {
                m.calls[i].fetch_add(1, Relaxed);
            }
            if let Some(ms) = c.setup_ms {
                m.setup.observe_ms(ms);
            }
            if let Some(ms) = c.pdd_ms {
                m.pdd.observe_ms(ms);
            }
        }
        for a in &out.alarms {
            if self.is_new_alarm(a) {
                if let Some(i) = AlarmKind::ALL.iter().position(|&k| k == a.kind) {
                    m.alarms[i].fetch_add(1, Relaxed);
                }
                if let Some(w) = &self.webhooks {
                    w.send(a);
                }
            }
        }
        let results = [
            ("call records", put(&out.calls, |v| store.put_calls(v))),
            (
                "registrations",
                put(&out.registrations, |v| store.put_registrations(v)),
            ),
            ("alarms", put(&out.alarms, |v| store.put_alarms(v))),
            ("stats", put(&out.stats, |v| store.put_stats(v))),
        ];
        for (what, r) in results {
            if let Err(e) = r {
                // Logged at 1, 2, 4, 8... failures: a store that cannot keep call records
                // must not flood the log five times a second.
                let n = m.write_errors.fetch_add(1, Relaxed) + 1;
                if n.is_power_of_two() {
                    tracing::warn!(error = %e, what, failures = n, "storing tracker output failed");
                }
            }
        }
    }

    fn is_new_alarm(&mut self, a: &Alarm) -> bool {
        let id = (a.kind, a.key.clone(), a.first_us);
        if self.sent_alarms.contains(&id) {
            return false;
        }
        if self.sent_order.len() >= ALARMS_REMEMBERED {
            if let Some(old) = self.sent_order.pop_front() {
                self.sent_alarms.remove(&old);
            }
        }
        self.sent_alarms.insert(id.clone());
        self.sent_order.push_back(id);
        true
    }
}

fn put<T>(
    v: &[T],
    f: impl FnOnce(&[T]) -> Result<(), argos_store::StoreError>,
) -> Result<(), argos_store::StoreError> {
    if v.is_empty() {
        Ok(())
    } else {
        f(v)
    }
}
