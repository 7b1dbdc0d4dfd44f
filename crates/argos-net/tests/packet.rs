//! Per-layer decoding tests over hand-built bytes.

#![allow(clippy::unwrap_used)] // tests: inputs are known-good

mod common;
use argos_net::{decode_packet, sctp_data_chunks, LinkType, PacketError, TransportHeader};
use common::udp;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn tcp(sp: u16, dp: u16, seq: u32, opts: &[u8], payload: &[u8]) -> Vec<u8> {
    assert_eq!(opts.len() % 4, 0);
    let mut v = Vec::new();
    v.extend_from_slice(&sp.to_be_bytes());
    v.extend_from_slice(&dp.to_be_bytes());
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 0]);
    v.push((((20 + opts.len()) / 4) << 4) as u8);
    v.push(0x18);
    v.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
    v.extend_from_slice(opts);
    v.extend_from_slice(payload);
    v
}

fn ipv4(proto: u8, opts: &[u8], frag: u16, l4: &[u8]) -> Vec<u8> {
    let ihl = 20 + opts.len();
    let mut v = vec![0x40 | (ihl / 4) as u8, 0];
    v.extend_from_slice(&((ihl + l4.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 1]);
    v.extend_from_slice(&frag.to_be_bytes());
    v.extend_from_slice(&[64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    v.extend_from_slice(opts);
    v.extend_from_slice(l4);
    v
}

fn ipv6(next: u8, ext: &[u8], l4: &[u8]) -> Vec<u8> {
    let mut v = vec![0x60, 0, 0, 0];
    v.extend_from_slice(&((ext.len() + l4.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[next, 64]);
    v.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
    v.extend_from_slice(&"2001:db8::2".parse::<Ipv6Addr>().unwrap().octets());
    v.extend_from_slice(ext);
    v.extend_from_slice(l4);
    v
}

fn eth(ethertype: u16, tags: &[(u16, u16)], l3: &[u8]) -> Vec<u8> {
    let mut v = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    for (tpid, tci) in tags {
        v.extend_from_slice(&tpid.to_be_bytes());
        v.extend_from_slice(&tci.to_be_bytes());
    }
    v.extend_from_slice(&ethertype.to_be_bytes());
    v.extend_from_slice(l3);
    v
}

const V4A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
const V4B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

#[test]
fn ethernet_ipv4_udp() {
    let f = eth(0x0800, &[], &ipv4(17, &[], 0, &udp(5060, 5080, b"hello")));
    let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
    assert_eq!((p.src, p.dst), (V4A, V4B));
    assert_eq!(p.vlan, None);
    assert_eq!(
        p.transport,
        TransportHeader::Udp {
            src_port: 5060,
            dst_port: 5080
        }
    );
    assert_eq!(p.payload, b"hello");
    assert!(!p.ip_fragment);
}

#[test]
fn ethernet_padding_trimmed_by_ip_total_length() {
    let mut f = eth(0x0800, &[], &ipv4(17, &[], 0, &udp(1, 2, b"x")));
    f.extend_from_slice(&[0; 20]); // pad to 60+ bytes
    let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
    assert_eq!(p.payload, b"x");
}

#[test]
fn udp_length_honoured() {
    let mut l4 = udp(1, 2, b"abc");
    l4.extend_from_slice(b"junk");
    let f = ipv4(17, &[], 0, &l4);
    assert_eq!(decode_packet(LinkType::RAW, &f).unwrap().payload, b"abc");
    let mut bad = udp(1, 2, b"abc");
    bad[5] = 4; // length 4 < 8
    let f = ipv4(17, &[], 0, &bad);
    assert_eq!(
        decode_packet(LinkType::RAW, &f).unwrap_err().reason(),
        "bad_length"
    );
    let mut long = udp(1, 2, b"abc");
    long[5] = 200;
    let f = ipv4(17, &[], 0, &long);
    assert!(matches!(
        decode_packet(LinkType::RAW, &f),
        Err(PacketError::TooShort { layer: "udp", .. })
    ));
}

#[test]
fn ipv4_options_and_tcp_data_offset() {
    let opts = [1, 1, 1, 0]; // NOP NOP NOP EOL
    let tcp_opts = [2, 4, 5, 0xb4, 1, 1, 1, 0];
    let f = ipv4(
        6,
        &opts,
        0x4000,
        &tcp(5060, 40000, 0xdeadbeef, &tcp_opts, b"SIP"),
    );
    let p = decode_packet(LinkType::IPV4, &f).unwrap();
    assert_eq!(
        p.transport,
        TransportHeader::Tcp {
            src_port: 5060,
            dst_port: 40000,
            seq: 0xdeadbeef,
            flags: 0x18
        }
    );
    assert_eq!(p.payload, b"SIP");
    assert!(!p.ip_fragment, "DF is not a fragment");
}

#[test]
fn ipv4_bad_headers() {
    let mut f = ipv4(17, &[], 0, &udp(1, 2, b""));
    f[0] = 0x44; // IHL 4
    assert_eq!(
        decode_packet(LinkType::RAW, &f),
        Err(PacketError::BadHeaderLength {
            layer: "ipv4",
            len: 16
        })
    );
    f[0] = 0x4f; // IHL 15 = 60 bytes > 28 available
    assert_eq!(
        decode_packet(LinkType::RAW, &f).unwrap_err().reason(),
        "too_short"
    );
    let f = ipv4(17, &[], 0, &udp(1, 2, b""));
    assert_eq!(
        decode_packet(LinkType::IPV6, &f),
        Err(PacketError::BadIpVersion(4))
    );
    let mut f = ipv4(17, &[], 0, &udp(1, 2, b"abc"));
    f[3] = 10; // total 10 < IHL
    assert_eq!(
        decode_packet(LinkType::RAW, &f).unwrap_err().reason(),
        "bad_length"
    );
    let mut f = ipv4(17, &[], 0, &udp(1, 2, b"abc"));
    f[3] = 200; // snaplen-cut
    assert_eq!(
        decode_packet(LinkType::RAW, &f).unwrap_err().reason(),
        "too_short"
    );
    // TSO: total length 0 means "to the end of the frame".
    let mut f = ipv4(17, &[], 0, &udp(1, 2, b"abc"));
    f[2] = 0;
    f[3] = 0;
    assert_eq!(decode_packet(LinkType::RAW, &f).unwrap().payload, b"abc");
    let mut f = ipv4(6, &[], 0, &tcp(1, 2, 3, &[], b"abc"));
    f[20 + 12] = 0x40; // data offset 16
    assert_eq!(
        decode_packet(LinkType::RAW, &f).unwrap_err(),
        PacketError::BadHeaderLength {
            layer: "tcp",
            len: 16
        }
    );
    f[20 + 12] = 0xf0; // data offset 60 > 23
    assert_eq!(
        decode_packet(LinkType::RAW, &f).unwrap_err().reason(),
        "too_short"
    );
}

#[test]
fn ipv4_fragments_flagged() {
    for frag in [0x2000u16, 0x0001, 0x2005] {
        let f = ipv4(17, &[], frag, &udp(1, 2, b"data"));
        let p = decode_packet(LinkType::RAW, &f).unwrap();
        assert!(p.ip_fragment);
        assert_eq!(p.transport, TransportHeader::Other { ip_proto: 17 });
        assert_eq!(p.payload.len(), 12);
    }
}

#[test]
fn vlan_and_qinq() {
    let l3 = ipv4(17, &[], 0, &udp(1, 2, b"v"));
    let f = eth(0x0800, &[(0x8100, 0x2064)], &l3);
    let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
    assert_eq!(p.vlan, Some(100));
    assert_eq!(p.payload, b"v");
    let f = eth(0x0800, &[(0x88a8, 200), (0x8100, 300)], &l3);
    let p = decode_packet(LinkType::ETHERNET, &f).unwrap();
    assert_eq!(p.vlan, Some(200), "outermost tag");
    let tags = vec![(0x8100u16, 1u16); 40];
    let f = eth(0x0800, &tags, &l3);
    assert_eq!(
        decode_packet(LinkType::ETHERNET, &f).unwrap_err().reason(),
        "too_many_headers"
    );
    let f = eth(0x0806, &[], &[0; 28]);
    assert_eq!(
        decode_packet(LinkType::ETHERNET, &f),
        Err(PacketError::UnsupportedEtherType(0x0806))
    );
    let f = eth(0x0800, &[(0x8100, 5)], &[]);
    assert_eq!(
        decode_packet(LinkType::ETHERNET, &f).unwrap_err().reason(),
        "too_short"
    );
}

#[test]
fn pppoe_and_mpls() {
    let l3 = ipv4(17, &[], 0, &udp(1, 2, b"p"));
    let mut pppoe = vec![0x11, 0, 0, 1, 0, 0, 0, 0x21];
    pppoe.extend_from_slice(&l3);
    let buf = eth(0x8864, &[], &pppoe);
    let p = decode_packet(LinkType::ETHERNET, &buf).unwrap();
    assert_eq!(p.payload, b"p");
    let mut mpls = vec![0, 1, 0, 64, 0, 2, 1, 64]; // two labels, second bottom-of-stack
    mpls.extend_from_slice(&l3);
    let buf = eth(0x8847, &[], &mpls);
    let p = decode_packet(LinkType::ETHERNET, &buf).unwrap();
    assert_eq!(p.payload, b"p");
}

#[test]
fn ipv6_with_extension_headers() {
    let u = udp(5060, 5060, b"six");
    let buf = ipv6(17, &[], &u);
    let p = decode_packet(LinkType::RAW, &buf).unwrap();
    assert_eq!(p.src, "2001:db8::1".parse::<IpAddr>().unwrap());
    assert_eq!(p.payload, b"six");
    // hop-by-hop (8 bytes) -> dest opts (16 bytes) -> routing (8 bytes) -> UDP
    let mut ext = vec![60, 0, 1, 4, 0, 0, 0, 0];
    ext.extend_from_slice(&[43, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    ext.extend_from_slice(&[17, 0, 0, 0, 0, 0, 0, 0]);
    let buf = ipv6(0, &ext, &u);
    let p = decode_packet(LinkType::IPV6, &buf).unwrap();
    assert_eq!(p.transport.ports(), Some((5060, 5060)));
    assert_eq!(p.payload, b"six");
    // fragment header: offset 0, M set
    let frag = [17, 0, 0, 1, 0, 0, 0, 42];
    let buf = ipv6(44, &frag, &u);
    let p = decode_packet(LinkType::IPV6, &buf).unwrap();
    assert!(p.ip_fragment);
    assert_eq!(p.transport, TransportHeader::Other { ip_proto: 17 });
    // atomic fragment (offset 0, M clear) is a whole packet
    let frag = [17, 0, 0, 0, 0, 0, 0, 42];
    let buf = ipv6(44, &frag, &u);
    let p = decode_packet(LinkType::IPV6, &buf).unwrap();
    assert!(!p.ip_fragment);
    assert_eq!(p.payload, b"six");
    // extension header longer than the packet
    let ext = [17, 200, 0, 0, 0, 0, 0, 0];
    assert_eq!(
        decode_packet(LinkType::IPV6, &ipv6(0, &ext, &u))
            .unwrap_err()
            .reason(),
        "too_short"
    );
    // payload length beyond capture
    let mut f = ipv6(17, &[], &u);
    f[4] = 0xff;
    assert_eq!(
        decode_packet(LinkType::IPV6, &f).unwrap_err().reason(),
        "too_short"
    );
}

#[test]
fn linux_cooked_v1_v2() {
    let l3 = ipv4(17, &[], 0, &udp(1, 2, b"sll"));
    let mut sll = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&l3);
    assert_eq!(
        decode_packet(LinkType::LINUX_SLL, &sll).unwrap().payload,
        b"sll"
    );
    let mut sll2 = vec![
        0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
    ];
    sll2.extend_from_slice(&ipv6(17, &[], &udp(1, 2, b"sll2")));
    assert_eq!(
        decode_packet(LinkType::LINUX_SLL2, &sll2).unwrap().payload,
        b"sll2"
    );
    assert_eq!(
        decode_packet(LinkType::LINUX_SLL, &sll[..10])
            .unwrap_err()
            .reason(),
        "too_short"
    );
}

#[test]
fn bsd_loopback_both_orders() {
    let l3 = ipv4(17, &[], 0, &udp(1, 2, b"lo"));
    for (lt, fam) in [
        (LinkType::NULL, 2u32.to_le_bytes()),
        (LinkType::NULL, 2u32.to_be_bytes()),
        (LinkType::LOOP, 2u32.to_be_bytes()),
        (LinkType::LOOP, 2u32.to_le_bytes()),
    ] {
        let mut f = fam.to_vec();
        f.extend_from_slice(&l3);
        assert_eq!(decode_packet(lt, &f).unwrap().payload, b"lo");
    }
    for fam in [24u32, 28, 30] {
        let mut f = fam.to_le_bytes().to_vec();
        f.extend_from_slice(&ipv6(17, &[], &udp(1, 2, b"lo6")));
        assert_eq!(decode_packet(LinkType::NULL, &f).unwrap().payload, b"lo6");
    }
    let mut f = 7u32.to_le_bytes().to_vec();
    f.extend_from_slice(&l3);
    assert_eq!(
        decode_packet(LinkType::NULL, &f),
        Err(PacketError::UnsupportedAddressFamily(7))
    );
}

#[test]
fn unsupported_link_and_other_proto() {
    assert_eq!(
        decode_packet(LinkType(147), &[0; 64]),
        Err(PacketError::UnsupportedLinkType(147))
    );
    let f = ipv4(1, &[], 0, &[8, 0, 0, 0, 0, 1, 0, 1]);
    let p = decode_packet(LinkType::RAW, &f).unwrap();
    assert_eq!(p.transport, TransportHeader::Other { ip_proto: 1 });
    assert_eq!(p.payload.len(), 8);
    assert_eq!(
        decode_packet(LinkType::RAW, &[]).unwrap_err().reason(),
        "too_short"
    );
    assert_eq!(
        decode_packet(LinkType::RAW, &[0x50]),
        Err(PacketError::BadIpVersion(5))
    );
}

#[test]
fn sctp_and_data_chunks() {
    let mut s = vec![0x13, 0xc4, 0x13, 0xc4, 0, 0, 0, 9, 0, 0, 0, 0];
    // SACK chunk (type 3), then a DATA chunk with 5 bytes of data (+3 padding).
    s.extend_from_slice(&[3, 0, 0, 4]);
    s.extend_from_slice(&[0, 3, 0, 21, 0, 0, 0, 7, 0, 1, 0, 2, 0, 0, 0, 0]);
    s.extend_from_slice(b"INVIT\0\0\0");
    let buf = ipv4(132, &[], 0, &s);
    let p = decode_packet(LinkType::RAW, &buf).unwrap();
    assert_eq!(
        p.transport,
        TransportHeader::Sctp {
            src_port: 5060,
            dst_port: 5060,
            verification_tag: 9
        }
    );
    let chunks: Vec<_> = sctp_data_chunks(p.payload).collect();
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].data, b"INVIT");
    assert_eq!(
        (chunks[0].tsn, chunks[0].stream_id, chunks[0].flags),
        (7, 1, 3)
    );
    // zero-length chunk stops iteration instead of looping
    assert_eq!(sctp_data_chunks(&[0, 0, 0, 0, 1, 2]).count(), 0);
}

#[test]
fn every_prefix_is_an_error_or_ok_never_a_panic() {
    let f = eth(
        0x8100,
        &[],
        &[
            &[0, 5, 0x08, 0][..],
            &ipv4(6, &[1, 1, 1, 1], 0, &tcp(1, 2, 3, &[1, 1, 1, 1], b"xyz")),
        ]
        .concat(),
    );
    for lt in [0u16, 1, 101, 108, 113, 228, 229, 276] {
        for n in 0..=f.len() {
            let _ = decode_packet(LinkType(lt), &f[..n]);
        }
    }
    assert!(decode_packet(LinkType::ETHERNET, &f).is_ok());
}
