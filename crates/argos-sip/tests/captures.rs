//! Checks against the public captures in `shared/testdata/captures` (oracles in
//! `shared/testdata/ORACLES.md`). Skipped when the directory is absent; set
//! `ARGOS_TESTDATA` to point elsewhere. Only classic pcap with Ethernet / Linux SLL /
//! raw IPv4 / BSD loopback framing and unfragmented IPv4 UDP is read here.

use std::path::PathBuf;

use argos_sip::{parse, FieldConfig, SipError, StartLineError};

fn dir() -> Option<PathBuf> {
    let d = std::env::var_os("ARGOS_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/testdata/captures"));
    d.is_dir().then_some(d)
}

/// UDP payloads (with ports) of a classic pcap file.
fn udp_payloads(data: &[u8]) -> Vec<(u16, u16, Vec<u8>)> {
    let mut out = Vec::new();
    if data.len() < 24 {
        return out;
    }
    let le = match data[..4] {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => false,
        _ => return out,
    };
    let u32_at = |b: &[u8], i: usize| {
        let a = [b[i], b[i + 1], b[i + 2], b[i + 3]];
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let be16 = |b: &[u8], i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
    let linktype = u32_at(data, 20);
    let mut pos = 24;
    while pos + 16 <= data.len() {
        let caplen = u32_at(data, pos + 8) as usize;
        let start = pos + 16;
        pos = start + caplen;
        let Some(frame) = data.get(start..pos) else {
            break;
        };
        let ip = match linktype {
            1 => {
                let mut off = 12;
                while frame.len() >= off + 2 && matches!(be16(frame, off), 0x8100 | 0x88a8) {
                    off += 4;
                }
                if frame.len() < off + 2 || be16(frame, off) != 0x0800 {
                    continue;
                }
                &frame[off + 2..]
            }
            113 if frame.len() >= 16 && be16(frame, 14) == 0x0800 => &frame[16..],
            101 | 228 => frame,
            0 if frame.len() >= 4 => &frame[4..],
            _ => continue,
        };
        if ip.len() < 20 || ip[0] >> 4 != 4 || ip[9] != 17 {
            continue;
        }
        let ihl = usize::from(ip[0] & 0x0f) * 4;
        let frag = be16(ip, 6) & 0x3fff;
        let total = usize::from(be16(ip, 2)).min(ip.len());
        if frag != 0 || total < ihl + 8 {
            continue;
        }
        let udp = &ip[ihl..total];
        out.push((be16(udp, 0), be16(udp, 2), udp[8..].to_vec()));
    }
    out
}

fn load(name: &str) -> Option<Vec<(u16, u16, Vec<u8>)>> {
    let d = dir()?;
    let data = std::fs::read(d.join(name)).ok()?;
    Some(udp_payloads(&data))
}

fn is_sip_port(p: &(u16, u16, Vec<u8>)) -> bool {
    p.0 == 5060 || p.1 == 5060
}

/// O1: suricata-verify counts on Wireshark's aaa.pcap.
#[test]
fn oracle_o1_aaa_pcap() {
    let Some(pkts) = load("sngrep__aaa.pcap") else {
        eprintln!("testdata absent, skipped");
        return;
    };
    let cfg = FieldConfig::default();
    let (mut req, mut resp, mut register, mut trying, mut ok, mut nero) = (0, 0, 0, 0, 0, 0);
    let mut cl270 = 0;
    for (_, _, p) in pkts.iter().filter(|p| is_sip_port(p)) {
        let Ok(m) = parse(p) else { continue };
        let s = m.summary(&cfg);
        if m.is_request() {
            req += 1;
        } else {
            resp += 1;
        }
        if s.method == Some("REGISTER") {
            register += 1;
            assert_eq!(s.ruri, Some("sip:sip.cybercity.dk"));
        }
        if s.status == Some(100) {
            trying += 1;
        }
        if s.status == Some(200) && s.reason == Some("OK") {
            ok += 1;
        }
        if s.user_agent.is_some_and(|u| u.contains("Nero")) {
            nero += 1;
        }
        if m.is_request() && m.content_length() == Some(270) {
            cl270 += 1;
        }
        assert!(s.call_id.is_some());
        assert!(s.cseq_num.is_some());
        assert!(s.from_tag.is_some());
    }
    assert_eq!((req, resp), (47, 34));
    assert_eq!(register, 18);
    assert_eq!(trying, 7);
    assert_eq!(ok, 3);
    assert_eq!(nero, 40);
    assert_eq!(cl270, 8);
}

#[test]
fn oracle_o7_junk_before_request() {
    let Some(pkts) = load("zeek__sip-junk-before-request.pcap") else {
        return;
    };
    let results: Vec<_> = pkts
        .iter()
        .map(|(_, _, p)| parse(p).map(|m| m.method()))
        .collect();
    assert_eq!(
        results,
        [
            Err(SipError::BadStartLine {
                kind: StartLineError::MissingSpace
            }),
            Ok(Some("REGISTER"))
        ]
    );
}

#[test]
fn oracle_o7_invalid_content_length() {
    let Some(pkts) = load("zeek__invalid-content-length.pcap") else {
        return;
    };
    let msgs: Vec<_> = pkts.iter().filter_map(|(_, _, p)| parse(p).ok()).collect();
    assert!(!msgs.is_empty());
    assert!(msgs.iter().all(|m| m.content_length_invalid()));
}

#[test]
fn compact_and_multi_value_captures() {
    let Some(pkts) = load("suricata__sip_compact_form.pcap") else {
        return;
    };
    let m = parse(&pkts[0].2).expect("compact");
    let s = m.summary(&FieldConfig::default());
    assert_eq!(s.from_user, Some("816666"));
    assert_eq!(s.to_user, Some("97239287044"));
    assert_eq!(s.call_id, Some("105090259-446faf7a@192.168.1.2"));
    assert!(s.sdp.is_some());
    let Some(pkts) = load("suricata__sip_header_multi_val.pcap") else {
        return;
    };
    let m = parse(&pkts[0].2).expect("multi");
    assert_eq!(m.header_all("To").count(), 2);
}

#[test]
fn oracle_o2_sdp_capture() {
    let Some(pkts) = load("suricata__sip-sdp_sdp.pcap") else {
        return;
    };
    let m = parse(&pkts[0].2).expect("invite");
    let s = m.summary(&FieldConfig::default());
    let sdp = s.sdp.expect("sdp");
    assert_eq!(
        sdp.origin,
        Some("SIPPS 105015165 105015162 IN IP4 192.168.1.2")
    );
    assert_eq!(sdp.bandwidth, Some("AS:64"));
    assert_eq!(sdp.repeat, Some("604800 3600 0 90000"));
    assert_eq!(sdp.media.len(), 1);
    let m = parse(&pkts[1].2).expect("200");
    let sdp = m.summary(&FieldConfig::default()).sdp.expect("sdp");
    assert_eq!(sdp.media.len(), 2);
    assert_eq!(sdp.media[1].port, 20000);
}

/// Every UDP payload of every classic pcap: no panic, and SIP-port payloads that look
/// like SIP parse.
#[test]
fn all_captures_never_panic() {
    let Some(d) = dir() else { return };
    let cfg = FieldConfig::default().with_session_id();
    let mut parsed = 0;
    let mut entries: Vec<_> = std::fs::read_dir(d).expect("dir").flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let Ok(data) = std::fs::read(e.path()) else {
            continue;
        };
        for (_, _, p) in udp_payloads(&data) {
            if let Ok(m) = parse(&p) {
                parsed += 1;
                let s = m.summary(&cfg);
                if let Some(sdp) = s.sdp {
                    let _ = sdp.media_summary();
                }
            }
        }
    }
    assert!(parsed > 500, "{parsed}");
}
