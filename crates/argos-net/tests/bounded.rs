//! Memory stays bounded under floods that never complete: unmatched IP fragments and
//! half-open TCP streams (a scanner, a broken mirror port, or an attack on the probe).
//! The limits hold whatever the input, and everything thrown away is counted.

use argos_net::{
    DefragLimits, Defragmenter, FragmentInfo, ReassemblyLimits, SipTcpReassembler, TcpMessage,
};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

fn ip(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (n & 0x00ff_ffff)))
}

#[test]
fn a_flood_of_unmatched_fragments_stays_within_the_limits() {
    let limits = DefragLimits::default();
    let mut d = Defragmenter::new(limits);
    let payload = [0x55u8; 1480];
    let mut max_bytes = 0;
    let mut max_pending = 0;
    // 30,000 first fragments (far more than the 4,096 pending datagrams and 16 MiB allowed) that never get their rest, each claiming a different datagram,
    // half of them at the far end of a 64 KiB datagram (the worst case for a buffer that
    // grows to the fragment's end), all within the 30-s timeout.
    for i in 0..30_000u32 {
        let info = FragmentInfo {
            id: i,
            offset: if i % 2 == 0 { 0 } else { 64_000 },
            more: true,
            protocol: 17,
            v6: i % 3 == 0,
        };
        let data = if i % 2 == 0 {
            &payload[..]
        } else {
            &payload[..1000]
        };
        assert!(d.push(i64::from(i), ip(i), ip(i + 1), info, data).is_none());
        max_bytes = max_bytes.max(d.pending_bytes());
        max_pending = max_pending.max(d.pending());
    }
    assert!(
        max_bytes <= limits.max_total_bytes,
        "{max_bytes} bytes held"
    );
    assert!(
        max_pending <= limits.max_pending,
        "{max_pending} datagrams held"
    );
    let st = d.stats();
    assert_eq!(st.fragments, 30_000);
    assert_eq!(st.reassembled, 0);
    // Every datagram pushed out to make room is counted.
    assert_eq!(
        st.dropped_limit + st.expired + d.pending() as u64,
        30_000,
        "{st:?}"
    );
    // Time passes: whatever is left expires and is counted.
    d.expire(1_000_000_000);
    assert_eq!(d.pending(), 0);
    assert_eq!(d.pending_bytes(), 0);
    assert_eq!(d.stats().dropped_limit + d.stats().expired, 30_000);
}

#[test]
fn a_flood_of_half_open_tcp_streams_stays_within_the_limits() {
    let limits = ReassemblyLimits::default();
    let mut r = SipTcpReassembler::new(limits).with_websocket(true);
    let mut out: Vec<TcpMessage> = Vec::new();
    // A request head that promises a body that never comes keeps each stream open.
    let head = b"INVITE sip:x@y SIP/2.0\r\nCall-ID: half\r\nContent-Length: 100000\r\n\r\nv=0\r\n";
    let dst = SocketAddr::new(ip(1), 5060);
    let mut max_flows = 0;
    let mut partial = 0;
    for i in 0..100_000u32 {
        let src = SocketAddr::new(ip(i + 2), 1024 + (i % 60_000) as u16);
        r.push(i64::from(i) * 10, src, dst, 1000, head, &mut out);
        // A second segment far ahead of the first (a gap that is never filled).
        r.push(
            i64::from(i) * 10 + 1,
            src,
            dst,
            900_000,
            &[b'x'; 1400],
            &mut out,
        );
        max_flows = max_flows.max(r.stats().flows);
        // An evicted stream hands out its partial message (counted), never a whole one.
        partial += out.len();
        out.clear();
    }
    assert!(max_flows <= limits.max_flows, "{max_flows} flows held");
    let st = r.stats();
    assert_eq!(
        st.evicted_flows,
        100_000 - limits.max_flows as u64,
        "{st:?}"
    );
    assert_eq!(st.messages, 0, "{st:?}");
    assert_eq!(partial as u64, st.partial_messages, "{st:?}");
    // One stream whose header never ends is cut at the per-flow limit and counted.
    let src = SocketAddr::new(ip(999_999), 40_000);
    let mut seq = 1u32;
    let start = b"INVITE sip:x@y SIP/2.0\r\nX-Endless: ";
    r.push(0, src, dst, seq, start, &mut out);
    seq = seq.wrapping_add(start.len() as u32);
    let chunk = [b'y'; 1400];
    for _ in 0..(limits.max_bytes_per_flow / chunk.len() + 100) {
        r.push(1, src, dst, seq, &chunk, &mut out);
        seq = seq.wrapping_add(chunk.len() as u32);
    }
    assert!(r.stats().overflow_drops > 0, "{:?}", r.stats());
    r.flush_all(&mut out);
    assert_eq!(r.stats().flows, 0);
}
