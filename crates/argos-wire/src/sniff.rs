//! Cheap checks of what a payload is, before any parse.

/// True when a datagram starts like a SIP request or response (cheap check, no parse).
pub fn looks_like_sip(p: &[u8]) -> bool {
    let p = trim_leading_crlf(p);
    if p.starts_with(b"SIP/2.0 ") {
        return true;
    }
    // "METHOD sip:... SIP/2.0" on the first line: a token, a space, and SIP/2.0 at its end.
    let line_end = memchr::memchr(b'\n', p).unwrap_or(p.len()).min(8192);
    let line = &p[..line_end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Some(sp) = memchr::memchr(b' ', line) else {
        return false;
    };
    sp > 0 && line[..sp].iter().all(|c| c.is_ascii_alphabetic()) && line.ends_with(b" SIP/2.0")
}

fn trim_leading_crlf(mut p: &[u8]) -> &[u8] {
    while let [b'\r' | b'\n', rest @ ..] = p {
        p = rest;
    }
    p
}

/// True when a UDP payload starts like a HEP packet (v3 magic, or a v1/v2 header).
pub fn is_hep(p: &[u8]) -> bool {
    p.starts_with(b"HEP3") || (p.len() >= 4 && matches!(p[0], 1 | 2) && matches!(p[1], 16 | 40))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_sniffing() {
        assert!(looks_like_sip(b"INVITE sip:a@b SIP/2.0\r\n"));
        assert!(looks_like_sip(b"\r\nSIP/2.0 200 OK\r\n"));
        assert!(!looks_like_sip(b"\x80\x00\x01\x02rtp"));
        assert!(!looks_like_sip(b"GET / HTTP/1.1\r\n"));
        assert!(!looks_like_sip(b""));
    }
}
