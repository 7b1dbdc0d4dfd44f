//! Shared test messages. Written with `\n`; [`crlf`] turns them into wire format and fills
//! `{CL}` with the body length.
#![allow(dead_code)]

/// Replace `\n` by `\r\n` and `{CL}` by the length of what follows the blank line.
pub fn crlf(text: &str) -> Vec<u8> {
    let wire = text.replace('\n', "\r\n");
    let body_len = wire.find("\r\n\r\n").map_or(0, |i| wire.len() - i - 4);
    wire.replace("{CL}", &body_len.to_string()).into_bytes()
}

pub const INVITE: &str = "INVITE sip:+4930123456@carrier.example.net;user=phone SIP/2.0
Via: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bK-524287-1---5f3a9c;rport
Via: SIP/2.0/TCP 192.0.2.10:5061;branch=z9hG4bKnashds8;received=192.0.2.10
Max-Forwards: 69
Contact: <sip:4989555@10.1.2.3:5060;transport=udp>;expires=300
To: <sip:+4930123456@carrier.example.net;user=phone>
From: \"Alice Example\" <sip:4989555@pbx.example.com>;tag=as6c1f3e2b
Call-ID: 3c26700b4e5c-b2b-1@10.1.2.3
X-CID: 3c26700b4e5c@192.0.2.10_b2b-1
CSeq: 102 INVITE
P-Asserted-Identity: \"Alice\" <sip:+494989555@pbx.example.com;user=phone>, <tel:+494989555>
Remote-Party-ID: <sip:999@pbx.example.com>;party=calling;screen=yes
Diversion: <sip:+4989111@pbx.example.com>;reason=unconditional;counter=1
Proxy-Authorization: Digest username=\"pbx-trunk\", realm=\"carrier.example.net\", nonce=\"ab,cd\", uri=\"sip:+4930123456@carrier.example.net\", response=\"6629fae49393a05397450978507c4ef1\"
User-Agent: Asterisk PBX 18.9.0
Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY
Supported: replaces, timer
Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2
Content-Type: application/sdp
Content-Length: {CL}

v=0
o=- 1616406357 1616406357 IN IP4 10.1.2.3
s=Asterisk
c=IN IP4 10.1.2.3
t=0 0
m=audio 17962 RTP/AVP 8 0 18 101
a=rtpmap:8 PCMA/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=sendrecv
";

pub const OK_200: &str = "SIP/2.0 200 OK
Via: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bK-524287-1---5f3a9c;rport=5060;received=10.1.2.3
Via: SIP/2.0/TCP 192.0.2.10:5061;branch=z9hG4bKnashds8;received=192.0.2.10
Record-Route: <sip:[2001:db8:1::10];lr>, <sip:proxy.example.net;lr>
From: \"Alice Example\" <sip:4989555@pbx.example.com>;tag=as6c1f3e2b
To: <sip:+4930123456@carrier.example.net;user=phone>;tag=8321234356
Call-ID: 3c26700b4e5c-b2b-1@10.1.2.3
CSeq: 102 INVITE
Contact: <sip:+4930123456@[2001:db8::1]:5062;transport=tcp>
Server: CarrierSBC/4.2
Content-Type: application/sdp
Content-Length: {CL}

v=0
o=sbc 2890844527 2890844527 IN IP6 2001:db8::1
s=-
c=IN IP6 2001:db8::1
t=0 0
m=audio 40000 RTP/AVP 8 101
a=rtpmap:101 telephone-event/8000
a=sendrecv
";

pub const REGISTER: &str = "REGISTER sip:registrar.biloxi.example.com SIP/2.0
Via: SIP/2.0/TLS bobspc.biloxi.example.com:5061;branch=z9hG4bKnashds7
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>
From: Bob <sip:bob@biloxi.example.com>;tag=456248
Call-ID: 843817637684230@998sdasdh09
CSeq: 1826 REGISTER
Contact: <sips:bob@192.0.2.4:5061>;expires=7200
Authorization: Digest username=\"bob\", realm=\"biloxi.example.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:registrar.biloxi.example.com\", response=\"245f23415f11432b3434341c022\"
User-Agent: Linphone/5.0
Content-Length: 0

";

/// Suricata-verify `sip-compact-form` text (as captured: note the literal `\"`).
pub const COMPACT: &str = "INVITE sip:97239287044@voip.brujula.net SIP/2.0
v: SIP/2.0/UDP 192.168.1.2:5060;branch=z9hG4bKnp104984053-44ce4a41192.168.1.2;rport
f: \\\"arik\\\" <sip:816666@voip.brurjula.net>;tag=6433ef9
t: <sip:97239287044@voip.brujula.net>
Call-ID: 105090259-446faf7a@192.168.1.2
CSeq: 1 INVITE
User-Agent: Nero SIPPS IP Phone Version 2.0.51.16
Expires: 120
Accept: application/sdp
c: application/sdp
l: {CL}
Contact: <sip:816666@192.168.1.2>
Max-Forwards: 70
Allow: INVITE, ACK, CANCEL, BYE, REFER, OPTIONS, NOTIFY, INFO

v=0
o=SIPPS 105015165 105015162 IN IP4 192.168.1.2
s=SIP call
c=IN IP4 192.168.1.2
t=3034423619 3042462419
m=audio 30000 RTP/AVP 0 8 97 2 3
a=rtpmap:0 pcmu/8000
";
