//! RTCP decoding: hand-built packets of every type, the error cases, and every RTCP
//! datagram of the public captures against tshark's packet types.

#![allow(clippy::unwrap_used)] // tests: inputs are known-good

mod common;

use std::process::Command;

use argos_rtp::rtcp::{self, packet_type, RtcpPacket, SdesItemType, XrBlock};
use argos_rtp::RtcpError;

fn words(ws: &[u32]) -> Vec<u8> {
    ws.iter().flat_map(|w| w.to_be_bytes()).collect()
}

/// SR (2 blocks) + SDES (CNAME) + XR (VoIP metrics + an unknown block) + BYE.
fn compound() -> Vec<u8> {
    let mut v = vec![0x82, 200, 0, 18];
    v.extend(words(&[
        0x1111_1111,
        0xE000_0001,
        0x8000_0000,
        160,
        50,
        8000,
    ]));
    // Cumulative lost −1 (0xFFFFFF) in the first block.
    v.extend(words(&[
        0x2222_2222,
        0x05FF_FFFF,
        0x0001_0010,
        40,
        0x1234_5678,
        65536,
    ]));
    v.extend(words(&[0x3333_3333, 0x0000_0003, 0x0000_0100, 0, 0, 0]));
    v.extend([0x81, 202, 0, 4, 0x11, 0x11, 0x11, 0x11, 1, 6]);
    v.extend(b"a@host");
    v.extend([0, 0, 0, 0]);
    // XR: header, SSRC, BT 7 (9 words), BT 42 (1 word of body).
    v.extend([0x80, 207, 0, 12, 0x11, 0x11, 0x11, 0x11]);
    v.extend([7, 0, 0, 8, 0x22, 0x22, 0x22, 0x22]);
    v.extend([5, 6, 10, 20, 0, 30, 1, 0, 0, 40, 0, 5, 0xF6, 127, 127, 16]);
    v.extend([90, 127, 41, 43, 0xF0, 0, 0, 20, 0, 60, 0, 200]);
    v.extend([42, 9, 0, 1, 1, 2, 3, 4]);
    // BYE with reason "bye".
    v.extend([0x81, 203, 0, 2, 0x11, 0x11, 0x11, 0x11, 3, b'b', b'y', b'e']);
    v
}

#[test]
fn decodes_every_packet_of_a_compound() {
    let buf = compound();
    assert!(rtcp::looks_like_rtcp(&buf));
    let c = rtcp::decode(&buf);
    assert_eq!(c.error, None);
    assert_eq!(c.packets.len(), 4);
    let RtcpPacket::SenderReport(sr) = &c.packets[0] else {
        panic!("{:?}", c.packets[0]);
    };
    assert_eq!(sr.ssrc, 0x1111_1111);
    assert_eq!(sr.info.ntp_sec, 0xE000_0001);
    assert_eq!(sr.info.ntp_middle(), 0x0001_8000);
    assert_eq!((sr.info.packet_count, sr.info.octet_count), (50, 8000));
    let blocks: Vec<_> = sr.reports.iter().collect();
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].fraction_lost, 5);
    assert_eq!(blocks[0].cumulative_lost, -1);
    assert_eq!(blocks[0].highest_seq, 0x0001_0010);
    assert_eq!(
        (blocks[0].jitter, blocks[0].lsr, blocks[0].dlsr),
        (40, 0x1234_5678, 65536)
    );
    assert_eq!(blocks[1].cumulative_lost, 3);

    let RtcpPacket::SourceDescription(sdes) = &c.packets[1] else {
        panic!();
    };
    let chunk = sdes.chunks().next().unwrap();
    assert_eq!(chunk.ssrc, 0x1111_1111);
    assert_eq!(chunk.cname(), Some(&b"a@host"[..]));
    assert_eq!(chunk.items().next().unwrap().kind, SdesItemType::CNAME);

    let RtcpPacket::ExtendedReport(xr) = &c.packets[2] else {
        panic!();
    };
    let blocks: Vec<_> = xr.blocks().collect();
    assert_eq!(blocks.len(), 2);
    let m = xr.voip_metrics().unwrap();
    assert_eq!((m.ssrc, m.loss_rate, m.discard_rate), (0x2222_2222, 5, 6));
    assert_eq!(
        (m.burst_duration, m.gap_duration, m.round_trip_delay),
        (30, 256, 40)
    );
    assert_eq!(m.signal_level, -10);
    assert_eq!((m.r_factor, m.mos_lq, m.mos_cq), (90, 41, 43));
    assert_eq!(m.mos_cq_score(), Some(4.3));
    assert_eq!(m.jb_abs_max, 200);
    assert!(
        matches!(blocks[1], XrBlock::Other { block_type: 42, type_specific: 9, body } if body == [1, 2, 3, 4])
    );

    let RtcpPacket::Goodbye(bye) = &c.packets[3] else {
        panic!();
    };
    assert_eq!(bye.sources().collect::<Vec<_>>(), [0x1111_1111]);
    assert_eq!(bye.reason, Some(&b"bye"[..]));
    assert_eq!(rtcp::packets(&buf).filter(Result::is_ok).count(), 4);
}

#[test]
fn app_feedback_unknown_and_padding() {
    let mut v = vec![0x80, 201, 0, 1, 0, 0, 0, 9]; // empty RR
    v.extend([
        0x83, 204, 0, 3, 0, 0, 0, 9, b'q', b'o', b's', b'!', 1, 2, 3, 4,
    ]);
    v.extend([0x81, 205, 0, 3, 0, 0, 0, 9, 0, 0, 0, 7, 0, 5, 0, 0]); // generic NACK
    v.extend([0x84, 206, 0, 2, 0, 0, 0, 9, 0, 0, 0, 7]); // PLI
    v.extend([0x80, 210, 0, 1, 1, 2, 3, 4]); // TOKEN (unknown here)
    v.extend([0xA0, 201, 0, 2, 0, 0, 0, 9, 0, 0, 0, 4]); // RR with 4 padding octets
    let c = rtcp::decode(&v);
    assert_eq!(c.error, None, "{:?}", c.packets);
    let types: Vec<u8> = c.packets.iter().map(RtcpPacket::packet_type).collect();
    assert_eq!(types, [201, 204, 205, 206, 210, 201]);
    assert!(
        matches!(c.packets[1], RtcpPacket::App(a) if a.subtype == 3 && &a.name == b"qos!" && a.data == [1, 2, 3, 4])
    );
    assert!(
        matches!(c.packets[2], RtcpPacket::Feedback(f) if f.fmt == 1 && f.media_ssrc == 7 && f.fci.len() == 4)
    );
    assert!(
        matches!(c.packets[3], RtcpPacket::Feedback(f) if f.packet_type == packet_type::PSFB && f.fmt == 4)
    );
    assert!(matches!(c.packets[4], RtcpPacket::Unknown { body, .. } if body == [1, 2, 3, 4]));
    assert!(
        matches!(c.packets[5], RtcpPacket::ReceiverReport(r) if r.reports.is_empty() && r.extension.is_empty())
    );
}

#[test]
fn errors_are_precise_and_keep_earlier_packets() {
    let good = compound();
    // A truncated second packet: the SR is kept.
    let mut v = good[..good.len() - 4].to_vec();
    let c = rtcp::decode(&v);
    assert_eq!(c.packets.len(), 3);
    assert!(
        matches!(
            c.error,
            Some(RtcpError::LengthOverrun {
                offset: 148,
                declared: 12,
                available: 8
            })
        ),
        "{:?}",
        c.error
    );
    v.truncate(2);
    assert!(matches!(
        rtcp::decode(&v).error,
        Some(RtcpError::TooShort { .. })
    ));
    assert!(matches!(
        rtcp::decode(&[]).error,
        Some(RtcpError::TooShort { .. })
    ));
    assert_eq!(
        rtcp::decode(&[0x40, 201, 0, 1, 0, 0, 0, 0]).error,
        Some(RtcpError::BadVersion {
            offset: 0,
            version: 1
        })
    );
    // RC 2 in a packet with room for one block.
    let mut rr = vec![0x82, 201, 0, 7, 0, 0, 0, 1];
    rr.extend([0; 24]);
    assert!(matches!(
        rtcp::decode(&rr).error,
        Some(RtcpError::CountOverrun { count: 2, .. })
    ));
    // Padding count larger than the body.
    assert!(matches!(
        rtcp::decode(&[0xA0, 201, 0, 1, 0, 0, 0, 9]).error,
        Some(RtcpError::BadPadding { count: 9, .. })
    ));
    // SDES item running past the end.
    assert!(matches!(
        rtcp::decode(&[0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, b'a', b'b']).error,
        Some(RtcpError::SdesTruncated { chunk: 0, .. })
    ));
    // XR VoIP metrics block shorter than 36 bytes.
    assert!(matches!(
        rtcp::decode(&[0x80, 207, 0, 3, 0, 0, 0, 1, 7, 0, 0, 1, 0, 0, 0, 2]).error,
        Some(RtcpError::XrBlockTruncated { block_type: 7, .. })
    ));
    // BYE reason longer than the packet.
    assert!(matches!(
        rtcp::decode(&[0x81, 203, 0, 2, 0, 0, 0, 1, 9, b'x', 0, 0]).error,
        Some(RtcpError::ByeReasonTruncated { .. })
    ));
    assert_eq!(
        RtcpError::BadVersion {
            offset: 0,
            version: 1
        }
        .reason(),
        "bad_version"
    );
}

#[test]
fn detection() {
    assert!(rtcp::looks_like_rtcp(&[0x80, 201, 0, 1, 0, 0, 0, 0]));
    // Length field not matching the datagram.
    assert!(!rtcp::looks_like_rtcp(&[0x80, 201, 0, 1, 0, 0, 0, 0, 0]));
    assert!(!rtcp::looks_like_rtcp(&[0x80, 201, 0, 2, 0, 0, 0, 0]));
    // RTP PCMA.
    let rtp = [0x80, 8, 0, 1, 0, 0, 0, 160, 0, 0, 0, 1, 0xD5];
    assert!(!rtcp::looks_like_rtcp(&rtp));
    assert!(!rtcp::is_muxed_rtcp(&rtp));
    assert!(rtcp::is_muxed_rtcp(&[0x80, 200, 0, 6, 0, 0, 0, 1]));
    assert!(rtcp::is_muxed_rtcp(&[0x80, 223, 0, 1, 0, 0, 0, 1]));
    // RTP PT 96 with the marker bit (0xE0) is not in 200..=223.
    assert!(!rtcp::is_muxed_rtcp(&[0x80, 0xE0, 0, 1, 0, 0, 0, 1]));
}

#[test]
fn round_trip_time_rfc3550_example() {
    let b = rtcp::ReportBlock {
        lsr: 0xB705_2000,
        dlsr: 0x0005_4000,
        ..Default::default()
    };
    assert_eq!(b.round_trip_s(0xB710_8000), Some(6.125));
    assert_eq!(rtcp::ReportBlock::default().round_trip_s(5), None);
}

/// Every datagram of the captures with RTCP that tshark calls RTCP decodes into the
/// same packet types (a datagram with trailing junk keeps its packets and reports the
/// error; tshark shows the same packets).
#[test]
fn captures_match_tshark_packet_types() {
    if !common::have_tshark() {
        return;
    }
    let mut compared = 0;
    let mut with_error = 0;
    for name in [
        "heplify__rtp_rtcp_sip_ipv4_udp.pcap",
        "ndpi__rtcp_multiple_pkts_in_the_same_datagram.pcap",
    ] {
        let Some(path) = common::capture(name) else {
            return;
        };
        let out = Command::new("tshark")
            .arg("-r")
            .arg(&path)
            .args([
                "-o",
                "rtcp.heuristic_rtcp:TRUE",
                "-Y",
                "rtcp",
                "-T",
                "fields",
                "-e",
                "frame.number",
                "-e",
                "rtcp.pt",
            ])
            .output()
            .expect("tshark runs");
        let want: std::collections::BTreeMap<u64, Vec<u8>> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let (f, pts) = l.split_once('\t')?;
                Some((
                    f.parse().ok()?,
                    pts.split(',').filter_map(|p| p.parse().ok()).collect(),
                ))
            })
            .collect();
        assert!(!want.is_empty(), "{name}: tshark found no RTCP");
        for d in common::udp_datagrams(&path) {
            let Some(types) = want.get(&d.frame) else {
                continue;
            };
            let c = rtcp::decode(&d.payload);
            if let Some(e) = c.error {
                println!("{name} frame {}: {e}", d.frame);
                with_error += 1;
            } else {
                assert!(
                    rtcp::looks_like_rtcp(&d.payload),
                    "{name} frame {}",
                    d.frame
                );
            }
            let ours: Vec<u8> = c.packets.iter().map(RtcpPacket::packet_type).collect();
            assert_eq!(&ours, types, "{name} frame {}", d.frame);
            compared += 1;
        }
    }
    println!("{compared} RTCP datagrams match tshark ({with_error} with trailing bytes)");
    assert!(compared > 0 && with_error * 10 < compared);
}

/// The report blocks and sender info of every RTCP datagram, through the HEP JSON and
/// back, equal what tshark decodes.
#[test]
fn capture_report_blocks_through_json_match_tshark() {
    use argos_rtp::hep_json;
    if !common::have_tshark() {
        return;
    }
    let Some(path) = common::capture("heplify__rtp_rtcp_sip_ipv4_udp.pcap") else {
        return;
    };
    let fields = [
        "rtcp.ssrc.fraction",
        "rtcp.ssrc.cum_nr",
        "rtcp.ssrc.high_seq",
        "rtcp.ssrc.jitter",
        "rtcp.ssrc.lsr",
        "rtcp.ssrc.dlsr",
        "rtcp.timestamp.ntp.msw",
        "rtcp.timestamp.ntp.lsw",
        "rtcp.sender.packetcount",
        "rtcp.sender.octetcount",
    ];
    let mut args = vec![
        "-Y",
        "rtcp",
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-e",
        "frame.number",
    ];
    for f in &fields {
        args.extend(["-e", f]);
    }
    let out = Command::new("tshark")
        .arg("-r")
        .arg(&path)
        .args(&args)
        .output()
        .unwrap();
    let rows: std::collections::BTreeMap<u64, Vec<Vec<i64>>> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let frame = cols.next()?.parse().ok()?;
            let vals = cols
                .map(|c| c.split(',').filter_map(|v| v.parse::<i64>().ok()).collect())
                .collect();
            Some((frame, vals))
        })
        .collect();
    let mut compared = 0;
    for d in common::udp_datagrams(&path) {
        let Some(want) = rows.get(&d.frame) else {
            continue;
        };
        let hep = hep_json::rtcp_to_hep(&d.payload, 8000).unwrap();
        let r = hep_json::read_report(hep.json.as_bytes()).unwrap();
        let col = |f: fn(&hep_json::BlockSummary) -> Option<i64>| -> Vec<i64> {
            r.blocks.iter().filter_map(f).collect()
        };
        assert_eq!(
            col(|b| b.fraction_lost.map(i64::from)),
            want[0],
            "frame {}",
            d.frame
        );
        assert_eq!(
            col(|b| b.cumulative_lost.map(i64::from)),
            want[1],
            "frame {}",
            d.frame
        );
        // tshark's high_seq is the 16-bit sequence number (cycles are a separate field).
        assert_eq!(
            col(|b| b.highest_seq.map(|s| i64::from(s & 0xFFFF))),
            want[2],
            "frame {}",
            d.frame
        );
        assert_eq!(
            col(|b| b.jitter.map(i64::from)),
            want[3],
            "frame {}",
            d.frame
        );
        assert_eq!(col(|b| b.lsr.map(i64::from)), want[4], "frame {}", d.frame);
        assert_eq!(col(|b| b.dlsr.map(i64::from)), want[5], "frame {}", d.frame);
        if let Some(s) = r.sender {
            assert_eq!(
                s.ntp_sec.map(|v| v as i64),
                want[6].first().copied(),
                "frame {}",
                d.frame
            );
            assert_eq!(
                s.ntp_low.map(|v| v as i64),
                want[7].first().copied(),
                "frame {}",
                d.frame
            );
            assert_eq!(
                s.packets.map(i64::from),
                want[8].first().copied(),
                "frame {}",
                d.frame
            );
            assert_eq!(
                s.octets.map(i64::from),
                want[9].first().copied(),
                "frame {}",
                d.frame
            );
        }
        compared += 1;
    }
    println!("{compared} RTCP datagrams: blocks and sender info match tshark");
    assert!(compared > 20);
}
