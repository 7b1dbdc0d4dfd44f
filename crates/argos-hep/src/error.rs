//! [`HepError`]: every way a HEP buffer can be rejected, with structured context.

use std::fmt;

/// The compression container of a `0x0010` payload chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// RFC 1950 zlib stream (`78 xx`), what captagent sends. The default when encoding.
    #[default]
    Zlib,
    /// RFC 1952 gzip member (`1f 8b`), what OpenSIPS sends.
    Gzip,
    /// Raw RFC 1951 deflate (decode-side fallback only when neither header matches).
    Deflate,
}

impl Compression {
    /// Lower-case name: `zlib`, `gzip` or `deflate`.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Zlib => "zlib",
            Compression::Gzip => "gzip",
            Compression::Deflate => "deflate",
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a buffer is not a (usable) HEP packet, or why a stream is out of sync.
///
/// Every variant carries plain data (offsets, lengths, chunk ids), never a formatted
/// string, so callers can match on it and [`HepError::reason`] gives a bounded set of
/// labels for metrics.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HepError {
    /// The buffer ends before a fixed-size header does.
    #[error("HEP buffer too short: need {need} bytes, have {have}")]
    TooShort { need: usize, have: usize },
    /// Neither "HEP3" nor a HEPv1/v2 version byte at the start.
    #[error("not a HEP packet (bad magic)")]
    BadMagic,
    /// A version byte in the HEPv1/v2 position that is neither 1 nor 2.
    #[error("unsupported HEP version {0}")]
    UnsupportedVersion(u8),
    /// The HEPv3 total length disagrees with the buffer (only with
    /// [`DecodeOptions::strict_length`](crate::DecodeOptions::strict_length)).
    #[error("HEPv3 total length {declared} does not match the {actual} bytes received")]
    LengthMismatch { declared: usize, actual: usize },
    /// The HEPv3 total length is smaller than its own 6-byte header.
    #[error("HEPv3 total length {declared} is smaller than the 6-byte header")]
    BadTotalLength { declared: usize },
    /// A HEPv1/v2 `hp_l` that is neither 16 (IPv4) nor 40 (IPv6).
    #[error("HEPv1/v2 header length {hp_l} is neither 16 (IPv4) nor 40 (IPv6)")]
    BadHeaderLength { hp_l: u8 },
    /// Fewer than 6 bytes left for a chunk header.
    #[error("truncated chunk header at offset {offset}: {have} of 6 bytes")]
    TruncatedChunkHeader { offset: usize, have: usize },
    /// A chunk whose length field is below the 6-byte chunk header.
    #[error("chunk {chunk_type:#06x} at offset {offset} has length {len} (< 6)")]
    BadChunkLength {
        chunk_type: u16,
        offset: usize,
        len: u16,
    },
    /// A chunk whose body runs past the end of the packet.
    #[error("chunk {chunk_type:#06x} at offset {offset} runs past the end of the packet")]
    ChunkOverrun { chunk_type: u16, offset: usize },
    /// A fixed-size chunk (uint8/16/32) with a body of the wrong size.
    #[error(
        "chunk {chunk_type:#06x} at offset {offset} has a {actual}-byte body, expected {expected}"
    )]
    BadChunkSize {
        chunk_type: u16,
        offset: usize,
        expected: usize,
        actual: usize,
    },
    /// An address chunk whose body is not 4 (IPv4) or 16 (IPv6) bytes as its type requires.
    #[error("address chunk {chunk_type:#06x} at offset {offset} has a {len}-byte body")]
    BadAddressLength {
        chunk_type: u16,
        offset: usize,
        len: usize,
    },
    /// A chunk every usable packet must have (the payload: `0x000f` or `0x0010`).
    #[error("HEPv3 packet has no {0} chunk")]
    MissingChunk(&'static str),
    /// The compressed payload (`0x0010`) is not a valid stream of the detected format.
    #[error("cannot inflate {format} payload ({kind})")]
    Inflate {
        format: Compression,
        kind: std::io::ErrorKind,
    },
    /// The compressed payload inflates to more than the configured limit (zip bomb guard).
    #[error("compressed payload inflates to more than {limit} bytes")]
    InflateTooLarge { limit: usize },
    /// A stream frame longer than the stream decoder accepts.
    #[error("HEP frame of {len} bytes exceeds the {max}-byte limit")]
    FrameTooLarge { len: usize, max: usize },
    /// Encoding would produce a packet longer than the 16-bit length field allows.
    #[error("encoded HEPv3 packet would be {len} bytes (> 65535)")]
    TooLarge { len: usize },
}

impl HepError {
    /// A short snake_case label, stable and of bounded cardinality: meant as the
    /// `reason` label of a drop counter (`argos_hep_dropped_total{reason="bad_magic"}`).
    pub fn reason(&self) -> &'static str {
        match self {
            HepError::TooShort { .. } => "too_short",
            HepError::BadMagic => "bad_magic",
            HepError::UnsupportedVersion(_) => "unsupported_version",
            HepError::LengthMismatch { .. } => "length_mismatch",
            HepError::BadTotalLength { .. } => "bad_total_length",
            HepError::BadHeaderLength { .. } => "bad_header_length",
            HepError::TruncatedChunkHeader { .. } => "truncated_chunk_header",
            HepError::BadChunkLength { .. } => "bad_chunk_length",
            HepError::ChunkOverrun { .. } => "chunk_overrun",
            HepError::BadChunkSize { .. } => "bad_chunk_size",
            HepError::BadAddressLength { .. } => "bad_address_length",
            HepError::MissingChunk(_) => "missing_chunk",
            HepError::Inflate { .. } => "inflate",
            HepError::InflateTooLarge { .. } => "inflate_too_large",
            HepError::FrameTooLarge { .. } => "frame_too_large",
            HepError::TooLarge { .. } => "too_large",
        }
    }
}
