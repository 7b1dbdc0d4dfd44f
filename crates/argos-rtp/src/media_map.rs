//! SDP media endpoint → Call-ID correlation for the capture agent (what heplify's
//! correlator does): SIP messages with SDP announce where RTP and RTCP will flow; an
//! RTP or RTCP packet is then matched to its call by either of its addresses.
//!
//! Each announced endpoint maps `IP:port` → Call-ID for its RTP port and its RTCP port
//! (`a=rtcp:`, else RTP + 1; the RTP port itself with rtcp-mux), for the `c=` address
//! and also for the SIP message's source IP (the media often comes from the signalling
//! address when the SDP carries a private one). Entries end when the call does (BYE,
//! CANCEL, or a final error to the INVITE: kept for a short linger so the last RTCP
//! still correlates), when idle too long, or when the map is full (oldest evicted,
//! counted).

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use crate::payload::PayloadMap;
use crate::sdp_media::{media_endpoints, MediaEndpoint};

/// Bounds of a [`MediaMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaMapLimits {
    /// Most `IP:port` entries; inserting beyond evicts the least recently refreshed.
    pub max_entries: usize,
    /// An entry neither refreshed by SIP nor used by [`MediaMap::lookup_touch`] for this
    /// long expires, µs. The default (4 h, the call tracker's limit for an answered
    /// call) keeps a quiet call correlated with plain [`MediaMap::lookup`]; calls that
    /// end normally go by BYE, and `max_entries` bounds the memory.
    pub idle_timeout_us: i64,
    /// How long entries of an ended call stay, µs.
    pub end_linger_us: i64,
}

impl Default for MediaMapLimits {
    fn default() -> Self {
        MediaMapLimits {
            max_entries: 200_000,
            idle_timeout_us: 4 * 3600 * 1_000_000,
            end_linger_us: 5_000_000,
        }
    }
}

/// What a media address maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaEntry {
    /// The SIP Call-ID.
    pub call_id: Arc<str>,
    /// The address is an RTCP port (a separate one; with rtcp-mux both are true).
    pub rtcp: bool,
    /// The address carries RTP.
    pub rtp: bool,
    /// Payload map of the SDP that announced it.
    pub payloads: Arc<PayloadMap>,
    /// Clock rate of the media's first format (0 unknown), for RTCP jitter → ms.
    pub clock_rate: u32,
    last_us: i64,
    /// Set when the call ended: the entry goes at this time.
    ends_at_us: Option<i64>,
    /// Position in the eviction order.
    order: u64,
}

/// Counters for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MediaMapStats {
    /// Entries inserted or refreshed by SDP.
    pub announced: u64,
    /// Entries evicted because the map was full.
    pub evicted: u64,
    /// Entries removed by idle timeout.
    pub expired_idle: u64,
    /// Entries removed after their call ended.
    pub ended: u64,
}

/// The addresses of one call, and whether its INVITE was answered.
#[derive(Debug, Clone, Default)]
struct CallMedia {
    addrs: Vec<SocketAddr>,
    /// A 2xx to an INVITE was seen: later INVITE failures are re-INVITEs and do not
    /// end the call.
    answered: bool,
}

/// The correlator. Time is passed in (µs), so pcap replay and live capture behave alike.
#[derive(Debug, Clone, Default)]
pub struct MediaMap {
    limits: MediaMapLimits,
    by_addr: HashMap<SocketAddr, MediaEntry>,
    /// order → address, oldest first.
    order: BTreeMap<u64, SocketAddr>,
    next_order: u64,
    by_call: HashMap<Arc<str>, CallMedia>,
    stats: MediaMapStats,
}

impl MediaMap {
    /// An empty map with `limits`.
    pub fn new(limits: MediaMapLimits) -> Self {
        MediaMap {
            limits,
            ..Default::default()
        }
    }

    /// Feeds one SIP message received from `src` at `now_us`: its SDP (if any) adds or
    /// refreshes entries; BYE, CANCEL and a final error (≥ 300, except the retried 401,
    /// 407, 422 and 491) to an INVITE of a call not yet answered end the call.
    pub fn observe_sip(&mut self, msg: &argos_sip::SipMessage<'_>, src: SocketAddr, now_us: i64) {
        let Some(call_id) = msg.header("Call-ID").or_else(|| msg.header("i")) else {
            return;
        };
        let call_id = call_id.trim();
        let cseq_method = msg
            .header("CSeq")
            .and_then(|c| c.split_ascii_whitespace().nth(1))
            .unwrap_or("");
        let invite = cseq_method.eq_ignore_ascii_case("INVITE");
        let ends = match (msg.method(), msg.status()) {
            (Some(m), _) => m.eq_ignore_ascii_case("BYE") || m.eq_ignore_ascii_case("CANCEL"),
            (None, Some(code)) if invite && (200..300).contains(&code) => {
                if let Some(c) = self.by_call.get_mut(call_id) {
                    c.answered = true;
                }
                false
            }
            // A final error to the initial INVITE ends the call, except the ones the
            // caller retries in the same call (credentials, 422, 491).
            (None, Some(code)) => {
                invite
                    && code >= 300
                    && !matches!(code, 401 | 407 | 422 | 491)
                    && !self.by_call.get(call_id).is_some_and(|c| c.answered)
            }
            _ => false,
        };
        if ends {
            self.end_call(call_id, now_us);
            return;
        }
        let body = msg.body();
        let is_sdp = msg
            .header("Content-Type")
            .or_else(|| msg.header("c"))
            .is_some_and(|t| t.trim().to_ascii_lowercase().starts_with("application/sdp"));
        if is_sdp && !body.is_empty() {
            self.add_sdp(call_id, body, src.ip(), now_us);
        }
    }

    /// Adds the endpoints of an SDP body for `call_id`; `sip_src` is the SIP message's
    /// source address (also mapped, with the same ports). Returns the endpoints found.
    pub fn add_sdp(
        &mut self,
        call_id: &str,
        sdp: &[u8],
        sip_src: IpAddr,
        now_us: i64,
    ) -> Vec<MediaEndpoint> {
        let endpoints = media_endpoints(sdp);
        for ep in &endpoints {
            self.add_endpoint(call_id, ep, Some(sip_src), now_us);
        }
        endpoints
    }

    /// Adds one announced endpoint (its RTP and RTCP addresses, and the same ports on
    /// `also_ip` when given and different).
    pub fn add_endpoint(
        &mut self,
        call_id: &str,
        ep: &MediaEndpoint,
        also_ip: Option<IpAddr>,
        now_us: i64,
    ) {
        let call_id: Arc<str> = match self.by_call.get_key_value(call_id) {
            Some((k, _)) => k.clone(),
            None => Arc::from(call_id),
        };
        let payloads = Arc::new(ep.payloads.clone());
        let mut addrs = vec![(ep.rtp, true, ep.rtcp_mux)];
        if !ep.rtcp_mux {
            addrs.push((ep.rtcp, false, true));
        }
        if let Some(ip) = also_ip.filter(|ip| *ip != ep.rtp.ip() && !ip.is_unspecified()) {
            addrs.push((SocketAddr::new(ip, ep.rtp.port()), true, ep.rtcp_mux));
            if !ep.rtcp_mux {
                addrs.push((SocketAddr::new(ip, ep.rtcp.port()), false, true));
            }
        }
        for (addr, rtp, rtcp) in addrs {
            if addr.ip().is_unspecified() || addr.port() == 0 {
                continue; // 0.0.0.0 = hold (RFC 3264 §8.4): nothing will arrive there.
            }
            let entry = MediaEntry {
                call_id: call_id.clone(),
                rtcp,
                rtp,
                payloads: payloads.clone(),
                clock_rate: ep.clock_rate,
                last_us: now_us,
                ends_at_us: None,
                order: 0,
            };
            self.insert(addr, entry);
        }
    }

    fn insert(&mut self, addr: SocketAddr, mut entry: MediaEntry) {
        self.stats.announced += 1;
        let order = self.next_order;
        self.next_order += 1;
        if let Some(old) = self.by_addr.remove(&addr) {
            self.order.remove(&old.order);
            self.unlink(&old.call_id, addr);
        } else {
            while self.by_addr.len() >= self.limits.max_entries.max(1) {
                let Some((_, oldest)) = self.order.pop_first() else {
                    break;
                };
                if let Some(e) = self.by_addr.remove(&oldest) {
                    self.unlink(&e.call_id, oldest);
                    self.stats.evicted += 1;
                }
            }
        }
        self.order.insert(order, addr);
        self.by_call
            .entry(entry.call_id.clone())
            .or_default()
            .addrs
            .push(addr);
        entry.order = order;
        self.by_addr.insert(addr, entry);
    }

    fn unlink(&mut self, call_id: &Arc<str>, addr: SocketAddr) {
        if let Some(c) = self.by_call.get_mut(call_id) {
            c.addrs.retain(|a| *a != addr);
            if c.addrs.is_empty() {
                self.by_call.remove(call_id);
            }
        }
    }

    /// Marks a call ended: its entries go after the linger.
    pub fn end_call(&mut self, call_id: &str, now_us: i64) {
        let Some(call) = self.by_call.get(call_id) else {
            return;
        };
        let at = now_us.saturating_add(self.limits.end_linger_us);
        for a in &call.addrs {
            if let Some(e) = self.by_addr.get_mut(a) {
                e.ends_at_us.get_or_insert(at);
            }
        }
    }

    /// The Call-ID of a packet from `src` to `dst`: the destination is tried first (the
    /// SDP announces where its sender *receives*), then the source (symmetric RTP).
    pub fn lookup(&self, src: SocketAddr, dst: SocketAddr) -> Option<&str> {
        self.lookup_entry(src, dst).map(|e| &*e.call_id)
    }

    /// The entry a packet from `src` to `dst` matches (see [`MediaMap::lookup`]).
    pub fn lookup_entry(&self, src: SocketAddr, dst: SocketAddr) -> Option<&MediaEntry> {
        self.by_addr.get(&dst).or_else(|| self.by_addr.get(&src))
    }

    /// Like [`MediaMap::lookup`], and refreshes the matched entry's idle time.
    pub fn lookup_touch(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        now_us: i64,
    ) -> Option<Arc<str>> {
        let key = if self.by_addr.contains_key(&dst) {
            dst
        } else {
            src
        };
        let e = self.by_addr.get_mut(&key)?;
        e.last_us = e.last_us.max(now_us);
        Some(e.call_id.clone())
    }

    /// Removes idle entries and ended calls past their linger; returns how many went.
    pub fn expire(&mut self, now_us: i64) -> usize {
        let idle = self.limits.idle_timeout_us;
        let mut gone = Vec::new();
        for (a, e) in &self.by_addr {
            if e.ends_at_us.is_some_and(|t| t <= now_us) {
                gone.push((*a, true));
            } else if now_us.saturating_sub(e.last_us) > idle {
                gone.push((*a, false));
            }
        }
        for (a, ended) in &gone {
            if let Some(e) = self.by_addr.remove(a) {
                self.order.remove(&e.order);
                self.unlink(&e.call_id, *a);
                if *ended {
                    self.stats.ended += 1;
                } else {
                    self.stats.expired_idle += 1;
                }
            }
        }
        gone.len()
    }

    /// Number of `IP:port` entries.
    pub fn len(&self) -> usize {
        self.by_addr.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.by_addr.is_empty()
    }

    /// Number of calls with at least one entry.
    pub fn calls(&self) -> usize {
        self.by_call.len()
    }

    /// Counters.
    pub fn stats(&self) -> MediaMapStats {
        self.stats
    }
}
