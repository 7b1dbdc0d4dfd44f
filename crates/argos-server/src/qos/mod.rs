//! Per-call quality of service: every quality report stored with a call, gathered into
//! streams.
//!
//! A call's records carry quality in several shapes: RTCP as HEP proto-5 JSON
//! ([`rtcp`]), RTP stream reports as HEP proto 34/35 JSON ([`rtp_report`]) and
//! end-of-call reports inside SIP ([`sip`]). Each report becomes one or more
//! [`Observation`]s — "this reporter says this about this stream at this time" — and
//! observations with the same [`StreamKey`] (reporter, direction, SSRC, addresses) are
//! folded into one [`Stream`] with a time series and its worst values ([`stream`]). The
//! call's SDP ([`media`]) tells which way each stream flows and the clock rate that
//! converts RTCP jitter to ms; [`one_way`] flags one-way audio from the streams.
//!
//! Nothing here panics on input: a report that does not parse is counted in
//! [`CallQos::unreadable_reports`] and skipped.

pub mod media;
pub mod observation;
pub mod one_way;
pub mod rtcp;
pub mod rtp_report;
pub mod sip;
pub mod stream;

#[cfg(test)]
mod tests;

pub use observation::{Direction, MediaDirection, MosSource, Observation, ReportKind, StreamKey};
pub use one_way::OneWayAudio;
pub use stream::{Sample, Stat, Stream, Worst};

use argos_model::{PayloadKind, StoredMessage};
use serde::Serialize;

/// Everything the QoS view shows for one call.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CallQos {
    /// One entry per reporter, direction and stream, in order of first report.
    pub streams: Vec<Stream>,
    /// One-way audio findings, each with the reports that show it.
    pub one_way_audio: Vec<OneWayAudio>,
    /// The worst values over all streams.
    pub summary: Summary,
    /// Quality records that could not be read (bad JSON, unknown shape): skipped.
    pub unreadable_reports: u32,
}

/// The worst values over all streams of a call.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Lowest MOS, reported or estimated.
    pub worst_mos: Option<f64>,
    /// Highest loss percentage.
    pub worst_loss_pct: Option<f64>,
    /// Highest jitter, ms.
    pub worst_jitter_ms: Option<f64>,
    /// Number of quality reports read.
    pub reports: u32,
}

/// Builds the QoS view of a call from its stored records (SIP and non-SIP alike).
pub fn assemble(msgs: &[StoredMessage]) -> CallQos {
    let media = media::CallMedia::from_messages(msgs);
    let mut rtt = rtcp::RttTracker::default();
    let mut observations = Vec::new();
    let mut unreadable = 0u32;
    let mut reports = 0u32;
    for m in msgs {
        let c = &m.record.capture;
        let got = match c.kind {
            PayloadKind::RTCP_JSON => rtcp::observations(c, &media, &mut rtt),
            PayloadKind::MOS_FULL | PayloadKind::MOS_SHORT => rtp_report::observations(c, &media),
            PayloadKind::SIP => match sip::observations(m, &media) {
                Ok(v) if v.is_empty() => continue,
                other => other,
            },
            _ => continue,
        };
        match got {
            Ok(v) => {
                reports += 1;
                observations.extend(v);
            }
            Err(_) => unreadable += 1,
        }
    }
    let streams = stream::fold(observations);
    let one_way_audio = one_way::detect(&streams, &media);
    let summary = Summary {
        worst_mos: min_of(streams.iter().filter_map(|s| s.worst.mos)),
        worst_loss_pct: max_of(streams.iter().filter_map(|s| s.worst.loss_pct)),
        worst_jitter_ms: max_of(streams.iter().filter_map(|s| s.worst.jitter_ms)),
        reports,
    };
    CallQos {
        streams,
        one_way_audio,
        summary,
        unreadable_reports: unreadable,
    }
}

/// Why a quality record could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Proto-5 RTCP JSON the tolerant reader still refused.
    #[error("RTCP JSON: {0}")]
    Rtcp(#[from] argos_rtp::hep_json::HepJsonError),
    /// Proto 34/35 payload that is not a JSON object.
    #[error("RTP report: {0}")]
    RtpReport(&'static str),
}

pub(crate) fn min_of(it: impl Iterator<Item = f64>) -> Option<f64> {
    it.filter(|v| v.is_finite()).reduce(f64::min)
}

pub(crate) fn max_of(it: impl Iterator<Item = f64>) -> Option<f64> {
    it.filter(|v| v.is_finite()).reduce(f64::max)
}
