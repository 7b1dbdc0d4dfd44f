//! `argos import FILE...`: capture files (or Argos archives) into the store, through the same pipeline as the
//! collector, with a progress bar and a summary.

use super::{Correlation, DataDir};
use anyhow::Context;
use argos_wire::{read_captures_with, ImportCounts};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    data: DataDir,
    /// pcap or pcapng files, or Argos archives (`argos archive export`).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    wire: super::WireArgs,
    #[command(flatten)]
    correlation: Correlation,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// Counts bytes read so the progress bar follows the file.
struct Counting<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let wire = a.wire.options()?;
    let ingest = super::OfflineIngest::start(&a.data, &a.correlation)?;
    let handle = &ingest.handle;
    let mut total = ImportCounts::default();
    let mut failed = 0usize;
    for path in &a.files {
        // An Argos archive (`argos archive export`) is restored, not read as a capture.
        if super::archive::is_archive_file(path) {
            match super::archive::restore_file(path, handle, a.quiet) {
                Ok(r) => {
                    eprintln!("{}", r.describe(path));
                    failed += usize::from(r.records == 0 && r.error.is_some());
                }
                Err(e) => {
                    failed += 1;
                    eprintln!("{}: not imported: {e:#}", path.display());
                }
            }
            continue;
        }
        let file =
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let bar = if a.quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(len)
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:30!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(path.display().to_string());
        let reader = Counting {
            inner: std::io::BufReader::with_capacity(1 << 20, file),
            bar: bar.clone(),
        };
        let res = read_captures_with(reader, &wire, |c| handle.submit_blocking(c));
        bar.finish_and_clear();
        match res {
            Ok(n) => {
                if !a.quiet {
                    eprintln!(
                        "{}: {} frames, {} SIP messages ({} udp, {} tcp, {} sctp, {} from HEP; {} IP datagrams reassembled){}",
                        path.display(),
                        n.frames,
                        n.messages(),
                        n.sip_udp,
                        n.sip_tcp,
                        n.sip_sctp,
                        n.hep_unwrapped,
                        n.ip_reassembled,
                        if n.file_errors > 0 {
                            " — file ends in a truncated or corrupt record; frames before it were imported"
                        } else {
                            ""
                        }
                    );
                }
                total.add(&n);
            }
            Err(e) => {
                failed += 1;
                eprintln!("{}: not imported: {e}", path.display());
            }
        }
    }
    let metrics = ingest.finish()?;
    let stored = metrics.messages_stored.load(Relaxed);
    println!(
        "imported {} file(s): {} frames read, {} SIP messages stored; skipped: {} HEP copies{}, {} not SIP, {} IP fragments not reassembled ({} datagrams expired, {} over limits), {} undecodable; {} file error(s), {} file(s) refused",
        a.files.len() - failed,
        total.frames,
        stored,
        total.skipped_hep,
        if total.skipped_hep > 0 && !a.wire.unwrap_hep { " (use --unwrap-hep to import them)" } else { "" },
        total.skipped_not_sip,
        total.skipped_fragment,
        total.ip_frag_expired,
        total.ip_frag_dropped,
        total.skipped_undecodable,
        total.file_errors,
        failed
    );
    if a.wire.rtcp || a.wire.rtp {
        println!(
            "media: {} RTCP reports kept ({} of unknown calls dropped), {} RTP packets in {} streams analysed, {} stream reports kept (records stored include these)",
            total.rtcp_sent,
            total.rtcp_uncorrelated,
            total.rtp,
            total.rtp_streams,
            total.rtp_reports
        );
    }
    if let Some(t) = super::describe_tls(&total.tls) {
        println!("{t}");
    } else if a.wire.tls_keylog.is_some() {
        println!("TLS: no TLS connection seen");
    }
    if failed == a.files.len() {
        anyhow::bail!("no file could be imported");
    }
    Ok(())
}
