//! Realistic messages: every accessor and summary field.

mod common;

use std::borrow::Cow;

use argos_sip::{parse, ALegHeader, FieldConfig, SipError, StartLine, StartLineError};
use common::{crlf, COMPACT, INVITE, OK_200, REGISTER};
use regex::Regex;

#[test]
fn invite_with_sdp() {
    let buf = crlf(INVITE);
    let m = parse(&buf).expect("parse");
    assert!(m.is_request());
    assert_eq!(m.method(), Some("INVITE"));
    assert_eq!(m.status(), None);
    assert_eq!(
        m.start_line(),
        &StartLine::Request {
            method: "INVITE",
            uri: "sip:+4930123456@carrier.example.net;user=phone",
            version: "SIP/2.0"
        }
    );
    assert_eq!(m.headers().len(), 19);
    assert_eq!(m.headers()[0].name, "Via");
    assert!(matches!(m.headers()[0].value, Cow::Borrowed(_)));
    assert_eq!(m.header("call-id"), Some("3c26700b4e5c-b2b-1@10.1.2.3"));
    assert_eq!(m.header("i"), Some("3c26700b4e5c-b2b-1@10.1.2.3"));
    assert_eq!(m.header("X-Missing"), None);
    assert_eq!(
        m.header("Allow"),
        Some("INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY")
    );
    assert_eq!(m.header_all("allow").count(), 7);
    assert!(m.is_complete());
    assert!(m.body().starts_with(b"v=0\r\n"));
    assert_eq!(m.content_length(), Some(m.body().len()));
    assert!(m.trailing().is_empty());
    assert_eq!(m.message_len(), buf.len());

    let s = m.summary(&FieldConfig::default());
    assert_eq!(s.method, Some("INVITE"));
    assert_eq!(s.status, None);
    assert_eq!(s.reason, None);
    assert_eq!(
        s.ruri,
        Some("sip:+4930123456@carrier.example.net;user=phone")
    );
    assert_eq!(s.ruri_user, Some("+4930123456"));
    assert_eq!(s.ruri_domain, Some("carrier.example.net"));
    assert_eq!(s.from_user, Some("4989555"));
    assert_eq!(s.from_domain, Some("pbx.example.com"));
    assert_eq!(s.from_tag, Some("as6c1f3e2b"));
    assert_eq!(s.to_user, Some("+4930123456"));
    assert_eq!(s.to_domain, Some("carrier.example.net"));
    assert_eq!(s.to_tag, None);
    assert_eq!(s.pai_user, Some("+494989555"));
    assert_eq!(s.contact_user, Some("4989555"));
    assert_eq!(s.contact_ip, Some("10.1.2.3"));
    assert_eq!(s.contact_port, Some(5060));
    assert_eq!(s.auth_user, Some("pbx-trunk"));
    assert_eq!(s.call_id, Some("3c26700b4e5c-b2b-1@10.1.2.3"));
    assert_eq!(s.a_leg.as_deref(), Some("3c26700b4e5c@192.0.2.10_b2b-1"));
    assert_eq!(s.via_branch, Some("z9hG4bK-524287-1---5f3a9c"));
    assert_eq!(s.via_sent_by, Some("10.1.2.3:5060"));
    assert_eq!(s.via_transport, Some("UDP"));
    assert_eq!(s.cseq_num, Some(102));
    assert_eq!(s.cseq_method, Some("INVITE"));
    assert_eq!(s.diversion_user, Some("+4989111"));
    assert_eq!(s.reason_header, None);
    assert_eq!(s.content_type, Some("application/sdp"));
    assert_eq!(s.user_agent, Some("Asterisk PBX 18.9.0"));
    assert_eq!(
        s.expires,
        Some(300),
        "Contact expires= when no Expires header"
    );
    let sdp = s.sdp.as_ref().expect("sdp");
    assert_eq!(sdp.connection, Some("10.1.2.3"));
    assert_eq!(sdp.media.len(), 1);
    assert_eq!(sdp.media[0].ptime, Some(20));
    assert_eq!(sdp.media[0].direction, Some("sendrecv"));
    assert_eq!(
        sdp.media_summary(),
        "10.1.2.3:17962/PCMA,PCMU,G729,telephone-event"
    );
}

#[test]
fn response_200_ipv6_contact() {
    let buf = crlf(OK_200);
    let m = parse(&buf).expect("parse");
    assert!(!m.is_request());
    assert_eq!(m.status(), Some(200));
    assert_eq!(m.method(), None);
    assert_eq!(m.reason_phrase(), Some("OK"));
    assert_eq!(
        m.header_all("Record-Route").collect::<Vec<_>>(),
        ["<sip:[2001:db8:1::10];lr>", "<sip:proxy.example.net;lr>"]
    );
    let s = m.summary(&FieldConfig::default());
    assert_eq!(s.status, Some(200));
    assert_eq!(s.reason, Some("OK"));
    assert_eq!(s.method, None);
    assert_eq!(s.cseq_method, Some("INVITE"));
    assert_eq!(s.to_tag, Some("8321234356"));
    assert_eq!(s.contact_user, Some("+4930123456"));
    assert_eq!(s.contact_ip, Some("2001:db8::1"));
    assert_eq!(s.contact_port, Some(5062));
    assert_eq!(
        s.user_agent,
        Some("CarrierSBC/4.2"),
        "Server when no User-Agent"
    );
    assert_eq!(s.a_leg, None);
    let sdp = s.sdp.expect("sdp");
    assert_eq!(
        sdp.media_summary(),
        "[2001:db8::1]:40000/PCMA,telephone-event"
    );
    assert_eq!(sdp.origin_address(), Some("2001:db8::1"));
}

#[test]
fn register_with_authorization() {
    let buf = crlf(REGISTER);
    let m = parse(&buf).expect("parse");
    let s = m.summary(&FieldConfig::default());
    assert_eq!(s.method, Some("REGISTER"));
    assert_eq!(s.ruri_user, None);
    assert_eq!(s.ruri_domain, Some("registrar.biloxi.example.com"));
    assert_eq!(s.auth_user, Some("bob"));
    assert_eq!(s.from_user, Some("bob"));
    assert_eq!(s.to_user, Some("bob"));
    assert_eq!(s.contact_ip, Some("192.0.2.4"));
    assert_eq!(s.contact_port, Some(5061));
    assert_eq!(s.expires, Some(7200));
    assert_eq!(s.via_transport, Some("TLS"));
    assert_eq!(s.via_sent_by, Some("bobspc.biloxi.example.com:5061"));
    assert_eq!(s.user_agent, Some("Linphone/5.0"));
    assert_eq!(s.sdp, None);
    assert!(m.body().is_empty());
    // Authorization is not a comma list: header_all yields it whole.
    assert_eq!(m.header_all("Authorization").count(), 1);
}

#[test]
fn compact_form_suricata() {
    let buf = crlf(COMPACT);
    let m = parse(&buf).expect("parse");
    assert_eq!(m.header("Via"), m.header("v"));
    assert!(m.header("Via").is_some());
    assert_eq!(m.header("Content-Type"), Some("application/sdp"));
    assert_eq!(m.header("from"), m.header("F"));
    let s = m.summary(&FieldConfig::default());
    assert_eq!(s.from_user, Some("816666"));
    assert_eq!(s.from_domain, Some("voip.brurjula.net"));
    assert_eq!(s.from_tag, Some("6433ef9"));
    assert_eq!(s.to_user, Some("97239287044"));
    assert_eq!(s.call_id, Some("105090259-446faf7a@192.168.1.2"));
    assert_eq!(s.via_branch, Some("z9hG4bKnp104984053-44ce4a41192.168.1.2"));
    assert_eq!(s.expires, Some(120));
    assert_eq!(s.content_type, Some("application/sdp"));
    assert_eq!(m.content_length(), Some(m.body().len()));
    let sdp = s.sdp.expect("sdp");
    assert_eq!(
        sdp.media_summary(),
        "192.168.1.2:30000/pcmu,PCMA,97,G721,GSM"
    );
}

#[test]
fn multi_value_headers_suricata() {
    // suricata-verify sip-header-multi-value: `t:` then `To:`.
    let buf = crlf(
        "INVITE sip:97239287044@voip.brujula.net SIP/2.0
v: SIP/2.0/UDP 192.168.1.2:5060;branch=z9hG4bKnp1;rport
t: <sip:97239287044@voip.brujula.net>
To: <sip:12345@voip.brujula.net>
Call-ID: 105090259-446faf7a@192.168.1.2
Via: SIP/2.0/TCP a.example.com;branch=z9hG4bKa, SIP/2.0/UDP [2001:db8::5]:5060;branch=z9hG4bKb
Content-Length: 0

",
    );
    let m = parse(&buf).expect("parse");
    assert_eq!(
        m.header_all("To").collect::<Vec<_>>(),
        [
            "<sip:97239287044@voip.brujula.net>",
            "<sip:12345@voip.brujula.net>"
        ]
    );
    assert_eq!(m.header("to"), Some("<sip:97239287044@voip.brujula.net>"));
    let vias: Vec<_> = m.header_all("v").collect();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[2], "SIP/2.0/UDP [2001:db8::5]:5060;branch=z9hG4bKb");
    let s = m.summary(&FieldConfig::default());
    assert_eq!(s.to_user, Some("97239287044"), "first To wins");
    assert_eq!(s.via_branch, Some("z9hG4bKnp1"));
}

#[test]
fn folded_headers_are_unfolded() {
    let buf = crlf(
        "OPTIONS sip:carol@chicago.example.com SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example.com
 ;branch=z9hG4bKhjhs8ass877
Subject: I know you're there,
\tpick up the phone
   and talk to me!
To: <sip:carol@chicago.example.com>
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: 63104 OPTIONS
Content-Length: 0

",
    );
    let m = parse(&buf).expect("parse");
    assert_eq!(
        m.header("Subject"),
        Some("I know you're there, pick up the phone and talk to me!")
    );
    assert!(matches!(m.headers()[1].value, Cow::Owned(_)));
    assert!(matches!(m.headers()[2].value, Cow::Borrowed(_)));
    // Subject is not a list.
    assert_eq!(m.header_all("s").count(), 1);
    let s = m.summary(&FieldConfig::default());
    assert_eq!(s.via_branch, Some("z9hG4bKhjhs8ass877"));
    assert_eq!(s.via_sent_by, Some("pc33.atlanta.example.com"));
    assert_eq!(s.from_user, Some("alice"));
}

#[test]
fn rpid_when_no_pai_and_reason_q850() {
    let buf = crlf(
        "BYE sip:4989555@10.1.2.3:5060 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK1
From: <sip:+4930123456@carrier.example.net>;tag=8321234356
To: \"Alice\" <sip:4989555@pbx.example.com>;tag=as6c1f3e2b
Call-ID: 3c26700b4e5c-b2b-1@10.1.2.3
CSeq: 3 BYE
Remote-Party-ID: \"Carol\" <sip:+4930123456@carrier.example.net>;party=calling;privacy=off
Reason: Q.850;cause=16;text=\"Normal call clearing\"
Content-Length: 0

",
    );
    let m = parse(&buf).expect("parse");
    let s = m.summary(&FieldConfig::default());
    assert_eq!(s.pai_user, Some("+4930123456"));
    assert_eq!(
        s.reason_header,
        Some("Q.850;cause=16;text=\"Normal call clearing\"")
    );
    assert_eq!(
        argos_sip::uri::param(s.reason_header.unwrap_or(""), "cause"),
        Some("16")
    );
    assert_eq!(s.cseq_method, Some("BYE"));
    assert_eq!(s.ruri_user, Some("4989555"));
}

#[test]
fn a_leg_strip_regex_forms() {
    let buf = crlf(INVITE);
    let m = parse(&buf).expect("parse");
    let group = FieldConfig {
        a_leg_headers: vec![ALegHeader::with_strip(
            "x-cid",
            Regex::new(r"^(.*)_b2b-\d+$").expect("re"),
        )],
    };
    let s = m.summary(&group);
    assert_eq!(s.a_leg.as_deref(), Some("3c26700b4e5c@192.0.2.10"));
    assert!(matches!(s.a_leg, Some(Cow::Borrowed(_))));

    let removal = FieldConfig {
        a_leg_headers: vec![ALegHeader::with_strip(
            "X-CID",
            Regex::new(r"_b2b-\d+$").expect("re"),
        )],
    };
    assert_eq!(
        m.summary(&removal).a_leg.as_deref(),
        Some("3c26700b4e5c@192.0.2.10")
    );

    // Removal in the middle allocates.
    let middle = ALegHeader::with_strip("X-CID", Regex::new("-b2b-1").expect("re"));
    let v = middle.apply("abc-b2b-1@host").expect("value");
    assert_eq!(v, "abc@host");
    assert!(matches!(v, Cow::Owned(_)));
    // No match: unchanged.
    assert_eq!(middle.apply("xyz@host").as_deref(), Some("xyz@host"));
    // Empty result: absent.
    assert_eq!(middle.apply("-b2b-1"), None);

    // First configured header present wins; missing ones are skipped.
    let cfg = FieldConfig {
        a_leg_headers: vec![ALegHeader::new("X-Leg"), ALegHeader::session_id()],
    };
    assert_eq!(
        m.summary(&cfg).a_leg.as_deref(),
        Some("ab30317f1a784dc48ff824d0d3715d86")
    );
}

#[test]
fn session_id_option() {
    let cfg = FieldConfig {
        a_leg_headers: vec![],
    }
    .with_session_id();
    let buf = crlf(
        "ACK sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK2
Session-ID: 00000000000000000000000000000000;remote=ab30317f1a784dc48ff824d0d3715d86
Content-Length: 0

",
    );
    let m = parse(&buf).expect("parse");
    assert_eq!(m.summary(&cfg).a_leg, None, "null Session-ID is absent");
    let buf = crlf(
        "ACK sip:bob@192.0.2.4 SIP/2.0
Session-ID: 47755a9de7794ba387653f2099600ef2
Content-Length: 0

",
    );
    let m = parse(&buf).expect("parse");
    assert_eq!(
        m.summary(&cfg).a_leg.as_deref(),
        Some("47755a9de7794ba387653f2099600ef2")
    );
    assert_eq!(
        m.summary(&FieldConfig::default()).a_leg,
        None,
        "default is X-CID only"
    );
}

#[test]
fn tel_uri_and_lf_only_and_keepalive() {
    // Bare LF line endings (hepgen style) and leading keep-alive CRLFs.
    let text = "\r\n\r\nINVITE tel:+1-201-555-0123;phone-context=example.com SIP/2.0\n\
                From: <tel:+12015550100>;tag=x1\n\
                To: <tel:+1-201-555-0123>\n\
                Call-ID: tel-1\n\
                Diversion: \"Fwd\" <tel:+12015550199>;reason=user-busy\n\
                Content-Length: 0\n\n";
    let m = parse(text.as_bytes()).expect("parse");
    assert_eq!(m.header_len(), text.len());
    let s = m.summary(&FieldConfig::default());
    assert_eq!(s.ruri_user, Some("+1-201-555-0123"));
    assert_eq!(s.ruri_domain, None);
    assert_eq!(s.from_user, Some("+12015550100"));
    assert_eq!(s.from_domain, None);
    assert_eq!(s.from_tag, Some("x1"));
    assert_eq!(s.diversion_user, Some("+12015550199"));
    assert_eq!(s.call_id, Some("tel-1"));
}

#[test]
fn content_length_edge_cases() {
    // Zeek invalid-content-length: non-numeric value.
    let m = parse(b"SIP/2.0 200 OK\r\nContent-Length: xyz\r\n\r\nhello").expect("parse");
    assert!(m.content_length_invalid());
    assert_eq!(m.content_length(), None);
    assert_eq!(m.body(), b"hello");

    // Shorter body than announced.
    let m = parse(b"SIP/2.0 200 OK\r\nl: 10\r\n\r\nhello").expect("parse");
    assert!(m.body_truncated());
    assert!(!m.is_complete());
    assert_eq!(m.body(), b"hello");

    // Two messages in one buffer.
    let two = b"OPTIONS sip:a SIP/2.0\r\nl: 2\r\n\r\nhiSIP/2.0 200 OK\r\nl: 0\r\n\r\n";
    let m = parse(two).expect("first");
    assert_eq!(m.body(), b"hi");
    assert_eq!(m.trailing(), b"SIP/2.0 200 OK\r\nl: 0\r\n\r\n");
    let m2 = parse(&two[m.message_len()..]).expect("second");
    assert_eq!(m2.status(), Some(200));

    // No blank line (truncated datagram): accepted, flagged.
    let m = parse(b"REGISTER sip:1.1.1.1:5060 SIP/2.0\r\nExpires: 3600").expect("parse");
    assert!(!m.headers_complete());
    assert_eq!(m.header("expires"), Some("3600"));
    assert!(m.body().is_empty());

    // Snaplen-cut datagram ending inside a header name (PcapPlusPlus sip_reqs BYE).
    let m =
        parse(b"BYE sip:sipp@10.0.2.20:5060 SIP/2.0\r\nReason: Q.850;cause=16\r\nContent-Lengt")
            .expect("partial last line dropped");
    assert!(!m.headers_complete());
    assert_eq!(m.headers().len(), 1);
    assert_eq!(
        m.summary(&FieldConfig::default()).reason_header,
        Some("Q.850;cause=16")
    );
}

#[test]
fn status_line_variants() {
    let m = parse(b"SIP/2.0 183 \r\n\r\n").expect("empty reason");
    assert_eq!(m.status(), Some(183));
    assert_eq!(m.summary(&FieldConfig::default()).reason, None);
    let m = parse(b"SIP/2.0 487 Request Terminated\r\n\r\n").expect("reason");
    assert_eq!(m.reason_phrase(), Some("Request Terminated"));
    assert_eq!(parse(b"SIP/2.0 99 X\r\n\r\n"), Err(SipError::BadStatusCode));
    assert_eq!(
        parse(b"SIP/2.0 700 X\r\n\r\n"),
        Err(SipError::BadStatusCode)
    );
    assert_eq!(
        parse(b"SIP/2.0 2000 X\r\n\r\n"),
        Err(SipError::BadStatusCode)
    );
    assert_eq!(
        parse(b"SIP/2.0 20a X\r\n\r\n"),
        Err(SipError::BadStatusCode)
    );
    // Fuzzed method case from the nDPI capture is still a token.
    assert_eq!(
        parse(b"REGIStER sip:x SIP/2.0\r\n\r\n")
            .expect("odd case")
            .method(),
        Some("REGIStER")
    );
}

#[test]
fn errors_and_reasons() {
    let cases: &[(&[u8], SipError, &str)] = &[
        (b"", SipError::Empty, "empty"),
        (b"\r\n\r\n", SipError::Empty, "empty"),
        (
            b"\0\0\0\0",
            SipError::BadStartLine {
                kind: StartLineError::MissingSpace,
            },
            "bad_start_line",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            SipError::BadStartLine {
                kind: StartLineError::NotSip,
            },
            "bad_start_line",
        ),
        (
            b"INV<ITE sip:x SIP/2.0\r\n\r\n",
            SipError::BadStartLine {
                kind: StartLineError::BadMethod,
            },
            "bad_start_line",
        ),
        (
            b"INVITE SIP/2.0\r\n\r\n",
            SipError::BadStartLine {
                kind: StartLineError::MissingUri,
            },
            "bad_start_line",
        ),
        (
            b"INVITE sip:x SIP/2.0\r\nVia SIP/2.0/UDP x\r\n\r\n",
            SipError::MissingColon { line: 2 },
            "missing_colon",
        ),
        (
            b"INVITE sip:x SIP/2.0\r\n : x\r\n\r\n",
            SipError::MissingColon { line: 2 },
            "missing_colon",
        ),
        (
            b"INVITE sip:x SIP/2.0\r\nA: b\r\nBad Name: x\r\n\r\n",
            SipError::BadHeaderName { line: 3 },
            "bad_header_name",
        ),
        (
            b"\r\nINVITE sip:\xff SIP/2.0\r\n\r\n",
            SipError::NotUtf8 { offset: 13 },
            "not_utf8",
        ),
        (b"SIP/2.0 1", SipError::BadStatusCode, "bad_status_code"),
    ];
    for (input, err, reason) in cases {
        let got = parse(input).expect_err("must fail");
        assert_eq!(&got, err, "{:?}", String::from_utf8_lossy(input));
        assert_eq!(got.reason(), *reason);
        assert!(!got.to_string().is_empty());
    }
}

#[test]
fn non_utf8_header_value_is_lossy() {
    let m = parse(b"MESSAGE sip:a@b SIP/2.0\r\nFrom: \"J\xfcrgen\" <sip:j@b>;tag=1\r\n\r\n")
        .expect("latin-1 display name accepted");
    let from = m.header("From").expect("from");
    assert!(from.contains('\u{FFFD}'));
    let s = m.summary(&FieldConfig::default());
    assert_eq!(s.from_user, Some("j"));
    assert_eq!(s.from_tag, Some("1"));
}

#[test]
fn multipart_mixed_sdp() {
    let buf = crlf(
        "INVITE sip:+4930123456@gw.example.net;user=phone SIP/2.0
Via: SIP/2.0/SCTP 10.0.0.1;branch=z9hG4bK9
Call-ID: sipi-1@10.0.0.1
Content-Type: multipart/mixed;boundary=\"unique-boundary-1\"
MIME-Version: 1.0
Content-Length: {CL}

--unique-boundary-1
Content-Type: application/sdp

v=0
o=- 1 1 IN IP4 10.0.0.1
s=-
c=IN IP4 10.0.0.9
t=0 0
m=audio 8000 RTP/AVP 8
--unique-boundary-1
Content-Type: application/ISUP;version=itu-t92+
Content-Disposition: signal;handling=required

\x01\x00\x49\x00
--unique-boundary-1--
",
    );
    let m = parse(&buf).expect("parse");
    let s = m.summary(&FieldConfig::default());
    let sdp = s.sdp.expect("sdp part");
    assert_eq!(sdp.media_summary(), "10.0.0.9:8000/PCMA");
}

/// Suricata-verify `sip-sdp` (oracle O2): Content-Length 272 is shorter than the SDP in
/// the datagram; the SDP is still read whole.
#[test]
fn suricata_sdp_oracle_o2() {
    let mut buf = crlf(
        "INVITE sip:97239287044@voip.brujula.net SIP/2.0
Via: SIP/2.0/UDP 192.168.1.2:5060;branch=z9hG4bKnp104984053-44ce4a41192.168.1.2;rport
From: \\\"arik\\\" <sip:816666@voip.brurjula.net>;tag=6433ef9
To: <sip:97239287044@voip.brujula.net>
Call-ID: 105090259-446faf7a@192.168.1.2
CSeq: 1 INVITE
User-Agent: Nero SIPPS IP Phone Version 2.0.51.16
Expires: 120
Accept: application/sdp
Content-Type: application/sdp
Content-Length: 272
Contact: <sip:816666@192.168.1.2>
Max-Forwards: 70
Allow: INVITE, ACK, CANCEL, BYE, REFER, OPTIONS, NOTIFY, INFO

v=0
o=SIPPS 105015165 105015162 IN IP4 192.168.1.2
s=SIP call
i=Session Description Protocol
u=https://www.sdp.proto
e=j.doe@example.com (Jane Doe)
p=+1 617 555-6011 (Jane Doe)
c=IN IP4 192.168.1.2
b=AS:64
t=3034423619 3042462419
r=604800 3600 0 90000
z=2882844526 -1h 2898848070 0
k=prompt
a=sendrecv
m=audio 30000 RTP/AVP 0 8 97 2 3
i=media info
c=IN IP4 192.168.1.2
k=prompt
a=rtpmap:0 pcmu/8000
",
    );
    assert_eq!(buf.len(), 970, "same size as the captured datagram");
    let m = parse(&buf).expect("parse");
    assert_eq!(m.body().len(), 272);
    assert!(!m.trailing().is_empty());
    let s = m.summary(&FieldConfig::default());
    let sdp = s.sdp.expect("sdp");
    assert_eq!(
        sdp.origin,
        Some("SIPPS 105015165 105015162 IN IP4 192.168.1.2")
    );
    assert_eq!(sdp.session_name, Some("SIP call"));
    assert_eq!(sdp.info, Some("Session Description Protocol"));
    assert_eq!(sdp.uri, Some("https://www.sdp.proto"));
    assert_eq!(sdp.email, Some("j.doe@example.com (Jane Doe)"));
    assert_eq!(sdp.phone, Some("+1 617 555-6011 (Jane Doe)"));
    assert_eq!(sdp.connection, Some("192.168.1.2"));
    assert_eq!(sdp.bandwidth, Some("AS:64"));
    assert_eq!(sdp.time, Some("3034423619 3042462419"));
    assert_eq!(sdp.repeat, Some("604800 3600 0 90000"));
    assert_eq!(sdp.direction, Some("sendrecv"));
    assert_eq!(sdp.media.len(), 1);
    let a = &sdp.media[0];
    assert_eq!(a.kind, "audio");
    assert_eq!(a.port, 30000);
    assert_eq!(a.proto, "RTP/AVP");
    assert_eq!(a.formats, ["0", "8", "97", "2", "3"]);
    assert_eq!(a.info, Some("media info"));
    assert_eq!(a.connection, Some("192.168.1.2"));
    assert_eq!(a.rtpmap.len(), 1);
    assert_eq!(a.rtpmap[0].encoding, "pcmu");
    assert_eq!(a.rtpmap[0].clock_rate, 8000);

    // A second message after Content-Length is not read as SDP.
    buf.truncate(m.header_len() + 272);
    buf.extend_from_slice(b"SIP/2.0 100 Trying\r\n\r\n");
    let m = parse(&buf).expect("parse");
    let sdp = m.summary(&FieldConfig::default()).sdp.expect("sdp");
    assert!(sdp.media.is_empty());
    assert_eq!(sdp.session_name, Some("SIP call"));
}
