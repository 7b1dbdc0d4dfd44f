//! Live input: frames from one or more interfaces (AF_PACKET rings, `argos-afpacket`)
//! through the same packet path as capture files (`argos-wire`).
//!
//! One thread polls every interface's ring in turn; a ring hands over a block of frames at
//! a time (at most [`LiveInput::block_timeout_ms`] late at low rates), which is the batch.
//! Raw frames that passed the kernel filter can also go to rotating pcap files.

use crate::pcap_out::{PcapOutError, PcapRotator};
use argos_afpacket::{LiveCapture, LiveConfig, LiveStats};
use argos_model::Capture;
use argos_wire::{FrameProcessor, WireCounts, WireOptions};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Which interfaces, and what the kernel keeps of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveInput {
    /// Interface names; `any` captures on all of them (as Linux cooked frames).
    pub interfaces: Vec<String>,
    /// A tcpdump-syntax filter run in the kernel (compiled with tcpdump, i.e. libpcap).
    pub bpf: Option<String>,
    /// Bytes kept per frame.
    pub snaplen: u32,
    /// Ring size per interface, bytes.
    pub ring_bytes: usize,
    pub promiscuous: bool,
    /// Longest wait before a partly filled ring block is handed over.
    pub block_timeout_ms: u32,
}

impl Default for LiveInput {
    fn default() -> Self {
        let d = LiveConfig::default();
        LiveInput {
            interfaces: vec![d.interface],
            bpf: None,
            snaplen: d.snaplen,
            ring_bytes: d.ring_bytes,
            promiscuous: d.promiscuous,
            block_timeout_ms: d.block_timeout_ms,
        }
    }
}

/// The usual SIP ports plus UDP datagrams that may be RTCP (or RTP), as a kernel filter:
/// what an agent wants off a busy interface when no `--bpf` is given. IP fragments are kept
/// (their first piece carries the ports, the others do not), as are VLAN-tagged frames and
/// the tunnels the packet path opens — whose inner ports a filter cannot see: IP-in-IP and
/// IPv6-in-IP, GRE (incl. ERSPAN), VXLAN (udp/4789), Geneve (udp/6081), TZSP (udp/37008)
/// and GTP-U (udp/2152).
pub fn default_bpf(sip_ports: &str, rtcp: bool, rtp: bool) -> String {
    let ports = sip_ports.replace(',', " or portrange ");
    let mut f = format!("(tcp or udp or sctp) and portrange {ports}");
    if rtp {
        // RTP: any UDP datagram of version 2 (which streams count is up to the SDP).
        f.push_str(" or (udp and udp[8] & 0xc0 = 0x80)");
    } else if rtcp {
        // RTCP: version 2 and packet type 200..=207 in the first two bytes of the payload.
        f.push_str(" or (udp and udp[8] & 0xc0 = 0x80 and udp[9] >= 200 and udp[9] <= 207)");
    }
    f.push_str(" or (ip[6:2] & 0x3fff != 0) or (ip6 and ip6[6] = 44)");
    f.push_str(" or ip proto 4 or ip proto 41 or ip proto 47 or ip6 proto 4 or ip6 proto 41 or ip6 proto 47");
    f.push_str(" or udp port 4789 or udp port 6081 or udp port 37008 or udp port 2152");
    format!("({f}) or (vlan and ({f}))")
}

/// What live capture did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LiveSummary {
    /// Per interface: frames the kernel passed and frames lost because the ring was full.
    pub interfaces: Vec<InterfaceStats>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct InterfaceStats {
    pub name: String,
    pub packets: u64,
    pub drops: u64,
}

/// Why live capture could not start.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("interface {interface}: {source}")]
    Open {
        interface: String,
        source: argos_afpacket::CaptureError,
    },
    #[error("interface {interface}: {source}")]
    Read {
        interface: String,
        source: argos_afpacket::CaptureError,
    },
}

/// What the live loop hands its caller.
pub enum LiveEvent {
    /// A message (SIP, or RTCP as HEP JSON) to send.
    Capture(Capture),
    /// A pass over the interfaces ended: time to do periodic work (log lines, reconnects).
    Idle,
}

/// Captures until `stop` is set, handing every message to `on_event`; raw frames go to
/// `raw_pcap` when given (a write error is reported once through `on_pcap_error`).
pub fn run(
    live: &LiveInput,
    wire: &WireOptions,
    stop: &AtomicBool,
    mut raw_pcap: Option<&mut PcapRotator>,
    on_pcap_error: &mut dyn FnMut(PcapOutError),
    on_event: &mut dyn FnMut(LiveEvent),
) -> Result<(WireCounts, LiveSummary), LiveError> {
    let mut caps = Vec::new();
    for name in &live.interfaces {
        let cfg = LiveConfig {
            interface: name.clone(),
            snaplen: live.snaplen,
            ring_bytes: live.ring_bytes,
            block_timeout_ms: live.block_timeout_ms,
            promiscuous: live.promiscuous,
            fanout_group: None,
            bpf: live.bpf.clone(),
        };
        let c = LiveCapture::open(&cfg).map_err(|source| LiveError::Open {
            interface: name.clone(),
            source,
        })?;
        caps.push((name.clone(), c));
    }
    let mut proc = FrameProcessor::new(wire.clone());
    let mut out: Vec<Capture> = Vec::new();
    let mut pcap_failed = false;
    // Each ring is waited on for a share of 100 ms, so a quiet interface does not hold up
    // the others and Ctrl-C is seen within about that long.
    let wait = Duration::from_millis(100 / caps.len().max(1) as u64);
    while !stop.load(Ordering::Relaxed) {
        for (name, cap) in &mut caps {
            let res = read_block(
                cap,
                wait,
                &mut raw_pcap,
                &mut pcap_failed,
                on_pcap_error,
                &mut proc,
                &mut out,
            );
            if let Err(source) = res {
                return Err(LiveError::Read {
                    interface: name.clone(),
                    source,
                });
            }
            for c in out.drain(..) {
                on_event(LiveEvent::Capture(c));
            }
        }
        on_event(LiveEvent::Idle);
    }
    // Frames already in the rings when the stop came: a partly filled block is handed
    // over after the block timeout, so wait for it (twice, to be sure) before ending.
    let drain = Duration::from_millis(u64::from(live.block_timeout_ms.max(1)) * 2);
    for (_, cap) in &mut caps {
        for _ in 0..2 {
            let n = read_block(
                cap,
                drain,
                &mut raw_pcap,
                &mut pcap_failed,
                on_pcap_error,
                &mut proc,
                &mut out,
            )
            .unwrap_or(0);
            for c in out.drain(..) {
                on_event(LiveEvent::Capture(c));
            }
            if n == 0 {
                break;
            }
        }
    }
    let counts = proc.finish(&mut |c| {
        out.push(c);
        true
    });
    for c in out.drain(..) {
        on_event(LiveEvent::Capture(c));
    }
    let mut summary = LiveSummary::default();
    for (name, mut cap) in caps {
        let st = cap.stats().unwrap_or(LiveStats::default());
        summary.interfaces.push(InterfaceStats {
            name,
            packets: st.packets,
            drops: st.drops,
        });
    }
    Ok((counts, summary))
}

/// Reads one ring block (waiting up to `wait`): raw frames to the pcap output (the first
/// write error is reported, then writing stops), messages to `out`.
fn read_block(
    cap: &mut LiveCapture,
    wait: Duration,
    raw_pcap: &mut Option<&mut PcapRotator>,
    pcap_failed: &mut bool,
    on_pcap_error: &mut dyn FnMut(PcapOutError),
    proc: &mut FrameProcessor,
    out: &mut Vec<Capture>,
) -> Result<usize, argos_afpacket::CaptureError> {
    let link = cap.link_type();
    cap.next_batch(wait, &mut |f| {
        if let Some(p) = raw_pcap.as_deref_mut().filter(|_| !*pcap_failed) {
            if let Err(e) = p.write(link, f.ts_us, f.data) {
                *pcap_failed = true;
                on_pcap_error(e);
            }
        }
        proc.push(link, f.ts_us, f.data, &mut |c| {
            out.push(c);
            true
        });
    })
}
