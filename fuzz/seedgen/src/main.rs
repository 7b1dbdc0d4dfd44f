//! Writes seed corpora for the fuzz targets into `<corpus>/<target>/`.
//!
//! ```text
//! cargo run -p argos-fuzz-seeds -- <corpus-dir> [captures-dir]
//! ```
//!
//! Everything is built here from literals (SIP messages, SDP bodies) and with the
//! crates' own writers (`argos_hep::encode_v3`, `argos_net::PcapWriter` +
//! `build_frame`); nothing is copied into the repository. When a captures directory is
//! given (the smoke script passes `../shared/testdata/captures` when it exists), its
//! files are added too: pcap/pcapng files (cut to [`MAX_CAPTURE_SEED`] bytes) for the
//! `pcap` target, their frames for `net`, SIP payloads found in them for `sip`/`sdp`,
//! HEP payloads for `hep`/`hep_stream`, and `hep-vectors/*` for `hep`.
//!
//! File names are a hash of the content, so running it again adds nothing new.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use argos_hep::{encode_v3, HepPacket, HepVersion, ProtoType, AF_INET, AF_INET6};
use argos_net::{
    build_frame, decode_packet, CaptureReader, FrameProto, LinkType, PcapWriter, TransportHeader,
};

/// Largest capture file seed; bigger files are cut (the tail frame then reads as
/// truncated, which the reader must handle too). Keeps libFuzzer's max_len sane.
const MAX_CAPTURE_SEED: usize = 64 * 1024;
/// Frames / payloads taken from one capture file at most.
const PER_FILE: usize = 24;
/// Seeds per target from captures at most.
const MAX_FROM_CAPTURES: usize = 400;

const TARGETS: [&str; 10] = [
    "hep",
    "hep_stream",
    "sip",
    "sdp",
    "pcap",
    "net",
    "wire",
    "tls",
    "rtp",
    "rtcp",
];

const SDP_AUDIO: &str = "v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n\
s=-\r\n\
c=IN IP4 192.0.2.10\r\n\
t=0 0\r\n\
m=audio 49170 RTP/AVP 0 8 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n";

const SDP_ANSWER: &str = "v=0\r\n\
o=bob 2808844564 2808844565 IN IP4 198.51.100.20\r\n\
s=Talk\r\n\
c=IN IP4 198.51.100.20\r\n\
b=AS:84\r\n\
t=0 0\r\n\
m=audio 3456 RTP/AVP 8 101\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=rtcp:3457\r\n\
a=recvonly\r\n";

const SDP_VIDEO_V6: &str = "v=0\r\n\
o=- 4611731400430051336 2 IN IP6 2001:db8::1\r\n\
s=-\r\n\
t=0 0\r\n\
a=group:BUNDLE 0 1\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111 9 0 8\r\n\
c=IN IP6 2001:db8::1\r\n\
a=rtcp-mux\r\n\
a=mid:0\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=fmtp:111 minptime=10;useinbandfec=1\r\n\
a=rtpmap:9 G722/8000\r\n\
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n\
m=video 51372 RTP/AVP 96 97\r\n\
c=IN IP6 2001:db8::1\r\n\
a=mid:1\r\n\
a=rtpmap:96 VP8/90000\r\n\
a=rtpmap:97 H264/90000\r\n\
a=fmtp:97 profile-level-id=42e01f;packetization-mode=1\r\n\
a=inactive\r\n\
m=image 0 udptl t38\r\n";

/// Realistic SIP messages, each a complete datagram (bodies get Content-Length).
fn sip_messages() -> Vec<Vec<u8>> {
    let with_body = |head: &str, body: &str| -> Vec<u8> {
        format!(
            "{head}Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    let mut v = vec![
        with_body(
            "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@pc33.atlanta.example.com;transport=udp>\r\n\
User-Agent: SIPp/3.7\r\n\
Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY\r\n\
P-Asserted-Identity: <sip:+15551234567@atlanta.example.com;user=phone>\r\n",
            SDP_AUDIO,
        ),
        b"SIP/2.0 100 Trying\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport=5060;received=192.0.2.10\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 INVITE\r\n\
Content-Length: 0\r\n\r\n"
            .to_vec(),
        b"SIP/2.0 180 Ringing\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds\r\n\
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:bob@192.0.2.4>\r\n\
Content-Length: 0\r\n\r\n"
            .to_vec(),
        with_body(
            "SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;received=192.0.2.10\r\n\
Record-Route: <sip:proxy.example.com;lr>\r\n\
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:bob@192.0.2.4>\r\n\
Server: Asterisk PBX 18.0\r\n",
            SDP_ANSWER,
        ),
        b"ACK sip:bob@192.0.2.4 SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bKnashds9\r\n\
Route: <sip:proxy.example.com;lr>\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 ACK\r\n\
Content-Length: 0\r\n\r\n"
            .to_vec(),
        b"BYE sip:alice@pc33.atlanta.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds10\r\n\
Max-Forwards: 70\r\n\
From: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
To: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 231 BYE\r\n\
Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n\
Content-Length: 0\r\n\r\n"
            .to_vec(),
        b"REGISTER sip:registrar.biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/TCP bobspc.biloxi.example.com:5060;branch=z9hG4bKnashds7\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Bob <sip:bob@biloxi.example.com>;tag=456248\r\n\
Call-ID: 843817637684230@998sdasdh09\r\n\
CSeq: 1826 REGISTER\r\n\
Contact: <sip:bob@192.0.2.4;transport=tcp>;expires=7200;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\"\r\n\
Authorization: Digest username=\"bob\", realm=\"biloxi.example.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:registrar.biloxi.example.com\", response=\"7587245234b3434cc3412213e5f113a5\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"0a4f113b\"\r\n\
Expires: 7200\r\n\
Content-Length: 0\r\n\r\n"
            .to_vec(),
        b"SIP/2.0 401 Unauthorized\r\n\
Via: SIP/2.0/TCP bobspc.biloxi.example.com:5060;branch=z9hG4bKnashds7;received=192.0.2.4\r\n\
To: Bob <sip:bob@biloxi.example.com>;tag=2493k59kd\r\n\
From: Bob <sip:bob@biloxi.example.com>;tag=456248\r\n\
Call-ID: 843817637684230@998sdasdh09\r\n\
CSeq: 1826 REGISTER\r\n\
WWW-Authenticate: Digest realm=\"biloxi.example.com\", qop=\"auth\", nonce=\"ea9c8e88df84f1cec4341ae6cbe5a359\", opaque=\"\", stale=FALSE, algorithm=MD5\r\n\
Content-Length: 0\r\n\r\n"
            .to_vec(),
        // Compact header forms, folded header, IPv6 Via, no Content-Length.
        b"OPTIONS sip:[2001:db8::10]:5061;transport=tls SIP/2.0\r\n\
v: SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bK-524287-1---x\r\n\
f: <sips:monitor@[2001:db8::1]>;tag=a73kszlfl\r\n\
t: <sip:[2001:db8::10]>\r\n\
i: 1j9FpLxk3uxtm8tn@2001:db8::1\r\n\
CSeq: 1 OPTIONS\r\n\
m: <sips:monitor@[2001:db8::1]:5061>\r\n\
Subject: keep\r\n alive\r\n\
Accept: application/sdp\r\n\
k: path, 100rel\r\n\r\n"
            .to_vec(),
        b"CANCEL sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds\r\n\
Via: SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bKfirst,SIP/2.0/UDP 10.1.1.2;branch=z9hG4bKsecond\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 CANCEL\r\n\
Max-Forwards: 70\r\n\
Content-Length: 0\r\n\r\n"
            .to_vec(),
        b"SIP/2.0 486 Busy Here\r\n\
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1\r\n\
To: <sip:2000@10.0.0.2>;tag=99\r\n\
From: <sip:1000@10.0.0.1>;tag=1\r\n\
Call-ID: 1-12345@10.0.0.1\r\n\
CSeq: 1 INVITE\r\n\
Warning: 399 pbx \"No channel\"\r\n\
Content-Length: 0\r\n\r\n"
            .to_vec(),
        b"MESSAGE sip:user2@domain.com SIP/2.0\r\n\
Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK776sgdkse\r\n\
Max-Forwards: 70\r\n\
From: sip:user1@domain.com;tag=49583\r\n\
To: sip:user2@domain.com\r\n\
Call-ID: asd88asd77a@1.2.3.4\r\n\
CSeq: 1 MESSAGE\r\n\
Content-Type: text/plain\r\n\
Content-Length: 18\r\n\r\n\
Watson, come here."
            .to_vec(),
        // Multipart body with SDP inside.
        b"NOTIFY sip:a@b.example SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKn1\r\n\
From: <sip:p@b.example>;tag=x\r\n\
To: <sip:a@b.example>;tag=y\r\n\
Call-ID: n1@b.example\r\n\
CSeq: 7 NOTIFY\r\n\
Event: dialog\r\n\
Subscription-State: active;expires=3600\r\n\
Content-Type: multipart/mixed;boundary=unique-boundary-1\r\n\
Content-Length: 120\r\n\r\n\
--unique-boundary-1\r\n\
Content-Type: application/sdp\r\n\r\n\
v=0\r\nm=audio 4000 RTP/AVP 0\r\n\
--unique-boundary-1--\r\n"
            .to_vec(),
    ];
    v.push(with_body(
        "INVITE sip:+15557654321@gw.example.net;user=phone SIP/2.0\r\n\
Via: SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bKv6\r\n\
From: <sip:+15551234567@example.net>;tag=v6\r\n\
To: <sip:+15557654321@gw.example.net>\r\n\
Call-ID: v6call@2001:db8::1\r\n\
CSeq: 2 INVITE\r\n\
Session-Expires: 1800;refresher=uac\r\n\
Supported: timer, 100rel\r\n",
        SDP_VIDEO_V6,
    ));
    v
}

fn sdp_bodies() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [SDP_AUDIO, SDP_ANSWER, SDP_VIDEO_V6]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    // Bare LF line ends, and a minimal body.
    v.push(SDP_AUDIO.replace("\r\n", "\n").into_bytes());
    v.push(b"v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 0 RTP/AVP 18\r\na=fmtp:18 annexb=no\r\n".to_vec());
    v
}

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("literal address")
}

/// HEP packets: v3 via the encoder with many field combinations, v2/v1 by hand.
fn hep_packets(sip: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (i, m) in sip.iter().enumerate() {
        let v6 = i % 3 == 2;
        let (src, dst) = if v6 {
            (addr("[2001:db8::1]:5060"), addr("[2001:db8::2]:5061"))
        } else {
            (addr("192.0.2.10:5060"), addr("198.51.100.20:5060"))
        };
        let pkt = HepPacket {
            version: HepVersion::V3,
            ip_family: if v6 { AF_INET6 } else { AF_INET },
            ip_proto: [17, 6, 132, 22][i % 4],
            src_ip: src.ip(),
            dst_ip: dst.ip(),
            src_port: src.port(),
            dst_port: dst.port(),
            ts_sec: 1_700_000_000 + i as u32,
            ts_usec: 123_456,
            proto_type: ProtoType::SIP,
            capture_id: 2001,
            keep_alive: (i % 4 == 1).then_some(30),
            auth_key: (i % 5 == 0).then_some(&b"myHep"[..]),
            payload: m.as_slice().into(),
            compressed: i % 4 == 3,
            correlation_id: (i % 2 == 0).then_some(&b"a84b4c76e66710@pc33"[..]),
            vlan_id: (i % 3 == 0).then_some(100),
            node_name: (i % 2 == 1).then_some(&b"kamailio-01"[..]),
            mos: (i % 6 == 0).then_some(412),
        };
        let mut w = Vec::new();
        encode_v3(&pkt, &mut w);
        out.push(w);
    }
    // Non-SIP payload types (RTCP JSON, log) with an empty-ish packet.
    for (pt, body) in [
        (5u8, &br#"{"type":200,"ssrc":1234,"report_count":0}"#[..]),
        (100, &b"log line from kamailio"[..]),
        (34, &b"{\"CORRELATION_ID\":\"x\",\"MOS\":412}"[..]),
    ] {
        let pkt = HepPacket {
            proto_type: ProtoType(pt),
            payload: body.into(),
            ..Default::default()
        };
        let mut w = Vec::new();
        encode_v3(&pkt, &mut w);
        out.push(w);
    }
    // HEPv1 / HEPv2, IPv4 and IPv6 (hep.md §2: hp_l is the header length).
    let msg = &sip[1];
    for version in [1u8, 2] {
        for v6 in [false, true] {
            let mut w = vec![
                version,
                if v6 { 40 } else { 16 },
                if v6 { 10 } else { 2 },
                17,
            ];
            w.extend_from_slice(&5060u16.to_be_bytes());
            w.extend_from_slice(&5080u16.to_be_bytes());
            if v6 {
                w.extend_from_slice(
                    &"2001:db8::1"
                        .parse::<std::net::Ipv6Addr>()
                        .unwrap()
                        .octets(),
                );
                w.extend_from_slice(
                    &"2001:db8::2"
                        .parse::<std::net::Ipv6Addr>()
                        .unwrap()
                        .octets(),
                );
            } else {
                w.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
            }
            if version == 2 {
                w.extend_from_slice(&1_700_000_000u32.to_le_bytes());
                w.extend_from_slice(&500_000u32.to_le_bytes());
                w.extend_from_slice(&2001u16.to_le_bytes());
                w.extend_from_slice(&[0, 0]);
            }
            w.extend_from_slice(msg);
            out.push(w);
        }
    }
    // A raw v3 header with a vendor chunk and an unknown chunk, then the payload.
    let mut w = b"HEP3\0\0".to_vec();
    let mut chunk = |vendor: u16, ty: u16, body: &[u8]| {
        w.extend_from_slice(&vendor.to_be_bytes());
        w.extend_from_slice(&ty.to_be_bytes());
        w.extend_from_slice(&((6 + body.len()) as u16).to_be_bytes());
        w.extend_from_slice(body);
    };
    chunk(0, 1, &[2]);
    chunk(0, 2, &[17]);
    chunk(0, 3, &[10, 0, 0, 1]);
    chunk(0, 4, &[10, 0, 0, 2]);
    chunk(0, 7, &5060u16.to_be_bytes());
    chunk(0, 8, &5060u16.to_be_bytes());
    chunk(0, 11, &[1]);
    chunk(0x0002, 0x0100, b"vendor");
    chunk(0, 0x7777, b"unknown");
    chunk(0, 15, b"OPTIONS sip:x SIP/2.0\r\n\r\n");
    let len = w.len() as u16;
    w[4..6].copy_from_slice(&len.to_be_bytes());
    out.push(w);
    out
}

/// Stream seeds: the first 8 bytes are read sizes, then several packets back to back
/// with some garbage between (the decoder must resync on "HEP3").
fn hep_streams(hep: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let v3: Vec<&Vec<u8>> = hep.iter().filter(|p| p.starts_with(b"HEP3")).collect();
    let mut out = Vec::new();
    for (k, sizes) in [[255u8; 8], [0, 1, 7, 63, 255, 3, 31, 127], [13; 8]]
        .iter()
        .enumerate()
    {
        let mut s = sizes.to_vec();
        for (i, p) in v3.iter().enumerate().skip(k).step_by(2).take(5) {
            if i % 3 == 1 {
                s.extend_from_slice(b"\r\n\x00garbageHEP");
            }
            s.extend_from_slice(p);
        }
        out.push(s);
    }
    out
}

/// Frames for `net`: Ethernet from build_frame (UDP/TCP, v4/v6), the same IP packets
/// under the other link-layer headers, and VLAN-tagged Ethernet.
fn frames(sip: &[Vec<u8>]) -> Vec<(LinkType, Vec<u8>)> {
    let mut out = Vec::new();
    let ends = [
        (addr("192.0.2.10:5060"), addr("198.51.100.20:5060")),
        (addr("[2001:db8::1]:5060"), addr("[2001:db8::2]:5062")),
    ];
    for (i, m) in sip.iter().enumerate() {
        let (src, dst) = ends[i % 2];
        let proto = if i % 3 == 1 {
            FrameProto::Tcp {
                seq: 1000 + i as u32,
            }
        } else {
            FrameProto::Udp
        };
        let mut eth = Vec::new();
        build_frame(src, dst, proto, m, &mut eth);
        let ip = eth[14..].to_vec();
        let v6 = eth[12..14] == [0x86, 0xdd];
        match i % 6 {
            0 => out.push((LinkType::ETHERNET, eth)),
            1 => {
                // 802.1Q tag, VLAN 100.
                let mut t = eth[..12].to_vec();
                t.extend_from_slice(&[0x81, 0x00, 0x00, 0x64]);
                t.extend_from_slice(&eth[12..]);
                out.push((LinkType::ETHERNET, t));
            }
            2 => out.push((LinkType::RAW, ip)),
            3 => {
                // Linux cooked v1: packet type, ARPHRD, addr len, 8-byte addr, protocol.
                let mut t = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0, 1, 0];
                t.extend_from_slice(&eth[12..14]);
                t.extend_from_slice(&ip);
                out.push((LinkType::LINUX_SLL, t));
            }
            4 => {
                // Linux cooked v2: protocol, reserved, ifindex, ARPHRD, pkttype, addr len, addr.
                let mut t = eth[12..14].to_vec();
                t.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0, 1, 0]);
                t.extend_from_slice(&ip);
                out.push((LinkType::LINUX_SLL2, t));
            }
            _ => {
                // BSD loopback, host byte order (LE) family.
                let fam: u32 = if v6 { 30 } else { 2 };
                let mut t = fam.to_le_bytes().to_vec();
                t.extend_from_slice(&ip);
                out.push((LinkType::NULL, t));
            }
        }
    }
    out
}

fn pcap_file(link: LinkType, frames: &[&[u8]]) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new(), link).expect("vec write");
    for (i, f) in frames.iter().enumerate() {
        w.write_frame(1_700_000_000_000_000 + i as i64 * 20_000, f)
            .expect("vec write");
    }
    w.into_inner().expect("vec write")
}

/// A little-endian pcapng file: SHB, one IDB per link type, one EPB per frame, and an
/// SPB for the first frame.
fn pcapng_file(frames: &[(LinkType, Vec<u8>)]) -> Vec<u8> {
    fn block(out: &mut Vec<u8>, ty: u32, body: &[u8]) {
        let pad = (4 - body.len() % 4) % 4;
        let len = (12 + body.len() + pad) as u32;
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(body);
        out.extend(std::iter::repeat_n(0u8, pad));
        out.extend_from_slice(&len.to_le_bytes());
    }
    let mut out = Vec::new();
    let mut shb = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    block(&mut out, 0x0A0D_0D0A, &shb);
    let mut links: Vec<LinkType> = Vec::new();
    for (l, _) in frames {
        if !links.contains(l) {
            links.push(*l);
            let mut idb = l.0.to_le_bytes().to_vec();
            idb.extend_from_slice(&[0, 0]);
            idb.extend_from_slice(&262_144u32.to_le_bytes());
            if links.len() == 2 {
                // if_tsresol = 10^-9 (option 9), then opt_endofopt.
                idb.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
            }
            block(&mut out, 1, &idb);
        }
    }
    for (i, (l, f)) in frames.iter().enumerate() {
        let ifid = links.iter().position(|x| x == l).unwrap() as u32;
        let ts: u64 = 1_700_000_000_000_000 + i as u64 * 1000;
        let mut epb = ifid.to_le_bytes().to_vec();
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&(f.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(f.len() as u32).to_le_bytes());
        epb.extend_from_slice(f);
        block(&mut out, 6, &epb);
    }
    if let Some((LinkType::ETHERNET, f)) = frames.first() {
        let mut spb = (f.len() as u32).to_le_bytes().to_vec();
        spb.extend_from_slice(f);
        block(&mut out, 3, &spb);
    }
    out
}

struct Corpus {
    root: PathBuf,
    seen: HashSet<(usize, u64)>,
    counts: [usize; TARGETS.len()],
}

impl Corpus {
    fn add(&mut self, target: &str, data: &[u8]) -> io::Result<()> {
        let t = TARGETS
            .iter()
            .position(|x| *x == target)
            .expect("known target");
        // FNV-1a 64: stable names, so re-running adds nothing.
        let h = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        if !self.seen.insert((t, h)) {
            return Ok(());
        }
        let dir = self.root.join(target);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join(format!("seed-{h:016x}")), data)?;
        self.counts[t] += 1;
        // The whole packet path reads capture files too.
        if target == "pcap" {
            self.add("wire", data)?;
        }
        Ok(())
    }
}

/// SIP start line: a method or "SIP/2.0 " at the start of a payload.
fn looks_like_sip(p: &[u8]) -> bool {
    const STARTS: [&[u8]; 15] = [
        b"SIP/2.0 ",
        b"INVITE ",
        b"ACK ",
        b"BYE ",
        b"CANCEL ",
        b"OPTIONS ",
        b"REGISTER ",
        b"PRACK ",
        b"SUBSCRIBE ",
        b"NOTIFY ",
        b"PUBLISH ",
        b"INFO ",
        b"REFER ",
        b"MESSAGE ",
        b"UPDATE ",
    ];
    STARTS.iter().any(|s| p.starts_with(s))
}

fn sdp_of(msg: &[u8]) -> Option<&[u8]> {
    let at = msg.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let body = &msg[at..];
    body.starts_with(b"v=0").then_some(body)
}

fn from_captures(c: &mut Corpus, dir: &Path) -> io::Result<()> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let base = c.counts;
    let room = |c: &Corpus, t: &str| {
        let i = TARGETS.iter().position(|x| *x == t).unwrap();
        c.counts[i] - base[i] < MAX_FROM_CAPTURES
    };
    for path in &files {
        let Ok(data) = fs::read(path) else { continue };
        let Ok(mut r) = CaptureReader::new(&data[..]) else {
            continue;
        };
        if room(c, "pcap") {
            c.add("pcap", &data[..data.len().min(MAX_CAPTURE_SEED)])?;
        }
        let (mut frames, mut sips, mut heps, mut media) = (0, 0, 0, 0);
        let mut n = 0;
        while let Some(f) = r.next_frame() {
            n += 1;
            if n > 20_000 {
                break;
            }
            let Ok(f) = f else { continue };
            if frames < PER_FILE && f.data.len() <= 16 * 1024 && room(c, "net") {
                c.add("net", f.data)?;
                frames += 1;
            }
            let Ok(p) = decode_packet(f.link_type, f.data) else {
                continue;
            };
            if matches!(p.transport, TransportHeader::Other { .. }) || p.payload.is_empty() {
                continue;
            }
            if sips < PER_FILE && looks_like_sip(p.payload) && room(c, "sip") {
                c.add("sip", p.payload)?;
                if let Some(sdp) = sdp_of(p.payload) {
                    if room(c, "sdp") {
                        c.add("sdp", sdp)?;
                    }
                }
                sips += 1;
            }
            // RTP and RTCP: version 2 in the first byte; packet types 200..=207 are RTCP.
            if media < PER_FILE
                && matches!(p.transport, TransportHeader::Udp { .. })
                && p.payload.len() >= 8
                && p.payload[0] >> 6 == 2
            {
                let t = if (200..=207).contains(&p.payload[1]) {
                    "rtcp"
                } else {
                    "rtp"
                };
                if room(c, t) {
                    c.add(t, p.payload)?;
                    media += 1;
                }
            }
            if heps < PER_FILE
                && (p.payload.starts_with(b"HEP3") || p.payload.starts_with(b"EEP3"))
                && room(c, "hep")
            {
                c.add("hep", p.payload)?;
                let mut s = vec![255u8; 8];
                s.extend_from_slice(p.payload);
                c.add("hep_stream", &s)?;
                heps += 1;
            }
        }
    }
    let vectors = dir.join("hep-vectors");
    if let Ok(rd) = fs::read_dir(&vectors) {
        let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        v.sort();
        for p in v {
            if let Ok(data) = fs::read(&p) {
                if data.len() <= 65_536 {
                    c.add("hep", &data)?;
                    if data.starts_with(b"HEP3") {
                        let mut s = vec![255u8; 8];
                        s.extend_from_slice(&data);
                        c.add("hep_stream", &s)?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(root) = args.first() else {
        eprintln!("usage: argos-fuzz-seeds <corpus-dir> [captures-dir]");
        std::process::exit(2);
    };
    let mut c = Corpus {
        root: PathBuf::from(root),
        seen: HashSet::new(),
        counts: [0; TARGETS.len()],
    };
    let sip = sip_messages();
    for m in &sip {
        c.add("sip", m)?;
        if let Some(sdp) = sdp_of(m) {
            c.add("sdp", sdp)?;
        }
    }
    for s in sdp_bodies() {
        c.add("sdp", &s)?;
    }
    let hep = hep_packets(&sip);
    for p in &hep {
        c.add("hep", p)?;
    }
    for s in hep_streams(&hep) {
        c.add("hep_stream", &s)?;
    }
    for t in argos_net::tls::fuzzing::seeds() {
        c.add("tls", &t)?;
    }
    let fr = frames(&sip);
    for (_, f) in &fr {
        c.add("net", f)?;
    }
    // pcap: one file per link type, one with every Ethernet frame, and a pcapng with all.
    let mut links: Vec<LinkType> = fr.iter().map(|(l, _)| *l).collect();
    links.dedup();
    for l in &links {
        let fs: Vec<&[u8]> = fr
            .iter()
            .filter(|(x, _)| x == l)
            .map(|(_, f)| &f[..])
            .collect();
        c.add("pcap", &pcap_file(*l, &fs))?;
    }
    let all_eth: Vec<Vec<u8>> = sip
        .iter()
        .map(|m| {
            let mut f = Vec::new();
            build_frame(
                addr("10.0.0.1:5060"),
                addr("10.0.0.2:5060"),
                FrameProto::Udp,
                m,
                &mut f,
            );
            f
        })
        .collect();
    let refs: Vec<&[u8]> = all_eth.iter().map(|f| &f[..]).collect();
    c.add("pcap", &pcap_file(LinkType::ETHERNET, &refs))?;
    c.add("pcap", &pcapng_file(&fr))?;
    // HEP inside UDP frames, as a HEP capture would look on the wire.
    let hep_frames: Vec<Vec<u8>> = hep
        .iter()
        .take(4)
        .map(|p| {
            let mut f = Vec::new();
            build_frame(
                addr("10.0.0.5:40000"),
                addr("10.0.0.6:9060"),
                FrameProto::Udp,
                p,
                &mut f,
            );
            f
        })
        .collect();
    let refs: Vec<&[u8]> = hep_frames.iter().map(|f| &f[..]).collect();
    c.add("pcap", &pcap_file(LinkType::ETHERNET, &refs))?;

    if let Some(dir) = args.get(1) {
        let dir = Path::new(dir);
        if dir.is_dir() {
            from_captures(&mut c, dir)?;
        }
    }
    let summary: Vec<String> = TARGETS
        .iter()
        .zip(c.counts)
        .map(|(t, n)| format!("{t}={n}"))
        .collect();
    println!("seeds written to {root}: {}", summary.join(" "));
    Ok(())
}
