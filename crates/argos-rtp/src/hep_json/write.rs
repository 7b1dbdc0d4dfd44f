//! Compound RTCP → heplify-shaped JSON.

use serde::Serialize;

use super::HepJsonError;
use crate::rtcp::{ReportBlock, RtcpPacket, VoipMetrics};

#[derive(Serialize, Default)]
struct SenderInformation {
    ntp_timestamp_sec: u32,
    /// The raw NTP fraction (the name is historical).
    ntp_timestamp_usec: u32,
    rtp_timestamp: u32,
    packets: u32,
    octets: u32,
}

#[derive(Serialize)]
struct ReportBlockJson {
    source_ssrc: u32,
    fraction_lost: u8,
    packets_lost: i32,
    highest_seq_no: u32,
    ia_jitter: u32,
    lsr: u32,
    dlsr: u32,
}

impl From<ReportBlock> for ReportBlockJson {
    fn from(b: ReportBlock) -> Self {
        ReportBlockJson {
            source_ssrc: b.ssrc,
            fraction_lost: b.fraction_lost,
            packets_lost: b.cumulative_lost,
            highest_seq_no: b.highest_seq,
            ia_jitter: b.jitter,
            lsr: b.lsr,
            dlsr: b.dlsr,
        }
    }
}

/// heplify v1's `report_blocks_xr` (raw octets, not scaled).
#[derive(Serialize, Default)]
struct XrJson {
    #[serde(rename = "type")]
    block_type: u8,
    id: u32,
    fraction_lost: u8,
    fraction_discard: u8,
    burst_density: u8,
    gap_density: u8,
    burst_duration: u16,
    gap_duration: u16,
    round_trip_delay: u16,
    end_system_delay: u16,
}

/// The newer heplify `voip_metrics` object (MOS as a float score).
#[derive(Serialize)]
struct VoipMetricsJson {
    ssrc: u32,
    loss_rate: u8,
    discard_rate: u8,
    burst_density: u8,
    gap_density: u8,
    burst_duration: u16,
    gap_duration: u16,
    round_trip_delay: u16,
    end_system_delay: u16,
    signal_level: i8,
    noise_level: i8,
    rerl: u8,
    gmin: u8,
    r_factor: u8,
    ext_r_factor: u8,
    mos_cq: f64,
    mos_lq: f64,
    rx_config: u8,
    jb_nominal: u16,
    jb_maximum: u16,
    jb_abs_max: u16,
}

impl From<&VoipMetrics> for VoipMetricsJson {
    fn from(m: &VoipMetrics) -> Self {
        VoipMetricsJson {
            ssrc: m.ssrc,
            loss_rate: m.loss_rate,
            discard_rate: m.discard_rate,
            burst_density: m.burst_density,
            gap_density: m.gap_density,
            burst_duration: m.burst_duration,
            gap_duration: m.gap_duration,
            round_trip_delay: m.round_trip_delay,
            end_system_delay: m.end_system_delay,
            signal_level: m.signal_level,
            noise_level: m.noise_level,
            rerl: m.rerl,
            gmin: m.gmin,
            r_factor: m.r_factor,
            ext_r_factor: m.ext_r_factor,
            mos_cq: f64::from(m.mos_cq) / 10.0,
            mos_lq: f64::from(m.mos_lq) / 10.0,
            rx_config: m.rx_config,
            jb_nominal: m.jb_nominal,
            jb_maximum: m.jb_maximum,
            jb_abs_max: m.jb_abs_max,
        }
    }
}

#[derive(Serialize)]
struct RtcpJson {
    sender_information: SenderInformation,
    ssrc: u32,
    #[serde(rename = "type")]
    packet_type: u8,
    report_count: usize,
    report_blocks: Vec<ReportBlockJson>,
    report_blocks_xr: XrJson,
    sdes_ssrc: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    voip_metrics: Option<VoipMetricsJson>,
}

fn build(packets: &[RtcpPacket<'_>]) -> Result<RtcpJson, HepJsonError> {
    let mut out = RtcpJson {
        sender_information: SenderInformation::default(),
        ssrc: 0,
        packet_type: 0,
        report_count: 0,
        report_blocks: Vec::new(),
        report_blocks_xr: XrJson::default(),
        sdes_ssrc: 0,
        voip_metrics: None,
    };
    // `type`/`ssrc` come from the first SR/RR (a compound starts with one), else the
    // first XR, else the first SDES.
    let mut identified = false;
    let mut sdes_seen = false;
    let mut xr_seen = false;
    for p in packets {
        match p {
            RtcpPacket::SenderReport(sr) => {
                if !identified {
                    identified = true;
                    out.ssrc = sr.ssrc;
                    out.packet_type = p.packet_type();
                    out.sender_information = SenderInformation {
                        ntp_timestamp_sec: sr.info.ntp_sec,
                        ntp_timestamp_usec: sr.info.ntp_frac,
                        rtp_timestamp: sr.info.rtp_timestamp,
                        packets: sr.info.packet_count,
                        octets: sr.info.octet_count,
                    };
                }
                out.report_blocks.extend(sr.reports.iter().map(Into::into));
            }
            RtcpPacket::ReceiverReport(rr) => {
                if !identified {
                    identified = true;
                    out.ssrc = rr.ssrc;
                    out.packet_type = p.packet_type();
                }
                out.report_blocks.extend(rr.reports.iter().map(Into::into));
            }
            RtcpPacket::SourceDescription(s) => {
                if let (false, Some(c)) = (sdes_seen, s.chunks().next()) {
                    sdes_seen = true;
                    out.sdes_ssrc = c.ssrc;
                }
            }
            RtcpPacket::ExtendedReport(x) => {
                xr_seen = true;
                if let (None, Some(m)) = (&out.voip_metrics, x.voip_metrics()) {
                    out.report_blocks_xr = XrJson {
                        block_type: crate::rtcp::xr::block_type::VOIP_METRICS,
                        id: m.ssrc,
                        fraction_lost: m.loss_rate,
                        fraction_discard: m.discard_rate,
                        burst_density: m.burst_density,
                        gap_density: m.gap_density,
                        burst_duration: m.burst_duration,
                        gap_duration: m.gap_duration,
                        round_trip_delay: m.round_trip_delay,
                        end_system_delay: m.end_system_delay,
                    };
                    out.voip_metrics = Some((&m).into());
                }
            }
            _ => {}
        }
    }
    if !identified {
        if let Some(RtcpPacket::ExtendedReport(x)) = packets
            .iter()
            .find(|p| matches!(p, RtcpPacket::ExtendedReport(_)))
        {
            out.ssrc = x.ssrc;
            out.packet_type = crate::rtcp::packet_type::XR;
        } else if sdes_seen {
            out.ssrc = out.sdes_ssrc;
            out.packet_type = crate::rtcp::packet_type::SDES;
        } else if !xr_seen {
            return Err(HepJsonError::NothingToReport);
        }
    }
    out.report_count = out.report_blocks.len();
    Ok(out)
}

/// The heplify-shaped JSON text of a compound packet's decoded packets (see the module
/// docs). `NothingToReport` when there is no SR, RR, SDES or XR.
pub fn to_json(packets: &[RtcpPacket<'_>]) -> Result<String, HepJsonError> {
    Ok(serde_json::to_string(&build(packets)?)?)
}

/// The same as a `serde_json::Value`.
pub fn to_value(packets: &[RtcpPacket<'_>]) -> Result<serde_json::Value, HepJsonError> {
    Ok(serde_json::to_value(build(packets)?)?)
}
