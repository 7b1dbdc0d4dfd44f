//! The per-message CPU cost of the collector's hot path, on one core: HEPv3 decode into a
//! `Capture` (zero-copy), then SIP parse into a `Record` with all searchable fields.
//! Run: `cargo bench -p argos-server --bench ingest`.

use argos_server::hep_input::capture_from_frame;
use argos_server::metrics::Metrics;
use argos_server::pipeline::{parse, PipelineConfig};
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::borrow::Cow;

const INVITE: &str = "INVITE sip:2002@10.1.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.0.1:5060;branch=z9hG4bK-524287-1---4a4f7d2e0f7c1c8b;rport\r\nMax-Forwards: 70\r\nContact: <sip:1001@10.1.0.1:5060;transport=udp>\r\nTo: <sip:2002@10.1.0.2>\r\nFrom: \"Alice\" <sip:1001@example.com>;tag=8a9f3c21\r\nCall-ID: ZGQ1YzY0ZjE2YjM4NWE0NmU0NzQ1YjQ5ODM5YjY3ZTQ\r\nCSeq: 1 INVITE\r\nAllow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r\nContent-Type: application/sdp\r\nSupported: replaces, norefersub, extended-refer, timer, outbound, path, X-cisco-serviceuri\r\nUser-Agent: Z 5.4.12 v2.10.13.2\r\nAllow-Events: presence, kpml, talk\r\nX-CID: a-leg-1234@10.1.0.1\r\nContent-Length: 239\r\n\r\nv=0\r\no=Z 0 0 IN IP4 10.1.0.1\r\ns=Z\r\nc=IN IP4 10.1.0.1\r\nt=0 0\r\nm=audio 8000 RTP/AVP 3 110 8 0 98 101\r\na=rtpmap:110 speex/8000\r\na=rtpmap:98 iLBC/8000\r\na=fmtp:98 mode=20\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n";
const OK: &str = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.1.0.1:5060;branch=z9hG4bK-524287-1---4a4f7d2e0f7c1c8b;rport=5060\r\nFrom: \"Alice\" <sip:1001@example.com>;tag=8a9f3c21\r\nTo: <sip:2002@10.1.0.2>;tag=as6151ad25\r\nCall-ID: ZGQ1YzY0ZjE2YjM4NWE0NmU0NzQ1YjQ5ODM5YjY3ZTQ\r\nCSeq: 1 INVITE\r\nServer: Asterisk PBX 18.10.0\r\nAllow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH\r\nContact: <sip:2002@10.1.0.2:5060>\r\nContent-Length: 0\r\n\r\n";

fn hep(payload: &str) -> Bytes {
    let pkt = argos_hep::HepPacket {
        src_ip: "10.1.0.1".parse().expect("ip"),
        dst_ip: "10.1.0.2".parse().expect("ip"),
        src_port: 5060,
        dst_port: 5060,
        ts_sec: 1_764_064_800,
        capture_id: 2001,
        auth_key: Some(b"labsecret"),
        payload: Cow::Borrowed(payload.as_bytes()),
        ..Default::default()
    };
    let mut out = Vec::new();
    argos_hep::encode_v3(&pkt, &mut out);
    Bytes::from(out)
}

fn bench(c: &mut Criterion) {
    let metrics = Metrics::default();
    let cfg = PipelineConfig::default();
    let mut g = c.benchmark_group("hep_to_record");
    g.throughput(Throughput::Elements(1));
    for (name, msg) in [("invite_sdp", INVITE), ("200_ok", OK)] {
        let frame = hep(msg);
        g.bench_function(name, |b| {
            b.iter(|| {
                let cap =
                    capture_from_frame(&frame, Some(b"labsecret"), &metrics).expect("valid HEP");
                parse(cap, &cfg, &metrics)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
