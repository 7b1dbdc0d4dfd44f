//! HEPv3 encoding in the canonical chunk order (hep.md §8.2).

use std::io::Write;
use std::net::IpAddr;

use crate::decode::{HEP3_HEADER_LEN, HEP3_MAGIC};
use crate::error::{Compression, HepError};
use crate::types::{chunk, HepPacket};

/// Knobs for [`encode_v3_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EncodeOptions {
    /// Container used when the packet's `compressed` flag asks for chunk `0x0010`.
    /// Default zlib (what captagent sends). `Deflate` is written as zlib.
    pub compression: Compression,
}

/// Appends one HEPv3 packet for `pkt` to `out` (whatever `pkt.version` says).
///
/// Chunk order: 1, 2, 3+4 / 5+6, 7, 8, 9, 10, 11, 12, then 13, 14, 17, 18, 19, 0x20 when
/// set, and the payload last: chunk `0x000f`, or zlib-compressed `0x0010` when
/// `pkt.compressed` is true.
///
/// A packet cannot exceed 65535 bytes. Should it, this never fails: the payload is sent
/// uncompressed and cut to fit (and auth key, correlation id and node name to 4 KiB
/// each). Use [`try_encode_v3`] to get [`HepError::TooLarge`] instead.
pub fn encode_v3(pkt: &HepPacket<'_>, out: &mut Vec<u8>) {
    if try_encode_v3(pkt, out).is_ok() {
        return;
    }
    fn cut(o: Option<&[u8]>) -> Option<&[u8]> {
        o.map(|b| b.get(..4096).unwrap_or(b))
    }
    let mut p = HepPacket {
        auth_key: cut(pkt.auth_key),
        correlation_id: cut(pkt.correlation_id),
        node_name: cut(pkt.node_name),
        compressed: false,
        payload: std::borrow::Cow::Borrowed(&[]),
        ..pkt.clone()
    };
    let start = out.len();
    let base = write_packet(&p, &EncodeOptions::default(), out);
    out.truncate(start);
    let budget = usize::from(u16::MAX).saturating_sub(base);
    p.payload = std::borrow::Cow::Borrowed(pkt.payload.get(..budget).unwrap_or(&pkt.payload));
    write_packet(&p, &EncodeOptions::default(), out);
}

/// Like [`encode_v3`], but returns the number of bytes appended, or
/// [`HepError::TooLarge`] (with `out` unchanged) when the packet would not fit.
pub fn try_encode_v3(pkt: &HepPacket<'_>, out: &mut Vec<u8>) -> Result<usize, HepError> {
    encode_v3_with(pkt, &EncodeOptions::default(), out)
}

/// [`try_encode_v3`] with explicit options.
pub fn encode_v3_with(
    pkt: &HepPacket<'_>,
    opts: &EncodeOptions,
    out: &mut Vec<u8>,
) -> Result<usize, HepError> {
    let start = out.len();
    let len = write_packet(pkt, opts, out);
    if len > usize::from(u16::MAX) {
        out.truncate(start);
        return Err(HepError::TooLarge { len });
    }
    Ok(len)
}

/// Writes the packet and returns its full length; the length field is only correct
/// when that length fits in a u16 (the caller checks).
fn write_packet(pkt: &HepPacket<'_>, opts: &EncodeOptions, out: &mut Vec<u8>) -> usize {
    let start = out.len();
    out.extend_from_slice(&HEP3_MAGIC);
    out.extend_from_slice(&[0, 0]); // total length, patched below
    put(out, chunk::IP_FAMILY, &[pkt.ip_family]);
    put(out, chunk::IP_PROTO, &[pkt.ip_proto]);
    put_addr(out, chunk::IPV4_SRC, chunk::IPV6_SRC, pkt.src_ip);
    put_addr(out, chunk::IPV4_DST, chunk::IPV6_DST, pkt.dst_ip);
    put(out, chunk::SRC_PORT, &pkt.src_port.to_be_bytes());
    put(out, chunk::DST_PORT, &pkt.dst_port.to_be_bytes());
    put(out, chunk::TS_SEC, &pkt.ts_sec.to_be_bytes());
    put(out, chunk::TS_USEC, &pkt.ts_usec.to_be_bytes());
    put(out, chunk::PROTO_TYPE, &[pkt.proto_type.0]);
    put(out, chunk::CAPTURE_ID, &pkt.capture_id.to_be_bytes());
    if let Some(k) = pkt.keep_alive {
        put(out, chunk::KEEP_ALIVE, &k.to_be_bytes());
    }
    if let Some(a) = pkt.auth_key {
        put(out, chunk::AUTH_KEY, a);
    }
    if let Some(c) = pkt.correlation_id {
        put(out, chunk::CORRELATION_ID, c);
    }
    if let Some(v) = pkt.vlan_id {
        put(out, chunk::VLAN_ID, &v.to_be_bytes());
    }
    if let Some(n) = pkt.node_name {
        put(out, chunk::NODE_NAME, n);
    }
    if let Some(m) = pkt.mos {
        put(out, chunk::MOS, &m.to_be_bytes());
    }
    match pkt
        .compressed
        .then(|| compress(&pkt.payload, opts.compression))
        .flatten()
    {
        Some(z) => put(out, chunk::COMPRESSED_PAYLOAD, &z),
        None => put(out, chunk::PAYLOAD, &pkt.payload),
    }
    let len = out.len() - start;
    let len16 = u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes();
    if let Some(field) = out.get_mut(start + 4..start + HEP3_HEADER_LEN) {
        field.copy_from_slice(&len16);
    }
    len
}

fn put(out: &mut Vec<u8>, chunk_type: u16, body: &[u8]) {
    let len = u16::try_from(body.len() + 6).unwrap_or(u16::MAX);
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&chunk_type.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
}

fn put_addr(out: &mut Vec<u8>, v4_type: u16, v6_type: u16, ip: IpAddr) {
    match ip {
        IpAddr::V4(a) => put(out, v4_type, &a.octets()),
        IpAddr::V6(a) => put(out, v6_type, &a.octets()),
    }
}

/// Compresses a payload; `None` only if the in-memory encoder reports an error.
fn compress(data: &[u8], format: Compression) -> Option<Vec<u8>> {
    let level = flate2::Compression::default();
    match format {
        Compression::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), level);
            e.write_all(data).ok()?;
            e.finish().ok()
        }
        Compression::Zlib | Compression::Deflate => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), level);
            e.write_all(data).ok()?;
            e.finish().ok()
        }
    }
}
