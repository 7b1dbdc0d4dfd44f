//! Hand-written SIP for the unit tests: builders for requests and responses, and a
//! Record made the way the server makes it (argos-sip summary → MessageFields, call_key
//! from X-CID else Call-ID).

#![allow(clippy::expect_used)]

use argos_model::{Capture, MessageFields, PayloadKind, Record, Transport};
use bytes::Bytes;

pub(crate) const SECOND: i64 = 1_000_000;
/// A base time (2026-11-25T00:00:00Z) so records look like real ones.
pub(crate) const T0: i64 = 1_795_564_800 * SECOND;

pub(crate) const CALLER: &str = "10.0.0.1:5060";
pub(crate) const PROXY: &str = "10.0.0.2:5060";
pub(crate) const CALLEE: &str = "10.0.0.3:5060";

pub(crate) const OFFER_SDP: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n\
    t=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";
pub(crate) const ANSWER_SDP: &str =
    "v=0\r\no=- 2 2 IN IP4 10.0.0.3\r\ns=-\r\nc=IN IP4 10.0.0.3\r\n\
    t=0 0\r\nm=audio 6000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";

/// The identity of one dialog: Call-ID, tags, and the X-CID a proxy adds on other legs.
#[derive(Debug, Clone)]
pub(crate) struct Dialog {
    pub call_id: String,
    pub from_tag: String,
    pub to_tag: Option<String>,
    pub x_cid: Option<String>,
}

impl Dialog {
    pub(crate) fn new(call_id: &str) -> Self {
        Dialog {
            call_id: call_id.to_owned(),
            from_tag: format!("ft-{call_id}"),
            to_tag: None,
            x_cid: None,
        }
    }
    /// The same dialog once the callee answered (To tag set).
    pub(crate) fn answered(&self) -> Self {
        Dialog {
            to_tag: Some(format!("tt-{}", self.call_id)),
            ..self.clone()
        }
    }
    /// The same dialog on a proxy's next hop, which carries X-CID.
    pub(crate) fn with_x_cid(&self, a_leg: &str) -> Self {
        Dialog {
            x_cid: Some(a_leg.to_owned()),
            ..self.clone()
        }
    }

    fn headers(&self, cseq: u32, cseq_method: &str, extra: &[&str], body: &str) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-{}-{cseq}-{cseq_method}\r\n",
            self.call_id
        ));
        s.push_str(&format!(
            "From: \"Alice\" <sip:alice@a.example>;tag={}\r\n",
            self.from_tag
        ));
        match &self.to_tag {
            Some(t) => s.push_str(&format!("To: <sip:bob@b.example>;tag={t}\r\n")),
            None => s.push_str("To: <sip:bob@b.example>\r\n"),
        }
        s.push_str(&format!("Call-ID: {}\r\n", self.call_id));
        s.push_str(&format!("CSeq: {cseq} {cseq_method}\r\n"));
        if let Some(x) = &self.x_cid {
            s.push_str(&format!("X-CID: {x}\r\n"));
        }
        for h in extra {
            s.push_str(h);
            s.push_str("\r\n");
        }
        if !body.is_empty() {
            s.push_str("Content-Type: application/sdp\r\n");
        }
        s.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        s
    }

    /// A request; `cseq_method` is the method itself.
    pub(crate) fn req(&self, method: &str, cseq: u32, extra: &[&str], body: &str) -> String {
        format!(
            "{method} sip:bob@b.example SIP/2.0\r\n{}",
            self.headers(cseq, method, extra, body)
        )
    }

    /// A response to `cseq_method` with CSeq `cseq`.
    pub(crate) fn rsp(
        &self,
        code: u16,
        cseq: u32,
        cseq_method: &str,
        extra: &[&str],
        body: &str,
    ) -> String {
        format!(
            "SIP/2.0 {code} {}\r\n{}",
            reason_phrase(code),
            self.headers(cseq, cseq_method, extra, body)
        )
    }
}

fn reason_phrase(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        183 => "Session Progress",
        200 => "OK",
        401 => "Unauthorized",
        407 => "Proxy Authentication Required",
        486 => "Busy Here",
        487 => "Request Terminated",
        _ => "Whatever",
    }
}

/// The searchable fields of a SIP message, as the server's pipeline fills them.
pub(crate) fn fields_of(payload: &[u8]) -> MessageFields {
    let msg = argos_sip::parse(payload).expect("test SIP parses");
    let s = msg.summary(&argos_sip::FieldConfig::default());
    let mut f = argos_sip::fields::message_fields(&s);
    f.call_key = f.a_leg.clone().or_else(|| f.call_id.clone());
    f
}

/// A captured SIP message at `ts_us` from `src` to `dst`.
pub(crate) fn record(ts_us: i64, src: &str, dst: &str, sip: &str) -> Record {
    let payload = Bytes::from(sip.to_owned());
    let fields = fields_of(&payload);
    let capture = Capture::new(
        ts_us,
        src.parse().expect("test address"),
        dst.parse().expect("test address"),
        Transport::Udp,
        PayloadKind::SIP,
        payload,
    );
    Record { capture, fields }
}
