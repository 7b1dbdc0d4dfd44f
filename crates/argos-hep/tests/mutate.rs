//! A deterministic mini-fuzzer (stable Rust, runs in `cargo test`): mutates valid
//! packets and checks decode never panics, the v3 round-trip property of the fuzz target,
//! and that the stream decoder survives arbitrary splits.

#![allow(clippy::unwrap_used)]

mod common;

use std::borrow::Cow;

use argos_hep::{
    decode, encode_v3, frame_len, try_encode_v3, HepPacket, HepStreamDecoder, HepVersion,
};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for compressed in [false, true] {
        let p = HepPacket {
            src_ip: "10.0.0.1".parse().unwrap(),
            dst_ip: "2001:db8::2".parse().unwrap(),
            src_port: 5060,
            dst_port: 5062,
            ts_sec: 1_700_000_000,
            capture_id: 9,
            keep_alive: Some(5),
            auth_key: Some(b"k"),
            correlation_id: Some(b"cid"),
            vlan_id: Some(3),
            node_name: Some(b"n"),
            mos: Some(400),
            compressed,
            payload: Cow::Borrowed(b"OPTIONS sip:x SIP/2.0\r\n\r\n"),
            ..Default::default()
        };
        let mut w = Vec::new();
        encode_v3(&p, &mut w);
        seeds.push(w);
    }
    let mut v2 = vec![
        2u8, 16, 2, 17, 0x13, 0xc4, 0x13, 0xc4, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    v2.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 1, 0, 0, 0]);
    v2.extend_from_slice(b"SIP/2.0 200 OK\r\n\r\n");
    seeds.push(v2);
    for name in [
        "heplify-server__decoder_test_hepPacket.bin",
        "sip3-salto__HepDecoderTest_PACKET_2.bin",
        "sip3-salto__HepDecoderTest_PACKET_3.bin",
    ] {
        if let Some(b) = common::shared_file(&format!("testdata/captures/hep-vectors/{name}")) {
            seeds.push(b);
        }
    }
    seeds
}

fn mutate(rng: &mut Rng, buf: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(4) {
        let n = buf.len();
        match rng.below(7) {
            0 if n > 0 => {
                let i = rng.below(n);
                buf[i] = rng.next() as u8;
            }
            1 => buf.truncate(rng.below(n + 1)),
            2 => {
                let i = rng.below(n + 1);
                buf.insert(i, rng.next() as u8);
            }
            3 if n > 0 => {
                let i = rng.below(n);
                buf.remove(i);
            }
            // Small edits to 16-bit length-like fields.
            4 if n > 1 => {
                let i = rng.below(n - 1);
                let v = u16::from_be_bytes([buf[i], buf[i + 1]]);
                let v = v.wrapping_add((rng.below(13) as u16).wrapping_sub(6));
                buf[i..i + 2].copy_from_slice(&v.to_be_bytes());
            }
            5 if n > 0 => {
                let a = rng.below(n);
                let b = a + rng.below(n - a).min(40);
                let piece = buf[a..b].to_vec();
                let at = rng.below(n + 1);
                buf.splice(at..at, piece);
            }
            _ => {
                let i = rng.below(n + 1).min(n);
                buf.splice(i..i, b"HEP3".iter().copied());
            }
        }
    }
}

#[test]
fn mutated_packets_never_panic_and_v3_round_trips() {
    let seeds = seeds();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut ok = 0;
    let mut round_trips = 0;
    for _ in 0..60_000 {
        let mut buf = seeds[rng.below(seeds.len())].clone();
        mutate(&mut rng, &mut buf);
        if let Ok(pkt) = decode(&buf) {
            ok += 1;
            let mut out = Vec::new();
            if pkt.version == HepVersion::V3 && try_encode_v3(&pkt, &mut out).is_ok() {
                let again = decode(&out).unwrap();
                assert!(again == pkt, "round trip differs for input {buf:02x?}");
                round_trips += 1;
            }
        }
        let _ = frame_len(&buf);
    }
    assert!(
        ok > 1000 && round_trips > 1000,
        "ok {ok}, round trips {round_trips}"
    );
}

#[test]
fn stream_decoder_random_splits_and_noise() {
    let seeds = seeds();
    // Whole, exact-length HEPv3 packets only (sip3's truncated vector is no stream frame).
    let v3: Vec<&Vec<u8>> = seeds
        .iter()
        .filter(|s| frame_len(s) == Ok(Some(s.len())))
        .collect();
    let mut rng = Rng(42);
    for _ in 0..300 {
        // A stream of whole packets with occasional noise between them.
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for _ in 0..1 + rng.below(8) {
            let p = v3[rng.below(v3.len())];
            if rng.below(4) == 0 {
                let noise: Vec<u8> = (0..1 + rng.below(50))
                    .map(|_| b'a' + rng.below(26) as u8)
                    .collect();
                stream.extend_from_slice(&noise);
            }
            stream.extend_from_slice(p);
            expected.push(p.to_vec());
        }
        let mut dec = HepStreamDecoder::new();
        let mut got = Vec::new();
        let mut rest = &stream[..];
        while !rest.is_empty() {
            let (read, tail) = rest.split_at((1 + rng.below(300)).min(rest.len()));
            rest = tail;
            dec.push(read);
            while let Some(f) = dec.next_frame() {
                if let Ok(f) = f {
                    got.push(f.to_vec());
                }
            }
        }
        assert_eq!(got, expected);
        // And pure mutation noise never panics.
        let mut noisy = stream.clone();
        mutate(&mut rng, &mut noisy);
        let mut dec = HepStreamDecoder::new();
        for read in noisy.chunks(1 + rng.below(100)) {
            dec.push(read);
            while let Some(f) = dec.next_frame() {
                if let Ok(f) = f {
                    assert_eq!(frame_len(&f), Ok(Some(f.len())));
                    let _ = decode(&f);
                }
            }
        }
    }
}
