//! Disk spool: HEP packets a stream collector (TCP/TLS) could not take while it was down
//! and the in-memory buffer was full, kept in append-only segment files until it is back.
//!
//! Layout: one directory per collector, holding `seg-<20-digit sequence>.spool` files.
//! Each segment starts with the 8-byte magic `ARGOSSP1`, then records of a little-endian
//! u32 length and that many bytes of one HEPv3 packet. Segments are written in sequence
//! order and read back oldest first; a segment is deleted once every record in it was
//! delivered. A segment is closed (and `fsync`ed) when it reaches [`SEGMENT_BYTES`] or when
//! the reader catches up with it; records are written with one `write` each (so a killed
//! agent loses nothing the kernel accepted) but synced only every [`SYNC_BYTES`].
//!
//! Delivery is at least once: a crash while a segment is being replayed sends its
//! already-delivered records again on the next start.
//!
//! A spool left by an earlier run is picked up on [`Spool::open`]. A truncated or
//! corrupt tail of a segment (a killed agent, a full disk) ends that segment: the rest is
//! counted in [`SpoolStats::corrupt`] and skipped, never a panic.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// First bytes of every segment file.
pub const SEGMENT_MAGIC: &[u8; 8] = b"ARGOSSP1";
/// A segment is closed and a new one started past this size.
pub const SEGMENT_BYTES: u64 = 16 << 20;
/// Unsynced bytes after which the open segment is `fsync`ed.
pub const SYNC_BYTES: u64 = 4 << 20;
/// Largest record a segment may hold (a HEP packet's length is a u16).
const MAX_RECORD: usize = u16::MAX as usize;
const RECORD_HEADER: u64 = 4;

/// Where and how much to spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolConfig {
    /// Base directory; each collector gets a subdirectory named after it.
    pub dir: PathBuf,
    /// Bytes on disk (per collector) beyond which new packets are dropped and counted.
    pub max_bytes: u64,
}

/// A spool directory that could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("spool {}: {error}", path.display())]
pub struct SpoolError {
    pub path: PathBuf,
    /// The cause, part of the message (not a `source()`, so it prints once).
    pub error: std::io::Error,
}

/// What a spool did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SpoolStats {
    /// Packets written to disk.
    pub spooled: u64,
    /// Packets read back from disk and delivered (including those of an earlier run).
    pub replayed: u64,
    /// Packets dropped because the spool was at its size limit.
    pub dropped_full: u64,
    /// Packets dropped because writing the segment failed.
    pub write_errors: u64,
    /// Segments whose tail (or whole body) was truncated or corrupt and skipped.
    pub corrupt: u64,
    /// Bytes skipped in those segments.
    pub corrupt_bytes: u64,
    /// Segments left by an earlier run, found at start.
    pub segments_found: u64,
    /// Bytes still on disk when the agent stopped (sent on the next start).
    pub left_bytes: u64,
}

struct Writer {
    seq: u64,
    file: File,
    bytes: u64,
    unsynced: u64,
}

struct Reader {
    seq: u64,
    data: Vec<u8>,
    pos: usize,
}

/// One collector's spool directory.
pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    /// Closed segments waiting to be read, oldest first.
    closed: VecDeque<u64>,
    writer: Option<Writer>,
    reader: Option<Reader>,
    /// Bytes in all segment files of this directory.
    disk_bytes: u64,
    next_seq: u64,
    record: Vec<u8>,
    stats: SpoolStats,
}

impl Spool {
    /// Opens (creating it if needed) a spool directory and lists the segments an earlier
    /// run left there.
    pub fn open(dir: &Path, max_bytes: u64) -> Result<Spool, SpoolError> {
        let err = |error| SpoolError {
            path: dir.to_path_buf(),
            error,
        };
        std::fs::create_dir_all(dir).map_err(err)?;
        let mut found = Vec::new();
        let mut disk_bytes = 0;
        for entry in std::fs::read_dir(dir).map_err(err)? {
            let entry = entry.map_err(err)?;
            let name = entry.file_name();
            if let Some(seq) = name.to_str().and_then(segment_seq) {
                disk_bytes += entry.metadata().map(|m| m.len()).unwrap_or(0);
                found.push(seq);
            }
        }
        found.sort_unstable();
        let next_seq = found.last().map_or(1, |s| s + 1);
        Ok(Spool {
            dir: dir.to_path_buf(),
            max_bytes,
            stats: SpoolStats {
                segments_found: found.len() as u64,
                ..Default::default()
            },
            closed: found.into(),
            writer: None,
            reader: None,
            disk_bytes,
            next_seq,
            record: Vec::with_capacity(4096),
        })
    }

    /// True when nothing waits on disk.
    pub fn is_empty(&self) -> bool {
        self.closed.is_empty()
            && self.writer.as_ref().is_none_or(|w| w.bytes <= header_len())
            && self.reader.as_ref().is_none_or(|r| r.pos >= r.data.len())
    }

    /// Bytes in segment files on disk.
    pub fn disk_bytes(&self) -> u64 {
        self.disk_bytes
    }

    pub fn stats(&self) -> &SpoolStats {
        &self.stats
    }

    /// Appends one packet; false (and counted) when the spool is full or the write failed.
    pub fn push(&mut self, pkt: &[u8]) -> bool {
        if pkt.is_empty() || pkt.len() > MAX_RECORD {
            self.stats.write_errors += 1;
            return false;
        }
        let need = RECORD_HEADER + pkt.len() as u64;
        if self.disk_bytes + need > self.max_bytes {
            self.stats.dropped_full += 1;
            return false;
        }
        if self.writer.is_none() {
            match self.create_segment() {
                Ok(w) => {
                    self.disk_bytes += w.bytes;
                    self.writer = Some(w);
                }
                Err(_) => {
                    self.stats.write_errors += 1;
                    return false;
                }
            }
        }
        self.record.clear();
        self.record
            .extend_from_slice(&(pkt.len() as u32).to_le_bytes());
        self.record.extend_from_slice(pkt);
        let Some(w) = self.writer.as_mut() else {
            return false;
        };
        // One write per record: the kernel has it even if this process is killed next.
        if w.file.write_all(&self.record).is_err() {
            self.stats.write_errors += 1;
            // The segment may now end in a partial record: close it; the reader skips
            // that tail and counts it.
            self.close_writer();
            return false;
        }
        w.bytes += need;
        w.unsynced += need;
        self.disk_bytes += need;
        self.stats.spooled += 1;
        if w.unsynced >= SYNC_BYTES {
            let _ = w.file.sync_data();
            w.unsynced = 0;
        }
        if w.bytes >= SEGMENT_BYTES {
            self.close_writer();
        }
        true
    }

    /// The oldest packet on disk, if any (the same one until [`Spool::advance`]).
    pub fn front(&mut self) -> Option<&[u8]> {
        let range = loop {
            if let Some(r) = self.reader.as_mut().filter(|r| r.pos < r.data.len()) {
                match record_at(&r.data, r.pos) {
                    Some(range) => break range,
                    None => {
                        // Truncated or corrupt from here on: skip the rest of the segment.
                        self.stats.corrupt += 1;
                        self.stats.corrupt_bytes += (r.data.len() - r.pos) as u64;
                        r.pos = r.data.len();
                    }
                }
            }
            self.finish_reader();
            if self.closed.is_empty() {
                // Catch up with the segment being written: close it so it can be read.
                if self.writer.as_ref().is_some_and(|w| w.bytes > header_len()) {
                    self.close_writer();
                } else {
                    return None;
                }
            }
            let seq = self.closed.pop_front()?;
            self.reader = Some(self.load(seq));
        };
        self.reader.as_ref()?.data.get(range)
    }

    /// Marks the packet [`Spool::front`] returned as delivered.
    pub fn advance(&mut self) {
        if let Some(r) = self.reader.as_mut() {
            if let Some(range) = record_at(&r.data, r.pos) {
                r.pos = range.end;
                self.stats.replayed += 1;
            }
        }
        if self.reader.as_ref().is_some_and(|r| r.pos >= r.data.len()) {
            self.finish_reader();
        }
    }

    /// Syncs the open segment and returns the counts; what is left stays for the next run.
    pub fn close(mut self) -> SpoolStats {
        self.close_writer();
        self.rewrite_partial_segment();
        self.stats.left_bytes = self.disk_bytes;
        self.stats
    }

    /// A segment read part way: keep only its unsent records, so a clean stop sends
    /// nothing twice (written aside, then renamed over it).
    fn rewrite_partial_segment(&mut self) {
        let Some(r) = self.reader.take() else {
            return;
        };
        if r.pos <= SEGMENT_MAGIC.len() || r.pos >= r.data.len() {
            return;
        }
        let path = self.dir.join(segment_name(r.seq));
        let tmp = path.with_extension("tmp");
        let rest = r.data.get(r.pos..).unwrap_or_default();
        let written = File::create(&tmp).and_then(|mut f| {
            f.write_all(SEGMENT_MAGIC)?;
            f.write_all(rest)?;
            f.sync_data()
        });
        if written.is_ok() && std::fs::rename(&tmp, &path).is_ok() {
            self.disk_bytes = self
                .disk_bytes
                .saturating_sub((r.pos - SEGMENT_MAGIC.len()) as u64);
        } else {
            let _ = std::fs::remove_file(&tmp);
        }
    }

    fn create_segment(&mut self) -> std::io::Result<Writer> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(self.dir.join(segment_name(seq)))?;
        file.write_all(SEGMENT_MAGIC)?;
        Ok(Writer {
            seq,
            file,
            bytes: header_len(),
            unsynced: header_len(),
        })
    }

    fn close_writer(&mut self) {
        if let Some(w) = self.writer.take() {
            let _ = w.file.sync_data();
            self.closed.push_back(w.seq);
        }
    }

    /// Reads a whole segment (at most [`SEGMENT_BYTES`] plus one record, unless written
    /// by something else). A file that cannot be read or lacks the magic is corrupt.
    fn load(&mut self, seq: u64) -> Reader {
        let data = std::fs::read(self.dir.join(segment_name(seq))).unwrap_or_default();
        let pos = if data.starts_with(SEGMENT_MAGIC) {
            SEGMENT_MAGIC.len()
        } else {
            self.stats.corrupt += 1;
            self.stats.corrupt_bytes += data.len() as u64;
            data.len()
        };
        Reader { seq, data, pos }
    }

    /// Deletes the segment the reader finished.
    fn finish_reader(&mut self) {
        if let Some(r) = self.reader.take() {
            if r.pos < r.data.len() {
                self.reader = Some(r);
                return;
            }
            let path = self.dir.join(segment_name(r.seq));
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            if std::fs::remove_file(&path).is_ok() {
                self.disk_bytes = self.disk_bytes.saturating_sub(size);
            }
        }
    }
}

fn header_len() -> u64 {
    SEGMENT_MAGIC.len() as u64
}

fn segment_name(seq: u64) -> String {
    format!("seg-{seq:020}.spool")
}

fn segment_seq(name: &str) -> Option<u64> {
    name.strip_prefix("seg-")?
        .strip_suffix(".spool")?
        .parse()
        .ok()
}

/// The byte range of the HEP packet of the record at `pos`, if it is whole and valid.
fn record_at(data: &[u8], pos: usize) -> Option<std::ops::Range<usize>> {
    let len_bytes: [u8; 4] = data.get(pos..pos + 4)?.try_into().ok()?;
    let len = u32::from_le_bytes(len_bytes) as usize;
    if len == 0 || len > MAX_RECORD {
        return None;
    }
    let range = pos + 4..pos + 4 + len;
    let pkt = data.get(range.clone())?;
    // A record must be exactly one HEPv3 packet: a garbage length shows up here.
    match argos_hep::frame_len(pkt) {
        Ok(Some(n)) if n == len => Some(range),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(i: u32) -> Vec<u8> {
        let payload = format!("OPTIONS sip:{i}@b SIP/2.0\r\n\r\n");
        let p = argos_hep::HepPacket {
            payload: payload.as_bytes().into(),
            ..Default::default()
        };
        let mut out = Vec::new();
        argos_hep::encode_v3(&p, &mut out);
        out
    }

    fn drain(s: &mut Spool) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        while let Some(p) = s.front() {
            got.push(p.to_vec());
            s.advance();
        }
        got
    }

    #[test]
    fn packets_come_back_in_order_and_segments_are_deleted() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = Spool::open(dir.path(), 1 << 20).expect("open");
        assert!(s.is_empty());
        for i in 0..10 {
            assert!(s.push(&pkt(i)));
        }
        assert!(!s.is_empty());
        let got = drain(&mut s);
        assert_eq!(got, (0..10).map(pkt).collect::<Vec<_>>());
        assert!(s.is_empty());
        // New packets after a full drain go to a new segment.
        assert!(s.push(&pkt(10)));
        assert_eq!(drain(&mut s), vec![pkt(10)]);
        let st = s.close();
        assert_eq!(
            (st.spooled, st.replayed, st.corrupt, st.left_bytes),
            (11, 11, 0, 0)
        );
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);
    }

    #[test]
    fn a_spool_survives_a_restart() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = Spool::open(dir.path(), 1 << 20).expect("open");
        for i in 0..5 {
            s.push(&pkt(i));
        }
        // Read two, then "crash" (drop without close): those two come again.
        for _ in 0..2 {
            assert!(s.front().is_some());
            s.advance();
        }
        s.push(&pkt(5));
        drop(s);
        let mut s = Spool::open(dir.path(), 1 << 20).expect("reopen");
        assert!(!s.is_empty());
        assert!(s.stats().segments_found >= 1);
        // The segment being read was closed and not yet deleted: at least once.
        let got = drain(&mut s);
        assert_eq!(got, (0..6).map(pkt).collect::<Vec<_>>());
    }

    #[test]
    fn a_clean_close_keeps_only_what_was_not_sent() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = Spool::open(dir.path(), 1 << 20).expect("open");
        for i in 0..5 {
            s.push(&pkt(i));
        }
        for _ in 0..2 {
            assert!(s.front().is_some());
            s.advance();
        }
        let st = s.close();
        assert_eq!(st.left_bytes, 8 + (5 - 2) * (4 + pkt(0).len() as u64));
        let mut s = Spool::open(dir.path(), 1 << 20).expect("reopen");
        assert_eq!(drain(&mut s), (2..5).map(pkt).collect::<Vec<_>>());
    }

    #[test]
    fn full_spool_drops_and_counts() {
        let dir = tempfile::tempdir().expect("tmp");
        let one = pkt(0).len() as u64 + RECORD_HEADER;
        let mut s = Spool::open(dir.path(), header_len() + 3 * one).expect("open");
        let took = (0..5).filter(|_| s.push(&pkt(0))).count();
        assert_eq!(took, 3);
        assert_eq!(s.stats().dropped_full, 2);
    }

    #[test]
    fn truncated_and_corrupt_tails_are_skipped_and_counted() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = Spool::open(dir.path(), 1 << 20).expect("open");
        for i in 0..3 {
            s.push(&pkt(i));
        }
        let _ = s.close();
        let seg = dir.path().join(segment_name(1));
        // A record cut short, as a killed agent or a full disk leaves it.
        let mut f = OpenOptions::new().append(true).open(&seg).expect("seg");
        f.write_all(&200u32.to_le_bytes()).expect("w");
        f.write_all(&pkt(3)[..20]).expect("w");
        // A file that is not a segment at all, and one with garbage after the magic.
        std::fs::write(dir.path().join(segment_name(2)), b"garbage").expect("w");
        let mut bad = SEGMENT_MAGIC.to_vec();
        bad.extend_from_slice(&[0xff; 64]);
        std::fs::write(dir.path().join(segment_name(3)), bad).expect("w");
        let mut s = Spool::open(dir.path(), 1 << 20).expect("reopen");
        assert_eq!(s.stats().segments_found, 3);
        let got = drain(&mut s);
        assert_eq!(got, (0..3).map(pkt).collect::<Vec<_>>());
        let st = s.close();
        assert_eq!(st.corrupt, 3);
        assert_eq!(st.corrupt_bytes, 24 + 7 + 64);
        assert_eq!(st.left_bytes, 0);
    }

    #[test]
    fn segments_roll_at_the_size_limit() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = Spool::open(dir.path(), 1 << 30).expect("open");
        let big = {
            let p = argos_hep::HepPacket {
                payload: vec![b'x'; 60_000].into(),
                ..Default::default()
            };
            let mut out = Vec::new();
            argos_hep::encode_v3(&p, &mut out);
            out
        };
        let n = (SEGMENT_BYTES / big.len() as u64) + 5;
        for _ in 0..n {
            assert!(s.push(&big));
        }
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 2);
        assert_eq!(drain(&mut s).len() as u64, n);
    }
}
