//! Message storage for Argos: the [`Store`] trait the server codes against, and
//! [`EmbeddedStore`], the engine that ships in the single binary.
//!
//! [`EmbeddedStore`] keeps one SQLite file per UTC day (`DIR/YYYY-MM-DD.sqlite`). In each:
//!
//! * `blk` — records (capture metadata, every field, raw payload, timestamp, id) encoded
//!   and zstd-compressed in blocks of [`EmbeddedOptions::block_messages`] messages;
//! * `bix` — one row per block: time range, id base, sizes;
//! * `post` — one row per distinct (term, block): terms are hashes of Call-ID / call key /
//!   a-leg and interned ids of from/to/R-URI user, clustered by bucket of blocks;
//! * `dict` — the interned user strings;
//! * `calls`, `registrations`, `alarms`, `stat_counts` — what the call tracker concludes
//!   (JSON records plus the columns queries use; see [`Store::put_calls`] and after).
//!
//! Searches narrow candidate blocks with the postings, then decode them and check every
//! filter on the full record, so every field is searchable (exact or `*` pattern) and
//! results are exact. Retention deletes whole day files. See `docs/decisions/0001-embedded-store.md` for the
//! measurements behind this layout.
//!
//! ```
//! use argos_model::{Field, Filter, Query};
//! use argos_store::{testdata::Generator, EmbeddedOptions, EmbeddedStore, Store};
//!
//! let dir = std::env::temp_dir().join(format!("argos-store-doctest-{}", std::process::id()));
//! let store = EmbeddedStore::open(&dir, EmbeddedOptions::default())?;
//! let records = Generator::new(1).calls(20);
//! let report = store.insert(&records)?;
//! assert_eq!(report.stored, records.len() as u64);
//! store.flush()?;
//!
//! let call_id = records[0].fields.call_id.clone().unwrap();
//! let q = Query {
//!     filters: vec![Filter { field: Field::CallId, value: call_id.clone() }],
//!     ..Query::default()
//! };
//! let found = store.search(&q)?;
//! assert!(!found.is_empty());
//! assert!(found.iter().all(|m| m.record.fields.call_id.as_deref() == Some(call_id.as_str())));
//! assert!(!store.call(&call_id, 0, i64::MAX)?.is_empty());
//! drop(store);
//! std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), argos_store::StoreError>(())
//! ```

pub mod clickhouse;
mod codec;
mod embedded;
mod error;
#[doc(hidden)]
pub mod testdata;
mod tracked;

pub use clickhouse::{ClickHouseOptions, ClickHouseStore};
pub use embedded::{EmbeddedOptions, EmbeddedStore, RecoveryReport, SetAside};
pub use error::StoreError;

use argos_model::{
    Alarm, AlarmQuery, CallAggRow, CallQuery, CallRecord, CallSummary, KpiQuery, Query, Record,
    RegQuery, RegistrationRecord, StatRow, StoredMessage,
};
use serde::Serialize;

/// Most messages [`Store::call`] returns.
pub const MAX_CALL_MESSAGES: usize = 10_000;

/// What [`Store::insert`] accepted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct InsertReport {
    /// Records accepted (all of the batch on success).
    pub stored: u64,
    /// Payload bytes accepted (before compression).
    pub bytes: u64,
}

/// What [`Store::apply_retention`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    /// Day partitions deleted (`YYYY-MM-DD`), oldest first.
    pub deleted: Vec<String>,
    pub messages_deleted: u64,
    pub bytes_freed: u64,
}

/// One day partition in [`StoreStats`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PartitionStats {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub messages: u64,
    pub bytes_on_disk: u64,
}

/// Size of the store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StoreStats {
    /// Messages visible to searches.
    pub messages: u64,
    pub bytes_on_disk: u64,
    /// Oldest day first.
    pub partitions: Vec<PartitionStats>,
}

/// Storage of captured messages. Implementations are shared between the ingest thread and
/// any number of API handlers (`Arc<dyn Store>`).
pub trait Store: Send + Sync + 'static {
    /// Appends a batch (any order of days). Called from one ingest thread with batches of
    /// ~1-10k records. Records become visible to searches at the latest on [`Store::flush`].
    fn insert(&self, batch: &[Record]) -> Result<InsertReport, StoreError>;

    /// Makes everything inserted so far durable and visible to searches.
    fn flush(&self) -> Result<(), StoreError>;

    /// Messages matching all filters in `[since, until)`, time order (ts then id), at most
    /// `q.limit`.
    fn search(&self, q: &Query) -> Result<Vec<StoredMessage>, StoreError>;

    /// One row per call: the first `q.limit` distinct `call_key`s among matching messages
    /// (in time order of their first matching message), each summarised over ALL messages
    /// with that `call_key` in the range; rows sorted by `first_ts_us` (most recent last).
    fn calls(&self, q: &Query) -> Result<Vec<CallSummary>, StoreError>;

    /// The rows [`Store::calls`] gives for these `call_key`s, each summarised over all its
    /// messages in `[since, until)`; keys without messages are left out; sorted like
    /// `calls`. The default asks `calls` once per key; an engine may do it in one read.
    fn calls_by_keys(
        &self,
        keys: &[String],
        since_us: i64,
        until_us: i64,
    ) -> Result<Vec<CallSummary>, StoreError> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.extend(self.calls(&Query {
                filters: vec![argos_model::Filter {
                    field: argos_model::Field::CallKey,
                    value: key.clone(),
                }],
                since_us,
                until_us,
                limit: 1,
            })?);
        }
        out.sort_by(|a, b| (a.first_ts_us, &a.call_key).cmp(&(b.first_ts_us, &b.call_key)));
        Ok(out)
    }

    /// Every message of the call that contains `call_id` and of its correlated legs, in
    /// time order: K = {call_id} ∪ call_keys of messages whose call_id = `call_id`;
    /// S = messages with call_key ∈ K or call_id ∈ K or a_leg ∈ K; then one expansion adds
    /// messages whose call_id is any call_id in S. At most [`MAX_CALL_MESSAGES`].
    fn call(
        &self,
        call_id: &str,
        since_us: i64,
        until_us: i64,
    ) -> Result<Vec<StoredMessage>, StoreError>;

    /// Deletes whole day partitions that ended more than `keep_days` days before `now_us`
    /// (`keep_days = 0` keeps only today). Blocks ingest only to close the files.
    fn apply_retention(&self, now_us: i64, keep_days: u32) -> Result<RetentionReport, StoreError>;

    /// Deletes the oldest whole days until the store uses at most `max_bytes` on disk
    /// (never today's partition). Runs beside ingest.
    fn apply_size_limit(&self, max_bytes: u64) -> Result<RetentionReport, StoreError> {
        let _ = max_bytes;
        Err(StoreError::Unsupported("size-based retention"))
    }

    /// Streams every message in `[since_us, until_us)` in time order (ts then id) to `f`
    /// until it returns false — for archives and exports of any size, in bounded memory.
    fn scan(
        &self,
        since_us: i64,
        until_us: i64,
        f: &mut dyn FnMut(StoredMessage) -> bool,
    ) -> Result<(), StoreError> {
        let _ = (since_us, until_us, f);
        Err(StoreError::Unsupported("scan"))
    }

    fn stats(&self) -> Result<StoreStats, StoreError>;

    // --- What the call tracker concludes (issue #4). Same day partitions and retention as
    // the messages; visible to reads at the latest after the next [`Store::flush`] (the
    // embedded engine writes them at once and syncs them at the flush, ClickHouse inserts
    // synchronously). A batch with an invalid timestamp is refused whole
    // (`InvalidRecord`). The embedded engine keeps a batch whose write failed and retries
    // it at the next put or flush (which reports the error), like `insert`.
    //
    // String filters of the queries below are exact, or patterns when they contain `*`
    // (any run, case-sensitive, like message searches); other characters (`?`, `%`, `_`,
    // `[`) match themselves. `limit` 0 returns nothing.

    /// Inserts call records, replacing any earlier record with the same `call_key` (the
    /// tracker writes a call again when its state changes); within a batch the later
    /// record wins. Partition: `start_us`'s day, so `start_us` must not change between
    /// writes of one call (ClickHouse also replaces by (`start_us`, `call_key`)).
    fn put_calls(&self, calls: &[CallRecord]) -> Result<(), StoreError> {
        let _ = calls;
        Err(StoreError::Unsupported("call records"))
    }

    /// Call records with `start_us` in range matching every filter (`status`: any of
    /// them), each in its last written state, newest first (`start_us` descending, then
    /// `call_key`), at most `q.limit`.
    fn call_records(&self, q: &CallQuery) -> Result<Vec<CallRecord>, StoreError> {
        let _ = q;
        Err(StoreError::Unsupported("call records"))
    }

    /// Call records with `start_us` in range (each once, in its last written state)
    /// grouped by (bucket, dimension value, status, final code) and summed: `bucket_us` is
    /// `start_us` rounded down to a multiple of `bucket_s` seconds since the epoch; the key
    /// is the [`argos_model::KpiDim`] value ("" for `All` or when absent; `DstPrefix`: the
    /// first `prefix_len` characters of the R-URI user, or of the To user when that is
    /// absent or empty). Rows in (bucket, key, status name, final code) order.
    fn call_aggregates(&self, q: &KpiQuery) -> Result<Vec<CallAggRow>, StoreError> {
        let _ = q;
        Err(StoreError::Unsupported("call aggregates"))
    }

    /// Inserts registration records, replacing the one with the same (aor, contact) in
    /// the day of `last_us` (one row per binding and day; earlier days keep their last
    /// state of that day).
    fn put_registrations(&self, regs: &[RegistrationRecord]) -> Result<(), StoreError> {
        let _ = regs;
        Err(StoreError::Unsupported("registrations"))
    }

    /// One row per (aor, contact): its latest state among those with `last_us` in range
    /// (so a range in the past shows the state of then). `q.status` filters on that
    /// state, `q.aor` on the binding. Newest first (`last_us` descending, then aor,
    /// contact), at most `q.limit`.
    fn registrations(&self, q: &RegQuery) -> Result<Vec<RegistrationRecord>, StoreError> {
        let _ = q;
        Err(StoreError::Unsupported("registrations"))
    }

    /// Inserts alarms, replacing the one with the same (kind, key, first_us). Partition:
    /// `first_us`'s day.
    fn put_alarms(&self, alarms: &[Alarm]) -> Result<(), StoreError> {
        let _ = alarms;
        Err(StoreError::Unsupported("alarms"))
    }

    /// Alarms with `last_us` in range (of any kind, or `q.kind`), newest first (`last_us`
    /// descending, then kind name, key, `first_us`), at most `q.limit`.
    fn alarms(&self, q: &AlarmQuery) -> Result<Vec<Alarm>, StoreError> {
        let _ = q;
        Err(StoreError::Unsupported("alarms"))
    }

    /// Adds per-minute counters (rows with the same minute and name add up, within a
    /// batch too; zero counts are ignored). Partition: `minute_us`'s day.
    fn put_stats(&self, rows: &[StatRow]) -> Result<(), StoreError> {
        let _ = rows;
        Err(StoreError::Unsupported("stats"))
    }

    /// Counters with `minute_us` in range and `name` starting with `prefix` (literally;
    /// "" for all), one row per (minute, name) with the counts summed, ordered by minute
    /// then name.
    fn stat_rows(
        &self,
        since_us: i64,
        until_us: i64,
        prefix: &str,
    ) -> Result<Vec<StatRow>, StoreError> {
        let _ = (since_us, until_us, prefix);
        Err(StoreError::Unsupported("stats"))
    }
}
