//! Encode/decode round trips, every error path, truncation, vendor chunks, compression.

#![allow(clippy::unwrap_used)]

use std::borrow::Cow;
use std::io::Write;
use std::net::IpAddr;

use argos_hep::{
    chunk, chunks, decode, decode_with, encode_v3, encode_v3_with, inflate, try_encode_v3,
    Compression, DecodeOptions, EncodeOptions, HepError, HepPacket, HepVersion, ProtoType,
};

const SIP: &[u8] = b"INVITE sip:bob@example.com SIP/2.0\r\nCall-ID: abc@host\r\n\r\n";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn full_packet<'a>() -> HepPacket<'a> {
    HepPacket {
        version: HepVersion::V3,
        ip_family: 2,
        ip_proto: 17,
        src_ip: ip("10.1.2.3"),
        dst_ip: ip("192.0.2.44"),
        src_port: 5060,
        dst_port: 5080,
        ts_sec: 1_700_000_123,
        ts_usec: 999_999,
        proto_type: ProtoType::SIP,
        capture_id: 2001,
        keep_alive: Some(30),
        auth_key: Some(b"labsecret"),
        payload: Cow::Borrowed(SIP),
        compressed: false,
        correlation_id: Some(b"abc@host"),
        vlan_id: Some(101),
        node_name: Some(b"kamailio-1"),
        mos: Some(439),
    }
}

/// Raw HEPv3 builder for hand-made (possibly malformed) packets.
struct Raw(Vec<u8>);

impl Raw {
    fn new() -> Self {
        Raw(b"HEP3\0\0".to_vec())
    }
    fn chunk(mut self, vendor: u16, ty: u16, body: &[u8]) -> Self {
        self.0.extend_from_slice(&vendor.to_be_bytes());
        self.0.extend_from_slice(&ty.to_be_bytes());
        self.0
            .extend_from_slice(&((body.len() + 6) as u16).to_be_bytes());
        self.0.extend_from_slice(body);
        self
    }
    fn gen(self, ty: u16, body: &[u8]) -> Self {
        self.chunk(0, ty, body)
    }
    fn bytes(mut self) -> Vec<u8> {
        let n = (self.0.len() as u16).to_be_bytes();
        self.0[4..6].copy_from_slice(&n);
        self.0
    }
}

fn encode(p: &HepPacket<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    encode_v3(p, &mut out);
    out
}

#[test]
fn round_trip_ipv4_all_fields() {
    let p = full_packet();
    let wire = encode(&p);
    assert_eq!(&wire[..4], b"HEP3");
    assert_eq!(
        usize::from(u16::from_be_bytes([wire[4], wire[5]])),
        wire.len()
    );
    let d = decode(&wire).unwrap();
    assert_eq!(d, p);
    assert!(matches!(d.payload, Cow::Borrowed(_)), "zero-copy payload");
    // The payload slice points into the wire buffer.
    let range = wire.as_ptr_range();
    assert!(range.contains(&d.payload.as_ptr()));
    // Payload chunk is last (canonical order).
    let last = chunks(&wire).unwrap().last().unwrap().unwrap();
    assert_eq!(last.chunk_type, chunk::PAYLOAD);
    assert_eq!(try_encode_v3(&p, &mut Vec::new()), Ok(wire.len()));
}

#[test]
fn round_trip_ipv6() {
    let p = HepPacket {
        ip_family: 10,
        ip_proto: 6,
        src_ip: ip("2001:db8::1"),
        dst_ip: ip("2001:db8:ffff::abcd"),
        src_port: 5061,
        dst_port: 45000,
        ..full_packet()
    };
    let wire = encode(&p);
    let types: Vec<u16> = chunks(&wire)
        .unwrap()
        .map(|c| c.unwrap().chunk_type)
        .collect();
    assert!(types.contains(&chunk::IPV6_SRC) && types.contains(&chunk::IPV6_DST));
    assert!(!types.contains(&chunk::IPV4_SRC));
    assert_eq!(decode(&wire).unwrap(), p);
}

#[test]
fn round_trip_minimal_and_unknown_proto_type() {
    let p = HepPacket {
        proto_type: ProtoType(201),
        payload: Cow::Borrowed(b""),
        ..Default::default()
    };
    let wire = encode(&p);
    let d = decode(&wire).unwrap();
    assert_eq!(d, p);
    assert_eq!(d.proto_type.0, 201, "unknown proto types survive");
    assert_eq!(d.proto_type.to_string(), "201");
    assert_eq!(ProtoType::LOG.to_string(), "log");
}

#[test]
fn encode_appends() {
    let mut out = b"prefix".to_vec();
    encode_v3(&full_packet(), &mut out);
    assert_eq!(&out[..6], b"prefix");
    assert_eq!(decode(&out[6..]).unwrap(), full_packet());
}

#[test]
fn encode_too_large() {
    let big = vec![b'x'; 70_000];
    let p = HepPacket {
        payload: Cow::Borrowed(&big),
        ..full_packet()
    };
    let mut out = b"keep".to_vec();
    assert!(matches!(try_encode_v3(&p, &mut out), Err(HepError::TooLarge { len }) if len > 70_000));
    assert_eq!(out, b"keep", "nothing appended on error");
    // encode_v3 never fails: the payload is cut to fit.
    encode_v3(&p, &mut out);
    let d = decode(&out[4..]).unwrap();
    assert_eq!(out.len() - 4, 65535);
    assert!(d.payload.len() < 65535 && d.payload.iter().all(|&b| b == b'x'));
    assert_eq!(d.correlation_id, p.correlation_id);
}

#[test]
fn missing_addresses_ports_and_time_tolerated() {
    // A log line as hepgen sends it: no address chunks at all.
    let wire = Raw::new()
        .gen(chunk::PROTO_TYPE, &[100])
        .gen(chunk::CORRELATION_ID, b"call-1")
        .gen(chunk::PAYLOAD, b"log line")
        .bytes();
    let p = decode(&wire).unwrap();
    assert_eq!(p.src_ip, ip("0.0.0.0"));
    assert_eq!(p.dst_ip, ip("0.0.0.0"));
    assert_eq!(
        (p.src_port, p.dst_port, p.ts_sec, p.capture_id),
        (0, 0, 0, 0)
    );
    assert_eq!(p.ip_family, 2);
    assert!(!p.has_addresses());
    assert_eq!(p.proto_type, ProtoType::LOG);

    // Family IPv6 without addresses: unspecified IPv6.
    let wire = Raw::new()
        .gen(chunk::IP_FAMILY, &[10])
        .gen(chunk::PAYLOAD, b"x")
        .bytes();
    let p = decode(&wire).unwrap();
    assert_eq!(p.src_ip, ip("::"));
    // No family chunk, IPv6 addresses: family inferred.
    let wire = Raw::new()
        .gen(chunk::IPV6_SRC, &[0; 16])
        .gen(chunk::PAYLOAD, b"x")
        .bytes();
    assert_eq!(decode(&wire).unwrap().ip_family, 10);
}

#[test]
fn chunk_order_is_free_and_last_wins() {
    let wire = Raw::new()
        .gen(chunk::PAYLOAD, b"first")
        .gen(chunk::CAPTURE_ID, &7u32.to_be_bytes())
        .gen(chunk::IPV4_SRC, &[1, 1, 1, 1])
        .gen(chunk::IPV4_SRC, &[2, 2, 2, 2])
        .gen(chunk::PAYLOAD, b"second")
        .gen(chunk::CORRELATION_ID, b"after-payload")
        .bytes();
    let p = decode(&wire).unwrap();
    assert_eq!(p.src_ip, ip("2.2.2.2"));
    assert_eq!(&p.payload[..], b"second");
    assert_eq!(p.capture_id, 7);
    assert_eq!(p.correlation_id, Some(&b"after-payload"[..]));
}

#[test]
fn vendor_and_unknown_chunks_skipped() {
    let wire = Raw::new()
        .gen(chunk::PAYLOAD, b"real")
        // A vendor chunk with a payload type id must not overwrite the payload.
        .chunk(0x0002, chunk::PAYLOAD, b"vendor payload")
        .chunk(0x0003, chunk::IPV4_SRC, b"not an address at all")
        .gen(0x0065, b"{\"opensips\":\"extra correlation\"}")
        .gen(chunk::SRC_MAC, &[1, 2, 3, 4, 5, 6, 7, 8])
        .gen(0x7777, b"")
        .gen(0x0000, b"type zero")
        .bytes();
    let p = decode(&wire).unwrap();
    assert_eq!(&p.payload[..], b"real");
    assert_eq!(p.src_ip, ip("0.0.0.0"));
    // ... and still visible through the raw chunk walk.
    let all: Vec<_> = chunks(&wire).unwrap().map(Result::unwrap).collect();
    assert_eq!(all.len(), 7);
    assert_eq!(
        (all[1].vendor, all[1].chunk_type, all[1].body),
        (2, 15, &b"vendor payload"[..])
    );
    assert_eq!(all[1].offset, 6 + 6 + 4);
}

#[test]
fn legacy_vlan_u8_and_mos_sentinels() {
    let base = || Raw::new().gen(chunk::PAYLOAD, b"x");
    assert_eq!(
        decode(&base().gen(chunk::VLAN_ID, &[7]).bytes())
            .unwrap()
            .vlan_id,
        Some(7)
    );
    assert_eq!(
        decode(&base().gen(chunk::VLAN_ID, &[1, 2]).bytes())
            .unwrap()
            .vlan_id,
        Some(258)
    );
    assert_eq!(
        decode(&base().gen(chunk::MOS, &[0, 0]).bytes())
            .unwrap()
            .mos,
        None
    );
    assert_eq!(
        decode(&base().gen(chunk::MOS, &[0xff, 0xff]).bytes())
            .unwrap()
            .mos,
        None
    );
    assert_eq!(
        decode(&base().gen(chunk::MOS, &[1, 184]).bytes())
            .unwrap()
            .mos,
        Some(440)
    );
    assert_eq!(
        decode(&base().gen(chunk::KEEP_ALIVE, &[0, 9]).bytes())
            .unwrap()
            .keep_alive,
        Some(9)
    );
}

#[test]
fn ipv4_mapped_in_ipv4_chunk_but_real_ipv6_kept() {
    let mut v6 = [0u8; 16];
    v6[0] = 0x20;
    v6[1] = 0x01;
    let wire = Raw::new()
        .gen(chunk::IPV4_DST, &v6)
        .gen(chunk::PAYLOAD, b"x")
        .bytes();
    assert_eq!(decode(&wire).unwrap().dst_ip, ip("2001::"));
}

// ---- error paths -------------------------------------------------------------

fn err(buf: &[u8]) -> HepError {
    decode(buf).unwrap_err()
}

#[test]
fn error_too_short() {
    assert_eq!(err(b""), HepError::TooShort { need: 1, have: 0 });
    assert_eq!(err(b"HEP"), HepError::TooShort { need: 6, have: 3 });
    assert_eq!(err(b"HEP3\x00"), HepError::TooShort { need: 6, have: 5 });
    assert_eq!(
        err(&[1, 16, 2, 17, 0, 1]),
        HepError::TooShort { need: 16, have: 6 }
    );
    assert_eq!(
        err(&[1, 40, 10, 17, 0, 1, 0, 2, 0, 0]),
        HepError::TooShort { need: 40, have: 10 }
    );
    let mut v2 = vec![2, 16, 2, 17, 0, 1, 0, 2, 1, 1, 1, 1, 2, 2, 2, 2];
    assert_eq!(err(&v2), HepError::TooShort { need: 28, have: 16 });
    v2.extend_from_slice(&[0; 12]);
    assert!(decode(&v2).unwrap().payload.is_empty());
    assert_eq!(
        HepError::TooShort { need: 1, have: 0 }.reason(),
        "too_short"
    );
}

#[test]
fn error_bad_magic_and_version() {
    assert_eq!(err(b"GET / HTTP/1.1\r\n"), HepError::BadMagic);
    assert_eq!(err(b"EEP3\x00\x06"), HepError::BadMagic);
    assert_eq!(err(b"HEP2\x00\x06"), HepError::BadMagic);
    assert_eq!(err(&[3, 16, 2, 17]), HepError::UnsupportedVersion(3));
    assert_eq!(err(&[0]), HepError::UnsupportedVersion(0));
    let no_legacy = DecodeOptions {
        accept_legacy: false,
        ..Default::default()
    };
    let v1 = [1u8, 16, 2, 17, 0, 1, 0, 2, 1, 1, 1, 1, 2, 2, 2, 2];
    assert!(decode(&v1).is_ok());
    assert_eq!(
        decode_with(&v1, &no_legacy),
        Err(HepError::UnsupportedVersion(1))
    );
    assert_eq!(HepError::BadMagic.reason(), "bad_magic");
    assert_eq!(
        HepError::UnsupportedVersion(3).reason(),
        "unsupported_version"
    );
}

#[test]
fn eep3_alias_opt_in() {
    let mut wire = encode(&full_packet());
    wire[..4].copy_from_slice(b"EEP3");
    assert_eq!(decode(&wire), Err(HepError::BadMagic));
    let opts = DecodeOptions {
        accept_eep3: true,
        ..Default::default()
    };
    assert_eq!(decode_with(&wire, &opts).unwrap(), full_packet());
}

#[test]
fn error_bad_header_length_v1() {
    let e = err(&[1, 20, 2, 17, 0, 1, 0, 2, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0]);
    assert_eq!(e, HepError::BadHeaderLength { hp_l: 20 });
    assert_eq!(e.reason(), "bad_header_length");
}

#[test]
fn v1_ipv6_decided_by_header_length() {
    let mut b = vec![
        1u8, 40, 28, /* FreeBSD AF_INET6 */
        6, 0x13, 0xc4, 0x13, 0xc5,
    ];
    b.extend_from_slice(&ip_bytes("2001:db8::1"));
    b.extend_from_slice(&ip_bytes("2001:db8::2"));
    b.extend_from_slice(b"SIP/2.0 200 OK\r\n\r\n");
    let p = decode(&b).unwrap();
    assert_eq!(p.version, HepVersion::V1);
    assert_eq!(p.ip_family, 28);
    assert_eq!(p.src_addr().to_string(), "[2001:db8::1]:5060");
    assert_eq!(p.dst_addr().to_string(), "[2001:db8::2]:5061");
    assert_eq!(&p.payload[..], b"SIP/2.0 200 OK\r\n\r\n");
}

fn ip_bytes(s: &str) -> [u8; 16] {
    s.parse::<std::net::Ipv6Addr>().unwrap().octets()
}

#[test]
fn error_total_length() {
    assert_eq!(
        err(b"HEP3\x00\x05"),
        HepError::BadTotalLength { declared: 5 }
    );
    assert_eq!(
        HepError::BadTotalLength { declared: 5 }.reason(),
        "bad_total_length"
    );
    // Trailing bytes beyond the declared length are ignored by default...
    let mut wire = encode(&full_packet());
    let n = wire.len();
    wire.extend_from_slice(b"trailing");
    assert_eq!(decode(&wire).unwrap(), full_packet());
    // ... and rejected in strict mode.
    let strict = DecodeOptions {
        strict_length: true,
        ..Default::default()
    };
    let e = decode_with(&wire, &strict).unwrap_err();
    assert_eq!(
        e,
        HepError::LengthMismatch {
            declared: n,
            actual: n + 8
        }
    );
    assert_eq!(e.reason(), "length_mismatch");
}

#[test]
fn error_chunk_overrun() {
    let mut wire = Raw::new().gen(chunk::PAYLOAD, b"hello").bytes();
    // Chunk claims 100 bytes but only 5 follow; total length claims the lot.
    wire[10..12].copy_from_slice(&100u16.to_be_bytes());
    let e = err(&wire);
    assert_eq!(
        e,
        HepError::ChunkOverrun {
            chunk_type: chunk::PAYLOAD,
            offset: 6
        }
    );
    assert_eq!(e.reason(), "chunk_overrun");
}

#[test]
fn error_bad_chunk_length() {
    let mut wire = Raw::new()
        .gen(chunk::IP_PROTO, &[17])
        .gen(chunk::PAYLOAD, b"x")
        .bytes();
    wire[10..12].copy_from_slice(&3u16.to_be_bytes());
    let e = err(&wire);
    assert_eq!(
        e,
        HepError::BadChunkLength {
            chunk_type: chunk::IP_PROTO,
            offset: 6,
            len: 3
        }
    );
    assert_eq!(e.reason(), "bad_chunk_length");
    // Length 0 as well (KAM and sngrep drop those too).
    wire[10..12].copy_from_slice(&0u16.to_be_bytes());
    assert!(matches!(
        err(&wire),
        HepError::BadChunkLength { len: 0, .. }
    ));
}

#[test]
fn error_truncated_chunk_header() {
    let mut wire = Raw::new().gen(chunk::PAYLOAD, b"x").bytes();
    wire.extend_from_slice(&[0, 0, 0]);
    let n = wire.len() as u16;
    wire[4..6].copy_from_slice(&n.to_be_bytes());
    let e = err(&wire);
    assert_eq!(
        e,
        HepError::TruncatedChunkHeader {
            offset: 13,
            have: 3
        }
    );
    assert_eq!(e.reason(), "truncated_chunk_header");
}

#[test]
fn error_bad_chunk_size() {
    let wire = Raw::new()
        .gen(chunk::SRC_PORT, &[1, 2, 3])
        .gen(chunk::PAYLOAD, b"x")
        .bytes();
    let e = err(&wire);
    assert_eq!(
        e,
        HepError::BadChunkSize {
            chunk_type: chunk::SRC_PORT,
            offset: 6,
            expected: 2,
            actual: 3
        }
    );
    assert_eq!(e.reason(), "bad_chunk_size");
    let wire = Raw::new()
        .gen(chunk::CAPTURE_ID, &[1])
        .gen(chunk::PAYLOAD, b"x")
        .bytes();
    assert!(matches!(
        err(&wire),
        HepError::BadChunkSize {
            expected: 4,
            actual: 1,
            ..
        }
    ));
}

#[test]
fn error_bad_address_length() {
    let wire = Raw::new()
        .gen(chunk::IPV4_SRC, &[1, 2, 3])
        .gen(chunk::PAYLOAD, b"x")
        .bytes();
    let e = err(&wire);
    assert_eq!(
        e,
        HepError::BadAddressLength {
            chunk_type: chunk::IPV4_SRC,
            offset: 6,
            len: 3
        }
    );
    assert_eq!(e.reason(), "bad_address_length");
    let wire = Raw::new()
        .gen(chunk::IPV6_DST, &[1, 2, 3, 4])
        .gen(chunk::PAYLOAD, b"x")
        .bytes();
    assert!(matches!(
        err(&wire),
        HepError::BadAddressLength {
            chunk_type: 6,
            len: 4,
            ..
        }
    ));
}

#[test]
fn error_missing_payload() {
    let wire = Raw::new().gen(chunk::IP_PROTO, &[17]).bytes();
    let e = err(&wire);
    assert_eq!(e, HepError::MissingChunk("payload"));
    assert_eq!(e.reason(), "missing_chunk");
    assert_eq!(err(b"HEP3\x00\x06"), HepError::MissingChunk("payload"));
}

#[test]
fn errors_display_and_reasons_are_snake_case() {
    let all = [
        HepError::TooShort { need: 6, have: 2 },
        HepError::BadMagic,
        HepError::UnsupportedVersion(9),
        HepError::LengthMismatch {
            declared: 1,
            actual: 2,
        },
        HepError::BadTotalLength { declared: 2 },
        HepError::BadHeaderLength { hp_l: 3 },
        HepError::TruncatedChunkHeader { offset: 1, have: 2 },
        HepError::BadChunkLength {
            chunk_type: 1,
            offset: 2,
            len: 3,
        },
        HepError::ChunkOverrun {
            chunk_type: 1,
            offset: 2,
        },
        HepError::BadChunkSize {
            chunk_type: 1,
            offset: 2,
            expected: 3,
            actual: 4,
        },
        HepError::BadAddressLength {
            chunk_type: 3,
            offset: 2,
            len: 5,
        },
        HepError::MissingChunk("payload"),
        HepError::Inflate {
            format: Compression::Zlib,
            kind: std::io::ErrorKind::InvalidData,
        },
        HepError::InflateTooLarge { limit: 10 },
        HepError::FrameTooLarge { len: 10, max: 9 },
        HepError::TooLarge { len: 70000 },
    ];
    let mut seen = std::collections::HashSet::new();
    for e in &all {
        let r = e.reason();
        assert!(
            r.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{r}"
        );
        assert!(seen.insert(r), "duplicate reason {r}");
        assert!(!e.to_string().is_empty());
    }
}

// ---- truncation never panics ---------------------------------------------------

#[test]
fn every_truncation_of_valid_packets_never_panics() {
    let mut v2 = vec![
        2u8, 16, 2, 17, 0x13, 0xc4, 0x13, 0xc4, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    v2.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 1, 0, 0, 0]);
    v2.extend_from_slice(SIP);
    let compressed = encode(&HepPacket {
        compressed: true,
        ..full_packet()
    });
    let v6 = encode(&HepPacket {
        src_ip: ip("::1"),
        dst_ip: ip("::2"),
        ..full_packet()
    });
    for wire in [encode(&full_packet()), v6, compressed, v2] {
        for n in 0..=wire.len() {
            let r = decode(&wire[..n]);
            if n == wire.len() {
                assert!(r.is_ok());
            } else if let Ok(p) = r {
                // Only v1/v2 (payload runs to the end) or a cut inside the payload of a
                // lenient v3 decode can succeed, and then with a shorter payload.
                assert!(p.payload.len() < SIP.len() || p.version != HepVersion::V3);
            }
        }
        // Corrupt every byte once, too.
        for i in 0..wire.len() {
            let mut w = wire.clone();
            w[i] ^= 0xff;
            let _ = decode(&w);
        }
    }
}

#[test]
fn truncated_v3_inside_last_chunk_is_overrun() {
    let wire = encode(&full_packet());
    let n = wire.len() - 3;
    let last_offset = chunks(&wire).unwrap().last().unwrap().unwrap().offset;
    assert_eq!(
        decode(&wire[..n]),
        Err(HepError::ChunkOverrun {
            chunk_type: chunk::PAYLOAD,
            offset: last_offset
        })
    );
}

// ---- compression -----------------------------------------------------------------

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn compressed_payload_zlib_gzip_and_raw_deflate() {
    for (z, fmt) in [
        (zlib(SIP), Compression::Zlib),
        (gzip(SIP), Compression::Gzip),
        (deflate(SIP), Compression::Deflate),
    ] {
        assert_eq!(argos_hep::detect_compression(&z), fmt);
        let wire = Raw::new()
            .gen(chunk::PROTO_TYPE, &[1])
            .gen(chunk::COMPRESSED_PAYLOAD, &z)
            .bytes();
        let p = decode(&wire).unwrap();
        assert!(p.compressed, "{fmt}");
        assert!(matches!(p.payload, Cow::Owned(_)));
        assert_eq!(&p.payload[..], SIP, "{fmt}");
    }
}

#[test]
fn encode_compressed_zlib_default_gzip_option() {
    let p = HepPacket {
        compressed: true,
        ..full_packet()
    };
    let wire = encode(&p);
    let last = chunks(&wire).unwrap().last().unwrap().unwrap();
    assert_eq!(last.chunk_type, chunk::COMPRESSED_PAYLOAD);
    assert_eq!(&last.body[..1], &[0x78]);
    let d = decode(&wire).unwrap();
    assert_eq!(d, p);

    let mut out = Vec::new();
    let opts = EncodeOptions {
        compression: Compression::Gzip,
    };
    encode_v3_with(&p, &opts, &mut out).unwrap();
    let last = chunks(&out).unwrap().last().unwrap().unwrap();
    assert_eq!(&last.body[..2], &[0x1f, 0x8b]);
    assert_eq!(decode(&out).unwrap(), p);
}

#[test]
fn zip_bomb_limit() {
    let bomb = zlib(&vec![0u8; 4 << 20]); // 4 MiB of zeros: ~4 KiB compressed
    assert!(bomb.len() < 65000);
    let wire = Raw::new().gen(chunk::COMPRESSED_PAYLOAD, &bomb).bytes();
    let e = err(&wire);
    assert_eq!(e, HepError::InflateTooLarge { limit: 1 << 20 });
    assert_eq!(e.reason(), "inflate_too_large");
    // A configurable limit: exactly at the limit passes, one byte more fails.
    let small = zlib(&[b'a'; 1000]);
    let wire = Raw::new().gen(chunk::COMPRESSED_PAYLOAD, &small).bytes();
    let at = DecodeOptions {
        max_inflated_len: 1000,
        ..Default::default()
    };
    assert_eq!(decode_with(&wire, &at).unwrap().payload.len(), 1000);
    let below = DecodeOptions {
        max_inflated_len: 999,
        ..Default::default()
    };
    assert_eq!(
        decode_with(&wire, &below),
        Err(HepError::InflateTooLarge { limit: 999 })
    );
    assert_eq!(
        inflate(&small, 999),
        Err(HepError::InflateTooLarge { limit: 999 })
    );
}

#[test]
fn corrupt_compressed_payload_is_inflate_error() {
    let mut z = zlib(SIP);
    let n = z.len();
    z.truncate(n / 2);
    let wire = Raw::new().gen(chunk::COMPRESSED_PAYLOAD, &z).bytes();
    let e = err(&wire);
    assert!(
        matches!(
            e,
            HepError::Inflate {
                format: Compression::Zlib,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.reason(), "inflate");
    let wire = Raw::new()
        .gen(chunk::COMPRESSED_PAYLOAD, &[0x1f, 0x8b, 8, 0, 1])
        .bytes();
    assert!(matches!(
        err(&wire),
        HepError::Inflate {
            format: Compression::Gzip,
            ..
        }
    ));
}
