//! Instruction-count harness for `valgrind --tool=callgrind`:
//! `cargo build --release -p argos-sip --example icount` then
//! `valgrind --tool=callgrind target/release/examples/icount invite summary 10000`
//! and subtract the run with 0 iterations (per-message cost = difference / iterations).

use std::hint::black_box;

use argos_sip::{parse, FieldConfig};

#[path = "../benches/fixtures/mod.rs"]
mod messages;
use messages::{crlf, INVITE, OK_200};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = match args.get(1).map(String::as_str) {
        Some("ok") => OK_200,
        _ => INVITE,
    };
    let mode = args.get(2).map_or("summary", String::as_str);
    let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let buf = crlf(text);
    let cfg = FieldConfig::default();
    let mut acc = 0usize;
    for _ in 0..n {
        let Ok(m) = parse(black_box(&buf)) else {
            continue;
        };
        if mode == "sdp" {
            acc += argos_sip::sdp::parse(m.body()).map_or(0, |s| s.media.len());
        } else if mode == "summary" {
            let s = m.summary(&cfg);
            acc += s.call_id.map_or(0, str::len) + s.sdp.map_or(0, |sdp| sdp.media.len());
        } else {
            acc += m.headers().len();
        }
    }
    println!("{acc}");
}
