//! SDP → Call-ID correlation: SDP attribute handling, bounds and expiry, and every RTP
//! and RTCP datagram of the public SIP+RTP captures mapped to its call.

#![allow(clippy::unwrap_used)] // tests: inputs are known-good

mod common;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use argos_rtp::media_map::{MediaMap, MediaMapLimits};
use argos_rtp::sdp_media::media_endpoints;
use argos_rtp::{rtcp, rtp};

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=rtcp:4005 IN IP4 10.0.0.9\r\n\
m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=rtcp-mux\r\n\
m=audio 0 RTP/AVP 0\r\n\
m=image 6000 udptl t38\r\n";

#[test]
fn sdp_endpoints() {
    let eps = media_endpoints(SDP.as_bytes());
    assert_eq!(eps.len(), 2);
    assert_eq!(eps[0].rtp, sa("10.0.0.1:4000"));
    assert_eq!(eps[0].rtcp, sa("10.0.0.9:4005"));
    assert!(!eps[0].rtcp_mux);
    assert_eq!(
        eps[0].payloads.get(101).map(|f| f.encoding.as_str()),
        Some("telephone-event")
    );
    assert_eq!(eps[1].kind, "video");
    assert_eq!(eps[1].rtcp, sa("10.0.0.1:5000"));
    assert!(eps[1].rtcp_mux);
    let plain = "v=0\r\nc=IN IP6 2001:db8::1\r\nm=audio 30000 RTP/AVP 8\r\n";
    let eps = media_endpoints(plain.as_bytes());
    assert_eq!(eps[0].rtcp, sa("[2001:db8::1]:30001"));
    let opus =
        "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 30000 RTP/AVP 111 0\r\na=rtpmap:111 opus/48000/2\r\n";
    assert_eq!(media_endpoints(opus.as_bytes())[0].clock_rate, 48000);
    assert!(media_endpoints(b"not sdp").is_empty());
}

#[test]
fn lookup_both_ends_end_of_call_and_idle() {
    let mut m = MediaMap::new(MediaMapLimits {
        max_entries: 100,
        idle_timeout_us: 60_000_000,
        end_linger_us: 5_000_000,
    });
    let sip_src: IpAddr = "192.0.2.7".parse().unwrap();
    m.add_sdp("call-1", SDP.as_bytes(), sip_src, 0);
    // RTP port, RTCP port (a=rtcp address), the SIP source address with the same ports.
    let far = sa("198.51.100.1:7000");
    assert_eq!(m.lookup(far, sa("10.0.0.1:4000")), Some("call-1"));
    assert_eq!(m.lookup(sa("10.0.0.1:4000"), far), Some("call-1"));
    assert_eq!(m.lookup(far, sa("10.0.0.9:4005")), Some("call-1"));
    assert_eq!(m.lookup(far, sa("192.0.2.7:4005")), Some("call-1"));
    assert_eq!(m.lookup(far, sa("10.0.0.1:5000")), Some("call-1"));
    assert!(m
        .lookup_entry(far, sa("10.0.0.1:5000"))
        .is_some_and(|e| e.rtp && e.rtcp));
    assert_eq!(m.lookup(far, sa("10.0.0.1:4002")), None);
    assert_eq!(m.calls(), 1);

    m.end_call("call-1", 10_000_000);
    assert_eq!(m.expire(12_000_000), 0, "kept during the linger");
    assert_eq!(m.lookup(far, sa("10.0.0.1:4000")), Some("call-1"));
    assert_eq!(m.expire(15_000_000), m.stats().ended as usize);
    assert!(m.is_empty());
    assert_eq!(m.calls(), 0);

    m.add_sdp("call-2", SDP.as_bytes(), sip_src, 0);
    assert!(m
        .lookup_touch(far, sa("10.0.0.1:4000"), 50_000_000)
        .is_some());
    let n = m.expire(70_000_000);
    assert!(n > 0);
    assert_eq!(
        m.lookup(far, sa("10.0.0.1:4000")),
        Some("call-2"),
        "touched entry stays"
    );
    assert_eq!(
        m.lookup(far, sa("10.0.0.9:4005")),
        None,
        "untouched entry expired"
    );
    assert_eq!(m.stats().expired_idle, n as u64);
}

#[test]
fn bounded_with_oldest_evicted() {
    let mut m = MediaMap::new(MediaMapLimits {
        max_entries: 4,
        ..MediaMapLimits::default()
    });
    let sip: IpAddr = "10.0.0.1".parse().unwrap();
    for i in 0..10u16 {
        let sdp = format!(
            "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio {} RTP/AVP 0\r\n",
            10_000 + 2 * i
        );
        m.add_sdp(&format!("c{i}"), sdp.as_bytes(), sip, i64::from(i));
        assert!(m.len() <= 4);
    }
    assert_eq!(m.len(), 4);
    assert_eq!(m.stats().evicted, 16);
    let far = sa("10.9.9.9:1");
    assert_eq!(m.lookup(far, sa("10.0.0.1:10018")), Some("c9"));
    assert_eq!(m.lookup(far, sa("10.0.0.1:10000")), None);
    assert_eq!(m.calls(), 2);
}

/// Every RTP and RTCP datagram to or from an address a SIP SDP of the capture announces
/// maps to a Call-ID of the capture (media found only by heuristics, with no SDP, is
/// counted as unannounced).
#[test]
fn captures_correlate_every_media_datagram() {
    let names = [
        "heplify__rtp_rtcp_sip_ipv4_udp.pcap",
        "sipnab__sip-rtp-g711.pcap",
        "sippbyex__sip-rtp-g722.pcap",
        "sippbyex__sip-rtp-g729a.pcap",
        "sippbyex__sip-rtp-ilbc.pcap",
        "sippbyex__sip-rtp-opus.pcap",
        "sippbyex__sip-rtp-speex.pcap",
    ];
    let Some(dir) = common::captures_dir() else {
        return;
    };
    for name in names {
        let path = dir.join(name);
        if !path.is_file() {
            eprintln!("SKIP {name}: not found");
            continue;
        }
        let datagrams = common::udp_datagrams(&path);
        let mut announced = std::collections::HashSet::new();
        for d in &datagrams {
            if let Ok(msg) = argos_sip::parse(&d.payload) {
                for ep in media_endpoints(msg.body()) {
                    announced.insert(ep.rtp);
                    announced.insert(ep.rtcp);
                }
            }
        }
        let mut m = MediaMap::new(MediaMapLimits::default());
        let mut counts: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        let mut call_ids = Vec::new();
        for d in datagrams {
            if let Ok(msg) = argos_sip::parse(&d.payload) {
                if let Some(c) = msg.header("Call-ID") {
                    call_ids.push(c.trim().to_owned());
                }
                m.observe_sip(&msg, d.src, d.ts_us);
                continue;
            }
            let kind = if rtcp::looks_like_rtcp(&d.payload) {
                "rtcp"
            } else if rtp::decode(&d.payload).is_ok() {
                "rtp"
            } else {
                continue;
            };
            if !announced.contains(&d.src) && !announced.contains(&d.dst) {
                counts.entry("unannounced").or_default().0 += 1;
                continue;
            }
            let e = counts.entry(kind).or_default();
            e.0 += 1;
            match m.lookup_touch(d.src, d.dst, d.ts_us) {
                Some(c) if call_ids.iter().any(|id| **id == *c) => e.1 += 1,
                other => panic!(
                    "{name} frame {} {} -> {} {kind}: {other:?}",
                    d.frame, d.src, d.dst
                ),
            }
        }
        println!("{name}: {counts:?} (datagrams, correlated)");
        assert!(
            counts.get("rtp").is_some_and(|c| c.0 > 0 && c.0 == c.1),
            "{name}"
        );
    }
}

fn sip(start: &str, call_id: &str, cseq: &str, sdp: Option<&str>) -> Vec<u8> {
    let body = sdp.unwrap_or("");
    let ct = if sdp.is_some() {
        "Content-Type: application/sdp\r\n"
    } else {
        ""
    };
    format!(
        "{start}\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\n\
         Call-ID: {call_id}\r\nCSeq: {cseq}\r\n{ct}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn sip_dialog_drives_the_map() {
    let offer = "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\n";
    let answer = "v=0\r\nc=IN IP4 10.0.0.2\r\nm=audio 6000 RTP/AVP 0\r\n";
    let mut m = MediaMap::new(MediaMapLimits::default());
    let src = sa("10.0.0.1:5060");
    let feed = |m: &mut MediaMap, raw: Vec<u8>, t: i64| {
        let msg = argos_sip::parse(&raw).unwrap();
        m.observe_sip(&msg, src, t);
    };
    let a = sa("10.0.0.1:4000");
    let b = sa("10.0.0.2:6000");
    feed(
        &mut m,
        sip("INVITE sip:b@x SIP/2.0", "c1", "1 INVITE", Some(offer)),
        0,
    );
    feed(
        &mut m,
        sip(
            "SIP/2.0 407 Proxy Authentication Required",
            "c1",
            "1 INVITE",
            None,
        ),
        1,
    );
    m.expire(60_000_000);
    assert_eq!(m.lookup(b, a), Some("c1"), "a 407 does not end the call");
    feed(
        &mut m,
        sip("INVITE sip:b@x SIP/2.0", "c1", "2 INVITE", Some(offer)),
        2,
    );
    feed(
        &mut m,
        sip("SIP/2.0 200 OK", "c1", "2 INVITE", Some(answer)),
        3,
    );
    assert_eq!(m.lookup(a, b), Some("c1"));
    assert_eq!(
        m.lookup(a, sa("10.0.0.2:6001")),
        Some("c1"),
        "RTCP = RTP + 1"
    );
    // A rejected re-INVITE leaves the call up.
    feed(
        &mut m,
        sip("INVITE sip:b@x SIP/2.0", "c1", "3 INVITE", Some(offer)),
        4,
    );
    feed(
        &mut m,
        sip("SIP/2.0 488 Not Acceptable Here", "c1", "3 INVITE", None),
        5,
    );
    m.expire(10_000_000);
    assert_eq!(m.lookup(a, b), Some("c1"));
    feed(
        &mut m,
        sip("BYE sip:b@x SIP/2.0", "c1", "4 BYE", None),
        20_000_000,
    );
    m.expire(24_000_000);
    assert_eq!(m.lookup(a, b), Some("c1"), "linger after BYE");
    m.expire(26_000_000);
    assert_eq!(m.lookup(a, b), None);
    // A call rejected before an answer ends.
    feed(
        &mut m,
        sip("INVITE sip:b@x SIP/2.0", "c2", "1 INVITE", Some(offer)),
        30_000_000,
    );
    feed(
        &mut m,
        sip("SIP/2.0 486 Busy Here", "c2", "1 INVITE", None),
        30_000_001,
    );
    m.expire(36_000_000);
    assert!(m.is_empty());
}
