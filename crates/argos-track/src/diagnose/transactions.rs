//! Transaction-level problems: requests nobody answered, answers nobody acknowledged,
//! challenge loops and failed re-INVITEs.

use super::view::{dur, Call, Msg};
use super::{finding, Finding, Level};
use std::net::SocketAddr;

/// Copies of one request closer than this are the same packet captured twice, not a
/// retransmission (RFC 3261 timer T1 is 500 ms).
const SAME_PACKET_US: i64 = 100_000;

/// One request on one hop: its copies (first and retransmissions).
#[derive(Debug)]
struct Hop<'c, 'a> {
    src: SocketAddr,
    dst: SocketAddr,
    copies: Vec<&'c Msg<'a>>,
}

impl<'c, 'a> Hop<'c, 'a> {
    fn first(&self) -> &'c Msg<'a> {
        self.copies[0]
    }
    /// Copies after the first that are real retransmissions.
    fn retransmissions(&self) -> usize {
        self.retransmissions_before(i64::MAX)
    }
    /// Retransmissions sent before `ts_us`.
    fn retransmissions_before(&self, ts_us: i64) -> usize {
        let mut n = 0;
        let mut last = self.first().ts;
        for c in self.copies[1..].iter().filter(|c| c.ts < ts_us) {
            if c.ts - last >= SAME_PACKET_US {
                n += 1;
                last = c.ts;
            }
        }
        n
    }
    fn span_us(&self) -> i64 {
        self.copies.last().map_or(0, |c| c.ts) - self.first().ts
    }
    /// Responses to this request sent back over this hop (by IP: ports may differ).
    fn responses<'x>(&'x self, call: &'x Call<'a>) -> impl Iterator<Item = &'x Msg<'a>> + 'x {
        let first = self.first();
        let (cseq, method) = first.cseq();
        call.msgs.iter().filter(move |m| {
            m.status().is_some()
                && m.call_id() == first.call_id()
                && m.cseq() == (cseq, method)
                && m.src.ip() == self.dst.ip()
                && m.dst.ip() == self.src.ip()
        })
    }
}

/// Requests of `method` (matching `pick`) grouped per (Call-ID, CSeq, src, dst).
fn hops<'c, 'a>(
    call: &'c Call<'a>,
    method: &str,
    pick: impl Fn(&Msg<'a>) -> bool,
) -> Vec<Hop<'c, 'a>> {
    let mut out: Vec<Hop<'c, 'a>> = Vec::new();
    for m in call.msgs.iter().filter(|m| m.is_request(method) && pick(m)) {
        match out.iter_mut().find(|h| {
            h.src == m.src
                && h.dst == m.dst
                && h.first().call_id() == m.call_id()
                && h.first().cseq() == m.cseq()
        }) {
            Some(h) => h.copies.push(m),
            None => out.push(Hop {
                src: m.src,
                dst: m.dst,
                copies: vec![m],
            }),
        }
    }
    out
}

fn ids<'m, 'a: 'm>(msgs: impl IntoIterator<Item = &'m Msg<'a>>, max: usize) -> Vec<u64> {
    msgs.into_iter().take(max).map(|m| m.id).collect()
}

fn times(n: usize) -> String {
    if n == 1 {
        "once".to_owned()
    } else {
        format!("{n} times")
    }
}

/// Initial INVITEs that got no response, no final response, or only after retransmissions.
pub(crate) fn invite_responses(call: &Call<'_>, out: &mut Vec<Finding>) {
    let last_ts = call.msgs.last().map_or(0, |m| m.ts);
    let timed_out = call
        .record
        .is_some_and(|r| r.status == argos_model::CallStatus::Timeout);
    for hop in hops(call, "INVITE", |m| m.initial()) {
        let first = hop.first();
        let n = hop.retransmissions();
        let responses: Vec<&Msg<'_>> = hop.responses(call).collect();
        let mut shown: Vec<u64> = ids(hop.copies.iter().copied(), 8);
        match responses.first() {
            None => {
                // A lone INVITE at the end of what was captured may just be new.
                let stale = last_ts - first.ts >= 4_000_000;
                if n >= 2 || timed_out || stale {
                    let text = if n > 0 {
                        format!(
                            "INVITE retransmitted {} over {}, no response from {}",
                            times(n),
                            dur(hop.span_us()),
                            hop.dst
                        )
                    } else {
                        format!("INVITE got no response from {}", hop.dst)
                    };
                    out.push(finding(Level::Problem, "no_response", text, shown));
                }
            }
            Some(first_rsp) => {
                let final_rsp = responses
                    .iter()
                    .find(|r| r.status().is_some_and(|s| s >= 200));
                let cancelled = call
                    .msgs
                    .iter()
                    .any(|m| m.is_request("CANCEL") && m.call_id() == first.call_id());
                if final_rsp.is_none() && timed_out && !cancelled {
                    shown.push(first_rsp.id);
                    out.push(finding(
                        Level::Problem,
                        "no_final_response",
                        format!(
                            "INVITE to {} got {} but never a final response",
                            hop.dst,
                            first_rsp.what()
                        ),
                        shown,
                    ));
                } else if hop.retransmissions_before(first_rsp.ts) > 0 {
                    let n = hop.retransmissions_before(first_rsp.ts);
                    shown.push(first_rsp.id);
                    out.push(finding(
                        Level::Warning,
                        "invite_retransmitted",
                        format!(
                            "INVITE to {} retransmitted {} before the first response ({} after the INVITE): packet loss or a slow peer",
                            hop.dst,
                            times(n),
                            dur(first_rsp.ts - first.ts)
                        ),
                        shown,
                    ));
                }
            }
        }
    }
}

/// BYEs retransmitted without any response.
pub(crate) fn bye_responses(call: &Call<'_>, out: &mut Vec<Finding>) {
    for hop in hops(call, "BYE", |_| true) {
        let n = hop.retransmissions();
        if n == 0 || hop.responses(call).next().is_some() {
            continue;
        }
        out.push(finding(
            Level::Warning,
            "bye_no_response",
            format!(
                "BYE from {} retransmitted {} over {}, no response from {}",
                hop.src,
                times(n),
                dur(hop.span_us()),
                hop.dst
            ),
            ids(hop.copies.iter().copied(), 8),
        ));
    }
}

/// A 2xx to an initial INVITE with no ACK for it.
pub(crate) fn missing_ack(call: &Call<'_>, out: &mut Vec<Finding>) {
    let mut seen: Vec<(&str, u32)> = Vec::new();
    let last_ts = call.msgs.last().map_or(0, |m| m.ts);
    for ok in call.msgs.iter().filter(|m| {
        m.is_response_to("INVITE") && m.status().is_some_and(|s| (200..300).contains(&s))
    }) {
        let key = (ok.call_id(), ok.cseq().0);
        if seen.contains(&key) || !call.initial_cseq(ok) {
            continue;
        }
        seen.push(key);
        let acked = call
            .msgs
            .iter()
            .any(|m| m.is_request("ACK") && m.call_id() == key.0 && m.cseq().0 == key.1);
        if acked {
            continue;
        }
        let copies: Vec<&Msg<'_>> = call
            .msgs
            .iter()
            .filter(|m| {
                m.is_response_to("INVITE")
                    && m.status() == ok.status()
                    && (m.call_id(), m.cseq().0) == key
                    && m.src == ok.src
            })
            .collect();
        let bye = call
            .msgs
            .iter()
            .find(|m| m.is_request("BYE") && m.call_id() == key.0 && m.ts > ok.ts);
        // Without a retransmitted 2xx, a BYE, or a second of capture after it, the ACK
        // may simply not have arrived yet.
        if copies.len() < 2 && bye.is_none() && last_ts - ok.ts < 1_000_000 {
            continue;
        }
        let mut text = format!(
            "{} from {} was never acknowledged (no ACK seen)",
            ok.what(),
            ok.src
        );
        match bye {
            Some(b) => text.push_str(&format!(
                "; BYE from {} {} after the answer",
                b.src,
                dur(b.ts - ok.ts)
            )),
            None => text.push_str("; the callee drops such a call after 32 s"),
        }
        let mut shown = ids(copies.iter().copied(), 6);
        if let Some(b) = bye {
            shown.push(b.id);
        }
        out.push(finding(Level::Problem, "no_ack", text, shown));
    }
}

/// INVITEs challenged (401/407) again and again.
pub(crate) fn challenge_loop(call: &Call<'_>, out: &mut Vec<Finding>) {
    let mut challenged: Vec<(&str, u32)> = Vec::new();
    let mut shown = Vec::new();
    let mut first: Option<&Msg<'_>> = None;
    for m in call.msgs.iter().filter(|m| {
        m.is_response_to("INVITE") && matches!(m.status(), Some(401 | 407)) && call.initial_cseq(m)
    }) {
        let key = (m.call_id(), m.cseq().0);
        if !challenged.contains(&key) {
            challenged.push(key);
            shown.push(m.id);
            first.get_or_insert(m);
        }
    }
    let (Some(first), n) = (first, challenged.len()) else {
        return;
    };
    if n < 3 {
        return;
    }
    out.push(finding(
        Level::Problem,
        "auth_loop",
        format!(
            "INVITE challenged {n} times ({} from {}): the credentials are being rejected",
            first.what(),
            first.src
        ),
        shown.into_iter().take(8).collect(),
    ));
}

/// re-INVITEs (inside the dialog) that failed.
pub(crate) fn reinvite_failures(call: &Call<'_>, out: &mut Vec<Finding>) {
    let mut seen: Vec<(&str, u32)> = Vec::new();
    for rsp in call.msgs.iter().filter(|m| {
        m.is_response_to("INVITE") && m.status().is_some_and(|s| s >= 300) && !call.initial_cseq(m)
    }) {
        let key = (rsp.call_id(), rsp.cseq().0);
        if seen.contains(&key) || matches!(rsp.status(), Some(401 | 407)) {
            continue;
        }
        seen.push(key);
        // Without the re-INVITE itself the response may belong to an INVITE the capture
        // missed (its initial one): say nothing rather than guess.
        let Some(req) = call
            .msgs
            .iter()
            .find(|m| m.is_request("INVITE") && !m.initial() && (m.call_id(), m.cseq().0) == key)
        else {
            continue;
        };
        let glare = if rsp.status() == Some(491) {
            " (glare: both sides sent a re-INVITE at once; normally retried)"
        } else {
            ""
        };
        let who = format!(" from {}", req.src);
        let shown = vec![req.id, rsp.id];
        out.push(finding(
            Level::Warning,
            "reinvite_failed",
            format!(
                "re-INVITE{who} failed: {} from {} {} into the call{glare}",
                rsp.what(),
                rsp.src,
                dur(rsp.ts - call.start_us().unwrap_or(rsp.ts))
            ),
            shown,
        ));
    }
}
