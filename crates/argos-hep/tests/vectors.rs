//! Public HEP test vectors and captures (shared/testdata) decode to the values their
//! sources state (see shared/testdata/captures/SOURCES.md and ORACLES.md).

#![allow(clippy::unwrap_used)]

mod common;

use std::net::IpAddr;

use argos_hep::{decode, decode_with, encode_v3, DecodeOptions, HepError, HepVersion, ProtoType};
use common::{shared_file, udp_datagrams};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn vector(name: &str) -> Option<Vec<u8>> {
    shared_file(&format!("testdata/captures/hep-vectors/{name}"))
}

#[test]
fn heplify_server_hep_packet_v3() {
    let Some(buf) = vector("heplify-server__decoder_test_hepPacket.bin") else {
        return;
    };
    assert_eq!(buf.len(), 778);
    let p = decode(&buf).unwrap();
    assert_eq!(p.version, HepVersion::V3);
    assert_eq!((p.ip_family, p.ip_proto), (2, 17));
    assert_eq!(p.src_ip, ip("192.168.247.250"));
    assert_eq!(p.dst_ip, ip("192.168.245.250"));
    assert_eq!((p.src_port, p.dst_port), (5060, 5060));
    assert_eq!((p.ts_sec, p.ts_usec), (0x5aa2_9b98, 0x0001_d2f4));
    assert_eq!(p.proto_type, ProtoType::SIP);
    assert_eq!(p.capture_id, 0);
    assert_eq!(p.auth_key, Some(&b""[..]), "zero-length auth key chunk");
    assert_eq!(p.payload.len(), 0x02a7 - 6);
    assert!(p
        .payload
        .starts_with(b"SIP/2.0 200 OK\r\nCall-ID: BC099884@6dfcffe8"));
    assert!(!p.compressed);
    assert!(matches!(p.payload, std::borrow::Cow::Borrowed(_)));
    assert_eq!(
        (p.correlation_id, p.node_name, p.vlan_id, p.mos),
        (None, None, None, None)
    );
    // heplify-server's own test: decode then encode reproduces the bytes exactly.
    let mut out = Vec::new();
    encode_v3(&p, &mut out);
    assert_eq!(out, buf);
    // It is also exact-length, so strict mode accepts it.
    let strict = DecodeOptions {
        strict_length: true,
        ..Default::default()
    };
    assert_eq!(decode_with(&buf, &strict).unwrap(), p);
}

#[test]
fn heplify_server_hep_v2_packet_is_v1() {
    let Some(buf) = vector("heplify-server__decoder_test_hepV2Packet.bin") else {
        return;
    };
    let p = decode(&buf).unwrap();
    assert_eq!(p.version, HepVersion::V1);
    assert_eq!((p.ip_family, p.ip_proto), (2, 17));
    assert_eq!(p.src_ip, ip("10.0.1.100"));
    assert_eq!(p.dst_ip, ip("192.168.0.254"));
    assert_eq!((p.src_port, p.dst_port), (5060, 5060));
    assert_eq!((p.ts_sec, p.ts_usec, p.capture_id), (0, 0, 0));
    assert_eq!(p.proto_type, ProtoType::SIP);
    assert_eq!(p.payload.len(), 535 - 16);
    assert!(p.payload.starts_with(b"SIP/2.0 200 OK\r\n"));
    let text = String::from_utf8_lossy(&p.payload);
    assert!(text.contains("SpeedTouch 780"), "UA of the source test");
}

#[test]
fn sip3_packet_1_hep_v2_little_endian_time() {
    let Some(buf) = vector("sip3-salto__HepDecoderTest_PACKET_1.bin") else {
        return;
    };
    let p = decode(&buf).unwrap();
    assert_eq!(p.version, HepVersion::V2);
    assert_eq!((p.ip_family, p.ip_proto), (2, 17));
    assert_eq!(p.src_addr().to_string(), "10.0.0.4:5060");
    assert_eq!(p.dst_addr().to_string(), "10.0.0.4:5062");
    // sip3 expects createdAt 1571254062044 ms and nanos 436.
    assert_eq!(p.timestamp_us(), 1_571_254_062_044_436);
    assert_eq!(p.capture_id, 1);
    assert_eq!(&p.payload[..], b"SIP/2.0");
}

#[test]
fn sip3_packet_2_mapped_ipv6_in_ipv4_chunks_and_short_buffer() {
    let Some(buf) = vector("sip3-salto__HepDecoderTest_PACKET_2.bin") else {
        return;
    };
    assert_eq!(buf.len(), 140);
    let p = decode(&buf).unwrap();
    assert_eq!(p.version, HepVersion::V3);
    assert_eq!(p.src_addr().to_string(), "79.142.86.118:5063");
    assert_eq!(p.dst_addr().to_string(), "212.48.197.150:5060");
    // sip3 expects createdAt 1550492760263 ms, nanos 774.
    assert_eq!(p.timestamp_us(), 1_550_492_760_263_774);
    assert_eq!(p.proto_type, ProtoType::SIP);
    assert_eq!(p.capture_id, 2004);
    assert_eq!(p.auth_key, Some(&b"myhep"[..]));
    assert_eq!(&p.payload[..], b"NOTIFY");
    // Declared 544, only 140 present: rejected in strict mode.
    let strict = DecodeOptions {
        strict_length: true,
        ..Default::default()
    };
    assert_eq!(
        decode_with(&buf, &strict),
        Err(HepError::LengthMismatch {
            declared: 544,
            actual: 140
        })
    );
}

#[test]
fn sip3_packet_3_rtcp_json() {
    let Some(buf) = vector("sip3-salto__HepDecoderTest_PACKET_3.bin") else {
        return;
    };
    let p = decode(&buf).unwrap();
    assert_eq!(p.version, HepVersion::V3);
    assert_eq!(p.src_addr().to_string(), "192.168.9.119:17969");
    assert_eq!(p.dst_addr().to_string(), "192.168.4.140:5005");
    // sip3 expects createdAt 1602657480066 ms, nanos 334.
    assert_eq!(p.timestamp_us(), 1_602_657_480_066_334);
    assert_eq!(p.proto_type, ProtoType::RTCP_JSON);
    assert_eq!(p.capture_id, 2002);
    assert_eq!(p.payload.len(), 546);
    assert!(p.payload.starts_with(b"{\"sender_information\""));
}

#[test]
fn hepws_hep_pcap_all_decode() {
    let Some(file) = shared_file("testdata/captures/hepws__hep.pcap") else {
        return;
    };
    let dgrams: Vec<_> = udp_datagrams(&file)
        .into_iter()
        .filter(|d| d.dst_port == 9060)
        .collect();
    assert_eq!(dgrams.len(), 8);
    let mut protos = Vec::new();
    for d in &dgrams {
        let p = decode(&d.payload).unwrap();
        assert_eq!(p.version, HepVersion::V3);
        assert_eq!(p.capture_id, 2001);
        assert_eq!(p.auth_key, Some(&b"myHep"[..]));
        assert!(p.correlation_id.is_some());
        protos.push(p.proto_type.0);
        // decode → encode → decode keeps every field.
        let mut out = Vec::new();
        encode_v3(&p, &mut out);
        assert_eq!(decode(&out).unwrap(), p);
    }
    assert_eq!(protos.iter().filter(|&&t| t == 1).count(), 6);
    assert_eq!(protos.iter().filter(|&&t| t == 100).count(), 1);
    assert_eq!(protos.iter().filter(|&&t| t == 5).count(), 1);

    // Frame 5, the LOG packet, in full (hep.md §7).
    let log = decode(&dgrams[4].payload).unwrap();
    assert_eq!(dgrams[4].payload.len(), 220);
    assert_eq!(log.proto_type, ProtoType::LOG);
    assert_eq!(log.src_addr().to_string(), "192.168.1.1:0");
    assert_eq!(log.dst_addr().to_string(), "192.168.1.2:0");
    assert_eq!((log.ts_sec, log.ts_usec), (0x584d_365f, 0x7e));
    assert_eq!(log.correlation_id, Some(&b"qgf3dm9rudi@127.0.0.1"[..]));
    assert_eq!(
        &log.payload[..],
        &b"SYSLOG: Processing OPTIONS request from nodejs using Call-Id: qgf3dm9rudi@127.0.0.1"[..]
    );
    // Frame 8: RTCP JSON.
    let rtcp = decode(&dgrams[7].payload).unwrap();
    assert_eq!(rtcp.proto_type, ProtoType::RTCP_JSON);
    assert!(rtcp
        .payload
        .starts_with(b"{\"sender_information\":{\"ntp_timestamp_sec\":3650797214"));
}

#[test]
fn hepws_compressed_pcapng_all_inflate() {
    let Some(file) = shared_file("testdata/captures/hepws__hep3_compressed.pcap.pcapng") else {
        return;
    };
    let dgrams: Vec<_> = udp_datagrams(&file)
        .into_iter()
        .filter(|d| d.dst_port == 9060)
        .collect();
    assert_eq!(dgrams.len(), 21);
    for d in &dgrams {
        assert!(
            d.payload.windows(2).any(|w| w == [0x78, 0x9c]),
            "zlib stream present"
        );
        let p = decode(&d.payload).unwrap();
        assert!(p.compressed);
        assert!(matches!(p.payload, std::borrow::Cow::Owned(_)));
        assert_eq!(p.ip_proto, 6);
        assert_eq!(p.capture_id, 228);
        assert_eq!(p.auth_key, Some(&b"myHep"[..]));
        assert!(
            p.payload.starts_with(b"REGISTER sip:") || p.payload.starts_with(b"SIP/2.0 "),
            "inflated SIP: {:?}",
            String::from_utf8_lossy(&p.payload[..20.min(p.payload.len())])
        );
        let mut out = Vec::new();
        encode_v3(&p, &mut out);
        assert_eq!(decode(&out).unwrap(), p, "recompressed round trip");
    }
}

#[test]
fn lab_capture_kamailio_hep_all_decode() {
    let Some(file) = shared_file("testdata/lab/lab-calls.pcap") else {
        return;
    };
    let dgrams: Vec<_> = udp_datagrams(&file)
        .into_iter()
        .filter(|d| d.dst_port == 9060)
        .collect();
    assert_eq!(dgrams.len(), 715);
    for d in &dgrams {
        let p = decode(&d.payload).unwrap();
        assert_eq!(p.version, HepVersion::V3);
        assert_eq!(p.capture_id, 2001);
        assert_eq!(p.auth_key, Some(&b"labsecret"[..]));
        assert_eq!(p.proto_type, ProtoType::SIP);
        assert!(p.has_addresses());
        assert!(p.ts_sec > 0);
        let first_line = p.payload.split(|&b| b == b'\n').next().unwrap();
        assert!(first_line.ends_with(b"SIP/2.0\r") || first_line.starts_with(b"SIP/2.0 "));
    }
}
