//! The lab capture (`shared/testdata/lab/lab-calls.pcap`: SIPp callers and callees
//! through a Kamailio proxy that adds X-CID on the b-leg) fed through the [`Tracker`],
//! checked against `lab-calls.truth.json` twice: once from the SIP on the wire, once from
//! the HEP copies Kamailio sent to udp/9060 (what a live collector receives). Each run
//! takes one of the two, so no message counts twice.
//!
//! Records are built the way argos-server builds them: plain SIP over UDP and
//! reassembled TCP (`argos import`) or decoded HEP (the collector), searchable fields
//! from the argos-sip summary, `call_key` from X-CID (else a HEP correlation id naming
//! another Call-ID) with one hop of Call-ID → a-leg linking. A minimal copy of
//! argos-server's `pcap_input`, `hep_input` and `pipeline`, which this crate must not
//! depend on (the server depends on it).

#![allow(clippy::expect_used)]

use argos_model::{
    CallRecord, CallStatus, Capture, MessageFields, PayloadKind, Record, RegStatus,
    RegistrationRecord, Transport,
};
use argos_net::{
    decode_packet, CaptureReader, ReassemblyLimits, SipTcpReassembler, TcpMessage, TransportHeader,
};
use argos_track::{Tracker, TrackerConfig};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// `shared/testdata/lab/<name>` beside the repository (CI: X/argos and X/shared).
fn lab_file(name: &str) -> Option<PathBuf> {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let shared = [beside, PathBuf::from("/work/shared")]
        .into_iter()
        .find(|p| p.is_dir());
    let Some(shared) = shared else {
        eprintln!("SKIP lab test: no shared/ directory beside the repository (or /work/shared)");
        return None;
    };
    let p = shared.join("testdata/lab").join(name);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("SKIP lab test: {} not found", p.display());
        None
    }
}

/// Same cheap check as `argos import`: the first line of a SIP request or response.
fn looks_like_sip(p: &[u8]) -> bool {
    let p = p.trim_ascii_start();
    if p.starts_with(b"SIP/2.0 ") {
        return true;
    }
    let line = p.split(|&b| b == b'\n').next().unwrap_or(p);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match line.iter().position(|&b| b == b' ') {
        Some(sp) => {
            sp > 0 && line[..sp].iter().all(u8::is_ascii_alphabetic) && line.ends_with(b" SIP/2.0")
        }
        None => false,
    }
}

fn tcp_capture(m: TcpMessage) -> Capture {
    Capture::new(
        m.ts_us,
        m.src,
        m.dst,
        Transport::Tcp,
        PayloadKind::SIP,
        m.data.into(),
    )
}

/// Which copy of the lab's messages to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// UDP datagrams that look like SIP and reassembled TCP messages.
    Wire,
    /// The HEP packets on udp/9060, decoded.
    Hep,
}

/// The SIP messages of a capture file in file order, from one source.
fn read_captures(path: &Path, source: Source) -> Vec<Capture> {
    let bytes = std::fs::read(path).expect("read the lab capture");
    let mut reader = CaptureReader::new(&bytes[..]).expect("a pcap file");
    let mut tcp = SipTcpReassembler::new(ReassemblyLimits::default());
    let mut tcp_out = Vec::new();
    let mut caps = Vec::new();
    while let Some(frame) = reader.next_frame() {
        let frame = frame.expect("an intact capture");
        let Ok(pkt) = decode_packet(frame.link_type, frame.data) else {
            continue;
        };
        match (source, pkt.transport) {
            (Source::Wire, TransportHeader::Udp { src_port, dst_port })
                if looks_like_sip(pkt.payload) =>
            {
                caps.push(Capture::new(
                    frame.ts_us,
                    SocketAddr::new(pkt.src, src_port),
                    SocketAddr::new(pkt.dst, dst_port),
                    Transport::Udp,
                    PayloadKind::SIP,
                    pkt.payload.to_vec().into(),
                ));
            }
            (
                Source::Wire,
                TransportHeader::Tcp {
                    src_port,
                    dst_port,
                    seq,
                    ..
                },
            ) if !pkt.payload.is_empty() => {
                let src = SocketAddr::new(pkt.src, src_port);
                let dst = SocketAddr::new(pkt.dst, dst_port);
                tcp.push(frame.ts_us, src, dst, seq, pkt.payload, &mut tcp_out);
                caps.extend(tcp_out.drain(..).map(tcp_capture));
            }
            (Source::Hep, TransportHeader::Udp { dst_port: 9060, .. }) => {
                caps.push(hep_capture(pkt.payload));
            }
            _ => {}
        }
    }
    tcp.flush_all(&mut tcp_out);
    caps.extend(tcp_out.drain(..).map(tcp_capture));
    caps
}

/// argos-server's `hep_input::capture_from_frame`, for the lab's well-formed packets.
fn hep_capture(frame: &[u8]) -> Capture {
    let pkt = argos_hep::decode(frame).expect("the lab's HEP decodes");
    assert_eq!(pkt.auth_key, Some(&b"labsecret"[..]));
    let text = |b: Option<&[u8]>| {
        b.filter(|b| !b.is_empty())
            .map(|b| String::from_utf8_lossy(b).into_owned().into_boxed_str())
    };
    Capture {
        ts_us: i64::from(pkt.ts_sec) * 1_000_000 + i64::from(pkt.ts_usec),
        src: SocketAddr::new(pkt.src_ip, pkt.src_port),
        dst: SocketAddr::new(pkt.dst_ip, pkt.dst_port),
        transport: Transport::from_ip_proto(pkt.ip_proto),
        kind: PayloadKind(pkt.proto_type.0),
        capture_id: pkt.capture_id,
        node: text(pkt.node_name),
        correlation_id: text(pkt.correlation_id),
        vlan: pkt.vlan_id,
        payload: pkt.payload.into_owned().into(),
    }
}

fn own(s: Option<&str>) -> Option<String> {
    s.filter(|v| !v.is_empty()).map(str::to_owned)
}

/// argos-server's `pipeline::fields_of`.
fn fields_of(s: &argos_sip::SipSummary<'_>) -> MessageFields {
    MessageFields {
        method: own(s.method),
        status: s.status,
        reason: own(s.reason),
        ruri: own(s.ruri),
        ruri_user: own(s.ruri_user),
        ruri_domain: own(s.ruri_domain),
        from_user: own(s.from_user),
        from_domain: own(s.from_domain),
        from_tag: own(s.from_tag),
        to_user: own(s.to_user),
        to_domain: own(s.to_domain),
        to_tag: own(s.to_tag),
        pai_user: own(s.pai_user),
        contact_user: own(s.contact_user),
        contact_ip: own(s.contact_ip),
        contact_port: s.contact_port,
        auth_user: own(s.auth_user),
        call_id: own(s.call_id),
        a_leg: own(s.a_leg.as_deref()),
        via_branch: own(s.via_branch),
        cseq_num: s.cseq_num,
        cseq_method: own(s.cseq_method),
        diversion_user: own(s.diversion_user),
        reason_header: own(s.reason_header),
        content_type: own(s.content_type),
        user_agent: own(s.user_agent),
        expires: s.expires,
        sdp_media: s
            .sdp
            .as_ref()
            .map(|sdp| sdp.media_summary())
            .filter(|m| !m.is_empty()),
        call_key: None,
    }
}

/// Parsed records with `call_key` set like argos-server's `Linker`: X-CID (else a HEP
/// correlation id that is not the message's own Call-ID) names the a-leg; Call-IDs
/// linked to an a-leg keep its key.
fn records(caps: Vec<Capture>) -> Vec<Record> {
    let cfg = argos_sip::FieldConfig::default();
    let mut a_leg_of: HashMap<String, String> = HashMap::new();
    caps.into_iter()
        .map(|capture| {
            let mut fields = MessageFields::default();
            if capture.kind == PayloadKind::SIP {
                if let Ok(m) = argos_sip::parse(&capture.payload) {
                    fields = fields_of(&m.summary(&cfg));
                }
            }
            let hep_cid = capture.correlation_id.as_deref().map(str::to_owned);
            fields.call_key = fields.call_id.clone().map(|cid| {
                let named = fields.a_leg.clone().or(hep_cid.filter(|c| *c != cid));
                match named {
                    Some(a) => {
                        let root = a_leg_of.get(&a).cloned().unwrap_or(a);
                        if root != cid {
                            a_leg_of.insert(cid, root.clone());
                        }
                        root
                    }
                    None => a_leg_of.get(&cid).cloned().unwrap_or(cid),
                }
            });
            Record { capture, fields }
        })
        .collect()
}

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
    let (Some(pcap), Some(truth)) = (lab_file("lab-calls.pcap"), lab_file("lab-calls.truth.json"))
    else {
        return;
    };
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(truth).expect("read truth")).expect("truth json");
    let n = |k: &str| truth[k].as_u64().expect("a count in the truth file") as usize;

    let records = records(read_captures(&pcap, source));
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
