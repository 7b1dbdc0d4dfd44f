//! Call tracker scenarios with hand-written SIP.

#![allow(clippy::expect_used)]

use super::testkit::{record, Dialog, ANSWER_SDP, CALLEE, CALLER, OFFER_SDP, PROXY, SECOND, T0};
use super::*;
use argos_model::{CallRecord, CallStatus, Party};

const MS: i64 = 1000;

/// Feeds messages to a tracker and collects what it writes.
struct Run {
    t: CallTracker,
    out: Vec<CallRecord>,
}

impl Run {
    fn new() -> Self {
        Self::with(CallConfig::default())
    }
    fn with(cfg: CallConfig) -> Self {
        Run {
            t: CallTracker::new(cfg),
            out: Vec::new(),
        }
    }
    /// One message, then a flush (`take_live`), as if each arrived in its own batch.
    fn msg(&mut self, at_ms: i64, src: &str, dst: &str, sip: String) {
        self.msg_unflushed(at_ms, src, dst, sip);
        self.t.take_live(&mut self.out);
    }
    fn msg_unflushed(&mut self, at_ms: i64, src: &str, dst: &str, sip: String) {
        self.t
            .observe(&record(T0 + at_ms * MS, src, dst, &sip), &mut self.out);
    }
    fn tick(&mut self, at_ms: i64) {
        self.t.tick(T0 + at_ms * MS, &mut self.out);
    }
    fn statuses(&self) -> Vec<CallStatus> {
        self.out.iter().map(|c| c.status).collect()
    }
    fn last(&self) -> &CallRecord {
        self.out.last().expect("a call record was written")
    }
}

/// Caller → proxy → callee, same Call-ID on both hops (Kamailio), X-CID on the b-leg.
struct Proxied {
    a: Dialog,
    b: Dialog,
}

impl Proxied {
    fn new(call_id: &str) -> Self {
        let a = Dialog::new(call_id);
        let b = a.with_x_cid(call_id);
        Proxied { a, b }
    }

    /// INVITE, 100, forwarded INVITE, 180 on both legs.
    fn ring(&self, r: &mut Run) {
        let (a, b) = (&self.a, &self.b);
        r.msg(
            0,
            CALLER,
            PROXY,
            a.req("INVITE", 1, &["User-Agent: PhoneA"], OFFER_SDP),
        );
        r.msg(1, PROXY, CALLER, a.rsp(100, 1, "INVITE", &[], ""));
        r.msg(
            2,
            PROXY,
            CALLEE,
            b.req(
                "INVITE",
                1,
                &["P-Asserted-Identity: <sip:+100@a>"],
                OFFER_SDP,
            ),
        );
        let ringing = b.answered();
        r.msg(
            1000,
            CALLEE,
            PROXY,
            ringing.rsp(180, 1, "INVITE", &["Server: PhoneB"], ""),
        );
        r.msg(
            1001,
            PROXY,
            CALLER,
            a.answered().rsp(180, 1, "INVITE", &["Server: PhoneB"], ""),
        );
    }

    /// 200 with SDP on both legs and the ACKs.
    fn answer(&self, r: &mut Run, at_ms: i64) {
        let (a, b) = (self.a.answered(), self.b.answered());
        r.msg(
            at_ms,
            CALLEE,
            PROXY,
            b.rsp(200, 1, "INVITE", &["Server: PhoneB"], ANSWER_SDP),
        );
        r.msg(
            at_ms + 1,
            PROXY,
            CALLER,
            a.rsp(200, 1, "INVITE", &["Server: PhoneB"], ANSWER_SDP),
        );
        r.msg(at_ms + 2, CALLER, PROXY, a.req("ACK", 1, &[], ""));
        r.msg(at_ms + 3, PROXY, CALLEE, b.req("ACK", 1, &[], ""));
    }
}

#[test]
fn proxied_answered_call_callee_hangs_up() {
    let mut r = Run::new();
    let c = Proxied::new("call-1");
    c.ring(&mut r);
    c.answer(&mut r, 3000);
    // The callee hangs up: its BYE (From = callee) reaches the b-leg first.
    let bye = |d: &Dialog| {
        let mut d = d.answered();
        std::mem::swap(&mut d.from_tag, d.to_tag.as_mut().expect("to tag"));
        d.req(
            "BYE",
            1,
            &[
                "Reason: SIP;cause=200",
                "Reason: Q.850;cause=16;text=\"Normal\"",
            ],
            "",
        )
    };
    r.msg(63_000, CALLEE, PROXY, bye(&c.b));
    r.msg(63_001, PROXY, CALLER, bye(&c.a));
    r.msg(
        63_002,
        CALLER,
        PROXY,
        c.a.answered().rsp(200, 1, "BYE", &[], ""),
    );
    r.msg(
        63_003,
        PROXY,
        CALLEE,
        c.b.answered().rsp(200, 1, "BYE", &[], ""),
    );
    assert_eq!(r.statuses(), [CallStatus::Ringing, CallStatus::InCall]);
    assert_eq!(r.t.counters().ended_with(CallStatus::Answered), 1);

    r.tick(67_000);
    assert_eq!(r.out.len(), 2, "final record waits for the linger");
    r.tick(68_001);
    let c = r.last();
    assert_eq!(r.out.len(), 3);
    assert_eq!(c.status, CallStatus::Answered);
    assert_eq!(c.call_key, "call-1");
    assert_eq!(c.legs.len(), 2);
    assert_eq!(c.legs[0].src, CALLER);
    assert_eq!(c.legs[0].dst, PROXY);
    assert_eq!(c.legs[1].src, PROXY);
    assert_eq!(c.legs[1].dst, CALLEE);
    assert_eq!(c.legs[0].final_code, Some(200));
    assert_eq!(c.legs[1].final_code, Some(200));
    assert_eq!(c.messages, 13);
    assert_eq!((c.legs[0].messages, c.legs[1].messages), (7, 6));
    assert_eq!(c.final_code, Some(200));
    assert_eq!(c.final_reason.as_deref(), Some("OK"));
    assert_eq!(c.from_user.as_deref(), Some("alice"));
    assert_eq!(c.to_user.as_deref(), Some("bob"));
    assert_eq!(c.ruri_user.as_deref(), Some("bob"));
    assert_eq!(c.pai_user.as_deref(), Some("+100"), "from the b-leg INVITE");
    assert_eq!(c.src_ip, "10.0.0.1");
    assert_eq!(c.dst_ip, "10.0.0.2");
    assert_eq!(c.caller_ua.as_deref(), Some("PhoneA"));
    assert_eq!(c.callee_ua.as_deref(), Some("PhoneB"));
    assert_eq!(c.start_us, T0);
    assert_eq!(c.ringing_us, Some(T0 + 1001 * MS));
    assert_eq!(c.answer_us, Some(T0 + 3001 * MS));
    assert_eq!(c.end_us, Some(T0 + 63_000 * MS));
    assert_eq!(c.pdd_ms, Some(1001));
    assert_eq!(c.setup_ms, Some(3001));
    assert_eq!(c.duration_ms, Some(59_999));
    assert_eq!(c.hangup_by, Some(Party::Callee));
    assert_eq!(c.q850_cause, Some(16));
    assert_eq!(
        c.reason_header.as_deref(),
        Some("Q.850;cause=16;text=\"Normal\"")
    );
    let offer = c.offer.as_ref().expect("offer");
    assert_eq!(offer.addr, "10.0.0.1:4000");
    assert_eq!(offer.codecs, ["PCMU", "PCMA"]);
    assert_eq!(
        c.answer.as_ref().map(|a| a.addr.as_str()),
        Some("10.0.0.3:6000")
    );
    assert_eq!(c.codec.as_deref(), Some("PCMA"));
    assert_eq!(c.invite_retransmissions, 0);
    assert!(r.t.is_empty());
    assert_eq!(r.t.counters().expired, 0);
}

#[test]
fn caller_hangs_up_and_late_messages_do_not_make_a_new_call() {
    let mut r = Run::new();
    let c = Proxied::new("call-2");
    c.ring(&mut r);
    c.answer(&mut r, 2000);
    r.msg(10_000, CALLER, PROXY, c.a.answered().req("BYE", 2, &[], ""));
    r.msg(10_001, PROXY, CALLEE, c.b.answered().req("BYE", 2, &[], ""));
    r.tick(15_001);
    assert_eq!(r.last().status, CallStatus::Answered);
    assert_eq!(r.last().hangup_by, Some(Party::Caller));
    assert_eq!(r.last().duration_ms, Some(7999));
    let n = r.out.len();
    // After it is forgotten: the 200 to the BYE and a retransmitted 200 to the INVITE.
    r.msg(
        16_000,
        PROXY,
        CALLER,
        c.a.answered().rsp(200, 2, "BYE", &[], ""),
    );
    r.msg(
        16_001,
        PROXY,
        CALLER,
        c.a.answered().rsp(200, 1, "INVITE", &[], ""),
    );
    r.tick(100_000);
    r.t.finish(&mut r.out);
    assert_eq!(r.out.len(), n);
    assert!(r.t.is_empty());
}

#[test]
fn busy() {
    let mut r = Run::new();
    let c = Proxied::new("busy");
    c.ring(&mut r);
    r.msg(
        2000,
        CALLEE,
        PROXY,
        c.b.answered().rsp(486, 1, "INVITE", &[], ""),
    );
    r.msg(2001, PROXY, CALLEE, c.b.answered().req("ACK", 1, &[], ""));
    r.msg(
        2002,
        PROXY,
        CALLER,
        c.a.answered().rsp(486, 1, "INVITE", &[], ""),
    );
    r.msg(2003, CALLER, PROXY, c.a.answered().req("ACK", 1, &[], ""));
    r.tick(7002);
    let rec = r.last();
    assert_eq!(r.statuses(), [CallStatus::Ringing, CallStatus::Busy]);
    assert_eq!(rec.final_code, Some(486));
    assert_eq!(rec.final_reason.as_deref(), Some("Busy Here"));
    assert_eq!(rec.end_us, Some(T0 + 2002 * MS));
    assert_eq!(rec.pdd_ms, Some(1001));
    assert_eq!(rec.duration_ms, None);
    assert_eq!(rec.messages, 9);
    assert_eq!(rec.legs[1].final_code, Some(486));
}

#[test]
fn cancelled_with_retransmitted_487() {
    let mut r = Run::new();
    let c = Proxied::new("cancel");
    c.ring(&mut r);
    r.msg(
        5000,
        CALLER,
        PROXY,
        c.a.req("CANCEL", 1, &["Reason: Q.850;cause=31"], ""),
    );
    r.msg(5001, PROXY, CALLEE, c.b.req("CANCEL", 1, &[], ""));
    r.msg(5002, PROXY, CALLER, c.a.rsp(200, 1, "CANCEL", &[], ""));
    r.msg(
        5003,
        CALLEE,
        PROXY,
        c.b.answered().rsp(487, 1, "INVITE", &[], ""),
    );
    r.msg(
        5004,
        PROXY,
        CALLER,
        c.a.answered().rsp(487, 1, "INVITE", &[], ""),
    );
    r.msg(
        5500,
        PROXY,
        CALLER,
        c.a.answered().rsp(487, 1, "INVITE", &[], ""),
    );
    r.tick(10_004);
    let rec = r.last();
    assert_eq!(rec.status, CallStatus::Cancelled);
    assert_eq!(rec.final_code, Some(487));
    assert_eq!(rec.end_us, Some(T0 + 5000 * MS), "ends at the CANCEL");
    assert_eq!(rec.hangup_by, Some(Party::Caller));
    assert_eq!(rec.q850_cause, Some(31));
    assert_eq!(r.t.counters().ended_with(CallStatus::Cancelled), 1);
}

/// A one-leg call with the given final answer after an optional 180.
fn one_leg(code: u16, ring: bool) -> CallRecord {
    let mut r = Run::new();
    let d = Dialog::new("one");
    r.msg(0, CALLER, CALLEE, d.req("INVITE", 1, &[], OFFER_SDP));
    if ring {
        r.msg(
            500,
            CALLEE,
            CALLER,
            d.answered().rsp(180, 1, "INVITE", &[], ""),
        );
    }
    r.msg(
        900,
        CALLEE,
        CALLER,
        d.answered().rsp(code, 1, "INVITE", &[], ""),
    );
    r.t.finish(&mut r.out);
    r.last().clone()
}

#[test]
fn final_answers_without_cancel() {
    let c = one_leg(487, true);
    assert_eq!((c.status, c.final_code), (CallStatus::NoAnswer, Some(487)));
    assert_eq!(one_leg(480, true).status, CallStatus::NoAnswer);
    assert_eq!(one_leg(408, true).status, CallStatus::NoAnswer);
    let c = one_leg(480, false);
    assert_eq!((c.status, c.final_code), (CallStatus::Failed, Some(480)));
    assert_eq!(c.pdd_ms, Some(900), "no ringing: INVITE to final answer");
    assert_eq!(one_leg(503, false).status, CallStatus::Failed);
    assert_eq!(one_leg(403, false).status, CallStatus::Rejected);
    assert_eq!(one_leg(603, true).status, CallStatus::Rejected);
    assert_eq!(one_leg(600, true).status, CallStatus::Busy);
}

#[test]
fn auth_challenge_then_retry_is_the_same_call() {
    let mut r = Run::new();
    let d = Dialog::new("auth");
    r.msg(0, CALLER, PROXY, d.req("INVITE", 1, &[], OFFER_SDP));
    r.msg(
        1,
        PROXY,
        CALLER,
        d.answered().rsp(407, 1, "INVITE", &[], ""),
    );
    r.msg(2, CALLER, PROXY, d.answered().req("ACK", 1, &[], ""));
    r.msg(
        3,
        CALLER,
        PROXY,
        d.req(
            "INVITE",
            2,
            &["Proxy-Authorization: Digest username=\"alice\""],
            OFFER_SDP,
        ),
    );
    // A late retransmission of the challenge changes nothing.
    r.msg(
        4,
        PROXY,
        CALLER,
        d.answered().rsp(407, 1, "INVITE", &[], ""),
    );
    r.msg(
        500,
        PROXY,
        CALLER,
        d.answered().rsp(180, 2, "INVITE", &[], ""),
    );
    r.msg(
        900,
        PROXY,
        CALLER,
        d.answered().rsp(200, 2, "INVITE", &[], ANSWER_SDP),
    );
    r.tick(20_000);
    assert_eq!(r.statuses(), [CallStatus::Ringing, CallStatus::InCall]);
    assert_eq!(r.t.len(), 1);
    let c = r.last();
    assert_eq!(c.final_code, Some(200));
    assert_eq!(c.legs.len(), 1);
    assert_eq!(c.legs[0].final_code, Some(200));
    assert_eq!(c.setup_ms, Some(900), "from the first INVITE");
    assert_eq!(c.invite_retransmissions, 0);
}

#[test]
fn challenge_never_retried_is_rejected() {
    let mut r = Run::new();
    let d = Dialog::new("noauth");
    r.msg(0, CALLER, PROXY, d.req("INVITE", 1, &[], ""));
    r.msg(
        10,
        PROXY,
        CALLER,
        d.answered().rsp(401, 1, "INVITE", &[], ""),
    );
    r.tick(4000);
    assert!(r.out.is_empty(), "still waiting for the retry");
    r.tick(5010);
    let c = r.last();
    assert_eq!((c.status, c.final_code), (CallStatus::Rejected, Some(401)));
    assert_eq!(c.end_us, Some(T0 + 10 * MS));
    assert_eq!(r.t.counters().expired, 0, "an answer, not a timeout");
    assert_eq!(r.t.counters().ended_with(CallStatus::Rejected), 1);
}

#[test]
fn retransmissions_and_reinvites_are_counted_not_new_calls() {
    let mut r = Run::new();
    let d = Dialog::new("rtx");
    for t in [0, 500, 1500] {
        r.msg(t, CALLER, CALLEE, d.req("INVITE", 1, &[], OFFER_SDP));
    }
    r.msg(
        1600,
        CALLEE,
        CALLER,
        d.answered().rsp(200, 1, "INVITE", &[], ANSWER_SDP),
    );
    r.msg(
        1700,
        CALLEE,
        CALLER,
        d.answered().rsp(200, 1, "INVITE", &[], ANSWER_SDP),
    );
    let up = d.answered();
    r.msg(2000, CALLER, CALLEE, up.req("INVITE", 2, &[], OFFER_SDP));
    r.msg(2500, CALLER, CALLEE, up.req("INVITE", 2, &[], OFFER_SDP));
    r.msg(
        2600,
        CALLEE,
        CALLER,
        up.rsp(200, 2, "INVITE", &[], ANSWER_SDP),
    );
    r.msg(3000, CALLER, CALLEE, up.req("UPDATE", 3, &[], ""));
    r.msg(9000, CALLER, CALLEE, up.req("BYE", 4, &[], ""));
    r.t.finish(&mut r.out);
    assert_eq!(r.t.counters().ended_with(CallStatus::Answered), 1);
    let c = r.last();
    assert_eq!(c.status, CallStatus::Answered);
    assert_eq!(c.invite_retransmissions, 2);
    assert_eq!(c.reinvites, 2);
    assert_eq!(c.answer_us, Some(T0 + 1600 * MS));
    assert_eq!(c.duration_ms, Some(7400));
    assert_eq!(c.legs.len(), 1);
    assert_eq!(c.messages, 10);
}

#[test]
fn invite_and_ringing_timeouts() {
    let mut r = Run::new();
    let d = Dialog::new("t1");
    r.msg(0, CALLER, CALLEE, d.req("INVITE", 1, &[], ""));
    r.msg(10, CALLEE, CALLER, d.rsp(100, 1, "INVITE", &[], ""));
    let e = Dialog::new("t2");
    r.msg(20, CALLER, CALLEE, e.req("INVITE", 1, &[], ""));
    r.msg(
        30,
        CALLEE,
        CALLER,
        e.answered().rsp(180, 1, "INVITE", &[], ""),
    );
    r.tick(31_999);
    assert_eq!(r.statuses(), [CallStatus::Ringing]);
    r.tick(32_000);
    let c = r.last();
    assert_eq!((c.call_key.as_str(), c.status), ("t1", CallStatus::Timeout));
    assert_eq!(c.end_us, Some(T0 + 32 * SECOND));
    assert_eq!(c.final_code, None);
    r.tick(180_029);
    assert_eq!(r.out.len(), 2);
    r.tick(180_030);
    let c = r.last();
    assert_eq!((c.call_key.as_str(), c.status), ("t2", CallStatus::Timeout));
    assert_eq!(r.t.counters().expired, 2);
    assert_eq!(r.t.counters().ended_with(CallStatus::Timeout), 2);
    assert!(r.t.is_empty());
}

#[test]
fn answered_call_without_bye_ends_at_max_duration() {
    let mut r = Run::with(CallConfig {
        max_duration_us: 60 * SECOND,
        ..CallConfig::default()
    });
    let d = Dialog::new("long");
    r.msg(0, CALLER, CALLEE, d.req("INVITE", 1, &[], ""));
    r.msg(
        100,
        CALLEE,
        CALLER,
        d.answered().rsp(200, 1, "INVITE", &[], ""),
    );
    r.msg(200, CALLER, CALLEE, d.answered().req("ACK", 1, &[], ""));
    r.tick(60_099);
    assert_eq!(r.statuses(), [CallStatus::InCall]);
    r.tick(60_100);
    let c = r.last();
    assert_eq!(c.status, CallStatus::Answered);
    assert_eq!(c.end_us, Some(T0 + 200 * MS), "the last message seen");
    assert_eq!(c.duration_ms, Some(100));
    assert_eq!(c.hangup_by, None);
    assert_eq!(r.t.counters().expired, 1);
}

#[test]
fn non_invite_dialogs_are_not_calls() {
    let mut r = Run::new();
    for (i, m) in ["OPTIONS", "MESSAGE", "SUBSCRIBE", "REGISTER", "NOTIFY"]
        .iter()
        .enumerate()
    {
        let d = Dialog::new(&format!("x{i}"));
        r.msg(0, CALLER, CALLEE, d.req(m, 1, &[], ""));
        r.msg(1, CALLEE, CALLER, d.answered().rsp(200, 1, m, &[], ""));
    }
    // An in-dialog re-INVITE or a BYE of a call that started before the capture.
    let d = Dialog::new("old").answered();
    r.msg(2, CALLER, CALLEE, d.req("INVITE", 5, &[], ""));
    r.msg(3, CALLER, CALLEE, d.req("BYE", 6, &[], ""));
    r.t.finish(&mut r.out);
    assert!(r.out.is_empty());
    assert!(r.t.is_empty());
}

#[test]
fn b2bua_legs_with_different_call_ids_join_by_call_key() {
    let mut r = Run::new();
    let a = Dialog::new("a-leg");
    let b = Dialog::new("b-leg").with_x_cid("a-leg");
    r.msg(0, CALLER, PROXY, a.req("INVITE", 1, &[], OFFER_SDP));
    r.msg(5, PROXY, CALLEE, b.req("INVITE", 7, &[], OFFER_SDP));
    // The b-leg's 200 carries no X-CID: the pipeline's linker gives it the key.
    let mut ok = record(
        T0 + 50 * MS,
        CALLEE,
        PROXY,
        &Dialog::new("b-leg")
            .answered()
            .rsp(200, 7, "INVITE", &[], ""),
    );
    ok.fields.call_key = Some("a-leg".into());
    r.t.observe(&ok, &mut r.out);
    assert!(r.out.is_empty(), "b-leg answers do not decide the call");
    r.msg(
        60,
        PROXY,
        CALLER,
        a.answered().rsp(200, 1, "INVITE", &[], ""),
    );
    r.t.finish(&mut r.out);
    let c = r.last();
    assert_eq!(c.status, CallStatus::InCall);
    let ids: Vec<_> = c.legs.iter().map(|l| l.call_id.as_str()).collect();
    assert_eq!(ids, ["a-leg", "b-leg"]);
    assert_eq!(c.legs[1].final_code, Some(200));
    assert_eq!(c.messages, 4);
}

#[test]
fn full_table_concludes_the_call_closest_to_its_deadline() {
    let mut r = Run::with(CallConfig {
        max_calls: 2,
        ..CallConfig::default()
    });
    for (i, id) in ["e1", "e2", "e3"].iter().enumerate() {
        r.msg(
            i as i64 * 10,
            CALLER,
            CALLEE,
            Dialog::new(id).req("INVITE", 1, &[], ""),
        );
    }
    assert_eq!(r.t.len(), 2);
    let c = r.last();
    assert_eq!((c.call_key.as_str(), c.status), ("e1", CallStatus::Timeout));
    assert_eq!(c.end_us, Some(T0), "given up at its last message");
    assert_eq!(r.t.counters().evicted, 1);
    assert_eq!(r.t.counters().expired, 1);
}

#[test]
fn cancel_crossing_the_answer_leaves_the_call_answered() {
    let mut r = Run::new();
    let d = Dialog::new("race");
    r.msg(0, CALLER, CALLEE, d.req("INVITE", 1, &[], ""));
    r.msg(100, CALLER, CALLEE, d.req("CANCEL", 1, &[], ""));
    r.msg(
        101,
        CALLEE,
        CALLER,
        d.answered().rsp(200, 1, "INVITE", &[], ""),
    );
    r.msg(102, CALLEE, CALLER, d.rsp(200, 1, "CANCEL", &[], ""));
    r.msg(5000, CALLER, CALLEE, d.answered().req("BYE", 2, &[], ""));
    r.t.finish(&mut r.out);
    let c = r.last();
    assert_eq!(c.status, CallStatus::Answered);
    assert_eq!(c.end_us, Some(T0 + 5000 * MS));
    assert_eq!(c.hangup_by, Some(Party::Caller));
}

#[test]
fn finish_writes_calls_as_they_stand() {
    let mut r = Run::new();
    let c = Proxied::new("live");
    c.ring(&mut r);
    c.answer(&mut r, 2000);
    let n = r.out.len();
    r.t.finish(&mut r.out);
    assert_eq!(r.out.len(), n + 1);
    let c = r.last();
    assert_eq!(c.status, CallStatus::InCall);
    assert_eq!(
        c.messages, 9,
        "with the ACKs that came after the last write"
    );
    assert_eq!(r.t.counters().expired, 0);
}

#[test]
fn non_sip_and_unparsed_records_are_ignored() {
    let mut r = Run::new();
    let mut rec = record(
        T0,
        CALLER,
        CALLEE,
        &Dialog::new("k").req("INVITE", 1, &[], ""),
    );
    rec.capture.kind = argos_model::PayloadKind::RTCP_JSON;
    r.t.observe(&rec, &mut r.out);
    rec.capture.kind = argos_model::PayloadKind::SIP;
    rec.fields = argos_model::MessageFields::default();
    r.t.observe(&rec, &mut r.out);
    assert!(r.t.is_empty());
}

#[test]
fn redirect_followed_by_a_new_invite_on_the_same_call_id() {
    let mut r = Run::new();
    let d = Dialog::new("redirect");
    r.msg(0, CALLER, PROXY, d.req("INVITE", 1, &[], OFFER_SDP));
    r.msg(
        10,
        PROXY,
        CALLER,
        d.answered()
            .rsp(302, 1, "INVITE", &["Contact: <sip:bob@10.0.0.3>"], ""),
    );
    r.msg(11, CALLER, PROXY, d.answered().req("ACK", 1, &[], ""));
    r.msg(20, CALLER, CALLEE, d.req("INVITE", 2, &[], OFFER_SDP));
    r.msg(
        30,
        CALLEE,
        CALLER,
        d.answered().rsp(486, 2, "INVITE", &[], ""),
    );
    r.t.finish(&mut r.out);
    let c = r.last();
    assert_eq!((c.status, c.final_code), (CallStatus::Busy, Some(486)));
    assert_eq!(c.legs.len(), 2, "the new target is a new hop");
    assert_eq!(r.out.len(), 1);

    // A redirect nobody follows is a failed call, concluded after the wait.
    let mut r = Run::new();
    r.msg(0, CALLER, PROXY, d.req("INVITE", 1, &[], ""));
    r.msg(
        10,
        PROXY,
        CALLER,
        d.answered().rsp(301, 1, "INVITE", &[], ""),
    );
    r.tick(5009);
    assert!(r.out.is_empty());
    r.tick(5010);
    let c = r.last();
    assert_eq!((c.status, c.final_code), (CallStatus::Failed, Some(301)));
    assert_eq!(c.end_us, Some(T0 + 10 * MS));
    assert_eq!(r.t.counters().expired, 0);
}

#[test]
fn call_that_ends_between_two_flushes_is_written_once() {
    let a = Dialog::new("one-write");
    let mut r = Run::new();
    r.msg_unflushed(0, CALLER, CALLEE, a.req("INVITE", 1, &[], ""));
    r.msg_unflushed(1, CALLEE, CALLER, a.rsp(180, 1, "INVITE", &[], ""));
    r.msg_unflushed(
        2,
        CALLEE,
        CALLER,
        a.answered().rsp(200, 1, "INVITE", &[], ""),
    );
    r.msg_unflushed(3, CALLER, CALLEE, a.answered().req("ACK", 1, &[], ""));
    r.msg_unflushed(500, CALLER, CALLEE, a.answered().req("BYE", 2, &[], ""));
    r.msg_unflushed(
        501,
        CALLEE,
        CALLER,
        a.answered().rsp(200, 2, "BYE", &[], ""),
    );
    r.t.take_live(&mut r.out);
    assert!(
        r.out.is_empty(),
        "ended calls wait for the linger: {:?}",
        r.statuses()
    );
    r.tick(6_000);
    assert_eq!(r.statuses(), [CallStatus::Answered]);
}

#[test]
fn calls_not_admitted_while_shedding_are_counted_and_tracked_ones_go_on() {
    let (a, b) = (Dialog::new("kept"), Dialog::new("shed"));
    let mut r = Run::new();
    r.msg(0, CALLER, CALLEE, a.req("INVITE", 1, &[], ""));
    r.t.set_admitting(false);
    r.msg(1, CALLER, CALLEE, b.req("INVITE", 1, &[], ""));
    r.msg(
        2,
        CALLEE,
        CALLER,
        a.answered().rsp(200, 1, "INVITE", &[], ""),
    );
    r.msg(
        3,
        CALLEE,
        CALLER,
        b.answered().rsp(200, 1, "INVITE", &[], ""),
    );
    assert_eq!(r.t.len(), 1);
    assert_eq!(r.t.counters().not_admitted, 1);
    assert_eq!(r.statuses(), [CallStatus::InCall]);
    assert_eq!(r.last().call_key, "kept");
}
