//! The Argos capture agent: every SIP message of a capture or a live interface (and,
//! optionally, RTCP, RTP stream reports and the lines of a log file), sent as HEPv3 to one
//! or more collectors.
//!
//! * Input: pcap/pcapng files and live interfaces ([`live`]: AF_PACKET rings from
//!   `argos-afpacket`), both through exactly the packet path of `argos import`
//!   (`argos_wire`: tunnels, defragmentation, TCP/WebSocket/SCTP reassembly, TLS with a key
//!   log, RTCP and RTP by the SDP of their call), so a collector stores what an import
//!   would. Files optionally paced at the capture's own timing ([`AgentConfig::pace`]) or
//!   capped at a rate ([`AgentConfig::max_rate`]).
//! * Log lines ([`logs`], [`AgentConfig::logs`]): a file followed like `tail -F`, or stdin,
//!   each line sent as HEP LOG (proto 100) with the Call-ID found in it as correlation id,
//!   so a collector shows it with the call (hepipe's job).
//! * Output: [`HepSender`] encodes each [`Capture`] once with [`argos_hep::encode_v3`]
//!   (addresses, ports, timestamp and transport from the capture; capture id, node name and
//!   auth key from the config; with [`AgentConfig::compress`] the payload zlib-compressed in
//!   chunk 0x0010, captagent's format) and hands it to every collector, or with
//!   [`AgentConfig::failover`] to the first one that takes it.
//! * Transports: UDP, TCP and TLS ([`tls`]: rustls; trust from `--tls-ca`, the system CA
//!   bundle, or none with `--tls-insecure`).
//! * TCP and TLS collectors reconnect with exponential backoff; while one is down its
//!   packets wait in a bounded in-memory buffer, then, with [`AgentConfig::spool`], in
//!   segment files on disk ([`spool`]), which survive a restart. What fits nowhere is
//!   dropped and counted by reason. Delivery keeps capture order: memory buffer first,
//!   then the spool, and while the spool holds anything new packets queue behind it. At the
//!   end [`HepSender::finish`] gives waiting packets until [`AgentConfig::drain_timeout`]
//!   to go out; then what is in memory is spooled (or counted as dropped without a spool)
//!   and the spool is left for the next run.
//! * [`AgentConfig::pcap_out`]: pcap files rotated by time and size ([`pcap_out`]): from
//!   files, every SIP message sent, as a rebuilt Ethernet frame; live, the raw frames that
//!   passed the kernel filter.
//!
//! * [`AgentConfig::stop`] (SIGINT/SIGTERM in `argos agent`) ends the input early; the run
//!   then finishes as above and still returns its [`Summary`].
//!
//! UDP has no notion of "down": a datagram the kernel accepted counts as sent.

mod link;
pub mod live;
pub mod logs;
pub mod pcap_out;
pub mod spool;
pub mod tls;

use argos_hep::{HepPacket, HepVersion, ProtoType};
use argos_model::Capture;
use link::Link;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use live::{default_bpf, LiveInput, LiveSummary};
pub use logs::{LogConfig, LogSource, Uncorrelated};
pub use pcap_out::{PcapOutStats, RotateConfig};
pub use spool::{SpoolConfig, SpoolStats};
pub use tls::TlsOptions;

/// captagent's default capture id (heplify uses 2002): what collectors expect from an agent.
pub const DEFAULT_CAPTURE_ID: u32 = 2001;

/// The transport to a collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Udp,
    Tcp,
    /// HEP over TLS: the TCP byte stream inside a TLS session.
    Tls,
}

impl Proto {
    /// A byte stream (TCP or TLS): can be down, reconnects, buffers and spools.
    pub fn is_stream(self) -> bool {
        matches!(self, Proto::Tcp | Proto::Tls)
    }
}

/// One collector: `udp:HOST:PORT`, `tcp:HOST:PORT` or `tls:HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub proto: Proto,
    /// `HOST:PORT` as given (resolved on each connect).
    pub addr: String,
}

const TARGET_FORM: &str = "expected udp:HOST:PORT, tcp:HOST:PORT or tls:HOST:PORT";

impl Target {
    pub fn parse(s: &str) -> Result<Target, String> {
        let (kind, addr) = s
            .split_once(':')
            .ok_or_else(|| format!("{s}: {TARGET_FORM}"))?;
        let proto = match kind {
            "udp" => Proto::Udp,
            "tcp" => Proto::Tcp,
            "tls" => Proto::Tls,
            _ => return Err(format!("{s}: transport must be udp, tcp or tls")),
        };
        match addr.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() && p.parse::<u16>().is_ok() => {}
            _ => return Err(format!("{s}: {TARGET_FORM}")),
        }
        Ok(Target {
            proto,
            addr: addr.to_owned(),
        })
    }

    /// The host part (the TLS server name): `HOST` of `HOST:PORT`, brackets kept off.
    pub fn host(&self) -> &str {
        let h = self.addr.rsplit_once(':').map_or(&*self.addr, |(h, _)| h);
        h.trim_start_matches('[').trim_end_matches(']')
    }

    fn resolve(&self) -> std::io::Result<SocketAddr> {
        self.addr
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no address for host"))
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let k = match self.proto {
            Proto::Udp => "udp",
            Proto::Tcp => "tcp",
            Proto::Tls => "tls",
        };
        write!(f, "{k}:{}", self.addr)
    }
}

/// What the agent does; [`AgentConfig::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Capture files (pcap or pcapng), read one after the other.
    pub files: Vec<PathBuf>,
    pub targets: Vec<Target>,
    /// Send each packet to the first collector that takes it instead of to all.
    pub failover: bool,
    pub capture_id: u32,
    pub node: Option<String>,
    pub auth_key: Option<String>,
    /// Replay at the capture's original timing (each file's first message goes out at once).
    pub pace: bool,
    /// At most this many messages per second (0: no limit).
    pub max_rate: u64,
    /// Send the contents of HEP copies found in the capture instead of skipping them.
    pub unwrap_hep: bool,
    /// Packets held in memory per TCP/TLS collector while it is down.
    pub buffer_packets: usize,
    /// TCP connect, TLS handshake and write timeout.
    pub io_timeout: Duration,
    /// First and longest wait between reconnect attempts (doubling in between).
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// How long [`HepSender::finish`] keeps trying to deliver waiting packets.
    pub drain_timeout: Duration,
    /// Certificate checks for `tls:` collectors.
    pub tls: TlsOptions,
    /// Payload in HEP chunk 0x0010, zlib-compressed (captagent's `payload-compression`).
    pub compress: bool,
    /// Spool to disk what a down TCP/TLS collector's memory buffer cannot hold.
    pub spool: Option<SpoolConfig>,
    /// Also write each SIP message sent to rotating pcap files.
    pub pcap_out: Option<RotateConfig>,
    /// Also send log lines as HEP LOG packets.
    pub logs: Option<LogConfig>,
    /// Capture live from interfaces (after the files, if any) until [`AgentConfig::stop`].
    pub live: Option<LiveInput>,
    /// Decrypt SIP over TLS seen on the wire with this key log (NSS SSLKEYLOGFILE).
    pub tls_keylog: Option<Arc<argos_net::KeyLog>>,
    /// Also send RTCP as HEP proto-5 JSON, correlated to the Call-ID of its SDP.
    pub rtcp: bool,
    /// Also analyse RTP announced in SDP and send per-stream reports (HEP proto 34).
    pub rtp: bool,
    /// Set (e.g. by a SIGTERM handler) to stop reading input: the run then drains, spools
    /// what is left and returns its summary as at the end of the input.
    pub stop: Arc<AtomicBool>,
}

impl AgentConfig {
    pub fn new(files: Vec<PathBuf>, targets: Vec<Target>) -> Self {
        AgentConfig {
            files,
            targets,
            failover: false,
            capture_id: DEFAULT_CAPTURE_ID,
            node: None,
            auth_key: None,
            pace: false,
            max_rate: 0,
            unwrap_hep: false,
            buffer_packets: 100_000,
            io_timeout: Duration::from_secs(2),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            drain_timeout: Duration::from_secs(5),
            tls: TlsOptions::default(),
            compress: false,
            spool: None,
            pcap_out: None,
            logs: None,
            live: None,
            tls_keylog: None,
            rtcp: false,
            rtp: false,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// Why the agent could not start.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Tls(#[from] tls::TlsSetupError),
    #[error(transparent)]
    Spool(#[from] spool::SpoolError),
    #[error(transparent)]
    PcapOut(#[from] pcap_out::PcapOutError),
    #[error(transparent)]
    Live(#[from] live::LiveError),
    #[error("--log-file {}: {error}", path.display())]
    LogInput {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// Per-collector outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CollectorStats {
    pub target: String,
    pub sent: u64,
    pub bytes: u64,
    /// Packets lost, all reasons (the `dropped_*` fields below add up to it).
    pub dropped: u64,
    /// Memory buffer full and no spool.
    pub dropped_buffer_full: u64,
    /// Memory buffer full and the spool full or failing.
    pub dropped_spool_full: u64,
    /// A UDP send error.
    pub dropped_send_error: u64,
    /// Still in memory after the drain timeout, with no spool to keep them.
    pub dropped_at_exit: u64,
    /// Successful connects after the first (TCP/TLS).
    pub reconnects: u64,
    /// Failed connects, handshakes and writes (TCP/TLS), send errors (UDP).
    pub errors: u64,
    /// The latest connect/handshake/write error, for the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Most packets held in the memory buffer at once.
    pub buffered_max: u64,
    /// The disk spool's counts, when one is configured for this collector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spool: Option<SpoolStats>,
}

/// What a run did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    pub files: u64,
    /// Files that could not be opened or are not captures.
    pub files_failed: u64,
    pub frames: u64,
    /// SIP messages read from the captures (each is one HEP packet).
    pub read: u64,
    /// RTCP reports sent as HEP proto-5 JSON (`--rtcp`), and RTCP dropped because no SDP
    /// announced its addresses.
    pub rtcp_sent: u64,
    pub rtcp_uncorrelated: u64,
    /// RTP packets analysed, streams seen and stream reports sent (`--rtp`).
    pub rtp_packets: u64,
    pub rtp_streams: u64,
    pub rtp_reports: u64,
    /// TLS connections decrypted with the key log, and those without a key.
    pub tls_decrypted: u64,
    pub tls_no_key: u64,
    /// Live capture, per interface.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveSummary>,
    /// Packets delivered, over all collectors.
    pub sent: u64,
    /// Bytes of HEP delivered, over all collectors.
    pub bytes: u64,
    /// Packets lost, over all collectors (broadcast: a packet may count once per collector).
    pub dropped: u64,
    pub dropped_buffer_full: u64,
    pub dropped_spool_full: u64,
    pub dropped_send_error: u64,
    pub dropped_at_exit: u64,
    /// Packets written to the disk spool.
    pub spooled: u64,
    /// Packets sent from the disk spool (this run's and an earlier run's).
    pub spool_replayed: u64,
    /// Spool segments with a truncated or corrupt part (skipped).
    pub spool_corrupt: u64,
    /// Bytes left in the spool for the next run.
    pub spool_left_bytes: u64,
    /// Payloads compressed (`--compress`).
    pub compressed: bool,
    /// Payload bytes saved by compression, per packet encoded (negative if it grew).
    pub compressed_bytes_saved: i64,
    /// Log lines read, sent (with or without a Call-ID) and skipped (no Call-ID, `skip`).
    pub log_lines_read: u64,
    pub log_lines_sent: u64,
    pub log_lines_correlated: u64,
    pub log_lines_skipped: u64,
    /// Rotating pcap output (`--write-pcap`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pcap_out: Option<PcapOutStats>,
    pub seconds: f64,
    pub collectors: Vec<CollectorStats>,
}

/// Encodes captures as HEPv3 and delivers them to the collectors.
pub struct HepSender {
    cfg: AgentConfig,
    links: Vec<Link>,
    /// Failover: the collector currently in use.
    active: usize,
    pkt: Vec<u8>,
    compressed_saved: i64,
}

impl HepSender {
    /// A sender; a TLS or spool setup error does not fail here but shows in that
    /// collector's [`CollectorStats::last_error`] (use [`HepSender::try_new`] to get it).
    pub fn new(cfg: AgentConfig) -> HepSender {
        let tls = needs_tls(&cfg).then(|| tls::client_config(&cfg.tls).map_err(|e| e.to_string()));
        let links = cfg
            .targets
            .iter()
            .map(|t| {
                let tls = match (&tls, t.proto) {
                    (Some(r), Proto::Tls) => Some(r.clone()),
                    _ => None,
                };
                let spool = spool_for(&cfg, t).map(|r| r.map_err(|e| e.to_string()));
                Link::new(t.clone(), &cfg, tls, spool)
            })
            .collect();
        HepSender {
            cfg,
            links,
            active: 0,
            pkt: Vec::with_capacity(4096),
            compressed_saved: 0,
        }
    }

    /// A sender, or the first TLS or spool setup error.
    pub fn try_new(cfg: AgentConfig) -> Result<HepSender, AgentError> {
        if needs_tls(&cfg) {
            tls::client_config(&cfg.tls)?;
        }
        for t in &cfg.targets {
            if let Some(r) = spool_for(&cfg, t) {
                r?;
            }
        }
        Ok(Self::new(cfg))
    }

    /// The HEPv3 packet for one capture, appended to `out`.
    pub fn encode(cfg: &AgentConfig, c: &Capture, out: &mut Vec<u8>) {
        let same_family = c.src.is_ipv4() == c.dst.is_ipv4();
        let ts_sec = c.ts_us.div_euclid(1_000_000);
        let hep = HepPacket {
            version: HepVersion::V3,
            ip_family: if c.src.is_ipv4() {
                argos_hep::AF_INET
            } else {
                argos_hep::AF_INET6
            },
            ip_proto: c.transport.ip_proto(),
            src_ip: c.src.ip(),
            dst_ip: if same_family {
                c.dst.ip()
            } else if c.src.is_ipv4() {
                IpAddr::from([0u8; 4])
            } else {
                IpAddr::from([0u16; 8])
            },
            src_port: c.src.port(),
            dst_port: c.dst.port(),
            ts_sec: u32::try_from(ts_sec).unwrap_or(0),
            ts_usec: c.ts_us.rem_euclid(1_000_000) as u32,
            proto_type: ProtoType(c.kind.0),
            capture_id: cfg.capture_id,
            keep_alive: None,
            auth_key: cfg.auth_key.as_deref().map(str::as_bytes),
            payload: std::borrow::Cow::Borrowed(&c.payload),
            compressed: cfg.compress,
            correlation_id: c.correlation_id.as_deref().map(str::as_bytes),
            vlan_id: c.vlan,
            node_name: cfg.node.as_deref().or(c.node.as_deref()).map(str::as_bytes),
            mos: None,
        };
        argos_hep::encode_v3(&hep, out);
    }

    /// Sends one capture to every collector (or, with failover, to the first that takes it).
    pub fn send(&mut self, c: &Capture) {
        let mut pkt = std::mem::take(&mut self.pkt);
        pkt.clear();
        Self::encode(&self.cfg, c, &mut pkt);
        if self.cfg.compress {
            self.compressed_saved += compression_saving(&pkt, c.payload.len());
        }
        self.send_raw(&pkt);
        self.pkt = pkt;
    }

    /// Sends one already encoded HEP packet.
    pub fn send_raw(&mut self, pkt: &[u8]) {
        let n = self.links.len();
        if n == 0 {
            return;
        }
        if !self.cfg.failover {
            for l in &mut self.links {
                l.deliver(pkt, &self.cfg);
            }
            return;
        }
        for k in 0..n {
            let i = (self.active + k) % n;
            let Some(l) = self.links.get_mut(i) else {
                continue;
            };
            if l.ready(&self.cfg) && l.write(pkt, &self.cfg) {
                self.active = i;
                return;
            }
        }
        if let Some(l) = self.links.get_mut(self.active) {
            l.enqueue(pkt);
        }
    }

    /// Gives collectors with waiting packets a chance to reconnect and catch up (when
    /// nothing new is sent, e.g. while following a quiet log file).
    pub fn poll(&mut self) {
        for l in &mut self.links {
            if l.has_backlog() {
                l.ready(&self.cfg);
            }
        }
    }

    /// Packets waiting in memory buffers.
    pub fn buffered(&self) -> usize {
        self.links.iter().map(Link::buffered).sum()
    }

    /// Payload bytes compression saved so far (0 without [`AgentConfig::compress`]).
    pub fn compressed_bytes_saved(&self) -> i64 {
        self.compressed_saved
    }

    /// Per-collector counts so far, without closing anything.
    pub fn stats(&self) -> Vec<CollectorStats> {
        self.links.iter().map(Link::stats).collect()
    }

    /// Delivers what is waiting (until the drain timeout), closes the connections and
    /// returns the per-collector counts. Then what is still in memory goes to the spool
    /// (kept for the next run) or, without one, is counted as dropped.
    pub fn finish(mut self) -> Vec<CollectorStats> {
        let deadline = Instant::now() + self.cfg.drain_timeout;
        loop {
            let mut waiting = false;
            let mut next = deadline;
            for l in &mut self.links {
                if l.has_backlog() && !l.ready(&self.cfg) {
                    waiting = true;
                    next = next.min(l.next_attempt());
                }
            }
            let now = Instant::now();
            if !waiting || now >= deadline {
                break;
            }
            std::thread::sleep(
                next.saturating_duration_since(now)
                    .max(Duration::from_millis(10)),
            );
        }
        self.links.into_iter().map(Link::close).collect()
    }
}

fn needs_tls(cfg: &AgentConfig) -> bool {
    cfg.targets.iter().any(|t| t.proto == Proto::Tls)
}

/// The spool of a stream collector, in its own subdirectory of the spool directory.
fn spool_for(cfg: &AgentConfig, t: &Target) -> Option<Result<spool::Spool, spool::SpoolError>> {
    let sc = cfg.spool.as_ref().filter(|_| t.proto.is_stream())?;
    let name: String = t
        .to_string()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(spool::Spool::open(&sc.dir.join(name), sc.max_bytes))
}

/// Payload bytes saved in one encoded packet: the payload's length minus the body of its
/// compressed payload chunk (0 if the encoder fell back to an uncompressed payload).
fn compression_saving(pkt: &[u8], payload_len: usize) -> i64 {
    let Ok(chunks) = argos_hep::chunks(pkt) else {
        return 0;
    };
    chunks
        .flatten()
        .find(|c| c.vendor == 0 && c.chunk_type == argos_hep::chunk::COMPRESSED_PAYLOAD)
        .map_or(0, |c| payload_len as i64 - c.body.len() as i64)
}

/// Reads every file and sends its SIP messages; a file that cannot be read is reported
/// through `on_file_error` and skipped. A setup error (TLS, spool, pcap output, log file)
/// is reported through `on_file_error` too, with an empty path, and nothing is sent; use
/// [`try_run`] to get it as an error.
pub fn run(cfg: AgentConfig, mut on_file_error: impl FnMut(&PathBuf, String)) -> Summary {
    match try_run(cfg, &mut on_file_error) {
        Ok(s) => s,
        Err(e) => {
            on_file_error(&PathBuf::new(), e.to_string());
            Summary::default()
        }
    }
}

/// [`run`], failing before anything is sent when TLS, the spool, the pcap output or the
/// log input cannot be set up.
pub fn try_run(
    cfg: AgentConfig,
    mut on_file_error: impl FnMut(&PathBuf, String),
) -> Result<Summary, AgentError> {
    let started = Instant::now();
    let mut sum = Summary::default();
    let mut sender = HepSender::try_new(cfg.clone())?;
    // Live capture writes the raw frames it reads; files write the messages sent.
    let mut raw_pcap = None;
    let mut pcap = None;
    if let Some(r) = &cfg.pcap_out {
        let rot = pcap_out::PcapRotator::new(r.clone())?;
        if cfg.live.is_some() {
            raw_pcap = Some(rot);
        } else {
            pcap = Some(pcap_out::CapturePcap::new(rot));
        }
    }
    let mut log_in = match &cfg.logs {
        Some(l) => Some(
            logs::LogInput::start(l).map_err(|error| AgentError::LogInput {
                path: match &l.source {
                    LogSource::File(p) => p.clone(),
                    LogSource::Stdin => PathBuf::from("-"),
                },
                error,
            })?,
        ),
        None => None,
    };
    let wire = argos_wire::WireOptions {
        unwrap_hep: cfg.unwrap_hep,
        tls_keylog: cfg.tls_keylog.clone(),
        rtcp: cfg.rtcp,
        rtcp_uncorrelated: false,
        rtp: cfg.rtp,
    };
    let mut pcap_error_reported = false;
    let mut rate_start: Option<Instant> = None;
    let stopped = || cfg.stop.load(Ordering::Relaxed);
    let mut wire_counts = argos_wire::WireCounts::default();
    for path in &cfg.files {
        if stopped() {
            break;
        }
        sum.files += 1;
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => {
                sum.files_failed += 1;
                on_file_error(path, e.to_string());
                continue;
            }
        };
        // Pacing: this file's first message goes out now, the others at their offsets.
        let mut first: Option<(i64, Instant)> = None;
        let res = argos_wire::read_captures_with(
            std::io::BufReader::with_capacity(1 << 20, file),
            &wire,
            |c| {
                if cfg.pace {
                    let (t0, w0) = *first.get_or_insert((c.ts_us, Instant::now()));
                    let off = Duration::from_micros(u64::try_from(c.ts_us - t0).unwrap_or(0));
                    let due = w0 + off;
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now);
                    }
                }
                if cfg.max_rate > 0 {
                    let r0 = *rate_start.get_or_insert_with(Instant::now);
                    let due = r0 + Duration::from_secs_f64(sum.read as f64 / cfg.max_rate as f64);
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now);
                    }
                }
                if let Some(l) = &mut log_in {
                    l.send_waiting(&mut sender);
                }
                sum.read += 1;
                sender.send(&c);
                if let Some(p) = &mut pcap {
                    if let Err(e) = p.write(&c) {
                        if !pcap_error_reported {
                            pcap_error_reported = true;
                            on_file_error(&e.path, e.to_string());
                        }
                    }
                }
                !stopped()
            },
        );
        match res {
            Ok(n) => {
                sum.frames += n.frames;
                wire_counts.add(&n);
            }
            Err(e) => {
                sum.files_failed += 1;
                on_file_error(path, e.to_string());
            }
        }
    }
    if let Some(live) = cfg.live.as_ref().filter(|_| !stopped()) {
        let mut on_pcap_error = |e: pcap_out::PcapOutError| on_file_error(&e.path, e.to_string());
        let (n, ls) = live::run(
            live,
            &wire,
            &cfg.stop,
            raw_pcap.as_mut(),
            &mut on_pcap_error,
            &mut |ev| match ev {
                live::LiveEvent::Capture(c) => {
                    sum.read += 1;
                    sender.send(&c);
                }
                live::LiveEvent::Idle => {
                    if let Some(l) = &mut log_in {
                        l.send_waiting(&mut sender);
                    }
                    sender.poll();
                }
            },
        )?;
        sum.frames += n.frames;
        wire_counts.add(&n);
        sum.live = Some(ls);
    }
    // RTCP reports are not SIP messages: `read` counts what was sent of both.
    sum.rtcp_sent = wire_counts.rtcp_sent;
    sum.rtcp_uncorrelated = wire_counts.rtcp_uncorrelated;
    sum.rtp_packets = wire_counts.rtp;
    sum.rtp_streams = wire_counts.rtp_streams;
    sum.rtp_reports = wire_counts.rtp_reports;
    sum.tls_decrypted = wire_counts.tls.decrypted;
    sum.tls_no_key = wire_counts.tls.no_key;
    if let Some(r) = raw_pcap {
        match r.finish() {
            Ok(st) => sum.pcap_out = Some(st),
            Err(e) => on_file_error(&e.path, e.to_string()),
        }
    }
    if let Some(mut l) = log_in {
        if !stopped() {
            l.follow(&mut sender, &cfg.stop);
        }
        let st = l.stop();
        sum.log_lines_read = st.read;
        sum.log_lines_sent = st.sent;
        sum.log_lines_correlated = st.correlated;
        sum.log_lines_skipped = st.skipped;
    }
    if let Some(p) = pcap {
        match p.finish() {
            Ok(st) => sum.pcap_out = Some(st),
            Err(e) => on_file_error(&e.path, e.to_string()),
        }
    }
    sum.compressed = cfg.compress;
    sum.compressed_bytes_saved = sender.compressed_bytes_saved();
    sum.collectors = sender.finish();
    for c in &sum.collectors {
        sum.sent += c.sent;
        sum.bytes += c.bytes;
        sum.dropped += c.dropped;
        sum.dropped_buffer_full += c.dropped_buffer_full;
        sum.dropped_spool_full += c.dropped_spool_full;
        sum.dropped_send_error += c.dropped_send_error;
        sum.dropped_at_exit += c.dropped_at_exit;
        if let Some(s) = &c.spool {
            sum.spooled += s.spooled;
            sum.spool_replayed += s.replayed;
            sum.spool_corrupt += s.corrupt;
            sum.spool_left_bytes += s.left_bytes;
        }
    }
    sum.seconds = started.elapsed().as_secs_f64();
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argos_model::{PayloadKind, Transport};
    use bytes::Bytes;
    use std::io::Read;
    use std::net::{TcpListener, UdpSocket};

    fn cap(i: u32) -> Capture {
        Capture::new(
            1_764_064_800_123_456 + i64::from(i),
            "10.0.0.1:5060".parse().expect("addr"),
            "[::1]:5070".parse().expect("addr"),
            Transport::Tcp,
            PayloadKind::SIP,
            Bytes::from(format!("OPTIONS sip:{i}@b SIP/2.0\r\n\r\n")),
        )
    }

    fn cfg(targets: &[&str]) -> AgentConfig {
        let mut c = AgentConfig::new(
            vec![],
            targets
                .iter()
                .map(|t| Target::parse(t).expect("target"))
                .collect(),
        );
        c.backoff_min = Duration::from_millis(10);
        c.backoff_max = Duration::from_millis(50);
        c.drain_timeout = Duration::from_millis(300);
        c
    }

    fn closed_port() -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    }

    #[test]
    fn targets_parse() {
        let t = Target::parse("tcp:collector.example:9061").expect("ok");
        assert_eq!(t.proto, Proto::Tcp);
        assert_eq!(t.to_string(), "tcp:collector.example:9061");
        assert!(Target::parse("udp:[::1]:9060").is_ok());
        let t = Target::parse("tls:[::1]:9061").expect("tls");
        assert_eq!((t.proto, t.host()), (Proto::Tls, "::1"));
        assert_eq!(
            Target::parse("tls:hep.example:9061").expect("tls").host(),
            "hep.example"
        );
        for bad in ["9060", "sctp:a:1", "udp:a", "udp::9060", "tcp:a:99999"] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn encode_carries_the_capture() {
        let mut c = cfg(&[]);
        c.node = Some("edge-1".into());
        c.auth_key = Some("secret".into());
        let mut out = Vec::new();
        HepSender::encode(&c, &cap(7), &mut out);
        let p = argos_hep::decode(&out).expect("decode");
        assert_eq!(p.capture_id, DEFAULT_CAPTURE_ID);
        assert_eq!(p.node_name, Some(&b"edge-1"[..]));
        assert_eq!(p.auth_key, Some(&b"secret"[..]));
        assert_eq!(p.ip_proto, 6);
        assert_eq!(p.src_addr().to_string(), "10.0.0.1:5060");
        assert_eq!(p.dst_port, 5070);
        assert_eq!((p.ts_sec, p.ts_usec), (1_764_064_800, 123_463));
        assert_eq!(&p.payload[..], &cap(7).payload[..]);
    }

    #[test]
    fn udp_delivers_every_packet() {
        let rx = UdpSocket::bind("127.0.0.1:0").expect("bind");
        rx.set_read_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        let t = format!("udp:{}", rx.local_addr().expect("addr"));
        let mut s = HepSender::new(cfg(&[&t]));
        for i in 0..5 {
            s.send(&cap(i));
        }
        let st = s.finish();
        assert_eq!((st[0].sent, st[0].dropped), (5, 0));
        let mut buf = [0u8; 2048];
        for i in 0..5 {
            let n = rx.recv(&mut buf).expect("recv");
            let p = argos_hep::decode(&buf[..n]).expect("decode");
            assert_eq!(&p.payload[..], &cap(i).payload[..]);
        }
    }

    #[test]
    fn tcp_down_buffers_then_drops() {
        let port = closed_port();
        let mut c = cfg(&[&format!("tcp:127.0.0.1:{port}")]);
        c.buffer_packets = 3;
        let mut s = HepSender::new(c);
        for i in 0..10 {
            s.send(&cap(i));
        }
        assert_eq!(s.buffered(), 3);
        let t0 = Instant::now();
        let st = s.finish();
        assert!(t0.elapsed() < Duration::from_secs(2));
        assert_eq!(st[0].sent, 0);
        assert_eq!(st[0].dropped, 10);
        assert_eq!(st[0].buffered_max, 3);
        assert!(st[0].errors >= 1);
    }

    #[test]
    fn tcp_buffer_is_delivered_when_the_collector_comes_up() {
        let port = closed_port();
        let target = format!("tcp:127.0.0.1:{port}");
        let mut s = HepSender::new(cfg(&[&target]));
        for i in 0..4 {
            s.send(&cap(i));
        }
        assert_eq!(s.buffered(), 4);
        let l = TcpListener::bind(("127.0.0.1", port)).expect("rebind");
        let rx = std::thread::spawn(move || {
            let (mut c, _) = l.accept().expect("accept");
            let mut all = Vec::new();
            c.read_to_end(&mut all).expect("read");
            all
        });
        std::thread::sleep(Duration::from_millis(60));
        s.send(&cap(4));
        let st = s.finish();
        assert_eq!((st[0].sent, st[0].dropped), (5, 0));
        let got = payloads(&rx.join().expect("join"));
        let want: Vec<Vec<u8>> = (0..5).map(|i| cap(i).payload.to_vec()).collect();
        assert_eq!(got, want, "in order, none lost");
    }

    /// HEP payloads in a TCP byte stream.
    fn payloads(stream: &[u8]) -> Vec<Vec<u8>> {
        let mut rest = stream;
        let mut got = Vec::new();
        while let Ok(Some(n)) = argos_hep::frame_len(rest) {
            let p = argos_hep::decode(&rest[..n]).expect("decode");
            got.push(p.payload.to_vec());
            rest = &rest[n..];
        }
        got
    }

    #[test]
    fn spool_takes_the_overflow_and_order_holds() {
        let port = closed_port();
        let target = format!("tcp:127.0.0.1:{port}");
        let dir = tempfile::tempdir().expect("tmp");
        let mut c = cfg(&[&target]);
        c.buffer_packets = 3;
        c.spool = Some(SpoolConfig {
            dir: dir.path().to_path_buf(),
            max_bytes: 1 << 20,
        });
        let mut s = HepSender::try_new(c).expect("sender");
        for i in 0..10 {
            s.send(&cap(i));
        }
        assert_eq!(s.buffered(), 3);
        let l = TcpListener::bind(("127.0.0.1", port)).expect("rebind");
        let rx = std::thread::spawn(move || {
            let (mut c, _) = l.accept().expect("accept");
            let mut all = Vec::new();
            c.read_to_end(&mut all).expect("read");
            all
        });
        std::thread::sleep(Duration::from_millis(60));
        s.send(&cap(10));
        let st = s.finish();
        assert_eq!((st[0].sent, st[0].dropped), (11, 0));
        let sp = st[0].spool.as_ref().expect("spool stats");
        assert_eq!((sp.spooled, sp.replayed, sp.left_bytes), (7, 7, 0));
        let want: Vec<Vec<u8>> = (0..11).map(|i| cap(i).payload.to_vec()).collect();
        assert_eq!(payloads(&rx.join().expect("join")), want, "capture order");
    }

    #[test]
    fn what_is_left_in_memory_at_exit_is_spooled_for_the_next_run() {
        let port = closed_port();
        let dir = tempfile::tempdir().expect("tmp");
        let mut c = cfg(&[&format!("tcp:127.0.0.1:{port}")]);
        c.drain_timeout = Duration::ZERO;
        c.spool = Some(SpoolConfig {
            dir: dir.path().to_path_buf(),
            max_bytes: 1 << 20,
        });
        let mut s = HepSender::new(c);
        for i in 0..4 {
            s.send(&cap(i));
        }
        let st = s.finish();
        assert_eq!((st[0].dropped, st[0].dropped_at_exit), (0, 0));
        let sp = st[0].spool.as_ref().expect("spool");
        assert_eq!(sp.spooled, 4);
        assert!(sp.left_bytes > 0);
    }

    #[test]
    fn compression_shrinks_and_decodes_back() {
        let mut c = cfg(&[]);
        c.compress = true;
        let big = Capture::new(
            0,
            "10.0.0.1:5060".parse().expect("addr"),
            "10.0.0.2:5060".parse().expect("addr"),
            Transport::Udp,
            PayloadKind::SIP,
            Bytes::from(
                "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n"
                    .repeat(20),
            ),
        );
        let mut out = Vec::new();
        HepSender::encode(&c, &big, &mut out);
        let saved = compression_saving(&out, big.payload.len());
        assert!(saved > 1000, "{saved}");
        let p = argos_hep::decode(&out).expect("decode");
        assert_eq!(&p.payload[..], &big.payload[..]);
        c.compress = false;
        let mut plain = Vec::new();
        HepSender::encode(&c, &big, &mut plain);
        assert_eq!(plain.len() as i64 - out.len() as i64, saved);
        assert_eq!(compression_saving(&plain, big.payload.len()), 0);
    }

    #[test]
    fn failover_switches_to_the_next_collector() {
        let dead = closed_port();
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let live = l.local_addr().expect("addr");
        let rx = std::thread::spawn(move || {
            let (mut c, _) = l.accept().expect("accept");
            let mut all = Vec::new();
            c.read_to_end(&mut all).expect("read");
            all.len()
        });
        let mut c = cfg(&[&format!("tcp:127.0.0.1:{dead}"), &format!("tcp:{live}")]);
        c.failover = true;
        let mut s = HepSender::new(c);
        for i in 0..6 {
            s.send(&cap(i));
        }
        let st = s.finish();
        assert_eq!(st[0].sent + st[0].dropped, 0);
        assert_eq!(st[1].sent, 6);
        assert!(rx.join().expect("join") > 0);
    }

    /// A pcap (raw IP) with one UDP SIP datagram per (offset µs, payload).
    fn pcap(msgs: &[(u32, &str)]) -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        f.extend_from_slice(&2u16.to_le_bytes());
        f.extend_from_slice(&4u16.to_le_bytes());
        f.extend_from_slice(&[0; 8]);
        f.extend_from_slice(&65_535u32.to_le_bytes());
        f.extend_from_slice(&101u32.to_le_bytes());
        for (off, p) in msgs {
            let udp_len = 8 + p.len();
            let mut ip = vec![0x45, 0];
            ip.extend_from_slice(&((20 + udp_len) as u16).to_be_bytes());
            ip.extend_from_slice(&[0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
            ip.extend_from_slice(&5060u16.to_be_bytes());
            ip.extend_from_slice(&5060u16.to_be_bytes());
            ip.extend_from_slice(&(udp_len as u16).to_be_bytes());
            ip.extend_from_slice(&[0, 0]);
            ip.extend_from_slice(p.as_bytes());
            f.extend_from_slice(&1_764_064_800u32.to_le_bytes());
            f.extend_from_slice(&off.to_le_bytes());
            f.extend_from_slice(&(ip.len() as u32).to_le_bytes());
            f.extend_from_slice(&(ip.len() as u32).to_le_bytes());
            f.extend_from_slice(&ip);
        }
        f
    }

    #[test]
    fn run_paces_at_the_capture_timing() {
        let dir = std::env::temp_dir().join(format!("argos-agent-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("two.pcap");
        let a = "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n";
        let b = "SIP/2.0 200 OK\r\nCall-ID: x\r\n\r\n";
        std::fs::write(&file, pcap(&[(0, a), (400_000, b)])).expect("write");
        let rx = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let target = format!("udp:{}", rx.local_addr().expect("addr"));
        let mut c = cfg(&[&target]);
        c.files = vec![file.clone(), dir.join("missing.pcap")];
        c.pace = true;
        let mut failed = Vec::new();
        let t0 = Instant::now();
        let sum = run(c, |p, _| failed.push(p.clone()));
        let took = t0.elapsed();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(took >= Duration::from_millis(380), "{took:?}");
        assert!(took < Duration::from_secs(3), "{took:?}");
        assert_eq!((sum.files, sum.files_failed, sum.frames), (2, 1, 2));
        assert_eq!((sum.read, sum.sent, sum.dropped), (2, 2, 0));
        assert_eq!(failed.len(), 1);
        let mut buf = [0u8; 2048];
        let n = rx.recv(&mut buf).expect("recv");
        let p = argos_hep::decode(&buf[..n]).expect("decode");
        assert_eq!(&p.payload[..], a.as_bytes());
        assert_eq!((p.ts_sec, p.ts_usec, p.ip_proto), (1_764_064_800, 0, 17));
    }
}
