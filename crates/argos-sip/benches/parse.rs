//! `cargo bench -p argos-sip -- --warm-up-time 1 --measurement-time 3`
//!
//! Throughput is reported per message (elem/s = msgs/s).

use argos_sip::{parse, FieldConfig};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

#[path = "fixtures/mod.rs"]
mod messages;
use messages::{crlf, INVITE, OK_200};

fn bench(c: &mut Criterion) {
    let cfg = FieldConfig::default();
    let mut g = c.benchmark_group("sip");
    g.throughput(Throughput::Elements(1));
    for (name, text) in [("invite_sdp", INVITE), ("ok_200", OK_200)] {
        let buf = crlf(text);
        g.bench_function(format!("parse/{name}_{}B", buf.len()), |b| {
            b.iter(|| parse(black_box(&buf)).map(|m| m.headers().len()))
        });
        g.bench_function(format!("parse+summary/{name}_{}B", buf.len()), |b| {
            b.iter(|| {
                let m = parse(black_box(&buf)).ok()?;
                let s = m.summary(&cfg);
                Some((s.call_id.map(str::len), s.sdp.map(|sdp| sdp.media.len())))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
