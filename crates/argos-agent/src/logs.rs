//! Log lines as HEP LOG (proto 100) packets, correlated to calls by their SIP Call-ID
//! (hepipe's log client, built in).
//!
//! * [`LogFollower`] reads lines from a file it follows like `tail -F` (new lines as they
//!   are appended; a file replaced by rename or recreated is reopened and read from its
//!   start; a truncated file is read again from its start), or from stdin until EOF. It
//!   runs on its own thread and hands lines over a bounded channel.
//! * [`CallIdMatcher`] finds the Call-ID in a line: the first non-empty capture group of
//!   a regex, [`DEFAULT_CALLID_REGEX`] unless one is given.
//! * [`log_capture`] makes the [`Capture`] to send: payload = the line (one line per
//!   packet, plain text, as hep.md §6.5 describes), correlation id (chunk 0x0011) = the
//!   Call-ID, time = when the line was read, addresses 127.0.0.1:0 (hepipe's; they carry
//!   no meaning for a log).
//!
//! Like hepipe, following a file starts at its current end (lines already there are old
//! news) unless [`LogConfig::from_start`] is set.

use argos_model::{Capture, PayloadKind, Transport};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The default Call-ID pattern. Its alternatives, each capturing the Call-ID:
///
/// * `Call-ID: X`, `call-id=X`, `callid=X`, `call_id: X`, `sip_call_id=X` (FreeSWITCH
///   variables), `ci=X` / `cid=X` (Kamailio's `$ci` as xlog scripts usually print it) —
///   the name case-insensitive, the value optionally quoted or in `<>`/`[]`;
/// * Kamailio's sample `log_prefix` `{$mt $hdr(CSeq) $ci}`, e.g. `{1 102 INVITE abc@host}`;
/// * `i: X`, the compact Call-ID header, at the start of a line (a logged SIP message).
///
/// Asterisk's `[C-00000012]` is deliberately not matched: it is Asterisk's own channel
/// call id, not the SIP Call-ID, so it would never correlate with captured SIP.
pub const DEFAULT_CALLID_REGEX: &str = concat!(
    r#"(?i)(?:\b(?:sip_)?call[-_]?id|\bci|\bcid)\s*[:=]\s*["'<\[]?([^\s"'<>\[\](),;|]+)"#,
    r"|\{\d+ \d+ [A-Z]+ ([^\s{}]+)\}",
    r"|^\s*i:\s*(\S+)"
);

/// Longest line sent (a HEP packet holds at most 64 KiB); longer lines are cut.
pub const MAX_LINE: usize = 60_000;

/// Where the lines come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogSource {
    /// A file to follow (`tail -F`).
    File(PathBuf),
    /// Standard input, until EOF.
    Stdin,
}

/// What to do with a line in which no Call-ID was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uncorrelated {
    /// Send it without a correlation id.
    Send,
    /// Skip it (hepipe's behaviour).
    Skip,
}

/// Log input settings.
#[derive(Debug, Clone)]
pub struct LogConfig {
    pub source: LogSource,
    pub callid: CallIdMatcher,
    pub uncorrelated: Uncorrelated,
    /// Read a followed file from its beginning instead of its current end.
    pub from_start: bool,
    /// Stop following after this long without a new line (None: follow until stopped).
    pub idle_exit: Option<Duration>,
    /// How often a followed file is checked for new data, rename and truncation.
    pub poll: Duration,
}

impl LogConfig {
    pub fn new(source: LogSource) -> Self {
        LogConfig {
            source,
            callid: CallIdMatcher::default(),
            uncorrelated: Uncorrelated::Send,
            from_start: false,
            idle_exit: None,
            poll: Duration::from_millis(200),
        }
    }
}

/// Finds a Call-ID in a log line.
#[derive(Debug, Clone)]
pub struct CallIdMatcher(Option<regex::Regex>);

impl Default for CallIdMatcher {
    /// [`DEFAULT_CALLID_REGEX`] (a constant the tests compile; were it ever invalid, the
    /// matcher would find nothing rather than stop the agent).
    fn default() -> Self {
        CallIdMatcher(regex::Regex::new(DEFAULT_CALLID_REGEX).ok())
    }
}

impl CallIdMatcher {
    /// A matcher from a regex whose first non-empty capture group is the Call-ID.
    pub fn new(pattern: &str) -> Result<Self, regex::Error> {
        let re = regex::Regex::new(pattern)?;
        if re.captures_len() < 2 {
            return Err(regex::Error::Syntax(
                "the pattern needs a capture group for the Call-ID".into(),
            ));
        }
        Ok(CallIdMatcher(Some(re)))
    }

    /// The Call-ID in `line`, if any.
    pub fn find<'a>(&self, line: &'a str) -> Option<&'a str> {
        let caps = self.0.as_ref()?.captures(line)?;
        caps.iter()
            .skip(1)
            .flatten()
            .map(|m| m.as_str())
            .find(|s| !s.is_empty())
    }
}

/// The LOG capture for one line.
pub fn log_capture(line: &str, call_id: Option<&str>, ts_us: i64) -> Capture {
    let local = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let mut c = Capture::new(
        ts_us,
        local,
        local,
        Transport::Tcp,
        PayloadKind::LOG,
        bytes::Bytes::copy_from_slice(line.as_bytes()),
    );
    c.correlation_id = call_id.map(Box::from);
    c
}

/// Now, microseconds since the Unix epoch.
pub fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// What the follower thread saw.
#[derive(Debug, Default)]
pub struct FollowCounters {
    pub lines: AtomicU64,
    /// Lines cut at [`MAX_LINE`].
    pub truncated_lines: AtomicU64,
    /// Times the file was replaced (rename/recreate) and reopened.
    pub reopened: AtomicU64,
    /// Times the file shrank and was read again from its start.
    pub truncations: AtomicU64,
}

/// A thread reading log lines; lines arrive on [`LogFollower::recv_timeout`].
pub struct LogFollower {
    rx: Receiver<String>,
    stop: Arc<AtomicBool>,
    counters: Arc<FollowCounters>,
    thread: std::thread::JoinHandle<()>,
}

/// What [`LogFollower::recv_timeout`] got.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    Line(String),
    /// Nothing yet.
    Idle,
    /// The source ended (stdin EOF, idle exit, a read error) or the follower was stopped.
    Done,
}

impl LogFollower {
    /// Opens the source (a missing file is an error) and starts the reading thread.
    pub fn start(cfg: &LogConfig) -> std::io::Result<LogFollower> {
        let (tx, rx) = std::sync::mpsc::sync_channel(10_000);
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(FollowCounters::default());
        let (stop2, counters2) = (stop.clone(), counters.clone());
        let idle_exit = cfg.idle_exit;
        let thread = match &cfg.source {
            LogSource::Stdin => std::thread::Builder::new()
                .name("argos-log-stdin".into())
                .spawn(move || {
                    let stdin = std::io::stdin();
                    read_lines(stdin.lock(), &tx, &stop2, &counters2);
                })?,
            LogSource::File(path) => {
                let mut file = File::open(path)?;
                if !cfg.from_start {
                    file.seek(SeekFrom::End(0))?;
                }
                let f = Follow {
                    path: path.clone(),
                    poll: cfg.poll,
                    idle_exit,
                };
                std::thread::Builder::new()
                    .name("argos-log-follow".into())
                    .spawn(move || f.run(file, &tx, &stop2, &counters2))?
            }
        };
        Ok(LogFollower {
            rx,
            stop,
            counters,
            thread,
        })
    }

    /// Waits up to `timeout` for the next line.
    pub fn recv_timeout(&self, timeout: Duration) -> Next {
        match self.rx.recv_timeout(timeout) {
            Ok(l) => Next::Line(l),
            Err(RecvTimeoutError::Timeout) => Next::Idle,
            Err(RecvTimeoutError::Disconnected) => Next::Done,
        }
    }

    /// A line if one is waiting.
    pub fn try_recv(&self) -> Option<String> {
        self.rx.try_recv().ok()
    }

    pub fn counters(&self) -> &FollowCounters {
        &self.counters
    }

    /// Stops reading. The thread ends at its next poll (a file) or read (stdin); it is
    /// not waited for, as a stdin read may block until EOF.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        // Dropping the receiver also ends a thread blocked on a full channel.
        drop(self.rx);
        drop(self.thread);
    }
}

/// Counts of [`LogInput`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogStats {
    pub read: u64,
    pub sent: u64,
    /// Sent with a Call-ID.
    pub correlated: u64,
    /// Not sent: no Call-ID and [`Uncorrelated::Skip`].
    pub skipped: u64,
}

/// The log side of the agent: a [`LogFollower`] and what to do with its lines.
pub struct LogInput {
    follower: LogFollower,
    callid: CallIdMatcher,
    uncorrelated: Uncorrelated,
    stats: LogStats,
}

impl LogInput {
    pub fn start(cfg: &LogConfig) -> std::io::Result<LogInput> {
        Ok(LogInput {
            follower: LogFollower::start(cfg)?,
            callid: cfg.callid.clone(),
            uncorrelated: cfg.uncorrelated,
            stats: LogStats::default(),
        })
    }

    /// The capture to send for a line, or None to skip it.
    pub fn capture_of(&mut self, line: &str) -> Option<Capture> {
        self.stats.read += 1;
        let cid = self.callid.find(line);
        if cid.is_none() && self.uncorrelated == Uncorrelated::Skip {
            self.stats.skipped += 1;
            return None;
        }
        self.stats.sent += 1;
        if cid.is_some() {
            self.stats.correlated += 1;
        }
        Some(log_capture(line, cid, now_us()))
    }

    /// Sends the lines already read, without waiting.
    pub fn send_waiting(&mut self, sender: &mut crate::HepSender) {
        while let Some(line) = self.follower.try_recv() {
            if let Some(c) = self.capture_of(&line) {
                sender.send(&c);
            }
        }
    }

    /// Sends lines as they come until the source ends (stdin EOF, idle exit) or `stop` is
    /// set, keeping collectors with a backlog reconnecting meanwhile.
    pub fn follow(&mut self, sender: &mut crate::HepSender, stop: &AtomicBool) {
        while !stop.load(Ordering::Relaxed) {
            match self.follower.recv_timeout(Duration::from_millis(100)) {
                Next::Line(line) => {
                    if let Some(c) = self.capture_of(&line) {
                        sender.send(&c);
                    }
                }
                Next::Idle => sender.poll(),
                Next::Done => return,
            }
        }
    }

    pub fn stats(&self) -> LogStats {
        self.stats
    }

    /// Stops the reading thread and returns the counts.
    pub fn stop(self) -> LogStats {
        self.follower.stop();
        self.stats
    }
}

/// Reads `\n`-terminated lines until EOF or stop; false when the receiver is gone.
fn read_lines(
    mut r: impl BufRead,
    tx: &SyncSender<String>,
    stop: &AtomicBool,
    counters: &FollowCounters,
) -> bool {
    let mut buf = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        buf.clear();
        match r.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return true,
            Ok(_) => {
                if let Some(line) = finish_line(&mut buf, counters) {
                    if tx.send(line).is_err() {
                        return false;
                    }
                }
            }
        }
    }
    true
}

/// A complete line without its terminator, lossily UTF-8, cut at [`MAX_LINE`]; None for
/// an empty line.
fn finish_line(buf: &mut Vec<u8>, counters: &FollowCounters) -> Option<String> {
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    if buf.is_empty() {
        return None;
    }
    if buf.len() > MAX_LINE {
        buf.truncate(MAX_LINE);
        counters.truncated_lines.fetch_add(1, Ordering::Relaxed);
    }
    counters.lines.fetch_add(1, Ordering::Relaxed);
    Some(String::from_utf8_lossy(buf).into_owned())
}

struct Follow {
    path: PathBuf,
    poll: Duration,
    idle_exit: Option<Duration>,
}

impl Follow {
    fn run(
        self,
        file: File,
        tx: &SyncSender<String>,
        stop: &AtomicBool,
        counters: &FollowCounters,
    ) {
        let mut id = file_id(&file);
        let mut r = BufReader::with_capacity(1 << 16, file);
        // A line still being written (no newline yet) waits here for the rest.
        let mut partial = Vec::new();
        let mut last_data = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            let mut got = false;
            loop {
                let mut chunk = Vec::new();
                match r.by_ref().take(1 << 20).read_until(b'\n', &mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        got = true;
                        partial.extend_from_slice(&chunk);
                        if partial.last() == Some(&b'\n') || partial.len() > MAX_LINE * 2 {
                            if let Some(line) = finish_line(&mut partial, counters) {
                                if tx.send(line).is_err() {
                                    return;
                                }
                            }
                            partial.clear();
                        }
                    }
                }
                if stop.load(Ordering::Relaxed) {
                    return;
                }
            }
            if got {
                last_data = Instant::now();
                continue;
            }
            // At EOF: has the path been replaced (rename + new file) or truncated?
            let pos = r.stream_position().unwrap_or(0);
            match std::fs::metadata(&self.path) {
                Ok(meta) if meta_id(&meta) != id => {
                    if let Ok(f) = File::open(&self.path) {
                        // The old file was read to its end above; flush a last unterminated line.
                        if let Some(line) = finish_line(&mut partial, counters) {
                            let _ = tx.send(line);
                        }
                        partial.clear();
                        id = file_id(&f);
                        r = BufReader::with_capacity(1 << 16, f);
                        counters.reopened.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                }
                Ok(meta) if meta.len() < pos => {
                    partial.clear();
                    if r.seek(SeekFrom::Start(0)).is_ok() {
                        counters.truncations.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                }
                _ => {}
            }
            if self.idle_exit.is_some_and(|d| last_data.elapsed() >= d) {
                if let Some(line) = finish_line(&mut partial, counters) {
                    let _ = tx.send(line);
                }
                return;
            }
            std::thread::sleep(self.poll);
        }
    }
}

/// (device, inode) of an open file, to notice the path now names another file.
fn file_id(f: &File) -> Option<(u64, u64)> {
    f.metadata().ok().as_ref().and_then(meta_id)
}

#[cfg(unix)]
fn meta_id(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn meta_id(_m: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn call_ids_in_common_log_forms() {
        let m = CallIdMatcher::default();
        let cases = [
            (
                "ERROR: <script>: callid=abc123@10.0.0.1 failed",
                Some("abc123@10.0.0.1"),
            ),
            (
                "NOTICE: relay failed [ci=5f2a-77@host] code=408",
                Some("5f2a-77@host"),
            ),
            (
                "Call-ID: a84b4c76e66710@pc33.example.com",
                Some("a84b4c76e66710@pc33.example.com"),
            ),
            ("call_id=\"quoted-id\" status=200", Some("quoted-id")),
            (
                "2026-11-25 sofia.c sip_call_id=fs-123 hangup",
                Some("fs-123"),
            ),
            (
                "INFO: {1 102 INVITE k-991@host} <core> relaying",
                Some("k-991@host"),
            ),
            ("i: compact-1@h", Some("compact-1@h")),
            (
                "[Nov 25 10:00:00] VERBOSE[123][C-00000012] pbx.c: Executing",
                None,
            ),
            ("nothing to see here", None),
        ];
        for (line, want) in cases {
            assert_eq!(m.find(line), want, "{line}");
        }
        let custom = CallIdMatcher::new(r"ID=(\S+)").expect("re");
        assert_eq!(custom.find("x ID=42 y"), Some("42"));
        assert!(CallIdMatcher::new("no group").is_err());
    }

    #[test]
    fn log_capture_carries_the_line_and_call_id() {
        let c = log_capture("hello callid=x", Some("x"), 5);
        assert_eq!(c.kind, PayloadKind::LOG);
        assert_eq!(c.correlation_id.as_deref(), Some("x"));
        assert_eq!(&c.payload[..], b"hello callid=x");
        assert_eq!(c.ts_us, 5);
    }

    fn next(f: &LogFollower) -> Option<String> {
        match f.recv_timeout(Duration::from_secs(3)) {
            Next::Line(l) => Some(l),
            _ => None,
        }
    }

    #[test]
    fn follows_appends_partial_lines_rename_and_truncation() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("app.log");
        std::fs::write(&path, "old line before start\n").expect("w");
        let mut cfg = LogConfig::new(LogSource::File(path.clone()));
        cfg.poll = Duration::from_millis(20);
        cfg.idle_exit = Some(Duration::from_secs(5));
        let f = LogFollower::start(&cfg).expect("start");
        let mut w = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("open");
        w.write_all(b"one\r\ntw").expect("w");
        w.flush().expect("f");
        assert_eq!(next(&f).as_deref(), Some("one"));
        std::thread::sleep(Duration::from_millis(60));
        w.write_all(b"o\n").expect("w");
        assert_eq!(next(&f).as_deref(), Some("two"));
        // logrotate: rename, then the logger writes a last line to the old file and
        // opens a new one.
        std::fs::rename(&path, dir.path().join("app.log.1")).expect("mv");
        w.write_all(b"last in old\n").expect("w");
        std::fs::write(&path, "first in new\n").expect("w");
        assert_eq!(next(&f).as_deref(), Some("last in old"));
        assert_eq!(next(&f).as_deref(), Some("first in new"));
        // copytruncate: the file shrinks and starts over.
        std::fs::write(&path, "").expect("truncate");
        std::thread::sleep(Duration::from_millis(100));
        let mut w = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("open");
        w.write_all(b"after truncate\n").expect("w");
        assert_eq!(next(&f).as_deref(), Some("after truncate"));
        assert_eq!(f.counters().reopened.load(Ordering::Relaxed), 1);
        f.stop();
    }

    #[test]
    fn from_start_and_idle_exit() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("a.log");
        std::fs::write(&path, "a\n\nb").expect("w");
        let mut cfg = LogConfig::new(LogSource::File(path));
        cfg.from_start = true;
        cfg.poll = Duration::from_millis(10);
        cfg.idle_exit = Some(Duration::from_millis(100));
        let f = LogFollower::start(&cfg).expect("start");
        assert_eq!(next(&f).as_deref(), Some("a"));
        // The unterminated last line goes out at idle exit.
        assert_eq!(next(&f).as_deref(), Some("b"));
        assert_eq!(f.recv_timeout(Duration::from_secs(3)), Next::Done);
    }

    #[test]
    fn missing_file_is_an_error() {
        let cfg = LogConfig::new(LogSource::File("/nonexistent/argos.log".into()));
        assert!(LogFollower::start(&cfg).is_err());
    }
}
