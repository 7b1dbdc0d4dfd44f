//! [`HepPacket`], [`HepVersion`], [`ProtoType`] and the chunk type ids.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Which HEP wire format a packet came in (or is to be written in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HepVersion {
    /// Legacy 1: 16/40-byte header, no timestamp.
    V1,
    /// Legacy 2: v1 plus a 12-byte little-endian time header.
    V2,
    /// HEPv3 / EEP: "HEP3" + chunks.
    V3,
}

impl HepVersion {
    /// 1, 2 or 3.
    pub fn as_u8(self) -> u8 {
        match self {
            HepVersion::V1 => 1,
            HepVersion::V2 => 2,
            HepVersion::V3 => 3,
        }
    }
}

impl fmt::Display for HepVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HEPv{}", self.as_u8())
    }
}

/// HEP protocol type (chunk `0x000b`): what the payload is. A newtype over the wire
/// byte, so values this crate has no name for survive decode and re-encode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ProtoType(pub u8);

impl ProtoType {
    /// 0 is reserved; heplify-server drops such packets.
    pub const RESERVED: ProtoType = ProtoType(0);
    pub const SIP: ProtoType = ProtoType(1);
    /// XMPP in the spec (Asterisk uses 2 for H.323).
    pub const XMPP: ProtoType = ProtoType(2);
    pub const SDP: ProtoType = ProtoType(3);
    pub const RTP: ProtoType = ProtoType(4);
    /// RTCP report as JSON (one object per RTCP packet).
    pub const RTCP_JSON: ProtoType = ProtoType(5);
    pub const MGCP: ProtoType = ProtoType(6);
    pub const MEGACO: ProtoType = ProtoType(7);
    pub const M2UA: ProtoType = ProtoType(8);
    pub const M3UA: ProtoType = ProtoType(9);
    pub const IAX: ProtoType = ProtoType(10);
    pub const H3222: ProtoType = ProtoType(11);
    pub const H321: ProtoType = ProtoType(12);
    pub const M2PA: ProtoType = ProtoType(13);
    /// De facto QoS JSON (Kamailio `report_capture`, FreeSWITCH via paStash).
    pub const QOS_JSON: ProtoType = ProtoType(32);
    /// "MOS full report" JSON.
    pub const MOS_FULL: ProtoType = ProtoType(34);
    /// "MOS short report" (heplify-server reads it as VQ RTCP-XR text).
    pub const MOS_SHORT: ProtoType = ProtoType(35);
    /// Oracle SBC QoS via horaclifix.
    pub const HORACLIFIX: ProtoType = ProtoType(38);
    pub const SIP_JSON: ProtoType = ProtoType(50);
    pub const DNS_JSON: ProtoType = ProtoType(53);
    /// M3UA/ISUP as JSON.
    pub const M3UA_JSON: ProtoType = ProtoType(54);
    pub const RTSP_JSON: ProtoType = ProtoType(55);
    pub const DIAMETER_JSON: ProtoType = ProtoType(56);
    pub const GSM_MAP_JSON: ProtoType = ProtoType(57);
    pub const RTCP_PION: ProtoType = ProtoType(58);
    pub const CDR: ProtoType = ProtoType(60);
    pub const VERTO: ProtoType = ProtoType(61);
    /// De facto QoS report (captagent RTCP-XR PUBLISH, hepgen QoS JSON).
    pub const QOS_REPORT: ProtoType = ProtoType(99);
    /// Log line (Kamailio `hlog`, OpenSIPS xlog): plain text, one line per packet.
    pub const LOG: ProtoType = ProtoType(100);

    /// Short lower-case name for the values in common use, `None` for the others.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "sip",
            2 => "xmpp",
            3 => "sdp",
            4 => "rtp",
            5 => "rtcp",
            6 => "mgcp",
            7 => "megaco",
            8 => "m2ua",
            9 => "m3ua",
            10 => "iax",
            11 => "h3222",
            12 => "h321",
            13 => "m2pa",
            32 => "qos",
            34 => "mos_full",
            35 => "mos_short",
            38 => "horaclifix",
            50 => "sip_json",
            53 => "dns",
            54 => "isup",
            55 => "rtsp",
            56 => "diameter",
            57 => "gsm_map",
            58 => "rtcp_pion",
            60 => "cdr",
            61 => "verto",
            99 => "qos_report",
            100 => "log",
            _ => return None,
        })
    }
}

impl fmt::Display for ProtoType {
    /// The name when known, else the decimal value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}", self.0),
        }
    }
}

impl From<u8> for ProtoType {
    fn from(v: u8) -> Self {
        ProtoType(v)
    }
}

impl From<ProtoType> for u8 {
    fn from(p: ProtoType) -> u8 {
        p.0
    }
}

/// `AF_INET` as HEP carries it.
pub const AF_INET: u8 = 2;
/// `AF_INET6` as Linux (and every HEPv3 sender in practice) writes it.
pub const AF_INET6: u8 = 10;

/// HEPv3 generic (vendor 0) chunk type ids, as listed in the HEP3 spec rev. 37.
pub mod chunk {
    pub const IP_FAMILY: u16 = 0x0001;
    pub const IP_PROTO: u16 = 0x0002;
    pub const IPV4_SRC: u16 = 0x0003;
    pub const IPV4_DST: u16 = 0x0004;
    pub const IPV6_SRC: u16 = 0x0005;
    pub const IPV6_DST: u16 = 0x0006;
    pub const SRC_PORT: u16 = 0x0007;
    pub const DST_PORT: u16 = 0x0008;
    pub const TS_SEC: u16 = 0x0009;
    pub const TS_USEC: u16 = 0x000a;
    pub const PROTO_TYPE: u16 = 0x000b;
    pub const CAPTURE_ID: u16 = 0x000c;
    pub const KEEP_ALIVE: u16 = 0x000d;
    pub const AUTH_KEY: u16 = 0x000e;
    pub const PAYLOAD: u16 = 0x000f;
    pub const COMPRESSED_PAYLOAD: u16 = 0x0010;
    pub const CORRELATION_ID: u16 = 0x0011;
    pub const VLAN_ID: u16 = 0x0012;
    /// Node name since rev. 36 ("Group ID" in rev. 12–33).
    pub const NODE_NAME: u16 = 0x0013;
    pub const SRC_MAC: u16 = 0x0014;
    pub const DST_MAC: u16 = 0x0015;
    pub const ETHERNET_TYPE: u16 = 0x0016;
    pub const TCP_FLAGS: u16 = 0x0017;
    pub const IP_TOS: u16 = 0x0018;
    /// MOS × 100, uint16.
    pub const MOS: u16 = 0x0020;
    pub const R_FACTOR: u16 = 0x0021;
    pub const GEO_LOCATION: u16 = 0x0022;
    pub const JITTER: u16 = 0x0023;
    pub const TRANSACTION_TYPE: u16 = 0x0024;
    pub const PAYLOAD_JSON_KEYS: u16 = 0x0025;
    pub const TAGS_VALUES: u16 = 0x0026;
    pub const TAG_TYPE: u16 = 0x0027;
    pub const EVENT_TYPE: u16 = 0x0028;
    pub const GROUP_ID: u16 = 0x0029;
}

/// One decoded HEP packet (any version). Byte fields borrow from the input buffer;
/// the payload is borrowed too unless it had to be inflated.
///
/// Fields the packet did not carry take neutral values: unspecified addresses
/// (`0.0.0.0`, or `::` when the family is IPv6), port 0, timestamp 0, capture id 0,
/// `None` for the optional chunks. HEPv1/v2 carry no protocol type; they decode as SIP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HepPacket<'a> {
    pub version: HepVersion,
    /// Address family as on the wire: 2 = IPv4, 10 = IPv6 (other OS values are kept).
    pub ip_family: u8,
    /// IP protocol number: 17 UDP, 6 TCP, 132 SCTP; Kamailio sends 22 for TLS/WS.
    pub ip_proto: u8,
    pub src_ip: IpAddr,
    pub dst_ip: IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    pub ts_sec: u32,
    pub ts_usec: u32,
    pub proto_type: ProtoType,
    pub capture_id: u32,
    pub keep_alive: Option<u16>,
    pub auth_key: Option<&'a [u8]>,
    /// The captured message. Borrowed from the input unless it was inflated from a
    /// `0x0010` chunk (then `compressed` is true).
    pub payload: Cow<'a, [u8]>,
    /// The payload arrived compressed (chunk `0x0010`); [`encode_v3`](crate::encode_v3)
    /// compresses again when this is set.
    pub compressed: bool,
    /// Chunk `0x0011`, usually the SIP Call-ID.
    pub correlation_id: Option<&'a [u8]>,
    pub vlan_id: Option<u16>,
    /// Chunk `0x0013`, the capture node name.
    pub node_name: Option<&'a [u8]>,
    /// Chunk `0x0020`, MOS × 100. 0 and 0xFFFF ("no MOS" in the wild) decode as `None`.
    pub mos: Option<u16>,
}

impl Default for HepPacket<'_> {
    /// An empty HEPv3 SIP-over-UDP/IPv4 packet from `0.0.0.0:0` to `0.0.0.0:0`.
    fn default() -> Self {
        HepPacket {
            version: HepVersion::V3,
            ip_family: AF_INET,
            ip_proto: 17,
            src_ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            dst_ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            src_port: 0,
            dst_port: 0,
            ts_sec: 0,
            ts_usec: 0,
            proto_type: ProtoType::SIP,
            capture_id: 0,
            keep_alive: None,
            auth_key: None,
            payload: Cow::Borrowed(&[]),
            compressed: false,
            correlation_id: None,
            vlan_id: None,
            node_name: None,
            mos: None,
        }
    }
}

impl HepPacket<'_> {
    /// Source address and port.
    pub fn src_addr(&self) -> SocketAddr {
        SocketAddr::new(self.src_ip, self.src_port)
    }

    /// Destination address and port.
    pub fn dst_addr(&self) -> SocketAddr {
        SocketAddr::new(self.dst_ip, self.dst_port)
    }

    /// Capture time in microseconds since the Unix epoch (`ts_usec` is added as is,
    /// even when a sender puts a value ≥ 1 000 000 there).
    pub fn timestamp_us(&self) -> i64 {
        i64::from(self.ts_sec) * 1_000_000 + i64::from(self.ts_usec)
    }

    /// True for addresses that were absent (unspecified) in the packet, e.g. log lines.
    pub fn has_addresses(&self) -> bool {
        !(self.src_ip.is_unspecified() && self.dst_ip.is_unspecified())
    }
}

/// The unspecified address of a wire family (`::` for 10, else `0.0.0.0`).
pub(crate) fn unspecified_for(family: u8) -> IpAddr {
    if family == AF_INET6 {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    }
}
