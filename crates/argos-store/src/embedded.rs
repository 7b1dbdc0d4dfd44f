//! [`EmbeddedStore`]: one SQLite file per UTC day, records zstd-compressed in blocks,
//! postings per (term, block) instead of per-message index rows. The call tracker's
//! records live in tables of the same day files ([`tracked`], [`tracked_query`]).

mod rollup;
mod tracked;
mod tracked_query;

use crate::codec::{self, day_name, day_of, key_hash, DAY_US};
use crate::{
    InsertReport, PartitionStats, RetentionReport, Store, StoreError, StoreStats, MAX_CALL_MESSAGES,
};
use argos_model::{
    Alarm, AlarmQuery, CallAggRow, CallQuery, CallRecord, CallSummary, Field, Filter, KpiQuery,
    Query, Record, RegQuery, RegistrationRecord, StatRow, StoredMessage,
};
use parking_lot::{Mutex, RwLock};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// Tuning of [`EmbeddedStore`]. Start from `EmbeddedOptions::default()`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EmbeddedOptions {
    /// Messages per compressed block (1..=4096). Larger compresses better; a hit costs
    /// decompressing its whole block.
    pub block_messages: usize,
    /// zstd level for blocks. 3 by default: on the synthetic mix at 1M messages, level 6
    /// stores 120 B/msg at 110k msg/s per CPU-second, level 3 135 B/msg at 178k (all
    /// threads); on a 2-core collector CPU is scarcer than disk (docs/decisions/0001).
    pub zstd_level: i32,
    /// SQLite page cache per connection, KiB.
    pub cache_kib: i64,
    /// Idle read connections kept per partition.
    pub readers_per_partition: usize,
    /// Records buffered per partition before they are written in one transaction (fewer,
    /// larger transactions dirty each index page once). [`Store::flush`] writes the rest.
    pub write_messages: usize,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        EmbeddedOptions {
            block_messages: 512,
            zstd_level: 3,
            cache_kib: 32 * 1024,
            readers_per_partition: 4,
            write_messages: 32 * 1024,
        }
    }
}

const FILE_EXT: &str = "sqlite";
/// On-disk format of a day file (`meta.format`). Files of another format are renamed to
/// `YYYY-MM-DD.sqlite.formatN` at open and ignored.
pub(crate) const FORMAT_VERSION: i64 = 2;
/// Largest `block_messages`.
const MAX_BLOCK: usize = 4096;
/// Blocks per posting bucket (`post.bkt = blk >> BKT_SHIFT`): postings are clustered by
/// bucket so inserts only touch the newest, small part of the posting tree.
const BKT_SHIFT: i64 = 7;
/// Max interned ids a pattern may expand to before it is checked on decoded records instead.
const MAX_PATTERN_IDS: usize = 512;
/// Records buffered per partition after failed writes, in units of `write_messages`, before
/// inserts are refused.
const MAX_PENDING_WRITES: usize = 8;
/// Messages [`Store::scan`] aims to hold per time window, and the most it holds before it
/// cuts a window (unless they all share one timestamp).
const SCAN_TARGET: usize = 16 * 1024;
const SCAN_MAX_FACTOR: usize = 4;
/// Interned strings the writer remembers per partition before it forgets them all.
const DICT_CACHE_MAX: usize = 1 << 20;

/// Posting term kinds (low 3 bits of `post.term`).
const T_CID: i64 = 1;
const T_CK: i64 = 2;
const T_AL: i64 = 3;
const T_FU: i64 = 4;
const T_TU: i64 = 5;
const T_RU: i64 = 6;

/// Term of a hashed key: 44 bits of hash and the kind (fits SQLite's 6-byte integer).
fn hterm(h: i64, kind: i64) -> i64 {
    ((h >> 4) << 3) | kind
}

/// Term of an interned user id.
fn uterm(id: i64, kind: i64) -> i64 {
    (id << 3) | kind
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta(k, v) VALUES ('format', 2);
CREATE TABLE IF NOT EXISTS blk(id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS bix(
  id INTEGER PRIMARY KEY, min_ts INTEGER NOT NULL, max_ts INTEGER NOT NULL,
  base_ts INTEGER NOT NULL, base_id INTEGER NOT NULL, max_id INTEGER NOT NULL,
  n INTEGER NOT NULL, raw_len INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS bix_ts ON bix(min_ts, max_ts);
CREATE TABLE IF NOT EXISTS dict(id INTEGER PRIMARY KEY, s BLOB NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS post(bkt INTEGER NOT NULL, term INTEGER NOT NULL, blk INTEGER NOT NULL,
  PRIMARY KEY(bkt, term, blk)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS txt(id INTEGER PRIMARY KEY, bits BLOB NOT NULL);
";

/// The embedded, day-partitioned store. Cheap to share: wrap it in an `Arc`.
pub struct EmbeddedStore {
    dir: PathBuf,
    opts: EmbeddedOptions,
    parts: RwLock<BTreeMap<i64, Arc<Part>>>,
    writer: Mutex<Writer>,
    recovery: RecoveryReport,
}

/// What [`EmbeddedStore::open`] found in its directory.
///
/// Every commit is in the WAL before it returns and [`Store::flush`] syncs it, so a crash or
/// `kill -9` loses at most what was inserted since the last flush; on open SQLite replays the
/// committed WAL frames of a file not closed cleanly, and such files are then checked with
/// `PRAGMA quick_check` (cleanly closed files are not: the check reads the whole file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecoveryReport {
    /// Day partitions opened.
    pub partitions_opened: usize,
    /// Messages in them.
    pub messages: u64,
    /// Partitions not closed cleanly (a WAL was left).
    pub partitions_recovered: Vec<String>,
    /// WAL frames found in those (SQLite keeps the frames up to the last commit).
    pub wal_frames_recovered: u64,
    /// Partitions checked with `PRAGMA quick_check` and the time it took, all together.
    pub quick_checked: Vec<String>,
    pub quick_check_ms: u64,
    /// Files renamed away and ignored.
    pub set_aside: Vec<SetAside>,
}

/// A day file [`EmbeddedStore::open`] renamed away instead of opening.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SetAside {
    /// Its name before (`YYYY-MM-DD.sqlite`).
    pub file: String,
    pub reason: String,
}

/// Size of a WAL file header: a longer WAL holds frames.
const WAL_HEADER: u64 = 32;

fn is_corrupt(e: &StoreError) -> bool {
    matches!(e, StoreError::Sqlite { source, .. } if matches!(
        source.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    ))
}

/// Renames `X.sqlite` and its `-wal` / `-shm` to `X.sqlite.SUFFIX…`.
fn set_aside_files(path: &Path, suffix: &str) -> Result<(), StoreError> {
    for p in side_files(path) {
        let file = p.file_name().and_then(|f| f.to_str()).unwrap_or_default();
        let to = p.with_file_name(file.replacen(
            &format!(".{FILE_EXT}"),
            &format!(".{FILE_EXT}.{suffix}"),
            1,
        ));
        match std::fs::rename(&p, &to) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("set aside", &p)(e)),
        }
    }
    Ok(())
}

/// One day file, as readers see it.
struct Part {
    day: i64,
    name: String,
    path: PathBuf,
    /// Messages committed (visible).
    messages: AtomicU64,
    readers: Mutex<Vec<Connection>>,
}

struct Writer {
    parts: HashMap<i64, PartWriter>,
    next_id: i64,
    /// Two compressors: blocks of one transaction are compressed on two threads.
    comps: [zstd::bulk::Compressor<'static>; 2],
}

struct PartWriter {
    part: Arc<Part>,
    conn: Connection,
    /// Records not yet committed. Kept on a failed write, so the next write retries them.
    pending: Vec<Pending>,
    /// The last block written while not full (by a flush): rewritten as it fills up.
    open_block: Option<OpenBlock>,
    next_block: i64,
    next_dict: i64,
    dict: HashMap<Box<[u8]>, i64>,
    messages: u64,
    /// A commit since the last one with `synchronous=FULL` (not yet fsynced).
    unsynced: bool,
    /// Call tracker rows not yet committed (kept on a failed write, retried).
    tracked: Vec<tracked::Row>,
}

#[derive(Clone)]
struct OpenBlock {
    id: i64,
    base_ts: i64,
    base_id: i64,
    min_ts: i64,
    max_ts: i64,
    max_id: i64,
    entries: Vec<Vec<u8>>,
    /// Terms already posted for this block.
    terms: HashSet<i64>,
    /// Full-text filter of the block's payloads (`codec::text_grams_add`).
    text: Vec<u64>,
}

struct Pending {
    id: i64,
    ts: i64,
    /// Encoded record (without timestamp and id); it ends with the payload.
    entry: Vec<u8>,
    payload_len: usize,
    /// Hashed-key terms (call_id, call_key, a_leg).
    keys: [Option<i64>; 3],
    fu: Option<String>,
    tu: Option<String>,
    /// Only when it differs from to_user.
    ru: Option<String>,
}

/// Index row of a block, as readers need it.
#[derive(Clone, Copy)]
struct BlockMeta {
    id: i64,
    min_ts: i64,
    max_ts: i64,
    base_ts: i64,
    base_id: i64,
    raw_len: i64,
    /// Messages in the block.
    n: i64,
}

/// A block compressed in a write: its index row, image and the postings it adds.
struct Job {
    meta: BlockMeta,
    max_id: i64,
    n: usize,
    image: Vec<u8>,
    /// Full-text filter.
    text: Vec<u8>,
}

fn sql_err<'a>(
    part: &'a Part,
    op: &'static str,
) -> impl FnOnce(rusqlite::Error) -> StoreError + 'a {
    move |source| StoreError::Sqlite {
        partition: part.name.clone(),
        path: part.path.clone(),
        op,
        source: Box::new(source),
    }
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

fn side_files(path: &Path) -> [PathBuf; 3] {
    let s = path.as_os_str().to_owned();
    let with = |suffix: &str| {
        let mut p = s.clone();
        p.push(suffix);
        PathBuf::from(p)
    };
    [path.to_path_buf(), with("-wal"), with("-shm")]
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

impl Part {
    fn bytes_on_disk(&self) -> u64 {
        side_files(&self.path).iter().map(|p| file_len(p)).sum()
    }

    fn overlaps(&self, since: i64, until: i64) -> bool {
        let start = self.day.saturating_mul(DAY_US);
        let end = start.saturating_add(DAY_US);
        start < until && end > since
    }
}

fn open_conn(part: &Part, cache_kib: i64, write: bool) -> Result<Connection, StoreError> {
    let conn = Connection::open(&part.path).map_err(sql_err(part, "open"))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(sql_err(part, "busy_timeout"))?;
    conn.set_prepared_statement_cache_capacity(64);
    let mut pragmas = format!("PRAGMA cache_size=-{cache_kib}; PRAGMA temp_store=MEMORY;");
    if write {
        pragmas.push_str(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit=16777216;",
        );
    } else {
        pragmas.push_str("PRAGMA query_only=1;");
    }
    conn.execute_batch(&pragmas)
        .map_err(sql_err(part, "pragmas"))?;
    Ok(conn)
}

fn new_compressor(level: i32) -> Result<zstd::bulk::Compressor<'static>, StoreError> {
    zstd::bulk::Compressor::new(level).map_err(|source| StoreError::Compression {
        partition: String::new(),
        block: 0,
        op: "create compressor",
        source,
    })
}

/// Microseconds since the epoch: the floor of message ids at open, so ids stay unique
/// across restarts even when retention deleted the days that held the highest ids
/// (ids are handed out far below one per microsecond).
fn clock_floor() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX / 2))
}

/// Format of an existing day file: `None` when it is empty (new), else `meta.format`
/// (1 for the first format, which had no such row).
fn file_format(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    let tables: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
        [],
        |r| r.get(0),
    )?;
    if tables == 0 {
        return Ok(None);
    }
    let has_meta: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
        [],
        |r| r.get(0),
    )?;
    if has_meta == 0 {
        return Ok(Some(1));
    }
    let v: Option<i64> = conn
        .query_row("SELECT v FROM meta WHERE k = 'format'", [], |r| r.get(0))
        .optional()?;
    Ok(Some(v.unwrap_or(1)))
}

impl EmbeddedStore {
    /// Opens (creating it if needed) the store in `dir`, and recovers the partitions there.
    /// Day files of an older format are renamed to `YYYY-MM-DD.sqlite.formatN` and ignored.
    pub fn open(dir: &Path, opts: EmbeddedOptions) -> Result<Self, StoreError> {
        let mut opts = opts;
        opts.block_messages = opts.block_messages.clamp(1, MAX_BLOCK);
        std::fs::create_dir_all(dir).map_err(io_err("create directory", dir))?;
        let mut parts = BTreeMap::new();
        let mut writers = HashMap::new();
        let mut next_id = clock_floor().max(1);
        let mut recovery = RecoveryReport::default();
        let entries = std::fs::read_dir(dir).map_err(io_err("read directory", dir))?;
        for entry in entries {
            let entry = entry.map_err(io_err("read directory", dir))?;
            let path = entry.path();
            let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
                continue;
            };
            if file.ends_with(".deleted") {
                std::fs::remove_file(&path).map_err(io_err("remove", &path))?;
                continue;
            }
            let Some(stem) = file.strip_suffix(&format!(".{FILE_EXT}")) else {
                continue;
            };
            let Some(day) = codec::parse_day_name(stem) else {
                continue;
            };
            // A WAL left behind: the file was not closed cleanly (crash, kill -9). SQLite
            // replays its committed frames on open; the file is then checked.
            let unclean = file_len(&side_files(&path)[1]) > WAL_HEADER;
            let pw = match PartWriter::open(dir, day, &opts) {
                Ok(Some(pw)) => pw,
                Ok(None) => {
                    recovery.set_aside.push(SetAside {
                        file: file.to_string(),
                        reason: "older format (renamed to .formatN)".into(),
                    });
                    continue;
                }
                Err(e) if is_corrupt(&e) => {
                    set_aside_files(&path, "corrupt")?;
                    recovery.set_aside.push(SetAside {
                        file: file.to_string(),
                        reason: format!("does not open (renamed to .corrupt): {e}"),
                    });
                    continue;
                }
                Err(e) => return Err(e),
            };
            if unclean {
                let t = std::time::Instant::now();
                let frames: i64 = pw
                    .conn
                    .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
                    .map_err(sql_err(&pw.part, "checkpoint"))?;
                let check: rusqlite::Result<String> =
                    pw.conn.query_row("PRAGMA quick_check(1)", [], |r| r.get(0));
                recovery.quick_check_ms += t.elapsed().as_millis() as u64;
                recovery.quick_checked.push(pw.part.name.clone());
                recovery.wal_frames_recovered += frames.max(0) as u64;
                recovery.partitions_recovered.push(pw.part.name.clone());
                let problem = match check {
                    Ok(v) if v == "ok" => None,
                    Ok(v) => Some(v),
                    Err(e) => Some(e.to_string()),
                };
                if let Some(problem) = problem {
                    drop(pw);
                    set_aside_files(&path, "corrupt")?;
                    recovery.set_aside.push(SetAside {
                        file: file.to_string(),
                        reason: format!("quick_check failed (renamed to .corrupt): {problem}"),
                    });
                    continue;
                }
            }
            recovery.partitions_opened += 1;
            recovery.messages += pw.messages;
            next_id = next_id.max(pw.max_id()? + 1);
            parts.insert(day, pw.part.clone());
            writers.insert(day, pw);
        }
        let comps = [
            new_compressor(opts.zstd_level)?,
            new_compressor(opts.zstd_level)?,
        ];
        Ok(EmbeddedStore {
            dir: dir.to_path_buf(),
            opts,
            parts: RwLock::new(parts),
            recovery,
            writer: Mutex::new(Writer {
                parts: writers,
                next_id,
                comps,
            }),
        })
    }

    /// What [`EmbeddedStore::open`] recovered: partitions, messages, WAL frames replayed,
    /// files set aside.
    pub fn recovery(&self) -> &RecoveryReport {
        &self.recovery
    }

    /// The directory this store lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn parts_in(&self, since: i64, until: i64) -> Vec<Arc<Part>> {
        self.parts
            .read()
            .values()
            .filter(|p| p.overlaps(since, until))
            .cloned()
            .collect()
    }

    fn with_reader<T>(
        &self,
        part: &Part,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = part.readers.lock().pop();
        let conn = match conn {
            Some(c) => c,
            None => open_conn(part, self.opts.cache_kib, false)?,
        };
        let out = f(&conn);
        let mut pool = part.readers.lock();
        if pool.len() < self.opts.readers_per_partition {
            pool.push(conn);
        }
        out
    }

    /// Blocks holding any of `terms` (posting lookup in every bucket).
    fn blocks_for_terms(
        conn: &Connection,
        part: &Part,
        terms: &[i64],
    ) -> Result<HashSet<i64>, StoreError> {
        let mut out = HashSet::new();
        if terms.is_empty() {
            return Ok(out);
        }
        let max_blk: i64 = conn
            .query_row("SELECT coalesce(max(id), -1) FROM bix", [], |r| r.get(0))
            .map_err(sql_err(part, "read blocks"))?;
        if max_blk < 0 {
            return Ok(out);
        }
        let mut terms = terms.to_vec();
        terms.sort_unstable();
        terms.dedup();
        for chunk in terms.chunks(256) {
            let ph: Vec<String> = (0..chunk.len()).map(|i| format!("?{}", i + 2)).collect();
            let sql = format!(
                "SELECT blk FROM post WHERE bkt = ?1 AND term IN ({})",
                ph.join(",")
            );
            let mut st = conn
                .prepare_cached(&sql)
                .map_err(sql_err(part, "prepare posting lookup"))?;
            let mut params: Vec<i64> = Vec::with_capacity(chunk.len() + 1);
            params.push(0);
            params.extend_from_slice(chunk);
            for bkt in 0..=(max_blk >> BKT_SHIFT) {
                params[0] = bkt;
                let mut rows = st
                    .query(params_from_iter(params.iter()))
                    .map_err(sql_err(part, "posting lookup"))?;
                while let Some(row) = rows.next().map_err(sql_err(part, "posting lookup"))? {
                    out.insert(row.get::<_, i64>(0).map_err(sql_err(part, "read row"))?);
                }
            }
        }
        Ok(out)
    }

    /// Index rows of the blocks that may hold messages in `[since, until)`: those in
    /// `only` when given, else all; ordered by (min_ts, id).
    fn block_metas(
        conn: &Connection,
        part: &Part,
        since: i64,
        until: i64,
        only: Option<&HashSet<i64>>,
    ) -> Result<Vec<BlockMeta>, StoreError> {
        let row = |r: &rusqlite::Row<'_>| -> rusqlite::Result<BlockMeta> {
            Ok(BlockMeta {
                id: r.get(0)?,
                min_ts: r.get(1)?,
                max_ts: r.get(2)?,
                base_ts: r.get(3)?,
                base_id: r.get(4)?,
                raw_len: r.get(5)?,
                n: r.get(6)?,
            })
        };
        let mut out = Vec::new();
        match only {
            Some(set) => {
                let mut st = conn
                    .prepare_cached(
                        "SELECT id, min_ts, max_ts, base_ts, base_id, raw_len, n FROM bix WHERE id = ?1",
                    )
                    .map_err(sql_err(part, "prepare block index"))?;
                for &b in set {
                    if let Some(m) = st
                        .query_row([b], row)
                        .optional()
                        .map_err(sql_err(part, "read block index"))?
                    {
                        if m.min_ts < until && m.max_ts >= since {
                            out.push(m);
                        }
                    }
                }
            }
            None => {
                let mut st = conn
                    .prepare_cached(
                        "SELECT id, min_ts, max_ts, base_ts, base_id, raw_len, n FROM bix
                         WHERE min_ts < ?2 AND max_ts >= ?1",
                    )
                    .map_err(sql_err(part, "prepare block index"))?;
                let rows = st
                    .query_map([since, until], row)
                    .map_err(sql_err(part, "read block index"))?;
                for m in rows {
                    out.push(m.map_err(sql_err(part, "read block index"))?);
                }
            }
        }
        out.sort_by_key(|m| (m.min_ts, m.id));
        Ok(out)
    }

    /// Decodes the messages of block `m` in `[since, until)` whose encoding contains every
    /// needle and that pass `verify`.
    #[allow(clippy::too_many_arguments)]
    fn decode_block(
        conn: &Connection,
        part: &Part,
        m: &BlockMeta,
        since: i64,
        until: i64,
        needles: &[&[u8]],
        verify: &dyn Fn(&Record) -> bool,
        out: &mut dyn FnMut(StoredMessage),
    ) -> Result<(), StoreError> {
        // Image and length in one statement: a flush may rewrite the open block (same id,
        // longer image) between the index read and this one, e.g. during a long scan.
        let row: Option<(Vec<u8>, i64)> = conn
            .prepare_cached(
                "SELECT blk.data, bix.raw_len FROM blk JOIN bix ON bix.id = blk.id WHERE blk.id = ?1",
            )
            .and_then(|mut st| st.query_row([m.id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(sql_err(part, "read block"))?;
        let Some((data, raw_len)) = row else {
            return Err(StoreError::Corrupt {
                partition: part.name.clone(),
                detail: format!("block {} is indexed but missing", m.id),
            });
        };
        let raw = zstd::bulk::decompress(&data, raw_len.max(0) as usize).map_err(|source| {
            StoreError::Compression {
                partition: part.name.clone(),
                block: m.id,
                op: "decompress",
                source,
            }
        })?;
        let corrupt = |slot: usize| StoreError::Corrupt {
            partition: part.name.clone(),
            detail: format!("block {} slot {slot} does not decode", m.id),
        };
        for slot in 0.. {
            let Some(e) = codec::block_entry(&raw, slot) else {
                break;
            };
            let (ts, id, rec) =
                codec::entry_header(e, m.base_ts, m.base_id).ok_or_else(|| corrupt(slot))?;
            if ts < since || ts >= until || !needles.iter().all(|n| codec::contains(rec, n)) {
                continue;
            }
            let record = codec::decode_record(rec, ts).ok_or_else(|| corrupt(slot))?;
            if verify(&record) {
                out(StoredMessage {
                    id: id as u64,
                    record,
                });
            }
        }
        Ok(())
    }

    /// Visits the matching messages of `blocks` (ordered by min_ts) in (ts, id) order
    /// until `visit` returns false. Returns false when stopped early.
    #[allow(clippy::too_many_arguments)]
    fn scan(
        conn: &Connection,
        part: &Part,
        blocks: &[BlockMeta],
        since: i64,
        until: i64,
        needles: &[&[u8]],
        text_probe: &[usize],
        verify: &dyn Fn(&Record) -> bool,
        visit: &mut dyn FnMut(StoredMessage) -> bool,
    ) -> Result<bool, StoreError> {
        let mut heap: BinaryHeap<Reverse<Ordered>> = BinaryHeap::new();
        for m in blocks {
            while heap
                .peek()
                .is_some_and(|Reverse(o)| o.0.record.capture.ts_us < m.min_ts)
            {
                if let Some(Reverse(o)) = heap.pop() {
                    if !visit(o.0) {
                        return Ok(false);
                    }
                }
            }
            if !text_probe.is_empty() && !Self::text_may_match(conn, part, m.id, text_probe)? {
                continue;
            }
            Self::decode_block(conn, part, m, since, until, needles, verify, &mut |sm| {
                heap.push(Reverse(Ordered(sm)));
            })?;
        }
        while let Some(Reverse(o)) = heap.pop() {
            if !visit(o.0) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// False when block `id`'s full-text filter rules out `probe` (blocks written before
    /// the filter existed have none: true).
    fn text_may_match(
        conn: &Connection,
        part: &Part,
        id: i64,
        probe: &[usize],
    ) -> Result<bool, StoreError> {
        let mut st = conn
            .prepare_cached("SELECT bits FROM txt WHERE id = ?1")
            .map_err(sql_err(part, "prepare text filter"))?;
        let mut rows = st.query([id]).map_err(sql_err(part, "read text filter"))?;
        match rows.next().map_err(sql_err(part, "read text filter"))? {
            None => Ok(true),
            Some(row) => {
                let bits = row
                    .get_ref(0)
                    .and_then(|v| v.as_blob().map_err(Into::into))
                    .map_err(sql_err(part, "read text filter"))?;
                Ok(codec::text_may_contain(bits, probe))
            }
        }
    }

    /// [`Store::scan`] of one partition. Blocks overlap in time (late records, a capture
    /// agent with a skewed clock), so a merge of whole blocks could hold hours of messages.
    /// Instead the range is cut into windows `[t, e)`: each window decodes the blocks that
    /// overlap it, keeps its messages, sorts and emits them. The window adapts to hold about
    /// `target` messages; one that would hold more than [`SCAN_MAX_FACTOR`] times that is
    /// cut and redone, so memory is bounded (except for more messages than that sharing one
    /// timestamp) and, for records arriving in time order, each block is decoded about
    /// once. Returns false when `visit` stopped.
    fn scan_part(
        conn: &Connection,
        part: &Part,
        since: i64,
        until: i64,
        target: usize,
        visit: &mut dyn FnMut(StoredMessage) -> bool,
    ) -> Result<bool, StoreError> {
        let target = target.max(1);
        let metas = Self::block_metas(conn, part, since, until, None)?;
        let (Some(lo), Some(hi)) = (
            metas.iter().map(|m| m.min_ts).min(),
            metas.iter().map(|m| m.max_ts).max(),
        ) else {
            return Ok(true);
        };
        let mut t = since.max(lo);
        let end = until.min(hi.saturating_add(1));
        let total: i64 = metas.iter().map(|m| m.n).sum::<i64>().max(1);
        // Initial width: the range shared evenly, `target` messages per window.
        let span = i128::from(end) - i128::from(t);
        let mut w =
            (span * target as i128 / i128::from(total)).clamp(1, i128::from(i64::MAX)) as i64;
        let mut kept: Vec<StoredMessage> = Vec::new();
        while t < end {
            let e = t.saturating_add(w).min(end);
            kept.clear();
            let mut over = false;
            for m in metas.iter().take_while(|m| m.min_ts < e) {
                if m.max_ts < t {
                    continue;
                }
                Self::decode_block(conn, part, m, t, e, &[], &|_| true, &mut |sm| kept.push(sm))?;
                if kept.len() > target * SCAN_MAX_FACTOR && e - t > 1 {
                    over = true;
                    break;
                }
            }
            if over {
                w = ((e - t) / 4).max(1);
                continue;
            }
            let got = kept.len();
            kept.sort_unstable_by_key(|m| (m.record.capture.ts_us, m.id));
            for m in kept.drain(..) {
                if !visit(m) {
                    return Ok(false);
                }
            }
            t = e;
            if got * 2 <= target {
                w = w.saturating_mul(2);
            } else if got > target * 2 {
                w = (w / 2).max(1);
            }
        }
        Ok(true)
    }

    /// Interned ids of the strings matching `filter` in this partition, or `None` when the
    /// pattern matches too many to list (then the filter is only checked on records).
    fn dict_ids(
        &self,
        conn: &Connection,
        part: &Part,
        filter: &Filter,
    ) -> Result<Option<Vec<i64>>, StoreError> {
        if !filter.is_pattern() {
            let id: Option<i64> = conn
                .prepare_cached("SELECT id FROM dict WHERE s = ?1")
                .and_then(|mut s| {
                    s.query_row([filter.value.as_bytes()], |r| r.get(0))
                        .optional()
                })
                .map_err(sql_err(part, "dictionary lookup"))?;
            return Ok(Some(id.into_iter().collect()));
        }
        let prefix = filter
            .value
            .split('*')
            .next()
            .unwrap_or("")
            .as_bytes()
            .to_vec();
        let mut upper = prefix.clone();
        // The smallest byte string greater than every string starting with `prefix`.
        while let Some(last) = upper.pop() {
            if last < 0xff {
                upper.push(last + 1);
                break;
            }
        }
        let mut ids = Vec::new();
        let mut visit = |id: i64, s: Vec<u8>| {
            if std::str::from_utf8(&s).is_ok_and(|s| filter.matches(s)) {
                ids.push(id);
            }
        };
        if upper.is_empty() {
            let mut st = conn
                .prepare_cached("SELECT id, s FROM dict WHERE s >= ?1")
                .map_err(sql_err(part, "dictionary scan"))?;
            let rows = st
                .query_map([&prefix], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(sql_err(part, "dictionary scan"))?;
            for row in rows {
                let (id, s) = row.map_err(sql_err(part, "dictionary scan"))?;
                visit(id, s);
            }
        } else {
            let mut st = conn
                .prepare_cached("SELECT id, s FROM dict WHERE s >= ?1 AND s < ?2")
                .map_err(sql_err(part, "dictionary scan"))?;
            let rows = st
                .query_map([&prefix, &upper], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(sql_err(part, "dictionary scan"))?;
            for row in rows {
                let (id, s) = row.map_err(sql_err(part, "dictionary scan"))?;
                visit(id, s);
            }
        }
        Ok((ids.len() <= MAX_PATTERN_IDS).then_some(ids))
    }

    /// Candidate blocks for `filters` in one partition: `Ok(None)` when no filter is
    /// indexed (scan the time range), `Ok(Some(empty))` when nothing can match.
    fn plan(
        &self,
        conn: &Connection,
        part: &Part,
        filters: &[Filter],
    ) -> Result<Option<HashSet<i64>>, StoreError> {
        let mut cand: Option<HashSet<i64>> = None;
        for f in filters {
            let terms: Vec<i64> = match f.field {
                Field::CallId | Field::CallKey | Field::ALeg if !f.is_pattern() => {
                    let h = key_hash(&f.value);
                    let kinds: &[i64] = match f.field {
                        Field::CallId => &[T_CID],
                        Field::CallKey => &[T_CID, T_CK],
                        _ => &[T_CID, T_CK, T_AL],
                    };
                    kinds.iter().map(|&k| hterm(h, k)).collect()
                }
                Field::FromUser | Field::ToUser | Field::RuriUser => {
                    let Some(ids) = self.dict_ids(conn, part, f)? else {
                        continue;
                    };
                    let kinds: &[i64] = match f.field {
                        Field::FromUser => &[T_FU],
                        Field::ToUser => &[T_TU],
                        _ => &[T_RU, T_TU],
                    };
                    ids.iter()
                        .flat_map(|&id| kinds.iter().map(move |&k| uterm(id, k)))
                        .collect()
                }
                _ => continue,
            };
            let blocks = if terms.is_empty() {
                HashSet::new()
            } else {
                Self::blocks_for_terms(conn, part, &terms)?
            };
            cand = Some(match cand {
                None => blocks,
                Some(c) => c.intersection(&blocks).copied().collect(),
            });
            if cand.as_ref().is_some_and(HashSet::is_empty) {
                break;
            }
        }
        Ok(cand)
    }

    /// Streams matching messages of all partitions in `[since, until)` in time order.
    fn for_each_match(
        &self,
        since: i64,
        until: i64,
        filters: &[Filter],
        visit: &mut dyn FnMut(StoredMessage) -> bool,
    ) -> Result<(), StoreError> {
        let verify = |r: &Record| filters.iter().all(|f| codec::filter_matches(r, f));
        // Every 4-gram of every text filter must be in a block's filter.
        let mut probe: Vec<usize> = filters
            .iter()
            .filter(|f| f.field == Field::Text)
            .flat_map(|f| codec::text_probe(&f.value))
            .collect();
        probe.sort_unstable();
        probe.dedup();
        let needles: Vec<&[u8]> = filters
            .iter()
            .filter(|f| !f.is_pattern() && codec::stored_verbatim(f.field))
            .map(|f| f.value.as_bytes())
            .collect();
        for part in self.parts_in(since, until) {
            let go_on = self.with_reader(&part, |conn| {
                let cand = self.plan(conn, &part, filters)?;
                if cand.as_ref().is_some_and(HashSet::is_empty) {
                    return Ok(true);
                }
                let blocks = Self::block_metas(conn, &part, since, until, cand.as_ref())?;
                Self::scan(
                    conn, &part, &blocks, since, until, &needles, &probe, &verify, visit,
                )
            })?;
            if !go_on {
                break;
            }
        }
        Ok(())
    }

    /// One [`CallSummary`] per key (`set`: the same keys, for the check of each message),
    /// over its messages in `[since, until)`, read in one pass over the blocks holding
    /// them; sorted by first message. A key without messages gets an empty summary.
    fn summarise_keys(
        &self,
        keys: Vec<String>,
        set: &HashSet<String>,
        since: i64,
        until: i64,
    ) -> Result<Vec<CallSummary>, StoreError> {
        let hashes: Vec<i64> = keys.iter().map(|k| key_hash(k)).collect();
        let mut msgs = BTreeMap::new();
        let verify = |r: &Record| r.fields.call_key.as_ref().is_some_and(|k| set.contains(k));
        self.fetch_by_keys(
            since,
            until,
            &hashes,
            &hashes,
            &[],
            &verify,
            MAX_CALL_MESSAGES * keys.len().max(1),
            &mut msgs,
        )?;
        let mut groups: HashMap<String, Vec<StoredMessage>> = HashMap::new();
        for m in msgs.into_values() {
            if let Some(k) = m.record.fields.call_key.clone() {
                groups.entry(k).or_default().push(m);
            }
        }
        let mut out: Vec<CallSummary> = keys
            .into_iter()
            .map(|k| {
                let msgs = groups.remove(&k).unwrap_or_default();
                summarise(k, msgs)
            })
            .collect();
        out.sort_by(|a, b| (a.first_ts_us, &a.call_key).cmp(&(b.first_ts_us, &b.call_key)));
        Ok(out)
    }

    /// Messages in `[since, until)` whose call_id hash is in `cids`, call_key hash in `cks`
    /// or a_leg hash in `als`, passing `verify`; unordered, at most `cap`.
    #[allow(clippy::too_many_arguments)]
    fn fetch_by_keys(
        &self,
        since: i64,
        until: i64,
        cids: &[i64],
        cks: &[i64],
        als: &[i64],
        verify: &dyn Fn(&Record) -> bool,
        cap: usize,
        out: &mut BTreeMap<u64, StoredMessage>,
    ) -> Result<(), StoreError> {
        let mut terms = Vec::new();
        for (kind, hs) in [(T_CID, cids), (T_CK, cks), (T_AL, als)] {
            terms.extend(hs.iter().map(|&h| hterm(h, kind)));
        }
        if terms.is_empty() {
            return Ok(());
        }
        for part in self.parts_in(since, until) {
            if out.len() >= cap {
                break;
            }
            self.with_reader(&part, |conn| {
                let set = Self::blocks_for_terms(conn, &part, &terms)?;
                let blocks = Self::block_metas(conn, &part, since, until, Some(&set))?;
                for m in &blocks {
                    if out.len() >= cap {
                        break;
                    }
                    Self::decode_block(conn, &part, m, since, until, &[], verify, &mut |sm| {
                        if out.len() < cap {
                            out.insert(sm.id, sm);
                        }
                    })?;
                }
                Ok(())
            })?;
        }
        Ok(())
    }
}

impl EmbeddedStore {
    /// The writer of `day`'s file, opening (creating) the file when it is not open yet.
    fn part_writer<'w>(
        &self,
        parts: &'w mut HashMap<i64, PartWriter>,
        day: i64,
    ) -> Result<&'w mut PartWriter, StoreError> {
        match parts.entry(day) {
            std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
            std::collections::hash_map::Entry::Vacant(e) => {
                // An old-format file is renamed away by the first open; the second
                // creates a fresh one.
                let pw = match PartWriter::open(&self.dir, day, &self.opts)? {
                    Some(pw) => pw,
                    None => PartWriter::open(&self.dir, day, &self.opts)?.ok_or_else(|| {
                        StoreError::Corrupt {
                            partition: day_name(day),
                            detail: "cannot replace the old-format file".into(),
                        }
                    })?,
                };
                self.parts.write().insert(day, pw.part.clone());
                Ok(e.insert(pw))
            }
        }
    }

    /// Deletes partitions already taken out of `self.parts` (retention, size limit). Holds
    /// the writer lock only to write the id high-water mark and, per day, to close its
    /// writer and rename its files away; the files are removed after.
    fn remove_parts(&self, doomed: Vec<Arc<Part>>) -> Result<RetentionReport, StoreError> {
        let mut report = RetentionReport::default();
        if !doomed.is_empty() {
            // Ids of deleted days must not be handed out again after a restart: keep the
            // high-water mark in every remaining partition (the clock floor covers none).
            let w = self.writer.lock();
            for pw in w.parts.values() {
                if doomed.iter().any(|d| d.day == pw.part.day) {
                    continue;
                }
                pw.conn
                    .execute(
                        "INSERT OR REPLACE INTO meta(k, v) VALUES ('next_id', ?1)",
                        [w.next_id],
                    )
                    .map_err(sql_err(&pw.part, "write id high-water mark"))?;
            }
        }
        let mut trash = Vec::new();
        for part in &doomed {
            report.deleted.push(part.name.clone());
            report.messages_deleted += part.messages.load(Ordering::Relaxed);
            report.bytes_freed += part.bytes_on_disk();
            part.readers.lock().clear();
            // Under the writer lock only long enough to close the file and rename it away,
            // so a late record for that day starts a fresh file.
            let mut w = self.writer.lock();
            w.parts.remove(&part.day);
            for p in side_files(&part.path) {
                let mut to = p.clone().into_os_string();
                to.push(".deleted");
                match std::fs::rename(&p, &to) {
                    Ok(()) => trash.push(PathBuf::from(to)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err("rename", &p)(e)),
                }
            }
        }
        for p in trash {
            std::fs::remove_file(&p).map_err(io_err("remove", &p))?;
        }
        Ok(report)
    }
}

/// A message ordered by (ts, id) for the merge in [`EmbeddedStore::scan`].
struct Ordered(StoredMessage);

impl PartialEq for Ordered {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == std::cmp::Ordering::Equal
    }
}
impl Eq for Ordered {}
impl PartialOrd for Ordered {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ordered {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.0.record.capture.ts_us, self.0.id).cmp(&(o.0.record.capture.ts_us, o.0.id))
    }
}

fn summarise(call_key: String, mut msgs: Vec<StoredMessage>) -> CallSummary {
    msgs.sort_by_key(|m| (m.record.capture.ts_us, m.id));
    let mut s = CallSummary {
        call_key,
        messages: msgs.len() as u64,
        ..CallSummary::default()
    };
    if let (Some(a), Some(z)) = (msgs.first(), msgs.last()) {
        s.first_ts_us = a.record.capture.ts_us;
        s.last_ts_us = z.record.capture.ts_us;
    }
    for m in &msgs {
        if let Some(c) = &m.record.fields.call_id {
            if !s.call_ids.contains(c) {
                s.call_ids.push(c.clone());
            }
        }
    }
    if let Some(pos) = s.call_ids.iter().position(|c| *c == s.call_key) {
        let a = s.call_ids.remove(pos);
        s.call_ids.insert(0, a);
    }
    s.legs = s.call_ids.len() as u32;
    let initial = msgs
        .iter()
        .find(|m| m.record.fields.method.is_some())
        .or(msgs.first());
    if let Some(m) = initial {
        let f = &m.record.fields;
        s.method = f.method.clone();
        s.from_user = f.from_user.clone();
        s.to_user = f.to_user.clone();
        s.ruri_user = f.ruri_user.clone();
    }
    // Status: the last final reply to the initial method (so a 401/407 challenge followed
    // by 200 reads 200, a cancelled call 487), else the highest provisional one.
    let replies = msgs.iter().filter(|m| {
        m.record.fields.status.is_some()
            && (s.method.is_none() || m.record.fields.cseq_method == s.method)
    });
    let mut last_final = None;
    let mut best_prov = None;
    for m in replies {
        let st = m.record.fields.status.unwrap_or(0);
        if st >= 200 {
            last_final = Some(st);
        } else {
            best_prov = best_prov.max(Some(st));
        }
    }
    s.status = last_final.or(best_prov);
    s
}

impl Store for EmbeddedStore {
    fn insert(&self, batch: &[Record]) -> Result<InsertReport, StoreError> {
        for r in batch {
            let ts = r.capture.ts_us;
            if day_name(day_of(ts)).len() != 10 {
                return Err(StoreError::InvalidRecord(format!(
                    "timestamp {ts} outside years 0..9999"
                )));
            }
        }
        let mut w = self.writer.lock();
        let Writer {
            parts,
            next_id,
            comps,
        } = &mut *w;
        let block = self.opts.block_messages;
        // Back-pressure after failed writes: with too much buffered, the batch is refused
        // (not accepted at all) unless the buffer can be written now.
        let max_pending = self
            .opts
            .write_messages
            .max(block)
            .saturating_mul(MAX_PENDING_WRITES);
        for pw in parts.values_mut() {
            if pw.pending.len() >= max_pending {
                pw.write(comps, block, 0, false)?;
            }
        }
        for r in batch {
            self.part_writer(parts, day_of(r.capture.ts_us))?;
        }
        let mut bytes = 0u64;
        for r in batch {
            if let Some(pw) = parts.get_mut(&day_of(r.capture.ts_us)) {
                pw.pending.push(Pending::new(*next_id, r));
                *next_id += 1;
                bytes += r.capture.payload.len() as u64;
            }
        }
        for pw in parts.values_mut() {
            // A failure keeps the records pending: the next insert or flush retries them,
            // and flush() reports the error.
            let _ = pw.write(comps, block, self.opts.write_messages, false);
        }
        Ok(InsertReport {
            stored: batch.len() as u64,
            bytes,
        })
    }

    fn flush(&self) -> Result<(), StoreError> {
        let mut w = self.writer.lock();
        let w = &mut *w;
        let mut first_err = None;
        for pw in w.parts.values_mut() {
            // Tracker rows first: the messages' commit with synchronous=FULL syncs them too.
            if let Err(e) = pw.write_tracked() {
                first_err.get_or_insert(e);
            }
            if let Err(e) = pw.write(&mut w.comps, self.opts.block_messages, 0, true) {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    fn search(&self, q: &Query) -> Result<Vec<StoredMessage>, StoreError> {
        let mut out = Vec::new();
        if q.limit == 0 {
            return Ok(out);
        }
        self.for_each_match(q.since_us, q.until_us, &q.filters, &mut |m| {
            out.push(m);
            out.len() < q.limit
        })?;
        Ok(out)
    }

    fn calls(&self, q: &Query) -> Result<Vec<CallSummary>, StoreError> {
        let mut keys: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        if q.limit == 0 {
            return Ok(Vec::new());
        }
        self.for_each_match(q.since_us, q.until_us, &q.filters, &mut |m| {
            if let Some(k) = m.record.fields.call_key {
                if seen.insert(k.clone()) {
                    keys.push(k);
                }
            }
            keys.len() < q.limit
        })?;
        self.summarise_keys(keys, &seen, q.since_us, q.until_us)
    }

    fn calls_by_keys(
        &self,
        keys: &[String],
        since_us: i64,
        until_us: i64,
    ) -> Result<Vec<CallSummary>, StoreError> {
        let mut seen: HashSet<String> = HashSet::with_capacity(keys.len());
        let keys: Vec<String> = keys
            .iter()
            .filter(|k| seen.insert((*k).clone()))
            .cloned()
            .collect();
        let mut out = self.summarise_keys(keys, &seen, since_us, until_us)?;
        out.retain(|c| c.messages > 0);
        Ok(out)
    }

    fn call(
        &self,
        call_id: &str,
        since_us: i64,
        until_us: i64,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let cap = MAX_CALL_MESSAGES + 1;
        let mut first = BTreeMap::new();
        let h = key_hash(call_id);
        let is_cid = |r: &Record| r.fields.call_id.as_deref() == Some(call_id);
        self.fetch_by_keys(since_us, until_us, &[h], &[], &[], &is_cid, cap, &mut first)?;
        let mut k: HashSet<String> = HashSet::from([call_id.to_string()]);
        for m in first.values() {
            if let Some(ck) = &m.record.fields.call_key {
                k.insert(ck.clone());
            }
        }
        let hk: Vec<i64> = k.iter().map(|s| key_hash(s)).collect();
        let in_k = |o: &Option<String>| o.as_ref().is_some_and(|v| k.contains(v));
        let in_s = |r: &Record| {
            in_k(&r.fields.call_key) || in_k(&r.fields.call_id) || in_k(&r.fields.a_leg)
        };
        let mut s = first;
        self.fetch_by_keys(since_us, until_us, &hk, &hk, &hk, &in_s, cap, &mut s)?;
        let c: HashSet<String> = s
            .values()
            .filter_map(|m| m.record.fields.call_id.clone())
            .filter(|c| !k.contains(c))
            .collect();
        if !c.is_empty() {
            let hc: Vec<i64> = c.iter().map(|s| key_hash(s)).collect();
            let in_c = |r: &Record| r.fields.call_id.as_ref().is_some_and(|v| c.contains(v));
            self.fetch_by_keys(since_us, until_us, &hc, &[], &[], &in_c, cap, &mut s)?;
        }
        let mut out: Vec<StoredMessage> = s.into_values().collect();
        out.sort_by_key(|m| (m.record.capture.ts_us, m.id));
        out.truncate(MAX_CALL_MESSAGES);
        Ok(out)
    }

    fn apply_retention(&self, now_us: i64, keep_days: u32) -> Result<RetentionReport, StoreError> {
        let cutoff = now_us.saturating_sub(i64::from(keep_days).saturating_mul(DAY_US));
        let doomed: Vec<Arc<Part>> = {
            let mut parts = self.parts.write();
            let days: Vec<i64> = parts
                .keys()
                .copied()
                .filter(|d| d.saturating_add(1).saturating_mul(DAY_US) <= cutoff)
                .collect();
            days.iter().filter_map(|d| parts.remove(d)).collect()
        };
        self.remove_parts(doomed)
    }

    fn apply_size_limit(&self, max_bytes: u64) -> Result<RetentionReport, StoreError> {
        let today = day_of(clock_floor());
        let doomed: Vec<Arc<Part>> = {
            // Sizes and choice under the map lock, so two callers cannot both count a day.
            let mut parts = self.parts.write();
            let mut total: u64 = parts.values().map(|p| p.bytes_on_disk()).sum();
            let mut days = Vec::new();
            for (&day, p) in parts.iter() {
                if total <= max_bytes || day >= today {
                    break;
                }
                total = total.saturating_sub(p.bytes_on_disk());
                days.push(day);
            }
            days.iter().filter_map(|d| parts.remove(d)).collect()
        };
        self.remove_parts(doomed)
    }

    fn scan(
        &self,
        since_us: i64,
        until_us: i64,
        f: &mut dyn FnMut(StoredMessage) -> bool,
    ) -> Result<(), StoreError> {
        // Partition by partition (days do not overlap), in time windows in each: memory is
        // the block index of one day plus at most SCAN_MAX_FACTOR * SCAN_TARGET messages. No read transaction
        // stays open between blocks, so ingest, checkpoints and retention go on beside a
        // slow consumer.
        for part in self.parts_in(since_us, until_us) {
            let go_on = self.with_reader(&part, |conn| {
                Self::scan_part(conn, &part, since_us, until_us, SCAN_TARGET, f)
            })?;
            if !go_on {
                break;
            }
        }
        Ok(())
    }

    fn put_calls(&self, calls: &[CallRecord]) -> Result<(), StoreError> {
        self.put_tracked(tracked::call_rows(calls)?)
    }

    fn call_records(&self, q: &CallQuery) -> Result<Vec<CallRecord>, StoreError> {
        self.tracked_calls(q)
    }

    fn call_aggregates(&self, q: &KpiQuery) -> Result<Vec<CallAggRow>, StoreError> {
        self.tracked_call_aggregates(q)
    }

    fn put_registrations(&self, regs: &[RegistrationRecord]) -> Result<(), StoreError> {
        self.put_tracked(tracked::registration_rows(regs)?)
    }

    fn registrations(&self, q: &RegQuery) -> Result<Vec<RegistrationRecord>, StoreError> {
        self.tracked_registrations(q)
    }

    fn put_alarms(&self, alarms: &[Alarm]) -> Result<(), StoreError> {
        self.put_tracked(tracked::alarm_rows(alarms)?)
    }

    fn alarms(&self, q: &AlarmQuery) -> Result<Vec<Alarm>, StoreError> {
        self.tracked_alarms(q)
    }

    fn put_stats(&self, rows: &[StatRow]) -> Result<(), StoreError> {
        self.put_tracked(tracked::stat_rows(rows)?)
    }

    fn stat_rows(
        &self,
        since_us: i64,
        until_us: i64,
        prefix: &str,
    ) -> Result<Vec<StatRow>, StoreError> {
        self.tracked_stats(since_us, until_us, prefix)
    }

    fn stats(&self) -> Result<StoreStats, StoreError> {
        let parts: Vec<Arc<Part>> = self.parts.read().values().cloned().collect();
        let mut s = StoreStats::default();
        for p in parts {
            let ps = PartitionStats {
                day: p.name.clone(),
                messages: p.messages.load(Ordering::Relaxed),
                bytes_on_disk: p.bytes_on_disk(),
            };
            s.messages += ps.messages;
            s.bytes_on_disk += ps.bytes_on_disk;
            s.partitions.push(ps);
        }
        Ok(s)
    }
}

#[cfg(test)]
impl EmbeddedStore {
    /// Test helper: another connection takes the write lock of the first day file, and
    /// the store's writer stops waiting for locks, so its next write fails at once.
    pub(crate) fn hold_write_lock(&self) -> Connection {
        let path = {
            let w = self.writer.lock();
            let pw = w.parts.values().next().expect("a partition");
            pw.conn
                .busy_timeout(std::time::Duration::ZERO)
                .expect("timeout");
            pw.part.path.clone()
        };
        let other = Connection::open(&path).expect("open");
        other.execute_batch("BEGIN IMMEDIATE").expect("lock");
        other
    }
}

impl Drop for EmbeddedStore {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

impl Pending {
    fn new(id: i64, r: &Record) -> Self {
        let f = &r.fields;
        let mut entry = Vec::with_capacity(r.capture.payload.len() + 256);
        codec::encode_record(&mut entry, r);
        let cid = f.call_id.as_deref().map(|c| hterm(key_hash(c), T_CID));
        let ck = if f.call_key == f.call_id {
            None
        } else {
            Some(hterm(f.call_key.as_deref().map_or(0, key_hash), T_CK))
        };
        let al = match &f.a_leg {
            Some(a) if Some(a) != f.call_key.as_ref() => Some(hterm(key_hash(a), T_AL)),
            _ => None,
        };
        let ru = if f.ruri_user == f.to_user {
            None
        } else {
            f.ruri_user.clone()
        };
        Pending {
            id,
            ts: r.capture.ts_us,
            payload_len: r.capture.payload.len(),
            entry,
            keys: [cid, ck, al],
            fu: f.from_user.clone(),
            tu: f.to_user.clone(),
            ru,
        }
    }
}

impl OpenBlock {
    fn new(id: i64, p: &Pending) -> Self {
        OpenBlock {
            id,
            base_ts: p.ts,
            base_id: p.id,
            min_ts: p.ts,
            max_ts: p.ts,
            max_id: p.id,
            entries: Vec::new(),
            terms: HashSet::new(),
            text: vec![0; codec::TEXT_BITS / 64],
        }
    }

    fn meta(&self, raw_len: usize) -> BlockMeta {
        BlockMeta {
            id: self.id,
            min_ts: self.min_ts,
            max_ts: self.max_ts,
            base_ts: self.base_ts,
            base_id: self.base_id,
            raw_len: raw_len as i64,
            n: self.entries.len() as i64,
        }
    }
}

impl PartWriter {
    /// Opens or creates the file of `day`; `None` when an existing file has another format
    /// (it is then renamed to `YYYY-MM-DD.sqlite.formatN` and left alone).
    fn open(dir: &Path, day: i64, opts: &EmbeddedOptions) -> Result<Option<Self>, StoreError> {
        let name = day_name(day);
        let part = Arc::new(Part {
            day,
            path: dir.join(format!("{name}.{FILE_EXT}")),
            name,
            messages: AtomicU64::new(0),
            readers: Mutex::new(Vec::new()),
        });
        let conn = open_conn(&part, opts.cache_kib, true)?;
        let format = file_format(&conn).map_err(sql_err(&part, "read format"))?;
        if let Some(v) = format.filter(|&v| v != FORMAT_VERSION) {
            drop(conn);
            for p in side_files(&part.path) {
                let file = p.file_name().and_then(|f| f.to_str()).unwrap_or_default();
                let to = p.with_file_name(file.replacen(
                    &format!(".{FILE_EXT}"),
                    &format!(".{FILE_EXT}.format{v}"),
                    1,
                ));
                match std::fs::rename(&p, &to) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err("rename old-format file", &p)(e)),
                }
            }
            return Ok(None);
        }
        conn.execute_batch(SCHEMA)
            .and_then(|()| conn.execute_batch(tracked::SCHEMA))
            .map_err(sql_err(&part, "create schema"))?;
        rollup::create(&conn).map_err(sql_err(&part, "create call roll-up"))?;
        let (next_block, next_dict, messages) = conn
            .query_row(
                "SELECT (SELECT coalesce(max(id), 0) + 1 FROM bix), (SELECT coalesce(max(id), 0) + 1 FROM dict),
                        (SELECT v FROM meta WHERE k = 'messages')",
                [],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, Option<i64>>(2)?)),
            )
            .map_err(sql_err(&part, "read partition state"))?;
        let messages = messages.unwrap_or(0).max(0) as u64;
        part.messages.store(messages, Ordering::Relaxed);
        Ok(Some(PartWriter {
            part,
            conn,
            pending: Vec::new(),
            open_block: None,
            next_block,
            next_dict,
            dict: HashMap::new(),
            messages,
            unsynced: false,
            tracked: Vec::new(),
        }))
    }

    fn max_id(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row(
                "SELECT max(coalesce((SELECT max(max_id) FROM bix), 0),
                            coalesce((SELECT v - 1 FROM meta WHERE k = 'next_id'), 0))",
                [],
                |r| r.get(0),
            )
            .map_err(sql_err(&self.part, "read max id"))
    }

    fn dict_id(&mut self, s: &str) -> Result<i64, StoreError> {
        if let Some(&id) = self.dict.get(s.as_bytes()) {
            return Ok(id);
        }
        let part = &self.part;
        let found: Option<i64> = self
            .conn
            .prepare_cached("SELECT id FROM dict WHERE s = ?1")
            .and_then(|mut st| st.query_row([s.as_bytes()], |r| r.get(0)).optional())
            .map_err(sql_err(part, "dictionary lookup"))?;
        let id = match found {
            Some(id) => id,
            None => {
                let id = self.next_dict;
                self.conn
                    .prepare_cached("INSERT INTO dict(id, s) VALUES (?1, ?2)")
                    .and_then(|mut st| st.execute(params![id, s.as_bytes()]))
                    .map_err(sql_err(part, "dictionary insert"))?;
                self.next_dict += 1;
                id
            }
        };
        if self.dict.len() >= DICT_CACHE_MAX {
            self.dict.clear();
        }
        self.dict.insert(s.as_bytes().into(), id);
        Ok(id)
    }

    /// Writes pending records in full blocks (and, with `all`, the rest as an open block),
    /// in one transaction. On failure nothing is lost: the records stay pending and the
    /// next write retries them.
    fn write(
        &mut self,
        comps: &mut [zstd::bulk::Compressor<'static>; 2],
        block: usize,
        min_write: usize,
        all: bool,
    ) -> Result<(), StoreError> {
        let open_len = self.open_block.as_ref().map_or(0, |b| b.entries.len());
        // With nothing pending, a flush still has to sync earlier (synchronous=NORMAL)
        // commits: it then commits just the message count, with FULL.
        if self.pending.is_empty() && !(all && self.unsynced) {
            return Ok(());
        }
        if !all && open_len + self.pending.len() < block.max(min_write) {
            return Ok(());
        }
        if all {
            // A commit with synchronous=FULL syncs the WAL, and with it every earlier commit.
            self.conn
                .execute_batch("PRAGMA synchronous=FULL")
                .map_err(sql_err(&self.part, "pragma"))?;
        }
        let saved = (self.open_block.clone(), self.next_block, self.messages);
        let res = self
            .conn
            .execute_batch("BEGIN")
            .map_err(sql_err(&self.part, "begin"));
        let pending = std::mem::take(&mut self.pending);
        let res = res.and_then(|()| self.write_blocks(comps, &pending, block, all));
        self.pending = pending;
        let res = res.and_then(|taken| {
            self.conn
                .execute_batch("COMMIT")
                .map_err(sql_err(&self.part, "commit"))
                .map(|()| taken)
        });
        if all {
            let _ = self.conn.execute_batch("PRAGMA synchronous=NORMAL");
        }
        match res {
            Ok(taken) => {
                self.pending.drain(..taken);
                self.unsynced = !all;
                self.part.messages.store(self.messages, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                // Back to the state of the (rolled back) file; pending records are kept.
                (self.open_block, self.next_block, self.messages) = saved;
                self.dict.clear();
                if let Ok(d) =
                    self.conn
                        .query_row("SELECT coalesce(max(id), 0) + 1 FROM dict", [], |r| {
                            r.get(0)
                        })
                {
                    self.next_dict = d;
                }
                Err(e)
            }
        }
    }

    /// Terms of a pending record (interning its users).
    fn terms(&mut self, p: &Pending, out: &mut Vec<i64>) -> Result<(), StoreError> {
        out.extend(p.keys.iter().flatten());
        for (u, kind) in [(&p.fu, T_FU), (&p.tu, T_TU), (&p.ru, T_RU)] {
            if let Some(u) = u {
                out.push(uterm(self.dict_id(u)?, kind));
            }
        }
        Ok(())
    }

    /// Inside the write transaction: builds the blocks, writes postings and block index
    /// rows while a second thread compresses, then the blocks. Returns how many pending
    /// records were written.
    fn write_blocks(
        &mut self,
        comps: &mut [zstd::bulk::Compressor<'static>; 2],
        pending: &[Pending],
        block: usize,
        all: bool,
    ) -> Result<usize, StoreError> {
        let mut taken = 0usize;
        let mut jobs: Vec<Job> = Vec::new();
        let mut posts: Vec<(i64, i64, i64)> = Vec::new();
        let mut terms = Vec::new();
        loop {
            let mut ob = match self.open_block.take() {
                Some(ob) => ob,
                None if taken < pending.len() => {
                    let b = self.next_block;
                    self.next_block += 1;
                    OpenBlock::new(b, &pending[taken])
                }
                None => break,
            };
            let room = block.saturating_sub(ob.entries.len());
            let rest = pending.len() - taken;
            if rest == 0 || (!all && rest < room) {
                if !ob.entries.is_empty() {
                    self.open_block = Some(ob);
                } else {
                    self.next_block -= 1;
                }
                break;
            }
            let n = room.min(rest);
            for p in &pending[taken..taken + n] {
                let mut e = Vec::with_capacity(p.entry.len() + 8);
                codec::put_entry_header(&mut e, p.ts, p.id, ob.base_ts, ob.base_id);
                e.extend_from_slice(&p.entry);
                ob.entries.push(e);
                codec::text_grams_add(&mut ob.text, &p.entry[p.entry.len() - p.payload_len..]);
                ob.min_ts = ob.min_ts.min(p.ts);
                ob.max_ts = ob.max_ts.max(p.ts);
                ob.max_id = ob.max_id.max(p.id);
                terms.clear();
                self.terms(p, &mut terms)?;
                for &t in &terms {
                    if ob.terms.insert(t) {
                        posts.push((ob.id >> BKT_SHIFT, t, ob.id));
                    }
                }
            }
            let image = codec::build_block(&ob.entries);
            jobs.push(Job {
                meta: ob.meta(image.len()),
                max_id: ob.max_id,
                n: ob.entries.len(),
                image,
                text: codec::text_bits_bytes(&ob.text),
            });
            taken += n;
            self.messages += n as u64;
            if ob.entries.len() < block {
                self.open_block = Some(ob);
            }
        }
        posts.sort_unstable();
        let next = AtomicUsize::new(0);
        let done: Vec<OnceLock<std::io::Result<Vec<u8>>>> =
            jobs.iter().map(|_| OnceLock::new()).collect();
        let work = |c: &mut zstd::bulk::Compressor<'static>| loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(i) else { break };
            let _ = done[i].set(c.compress(&job.image));
        };
        let [c0, c1] = comps;
        let index_res = if jobs.len() > 1 {
            std::thread::scope(|s| {
                s.spawn(|| work(c1));
                let r = self.write_index(&jobs, &posts);
                work(c0);
                r
            })
        } else {
            let r = self.write_index(&jobs, &posts);
            work(c0);
            r
        };
        index_res?;
        for (job, data) in jobs.iter().zip(done) {
            let data = data
                .into_inner()
                .unwrap_or_else(|| Err(std::io::Error::other("not compressed")))
                .map_err(|source| StoreError::Compression {
                    partition: self.part.name.clone(),
                    block: job.meta.id,
                    op: "compress",
                    source,
                })?;
            self.conn
                .prepare_cached("INSERT OR REPLACE INTO blk(id, data) VALUES (?1, ?2)")
                .and_then(|mut st| st.execute(params![job.meta.id, data]))
                .map_err(sql_err(&self.part, "write block"))?;
        }
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO meta(k, v) VALUES ('messages', ?1)")
            .and_then(|mut st| st.execute([self.messages as i64]))
            .map_err(sql_err(&self.part, "write count"))?;
        Ok(taken)
    }

    /// Block index rows and postings of a write.
    fn write_index(&self, jobs: &[Job], posts: &[(i64, i64, i64)]) -> Result<(), StoreError> {
        let part = &self.part;
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT OR REPLACE INTO bix(id, min_ts, max_ts, base_ts, base_id, max_id, n, raw_len)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(sql_err(part, "prepare block index"))?;
        for j in jobs {
            let m = &j.meta;
            st.execute(params![
                m.id, m.min_ts, m.max_ts, m.base_ts, m.base_id, j.max_id, j.n as i64, m.raw_len
            ])
            .map_err(sql_err(part, "write block index"))?;
        }
        let mut st = self
            .conn
            .prepare_cached("INSERT OR REPLACE INTO txt(id, bits) VALUES (?1, ?2)")
            .map_err(sql_err(part, "prepare text filter"))?;
        for j in jobs {
            st.execute(params![j.meta.id, j.text])
                .map_err(sql_err(part, "write text filter"))?;
        }
        let mut st = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO post(bkt, term, blk) VALUES (?1, ?2, ?3)")
            .map_err(sql_err(part, "prepare postings"))?;
        for &(bkt, term, blk) in posts {
            st.execute(params![bkt, term, blk])
                .map_err(sql_err(part, "write postings"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::Generator;

    fn all(store: &EmbeddedStore) -> Vec<StoredMessage> {
        store
            .search(&Query {
                limit: usize::MAX,
                ..Query::default()
            })
            .expect("search")
    }

    #[test]
    fn failed_write_keeps_records_for_retry() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).expect("open");
        let recs = Generator::new(4).messages(3000);
        store.insert(&recs[..1000]).expect("insert");
        store.flush().expect("flush");
        // Another connection holds the write lock: the flush fails, nothing is lost.
        let other = store.hold_write_lock();
        store.insert(&recs[1000..]).expect("insert buffers");
        assert!(store.flush().is_err());
        other.execute_batch("COMMIT").expect("unlock");
        store.flush().expect("retry");
        let got = all(&store);
        assert_eq!(got.len(), recs.len());
        for (g, r) in got.iter().zip(&recs) {
            assert_eq!(&g.record, r);
        }
    }

    #[test]
    fn ids_not_reused_after_retention_deletes_everything() {
        let dir = tempfile::tempdir().expect("tempdir");
        let recs = Generator::new(5).messages(100);
        let max_old = {
            let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).expect("open");
            store.insert(&recs).expect("insert");
            store.flush().expect("flush");
            let max_old = all(&store).iter().map(|m| m.id).max().expect("ids");
            let rep = store.apply_retention(i64::MAX / 2, 0).expect("retention");
            assert_eq!(rep.messages_deleted, recs.len() as u64);
            max_old
        };
        let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).expect("open");
        store.insert(&recs[..1]).expect("insert");
        store.flush().expect("flush");
        assert!(all(&store)[0].id > max_old);
    }

    /// Blocks spanning most of the day (a skewed capture agent) and tiny windows: the scan
    /// cuts and redoes windows yet emits every message once, in order.
    #[test]
    fn scan_windows_bound_memory_with_overlapping_blocks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let o = EmbeddedOptions {
            block_messages: 32,
            ..EmbeddedOptions::default()
        };
        let store = EmbeddedStore::open(dir.path(), o).expect("open");
        let mut recs = Generator::new(8).messages(1200);
        let t0 = (recs[0].capture.ts_us / DAY_US) * DAY_US;
        for (i, r) in recs.iter_mut().enumerate() {
            let i = i as i64;
            // Every 10th record is an hour late; some share a timestamp.
            r.capture.ts_us =
                t0 + 3_600_000_000 + i * 1000 - if i % 10 == 0 { 3_600_000_000 } else { 0 };
            if i % 7 == 0 {
                r.capture.ts_us = t0 + 3_600_000_000;
            }
        }
        store.insert(&recs).expect("insert");
        store.flush().expect("flush");
        let want = all(&store);
        assert_eq!(want.len(), recs.len());
        let part = store.parts_in(0, i64::MAX).pop().expect("a partition");
        for target in [3, 40, 100_000] {
            let mut got = Vec::new();
            let done = store
                .with_reader(&part, |conn| {
                    EmbeddedStore::scan_part(conn, &part, 0, i64::MAX, target, &mut |m| {
                        got.push(m);
                        true
                    })
                })
                .expect("scan");
            assert!(done);
            assert_eq!(
                got.iter().map(|m| m.id).collect::<Vec<_>>(),
                want.iter().map(|m| m.id).collect::<Vec<_>>(),
                "target {target}"
            );
        }
    }

    #[test]
    fn old_format_files_are_set_aside() {
        let dir = tempfile::tempdir().expect("tempdir");
        let old = dir.path().join("2025-11-25.sqlite");
        Connection::open(&old)
            .and_then(|c| {
                c.execute_batch(
                    "CREATE TABLE msg(id INTEGER PRIMARY KEY, ts INTEGER, loc INTEGER);
                     INSERT INTO msg VALUES (1, 1, 1);",
                )
            })
            .expect("v1 file");
        let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).expect("open");
        assert!(store.stats().expect("stats").partitions.is_empty());
        assert!(dir.path().join("2025-11-25.sqlite.format1").exists());
        let recs = Generator::new(6).messages(10);
        store.insert(&recs).expect("insert");
        store.flush().expect("flush");
        assert_eq!(all(&store).len(), recs.len());
    }
}
