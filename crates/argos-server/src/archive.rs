//! The Argos archive format (`.argos`): stored messages → a portable file and back, with
//! nothing lost that the pipeline cannot re-derive. Pure encoding: [`ArchiveWriter`] over
//! any [`Write`], [`ArchiveReader`] over any [`Read`]; no files, no store.
//!
//! Layout (all integers little-endian):
//!
//! ```text
//! header  (40 bytes)  "ARGOSARC" | version u16 = 1 | flags u16 = 0 | created_us i64
//!                     | since_us i64 | until_us i64 | crc32 u32 (of the 36 bytes before)
//! frame   (17 bytes + body)  'F' | body_len u32 | raw_len u32 | records u32
//!                     | crc32 u32 (of the raw records) | zstd frame of raw_len bytes
//! ...
//! footer  (25 bytes)  'E' | records u64 | frames u64 | crc32 u32 (of every byte of
//!                     the file before the footer) | crc32 u32 (of the 21 footer bytes before)
//! ```
//!
//! A frame's raw bytes are records, each `len u32` then:
//!
//! ```text
//! ts delta (zigzag varint, from the previous record of the frame; the first from 0)
//! flags u8: 1 src is IPv6, 2 dst is IPv6, 4 node, 8 correlation id, 16 vlan
//! src ip (4|16) port u16 [IPv6: flowinfo u32 scope_id u32] ; dst likewise
//! transport u8 (0 udp 1 tcp 2 tls 3 sctp 4 ws 5 other, then the protocol number u8)
//! payload kind u8 | capture id varint | [node: varint len, UTF-8]
//! [correlation id: varint len, UTF-8] | [vlan u16] | payload: the rest of the record
//! ```
//!
//! Parsed fields are not stored: import re-runs the pipeline, which derives them (and the
//! call keys, since records come back in the order they were stored).
//!
//! Decoding never panics and never allocates more than [`MAX_FRAME_RAW`] per frame. A
//! file cut short keeps every complete record before the cut (even inside the last,
//! partial frame); a corrupt frame stops decoding at its offset, keeping the frames
//! before it. Either way [`ArchiveReader::next_capture`] then yields one error naming the
//! byte offset.

use argos_model::{Capture, PayloadKind, Transport};
use bytes::Bytes;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// First 8 bytes of every archive.
pub const MAGIC: &[u8; 8] = b"ARGOSARC";
/// Format version this code writes and reads.
pub const VERSION: u16 = 1;
/// Header length in bytes.
pub const HEADER_LEN: usize = 40;
const FRAME_HEAD_LEN: usize = 17;
const FOOTER_LEN: usize = 25;
const TAG_FRAME: u8 = b'F';
const TAG_END: u8 = b'E';
/// Raw bytes a frame collects before it is compressed and written.
pub const FRAME_TARGET: usize = 1 << 20;
/// Largest record (payload plus metadata) the format carries.
pub const MAX_RECORD: usize = 16 << 20;
/// Largest raw frame a reader accepts (bounds its allocation).
pub const MAX_FRAME_RAW: usize = FRAME_TARGET + MAX_RECORD + 64;

/// Why an archive could not be written or read further.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("not an Argos archive (bad magic)")]
    BadMagic,
    #[error("archive format version {0} is not supported (this build reads version {VERSION})")]
    UnsupportedVersion(u16),
    #[error("archive header is corrupt (checksum mismatch)")]
    BadHeader,
    #[error("archive truncated at byte {offset}: {what}")]
    Truncated { offset: u64, what: &'static str },
    #[error("archive corrupt at byte {offset}: {what}")]
    Corrupt { offset: u64, what: String },
    #[error("record of {0} bytes exceeds the archive limit")]
    RecordTooLarge(usize),
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl ArchiveError {
    /// Byte offset of the damage, for truncation and corruption.
    pub fn offset(&self) -> Option<u64> {
        match self {
            ArchiveError::Truncated { offset, .. } | ArchiveError::Corrupt { offset, .. } => {
                Some(*offset)
            }
            _ => None,
        }
    }
}

/// What the header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub version: u16,
    /// When the archive was written, µs since the epoch.
    pub created_us: i64,
    /// The exported range `[since_us, until_us)`.
    pub since_us: i64,
    pub until_us: i64,
}

impl Header {
    fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[0..8].copy_from_slice(MAGIC);
        h[8..10].copy_from_slice(&self.version.to_le_bytes());
        // 10..12 flags = 0
        h[12..20].copy_from_slice(&self.created_us.to_le_bytes());
        h[20..28].copy_from_slice(&self.since_us.to_le_bytes());
        h[28..36].copy_from_slice(&self.until_us.to_le_bytes());
        let crc = crc32fast::hash(&h[..36]);
        h[36..40].copy_from_slice(&crc.to_le_bytes());
        h
    }
}

/// What the footer says (present only when the archive was read to its end intact).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    pub records: u64,
    pub frames: u64,
}

/// True when `prefix` starts like an Argos archive.
pub fn is_archive(prefix: &[u8]) -> bool {
    prefix.starts_with(MAGIC)
}

/// Sizes of what an [`ArchiveWriter`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteSummary {
    pub records: u64,
    pub frames: u64,
    /// Payload bytes written (before compression).
    pub payload_bytes: u64,
    /// Raw record bytes (metadata and payload) before compression.
    pub raw_bytes: u64,
    /// Bytes of the archive file.
    pub archive_bytes: u64,
}

/// Writes an archive: header now, a frame every [`FRAME_TARGET`] raw bytes, footer on
/// [`ArchiveWriter::finish`]. Memory: one raw frame and one compressed frame.
pub struct ArchiveWriter<W: Write> {
    w: W,
    level: i32,
    raw: Vec<u8>,
    frame_records: u32,
    prev_ts: i64,
    crc: crc32fast::Hasher,
    sum: WriteSummary,
}

impl<W: Write> ArchiveWriter<W> {
    /// Writes the header. `level` is the zstd level (1-22; 3 is a good default).
    pub fn new(
        mut w: W,
        level: i32,
        created_us: i64,
        since_us: i64,
        until_us: i64,
    ) -> Result<Self, ArchiveError> {
        let h = Header {
            version: VERSION,
            created_us,
            since_us,
            until_us,
        }
        .encode();
        w.write_all(&h)?;
        let mut crc = crc32fast::Hasher::new();
        crc.update(&h);
        Ok(ArchiveWriter {
            w,
            level,
            raw: Vec::with_capacity(FRAME_TARGET + 64 * 1024),
            frame_records: 0,
            prev_ts: 0,
            crc,
            sum: WriteSummary {
                archive_bytes: HEADER_LEN as u64,
                ..WriteSummary::default()
            },
        })
    }

    /// Appends one message.
    pub fn write(&mut self, c: &Capture) -> Result<(), ArchiveError> {
        let start = self.raw.len();
        self.raw.extend_from_slice(&[0; 4]);
        encode_record(&mut self.raw, c, self.prev_ts);
        let len = self.raw.len() - start - 4;
        if len > MAX_RECORD {
            self.raw.truncate(start);
            return Err(ArchiveError::RecordTooLarge(len));
        }
        self.raw[start..start + 4].copy_from_slice(&(len as u32).to_le_bytes());
        self.prev_ts = c.ts_us;
        self.frame_records += 1;
        self.sum.records += 1;
        self.sum.payload_bytes += c.payload.len() as u64;
        self.sum.raw_bytes += len as u64 + 4;
        if self.raw.len() >= FRAME_TARGET {
            self.write_frame()?;
        }
        Ok(())
    }

    fn write_frame(&mut self) -> Result<(), ArchiveError> {
        if self.frame_records == 0 {
            return Ok(());
        }
        let body = zstd::bulk::compress(&self.raw, self.level)?;
        let mut head = [0u8; FRAME_HEAD_LEN];
        head[0] = TAG_FRAME;
        head[1..5].copy_from_slice(&(body.len() as u32).to_le_bytes());
        head[5..9].copy_from_slice(&(self.raw.len() as u32).to_le_bytes());
        head[9..13].copy_from_slice(&self.frame_records.to_le_bytes());
        head[13..17].copy_from_slice(&crc32fast::hash(&self.raw).to_le_bytes());
        self.w.write_all(&head)?;
        self.w.write_all(&body)?;
        self.crc.update(&head);
        self.crc.update(&body);
        self.sum.frames += 1;
        self.sum.archive_bytes += (FRAME_HEAD_LEN + body.len()) as u64;
        self.raw.clear();
        self.frame_records = 0;
        self.prev_ts = 0;
        Ok(())
    }

    /// Summary so far (the archive size counts written frames only).
    pub fn summary(&self) -> WriteSummary {
        self.sum
    }

    /// Writes the last frame and the footer, flushes, and returns the writer.
    pub fn finish(mut self) -> Result<(W, WriteSummary), ArchiveError> {
        self.write_frame()?;
        let mut f = [0u8; FOOTER_LEN];
        f[0] = TAG_END;
        f[1..9].copy_from_slice(&self.sum.records.to_le_bytes());
        f[9..17].copy_from_slice(&self.sum.frames.to_le_bytes());
        let file_crc = self.crc.clone().finalize();
        f[17..21].copy_from_slice(&file_crc.to_le_bytes());
        let own = crc32fast::hash(&f[..21]);
        f[21..25].copy_from_slice(&own.to_le_bytes());
        self.w.write_all(&f)?;
        self.w.flush()?;
        self.sum.archive_bytes += FOOTER_LEN as u64;
        Ok((self.w, self.sum))
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_addr(out: &mut Vec<u8>, a: &SocketAddr) {
    match a {
        SocketAddr::V4(a) => {
            out.extend_from_slice(&a.ip().octets());
            out.extend_from_slice(&a.port().to_le_bytes());
        }
        SocketAddr::V6(a) => {
            out.extend_from_slice(&a.ip().octets());
            out.extend_from_slice(&a.port().to_le_bytes());
            out.extend_from_slice(&a.flowinfo().to_le_bytes());
            out.extend_from_slice(&a.scope_id().to_le_bytes());
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn encode_record(out: &mut Vec<u8>, c: &Capture, prev_ts: i64) {
    let delta = c.ts_us.wrapping_sub(prev_ts);
    put_varint(out, ((delta << 1) ^ (delta >> 63)) as u64);
    let mut flags = 0u8;
    if c.src.is_ipv6() {
        flags |= 1;
    }
    if c.dst.is_ipv6() {
        flags |= 2;
    }
    if c.node.is_some() {
        flags |= 4;
    }
    if c.correlation_id.is_some() {
        flags |= 8;
    }
    if c.vlan.is_some() {
        flags |= 16;
    }
    out.push(flags);
    put_addr(out, &c.src);
    put_addr(out, &c.dst);
    match c.transport {
        Transport::Udp => out.push(0),
        Transport::Tcp => out.push(1),
        Transport::Tls => out.push(2),
        Transport::Sctp => out.push(3),
        Transport::Ws => out.push(4),
        Transport::Other(p) => out.extend_from_slice(&[5, p]),
    }
    out.push(c.kind.0);
    put_varint(out, u64::from(c.capture_id));
    if let Some(n) = &c.node {
        put_str(out, n);
    }
    if let Some(n) = &c.correlation_id {
        put_str(out, n);
    }
    if let Some(v) = c.vlan {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&c.payload);
}

/// A cursor over one record's bytes; every read is checked.
struct Cur<'a> {
    b: &'a [u8],
}

impl<'a> Cur<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.b.len() {
            return None;
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Some(h)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn arr<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N).and_then(|b| b.try_into().ok())
    }
    fn u16(&mut self) -> Option<u16> {
        self.arr().map(u16::from_le_bytes)
    }
    fn u32(&mut self) -> Option<u32> {
        self.arr().map(u32::from_le_bytes)
    }
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for i in 0..10 {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    fn addr(&mut self, v6: bool) -> Option<SocketAddr> {
        if v6 {
            let ip = Ipv6Addr::from(self.arr::<16>()?);
            let port = self.u16()?;
            let flow = self.u32()?;
            let scope = self.u32()?;
            Some(SocketAddr::V6(SocketAddrV6::new(ip, port, flow, scope)))
        } else {
            let ip = Ipv4Addr::from(self.arr::<4>()?);
            let port = self.u16()?;
            Some(SocketAddr::V4(SocketAddrV4::new(ip, port)))
        }
    }
    fn string(&mut self) -> Option<Box<str>> {
        let n = usize::try_from(self.varint()?).ok()?;
        let b = self.take(n)?;
        std::str::from_utf8(b).ok().map(Box::from)
    }
}

/// Decodes one record body; `None` when it is malformed.
fn decode_record(rec: &Bytes, prev_ts: i64) -> Option<Capture> {
    let mut c = Cur { b: rec };
    let z = c.varint()?;
    let delta = ((z >> 1) as i64) ^ -((z & 1) as i64);
    let ts_us = prev_ts.wrapping_add(delta);
    let flags = c.u8()?;
    if flags & !0x1f != 0 {
        return None;
    }
    let src = c.addr(flags & 1 != 0)?;
    let dst = c.addr(flags & 2 != 0)?;
    let transport = match c.u8()? {
        0 => Transport::Udp,
        1 => Transport::Tcp,
        2 => Transport::Tls,
        3 => Transport::Sctp,
        4 => Transport::Ws,
        5 => Transport::Other(c.u8()?),
        _ => return None,
    };
    let kind = PayloadKind(c.u8()?);
    let capture_id = u32::try_from(c.varint()?).ok()?;
    let node = if flags & 4 != 0 {
        Some(c.string()?)
    } else {
        None
    };
    let correlation_id = if flags & 8 != 0 {
        Some(c.string()?)
    } else {
        None
    };
    let vlan = if flags & 16 != 0 {
        Some(c.u16()?)
    } else {
        None
    };
    let payload = rec.slice(rec.len() - c.b.len()..);
    Some(Capture {
        ts_us,
        src,
        dst,
        transport,
        kind,
        capture_id,
        node,
        correlation_id,
        vlan,
        payload,
    })
}

/// Reads `buf.len()` bytes unless the input ends first; returns how many were read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Reads an archive record by record.
pub struct ArchiveReader<R: Read> {
    r: R,
    header: Header,
    /// Bytes consumed from the input.
    offset: u64,
    crc: crc32fast::Hasher,
    /// Decoded raw bytes of the current frame and the read position in them.
    frame: Bytes,
    pos: usize,
    prev_ts: i64,
    /// Offset of the current frame's header, for error messages.
    frame_offset: u64,
    records: u64,
    frames: u64,
    footer: Option<Footer>,
    /// An error to report once the current (salvaged) frame is drained.
    pending: Option<ArchiveError>,
    done: bool,
}

impl<R: Read> std::fmt::Debug for ArchiveReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchiveReader")
            .field("header", &self.header)
            .field("offset", &self.offset)
            .field("records", &self.records)
            .finish()
    }
}

impl<R: Read> ArchiveReader<R> {
    /// Reads and checks the header.
    pub fn new(mut r: R) -> Result<Self, ArchiveError> {
        let mut h = [0u8; HEADER_LEN];
        let n = read_full(&mut r, &mut h)?;
        if n < MAGIC.len() || &h[..8] != MAGIC {
            return Err(ArchiveError::BadMagic);
        }
        if n < HEADER_LEN {
            return Err(ArchiveError::Truncated {
                offset: n as u64,
                what: "header",
            });
        }
        let word = |i: usize| [h[i], h[i + 1]];
        let version = u16::from_le_bytes(word(8));
        if version != VERSION {
            return Err(ArchiveError::UnsupportedVersion(version));
        }
        let crc = u32::from_le_bytes([h[36], h[37], h[38], h[39]]);
        if crc != crc32fast::hash(&h[..36]) {
            return Err(ArchiveError::BadHeader);
        }
        let i64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&h[i..i + 8]);
            i64::from_le_bytes(b)
        };
        let header = Header {
            version,
            created_us: i64_at(12),
            since_us: i64_at(20),
            until_us: i64_at(28),
        };
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&h);
        Ok(ArchiveReader {
            r,
            header,
            offset: HEADER_LEN as u64,
            crc: hasher,
            frame: Bytes::new(),
            pos: 0,
            prev_ts: 0,
            frame_offset: HEADER_LEN as u64,
            records: 0,
            frames: 0,
            footer: None,
            pending: None,
            done: false,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Bytes of the input consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Records returned so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The footer, once the archive has been read to its intact end.
    pub fn footer(&self) -> Option<Footer> {
        self.footer
    }

    /// The next message; `None` at the (intact) end. After an error, `None` follows.
    #[allow(clippy::should_implement_trait)]
    pub fn next_capture(&mut self) -> Option<Result<Capture, ArchiveError>> {
        loop {
            if self.pos < self.frame.len() {
                match self.record_from_frame() {
                    Ok(c) => {
                        self.records += 1;
                        return Some(Ok(c));
                    }
                    Err(e) => {
                        self.frame = Bytes::new();
                        self.pos = 0;
                        self.done = true;
                        return Some(Err(e));
                    }
                }
            }
            if let Some(e) = self.pending.take() {
                self.done = true;
                return Some(Err(e));
            }
            if self.done {
                return None;
            }
            match self.next_block() {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }

    fn record_from_frame(&mut self) -> Result<Capture, ArchiveError> {
        let bad = |what: &str, off: u64| ArchiveError::Corrupt {
            offset: off,
            what: what.to_owned(),
        };
        let rest = &self.frame[self.pos..];
        if rest.len() < 4 {
            return Err(bad("record length cut short", self.frame_offset));
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if len > rest.len() - 4 {
            return Err(bad("record overruns its frame", self.frame_offset));
        }
        let rec = self.frame.slice(self.pos + 4..self.pos + 4 + len);
        let c = decode_record(&rec, self.prev_ts)
            .ok_or_else(|| bad("malformed record", self.frame_offset))?;
        self.pos += 4 + len;
        self.prev_ts = c.ts_us;
        Ok(c)
    }

    /// Reads the next frame (true) or the footer (false).
    fn next_block(&mut self) -> Result<bool, ArchiveError> {
        self.frame_offset = self.offset;
        let mut tag = [0u8; 1];
        if read_full(&mut self.r, &mut tag)? == 0 {
            return Err(ArchiveError::Truncated {
                offset: self.offset,
                what: "no footer (archive cut short after a whole frame)",
            });
        }
        match tag[0] {
            TAG_FRAME => self.read_frame(),
            TAG_END => self.read_footer().map(|()| false),
            other => Err(ArchiveError::Corrupt {
                offset: self.offset,
                what: format!("unknown block tag 0x{other:02x}"),
            }),
        }
    }

    fn read_frame(&mut self) -> Result<bool, ArchiveError> {
        let start = self.offset;
        let mut head = [0u8; FRAME_HEAD_LEN];
        head[0] = TAG_FRAME;
        if read_full(&mut self.r, &mut head[1..])? < FRAME_HEAD_LEN - 1 {
            return Err(ArchiveError::Truncated {
                offset: start,
                what: "frame header",
            });
        }
        let u = |i: usize| u32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
        let (body_len, raw_len, count, crc) = (u(1) as usize, u(5) as usize, u(9), u(13));
        let corrupt = |what: String| ArchiveError::Corrupt {
            offset: start,
            what,
        };
        if raw_len > MAX_FRAME_RAW {
            return Err(corrupt(format!("frame claims {raw_len} raw bytes")));
        }
        if body_len > zstd::zstd_safe::compress_bound(raw_len) + 1024 {
            return Err(corrupt(format!("frame claims {body_len} compressed bytes")));
        }
        // Read the body without trusting body_len for the allocation up front.
        let mut body = Vec::new();
        (&mut self.r).take(body_len as u64).read_to_end(&mut body)?;
        if body.len() < body_len {
            // Cut short: keep every whole record the partial zstd frame still yields.
            let raw = decompress_bounded(&body, raw_len).unwrap_or_else(|(partial, _)| partial);
            self.frame = Bytes::from(whole_records(raw));
            self.pos = 0;
            self.prev_ts = 0;
            self.offset += (FRAME_HEAD_LEN + body.len()) as u64;
            self.pending = Some(ArchiveError::Truncated {
                offset: self.offset,
                what: "inside a frame (whole records before the cut were kept)",
            });
            return Ok(true);
        }
        let raw = match decompress_bounded(&body, raw_len) {
            Ok(raw) if raw.len() == raw_len => raw,
            Ok(_) => return Err(corrupt("frame size mismatch".into())),
            Err((_, e)) => return Err(corrupt(format!("frame does not decompress: {e}"))),
        };
        if crc32fast::hash(&raw) != crc {
            return Err(corrupt("frame checksum mismatch".into()));
        }
        if count_records(&raw) != Some(count) {
            return Err(corrupt("frame record count mismatch".into()));
        }
        self.crc.update(&head);
        self.crc.update(&body);
        self.offset += (FRAME_HEAD_LEN + body_len) as u64;
        self.frames += 1;
        self.frame = Bytes::from(raw);
        self.pos = 0;
        self.prev_ts = 0;
        Ok(true)
    }

    fn read_footer(&mut self) -> Result<(), ArchiveError> {
        let start = self.offset;
        let mut f = [0u8; FOOTER_LEN];
        f[0] = TAG_END;
        if read_full(&mut self.r, &mut f[1..])? < FOOTER_LEN - 1 {
            return Err(ArchiveError::Truncated {
                offset: start,
                what: "footer",
            });
        }
        self.offset += FOOTER_LEN as u64;
        let corrupt = |what: &str| ArchiveError::Corrupt {
            offset: start,
            what: what.to_owned(),
        };
        let u32_at = |i: usize| u32::from_le_bytes([f[i], f[i + 1], f[i + 2], f[i + 3]]);
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&f[i..i + 8]);
            u64::from_le_bytes(b)
        };
        if u32_at(21) != crc32fast::hash(&f[..21]) {
            return Err(corrupt("footer checksum mismatch"));
        }
        let footer = Footer {
            records: u64_at(1),
            frames: u64_at(9),
        };
        if u32_at(17) != self.crc.clone().finalize() {
            return Err(corrupt("archive checksum mismatch"));
        }
        if footer.records != self.records || footer.frames != self.frames {
            return Err(corrupt("footer counts disagree with the archive"));
        }
        let mut extra = [0u8; 1];
        if read_full(&mut self.r, &mut extra)? != 0 {
            return Err(ArchiveError::Corrupt {
                offset: self.offset,
                what: "trailing bytes after the footer".into(),
            });
        }
        self.footer = Some(footer);
        Ok(())
    }
}

/// Decompresses one zstd frame into at most `cap` bytes. On error, returns what was
/// decoded before it.
fn decompress_bounded(body: &[u8], cap: usize) -> Result<Vec<u8>, (Vec<u8>, io::Error)> {
    let mut out = Vec::new();
    let mut dec = match zstd::stream::read::Decoder::with_buffer(body) {
        Ok(d) => d.single_frame(),
        Err(e) => return Err((out, e)),
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match dec.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => {
                if out.len() + n > cap {
                    return Err((out, io::Error::other("frame larger than it claims")));
                }
                out.extend_from_slice(&buf[..n]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err((out, e)),
        }
    }
}

/// Number of length-prefixed records that exactly fill `raw`, if they do.
fn count_records(raw: &[u8]) -> Option<u32> {
    let mut pos = 0usize;
    let mut n = 0u32;
    while pos < raw.len() {
        let l = raw.get(pos..pos + 4)?;
        let len = u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize;
        pos = pos.checked_add(4 + len)?;
        if pos > raw.len() {
            return None;
        }
        n = n.checked_add(1)?;
    }
    Some(n)
}

/// The prefix of `raw` made of whole length-prefixed records.
fn whole_records(mut raw: Vec<u8>) -> Vec<u8> {
    let mut pos = 0usize;
    while let Some(l) = raw.get(pos..pos + 4) {
        let len = u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize;
        match pos.checked_add(4 + len) {
            Some(end) if end <= raw.len() => pos = end,
            _ => break,
        }
    }
    raw.truncate(pos);
    raw
}

/// Fuzz entry point: decode an arbitrary archive, and round-trip what decodes.
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    pub fn archive(data: &[u8]) {
        let Ok(mut r) = ArchiveReader::new(data) else {
            return;
        };
        let mut got = Vec::new();
        while let Some(c) = r.next_capture() {
            match c {
                Ok(c) => got.push(c),
                Err(e) => {
                    let _ = e.to_string();
                    break;
                }
            }
        }
        // Whatever decoded must re-encode and decode to the same captures.
        let Ok(mut w) = ArchiveWriter::new(Vec::new(), 1, 0, 0, 0) else {
            return;
        };
        for c in &got {
            if w.write(c).is_err() {
                return;
            }
        }
        let Ok((bytes, _)) = w.finish() else { return };
        let Ok(mut r2) = ArchiveReader::new(&bytes[..]) else {
            panic!("re-encoded archive has a bad header");
        };
        for c in &got {
            match r2.next_capture() {
                Some(Ok(d)) => assert_eq!(&d, c, "round trip changed a record"),
                other => panic!("round trip lost a record: {other:?}"),
            }
        }
        assert!(r2.next_capture().is_none(), "round trip added a record");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(i: i64, payload: Vec<u8>) -> Capture {
        Capture::new(
            1_700_000_000_000_000 + i * 1000,
            "10.0.0.1:5060".parse().expect("addr"),
            "10.0.0.2:5080".parse().expect("addr"),
            Transport::Udp,
            PayloadKind::SIP,
            Bytes::from(payload),
        )
    }

    fn hostile() -> Vec<Capture> {
        let mut v = vec![
            cap(0, b"INVITE sip:a@b SIP/2.0\r\n\r\n".to_vec()),
            cap(1, vec![0u8; 17]),
            cap(2, (0..=255u8).cycle().take(64 * 1024).collect()),
            cap(3, vec![0xff, 0xfe, 0x80, 0xc3, 0x28]),
            cap(4, Vec::new()),
        ];
        let mut c = cap(-5_000_000_000_000_000, b"\x00NUL\x00".to_vec());
        c.src = "[2001:db8::1]:5060".parse().expect("v6");
        c.dst = SocketAddr::V6(SocketAddrV6::new(
            "fe80::2".parse().expect("v6"),
            65535,
            7,
            3,
        ));
        c.transport = Transport::Other(250);
        c.kind = PayloadKind(255);
        c.capture_id = u32::MAX;
        c.node = Some("node\0é".into());
        c.correlation_id = Some("".into());
        c.vlan = Some(4095);
        v.push(c);
        let mut c = cap(6, b"{\"rtcp\":1}".to_vec());
        c.ts_us = i64::MAX;
        c.transport = Transport::Tls;
        c.kind = PayloadKind::RTCP_JSON;
        c.correlation_id = Some("call-1@host".into());
        v.push(c);
        let mut c = cap(7, b"x".to_vec());
        c.ts_us = i64::MIN;
        c.transport = Transport::Ws;
        v.push(c);
        for t in [Transport::Tcp, Transport::Sctp, Transport::Other(0)] {
            let mut c = cap(8, b"y".to_vec());
            c.transport = t;
            v.push(c);
        }
        v
    }

    fn encode(caps: &[Capture]) -> Vec<u8> {
        let mut w = ArchiveWriter::new(Vec::new(), 3, 42, 1, 2).expect("header");
        for c in caps {
            w.write(c).expect("write");
        }
        let (out, sum) = w.finish().expect("finish");
        assert_eq!(sum.archive_bytes, out.len() as u64);
        assert_eq!(sum.records, caps.len() as u64);
        out
    }

    fn decode(bytes: &[u8]) -> (Vec<Capture>, Option<ArchiveError>) {
        let mut r = match ArchiveReader::new(bytes) {
            Ok(r) => r,
            Err(e) => return (Vec::new(), Some(e)),
        };
        let mut got = Vec::new();
        while let Some(c) = r.next_capture() {
            match c {
                Ok(c) => got.push(c),
                Err(e) => {
                    assert!(r.next_capture().is_none(), "nothing after an error");
                    return (got, Some(e));
                }
            }
        }
        assert!(r.footer().is_some());
        (got, None)
    }

    #[test]
    fn hostile_records_round_trip() {
        let caps = hostile();
        let bytes = encode(&caps);
        let r = ArchiveReader::new(&bytes[..]).expect("header");
        assert_eq!(
            *r.header(),
            Header {
                version: VERSION,
                created_us: 42,
                since_us: 1,
                until_us: 2
            }
        );
        let (got, err) = decode(&bytes);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(got, caps);
    }

    #[test]
    fn empty_archive_round_trips() {
        let bytes = encode(&[]);
        assert_eq!(bytes.len(), HEADER_LEN + FOOTER_LEN);
        let (got, err) = decode(&bytes);
        assert!(got.is_empty() && err.is_none(), "{err:?}");
    }

    #[test]
    fn many_frames_round_trip() {
        let caps: Vec<Capture> = (0..3000)
            .map(|i| {
                cap(
                    i,
                    format!("OPTIONS sip:{i}@x SIP/2.0\r\n{}", "p".repeat(900)).into_bytes(),
                )
            })
            .collect();
        let bytes = encode(&caps);
        let (got, err) = decode(&bytes);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(got, caps);
        let r = {
            let mut r = ArchiveReader::new(&bytes[..]).expect("header");
            while let Some(c) = r.next_capture() {
                c.expect("record");
            }
            r
        };
        let f = r.footer().expect("footer");
        assert!(f.frames >= 2, "{f:?}");
        assert_eq!(f.records, 3000);
    }

    #[test]
    fn truncation_at_every_offset_keeps_the_prefix() {
        let caps = hostile();
        let bytes = encode(&caps);
        for cut in 0..bytes.len() {
            let (got, err) = decode(&bytes[..cut]);
            let e = err.unwrap_or_else(|| panic!("cut at {cut} not reported"));
            assert!(caps.starts_with(&got), "cut at {cut}: records changed");
            if cut >= HEADER_LEN {
                assert!(
                    matches!(
                        e,
                        ArchiveError::Truncated { .. } | ArchiveError::Corrupt { .. }
                    ),
                    "cut at {cut}: {e}"
                );
                assert!(
                    e.offset().is_some_and(|o| o <= cut as u64),
                    "cut at {cut}: {e}"
                );
            } else if cut >= 8 {
                assert!(matches!(e, ArchiveError::Truncated { .. }), "{e}");
            } else {
                assert!(matches!(e, ArchiveError::BadMagic), "{e}");
            }
        }
    }

    #[test]
    fn truncation_inside_a_big_frame_salvages_whole_records() {
        let caps: Vec<Capture> = (0..1000)
            .map(|i| cap(i, format!("MESSAGE {i} {}", "q".repeat(500)).into_bytes()))
            .collect();
        let bytes = encode(&caps);
        let (got, err) = decode(&bytes[..bytes.len() - 100]);
        assert!(
            matches!(err, Some(ArchiveError::Truncated { .. })),
            "{err:?}"
        );
        assert!(caps.starts_with(&got));
        assert!(got.len() > 500, "kept only {}", got.len());
    }

    #[test]
    fn corruption_is_reported_with_its_offset_and_never_panics() {
        let caps = hostile();
        let bytes = encode(&caps);
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut b = bytes.clone();
                b[i] ^= flip;
                let (got, err) = decode(&b);
                assert!(err.is_some(), "flip at {i} undetected");
                assert!(caps.starts_with(&got), "flip at {i} changed records");
            }
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(matches!(
            decode(&extra).1,
            Some(ArchiveError::Corrupt { .. })
        ));
    }

    #[test]
    fn bad_magic_and_version_are_refused() {
        let bytes = encode(&hostile());
        let mut b = bytes.clone();
        b[0] = b'X';
        assert!(matches!(
            ArchiveReader::new(&b[..]),
            Err(ArchiveError::BadMagic)
        ));
        assert!(matches!(
            ArchiveReader::new(&b"GIF89a"[..]),
            Err(ArchiveError::BadMagic)
        ));
        let mut b = bytes.clone();
        b[8..10].copy_from_slice(&2u16.to_le_bytes());
        let e = ArchiveReader::new(&b[..]).expect_err("version 2");
        assert!(matches!(e, ArchiveError::UnsupportedVersion(2)));
        assert!(e.to_string().contains("version 2"));
        assert!(is_archive(&bytes) && !is_archive(b"\xd4\xc3\xb2\xa1"));
    }

    #[test]
    fn hostile_frame_headers_do_not_allocate() {
        let mut b = encode(&[]);
        b.truncate(HEADER_LEN);
        b.push(TAG_FRAME);
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        b.extend_from_slice(&[0; 8]);
        assert!(matches!(decode(&b).1, Some(ArchiveError::Corrupt { .. })));
        fuzzing::archive(&b);
        fuzzing::archive(&encode(&hostile()));
    }
}
