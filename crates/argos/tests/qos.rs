//! `GET /api/v1/calls/{id}/qos` against the real binary: RTCP imported from a capture
//! (tshark as the oracle), proto-5 JSON from every producer's variant and proto-34
//! reports sent as HEP, SIP-carried reports, one-way audio, hostile strings.

mod util;

use serde_json::Value;
use std::net::{SocketAddr, UdpSocket};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use util::*;

const CAPTURE: &str = "captures/heplify__rtp_rtcp_sip_ipv4_udp.pcap";
/// The answered call of that capture; its SDP: caller 200.57.7.196:40376, callee
/// 200.57.7.204:8000 (RTCP on +1).
const CAPTURE_CALL: &str = "12013223@200.57.7.195";

/// A HEPv3 packet (IPv4/UDP) built by hand, independent of our encoder.
fn hep(src: &str, dst: &str, ts_us: i64, proto: u8, corr: Option<&str>, payload: &[u8]) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, typ: u16, body: &[u8]) {
        out.extend_from_slice(&0u16.to_be_bytes());
        out.extend_from_slice(&typ.to_be_bytes());
        out.extend_from_slice(&((body.len() + 6) as u16).to_be_bytes());
        out.extend_from_slice(body);
    }
    let src: SocketAddr = src.parse().expect("src");
    let dst: SocketAddr = dst.parse().expect("dst");
    let (SocketAddr::V4(s4), SocketAddr::V4(d4)) = (src, dst) else {
        panic!("IPv4 only")
    };
    let mut b = Vec::new();
    chunk(&mut b, 1, &[2]);
    chunk(&mut b, 2, &[17]);
    chunk(&mut b, 3, &s4.ip().octets());
    chunk(&mut b, 4, &d4.ip().octets());
    chunk(&mut b, 7, &s4.port().to_be_bytes());
    chunk(&mut b, 8, &d4.port().to_be_bytes());
    chunk(&mut b, 9, &((ts_us / 1_000_000) as u32).to_be_bytes());
    chunk(&mut b, 10, &((ts_us % 1_000_000) as u32).to_be_bytes());
    chunk(&mut b, 11, &[proto]);
    chunk(&mut b, 12, &7u32.to_be_bytes());
    if let Some(c) = corr {
        chunk(&mut b, 0x11, c.as_bytes());
    }
    chunk(&mut b, 15, payload);
    let mut out = b"HEP3".to_vec();
    out.extend_from_slice(&((b.len() + 6) as u16).to_be_bytes());
    out.extend_from_slice(&b);
    out
}

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

fn qos_path(call_id: &str) -> String {
    format!("/api/v1/calls/{}/qos", urlencode(call_id))
}

/// Polls the call's QoS until `ready` holds (messages are flushed every 100 ms).
fn wait_qos(s: &Server, call_id: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let path = qos_path(call_id);
    s.wait_for(Duration::from_secs(5), |s| {
        let (st, body) = s.get(&path);
        let v: Value = serde_json::from_slice(&body).ok()?;
        (st == 200 && ready(&v)).then_some(v)
    })
    .unwrap_or_else(|| {
        let (st, body) = s.get(&path);
        panic!(
            "QoS of {call_id} not ready: {st} {}",
            String::from_utf8_lossy(&body)
        )
    })
}

fn streams(q: &Value) -> Vec<Value> {
    q["streams"].as_array().cloned().unwrap_or_default()
}

fn find(q: &[Value], f: impl Fn(&Value) -> bool) -> Option<&Value> {
    q.iter().find(|s| f(s))
}

fn kind(s: &Value) -> &str {
    s["reporter"]["kind"].as_str().unwrap_or("")
}

fn sender() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").expect("bind")
}

/// INVITE (caller SDP) and 200 (callee SDP) of a synthetic call, sent as HEP SIP.
fn send_call(s: &Server, call_id: &str, caller_media: &str, callee_media: &str, t0: i64) {
    let sdp = |addr: &str| {
        let (ip, port) = addr.rsplit_once(':').expect("ip:port");
        format!("v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n")
    };
    let invite_sdp = sdp(caller_media);
    let invite = format!(
        "INVITE sip:2002@10.2.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK1\r\nFrom: <sip:1001@10.1.1.1>;tag=a\r\nTo: <sip:2002@10.2.2.2>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{invite_sdp}",
        invite_sdp.len()
    );
    let ok_sdp = sdp(callee_media);
    let ok = format!(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK1\r\nFrom: <sip:1001@10.1.1.1>;tag=a\r\nTo: <sip:2002@10.2.2.2>;tag=b\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{ok_sdp}",
        ok_sdp.len()
    );
    let u = sender();
    let to = ("127.0.0.1", s.hep_port);
    u.send_to(
        &hep(
            "10.1.1.1:5060",
            "10.2.2.2:5060",
            t0,
            1,
            None,
            invite.as_bytes(),
        ),
        to,
    )
    .expect("send");
    u.send_to(
        &hep(
            "10.2.2.2:5060",
            "10.1.1.1:5060",
            t0 + 50_000,
            1,
            None,
            ok.as_bytes(),
        ),
        to,
    )
    .expect("send");
}

/// tshark's RTCP from `src` to `dst`: per frame, the SR packet count and every report
/// block's jitter, cumulative lost and fraction lost.
struct TsharkRtcp {
    frames: usize,
    last_sr_packets: Option<u64>,
    jitters: Vec<u64>,
    cum_lost: Vec<i64>,
    fractions: Vec<u64>,
}

fn tshark_rtcp(pcap: &std::path::Path, src: &str, dst: &str) -> TsharkRtcp {
    let (sip, sport) = src.rsplit_once(':').expect("src");
    let (dip, dport) = dst.rsplit_once(':').expect("dst");
    let filter = format!(
        "rtcp && ip.src=={sip} && udp.srcport=={sport} && ip.dst=={dip} && udp.dstport=={dport}"
    );
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args([
            "-Y",
            &filter,
            "-T",
            "fields",
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=,",
        ])
        .args(["-e", "rtcp.sender.packetcount", "-e", "rtcp.ssrc.jitter"])
        .args(["-e", "rtcp.ssrc.cum_nr", "-e", "rtcp.ssrc.fraction"])
        .output()
        .expect("tshark");
    let text = String::from_utf8_lossy(&out.stdout);
    let nums =
        |f: &str| -> Vec<i64> { f.split(',').filter_map(|x| x.trim().parse().ok()).collect() };
    let mut t = TsharkRtcp {
        frames: 0,
        last_sr_packets: None,
        jitters: Vec::new(),
        cum_lost: Vec::new(),
        fractions: Vec::new(),
    };
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        t.frames += 1;
        if let Some(p) = f.first().and_then(|x| nums(x).into_iter().max()) {
            t.last_sr_packets = Some(p as u64);
        }
        t.jitters
            .extend(nums(f.get(1).unwrap_or(&"")).into_iter().map(|x| x as u64));
        t.cum_lost.extend(nums(f.get(2).unwrap_or(&"")));
        t.fractions
            .extend(nums(f.get(3).unwrap_or(&"")).into_iter().map(|x| x as u64));
    }
    t
}

/// Imports the capture with `--rtcp` and serves it (retention off: the capture is from 2005).
fn serve_capture() -> Option<(Server, std::path::PathBuf)> {
    let pcap = testdata(CAPTURE)?;
    let data = tempfile::tempdir().expect("tempdir");
    argos(&[
        "import",
        "-q",
        "--rtcp",
        "--data",
        data.path().to_str().expect("utf-8"),
        pcap.to_str().expect("utf-8"),
    ]);
    Some((Server::start_in(data, &["--retention-days", "0"]), pcap))
}

#[test]
fn imported_rtcp_streams_match_tshark() {
    if !have("tshark") {
        return;
    }
    let Some((s, pcap)) = serve_capture() else {
        return;
    };
    let q = s.get_json(&qos_path(CAPTURE_CALL));
    let st = streams(&q);
    assert!(!st.is_empty(), "{q}");
    assert_eq!(q["unreadable_reports"], 0);
    // Both ends report: their SR senders are tx streams, their report blocks rx streams.
    let mut checked = 0;
    for tx in st
        .iter()
        .filter(|x| x["direction"] == "tx" && kind(x) == "rtcp")
    {
        let (src, dst) = (
            tx["src"].as_str().expect("src"),
            tx["dst"].as_str().expect("dst"),
        );
        let t = tshark_rtcp(&pcap, src, dst);
        assert_eq!(tx["reports"], t.frames as u64, "SRs {src} → {dst}");
        assert_eq!(
            tx["packets"].as_u64(),
            t.last_sr_packets,
            "SR packet count {src}"
        );
        let rx: Vec<&Value> = st
            .iter()
            .filter(|x| x["direction"] == "rx" && x["reporter"]["addr"] == src)
            .collect();
        assert!(!rx.is_empty(), "no rx stream from {src}");
        // Jitter in ms at PCMA's 8 kHz clock: exactly tshark's maximum / 8.
        let max_jitter = rx
            .iter()
            .filter_map(|x| x["jitter_ms"]["max"].as_f64())
            .fold(0.0, f64::max);
        let tshark_max = t.jitters.iter().copied().max().unwrap_or(0) as f64 / 8.0;
        assert_eq!(max_jitter, tshark_max, "max jitter from {src}");
        // Every non-zero jitter tshark decodes from this reporter, in order, is a sample
        // (× 8 back to timestamp units); zeros are left out of the comparison because an
        // all-zero placeholder block (SSRC 0) is not a stream.
        let mut ours: Vec<(i64, f64)> = rx
            .iter()
            .flat_map(|x| x["samples"].as_array().cloned().unwrap_or_default())
            .filter_map(|p| Some((p["ts_us"].as_i64()?, p["jitter_ms"].as_f64()?)))
            .collect();
        ours.sort_by_key(|p| p.0);
        let ours: Vec<u64> = ours
            .iter()
            .map(|p| (p.1 * 8.0).round() as u64)
            .filter(|&j| j > 0)
            .collect();
        let theirs: Vec<u64> = t.jitters.iter().copied().filter(|&j| j > 0).collect();
        assert_eq!(ours, theirs, "jitter series from {src}");
        for x in &rx {
            assert_eq!(x["clock_rate"], 8000);
            assert_eq!(x["codec"], "pcma");
            let lost = x["lost"].as_i64().expect("lost");
            assert!(
                t.cum_lost.contains(&lost),
                "cumulative lost {lost} not in {:?}",
                t.cum_lost
            );
            let max_frac = t.fractions.iter().copied().max().unwrap_or(0) as f64 * 100.0 / 256.0;
            assert_eq!(x["loss_pct"]["max"].as_f64(), Some(max_frac));
            assert_eq!(x["mos"]["source"], "estimated_e_model");
            assert!(!x["samples"].as_array().expect("samples").is_empty());
        }
        checked += 1;
    }
    assert_eq!(checked, 2, "one SR sender per side: {q}");
    // The callee (RTCP 200.57.7.204:8001) received the caller's media; the caller's side
    // the callee's: both directions have media, so no one-way audio.
    let callee_rx = find(&st, |x| {
        x["reporter"]["addr"] == "200.57.7.204:8001" && x["direction"] == "rx"
    })
    .expect("callee rx");
    assert_eq!(callee_rx["media_direction"], "caller_to_callee");
    assert_eq!(q["one_way_audio"], serde_json::json!([]));
    let worst = q["summary"]["worst_jitter_ms"]
        .as_f64()
        .expect("worst jitter");
    assert_eq!(
        worst,
        9244.0 / 8.0,
        "X-Lite's RR reports jitter 9244 at its worst"
    );

    // A call without quality reports: empty lists; an unknown one: 404 like /calls/{id}.
    let reg = s.get_json(&qos_path("D3A26FC3974B44ECB5A96E07282903E3@bestel.com"));
    assert_eq!(reg["streams"], serde_json::json!([]));
    assert_eq!(reg["one_way_audio"], serde_json::json!([]));
    let (code, _) = s.get(&qos_path("no-such-call@nowhere"));
    assert_eq!(code, 404);
    // Same login as the rest of the API.
    let anon = Server::client()
        .get(s.url(&qos_path(CAPTURE_CALL)))
        .send()
        .expect("GET");
    assert_eq!(anon.status().as_u16(), 401);
}

/// Proto-5 JSON as captagent, rtpengine, heplify and Asterisk write it (hep.md §6.1), and
/// a proto-34 report, all correlated to the imported call.
#[test]
fn every_producers_reports_become_streams() {
    let Some((s, _)) = serve_capture() else {
        return;
    };
    let t = 1_105_725_500_000_000i64; // inside the 2005 call
    let caller_rtcp = "200.57.7.196:40377";
    let callee_rtcp = "200.57.7.204:8001";
    let u = sender();
    let to = ("127.0.0.1", s.hep_port);
    let send = |src: &str, dst: &str, dt: i64, proto: u8, json: &str| {
        u.send_to(
            &hep(src, dst, t + dt, proto, Some(CAPTURE_CALL), json.as_bytes()),
            to,
        )
        .expect("send");
    };
    // captagent: first block only, report_count 1, signed packets_lost, key order differs.
    send(
        caller_rtcp,
        callee_rtcp,
        0,
        5,
        r#"{"sender_information":{"ntp_timestamp_sec":3314714330,"ntp_timestamp_usec":0,"octets":16000,"rtp_timestamp":8000,"packets":100},"ssrc":286331153,"type":200,"report_count":1,"report_blocks":[{"source_ssrc":572662306,"highest_seq_no":1100,"fraction_lost":13,"ia_jitter":80,"packets_lost":-1,"lsr":0,"dlsr":0}]}"#,
    );
    // rtpengine: RR, packets_lost unsigned 24-bit (16777215 = -1), all blocks.
    send(
        callee_rtcp,
        caller_rtcp,
        1000,
        5,
        r#"{"ssrc":858993459,"type":201,"report_count":1,"report_blocks":[{"source_ssrc":286331153,"highest_seq_no":2200,"fraction_lost":26,"ia_jitter":160,"packets_lost":16777215,"lsr":0,"dlsr":0}]}"#,
    );
    // heplify: zeros for an RR's sender info, report_blocks_xr, voip_metrics with MOS-CQ.
    send(
        callee_rtcp,
        caller_rtcp,
        2000,
        5,
        r#"{"sender_information":{"ntp_timestamp_sec":0,"ntp_timestamp_usec":0,"rtp_timestamp":0,"packets":0,"octets":0},"ssrc":1145324612,"type":207,"report_count":0,"report_blocks":[],"report_blocks_xr":{"type":7,"id":286331153,"fraction_lost":5,"fraction_discard":0,"burst_density":0,"gap_density":0,"burst_duration":0,"gap_duration":0,"round_trip_delay":40,"end_system_delay":30},"voip_metrics":{"ssrc":286331153,"loss_rate":5,"discard_rate":1,"burst_density":10,"gap_density":2,"round_trip_delay":40,"end_system_delay":30,"r_factor":80,"mos_lq":4.0,"mos_cq":3.9},"sdes_ssrc":1145324612}"#,
    );
    // Asterisk: NTP and lsr as strings, sender_information null for an RR.
    send(
        caller_rtcp,
        callee_rtcp,
        3000,
        5,
        r#"{"ssrc":1431655765,"type":201,"report_count":1,"sender_information":null,"report_blocks":[{"source_ssrc":"1717986918","fraction_lost":"0","packets_lost":"3","highest_seq_no":"5000","ia_jitter":"240","lsr":"0","dlsr":"0"}]}"#,
    );
    // FreeSWITCH via HEPIPE: SSRCs as strings, report_count = an event sequence.
    send(
        callee_rtcp,
        caller_rtcp,
        3500,
        5,
        r#"{"ssrc":"2004318071","type":201,"report_count":"7731","report_blocks":[{"source_ssrc":"2576980377","fraction_lost":"51","packets_lost":"12","highest_seq_no":"7000","ia_jitter":"400","lsr":"0","dlsr":"0"}]}"#,
    );
    // Proto 35 carrying an RFC 6035 body (what captagent forwards).
    send(
        "200.57.7.196:5060",
        "10.9.9.9:5060",
        3700,
        35,
        "VQSessionReport: CallTerm\r\nCallID: 12013223@200.57.7.195\r\nLocalAddr: IP=200.57.7.196 PORT=40376 SSRC=0x58F33DEA\r\nRemoteAddr: IP=200.57.7.204 PORT=8000 SSRC=0xD2BD4E3E\r\nLocalMetrics:\r\nPacketLoss: NLR=2.0 JDR=0.0\r\nDelay: RTD=30 ESD=20 IAJ=7\r\nQualityEst: MOSLQ=4.0 MOSCQ=3.8\r\n",
    );
    // Proto 34 (rtpagent / HEPGEN "MOS full report"), numbers and numeric strings mixed.
    send(
        "10.9.9.9:9",
        "10.9.9.9:9",
        4000,
        34,
        r#"{"CORRELATION_ID":"12013223@200.57.7.195","RTP_SIP_CALL_ID":"12013223@200.57.7.195","DELTA":20.1,"JITTER":"12.5","REPORT_TS":1105725504.5,"TL_BYTE":160000,"SKEW":0,"TOTAL_PK":990,"EXPECTED_PK":1000,"PACKET_LOSS":10,"SEQ":0,"MAX_JITTER":31.0,"MAX_DELTA":40,"MAX_SKEW":1,"MEAN_JITTER":11,"MIN_MOS":3.9,"MEAN_MOS":4.1,"MOS":"4.05","RFACTOR":82,"MIN_RFACTOR":80,"MEAN_RFACTOR":81,"SRC_IP":"200.57.7.204","SRC_PORT":8000,"DST_IP":"200.57.7.196","DST_PORT":40376,"SRC_MAC":"00-30-48-7E-5D-C6","DST_MAC":"00-30-48-7E-5D-C7","OUT_ORDER":0,"SSRC_CHG":0,"CODEC_PT":8,"CLOCK":8000,"CODEC_NAME":"PCMA","DIR":1,"REPORT_NAME":"probe-1:5060","PARTY":1,"TYPE":"PERIODIC"}"#,
    );
    let q = wait_qos(&s, CAPTURE_CALL, |q| {
        let st = streams(q);
        st.iter().any(|x| x["ssrc"] == 572662306)
            && st.iter().any(|x| kind(x) == "rtp_report")
            && st.iter().any(|x| kind(x) == "rtcp_xr")
            && st.iter().any(|x| x["ssrc"] == 1717986918)
            && st.iter().any(|x| x["ssrc"] == 2576980377u64)
            && st.iter().any(|x| kind(x) == "vq_rtcpxr")
            && st.iter().any(|x| {
                x["ssrc"] == 286331153 && x["reporter"]["addr"] == callee_rtcp && kind(x) == "rtcp"
            })
    });
    let st = streams(&q);
    // captagent: fraction 13/256, jitter 80 units at 8 kHz = 10 ms, lost -1 (signed).
    let capt = find(&st, |x| x["ssrc"] == 572662306).expect("captagent block");
    assert_eq!(capt["loss_pct"]["max"].as_f64(), Some(13.0 * 100.0 / 256.0));
    assert_eq!(capt["jitter_ms"]["max"].as_f64(), Some(10.0));
    assert_eq!(capt["lost"], -1);
    assert_eq!(capt["media_direction"], "callee_to_caller");
    let capt_tx =
        find(&st, |x| x["ssrc"] == 286331153 && x["direction"] == "tx").expect("captagent SR");
    assert_eq!(capt_tx["packets"], 100);
    // rtpengine: unsigned 16777215 read as -1; 20 ms jitter.
    let rtpe = find(&st, |x| {
        x["ssrc"] == 286331153 && x["direction"] == "rx" && kind(x) == "rtcp"
    })
    .expect("rtpengine block");
    assert_eq!(rtpe["lost"], -1);
    assert_eq!(rtpe["jitter_ms"]["max"].as_f64(), Some(20.0));
    assert_eq!(rtpe["media_direction"], "caller_to_callee");
    // heplify XR: the endpoint's own MOS, labelled as reported.
    let xr = find(&st, |x| kind(x) == "rtcp_xr").expect("xr");
    assert_eq!(xr["mos"]["min"].as_f64(), Some(3.9));
    assert_eq!(xr["mos"]["source"], "reported_mos_cq");
    assert_eq!(xr["mos_lq"].as_f64(), Some(4.0));
    assert_eq!(xr["r_factor"]["max"].as_f64(), Some(80.0));
    assert_eq!(xr["rtt_ms"]["max"].as_f64(), Some(40.0));
    // Asterisk: strings read as numbers; 240 units = 30 ms.
    let ast = find(&st, |x| x["ssrc"] == 1717986918).expect("asterisk block");
    assert_eq!(ast["lost"], 3);
    assert_eq!(ast["jitter_ms"]["max"].as_f64(), Some(30.0));
    // FreeSWITCH: string SSRCs; 51/256 lost; 400 units = 50 ms.
    let fs = find(&st, |x| x["ssrc"] == 2576980377u64).expect("freeswitch block");
    assert_eq!(fs["loss_pct"]["max"].as_f64(), Some(51.0 * 100.0 / 256.0));
    assert_eq!(fs["jitter_ms"]["max"].as_f64(), Some(50.0));
    assert_eq!(fs["lost"], 12);
    // vq-rtcpxr on proto 35: the caller's own MOS-CQ, for the callee's stream.
    let vq = find(&st, |x| kind(x) == "vq_rtcpxr").expect("proto-35 vq-rtcpxr");
    assert_eq!(vq["ssrc"], 0xD2BD4E3Eu64);
    assert_eq!(vq["mos"]["min"].as_f64(), Some(3.8));
    assert_eq!(vq["loss_pct"]["max"].as_f64(), Some(2.0));
    assert_eq!(vq["media_direction"], "callee_to_caller");
    // Proto 34: loss 10 of 1000 expected = 1 %, the reporter's own MOS, its report time.
    let rep = find(&st, |x| kind(x) == "rtp_report").expect("proto 34");
    assert_eq!(rep["reporter"]["addr"], "probe-1:5060");
    assert_eq!(rep["loss_pct"]["max"].as_f64(), Some(1.0));
    assert_eq!(rep["jitter_ms"]["mean"].as_f64(), Some(12.5));
    assert_eq!(rep["jitter_ms"]["max"].as_f64(), Some(31.0));
    assert_eq!(rep["mos"]["mean"].as_f64(), Some(4.05));
    assert_eq!(
        rep["mos"]["min"].as_f64(),
        Some(3.9),
        "MIN_MOS is the worst"
    );
    assert_eq!(rep["mos"]["source"], "reported");
    assert_eq!(rep["packets"], 990);
    assert_eq!(rep["codec"], "PCMA");
    assert_eq!(rep["first_us"], 1_105_725_504_500_000i64);
    assert_eq!(rep["media_direction"], "callee_to_caller");
    assert_eq!(rep["src"], "200.57.7.204:8000");
    // The summary takes the worst of everything.
    assert_eq!(q["summary"]["worst_jitter_ms"].as_f64(), Some(9244.0 / 8.0));
}

/// Media negotiated both ways, yet only the caller's audio is reported.
#[test]
fn one_way_audio_is_flagged_with_its_evidence() {
    let s = Server::start(&[]);
    let t0 = now_us() - 60_000_000;
    send_call(&s, "oneway-1@test", "10.1.1.1:4000", "10.2.2.2:5000", t0);
    let u = sender();
    let to = ("127.0.0.1", s.hep_port);
    // The caller sends (SR: 500 packets) and the callee acknowledges them (RR block,
    // highest seq 500); the callee's SR says it sent nothing, and nobody reports
    // receiving anything from it.
    let caller_sr = r#"{"sender_information":{"ntp_timestamp_sec":1,"ntp_timestamp_usec":2,"rtp_timestamp":3,"packets":500,"octets":80000},"ssrc":1,"type":200,"report_count":0,"report_blocks":[]}"#;
    let callee_rr = r#"{"sender_information":{"ntp_timestamp_sec":1,"ntp_timestamp_usec":2,"rtp_timestamp":3,"packets":0,"octets":0},"ssrc":2,"type":200,"report_count":1,"report_blocks":[{"source_ssrc":1,"highest_seq_no":500,"fraction_lost":0,"ia_jitter":8,"packets_lost":0,"lsr":0,"dlsr":0}]}"#;
    u.send_to(
        &hep(
            "10.1.1.1:4001",
            "10.2.2.2:5001",
            t0 + 5_000_000,
            5,
            Some("oneway-1@test"),
            caller_sr.as_bytes(),
        ),
        to,
    )
    .expect("send");
    u.send_to(
        &hep(
            "10.2.2.2:5001",
            "10.1.1.1:4001",
            t0 + 5_100_000,
            5,
            Some("oneway-1@test"),
            callee_rr.as_bytes(),
        ),
        to,
    )
    .expect("send");
    let q = wait_qos(&s, "oneway-1@test", |q| streams(q).len() >= 3);
    let ow = q["one_way_audio"].as_array().expect("one_way_audio");
    assert_eq!(ow.len(), 1, "{q}");
    assert_eq!(ow[0]["silent_direction"], "callee_to_caller");
    let text = ow[0]["text"].as_str().expect("text");
    assert!(text.contains("caller → callee only"), "{text}");
    let ev: Vec<&str> = ow[0]["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        ev.iter()
            .any(|e| e.contains("10.1.1.1:4001") && e.contains("sent 500 packets")),
        "{ev:?}"
    );
    assert!(
        ev.iter()
            .any(|e| e.contains("10.2.2.2:5001") && e.contains("sent 0 packets")),
        "{ev:?}"
    );

    // Control: with the callee's audio reported too, nothing is flagged.
    send_call(&s, "twoway-1@test", "10.1.1.1:4000", "10.2.2.2:5000", t0);
    let callee_sr = callee_rr.replace("\"packets\":0", "\"packets\":480");
    u.send_to(
        &hep(
            "10.1.1.1:4001",
            "10.2.2.2:5001",
            t0 + 5_000_000,
            5,
            Some("twoway-1@test"),
            caller_sr.as_bytes(),
        ),
        to,
    )
    .expect("send");
    u.send_to(
        &hep(
            "10.2.2.2:5001",
            "10.1.1.1:4001",
            t0 + 5_100_000,
            5,
            Some("twoway-1@test"),
            callee_sr.as_bytes(),
        ),
        to,
    )
    .expect("send");
    let q = wait_qos(&s, "twoway-1@test", |q| streams(q).len() >= 3);
    assert_eq!(q["one_way_audio"], serde_json::json!([]), "{q}");
}

/// PUBLISH vq-rtcpxr (correlated by HEP, as captagent does) and a BYE whose X-RTP-Stat
/// says the UA sent audio but received none.
#[test]
fn sip_carried_reports_become_streams() {
    let s = Server::start(&[]);
    let t0 = now_us() - 60_000_000;
    let cid = "sipqos-1@test";
    send_call(&s, cid, "10.1.1.1:4000", "10.2.2.2:5000", t0);
    let body = "VQSessionReport: CallTerm\r\nCallID: sipqos-1@test\r\nLocalID: <sip:2002@10.2.2.2>\r\nRemoteID: <sip:1001@10.1.1.1>\r\nLocalAddr: IP=10.2.2.2 PORT=5000 SSRC=0x00000002\r\nRemoteAddr: IP=10.1.1.1 PORT=4000 SSRC=0x00000001\r\nLocalMetrics:\r\nTimestamps: START=2026-11-25T10:00:00Z STOP=2026-11-25T10:01:00Z\r\nSessionDesc: PT=8 PD=PCMA SR=8000\r\nPacketLoss: NLR=5.5 JDR=0.5\r\nDelay: RTD=80 ESD=40 IAJ=12\r\nQualityEst: MOSLQ=3.4 MOSCQ=3.2\r\n";
    let publish = format!(
        "PUBLISH sip:collector@10.9.9.9 SIP/2.0\r\nVia: SIP/2.0/UDP 10.2.2.2;branch=z9hG4bKp\r\nFrom: <sip:2002@10.2.2.2>;tag=p\r\nTo: <sip:collector@10.9.9.9>\r\nCall-ID: publish-xyz\r\nCSeq: 1 PUBLISH\r\nEvent: vq-rtcpxr\r\nContent-Type: application/vq-rtcpxr\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let bye = format!(
        "BYE sip:2002@10.2.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK9\r\nFrom: <sip:1001@10.1.1.1>;tag=a\r\nTo: <sip:2002@10.2.2.2>;tag=b\r\nCall-ID: {cid}\r\nCSeq: 2 BYE\r\nX-RTP-Stat: CS=0;PS=1500;ES=1500;OS=240000;SP=0/0;SO=0;QS=-;PR=0;ER=0;OR=0;CR=0;SR=0;QR=-;PL=0,0;BL=0;LS=0;RB=0/0;SB=-/-;EN=PCMA;DE=PCMA;JI=0,3;DL=20,10,30;IP=10.1.1.1:4000,10.2.2.2:5000\r\nContent-Length: 0\r\n\r\n"
    );
    let u = sender();
    let to = ("127.0.0.1", s.hep_port);
    u.send_to(
        &hep(
            "10.2.2.2:5060",
            "10.9.9.9:5060",
            t0 + 30_000_000,
            1,
            Some(cid),
            publish.as_bytes(),
        ),
        to,
    )
    .expect("send");
    u.send_to(
        &hep(
            "10.1.1.1:5060",
            "10.2.2.2:5060",
            t0 + 31_000_000,
            1,
            None,
            bye.as_bytes(),
        ),
        to,
    )
    .expect("send");
    // A retransmission of the BYE: the same report, counted once.
    u.send_to(
        &hep(
            "10.1.1.1:5060",
            "10.2.2.2:5060",
            t0 + 31_500_000,
            1,
            None,
            bye.as_bytes(),
        ),
        to,
    )
    .expect("send");
    let q = wait_qos(&s, cid, |q| {
        let st = streams(q);
        // The PUBLISH and both copies of the BYE.
        q["summary"]["reports"] == 3
            && st.iter().any(|x| kind(x) == "vq_rtcpxr")
            && st.iter().any(|x| kind(x) == "x_rtp_stat")
    });
    let st = streams(&q);
    let vq = find(&st, |x| kind(x) == "vq_rtcpxr").expect("vq");
    assert_eq!(vq["direction"], "rx");
    assert_eq!(vq["media_direction"], "caller_to_callee");
    assert_eq!(vq["loss_pct"]["max"].as_f64(), Some(5.5));
    assert_eq!(vq["jitter_ms"]["max"].as_f64(), Some(12.0));
    assert_eq!(vq["rtt_ms"]["max"].as_f64(), Some(80.0));
    assert_eq!(vq["mos"]["min"].as_f64(), Some(3.2));
    assert_eq!(vq["mos"]["source"], "reported_mos_cq");
    assert_eq!(vq["mos_lq"].as_f64(), Some(3.4));
    assert_eq!(vq["ssrc"], 1);
    assert!(
        vq["raw"].as_str().is_some_and(|r| r.contains("NLR=5.5")),
        "{vq}"
    );
    let xrx =
        find(&st, |x| kind(x) == "x_rtp_stat" && x["direction"] == "rx").expect("x-rtp-stat rx");
    assert_eq!(xrx["packets"], 0);
    assert_eq!(xrx["media_direction"], "callee_to_caller");
    let xtx =
        find(&st, |x| kind(x) == "x_rtp_stat" && x["direction"] == "tx").expect("x-rtp-stat tx");
    assert_eq!(xtx["packets"], 1500);
    assert_eq!(
        xtx["reports"], 1,
        "the retransmitted BYE is the same report"
    );
    // PS=1500 but PR=0: one-way audio, named by its header.
    let ow = q["one_way_audio"].as_array().expect("one_way_audio");
    assert!(
        ow.iter()
            .any(|f| f["silent_direction"] == "callee_to_caller"
                && f["evidence"].as_array().is_some_and(|e| e.iter().any(|l| l
                    .as_str()
                    .is_some_and(
                        |l| l.contains("x_rtp_stat") && l.contains("received 0 packets")
                    )))),
        "{q}"
    );
}

/// Strings from reports come back verbatim as JSON strings (the UI renders them as text:
/// scripts/ui/shots.mjs checks the page).
#[test]
fn hostile_strings_stay_data() {
    let s = Server::start(&[]);
    let t0 = now_us() - 60_000_000;
    let cid = "hostile-1@test";
    send_call(&s, cid, "10.1.1.1:4000", "10.2.2.2:5000", t0);
    let evil = "<img src=x onerror=alert(1)>\"'&";
    let report = serde_json::json!({
        "CORRELATION_ID": cid, "JITTER": 3, "TOTAL_PK": 100, "EXPECTED_PK": 100, "PACKET_LOSS": 0,
        "MOS": 4.2, "CODEC_NAME": evil, "REPORT_NAME": "<script>alert(2)</script>",
        "SRC_IP": "10.1.1.1", "SRC_PORT": 4000, "DST_IP": "</td><b>x", "DST_PORT": "nope"
    })
    .to_string();
    let bye = format!(
        "BYE sip:2002@10.2.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK9\r\nFrom: <sip:1001@10.1.1.1>;tag=a\r\nTo: <sip:2002@10.2.2.2>;tag=b\r\nCall-ID: {cid}\r\nCSeq: 2 BYE\r\nX-RTP-Stat: PS=10;PR=10;EN=<svg onload=alert(3)>;DE=PCMA;JI=1,1;IP=10.1.1.1:4000,10.2.2.2:5000\r\nContent-Length: 0\r\n\r\n"
    );
    let u = sender();
    let to = ("127.0.0.1", s.hep_port);
    u.send_to(
        &hep(
            "10.8.8.8:1",
            "10.8.8.8:2",
            t0 + 1_000_000,
            34,
            Some(cid),
            report.as_bytes(),
        ),
        to,
    )
    .expect("send");
    // Not JSON at all: counted, not fatal.
    u.send_to(
        &hep(
            "10.8.8.8:1",
            "10.8.8.8:2",
            t0 + 2_000_000,
            34,
            Some(cid),
            b"<html>\x00\xff",
        ),
        to,
    )
    .expect("send");
    u.send_to(
        &hep(
            "10.1.1.1:5060",
            "10.2.2.2:5060",
            t0 + 3_000_000,
            1,
            None,
            bye.as_bytes(),
        ),
        to,
    )
    .expect("send");
    let q = wait_qos(&s, cid, |q| {
        q["unreadable_reports"] == 1
            && streams(q).iter().any(|x| kind(x) == "rtp_report")
            && streams(q).iter().any(|x| kind(x) == "x_rtp_stat")
    });
    let st = streams(&q);
    let rep = find(&st, |x| kind(x) == "rtp_report").expect("report");
    assert_eq!(rep["codec"], evil);
    assert_eq!(rep["reporter"]["addr"], "<script>alert(2)</script>");
    assert_eq!(rep["dst"], "</td><b>x");
    let x = find(&st, |x| kind(x) == "x_rtp_stat").expect("x-rtp-stat");
    assert!(
        x["raw"]
            .as_str()
            .is_some_and(|r| r.contains("<svg onload=alert(3)>")),
        "{x}"
    );
}

/// The whole media path against tshark: `argos agent --rtp --rtcp` reads the lab capture
/// (SIPp playing G.711 and echoing it back through Kamailio), analyses the RTP the SDP
/// announced and sends per-stream reports as HEP 34 to a real server; the call's QoS then
/// holds those streams with the packet and loss counts `tshark -z rtp,streams` gives.
#[test]
fn agent_rtp_reports_reach_the_call_qos_with_tsharks_counts() {
    let Some(pcap) = testdata("lab/lab-calls.pcap") else {
        return;
    };
    if !have("tshark") {
        return;
    }
    // tshark's G.711 streams: (src port, dst port, SSRC) → (packets, lost).
    let out = std::process::Command::new("tshark")
        .arg("-r")
        .arg(&pcap)
        .args(["-q", "-z", "rtp,streams"])
        .output()
        .expect("tshark");
    let mut want: Vec<(u16, u16, u64, i64, i64)> = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() > 10 && f[7] == "g711A" {
            let n = |i: usize| f[i].parse::<i64>().expect("number");
            let ssrc = u64::from_str_radix(f[6].trim_start_matches("0x"), 16).expect("SSRC");
            want.push((n(3) as u16, n(5) as u16, ssrc, n(8), n(9)));
        }
    }
    assert!(!want.is_empty(), "tshark finds the G.711 streams");
    let s = Server::start(&["--retention-days", "0"]);
    let st = std::process::Command::new(util::bin())
        .args(["agent", "--rtp", "--rtcp", "-r"])
        .arg(&pcap)
        .args(["--hep", &format!("udp:127.0.0.1:{}", s.hep_port)])
        .args(["--max-rate", "20000", "--json"])
        .output()
        .expect("argos agent");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let sum: Value = serde_json::from_slice(&st.stdout).expect("summary");
    assert!(
        sum["rtp_streams"].as_u64() >= Some(want.len() as u64),
        "{sum}"
    );
    // The call whose SDP announced port 6000 (SIPp's RTP echo UAS).
    let calls = s
        .wait_for(Duration::from_secs(10), |s| {
            // The capture's own time: since the epoch.
            let v = s.get_json("/api/v1/calls?method=INVITE&limit=1000&since=0");
            let c = v["calls"].as_array().cloned().unwrap_or_default();
            (c.len() >= 40).then_some(c)
        })
        .expect("calls stored");
    let mut matched = 0;
    for c in &calls {
        let key = c["call_key"].as_str().unwrap_or("");
        let q = s.get_json(&format!("{}?since=0", qos_path(key)));
        for st in streams(&q).iter().filter(|st| kind(st) == "rtp_report") {
            let port = |a: &Value| {
                a.as_str()
                    .and_then(|a| a.rsplit_once(':'))
                    .and_then(|(_, p)| p.parse::<u16>().ok())
            };
            let (Some(sp), Some(dp)) = (port(&st["src"]), port(&st["dst"])) else {
                continue;
            };
            let ssrc = st["ssrc"].as_u64();
            if let Some(w) = want
                .iter()
                .find(|w| w.0 == sp && w.1 == dp && Some(w.2) == ssrc)
            {
                assert_eq!(st["packets"].as_i64(), Some(w.3), "{key}: {st}");
                assert_eq!(st["lost"].as_i64(), Some(w.4), "{key}: {st}");
                assert!(st["mos"]["mean"].as_f64().is_some_and(|m| m > 4.0), "{st}");
                matched += 1;
            }
        }
    }
    assert_eq!(
        matched,
        want.len(),
        "every tshark G.711 stream shows in its call's QoS"
    );
}
