#![no_main]
// The SIP TCP reassembler (with WebSocket deframing) driven by arbitrary segment
// sequences: each op is [flow][seq delta hi][seq delta lo][len] + len bytes. flow: bits
// 0..2 pick one of 8 address pairs, bit 3 = SYN (a new connection on the pair), bit 4 =
// flush idle flows, bits 5..7 = time step. The delta is signed, so segments arrive out of
// order, overlap and repeat. Small limits; they must hold after every segment.
use argos_net::{ReassemblyLimits, SipTcpReassembler, TcpMessage};
use std::net::SocketAddr;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let limits = ReassemblyLimits {
        max_flows: 4,
        max_bytes_per_flow: 2048,
        idle_timeout_us: 500,
    };
    let mut r = SipTcpReassembler::new(limits).with_websocket(true);
    let mut out: Vec<TcpMessage> = Vec::new();
    let mut seq = [0u32; 8];
    let mut ts = 0i64;
    let mut rest = data;
    while let [flow, hi, lo, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (payload, next) = tail.split_at(n);
        rest = next;
        ts += i64::from(flow >> 5) * 100;
        let i = usize::from(flow & 7);
        let src = SocketAddr::from(([10, 0, 0, 1 + (i as u8 & 3)], 5060));
        let dst = SocketAddr::from(([10, 0, 1, 1], 5060 + (i as u16 >> 2)));
        if flow & 8 != 0 {
            r.connection_start(src, dst, &mut out);
        }
        if flow & 16 != 0 {
            r.flush_idle(ts, &mut out);
        }
        let delta = i16::from_be_bytes([*hi, *lo]);
        seq[i] = seq[i].wrapping_add_signed(i32::from(delta));
        r.push(ts, src, dst, seq[i], payload, &mut out);
        assert!(r.stats().flows <= limits.max_flows);
        out.clear();
    }
    r.flush_all(&mut out);
    assert_eq!(r.stats().flows, 0);
});
