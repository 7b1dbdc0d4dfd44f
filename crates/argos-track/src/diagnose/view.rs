//! The call as the rules see it: its SIP messages in time order, with the few things
//! the rules ask of each (SDP, CSeq, direction), and the caller's leg picked out.

use argos_model::{CallRecord, MessageFields, StoredMessage};
use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};

/// Media of one SDP body, owned (the rules compare offers and answers across messages).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SdpInfo {
    /// Connection addresses of the media lines (their `c=`, else the session's).
    pub(crate) addrs: Vec<String>,
    /// Codecs of the first audio line, in order (`telephone-event`, `CN` left out).
    pub(crate) codecs: Vec<String>,
    /// Direction of the first audio line (media-level, else session-level).
    pub(crate) direction: Option<String>,
    /// The first audio line's connection address.
    pub(crate) audio_addr: Option<String>,
    /// The first audio line has port 0 (stream refused).
    pub(crate) audio_port0: bool,
    pub(crate) has_audio: bool,
}

/// One SIP message of the call.
#[derive(Debug)]
pub(crate) struct Msg<'a> {
    pub(crate) id: u64,
    pub(crate) ts: i64,
    pub(crate) src: SocketAddr,
    pub(crate) dst: SocketAddr,
    pub(crate) f: &'a MessageFields,
    pub(crate) sdp: Option<SdpInfo>,
    /// Raw Warning header of a response (RFC 3261 §20.43), when present.
    pub(crate) warning: Option<String>,
}

impl Msg<'_> {
    pub(crate) fn method(&self) -> Option<&str> {
        self.f.method.as_deref()
    }
    pub(crate) fn status(&self) -> Option<u16> {
        self.f.status
    }
    pub(crate) fn call_id(&self) -> &str {
        self.f.call_id.as_deref().unwrap_or("")
    }
    pub(crate) fn cseq(&self) -> (u32, &str) {
        (
            self.f.cseq_num.unwrap_or(0),
            self.f.cseq_method.as_deref().unwrap_or(""),
        )
    }
    pub(crate) fn is_request(&self, method: &str) -> bool {
        self.method() == Some(method)
    }
    /// A response to `method` (by CSeq).
    pub(crate) fn is_response_to(&self, method: &str) -> bool {
        self.status().is_some() && self.cseq().1 == method
    }
    /// An INVITE or response outside a dialog (no To tag): the call's setup.
    pub(crate) fn initial(&self) -> bool {
        self.f.to_tag.is_none()
    }
    /// Start line as people read it: `INVITE` or `486 Busy Here`.
    pub(crate) fn what(&self) -> String {
        match (self.method(), self.status()) {
            (Some(m), _) => m.to_owned(),
            (None, Some(s)) => match self.f.reason.as_deref() {
                Some(r) => format!("{s} {r}"),
                None => s.to_string(),
            },
            _ => "message".to_owned(),
        }
    }
}

/// The call: its messages and the caller's first INVITE.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub(crate) msgs: Vec<Msg<'a>>,
    pub(crate) record: Option<&'a CallRecord>,
    /// Index of the first initial INVITE, when there is one.
    pub(crate) first_invite: Option<usize>,
    /// (Call-ID, CSeq number) of every INVITE sent without a To tag.
    initial_invites: HashSet<(&'a str, u32)>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(record: Option<&'a CallRecord>, messages: &'a [StoredMessage]) -> Self {
        let mut msgs: Vec<Msg<'a>> = messages
            .iter()
            .filter(|m| m.record.fields.method.is_some() || m.record.fields.status.is_some())
            .map(|m| {
                let (sdp, warning) = parse_extras(&m.record.capture.payload, &m.record.fields);
                Msg {
                    id: m.id,
                    ts: m.record.capture.ts_us,
                    src: m.record.capture.src,
                    dst: m.record.capture.dst,
                    f: &m.record.fields,
                    sdp,
                    warning,
                }
            })
            .collect();
        msgs.sort_by_key(|m| (m.ts, m.id));
        let first_invite = msgs
            .iter()
            .position(|m| m.is_request("INVITE") && m.initial());
        let initial_invites = msgs
            .iter()
            .filter(|m| m.is_request("INVITE") && m.initial())
            .map(|m| {
                (
                    m.f.call_id.as_deref().unwrap_or(""),
                    m.f.cseq_num.unwrap_or(0),
                )
            })
            .collect();
        Call {
            msgs,
            record,
            first_invite,
            initial_invites,
        }
    }

    pub(crate) fn invite(&self) -> Option<&Msg<'a>> {
        self.first_invite.map(|i| &self.msgs[i])
    }

    /// Call-ID of the caller's leg.
    pub(crate) fn caller_call_id(&self) -> Option<&str> {
        self.invite().map(|m| m.call_id())
    }

    pub(crate) fn start_us(&self) -> Option<i64> {
        self.invite().map(|m| m.ts)
    }

    /// IP the caller sent its first INVITE from.
    pub(crate) fn caller_ip(&self) -> Option<IpAddr> {
        self.invite().map(|m| m.src.ip())
    }

    /// Messages of the caller's leg (its Call-ID).
    pub(crate) fn caller_leg(&self) -> impl Iterator<Item = &Msg<'a>> {
        let cid = self.caller_call_id().unwrap_or("\0");
        self.msgs.iter().filter(move |m| m.call_id() == cid)
    }

    /// First 18x to the initial INVITE on the caller's leg.
    pub(crate) fn ringing(&self) -> Option<&Msg<'a>> {
        self.caller_leg().find(|m| {
            m.is_response_to("INVITE")
                && matches!(m.status(), Some(180..=189))
                && self.initial_cseq(m)
        })
    }

    /// First 2xx to the initial INVITE on the caller's leg.
    pub(crate) fn answer(&self) -> Option<&Msg<'a>> {
        self.caller_leg().find(|m| {
            m.is_response_to("INVITE")
                && matches!(m.status(), Some(200..=299))
                && self.initial_cseq(m)
        })
    }

    /// Whether `m` (on any leg) belongs to an initial INVITE transaction: its CSeq is
    /// that of an INVITE sent without a To tag on the same Call-ID.
    pub(crate) fn initial_cseq(&self, m: &Msg<'_>) -> bool {
        self.initial_invites.contains(&(m.call_id(), m.cseq().0))
    }
}

pub(crate) fn secs(us: i64) -> f64 {
    us as f64 / 1e6
}

/// A duration for people: `35 ms` below a tenth of a second, else `0.7 s`, `32.0 s`.
pub(crate) fn dur(us: i64) -> String {
    let us = us.max(0);
    if us < 100_000 {
        format!("{} ms", us / 1_000)
    } else {
        format!("{:.1} s", secs(us))
    }
}

/// The SDP of a message with a body, and the Warning header of a response.
fn parse_extras(payload: &[u8], f: &MessageFields) -> (Option<SdpInfo>, Option<String>) {
    let has_body = f.sdp_media.is_some() || f.content_type.is_some();
    let wants_warning = f.status.is_some_and(|s| s >= 300);
    if !has_body && !wants_warning {
        return (None, None);
    }
    let Ok(msg) = argos_sip::parse(payload) else {
        return (None, None);
    };
    let warning = if wants_warning {
        msg.header("Warning").map(str::to_owned)
    } else {
        None
    };
    let summary = msg.summary(&argos_sip::FieldConfig::default());
    let sdp = summary.sdp.as_ref().map(sdp_info);
    (sdp, warning)
}

fn sdp_info(sdp: &argos_sip::sdp::Sdp<'_>) -> SdpInfo {
    let mut info = SdpInfo::default();
    for m in &sdp.media {
        if let Some(c) = m.effective_connection(sdp) {
            if !info.addrs.iter().any(|a| a == c) {
                info.addrs.push(c.to_owned());
            }
        }
    }
    if let Some(audio) = sdp.media.iter().find(|m| m.kind == "audio") {
        info.has_audio = true;
        info.audio_port0 = audio.port == 0;
        info.audio_addr = audio.effective_connection(sdp).map(str::to_owned);
        info.direction = audio.direction.or(sdp.direction).map(str::to_owned);
        for fmt in &audio.formats {
            let name = audio.codec_name(fmt);
            let skip =
                name.eq_ignore_ascii_case("telephone-event") || name.eq_ignore_ascii_case("CN");
            if !skip && !info.codecs.iter().any(|c| c.eq_ignore_ascii_case(name)) {
                info.codecs.push(name.to_owned());
            }
        }
    }
    info
}
