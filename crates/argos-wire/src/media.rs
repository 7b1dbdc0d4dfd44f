//! RTCP from the wire → HEP proto-5 JSON captures correlated to their call, the way
//! captagent and heplify send them: SIP messages seen on the wire feed a media map
//! (SDP `c=`/`m=`/`a=rtcp`, rtcp-mux) and an RTCP datagram between two mapped addresses
//! becomes a capture whose correlation id is the Call-ID.

use crate::counts::WireCounts;
use argos_model::{Capture, PayloadKind, Transport};
use argos_rtp::hep_json::HepJsonError;
use argos_rtp::media_map::{MediaMap, MediaMapLimits};
use bytes::Bytes;
use std::net::SocketAddr;

/// Clock rate for the MOS estimate from an RR's jitter when the SDP named none:
/// narrowband voice (8 kHz) is what carriers' RTCP mostly reports.
const DEFAULT_CLOCK_HZ: u32 = 8000;
/// How often (capture time, µs) idle media entries are expired.
const EXPIRE_EVERY_US: i64 = 1_000_000;

/// The RTCP stage of a [`crate::FrameProcessor`].
pub(crate) struct RtcpStage {
    map: MediaMap,
    /// Send RTCP whose addresses no SDP announced, without a correlation id.
    keep_uncorrelated: bool,
    next_expiry_us: i64,
}

impl RtcpStage {
    pub(crate) fn new(keep_uncorrelated: bool) -> Self {
        RtcpStage {
            map: MediaMap::new(MediaMapLimits::default()),
            keep_uncorrelated,
            next_expiry_us: i64::MIN,
        }
    }

    /// Learns the media addresses of a SIP message (its SDP, or the end of its call).
    pub(crate) fn observe_sip(&mut self, c: &Capture) {
        if let Ok(m) = argos_sip::parse(&c.payload) {
            self.map.observe_sip(&m, c.src, c.ts_us);
        }
    }

    /// Whether a UDP payload is RTCP: version 2, a first packet of type 200..=207 (RTP
    /// keeps those payload-type values free, RFC 5761) whose length fits the datagram.
    /// Looser than a check of every length: senders pad datagrams (2 stray bytes after a
    /// full compound in heplify's sample) and tshark takes those too; what follows the
    /// last whole packet is ignored by the decoder.
    pub(crate) fn is_rtcp(payload: &[u8]) -> bool {
        match payload {
            [b0, pt, l0, l1, ..] if b0 >> 6 == 2 && (200..=207).contains(pt) => {
                let len = (usize::from(u16::from_be_bytes([*l0, *l1])) + 1) * 4;
                len <= payload.len()
            }
            _ => false,
        }
    }

    /// The HEP capture for one RTCP datagram, or `None` (counted) when it cannot be
    /// decoded or has no call and uncorrelated RTCP is not kept.
    pub(crate) fn capture(
        &mut self,
        ts_us: i64,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
        n: &mut WireCounts,
    ) -> Option<Capture> {
        n.rtcp += 1;
        if ts_us >= self.next_expiry_us {
            self.map.expire(ts_us);
            self.next_expiry_us = ts_us.saturating_add(EXPIRE_EVERY_US);
        }
        let (call_id, clock) = match self.map.lookup_entry(src, dst) {
            Some(e) => (Some(e.call_id.to_string()), e.clock_rate),
            None => (None, 0),
        };
        if call_id.is_none() && !self.keep_uncorrelated {
            n.rtcp_uncorrelated += 1;
            return None;
        }
        let hep = match argos_rtp::hep_json::rtcp_to_hep(
            payload,
            if clock > 0 { clock } else { DEFAULT_CLOCK_HZ },
        ) {
            Ok(h) => h,
            Err(HepJsonError::NothingToReport) => {
                n.rtcp_nothing_to_report += 1;
                return None;
            }
            Err(_) => {
                n.rtcp_undecodable += 1;
                return None;
            }
        };
        n.rtcp_sent += 1;
        let mut c = Capture::new(
            ts_us,
            src,
            dst,
            Transport::Udp,
            PayloadKind::RTCP_JSON,
            Bytes::from(hep.json),
        );
        c.correlation_id = call_id.map(String::into_boxed_str);
        Some(c)
    }
}
