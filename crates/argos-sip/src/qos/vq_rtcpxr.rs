//! RFC 6035 `application/vq-rtcpxr` bodies: `VQSessionReport` / `VQIntervalReport` /
//! `VQAlertReport`, session lines (`CallID`, `LocalAddr`, `RemoteAddr`, …) and one
//! [`QosReport`] per `LocalMetrics:` / `RemoteMetrics:` block.
//!
//! Tolerated beyond the RFC's grammar, because senders do it: CRLF or bare LF line ends,
//! folded lines (a line starting with a blank continues the previous one — the RFC's own
//! examples fold), session lines inside a metrics block (they still describe the
//! session) or before the report-type line, `Metrics:` for `LocalMetrics:`, metric lines before any block header (an
//! implicit local block), `KEY:value` for `KEY=value`, and SSRCs in hex or decimal.

use super::time::rfc3339_us;
use super::values::{available, f64_of, get, join_addr, line_params, ssrc_of};
use super::{Direction, QosError, QosReport, QosSource, ReportKind};

/// Largest body parsed (64 KiB, the SIP parser's header-section limit); a real report
/// is under 2 KiB.
pub const MAX_VQ_BODY: usize = 64 * 1024;

/// Most logical lines read from one body; the rest are ignored.
const MAX_LINES: usize = 1024;

/// Most metrics blocks turned into reports (an RFC 6035 report has one or two).
const MAX_BLOCKS: usize = 16;

/// Parse a vq-rtcpxr body into one report per metrics block (an empty list when the body
/// names a report type but has no block).
pub fn parse_vq_rtcpxr(body: &[u8]) -> Result<Vec<QosReport>, QosError> {
    if body.len() > MAX_VQ_BODY {
        return Err(QosError::TooLarge {
            len: body.len(),
            max: MAX_VQ_BODY,
        });
    }
    let text = String::from_utf8_lossy(body);
    let lines = logical_lines(&text);
    if lines.is_empty() {
        return Err(QosError::Empty);
    }
    // The report type comes first in RFC 6035, but some senders put `CallID:` before it:
    // lines ahead of the type line are read as session lines.
    let (type_at, kind) = lines
        .iter()
        .enumerate()
        .find_map(|(i, l)| Some((i, report_kind(l.0)?)))
        .ok_or(QosError::NotVqReport)?;
    let (before, rest) = lines.split_at(type_at);
    let rest = rest.get(1..).unwrap_or_default();

    let mut session = Session::default();
    for (name, value, _) in before {
        session.read(name, value);
    }
    let mut blocks: Vec<Block> = Vec::new();
    // Whether lines currently go to the last block (false after MAX_BLOCKS).
    let mut in_block = false;
    for (name, value, text) in rest {
        let (name, text) = (*name, *text);
        let direction = match name.to_ascii_lowercase().as_str() {
            "localmetrics" | "metrics" => Some(Direction::Local),
            "remotemetrics" => Some(Direction::Remote),
            _ => None,
        };
        if let Some(direction) = direction {
            in_block = blocks.len() < MAX_BLOCKS;
            if in_block {
                blocks.push(Block::new(direction, text));
            }
            continue;
        }
        let is_session_line = session.read(name, value);
        if !in_block && !is_session_line && is_metric_line(name) && blocks.is_empty() {
            blocks.push(Block::new(Direction::Local, ""));
            in_block = true;
        }
        if in_block {
            if let Some(block) = blocks.last_mut() {
                block.push(name, value, text);
            }
        }
    }
    Ok(blocks
        .into_iter()
        .map(|b| b.into_report(kind, &session))
        .collect())
}

/// The report type on the first line (`VQSessionReport: CallTerm` → Session).
fn report_kind(name: &str) -> Option<ReportKind> {
    let name = name.trim();
    [
        ("VQSessionReport", ReportKind::Session),
        ("VQIntervalReport", ReportKind::Interval),
        ("VQAlertReport", ReportKind::Alert),
    ]
    .into_iter()
    .find(|(n, _)| n.eq_ignore_ascii_case(name))
    .map(|(_, k)| k)
}

fn is_metric_line(name: &str) -> bool {
    [
        "Timestamps",
        "SessionDesc",
        "JitterBuffer",
        "PacketLoss",
        "BurstGapLoss",
        "Delay",
        "Signal",
        "QualityEst",
    ]
    .iter()
    .any(|n| n.eq_ignore_ascii_case(name))
}

/// One logical line: its name (before the first `:`), its value (unfolded, owned only
/// when folded) and its text as received (folds joined by `\n`, for `raw`).
type Line<'a> = (&'a str, std::borrow::Cow<'a, str>, &'a str);

/// Split the body into logical lines, joining folded continuation lines onto the line
/// they continue. Blank lines are skipped. At most [`MAX_LINES`].
fn logical_lines(text: &str) -> Vec<Line<'_>> {
    let mut out: Vec<Line<'_>> = Vec::new();
    // Byte offset where the current logical line starts in `text`.
    let mut line_start = 0;
    let mut offset = 0;
    for physical in text.split_inclusive('\n') {
        let at = offset;
        offset += physical.len();
        let line = physical.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            continue;
        }
        let folded = line.starts_with([' ', '\t']);
        if folded {
            if let Some(last) = out.last_mut() {
                let value = last.1.to_mut();
                value.push(' ');
                value.push_str(line.trim());
                last.2 = text.get(line_start..at + line.len()).unwrap_or(last.2);
                continue;
            }
        }
        if out.len() >= MAX_LINES {
            break;
        }
        line_start = at;
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        out.push((name.trim(), std::borrow::Cow::Borrowed(value.trim()), line));
    }
    out
}

/// Session-level lines, wherever they appear in the body.
#[derive(Default)]
struct Session {
    call_id: Option<String>,
    local: Endpoint,
    remote: Endpoint,
}

#[derive(Default)]
struct Endpoint {
    addr: Option<String>,
    ssrc: Option<u32>,
}

impl Session {
    /// Take `name: value` if it is a session line; whether it was one. The first
    /// occurrence of each line wins.
    fn read(&mut self, name: &str, value: &str) -> bool {
        if name.eq_ignore_ascii_case("CallID") {
            if self.call_id.is_none() {
                self.call_id = available(value).map(str::to_string);
            }
            return true;
        }
        let endpoint = if name.eq_ignore_ascii_case("LocalAddr") {
            &mut self.local
        } else if name.eq_ignore_ascii_case("RemoteAddr") {
            &mut self.remote
        } else {
            return [
                "LocalID",
                "RemoteID",
                "OrigID",
                "LocalGroup",
                "RemoteGroup",
                "LocalMAC",
                "RemoteMAC",
                "DialogID",
            ]
            .iter()
            .any(|n| n.eq_ignore_ascii_case(name));
        };
        if endpoint.addr.is_none() && endpoint.ssrc.is_none() {
            let params = line_params(value);
            endpoint.addr = join_addr(get(&params, "IP"), get(&params, "PORT"));
            endpoint.ssrc = get(&params, "SSRC").and_then(ssrc_of);
        }
        true
    }
}

/// One metrics block being collected.
struct Block {
    report: QosReport,
    /// Whether `r_factor` came from `RCQ` (preferred over `RLQ` whatever the order).
    r_is_conversational: bool,
}

impl Block {
    fn new(direction: Direction, header: &str) -> Self {
        Self {
            report: QosReport {
                source: QosSource::VqRtcpXr,
                direction,
                raw: header.to_string(),
                ..QosReport::default()
            },
            r_is_conversational: false,
        }
    }

    /// Read one line of the block into the report.
    fn push(&mut self, name: &str, value: &str, text: &str) {
        let r = &mut self.report;
        if !r.raw.is_empty() {
            r.raw.push('\n');
        }
        // Folded lines keep their line breaks; CRs add nothing to display.
        r.raw.extend(text.chars().filter(|&c| c != '\r'));
        let line = name.to_ascii_lowercase();
        let params = line_params(value);
        let num = |key: &str| get(&params, key).and_then(f64_of);
        match line.as_str() {
            "timestamps" => {
                r.start_us = get(&params, "START").and_then(rfc3339_us);
                r.stop_us = get(&params, "STOP").and_then(rfc3339_us);
            }
            "sessiondesc" => {
                r.codec = get(&params, "PD").and_then(available).map(str::to_string);
            }
            "packetloss" => {
                r.loss_pct = num("NLR");
                r.discard_pct = num("JDR");
            }
            "burstgaploss" => {
                r.burst_density_pct = num("BLD");
                r.gap_density_pct = num("GLD");
            }
            "delay" => {
                r.rtt_ms = num("RTD");
                r.end_system_delay_ms = num("ESD");
                r.one_way_delay_ms = num("SOWD");
                r.jitter_ms = num("IAJ");
            }
            "qualityest" => {
                r.mos_lq = num("MOSLQ");
                r.mos_cq = num("MOSCQ");
                match (num("RCQ"), num("RLQ")) {
                    (Some(rcq), _) => {
                        r.r_factor = Some(rcq);
                        self.r_is_conversational = true;
                    }
                    (None, Some(rlq)) if !self.r_is_conversational => r.r_factor = Some(rlq),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn into_report(self, kind: ReportKind, session: &Session) -> QosReport {
        let mut r = self.report;
        r.kind = kind;
        r.call_id.clone_from(&session.call_id);
        r.local_addr.clone_from(&session.local.addr);
        r.remote_addr.clone_from(&session.remote.addr);
        // LocalAddr/RemoteAddr SSRC is what each end sends: the local end measures the
        // remote end's stream and the other way round.
        r.ssrc = match r.direction {
            Direction::Local => session.remote.ssrc,
            Direction::Remote => session.local.ssrc,
        };
        r
    }
}
