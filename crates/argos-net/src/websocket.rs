//! WebSocket (RFC 6455) framing for SIP over WebSocket (RFC 7118).
//!
//! Pure functions on byte buffers, no I/O: [`parse_frame_header`] reads a frame
//! header, [`unmask`] removes a client mask, [`WsAssembler`] joins fragmented
//! messages, [`is_sip_upgrade`] recognises the HTTP handshake. The stream side (TCP
//! sequence, buffering, limits) lives in [`crate::SipTcpReassembler`], which switches a
//! flow to WebSocket framing after a handshake or on a frame that carries SIP.

use memchr::memmem;

/// Opcodes (RFC 6455 §5.2).
pub const OP_CONTINUATION: u8 = 0x0;
pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    pub fin: bool,
    pub opcode: u8,
    /// Masking key of a client frame.
    pub mask: Option<[u8; 4]>,
    /// Header length in bytes (2 to 14).
    pub header_len: usize,
    /// Payload length as announced (7, 16 or 64 bits).
    pub payload_len: u64,
}

impl FrameHeader {
    /// Header plus payload, saturating.
    pub fn frame_len(&self) -> u64 {
        self.payload_len.saturating_add(self.header_len as u64)
    }

    /// Close, ping or pong.
    pub fn is_control(&self) -> bool {
        self.opcode & 0x8 != 0
    }
}

/// Why bytes are not a WebSocket frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// RSV bits set (no extension is negotiated for SIP).
    Reserved,
    /// Opcode 3-7 or 0xB-0xF.
    BadOpcode,
    /// A control frame longer than 125 bytes or fragmented.
    BadControl,
    /// A 64-bit length with the top bit set.
    BadLength,
}

/// Parses the frame header at the start of `buf`: `Ok(None)` when more bytes are needed.
pub fn parse_frame_header(buf: &[u8]) -> Result<Option<FrameHeader>, FrameError> {
    let (Some(&b0), Some(&b1)) = (buf.first(), buf.get(1)) else {
        return Ok(None);
    };
    if b0 & 0x70 != 0 {
        return Err(FrameError::Reserved);
    }
    let fin = b0 & 0x80 != 0;
    let opcode = b0 & 0x0F;
    if !matches!(
        opcode,
        OP_CONTINUATION | OP_TEXT | OP_BINARY | OP_CLOSE | OP_PING | OP_PONG
    ) {
        return Err(FrameError::BadOpcode);
    }
    let masked = b1 & 0x80 != 0;
    let len7 = b1 & 0x7F;
    if opcode & 0x8 != 0 && (!fin || len7 > 125) {
        return Err(FrameError::BadControl);
    }
    let (payload_len, mut at) = match len7 {
        126 => {
            let Some(b) = buf.get(2..4) else {
                return Ok(None);
            };
            (u64::from(u16::from_be_bytes([b[0], b[1]])), 4)
        }
        127 => {
            let Some(b) = buf.get(2..10) else {
                return Ok(None);
            };
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            let n = u64::from_be_bytes(a);
            if n >> 63 != 0 {
                return Err(FrameError::BadLength);
            }
            (n, 10)
        }
        n => (u64::from(n), 2),
    };
    let mask = if masked {
        let Some(m) = buf.get(at..at + 4) else {
            return Ok(None);
        };
        at += 4;
        Some([m[0], m[1], m[2], m[3]])
    } else {
        None
    };
    Ok(Some(FrameHeader {
        fin,
        opcode,
        mask,
        header_len: at,
        payload_len,
    }))
}

/// XORs `data` with `mask`, starting at payload offset `offset` (so a payload can be
/// unmasked in pieces).
pub fn unmask(data: &mut [u8], mask: [u8; 4], offset: usize) {
    for (i, b) in data.iter_mut().enumerate() {
        *b ^= mask[(offset + i) % 4];
    }
}

/// Outcome of feeding one data frame to a [`WsAssembler`].
#[derive(Debug, PartialEq, Eq)]
pub enum Assembled {
    /// A complete message.
    Message(Vec<u8>),
    /// A fragment was buffered; the message is not complete yet.
    Pending,
    /// The message was dropped: it would exceed the limit, or a continuation came
    /// without a first fragment (or a new message interrupted a fragmented one, in
    /// which case the new frame is still taken).
    Dropped,
}

/// Joins the frames of fragmented messages (RFC 6455 §5.4), bounded in size.
#[derive(Debug, Default, Clone)]
pub struct WsAssembler {
    buf: Vec<u8>,
    in_message: bool,
    /// The current message went over the limit: discard until its last frame.
    discarding: bool,
}

impl WsAssembler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes buffered of an incomplete message.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Forgets any partial message.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.in_message = false;
        self.discarding = false;
    }

    /// Feeds one unmasked data frame (text, binary or continuation; control frames
    /// must not be passed). Messages larger than `max` bytes are dropped.
    pub fn push(&mut self, fin: bool, opcode: u8, payload: &[u8], max: usize) -> Assembled {
        let mut dropped = false;
        match opcode {
            OP_CONTINUATION => {
                if !self.in_message {
                    return Assembled::Dropped;
                }
            }
            _ => {
                if self.in_message {
                    dropped = true;
                    self.reset();
                }
                self.in_message = true;
            }
        }
        if !self.discarding {
            if self.buf.len().saturating_add(payload.len()) > max {
                self.buf = Vec::new();
                self.discarding = true;
                dropped = true;
            } else {
                self.buf.extend_from_slice(payload);
            }
        }
        if !fin {
            return if dropped {
                Assembled::Dropped
            } else {
                Assembled::Pending
            };
        }
        let discarding = self.discarding;
        let msg = std::mem::take(&mut self.buf);
        self.reset();
        if discarding {
            Assembled::Dropped
        } else {
            Assembled::Message(msg)
        }
    }
}

/// Does `buf` start with a complete HTTP request or response header block that
/// upgrades to WebSocket? `Some(n)` gives the header length (`n` bytes to skip) when it
/// does; `None` when it does not, or is not complete.
///
/// The request must carry `Upgrade: websocket`; a `Sec-WebSocket-Protocol` header,
/// when present, must name `sip` (RFC 7118 §4.1). A `101` response with
/// `Upgrade: websocket` qualifies too.
pub fn is_sip_upgrade(buf: &[u8]) -> Option<usize> {
    let end = http_header_end(buf)?;
    let head = &buf[..end];
    let mut upgrade = false;
    let mut proto_ok = true;
    for line in head.split(|b| *b == b'\n').skip(1) {
        let Some(colon) = memchr::memchr(b':', line) else {
            continue;
        };
        let name = line[..colon].trim_ascii();
        let value = line[colon + 1..].trim_ascii();
        if name.eq_ignore_ascii_case(b"upgrade") {
            upgrade |= value
                .split(|b| *b == b',')
                .any(|v| v.trim_ascii().eq_ignore_ascii_case(b"websocket"));
        } else if name.eq_ignore_ascii_case(b"sec-websocket-protocol") {
            proto_ok = value
                .split(|b| *b == b',')
                .any(|v| v.trim_ascii().eq_ignore_ascii_case(b"sip"));
        }
    }
    (upgrade && proto_ok).then_some(end)
}

/// True when `buf` could be the beginning of an HTTP request line or status line
/// (`GET ` / `HTTP/`), so waiting for the rest of the header is worthwhile.
pub fn looks_like_http(buf: &[u8]) -> bool {
    buf.starts_with(b"GET ") || buf.starts_with(b"HTTP/")
}

/// Offset just past the blank line ending an HTTP header block.
pub fn http_header_end(buf: &[u8]) -> Option<usize> {
    let crlf = memmem::find(buf, b"\r\n\r\n").map(|i| i + 4);
    let lf = memmem::find(buf, b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: inputs are known-good
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert_eq!(parse_frame_header(b""), Ok(None));
        assert_eq!(parse_frame_header(b"\x81"), Ok(None));
        let h = parse_frame_header(b"\x81\x05hello").unwrap().unwrap();
        assert!(h.fin);
        assert_eq!((h.opcode, h.header_len, h.payload_len), (1, 2, 5));
        assert_eq!(h.mask, None);
        let h = parse_frame_header(b"\x02\x7E\x01\x00").unwrap().unwrap();
        assert!(!h.fin);
        assert_eq!((h.opcode, h.header_len, h.payload_len), (2, 4, 256));
        assert_eq!(parse_frame_header(b"\x82\x7F\0\0\0\0\0\x01"), Ok(None));
        let h = parse_frame_header(b"\x82\xFF\0\0\0\0\0\x01\0\0abcd")
            .unwrap()
            .unwrap();
        assert_eq!((h.header_len, h.payload_len), (14, 65536));
        assert_eq!(h.mask, Some(*b"abcd"));
        assert_eq!(
            parse_frame_header(b"\x82\xFF\0\0\0\0\0\x01\0\0ab"),
            Ok(None)
        );
        assert_eq!(
            parse_frame_header(b"\x82\x7F\x80\0\0\0\0\0\0\0"),
            Err(FrameError::BadLength)
        );
        assert_eq!(parse_frame_header(b"\xC1\x00"), Err(FrameError::Reserved));
        assert_eq!(parse_frame_header(b"\x83\x00"), Err(FrameError::BadOpcode));
        assert_eq!(parse_frame_header(b"\x09\x00"), Err(FrameError::BadControl));
        assert_eq!(parse_frame_header(b"\x89\x7E"), Err(FrameError::BadControl));
    }

    #[test]
    fn masking_in_pieces() {
        let mask = [1, 2, 3, 4];
        let mut a = b"INVITE sip:x".to_vec();
        unmask(&mut a, mask, 0);
        let (x, y) = a.split_at_mut(5);
        unmask(x, mask, 0);
        unmask(y, mask, 5);
        assert_eq!(a, b"INVITE sip:x");
    }

    #[test]
    fn assembly() {
        let mut a = WsAssembler::new();
        assert_eq!(
            a.push(true, OP_TEXT, b"abc", 10),
            Assembled::Message(b"abc".to_vec())
        );
        assert_eq!(a.push(false, OP_BINARY, b"ab", 10), Assembled::Pending);
        assert_eq!(
            a.push(false, OP_CONTINUATION, b"cd", 10),
            Assembled::Pending
        );
        assert_eq!(
            a.push(true, OP_CONTINUATION, b"e", 10),
            Assembled::Message(b"abcde".to_vec())
        );
        assert_eq!(a.push(true, OP_CONTINUATION, b"e", 10), Assembled::Dropped);
        // Over the limit: dropped through its last frame, then back to normal.
        assert_eq!(a.push(false, OP_TEXT, b"123456", 10), Assembled::Pending);
        assert_eq!(
            a.push(false, OP_CONTINUATION, b"789012", 10),
            Assembled::Dropped
        );
        assert_eq!(a.push(true, OP_CONTINUATION, b"x", 10), Assembled::Dropped);
        assert_eq!(a.buffered(), 0);
        assert_eq!(
            a.push(true, OP_TEXT, b"ok", 10),
            Assembled::Message(b"ok".to_vec())
        );
        // A new message interrupting a fragmented one.
        assert_eq!(a.push(false, OP_TEXT, b"ab", 10), Assembled::Pending);
        assert_eq!(
            a.push(true, OP_TEXT, b"cd", 10),
            Assembled::Message(b"cd".to_vec())
        );
    }

    #[test]
    fn upgrades() {
        let req = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: sip\r\n\r\n\x81";
        assert_eq!(is_sip_upgrade(req), Some(req.len() - 1));
        let resp = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\n\r\n";
        assert_eq!(is_sip_upgrade(resp), Some(resp.len()));
        assert_eq!(
            is_sip_upgrade(
                b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n"
            ),
            None
        );
        assert_eq!(is_sip_upgrade(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), None);
        assert_eq!(
            is_sip_upgrade(b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n"),
            None
        );
    }
}
