//! Value parsers shared by the vq-rtcpxr body and the end-of-call headers: numbers that
//! treat `-` / empty as unavailable and refuse `NaN` / `inf`, SSRCs, address pairs, and
//! `KEY=value` item lists. Every function here is linear in its input and allocation is
//! capped by [`MAX_ITEMS`].

/// Most `KEY=value` items taken from one header value or one vq-rtcpxr line; the rest
/// are ignored (they stay visible in the report's `raw` text).
pub(crate) const MAX_ITEMS: usize = 256;

/// The value with surrounding blanks and quotes removed, `None` when it says
/// "unavailable" (`-`, empty).
pub(crate) fn available(v: &str) -> Option<&str> {
    let v = v.trim();
    let v = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v)
        .trim();
    (!v.is_empty() && v != "-").then_some(v)
}

/// A decimal number. Only digits, one sign and a point are accepted, so `NaN`, `inf` and
/// exponents (which no dialect writes) are refused rather than poisoning averages.
pub(crate) fn f64_of(v: &str) -> Option<f64> {
    let v = available(v)?;
    if !v
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'))
    {
        return None;
    }
    v.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// A non-negative count. `12.0` is accepted as 12 (some senders print counters as
/// floats); fractions and negatives are not counts.
pub(crate) fn u64_of(v: &str) -> Option<u64> {
    let v = available(v)?;
    if let Ok(n) = v.parse::<u64>() {
        return Some(n);
    }
    let x = f64_of(v)?;
    // 2^53: above it an f64 no longer holds every integer exactly.
    (x >= 0.0 && x.fract() == 0.0 && x <= 9_007_199_254_740_992.0).then_some(x as u64)
}

/// An SSRC: `0x`-prefixed hex (RFC 6035's ABNF), bare hex when it has a letter (RFC
/// 6035's own example writes `SSRC=1a3b5c7d`), else decimal (linphone prints `%u`).
pub(crate) fn ssrc_of(v: &str) -> Option<u32> {
    let v = available(v)?;
    if let Some(hex) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        return u32::from_str_radix(hex, 16).ok();
    }
    if v.bytes().any(|b| b.is_ascii_alphabetic()) {
        return u32::from_str_radix(v, 16).ok();
    }
    v.parse().ok()
}

/// `rx,tx` / `a/b` pairs (`PL=3,1`, `RB=0/0`): the two halves, each `None` when
/// unavailable. A value without a separator is the first half only.
pub(crate) fn pair(v: &str) -> (Option<&str>, Option<&str>) {
    match v.find([',', '/']) {
        Some(i) => (available(&v[..i]), available(&v[i + 1..])),
        None => (available(v), None),
    }
}

/// `IP` and `PORT` as one `ip:port` string (`[ip]:port` for IPv6); the IP alone when
/// the port is missing; `None` without an IP.
pub(crate) fn join_addr(ip: Option<&str>, port: Option<&str>) -> Option<String> {
    let ip = available(ip?)?;
    Some(match port.and_then(available) {
        Some(port) if ip.contains(':') && !ip.starts_with('[') => format!("[{ip}]:{port}"),
        Some(port) => format!("{ip}:{port}"),
        None => ip.to_string(),
    })
}

/// `KEY=value` items of a header value. Items are separated by `;` when the value has
/// one outside quotes (AVM, baresip, AudioCodes), else by `,` (Cisco, Poly). A piece
/// without `=` continues the previous item's value, so `PL=3,1;JI=2,4` and
/// `PS=1,PL=3,1,JI=2` both keep `PL`'s pair whole. Quoted strings (Cisco `VQMetrics="…"`)
/// are never split.
pub(crate) fn header_items(value: &str) -> Vec<(&str, &str)> {
    let sep = if separators(value, b';').next().is_some() {
        b';'
    } else {
        b','
    };
    let mut out: Vec<(&str, &str)> = Vec::new();
    // (start, end) of the item being built.
    let mut current: Option<(usize, usize)> = None;
    let mut start = 0;
    let mut ends = separators(value, sep).chain(std::iter::once(value.len()));
    // Bounds the pieces looked at, not only the items kept: `;;;;…` is cheap to skip
    // but not free.
    for _ in 0..MAX_ITEMS * 4 {
        let Some(end) = ends.next() else { break };
        let piece = value.get(start..end).unwrap_or_default();
        if starts_with_key(piece) {
            if let Some(item) = current.take() {
                push_item(&mut out, value, item);
            }
            current = Some((start, end));
        } else if let (Some((s, _)), b',') = (current, sep) {
            current = Some((s, end));
        }
        start = end + 1;
        if out.len() >= MAX_ITEMS {
            return out;
        }
    }
    if let Some(item) = current {
        push_item(&mut out, value, item);
    }
    out.truncate(MAX_ITEMS);
    out
}

/// Whitespace-separated `KEY=value` parameters of one vq-rtcpxr line (`IP=… PORT=…`).
/// `KEY:value` is accepted too when there is no `=` (seen as `IP:192.0.2.1 PORT:30539`
/// in HEPgen traffic). Quoted values (`FMTP="annexb=no"`) may hold spaces.
pub(crate) fn line_params(line: &str) -> Vec<(&str, &str)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() && out.len() < MAX_ITEMS {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        let mut in_quote = false;
        while i < b.len() && (in_quote || !b[i].is_ascii_whitespace()) {
            if b[i] == b'"' {
                in_quote = !in_quote;
            }
            i += 1;
        }
        let token = line.get(start..i).unwrap_or_default();
        let split = token.split_once('=').or_else(|| token.split_once(':'));
        if let Some((k, v)) = split {
            if !k.is_empty() {
                out.push((k, v));
            }
        }
    }
    out
}

/// The first value of `key` (ASCII case-insensitive): the first occurrence wins, as in
/// HOMER.
pub(crate) fn get<'a>(items: &[(&str, &'a str)], key: &str) -> Option<&'a str> {
    items
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| *v)
}

fn push_item<'a>(out: &mut Vec<(&'a str, &'a str)>, value: &'a str, (s, e): (usize, usize)) {
    let Some(item) = value.get(s..e) else { return };
    if let Some((k, v)) = item.split_once('=') {
        out.push((k.trim(), v.trim()));
    }
}

/// Whether `piece` begins with `KEY=` where KEY is a plain token (letters, digits, `-`,
/// `_`, `.`); `6.7.8.9:10` or `FAX` continue the previous value instead.
fn starts_with_key(piece: &str) -> bool {
    let Some((k, _)) = piece.split_once('=') else {
        return false;
    };
    let k = k.trim();
    !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Byte offsets of `sep` outside double-quoted strings.
fn separators(value: &str, sep: u8) -> impl Iterator<Item = usize> + '_ {
    let mut in_quote = false;
    value.bytes().enumerate().filter_map(move |(i, b)| {
        if b == b'"' {
            in_quote = !in_quote;
        }
        (b == sep && !in_quote).then_some(i)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(f64_of(" 5.5 "), Some(5.5));
        assert_eq!(f64_of("-"), None);
        assert_eq!(f64_of("NaN"), None);
        assert_eq!(f64_of("inf"), None);
        assert_eq!(f64_of("1e3"), None);
        assert_eq!(u64_of("12.0"), Some(12));
        assert_eq!(u64_of("-1"), None);
        assert_eq!(u64_of("1.5"), None);
        assert_eq!(ssrc_of("0x014EA261"), Some(0x014E_A261));
        assert_eq!(ssrc_of("1a3b5c7d"), Some(0x1a3b_5c7d));
        assert_eq!(ssrc_of("4294967295"), Some(u32::MAX));
        assert_eq!(ssrc_of("0x1FFFFFFFF"), None);
    }

    #[test]
    fn items_keep_pairs_whole() {
        let v = "PS=1;PL=3,1;IP=10.0.0.1:4000,10.0.0.2:5000;EN=PCMA,FAX;;x";
        assert_eq!(
            header_items(v),
            vec![
                ("PS", "1"),
                ("PL", "3,1"),
                ("IP", "10.0.0.1:4000,10.0.0.2:5000"),
                ("EN", "PCMA,FAX"),
            ]
        );
        assert_eq!(
            header_items("PS=1,PL=3,1,JI=2"),
            vec![("PS", "1"), ("PL", "3,1"), ("JI", "2")]
        );
        assert_eq!(
            header_items("Dur=1,VQMetrics=\"A=1;B=2\",Pkt=3"),
            vec![("Dur", "1"), ("VQMetrics", "\"A=1;B=2\""), ("Pkt", "3")]
        );
        assert_eq!(header_items(&";".repeat(10_000)), vec![]);
    }

    #[test]
    fn params_of_a_line() {
        assert_eq!(
            line_params("PT=18 FMTP=\"annexb=no x\"  PLC=3"),
            vec![("PT", "18"), ("FMTP", "\"annexb=no x\""), ("PLC", "3")]
        );
        assert_eq!(
            line_params("IP:192.0.2.1 PORT:30539"),
            vec![("IP", "192.0.2.1"), ("PORT", "30539")]
        );
        assert_eq!(
            join_addr(Some("2001:db8::1"), Some("5004")).as_deref(),
            Some("[2001:db8::1]:5004")
        );
    }
}
