//! Memory stays bounded under an INVITE flood: one million INVITEs with unique
//! Call-IDs and no responses, through a call table capped at 10,000.

#![allow(clippy::expect_used)]

use argos_model::{CallStatus, Capture, MessageFields, PayloadKind, Record, Transport};
use argos_track::call::{CallConfig, CallTracker};
use std::fmt::Write;

const CAP: usize = 10_000;
const FLOOD: usize = 1_000_000;
const SECOND: i64 = 1_000_000;
const T0: i64 = 1_795_564_800 * SECOND;

/// An INVITE record; fields filled by hand (parsing a million messages in a debug build
/// would test the parser's speed, not the tracker's bounds).
fn invite_template() -> Record {
    let capture = Capture::new(
        T0,
        "10.0.0.1:5060".parse().expect("addr"),
        "10.0.0.2:5060".parse().expect("addr"),
        Transport::Udp,
        PayloadKind::SIP,
        bytes::Bytes::from_static(b"INVITE sip:flood@x SIP/2.0\r\n\r\n"),
    );
    let fields = MessageFields {
        method: Some("INVITE".into()),
        ruri_user: Some("flood".into()),
        from_tag: Some("f".into()),
        cseq_num: Some(1),
        cseq_method: Some("INVITE".into()),
        call_id: Some(String::new()),
        call_key: Some(String::new()),
        ..MessageFields::default()
    };
    Record { capture, fields }
}

fn set_call_id(r: &mut Record, i: usize) {
    for f in [&mut r.fields.call_id, &mut r.fields.call_key] {
        let s = f.get_or_insert_with(String::new);
        s.clear();
        let _ = write!(s, "flood-{i}");
    }
}

#[test]
fn a_million_unanswered_invites_stay_under_the_cap_and_all_time_out() {
    let mut t = CallTracker::new(CallConfig {
        max_calls: CAP,
        ..CallConfig::default()
    });
    let mut r = invite_template();
    let mut out = Vec::new();
    // Which calls were written, by the index in their Call-ID.
    let mut written = vec![false; FLOOD];
    let mut keep = |out: &mut Vec<argos_model::CallRecord>| {
        for c in out.drain(..) {
            assert_eq!(c.status, CallStatus::Timeout, "{}", c.call_key);
            assert_eq!(c.legs.len(), 1);
            assert!(c.end_us.is_some());
            let i: usize = c
                .call_key
                .strip_prefix("flood-")
                .and_then(|n| n.parse().ok())
                .expect("a flood call");
            assert!(!written[i], "{} written twice", c.call_key);
            written[i] = true;
        }
    };

    // First half slowly (250/s: 8,000 live within Timer B, under the cap: calls time out
    // by tick), second half as a burst (100,000/s: the cap makes room).
    let mut ts = T0;
    let mut max_len = 0;
    for i in 0..FLOOD {
        ts += if i < FLOOD / 2 { SECOND / 250 } else { 10 };
        r.capture.ts_us = ts;
        set_call_id(&mut r, i);
        t.observe(&r, &mut out);
        max_len = max_len.max(t.len());
        if i % 1000 == 999 {
            t.tick(ts, &mut out);
            keep(&mut out);
        }
    }
    assert!(
        max_len <= CAP,
        "tracked {max_len} calls with a cap of {CAP}"
    );
    assert_eq!(max_len, CAP, "the burst fills the table");
    let live = t.len();

    // Nothing answers: after Timer B everything left has timed out.
    t.tick(ts + 32 * SECOND, &mut out);
    keep(&mut out);
    assert!(t.is_empty());
    t.finish(&mut out);
    assert!(out.is_empty());

    let c = t.counters();
    assert!(
        written.iter().all(|&w| w),
        "every call written exactly once"
    );
    assert_eq!(c.ended_with(CallStatus::Timeout), FLOOD as u64);
    assert_eq!(c.ended.iter().sum::<u64>(), FLOOD as u64);
    assert_eq!(c.expired, FLOOD as u64, "timeouts and evictions");
    assert!(c.evicted > 0 && c.evicted < FLOOD as u64, "{}", c.evicted);
    assert!(c.evicted as usize >= FLOOD / 2 - CAP - live);
    eprintln!(
        "flood: {FLOOD} INVITEs, cap {CAP}: max tracked {max_len}, evicted {}, timed out {}",
        c.evicted,
        c.expired - c.evicted
    );
}
