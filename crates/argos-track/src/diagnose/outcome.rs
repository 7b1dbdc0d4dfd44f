//! How the call ended: the failure response and who sent it, the caller's CANCEL, slow
//! ringing, calls dropped right after answer, and Q.850 causes.

use super::q850;
use super::view::{dur, Call, Msg};
use super::{finding, Finding, Level};

/// Post-dial delay above which it is worth saying.
const LONG_PDD_US: i64 = 5_000_000;
/// Talk time below which an answered call looks dropped.
const SHORT_CALL_US: i64 = 2_000_000;

/// A one-line account of an answered call.
pub(crate) fn answered(call: &Call<'_>, out: &mut Vec<Finding>) {
    let (Some(inv), Some(ok)) = (call.invite(), call.answer()) else {
        return;
    };
    let mut text = format!(
        "answered {} after the INVITE by {}",
        dur(ok.ts - inv.ts),
        ok.src
    );
    let mut shown = vec![inv.id, ok.id];
    if let Some(bye) = first_bye_after(call, ok.ts) {
        let who = party(call, bye);
        text.push_str(&format!(
            "; talked {}, BYE from the {who} ({})",
            dur(bye.ts - ok.ts),
            bye.src
        ));
        shown.push(bye.id);
    }
    if let Some(codec) = call.record.and_then(|r| r.codec.as_deref()) {
        text.push_str(&format!("; codec {codec}"));
    }
    out.push(finding(Level::Info, "answered", text, shown));
}

/// The final failure of the caller's INVITE: code, reason, who first sent it, when.
pub(crate) fn final_failure(call: &Call<'_>, out: &mut Vec<Finding>) {
    if call.answer().is_some() {
        return;
    }
    let Some(fail) = caller_final_failure(call) else {
        return;
    };
    let code = fail.status().unwrap_or(0);
    let cancelled = call.caller_leg().any(|m| m.is_request("CANCEL"));
    if code == 487 && cancelled {
        return; // the CANCEL finding tells this story
    }
    if matches!(code, 415 | 488 | 606) {
        return; // so does the codec_mismatch finding, with the media
    }
    // Through proxies and B2BUAs the same answer is relayed hop by hop: the earliest
    // copy of the code on any leg is the one its originator sent.
    let origin = call
        .msgs
        .iter()
        .find(|m| m.is_response_to("INVITE") && m.status() == Some(code) && call.initial_cseq(m))
        .unwrap_or(fail);
    let mut text = format!(
        "{} from {} after {}",
        origin.what(),
        origin.src,
        dur(origin.ts - call.start_us().unwrap_or(origin.ts))
    );
    let mut shown = vec![origin.id];
    if origin.id != fail.id {
        shown.push(fail.id);
    }
    // A B2BUA may map the b-leg's failure to another code: name the earlier one.
    if let Some(other) = call.msgs.iter().find(|m| {
        m.is_response_to("INVITE")
            && m.status()
                .is_some_and(|s| s >= 300 && s != code && s != 401 && s != 407)
            && m.ts <= fail.ts
            && call.initial_cseq(m)
    }) {
        text.push_str(&format!(
            " (other leg: {} from {})",
            other.what(),
            other.src
        ));
        shown.push(other.id);
    }
    if matches!(code, 401 | 407) {
        text.push_str(": the caller never answered the challenge");
    }
    out.push(finding(level_of(code, call), "final_response", text, shown));
}

fn level_of(code: u16, call: &Call<'_>) -> Level {
    match code {
        486 | 600 | 603 => Level::Info,
        480 | 487 if call.ringing().is_some() => Level::Info,
        408 | 415 | 488 | 606 | 500..=599 => Level::Problem,
        _ => Level::Warning,
    }
}

/// The last final failure on the caller's leg, skipping challenges that were retried.
fn caller_final_failure<'c, 'a>(call: &'c Call<'a>) -> Option<&'c Msg<'a>> {
    let caller_ip = call.caller_ip()?;
    let finals: Vec<&Msg<'a>> = call
        .caller_leg()
        .filter(|m| {
            m.is_response_to("INVITE")
                && m.status().is_some_and(|s| s >= 300)
                && m.dst.ip() == caller_ip
                && call.initial_cseq(m)
        })
        .collect();
    let last_invite_cseq = call
        .caller_leg()
        .filter(|m| m.is_request("INVITE") && m.initial())
        .map(|m| m.cseq().0)
        .max()?;
    finals
        .into_iter()
        .rev()
        .find(|m| !(matches!(m.status(), Some(401 | 407)) && m.cseq().0 < last_invite_cseq))
}

/// The caller's CANCEL: after how much ringing, or before any.
pub(crate) fn cancel(call: &Call<'_>, out: &mut Vec<Finding>) {
    let (Some(inv), Some(caller_ip)) = (call.invite(), call.caller_ip()) else {
        return;
    };
    let Some(c) = call
        .caller_leg()
        .find(|m| m.is_request("CANCEL") && m.src.ip() == caller_ip)
    else {
        return;
    };
    let ringing = call.ringing().filter(|r| r.ts <= c.ts);
    let (level, text, shown) = match ringing {
        Some(r) => (
            Level::Info,
            format!(
                "CANCEL after {} of ringing, from {} ({} after the INVITE)",
                dur(c.ts - r.ts),
                c.src,
                dur(c.ts - inv.ts)
            ),
            vec![inv.id, r.id, c.id],
        ),
        None => (
            Level::Warning,
            format!(
                "CANCEL {} after the INVITE, before any ringing, from {}",
                dur(c.ts - inv.ts),
                c.src
            ),
            vec![inv.id, c.id],
        ),
    };
    out.push(finding(level, "cancelled", text, shown));
}

/// Post-dial delay over 5 s.
pub(crate) fn long_pdd(call: &Call<'_>, out: &mut Vec<Finding>) {
    let Some(inv) = call.invite() else { return };
    let (delay, text, id) = match call.ringing() {
        Some(r) => (
            r.ts - inv.ts,
            format!(
                "long post-dial delay: first ringing {} after the INVITE",
                dur(r.ts - inv.ts)
            ),
            r.id,
        ),
        None => match call.caller_leg().find(|m| {
            m.is_response_to("INVITE")
                && m.status().is_some_and(|s| s >= 200)
                && call.initial_cseq(m)
        }) {
            Some(f) => (
                f.ts - inv.ts,
                format!(
                    "long post-dial delay: {} {} after the INVITE, no ringing before it",
                    f.what(),
                    dur(f.ts - inv.ts)
                ),
                f.id,
            ),
            None => return,
        },
    };
    // Beyond an hour the capture's clocks, not the call, are wrong.
    if delay <= LONG_PDD_US || delay > 3_600_000_000 {
        return;
    }
    out.push(finding(Level::Warning, "long_pdd", text, vec![inv.id, id]));
}

/// An answered call that ended within 2 s.
pub(crate) fn short_call(call: &Call<'_>, out: &mut Vec<Finding>) {
    let Some(ok) = call.answer() else { return };
    let Some(bye) = first_bye_after(call, ok.ts) else {
        return;
    };
    let talk = bye.ts - ok.ts;
    if talk >= SHORT_CALL_US {
        return;
    }
    // The callee (or a proxy on its side) hanging up at once is the classic sign of a
    // failed answer (media, ACK); a caller who hangs up quickly usually meant to.
    let who = party(call, bye);
    let (level, hint) = match who {
        "caller" => (Level::Info, ""),
        _ => (Level::Warning, ", dropped right after answer?"),
    };
    out.push(finding(
        level,
        "short_call",
        format!(
            "call ended {} after answer: BYE from the {who} ({}){hint}",
            dur(talk),
            bye.src
        ),
        vec![ok.id, bye.id],
    ));
}

/// Q.850 causes in Reason headers (BYE, CANCEL, responses), each once.
pub(crate) fn release_causes(call: &Call<'_>, out: &mut Vec<Finding>) {
    let mut seen: Vec<(u16, String)> = Vec::new();
    for m in &call.msgs {
        let Some(cause) = m.f.reason_header.as_deref().and_then(q850::cause_of) else {
            continue;
        };
        let what = m.what();
        if seen.iter().any(|(c, w)| *c == cause && *w == what) {
            continue;
        }
        seen.push((cause, what.clone()));
        let meaning = q850::meaning(cause).unwrap_or("unknown cause");
        let level = match q850::gravity(cause) {
            0 => Level::Info,
            1 => Level::Warning,
            _ => Level::Problem,
        };
        out.push(finding(
            level,
            "q850_cause",
            format!("{what} from {} with Q.850 cause {cause} ({meaning})", m.src),
            vec![m.id],
        ));
    }
}

fn first_bye_after<'c, 'a>(call: &'c Call<'a>, ts: i64) -> Option<&'c Msg<'a>> {
    call.msgs.iter().find(|m| m.is_request("BYE") && m.ts >= ts)
}

/// Which side sent `m`: the record's `hangup_by` for the first BYE when known, else
/// by address (the caller's first INVITE's source).
fn party(call: &Call<'_>, m: &Msg<'_>) -> &'static str {
    if let Some(p) = call.record.and_then(|r| r.hangup_by) {
        return match p {
            argos_model::Party::Caller => "caller",
            argos_model::Party::Callee => "callee",
        };
    }
    match call.invite() {
        Some(inv) if m.src == inv.src => "caller",
        // Same host, another port (TCP, a new socket): still the caller, unless caller
        // and callee share the host.
        Some(inv) if m.src.ip() == inv.src.ip() && inv.src.ip() != inv.dst.ip() => "caller",
        _ => "callee",
    }
}
