//! build_frame / build_frames: structure, checksums, size limits.

#![allow(clippy::unwrap_used)] // tests: inputs are known-good

use argos_net::{
    build_frame, build_frames, decode_packet, FrameProto, LinkType, TransportHeader,
    MAX_TCP_PAYLOAD_V4, MAX_UDP_PAYLOAD_V4, MAX_UDP_PAYLOAD_V6,
};
use std::net::{IpAddr, SocketAddr};

fn csum(data: &[u8]) -> u16 {
    let mut acc: u32 = 0;
    for w in data.chunks(2) {
        acc += u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]));
    }
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// Verifies IPv4 header and transport checksums of a frame built for IPv4.
fn check_v4(f: &[u8]) {
    let ip = &f[14..34];
    assert_eq!(csum(ip), 0, "ipv4 header checksum");
    let l4 = &f[34..];
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&ip[12..20]);
    pseudo.extend_from_slice(&[0, ip[9]]);
    pseudo.extend_from_slice(&(l4.len() as u16).to_be_bytes());
    pseudo.extend_from_slice(l4);
    assert_eq!(csum(&pseudo), 0, "transport checksum");
}

fn check_v6(f: &[u8]) {
    let ip = &f[14..54];
    let l4 = &f[54..];
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&ip[8..40]);
    pseudo.extend_from_slice(&(l4.len() as u32).to_be_bytes());
    pseudo.extend_from_slice(&[0, 0, 0, ip[6]]);
    pseudo.extend_from_slice(l4);
    assert_eq!(csum(&pseudo), 0, "transport checksum");
}

fn v4() -> (SocketAddr, SocketAddr) {
    (
        "192.0.2.1:5060".parse().unwrap(),
        "192.0.2.2:5080".parse().unwrap(),
    )
}

#[test]
fn udp_v4_frame() {
    let (a, b) = v4();
    let mut f = vec![0xAA; 3]; // cleared first
    build_frame(a, b, FrameProto::Udp, b"odd", &mut f);
    assert_eq!(f.len(), 14 + 20 + 8 + 3);
    check_v4(&f);
    let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
    assert_eq!((p.src, p.dst), (a.ip(), b.ip()));
    assert_eq!(
        p.transport,
        TransportHeader::Udp {
            src_port: 5060,
            dst_port: 5080
        }
    );
    assert_eq!(p.payload, b"odd");
}

#[test]
fn tcp_v4_and_v6_frames() {
    let (a, b) = v4();
    let mut f = Vec::new();
    build_frame(a, b, FrameProto::Tcp { seq: 77 }, b"INVITE", &mut f);
    check_v4(&f);
    let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
    assert_eq!(
        p.transport,
        TransportHeader::Tcp {
            src_port: 5060,
            dst_port: 5080,
            seq: 77,
            flags: 0x18
        }
    );
    let a6: SocketAddr = "[2001:db8::1]:5060".parse().unwrap();
    let b6: SocketAddr = "[2001:db8::2]:5060".parse().unwrap();
    for proto in [FrameProto::Udp, FrameProto::Tcp { seq: 1 }] {
        build_frame(a6, b6, proto, b"hello six", &mut f);
        check_v6(&f);
        let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
        assert_eq!(p.payload, b"hello six");
        assert_eq!(p.src, a6.ip());
    }
}

#[test]
fn mixed_families_map_v4_into_v6() {
    let a: SocketAddr = "192.0.2.1:5060".parse().unwrap();
    let b: SocketAddr = "[2001:db8::2]:5060".parse().unwrap();
    let mut f = Vec::new();
    build_frame(a, b, FrameProto::Udp, b"x", &mut f);
    check_v6(&f);
    let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
    assert_eq!(p.src, "::ffff:192.0.2.1".parse::<IpAddr>().unwrap());
    assert_eq!(p.dst, b.ip());
}

#[test]
fn oversized_payloads() {
    let (a, b) = v4();
    let big = vec![b'z'; 200_000];
    let mut f = Vec::new();
    build_frame(a, b, FrameProto::Udp, &big, &mut f);
    check_v4(&f);
    let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
    assert_eq!(p.payload.len(), MAX_UDP_PAYLOAD_V4, "UDP truncated");
    let a6: SocketAddr = "[::1]:1".parse().unwrap();
    build_frame(a6, a6, FrameProto::Udp, &big, &mut f);
    assert_eq!(
        decode_packet(LinkType::ETHERNET, &f).unwrap().payload.len(),
        MAX_UDP_PAYLOAD_V6
    );
    // TCP: split into segments with advancing sequence numbers.
    let frames = build_frames(a, b, FrameProto::Tcp { seq: u32::MAX - 5 }, &big);
    assert_eq!(frames.len(), 200_000usize.div_ceil(MAX_TCP_PAYLOAD_V4));
    let mut expect_seq = u32::MAX - 5;
    let mut total = 0;
    for fr in &frames {
        check_v4(fr);
        let p = decode_packet(LinkType::ETHERNET, fr).unwrap();
        let TransportHeader::Tcp { seq, .. } = p.transport else {
            panic!("tcp")
        };
        assert_eq!(seq, expect_seq);
        expect_seq = expect_seq.wrapping_add(p.payload.len() as u32);
        total += p.payload.len();
    }
    assert_eq!(total, big.len());
    assert_eq!(build_frames(a, b, FrameProto::Udp, &big).len(), 1);
    assert_eq!(build_frames(a, b, FrameProto::Tcp { seq: 0 }, b"").len(), 1);
}
