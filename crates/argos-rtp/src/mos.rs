//! MOS estimates from RTCP.
//!
//! The estimate from a receiver report uses the simplified E-model HOMER's
//! heplify-server applies to X-RTP-Stat (qos-metrics.md §3.3a, §3.4 "mos_homer"), so
//! Argos' numbers sit beside HOMER dashboards:
//!
//! - effective latency `el = 2·jitter_ms + rtt_ms + 10`
//! - `R = 93.2 − el/40` when `el < 160`, else `93.2 − (el − 120)/10`; then `R −= 2.5·loss%`
//! - `MOS = 1 + 0.035·R + 7·10⁻⁶·R·(R − 60)·(100 − R)` (ITU-T G.107 Annex B), clamped to
//!   1.0..=4.5.
//!
//! Unlike heplify-server, loss is the exact percentage (not truncated to an integer)
//! and the RTT is 0 when unknown. An endpoint's own MOS from an XR VoIP Metrics block
//! (MOS-CQ) is reported separately by [`from_voip_metrics`] and preferred by
//! [`hep_mos`], as heplify does.

use crate::rtcp::{ReportBlock, RtcpPacket, VoipMetrics};

/// An estimate and the inputs it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MosEstimate {
    /// Mean opinion score, 1.0..=4.5.
    pub mos: f64,
    /// The R factor before the MOS mapping.
    pub r_factor: f64,
    /// Loss percentage used.
    pub loss_percent: f64,
    /// Jitter used, ms.
    pub jitter_ms: f64,
    /// Round-trip time used, ms (0 when unknown).
    pub rtt_ms: f64,
}

/// ITU-T G.107 Annex B: R → MOS, clamped to 1.0..=4.5.
pub fn mos_from_r(r: f64) -> f64 {
    if r.is_nan() || r < 0.0 {
        return 1.0;
    }
    if r > 100.0 {
        return 4.5;
    }
    let mos = 1.0 + 0.035 * r + 7.0e-6 * r * (r - 60.0) * (100.0 - r);
    mos.clamp(1.0, 4.5)
}

/// The HOMER simplified E-model (module docs) from loss %, jitter and RTT in ms.
pub fn homer_mos(loss_percent: f64, jitter_ms: f64, rtt_ms: f64) -> MosEstimate {
    let el = 2.0 * jitter_ms + rtt_ms + 10.0;
    let mut r = if el < 160.0 {
        93.2 - el / 40.0
    } else {
        93.2 - (el - 120.0) / 10.0
    };
    r -= 2.5 * loss_percent;
    MosEstimate {
        mos: mos_from_r(r),
        r_factor: r,
        loss_percent,
        jitter_ms,
        rtt_ms,
    }
}

/// Estimate from one report block: loss from its fraction lost, jitter converted from
/// timestamp units with `clock_rate` (Hz; 0 → jitter ignored), RTT if known.
pub fn from_report_block(block: &ReportBlock, clock_rate: u32, rtt_ms: Option<f64>) -> MosEstimate {
    let jitter_ms = if clock_rate == 0 {
        0.0
    } else {
        f64::from(block.jitter) * 1000.0 / f64::from(clock_rate)
    };
    homer_mos(
        block.fraction_lost_percent(),
        jitter_ms,
        rtt_ms.unwrap_or(0.0),
    )
}

/// The endpoint's MOS-CQ from an XR VoIP Metrics block, else its MOS-LQ.
pub fn from_voip_metrics(m: &VoipMetrics) -> Option<f64> {
    m.mos_cq_score().or_else(|| m.mos_lq_score())
}

/// heplify's step function of the fraction-lost octet (kept for comparison with what
/// heplify agents send): < 10 → 4.5, < 25 → 4.0, < 50 → 3.5, < 100 → 3.0, else 2.5.
pub fn heplify_step(fraction_lost: u8) -> f64 {
    match fraction_lost {
        0..=9 => 4.5,
        10..=24 => 4.0,
        25..=49 => 3.5,
        50..=99 => 3.0,
        _ => 2.5,
    }
}

/// MOS × 100 for the HEP MOS chunk (0x0020) of a compound packet: the first XR
/// VoIP Metrics MOS-CQ (or MOS-LQ), else the estimate from the first report block
/// (clock `clock_rate`), else `None`.
pub fn hep_mos(packets: &[RtcpPacket<'_>], clock_rate: u32) -> Option<u16> {
    let reported = packets.iter().find_map(|p| match p {
        RtcpPacket::ExtendedReport(x) => x.voip_metrics().and_then(|m| from_voip_metrics(&m)),
        _ => None,
    });
    let mos = reported.or_else(|| {
        packets.iter().find_map(|p| {
            let first = match p {
                RtcpPacket::SenderReport(r) => r.reports.first(),
                RtcpPacket::ReceiverReport(r) => r.reports.first(),
                _ => None,
            };
            first.map(|b| from_report_block(&b, clock_rate, None).mos)
        })
    })?;
    Some((mos * 100.0).round() as u16)
}
