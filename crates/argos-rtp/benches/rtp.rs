//! Criterion benches: per-packet stream update, RTCP decode, RTCP → HEP JSON.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

use argos_rtp::payload::PayloadMap;
use argos_rtp::stream::StreamStats;
use argos_rtp::{hep_json, rtcp, rtp};

fn rtp_packet(seq: u16, ts: u32) -> Vec<u8> {
    let mut p = vec![0x80, 8];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    p.extend_from_slice(&[0xD5; 160]);
    p
}

/// SR with two report blocks + SDES CNAME + XR VoIP metrics.
fn compound() -> Vec<u8> {
    let mut v = vec![0x82, 200, 0, 18];
    for w in [1u32, 0xE000_0000, 0x8000_0000, 160, 50, 8000] {
        v.extend_from_slice(&w.to_be_bytes());
    }
    for s in [2u32, 3] {
        for w in [s, 0x0500_0003, 0x0001_0010, 40, 0x1234_5678, 65536] {
            v.extend_from_slice(&w.to_be_bytes());
        }
    }
    v.extend_from_slice(&[
        0x81, 202, 0, 3, 0, 0, 0, 1, 1, 6, b'a', b'@', b'h', b'o', b's', b't', 0, 0, 0, 0,
    ]);
    v.extend_from_slice(&[0x80, 207, 0, 10, 0, 0, 0, 1, 7, 0, 0, 8, 0, 0, 0, 2]);
    v.extend_from_slice(&[5, 0, 10, 20, 0, 30, 1, 0, 0, 40, 0, 5, 127, 127, 127, 16]);
    v.extend_from_slice(&[90, 127, 41, 43, 0xF0, 0, 0, 20, 0, 60, 0, 200]);
    v
}

fn benches(c: &mut Criterion) {
    let packets: Vec<Vec<u8>> = (0..1000u16)
        .map(|i| rtp_packet(i, u32::from(i) * 160))
        .collect();
    let mut g = c.benchmark_group("rtp");
    g.throughput(Throughput::Elements(packets.len() as u64));
    g.bench_function("decode+stream_update", |b| {
        b.iter(|| {
            let mut map = PayloadMap::new();
            map.insert(101, "telephone-event", 8000);
            let mut s = StreamStats::new(Some(map));
            for (i, p) in packets.iter().enumerate() {
                if let Ok(pkt) = rtp::decode(black_box(p)) {
                    s.update(&pkt, i as i64 * 20_000 + (i as i64 % 7) * 100);
                }
            }
            black_box(s.summary().max_jitter_ms)
        })
    });
    g.finish();

    let buf = compound();
    let mut g = c.benchmark_group("rtcp");
    g.throughput(Throughput::Elements(1));
    g.bench_function("decode_compound", |b| {
        b.iter(|| {
            let c = rtcp::decode(black_box(&buf));
            black_box(c.packets.len())
        })
    });
    g.bench_function("decode+to_json", |b| {
        b.iter(|| {
            let c = rtcp::decode(black_box(&buf));
            black_box(hep_json::to_json(&c.packets).map(|s| s.len()).unwrap_or(0))
        })
    });
    g.finish();
}

criterion_group!(rtp_benches, benches);
criterion_main!(rtp_benches);
