//! Decoding: version detection, HEPv1/v2, HEPv3 chunk walk, payload inflate.

use std::borrow::Cow;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::{Compression, HepError};
use crate::reader::Reader;
use crate::types::{chunk, unspecified_for, HepPacket, HepVersion, ProtoType, AF_INET, AF_INET6};

/// "HEP3": the HEPv3 magic.
pub const HEP3_MAGIC: [u8; 4] = *b"HEP3";
/// "EEP3": the EEP alias of the HEPv3 magic (accepted only with
/// [`DecodeOptions::accept_eep3`]).
pub const EEP3_MAGIC: [u8; 4] = *b"EEP3";
/// Length of the HEPv3 header (magic + total length).
pub const HEP3_HEADER_LEN: usize = 6;
/// Length of a HEPv3 chunk header (vendor, type, length).
pub const CHUNK_HEADER_LEN: usize = 6;

/// Knobs for [`decode_with`]. Build with `DecodeOptions { max_inflated_len: .., ..Default::default() }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Largest payload a `0x0010` chunk may inflate to (zip bomb guard). Default 1 MiB.
    pub max_inflated_len: usize,
    /// Require the HEPv3 total length to equal the buffer length exactly (heplify-server's
    /// UDP rule). Off by default: trailing bytes after the declared length are ignored, and
    /// a declared length beyond the buffer (a truncated datagram, as in sip3's test vector)
    /// is decoded as far as whole chunks go.
    pub strict_length: bool,
    /// Accept "EEP3" as an alias of "HEP3". Default off (only one vendor variant uses it).
    pub accept_eep3: bool,
    /// Accept HEPv1/v2 (first byte 1 or 2). Default on; turn off for stream transports,
    /// where only HEPv3 is framed.
    pub accept_legacy: bool,
}

impl DecodeOptions {
    /// 1 MiB.
    pub const DEFAULT_MAX_INFLATED_LEN: usize = 1 << 20;
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            max_inflated_len: Self::DEFAULT_MAX_INFLATED_LEN,
            strict_length: false,
            accept_eep3: false,
            accept_legacy: true,
        }
    }
}

/// Decodes one HEP packet (v1, v2 or v3, detected from the first bytes) with the
/// default [`DecodeOptions`].
pub fn decode(buf: &[u8]) -> Result<HepPacket<'_>, HepError> {
    decode_with(buf, &DecodeOptions::default())
}

/// Decodes one HEP packet with explicit options.
pub fn decode_with<'a>(buf: &'a [u8], opts: &DecodeOptions) -> Result<HepPacket<'a>, HepError> {
    match buf.first_chunk::<4>() {
        Some(m) if *m == HEP3_MAGIC || (opts.accept_eep3 && *m == EEP3_MAGIC) => {
            decode_v3(buf, opts)
        }
        _ => match buf.first().copied() {
            None => Err(HepError::TooShort { need: 1, have: 0 }),
            Some(v @ (1 | 2)) if opts.accept_legacy => decode_legacy(buf, v),
            Some(v @ (1 | 2)) => Err(HepError::UnsupportedVersion(v)),
            // A small first byte sits where HEPv1/v2 put their version.
            Some(v @ (0 | 3..=15)) => Err(HepError::UnsupportedVersion(v)),
            Some(_) if buf.len() < 4 && HEP3_MAGIC.starts_with(buf) => Err(HepError::TooShort {
                need: HEP3_HEADER_LEN,
                have: buf.len(),
            }),
            Some(_) => Err(HepError::BadMagic),
        },
    }
}

/// HEPv1 (`version == 1`) or HEPv2 (`version == 2`); layout in hep.md §2.
fn decode_legacy(buf: &[u8], version: u8) -> Result<HepPacket<'_>, HepError> {
    let mut r = Reader::new(buf);
    let short = |need: usize| HepError::TooShort {
        need,
        have: buf.len(),
    };
    let (Some(_v), Some(hp_l), Some(ip_family), Some(ip_proto), Some(src_port), Some(dst_port)) =
        (r.u8(), r.u8(), r.u8(), r.u8(), r.u16_be(), r.u16_be())
    else {
        return Err(short(16));
    };
    // IPv4 vs IPv6 by header length: AF_INET6 differs between OSes (10, 28, 30).
    let (src_ip, dst_ip) = match hp_l {
        16 => match (r.array::<4>(), r.array::<4>()) {
            (Some(s), Some(d)) => (IpAddr::V4(Ipv4Addr::from(s)), IpAddr::V4(Ipv4Addr::from(d))),
            _ => return Err(short(16)),
        },
        40 => match (r.array::<16>(), r.array::<16>()) {
            (Some(s), Some(d)) => (IpAddr::V6(Ipv6Addr::from(s)), IpAddr::V6(Ipv6Addr::from(d))),
            _ => return Err(short(40)),
        },
        _ => return Err(HepError::BadHeaderLength { hp_l }),
    };
    let (hep_version, ts_sec, ts_usec, capture_id) = if version == 2 {
        // struct hep_timehdr: tv_sec, tv_usec (LE), captid (LE u16), 2 bytes padding.
        match (r.u32_le(), r.u32_le(), r.u16_le(), r.take(2)) {
            (Some(s), Some(u), Some(c), Some(_pad)) => (HepVersion::V2, s, u, u32::from(c)),
            _ => return Err(short(usize::from(hp_l) + 12)),
        }
    } else {
        (HepVersion::V1, 0, 0, 0)
    };
    Ok(HepPacket {
        version: hep_version,
        ip_family,
        ip_proto,
        src_ip,
        dst_ip,
        src_port,
        dst_port,
        ts_sec,
        ts_usec,
        proto_type: ProtoType::SIP,
        capture_id,
        keep_alive: None,
        auth_key: None,
        payload: Cow::Borrowed(r.rest()),
        compressed: false,
        correlation_id: None,
        vlan_id: None,
        node_name: None,
        mos: None,
    })
}

/// One raw HEPv3 chunk, as yielded by [`chunks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<'a> {
    /// 0 for generic chunks; see hep.md §3.4 for the vendor list.
    pub vendor: u16,
    pub chunk_type: u16,
    /// Offset of the chunk header in the packet.
    pub offset: usize,
    /// The body (without the 6-byte chunk header).
    pub body: &'a [u8],
}

/// Iterator over the chunks of a HEPv3 packet; see [`chunks`].
#[derive(Debug, Clone)]
pub struct Chunks<'a> {
    r: Reader<'a>,
    done: bool,
}

/// Walks the raw chunks of a HEPv3 packet in wire order, including vendor and unknown
/// chunks (for relays and for chunks [`HepPacket`] has no field for, such as MACs).
/// Checks the header like [`decode`] (lenient length); the iterator yields one `Err`
/// and then stops at a malformed chunk.
pub fn chunks(buf: &[u8]) -> Result<Chunks<'_>, HepError> {
    chunks_with(buf, &DecodeOptions::default())
}

fn chunks_with<'a>(buf: &'a [u8], opts: &DecodeOptions) -> Result<Chunks<'a>, HepError> {
    let Some((magic, rest)) = buf.split_first_chunk::<4>() else {
        return Err(HepError::TooShort {
            need: HEP3_HEADER_LEN,
            have: buf.len(),
        });
    };
    if *magic != HEP3_MAGIC && !(opts.accept_eep3 && *magic == EEP3_MAGIC) {
        return Err(HepError::BadMagic);
    }
    let Some(len_bytes) = rest.first_chunk::<2>() else {
        return Err(HepError::TooShort {
            need: HEP3_HEADER_LEN,
            have: buf.len(),
        });
    };
    let declared = usize::from(u16::from_be_bytes(*len_bytes));
    if declared < HEP3_HEADER_LEN {
        return Err(HepError::BadTotalLength { declared });
    }
    if opts.strict_length && declared != buf.len() {
        return Err(HepError::LengthMismatch {
            declared,
            actual: buf.len(),
        });
    }
    let end = declared.min(buf.len());
    let mut r = Reader::new(buf.get(..end).unwrap_or(buf));
    let _header = r.take(HEP3_HEADER_LEN);
    Ok(Chunks { r, done: false })
}

impl<'a> Iterator for Chunks<'a> {
    type Item = Result<Chunk<'a>, HepError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.r.is_empty() {
            return None;
        }
        let offset = self.r.offset();
        let res = (|| {
            let have = self.r.remaining();
            let (Some(vendor), Some(chunk_type), Some(len)) =
                (self.r.u16_be(), self.r.u16_be(), self.r.u16_be())
            else {
                return Err(HepError::TruncatedChunkHeader { offset, have });
            };
            let body_len =
                usize::from(len)
                    .checked_sub(CHUNK_HEADER_LEN)
                    .ok_or(HepError::BadChunkLength {
                        chunk_type,
                        offset,
                        len,
                    })?;
            let body = self
                .r
                .take(body_len)
                .ok_or(HepError::ChunkOverrun { chunk_type, offset })?;
            Ok(Chunk {
                vendor,
                chunk_type,
                offset,
                body,
            })
        })();
        if res.is_err() {
            self.done = true;
        }
        Some(res)
    }
}

fn fixed<const N: usize>(c: &Chunk<'_>) -> Result<[u8; N], HepError> {
    c.body.try_into().map_err(|_| HepError::BadChunkSize {
        chunk_type: c.chunk_type,
        offset: c.offset,
        expected: N,
        actual: c.body.len(),
    })
}

fn addr(c: &Chunk<'_>, v4_chunk: bool) -> Result<IpAddr, HepError> {
    if let (true, Ok(a)) = (v4_chunk, <[u8; 4]>::try_from(c.body)) {
        return Ok(IpAddr::V4(Ipv4Addr::from(a)));
    }
    match <[u8; 16]>::try_from(c.body) {
        Ok(a) => {
            let v6 = Ipv6Addr::from(a);
            // sip3 sends IPv4-mapped IPv6 in the IPv4 chunk types.
            match (v4_chunk, v6.to_ipv4_mapped()) {
                (true, Some(v4)) => Ok(IpAddr::V4(v4)),
                _ => Ok(IpAddr::V6(v6)),
            }
        }
        Err(_) => Err(HepError::BadAddressLength {
            chunk_type: c.chunk_type,
            offset: c.offset,
            len: c.body.len(),
        }),
    }
}

#[derive(Clone, Copy)]
enum PayloadChunk<'a> {
    Plain(&'a [u8]),
    Compressed(&'a [u8]),
}

fn decode_v3<'a>(buf: &'a [u8], opts: &DecodeOptions) -> Result<HepPacket<'a>, HepError> {
    let mut ip_family = None;
    let mut ip_proto = 0u8;
    let mut src_ip = None;
    let mut dst_ip = None;
    let mut src_port = 0u16;
    let mut dst_port = 0u16;
    let mut ts_sec = 0u32;
    let mut ts_usec = 0u32;
    let mut proto_type = ProtoType::RESERVED;
    let mut capture_id = 0u32;
    let mut keep_alive = None;
    let mut auth_key = None;
    let mut payload = None;
    let mut correlation_id = None;
    let mut vlan_id = None;
    let mut node_name = None;
    let mut mos = None;

    for c in chunks_with(buf, opts)? {
        let c = c?;
        if c.vendor != 0 {
            continue; // never interpret a vendor chunk as a generic one
        }
        match c.chunk_type {
            chunk::IP_FAMILY => ip_family = Some(u8::from_be_bytes(fixed(&c)?)),
            chunk::IP_PROTO => ip_proto = u8::from_be_bytes(fixed(&c)?),
            chunk::IPV4_SRC => src_ip = Some(addr(&c, true)?),
            chunk::IPV4_DST => dst_ip = Some(addr(&c, true)?),
            chunk::IPV6_SRC => src_ip = Some(addr(&c, false)?),
            chunk::IPV6_DST => dst_ip = Some(addr(&c, false)?),
            chunk::SRC_PORT => src_port = u16::from_be_bytes(fixed(&c)?),
            chunk::DST_PORT => dst_port = u16::from_be_bytes(fixed(&c)?),
            chunk::TS_SEC => ts_sec = u32::from_be_bytes(fixed(&c)?),
            chunk::TS_USEC => ts_usec = u32::from_be_bytes(fixed(&c)?),
            chunk::PROTO_TYPE => proto_type = ProtoType(u8::from_be_bytes(fixed(&c)?)),
            chunk::CAPTURE_ID => capture_id = u32::from_be_bytes(fixed(&c)?),
            chunk::KEEP_ALIVE => keep_alive = Some(u16::from_be_bytes(fixed(&c)?)),
            chunk::AUTH_KEY => auth_key = Some(c.body),
            chunk::PAYLOAD => payload = Some(PayloadChunk::Plain(c.body)),
            chunk::COMPRESSED_PAYLOAD => payload = Some(PayloadChunk::Compressed(c.body)),
            chunk::CORRELATION_ID => correlation_id = Some(c.body),
            chunk::VLAN_ID => {
                // uint8 in spec rev. 11-14, uint16 since.
                vlan_id = Some(match c.body {
                    [b] => u16::from(*b),
                    _ => u16::from_be_bytes(fixed(&c)?),
                })
            }
            chunk::NODE_NAME => node_name = Some(c.body),
            chunk::MOS => {
                mos = match u16::from_be_bytes(fixed(&c)?) {
                    0 | 0xffff => None,
                    m => Some(m),
                }
            }
            _ => {} // unknown generic chunk: skipped
        }
    }

    let (payload, compressed) = match payload {
        None => return Err(HepError::MissingChunk("payload")),
        Some(PayloadChunk::Plain(p)) => (Cow::Borrowed(p), false),
        Some(PayloadChunk::Compressed(z)) => (Cow::Owned(inflate(z, opts.max_inflated_len)?), true),
    };
    let ip_family = ip_family.unwrap_or(match src_ip.or(dst_ip) {
        Some(IpAddr::V6(_)) => AF_INET6,
        _ => AF_INET,
    });
    Ok(HepPacket {
        version: HepVersion::V3,
        ip_family,
        ip_proto,
        src_ip: src_ip.unwrap_or_else(|| unspecified_for(ip_family)),
        dst_ip: dst_ip.unwrap_or_else(|| unspecified_for(ip_family)),
        src_port,
        dst_port,
        ts_sec,
        ts_usec,
        proto_type,
        capture_id,
        keep_alive,
        auth_key,
        payload,
        compressed,
        correlation_id,
        vlan_id,
        node_name,
        mos,
    })
}

/// Detects the container of a compressed payload from its first bytes.
pub fn detect_compression(data: &[u8]) -> Compression {
    match data {
        [0x1f, 0x8b, ..] => Compression::Gzip,
        // RFC 1950: CM = 8 (deflate), CINFO <= 7, header checksum multiple of 31.
        [cmf, flg, ..]
            if cmf & 0x0f == 8
                && cmf >> 4 <= 7
                && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0 =>
        {
            Compression::Zlib
        }
        _ => Compression::Deflate,
    }
}

/// Inflates a `0x0010` body (zlib, gzip or raw deflate, auto-detected), refusing to
/// produce more than `limit` bytes.
pub fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>, HepError> {
    let format = detect_compression(data);
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::with_capacity(data.len().saturating_mul(4).min(limit).min(1 << 16));
    let res = match format {
        Compression::Gzip => flate2::read::GzDecoder::new(data)
            .take(cap)
            .read_to_end(&mut out),
        Compression::Zlib => flate2::read::ZlibDecoder::new(data)
            .take(cap)
            .read_to_end(&mut out),
        Compression::Deflate => flate2::read::DeflateDecoder::new(data)
            .take(cap)
            .read_to_end(&mut out),
    };
    match res {
        Err(e) => Err(HepError::Inflate {
            format,
            kind: e.kind(),
        }),
        Ok(_) if out.len() > limit => Err(HepError::InflateTooLarge { limit }),
        Ok(_) => Ok(out),
    }
}
