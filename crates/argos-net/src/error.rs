//! Error types. Every variant maps to a stable snake_case [`reason`](CaptureError::reason)
//! label meant for a metrics counter.

use std::io;

/// Errors while reading a capture file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The underlying reader failed.
    #[error("i/o error: {0}")]
    Io(#[source] io::Error),
    /// The first four bytes are neither a pcap nor a pcapng magic (shown big-endian,
    /// i.e. in file byte order).
    #[error("not a pcap/pcapng file (magic {found:#010x})")]
    BadMagic { found: u32 },
    /// The file ends inside a header or record: `need` bytes were wanted at `offset`.
    #[error("truncated capture: {need} bytes needed at offset {offset}")]
    Truncated { offset: u64, need: usize },
    /// A record or block is larger than the reader accepts.
    #[error("record at offset {offset} is {len} bytes, limit {max}")]
    BlockTooLarge { offset: u64, len: u64, max: u64 },
    /// A pcapng block is malformed (bad length, bad byte-order magic, ...).
    #[error("malformed pcapng block at offset {offset}: {what}")]
    BadBlock { offset: u64, what: &'static str },
    /// A pcapng packet block names an interface that no IDB declared.
    #[error("packet block at offset {offset} refers to unknown interface {id}")]
    UnknownInterface { offset: u64, id: u32 },
}

impl CaptureError {
    /// Stable snake_case label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            CaptureError::Io(_) => "io",
            CaptureError::BadMagic { .. } => "bad_magic",
            CaptureError::Truncated { .. } => "truncated",
            CaptureError::BlockTooLarge { .. } => "block_too_large",
            CaptureError::BadBlock { .. } => "bad_block",
            CaptureError::UnknownInterface { .. } => "unknown_interface",
        }
    }
}

impl From<io::Error> for CaptureError {
    fn from(e: io::Error) -> Self {
        CaptureError::Io(e)
    }
}

/// Errors while decoding one captured frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PacketError {
    /// A header (or the length it announces) does not fit in the bytes captured.
    #[error("{layer}: need {need} bytes, have {have}")]
    TooShort {
        layer: &'static str,
        need: usize,
        have: usize,
    },
    /// The capture's link type is not decoded.
    #[error("unsupported link type {0}")]
    UnsupportedLinkType(u16),
    /// An EtherType (or PPP protocol, mapped into EtherType space) that is not IP.
    #[error("unsupported ethertype {0:#06x}")]
    UnsupportedEtherType(u16),
    /// A BSD loopback address family that is neither IPv4 nor IPv6.
    #[error("unsupported loopback address family {0}")]
    UnsupportedAddressFamily(u32),
    /// The IP version nibble is not what the layer below announced (or not 4/6).
    #[error("bad IP version {0}")]
    BadIpVersion(u8),
    /// A header length field (IPv4 IHL, TCP data offset) is impossible.
    #[error("{layer}: bad header length {len}")]
    BadHeaderLength { layer: &'static str, len: usize },
    /// A total-length field (IPv4 total length, UDP length) is smaller than its header.
    #[error("{layer}: bad length field {len}")]
    BadLength { layer: &'static str, len: usize },
    /// Too many stacked headers (VLAN tags, MPLS labels, IPv6 extension headers,
    /// or tunnels nested deeper than the decoder's limit, layer `"tunnel"`).
    #[error("{layer}: too many stacked headers")]
    TooManyHeaders { layer: &'static str },
    /// A tunnel header (GRE, ERSPAN, VXLAN, Geneve, TZSP) is not one the decoder
    /// accepts; `what` names the offending field.
    #[error("{layer}: unsupported or malformed header ({what})")]
    BadTunnel {
        layer: &'static str,
        what: &'static str,
    },
}

impl PacketError {
    /// Stable snake_case label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            PacketError::TooShort { .. } => "too_short",
            PacketError::UnsupportedLinkType(_) => "unsupported_link_type",
            PacketError::UnsupportedEtherType(_) => "unsupported_ether_type",
            PacketError::UnsupportedAddressFamily(_) => "unsupported_address_family",
            PacketError::BadIpVersion(_) => "bad_ip_version",
            PacketError::BadHeaderLength { .. } => "bad_header_length",
            PacketError::BadLength { .. } => "bad_length",
            PacketError::TooManyHeaders { .. } => "too_many_headers",
            PacketError::BadTunnel { .. } => "bad_tunnel",
        }
    }
}
