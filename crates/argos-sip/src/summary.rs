//! [`SipSummary`]: the searchable fields of one message, and their configuration.

use std::borrow::Cow;

use regex::Regex;

use crate::hdr::{auth_username, classify, expand_compact, parse_cseq, parse_via, Known};
use crate::sdp::{self, Sdp};
use crate::trim_ws;
use crate::uri::{first_element, first_name_addr, param, parse_uri, NameAddr};
use crate::{looks_like_start_line, SipMessage, StartLine};

/// A header that carries the a-leg Call-ID (or another call-correlation key) on the other
/// legs of a B2BUA call.
///
/// `strip` removes a B2BUA-specific decoration from the value:
/// * if the regex has a capture group, the value becomes the text of the **first capture
///   group** (e.g. `^(.*)_b2b-\d+$` keeps what precedes `_b2b-1`);
/// * otherwise the **first match is removed** from the value (e.g. `_b2b-\d+$`);
/// * if the regex does not match (or group 1 did not participate) the value is kept
///   unchanged.
///
/// The result is trimmed; an empty result counts as absent.
#[derive(Debug, Clone)]
pub struct ALegHeader {
    /// Header name, case-insensitive (`X-CID`, `Session-ID`, `X-Leg-Id`, ...).
    pub name: String,
    /// Optional suffix / decoration stripper, see the type docs.
    pub strip: Option<Regex>,
}

impl ALegHeader {
    /// A header taken as-is.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            strip: None,
        }
    }

    /// A header whose value is rewritten by `strip` (see the type docs).
    pub fn with_strip(name: impl Into<String>, strip: Regex) -> Self {
        Self {
            name: name.into(),
            strip: Some(strip),
        }
    }

    /// `X-CID` (Kamailio / sipcapture convention), no stripping. The default.
    pub fn x_cid() -> Self {
        Self::new("X-CID")
    }

    /// RFC 7989 `Session-ID`: the local UUID before any `;remote=` parameter. It is equal on
    /// every leg of a call passing through RFC 7989-aware B2BUAs, so it groups the legs
    /// (including the a-leg itself). The null UUID (all zeros) counts as absent.
    pub fn session_id() -> Self {
        // A constant pattern: compilation cannot fail.
        #[allow(clippy::expect_used)]
        let re = Regex::new(r"^\s*([^;\s]+)").expect("constant regex");
        Self::with_strip("Session-ID", re)
    }

    /// Apply `strip` to a header value, see the type docs.
    pub fn apply<'s>(&self, value: &'s str) -> Option<Cow<'s, str>> {
        let value = trim_ws(value);
        let out: Cow<'s, str> = match &self.strip {
            None => Cow::Borrowed(value),
            Some(re) if re.captures_len() > 1 => match re.captures(value).and_then(|c| c.get(1)) {
                Some(g) => Cow::Borrowed(g.as_str().trim()),
                None => Cow::Borrowed(value),
            },
            Some(re) => match re.find(value) {
                Some(m) if m.start() == 0 => Cow::Borrowed(value[m.end()..].trim()),
                Some(m) if m.end() == value.len() => Cow::Borrowed(value[..m.start()].trim()),
                Some(m) => {
                    let mut s = String::with_capacity(value.len() - m.len());
                    s.push_str(&value[..m.start()]);
                    s.push_str(&value[m.end()..]);
                    Cow::Owned(s)
                }
                None => Cow::Borrowed(value),
            },
        };
        if out.is_empty() {
            return None;
        }
        if self.name.eq_ignore_ascii_case("Session-ID") && out.bytes().all(|b| b == b'0') {
            return None;
        }
        Some(out)
    }
}

/// What [`SipMessage::summary`] extracts beyond the fixed fields.
#[derive(Debug, Clone)]
pub struct FieldConfig {
    /// Headers tried in order for [`SipSummary::a_leg`]; the first present (non-empty
    /// after stripping) wins. Default: `[X-CID]`.
    pub a_leg_headers: Vec<ALegHeader>,
}

impl Default for FieldConfig {
    fn default() -> Self {
        Self {
            a_leg_headers: vec![ALegHeader::x_cid()],
        }
    }
}

impl FieldConfig {
    /// Also try RFC 7989 `Session-ID` (after the headers already configured).
    pub fn with_session_id(mut self) -> Self {
        self.a_leg_headers.push(ALegHeader::session_id());
        self
    }
}

/// The searchable fields of a message. Every field is optional; string fields borrow
/// from the message (`a_leg` may own a value rewritten by a strip regex).
///
/// List headers (Via, Contact, P-Asserted-Identity, Diversion, ...) contribute their
/// first element.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SipSummary<'s> {
    /// Request method; `None` for a response.
    pub method: Option<&'s str>,
    /// Status code; `None` for a request.
    pub status: Option<u16>,
    /// Reason phrase of a response.
    pub reason: Option<&'s str>,
    /// Request-URI as written.
    pub ruri: Option<&'s str>,
    pub ruri_user: Option<&'s str>,
    pub ruri_domain: Option<&'s str>,
    pub from_user: Option<&'s str>,
    pub from_domain: Option<&'s str>,
    pub from_tag: Option<&'s str>,
    pub to_user: Option<&'s str>,
    pub to_domain: Option<&'s str>,
    pub to_tag: Option<&'s str>,
    /// User of P-Asserted-Identity, else of Remote-Party-ID.
    pub pai_user: Option<&'s str>,
    pub contact_user: Option<&'s str>,
    /// Host of the Contact URI (IPv6 without brackets).
    pub contact_ip: Option<&'s str>,
    pub contact_port: Option<u16>,
    /// `username=` of Authorization, else Proxy-Authorization.
    pub auth_user: Option<&'s str>,
    pub call_id: Option<&'s str>,
    /// Correlation key from the configured a-leg headers ([`FieldConfig`]).
    pub a_leg: Option<Cow<'s, str>>,
    pub via_branch: Option<&'s str>,
    /// `host[:port]` of the top Via.
    pub via_sent_by: Option<&'s str>,
    /// Transport of the top Via (`UDP`, `TCP`, ...).
    pub via_transport: Option<&'s str>,
    pub cseq_num: Option<u32>,
    pub cseq_method: Option<&'s str>,
    pub diversion_user: Option<&'s str>,
    /// Whole value of the first Reason header (`Q.850;cause=16;text="..."`).
    pub reason_header: Option<&'s str>,
    /// Whole Content-Type value, parameters included.
    pub content_type: Option<&'s str>,
    /// User-Agent, else Server.
    pub user_agent: Option<&'s str>,
    /// Expires header, else the `expires=` parameter of the first Contact.
    pub expires: Option<u32>,
    /// Parsed SDP when the body (or a part of a multipart body) is `application/sdp`.
    pub sdp: Option<Sdp<'s>>,
}

fn non_empty(s: &str) -> Option<&str> {
    let s = trim_ws(s);
    (!s.is_empty()).then_some(s)
}

/// A-leg headers looked up during the single pass over the headers; any further ones
/// are looked up afterwards with `SipMessage::header`.
const A_LEG_SLOTS: usize = 4;

fn user_domain<'a>(na: Option<&NameAddr<'a>>) -> (Option<&'a str>, Option<&'a str>) {
    match na.and_then(|n| n.parsed_uri()) {
        Some(u) => (u.user, u.host),
        None => (None, None),
    }
}

fn media_type(ct: &str) -> &str {
    trim_ws(crate::find_byte(ct, b';').map_or(ct, |p| &ct[..p]))
}

/// Find the first `application/sdp` part of a multipart body.
fn multipart_sdp<'b>(content_type: &str, body: &'b [u8]) -> Option<&'b [u8]> {
    let boundary = crate::uri::unquote(param(content_type, "boundary")?);
    if boundary.is_empty() || boundary.len() > 200 {
        return None;
    }
    let bnd = boundary.as_bytes();
    let mut starts = memchr::memmem::find_iter(body, bnd)
        .filter(|&i| i >= 2 && &body[i - 2..i] == b"--")
        .map(|i| i - 2);
    let mut cur = starts.next()?;
    loop {
        let next = starts.next();
        // Part begins after the delimiter line.
        let after = cur + 2 + bnd.len();
        let part_start = after + memchr::memchr(b'\n', body.get(after..)?)? + 1;
        let mut part_end = next.unwrap_or(body.len());
        // The CRLF before the next delimiter belongs to the delimiter.
        if next.is_some() {
            if part_end > part_start && body[part_end - 1] == b'\n' {
                part_end -= 1;
            }
            if part_end > part_start && body[part_end - 1] == b'\r' {
                part_end -= 1;
            }
        }
        if let Some(part) = body.get(part_start..part_end) {
            if let Some(sdp) = part_if_sdp(part) {
                return Some(sdp);
            }
        }
        cur = next?;
    }
}

/// The body of a MIME part if its Content-Type is application/sdp.
fn part_if_sdp(part: &[u8]) -> Option<&[u8]> {
    let mut pos = 0;
    let mut is_sdp = false;
    loop {
        let nl = memchr::memchr(b'\n', &part[pos..]);
        let end = nl.map_or(part.len(), |n| pos + n);
        let line = &part[pos..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return (is_sdp && nl.is_some()).then(|| &part[(end + 1).min(part.len())..]);
        }
        if let Some(colon) = memchr::memchr(b':', line) {
            let name = std::str::from_utf8(&line[..colon]).unwrap_or("").trim();
            if crate::hdr::same_header(name, "Content-Type") {
                let v = std::str::from_utf8(&line[colon + 1..]).unwrap_or("");
                is_sdp = media_type(v).eq_ignore_ascii_case("application/sdp");
            }
        }
        nl?;
        pos = end + 1;
    }
}

impl<'a> SipMessage<'a> {
    /// Extract the searchable fields (one pass over the headers, then the URI / SDP
    /// parsers on the few values needed).
    ///
    /// SDP: parsed from [`body`](Self::body) when Content-Type is `application/sdp`, or
    /// from the first `application/sdp` part of a `multipart/*` body. When Content-Length
    /// cut the datagram short and the left-over bytes do not start another SIP message,
    /// the SDP is parsed from the whole remainder (as Suricata does); an unparsable SDP
    /// gives `sdp: None`.
    pub fn summary(&self, cfg: &FieldConfig) -> SipSummary<'_> {
        let mut s = SipSummary::default();
        match self.start_line() {
            StartLine::Request { method, uri, .. } => {
                s.method = Some(method);
                s.ruri = Some(uri);
                if let Some(u) = parse_uri(uri) {
                    s.ruri_user = u.user;
                    s.ruri_domain = u.host;
                }
            }
            StartLine::Response { code, reason, .. } => {
                s.status = Some(*code);
                s.reason = non_empty(reason);
            }
        }

        let (mut from, mut to, mut via, mut contact, mut pai, mut rpid) =
            (None, None, None, None, None, None);
        let (mut authz, mut proxy_authz, mut diversion, mut ua, mut server, mut expires) =
            (None, None, None, None, None, None);
        let mut cseq = None;
        // The configured a-leg headers (compact forms expanded), matched in the same pass.
        let mut a_names = [""; A_LEG_SLOTS];
        let n_a = cfg.a_leg_headers.len().min(A_LEG_SLOTS);
        for (slot, a) in a_names.iter_mut().zip(&cfg.a_leg_headers) {
            *slot = expand_compact(&a.name);
        }
        let mut a_vals: [Option<&str>; A_LEG_SLOTS] = [None; A_LEG_SLOTS];
        for h in self.headers() {
            let v: &str = &h.value;
            if n_a > 0 {
                let full = expand_compact(h.name);
                for (name, val) in a_names[..n_a].iter().zip(a_vals.iter_mut()) {
                    if val.is_none() && crate::eq_ci(name, full) {
                        *val = Some(v);
                    }
                }
            }
            let slot = match classify(h.name) {
                Known::From => &mut from,
                Known::To => &mut to,
                Known::CallId => &mut s.call_id,
                Known::Via => &mut via,
                Known::CSeq => &mut cseq,
                Known::Contact => &mut contact,
                Known::ContentType => &mut s.content_type,
                Known::Pai => &mut pai,
                Known::Rpid => &mut rpid,
                Known::Authorization => &mut authz,
                Known::ProxyAuthorization => &mut proxy_authz,
                Known::Diversion => &mut diversion,
                Known::Reason => &mut s.reason_header,
                Known::UserAgent => &mut ua,
                Known::Server => &mut server,
                Known::Expires => &mut expires,
                Known::ContentLength | Known::Other => continue,
            };
            if slot.is_none() {
                *slot = non_empty(v);
            }
        }

        let from = from.and_then(first_name_addr);
        (s.from_user, s.from_domain) = user_domain(from.as_ref());
        s.from_tag = from.and_then(|f| f.param("tag")).and_then(non_empty);
        let to = to.and_then(first_name_addr);
        (s.to_user, s.to_domain) = user_domain(to.as_ref());
        s.to_tag = to.and_then(|t| t.param("tag")).and_then(non_empty);

        s.pai_user = pai
            .and_then(first_name_addr)
            .and_then(|n| n.parsed_uri())
            .and_then(|u| u.user)
            .or_else(|| {
                rpid.and_then(first_name_addr)
                    .and_then(|n| n.parsed_uri())
                    .and_then(|u| u.user)
            });
        s.diversion_user = diversion
            .and_then(first_name_addr)
            .and_then(|n| n.parsed_uri())
            .and_then(|u| u.user);

        let contact = contact.and_then(first_name_addr);
        if let Some(u) = contact.and_then(|c| c.parsed_uri()) {
            s.contact_user = u.user;
            s.contact_ip = u.host;
            s.contact_port = u.port;
        }
        s.expires = expires
            .and_then(|e| e.parse().ok())
            .or_else(|| contact.and_then(|c| c.param("expires")?.trim().parse().ok()));

        s.auth_user = authz
            .and_then(auth_username)
            .or_else(|| proxy_authz.and_then(auth_username))
            .and_then(non_empty);

        if let Some(v) = via.and_then(first_element).and_then(parse_via) {
            s.via_branch = v.param("branch").and_then(non_empty);
            s.via_sent_by = non_empty(v.sent_by);
            s.via_transport = non_empty(v.transport);
        }
        if let Some(c) = cseq {
            (s.cseq_num, s.cseq_method) = parse_cseq(c);
        }
        s.user_agent = ua.or(server);

        s.a_leg = cfg
            .a_leg_headers
            .iter()
            .enumerate()
            .find_map(|(k, a)| match a_vals.get(k) {
                Some(v) => a.apply((*v)?),
                None => a.apply(self.header(&a.name)?),
            });

        if let Some(ct) = s.content_type {
            s.sdp = self.sdp_from(ct);
        }
        s
    }

    fn sdp_from(&self, content_type: &str) -> Option<Sdp<'a>> {
        let mt = media_type(content_type);
        if crate::eq_ci(mt, "application/sdp") {
            let trailing = self.trailing();
            if !trailing.is_empty() && !looks_like_start_line(trailing) {
                if let Ok(sdp) = sdp::parse(self.remainder()) {
                    return Some(sdp);
                }
            }
            sdp::parse(self.body()).ok()
        } else if crate::starts_with_ci(mt, "multipart/") {
            multipart_sdp(content_type, self.body()).and_then(|b| sdp::parse(b).ok())
        } else {
            None
        }
    }
}
