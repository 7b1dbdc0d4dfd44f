//! RTP header decoding and Wireshark-style stream statistics on synthetic streams.

#![allow(clippy::unwrap_used)] // tests: inputs are known-good

use argos_rtp::payload::{self, PayloadMap};
use argos_rtp::rtp::{self, RtpError};
use argos_rtp::stream::{PacketFlags, StreamStats};

fn packet(pt: u8, marker: bool, seq: u16, ts: u32) -> Vec<u8> {
    let mut p = vec![0x80, pt | if marker { 0x80 } else { 0 }];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&0xCAFE_F00Du32.to_be_bytes());
    p.extend_from_slice(&[0xD5; 160]);
    p
}

#[test]
fn header_fields_csrc_extension_padding() {
    let mut p = vec![0xB2, 0x80 | 96, 0x12, 0x34, 0, 0, 0x10, 0, 0, 0, 0, 7];
    p.extend([0, 0, 0, 1, 0, 0, 0, 2]); // 2 CSRCs
    p.extend([0xBE, 0xDE, 0, 1, 1, 2, 3, 4]); // one-word extension
    p.extend([9, 9, 9, 0, 0, 3]); // payload 9 9 9 + 3 padding
    let r = rtp::decode(&p).unwrap();
    assert!(r.marker);
    assert_eq!(
        (r.payload_type, r.sequence, r.timestamp, r.ssrc),
        (96, 0x1234, 0x1000, 7)
    );
    assert_eq!(r.csrcs().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(r.extension, Some((0xBEDE, &[1u8, 2, 3, 4][..])));
    assert_eq!(r.payload, [9, 9, 9]);
    assert_eq!(r.padding, 3);
    // Same header, padding ignored.
    let h = rtp::decode_header(&p).unwrap();
    assert_eq!(h.payload.len(), 6);

    assert_eq!(
        rtp::decode(&p[..11]),
        Err(RtpError::TooShort { need: 12, have: 11 })
    );
    assert_eq!(
        rtp::decode(&p[..15]),
        Err(RtpError::TooShort { need: 20, have: 15 })
    );
    assert_eq!(
        rtp::decode(&p[..22]),
        Err(RtpError::TooShort { need: 24, have: 22 })
    );
    let mut bad = p.clone();
    *bad.last_mut().unwrap() = 200;
    assert!(matches!(
        rtp::decode(&bad),
        Err(RtpError::BadPadding { count: 200, .. })
    ));
    *bad.last_mut().unwrap() = 0;
    assert!(matches!(
        rtp::decode(&bad),
        Err(RtpError::BadPadding { count: 0, .. })
    ));
    bad[0] = 0x40;
    assert_eq!(rtp::decode(&bad), Err(RtpError::BadVersion { version: 1 }));
}

fn feed(s: &mut StreamStats, pkts: &[(u8, bool, u16, u32, i64)]) -> Vec<PacketFlags> {
    pkts.iter()
        .map(|&(pt, m, seq, ts, t)| s.update(&rtp::decode(&packet(pt, m, seq, ts)).unwrap(), t))
        .collect()
}

#[test]
fn regular_stream_has_no_jitter_and_zero_loss() {
    let mut s = StreamStats::new(None);
    let pkts: Vec<_> = (0..50u16)
        .map(|i| {
            (
                8,
                i == 0,
                65530u16.wrapping_add(i),
                u32::from(i) * 160,
                i64::from(i) * 20_000,
            )
        })
        .collect();
    feed(&mut s, &pkts);
    let sum = s.summary();
    assert_eq!(sum.packets, 50);
    assert_eq!(sum.expected, 50, "sequence wrap counted as a cycle");
    assert_eq!(sum.lost, 0);
    assert_eq!((sum.max_delta_ms, sum.min_delta_ms), (20.0, 20.0));
    assert_eq!((sum.max_jitter_ms, sum.mean_jitter_ms), (0.0, 0.0));
    assert_eq!(sum.sequence_errors, 0);
    assert!(!sum.problem);
    assert_eq!(sum.payload_names, "g711A");
    assert_eq!(sum.clock_rate, 8000);
    assert_eq!(sum.markers, 1);
}

#[test]
fn loss_duplicates_reorder_and_jitter() {
    let mut s = StreamStats::new(None);
    let flags = feed(
        &mut s,
        &[
            (0, false, 100, 1000, 0),
            (0, false, 101, 1160, 20_000),
            (0, false, 103, 1480, 60_000), // 102 lost (for now)
            (0, false, 103, 1480, 60_500), // duplicate
            (0, false, 104, 1640, 84_000), // 3.5 ms late
            (0, false, 102, 1320, 85_000), // reordered: older timestamp, still after the first
            (0, false, 105, 1800, 100_000),
            (0, false, 106, 500, 120_000), // timestamp before the first packet's
        ],
    );
    assert!(flags[0].has(PacketFlags::FIRST));
    assert!(flags[2].has(PacketFlags::WRONG_SEQ));
    assert!(flags[3].has(PacketFlags::WRONG_SEQ));
    assert!(flags[5].has(PacketFlags::WRONG_SEQ) && !flags[5].has(PacketFlags::WRONG_TIMESTAMP));
    assert!(flags[7].has(PacketFlags::WRONG_TIMESTAMP));
    let sum = s.summary();
    assert_eq!(sum.packets, 8);
    assert_eq!(sum.expected, 7);
    assert_eq!(
        sum.lost, -1,
        "the duplicate outnumbers the loss; stop seq is the last received"
    );
    assert_eq!(sum.sequence_errors, 3);
    assert_eq!(sum.out_of_order, 2);
    assert_eq!(sum.wrong_timestamps, 1);
    assert!(sum.problem);
    // |D| per packet in ms: expected = previous arrival + timestamp step (tshark 4.0:
    // the reordered packet counts, against the timestamp of the packet before it).
    let j = [
        0.0,
        0.0,
        0.5,
        3.5,
        (85.0 - (84.0 - 40.0)),
        (100.0 - (85.0 + 60.0)),
        0.0f64,
    ]
    .iter()
    .take(6)
    .fold(0.0, |j, d: &f64| (15.0 * j + d.abs()) / 16.0);
    assert!(
        (sum.max_jitter_ms - j).abs() < 1e-9,
        "{} vs {j}",
        sum.max_jitter_ms
    );
    assert!(
        (sum.last_jitter_ms - j).abs() < 1e-9,
        "the last packet is out of sequence"
    );
    assert_eq!(sum.max_delta_ms, 40.0);
}

#[test]
fn comfort_noise_marker_and_telephone_event_are_not_regular() {
    let mut map = PayloadMap::new();
    map.insert(101, "telephone-event", 8000);
    let mut s = StreamStats::new(Some(std::sync::Arc::new(map)));
    let flags = feed(
        &mut s,
        &[
            (0, false, 1, 0, 0),
            (13, false, 2, 160, 20_000),      // CN
            (0, false, 3, 8000, 1_000_000),   // follows CN: its 980 ms gap is not a max delta
            (101, true, 4, 8160, 1_020_000),  // event start, marker
            (101, false, 5, 8160, 1_040_000), // event continues: same timestamp, clock 0
            (0, false, 6, 8480, 1_060_000),
        ],
    );
    assert!(flags[1].has(PacketFlags::PT_CN));
    assert!(flags[2].has(PacketFlags::FOLLOW_PT_CN));
    assert!(flags[3].has(PacketFlags::MARKER) && flags[3].has(PacketFlags::PT_T_EVENT));
    assert!(flags[4].has(PacketFlags::PT_T_EVENT));
    let sum = s.summary();
    assert_eq!(sum.max_delta_ms, 20.0);
    assert_eq!(sum.payload_types, [0, 13, 101]);
    assert_eq!(sum.payload_names, "g711U, CN, telephone-event");
    assert_eq!(sum.lost, 0);
}

#[test]
fn clock_tables() {
    assert_eq!(payload::static_clock_rate(9), 8000, "G.722 RTP clock");
    assert_eq!(payload::static_clock_rate(16), 11025);
    assert_eq!(payload::dynamic_clock_rate("OPUS"), 48000);
    assert_eq!(payload::dynamic_clock_rate("EVRCWB0"), 16000);
    assert_eq!(payload::dynamic_clock_rate("AMR-WB"), 16000);
    assert_eq!(payload::dynamic_clock_rate("AMR"), 8000);
    assert_eq!(payload::dynamic_clock_rate("speex"), 0);
    let mut map = PayloadMap::new();
    map.insert(97, "speex", 16000);
    map.insert(98, "iLBC", 0);
    assert_eq!(payload::packet_clock(97, Some(&map)).rate, 16000);
    assert_eq!(payload::packet_clock(98, Some(&map)).rate, 0);
    assert_eq!(payload::packet_clock(99, None).rate, 0);
    assert_eq!(payload::payload_name(99, None), "RTPType-99");
    // 11025 Hz: Wireshark divides by the integer 11 (not 11.025).
    let mut s = StreamStats::new(None);
    feed(&mut s, &[(16, false, 1, 0, 0), (16, false, 2, 220, 20_000)]);
    let expected = (20.0f64 - 20.0).abs() / 16.0; // 220 / 11 = 20 ms exactly
    assert!((s.summary().max_jitter_ms - expected).abs() < 1e-12);
}

#[test]
fn rfc3550_reception_statistics() {
    use argos_rtp::rfc3550::ReceptionStats;
    let mut r = ReceptionStats::new();
    // Probation: the first packet is not counted, the second validates the source.
    assert!(!r.update(65534, 0, Some(0)));
    assert!(r.update(65535, 160, Some(160)));
    for (i, seq) in [0u16, 1, 3, 4, 4].iter().enumerate() {
        let n = i as u32 + 2;
        let ts = [320, 480, 800, 960, 960][i];
        assert!(r.update(*seq, ts, Some(i64::from(n) * 160)));
    }
    let rep = r.report(true);
    assert_eq!(rep.extended_max_seq, 65536 + 4, "one cycle");
    assert_eq!(rep.expected, 6); // 65535 ..= 4 (wrapped)
    assert_eq!(rep.received, 6); // 65535 0 1 3 4 4(dup)
    assert_eq!(rep.cumulative_lost, 0, "the duplicate hides the loss of 2");
    assert_eq!(rep.fraction_lost, 0);
    // A new interval with one loss in four.
    for (seq, ts) in [(5u16, 1120u32), (6, 1280), (8, 1600)] {
        r.update(seq, ts, None);
    }
    let rep = r.report(true);
    assert_eq!(rep.expected, 10);
    assert_eq!(rep.cumulative_lost, 1);
    assert_eq!(
        rep.fraction_lost, 64,
        "1 of 4 expected in the interval = 64/256"
    );
    // A jump beyond MAX_DROPOUT is ignored once, then taken as a restart.
    assert!(!r.update(20_000, 0, None));
    assert!(r.update(20_001, 160, None));
    assert_eq!(r.report(false).expected, 1);
}

#[test]
fn rfc3550_jitter_in_timestamp_units() {
    use argos_rtp::rfc3550::ReceptionStats;
    let mut r = ReceptionStats::new();
    // Every other packet 80 units (10 ms at 8 kHz) late: |D| = 80 each time after the
    // first pair; J converges towards 80.
    for i in 0..400u32 {
        let late = if i % 2 == 1 { 80 } else { 0 };
        r.update(i as u16, i * 160, Some(i64::from(i * 160 + late)));
    }
    let j = r.report(false).jitter;
    assert!((75..=80).contains(&j), "{j}");
}

/// A 10-minute G.711 stream whose sender clock runs 100 ppm fast (RTP time advances
/// 1.0001 s per second of arrival), with ±2 ms of deterministic arrival jitter: the
/// least-squares drift is 100 ppm within 1.
#[test]
fn drift_of_a_fast_sender_clock() {
    let mut s = StreamStats::new(None);
    let mut lcg = 12345u32;
    for i in 0..30_000u32 {
        lcg = lcg.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let noise_us = i64::from(lcg >> 16) % 4001 - 2000;
        let arrival_us = (f64::from(i) * 20_000.0 / 1.0001) as i64 + noise_us + 1_000_000;
        let p = packet(8, i == 0, i as u16, i * 160);
        s.update(&rtp::decode(&p).unwrap(), arrival_us);
    }
    let sum = s.summary();
    assert!((sum.drift_ppm - 100.0).abs() < 1.0, "{}", sum.drift_ppm);
    assert_eq!(sum.drift_ppm, s.drift_ppm());

    // A slow sender (−250 ppm), no jitter: exact.
    let mut s = StreamStats::new(None);
    for i in 0..3000u32 {
        let arrival_us = (f64::from(i) * 20_000.0 / (1.0 - 250e-6)).round() as i64;
        let p = packet(0, false, i as u16, i * 160);
        s.update(&rtp::decode(&p).unwrap(), arrival_us);
    }
    assert!((s.drift_ppm() + 250.0).abs() < 0.5, "{}", s.drift_ppm());
    // Too few packets: 0.
    let mut one = StreamStats::new(None);
    one.update(&rtp::decode(&packet(0, false, 1, 0)).unwrap(), 0);
    assert_eq!(one.summary().drift_ppm, 0.0);
}

/// Loss runs and G.107 BurstR: mean run length × (1 − loss rate).
#[test]
fn burst_ratio_from_loss_runs() {
    // 1000 sequence numbers; drop 10 single packets → random-like: mean run 1, p = 1 %,
    // BurstR = 1·0.99 → clamped to 1.
    let feed_without = |dropped: &dyn Fn(u16) -> bool| {
        let mut s = StreamStats::new(None);
        for i in 0..1000u16 {
            if dropped(i) {
                continue;
            }
            let p = packet(8, false, i, u32::from(i) * 160);
            s.update(&rtp::decode(&p).unwrap(), i64::from(i) * 20_000);
        }
        s.summary()
    };
    let random = feed_without(&|i| i % 100 == 50);
    assert_eq!(random.loss_runs, 10);
    assert_eq!(random.lost, 10);
    assert_eq!(random.burst_ratio, 1.0);
    // 10 runs of 5: mean run 5, p = 50/1000 → BurstR = 5·0.95 = 4.75.
    let bursty = feed_without(&|i| i % 100 >= 50 && i % 100 < 55);
    assert_eq!((bursty.loss_runs, bursty.lost), (10, 50));
    assert!(
        (bursty.burst_ratio - 4.75).abs() < 1e-9,
        "{}",
        bursty.burst_ratio
    );
    // No loss.
    let clean = feed_without(&|_| false);
    assert_eq!((clean.loss_runs, clean.burst_ratio), (0, 1.0));
    // Across the sequence wrap: 65534, [65535, 0, 1 lost], 2 → one run of 3.
    let mut s = StreamStats::new(None);
    for (k, seq) in [65533u16, 65534, 2, 3].into_iter().enumerate() {
        let p = packet(8, false, seq, k as u32 * 160);
        s.update(&rtp::decode(&p).unwrap(), k as i64 * 20_000);
    }
    assert_eq!(s.summary().loss_runs, 1);
    // A late packet filling a hole shortens the run.
    let mut s = StreamStats::new(None);
    for (k, seq) in [1u16, 2, 6, 4, 7].into_iter().enumerate() {
        let p = packet(8, false, seq, u32::from(seq) * 160);
        s.update(&rtp::decode(&p).unwrap(), k as i64 * 20_000);
    }
    let sum = s.summary();
    assert_eq!(sum.loss_runs, 1);
    // Runs hold 2 lost (3 and 5) over 5 received: mean 2 · (1 − 2/7) = 1.43.
    assert!(
        (sum.burst_ratio - 2.0 * 5.0 / 7.0).abs() < 1e-9,
        "{}",
        sum.burst_ratio
    );
}

/// The stream's codec (skipping comfort noise and telephone events) and its E-model.
#[test]
fn stream_codec_and_emodel() {
    use argos_rtp::emodel::Codec;
    let mut map = PayloadMap::new();
    map.insert(96, "opus", 48000);
    map.insert(101, "telephone-event", 8000);
    let map = std::sync::Arc::new(map);
    let mut s = StreamStats::new(Some(map.clone()));
    assert_eq!(s.codec(), Codec::Unknown);
    // G.729 with a CN packet and a telephone event last: still G.729A.
    feed(
        &mut s,
        &[
            (18, true, 1, 0, 0),
            (18, false, 2, 160, 20_000),
            (13, false, 3, 320, 40_000),
            (101, false, 4, 480, 60_000),
        ],
    );
    assert_eq!(s.codec(), Codec::G729A);
    let mut opus = StreamStats::new(Some(map));
    feed(&mut opus, &[(96, false, 1, 0, 0)]);
    assert_eq!(opus.codec(), Codec::Opus);

    // G.711, 100 packets with 2 lost in one run, no jitter: BurstR 2·0.98 = 1.96,
    // Ie,eff = 95·2/(2/1.96 + 25.1) = 7.2740, one-way delay 150 ms → Id 3.6.
    let mut s = StreamStats::new(None);
    for i in (0..100u16).filter(|i| !(50..52).contains(i)) {
        let p = packet(8, false, i, u32::from(i) * 160);
        s.update(&rtp::decode(&p).unwrap(), i64::from(i) * 20_000);
    }
    let input = s.emodel_input(150.0);
    assert_eq!(input.codec, Codec::G711);
    assert!((input.loss_percent - 2.0).abs() < 1e-9);
    assert!((input.burst_ratio - 1.96).abs() < 1e-9);
    let r = s.emodel(150.0);
    assert!((r.ie_eff - 7.2740).abs() < 1e-4, "{r:?}");
    assert!((r.r_factor - (93.2 - 3.6 - 7.2740)).abs() < 1e-4, "{r:?}");
}
