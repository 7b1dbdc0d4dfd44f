//! IP fragment reassembly: order, duplicates, overlaps, expiry, limits, hostile input,
//! and the path decode_packet → Defragmenter → decode_transport.

use argos_net::{
    decode_packet, decode_transport, Datagram, DefragLimits, Defragmenter, FragmentInfo, LinkType,
    TransportHeader,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

fn v4(id: u32, offset: u32, more: bool) -> FragmentInfo {
    FragmentInfo {
        id,
        offset,
        more,
        protocol: 17,
        v6: false,
    }
}

/// A UDP datagram (header + SIP payload) of `n` payload bytes.
fn udp_datagram(n: usize) -> Vec<u8> {
    let mut body = b"OPTIONS sip:x SIP/2.0\r\n".to_vec();
    while body.len() < n {
        body.push(b'a' + (body.len() % 26) as u8);
    }
    body.truncate(n);
    let mut d = Vec::new();
    d.extend_from_slice(&5060u16.to_be_bytes());
    d.extend_from_slice(&5060u16.to_be_bytes());
    d.extend_from_slice(&((n + 8) as u16).to_be_bytes());
    d.extend_from_slice(&[0, 0]);
    d.extend_from_slice(&body);
    d
}

/// Splits `d` into fragments of `size` bytes (a multiple of 8): (offset, more, bytes).
fn split(d: &[u8], size: usize) -> Vec<(u32, bool, &[u8])> {
    let n = d.len().div_ceil(size);
    d.chunks(size)
        .enumerate()
        .map(|(i, c)| ((i * size) as u32, i + 1 < n, c))
        .collect()
}

fn push_all(
    df: &mut Defragmenter,
    ts: i64,
    id: u32,
    frags: &[(u32, bool, &[u8])],
) -> Vec<Datagram> {
    frags
        .iter()
        .filter_map(|&(off, more, data)| df.push(ts, A, B, v4(id, off, more), data))
        .collect()
}

#[test]
fn in_order() {
    let d = udp_datagram(3000);
    let mut df = Defragmenter::default();
    let out = push_all(&mut df, 1, 7, &split(&d, 1480));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].payload, d);
    assert_eq!(out[0].protocol, 17);
    assert_eq!(out[0].fragments, 3);
    assert_eq!((out[0].src, out[0].dst), (A, B));
    assert_eq!(df.pending(), 0);
    assert_eq!(df.pending_bytes(), 0);
    let s = df.stats();
    assert_eq!((s.fragments, s.reassembled, s.overlaps), (3, 1, 0));
    // The payload decodes as UDP.
    let p = decode_transport(out[0].protocol, A, B, None, &out[0].payload).expect("value");
    assert_eq!(
        p.transport,
        TransportHeader::Udp {
            src_port: 5060,
            dst_port: 5060
        }
    );
    assert_eq!(p.payload, &d[8..]);
    assert!(!p.ip_fragment && p.fragment.is_none());
}

#[test]
fn out_of_order_and_last_first() {
    let d = udp_datagram(5000);
    let mut frags = split(&d, 1000);
    frags.reverse();
    frags.swap(1, 3);
    let mut df = Defragmenter::default();
    let out = push_all(&mut df, 1, 7, &frags);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].payload, d);
}

#[test]
fn duplicates_are_harmless() {
    let d = udp_datagram(2000);
    let f = split(&d, 800);
    let mut df = Defragmenter::default();
    let dup = [f[0], f[0], f[1], f[1], f[2]];
    let out = push_all(&mut df, 1, 7, &dup);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].payload, d);
    assert_eq!(df.stats().overlaps, 2);
    // A duplicate of the last fragment after completion starts a new datagram that expires.
    assert!(df.push(2, A, B, v4(7, f[2].0, false), f[2].2).is_none());
    df.expire(2 + 30_000_000);
    assert_eq!(df.pending(), 0);
    assert_eq!(df.stats().expired, 1);
}

#[test]
fn overlap_first_wins() {
    let mut df = Defragmenter::default();
    assert!(df.push(0, A, B, v4(1, 0, true), &[1u8; 16]).is_none());
    // Overlaps bytes 8..16 with 2s: the 1s already held are kept.
    let out = df
        .push(0, A, B, v4(1, 8, false), &[2u8; 16])
        .expect("value");
    let mut want = vec![1u8; 16];
    want.extend_from_slice(&[2u8; 8]);
    assert_eq!(out.payload, want);
    assert_eq!(df.stats().overlaps, 1);
    // A fragment entirely inside another, and one spanning two holes.
    assert!(df.push(0, A, B, v4(2, 0, true), &[1u8; 8]).is_none());
    assert!(df.push(0, A, B, v4(2, 16, true), &[3u8; 8]).is_none());
    assert!(df.push(0, A, B, v4(2, 32, false), &[5u8; 8]).is_none());
    let out = df.push(0, A, B, v4(2, 0, true), &[9u8; 40]).expect("value");
    let want: Vec<u8> = [[1u8; 8], [9; 8], [3; 8], [9; 8], [5; 8]].concat();
    assert_eq!(out.payload, want);
}

#[test]
fn inconsistent_ends_drop_the_datagram() {
    let mut df = Defragmenter::default();
    assert!(df.push(0, A, B, v4(1, 0, true), &[0u8; 16]).is_none());
    assert!(df.push(0, A, B, v4(1, 24, false), &[0u8; 8]).is_none());
    // A second, different last fragment.
    assert!(df.push(0, A, B, v4(1, 40, false), &[0u8; 8]).is_none());
    assert_eq!(df.stats().dropped_invalid, 1);
    assert_eq!(df.pending(), 0);
    // Data past a known end.
    assert!(df.push(0, A, B, v4(3, 8, false), &[0u8; 8]).is_none());
    assert!(df.push(0, A, B, v4(3, 16, true), &[0u8; 8]).is_none());
    assert_eq!(df.stats().dropped_invalid, 2);
    // A last fragment ending before data already held.
    assert!(df.push(0, A, B, v4(4, 16, true), &[0u8; 8]).is_none());
    assert!(df.push(0, A, B, v4(4, 0, false), &[0u8; 8]).is_none());
    assert_eq!(df.stats().dropped_invalid, 3);
    assert_eq!(df.pending_bytes(), 0);
}

#[test]
fn missing_last_fragment_expires() {
    let d = udp_datagram(3000);
    let f = split(&d, 1480);
    let mut df = Defragmenter::new(DefragLimits {
        timeout_us: 15_000_000,
        ..DefragLimits::default()
    });
    assert!(push_all(&mut df, 1_000_000, 9, &f[..2]).is_empty());
    assert_eq!(df.pending(), 1);
    df.expire(15_999_999);
    assert_eq!(df.pending(), 1, "not yet");
    // Expiry also happens on the next push, whatever its datagram.
    assert!(df
        .push(16_000_000, A, B, v4(10, 0, true), &[0u8; 8])
        .is_none());
    assert_eq!(df.stats().expired, 1);
    assert_eq!(df.stats().fragments_discarded, 2);
    assert_eq!(df.pending(), 1);
    // The late last fragment alone does not complete anything.
    assert!(df
        .push(16_000_001, A, B, v4(9, f[2].0, false), f[2].2)
        .is_none());
    df.clear();
    assert_eq!(df.pending(), 0);
    assert_eq!(df.stats().expired, 3);
}

#[test]
fn keys_separate_datagrams() {
    let d1 = udp_datagram(2000);
    let d2 = udp_datagram(1500);
    let (f1, f2) = (split(&d1, 1200), split(&d2, 1200));
    let mut df = Defragmenter::default();
    // Same id, other protocol: a different IPv4 datagram.
    let tcp = FragmentInfo {
        protocol: 6,
        ..v4(5, 0, true)
    };
    assert!(df.push(0, A, B, tcp, f2[0].2).is_none());
    assert!(df.push(0, A, B, v4(5, 0, true), f1[0].2).is_none());
    assert!(df.push(0, B, A, v4(5, 0, true), f2[0].2).is_none());
    assert_eq!(df.pending(), 3);
    let out = df
        .push(0, A, B, v4(5, 1200, false), f1[1].2)
        .expect("value");
    assert_eq!(out.payload.len(), d1.len());
    assert_eq!(out.payload, d1);
    let out = df
        .push(0, B, A, v4(5, 1200, false), f2[1].2)
        .expect("value");
    assert_eq!(out.payload, d2);
}

#[test]
fn ipv6_protocol_comes_from_the_first_fragment() {
    let a: IpAddr = "2001:db8::1".parse().expect("value");
    let b: IpAddr = "2001:db8::2".parse().expect("value");
    let d = udp_datagram(100);
    let info = |offset, more, protocol| FragmentInfo {
        id: 0xdead_beef,
        offset,
        more,
        protocol,
        v6: true,
    };
    let mut df = Defragmenter::default();
    // RFC 8200: later fragments' next header may differ; the key has no protocol.
    assert!(df.push(0, a, b, info(56, false, 59), &d[56..]).is_none());
    let out = df
        .push(0, a, b, info(0, true, 17), &d[..56])
        .expect("value");
    assert_eq!(out.protocol, 17);
    assert_eq!(out.payload, d);
}

#[test]
fn datagram_size_limit() {
    let mut df = Defragmenter::default();
    assert!(df.push(0, A, B, v4(1, 0, true), &[0u8; 1480]).is_none());
    // Offset 65528 + 16 bytes is past 65,535.
    assert!(df.push(0, A, B, v4(1, 65528, false), &[0u8; 16]).is_none());
    assert_eq!(df.pending(), 0);
    assert_eq!(df.stats().dropped_limit, 1);
    assert_eq!(df.pending_bytes(), 0);
    // The largest legal datagram is fine.
    let mut df = Defragmenter::default();
    let big = vec![7u8; 65_535];
    let out = push_all(&mut df, 0, 2, &split(&big, 1480));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].payload.len(), 65_535);
}

#[test]
fn pending_count_and_bytes_limits() {
    let limits = DefragLimits {
        max_datagram: 65_535,
        max_total_bytes: 10_000,
        max_pending: 4,
        timeout_us: 30_000_000,
    };
    let mut df = Defragmenter::new(limits);
    for id in 0..10 {
        assert!(df.push(0, A, B, v4(id, 0, true), &[0u8; 100]).is_none());
        assert!(df.pending() <= 4);
    }
    assert_eq!(df.stats().dropped_limit, 6);
    // The newest survive: id 9 completes.
    assert!(df.push(0, A, B, v4(9, 100, false), &[0u8; 8]).is_some());
    // Bytes: a datagram reaching far evicts the older ones.
    assert!(df.push(0, A, B, v4(20, 9000, true), &[0u8; 800]).is_none());
    assert!(df.pending_bytes() <= 10_000);
    // One datagram larger than all the memory is dropped itself.
    assert!(df.push(0, A, B, v4(21, 20_000, true), &[0u8; 8]).is_none());
    assert!(df.pending_bytes() <= 10_000);
    assert!(df.stats().dropped_limit >= 8);
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[test]
fn hostile_fragments_never_panic_or_exceed_limits() {
    let limits = DefragLimits {
        max_datagram: 65_535,
        max_total_bytes: 1 << 20,
        max_pending: 24,
        timeout_us: 200,
    };
    let mut df = Defragmenter::new(limits);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let data = vec![0xAB; 70_000];
    let mut ts = 0i64;
    let mut completed = 0;
    for _ in 0..100_000 {
        ts += rng.below(3) as i64; // mostly forward, sometimes still
        if rng.below(100) == 0 {
            ts -= rng.below(5_000) as i64; // and sometimes backwards
        }
        let info = FragmentInfo {
            id: rng.below(4) as u32,
            offset: match rng.below(4) {
                0 => rng.next() as u32,
                1 => (rng.below(8192) * 8) as u32,
                _ => (rng.below(64) * 8) as u32,
            },
            more: rng.below(3) != 0,
            protocol: [6, 17, 47, 132][rng.below(4) as usize],
            v6: rng.below(2) == 0,
        };
        let len = match rng.below(16) {
            0 => rng.below(70_000) as usize,
            _ => rng.below(600) as usize,
        };
        let src = if rng.below(2) == 0 { A } else { B };
        if let Some(d) = df.push(ts, src, B, info, &data[..len]) {
            completed += 1;
            assert!(d.payload.len() <= limits.max_datagram);
            let _ = decode_transport(d.protocol, d.src, d.dst, None, &d.payload);
        }
        assert!(df.pending() <= limits.max_pending);
        assert!(df.pending_bytes() <= limits.max_total_bytes);
    }
    let s = df.stats();
    assert_eq!(s.fragments, 100_000);
    assert!(
        completed > 0 && s.expired > 0 && s.dropped_limit > 0 && s.overlaps > 0,
        "{completed} {s:?}"
    );
    df.clear();
    assert_eq!(df.pending_bytes(), 0);
}

// ---- decode_packet exposes the fragment fields ----

fn ipv4_frame(id: u16, frag: u16, proto: u8, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut f = vec![0x45, 0];
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&id.to_be_bytes());
    f.extend_from_slice(&frag.to_be_bytes());
    f.extend_from_slice(&[64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    f.extend_from_slice(payload);
    f
}

fn ipv6_frame(id: u32, off_m: u16, next: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x60, 0, 0, 0];
    f.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[44, 64]);
    f.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
    f.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
    f.extend_from_slice(&[next, 0]);
    f.extend_from_slice(&off_m.to_be_bytes());
    f.extend_from_slice(&id.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

#[test]
fn ipv4_fragments_decode_and_reassemble() {
    let d = udp_datagram(2500);
    let mut df = Defragmenter::default();
    let mut out = None;
    for (off, more, chunk) in split(&d, 1200) {
        let frag = (off / 8) as u16 | if more { 0x2000 } else { 0 };
        let frame = ipv4_frame(0x1234, frag, 17, chunk);
        let p = decode_packet(LinkType::RAW, &frame).expect("value");
        assert!(p.ip_fragment);
        let info = p.fragment.expect("value");
        assert_eq!(info, v4(0x1234, off, more));
        assert_eq!(p.transport, TransportHeader::Other { ip_proto: 17 });
        out = out.or(df.push(0, p.src, p.dst, info, p.payload));
    }
    let d2 = out.expect("value");
    assert_eq!(d2.payload, d);
    let p = decode_transport(d2.protocol, d2.src, d2.dst, None, &d2.payload).expect("value");
    assert!(p.payload.starts_with(b"OPTIONS sip:x"));
    // DF alone is not a fragment.
    let frame = ipv4_frame(1, 0x4000, 17, &udp_datagram(10));
    let p = decode_packet(LinkType::RAW, &frame).expect("value");
    assert!(!p.ip_fragment && p.fragment.is_none());
}

#[test]
fn ipv6_fragments_decode_and_reassemble() {
    let d = udp_datagram(2000);
    let mut df = Defragmenter::default();
    let mut out = None;
    for (off, more, chunk) in split(&d, 1232) {
        let frame = ipv6_frame(0xf88e_b466, off as u16 | u16::from(more), 17, chunk);
        let p = decode_packet(LinkType::RAW, &frame).expect("value");
        let info = p.fragment.expect("value");
        assert!(info.v6 && info.id == 0xf88e_b466 && info.offset == off && info.more == more);
        out = out.or(df.push(0, p.src, p.dst, info, p.payload));
    }
    let d2 = out.expect("value");
    let p = decode_transport(d2.protocol, d2.src, d2.dst, None, &d2.payload).expect("value");
    assert_eq!(p.src, IpAddr::V6(Ipv6Addr::LOCALHOST));
    assert_eq!(p.payload, &d[8..]);
    // An atomic fragment is a whole packet.
    let frame = ipv6_frame(1, 0, 17, &udp_datagram(10));
    let p = decode_packet(LinkType::RAW, &frame).expect("value");
    assert!(p.fragment.is_none());
}

#[test]
fn reassembled_gre_is_decapsulated() {
    // GRE (IPv4 inside) carrying a UDP SIP packet, fragmented on the outer IP.
    let inner = ipv4_frame(9, 0, 17, &udp_datagram(1800));
    let mut gre = vec![0, 0, 0x08, 0x00];
    gre.extend_from_slice(&inner);
    let mut df = Defragmenter::default();
    let mut out = None;
    for (off, more, chunk) in split(&gre, 1480) {
        let frag = (off / 8) as u16 | if more { 0x2000 } else { 0 };
        let frame = ipv4_frame(0x52fe, frag, 47, chunk);
        let p = decode_packet(LinkType::RAW, &frame).expect("value");
        out = out.or(df.push(0, p.src, p.dst, p.fragment.expect("value"), p.payload));
    }
    let d = out.expect("value");
    assert_eq!(d.protocol, 47);
    let p = decode_transport(d.protocol, d.src, d.dst, None, &d.payload).expect("value");
    assert!(matches!(p.transport, TransportHeader::Udp { .. }));
    assert!(p.payload.starts_with(b"OPTIONS sip:x"));
}
