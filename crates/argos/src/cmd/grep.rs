//! `argos grep [PATTERN] FILE...`: sipgrep over capture files. Reads pcap/pcapng files the
//! way `argos import` does (`argos_wire::read_captures` + `pipeline::parse`), keeps the
//! messages that match a regex and/or field filters, and prints them — by default with
//! the rest of their dialog (same Call-ID). Optional: a pcap of the selection (`-w`), a
//! per-dialog report (`-G`), and a list of known scanner User-Agents seen.
//!
//! Exit codes follow grep: 0 something matched, 1 nothing matched, 2 an error (a file
//! that could not be read at all; a truncated file is a warning, its frames are used).

use anyhow::Context;
use argos_model::Record;
use argos_wire::{read_captures_with, ImportCounts};
use regex::{Regex, RegexBuilder};
use std::collections::{HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorMode {
    Auto,
    Always,
    Never,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
argos grep -i 'busy here' capture.pcap\n  \
argos grep --to 4861 --status 486 -G calls.pcapng\n  \
argos grep --method REGISTER -q capture.pcap\n  \
argos grep --header 'User-Agent=friendly' -w scanners.pcap capture.pcap")]
pub struct Args {
    /// [PATTERN] FILE...: the regex (matched against the whole raw message, multi-line)
    /// then the capture files. PATTERN may be left out when `-e` or a field filter
    /// (--from/--to/--method/--status/--header) is given and the first argument is a file.
    #[arg(required_unless_present_any = ["hep", "interface"], value_name = "[PATTERN] FILE")]
    args: Vec<String>,
    /// Listen for HEP instead of reading files: `udp:HOST:PORT`. Matches print as they
    /// arrive (with the earlier messages of their dialog); -w/-G/-q and the scanner list
    /// come at the end: Ctrl-C or --timeout.
    #[arg(long, value_name = "udp:HOST:PORT")]
    hep: Option<String>,
    /// Capture live on this interface instead of reading files (repeatable; `any` = all;
    /// root or CAP_NET_RAW). Matches print as they arrive, like --hep.
    #[arg(long, short = 'I', value_name = "IFACE", conflicts_with = "hep")]
    interface: Vec<String>,
    /// With --interface: kernel filter, tcpdump syntax (needs tcpdump installed); default:
    /// the ports of --port-range.
    #[arg(long, value_name = "EXPR")]
    bpf: Option<String>,
    /// With --interface: SIP ports to capture (ranges and ports, comma-separated).
    #[arg(long, default_value = "5060-5090", value_name = "PORTS")]
    port_range: String,
    /// With --hep or --interface: stop after this many seconds.
    #[arg(long, value_name = "SECS")]
    timeout: Option<u64>,
    /// The pattern, given explicitly (then every positional argument is a file).
    #[arg(short = 'e', long = "regexp", value_name = "PATTERN")]
    regexp: Option<String>,
    /// Case-insensitive PATTERN, --header regexes and --from/--to/--method.
    #[arg(short = 'i', long)]
    ignore_case: bool,
    /// Header value match, `NAME=REGEX` (repeatable; all must match). Compact header
    /// forms (f, t, i, m, v...) count as their long names.
    #[arg(long = "header", value_name = "NAME=REGEX")]
    headers: Vec<String>,
    /// From user (exact).
    #[arg(long = "from", value_name = "USER")]
    from: Option<String>,
    /// To user (exact).
    #[arg(long = "to", value_name = "USER")]
    to: Option<String>,
    /// Request method (requests only).
    #[arg(long = "method", value_name = "METHOD")]
    method: Option<String>,
    /// Response status: a code (486) or a class (4xx).
    #[arg(long = "status", value_name = "CODE")]
    status: Option<String>,
    /// Print whole dialogs (by Call-ID) that hold a matching message (default).
    #[arg(short = 'd', long = "dialog", overrides_with = "no_dialog")]
    dialog: bool,
    /// Print only the matching messages.
    #[arg(long = "no-dialog", overrides_with = "dialog")]
    no_dialog: bool,
    /// Colour: start lines, header names, match highlights.
    #[arg(long, value_enum, default_value_t = ColorMode::Auto)]
    color: ColorMode,
    /// Print only the number of matching messages.
    #[arg(short = 'q', long = "quiet", alias = "count")]
    quiet: bool,
    /// Write the selected messages (whole dialogs unless --no-dialog) to this pcap.
    #[arg(short = 'w', long = "write", value_name = "FILE.pcap")]
    write: Option<PathBuf>,
    /// At the end, one line per selected dialog: call-id, from, to, first method, final
    /// status, duration, messages.
    #[arg(short = 'G', long = "report")]
    report: bool,
    #[command(flatten)]
    wire: super::WireArgs,
}

/// Scanner User-Agents seen: requests per source address, and one line per dialog.
#[derive(Default)]
struct ScannerTally {
    sources: HashMap<std::net::IpAddr, (String, usize)>,
    dialogs: Vec<(String, String, String)>,
    seen: HashSet<String>,
}

impl ScannerTally {
    fn add(&mut self, rec: &Record, re: &argos_track::alarm::UaMatcher) {
        let f = &rec.fields;
        let Some(ua) = f.user_agent.as_deref() else {
            return;
        };
        let Some(tool) = re.find(ua) else { return };
        if f.method.is_some() {
            let e = self
                .sources
                .entry(rec.capture.src.ip())
                .or_insert_with(|| (tool.to_string(), 0));
            e.1 += 1;
        }
        let cid = f.call_id.as_deref().unwrap_or("-");
        if self.seen.insert(cid.to_string()) {
            self.dialogs
                .push((cid.to_string(), rec.capture.src.to_string(), ua.to_string()));
        }
    }
}

/// Reads one capture file through the packet path, handing each capture to `each`;
/// `None` (after saying why) when the file cannot be read at all.
fn read_file(
    path: &Path,
    wire: &argos_wire::WireOptions,
    mut each: impl FnMut(argos_model::Capture),
) -> Option<ImportCounts> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("argos grep: {}: {e}", path.display());
            return None;
        }
    };
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    match read_captures_with(reader, wire, |c| {
        each(c);
        true
    }) {
        Ok(n) => {
            if n.file_errors > 0 {
                eprintln!(
                    "argos grep: {}: {} file error(s): truncated or corrupt record; {} frames before it were read",
                    path.display(),
                    n.file_errors,
                    n.frames
                );
            }
            Some(n)
        }
        Err(e) => {
            eprintln!(
                "argos grep: {}: not a readable capture: {e}",
                path.display()
            );
            None
        }
    }
}

/// Known scanner tools: `argos_track`'s scanner rule default list and matcher.
fn scanner_matcher() -> argos_track::alarm::UaMatcher {
    argos_track::alarm::UaMatcher::new(&argos_track::alarm::ScannerConfig::default().user_agents)
}

/// Long names of the compact header forms (RFC 3261 7.3.3 and extensions).
fn long_header_name(name: &str) -> &str {
    match name.to_ascii_lowercase().as_str() {
        "f" => "from",
        "t" => "to",
        "i" => "call-id",
        "m" => "contact",
        "v" => "via",
        "l" => "content-length",
        "c" => "content-type",
        "k" => "supported",
        "s" => "subject",
        "e" => "content-encoding",
        "o" => "event",
        "r" => "refer-to",
        "b" => "referred-by",
        "u" => "allow-events",
        "x" => "session-expires",
        _ => name,
    }
}

/// The compiled filters; every one given must match.
struct Matcher {
    pattern: Option<Regex>,
    headers: Vec<(String, Regex)>,
    from: Option<String>,
    to: Option<String>,
    method: Option<String>,
    status: Option<(u16, u16)>,
    ignore_case: bool,
}

impl Matcher {
    fn eq(&self, a: &str, b: &str) -> bool {
        if self.ignore_case {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    }

    fn matches(&self, r: &Record, text: &str) -> bool {
        let f = &r.fields;
        if let Some(m) = &self.method {
            if !f
                .method
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(m))
            {
                return false;
            }
        }
        if let Some((lo, hi)) = self.status {
            if !f.status.is_some_and(|s| s >= lo && s <= hi) {
                return false;
            }
        }
        if let Some(u) = &self.from {
            if !f.from_user.as_deref().is_some_and(|x| self.eq(x, u)) {
                return false;
            }
        }
        if let Some(u) = &self.to {
            if !f.to_user.as_deref().is_some_and(|x| self.eq(x, u)) {
                return false;
            }
        }
        for (name, re) in &self.headers {
            if !header_values(text)
                .any(|(n, v)| long_header_name(n).eq_ignore_ascii_case(name) && re.is_match(v))
            {
                return false;
            }
        }
        match &self.pattern {
            Some(re) => re.is_match(text),
            None => true,
        }
    }
}

/// `(name, value)` of each header line of a SIP message (folded lines not joined).
fn header_values(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.split('\n')
        .skip(1)
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .take_while(|l| !l.is_empty())
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            Some((n.trim(), v.trim()))
        })
}

fn build_matcher(a: &Args, pattern: Option<&str>) -> anyhow::Result<Matcher> {
    let re = |p: &str| -> anyhow::Result<Regex> {
        RegexBuilder::new(p)
            .case_insensitive(a.ignore_case)
            .multi_line(true)
            .build()
            .with_context(|| format!("bad regex {p:?}"))
    };
    let pattern = match pattern {
        Some(p) if !p.is_empty() => Some(re(p)?),
        _ => None,
    };
    let mut headers = Vec::new();
    for h in &a.headers {
        let (n, r) = h
            .split_once('=')
            .with_context(|| format!("--header {h}: expected NAME=REGEX"))?;
        headers.push((long_header_name(n.trim()).to_ascii_lowercase(), re(r)?));
    }
    let status = match &a.status {
        None => None,
        Some(s) => {
            let s = s.trim().to_ascii_lowercase();
            if let Some(c) = s.strip_suffix("xx") {
                let d: u16 = c
                    .parse()
                    .ok()
                    .filter(|d| (1..=6).contains(d))
                    .with_context(|| {
                        format!("--status {s}: expected a code or a class like 4xx")
                    })?;
                Some((d * 100, d * 100 + 99))
            } else {
                let c: u16 = s.parse().with_context(|| {
                    format!("--status {s}: expected a code or a class like 4xx")
                })?;
                Some((c, c))
            }
        }
    };
    Ok(Matcher {
        pattern,
        headers,
        from: a.from.clone(),
        to: a.to.clone(),
        method: a.method.clone(),
        status,
        ignore_case: a.ignore_case,
    })
}

/// Splits the positional arguments into the pattern and the files.
fn split_args(a: &Args) -> anyhow::Result<(Option<String>, Vec<PathBuf>)> {
    if let Some(p) = &a.regexp {
        if (a.hep.is_some() || !a.interface.is_empty()) && !a.args.is_empty() {
            anyhow::bail!("--hep and --interface read no files");
        }
        return Ok((Some(p.clone()), a.args.iter().map(PathBuf::from).collect()));
    }
    if a.hep.is_some() || !a.interface.is_empty() {
        if a.args.len() > 1 {
            anyhow::bail!("--hep and --interface read no files: give only the PATTERN");
        }
        return Ok((a.args.first().cloned(), Vec::new()));
    }
    let has_filter = a.from.is_some()
        || a.to.is_some()
        || a.method.is_some()
        || a.status.is_some()
        || !a.headers.is_empty();
    let first_is_file = a.args.first().is_some_and(|f| Path::new(f).is_file());
    if has_filter && first_is_file {
        return Ok((None, a.args.iter().map(PathBuf::from).collect()));
    }
    if a.args.len() < 2 {
        anyhow::bail!("no capture file given (usage: argos grep [PATTERN] FILE...)");
    }
    Ok((
        Some(a.args[0].clone()),
        a.args[1..].iter().map(PathBuf::from).collect(),
    ))
}

/// One message read from a capture, with its text.
struct Msg {
    rec: Record,
    text: String,
    matched: bool,
}

/// `YYYY-MM-DD HH:MM:SS.uuuuuu` (UTC) of microseconds since the epoch.
fn fmt_ts(ts_us: i64) -> String {
    const FORMAT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:6]"
    );
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ts_us) * 1000)
        .ok()
        .and_then(|t| t.format(FORMAT).ok())
        .unwrap_or_else(|| ts_us.to_string())
}

const RESET: &str = "\x1b[0m";
const C_META: &str = "\x1b[32m";
const C_START: &str = "\x1b[1;36m";
const C_NAME: &str = "\x1b[33m";
const C_MATCH: &str = "\x1b[1;31m";

/// Writes one message: a header line, then the message (coloured when asked).
fn print_msg(
    out: &mut impl Write,
    m: &Msg,
    pattern: Option<&Regex>,
    color: bool,
) -> std::io::Result<()> {
    let c = &m.rec.capture;
    let meta = format!(
        "{} {} -> {} {}{}",
        fmt_ts(c.ts_us),
        c.src,
        c.dst,
        c.transport.name(),
        if m.matched { "" } else { " (dialog)" }
    );
    if !color {
        writeln!(out, "{meta}")?;
        out.write_all(m.text.as_bytes())?;
        if !m.text.ends_with('\n') {
            writeln!(out)?;
        }
        return writeln!(out);
    }
    writeln!(out, "{C_META}{meta}{RESET}")?;
    let text = &m.text;
    // Style per byte: 0 plain, 1 start line, 2 header name, 3 match.
    let mut style = vec![0u8; text.len()];
    let mut pos = 0;
    let mut in_headers = true;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let body = line.trim_end_matches(['\r', '\n']);
        if i == 0 {
            style[pos..pos + body.len()].fill(1);
        } else if in_headers {
            if body.is_empty() {
                in_headers = false;
            } else if let Some(colon) = body.find(':') {
                if !body.starts_with([' ', '\t']) {
                    style[pos..pos + colon].fill(2);
                }
            }
        }
        pos += line.len();
    }
    if let Some(re) = pattern {
        for mt in re.find_iter(text) {
            style[mt.start()..mt.end()].fill(3);
        }
    }
    let mut start = 0;
    while start < text.len() {
        let s = style[start];
        let mut end = start + 1;
        while end < text.len() && style[end] == s {
            end += 1;
        }
        let chunk = &text[start..end];
        match s {
            1 => write!(out, "{C_START}{chunk}{RESET}")?,
            2 => write!(out, "{C_NAME}{chunk}{RESET}")?,
            3 => write!(out, "{C_MATCH}{chunk}{RESET}")?,
            _ => out.write_all(chunk.as_bytes())?,
        }
        start = end;
    }
    if !text.ends_with('\n') {
        writeln!(out)?;
    }
    writeln!(out)
}

/// One line of the `-G` report.
fn report_line(msgs: &[&Msg]) -> String {
    let first = msgs[0];
    let f = &first.rec.fields;
    let first_method = msgs
        .iter()
        .find_map(|m| m.rec.fields.method.clone())
        .or_else(|| f.cseq_method.clone())
        .unwrap_or_else(|| "-".into());
    // The last final response to the first method, else the last response at all.
    let status = msgs
        .iter()
        .rev()
        .filter_map(|m| {
            let mf = &m.rec.fields;
            let s = mf.status?;
            (s >= 200 && mf.cseq_method.as_deref() == Some(first_method.as_str())).then_some(s)
        })
        .next()
        .or_else(|| msgs.iter().rev().find_map(|m| m.rec.fields.status));
    let from = msgs.iter().find_map(|m| m.rec.fields.from_user.clone());
    let to = msgs.iter().find_map(|m| m.rec.fields.to_user.clone());
    let dur = (msgs[msgs.len() - 1].rec.capture.ts_us - first.rec.capture.ts_us) as f64 / 1e6;
    format!(
        "{} from={} to={} method={} status={} duration={:.3}s messages={}",
        f.call_id.as_deref().unwrap_or("-"),
        from.as_deref().unwrap_or("-"),
        to.as_deref().unwrap_or("-"),
        first_method,
        status.map_or_else(|| "-".to_string(), |s| s.to_string()),
        dur,
        msgs.len()
    )
}

/// Live input (`--hep`, `--interface`): messages are matched and printed as they arrive
/// (in dialog mode: a dialog's earlier messages first, then every later one).
struct LivePrinter<'a> {
    a: &'a Args,
    matcher: &'a Matcher,
    color: bool,
    dialog_mode: bool,
    cfg: argos_server::pipeline::PipelineConfig,
    metrics: argos_server::metrics::Metrics,
    /// Call-ID → indexes in `msgs`, and whether the dialog has matched (printing live).
    dialogs: HashMap<String, (Vec<usize>, bool)>,
}

impl LivePrinter<'_> {
    fn offer(&mut self, c: argos_model::Capture, msgs: &mut Vec<Msg>) -> anyhow::Result<()> {
        if c.kind != argos_model::PayloadKind::SIP {
            return Ok(());
        }
        let rec = argos_server::pipeline::parse(c, &self.cfg, &self.metrics);
        let text = String::from_utf8_lossy(&rec.capture.payload).into_owned();
        let matched = self.matcher.matches(&rec, &text);
        let idx = msgs.len();
        let cid = rec.fields.call_id.clone();
        msgs.push(Msg { rec, text, matched });
        if self.a.quiet {
            return Ok(());
        }
        let mut to_print: Vec<usize> = Vec::new();
        match (self.dialog_mode, cid) {
            (true, Some(cid)) => {
                let d = self.dialogs.entry(cid).or_default();
                d.0.push(idx);
                if d.1 {
                    to_print.push(idx);
                } else if matched {
                    d.1 = true;
                    to_print.extend(d.0.iter().copied());
                }
            }
            _ => {
                if matched {
                    to_print.push(idx);
                }
            }
        }
        if !to_print.is_empty() {
            let mut out = std::io::stdout().lock();
            for i in to_print {
                print_msg(
                    &mut out,
                    &msgs[i],
                    self.matcher.pattern.as_ref(),
                    self.color,
                )?;
            }
            out.flush()?;
        }
        Ok(())
    }
}

/// `--hep udp:HOST:PORT`: receives HEP until Ctrl-C or the timeout.
fn listen_hep(spec: &str, p: &mut LivePrinter<'_>, msgs: &mut Vec<Msg>) -> anyhow::Result<()> {
    let mut hep = super::hep_listen::HepListener::bind(spec)?;
    eprintln!("argos grep: listening for HEP on udp:{}", hep.local_addr()?);
    let stop = super::hep_listen::stop_flag(p.a.timeout);
    while let Some(c) = hep.next(&stop)? {
        p.offer(c, msgs)?;
    }
    Ok(())
}

/// `--interface IFACE`: captures live (AF_PACKET ring) until Ctrl-C or the timeout, through
/// the same packet path as files.
fn listen_interfaces(
    p: &mut LivePrinter<'_>,
    wire: &argos_wire::WireOptions,
    msgs: &mut Vec<Msg>,
) -> anyhow::Result<()> {
    use std::sync::atomic::Ordering;
    let a = p.a;
    let bpf = match &a.bpf {
        Some(b) => b.clone(),
        None => argos_agent::default_bpf(&a.port_range, false, false),
    };
    let live = argos_agent::LiveInput {
        interfaces: a.interface.clone(),
        bpf: Some(bpf.clone()),
        ..argos_agent::LiveInput::default()
    };
    eprintln!(
        "argos grep: capturing on {} (filter: {bpf}); Ctrl-C to stop",
        a.interface.join(", ")
    );
    let stop = super::hep_listen::stop_flag(a.timeout);
    let mut err = None;
    let mut on_pcap_error = |_e: argos_agent::pcap_out::PcapOutError| {};
    let (_, summary) =
        argos_agent::live::run(&live, wire, &stop, None, &mut on_pcap_error, &mut |ev| {
            if let argos_agent::live::LiveEvent::Capture(c) = ev {
                if err.is_none() {
                    if let Err(e) = p.offer(c, msgs) {
                        err = Some(e);
                        stop.store(true, Ordering::SeqCst);
                    }
                }
            }
        })?;
    if let Some(e) = err {
        return Err(e);
    }
    for i in summary.interfaces {
        if i.drops > 0 {
            eprintln!(
                "argos grep: {}: {} frames lost in the capture ring",
                i.name, i.drops
            );
        }
    }
    Ok(())
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let (pattern, files) = split_args(&a)?;
    let matcher = build_matcher(&a, pattern.as_deref())?;
    let dialog_mode = !a.no_dialog;
    let color = match a.color {
        ColorMode::Always => true,
        ColorMode::Never => false,
        ColorMode::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };

    // Files are read twice when messages are to be printed: the first pass matches and
    // keeps only the Call-IDs of dialogs holding a match (and the scanner tallies); the
    // second keeps the messages of those dialogs. Memory follows what is printed, not the
    // size of the files, and there is no dialog limit.
    let cfg = argos_server::pipeline::PipelineConfig::default();
    let metrics = argos_server::metrics::Metrics::default();
    let mut msgs: Vec<Msg> = Vec::new();
    let mut total = ImportCounts::default();
    let wire = a.wire.options()?;
    let mut failed = 0usize;
    let mut scan = ScannerTally::default();
    let scanners = scanner_matcher();
    let mut matched_cids: HashSet<String> = HashSet::new();
    let mut matched_msgs = 0usize;
    let mut read_msgs = 0usize;
    let mut readable: Vec<&PathBuf> = Vec::new();
    for path in &files {
        let res = read_file(path, &wire, |c| {
            let rec = argos_server::pipeline::parse(c, &cfg, &metrics);
            read_msgs += 1;
            scan.add(&rec, &scanners);
            if matcher.matches(&rec, &String::from_utf8_lossy(&rec.capture.payload)) {
                matched_msgs += 1;
                if let Some(cid) = &rec.fields.call_id {
                    matched_cids.insert(cid.clone());
                }
            }
        });
        match res {
            Some(n) => {
                total.add(&n);
                readable.push(path);
            }
            None => failed += 1,
        }
    }
    let print_any = matched_msgs > 0 && (!a.quiet || a.write.is_some() || a.report);
    if print_any {
        for path in &readable {
            read_file(path, &wire, |c| {
                let rec = argos_server::pipeline::parse(c, &cfg, &metrics);
                let in_dialog = dialog_mode
                    && rec
                        .fields
                        .call_id
                        .as_ref()
                        .is_some_and(|c| matched_cids.contains(c));
                let text = String::from_utf8_lossy(&rec.capture.payload).into_owned();
                let matched = matcher.matches(&rec, &text);
                if matched || in_dialog {
                    msgs.push(Msg { rec, text, matched });
                }
            });
        }
    }
    // TCP messages are handed over when their stream is reassembled: put time order back.
    let live = a.hep.is_some() || !a.interface.is_empty();
    if live {
        let mut p = LivePrinter {
            a: &a,
            matcher: &matcher,
            color,
            dialog_mode,
            cfg: argos_server::pipeline::PipelineConfig::default(),
            metrics: argos_server::metrics::Metrics::default(),
            dialogs: HashMap::new(),
        };
        match &a.hep {
            Some(spec) => listen_hep(spec, &mut p, &mut msgs)?,
            None => listen_interfaces(&mut p, &wire, &mut msgs)?,
        }
        for m in &msgs {
            scan.add(&m.rec, &scanners);
        }
        read_msgs += msgs.len();
        matched_msgs += msgs.iter().filter(|m| m.matched).count();
    }
    msgs.sort_by_key(|m| m.rec.capture.ts_us);

    // Dialogs by Call-ID, in order of their first message; no Call-ID: a dialog of one.
    let mut order: Vec<Vec<usize>> = Vec::new();
    let mut by_cid: HashMap<&str, usize> = HashMap::new();
    for (i, m) in msgs.iter().enumerate() {
        match m.rec.fields.call_id.as_deref() {
            Some(cid) => {
                let d = *by_cid.entry(cid).or_insert_with(|| {
                    order.push(Vec::new());
                    order.len() - 1
                });
                order[d].push(i);
            }
            None => order.push(vec![i]),
        }
    }
    // The selection: dialogs (all or only matching messages) holding a match.
    let selected: Vec<Vec<&Msg>> = order
        .iter()
        .filter(|d| d.iter().any(|&i| msgs[i].matched))
        .map(|d| {
            d.iter()
                .map(|&i| &msgs[i])
                .filter(|m| dialog_mode || m.matched)
                .collect()
        })
        .collect();

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if a.quiet {
        writeln!(out, "{matched_msgs}")?;
    } else if !live {
        let pat = matcher.pattern.as_ref();
        for d in &selected {
            if dialog_mode {
                let cid = d[0].rec.fields.call_id.as_deref().unwrap_or("-");
                if color {
                    writeln!(
                        out,
                        "\x1b[1m=== dialog {cid} ({} messages) ==={RESET}",
                        d.len()
                    )?;
                } else {
                    writeln!(out, "=== dialog {cid} ({} messages) ===", d.len())?;
                }
            }
            for m in d {
                print_msg(&mut out, m, pat, color)?;
            }
        }
    }

    if let Some(path) = &a.write {
        let file =
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut ex = argos_server::export::PcapExporter::new(std::io::BufWriter::new(file))?;
        let mut sel: Vec<&Msg> = selected.iter().flatten().copied().collect();
        sel.sort_by_key(|m| m.rec.capture.ts_us);
        for m in &sel {
            ex.write(&m.rec.capture)?;
        }
        let frames = ex.frames();
        ex.into_inner()?.flush()?;
        eprintln!(
            "argos grep: wrote {} messages ({frames} frames) to {}",
            sel.len(),
            path.display()
        );
    }

    if a.report {
        writeln!(
            out,
            "--- report: {} dialog(s), {matched_msgs} matching message(s) ---",
            selected.len()
        )?;
        for d in &selected {
            writeln!(out, "{}", report_line(d))?;
        }
    }

    // Scanners among everything read (not only the selection): dialogs and sources.
    if !a.quiet || a.report {
        let ScannerTally {
            sources, dialogs, ..
        } = std::mem::take(&mut scan);
        if !dialogs.is_empty() {
            let mut lines = vec![format!(
                "--- scanners: {} source(s), {} dialog(s) with a known scanner User-Agent ---",
                sources.len(),
                dialogs.len()
            )];
            let mut srcs: Vec<_> = sources.into_iter().collect();
            srcs.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then(a.0.cmp(&b.0)));
            for (ip, (tool, n)) in srcs {
                lines.push(format!("scanner source {ip} tool={tool} requests={n}"));
            }
            for (cid, src, ua) in dialogs {
                lines.push(format!("scanner dialog {cid} from {src} user-agent={ua:?}"));
            }
            // On stdout with the report; otherwise on stderr, so stdout stays grep output.
            for l in lines {
                if a.report {
                    writeln!(out, "{l}")?;
                } else {
                    eprintln!("argos grep: {l}");
                }
            }
        }
    }
    out.flush()?;
    drop(out);

    if total.file_errors > 0 || failed > 0 || total.skipped_undecodable > 0 {
        eprintln!(
            "argos grep: {} file(s) read, {} frames, {} SIP messages; {} file error(s), {} file(s) unreadable, {} undecodable frames",
            files.len() - failed,
            total.frames,
            read_msgs,
            total.file_errors,
            failed,
            total.skipped_undecodable
        );
    }
    if let Some(t) = super::describe_tls(&total.tls) {
        eprintln!("argos grep: {t}");
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} file(s) could not be read", files.len());
    }
    if matched_msgs == 0 {
        std::process::exit(1);
    }
    Ok(())
}
