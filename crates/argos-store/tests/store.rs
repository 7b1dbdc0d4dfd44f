#![allow(clippy::unwrap_used)]

use argos_model::{
    Capture, Field, Filter, MessageFields, PayloadKind, Query, Record, StoredMessage, Transport,
};
use argos_store::testdata::Generator;
use argos_store::{EmbeddedOptions, EmbeddedStore, Store};
use bytes::Bytes;
use std::sync::Arc;

const T0: i64 = 1_764_064_800_000_000; // 2025-11-25T10:00:00Z
const DAY: i64 = 86_400_000_000;

fn open(dir: &std::path::Path) -> EmbeddedStore {
    EmbeddedStore::open(dir, EmbeddedOptions::default()).unwrap()
}

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

fn q(filters: &[(Field, &str)]) -> Query {
    Query {
        filters: filters
            .iter()
            .map(|(f, v)| Filter {
                field: *f,
                value: v.to_string(),
            })
            .collect(),
        limit: 10_000,
        ..Query::default()
    }
}

fn ids(v: &[StoredMessage]) -> Vec<u64> {
    v.iter().map(|m| m.id).collect()
}

#[test]
fn every_field_is_searchable_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let recs = Generator::new(3).calls(300);
    store.insert(&recs).unwrap();
    store.flush().unwrap();
    let all = store.search(&q(&[])).unwrap();
    assert_eq!(all.len(), recs.len());
    // Same records back, in time order.
    let mut sorted = recs.clone();
    sorted.sort_by_key(|r| r.capture.ts_us);
    for (a, b) in all.iter().zip(&sorted) {
        assert_eq!(&a.record, b);
    }
    assert!(all
        .windows(2)
        .all(|w| (w[0].record.capture.ts_us, w[0].id) < (w[1].record.capture.ts_us, w[1].id)));
    // Each field, with the value of some record that has it: every hit matches, and the
    // hits are exactly the records with that value.
    let probe = &recs[recs.len() / 2];
    let bleg = recs
        .iter()
        .find(|r| r.fields.a_leg.is_some())
        .expect("a bridged call");
    let reg = recs
        .iter()
        .find(|r| r.fields.auth_user.is_some())
        .expect("an authenticated REGISTER");
    let resp = recs
        .iter()
        .find(|r| r.fields.status == Some(180))
        .expect("a 180");
    for field in Field::ALL {
        let Some(sample) = [probe, bleg, reg, resp]
            .into_iter()
            .find_map(|r| value_of(r, *field))
        else {
            // The generator never sets it (diversion_user, correlation_id): tested below.
            // Full text is not a field value: tested on its own.
            assert!(
                matches!(
                    field,
                    Field::DiversionUser | Field::CorrelationId | Field::Text
                ),
                "{field:?}"
            );
            continue;
        };
        let expected: Vec<&Record> = sorted
            .iter()
            .filter(|r| value_of(r, *field).as_deref() == Some(&sample))
            .collect();
        let got = store.search(&q(&[(*field, &sample)])).unwrap();
        assert_eq!(got.len(), expected.len(), "field {field:?} = {sample:?}");
        for (g, e) in got.iter().zip(expected) {
            assert_eq!(&g.record, e);
        }
    }
}

fn value_of(r: &Record, f: Field) -> Option<String> {
    let x = &r.fields;
    let c = &r.capture;
    match f {
        Field::Method => x.method.clone(),
        Field::Status => x.status.map(|s| s.to_string()),
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
        // Full text matches the raw payload, not a field value: tested on its own.
        Field::Text => None,
    }
}

#[test]
fn diversion_and_correlation_id_fields() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut r = msg(T0, "c1", Some("INVITE"), None);
    r.fields.diversion_user = Some("dave".into());
    r.capture.correlation_id = Some("corr-1".into());
    store
        .insert(&[r, msg(T0 + 1, "c2", Some("INVITE"), None)])
        .unwrap();
    store.flush().unwrap();
    assert_eq!(
        store
            .search(&q(&[(Field::DiversionUser, "dave")]))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .search(&q(&[(Field::CorrelationId, "corr-1")]))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.search(&q(&[(Field::Proto, "sip")])).unwrap().len(), 2);
    assert_eq!(store.search(&q(&[(Field::Proto, "1")])).unwrap().len(), 2);
}

#[test]
fn wildcards_and_combined_filters() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let recs = Generator::new(5).calls(400);
    store.insert(&recs).unwrap();
    store.flush().unwrap();
    for (field, pat) in [
        (Field::FromUser, "+1555*"),
        (Field::FromUser, "10*"),
        (Field::ToUser, "*7"),
        (Field::RuriUser, "*5*1*"),
        (Field::UserAgent, "Yealink*"),
        (Field::CallId, "*@example.com"),
        (Field::SrcIp, "10.1.*"),
        (Field::Status, "4*"),
        (Field::FromUser, "*"),
    ] {
        let f = Filter {
            field,
            value: pat.to_string(),
        };
        let want = recs
            .iter()
            .filter(|r| value_of(r, field).is_some_and(|v| f.matches(&v)))
            .count();
        let got = store.search(&q(&[(field, pat)])).unwrap();
        assert_eq!(got.len(), want, "{field:?}={pat}");
        assert!(want > 0, "{field:?}={pat} matches nothing in the test data");
    }
    let user = recs[10].fields.from_user.clone().unwrap();
    let got = store
        .search(&q(&[(Field::FromUser, &user), (Field::Method, "INVITE")]))
        .unwrap();
    let want = recs
        .iter()
        .filter(|r| {
            r.fields.from_user.as_deref() == Some(&user)
                && r.fields.method.as_deref() == Some("INVITE")
        })
        .count();
    assert_eq!(got.len(), want);
    assert!(store
        .search(&q(&[(Field::FromUser, "nobody")]))
        .unwrap()
        .is_empty());
    assert!(store
        .search(&q(&[(Field::FromUser, "zz*")]))
        .unwrap()
        .is_empty());
}

#[test]
fn time_range_across_two_days_and_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let day1 = (T0 / DAY) * DAY;
    let batch: Vec<Record> = (0..10)
        .map(|i| msg(day1 + DAY - 5 + i, &format!("c{i}"), Some("OPTIONS"), None))
        .rev() // arrive out of order
        .collect();
    store.insert(&batch).unwrap();
    store.flush().unwrap();
    let st = store.stats().unwrap();
    assert_eq!(st.partitions.len(), 2);
    assert_eq!(st.messages, 10);
    assert_eq!(st.partitions[0].messages, 5);
    let all = store.search(&q(&[])).unwrap();
    let ts: Vec<i64> = all
        .iter()
        .map(|m| m.record.capture.ts_us - (day1 + DAY))
        .collect();
    assert_eq!(ts, (-5..5).collect::<Vec<_>>());
    let mut qr = q(&[]);
    qr.since_us = day1 + DAY - 2;
    qr.until_us = day1 + DAY + 2;
    let got = store.search(&qr).unwrap();
    assert_eq!(got.len(), 4);
    assert_eq!(got[0].record.capture.ts_us, day1 + DAY - 2);
    qr.limit = 3;
    let got = store.search(&qr).unwrap();
    assert_eq!(
        got.iter()
            .map(|m| m.record.capture.ts_us - day1 - DAY)
            .collect::<Vec<_>>(),
        vec![-2, -1, 0]
    );
    qr.limit = 0;
    assert!(store.search(&qr).unwrap().is_empty());
    // since is inclusive, until exclusive
    let mut one = q(&[]);
    one.since_us = day1 + DAY;
    one.until_us = day1 + DAY + 1;
    assert_eq!(store.search(&one).unwrap().len(), 1);
}

#[test]
fn calls_grouping_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut recs = vec![
        msg(T0, "a", Some("INVITE"), None),
        msg(T0 + 1, "a", None, Some(100)),
        msg(T0 + 2, "a", None, Some(407)),
        msg(T0 + 3, "a", Some("ACK"), None),
        msg(T0 + 4, "a", Some("INVITE"), None),
        msg(T0 + 5, "a", None, Some(180)),
        msg(T0 + 6, "a", None, Some(200)),
        msg(T0 + 10, "r", Some("REGISTER"), None),
        msg(T0 + 11, "r", None, Some(401)),
        msg(T0 + 20, "x", Some("INVITE"), None),
        msg(T0 + 21, "x", None, Some(183)),
        msg(T0 + 22, "x", None, Some(180)),
    ];
    for r in &mut recs[8..9] {
        r.fields.cseq_method = Some("REGISTER".into());
    }
    // b-leg of call a, marked with X-CID
    let mut b = msg(T0 + 7, "b-leg", Some("INVITE"), None);
    b.fields.a_leg = Some("a".into());
    b.fields.call_key = Some("a".into());
    recs.push(b);
    store.insert(&recs).unwrap();
    store.flush().unwrap();
    let calls = store.calls(&q(&[])).unwrap();
    assert_eq!(calls.len(), 3);
    let a = &calls[0];
    assert_eq!(a.call_key, "a");
    assert_eq!(a.call_ids, vec!["a".to_string(), "b-leg".to_string()]);
    assert_eq!((a.legs, a.messages), (2, 8));
    assert_eq!(a.status, Some(200));
    assert_eq!(a.method.as_deref(), Some("INVITE"));
    assert_eq!((a.first_ts_us, a.last_ts_us), (T0, T0 + 7));
    assert_eq!(a.from_user.as_deref(), Some("alice"));
    assert_eq!(calls[1].status, Some(401));
    assert_eq!(calls[1].method.as_deref(), Some("REGISTER"));
    assert_eq!(calls[2].status, Some(183));
    // Filter on the request; the summary still covers responses.
    let calls = store.calls(&q(&[(Field::Method, "INVITE")])).unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].status, Some(200));
    assert_eq!(calls[0].messages, 8);
    let mut lim = q(&[]);
    lim.limit = 1;
    assert_eq!(store.calls(&lim).unwrap().len(), 1);
}

#[test]
fn call_joins_legs_and_catches_bleg_responses() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut recs = vec![
        msg(T0, "A", Some("INVITE"), None),
        msg(T0 + 10, "A", None, Some(200)),
        msg(T0 + 50, "other", Some("INVITE"), None),
    ];
    let mut b_inv = msg(T0 + 1, "B", Some("INVITE"), None);
    b_inv.fields.a_leg = Some("A".into());
    b_inv.fields.call_key = Some("A".into());
    // b-leg response without X-CID: its call_key is its own Call-ID
    let b_resp = msg(T0 + 5, "B", None, Some(200));
    recs.push(b_inv);
    recs.push(b_resp);
    store.insert(&recs).unwrap();
    store.flush().unwrap();
    let want = vec![T0, T0 + 1, T0 + 5, T0 + 10];
    for id in ["A", "B"] {
        let got = store.call(id, 0, i64::MAX).unwrap();
        let ts: Vec<i64> = got.iter().map(|m| m.record.capture.ts_us).collect();
        assert_eq!(ts, want, "call({id})");
    }
    assert!(store.call("nope", 0, i64::MAX).unwrap().is_empty());
    assert_eq!(store.call("A", T0 + 2, i64::MAX).unwrap().len(), 1);
    // Generated bridged calls: both legs found from either Call-ID.
    let gen = Generator::new(9).calls(200);
    store.insert(&gen).unwrap();
    store.flush().unwrap();
    let b = gen.iter().find(|r| r.fields.a_leg.is_some()).unwrap();
    let a_id = b.fields.a_leg.clone().unwrap();
    let b_id = b.fields.call_id.clone().unwrap();
    let want: Vec<&Record> = gen
        .iter()
        .filter(|r| {
            r.fields.call_id.as_deref() == Some(&a_id) || r.fields.call_id.as_deref() == Some(&b_id)
        })
        .collect();
    let via_a = store.call(&a_id, 0, i64::MAX).unwrap();
    let via_b = store.call(&b_id, 0, i64::MAX).unwrap();
    assert_eq!(via_a.len(), want.len());
    assert_eq!(ids(&via_a), ids(&via_b));
}

#[test]
fn retention_deletes_old_days() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let d0 = (T0 / DAY) * DAY;
    let recs: Vec<Record> = (0..5)
        .map(|d| msg(d0 + d * DAY + 1000, &format!("c{d}"), Some("OPTIONS"), None))
        .collect();
    store.insert(&recs).unwrap();
    store.flush().unwrap();
    assert_eq!(store.stats().unwrap().partitions.len(), 5);
    let now = d0 + 4 * DAY + 3_600_000_000; // day 4, 01:00
    let rep = store.apply_retention(now, 2).unwrap();
    assert_eq!(
        rep.deleted,
        vec!["2025-11-25".to_string(), "2025-11-26".to_string()]
    );
    assert_eq!(rep.messages_deleted, 2);
    assert!(rep.bytes_freed > 0);
    let st = store.stats().unwrap();
    assert_eq!(
        st.partitions
            .iter()
            .map(|p| p.day.as_str())
            .collect::<Vec<_>>(),
        ["2025-11-27", "2025-11-28", "2025-11-29"]
    );
    assert_eq!(store.search(&q(&[])).unwrap().len(), 3);
    let files = std::fs::read_dir(dir.path()).unwrap().count();
    assert!(files <= 9, "{files} files left");
    // A late record for a deleted day starts a fresh partition.
    store
        .insert(&[msg(d0 + 5, "late", Some("OPTIONS"), None)])
        .unwrap();
    store.flush().unwrap();
    assert_eq!(
        store.search(&q(&[(Field::CallId, "late")])).unwrap().len(),
        1
    );
    assert_eq!(store.apply_retention(now, 0).unwrap().deleted.len(), 3); // keeps today only
    assert_eq!(store.stats().unwrap().messages, 1);
}

#[test]
fn reopen_sees_data_and_continues_ids() {
    let dir = tempfile::tempdir().unwrap();
    let recs = Generator::new(11).calls(100);
    let first_ids;
    {
        let store = open(dir.path());
        store.insert(&recs).unwrap();
        // no explicit flush: drop flushes
        first_ids = ids(&store.search(&q(&[])).unwrap_or_default());
    }
    let store = open(dir.path());
    let all = store.search(&q(&[])).unwrap();
    assert_eq!(all.len(), recs.len());
    assert!(first_ids.len() <= recs.len());
    assert_eq!(store.stats().unwrap().messages, recs.len() as u64);
    store
        .insert(&[msg(T0 + 1, "new", Some("OPTIONS"), None)])
        .unwrap();
    store.flush().unwrap();
    let new = store.search(&q(&[(Field::CallId, "new")])).unwrap();
    let max_old = all.iter().map(|m| m.id).max().unwrap();
    assert!(new[0].id > max_old);
}

#[test]
fn small_flushes_reuse_the_open_block() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let recs = Generator::new(2).messages(1000);
    for chunk in recs.chunks(7) {
        store.insert(chunk).unwrap();
        store.flush().unwrap();
        let got = store
            .search(&q(&[(
                Field::CallId,
                chunk[0].fields.call_id.as_deref().unwrap(),
            )]))
            .unwrap();
        assert!(got.iter().any(|m| m.record == chunk[0]));
    }
    let all = store.search(&q(&[])).unwrap();
    assert_eq!(all.len(), recs.len());
    for (a, b) in all.iter().zip(&recs) {
        assert_eq!(&a.record, b);
    }
}

#[test]
fn concurrent_search_during_insert() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(dir.path()));
    let mut gen = Generator::new(21);
    let first = gen.messages(2000);
    store.insert(&first).unwrap();
    store.flush().unwrap();
    let probe = first[100].fields.call_id.clone().unwrap();
    let want = first
        .iter()
        .filter(|r| r.fields.call_id.as_deref() == Some(&probe))
        .count();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (store, stop, probe) = (store.clone(), stop.clone(), probe.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let got = store.search(&q(&[(Field::CallId, &probe)])).unwrap();
                    assert_eq!(got.len(), want);
                    let _ = store.stats().unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    for _ in 0..20 {
        let batch = gen.messages(2000);
        store.insert(&batch).unwrap();
    }
    store.flush().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    assert!(store.stats().unwrap().messages >= 42_000);
}

#[test]
fn hostile_strings_are_stored_and_found_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let big = "x".repeat(64 * 1024);
    let nasty = [
        "o'brien",
        "\"quoted\"",
        "100%",
        "a_b",
        "nul\0inside",
        "back\\slash",
        "semi;colon--",
        "glob[?]",
        "ünï©ødé ☎",
        "",
        big.as_str(),
    ];
    let mut recs = Vec::new();
    for (i, s) in nasty.iter().enumerate() {
        let mut r = msg(T0 + i as i64, &format!("{s}#call"), Some("INVITE"), None);
        r.fields.from_user = Some(s.to_string());
        r.fields.to_user = Some(format!("to-{s}"));
        r.fields.user_agent = Some(s.to_string());
        r.capture.payload = Bytes::from(format!("INVITE {s}\0\r\n"));
        recs.push(r);
    }
    // Decoys that a LIKE/GLOB translation without escaping would match.
    for (i, s) in ["100x", "axb", "globa", "nul"].iter().enumerate() {
        let mut r = msg(T0 + 100 + i as i64, "decoy", Some("INVITE"), None);
        r.fields.from_user = Some(s.to_string());
        recs.push(r);
    }
    store.insert(&recs).unwrap();
    store.flush().unwrap();
    for (i, s) in nasty.iter().enumerate() {
        for field in [Field::FromUser, Field::UserAgent, Field::CallId] {
            let v = if field == Field::CallId {
                format!("{s}#call")
            } else {
                s.to_string()
            };
            let got = store.search(&q(&[(field, &v)])).unwrap();
            assert_eq!(got.len(), 1, "{field:?} = {:?}", &v[..v.len().min(20)]);
            assert_eq!(got[0].record, recs[i]);
        }
        let got = store.call(&format!("{s}#call"), 0, i64::MAX).unwrap();
        assert_eq!(got.len(), 1);
    }
    assert_eq!(
        store
            .search(&q(&[(Field::FromUser, "100%*")]))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store.search(&q(&[(Field::FromUser, "a_*")])).unwrap().len(),
        1
    );
    assert_eq!(
        store
            .search(&q(&[(Field::FromUser, "glob[?*")]))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .search(&q(&[(Field::FromUser, "nul\0*")]))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .search(&q(&[(Field::ToUser, "to-xxx*")]))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store.search(&q(&[(Field::FromUser, "*")])).unwrap().len(),
        nasty.len() + 4
    );
}

#[test]
fn records_without_fields() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut r = msg(T0, "x", None, None);
    r.fields = MessageFields::default();
    r.capture.kind = PayloadKind::LOG;
    r.capture.transport = Transport::Other(250);
    r.capture.src = "[2001:db8::5]:1".parse().unwrap();
    let mut rtcp = r.clone();
    rtcp.fields.call_key = Some("corr".into());
    rtcp.capture.correlation_id = Some("corr".into());
    store.insert(&[r.clone(), rtcp.clone()]).unwrap();
    store.flush().unwrap();
    let all = store.search(&q(&[])).unwrap();
    assert_eq!(all[0].record, r);
    assert_eq!(
        store.search(&q(&[(Field::CallKey, "corr")])).unwrap().len(),
        1
    );
    assert_eq!(
        store
            .search(&q(&[(Field::SrcIp, "2001:db8::5")]))
            .unwrap()
            .len(),
        2
    );
    assert_eq!(store.calls(&q(&[])).unwrap().len(), 1);
}

fn scan_all(store: &EmbeddedStore, since: i64, until: i64) -> Vec<StoredMessage> {
    let mut out = Vec::new();
    store
        .scan(since, until, &mut |m| {
            out.push(m);
            true
        })
        .unwrap();
    out
}

#[test]
fn scan_streams_everything_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = EmbeddedOptions::default();
    o.block_messages = 16; // many blocks
    let store = EmbeddedStore::open(dir.path(), o).unwrap();
    let d0 = (T0 / DAY) * DAY;
    // Three days, out of order, with late records and duplicate timestamps.
    let mut recs = Generator::new(21).calls(200);
    for (i, r) in recs.iter_mut().enumerate() {
        let i = i as i64;
        r.capture.ts_us =
            d0 + (i % 3) * DAY + (i * 7919) % 5000 + if i % 50 == 0 { 0 } else { 10_000 };
    }
    for chunk in recs.chunks(97) {
        store.insert(chunk).unwrap();
        store.flush().unwrap();
    }
    let all = store
        .search(&Query {
            limit: usize::MAX,
            ..q(&[])
        })
        .unwrap();
    assert_eq!(all.len(), recs.len());
    let scanned = scan_all(&store, 0, i64::MAX);
    assert_eq!(ids(&scanned), ids(&all));
    for (a, b) in scanned.iter().zip(&all) {
        assert_eq!(a.record, b.record);
    }
    assert!(scanned
        .windows(2)
        .all(|w| (w[0].record.capture.ts_us, w[0].id) < (w[1].record.capture.ts_us, w[1].id)));
    // Bounds: since inclusive, until exclusive, across a day boundary.
    let (since, until) = (d0 + 10_500, d0 + DAY + 12_000);
    let want: Vec<u64> = all
        .iter()
        .filter(|m| (since..until).contains(&m.record.capture.ts_us))
        .map(|m| m.id)
        .collect();
    assert!(!want.is_empty());
    assert_eq!(ids(&scan_all(&store, since, until)), want);
    assert!(scan_all(&store, d0 + 5 * DAY, i64::MAX).is_empty());
    // Stops as soon as f returns false.
    let mut seen = 0;
    store
        .scan(0, i64::MAX, &mut |_| {
            seen += 1;
            seen < 5
        })
        .unwrap();
    assert_eq!(seen, 5);
}

#[test]
fn scan_beside_ingest_sees_every_flushed_record_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(dir.path()));
    let recs = Generator::new(22).messages(20_000);
    store.insert(&recs[..10_000]).unwrap();
    store.flush().unwrap();
    let before: Vec<u64> = ids(&scan_all(&store, 0, i64::MAX));
    assert_eq!(before.len(), 10_000);
    let writer = {
        let store = store.clone();
        let recs = recs[10_000..].to_vec();
        std::thread::spawn(move || {
            for c in recs.chunks(300) {
                store.insert(c).unwrap();
                store.flush().unwrap();
            }
        })
    };
    // Each scan holds no snapshot: it sees at least what was there when it started, each
    // message once, in order.
    for _ in 0..5 {
        let got = scan_all(&store, 0, i64::MAX);
        let set: std::collections::HashSet<u64> = ids(&got).into_iter().collect();
        assert_eq!(set.len(), got.len(), "a message came twice");
        assert!(before.iter().all(|id| set.contains(id)));
    }
    writer.join().unwrap();
    assert_eq!(scan_all(&store, 0, i64::MAX).len(), recs.len());
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64
}

#[test]
fn size_limit_deletes_oldest_days_but_never_today() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(dir.path()));
    let d0 = (T0 / DAY) * DAY;
    let mut g = Generator::new(23);
    let mut recs = Vec::new();
    let mut per_day = Vec::new();
    for d in 0..3 {
        g.now_us = d0 + d * DAY + 1_000_000;
        let day = g.messages(500);
        per_day.push(day.len() as u64);
        recs.extend(day);
    }
    store.insert(&recs).unwrap();
    store.flush().unwrap();
    let today = now_us();
    store
        .insert(&[msg(today, "today", Some("OPTIONS"), None)])
        .unwrap();
    store.flush().unwrap();

    assert!(store.apply_size_limit(u64::MAX).unwrap().deleted.is_empty());
    let st = store.stats().unwrap();
    assert_eq!(st.partitions.len(), 4);
    let sizes: Vec<u64> = st.partitions.iter().map(|p| p.bytes_on_disk).collect();
    // Just over the limit: only the oldest day goes.
    let rep = store.apply_size_limit(st.bytes_on_disk - 1).unwrap();
    assert_eq!(rep.deleted, vec!["2025-11-25".to_string()]);
    assert_eq!(rep.messages_deleted, per_day[0]);
    assert_eq!(rep.bytes_freed, sizes[0]);
    assert!(store.stats().unwrap().bytes_on_disk < st.bytes_on_disk);
    // A limit the two next days fit in with today: nothing more goes.
    let rest: u64 = store.stats().unwrap().bytes_on_disk;
    assert!(store.apply_size_limit(rest).unwrap().deleted.is_empty());

    // Limit 0 beside ingest into today: every old day goes, today stays, ingest goes on.
    let mut g = Generator::new(24);
    g.now_us = now_us();
    let live = g.messages(4000);
    let writer = {
        let store = store.clone();
        let live = live.clone();
        std::thread::spawn(move || {
            for c in live.chunks(200) {
                store.insert(c).unwrap();
                store.flush().unwrap();
            }
        })
    };
    let rep = store.apply_size_limit(0).unwrap();
    writer.join().unwrap();
    assert_eq!(
        rep.deleted,
        vec!["2025-11-26".to_string(), "2025-11-27".to_string()]
    );
    assert_eq!(rep.messages_deleted, per_day[1] + per_day[2]);
    let st = store.stats().unwrap();
    assert_eq!(st.partitions.len(), 1, "{st:?}");
    let n = live.len() as u64 + 1;
    assert_eq!(st.messages, n);
    assert!(store.apply_size_limit(0).unwrap().deleted.is_empty());
    assert_eq!(
        store.search(&q(&[(Field::CallId, "today")])).unwrap().len(),
        1
    );
    // Gone from disk, and a reopened store does not bring them back.
    drop(store);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with("2025-")), "{names:?}");
    assert_eq!(open(dir.path()).stats().unwrap().messages, n);
}

#[test]
fn full_text_skips_blocks_without_losing_hits() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut recs = Generator::new(25).messages(5000);
    recs[1234].capture.payload = Bytes::from(
        "OPTIONS sip:x SIP/2.0\r\nUser-Agent: FriendlyScanner-7.1\r\nCall-ID: zz\r\n\r\n",
    );
    recs[4321].capture.payload = Bytes::from("MESSAGE sip:x SIP/2.0\r\n\r\nfriendlyscanner ok");
    for c in recs.chunks(700) {
        store.insert(c).unwrap();
        store.flush().unwrap(); // open blocks rewritten with their filters
    }
    for (v, want) in [
        ("friendlyscanner", 2),
        ("FRIENDLYSCANNER-7", 1),
        ("user-agent: friendly*7.1", 1),
        ("friendly*ok", 1),
        ("sipvicious", 0),
    ] {
        let brute = recs
            .iter()
            .filter(|r| {
                Filter {
                    field: Field::Text,
                    value: v.into(),
                }
                .matches_text(&r.capture.payload)
            })
            .count();
        assert_eq!(brute, want, "{v}");
        assert_eq!(
            store.search(&q(&[(Field::Text, v)])).unwrap().len(),
            want,
            "{v}"
        );
    }
}
