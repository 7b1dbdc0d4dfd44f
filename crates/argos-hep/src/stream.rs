//! TCP/TLS framing: HEPv3 packets back to back, split by the total-length field.

use bytes::{Buf, Bytes, BytesMut};

use crate::decode::{HEP3_HEADER_LEN, HEP3_MAGIC};
use crate::error::HepError;

/// How long is the HEPv3 packet at the head of `buf`?
///
/// * `Ok(Some(n))`: the first `n` bytes are one whole packet (`n` is the declared
///   total length, 6..=65535).
/// * `Ok(None)`: `buf` is a valid beginning; read more bytes.
/// * `Err(_)`: `buf` does not start with a HEPv3 packet ([`HepError::BadMagic`], or
///   [`HepError::BadTotalLength`] for a length below 6). The caller resyncs or closes;
///   [`HepStreamDecoder`] resyncs.
///
/// Only the magic and the length are checked; decode the frame to check its chunks.
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, HepError> {
    frame_len_max(buf, usize::from(u16::MAX))
}

fn frame_len_max(buf: &[u8], max: usize) -> Result<Option<usize>, HepError> {
    let n = buf.len().min(HEP3_MAGIC.len());
    if buf.get(..n) != HEP3_MAGIC.get(..n) {
        return Err(HepError::BadMagic);
    }
    let Some(len) = buf
        .get(4..HEP3_HEADER_LEN)
        .and_then(|s| s.first_chunk::<2>())
    else {
        return Ok(None);
    };
    let declared = usize::from(u16::from_be_bytes(*len));
    if declared < HEP3_HEADER_LEN {
        return Err(HepError::BadTotalLength { declared });
    }
    if declared > max {
        return Err(HepError::FrameTooLarge { len: declared, max });
    }
    Ok((buf.len() >= declared).then_some(declared))
}

/// Splits a HEP-over-TCP/TLS byte stream into frames, resynchronising after garbage.
///
/// Feed it whatever each read returned with [`push`](Self::push), then call
/// [`next_frame`](Self::next_frame) until it returns `None`. Each `Ok` frame is one whole
/// HEPv3 packet ready for [`decode`](crate::decode). When the stream holds something that
/// is not a HEPv3 packet, `next_frame` returns one `Err` for the whole bad run, skips to
/// the next "HEP3" magic and carries on; [`skipped_bytes`](Self::skipped_bytes) counts
/// what was thrown away.
///
/// Memory: the decoder holds at most one partial frame (≤ `max_frame` bytes) plus the
/// bytes pushed since the last drain, as long as the caller drains after every push.
///
/// ```
/// # use argos_hep::{HepStreamDecoder, HepPacket, encode_v3, decode};
/// let mut wire = Vec::new();
/// let pkt = HepPacket { payload: b"OPTIONS sip:a SIP/2.0\r\n\r\n"[..].into(), ..Default::default() };
/// encode_v3(&pkt, &mut wire);
/// let mut dec = HepStreamDecoder::new();
/// dec.push(&wire[..10]);
/// assert!(dec.next_frame().is_none()); // need more
/// dec.push(&wire[10..]);
/// let frame = dec.next_frame().unwrap().unwrap();
/// assert_eq!(decode(&frame).unwrap().payload, pkt.payload);
/// ```
#[derive(Debug)]
pub struct HepStreamDecoder {
    buf: BytesMut,
    max_frame: usize,
    skipped: u64,
    in_garbage: bool,
}

impl Default for HepStreamDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl HepStreamDecoder {
    /// 65535: the largest length the 16-bit field can state (64 KiB including header).
    pub const DEFAULT_MAX_FRAME: usize = u16::MAX as usize;

    /// A decoder accepting frames up to [`Self::DEFAULT_MAX_FRAME`].
    pub fn new() -> Self {
        Self::with_max_frame(Self::DEFAULT_MAX_FRAME)
    }

    /// A decoder that treats frames longer than `max_frame` bytes (e.g. heplify-server's
    /// 65507) as garbage ([`HepError::FrameTooLarge`]). Values below 6 are raised to 6.
    pub fn with_max_frame(max_frame: usize) -> Self {
        HepStreamDecoder {
            buf: BytesMut::with_capacity(8 * 1024),
            max_frame: max_frame.max(HEP3_HEADER_LEN),
            skipped: 0,
            in_garbage: false,
        }
    }

    /// Appends bytes read from the connection.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The next whole frame, an error for a run of garbage (after which decoding goes
    /// on), or `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Option<Result<Bytes, HepError>> {
        loop {
            if self.buf.is_empty() {
                return None;
            }
            match frame_len_max(&self.buf, self.max_frame) {
                Ok(None) => return None,
                Ok(Some(n)) => {
                    self.in_garbage = false;
                    return Some(Ok(self.buf.split_to(n).freeze()));
                }
                Err(e) => {
                    let skip = resync_skip(&self.buf);
                    self.buf.advance(skip);
                    self.skipped = self.skipped.saturating_add(skip as u64);
                    if !self.in_garbage {
                        self.in_garbage = true;
                        return Some(Err(e));
                    }
                }
            }
        }
    }

    /// Total bytes discarded while resynchronising.
    pub fn skipped_bytes(&self) -> u64 {
        self.skipped
    }

    /// Bytes buffered and not yet returned as a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Drops everything buffered (e.g. after the connection closed).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.in_garbage = false;
    }
}

/// How many bytes to drop from a buffer whose head is not a frame: up to the next
/// "HEP3" after the first byte, or all but a tail that could begin the magic. Always ≥ 1.
fn resync_skip(buf: &[u8]) -> usize {
    let after_first = buf.get(1..).unwrap_or_default();
    if let Some(p) = memchr::memmem::find(after_first, &HEP3_MAGIC) {
        return p + 1;
    }
    let keep = (1..HEP3_MAGIC.len())
        .rev()
        .find(|&k| {
            HEP3_MAGIC
                .get(..k)
                .is_some_and(|m| after_first.ends_with(m))
        })
        .unwrap_or(0);
    buf.len() - keep
}
