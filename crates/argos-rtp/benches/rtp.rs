//! Criterion benches: per-packet stream update (with the DTMF check), the E-model,
//! RTCP decode, RTCP → HEP JSON.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

use std::net::{IpAddr, SocketAddr};

use argos_rtp::dtmf::DtmfTracker;
use argos_rtp::emodel::{self, Codec, EmodelInput};
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
    // The media stage per packet: decode, stream statistics, telephone-event check (one
    // key press of 8 packets every 100 packets, PT 101), then the E-model of the summary.
    let with_events: Vec<Vec<u8>> = (0..1000u16)
        .map(|i| {
            if i % 100 < 8 {
                let mut p = rtp_packet(i, 16_000 * u32::from(i / 100));
                p[1] = 101;
                p.truncate(12);
                let end = if i % 100 >= 5 { 0x80 } else { 0 };
                let duration = (i % 100 + 1) * 160;
                p.extend_from_slice(&[5, end | 10]);
                p.extend_from_slice(&duration.to_be_bytes());
                p
            } else {
                rtp_packet(i, u32::from(i) * 160)
            }
        })
        .collect();
    let mut te_map = PayloadMap::new();
    te_map.insert(101, "telephone-event", 8000);
    let te_map = std::sync::Arc::new(te_map);
    g.bench_function("decode+stream_update+dtmf", |b| {
        b.iter(|| {
            let mut s = StreamStats::new(Some(te_map.clone()));
            let mut dtmf = DtmfTracker::new(8000);
            let mut events = 0u32;
            for (i, p) in with_events.iter().enumerate() {
                if let Ok(pkt) = rtp::decode(black_box(p)) {
                    let t = i as i64 * 20_000 + (i as i64 % 7) * 100;
                    let flags = s.update(&pkt, t);
                    let is_te = flags.has(argos_rtp::stream::PacketFlags::PT_T_EVENT);
                    events += u32::from(dtmf.update(&pkt, is_te, t).is_some());
                }
            }
            black_box((s.summary().drift_ppm, events))
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

    let mut g = c.benchmark_group("mos");
    g.throughput(Throughput::Elements(1));
    let input = EmodelInput {
        codec: Codec::G729A,
        loss_percent: 2.0,
        burst_ratio: 1.3,
        one_way_delay_ms: 180.0,
        jitter_ms: 12.0,
        jitter_buffer_ms: None,
    };
    g.bench_function("emodel", |b| {
        b.iter(|| black_box(emodel::emodel(black_box(&input)).mos))
    });
    g.bench_function("codec_from_name+emodel", |b| {
        b.iter(|| {
            let codec = emodel::codec_from_name(black_box("G729"), 8000);
            black_box(emodel::emodel(&EmodelInput { codec, ..input }).mos)
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
