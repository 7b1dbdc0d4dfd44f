#![no_main]
// The IP defragmenter driven by arbitrary fragment sequences: each op is
// [flags][id][offset hi][offset lo][len] + len bytes. flags: bit0 = more fragments,
// bit1 = IPv6, bit2 = another source address, bits 4..7 = time step. Small limits so
// eviction, expiry and overlap paths run; the limits must hold after every push, and a
// completed datagram is decoded like a packet.
use argos_net::{decode_transport, DefragLimits, Defragmenter, FragmentInfo};
use std::net::{IpAddr, Ipv4Addr};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let limits = DefragLimits {
        max_datagram: 4096,
        max_total_bytes: 8192,
        max_pending: 4,
        timeout_us: 1000,
    };
    let mut d = Defragmenter::new(limits);
    let mut ts = 0i64;
    let mut rest = data;
    while let [flags, id, hi, lo, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (payload, next) = tail.split_at(n);
        rest = next;
        ts += i64::from(flags >> 4) * 100;
        let src = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1 + (flags >> 2 & 1)));
        let dst = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9));
        let info = FragmentInfo {
            id: u32::from(*id & 7),
            offset: u32::from(u16::from_be_bytes([*hi, *lo]) & 0x1ff8),
            more: flags & 1 != 0,
            protocol: 17,
            v6: flags & 2 != 0,
        };
        if let Some(dg) = d.push(ts, src, dst, info, payload) {
            assert!(dg.payload.len() <= limits.max_datagram);
            let _ = decode_transport(dg.protocol, dg.src, dg.dst, None, &dg.payload);
        }
        assert!(d.pending_bytes() <= limits.max_total_bytes);
        assert!(d.pending() <= limits.max_pending);
    }
    d.clear();
    assert_eq!(d.pending_bytes(), 0);
});
