//! Capture files → [`Capture`]s: the wire side of `argos import` and `argos gen`.
//!
//! SIP is taken from UDP datagrams that look like SIP and from TCP streams put back
//! together by [`argos_net::SipTcpReassembler`]. HEP copies seen on the wire (a collector
//! port in the capture) are skipped by default, because the same messages are usually on
//! the wire too; `unwrap_hep` imports their contents instead.

use argos_model::{Capture, PayloadKind, Transport};
use argos_net::{
    decode_packet, CaptureReader, ReassemblyLimits, SipTcpReassembler, TcpMessage, TransportHeader,
};
use bytes::Bytes;
use std::io::Read;
use std::net::SocketAddr;

/// What a capture file held, by outcome.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportCounts {
    pub frames: u64,
    pub sip_udp: u64,
    pub sip_tcp: u64,
    pub hep_unwrapped: u64,
    pub skipped_hep: u64,
    pub skipped_not_sip: u64,
    pub skipped_fragment: u64,
    pub skipped_undecodable: u64,
    /// A truncated or corrupt end of file; frames before it were kept.
    pub file_errors: u64,
}

impl ImportCounts {
    pub fn add(&mut self, o: &ImportCounts) {
        self.frames += o.frames;
        self.sip_udp += o.sip_udp;
        self.sip_tcp += o.sip_tcp;
        self.hep_unwrapped += o.hep_unwrapped;
        self.skipped_hep += o.skipped_hep;
        self.skipped_not_sip += o.skipped_not_sip;
        self.skipped_fragment += o.skipped_fragment;
        self.skipped_undecodable += o.skipped_undecodable;
        self.file_errors += o.file_errors;
    }

    pub fn messages(&self) -> u64 {
        self.sip_udp + self.sip_tcp + self.hep_unwrapped
    }
}

/// True when a datagram starts like a SIP request or response (cheap check, no parse).
pub fn looks_like_sip(p: &[u8]) -> bool {
    let p = trim_leading_crlf(p);
    if p.starts_with(b"SIP/2.0 ") {
        return true;
    }
    // "METHOD sip:... SIP/2.0" on the first line: a token, a space, and SIP/2.0 at its end.
    let line_end = memchr::memchr(b'\n', p).unwrap_or(p.len()).min(8192);
    let line = &p[..line_end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Some(sp) = memchr::memchr(b' ', line) else {
        return false;
    };
    sp > 0 && line[..sp].iter().all(|c| c.is_ascii_alphabetic()) && line.ends_with(b" SIP/2.0")
}

fn trim_leading_crlf(mut p: &[u8]) -> &[u8] {
    while let [b'\r' | b'\n', rest @ ..] = p {
        p = rest;
    }
    p
}

fn is_hep(p: &[u8]) -> bool {
    p.starts_with(b"HEP3") || (p.len() >= 4 && matches!(p[0], 1 | 2) && matches!(p[1], 16 | 40))
}

/// Reads every frame of one capture file and hands each SIP message to `sink` as a capture.
/// Stops early (returning what it counted) when `sink` returns false.
pub fn read_captures<R: Read>(
    r: R,
    unwrap_hep: bool,
    mut sink: impl FnMut(Capture) -> bool,
) -> Result<ImportCounts, argos_net::CaptureError> {
    let mut reader = CaptureReader::new(r)?;
    let mut tcp = SipTcpReassembler::new(ReassemblyLimits::default());
    let mut n = ImportCounts::default();
    let mut tcp_out: Vec<TcpMessage> = Vec::new();
    // Decode errors of unwrapped HEP are counted in `n.skipped_undecodable`, not here.
    let hep_metrics = crate::metrics::Metrics::default();
    let mut go = true;
    while go {
        let frame = match reader.next_frame() {
            None => break,
            Some(Ok(f)) => f,
            Some(Err(_)) => {
                n.file_errors += 1;
                break;
            }
        };
        n.frames += 1;
        let ts = frame.ts_us;
        let pkt = match decode_packet(frame.link_type, frame.data) {
            Ok(p) => p,
            Err(_) => {
                n.skipped_undecodable += 1;
                continue;
            }
        };
        if pkt.ip_fragment {
            n.skipped_fragment += 1;
            continue;
        }
        match pkt.transport {
            TransportHeader::Udp { src_port, dst_port } => {
                let src = SocketAddr::new(pkt.src, src_port);
                let dst = SocketAddr::new(pkt.dst, dst_port);
                if looks_like_sip(pkt.payload) {
                    n.sip_udp += 1;
                    let c = Capture::new(
                        ts,
                        src,
                        dst,
                        Transport::Udp,
                        PayloadKind::SIP,
                        Bytes::copy_from_slice(pkt.payload),
                    );
                    go = sink(c);
                } else if is_hep(pkt.payload) {
                    if !unwrap_hep {
                        n.skipped_hep += 1;
                        continue;
                    }
                    let frame = Bytes::copy_from_slice(pkt.payload);
                    match crate::hep_input::capture_from_frame(&frame, None, &hep_metrics) {
                        Some(c) => {
                            n.hep_unwrapped += 1;
                            go = sink(c);
                        }
                        None => n.skipped_undecodable += 1,
                    }
                } else {
                    n.skipped_not_sip += 1;
                }
            }
            TransportHeader::Tcp {
                src_port,
                dst_port,
                seq,
                ..
            } => {
                if pkt.payload.is_empty() {
                    continue;
                }
                let src = SocketAddr::new(pkt.src, src_port);
                let dst = SocketAddr::new(pkt.dst, dst_port);
                tcp.push(ts, src, dst, seq, pkt.payload, &mut tcp_out);
                for m in tcp_out.drain(..) {
                    n.sip_tcp += 1;
                    go = go && sink(tcp_capture(m));
                }
            }
            _ => n.skipped_not_sip += 1,
        }
    }
    tcp.flush_all(&mut tcp_out);
    for m in tcp_out.drain(..) {
        n.sip_tcp += 1;
        if !sink(tcp_capture(m)) {
            break;
        }
    }
    Ok(n)
}

fn tcp_capture(m: TcpMessage) -> Capture {
    Capture::new(
        m.ts_us,
        m.src,
        m.dst,
        Transport::Tcp,
        PayloadKind::SIP,
        Bytes::from(m.data),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_sniffing() {
        assert!(looks_like_sip(b"INVITE sip:a@b SIP/2.0\r\n"));
        assert!(looks_like_sip(b"\r\nSIP/2.0 200 OK\r\n"));
        assert!(!looks_like_sip(b"\x80\x00\x01\x02rtp"));
        assert!(!looks_like_sip(b"GET / HTTP/1.1\r\n"));
        assert!(!looks_like_sip(b""));
    }
}
