//! [`Capture`]: one message as captured, before any parsing of its payload.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// Transport the captured message travelled over (HEP chunk 0x0002 semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
    Sctp,
    Ws,
    /// An IP protocol number we have no name for.
    Other(u8),
}

impl Transport {
    /// Maps an IP protocol number (as carried in HEP) to a transport.
    pub fn from_ip_proto(p: u8) -> Self {
        match p {
            17 => Transport::Udp,
            6 => Transport::Tcp,
            132 => Transport::Sctp,
            other => Transport::Other(other),
        }
    }

    /// The IP protocol number written into pcap exports and HEP.
    pub fn ip_proto(self) -> u8 {
        match self {
            Transport::Udp => 17,
            Transport::Tcp | Transport::Tls | Transport::Ws => 6,
            Transport::Sctp => 132,
            Transport::Other(p) => p,
        }
    }

    /// Lower-case name used in the API and the store.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
            Transport::Sctp => "sctp",
            Transport::Ws => "ws",
            Transport::Other(_) => "other",
        }
    }

    /// Inverse of [`Transport::name`]; unknown names map to `Other(0)`.
    pub fn from_name(s: &str) -> Self {
        match s {
            "udp" => Transport::Udp,
            "tcp" => Transport::Tcp,
            "tls" => Transport::Tls,
            "sctp" => Transport::Sctp,
            "ws" => Transport::Ws,
            _ => Transport::Other(0),
        }
    }
}

/// What the payload is: the HEP protocol type (chunk 0x000b). A newtype so unknown
/// values survive a round trip instead of collapsing into a sentinel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PayloadKind(pub u8);

impl PayloadKind {
    pub const SIP: PayloadKind = PayloadKind(1);
    pub const H323: PayloadKind = PayloadKind(2);
    pub const SDP: PayloadKind = PayloadKind(3);
    pub const RTP: PayloadKind = PayloadKind(4);
    pub const RTCP_JSON: PayloadKind = PayloadKind(5);
    pub const MOS_FULL: PayloadKind = PayloadKind(34);
    pub const MOS_SHORT: PayloadKind = PayloadKind(35);
    pub const DNS_JSON: PayloadKind = PayloadKind(53);
    pub const LOG: PayloadKind = PayloadKind(100);

    /// Short human name for the UI and API.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "sip",
            2 => "h323",
            3 => "sdp",
            4 => "rtp",
            5 => "rtcp",
            32 | 99 => "qos",
            34 | 35 => "mos",
            53 => "dns",
            100 => "log",
            _ => "other",
        }
    }
}

/// One captured message, as the agent, the collector and pcap import all produce it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// Capture time, microseconds since the Unix epoch (UTC).
    pub ts_us: i64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub transport: Transport,
    pub kind: PayloadKind,
    /// HEP capture agent id (0 when not given, e.g. pcap import).
    pub capture_id: u32,
    /// HEP node name, when the sender set one.
    pub node: Option<Box<str>>,
    /// HEP correlation id (chunk 0x0011), when the sender set one.
    pub correlation_id: Option<Box<str>>,
    /// 802.1Q VLAN id, when known.
    pub vlan: Option<u16>,
    /// The payload bytes (a SIP message, an RTCP JSON report, a log line...).
    pub payload: Bytes,
}

impl Capture {
    /// A capture with no HEP metadata (capture id 0, no node, no correlation id).
    pub fn new(
        ts_us: i64,
        src: SocketAddr,
        dst: SocketAddr,
        transport: Transport,
        kind: PayloadKind,
        payload: Bytes,
    ) -> Self {
        Capture {
            ts_us,
            src,
            dst,
            transport,
            kind,
            capture_id: 0,
            node: None,
            correlation_id: None,
            vlan: None,
            payload,
        }
    }
}
