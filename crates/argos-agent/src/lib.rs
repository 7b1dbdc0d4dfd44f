//! The Argos capture agent: every SIP message of a capture, sent as HEPv3 to one or more
//! collectors.
//!
//! * Input: pcap/pcapng files, read through exactly the packet path of `argos import`
//!   ([`argos_server::pcap_input::read_captures`]: UDP, TCP reassembly, WebSocket, SCTP), so a
//!   collector stores what an import would. Optionally paced at the capture's own timing
//!   ([`AgentConfig::pace`]) or capped at a rate ([`AgentConfig::max_rate`]). Live capture
//!   from an interface is not here yet.
//! * Output: [`HepSender`] encodes each [`Capture`] once with [`argos_hep::encode_v3`]
//!   (addresses, ports, timestamp and transport from the capture; capture id, node name and
//!   auth key from the config) and hands it to every collector, or with
//!   [`AgentConfig::failover`] to the first one that takes it.
//! * TCP collectors reconnect with exponential backoff; while one is down its packets wait
//!   in a bounded in-memory buffer, and what does not fit is dropped and counted. At the end
//!   [`HepSender::finish`] gives buffered packets until [`AgentConfig::drain_timeout`] to go
//!   out, then counts the rest as dropped.
//!
//! UDP has no notion of "down": a datagram the kernel accepted counts as sent.

use argos_hep::{HepPacket, HepVersion, ProtoType};
use argos_model::Capture;
use std::collections::VecDeque;
use std::io::Write;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// captagent's default capture id (heplify uses 2002): what collectors expect from an agent.
pub const DEFAULT_CAPTURE_ID: u32 = 2001;

/// The transport to a collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Udp,
    Tcp,
}

/// One collector: `udp:HOST:PORT` or `tcp:HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub proto: Proto,
    /// `HOST:PORT` as given (resolved on each connect).
    pub addr: String,
}

impl Target {
    pub fn parse(s: &str) -> Result<Target, String> {
        let (kind, addr) = s
            .split_once(':')
            .ok_or_else(|| format!("{s}: expected udp:HOST:PORT or tcp:HOST:PORT"))?;
        let proto = match kind {
            "udp" => Proto::Udp,
            "tcp" => Proto::Tcp,
            _ => return Err(format!("{s}: transport must be udp or tcp")),
        };
        match addr.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() && p.parse::<u16>().is_ok() => {}
            _ => return Err(format!("{s}: expected udp:HOST:PORT or tcp:HOST:PORT")),
        }
        Ok(Target {
            proto,
            addr: addr.to_owned(),
        })
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
    /// Packets held per TCP collector while it is down.
    pub buffer_packets: usize,
    /// TCP connect and write timeout.
    pub io_timeout: Duration,
    /// First and longest wait between reconnect attempts (doubling in between).
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// How long [`HepSender::finish`] keeps trying to deliver buffered packets.
    pub drain_timeout: Duration,
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
        }
    }
}

/// Per-collector outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CollectorStats {
    pub target: String,
    pub sent: u64,
    pub bytes: u64,
    /// Packets lost: buffer full, a UDP send error, or still buffered after the drain timeout.
    pub dropped: u64,
    /// Successful connects after the first (TCP).
    pub reconnects: u64,
    /// Failed connects and writes (TCP), send errors (UDP).
    pub errors: u64,
    /// Most packets held in the buffer at once.
    pub buffered_max: u64,
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
    /// Packets delivered, over all collectors.
    pub sent: u64,
    /// Packets lost, over all collectors (broadcast: a packet may count once per collector).
    pub dropped: u64,
    pub seconds: f64,
    pub collectors: Vec<CollectorStats>,
}

enum Conn {
    Udp(Option<UdpSocket>),
    Tcp(Option<TcpStream>),
}

struct Link {
    target: Target,
    conn: Conn,
    buffer: VecDeque<Vec<u8>>,
    cap: usize,
    next_attempt: Instant,
    backoff: Duration,
    connected_once: bool,
    stats: CollectorStats,
}

impl Link {
    fn new(target: Target, cfg: &AgentConfig) -> Link {
        let conn = match target.proto {
            Proto::Udp => Conn::Udp(None),
            Proto::Tcp => Conn::Tcp(None),
        };
        Link {
            stats: CollectorStats {
                target: target.to_string(),
                ..Default::default()
            },
            target,
            conn,
            buffer: VecDeque::new(),
            cap: cfg.buffer_packets,
            next_attempt: Instant::now(),
            backoff: cfg.backoff_min,
            connected_once: false,
        }
    }

    /// True when the link can take a packet now (connecting if due, flushing its buffer).
    fn ready(&mut self, cfg: &AgentConfig) -> bool {
        let connected = match &self.conn {
            Conn::Udp(s) => s.is_some(),
            Conn::Tcp(s) => s.is_some(),
        };
        if !connected {
            let now = Instant::now();
            if now < self.next_attempt {
                return false;
            }
            match self.connect(cfg) {
                Ok(c) => {
                    self.conn = c;
                    if self.connected_once {
                        self.stats.reconnects += 1;
                    }
                    self.connected_once = true;
                    self.backoff = cfg.backoff_min;
                }
                Err(_) => {
                    self.stats.errors += 1;
                    self.next_attempt = now + self.backoff;
                    self.backoff = (self.backoff * 2).min(cfg.backoff_max);
                    return false;
                }
            }
        }
        while let Some(p) = self.buffer.pop_front() {
            if !self.write(&p, cfg) {
                self.buffer.push_front(p);
                return false;
            }
        }
        true
    }

    fn connect(&self, cfg: &AgentConfig) -> std::io::Result<Conn> {
        let addr = self.target.resolve()?;
        Ok(match self.target.proto {
            Proto::Udp => {
                let bind: SocketAddr = if addr.is_ipv4() {
                    ([0u8; 4], 0).into()
                } else {
                    (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
                };
                let s = UdpSocket::bind(bind)?;
                s.connect(addr)?;
                Conn::Udp(Some(s))
            }
            Proto::Tcp => {
                let s = TcpStream::connect_timeout(&addr, cfg.io_timeout)?;
                s.set_write_timeout(Some(cfg.io_timeout))?;
                s.set_nodelay(true)?;
                Conn::Tcp(Some(s))
            }
        })
    }

    /// Writes one packet on a connected link; false (and the link down) on a TCP error.
    /// A UDP error drops the packet but keeps the link.
    fn write(&mut self, pkt: &[u8], cfg: &AgentConfig) -> bool {
        match &mut self.conn {
            Conn::Udp(Some(s)) => {
                let mut tries = 0;
                loop {
                    tries += 1;
                    match s.send(pkt) {
                        Ok(_) => break,
                        // ICMP refusal of an earlier datagram (nobody listening yet): retry once.
                        Err(e)
                            if e.kind() == std::io::ErrorKind::ConnectionRefused && tries < 3 => {}
                        // ENOBUFS: the kernel queue is full; back off briefly.
                        Err(e) if e.raw_os_error() == Some(105) && tries < 1000 => {
                            std::thread::sleep(Duration::from_micros(50));
                        }
                        Err(_) => {
                            self.stats.errors += 1;
                            self.stats.dropped += 1;
                            return true;
                        }
                    }
                }
            }
            Conn::Tcp(Some(s)) => {
                if s.write_all(pkt).is_err() {
                    self.stats.errors += 1;
                    self.conn = Conn::Tcp(None);
                    self.next_attempt = Instant::now() + self.backoff;
                    self.backoff = (self.backoff * 2).min(cfg.backoff_max);
                    return false;
                }
            }
            _ => return false,
        }
        self.stats.sent += 1;
        self.stats.bytes += pkt.len() as u64;
        true
    }

    /// Sends now or buffers (TCP down); true when sent.
    fn deliver(&mut self, pkt: &[u8], cfg: &AgentConfig) -> bool {
        if self.ready(cfg) && self.write(pkt, cfg) {
            return true;
        }
        self.enqueue(pkt.to_vec());
        false
    }

    fn enqueue(&mut self, pkt: Vec<u8>) {
        if self.buffer.len() >= self.cap {
            self.stats.dropped += 1;
            return;
        }
        self.buffer.push_back(pkt);
        self.stats.buffered_max = self.stats.buffered_max.max(self.buffer.len() as u64);
    }
}

/// Encodes captures as HEPv3 and delivers them to the collectors.
pub struct HepSender {
    cfg: AgentConfig,
    links: Vec<Link>,
    /// Failover: the collector currently in use.
    active: usize,
    pkt: Vec<u8>,
}

impl HepSender {
    pub fn new(cfg: AgentConfig) -> HepSender {
        let links = cfg
            .targets
            .iter()
            .map(|t| Link::new(t.clone(), &cfg))
            .collect();
        HepSender {
            cfg,
            links,
            active: 0,
            pkt: Vec::with_capacity(4096),
        }
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
            compressed: false,
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
            let l = &mut self.links[i];
            if l.ready(&self.cfg) && l.write(pkt, &self.cfg) {
                self.active = i;
                return;
            }
        }
        self.links[self.active].enqueue(pkt.to_vec());
    }

    /// Packets waiting in buffers.
    pub fn buffered(&self) -> usize {
        self.links.iter().map(|l| l.buffer.len()).sum()
    }

    /// Delivers what is buffered (until the drain timeout), closes the connections and
    /// returns the per-collector counts; what is still buffered is counted as dropped.
    pub fn finish(mut self) -> Vec<CollectorStats> {
        let deadline = Instant::now() + self.cfg.drain_timeout;
        loop {
            let mut waiting = false;
            let mut next = deadline;
            for l in &mut self.links {
                if !l.buffer.is_empty() && !l.ready(&self.cfg) {
                    waiting = true;
                    next = next.min(l.next_attempt);
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
        self.links
            .into_iter()
            .map(|mut l| {
                l.stats.dropped += l.buffer.len() as u64;
                if let Conn::Tcp(Some(s)) = &mut l.conn {
                    let _ = s.flush();
                    let _ = s.shutdown(std::net::Shutdown::Write);
                }
                l.stats
            })
            .collect()
    }
}

/// Reads every file and sends its SIP messages; a file that cannot be read is reported
/// through `on_file_error` and skipped.
pub fn run(cfg: AgentConfig, mut on_file_error: impl FnMut(&PathBuf, String)) -> Summary {
    let started = Instant::now();
    let mut sum = Summary::default();
    let mut sender = HepSender::new(cfg.clone());
    let mut rate_start: Option<Instant> = None;
    for path in &cfg.files {
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
        let res = argos_server::pcap_input::read_captures(
            std::io::BufReader::with_capacity(1 << 20, file),
            cfg.unwrap_hep,
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
                sum.read += 1;
                sender.send(&c);
                true
            },
        );
        match res {
            Ok(n) => sum.frames += n.frames,
            Err(e) => {
                sum.files_failed += 1;
                on_file_error(path, e.to_string());
            }
        }
    }
    sum.collectors = sender.finish();
    sum.sent = sum.collectors.iter().map(|c| c.sent).sum();
    sum.dropped = sum.collectors.iter().map(|c| c.dropped).sum();
    sum.seconds = started.elapsed().as_secs_f64();
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use argos_model::{PayloadKind, Transport};
    use bytes::Bytes;
    use std::io::Read;
    use std::net::TcpListener;

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
        let all = rx.join().expect("join");
        let mut rest = &all[..];
        let mut got = Vec::new();
        while let Ok(Some(n)) = argos_hep::frame_len(rest) {
            let p = argos_hep::decode(&rest[..n]).expect("decode");
            got.push(p.payload.to_vec());
            rest = &rest[n..];
        }
        let want: Vec<Vec<u8>> = (0..5).map(|i| cap(i).payload.to_vec()).collect();
        assert_eq!(got, want, "in order, none lost");
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
