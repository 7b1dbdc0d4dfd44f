//! Loop rule: 482 Loop Detected, 483 Too Many Hops, and requests whose Max-Forwards
//! reached 0.
//!
//! A response alarm is keyed by the node that sent it (the hop that saw the loop); a
//! request with Max-Forwards: 0 by its destination (the hop that will have to refuse it),
//! so both ends of one loop land on the same alarm. OPTIONS with Max-Forwards: 0 is left
//! out: RFC 3261 §11 uses it to ask the next hop about itself, not a loop.

use regex::bytes::Regex;

/// Settings of the loop rule.
#[derive(Debug, Clone)]
pub struct LoopConfig {
    pub enabled: bool,
}

impl Default for LoopConfig {
    fn default() -> Self {
        LoopConfig { enabled: true }
    }
}

/// Finds a `Max-Forwards: 0` header line in a raw message.
///
/// Runs on every request, and nearly every request has a Max-Forwards header, so the
/// regex only finds the header *name* as real stacks write it (`Max-Forwards`,
/// `max-forwards`, `MAX-FORWARDS`, `Max-forwards`: a literal set searched with SIMD,
/// where a case-insensitive pattern would walk the message byte by byte) and the value
/// is checked by hand. A match inside a body is ignored.
#[derive(Debug)]
pub(crate) struct MaxForwardsZero {
    name: Regex,
}

impl MaxForwardsZero {
    pub(crate) fn new() -> Self {
        MaxForwardsZero {
            // A constant pattern; covered by tests.
            name: Regex::new("Max-Forwards|max-forwards|MAX-FORWARDS|Max-forwards")
                .expect("Max-Forwards pattern compiles"),
        }
    }

    /// Whether `payload`'s headers say Max-Forwards: 0.
    pub(crate) fn found_in(&self, payload: &[u8]) -> bool {
        self.name.find_iter(payload).any(|m| {
            let at_line_start = m.start() > 0 && payload[m.start() - 1] == b'\n';
            at_line_start && value_is_zero(&payload[m.end()..]) && !in_body(payload, m.start())
        })
    }
}

/// `rest` (what follows the header name) is `[ws] ":" [ws] 0+ [ws] EOL`.
fn value_is_zero(rest: &[u8]) -> bool {
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while matches!(rest.get(*i), Some(b' ' | b'\t')) {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if rest.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    skip_ws(&mut i);
    let digits = i;
    while rest.get(i) == Some(&b'0') {
        i += 1;
    }
    if i == digits {
        return false;
    }
    skip_ws(&mut i);
    matches!(rest.get(i), None | Some(b'\r' | b'\n'))
}

/// Whether offset `at` lies after the blank line that ends the headers.
fn in_body(p: &[u8], at: usize) -> bool {
    let head = &p[..at.min(p.len())];
    head.windows(2).any(|w| w == b"\n\n") || head.windows(3).any(|w| w == b"\n\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_forwards_zero_is_found_in_any_case_but_not_other_values() {
        let m = MaxForwardsZero::new();
        assert!(m.found_in(b"INVITE sip:a@b SIP/2.0\r\nMax-Forwards: 0\r\nCall-ID: x\r\n\r\n"));
        assert!(m.found_in(b"INVITE sip:a@b SIP/2.0\r\nmax-forwards:0\r\n\r\n"));
        assert!(m.found_in(b"INVITE sip:a@b SIP/2.0\nMAX-FORWARDS :  00 \n\n"));
        assert!(m.found_in(b"INVITE sip:a@b SIP/2.0\r\nMax-forwards: 0\r\n\r\n"));
        assert!(!m.found_in(b"INVITE sip:a@b SIP/2.0\r\nMax-Forwards: 70\r\n\r\n"));
        assert!(!m.found_in(b"INVITE sip:a@b SIP/2.0\r\nMax-Forwards: 10\r\n\r\n"));
        assert!(!m.found_in(b"INVITE sip:a@b SIP/2.0\r\nX-Max-Forwards: 0\r\n\r\n"));
        assert!(!m.found_in(
            b"INVITE sip:a@b SIP/2.0\r\nMax-Forwards: 69\r\n\r\nv=0\r\nMax-Forwards: 0\r\n"
        ));
    }
}
