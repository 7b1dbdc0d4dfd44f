//! `argos gen`: a load generator. Replays the SIP messages of a capture (or a built-in
//! call flow) as HEPv3 over UDP or TCP at a set rate, giving every loop fresh Call-IDs so
//! the collector sees new calls, from several sender threads.

use anyhow::{bail, Context};
use argos_hep::{HepPacket, HepVersion, ProtoType};
use std::borrow::Cow;
use std::io::Write;
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to send: udp:HOST:PORT or tcp:HOST:PORT.
    #[arg(long, default_value = "udp:127.0.0.1:9060")]
    to: String,
    /// Capture whose SIP messages are replayed (default: a built-in 7-message call).
    #[arg(long)]
    file: Option<PathBuf>,
    /// Messages per second over all senders; 0 sends as fast as possible.
    #[arg(long, default_value_t = 10_000)]
    rate: u64,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Stop after this many messages (over all senders), if sooner.
    #[arg(long)]
    count: Option<u64>,
    /// Parallel sender threads.
    #[arg(long, default_value_t = 1)]
    senders: usize,
    /// HEP auth key to put in every packet.
    #[arg(long)]
    auth_key: Option<String>,
    /// HEP capture id.
    #[arg(long, default_value_t = 4242)]
    capture_id: u32,
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
}

/// One template message, cut around its Call-ID occurrences so a loop can splice new ids in.
struct Template {
    parts: Vec<Vec<u8>>,
    /// Which of the capture's Call-IDs was cut out before `parts[i + 1]`: a loop gives each
    /// original Call-ID its own fresh one, so the dialogs of a replayed capture stay apart
    /// (and an X-CID that names another leg's Call-ID still names that leg).
    cut_ids: Vec<usize>,
    src: SocketAddr,
    dst: SocketAddr,
}

const BUILTIN: &[(&str, &str, &str)] = &[
    ("10.1.0.1:5060", "10.1.0.2:5060", "INVITE sip:2002@10.1.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.0.1:5060;branch=z9hG4bK-gen-1\r\nMax-Forwards: 70\r\nFrom: \"Alice\" <sip:1001@10.1.0.1>;tag=gen1\r\nTo: <sip:2002@10.1.0.2>\r\nCall-ID: @CALLID@\r\nCSeq: 1 INVITE\r\nContact: <sip:1001@10.1.0.1:5060>\r\nUser-Agent: argos-gen\r\nContent-Type: application/sdp\r\nContent-Length: 129\r\n\r\nv=0\r\no=- 1 1 IN IP4 10.1.0.1\r\ns=-\r\nc=IN IP4 10.1.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"),
    ("10.1.0.2:5060", "10.1.0.1:5060", "SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 10.1.0.1:5060;branch=z9hG4bK-gen-1\r\nFrom: \"Alice\" <sip:1001@10.1.0.1>;tag=gen1\r\nTo: <sip:2002@10.1.0.2>\r\nCall-ID: @CALLID@\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"),
    ("10.1.0.2:5060", "10.1.0.1:5060", "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 10.1.0.1:5060;branch=z9hG4bK-gen-1\r\nFrom: \"Alice\" <sip:1001@10.1.0.1>;tag=gen1\r\nTo: <sip:2002@10.1.0.2>;tag=gen2\r\nCall-ID: @CALLID@\r\nCSeq: 1 INVITE\r\nContact: <sip:2002@10.1.0.2:5060>\r\nContent-Length: 0\r\n\r\n"),
    ("10.1.0.2:5060", "10.1.0.1:5060", "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.1.0.1:5060;branch=z9hG4bK-gen-1\r\nFrom: \"Alice\" <sip:1001@10.1.0.1>;tag=gen1\r\nTo: <sip:2002@10.1.0.2>;tag=gen2\r\nCall-ID: @CALLID@\r\nCSeq: 1 INVITE\r\nContact: <sip:2002@10.1.0.2:5060>\r\nServer: argos-gen-uas\r\nContent-Type: application/sdp\r\nContent-Length: 110\r\n\r\nv=0\r\no=- 2 2 IN IP4 10.1.0.2\r\ns=-\r\nc=IN IP4 10.1.0.2\r\nt=0 0\r\nm=audio 50000 RTP/AVP 0\r\na=sendrecv\r\n"),
    ("10.1.0.1:5060", "10.1.0.2:5060", "ACK sip:2002@10.1.0.2:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.0.1:5060;branch=z9hG4bK-gen-2\r\nMax-Forwards: 70\r\nFrom: \"Alice\" <sip:1001@10.1.0.1>;tag=gen1\r\nTo: <sip:2002@10.1.0.2>;tag=gen2\r\nCall-ID: @CALLID@\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"),
    ("10.1.0.1:5060", "10.1.0.2:5060", "BYE sip:2002@10.1.0.2:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.0.1:5060;branch=z9hG4bK-gen-3\r\nMax-Forwards: 70\r\nFrom: \"Alice\" <sip:1001@10.1.0.1>;tag=gen1\r\nTo: <sip:2002@10.1.0.2>;tag=gen2\r\nCall-ID: @CALLID@\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"),
    ("10.1.0.2:5060", "10.1.0.1:5060", "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.1.0.1:5060;branch=z9hG4bK-gen-3\r\nFrom: \"Alice\" <sip:1001@10.1.0.1>;tag=gen1\r\nTo: <sip:2002@10.1.0.2>;tag=gen2\r\nCall-ID: @CALLID@\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"),
];

/// Splits `payload` around every occurrence of any of `ids`; also says which id each cut was.
fn cut(payload: &[u8], ids: &[Vec<u8>]) -> (Vec<Vec<u8>>, Vec<usize>) {
    let mut parts = Vec::new();
    let mut cut_ids = Vec::new();
    let mut rest = payload;
    'outer: loop {
        let mut best: Option<(usize, usize, usize)> = None;
        for (k, id) in ids.iter().enumerate().filter(|(_, i)| !i.is_empty()) {
            if let Some(pos) = memchr::memmem::find(rest, id) {
                if best.is_none_or(|(p, l, _)| pos < p || (pos == p && id.len() > l)) {
                    best = Some((pos, id.len(), k));
                }
            }
        }
        match best {
            Some((pos, len, k)) => {
                parts.push(rest[..pos].to_vec());
                cut_ids.push(k);
                rest = &rest[pos + len..];
            }
            None => {
                parts.push(rest.to_vec());
                break 'outer;
            }
        }
    }
    (parts, cut_ids)
}

fn templates(file: Option<&PathBuf>) -> anyhow::Result<Vec<Template>> {
    let mut msgs: Vec<(SocketAddr, SocketAddr, Vec<u8>)> = Vec::new();
    match file {
        None => {
            for (s, d, p) in BUILTIN {
                msgs.push((s.parse()?, d.parse()?, p.as_bytes().to_vec()));
            }
        }
        Some(path) => {
            let f =
                std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
            argos_wire::read_captures(std::io::BufReader::new(f), true, |c| {
                msgs.push((c.src, c.dst, c.payload.to_vec()));
                true
            })
            .with_context(|| format!("reading {}", path.display()))?;
        }
    }
    let mut ids: Vec<Vec<u8>> = vec![b"@CALLID@".to_vec()];
    for (_, _, p) in &msgs {
        if let Ok(m) = argos_sip::parse(p) {
            if let Some(cid) = m.header("Call-ID") {
                let cid = cid.as_bytes().to_vec();
                if !ids.contains(&cid) {
                    ids.push(cid);
                }
            }
        }
    }
    if msgs.is_empty() {
        bail!("no SIP message to replay");
    }
    Ok(msgs
        .into_iter()
        .map(|(src, dst, p)| {
            let (parts, cut_ids) = cut(&p, &ids);
            Template {
                parts,
                cut_ids,
                src,
                dst,
            }
        })
        .collect())
}

enum Sink {
    Udp(UdpSocket),
    Tcp(std::io::BufWriter<TcpStream>),
}

impl Sink {
    fn open(to: &str) -> anyhow::Result<Sink> {
        let (kind, addr) = to
            .split_once(':')
            .with_context(|| format!("--to {to}: expected udp:HOST:PORT or tcp:HOST:PORT"))?;
        let addr: SocketAddr = std::net::ToSocketAddrs::to_socket_addrs(addr)
            .with_context(|| format!("--to {to}"))?
            .next()
            .with_context(|| format!("--to {to}: no address"))?;
        Ok(match kind {
            "udp" => {
                let bind: SocketAddr = if addr.is_ipv4() {
                    "0.0.0.0:0".parse()?
                } else {
                    "[::]:0".parse()?
                };
                let s = UdpSocket::bind(bind)?;
                s.connect(addr)?;
                Sink::Udp(s)
            }
            "tcp" => Sink::Tcp(std::io::BufWriter::with_capacity(
                256 * 1024,
                TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?,
            )),
            _ => bail!("--to {to}: transport must be udp or tcp"),
        })
    }

    fn send(&mut self, pkt: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Udp(s) => loop {
                match s.send(pkt) {
                    Ok(_) => return Ok(()),
                    // ECONNREFUSED from an earlier datagram (nobody listening yet): keep going.
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => continue,
                    Err(e) if e.raw_os_error() == Some(105) => {
                        // ENOBUFS: the kernel queue is full; back off briefly.
                        std::thread::sleep(Duration::from_micros(50));
                    }
                    Err(e) => return Err(e),
                }
            },
            Sink::Tcp(w) => w.write_all(pkt),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Udp(_) => Ok(()),
            Sink::Tcp(w) => w.flush(),
        }
    }
}

/// Counters shared by all sender threads.
#[derive(Default)]
struct Progress {
    stop: AtomicBool,
    sent: AtomicU64,
    bytes: AtomicU64,
}

fn sender(
    id: usize,
    a: &Args,
    tpl: &[Template],
    rate: f64,
    limit: u64,
    p: &Progress,
) -> anyhow::Result<()> {
    let mut sink = Sink::open(&a.to)?;
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(a.duration.max(0.0));
    let mut payload = Vec::with_capacity(4096);
    let mut pkt = Vec::with_capacity(4096);
    let mut n: u64 = 0;
    let mut round: u64 = 0;
    let run = format!(
        "{:x}",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0)
    );
    'run: loop {
        let call_id = format!("gen-{run}-{id}-{round}-");
        for t in tpl {
            if n >= limit || p.stop.load(Relaxed) {
                break 'run;
            }
            if n.is_multiple_of(64) {
                let now = Instant::now();
                if now >= deadline {
                    break 'run;
                }
                if rate > 0.0 {
                    let due = start + Duration::from_secs_f64(n as f64 / rate);
                    if due > now {
                        sink.flush()?;
                        std::thread::sleep(due - now);
                    }
                }
            }
            payload.clear();
            for (i, part) in t.parts.iter().enumerate() {
                if let Some(k) = i.checked_sub(1).and_then(|c| t.cut_ids.get(c)) {
                    payload.extend_from_slice(call_id.as_bytes());
                    // Writing to a Vec cannot fail.
                    let _ = write!(payload, "{k}");
                }
                payload.extend_from_slice(part);
            }
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            let hep = HepPacket {
                version: HepVersion::V3,
                ip_family: if t.src.is_ipv4() { 2 } else { 10 },
                ip_proto: 17,
                src_ip: t.src.ip(),
                dst_ip: if t.dst.is_ipv4() == t.src.is_ipv4() {
                    t.dst.ip()
                } else {
                    IpAddr::from([0u8; 4])
                },
                src_port: t.src.port(),
                dst_port: t.dst.port(),
                ts_sec: now.as_secs() as u32,
                ts_usec: now.subsec_micros(),
                proto_type: ProtoType::SIP,
                capture_id: a.capture_id,
                keep_alive: None,
                auth_key: a.auth_key.as_deref().map(str::as_bytes),
                payload: Cow::Borrowed(&payload),
                compressed: false,
                correlation_id: None,
                vlan_id: None,
                node_name: None,
                mos: None,
            };
            pkt.clear();
            argos_hep::encode_v3(&hep, &mut pkt);
            sink.send(&pkt)?;
            p.bytes.fetch_add(pkt.len() as u64, Relaxed);
            n += 1;
            p.sent.fetch_add(1, Relaxed);
        }
        round += 1;
    }
    sink.flush()?;
    Ok(())
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let tpl = templates(a.file.as_ref())?;
    let senders = a.senders.max(1);
    let per_rate = a.rate as f64 / senders as f64;
    let total_limit = a.count.unwrap_or(u64::MAX);
    let per_limit = total_limit.div_ceil(senders as u64);
    let progress = Progress::default();
    let started = Instant::now();
    std::thread::scope(|s| -> anyhow::Result<()> {
        let mut hs = Vec::new();
        for id in 0..senders {
            let (a, tpl, p) = (&a, &tpl, &progress);
            hs.push(s.spawn(move || sender(id, a, tpl, per_rate, per_limit, p)));
        }
        for h in hs {
            h.join().map_err(|_| anyhow::anyhow!("sender panicked"))??;
        }
        Ok(())
    })?;
    let secs = started.elapsed().as_secs_f64();
    let n = progress.sent.load(Relaxed);
    if a.json {
        println!(
            "{}",
            serde_json::json!({"sent": n, "bytes": progress.bytes.load(Relaxed), "seconds": secs,
                "rate": n as f64 / secs.max(1e-9), "target": a.to, "templates": tpl.len()})
        );
    } else {
        println!(
            "sent {n} HEP packets ({} bytes) to {} in {secs:.2} s: {:.0} msg/s ({} template messages, {senders} sender(s))",
            progress.bytes.load(Relaxed),
            a.to,
            n as f64 / secs.max(1e-9),
            tpl.len()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn cut_says_which_call_id_each_gap_held() {
        let ids = vec![b"@CALLID@".to_vec(), b"leg-a".to_vec(), b"leg-b".to_vec()];
        let (parts, which) = cut(b"Call-ID: leg-b\r\nX-CID: leg-a\r\n", &ids);
        assert_eq!(
            parts,
            vec![
                b"Call-ID: ".to_vec(),
                b"\r\nX-CID: ".to_vec(),
                b"\r\n".to_vec()
            ]
        );
        assert_eq!(which, vec![2, 1]);
        let (parts, which) = cut(b"no id here", &ids);
        assert_eq!((parts.len(), which.len()), (1, 0));
    }
}
