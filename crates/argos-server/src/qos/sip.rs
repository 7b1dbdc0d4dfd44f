//! Quality reports carried in SIP: PUBLISH `application/vq-rtcpxr` (RFC 6035) and the
//! end-of-call headers (`X-RTP-Stat`, `P-RTP-Stat`, `RTP-RxStat`/`RTP-TxStat`) of a
//! BYE or its 200, parsed by [`argos_sip::qos::reports_of`].
//!
//! A `local` report (what the reporter received) is an `rx` stream from the remote
//! address to the local one; a `remote` report (what the peer measured of the
//! reporter's stream, or what the reporter says it sent) is a `tx` stream the other
//! way. The reporter is the report's local media address, else the SIP sender.

use super::media::CallMedia;
use super::observation::{Direction, MosSource, Observation, ReportKind, StreamKey};
use super::ReportError;
use argos_model::{Capture, StoredMessage};
use argos_sip::qos::{self, QosReport, QosSource};
use std::net::SocketAddr;

/// The observations of one SIP record (none for a message without quality reports or
/// one that does not parse: the SIP pipeline already counted those).
pub fn observations(
    msg: &StoredMessage,
    media: &CallMedia,
) -> Result<Vec<Observation>, ReportError> {
    let c = &msg.record.capture;
    let Ok(sip) = argos_sip::parse(&c.payload) else {
        return Ok(Vec::new());
    };
    Ok(qos::reports_of(&sip)
        .into_iter()
        .map(|r| observation(&r, c, media))
        .collect())
}

/// The observation of one SIP-format report carried by `c` (a SIP message, or a HEP
/// proto-35 vq-rtcpxr body).
pub fn observation(r: &QosReport, c: &Capture, media: &CallMedia) -> Observation {
    let kind = match r.source {
        QosSource::VqRtcpXr => ReportKind::VqRtcpxr,
        QosSource::XRtpStat => ReportKind::XRtpStat,
        QosSource::PRtpStat => ReportKind::PRtpStat,
        QosSource::RtpRxStat | QosSource::RtpTxStat => ReportKind::RtpRxTxStat,
    };
    let local: Option<SocketAddr> = r.local_addr.as_deref().and_then(|a| a.parse().ok());
    let remote: Option<SocketAddr> = r.remote_addr.as_deref().and_then(|a| a.parse().ok());
    let (direction, src, dst) = match r.direction {
        qos::Direction::Local => (Direction::Rx, r.remote_addr.clone(), r.local_addr.clone()),
        qos::Direction::Remote => (Direction::Tx, r.local_addr.clone(), r.remote_addr.clone()),
    };
    let key = StreamKey {
        kind,
        reporter: r.local_addr.clone().unwrap_or_else(|| c.src.to_string()),
        node: c.node.as_deref().map(str::to_owned),
        direction,
        ssrc: r.ssrc,
        src,
        dst,
    };
    let mut o = Observation::new(key, r.stop_us.unwrap_or(c.ts_us));
    // Without media addresses the reporter's SIP address stands in (same host).
    let here = local.unwrap_or(c.src);
    o.media_direction = match direction {
        Direction::Tx => media
            .direction_from(here)
            .or_else(|| remote.and_then(|a| media.direction_into(a))),
        _ => media
            .direction_into(here)
            .or_else(|| remote.and_then(|a| media.direction_from(a))),
    };
    o.codec = r.codec.clone().or_else(|| media.codec.clone());
    o.packets = match direction {
        Direction::Tx => r.packets_sent.or(r.packets_received),
        _ => r.packets_received,
    };
    o.expected = r.packets_expected;
    o.lost = r.packets_lost.and_then(|l| i64::try_from(l).ok());
    o.loss_pct = r.loss_pct;
    o.discard_pct = r.discard_pct;
    o.jitter_ms = r.jitter_ms;
    o.max_jitter_ms = r.max_jitter_ms;
    o.rtt_ms = r.rtt_ms;
    o.one_way_delay_ms = r.one_way_delay_ms;
    o.end_system_delay_ms = r.end_system_delay_ms;
    o.burst_density_pct = r.burst_density_pct;
    o.gap_density_pct = r.gap_density_pct;
    o.mos_lq = r.mos_lq;
    o.mos_cq = r.mos_cq;
    o.r_factor = r.r_factor;
    o.mos = r
        .mos_cq
        .map(|m| (m, MosSource::ReportedMosCq))
        .or(r.mos_lq.map(|m| (m, MosSource::ReportedMosLq)));
    o.raw = Some(r.raw.clone());
    o.estimate_mos();
    o
}
