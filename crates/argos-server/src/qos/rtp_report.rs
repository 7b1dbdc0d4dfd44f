//! RTP stream reports: HEP proto 34 ("MOS full report") and 35 (short report) JSON with
//! UPPERCASE keys (hep.md §6.2; rtpagent, HEPGEN, HEPIPE and Argos' own RTP reports).
//!
//! Read tolerantly: numbers or numeric strings, any key missing. Loss % is
//! `PACKET_LOSS / EXPECTED_PK` (else `PACKET_LOSS / (TOTAL_PK + PACKET_LOSS)`); jitter
//! is `JITTER` (ms), its maximum `MAX_JITTER`; `MOS` is the reporter's own. `SSRC` and
//! `LOSS_PCT`, when present (Argos extras), are used as they are; `MIN_MOS` counts as
//! the stream's worst MOS.
//!
//! A proto-35 payload that is not JSON but an RFC 6035 vq-rtcpxr body (what captagent
//! forwards, and what heplify-server expects on 35) is read as such.

use super::media::CallMedia;
use super::observation::{
    json_count, json_num, json_text, Direction, MosSource, Observation, ReportKind, StreamKey,
};
use super::ReportError;
use argos_model::{Capture, PayloadKind};
use serde_json::{Map, Value};
use std::net::{IpAddr, SocketAddr};

/// The observation of one proto-34/35 record.
pub fn observations(c: &Capture, media: &CallMedia) -> Result<Vec<Observation>, ReportError> {
    let text = c.payload.trim_ascii_start();
    if c.kind == PayloadKind::MOS_SHORT && text.starts_with(b"VQ") {
        let reports = argos_sip::qos::parse_vq_rtcpxr(&c.payload)
            .map_err(|_| ReportError::RtpReport("unreadable vq-rtcpxr body"))?;
        return Ok(reports
            .iter()
            .map(|r| super::sip::observation(r, c, media))
            .collect());
    }
    let v: Value = serde_json::from_slice(&c.payload)
        .map_err(|_| ReportError::RtpReport("payload is not JSON"))?;
    let Value::Object(o) = v else {
        return Err(ReportError::RtpReport("payload is not a JSON object"));
    };
    let kind = if c.kind == PayloadKind::MOS_SHORT {
        ReportKind::RtpShortReport
    } else {
        ReportKind::RtpReport
    };
    let src = endpoint(&o, "SRC_IP", "SRC_PORT");
    let dst = endpoint(&o, "DST_IP", "DST_PORT");
    let src_text = src
        .map(|a| a.to_string())
        .or_else(|| json_text(o.get("SRC_IP")));
    let dst_text = dst
        .map(|a| a.to_string())
        .or_else(|| json_text(o.get("DST_IP")));
    let reporter = json_text(o.get("REPORT_NAME")).unwrap_or_else(|| c.src.to_string());
    let ssrc = json_num(o.get("SSRC"))
        .filter(|s| (0.0..=f64::from(u32::MAX)).contains(s))
        .map(|s| s as u32);
    let key = StreamKey {
        kind,
        reporter,
        node: c.node.as_deref().map(str::to_owned),
        direction: Direction::Seen,
        ssrc,
        src: src_text,
        dst: dst_text,
    };
    let ts_us = json_num(o.get("REPORT_TS"))
        .filter(|&t| t > 0.0 && t < 1e11)
        .map(|t| (t * 1e6) as i64)
        .unwrap_or(c.ts_us);
    let mut ob = Observation::new(key, ts_us);
    ob.media_direction = media.direction_of(src, dst);
    ob.codec = json_text(o.get("CODEC_NAME")).or_else(|| media.codec.clone());
    ob.clock_rate = json_count(o.get("CLOCK")).and_then(|c| u32::try_from(c).ok());
    ob.packets = json_count(o.get("TOTAL_PK"));
    ob.expected = json_count(o.get("EXPECTED_PK"));
    let lost = json_num(o.get("PACKET_LOSS")).filter(|&l| l >= 0.0);
    ob.lost = lost.map(|l| l as i64);
    ob.loss_pct = json_num(o.get("LOSS_PCT"))
        .or_else(|| {
            let lost = lost?;
            let base = ob
                .expected
                .filter(|&e| e > 0)
                .map(|e| e as f64)
                .or_else(|| ob.packets.map(|p| p as f64 + lost))?;
            (base > 0.0).then(|| lost * 100.0 / base)
        })
        .map(|p| p.clamp(0.0, 100.0));
    ob.jitter_ms = json_num(o.get("JITTER"))
        .or_else(|| json_num(o.get("MEAN_JITTER")))
        .filter(|&j| j >= 0.0);
    ob.max_jitter_ms = json_num(o.get("MAX_JITTER")).filter(|&j| j >= 0.0);
    ob.rtt_ms = json_num(o.get("RTT")).filter(|&r| r > 0.0);
    ob.r_factor = json_num(o.get("RFACTOR")).filter(|&r| r > 0.0);
    ob.mos = json_num(o.get("MOS"))
        .filter(|m| (1.0..=5.0).contains(m))
        .map(|m| (m, MosSource::Reported));
    ob.min_mos = json_num(o.get("MIN_MOS")).filter(|m| (1.0..=5.0).contains(m));
    ob.estimate_mos();
    Ok(vec![ob])
}

/// `SRC_IP` + `SRC_PORT` as an address, when both parse.
fn endpoint(o: &Map<String, Value>, ip: &str, port: &str) -> Option<SocketAddr> {
    let ip: IpAddr = json_text(o.get(ip))?.parse().ok()?;
    let port = u16::try_from(json_count(o.get(port))?).ok()?;
    Some(SocketAddr::new(ip, port))
}
