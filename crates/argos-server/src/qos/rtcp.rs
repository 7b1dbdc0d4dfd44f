//! RTCP reports (HEP proto-5 JSON, any producer's variant) → observations.
//!
//! Per report: the SR's sender info is what the reporter sent (`tx`, cumulative
//! packets); each report block is what the reporter received from one SSRC (`rx`:
//! fraction lost, cumulative lost, jitter, and the RTT when the SR its LSR names was
//! seen); an XR VoIP Metrics block is the reporter's own quality view (`rtcp_xr`).

use super::media::CallMedia;
use super::observation::{Direction, MosSource, Observation, ReportKind, StreamKey};
use super::ReportError;
use argos_model::Capture;
use argos_rtp::hep_json::{read_report, BlockSummary, SenderSummary};
use std::collections::HashMap;
use std::net::SocketAddr;

/// Round trips longer than this are taken for mismatched reports and dropped.
const MAX_RTT_US: i64 = 10_000_000;

/// Remembers when each SR was seen, by the middle 32 bits of its NTP timestamp, so a
/// later report block's LSR/DLSR gives the round trip as a passive probe sees it
/// (RFC 3550 §6.4.1: RTT = arrival of the RR − arrival of the SR − DLSR).
#[derive(Debug, Default)]
pub struct RttTracker {
    sr_seen: HashMap<u32, i64>,
}

impl RttTracker {
    fn saw_sr(&mut self, sender: &SenderSummary, ts_us: i64) {
        if let (Some(sec), Some(frac)) = (sender.ntp_sec, sender.ntp_low) {
            self.sr_seen.entry(ntp_middle(sec, frac)).or_insert(ts_us);
        }
    }

    /// The round trip in ms for a block seen at `ts_us`, when its SR was seen.
    fn rtt_ms(&self, block: &BlockSummary, ts_us: i64) -> Option<f64> {
        let lsr = block.lsr.filter(|&l| l != 0)?;
        let dlsr = block.dlsr.filter(|&d| d != 0)?;
        let sr_us = *self.sr_seen.get(&lsr)?;
        let dlsr_us = i64::from(dlsr) * 1_000_000 / 65_536;
        let rtt = ts_us.checked_sub(sr_us)?.checked_sub(dlsr_us)?;
        (rtt > 0 && rtt <= MAX_RTT_US).then(|| rtt as f64 / 1000.0)
    }
}

/// The middle 32 bits of a 64-bit NTP timestamp (what LSR carries).
fn ntp_middle(sec: u64, frac: u64) -> u32 {
    (((sec & 0xFFFF) << 16) | ((frac >> 16) & 0xFFFF)) as u32
}

/// The observations of one proto-5 record.
pub fn observations(
    c: &Capture,
    media: &CallMedia,
    rtt: &mut RttTracker,
) -> Result<Vec<Observation>, ReportError> {
    let report = read_report(&c.payload)?;
    let reporter = c.src.to_string();
    let node = c.node.as_deref().map(str::to_owned);
    let key = |kind, direction, ssrc, src: SocketAddr, dst: SocketAddr| StreamKey {
        kind,
        reporter: reporter.clone(),
        node: node.clone(),
        direction,
        ssrc,
        src: Some(src.to_string()),
        dst: Some(dst.to_string()),
    };
    let mut out = Vec::new();
    if let Some(sender) = &report.sender {
        rtt.saw_sr(sender, c.ts_us);
        let mut o = Observation::new(
            key(ReportKind::Rtcp, Direction::Tx, report.ssrc, c.src, c.dst),
            c.ts_us,
        );
        o.packets = sender.packets.map(u64::from);
        o.media_direction = media.direction_from(c.src);
        o.codec = media.codec.clone();
        out.push(o);
    }
    // Media a report block describes flows from the peer to the reporter.
    let clock = media.clock_rate_at(Some(c.src));
    for b in &report.blocks {
        if is_placeholder(b) {
            continue;
        }
        let mut o = Observation::new(
            key(ReportKind::Rtcp, Direction::Rx, b.source_ssrc, c.dst, c.src),
            c.ts_us,
        );
        o.media_direction = media.direction_into(c.src);
        o.codec = media.codec.clone();
        o.clock_rate = clock;
        o.lost = b.cumulative_lost.map(i64::from);
        o.highest_seq = b.highest_seq;
        o.loss_pct = b.fraction_lost_percent();
        o.jitter_ms = clock.and_then(|hz| b.jitter_ms(hz));
        o.rtt_ms = rtt.rtt_ms(b, c.ts_us);
        o.estimate_mos();
        out.push(o);
    }
    if let Some(x) = report.xr {
        let ssrc = x.ssrc.or(report.ssrc);
        let mut o = Observation::new(
            key(ReportKind::RtcpXr, Direction::Rx, ssrc, c.dst, c.src),
            c.ts_us,
        );
        o.media_direction = media.direction_into(c.src);
        o.codec = media.codec.clone();
        let pct = |v: Option<u8>| v.map(|v| f64::from(v) * 100.0 / 256.0);
        o.loss_pct = pct(x.loss_rate);
        o.discard_pct = pct(x.discard_rate);
        o.burst_density_pct = pct(x.burst_density);
        o.gap_density_pct = pct(x.gap_density);
        o.rtt_ms = x.round_trip_delay.filter(|&d| d > 0).map(f64::from);
        o.end_system_delay_ms = x.end_system_delay.filter(|&d| d > 0).map(f64::from);
        o.r_factor = x.r_factor.filter(|&r| r > 0).map(f64::from);
        o.mos_lq = x.mos_lq;
        o.mos_cq = x.mos_cq;
        o.mos = x
            .mos_cq
            .map(|m| (m, MosSource::ReportedMosCq))
            .or(x.mos_lq.map(|m| (m, MosSource::ReportedMosLq)));
        o.estimate_mos();
        out.push(o);
    }
    Ok(out)
}

/// The all-zero second block some endpoints send for a source they never heard.
fn is_placeholder(b: &BlockSummary) -> bool {
    b.source_ssrc.unwrap_or(0) == 0
        && b.highest_seq.unwrap_or(0) == 0
        && b.fraction_lost.unwrap_or(0) == 0
        && b.cumulative_lost.unwrap_or(0) == 0
        && b.jitter.unwrap_or(0) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3550_rtt_example_in_probe_form() {
        // SR seen at t = 46853.125 s; its middle bits are LSR 0xB705_2000; RR with
        // DLSR 5.25 s seen at 46864.5 s → RTT 6.125 s.
        let mut t = RttTracker::default();
        let sr = SenderSummary {
            ntp_sec: Some(0xB705),
            ntp_low: Some(0x2000_0000),
            ..Default::default()
        };
        t.saw_sr(&sr, 46_853_125_000);
        let rr = BlockSummary {
            lsr: Some(0xB705_2000),
            dlsr: Some(0x0005_4000),
            ..Default::default()
        };
        assert_eq!(t.rtt_ms(&rr, 46_864_500_000), Some(6125.0));
        let rr_fast = BlockSummary {
            lsr: Some(0xB705_2000),
            dlsr: Some(0x0000_8000),
            ..Default::default()
        };
        assert_eq!(t.rtt_ms(&rr_fast, 46_853_725_000), Some(100.0));
    }
}
