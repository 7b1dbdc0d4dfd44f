//! Handshake messages (RFC 5246 §7.4, RFC 8446 §4): framing across records and the
//! few fields decryption needs: the two randoms, the cipher suite, the version.

use sha2::{Digest, Sha256};

/// Handshake message types that matter here.
pub(crate) const CLIENT_HELLO: u8 = 1;
pub(crate) const SERVER_HELLO: u8 = 2;
pub(crate) const FINISHED: u8 = 20;
pub(crate) const KEY_UPDATE: u8 = 24;

/// A hello larger than this is not waited for (real ones are a few KiB, even with
/// post-quantum key shares).
const MAX_KEPT_BODY: usize = 64 * 1024;
/// `supported_versions` extension (RFC 8446 §4.2.1).
const EXT_SUPPORTED_VERSIONS: u16 = 43;

/// Why handshake bytes could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HandshakeError {
    #[error("handshake message of {0} bytes is too large to keep")]
    TooLarge(usize),
    #[error("malformed {0}")]
    Malformed(&'static str),
}

/// One handshake message; `body` is kept only for the types [`wanted`] names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    pub(crate) msg_type: u8,
    pub(crate) body: Vec<u8>,
}

/// Types whose body is read; others (certificates above all) are skipped unbuffered.
fn wanted(msg_type: u8) -> bool {
    matches!(msg_type, CLIENT_HELLO | SERVER_HELLO | KEY_UPDATE)
}

/// Joins one direction's handshake stream (the payloads of handshake records) into
/// messages, with bounded memory.
#[derive(Debug, Default)]
pub(crate) struct HandshakeReader {
    /// Header bytes, then the body of a wanted message.
    buf: Vec<u8>,
    /// Body bytes of an unwanted message still to skip, and its type.
    skip: Option<(u8, usize)>,
}

impl HandshakeReader {
    /// Consumes `data`, appending each message it completes to `out`.
    pub(crate) fn push(
        &mut self,
        mut data: &[u8],
        out: &mut Vec<Message>,
    ) -> Result<(), HandshakeError> {
        loop {
            if let Some((msg_type, left)) = self.skip {
                let k = left.min(data.len());
                data = &data[k..];
                if k < left {
                    self.skip = Some((msg_type, left - k));
                    return Ok(());
                }
                self.skip = None;
                out.push(Message {
                    msg_type,
                    body: Vec::new(),
                });
            }
            if self.buf.len() < 4 {
                let k = (4 - self.buf.len()).min(data.len());
                self.buf.extend_from_slice(&data[..k]);
                data = &data[k..];
                if self.buf.len() < 4 {
                    return Ok(());
                }
            }
            let msg_type = self.buf[0];
            let len = usize::from(self.buf[1]) << 16
                | usize::from(self.buf[2]) << 8
                | usize::from(self.buf[3]);
            if !wanted(msg_type) {
                self.buf.clear();
                self.skip = Some((msg_type, len));
                continue;
            }
            if len > MAX_KEPT_BODY {
                return Err(HandshakeError::TooLarge(len));
            }
            let need = 4 + len - self.buf.len();
            let k = need.min(data.len());
            self.buf.extend_from_slice(&data[..k]);
            data = &data[k..];
            if k < need {
                return Ok(());
            }
            let body = self.buf.split_off(4);
            self.buf.clear();
            out.push(Message { msg_type, body });
        }
    }

    /// Forgets buffered bytes.
    pub(crate) fn clear(&mut self) {
        self.buf = Vec::new();
        self.skip = None;
    }
}

/// A bounds-checked reader over a message body.
struct Reader<'a> {
    data: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], HandshakeError> {
        if self.data.len() < n {
            return Err(HandshakeError::Malformed(self.what));
        }
        let (a, b) = self.data.split_at(n);
        self.data = b;
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, HandshakeError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, HandshakeError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn random(&mut self) -> Result<[u8; 32], HandshakeError> {
        let mut r = [0u8; 32];
        r.copy_from_slice(self.take(32)?);
        Ok(r)
    }
}

/// The ClientHello random.
pub(crate) fn client_hello_random(body: &[u8]) -> Result<[u8; 32], HandshakeError> {
    let mut r = Reader {
        data: body,
        what: "ClientHello",
    };
    r.take(2)?;
    r.random()
}

/// What the ServerHello settles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServerHello {
    pub(crate) random: [u8; 32],
    pub(crate) cipher_suite: u16,
    /// The negotiated version: `supported_versions` if present, else legacy_version.
    pub(crate) version: u16,
    /// A TLS 1.3 HelloRetryRequest (same structure, special random): the client sends
    /// a second ClientHello and the real ServerHello follows.
    pub(crate) retry_request: bool,
}

/// Parses a ServerHello body.
pub(crate) fn server_hello(body: &[u8]) -> Result<ServerHello, HandshakeError> {
    let mut r = Reader {
        data: body,
        what: "ServerHello",
    };
    let legacy_version = r.u16()?;
    let random = r.random()?;
    let sid_len = usize::from(r.u8()?);
    r.take(sid_len)?;
    let cipher_suite = r.u16()?;
    r.u8()?; // compression method
    let mut version = legacy_version;
    if !r.data.is_empty() {
        let ext_len = usize::from(r.u16()?);
        let mut ext = Reader {
            data: r.take(ext_len)?,
            what: "ServerHello extensions",
        };
        while !ext.data.is_empty() {
            let typ = ext.u16()?;
            let len = usize::from(ext.u16()?);
            let data = ext.take(len)?;
            if typ == EXT_SUPPORTED_VERSIONS {
                let [a, b] = data else {
                    return Err(HandshakeError::Malformed("supported_versions"));
                };
                version = u16::from_be_bytes([*a, *b]);
            }
        }
    }
    Ok(ServerHello {
        random,
        cipher_suite,
        version,
        retry_request: random == retry_request_random(),
    })
}

/// RFC 8446 §4.1.3: a HelloRetryRequest's random is SHA-256("HelloRetryRequest").
fn retry_request_random() -> [u8; 32] {
    Sha256::digest(b"HelloRetryRequest").into()
}

/// A KeyUpdate body (RFC 8446 §4.6.3) must be one byte, 0 or 1.
pub(crate) fn key_update_valid(body: &[u8]) -> bool {
    matches!(body, [0 | 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(t: u8, body: &[u8]) -> Vec<u8> {
        let l = body.len();
        let mut v = vec![t, (l >> 16) as u8, (l >> 8) as u8, l as u8];
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn messages_across_pushes_and_skipped_bodies() {
        let stream = [
            msg(CLIENT_HELLO, &[3; 40]),
            msg(11, &[0; 3000]),
            msg(FINISHED, &[1; 32]),
        ]
        .concat();
        for step in [1, 3, 7, 100, stream.len()] {
            let mut h = HandshakeReader::default();
            let mut out = Vec::new();
            for c in stream.chunks(step) {
                assert_eq!(h.push(c, &mut out), Ok(()));
            }
            let types: Vec<_> = out.iter().map(|m| (m.msg_type, m.body.len())).collect();
            assert_eq!(types, vec![(CLIENT_HELLO, 40), (11, 0), (FINISHED, 0)]);
        }
        let mut h = HandshakeReader::default();
        let mut out = Vec::new();
        assert_eq!(
            h.push(&[CLIENT_HELLO, 0xff, 0, 0], &mut out),
            Err(HandshakeError::TooLarge(0xff0000))
        );
    }

    #[test]
    fn server_hello_fields() {
        let mut body = vec![3, 3];
        body.extend_from_slice(&[7; 32]);
        body.push(0);
        body.extend_from_slice(&[0x13, 0x02, 0]);
        let hello12 = server_hello(&body);
        assert_eq!(
            hello12,
            Ok(ServerHello {
                random: [7; 32],
                cipher_suite: 0x1302,
                version: 0x0303,
                retry_request: false
            })
        );
        body.extend_from_slice(&[0, 10, 0xff, 1, 0, 0, 0, 43, 0, 2, 3, 4]);
        assert!(server_hello(&body).is_ok_and(|h| h.version == 0x0304));
        assert!(server_hello(&body[..body.len() - 1]).is_err());
        assert!(client_hello_random(&[3, 3, 1]).is_err());
        let mut hrr = vec![3, 3];
        hrr.extend_from_slice(&retry_request_random());
        hrr.extend_from_slice(&[0, 0x13, 0x01, 0]);
        assert!(server_hello(&hrr).is_ok_and(|h| h.retry_request));
    }
}
