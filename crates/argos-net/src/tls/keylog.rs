//! NSS key log files (`SSLKEYLOGFILE`): the secrets browsers, curl, OpenSSL, rustls and
//! most SIP stacks write so that a capture of their TLS can be decrypted.
//!
//! One secret a line, `LABEL <client random hex> <secret hex>`. The client random (32
//! bytes, from the ClientHello) ties a line to a connection. Labels used here:
//! `CLIENT_RANDOM` (TLS 1.2 master secret, 48 bytes) and, for TLS 1.3,
//! `CLIENT_HANDSHAKE_TRAFFIC_SECRET`, `SERVER_HANDSHAKE_TRAFFIC_SECRET`,
//! `CLIENT_TRAFFIC_SECRET_0`, `SERVER_TRAFFIC_SECRET_0` (hash length: 32 or 48 bytes).
//! Other labels (exporter, early traffic, `RSA`) and `#` comments are ignored.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The 32-byte ClientHello random that keys a connection's secrets.
pub type ClientRandom = [u8; 32];

/// TLS 1.2 master secret length.
const MASTER_SECRET_LEN: usize = 48;
/// Longest TLS 1.3 traffic secret (SHA-384 output); SHA-256 gives 32.
const MAX_TRAFFIC_SECRET_LEN: usize = 48;

/// The secrets logged for one connection (one client random).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SessionSecrets {
    /// TLS 1.2 master secret (`CLIENT_RANDOM`).
    pub master_secret: Option<Vec<u8>>,
    /// TLS 1.3 `CLIENT_HANDSHAKE_TRAFFIC_SECRET`.
    pub client_handshake: Option<Vec<u8>>,
    /// TLS 1.3 `SERVER_HANDSHAKE_TRAFFIC_SECRET`.
    pub server_handshake: Option<Vec<u8>>,
    /// TLS 1.3 `CLIENT_TRAFFIC_SECRET_0`.
    pub client_traffic_0: Option<Vec<u8>>,
    /// TLS 1.3 `SERVER_TRAFFIC_SECRET_0`.
    pub server_traffic_0: Option<Vec<u8>>,
}

impl std::fmt::Debug for SessionSecrets {
    /// Says which secrets are present, never their bytes (they end up in logs).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionSecrets")
            .field("master_secret", &self.master_secret.is_some())
            .field("client_handshake", &self.client_handshake.is_some())
            .field("server_handshake", &self.server_handshake.is_some())
            .field("client_traffic_0", &self.client_traffic_0.is_some())
            .field("server_traffic_0", &self.server_traffic_0.is_some())
            .finish()
    }
}

/// Error reading a key log file. Bad lines inside it are not errors (they are counted,
/// see [`KeyLog::bad_lines`]).
#[derive(Debug, thiserror::Error)]
#[error("reading TLS key log {path}: {source}")]
pub struct KeyLogError {
    /// The file that could not be read.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// Secrets from an NSS key log, keyed by client random.
#[derive(Debug, Clone, Default)]
pub struct KeyLog {
    sessions: HashMap<ClientRandom, SessionSecrets>,
    bad_lines: u64,
}

impl KeyLog {
    /// Reads and parses a key log file (see [`KeyLog::parse`]). Bytes that are not UTF-8
    /// only spoil their own line.
    pub fn from_file(path: impl AsRef<Path>) -> Result<KeyLog, KeyLogError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| KeyLogError {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(KeyLog::parse(&String::from_utf8_lossy(&bytes)))
    }

    /// Parses key log text. Blank lines, `#` comments and unknown labels are skipped;
    /// a known label with a malformed client random or secret is counted in
    /// [`KeyLog::bad_lines`]. A later line for the same label and client random wins.
    pub fn parse(text: &str) -> KeyLog {
        let mut log = KeyLog::default();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_ascii_whitespace();
            let label = fields.next().unwrap_or_default();
            let (max_len, exact) = match label {
                "CLIENT_RANDOM" => (MASTER_SECRET_LEN, true),
                "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
                | "SERVER_HANDSHAKE_TRAFFIC_SECRET"
                | "CLIENT_TRAFFIC_SECRET_0"
                | "SERVER_TRAFFIC_SECRET_0" => (MAX_TRAFFIC_SECRET_LEN, false),
                _ => continue,
            };
            let (Some(random), Some(secret), None) = (fields.next(), fields.next(), fields.next())
            else {
                log.bad_lines += 1;
                continue;
            };
            let random = decode_hex(random).and_then(|r| ClientRandom::try_from(r).ok());
            let secret = decode_hex(secret).filter(|s| {
                if exact {
                    s.len() == max_len
                } else {
                    matches!(s.len(), 32 | 48)
                }
            });
            let (Some(random), Some(secret)) = (random, secret) else {
                log.bad_lines += 1;
                continue;
            };
            let entry = log.sessions.entry(random).or_default();
            let slot = match label {
                "CLIENT_RANDOM" => &mut entry.master_secret,
                "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => &mut entry.client_handshake,
                "SERVER_HANDSHAKE_TRAFFIC_SECRET" => &mut entry.server_handshake,
                "CLIENT_TRAFFIC_SECRET_0" => &mut entry.client_traffic_0,
                _ => &mut entry.server_traffic_0,
            };
            *slot = Some(secret);
        }
        log
    }

    /// The secrets logged for the connection whose ClientHello carried `random`.
    pub fn get(&self, random: &ClientRandom) -> Option<&SessionSecrets> {
        self.sessions.get(random)
    }

    /// Connections (client randoms) with at least one secret.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// No secrets at all.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Lines with a known label that could not be used (wrong field count, bad hex,
    /// wrong length).
    pub fn bad_lines(&self) -> u64 {
        self.bad_lines
    }
}

/// Decodes an even-length hex string (either case).
fn decode_hex(s: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let b = s.as_bytes();
    if b.len() % 2 != 0 {
        return None;
    }
    b.chunks_exact(2)
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CR: &str = "0101010101010101010101010101010101010101010101010101010101010101";

    #[test]
    fn parses_tls12_and_tls13_lines() {
        let ms = "ab".repeat(48);
        let s32 = "cd".repeat(32);
        let s48 = "EF".repeat(48);
        let text = format!(
            "# comment\n\nCLIENT_RANDOM {CR} {ms}\r\n\
             CLIENT_HANDSHAKE_TRAFFIC_SECRET {CR} {s32}\n\
             SERVER_HANDSHAKE_TRAFFIC_SECRET {CR} {s32}\n\
             CLIENT_TRAFFIC_SECRET_0 {CR} {s48}\n\
             SERVER_TRAFFIC_SECRET_0 {CR} {s48}\n\
             EXPORTER_SECRET {CR} {s32}\n"
        );
        let log = KeyLog::parse(&text);
        assert_eq!(log.len(), 1);
        assert_eq!(log.bad_lines(), 0);
        let s = log.get(&[1; 32]).cloned().unwrap_or_default();
        assert_eq!(s.master_secret, Some(vec![0xab; 48]));
        assert_eq!(s.client_handshake, Some(vec![0xcd; 32]));
        assert_eq!(s.server_traffic_0, Some(vec![0xef; 48]));
        assert!(log.get(&[2; 32]).is_none());
    }

    #[test]
    fn bad_lines_are_counted_not_fatal() {
        let ms = "ab".repeat(48);
        let text = format!(
            "CLIENT_RANDOM {CR}\n\
             CLIENT_RANDOM 0102 {ms}\n\
             CLIENT_RANDOM {CR} abc\n\
             CLIENT_RANDOM {CR} {}\n\
             CLIENT_TRAFFIC_SECRET_0 {CR} {}\n\
             CLIENT_RANDOM {CR} zz{}\n\
             CLIENT_RANDOM {CR} {ms} extra\n\
             UNKNOWN_LABEL whatever\n\
             CLIENT_RANDOM {CR} {ms}\n",
            "ab".repeat(32),
            "ab".repeat(40),
            "ab".repeat(47),
        );
        let log = KeyLog::parse(&text);
        assert_eq!(log.bad_lines(), 7);
        assert_eq!(log.len(), 1);
    }

    #[test]
    fn from_file_reports_missing_file() {
        let err = KeyLog::from_file("/nonexistent/keylog.txt").err();
        assert!(err.is_some_and(|e| e.to_string().contains("/nonexistent/keylog.txt")));
    }
}
