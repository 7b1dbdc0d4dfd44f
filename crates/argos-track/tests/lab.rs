//! The lab capture (`shared/testdata/lab/lab-calls.pcap`: SIPp callers and callees
//! through a Kamailio proxy that adds X-CID on the b-leg) fed through the [`Tracker`],
//! checked against `lab-calls.truth.json` twice: once from the SIP on the wire, once from
//! the HEP copies Kamailio sent to udp/9060 (what a live collector receives). Each run
//! takes one of the two, so no message counts twice.
//!
//! Records are built by the shared test helper (`lab_capture`) the way argos-server
//! builds them: plain SIP over UDP and reassembled TCP (`argos import`) or decoded HEP
//! (the collector), searchable fields from `argos_sip::fields::message_fields`,
//! `call_key` from X-CID (else a HEP correlation id naming another Call-ID) with one hop
//! of Call-ID → a-leg linking.

#![allow(clippy::expect_used)]

mod lab_capture;

use argos_model::{CallRecord, CallStatus, RegStatus, RegistrationRecord, Transport};
use argos_track::{Tracker, TrackerConfig};
use lab_capture::{link, read_captures, testdata, Source};
use std::collections::HashMap;

/// What the tracker wrote, kept the way the store keeps it (replaced by key).
#[derive(Default)]
struct Stored {
    calls: HashMap<String, CallRecord>,
    writes_per_call: HashMap<String, usize>,
    regs: HashMap<(String, String), RegistrationRecord>,
    stats: HashMap<String, u64>,
}

impl Stored {
    fn keep(&mut self, out: argos_track::TrackerOutput) {
        for c in out.calls {
            *self.writes_per_call.entry(c.call_key.clone()).or_default() += 1;
            self.calls.insert(c.call_key.clone(), c);
        }
        for r in out.registrations {
            self.regs.insert((r.aor.clone(), r.contact.clone()), r);
        }
        for s in out.stats {
            *self.stats.entry(s.name).or_default() += s.count;
        }
    }
}

#[test]
fn lab_calls_from_the_wire_match_the_truth() {
    lab_calls_match_the_truth(Source::Wire);
}

#[test]
fn lab_calls_from_the_hep_copies_match_the_truth() {
    lab_calls_match_the_truth(Source::Hep);
}

fn lab_calls_match_the_truth(source: Source) {
    let (Some(pcap), Some(truth)) = (
        testdata("lab/lab-calls.pcap"),
        testdata("lab/lab-calls.truth.json"),
    ) else {
        return;
    };
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(truth).expect("read truth")).expect("truth json");
    let n = |k: &str| truth[k].as_u64().expect("a count in the truth file") as usize;

    let file = read_captures(&pcap, source);
    assert!(
        file.error.is_none(),
        "the lab capture is intact: {:?}",
        file.error
    );
    let records = link(file.captures);
    let first_invite_transport: HashMap<String, Transport> = records
        .iter()
        .filter(|r| r.fields.method.as_deref() == Some("INVITE"))
        .rev()
        .filter_map(|r| Some((r.fields.call_key.clone()?, r.capture.transport)))
        .collect();
    let options: Vec<String> = records
        .iter()
        .filter(|r| r.fields.method.as_deref() == Some("OPTIONS"))
        .filter_map(|r| r.fields.call_key.clone())
        .collect();

    // Like the writer thread: observe, and at each "flush" (here every 50 records) tick
    // and take; at the end, finish.
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut stored = Stored::default();
    for (i, r) in records.iter().enumerate() {
        tracker.observe(r);
        if i % 50 == 49 {
            tracker.tick(r.capture.ts_us);
            stored.keep(tracker.take(r.capture.ts_us));
        }
    }
    let end = records.last().map_or(0, |r| r.capture.ts_us);
    tracker.tick(end);
    stored.keep(tracker.take(end));
    stored.keep(tracker.finish());
    assert_eq!(tracker.tracked(), (0, 0));

    let count = |s: CallStatus| stored.calls.values().filter(|c| c.status == s).count();
    let answered = count(CallStatus::Answered);
    let busy = count(CallStatus::Busy);
    let cancelled = count(CallStatus::Cancelled);
    let tcp_answered = stored
        .calls
        .values()
        .filter(|c| c.status == CallStatus::Answered)
        .filter(|c| first_invite_transport.get(&c.call_key) == Some(&Transport::Tcp))
        .count();
    eprintln!(
        "lab ({source:?}): {} records, {} calls: {answered} answered ({tcp_answered} over TCP), {busy} busy, \
         {cancelled} cancelled; {} bindings; call writes {:?}",
        records.len(),
        stored.calls.len(),
        stored.regs.len(),
        {
            let mut w: Vec<_> = stored.writes_per_call.values().copied().collect();
            w.sort_unstable();
            w.dedup();
            w
        }
    );

    assert_eq!(
        answered,
        n("answered_udp") + n("answered_rtp") + n("answered_tcp")
    );
    assert_eq!(tcp_answered, n("answered_tcp"));
    assert_eq!(busy, n("busy_486"));
    assert_eq!(cancelled, n("cancelled_487"));
    assert_eq!(
        stored.calls.len(),
        answered + busy + cancelled,
        "no other calls"
    );
    let counters = tracker.call_counters();
    assert_eq!(counters.ended_with(CallStatus::Answered) as usize, answered);
    assert_eq!(counters.expired, 0);

    for c in stored.calls.values() {
        let k = &c.call_key;
        assert_eq!(c.legs.len(), 2, "{k}: caller → proxy and proxy → callee");
        assert!(
            c.legs[0].start_us <= c.legs[1].start_us,
            "{k}: caller's leg first"
        );
        assert!(c.legs.iter().all(|l| l.messages > 0), "{k}");
        assert_eq!(
            c.messages,
            c.legs.iter().map(|l| l.messages).sum::<u32>(),
            "{k}: every message on a leg"
        );
        assert!(c.offer.is_some(), "{k}: SIPp offers SDP");
        if source == Source::Hep {
            assert_eq!(c.capture_id, 2001, "{k}: Kamailio's HEP capture id");
        }
        assert!(c.pdd_ms.is_some() && c.end_us.is_some(), "{k}");
        assert!(
            stored.writes_per_call[k] <= 3,
            "{k}: written {} times",
            stored.writes_per_call[k]
        );
        match c.status {
            CallStatus::Answered => {
                assert_eq!(c.final_code, Some(200), "{k}");
                assert!(c.duration_ms.is_some_and(|d| d >= 0), "{k}");
                assert!(c.setup_ms.is_some() && c.answer.is_some(), "{k}");
                assert!(c.codec.is_some(), "{k}");
                assert!(c.hangup_by.is_some(), "{k}");
            }
            CallStatus::Busy => assert_eq!(c.final_code, Some(486), "{k}"),
            CallStatus::Cancelled => {
                assert_eq!(c.final_code, Some(487), "{k}");
                assert_eq!(c.hangup_by, Some(argos_model::Party::Caller), "{k}");
            }
            other => panic!("{k}: unexpected status {other:?}"),
        }
    }
    for o in &options {
        assert!(!stored.calls.contains_key(o), "OPTIONS {o} made a call");
    }
    assert_eq!(options.len(), n("scanner_options"));

    // Registrations: one binding per user, challenged once then registered.
    assert_eq!(stored.regs.len(), n("registrations"));
    for r in stored.regs.values() {
        assert_eq!(r.status, RegStatus::Registered, "{}", r.aor);
        assert!(r.challenges >= 1, "{}", r.aor);
        assert_eq!(
            (r.attempts, r.successes, r.failures),
            (2, 1, 0),
            "{}",
            r.aor
        );
        assert_eq!(r.expires_s, Some(3600), "{}", r.aor);
        assert!(!r.contact.is_empty(), "{}", r.aor);
    }

    // Per-minute counters add up to the messages of the capture (both hops counted).
    let stat = |name: &str| stored.stats.get(name).copied().unwrap_or(0);
    let invites = records
        .iter()
        .filter(|r| r.fields.method.as_deref() == Some("INVITE"))
        .count() as u64;
    assert_eq!(stat("req:INVITE"), invites);
    assert_eq!(stat("rsp:INVITE:486"), 2 * n("busy_486") as u64);
    assert_eq!(stat("reg:challenge"), 2 * n("registrations") as u64);
    assert_eq!(stat("reg:success"), 2 * n("registrations") as u64);
    assert_eq!(stat("req:OPTIONS"), n("scanner_options") as u64);
}
