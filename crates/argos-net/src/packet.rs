//! Packet decoding: link layer → IP → transport, zero-copy.

use crate::capture::LinkType;
use crate::cursor::Cursor;
use crate::error::PacketError;
use crate::tunnel::{self, Inner, MAX_TUNNEL_DEPTH};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Most VLAN tags / MPLS labels / IPv6 extension headers walked before giving up.
const MAX_STACK: usize = 16;

/// TCP flag bits as found in [`TransportHeader::Tcp::flags`].
pub mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;
}

/// The transport header of a decoded packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportHeader {
    /// UDP; the payload honours the UDP length field.
    Udp { src_port: u16, dst_port: u16 },
    /// TCP; the payload starts after the options (data offset).
    Tcp {
        src_port: u16,
        dst_port: u16,
        seq: u32,
        flags: u8,
    },
    /// SCTP; the payload is the chunk list after the 12-byte common header
    /// (see [`sctp_data_chunks`]).
    Sctp {
        src_port: u16,
        dst_port: u16,
        verification_tag: u32,
    },
    /// Any other IP protocol, or a fragment (see [`Packet::ip_fragment`]); the
    /// payload is the whole IP payload.
    Other { ip_proto: u8 },
}

impl TransportHeader {
    /// IP protocol number (17, 6, 132 or the `Other` value).
    pub fn ip_proto(&self) -> u8 {
        match self {
            TransportHeader::Udp { .. } => 17,
            TransportHeader::Tcp { .. } => 6,
            TransportHeader::Sctp { .. } => 132,
            TransportHeader::Other { ip_proto } => *ip_proto,
        }
    }

    /// `(src_port, dst_port)` for UDP, TCP and SCTP.
    pub fn ports(&self) -> Option<(u16, u16)> {
        match *self {
            TransportHeader::Udp { src_port, dst_port }
            | TransportHeader::Tcp {
                src_port, dst_port, ..
            }
            | TransportHeader::Sctp {
                src_port, dst_port, ..
            } => Some((src_port, dst_port)),
            TransportHeader::Other { .. } => None,
        }
    }
}

/// A decoded packet borrowing its payload from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// VLAN id of the outermost 802.1Q/802.1ad tag, if any.
    pub vlan: Option<u16>,
    pub transport: TransportHeader,
    /// Transport payload (or, for `Other` and fragments, the IP payload).
    pub payload: &'a [u8],
    /// The packet is an IP fragment (IPv4 MF/offset, IPv6 fragment header that is
    /// not an atomic fragment); `transport` is then `Other` with the inner protocol
    /// and `payload` the fragment data. [`crate::Defragmenter`] reassembles them.
    pub ip_fragment: bool,
    /// Identification, offset and more-fragments flag of an IP fragment (set
    /// exactly when `ip_fragment` is).
    pub fragment: Option<FragmentInfo>,
}

/// The fragmentation fields of an IPv4 header or IPv6 Fragment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FragmentInfo {
    /// IPv4 identification (16 bits) or IPv6 Fragment header identification.
    pub id: u32,
    /// Offset of this fragment's data in the original IP payload, in bytes.
    pub offset: u32,
    /// More fragments follow (MF / M flag).
    pub more: bool,
    /// IPv4 protocol, or the IPv6 Fragment header's next header.
    pub protocol: u8,
    /// True for an IPv6 fragment.
    pub v6: bool,
}

enum Net {
    V4,
    V6,
}

/// Decodes one captured frame of link type `link`.
///
/// Supported: Ethernet (802.1Q/802.1ad/QinQ tags, PPPoE session, MPLS), Linux
/// cooked v1/v2, raw IP (101/228/229), BSD loopback (0/108, either byte order);
/// IPv4 (options, total length honoured so Ethernet padding is trimmed; total
/// length 0 from TSO captures means "up to the end of the frame"), IPv6
/// (hop-by-hop, routing, destination options, AH skipped); UDP, TCP, SCTP.
/// A frame shorter than a length field announces (snaplen cut) is an error.
///
/// Tunnels are decapsulated and the **innermost** packet is returned (its
/// addresses, transport and payload): IPv4/IPv6 in IPv4/IPv6 (protocols 4 and
/// 41), GRE version 0 (C/K/S fields; transparent Ethernet bridging, IPv4, IPv6,
/// other EtherTypes such as MPLS, ERSPAN type I (0x88BE without S), type II
/// (0x88BE) and type III (0x22EB)), PPTP enhanced GRE (version 1, PPP carrying
/// IPv4/IPv6), and over UDP — selected by destination, then source port — VXLAN
/// (4789), Geneve (6081) and TZSP (37008, Ethernet encapsulation). `vlan` stays
/// the outermost tag seen, an inner frame's tag only when the outer had none.
/// When a tunnel's header or inner packet does not decode, the outer packet is
/// returned as is (so SIP on UDP port 4789/6081/37008 stays plain UDP, and GRE or
/// IP-in-IP is `Other`); IP fragments are not decapsulated (their `fragment` info
/// lets [`crate::Defragmenter`] reassemble them; [`decode_transport`] then decodes
/// and decapsulates the whole datagram). At most 4 tunnels are
/// unwrapped: deeper nesting is [`PacketError::TooManyHeaders`] (layer `"tunnel"`).
pub fn decode_packet(link: LinkType, data: &[u8]) -> Result<Packet<'_>, PacketError> {
    let mut c = Cursor::new(data);
    let mut vlan = None;
    let net = match link {
        LinkType::ETHERNET => {
            c.take(12, "ethernet")?;
            let et = c.be16("ethernet")?;
            ethertype(et, &mut c, &mut vlan)?
        }
        LinkType::LINUX_SLL => {
            c.take(14, "linux_sll")?;
            let et = c.be16("linux_sll")?;
            ethertype(et, &mut c, &mut vlan)?
        }
        LinkType::LINUX_SLL2 => {
            let et = c.be16("linux_sll2")?;
            c.take(18, "linux_sll2")?;
            ethertype(et, &mut c, &mut vlan)?
        }
        LinkType::RAW => ip_by_nibble(c.rest())?,
        LinkType::IPV4 => Net::V4,
        LinkType::IPV6 => Net::V6,
        LinkType::NULL | LinkType::LOOP => {
            let fam = if link == LinkType::NULL {
                c.le32("loopback")?
            } else {
                c.be32("loopback")?
            };
            // The family is small; if it is not, the file came from the other byte order.
            let fam = if fam > 0xFFFF { fam.swap_bytes() } else { fam };
            match fam {
                2 => Net::V4,
                // NetBSD/OpenBSD, FreeBSD, Darwin.
                24 | 28 | 30 => Net::V6,
                f => return Err(PacketError::UnsupportedAddressFamily(f)),
            }
        }
        other => return Err(PacketError::UnsupportedLinkType(other.0)),
    };
    network(net, c.rest(), vlan, 0)
}

fn network(
    net: Net,
    data: &[u8],
    vlan: Option<u16>,
    depth: usize,
) -> Result<Packet<'_>, PacketError> {
    match net {
        Net::V4 => ipv4(data, vlan, depth),
        Net::V6 => ipv6(data, vlan, depth),
    }
}

/// Decodes what a tunnel carries, `depth` tunnels deep.
fn inner(inner: Inner<'_>, mut vlan: Option<u16>, depth: usize) -> Result<Packet<'_>, PacketError> {
    if depth > MAX_TUNNEL_DEPTH {
        return Err(PacketError::TooManyHeaders { layer: "tunnel" });
    }
    let (et, data) = match inner {
        Inner::Ethernet(d) => {
            let mut c = Cursor::new(d);
            c.take(12, "ethernet")?;
            (c.be16("ethernet")?, c.rest())
        }
        Inner::EtherType(et, d) => (et, d),
    };
    let mut c = Cursor::new(data);
    let net = ethertype(et, &mut c, &mut vlan)?;
    network(net, c.rest(), vlan, depth)
}

/// The innermost packet of `tun` if it decodes, else `None` (the caller keeps the
/// outer packet); only exceeding the nesting limit is an error.
fn decapsulate<'a>(
    outer: &Packet<'a>,
    tun: Inner<'a>,
    depth: usize,
) -> Result<Option<Packet<'a>>, PacketError> {
    match self::inner(tun, outer.vlan, depth + 1) {
        Ok(p) => Ok(Some(p)),
        Err(e @ PacketError::TooManyHeaders { layer: "tunnel" }) => Err(e),
        Err(_) => Ok(None),
    }
}

fn ip_by_nibble(data: &[u8]) -> Result<Net, PacketError> {
    match data.first().map(|b| b >> 4) {
        Some(4) => Ok(Net::V4),
        Some(6) => Ok(Net::V6),
        Some(v) => Err(PacketError::BadIpVersion(v)),
        None => Err(PacketError::TooShort {
            layer: "ip",
            need: 1,
            have: 0,
        }),
    }
}

fn ethertype(mut et: u16, c: &mut Cursor<'_>, vlan: &mut Option<u16>) -> Result<Net, PacketError> {
    for _ in 0..MAX_STACK {
        match et {
            0x0800 => return Ok(Net::V4),
            0x86DD => return Ok(Net::V6),
            0x8100 | 0x88A8 | 0x9100 | 0x9200 => {
                let tci = c.be16("vlan")?;
                if vlan.is_none() {
                    *vlan = Some(tci & 0x0FFF);
                }
                et = c.be16("vlan")?;
            }
            0x8864 => {
                // PPPoE session: ver/type, code, session id, length, then PPP protocol.
                c.take(6, "pppoe")?;
                return match c.be16("pppoe")? {
                    0x0021 => Ok(Net::V4),
                    0x0057 => Ok(Net::V6),
                    _ => Err(PacketError::UnsupportedEtherType(et)),
                };
            }
            0x8847 | 0x8848 => {
                for _ in 0..MAX_STACK {
                    let label = c.be32("mpls")?;
                    if label & 0x100 != 0 {
                        return ip_by_nibble(c.rest());
                    }
                }
                return Err(PacketError::TooManyHeaders { layer: "mpls" });
            }
            other => return Err(PacketError::UnsupportedEtherType(other)),
        }
    }
    Err(PacketError::TooManyHeaders { layer: "vlan" })
}

fn ipv4(data: &[u8], vlan: Option<u16>, depth: usize) -> Result<Packet<'_>, PacketError> {
    let mut c = Cursor::new(data);
    let b0 = c.u8("ipv4")?;
    if b0 >> 4 != 4 {
        return Err(PacketError::BadIpVersion(b0 >> 4));
    }
    let ihl = usize::from(b0 & 0x0F) * 4;
    if ihl < 20 {
        return Err(PacketError::BadHeaderLength {
            layer: "ipv4",
            len: ihl,
        });
    }
    let mut h = Cursor::new(data);
    let hdr = h.take(ihl, "ipv4")?;
    let total = usize::from(u16::from_be_bytes([hdr[2], hdr[3]]));
    // Total length 0: TSO/GSO capture on the sending host; use what was captured.
    let total = if total == 0 { data.len() } else { total };
    if total < ihl {
        return Err(PacketError::BadLength {
            layer: "ipv4",
            len: total,
        });
    }
    let payload = data.get(ihl..total).ok_or(PacketError::TooShort {
        layer: "ipv4",
        need: total,
        have: data.len(),
    })?;
    let frag = u16::from_be_bytes([hdr[6], hdr[7]]);
    let proto = hdr[9];
    let src = Ipv4Addr::new(hdr[12], hdr[13], hdr[14], hdr[15]);
    let dst = Ipv4Addr::new(hdr[16], hdr[17], hdr[18], hdr[19]);
    let fragment = (frag & 0x2000 != 0 || frag & 0x1FFF != 0).then(|| FragmentInfo {
        id: u32::from(u16::from_be_bytes([hdr[4], hdr[5]])),
        offset: u32::from(frag & 0x1FFF) * 8,
        more: frag & 0x2000 != 0,
        protocol: proto,
        v6: false,
    });
    build(
        src.into(),
        dst.into(),
        vlan,
        proto,
        payload,
        fragment,
        false,
        depth,
    )
}

fn ipv6(data: &[u8], vlan: Option<u16>, depth: usize) -> Result<Packet<'_>, PacketError> {
    let mut c = Cursor::new(data);
    if let Some(v) = data.first().map(|b| b >> 4).filter(|v| *v != 6) {
        return Err(PacketError::BadIpVersion(v));
    }
    let hdr = c.take(40, "ipv6")?;
    let plen = usize::from(u16::from_be_bytes([hdr[4], hdr[5]]));
    let mut next = hdr[6];
    let mut a = [0u8; 16];
    a.copy_from_slice(&hdr[8..24]);
    let src = Ipv6Addr::from(a);
    a.copy_from_slice(&hdr[24..40]);
    let dst = Ipv6Addr::from(a);
    // Payload length 0: jumbogram (or TSO); use what was captured.
    let end = if plen == 0 { data.len() } else { 40 + plen };
    let mut rest = data.get(40..end).ok_or(PacketError::TooShort {
        layer: "ipv6",
        need: end,
        have: data.len(),
    })?;
    for _ in 0..MAX_STACK {
        let mut e = Cursor::new(rest);
        match next {
            // Hop-by-hop, routing, destination options.
            0 | 43 | 60 => {
                let h = e.take(2, "ipv6_ext")?;
                let len = (usize::from(h[1]) + 1) * 8;
                let mut e = Cursor::new(rest);
                e.take(len, "ipv6_ext")?;
                next = h[0];
                rest = e.rest();
            }
            // Authentication header.
            51 => {
                let h = e.take(2, "ipv6_ah")?;
                let len = (usize::from(h[1]) + 2) * 4;
                let mut e = Cursor::new(rest);
                e.take(len, "ipv6_ah")?;
                next = h[0];
                rest = e.rest();
            }
            44 => {
                let h = e.take(8, "ipv6_frag")?;
                let off_m = u16::from_be_bytes([h[2], h[3]]);
                next = h[0];
                rest = e.rest();
                // An atomic fragment (offset 0, M clear; RFC 6946) is a whole packet.
                if off_m & 0xFFF9 != 0 {
                    let info = FragmentInfo {
                        id: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
                        offset: u32::from(off_m & 0xFFF8),
                        more: off_m & 1 != 0,
                        protocol: next,
                        v6: true,
                    };
                    return build(
                        src.into(),
                        dst.into(),
                        vlan,
                        next,
                        rest,
                        Some(info),
                        true,
                        depth,
                    );
                }
            }
            _ => return build(src.into(), dst.into(), vlan, next, rest, None, true, depth),
        }
    }
    Err(PacketError::TooManyHeaders { layer: "ipv6" })
}

// Internal helper; the flags and the tunnel depth are all plain values.
#[allow(clippy::too_many_arguments)]
fn build(
    src: IpAddr,
    dst: IpAddr,
    vlan: Option<u16>,
    proto: u8,
    data: &[u8],
    fragment: Option<FragmentInfo>,
    v6: bool,
    depth: usize,
) -> Result<Packet<'_>, PacketError> {
    let mut p = Packet {
        src,
        dst,
        vlan,
        transport: TransportHeader::Other { ip_proto: proto },
        payload: data,
        ip_fragment: fragment.is_some(),
        fragment,
    };
    if fragment.is_some() {
        return Ok(p);
    }
    let mut c = Cursor::new(data);
    match proto {
        17 => {
            let h = c.take(8, "udp")?;
            let src_port = u16::from_be_bytes([h[0], h[1]]);
            let dst_port = u16::from_be_bytes([h[2], h[3]]);
            let len = usize::from(u16::from_be_bytes([h[4], h[5]]));
            // Length 0 is legal only in IPv6 jumbograms: up to the end of the payload.
            let len = if len == 0 && v6 { data.len() } else { len };
            if len < 8 {
                return Err(PacketError::BadLength { layer: "udp", len });
            }
            p.payload = data.get(8..len).ok_or(PacketError::TooShort {
                layer: "udp",
                need: len,
                have: data.len(),
            })?;
            p.transport = TransportHeader::Udp { src_port, dst_port };
            // Tunnel ports: destination first, then source (as tshark does for
            // VXLAN sent from port 4789). A tunnel port whose payload is not
            // that tunnel stays plain UDP.
            for port in [dst_port, src_port] {
                if let Some(parse) = tunnel::udp_tunnel(port) {
                    if let Ok(tun) = parse(p.payload) {
                        if let Some(q) = decapsulate(&p, tun, depth)? {
                            return Ok(q);
                        }
                    }
                }
            }
        }
        6 => {
            let h = c.take(20, "tcp")?;
            let src_port = u16::from_be_bytes([h[0], h[1]]);
            let dst_port = u16::from_be_bytes([h[2], h[3]]);
            let seq = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
            let off = usize::from(h[12] >> 4) * 4;
            if off < 20 {
                return Err(PacketError::BadHeaderLength {
                    layer: "tcp",
                    len: off,
                });
            }
            p.payload = data.get(off..).ok_or(PacketError::TooShort {
                layer: "tcp",
                need: off,
                have: data.len(),
            })?;
            p.transport = TransportHeader::Tcp {
                src_port,
                dst_port,
                seq,
                flags: h[13],
            };
        }
        132 => {
            let h = c.take(12, "sctp")?;
            p.transport = TransportHeader::Sctp {
                src_port: u16::from_be_bytes([h[0], h[1]]),
                dst_port: u16::from_be_bytes([h[2], h[3]]),
                verification_tag: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
            };
            p.payload = c.rest();
        }
        // IPv4-in-IP, IPv6-in-IP; an undecodable inner header leaves the outer packet.
        4 => return Ok(decapsulate(&p, Inner::EtherType(0x0800, data), depth)?.unwrap_or(p)),
        41 => return Ok(decapsulate(&p, Inner::EtherType(0x86DD, data), depth)?.unwrap_or(p)),
        47 => {
            if let Ok(tun) = tunnel::gre(data) {
                return Ok(decapsulate(&p, tun, depth)?.unwrap_or(p));
            }
        }
        _ => {}
    }
    Ok(p)
}

/// Decodes an IP payload of protocol `proto` between `src` and `dst` — the
/// transport header and data, e.g. a datagram put back together by
/// [`crate::Defragmenter`] — exactly as [`decode_packet`] decodes what follows an
/// IP header: UDP, TCP, SCTP, and tunnels (IP-in-IP, GRE, VXLAN, Geneve, TZSP)
/// unwrapped to the innermost packet; any other protocol is `Other`. The result is
/// never a fragment unless a tunnel's inner packet is one.
pub fn decode_transport(
    proto: u8,
    src: IpAddr,
    dst: IpAddr,
    vlan: Option<u16>,
    data: &[u8],
) -> Result<Packet<'_>, PacketError> {
    build(src, dst, vlan, proto, data, None, src.is_ipv6(), 0)
}

/// One SCTP DATA chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SctpData<'a> {
    pub tsn: u32,
    pub stream_id: u16,
    pub stream_seq: u16,
    /// Payload protocol identifier (SIP has none assigned; usually 0).
    pub ppid: u32,
    /// Chunk flags: U (0x04), B (0x02, first fragment), E (0x01, last fragment).
    pub flags: u8,
    pub data: &'a [u8],
}

/// Iterates over the DATA chunks of an SCTP payload (the chunk list after the
/// common header, as in [`Packet::payload`] for [`TransportHeader::Sctp`]).
/// Other chunk types are skipped; iteration stops at the first malformed chunk.
pub fn sctp_data_chunks(chunks: &[u8]) -> SctpDataChunks<'_> {
    SctpDataChunks { rest: chunks }
}

/// Iterator returned by [`sctp_data_chunks`].
#[derive(Debug, Clone)]
pub struct SctpDataChunks<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for SctpDataChunks<'a> {
    type Item = SctpData<'a>;
    fn next(&mut self) -> Option<SctpData<'a>> {
        loop {
            let h = self.rest.get(..4)?;
            let (ty, flags) = (h[0], h[1]);
            let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
            let Some(chunk) = self.rest.get(..len).filter(|_| len >= 4) else {
                self.rest = &[];
                return None;
            };
            let padded = len.div_ceil(4) * 4;
            self.rest = self.rest.get(padded..).unwrap_or(&[]);
            if ty == 0 && chunk.len() >= 16 {
                return Some(SctpData {
                    tsn: u32::from_be_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]),
                    stream_id: u16::from_be_bytes([chunk[8], chunk[9]]),
                    stream_seq: u16::from_be_bytes([chunk[10], chunk[11]]),
                    ppid: u32::from_be_bytes([chunk[12], chunk[13], chunk[14], chunk[15]]),
                    flags,
                    data: &chunk[16..],
                });
            }
        }
    }
}
