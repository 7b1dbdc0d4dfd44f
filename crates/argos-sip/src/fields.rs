//! [`message_fields`]: a [`SipSummary`] as the owned, stored [`MessageFields`].
//!
//! The one conversion used by the ingest pipeline (collector and `argos import`) and by
//! the tests that build records from captures, so they all store the same fields.

use argos_model::MessageFields;

use crate::SipSummary;

/// An owned copy of a summary value; empty counts as absent.
fn own(s: Option<&str>) -> Option<String> {
    s.filter(|v| !v.is_empty()).map(str::to_owned)
}

/// Copies the parser's borrowed summary into owned searchable fields.
///
/// Empty strings become `None`; `sdp_media` is [`Sdp::media_summary`](crate::sdp::Sdp::media_summary)
/// (`None` when there is no SDP or it describes no media); `call_key` is left `None` for
/// the linker to set.
pub fn message_fields(s: &SipSummary<'_>) -> MessageFields {
    MessageFields {
        method: own(s.method),
        status: s.status,
        reason: own(s.reason),
        ruri: own(s.ruri),
        ruri_user: own(s.ruri_user),
        ruri_domain: own(s.ruri_domain),
        from_user: own(s.from_user),
        from_domain: own(s.from_domain),
        from_tag: own(s.from_tag),
        to_user: own(s.to_user),
        to_domain: own(s.to_domain),
        to_tag: own(s.to_tag),
        pai_user: own(s.pai_user),
        contact_user: own(s.contact_user),
        contact_ip: own(s.contact_ip),
        contact_port: s.contact_port,
        auth_user: own(s.auth_user),
        call_id: own(s.call_id),
        a_leg: own(s.a_leg.as_deref()),
        via_branch: own(s.via_branch),
        cseq_num: s.cseq_num,
        cseq_method: own(s.cseq_method),
        diversion_user: own(s.diversion_user),
        reason_header: own(s.reason_header),
        content_type: own(s.content_type),
        user_agent: own(s.user_agent),
        expires: s.expires,
        sdp_media: s
            .sdp
            .as_ref()
            .map(|sdp| sdp.media_summary())
            .filter(|m| !m.is_empty()),
        call_key: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse, FieldConfig};

    fn fields(text: &str) -> MessageFields {
        let text = text.replace('\n', "\r\n");
        let msg = parse(text.as_bytes()).expect("parses");
        message_fields(&msg.summary(&FieldConfig::default()))
    }

    #[test]
    fn request_fields_are_owned_and_call_key_is_left_unset() {
        let f = fields(
            "INVITE sip:bob@biloxi.example.com SIP/2.0\n\
             Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776\n\
             From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928\n\
             To: <sip:bob@biloxi.example.com>\n\
             Call-ID: a84b4c76e66710\n\
             CSeq: 314159 INVITE\n\
             X-CID: a-leg@10.0.0.1\n\
             Content-Type: application/sdp\n\
             Content-Length: 88\n\
             \n\
             v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\n\
             m=audio 49170 RTP/AVP 0 8\n",
        );
        assert_eq!(f.method.as_deref(), Some("INVITE"));
        assert_eq!(f.status, None);
        assert_eq!(f.ruri_user.as_deref(), Some("bob"));
        assert_eq!(f.from_user.as_deref(), Some("alice"));
        assert_eq!(f.from_tag.as_deref(), Some("1928"));
        assert_eq!(f.to_tag, None);
        assert_eq!(f.call_id.as_deref(), Some("a84b4c76e66710"));
        assert_eq!(f.a_leg.as_deref(), Some("a-leg@10.0.0.1"));
        assert_eq!(f.via_branch.as_deref(), Some("z9hG4bK776"));
        assert_eq!(f.cseq_num, Some(314159));
        assert_eq!(f.cseq_method.as_deref(), Some("INVITE"));
        assert_eq!(f.content_type.as_deref(), Some("application/sdp"));
        assert_eq!(f.sdp_media.as_deref(), Some("10.0.0.1:49170/PCMU,PCMA"));
        assert_eq!(f.call_key, None);
    }

    #[test]
    fn empty_values_and_missing_sdp_are_none() {
        let f = fields(
            "SIP/2.0 200 OK\n\
             From: <sip:alice@atlanta.example.com>;tag=1\n\
             To: <sip:bob@biloxi.example.com>;tag=2\n\
             Call-ID: c1\n\
             CSeq: 1 OPTIONS\n\
             User-Agent: \n\
             Content-Length: 0\n\
             \n",
        );
        assert_eq!(f.status, Some(200));
        assert_eq!(f.reason.as_deref(), Some("OK"));
        assert_eq!(f.method, None);
        assert_eq!(f.user_agent, None, "an empty header is absent");
        assert_eq!(f.sdp_media, None);
        assert_eq!(f.call_key, None);
    }
}
