//! How frames of an interface are handed out: which link type, which socket type, and the
//! link header rebuilt from the ring's metadata (cooked header, VLAN tag), like libpcap does.

use crate::tpacket::{
    FrameHeader, Malformed, FRAME_HEADER_LEN, TP_STATUS_VLAN_TPID_VALID, TP_STATUS_VLAN_VALID,
};
use argos_net::LinkType;

/// `ARPHRD_ETHER`.
const ARPHRD_ETHER: u16 = 1;
/// `ARPHRD_LOOPBACK`: `lo` frames carry an all-zero Ethernet header.
const ARPHRD_LOOPBACK: u16 = 772;
/// `ARPHRD_NONE`: tun devices, WireGuard — IP with no link header.
const ARPHRD_NONE: u16 = 0xFFFE;
/// IP-in-IP, SIT, IPv6 tunnels: no link header either.
const ARPHRD_TUNNEL: u16 = 768;
const ARPHRD_TUNNEL6: u16 = 769;
const ARPHRD_SIT: u16 = 776;
/// `ARPHRD_RAWIP`: raw IP (e.g. cellular modems).
const ARPHRD_RAWIP: u16 = 519;

/// Length of the Linux cooked (v1) header.
const SLL_HDR_LEN: usize = 16;
/// Length of an 802.1Q tag.
const VLAN_TAG_LEN: usize = 4;
/// Where the tag goes back into an Ethernet frame: after the two MAC addresses.
const ETHERNET_VLAN_OFFSET: usize = 12;
/// 802.1Q TPID, when the kernel did not record one.
const ETH_P_8021Q: u16 = 0x8100;

/// The socket type and link header a capture uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkMode {
    /// `SOCK_RAW`, frames as on the wire (Ethernet, loopback); stripped VLAN tags reinserted.
    Ethernet,
    /// `SOCK_RAW` on a device without link header: the frame is the IP packet.
    RawIp,
    /// `SOCK_DGRAM`, and a 16-byte Linux cooked header built from the frame's `sockaddr_ll`:
    /// the "any" device and link types Argos does not decode.
    Cooked,
}

impl LinkMode {
    /// The mode for an interface of hardware type `hatype` (`ARPHRD_*`).
    pub(crate) fn for_hardware_type(hatype: u16) -> LinkMode {
        match hatype {
            ARPHRD_ETHER | ARPHRD_LOOPBACK => LinkMode::Ethernet,
            ARPHRD_NONE | ARPHRD_TUNNEL | ARPHRD_TUNNEL6 | ARPHRD_SIT | ARPHRD_RAWIP => {
                LinkMode::RawIp
            }
            _ => LinkMode::Cooked,
        }
    }

    /// Link type of the frames handed out.
    pub(crate) fn link_type(self) -> LinkType {
        match self {
            LinkMode::Ethernet => LinkType::ETHERNET,
            LinkMode::RawIp => LinkType::RAW,
            LinkMode::Cooked => LinkType::LINUX_SLL,
        }
    }

    /// Bytes of headroom to ask the kernel for before each frame (`PACKET_RESERVE`), so the
    /// rebuilt header is written in place rather than copied.
    pub(crate) fn reserve(self) -> u32 {
        match self {
            LinkMode::Ethernet => VLAN_TAG_LEN as u32,
            LinkMode::RawIp => 0,
            LinkMode::Cooked => (SLL_HDR_LEN + VLAN_TAG_LEN) as u32,
        }
    }
}

/// One frame laid out as the capture's link type.
#[derive(Debug)]
pub(crate) struct Assembled<'b> {
    pub data: &'b [u8],
    /// Bytes added in front of or inside the captured bytes (cooked header, VLAN tag).
    pub added: usize,
}

/// Lays out the frame at `at` in `block` (header `h`) for `mode`. The header is written into
/// the free room the kernel leaves between the frame header and the data when there is
/// enough of it (the block belongs to us until it is released), else the frame is copied
/// into `scratch`.
pub(crate) fn assemble<'b>(
    mode: LinkMode,
    block: &'b mut [u8],
    at: usize,
    h: &FrameHeader,
    scratch: &'b mut Vec<u8>,
) -> Result<Assembled<'b>, Malformed> {
    let start = at.checked_add(usize::from(h.mac)).ok_or(Malformed)?;
    let end = start.checked_add(h.snaplen as usize).ok_or(Malformed)?;
    if end > block.len() {
        return Err(Malformed);
    }
    let tag = vlan_tag(h);
    let headroom = start - at.saturating_add(FRAME_HEADER_LEN).min(start);
    match mode {
        LinkMode::RawIp => Ok(Assembled {
            data: &block[start..end],
            added: 0,
        }),
        LinkMode::Ethernet => {
            let Some(tag) = tag.filter(|_| end - start >= ETHERNET_VLAN_OFFSET) else {
                return Ok(Assembled {
                    data: &block[start..end],
                    added: 0,
                });
            };
            let split = start + ETHERNET_VLAN_OFFSET;
            if headroom >= VLAN_TAG_LEN {
                let new_start = start - VLAN_TAG_LEN;
                block.copy_within(start..split, new_start);
                block[split - VLAN_TAG_LEN..split].copy_from_slice(&tag);
                return Ok(Assembled {
                    data: &block[new_start..end],
                    added: VLAN_TAG_LEN,
                });
            }
            scratch.clear();
            scratch.extend_from_slice(&block[start..split]);
            scratch.extend_from_slice(&tag);
            scratch.extend_from_slice(&block[split..end]);
            Ok(Assembled {
                data: scratch,
                added: VLAN_TAG_LEN,
            })
        }
        LinkMode::Cooked => {
            let (header, header_len) = cooked_header(h, tag);
            let header = &header[..header_len];
            if headroom >= header_len {
                let new_start = start - header_len;
                block[new_start..start].copy_from_slice(header);
                return Ok(Assembled {
                    data: &block[new_start..end],
                    added: header_len,
                });
            }
            scratch.clear();
            scratch.extend_from_slice(header);
            scratch.extend_from_slice(&block[start..end]);
            Ok(Assembled {
                data: scratch,
                added: header_len,
            })
        }
    }
}

/// The 802.1Q tag the kernel stripped, as 4 wire bytes (TPID, TCI), if any. Same test as
/// libpcap: the status bit, or a non-zero TCI from kernels that predate the bit.
fn vlan_tag(h: &FrameHeader) -> Option<[u8; 4]> {
    if h.status & TP_STATUS_VLAN_VALID == 0 && h.vlan_tci == 0 {
        return None;
    }
    let tpid = if h.status & TP_STATUS_VLAN_TPID_VALID != 0 && h.vlan_tpid != 0 {
        h.vlan_tpid
    } else {
        ETH_P_8021Q
    };
    let tci = (h.vlan_tci & 0xFFFF) as u16;
    let mut tag = [0u8; 4];
    tag[..2].copy_from_slice(&tpid.to_be_bytes());
    tag[2..].copy_from_slice(&tci.to_be_bytes());
    Some(tag)
}

/// The Linux cooked v1 header (packet type, ARPHRD type, address length, 8 address bytes,
/// protocol), all big-endian; with a VLAN tag the protocol is the TPID and the TCI and real
/// protocol follow, as libpcap writes it.
fn cooked_header(
    h: &FrameHeader,
    tag: Option<[u8; 4]>,
) -> ([u8; SLL_HDR_LEN + VLAN_TAG_LEN], usize) {
    let mut out = [0u8; SLL_HDR_LEN + VLAN_TAG_LEN];
    let a = &h.addr;
    out[0..2].copy_from_slice(&u16::from(a.pkttype).to_be_bytes());
    out[2..4].copy_from_slice(&a.hatype.to_be_bytes());
    out[4..6].copy_from_slice(&u16::from(a.halen).to_be_bytes());
    let addr_len = usize::from(a.halen).min(a.addr.len());
    out[6..6 + addr_len].copy_from_slice(&a.addr[..addr_len]);
    match tag {
        None => {
            out[14..16].copy_from_slice(&a.protocol.to_be_bytes());
            (out, SLL_HDR_LEN)
        }
        Some(tag) => {
            out[14..18].copy_from_slice(&tag);
            out[18..20].copy_from_slice(&a.protocol.to_be_bytes());
            (out, SLL_HDR_LEN + VLAN_TAG_LEN)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tpacket::tests::{put_block_header, put_frame, ADDR};
    use crate::tpacket::BlockCursor;

    /// An Ethernet/IPv4/UDP frame with payload "SIP" from 10.0.0.1:5060 to 10.0.0.2:5062.
    fn ethernet_udp() -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&ipv4_udp());
        f
    }

    fn ipv4_udp() -> Vec<u8> {
        let mut ip = vec![
            0x45, 0, 0, 31, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        ip.extend_from_slice(&[0x13, 0xc4, 0x13, 0xc6, 0, 11, 0, 0]);
        ip.extend_from_slice(b"SIP");
        ip
    }

    fn first_frame(
        mode: LinkMode,
        mac: u16,
        data: &[u8],
        status: u32,
        tci: u32,
    ) -> (Vec<u8>, usize) {
        let mut block = vec![0u8; 2048];
        put_block_header(&mut block, 1, 48);
        put_frame(&mut block, 48, 0, mac, data, status, tci, ADDR);
        let mut cur = BlockCursor::new(&block).expect("descriptor");
        let (at, h) = cur.next_frame(&block).expect("frame").expect("ok");
        let mut scratch = Vec::new();
        let out = assemble(mode, &mut block, at, &h, &mut scratch).expect("assembled");
        (out.data.to_vec(), out.added)
    }

    #[test]
    fn cooked_header_decodes_in_place_and_copied() {
        // mac 48 + 68 + 28 = headroom 28 (in place); mac 48 + 70 = headroom 2 (copied).
        for mac in [96u16, 70] {
            let (frame, added) = first_frame(LinkMode::Cooked, mac, &ipv4_udp(), 1, 0);
            assert_eq!(added, 16);
            assert_eq!(&frame[..6], &[0, 0, 0, 1, 0, 6]);
            let p = argos_net::decode_packet(LinkType::LINUX_SLL, &frame).expect("decodes");
            assert_eq!(p.payload, b"SIP");
            assert_eq!(p.transport.ports(), Some((5060, 5062)));
        }
    }

    #[test]
    fn vlan_tag_goes_back_in() {
        let status = TP_STATUS_VLAN_VALID;
        for mac in [96u16, 70] {
            let (frame, added) = first_frame(LinkMode::Ethernet, mac, &ethernet_udp(), status, 42);
            assert_eq!(added, 4);
            assert_eq!(&frame[12..16], &[0x81, 0x00, 0, 42]);
            let p = argos_net::decode_packet(LinkType::ETHERNET, &frame).expect("decodes");
            assert_eq!((p.vlan, p.payload), (Some(42), &b"SIP"[..]));

            let (frame, added) = first_frame(LinkMode::Cooked, mac, &ipv4_udp(), status, 42);
            assert_eq!(added, 20);
            let p = argos_net::decode_packet(LinkType::LINUX_SLL, &frame).expect("decodes");
            assert_eq!((p.vlan, p.payload), (Some(42), &b"SIP"[..]));
        }
    }

    #[test]
    fn untagged_frames_pass_unchanged() {
        let (frame, added) = first_frame(LinkMode::Ethernet, 96, &ethernet_udp(), 1, 0);
        assert_eq!((frame, added), (ethernet_udp(), 0));
        let (frame, added) = first_frame(LinkMode::RawIp, 96, &ipv4_udp(), 1, 0);
        assert_eq!((frame, added), (ipv4_udp(), 0));
    }

    /// Random headers and frame bytes never panic the block walk or the frame assembly.
    #[test]
    fn random_blocks_do_not_panic() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut scratch = Vec::new();
        for round in 0..2_000 {
            let len = 64 + (next() % 1024) as usize;
            let mut block: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            // Keep the offsets small often enough to reach the frame code.
            if round % 2 == 0 {
                let first = 24 + (next() % 64) as u32;
                put_block_header(&mut block, 1 + (next() % 4) as u32, first);
                let at = first as usize;
                if let Some(f) = block.get_mut(at + 12..at + 26) {
                    f[..4].copy_from_slice(&((next() % 128) as u32).to_ne_bytes());
                    f[12..14].copy_from_slice(&(68 + (next() % 64) as u16).to_ne_bytes());
                }
            }
            let Ok(mut cur) = BlockCursor::new(&block) else {
                continue;
            };
            while let Some(Ok((at, h))) = cur.next_frame(&block) {
                for mode in [LinkMode::Ethernet, LinkMode::RawIp, LinkMode::Cooked] {
                    let mut copy = block.clone();
                    if let Ok(out) = assemble(mode, &mut copy, at, &h, &mut scratch) {
                        assert!(out.data.len() >= h.snaplen as usize);
                    }
                }
            }
        }
    }

    #[test]
    fn modes_for_hardware_types() {
        assert_eq!(LinkMode::for_hardware_type(1), LinkMode::Ethernet);
        assert_eq!(LinkMode::for_hardware_type(772), LinkMode::Ethernet);
        assert_eq!(LinkMode::for_hardware_type(0xFFFE), LinkMode::RawIp);
        assert_eq!(LinkMode::for_hardware_type(512), LinkMode::Cooked);
    }
}
