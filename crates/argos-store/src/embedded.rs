//! [`EmbeddedStore`]: one SQLite file per UTC day, payloads zstd-compressed in blocks,
//! a narrow index table per message.

use crate::codec::{self, day_name, day_of, key_hash, DAY_US};
use crate::{
    InsertReport, PartitionStats, RetentionReport, Store, StoreError, StoreStats, MAX_CALL_MESSAGES,
};
use argos_model::{CallSummary, Field, Filter, Query, Record, StoredMessage};
use parking_lot::{Mutex, RwLock};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Tuning of [`EmbeddedStore`]. Start from `EmbeddedOptions::default()`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EmbeddedOptions {
    /// Messages per compressed block (1..=1024). Larger compresses better; a hit costs
    /// decompressing its whole block.
    pub block_messages: usize,
    /// zstd level for blocks.
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
            block_messages: 256,
            zstd_level: 6,
            cache_kib: 32 * 1024,
            readers_per_partition: 4,
            write_messages: 32 * 1024,
        }
    }
}

const FILE_EXT: &str = "sqlite";
/// Block slots per block id in `msg.loc` (`loc = block * LOC_SLOTS + slot`).
const LOC_SLOTS: i64 = 1024;
/// Max interned ids a pattern may expand to before it is checked on decoded records instead.
const MAX_PATTERN_IDS: usize = 2000;
/// Interned strings the writer remembers per partition before it forgets them all.
const DICT_CACHE_MAX: usize = 1 << 20;
/// Decoded blocks kept per query.
const BLOCK_CACHE: usize = 64;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blk(id INTEGER PRIMARY KEY, raw_len INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS dict(id INTEGER PRIMARY KEY, s BLOB NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS msg(
  id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, loc INTEGER NOT NULL,
  cid INTEGER, ck INTEGER, al INTEGER, fu INTEGER, tu INTEGER, ru INTEGER);
CREATE INDEX IF NOT EXISTS msg_ts ON msg(ts);
CREATE INDEX IF NOT EXISTS msg_cid ON msg(cid);
CREATE INDEX IF NOT EXISTS msg_ck ON msg(ck) WHERE ck IS NOT NULL;
CREATE INDEX IF NOT EXISTS msg_al ON msg(al) WHERE al IS NOT NULL;
CREATE INDEX IF NOT EXISTS msg_fu ON msg(fu, ts);
CREATE INDEX IF NOT EXISTS msg_tu ON msg(tu, ts);
CREATE INDEX IF NOT EXISTS msg_ru ON msg(ru, ts) WHERE ru > 0;
";

/// The embedded, day-partitioned store. Cheap to share: wrap it in an `Arc`.
pub struct EmbeddedStore {
    dir: PathBuf,
    opts: EmbeddedOptions,
    parts: RwLock<BTreeMap<i64, Arc<Part>>>,
    writer: Mutex<Writer>,
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
    compressor: zstd::bulk::Compressor<'static>,
}

struct PartWriter {
    part: Arc<Part>,
    conn: Connection,
    /// Encoded records not yet written.
    pending: Vec<Pending>,
    /// The last block written while not full (by a flush): rewritten as it fills up.
    open_block: Option<(i64, Vec<Vec<u8>>)>,
    next_block: i64,
    next_dict: i64,
    dict: HashMap<Box<[u8]>, i64>,
    messages: u64,
}

struct Pending {
    id: i64,
    ts: i64,
    entry: Vec<u8>,
    cid: Option<i64>,
    ck: Option<i64>,
    al: Option<i64>,
    fu: Option<String>,
    tu: Option<String>,
    /// `None`: same as to_user (stored NULL); `Some(None)`: absent (stored 0).
    ru: Option<Option<String>>,
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

impl EmbeddedStore {
    /// Opens (creating it if needed) the store in `dir`, and recovers the partitions there.
    pub fn open(dir: &Path, opts: EmbeddedOptions) -> Result<Self, StoreError> {
        let mut opts = opts;
        opts.block_messages = opts.block_messages.clamp(1, LOC_SLOTS as usize);
        std::fs::create_dir_all(dir).map_err(io_err("create directory", dir))?;
        let mut parts = BTreeMap::new();
        let mut writers = HashMap::new();
        let mut next_id = 1i64;
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
            let pw = PartWriter::open(dir, day, &opts)?;
            next_id = next_id.max(pw.max_id()? + 1);
            parts.insert(day, pw.part.clone());
            writers.insert(day, pw);
        }
        let compressor = zstd::bulk::Compressor::new(opts.zstd_level).map_err(|source| {
            StoreError::Compression {
                partition: String::new(),
                block: 0,
                op: "create compressor",
                source,
            }
        })?;
        Ok(EmbeddedStore {
            dir: dir.to_path_buf(),
            opts,
            parts: RwLock::new(parts),
            writer: Mutex::new(Writer {
                parts: writers,
                next_id,
                compressor,
            }),
        })
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

    /// Runs the candidate query `sql_where` (over `msg`, with `?1`/`?2` the time range and
    /// `params` after) and calls `visit` with each record that passes `verify`, in time
    /// order, until `visit` returns false. Returns false when stopped early.
    fn scan(
        &self,
        conn: &Connection,
        part: &Part,
        sql: &str,
        params: &[i64],
        verify: &dyn Fn(&Record) -> bool,
        visit: &mut dyn FnMut(StoredMessage) -> bool,
    ) -> Result<bool, StoreError> {
        let mut stmt = conn
            .prepare_cached(sql)
            .map_err(sql_err(part, "prepare search"))?;
        let mut blk_stmt = conn
            .prepare_cached("SELECT raw_len, data FROM blk WHERE id = ?1")
            .map_err(sql_err(part, "prepare block read"))?;
        let mut cache: HashMap<i64, Rc<Vec<u8>>> = HashMap::new();
        let mut rows = stmt
            .query(params_from_iter(params.iter()))
            .map_err(sql_err(part, "search"))?;
        while let Some(row) = rows.next().map_err(sql_err(part, "search"))? {
            let id: i64 = row.get(0).map_err(sql_err(part, "read row"))?;
            let ts: i64 = row.get(1).map_err(sql_err(part, "read row"))?;
            let loc: i64 = row.get(2).map_err(sql_err(part, "read row"))?;
            let (blk, slot) = (loc / LOC_SLOTS, (loc % LOC_SLOTS) as usize);
            let block = match cache.get(&blk) {
                Some(b) => b.clone(),
                None => {
                    let (raw_len, data): (i64, Vec<u8>) = blk_stmt
                        .query_row([blk], |r| Ok((r.get(0)?, r.get(1)?)))
                        .map_err(sql_err(part, "read block"))?;
                    let raw = zstd::bulk::decompress(&data, raw_len.max(0) as usize).map_err(
                        |source| StoreError::Compression {
                            partition: part.name.clone(),
                            block: blk,
                            op: "decompress",
                            source,
                        },
                    )?;
                    if cache.len() >= BLOCK_CACHE {
                        cache.clear();
                    }
                    let raw = Rc::new(raw);
                    cache.insert(blk, raw.clone());
                    raw
                }
            };
            let record = codec::block_entry(&block, slot)
                .and_then(|e| codec::decode_record(e, ts))
                .ok_or_else(|| StoreError::Corrupt {
                    partition: part.name.clone(),
                    detail: format!("message {id}: block {blk} slot {slot} does not decode"),
                })?;
            if verify(&record)
                && !visit(StoredMessage {
                    id: id as u64,
                    record,
                })
            {
                return Ok(false);
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

    /// Builds the candidate query for `filters` in one partition; `None` when nothing in it
    /// can match.
    fn plan(
        &self,
        conn: &Connection,
        part: &Part,
        filters: &[Filter],
    ) -> Result<Option<(String, Vec<i64>)>, StoreError> {
        let mut conds: Vec<String> = Vec::new();
        let mut params: Vec<i64> = Vec::new();
        let mut by_key = false;
        let list = |ids: &[i64], params: &mut Vec<i64>| -> String {
            let mut s = String::from("(");
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                params.push(*id);
                s.push('?');
                s.push_str(&(params.len() + 2).to_string());
            }
            s.push(')');
            s
        };
        for f in filters {
            match f.field {
                Field::CallId | Field::CallKey | Field::ALeg if !f.is_pattern() => {
                    let h = key_hash(&f.value);
                    let cols: &[&str] = match f.field {
                        Field::CallId => &["cid"],
                        Field::CallKey => &["cid", "ck"],
                        _ => &["cid", "ck", "al"],
                    };
                    let c: Vec<String> = cols
                        .iter()
                        .map(|c| format!("{c} IN {}", list(&[h], &mut params)))
                        .collect();
                    conds.push(format!("({})", c.join(" OR ")));
                    by_key = true;
                }
                Field::FromUser | Field::ToUser | Field::RuriUser => {
                    let Some(ids) = self.dict_ids(conn, part, f)? else {
                        continue;
                    };
                    if ids.is_empty() {
                        return Ok(None);
                    }
                    match f.field {
                        Field::FromUser => conds.push(format!("fu IN {}", list(&ids, &mut params))),
                        Field::ToUser => conds.push(format!("tu IN {}", list(&ids, &mut params))),
                        _ => {
                            let a = list(&ids, &mut params);
                            let b = list(&ids, &mut params);
                            conds.push(format!(
                                "((ru > 0 AND ru IN {a}) OR (ru IS NULL AND tu IN {b}))"
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        // With a Call-ID-like key the few candidates are sorted; keep SQLite off the ts index.
        let ts = if by_key { "+ts" } else { "ts" };
        let mut sql = format!("SELECT id, ts, loc FROM msg WHERE {ts} >= ?1 AND {ts} < ?2");
        for c in &conds {
            sql.push_str(" AND ");
            sql.push_str(c);
        }
        sql.push_str(" ORDER BY ts, id");
        Ok(Some((sql, params)))
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
        for part in self.parts_in(since, until) {
            let go_on = self.with_reader(&part, |conn| {
                let Some((sql, mut params)) = self.plan(conn, &part, filters)? else {
                    return Ok(true);
                };
                params.splice(0..0, [since, until]);
                self.scan(conn, &part, &sql, &params, &verify, visit)
            })?;
            if !go_on {
                break;
            }
        }
        Ok(())
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
        let mut params = vec![since, until];
        let mut conds = Vec::new();
        for (col, hs) in [("cid", cids), ("ck", cks), ("al", als)] {
            for chunk in hs.chunks(500) {
                let ph: Vec<String> = chunk
                    .iter()
                    .map(|h| {
                        params.push(*h);
                        format!("?{}", params.len())
                    })
                    .collect();
                conds.push(format!("{col} IN ({})", ph.join(",")));
            }
        }
        if conds.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "SELECT id, ts, loc FROM msg WHERE +ts >= ?1 AND +ts < ?2 AND ({}) ORDER BY ts, id",
            conds.join(" OR ")
        );
        for part in self.parts_in(since, until) {
            if out.len() >= cap {
                break;
            }
            self.with_reader(&part, |conn| {
                self.scan(conn, &part, &sql, &params, verify, &mut |m| {
                    out.insert(m.id, m);
                    out.len() < cap
                })
            })?;
        }
        Ok(())
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
        let mut w = self.writer.lock();
        let w = &mut *w;
        let mut bytes = 0u64;
        for r in batch {
            let ts = r.capture.ts_us;
            let day = day_of(ts);
            if day_name(day).len() != 10 {
                return Err(StoreError::InvalidRecord(format!(
                    "timestamp {ts} outside years 0..9999"
                )));
            }
            let pw = match w.parts.entry(day) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let pw = PartWriter::open(&self.dir, day, &self.opts)?;
                    self.parts.write().insert(day, pw.part.clone());
                    e.insert(pw)
                }
            };
            let id = w.next_id;
            w.next_id += 1;
            pw.pending.push(Pending::new(id, r));
            bytes += r.capture.payload.len() as u64;
        }
        for pw in w.parts.values_mut() {
            pw.write(
                &mut w.compressor,
                self.opts.block_messages,
                self.opts.write_messages,
                false,
            )?;
        }
        Ok(InsertReport {
            stored: batch.len() as u64,
            bytes,
        })
    }

    fn flush(&self) -> Result<(), StoreError> {
        let mut w = self.writer.lock();
        let w = &mut *w;
        for pw in w.parts.values_mut() {
            pw.write(&mut w.compressor, self.opts.block_messages, 0, true)?;
        }
        Ok(())
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
        let hashes: Vec<i64> = keys.iter().map(|k| key_hash(k)).collect();
        let mut msgs = BTreeMap::new();
        let verify = |r: &Record| r.fields.call_key.as_ref().is_some_and(|k| seen.contains(k));
        self.fetch_by_keys(
            q.since_us,
            q.until_us,
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
        let mut report = RetentionReport::default();
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
        let ck = if f.call_key == f.call_id {
            None
        } else {
            Some(f.call_key.as_deref().map_or(0, key_hash))
        };
        let al = match &f.a_leg {
            Some(a) if Some(a) != f.call_key.as_ref() => Some(key_hash(a)),
            _ => None,
        };
        let ru = if f.ruri_user == f.to_user {
            None
        } else {
            Some(f.ruri_user.clone())
        };
        Pending {
            id,
            ts: r.capture.ts_us,
            entry,
            cid: f.call_id.as_deref().map(key_hash),
            ck,
            al,
            fu: f.from_user.clone(),
            tu: f.to_user.clone(),
            ru,
        }
    }
}

impl PartWriter {
    fn open(dir: &Path, day: i64, opts: &EmbeddedOptions) -> Result<Self, StoreError> {
        let name = day_name(day);
        let part = Arc::new(Part {
            day,
            path: dir.join(format!("{name}.{FILE_EXT}")),
            name,
            messages: AtomicU64::new(0),
            readers: Mutex::new(Vec::new()),
        });
        let conn = open_conn(&part, opts.cache_kib, true)?;
        conn.execute_batch(SCHEMA)
            .map_err(sql_err(&part, "create schema"))?;
        let (next_block, next_dict, messages) = conn
            .query_row(
                "SELECT (SELECT coalesce(max(id), 0) + 1 FROM blk), (SELECT coalesce(max(id), 0) + 1 FROM dict),
                        (SELECT v FROM meta WHERE k = 'messages')",
                [],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, Option<i64>>(2)?)),
            )
            .map_err(sql_err(&part, "read partition state"))?;
        let messages = match messages {
            Some(n) => n as u64,
            None => conn
                .query_row("SELECT count(*) FROM msg", [], |r| r.get::<_, i64>(0))
                .map_err(sql_err(&part, "count messages"))? as u64,
        };
        part.messages.store(messages, Ordering::Relaxed);
        Ok(PartWriter {
            part,
            conn,
            pending: Vec::new(),
            open_block: None,
            next_block,
            next_dict,
            dict: HashMap::new(),
            messages,
        })
    }

    fn max_id(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT coalesce(max(id), 0) FROM msg", [], |r| r.get(0))
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
    /// in one transaction.
    fn write(
        &mut self,
        comp: &mut zstd::bulk::Compressor<'static>,
        block: usize,
        min_write: usize,
        all: bool,
    ) -> Result<(), StoreError> {
        let open_len = self.open_block.as_ref().map_or(0, |(_, e)| e.len());
        if self.pending.is_empty() && !all {
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
        self.conn
            .execute_batch("BEGIN")
            .map_err(sql_err(&self.part, "begin"))?;
        let res = self.write_blocks(comp, block, all);
        let res = res.and_then(|()| {
            self.conn
                .execute_batch("COMMIT")
                .map_err(sql_err(&self.part, "commit"))
        });
        if all {
            let _ = self.conn.execute_batch("PRAGMA synchronous=NORMAL");
        }
        match res {
            Ok(()) => {
                self.part.messages.store(self.messages, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                // Keep the in-memory state consistent with the (rolled back) file.
                self.open_block = None;
                self.messages = self.part.messages.load(Ordering::Relaxed);
                self.dict.clear();
                if let Ok((b, d)) = self.conn.query_row(
                    "SELECT (SELECT coalesce(max(id), 0) + 1 FROM blk), (SELECT coalesce(max(id), 0) + 1 FROM dict)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                ) {
                    self.next_block = b;
                    self.next_dict = d;
                }
                Err(e)
            }
        }
    }

    fn write_blocks(
        &mut self,
        comp: &mut zstd::bulk::Compressor<'static>,
        block: usize,
        all: bool,
    ) -> Result<(), StoreError> {
        let mut pending = std::mem::take(&mut self.pending);
        let mut taken = 0usize;
        loop {
            let (blk, mut entries) = match self.open_block.take() {
                Some(ob) => ob,
                None => {
                    let b = self.next_block;
                    self.next_block += 1;
                    (b, Vec::new())
                }
            };
            let room = block.saturating_sub(entries.len());
            let rest = pending.len() - taken;
            if rest == 0 || (!all && rest < room) {
                if !entries.is_empty() {
                    self.open_block = Some((blk, entries));
                } else {
                    self.next_block -= 1;
                }
                break;
            }
            let n = room.min(rest);
            let first_slot = entries.len();
            let new = &mut pending[taken..taken + n];
            for p in new.iter_mut() {
                entries.push(std::mem::take(&mut p.entry));
            }
            let raw = codec::build_block(&entries);
            let data = comp
                .compress(&raw)
                .map_err(|source| StoreError::Compression {
                    partition: self.part.name.clone(),
                    block: blk,
                    op: "compress",
                    source,
                })?;
            self.conn
                .prepare_cached("INSERT OR REPLACE INTO blk(id, raw_len, data) VALUES (?1, ?2, ?3)")
                .and_then(|mut st| st.execute(params![blk, raw.len() as i64, data]))
                .map_err(sql_err(&self.part, "write block"))?;
            for (i, p) in pending[taken..taken + n].iter().enumerate() {
                let fu = p.fu.as_deref().map(|s| self.dict_id(s)).transpose()?;
                let tu = p.tu.as_deref().map(|s| self.dict_id(s)).transpose()?;
                let ru = match &p.ru {
                    None => None,
                    Some(None) => Some(0),
                    Some(Some(s)) => Some(self.dict_id(s)?),
                };
                let loc = blk * LOC_SLOTS + (first_slot + i) as i64;
                self.conn
                    .prepare_cached(
                        "INSERT INTO msg(id, ts, loc, cid, ck, al, fu, tu, ru) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    )
                    .and_then(|mut st| st.execute(params![p.id, p.ts, loc, p.cid, p.ck, p.al, fu, tu, ru]))
                    .map_err(sql_err(&self.part, "write index"))?;
            }
            taken += n;
            self.messages += n as u64;
            if entries.len() < block {
                self.open_block = Some((blk, entries));
            }
        }
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO meta(k, v) VALUES ('messages', ?1)")
            .and_then(|mut st| st.execute([self.messages as i64]))
            .map_err(sql_err(&self.part, "write count"))?;
        pending.drain(..taken);
        self.pending = pending;
        Ok(())
    }
}
