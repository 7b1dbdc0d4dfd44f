//! `argos archive export|import`: a day or a time range of the store to a portable file
//! and back (what HOMER's flatstore + bzip2 recipe did), streaming in bounded memory.
//! The format lives in [`argos_server::archive`].

use super::{Correlation, DataDir};
use anyhow::Context;
use argos_server::archive::{ArchiveError, ArchiveReader, ArchiveWriter, Header};
use argos_server::ingest::IngestHandle;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    cmd: Sub,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// Write a day or a time range of stored messages to a file.
    Export(ExportArgs),
    /// Restore Argos archives into the store (re-parsed by the ingest pipeline).
    Import(ImportArgs),
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// Argos archive: lossless (addresses, transport, payload kind, HEP capture id, node,
    /// correlation id, VLAN, payload), zstd-compressed, checksummed; `argos archive import`
    /// or `argos import` restores it.
    Argos,
    /// Classic pcap for Wireshark/tshark. Lossy: HEP capture id, node, correlation id,
    /// VLAN and payload kind are dropped, and every message becomes an Ethernet/IP/UDP or
    /// TCP frame rebuilt from its addresses.
    Pcap,
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    data: DataDir,
    /// One UTC day, YYYY-MM-DD.
    #[arg(long, conflicts_with_all = ["since", "until"], required_unless_present = "since")]
    day: Option<String>,
    /// Start of the range (inclusive): RFC 3339 or Unix seconds.
    #[arg(long, requires = "until")]
    since: Option<String>,
    /// End of the range (exclusive): RFC 3339 or Unix seconds.
    #[arg(long, requires = "since")]
    until: Option<String>,
    /// Output file (written as FILE.partial, renamed when complete).
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
    /// `argos` is lossless; `pcap` opens in Wireshark but loses HEP metadata (capture id,
    /// node, correlation id, VLAN, payload kind).
    #[arg(long, value_enum, default_value_t = Format::Argos)]
    format: Format,
    /// zstd level for the argos format (1-19).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(i32).range(1..=19))]
    level: i32,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    #[command(flatten)]
    data: DataDir,
    /// Argos archive files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    correlation: Correlation,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    match a.cmd {
        Sub::Export(e) => export(e),
        Sub::Import(i) => import(i),
    }
}

/// Microseconds since the epoch of 00:00 UTC on `YYYY-MM-DD`.
fn day_start_us(s: &str) -> Option<i64> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400_000_000)
}

fn parse_time(v: &str) -> anyhow::Result<i64> {
    argos_server::api::parse_time(v)
        .with_context(|| format!("bad time {v:?}: use RFC 3339 or Unix seconds"))
}

fn bar(len: u64, quiet: bool, template: &str) -> ProgressBar {
    let b = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(len)
    };
    b.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    b
}

fn export(a: ExportArgs) -> anyhow::Result<()> {
    let (since, until) = match &a.day {
        Some(d) => {
            let s = day_start_us(d).with_context(|| format!("bad --day {d:?}: use YYYY-MM-DD"))?;
            (s, s + 86_400_000_000)
        }
        None => (
            parse_time(a.since.as_deref().unwrap_or("0"))?,
            parse_time(a.until.as_deref().unwrap_or("0"))?,
        ),
    };
    anyhow::ensure!(since < until, "empty range: --since must be before --until");
    let store = a.data.open_store()?;
    // Progress total: messages of the day partitions the range touches (an upper bound).
    let estimate: u64 = store
        .stats()
        .map(|s| {
            s.partitions
                .iter()
                .filter(|p| {
                    day_start_us(&p.day)
                        .is_some_and(|d| d < until && d.saturating_add(86_400_000_000) > since)
                })
                .map(|p| p.messages)
                .sum()
        })
        .unwrap_or(0);
    let pb = bar(
        estimate,
        a.quiet,
        "exporting [{bar:30}] {pos}/{len} messages {per_sec} eta {eta}",
    );

    let mut tmp_name = a.output.as_os_str().to_owned();
    tmp_name.push(".partial");
    let tmp = PathBuf::from(tmp_name);
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let out = std::io::BufWriter::with_capacity(1 << 20, file);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0);

    let mut messages = 0u64;
    let mut payload = 0u64;
    let mut werr: Option<anyhow::Error> = None;
    let result = match a.format {
        Format::Argos => {
            let mut w = ArchiveWriter::new(out, a.level, now, since, until)?;
            let scanned = store.scan(since, until, &mut |m| {
                if let Err(e) = w.write(&m.record.capture) {
                    werr = Some(e.into());
                    return false;
                }
                messages += 1;
                payload += m.record.capture.payload.len() as u64;
                if messages & 4095 == 0 {
                    pb.set_position(messages);
                }
                true
            });
            finish_scan(scanned, werr.take())?;
            let (_, sum) = w.finish()?;
            format!(
                "{} frames, {} bytes before compression, {} bytes: ratio {:.1}:1 vs payload, {:.0} bytes/message",
                sum.frames,
                sum.raw_bytes,
                sum.archive_bytes,
                sum.payload_bytes as f64 / sum.archive_bytes.max(1) as f64,
                sum.archive_bytes as f64 / sum.records.max(1) as f64
            )
        }
        Format::Pcap => {
            let mut p = argos_server::export::PcapExporter::new(out)?;
            let scanned = store.scan(since, until, &mut |m| {
                if let Err(e) = p.write(&m.record.capture) {
                    werr = Some(e.into());
                    return false;
                }
                messages += 1;
                payload += m.record.capture.payload.len() as u64;
                if messages & 4095 == 0 {
                    pb.set_position(messages);
                }
                true
            });
            finish_scan(scanned, werr.take())?;
            let frames = p.frames();
            p.into_inner()?;
            let size = std::fs::metadata(&tmp).map(|m| m.len()).unwrap_or(0);
            format!("{frames} pcap frames, {size} bytes (HEP metadata not kept)")
        }
    };
    pb.finish_and_clear();
    std::fs::rename(&tmp, &a.output)
        .with_context(|| format!("renaming {} to {}", tmp.display(), a.output.display()))?;
    println!(
        "exported {messages} messages ({payload} payload bytes) from {} to {} → {}: {result}",
        argos_server::api::rfc3339(since),
        argos_server::api::rfc3339(until),
        a.output.display()
    );
    Ok(())
}

fn finish_scan(
    scanned: Result<(), argos_store::StoreError>,
    write_error: Option<anyhow::Error>,
) -> anyhow::Result<()> {
    if let Some(e) = write_error {
        return Err(e.context("writing the export"));
    }
    scanned.context("reading the store")
}

/// What restoring one archive gave.
pub struct Restored {
    pub header: Header,
    pub records: u64,
    /// Damage that stopped the read; records before it were submitted.
    pub error: Option<ArchiveError>,
    /// The footer's record count, when the archive was intact.
    pub footer_records: Option<u64>,
}

impl Restored {
    /// One line for the user.
    pub fn describe(&self, path: &Path) -> String {
        let h = &self.header;
        let what = format!(
            "{}: {} messages restored (archive of {} to {}, written {})",
            path.display(),
            self.records,
            argos_server::api::rfc3339(h.since_us),
            argos_server::api::rfc3339(h.until_us),
            argos_server::api::rfc3339(h.created_us),
        );
        match (&self.error, self.footer_records) {
            (Some(e), _) => format!("{what}; {e} — messages before it were imported"),
            (None, Some(n)) => format!("{what}; intact ({n} records, checksum ok)"),
            (None, None) => what,
        }
    }
}

/// Feeds an archive's messages to the ingest pipeline. Errors only when the input is not
/// a readable archive at all; damage further in is reported in [`Restored::error`].
pub fn restore(r: impl Read, handle: &IngestHandle) -> Result<Restored, ArchiveError> {
    let mut ar = ArchiveReader::new(r)?;
    let mut error = None;
    while let Some(c) = ar.next_capture() {
        match c {
            Ok(c) => {
                if !handle.submit_blocking(c) {
                    error = Some(ArchiveError::Io(std::io::Error::other(
                        "ingest writer stopped",
                    )));
                    break;
                }
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    Ok(Restored {
        header: *ar.header(),
        records: ar.records(),
        error,
        footer_records: ar.footer().map(|f| f.records),
    })
}

/// True when the file starts with the Argos archive magic.
pub fn is_archive_file(path: &Path) -> bool {
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && argos_server::archive::is_archive(&head)
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

/// Restores one archive file with a progress bar over its bytes.
pub fn restore_file(path: &Path, handle: &IngestHandle, quiet: bool) -> anyhow::Result<Restored> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let pb = bar(
        len,
        quiet,
        "{msg:30!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    );
    pb.set_message(path.display().to_string());
    let reader = Counting {
        inner: std::io::BufReader::with_capacity(1 << 20, file),
        bar: pb.clone(),
    };
    let res = restore(reader, handle);
    pb.finish_and_clear();
    Ok(res?)
}

fn import(a: ImportArgs) -> anyhow::Result<()> {
    let ingest = super::OfflineIngest::start(&a.data, &a.correlation)?;
    let mut restored = 0u64;
    let mut damaged = 0usize;
    let mut refused = 0usize;
    for path in &a.files {
        match restore_file(path, &ingest.handle, a.quiet) {
            Ok(r) => {
                eprintln!("{}", r.describe(path));
                restored += r.records;
                damaged += usize::from(r.error.is_some());
            }
            Err(e) => {
                refused += 1;
                eprintln!("{}: not imported: {e:#}", path.display());
            }
        }
    }
    let metrics = ingest.finish()?;
    let stored = metrics.messages_stored.load(Relaxed);
    println!(
        "restored {} archive(s): {restored} messages read, {stored} stored, {} SIP parsed; {damaged} damaged archive(s), {refused} refused",
        a.files.len() - refused,
        metrics.messages_parsed.load(Relaxed),
    );
    if stored == 0 && (refused > 0 || damaged > 0) {
        anyhow::bail!("nothing was imported");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::day_start_us;

    #[test]
    fn day_start() {
        assert_eq!(day_start_us("1970-01-01"), Some(0));
        assert_eq!(day_start_us("2024-02-29"), Some(1_709_164_800_000_000));
        assert_eq!(day_start_us("2024-13-01"), None);
        assert_eq!(day_start_us("yesterday"), None);
    }
}
