//! Registration scenarios with hand-written SIP.

#![allow(clippy::expect_used)]

use super::*;
use crate::call::testkit::{record, CALLER, PROXY, SECOND, T0};

const MS: i64 = 1000;

fn register(call_id: &str, cseq: u32, user: &str, contact: &str, expires: Option<u32>) -> String {
    let contact = match contact {
        "" => String::new(),
        c => format!("Contact: {c}\r\n"),
    };
    let expires = expires.map_or(String::new(), |e| format!("Expires: {e}\r\n"));
    format!(
        "REGISTER sip:reg.example SIP/2.0\r\n\
         Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-{call_id}-{cseq}\r\n\
         From: <sip:{user}@reg.example>;tag=f{call_id}\r\n\
         To: <sip:{user}@reg.example>\r\n\
         Call-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n{contact}{expires}\
         User-Agent: Phone/1.0\r\nContent-Length: 0\r\n\r\n"
    )
}

fn reply(call_id: &str, cseq: u32, user: &str, code: u16, extra: &str) -> String {
    format!(
        "SIP/2.0 {code} Whatever\r\n\
         Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-{call_id}-{cseq}\r\n\
         From: <sip:{user}@reg.example>;tag=f{call_id}\r\n\
         To: <sip:{user}@reg.example>;tag=r{call_id}\r\n\
         Call-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n{extra}Content-Length: 0\r\n\r\n"
    )
}

struct Run {
    t: RegTracker,
    out: Vec<RegistrationRecord>,
}

impl Run {
    fn new(cfg: RegConfig) -> Self {
        Run {
            t: RegTracker::new(cfg),
            out: Vec::new(),
        }
    }
    fn up(&mut self, at_ms: i64, sip: String) {
        self.t
            .observe(&record(T0 + at_ms * MS, CALLER, PROXY, &sip), &mut self.out);
    }
    fn down(&mut self, at_ms: i64, sip: String) {
        self.t
            .observe(&record(T0 + at_ms * MS, PROXY, CALLER, &sip), &mut self.out);
    }
    fn last(&self) -> &RegistrationRecord {
        self.out.last().expect("a registration record was written")
    }
}

const CONTACT: &str = "<sip:alice@10.0.0.1:5060>";

#[test]
fn challenge_then_success_registers() {
    let mut r = Run::new(RegConfig::default());
    r.up(0, register("r1", 1, "alice", CONTACT, Some(3600)));
    r.up(1, register("r1", 1, "alice", CONTACT, Some(3600))); // retransmission
    r.down(
        2,
        reply(
            "r1",
            1,
            "alice",
            401,
            "WWW-Authenticate: Digest realm=\"x\"\r\n",
        ),
    );
    r.down(3, reply("r1", 1, "alice", 401, "")); // relayed copy
    assert_eq!(r.out.len(), 1);
    assert_eq!(r.last().status, RegStatus::Pending);
    assert_eq!(r.last().challenges, 1);
    r.up(10, register("r1", 2, "alice", CONTACT, Some(3600)));
    r.down(
        12,
        reply(
            "r1",
            2,
            "alice",
            200,
            "Contact: <sip:alice@10.0.0.1:5060>;expires=1800\r\n",
        ),
    );
    assert_eq!(r.out.len(), 2);
    let b = r.last();
    assert_eq!(b.aor, "alice@reg.example");
    assert_eq!(b.contact, "sip:alice@10.0.0.1:5060");
    assert_eq!(b.src, CALLER);
    assert_eq!(b.user_agent.as_deref(), Some("Phone/1.0"));
    assert_eq!(b.status, RegStatus::Registered);
    assert_eq!(b.expires_s, Some(1800), "what the registrar granted");
    assert_eq!(b.expires_at_us, Some(T0 + 12 * MS + 1800 * SECOND));
    assert_eq!(b.last_success_us, Some(T0 + 12 * MS));
    assert_eq!(
        (b.attempts, b.challenges, b.successes, b.failures),
        (2, 1, 1, 0)
    );
    assert_eq!(b.first_us, T0);
    assert_eq!(b.last_us, T0 + 12 * MS);
    assert_eq!(b.call_id, "r1");
    assert_eq!(r.t.len(), 1);
    assert_eq!(r.t.pending(), 0);

    // The registration runs out without a refresh.
    r.t.tick(T0 + 12 * MS + 1800 * SECOND - 1, &mut r.out);
    assert_eq!(r.out.len(), 2);
    r.t.tick(T0 + 12 * MS + 1800 * SECOND, &mut r.out);
    assert_eq!(r.last().status, RegStatus::Expired);
    r.t.finish(&mut r.out);
    assert_eq!(r.out.len(), 3, "nothing changed since the last record");
}

#[test]
fn refresh_moves_the_expiry_and_unregister_cancels_it() {
    let mut r = Run::new(RegConfig::default());
    r.up(0, register("r2", 1, "bob", CONTACT, Some(60)));
    r.down(1, reply("r2", 1, "bob", 200, "Expires: 60\r\n"));
    r.up(50_000, register("r2", 2, "bob", CONTACT, Some(60)));
    r.down(50_001, reply("r2", 2, "bob", 200, ""));
    assert_eq!(r.last().expires_s, Some(60), "what was asked");
    r.t.tick(T0 + 61 * SECOND, &mut r.out);
    assert_eq!(r.last().status, RegStatus::Registered, "refreshed");
    r.up(70_000, register("r2", 3, "bob", CONTACT, Some(0)));
    r.down(70_001, reply("r2", 3, "bob", 200, ""));
    let b = r.last();
    assert_eq!((b.status, b.expires_at_us), (RegStatus::Unregistered, None));
    assert_eq!(b.successes, 3);
    r.t.tick(T0 + 3600 * SECOND, &mut r.out);
    assert_eq!(r.out.len(), 3);
}

#[test]
fn failures_and_timeouts() {
    let mut r = Run::new(RegConfig::default());
    r.up(0, register("f1", 1, "carol", CONTACT, Some(3600)));
    r.down(5, reply("f1", 1, "carol", 403, ""));
    let b = r.last();
    assert_eq!(b.status, RegStatus::Failed);
    assert_eq!((b.failures, b.last_failure_code), (1, Some(403)));
    assert_eq!(b.last_failure_us, Some(T0 + 5 * MS));

    r.up(1000, register("f2", 1, "dave", CONTACT, Some(3600)));
    r.t.tick(T0 + 32_999 * MS, &mut r.out);
    assert_eq!(r.out.len(), 1);
    r.t.tick(T0 + 33_000 * MS, &mut r.out);
    let b = r.last();
    assert_eq!(b.aor, "dave@reg.example");
    assert_eq!(b.status, RegStatus::Failed);
    assert_eq!(b.last_failure_code, Some(408));
    assert_eq!(r.t.pending(), 0);
    // A late answer finds no open transaction.
    r.down(40_000, reply("f2", 1, "dave", 200, ""));
    assert_eq!(r.out.len(), 2);
}

#[test]
fn query_and_wildcard_are_their_own_binding() {
    let mut r = Run::new(RegConfig::default());
    r.up(0, register("q", 1, "erin", "", None));
    r.down(
        1,
        reply(
            "q",
            1,
            "erin",
            200,
            "Contact: <sip:erin@10.0.0.9>;expires=120\r\n",
        ),
    );
    let b = r.last();
    assert_eq!((b.contact.as_str(), b.status), ("", RegStatus::Registered));
    assert_eq!(b.expires_s, Some(120));
    r.up(2, register("w", 1, "erin", "*", Some(0)));
    r.down(3, reply("w", 1, "erin", 200, ""));
    assert_eq!(r.last().status, RegStatus::Unregistered);
    assert_eq!(r.t.len(), 1, "query and wildcard share the empty contact");
}

#[test]
fn bindings_are_bounded_least_recently_seen_first() {
    let mut r = Run::new(RegConfig {
        max_bindings: 2,
        ..RegConfig::default()
    });
    r.up(0, register("a", 1, "u1", CONTACT, Some(60)));
    r.up(1, register("b", 1, "u2", CONTACT, Some(60)));
    r.up(2, register("a", 2, "u1", CONTACT, Some(60))); // u1 seen again
    r.down(3, reply("a", 1, "u1", 200, ""));
    r.up(4, register("c", 1, "u3", CONTACT, Some(60))); // u2 goes
    assert_eq!(r.t.len(), 2);
    assert!(r.t.pending() <= 2);
    r.t.finish(&mut r.out);
    let aors: Vec<_> = r.out.iter().map(|b| b.aor.as_str()).collect();
    assert!(!aors.contains(&"u2@reg.example"), "{aors:?}");
    assert!(r.t.is_empty());
}

#[test]
fn other_messages_are_ignored() {
    let mut r = Run::new(RegConfig::default());
    r.up(
        0,
        reply("x", 1, "alice", 200, "").replace("REGISTER", "OPTIONS"),
    );
    r.up(
        0,
        crate::call::testkit::Dialog::new("y").req("OPTIONS", 1, &[], ""),
    );
    assert!(r.t.is_empty());
    assert!(r.out.is_empty());
}
