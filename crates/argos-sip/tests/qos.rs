//! SIP-carried quality reports (`argos_sip::qos`): RFC 6035 vq-rtcpxr bodies and the
//! end-of-call statistics headers, with the sample values of qos-metrics.md §4.5 / §5,
//! hostile inputs, whole SIP messages, and the public captures that carry them
//! (skipped with a message when `shared/testdata/captures` is absent).

#![allow(clippy::unwrap_used)] // tests: inputs are known-good

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use argos_sip::qos::{
    self, parse_rtp_stat_header, parse_vq_rtcpxr, reports_of, Direction, QosError, QosReport,
    QosSource, ReportKind, MAX_VQ_BODY,
};

/// RFC 6035 §4.7.3 (message F13), the end-of-session report, line for line including its
/// folded lines and its two slips (`SSRC=1a3b5c7d` without `0x`, STOP nine days before
/// START); only the IPv4 and MAC addresses are replaced by documentation ones.
const RFC6035_SESSION: &str = "VQSessionReport: CallTerm\r
CallID: 6dg37f1890463\r
LocalID: Alice <sip:alice@example.org>\r
RemoteID: Bill <sip:bill@example.net>\r
OrigID: Alice <sip:alice@example.org>\r
LocalGroup: example-phone-55671\r
RemoteGroup: example-gateway-09871\r
LocalAddr: IP=192.0.2.100 PORT=5000 SSRC=1a3b5c7d\r
LocalMAC: 00:00:5e:00:53:01\r
RemoteAddr:IP=198.51.100.150 PORT=5002 SSRC=0x2468abcd\r
RemoteMAC: 00:00:5e:00:53:02\r
LocalMetrics:\r
Timestamps:START=2004-10-10T18:23:43Z STOP=2004-10-01T18:26:02Z\r
SessionDesc:PT=18 PD=G729 SR=8000 FD=20 FO=20 FPP=2 PPS=50\r
                FMTP=\"annexb=no\" PLC=3 SSUP=on\r
JitterBuffer:JBA=3 JBR=2 JBN=40 JBM=80 JBX=120\r
PacketLoss:NLR=5.0 JDR=2.0\r
BurstGapLoss:BLD=0 BD=0 GLD=2.0 GD=500 GMIN=16\r
Delay:RTD=200 ESD=140 SOWD=200 IAJ=2 MAJ=10\r
Signal:SL=-21 NL=-50 RERL=55\r
QualityEst:RLQ=90 RCQ=85 EXTRI=90 MOSLQ=4.2 MOSCQ=4.3\r
  QoEEstAlg=P.564\r
RemoteMetrics:\r
Timestamps:START=2004-10-10T18:23:43Z STOP=2004-10-01T18:26:02Z\r
SessionDesc:PT=18 PD=G729 SR=8000 FD=20 FO=20 FPP=2 PPS=50\r
                FMTP=\"annexb=no\" PLC=3 SSUP=on\r
JitterBuffer:JBA=3 JBR=2 JBN=40 JBM=80 JBX=120\r
PacketLoss:NLR=5.0 JDR=2.0\r
BurstGapLoss:BLD=0 BD=0 GLD=2.0 GD=500 GMIN=16\r
Delay:RTD=200 ESD=140 SOWD=200 IAJ=2 MAJ=10\r
Signal:SL=-21 NL=-45 RERL=55\r
QualityEst:RLQ=90 RCQ=85 MOSLQ=4.3 MOSCQ=4.2 QoEEstAlg=P.564\r
DialogID:1890463548@alice.example.org;to-tag=8472761;\r
   from-tag=9123dh311\r
";

/// An interval report in the same grammar (RFC 6035 §4.7.2 sends them during the call),
/// with both blocks, bare-LF line ends and a decimal SSRC as linphone writes it.
const INTERVAL: &str = "VQIntervalReport
CallID: 6dg37f1890463
LocalAddr: IP=2001:db8::100 PORT=5000 SSRC=439770237
RemoteAddr: IP=2001:db8::150 PORT=5002 SSRC=0x2468ABCD
LocalMetrics:
Timestamps:START=2004-10-10T18:23:43Z STOP=2004-10-10T18:24:43.250Z
SessionDesc:PT=0 PD=PCMU SR=8000
PacketLoss:NLR=1.5 JDR=0.5
Delay:RTD=120 IAJ=7
QualityEst:RLQ=88 MOSLQ=4.1
RemoteMetrics:
Timestamps:START=2004-10-10T18:23:43Z STOP=2004-10-10T18:24:43.250Z
PacketLoss:NLR=- JDR=
Delay:RTD=118 IAJ=3
QualityEst:MOSCQ=3.9
";

/// qos-metrics.md §4.5: snom's end-of-call PUBLISH body (HOMER's test vector).
const SNOM: &str = "VQSessionReport: CallTerm
CallID:3c26a8de500f-12ct7zov3kjs
LocalAddr:IP=10.0.3.321 PORT=57460 SSRC=0x014EA261
LocalMetrics:
Timestamps:START=2016-06-16T07:47:14Z STOP=2016-06-16T07:47:21Z
SessionDesc:PT=8 PD=PCMA SR=8000 PPS=50 SSUP=off
JitterBuffer:JBA=3 JBR=2 JBN=20 JBM=20 JBX=240
PacketLoss:NLR=5.5 JDR=0.0
BurstGapLoss:BLD=0.0 BD=0 GLD=0.0 GD=5930 GMIN=16
Delay:RTD=0 ESD=0 IAJ=0
QualityEst:MOSLQ=3.8 MOSCQ=4.2
";

const S: i64 = 1_000_000;

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn rfc6035_session_report_gives_local_and_remote() {
    let r = parse_vq_rtcpxr(RFC6035_SESSION.as_bytes()).unwrap();
    assert_eq!(r.len(), 2);
    let (local, remote) = (&r[0], &r[1]);
    for (rep, dir) in [(local, Direction::Local), (remote, Direction::Remote)] {
        assert_eq!(rep.source, QosSource::VqRtcpXr);
        assert_eq!(rep.kind, ReportKind::Session);
        assert_eq!(rep.direction, dir);
        assert_eq!(rep.call_id.as_deref(), Some("6dg37f1890463"));
        assert_eq!(rep.local_addr.as_deref(), Some("192.0.2.100:5000"));
        assert_eq!(rep.remote_addr.as_deref(), Some("198.51.100.150:5002"));
        assert_eq!(rep.codec.as_deref(), Some("G729"));
        // `date -u -d 2004-10-10T18:23:43Z +%s`; STOP as the RFC printed it.
        assert_eq!(rep.start_us, Some(1_097_432_623 * S));
        assert_eq!(rep.stop_us, Some(1_096_655_162 * S));
        assert_eq!(rep.loss_pct, Some(5.0));
        assert_eq!(rep.discard_pct, Some(2.0));
        assert_eq!(rep.burst_density_pct, Some(0.0));
        assert_eq!(rep.gap_density_pct, Some(2.0));
        assert_eq!(rep.rtt_ms, Some(200.0));
        assert_eq!(rep.end_system_delay_ms, Some(140.0));
        assert_eq!(rep.one_way_delay_ms, Some(200.0));
        assert_eq!(rep.jitter_ms, Some(2.0));
        assert_eq!(rep.r_factor, Some(85.0), "RCQ wins over RLQ");
        assert_eq!(rep.packets_received, None);
    }
    // Each end sends with its own SSRC: the local end measured the remote's stream.
    assert_eq!(local.ssrc, Some(0x2468_abcd));
    assert_eq!(remote.ssrc, Some(0x1a3b_5c7d));
    assert_eq!((local.mos_lq, local.mos_cq), (Some(4.2), Some(4.3)));
    assert_eq!((remote.mos_lq, remote.mos_cq), (Some(4.3), Some(4.2)));
    // raw: the block's own lines, folds kept, no CRs, nothing from the other block.
    assert!(local.raw.starts_with("LocalMetrics:\nTimestamps:"));
    assert!(local
        .raw
        .contains("PPS=50\n                FMTP=\"annexb=no\""));
    assert!(local.raw.ends_with("  QoEEstAlg=P.564"));
    assert!(!local.raw.contains('\r') && !local.raw.contains("NL=-45"));
    assert!(remote.raw.starts_with("RemoteMetrics:") && remote.raw.contains("NL=-45"));
}

#[test]
fn interval_report_with_ipv6_and_unavailable_values() {
    let r = parse_vq_rtcpxr(INTERVAL.as_bytes()).unwrap();
    assert_eq!(r.len(), 2);
    let (local, remote) = (&r[0], &r[1]);
    assert!(r.iter().all(|x| x.kind == ReportKind::Interval));
    assert_eq!(local.local_addr.as_deref(), Some("[2001:db8::100]:5000"));
    assert_eq!(local.remote_addr.as_deref(), Some("[2001:db8::150]:5002"));
    assert_eq!(local.ssrc, Some(0x2468_abcd));
    assert_eq!(remote.ssrc, Some(439_770_237), "decimal SSRC");
    assert_eq!(local.stop_us, Some(1_097_432_683 * S + 250_000));
    assert_eq!(local.codec.as_deref(), Some("PCMU"));
    assert_eq!(local.loss_pct, Some(1.5));
    assert_eq!(local.r_factor, Some(88.0), "RLQ when there is no RCQ");
    assert_eq!(local.mos_lq, Some(4.1));
    assert_eq!(local.mos_cq, None);
    assert_eq!(
        (remote.loss_pct, remote.discard_pct),
        (None, None),
        "`-` and empty"
    );
    assert_eq!((remote.rtt_ms, remote.jitter_ms), (Some(118.0), Some(3.0)));
    assert_eq!(remote.codec, None);
}

#[test]
fn snom_session_report() {
    let r = parse_vq_rtcpxr(SNOM.as_bytes()).unwrap();
    assert_eq!(r.len(), 1);
    let l = &r[0];
    assert_eq!(l.call_id.as_deref(), Some("3c26a8de500f-12ct7zov3kjs"));
    assert_eq!(l.local_addr.as_deref(), Some("10.0.3.321:57460"));
    assert_eq!(l.remote_addr, None);
    // LocalAddr's SSRC is snom's own stream, not the one it measured.
    assert_eq!(l.ssrc, None);
    assert_eq!(l.codec.as_deref(), Some("PCMA"));
    assert_eq!(l.start_us, Some(1_466_063_234 * S));
    assert_eq!(l.stop_us, Some(1_466_063_241 * S));
    assert_eq!((l.loss_pct, l.discard_pct), (Some(5.5), Some(0.0)));
    assert_eq!((l.gap_density_pct, l.jitter_ms), (Some(0.0), Some(0.0)));
    assert_eq!(
        (l.mos_lq, l.mos_cq, l.r_factor),
        (Some(3.8), Some(4.2), None)
    );
}

#[test]
fn alert_report_and_lenient_forms() {
    // `Metrics:` for the local block, CallID ahead of the type line, lower-case names.
    let body = "CallID: abc-123@host\nVQAlertReport: Type=NLR Severity=Warning Dir=local\n\
                metrics:\npacketloss: NLR=12.5 JDR=1.0\n";
    let r = parse_vq_rtcpxr(body.as_bytes()).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].kind, ReportKind::Alert);
    assert_eq!(r[0].call_id.as_deref(), Some("abc-123@host"));
    assert_eq!(r[0].loss_pct, Some(12.5));
    // Metric lines without a block header: one implicit local block.
    let r = parse_vq_rtcpxr(b"VQSessionReport\nDelay:RTD=30 IAJ=4\n").unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].rtt_ms, r[0].direction),
        (Some(30.0), Direction::Local)
    );
    // A report type and nothing else: no block, no report.
    assert_eq!(
        parse_vq_rtcpxr(b"VQSessionReport: CallTerm\r\n").unwrap(),
        vec![]
    );
}

#[test]
fn malformed_bodies_are_refused_or_ignored() {
    assert!(matches!(parse_vq_rtcpxr(b""), Err(QosError::Empty)));
    assert!(matches!(
        parse_vq_rtcpxr(b"\r\n \r\n"),
        Err(QosError::Empty)
    ));
    assert!(matches!(
        parse_vq_rtcpxr(b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\n"),
        Err(QosError::NotVqReport)
    ));
    let huge = vec![b'a'; MAX_VQ_BODY + 1];
    assert!(matches!(
        parse_vq_rtcpxr(&huge),
        Err(QosError::TooLarge { len, max: MAX_VQ_BODY }) if len == MAX_VQ_BODY + 1
    ));
    // Hostile numbers are not numbers.
    let r = parse_vq_rtcpxr(
        b"VQSessionReport\nLocalMetrics:\nPacketLoss:NLR=NaN JDR=inf\nDelay:RTD=1e308 IAJ=--1\n\
          QualityEst:MOSLQ=+4.1 MOSCQ=4,2\nTimestamps:START=2004-02-30T00:00:00Z STOP=x\n\
          LocalAddr:IP=\xff\xfe PORT=\nRemoteAddr:SSRC=0x123456789\n",
    )
    .unwrap();
    let l = &r[0];
    assert_eq!(
        (l.loss_pct, l.discard_pct, l.rtt_ms, l.jitter_ms),
        (None, None, None, None)
    );
    assert_eq!((l.mos_lq, l.mos_cq), (Some(4.1), None));
    assert_eq!((l.start_us, l.stop_us, l.ssrc), (None, None, None));
    assert_eq!(
        l.local_addr.as_deref(),
        Some("\u{fffd}\u{fffd}"),
        "lossy, kept"
    );
}

#[test]
fn truncated_and_garbage_bodies_never_panic() {
    let body = RFC6035_SESSION.as_bytes();
    for end in 0..body.len() {
        let _ = parse_vq_rtcpxr(&body[..end]);
    }
    // A deterministic byte soup drawn from the report's own alphabet plus noise.
    let alphabet = b"VQSessionReport:LocalMetricsRemote=\"\r\n \t0x19.-;,IPSSRC\xff";
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for len in [1usize, 7, 64, 512, 4096] {
        for _ in 0..200 {
            let mut v = b"VQIntervalReport\n".to_vec();
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                v.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            let _ = parse_vq_rtcpxr(&v);
            let text = String::from_utf8_lossy(&v);
            let _ = parse_rtp_stat_header("X-RTP-Stat", &text);
            let _ = parse_rtp_stat_header("RTP-RxStat", &text);
        }
    }
}

#[test]
fn huge_inputs_take_bounded_work() {
    // 64 KiB of metrics blocks and of folded lines: bounded reports, fast.
    let mut blocks = String::from("VQSessionReport\n");
    while blocks.len() < MAX_VQ_BODY - 64 {
        blocks.push_str("LocalMetrics:\nDelay:RTD=1\n");
    }
    let t = Instant::now();
    let r = parse_vq_rtcpxr(blocks.as_bytes()).unwrap();
    assert_eq!(r.len(), 16, "at most 16 blocks");
    let mut folded = String::from("VQSessionReport\nLocalMetrics:\nDelay:RTD=1");
    while folded.len() < MAX_VQ_BODY - 8 {
        folded.push_str("\n IAJ=2");
    }
    let r = parse_vq_rtcpxr(folded.as_bytes()).unwrap();
    assert_eq!((r[0].rtt_ms, r[0].jitter_ms), (Some(1.0), Some(2.0)));
    // 1 MiB header values: only the first 256 items are read.
    let items = "PL=1,".repeat(200_000);
    let r = parse_rtp_stat_header("P-RTP-Stat", &items).unwrap();
    assert_eq!(r[0].packets_lost, Some(1));
    let semis = format!("{}PR=5", ";".repeat(1 << 20));
    let r = parse_rtp_stat_header("X-RTP-Stat", &semis).unwrap();
    assert_eq!(r[0].packets_received, None, "past the item cap");
    let quote = format!("PR=5,VQMetrics=\"{}", "x;".repeat(1 << 19));
    let r = parse_rtp_stat_header("RTP-RxStat", &quote).unwrap();
    assert_eq!(
        r[0].packets_received, None,
        "Pkt is the Rx count, PR is not"
    );
    let elapsed = t.elapsed();
    println!("huge inputs: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn avm_x_rtp_stat() {
    // AVM field order (qos-metrics.md §5.1), values in ms; SB unavailable.
    let v = "CS=0;PS=1433;ES=1525;OS=229280;SP=0/0;SO=0;QS=-;PR=1525;ER=1530;OR=244000;\
             CR=0;SR=0;QR=-;PL=5,2;BL=3;LS=0;RB=40/2;SB=-/-;EN=PCMA;DE=PCMA,FAX;JI=3,4;\
             DL=23,18,40;IP=192.168.178.20:7078,217.0.0.1:30000";
    let r = parse_rtp_stat_header("X-RTP-Stat", v).unwrap();
    assert_eq!(r.len(), 2);
    let (rx, tx) = (&r[0], &r[1]);
    assert_eq!(
        (rx.source, rx.kind),
        (QosSource::XRtpStat, ReportKind::EndOfCall)
    );
    assert_eq!(
        (rx.direction, tx.direction),
        (Direction::Local, Direction::Remote)
    );
    assert_eq!(rx.local_addr.as_deref(), Some("192.168.178.20:7078"));
    assert_eq!(tx.remote_addr.as_deref(), Some("217.0.0.1:30000"));
    assert_eq!(rx.packets_received, Some(1525));
    assert_eq!(rx.packets_expected, Some(1530));
    assert_eq!(rx.packets_lost, Some(5));
    assert!(close(rx.loss_pct, 5.0 * 100.0 / 1530.0));
    assert_eq!(rx.jitter_ms, Some(3.0));
    assert_eq!(rx.rtt_ms, Some(23.0), "DL average");
    assert_eq!(rx.codec.as_deref(), Some("PCMA,FAX"));
    assert_eq!(rx.call_id, None);
    assert_eq!(tx.packets_sent, Some(1433));
    assert_eq!(tx.packets_lost, Some(2));
    assert!(close(tx.loss_pct, 2.0 * 100.0 / 1433.0));
    assert_eq!(tx.jitter_ms, Some(4.0));
    assert_eq!(tx.codec.as_deref(), Some("PCMA"));
    assert!(r.iter().all(|x| x.raw == v));
}

#[test]
fn baresip_x_rtp_stat_jitter_in_timestamp_units() {
    let v = "EX=BareSip;CS=1234;CD=30;PR=1500;PS=1498;PL=2,1;PD=0,0;JI=16.0,8.0;\
             IP=192.0.2.10:10000,198.51.100.20:20000;EN=PCMU/8000;DE=G722/16000";
    let r = parse_rtp_stat_header("x-rtp-stat", v).unwrap();
    let (rx, tx) = (&r[0], &r[1]);
    // rx decoded G722 at 16 kHz: 16 units = 1 ms; tx PCMU at 8 kHz: 8 units = 1 ms.
    assert_eq!((rx.jitter_ms, tx.jitter_ms), (Some(1.0), Some(1.0)));
    assert_eq!(rx.packets_lost, Some(2));
    assert!(close(rx.loss_pct, 2.0 * 100.0 / 1502.0));
    assert!(close(tx.loss_pct, 100.0 / 1498.0));
    assert_eq!(rx.codec.as_deref(), Some("G722/16000"));
    assert_eq!(rx.local_addr.as_deref(), Some("192.0.2.10:10000"));
    assert_eq!(rx.rtt_ms, None);
    // Without a rate, timestamp units cannot become ms.
    let r = parse_rtp_stat_header("X-RTP-Stat", "EX=BareSip;JI=16,8;EN=PCMU").unwrap();
    assert_eq!((r[0].jitter_ms, r[1].jitter_ms), (None, None));
}

#[test]
fn cisco_p_rtp_stat() {
    // qos-metrics.md §5.4 example.
    let v = "PS=3775,OS=649300,PR=3775,OR=604000,PL=0,JI=0,LA=4,DU=98";
    let r = parse_rtp_stat_header("P-RTP-Stat", v).unwrap();
    assert_eq!(r.len(), 1);
    let l = &r[0];
    assert_eq!(
        (l.source, l.direction),
        (QosSource::PRtpStat, Direction::Local)
    );
    assert_eq!((l.packets_received, l.packets_lost), (Some(3775), Some(0)));
    assert_eq!(l.loss_pct, Some(0.0));
    assert_eq!((l.jitter_ms, l.rtt_ms), (Some(0.0), Some(4.0)));
    assert_eq!(l.raw, v);
}

#[test]
fn cisco_phone_rx_and_tx_stat() {
    // qos-metrics.md §5.5 sample, with the elided VQMetrics values filled in.
    let rx = "Dur=13,Pkt=408,Oct=97680,LatePkt=8,LostPkt=0,AvgJit=0,VQMetrics=\"CCR=0.0021;\
              ICR=0.0000;ICRmx=0.0000;CS=1;SCS=1;VoRxCodec=PCMU;CID=2;VoPktSizeMs=30;\
              VoPktLost=0;VoPktDis=1;VoOneWayDelayMs=281;maxJitter=12;MOScq=4.21;MOSlq=3.52;\
              network=ethernet;hwType=CP-8841;rtpBitrate=85120;rtcpBitrate=0\"";
    let r = parse_rtp_stat_header("RTP-RxStat", rx).unwrap();
    assert_eq!(r.len(), 1);
    let l = &r[0];
    assert_eq!(
        (l.source, l.direction),
        (QosSource::RtpRxStat, Direction::Local)
    );
    assert_eq!((l.packets_received, l.packets_lost), (Some(408), Some(0)));
    assert_eq!(l.loss_pct, Some(0.0));
    assert_eq!((l.jitter_ms, l.max_jitter_ms), (Some(0.0), Some(12.0)));
    assert_eq!(l.one_way_delay_ms, Some(281.0));
    assert_eq!((l.mos_lq, l.mos_cq), (Some(3.52), Some(4.21)));
    assert_eq!(l.codec.as_deref(), Some("PCMU"));
    let r = parse_rtp_stat_header("RTP-TxStat", "Dur=13,Pkt=417,Oct=100080").unwrap();
    let t = &r[0];
    assert_eq!(
        (t.source, t.direction),
        (QosSource::RtpTxStat, Direction::Remote)
    );
    assert_eq!((t.packets_sent, t.packets_received), (Some(417), None));
}

#[test]
fn header_names_and_empty_values() {
    assert_eq!(parse_rtp_stat_header("X-RTP-Stat-Add", "DQ=1"), None);
    assert_eq!(parse_rtp_stat_header("Call-ID", "PR=1"), None);
    assert_eq!(parse_rtp_stat_header("X-RTP-Stat", "  "), Some(vec![]));
    // Unknown keys only: the report still carries the raw value.
    let r = parse_rtp_stat_header("P-RTP-Stat", "FOO=1,BAR").unwrap();
    assert_eq!(
        r,
        vec![QosReport {
            source: QosSource::PRtpStat,
            kind: ReportKind::EndOfCall,
            raw: "FOO=1,BAR".into(),
            ..QosReport::default()
        }]
    );
    // AudioCodes' empty items and all-unavailable tx side: Local only.
    let r = parse_rtp_stat_header("X-RTP-Stat", "PS=10;;OS=1600;PR=9;;PL=1;JI=20;LA=30").unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].packets_lost, r[0].jitter_ms), (Some(1), Some(20.0)));
    assert!(close(r[0].loss_pct, 10.0));
    let r = parse_rtp_stat_header("X-RTP-Stat", "PL=-,-;JI=-,-;PR=-").unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].packets_lost, r[0].jitter_ms, r[0].packets_received),
        (None, None, None)
    );
    // Counters that overflow when added are not a loss rate.
    let r = parse_rtp_stat_header("P-RTP-Stat", "PR=18446744073709551615,PL=1").unwrap();
    assert_eq!(r[0].loss_pct, None);
}

#[test]
fn publish_and_bye_through_the_sip_parser() {
    let publish = format!(
        "PUBLISH sip:collector@example.net SIP/2.0
Via: SIP/2.0/UDP 192.0.2.100:5060;branch=z9hG4bKvq1
Max-Forwards: 70
From: <sip:alice@example.org>;tag=pub1
To: <sip:collector@example.net>
Call-ID: publish-1@192.0.2.100
CSeq: 1 PUBLISH
Event: vq-rtcpxr
Content-Type: Application/VQ-RTCPXR; charset=utf-8
Content-Length: {{CL}}

{}",
        RFC6035_SESSION.replace("\r\n", "\n")
    );
    let wire = common::crlf(&publish);
    let msg = argos_sip::parse(&wire).unwrap();
    let r = reports_of(&msg);
    assert_eq!(r.len(), 2);
    assert_eq!(r, parse_vq_rtcpxr(RFC6035_SESSION.as_bytes()).unwrap());
    assert_eq!(r[0].call_id.as_deref(), Some("6dg37f1890463"));

    // The same body as something else is not read.
    let other = publish.replace("Application/VQ-RTCPXR", "text/plain");
    assert_eq!(
        reports_of(&argos_sip::parse(&common::crlf(&other)).unwrap()),
        vec![]
    );

    let bye = "BYE sip:bob@198.51.100.20:5060 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbye1
From: <sip:alice@example.org>;tag=a1
To: <sip:bob@example.net>;tag=b1
Call-ID: call-1@192.0.2.10
CSeq: 3 BYE
X-RTP-Stat: EX=BareSip;CS=1234;CD=30;PR=1500;PS=1498;PL=2,1;JI=16.0,8.0;EN=PCMU/8000;DE=PCMU/8000
X-RTP-Stat-Add: DQ=1;DSS=2
P-RTP-Stat: PS=3775,OS=649300,PR=3775,OR=604000,PL=0,JI=0,LA=4,DU=98
RTP-RxStat: Dur=13,Pkt=408,Oct=97680,LatePkt=8,LostPkt=0,AvgJit=0
RTP-TxStat: Dur=13,Pkt=417,Oct=100080
Content-Length: 0

";
    let wire = common::crlf(bye);
    let msg = argos_sip::parse(&wire).unwrap();
    let r = reports_of(&msg);
    let kinds: Vec<_> = r.iter().map(|x| (x.source, x.direction)).collect();
    assert_eq!(
        kinds,
        vec![
            (QosSource::XRtpStat, Direction::Local),
            (QosSource::XRtpStat, Direction::Remote),
            (QosSource::PRtpStat, Direction::Local),
            (QosSource::RtpRxStat, Direction::Local),
            (QosSource::RtpTxStat, Direction::Remote),
        ]
    );
    assert!(r
        .iter()
        .all(|x| x.kind == ReportKind::EndOfCall && x.call_id.is_none()));
    assert_eq!(r[0].jitter_ms, Some(2.0));
    assert!(qos::is_vq_rtcpxr("application/vq-rtcpxr"));
}

fn captures() -> Option<PathBuf> {
    let d = std::env::var_os("ARGOS_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/captures")
        });
    if d.is_dir() {
        Some(d)
    } else {
        println!("SKIP: {} absent (set ARGOS_TESTDATA)", d.display());
        None
    }
}

/// The SIP message starting at the first `start` in a capture file's bytes. Both
/// messages used here sit whole in one frame (HEP3 payload chunk; one TCP segment in
/// GTP-U), and the parser stops at Content-Length, so no framing decoder is needed.
fn message_at(file: &[u8], start: &[u8]) -> Option<Vec<u8>> {
    let at = file.windows(start.len()).position(|w| w == start)?;
    Some(file.get(at..)?.to_vec())
}

#[test]
fn hep_capture_publish_vq_rtcpxr() {
    let Some(dir) = captures() else { return };
    let file = std::fs::read(dir.join("hepws__hep.pcap")).unwrap();
    let buf = message_at(&file, b"PUBLISH sip:").expect("the HEP3 PUBLISH");
    let msg = argos_sip::parse(&buf).unwrap();
    assert_eq!(msg.header("Call-ID"), Some("qgf3dm9rudi@127.0.0.1"));
    let r = reports_of(&msg);
    assert_eq!(r.len(), 1);
    let l = &r[0];
    assert_eq!(
        (l.kind, l.direction),
        (ReportKind::Interval, Direction::Local)
    );
    // hepgen writes its session lines inside the block, with `IP:` for `IP=`.
    assert_eq!(l.call_id.as_deref(), Some("qgf3dm9rudi@127.0.0.1"));
    assert_eq!(l.local_addr.as_deref(), Some("192.168.1.55:30539"));
    assert_eq!(l.remote_addr.as_deref(), Some("192.168.1.23:7079"));
    assert_eq!(l.codec.as_deref(), Some("opus"));
    assert_eq!(l.start_us, Some(1_425_157_471 * S + 582));
    assert_eq!(l.stop_us, Some(1_425_157_476 * S + 598));
    assert_eq!((l.loss_pct, l.jitter_ms), (Some(8.0), Some(93.0)));
    assert!(l.raw.starts_with("LocalMetrics:\nSessionDesc:PT=124"));
}

#[test]
fn gtp_capture_bye_p_rtp_stat_matches_tshark() {
    let Some(dir) = captures() else { return };
    let path = dir.join("arkime__gtp-iphone.pcap");
    let file = std::fs::read(&path).unwrap();
    let buf = message_at(&file, b"BYE sip:").expect("the BYE");
    let msg = argos_sip::parse(&buf).unwrap();
    let r = reports_of(&msg);
    assert_eq!(r.len(), 1);
    let l = &r[0];
    assert_eq!(l.source, QosSource::PRtpStat);
    assert_eq!(l.raw, "PS=523,OS=16736,PR=412,OR=12159,PL=0");
    assert_eq!((l.packets_received, l.packets_lost), (Some(412), Some(0)));
    assert_eq!((l.loss_pct, l.jitter_ms, l.rtt_ms), (Some(0.0), None, None));

    // tshark decodes the same BYE (GTP-U, IPv6, TCP): its header must be ours.
    let out = std::process::Command::new("tshark")
        .arg("-r")
        .arg(&path)
        .args([
            "-Y",
            "sip.Method == \"BYE\"",
            "-T",
            "fields",
            "-e",
            "sip.msg_hdr",
        ])
        .output();
    let Some(out) = out.ok().filter(|o| o.status.success()) else {
        println!("SKIP tshark cross-check: tshark not runnable");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let from_tshark: Vec<&str> = text
        .split("\\r\\n")
        .filter_map(|h| h.strip_prefix("P-RTP-Stat: "))
        .collect();
    assert_eq!(from_tshark, vec![l.raw.as_str()], "{text}");
}

#[test]
fn throughput_figures() {
    // Printed for the record (`-- --nocapture`); only a loose bound is asserted, since
    // debug builds and a shared machine vary a lot.
    let n = 2_000;
    let t = Instant::now();
    for _ in 0..n {
        assert_eq!(
            parse_vq_rtcpxr(RFC6035_SESSION.as_bytes()).unwrap().len(),
            2
        );
    }
    let vq = t.elapsed() / n;
    let avm = "CS=0;PS=1433;ES=1525;OS=229280;SP=0/0;SO=0;QS=-;PR=1525;ER=1530;OR=244000;\
               CR=0;SR=0;QR=-;PL=5,2;BL=3;LS=0;RB=40/2;SB=-/-;EN=PCMA;DE=PCMA;JI=3,4;\
               DL=23,18,40;IP=192.168.178.20:7078,217.0.0.1:30000";
    let t = Instant::now();
    for _ in 0..n {
        assert_eq!(parse_rtp_stat_header("X-RTP-Stat", avm).unwrap().len(), 2);
    }
    let hdr = t.elapsed() / n;
    println!(
        "RFC 6035 session body ({} B): {vq:?}/parse; AVM X-RTP-Stat ({} B): {hdr:?}/parse",
        RFC6035_SESSION.len(),
        avm.len()
    );
    assert!(vq < Duration::from_millis(5) && hdr < Duration::from_millis(5));
}
