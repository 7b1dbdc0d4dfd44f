//! Where messages come from: capture files, live interfaces, a HEP port or a running Argos
//! server. Each source runs on its own thread and hands [`SourceEvent`]s to the UI through
//! a bounded channel, so parsing never stalls the screen; a file source waits for the UI
//! (nothing lost), a live source's backlog shows up as the kernel ring's counted drops.

use super::model::Incoming;
use anyhow::Context;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

/// Messages buffered between a source thread and the UI.
const CHANNEL_DEPTH: usize = 8192;

/// What a source thread reports.
#[derive(Debug)]
pub enum SourceEvent {
    Message(Box<Incoming>),
    /// A line for the header: what the source is doing, or a non-fatal problem.
    Status(String),
    /// The source has ended (a file read to its end, a timeout, an error), with why.
    Done(String),
}

/// The input chosen on the command line.
#[derive(Debug, Clone)]
pub enum Source {
    Files(Vec<PathBuf>),
    Interfaces { names: Vec<String>, bpf: String },
    Hep(String),
    Api(super::api::ApiSource),
}

impl Source {
    /// A short name for the header.
    pub fn describe(&self) -> String {
        match self {
            Source::Files(f) => f
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            Source::Interfaces { names, .. } => format!("live {}", names.join(",")),
            Source::Hep(spec) => format!("HEP {spec}"),
            Source::Api(a) => format!("API {}", a.base),
        }
    }
}

/// Starts `source` on a thread; it stops when `stop` is set or the receiver is dropped.
pub fn spawn(
    source: Source,
    wire: argos_wire::WireOptions,
    stop: Arc<AtomicBool>,
) -> Receiver<SourceEvent> {
    let (tx, rx) = sync_channel(CHANNEL_DEPTH);
    std::thread::spawn(move || {
        let res = match &source {
            Source::Files(files) => read_files(files, &wire, &stop, &tx),
            Source::Interfaces { names, bpf } => capture_live(names, bpf, &wire, &stop, &tx),
            Source::Hep(spec) => listen_hep(spec, &stop, &tx),
            Source::Api(api) => api.fetch(&stop, &tx),
        };
        let end = match res {
            Ok(summary) => summary,
            Err(e) => format!("error: {e:#}"),
        };
        let _ = tx.send(SourceEvent::Done(end));
    });
    rx
}

/// Parses one capture; `None` for what is not SIP.
struct Parser {
    cfg: argos_server::pipeline::PipelineConfig,
    metrics: argos_server::metrics::Metrics,
}

impl Parser {
    fn new() -> Self {
        Parser {
            cfg: argos_server::pipeline::PipelineConfig::default(),
            metrics: argos_server::metrics::Metrics::default(),
        }
    }

    fn parse(&self, c: argos_model::Capture) -> Option<Incoming> {
        if c.kind != argos_model::PayloadKind::SIP {
            return None;
        }
        let rec = argos_server::pipeline::parse(c, &self.cfg, &self.metrics);
        Some(Incoming::from_record(&rec))
    }
}

/// Sends one message; false when the UI is gone or asked to stop.
fn send(tx: &SyncSender<SourceEvent>, stop: &AtomicBool, m: Incoming) -> bool {
    !stop.load(Ordering::Relaxed) && tx.send(SourceEvent::Message(Box::new(m))).is_ok()
}

fn read_files(
    files: &[PathBuf],
    wire: &argos_wire::WireOptions,
    stop: &AtomicBool,
    tx: &SyncSender<SourceEvent>,
) -> anyhow::Result<String> {
    let parser = Parser::new();
    let mut total = argos_wire::ImportCounts::default();
    let mut sip = 0u64;
    for path in files {
        let file = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
        let reader = std::io::BufReader::with_capacity(1 << 20, file);
        let n = argos_wire::read_captures_with(reader, wire, |c| match parser.parse(c) {
            Some(m) => {
                sip += 1;
                send(tx, stop, m)
            }
            None => !stop.load(Ordering::Relaxed),
        })
        .with_context(|| format!("{}: not a readable capture", path.display()))?;
        if n.file_errors > 0 {
            let _ = tx.send(SourceEvent::Status(format!(
                "{}: truncated or corrupt record after {} frames",
                path.display(),
                n.frames
            )));
        }
        total.add(&n);
    }
    Ok(format!(
        "read {} file(s): {} frames, {sip} SIP messages",
        files.len(),
        total.frames
    ))
}

fn listen_hep(
    spec: &str,
    stop: &AtomicBool,
    tx: &SyncSender<SourceEvent>,
) -> anyhow::Result<String> {
    let mut hep = crate::cmd::hep_listen::HepListener::bind(spec)?;
    let _ = tx.send(SourceEvent::Status(format!(
        "listening for HEP on udp:{}",
        hep.local_addr()?
    )));
    let parser = Parser::new();
    while let Some(c) = hep.next(stop)? {
        if let Some(m) = parser.parse(c) {
            if !send(tx, stop, m) {
                break;
            }
        }
    }
    Ok(format!(
        "{} HEP packets, {} not decodable",
        hep.packets, hep.rejected
    ))
}

fn capture_live(
    names: &[String],
    bpf: &str,
    wire: &argos_wire::WireOptions,
    stop: &AtomicBool,
    tx: &SyncSender<SourceEvent>,
) -> anyhow::Result<String> {
    let live = argos_agent::LiveInput {
        interfaces: names.to_vec(),
        bpf: Some(bpf.to_string()),
        ..argos_agent::LiveInput::default()
    };
    let _ = tx.send(SourceEvent::Status(format!(
        "capturing on {} (filter: {bpf})",
        names.join(", ")
    )));
    let parser = Parser::new();
    let mut on_pcap_error = |_e: argos_agent::pcap_out::PcapOutError| {};
    let (counts, summary) =
        argos_agent::live::run(&live, wire, stop, None, &mut on_pcap_error, &mut |ev| {
            if let argos_agent::live::LiveEvent::Capture(c) = ev {
                if let Some(m) = parser.parse(c) {
                    // The UI is gone: nothing more to capture for.
                    if tx.send(SourceEvent::Message(Box::new(m))).is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                }
            }
        })?;
    let drops: u64 = summary.interfaces.iter().map(|i| i.drops).sum();
    Ok(format!(
        "captured {} frames, {drops} lost in the capture ring",
        counts.frames
    ))
}
