//! Captured frames → [`Capture`]s: the one packet path of `argos import`, `argos agent`
//! and `argos grep`, whether the frames come from a capture file or a live interface.
//!
//! * [`FrameProcessor`] takes frames one at a time (link type, timestamp, bytes) and hands
//!   every SIP message found to a sink: UDP datagrams that look like SIP, TCP streams put
//!   back together by [`argos_net::SipTcpReassembler`] (with SIP over WebSocket), SCTP DATA
//!   chunks ([`SctpReassembler`]), IPv4/IPv6 fragments ([`argos_net::Defragmenter`]), and
//!   optionally the contents of HEP packets seen on the wire ([`capture_from_hep`]), and
//!   SIP over TLS decrypted with a key log ([`WireOptions::tls_keylog`]).
//! * With [`WireOptions::rtcp`], RTCP becomes HEP proto-5 JSON captures correlated to the
//!   Call-ID whose SDP announced its addresses (what captagent and heplify send); with
//!   [`WireOptions::rtp`], the RTP of announced media is analysed per stream and reported
//!   as HEP proto-34 JSON (periodic and final), correlated the same way.
//! * [`read_captures`] runs a pcap/pcapng file through a processor.
//! * [`WireCounts`] says what happened to every frame.
//!
//! No I/O besides the `Read` a file comes through: the live interface is in
//! `argos-afpacket`, the senders in `argos-agent`.

mod counts;
mod file;
mod frames;
mod hep;
mod media;
mod sctp;
mod sniff;

pub use counts::WireCounts;
pub use file::{read_captures, read_captures_with};
pub use frames::{FrameProcessor, WireOptions};
pub use hep::{capture_from_hep, HepCaptureError};
pub use media::REPORT_EVERY_US;
pub use sctp::SctpReassembler;
pub use sniff::{is_hep, looks_like_sip};

/// The name `argos import` printed its counts under.
pub type ImportCounts = WireCounts;
