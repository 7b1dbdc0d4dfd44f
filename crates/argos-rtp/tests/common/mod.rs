//! Helpers shared by the argos-rtp integration tests: the public captures, tshark (both
//! optional: callers skip with a message when missing) and a UDP frame reader.

#![allow(dead_code)] // each test crate uses only some of these

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use argos_net::{
    decode_packet, CaptureReader, ReassemblyLimits, SipTcpReassembler, TransportHeader,
};

/// `../shared/testdata/captures`, when it exists (otherwise a SKIP message).
pub fn captures_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/captures");
    if d.is_dir() {
        Some(d)
    } else {
        eprintln!("SKIP: {} not found", d.display());
        None
    }
}

/// One capture by file name, when present (otherwise a SKIP message).
pub fn capture(name: &str) -> Option<PathBuf> {
    let p = captures_dir()?.join(name);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("SKIP: {} not found", p.display());
        None
    }
}

/// Whether tshark runs (otherwise a SKIP message).
pub fn have_tshark() -> bool {
    let ok = Command::new("tshark")
        .arg("-v")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("SKIP tshark comparison: tshark not installed");
    }
    ok
}

/// A UDP datagram of a capture, or a SIP message reassembled from TCP (`tcp`).
#[derive(Debug, Clone)]
pub struct Udp {
    pub tcp: bool,
    /// tshark's frame number (1-based, every frame counted).
    pub frame: u64,
    pub ts_us: i64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub payload: Vec<u8>,
}

/// Every UDP datagram (not fragmented) of a capture file, and the SIP messages carried
/// over TCP; plus the frame numbers argos-net could not decode.
pub fn udp_datagrams(path: &Path) -> Vec<Udp> {
    read_capture(path).0
}

/// [`udp_datagrams`] and the numbers of the frames that did not decode.
pub fn read_capture(path: &Path) -> (Vec<Udp>, Vec<u64>) {
    let mut bad = Vec::new();
    let Ok(file) = std::fs::File::open(path) else {
        return (Vec::new(), bad);
    };
    let Ok(mut r) = CaptureReader::new(file) else {
        return (Vec::new(), bad);
    };
    let mut tcp = SipTcpReassembler::new(ReassemblyLimits::default());
    let mut msgs = Vec::new();
    let mut out = Vec::new();
    let mut frame = 0u64;
    while let Some(f) = r.next_frame() {
        let Ok(f) = f else { continue };
        frame += 1;
        let Ok(p) = decode_packet(f.link_type, f.data) else {
            bad.push(frame);
            continue;
        };
        if let TransportHeader::Tcp {
            src_port,
            dst_port,
            seq,
            ..
        } = p.transport
        {
            let (src, dst) = (
                SocketAddr::new(p.src, src_port),
                SocketAddr::new(p.dst, dst_port),
            );
            tcp.push(f.ts_us, src, dst, seq, p.payload, &mut msgs);
            for m in msgs.drain(..) {
                out.push(Udp {
                    tcp: true,
                    frame,
                    ts_us: m.ts_us,
                    src: m.src,
                    dst: m.dst,
                    payload: m.data,
                });
            }
        }
        if let TransportHeader::Udp { src_port, dst_port } = p.transport {
            if p.ip_fragment {
                continue;
            }
            out.push(Udp {
                tcp: false,
                frame,
                ts_us: f.ts_us,
                src: SocketAddr::new(p.src, src_port),
                dst: SocketAddr::new(p.dst, dst_port),
                payload: p.payload.to_vec(),
            });
        }
    }
    (out, bad)
}
