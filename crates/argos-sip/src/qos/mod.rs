//! Call-quality reports carried inside SIP: RFC 6035 `application/vq-rtcpxr` bodies
//! (PUBLISH / NOTIFY) and end-of-call statistics headers (BYE and its 200 OK), as one
//! [`QosReport`] model. No I/O; every input is treated as hostile (bounded work, no
//! panics, unknown keys ignored, `-` / empty = `None`). Field semantics follow
//! `shared/reference/qos-metrics.md` §4.5 and §5.
//!
//! # Dialects
//!
//! | [`QosSource`] | where | reports |
//! |---|---|---|
//! | `VqRtcpXr` | body `VQSessionReport` / `VQIntervalReport` / `VQAlertReport` | one per `LocalMetrics:` (`Metrics:`) → [`Direction::Local`], `RemoteMetrics:` → [`Direction::Remote`] |
//! | `XRtpStat` | `X-RTP-Stat` (AVM Fritz!Box, baresip `EX=BareSip`, AudioCodes, Poly) | rx side → Local; tx side (`PL`/`JI` second value) → Remote |
//! | `PRtpStat` | `P-RTP-Stat` (Cisco CUBE / CUCM) | Local only |
//! | `RtpRxStat` / `RtpTxStat` | `RTP-RxStat` / `RTP-TxStat` (Cisco IP phones) | Local / Remote |
//!
//! # Field mapping and units
//!
//! Every duration is in **ms**, every rate in **percent (0–100)**, MOS on the 1–5 scale,
//! R on 0–100; nothing needs rescaling except where noted.
//!
//! | field | vq-rtcpxr | X-RTP-Stat | P-RTP-Stat | RTP-RxStat / TxStat |
//! |---|---|---|---|---|
//! | `call_id` | `CallID` | – | – | – |
//! | `local_addr` / `remote_addr` | `LocalAddr` / `RemoteAddr` `IP` + `PORT` | `IP=local,remote` | – | – |
//! | `ssrc` (of the measured stream) | Local: `RemoteAddr SSRC`; Remote: `LocalAddr SSRC` | – | – | – |
//! | `codec` | `SessionDesc PD` | Local `DE`, Remote `EN` (`/rate` kept) | `DE`, else `EN` | `VQMetrics VoRxCodec` / `VoTxCodec` |
//! | `start_us` / `stop_us` | `Timestamps START` / `STOP` (RFC 3339) | – | – | – |
//! | `packets_received` | – | `PR` | `PR` | Rx `Pkt` |
//! | `packets_expected` | – | `ER` | – | – |
//! | `packets_lost` | – | `PL` rx / tx | `PL` | Rx `LostPkt` (else `VoPktLost`) |
//! | `packets_sent` | – | Remote: `PS` | – | Tx `Pkt` |
//! | `loss_pct` | `PacketLoss NLR` | derived: lost ÷ (`ER`, else `PR`+lost) rx; lost ÷ `PS` tx | derived: `PL` ÷ (`PR`+`PL`) | derived: lost ÷ (`Pkt`+lost) |
//! | `discard_pct` | `PacketLoss JDR` | – | – | – |
//! | `jitter_ms` | `Delay IAJ` | `JI` rx / tx: ms (AVM); **RTP timestamp units ÷ (rate/1000)** for baresip, rate from `DE`/`EN` `codec/rate` | `JI` | `AvgJit` |
//! | `max_jitter_ms` | – | – | – | `VQMetrics maxJitter` |
//! | `rtt_ms` | `Delay RTD` | `DL` first value (average round trip) | `LA` | – |
//! | `one_way_delay_ms` | `Delay SOWD` | – | – | `VQMetrics VoOneWayDelayMs` |
//! | `end_system_delay_ms` | `Delay ESD` | – | – | – |
//! | `burst_density_pct` / `gap_density_pct` | `BurstGapLoss BLD` / `GLD` | – | – | – |
//! | `mos_lq` / `mos_cq` | `QualityEst MOSLQ` / `MOSCQ` | – | – | `VQMetrics MOSlq` / `MOScq` |
//! | `r_factor` | `QualityEst RCQ`, else `RLQ` | – | – | – |
//!
//! Everything else (octet counts, `CS`, `RB`/`SB`, `JitterBuffer`, `Signal`, …) stays in
//! [`QosReport::raw`]: the header value, or the text of the metrics block.

use serde::Serialize;

mod rtp_stat;
mod time;
mod values;
mod vq_rtcpxr;

pub use rtp_stat::parse_rtp_stat_header;
pub use vq_rtcpxr::{parse_vq_rtcpxr, MAX_VQ_BODY};

/// Which wire format a report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QosSource {
    /// RFC 6035 `application/vq-rtcpxr` body.
    #[default]
    VqRtcpXr,
    /// `X-RTP-Stat` header (AVM, baresip, AudioCodes, Poly).
    XRtpStat,
    /// `P-RTP-Stat` header (Cisco CUBE / CUCM).
    PRtpStat,
    /// `RTP-RxStat` header (Cisco IP phones): what the phone received.
    RtpRxStat,
    /// `RTP-TxStat` header (Cisco IP phones): what the phone sent.
    RtpTxStat,
}

impl QosSource {
    /// The header name, or the Content-Type for [`QosSource::VqRtcpXr`].
    pub fn wire_name(self) -> &'static str {
        match self {
            Self::VqRtcpXr => "application/vq-rtcpxr",
            Self::XRtpStat => "X-RTP-Stat",
            Self::PRtpStat => "P-RTP-Stat",
            Self::RtpRxStat => "RTP-RxStat",
            Self::RtpTxStat => "RTP-TxStat",
        }
    }
}

/// When the report was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// `VQSessionReport`: the whole session, at its end.
    #[default]
    Session,
    /// `VQIntervalReport`: one interval of a running session.
    Interval,
    /// `VQAlertReport`: a metric crossed a threshold.
    Alert,
    /// An end-of-call header in BYE / 200 OK to BYE.
    EndOfCall,
}

/// Whose measurement a report holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// What the reporter received and measured itself (`LocalMetrics`, rx side).
    #[default]
    Local,
    /// What the reporter's peer measured on the reporter's stream and reported back (RTCP
    /// / RTCP-XR): `RemoteMetrics`, the tx side of `X-RTP-Stat`, `RTP-TxStat`.
    Remote,
}

/// One quality report: one direction of one media stream, as one endpoint reported it.
/// Every metric is `None` when the report does not carry it or marks it unavailable.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct QosReport {
    /// The wire format.
    pub source: QosSource,
    /// Session / interval / alert / end-of-call.
    pub kind: ReportKind,
    /// Local (measured by the reporter) or remote (measured by its peer).
    pub direction: Direction,
    /// vq-rtcpxr `CallID:` line; `None` for headers (the SIP message's Call-ID applies).
    pub call_id: Option<String>,
    /// The reporter's media address, `ip:port` (`[ip]:port` for IPv6) when given.
    pub local_addr: Option<String>,
    /// The peer's media address, `ip:port` when given.
    pub remote_addr: Option<String>,
    /// SSRC of the measured stream: the peer's for a Local report, the reporter's for a
    /// Remote one.
    pub ssrc: Option<u32>,
    /// Codec name as the reporter wrote it (`PCMA`, `G729`, `opus/48000`).
    pub codec: Option<String>,
    /// Start of the measured period (vq `Timestamps START`), µs since the Unix epoch, UTC.
    pub start_us: Option<i64>,
    /// End of the measured period (vq `Timestamps STOP`), µs since the Unix epoch, UTC.
    pub stop_us: Option<i64>,
    /// RTP packets received.
    pub packets_received: Option<u64>,
    /// RTP packets expected (from sequence numbers).
    pub packets_expected: Option<u64>,
    /// RTP packets lost.
    pub packets_lost: Option<u64>,
    /// RTP packets the reporter sent on the measured stream (Remote reports only).
    pub packets_sent: Option<u64>,
    /// Network loss rate, percent.
    pub loss_pct: Option<f64>,
    /// Jitter-buffer discard rate, percent.
    pub discard_pct: Option<f64>,
    /// Interarrival jitter (RFC 3550), ms.
    pub jitter_ms: Option<f64>,
    /// Largest jitter seen, ms.
    pub max_jitter_ms: Option<f64>,
    /// Round-trip delay, ms.
    pub rtt_ms: Option<f64>,
    /// Symmetric one-way delay, ms.
    pub one_way_delay_ms: Option<f64>,
    /// End-system delay (encode + jitter buffer + decode), ms.
    pub end_system_delay_ms: Option<f64>,
    /// Share of packets lost or discarded within bursts, percent.
    pub burst_density_pct: Option<f64>,
    /// Share of packets lost or discarded within gaps, percent.
    pub gap_density_pct: Option<f64>,
    /// MOS listening quality, 1–5.
    pub mos_lq: Option<f64>,
    /// MOS conversational quality, 1–5.
    pub mos_cq: Option<f64>,
    /// R factor, 0–100 (conversational when given, else listening).
    pub r_factor: Option<f64>,
    /// The header value, or the metrics block's lines, as received (for display).
    pub raw: String,
}

/// Why a vq-rtcpxr body was refused.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QosError {
    /// The body is larger than [`MAX_VQ_BODY`].
    #[error("vq-rtcpxr body of {len} bytes is over the {max}-byte limit")]
    TooLarge { len: usize, max: usize },
    /// The body has no text.
    #[error("empty vq-rtcpxr body")]
    Empty,
    /// No line names a report type (`VQSessionReport`, `VQIntervalReport`,
    /// `VQAlertReport`).
    #[error("vq-rtcpxr body names no VQ report type")]
    NotVqReport,
}

/// Most headers of one message looked at for statistics (the SIP parser's own default
/// header limit).
const MAX_HEADERS: usize = 256;

/// Every quality report in one SIP message: the reports of an `application/vq-rtcpxr`
/// body (chosen by Content-Type; a body that does not parse gives none), then those of
/// each statistics header in message order.
pub fn reports_of(msg: &crate::SipMessage<'_>) -> Vec<QosReport> {
    let mut out = Vec::new();
    if msg.header("Content-Type").is_some_and(is_vq_rtcpxr) {
        if let Ok(reports) = parse_vq_rtcpxr(msg.body()) {
            out.extend(reports);
        }
    }
    for h in msg.headers().iter().take(MAX_HEADERS) {
        if let Some(reports) = parse_rtp_stat_header(h.name, &h.value) {
            out.extend(reports);
        }
    }
    out
}

/// Whether a Content-Type value is `application/vq-rtcpxr` (parameters ignored).
pub fn is_vq_rtcpxr(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or_default().trim();
    media.eq_ignore_ascii_case("application/vq-rtcpxr")
}
