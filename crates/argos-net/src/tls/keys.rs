//! Key schedules: from a logged secret to record keys.
//!
//! * TLS 1.2 (RFC 5246 §5, §6.3): `key_block = PRF(master_secret, "key expansion",
//!   server_random + client_random)`, P_SHA256 or P_SHA384 per suite. AEAD suites have
//!   no MAC keys: the block is client key, server key, client IV, server IV.
//! * TLS 1.3 (RFC 8446 §7.1, §7.3): `key = HKDF-Expand-Label(secret, "key", "", len)`,
//!   `iv = HKDF-Expand-Label(secret, "iv", "", 12)`; a KeyUpdate moves to
//!   `HKDF-Expand-Label(secret, "traffic upd", "", Hash.length)`.

use super::suite::{HashAlg, Suite};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384};

/// Why keys could not be derived (a secret of the wrong length for the suite).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("secret has the wrong length for the cipher suite")]
pub(crate) struct BadSecret;

/// One direction's record key and IV (4-byte salt for TLS 1.2 GCM, 12 bytes otherwise).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct TrafficKeys {
    pub(crate) key: Vec<u8>,
    pub(crate) iv: Vec<u8>,
}

impl std::fmt::Debug for TrafficKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrafficKeys(..)")
    }
}

/// TLS 1.2 PRF: `P_hash(secret, label + seed)` filling `out`.
pub(crate) fn prf(hash: HashAlg, secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]) {
    match hash {
        HashAlg::Sha256 => p_hash::<Hmac<Sha256>>(secret, label, seed, out),
        HashAlg::Sha384 => p_hash::<Hmac<Sha384>>(secret, label, seed, out),
    }
}

/// RFC 5246 §5: A(0) = label + seed, A(i) = HMAC(secret, A(i-1)),
/// output = HMAC(secret, A(1) + label + seed) + HMAC(secret, A(2) + label + seed) + ...
fn p_hash<M: Mac + hmac::digest::KeyInit + Clone>(
    secret: &[u8],
    label: &[u8],
    seed: &[u8],
    out: &mut [u8],
) {
    // HMAC takes keys of any length, so this cannot fail.
    let Ok(base) = <M as Mac>::new_from_slice(secret) else {
        return;
    };
    let mut a = {
        let mut m = base.clone();
        m.update(label);
        m.update(seed);
        m.finalize().into_bytes()
    };
    for chunk in out.chunks_mut(a.len()) {
        let mut m = base.clone();
        m.update(&a);
        m.update(label);
        m.update(seed);
        let block = m.finalize().into_bytes();
        chunk.copy_from_slice(&block[..chunk.len()]);
        let mut m = base.clone();
        m.update(&a);
        a = m.finalize().into_bytes();
    }
}

/// TLS 1.2 record keys for both directions: `(client write, server write)`.
pub(crate) fn tls12_keys(
    suite: &Suite,
    master_secret: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> (TrafficKeys, TrafficKeys) {
    let (k, i) = (suite.aead.key_len(), suite.aead.tls12_iv_len());
    let mut block = vec![0u8; 2 * (k + i)];
    let mut seed = [0u8; 64];
    seed[..32].copy_from_slice(server_random);
    seed[32..].copy_from_slice(client_random);
    prf(
        suite.hash,
        master_secret,
        b"key expansion",
        &seed,
        &mut block,
    );
    let (client_key, rest) = block.split_at(k);
    let (server_key, rest) = rest.split_at(k);
    let (client_iv, server_iv) = rest.split_at(i);
    (
        TrafficKeys {
            key: client_key.to_vec(),
            iv: client_iv.to_vec(),
        },
        TrafficKeys {
            key: server_key.to_vec(),
            iv: server_iv.to_vec(),
        },
    )
}

/// RFC 8446 §7.1 HKDF-Expand-Label with `secret` as the PRK.
pub(crate) fn hkdf_expand_label(
    hash: HashAlg,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) -> Result<(), BadSecret> {
    let (Ok(len), Ok(label_len), Ok(context_len)) = (
        u16::try_from(out.len()),
        u8::try_from(6 + label.len()),
        u8::try_from(context.len()),
    ) else {
        return Err(BadSecret);
    };
    let info: [&[u8]; 6] = [
        &len.to_be_bytes(),
        &[label_len],
        b"tls13 ",
        label,
        &[context_len],
        context,
    ];
    let ok = match hash {
        HashAlg::Sha256 => Hkdf::<Sha256>::from_prk(secret)
            .ok()
            .and_then(|h| h.expand_multi_info(&info, out).ok()),
        HashAlg::Sha384 => Hkdf::<Sha384>::from_prk(secret)
            .ok()
            .and_then(|h| h.expand_multi_info(&info, out).ok()),
    };
    ok.ok_or(BadSecret)
}

/// TLS 1.3 record key and IV from a traffic secret.
pub(crate) fn tls13_keys(suite: &Suite, secret: &[u8]) -> Result<TrafficKeys, BadSecret> {
    if secret.len() != suite.hash.len() {
        return Err(BadSecret);
    }
    let mut key = vec![0u8; suite.aead.key_len()];
    let mut iv = vec![0u8; 12];
    hkdf_expand_label(suite.hash, secret, b"key", b"", &mut key)?;
    hkdf_expand_label(suite.hash, secret, b"iv", b"", &mut iv)?;
    Ok(TrafficKeys { key, iv })
}

/// The traffic secret after a KeyUpdate (RFC 8446 §7.2).
pub(crate) fn tls13_next_secret(suite: &Suite, secret: &[u8]) -> Result<Vec<u8>, BadSecret> {
    let mut next = vec![0u8; suite.hash.len()];
    hkdf_expand_label(suite.hash, secret, b"traffic upd", b"", &mut next)?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::suite::lookup;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
            .collect()
    }

    /// The P_SHA256 vector posted to the IETF TLS list (msg03416), also what
    /// `openssl kdf ... TLS1-PRF` prints.
    #[test]
    fn prf_sha256_vector() {
        let mut out = [0u8; 100];
        prf(
            HashAlg::Sha256,
            &hex("9bbe436ba940f017b17652849a71db35"),
            b"test label",
            &hex("a0ba9f936cda311827a6f796ffd5198c"),
            &mut out,
        );
        assert_eq!(
            out.to_vec(),
            hex(
                "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a\
                 6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab\
                 4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701\
                 87347b66"
            )
        );
    }

    /// P_SHA384 vector from the same post; checked with
    /// `openssl kdf -keylen 64 -kdfopt digest:SHA384 ... TLS1-PRF` (OpenSSL 3.0).
    #[test]
    fn prf_sha384_vector() {
        let mut out = [0u8; 64];
        prf(
            HashAlg::Sha384,
            &hex("b80b733d6ceefcdc71566ea48e5567df"),
            b"test label",
            &hex("cd665cf6a8447dd6ff8b27555edb7465"),
            &mut out,
        );
        assert_eq!(
            out.to_vec(),
            hex(
                "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd\
                 e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd"
            )
        );
    }

    /// RFC 8448 §3 (simple 1-RTT handshake), TLS_AES_128_GCM_SHA256: handshake
    /// traffic keys and the server finished key.
    #[test]
    fn rfc8448_handshake_keys() {
        let Some(suite) = lookup(0x1301) else {
            panic!("suite 0x1301 missing");
        };
        let server = hex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
        let client = hex("b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21");
        let s = tls13_keys(&suite, &server);
        assert_eq!(
            s,
            Ok(TrafficKeys {
                key: hex("3fce516009c21727d0f2e4e86ee403bc"),
                iv: hex("5d313eb2671276ee13000b30"),
            })
        );
        let c = tls13_keys(&suite, &client);
        assert_eq!(
            c,
            Ok(TrafficKeys {
                key: hex("dbfaa693d1762c5b666af5d950258d01"),
                iv: hex("5bd3c71b836e0b76bb73265f"),
            })
        );
        let mut finished = [0u8; 32];
        assert_eq!(
            hkdf_expand_label(HashAlg::Sha256, &server, b"finished", b"", &mut finished),
            Ok(())
        );
        assert_eq!(
            finished.to_vec(),
            hex("008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8")
        );
    }

    #[test]
    fn wrong_secret_length_is_an_error() {
        let Some(suite) = lookup(0x1302) else {
            panic!("suite 0x1302 missing");
        };
        assert_eq!(tls13_keys(&suite, &[0u8; 32]), Err(BadSecret));
        assert!(tls13_next_secret(&suite, &[0u8; 48]).is_ok_and(|s| s.len() == 48));
    }

    #[test]
    fn tls12_key_block_layout() {
        let Some(gcm) = lookup(0xC02F) else {
            panic!("suite 0xC02F missing");
        };
        let (c, s) = tls12_keys(&gcm, &[7u8; 48], &[1u8; 32], &[2u8; 32]);
        let mut block = [0u8; 40];
        let mut seed = [2u8; 64];
        seed[32..].fill(1);
        prf(
            HashAlg::Sha256,
            &[7u8; 48],
            b"key expansion",
            &seed,
            &mut block,
        );
        assert_eq!(c.key, block[..16].to_vec());
        assert_eq!(s.key, block[16..32].to_vec());
        assert_eq!(c.iv, block[32..36].to_vec());
        assert_eq!(s.iv, block[36..40].to_vec());
    }
}
