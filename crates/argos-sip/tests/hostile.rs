//! Hostile input: never panic, bounded time, structured errors.

mod common;

use std::time::{Duration, Instant};

use argos_sip::{parse, parse_with_limits, sdp, FieldConfig, Limits, SipError};
use common::{crlf, COMPACT, INVITE, OK_200, REGISTER};

fn cfg() -> &'static FieldConfig {
    static CFG: std::sync::OnceLock<FieldConfig> = std::sync::OnceLock::new();
    CFG.get_or_init(|| FieldConfig::default().with_session_id())
}

/// Run every accessor.
fn exercise(buf: &[u8]) {
    if let Ok(m) = parse(buf) {
        let s = m.summary(cfg());
        if let Some(sdp) = &s.sdp {
            let _ = sdp.media_summary();
        }
        for h in m.headers() {
            let _ = m.header_all(h.name).count();
            let _ = m.header(h.name);
        }
        let _ = (
            m.body(),
            m.trailing(),
            m.is_complete(),
            m.method(),
            m.status(),
        );
    }
    if let Ok(s) = sdp::parse(buf) {
        let _ = s.media_summary();
    }
}

fn samples() -> Vec<Vec<u8>> {
    [INVITE, OK_200, REGISTER, COMPACT]
        .iter()
        .map(|t| crlf(t))
        .collect()
}

#[test]
fn every_truncation_never_panics() {
    for buf in samples() {
        for n in 0..=buf.len() {
            exercise(&buf[..n]);
            exercise(&buf[n..]);
        }
    }
}

#[test]
fn byte_mutations_never_panic() {
    const BYTES: &[u8] = b"\0\r\n :;,\"<>@[]/=\\\t\xff\xc3";
    for buf in samples() {
        let mut b = buf.clone();
        for i in 0..b.len() {
            let orig = b[i];
            for &x in BYTES {
                b[i] = x;
                exercise(&b);
            }
            b[i] = orig;
        }
    }
}

#[test]
fn random_garbage_never_panics() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let alphabet = b"INVITE SIP/2.0 sip:@;<>\",:\r\n\t=vmcl0123456789abcdef[]/";
    for _ in 0..3000 {
        let len = (next() % 600) as usize;
        let buf: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                if r % 7 == 0 {
                    r as u8
                } else {
                    alphabet[(r as usize / 7) % alphabet.len()]
                }
            })
            .collect();
        exercise(&buf);
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed())
}

#[test]
fn header_line_of_64k_is_rejected_quickly() {
    let mut buf = b"INVITE sip:a@b SIP/2.0\r\nX-Long: ".to_vec();
    buf.extend(std::iter::repeat_n(b'a', 64 * 1024));
    buf.extend_from_slice(b"\r\n\r\n");
    let (r, took) = timed(|| parse(&buf));
    assert!(
        matches!(r, Err(SipError::HeaderTooLong { max: 16384, .. })),
        "{r:?}"
    );
    assert!(took < Duration::from_millis(200), "{took:?}");

    // Same without any line end at all, and as a start line.
    let buf = vec![b'x'; 1 << 20];
    let (r, took) = timed(|| parse(&buf));
    assert!(matches!(r, Err(SipError::HeaderTooLong { .. })), "{r:?}");
    assert!(took < Duration::from_millis(200), "{took:?}");
}

#[test]
fn folded_line_growth_is_bounded() {
    let mut buf = b"INVITE sip:a@b SIP/2.0\r\nSubject: x\r\n".to_vec();
    for _ in 0..20_000 {
        buf.extend_from_slice(b" yy\r\n");
    }
    buf.extend_from_slice(b"\r\n");
    let (r, took) = timed(|| parse(&buf));
    assert!(matches!(r, Err(SipError::HeaderTooLong { .. })), "{r:?}");
    assert!(took < Duration::from_millis(500), "{took:?}");
}

#[test]
fn ten_thousand_headers() {
    let mut buf = b"INVITE sip:a@b SIP/2.0\r\n".to_vec();
    for i in 0..10_000 {
        buf.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    buf.extend_from_slice(b"\r\n");
    let (r, took) = timed(|| parse(&buf));
    assert_eq!(r, Err(SipError::TooManyHeaders { max: 256 }));
    assert!(took < Duration::from_millis(200), "{took:?}");

    // With the header count limit lifted, the section limit still applies.
    let limits = Limits {
        max_headers: 1_000_000,
        ..Limits::default()
    };
    let r = parse_with_limits(&buf, &limits);
    assert_eq!(r, Err(SipError::HeaderSectionTooLong { max: 65536 }));

    // 256 headers exactly are fine.
    let mut ok = b"SIP/2.0 200 OK\r\n".to_vec();
    for i in 0..256 {
        ok.extend_from_slice(format!("Via: SIP/2.0/UDP h{i};branch=z9hG4bK{i}\r\n").as_bytes());
    }
    ok.extend_from_slice(b"\r\n");
    let m = parse(&ok).expect("256 headers");
    assert_eq!(m.header_all("v").count(), 256);
}

#[test]
fn pathological_values_are_linear() {
    // Unbalanced quotes, angles and many commas in one long (but allowed) header.
    let mut v = String::new();
    for _ in 0..2000 {
        v.push_str("\"a<,");
    }
    let buf = format!(
        "INVITE sip:a@b SIP/2.0\r\nVia: {v}\r\nFrom: {v}\r\nContact: {v}\r\nAuthorization: Digest {v}\r\n\r\n"
    );
    let (r, took) = timed(|| {
        let m = parse(buf.as_bytes()).expect("parse");
        let n = m.header_all("Via").count();
        let _ = m.summary(&FieldConfig::default());
        n
    });
    assert_eq!(r, 1000, "quotes pair up across elements");
    assert!(took < Duration::from_millis(500), "{took:?}");

    let big = "\"x\\".repeat(300_000);
    let (n, took) = timed(|| argos_sip::uri::split_list(&big).count());
    assert_eq!(n, 1);
    assert!(took < Duration::from_millis(500), "{took:?}");
}

#[test]
fn sdp_limits() {
    let mut s = String::from("v=0\r\n");
    for _ in 0..100 {
        s.push_str("m=audio 1 RTP/AVP 0\r\n");
    }
    assert_eq!(
        sdp::parse(s.as_bytes()),
        Err(sdp::SdpError::TooManyMedia { max: 64 })
    );
}
