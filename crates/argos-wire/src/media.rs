//! Media on the wire, tied to its call: SIP messages feed a media map (SDP `c=`/`m=`/
//! `a=rtcp`, rtcp-mux; `argos_rtp::media_map`) and
//!
//! * RTCP between mapped addresses becomes a HEP proto-5 JSON capture (heplify's field
//!   names) whose correlation id is the Call-ID — what captagent and heplify send;
//! * RTP between mapped addresses is analysed per stream (source, destination, SSRC) with
//!   Wireshark's statistics (`argos_rtp::stream`), and each stream is reported as a HEP
//!   proto-34 JSON capture ("MOS full report", HEPGEN/rtpagent keys, hep.md §6.2) every
//!   [`REPORT_EVERY_US`] of capture time (`TYPE: PERIODIC`) and once at its end (`FINAL`:
//!   its call ended, it went quiet, or the input ended).

use crate::counts::WireCounts;
use argos_model::{Capture, PayloadKind, Transport};
use argos_rtp::dtmf::{DtmfEvent, DtmfTracker};
use argos_rtp::hep_json::HepJsonError;
use argos_rtp::media_map::{MediaMap, MediaMapLimits};
use argos_rtp::stream::StreamStats;
use bytes::Bytes;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// Clock rate for the MOS estimate from an RR's jitter when the SDP named none:
/// narrowband voice (8 kHz) is what carriers' RTCP mostly reports.
const DEFAULT_CLOCK_HZ: u32 = 8000;
/// How often (capture time, µs) idle media entries and quiet streams are swept.
const SWEEP_EVERY_US: i64 = 1_000_000;
/// A periodic report per stream this often (capture time).
pub const REPORT_EVERY_US: i64 = 10_000_000;
/// A stream silent this long whose call has ended (its media map entries are gone) has
/// ended: its final report goes out.
const STREAM_IDLE_US: i64 = 5_000_000;
/// A stream silent this long has ended whatever its call says (a BYE never seen). Long,
/// because a call on hold or with silence suppression sends nothing for a while and
/// Wireshark keeps counting it as one stream.
const STREAM_IDLE_MAX_US: i64 = 300_000_000;
/// Streams analysed at once; packets of more are counted and not analysed.
const MAX_STREAMS: usize = 50_000;
/// DTMF events kept per stream (a report lists them; a flood of events is cut here).
const MAX_DTMF_EVENTS: usize = 256;
/// HEP proto type of the stream reports.
const PROTO_RTP_REPORT: PayloadKind = PayloadKind::MOS_FULL;

/// One RTP stream and what its reports need.
struct Stream {
    stats: StreamStats,
    /// The SDP's payload map (which payload types are telephone events, their clock).
    payloads: Arc<argos_rtp::payload::PayloadMap>,
    dtmf: DtmfTracker,
    /// DTMF key presses (RFC 4733) of the stream so far, for its reports.
    dtmf_events: Vec<DtmfEvent>,
    call_id: Arc<str>,
    last_seen_us: i64,
    next_report_us: i64,
    /// Expected and lost at the previous report: the next one gives the interval's loss.
    prev_expected: i64,
    prev_lost: i64,
}

impl Stream {
    /// An event whose end packets were all lost is still a key press.
    fn flush_dtmf(&mut self) {
        while let Some(ev) = self.dtmf.flush() {
            if self.dtmf_events.len() < MAX_DTMF_EVENTS {
                self.dtmf_events.push(ev);
            }
        }
    }
}

/// (source, destination, SSRC).
type StreamKey = (SocketAddr, SocketAddr, u32);

/// The media stage of a [`crate::FrameProcessor`].
pub(crate) struct MediaStage {
    map: MediaMap,
    rtcp: bool,
    rtp: bool,
    /// Send RTCP whose addresses no SDP announced, without a correlation id.
    keep_uncorrelated: bool,
    streams: HashMap<StreamKey, Stream>,
    next_sweep_us: i64,
}

impl MediaStage {
    pub(crate) fn new(rtcp: bool, rtp: bool, keep_uncorrelated: bool) -> Self {
        MediaStage {
            map: MediaMap::new(MediaMapLimits::default()),
            rtcp,
            rtp,
            keep_uncorrelated,
            streams: HashMap::new(),
            next_sweep_us: i64::MIN,
        }
    }

    /// Learns the media addresses of a SIP message (its SDP, or the end of its call).
    pub(crate) fn observe_sip(&mut self, c: &Capture) {
        if let Ok(m) = argos_sip::parse(&c.payload) {
            self.map.observe_sip(&m, c.src, c.ts_us);
        }
    }

    /// Handles a UDP datagram that is RTCP or RTP of a known call; `None` when it is
    /// neither (the caller goes on with HEP / not-SIP checks). Reports go to `out`.
    pub(crate) fn datagram(
        &mut self,
        ts_us: i64,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
        n: &mut WireCounts,
        out: &mut Vec<Capture>,
    ) -> Option<()> {
        if ts_us >= self.next_sweep_us {
            self.sweep(ts_us, n, out);
            self.next_sweep_us = ts_us.saturating_add(SWEEP_EVERY_US);
        }
        if self.rtcp && is_rtcp(payload) {
            if let Some(c) = self.rtcp_capture(ts_us, src, dst, payload, n) {
                out.push(c);
            }
            return Some(());
        }
        if self.rtp && is_rtp(payload) {
            return self.rtp_packet(ts_us, src, dst, payload, n, out);
        }
        None
    }

    fn rtcp_capture(
        &mut self,
        ts_us: i64,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
        n: &mut WireCounts,
    ) -> Option<Capture> {
        n.rtcp += 1;
        let (call_id, clock) = match self.map.lookup_entry(src, dst) {
            Some(e) => (Some(e.call_id.to_string()), e.clock_rate),
            None => (None, 0),
        };
        if call_id.is_none() && !self.keep_uncorrelated {
            n.rtcp_uncorrelated += 1;
            return None;
        }
        let clock = if clock > 0 { clock } else { DEFAULT_CLOCK_HZ };
        let hep = match argos_rtp::hep_json::rtcp_to_hep(payload, clock) {
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

    fn rtp_packet(
        &mut self,
        ts_us: i64,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
        n: &mut WireCounts,
        out: &mut Vec<Capture>,
    ) -> Option<()> {
        // Only RTP the SDP of a call announced: random UDP that happens to start with
        // version 2 is not taken for media.
        let entry = self.map.lookup_entry(src, dst).filter(|e| e.rtp)?;
        // Like Wireshark, a packet with a wrong padding count still counts.
        let Ok(pkt) = argos_rtp::rtp::decode_header(payload) else {
            n.rtp_undecodable += 1;
            return Some(());
        };
        n.rtp += 1;
        let key = (src, dst, pkt.ssrc);
        if !self.streams.contains_key(&key) {
            if self.streams.len() >= MAX_STREAMS {
                n.rtp_not_analysed += 1;
                return Some(());
            }
            n.rtp_streams += 1;
            self.streams.insert(
                key,
                Stream {
                    stats: StreamStats::new(Some(Arc::clone(&entry.payloads))),
                    payloads: Arc::clone(&entry.payloads),
                    dtmf: DtmfTracker::new(8000),
                    dtmf_events: Vec::new(),
                    call_id: Arc::clone(&entry.call_id),
                    last_seen_us: ts_us,
                    next_report_us: ts_us.saturating_add(REPORT_EVERY_US),
                    prev_expected: 0,
                    prev_lost: 0,
                },
            );
        }
        let s = self.streams.get_mut(&key)?;
        s.stats.update(&pkt, ts_us);
        let clock = argos_rtp::payload::packet_clock(pkt.payload_type, Some(&s.payloads));
        if clock.telephone_event {
            let rate = s.payloads.get(pkt.payload_type).map_or(0, |f| f.clock_rate);
            s.dtmf.set_clock_rate(if rate > 0 { rate } else { 8000 });
        }
        if let Some(ev) = s.dtmf.update(&pkt, clock.telephone_event, ts_us) {
            if s.dtmf_events.len() < MAX_DTMF_EVENTS {
                s.dtmf_events.push(ev);
            }
        }
        s.last_seen_us = ts_us;
        if ts_us >= s.next_report_us {
            s.next_report_us = ts_us.saturating_add(REPORT_EVERY_US);
            out.push(report(&key, s, ts_us, "PERIODIC"));
            n.rtp_reports += 1;
            let sum = s.stats.summary();
            s.prev_expected = sum.expected;
            s.prev_lost = sum.lost;
        }
        Some(())
    }

    /// Expires idle map entries and ends quiet streams (their final reports).
    fn sweep(&mut self, now_us: i64, n: &mut WireCounts, out: &mut Vec<Capture>) {
        self.map.expire(now_us);
        let map = &self.map;
        let quiet: Vec<StreamKey> = self
            .streams
            .iter()
            .filter(|((src, dst, _), s)| {
                let idle = now_us.saturating_sub(s.last_seen_us);
                idle > STREAM_IDLE_MAX_US
                    || (idle > STREAM_IDLE_US && map.lookup_entry(*src, *dst).is_none())
            })
            .map(|(k, _)| *k)
            .collect();
        for k in quiet {
            if let Some(mut s) = self.streams.remove(&k) {
                s.flush_dtmf();
                out.push(report(&k, &s, s.last_seen_us, "FINAL"));
                n.rtp_reports += 1;
            }
        }
    }

    /// End of input: every stream's final report.
    pub(crate) fn finish(&mut self, n: &mut WireCounts, out: &mut Vec<Capture>) {
        let mut keys: Vec<StreamKey> = self.streams.keys().copied().collect();
        keys.sort_by_key(|k| self.streams.get(k).map_or(0, |s| s.last_seen_us));
        for k in keys {
            if let Some(mut s) = self.streams.remove(&k) {
                s.flush_dtmf();
                out.push(report(&k, &s, s.last_seen_us, "FINAL"));
                n.rtp_reports += 1;
            }
        }
    }
}

/// RTCP: version 2, a first packet of type 200..=207 (RTP keeps those payload-type values
/// free, RFC 5761) whose length fits the datagram. Looser than a check of every length:
/// senders pad datagrams (2 stray bytes after a full compound in heplify's sample) and
/// tshark takes those too; what follows the last whole packet is ignored by the decoder.
pub(crate) fn is_rtcp(payload: &[u8]) -> bool {
    match payload {
        [b0, pt, l0, l1, ..] if b0 >> 6 == 2 && (200..=207).contains(pt) => {
            let len = (usize::from(u16::from_be_bytes([*l0, *l1])) + 1) * 4;
            len <= payload.len()
        }
        _ => false,
    }
}

/// RTP: version 2 and a whole fixed header (the decoder checks the rest).
fn is_rtp(payload: &[u8]) -> bool {
    payload.len() >= 12 && payload[0] >> 6 == 2
}

/// A proto-34 report of one stream (HEPGEN/rtpagent keys, plus `SSRC`, `INTERVAL_*`,
/// `LOSS_PCT`, the Wireshark counters, the G.107 E-model score for the stream's codec and
/// loss pattern (`MOS_G107`, `R_G107`; one-way delay unknown on the wire, so 0), the burst
/// ratio, clock drift and DTMF key presses that Argos adds). `MOS`/`RFACTOR` keep HOMER's
/// simplified model, so dashboards built on rtpagent's keys read comparable numbers.
fn report(key: &StreamKey, s: &Stream, ts_us: i64, kind: &str) -> Capture {
    let (src, dst, ssrc) = *key;
    let sum = s.stats.summary();
    let mos = argos_rtp::mos::homer_mos(sum.lost_percent.max(0.0), sum.mean_jitter_ms, 0.0);
    let (d_expected, d_lost) = (sum.expected - s.prev_expected, sum.lost - s.prev_lost);
    let interval_loss = if d_expected > 0 {
        (d_lost.max(0) as f64) * 100.0 / d_expected as f64
    } else {
        0.0
    };
    let codec_pt = sum.payload_types.first().copied().unwrap_or(0);
    let g107 = s.stats.emodel(0.0);
    let dtmf: Vec<serde_json::Value> = s
        .dtmf_events
        .iter()
        .map(|e| {
            serde_json::json!({
                "DIGIT": e.digit.map(String::from).unwrap_or_else(|| e.event.to_string()),
                "TS": e.start_us as f64 / 1e6,
                "DURATION_MS": round3(e.duration_ms),
                "ENDED": e.ended,
            })
        })
        .collect();
    let json = serde_json::json!({
        "CORRELATION_ID": &*s.call_id,
        "RTP_SIP_CALL_ID": &*s.call_id,
        "TYPE": kind,
        "REPORT_TS": ts_us as f64 / 1e6,
        "SRC_IP": src.ip().to_string(),
        "SRC_PORT": src.port(),
        "DST_IP": dst.ip().to_string(),
        "DST_PORT": dst.port(),
        "SSRC": ssrc,
        "CODEC_PT": codec_pt,
        "CODEC_NAME": sum.payload_names,
        "CLOCK": sum.clock_rate,
        "TOTAL_PK": sum.packets,
        "EXPECTED_PK": sum.expected,
        "PACKET_LOSS": sum.lost,
        "LOSS_PCT": round3(sum.lost_percent),
        "INTERVAL_LOSS_PCT": round3(interval_loss),
        "SEQ": sum.sequence_errors,
        "OUT_ORDER": sum.out_of_order,
        "JITTER": round3(sum.last_jitter_ms),
        "MEAN_JITTER": round3(sum.mean_jitter_ms),
        "MAX_JITTER": round3(sum.max_jitter_ms),
        "DELTA": round3(sum.mean_delta_ms),
        "MAX_DELTA": round3(sum.max_delta_ms),
        "MAX_SKEW": round3(sum.max_skew_ms),
        "MARKERS": sum.markers,
        "PT_CHANGES": sum.payload_type_changes,
        "TL_BYTE": sum.octets,
        "MOS": round3(mos.mos),
        "RFACTOR": round3(mos.r_factor),
        "MOS_G107": round3(g107.mos),
        "R_G107": round3(g107.r_factor),
        "CODEC": s.stats.codec().params().name,
        "BURST_RATIO": round3(sum.burst_ratio),
        "LOSS_RUNS": sum.loss_runs,
        "DRIFT_PPM": round3(sum.drift_ppm),
        "DTMF": dtmf,
        "FIRST_TS": sum.first_us as f64 / 1e6,
        "LAST_TS": sum.last_us as f64 / 1e6,
        "REPORT_NAME": format!("{src}"),
    });
    let mut c = Capture::new(
        ts_us,
        src,
        dst,
        Transport::Udp,
        PROTO_RTP_REPORT,
        Bytes::from(json.to_string()),
    );
    c.correlation_id = Some(Box::from(&*s.call_id));
    c
}

fn round3(v: f64) -> f64 {
    if v.is_finite() {
        (v * 1000.0).round() / 1000.0
    } else {
        0.0
    }
}
