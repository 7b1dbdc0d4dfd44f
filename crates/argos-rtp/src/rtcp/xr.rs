//! RTCP XR report blocks (RFC 3611): VoIP Metrics (BT 7) and Receiver Reference Time
//! (BT 4) decoded, every other block type kept raw and skipped by its length.

use crate::bytes::{be16, be32, byte};
use crate::error::RtcpError;

/// XR block type numbers.
pub mod block_type {
    /// Loss RLE.
    pub const LOSS_RLE: u8 = 1;
    /// Duplicate RLE.
    pub const DUPLICATE_RLE: u8 = 2;
    /// Packet receipt times.
    pub const RECEIPT_TIMES: u8 = 3;
    /// Receiver reference time.
    pub const RECEIVER_REFERENCE_TIME: u8 = 4;
    /// DLRR.
    pub const DLRR: u8 = 5;
    /// Statistics summary.
    pub const STATISTICS_SUMMARY: u8 = 6;
    /// VoIP metrics.
    pub const VOIP_METRICS: u8 = 7;
}

/// Value of the level, R-factor and MOS octets meaning "unavailable".
pub const UNAVAILABLE: u8 = 127;

/// One XR report block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum XrBlock<'a> {
    /// BT 7.
    VoipMetrics(VoipMetrics),
    /// BT 4: the receiver's NTP time (seconds, fraction).
    ReceiverReferenceTime {
        /// NTP seconds.
        ntp_sec: u32,
        /// NTP fraction.
        ntp_frac: u32,
    },
    /// Any other block type, not decoded.
    Other {
        /// Block type.
        block_type: u8,
        /// The type-specific octet.
        type_specific: u8,
        /// Bytes after the 4-byte block header.
        body: &'a [u8],
    },
}

/// VoIP Metrics report block (RFC 3611 §4.7), raw octet values as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VoipMetrics {
    /// SSRC of the source reported on.
    pub ssrc: u32,
    /// Loss rate, fraction x/256.
    pub loss_rate: u8,
    /// Discard rate, fraction x/256.
    pub discard_rate: u8,
    /// Burst density, fraction x/256.
    pub burst_density: u8,
    /// Gap density, fraction x/256.
    pub gap_density: u8,
    /// Mean burst duration, ms.
    pub burst_duration: u16,
    /// Mean gap duration, ms.
    pub gap_duration: u16,
    /// Round-trip delay, ms.
    pub round_trip_delay: u16,
    /// End-system delay, ms.
    pub end_system_delay: u16,
    /// Signal level, dBm0 (127 = unavailable).
    pub signal_level: i8,
    /// Noise level, dBm0 (127 = unavailable).
    pub noise_level: i8,
    /// Residual echo return loss, dB (127 = unavailable).
    pub rerl: u8,
    /// Gap threshold.
    pub gmin: u8,
    /// R factor 0..=100 (127 = unavailable).
    pub r_factor: u8,
    /// External R factor (127 = unavailable).
    pub ext_r_factor: u8,
    /// MOS-LQ × 10 (127 = unavailable).
    pub mos_lq: u8,
    /// MOS-CQ × 10 (127 = unavailable).
    pub mos_cq: u8,
    /// Receiver configuration byte (PLC, jitter buffer adaptive, rate).
    pub rx_config: u8,
    /// Jitter buffer nominal delay, ms.
    pub jb_nominal: u16,
    /// Jitter buffer maximum delay, ms.
    pub jb_maximum: u16,
    /// Jitter buffer absolute maximum delay, ms.
    pub jb_abs_max: u16,
}

/// Length of the VoIP Metrics block, header included.
pub const VOIP_METRICS_LEN: usize = 36;

impl VoipMetrics {
    fn decode(b: &[u8]) -> VoipMetrics {
        VoipMetrics {
            ssrc: be32(b, 4),
            loss_rate: byte(b, 8),
            discard_rate: byte(b, 9),
            burst_density: byte(b, 10),
            gap_density: byte(b, 11),
            burst_duration: be16(b, 12),
            gap_duration: be16(b, 14),
            round_trip_delay: be16(b, 16),
            end_system_delay: be16(b, 18),
            signal_level: byte(b, 20) as i8,
            noise_level: byte(b, 21) as i8,
            rerl: byte(b, 22),
            gmin: byte(b, 23),
            r_factor: byte(b, 24),
            ext_r_factor: byte(b, 25),
            mos_lq: byte(b, 26),
            mos_cq: byte(b, 27),
            rx_config: byte(b, 28),
            jb_nominal: be16(b, 30),
            jb_maximum: be16(b, 32),
            jb_abs_max: be16(b, 34),
        }
    }

    /// MOS-LQ as a score (1.0..=5.0), `None` when unavailable or out of range.
    pub fn mos_lq_score(&self) -> Option<f64> {
        mos_octet(self.mos_lq)
    }

    /// MOS-CQ as a score (1.0..=5.0), `None` when unavailable or out of range.
    pub fn mos_cq_score(&self) -> Option<f64> {
        mos_octet(self.mos_cq)
    }

    /// R factor, `None` when unavailable (127) or above 100.
    pub fn r_factor_value(&self) -> Option<u8> {
        (self.r_factor <= 100).then_some(self.r_factor)
    }
}

fn mos_octet(v: u8) -> Option<f64> {
    (10..=50).contains(&v).then(|| f64::from(v) / 10.0)
}

/// Iterator over XR report blocks (validated when the packet was decoded).
#[derive(Debug, Clone)]
pub struct XrBlocks<'a> {
    rest: &'a [u8],
}

impl<'a> XrBlocks<'a> {
    pub(crate) fn new(raw: &'a [u8]) -> Self {
        XrBlocks { rest: raw }
    }
}

impl<'a> Iterator for XrBlocks<'a> {
    type Item = XrBlock<'a>;

    fn next(&mut self) -> Option<XrBlock<'a>> {
        let (block, len) = block_at(self.rest, 0).ok()?;
        self.rest = self.rest.get(len..).unwrap_or_default();
        Some(block)
    }
}

fn block_at(b: &[u8], offset: usize) -> Result<(XrBlock<'_>, usize), RtcpError> {
    let block_type = byte(b, 0);
    let truncated = RtcpError::XrBlockTruncated { offset, block_type };
    if b.len() < 4 {
        return Err(truncated);
    }
    let len = (usize::from(be16(b, 2)) + 1) * 4;
    let block = b.get(..len).ok_or(truncated)?;
    let parsed = match block_type {
        block_type::VOIP_METRICS => {
            if len < VOIP_METRICS_LEN {
                return Err(truncated);
            }
            XrBlock::VoipMetrics(VoipMetrics::decode(block))
        }
        block_type::RECEIVER_REFERENCE_TIME => {
            if len < 12 {
                return Err(truncated);
            }
            XrBlock::ReceiverReferenceTime {
                ntp_sec: be32(block, 4),
                ntp_frac: be32(block, 8),
            }
        }
        _ => XrBlock::Other {
            block_type,
            type_specific: byte(block, 1),
            body: block.get(4..).unwrap_or_default(),
        },
    };
    Ok((parsed, len))
}

/// Checks that the blocks tile `raw` exactly.
pub(crate) fn validate(raw: &[u8], offset: usize) -> Result<(), RtcpError> {
    let mut rest = raw;
    while !rest.is_empty() {
        let (_, len) = block_at(rest, offset)?;
        rest = rest.get(len..).unwrap_or_default();
    }
    Ok(())
}
