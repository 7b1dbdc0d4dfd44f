//! The RTP/RTCP endpoints an SDP body announces: address, RTP port, RTCP port
//! (`a=rtcp:`, RFC 3605, else RTP + 1), rtcp-mux (RFC 5761) and the payload map from
//! `a=rtpmap`. Built on `argos_sip::sdp` plus a scan for the two RTCP attributes it
//! does not keep.

use std::net::{IpAddr, SocketAddr};

use crate::payload::PayloadMap;

/// One RTP media section of an SDP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaEndpoint {
    /// `audio`, `video`, ...
    pub kind: String,
    /// Where the announcing side receives RTP (`c=` address, `m=` port).
    pub rtp: SocketAddr,
    /// Where it receives RTCP: `a=rtcp:` port (and address, if given), else RTP port + 1;
    /// the RTP address itself with rtcp-mux.
    pub rtcp: SocketAddr,
    /// `a=rtcp-mux` present.
    pub rtcp_mux: bool,
    /// `a=rtpmap` entries.
    pub payloads: PayloadMap,
    /// RTP clock rate of the first format of the `m=` line (its rtpmap rate, else the
    /// static table), 0 when unknown: converts RTCP jitter for this media to ms.
    pub clock_rate: u32,
}

/// RTCP attributes of one media section (index = m= line order).
#[derive(Debug, Clone, Copy, Default)]
struct RtcpAttrs {
    port: Option<u16>,
    addr: Option<IpAddr>,
    mux: bool,
}

/// The RTP endpoints (`m=` sections with an RTP profile, a non-zero port and a
/// parseable connection address) of an SDP body. An SDP that does not parse yields
/// none.
pub fn media_endpoints(body: &[u8]) -> Vec<MediaEndpoint> {
    let Ok(sdp) = argos_sip::sdp::parse(body) else {
        return Vec::new();
    };
    let attrs = scan_rtcp_attrs(body);
    let session_mux = attrs.first().is_some_and(|a| a.mux);
    let mut out = Vec::new();
    for (i, m) in sdp.media.iter().enumerate() {
        if m.port == 0 || !m.proto.to_ascii_uppercase().contains("RTP") {
            continue;
        }
        let Some(addr) = m
            .effective_connection(&sdp)
            .and_then(|c| c.trim().parse::<IpAddr>().ok())
        else {
            continue;
        };
        let a = attrs.get(i + 1).copied().unwrap_or_default();
        let rtcp_mux = a.mux || session_mux;
        let rtcp = if rtcp_mux {
            SocketAddr::new(addr, m.port)
        } else {
            SocketAddr::new(
                a.addr.unwrap_or(addr),
                a.port.unwrap_or_else(|| m.port.wrapping_add(1)),
            )
        };
        let mut payloads = PayloadMap::new();
        for r in &m.rtpmap {
            payloads.insert(r.payload_type, r.encoding, r.clock_rate);
        }
        let clock_rate = m
            .formats
            .first()
            .and_then(|f| f.parse::<u8>().ok())
            .map_or(0, |pt| match payloads.get(pt) {
                Some(f) if f.clock_rate != 0 => f.clock_rate,
                Some(f) => crate::payload::dynamic_clock_rate(&f.encoding),
                None => crate::payload::static_clock_rate(pt),
            });
        out.push(MediaEndpoint {
            kind: m.kind.to_owned(),
            rtp: SocketAddr::new(addr, m.port),
            rtcp,
            rtcp_mux,
            payloads,
            clock_rate,
        });
    }
    out
}

/// `a=rtcp` / `a=rtcp-mux` per section: index 0 = session level, i = i-th `m=`.
fn scan_rtcp_attrs(body: &[u8]) -> Vec<RtcpAttrs> {
    let text = String::from_utf8_lossy(body);
    let mut out = vec![RtcpAttrs::default()];
    for line in text.lines() {
        let line = line.trim_end();
        if line.starts_with("m=") {
            out.push(RtcpAttrs::default());
            continue;
        }
        let Some(cur) = out.last_mut() else { continue };
        if line == "a=rtcp-mux" {
            cur.mux = true;
        } else if let Some(v) = line.strip_prefix("a=rtcp:") {
            // a=rtcp:<port> [IN IP4|IP6 <addr>]
            let mut it = v.split_ascii_whitespace();
            cur.port = it.next().and_then(|p| p.parse().ok());
            cur.addr = it.nth(2).and_then(|a| a.parse().ok());
        }
    }
    out
}
