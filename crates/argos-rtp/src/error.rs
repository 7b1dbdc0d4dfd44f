//! Error types. Every variant maps to a stable snake_case `reason()` label meant for a
//! metrics counter.

/// Why an RTCP packet (or the rest of a compound packet) could not be decoded.
///
/// `offset` is the byte offset of the offending RTCP packet inside the buffer given to
/// [`crate::rtcp::decode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtcpError {
    /// Fewer than the 4 header bytes (or the fixed part of a packet type) remain.
    #[error("RTCP packet at offset {offset}: {need} bytes needed, {have} available")]
    TooShort {
        offset: usize,
        need: usize,
        have: usize,
    },
    /// The version field is not 2.
    #[error("RTCP packet at offset {offset}: version {version}, expected 2")]
    BadVersion { offset: usize, version: u8 },
    /// The length field announces more bytes than remain in the buffer.
    #[error(
        "RTCP packet at offset {offset}: length field says {declared} bytes, {available} available"
    )]
    LengthOverrun {
        offset: usize,
        declared: usize,
        available: usize,
    },
    /// The padding count (last octet, P bit set) is 0 or larger than the packet body.
    #[error("RTCP packet at offset {offset}: padding count {count} invalid for {body} body bytes")]
    BadPadding {
        offset: usize,
        count: u8,
        body: usize,
    },
    /// The report/source count needs more bytes than the packet holds.
    #[error("RTCP packet type {packet_type} at offset {offset}: count {count} needs {need} bytes, packet has {have}")]
    CountOverrun {
        offset: usize,
        packet_type: u8,
        count: u8,
        need: usize,
        have: usize,
    },
    /// An SDES chunk or item runs past the end of the packet (or lacks its END octet).
    #[error("RTCP SDES at offset {offset}: chunk {chunk} is truncated")]
    SdesTruncated { offset: usize, chunk: u8 },
    /// A BYE reason length runs past the end of the packet.
    #[error("RTCP BYE at offset {offset}: reason runs past the packet end")]
    ByeReasonTruncated { offset: usize },
    /// An XR report block's length runs past the end of the packet, or a known block
    /// type is shorter than its fixed layout.
    #[error("RTCP XR at offset {offset}: report block type {block_type} is truncated")]
    XrBlockTruncated { offset: usize, block_type: u8 },
}

impl RtcpError {
    /// Stable snake_case label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            RtcpError::TooShort { .. } => "too_short",
            RtcpError::BadVersion { .. } => "bad_version",
            RtcpError::LengthOverrun { .. } => "length_overrun",
            RtcpError::BadPadding { .. } => "bad_padding",
            RtcpError::CountOverrun { .. } => "count_overrun",
            RtcpError::SdesTruncated { .. } => "sdes_truncated",
            RtcpError::ByeReasonTruncated { .. } => "bye_reason_truncated",
            RtcpError::XrBlockTruncated { .. } => "xr_block_truncated",
        }
    }
}

/// Why bytes are not an RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtpError {
    /// Shorter than the header (12 bytes + CSRCs + extension) announces.
    #[error("RTP packet too short: {need} bytes needed, {have} available")]
    TooShort { need: usize, have: usize },
    /// The version field is not 2.
    #[error("RTP version {version}, expected 2")]
    BadVersion { version: u8 },
    /// The padding count is 0 or larger than what follows the header.
    #[error("RTP padding count {count} invalid for {available} payload bytes")]
    BadPadding { count: u8, available: usize },
}

impl RtpError {
    /// Stable snake_case label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            RtpError::TooShort { .. } => "too_short",
            RtpError::BadVersion { .. } => "bad_version",
            RtpError::BadPadding { .. } => "bad_padding",
        }
    }
}
