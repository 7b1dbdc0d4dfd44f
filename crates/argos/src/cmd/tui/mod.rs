//! `argos tui`: an sngrep-style terminal UI over capture files, a live interface, a HEP
//! port or a running Argos server. Screens: the call list (one row per Call-ID, filter as
//! you type), a call's flow (a ladder per `IP:port`), a message's raw text, and a diff of
//! two messages. `--dump` prints the call list as text instead, for scripts and tests.
//!
//! Layout: `sources` (+ `api`) produce [`model::Incoming`] messages on a thread, `model`
//! keeps them per call within `--max-calls`, `app` is the state and the keys, `views`
//! draws, `term` runs the loop; `escape` keeps captured control characters off the terminal.

mod api;
mod app;
mod escape;
mod model;
mod sources;
mod term;
mod views;

use anyhow::Context;
use sources::{Source, SourceEvent};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
argos tui capture.pcap\n  \
argos tui -I any\n  \
argos tui --hep udp:0.0.0.0:9060\n  \
argos tui --api http://127.0.0.1:9080 --token $ARGOS_API_TOKEN\n  \
argos tui --dump capture.pcap\n\n\
Keys: list: ↑↓ Enter / q; flow: ↑↓ Enter (raw) Space (mark) d (diff) Esc; diff: u (unified); Q quits anywhere.")]
pub struct Args {
    /// Capture files (pcap/pcapng) to read.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Capture live on this interface (repeatable; `any` = all; root or CAP_NET_RAW).
    #[arg(long, short = 'I', value_name = "IFACE")]
    interface: Vec<String>,
    /// With --interface: kernel filter, tcpdump syntax (needs tcpdump installed); default:
    /// the ports of --port-range.
    #[arg(long, value_name = "EXPR")]
    bpf: Option<String>,
    /// With --interface: SIP ports to capture (ranges and ports, comma-separated).
    #[arg(long, default_value = "5060-5090", value_name = "PORTS")]
    port_range: String,
    /// Listen for HEP: `udp:HOST:PORT`.
    #[arg(long, value_name = "udp:HOST:PORT")]
    hep: Option<String>,
    /// Read the calls of a running Argos server through its API: `http://HOST:PORT` (the
    /// UI asks again every 2 s for new messages; --dump reads once).
    #[arg(long, value_name = "URL")]
    api: Option<String>,
    /// With --api: bearer token.
    #[arg(long, env = "ARGOS_API_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// With --api: calls since (RFC 3339 or epoch seconds; the API's default: last 24 h).
    #[arg(long)]
    since: Option<String>,
    /// Calls kept; past it the oldest call is dropped (and counted in the header).
    #[arg(long, default_value_t = 20_000)]
    max_calls: usize,
    /// No terminal UI: read the source, print the call list as text, exit. Live sources
    /// read until --timeout or Ctrl-C.
    #[arg(long)]
    dump: bool,
    /// Stop reading a live source after this many seconds.
    #[arg(long, value_name = "SECS")]
    timeout: Option<u64>,
    #[command(flatten)]
    wire: super::WireArgs,
}

/// The one source the arguments name.
fn source_of(a: &Args) -> anyhow::Result<Source> {
    let given = usize::from(!a.files.is_empty())
        + usize::from(!a.interface.is_empty())
        + usize::from(a.hep.is_some())
        + usize::from(a.api.is_some());
    if given != 1 {
        anyhow::bail!("give one source: capture FILEs, --interface, --hep or --api");
    }
    if let Some(spec) = &a.hep {
        return Ok(Source::Hep(spec.clone()));
    }
    if let Some(url) = &a.api {
        return Ok(Source::Api(api::ApiSource {
            base: url.trim_end_matches('/').to_string(),
            token: a.token.clone(),
            since: a.since.clone(),
            limit: a.max_calls,
            follow: !a.dump,
        }));
    }
    if !a.interface.is_empty() {
        let bpf = match &a.bpf {
            Some(b) => b.clone(),
            None => argos_agent::default_bpf(&a.port_range, false, false),
        };
        return Ok(Source::Interfaces {
            names: a.interface.clone(),
            bpf,
        });
    }
    Ok(Source::Files(a.files.clone()))
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let source = source_of(&a)?;
    let wire = a.wire.options()?;
    let stop = Arc::new(AtomicBool::new(false));
    let live = !matches!(source, Source::Files(_) | Source::Api(_));
    let mut app = app::App::new(model::CallStore::new(a.max_calls), source.describe());
    let rx = sources::spawn(source, wire, stop.clone());
    if !a.dump {
        if let Some(secs) = a.timeout.filter(|_| live) {
            let s = stop.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_secs(secs));
                s.store(true, Ordering::SeqCst);
            });
        }
        let res = term::run(&mut app, &rx);
        stop.store(true, Ordering::SeqCst);
        return res;
    }
    if live {
        crate::cmd::hep_listen::stop_on(&stop, a.timeout);
    }
    // The source ends by itself (files, API) or at the stop flag (live); its thread
    // always sends Done last.
    for ev in &rx {
        let done = matches!(ev, SourceEvent::Done(_));
        if let SourceEvent::Status(s) | SourceEvent::Done(s) = &ev {
            eprintln!("argos tui: {}", escape::visible(s));
        }
        app.on_source(ev);
        if done {
            break;
        }
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    views::dump_list(&app, &mut out).context("writing the call list")?;
    out.flush()?;
    if app.status.starts_with("error:") {
        anyhow::bail!("{}", escape::visible(&app.status));
    }
    Ok(())
}
