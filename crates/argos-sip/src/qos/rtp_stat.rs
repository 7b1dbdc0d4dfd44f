//! End-of-call statistics headers: `X-RTP-Stat` (AVM, baresip, AudioCodes, Poly),
//! `P-RTP-Stat` (Cisco CUBE) and `RTP-RxStat` / `RTP-TxStat` (Cisco IP phones). See the
//! field table in [`super`] for what maps where and in which unit.

use super::values::{available, f64_of, get, header_items, pair, u64_of};
use super::{Direction, QosReport, QosSource, ReportKind};

type Items<'a> = [(&'a str, &'a str)];

/// The reports in one header, or `None` when `name` is not a statistics header
/// (`X-RTP-Stat-Add` is not). A statistics header always gives its Local report (with
/// `raw`, even when no key is understood) unless its value is empty; `X-RTP-Stat` adds a
/// Remote report when it carries tx-side values, `RTP-TxStat` is a Remote report.
pub fn parse_rtp_stat_header(name: &str, value: &str) -> Option<Vec<QosReport>> {
    let source = source_of(name)?;
    if value.trim().is_empty() {
        return Some(Vec::new());
    }
    let items = header_items(value);
    let base = QosReport {
        source,
        kind: ReportKind::EndOfCall,
        raw: value.to_string(),
        ..QosReport::default()
    };
    Some(match source {
        QosSource::XRtpStat => x_rtp_stat(&items, base),
        QosSource::PRtpStat => vec![p_rtp_stat(&items, base)],
        QosSource::RtpRxStat | QosSource::RtpTxStat => vec![cisco_phone(&items, base)],
        QosSource::VqRtcpXr => Vec::new(),
    })
}

fn source_of(name: &str) -> Option<QosSource> {
    let name = name.trim();
    [
        QosSource::XRtpStat,
        QosSource::PRtpStat,
        QosSource::RtpRxStat,
        QosSource::RtpTxStat,
    ]
    .into_iter()
    .find(|s| s.wire_name().eq_ignore_ascii_case(name))
}

/// `X-RTP-Stat`: `rx,tx` pairs in `PL` and `JI`; `IP=local,remote`; `DL=avg,min,max`.
fn x_rtp_stat(items: &Items<'_>, base: QosReport) -> Vec<QosReport> {
    let num = |key| get(items, key).and_then(u64_of);
    let pair_of = |key| get(items, key).map(pair).unwrap_or((None, None));
    let (lost_rx, lost_tx) = pair_of("PL");
    let (jitter_rx, jitter_tx) = pair_of("JI");
    let (local_addr, remote_addr) = pair_of("IP");
    let decoder = get(items, "DE").and_then(available);
    let encoder = get(items, "EN").and_then(available);
    // baresip writes JI in RTP timestamp units (qos-metrics.md §5.2); everyone else in ms.
    let baresip = get(items, "EX").is_some_and(|v| v.to_ascii_lowercase().contains("baresip"));
    let jitter_ms = |v: Option<&str>, codec: Option<&str>| {
        let v = v.and_then(f64_of)?;
        if !baresip {
            return Some(v);
        }
        let rate = codec?.rsplit_once('/').and_then(|(_, r)| f64_of(r))?;
        (rate > 0.0).then(|| v / (rate / 1000.0))
    };
    let with_addrs = |mut r: QosReport| {
        r.local_addr = local_addr.map(str::to_string);
        r.remote_addr = remote_addr.map(str::to_string);
        r
    };

    let mut local = with_addrs(base.clone());
    local.packets_received = num("PR");
    local.packets_expected = num("ER");
    local.packets_lost = lost_rx.and_then(u64_of);
    local.loss_pct = percent(
        local.packets_lost,
        local
            .packets_expected
            .filter(|&e| e > 0)
            .or_else(|| local.packets_received?.checked_add(local.packets_lost?)),
    );
    local.jitter_ms = jitter_ms(jitter_rx, decoder);
    local.rtt_ms = get(items, "DL").and_then(|v| pair(v).0).and_then(f64_of);
    local.codec = decoder.map(str::to_string);

    let mut out = vec![local];
    if lost_tx.is_some() || jitter_tx.is_some() {
        let mut remote = with_addrs(base);
        remote.direction = Direction::Remote;
        remote.packets_sent = num("PS");
        remote.packets_lost = lost_tx.and_then(u64_of);
        remote.loss_pct = percent(remote.packets_lost, remote.packets_sent);
        remote.jitter_ms = jitter_ms(jitter_tx, encoder);
        remote.codec = encoder.map(str::to_string);
        out.push(remote);
    }
    out
}

/// `P-RTP-Stat: PS=,OS=,PR=,OR=,PL=,JI=,LA=,DU=` — the gateway's receive side.
fn p_rtp_stat(items: &Items<'_>, mut r: QosReport) -> QosReport {
    r.packets_received = get(items, "PR").and_then(u64_of);
    r.packets_lost = get(items, "PL").and_then(u64_of);
    r.loss_pct = percent(
        r.packets_lost,
        r.packets_received
            .zip(r.packets_lost)
            .and_then(|(a, b)| a.checked_add(b)),
    );
    r.jitter_ms = get(items, "JI").and_then(f64_of);
    r.rtt_ms = get(items, "LA").and_then(f64_of);
    r.codec = get(items, "DE")
        .or_else(|| get(items, "EN"))
        .and_then(available)
        .map(str::to_string);
    r
}

/// `RTP-RxStat` / `RTP-TxStat: Dur=,Pkt=,Oct=,LatePkt=,LostPkt=,AvgJit=,VQMetrics="…"`.
fn cisco_phone(items: &Items<'_>, mut r: QosReport) -> QosReport {
    let vq_text = get(items, "VQMetrics").and_then(available).unwrap_or("");
    let vq = header_items(vq_text);
    let vq_num = |key| get(&vq, key).and_then(f64_of);
    if r.source == QosSource::RtpTxStat {
        r.direction = Direction::Remote;
        r.packets_sent = get(items, "Pkt").and_then(u64_of);
        r.codec = get(&vq, "VoTxCodec")
            .and_then(available)
            .map(str::to_string);
        return r;
    }
    r.packets_received = get(items, "Pkt").and_then(u64_of);
    r.packets_lost = get(items, "LostPkt")
        .or_else(|| get(&vq, "VoPktLost"))
        .and_then(u64_of);
    r.loss_pct = percent(
        r.packets_lost,
        r.packets_received
            .zip(r.packets_lost)
            .and_then(|(a, b)| a.checked_add(b)),
    );
    r.jitter_ms = get(items, "AvgJit").and_then(f64_of);
    r.max_jitter_ms = vq_num("maxJitter");
    r.one_way_delay_ms = vq_num("VoOneWayDelayMs");
    r.mos_lq = vq_num("MOSlq");
    r.mos_cq = vq_num("MOScq");
    r.codec = get(&vq, "VoRxCodec")
        .and_then(available)
        .map(str::to_string);
    r
}

/// `part` of `whole` in percent; `None` when either is unknown or `whole` is 0.
fn percent(part: Option<u64>, whole: Option<u64>) -> Option<f64> {
    let (part, whole) = (part?, whole?);
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}
