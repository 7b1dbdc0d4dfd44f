//! Crash recovery: a child process inserts and flushes continuously and is killed with
//! SIGKILL mid-ingest; the store must then hold every record a completed flush
//! acknowledged, open without corruption and take new inserts.
#![allow(clippy::unwrap_used)]

use argos_model::Record;
use argos_store::testdata::Generator;
use argos_store::{EmbeddedOptions, EmbeddedStore, Store};
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "ARGOS_STORE_KILL_CHILD_DIR";
const BATCH: usize = 400;

/// The child's batches, reproducible in the parent.
fn batches() -> impl Iterator<Item = Vec<Record>> {
    let mut g = Generator::new(77);
    std::iter::repeat_with(move || g.messages(BATCH))
}

fn key(r: &Record) -> (i64, Vec<u8>) {
    (r.capture.ts_us, r.capture.payload.to_vec())
}

/// Runs only as the child (re-executed test binary): insert, flush, print `ACK n` (records
/// made durable so far) after each completed flush, until killed.
#[test]
fn kill_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store =
        EmbeddedStore::open(std::path::Path::new(&dir), EmbeddedOptions::default()).unwrap();
    let mut acked = 0usize;
    for (i, b) in batches().enumerate() {
        store.insert(&b).unwrap();
        acked += b.len();
        // Flush every other batch: records of the odd ones are in flight at any time.
        if i % 2 == 1 {
            store.flush().unwrap();
            println!("ACK {acked}");
        }
    }
}

#[test]
fn kill_9_mid_ingest_loses_only_unflushed_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["kill_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let start = Instant::now();
    let mut acked = 0usize;
    // Kill after ~50 flushes (or 20 s), while it is inserting.
    let mut flushes = 0;
    while flushes < 50 && start.elapsed() < Duration::from_secs(20) {
        let Some(line) = lines.next() else { break };
        if let Some(n) = line.unwrap().strip_prefix("ACK ") {
            acked = n.parse().unwrap();
            flushes += 1;
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Nothing acknowledged after the last line read can count: read what was printed.
    for line in lines.map_while(Result::ok) {
        if let Some(n) = line.strip_prefix("ACK ") {
            acked = n.parse().unwrap();
        }
    }
    assert!(acked > 0, "child acknowledged nothing");

    let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    let rec = store.recovery().clone();
    println!("{rec:?}, acked {acked}");
    assert!(rec.set_aside.is_empty(), "{rec:?}");
    assert_eq!(
        rec.partitions_opened,
        store.stats().unwrap().partitions.len()
    );
    assert!(rec.messages >= acked as u64, "{rec:?}");
    assert!(
        !rec.partitions_recovered.is_empty(),
        "killed, yet closed cleanly? {rec:?}"
    );

    let mut found: HashSet<(i64, Vec<u8>)> = HashSet::new();
    let mut prev = (i64::MIN, 0u64);
    store
        .scan(0, i64::MAX, &mut |m| {
            let k = (m.record.capture.ts_us, m.id);
            assert!(k > prev);
            prev = k;
            found.insert(key(&m.record));
            true
        })
        .unwrap();
    let mut checked = 0usize;
    for b in batches() {
        if checked >= acked {
            break;
        }
        for r in &b {
            assert!(
                found.contains(&key(r)),
                "acknowledged record {checked} lost"
            );
        }
        checked += b.len();
    }
    // Every partition passes a full integrity check.
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "sqlite") {
            let c = rusqlite::Connection::open(&p).unwrap();
            let v: String = c
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            assert_eq!(v, "ok", "{}", p.display());
        }
    }
    // And it takes new records.
    let before = store.stats().unwrap().messages;
    let more = Generator::new(78).messages(100);
    store.insert(&more).unwrap();
    store.flush().unwrap();
    assert_eq!(store.stats().unwrap().messages, before + more.len() as u64);
}

#[test]
fn clean_close_recovers_nothing_and_corrupt_files_are_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let recs = Generator::new(79).messages(2000);
    {
        let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
        store.insert(&recs).unwrap();
    }
    let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    let rec = store.recovery().clone();
    assert_eq!(rec.partitions_opened, 1);
    assert_eq!(rec.messages, recs.len() as u64);
    assert!(
        rec.partitions_recovered.is_empty() && rec.set_aside.is_empty(),
        "{rec:?}"
    );
    drop(store);
    // A file that is not a database at all.
    std::fs::write(dir.path().join("2025-11-20.sqlite"), vec![0x5a; 8192]).unwrap();
    let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    let rec = store.recovery();
    assert_eq!(rec.set_aside.len(), 1, "{rec:?}");
    assert_eq!(rec.set_aside[0].file, "2025-11-20.sqlite");
    assert!(dir.path().join("2025-11-20.sqlite.corrupt").exists());
    assert_eq!(store.stats().unwrap().messages, recs.len() as u64);
}
