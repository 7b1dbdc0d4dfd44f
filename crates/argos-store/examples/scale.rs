//! Loads N synthetic SIP messages into a store and prints ingest rate, bytes per message
//! and query latency percentiles. Also runs the losing prototype layout for comparison.
//!
//! ```sh
//! cargo run --release -p argos-store --example scale -- [N] [DIR] [blocks|rows] [block_messages]
//! ```
//! `blocks` (default) is [`EmbeddedStore`]; `rows` is prototype (a): one SQLite row per
//! message with every field as a column and a per-message zstd payload.
#![allow(clippy::unwrap_used)]

use argos_model::{Field, Filter, Query, Record};
use argos_store::testdata::Generator;
use argos_store::{EmbeddedOptions, EmbeddedStore, Store};
use std::path::Path;
use std::time::{Duration, Instant};

const BATCH: usize = 5_000;

trait Engine {
    fn insert(&mut self, b: &[Record]);
    fn flush(&mut self);
    fn by_call_id(&self, cid: &str) -> usize;
    fn call(&self, cid: &str) -> usize;
    fn by_from_user(&self, user: &str, since: i64, until: i64, limit: usize) -> usize;
    /// Full-text search (`text=V`, limit 100) over one day; `None` when not supported.
    fn by_text(&self, v: &str, since: i64, until: i64) -> Option<usize> {
        let _ = (v, since, until);
        None
    }
    fn bytes_on_disk(&self) -> u64;
}

struct Blocks(EmbeddedStore);

fn filt(field: Field, v: &str) -> Filter {
    Filter {
        field,
        value: v.to_string(),
    }
}

impl Engine for Blocks {
    fn insert(&mut self, b: &[Record]) {
        self.0.insert(b).unwrap();
    }
    fn flush(&mut self) {
        self.0.flush().unwrap();
    }
    fn by_call_id(&self, cid: &str) -> usize {
        let q = Query {
            filters: vec![filt(Field::CallId, cid)],
            ..Query::default()
        };
        self.0.search(&q).unwrap().len()
    }
    fn call(&self, cid: &str) -> usize {
        self.0.call(cid, 0, i64::MAX).unwrap().len()
    }
    fn by_from_user(&self, user: &str, since: i64, until: i64, limit: usize) -> usize {
        let q = Query {
            since_us: since,
            until_us: until,
            filters: vec![filt(Field::FromUser, user)],
            limit,
        };
        self.0.search(&q).unwrap().len()
    }
    fn by_text(&self, v: &str, since: i64, until: i64) -> Option<usize> {
        let q = Query {
            since_us: since,
            until_us: until,
            filters: vec![filt(Field::Text, v)],
            limit: 100,
        };
        Some(self.0.search(&q).unwrap().len())
    }
    fn bytes_on_disk(&self) -> u64 {
        self.0.stats().unwrap().bytes_on_disk
    }
}

/// Prototype (a): a row per message, every field a column, payload zstd-compressed alone.
mod rows {
    use super::*;
    use rusqlite::{params, Connection};

    pub struct Rows {
        pub path: std::path::PathBuf,
        w: Connection,
        r: Connection,
        next_id: i64,
        comp: zstd::bulk::Compressor<'static>,
    }

    const COLS: &str = "method, status, reason, ruri, ruri_user, ruri_domain, from_user, from_domain, from_tag, \
        to_user, to_domain, to_tag, pai_user, contact_user, contact_ip, auth_user, call_id, a_leg, call_key, via_branch, \
        cseq_num, cseq_method, user_agent, content_type, sdp_media, src_ip, src_port, dst_ip, dst_port, transport, proto, \
        capture_id, node";

    impl Rows {
        pub fn open(dir: &Path) -> Rows {
            std::fs::create_dir_all(dir).unwrap();
            let path = dir.join("rows.sqlite");
            let w = Connection::open(&path).unwrap();
            w.execute_batch(&format!(
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768;
                 CREATE TABLE IF NOT EXISTS m(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, {}, payload BLOB);
                 CREATE INDEX IF NOT EXISTS m_ts ON m(ts);
                 CREATE INDEX IF NOT EXISTS m_cid ON m(call_id);
                 CREATE INDEX IF NOT EXISTS m_ck ON m(call_key);
                 CREATE INDEX IF NOT EXISTS m_al ON m(a_leg);
                 CREATE INDEX IF NOT EXISTS m_fu ON m(from_user, ts);
                 CREATE INDEX IF NOT EXISTS m_tu ON m(to_user, ts);
                 CREATE INDEX IF NOT EXISTS m_ru ON m(ruri_user, ts);",
                COLS.replace(", ", " , ")
            ))
            .unwrap();
            let r = Connection::open(&path).unwrap();
            Rows {
                path,
                w,
                r,
                next_id: 1,
                comp: zstd::bulk::Compressor::new(3).unwrap(),
            }
        }
    }

    impl Engine for Rows {
        fn insert(&mut self, b: &[Record]) {
            let tx = self.w.transaction().unwrap();
            {
                let ph: Vec<String> = (3..=35).map(|i| format!("?{i}")).collect();
                let mut st = tx
                    .prepare_cached(&format!(
                        "INSERT INTO m(id, ts, {COLS}, payload) VALUES (?1, ?2, {}, ?36)",
                        ph.join(",")
                    ))
                    .unwrap();
                for r in b {
                    let f = &r.fields;
                    let c = &r.capture;
                    let payload = self.comp.compress(&c.payload).unwrap();
                    let v: Vec<rusqlite::types::Value> = vec![
                        self.next_id.into(),
                        c.ts_us.into(),
                        f.method.clone().into(),
                        f.status.map(i64::from).into(),
                        f.reason.clone().into(),
                        f.ruri.clone().into(),
                        f.ruri_user.clone().into(),
                        f.ruri_domain.clone().into(),
                        f.from_user.clone().into(),
                        f.from_domain.clone().into(),
                        f.from_tag.clone().into(),
                        f.to_user.clone().into(),
                        f.to_domain.clone().into(),
                        f.to_tag.clone().into(),
                        f.pai_user.clone().into(),
                        f.contact_user.clone().into(),
                        f.contact_ip.clone().into(),
                        f.auth_user.clone().into(),
                        f.call_id.clone().into(),
                        f.a_leg.clone().into(),
                        f.call_key.clone().into(),
                        f.via_branch.clone().into(),
                        f.cseq_num.map(i64::from).into(),
                        f.cseq_method.clone().into(),
                        f.user_agent.clone().into(),
                        f.content_type.clone().into(),
                        f.sdp_media.clone().into(),
                        c.src.ip().to_string().into(),
                        i64::from(c.src.port()).into(),
                        c.dst.ip().to_string().into(),
                        i64::from(c.dst.port()).into(),
                        c.transport.name().to_string().into(),
                        i64::from(c.kind.0).into(),
                        i64::from(c.capture_id).into(),
                        c.node.as_deref().map(str::to_string).into(),
                        payload.into(),
                    ];
                    st.execute(rusqlite::params_from_iter(v)).unwrap();
                    self.next_id += 1;
                }
            }
            tx.commit().unwrap();
        }
        fn flush(&mut self) {}
        fn by_call_id(&self, cid: &str) -> usize {
            fetch(&self.r, "call_id = ?1 ORDER BY ts, id", params![cid])
        }
        fn call(&self, cid: &str) -> usize {
            fetch(
                &self.r,
                "call_id = ?1 OR call_key = ?1 OR a_leg = ?1 ORDER BY ts, id",
                params![cid],
            )
        }
        fn by_from_user(&self, user: &str, since: i64, until: i64, limit: usize) -> usize {
            fetch(
                &self.r,
                "from_user = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts, id LIMIT ?4",
                params![user, since, until, limit as i64],
            )
        }
        fn bytes_on_disk(&self) -> u64 {
            ["", "-wal", "-shm"]
                .iter()
                .map(|s| {
                    let mut p = self.path.clone().into_os_string();
                    p.push(s);
                    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
                })
                .sum()
        }
    }

    /// Reads whole rows and decompresses payloads, like a real search would.
    fn fetch(conn: &Connection, cond: &str, p: &[&dyn rusqlite::ToSql]) -> usize {
        let mut st = conn
            .prepare_cached(&format!(
                "SELECT id, ts, {COLS}, payload FROM m WHERE {cond}"
            ))
            .unwrap();
        let mut rows = st.query(p).unwrap();
        let mut n = 0;
        while let Some(row) = rows.next().unwrap() {
            let payload: Vec<u8> = row.get(35).unwrap();
            let raw = zstd::bulk::decompress(&payload, 64 * 1024).unwrap();
            let _fields: Vec<rusqlite::types::Value> =
                (2..35).map(|i| row.get(i).unwrap()).collect();
            n += usize::from(!raw.is_empty());
        }
        n
    }
}

/// CPU time (user + system) of the calling thread, from /proc (Linux); zero elsewhere.
fn thread_cpu() -> Duration {
    proc_cpu("/proc/thread-self/stat")
}

/// CPU time (user + system) of the whole process (includes the store's compression thread).
fn process_cpu() -> Duration {
    proc_cpu("/proc/self/stat")
}

fn proc_cpu(path: &str) -> Duration {
    let Ok(s) = std::fs::read_to_string(path) else {
        return Duration::ZERO;
    };
    let Some(rest) = s.rsplit(')').next() else {
        return Duration::ZERO;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn pct(mut v: Vec<Duration>) -> String {
    v.sort();
    let p = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3;
    format!(
        "p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  (n={})",
        p(0.5),
        p(0.99),
        p(1.0),
        v.len()
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(1_000_000, |s| s.parse().unwrap());
    let dir = args
        .get(2)
        .map_or_else(|| std::env::temp_dir().join("argos-scale"), Into::into);
    let layout = args.get(3).map_or("blocks", String::as_str);
    let block: usize = args
        .get(4)
        .map_or(EmbeddedOptions::default().block_messages, |s| {
            s.parse().unwrap()
        });
    let _ = std::fs::remove_dir_all(&dir);
    let mut engine: Box<dyn Engine> = match layout {
        "rows" => Box::new(rows::Rows::open(&dir)),
        _ => {
            let mut o = EmbeddedOptions::default();
            o.block_messages = block;
            if let Some(l) = std::env::var("ARGOS_ZSTD_LEVEL")
                .ok()
                .and_then(|v| v.parse().ok())
            {
                o.zstd_level = l;
            }
            Box::new(Blocks(EmbeddedStore::open(&dir, o).unwrap()))
        }
    };
    let mut gen = Generator::new(42);
    // Spread N messages over one day (~4.6 messages per call start).
    gen.gap_us = ((86_400_000_000f64 / (n as f64 / 4.6)) / 1.0).max(1.0) as i64;
    let day_start = gen.now_us - gen.now_us.rem_euclid(86_400_000_000);
    let mut cids: Vec<String> = Vec::new();
    let mut users: Vec<String> = Vec::new();
    let (mut stored, mut payload_bytes) = (0usize, 0usize);
    let mut insert_time = Duration::ZERO;
    let mut insert_cpu = Duration::ZERO;
    let mut insert_pcpu = Duration::ZERO;
    let wall = Instant::now();
    let mut seen = 0u64;
    while stored < n {
        let batch = gen.messages(BATCH.min(n - stored));
        for r in &batch {
            seen += 1;
            // Reservoir-ish sampling: every 997th message's Call-ID and from-user.
            if seen.is_multiple_of(997) {
                cids.push(r.fields.call_id.clone().unwrap_or_default());
                users.push(r.fields.from_user.clone().unwrap_or_default());
            }
            payload_bytes += r.capture.payload.len();
        }
        let (t, c, pc) = (Instant::now(), thread_cpu(), process_cpu());
        engine.insert(&batch);
        insert_time += t.elapsed();
        insert_cpu += thread_cpu().saturating_sub(c);
        insert_pcpu += process_cpu().saturating_sub(pc);
        stored += batch.len();
        if stored % 1_000_000 < BATCH {
            eprintln!(
                "{stored} stored, {:.0} msg/s",
                stored as f64 / insert_time.as_secs_f64()
            );
        }
    }
    let (t, c, pc) = (Instant::now(), thread_cpu(), process_cpu());
    engine.flush();
    insert_time += t.elapsed();
    insert_cpu += thread_cpu().saturating_sub(c);
    insert_pcpu += process_cpu().saturating_sub(pc);
    let bytes = engine.bytes_on_disk();
    println!(
        "layout={layout} block={block} zstd_level={} n={stored}",
        std::env::var("ARGOS_ZSTD_LEVEL").unwrap_or_else(|_| "default".into())
    );
    println!(
        "insert: {:.0} msg/s wall, {:.0} msg/s per CPU-second of the ingest thread, {:.0} msg/s per CPU-second of all threads (store time {:.1} s, wall incl. generator {:.1} s); payload avg {} B",
        stored as f64 / insert_time.as_secs_f64(),
        stored as f64 / insert_cpu.as_secs_f64().max(1e-9),
        stored as f64 / insert_pcpu.as_secs_f64().max(1e-9),
        insert_time.as_secs_f64(),
        wall.elapsed().as_secs_f64(),
        payload_bytes / stored
    );
    println!(
        "disk: {bytes} bytes, {:.1} bytes/msg",
        bytes as f64 / stored as f64
    );
    let k = cids.len().min(2000);
    let mut lat = Vec::new();
    let mut hits = 0;
    for c in cids.iter().take(k) {
        let t = Instant::now();
        hits += engine.by_call_id(c);
        lat.push(t.elapsed());
    }
    println!(
        "search call_id=X:          {} hits/q {:.1}",
        pct(lat),
        hits as f64 / k as f64
    );
    let mut lat = Vec::new();
    let mut hits = 0;
    for c in cids.iter().rev().take(k) {
        let t = Instant::now();
        hits += engine.call(c);
        lat.push(t.elapsed());
    }
    println!(
        "call(X) both legs:         {} msgs/q {:.1}",
        pct(lat),
        hits as f64 / k as f64
    );
    for limit in [100, 1000] {
        let mut lat = Vec::new();
        let mut hits = 0;
        for u in users.iter().take(500) {
            let t = Instant::now();
            hits += engine.by_from_user(u, day_start, day_start + 86_400_000_000, limit);
            lat.push(t.elapsed());
        }
        println!(
            "from_user=U one day l={limit:<4} {} hits/q {:.1}",
            pct(lat),
            hits as f64 / users.len().min(500) as f64
        );
    }
    // Full text over the whole day: rare strings (a piece of a sampled Call-ID, upper-case:
    // the match ignores ASCII case), one absent string, and one that is everywhere.
    let day = (day_start, day_start + 86_400_000_000);
    let rare: Vec<String> = cids
        .iter()
        .step_by((cids.len() / 20).max(1))
        .take(20)
        .map(|c| c.chars().take(14).collect::<String>().to_ascii_uppercase())
        .collect();
    let probes: [(&str, Vec<String>); 3] = [
        ("text=<rare, 14 chars>    ", rare),
        (
            "text=sipvicious (absent) ",
            vec!["sipvicious".to_string(); 5],
        ),
        (
            "text=user-agent (common) ",
            vec!["user-agent".to_string(); 5],
        ),
    ];
    for (label, values) in probes {
        let mut lat = Vec::new();
        let mut hits = 0;
        for v in &values {
            let t = Instant::now();
            let Some(h) = engine.by_text(v, day.0, day.1) else {
                break;
            };
            hits += h;
            lat.push(t.elapsed());
        }
        if !lat.is_empty() {
            let k = lat.len();
            println!("{label} {} hits/q {:.1}", pct(lat), hits as f64 / k as f64);
        }
    }
    drop(engine);
    let closed: u64 = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    println!(
        "disk after close (WAL checkpointed): {closed} bytes, {:.1} bytes/msg",
        closed as f64 / stored as f64
    );
}
