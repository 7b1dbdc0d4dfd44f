//! Alarm rules: the lab capture, a corpus of public captures, and one hand-made
//! sequence per rule.

mod lab_capture;

use argos_model::{Alarm, AlarmKind, Record, Severity};
use argos_track::alarm::{AlarmConfig, AlarmEngine};
use lab_capture::record;
use std::collections::HashMap;

/// Feeds everything, ticks at the end, finishes; returns the latest copy of each alarm
/// (the store replaces by (kind, key, first_us)) and how many copies were emitted.
fn run(cfg: AlarmConfig, records: &[Record]) -> (Vec<Alarm>, usize) {
    let mut e = AlarmEngine::new(cfg);
    let mut out = Vec::new();
    for r in records {
        e.observe(r, &mut out);
    }
    if let Some(last) = records.last() {
        e.tick(last.capture.ts_us, &mut out);
    }
    e.finish(&mut out);
    let emitted = out.len();
    let mut latest: HashMap<(AlarmKind, String, i64), Alarm> = HashMap::new();
    for a in out {
        latest.insert((a.kind, a.key.clone(), a.first_us), a);
    }
    let mut v: Vec<Alarm> = latest.into_values().collect();
    v.sort_by(|a, b| (a.first_us, a.kind.as_str()).cmp(&(b.first_us, b.kind.as_str())));
    (v, emitted)
}

fn of_kind(alarms: &[Alarm], kind: AlarmKind) -> Vec<&Alarm> {
    alarms.iter().filter(|a| a.kind == kind).collect()
}

const S: i64 = 1_000_000;
const T0: i64 = 1_764_000_000 * S;

fn options(ts: i64, src: &str, user: &str, ua: &str, n: usize) -> Record {
    record(
        ts,
        src,
        "10.0.0.1:5060",
        &format!(
            "OPTIONS sip:{user}@10.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP {src};branch=z9hG4bK{n}\nFrom: <sip:{user}@10.0.0.1>;tag={n}\nTo: <sip:{user}@10.0.0.1>\nCall-ID: scan{n}@x\nCSeq: 1 OPTIONS\nUser-Agent: {ua}\nMax-Forwards: 70\nContent-Length: 0\n\n"
        ),
    )
}

fn response(
    ts: i64,
    src: &str,
    dst: &str,
    code: u16,
    reason: &str,
    cseq: &str,
    n: usize,
) -> Record {
    record(
        ts,
        src,
        dst,
        &format!(
            "SIP/2.0 {code} {reason}\nVia: SIP/2.0/UDP {dst};branch=z9hG4bK{n}\nFrom: <sip:u{n}@10.0.0.1>;tag={n}\nTo: <sip:u{n}@10.0.0.1>;tag=r{n}\nCall-ID: c{n}@x\nCSeq: 1 {cseq}\nContent-Length: 0\n\n"
        ),
    )
}

// ---------------------------------------------------------------- lab capture

#[test]
fn lab_capture_raises_one_scanner_alarm_and_nothing_else() {
    let Some(path) = lab_capture::testdata("lab/lab-calls.pcap") else {
        return;
    };
    let records = lab_capture::read_records(&path);
    assert!(
        records.len() > 400,
        "lab capture read: {} records",
        records.len()
    );
    let (alarms, _) = run(AlarmConfig::default(), &records);
    for a in &alarms {
        eprintln!("{:?} {} {} — {}", a.kind, a.key, a.count, a.summary);
    }
    let scanners = of_kind(&alarms, AlarmKind::Scanner);
    assert_eq!(scanners.len(), 1, "one scanner alarm: {alarms:#?}");
    let a = scanners[0];
    assert_eq!(a.key, "127.0.0.1");
    assert_eq!(a.severity, Severity::Warning);
    // truth: "scanner_options": 5
    assert_eq!(a.count, 5, "{a:#?}");
    assert_eq!(
        a.summary,
        "friendly-scanner from 127.0.0.1: 5 OPTIONS to 1 user"
    );
    assert!(!a.evidence.is_empty() && a.evidence.len() <= 5);
    assert!(
        a.evidence[0].line.starts_with("OPTIONS sip:100@"),
        "{:?}",
        a.evidence[0]
    );
    assert!(a.evidence[0].line.contains("User-Agent: friendly-scanner"));
    assert_eq!(
        alarms.len(),
        1,
        "no other alarm on the lab capture: {alarms:#?}"
    );
}

#[test]
fn no_sql_injection_alarm_on_any_public_capture() {
    let paths = lab_capture::all_captures();
    if paths.is_empty() {
        return;
    }
    let mut messages = 0;
    for p in &paths {
        let records = lab_capture::read_records(p);
        messages += records.len();
        let (alarms, _) = run(AlarmConfig::default(), &records);
        let sqli = of_kind(&alarms, AlarmKind::SqlInjection);
        assert!(sqli.is_empty(), "{}: {sqli:#?}", p.display());
        for a in &alarms {
            eprintln!("{}: {:?} {} — {}", p.display(), a.kind, a.key, a.summary);
        }
    }
    assert!(messages > 1000, "corpus read: {messages} messages");
}

// ---------------------------------------------------------------- scanner

#[test]
fn scanner_user_agent_is_one_alarm_per_source_updated_in_place() {
    let recs: Vec<Record> = (0..12)
        .map(|i| {
            options(
                T0 + i as i64 * S,
                "10.0.0.9:5070",
                &format!("{}", 100 + i),
                "friendly-scanner",
                i,
            )
        })
        .collect();
    let (alarms, emitted) = run(AlarmConfig::default(), &recs);
    assert_eq!(alarms.len(), 1, "{alarms:#?}");
    let a = &alarms[0];
    assert_eq!(
        (a.kind, a.key.as_str(), a.count),
        (AlarmKind::Scanner, "10.0.0.9", 12)
    );
    assert_eq!(a.first_us, T0);
    assert_eq!(a.last_us, T0 + 11 * S);
    assert_eq!(
        a.summary,
        "friendly-scanner from 10.0.0.9: 12 OPTIONS to 12 users"
    );
    assert_eq!(a.evidence.len(), 5);
    assert_eq!(a.evidence[0].src, "10.0.0.9:5070");
    assert_eq!(a.evidence[0].dst, "10.0.0.1:5060");
    assert_eq!(a.evidence[0].call_id.as_deref(), Some("scan0@x"));
    assert_eq!(
        a.evidence[0].line,
        "OPTIONS sip:100@10.0.0.1 SIP/2.0 | User-Agent: friendly-scanner"
    );
    // First hit emitted at once, re-emitted at most every 10 s of record time: at 0 s
    // and 10 s, then the final state at the end.
    assert_eq!(emitted, 3);
}

#[test]
fn scanner_user_agents_are_case_insensitive_and_asterisk_is_not_one() {
    let recs = vec![
        options(T0, "10.0.0.9:5070", "100", "SIPVicious 0.3.4", 1),
        options(T0, "10.0.0.8:5070", "100", "VaxSIPUserAgent/3.1", 2),
        options(T0, "10.0.0.7:5070", "100", "Asterisk PBX 18.2.0", 3),
        options(T0, "10.0.0.6:5070", "100", "Yealink SIP-T46S", 4),
    ];
    let (alarms, _) = run(AlarmConfig::default(), &recs);
    let mut keys: Vec<&str> = alarms.iter().map(|a| a.key.as_str()).collect();
    keys.sort();
    assert_eq!(keys, ["10.0.0.8", "10.0.0.9"], "{alarms:#?}");
    assert_eq!(alarms.len(), 2, "{alarms:#?}");
    assert!(alarms.iter().all(|a| a.kind == AlarmKind::Scanner));
}

#[test]
fn one_source_probing_many_users_that_do_not_exist_is_a_scanner() {
    let mut recs = Vec::new();
    for i in 0..25 {
        let ts = T0 + i as i64 * 100_000;
        recs.push(record(
            ts,
            "203.0.113.50:5060",
            "10.0.0.1:5060",
            &format!("REGISTER sip:10.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 203.0.113.50;branch=z9hG4bK{i}\nFrom: <sip:{u}@10.0.0.1>;tag={i}\nTo: <sip:{u}@10.0.0.1>\nCall-ID: r{i}@x\nCSeq: 1 REGISTER\nUser-Agent: Z 5.5.5\nContent-Length: 0\n\n", u = 200 + i),
        ));
        recs.push(response(
            ts + 1_000,
            "10.0.0.1:5060",
            "203.0.113.50:5060",
            404,
            "Not Found",
            "REGISTER",
            i,
        ));
    }
    let (alarms, _) = run(AlarmConfig::default(), &recs);
    let s = of_kind(&alarms, AlarmKind::Scanner);
    assert_eq!(s.len(), 1, "{alarms:#?}");
    assert_eq!(s[0].key, "203.0.113.50");
    assert_eq!(s[0].count, 6, "the 20th to 25th probes: {:#?}", s[0]);
    assert!(
        s[0].summary.starts_with("203.0.113.50 probed many users: "),
        "{}",
        s[0].summary
    );
    assert!(s[0].summary.contains("to 25 users"), "{}", s[0].summary);
    assert_eq!(
        s[0].evidence[0].line,
        "REGISTER sip:10.0.0.1 SIP/2.0 | probed user: 219"
    );
    // 404s to REGISTER are registration failures too (25 >= 20).
    assert_eq!(of_kind(&alarms, AlarmKind::RegistrationFailures).len(), 1);
}

#[test]
fn a_proxy_whose_calls_to_many_users_are_answered_is_not_a_scanner() {
    let mut recs = Vec::new();
    for i in 0..100 {
        let ts = T0 + i as i64 * 100_000;
        recs.push(record(
            ts,
            "10.0.0.1:5060",
            "10.0.0.2:5060",
            &format!("INVITE sip:{u}@10.0.0.2 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK{i}\nFrom: <sip:1000@10.0.0.1>;tag={i}\nTo: <sip:{u}@10.0.0.2>\nCall-ID: c{i}@x\nCSeq: 1 INVITE\nContent-Length: 0\n\n", u = 3000 + i),
        ));
        recs.push(response(
            ts + 1_000,
            "10.0.0.2:5060",
            "10.0.0.1:5060",
            180,
            "Ringing",
            "INVITE",
            i,
        ));
        let (code, reason) = if i % 3 == 0 {
            (486, "Busy Here")
        } else {
            (200, "OK")
        };
        recs.push(response(
            ts + 2_000,
            "10.0.0.2:5060",
            "10.0.0.1:5060",
            code,
            reason,
            "INVITE",
            i,
        ));
    }
    let (alarms, _) = run(AlarmConfig::default(), &recs);
    assert!(alarms.is_empty(), "{alarms:#?}");
}

// ---------------------------------------------------------------- SQL injection

fn invite_from(ts: i64, from: &str, ua: &str) -> Record {
    record(
        ts,
        "198.51.100.7:5060",
        "10.0.0.1:5060",
        &format!("INVITE sip:1001@10.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK1\nFrom: {from};tag=1\nTo: <sip:1001@10.0.0.1>\nCall-ID: sql@x\nCSeq: 1 INVITE\nUser-Agent: {ua}\nContent-Length: 0\n\n"),
    )
}

#[test]
fn sql_injection_in_users_user_agent_and_display_name() {
    let cases = [
        (
            "<sip:%27%20or%201%3D1--@10.0.0.1>",
            "Linphone/4.0",
            "From user",
        ),
        (
            "<sip:1000@10.0.0.1>",
            "x'; DROP TABLE cdr; --",
            "User-Agent",
        ),
        (
            "\"' or '1'='1\" <sip:1000@10.0.0.1>",
            "Linphone/4.0",
            "From",
        ),
        (
            "<sip:1000@10.0.0.1>",
            "1 UNION SELECT password FROM subscriber",
            "User-Agent",
        ),
    ];
    for (from, ua, field) in cases {
        let (alarms, _) = run(AlarmConfig::default(), &[invite_from(T0, from, ua)]);
        let s = of_kind(&alarms, AlarmKind::SqlInjection);
        assert_eq!(s.len(), 1, "{from} / {ua}: {alarms:#?}");
        assert_eq!(s[0].key, "198.51.100.7");
        assert_eq!(s[0].severity, Severity::Critical);
        assert!(
            s[0].summary
                .starts_with(&format!("SQL injection from 198.51.100.7 in {field}: ")),
            "{}",
            s[0].summary
        );
        assert!(s[0].evidence[0]
            .line
            .starts_with("INVITE sip:1001@10.0.0.1 SIP/2.0 | "));
    }
}

#[test]
fn ordinary_names_and_agents_are_not_sql_injection() {
    let cases = [
        (
            "\"O'Brien\" <sip:1000@10.0.0.1>",
            "Linphone/3.6 (belle-sip/1.3)",
        ),
        (
            "\"Jones' and Co\" <sip:1000@10.0.0.1>",
            "MicroSIP/3.20.0; Update 2",
        ),
        (
            "<sip:+4930123456;npdi@10.0.0.1>",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        ),
        (
            "\"Select Edition\" <sip:alice@10.0.0.1>",
            "FreeSWITCH-mod_sofia/1.10.7-release~64bit",
        ),
    ];
    for (from, ua) in cases {
        let (alarms, _) = run(AlarmConfig::default(), &[invite_from(T0, from, ua)]);
        assert!(alarms.is_empty(), "{from} / {ua}: {alarms:#?}");
    }
}

// ---------------------------------------------------------------- loop

#[test]
fn loop_from_483_482_and_max_forwards_zero_lands_on_the_detecting_hop() {
    let mut recs = vec![record(
        T0,
        "10.0.0.3:5060",
        "10.0.0.5:5060",
        "INVITE sip:1001@10.0.0.5 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK1\nFrom: <sip:1000@a>;tag=1\nTo: <sip:1001@b>\nCall-ID: loop@x\nCSeq: 1 INVITE\nMax-Forwards: 0\nContent-Length: 0\n\n",
    )];
    recs.push(response(
        T0 + 1_000,
        "10.0.0.5:5060",
        "10.0.0.3:5060",
        483,
        "Too Many Hops",
        "INVITE",
        1,
    ));
    recs.push(response(
        T0 + 2_000,
        "10.0.0.5:5060",
        "10.0.0.3:5060",
        482,
        "Loop Detected",
        "INVITE",
        2,
    ));
    // An OPTIONS with Max-Forwards: 0 asks the next hop about itself: not a loop.
    recs.push(record(
        T0 + 3_000,
        "10.0.0.4:5060",
        "10.0.0.6:5060",
        "OPTIONS sip:10.0.0.6 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.4;branch=z9hG4bK9\nFrom: <sip:ping@a>;tag=9\nTo: <sip:10.0.0.6>\nCall-ID: ping@x\nCSeq: 1 OPTIONS\nMax-Forwards: 0\nContent-Length: 0\n\n",
    ));
    let (alarms, _) = run(AlarmConfig::default(), &recs);
    assert_eq!(alarms.len(), 1, "{alarms:#?}");
    let a = &alarms[0];
    assert_eq!(
        (a.kind, a.key.as_str(), a.count),
        (AlarmKind::Loop, "10.0.0.5", 3)
    );
    assert_eq!(
        a.summary,
        "loop at 10.0.0.5: 1 × 482 Loop Detected, 1 × 483 Too Many Hops, 1 request with Max-Forwards: 0 (user u2)"
    );
    assert!(a.evidence[0].line.ends_with("| Max-Forwards: 0"));
}

// ---------------------------------------------------------------- flood

fn flood(src: &str, per_s: usize, seconds: usize) -> Vec<Record> {
    let mut v = Vec::new();
    for s in 0..seconds {
        for i in 0..per_s {
            let ts = T0 + s as i64 * S + (i as i64 * S) / per_s as i64;
            v.push(options(ts, src, "100", "Flooder/1.0", s * per_s + i));
        }
    }
    v
}

#[test]
fn flood_needs_the_rate_sustained_for_five_seconds() {
    let mut cfg = AlarmConfig::default();
    cfg.flood.msgs_per_s = 100;
    // 4 s over the rate: nothing.
    let (alarms, _) = run(cfg.clone(), &flood("192.0.2.1:5060", 150, 4));
    assert!(of_kind(&alarms, AlarmKind::Flood).is_empty(), "{alarms:#?}");
    // 7 s at 150/s: alarm from the 5th second on, counting every message of the run.
    let (alarms, _) = run(cfg.clone(), &flood("192.0.2.1:5060", 150, 7));
    let f = of_kind(&alarms, AlarmKind::Flood);
    assert_eq!(f.len(), 1, "{alarms:#?}");
    assert_eq!(f[0].key, "192.0.2.1");
    assert_eq!(f[0].severity, Severity::Critical);
    assert_eq!(f[0].first_us, T0 + 4 * S + (99 * S) / 150);
    // 4 full seconds before + 3 seconds alarming; the last second's tail is not closed
    // (no later message), so it counts up to the threshold crossing.
    assert_eq!(f[0].count, 4 * 150 + 150 + 150 + 100, "{:#?}", f[0]);
    assert_eq!(
        f[0].summary,
        format!(
            "flood from 192.0.2.1: over 100/s for 7 s, peak 150/s ({} messages)",
            f[0].count
        )
    );
    // Below the rate: nothing.
    let (alarms, _) = run(cfg, &flood("192.0.2.1:5060", 90, 10));
    assert!(of_kind(&alarms, AlarmKind::Flood).is_empty());
}

#[test]
fn flood_table_memory_is_bounded() {
    let mut e = AlarmEngine::new(AlarmConfig {
        max_sources: 1_000,
        ..AlarmConfig::default()
    });
    let mut out = Vec::new();
    for i in 0..50_000u32 {
        let src = format!("10.{}.{}.{}:5060", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        e.observe(&options(T0 + i64::from(i), &src, "100", "x", 0), &mut out);
        assert!(e.tracked_sources() <= 1_000);
    }
}

// ---------------------------------------------------------------- error spike

/// `per_min[m]` 503s in minute m (spread over the minute).
fn errors(per_min: &[usize]) -> Vec<Record> {
    let mut v = Vec::new();
    for (m, &n) in per_min.iter().enumerate() {
        for i in 0..n {
            let ts = T0 + m as i64 * 60 * S + (i as i64 * 59 * S) / n.max(1) as i64;
            v.push(response(
                ts,
                "10.0.0.2:5060",
                "10.0.0.1:5060",
                503,
                "Service Unavailable",
                "INVITE",
                i,
            ));
        }
    }
    v
}

#[test]
fn error_spike_against_the_moving_baseline() {
    // A steady 10/min never alarms (below min_count 20).
    let (alarms, _) = run(AlarmConfig::default(), &errors(&[10; 10]));
    assert!(alarms.is_empty(), "{alarms:#?}");
    // A steady 40/min alarms while the baseline catches up: minute 1 (threshold 20),
    // minute 2 (baseline 0.3·40 = 12 → threshold 36), not minute 3 (baseline 20.4 → 61.2).
    // The crossing adds the whole minute's count, so the alarm counts 40 + 40.
    let (alarms, _) = run(AlarmConfig::default(), &errors(&[40; 6]));
    let s = of_kind(&alarms, AlarmKind::ErrorSpike);
    assert_eq!(s.len(), 1, "{alarms:#?}");
    assert_eq!(s[0].key, "all");
    assert_eq!(s[0].count, 80, "{:#?}", s[0]);
    assert_eq!(
        s[0].summary,
        "error spike at all: 40 5xx/408 responses in a minute (baseline 12.0/min): 503×80"
    );
    // Steady 30/min (baseline converges to 30), then a minute of 100: alarm at the 90th.
    let mut per_min = vec![30; 20];
    per_min.push(100);
    let (alarms, _) = run(AlarmConfig::default(), &errors(&per_min));
    let s: Vec<&Alarm> = of_kind(&alarms, AlarmKind::ErrorSpike)
        .into_iter()
        .filter(|a| a.first_us >= T0 + 20 * 60 * S)
        .collect();
    assert_eq!(s.len(), 1, "{alarms:#?}");
    assert!(
        s[0].summary.starts_with(
            "error spike at all: 100 5xx/408 responses in a minute (baseline 30.0/min): 503×"
        ),
        "{}",
        s[0].summary
    );
}

// ---------------------------------------------------------------- registration failures

fn reg_response(ts: i64, code: u16, reason: &str, i: usize) -> Record {
    response(
        ts,
        "10.0.0.1:5060",
        "203.0.113.9:5062",
        code,
        reason,
        "REGISTER",
        i,
    )
}

#[test]
fn registration_failure_burst_per_source() {
    // 19 × 403 within a minute: nothing; the 20th raises it.
    let mut recs: Vec<Record> = (0..19)
        .map(|i| reg_response(T0 + i as i64 * S, 403, "Forbidden", i))
        .collect();
    let (alarms, _) = run(AlarmConfig::default(), &recs);
    assert!(alarms.is_empty(), "{alarms:#?}");
    recs.push(reg_response(T0 + 19 * S, 404, "Not Found", 19));
    let (alarms, _) = run(AlarmConfig::default(), &recs);
    assert_eq!(alarms.len(), 1, "{alarms:#?}");
    let a = &alarms[0];
    assert_eq!(
        (a.kind, a.key.as_str(), a.count),
        (AlarmKind::RegistrationFailures, "203.0.113.9", 20)
    );
    assert_eq!(
        a.summary,
        "20 failed registrations from 203.0.113.9 within 60 s: 403×19, 404×1"
    );
    // Spread over two minutes they are two windows: no alarm.
    let spread: Vec<Record> = (0..20)
        .map(|i| reg_response(T0 + i as i64 * 4 * S, 403, "Forbidden", i))
        .collect();
    let (alarms, _) = run(AlarmConfig::default(), &spread);
    assert!(alarms.is_empty(), "{alarms:#?}");
}

#[test]
fn challenges_answered_by_success_are_not_failures_but_endless_challenges_are() {
    // 50 devices: 401 then 200 each.
    let mut ok = Vec::new();
    for i in 0..50 {
        ok.push(reg_response(
            T0 + i as i64 * 100_000,
            401,
            "Unauthorized",
            i,
        ));
        ok.push(reg_response(T0 + i as i64 * 100_000 + 10_000, 200, "OK", i));
    }
    let (alarms, _) = run(AlarmConfig::default(), &ok);
    assert!(alarms.is_empty(), "{alarms:#?}");
    // A password guesser: 30 challenges, no success → 30 - 5 allowed = 25 failures.
    let guesses: Vec<Record> = (0..30)
        .map(|i| reg_response(T0 + i as i64 * 100_000, 401, "Unauthorized", i))
        .collect();
    let (alarms, _) = run(AlarmConfig::default(), &guesses);
    assert_eq!(alarms.len(), 1, "{alarms:#?}");
    assert_eq!(alarms[0].count, 25);
    assert!(
        alarms[0]
            .summary
            .ends_with("(25 challenges never answered by a success)"),
        "{}",
        alarms[0].summary
    );
}

// ---------------------------------------------------------------- lifecycle

#[test]
fn a_quiet_alarm_closes_and_a_later_hit_opens_a_new_one() {
    let recs = vec![
        options(T0, "10.0.0.9:5070", "100", "friendly-scanner", 1),
        options(
            T0 + 10 * 60 * S,
            "10.0.0.9:5070",
            "101",
            "friendly-scanner",
            2,
        ),
    ];
    let (alarms, _) = run(AlarmConfig::default(), &recs);
    assert_eq!(alarms.len(), 2, "{alarms:#?}");
    assert_eq!(alarms[0].first_us, T0);
    assert_eq!(alarms[1].first_us, T0 + 10 * 60 * S);
    assert!(alarms.iter().all(|a| a.count == 1));
}

#[test]
fn tick_emits_pending_updates_once_due() {
    let mut e = AlarmEngine::new(AlarmConfig::default());
    let mut out = Vec::new();
    e.observe(
        &options(T0, "10.0.0.9:5070", "100", "friendly-scanner", 1),
        &mut out,
    );
    e.observe(
        &options(T0 + S, "10.0.0.9:5070", "101", "friendly-scanner", 2),
        &mut out,
    );
    assert_eq!(out.len(), 1);
    e.tick(T0 + 5 * S, &mut out);
    assert_eq!(out.len(), 1, "not due yet");
    e.tick(T0 + 11 * S, &mut out);
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].count, 2);
    assert_eq!(out[1].first_us, out[0].first_us);
    e.tick(T0 + 12 * S, &mut out);
    e.finish(&mut out);
    assert_eq!(out.len(), 2, "nothing changed since");
}
