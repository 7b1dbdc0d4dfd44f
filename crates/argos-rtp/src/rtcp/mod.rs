//! Zero-copy decoding of (compound) RTCP packets: RFC 3550 SR, RR, SDES, BYE, APP;
//! RFC 4585 RTPFB/PSFB (header only); RFC 3611 XR (see [`xr`]).
//!
//! [`decode`] walks a compound packet `(length + 1) * 4` bytes at a time and returns
//! every packet that decoded, plus the first error (if any) — the packets before a bad
//! one are kept. Each packet is checked against its own length field: counts that need
//! more bytes than the packet holds are errors, never reads past the end.

mod sdes;
pub mod xr;

pub use sdes::{SdesChunk, SdesChunks, SdesItem, SdesItemType, SdesItems};
pub use xr::{VoipMetrics, XrBlock, XrBlocks};

use crate::bytes::{be16, be32, byte};
pub use crate::error::RtcpError;

/// RTCP packet type numbers (RFC 3550, 4585, 3611).
pub mod packet_type {
    /// Sender report.
    pub const SR: u8 = 200;
    /// Receiver report.
    pub const RR: u8 = 201;
    /// Source description.
    pub const SDES: u8 = 202;
    /// Goodbye.
    pub const BYE: u8 = 203;
    /// Application-defined.
    pub const APP: u8 = 204;
    /// Transport-layer feedback (RFC 4585).
    pub const RTPFB: u8 = 205;
    /// Payload-specific feedback (RFC 4585).
    pub const PSFB: u8 = 206;
    /// Extended report (RFC 3611).
    pub const XR: u8 = 207;
}

/// Size of one SR/RR report block.
pub const REPORT_BLOCK_LEN: usize = 24;

/// The 4-byte header every RTCP packet starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// P bit: the last octet of the packet counts padding octets.
    pub padding: bool,
    /// The 5-bit count field: report count (SR/RR), source count (SDES/BYE), subtype
    /// (APP) or FMT (RTPFB/PSFB).
    pub count: u8,
    /// Packet type (200..=207 for the types decoded here).
    pub packet_type: u8,
    /// Whole packet length in bytes, header and padding included (`(length + 1) * 4`).
    pub len: usize,
}

/// One decoded RTCP packet, borrowing from the input buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtcpPacket<'a> {
    /// PT 200.
    SenderReport(SenderReport<'a>),
    /// PT 201.
    ReceiverReport(ReceiverReport<'a>),
    /// PT 202.
    SourceDescription(SourceDescription<'a>),
    /// PT 203.
    Goodbye(Goodbye<'a>),
    /// PT 204.
    App(App<'a>),
    /// PT 205 / 206: recognised, only the common feedback header is decoded.
    Feedback(Feedback<'a>),
    /// PT 207.
    ExtendedReport(ExtendedReport<'a>),
    /// Any other packet type (skipped by its length).
    Unknown {
        /// The header.
        header: Header,
        /// Bytes after the 4-byte header, padding removed.
        body: &'a [u8],
    },
}

impl RtcpPacket<'_> {
    /// The RTCP packet type number.
    pub fn packet_type(&self) -> u8 {
        match self {
            RtcpPacket::SenderReport(_) => packet_type::SR,
            RtcpPacket::ReceiverReport(_) => packet_type::RR,
            RtcpPacket::SourceDescription(_) => packet_type::SDES,
            RtcpPacket::Goodbye(_) => packet_type::BYE,
            RtcpPacket::App(_) => packet_type::APP,
            RtcpPacket::Feedback(f) => f.packet_type,
            RtcpPacket::ExtendedReport(_) => packet_type::XR,
            RtcpPacket::Unknown { header, .. } => header.packet_type,
        }
    }

    /// SSRC of the packet's sender, where the packet type has one (SR, RR, APP,
    /// feedback, XR; the first chunk's SSRC for SDES and the first source for BYE).
    pub fn sender_ssrc(&self) -> Option<u32> {
        match self {
            RtcpPacket::SenderReport(p) => Some(p.ssrc),
            RtcpPacket::ReceiverReport(p) => Some(p.ssrc),
            RtcpPacket::SourceDescription(p) => p.chunks().next().map(|c| c.ssrc),
            RtcpPacket::Goodbye(p) => p.sources().next(),
            RtcpPacket::App(p) => Some(p.ssrc),
            RtcpPacket::Feedback(p) => Some(p.sender_ssrc),
            RtcpPacket::ExtendedReport(p) => Some(p.ssrc),
            RtcpPacket::Unknown { .. } => None,
        }
    }
}

/// The sender information of an SR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// NTP timestamp, seconds since 1900 (most significant word).
    pub ntp_sec: u32,
    /// NTP timestamp fraction (least significant word, units of 2^-32 s).
    pub ntp_frac: u32,
    /// RTP timestamp of the same instant.
    pub rtp_timestamp: u32,
    /// Sender's packet count.
    pub packet_count: u32,
    /// Sender's payload octet count.
    pub octet_count: u32,
}

impl SenderInfo {
    /// The middle 32 bits of the NTP timestamp: what receivers echo as LSR.
    pub fn ntp_middle(&self) -> u32 {
        (self.ntp_sec << 16) | (self.ntp_frac >> 16)
    }
}

/// SR (PT 200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderReport<'a> {
    /// SSRC of the sender.
    pub ssrc: u32,
    /// NTP/RTP timestamps and counts.
    pub info: SenderInfo,
    /// The report blocks (count from the header).
    pub reports: ReportBlocks<'a>,
    /// Profile-specific extension bytes after the report blocks.
    pub extension: &'a [u8],
}

/// RR (PT 201).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverReport<'a> {
    /// SSRC of the packet's sender.
    pub ssrc: u32,
    /// The report blocks (count from the header, may be 0).
    pub reports: ReportBlocks<'a>,
    /// Profile-specific extension bytes after the report blocks.
    pub extension: &'a [u8],
}

/// One reception report block (24 bytes) of an SR or RR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// SSRC of the source this block reports on.
    pub ssrc: u32,
    /// Fraction lost since the previous report, fixed point x/256.
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit two's complement, sign-extended: negative when
    /// duplicates outnumber losses).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received (cycles << 16 | max seq).
    pub highest_seq: u32,
    /// Interarrival jitter, RTP timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR received from `ssrc` (0: none).
    pub lsr: u32,
    /// Delay since that SR, units of 1/65536 s.
    pub dlsr: u32,
}

impl ReportBlock {
    fn decode(b: &[u8]) -> ReportBlock {
        let lost = be32(b, 4) & 0x00FF_FFFF;
        // Sign-extend the 24-bit field.
        let cumulative_lost = ((lost << 8) as i32) >> 8;
        ReportBlock {
            ssrc: be32(b, 0),
            fraction_lost: byte(b, 4),
            cumulative_lost,
            highest_seq: be32(b, 8),
            jitter: be32(b, 12),
            lsr: be32(b, 16),
            dlsr: be32(b, 20),
        }
    }

    /// Fraction lost as a percentage (0..=99.6).
    pub fn fraction_lost_percent(&self) -> f64 {
        f64::from(self.fraction_lost) * 100.0 / 256.0
    }

    /// Round-trip time in seconds seen from the SR sender that receives this block at
    /// `arrival_ntp_middle` (middle 32 bits of its NTP clock): `A − LSR − DLSR`
    /// (RFC 3550 §6.4.1). `None` when LSR is 0 (no SR received) or the result is negative.
    pub fn round_trip_s(&self, arrival_ntp_middle: u32) -> Option<f64> {
        if self.lsr == 0 {
            return None;
        }
        let rtt = i64::from(arrival_ntp_middle) - i64::from(self.lsr) - i64::from(self.dlsr);
        (rtt >= 0).then(|| rtt as f64 / 65536.0)
    }
}

/// The report blocks of an SR/RR, decoded on iteration. Length-checked when the packet
/// was decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlocks<'a> {
    raw: &'a [u8],
}

impl<'a> ReportBlocks<'a> {
    /// Number of blocks.
    pub fn len(&self) -> usize {
        self.raw.len() / REPORT_BLOCK_LEN
    }

    /// True when there are no blocks.
    pub fn is_empty(&self) -> bool {
        self.raw.len() < REPORT_BLOCK_LEN
    }

    /// The first block, if any.
    pub fn first(&self) -> Option<ReportBlock> {
        self.iter().next()
    }

    /// Iterates over the blocks.
    pub fn iter(&self) -> impl Iterator<Item = ReportBlock> + 'a {
        self.raw
            .chunks_exact(REPORT_BLOCK_LEN)
            .map(ReportBlock::decode)
    }
}

/// SDES (PT 202).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceDescription<'a> {
    count: u8,
    raw: &'a [u8],
}

impl<'a> SourceDescription<'a> {
    /// Number of chunks (SC).
    pub fn count(&self) -> u8 {
        self.count
    }

    /// The chunks (validated when the packet was decoded).
    pub fn chunks(&self) -> SdesChunks<'a> {
        SdesChunks::new(self.raw, self.count)
    }
}

/// BYE (PT 203).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Goodbye<'a> {
    sources: &'a [u8],
    /// Optional reason for leaving (raw bytes, normally UTF-8).
    pub reason: Option<&'a [u8]>,
}

impl<'a> Goodbye<'a> {
    /// The SSRC/CSRC identifiers leaving.
    pub fn sources(&self) -> impl Iterator<Item = u32> + 'a {
        self.sources.chunks_exact(4).map(|c| be32(c, 0))
    }
}

/// APP (PT 204).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct App<'a> {
    /// 5-bit subtype.
    pub subtype: u8,
    /// SSRC/CSRC.
    pub ssrc: u32,
    /// Four ASCII characters.
    pub name: [u8; 4],
    /// Application-dependent data.
    pub data: &'a [u8],
}

/// RTPFB / PSFB (PT 205 / 206, RFC 4585): the common feedback header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feedback<'a> {
    /// 205 or 206.
    pub packet_type: u8,
    /// FMT (e.g. 1 = generic NACK for RTPFB, 1 = PLI / 4 = FIR / 15 = AFB for PSFB).
    pub fmt: u8,
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source.
    pub media_ssrc: u32,
    /// Feedback control information (not decoded).
    pub fci: &'a [u8],
}

/// XR (PT 207).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtendedReport<'a> {
    /// SSRC of the packet's sender.
    pub ssrc: u32,
    raw: &'a [u8],
}

impl<'a> ExtendedReport<'a> {
    /// The report blocks (validated when the packet was decoded).
    pub fn blocks(&self) -> XrBlocks<'a> {
        XrBlocks::new(self.raw)
    }

    /// The first VoIP Metrics block (BT 7), if any.
    pub fn voip_metrics(&self) -> Option<VoipMetrics> {
        self.blocks().find_map(|b| match b {
            XrBlock::VoipMetrics(m) => Some(m),
            _ => None,
        })
    }
}

/// The packets of a compound RTCP packet, and the error that stopped decoding, if any.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Compound<'a> {
    /// Packets decoded before the first error, in order.
    pub packets: Vec<RtcpPacket<'a>>,
    /// The error that ended decoding (the rest of the buffer was not read).
    pub error: Option<RtcpError>,
}

impl<'a> Compound<'a> {
    /// `Ok(packets)` when the whole buffer decoded, else the error.
    pub fn into_result(self) -> Result<Vec<RtcpPacket<'a>>, RtcpError> {
        match self.error {
            None => Ok(self.packets),
            Some(e) => Err(e),
        }
    }

    /// The first SR or RR, the packet a compound must start with (RFC 3550 §6.1).
    pub fn first_report(&self) -> Option<&RtcpPacket<'a>> {
        self.packets.iter().find(|p| {
            matches!(
                p,
                RtcpPacket::SenderReport(_) | RtcpPacket::ReceiverReport(_)
            )
        })
    }
}

/// Decodes a (compound) RTCP packet: every packet until the end of `buf` or the first
/// error. An empty buffer is `TooShort`.
pub fn decode(buf: &[u8]) -> Compound<'_> {
    let mut out = Compound::default();
    if buf.is_empty() {
        out.error = Some(RtcpError::TooShort {
            offset: 0,
            need: 4,
            have: 0,
        });
        return out;
    }
    let mut offset = 0;
    while offset < buf.len() {
        let rest = buf.get(offset..).unwrap_or_default();
        match decode_one(rest, offset) {
            Ok((p, len)) => {
                out.packets.push(p);
                offset += len;
            }
            Err(e) => {
                out.error = Some(e);
                break;
            }
        }
    }
    out
}

/// Iterates over the packets of a compound RTCP packet without allocating; yields
/// `Err` once and stops at the first bad packet.
pub fn packets(buf: &[u8]) -> Packets<'_> {
    Packets {
        buf,
        offset: 0,
        done: false,
    }
}

/// Iterator returned by [`packets`].
#[derive(Debug, Clone)]
pub struct Packets<'a> {
    buf: &'a [u8],
    offset: usize,
    done: bool,
}

impl<'a> Iterator for Packets<'a> {
    type Item = Result<RtcpPacket<'a>, RtcpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.offset >= self.buf.len() {
            return None;
        }
        let rest = self.buf.get(self.offset..).unwrap_or_default();
        match decode_one(rest, self.offset) {
            Ok((p, len)) => {
                self.offset += len;
                Some(Ok(p))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Reads and checks the 4-byte header of the packet at the start of `buf`.
pub fn decode_header(buf: &[u8], offset: usize) -> Result<Header, RtcpError> {
    if buf.len() < 4 {
        return Err(RtcpError::TooShort {
            offset,
            need: 4,
            have: buf.len(),
        });
    }
    let b0 = byte(buf, 0);
    let version = b0 >> 6;
    if version != 2 {
        return Err(RtcpError::BadVersion { offset, version });
    }
    let len = (usize::from(be16(buf, 2)) + 1) * 4;
    if len > buf.len() {
        return Err(RtcpError::LengthOverrun {
            offset,
            declared: len,
            available: buf.len(),
        });
    }
    Ok(Header {
        padding: b0 & 0x20 != 0,
        count: b0 & 0x1F,
        packet_type: byte(buf, 1),
        len,
    })
}

/// Decodes the packet at the start of `buf` (`offset` only labels errors); returns it
/// and its length.
fn decode_one(buf: &[u8], offset: usize) -> Result<(RtcpPacket<'_>, usize), RtcpError> {
    let h = decode_header(buf, offset)?;
    let packet = buf.get(..h.len).unwrap_or_default();
    let mut body = packet.get(4..).unwrap_or_default();
    if h.padding {
        let count = byte(packet, h.len - 1);
        if count == 0 || usize::from(count) > body.len() {
            return Err(RtcpError::BadPadding {
                offset,
                count,
                body: body.len(),
            });
        }
        body = body
            .get(..body.len() - usize::from(count))
            .unwrap_or_default();
    }
    let too_short = |need: usize| RtcpError::TooShort {
        offset,
        need: need + 4,
        have: body.len() + 4,
    };
    let p = match h.packet_type {
        packet_type::SR | packet_type::RR => {
            let fixed = if h.packet_type == packet_type::SR {
                24
            } else {
                4
            };
            if body.len() < fixed {
                return Err(too_short(fixed));
            }
            let blocks_len = usize::from(h.count) * REPORT_BLOCK_LEN;
            let after = body.get(fixed..).unwrap_or_default();
            if after.len() < blocks_len {
                return Err(RtcpError::CountOverrun {
                    offset,
                    packet_type: h.packet_type,
                    count: h.count,
                    need: 4 + fixed + blocks_len,
                    have: 4 + body.len(),
                });
            }
            let (raw, extension) = after.split_at(blocks_len);
            let reports = ReportBlocks { raw };
            let ssrc = be32(body, 0);
            if h.packet_type == packet_type::SR {
                RtcpPacket::SenderReport(SenderReport {
                    ssrc,
                    info: SenderInfo {
                        ntp_sec: be32(body, 4),
                        ntp_frac: be32(body, 8),
                        rtp_timestamp: be32(body, 12),
                        packet_count: be32(body, 16),
                        octet_count: be32(body, 20),
                    },
                    reports,
                    extension,
                })
            } else {
                RtcpPacket::ReceiverReport(ReceiverReport {
                    ssrc,
                    reports,
                    extension,
                })
            }
        }
        packet_type::SDES => {
            sdes::validate(body, h.count, offset)?;
            RtcpPacket::SourceDescription(SourceDescription {
                count: h.count,
                raw: body,
            })
        }
        packet_type::BYE => {
            let n = usize::from(h.count) * 4;
            if body.len() < n {
                return Err(RtcpError::CountOverrun {
                    offset,
                    packet_type: h.packet_type,
                    count: h.count,
                    need: 4 + n,
                    have: 4 + body.len(),
                });
            }
            let (sources, rest) = body.split_at(n);
            let reason = match rest.first() {
                None => None,
                Some(&len) => Some(
                    rest.get(1..1 + usize::from(len))
                        .ok_or(RtcpError::ByeReasonTruncated { offset })?,
                ),
            };
            RtcpPacket::Goodbye(Goodbye { sources, reason })
        }
        packet_type::APP => {
            if body.len() < 8 {
                return Err(too_short(8));
            }
            RtcpPacket::App(App {
                subtype: h.count,
                ssrc: be32(body, 0),
                name: [byte(body, 4), byte(body, 5), byte(body, 6), byte(body, 7)],
                data: body.get(8..).unwrap_or_default(),
            })
        }
        packet_type::RTPFB | packet_type::PSFB => {
            if body.len() < 8 {
                return Err(too_short(8));
            }
            RtcpPacket::Feedback(Feedback {
                packet_type: h.packet_type,
                fmt: h.count,
                sender_ssrc: be32(body, 0),
                media_ssrc: be32(body, 4),
                fci: body.get(8..).unwrap_or_default(),
            })
        }
        packet_type::XR => {
            if body.len() < 4 {
                return Err(too_short(4));
            }
            let raw = body.get(4..).unwrap_or_default();
            xr::validate(raw, offset)?;
            RtcpPacket::ExtendedReport(ExtendedReport {
                ssrc: be32(body, 0),
                raw,
            })
        }
        _ => RtcpPacket::Unknown { header: h, body },
    };
    Ok((p, h.len))
}

/// Whether `buf` looks like an RTCP datagram: version 2, first packet type 200..=207,
/// and the packets' length fields (each version 2) add up exactly to `buf.len()`.
pub fn looks_like_rtcp(buf: &[u8]) -> bool {
    if !matches!(buf.get(1), Some(200..=207)) {
        return false;
    }
    let mut at = 0;
    while at < buf.len() {
        match decode_header(buf.get(at..).unwrap_or_default(), at) {
            Ok(h) => at += h.len,
            Err(_) => return false,
        }
    }
    at == buf.len()
}

/// Whether a packet received on a port carrying both RTP and RTCP (rtcp-mux, RFC 5761
/// §4) is RTCP: version 2 and second octet 200..=223 (the range RTP payload types
/// 72..=95 with the marker bit would occupy, which RFC 5761 keeps free for RTCP).
pub fn is_muxed_rtcp(buf: &[u8]) -> bool {
    buf.len() >= 8 && byte(buf, 0) >> 6 == 2 && matches!(byte(buf, 1), 200..=223)
}
