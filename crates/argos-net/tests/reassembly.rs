//! SipTcpReassembler behaviour over hand-built segments.

#![allow(clippy::unwrap_used)] // tests: inputs are known-good

use argos_net::{ReassemblyLimits, SipTcpReassembler, TcpMessage};
use std::net::SocketAddr;

fn a() -> SocketAddr {
    "10.0.0.1:40000".parse().unwrap()
}
fn b() -> SocketAddr {
    "10.0.0.2:5060".parse().unwrap()
}

fn msg(method: &str, body: &str) -> String {
    format!(
        "{method} sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn new() -> SipTcpReassembler {
    SipTcpReassembler::new(ReassemblyLimits::default())
}

fn texts(out: &[TcpMessage]) -> Vec<String> {
    out.iter()
        .map(|m| String::from_utf8_lossy(&m.data).into_owned())
        .collect()
}

#[test]
fn several_messages_in_one_segment() {
    let mut r = new();
    let mut out = Vec::new();
    let data = format!(
        "{}{}\r\n\r\n{}",
        msg("INVITE", "v=0\r\n"),
        msg("ACK", ""),
        msg("BYE", "")
    );
    r.push(7, a(), b(), 1000, data.as_bytes(), &mut out);
    assert_eq!(
        texts(&out),
        vec![msg("INVITE", "v=0\r\n"), msg("ACK", ""), msg("BYE", "")]
    );
    assert!(out
        .iter()
        .all(|m| m.ts_us == 7 && m.src == a() && m.dst == b()));
    let s = r.stats();
    assert_eq!((s.messages, s.keepalives, s.flows), (3, 1, 1));
}

#[test]
fn one_message_across_segments_ts_of_completing_segment() {
    let m = msg("INVITE", &"x".repeat(3000));
    let mut r = new();
    let mut out = Vec::new();
    let mut seq = 5u32;
    for (i, chunk) in m.as_bytes().chunks(1000).enumerate() {
        r.push(100 + i as i64, a(), b(), seq, chunk, &mut out);
        seq += chunk.len() as u32;
    }
    assert_eq!(texts(&out), vec![m]);
    assert_eq!(out[0].ts_us, 103);
}

#[test]
fn split_inside_start_line_and_header_terminator() {
    let m = msg("REGISTER", "");
    let mut r = new();
    let mut out = Vec::new();
    let bytes = m.as_bytes();
    for (i, s) in [0usize, 2, 9, m.len() - 2, m.len()].windows(2).enumerate() {
        r.push(
            i as i64,
            a(),
            b(),
            s[0] as u32,
            &bytes[s[0]..s[1]],
            &mut out,
        );
    }
    assert_eq!(texts(&out), vec![m]);
}

#[test]
fn retransmissions_dropped_overlaps_trimmed() {
    let m1 = msg("INVITE", "body");
    let m2 = msg("BYE", "");
    let all = format!("{m1}{m2}");
    let bytes = all.as_bytes();
    let mut r = new();
    let mut out = Vec::new();
    r.push(1, a(), b(), 0, &bytes[..50], &mut out);
    r.push(2, a(), b(), 0, &bytes[..50], &mut out); // full retransmission
    r.push(3, a(), b(), 30, &bytes[30..80], &mut out); // overlap 20
    r.push(4, a(), b(), 80, &bytes[80..], &mut out);
    r.push(5, a(), b(), 80, &bytes[80..], &mut out); // retransmission after completion
    assert_eq!(texts(&out), vec![m1, m2]);
    assert_eq!(r.stats().retransmissions, 2);
}

#[test]
fn out_of_order_held_until_gap_filled() {
    let m = msg("OPTIONS", &"y".repeat(500));
    let bytes = m.as_bytes();
    let mut r = new();
    let mut out = Vec::new();
    let w = 1_000_000u32; // sequence numbers near the wrap
    let s = |o: usize| w.wrapping_sub(200).wrapping_add(o as u32);
    r.push(1, a(), b(), s(0), &bytes[..100], &mut out);
    r.push(2, a(), b(), s(300), &bytes[300..], &mut out);
    r.push(3, a(), b(), s(200), &bytes[200..300], &mut out);
    assert!(out.is_empty());
    r.push(4, a(), b(), s(100), &bytes[100..200], &mut out);
    assert_eq!(texts(&out), vec![m]);
    assert_eq!(out[0].ts_us, 4);
    assert_eq!(r.stats().out_of_order, 2);
}

#[test]
fn sequence_wraparound() {
    let m = msg("INFO", "abc");
    let bytes = m.as_bytes();
    let mut r = new();
    let mut out = Vec::new();
    let start = u32::MAX - 10;
    r.push(1, a(), b(), start, &bytes[..20], &mut out);
    r.push(2, a(), b(), start.wrapping_add(20), &bytes[20..], &mut out);
    assert_eq!(texts(&out), vec![m]);
}

#[test]
fn compact_content_length_lf_only_and_missing() {
    let m1 = "MESSAGE sip:a SIP/2.0\r\nl: 5\r\n\r\nhello";
    let m2 = "SIP/2.0 200 OK\nv: SIP/2.0/TCP x\n\n";
    let m3 = "SIP/2.0 100 Trying\r\nVia: x\r\n\r\n";
    let mut r = new();
    let mut out = Vec::new();
    let all = format!("{m1}{m2}{m3}");
    r.push(1, a(), b(), 0, all.as_bytes(), &mut out);
    assert_eq!(texts(&out), vec![m1, m2, m3]);
}

#[test]
fn keepalives_and_non_sip() {
    let mut r = new();
    let mut out = Vec::new();
    r.push(1, a(), b(), 0, b"\r\n\r\n", &mut out);
    r.push(2, a(), b(), 4, b"\r\n", &mut out);
    r.push(
        3,
        a(),
        b(),
        6,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        &mut out,
    );
    assert!(out.is_empty());
    let s = r.stats();
    assert_eq!((s.keepalives, s.non_sip_drops), (2, 1));
    // resynchronises on the next segment that starts with SIP
    let m = msg("NOTIFY", "");
    r.push(4, a(), b(), 33, m.as_bytes(), &mut out);
    assert_eq!(texts(&out), vec![m]);
    // binary junk (TLS)
    let mut r = new();
    r.push(1, a(), b(), 0, &[0x16, 0x03, 0x01, 0x02, 0x00], &mut out);
    assert_eq!(r.stats().non_sip_drops, 1);
}

#[test]
fn directions_are_separate_flows() {
    let mut r = new();
    let mut out = Vec::new();
    let req = msg("INVITE", "");
    let resp = "SIP/2.0 180 Ringing\r\nContent-Length: 0\r\n\r\n";
    r.push(1, a(), b(), 0, &req.as_bytes()[..10], &mut out);
    r.push(2, b(), a(), 500, resp.as_bytes(), &mut out);
    r.push(3, a(), b(), 10, &req.as_bytes()[10..], &mut out);
    assert_eq!(texts(&out), vec![resp.to_string(), req]);
    assert_eq!(out[0].src, b());
    assert_eq!(r.stats().flows, 2);
}

#[test]
fn oversized_message_skipped_then_next_one_found() {
    let limits = ReassemblyLimits {
        max_flows: 10,
        max_bytes_per_flow: 1000,
        idle_timeout_us: 1_000,
    };
    let mut r = SipTcpReassembler::new(limits);
    let mut out = Vec::new();
    let big = msg("INVITE", &"z".repeat(5000));
    let next = msg("BYE", "");
    let all = format!("{big}{next}");
    let mut seq = 0u32;
    for chunk in all.as_bytes().chunks(700) {
        r.push(1, a(), b(), seq, chunk, &mut out);
        seq += chunk.len() as u32;
    }
    assert_eq!(texts(&out), vec![next]);
    assert!(r.stats().overflow_drops >= 1);
}

#[test]
fn gap_overflow_resyncs() {
    let limits = ReassemblyLimits {
        max_flows: 10,
        max_bytes_per_flow: 300,
        idle_timeout_us: 1_000,
    };
    let mut r = SipTcpReassembler::new(limits);
    let mut out = Vec::new();
    r.push(
        1,
        a(),
        b(),
        0,
        &msg("INVITE", "x").as_bytes()[..20],
        &mut out,
    );
    // lost segment, then more data than the hold limit
    let m2 = msg("BYE", &"q".repeat(150));
    r.push(2, a(), b(), 1000, m2.as_bytes(), &mut out);
    assert!(out.is_empty());
    let m3 = msg("ACK", &"w".repeat(150));
    r.push(3, a(), b(), 1000 + m2.len() as u32, m3.as_bytes(), &mut out);
    // m2 was held; adding m3 overflows: the gap is given up and reading restarts at m3
    assert_eq!(texts(&out), vec![m3]);
    let s = r.stats();
    assert_eq!(
        (s.out_of_order, s.gaps_skipped, s.overflow_drops),
        (1, 1, 1)
    );
}

#[test]
fn flush_idle_emits_partial_and_skips_gaps() {
    let mut r = SipTcpReassembler::new(ReassemblyLimits {
        idle_timeout_us: 100,
        ..ReassemblyLimits::default()
    });
    let mut out = Vec::new();
    let m1 = msg("INVITE", &"b".repeat(100));
    let m2 = msg("BYE", "");
    r.push(10, a(), b(), 0, &m1.as_bytes()[..m1.len() - 50], &mut out);
    r.push(20, a(), b(), m1.len() as u32, m2.as_bytes(), &mut out);
    r.push(30, b(), a(), 0, b"SIP/2.0 200 OK\r\nContent-", &mut out);
    r.flush_idle(100, &mut out);
    assert!(out.is_empty(), "nothing idle yet");
    r.flush_idle(125, &mut out);
    assert_eq!(texts(&out), vec![m1[..m1.len() - 50].to_string(), m2]);
    let s = r.stats();
    assert_eq!(
        (s.partial_messages, s.gaps_skipped, s.flows, s.messages),
        (1, 1, 1, 1)
    );
    r.flush_all(&mut out);
    assert_eq!(out.len(), 2, "headers incomplete: nothing emitted");
    assert_eq!(r.stats().flows, 0);
}

#[test]
fn max_flows_evicts_least_recent() {
    let mut r = SipTcpReassembler::new(ReassemblyLimits {
        max_flows: 2,
        ..ReassemblyLimits::default()
    });
    let mut out = Vec::new();
    for (i, port) in [1u16, 2, 3, 4].iter().enumerate() {
        let src = SocketAddr::new(a().ip(), *port);
        r.push(i as i64, src, b(), 0, b"INVITE sip:x SIP/2.0\r\n", &mut out);
    }
    let s = r.stats();
    assert_eq!((s.flows, s.evicted_flows), (2, 2));
}

#[test]
fn bad_content_length_counted() {
    let mut r = new();
    let mut out = Vec::new();
    let m = "INVITE sip:x SIP/2.0\r\nContent-Length: bad\r\n\r\n";
    r.push(1, a(), b(), 0, m.as_bytes(), &mut out);
    assert_eq!(texts(&out), vec![m]);
    assert_eq!(r.stats().bad_content_length, 1);
}
