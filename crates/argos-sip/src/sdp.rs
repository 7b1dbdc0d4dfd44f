//! Zero-copy SDP (RFC 8866) parser.
//!
//! Lenient: lines may end in CRLF or LF, unknown or malformed lines (including a bad
//! `a=rtpmap`) are skipped, and only the first occurrence of a session-level line is
//! kept. Hard errors: non-UTF-8 body, first line not `v=`, an `m=` line without
//! `kind port proto` or with a port that is not a `u16`, more than [`MAX_MEDIA`] media.

use std::fmt::Write as _;

use crate::split_byte as split_b;

pub use crate::error::SdpError;

/// Most `m=` lines accepted in one body.
pub const MAX_MEDIA: usize = 64;

/// A parsed session description.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sdp<'a> {
    /// `v=` value (`0`).
    pub version: Option<&'a str>,
    /// `o=` value (`user sess-id sess-version IN IP4 addr`).
    pub origin: Option<&'a str>,
    /// `s=` value.
    pub session_name: Option<&'a str>,
    /// Session-level `i=`.
    pub info: Option<&'a str>,
    /// `u=`.
    pub uri: Option<&'a str>,
    /// First `e=`.
    pub email: Option<&'a str>,
    /// First `p=`.
    pub phone: Option<&'a str>,
    /// Session-level `c=` address only (`192.168.1.2`; TTL / count after `/` dropped).
    pub connection: Option<&'a str>,
    /// First session-level `b=` (`AS:64`).
    pub bandwidth: Option<&'a str>,
    /// First `t=`.
    pub time: Option<&'a str>,
    /// First `r=`.
    pub repeat: Option<&'a str>,
    /// Session-level direction attribute (`sendrecv`/`sendonly`/`recvonly`/`inactive`).
    pub direction: Option<&'a str>,
    /// The `m=` sections, in order.
    pub media: Vec<Media<'a>>,
}

/// One `m=` section.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Media<'a> {
    /// `audio`, `video`, `image`, `application`, ...
    pub kind: &'a str,
    /// Transport port (0 = disabled stream).
    pub port: u16,
    /// Number of ports from `port/count`, if given.
    pub port_count: Option<u16>,
    /// `RTP/AVP`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`, `udptl`, ...
    pub proto: &'a str,
    /// Format list (RTP payload types as strings, or `t38`, ...).
    pub formats: Vec<&'a str>,
    /// Media-level `c=` address.
    pub connection: Option<&'a str>,
    /// Media-level `i=`.
    pub info: Option<&'a str>,
    /// `a=rtpmap:` entries, in order.
    pub rtpmap: Vec<RtpMap<'a>>,
    /// Media-level direction attribute (`sendrecv`/`sendonly`/`recvonly`/`inactive`).
    pub direction: Option<&'a str>,
    /// `a=ptime:` in milliseconds.
    pub ptime: Option<u32>,
}

/// One `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpMap<'a> {
    pub payload_type: u8,
    /// Encoding name as written (`PCMU`, `opus`, `telephone-event`).
    pub encoding: &'a str,
    pub clock_rate: u32,
    pub channels: Option<u8>,
}

impl<'a> Media<'a> {
    /// Codec name for format `fmt`: the rtpmap encoding, else the static RTP payload type
    /// name (RFC 3551), else `fmt` itself.
    pub fn codec_name(&self, fmt: &'a str) -> &'a str {
        if let Ok(pt) = fmt.parse::<u8>() {
            if let Some(m) = self.rtpmap.iter().find(|m| m.payload_type == pt) {
                return m.encoding;
            }
            if let Some(name) = static_payload_name(pt) {
                return name;
            }
        }
        fmt
    }

    /// The media-level connection address, else the session-level one.
    pub fn effective_connection(&self, sdp: &Sdp<'a>) -> Option<&'a str> {
        self.connection.or(sdp.connection)
    }
}

/// Name of a statically assigned RTP payload type (RFC 3551 table 4/5).
pub fn static_payload_name(pt: u8) -> Option<&'static str> {
    Some(match pt {
        0 => "PCMU",
        2 => "G721",
        3 => "GSM",
        4 => "G723",
        5 | 6 | 16 | 17 => "DVI4",
        7 => "LPC",
        8 => "PCMA",
        9 => "G722",
        10 | 11 => "L16",
        12 => "QCELP",
        13 => "CN",
        14 => "MPA",
        15 => "G728",
        18 => "G729",
        25 => "CelB",
        26 => "JPEG",
        28 => "nv",
        31 => "H261",
        32 => "MPV",
        33 => "MP2T",
        34 => "H263",
        _ => return None,
    })
}

impl<'a> Sdp<'a> {
    /// `ip:port/CODEC,CODEC` per media section, joined by single spaces, e.g.
    /// `192.168.1.2:30000/PCMU,PCMA,telephone-event`. The address is the media-level
    /// `c=`, else the session-level one, else `?`; an IPv6 address is bracketed.
    pub fn media_summary(&self) -> String {
        let mut out = String::with_capacity(32 * self.media.len());
        for (i, m) in self.media.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            match m.effective_connection(self) {
                Some(ip) if ip.contains(':') => {
                    let _ = write!(out, "[{ip}]");
                }
                Some(ip) => out.push_str(ip),
                None => out.push('?'),
            }
            let _ = write!(out, ":{}/", m.port);
            for (j, f) in m.formats.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                out.push_str(m.codec_name(f));
            }
        }
        out
    }

    /// The unicast address of the `o=` line (its last field).
    pub fn origin_address(&self) -> Option<&'a str> {
        self.origin
            .and_then(|o| o.split_ascii_whitespace().nth(5))
            .map(|a| a.split('/').next().unwrap_or(a))
    }
}

fn conn_address(v: &str) -> Option<&str> {
    // c=<nettype> <addrtype> <address>[/ttl][/count]
    let addr = v.split_ascii_whitespace().nth(2)?;
    let addr = addr.split('/').next().unwrap_or(addr);
    (!addr.is_empty()).then_some(addr)
}

fn is_direction(a: &str) -> bool {
    matches!(a, "sendrecv" | "sendonly" | "recvonly" | "inactive")
}

/// Parse a decimal `u32` (digits only, no sign).
fn parse_u32(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 10 {
        return None;
    }
    let mut n: u32 = 0;
    for &d in b {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
    }
    Some(n)
}

fn parse_rtpmap(v: &str) -> Option<RtpMap<'_>> {
    let v = crate::trim_sp(v);
    let b = v.as_bytes();
    let mut sp = 0;
    while sp < b.len() && b[sp] != b' ' && b[sp] != b'\t' {
        sp += 1;
    }
    if sp == b.len() {
        return None;
    }
    let payload_type = u8::try_from(parse_u32(&v[..sp])?).ok()?;
    let rest = crate::trim_sp(&v[sp + 1..]);
    let slash = crate::find_byte(rest, b'/')?;
    let encoding = crate::trim_sp(&rest[..slash]);
    if encoding.is_empty() {
        return None;
    }
    let after = &rest[slash + 1..];
    let (clock, channels) = match crate::find_byte(after, b'/') {
        Some(p) => (&after[..p], Some(&after[p + 1..])),
        None => (after, None),
    };
    let clock_rate = parse_u32(crate::trim_sp(clock))?;
    let channels = channels
        .and_then(|c| parse_u32(crate::trim_sp(c)))
        .and_then(|n| u8::try_from(n).ok());
    Some(RtpMap {
        payload_type,
        encoding,
        clock_rate,
        channels,
    })
}

fn parse_media(v: &str, line: usize) -> Result<Media<'_>, SdpError> {
    let mut it = v.split_ascii_whitespace();
    let bad = SdpError::BadMedia { line };
    let kind = it.next().ok_or(bad.clone())?;
    let port_s = it.next().ok_or(bad.clone())?;
    let proto = it.next().ok_or(bad.clone())?;
    let (port, count) = match split_b(port_s, b'/') {
        Some((p, c)) => (p, c.parse().ok()),
        None => (port_s, None),
    };
    let port = port.parse().map_err(|_| bad)?;
    Ok(Media {
        kind,
        port,
        port_count: count,
        proto,
        formats: it.collect(),
        ..Media::default()
    })
}

/// Parse an SDP body.
pub fn parse(body: &[u8]) -> Result<Sdp<'_>, SdpError> {
    let text = std::str::from_utf8(body).map_err(|e| SdpError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let skip = text
        .bytes()
        .position(|b| !matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
        .unwrap_or(text.len());
    let text = &text[skip..];
    if text.is_empty() {
        return Err(SdpError::Empty);
    }
    let mut sdp = Sdp::default();
    let bytes = text.as_bytes();
    let mut pos = 0;
    let mut idx = 0;
    while pos < bytes.len() {
        let end = crate::find_short(&bytes[pos..], b'\n').map_or(bytes.len(), |o| pos + o);
        // Trailing CR / blanks (all ASCII, so a byte loop is `trim_end_matches`).
        let mut e = end;
        while e > pos && matches!(bytes[e - 1], b'\r' | b' ' | b'\t') {
            e -= 1;
        }
        let line = &text[pos..e];
        pos = end + 1;
        idx += 1;
        let idx = idx - 1;
        let b = line.as_bytes();
        if b.len() < 2 || b[1] != b'=' {
            if idx == 0 {
                return Err(SdpError::NotSdp);
            }
            continue;
        }
        let v = &line[2..];
        if idx == 0 {
            if b[0] != b'v' {
                return Err(SdpError::NotSdp);
            }
            sdp.version = Some(crate::trim_ws(v));
            continue;
        }
        let in_media = !sdp.media.is_empty();
        match b[0] {
            b'm' => {
                if sdp.media.len() >= MAX_MEDIA {
                    return Err(SdpError::TooManyMedia { max: MAX_MEDIA });
                }
                sdp.media.push(parse_media(v, idx + 1)?);
            }
            b'c' => {
                let addr = conn_address(v);
                match sdp.media.last_mut() {
                    Some(m) => m.connection = m.connection.or(addr),
                    None => sdp.connection = sdp.connection.or(addr),
                }
            }
            b'i' => match sdp.media.last_mut() {
                Some(m) => m.info = m.info.or(Some(v)),
                None => sdp.info = sdp.info.or(Some(v)),
            },
            b'a' => {
                let (name, val) = match split_b(v, b':') {
                    Some((n, val)) => (n, Some(val)),
                    None => (v, None),
                };
                match (sdp.media.last_mut(), name, val) {
                    (Some(m), "rtpmap", Some(val)) => {
                        if let Some(r) = parse_rtpmap(val) {
                            m.rtpmap.push(r);
                        }
                    }
                    (Some(m), "ptime", Some(val)) => {
                        m.ptime = m.ptime.or_else(|| parse_u32(crate::trim_sp(val)));
                    }
                    (Some(m), d, None) if is_direction(d) => m.direction = Some(d),
                    (None, d, None) if is_direction(d) => sdp.direction = Some(d),
                    _ => {}
                }
            }
            _ if in_media => {}
            b'o' => sdp.origin = sdp.origin.or(Some(v)),
            b's' => sdp.session_name = sdp.session_name.or(Some(v)),
            b'u' => sdp.uri = sdp.uri.or(Some(v)),
            b'e' => sdp.email = sdp.email.or(Some(v)),
            b'p' => sdp.phone = sdp.phone.or(Some(v)),
            b'b' => sdp.bandwidth = sdp.bandwidth.or(Some(v)),
            b't' => sdp.time = sdp.time.or(Some(v)),
            b'r' => sdp.repeat = sdp.repeat.or(Some(v)),
            _ => {}
        }
    }
    Ok(sdp)
}
