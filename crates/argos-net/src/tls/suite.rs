//! The cipher suites that can be decrypted: AEAD suites only (AES-GCM and
//! ChaCha20-Poly1305), TLS 1.3 and TLS 1.2 with any key exchange (the key log gives the
//! master secret, so RSA, DHE and ECDHE look alike).

/// Record protection algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AeadAlg {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl AeadAlg {
    /// Key length in bytes.
    pub(crate) fn key_len(self) -> usize {
        match self {
            AeadAlg::Aes128Gcm => 16,
            AeadAlg::Aes256Gcm | AeadAlg::ChaCha20Poly1305 => 32,
        }
    }

    /// TLS 1.2 `fixed_iv_length`: the 4-byte GCM salt (RFC 5288) or the 12-byte
    /// ChaCha20 IV (RFC 7905).
    pub(crate) fn tls12_iv_len(self) -> usize {
        match self {
            AeadAlg::Aes128Gcm | AeadAlg::Aes256Gcm => 4,
            AeadAlg::ChaCha20Poly1305 => 12,
        }
    }
}

/// PRF / HKDF hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashAlg {
    Sha256,
    Sha384,
}

impl HashAlg {
    /// Output length in bytes (the TLS 1.3 traffic secret length).
    pub(crate) fn len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
        }
    }
}

/// A supported cipher suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Suite {
    pub(crate) id: u16,
    pub(crate) aead: AeadAlg,
    pub(crate) hash: HashAlg,
    /// A TLS 1.3 suite (otherwise TLS 1.2).
    pub(crate) tls13: bool,
}

/// The suite with IANA number `id`, if it is one we decrypt.
pub(crate) fn lookup(id: u16) -> Option<Suite> {
    use AeadAlg::*;
    use HashAlg::*;
    let (aead, hash, tls13) = match id {
        0x1301 => (Aes128Gcm, Sha256, true),
        0x1302 => (Aes256Gcm, Sha384, true),
        0x1303 => (ChaCha20Poly1305, Sha256, true),
        // TLS 1.2 AES-GCM (RFC 5288, RFC 5289): RSA, DHE_RSA, ECDHE_ECDSA, ECDHE_RSA.
        0x009C | 0x009E | 0xC02B | 0xC02F => (Aes128Gcm, Sha256, false),
        0x009D | 0x009F | 0xC02C | 0xC030 => (Aes256Gcm, Sha384, false),
        // TLS 1.2 ChaCha20-Poly1305 (RFC 7905): ECDHE_RSA, ECDHE_ECDSA, DHE_RSA.
        0xCCA8..=0xCCAA => (ChaCha20Poly1305, Sha256, false),
        _ => return None,
    };
    Some(Suite {
        id,
        aead,
        hash,
        tls13,
    })
}
