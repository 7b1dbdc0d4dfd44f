//! [`FrameProcessor`]: one frame at a time in, SIP messages out.

use crate::media::MediaStage;
use crate::{capture_from_hep, is_hep, looks_like_sip, SctpReassembler, WireCounts};
use argos_model::{Capture, PayloadKind, Transport};
use argos_net::{
    decode_packet, decode_transport, sctp_data_chunks, Defragmenter, KeyLog, LinkType, Packet,
    ReassemblyLimits, SipTcpReassembler, TcpMessage, TransportHeader,
};
use bytes::Bytes;
use std::net::SocketAddr;
use std::sync::Arc;

/// The SYN bit of the TCP flags byte.
const TCP_SYN: u8 = 0x02;

/// What a [`FrameProcessor`] extracts.
#[derive(Debug, Clone, Default)]
pub struct WireOptions {
    /// Hand out the contents of HEP packets seen on the wire (a collector port in the
    /// capture) instead of skipping them: skipped by default, because the same messages are
    /// usually on the wire too.
    pub unwrap_hep: bool,
    /// Decrypt SIP over TLS with the secrets of this key log (NSS SSLKEYLOGFILE format);
    /// without it, TLS streams are not SIP and are skipped.
    pub tls_keylog: Option<Arc<KeyLog>>,
    /// Hand out RTCP as HEP proto-5 JSON captures, correlated to the Call-ID of the SDP
    /// that announced its addresses.
    pub rtcp: bool,
    /// With `rtcp`: also hand out RTCP no SDP announced (without a correlation id).
    pub rtcp_uncorrelated: bool,
    /// Analyse the RTP of media announced in SDP per stream (Wireshark's statistics) and
    /// hand out periodic and final HEP proto-34 JSON reports correlated to the Call-ID.
    pub rtp: bool,
}

/// The stateful packet path: IP defragmentation, TCP/WebSocket and SCTP reassembly. Feed it
/// frames in capture order with [`FrameProcessor::push`], then call
/// [`FrameProcessor::finish`] once to flush what is still held (TCP messages waiting for a
/// segment, fragments that never completed are counted).
///
/// Memory is bounded by the defragmenter's and the reassemblers' limits, whatever the input.
pub struct FrameProcessor {
    opts: WireOptions,
    tcp: SipTcpReassembler,
    tcp_out: Vec<TcpMessage>,
    sctp: SctpReassembler,
    defrag: Defragmenter,
    media: Option<MediaStage>,
    /// Reports the media stage made, waiting for the sink.
    media_out: Vec<Capture>,
    counts: WireCounts,
}

impl FrameProcessor {
    pub fn new(opts: WireOptions) -> Self {
        let mut tcp = SipTcpReassembler::new(ReassemblyLimits::default()).with_websocket(true);
        if let Some(k) = &opts.tls_keylog {
            tcp = tcp.with_tls_keylog(Arc::clone(k));
        }
        FrameProcessor {
            media: (opts.rtcp || opts.rtp)
                .then(|| MediaStage::new(opts.rtcp, opts.rtp, opts.rtcp_uncorrelated)),
            media_out: Vec::new(),
            opts,
            tcp,
            tcp_out: Vec::new(),
            sctp: SctpReassembler::new(ReassemblyLimits::default()),
            defrag: Defragmenter::default(),
            counts: WireCounts::default(),
        }
    }

    /// What the frames so far gave (defragmenter figures are added by [`Self::finish`]).
    pub fn counts(&self) -> &WireCounts {
        &self.counts
    }

    /// Decodes one frame and hands each SIP message it completes to `sink`, in order.
    /// Returns false as soon as `sink` does (the caller wants no more).
    pub fn push(
        &mut self,
        link_type: LinkType,
        ts_us: i64,
        data: &[u8],
        sink: &mut dyn FnMut(Capture) -> bool,
    ) -> bool {
        self.counts.frames += 1;
        let pkt = match decode_packet(link_type, data) {
            Ok(p) => p,
            Err(_) => {
                self.counts.skipped_undecodable += 1;
                return true;
            }
        };
        match pkt.fragment {
            None if pkt.ip_fragment => {
                self.counts.skipped_fragment += 1;
                true
            }
            None => self.transport(ts_us, &pkt, sink),
            Some(info) => {
                self.counts.ip_fragments += 1;
                let Some(d) = self.defrag.push(ts_us, pkt.src, pkt.dst, info, pkt.payload) else {
                    return true;
                };
                // The datagram is handled like any other packet at the time of its last fragment.
                match decode_transport(d.protocol, d.src, d.dst, pkt.vlan, &d.payload) {
                    Ok(p) if p.ip_fragment => {
                        // A fragment inside a reassembled tunnel: not supported.
                        self.counts.skipped_fragment += 1;
                        true
                    }
                    Ok(p) => self.transport(d.ts_us, &p, sink),
                    Err(_) => {
                        self.counts.skipped_undecodable += 1;
                        true
                    }
                }
            }
        }
    }

    fn transport(
        &mut self,
        ts: i64,
        pkt: &Packet<'_>,
        sink: &mut dyn FnMut(Capture) -> bool,
    ) -> bool {
        if let TransportHeader::Udp { src_port, dst_port } = pkt.transport {
            if !looks_like_sip(pkt.payload) {
                let src = SocketAddr::new(pkt.src, src_port);
                let dst = SocketAddr::new(pkt.dst, dst_port);
                if let Some(go) = self.media_datagram(ts, src, dst, pkt.payload, sink) {
                    return go;
                }
            }
        }
        let n = &mut self.counts;
        match pkt.transport {
            TransportHeader::Udp { src_port, dst_port } => {
                let src = SocketAddr::new(pkt.src, src_port);
                let dst = SocketAddr::new(pkt.dst, dst_port);
                if looks_like_sip(pkt.payload) {
                    n.sip_udp += 1;
                    let payload = Bytes::copy_from_slice(pkt.payload);
                    let c = Capture::new(ts, src, dst, Transport::Udp, PayloadKind::SIP, payload);
                    if let Some(r) = &mut self.media {
                        r.observe_sip(&c);
                    }
                    sink(c)
                } else if is_hep(pkt.payload) {
                    if !self.opts.unwrap_hep {
                        n.skipped_hep += 1;
                        return true;
                    }
                    match capture_from_hep(&Bytes::copy_from_slice(pkt.payload), None) {
                        Ok(c) => {
                            n.hep_unwrapped += 1;
                            sink(c)
                        }
                        Err(_) => {
                            n.skipped_undecodable += 1;
                            true
                        }
                    }
                } else {
                    n.skipped_not_sip += 1;
                    true
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
                    self.tcp.connection_start(src, dst, &mut self.tcp_out);
                }
                if !pkt.payload.is_empty() {
                    self.tcp
                        .push(ts, src, dst, seq, pkt.payload, &mut self.tcp_out);
                }
                self.drain_tcp(sink)
            }
            TransportHeader::Sctp {
                src_port, dst_port, ..
            } => {
                let src = SocketAddr::new(pkt.src, src_port);
                let dst = SocketAddr::new(pkt.dst, dst_port);
                let mut any = false;
                let mut go = true;
                for chunk in sctp_data_chunks(pkt.payload) {
                    let Some(msg) = self.sctp.push(src, dst, &chunk) else {
                        continue;
                    };
                    if looks_like_sip(&msg) {
                        any = true;
                        n.sip_sctp += 1;
                        let c = Capture::new(ts, src, dst, Transport::Sctp, PayloadKind::SIP, msg);
                        if let Some(r) = &mut self.media {
                            r.observe_sip(&c);
                        }
                        go = go && sink(c);
                    }
                }
                if !any {
                    n.skipped_not_sip += 1;
                }
                go
            }
            _ => {
                n.skipped_not_sip += 1;
                true
            }
        }
    }

    /// RTCP or RTP of a known call: its reports (if any) go to the sink; `None` when the
    /// datagram is neither.
    fn media_datagram(
        &mut self,
        ts: i64,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
        sink: &mut dyn FnMut(Capture) -> bool,
    ) -> Option<bool> {
        let m = self.media.as_mut()?;
        m.datagram(ts, src, dst, payload, &mut self.counts, &mut self.media_out)?;
        let mut go = true;
        for c in self.media_out.drain(..) {
            go = go && sink(c);
        }
        Some(go)
    }

    /// Hands out the TCP messages the reassembler completed; all of them are counted even
    /// when the sink stops early, as they were taken from the stream.
    fn drain_tcp(&mut self, sink: &mut dyn FnMut(Capture) -> bool) -> bool {
        let mut go = true;
        for m in self.tcp_out.drain(..) {
            self.counts.sip_tcp += 1;
            let c = tcp_capture(m);
            if let Some(r) = &mut self.media {
                r.observe_sip(&c);
            }
            go = go && sink(c);
        }
        go
    }

    /// Ends the input: TCP messages still held are handed out, incomplete fragments are
    /// counted as expired, and the final counts are returned.
    pub fn finish(mut self, sink: &mut dyn FnMut(Capture) -> bool) -> WireCounts {
        self.defrag.clear();
        let st = self.defrag.stats();
        let n = &mut self.counts;
        n.ip_reassembled = st.reassembled;
        n.ip_frag_expired = st.expired;
        n.ip_frag_dropped = st.dropped_limit + st.dropped_invalid;
        n.skipped_fragment += st.fragments_discarded;
        self.tcp.flush_all(&mut self.tcp_out);
        self.drain_tcp(sink);
        if let Some(m) = &mut self.media {
            m.finish(&mut self.counts, &mut self.media_out);
            for c in self.media_out.drain(..) {
                sink(c);
            }
        }
        self.counts.tls = self.tcp.tls_stats();
        self.counts.sctp_dropped = self.sctp.dropped();
        self.counts
    }
}

fn tcp_capture(m: TcpMessage) -> Capture {
    // SIP over secure WebSocket is labelled TLS: the model has no WSS transport.
    let transport = match (m.tls, m.websocket) {
        (true, _) => Transport::Tls,
        (false, true) => Transport::Ws,
        (false, false) => Transport::Tcp,
    };
    Capture::new(
        m.ts_us,
        m.src,
        m.dst,
        transport,
        PayloadKind::SIP,
        Bytes::from(m.data),
    )
}
