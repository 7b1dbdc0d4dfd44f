//! HEP (Homer Encapsulation Protocol) codec for Argos: HEPv1, HEPv2 and HEPv3 decode,
//! HEPv3 encode and TCP/TLS stream framing. No I/O, no `unsafe`, no panics on input.
//!
//! * [`decode`] / [`decode_with`]: one packet (version detected from the first bytes)
//!   into a [`HepPacket`], borrowing its byte fields and the payload from the
//!   input. A compressed payload (chunk `0x0010`, zlib or gzip) is inflated, bounded by
//!   [`DecodeOptions::max_inflated_len`].
//! * [`encode_v3`] / [`try_encode_v3`]: append a HEPv3 packet in canonical chunk order.
//! * [`frame_len`] and [`HepStreamDecoder`]: split a HEP-over-TCP byte stream into
//!   packets, resynchronising on the "HEP3" magic after garbage.
//! * [`chunks`]: the raw chunk walk, including vendor and unknown chunks.
//! * [`HepError`]: structured errors; [`HepError::reason`] gives a metrics label.
//! * [`ProtoType`]: the payload type, a newtype over the wire byte (unknown values survive).
//!
//! The wire format, and where implementations disagree, is described in
//! `shared/reference/hep.md`. In short: unknown chunks and chunks with a vendor id other
//! than 0 are skipped; a missing payload is an error; missing addresses, ports or
//! timestamps decode as `0.0.0.0` / 0 (log senders omit them); IPv4-mapped IPv6 in the
//! IPv4 address chunks decodes as IPv4; the HEPv2 time header is little-endian.
//!
//! ```
//! use argos_hep::{decode, encode_v3, HepPacket, HepVersion, ProtoType};
//!
//! let sent = HepPacket {
//!     src_ip: "10.0.0.1".parse().unwrap(),
//!     dst_ip: "10.0.0.2".parse().unwrap(),
//!     src_port: 5060,
//!     dst_port: 5060,
//!     ts_sec: 1_700_000_000,
//!     capture_id: 2001,
//!     correlation_id: Some(b"abc@host"),
//!     payload: b"OPTIONS sip:bob@example.com SIP/2.0\r\n\r\n"[..].into(),
//!     ..Default::default()
//! };
//! let mut wire = Vec::new();
//! encode_v3(&sent, &mut wire);
//!
//! let got = decode(&wire)?;
//! assert_eq!(got.version, HepVersion::V3);
//! assert_eq!(got.proto_type, ProtoType::SIP);
//! assert_eq!(got.src_addr().to_string(), "10.0.0.1:5060");
//! assert_eq!(got.correlation_id, Some(&b"abc@host"[..]));
//! assert_eq!(got, sent);
//! # Ok::<(), argos_hep::HepError>(())
//! ```

mod decode;
mod encode;
mod error;
mod reader;
mod stream;
mod types;

pub use decode::{
    chunks, decode, decode_with, detect_compression, inflate, Chunk, Chunks, DecodeOptions,
    CHUNK_HEADER_LEN, EEP3_MAGIC, HEP3_HEADER_LEN, HEP3_MAGIC,
};
pub use encode::{encode_v3, encode_v3_with, try_encode_v3, EncodeOptions};
pub use error::{Compression, HepError};
pub use stream::{frame_len, HepStreamDecoder};
pub use types::{chunk, HepPacket, HepVersion, ProtoType, AF_INET, AF_INET6};
