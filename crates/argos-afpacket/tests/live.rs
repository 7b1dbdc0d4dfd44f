//! Live capture against the real kernel: loopback, a filter, the "any" device, a veth pair in a
//! network namespace made here, and a flood larger than the ring. Needs root or CAP_NET_RAW;
//! each test prints why and returns when a capture cannot be opened for lack of permission.

use argos_afpacket::{bpf_available, CaptureError, LiveCapture, LiveConfig, LiveStats};
use argos_net::{decode_packet, LinkType};
use std::net::UdpSocket;
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Held by the flood test and by tests that expect no drops on `lo`: a flood would fill their
/// rings too while they are not reading.
static LOOPBACK_LOAD: Mutex<()> = Mutex::new(());

fn lock_loopback() -> MutexGuard<'static, ()> {
    LOOPBACK_LOAD
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One decoded UDP datagram seen by a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    dst_port: u16,
    payload: Vec<u8>,
    ts_us: i64,
}

/// Opens a capture, or prints why the test is skipped (no permission) and returns None.
fn open_or_skip(cfg: &LiveConfig, test: &str) -> Option<LiveCapture> {
    match LiveCapture::open(cfg) {
        Ok(cap) => Some(cap),
        Err(CaptureError::Permission) => {
            eprintln!("skipping {test}: opening a packet socket needs root or CAP_NET_RAW");
            None
        }
        Err(CaptureError::Unsupported) => {
            eprintln!("skipping {test}: live capture is Linux-only");
            None
        }
        Err(e) => panic!("{test}: opening a capture on {:?}: {e}", cfg.interface),
    }
}

fn lo_config() -> LiveConfig {
    LiveConfig {
        interface: "lo".to_string(),
        block_timeout_ms: 10,
        ..LiveConfig::default()
    }
}

/// A SIP request line and a few headers, numbered.
fn sip_payload(tag: &str, i: usize) -> Vec<u8> {
    format!(
        "OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-{tag}-{i}\r\n\
         Call-ID: {tag}-{i}@argos\r\nCSeq: {i} OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

/// A bound UDP socket on 127.0.0.1 (its port is free and nothing answers with ICMP).
fn receiver() -> (UdpSocket, u16) {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind a receiver");
    let port = sock.local_addr().expect("local addr").port();
    (sock, port)
}

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// Reads batches until `done` says so or `limit` passes, decoding UDP datagrams to `ports`.
fn collect(
    cap: &mut LiveCapture,
    ports: &[u16],
    limit: Duration,
    done: impl Fn(&[Seen]) -> bool,
) -> Vec<Seen> {
    let link = cap.link_type();
    let mut seen = Vec::new();
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline && !done(&seen) {
        cap.next_batch(Duration::from_millis(50), &mut |frame| {
            assert!(frame.data.len() <= frame.orig_len as usize);
            let Ok(p) = decode_packet(link, frame.data) else {
                return;
            };
            if let Some((_, dst_port)) = p.transport.ports() {
                if ports.contains(&dst_port) && p.transport.ip_proto() == 17 {
                    seen.push(Seen {
                        dst_port,
                        payload: p.payload.to_vec(),
                        ts_us: frame.ts_us,
                    });
                }
            }
        })
        .expect("next_batch");
    }
    seen
}

fn assert_exactly(seen: &[Seen], sent: &[Vec<u8>], what: &str) {
    let got: Vec<&[u8]> = seen.iter().map(|s| s.payload.as_slice()).collect();
    let want: Vec<&[u8]> = sent.iter().map(Vec::as_slice).collect();
    assert_eq!(
        got, want,
        "{what}: captured payloads differ from those sent"
    );
}

fn send_all(to_port: u16, payloads: &[Vec<u8>]) {
    let sender = UdpSocket::bind("127.0.0.1:0").expect("bind sender");
    for p in payloads {
        sender
            .send_to(p, ("127.0.0.1", to_port))
            .expect("send datagram");
    }
}

#[test]
fn loopback_sees_exactly_the_datagrams_sent() {
    let _quiet = lock_loopback();
    let Some(mut cap) = open_or_skip(&lo_config(), "loopback") else {
        return;
    };
    assert_eq!(cap.link_type(), LinkType::ETHERNET);
    let (_rx, port) = receiver();
    let sent: Vec<Vec<u8>> = (0..20).map(|i| sip_payload("lo", i)).collect();
    let before = now_us();
    send_all(port, &sent);
    let seen = collect(&mut cap, &[port], Duration::from_secs(5), |s| {
        s.len() >= sent.len()
    });
    // A little longer: a duplicate (the outgoing copy on lo) would show up now.
    let mut seen = seen;
    seen.extend(collect(
        &mut cap,
        &[port],
        Duration::from_millis(200),
        |_| false,
    ));
    assert_exactly(&seen, &sent, "lo");
    for s in &seen {
        assert!(
            s.ts_us >= before - 1_000_000 && s.ts_us <= now_us() + 1_000_000,
            "timestamp {} not close to now ({before})",
            s.ts_us
        );
    }
    let stats = cap.stats().expect("stats");
    assert!(
        stats.packets >= sent.len() as u64,
        "kernel counted {stats:?}"
    );
    assert_eq!(stats.drops, 0, "{stats:?}");
}

#[test]
fn filter_keeps_only_its_port() {
    if !bpf_available() {
        eprintln!("skipping filter test: tcpdump (libpcap) is not installed to compile filters");
        return;
    }
    let (_rx_kept, kept) = receiver();
    let (_rx_other, other) = receiver();
    let cfg = LiveConfig {
        bpf: Some(format!("udp port {kept}")),
        ..lo_config()
    };
    let Some(mut cap) = open_or_skip(&cfg, "filter") else {
        return;
    };
    let sent: Vec<Vec<u8>> = (0..10).map(|i| sip_payload("kept", i)).collect();
    let noise: Vec<Vec<u8>> = (0..10).map(|i| sip_payload("other", i)).collect();
    for (k, o) in sent.iter().zip(&noise) {
        send_all(other, std::slice::from_ref(o));
        send_all(kept, std::slice::from_ref(k));
    }
    let mut seen = collect(&mut cap, &[kept, other], Duration::from_secs(5), |s| {
        s.len() >= sent.len()
    });
    seen.extend(collect(
        &mut cap,
        &[kept, other],
        Duration::from_millis(200),
        |_| false,
    ));
    assert!(
        seen.iter().all(|s| s.dst_port == kept),
        "a frame for port {other} passed the filter"
    );
    assert_exactly(&seen, &sent, "filtered lo");
}

#[test]
fn any_device_gives_cooked_frames() {
    let (_rx, port) = receiver();
    // With tcpdump the filter also checks the cooked-header rewrite for the kernel.
    let bpf = bpf_available().then(|| format!("udp dst port {port}"));
    let cfg = LiveConfig {
        interface: "any".to_string(),
        bpf,
        block_timeout_ms: 10,
        ..LiveConfig::default()
    };
    let Some(mut cap) = open_or_skip(&cfg, "any") else {
        return;
    };
    assert_eq!(cap.link_type(), LinkType::LINUX_SLL);
    let sent: Vec<Vec<u8>> = (0..10).map(|i| sip_payload("any", i)).collect();
    send_all(port, &sent);
    let mut seen = collect(&mut cap, &[port], Duration::from_secs(5), |s| {
        s.len() >= sent.len()
    });
    seen.extend(collect(
        &mut cap,
        &[port],
        Duration::from_millis(200),
        |_| false,
    ));
    // Once each: lo's outgoing copy is dropped on "any" too.
    assert_exactly(&seen, &sent, "any");
}

/// A network namespace with one end of a veth pair, addresses 10.250.N.1 (here) and
/// 10.250.N.2 (inside); removed on drop, even after a failure.
struct Netns {
    name: String,
    host_end: String,
    /// The namespace's end of the pair.
    peer: String,
    /// The address inside the root namespace the namespace sends to.
    host_ip: [u8; 4],
}

impl Netns {
    /// `variant` keeps two tests of one process apart.
    fn create(variant: u32) -> Option<Netns> {
        let tag = (std::process::id() * 2 + variant) % 100_000;
        let subnet_byte = (tag % 250) as u8;
        let subnet = format!("10.250.{subnet_byte}");
        let ns = Netns {
            name: format!("argos-afp-{tag}"),
            host_end: format!("afp{tag}h"),
            peer: format!("afp{tag}n"),
            host_ip: [10, 250, subnet_byte, 1],
        };
        let (host, peer, name) = (&ns.host_end, &ns.peer, &ns.name);
        let steps = [
            format!("netns add {name}"),
            format!("link add {host} type veth peer name {peer}"),
            format!("link set {peer} netns {name}"),
            format!("addr add {subnet}.1/30 dev {host}"),
            format!("link set {host} up"),
            format!("-n {name} addr add {subnet}.2/30 dev {peer}"),
            format!("-n {name} link set {peer} up"),
            format!("-n {name} link set lo up"),
        ];
        for step in steps {
            let ok = Command::new("ip")
                .args(step.split_whitespace())
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            if !ok {
                eprintln!("skipping namespace test: `ip {step}` failed");
                return None; // `ns` is dropped here: what was made is removed.
            }
        }
        Some(ns)
    }

    /// Runs a python3 script inside the namespace with `args`; None (after saying why) when
    /// python3 is missing.
    fn python(&self, script: &str, args: &[String]) -> Option<()> {
        if Command::new("python3").arg("--version").output().is_err() {
            eprintln!("skipping namespace test: python3 is needed to send from inside it");
            return None;
        }
        let out = Command::new("ip")
            .args(["netns", "exec", &self.name, "python3", "-c", script])
            .args(args)
            .output()
            .expect("run python3 in the namespace");
        assert!(
            out.status.success(),
            "sender failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(())
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Deleting the host end removes its peer too.
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_end])
            .output();
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// Opens a capture on the host end of `ns`'s veth pair.
fn open_host_end(ns: &Netns, test: &str) -> Option<LiveCapture> {
    let cfg = LiveConfig {
        interface: ns.host_end.clone(),
        block_timeout_ms: 10,
        ..LiveConfig::default()
    };
    let cap = open_or_skip(&cfg, test)?;
    assert_eq!(cap.link_type(), LinkType::ETHERNET);
    Some(cap)
}

/// Reads frames whose UDP destination port is `port` until `count` arrived (or 5 s).
fn frames_to_port(cap: &mut LiveCapture, port: u16, count: usize) -> Vec<Vec<u8>> {
    let link = cap.link_type();
    let mut frames = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while frames.len() < count && Instant::now() < deadline {
        cap.next_batch(Duration::from_millis(50), &mut |frame| {
            let to_port = decode_packet(link, frame.data)
                .ok()
                .and_then(|p| p.transport.ports())
                .is_some_and(|(_, dst)| dst == port);
            if to_port {
                frames.push(frame.data.to_vec());
            }
        })
        .expect("next_batch");
    }
    frames
}

#[test]
fn veth_host_end_sees_traffic_from_a_namespace() {
    let Some(ns) = Netns::create(0) else {
        return;
    };
    let Some(mut cap) = open_host_end(&ns, "veth") else {
        return;
    };
    let (port, count) = (15_060u16, 10);
    let [a, b, c, d] = ns.host_ip;
    let script = format!(
        "import socket,time\n\
         s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
         for i in range({count}):\n    \
         s.sendto(b'OPTIONS sip:veth@argos SIP/2.0\\r\\nCall-ID: veth-%d\\r\\n\\r\\n' % i, ('{a}.{b}.{c}.{d}', {port}))\n    \
         time.sleep(0.005)\n"
    );
    if ns.python(&script, &[]).is_none() {
        return;
    }
    let payloads: Vec<Vec<u8>> = frames_to_port(&mut cap, port, count)
        .iter()
        .filter_map(|f| decode_packet(LinkType::ETHERNET, f).ok())
        .map(|p| p.payload.to_vec())
        .collect();
    let want: Vec<Vec<u8>> = (0..count)
        .map(|i| {
            format!("OPTIONS sip:veth@argos SIP/2.0\r\nCall-ID: veth-{i}\r\n\r\n").into_bytes()
        })
        .collect();
    assert_eq!(payloads, want, "veth host end");
}

/// An Ethernet frame with an 802.1Q tag (VLAN `vlan`) carrying IPv4/UDP from 10.250.N.2:5060
/// to `dst`:`port` with `payload`. Checksums are left 0 (not checked on the way to a capture).
fn tagged_udp_frame(vlan: u16, dst: [u8; 4], port: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01]);
    f.extend_from_slice(&[0x81, 0x00]);
    f.extend_from_slice(&vlan.to_be_bytes());
    f.extend_from_slice(&[0x08, 0x00]);
    let total = (20 + 8 + payload.len()) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0, 0, 64, 17, 0, 0]);
    f.extend_from_slice(&[dst[0], dst[1], dst[2], 2]);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&5060u16.to_be_bytes());
    f.extend_from_slice(&port.to_be_bytes());
    f.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(payload);
    f
}

#[test]
fn vlan_tags_stripped_by_the_kernel_are_put_back() {
    // The receiving kernel moves a VLAN tag out of the frame into metadata; the ring reports
    // it beside the frame (TP_STATUS_VLAN_VALID) and the capture must put it back, as libpcap
    // does: the frames captured are byte for byte the frames sent.
    let Some(ns) = Netns::create(1) else {
        return;
    };
    let Some(mut cap) = open_host_end(&ns, "veth vlan") else {
        return;
    };
    let port = 15_062;
    let sent: Vec<Vec<u8>> = (0..5)
        .map(|i| {
            let payload = format!("NOTIFY sip:vlan@argos SIP/2.0\r\nCall-ID: vlan-{i}\r\n\r\n");
            tagged_udp_frame(100, ns.host_ip, port, payload.as_bytes())
        })
        .collect();
    let hex: Vec<String> = sent
        .iter()
        .map(|f| f.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    let script = format!(
        "import socket,sys\n\
         s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n\
         s.bind(('{}',0))\n\
         for h in sys.argv[1:]:\n    s.send(bytes.fromhex(h))\n",
        ns.peer
    );
    if ns.python(&script, &hex).is_none() {
        return;
    }
    let got = frames_to_port(&mut cap, port, sent.len());
    assert_eq!(got, sent, "tagged frames differ from those sent");
    for f in &got {
        let p = decode_packet(LinkType::ETHERNET, f).expect("decodes");
        assert_eq!(p.vlan, Some(100));
    }
}

#[test]
fn flood_larger_than_the_ring_counts_drops() {
    let _flood = lock_loopback();
    let (_rx, port) = receiver();
    let cfg = LiveConfig {
        ring_bytes: 1 << 20,
        bpf: bpf_available().then(|| format!("udp dst port {port}")),
        ..lo_config()
    };
    let Some(mut cap) = open_or_skip(&cfg, "flood") else {
        return;
    };
    // 20,000 datagrams of ~1 KiB: about 20 times the ring, sent without reading.
    let payload = vec![b'x'; 1000];
    let sender = UdpSocket::bind("127.0.0.1:0").expect("bind sender");
    let sent = 20_000u64;
    for _ in 0..sent {
        sender
            .send_to(&payload, ("127.0.0.1", port))
            .expect("send datagram");
    }
    let mut seen = 0u64;
    let mut idle = 0;
    while idle < 3 {
        let n = cap
            .next_batch(Duration::from_millis(100), &mut |frame| {
                if decode_packet(LinkType::ETHERNET, frame.data)
                    .ok()
                    .and_then(|p| p.transport.ports())
                    .is_some_and(|(_, dst)| dst == port)
                {
                    seen += 1;
                }
            })
            .expect("next_batch");
        idle = if n == 0 { idle + 1 } else { 0 };
    }
    let stats: LiveStats = cap.stats().expect("stats");
    eprintln!("flood: sent {sent}, seen {seen}, kernel {stats:?}");
    assert!(seen <= sent);
    assert!(stats.packets >= seen, "{stats:?} seen {seen}");
    assert!(
        stats.drops > 0 || stats.packets == seen,
        "no drop counted yet frames are missing: {stats:?}, seen {seen}"
    );
    if cfg.bpf.is_some() {
        // Only the flood passes the filter: every datagram was either seen or dropped.
        assert_eq!(stats.packets, sent, "{stats:?}");
        assert_eq!(stats.packets, seen + stats.drops, "{stats:?}");
    }
}

#[test]
fn unknown_interface_and_bad_filter_are_errors() {
    let cfg = LiveConfig {
        interface: "argos-nope0".to_string(),
        ..LiveConfig::default()
    };
    match LiveCapture::open(&cfg) {
        Err(CaptureError::NoSuchInterface(name)) => assert_eq!(name, "argos-nope0"),
        Err(CaptureError::Permission | CaptureError::Unsupported) => {
            eprintln!("skipping unknown-interface check: cannot open packet sockets here");
            return;
        }
        other => panic!("expected NoSuchInterface, got {other:?}"),
    }
    let too_long = LiveConfig {
        interface: "an-interface-name-too-long".to_string(),
        ..LiveConfig::default()
    };
    assert!(matches!(
        LiveCapture::open(&too_long),
        Err(CaptureError::NoSuchInterface(_))
    ));
    if !bpf_available() {
        eprintln!("skipping bad-filter check: tcpdump is not installed");
        return;
    }
    let bad = LiveConfig {
        bpf: Some("udp port".to_string()),
        ..lo_config()
    };
    match LiveCapture::open(&bad) {
        Err(CaptureError::Bpf(msg)) => assert!(msg.contains("udp port"), "{msg}"),
        other => panic!("expected a Bpf error, got {other:?}"),
    }
    // "any" cannot filter on the cooked header's address bytes in the kernel.
    let cooked_address = LiveConfig {
        interface: "any".to_string(),
        bpf: Some("ether host 01:02:03:04:05:06".to_string()),
        ..LiveConfig::default()
    };
    assert!(matches!(
        LiveCapture::open(&cooked_address),
        Err(CaptureError::Bpf(_))
    ));
}

#[test]
fn a_panicking_callback_loses_its_block_only() {
    let _quiet = lock_loopback();
    let (_rx, port) = receiver();
    let cfg = LiveConfig {
        bpf: bpf_available().then(|| format!("udp dst port {port}")),
        ..lo_config()
    };
    let Some(mut cap) = open_or_skip(&cfg, "panicking callback") else {
        return;
    };
    send_all(port, &[sip_payload("panic", 0)]);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut panicked = false;
    while !panicked && Instant::now() < deadline {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            cap.next_batch(Duration::from_millis(50), &mut |frame| {
                let is_ours = decode_packet(LinkType::ETHERNET, frame.data)
                    .ok()
                    .and_then(|p| p.transport.ports())
                    .is_some_and(|(_, dst)| dst == port);
                assert!(!is_ours, "callback panics on purpose");
            })
        }));
        panicked = result.is_err();
    }
    assert!(panicked, "the datagram never arrived");
    // The block is given back on the next call and capture goes on.
    let sent: Vec<Vec<u8>> = (1..4).map(|i| sip_payload("panic", i)).collect();
    send_all(port, &sent);
    let seen = collect(&mut cap, &[port], Duration::from_secs(5), |s| {
        s.len() >= sent.len()
    });
    assert_exactly(&seen, &sent, "after a panic");
}

#[test]
fn snaplen_cuts_frames_and_keeps_the_wire_length() {
    let _quiet = lock_loopback();
    let (_rx, port) = receiver();
    let cfg = LiveConfig {
        snaplen: 60,
        ..lo_config()
    };
    let Some(mut cap) = open_or_skip(&cfg, "snaplen") else {
        return;
    };
    let payload = sip_payload("snap", 0);
    send_all(port, std::slice::from_ref(&payload));
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut cut = None;
    while cut.is_none() && Instant::now() < deadline {
        cap.next_batch(Duration::from_millis(50), &mut |frame| {
            // Ethernet 14 + IPv4 20 + UDP 8 bytes of headers; the destination port is at 36.
            let dst = frame
                .data
                .get(36..38)
                .map(|b| u16::from_be_bytes([b[0], b[1]]));
            if dst == Some(port) {
                cut = Some((frame.data.len(), frame.orig_len));
            }
        })
        .expect("next_batch");
    }
    let (len, orig) = cut.expect("the datagram was captured");
    assert_eq!(len, 60);
    assert_eq!(orig as usize, 14 + 20 + 8 + payload.len());
}

#[test]
fn fanout_group_shares_the_traffic_once() {
    let _quiet = lock_loopback();
    let (_rx, port) = receiver();
    let group = (std::process::id() % 60_000) as u16 + 1;
    let cfg = LiveConfig {
        fanout_group: Some(group),
        ..lo_config()
    };
    let Some(mut first) = open_or_skip(&cfg, "fanout") else {
        return;
    };
    let mut second = LiveCapture::open(&cfg).expect("second socket joins the group");
    // Many flows (one source port each), so the hash has something to spread.
    let sent: Vec<Vec<u8>> = (0..40).map(|i| sip_payload("fanout", i)).collect();
    for p in &sent {
        send_all(port, std::slice::from_ref(p));
    }
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while seen.len() < sent.len() && Instant::now() < deadline {
        seen.extend(collect(
            &mut first,
            &[port],
            Duration::from_millis(60),
            |_| false,
        ));
        seen.extend(collect(
            &mut second,
            &[port],
            Duration::from_millis(60),
            |_| false,
        ));
    }
    seen.extend(collect(
        &mut first,
        &[port],
        Duration::from_millis(100),
        |_| false,
    ));
    seen.extend(collect(
        &mut second,
        &[port],
        Duration::from_millis(100),
        |_| false,
    ));
    let mut got: Vec<Vec<u8>> = seen.into_iter().map(|s| s.payload).collect();
    got.sort();
    let mut want = sent.clone();
    want.sort();
    assert_eq!(
        got, want,
        "each datagram reaches exactly one socket of the group"
    );
}

#[test]
fn capture_moves_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<LiveCapture>();
}
