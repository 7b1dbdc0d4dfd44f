//! Writing what the agent sees to pcap files in a directory, rotated by time and size,
//! keeping the newest few (heplify's `-wf DIR -rt MIN`).
//!
//! [`PcapRotator`] takes frames (link type, timestamp, bytes) and writes them with
//! [`argos_net::PcapWriter`] to `DIR/argos-<UTC yyyymmdd-HHMMSS>.pcap` (a `-N` suffix when
//! two files open within the same second). A new file starts when the current one is
//! [`RotateConfig::every`] old or would grow past [`RotateConfig::max_bytes`], or when a
//! frame of another link type arrives (a pcap file has one link type). Beyond
//! [`RotateConfig::keep_files`] files the oldest are deleted, including files an earlier
//! run left in the directory. Rotation is checked when a frame is written, so an idle
//! agent keeps its current file open.
//!
//! [`CapturePcap`] feeds it frames rebuilt from [`Capture`]s (Ethernet/IP/UDP or TCP, as
//! pcap export does) until live capture can hand over the raw frames.

use argos_model::Capture;
use argos_net::{build_frames, FrameProto, LinkType, PcapWriter};
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// pcap global header length.
const PCAP_HEADER: u64 = 24;
/// pcap record header length.
const RECORD_HEADER: u64 = 16;

/// When to start a new file and how many to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateConfig {
    pub dir: PathBuf,
    /// Start a new file after this long (zero: never by time).
    pub every: Duration,
    /// Start a new file before this size would be exceeded (0: never by size).
    pub max_bytes: u64,
    /// Keep at most this many files, deleting the oldest (0: keep all).
    pub keep_files: usize,
}

/// A pcap file that could not be created or written.
#[derive(Debug, thiserror::Error)]
#[error("pcap output {}: {error}", path.display())]
pub struct PcapOutError {
    pub path: PathBuf,
    /// The cause, part of the message (not a `source()`, so it prints once).
    pub error: std::io::Error,
}

/// What the rotator wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PcapOutStats {
    pub files_opened: u64,
    pub files_deleted: u64,
    pub frames: u64,
    pub bytes: u64,
    /// Frames not written (a write error; the file is closed and a new one tried next).
    pub write_errors: u64,
}

struct OpenFile {
    w: PcapWriter<BufWriter<File>>,
    path: PathBuf,
    link: LinkType,
    opened: Instant,
    bytes: u64,
}

/// Frames → rotating pcap files in one directory.
pub struct PcapRotator {
    cfg: RotateConfig,
    current: Option<OpenFile>,
    /// Files this rotator manages, oldest first (the current one last).
    files: VecDeque<PathBuf>,
    stats: PcapOutStats,
}

impl PcapRotator {
    /// Creates the directory if needed and adopts the `argos-*.pcap` files already there
    /// (oldest first by modification time) for the keep limit.
    pub fn new(cfg: RotateConfig) -> Result<PcapRotator, PcapOutError> {
        let err = |error| PcapOutError {
            path: cfg.dir.clone(),
            error,
        };
        std::fs::create_dir_all(&cfg.dir).map_err(err)?;
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&cfg.dir).map_err(err)? {
            let entry = entry.map_err(err)?;
            let name = entry.file_name();
            let ours = name
                .to_str()
                .is_some_and(|n| n.starts_with("argos-") && n.ends_with(".pcap"));
            if ours {
                let mtime = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .unwrap_or(std::time::UNIX_EPOCH);
                found.push((mtime, entry.path()));
            }
        }
        found.sort();
        Ok(PcapRotator {
            cfg,
            current: None,
            files: found.into_iter().map(|(_, p)| p).collect(),
            stats: PcapOutStats::default(),
        })
    }

    /// Appends one frame, opening or rotating files as needed.
    pub fn write(&mut self, link: LinkType, ts_us: i64, frame: &[u8]) -> Result<(), PcapOutError> {
        let size = RECORD_HEADER + frame.len() as u64;
        let rotate = self.current.as_ref().is_some_and(|f| {
            f.link != link
                || (!self.cfg.every.is_zero() && f.opened.elapsed() >= self.cfg.every)
                || (self.cfg.max_bytes > 0
                    && f.bytes > PCAP_HEADER
                    && f.bytes + size > self.cfg.max_bytes)
        });
        if rotate {
            self.close_current()?;
        }
        if self.current.is_none() {
            self.open(link)?;
        }
        let Some(f) = self.current.as_mut() else {
            return Ok(());
        };
        if let Err(error) = f.w.write_frame(ts_us, frame) {
            self.stats.write_errors += 1;
            let path = f.path.clone();
            self.current = None;
            return Err(PcapOutError { path, error });
        }
        f.bytes += size;
        self.stats.frames += 1;
        self.stats.bytes += size;
        Ok(())
    }

    /// The files kept, oldest first.
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(PathBuf::as_path)
    }

    /// Flushes and closes the current file.
    pub fn finish(mut self) -> Result<PcapOutStats, PcapOutError> {
        self.close_current()?;
        Ok(self.stats)
    }

    fn close_current(&mut self) -> Result<(), PcapOutError> {
        if let Some(f) = self.current.take() {
            f.w.into_inner()
                .and_then(|mut b| b.flush())
                .map_err(|error| PcapOutError {
                    path: f.path.clone(),
                    error,
                })?;
        }
        Ok(())
    }

    fn open(&mut self, link: LinkType) -> Result<(), PcapOutError> {
        let stamp = utc_stamp();
        let mut path = self.cfg.dir.join(format!("argos-{stamp}.pcap"));
        let mut n = 1;
        while path.exists() {
            path = self.cfg.dir.join(format!("argos-{stamp}-{n}.pcap"));
            n += 1;
        }
        let err = |error| PcapOutError {
            path: path.clone(),
            error,
        };
        let file = File::create(&path).map_err(err)?;
        let w = PcapWriter::new(BufWriter::with_capacity(1 << 16, file), link).map_err(err)?;
        self.stats.files_opened += 1;
        self.files.push_back(path.clone());
        self.current = Some(OpenFile {
            w,
            path,
            link,
            opened: Instant::now(),
            bytes: PCAP_HEADER,
        });
        while self.cfg.keep_files > 0 && self.files.len() > self.cfg.keep_files {
            if let Some(old) = self.files.pop_front() {
                if std::fs::remove_file(&old).is_ok() {
                    self.stats.files_deleted += 1;
                }
            }
        }
        Ok(())
    }
}

/// Now, UTC, as `yyyymmdd-HHMMSS`.
fn utc_stamp() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Captures → Ethernet frames → a [`PcapRotator`]. TCP messages get per-direction
/// sequence numbers that advance by each payload, so dissectors see a well-formed stream.
pub struct CapturePcap {
    rot: PcapRotator,
    seqs: HashMap<(SocketAddr, SocketAddr), u32>,
}

impl CapturePcap {
    pub fn new(rot: PcapRotator) -> CapturePcap {
        CapturePcap {
            rot,
            seqs: HashMap::new(),
        }
    }

    /// Writes one message as one or more frames.
    pub fn write(&mut self, c: &Capture) -> Result<(), PcapOutError> {
        // Whatever rides on TCP (TLS, WebSocket) becomes TCP; UDP, SCTP and the rest UDP.
        let proto = if c.transport.ip_proto() == 6 {
            let seq = self.seqs.entry((c.src, c.dst)).or_insert(1);
            let p = FrameProto::Tcp { seq: *seq };
            *seq = seq.wrapping_add(c.payload.len() as u32);
            p
        } else {
            FrameProto::Udp
        };
        for frame in build_frames(c.src, c.dst, proto, &c.payload) {
            self.rot.write(LinkType::ETHERNET, c.ts_us, &frame)?;
        }
        Ok(())
    }

    pub fn finish(self) -> Result<PcapOutStats, PcapOutError> {
        self.rot.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(dir: &Path, max_bytes: u64, keep: usize) -> RotateConfig {
        RotateConfig {
            dir: dir.to_path_buf(),
            every: Duration::from_secs(3600),
            max_bytes,
            keep_files: keep,
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("ls")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn rotates_by_size_and_keeps_the_newest() {
        let dir = tempfile::tempdir().expect("tmp");
        // Header + 3 records of 16 + 100 bytes per file.
        let mut r = PcapRotator::new(cfg(dir.path(), 24 + 3 * 116, 2)).expect("new");
        for i in 0..10 {
            r.write(LinkType::ETHERNET, i, &[0u8; 100]).expect("write");
        }
        let kept: Vec<PathBuf> = r.files().map(Path::to_path_buf).collect();
        let st = r.finish().expect("finish");
        assert_eq!((st.files_opened, st.files_deleted, st.frames), (4, 2, 10));
        assert_eq!(names(dir.path()).len(), 2);
        // The last file holds the tenth frame only.
        let last = std::fs::read(kept.last().expect("file")).expect("read");
        assert_eq!(last.len(), 24 + 116);
        for n in names(dir.path()) {
            assert!(n.starts_with("argos-2") && n.ends_with(".pcap"), "{n}");
        }
    }

    #[test]
    fn rotates_by_time_and_link_type() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut c = cfg(dir.path(), 0, 0);
        c.every = Duration::from_millis(50);
        let mut r = PcapRotator::new(c).expect("new");
        r.write(LinkType::ETHERNET, 0, &[1; 60]).expect("w");
        r.write(LinkType::ETHERNET, 1, &[1; 60]).expect("w");
        std::thread::sleep(Duration::from_millis(60));
        r.write(LinkType::ETHERNET, 2, &[1; 60]).expect("w");
        r.write(LinkType(101), 3, &[0x45; 40]).expect("w");
        let st = r.finish().expect("finish");
        assert_eq!(st.files_opened, 3);
        assert_eq!(names(dir.path()).len(), 3);
    }

    #[test]
    fn earlier_files_count_toward_the_limit() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("argos-20200101-000000.pcap"), b"old").expect("w");
        std::fs::write(dir.path().join("notes.txt"), b"keep me").expect("w");
        let mut r = PcapRotator::new(cfg(dir.path(), 0, 1)).expect("new");
        r.write(LinkType::ETHERNET, 0, &[0; 60]).expect("w");
        r.finish().expect("finish");
        let n = names(dir.path());
        assert_eq!(n.len(), 2, "{n:?}");
        assert!(n.contains(&"notes.txt".to_owned()));
        assert!(!n.contains(&"argos-20200101-000000.pcap".to_owned()));
    }
}
