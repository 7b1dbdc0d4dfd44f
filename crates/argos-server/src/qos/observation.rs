//! One report's statement about one stream at one time, before folding into streams.

use serde::Serialize;

/// Where a quality report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// RTCP SR/RR (HEP proto 5).
    Rtcp,
    /// RTCP XR VoIP Metrics (HEP proto 5).
    RtcpXr,
    /// RTP stream report, "MOS full report" JSON (HEP proto 34).
    RtpReport,
    /// RTP short report JSON (HEP proto 35).
    RtpShortReport,
    /// SIP PUBLISH `application/vq-rtcpxr` (RFC 6035).
    VqRtcpxr,
    /// `X-RTP-Stat` end-of-call header.
    XRtpStat,
    /// `P-RTP-Stat` end-of-call header.
    PRtpStat,
    /// `RTP-RxStat` / `RTP-TxStat` end-of-call headers.
    RtpRxTxStat,
}

/// Which way the reported packets went, from the reporter's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// What the reporter received (an RTCP report block, PR of X-RTP-Stat).
    Rx,
    /// What the reporter sent (RTCP sender info, PS of X-RTP-Stat).
    Tx,
    /// A stream a probe saw pass (proto 34/35).
    Seen,
}

/// Which way the media flows in call terms, from the call's SDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaDirection {
    /// From the side whose SDP was in a request (the caller) to the answering side.
    CallerToCallee,
    /// The other way.
    CalleeToCaller,
}

impl MediaDirection {
    /// The opposite direction.
    pub fn reverse(self) -> Self {
        match self {
            MediaDirection::CallerToCallee => MediaDirection::CalleeToCaller,
            MediaDirection::CalleeToCaller => MediaDirection::CallerToCallee,
        }
    }

    /// Human text for findings.
    pub fn text(self) -> &'static str {
        match self {
            MediaDirection::CallerToCallee => "caller → callee",
            MediaDirection::CalleeToCaller => "callee → caller",
        }
    }
}

/// How a MOS value was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MosSource {
    /// The endpoint's own listening-quality MOS (XR, vq-rtcpxr, header).
    ReportedMosLq,
    /// The endpoint's own conversational-quality MOS.
    ReportedMosCq,
    /// A MOS the report gives without saying which (proto 34/35 `MOS`).
    Reported,
    /// Estimated here from loss, jitter and RTT with HOMER's simplified E-model
    /// (`argos_rtp::mos::homer_mos`).
    EstimatedEModel,
}

/// What identifies a stream: observations with equal keys fold into one stream.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StreamKey {
    /// The report's format.
    pub kind: ReportKind,
    /// The reporter's address (`ip:port`), or its report name.
    pub reporter: String,
    /// HEP node name of the agent that sent the report.
    pub node: Option<String>,
    /// Received, sent or seen, from the reporter's point of view.
    pub direction: Direction,
    /// SSRC of the stream reported on.
    pub ssrc: Option<u32>,
    /// Media source and destination as the report names them (for RTCP: the RTCP
    /// addresses of the two ends).
    pub src: Option<String>,
    pub dst: Option<String>,
}

/// One report's values for one stream; `None` where the report says nothing.
#[derive(Debug, Clone)]
pub struct Observation {
    /// Which stream this is about.
    pub key: StreamKey,
    /// When the report was made (its own time when it gives one, else capture time), µs.
    pub ts_us: i64,
    /// Which way the media flows, from the call's SDP.
    pub media_direction: Option<MediaDirection>,
    /// Codec name, from the report or the SDP.
    pub codec: Option<String>,
    /// RTP clock rate used to convert RTCP jitter to ms.
    pub clock_rate: Option<u32>,
    /// Packets received (rx, seen) or sent (tx), cumulative.
    pub packets: Option<u64>,
    /// Packets expected, cumulative.
    pub expected: Option<u64>,
    /// Packets lost, cumulative (RTCP's may be negative: duplicates).
    pub lost: Option<i64>,
    /// RTCP extended highest sequence number received: proves packets arrived.
    pub highest_seq: Option<u32>,
    /// Loss over the report's interval, %.
    pub loss_pct: Option<f64>,
    /// Jitter-buffer discards, %.
    pub discard_pct: Option<f64>,
    /// Interarrival jitter, ms.
    pub jitter_ms: Option<f64>,
    /// Largest jitter over the report's interval, ms.
    pub max_jitter_ms: Option<f64>,
    /// Round-trip time, ms.
    pub rtt_ms: Option<f64>,
    /// One-way (symmetric) delay, ms.
    pub one_way_delay_ms: Option<f64>,
    /// End-system delay, ms.
    pub end_system_delay_ms: Option<f64>,
    /// Loss and discards within bursts, %.
    pub burst_density_pct: Option<f64>,
    /// Loss and discards within gaps, %.
    pub gap_density_pct: Option<f64>,
    /// The MOS of this report and how it was obtained.
    pub mos: Option<(f64, MosSource)>,
    /// The lowest MOS over the report's interval, when the report gives it (`MIN_MOS`).
    pub min_mos: Option<f64>,
    /// MOS by the ITU-T G.107 E-model for the stream's codec (`argos_rtp::emodel`),
    /// beside the reported or HOMER-style MOS, never in its place.
    pub mos_g107: Option<f64>,
    /// The endpoint's own MOS-LQ.
    pub mos_lq: Option<f64>,
    /// The endpoint's own MOS-CQ.
    pub mos_cq: Option<f64>,
    /// R factor, reported or from the estimate.
    pub r_factor: Option<f64>,
    /// The report's text, for SIP-carried reports (shown as text, never as markup).
    pub raw: Option<String>,
}

impl Observation {
    /// An observation with only its key and time set.
    pub fn new(key: StreamKey, ts_us: i64) -> Self {
        Observation {
            key,
            ts_us,
            media_direction: None,
            codec: None,
            clock_rate: None,
            packets: None,
            expected: None,
            lost: None,
            highest_seq: None,
            loss_pct: None,
            discard_pct: None,
            jitter_ms: None,
            max_jitter_ms: None,
            rtt_ms: None,
            one_way_delay_ms: None,
            end_system_delay_ms: None,
            burst_density_pct: None,
            gap_density_pct: None,
            mos: None,
            min_mos: None,
            mos_g107: None,
            mos_lq: None,
            mos_cq: None,
            r_factor: None,
            raw: None,
        }
    }

    /// Fills `mos` with HOMER's estimate when the report gave none, and `mos_g107` with
    /// the G.107 E-model, when loss is known.
    pub fn estimate_mos(&mut self) {
        if let Some(loss) = self.loss_pct {
            let codec = argos_rtp::emodel::codec_from_name(
                self.codec.as_deref().unwrap_or(""),
                self.clock_rate.unwrap_or(0),
            );
            let one_way = self
                .one_way_delay_ms
                .or(self.rtt_ms.map(|r| r / 2.0))
                .unwrap_or(0.0);
            let e = argos_rtp::emodel::emodel(&argos_rtp::emodel::EmodelInput {
                codec,
                loss_percent: loss,
                burst_ratio: 1.0,
                one_way_delay_ms: one_way,
                jitter_ms: self.jitter_ms.unwrap_or(0.0),
                jitter_buffer_ms: None,
            });
            self.mos_g107 = Some(e.mos);
        }
        if self.mos.is_some() {
            return;
        }
        if let Some(loss) = self.loss_pct {
            let est = argos_rtp::mos::homer_mos(
                loss,
                self.jitter_ms.unwrap_or(0.0),
                self.rtt_ms.unwrap_or(0.0),
            );
            self.mos = Some((est.mos, MosSource::EstimatedEModel));
            if self.r_factor.is_none() {
                self.r_factor = Some(est.r_factor);
            }
        }
    }
}

/// A finite number from a JSON number or numeric string.
pub fn json_num(v: Option<&serde_json::Value>) -> Option<f64> {
    let f = match v? {
        serde_json::Value::Number(n) => n.as_f64()?,
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    f.is_finite().then_some(f)
}

/// A non-negative whole count from a JSON number or numeric string.
pub fn json_count(v: Option<&serde_json::Value>) -> Option<u64> {
    let f = json_num(v)?;
    (0.0..1e18).contains(&f).then_some(f as u64)
}

/// A non-empty string (numbers rendered) from JSON.
pub fn json_text(v: Option<&serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
