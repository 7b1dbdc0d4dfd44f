//! What an alarm shows as proof: the message's start line, addresses and, when a header
//! triggered the rule, that header.

use argos_model::{Evidence, Record};

/// Longest start line or header value copied into evidence, in characters.
const MAX_LINE_CHARS: usize = 200;

/// Evidence for one record; `matched` is the (label, value) that made the rule fire.
pub(crate) fn of(r: &Record, matched: Option<(&str, &str)>) -> Evidence {
    let p: &[u8] = &r.capture.payload;
    let p = trim_leading_crlf(p);
    let end = p
        .iter()
        .take(MAX_LINE_CHARS * 4)
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(p.len().min(MAX_LINE_CHARS * 4));
    let mut line = clip(&String::from_utf8_lossy(&p[..end]), MAX_LINE_CHARS).to_owned();
    if let Some((label, value)) = matched {
        line.push_str(" | ");
        line.push_str(label);
        line.push_str(": ");
        line.push_str(clip(value, MAX_LINE_CHARS));
    }
    Evidence {
        ts_us: r.capture.ts_us,
        call_id: r.fields.call_id.clone(),
        src: r.capture.src.to_string(),
        dst: r.capture.dst.to_string(),
        line,
    }
}

fn trim_leading_crlf(mut p: &[u8]) -> &[u8] {
    while let [b'\r' | b'\n', rest @ ..] = p {
        p = rest;
    }
    p
}

/// The first `max` characters of `s`.
pub(crate) fn clip(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
