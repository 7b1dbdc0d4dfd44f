//! Decode throughput of a typical HEPv3 packet carrying an ~800-byte SIP INVITE.

use std::time::Instant;

use argos_hep::{decode, encode_v3, HepPacket, HepStreamDecoder, ProtoType};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const INVITE: &str = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@pc33.atlanta.example.com>\r\n\
User-Agent: Argos-Bench/1.0\r\n\
Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO\r\n\
Supported: replaces, timer\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 251\r\n\
\r\n\
v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\n\
s=-\r\n\
c=IN IP4 192.0.2.101\r\n\
t=0 0\r\n\
m=audio 49172 RTP/AVP 0 8 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n";

fn packet() -> Vec<u8> {
    let pkt = HepPacket {
        src_ip: "192.0.2.101"
            .parse()
            .unwrap_or(std::net::Ipv4Addr::LOCALHOST.into()),
        dst_ip: "192.0.2.5"
            .parse()
            .unwrap_or(std::net::Ipv4Addr::LOCALHOST.into()),
        src_port: 5060,
        dst_port: 5060,
        ts_sec: 1_700_000_000,
        ts_usec: 123_456,
        proto_type: ProtoType::SIP,
        capture_id: 2001,
        auth_key: Some(b"labsecret"),
        correlation_id: Some(b"a84b4c76e66710@pc33.atlanta.example.com"),
        node_name: Some(b"kamailio-1"),
        payload: INVITE.as_bytes().into(),
        ..Default::default()
    };
    let mut wire = Vec::new();
    encode_v3(&pkt, &mut wire);
    wire
}

fn bench(c: &mut Criterion) {
    let wire = packet();
    println!(
        "HEPv3 packet: {} bytes, SIP payload {} bytes",
        wire.len(),
        INVITE.len()
    );

    // A plain timing loop so the figure is printed as messages per second.
    let n = 2_000_000u32;
    let t = Instant::now();
    let mut total = 0usize;
    for _ in 0..n {
        if let Ok(p) = decode(std::hint::black_box(&wire)) {
            total += p.payload.len();
        }
    }
    let secs = t.elapsed().as_secs_f64();
    std::hint::black_box(total);
    println!(
        "decode: {:.2} M msgs/s ({:.1} ns/msg)",
        f64::from(n) / secs / 1e6,
        secs * 1e9 / f64::from(n)
    );

    let mut g = c.benchmark_group("hep");
    g.throughput(Throughput::Elements(1));
    g.bench_function("decode_v3_invite", |b| {
        b.iter(|| decode(std::hint::black_box(&wire)).map(|p| p.payload.len()))
    });
    g.bench_function("encode_v3_invite", |b| {
        let pkt = decode(&wire).ok();
        let mut out = Vec::with_capacity(2048);
        b.iter(|| {
            out.clear();
            if let Some(p) = &pkt {
                encode_v3(p, &mut out);
            }
            out.len()
        })
    });
    let stream: Vec<u8> = wire.iter().copied().cycle().take(wire.len() * 64).collect();
    g.throughput(Throughput::Elements(64));
    g.bench_function("stream_64_frames_4k_reads", |b| {
        b.iter(|| {
            let mut dec = HepStreamDecoder::new();
            let mut frames = 0;
            for read in stream.chunks(4096) {
                dec.push(read);
                while let Some(Ok(_f)) = dec.next_frame() {
                    frames += 1;
                }
            }
            frames
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
