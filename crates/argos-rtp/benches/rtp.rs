//! Criterion benches: per-packet stream update, RTCP decode, RTCP → HEP JSON.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

use std::net::{IpAddr, SocketAddr};

use argos_rtp::media_map::{MediaMap, MediaMapLimits};
use argos_rtp::payload::PayloadMap;
use argos_rtp::stream::{StreamKey, StreamStats, StreamTable};
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
            let mut s = StreamStats::new(Some(std::sync::Arc::new(map)));
            for (i, p) in packets.iter().enumerate() {
                if let Ok(pkt) = rtp::decode(black_box(p)) {
                    s.update(&pkt, i as i64 * 20_000 + (i as i64 % 7) * 100);
                }
            }
            black_box(s.summary().max_jitter_ms)
        })
    });
    // The agent's path: 1000 calls in the map, one table of 1000 streams.
    let mut map = MediaMap::new(MediaMapLimits::default());
    let sip: IpAddr = [10, 0, 0, 1].into();
    for i in 0..1000u16 {
        let sdp = format!("v=0\r\nc=IN IP4 10.0.1.1\r\nm=audio {} RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n", 10_000 + 2 * i);
        map.add_sdp(&format!("call-{i}"), sdp.as_bytes(), sip, 0);
    }
    let far = SocketAddr::new([10, 0, 2, 2].into(), 40_000);
    // Steady state: the 1000 streams exist after the first iteration.
    let mut table = StreamTable::new(10_000);
    let mut round = 0i64;
    g.bench_function("media_map_lookup+table_update", |b| {
        b.iter(|| {
            round += 1;
            for (i, p) in packets.iter().enumerate() {
                let dst = SocketAddr::new([10, 0, 1, 1].into(), 10_000 + 2 * (i as u16 % 1000));
                let Ok(pkt) = rtp::decode(black_box(p)) else {
                    continue;
                };
                let entry = map.lookup_entry(far, dst);
                let key = StreamKey {
                    src: far,
                    dst,
                    ssrc: pkt.ssrc,
                };
                table.update(key, &pkt, round * 20_000_000 + i as i64 * 20_000, || {
                    entry.map(|e| e.payloads.clone())
                });
            }
            black_box(table.len())
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
