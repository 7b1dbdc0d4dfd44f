//! The model on hand-made records: tolerance, MOS labelling, one-way audio, bounds.

use super::*;
use argos_model::{Capture, MessageFields, PayloadKind, Record, StoredMessage, Transport};
use bytes::Bytes;

fn rec(ts_us: i64, src: &str, dst: &str, kind: PayloadKind, payload: &str) -> StoredMessage {
    let capture = Capture::new(
        ts_us,
        src.parse().expect("src"),
        dst.parse().expect("dst"),
        Transport::Udp,
        kind,
        Bytes::from(payload.to_owned()),
    );
    let mut fields = MessageFields::default();
    if kind == PayloadKind::SIP {
        if let Ok(m) = argos_sip::parse(payload.as_bytes()) {
            fields = argos_sip::fields::message_fields(&m.summary(&Default::default()));
        }
    }
    StoredMessage {
        id: ts_us as u64,
        record: Record { capture, fields },
    }
}

/// INVITE from 10.1.1.1 (audio at :4000) and its 200 from 10.2.2.2 (audio at :5000).
fn call() -> Vec<StoredMessage> {
    let sdp = |ip: &str, port: u16| {
        format!("v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0\r\n")
    };
    let msg = |start: &str, body: String| {
        format!("{start}\r\nVia: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}", body.len())
    };
    vec![
        rec(
            1_000_000,
            "10.1.1.1:5060",
            "10.2.2.2:5060",
            PayloadKind::SIP,
            &msg("INVITE sip:b@y SIP/2.0", sdp("10.1.1.1", 4000)),
        ),
        rec(
            1_100_000,
            "10.2.2.2:5060",
            "10.1.1.1:5060",
            PayloadKind::SIP,
            &msg("SIP/2.0 200 OK", sdp("10.2.2.2", 5000)),
        ),
    ]
}

#[test]
fn sdp_sides_give_directions_and_clock() {
    let media = media::CallMedia::from_messages(&call());
    assert!(media.both_sides_audio());
    let callee_rtcp = "10.2.2.2:5001".parse().expect("addr");
    assert_eq!(
        media.direction_into(callee_rtcp),
        Some(MediaDirection::CallerToCallee)
    );
    assert_eq!(media.clock_rate_at(Some(callee_rtcp)), Some(8000));
    assert_eq!(media.codec.as_deref(), Some("PCMU"));
}

#[test]
fn rtp_reports_tolerate_strings_and_missing_keys() {
    let mut msgs = call();
    msgs.push(rec(2_000_000, "10.9.9.9:9", "10.9.9.9:9", PayloadKind::MOS_FULL, r#"{"JITTER":"7","TOTAL_PK":"90","PACKET_LOSS":"10","MOS":"nope","SRC_IP":"10.2.2.2","SRC_PORT":"5000"}"#));
    msgs.push(rec(
        3_000_000,
        "10.9.9.9:9",
        "10.9.9.9:9",
        PayloadKind::MOS_FULL,
        "{}",
    ));
    msgs.push(rec(
        4_000_000,
        "10.9.9.9:9",
        "10.9.9.9:9",
        PayloadKind::MOS_FULL,
        "[1,2]",
    ));
    msgs.push(rec(
        5_000_000,
        "10.9.9.9:9",
        "10.9.9.9:9",
        PayloadKind::RTCP_JSON,
        "{bad",
    ));
    let q = assemble(&msgs);
    assert_eq!(q.unreadable_reports, 2, "an array and bad JSON");
    assert_eq!(q.summary.reports, 2);
    let s = q.streams.first().expect("stream");
    assert_eq!(s.packets, Some(90));
    // No EXPECTED_PK: lost ÷ (received + lost).
    assert_eq!(s.loss_pct.max, Some(10.0));
    assert_eq!(s.jitter_ms.max, Some(7.0));
    assert_eq!(s.media_direction, Some(MediaDirection::CalleeToCaller));
    // MOS "nope" is no MOS: the estimate stands in, labelled as such.
    assert_eq!(s.mos.source, Some(MosSource::EstimatedEModel));
}

#[test]
fn reported_mos_is_never_mixed_with_estimates() {
    let mut msgs = call();
    let rr = |frac: u32| {
        format!(
            r#"{{"ssrc":2,"type":201,"report_blocks":[{{"source_ssrc":1,"fraction_lost":{frac},"highest_seq_no":9,"ia_jitter":0}}],"voip_metrics":{{"ssrc":1,"mos_cq":3.0}}}}"#
        )
    };
    msgs.push(rec(
        2_000_000,
        "10.2.2.2:5001",
        "10.1.1.1:4001",
        PayloadKind::RTCP_JSON,
        &rr(0),
    ));
    let q = assemble(&msgs);
    let xr = q
        .streams
        .iter()
        .find(|s| s.reporter.kind == ReportKind::RtcpXr)
        .expect("xr");
    assert_eq!(xr.mos.source, Some(MosSource::ReportedMosCq));
    assert_eq!(xr.mos.min, Some(3.0));
    let rr = q
        .streams
        .iter()
        .find(|s| s.reporter.kind == ReportKind::Rtcp)
        .expect("rr");
    assert_eq!(rr.mos.source, Some(MosSource::EstimatedEModel));
    // G.107 for PCMU without loss, jitter or delay: R 93.2 → MOS 4.41, shown beside it.
    let g107 = rr.mos_g107.min.expect("g107");
    assert!(
        (g107 - argos_rtp::mos::mos_from_r(93.2)).abs() < 1e-9,
        "{g107}"
    );
    assert_eq!(q.summary.worst_mos, Some(3.0));
}

#[test]
fn one_way_audio_needs_both_sides_offered() {
    let sr = |packets: u32| {
        format!(
            r#"{{"sender_information":{{"ntp_timestamp_sec":1,"packets":{packets}}},"ssrc":7,"type":200}}"#
        )
    };
    // Only the caller's SR: the callee direction shows nothing → one-way.
    let mut msgs = call();
    msgs.push(rec(
        2_000_000,
        "10.1.1.1:4001",
        "10.2.2.2:5001",
        PayloadKind::RTCP_JSON,
        &sr(100),
    ));
    let q = assemble(&msgs);
    assert_eq!(q.one_way_audio.len(), 1);
    assert_eq!(
        q.one_way_audio[0].silent_direction,
        Some(MediaDirection::CalleeToCaller)
    );
    // Without SDP there is no offer/answer to hold it against: nothing flagged.
    let q = assemble(&msgs[2..]);
    assert!(q.one_way_audio.is_empty());
    // Both sides send: nothing flagged.
    msgs.push(rec(
        2_100_000,
        "10.2.2.2:5001",
        "10.1.1.1:4001",
        PayloadKind::RTCP_JSON,
        &sr(90),
    ));
    assert!(assemble(&msgs).one_way_audio.is_empty());
}

#[test]
fn empty_and_hostile_inputs_do_not_panic() {
    assert!(assemble(&[]).streams.is_empty());
    let mut msgs = call();
    for (i, p) in [
        "",
        "null",
        "{\"report_blocks\":[null,1,\"x\"]}",
        "{\"REPORT_TS\":1e300,\"JITTER\":-5}",
        "\u{0}\u{ffff}",
    ]
    .iter()
    .enumerate()
    {
        msgs.push(rec(
            2_000_000 + i as i64,
            "10.1.1.1:4001",
            "10.2.2.2:5001",
            PayloadKind::RTCP_JSON,
            p,
        ));
        msgs.push(rec(
            2_000_000 + i as i64,
            "10.1.1.1:4001",
            "10.2.2.2:5001",
            PayloadKind::MOS_FULL,
            p,
        ));
        msgs.push(rec(
            2_000_000 + i as i64,
            "10.1.1.1:4001",
            "10.2.2.2:5001",
            PayloadKind::MOS_SHORT,
            p,
        ));
    }
    msgs.push(rec(
        3_000_000,
        "10.1.1.1:4001",
        "10.2.2.2:5001",
        PayloadKind::MOS_SHORT,
        "VQSessionReport\r\n\u{0}",
    ));
    let q = assemble(&msgs);
    assert!(q.unreadable_reports > 0);
    for s in &q.streams {
        assert!(s.jitter_ms.max.is_none_or(|j| j >= 0.0));
    }
}
