//! Capture files → [`Capture`]s: the wire side of `argos import` and `argos gen`.
//!
//! SIP is taken from UDP datagrams that look like SIP and from TCP streams put back
//! together by [`argos_net::SipTcpReassembler`] (which also deframes SIP over WebSocket,
//! stored as [`Transport::Ws`]), and from SCTP DATA chunks (one SIP message per chunk,
//! fragmented chunks joined by [`SctpReassembler`]). HEP copies seen on the wire (a collector
//! port in the capture) are skipped by default, because the same messages are usually on
//! the wire too; `unwrap_hep` imports their contents instead.
//!
//! IPv4 and IPv6 fragments are put back together by [`argos_net::Defragmenter`] (default
//! limits: 64 KiB per datagram, 16 MiB and 4096 datagrams pending, 30 s of capture time);
//! a completed datagram is decoded with [`argos_net::decode_transport`] (tunnels included)
//! and handled like any other packet at the time of its last fragment.

use argos_model::{Capture, PayloadKind, Transport};
use argos_net::{
    decode_packet, decode_transport, sctp_data_chunks, CaptureReader, Defragmenter,
    ReassemblyLimits, SctpData, SipTcpReassembler, TcpMessage, TransportHeader,
};
use bytes::Bytes;
use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;

/// The SYN bit of the TCP flags byte.
const TCP_SYN: u8 = 0x02;

/// What a capture file held, by outcome.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportCounts {
    pub frames: u64,
    pub sip_udp: u64,
    pub sip_tcp: u64,
    /// SIP messages from SCTP DATA chunks.
    pub sip_sctp: u64,
    pub hep_unwrapped: u64,
    pub skipped_hep: u64,
    pub skipped_not_sip: u64,
    /// IP fragments that ended up in no complete datagram (expired, dropped, or still
    /// incomplete at the end of the file).
    pub skipped_fragment: u64,
    /// IP fragments read (each is also counted in `frames`).
    pub ip_fragments: u64,
    /// Datagrams put back together from IP fragments.
    pub ip_reassembled: u64,
    /// Fragmented datagrams dropped incomplete: timed out or left at the end of the file.
    pub ip_frag_expired: u64,
    /// Fragmented datagrams dropped over a limit (size, pending count, pending bytes) or
    /// for inconsistent fragments.
    pub ip_frag_dropped: u64,
    pub skipped_undecodable: u64,
    /// A truncated or corrupt end of file; frames before it were kept.
    pub file_errors: u64,
}

impl ImportCounts {
    pub fn add(&mut self, o: &ImportCounts) {
        self.frames += o.frames;
        self.sip_udp += o.sip_udp;
        self.sip_tcp += o.sip_tcp;
        self.sip_sctp += o.sip_sctp;
        self.hep_unwrapped += o.hep_unwrapped;
        self.skipped_hep += o.skipped_hep;
        self.skipped_not_sip += o.skipped_not_sip;
        self.skipped_fragment += o.skipped_fragment;
        self.ip_fragments += o.ip_fragments;
        self.ip_reassembled += o.ip_reassembled;
        self.ip_frag_expired += o.ip_frag_expired;
        self.ip_frag_dropped += o.ip_frag_dropped;
        self.skipped_undecodable += o.skipped_undecodable;
        self.file_errors += o.file_errors;
    }

    pub fn messages(&self) -> u64 {
        self.sip_udp + self.sip_tcp + self.sip_sctp + self.hep_unwrapped
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
    let mut tcp = SipTcpReassembler::new(ReassemblyLimits::default()).with_websocket(true);
    let mut n = ImportCounts::default();
    let mut tcp_out: Vec<TcpMessage> = Vec::new();
    let mut sctp = SctpReassembler::new(ReassemblyLimits::default());
    let mut defrag = Defragmenter::default();
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
        let mut ts = frame.ts_us;
        let pkt = match decode_packet(frame.link_type, frame.data) {
            Ok(p) => p,
            Err(_) => {
                n.skipped_undecodable += 1;
                continue;
            }
        };
        // Holds a reassembled datagram for the packet decoded from it.
        let datagram;
        let pkt = match pkt.fragment {
            None if pkt.ip_fragment => {
                n.skipped_fragment += 1;
                continue;
            }
            None => pkt,
            Some(info) => {
                n.ip_fragments += 1;
                let Some(d) = defrag.push(ts, pkt.src, pkt.dst, info, pkt.payload) else {
                    continue;
                };
                datagram = d;
                ts = datagram.ts_us;
                match decode_transport(
                    datagram.protocol,
                    datagram.src,
                    datagram.dst,
                    pkt.vlan,
                    &datagram.payload,
                ) {
                    Ok(p) if p.ip_fragment => {
                        // A fragment inside a reassembled tunnel: not supported.
                        n.skipped_fragment += 1;
                        continue;
                    }
                    Ok(p) => p,
                    Err(_) => {
                        n.skipped_undecodable += 1;
                        continue;
                    }
                }
            }
        };
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
                flags,
            } => {
                let src = SocketAddr::new(pkt.src, src_port);
                let dst = SocketAddr::new(pkt.dst, dst_port);
                // A SYN starts a new connection on the same addresses and ports (phones
                // reconnect from port 5060 to 5060): its sequence numbers start afresh.
                if flags & TCP_SYN != 0 {
                    tcp.connection_start(src, dst, &mut tcp_out);
                }
                if pkt.payload.is_empty() {
                    for m in tcp_out.drain(..) {
                        n.sip_tcp += 1;
                        go = go && sink(tcp_capture(m));
                    }
                    continue;
                }
                tcp.push(ts, src, dst, seq, pkt.payload, &mut tcp_out);
                for m in tcp_out.drain(..) {
                    n.sip_tcp += 1;
                    go = go && sink(tcp_capture(m));
                }
            }
            TransportHeader::Sctp {
                src_port, dst_port, ..
            } => {
                let src = SocketAddr::new(pkt.src, src_port);
                let dst = SocketAddr::new(pkt.dst, dst_port);
                let mut any = false;
                for chunk in sctp_data_chunks(pkt.payload) {
                    let Some(msg) = sctp.push(src, dst, &chunk) else {
                        continue;
                    };
                    if looks_like_sip(&msg) {
                        any = true;
                        n.sip_sctp += 1;
                        let c = Capture::new(ts, src, dst, Transport::Sctp, PayloadKind::SIP, msg);
                        go = go && sink(c);
                    }
                }
                if !any {
                    n.skipped_not_sip += 1;
                }
            }
            _ => n.skipped_not_sip += 1,
        }
    }
    defrag.clear();
    let st = defrag.stats();
    n.ip_reassembled = st.reassembled;
    n.ip_frag_expired = st.expired;
    n.ip_frag_dropped = st.dropped_limit + st.dropped_invalid;
    n.skipped_fragment += st.fragments_discarded;
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
        if m.websocket {
            Transport::Ws
        } else {
            Transport::Tcp
        },
        PayloadKind::SIP,
        Bytes::from(m.data),
    )
}

/// One direction of an SCTP association and a stream in it.
type SctpKey = (SocketAddr, SocketAddr, u16);

/// Joins fragmented SCTP user messages (DATA chunks with B/E flags, consecutive TSNs on
/// one stream), bounded like the TCP reassembler: at most `max_flows` partial messages
/// of at most `max_bytes_per_flow` bytes each.
pub struct SctpReassembler {
    limits: ReassemblyLimits,
    /// (src, dst, stream) → (next TSN, bytes so far, insertion order).
    partial: HashMap<SctpKey, (u32, Vec<u8>, u64)>,
    order: u64,
}

impl SctpReassembler {
    pub fn new(limits: ReassemblyLimits) -> Self {
        SctpReassembler {
            limits,
            partial: HashMap::new(),
            order: 0,
        }
    }

    /// Feeds one DATA chunk; returns a complete user message.
    pub fn push(&mut self, src: SocketAddr, dst: SocketAddr, c: &SctpData<'_>) -> Option<Bytes> {
        let (b, e) = (c.flags & 0x02 != 0, c.flags & 0x01 != 0);
        let key = (src, dst, c.stream_id);
        if b && e {
            return Some(Bytes::copy_from_slice(c.data));
        }
        if b {
            if c.data.len() > self.limits.max_bytes_per_flow {
                self.partial.remove(&key);
                return None;
            }
            if !self.partial.contains_key(&key)
                && self.partial.len() >= self.limits.max_flows.max(1)
            {
                if let Some(k) = self
                    .partial
                    .iter()
                    .min_by_key(|(_, v)| v.2)
                    .map(|(k, _)| *k)
                {
                    self.partial.remove(&k);
                }
            }
            self.order += 1;
            self.partial
                .insert(key, (c.tsn.wrapping_add(1), c.data.to_vec(), self.order));
            return None;
        }
        let (next, buf, _) = self.partial.get_mut(&key)?;
        if c.tsn != *next || buf.len() + c.data.len() > self.limits.max_bytes_per_flow {
            self.partial.remove(&key);
            return None;
        }
        buf.extend_from_slice(c.data);
        *next = next.wrapping_add(1);
        if e {
            return self.partial.remove(&key).map(|(_, v, _)| Bytes::from(v));
        }
        None
    }
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

    /// Raw IPv4 frames of one UDP datagram fragmented into `size`-byte pieces.
    fn ipv4_fragments(id: u16, udp: &[u8], size: usize) -> Vec<Vec<u8>> {
        let n = udp.len().div_ceil(size);
        udp.chunks(size)
            .enumerate()
            .map(|(i, c)| {
                let frag = ((i * size / 8) as u16) | if i + 1 < n { 0x2000 } else { 0 };
                let mut f = vec![0x45, 0];
                f.extend_from_slice(&((20 + c.len()) as u16).to_be_bytes());
                f.extend_from_slice(&id.to_be_bytes());
                f.extend_from_slice(&frag.to_be_bytes());
                f.extend_from_slice(&[64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
                f.extend_from_slice(c);
                f
            })
            .collect()
    }

    #[test]
    fn fragmented_udp_sip_is_reassembled() {
        let mut sip = b"INVITE sip:a@b SIP/2.0\r\nCall-ID: frag\r\n".to_vec();
        sip.resize(3000, b'x');
        let mut udp = Vec::new();
        for v in [5060u16, 5060, (sip.len() + 8) as u16, 0] {
            udp.extend_from_slice(&v.to_be_bytes());
        }
        udp.extend_from_slice(&sip);
        let mut w =
            argos_net::PcapWriter::new(Vec::new(), argos_net::LinkType::RAW).expect("writer");
        let mut frags = ipv4_fragments(7, &udp, 1480);
        frags.swap(0, 2);
        for (i, f) in frags.iter().enumerate() {
            w.write_frame(1_000_000 + i as i64, f).expect("write");
        }
        // A datagram whose last fragment never comes, and one far too late.
        let lost = ipv4_fragments(8, &udp, 1480);
        w.write_frame(2_000_000, &lost[0]).expect("write");
        w.write_frame(40_000_000, &lost[1]).expect("write");
        let file = w.into_inner().expect("pcap");
        let mut got = Vec::new();
        let n = read_captures(&file[..], false, |c| {
            got.push(c);
            true
        })
        .expect("read");
        assert_eq!(got.len(), 1);
        assert_eq!(&got[0].payload[..], &sip[..]);
        assert_eq!(got[0].ts_us, 1_000_002);
        assert_eq!(n.sip_udp, 1);
        assert_eq!(n.ip_fragments, 5);
        assert_eq!(n.ip_reassembled, 1);
        assert_eq!(n.ip_frag_expired, 2);
        assert_eq!(n.skipped_fragment, 2);
    }

    fn chunk(tsn: u32, stream_id: u16, flags: u8, data: &[u8]) -> SctpData<'_> {
        SctpData {
            tsn,
            stream_id,
            stream_seq: 0,
            ppid: 0,
            flags,
            data,
        }
    }

    #[test]
    fn sctp_fragments_are_joined() {
        let a: SocketAddr = ([10, 0, 0, 1], 5060).into();
        let b: SocketAddr = ([10, 0, 0, 2], 5060).into();
        let mut r = SctpReassembler::new(ReassemblyLimits {
            max_flows: 2,
            max_bytes_per_flow: 16,
            idle_timeout_us: 0,
        });
        assert_eq!(
            r.push(a, b, &chunk(1, 0, 3, b"whole")).as_deref(),
            Some(&b"whole"[..])
        );
        assert_eq!(r.push(a, b, &chunk(5, 0, 2, b"ab")), None);
        assert_eq!(r.push(a, b, &chunk(6, 0, 0, b"cd")), None);
        assert_eq!(
            r.push(a, b, &chunk(7, 0, 1, b"ef")).as_deref(),
            Some(&b"abcdef"[..])
        );
        // A gap in TSNs, an end without a beginning, and a message over the limit.
        assert_eq!(r.push(a, b, &chunk(10, 1, 2, b"ab")), None);
        assert_eq!(r.push(a, b, &chunk(12, 1, 1, b"cd")), None);
        assert_eq!(r.push(a, b, &chunk(13, 1, 1, b"cd")), None);
        assert_eq!(r.push(a, b, &chunk(20, 2, 2, &[b'x'; 10])), None);
        assert_eq!(r.push(a, b, &chunk(21, 2, 1, &[b'x'; 10])), None);
        // Partial messages are bounded by max_flows.
        for s in 0..10 {
            assert_eq!(r.push(a, b, &chunk(30, s, 2, b"a")), None);
        }
        assert!(r.partial.len() <= 2);
    }
}
