//! The call tracker's tables in each day file (issue #4), and how rows get there.
//!
//! Tables beside the messages, created with `CREATE TABLE IF NOT EXISTS` when a day file
//! is opened, so day files written before them gain them without a format change (older
//! binaries ignore them). Each keeps the whole record as zstd-compressed JSON and copies
//! of what queries filter, sort or group on:
//!
//! * `call_rows` + `call_blobs` — partition: day of `start_us`; one row per (`start_us`,
//!   `call_key`), replaced on put (the tracker never changes a call's start); the record
//!   itself is a slice of a shared blob (below);
//! * `registrations` — day of `last_us`; one row per (aor, contact) per day, replaced
//!   (`rec`: the record compressed alone; readers also take plain JSON);
//! * `alarms` — day of `first_us`; one row per (kind, key, first_us), replaced (`rec`);
//! * `stat_counts` — day of `minute_us`; one row per (minute, name), counts added.
//!
//! Retention and the size limit delete them with their day file.
//!
//! Call records are the volume (one per call, up to ~30k calls/s): they are laid out for
//! the writer thread and the disk. `call_rows` is a `WITHOUT ROWID` table clustered by its
//! key (`start_us`, `call_key`) holding every column a filter or an aggregate reads: it is
//! its own covering index by time, new calls are appended at its tail, and a replace is
//! one `INSERT OR REPLACE` on the key (no index on a random key — call_key alone, users,
//! IPs — whose inserts would touch pages all over the file; docs/PERFORMANCE.md, call
//! records). The records' JSON is not compressed one by one: the records of one
//! `put_calls` batch and day are concatenated, cut into chunks of about [`CHUNK_BYTES`],
//! and each chunk is compressed once (zstd, the store's level) into a `call_blobs` row;
//! a `call_rows` row points at (`blob`, `off`, `len`) in the decompressed chunk. Records
//! of one batch look alike, so a chunk compresses far better than a record alone (~1 KB
//! of JSON, ~0.5 KB compressed alone), and one frame per chunk costs less than one per
//! record; 64 KB chunks keep a read of one record from decompressing a whole batch (one
//! frame per 1000-record batch: 230 instead of 259 bytes/call, but a lookup of 20 calls
//! in a day took 17.6 ms instead of 8.5 ms). A replaced row leaves its old JSON in its
//! blob as dead bytes until retention deletes the day file (the tracker writes a call
//! again only while it is live at a flush, so few are).
//!
//! Measured (`bench_tracked`: 100k calls written 3 times each, batches of ~1000 writes,
//! 2-core machine): the previous layout (table + 14-column covering index, DELETE +
//! INSERT, one zstd frame per record) wrote 40k writes/s (~25 µs each on the writer
//! thread) and took 1,049 bytes/call on disk; this one writes 205k-238k writes/s
//! (~4.5 µs) and takes 259 bytes/call (dead bytes of the replaced states included), with
//! the same query plans (range scan of the key) and reads as fast or faster. Day files
//! holding the previous layout's `call_records` table keep it, unread.
//!
//! Writes: `put_*` runs on the ingest thread under the writer lock, buffers the rows per
//! day ([`PartWriter::tracked`]) and writes each day's buffer in one transaction on the
//! day's writer connection (`synchronous=NORMAL`, visible at once; [`Store::flush`] syncs
//! it with the messages). A failed write keeps the rows for the next put or flush (which
//! reports the error), so a retry never adds stat counts twice; a day with
//! [`MAX_PENDING_ROWS`] rows still buffered refuses further batches.
//!
//! [`Store::flush`]: crate::Store::flush

use super::{day_name, day_of, rollup, sql_err, EmbeddedStore, PartWriter};
use crate::tracked::to_json;
use crate::StoreError;
use argos_model::{Alarm, CallRecord, RegistrationRecord, StatRow};
use rusqlite::params;
use std::collections::HashMap;

/// The tables, in every day file (see the module documentation).
pub(super) const SCHEMA: &str = "
-- Clustered by (start_us, call_key): the table is its own covering index by time.
CREATE TABLE IF NOT EXISTS call_rows(
  start_us INTEGER NOT NULL, call_key TEXT NOT NULL, status TEXT NOT NULL,
  final_code INTEGER, from_user TEXT, to_user TEXT, ruri_user TEXT,
  src_ip TEXT NOT NULL, dst_ip TEXT NOT NULL, node TEXT, caller_ua TEXT,
  duration_ms INTEGER, pdd_ms INTEGER, setup_ms INTEGER,
  blob INTEGER NOT NULL, off INTEGER NOT NULL, len INTEGER NOT NULL,
  PRIMARY KEY(start_us, call_key)) WITHOUT ROWID;
-- zstd frames of concatenated call record JSON.
CREATE TABLE IF NOT EXISTS call_blobs(id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS registrations(
  aor TEXT NOT NULL, contact TEXT NOT NULL, last_us INTEGER NOT NULL, status TEXT NOT NULL,
  rec BLOB NOT NULL, PRIMARY KEY(aor, contact));
CREATE INDEX IF NOT EXISTS registrations_last ON registrations(last_us);
CREATE TABLE IF NOT EXISTS alarms(
  kind TEXT NOT NULL, key TEXT NOT NULL, first_us INTEGER NOT NULL, last_us INTEGER NOT NULL,
  rec BLOB NOT NULL, PRIMARY KEY(kind, key, first_us));
CREATE INDEX IF NOT EXISTS alarms_last ON alarms(last_us);
CREATE TABLE IF NOT EXISTS stat_counts(
  minute_us INTEGER NOT NULL, name TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY(minute_us, name)) WITHOUT ROWID;
";

/// Rows buffered for one day before further batches are refused (after failed writes).
pub(super) const MAX_PENDING_ROWS: usize = 256 * 1024;

/// Uncompressed bytes of call record JSON per blob (a chunk is closed once it reaches
/// this): large enough to compress like the whole batch, small enough that a read of one
/// record decompresses little beside it.
const CHUNK_BYTES: usize = 64 * 1024;

/// One row waiting for its day file's next tracked write, with the stored form of its
/// record (`rec`: JSON when made, compressed by [`EmbeddedStore::put_tracked`]).
pub(super) enum Row {
    /// The call records of one `put_calls` batch in one day, in batch order.
    Calls(CallBatch),
    Registration(Box<RegistrationRecord>, Vec<u8>),
    Alarm(Box<Alarm>, Vec<u8>),
    Stat {
        minute_us: i64,
        name: String,
        count: i64,
    },
}

/// Call records of one batch and day: the columns of each, and their JSON concatenated
/// in chunks (compressed by [`EmbeddedStore::put_tracked`], one blob each).
#[derive(Default)]
pub(super) struct CallBatch {
    calls: Vec<CallCols>,
    chunks: Vec<Vec<u8>>,
}

/// The `call_rows` columns of one record; `chunk`, `off`, `len`: where its JSON is.
struct CallCols {
    start_us: i64,
    call_key: String,
    from_user: Option<String>,
    /// The columns the per-minute roll-up sums too.
    summed: rollup::Summed,
    chunk: usize,
    off: usize,
    len: usize,
}

impl CallBatch {
    /// Appends `c`'s columns and JSON.
    fn push(&mut self, c: &CallRecord) -> Result<(), StoreError> {
        if self.chunks.last().is_none_or(|b| b.len() >= CHUNK_BYTES) {
            self.chunks.push(Vec::with_capacity(CHUNK_BYTES + 4096));
        }
        let chunk = self.chunks.len() - 1;
        let buf = &mut self.chunks[chunk];
        let off = buf.len();
        if let Err(e) = serde_json::to_writer(&mut *buf, c) {
            buf.truncate(off);
            return Err(StoreError::InvalidRecord(format!(
                "call record: cannot encode as JSON: {e}"
            )));
        }
        self.calls.push(CallCols {
            start_us: c.start_us,
            call_key: c.call_key.clone(),
            from_user: c.from_user.clone(),
            summed: rollup::Summed {
                status: c.status.as_str(),
                final_code: c.final_code,
                to_user: c.to_user.clone(),
                ruri_user: c.ruri_user.clone(),
                src_ip: c.src_ip.clone(),
                dst_ip: c.dst_ip.clone(),
                node: c.node.clone(),
                caller_ua: c.caller_ua.clone(),
                duration_ms: c.duration_ms,
                pdd_ms: c.pdd_ms,
                setup_ms: c.setup_ms,
            },
            chunk,
            off,
            len: buf.len() - off,
        });
        Ok(())
    }
}

/// Day partition of a timestamp, refusing one outside the years a day file can name.
fn day_for(what: &str, ts_us: i64) -> Result<i64, StoreError> {
    let day = day_of(ts_us);
    if day_name(day).len() != 10 {
        return Err(StoreError::InvalidRecord(format!(
            "{what}: timestamp {ts_us} outside years 0..9999"
        )));
    }
    Ok(day)
}

/// Rows of a `put_*` batch with their days; the whole batch is refused when one is invalid.
/// Call records: one [`Row::Calls`] per day.
pub(super) fn call_rows(calls: &[CallRecord]) -> Result<Vec<(i64, Row)>, StoreError> {
    let mut days: Vec<(i64, CallBatch)> = Vec::new();
    for c in calls {
        let day = day_of(c.start_us);
        let i = match days.iter().position(|(d, _)| *d == day) {
            Some(i) => i,
            None => {
                day_for("call record", c.start_us)?;
                days.push((day, CallBatch::default()));
                days.len() - 1
            }
        };
        days[i].1.push(c)?;
    }
    Ok(days
        .into_iter()
        .map(|(day, batch)| (day, Row::Calls(batch)))
        .collect())
}

pub(super) fn registration_rows(
    regs: &[RegistrationRecord],
) -> Result<Vec<(i64, Row)>, StoreError> {
    regs.iter()
        .map(|r| {
            let day = day_for("registration", r.last_us)?;
            Ok((
                day,
                Row::Registration(
                    Box::new(r.clone()),
                    to_json("registration", r)?.into_bytes(),
                ),
            ))
        })
        .collect()
}

pub(super) fn alarm_rows(alarms: &[Alarm]) -> Result<Vec<(i64, Row)>, StoreError> {
    alarms
        .iter()
        .map(|a| {
            let day = day_for("alarm", a.first_us)?;
            Ok((
                day,
                Row::Alarm(Box::new(a.clone()), to_json("alarm", a)?.into_bytes()),
            ))
        })
        .collect()
}

/// Stat rows; zero counts add nothing and are left out (ClickHouse's summing tables drop
/// them too).
pub(super) fn stat_rows(rows: &[StatRow]) -> Result<Vec<(i64, Row)>, StoreError> {
    rows.iter()
        .filter(|r| r.count > 0)
        .map(|r| {
            let count = i64::try_from(r.count).map_err(|_| {
                StoreError::InvalidRecord(format!("stat {}: count {} too large", r.name, r.count))
            })?;
            let row = Row::Stat {
                minute_us: r.minute_us,
                name: r.name.clone(),
                count,
            };
            Ok((day_for("stat", r.minute_us)?, row))
        })
        .collect()
}

impl Row {
    /// Call records held (1 for the other rows).
    fn records(&self) -> usize {
        match self {
            Row::Calls(b) => b.calls.len(),
            _ => 1,
        }
    }

    /// Replaces the records' JSON by its compressed form.
    fn compress(
        &mut self,
        comp: &mut zstd::bulk::Compressor<'static>,
        day: i64,
    ) -> Result<(), StoreError> {
        let err = |source| StoreError::Compression {
            partition: day_name(day),
            block: 0,
            op: "compress tracker record",
            source,
        };
        match self {
            Row::Calls(b) => {
                for chunk in &mut b.chunks {
                    *chunk = comp.compress(chunk).map_err(err)?;
                }
            }
            Row::Registration(_, rec) | Row::Alarm(_, rec) => {
                *rec = comp.compress(rec).map_err(err)?;
            }
            Row::Stat { .. } => {}
        }
        Ok(())
    }

    fn write(&self, pw: &PartWriter) -> Result<(), StoreError> {
        let (conn, part) = (&pw.conn, &*pw.part);
        match self {
            Row::Calls(b) => write_calls(conn, b).map_err(sql_err(part, "write call records")),
            Row::Registration(r, json) => conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO registrations(aor, contact, last_us, status, rec) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        r.aor,
                        r.contact,
                        r.last_us,
                        r.status.as_str(),
                        json
                    ])
                })
                .map(drop)
                .map_err(sql_err(part, "write registration")),
            Row::Alarm(a, json) => conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO alarms(kind, key, first_us, last_us, rec) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut st| {
                    st.execute(params![a.kind.as_str(), a.key, a.first_us, a.last_us, json])
                })
                .map(drop)
                .map_err(sql_err(part, "write alarm")),
            Row::Stat {
                minute_us,
                name,
                count,
            } => conn
                .prepare_cached(
                    "INSERT INTO stat_counts(minute_us, name, count) VALUES (?1, ?2, ?3) \
                     ON CONFLICT(minute_us, name) DO UPDATE SET count = count + excluded.count",
                )
                .and_then(|mut st| st.execute(params![minute_us, name, count]))
                .map(drop)
                .map_err(sql_err(part, "write stat count")),
        }
    }
}

/// A batch's blobs, then its rows (each replacing the row of its key), and the change of
/// the per-minute roll-up they make (the replaced row's contribution taken back).
fn write_calls(conn: &rusqlite::Connection, b: &CallBatch) -> rusqlite::Result<()> {
    let mut ids = Vec::with_capacity(b.chunks.len());
    let mut st = conn.prepare_cached("INSERT INTO call_blobs(data) VALUES (?1)")?;
    for chunk in &b.chunks {
        st.execute([chunk])?;
        ids.push(conn.last_insert_rowid());
    }
    let mut st = conn.prepare_cached(
        "INSERT OR REPLACE INTO call_rows(start_us, call_key, status, final_code, from_user, \
         to_user, ruri_user, src_ip, dst_ip, node, caller_ua, duration_ms, pdd_ms, setup_ms, \
         blob, off, len) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?;
    // The roll-up changes by each key's row before the batch (taken back) and its last
    // write in the batch (added): states in between cancel out, so a call written several
    // times in one batch costs one lookup and two additions.
    let mut last: HashMap<(i64, &str), usize> = HashMap::with_capacity(b.calls.len());
    for (i, c) in b.calls.iter().enumerate() {
        last.insert((c.start_us, c.call_key.as_str()), i);
    }
    let mut before = Vec::new();
    for &(start_us, key) in last.keys() {
        if let Some(old) = rollup::Summed::read(conn, start_us, key)? {
            before.push((start_us, old));
        }
    }
    let mut delta = rollup::Delta::default();
    for (start_us, old) in &before {
        delta.add(*start_us, old, -1);
    }
    for c in last.values().filter_map(|&i| b.calls.get(i)) {
        delta.add(c.start_us, &c.summed, 1);
    }
    for c in &b.calls {
        let blob = ids.get(c.chunk).copied().unwrap_or_default();
        st.execute(params![
            c.start_us,
            c.call_key,
            c.summed.status,
            c.summed.final_code,
            c.from_user,
            c.summed.to_user,
            c.summed.ruri_user,
            c.summed.src_ip,
            c.summed.dst_ip,
            c.summed.node,
            c.summed.caller_ua,
            c.summed.duration_ms,
            c.summed.pdd_ms,
            c.summed.setup_ms,
            blob,
            c.off as i64,
            c.len as i64,
        ])?;
    }
    delta.apply(conn)
}

impl PartWriter {
    /// Writes the buffered tracker rows in one transaction, in the order they were put (a
    /// later row of the same key replaces an earlier one). On failure the transaction is
    /// rolled back and every row stays buffered.
    pub(super) fn write_tracked(&mut self) -> Result<(), StoreError> {
        if self.tracked.is_empty() {
            return Ok(());
        }
        let res = self
            .conn
            .execute_batch("BEGIN")
            .map_err(sql_err(&self.part, "begin"))
            .and_then(|()| self.tracked.iter().try_for_each(|row| row.write(self)))
            .and_then(|()| {
                self.conn
                    .execute_batch("COMMIT")
                    .map_err(sql_err(&self.part, "commit"))
            });
        match res {
            Ok(()) => {
                self.tracked.clear();
                // Committed with synchronous=NORMAL: the next flush syncs it.
                self.unsynced = true;
                Ok(())
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

impl EmbeddedStore {
    /// Buffers `rows` in their days' writers and writes every day's buffer. Refuses the
    /// whole batch (accepting none of it) when a day file cannot be opened, or a day still
    /// has [`MAX_PENDING_ROWS`] buffered that cannot be written now.
    pub(super) fn put_tracked(&self, rows: Vec<(i64, Row)>) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut w = self.writer.lock();
        let super::Writer { parts, comps, .. } = &mut *w;
        for pw in parts.values_mut() {
            if pw.tracked.iter().map(Row::records).sum::<usize>() >= MAX_PENDING_ROWS {
                pw.write_tracked()?;
            }
        }
        for (day, _) in &rows {
            self.part_writer(parts, *day)?;
        }
        let mut rows = rows;
        for (day, row) in &mut rows {
            row.compress(&mut comps[0], *day)?;
        }
        for (day, row) in rows {
            if let Some(pw) = parts.get_mut(&day) {
                pw.tracked.push(row);
            }
        }
        for pw in parts.values_mut() {
            // A failure keeps the rows buffered: the next put or flush retries them, and
            // flush() reports the error.
            let _ = pw.write_tracked();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{EmbeddedOptions, EmbeddedStore};
    use crate::Store;
    use argos_model::StatRow;

    const T0: i64 = 1_764_064_800_000_000;

    fn count(store: &EmbeddedStore) -> u64 {
        store
            .stat_rows(0, i64::MAX, "")
            .expect("read")
            .iter()
            .map(|r| r.count)
            .sum()
    }

    /// A write that fails (another connection holds the lock) loses nothing and, retried
    /// by the flush, adds the counts exactly once.
    #[test]
    fn failed_write_keeps_rows_and_adds_counts_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).expect("open");
        let row = |count| StatRow {
            minute_us: T0,
            name: "req:INVITE".into(),
            count,
        };
        store.put_stats(&[row(1)]).expect("put");
        store.flush().expect("flush");
        let other = store.hold_write_lock();
        store
            .put_stats(&[row(2)])
            .expect("accepted while the write fails");
        assert!(store.flush().is_err());
        assert_eq!(count(&store), 1);
        other.execute_batch("COMMIT").expect("unlock");
        store.flush().expect("retry");
        assert_eq!(count(&store), 3);
        store.flush().expect("nothing left to write");
        assert_eq!(count(&store), 3);
    }
}
