//! What the searchable fields leave out and a call record needs: the media side of an
//! SDP (address and codecs) and the Q.850 cause of a Reason header.
//!
//! Both re-parse the payload, so the call tracker calls them only for the few messages
//! that carry the information (INVITE / 18x / 2xx with SDP on the caller's leg, BYE /
//! CANCEL / final responses with a Reason header).

use argos_model::MediaSide;
use argos_sip::sdp::{self, Sdp};
use argos_sip::FieldConfig;

/// The media side of the SDP in a SIP payload, if it has one.
pub(crate) fn media_side(payload: &[u8]) -> Option<MediaSide> {
    let msg = argos_sip::parse(payload).ok()?;
    let ct = msg.header("Content-Type")?;
    let media_type = ct.split(';').next().unwrap_or(ct).trim();
    if media_type.eq_ignore_ascii_case("application/sdp") {
        return sdp::parse(msg.body()).ok().and_then(|s| side_of(&s));
    }
    // Multipart bodies: the summary knows how to find the SDP part. No a-leg headers are
    // configured, so it does no work for them.
    let cfg = FieldConfig {
        a_leg_headers: Vec::new(),
    };
    msg.summary(&cfg).sdp.as_ref().and_then(side_of)
}

/// Address of the first audio media (else the first media) and its codecs, leaving out
/// the ones that are not voice codecs (DTMF events, comfort noise).
fn side_of(s: &Sdp<'_>) -> Option<MediaSide> {
    let m = s
        .media
        .iter()
        .find(|m| m.kind.eq_ignore_ascii_case("audio"))
        .or_else(|| s.media.first())?;
    let addr = match m.effective_connection(s) {
        Some(ip) if ip.contains(':') => format!("[{ip}]:{}", m.port),
        Some(ip) => format!("{ip}:{}", m.port),
        None => format!("?:{}", m.port),
    };
    let codecs = m
        .formats
        .iter()
        .map(|f| m.codec_name(f))
        .filter(|c| !is_signalling_codec(c))
        .map(str::to_owned)
        .collect();
    Some(MediaSide { addr, codecs })
}

/// Payload formats that carry no voice: RFC 4733 events and comfort noise.
fn is_signalling_codec(name: &str) -> bool {
    ["telephone-event", "CN", "comfort-noise", "13"]
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n))
}

/// The Reason header value to keep for a message and its Q.850 cause.
///
/// `first` is the message's first Reason header (from the searchable fields). A message
/// may carry several (`Reason: SIP;cause=200`, `Reason: Q.850;cause=16`); the Q.850 one
/// is preferred, and the payload is re-parsed only when the first one is not Q.850.
pub(crate) fn reason_of(first: &str, payload: &[u8]) -> (String, Option<u16>) {
    if let Some(cause) = q850_cause(first) {
        return (first.to_owned(), Some(cause));
    }
    if let Ok(msg) = argos_sip::parse(payload) {
        for v in msg.header_all("Reason") {
            if let Some(cause) = q850_cause(v) {
                return (v.to_owned(), Some(cause));
            }
        }
    }
    (first.to_owned(), None)
}

/// `cause` of the first `Q.850` element of a Reason value
/// (`Q.850;cause=16;text="Normal call clearing"`).
pub(crate) fn q850_cause(value: &str) -> Option<u16> {
    argos_sip::uri::split_list(value).find_map(|elem| {
        let (proto, params) = elem.split_once(';')?;
        if !proto.trim().eq_ignore_ascii_case("Q.850") {
            return None;
        }
        argos_sip::uri::param(params, "cause")?.trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE_SDP: &str = "INVITE sip:b@x SIP/2.0\r\n\
        Call-ID: 1@x\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n\r\n\
        v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
        m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n\
        m=audio 4000 RTP/AVP 101 8 0 13\r\na=rtpmap:101 telephone-event/8000\r\n";

    #[test]
    fn audio_media_without_events_or_comfort_noise() {
        let side = media_side(INVITE_SDP.as_bytes()).expect("sdp");
        assert_eq!(side.addr, "10.0.0.1:4000");
        assert_eq!(side.codecs, vec!["PCMA", "PCMU"]);
    }

    #[test]
    fn no_sdp_no_side() {
        assert_eq!(
            media_side(b"BYE sip:a@b SIP/2.0\r\nCall-ID: 1\r\n\r\n"),
            None
        );
    }

    #[test]
    fn q850_cause_from_lists_and_repeated_headers() {
        assert_eq!(q850_cause("Q.850;cause=16;text=\"Normal\""), Some(16));
        assert_eq!(q850_cause("SIP;cause=200, q.850 ;cause=31"), Some(31));
        assert_eq!(q850_cause("SIP;cause=487"), None);
        let bye = b"BYE sip:a@b SIP/2.0\r\nReason: SIP;cause=200\r\n\
            Reason: Q.850;cause=17\r\n\r\n";
        let (v, c) = reason_of("SIP;cause=200", bye);
        assert_eq!((v.as_str(), c), ("Q.850;cause=17", Some(17)));
    }
}
