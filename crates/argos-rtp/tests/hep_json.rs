//! RTCP → HEP proto-5 JSON and back, the producer variants of hep.md §6.1, and MOS.

#![allow(clippy::unwrap_used)] // tests: inputs are known-good

use argos_rtp::{hep_json, mos, rtcp};

fn words(ws: &[u32]) -> Vec<u8> {
    ws.iter().flat_map(|w| w.to_be_bytes()).collect()
}

fn sr_with_xr() -> Vec<u8> {
    let mut v = vec![0x81, 200, 0, 12];
    v.extend(words(&[
        0xAABB_CCDD,
        3_650_797_214,
        0x8000_0000,
        16960,
        106,
        16960,
    ]));
    v.extend(words(&[
        898_343_773,
        0x0AFF_FFFE,
        20881,
        1,
        0xBE9D_8A4A,
        7733,
    ]));
    v.extend([0x81, 202, 0, 2, 0xAA, 0xBB, 0xCC, 0xDD, 1, 0, 0, 0]);
    v.extend([
        0x80, 207, 0, 10, 0xAA, 0xBB, 0xCC, 0xDD, 7, 0, 0, 8, 0, 0, 0, 5,
    ]);
    v.extend([12, 3, 10, 20, 0, 30, 1, 0, 0, 40, 0, 5, 127, 127, 127, 16]);
    v.extend([90, 127, 41, 43, 0xF0, 0, 0, 20, 0, 60, 0, 200]);
    v
}

#[test]
fn writes_heplify_fields_and_reads_them_back() {
    let buf = sr_with_xr();
    let c = rtcp::decode(&buf);
    assert_eq!(c.error, None);
    let v = hep_json::to_value(&c.packets).unwrap();
    assert_eq!(v["type"], 200);
    assert_eq!(v["ssrc"], 0xAABB_CCDDu32);
    assert_eq!(v["report_count"], 1);
    assert_eq!(
        v["sender_information"]["ntp_timestamp_sec"],
        3_650_797_214u32
    );
    assert_eq!(
        v["sender_information"]["ntp_timestamp_usec"],
        0x8000_0000u32
    );
    assert_eq!(v["sender_information"]["packets"], 106);
    assert_eq!(v["report_blocks"][0]["source_ssrc"], 898_343_773);
    assert_eq!(v["report_blocks"][0]["fraction_lost"], 10);
    assert_eq!(v["report_blocks"][0]["packets_lost"], -2);
    assert_eq!(v["report_blocks"][0]["highest_seq_no"], 20881);
    assert_eq!(v["report_blocks"][0]["lsr"], 0xBE9D_8A4Au32);
    assert_eq!(v["report_blocks_xr"]["type"], 7);
    assert_eq!(v["report_blocks_xr"]["id"], 5);
    assert_eq!(v["report_blocks_xr"]["fraction_lost"], 12);
    assert_eq!(v["report_blocks_xr"]["round_trip_delay"], 40);
    assert_eq!(v["voip_metrics"]["mos_cq"], 4.3);
    assert_eq!(v["sdes_ssrc"], 0xAABB_CCDDu32);

    let json = hep_json::to_json(&c.packets).unwrap();
    let r = hep_json::read_report(json.as_bytes()).unwrap();
    assert_eq!(r.packet_type, Some(200));
    assert_eq!(r.ssrc, Some(0xAABB_CCDD));
    let s = r.sender.unwrap();
    assert_eq!(
        (s.ntp_sec, s.ntp_low, s.packets),
        (Some(3_650_797_214), Some(0x8000_0000), Some(106))
    );
    let b = r.blocks[0];
    assert_eq!(b.cumulative_lost, Some(-2));
    assert_eq!(b.fraction_lost, Some(10));
    assert_eq!(
        (b.lsr, b.dlsr, b.jitter),
        (Some(0xBE9D_8A4A), Some(7733), Some(1))
    );
    let x = r.xr.unwrap();
    assert_eq!(
        (x.loss_rate, x.round_trip_delay, x.r_factor),
        (Some(12), Some(40), Some(90))
    );
    assert_eq!((x.mos_lq, x.mos_cq), (Some(4.1), Some(4.3)));
    assert_eq!(r.sdes_ssrc, Some(0xAABB_CCDD));
    assert_eq!(r.mos(8000), Some(4.3));
}

#[test]
fn rr_only_and_nothing_to_report() {
    let rr = [0x80, 201, 0, 1, 0, 0, 0, 7];
    let c = rtcp::decode(&rr);
    let v = hep_json::to_value(&c.packets).unwrap();
    assert_eq!(v["type"], 201);
    assert_eq!(v["sender_information"]["packets"], 0);
    assert_eq!(v["report_blocks"].as_array().map(Vec::len), Some(0));
    let r = hep_json::read_report(v.to_string().as_bytes()).unwrap();
    assert_eq!(r.sender, None);
    assert_eq!(r.xr, None);
    assert_eq!(r.sdes_ssrc, None);
    let bye = [0x81, 203, 0, 1, 0, 0, 0, 7];
    let c = rtcp::decode(&bye);
    assert!(matches!(
        hep_json::to_json(&c.packets),
        Err(hep_json::HepJsonError::NothingToReport)
    ));
}

/// hepgen / Lua `pcap/hep.pcap` frame 8 (hep.md §7): negative `lsr`, out-of-range usec.
#[test]
fn reads_hepgen_sample() {
    let s = br#"{"sender_information":{"ntp_timestamp_sec":3650797214,"packets":106,"ntp_timestamp_usec":13217348104192,"octets":16960,"rtp_timestamp":16960},"ssrc":451916597,"type":200,"report_blocks":[{"source_ssrc":898343773,"highest_seq_no":20881,"fraction_lost":0,"ia_jitter":1,"packets_lost":0,"lsr":-1097006646,"dlsr":7733}],"report_count":0}"#;
    let r = hep_json::read_report(s).unwrap();
    assert_eq!(r.ssrc, Some(451_916_597));
    assert_eq!(r.packet_type, Some(200));
    let snd = r.sender.unwrap();
    assert_eq!(snd.ntp_low, Some(13_217_348_104_192));
    assert_eq!(snd.octets, Some(16960));
    assert_eq!(r.blocks[0].lsr, Some(-1_097_006_646i32 as u32));
    assert_eq!(r.blocks[0].cumulative_lost, Some(0));
}

/// Asterisk res_hep_rtcp: string timestamps and lsr, `sender_information: null` on RR.
#[test]
fn reads_asterisk_variant() {
    let s = br#"{"ssrc":1234567,"type":201,"report_count":1,"sender_information":null,"report_blocks":[{"source_ssrc":7654321,"fraction_lost":26,"packets_lost":12,"highest_seq_no":5000,"ia_jitter":80,"lsr":"3232235777","dlsr":65536}]}"#;
    let r = hep_json::read_report(s).unwrap();
    assert_eq!(r.packet_type, Some(201));
    assert_eq!(r.sender, None);
    let b = r.blocks[0];
    assert_eq!((b.lsr, b.cumulative_lost), (Some(3_232_235_777), Some(12)));
    assert_eq!(b.jitter_ms(8000), Some(10.0));
    let sr = br#"{"ssrc":"99","type":"200","sender_information":{"ntp_timestamp_sec":"1700000000","ntp_timestamp_usec":"250000","rtp_timestamp":8000,"packets":50,"octets":8000},"report_blocks":[]}"#;
    let r = hep_json::read_report(sr).unwrap();
    assert_eq!(r.ssrc, Some(99));
    assert_eq!(r.packet_type, Some(200));
    assert_eq!(r.sender.unwrap().ntp_low, Some(250_000));
}

/// FreeSWITCH (hepipe/paStash): SSRCs as strings; heplify/rtpengine unsigned 24-bit
/// lost; captagent signed lost; missing keys; floats.
#[test]
fn reads_freeswitch_heplify_captagent_variants() {
    let fs = br#"{"ssrc":"0x1A2B3C4D","type":201,"report_count":"17","report_blocks":[{"source_ssrc":"305419896","fraction_lost":"0","packets_lost":"16777215","ia_jitter":"12.0"}]}"#;
    let r = hep_json::read_report(fs).unwrap();
    assert_eq!(r.ssrc, Some(0x1A2B_3C4D));
    let b = r.blocks[0];
    assert_eq!(b.source_ssrc, Some(305_419_896));
    assert_eq!(b.cumulative_lost, Some(-1));
    assert_eq!(b.jitter, Some(12));
    assert_eq!(b.lsr, None);
    let capt = br#"{"sender_information":{"ntp_timestamp_sec":1,"ntp_timestamp_usec":2,"octets":3,"rtp_timestamp":4,"packets":5},"report_blocks":[{"source_ssrc":1,"highest_seq_no":2,"fraction_lost":3,"ia_jitter":4,"packets_lost":-5,"lsr":6,"dlsr":7}],"report_count":1}"#;
    let r = hep_json::read_report(capt).unwrap();
    assert_eq!(r.ssrc, None);
    assert_eq!(r.blocks[0].cumulative_lost, Some(-5));
    assert_eq!(r.sender.unwrap().octets, Some(3));
    assert!(matches!(
        hep_json::read_report(b"[1]"),
        Err(hep_json::HepJsonError::NotAnObject)
    ));
    assert!(matches!(
        hep_json::read_report(b"{"),
        Err(hep_json::HepJsonError::Json(_))
    ));
    assert_eq!(
        hep_json::read_report(b"{}").unwrap(),
        hep_json::RtcpReport::default()
    );
}

#[test]
fn mos_vectors() {
    // heplify-server's X-RTP-Stat vector (qos-metrics.md §3.3a): loss 0 %, jitter 23 ms,
    // delay 34 ms → R 90.95, MOS 4.3616.
    let e = mos::homer_mos(0.0, 23.0, 34.0);
    assert!((e.r_factor - 90.95).abs() < 1e-9);
    assert!((e.mos - 4.3616).abs() < 5e-5, "{}", e.mos);
    // Heavy loss bottoms out at 1.0; no loss, no jitter is the best this model gives.
    assert_eq!(mos::homer_mos(50.0, 0.0, 0.0).mos, 1.0);
    assert!(mos::homer_mos(0.0, 0.0, 0.0).mos > 4.4);
    let b = rtcp::ReportBlock {
        fraction_lost: 26, // 10.16 %
        jitter: 160,       // 20 ms at 8 kHz
        ..Default::default()
    };
    let e = mos::from_report_block(&b, 8000, None);
    assert!((e.jitter_ms - 20.0).abs() < 1e-9);
    assert!((e.loss_percent - 10.15625).abs() < 1e-9);
    assert!(e.mos > 3.0 && e.mos < 4.0, "{}", e.mos);
    assert_eq!(mos::heplify_step(26), 3.5);
    // The HEP MOS chunk prefers the XR MOS-CQ.
    let buf = sr_with_xr();
    let c = rtcp::decode(&buf);
    assert_eq!(mos::hep_mos(&c.packets, 8000), Some(430));
    let rr = [
        0x81, 201, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0,
    ];
    let c = rtcp::decode(&rr);
    assert_eq!(c.error, None);
    assert_eq!(mos::hep_mos(&c.packets, 8000), Some(440));
}

#[test]
fn rtcp_to_hep_for_the_agent() {
    let buf = sr_with_xr();
    let h = hep_json::rtcp_to_hep(&buf, 8000).unwrap();
    assert_eq!(h.ssrc, Some(0xAABB_CCDD));
    assert_eq!(h.mos_x100, Some(430));
    assert_eq!(h.trailing_error, None);
    assert!(h.json.starts_with(r#"{"sender_information":"#));
    // Trailing garbage: the packets before it are still reported.
    let mut junk = buf.clone();
    junk.extend([0x80, 0]);
    let h = hep_json::rtcp_to_hep(&junk, 8000).unwrap();
    assert!(h.trailing_error.is_some());
    assert!(matches!(
        hep_json::rtcp_to_hep(&[1, 2, 3], 8000),
        Err(hep_json::HepJsonError::Rtcp(_))
    ));
}
