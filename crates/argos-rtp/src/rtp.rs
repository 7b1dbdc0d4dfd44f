//! RTP fixed header decoding (RFC 3550 §5.1): CSRC list, header extension, padding.

use crate::bytes::{be16, be32, byte};
pub use crate::error::RtpError;

/// Most CSRCs a header can list (4-bit count).
pub const MAX_CSRC: usize = 15;

/// A decoded RTP packet, borrowing from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    /// Marker bit.
    pub marker: bool,
    /// Payload type (7 bits).
    pub payload_type: u8,
    /// Sequence number.
    pub sequence: u16,
    /// RTP timestamp.
    pub timestamp: u32,
    /// Synchronisation source.
    pub ssrc: u32,
    csrc: &'a [u8],
    /// Header extension: profile-defined id and data (without its 4-byte header).
    pub extension: Option<(u16, &'a [u8])>,
    /// Payload, padding removed.
    pub payload: &'a [u8],
    /// Padding octets removed from the end (0 when the P bit is clear).
    pub padding: u8,
}

impl<'a> RtpPacket<'a> {
    /// The contributing sources.
    pub fn csrcs(&self) -> impl Iterator<Item = u32> + 'a {
        self.csrc.chunks_exact(4).map(|c| be32(c, 0))
    }

    /// Number of CSRCs.
    pub fn csrc_count(&self) -> usize {
        self.csrc.len() / 4
    }
}

/// Decodes an RTP header without checking the padding: `payload` keeps any padding and
/// `padding` is 0. For analysis that, like Wireshark, counts a packet whose padding
/// count is wrong.
pub fn decode_header(buf: &[u8]) -> Result<RtpPacket<'_>, RtpError> {
    let mut unpadded = [0u8; 1];
    unpadded[0] = byte(buf, 0) & !0x20;
    if buf.len() < 12 {
        return Err(RtpError::TooShort {
            need: 12,
            have: buf.len(),
        });
    }
    decode_inner(buf, unpadded[0])
}

/// Decodes an RTP packet. Checks version 2, the CSRC list and extension lengths, and
/// the padding count; does not reject RTCP (see [`crate::rtcp::is_muxed_rtcp`]).
pub fn decode(buf: &[u8]) -> Result<RtpPacket<'_>, RtpError> {
    if buf.len() < 12 {
        return Err(RtpError::TooShort {
            need: 12,
            have: buf.len(),
        });
    }
    decode_inner(buf, byte(buf, 0))
}

/// `b0` is the first octet as it should be read (P bit cleared by `decode_header`).
fn decode_inner(buf: &[u8], b0: u8) -> Result<RtpPacket<'_>, RtpError> {
    let version = b0 >> 6;
    if version != 2 {
        return Err(RtpError::BadVersion { version });
    }
    let b1 = byte(buf, 1);
    let cc = usize::from(b0 & 0x0F);
    let mut at = 12 + cc * 4;
    let csrc = buf.get(12..at).ok_or(RtpError::TooShort {
        need: at,
        have: buf.len(),
    })?;
    let extension = if b0 & 0x10 != 0 {
        if buf.len() < at + 4 {
            return Err(RtpError::TooShort {
                need: at + 4,
                have: buf.len(),
            });
        }
        let id = be16(buf, at);
        let words = usize::from(be16(buf, at + 2));
        let end = at + 4 + words * 4;
        let data = buf.get(at + 4..end).ok_or(RtpError::TooShort {
            need: end,
            have: buf.len(),
        })?;
        at = end;
        Some((id, data))
    } else {
        None
    };
    let mut payload = buf.get(at..).unwrap_or_default();
    let mut padding = 0;
    if b0 & 0x20 != 0 {
        let count = byte(buf, buf.len() - 1);
        if count == 0 || usize::from(count) > payload.len() {
            return Err(RtpError::BadPadding {
                count,
                available: payload.len(),
            });
        }
        padding = count;
        payload = payload
            .get(..payload.len() - usize::from(count))
            .unwrap_or_default();
    }
    Ok(RtpPacket {
        marker: b1 & 0x80 != 0,
        payload_type: b1 & 0x7F,
        sequence: be16(buf, 2),
        timestamp: be32(buf, 4),
        ssrc: be32(buf, 8),
        csrc,
        extension,
        payload,
        padding,
    })
}
