//! Zero-copy SIP (RFC 3261) and SDP (RFC 8866) parser for Argos. No I/O.
//!
//! * [`parse`] turns one SIP message (a UDP datagram, or a framed TCP/WS message) into a
//!   [`SipMessage`]: its [`StartLine`], its [`Header`]s in order, and its body.
//! * [`SipMessage::header`] / [`SipMessage::header_all`] look headers up by name
//!   (case-insensitive; compact forms such as `i`, `f`, `v` equal their full names).
//! * [`SipMessage::summary`] extracts the searchable fields ([`SipSummary`]) configured by
//!   [`FieldConfig`] (which headers carry the a-leg Call-ID, see [`ALegHeader`]).
//! * [`fields::message_fields`] copies a summary into the stored
//!   [`argos_model::MessageFields`].
//! * [`sdp::parse`] parses a session description into [`sdp::Sdp`] /
//!   [`sdp::Media`] / [`sdp::RtpMap`]; [`uri`] and [`hdr`] parse URIs, name-addrs,
//!   Via, CSeq and Authorization values.
//!
//! ```
//! use argos_sip::{parse, FieldConfig, StartLine};
//!
//! let msg = parse(
//!     b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
//!       v: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n\
//!       f: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
//!       t: <sip:bob@biloxi.example.com>\r\n\
//!       i: a84b4c76e66710@pc33.atlanta.example.com\r\n\
//!       CSeq: 314159 INVITE\r\n\
//!       X-CID: a-leg-call-id@10.0.0.1\r\n\
//!       c: application/sdp\r\n\
//!       l: 88\r\n\
//!       \r\n\
//!       v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
//!       m=audio 49170 RTP/AVP 0 8\r\n",
//! )?;
//! assert!(matches!(msg.start_line(), StartLine::Request { method: "INVITE", .. }));
//! assert_eq!(msg.header("Call-ID"), Some("a84b4c76e66710@pc33.atlanta.example.com"));
//!
//! let s = msg.summary(&FieldConfig::default());
//! assert_eq!(s.from_user, Some("alice"));
//! assert_eq!(s.from_tag, Some("1928301774"));
//! assert_eq!(s.via_branch, Some("z9hG4bK776asdhds"));
//! assert_eq!(s.cseq_num, Some(314159));
//! assert_eq!(s.a_leg.as_deref(), Some("a-leg-call-id@10.0.0.1"));
//! let sdp = s.sdp.as_ref().expect("sdp");
//! assert_eq!(sdp.media_summary(), "10.0.0.1:49170/PCMU,PCMA");
//! # Ok::<(), argos_sip::SipError>(())
//! ```
//!
//! # Tolerance and limits
//!
//! * Leading CR/LF bytes (keep-alives) before the start line are skipped; any other junk
//!   before it is a [`SipError::BadStartLine`].
//! * Lines may end in CRLF or a bare LF. Folded headers (continuation lines starting with
//!   SP/HT) are unfolded into one value joined by single spaces (an owned `Cow`).
//! * A header section that ends without the blank line (a truncated datagram) is
//!   accepted: [`SipMessage::headers_complete`] is then `false` and the body is empty.
//! * Work is bounded by [`Limits`]: by default 16 KiB per header line, 64 KiB for the
//!   header section and 256 headers. Over-long input is rejected after reading at most
//!   the limit; every scan is linear.
//!
//! # Encoding
//!
//! The start line must be UTF-8 ([`SipError::NotUtf8`] otherwise) and header names must
//! be RFC 3261 tokens (ASCII). Header **values** that are not UTF-8 (e.g. a Latin-1
//! display name) are converted lossily (U+FFFD) into an owned value rather than rejected,
//! so one odd byte does not lose the message. The body may be any bytes.

#![warn(missing_debug_implementations)]

use std::borrow::Cow;

mod error;
pub mod fields;
pub mod hdr;
pub mod qos;
pub mod sdp;
mod summary;
pub mod uri;

pub use error::{SdpError, SipError, StartLineError};
pub use summary::{ALegHeader, FieldConfig, SipSummary};

/// Bounds on the work done for one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest line of the header section (start line included, a folded header counted
    /// unfolded), in bytes. Default 16 KiB.
    pub max_line: usize,
    /// Longest header section (start line to blank line), in bytes. Default 64 KiB.
    pub max_header_section: usize,
    /// Most header lines. Default 256.
    pub max_headers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_line: 16 * 1024,
            max_header_section: 64 * 1024,
            max_headers: 256,
        }
    }
}

/// The first line of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// `METHOD uri SIP/2.0`.
    Request {
        method: &'a str,
        uri: &'a str,
        version: &'a str,
    },
    /// `SIP/2.0 code reason`.
    Response {
        version: &'a str,
        code: u16,
        reason: &'a str,
    },
}

/// One header line. `value` is trimmed; it is `Cow::Owned` only when the header was
/// folded over several lines or was not UTF-8 (lossy conversion).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    /// Name as written (possibly a compact form such as `i`).
    pub name: &'a str,
    pub value: Cow<'a, str>,
}

/// A parsed SIP message borrowing from the input buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipMessage<'a> {
    start_line: StartLine<'a>,
    headers: Vec<Header<'a>>,
    /// Everything after the blank line (body plus any trailing bytes).
    remainder: &'a [u8],
    body_len: usize,
    header_len: usize,
    content_length: Option<usize>,
    content_length_invalid: bool,
    body_truncated: bool,
    headers_complete: bool,
}

/// Bytes of the input validated as UTF-8 in one go (see `parse_with_limits`).
const UTF8_WINDOW: usize = 4096;

/// Parse one SIP message with the default [`Limits`].
pub fn parse(buf: &[u8]) -> Result<SipMessage<'_>, SipError> {
    parse_with_limits(buf, &Limits::default())
}

/// RFC 3261 `token` characters (header names, methods).
fn is_token_byte(b: u8) -> bool {
    TOKEN[usize::from(b)]
}

const TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        i += 1;
    }
    t
};

/// Index of the first byte `b` in `s` (a plain loop: faster than `str::find` for the
/// short strings of SIP headers).
#[inline]
pub(crate) fn find_byte(s: &str, b: u8) -> Option<usize> {
    find_short(s.as_bytes(), b)
}

/// Index of the first byte `needle` in `h`, eight bytes at a time (SWAR, no `unsafe`):
/// cheaper than `memchr` for the short lines and values of SIP and SDP, where its
/// dispatch and setup cost more than the scan.
#[inline]
pub(crate) fn find_short(h: &[u8], needle: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let rep = LO * u64::from(needle);
    let mut chunks = h.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let Ok(arr) = <[u8; 8]>::try_from(c) else {
            break;
        };
        let w = u64::from_le_bytes(arr) ^ rep;
        // The lowest flagged byte is the first zero byte (borrows only flag higher ones).
        let z = w.wrapping_sub(LO) & !w & HI;
        if z != 0 {
            return Some(base + (z.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == needle)
        .map(|p| base + p)
}

/// Eight bytes with ASCII `A`-`Z` lowered (SWAR, exact for every byte value).
#[inline]
fn lower8(x: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let heptets = x & !HI;
    let gt_z = heptets + LO * u64::from(0x7f - b'Z');
    let ge_a = heptets + LO * u64::from(0x80 - b'A');
    let upper = (ge_a ^ gt_z) & !x & HI;
    x | (upper >> 2)
}

/// Up to eight bytes as a little-endian word, zero-padded.
#[inline]
fn word(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    let n = b.len().min(8);
    a[..n].copy_from_slice(&b[..n]);
    u64::from_le_bytes(a)
}

/// `a.eq_ignore_ascii_case(b)`, eight bytes at a time.
#[inline]
pub(crate) fn eq_ci(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        let end = (i + 8).min(a.len());
        if lower8(word(&a[i..end])) != lower8(word(&b[i..end])) {
            return false;
        }
        i = end;
    }
    true
}

/// `s.split_once(b)` for an ASCII byte `b`.
#[inline]
pub(crate) fn split_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = find_byte(s, b)?;
    Some((&s[..i], &s[i + 1..]))
}

/// Trim ASCII spaces and tabs.
#[inline]
pub(crate) fn trim_sp(s: &str) -> &str {
    let b = s.as_bytes();
    let mut start = 0;
    let mut end = b.len();
    while start < end && (b[start] == b' ' || b[start] == b'\t') {
        start += 1;
    }
    while end > start && (b[end - 1] == b' ' || b[end - 1] == b'\t') {
        end -= 1;
    }
    &s[start..end]
}

/// Whether `c` is a whole ASCII character that `char::is_whitespace` rejects.
#[inline]
fn is_plain_ascii(c: u8) -> bool {
    c < 0x80 && !char::from(c).is_whitespace()
}

/// `str::trim` (Unicode whitespace), without the generic pattern machinery when both ends
/// are already plain ASCII (the usual case).
#[inline]
pub(crate) fn trim_ws(s: &str) -> &str {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) if !(is_plain_ascii(f) && is_plain_ascii(l)) => s.trim(),
        _ => s,
    }
}

/// `str::trim_start` (Unicode whitespace), fast when the first byte is plain ASCII.
#[inline]
pub(crate) fn trim_start_ws(s: &str) -> &str {
    match s.as_bytes().first() {
        Some(&f) if !is_plain_ascii(f) => s.trim_start(),
        _ => s,
    }
}

/// ASCII case-insensitive `starts_with`.
pub(crate) fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes()))
}

fn trim_bytes(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

fn value_str(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(String::from_utf8_lossy(b).into_owned()),
    }
}

/// Find the end of the line starting at `pos`: returns `(content_end, next_line_start)`,
/// with `next_line_start == None` at end of input. Looks at most `max + 2` bytes ahead.
fn line_at(buf: &[u8], pos: usize, max: usize) -> Result<(usize, Option<usize>), SipError> {
    let window_end = buf.len().min(pos.saturating_add(max).saturating_add(2));
    match memchr::memchr(b'\n', &buf[pos..window_end]) {
        Some(off) => {
            let nl = pos + off;
            let end = if nl > pos && buf[nl - 1] == b'\r' {
                nl - 1
            } else {
                nl
            };
            if end - pos > max {
                return Err(SipError::HeaderTooLong {
                    len: end - pos,
                    max,
                });
            }
            Ok((end, Some(nl + 1)))
        }
        None if buf.len() - pos > max => Err(SipError::HeaderTooLong {
            len: window_end - pos,
            max,
        }),
        None => {
            let end = if buf.len() > pos && buf[buf.len() - 1] == b'\r' {
                buf.len() - 1
            } else {
                buf.len()
            };
            Ok((end, None))
        }
    }
}

fn parse_start_line(line: &[u8], offset: usize) -> Result<StartLine<'_>, SipError> {
    let line = std::str::from_utf8(line).map_err(|e| SipError::NotUtf8 {
        offset: offset + e.valid_up_to(),
    })?;
    let line = trim_sp(line);
    let bad = |kind| SipError::BadStartLine { kind };
    let (first, rest) = line
        .split_once([' ', '\t'])
        .ok_or(bad(StartLineError::MissingSpace))?;
    if starts_with_ci(first, "SIP/") {
        let rest = rest.trim_start_matches([' ', '\t']);
        let code = rest.get(..3).ok_or(SipError::BadStatusCode)?;
        let tail = &rest[3..];
        if !code.bytes().all(|b| b.is_ascii_digit())
            || !(tail.is_empty() || tail.starts_with([' ', '\t']))
        {
            return Err(SipError::BadStatusCode);
        }
        let code: u16 = code.parse().map_err(|_| SipError::BadStatusCode)?;
        if !(100..=699).contains(&code) {
            return Err(SipError::BadStatusCode);
        }
        return Ok(StartLine::Response {
            version: first,
            code,
            reason: trim_sp(tail),
        });
    }
    if !first.bytes().all(is_token_byte) {
        return Err(bad(StartLineError::BadMethod));
    }
    let (uri, version) = rest
        .rsplit_once([' ', '\t'])
        .ok_or(bad(StartLineError::MissingUri))?;
    let uri = trim_sp(uri);
    if !starts_with_ci(version, "SIP/") {
        return Err(bad(StartLineError::NotSip));
    }
    if uri.is_empty() {
        return Err(bad(StartLineError::MissingUri));
    }
    Ok(StartLine::Request {
        method: first,
        uri,
        version,
    })
}

/// Whether `buf` (after leading CR/LF) begins with a SIP start line.
pub(crate) fn looks_like_start_line(buf: &[u8]) -> bool {
    let skip = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let rest = &buf[skip..];
    let end = memchr::memchr(b'\n', &rest[..rest.len().min(1024)]).unwrap_or(rest.len());
    let line = trim_bytes(rest[..end].strip_suffix(b"\r").unwrap_or(&rest[..end]));
    !line.is_empty() && end < 1024 && parse_start_line(line, 0).is_ok()
}

/// Parse one SIP message with explicit [`Limits`].
pub fn parse_with_limits<'a>(buf: &'a [u8], limits: &Limits) -> Result<SipMessage<'a>, SipError> {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .ok_or(SipError::Empty)?;
    let (sl_end, next) = line_at(buf, start, limits.max_line)?;
    let start_line = parse_start_line(&buf[start..sl_end], start)?;

    // Validate a prefix once so that header values can be sliced as `&str` without a
    // UTF-8 check each; lines past it (or after a bad byte) are checked one by one.
    let window = buf.len().min(start.saturating_add(UTF8_WINDOW));
    let valid: &'a str = match std::str::from_utf8(&buf[..window]) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&buf[..e.valid_up_to()]).unwrap_or_default(),
    };
    let as_str = |from: usize, to: usize| -> Cow<'a, str> {
        match valid.get(from..to) {
            Some(s) => Cow::Borrowed(s),
            None => value_str(&buf[from..to]),
        }
    };

    let mut headers: Vec<Header<'a>> = Vec::with_capacity(24);
    let mut pos = next;
    let mut line_no = 1;
    let mut body_start = None;
    // Index of the first Content-Length header.
    let mut content_length_at = None;
    // Unfolded length of the last header, for the line limit.
    let mut last_len = 0usize;
    while let Some(p) = pos {
        if p >= buf.len() {
            break;
        }
        if p - start > limits.max_header_section {
            return Err(SipError::HeaderSectionTooLong {
                max: limits.max_header_section,
            });
        }
        line_no += 1;
        let (end, next) = line_at(buf, p, limits.max_line)?;
        let line = &buf[p..end];
        pos = next;
        if line.is_empty() {
            body_start = Some(next.unwrap_or(buf.len()));
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            // Continuation of the previous header.
            let Some(h) = headers.last_mut() else {
                return Err(SipError::MissingColon { line: line_no });
            };
            let more = trim_bytes(line);
            if more.is_empty() {
                continue;
            }
            last_len += 1 + more.len();
            if last_len > limits.max_line {
                return Err(SipError::HeaderTooLong {
                    len: last_len,
                    max: limits.max_line,
                });
            }
            let v = h.value.to_mut();
            if !v.is_empty() {
                v.push(' ');
            }
            v.push_str(&value_str(more));
            continue;
        }
        // Header name: token bytes, optional spaces, then ':'.
        let name_end = line
            .iter()
            .position(|&b| !is_token_byte(b))
            .unwrap_or(line.len());
        let mut colon = name_end;
        while colon < line.len() && (line[colon] == b' ' || line[colon] == b'\t') {
            colon += 1;
        }
        if colon >= line.len() || line[colon] != b':' {
            if memchr::memchr(b':', line).is_some() {
                return Err(SipError::BadHeaderName { line: line_no });
            }
            if next.is_none() {
                // A partial last line of a truncated datagram (`Content-Lengt`): keep
                // what came before, flagged by `headers_complete() == false`.
                break;
            }
            return Err(SipError::MissingColon { line: line_no });
        }
        if name_end == 0 {
            return Err(SipError::BadHeaderName { line: line_no });
        }
        if headers.len() >= limits.max_headers {
            return Err(SipError::TooManyHeaders {
                max: limits.max_headers,
            });
        }
        // Token bytes are ASCII, so this cannot fail (and is already validated when inside
        // the UTF-8 window).
        let name = match valid.get(p..p + name_end) {
            Some(n) => n,
            None => std::str::from_utf8(&line[..name_end]).unwrap_or_default(),
        };
        let mut v_start = colon + 1;
        let mut v_end = line.len();
        while v_start < v_end && (line[v_start] == b' ' || line[v_start] == b'\t') {
            v_start += 1;
        }
        while v_end > v_start && (line[v_end - 1] == b' ' || line[v_end - 1] == b'\t') {
            v_end -= 1;
        }
        last_len = line.len();
        if content_length_at.is_none()
            && (name_end == 1 || name_end == 14)
            && hdr::same_header(name, "Content-Length")
        {
            content_length_at = Some(headers.len());
        }
        headers.push(Header {
            name,
            value: as_str(p + v_start, p + v_end),
        });
    }

    let headers_complete = body_start.is_some();
    let header_len = body_start.unwrap_or(buf.len());
    if header_len - start > limits.max_header_section {
        return Err(SipError::HeaderSectionTooLong {
            max: limits.max_header_section,
        });
    }
    let remainder = &buf[header_len..];

    let mut content_length = None;
    let mut content_length_invalid = false;
    if let Some(cl) = content_length_at.and_then(|i| headers.get(i)) {
        let v = cl.value.trim();
        match v.parse::<usize>() {
            Ok(n) if v.bytes().all(|b| b.is_ascii_digit()) => content_length = Some(n),
            _ => content_length_invalid = true,
        }
    }
    let (body_len, body_truncated) = match content_length {
        Some(n) if n <= remainder.len() => (n, false),
        Some(_) => (remainder.len(), true),
        None => (remainder.len(), false),
    };

    Ok(SipMessage {
        start_line,
        headers,
        remainder,
        body_len,
        header_len,
        content_length,
        content_length_invalid,
        body_truncated,
        headers_complete,
    })
}

impl<'a> SipMessage<'a> {
    /// The request or status line.
    pub fn start_line(&self) -> &StartLine<'a> {
        &self.start_line
    }

    /// Whether this is a request (else a response).
    pub fn is_request(&self) -> bool {
        matches!(self.start_line, StartLine::Request { .. })
    }

    /// Request method (`INVITE`, ...), `None` for a response.
    pub fn method(&self) -> Option<&'a str> {
        match self.start_line {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// Request-URI, `None` for a response.
    pub fn request_uri(&self) -> Option<&'a str> {
        match self.start_line {
            StartLine::Request { uri, .. } => Some(uri),
            StartLine::Response { .. } => None,
        }
    }

    /// Status code, `None` for a request.
    pub fn status(&self) -> Option<u16> {
        match self.start_line {
            StartLine::Response { code, .. } => Some(code),
            StartLine::Request { .. } => None,
        }
    }

    /// Reason phrase, `None` for a request.
    pub fn reason_phrase(&self) -> Option<&'a str> {
        match self.start_line {
            StartLine::Response { reason, .. } => Some(reason),
            StartLine::Request { .. } => None,
        }
    }

    /// All headers, in message order.
    pub fn headers(&self) -> &[Header<'a>] {
        &self.headers
    }

    /// Whole value of the first header called `name` (case-insensitive; a compact form and
    /// its full name are the same header). Not split at commas: see
    /// [`header_all`](Self::header_all).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = hdr::expand_compact(name);
        self.headers
            .iter()
            .find(|h| eq_ci(hdr::expand_compact(h.name), name))
            .map(|h| &*h.value)
    }

    /// Every value of header `name`, across repeated header lines, with comma-separated
    /// lists split into elements (commas inside quoted strings and `<...>` do not split).
    /// Headers whose grammar is not a list ([`hdr::is_single_valued`]: Date, Subject,
    /// User-Agent, Authorization, ...) are yielded whole.
    pub fn header_all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        let name = hdr::expand_compact(name);
        let split = !hdr::is_single_valued(name);
        self.headers
            .iter()
            .filter(move |h| eq_ci(hdr::expand_compact(h.name), name))
            .flat_map(move |h| uri::ListIter::new(&h.value, split))
    }

    /// The body: `Content-Length` bytes after the blank line when the header is present and
    /// valid (fewer if the buffer is shorter, see [`body_truncated`](Self::body_truncated)),
    /// else everything after the blank line.
    pub fn body(&self) -> &'a [u8] {
        &self.remainder[..self.body_len]
    }

    /// Bytes after the body (`Content-Length` shorter than the rest of the buffer): padding,
    /// or the next message of a stream / datagram.
    pub fn trailing(&self) -> &'a [u8] {
        &self.remainder[self.body_len..]
    }

    /// Everything after the blank line, ignoring `Content-Length`.
    pub fn remainder(&self) -> &'a [u8] {
        self.remainder
    }

    /// Offset of the body in the input buffer (leading CR/LFs, start line, headers and
    /// blank line).
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// Bytes of the input this message occupies (headers + body); the next message of a
    /// stream starts there.
    pub fn message_len(&self) -> usize {
        self.header_len + self.body_len
    }

    /// The valid `Content-Length` value, if any.
    pub fn content_length(&self) -> Option<usize> {
        self.content_length
    }

    /// `Content-Length` is present but not a number (e.g. `bad`); the body is then
    /// everything after the blank line.
    pub fn content_length_invalid(&self) -> bool {
        self.content_length_invalid
    }

    /// `Content-Length` promised more bytes than the buffer holds.
    pub fn body_truncated(&self) -> bool {
        self.body_truncated
    }

    /// Whether the blank line ending the header section was seen.
    pub fn headers_complete(&self) -> bool {
        self.headers_complete
    }

    /// Headers complete and body not truncated.
    pub fn is_complete(&self) -> bool {
        self.headers_complete && !self.body_truncated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eq_ci_matches_std() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let (x, y) = ([b'k', a, b'-'], [b'K', b, b'-']);
                let (Ok(x), Ok(y)) = (std::str::from_utf8(&x), std::str::from_utf8(&y)) else {
                    continue;
                };
                assert_eq!(eq_ci(x, y), x.eq_ignore_ascii_case(y), "{x:?} {y:?}");
            }
        }
        for (x, y) in [
            ("Content-Length", "content-length"),
            ("Content-Length", "content-lengtH"),
            ("Content-Length", "content-lengt"),
            ("P-Asserted-Identity", "p-asserted-identitz"),
            ("P-Asserted-Identity", "P-ASSERTED-IDENTITY"),
            ("", ""),
            ("é", "É"),
            ("[@`{", "{`@["),
        ] {
            assert_eq!(eq_ci(x, y), x.eq_ignore_ascii_case(y), "{x:?} {y:?}");
        }
    }

    #[test]
    fn find_short_matches_position() {
        let hay: Vec<u8> = (0..200u32).map(|i| (i * 37 % 11) as u8 + b'0').collect();
        for start in 0..hay.len() {
            for len in 0..40.min(hay.len() - start) {
                let h = &hay[start..start + len];
                for needle in b'0'..=b';' {
                    assert_eq!(
                        find_short(h, needle),
                        h.iter().position(|&b| b == needle),
                        "{h:?} {needle}"
                    );
                }
            }
        }
        // Bytes with the high bit set and a needle right after a match of needle ^ 0x80.
        assert_eq!(find_short(b"\x80\x81\xff\x00ab;\xbbxx", b';'), Some(6));
        assert_eq!(
            find_short(b"\xbb\xbb\xbb\xbb\xbb\xbb\xbb\xbb;", b';'),
            Some(8)
        );
        assert_eq!(find_short(b"\x01\x00\x01\x00\x01\x00\x01\x00", 0), Some(1));
        assert_eq!(find_short(b"\x01\x01\x01\x01\x01\x01\x01\x00", 1), Some(0));
        assert_eq!(find_short(b"\x02\x02\x02\x02\x02\x02\x02\x01", 1), Some(7));
    }
}
