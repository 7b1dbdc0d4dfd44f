//! One-way audio: both sides offered audio, yet the reports show media one way only.
//!
//! Two signs, each named with the reports that show it:
//! - (a) one media direction has reported packets (an SR's packet count, a report
//!   block acknowledging a sequence number, a received count > 0) and the other has
//!   none at all;
//! - (b) a reporter says it received 0 packets while packets were sent its way (an
//!   SR/`PS` count > 0 for that direction) or while it sent some itself.

use super::media::CallMedia;
use super::observation::{Direction, MediaDirection};
use super::stream::Stream;
use serde::Serialize;

/// A one-way audio finding.
#[derive(Debug, Clone, Serialize)]
pub struct OneWayAudio {
    /// What is wrong, in plain words.
    pub text: String,
    /// The media direction that carried no audio, when known.
    pub silent_direction: Option<MediaDirection>,
    /// The reports that show it, one line each.
    pub evidence: Vec<String>,
}

/// Whether a stream shows packets flowing: `Some(true)` when it counts some (or an
/// RTCP block acknowledges a sequence number), `Some(false)` when it counts zero.
fn shows_packets(s: &Stream) -> Option<bool> {
    match s.packets {
        Some(p) => Some(p > 0),
        None if s.direction == Direction::Rx => s.highest_seq.map(|q| q > 0),
        None => None,
    }
}

fn describe(s: &Stream) -> String {
    let kind = serde_json::to_value(s.reporter.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let what = match (s.direction, s.packets, s.highest_seq) {
        (Direction::Tx, Some(p), _) => format!("sent {p} packets"),
        (_, Some(p), _) => format!("received {p} packets"),
        (Direction::Rx, None, Some(q)) => format!("acknowledged sequence {q}"),
        _ => "reported".to_owned(),
    };
    let ssrc = s
        .ssrc
        .map(|x| format!(" SSRC 0x{x:08x}"))
        .unwrap_or_default();
    let flow = match (&s.src, &s.dst) {
        (Some(a), Some(b)) => format!(" ({a} → {b})"),
        _ => String::new(),
    };
    format!("{kind} from {}{ssrc}: {what}{flow}", s.reporter.addr)
}

/// The one-way audio findings of a call's streams.
pub fn detect(streams: &[Stream], media: &CallMedia) -> Vec<OneWayAudio> {
    let mut out = Vec::new();
    // (a) one direction flows, the other shows nothing.
    if media.both_sides_audio() {
        for dir in [
            MediaDirection::CallerToCallee,
            MediaDirection::CalleeToCaller,
        ] {
            let flowing: Vec<&Stream> = streams
                .iter()
                .filter(|s| s.media_direction == Some(dir) && shows_packets(s) == Some(true))
                .collect();
            let back = dir.reverse();
            let back_flows = streams
                .iter()
                .any(|s| s.media_direction == Some(back) && shows_packets(s) == Some(true));
            if !flowing.is_empty() && !back_flows {
                let mut evidence: Vec<String> = flowing.iter().map(|s| describe(s)).collect();
                let silent: Vec<String> = streams
                    .iter()
                    .filter(|s| s.media_direction == Some(back))
                    .map(describe)
                    .collect();
                if silent.is_empty() {
                    evidence.push(format!("no report shows packets {}", back.text()));
                }
                evidence.extend(silent);
                out.push(OneWayAudio {
                    text: format!(
                        "One-way audio: media flowed {} only; no packets were reported {}",
                        dir.text(),
                        back.text()
                    ),
                    silent_direction: Some(back),
                    evidence,
                });
            }
        }
    }
    // (b) a reporter received nothing while packets were sent.
    for rx in streams
        .iter()
        .filter(|s| s.direction != Direction::Tx && s.packets == Some(0))
    {
        let senders: Vec<&Stream> = streams
            .iter()
            .filter(|s| s.direction == Direction::Tx && s.packets.unwrap_or(0) > 0)
            .filter(|s| {
                let same_dir =
                    rx.media_direction.is_some() && s.media_direction == rx.media_direction;
                let same_reporter =
                    s.reporter.addr == rx.reporter.addr && s.reporter.kind == rx.reporter.kind;
                same_dir || same_reporter
            })
            .collect();
        if senders.is_empty() {
            continue;
        }
        let silent = rx.media_direction;
        // (a) already names this direction: add the evidence there.
        if let Some(f) = out
            .iter_mut()
            .find(|f| silent.is_some() && f.silent_direction == silent)
        {
            let line = describe(rx);
            if !f.evidence.contains(&line) {
                f.evidence.push(line);
            }
            continue;
        }
        let mut evidence = vec![describe(rx)];
        evidence.extend(senders.iter().map(|s| describe(s)));
        out.push(OneWayAudio {
            text: format!(
                "One-way audio: {} received no packets{} while packets were sent",
                rx.reporter.addr,
                silent
                    .map(|d| format!(" ({})", d.text()))
                    .unwrap_or_default()
            ),
            silent_direction: silent,
            evidence,
        });
    }
    out
}
