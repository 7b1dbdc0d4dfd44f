//! One set of scenarios run against every `Store` engine, asserting identical results
//! (records, not ids): the embedded engine always; ClickHouse on one server when
//! `ARGOS_TEST_CLICKHOUSE` is set (e.g. `http://127.0.0.1:8123`), and in cluster mode when
//! `ARGOS_TEST_CLICKHOUSE_CLUSTER` (cluster name) and `ARGOS_TEST_CLICKHOUSE_SHARDS`
//! (comma-separated HTTP URLs of its shards) are set too. Unset or unreachable servers
//! print `SKIP: ...` and the engine is left out. `scripts/clickhouse-up.sh` starts both.
//! Every ClickHouse run uses a fresh database with a random name, dropped at the end.
#![allow(clippy::unwrap_used)]

mod common;

use argos_model::{
    CallSummary, Capture, Field, Filter, MessageFields, PayloadKind, Query, Record, StoredMessage,
    Transport,
};
use argos_store::testdata::Generator;
use argos_store::{
    ClickHouseOptions, ClickHouseStore, EmbeddedOptions, EmbeddedStore, Store, StoreError,
};
use bytes::Bytes;
use common::{base, engines, env, random_db};
use std::fmt::Debug;

const T0: i64 = 1_764_064_800_000_000; // 2025-11-25T10:00:00Z
const DAY: i64 = 86_400_000_000;
/// 2025-11-26T00:00:00Z: the data spans both sides of it.
const MIDNIGHT: i64 = (T0 / DAY + 1) * DAY;

// ---------------------------------------------------------------------------------------
// Engines

fn skip(what: &str, e: &StoreError) -> bool {
    // Unreachable server: a transport error (no HTTP status). Anything else is a failure.
    if matches!(e, StoreError::ClickHouse { status: None, .. }) {
        println!("SKIP: {what}: {e}");
        true
    } else {
        false
    }
}

fn open_ch(url: &str, what: &str) -> Option<ClickHouseStore> {
    match ClickHouseStore::open(url, ClickHouseOptions::default()) {
        Ok(s) => Some(s),
        Err(e) if skip(what, &e) => None,
        Err(e) => panic!("{what}: open {url}: {e}"),
    }
}

/// Runs `scenario` on every engine after inserting `data` in batches, and asserts every
/// engine's outcome equals the embedded engine's. Returns that outcome.
fn conform<T: PartialEq + Debug>(
    test: &str,
    data: &[Record],
    scenario: impl Fn(&dyn Store) -> T,
) -> T {
    let engines = engines(test);
    let mut reference: Option<T> = None;
    for e in &engines {
        for chunk in data.chunks(700) {
            let rep = e.store().insert(chunk).unwrap();
            assert_eq!(rep.stored, chunk.len() as u64);
        }
        e.store().flush().unwrap();
        let t0 = std::time::Instant::now();
        let got = scenario(e.store());
        println!("{test}: {}: {:?}", e.name, t0.elapsed());
        match &reference {
            None => reference = Some(got),
            Some(r) => {
                if *r != got {
                    let (a, b) = (format!("{r:#?}"), format!("{got:#?}"));
                    let at = a
                        .lines()
                        .zip(b.lines())
                        .position(|(x, y)| x != y)
                        .unwrap_or(0);
                    let ctx = |s: &str| {
                        s.lines()
                            .skip(at.saturating_sub(8))
                            .take(24)
                            .collect::<Vec<_>>()
                            .join("\n")
                    };
                    panic!(
                        "{test}: {} differs from embedded at line {at}:\n--- embedded\n{}\n--- {}\n{}",
                        e.name,
                        ctx(&a),
                        e.name,
                        ctx(&b)
                    );
                }
            }
        }
    }
    reference.unwrap()
}

// ---------------------------------------------------------------------------------------
// Data

fn msg(ts: i64, call_id: &str, method: Option<&str>, status: Option<u16>) -> Record {
    let payload = format!(
        "{} sip:x SIP/2.0\r\nCall-ID: {call_id}\r\n\r\n",
        method.unwrap_or("SIP/2.0")
    );
    let mut c = Capture::new(
        ts,
        "10.0.0.1:5060".parse().unwrap(),
        "10.0.0.2:5080".parse().unwrap(),
        Transport::Udp,
        PayloadKind::SIP,
        Bytes::from(payload),
    );
    c.capture_id = 7;
    c.node = Some("kam1".into());
    let fields = MessageFields {
        method: method.map(str::to_string),
        status,
        cseq_method: Some(method.unwrap_or("INVITE").to_string()),
        call_id: Some(call_id.to_string()),
        call_key: Some(call_id.to_string()),
        from_user: Some("alice".into()),
        to_user: Some("bob".into()),
        ruri_user: method.map(|_| "bob".to_string()),
        ..Default::default()
    };
    Record { capture: c, fields }
}

fn big() -> String {
    "x".repeat(64 * 1024)
}

fn nasty() -> Vec<String> {
    [
        "o'brien",
        "\"quoted\"",
        "100%",
        "a_b",
        "nul\0inside",
        "back\\slash",
        "tab\there",
        "new\nline\r\n",
        "\\N",
        "semi;colon--",
        "glob[?]",
        "ünï©ødé ☎",
        "",
        "'); DROP TABLE messages; --",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([big()])
    .collect()
}

/// The realistic mix every scenario starts from: generated traffic on two days (calls
/// crossing midnight, bridged b-legs with X-CID, REGISTER challenges, OPTIONS), hand-made
/// call flows for status rules, hostile strings in fields and payloads, binary payloads,
/// records without fields, IPv6, unknown transports, ties in the same microsecond.
fn dataset() -> Vec<Record> {
    let mut out = Vec::new();
    let mut g = Generator::new(11);
    out.extend(g.calls(150));
    let mut g = Generator::new(12);
    g.now_us = MIDNIGHT - 1_500_000;
    out.extend(g.calls(150));
    // Status rules (challenge then 200, REGISTER 401, provisional only) and a b-leg.
    let t = T0 + 3_600_000_000;
    let mut flows = vec![
        msg(t, "a", Some("INVITE"), None),
        msg(t + 1, "a", None, Some(100)),
        msg(t + 2, "a", None, Some(407)),
        msg(t + 3, "a", Some("ACK"), None),
        msg(t + 4, "a", Some("INVITE"), None),
        msg(t + 5, "a", None, Some(180)),
        msg(t + 6, "a", None, Some(200)),
        msg(t + 10, "r", Some("REGISTER"), None),
        msg(t + 11, "r", None, Some(401)),
        msg(t + 20, "x", Some("INVITE"), None),
        msg(t + 21, "x", None, Some(183)),
        msg(t + 22, "x", None, Some(180)),
        msg(t + 30, "only-reply", None, Some(486)),
    ];
    flows[8].fields.cseq_method = Some("REGISTER".into());
    let mut b = msg(t + 7, "b-leg", Some("INVITE"), None);
    b.fields.a_leg = Some("a".into());
    b.fields.call_key = Some("a".into());
    flows.push(b);
    // b-leg response without X-CID: its call_key is its own Call-ID.
    flows.push(msg(t + 8, "b-leg", None, Some(200)));
    out.extend(flows);
    // Hostile strings everywhere, and decoys an unescaped LIKE would match.
    for (i, s) in nasty().iter().enumerate() {
        let mut r = msg(
            t + 100 + i as i64,
            &format!("{s}#call"),
            Some("INVITE"),
            None,
        );
        r.fields.from_user = Some(s.clone());
        r.fields.to_user = Some(format!("to-{s}"));
        r.fields.user_agent = Some(s.clone());
        r.fields.reason_header = Some(s.clone());
        r.capture.node = Some(s.as_str().into());
        r.capture.payload = Bytes::from(format!("INVITE {s}\0\r\nX-Bin: \u{1}\t\\\r\n"));
        out.push(r);
    }
    for (i, s) in ["100x", "axb", "globa", "nul", "O'BRIEN"]
        .iter()
        .enumerate()
    {
        let mut r = msg(t + 200 + i as i64, "decoy", Some("INVITE"), None);
        r.fields.from_user = Some(s.to_string());
        out.push(r);
    }
    // A binary payload (not UTF-8) and ties in one microsecond (insert order must hold).
    let mut bin = msg(t + 300, "binary", Some("MESSAGE"), None);
    bin.capture.payload = Bytes::from(vec![0xff, 0xfe, b'A', b'b', 0, b'\n', 0x80, b'z', b'Q']);
    out.push(bin);
    for i in 0..5 {
        let mut r = msg(t + 400, &format!("tie-{i}"), Some("OPTIONS"), None);
        r.capture.capture_id = 100 + i;
        out.push(r);
    }
    // No fields at all; a correlated RTCP-like report; IPv6; unknown transport.
    let mut r = msg(t + 500, "x", None, None);
    r.fields = MessageFields::default();
    r.capture.kind = PayloadKind::LOG;
    r.capture.transport = Transport::Other(250);
    r.capture.src = "[2001:db8::5]:1".parse().unwrap();
    r.capture.vlan = Some(42);
    let mut rtcp = r.clone();
    rtcp.ts_us_shift(1);
    rtcp.fields.call_key = Some("corr".into());
    rtcp.capture.correlation_id = Some("corr".into());
    rtcp.capture.kind = PayloadKind::RTCP_JSON;
    rtcp.capture.transport = Transport::Tls;
    out.push(r);
    out.push(rtcp);
    // Interleave the days in the batches.
    let n = out.len();
    let mut mixed = Vec::with_capacity(n);
    let (a, b) = out.split_at(n / 2);
    let (mut ia, mut ib) = (a.iter(), b.iter());
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => break,
            (x, y) => mixed.extend(x.into_iter().chain(y).cloned()),
        }
    }
    mixed
}

trait Shift {
    fn ts_us_shift(&mut self, d: i64);
}
impl Shift for Record {
    fn ts_us_shift(&mut self, d: i64) {
        self.capture.ts_us += d;
    }
}

fn q(since: i64, until: i64, filters: &[(Field, &str)], limit: usize) -> Query {
    Query {
        since_us: since,
        until_us: until,
        filters: filters
            .iter()
            .map(|(f, v)| Filter {
                field: *f,
                value: v.to_string(),
            })
            .collect(),
        limit,
    }
}

fn all(filters: &[(Field, &str)]) -> Query {
    q(0, i64::MAX, filters, usize::MAX)
}

fn records(v: Vec<StoredMessage>) -> Vec<Record> {
    v.into_iter().map(|m| m.record).collect()
}

fn search(s: &dyn Store, q: &Query) -> Vec<Record> {
    records(s.search(q).unwrap())
}

/// The text a filter on `f` compares against (mirrors the engines' rule).
fn value_of(r: &Record, f: Field) -> Option<String> {
    let x = &r.fields;
    let c = &r.capture;
    match f {
        Field::Method => x.method.clone(),
        Field::Status => x.status.map(|v| v.to_string()),
        Field::Reason => x.reason.clone(),
        Field::Ruri => x.ruri.clone(),
        Field::RuriUser => x.ruri_user.clone(),
        Field::RuriDomain => x.ruri_domain.clone(),
        Field::FromUser => x.from_user.clone(),
        Field::FromDomain => x.from_domain.clone(),
        Field::FromTag => x.from_tag.clone(),
        Field::ToUser => x.to_user.clone(),
        Field::ToDomain => x.to_domain.clone(),
        Field::ToTag => x.to_tag.clone(),
        Field::PaiUser => x.pai_user.clone(),
        Field::ContactUser => x.contact_user.clone(),
        Field::ContactIp => x.contact_ip.clone(),
        Field::AuthUser => x.auth_user.clone(),
        Field::CallId => x.call_id.clone(),
        Field::ALeg => x.a_leg.clone(),
        Field::CallKey => x.call_key.clone(),
        Field::ViaBranch => x.via_branch.clone(),
        Field::CseqMethod => x.cseq_method.clone(),
        Field::DiversionUser => x.diversion_user.clone(),
        Field::ContentType => x.content_type.clone(),
        Field::UserAgent => x.user_agent.clone(),
        Field::SrcIp => Some(c.src.ip().to_string()),
        Field::DstIp => Some(c.dst.ip().to_string()),
        Field::SrcPort => Some(c.src.port().to_string()),
        Field::DstPort => Some(c.dst.port().to_string()),
        Field::Transport => Some(c.transport.name().to_string()),
        Field::Proto => Some(c.kind.0.to_string()),
        Field::CaptureId => Some(c.capture_id.to_string()),
        Field::Node => c.node.as_deref().map(str::to_string),
        Field::CorrelationId => c.correlation_id.as_deref().map(str::to_string),
        Field::Text => None,
    }
}

// ---------------------------------------------------------------------------------------
// Scenarios

#[test]
fn round_trip_and_scan_order() {
    let data = dataset();
    let mut sorted = data.clone();
    sorted.sort_by_key(|r| r.capture.ts_us); // stable: ties keep insert order
    let out = conform("round_trip_and_scan_order", &data, |s| {
        let searched = search(s, &all(&[]));
        let mut scanned = Vec::new();
        s.scan(0, i64::MAX, &mut |m| {
            scanned.push(m.record);
            true
        })
        .unwrap();
        let mut first10 = Vec::new();
        s.scan(T0, MIDNIGHT + DAY, &mut |m| {
            first10.push(m.record);
            first10.len() < 10
        })
        .unwrap();
        let mut window = Vec::new();
        s.scan(MIDNIGHT - 1_000_000, MIDNIGHT + 1_000_000, &mut |m| {
            window.push(m.record.capture.ts_us);
            true
        })
        .unwrap();
        let stats = s.stats().unwrap();
        let days: Vec<(String, u64)> = stats
            .partitions
            .iter()
            .map(|p| (p.day.clone(), p.messages))
            .collect();
        (searched, scanned, first10, window, stats.messages, days)
    });
    assert_eq!(out.0, sorted);
    assert_eq!(out.1, sorted);
    assert_eq!(out.2.len(), 10);
    assert!(!out.3.is_empty());
    assert_eq!(out.4, data.len() as u64);
    assert_eq!(out.5.len(), 2);
}

#[test]
fn search_by_every_field() {
    let data = dataset();
    let out = conform("search_by_every_field", &data, |s| {
        let mut res = Vec::new();
        for &f in Field::ALL {
            if f == Field::Text {
                continue;
            }
            // A few distinct values of this field: exact, prefix and suffix patterns.
            let mut vals: Vec<String> = data.iter().filter_map(|r| value_of(r, f)).collect();
            vals.sort();
            vals.dedup();
            let picks: Vec<String> = [0, vals.len() / 2, vals.len().saturating_sub(1)]
                .iter()
                .filter_map(|&i| vals.get(i).cloned())
                .collect();
            for v in picks {
                let head: String = v.chars().take(3).collect();
                let tail: String = {
                    let c: Vec<char> = v.chars().collect();
                    c[c.len().saturating_sub(2)..].iter().collect()
                };
                for pat in [
                    v.clone(),
                    format!("{head}*"),
                    format!("*{tail}"),
                    format!("{head}*{tail}"),
                ] {
                    let got = search(s, &all(&[(f, &pat)]));
                    res.push((
                        f,
                        pat.chars().take(40).collect::<String>(),
                        got.len(),
                        got.first().cloned(),
                    ));
                }
            }
            res.push((f, "*".into(), search(s, &all(&[(f, "*")])).len(), None));
            res.push((
                f,
                "no-such".into(),
                search(s, &all(&[(f, "no-such")])).len(),
                None,
            ));
        }
        // Proto and transport by name; numbers compared as text.
        for (f, v) in [
            (Field::Proto, "sip"),
            (Field::Proto, "rtcp"),
            (Field::Proto, "l*"),
            (Field::Transport, "t*"),
            (Field::Transport, "other"),
            (Field::Status, "4*"),
            (Field::Status, "0200"),
            (Field::SrcPort, "50*"),
        ] {
            res.push((f, v.into(), search(s, &all(&[(f, v)])).len(), None));
        }
        // Combined filters.
        let combo = search(
            s,
            &all(&[(Field::Method, "INVITE"), (Field::FromDomain, "*example*")]),
        );
        res.push((
            Field::Method,
            "combo".into(),
            combo.len(),
            combo.last().cloned(),
        ));
        res
    });
    assert!(out.iter().any(|r| r.2 > 10));
}

#[test]
fn hostile_strings_are_found_verbatim() {
    let data = dataset();
    let out = conform("hostile_strings_are_found_verbatim", &data, |s| {
        let mut res = Vec::new();
        for v in nasty() {
            for f in [Field::FromUser, Field::UserAgent, Field::Node] {
                res.push(search(s, &all(&[(f, &v)])));
            }
            res.push(search(s, &all(&[(Field::CallId, &format!("{v}#call"))])));
            res.push(records(s.call(&format!("{v}#call"), 0, i64::MAX).unwrap()));
        }
        for p in [
            "100%*", "a_*", "glob[?*", "nul\0*", "to-xxx*", "*\\*", "*'*", "tab\t*", "*\n*", "O'*",
        ] {
            res.push(search(s, &all(&[(Field::FromUser, p)])));
            res.push(search(s, &all(&[(Field::ToUser, p)])));
        }
        res
    });
    // Every exact search of a hostile value finds exactly its record.
    for (i, v) in out.iter().take(nasty().len() * 5).enumerate() {
        assert_eq!(v.len(), 1, "search #{i}");
    }
}

#[test]
fn full_text() {
    let data = dataset();
    let out = conform("full_text", &data, |s| {
        let mut res = Vec::new();
        for v in [
            "yealink",
            "USER-AGENT: linphone",
            "user-agent: *asterisk*20",
            "invite sip:*@pbx.acme.io",
            "o'BRIEN",
            "nul\0inside",
            "\\n",
            "x-bin: \u{1}\t\\",
            "ab\0\n",
            "\u{7f}",
            "*",
            "",
            "cseq:*register*401",
            "zzz-not-there",
            "m=audio*pcma",
        ] {
            let got = search(s, &all(&[(Field::Text, v)]));
            let limited = search(s, &q(0, i64::MAX, &[(Field::Text, v)], 3));
            let calls = s.calls(&q(0, i64::MAX, &[(Field::Text, v)], 5)).unwrap();
            res.push((v.to_string(), got, limited, calls));
        }
        // Binary payload: bytes that are not UTF-8 around the needle.
        res.push((
            "binary".into(),
            search(s, &all(&[(Field::Text, "ab")])),
            vec![],
            vec![],
        ));
        res.push((
            "binary*".into(),
            search(s, &all(&[(Field::Text, "A*Q")])),
            vec![],
            vec![],
        ));
        res
    });
    assert!(out.iter().filter(|r| !r.1.is_empty()).count() >= 8);
}

#[test]
fn time_ranges_across_two_days_and_limit() {
    let data = dataset();
    let out = conform("time_ranges_across_two_days_and_limit", &data, |s| {
        let mut res = Vec::new();
        for (a, b) in [
            (0, i64::MAX),
            (T0, MIDNIGHT),
            (MIDNIGHT, i64::MAX),
            (MIDNIGHT - 600_000_000, MIDNIGHT + 600_000_000),
            (T0 + 3_600_000_006, T0 + 3_600_000_010),
            (MIDNIGHT, MIDNIGHT),
            (i64::MIN, 0),
        ] {
            for limit in [1, 7, 100, usize::MAX] {
                res.push(search(s, &q(a, b, &[], limit)));
                res.push(search(s, &q(a, b, &[(Field::Method, "INVITE")], limit)));
                res.push(search(s, &q(a, b, &[(Field::FromUser, "1*")], limit)));
            }
        }
        res.push(search(s, &q(0, i64::MAX, &[], 0)));
        res
    });
    assert!(out.iter().any(|r| r.len() == 7));
}

#[test]
fn calls_grouping_and_status() {
    let data = dataset();
    let out = conform("calls_grouping_and_status", &data, |s| {
        let mut res: Vec<Vec<CallSummary>> = Vec::new();
        for (a, b) in [
            (0, i64::MAX),
            (T0, MIDNIGHT),
            (MIDNIGHT - 600_000_000, MIDNIGHT + 600_000_000),
        ] {
            for limit in [1, 5, 1000] {
                res.push(s.calls(&q(a, b, &[], limit)).unwrap());
                res.push(
                    s.calls(&q(a, b, &[(Field::Method, "INVITE")], limit))
                        .unwrap(),
                );
                res.push(s.calls(&q(a, b, &[(Field::Status, "4*")], limit)).unwrap());
                res.push(
                    s.calls(&q(a, b, &[(Field::Text, "x-cid*@")], limit))
                        .unwrap(),
                );
            }
        }
        res.push(
            s.calls(&q(0, i64::MAX, &[(Field::CallKey, "a")], 10))
                .unwrap(),
        );
        res.push(
            s.calls(&q(0, i64::MAX, &[(Field::FromUser, "nope")], 10))
                .unwrap(),
        );
        res.push(s.calls(&q(0, i64::MAX, &[], 0)).unwrap());
        res
    });
    let a = out
        .iter()
        .flatten()
        .find(|c| c.call_key == "a")
        .expect("call a");
    assert_eq!(a.call_ids, vec!["a".to_string(), "b-leg".to_string()]);
    assert_eq!((a.status, a.legs, a.messages), (Some(200), 2, 8));
    assert!(out[8].len() > 100);
}

/// `calls_by_keys` gives, for several keys at once, the rows `calls` gives one key at a time
/// (and leaves out keys without messages), on every engine.
#[test]
fn calls_by_keys_equal_calls_per_key() {
    let data = dataset();
    let mut keys: Vec<String> = vec!["a".into(), "nope".into(), "x".into()];
    keys.extend(
        data.iter()
            .filter_map(|r| r.fields.call_key.clone())
            .step_by(37)
            .take(40),
    );
    let out = conform("calls_by_keys_equal_calls_per_key", &data, |s| {
        let mut res = Vec::new();
        for (a, b) in [(0, i64::MAX), (T0, MIDNIGHT)] {
            let together = s.calls_by_keys(&keys, a, b).unwrap();
            let mut one_by_one: Vec<CallSummary> = keys
                .iter()
                .flat_map(|k| s.calls(&q(a, b, &[(Field::CallKey, k)], 1)).unwrap())
                .filter(|c| c.messages > 0)
                .collect();
            one_by_one
                .sort_by(|x, y| (x.first_ts_us, &x.call_key).cmp(&(y.first_ts_us, &y.call_key)));
            one_by_one.dedup_by(|x, y| x.call_key == y.call_key);
            assert_eq!(together, one_by_one, "[{a}, {b})");
            res.push(together);
        }
        res
    });
    assert!(out[0].iter().any(|c| c.call_key == "a"));
    assert!(!out[0].iter().any(|c| c.call_key == "nope"));
}

#[test]
fn call_joins_legs_and_catches_bleg_responses() {
    let data = dataset();
    let mut ids: Vec<String> = vec![
        "a".into(),
        "b-leg".into(),
        "x".into(),
        "nope".into(),
        "corr".into(),
    ];
    // Every leg of a few generated bridged calls, by a-leg and by b-leg Call-ID.
    for r in data.iter().filter(|r| r.fields.a_leg.is_some()).take(6) {
        ids.push(r.fields.a_leg.clone().unwrap());
        ids.push(r.fields.call_id.clone().unwrap());
    }
    let ids2 = ids.clone();
    let out = conform("call_joins_legs_and_catches_bleg_responses", &data, |s| {
        let mut res = Vec::new();
        for id in &ids2 {
            res.push(records(s.call(id, 0, i64::MAX).unwrap()));
            res.push(records(s.call(id, T0 + 3_600_000_002, MIDNIGHT).unwrap()));
        }
        res
    });
    // call("a") and call("b-leg") both hold the b-leg's 200 without X-CID.
    let via_a = &out[0];
    assert!(via_a
        .iter()
        .any(|r| r.fields.call_id.as_deref() == Some("b-leg") && r.fields.status == Some(200)));
    assert_eq!(out[0], out[2]);
}

#[test]
fn retention_drops_a_day() {
    let data = dataset();
    let out = conform("retention_drops_a_day", &data, |s| {
        let none = s.apply_retention(MIDNIGHT + 3_600_000_000, 1).unwrap();
        let rep = s.apply_retention(MIDNIGHT + 3_600_000_000, 0).unwrap();
        let left = search(s, &all(&[]));
        let calls = s.calls(&q(0, i64::MAX, &[], 1000)).unwrap();
        let st = s.stats().unwrap();
        (
            (none.deleted, none.messages_deleted),
            (rep.deleted, rep.messages_deleted, rep.bytes_freed > 0),
            left,
            calls,
            st.messages,
            st.partitions.len(),
        )
    });
    assert!(out.0 .0.is_empty());
    assert_eq!(out.1 .0, vec!["2025-11-25".to_string()]);
    assert!(out.2.iter().all(|r| r.capture.ts_us >= MIDNIGHT));
    assert_eq!(out.5, 1);
}

/// Size limit: nothing goes under a huge limit; the oldest days first under a tiny one.
/// Engines without size-based retention (yet) are left out.
#[test]
fn size_limit_drops_oldest_days() {
    let data = dataset();
    for e in engines("size_limit_drops_oldest_days") {
        for chunk in data.chunks(700) {
            e.store().insert(chunk).unwrap();
        }
        e.store().flush().unwrap();
        let none = match e.store().apply_size_limit(u64::MAX) {
            Err(StoreError::Unsupported(what)) => {
                println!(
                    "SKIP: size_limit_drops_oldest_days: {}: {what} unsupported",
                    e.name
                );
                continue;
            }
            r => r.unwrap(),
        };
        assert!(none.deleted.is_empty(), "{}", e.name);
        let total = e.store().stats().unwrap().bytes_on_disk;
        assert!(total > 0);
        let one = e.store().apply_size_limit(total - 1).unwrap();
        assert_eq!(one.deleted, vec!["2025-11-25".to_string()], "{}", e.name);
        let rest = e.store().apply_size_limit(0).unwrap();
        assert_eq!(rest.deleted, vec!["2025-11-26".to_string()], "{}", e.name);
        assert_eq!(
            one.messages_deleted + rest.messages_deleted,
            data.len() as u64,
            "{}",
            e.name
        );
        assert!(search(e.store(), &all(&[])).is_empty(), "{}", e.name);
    }
}

/// Cluster mode: two collectors, each writing through its own shard's server, and each
/// answering searches over everything (compared with one embedded store holding it all).
#[test]
fn two_collectors_on_a_cluster() {
    let (Some(cluster), Some(shards)) = (
        env("ARGOS_TEST_CLICKHOUSE_CLUSTER"),
        env("ARGOS_TEST_CLICKHOUSE_SHARDS"),
    ) else {
        println!(
            "SKIP: two_collectors_on_a_cluster: ARGOS_TEST_CLICKHOUSE_CLUSTER / _SHARDS not set"
        );
        return;
    };
    let shards: Vec<String> = shards.split(',').map(base).collect();
    let db = random_db();
    let url = |s: &str| format!("{s}/{db}?cluster={cluster}&shards={}", shards.join(","));
    let Some(c1) = open_ch(&url(&shards[0]), "two_collectors_on_a_cluster") else {
        return;
    };
    let c2 = open_ch(
        &url(&shards[shards.len() - 1]),
        "two_collectors_on_a_cluster",
    )
    .unwrap();
    assert_ne!(c1.id_prefix(), c2.id_prefix());
    let dir = tempfile::tempdir().unwrap();
    let emb = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    let data = dataset();
    for (i, chunk) in data.chunks(500).enumerate() {
        emb.insert(chunk).unwrap();
        if i % 2 == 0 { &c1 } else { &c2 }.insert(chunk).unwrap();
    }
    emb.flush().unwrap();
    let check = |s: &dyn Store| {
        let mut v = search(s, &all(&[]));
        // Same-microsecond ties across collectors may order differently: compare as sets
        // within a timestamp.
        v.sort_by_key(|r| {
            (
                r.capture.ts_us,
                r.capture.capture_id,
                r.fields.call_id.clone(),
            )
        });
        (
            v,
            s.calls(&q(0, i64::MAX, &[(Field::Method, "INVITE")], 50))
                .unwrap(),
            records(s.call("a", 0, i64::MAX).unwrap()),
            s.stats().unwrap().messages,
        )
    };
    let want = check(&emb);
    assert_eq!(check(&c1), want);
    assert_eq!(check(&c2), want);
    // Messages landed on both shards, all legs of a call on one.
    let ids: Vec<u64> = c1.search(&all(&[])).unwrap().iter().map(|m| m.id).collect();
    let mut uniq = ids.clone();
    uniq.sort_unstable();
    uniq.dedup();
    assert_eq!(uniq.len(), ids.len(), "ids unique across collectors");
    c1.drop_database().unwrap();
}

// ---------------------------------------------------------------------------------------
// Figures for docs/decisions/0005-clickhouse-backend.md (not a test: run by hand with
//   cargo test --release -p argos-store --test conformance -- --ignored --nocapture bench
// and ARGOS_TEST_CLICKHOUSE set; ARGOS_BENCH_MESSAGES overrides the 1M messages,
// ARGOS_BENCH_CLUSTER=1 writes through the cluster of ARGOS_TEST_CLICKHOUSE_CLUSTER).

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[test]
#[ignore]
fn bench_clickhouse() {
    let Some(url) = env("ARGOS_TEST_CLICKHOUSE") else {
        println!("SKIP: bench_clickhouse: ARGOS_TEST_CLICKHOUSE is not set");
        return;
    };
    let total: usize = env("ARGOS_BENCH_MESSAGES")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    // ARGOS_BENCH_REUSE=<database>: query a database a run with ARGOS_BENCH_KEEP=1 loaded.
    let reuse = env("ARGOS_BENCH_REUSE");
    let db = reuse.clone().unwrap_or_else(random_db);
    let store_url = match (
        env("ARGOS_BENCH_CLUSTER"),
        env("ARGOS_TEST_CLICKHOUSE_CLUSTER"),
        env("ARGOS_TEST_CLICKHOUSE_SHARDS"),
    ) {
        (Some(_), Some(c), Some(sh)) => format!("{}/{db}?cluster={c}&shards={sh}", base(&url)),
        _ => format!("{}/{db}", base(&url)),
    };
    let store = ClickHouseStore::open(&store_url, ClickHouseOptions::default()).unwrap();
    println!("server {:?}, {store_url}", store.server_version());
    let mut g = Generator::new(42);
    let (mut n, mut payload, mut ins) = (0usize, 0u64, std::time::Duration::ZERO);
    let mut call_ids = Vec::new();
    let mut users = Vec::new();
    let (mut t_first, mut t_last) = (i64::MAX, i64::MIN);
    while n < total {
        let batch = g.messages(8192.min(total - n));
        for r in batch.iter().step_by(4001) {
            call_ids.extend(r.fields.call_id.clone());
            users.extend(r.fields.from_user.clone());
        }
        t_first = t_first.min(batch.iter().map(|r| r.capture.ts_us).min().unwrap());
        t_last = t_last.max(batch.iter().map(|r| r.capture.ts_us).max().unwrap());
        payload += batch
            .iter()
            .map(|r| r.capture.payload.len() as u64)
            .sum::<u64>();
        let t = std::time::Instant::now();
        if reuse.is_none() {
            store.insert(&batch).unwrap();
        }
        ins += t.elapsed();
        n += batch.len();
    }
    store.flush().unwrap();
    let st = store.stats().unwrap();
    println!(
        "insert: {n} msgs in {:.1} s = {:.0} msgs/s (batches of 8192; {:.0} payload bytes/msg); \
         span {:.1} h",
        ins.as_secs_f64(),
        n as f64 / ins.as_secs_f64(),
        payload as f64 / n as f64,
        (t_last - t_first) as f64 / 3.6e9
    );
    println!(
        "disk: {} bytes, {:.1} bytes/msg, {} partitions",
        st.bytes_on_disk,
        st.bytes_on_disk as f64 / st.messages.max(1) as f64,
        st.partitions.len()
    );
    let time = |label: &str, qs: &[Query]| {
        let mut lat = Vec::new();
        let mut hits = 0;
        for q in qs {
            let t = std::time::Instant::now();
            hits += store.search(q).unwrap().len();
            lat.push(t.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "{label}: {} queries, {hits} rows, p50 {:.1} ms, p99 {:.1} ms",
            lat.len(),
            percentile(&mut lat, 0.5),
            percentile(&mut lat, 0.99)
        );
    };
    let by = |f: Field, vals: &[String]| -> Vec<Query> {
        vals.iter()
            .map(|v| q(0, i64::MAX, &[(f, v)], 100))
            .collect()
    };
    time(
        "call_id lookup (whole range, limit 100)",
        &by(Field::CallId, &call_ids),
    );
    time(
        "from_user search (whole range, limit 100)",
        &by(Field::FromUser, &users),
    );
    let mut lat = Vec::new();
    for c in &call_ids {
        let t = std::time::Instant::now();
        store.call(c, 0, i64::MAX).unwrap();
        lat.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "call(): {} calls, p50 {:.1} ms, p99 {:.1} ms",
        lat.len(),
        percentile(&mut lat, 0.5),
        percentile(&mut lat, 0.99)
    );
    let mut lat = Vec::new();
    for _ in 0..20 {
        let t = std::time::Instant::now();
        store
            .calls(&q(0, i64::MAX, &[(Field::Method, "INVITE")], 100))
            .unwrap();
        lat.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "calls(method=INVITE, limit 100): p50 {:.1} ms, p99 {:.1} ms",
        percentile(&mut lat, 0.5),
        percentile(&mut lat, 0.99)
    );
    if env("ARGOS_BENCH_KEEP").is_none() && reuse.is_none() {
        store.drop_database().unwrap();
    }
}

/// Credentials travel as HTTP Basic auth; a refusal is a `ClickHouse` error with the
/// server's status and message, and never echoes the password.
#[test]
fn clickhouse_credentials_and_errors() {
    let Some(url) = env("ARGOS_TEST_CLICKHOUSE") else {
        println!("SKIP: clickhouse_credentials_and_errors: ARGOS_TEST_CLICKHOUSE is not set");
        return;
    };
    let hostport = base(&url).replace("http://", "");
    let db = random_db();
    let Some(s) = open_ch(
        &format!("clickhouse://default:@{hostport}/{db}"),
        "credentials",
    ) else {
        return;
    };
    s.insert(&dataset()[..10]).unwrap();
    assert_eq!(search(&s, &all(&[])).len(), 10);
    s.drop_database().unwrap();
    let secret = "s3cr3t-pw";
    match ClickHouseStore::open(
        &format!("clickhouse://default:{secret}@{hostport}/{db}"),
        ClickHouseOptions::default(),
    ) {
        Err(
            e @ StoreError::ClickHouse {
                status: Some(_), ..
            },
        ) => {
            let text = e.to_string();
            assert!(text.contains("password"), "{text}");
            assert!(!text.contains(secret), "{text}");
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("wrong password accepted"),
    }
    assert!(matches!(
        ClickHouseStore::open(
            &format!("clickhouse://{hostport}/bad-name"),
            ClickHouseOptions::default()
        ),
        Err(StoreError::Config(_))
    ));
}
