//! What the call tracker concludes, stored by every engine (see `common`): call records,
//! call aggregates, registrations, alarms and stat counts. Every scenario checks each
//! engine against hand-computed results, so all engines also agree with each other.
#![allow(clippy::unwrap_used)]

mod common;

use argos_model::{
    Alarm, AlarmKind, AlarmQuery, CallAggRow, CallLeg, CallQuery, CallRecord, CallStatus, Evidence,
    KpiDim, KpiQuery, MediaSide, Party, RegQuery, RegStatus, RegistrationRecord, Severity, StatRow,
};
use argos_store::Store;
use common::engines;

const T0: i64 = 1_764_064_800_000_000; // 2025-11-25T10:00:00Z
const DAY: i64 = 86_400_000_000;
const MIN: i64 = 60_000_000;
const HOUR: i64 = 60 * MIN;
/// 2025-11-26T00:00:00Z.
const MIDNIGHT: i64 = (T0 / DAY + 1) * DAY;
const ALL: (i64, i64) = (0, i64::MAX);

// ---------------------------------------------------------------------------------------
// Records

fn call(key: &str, start_us: i64, status: CallStatus) -> CallRecord {
    CallRecord {
        call_key: key.into(),
        status,
        start_us,
        src_ip: "10.0.0.1".into(),
        dst_ip: "10.0.0.2".into(),
        capture_id: 2001,
        messages: 3,
        ..CallRecord::default()
    }
}

/// A call with every field set (round trip of all of them).
fn full_call() -> CallRecord {
    CallRecord {
        call_key: "full-1@host".into(),
        legs: vec![
            CallLeg {
                call_id: "full-1@host".into(),
                src: "10.0.0.1:5060".into(),
                dst: "10.0.0.2:5060".into(),
                start_us: T0 + 5 * MIN,
                final_code: Some(200),
                messages: 7,
            },
            CallLeg {
                call_id: "b-leg-1".into(),
                src: "10.0.0.2:5060".into(),
                dst: "10.0.0.3:5060".into(),
                start_us: T0 + 5 * MIN + 1000,
                final_code: None,
                messages: 5,
            },
        ],
        status: CallStatus::Answered,
        final_code: Some(200),
        final_reason: Some("OK".into()),
        from_user: Some("1001".into()),
        from_domain: Some("example.com".into()),
        to_user: Some("4930123".into()),
        to_domain: Some("example.net".into()),
        ruri_user: Some("4930123".into()),
        pai_user: Some("+491001".into()),
        src_ip: "10.0.0.1".into(),
        dst_ip: "10.0.0.2".into(),
        caller_ua: Some("Yealink 'T46' \"x\"\ttab".into()),
        callee_ua: Some("Asterisk PBX 20".into()),
        node: Some("sbc-1".into()),
        capture_id: 2001,
        start_us: T0 + 5 * MIN,
        ringing_us: Some(T0 + 5 * MIN + 800_000),
        answer_us: Some(T0 + 5 * MIN + 3_000_000),
        end_us: Some(T0 + 6 * MIN),
        pdd_ms: Some(800),
        setup_ms: Some(3000),
        duration_ms: Some(57_000),
        hangup_by: Some(Party::Callee),
        reason_header: Some("Q.850;cause=16;text=\"Normal call clearing\"".into()),
        q850_cause: Some(16),
        offer: Some(MediaSide {
            addr: "10.0.0.1:4000".into(),
            codecs: vec!["PCMU".into(), "G729".into()],
        }),
        answer: Some(MediaSide {
            addr: "10.0.0.2:5000".into(),
            codecs: vec!["PCMU".into()],
        }),
        codec: Some("PCMU".into()),
        mos: Some(4.25),
        invite_retransmissions: 1,
        reinvites: 2,
        messages: 12,
    }
}

fn reg(aor: &str, contact: &str, last_us: i64, status: RegStatus) -> RegistrationRecord {
    RegistrationRecord {
        aor: aor.into(),
        contact: contact.into(),
        src: "192.0.2.10:5060".into(),
        user_agent: Some("Zoiper".into()),
        node: Some("sbc-1".into()),
        status,
        first_us: last_us - 10 * MIN,
        last_us,
        last_success_us: Some(last_us),
        expires_s: Some(3600),
        expires_at_us: Some(last_us + HOUR),
        last_failure_us: None,
        last_failure_code: None,
        attempts: 4,
        challenges: 2,
        successes: 2,
        failures: 0,
        call_id: format!("reg-{aor}"),
    }
}

fn alarm(kind: AlarmKind, key: &str, first_us: i64, last_us: i64, count: u64) -> Alarm {
    Alarm {
        kind,
        severity: Severity::Warning,
        key: key.into(),
        first_us,
        last_us,
        count,
        summary: format!("{} from {key}: {count}", kind.as_str()),
        evidence: vec![Evidence {
            ts_us: first_us,
            call_id: Some("ev-1".into()),
            src: format!("{key}:5060"),
            dst: "10.0.0.2:5060".into(),
            line: "OPTIONS sip:100@10.0.0.2 SIP/2.0".into(),
        }],
    }
}

fn stat(minute_us: i64, name: &str, count: u64) -> StatRow {
    StatRow {
        minute_us,
        name: name.into(),
        count,
    }
}

fn calls_q(since_us: i64, until_us: i64, limit: usize) -> CallQuery {
    CallQuery {
        since_us,
        until_us,
        limit,
        ..CallQuery::default()
    }
}

fn keys(v: &[CallRecord]) -> Vec<&str> {
    v.iter().map(|c| c.call_key.as_str()).collect()
}

// ---------------------------------------------------------------------------------------
// Call records

/// Calls over two days; `c1` is written three times (trying, ringing, answered).
fn call_set() -> Vec<CallRecord> {
    let mut c1 = call("c1", T0, CallStatus::Answered);
    c1.from_user = Some("1001".into());
    c1.to_user = Some("2001".into());
    c1.final_code = Some(200);
    c1.node = Some("sbc-1".into());
    let mut c2 = call("c2", T0 + MIN, CallStatus::Busy);
    c2.from_user = Some("1002".into());
    c2.to_user = Some("2009".into());
    c2.src_ip = "10.0.0.7".into();
    c2.final_code = Some(486);
    let mut c3 = call("c3", T0 + 2 * MIN, CallStatus::Failed);
    c3.from_user = Some("9001".into());
    c3.ruri_user = Some("3009".into());
    c3.dst_ip = "192.168.1.5".into();
    c3.final_code = Some(503);
    // Hostile strings: LIKE/GLOB wildcards and quotes must match only themselves.
    let mut c4 = call("c4 'x' %_\\", T0 + 3 * MIN, CallStatus::Cancelled);
    c4.from_user = Some("a_b?[c]%'".into());
    let mut c5 = call("c5", MIDNIGHT + HOUR, CallStatus::Answered);
    c5.from_user = Some("1005".into());
    c5.node = Some("sbc-2".into());
    vec![c1, c2, c3, c4, c5, full_call()]
}

#[test]
fn call_records_round_trip_replace_filters_limit() {
    let set = call_set();
    for mut e in engines("call_records_round_trip_replace_filters_limit") {
        let s = e.store();
        let mut trying = set[0].clone();
        trying.status = CallStatus::Trying;
        trying.final_code = None;
        let mut ringing = trying.clone();
        ringing.status = CallStatus::Ringing;
        s.put_calls(&[trying.clone()]).unwrap();
        // One batch holding two states of c1: the later one wins.
        s.put_calls(&[set[1].clone(), trying, ringing]).unwrap();
        s.put_calls(&set).unwrap();
        s.flush().unwrap();

        // Newest first, each call once in its last state, every field back.
        let mut want = set.clone();
        want.sort_by(|a, b| {
            b.start_us
                .cmp(&a.start_us)
                .then(a.call_key.cmp(&b.call_key))
        });
        let got = s.call_records(&calls_q(ALL.0, ALL.1, 100)).unwrap();
        assert_eq!(got, want, "{}", e.name);

        let find = |q: CallQuery| keys(&s.call_records(&q).unwrap()).join(",");
        let q = |f: &dyn Fn(&mut CallQuery)| {
            let mut q = calls_q(ALL.0, ALL.1, 100);
            f(&mut q);
            q
        };
        let n = &e.name;
        assert_eq!(
            find(calls_q(ALL.0, ALL.1, 2)),
            "c5,full-1@host",
            "{n}: limit"
        );
        assert_eq!(find(calls_q(T0, T0 + 2 * MIN, 100)), "c2,c1", "{n}: range");
        assert_eq!(find(calls_q(MIDNIGHT, ALL.1, 100)), "c5", "{n}: day 2");
        assert_eq!(find(calls_q(T0, T0, 100)), "", "{n}: empty range");
        assert_eq!(find(calls_q(ALL.0, ALL.1, 0)), "", "{n}: limit 0");
        let st = |v: &[CallStatus]| q(&|q| q.status = v.to_vec());
        assert_eq!(
            find(st(&[CallStatus::Answered])),
            "c5,full-1@host,c1",
            "{n}"
        );
        assert_eq!(
            find(st(&[CallStatus::Busy, CallStatus::Failed])),
            "c3,c2",
            "{n}"
        );
        // c1 was trying and ringing before: replaced states never show.
        assert_eq!(
            find(st(&[CallStatus::Trying, CallStatus::Ringing])),
            "",
            "{n}"
        );
        let from = |v: &str| q(&|q| q.from_user = Some(v.into()));
        assert_eq!(find(from("100*")), "c5,full-1@host,c2,c1", "{n}");
        assert_eq!(find(from("1002")), "c2", "{n}");
        assert_eq!(find(from("*01")), "full-1@host,c3,c1", "{n}");
        assert_eq!(find(from("10")), "", "{n}: exact, not prefix");
        assert_eq!(find(from("a_b?[c]%'")), "c4 'x' %_\\", "{n}");
        assert_eq!(find(from("a_b*")), "c4 'x' %_\\", "{n}");
        assert_eq!(find(from("a?b*")), "", "{n}: ? is no wildcard");
        assert_eq!(find(from("ax*")), "", "{n}: _ is no wildcard");
        assert_eq!(find(from("a_b?[c]*%'")), "c4 'x' %_\\", "{n}");
        let src = |v: &str| q(&|q| q.src_ip = Some(v.into()));
        assert_eq!(find(src("10.0.0.7")), "c2", "{n}");
        assert_eq!(find(src("10.0.0.*")).split(',').count(), 6, "{n}");
        let dst = |v: &str| q(&|q| q.dst_ip = Some(v.into()));
        assert_eq!(find(dst("192.168.*")), "c3", "{n}");
        assert_eq!(find(q(&|q| q.to_user = Some("*9".into()))), "c2", "{n}");
        assert_eq!(find(q(&|q| q.ruri_user = Some("3009".into()))), "c3", "{n}");
        assert_eq!(
            find(q(&|q| q.node = Some("sbc-*".into()))),
            "c5,full-1@host,c1",
            "{n}"
        );
        assert_eq!(
            find(q(&|q| q.call_key = Some("c4 'x' %_\\".into()))),
            "c4 'x' %_\\",
            "{n}"
        );
        // All filters must hold.
        assert_eq!(
            find(q(&|q| {
                q.from_user = Some("100*".into());
                q.status = vec![CallStatus::Answered];
                q.node = Some("sbc-1".into());
            })),
            "full-1@host,c1",
            "{n}"
        );

        // Reopened, everything is still there.
        e.reopen();
        let got = e.store().call_records(&calls_q(ALL.0, ALL.1, 100)).unwrap();
        assert_eq!(got, want, "{}: after reopen", e.name);
    }
}

/// Calls replaced in later batches read back in their last state, and filtered, limited
/// lists over many records (whose JSON the embedded engine keeps in several compressed
/// blobs per batch and day, in several batches) come out right.
#[test]
fn call_records_replaced_across_batches_and_many_blobs() {
    // 600 calls of ~1 KB, every fifth after midnight (another day in the same batches).
    let mk = |i: usize, status: CallStatus| {
        let mut c = full_call();
        c.call_key = format!("m-{i:04}");
        c.start_us = if i % 5 == 4 {
            MIDNIGHT + i as i64 * 1000
        } else {
            T0 + i as i64 * 1000
        };
        c.status = status;
        c.from_user = Some(format!("u{}", i % 7));
        c.final_code = None;
        c
    };
    let n = 600;
    let first: Vec<CallRecord> = (0..n).map(|i| mk(i, CallStatus::Trying)).collect();
    // Second and third batches: every third call ends (answered, then one in two of those
    // is written again as failed), each also moved to another user.
    let ended = |i: usize| {
        let mut c = mk(i, CallStatus::Answered);
        c.final_code = Some(200);
        c.from_user = Some(format!("done{}", i % 2));
        c
    };
    let second: Vec<CallRecord> = (0..n).step_by(3).map(ended).collect();
    let third: Vec<CallRecord> = (0..n)
        .step_by(6)
        .map(|i| {
            let mut c = ended(i);
            c.status = CallStatus::Failed;
            c.final_code = Some(503);
            c
        })
        .collect();
    let last = |i: usize| match i % 6 {
        0 => third[i / 6].clone(),
        3 => second[i / 3].clone(),
        _ => first[i].clone(),
    };
    let mut want: Vec<CallRecord> = (0..n).map(last).collect();
    want.sort_by(|a, b| {
        b.start_us
            .cmp(&a.start_us)
            .then(a.call_key.cmp(&b.call_key))
    });
    let want_where = |f: &dyn Fn(&CallRecord) -> bool, limit: usize| -> Vec<CallRecord> {
        want.iter().filter(|c| f(c)).take(limit).cloned().collect()
    };
    for mut e in engines("call_records_replaced_across_batches_and_many_blobs") {
        let s = e.store();
        s.put_calls(&first).unwrap();
        s.put_calls(&second).unwrap();
        s.put_calls(&third).unwrap();
        s.flush().unwrap();
        let n_ = e.name.clone();
        let got = s.call_records(&calls_q(ALL.0, ALL.1, 1000)).unwrap();
        assert_eq!(got.len(), n, "{n_}: each call once");
        assert_eq!(got, want, "{n_}: last states, newest first");
        let q = |f: &dyn Fn(&mut CallQuery), limit| {
            let mut q = calls_q(ALL.0, ALL.1, limit);
            f(&mut q);
            s.call_records(&q).unwrap()
        };
        assert_eq!(
            q(&|q| q.status = vec![CallStatus::Answered], 1000),
            want_where(&|c| c.status == CallStatus::Answered, 1000),
            "{n_}: answered"
        );
        assert_eq!(
            q(&|q| q.status = vec![CallStatus::Failed], 30),
            want_where(&|c| c.status == CallStatus::Failed, 30),
            "{n_}: failed, limited"
        );
        assert!(
            q(&|q| q.status = vec![CallStatus::Trying], 1000)
                .iter()
                .all(|c| c.final_code.is_none()),
            "{n_}: replaced states never show"
        );
        assert_eq!(
            q(&|q| q.from_user = Some("u3".into()), 1000),
            want_where(&|c| c.from_user.as_deref() == Some("u3"), 1000),
            "{n_}: a user, every blob"
        );
        assert_eq!(
            q(&|q| q.from_user = Some("done*".into()), 150),
            want_where(
                &|c| c
                    .from_user
                    .as_deref()
                    .is_some_and(|u| u.starts_with("done")),
                150
            ),
            "{n_}: a pattern across days, limited"
        );
        let kq = KpiQuery {
            since_us: ALL.0,
            until_us: ALL.1,
            bucket_s: 86_400,
            ..KpiQuery::default()
        };
        let rows = s.call_aggregates(&kq).unwrap();
        assert_eq!(rows.iter().map(|r| r.calls).sum::<u64>(), n as u64, "{n_}");
        e.reopen();
        let got = e
            .store()
            .call_records(&calls_q(ALL.0, ALL.1, 1000))
            .unwrap();
        assert_eq!(got, want, "{n_}: after reopen");
    }
}

// ---------------------------------------------------------------------------------------
// Call aggregates

#[allow(clippy::too_many_arguments)]
fn agg(
    bucket_us: i64,
    key: &str,
    status: CallStatus,
    final_code: u16,
    calls: u64,
    duration: (i64, u64),
    pdd: (i64, u64),
    setup: (i64, u64),
) -> CallAggRow {
    CallAggRow {
        bucket_us,
        key: key.into(),
        status,
        final_code,
        calls,
        duration_ms_sum: duration.0,
        duration_n: duration.1,
        pdd_ms_sum: pdd.0,
        pdd_n: pdd.1,
        setup_ms_sum: setup.0,
        setup_n: setup.1,
    }
}

/// Five calls on day 1 (hours 10 and 11) and one on day 2.
fn kpi_set() -> Vec<CallRecord> {
    let mk = |key: &str, start, status, code: Option<u16>| {
        let mut c = call(key, start, status);
        c.final_code = code;
        c
    };
    let mut a = mk("a", T0 + 10 * MIN, CallStatus::Answered, Some(200));
    a.node = Some("n1".into());
    a.caller_ua = Some("UA-A".into());
    a.ruri_user = Some("49301".into());
    a.to_user = Some("49301".into());
    (a.duration_ms, a.pdd_ms, a.setup_ms) = (Some(60_000), Some(1000), Some(3000));
    let mut b = mk("b", T0 + 20 * MIN, CallStatus::Answered, Some(200));
    b.node = Some("n1".into());
    b.dst_ip = "10.0.0.3".into();
    b.caller_ua = Some("UA-A".into());
    b.ruri_user = Some("49302".into());
    (b.duration_ms, b.pdd_ms, b.setup_ms) = (Some(30_000), Some(2000), Some(4000));
    let mut c = mk("c", T0 + 30 * MIN, CallStatus::Busy, Some(486));
    c.node = Some("n2".into());
    c.src_ip = "10.0.0.4".into();
    c.caller_ua = Some("UA-B".into());
    c.to_user = Some("33101".into());
    c.pdd_ms = Some(500);
    // Empty R-URI user: the prefix comes from the To user.
    let mut d = mk("d", T0 + 70 * MIN, CallStatus::Failed, Some(503));
    d.src_ip = "10.0.0.4".into();
    d.ruri_user = Some(String::new());
    d.to_user = Some("4412".into());
    let mut e = mk("e", T0 + 80 * MIN, CallStatus::Trying, None);
    e.node = Some("n1".into());
    e.ruri_user = Some("49999".into());
    let mut f = mk("f", MIDNIGHT + HOUR, CallStatus::Answered, Some(200));
    f.node = Some("n1".into());
    f.ruri_user = Some("49301".into());
    (f.duration_ms, f.pdd_ms, f.setup_ms) = (Some(10_000), Some(100), Some(200));
    vec![a, b, c, d, e, f]
}

#[test]
fn call_aggregates_by_every_dimension() {
    use CallStatus::*;
    let set = kpi_set();
    let h1 = T0 + HOUR;
    let h2 = MIDNIGHT + HOUR;
    let none = (0, 0);
    let day1 = |by, prefix_len| KpiQuery {
        since_us: T0,
        until_us: MIDNIGHT,
        bucket_s: 3600,
        by,
        prefix_len,
    };
    let cases: Vec<(KpiQuery, Vec<CallAggRow>)> = vec![
        (
            day1(KpiDim::All, 0),
            vec![
                agg(T0, "", Answered, 200, 2, (90_000, 2), (3000, 2), (7000, 2)),
                agg(T0, "", Busy, 486, 1, none, (500, 1), none),
                agg(h1, "", Failed, 503, 1, none, none, none),
                agg(h1, "", Trying, 0, 1, none, none, none),
            ],
        ),
        (
            day1(KpiDim::Node, 0),
            vec![
                agg(
                    T0,
                    "n1",
                    Answered,
                    200,
                    2,
                    (90_000, 2),
                    (3000, 2),
                    (7000, 2),
                ),
                agg(T0, "n2", Busy, 486, 1, none, (500, 1), none),
                agg(h1, "", Failed, 503, 1, none, none, none),
                agg(h1, "n1", Trying, 0, 1, none, none, none),
            ],
        ),
        (
            day1(KpiDim::SrcIp, 0),
            vec![
                agg(
                    T0,
                    "10.0.0.1",
                    Answered,
                    200,
                    2,
                    (90_000, 2),
                    (3000, 2),
                    (7000, 2),
                ),
                agg(T0, "10.0.0.4", Busy, 486, 1, none, (500, 1), none),
                agg(h1, "10.0.0.1", Trying, 0, 1, none, none, none),
                agg(h1, "10.0.0.4", Failed, 503, 1, none, none, none),
            ],
        ),
        (
            day1(KpiDim::DstIp, 0),
            vec![
                agg(
                    T0,
                    "10.0.0.2",
                    Answered,
                    200,
                    1,
                    (60_000, 1),
                    (1000, 1),
                    (3000, 1),
                ),
                agg(T0, "10.0.0.2", Busy, 486, 1, none, (500, 1), none),
                agg(
                    T0,
                    "10.0.0.3",
                    Answered,
                    200,
                    1,
                    (30_000, 1),
                    (2000, 1),
                    (4000, 1),
                ),
                agg(h1, "10.0.0.2", Failed, 503, 1, none, none, none),
                agg(h1, "10.0.0.2", Trying, 0, 1, none, none, none),
            ],
        ),
        (
            day1(KpiDim::CallerUa, 0),
            vec![
                agg(
                    T0,
                    "UA-A",
                    Answered,
                    200,
                    2,
                    (90_000, 2),
                    (3000, 2),
                    (7000, 2),
                ),
                agg(T0, "UA-B", Busy, 486, 1, none, (500, 1), none),
                agg(h1, "", Failed, 503, 1, none, none, none),
                agg(h1, "", Trying, 0, 1, none, none, none),
            ],
        ),
        (
            day1(KpiDim::DstPrefix, 3),
            vec![
                agg(T0, "331", Busy, 486, 1, none, (500, 1), none),
                agg(
                    T0,
                    "493",
                    Answered,
                    200,
                    2,
                    (90_000, 2),
                    (3000, 2),
                    (7000, 2),
                ),
                agg(h1, "441", Failed, 503, 1, none, none, none),
                agg(h1, "499", Trying, 0, 1, none, none, none),
            ],
        ),
        (
            day1(KpiDim::DstPrefix, 5),
            vec![
                agg(T0, "33101", Busy, 486, 1, none, (500, 1), none),
                agg(
                    T0,
                    "49301",
                    Answered,
                    200,
                    1,
                    (60_000, 1),
                    (1000, 1),
                    (3000, 1),
                ),
                agg(
                    T0,
                    "49302",
                    Answered,
                    200,
                    1,
                    (30_000, 1),
                    (2000, 1),
                    (4000, 1),
                ),
                agg(h1, "4412", Failed, 503, 1, none, none, none),
                agg(h1, "49999", Trying, 0, 1, none, none, none),
            ],
        ),
        // Both days, hourly: day 2's call in its own bucket.
        (
            KpiQuery {
                since_us: T0,
                until_us: MIDNIGHT + DAY,
                bucket_s: 3600,
                by: KpiDim::Node,
                prefix_len: 0,
            },
            vec![
                agg(
                    T0,
                    "n1",
                    Answered,
                    200,
                    2,
                    (90_000, 2),
                    (3000, 2),
                    (7000, 2),
                ),
                agg(T0, "n2", Busy, 486, 1, none, (500, 1), none),
                agg(h1, "", Failed, 503, 1, none, none, none),
                agg(h1, "n1", Trying, 0, 1, none, none, none),
                agg(h2, "n1", Answered, 200, 1, (10_000, 1), (100, 1), (200, 1)),
            ],
        ),
        // A four-day bucket (from 2025-11-24) spans both day partitions: summed across.
        (
            KpiQuery {
                since_us: 0,
                until_us: i64::MAX,
                bucket_s: 4 * 86_400,
                by: KpiDim::All,
                prefix_len: 0,
            },
            vec![
                agg(
                    MIDNIGHT - 2 * DAY,
                    "",
                    Answered,
                    200,
                    3,
                    (100_000, 3),
                    (3100, 3),
                    (7200, 3),
                ),
                agg(MIDNIGHT - 2 * DAY, "", Busy, 486, 1, none, (500, 1), none),
                agg(MIDNIGHT - 2 * DAY, "", Failed, 503, 1, none, none, none),
                agg(MIDNIGHT - 2 * DAY, "", Trying, 0, 1, none, none, none),
            ],
        ),
        // The range is on start_us: half an hour in.
        (
            KpiQuery {
                since_us: T0 + 15 * MIN,
                until_us: T0 + 75 * MIN,
                bucket_s: 3600,
                by: KpiDim::All,
                prefix_len: 0,
            },
            vec![
                agg(T0, "", Answered, 200, 1, (30_000, 1), (2000, 1), (4000, 1)),
                agg(T0, "", Busy, 486, 1, none, (500, 1), none),
                agg(h1, "", Failed, 503, 1, none, none, none),
            ],
        ),
    ];
    for e in engines("call_aggregates_by_every_dimension") {
        let s = e.store();
        // `a` first as a live call: replaced, counted once in its final state.
        let mut a_live = set[0].clone();
        a_live.status = Trying;
        (a_live.final_code, a_live.duration_ms) = (None, None);
        s.put_calls(&[a_live]).unwrap();
        s.put_calls(&set).unwrap();
        s.flush().unwrap();
        for (q, want) in &cases {
            let got = s.call_aggregates(q).unwrap();
            assert_eq!(&got, want, "{}: {:?} {:?}", e.name, q.by, q);
        }
        let empty = KpiQuery {
            since_us: T0,
            until_us: T0,
            bucket_s: 60,
            ..KpiQuery::default()
        };
        assert!(s.call_aggregates(&empty).unwrap().is_empty());
    }
}

// ---------------------------------------------------------------------------------------
// Registrations

#[test]
fn registrations_latest_per_binding_across_days() {
    use RegStatus::*;
    let c1 = "sip:1001@192.0.2.10:5060";
    let r1_day1 = reg("1001@x", c1, T0, Registered);
    let mut r1_day2 = reg("1001@x", c1, MIDNIGHT + HOUR, Failed);
    r1_day2.last_failure_code = Some(403);
    r1_day2.failures = 1;
    let r2_first = reg("1002@x", "sip:1002@192.0.2.11", T0 + HOUR, Registered);
    let r2 = reg("1002@x", "sip:1002@192.0.2.11", T0 + 2 * HOUR, Expired);
    let r3 = reg("1001@x", "sip:1001@192.0.2.99", T0 - HOUR, Pending);
    let r4 = reg("2001@y", "", MIDNIGHT + 2 * HOUR, Unregistered);
    let r5 = reg("3001@z", "sip:3001@h", MIDNIGHT + 3 * HOUR, Registered);
    let q = |since_us, until_us, aor: Option<&str>, status, limit| RegQuery {
        since_us,
        until_us,
        aor: aor.map(Into::into),
        status,
        limit,
    };
    let cases: Vec<(RegQuery, Vec<&RegistrationRecord>)> = vec![
        (
            q(ALL.0, ALL.1, None, None, 100),
            vec![&r5, &r4, &r1_day2, &r2, &r3],
        ),
        (q(ALL.0, ALL.1, None, None, 2), vec![&r5, &r4]),
        // Day 1 alone: the latest state in that range.
        (q(0, MIDNIGHT, None, None, 100), vec![&r2, &r1_day1, &r3]),
        (q(ALL.0, ALL.1, None, Some(Registered), 100), vec![&r5]),
        (q(0, MIDNIGHT, None, Some(Registered), 100), vec![&r1_day1]),
        (q(ALL.0, ALL.1, None, Some(Expired), 100), vec![&r2]),
        (
            q(ALL.0, ALL.1, Some("1001@*"), None, 100),
            vec![&r1_day2, &r3],
        ),
        (q(ALL.0, ALL.1, Some("2001@y"), None, 100), vec![&r4]),
        (q(ALL.0, ALL.1, Some("*@z"), None, 100), vec![&r5]),
        (q(T0, T0, None, None, 100), vec![]),
        (q(ALL.0, ALL.1, None, None, 0), vec![]),
    ];
    check_cases(
        "registrations_latest_per_binding_across_days",
        &[
            vec![r1_day1.clone(), r2_first.clone(), r3.clone()],
            vec![r2.clone(), r1_day2.clone(), r4.clone(), r5.clone()],
        ],
        &cases,
        |s, batch| s.put_registrations(batch).unwrap(),
        |s, q| s.registrations(q).unwrap(),
    );
}

// ---------------------------------------------------------------------------------------
// Alarms

#[test]
fn alarms_replace_and_order() {
    use AlarmKind::*;
    let a1_first = alarm(Scanner, "10.0.0.9", T0, T0 + MIN, 3);
    let a1 = alarm(Scanner, "10.0.0.9", T0, T0 + 5 * MIN, 10);
    let a2 = alarm(Flood, "10.0.0.7", T0 + 2 * MIN, T0 + 3 * MIN, 5000);
    // First seen before midnight, last after: stored in day 1, found from day 2.
    let a3 = alarm(Loop, "sbc-1", MIDNIGHT - MIN, MIDNIGHT + 2 * MIN, 4);
    let a4 = alarm(
        Scanner,
        "10.0.0.9",
        MIDNIGHT + HOUR,
        MIDNIGHT + HOUR + MIN,
        2,
    );
    // Same last sighting as a2: ties ordered by kind name.
    let a5 = alarm(ErrorSpike, "10.0.0.2", T0 + MIN, T0 + 3 * MIN, 40);
    let q = |since_us, until_us, kind, limit| AlarmQuery {
        since_us,
        until_us,
        kind,
        limit,
    };
    let cases: Vec<(AlarmQuery, Vec<&Alarm>)> = vec![
        (q(ALL.0, ALL.1, None, 100), vec![&a4, &a3, &a1, &a5, &a2]),
        (q(ALL.0, ALL.1, None, 2), vec![&a4, &a3]),
        (q(MIDNIGHT, ALL.1, None, 100), vec![&a4, &a3]),
        (q(0, MIDNIGHT, None, 100), vec![&a1, &a5, &a2]),
        (q(ALL.0, ALL.1, Some(Scanner), 100), vec![&a4, &a1]),
        (q(ALL.0, ALL.1, Some(SqlInjection), 100), vec![]),
        // On last_us: a1's first window (last T0+1min) was replaced.
        (q(T0, T0 + 2 * MIN, None, 100), vec![]),
    ];
    check_cases(
        "alarms_replace_and_order",
        &[
            vec![a1_first.clone(), a2.clone()],
            vec![a1.clone(), a3.clone(), a4.clone(), a5.clone()],
        ],
        &cases,
        |s, batch| s.put_alarms(batch).unwrap(),
        |s, q| s.alarms(q).unwrap(),
    );
}

/// On every engine: puts `batches` one call each and flushes, checks every case's
/// answer, then reopens and checks the first case's count again.
fn check_cases<R: Clone + PartialEq + std::fmt::Debug, Q: std::fmt::Debug, P>(
    test: &str,
    batches: &[Vec<R>],
    cases: &[(Q, Vec<&R>)],
    put: impl Fn(&dyn Store, &[R]) -> P,
    get: impl Fn(&dyn Store, &Q) -> Vec<R>,
) {
    for mut e in engines(test) {
        let s = e.store();
        for batch in batches {
            put(s, batch);
        }
        s.flush().unwrap();
        for (q, want) in cases {
            let want: Vec<R> = want.iter().map(|r| (*r).clone()).collect();
            assert_eq!(get(s, q), want, "{}: {q:?}", e.name);
        }
        e.reopen();
        let (q, want) = &cases[0];
        assert_eq!(get(e.store(), q).len(), want.len());
    }
}

// ---------------------------------------------------------------------------------------
// Stat counts

#[test]
fn stats_add_up_across_puts_with_prefix() {
    for mut e in engines("stats_add_up_across_puts_with_prefix") {
        let s = e.store();
        s.put_stats(&[
            stat(T0, "req:INVITE", 5),
            stat(T0, "rsp:200", 3),
            stat(T0 + MIN, "req:INVITE", 2),
            stat(MIDNIGHT, "req:BYE", 1),
        ])
        .unwrap();
        s.put_stats(&[
            stat(T0, "req:INVITE", 7),
            stat(T0, "rsp:200", 0),
            stat(MIDNIGHT, "req:BYE", 4),
            // Twice in one batch: both count.
            stat(T0 + MIN, "rsp:486", 1),
            stat(T0 + MIN, "rsp:486", 1),
        ])
        .unwrap();
        s.flush().unwrap();
        let n = e.name.clone();
        let all = vec![
            stat(T0, "req:INVITE", 12),
            stat(T0, "rsp:200", 3),
            stat(T0 + MIN, "req:INVITE", 2),
            stat(T0 + MIN, "rsp:486", 2),
            stat(MIDNIGHT, "req:BYE", 5),
        ];
        assert_eq!(s.stat_rows(ALL.0, ALL.1, "").unwrap(), all, "{n}");
        assert_eq!(
            s.stat_rows(ALL.0, ALL.1, "req:").unwrap(),
            vec![all[0].clone(), all[2].clone(), all[4].clone()],
            "{n}"
        );
        assert_eq!(
            s.stat_rows(ALL.0, ALL.1, "rsp:4").unwrap(),
            vec![all[3].clone()],
            "{n}"
        );
        assert_eq!(
            s.stat_rows(ALL.0, ALL.1, "req:INVITE%").unwrap(),
            vec![],
            "{n}: % is no wildcard"
        );
        assert_eq!(
            s.stat_rows(MIDNIGHT, ALL.1, "").unwrap(),
            vec![all[4].clone()],
            "{n}"
        );
        assert_eq!(
            s.stat_rows(T0, T0 + MIN, "").unwrap(),
            all[..2].to_vec(),
            "{n}"
        );
        // Reopened, a further put still adds to the stored counts.
        e.reopen();
        let s = e.store();
        s.put_stats(&[stat(T0, "req:INVITE", 1)]).unwrap();
        s.flush().unwrap();
        assert_eq!(
            s.stat_rows(T0, T0 + 1, "req:").unwrap(),
            vec![stat(T0, "req:INVITE", 13)],
            "{n}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Retention and reopening

#[test]
fn retention_removes_tracked_records_with_their_day() {
    let c_day1 = call("old", T0, CallStatus::Answered);
    let c_day2 = call("new", MIDNIGHT + HOUR, CallStatus::Busy);
    let r_day1 = reg("1001@x", "c", T0, RegStatus::Registered);
    let r_day2 = reg("1001@x", "c", MIDNIGHT + HOUR, RegStatus::Registered);
    let r_old = reg("1002@x", "c", T0, RegStatus::Registered);
    let a_day1 = alarm(AlarmKind::Flood, "k", T0, T0 + MIN, 1);
    let a_day2 = alarm(AlarmKind::Flood, "k", MIDNIGHT + HOUR, MIDNIGHT + HOUR, 1);
    for mut e in engines("retention_removes_tracked_records_with_their_day") {
        let s = e.store();
        s.put_calls(&[c_day1.clone(), c_day2.clone()]).unwrap();
        s.put_registrations(&[r_day1.clone(), r_old.clone(), r_day2.clone()])
            .unwrap();
        s.put_alarms(&[a_day1.clone(), a_day2.clone()]).unwrap();
        s.put_stats(&[stat(T0, "req:INVITE", 1), stat(MIDNIGHT, "req:INVITE", 2)])
            .unwrap();
        s.flush().unwrap();
        assert_eq!(s.call_records(&calls_q(ALL.0, ALL.1, 10)).unwrap().len(), 2);

        // Keep only the day of `now` (day 2).
        let rep = s.apply_retention(MIDNIGHT + 12 * HOUR, 0).unwrap();
        assert_eq!(rep.deleted, vec!["2025-11-25".to_string()], "{}", e.name);
        let name = e.name.clone();
        let check = |s: &dyn Store, when: &str| {
            let n = format!("{name}: {when}");
            assert_eq!(
                s.call_records(&calls_q(ALL.0, ALL.1, 10)).unwrap(),
                vec![c_day2.clone()],
                "{n}"
            );
            let rq = RegQuery {
                since_us: ALL.0,
                until_us: ALL.1,
                limit: 10,
                ..RegQuery::default()
            };
            assert_eq!(s.registrations(&rq).unwrap(), vec![r_day2.clone()], "{n}");
            let aq = AlarmQuery {
                since_us: ALL.0,
                until_us: ALL.1,
                kind: None,
                limit: 10,
            };
            assert_eq!(s.alarms(&aq).unwrap(), vec![a_day2.clone()], "{n}");
            assert_eq!(
                s.stat_rows(ALL.0, ALL.1, "").unwrap(),
                vec![stat(MIDNIGHT, "req:INVITE", 2)],
                "{n}"
            );
            let kq = KpiQuery {
                since_us: ALL.0,
                until_us: ALL.1,
                bucket_s: 86_400,
                ..KpiQuery::default()
            };
            let rows = s.call_aggregates(&kq).unwrap();
            assert_eq!(rows.iter().map(|r| r.calls).sum::<u64>(), 1, "{n}");
        };
        check(s, "after retention");
        e.reopen();
        check(e.store(), "after reopen");
    }
}

/// Records put and not flushed survive closing: the embedded store flushes on drop,
/// ClickHouse inserts synchronously.
#[test]
fn reopen_keeps_unflushed_puts() {
    for mut e in engines("reopen_keeps_unflushed_puts") {
        let s = e.store();
        s.put_calls(&[full_call()]).unwrap();
        s.put_stats(&[stat(T0, "req:OPTIONS", 9)]).unwrap();
        e.reopen();
        let s = e.store();
        assert_eq!(
            s.call_records(&calls_q(ALL.0, ALL.1, 10)).unwrap(),
            vec![full_call()],
            "{}",
            e.name
        );
        assert_eq!(
            s.stat_rows(ALL.0, ALL.1, "").unwrap(),
            vec![stat(T0, "req:OPTIONS", 9)],
            "{}",
            e.name
        );
    }
}

#[test]
fn invalid_timestamps_refuse_the_whole_batch() {
    for e in engines("invalid_timestamps_refuse_the_whole_batch") {
        let s = e.store();
        let bad = call("bad", i64::MIN / 2, CallStatus::Answered);
        let good = call("good", T0, CallStatus::Answered);
        assert!(s.put_calls(&[good, bad]).is_err(), "{}", e.name);
        s.flush().unwrap();
        assert!(s
            .call_records(&calls_q(ALL.0, ALL.1, 10))
            .unwrap()
            .is_empty());
    }
}

// ---------------------------------------------------------------------------------------
// Figures (not a test: run by hand with
//   cargo test --release -p argos-store --test tracked -- --ignored --nocapture bench
// and the ClickHouse variables set for those engines; ARGOS_BENCH_CALLS overrides the
// 100k calls).

#[test]
#[ignore]
fn bench_tracked() {
    let n: usize = common::env("ARGOS_BENCH_CALLS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    // One day of calls, each written three times (trying, ringing, final) in batches of
    // 1000 writes, like the tracker does as calls progress.
    let step = DAY / n as i64;
    let mk = |i: usize, status| {
        let mut c = full_call();
        c.call_key = format!("bench-{i}@host");
        c.start_us = T0 - 10 * HOUR + i as i64 * step;
        c.status = status;
        c.from_user = Some(format!("{}", 100_000 + i % 5000));
        c.src_ip = format!("10.0.{}.{}", i % 7, i % 200);
        c.node = Some(format!("sbc-{}", i % 3));
        c
    };
    let finals = [CallStatus::Answered, CallStatus::Busy, CallStatus::NoAnswer];
    for e in engines("bench_tracked") {
        let s = e.store();
        let t = std::time::Instant::now();
        let mut batch = Vec::with_capacity(1000);
        let mut writes = 0usize;
        for i in 0..n {
            for st in [CallStatus::Trying, CallStatus::Ringing, finals[i % 3]] {
                batch.push(mk(i, st));
            }
            if batch.len() >= 1000 {
                s.put_calls(&batch).unwrap();
                writes += batch.len();
                batch.clear();
            }
        }
        s.put_calls(&batch).unwrap();
        writes += batch.len();
        s.flush().unwrap();
        let el = t.elapsed().as_secs_f64();
        println!(
            "{}: put_calls: {writes} writes of {n} calls in {el:.1} s = {:.0} writes/s",
            e.name,
            writes as f64 / el
        );
        let bytes = s.stats().unwrap().bytes_on_disk;
        println!(
            "{}: on disk: {bytes} bytes, {:.0} bytes/call (records of ~1 KB of JSON)",
            e.name,
            bytes as f64 / n as f64
        );
        let time = |label: &str, f: &dyn Fn() -> usize| {
            let mut ms = Vec::new();
            let mut rows = 0;
            for _ in 0..20 {
                let t = std::time::Instant::now();
                rows = f();
                ms.push(t.elapsed().as_secs_f64() * 1e3);
            }
            ms.sort_by(|a, b| a.total_cmp(b));
            println!(
                "{}: {label}: {rows} rows, p50 {:.1} ms, max {:.1} ms",
                e.name, ms[10], ms[19]
            );
        };
        let q = |f: &dyn Fn(&mut CallQuery)| {
            let mut q = calls_q(ALL.0, ALL.1, 100);
            f(&mut q);
            q
        };
        time("call_records limit 100", &|| {
            s.call_records(&q(&|_| {})).unwrap().len()
        });
        time("call_records from_user exact", &|| {
            s.call_records(&q(&|q| q.from_user = Some("100042".into())))
                .unwrap()
                .len()
        });
        time("call_records from_user prefix pattern (rare)", &|| {
            s.call_records(&q(&|q| q.from_user = Some("10004*".into())))
                .unwrap()
                .len()
        });
        time("call_records status busy or no_answer", &|| {
            s.call_records(&q(&|q| {
                q.status = vec![CallStatus::Busy, CallStatus::NoAnswer]
            }))
            .unwrap()
            .len()
        });
        time("call_records status busy", &|| {
            s.call_records(&q(&|q| q.status = vec![CallStatus::Busy]))
                .unwrap()
                .len()
        });
        time("call_aggregates day, hourly, by node", &|| {
            s.call_aggregates(&KpiQuery {
                since_us: ALL.0,
                until_us: ALL.1,
                bucket_s: 3600,
                by: KpiDim::Node,
                prefix_len: 0,
            })
            .unwrap()
            .len()
        });
    }
}

// ---------------------------------------------------------------------------------------
// Call aggregates against a brute-force reference (the embedded engine's per-minute
// roll-up, the edges it groups from call_rows, replaced records, prefixes, buckets)

/// A small deterministic generator (no dependency for one test).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

fn random_call(r: &mut Lcg, i: usize) -> CallRecord {
    use CallStatus::*;
    let statuses = [
        Answered, Busy, Cancelled, NoAnswer, Rejected, Failed, Timeout, Trying, Ringing,
    ];
    let status = statuses[r.next(statuses.len() as u64) as usize];
    let opt = |r: &mut Lcg, max: u64| (r.next(3) > 0).then(|| r.next(max) as i64);
    let dst = ["4986123", "4986999", "4930", "Ünï1234567", "", "1"][r.next(6) as usize];
    CallRecord {
        call_key: format!("rand-{i}"),
        status,
        final_code: (r.next(4) > 0).then(|| [200u16, 486, 487, 503, 404][r.next(5) as usize]),
        start_us: T0 + r.next(2 * HOUR as u64) as i64,
        src_ip: format!("10.0.0.{}", r.next(4)),
        dst_ip: format!("10.0.1.{}", r.next(3)),
        node: (r.next(3) > 0).then(|| format!("n{}", r.next(3))),
        caller_ua: (r.next(2) > 0).then(|| format!("ua{}", r.next(5))),
        ruri_user: (r.next(3) > 0).then(|| dst.to_string()),
        to_user: Some(format!("to{}", r.next(7))),
        duration_ms: opt(r, 600_000),
        pdd_ms: opt(r, 9_000),
        setup_ms: opt(r, 12_000),
        capture_id: 1,
        ..CallRecord::default()
    }
}

fn reference(calls: &[CallRecord], q: &KpiQuery) -> Vec<CallAggRow> {
    let b = i64::from(q.bucket_s) * 1_000_000;
    let mut groups: std::collections::BTreeMap<(i64, String, &str, u16), CallAggRow> =
        Default::default();
    for c in calls
        .iter()
        .filter(|c| c.start_us >= q.since_us && c.start_us < q.until_us)
    {
        let key = match q.by {
            KpiDim::All => String::new(),
            KpiDim::Node => c.node.clone().unwrap_or_default(),
            KpiDim::SrcIp => c.src_ip.clone(),
            KpiDim::DstIp => c.dst_ip.clone(),
            KpiDim::CallerUa => c.caller_ua.clone().unwrap_or_default(),
            KpiDim::DstPrefix => c
                .ruri_user
                .clone()
                .filter(|u| !u.is_empty())
                .or(c.to_user.clone())
                .unwrap_or_default()
                .chars()
                .take(q.prefix_len)
                .collect(),
        };
        let code = c.final_code.unwrap_or(0);
        let g = groups
            .entry(((c.start_us / b) * b, key.clone(), c.status.as_str(), code))
            .or_insert_with(|| CallAggRow {
                bucket_us: (c.start_us / b) * b,
                key,
                status: c.status,
                final_code: code,
                ..CallAggRow::default()
            });
        g.calls += 1;
        for (v, sum, n) in [
            (c.duration_ms, &mut g.duration_ms_sum, &mut g.duration_n),
            (c.pdd_ms, &mut g.pdd_ms_sum, &mut g.pdd_n),
            (c.setup_ms, &mut g.setup_ms_sum, &mut g.setup_n),
        ] {
            if let Some(v) = v {
                *sum += v;
                *n += 1;
            }
        }
    }
    groups.into_values().collect()
}

/// One order for aggregate rows of any engine: bucket, key, status, code.
fn sort_aggs(v: &mut [CallAggRow]) {
    v.sort_by(|a, b| {
        (a.bucket_us, &a.key, a.status.as_str(), a.final_code).cmp(&(
            b.bucket_us,
            &b.key,
            b.status.as_str(),
            b.final_code,
        ))
    });
}

#[test]
fn call_aggregates_equal_a_brute_force_reference() {
    let mut r = Lcg(7);
    let mut calls: Vec<CallRecord> = (0..3000).map(|i| random_call(&mut r, i)).collect();
    // Every fifth call is first stored live, then replaced by its final state; some twice.
    let mut live: Vec<CallRecord> = Vec::new();
    for c in calls.iter().step_by(5) {
        let mut l = c.clone();
        (l.status, l.final_code, l.duration_ms) = (CallStatus::Ringing, None, None);
        live.push(l);
    }
    for c in calls.iter_mut().step_by(15) {
        c.caller_ua = Some("changed-ua".into()); // the replacement moves it to another key
    }
    let dims = KpiDim::ALL;
    for e in engines("call_aggregates_equal_a_brute_force_reference") {
        let s = e.store();
        for chunk in live.chunks(400) {
            s.put_calls(chunk).unwrap();
            s.flush().unwrap();
        }
        for chunk in calls.chunks(700) {
            s.put_calls(chunk).unwrap();
        }
        s.flush().unwrap();
        for round in 0..60 {
            let since = T0 - MIN + r.next((2 * HOUR + 2 * MIN) as u64) as i64;
            let until = since + r.next((2 * HOUR) as u64) as i64;
            // Whole minutes too: the edges are empty then.
            let (since, until) = if round % 4 == 0 {
                ((since / MIN) * MIN, (until / MIN) * MIN)
            } else {
                (since, until)
            };
            let bucket_s = [60, 300, 3600, 7, 90, u32::MAX][r.next(6) as usize];
            let q = KpiQuery {
                since_us: since,
                until_us: until,
                bucket_s,
                by: dims[r.next(dims.len() as u64) as usize],
                prefix_len: 1 + r.next(10) as usize,
            };
            let mut got = s.call_aggregates(&q).unwrap();
            let mut want = reference(&calls, &q);
            sort_aggs(&mut got);
            sort_aggs(&mut want);
            assert_eq!(got, want, "{}: round {round}: {q:?}", e.name);
        }
    }
}

/// A day file written before the roll-up existed: read as before until the writer opens it,
/// which fills the roll-up from its call records; answers stay the same throughout.
#[test]
fn call_rollup_is_filled_for_files_made_before_it() {
    use argos_store::{EmbeddedOptions, EmbeddedStore};
    let mut r = Lcg(11);
    let calls: Vec<CallRecord> = (0..500).map(|i| random_call(&mut r, i)).collect();
    let dir = tempfile::tempdir().unwrap();
    let q = KpiQuery {
        since_us: T0 + 90 * 1_000_000,
        until_us: T0 + 2 * HOUR,
        bucket_s: 300,
        by: KpiDim::SrcIp,
        prefix_len: 0,
    };
    let want = reference(&calls, &q);
    {
        let s = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
        s.put_calls(&calls).unwrap();
        s.flush().unwrap();
    }
    let file = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "sqlite"))
        .unwrap();
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute_batch("DROP TABLE call_minutes")
        .unwrap();
    let s = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    let sorted = |mut v: Vec<CallAggRow>| {
        sort_aggs(&mut v);
        v
    };
    assert_eq!(
        sorted(s.call_aggregates(&q).unwrap()),
        sorted(want.clone()),
        "no roll-up yet"
    );
    // A new call of that day: the writer opens the file and fills the roll-up.
    let extra = call("extra", T0 + 3 * HOUR, CallStatus::Answered);
    s.put_calls(std::slice::from_ref(&extra)).unwrap();
    s.flush().unwrap();
    let has = rusqlite::Connection::open(&file)
        .unwrap()
        .query_row("SELECT count(*) FROM call_minutes", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap();
    assert!(has > 0, "roll-up filled from the old rows");
    assert_eq!(
        sorted(s.call_aggregates(&q).unwrap()),
        sorted(want),
        "filled roll-up"
    );
}
