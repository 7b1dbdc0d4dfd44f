//! SIP over WebSocket (RFC 7118) through SipTcpReassembler, over hand-built streams.

#![allow(clippy::unwrap_used)] // tests: inputs are known-good

use argos_net::websocket::{OP_BINARY, OP_CONTINUATION, OP_PING, OP_TEXT};
use argos_net::{ReassemblyLimits, SipTcpReassembler, TcpMessage};
use std::net::SocketAddr;

fn client() -> SocketAddr {
    "10.0.0.1:40000".parse().unwrap()
}
fn server() -> SocketAddr {
    "10.0.0.2:8080".parse().unwrap()
}

fn sip(method: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/WSS h.invalid;branch=z9hG4bK1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// One frame; `mask` set for client frames.
fn frame(fin: bool, opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut f = vec![(u8::from(fin) << 7) | opcode];
    let m = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => f.push(m | n as u8),
        n if n <= 0xFFFF => {
            f.push(m | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(m | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
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

const MASK: Option<[u8; 4]> = Some([0x37, 0xfa, 0x21, 0x3d]);

const UPGRADE: &[u8] = b"GET / HTTP/1.1\r\nHost: proxy.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// Client side of a session: handshake, a masked INVITE, a fragmented MESSAGE with a
/// ping between its fragments, a keep-alive, a 16-bit-length BYE.
fn client_stream() -> (Vec<u8>, Vec<Vec<u8>>) {
    let invite = sip("INVITE", "v=0\r\n");
    let message = sip("MESSAGE", "hello over websocket");
    let bye = sip("BYE", &"x".repeat(300));
    let mut s = UPGRADE.to_vec();
    s.extend(frame(true, OP_TEXT, &invite, MASK));
    let (m1, rest) = message.split_at(10);
    let (m2, m3) = rest.split_at(20);
    s.extend(frame(false, OP_TEXT, m1, MASK));
    s.extend(frame(true, OP_PING, b"ping", MASK));
    s.extend(frame(false, OP_CONTINUATION, m2, MASK));
    s.extend(frame(true, OP_CONTINUATION, m3, MASK));
    s.extend(frame(true, OP_TEXT, b"\r\n\r\n", MASK));
    s.extend(frame(true, OP_BINARY, &bye, MASK));
    (s, vec![invite, message, bye])
}

fn new() -> SipTcpReassembler {
    SipTcpReassembler::new(ReassemblyLimits::default()).with_websocket(true)
}

fn run(r: &mut SipTcpReassembler, segments: &[&[u8]]) -> Vec<TcpMessage> {
    let mut out = Vec::new();
    let mut seq = 1u32;
    for (i, s) in segments.iter().enumerate() {
        r.push(i as i64, client(), server(), seq, s, &mut out);
        seq = seq.wrapping_add(s.len() as u32);
    }
    r.flush_all(&mut out);
    out
}

fn datas(out: &[TcpMessage]) -> Vec<Vec<u8>> {
    out.iter().map(|m| m.data.clone()).collect()
}

#[test]
fn handshake_masked_fragmented_and_control_frames() {
    let (s, want) = client_stream();
    let mut r = new();
    let out = run(&mut r, &[&s]);
    assert_eq!(datas(&out), want);
    assert!(out.iter().all(|m| m.websocket));
    let st = r.stats();
    assert_eq!((st.websocket_flows, st.websocket_messages), (1, 3));
    assert_eq!(st.keepalives, 1);
}

#[test]
fn every_split_point_gives_the_same_messages() {
    let (s, want) = client_stream();
    for cut in 0..=s.len() {
        let out = run(&mut new(), &[&s[..cut], &s[cut..]]);
        assert_eq!(datas(&out), want, "cut at {cut}");
    }
    // Byte by byte, and three-byte segments delivered with the pairs swapped.
    let bytes: Vec<&[u8]> = s.chunks(1).collect();
    assert_eq!(datas(&run(&mut new(), &bytes)), want);
    let mut r = new();
    let mut out = Vec::new();
    let chunks: Vec<(u32, &[u8])> = s
        .chunks(3)
        .enumerate()
        .map(|(i, c)| (1 + 3 * i as u32, c))
        .collect();
    for pair in chunks.chunks(2) {
        for (seq, c) in pair.iter().rev() {
            r.push(0, client(), server(), *seq, c, &mut out);
        }
    }
    r.flush_all(&mut out);
    assert_eq!(datas(&out), want);
}

#[test]
fn every_prefix_is_handled() {
    let (s, want) = client_stream();
    let mut got_max = 0;
    for end in 0..=s.len() {
        let out = run(&mut new(), &[&s[..end]]);
        // Only whole messages, in order.
        assert_eq!(datas(&out), want[..out.len()].to_vec(), "prefix {end}");
        got_max = got_max.max(out.len());
    }
    assert_eq!(got_max, want.len());
}

#[test]
fn server_side_after_101_and_mid_stream_start() {
    let ok = b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec();
    let mut s = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: sip\r\n\r\n".to_vec();
    s.extend(frame(true, OP_TEXT, &ok, None));
    assert_eq!(datas(&run(&mut new(), &[&s])), vec![ok.clone()]);

    // A capture that starts after the handshake: the first frame carries SIP.
    let (c, want) = client_stream();
    let mid = &c[UPGRADE.len()..];
    assert_eq!(datas(&run(&mut new(), &[mid])), want);
    let mut two = frame(true, OP_TEXT, &ok, None);
    two.extend(frame(true, OP_TEXT, &ok, None));
    assert_eq!(datas(&run(&mut new(), &[&two])).len(), 2);
}

#[test]
fn long_lengths_16_and_64_bit() {
    let big = sip("INFO", &"b".repeat(70_000));
    let mid = sip("INFO", &"m".repeat(1_000));
    let mut s = frame(true, OP_BINARY, &mid, MASK);
    s.extend(frame(true, OP_BINARY, &big, MASK));
    assert_eq!(s[1] & 0x7f, 126);
    let segs: Vec<&[u8]> = s.chunks(1448).collect();
    assert_eq!(datas(&run(&mut new(), &segs)), vec![mid, big]);
}

#[test]
fn oversized_frames_and_messages_are_skipped_then_framing_continues() {
    let limits = ReassemblyLimits {
        max_flows: 4,
        max_bytes_per_flow: 4096,
        idle_timeout_us: 1_000,
    };
    let small = sip("OPTIONS", "");
    let huge = sip("INFO", &"h".repeat(5_000));
    let mut s = frame(true, OP_TEXT, &small, MASK);
    s.extend(frame(true, OP_TEXT, &huge, MASK));
    s.extend(frame(true, OP_TEXT, &small, MASK));
    // A fragmented message over the limit in frames each under it.
    s.extend(frame(false, OP_TEXT, &huge[..3000], MASK));
    s.extend(frame(true, OP_CONTINUATION, &huge[3000..], MASK));
    s.extend(frame(true, OP_TEXT, &small, MASK));
    let segs: Vec<&[u8]> = s.chunks(1000).collect();
    let mut r = SipTcpReassembler::new(limits).with_websocket(true);
    let out = run(&mut r, &segs);
    assert_eq!(datas(&out), vec![small.clone(), small.clone(), small]);
    assert!(r.stats().overflow_drops >= 1);
    assert!(r.stats().websocket_drops >= 2);
}

#[test]
fn absurd_length_resynchronises_instead_of_skipping_the_stream() {
    let ok = sip("OPTIONS", "");
    let mut s = UPGRADE.to_vec();
    s.extend_from_slice(b"\x82\xff\x00\x00\x01\x00\x00\x00\x00\x00abcd");
    let mut r = new();
    let mut out = Vec::new();
    r.push(0, client(), server(), 1, &s, &mut out);
    // The next segment starts a SIP-carrying frame: the flow picks it up.
    let f = frame(true, OP_TEXT, &ok, MASK);
    r.push(1, client(), server(), 1 + s.len() as u32, &f, &mut out);
    r.flush_all(&mut out);
    assert_eq!(datas(&out), vec![ok]);
}

#[test]
fn not_sip_or_not_enabled() {
    let (s, _) = client_stream();
    // Off by default: a plain SIP reassembler drops WebSocket streams.
    let mut plain = SipTcpReassembler::new(ReassemblyLimits::default());
    assert!(run(&mut plain, &[&s]).is_empty());
    // Another subprotocol, with frames that do not carry SIP.
    let mut x =
        b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n".to_vec();
    x.extend(frame(
        true,
        OP_TEXT,
        b"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>",
        MASK,
    ));
    assert!(run(&mut new(), &[&x]).is_empty());
    // Plain HTTP.
    assert!(run(&mut new(), &[b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"]).is_empty());
    // A SIP session whose text messages are not all SIP.
    let mut y = UPGRADE.to_vec();
    y.extend(frame(true, OP_TEXT, b"{\"json\":1}", MASK));
    y.extend(frame(true, OP_TEXT, &sip("OPTIONS", ""), MASK));
    let mut r = new();
    assert_eq!(run(&mut r, &[&y]).len(), 1);
    assert_eq!(r.stats().websocket_drops, 1);
}

#[test]
fn plain_sip_still_works_with_websocket_enabled() {
    let a = sip("INVITE", "v=0\r\n");
    let mut s = a.clone();
    s.extend_from_slice(&a);
    let out = run(&mut new(), &[&s[..7], &s[7..]]);
    assert_eq!(datas(&out), vec![a.clone(), a]);
    assert!(out.iter().all(|m| !m.websocket));
}

#[test]
fn hostile_bytes_never_panic() {
    let (s, _) = client_stream();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..300 {
        let mut data = s.clone();
        // Corrupt a few bytes after the handshake, some of them in frame headers.
        for _ in 0..(1 + round % 5) {
            let i = UPGRADE.len() + (rnd() as usize) % (data.len() - UPGRADE.len());
            data[i] = rnd() as u8;
        }
        if round % 7 == 0 {
            // Huge 64-bit length and reserved bits.
            data.extend_from_slice(b"\x81\xff\x7f\xff\xff\xff\xff\xff\xff\xff1234");
            data.extend_from_slice(b"\xf1\x00");
        }
        let cut = (rnd() as usize) % data.len();
        let limits = ReassemblyLimits {
            max_flows: 2,
            max_bytes_per_flow: 512,
            idle_timeout_us: 1,
        };
        let mut r = SipTcpReassembler::new(limits).with_websocket(true);
        let out = run(&mut r, &[&data[..cut], &data[cut..]]);
        assert!(out.iter().all(|m| m.data.len() <= 512));
        let _ = run(&mut new(), &data.chunks(5).collect::<Vec<_>>());
    }
    // Pure noise, from the first byte.
    for _ in 0..200 {
        let n = (rnd() as usize) % 300;
        let noise: Vec<u8> = (0..n).map(|_| rnd() as u8).collect();
        let _ = run(&mut new(), &[&noise]);
    }
}
