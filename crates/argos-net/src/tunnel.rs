//! Tunnel header parsers: GRE (with ERSPAN I/II/III), VXLAN, Geneve, TZSP, GTP-U.
//!
//! Each parser checks its header and returns the encapsulated bytes together with
//! what they are ([`Inner`]); [`crate::packet`] decodes them recursively, bounded
//! by [`MAX_TUNNEL_DEPTH`]. IP-in-IP (protocols 4 and 41) needs no parser here.

use crate::cursor::Cursor;
use crate::error::PacketError;

/// Most tunnel layers decapsulated before a frame is rejected
/// ([`PacketError::TooManyHeaders`] with layer `"tunnel"`).
pub(crate) const MAX_TUNNEL_DEPTH: usize = 4;

/// IANA UDP port of VXLAN (RFC 7348).
pub(crate) const VXLAN_PORT: u16 = 4789;
/// IANA UDP port of Geneve (RFC 8926).
pub(crate) const GENEVE_PORT: u16 = 6081;
/// UDP port of TZSP (TaZmen Sniffer Protocol).
pub(crate) const TZSP_PORT: u16 = 37008;
/// UDP port of GTP-U (3GPP TS 29.281), the user plane of mobile core networks.
pub(crate) const GTPU_PORT: u16 = 2152;
/// Extension headers followed in a GTP-U header at most (hostile chains end there).
const GTPU_MAX_EXTENSIONS: usize = 16;

/// EtherType of transparent Ethernet bridging (GRE, Geneve).
const ETH_BRIDGING: u16 = 0x6558;
/// EtherType of ERSPAN type I/II in GRE.
const ERSPAN_II: u16 = 0x88BE;
/// EtherType of ERSPAN type III in GRE.
const ERSPAN_III: u16 = 0x22EB;

/// What a tunnel header carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inner<'a> {
    /// A whole Ethernet frame (destination MAC first).
    Ethernet(&'a [u8]),
    /// A payload of the given EtherType (IPv4, IPv6, MPLS, VLAN, ...).
    EtherType(u16, &'a [u8]),
}

fn bad(layer: &'static str, what: &'static str) -> PacketError {
    PacketError::BadTunnel { layer, what }
}

/// GRE (RFC 2784/2890), version 0 only: checksum (C), key (K) and sequence (S)
/// fields skipped; routing (R, RFC 1701) rejected. Protocol 0x6558 is bridged
/// Ethernet; 0x88BE is ERSPAN type II when S is set (8-byte ERSPAN header) and
/// type I (bare Ethernet) otherwise; 0x22EB is ERSPAN type III (12-byte header,
/// plus the 8-byte platform sub-header when the O bit is set). Anything else is
/// handed on as an EtherType.
pub(crate) fn gre(data: &[u8]) -> Result<Inner<'_>, PacketError> {
    let mut c = Cursor::new(data);
    let flags = c.be16("gre")?;
    let proto = c.be16("gre")?;
    match flags & 0x0007 {
        0 => {}
        1 => return pptp_gre(flags, proto, c),
        _ => return Err(bad("gre", "version")),
    }
    if flags & 0x4000 != 0 {
        return Err(bad("gre", "routing"));
    }
    if flags & 0x8000 != 0 {
        c.take(4, "gre")?; // checksum + reserved1
    }
    if flags & 0x2000 != 0 {
        c.take(4, "gre")?; // key
    }
    let seq = flags & 0x1000 != 0;
    if seq {
        c.take(4, "gre")?; // sequence number
    }
    match proto {
        ETH_BRIDGING => Ok(Inner::Ethernet(c.rest())),
        ERSPAN_II if !seq => Ok(Inner::Ethernet(c.rest())),
        ERSPAN_II => {
            let h = c.take(8, "erspan")?;
            if h[0] >> 4 != 1 {
                return Err(bad("erspan", "version"));
            }
            Ok(Inner::Ethernet(c.rest()))
        }
        ERSPAN_III => {
            let h = c.take(12, "erspan")?;
            if h[0] >> 4 != 2 {
                return Err(bad("erspan", "version"));
            }
            if h[11] & 0x01 != 0 {
                c.take(8, "erspan")?; // platform-specific sub-header
            }
            Ok(Inner::Ethernet(c.rest()))
        }
        et => Ok(Inner::EtherType(et, c.rest())),
    }
}

/// Enhanced GRE (version 1, RFC 2637, PPTP): key (payload length + call id)
/// always present, sequence (S) and acknowledgement (A, 0x0080) numbers optional;
/// the payload is PPP (address/control 0xFF 0x03 and protocol-field compression
/// allowed), of which IPv4 (0x0021) and IPv6 (0x0057) are decoded.
fn pptp_gre<'a>(flags: u16, proto: u16, mut c: Cursor<'a>) -> Result<Inner<'a>, PacketError> {
    if proto != 0x880B || flags & 0xC000 != 0 || flags & 0x2000 == 0 {
        return Err(bad("gre", "pptp"));
    }
    c.take(4, "gre")?; // payload length + call id
    if flags & 0x1000 != 0 {
        c.take(4, "gre")?;
    }
    if flags & 0x0080 != 0 {
        c.take(4, "gre")?;
    }
    let rest = c.rest();
    if rest.starts_with(&[0xFF, 0x03]) {
        c.take(2, "ppp")?;
    }
    let first = c.u8("ppp")?;
    // An odd first byte is a compressed (one-byte) protocol field.
    let proto = if first & 1 == 1 {
        u16::from(first)
    } else {
        u16::from_be_bytes([first, c.u8("ppp")?])
    };
    match proto {
        0x0021 => Ok(Inner::EtherType(0x0800, c.rest())),
        0x0057 => Ok(Inner::EtherType(0x86DD, c.rest())),
        _ => Err(bad("ppp", "protocol")),
    }
}

/// VXLAN (RFC 7348): 8-byte header with the I (valid VNI) flag set, then Ethernet.
pub(crate) fn vxlan(data: &[u8]) -> Result<Inner<'_>, PacketError> {
    let mut c = Cursor::new(data);
    let h = c.take(8, "vxlan")?;
    if h[0] & 0x08 == 0 {
        return Err(bad("vxlan", "flags"));
    }
    Ok(Inner::Ethernet(c.rest()))
}

/// Geneve (RFC 8926), version 0: 8-byte header plus `opt_len * 4` bytes of
/// options; protocol 0x6558 is Ethernet, anything else an EtherType.
pub(crate) fn geneve(data: &[u8]) -> Result<Inner<'_>, PacketError> {
    let mut c = Cursor::new(data);
    let h = c.take(8, "geneve")?;
    if h[0] >> 6 != 0 {
        return Err(bad("geneve", "version"));
    }
    c.take(usize::from(h[0] & 0x3F) * 4, "geneve")?;
    match u16::from_be_bytes([h[2], h[3]]) {
        ETH_BRIDGING => Ok(Inner::Ethernet(c.rest())),
        et => Ok(Inner::EtherType(et, c.rest())),
    }
}

/// GTP-U version 1 (3GPP TS 29.281): an 8-byte header (flags, message type,
/// length of what follows, TEID), 4 more bytes when any of the E/S/PN flags is set,
/// then the chain of extension headers (each `4 * length` bytes, its last byte the
/// next type, 0 = none). Only G-PDUs (type 255) carry user packets: IPv4 or IPv6,
/// told apart by the first nibble.
pub(crate) fn gtpu(data: &[u8]) -> Result<Inner<'_>, PacketError> {
    let mut c = Cursor::new(data);
    let h = c.take(8, "gtpu")?;
    if h[0] >> 5 != 1 || h[0] & 0x10 == 0 {
        return Err(bad("gtpu", "version"));
    }
    if h[1] != 0xFF {
        return Err(bad("gtpu", "not a G-PDU"));
    }
    let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
    let mut body = Cursor::new(c.take(len, "gtpu")?);
    if h[0] & 0x07 != 0 {
        let mut next = body.take(4, "gtpu")?[3];
        let mut seen = 0;
        while next != 0 {
            seen += 1;
            if seen > GTPU_MAX_EXTENSIONS {
                return Err(bad("gtpu", "extension headers"));
            }
            let units = usize::from(body.take(1, "gtpu")?[0]);
            if units == 0 {
                return Err(bad("gtpu", "extension length"));
            }
            let ext = body.take(units * 4 - 1, "gtpu")?;
            next = ext.last().copied().unwrap_or(0);
        }
    }
    let ip = body.rest();
    match ip.first().map(|b| b >> 4) {
        Some(4) => Ok(Inner::EtherType(0x0800, ip)),
        Some(6) => Ok(Inner::EtherType(0x86DD, ip)),
        _ => Err(bad("gtpu", "payload")),
    }
}

/// TZSP: version 1, type 0 (received tag list) or 1 (packet for transmit),
/// encapsulation 1 (Ethernet); tagged fields (0 = padding, 1 = end, others
/// tag/length/value) up to the END tag, then the Ethernet frame.
pub(crate) fn tzsp(data: &[u8]) -> Result<Inner<'_>, PacketError> {
    let mut c = Cursor::new(data);
    if c.u8("tzsp")? != 1 {
        return Err(bad("tzsp", "version"));
    }
    if c.u8("tzsp")? > 1 {
        return Err(bad("tzsp", "type"));
    }
    if c.be16("tzsp")? != 1 {
        return Err(bad("tzsp", "encapsulation"));
    }
    // Every iteration consumes at least one byte, so this ends with the input.
    loop {
        match c.u8("tzsp")? {
            0 => {}
            1 => return Ok(Inner::Ethernet(c.rest())),
            _ => {
                let len = c.u8("tzsp")?;
                c.take(usize::from(len), "tzsp")?;
            }
        }
    }
}

/// A tunnel header parser.
pub(crate) type TunnelParser = fn(&[u8]) -> Result<Inner<'_>, PacketError>;

/// The tunnel parser for a UDP port, if the port is a tunnel's.
pub(crate) fn udp_tunnel(port: u16) -> Option<TunnelParser> {
    match port {
        VXLAN_PORT => Some(vxlan),
        GENEVE_PORT => Some(geneve),
        TZSP_PORT => Some(tzsp),
        GTPU_PORT => Some(gtpu),
        _ => None,
    }
}
