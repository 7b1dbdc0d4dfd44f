//! Call diagnosis: one hand-made message sequence per finding, and the lab capture.

mod lab_capture;

use argos_model::{CallRecord, CallStatus, StoredMessage};
use argos_track::diagnose::{diagnose, Finding, Level};
use lab_capture::record;

const S: i64 = 1_000_000;
const T0: i64 = 1_764_000_000 * S;

const CALLER: &str = "10.0.0.1:5060";
const CALLEE: &str = "10.0.0.5:5060";

/// Builds a call from (seconds after T0, src, dst, SIP text) with ids 1, 2, 3...
fn call(msgs: &[(f64, &str, &str, String)]) -> Vec<StoredMessage> {
    msgs.iter()
        .enumerate()
        .map(|(i, (t, src, dst, sip))| StoredMessage {
            id: i as u64 + 1,
            record: record(T0 + (t * S as f64) as i64, src, dst, sip),
        })
        .collect()
}

fn sdp(ip: &str, pts: &str, extra: &str) -> String {
    let mut s = format!(
        "v=0\no=- 1 1 IN IP4 {ip}\ns=-\nc=IN IP4 {ip}\nt=0 0\nm=audio 4000 RTP/AVP {pts}\n"
    );
    for pt in pts.split(' ') {
        let name = match pt {
            "0" => "PCMU/8000",
            "8" => "PCMA/8000",
            "18" => "G729/8000",
            "9" => "G722/8000",
            "111" => "opus/48000/2",
            "101" => "telephone-event/8000",
            _ => continue,
        };
        s.push_str(&format!("a=rtpmap:{pt} {name}\n"));
    }
    s.push_str(extra);
    s
}

fn with_body(head: &str, body: &str) -> String {
    let body = body.replace('\n', "\r\n");
    format!(
        "{head}Content-Type: application/sdp\nContent-Length: {}\n\n{body}",
        body.len()
    )
    .replace("\r\r\n", "\r\n")
}

fn invite(cseq: u32, to_tag: Option<&str>, extra: &str) -> String {
    let tt = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    format!("INVITE sip:1002@10.0.0.5 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK{cseq}\nFrom: <sip:1001@a>;tag=caller\nTo: <sip:1002@b>{tt}\nCall-ID: call-1@x\nCSeq: {cseq} INVITE\nContact: <sip:1001@10.0.0.1>\nMax-Forwards: 70\n{extra}")
}

fn plain_invite() -> String {
    invite(1, None, "Content-Length: 0\n\n")
}

fn rsp(code: u16, reason: &str, method: &str, cseq: u32, to_tag: bool, extra: &str) -> String {
    let tt = if to_tag { ";tag=callee" } else { "" };
    let tail = if extra.is_empty() {
        "Content-Length: 0\n\n"
    } else {
        extra
    };
    format!("SIP/2.0 {code} {reason}\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK{cseq}\nFrom: <sip:1001@a>;tag=caller\nTo: <sip:1002@b>{tt}\nCall-ID: call-1@x\nCSeq: {cseq} {method}\n{tail}")
}

fn req(method: &str, cseq: u32, extra: &str) -> String {
    format!("{method} sip:1002@10.0.0.5 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK{method}{cseq}\nFrom: <sip:1001@a>;tag=caller\nTo: <sip:1002@b>;tag=callee\nCall-ID: call-1@x\nCSeq: {cseq} {method}\n{extra}Content-Length: 0\n\n")
}

fn req_from_callee(method: &str, cseq: u32, extra: &str) -> String {
    format!("{method} sip:1001@10.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bKc{method}{cseq}\nFrom: <sip:1002@b>;tag=callee\nTo: <sip:1001@a>;tag=caller\nCall-ID: call-1@x\nCSeq: {cseq} {method}\n{extra}Content-Length: 0\n\n")
}

/// Findings for a call built with [`call`], without a call record.
fn diagnosed(msgs: &[(f64, &str, &str, String)]) -> Vec<Finding> {
    diagnose(None, &call(msgs))
}

fn find<'f>(f: &'f [Finding], code: &str) -> &'f Finding {
    f.iter()
        .find(|x| x.code == code)
        .unwrap_or_else(|| panic!("no {code} finding in {f:#?}"))
}

fn codes(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|x| x.code).collect()
}

#[test]
fn invite_retransmitted_without_response() {
    let times = [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5];
    let msgs: Vec<_> = times
        .iter()
        .map(|t| (*t, CALLER, CALLEE, plain_invite()))
        .collect();
    let f = diagnosed(&msgs);
    let x = find(&f, "no_response");
    assert_eq!(x.level, Level::Problem);
    assert_eq!(
        x.text,
        "INVITE retransmitted 6 times over 31.5 s, no response from 10.0.0.5:5060"
    );
    assert_eq!(x.message_ids, [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(codes(&f), ["no_response"]);
}

#[test]
fn a_fresh_invite_alone_is_not_yet_a_timeout_but_a_timed_out_record_is() {
    let msgs = call(&[(0.0, CALLER, CALLEE, plain_invite())]);
    assert!(diagnose(None, &msgs).is_empty());
    let rec = CallRecord {
        status: CallStatus::Timeout,
        ..CallRecord::default()
    };
    let f = diagnose(Some(&rec), &msgs);
    assert_eq!(
        find(&f, "no_response").text,
        "INVITE got no response from 10.0.0.5:5060"
    );
}

#[test]
fn invite_retransmitted_before_a_late_answer() {
    let f = diagnosed(&[
        (0.0, CALLER, CALLEE, plain_invite()),
        (0.5, CALLER, CALLEE, plain_invite()),
        // the same packet captured twice is not a retransmission
        (0.501, CALLER, CALLEE, plain_invite()),
        (1.5, CALLER, CALLEE, plain_invite()),
        (
            2.0,
            CALLEE,
            CALLER,
            rsp(100, "Trying", "INVITE", 1, false, ""),
        ),
    ]);
    let x = find(&f, "invite_retransmitted");
    assert_eq!(x.level, Level::Warning);
    assert!(x.text.starts_with("INVITE to 10.0.0.5:5060 retransmitted 2 times before the first response (2.0 s after the INVITE)"), "{}", x.text);
}

#[test]
fn busy_names_the_code_its_sender_and_when() {
    let f = diagnosed(&[
        (0.0, CALLER, CALLEE, plain_invite()),
        (
            0.1,
            CALLEE,
            CALLER,
            rsp(100, "Trying", "INVITE", 1, false, ""),
        ),
        (
            3.2,
            CALLEE,
            CALLER,
            rsp(
                486,
                "Busy Here",
                "INVITE",
                1,
                true,
                "Reason: Q.850;cause=17\nContent-Length: 0\n\n",
            ),
        ),
        (3.25, CALLER, CALLEE, req("ACK", 1, "")),
    ]);
    let x = find(&f, "final_response");
    assert_eq!(x.text, "486 Busy Here from 10.0.0.5:5060 after 3.2 s");
    assert_eq!(x.level, Level::Info);
    assert_eq!(x.message_ids, [3]);
    let q = find(&f, "q850_cause");
    assert_eq!(
        q.text,
        "486 Busy Here from 10.0.0.5:5060 with Q.850 cause 17 (user busy)"
    );
}

#[test]
fn failure_relayed_through_a_proxy_is_attributed_to_its_originator() {
    let proxy = "10.0.0.3:5060";
    let f = diagnosed(&[
        (0.0, CALLER, proxy, plain_invite()),
        (0.01, proxy, CALLEE, plain_invite()),
        (
            0.5,
            CALLEE,
            proxy,
            rsp(503, "Service Unavailable", "INVITE", 1, true, ""),
        ),
        (
            0.51,
            proxy,
            CALLER,
            rsp(503, "Service Unavailable", "INVITE", 1, true, ""),
        ),
    ]);
    let x = find(&f, "final_response");
    assert_eq!(
        x.text,
        "503 Service Unavailable from 10.0.0.5:5060 after 0.5 s"
    );
    assert_eq!(x.level, Level::Problem);
    assert_eq!(x.message_ids, [3, 4]);
}

#[test]
fn codec_mismatch_with_the_callees_codecs() {
    let offer = with_body(&invite(1, None, ""), &sdp("10.0.0.1", "0 18 101", ""));
    let refusal = with_body(
        "SIP/2.0 488 Not Acceptable Here\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\nFrom: <sip:1001@a>;tag=caller\nTo: <sip:1002@b>;tag=callee\nCall-ID: call-1@x\nCSeq: 1 INVITE\nWarning: 305 callee \"Incompatible media format\"\n",
        &sdp("10.0.0.5", "9 111", ""),
    );
    let f = diagnosed(&[
        (0.0, CALLER, CALLEE, offer.clone()),
        (0.2, CALLEE, CALLER, refusal),
    ]);
    let x = find(&f, "codec_mismatch");
    assert_eq!(x.level, Level::Problem);
    assert_eq!(
        x.text,
        "no common codec: offer PCMU, G729; callee supports G722, opus (488 Not Acceptable Here from 10.0.0.5:5060); Warning: 305 callee \"Incompatible media format\""
    );
    assert_eq!(x.message_ids, [1, 2]);
    assert!(
        f.iter().all(|x| x.code != "final_response"),
        "the codec finding already names the 488: {f:#?}"
    );

    // Without an SDP in the 488: say what was refused.
    let f = diagnosed(&[
        (0.0, CALLER, CALLEE, offer),
        (
            0.2,
            CALLEE,
            CALLER,
            rsp(488, "Not Acceptable Here", "INVITE", 1, true, ""),
        ),
    ]);
    assert_eq!(
        find(&f, "codec_mismatch").text,
        "488 Not Acceptable Here from 10.0.0.5:5060: the callee refused the offered media (PCMU/G729)"
    );
}

#[test]
fn answer_without_a_common_codec() {
    let offer = with_body(&invite(1, None, ""), &sdp("10.0.0.1", "0 8", ""));
    let ok = with_body(
        &rsp(
            200,
            "OK",
            "INVITE",
            1,
            true,
            "Contact: <sip:1002@10.0.0.5>\n",
        ),
        &sdp("10.0.0.5", "18", ""),
    );
    let f = diagnosed(&[
        (0.0, CALLER, CALLEE, offer),
        (1.0, CALLEE, CALLER, ok),
        (1.1, CALLER, CALLEE, req("ACK", 1, "")),
    ]);
    assert_eq!(
        find(&f, "codec_mismatch").text,
        "no common codec: offer PCMU, PCMA; answer from 10.0.0.5:5060 has G729 (audio may fail)"
    );
}

#[test]
fn private_contact_and_sdp_behind_a_public_source_is_nat() {
    let public = "203.0.113.7:5060";
    let head = "INVITE sip:1002@198.51.100.1 SIP/2.0\nVia: SIP/2.0/UDP 192.168.1.10;branch=z9hG4bK1\nFrom: <sip:1001@a>;tag=caller\nTo: <sip:1002@b>\nCall-ID: call-1@x\nCSeq: 1 INVITE\nContact: <sip:1001@192.168.1.10:5060>\n";
    let inv = with_body(head, &sdp("192.168.1.10", "0", ""));
    let f = diagnosed(&[(0.0, public, "198.51.100.1:5060", inv)]);
    let x = find(&f, "nat");
    assert_eq!(x.level, Level::Warning);
    assert_eq!(
        x.text,
        "Contact and SDP carry a private address 192.168.1.10 behind public source 203.0.113.7 (NAT): INVITE from 203.0.113.7:5060"
    );
    // The same from a private source is a LAN call, not NAT.
    let inv = with_body(head, &sdp("192.168.1.10", "0", ""));
    let f = diagnosed(&[(0.0, "192.168.1.10:5060", "192.168.1.1:5060", inv)]);
    assert!(f.iter().all(|x| x.code != "nat"), "{f:#?}");
}

#[test]
fn one_way_audio_risk_during_setup_but_hold_after_answer() {
    let offer = with_body(&invite(1, None, ""), &sdp("0.0.0.0", "0", ""));
    let ok = with_body(
        &rsp(
            200,
            "OK",
            "INVITE",
            1,
            true,
            "Contact: <sip:1002@10.0.0.5>\n",
        ),
        &sdp("10.0.0.5", "0", "a=recvonly\n"),
    );
    let hold = with_body(
        &invite(2, Some("callee"), ""),
        &sdp("10.0.0.1", "0", "a=sendonly\n"),
    );
    let f = diagnosed(&[
        (0.0, CALLER, CALLEE, offer),
        (1.0, CALLEE, CALLER, ok),
        (1.1, CALLER, CALLEE, req("ACK", 1, "")),
        (20.0, CALLER, CALLEE, hold),
    ]);
    let oneway: Vec<&Finding> = f.iter().filter(|x| x.code == "one_way_audio").collect();
    assert_eq!(oneway.len(), 2, "{f:#?}");
    assert_eq!(
        oneway[0].text,
        "SDP offer from 10.0.0.1:5060 has c=0.0.0.0: no audio will be sent to it (one-way or no audio)"
    );
    assert_eq!(
        oneway[1].text,
        "SDP answer from 10.0.0.5:5060 is a=recvonly during call setup (not a hold): one-way audio risk"
    );
    let hold = find(&f, "hold");
    assert_eq!(hold.level, Level::Info);
    assert_eq!(
        hold.text,
        "call put on hold by 10.0.0.1:5060 20.0 s into the call (a=sendonly)"
    );
    assert_eq!(hold.message_ids, [4]);
}

#[test]
fn cancel_after_ringing_and_before_it() {
    let f = diagnosed(&[
        (0.0, CALLER, CALLEE, plain_invite()),
        (
            1.0,
            CALLEE,
            CALLER,
            rsp(180, "Ringing", "INVITE", 1, true, ""),
        ),
        (
            4.5,
            CALLER,
            CALLEE,
            req("CANCEL", 1, "").replace(";tag=callee", ""),
        ),
        (4.51, CALLEE, CALLER, rsp(200, "OK", "CANCEL", 1, true, "")),
        (
            4.52,
            CALLEE,
            CALLER,
            rsp(487, "Request Terminated", "INVITE", 1, true, ""),
        ),
    ]);
    let x = find(&f, "cancelled");
    assert_eq!(
        (x.level, x.text.as_str()),
        (
            Level::Info,
            "CANCEL after 3.5 s of ringing, from 10.0.0.1:5060 (4.5 s after the INVITE)"
        )
    );
    assert_eq!(x.message_ids, [1, 2, 3]);
    assert!(
        f.iter().all(|x| x.code != "final_response"),
        "the 487 is the CANCEL's: {f:#?}"
    );

    let f = diagnosed(&[
        (0.0, CALLER, CALLEE, plain_invite()),
        (
            0.05,
            CALLEE,
            CALLER,
            rsp(100, "Trying", "INVITE", 1, false, ""),
        ),
        (
            9.0,
            CALLER,
            CALLEE,
            req("CANCEL", 1, "").replace(";tag=callee", ""),
        ),
    ]);
    let x = find(&f, "cancelled");
    assert_eq!(
        (x.level, x.text.as_str()),
        (
            Level::Warning,
            "CANCEL 9.0 s after the INVITE, before any ringing, from 10.0.0.1:5060"
        )
    );
}

#[test]
fn answer_never_acknowledged() {
    let ok = || rsp(200, "OK", "INVITE", 1, true, "");
    let f = diagnosed(&[
        (0.0, CALLER, CALLEE, plain_invite()),
        (1.0, CALLEE, CALLER, ok()),
        (1.5, CALLEE, CALLER, ok()),
        (2.5, CALLEE, CALLER, ok()),
        (33.0, CALLEE, CALLER, req_from_callee("BYE", 1, "")),
    ]);
    let x = find(&f, "no_ack");
    assert_eq!(x.level, Level::Problem);
    assert_eq!(
        x.text,
        "200 OK from 10.0.0.5:5060 was never acknowledged (no ACK seen); BYE from 10.0.0.5:5060 32.0 s after the answer"
    );
    assert_eq!(x.message_ids, [2, 3, 4, 5]);
    assert_eq!(f[0].code, "no_ack", "problems first: {f:#?}");
}

#[test]
fn answered_call_account_short_call_and_release_cause() {
    let f = diagnosed(&[
        (0.0, CALLER, CALLEE, plain_invite()),
        (
            0.3,
            CALLEE,
            CALLER,
            rsp(180, "Ringing", "INVITE", 1, true, ""),
        ),
        (1.0, CALLEE, CALLER, rsp(200, "OK", "INVITE", 1, true, "")),
        (1.05, CALLER, CALLEE, req("ACK", 1, "")),
        (
            1.8,
            CALLEE,
            CALLER,
            req_from_callee(
                "BYE",
                1,
                "Reason: Q.850;cause=38;text=\"Network out of order\"\n",
            ),
        ),
        (1.81, CALLER, CALLEE, rsp(200, "OK", "BYE", 1, true, "")),
    ]);
    assert_eq!(
        find(&f, "answered").text,
        "answered 1.0 s after the INVITE by 10.0.0.5:5060; talked 0.8 s, BYE from the callee (10.0.0.5:5060)"
    );
    assert_eq!(
        find(&f, "short_call").text,
        "call ended 0.8 s after answer: BYE from the callee (10.0.0.5:5060), dropped right after answer?"
    );
    let q = find(&f, "q850_cause");
    assert_eq!(
        (q.level, q.text.as_str()),
        (
            Level::Problem,
            "BYE from 10.0.0.5:5060 with Q.850 cause 38 (network out of order)"
        )
    );
}

#[test]
fn challenge_loop() {
    let mut msgs = Vec::new();
    for c in 1..=4u32 {
        let t = f64::from(c);
        msgs.push((t, CALLER, CALLEE, invite(c, None, "Content-Length: 0\n\n")));
        msgs.push((
            t + 0.01,
            CALLEE,
            CALLER,
            rsp(407, "Proxy Authentication Required", "INVITE", c, true, ""),
        ));
    }
    let f = diagnosed(&msgs);
    let x = find(&f, "auth_loop");
    assert_eq!(x.level, Level::Problem);
    assert_eq!(
        x.text,
        "INVITE challenged 4 times (407 Proxy Authentication Required from 10.0.0.5:5060): the credentials are being rejected"
    );
    assert_eq!(x.message_ids, [2, 4, 6, 8]);
    // One challenge then success is normal.
    let f = diagnosed(&[
        (
            0.0,
            CALLER,
            CALLEE,
            invite(1, None, "Content-Length: 0\n\n"),
        ),
        (
            0.01,
            CALLEE,
            CALLER,
            rsp(407, "Proxy Authentication Required", "INVITE", 1, true, ""),
        ),
        (
            0.1,
            CALLER,
            CALLEE,
            invite(2, None, "Content-Length: 0\n\n"),
        ),
        (
            0.5,
            CALLEE,
            CALLER,
            rsp(486, "Busy Here", "INVITE", 2, true, ""),
        ),
    ]);
    assert_eq!(codes(&f), ["final_response"]);
    assert_eq!(f[0].text, "486 Busy Here from 10.0.0.5:5060 after 0.5 s");
}

#[test]
fn long_post_dial_delay() {
    let f = diagnosed(&[
        (0.0, CALLER, CALLEE, plain_invite()),
        (
            7.3,
            CALLEE,
            CALLER,
            rsp(180, "Ringing", "INVITE", 1, true, ""),
        ),
    ]);
    assert_eq!(
        find(&f, "long_pdd").text,
        "long post-dial delay: first ringing 7.3 s after the INVITE"
    );
}

#[test]
fn reinvite_failure_and_glare() {
    let f = diagnosed(&[
        (0.0, CALLER, CALLEE, plain_invite()),
        (1.0, CALLEE, CALLER, rsp(200, "OK", "INVITE", 1, true, "")),
        (1.05, CALLER, CALLEE, req("ACK", 1, "")),
        (
            10.0,
            CALLER,
            CALLEE,
            invite(2, Some("callee"), "Content-Length: 0\n\n"),
        ),
        (
            10.1,
            CALLEE,
            CALLER,
            rsp(491, "Request Pending", "INVITE", 2, true, ""),
        ),
        (
            20.0,
            CALLER,
            CALLEE,
            invite(3, Some("callee"), "Content-Length: 0\n\n"),
        ),
        (
            20.1,
            CALLEE,
            CALLER,
            rsp(488, "Not Acceptable Here", "INVITE", 3, true, ""),
        ),
    ]);
    let r: Vec<&Finding> = f.iter().filter(|x| x.code == "reinvite_failed").collect();
    assert_eq!(r.len(), 2, "{f:#?}");
    assert_eq!(r[0].text, "re-INVITE from 10.0.0.1:5060 failed: 491 Request Pending from 10.0.0.5:5060 10.1 s into the call (glare: both sides sent a re-INVITE at once; normally retried)");
    assert_eq!(r[1].message_ids, [6, 7]);
    // A re-INVITE's 488 is not the call's codec failure nor its final response.
    assert!(f.iter().all(|x| x.code != "final_response"), "{f:#?}");
}

#[test]
fn bye_without_response() {
    let f = diagnosed(&[
        (0.0, CALLER, CALLEE, plain_invite()),
        (1.0, CALLEE, CALLER, rsp(200, "OK", "INVITE", 1, true, "")),
        (1.05, CALLER, CALLEE, req("ACK", 1, "")),
        (30.0, CALLER, CALLEE, req("BYE", 2, "")),
        (30.5, CALLER, CALLEE, req("BYE", 2, "")),
        (31.5, CALLER, CALLEE, req("BYE", 2, "")),
    ]);
    assert_eq!(
        find(&f, "bye_no_response").text,
        "BYE from 10.0.0.1:5060 retransmitted 2 times over 1.5 s, no response from 10.0.0.5:5060"
    );
}

#[test]
fn findings_serialize_for_the_api() {
    let f = diagnosed(&[
        (0.0, CALLER, CALLEE, plain_invite()),
        (
            3.2,
            CALLEE,
            CALLER,
            rsp(486, "Busy Here", "INVITE", 1, true, ""),
        ),
    ]);
    let v = serde_json::to_value(&f[0]).expect("json");
    assert_eq!(v["level"], "info");
    assert_eq!(v["code"], "final_response");
    assert_eq!(v["message_ids"], serde_json::json!([2]));
    assert!(diagnose(None, &[]).is_empty());
}

// ---------------------------------------------------------------- lab capture

#[test]
fn lab_busy_and_cancelled_calls() {
    let Some(path) = lab_capture::testdata("lab/lab-calls.pcap") else {
        return;
    };
    let records = lab_capture::read_records(&path);
    let calls = lab_capture::calls(&records);
    let (mut busy, mut cancelled, mut answered) = (0, 0, 0);
    for msgs in calls.values() {
        let has = |pred: &dyn Fn(&StoredMessage) -> bool| msgs.iter().any(pred);
        let f = diagnose(None, msgs);
        let problems: Vec<&Finding> = f.iter().filter(|x| x.level == Level::Problem).collect();
        assert!(problems.is_empty(), "lab calls have no problem: {f:#?}");
        if has(&|m| m.record.fields.status == Some(486)) {
            busy += 1;
            let x = find(&f, "final_response");
            assert!(
                x.text
                    .starts_with("486 Busy Here from 127.0.0.1:5091 after "),
                "{}",
                x.text
            );
        } else if has(&|m| m.record.fields.method.as_deref() == Some("CANCEL")) {
            cancelled += 1;
            let x = find(&f, "cancelled");
            assert!(x.text.starts_with("CANCEL after 0."), "{}", x.text);
            assert!(
                x.text.contains(" s of ringing, from 127.0.0.1:5073"),
                "{}",
                x.text
            );
        } else if has(&|m| m.record.fields.method.as_deref() == Some("INVITE")) {
            answered += 1;
            assert!(f.iter().any(|x| x.code == "answered"), "{f:#?}");
        }
    }
    // truth: busy_486 10, cancelled_487 8, answered 20 + 3 + 6
    assert_eq!((busy, cancelled, answered), (10, 8, 29));
}

#[test]
fn a_caller_hanging_up_quickly_is_information_not_a_drop() {
    let f = diagnosed(&[
        (0.0, CALLER, CALLEE, plain_invite()),
        (1.0, CALLEE, CALLER, rsp(200, "OK", "INVITE", 1, true, "")),
        (1.05, CALLER, CALLEE, req("ACK", 1, "")),
        (1.5, CALLER, CALLEE, req("BYE", 2, "")),
    ]);
    let x = find(&f, "short_call");
    assert_eq!(x.level, Level::Info);
    assert_eq!(
        x.text,
        "call ended 0.5 s after answer: BYE from the caller (10.0.0.1:5060)"
    );
}

#[test]
fn what_the_capture_missed_is_not_guessed() {
    // A failure to an INVITE that is not in the capture is not called a re-INVITE.
    let f = diagnosed(&[(
        0.0,
        CALLEE,
        CALLER,
        rsp(403, "Forbidden", "INVITE", 7, true, ""),
    )]);
    assert!(f.is_empty(), "{f:#?}");
    // A registrar's 200 lists the device's (private) Contact: not the registrar's NAT.
    let reg_ok = "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 192.168.1.2;branch=z9hG4bKr\nFrom: <sip:1001@a>;tag=r\nTo: <sip:1001@a>;tag=s\nCall-ID: reg@x\nCSeq: 2 REGISTER\nContact: <sip:1001@192.168.1.2:5060>;expires=3600\nContent-Length: 0\n\n";
    let f = diagnosed(&[(
        0.0,
        "212.27.52.5:5060",
        "198.51.100.9:5060",
        reg_ok.to_owned(),
    )]);
    assert!(f.is_empty(), "{f:#?}");
}
