//! Tolerant reader of proto-5 RTCP JSON from any producer.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::HepJsonError;

/// What the collector stores of one RTCP JSON report. Every field is optional: producers
/// leave keys out, send `null`, or send values that do not fit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RtcpReport {
    /// RTCP packet type (`type`: 200 SR, 201 RR, 202 SDES, 207 XR).
    pub packet_type: Option<u8>,
    /// Sender SSRC (`ssrc`).
    pub ssrc: Option<u32>,
    /// `sender_information`, when present with at least one non-zero value.
    pub sender: Option<SenderSummary>,
    /// `report_blocks`, in order.
    pub blocks: Vec<BlockSummary>,
    /// XR VoIP metrics (`voip_metrics`, else a non-empty `report_blocks_xr`).
    pub xr: Option<XrSummary>,
    /// `sdes_ssrc`.
    pub sdes_ssrc: Option<u32>,
}

/// `sender_information`, values as sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SenderSummary {
    /// `ntp_timestamp_sec`.
    pub ntp_sec: Option<u64>,
    /// `ntp_timestamp_usec`: the raw NTP fraction from most producers, microseconds
    /// from Asterisk.
    pub ntp_low: Option<u64>,
    /// `rtp_timestamp`.
    pub rtp_timestamp: Option<u32>,
    /// `packets`.
    pub packets: Option<u32>,
    /// `octets`.
    pub octets: Option<u32>,
}

/// One entry of `report_blocks`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct BlockSummary {
    /// `source_ssrc`.
    pub source_ssrc: Option<u32>,
    /// `fraction_lost` (x/256).
    pub fraction_lost: Option<u8>,
    /// `packets_lost`, cumulative, signed (an unsigned 24-bit value is sign-extended).
    pub cumulative_lost: Option<i32>,
    /// `highest_seq_no`.
    pub highest_seq: Option<u32>,
    /// `ia_jitter`, RTP timestamp units.
    pub jitter: Option<u32>,
    /// `lsr`.
    pub lsr: Option<u32>,
    /// `dlsr`, 1/65536 s.
    pub dlsr: Option<u32>,
}

impl BlockSummary {
    /// Fraction lost as a percentage.
    pub fn fraction_lost_percent(&self) -> Option<f64> {
        self.fraction_lost.map(|f| f64::from(f) * 100.0 / 256.0)
    }

    /// Jitter in ms for a stream with clock rate `clock_rate` Hz.
    pub fn jitter_ms(&self, clock_rate: u32) -> Option<f64> {
        if clock_rate == 0 {
            return None;
        }
        self.jitter
            .map(|j| f64::from(j) * 1000.0 / f64::from(clock_rate))
    }

    /// The HOMER-style MOS estimate (see [`crate::mos`]) for clock rate `clock_rate`.
    pub fn mos(&self, clock_rate: u32) -> Option<f64> {
        let loss = self.fraction_lost_percent()?;
        let jitter = self.jitter_ms(clock_rate).unwrap_or(0.0);
        Some(crate::mos::homer_mos(loss, jitter, 0.0).mos)
    }
}

/// XR VoIP Metrics summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct XrSummary {
    /// SSRC reported on.
    pub ssrc: Option<u32>,
    /// Loss rate, x/256.
    pub loss_rate: Option<u8>,
    /// Discard rate, x/256.
    pub discard_rate: Option<u8>,
    /// Burst density, x/256.
    pub burst_density: Option<u8>,
    /// Gap density, x/256.
    pub gap_density: Option<u8>,
    /// Mean burst duration, ms.
    pub burst_duration: Option<u16>,
    /// Mean gap duration, ms.
    pub gap_duration: Option<u16>,
    /// Round-trip delay, ms.
    pub round_trip_delay: Option<u16>,
    /// End-system delay, ms.
    pub end_system_delay: Option<u16>,
    /// R factor (0..=100).
    pub r_factor: Option<u8>,
    /// MOS-LQ score.
    pub mos_lq: Option<f64>,
    /// MOS-CQ score.
    pub mos_cq: Option<f64>,
}

impl RtcpReport {
    /// The endpoint-reported MOS (XR MOS-CQ, else MOS-LQ), else the estimate from the
    /// first report block for clock `clock_rate`.
    pub fn mos(&self, clock_rate: u32) -> Option<f64> {
        let reported = self.xr.and_then(|x| x.mos_cq.or(x.mos_lq));
        reported.or_else(|| self.blocks.first().and_then(|b| b.mos(clock_rate)))
    }
}

/// Reads one proto-5 RTCP JSON payload.
pub fn read_report(json: &[u8]) -> Result<RtcpReport, HepJsonError> {
    let v: Value = serde_json::from_slice(json)?;
    let Value::Object(o) = v else {
        return Err(HepJsonError::NotAnObject);
    };
    let sender = o
        .get("sender_information")
        .and_then(Value::as_object)
        .and_then(|s| {
            let sum = SenderSummary {
                ntp_sec: u64_of(s.get("ntp_timestamp_sec")),
                ntp_low: u64_of(s.get("ntp_timestamp_usec")),
                rtp_timestamp: u32_of(s.get("rtp_timestamp")),
                packets: u32_of(s.get("packets")),
                octets: u32_of(s.get("octets")),
            };
            // heplify writes all zeros for an RR.
            let zero = [sum.ntp_sec, sum.ntp_low]
                .iter()
                .all(|v| v.unwrap_or(0) == 0)
                && [sum.rtp_timestamp, sum.packets, sum.octets]
                    .iter()
                    .all(|v| v.unwrap_or(0) == 0);
            (!zero).then_some(sum)
        });
    let blocks = o
        .get("report_blocks")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_object).map(block).collect())
        .unwrap_or_default();
    let xr = o
        .get("voip_metrics")
        .and_then(Value::as_object)
        .map(voip_metrics)
        .or_else(|| {
            o.get("report_blocks_xr")
                .and_then(Value::as_object)
                .and_then(report_blocks_xr)
        });
    Ok(RtcpReport {
        packet_type: int_of(o.get("type")).and_then(|t| u8::try_from(t).ok()),
        ssrc: u32_of(o.get("ssrc")),
        sender,
        blocks,
        xr,
        sdes_ssrc: u32_of(o.get("sdes_ssrc")).filter(|&s| s != 0),
    })
}

fn block(b: &Map<String, Value>) -> BlockSummary {
    BlockSummary {
        source_ssrc: u32_of(b.get("source_ssrc")),
        fraction_lost: int_of(b.get("fraction_lost")).and_then(|v| u8::try_from(v).ok()),
        cumulative_lost: int_of(b.get("packets_lost")).and_then(lost_24),
        highest_seq: u32_of(b.get("highest_seq_no")),
        jitter: u32_of(b.get("ia_jitter")),
        lsr: u32_of(b.get("lsr")),
        dlsr: u32_of(b.get("dlsr")),
    }
}

fn voip_metrics(m: &Map<String, Value>) -> XrSummary {
    XrSummary {
        ssrc: u32_of(m.get("ssrc")),
        loss_rate: u8_of(m.get("loss_rate")),
        discard_rate: u8_of(m.get("discard_rate")),
        burst_density: u8_of(m.get("burst_density")),
        gap_density: u8_of(m.get("gap_density")),
        burst_duration: u16_of(m.get("burst_duration")),
        gap_duration: u16_of(m.get("gap_duration")),
        round_trip_delay: u16_of(m.get("round_trip_delay")),
        end_system_delay: u16_of(m.get("end_system_delay")),
        r_factor: u8_of(m.get("r_factor")).filter(|&r| r <= 100),
        mos_lq: score_of(m.get("mos_lq")),
        mos_cq: score_of(m.get("mos_cq")),
    }
}

/// heplify v1's `report_blocks_xr`; `None` when it is the all-zero placeholder.
fn report_blocks_xr(m: &Map<String, Value>) -> Option<XrSummary> {
    if int_of(m.get("type")).unwrap_or(0) == 0 {
        return None;
    }
    Some(XrSummary {
        ssrc: u32_of(m.get("id")),
        loss_rate: u8_of(m.get("fraction_lost")),
        discard_rate: u8_of(m.get("fraction_discard")),
        burst_density: u8_of(m.get("burst_density")),
        gap_density: u8_of(m.get("gap_density")),
        burst_duration: u16_of(m.get("burst_duration")),
        gap_duration: u16_of(m.get("gap_duration")),
        round_trip_delay: u16_of(m.get("round_trip_delay")),
        end_system_delay: u16_of(m.get("end_system_delay")),
        ..XrSummary::default()
    })
}

/// A JSON number or numeric string as an integer (floats truncated, `0x` hex strings
/// accepted); `None` for anything else.
fn int_of(v: Option<&Value>) -> Option<i128> {
    match v? {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .or_else(|| n.as_f64().and_then(float_int)),
        Value::String(s) => {
            let s = s.trim();
            if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                return i128::from_str_radix(hex, 16).ok();
            }
            s.parse::<i128>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(float_int))
        }
        _ => None,
    }
}

fn float_int(f: f64) -> Option<i128> {
    (f.is_finite() && f.abs() < 1e30).then_some(f.trunc() as i128)
}

/// A 32-bit field: unsigned, or a signed rendering of one (hepgen writes `lsr` as a
/// negative int32).
fn u32_of(v: Option<&Value>) -> Option<u32> {
    let i = int_of(v)?;
    if let Ok(u) = u32::try_from(i) {
        return Some(u);
    }
    i32::try_from(i).ok().map(|s| s as u32)
}

fn u64_of(v: Option<&Value>) -> Option<u64> {
    int_of(v).and_then(|i| u64::try_from(i).ok())
}

fn u16_of(v: Option<&Value>) -> Option<u16> {
    int_of(v).and_then(|i| u16::try_from(i).ok())
}

fn u8_of(v: Option<&Value>) -> Option<u8> {
    int_of(v).and_then(|i| u8::try_from(i).ok())
}

/// Cumulative lost: signed values as they are; unsigned 24-bit renderings of negative
/// values (heplify, rtpengine) sign-extended.
fn lost_24(i: i128) -> Option<i32> {
    if (0x80_0000..=0xFF_FFFF).contains(&i) {
        return Some((i - 0x100_0000) as i32);
    }
    i32::try_from(i).ok()
}

/// A MOS score: a float 1..=5, or an octet ×10 (10..=50).
fn score_of(v: Option<&Value>) -> Option<f64> {
    let f = match v? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    if (1.0..=5.0).contains(&f) {
        Some(f)
    } else if (10.0..=50.0).contains(&f) {
        Some(f / 10.0)
    } else {
        None
    }
}
