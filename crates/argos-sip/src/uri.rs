//! Zero-copy parsing of header values: comma lists, `;`-parameters, name-addr /
//! addr-spec, and `sip:` / `sips:` / `tel:` URIs.
//!
//! All functions are best-effort and never fail hard: they return `None` or empty slices
//! for what they cannot make sense of, and run in time linear in the input.
//!
//! Quoted strings (`"..."` with `\"` escapes) and `<...>` are skipped when looking for
//! separators. A quote or `<` that is never closed is treated as an ordinary character
//! (and so are all later ones in the same value), so hostile input cannot make a scan
//! quadratic.

/// Separator scanner that skips quoted strings and `<...>`.
#[derive(Debug, Clone, Copy)]
struct Scanner {
    quotes: bool,
    angles: bool,
}

impl Scanner {
    fn new(angles: bool) -> Self {
        Self {
            quotes: true,
            angles,
        }
    }

    /// Index of the first top-level byte of `s[from..]` equal to `sep`.
    fn find(&mut self, s: &[u8], from: usize, sep: u8) -> Option<usize> {
        let mut i = from;
        while i < s.len() {
            let b = s[i];
            if b == sep {
                return Some(i);
            }
            if b == b'"' && self.quotes {
                match closing_quote(s, i + 1) {
                    Some(end) => {
                        i = end + 1;
                        continue;
                    }
                    None => self.quotes = false,
                }
            } else if b == b'<' && self.angles {
                match memchr::memchr(b'>', &s[i + 1..]) {
                    Some(off) => {
                        i += off + 2;
                        continue;
                    }
                    None => self.angles = false,
                }
            }
            i += 1;
        }
        None
    }
}

/// Index of the `"` closing a quoted string whose content starts at `from`.
fn closing_quote(s: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

use crate::{find_byte as fb, split_byte as split_b, trim_sp as trim};

/// Strip one pair of surrounding double quotes, if present (escapes are kept as-is).
pub fn unquote(s: &str) -> &str {
    let s = trim(s);
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// Iterator over the top-level, comma-separated elements of a header value (trimmed,
/// empty elements skipped). Commas inside quoted strings and `<...>` do not split.
#[derive(Debug, Clone)]
pub struct ListIter<'a> {
    s: &'a str,
    pos: usize,
    scanner: Scanner,
    split: bool,
}

impl<'a> ListIter<'a> {
    pub(crate) fn new(s: &'a str, split: bool) -> Self {
        Self {
            s,
            pos: 0,
            scanner: Scanner::new(true),
            split,
        }
    }
}

impl<'a> Iterator for ListIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        while self.pos <= self.s.len() {
            let start = self.pos;
            let end = if self.split {
                self.scanner
                    .find(self.s.as_bytes(), start, b',')
                    .unwrap_or(self.s.len())
            } else {
                self.s.len()
            };
            self.pos = end + 1;
            let item = trim(self.s.get(start..end).unwrap_or(""));
            if !item.is_empty() {
                return Some(item);
            }
        }
        None
    }
}

/// Split a comma-list header value into its elements (see [`ListIter`]).
pub fn split_list(value: &str) -> ListIter<'_> {
    ListIter::new(value, true)
}

/// Iterator over `;name[=value]` parameters: yields `(name, value)` with both trimmed,
/// the value unquoted, and `""` for a flag parameter such as `;lr`.
#[derive(Debug, Clone)]
pub struct ParamIter<'a> {
    s: &'a str,
    pos: usize,
    scanner: Scanner,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        while self.pos < self.s.len() {
            let start = self.pos;
            let end = self
                .scanner
                .find(self.s.as_bytes(), start, b';')
                .unwrap_or(self.s.len());
            self.pos = end + 1;
            let item = trim(self.s.get(start..end).unwrap_or(""));
            if item.is_empty() {
                continue;
            }
            return Some(match split_b(item, b'=') {
                Some((n, v)) => (trim(n), unquote(v)),
                None => (item, ""),
            });
        }
        None
    }
}

/// Iterate over the parameters of a `;a=1;b;c="x"` string (a leading `;` is optional).
pub fn params(s: &str) -> ParamIter<'_> {
    ParamIter {
        s,
        pos: 0,
        scanner: Scanner::new(false),
    }
}

/// Value of parameter `name` (case-insensitive) in a `;a=1;b` string; `Some("")` for a
/// flag parameter.
pub fn param<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    // Same result as `params(s).find(..)`, in one memchr-driven pass.
    let b = s.as_bytes();
    let mut pos = 0;
    let mut quotes = true;
    while pos < b.len() {
        let start = pos;
        let end = find_top_level(b, start, b';', &mut quotes);
        pos = end + 1;
        let item = &s[start..end];
        let (n, v) = match fb(item, b'=') {
            Some(eq) => (trim(&item[..eq]), Some(&item[eq + 1..])),
            None => (trim(item), None),
        };
        if n.is_empty() && v.is_none() {
            continue;
        }
        if crate::eq_ci(n, name) {
            return Some(v.map_or("", unquote));
        }
    }
    None
}

/// Index of the first byte `sep` of `b[from..]` outside quoted strings (or `b.len()`);
/// what `Scanner { quotes, angles: false }.find` does, with the same `quotes` state.
#[inline]
fn find_top_level(b: &[u8], from: usize, sep: u8, quotes: &mut bool) -> usize {
    let mut i = from;
    loop {
        if !*quotes {
            return crate::find_short(&b[i..], sep).map_or(b.len(), |o| i + o);
        }
        // Parameter lists are short: a plain loop beats `memchr2`'s setup.
        while i < b.len() && b[i] != sep && b[i] != b'"' {
            i += 1;
        }
        if i >= b.len() {
            return b.len();
        }
        let j = i;
        if b[j] == sep {
            return j;
        }
        match closing_quote(b, j + 1) {
            Some(e) => i = e + 1,
            None => {
                *quotes = false;
                i = j + 1;
            }
        }
    }
}

/// A `name-addr` (`"Display" <uri>;params`) or `addr-spec` (`uri;params`) header element,
/// as found in From, To, Contact, P-Asserted-Identity, Remote-Party-ID, Diversion, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// Display name without the surrounding quotes (escapes kept raw); `None` if absent.
    pub display_name: Option<&'a str>,
    /// The URI (inside `<>`, or up to the first `;` for an addr-spec).
    pub uri: &'a str,
    /// Header parameters after the URI, starting with `;` (e.g. `;tag=abc`), or `""`.
    pub params: &'a str,
}

impl<'a> NameAddr<'a> {
    /// Header parameter `name` (e.g. `tag`, `expires`, `reason`).
    pub fn param(&self, name: &str) -> Option<&'a str> {
        param(self.params, name)
    }

    /// The URI, parsed.
    pub fn parsed_uri(&self) -> Option<Uri<'a>> {
        parse_uri(self.uri)
    }
}

/// Parse one name-addr / addr-spec element (use [`split_list`] first for lists).
///
/// Per RFC 3261 §20, in the addr-spec form everything after the first `;` is a header
/// parameter, not a URI parameter.
pub fn parse_name_addr(value: &str) -> Option<NameAddr<'_>> {
    let value = trim(value);
    if value.is_empty() {
        return None;
    }
    let mut quotes = true;
    let lt = find_top_level(value.as_bytes(), 0, b'<', &mut quotes);
    Some(name_addr_at(value, (lt < value.len()).then_some(lt)))
}

/// The name-addr of a trimmed, non-empty element whose first top-level `<` is `lt`.
#[inline]
fn name_addr_at(value: &str, lt: Option<usize>) -> NameAddr<'_> {
    match lt {
        Some(lt) => {
            let after = &value[lt + 1..];
            let (uri, params) = match fb(after, b'>') {
                Some(gt) => {
                    let rest = &after[gt + 1..];
                    let params = fb(rest, b';').map_or("", |p| &rest[p..]);
                    (&after[..gt], params)
                }
                None => (after, ""),
            };
            let display = unquote(&value[..lt]);
            NameAddr {
                display_name: (!display.is_empty()).then_some(display),
                uri: trim(uri),
                params,
            }
        }
        None => {
            let (uri, params) = match fb(value, b';') {
                Some(p) => (&value[..p], &value[p..]),
                None => (value, ""),
            };
            NameAddr {
                display_name: None,
                uri: trim(uri),
                params,
            }
        }
    }
}

/// Bytes the comma-list scan stops at.
const LIST_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b',' as usize] = true;
    t[b'"' as usize] = true;
    t[b'<' as usize] = true;
    t
};

/// The first element of a comma list (`split_list(v).next()`) and, when it has one, the
/// index of its first top-level `<`. `None` when `v` is blank or starts with an empty
/// element (callers then take the general path).
#[inline]
fn scan_first_element(v: &str) -> Option<(&str, Option<usize>)> {
    let v = trim(v);
    let b = v.as_bytes();
    if b.first().is_none_or(|&c| c == b',') {
        return None;
    }
    let mut i = 0;
    let mut quotes = true;
    let mut angles = true;
    let mut lt = None;
    let end = loop {
        // A table-driven byte loop: the elements are short, so this beats `memchr3`.
        while i < b.len() && !LIST_SPECIAL[usize::from(b[i])] {
            i += 1;
        }
        if i >= b.len() {
            break b.len();
        }
        let j = i;
        match b[j] {
            b',' => break j,
            b'"' if quotes => match closing_quote(b, j + 1) {
                Some(e) => {
                    i = e + 1;
                    continue;
                }
                None => quotes = false,
            },
            b'<' => {
                if lt.is_none() {
                    lt = Some(j);
                }
                if angles {
                    match crate::find_short(&b[j + 1..], b'>') {
                        Some(off) => {
                            i = j + off + 2;
                            continue;
                        }
                        None => angles = false,
                    }
                }
            }
            _ => {}
        }
        i = j + 1;
    };
    // `v` starts with a non-blank byte other than ',', so the element is not empty.
    Some((trim(&v[..end]), lt))
}

/// `split_list(v).next()`, without building the iterator.
pub(crate) fn first_element(v: &str) -> Option<&str> {
    match scan_first_element(v) {
        Some((item, _)) => Some(item),
        None => split_list(v).next(),
    }
}

/// `split_list(v).next().and_then(parse_name_addr)` in one pass: the comma scan that ends
/// the first element also finds its top-level `<` (the first one it meets: quoted strings
/// are skipped the same way by both scans, and a `<` before the comma is never inside
/// `<...>`).
pub(crate) fn first_name_addr(v: &str) -> Option<NameAddr<'_>> {
    match scan_first_element(v) {
        Some((item, lt)) => Some(name_addr_at(item, lt)),
        None => split_list(v).next().and_then(parse_name_addr),
    }
}

/// A parsed URI. `sip:`/`sips:` fill every field that is present; `tel:` fills `user`
/// with the number and `params`; other schemes only `scheme`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Uri<'a> {
    /// Scheme as written (`sip`, `SIP`, `sips`, `tel`, ...).
    pub scheme: &'a str,
    /// User part (or the `tel:` number), escapes kept raw; `None` if absent or empty.
    pub user: Option<&'a str>,
    /// Password from `user:password@host`.
    pub password: Option<&'a str>,
    /// Host; IPv6 references are returned without the brackets (`2001:db8::1`).
    pub host: Option<&'a str>,
    /// Port, if present and a valid `u16`.
    pub port: Option<u16>,
    /// URI parameters starting with `;` (e.g. `;transport=tcp;lr`), or `""`.
    pub params: &'a str,
    /// URI headers after `?` (without the `?`), or `""`.
    pub headers: &'a str,
}

impl<'a> Uri<'a> {
    /// URI parameter `name`.
    pub fn param(&self, name: &str) -> Option<&'a str> {
        param(self.params, name)
    }
}

/// Split `host[:port]` / `[v6]:port`; returns `(host, port)` with brackets removed.
pub fn split_host_port(s: &str) -> (Option<&str>, Option<u16>) {
    let s = trim(s);
    if let Some(v6) = s.strip_prefix('[') {
        return match fb(v6, b']') {
            Some(end) => {
                let host = &v6[..end];
                let port = v6[end + 1..].strip_prefix(':').and_then(parse_port);
                ((!host.is_empty()).then_some(host), port)
            }
            None => ((!v6.is_empty()).then_some(v6), None),
        };
    }
    match split_b(s, b':') {
        Some((h, p)) => ((!h.is_empty()).then_some(h), parse_port(p)),
        None => ((!s.is_empty()).then_some(s), None),
    }
}

fn parse_port(s: &str) -> Option<u16> {
    let s = trim(s);
    if s.is_empty() {
        return None;
    }
    let mut n: u32 = 0;
    for &d in s.as_bytes() {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(d - b'0');
        if n > u32::from(u16::MAX) {
            return None;
        }
    }
    u16::try_from(n).ok()
}

/// Bytes that end or split a part of a `sip:` URI.
const URI_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'?' as usize] = true;
    t[b'@' as usize] = true;
    t[b';' as usize] = true;
    t[b':' as usize] = true;
    t
};

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// Parse a URI (without `<>`). Returns `None` when there is no `scheme:`.
pub fn parse_uri(s: &str) -> Option<Uri<'_>> {
    let s = trim(s);
    let b = s.as_bytes();
    // The scheme: 1 to 16 of [A-Za-z0-9+-.] before the first ':'.
    let mut colon = 0;
    loop {
        let c = *b.get(colon)?;
        if c == b':' {
            break;
        }
        if colon >= 16 || !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')) {
            return None;
        }
        colon += 1;
    }
    if colon == 0 {
        return None;
    }
    let scheme = &s[..colon];
    let rest = &s[colon + 1..];
    let mut uri = Uri {
        scheme,
        ..Uri::default()
    };
    let is_sip = match scheme.len() {
        3 => scheme.eq_ignore_ascii_case("sip"),
        4 => scheme.eq_ignore_ascii_case("sips"),
        _ => false,
    };
    if is_sip {
        // One pass up to the first '?': the first '@', the first ':' before it (password),
        // and the first ';' and ':' after it (or in the whole part when there is no '@').
        let rb = rest.as_bytes();
        let mut q = rb.len();
        let mut at = None;
        let mut semi = None;
        let mut col = None;
        let mut user_col = None;
        for (i, &c) in rb.iter().enumerate() {
            if !URI_SPECIAL[usize::from(c)] {
                continue;
            }
            match c {
                b'?' => {
                    q = i;
                    break;
                }
                b'@' if at.is_none() => {
                    at = Some(i);
                    user_col = col;
                    col = None;
                    semi = None;
                }
                b';' if semi.is_none() => semi = Some(i),
                b':' if col.is_none() => col = Some(i),
                _ => {}
            }
        }
        let before_q = &rest[..q];
        uri.headers = rest.get(q + 1..).unwrap_or("");
        let hs = match at {
            Some(a) => {
                let userinfo = &before_q[..a];
                let (user, pw) = match user_col {
                    Some(c) => (&userinfo[..c], Some(&userinfo[c + 1..])),
                    None => (userinfo, None),
                };
                uri.user = (!user.is_empty()).then_some(user);
                uri.password = pw;
                a + 1
            }
            None => 0,
        };
        let hostpart = &before_q[hs..];
        let hb = hostpart.as_bytes();
        if hb.first() == Some(&b'[') {
            // An IPv6 reference: the host[:port] ends at the first ';' after the ']'.
            let hp_end =
                fb(hostpart, b']').map_or(hostpart.len(), |e| match fb(&hostpart[e..], b';') {
                    Some(p) => e + p,
                    None => hostpart.len(),
                });
            (uri.host, uri.port) = split_host_port(&hostpart[..hp_end]);
            uri.params = &hostpart[hp_end..];
        } else {
            let hp_end = semi.map_or(hostpart.len(), |p| p - hs);
            let hp = &hostpart[..hp_end];
            let hpb = hp.as_bytes();
            match (hpb.first(), hpb.last()) {
                (Some(&f), Some(&l)) if !is_blank(f) && !is_blank(l) => {
                    // No blanks to trim and no '[': split at the ':' found above.
                    match col.map(|c| c - hs).filter(|&c| c < hp_end) {
                        Some(c) => {
                            uri.host = (c > 0).then(|| &hp[..c]);
                            uri.port = parse_port(&hp[c + 1..]);
                        }
                        None => uri.host = Some(hp),
                    }
                }
                _ => (uri.host, uri.port) = split_host_port(hp),
            }
            uri.params = &hostpart[hp_end..];
        }
    } else if scheme.eq_ignore_ascii_case("tel") {
        let (number, params) = match fb(rest, b';') {
            Some(p) => (&rest[..p], &rest[p..]),
            None => (rest, ""),
        };
        let number = trim(number);
        uri.user = (!number.is_empty()).then_some(number);
        uri.params = params;
    }
    Some(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_split_respects_quotes_and_angles() {
        let v = r#""Doe, John" <sip:j@x;a=b,c>;tag=1 , <sip:k@y>,,sip:z@w"#;
        let items: Vec<_> = split_list(v).collect();
        assert_eq!(
            items,
            [
                r#""Doe, John" <sip:j@x;a=b,c>;tag=1"#,
                "<sip:k@y>",
                "sip:z@w"
            ]
        );
    }

    #[test]
    fn unterminated_quote_is_plain_char() {
        let items: Vec<_> = split_list(r#"a"b, c"#).collect();
        assert_eq!(items, [r#"a"b"#, "c"]);
        let items: Vec<_> = split_list(r#"<a, b"#).collect();
        assert_eq!(items, ["<a", "b"]);
    }

    #[test]
    fn name_addr_forms() {
        let na = parse_name_addr(r#""Bob \"B\" Smith" <sip:bob@biloxi.com>;tag=a6c85cf"#)
            .expect("name-addr");
        assert_eq!(na.display_name, Some(r#"Bob \"B\" Smith"#));
        assert_eq!(na.uri, "sip:bob@biloxi.com");
        assert_eq!(na.param("tag"), Some("a6c85cf"));
        let na = parse_name_addr("sip:100@127.0.0.1:5061;expires=60").expect("addr-spec");
        assert_eq!(na.uri, "sip:100@127.0.0.1:5061");
        assert_eq!(na.param("EXPIRES"), Some("60"));
        // Suricata's crafted compact-form message has a literal backslash before the quote.
        let na = parse_name_addr(r#"\"arik\" <sip:816666@voip.brurjula.net>;tag=6433ef9"#)
            .expect("escaped");
        assert_eq!(na.uri, "sip:816666@voip.brurjula.net");
        assert_eq!(na.param("tag"), Some("6433ef9"));
    }

    #[test]
    fn uris() {
        let u =
            parse_uri("sip:alice:secret@atlanta.com:5061;transport=tcp?subject=x").expect("uri");
        assert_eq!(u.user, Some("alice"));
        assert_eq!(u.password, Some("secret"));
        assert_eq!(u.host, Some("atlanta.com"));
        assert_eq!(u.port, Some(5061));
        assert_eq!(u.param("transport"), Some("tcp"));
        assert_eq!(u.headers, "subject=x");
        let u = parse_uri("sips:[2001:db8::1]:5060;lr").expect("v6");
        assert_eq!(u.host, Some("2001:db8::1"));
        assert_eq!(u.port, Some(5060));
        assert_eq!(u.user, None);
        assert_eq!(u.param("lr"), Some(""));
        let u = parse_uri("sip:bob@[2001:db8::2]").expect("v6 no port");
        assert_eq!(u.host, Some("2001:db8::2"));
        assert_eq!(u.port, None);
        let u = parse_uri("tel:+1-201-555-0123;phone-context=example.com").expect("tel");
        assert_eq!(u.user, Some("+1-201-555-0123"));
        assert_eq!(u.host, None);
        assert_eq!(u.param("phone-context"), Some("example.com"));
        let u = parse_uri("sip:+4930123;npdi;rn=+4930999@gw.example.net;user=phone")
            .expect("user params");
        assert_eq!(u.user, Some("+4930123;npdi;rn=+4930999"));
        assert_eq!(u.host, Some("gw.example.net"));
        assert_eq!(u.param("user"), Some("phone"));
        assert!(parse_uri("no scheme here").is_none());
        assert_eq!(parse_uri("sip:host:99999").expect("bad port").port, None);
    }
}

/// The previous (multi-pass) implementations, kept as oracles for the fast ones.
#[cfg(test)]
mod reference {
    use super::{trim, unquote, Scanner};
    use crate::{find_byte as fb, split_byte as split_b};

    pub(super) fn param<'a>(s: &'a str, name: &str) -> Option<&'a str> {
        super::params(s)
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    pub(super) fn parse_name_addr(value: &str) -> Option<super::NameAddr<'_>> {
        let value = trim(value);
        if value.is_empty() {
            return None;
        }
        let bytes = value.as_bytes();
        let mut scanner = Scanner::new(false);
        if let Some(lt) = scanner.find(bytes, 0, b'<') {
            let after = &value[lt + 1..];
            let (uri, params) = match fb(after, b'>') {
                Some(gt) => {
                    let rest = &after[gt + 1..];
                    let params = fb(rest, b';').map_or("", |p| &rest[p..]);
                    (&after[..gt], params)
                }
                None => (after, ""),
            };
            let display = unquote(&value[..lt]);
            Some(super::NameAddr {
                display_name: (!display.is_empty()).then_some(display),
                uri: trim(uri),
                params,
            })
        } else {
            let (uri, params) = match fb(value, b';') {
                Some(p) => (&value[..p], &value[p..]),
                None => (value, ""),
            };
            Some(super::NameAddr {
                display_name: None,
                uri: trim(uri),
                params,
            })
        }
    }

    pub(super) fn parse_port(s: &str) -> Option<u16> {
        let s = trim(s);
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    }

    /// Parse a URI (without `<>`). Returns `None` when there is no `scheme:`.
    pub(super) fn parse_uri(s: &str) -> Option<super::Uri<'_>> {
        let s = trim(s);
        let colon = fb(s, b':')?;
        let scheme = &s[..colon];
        if scheme.is_empty()
            || scheme.len() > 16
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        {
            return None;
        }
        let rest = &s[colon + 1..];
        let mut uri = super::Uri {
            scheme,
            ..super::Uri::default()
        };
        if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
            let (before_q, headers) = match fb(rest, b'?') {
                Some(q) => (&rest[..q], &rest[q + 1..]),
                None => (rest, ""),
            };
            uri.headers = headers;
            let hostpart = match fb(before_q, b'@') {
                Some(at) => {
                    let userinfo = &before_q[..at];
                    let (user, pw) = match split_b(userinfo, b':') {
                        Some((u, p)) => (u, Some(p)),
                        None => (userinfo, None),
                    };
                    uri.user = (!user.is_empty()).then_some(user);
                    uri.password = pw;
                    &before_q[at + 1..]
                }
                None => before_q,
            };
            // The host[:port] ends at the first ';' (an IPv6 reference has none).
            let hp_end = if hostpart.starts_with('[') {
                hostpart
                    .find(']')
                    .map_or(hostpart.len(), |e| match fb(&hostpart[e..], b';') {
                        Some(p) => e + p,
                        None => hostpart.len(),
                    })
            } else {
                fb(hostpart, b';').unwrap_or(hostpart.len())
            };
            let (host, port) = super::split_host_port(&hostpart[..hp_end]);
            uri.host = host;
            uri.port = port;
            uri.params = &hostpart[hp_end..];
        } else if scheme.eq_ignore_ascii_case("tel") {
            let (number, params) = match fb(rest, b';') {
                Some(p) => (&rest[..p], &rest[p..]),
                None => (rest, ""),
            };
            let number = trim(number);
            uri.user = (!number.is_empty()).then_some(number);
            uri.params = params;
        }
        Some(uri)
    }
}

#[cfg(test)]
mod equivalence {
    use super::*;

    /// Deterministic xorshift strings over the bytes that matter to the scanners.
    fn samples() -> Vec<String> {
        const ALPHA: &[&str] = &[
            "\"",
            "\\",
            "<",
            ">",
            ",",
            ";",
            ":",
            "@",
            "?",
            "=",
            "[",
            "]",
            " ",
            "\t",
            "a",
            "B",
            "1",
            "5060",
            "sip:",
            "sips:",
            "tel:",
            "SIP:",
            "x@",
            "tag",
            "é",
            "\u{a0}",
            "99999",
            "lr",
            "user",
            "host.example",
        ];
        let mut out = Vec::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 12) as usize;
            let mut s = String::from(["", "sip:", "<sip:", "\"d\" <sips:"][(x >> 60) as usize & 3]);
            let mut y = x;
            for _ in 0..len {
                y ^= y << 13;
                y ^= y >> 7;
                y ^= y << 17;
                s.push_str(ALPHA[(y % ALPHA.len() as u64) as usize]);
            }
            out.push(s);
        }
        out
    }

    #[test]
    fn fast_paths_match_reference() {
        let samples = samples();
        for s in &samples {
            assert_eq!(parse_uri(s), reference::parse_uri(s), "parse_uri({s:?})");
            assert_eq!(
                parse_name_addr(s),
                reference::parse_name_addr(s),
                "name-addr {s:?}"
            );
            assert_eq!(
                first_name_addr(s),
                split_list(s).next().and_then(reference::parse_name_addr),
                "first_name_addr({s:?})"
            );
            assert_eq!(
                first_element(s),
                split_list(s).next(),
                "first_element({s:?})"
            );
            for name in ["tag", "TAG", "lr", "", "a", "user"] {
                assert_eq!(
                    param(s, name),
                    reference::param(s, name),
                    "param({s:?}, {name})"
                );
            }
            assert_eq!(parse_port(s), reference::parse_port(s), "port {s:?}");
        }
    }
}
