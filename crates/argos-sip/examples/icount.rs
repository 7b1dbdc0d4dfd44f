//! Instruction-count harness for `valgrind --tool=callgrind`:
//! `cargo build --release -p argos-sip --example icount` then
//! `valgrind --tool=callgrind target/release/examples/icount invite summary 10000`
//! and subtract the run with 0 iterations (per-message cost = difference / iterations).

use std::hint::black_box;

use argos_sip::{parse, FieldConfig};

const INVITE: &str = "INVITE sip:+4930123456@carrier.example.net;user=phone SIP/2.0
Via: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bK-524287-1---5f3a9c;rport
Max-Forwards: 70
Contact: <sip:4989555@10.1.2.3:5060;transport=udp>
To: <sip:+4930123456@carrier.example.net;user=phone>
From: \"Alice Example\" <sip:4989555@pbx.example.com>;tag=as6c1f3e2b
Call-ID: 3c26700b4e5c-b2b-1@10.1.2.3
X-CID: 3c26700b4e5c@192.0.2.10
CSeq: 102 INVITE
P-Asserted-Identity: \"Alice\" <sip:+494989555@pbx.example.com;user=phone>
User-Agent: Asterisk PBX 18.9.0
Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY
Supported: replaces, timer
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

const OK_200: &str = "SIP/2.0 200 OK
Via: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bK-524287-1---5f3a9c;rport=5060;received=10.1.2.3
Record-Route: <sip:192.0.2.30;lr>
From: \"Alice Example\" <sip:4989555@pbx.example.com>;tag=as6c1f3e2b
To: <sip:+4930123456@carrier.example.net;user=phone>;tag=8321234356
Call-ID: 3c26700b4e5c-b2b-1@10.1.2.3
CSeq: 102 INVITE
Contact: <sip:+4930123456@192.0.2.30:5060>
Server: CarrierSBC/4.2
Content-Length: 0

";

fn crlf(text: &str) -> Vec<u8> {
    let wire = text.replace('\n', "\r\n");
    let body_len = wire.find("\r\n\r\n").map_or(0, |i| wire.len() - i - 4);
    wire.replace("{CL}", &body_len.to_string()).into_bytes()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = match args.get(1).map(String::as_str) {
        Some("ok") => OK_200,
        _ => INVITE,
    };
    let mode = args.get(2).map_or("summary", String::as_str);
    let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let buf = crlf(text);
    let cfg = FieldConfig::default();
    let mut acc = 0usize;
    for _ in 0..n {
        let Ok(m) = parse(black_box(&buf)) else {
            continue;
        };
        if mode == "sdp" {
            acc += argos_sip::sdp::parse(m.body()).map_or(0, |s| s.media.len());
        } else if mode == "summary" {
            let s = m.summary(&cfg);
            acc += s.call_id.map_or(0, str::len) + s.sdp.map_or(0, |sdp| sdp.media.len());
        } else {
            acc += m.headers().len();
        }
    }
    println!("{acc}");
}
