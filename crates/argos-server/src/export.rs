//! Stored messages → a pcap file Wireshark opens: each message rebuilt as an
//! Ethernet/IP/UDP or TCP frame from its stored addresses, in stored order.

use argos_model::{Capture, StoredMessage, Transport};
use argos_net::{build_frames, FrameProto, LinkType, PcapWriter};
use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;

/// Streams captures into a classic pcap. TCP messages get per-direction sequence numbers
/// that advance by each payload, so dissectors see one well-formed stream; a TCP message
/// larger than one segment becomes several segments.
pub struct PcapExporter<W: Write> {
    w: PcapWriter<W>,
    seqs: HashMap<(SocketAddr, SocketAddr), u32>,
    frames: u64,
}

impl<W: Write> PcapExporter<W> {
    pub fn new(out: W) -> std::io::Result<Self> {
        Ok(PcapExporter {
            w: PcapWriter::new(out, LinkType::ETHERNET)?,
            seqs: HashMap::new(),
            frames: 0,
        })
    }

    /// Appends one message as one or more frames.
    pub fn write(&mut self, c: &Capture) -> std::io::Result<()> {
        let proto = match c.transport {
            Transport::Tcp | Transport::Tls | Transport::Ws => {
                let seq = self.seqs.entry((c.src, c.dst)).or_insert(1);
                let p = FrameProto::Tcp { seq: *seq };
                *seq = seq.wrapping_add(c.payload.len() as u32);
                p
            }
            _ => FrameProto::Udp,
        };
        for frame in build_frames(c.src, c.dst, proto, &c.payload) {
            self.w.write_frame(c.ts_us, &frame)?;
            self.frames += 1;
        }
        Ok(())
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    pub fn into_inner(self) -> std::io::Result<W> {
        self.w.into_inner()
    }
}

/// Writes `msgs` as a classic pcap in memory (a call's download).
pub fn pcap_of(msgs: &[StoredMessage]) -> std::io::Result<Vec<u8>> {
    let mut p = PcapExporter::new(Vec::with_capacity(msgs.len() * 900))?;
    for m in msgs {
        p.write(&m.record.capture)?;
    }
    p.into_inner()
}
