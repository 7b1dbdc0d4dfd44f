//! Record protection (RFC 5246 §6.2.3.3 with RFC 5288 / RFC 7905, RFC 8446 §5.2):
//! nonce and additional data per record, the AEAD itself from RustCrypto.

use super::keys::TrafficKeys;
use super::suite::{AeadAlg, Suite};
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use chacha20poly1305::ChaCha20Poly1305;

/// AEAD tag length of every supported suite.
const TAG_LEN: usize = 16;
/// TLS 1.2 GCM explicit nonce carried at the start of each record (RFC 5288).
const EXPLICIT_NONCE_LEN: usize = 8;
/// Content type of TLS 1.3 encrypted records (the real one is inside).
pub(crate) const APPLICATION_DATA: u8 = 23;

/// Why a record did not decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OpenError {
    /// Shorter than nonce + tag.
    #[error("record too short for its cipher")]
    TooShort,
    /// Tag mismatch: wrong key, wrong sequence number or altered bytes.
    #[error("record failed authentication")]
    Auth,
    /// TLS 1.3 inner plaintext made only of padding.
    #[error("record has no inner content type")]
    NoContentType,
}

enum Aead {
    Aes128(Box<Aes128Gcm>),
    Aes256(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
}

impl Aead {
    fn new(alg: AeadAlg, key: &[u8]) -> Option<Aead> {
        Some(match alg {
            AeadAlg::Aes128Gcm => Aead::Aes128(Box::new(Aes128Gcm::new_from_slice(key).ok()?)),
            AeadAlg::Aes256Gcm => Aead::Aes256(Box::new(Aes256Gcm::new_from_slice(key).ok()?)),
            AeadAlg::ChaCha20Poly1305 => {
                Aead::ChaCha(Box::new(ChaCha20Poly1305::new_from_slice(key).ok()?))
            }
        })
    }

    fn open(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut Vec<u8>) -> Result<(), OpenError> {
        let nonce = aes_gcm::Nonce::from_slice(nonce);
        let r = match self {
            Aead::Aes128(c) => c.decrypt_in_place(nonce, aad, buf),
            Aead::Aes256(c) => c.decrypt_in_place(nonce, aad, buf),
            Aead::ChaCha(c) => c.decrypt_in_place(nonce, aad, buf),
        };
        r.map_err(|_| OpenError::Auth)
    }

    fn seal(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut Vec<u8>) {
        let nonce = aes_gcm::Nonce::from_slice(nonce);
        // Encryption into a Vec only fails on allocation, which aborts anyway.
        let _ = match self {
            Aead::Aes128(c) => c.encrypt_in_place(nonce, aad, buf),
            Aead::Aes256(c) => c.encrypt_in_place(nonce, aad, buf),
            Aead::ChaCha(c) => c.encrypt_in_place(nonce, aad, buf),
        };
    }
}

/// How nonces and additional data are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// TLS 1.2 GCM: 4-byte salt + 8-byte explicit nonce from the record.
    Tls12Explicit,
    /// TLS 1.2 ChaCha20-Poly1305: IV XOR sequence number.
    Tls12Xor,
    /// TLS 1.3: IV XOR sequence number, the record header as additional data, the
    /// real content type at the end of the plaintext.
    Tls13,
}

/// One direction's record protection: cipher, IV and sequence number.
pub(crate) struct RecordCipher {
    aead: Aead,
    iv: [u8; 12],
    framing: Framing,
    seq: u64,
}

impl std::fmt::Debug for RecordCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordCipher")
            .field("framing", &self.framing)
            .field("seq", &self.seq)
            .finish()
    }
}

impl RecordCipher {
    /// A cipher for `suite` with `keys`, sequence number 0. `None` when the key or IV has
    /// the wrong length for the suite.
    pub(crate) fn new(suite: &Suite, keys: &TrafficKeys) -> Option<RecordCipher> {
        let framing = match (suite.tls13, suite.aead) {
            (true, _) => Framing::Tls13,
            (false, AeadAlg::ChaCha20Poly1305) => Framing::Tls12Xor,
            (false, _) => Framing::Tls12Explicit,
        };
        let mut iv = [0u8; 12];
        match framing {
            Framing::Tls12Explicit if keys.iv.len() == 4 => iv[..4].copy_from_slice(&keys.iv),
            Framing::Tls12Xor | Framing::Tls13 if keys.iv.len() == 12 => {
                iv.copy_from_slice(&keys.iv)
            }
            _ => return None,
        }
        Some(RecordCipher {
            aead: Aead::new(suite.aead, &keys.key)?,
            iv,
            framing,
            seq: 0,
        })
    }

    /// IV XOR the sequence number (right-aligned).
    fn xor_nonce(&self) -> [u8; 12] {
        let mut n = self.iv;
        for (b, s) in n[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *b ^= s;
        }
        n
    }

    /// TLS 1.2 additional data: seq_num + type + version + plaintext length.
    fn tls12_aad(&self, content_type: u8, version: u16, plain_len: usize) -> [u8; 13] {
        let mut aad = [0u8; 13];
        aad[..8].copy_from_slice(&self.seq.to_be_bytes());
        aad[8] = content_type;
        aad[9..11].copy_from_slice(&version.to_be_bytes());
        aad[11..].copy_from_slice(&(plain_len as u16).to_be_bytes());
        aad
    }

    /// Decrypts one record's fragment: `(content type, plaintext)`. The sequence number
    /// advances only on success.
    pub(crate) fn open(
        &mut self,
        content_type: u8,
        version: u16,
        fragment: &[u8],
    ) -> Result<(u8, Vec<u8>), OpenError> {
        let (content_type, plain) = match self.framing {
            Framing::Tls12Explicit => {
                let (Some(explicit), Some(body)) = (
                    fragment.get(..EXPLICIT_NONCE_LEN),
                    fragment.get(EXPLICIT_NONCE_LEN..),
                ) else {
                    return Err(OpenError::TooShort);
                };
                let plain_len = body.len().checked_sub(TAG_LEN).ok_or(OpenError::TooShort)?;
                let mut nonce = self.iv;
                nonce[4..].copy_from_slice(explicit);
                let aad = self.tls12_aad(content_type, version, plain_len);
                let mut buf = body.to_vec();
                self.aead.open(&nonce, &aad, &mut buf)?;
                (content_type, buf)
            }
            Framing::Tls12Xor => {
                let plain_len = fragment
                    .len()
                    .checked_sub(TAG_LEN)
                    .ok_or(OpenError::TooShort)?;
                let aad = self.tls12_aad(content_type, version, plain_len);
                let mut buf = fragment.to_vec();
                self.aead.open(&self.xor_nonce(), &aad, &mut buf)?;
                (content_type, buf)
            }
            Framing::Tls13 => {
                if fragment.len() < TAG_LEN {
                    return Err(OpenError::TooShort);
                }
                let mut aad = [0u8; 5];
                aad[0] = content_type;
                aad[1..3].copy_from_slice(&version.to_be_bytes());
                aad[3..].copy_from_slice(&(fragment.len() as u16).to_be_bytes());
                let mut buf = fragment.to_vec();
                self.aead.open(&self.xor_nonce(), &aad, &mut buf)?;
                // TLSInnerPlaintext: content, then the real type, then zero padding.
                let end = buf
                    .iter()
                    .rposition(|b| *b != 0)
                    .ok_or(OpenError::NoContentType)?;
                let inner = buf[end];
                buf.truncate(end);
                (inner, buf)
            }
        };
        self.seq = self.seq.wrapping_add(1);
        Ok((content_type, plain))
    }

    /// Encrypts `plain` as the next record of type `content_type` and returns the whole
    /// record (header included). The inverse of [`RecordCipher::open`]; used to build
    /// test and fuzz inputs.
    pub(crate) fn seal(&mut self, content_type: u8, plain: &[u8]) -> Vec<u8> {
        let version = 0x0303u16;
        let (outer_type, mut body) = match self.framing {
            Framing::Tls12Explicit => {
                let aad = self.tls12_aad(content_type, version, plain.len());
                let explicit = self.seq.to_be_bytes();
                let mut nonce = self.iv;
                nonce[4..].copy_from_slice(&explicit);
                let mut buf = plain.to_vec();
                self.aead.seal(&nonce, &aad, &mut buf);
                let mut body = explicit.to_vec();
                body.extend_from_slice(&buf);
                (content_type, body)
            }
            Framing::Tls12Xor => {
                let aad = self.tls12_aad(content_type, version, plain.len());
                let mut buf = plain.to_vec();
                self.aead.seal(&self.xor_nonce(), &aad, &mut buf);
                (content_type, buf)
            }
            Framing::Tls13 => {
                let mut buf = plain.to_vec();
                buf.push(content_type);
                let len = (buf.len() + TAG_LEN) as u16;
                let mut aad = [APPLICATION_DATA, 3, 3, 0, 0];
                aad[3..].copy_from_slice(&len.to_be_bytes());
                self.aead.seal(&self.xor_nonce(), &aad, &mut buf);
                (APPLICATION_DATA, buf)
            }
        };
        self.seq = self.seq.wrapping_add(1);
        let mut rec = vec![outer_type, 3, 3];
        rec.extend_from_slice(&(body.len() as u16).to_be_bytes());
        rec.append(&mut body);
        rec
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::suite::lookup;

    fn pair(id: u16, iv_len: usize) -> (RecordCipher, RecordCipher) {
        let Some(suite) = lookup(id) else {
            panic!("suite {id:#06x} missing");
        };
        let keys = TrafficKeys {
            key: vec![9; suite.aead.key_len()],
            iv: vec![5; iv_len],
        };
        match (
            RecordCipher::new(&suite, &keys),
            RecordCipher::new(&suite, &keys),
        ) {
            (Some(a), Some(b)) => (a, b),
            _ => panic!("cipher for {id:#06x}"),
        }
    }

    #[test]
    fn seal_then_open_every_framing() {
        for (id, iv_len) in [
            (0x1301, 12),
            (0x1302, 12),
            (0x1303, 12),
            (0xC02F, 4),
            (0xCCA8, 12),
        ] {
            let (mut tx, mut rx) = pair(id, iv_len);
            for i in 0..3u8 {
                let rec = tx.seal(23, &[i; 40]);
                let frag = &rec[5..];
                assert_eq!(
                    rx.open(rec[0], 0x0303, frag),
                    Ok((23, vec![i; 40])),
                    "{id:#x}"
                );
            }
            // Altered byte: authentication fails, sequence number stays.
            let mut rec = tx.seal(23, b"x");
            let last = rec.len() - 1;
            rec[last] ^= 1;
            assert_eq!(rx.open(rec[0], 0x0303, &rec[5..]), Err(OpenError::Auth));
            assert_eq!(rx.open(23, 0x0303, &[0; 3]), Err(OpenError::TooShort));
        }
    }

    #[test]
    fn wrong_key_length_is_refused() {
        let Some(suite) = lookup(0x1301) else {
            panic!("suite missing");
        };
        let keys = TrafficKeys {
            key: vec![0; 5],
            iv: vec![0; 12],
        };
        assert!(RecordCipher::new(&suite, &keys).is_none());
        let keys = TrafficKeys {
            key: vec![0; 16],
            iv: vec![0; 4],
        };
        assert!(RecordCipher::new(&suite, &keys).is_none());
    }
}
