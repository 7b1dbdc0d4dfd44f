//! HEP relay: every HEP packet the collector accepts (decoded, auth key checked) is also
//! forwarded, unchanged, to other collectors — a second Argos, a HOMER, a heplify-server —
//! over UDP, TCP or TLS. The sending side is the capture agent's
//! ([`argos_agent::HepSender`]: reconnects with backoff, a bounded buffer per collector,
//! failover), run on its own thread behind a bounded queue: the listeners never wait for
//! a slow or dead peer, and what does not fit is dropped and counted.

use argos_agent::{AgentConfig, CollectorStats, HepSender, Target, TlsOptions};
use bytes::Bytes;
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TrySendError};
use parking_lot::Mutex;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Packets waiting for the relay thread; beyond this the listeners drop (counted).
const QUEUE: usize = 65_536;
/// How often the relay thread publishes its per-collector counts.
const STATS_EVERY: Duration = Duration::from_secs(1);

/// Where and how to forward.
#[derive(Debug, Clone, Default)]
pub struct ForwardConfig {
    /// `udp:HOST:PORT`, `tcp:HOST:PORT` or `tls:HOST:PORT`.
    pub targets: Vec<String>,
    /// Send to the first reachable target only instead of to all.
    pub failover: bool,
    /// CA certificate for `tls:` targets (else the system store).
    pub tls_ca: Option<PathBuf>,
    /// Do not check `tls:` targets' certificates.
    pub tls_insecure: bool,
}

/// Counters shown in `/metrics`.
#[derive(Debug, Default)]
pub struct ForwardMetrics {
    /// Packets dropped because the relay queue was full.
    pub queue_full: AtomicU64,
    collectors: Mutex<Vec<CollectorStats>>,
}

impl ForwardMetrics {
    pub fn render(&self, s: &mut String) {
        use std::fmt::Write as _;
        let collectors = self.collectors.lock();
        if collectors.is_empty() {
            return;
        }
        let _ = writeln!(
            s,
            "# HELP argos_forward_packets_total HEP packets relayed to other collectors, by target and result.\n\
             # TYPE argos_forward_packets_total counter\n\
             argos_forward_packets_total{{target=\"queue\",result=\"queue_full\"}} {}",
            self.queue_full.load(Relaxed)
        );
        for c in collectors.iter() {
            let t = c.target.replace(['"', '\\', '\n'], "_");
            let _ = writeln!(
                s,
                "argos_forward_packets_total{{target=\"{t}\",result=\"sent\"}} {}\n\
                 argos_forward_packets_total{{target=\"{t}\",result=\"dropped\"}} {}",
                c.sent, c.dropped
            );
        }
        let _ = writeln!(
            s,
            "# HELP argos_forward_reconnects_total Reconnects to relay targets.\n\
             # TYPE argos_forward_reconnects_total counter"
        );
        for c in collectors.iter() {
            let t = c.target.replace(['"', '\\', '\n'], "_");
            let _ = writeln!(
                s,
                "argos_forward_reconnects_total{{target=\"{t}\"}} {}",
                c.reconnects
            );
        }
    }
}

/// The listeners' handle: cheap to clone, never blocks.
#[derive(Clone)]
pub struct Forwarder {
    tx: Sender<Bytes>,
    metrics: Arc<ForwardMetrics>,
}

impl Forwarder {
    /// Starts the relay thread; `None` without targets.
    pub fn start(
        cfg: &ForwardConfig,
        metrics: Arc<ForwardMetrics>,
    ) -> Result<Option<Forwarder>, String> {
        if cfg.targets.is_empty() {
            return Ok(None);
        }
        let mut targets = Vec::new();
        for t in &cfg.targets {
            targets.push(Target::parse(t).map_err(|e| format!("--forward {e}"))?);
        }
        let mut ac = AgentConfig::new(Vec::new(), targets);
        ac.failover = cfg.failover;
        ac.tls = TlsOptions {
            ca_file: cfg.tls_ca.clone(),
            insecure: cfg.tls_insecure,
        };
        let sender = HepSender::try_new(ac).map_err(|e| format!("--forward: {e}"))?;
        *metrics.collectors.lock() = sender.stats();
        let (tx, rx) = bounded(QUEUE);
        let m = metrics.clone();
        std::thread::Builder::new()
            .name("argos-forward".into())
            .spawn(move || relay(sender, rx, m))
            .map_err(|e| format!("--forward: starting the relay thread: {e}"))?;
        Ok(Some(Forwarder { tx, metrics }))
    }

    /// Queues one accepted HEP packet for the targets (a reference to the listener's
    /// buffer, no copy); a full queue drops it and counts the drop.
    pub fn offer(&self, frame: &Bytes) {
        match self.tx.try_send(frame.clone()) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.metrics.queue_full.fetch_add(1, Relaxed);
            }
        }
    }
}

fn relay(mut sender: HepSender, rx: Receiver<Bytes>, metrics: Arc<ForwardMetrics>) {
    let mut published = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(frame) => sender.send_raw(&frame),
            Err(RecvTimeoutError::Timeout) => sender.poll(),
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if published.elapsed() >= STATS_EVERY {
            *metrics.collectors.lock() = sender.stats();
            published = Instant::now();
        }
    }
    *metrics.collectors.lock() = sender.finish();
}
