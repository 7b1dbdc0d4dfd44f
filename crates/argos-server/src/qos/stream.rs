//! Folding observations into streams: time series, means, maxima and worst values.

use super::observation::{Direction, MediaDirection, MosSource, Observation, ReportKind};
use serde::Serialize;

/// Longest time series sent per stream: a long call's reports are merged into buckets
/// (worst value per bucket), so the page stays fast on a four-hour call.
pub const MAX_SAMPLES: usize = 600;

/// What one reporter said about one stream over the call.
#[derive(Debug, Clone, Serialize)]
pub struct Stream {
    /// Who reported.
    pub reporter: Reporter,
    /// Received, sent or seen, from the reporter's point of view.
    pub direction: Direction,
    /// Which way the media flows in call terms (from the SDP), when known.
    pub media_direction: Option<MediaDirection>,
    /// SSRC of the stream reported on.
    pub ssrc: Option<u32>,
    /// Media source as the report names it (for RTCP: the RTCP address).
    pub src: Option<String>,
    /// Media destination as the report names it.
    pub dst: Option<String>,
    /// Codec name, from the reports or the SDP.
    pub codec: Option<String>,
    /// RTP clock rate that converted RTCP jitter to ms.
    pub clock_rate: Option<u32>,
    /// Number of reports folded into this stream.
    pub reports: u32,
    /// Packets received (rx, seen) or sent (tx): the last cumulative count reported.
    pub packets: Option<u64>,
    /// Packets expected: the last cumulative count reported.
    pub expected: Option<u64>,
    /// Packets lost: the last cumulative count reported.
    pub lost: Option<i64>,
    /// Highest extended RTP sequence number an RTCP report block acknowledged.
    pub highest_seq: Option<u32>,
    /// Loss per report interval, %.
    pub loss_pct: Stat,
    /// Jitter, ms (`max` includes reported maxima).
    pub jitter_ms: Stat,
    /// Round-trip time, ms.
    pub rtt_ms: Stat,
    /// MOS, reported or estimated.
    pub mos: MosStat,
    /// MOS by the ITU-T G.107 E-model for the stream's codec (loss, jitter, delay; random
    /// loss assumed), shown beside `mos`.
    pub mos_g107: Stat,
    /// R factor.
    pub r_factor: Stat,
    /// Last MOS-LQ / MOS-CQ the endpoint reported itself.
    pub mos_lq: Option<f64>,
    pub mos_cq: Option<f64>,
    /// Highest jitter-buffer discard rate reported, %.
    pub discard_pct: Option<f64>,
    /// Highest burst density reported, %.
    pub burst_density_pct: Option<f64>,
    /// Highest gap density reported, %.
    pub gap_density_pct: Option<f64>,
    /// Highest one-way delay reported, ms.
    pub one_way_delay_ms: Option<f64>,
    /// Highest end-system delay reported, ms.
    pub end_system_delay_ms: Option<f64>,
    /// Time of the first report, µs.
    pub first_us: i64,
    /// Time of the last report, µs.
    pub last_us: i64,
    /// The time series, at most [`MAX_SAMPLES`] points.
    pub samples: Vec<Sample>,
    /// The worst value of each metric.
    pub worst: Worst,
    /// The last SIP-carried report's text.
    pub raw: Option<String>,
}

/// Who reported.
#[derive(Debug, Clone, Serialize)]
pub struct Reporter {
    /// Address (`ip:port`) the report came from, or the report's own name for it.
    pub addr: String,
    /// HEP node name of the agent that sent it.
    pub node: Option<String>,
    /// The report's format.
    pub kind: ReportKind,
}

/// Mean, minimum and maximum of a value over a stream's reports.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Stat {
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// MOS over a stream and how it was obtained.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct MosStat {
    pub mean: Option<f64>,
    pub min: Option<f64>,
    /// Reported values win over estimates: when any report gave its own MOS, only
    /// reported values are used.
    pub source: Option<MosSource>,
}

/// One point of the time series.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Sample {
    pub ts_us: i64,
    pub jitter_ms: Option<f64>,
    pub loss_pct: Option<f64>,
    pub mos: Option<f64>,
    pub rtt_ms: Option<f64>,
}

/// The worst value of each metric and when it was reported.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Worst {
    pub mos: Option<f64>,
    pub mos_ts_us: Option<i64>,
    pub loss_pct: Option<f64>,
    pub loss_ts_us: Option<i64>,
    pub jitter_ms: Option<f64>,
    pub jitter_ts_us: Option<i64>,
    pub rtt_ms: Option<f64>,
}

/// Groups observations by key (in order of first appearance) and summarises each group.
pub fn fold(mut obs: Vec<Observation>) -> Vec<Stream> {
    obs.sort_by_key(|o| o.ts_us);
    let mut groups: Vec<Vec<Observation>> = Vec::new();
    let mut index: std::collections::HashMap<super::StreamKey, usize> = Default::default();
    for o in obs {
        match index.get(&o.key) {
            Some(&i) => {
                if let Some(g) = groups.get_mut(i) {
                    if !g.last().is_some_and(|prev| same_report(prev, &o)) {
                        g.push(o);
                    }
                }
            }
            None => {
                index.insert(o.key.clone(), groups.len());
                groups.push(vec![o]);
            }
        }
    }
    groups.into_iter().filter_map(summarise).collect()
}

/// A SIP-carried report seen again: a retransmitted BYE, or the same message captured
/// on both sides of a proxy. Counted once.
fn same_report(prev: &Observation, o: &Observation) -> bool {
    const SAME_WINDOW_US: i64 = 5_000_000;
    prev.raw.is_some() && prev.raw == o.raw && o.ts_us.saturating_sub(prev.ts_us) <= SAME_WINDOW_US
}

fn summarise(g: Vec<Observation>) -> Option<Stream> {
    let first = g.first()?;
    let last = g.last()?;
    let key = first.key.clone();
    let latest = |f: fn(&Observation) -> Option<u64>| g.iter().rev().find_map(f);
    let reported = g
        .iter()
        .any(|o| matches!(o.mos, Some((_, s)) if s != MosSource::EstimatedEModel));
    let mos_of = |o: &Observation| match o.mos {
        Some((m, s)) if !reported || s != MosSource::EstimatedEModel => Some((m, s)),
        _ => None,
    };
    let mos_values: Vec<f64> = g.iter().filter_map(|o| mos_of(o).map(|m| m.0)).collect();
    // A reported interval minimum (MIN_MOS) is the sample's worst MOS.
    let sample_mos = |o: &Observation| {
        let m = mos_of(o).map(|m| m.0);
        match (m, o.min_mos) {
            (Some(m), Some(lo)) => Some(m.min(lo)),
            (m, lo) => m.or(lo),
        }
    };
    let samples_all: Vec<Sample> = g
        .iter()
        .map(|o| Sample {
            ts_us: o.ts_us,
            jitter_ms: o.jitter_ms,
            loss_pct: o.loss_pct,
            mos: sample_mos(o),
            rtt_ms: o.rtt_ms,
        })
        .collect();
    let mos_min = super::min_of(samples_all.iter().filter_map(|s| s.mos));
    let jitter_max = super::max_of(
        g.iter()
            .flat_map(|o| [o.jitter_ms, o.max_jitter_ms])
            .flatten(),
    );
    let mut worst = Worst {
        rtt_ms: super::max_of(g.iter().filter_map(|o| o.rtt_ms)),
        ..Worst::default()
    };
    for s in &samples_all {
        if let Some(m) = s.mos.filter(|&m| worst.mos.is_none_or(|w| m < w)) {
            worst.mos = Some(m);
            worst.mos_ts_us = Some(s.ts_us);
        }
        if let Some(l) = s.loss_pct.filter(|&l| worst.loss_pct.is_none_or(|w| l > w)) {
            worst.loss_pct = Some(l);
            worst.loss_ts_us = Some(s.ts_us);
        }
        if let Some(j) = s
            .jitter_ms
            .filter(|&j| worst.jitter_ms.is_none_or(|w| j > w))
        {
            worst.jitter_ms = Some(j);
            worst.jitter_ts_us = Some(s.ts_us);
        }
    }
    // A reported maximum jitter (MAX_JITTER, X-RTP-Stat) may exceed every sample.
    if jitter_max > worst.jitter_ms {
        worst.jitter_ms = jitter_max;
    }
    let mut jitter = stat(g.iter().filter_map(|o| o.jitter_ms));
    jitter.max = jitter_max;
    Some(Stream {
        reporter: Reporter {
            addr: key.reporter,
            node: key.node,
            kind: key.kind,
        },
        direction: key.direction,
        media_direction: g.iter().find_map(|o| o.media_direction),
        ssrc: key.ssrc,
        src: key.src,
        dst: key.dst,
        codec: g.iter().rev().find_map(|o| o.codec.clone()),
        clock_rate: g.iter().rev().find_map(|o| o.clock_rate),
        reports: u32::try_from(g.len()).unwrap_or(u32::MAX),
        packets: latest(|o| o.packets),
        expected: latest(|o| o.expected),
        lost: g.iter().rev().find_map(|o| o.lost),
        highest_seq: g.iter().filter_map(|o| o.highest_seq).max(),
        loss_pct: stat(g.iter().filter_map(|o| o.loss_pct)),
        jitter_ms: jitter,
        rtt_ms: stat(g.iter().filter_map(|o| o.rtt_ms)),
        mos: MosStat {
            mean: mean(&mos_values),
            min: mos_min,
            source: g
                .iter()
                .filter_map(mos_of)
                .map(|m| m.1)
                .find(|&s| s != MosSource::EstimatedEModel)
                .or_else(|| g.iter().find_map(mos_of).map(|m| m.1)),
        },
        mos_g107: stat(g.iter().filter_map(|o| o.mos_g107)),
        r_factor: stat(g.iter().filter_map(|o| o.r_factor)),
        mos_lq: g.iter().rev().find_map(|o| o.mos_lq),
        mos_cq: g.iter().rev().find_map(|o| o.mos_cq),
        discard_pct: super::max_of(g.iter().filter_map(|o| o.discard_pct)),
        burst_density_pct: super::max_of(g.iter().filter_map(|o| o.burst_density_pct)),
        gap_density_pct: super::max_of(g.iter().filter_map(|o| o.gap_density_pct)),
        one_way_delay_ms: super::max_of(g.iter().filter_map(|o| o.one_way_delay_ms)),
        end_system_delay_ms: super::max_of(g.iter().filter_map(|o| o.end_system_delay_ms)),
        first_us: first.ts_us,
        last_us: last.ts_us,
        // A point with no value (an SR's sender info) draws nothing: left out.
        samples: downsample(
            samples_all
                .into_iter()
                .filter(|s| {
                    s.jitter_ms.is_some()
                        || s.loss_pct.is_some()
                        || s.mos.is_some()
                        || s.rtt_ms.is_some()
                })
                .collect(),
        ),
        worst,
        raw: g.iter().rev().find_map(|o| o.raw.clone()),
    })
}

fn stat(it: impl Iterator<Item = f64>) -> Stat {
    let v: Vec<f64> = it.filter(|x| x.is_finite()).collect();
    Stat {
        mean: mean(&v),
        min: super::min_of(v.iter().copied()),
        max: super::max_of(v.iter().copied()),
    }
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// At most [`MAX_SAMPLES`] points: consecutive samples merged keeping the worst of each
/// metric (highest jitter, loss and RTT, lowest MOS) at the bucket's first time.
fn downsample(samples: Vec<Sample>) -> Vec<Sample> {
    if samples.len() <= MAX_SAMPLES {
        return samples;
    }
    let per = samples.len().div_ceil(MAX_SAMPLES);
    samples
        .chunks(per)
        .filter_map(|c| {
            let first = c.first()?;
            let hi = |f: fn(&Sample) -> Option<f64>| super::max_of(c.iter().filter_map(f));
            Some(Sample {
                ts_us: first.ts_us,
                jitter_ms: hi(|s| s.jitter_ms),
                loss_pct: hi(|s| s.loss_pct),
                mos: super::min_of(c.iter().filter_map(|s| s.mos)),
                rtt_ms: hi(|s| s.rtt_ms),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_series_keep_their_worst_point() {
        let mut s: Vec<Sample> = (0..10_000)
            .map(|i| Sample {
                ts_us: i,
                jitter_ms: Some(1.0),
                loss_pct: Some(0.0),
                mos: Some(4.4),
                rtt_ms: None,
            })
            .collect();
        if let Some(x) = s.get_mut(7777) {
            x.jitter_ms = Some(90.0);
            x.mos = Some(2.0);
        }
        let d = downsample(s);
        assert!(d.len() <= MAX_SAMPLES);
        assert!(d
            .iter()
            .any(|x| x.jitter_ms == Some(90.0) && x.mos == Some(2.0)));
    }
}
