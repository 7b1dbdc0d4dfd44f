//! Error types of the SIP and SDP parsers.

/// Why a start line was rejected (see [`SipError::BadStartLine`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StartLineError {
    /// No space in the line: neither `METHOD uri SIP/2.0` nor `SIP/2.0 code reason`.
    MissingSpace,
    /// The method is empty or contains a non-token character.
    BadMethod,
    /// The request line has no Request-URI between method and version.
    MissingUri,
    /// The protocol version is not `SIP/...` (e.g. an HTTP request on port 5060).
    NotSip,
}

impl std::fmt::Display for StartLineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::MissingSpace => "missing space",
            Self::BadMethod => "bad method token",
            Self::MissingUri => "missing request-URI",
            Self::NotSip => "protocol is not SIP",
        })
    }
}

/// A SIP message could not be parsed.
///
/// Every variant is structured (no free-form strings); [`SipError::reason`] gives a stable
/// snake_case label for metrics.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SipError {
    /// The buffer is empty or holds only CR/LF keep-alives.
    #[error("empty message")]
    Empty,
    /// The first line is not a SIP request or status line.
    #[error("bad start line: {kind}")]
    BadStartLine { kind: StartLineError },
    /// A status line whose code is not three digits in 100..=699.
    #[error("bad status code")]
    BadStatusCode,
    /// A line of the header section (start line included; a folded header counts as one
    /// line) is longer than `max` bytes. `len` is the length seen so far (> `max`).
    #[error("header line too long: {len} bytes > {max}")]
    HeaderTooLong { len: usize, max: usize },
    /// The header section (start line to blank line) is longer than `max` bytes.
    #[error("header section longer than {max} bytes")]
    HeaderSectionTooLong { max: usize },
    /// More than `max` header lines.
    #[error("more than {max} headers")]
    TooManyHeaders { max: usize },
    /// A header line without `:`; `line` is the 1-based line number (start line = 1).
    #[error("header line {line} has no colon")]
    MissingColon { line: usize },
    /// A header name that is empty or not an RFC 3261 token; `line` is 1-based.
    #[error("header line {line} has a bad name")]
    BadHeaderName { line: usize },
    /// The start line is not valid UTF-8; `offset` is the absolute offset of the first
    /// bad byte in the input buffer.
    #[error("start line is not UTF-8 at byte {offset}")]
    NotUtf8 { offset: usize },
}

impl SipError {
    /// A stable snake_case label, e.g. for a Prometheus `sip_parse_errors{reason=...}` counter.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::BadStartLine { .. } => "bad_start_line",
            Self::BadStatusCode => "bad_status_code",
            Self::HeaderTooLong { .. } => "header_too_long",
            Self::HeaderSectionTooLong { .. } => "header_section_too_long",
            Self::TooManyHeaders { .. } => "too_many_headers",
            Self::MissingColon { .. } => "missing_colon",
            Self::BadHeaderName { .. } => "bad_header_name",
            Self::NotUtf8 { .. } => "not_utf8",
        }
    }
}

/// An SDP body could not be parsed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// The body is empty or only whitespace.
    #[error("empty SDP")]
    Empty,
    /// The body is not UTF-8; `offset` is the first bad byte.
    #[error("SDP is not UTF-8 at byte {offset}")]
    NotUtf8 { offset: usize },
    /// The first line is not `v=`.
    #[error("not an SDP body (first line is not v=)")]
    NotSdp,
    /// An `m=` line without `kind port proto`, or with a bad port; `line` is 1-based.
    #[error("bad m= line {line}")]
    BadMedia { line: usize },
    /// More than `max` `m=` lines.
    #[error("more than {max} media descriptions")]
    TooManyMedia { max: usize },
}

impl SdpError {
    /// A stable snake_case label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Empty => "sdp_empty",
            Self::NotUtf8 { .. } => "sdp_not_utf8",
            Self::NotSdp => "sdp_not_sdp",
            Self::BadMedia { .. } => "sdp_bad_media",
            Self::TooManyMedia { .. } => "sdp_too_many_media",
        }
    }
}
