//! Header names (compact forms, classification) and parsers for structured header values
//! (Via, CSeq, Authorization).

use crate::uri::{params, split_host_port, split_list, unquote};
use crate::{find_byte as fb, split_byte as split_b, trim_start_ws, trim_ws};

/// The full name of a compact header name (RFC 3261 §7.3.3 and the IANA SIP parameter
/// registry), or `name` itself when it is not a one-letter compact form.
///
/// `a` Accept-Contact, `b` Referred-By, `c` Content-Type, `d` Request-Disposition,
/// `e` Content-Encoding, `f` From, `i` Call-ID, `j` Reject-Contact, `k` Supported,
/// `l` Content-Length, `m` Contact, `n` Identity-Info, `o` Event, `r` Refer-To,
/// `s` Subject, `t` To, `u` Allow-Events, `v` Via, `x` Session-Expires, `y` Identity.
pub fn expand_compact(name: &str) -> &str {
    let b = name.as_bytes();
    if b.len() != 1 {
        return name;
    }
    match b[0].to_ascii_lowercase() {
        b'a' => "Accept-Contact",
        b'b' => "Referred-By",
        b'c' => "Content-Type",
        b'd' => "Request-Disposition",
        b'e' => "Content-Encoding",
        b'f' => "From",
        b'i' => "Call-ID",
        b'j' => "Reject-Contact",
        b'k' => "Supported",
        b'l' => "Content-Length",
        b'm' => "Contact",
        b'n' => "Identity-Info",
        b'o' => "Event",
        b'r' => "Refer-To",
        b's' => "Subject",
        b't' => "To",
        b'u' => "Allow-Events",
        b'v' => "Via",
        b'x' => "Session-Expires",
        b'y' => "Identity",
        _ => name,
    }
}

/// Whether two header names denote the same header (case-insensitive, compact forms
/// equal to their full names).
pub fn same_header(a: &str, b: &str) -> bool {
    crate::eq_ci(expand_compact(a), expand_compact(b))
}

/// Headers whose grammar is not a comma-separated list (a comma in them is data), so
/// `header_all` never splits them.
pub fn is_single_valued(name: &str) -> bool {
    const SINGLE: &[&str] = &[
        "Authentication-Info",
        "Authorization",
        "Call-ID",
        "Content-Disposition",
        "Content-Length",
        "Content-Type",
        "CSeq",
        "Date",
        "Event",
        "Expires",
        "From",
        "Identity",
        "Identity-Info",
        "Max-Forwards",
        "MIME-Version",
        "Min-Expires",
        "Min-SE",
        "Organization",
        "P-Charging-Vector",
        "Priority",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "RAck",
        "Refer-To",
        "Referred-By",
        "Replaces",
        "Reply-To",
        "Retry-After",
        "RSeq",
        "Server",
        "Session-Expires",
        "Session-ID",
        "Subject",
        "Subscription-State",
        "Timestamp",
        "To",
        "User-Agent",
        "WWW-Authenticate",
    ];
    let name = expand_compact(name);
    SINGLE.iter().any(|s| crate::eq_ci(s, name))
}

/// The headers the summary reads, recognised in one pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Known {
    From,
    To,
    CallId,
    Via,
    CSeq,
    Contact,
    ContentType,
    ContentLength,
    Pai,
    Rpid,
    Authorization,
    ProxyAuthorization,
    Diversion,
    Reason,
    UserAgent,
    Server,
    Expires,
    Other,
}

pub(crate) fn classify(name: &str) -> Known {
    let b = name.as_bytes();
    let is = |s: &str| crate::eq_ci(name, s);
    match b.len() {
        1 => match b[0].to_ascii_lowercase() {
            b'f' => Known::From,
            b't' => Known::To,
            b'i' => Known::CallId,
            b'v' => Known::Via,
            b'm' => Known::Contact,
            b'c' => Known::ContentType,
            b'l' => Known::ContentLength,
            _ => Known::Other,
        },
        2 if is("To") => Known::To,
        3 if is("Via") => Known::Via,
        4 if is("From") => Known::From,
        4 if is("CSeq") => Known::CSeq,
        6 if is("Reason") => Known::Reason,
        6 if is("Server") => Known::Server,
        7 if is("Call-ID") => Known::CallId,
        7 if is("Contact") => Known::Contact,
        7 if is("Expires") => Known::Expires,
        9 if is("Diversion") => Known::Diversion,
        10 if is("User-Agent") => Known::UserAgent,
        12 if is("Content-Type") => Known::ContentType,
        13 if is("Authorization") => Known::Authorization,
        14 if is("Content-Length") => Known::ContentLength,
        15 if is("Remote-Party-ID") => Known::Rpid,
        19 if is("P-Asserted-Identity") => Known::Pai,
        19 if is("Proxy-Authorization") => Known::ProxyAuthorization,
        _ => Known::Other,
    }
}

/// One Via element: `SIP/2.0/UDP host:port;branch=...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    /// `SIP/2.0`-style protocol name and version (`SIP/2.0`).
    pub protocol: &'a str,
    /// Transport (`UDP`, `TCP`, `TLS`, `WS`, `WSS`, `SCTP`), as written.
    pub transport: &'a str,
    /// `host[:port]` as written (IPv6 with brackets).
    pub sent_by: &'a str,
    /// Host of `sent_by` (IPv6 without brackets).
    pub host: Option<&'a str>,
    /// Port of `sent_by`.
    pub port: Option<u16>,
    /// Parameters starting with `;` (`;branch=z9hG4bK...;rport`), or `""`.
    pub params: &'a str,
}

impl<'a> Via<'a> {
    /// Via parameter `name` (`branch`, `received`, `rport`, ...).
    pub fn param(&self, name: &str) -> Option<&'a str> {
        crate::uri::param(self.params, name)
    }
}

/// Parse one Via element (use [`split_list`] first: a Via header may hold several).
/// Tolerates linear whitespace around the `/` separators.
pub fn parse_via(v: &str) -> Option<Via<'_>> {
    let v = trim_ws(v);
    let s1 = fb(v, b'/')?;
    let s2 = s1 + 1 + fb(&v[s1 + 1..], b'/')?;
    let after = trim_start_ws(&v[s2 + 1..]);
    let t_end = find_blank(after).unwrap_or(after.len());
    let transport = &after[..t_end];
    if transport.is_empty() {
        return None;
    }
    let protocol = trim_ws(&v[..s2]);
    let rest = trim_start_ws(&after[t_end..]);
    let (sent_by, params) = match fb(rest, b';') {
        Some(p) => (trim_ws(&rest[..p]), &rest[p..]),
        None => (trim_ws(rest), ""),
    };
    // Drop a trailing comment "(...)" from sent-by, if any.
    let sent_by = match sent_by
        .bytes()
        .position(|b| b == b'(' || b == b' ' || b == b'\t')
    {
        Some(e) => &sent_by[..e],
        None => sent_by,
    };
    let (host, port) = split_host_port(sent_by);
    Some(Via {
        protocol,
        transport,
        sent_by,
        host,
        port,
        params,
    })
}

fn find_blank(s: &str) -> Option<usize> {
    s.bytes().position(|b| b == b' ' || b == b'\t')
}

/// Parse a CSeq value (`314159 INVITE`) into number and method.
pub fn parse_cseq(v: &str) -> (Option<u32>, Option<&str>) {
    let mut it = v.split_ascii_whitespace();
    let num = it.next().and_then(|n| n.parse().ok());
    let method = it.next();
    (num, method)
}

/// The `username=` auth-param of an Authorization / Proxy-Authorization value
/// (`Digest username="bob", realm="..."`), unquoted.
pub fn auth_username(v: &str) -> Option<&str> {
    let v = v.trim();
    // Skip the auth scheme token (Digest, Basic, ...), if followed by whitespace.
    let rest = match v.find([' ', '\t']) {
        Some(sp) if !v[..sp].contains('=') => &v[sp..],
        _ => v,
    };
    split_list(rest).find_map(|item| {
        let (k, val) = split_b(item, b'=')?;
        k.trim()
            .eq_ignore_ascii_case("username")
            .then(|| unquote(val))
    })
}

/// Iterate over the `;`-parameters of any value (re-export of [`crate::uri::params`]).
pub fn value_params(v: &str) -> crate::uri::ParamIter<'_> {
    params(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_classify() {
        assert!(same_header("i", "call-id"));
        assert!(same_header("V", "Via"));
        assert!(!same_header("v", "Via2"));
        assert_eq!(classify("l"), Known::ContentLength);
        assert_eq!(classify("p-asserted-identity"), Known::Pai);
        assert_eq!(classify("X-CID"), Known::Other);
        assert!(is_single_valued("date"));
        assert!(is_single_valued("s"));
        assert!(!is_single_valued("Via"));
    }

    #[test]
    fn via() {
        let v =
            parse_via("SIP / 2.0 / UDP  [2001:db8::9]:5070 ;branch=z9hG4bK776;rport").expect("via");
        assert_eq!(v.transport, "UDP");
        assert_eq!(v.sent_by, "[2001:db8::9]:5070");
        assert_eq!(v.host, Some("2001:db8::9"));
        assert_eq!(v.port, Some(5070));
        assert_eq!(v.param("branch"), Some("z9hG4bK776"));
        assert_eq!(v.param("rport"), Some(""));
        assert!(parse_via("garbage").is_none());
    }

    #[test]
    fn auth() {
        assert_eq!(
            auth_username(r#"Digest username="bob", realm="biloxi.com", nonce="a,b""#),
            Some("bob")
        );
        assert_eq!(
            auth_username(r#"Digest realm="x",USERNAME=alice,uri="sip:x""#),
            Some("alice")
        );
        assert_eq!(auth_username("Basic QWxhZGRpbjpvcGVu"), None);
        assert_eq!(parse_cseq("101 INVITE"), (Some(101), Some("INVITE")));
    }
}
