//! Stream framing: splits at every byte boundary, several packets per read, resync.

#![allow(clippy::unwrap_used)]

use std::borrow::Cow;

use argos_hep::{decode, encode_v3, frame_len, HepError, HepPacket, HepStreamDecoder};

fn packet(i: u32, body_len: usize) -> Vec<u8> {
    let payload: Vec<u8> = (0..body_len)
        .map(|j| b'a' + ((j + i as usize) % 26) as u8)
        .collect();
    let p = HepPacket {
        capture_id: i,
        src_port: 5060,
        payload: Cow::Owned(payload),
        ..Default::default()
    };
    let mut out = Vec::new();
    encode_v3(&p, &mut out);
    out
}

/// Pushes `reads` one by one and drains after each; returns frames and errors.
fn run(dec: &mut HepStreamDecoder, reads: &[&[u8]]) -> (Vec<Vec<u8>>, Vec<HepError>) {
    let mut frames = Vec::new();
    let mut errors = Vec::new();
    for r in reads {
        dec.push(r);
        while let Some(f) = dec.next_frame() {
            match f {
                Ok(f) => frames.push(f.to_vec()),
                Err(e) => errors.push(e),
            }
        }
    }
    (frames, errors)
}

#[test]
fn frame_len_cases() {
    let p = packet(1, 40);
    assert_eq!(frame_len(&p), Ok(Some(p.len())));
    for n in 0..p.len() {
        assert_eq!(frame_len(&p[..n]), Ok(None), "prefix {n}");
    }
    let mut two = p.clone();
    two.extend_from_slice(&p);
    assert_eq!(frame_len(&two), Ok(Some(p.len())));
    assert_eq!(frame_len(b"HEX"), Err(HepError::BadMagic));
    assert_eq!(frame_len(b"x"), Err(HepError::BadMagic));
    assert_eq!(
        frame_len(b"\x01\x10\x02\x11"),
        Err(HepError::BadMagic),
        "no v1/v2 on streams"
    );
    assert_eq!(
        frame_len(b"HEP3\x00\x05"),
        Err(HepError::BadTotalLength { declared: 5 })
    );
    assert_eq!(frame_len(b"HEP3\x00\x06"), Ok(Some(6)));
    assert_eq!(frame_len(b"HEP3\xff\xff"), Ok(None));
}

#[test]
fn split_at_every_byte_boundary() {
    let p = packet(7, 300);
    for cut in 0..=p.len() {
        let mut dec = HepStreamDecoder::new();
        let (frames, errors) = run(&mut dec, &[&p[..cut], &p[cut..]]);
        assert!(errors.is_empty());
        assert_eq!(frames, vec![p.clone()], "cut at {cut}");
        assert_eq!(dec.buffered(), 0);
    }
    // Three packets, every pair of cut points.
    let stream: Vec<u8> = [packet(1, 10), packet(2, 0), packet(3, 25)].concat();
    for a in 0..=stream.len() {
        for b in a..=stream.len() {
            let mut dec = HepStreamDecoder::new();
            let (frames, errors) = run(&mut dec, &[&stream[..a], &stream[a..b], &stream[b..]]);
            assert!(errors.is_empty());
            assert_eq!(frames.len(), 3);
            assert_eq!(frames.concat(), stream);
        }
    }
}

#[test]
fn byte_by_byte_and_many_in_one_read() {
    let pkts: Vec<Vec<u8>> = (0..50)
        .map(|i| packet(i, (i as usize * 37) % 900))
        .collect();
    let stream = pkts.concat();
    let mut dec = HepStreamDecoder::new();
    let (frames, errors) = run(&mut dec, &[&stream]);
    assert!(errors.is_empty());
    assert_eq!(frames, pkts);
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(decode(f).unwrap().capture_id, i as u32);
    }
    let mut dec = HepStreamDecoder::new();
    let reads: Vec<&[u8]> = stream.chunks(1).collect();
    let (frames, errors) = run(&mut dec, &reads);
    assert!(errors.is_empty());
    assert_eq!(frames, pkts);
    assert_eq!(dec.skipped_bytes(), 0);
}

#[test]
fn garbage_then_packet_resyncs() {
    let p1 = packet(1, 100);
    let p2 = packet(2, 50);
    let garbage = b"GET / HTTP/1.1\r\nHost: HEP collector\r\nHE\r\n\r\n";
    let stream = [&p1[..], garbage, &p2[..], &p1[..]].concat();
    for chunk in [1, 3, 7, stream.len()] {
        let mut dec = HepStreamDecoder::new();
        let reads: Vec<&[u8]> = stream.chunks(chunk).collect();
        let (frames, errors) = run(&mut dec, &reads);
        assert_eq!(
            frames,
            vec![p1.clone(), p2.clone(), p1.clone()],
            "reads of {chunk}"
        );
        assert_eq!(
            errors,
            vec![HepError::BadMagic],
            "one error per garbage run ({chunk})"
        );
        assert_eq!(dec.skipped_bytes(), garbage.len() as u64);
        assert_eq!(errors[0].reason(), "bad_magic");
    }
}

#[test]
fn garbage_at_start_and_bad_length_resync() {
    let p = packet(9, 20);
    // "HEP3" with a length below 6 is garbage too; the real packet follows.
    let stream = [&b"\x00\x01HEP3\x00\x02zz"[..], &p[..]].concat();
    let mut dec = HepStreamDecoder::new();
    let (frames, errors) = run(&mut dec, &[&stream]);
    assert_eq!(frames, vec![p.clone()]);
    assert_eq!(errors, vec![HepError::BadMagic]);
    assert_eq!(dec.skipped_bytes(), 10);

    let stream = [&b"HEP3\x00\x02"[..], &p[..]].concat();
    let mut dec = HepStreamDecoder::new();
    let (frames, errors) = run(&mut dec, &[&stream]);
    assert_eq!(frames, vec![p]);
    assert_eq!(errors, vec![HepError::BadTotalLength { declared: 2 }]);
}

#[test]
fn pure_garbage_stays_bounded() {
    let mut dec = HepStreamDecoder::new();
    let junk = vec![0x5au8; 10_000];
    let mut errors = 0;
    for _ in 0..100 {
        let (frames, errs) = run(&mut dec, &[&junk]);
        assert!(frames.is_empty());
        errors += errs.len();
        assert!(dec.buffered() < 4, "garbage is not kept");
    }
    assert_eq!(errors, 1, "a single garbage run is reported once");
    assert_eq!(dec.skipped_bytes(), 1_000_000);
    // A magic prefix at the end of garbage is kept and completed by the next read.
    let p = packet(3, 10);
    let (frames, _) = run(&mut dec, &[b"zzzHE", &p[2..]]);
    assert_eq!(frames, vec![p]);
}

#[test]
fn oversized_frame_is_error() {
    let big = packet(1, 2000);
    let small = packet(2, 10);
    let stream = [&big[..], &small[..]].concat();
    let mut dec = HepStreamDecoder::with_max_frame(1000);
    let (frames, errors) = run(&mut dec, &[&stream]);
    assert_eq!(
        errors,
        vec![HepError::FrameTooLarge {
            len: big.len(),
            max: 1000
        }]
    );
    assert_eq!(errors[0].reason(), "frame_too_large");
    assert_eq!(frames, vec![small]);
    assert_eq!(dec.skipped_bytes(), big.len() as u64);
}

#[test]
fn max_size_frame_and_clear() {
    // A 65535-byte frame (the largest the length field allows) passes.
    let mut wire = Vec::new();
    encode_v3(&HepPacket::default(), &mut wire);
    let payload = vec![b'x'; 65535 - wire.len()];
    let p = HepPacket {
        payload: Cow::Owned(payload),
        ..Default::default()
    };
    wire.clear();
    encode_v3(&p, &mut wire);
    assert_eq!(wire.len(), 65535);
    let mut dec = HepStreamDecoder::default();
    let (frames, errors) = run(&mut dec, &[&wire[..30000], &wire[30000..]]);
    assert!(errors.is_empty());
    assert!(decode(&frames[0]).unwrap() == p);
    dec.push(&wire[..100]);
    assert_eq!(dec.buffered(), 100);
    dec.clear();
    assert_eq!(dec.buffered(), 0);
    assert!(dec.next_frame().is_none());
}
