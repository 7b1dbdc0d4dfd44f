//! `cargo bench -p argos-net -- --warm-up-time 1 --measurement-time 3`

use argos_net::{build_frame, decode_packet, CaptureReader, FrameProto, LinkType, PcapWriter};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use std::net::SocketAddr;

const INVITE: &[u8] = b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\nTo: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\nCSeq: 314159 INVITE\r\n\
Contact: <sip:alice@pc33.atlanta.example.com>\r\nContent-Type: application/sdp\r\n\
Content-Length: 0\r\n\r\n";

fn endpoints() -> (SocketAddr, SocketAddr) {
    (([192, 0, 2, 1], 5060).into(), ([192, 0, 2, 2], 5060).into())
}

fn bench(c: &mut Criterion) {
    let (a, b) = endpoints();
    let mut frame = Vec::new();
    build_frame(a, b, FrameProto::Udp, INVITE, &mut frame);

    let mut g = c.benchmark_group("decode_packet");
    g.throughput(Throughput::Elements(1));
    g.bench_function("eth_ipv4_udp_sip", |bch| {
        bch.iter(|| decode_packet(LinkType::ETHERNET, black_box(&frame)))
    });
    g.finish();

    // ~10k frames of ~500 bytes in an in-memory pcap.
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET).expect("vec write");
    for i in 0..10_000i64 {
        w.write_frame(1_700_000_000_000_000 + i * 20_000, &frame)
            .expect("vec write");
    }
    let file = w.into_inner().expect("vec write");
    let mut g = c.benchmark_group("pcap_read");
    g.throughput(Throughput::Bytes(file.len() as u64));
    g.bench_function("read_10k_frames", |bch| {
        bch.iter(|| {
            let mut r = CaptureReader::new(black_box(&file[..])).expect("valid pcap");
            let mut n = 0usize;
            while let Some(Ok(f)) = r.next_frame() {
                n += f.data.len();
            }
            n
        })
    });
    g.bench_function("read_and_decode_10k_frames", |bch| {
        bch.iter(|| {
            let mut r = CaptureReader::new(black_box(&file[..])).expect("valid pcap");
            let mut n = 0usize;
            while let Some(Ok(f)) = r.next_frame() {
                if let Ok(p) = decode_packet(f.link_type, f.data) {
                    n += p.payload.len();
                }
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
