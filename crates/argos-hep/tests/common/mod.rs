//! Test helpers: locating shared test data and a tiny pcap/pcapng UDP extractor
//! (Ethernet / VLAN / Linux SLL / raw IP, IPv4 or IPv6, UDP only, no reassembly).

#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

/// `<repo>/../shared/<rel>`, or `None` (with a message) when it is not there.
pub fn shared_file(rel: &str) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) => {
            eprintln!(
                "SKIP: shared test data {} not available ({e})",
                path.display()
            );
            None
        }
    }
}

fn u16_at(b: &[u8], off: usize, le: bool) -> Option<u16> {
    let a: [u8; 2] = b.get(off..off + 2)?.try_into().ok()?;
    Some(if le {
        u16::from_le_bytes(a)
    } else {
        u16::from_be_bytes(a)
    })
}

fn u32_at(b: &[u8], off: usize, le: bool) -> Option<u32> {
    let a: [u8; 4] = b.get(off..off + 4)?.try_into().ok()?;
    Some(if le {
        u32::from_le_bytes(a)
    } else {
        u32::from_be_bytes(a)
    })
}

/// A UDP datagram found in a capture.
#[derive(Debug, Clone)]
pub struct Udp {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: Vec<u8>,
}

/// All UDP datagrams in a classic pcap or pcapng file.
pub fn udp_datagrams(file: &[u8]) -> Vec<Udp> {
    let frames = match file.get(..4) {
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => pcapng_frames(file),
        _ => pcap_frames(file),
    };
    frames
        .iter()
        .filter_map(|(link, f)| link_to_udp(*link, f))
        .collect()
}

fn pcap_frames(file: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let le = match file.get(..4) {
        Some([0xd4, 0xc3, 0xb2, 0xa1]) | Some([0x4d, 0x3c, 0xb2, 0xa1]) => true,
        Some([0xa1, 0xb2, 0xc3, 0xd4]) | Some([0xa1, 0xb2, 0x3c, 0x4d]) => false,
        _ => panic!("not a pcap file"),
    };
    let link = u32_at(file, 20, le).unwrap();
    let mut off = 24;
    let mut out = Vec::new();
    while let Some(incl) = u32_at(file, off + 8, le) {
        let start = off + 16;
        let Some(data) = file.get(start..start + incl as usize) else {
            break;
        };
        out.push((link, data.to_vec()));
        off = start + incl as usize;
    }
    out
}

fn pcapng_frames(file: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let mut le = true;
    let mut links = Vec::new();
    let mut out = Vec::new();
    let mut off = 0;
    while off + 12 <= file.len() {
        let btype_raw = file.get(off..off + 4).unwrap();
        if btype_raw == [0x0a, 0x0d, 0x0d, 0x0a] {
            le = file.get(off + 8..off + 12) == Some(&[0x4d, 0x3c, 0x2b, 0x1a][..]);
            links.clear();
        }
        let btype = u32_at(file, off, le).unwrap();
        let blen = u32_at(file, off + 4, le).unwrap() as usize;
        if blen < 12 {
            break;
        }
        match btype {
            1 => links.push(u32::from(u16_at(file, off + 8, le).unwrap())),
            6 => {
                let iface = u32_at(file, off + 8, le).unwrap() as usize;
                let caplen = u32_at(file, off + 20, le).unwrap() as usize;
                if let (Some(link), Some(d)) =
                    (links.get(iface), file.get(off + 28..off + 28 + caplen))
                {
                    out.push((*link, d.to_vec()));
                }
            }
            _ => {}
        }
        off += blen;
    }
    out
}

fn link_to_udp(link: u32, f: &[u8]) -> Option<Udp> {
    let (mut ethertype, mut off) = match link {
        1 => (u16_at(f, 12, false)?, 14),
        113 => (u16_at(f, 14, false)?, 16),
        101 | 12 | 228 | 229 => (
            match f.first()? >> 4 {
                4 => 0x0800,
                _ => 0x86dd,
            },
            0,
        ),
        _ => return None,
    };
    while ethertype == 0x8100 || ethertype == 0x88a8 {
        ethertype = u16_at(f, off + 2, false)?;
        off += 4;
    }
    let (proto, l4) = match ethertype {
        0x0800 => {
            let ihl = usize::from(f.get(off)? & 0x0f) * 4;
            let total = usize::from(u16_at(f, off + 2, false)?);
            let frag = u16_at(f, off + 6, false)? & 0x3fff;
            if frag != 0 {
                return None;
            }
            (*f.get(off + 9)?, f.get(off + ihl..off + total)?)
        }
        0x86dd => {
            let plen = usize::from(u16_at(f, off + 4, false)?);
            (*f.get(off + 6)?, f.get(off + 40..off + 40 + plen)?)
        }
        _ => return None,
    };
    if proto != 17 {
        return None;
    }
    let ulen = usize::from(u16_at(l4, 4, false)?);
    Some(Udp {
        src_port: u16_at(l4, 0, false)?,
        dst_port: u16_at(l4, 2, false)?,
        payload: l4.get(8..ulen)?.to_vec(),
    })
}
