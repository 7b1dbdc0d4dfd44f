//! RTP and RTCP for Argos: decoding and analysis, no I/O.
//!
//! - [`rtcp`]: zero-copy decoding of compound RTCP ([`rtcp::decode`]), XR VoIP metrics,
//!   [`rtcp::looks_like_rtcp`], rtcp-mux detection ([`rtcp::is_muxed_rtcp`]).
//! - [`hep_json`]: RTCP as the HEP proto-5 JSON HOMER reads ([`hep_json::to_json`]),
//!   and a tolerant reader of any producer's proto-5 JSON ([`hep_json::read_report`]).
//! - [`mos`]: MOS estimates from an RR block or an XR VoIP Metrics block (HOMER's
//!   simplified model); [`emodel`]: the ITU-T G.107 E-model per codec (Ie/Bpl, BurstR,
//!   delay) for measured streams.
//! - [`dtmf`]: RFC 4733 telephone events and a per-stream key-press tracker.
//! - [`drift`]: sender clock drift (ppm) by an online least-squares fit.
//! - [`media_map`]: SDP media endpoints → Call-ID, fed from SIP messages
//!   ([`media_map::MediaMap`]).
//! - [`rtp`] and [`stream`]: RTP header decoding and Wireshark-compatible per-stream
//!   statistics ([`stream::StreamStats`], [`stream::StreamTable`]); [`rfc3550`]: the
//!   RFC 3550 receiver statistics a report block carries.
//!
//! ```
//! // An empty RR (version 2, PT 201, length 1) from SSRC 0x01020304.
//! let rr = [0x80, 201, 0, 1, 1, 2, 3, 4];
//! assert!(argos_rtp::rtcp::looks_like_rtcp(&rr));
//! let compound = argos_rtp::rtcp::decode(&rr);
//! assert!(compound.error.is_none());
//! let json = argos_rtp::hep_json::to_json(&compound.packets).unwrap();
//! let report = argos_rtp::hep_json::read_report(json.as_bytes()).unwrap();
//! assert_eq!(report.ssrc, Some(0x01020304));
//! ```

mod bytes;
pub mod drift;
pub mod dtmf;
pub mod emodel;
mod error;
pub mod hep_json;
pub mod media_map;
pub mod mos;
pub mod payload;
pub mod rfc3550;
pub mod rtcp;
pub mod rtp;
pub mod sdp_media;
pub mod stream;

pub use error::{RtcpError, RtpError};

/// Entry points shared by the cargo-fuzz targets and the in-crate robustness tests.
#[doc(hidden)]
pub mod fuzzing {
    use crate::*;

    /// Decodes `data` as RTP and feeds it to a stream (twice: a duplicate), with and
    /// without a payload map, then reads the summary; feeds it three times to a DTMF
    /// tracker (one event at most) and scores the summary with the E-model.
    pub fn rtp(data: &[u8]) {
        if let Ok(p) = rtp::decode(data) {
            let mut map = payload::PayloadMap::new();
            map.insert(96, "opus", 48000);
            map.insert(101, "telephone-event", 8000);
            let mut with = stream::StreamStats::new(Some(std::sync::Arc::new(map)));
            let mut without = stream::StreamStats::new(None);
            for (i, t) in [0i64, 20_000, 10_000].into_iter().enumerate() {
                with.update(&p, t + i as i64);
                without.update(&p, t);
            }
            let s = with.summary();
            let _ = without.summary();
            // The same packet as a telephone event: decode, track, collapse.
            let mut dtmf = dtmf::DtmfTracker::new(8000);
            let mut events = 0;
            for t in [0i64, 20_000, 40_000] {
                events += usize::from(dtmf.update(&p, true, t).is_some());
            }
            while dtmf.flush().is_some() {
                events += 1;
            }
            assert!(events <= 1, "one timestamp is one event");
            let e = emodel::emodel(&emodel::EmodelInput {
                codec: emodel::codec_from_payload_type(p.payload_type),
                loss_percent: s.lost_percent,
                burst_ratio: s.burst_ratio,
                one_way_delay_ms: s.max_delta_ms,
                jitter_ms: s.max_jitter_ms,
                jitter_buffer_ms: None,
            });
            assert!((1.0..=4.5).contains(&e.mos), "{e:?}");
        }
        let _ = rtcp::is_muxed_rtcp(data);
    }

    /// Decodes `data` as compound RTCP, writes the HEP JSON and reads it back; the
    /// report read back must carry the SR/RR sender's SSRC.
    pub fn rtcp(data: &[u8]) {
        let _ = rtcp::looks_like_rtcp(data);
        let c = rtcp::decode(data);
        for p in &c.packets {
            match p {
                rtcp::RtcpPacket::SourceDescription(s) => {
                    for ch in s.chunks() {
                        let _ = ch.items().count();
                    }
                }
                rtcp::RtcpPacket::ExtendedReport(x) => {
                    let _ = x.blocks().count();
                    if let Some(m) = x.voip_metrics() {
                        let _ = mos::from_voip_metrics(&m);
                    }
                }
                rtcp::RtcpPacket::SenderReport(r) => {
                    for b in r.reports.iter() {
                        let _ = mos::from_report_block(&b, 8000, None);
                    }
                }
                _ => {}
            }
        }
        if let Ok(json) = hep_json::to_json(&c.packets) {
            if let Ok(report) = hep_json::read_report(json.as_bytes()) {
                let want = c.first_report().and_then(|p| p.sender_ssrc());
                if want.is_some() {
                    assert_eq!(report.ssrc, want, "{json}");
                }
            }
        }
        let _ = hep_json::read_report(data);
    }
}
