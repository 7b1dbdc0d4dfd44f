//! SIP over TLS decryption against real TLS: a rustls client and server talk in memory
//! (no sockets), the client logs its secrets in NSS key log format, the ciphertext of
//! both directions is written to a pcap with proper TCP sequence numbers, and the SIP
//! messages our reassembler decrypts from it are compared with what was sent and with
//! tshark's `-o tls.keylog_file:` output (skipped when tshark is missing).

#![allow(clippy::unwrap_used)] // tests: inputs are known-good

mod common;

use argos_net::{
    decode_packet, tcp_flags, CaptureReader, KeyLog, LinkType, PcapWriter, ReassemblyLimits,
    SipTcpReassembler, TcpMessage, TlsStats, TransportHeader,
};
use rustls::crypto::ring::{cipher_suite, default_provider};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use rustls::{SupportedCipherSuite, SupportedProtocolVersion};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

/// Collects rustls's key log lines in NSS format.
#[derive(Debug, Default)]
struct NssLog(Mutex<String>);

impl rustls::KeyLog for NssLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let line = format!("{label} {} {}\n", hex(client_random), hex(secret));
        self.0.lock().unwrap().push_str(&line);
    }
}

/// Which end sent a TCP payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum From {
    Client,
    Server,
}

/// One TLS connection as it crossed the wire.
struct Session {
    /// Ciphertext chunks in the order they were written.
    wire: Vec<(From, Vec<u8>)>,
    /// The client's key log.
    keylog: String,
    /// SIP messages sent, in order.
    sent: Vec<(From, Vec<u8>)>,
    call_id: String,
}

/// How a session is run.
struct Params {
    version: &'static SupportedProtocolVersion,
    suite: SupportedCipherSuite,
    call_id: String,
    /// Send TLS 1.3 KeyUpdates (both directions) in the middle of the call.
    key_update: bool,
}

fn certified() -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let ck = rcgen::generate_simple_self_signed(vec!["sip.example.test".to_string()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
    (ck.cert.der().clone(), key)
}

fn provider(suite: SupportedCipherSuite) -> Arc<CryptoProvider> {
    Arc::new(CryptoProvider {
        cipher_suites: vec![suite],
        ..default_provider()
    })
}

/// Moves every pending TLS byte between the two ends, recording it.
fn pump(c: &mut ClientConnection, s: &mut ServerConnection, wire: &mut Vec<(From, Vec<u8>)>) {
    loop {
        let mut moved = false;
        while c.wants_write() {
            let mut buf = Vec::new();
            c.write_tls(&mut buf).unwrap();
            let mut rd = &buf[..];
            while !rd.is_empty() {
                s.read_tls(&mut rd).unwrap();
                s.process_new_packets().unwrap();
            }
            wire.push((From::Client, buf));
            moved = true;
        }
        while s.wants_write() {
            let mut buf = Vec::new();
            s.write_tls(&mut buf).unwrap();
            let mut rd = &buf[..];
            while !rd.is_empty() {
                c.read_tls(&mut rd).unwrap();
                c.process_new_packets().unwrap();
            }
            wire.push((From::Server, buf));
            moved = true;
        }
        if !moved {
            return;
        }
    }
}

/// A SIP call: INVITE with SDP, 100, 180, 200 with SDP, ACK, BYE, 200.
fn call(call_id: &str) -> Vec<(From, Vec<u8>)> {
    let sdp = "v=0\r\no=- 1 1 IN IP4 10.1.0.1\r\ns=-\r\nc=IN IP4 10.1.0.1\r\nt=0 0\r\n\
               m=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n";
    let msg = |start: &str, cseq: &str, body: &str| {
        let ctype = if body.is_empty() {
            String::new()
        } else {
            "Content-Type: application/sdp\r\n".to_string()
        };
        format!(
            "{start}\r\nVia: SIP/2.0/TLS 10.1.0.1:40000;branch=z9hG4bK-{cseq_n}\r\n\
             From: <sip:alice@example.test>;tag=a1\r\nTo: <sip:bob@example.test>\r\n\
             Call-ID: {call_id}\r\nCSeq: {cseq}\r\nMax-Forwards: 70\r\n{ctype}\
             Content-Length: {}\r\n\r\n{body}",
            body.len(),
            cseq_n = cseq.replace(' ', "-"),
        )
        .into_bytes()
    };
    vec![
        (
            From::Client,
            msg("INVITE sip:bob@example.test SIP/2.0", "1 INVITE", sdp),
        ),
        (From::Server, msg("SIP/2.0 100 Trying", "1 INVITE", "")),
        (From::Server, msg("SIP/2.0 180 Ringing", "1 INVITE", "")),
        (From::Server, msg("SIP/2.0 200 OK", "1 INVITE", sdp)),
        (
            From::Client,
            msg("ACK sip:bob@example.test SIP/2.0", "1 ACK", ""),
        ),
        (
            From::Client,
            msg("BYE sip:bob@example.test SIP/2.0", "2 BYE", ""),
        ),
        (From::Server, msg("SIP/2.0 200 OK", "2 BYE", "")),
    ]
}

/// A client and a server that completed their handshake in memory, the client's key log,
/// and the handshake bytes as they crossed the wire.
struct Connected {
    c: ClientConnection,
    s: ServerConnection,
    log: Arc<NssLog>,
    wire: Vec<(From, Vec<u8>)>,
}

fn connect(version: &'static SupportedProtocolVersion, suite: SupportedCipherSuite) -> Connected {
    let (cert, key) = certified();
    let mut roots = RootCertStore::empty();
    roots.add(cert.clone()).unwrap();
    let log = Arc::new(NssLog::default());
    let mut ccfg = ClientConfig::builder_with_provider(provider(suite))
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    ccfg.key_log = log.clone();
    let scfg = ServerConfig::builder_with_provider(provider(suite))
        .with_protocol_versions(&[version])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let name = ServerName::try_from("sip.example.test").unwrap();
    let mut c = ClientConnection::new(Arc::new(ccfg), name).unwrap();
    let mut s = ServerConnection::new(Arc::new(scfg)).unwrap();
    let mut wire = Vec::new();
    while c.is_handshaking() || s.is_handshaking() {
        pump(&mut c, &mut s, &mut wire);
    }
    assert_eq!(c.negotiated_cipher_suite(), Some(suite));
    Connected { c, s, log, wire }
}

/// Runs one TLS connection carrying a SIP call. The INVITE goes out in two records, the
/// 100 and 180 together in one record.
fn run_session(p: &Params) -> Session {
    let Connected {
        mut c,
        mut s,
        log,
        mut wire,
    } = connect(p.version, p.suite);

    let msgs = call(&p.call_id);
    let send = |from: From,
                bytes: &[u8],
                c: &mut ClientConnection,
                s: &mut ServerConnection,
                wire: &mut Vec<(From, Vec<u8>)>| {
        match from {
            From::Client => c.writer().write_all(bytes).unwrap(),
            From::Server => s.writer().write_all(bytes).unwrap(),
        }
        pump(c, s, wire);
    };
    let (invite_from, invite) = &msgs[0];
    let half = invite.len() / 2;
    send(*invite_from, &invite[..half], &mut c, &mut s, &mut wire);
    send(*invite_from, &invite[half..], &mut c, &mut s, &mut wire);
    let both = [msgs[1].1.clone(), msgs[2].1.clone()].concat();
    send(From::Server, &both, &mut c, &mut s, &mut wire);
    if p.key_update {
        c.refresh_traffic_keys().unwrap();
        s.refresh_traffic_keys().unwrap();
        pump(&mut c, &mut s, &mut wire);
    }
    for (from, m) in &msgs[3..] {
        send(*from, m, &mut c, &mut s, &mut wire);
    }
    // What the peers read back is what was sent (the transfer itself is sound).
    let mut got = Vec::new();
    s.reader().read_to_end(&mut got).ok();
    let to_server: Vec<u8> = msgs
        .iter()
        .filter(|(f, _)| *f == From::Client)
        .flat_map(|(_, m)| m.clone())
        .collect();
    assert_eq!(got, to_server);
    c.send_close_notify();
    pump(&mut c, &mut s, &mut wire);
    let keylog = log.0.lock().unwrap().clone();
    Session {
        wire,
        keylog,
        sent: msgs,
        call_id: p.call_id.clone(),
    }
}

// ---- pcap writing: Ethernet / IPv4 / TCP with a 3-way handshake ----

fn checksum(data: &[u8], mut sum: u32) -> u16 {
    for pair in data.chunks(2) {
        let w = if pair.len() == 2 {
            u16::from_be_bytes([pair[0], pair[1]])
        } else {
            u16::from_be_bytes([pair[0], 0])
        };
        sum += u32::from(w);
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn tcp_frame(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let (SocketAddr::V4(s), SocketAddr::V4(d)) = (src, dst) else {
        panic!("IPv4 only");
    };
    let mut tcp = Vec::new();
    tcp.extend_from_slice(&s.port().to_be_bytes());
    tcp.extend_from_slice(&d.port().to_be_bytes());
    tcp.extend_from_slice(&seq.to_be_bytes());
    tcp.extend_from_slice(&ack.to_be_bytes());
    tcp.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    tcp.extend_from_slice(payload);
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&s.ip().octets());
    pseudo.extend_from_slice(&d.ip().octets());
    pseudo.extend_from_slice(&[0, 6]);
    pseudo.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
    pseudo.extend_from_slice(&tcp);
    let ck = checksum(&pseudo, 0);
    tcp[16..18].copy_from_slice(&ck.to_be_bytes());
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&((20 + tcp.len()) as u16).to_be_bytes());
    ip.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
    ip.extend_from_slice(&s.ip().octets());
    ip.extend_from_slice(&d.ip().octets());
    let ck = checksum(&ip, 0);
    ip[10..12].copy_from_slice(&ck.to_be_bytes());
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    f.extend_from_slice(&ip);
    f.extend_from_slice(&tcp);
    f
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH_ACK: u8 = 0x18;

/// How a session's bytes are put on the wire.
#[derive(Clone, Copy, Default)]
struct Wire {
    /// Largest TCP payload (records spread over segments when small).
    mss: usize,
    /// Flip a bit in this client→server ciphertext byte (counted from the first
    /// application-data chunk after the handshake).
    corrupt_at: Option<usize>,
    /// Leave out the client's n-th data segment (a capture gap).
    drop_segment: Option<usize>,
}

/// Frames of one session: handshake, then each ciphertext chunk in `mss` segments.
fn session_frames(sess: &Session, client: SocketAddr, server: SocketAddr, w: Wire) -> Vec<Vec<u8>> {
    let (isn_c, isn_s) = (0x1000_0000u32, 0x7000_0000u32);
    let mut frames = vec![
        tcp_frame(client, server, isn_c, 0, SYN, &[]),
        tcp_frame(server, client, isn_s, isn_c + 1, SYN | ACK, &[]),
        tcp_frame(client, server, isn_c + 1, isn_s + 1, ACK, &[]),
    ];
    let (mut seq_c, mut seq_s) = (isn_c + 1, isn_s + 1);
    let mut client_bytes = 0usize;
    let mut client_segments = 0usize;
    // Corruption offsets count from the first client chunk after the handshake flight
    // (chunk index 2 and on: ClientHello, then the client's Finished flight).
    let mut chunk_no = 0;
    for (from, chunk) in &sess.wire {
        let mut chunk = chunk.clone();
        if *from == From::Client {
            chunk_no += 1;
            if chunk_no > 2 {
                if let Some(at) = w.corrupt_at {
                    if at >= client_bytes && at < client_bytes + chunk.len() {
                        chunk[at - client_bytes] ^= 0x40;
                    }
                }
                client_bytes += chunk.len();
            }
        }
        for seg in chunk.chunks(w.mss.max(1)) {
            match from {
                From::Client => {
                    client_segments += 1;
                    if w.drop_segment != Some(client_segments) {
                        frames.push(tcp_frame(client, server, seq_c, seq_s, PSH_ACK, seg));
                    }
                    seq_c = seq_c.wrapping_add(seg.len() as u32);
                }
                From::Server => {
                    frames.push(tcp_frame(server, client, seq_s, seq_c, PSH_ACK, seg));
                    seq_s = seq_s.wrapping_add(seg.len() as u32);
                }
            }
        }
    }
    frames
}

fn write_pcap(path: &Path, frames: &[Vec<u8>]) {
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET).unwrap();
    for (i, f) in frames.iter().enumerate() {
        w.write_frame(1_700_000_000_000_000 + i as i64 * 1000, f)
            .unwrap();
    }
    std::fs::write(path, w.into_inner().unwrap()).unwrap();
}

/// Reads a pcap through the reassembler like `argos import` does (SYN = new connection).
fn reassemble(pcap: &Path, keylog: Option<KeyLog>) -> (Vec<TcpMessage>, TlsStats) {
    let data = std::fs::read(pcap).unwrap();
    let mut r = CaptureReader::new(&data[..]).unwrap();
    let mut re = SipTcpReassembler::new(ReassemblyLimits::default()).with_websocket(true);
    if let Some(k) = keylog {
        re = re.with_tls_keylog(Arc::new(k));
    }
    let mut out = Vec::new();
    while let Some(f) = r.next_frame() {
        let f = f.unwrap();
        let p = decode_packet(f.link_type, f.data).unwrap();
        if let TransportHeader::Tcp {
            src_port,
            dst_port,
            seq,
            flags,
        } = p.transport
        {
            let src = SocketAddr::new(p.src, src_port);
            let dst = SocketAddr::new(p.dst, dst_port);
            if flags & tcp_flags::SYN != 0 {
                re.connection_start(src, dst, &mut out);
            }
            re.push(f.ts_us, src, dst, seq, p.payload, &mut out);
        }
    }
    re.flush_all(&mut out);
    (out, re.tls_stats())
}

fn addrs(n: u16) -> (SocketAddr, SocketAddr) {
    (
        SocketAddr::from(([10, 1, 0, 1], 40000 + n)),
        SocketAddr::from(([10, 1, 0, 2], 5061)),
    )
}

/// The (Call-ID, CSeq) of each SIP message.
fn ids(msgs: &[Vec<u8>]) -> Vec<(String, String)> {
    msgs.iter()
        .map(|m| {
            let text = String::from_utf8_lossy(m);
            let field = |name: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(|v| v.trim().to_string())
                    .unwrap_or_default()
            };
            (field("Call-ID:"), field("CSeq:"))
        })
        .collect()
}

/// tshark's (Call-ID, CSeq) per decrypted SIP message, or None when tshark is missing.
fn tshark_ids(pcap: &Path, keylog: &Path) -> Option<Vec<(String, String)>> {
    if !common::have_tshark() {
        return None;
    }
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .arg("-o")
        .arg(format!("tls.keylog_file:{}", keylog.display()))
        .args([
            "-Y",
            "sip",
            "-T",
            "fields",
            "-e",
            "sip.Call-ID",
            "-e",
            "sip.CSeq",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut cols = line.split('\t');
        let (Some(a), Some(b)) = (cols.next(), cols.next()) else {
            continue;
        };
        for (id, cseq) in a.split(',').zip(b.split(',')) {
            v.push((id.to_string(), cseq.to_string()));
        }
    }
    Some(v)
}

fn tls13(suite: SupportedCipherSuite, call_id: &str, key_update: bool) -> Params {
    Params {
        version: &rustls::version::TLS13,
        suite,
        call_id: call_id.to_string(),
        key_update,
    }
}

fn tls12(suite: SupportedCipherSuite, call_id: &str) -> Params {
    Params {
        version: &rustls::version::TLS12,
        suite,
        call_id: call_id.to_string(),
        key_update: false,
    }
}

/// Every supported suite, one connection each, several segmentations: our messages are
/// exactly those sent, in order, marked TLS; tshark agrees.
#[test]
fn decrypts_every_suite_like_tshark() {
    let cases = [
        tls13(
            cipher_suite::TLS13_AES_128_GCM_SHA256,
            "tls13-aes128",
            false,
        ),
        tls13(
            cipher_suite::TLS13_AES_256_GCM_SHA384,
            "tls13-aes256",
            false,
        ),
        tls13(
            cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
            "tls13-chacha",
            false,
        ),
        tls13(
            cipher_suite::TLS13_AES_128_GCM_SHA256,
            "tls13-keyupdate",
            true,
        ),
        tls12(
            cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            "tls12-aes128",
        ),
        tls12(
            cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            "tls12-aes256",
        ),
        tls12(
            cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            "tls12-chacha",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut all_frames = Vec::new();
    let mut all_keys = String::new();
    let mut expected = Vec::new();
    for (i, p) in cases.iter().enumerate() {
        let sess = run_session(p);
        let (client, server) = addrs(i as u16);
        // Alternate big segments (several records in one) and small ones (records
        // across segments).
        let mss = [1460, 97, 7][i % 3];
        let frames = session_frames(
            &sess,
            client,
            server,
            Wire {
                mss,
                ..Wire::default()
            },
        );

        // Alone: exactly the messages sent, in order.
        let pcap = dir.path().join(format!("{}.pcap", p.call_id));
        write_pcap(&pcap, &frames);
        let (msgs, st) = reassemble(&pcap, Some(KeyLog::parse(&sess.keylog)));
        let sent: Vec<Vec<u8>> = sess.sent.iter().map(|(_, m)| m.clone()).collect();
        let got: Vec<Vec<u8>> = msgs.iter().map(|m| m.data.clone()).collect();
        assert_eq!(got, sent, "{}: {st:?}", p.call_id);
        assert!(msgs.iter().all(|m| m.tls && !m.websocket), "{}", p.call_id);
        for (m, (from, _)) in msgs.iter().zip(&sess.sent) {
            let expect_src = if *from == From::Client {
                client
            } else {
                server
            };
            assert_eq!(m.src, expect_src, "{}", p.call_id);
        }
        assert_eq!(st.connections, 1, "{st:?}");
        assert_eq!(st.decrypted, 1, "{st:?}");
        assert_eq!(
            st.no_key + st.unsupported + st.malformed + st.gaps + st.decrypt_failures,
            0,
            "{}: {st:?}",
            p.call_id
        );
        // Each end asks for an update and answers the other's request: 4 in all.
        assert_eq!(st.key_updates, if p.key_update { 4 } else { 0 }, "{st:?}");
        eprintln!("{}: {} messages, {st:?}", p.call_id, msgs.len());

        expected.extend(ids(&sent));
        all_keys.push_str(&sess.keylog);
        all_frames.extend(frames);
        assert_eq!(sess.call_id, p.call_id);
    }

    // All connections in one capture with one key log.
    let pcap = dir.path().join("all.pcap");
    let keyfile = dir.path().join("keys.log");
    write_pcap(&pcap, &all_frames);
    std::fs::write(&keyfile, &all_keys).unwrap();
    let (msgs, st) = reassemble(&pcap, Some(KeyLog::from_file(&keyfile).unwrap()));
    let got = ids(&msgs.iter().map(|m| m.data.clone()).collect::<Vec<_>>());
    assert_eq!(got, expected, "{st:?}");
    assert_eq!(st.decrypted, cases.len() as u64, "{st:?}");

    match tshark_ids(&pcap, &keyfile) {
        Some(t) => assert_eq!(t, expected, "tshark disagrees"),
        None => eprintln!("SKIP tshark oracle: tshark not installed"),
    }
}

/// No key for the connection (another session's key log, or none): nothing comes out,
/// counted as no-key; without the TLS option the ciphertext is not SIP either.
#[test]
fn without_the_key_nothing_is_emitted() {
    let dir = tempfile::tempdir().unwrap();
    let a = run_session(&tls13(cipher_suite::TLS13_AES_128_GCM_SHA256, "a", false));
    let b = run_session(&tls12(
        cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "b",
    ));
    let (client, server) = addrs(0);
    let pcap = dir.path().join("a.pcap");
    write_pcap(
        &pcap,
        &session_frames(
            &a,
            client,
            server,
            Wire {
                mss: 1460,
                ..Wire::default()
            },
        ),
    );
    let pcap_b = dir.path().join("b.pcap");
    write_pcap(
        &pcap_b,
        &session_frames(
            &b,
            client,
            server,
            Wire {
                mss: 300,
                ..Wire::default()
            },
        ),
    );

    for (file, wrong) in [(&pcap, &b.keylog), (&pcap_b, &a.keylog)] {
        let (msgs, st) = reassemble(file, Some(KeyLog::parse(wrong)));
        assert!(msgs.is_empty(), "{msgs:?}");
        assert_eq!(
            (st.connections, st.no_key, st.decrypted),
            (1, 1, 0),
            "{st:?}"
        );
        let (msgs, st) = reassemble(file, Some(KeyLog::default()));
        assert!(msgs.is_empty());
        assert_eq!(st.no_key, 1, "{st:?}");
        let (msgs, st) = reassemble(file, None);
        assert!(msgs.is_empty());
        assert_eq!(st, TlsStats::default());
    }

    // The right client random with altered secrets: records fail authentication.
    let flip = |log: &str| {
        log.lines()
            .map(|l| {
                let (head, secret) = l.rsplit_once(' ').unwrap();
                let s: String = secret
                    .chars()
                    .map(|c| if c == '0' { '1' } else { '0' })
                    .collect();
                format!("{head} {s}\n")
            })
            .collect::<String>()
    };
    for (file, log) in [(&pcap, &a.keylog), (&pcap_b, &b.keylog)] {
        let (msgs, st) = reassemble(file, Some(KeyLog::parse(&flip(log))));
        assert!(msgs.is_empty(), "{msgs:?}");
        assert_eq!(st.decrypt_failures, 1, "{st:?}");
    }
}

/// A corrupted record stops its connection (counted), a gap stops another; the other
/// connections in the same capture still decrypt, and nothing panics.
#[test]
fn damage_stops_only_the_damaged_connection() {
    let dir = tempfile::tempdir().unwrap();
    let good = run_session(&tls13(
        cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
        "good",
        false,
    ));
    let bad = run_session(&tls13(cipher_suite::TLS13_AES_128_GCM_SHA256, "bad", false));
    let gap = run_session(&tls12(
        cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "gap",
    ));
    let (c0, s0) = addrs(0);
    let (c1, s1) = addrs(1);
    let (c2, s2) = addrs(2);
    let mut frames = session_frames(
        &bad,
        c1,
        s1,
        Wire {
            mss: 1460,
            corrupt_at: Some(30),
            ..Wire::default()
        },
    );
    frames.extend(session_frames(
        &good,
        c0,
        s0,
        Wire {
            mss: 200,
            ..Wire::default()
        },
    ));
    // The client's 6th segment (mss 100) is inside the INVITE's first record.
    frames.extend(session_frames(
        &gap,
        c2,
        s2,
        Wire {
            mss: 100,
            drop_segment: Some(6),
            ..Wire::default()
        },
    ));
    let pcap = dir.path().join("damaged.pcap");
    write_pcap(&pcap, &frames);
    let keys = [good.keylog.as_str(), &bad.keylog, &gap.keylog].concat();
    let (msgs, st) = reassemble(&pcap, Some(KeyLog::parse(&keys)));

    let by_call = |id: &str| {
        msgs.iter()
            .filter(|m| ids(std::slice::from_ref(&m.data))[0].0 == id)
            .count()
    };
    eprintln!(
        "good {} bad {} gap {}: {st:?}",
        by_call("good"),
        by_call("bad"),
        by_call("gap")
    );
    assert_eq!(by_call("good"), good.sent.len(), "{st:?}");
    // The corrupted byte is in the INVITE's first record: the connection stops there.
    assert_eq!(by_call("bad"), 0, "{st:?}");
    // The dropped segment is in the INVITE: the client's later segments wait for it
    // (the server's replies still decrypt meanwhile) until the gap is given up at the
    // end of the capture, which stops the connection.
    let gap_msgs: Vec<_> = msgs
        .iter()
        .filter(|m| m.src.port() == c2.port() || m.dst.port() == c2.port())
        .collect();
    assert!(
        !gap_msgs.is_empty() && gap_msgs.len() < gap.sent.len(),
        "{st:?}"
    );
    assert!(gap_msgs.iter().all(|m| m.src == s2), "{st:?}");
    assert_eq!(st.decrypt_failures, 1, "{st:?}");
    assert_eq!(st.gaps, 1, "{st:?}");
    assert_eq!(st.decrypted, 3, "{st:?}");
    let ok = msgs.iter().all(|m| {
        m.data.starts_with(b"INVITE")
            || m.data.starts_with(b"SIP/2.0")
            || m.data.starts_with(b"ACK")
            || m.data.starts_with(b"BYE")
    });
    assert!(ok, "garbage reached SIP framing");

    // Truncated captures: every prefix of the damaged one reads without panicking.
    let data = std::fs::read(&pcap).unwrap();
    for cut in (24..data.len()).step_by(997) {
        let p = dir.path().join("cut.pcap");
        std::fs::write(&p, &data[..cut]).unwrap();
        let mut r = CaptureReader::new(&data[..cut]).unwrap();
        let mut n = 0;
        while let Some(Ok(_)) = r.next_frame() {
            n += 1;
        }
        if n > 0 {
            let _ = reassemble_lenient(&p, &keys);
        }
    }
}

/// Like [`reassemble`] but stops at the first unreadable frame (truncated files).
fn reassemble_lenient(pcap: &Path, keys: &str) -> Vec<TcpMessage> {
    let data = std::fs::read(pcap).unwrap();
    let mut r = CaptureReader::new(&data[..]).unwrap();
    let mut re = SipTcpReassembler::new(ReassemblyLimits::default())
        .with_tls_keylog(Arc::new(KeyLog::parse(keys)));
    let mut out = Vec::new();
    while let Some(Ok(f)) = r.next_frame() {
        let Ok(p) = decode_packet(f.link_type, f.data) else {
            continue;
        };
        if let TransportHeader::Tcp {
            src_port,
            dst_port,
            seq,
            ..
        } = p.transport
        {
            let src = SocketAddr::new(p.src, src_port);
            let dst = SocketAddr::new(p.dst, dst_port);
            re.push(f.ts_us, src, dst, seq, p.payload, &mut out);
        }
    }
    re.flush_all(&mut out);
    out
}

/// Throughput of decryption + SIP framing on one long TLS 1.3 AES-128-GCM connection
/// (run with `--release -- --ignored`): prints MB/s of ciphertext.
#[test]
#[ignore]
fn throughput() {
    let Connected {
        mut c,
        mut s,
        log,
        mut wire,
    } = connect(
        &rustls::version::TLS13,
        cipher_suite::TLS13_AES_128_GCM_SHA256,
    );
    let calls = 5_000;
    for i in 0..calls {
        for (from, m) in call(&format!("call-{i}")) {
            match from {
                From::Client => c.writer().write_all(&m).unwrap(),
                From::Server => s.writer().write_all(&m).unwrap(),
            }
        }
        pump(&mut c, &mut s, &mut wire);
        let mut sink = Vec::new();
        s.reader().read_to_end(&mut sink).ok();
        c.reader().read_to_end(&mut sink).ok();
    }
    let sess = Session {
        wire,
        keylog: log.0.lock().unwrap().clone(),
        sent: Vec::new(),
        call_id: String::new(),
    };
    let (client, server) = addrs(0);
    let frames = session_frames(
        &sess,
        client,
        server,
        Wire {
            mss: 1460,
            ..Wire::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("long.pcap");
    write_pcap(&pcap, &frames);
    let bytes: usize = sess.wire.iter().map(|(_, b)| b.len()).sum();
    let t = std::time::Instant::now();
    let (msgs, st) = reassemble(&pcap, Some(KeyLog::parse(&sess.keylog)));
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(msgs.len(), calls * 7, "{st:?}");
    eprintln!(
        "TLS 1.3 AES-128-GCM: {} messages, {:.1} MB ciphertext in {:.3} s = {:.0} MB/s, {:.0} messages/s",
        msgs.len(),
        bytes as f64 / 1e6,
        secs,
        bytes as f64 / 1e6 / secs,
        msgs.len() as f64 / secs
    );
}

/// A TLS 1.3 key log without the handshake secrets still decrypts (the encrypted
/// handshake records are skipped until one opens with the application keys); a capture
/// that starts after the handshake cannot, and says so.
#[test]
fn partial_key_logs_and_captures() {
    let dir = tempfile::tempdir().unwrap();
    let sess = run_session(&tls13(
        cipher_suite::TLS13_AES_256_GCM_SHA384,
        "no-hs-secrets",
        true,
    ));
    let (client, server) = addrs(0);
    let frames = session_frames(
        &sess,
        client,
        server,
        Wire {
            mss: 333,
            ..Wire::default()
        },
    );
    let pcap = dir.path().join("s.pcap");
    write_pcap(&pcap, &frames);
    let app_only: String = sess
        .keylog
        .lines()
        .filter(|l| !l.contains("HANDSHAKE_TRAFFIC_SECRET"))
        .map(|l| format!("{l}\n"))
        .collect();
    let (msgs, st) = reassemble(&pcap, Some(KeyLog::parse(&app_only)));
    assert_eq!(msgs.len(), sess.sent.len(), "{st:?}");
    assert_eq!(st.key_updates, 4, "{st:?}");

    // Only the TLS 1.2-style master secret line for a TLS 1.3 session: no key.
    let (msgs, st) = reassemble(&pcap, Some(KeyLog::parse("# nothing\n")));
    assert!(msgs.is_empty());
    assert_eq!(st.no_key, 1, "{st:?}");

    // Drop the TCP and TLS handshakes: the first data each way is application data.
    let tls_handshake_frames = frames
        .iter()
        .position(|f| {
            let p = decode_packet(LinkType::ETHERNET, f).unwrap();
            p.payload.starts_with(&[23, 3, 3])
        })
        .unwrap();
    let late = dir.path().join("late.pcap");
    write_pcap(&late, &frames[tls_handshake_frames..]);
    let (msgs, st) = reassemble(&late, Some(KeyLog::parse(&sess.keylog)));
    assert!(msgs.is_empty(), "{msgs:?}");
    assert_eq!((st.connections, st.unsupported), (1, 1), "{st:?}");
}

/// SIP over secure WebSocket: the HTTP upgrade and the frames inside TLS come out as
/// SIP messages marked both TLS and WebSocket.
#[test]
fn secure_websocket() {
    const UPGRADE: &[u8] = b"GET / HTTP/1.1\r\nHost: sip.example.test\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const SWITCH: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
        Sec-WebSocket-Protocol: sip\r\n\r\n";
    fn frame(payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
        let mut f = vec![0x81];
        let m = if mask.is_some() { 0x80 } else { 0 };
        if payload.len() < 126 {
            f.push(m | payload.len() as u8);
        } else {
            f.push(m | 126);
            f.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        }
        match mask {
            Some(k) => {
                f.extend_from_slice(&k);
                f.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4]));
            }
            None => f.extend_from_slice(payload),
        }
        f
    }
    let Connected {
        mut c,
        mut s,
        log,
        mut wire,
    } = connect(
        &rustls::version::TLS13,
        cipher_suite::TLS13_AES_128_GCM_SHA256,
    );
    let msgs = call("wss-call");
    c.writer().write_all(UPGRADE).unwrap();
    pump(&mut c, &mut s, &mut wire);
    s.writer().write_all(SWITCH).unwrap();
    pump(&mut c, &mut s, &mut wire);
    for (from, m) in &msgs {
        match from {
            From::Client => c.writer().write_all(&frame(m, Some([1, 2, 3, 4]))).unwrap(),
            From::Server => s.writer().write_all(&frame(m, None)).unwrap(),
        }
        pump(&mut c, &mut s, &mut wire);
    }
    let sess = Session {
        wire,
        keylog: log.0.lock().unwrap().clone(),
        sent: msgs,
        call_id: "wss-call".into(),
    };
    let (client, server) = addrs(0);
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("wss.pcap");
    write_pcap(
        &pcap,
        &session_frames(
            &sess,
            client,
            server,
            Wire {
                mss: 512,
                ..Wire::default()
            },
        ),
    );
    let (got, st) = reassemble(&pcap, Some(KeyLog::parse(&sess.keylog)));
    let data: Vec<Vec<u8>> = got.iter().map(|m| m.data.clone()).collect();
    let sent: Vec<Vec<u8>> = sess.sent.iter().map(|(_, m)| m.clone()).collect();
    assert_eq!(data, sent, "{st:?}");
    assert!(got.iter().all(|m| m.tls && m.websocket));
}
