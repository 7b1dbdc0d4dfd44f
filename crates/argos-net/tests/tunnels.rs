//! Tunnel decapsulation: hand-built frames for each tunnel, truncated and hostile
//! inputs, the nesting limit, and a frame-by-frame comparison of the innermost
//! addresses and ports with tshark on the public tunnel captures (skipped with a
//! message when the captures or tshark are missing).

#![allow(clippy::unwrap_used)] // tests: inputs are known-good

mod common;
use argos_net::{decode_packet, CaptureReader, LinkType, Packet, PacketError, TransportHeader};
use common::{captures_dir, have_tshark, udp};
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;

// ---------------------------------------------------------------- builders

fn tcp(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sp.to_be_bytes());
    v.extend_from_slice(&dp.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 7, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    v.extend_from_slice(payload);
    v
}

fn ipv4(proto: u8, src: [u8; 4], dst: [u8; 4], l4: &[u8]) -> Vec<u8> {
    let mut v = vec![0x45, 0];
    v.extend_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 1, 0, 0, 64, proto, 0, 0]);
    v.extend_from_slice(&src);
    v.extend_from_slice(&dst);
    v.extend_from_slice(l4);
    v
}

fn ipv6(next: u8, src_last: u8, dst_last: u8, l4: &[u8]) -> Vec<u8> {
    let mut v = vec![0x60, 0, 0, 0];
    v.extend_from_slice(&(l4.len() as u16).to_be_bytes());
    v.extend_from_slice(&[next, 64]);
    let mut a = [0u8; 16];
    a[0] = 0x20;
    a[1] = 0x01;
    a[15] = src_last;
    v.extend_from_slice(&a);
    a[15] = dst_last;
    v.extend_from_slice(&a);
    v.extend_from_slice(l4);
    v
}

fn eth(et: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    v.extend_from_slice(&et.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn eth_vlan(vid: u16, et: u16, payload: &[u8]) -> Vec<u8> {
    let mut tag = vid.to_be_bytes().to_vec();
    tag.extend_from_slice(&et.to_be_bytes());
    tag.extend_from_slice(payload);
    eth(0x8100, &tag)
}

fn gre(flags: u16, proto: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = flags.to_be_bytes().to_vec();
    v.extend_from_slice(&proto.to_be_bytes());
    for bit in [0x8000u16, 0x2000, 0x1000] {
        if flags & bit != 0 {
            v.extend_from_slice(&[0xAA, 0xBB, 0xCC, 0xDD]);
        }
    }
    v.extend_from_slice(payload);
    v
}

const SIP: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\n\r\n";

fn inner_v4_udp() -> Vec<u8> {
    ipv4(
        17,
        [192, 168, 1, 1],
        [192, 168, 1, 2],
        &udp(5060, 5080, SIP),
    )
}

fn outer_v4(proto: u8, l4: &[u8]) -> Vec<u8> {
    eth(0x0800, &ipv4(proto, [10, 0, 0, 1], [10, 0, 0, 2], l4))
}

fn outer_udp(dport: u16, payload: &[u8]) -> Vec<u8> {
    outer_v4(17, &udp(40000, dport, payload))
}

fn assert_inner_sip(p: &Packet<'_>) {
    assert_eq!(p.src, "192.168.1.1".parse::<IpAddr>().unwrap());
    assert_eq!(p.dst, "192.168.1.2".parse::<IpAddr>().unwrap());
    assert_eq!(
        p.transport,
        TransportHeader::Udp {
            src_port: 5060,
            dst_port: 5080
        }
    );
    assert_eq!(p.payload, SIP);
}

/// Every prefix of `frame` decodes to Ok or Err without panicking; so does every
/// single-byte corruption (bytes flipped to 0x00 and 0xFF).
fn hostile(frame: &[u8]) {
    for n in 0..=frame.len() {
        let _ = decode_packet(LinkType::ETHERNET, &frame[..n]);
    }
    let mut f = frame.to_vec();
    for i in 0..f.len() {
        let keep = f[i];
        for b in [0x00, 0xFF, keep ^ 0x80] {
            f[i] = b;
            let _ = decode_packet(LinkType::ETHERNET, &f);
        }
        f[i] = keep;
    }
}

fn vxlan_hdr(inner: &[u8]) -> Vec<u8> {
    let mut v = vec![0x08, 0, 0, 0, 0, 0, 42, 0];
    v.extend_from_slice(inner);
    v
}

fn geneve_hdr(opt_words: u8, proto: u16, inner: &[u8]) -> Vec<u8> {
    let mut v = vec![opt_words & 0x3F, 0];
    v.extend_from_slice(&proto.to_be_bytes());
    v.extend_from_slice(&[0, 0, 7, 0]);
    for i in 0..usize::from(opt_words) * 4 {
        v.push(i as u8);
    }
    v.extend_from_slice(inner);
    v
}

fn tzsp_hdr(inner: &[u8]) -> Vec<u8> {
    // version 1, type 0 (received), encapsulation Ethernet; padding, a 2-byte
    // RSSI-like tag, END.
    let mut v = vec![1, 0, 0, 1, 0, 10, 2, 0xD8, 0x01, 1];
    v.extend_from_slice(inner);
    v
}

fn erspan2(inner: &[u8]) -> Vec<u8> {
    let mut v = vec![0x10, 0x05, 0x00, 0x64, 0, 0, 0, 1];
    v.extend_from_slice(inner);
    gre(0x1000, 0x88BE, &v)
}

fn erspan3(o_bit: bool, inner: &[u8]) -> Vec<u8> {
    let mut v = vec![0x20, 0x05, 0x00, 0x64, 0, 0, 0, 1, 0, 0, 0, u8::from(o_bit)];
    if o_bit {
        v.extend_from_slice(&[0xEE; 8]);
    }
    v.extend_from_slice(inner);
    gre(0x1000, 0x22EB, &v)
}

/// Enhanced GRE (version 1, PPTP) with K, S and A set, then PPP.
fn pptp(ppp: &[u8], inner: &[u8]) -> Vec<u8> {
    let mut v = vec![0x30, 0x81, 0x88, 0x0B, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 2];
    v.extend_from_slice(ppp);
    v.extend_from_slice(inner);
    v
}

// ---------------------------------------------------------------- unit tests

/// Each tunnel, one hand-built frame: (name, frame).
fn samples() -> Vec<(&'static str, Vec<u8>)> {
    let inner = inner_v4_udp();
    let inner_eth = eth(0x0800, &inner);
    vec![
        ("ipip", outer_v4(4, &inner)),
        (
            "ip6ip",
            outer_v4(41, &ipv6(17, 1, 2, &udp(5060, 5080, SIP))),
        ),
        (
            "ip6ip6",
            eth(
                0x86DD,
                &ipv6(41, 8, 9, &ipv6(17, 1, 2, &udp(5060, 5080, SIP))),
            ),
        ),
        ("ip4ip6", eth(0x86DD, &ipv6(4, 8, 9, &inner))),
        ("gre_ipv4", outer_v4(47, &gre(0, 0x0800, &inner))),
        (
            "gre_ckey_seq_ipv4",
            outer_v4(47, &gre(0xB000, 0x0800, &inner)),
        ),
        (
            "gre_ipv6",
            outer_v4(
                47,
                &gre(0x2000, 0x86DD, &ipv6(17, 1, 2, &udp(5060, 5080, SIP))),
            ),
        ),
        ("gre_teb", outer_v4(47, &gre(0x2000, 0x6558, &inner_eth))),
        ("erspan1", outer_v4(47, &gre(0, 0x88BE, &inner_eth))),
        ("erspan2", outer_v4(47, &erspan2(&inner_eth))),
        ("erspan3", outer_v4(47, &erspan3(false, &inner_eth))),
        ("erspan3_o", outer_v4(47, &erspan3(true, &inner_eth))),
        ("vxlan", outer_udp(4789, &vxlan_hdr(&inner_eth))),
        (
            "geneve",
            outer_udp(6081, &geneve_hdr(0, 0x6558, &inner_eth)),
        ),
        (
            "geneve_opts",
            outer_udp(6081, &geneve_hdr(3, 0x6558, &inner_eth)),
        ),
        (
            "geneve_ipv4",
            outer_udp(6081, &geneve_hdr(1, 0x0800, &inner)),
        ),
        ("tzsp", outer_udp(37008, &tzsp_hdr(&inner_eth))),
        (
            "pptp_gre",
            outer_v4(47, &pptp(&[0xFF, 0x03, 0x00, 0x21], &inner)),
        ),
        ("pptp_gre_pfc", outer_v4(47, &pptp(&[0x21], &inner))),
    ]
}

#[test]
fn each_tunnel_yields_the_innermost_packet() {
    for (name, frame) in samples() {
        let p = decode_packet(LinkType::ETHERNET, &frame).unwrap_or_else(|e| panic!("{name}: {e}"));
        if name.starts_with("ip6ip") || name == "gre_ipv6" {
            assert_eq!(p.src, "2001::1".parse::<IpAddr>().unwrap(), "{name}");
            assert_eq!(p.dst, "2001::2".parse::<IpAddr>().unwrap(), "{name}");
            assert_eq!(p.transport.ports(), Some((5060, 5080)), "{name}");
            assert_eq!(p.payload, SIP, "{name}");
        } else {
            assert_inner_sip(&p);
        }
        assert_eq!(p.vlan, None, "{name}");
        assert!(!p.ip_fragment, "{name}");
    }
}

#[test]
fn tunnelled_tcp() {
    let inner = ipv4(6, [192, 168, 1, 1], [192, 168, 1, 2], &tcp(5061, 5062, SIP));
    let f = outer_udp(4789, &vxlan_hdr(&eth(0x0800, &inner)));
    let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
    assert_eq!(p.transport.ports(), Some((5061, 5062)));
    assert_eq!(p.transport.ip_proto(), 6);
    assert_eq!(p.payload, SIP);
}

#[test]
fn outermost_vlan_is_kept() {
    let inner_tagged = eth_vlan(300, 0x0800, &inner_v4_udp());
    // Outer tag wins over the inner one.
    let f = eth_vlan(
        100,
        0x0800,
        &ipv4(
            17,
            [10, 0, 0, 1],
            [10, 0, 0, 2],
            &udp(1, 4789, &vxlan_hdr(&inner_tagged)),
        ),
    );
    let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
    assert_inner_sip(&p);
    assert_eq!(p.vlan, Some(100));
    // Without an outer tag, the (outermost seen) inner tag is reported.
    let f = outer_v4(47, &erspan2(&inner_tagged));
    let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
    assert_inner_sip(&p);
    assert_eq!(p.vlan, Some(300));
}

#[test]
fn tunnel_ports_fall_back_to_plain_udp() {
    for port in [4789u16, 6081, 37008] {
        // SIP itself on the tunnel port.
        let f = outer_udp(port, SIP);
        let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
        assert_eq!(p.transport.ports(), Some((40000, port)));
        assert_eq!(p.payload, SIP);
        // A valid-looking tunnel header over garbage.
        let bogus = match port {
            4789 => vxlan_hdr(b"not an ethernet frame"),
            6081 => geneve_hdr(0, 0x6558, b"short"),
            _ => tzsp_hdr(b"x"),
        };
        let f = outer_udp(port, &bogus);
        let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
        assert_eq!(p.transport.ports(), Some((40000, port)), "{port}");
        assert_eq!(p.payload, &bogus[..]);
        // Empty payload.
        let f = outer_udp(port, b"");
        let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
        assert_eq!(p.transport.ports(), Some((40000, port)));
        assert!(p.payload.is_empty());
    }
    // A tunnel sent from the tunnel port (VXLAN 4789 -> 4790) is decoded too,
    // and SIP from a tunnel port stays SIP.
    let inner = eth(0x0800, &inner_v4_udp());
    let f = outer_v4(17, &udp(4789, 4790, &vxlan_hdr(&inner)));
    let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
    assert_inner_sip(&p);
    let f = outer_v4(17, &udp(37008, 5060, SIP));
    let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
    assert_eq!(p.transport.ports(), Some((37008, 5060)));
    assert_eq!(p.payload, SIP);
}

#[test]
fn undecodable_inner_keeps_the_outer_packet() {
    // IP-in-IP with a bad inner version, GRE version 1, GRE with routing, an
    // unknown GRE protocol, ERSPAN II with a bad version: all stay the outer packet.
    let mut bad_inner = inner_v4_udp();
    bad_inner[0] = 0x55;
    let cases = [
        (4u8, bad_inner.clone()),
        (47, gre(0x0001, 0x0800, &inner_v4_udp())),
        (47, gre(0x4000, 0x0800, &inner_v4_udp())),
        (47, gre(0, 0x1234, &inner_v4_udp())),
        (47, {
            let mut g = erspan2(&eth(0x0800, &inner_v4_udp()));
            g[8] = 0x30;
            g
        }),
    ];
    for (proto, l4) in cases {
        let f = outer_v4(proto, &l4);
        let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
        assert_eq!(p.src, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(p.transport, TransportHeader::Other { ip_proto: proto });
        assert_eq!(p.payload, &l4[..]);
    }
}

#[test]
fn inner_fragment_is_reported_not_decapsulated_further() {
    let mut inner = inner_v4_udp();
    inner[6] = 0x20; // MF
    let f = outer_v4(4, &inner);
    let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
    assert_eq!(p.src, "192.168.1.1".parse::<IpAddr>().unwrap());
    assert!(p.ip_fragment);
    assert_eq!(p.transport, TransportHeader::Other { ip_proto: 17 });
}

fn nest_ipip(levels: usize) -> Vec<u8> {
    let mut pkt = inner_v4_udp();
    for _ in 0..levels {
        pkt = ipv4(4, [10, 0, 0, 1], [10, 0, 0, 2], &pkt);
    }
    eth(0x0800, &pkt)
}

fn nest_mixed(levels: usize) -> Vec<u8> {
    let mut pkt = inner_v4_udp();
    for i in 0..levels {
        pkt = match i % 3 {
            0 => ipv4(
                17,
                [10, 0, 0, 1],
                [10, 0, 0, 2],
                &udp(1, 4789, &vxlan_hdr(&eth(0x0800, &pkt))),
            ),
            1 => ipv4(
                47,
                [10, 0, 0, 1],
                [10, 0, 0, 2],
                &erspan3(true, &eth(0x0800, &pkt)),
            ),
            _ => ipv4(4, [10, 0, 0, 1], [10, 0, 0, 2], &pkt),
        };
    }
    eth(0x0800, &pkt)
}

#[test]
fn nesting_depth_is_bounded() {
    for levels in 1..=4 {
        let f = nest_ipip(levels);
        let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
        assert_inner_sip(&p);
        let f = nest_mixed(levels);
        let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
        assert_inner_sip(&p);
    }
    for levels in [5, 6, 50, 2000] {
        assert_eq!(
            decode_packet(LinkType::ETHERNET, &nest_ipip(levels)),
            Err(PacketError::TooManyHeaders { layer: "tunnel" }),
            "{levels}"
        );
        let e = decode_packet(LinkType::ETHERNET, &nest_mixed(levels)).unwrap_err();
        assert_eq!(e.reason(), "too_many_headers");
    }
    // 2000 nested levels built in place (IPv4 total length 0 = to end of frame).
    let mut f = eth(0x0800, &[]);
    for _ in 0..2000 {
        f.extend_from_slice(&[
            0x45, 0, 0, 0, 0, 1, 0, 0, 64, 4, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
        ]);
    }
    assert_eq!(
        decode_packet(LinkType::ETHERNET, &f),
        Err(PacketError::TooManyHeaders { layer: "tunnel" })
    );
}

#[test]
fn truncated_and_corrupted_frames_never_panic() {
    for (_, frame) in samples() {
        hostile(&frame);
    }
    hostile(&nest_mixed(5));
    // TZSP tags running past the end; Geneve option length past the end.
    for payload in [
        vec![1u8, 0, 0, 1, 2, 200, 0],
        vec![1, 0, 0, 1, 0, 0, 0, 0],
        vec![0x3F, 0, 0x65, 0x58, 0, 0, 0, 0],
        vec![0x08; 8],
    ] {
        for port in [4789, 6081, 37008] {
            let f = outer_udp(port, &payload);
            let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
            assert_eq!(p.transport.ports(), Some((40000, port)));
        }
    }
    // Deterministic pseudo-random payloads behind every tunnel entry point.
    let mut x = 0x1234_5678_u32;
    for _ in 0..20_000 {
        let mut body = Vec::new();
        let n = (x % 96) as usize;
        for _ in 0..n {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            body.push(x as u8);
        }
        let _ = decode_packet(LinkType::ETHERNET, &outer_v4(47, &body));
        let _ = decode_packet(LinkType::ETHERNET, &outer_v4(4, &body));
        let _ = decode_packet(LinkType::ETHERNET, &outer_v4(41, &body));
        for port in [4789, 6081, 37008] {
            let _ = decode_packet(LinkType::ETHERNET, &outer_udp(port, &body));
        }
    }
}

// ---------------------------------------------------------------- tshark

/// Innermost (src, dst, ports) per frame: ours.
type Row = (Option<String>, Option<String>, Option<(u16, u16)>);

fn ours(path: &Path) -> Vec<Row> {
    let file = std::fs::File::open(path).unwrap();
    let mut r = CaptureReader::new(file).unwrap();
    let mut v = Vec::new();
    while let Some(f) = r.next_frame() {
        let Ok(f) = f else {
            v.push((None, None, None));
            continue;
        };
        v.push(match decode_packet(f.link_type, f.data) {
            Ok(p) => (
                Some(p.src.to_string()),
                Some(p.dst.to_string()),
                match p.transport {
                    TransportHeader::Udp { src_port, dst_port }
                    | TransportHeader::Tcp {
                        src_port, dst_port, ..
                    } => Some((src_port, dst_port)),
                    _ => None,
                },
            ),
            Err(_) => (None, None, None),
        });
    }
    v
}

fn tshark_rows(path: &Path) -> Vec<Row> {
    let out = Command::new("tshark")
        .arg("-n")
        .arg("-r")
        .arg(path)
        .args(["-T", "fields"])
        .args(["-e", "frame.number", "-e", "ip.src", "-e", "ip.dst"])
        .args(["-e", "ipv6.src", "-e", "ipv6.dst"])
        .args(["-e", "udp.srcport", "-e", "udp.dstport"])
        .args(["-e", "tcp.srcport", "-e", "tcp.dstport"])
        .args(["-e", "frame.protocols"])
        .args(["-E", "occurrence=l"])
        .output()
        .unwrap();
    let s = |x: &str| Some(x.to_string()).filter(|x| !x.is_empty());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let g = |i: usize| f.get(i).copied().unwrap_or("");
            // The innermost IP is the last one in the protocol stack.
            // Ports count only when they follow that IP header (an inner ICMP
            // packet leaves the outer tunnel's UDP as the last UDP occurrence).
            let protos: Vec<&str> = g(9).split(':').collect();
            let last_ip = protos.iter().rposition(|t| *t == "ip" || *t == "ipv6");
            let (src, dst) = match last_ip.map(|i| protos[i]) {
                Some("ipv6") => (s(g(3)), s(g(4))),
                Some(_) => (s(g(1)), s(g(2))),
                None => (None, None),
            };
            let next = last_ip.and_then(|i| protos.get(i + 1)).copied();
            let port = |a: usize, b: usize| Some((g(a).parse().ok()?, g(b).parse().ok()?));
            let ports = match next {
                Some("udp") => port(5, 6),
                Some("tcp") => port(7, 8),
                _ => None,
            };
            (src, dst, ports)
        })
        .collect()
}

/// (capture, frames allowed to disagree with tshark, with the reason).
///
/// No decode-as is needed here: tshark 4.0 dissects TZSP on udp/37008 and ERSPAN types
/// I–III (GRE 0x88BE / 0x22EB) by default, so every capture is compared as tshark reads it
/// out of the box.
const CAPTURES: &[(&str, usize)] = &[
    ("heplify__erspan_sip_ipv4_udp.pcapng", 0),
    ("heplify__ipip0.pcap", 0),
    ("sngrep__ipip.pcap", 0),
    ("junkie__gre_erspan.pcap", 0),
    ("tcpdump__erspan-type-i-1.pcap", 0),
    ("tcpdump__erspan-type-ii-1.pcap", 0),
    ("tcpdump__erspan-type-iii-ft-0.pcap", 0),
    ("zeek__erspanII.pcap", 0),
    ("zeek__erspanIII.pcap", 0),
    ("zeek__gre-erspan3-dot1q.pcap", 0),
    // Frames 34 and 36 are ICMP errors inside GRE: tshark's last IP is the
    // quoted one; Argos reports the ICMP packet (the innermost tunnelled packet).
    ("suricata__gre-sample.pcap", 2),
    ("ndpi__gre.pcapng", 0),
    ("ndpi__vxlan.pcap", 0),
    ("pcpp__Vxlan1.pcap", 0),
    ("suricata__vxlan-decoder-03_vxlan.pcap", 0),
    ("arkime__gre-erspan-vxlan.pcap", 0),
    ("suricata__geneve-decoder_input.pcap", 0),
    ("filesamples__simple_http_tzsp.pcapng", 0),
    // Frames 7, 83, 84, 89: ICMP errors inside GTP; tshark reports the quoted packet.
    ("arkime__gtp-iphone.pcap", 4),
];

#[test]
fn innermost_addresses_and_ports_match_tshark() {
    let Some(dir) = captures_dir() else { return };
    if !have_tshark() {
        return;
    }
    let mut problems = Vec::new();
    for &(name, allowed) in CAPTURES {
        let path = dir.join(name);
        if !path.is_file() {
            eprintln!("SKIP {name}: not found");
            continue;
        }
        let ours = ours(&path);
        let theirs = tshark_rows(&path);
        assert_eq!(ours.len(), theirs.len(), "{name}: frame count");
        let mut bad = Vec::new();
        for (i, (o, t)) in ours.iter().zip(&theirs).enumerate() {
            if o != t {
                bad.push(format!("#{} ours {o:?} tshark {t:?}", i + 1));
            }
        }
        eprintln!(
            "{name}: {}/{} frames agree{}",
            ours.len() - bad.len(),
            ours.len(),
            bad.iter()
                .take(5)
                .map(|b| format!("\n    {b}"))
                .collect::<String>()
        );
        if bad.len() > allowed {
            problems.push(format!(
                "{name}: {} disagree (allowed {allowed})",
                bad.len()
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
