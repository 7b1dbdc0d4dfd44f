//! Insert throughput and query latency of [`EmbeddedStore`] at a modest size (200k
//! messages). For 10M messages use `examples/scale.rs`.
//!
//! `cargo bench -p argos-store --bench store`
#![allow(clippy::unwrap_used)]

use argos_model::{Field, Filter, Query};
use argos_store::testdata::Generator;
use argos_store::{EmbeddedOptions, EmbeddedStore, Store};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::time::Duration;

fn filt(field: Field, v: &str) -> Filter {
    Filter {
        field,
        value: v.to_string(),
    }
}

fn insert(c: &mut Criterion) {
    let batch = Generator::new(1).messages(20_000);
    let mut g = c.benchmark_group("insert");
    g.throughput(Throughput::Elements(batch.len() as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    g.bench_function("20k_messages_then_flush", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
                (dir, store)
            },
            |(dir, store)| {
                for chunk in batch.chunks(5_000) {
                    store.insert(chunk).unwrap();
                }
                store.flush().unwrap();
                (dir, store)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn queries(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    let mut gen = Generator::new(2);
    let mut cids = Vec::new();
    let mut users = Vec::new();
    for _ in 0..40 {
        let batch = gen.messages(5_000);
        cids.push(batch[100].fields.call_id.clone().unwrap());
        users.push(batch[200].fields.from_user.clone().unwrap());
        store.insert(&batch).unwrap();
    }
    store.flush().unwrap();
    let mut g = c.benchmark_group("query_200k");
    let mut i = 0;
    g.bench_function("search_call_id", |b| {
        b.iter(|| {
            i += 1;
            let q = Query {
                filters: vec![filt(Field::CallId, &cids[i % cids.len()])],
                ..Query::default()
            };
            store.search(&q).unwrap()
        })
    });
    g.bench_function("call_both_legs", |b| {
        b.iter(|| {
            i += 1;
            store.call(&cids[i % cids.len()], 0, i64::MAX).unwrap()
        })
    });
    g.bench_function("search_from_user_limit_100", |b| {
        b.iter(|| {
            i += 1;
            let q = Query {
                filters: vec![filt(Field::FromUser, &users[i % users.len()])],
                ..Query::default()
            };
            store.search(&q).unwrap()
        })
    });
    g.bench_function("search_from_user_prefix_limit_100", |b| {
        b.iter(|| {
            let q = Query {
                filters: vec![filt(Field::FromUser, "+15550001*")],
                ..Query::default()
            };
            store.search(&q).unwrap()
        })
    });
    g.bench_function("search_method_unindexed_limit_100", |b| {
        b.iter(|| {
            let q = Query {
                filters: vec![filt(Field::Method, "BYE")],
                ..Query::default()
            };
            store.search(&q).unwrap()
        })
    });
    g.bench_function("calls_limit_100", |b| {
        b.iter(|| {
            let q = Query {
                filters: vec![filt(Field::Method, "INVITE")],
                ..Query::default()
            };
            store.calls(&q).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, insert, queries);
criterion_main!(benches);
