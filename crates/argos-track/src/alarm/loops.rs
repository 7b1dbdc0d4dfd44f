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
#[derive(Debug)]
pub(crate) struct MaxForwardsZero {
    re: Regex,
}

impl MaxForwardsZero {
    pub(crate) fn new() -> Self {
        MaxForwardsZero {
            // A constant pattern; covered by tests.
            re: Regex::new(r"(?im-u)^max-forwards[ \t]*:[ \t]*0+[ \t]*\r?$")
                .expect("Max-Forwards pattern compiles"),
        }
    }

    /// Whether `payload`'s headers say Max-Forwards: 0. Only the header section is read.
    pub(crate) fn found_in(&self, payload: &[u8]) -> bool {
        self.re.is_match(header_section(payload))
    }
}

/// `payload` up to the blank line that ends the headers (all of it when there is none).
fn header_section(p: &[u8]) -> &[u8] {
    // SDP bodies are short; looking for "\n\r\n" or "\n\n" is a cheap linear pass that
    // keeps an `a=` line from ever matching.
    let mut i = 0;
    while i + 1 < p.len() {
        if p[i] == b'\n'
            && (p[i + 1] == b'\n' || (p[i + 1] == b'\r' && p.get(i + 2) == Some(&b'\n')))
        {
            return &p[..=i];
        }
        i += 1;
    }
    p
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
        assert!(!m.found_in(b"INVITE sip:a@b SIP/2.0\r\nMax-Forwards: 70\r\n\r\n"));
        assert!(!m.found_in(b"INVITE sip:a@b SIP/2.0\r\nMax-Forwards: 10\r\n\r\n"));
        assert!(!m.found_in(b"INVITE sip:a@b SIP/2.0\r\nX-Max-Forwards: 0\r\n\r\n"));
        assert!(!m.found_in(
            b"INVITE sip:a@b SIP/2.0\r\nMax-Forwards: 69\r\n\r\nv=0\r\nMax-Forwards: 0\r\n"
        ));
    }
}
