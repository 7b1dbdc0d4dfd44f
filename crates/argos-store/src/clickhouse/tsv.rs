//! INSERT encoding: one TabSeparated line per record, in the column order of
//! [`super::schema::COLUMNS`].
//!
//! TabSeparated escaping (ClickHouse "Escaped" strings): `\` `\t` `\n` `\r` NUL,
//! backspace, form feed and `'` are written as backslash escapes, every other byte as
//! is (strings are bytes: binary payloads round-trip); NULL is `\N`.

use super::day::date_of;
use argos_model::{Record, Transport};

/// Appends `b` escaped for a TabSeparated field.
pub(crate) fn escape(out: &mut Vec<u8>, b: &[u8]) {
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &[u8] = match c {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            0 => b"\\0",
            8 => b"\\b",
            12 => b"\\f",
            b'\'' => b"\\'",
            _ => continue,
        };
        out.extend_from_slice(&b[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
}

/// Appends an escaped `Nullable(String)` field and its tab.
pub(crate) fn str_opt(out: &mut Vec<u8>, v: Option<&str>) {
    match v {
        Some(s) => escape(out, s.as_bytes()),
        None => out.extend_from_slice(b"\\N"),
    }
    out.push(b'\t');
}

/// Appends a number field and its tab.
pub(crate) fn num<T: std::fmt::Display>(out: &mut Vec<u8>, v: T) {
    use std::io::Write;
    let _ = write!(out, "{v}");
    out.push(b'\t');
}

/// Appends a `Nullable` number field (`\N` for none) and its tab.
pub(crate) fn num_opt<T: std::fmt::Display>(out: &mut Vec<u8>, v: Option<T>) {
    match v {
        Some(v) => num(out, v),
        None => {
            out.extend_from_slice(b"\\N\t");
        }
    }
}

/// Code of a transport in the `transport` column, and the protocol of `Other`.
pub(crate) fn transport_code(t: Transport) -> (u8, u8) {
    match t {
        Transport::Udp => (0, 0),
        Transport::Tcp => (1, 0),
        Transport::Tls => (2, 0),
        Transport::Sctp => (3, 0),
        Transport::Ws => (4, 0),
        Transport::Other(p) => (5, p),
    }
}

/// Inverse of [`transport_code`]; `None` for an unknown code.
pub(crate) fn transport_of(code: u8, other: u8) -> Option<Transport> {
    Some(match code {
        0 => Transport::Udp,
        1 => Transport::Tcp,
        2 => Transport::Tls,
        3 => Transport::Sctp,
        4 => Transport::Ws,
        5 => Transport::Other(other),
        _ => return None,
    })
}

/// Appends one line for `r` with message id `id`. The caller checked `date_of(ts)`.
pub(crate) fn encode_row(out: &mut Vec<u8>, id: u64, r: &Record) {
    let c = &r.capture;
    let f = &r.fields;
    let day = date_of(c.ts_us).unwrap_or_default();
    out.extend_from_slice(day.as_bytes());
    out.push(b'\t');
    num(out, c.ts_us);
    num(out, id);
    escape(out, c.src.ip().to_string().as_bytes());
    out.push(b'\t');
    num(out, c.src.port());
    escape(out, c.dst.ip().to_string().as_bytes());
    out.push(b'\t');
    num(out, c.dst.port());
    let (t, tp) = transport_code(c.transport);
    num(out, t);
    num(out, tp);
    num(out, c.kind.0);
    num(out, c.capture_id);
    str_opt(out, c.node.as_deref());
    str_opt(out, c.correlation_id.as_deref());
    num_opt(out, c.vlan);
    str_opt(out, f.method.as_deref());
    num_opt(out, f.status);
    for s in [
        &f.reason,
        &f.ruri,
        &f.ruri_user,
        &f.ruri_domain,
        &f.from_user,
        &f.from_domain,
        &f.from_tag,
        &f.to_user,
        &f.to_domain,
        &f.to_tag,
        &f.pai_user,
        &f.contact_user,
        &f.contact_ip,
    ] {
        str_opt(out, s.as_deref());
    }
    num_opt(out, f.contact_port);
    for s in [&f.auth_user, &f.call_id, &f.a_leg, &f.via_branch] {
        str_opt(out, s.as_deref());
    }
    num_opt(out, f.cseq_num);
    for s in [
        &f.cseq_method,
        &f.diversion_user,
        &f.reason_header,
        &f.content_type,
        &f.user_agent,
    ] {
        str_opt(out, s.as_deref());
    }
    num_opt(out, f.expires);
    str_opt(out, f.sdp_media.as_deref());
    str_opt(out, f.call_key.as_deref());
    escape(out, &c.payload);
    out.push(b'\n');
}

/// Appends the key-index lines of `r` (see [`super::schema::keys_ddl`]).
pub(crate) fn encode_keys(out: &mut Vec<u8>, r: &Record) {
    use super::schema::*;
    let f = &r.fields;
    let day = date_of(r.capture.ts_us).unwrap_or_default();
    for (kind, v) in [
        (K_CALL_ID, &f.call_id),
        (K_CALL_KEY, &f.call_key),
        (K_A_LEG, &f.a_leg),
        (K_FROM_USER, &f.from_user),
        (K_TO_USER, &f.to_user),
        (K_RURI_USER, &f.ruri_user),
    ] {
        let Some(v) = v else { continue };
        out.extend_from_slice(day.as_bytes());
        out.push(b'\t');
        num(out, kind);
        escape(out, v.as_bytes());
        out.push(b'\t');
        use std::io::Write;
        let _ = write!(out, "{}", r.capture.ts_us);
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_hostile_bytes() {
        let mut out = Vec::new();
        escape(&mut out, b"a\tb\nc\\d\0e'f\rg\x08h\x0ci\"j\\N\xff");
        assert_eq!(
            out,
            b"a\\tb\\nc\\\\d\\0e\\'f\\rg\\bh\\fi\"j\\\\N\xff".to_vec()
        );
        // No raw tab or newline survives, whatever the input.
        let all: Vec<u8> = (0..=255u8).collect();
        let mut out = Vec::new();
        escape(&mut out, &all);
        assert!(!out.contains(&b'\t') && !out.contains(&b'\n') && !out.contains(&0));
    }
}
