//! Building synthetic Ethernet frames around captured payloads (pcap export).

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// Transport to wrap a payload in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameProto {
    Udp,
    /// TCP with the given sequence number (flags PSH|ACK, ack 0, window 65535).
    Tcp {
        seq: u32,
    },
}

/// Largest UDP payload in one IPv4 datagram (65535 − 20 − 8).
pub const MAX_UDP_PAYLOAD_V4: usize = 65_507;
/// Largest UDP payload in one IPv6 packet without a jumbogram (65535 − 8).
pub const MAX_UDP_PAYLOAD_V6: usize = 65_527;
/// Largest TCP payload in one IPv4 datagram (65535 − 20 − 20).
pub const MAX_TCP_PAYLOAD_V4: usize = 65_495;
/// Largest TCP payload in one IPv6 packet (65535 − 20).
pub const MAX_TCP_PAYLOAD_V6: usize = 65_515;

const SRC_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const DST_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

/// The largest payload [`build_frame`] puts in one frame for these endpoints.
pub fn max_payload(src: SocketAddr, dst: SocketAddr, proto: FrameProto) -> usize {
    let v4 = src.is_ipv4() && dst.is_ipv4();
    match (proto, v4) {
        (FrameProto::Udp, true) => MAX_UDP_PAYLOAD_V4,
        (FrameProto::Udp, false) => MAX_UDP_PAYLOAD_V6,
        (FrameProto::Tcp { .. }, true) => MAX_TCP_PAYLOAD_V4,
        (FrameProto::Tcp { .. }, false) => MAX_TCP_PAYLOAD_V6,
    }
}

/// Builds one Ethernet frame (link type [`LinkType::ETHERNET`](crate::LinkType::ETHERNET))
/// carrying `payload` from `src` to `dst` into `out` (cleared first).
///
/// IPv4 when both addresses are IPv4, otherwise IPv6 with IPv4 addresses mapped
/// (`::ffff:a.b.c.d`). IPv4 header checksum and UDP/TCP checksums are valid; IPv4 has
/// DF set, id 0, TTL 64. Fixed locally administered MACs 02:00:00:00:00:01 → :02.
///
/// A payload larger than one IP datagram can carry ([`max_payload`]) is
/// **truncated** to that size. For TCP use [`build_frames`], which splits it into
/// several segments instead; for UDP truncation is the only option (a real sender
/// could not have sent it either).
pub fn build_frame(
    src: SocketAddr,
    dst: SocketAddr,
    proto: FrameProto,
    payload: &[u8],
    out: &mut Vec<u8>,
) {
    out.clear();
    let payload = &payload[..payload.len().min(max_payload(src, dst, proto))];
    let (ip_proto, l4_len) = match proto {
        FrameProto::Udp => (17u8, 8 + payload.len()),
        FrameProto::Tcp { .. } => (6u8, 20 + payload.len()),
    };
    out.reserve(14 + 40 + l4_len);
    out.extend_from_slice(&DST_MAC);
    out.extend_from_slice(&SRC_MAC);
    // Pseudo-header sum for the transport checksum.
    let pseudo = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            out.extend_from_slice(&0x0800u16.to_be_bytes());
            let ip_start = out.len();
            let total = (20 + l4_len) as u16;
            out.extend_from_slice(&[0x45, 0]);
            out.extend_from_slice(&total.to_be_bytes());
            out.extend_from_slice(&[0, 0, 0x40, 0, 64, ip_proto, 0, 0]);
            out.extend_from_slice(&s.octets());
            out.extend_from_slice(&d.octets());
            let ck = checksum(0, &out[ip_start..ip_start + 20]);
            out[ip_start + 10..ip_start + 12].copy_from_slice(&ck.to_be_bytes());
            sum(sum(0, &s.octets()), &d.octets()) + u32::from(ip_proto) + l4_len as u32
        }
        (s, d) => {
            let s = v6(s);
            let d = v6(d);
            out.extend_from_slice(&0x86DDu16.to_be_bytes());
            out.extend_from_slice(&[0x60, 0, 0, 0]);
            out.extend_from_slice(&(l4_len as u16).to_be_bytes());
            out.extend_from_slice(&[ip_proto, 64]);
            out.extend_from_slice(&s.octets());
            out.extend_from_slice(&d.octets());
            sum(sum(0, &s.octets()), &d.octets()) + u32::from(ip_proto) + l4_len as u32
        }
    };
    let l4_start = out.len();
    out.extend_from_slice(&src.port().to_be_bytes());
    out.extend_from_slice(&dst.port().to_be_bytes());
    let ck_at = match proto {
        FrameProto::Udp => {
            out.extend_from_slice(&(l4_len as u16).to_be_bytes());
            out.extend_from_slice(&[0, 0]);
            l4_start + 6
        }
        FrameProto::Tcp { seq } => {
            out.extend_from_slice(&seq.to_be_bytes());
            out.extend_from_slice(&0u32.to_be_bytes());
            // Data offset 5, flags PSH|ACK, window 65535, checksum, urgent pointer.
            out.extend_from_slice(&[0x50, 0x18, 0xFF, 0xFF, 0, 0, 0, 0]);
            l4_start + 16
        }
    };
    out.extend_from_slice(payload);
    let mut ck = checksum(pseudo, &out[l4_start..]);
    if ck == 0 && proto == FrameProto::Udp {
        ck = 0xFFFF;
    }
    out[ck_at..ck_at + 2].copy_from_slice(&ck.to_be_bytes());
}

/// Like [`build_frame`], but a TCP payload too large for one segment is split into
/// several frames with advancing sequence numbers (a UDP payload is still truncated).
/// Always returns at least one frame.
pub fn build_frames(
    src: SocketAddr,
    dst: SocketAddr,
    proto: FrameProto,
    payload: &[u8],
) -> Vec<Vec<u8>> {
    let max = max_payload(src, dst, proto);
    match proto {
        FrameProto::Tcp { seq } if payload.len() > max => {
            let mut frames = Vec::with_capacity(payload.len().div_ceil(max));
            let mut seq = seq;
            for chunk in payload.chunks(max) {
                let mut f = Vec::new();
                build_frame(src, dst, FrameProto::Tcp { seq }, chunk, &mut f);
                seq = seq.wrapping_add(chunk.len() as u32);
                frames.push(f);
            }
            frames
        }
        _ => {
            let mut f = Vec::new();
            build_frame(src, dst, proto, payload, &mut f);
            vec![f]
        }
    }
}

fn v6(a: IpAddr) -> Ipv6Addr {
    match a {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    }
}

/// One's-complement sum of 16-bit big-endian words (odd length padded with zero).
fn sum(mut acc: u32, data: &[u8]) -> u32 {
    let mut it = data.chunks_exact(2);
    for w in &mut it {
        acc += u32::from(u16::from_be_bytes([w[0], w[1]]));
        acc = (acc & 0xFFFF) + (acc >> 16);
    }
    if let [b] = it.remainder() {
        acc += u32::from(*b) << 8;
    }
    acc
}

/// Internet checksum of `data` with an initial (pseudo-header) sum.
pub(crate) fn checksum(initial: u32, data: &[u8]) -> u16 {
    let mut acc = sum(initial, data);
    while acc > 0xFFFF {
        acc = (acc & 0xFFFF) + (acc >> 16);
    }
    !(acc as u16)
}
