//! Live packet capture on Linux without libpcap: an `AF_PACKET` socket with a TPACKET_V3
//! memory-mapped receive ring.
//!
//! - [`LiveCapture::open`] opens a capture described by a [`LiveConfig`] (interface or
//!   "any", snaplen, ring size, block retire timeout, promiscuous mode, fanout group and a
//!   tcpdump-syntax filter).
//! - [`LiveCapture::next_batch`] waits for one retired ring block and hands each of its
//!   frames to a callback as a [`LiveFrame`] borrowing the ring (no copy), in the link type
//!   [`LiveCapture::link_type`] says, so [`argos_net::decode_packet`] decodes it.
//! - [`LiveCapture::stats`] gives the kernel's packet, drop and freeze counters.
//! - [`compile_bpf`] turns a filter expression into classic BPF by running `tcpdump -ddd`
//!   (tcpdump loads libpcap at run time; nothing links it at build time).
//!
//! ```no_run
//! use argos_afpacket::{LiveCapture, LiveConfig};
//! use std::time::Duration;
//!
//! let cfg = LiveConfig { interface: "lo".into(), bpf: Some("udp port 5060".into()), ..LiveConfig::default() };
//! let mut cap = LiveCapture::open(&cfg)?;
//! let link = cap.link_type();
//! cap.next_batch(Duration::from_millis(200), &mut |frame| {
//!     if let Ok(packet) = argos_net::decode_packet(link, frame.data) {
//!         println!("{} {} bytes at {}", packet.src, packet.payload.len(), frame.ts_us);
//!     }
//! })?;
//! # Ok::<(), argos_afpacket::CaptureError>(())
//! ```
//!
//! Opening a capture needs root or `CAP_NET_RAW` ([`CaptureError::Permission`] otherwise).
//! Other operating systems build the crate but [`LiveCapture::open`] returns
//! [`CaptureError::Unsupported`].
//!
//! All unsafe code (system calls, the shared mapping) lives in one private module, `ring`;
//! the block and frame layouts are parsed from byte slices with bounds checks.

#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

mod bpf;
mod error;
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
mod link;
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
mod tpacket;

#[cfg(target_os = "linux")]
mod live;
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod ring;
#[cfg(not(target_os = "linux"))]
mod unsupported;

pub use bpf::{bpf_available, compile_bpf, BpfInsn};
pub use error::CaptureError;
#[cfg(target_os = "linux")]
pub use live::LiveCapture;
#[cfg(not(target_os = "linux"))]
pub use unsupported::LiveCapture;

/// The pseudo-interface that captures on every interface (as cooked frames).
pub const ANY_INTERFACE: &str = "any";

/// What and how to capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveConfig {
    /// Interface name, e.g. "eth0", "lo", or "any" (all interfaces).
    pub interface: String,
    /// Bytes kept of each frame (0 means the default, 65535).
    pub snaplen: u32,
    /// Total ring size in bytes; 1 MiB blocks for 4 MiB and more, else 4 smaller blocks.
    pub ring_bytes: usize,
    /// TPACKET_V3 block retire timeout: a partly filled block is handed over after this long,
    /// which bounds the latency at low packet rates.
    pub block_timeout_ms: u32,
    /// Put the interface in promiscuous mode while capturing (not applied to "any").
    pub promiscuous: bool,
    /// Join this `PACKET_FANOUT` group (flow hash, fragments reassembled first) so several
    /// sockets, e.g. one per thread, share the traffic.
    pub fanout_group: Option<u16>,
    /// A tcpdump-syntax filter expression, compiled with [`compile_bpf`] and run in the kernel.
    pub bpf: Option<String>,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            interface: ANY_INTERFACE.to_string(),
            snaplen: 65_535,
            ring_bytes: 32 << 20,
            block_timeout_ms: 50,
            promiscuous: true,
            fanout_group: None,
            bpf: None,
        }
    }
}

/// One captured frame, borrowed from the ring until the callback returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveFrame<'a> {
    /// Kernel receive time, microseconds since the Unix epoch.
    pub ts_us: i64,
    /// Length on the wire (plus any rebuilt link header), at least `data.len()`.
    pub orig_len: u32,
    /// The captured bytes, at most snaplen long.
    pub data: &'a [u8],
}

/// Capture counters since [`LiveCapture::open`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveStats {
    /// Frames that passed the filter, including dropped ones.
    pub packets: u64,
    /// Frames lost because the ring was full.
    pub drops: u64,
    /// Times the ring filled up (`tp_freeze_q_cnt`).
    pub freezes: u64,
}
