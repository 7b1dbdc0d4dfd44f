//! The call's audio as its SDP announced it: which addresses belong to the caller and
//! which to the callee, the codec and its clock rate.

use super::MediaDirection;
use argos_model::{PayloadKind, StoredMessage};
use argos_rtp::sdp_media::{media_endpoints, MediaEndpoint};
use std::net::SocketAddr;

/// Audio endpoints of both sides of a call.
#[derive(Debug, Clone, Default)]
pub struct CallMedia {
    /// Audio announced in requests (INVITE, re-INVITE, ACK): the caller's side.
    pub caller: Vec<MediaEndpoint>,
    /// Audio announced in responses: the callee's side.
    pub callee: Vec<MediaEndpoint>,
    /// First codec of the first audio `m=` line (from the answer when there is one).
    pub codec: Option<String>,
}

impl CallMedia {
    /// Reads every SDP body among the call's SIP messages.
    pub fn from_messages(msgs: &[StoredMessage]) -> Self {
        let mut media = CallMedia::default();
        let mut offer_codec = None;
        for m in msgs {
            let r = &m.record;
            if r.capture.kind != PayloadKind::SIP {
                continue;
            }
            let Some(body) = sdp_body(&r.capture.payload) else {
                continue;
            };
            let audio: Vec<MediaEndpoint> = media_endpoints(body)
                .into_iter()
                .filter(|e| e.kind.eq_ignore_ascii_case("audio"))
                .collect();
            if audio.is_empty() {
                continue;
            }
            let codec = r.fields.sdp_media.as_deref().and_then(first_codec);
            let is_request = r.fields.method.is_some();
            let side = if is_request {
                offer_codec = offer_codec.or(codec);
                &mut media.caller
            } else {
                media.codec = media.codec.or(codec);
                &mut media.callee
            };
            for e in audio {
                if !side.iter().any(|s| s.rtp == e.rtp) {
                    side.push(e);
                }
            }
        }
        media.codec = media.codec.or(offer_codec);
        media
    }

    /// Both sides announced audio.
    pub fn both_sides_audio(&self) -> bool {
        !self.caller.is_empty() && !self.callee.is_empty()
    }

    /// Which side an address belongs to: its RTP or RTCP address first, else its IP
    /// alone when only one side uses that IP.
    pub fn side_of(&self, addr: SocketAddr) -> Option<Side> {
        let exact = |eps: &[MediaEndpoint]| eps.iter().any(|e| e.rtp == addr || e.rtcp == addr);
        match (exact(&self.caller), exact(&self.callee)) {
            (true, false) => return Some(Side::Caller),
            (false, true) => return Some(Side::Callee),
            _ => {}
        }
        let ip = |eps: &[MediaEndpoint]| eps.iter().any(|e| e.rtp.ip() == addr.ip());
        match (ip(&self.caller), ip(&self.callee)) {
            (true, false) => Some(Side::Caller),
            (false, true) => Some(Side::Callee),
            _ => None,
        }
    }

    /// The direction of media received at `addr`.
    pub fn direction_into(&self, addr: SocketAddr) -> Option<MediaDirection> {
        self.side_of(addr).map(|s| match s {
            Side::Caller => MediaDirection::CalleeToCaller,
            Side::Callee => MediaDirection::CallerToCallee,
        })
    }

    /// The direction of media sent from `addr`.
    pub fn direction_from(&self, addr: SocketAddr) -> Option<MediaDirection> {
        self.direction_into(addr).map(MediaDirection::reverse)
    }

    /// The direction of a stream from `src` to `dst`, by whichever end is known.
    pub fn direction_of(
        &self,
        src: Option<SocketAddr>,
        dst: Option<SocketAddr>,
    ) -> Option<MediaDirection> {
        dst.and_then(|d| self.direction_into(d))
            .or_else(|| src.and_then(|s| self.direction_from(s)))
    }

    /// RTP clock rate of the audio received at `addr` (its side's first format), else
    /// of any audio in the call; `None` when the SDP gives none.
    pub fn clock_rate_at(&self, addr: Option<SocketAddr>) -> Option<u32> {
        let side = addr.and_then(|a| self.side_of(a));
        let eps: Vec<&MediaEndpoint> = match side {
            Some(Side::Caller) => self.caller.iter().chain(&self.callee).collect(),
            Some(Side::Callee) | None => self.callee.iter().chain(&self.caller).collect(),
        };
        eps.iter().map(|e| e.clock_rate).find(|&c| c > 0)
    }
}

/// One end of the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Caller,
    Callee,
}

/// The body of a SIP message, when it has one.
fn sdp_body(payload: &[u8]) -> Option<&[u8]> {
    let at = memchr::memmem::find(payload, b"\r\n\r\n")?;
    let body = payload.get(at + 4..)?;
    (!body.is_empty()).then_some(body)
}

/// `PCMA` from a media summary like `10.0.0.1:4000/PCMA,G729 10.0.0.1:5000/H264`.
fn first_codec(summary: &str) -> Option<String> {
    let first = summary.split(' ').next()?;
    let (_, codecs) = first.rsplit_once('/')?;
    let c = codecs.split(',').next()?.trim();
    (!c.is_empty()).then(|| c.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_codec_of_summary() {
        assert_eq!(
            first_codec("10.0.0.1:4000/PCMA,G729 10.0.0.1:5000/H264").as_deref(),
            Some("PCMA")
        );
        assert_eq!(first_codec("[::1]:4000/opus").as_deref(), Some("opus"));
        assert_eq!(first_codec("junk"), None);
        assert_eq!(first_codec("1.2.3.4:5/"), None);
    }
}
