//! Packet and capture-file decoding/encoding for Argos. No network I/O.
//!
//! * [`CaptureReader`]: streaming pcap / pcapng reader (format auto-detected, both
//!   byte orders, µs/ns pcap, pcapng with several interfaces and `if_tsresol`).
//! * [`decode_packet`]: zero-copy link → IP → UDP/TCP/SCTP decoding, unwrapping
//!   tunnels (IP-in-IP, GRE, ERSPAN I/II/III, VXLAN, Geneve, TZSP) to the
//!   innermost packet.
//! * [`SipTcpReassembler`]: turns TCP segments into complete SIP messages.
//! * [`PcapWriter`] + [`build_frame`] / [`build_frames`]: pcap export of captured
//!   messages with synthetic, checksum-valid Ethernet/IP/UDP/TCP headers.
//!
//! Every decoder is total: arbitrary input yields an error, never a panic, and
//! no length taken from the input allocates more than [`MAX_BLOCK`] bytes.
//!
//! ```
//! use argos_net::{build_frame, decode_packet, CaptureReader, FrameProto, LinkType,
//!                 PcapWriter, TransportHeader};
//!
//! // Write a one-packet pcap in memory ...
//! let src = "10.0.0.1:5060".parse().unwrap();
//! let dst = "10.0.0.2:5060".parse().unwrap();
//! let mut frame = Vec::new();
//! build_frame(src, dst, FrameProto::Udp, b"OPTIONS sip:x SIP/2.0\r\n\r\n", &mut frame);
//! let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET).unwrap();
//! w.write_frame(1_700_000_000_123_456, &frame).unwrap();
//! let file = w.into_inner().unwrap();
//!
//! // ... and read it back.
//! let mut r = CaptureReader::new(&file[..]).unwrap();
//! let f = r.next_frame().unwrap().unwrap();
//! assert_eq!(f.ts_us, 1_700_000_000_123_456);
//! let p = decode_packet(f.link_type, f.data).unwrap();
//! assert_eq!(p.transport, TransportHeader::Udp { src_port: 5060, dst_port: 5060 });
//! assert!(p.payload.starts_with(b"OPTIONS"));
//! assert!(r.next_frame().is_none());
//! ```

mod capture;
mod cursor;
mod defrag;
mod error;
mod frame;
mod packet;
mod tcp;
pub mod tls;
mod tunnel;
pub mod websocket;

pub use capture::{
    CaptureFormat, CaptureReader, Frame, LinkType, PcapWriter, MAX_BLOCK, MAX_FRAME,
};
pub use defrag::{Datagram, DefragLimits, DefragStats, Defragmenter};
pub use error::{CaptureError, PacketError};
pub use frame::{
    build_frame, build_frames, max_payload, FrameProto, MAX_TCP_PAYLOAD_V4, MAX_TCP_PAYLOAD_V6,
    MAX_UDP_PAYLOAD_V4, MAX_UDP_PAYLOAD_V6,
};
pub use packet::{
    decode_packet, decode_transport, sctp_data_chunks, tcp_flags, FragmentInfo, Packet, SctpData,
    SctpDataChunks, TransportHeader,
};
pub use tcp::{ReassemblyLimits, ReassemblyStats, SipTcpReassembler, TcpMessage};
pub use tls::{KeyLog, KeyLogError, TlsStats};

/// Entry points shared by the cargo-fuzz targets and the in-crate robustness tests.
#[doc(hidden)]
pub mod fuzzing {
    use super::*;
    use std::net::SocketAddr;

    /// Reads every frame of `data` as a capture file and decodes each one.
    pub fn capture(data: &[u8]) {
        let Ok(mut r) = CaptureReader::new(data) else {
            return;
        };
        let mut n = 0usize;
        while let Some(f) = r.next_frame() {
            if let Ok(f) = f {
                let _ = decode_packet(f.link_type, f.data);
            }
            n += 1;
            if n > 1_000_000 {
                break;
            }
        }
    }

    /// Decodes `data` under every supported link type and feeds TCP payloads (and
    /// `data` itself, as split segments) to a small reassembler.
    pub fn packet(data: &[u8]) {
        let mut re = SipTcpReassembler::new(ReassemblyLimits {
            max_flows: 4,
            max_bytes_per_flow: 4096,
            idle_timeout_us: 10,
        })
        .with_websocket(true);
        let mut defrag = Defragmenter::new(DefragLimits::default());
        let mut out = Vec::new();
        for lt in [0u16, 1, 101, 108, 113, 228, 229, 276] {
            if let Ok(p) = decode_packet(LinkType(lt), data) {
                // Fragments go to a defragmenter (each twice, a duplicate); a datagram
                // that completes is decoded like a packet.
                if let Some(info) = p.fragment {
                    for ts in [0, 1] {
                        if let Some(d) = defrag.push(ts, p.src, p.dst, info, p.payload) {
                            let _ = decode_transport(d.protocol, d.src, d.dst, None, &d.payload);
                        }
                    }
                }
                if let TransportHeader::Tcp {
                    src_port,
                    dst_port,
                    seq,
                    ..
                } = p.transport
                {
                    re.push(
                        0,
                        SocketAddr::new(p.src, src_port),
                        SocketAddr::new(p.dst, dst_port),
                        seq,
                        p.payload,
                        &mut out,
                    );
                }
                for c in sctp_data_chunks(p.payload) {
                    let _ = c.data.len();
                }
            }
        }
        let a: SocketAddr = ([10, 0, 0, 1], 5060).into();
        let b: SocketAddr = ([10, 0, 0, 2], 5060).into();
        // Segment the input at bytes chosen by the input itself, in a shuffled order.
        let mut seq = 1000u32;
        for (i, chunk) in data.chunks(7).enumerate() {
            let s = if i % 5 == 3 { seq.wrapping_add(7) } else { seq };
            re.push(i as i64, a, b, s, chunk, &mut out);
            seq = seq.wrapping_add(chunk.len() as u32);
        }
        re.flush_idle(1_000, &mut out);
        re.flush_all(&mut out);
    }
}
