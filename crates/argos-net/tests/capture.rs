//! pcap / pcapng reading and pcap writing over hand-built files.

#![allow(clippy::unwrap_used)] // tests: inputs are known-good

use argos_net::{CaptureError, CaptureFormat, CaptureReader, LinkType, PcapWriter, MAX_FRAME};

fn w16(v: &mut Vec<u8>, x: u16, be: bool) {
    v.extend_from_slice(&if be { x.to_be_bytes() } else { x.to_le_bytes() });
}
fn w32(v: &mut Vec<u8>, x: u32, be: bool) {
    v.extend_from_slice(&if be { x.to_be_bytes() } else { x.to_le_bytes() });
}

fn pcap(be: bool, nanos: bool, link: u32, recs: &[(u32, u32, &[u8])]) -> Vec<u8> {
    let mut v = Vec::new();
    w32(&mut v, if nanos { 0xa1b23c4d } else { 0xa1b2c3d4 }, be);
    w16(&mut v, 2, be);
    w16(&mut v, 4, be);
    w32(&mut v, 0, be);
    w32(&mut v, 0, be);
    w32(&mut v, 65535, be);
    w32(&mut v, link, be);
    for (s, f, d) in recs {
        w32(&mut v, *s, be);
        w32(&mut v, *f, be);
        w32(&mut v, d.len() as u32, be);
        w32(&mut v, d.len() as u32 + 10, be);
        v.extend_from_slice(d);
    }
    v
}

type Got = Vec<(i64, u16, Vec<u8>, u32)>;

fn read_all(file: &[u8]) -> (CaptureFormat, Got, Vec<String>) {
    let mut r = CaptureReader::new(file).expect("opens");
    let mut got = Vec::new();
    let mut errs = Vec::new();
    while let Some(f) = r.next_frame() {
        match f {
            Ok(f) => got.push((f.ts_us, f.link_type.0, f.data.to_vec(), f.orig_len)),
            Err(e) => errs.push(e.reason().to_string()),
        }
    }
    (r.format(), got, errs)
}

#[test]
fn classic_pcap_all_variants() {
    for be in [false, true] {
        for nanos in [false, true] {
            let frac = if nanos { 123_456_789 } else { 123_456 };
            let f = pcap(
                be,
                nanos,
                113,
                &[(1_600_000_000, frac, b"abc"), (5, 0, b"")],
            );
            let (fmt, got, errs) = read_all(&f);
            assert_eq!(fmt, CaptureFormat::Pcap);
            assert!(errs.is_empty());
            assert_eq!(
                got,
                vec![
                    (1_600_000_000_123_456, 113, b"abc".to_vec(), 13),
                    (5_000_000, 113, vec![], 10)
                ]
            );
        }
    }
}

#[test]
fn pcap_errors() {
    assert!(matches!(
        CaptureReader::new(&b"\x01\x02\x03\x04rest-of-header-bytes...."[..]),
        Err(CaptureError::BadMagic { found: 0x01020304 })
    ));
    let e = CaptureReader::new(&[0xd4u8, 0xc3][..]).unwrap_err();
    assert_eq!(e.reason(), "truncated");
    let e = CaptureReader::new(&[0xd4u8, 0xc3, 0xb2, 0xa1, 2, 0][..]).unwrap_err();
    assert_eq!(e.reason(), "truncated");
    // Truncated last record: one error, then None.
    let mut f = pcap(false, false, 1, &[(1, 0, b"full"), (2, 0, b"cut-short")]);
    f.truncate(f.len() - 3);
    let mut r = CaptureReader::new(&f[..]).unwrap();
    assert!(r.next_frame().unwrap().is_ok());
    let e = r.next_frame().unwrap().unwrap_err();
    assert!(
        matches!(
            e,
            CaptureError::Truncated {
                offset: 60,
                need: 9
            }
        ),
        "{e:?}"
    );
    assert!(r.next_frame().is_none());
    assert!(r.next_frame().is_none());
    // Truncated record header.
    let mut f = pcap(false, false, 1, &[(1, 0, b"full")]);
    f.extend_from_slice(&[1, 2, 3]);
    let (_, got, errs) = read_all(&f);
    assert_eq!((got.len(), errs), (1, vec!["truncated".to_string()]));
    // Hostile length: no huge allocation, an error.
    let mut f = pcap(false, false, 1, &[]);
    f.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]);
    let (_, got, errs) = read_all(&f);
    assert_eq!((got.len(), errs), (0, vec!["block_too_large".to_string()]));
    // Exactly MAX_FRAME is fine.
    let big = vec![7u8; MAX_FRAME];
    let f = pcap(true, false, 1, &[(0, 0, &big)]);
    assert_eq!(read_all(&f).1[0].2.len(), MAX_FRAME);
}

fn block(v: &mut Vec<u8>, ty: u32, body: &[u8], be: bool) {
    let pad = (4 - body.len() % 4) % 4;
    let total = (12 + body.len() + pad) as u32;
    w32(v, ty, be);
    w32(v, total, be);
    v.extend_from_slice(body);
    v.extend(std::iter::repeat_n(0u8, pad));
    w32(v, total, be);
}

fn shb(v: &mut Vec<u8>, be: bool) {
    let mut b = Vec::new();
    w32(&mut b, 0x1a2b3c4d, be);
    w16(&mut b, 1, be);
    w16(&mut b, 0, be);
    b.extend_from_slice(&[0xff; 8]);
    block(v, 0x0a0d0d0a, &b, be);
}

fn idb(v: &mut Vec<u8>, link: u16, tsresol: Option<u8>, be: bool) {
    let mut b = Vec::new();
    w16(&mut b, link, be);
    w16(&mut b, 0, be);
    w32(&mut b, 0, be);
    // a comment option first, to check option walking
    w16(&mut b, 1, be);
    w16(&mut b, 3, be);
    b.extend_from_slice(b"hi\0\0");
    if let Some(r) = tsresol {
        w16(&mut b, 9, be);
        w16(&mut b, 1, be);
        b.extend_from_slice(&[r, 0, 0, 0]);
    }
    w16(&mut b, 0, be);
    w16(&mut b, 0, be);
    block(v, 1, &b, be);
}

fn epb(v: &mut Vec<u8>, iface: u32, ts: u64, data: &[u8], be: bool) {
    let mut b = Vec::new();
    w32(&mut b, iface, be);
    w32(&mut b, (ts >> 32) as u32, be);
    w32(&mut b, ts as u32, be);
    w32(&mut b, data.len() as u32, be);
    w32(&mut b, data.len() as u32 + 1, be);
    b.extend_from_slice(data);
    b.extend(std::iter::repeat_n(0u8, (4 - data.len() % 4) % 4));
    // an EPB option (flags) after the data
    w16(&mut b, 2, be);
    w16(&mut b, 4, be);
    w32(&mut b, 1, be);
    block(v, 6, &b, be);
}

#[test]
fn pcapng_interfaces_resolutions_and_blocks() {
    for be in [false, true] {
        let mut f = Vec::new();
        shb(&mut f, be);
        idb(&mut f, 1, None, be); // µs
        idb(&mut f, 113, Some(9), be); // ns
        idb(&mut f, 228, Some(0x80 | 10), be); // 2^-10 s
        block(&mut f, 0x0bad, b"unknown block, skipped", be); // custom/unknown
        epb(&mut f, 0, 1_500_000_000_000_001, b"eth", be);
        epb(&mut f, 1, 1_500_000_000_000_001_999, b"sll!!", be);
        epb(&mut f, 2, 3 * 1024 + 512, b"raw4", be);
        // Simple Packet Block: orig len 2, data "sp" + padding
        let mut spb = Vec::new();
        w32(&mut spb, 2, be);
        spb.extend_from_slice(b"sp");
        block(&mut f, 3, &spb, be);
        // obsolete Packet Block on interface 1
        let mut opb = Vec::new();
        w16(&mut opb, 1, be);
        w16(&mut opb, 0, be);
        w32(&mut opb, 0, be);
        w32(&mut opb, 2_000_000_000, be);
        w32(&mut opb, 3, be);
        w32(&mut opb, 3, be);
        opb.extend_from_slice(b"opb");
        block(&mut f, 2, &opb, be);
        epb(&mut f, 9, 0, b"bad iface", be); // recoverable error
        epb(&mut f, 0, 7, b"after", be);
        let (fmt, got, errs) = read_all(&f);
        assert_eq!(fmt, CaptureFormat::PcapNg);
        assert_eq!(errs, vec!["unknown_interface"]);
        assert_eq!(
            got,
            vec![
                (1_500_000_000_000_001, 1, b"eth".to_vec(), 4),
                (1_500_000_000_000_001, 113, b"sll!!".to_vec(), 6),
                (3_500_000, 228, b"raw4".to_vec(), 5),
                (3_500_000, 1, b"sp".to_vec(), 2),
                (2_000_000, 113, b"opb".to_vec(), 3),
                (7, 1, b"after".to_vec(), 6),
            ]
        );
    }
}

#[test]
fn pcapng_second_section_switches_byte_order() {
    let mut f = Vec::new();
    shb(&mut f, false);
    idb(&mut f, 1, None, false);
    epb(&mut f, 0, 1, b"le", false);
    shb(&mut f, true);
    idb(&mut f, 101, None, true);
    epb(&mut f, 0, 2, b"be", true);
    let (_, got, errs) = read_all(&f);
    assert!(errs.is_empty());
    assert_eq!(
        got,
        vec![(1, 1, b"le".to_vec(), 3), (2, 101, b"be".to_vec(), 3)]
    );
}

#[test]
fn pcapng_errors_end_reading() {
    let mut f = Vec::new();
    shb(&mut f, false);
    idb(&mut f, 1, None, false);
    epb(&mut f, 0, 1, b"one", false);
    let good = f.clone();
    // truncated last block
    let mut t = good.clone();
    epb(&mut t, 0, 2, b"two", false);
    t.truncate(t.len() - 5);
    let (_, got, errs) = read_all(&t);
    assert_eq!((got.len(), errs), (1, vec!["truncated".to_string()]));
    // trailer mismatch
    let mut t = good.clone();
    epb(&mut t, 0, 2, b"two", false);
    let n = t.len();
    t[n - 4] ^= 0x40;
    assert_eq!(read_all(&t).2, vec!["bad_block"]);
    // block length < 12
    let mut t = good.clone();
    t.extend_from_slice(&[6, 0, 0, 0, 8, 0, 0, 0]);
    assert_eq!(read_all(&t).2, vec!["bad_block"]);
    // hostile length: error, no allocation
    let mut t = good.clone();
    t.extend_from_slice(&[6, 0, 0, 0, 0xf0, 0xff, 0xff, 0xff]);
    assert_eq!(read_all(&t).2, vec!["block_too_large"]);
    // captured length larger than the block
    let mut t = good.clone();
    let mut b = Vec::new();
    for x in [0u32, 0, 0, 1000, 1000] {
        w32(&mut b, x, false);
    }
    block(&mut t, 6, &b, false);
    epb(&mut t, 0, 3, b"three", false);
    let (_, got, errs) = read_all(&t);
    assert_eq!((got.len(), errs), (2, vec!["bad_block".to_string()]));
    // bad byte-order magic in the SHB
    let mut t = good.clone();
    t[8] = 0;
    assert_eq!(
        CaptureReader::new(&t[..]).unwrap_err().reason(),
        "bad_block"
    );
}

#[test]
fn writer_roundtrip_and_ts_clamping() {
    let mut w = PcapWriter::new(Vec::new(), LinkType::LINUX_SLL).unwrap();
    w.write_frame(1_234_567, b"a").unwrap();
    w.write_frame(-5, b"neg").unwrap();
    w.write_frame(i64::MAX, b"far").unwrap();
    let big = vec![1u8; MAX_FRAME + 10];
    w.write_frame(0, &big).unwrap();
    let file = w.into_inner().unwrap();
    assert_eq!(&file[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
    assert_eq!(&file[16..20], &262_144u32.to_le_bytes());
    let (fmt, got, errs) = read_all(&file);
    assert_eq!(fmt, CaptureFormat::Pcap);
    assert!(errs.is_empty());
    assert_eq!(got[0], (1_234_567, 113, b"a".to_vec(), 1));
    assert_eq!(got[1].0, 0);
    assert_eq!(got[2].0, i64::from(u32::MAX) * 1_000_000 + 999_999);
    assert_eq!(
        (got[3].2.len(), got[3].3),
        (MAX_FRAME, MAX_FRAME as u32 + 10)
    );
}

/// Deterministic pseudo-random mutations of valid files through the fuzz entry points.
#[test]
fn mutated_files_never_panic() {
    let mut seeds = Vec::new();
    seeds.push(pcap(false, false, 1, &[(1, 2, &[0x45; 60]), (3, 4, b"xx")]));
    let mut f = Vec::new();
    shb(&mut f, true);
    idb(&mut f, 1, Some(9), true);
    epb(&mut f, 0, 99, &[0x45; 40], true);
    seeds.push(f);
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for seed in &seeds {
        for _ in 0..3000 {
            let mut m = seed.clone();
            for _ in 0..(rnd() % 4 + 1) {
                let i = (rnd() as usize) % m.len();
                m[i] = rnd() as u8;
            }
            if rnd() % 3 == 0 {
                let n = (rnd() as usize) % m.len();
                m.truncate(n);
            }
            argos_net::fuzzing::capture(&m);
            argos_net::fuzzing::packet(&m);
        }
    }
}
