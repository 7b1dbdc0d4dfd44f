//! Media negotiation: offers refused for their codecs (488/415/606), answers without a
//! common codec (a warning: the call was answered), and SDP that makes audio one-way (c=0.0.0.0, sendonly/recvonly/inactive
//! outside a hold, port 0).

use super::view::{Call, Msg, SdpInfo};
use super::{finding, Finding, Level};

/// Responses that refuse the offered media.
fn refuses_media(status: u16) -> bool {
    matches!(status, 488 | 415 | 606)
}

/// The offer a response answers: the SDP of its INVITE (same Call-ID and CSeq), else the
/// first INVITE with SDP on its Call-ID, else the call's first offer.
fn offer_for<'c, 'a>(call: &'c Call<'a>, rsp: &Msg<'_>) -> Option<&'c Msg<'a>> {
    let invites = || {
        call.msgs
            .iter()
            .filter(|m| m.is_request("INVITE") && m.sdp.as_ref().is_some_and(|s| s.has_audio))
    };
    invites()
        .find(|m| m.call_id() == rsp.call_id() && m.cseq().0 == rsp.cseq().0)
        .or_else(|| invites().find(|m| m.call_id() == rsp.call_id()))
        .or_else(|| invites().next())
}

fn codec_list(s: &SdpInfo) -> String {
    if s.codecs.is_empty() {
        "no audio codec".to_owned()
    } else {
        s.codecs.join(", ")
    }
}

fn common(a: &SdpInfo, b: &SdpInfo) -> bool {
    a.codecs
        .iter()
        .any(|x| b.codecs.iter().any(|y| x.eq_ignore_ascii_case(y)))
}

/// 488/415/606 to an INVITE, and answers with no codec in common with their offer.
pub(crate) fn codec_mismatch(call: &Call<'_>, out: &mut Vec<Finding>) {
    // The earliest refusal is the originator's; relays of it say nothing new.
    if let Some(rsp) = call
        .msgs
        .iter()
        .find(|m| m.is_response_to("INVITE") && m.status().is_some_and(refuses_media))
    {
        let offer = offer_for(call, rsp);
        let offered = offer.and_then(|o| o.sdp.as_ref());
        let supported = rsp.sdp.as_ref().filter(|s| !s.codecs.is_empty());
        let mut shown: Vec<u64> = offer.map(|o| o.id).into_iter().collect();
        shown.push(rsp.id);
        let text = match (offered, supported) {
            (Some(o), Some(s)) if !common(o, s) => format!(
                "no common codec: offer {}; callee supports {} ({} from {})",
                codec_list(o),
                codec_list(s),
                rsp.what(),
                rsp.src
            ),
            (Some(o), _) => format!(
                "{} from {}: the callee refused the offered media ({})",
                rsp.what(),
                rsp.src,
                o.codecs.join("/")
            ),
            (None, _) => format!(
                "{} from {}: the callee refused the offered media",
                rsp.what(),
                rsp.src
            ),
        };
        let text = match &rsp.warning {
            Some(w) => format!("{text}; Warning: {w}"),
            None => text,
        };
        out.push(finding(Level::Problem, "codec_mismatch", text, shown));
        return;
    }
    // An answer must keep at least one offered codec (RFC 3264 §6).
    for ans in call.msgs.iter().filter(|m| {
        m.is_response_to("INVITE")
            && m.status().is_some_and(|s| (200..300).contains(&s))
            && m.sdp
                .as_ref()
                .is_some_and(|s| s.has_audio && !s.audio_port0)
    }) {
        let (Some(offer), Some(a)) = (offer_for(call, ans), ans.sdp.as_ref()) else {
            continue;
        };
        let Some(o) = offer.sdp.as_ref() else {
            continue;
        };
        if o.codecs.is_empty() || a.codecs.is_empty() || common(o, a) {
            continue;
        }
        // Answered anyway, and many endpoints still decode the other G.711 law: audio
        // may work, but the negotiation is broken (RFC 3264 §6).
        out.push(finding(
            Level::Warning,
            "codec_mismatch",
            format!(
                "no common codec: offer {}; answer from {} has {} (audio may fail)",
                codec_list(o),
                ans.src,
                codec_list(a)
            ),
            vec![offer.id, ans.id],
        ));
        return;
    }
}

/// SDP that keeps audio from flowing both ways during call setup, and holds after it.
pub(crate) fn one_way_audio(call: &Call<'_>, out: &mut Vec<Finding>) {
    let answer_ts = call.answer().map(|a| a.ts);
    let mut said: Vec<(&'static str, std::net::SocketAddr)> = Vec::new();
    for m in call.msgs.iter() {
        let Some(sdp) = m.sdp.as_ref().filter(|s| s.has_audio) else {
            continue;
        };
        // Inside the dialog after the answer, sendonly/inactive is how a hold is asked.
        let in_dialog = !m.initial() && answer_ts.is_some_and(|t| m.ts > t);
        let role = if m.method().is_some() {
            "offer"
        } else {
            "answer"
        };
        let dir = sdp.direction.as_deref().unwrap_or("sendrecv");
        let unspecified = sdp
            .audio_addr
            .as_deref()
            .is_some_and(|a| a == "0.0.0.0" || a == "::");
        let (code, level, text) = if sdp.audio_port0 && m.status().is_some() {
            (
                "media_refused",
                Level::Problem,
                format!(
                    "SDP answer from {} refuses the audio stream (m=audio port 0)",
                    m.src
                ),
            )
        } else if in_dialog && (matches!(dir, "sendonly" | "inactive") || unspecified) {
            (
                "hold",
                Level::Info,
                format!(
                    "call put on hold by {} {} into the call (a={dir}{})",
                    m.src,
                    super::view::dur(m.ts - call.start_us().unwrap_or(m.ts)),
                    if unspecified { ", c=0.0.0.0" } else { "" }
                ),
            )
        } else if in_dialog {
            continue;
        } else if unspecified {
            (
                "one_way_audio",
                Level::Warning,
                format!(
                    "SDP {role} from {} has c={}: no audio will be sent to it (one-way or no audio)",
                    m.src,
                    sdp.audio_addr.as_deref().unwrap_or("0.0.0.0")
                ),
            )
        } else if matches!(dir, "sendonly" | "recvonly" | "inactive") {
            (
                "one_way_audio",
                Level::Warning,
                format!(
                    "SDP {role} from {} is a={dir} during call setup (not a hold): one-way audio risk",
                    m.src
                ),
            )
        } else {
            continue;
        };
        if said.contains(&(code, m.src)) {
            continue;
        }
        said.push((code, m.src));
        out.push(finding(level, code, text, vec![m.id]));
    }
}
