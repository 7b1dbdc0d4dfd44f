//! [`ClickHouseStore`]: the [`Store`] trait on a ClickHouse server (18.16 and later) over
//! its HTTP interface, so several collectors can share one database or cluster.
//!
//! * URL: `clickhouse://[user[:password]@]host[:port]/db[?cluster=NAME&shards=h1:p,h2:p]`
//!   (see [`ClickHouseOptions`]).
//! * Schema ([`schema`]): one MergeTree table `PARTITION BY day ORDER BY (ts_us, id)`, a
//!   column per field; `LowCardinality`, codecs and bloom-filter skip indexes only when
//!   `SELECT version()` says the server has them.
//! * Cluster mode: a local MergeTree table `<table>_local` on every shard (created
//!   `ON CLUSTER` when the cluster has ZooKeeper, else on each node of `shards=`) and a
//!   Distributed table `<table>` over them; inserts go to the Distributed table
//!   synchronously, sharded by `cityHash64(call_key)` so all legs of a call share a shard.
//! * Ids: see [`ids`].
//! * Every insert is one `INSERT ... FORMAT TabSeparated` ([`tsv`]); replies are RowBinary
//!   ([`decode`]); every query value is an escaped literal ([`sql`]).
//! * The call tracker's records: tables beside the messages, same day partitions
//!   ([`tracked`], [`tracked_query`]).

mod config;
mod day;
mod decode;
mod http;
mod ids;
mod schema;
mod sql;
mod tracked;
mod tracked_query;
mod tsv;

pub use config::ClickHouseOptions;

use crate::{
    InsertReport, PartitionStats, RetentionReport, Store, StoreError, StoreStats, MAX_CALL_MESSAGES,
};
use argos_model::{
    Alarm, AlarmQuery, CallAggRow, CallQuery, CallRecord, CallSummary, Field, Filter, KpiQuery,
    Query, Record, RegQuery, RegistrationRecord, StatRow, StoredMessage,
};
use config::Config;
use day::{date_of, day_name, day_of, parse_day, DAY_US};
use decode::Rows;
use http::Node;
use parking_lot::Mutex;
use schema::Features;
use sql::{lit, lit_list, prewhere, range_cond, where_clause};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Name of the collector registry table (see [`ids`]).
const REGISTRY: &str = "argos_collectors";

/// Active partitions per day: (managed node index, rows, bytes on disk) on each node.
type Parts = BTreeMap<i64, Vec<(usize, u64, u64)>>;

/// The ClickHouse store. Cheap to share: wrap it in an `Arc`.
pub struct ClickHouseStore {
    cfg: Config,
    node: Node,
    /// Nodes whose local tables this store manages (retention, statistics).
    managed: Vec<Node>,
    features: Features,
    /// Table searches read and inserts write (the Distributed one in cluster mode).
    table: String,
    /// The MergeTree table on each node.
    local: String,
    /// Key index table searches read and inserts write, and its MergeTree table.
    keys: String,
    keys_local: String,
    /// The call tracker's tables.
    tracked: tracked::Tables,
    insert_settings: Vec<(&'static str, &'static str)>,
    ids: Mutex<IdState>,
}

struct IdState {
    prefix: u16,
    seq: u64,
}

fn ch_err(op: &'static str, detail: impl Into<String>) -> StoreError {
    StoreError::ClickHouse {
        op,
        status: None,
        detail: detail.into(),
    }
}

/// `ts_us IN (...)`, or `0` (false) for no times.
fn ts_in(times: &[i64]) -> String {
    if times.is_empty() {
        return "0".into();
    }
    let v: Vec<String> = times.iter().map(i64::to_string).collect();
    format!("ts_us IN ({})", v.join(", "))
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// `ON CLUSTER name` inserted after `CREATE TABLE IF NOT EXISTS db.t`.
fn on_cluster(ddl: &str, cluster: &str) -> String {
    match ddl.find(" (").into_iter().chain(ddl.find(" AS ")).min() {
        Some(at) => format!("{} ON CLUSTER {cluster}{}", &ddl[..at], &ddl[at..]),
        None => format!("{ddl} ON CLUSTER {cluster}"),
    }
}

fn features_of(node: &Node) -> Result<Features, StoreError> {
    let v = node.query_text("read server version", "SELECT version()")?;
    Features::from_version(&v).ok_or_else(|| ch_err("read server version", format!("{v:?}")))
}

impl ClickHouseStore {
    /// Connects to the server of `url` (see [`ClickHouseOptions`] for the URL syntax),
    /// detects its version, creates the database and tables when missing and claims a
    /// collector id prefix.
    pub fn open(url: &str, opts: ClickHouseOptions) -> Result<ClickHouseStore, StoreError> {
        let cfg = Config::parse(url, &opts)?;
        let mk = |base: &str| Node::new(base, cfg.user.clone(), cfg.password.clone(), opts.timeout);
        let node = mk(&cfg.base);
        let features = features_of(&node)?;
        let db = cfg.database.clone();
        let managed: Vec<Node> = if cfg.cluster.is_some() && !cfg.shards.is_empty() {
            cfg.shards.iter().map(|s| mk(s)).collect()
        } else {
            vec![node.clone()]
        };
        let (table, local, insert_settings) = match &cfg.cluster {
            None => (cfg.table.clone(), cfg.table.clone(), Vec::new()),
            Some(_) => (
                cfg.table.clone(),
                format!("{}_local", cfg.table),
                vec![("insert_distributed_sync", "1")],
            ),
        };
        let keys = format!("{}_keys", cfg.table);
        let keys_local = match &cfg.cluster {
            None => keys.clone(),
            Some(_) => format!("{}_keys_local", cfg.table),
        };
        let tracked = tracked::Tables::new(&cfg.table, cfg.cluster.is_some());
        let (reg_read, reg_local) = match &cfg.cluster {
            None => (REGISTRY.to_string(), REGISTRY.to_string()),
            Some(_) => (REGISTRY.to_string(), format!("{REGISTRY}_local")),
        };
        // DDL of one node: database, local tables, and in cluster mode the Distributed ones.
        let node_ddl = |f: &Features| -> Vec<String> {
            let mut v = Vec::new();
            if opts.create_database {
                v.push(format!("CREATE DATABASE IF NOT EXISTS {db}"));
            }
            v.push(schema::messages_ddl(&db, &local, f));
            v.push(schema::keys_ddl(&db, &keys_local));
            v.push(schema::collectors_ddl(&db, &reg_local));
            v.extend(tracked.ddl(&db, cfg.cluster.as_deref()));
            if let Some(c) = &cfg.cluster {
                v.push(schema::distributed_ddl(
                    &db,
                    &table,
                    &local,
                    c,
                    schema::SHARDING_KEY,
                ));
                v.push(schema::distributed_ddl(
                    &db, &reg_read, &reg_local, c, "prefix",
                ));
                v.push(schema::distributed_ddl(
                    &db,
                    &keys,
                    &keys_local,
                    c,
                    "cityHash64(key)",
                ));
            }
            v
        };
        match &cfg.cluster {
            None => {
                for stmt in node_ddl(&features) {
                    node.exec("create schema", &stmt)?;
                }
            }
            Some(c) => {
                let on_cluster_ok = node_ddl(&features)
                    .iter()
                    .try_for_each(|s| node.exec("create schema on cluster", &on_cluster(s, c)));
                if on_cluster_ok.is_err() {
                    // No distributed DDL (no ZooKeeper): each managed node and this one.
                    let mut nodes = managed.clone();
                    if !nodes.iter().any(|n| n.base == node.base) {
                        nodes.push(node.clone());
                    }
                    for n in &nodes {
                        let f = features_of(n)?;
                        for stmt in node_ddl(&f) {
                            n.exec("create schema", &stmt)?;
                        }
                    }
                }
            }
        }
        let prefix = ids::claim(&node, &db, &reg_read, &reg_read, &insert_settings)?;
        Ok(ClickHouseStore {
            cfg,
            node,
            managed,
            features,
            table,
            local,
            keys,
            keys_local,
            tracked,
            insert_settings,
            ids: Mutex::new(IdState { prefix, seq: 0 }),
        })
    }

    /// `(major, minor)` version of the server of the URL.
    pub fn server_version(&self) -> (u32, u32) {
        self.features.version
    }

    /// The database this store lives in.
    pub fn database(&self) -> &str {
        &self.cfg.database
    }

    /// The collector id prefix claimed at open (see [`ids`]).
    pub fn id_prefix(&self) -> u16 {
        self.ids.lock().prefix
    }

    fn t(&self) -> String {
        format!("{}.{}", self.cfg.database, self.table)
    }

    fn select_messages(&self) -> String {
        format!("SELECT {} FROM {}", schema::column_list(), self.t())
    }

    /// Runs a message query, buffered, and decodes every row.
    fn messages(&self, op: &'static str, sql: &str) -> Result<Vec<StoredMessage>, StoreError> {
        self.rows(op, sql, |r| r.message())
    }

    /// Runs a query (`FORMAT RowBinary` is appended) and decodes every row with `row`.
    pub(super) fn rows<T>(
        &self,
        op: &'static str,
        sql: &str,
        mut row: impl FnMut(&mut Rows<&[u8]>) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let body = self
            .node
            .query(op, &format!("{sql} FORMAT RowBinary"), &[])?;
        let mut rows = Rows::new(&body[..], op);
        let mut out = Vec::new();
        while !rows.at_end()? {
            out.push(row(&mut rows)?);
        }
        Ok(out)
    }

    /// Streams the rows of a message query to `visit` until it returns false.
    fn stream(
        &self,
        op: &'static str,
        sql: &str,
        visit: &mut dyn FnMut(StoredMessage) -> bool,
    ) -> Result<(), StoreError> {
        let reader = self.node.query_reader(
            op,
            &format!("{sql} FORMAT RowBinary"),
            &[("max_bytes_before_external_sort", "1000000000")],
        )?;
        let mut rows = Rows::new(reader, op);
        while !rows.at_end()? {
            if !visit(rows.message()?) {
                break;
            }
        }
        Ok(())
    }

    /// Capture times of the messages in `[since, until)` whose key of `kind` is one of
    /// `keys`, from the key index: `None` when there are too many to list in a query.
    fn key_times(
        &self,
        kinds_keys: &[(u8, &str)],
        since: i64,
        until: i64,
    ) -> Result<Option<Vec<i64>>, StoreError> {
        const MAX_TIMES: usize = 20_000;
        if kinds_keys.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let pairs: Vec<String> = kinds_keys
            .iter()
            .map(|(k, v)| format!("({k}, {})", lit(v)))
            .collect();
        let op = "key index lookup";
        let sql = format!(
            "SELECT DISTINCT ts_us FROM {}.{} PREWHERE (kind, key) IN ({}) WHERE {} \
             LIMIT {} FORMAT RowBinary",
            self.cfg.database,
            self.keys,
            pairs.join(", "),
            range_cond(since, until),
            MAX_TIMES + 1
        );
        let body = self.node.query(op, &sql, &[])?;
        let mut rows = Rows::new(&body[..], op);
        let mut out = Vec::new();
        while !rows.at_end()? {
            out.push(rows.i64()?);
        }
        Ok((out.len() <= MAX_TIMES).then_some(out))
    }

    /// Narrowing of a search by the key index: `Ok(None)` when no filter is indexed (or
    /// too many hits), `Ok(Some(cond))` a `ts_us IN (...)` condition, `Err` on failure.
    /// `Some("0")` when an indexed filter matches nothing.
    fn index_cond(
        &self,
        filters: &[Filter],
        since: i64,
        until: i64,
    ) -> Result<Option<String>, StoreError> {
        let kind = |f: Field| match f {
            Field::CallId => Some(schema::K_CALL_ID),
            Field::CallKey => Some(schema::K_CALL_KEY),
            Field::ALeg => Some(schema::K_A_LEG),
            Field::FromUser => Some(schema::K_FROM_USER),
            Field::ToUser => Some(schema::K_TO_USER),
            Field::RuriUser => Some(schema::K_RURI_USER),
            _ => None,
        };
        let mut best: Option<(u8, &Filter)> = None;
        for f in filters.iter().filter(|f| !f.is_pattern()) {
            if let Some(k) = kind(f.field) {
                // Call keys are more selective than users.
                if best.is_none_or(|(bk, _)| k < bk) {
                    best = Some((k, f));
                }
            }
        }
        let Some((k, f)) = best else {
            return Ok(None);
        };
        Ok(self
            .key_times(&[(k, &f.value)], since, until)?
            .map(|t| ts_in(&t)))
    }

    /// Messages matching `filters` in `[since, until)` in (ts, id) order, until `visit`
    /// says stop; filters SQL cannot check exactly are checked here.
    fn for_each_match(
        &self,
        op: &'static str,
        since: i64,
        until: i64,
        filters: &[Filter],
        limit: usize,
        visit: &mut dyn FnMut(StoredMessage) -> bool,
    ) -> Result<(), StoreError> {
        let extra: Vec<String> = self
            .index_cond(filters, since, until)?
            .into_iter()
            .collect();
        if extra.first().is_some_and(|c| c == "0") {
            return Ok(());
        }
        let (w, exact) = where_clause(since, until, filters, &extra);
        let mut sql = format!("{} {w} ORDER BY ts_us, id", self.select_messages());
        if exact {
            if limit < usize::MAX {
                sql.push_str(&format!(" LIMIT {limit}"));
            }
            for m in self.messages(op, &sql)? {
                if !visit(m) {
                    break;
                }
            }
            return Ok(());
        }
        let text: Vec<&Filter> = filters
            .iter()
            .filter(|f| f.field == Field::Text && f.is_pattern())
            .collect();
        self.stream(op, &sql, &mut |m| {
            if text
                .iter()
                .all(|f| f.matches_text(&m.record.capture.payload))
            {
                visit(m)
            } else {
                true
            }
        })
    }

    /// Distinct non-null values of `col` (a Nullable(String)) in rows of `[since, until)`
    /// matching `cond`.
    fn distinct(
        &self,
        op: &'static str,
        col: &str,
        cond: &str,
        (since, until): (i64, i64),
    ) -> Result<Vec<String>, StoreError> {
        let sql = format!(
            "SELECT DISTINCT {col} FROM {} {} AND isNotNull({col}) FORMAT RowBinary",
            self.t(),
            prewhere(cond, since, until)
        );
        let body = self.node.query(op, &sql, &[])?;
        let mut rows = Rows::new(&body[..], op);
        let mut out = Vec::new();
        while !rows.at_end()? {
            if let Some(v) = rows.opt_string()? {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// The MergeTree tables partitioned by day: the key index first, the call tracker's
    /// tables, the messages last (the order partitions are dropped in).
    fn day_tables(&self) -> Vec<&str> {
        let mut v = vec![self.keys_local.as_str()];
        v.extend(self.tracked.locals());
        v.push(&self.local);
        v
    }

    /// Active partitions of the day-partitioned tables on every managed node: day → (node
    /// index, messages, bytes of all tables) entries.
    fn parts(&self) -> Result<Parts, StoreError> {
        let mut out: Parts = BTreeMap::new();
        for (i, n) in self.managed.iter().enumerate() {
            let text = n.query_text(
                "read partitions",
                &format!(
                    "SELECT partition, sumIf(rows, table = {}), sum(bytes_on_disk) \
                     FROM system.parts WHERE database = {} AND table IN {} AND active \
                     GROUP BY partition FORMAT TabSeparated",
                    lit(&self.local),
                    lit(&self.cfg.database),
                    lit_list(self.day_tables())
                ),
            )?;
            for line in text.lines().filter(|l| !l.is_empty()) {
                let f: Vec<&str> = line.split('\t').collect();
                let parsed = match f.as_slice() {
                    [p, r, b] => parse_day(p.trim_matches('\''))
                        .zip(r.parse::<u64>().ok())
                        .zip(b.parse::<u64>().ok()),
                    _ => None,
                };
                let ((day, rows), bytes) =
                    parsed.ok_or_else(|| ch_err("read partitions", format!("bad row {line:?}")))?;
                out.entry(day).or_default().push((i, rows, bytes));
            }
        }
        Ok(out)
    }

    fn drop_days(&self, parts: &Parts, days: &[i64]) -> Result<RetentionReport, StoreError> {
        let mut report = RetentionReport::default();
        for d in days {
            let Some(entries) = parts.get(d) else {
                continue;
            };
            let name = day_name(*d);
            for &(i, rows, bytes) in entries {
                let Some(n) = self.managed.get(i) else {
                    continue;
                };
                // Keys first: a failure in between leaves messages, never dangling keys.
                for t in self.day_tables() {
                    n.exec(
                        "drop partition",
                        &format!(
                            "ALTER TABLE {}.{t} DROP PARTITION {}",
                            self.cfg.database,
                            lit(&name)
                        ),
                    )?;
                }
                report.messages_deleted += rows;
                report.bytes_freed += bytes;
            }
            report.deleted.push(name);
        }
        Ok(report)
    }

    /// Drops the database (tests, benchmarks). In cluster mode on every managed node.
    pub fn drop_database(&self) -> Result<(), StoreError> {
        let mut nodes = self.managed.clone();
        if !nodes.iter().any(|n| n.base == self.node.base) {
            nodes.push(self.node.clone());
        }
        for n in nodes {
            n.exec(
                "drop database",
                &format!("DROP DATABASE IF EXISTS {}", self.cfg.database),
            )?;
        }
        Ok(())
    }
}

/// The columns of a message [`Store::calls`] summarises.
struct Brief {
    ts_us: i64,
    call_id: Option<String>,
    method: Option<String>,
    from_user: Option<String>,
    to_user: Option<String>,
    ruri_user: Option<String>,
    status: Option<u16>,
    cseq_method: Option<String>,
}

/// One calls-list row from the messages of its key in (ts, id) order (the embedded
/// engine's rules).
fn summarise(call_key: String, msgs: &[Brief]) -> CallSummary {
    let mut s = CallSummary {
        call_key,
        messages: msgs.len() as u64,
        ..CallSummary::default()
    };
    if let (Some(a), Some(z)) = (msgs.first(), msgs.last()) {
        s.first_ts_us = a.ts_us;
        s.last_ts_us = z.ts_us;
    }
    for m in msgs {
        if let Some(c) = &m.call_id {
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
    if let Some(m) = msgs.iter().find(|m| m.method.is_some()).or(msgs.first()) {
        s.method = m.method.clone();
        s.from_user = m.from_user.clone();
        s.to_user = m.to_user.clone();
        s.ruri_user = m.ruri_user.clone();
    }
    let mut last_final = None;
    let mut best_prov = None;
    for m in msgs {
        let Some(st) = m.status else { continue };
        if s.method.is_some() && m.cseq_method != s.method {
            continue;
        }
        if st >= 200 {
            last_final = Some(st);
        } else {
            best_prov = best_prov.max(Some(st));
        }
    }
    s.status = last_final.or(best_prov);
    s
}

impl Store for ClickHouseStore {
    fn insert(&self, batch: &[Record]) -> Result<InsertReport, StoreError> {
        for r in batch {
            if date_of(r.capture.ts_us).is_none() {
                return Err(StoreError::InvalidRecord(format!(
                    "timestamp {} outside 1970-01-01..2105-12-31 (ClickHouse Date)",
                    r.capture.ts_us
                )));
            }
        }
        if batch.is_empty() {
            return Ok(InsertReport::default());
        }
        let first_ids: Vec<u64> = {
            let mut st = self.ids.lock();
            let mut v = Vec::with_capacity(batch.len());
            for _ in batch {
                if st.seq >= 1 << ids::SEQ_BITS {
                    st.prefix = ids::claim(
                        &self.node,
                        &self.cfg.database,
                        REGISTRY,
                        REGISTRY,
                        &self.insert_settings,
                    )?;
                    st.seq = 0;
                }
                v.push(ids::make_id(st.prefix, st.seq));
                st.seq += 1;
            }
            v
        };
        let mut body = Vec::with_capacity(batch.len() * 1400);
        let mut keys = Vec::with_capacity(batch.len() * 300);
        let mut bytes = 0u64;
        for (r, id) in batch.iter().zip(first_ids) {
            tsv::encode_row(&mut body, id, r);
            tsv::encode_keys(&mut keys, r);
            bytes += r.capture.payload.len() as u64;
        }
        // Keys first: keys without messages (a failed second insert) only cost a lookup
        // a few wasted rows; messages without keys would be missed by indexed searches.
        self.node.insert(
            "insert keys",
            &format!(
                "INSERT INTO {}.{} (day, kind, key, ts_us) FORMAT TabSeparated",
                self.cfg.database, self.keys
            ),
            &keys,
            &self.insert_settings,
        )?;
        self.node.insert(
            "insert",
            &format!(
                "INSERT INTO {} ({}) FORMAT TabSeparated",
                self.t(),
                schema::column_list()
            ),
            &body,
            &self.insert_settings,
        )?;
        Ok(InsertReport {
            stored: batch.len() as u64,
            bytes,
        })
    }

    /// Inserts are synchronous (in cluster mode with `insert_distributed_sync`): every
    /// accepted batch is already durable and visible.
    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn search(&self, q: &Query) -> Result<Vec<StoredMessage>, StoreError> {
        let mut out = Vec::new();
        if q.limit == 0 {
            return Ok(out);
        }
        self.for_each_match(
            "search",
            q.since_us,
            q.until_us,
            &q.filters,
            q.limit,
            &mut |m| {
                out.push(m);
                out.len() < q.limit
            },
        )?;
        Ok(out)
    }

    fn calls(&self, q: &Query) -> Result<Vec<CallSummary>, StoreError> {
        if q.limit == 0 {
            return Ok(Vec::new());
        }
        // 1. The first `limit` call keys, in time order of their first matching message.
        let extra: Vec<String> = self
            .index_cond(&q.filters, q.since_us, q.until_us)?
            .into_iter()
            .collect();
        if extra.first().is_some_and(|c| c == "0") {
            return Ok(Vec::new());
        }
        let (w, exact) = where_clause(q.since_us, q.until_us, &q.filters, &extra);
        let mut keys: Vec<String> = Vec::new();
        if exact {
            // The keys of the first matching messages, in time order: read `rows` of them
            // (usually a few per call) and only when that is not enough keys, more, then
            // all of them grouped (GROUP BY over every match costs twice as much).
            let mut rows_wanted = q.limit.saturating_mul(4).max(64);
            loop {
                let grouped = q.limit > 100_000 || rows_wanted > q.limit.saturating_mul(64);
                let sql = if grouped {
                    let mut sql = format!(
                        "SELECT call_key FROM {} {w} AND isNotNull(call_key) \
                         GROUP BY call_key ORDER BY min((ts_us, id))",
                        self.t()
                    );
                    if q.limit < usize::MAX {
                        sql.push_str(&format!(" LIMIT {}", q.limit));
                    }
                    sql
                } else {
                    format!(
                        "SELECT call_key FROM {} {w} AND isNotNull(call_key) \
                         ORDER BY ts_us, id LIMIT {rows_wanted}",
                        self.t()
                    )
                };
                let body =
                    self.node
                        .query("calls: keys", &format!("{sql} FORMAT RowBinary"), &[])?;
                let mut rows = Rows::new(&body[..], "calls: keys");
                let (mut n, mut seen) = (0usize, HashSet::new());
                keys.clear();
                while !rows.at_end()? {
                    n += 1;
                    if let Some(k) = rows.opt_string()? {
                        if keys.len() < q.limit && seen.insert(k.clone()) {
                            keys.push(k);
                        }
                    }
                }
                if grouped || keys.len() >= q.limit || n < rows_wanted {
                    break;
                }
                rows_wanted = rows_wanted.saturating_mul(8);
            }
        } else {
            let mut seen = HashSet::new();
            self.for_each_match(
                "calls: keys",
                q.since_us,
                q.until_us,
                &q.filters,
                usize::MAX,
                &mut |m| {
                    if let Some(k) = m.record.fields.call_key {
                        if seen.insert(k.clone()) {
                            keys.push(k);
                        }
                    }
                    keys.len() < q.limit
                },
            )?;
        }
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let pairs: Vec<(u8, &str)> = keys
            .iter()
            .map(|k| (schema::K_CALL_KEY, k.as_str()))
            .collect();
        let narrow = match self.key_times(&pairs, q.since_us, q.until_us)? {
            Some(t) => format!(" AND {}", ts_in(&t)),
            None => String::new(),
        };
        // 2. The summary columns of every message of those keys in the range. (Summing
        // up in SQL needs argMin over tuples of Nullable columns, which crashes 18.16
        // shards; the rows are narrow.)
        let sql = format!(
            "SELECT call_key, ts_us, call_id, method, from_user, to_user, ruri_user, status, \
             cseq_method FROM {} {} ORDER BY ts_us, id FORMAT RowBinary",
            self.t(),
            prewhere(
                &format!(
                    "call_key IN {}{narrow}",
                    lit_list(keys.iter().map(String::as_str))
                ),
                q.since_us,
                q.until_us
            ),
        );
        let op = "calls: summaries";
        let body = self.node.query(op, &sql, &[])?;
        let mut rows = Rows::new(&body[..], op);
        let mut groups: HashMap<String, Vec<Brief>> = HashMap::new();
        while !rows.at_end()? {
            let key = rows.opt_string()?;
            let b = Brief {
                ts_us: rows.i64()?,
                call_id: rows.opt_string()?,
                method: rows.opt_string()?,
                from_user: rows.opt_string()?,
                to_user: rows.opt_string()?,
                ruri_user: rows.opt_string()?,
                status: rows.nullable(Rows::u16)?,
                cseq_method: rows.opt_string()?,
            };
            if let Some(k) = key {
                let g = groups.entry(k).or_default();
                if g.len() < MAX_CALL_MESSAGES {
                    g.push(b);
                }
            }
        }
        let mut out: Vec<CallSummary> = keys
            .into_iter()
            .map(|k| {
                let g = groups.remove(&k).unwrap_or_default();
                summarise(k, &g)
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
        let range = (since_us, until_us);
        // Narrowing by the key index: ` AND ts_us IN (...)`, or nothing when too many.
        let narrow = |pairs: &[(u8, &str)]| -> Result<String, StoreError> {
            Ok(match self.key_times(pairs, since_us, until_us)? {
                Some(t) => format!(" AND {}", ts_in(&t)),
                None => String::new(),
            })
        };
        // K = {call_id} ∪ call_keys of its messages.
        let mut k: Vec<String> = vec![call_id.to_string()];
        let n1 = narrow(&[(schema::K_CALL_ID, call_id)])?;
        for ck in self.distinct(
            "call: keys",
            "call_key",
            &format!("call_id = {}{n1}", lit(call_id)),
            range,
        )? {
            if !k.contains(&ck) {
                k.push(ck);
            }
        }
        let kl = lit_list(k.iter().map(String::as_str));
        let in_s = format!(
            "(ifNull(call_key IN {kl}, 0) OR ifNull(call_id IN {kl}, 0) OR ifNull(a_leg IN {kl}, 0))"
        );
        let mut pairs: Vec<(u8, &str)> = Vec::new();
        for key in &k {
            for kind in [schema::K_CALL_KEY, schema::K_CALL_ID, schema::K_A_LEG] {
                pairs.push((kind, key.as_str()));
            }
        }
        // One expansion: the other Call-IDs of S.
        let n2 = narrow(&pairs)?;
        let c: Vec<String> = self
            .distinct("call: legs", "call_id", &format!("{in_s}{n2}"), range)?
            .into_iter()
            .filter(|c| !k.contains(c))
            .collect();
        let cond = if c.is_empty() {
            in_s
        } else {
            format!(
                "({in_s} OR ifNull(call_id IN {}, 0))",
                lit_list(c.iter().map(String::as_str))
            )
        };
        pairs.extend(c.iter().map(|c| (schema::K_CALL_ID, c.as_str())));
        let n3 = narrow(&pairs)?;
        self.messages(
            "call: messages",
            &format!(
                "{} {} ORDER BY ts_us, id LIMIT {MAX_CALL_MESSAGES}",
                self.select_messages(),
                prewhere(&format!("{cond}{n3}"), since_us, until_us)
            ),
        )
    }

    fn apply_retention(&self, now_us: i64, keep_days: u32) -> Result<RetentionReport, StoreError> {
        let cutoff = now_us.saturating_sub(i64::from(keep_days).saturating_mul(DAY_US));
        let parts = self.parts()?;
        let days: Vec<i64> = parts
            .keys()
            .copied()
            .filter(|d| d.saturating_add(1).saturating_mul(DAY_US) <= cutoff)
            .collect();
        self.drop_days(&parts, &days)
    }

    fn apply_size_limit(&self, max_bytes: u64) -> Result<RetentionReport, StoreError> {
        let parts = self.parts()?;
        let today = day_of(now_us());
        let mut total: u64 = parts.values().flatten().map(|e| e.2).sum();
        let mut days = Vec::new();
        for (d, entries) in &parts {
            if total <= max_bytes || *d >= today {
                break;
            }
            total = total.saturating_sub(entries.iter().map(|e| e.2).sum());
            days.push(*d);
        }
        self.drop_days(&parts, &days)
    }

    fn scan(
        &self,
        since_us: i64,
        until_us: i64,
        f: &mut dyn FnMut(StoredMessage) -> bool,
    ) -> Result<(), StoreError> {
        // Day by day, so the server sorts one partition at a time.
        let days_text = self.node.query_text(
            "scan: days",
            &format!(
                "SELECT DISTINCT toUInt16(day) AS d FROM {} WHERE {} ORDER BY d FORMAT TabSeparated",
                self.t(),
                range_cond(since_us, until_us)
            ),
        )?;
        let mut go_on = true;
        for line in days_text.lines().filter(|l| !l.is_empty()) {
            let d: i64 = line
                .parse()
                .map_err(|_| ch_err("scan: days", format!("bad day {line:?}")))?;
            let lo = since_us.max(d.saturating_mul(DAY_US));
            let hi = until_us.min(d.saturating_add(1).saturating_mul(DAY_US));
            let sql = format!(
                "{} WHERE {} ORDER BY ts_us, id",
                self.select_messages(),
                range_cond(lo, hi)
            );
            self.stream("scan", &sql, &mut |m| {
                go_on = f(m);
                go_on
            })?;
            if !go_on {
                break;
            }
        }
        Ok(())
    }

    fn put_calls(&self, calls: &[CallRecord]) -> Result<(), StoreError> {
        self.put_call_rows(calls)
    }

    fn call_records(&self, q: &CallQuery) -> Result<Vec<CallRecord>, StoreError> {
        self.tracked_calls(q)
    }

    fn call_aggregates(&self, q: &KpiQuery) -> Result<Vec<CallAggRow>, StoreError> {
        self.tracked_call_aggregates(q)
    }

    fn put_registrations(&self, regs: &[RegistrationRecord]) -> Result<(), StoreError> {
        self.put_registration_rows(regs)
    }

    fn registrations(&self, q: &RegQuery) -> Result<Vec<RegistrationRecord>, StoreError> {
        self.tracked_registrations(q)
    }

    fn put_alarms(&self, alarms: &[Alarm]) -> Result<(), StoreError> {
        self.put_alarm_rows(alarms)
    }

    fn alarms(&self, q: &AlarmQuery) -> Result<Vec<Alarm>, StoreError> {
        self.tracked_alarms(q)
    }

    fn put_stats(&self, rows: &[StatRow]) -> Result<(), StoreError> {
        self.put_stat_rows(rows)
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
        let mut s = StoreStats::default();
        for (d, entries) in self.parts()? {
            let p = PartitionStats {
                day: day_name(d),
                messages: entries.iter().map(|e| e.1).sum(),
                bytes_on_disk: entries.iter().map(|e| e.2).sum(),
            };
            s.messages += p.messages;
            s.bytes_on_disk += p.bytes_on_disk;
            s.partitions.push(p);
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_cluster_is_inserted_after_the_name() {
        assert_eq!(
            on_cluster(
                "CREATE TABLE IF NOT EXISTS db.t (a UInt8) ENGINE = Log",
                "c"
            ),
            "CREATE TABLE IF NOT EXISTS db.t ON CLUSTER c (a UInt8) ENGINE = Log"
        );
        assert_eq!(
            on_cluster("CREATE TABLE IF NOT EXISTS db.t AS db.l ENGINE = X", "c"),
            "CREATE TABLE IF NOT EXISTS db.t ON CLUSTER c AS db.l ENGINE = X"
        );
        assert_eq!(
            on_cluster("CREATE DATABASE IF NOT EXISTS db", "c"),
            "CREATE DATABASE IF NOT EXISTS db ON CLUSTER c"
        );
    }
}
