//! Stored messages → a pcap file Wireshark opens: each message rebuilt as an
//! Ethernet/IP/UDP or TCP frame from its stored addresses, in stored order.

use argos_model::{StoredMessage, Transport};
use argos_net::{build_frames, FrameProto, LinkType, PcapWriter};
use std::collections::HashMap;
use std::net::SocketAddr;

/// Writes `msgs` as a classic pcap. TCP messages get per-direction sequence numbers that
/// advance by each payload, so dissectors see one well-formed stream.
pub fn pcap_of(msgs: &[StoredMessage]) -> std::io::Result<Vec<u8>> {
    let mut w = PcapWriter::new(Vec::with_capacity(msgs.len() * 900), LinkType::ETHERNET)?;
    let mut seqs: HashMap<(SocketAddr, SocketAddr), u32> = HashMap::new();
    for m in msgs {
        let c = &m.record.capture;
        let proto = match c.transport {
            Transport::Tcp | Transport::Tls | Transport::Ws => {
                let seq = seqs.entry((c.src, c.dst)).or_insert(1);
                let p = FrameProto::Tcp { seq: *seq };
                *seq = seq.wrapping_add(c.payload.len() as u32);
                p
            }
            _ => FrameProto::Udp,
        };
        // A TCP message larger than one segment becomes several segments.
        for frame in build_frames(c.src, c.dst, proto, &c.payload) {
            w.write_frame(c.ts_us, &frame)?;
        }
    }
    w.into_inner()
}
