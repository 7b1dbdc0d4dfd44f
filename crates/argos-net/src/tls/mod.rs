//! SIP over TLS decryption from an NSS key log (`SSLKEYLOGFILE`).
//!
//! Given the secrets a TLS endpoint logged ([`KeyLog`]), the TCP byte streams of a
//! connection are cut into records, the handshake is followed far enough to know the
//! randoms, version and cipher suite, keys are derived from the logged secret, and
//! application data is decrypted. [`crate::SipTcpReassembler::with_tls_keylog`] does
//! this for every TCP flow that starts with a TLS record and frames the plaintext as
//! SIP like any TCP stream.
//!
//! Supported: TLS 1.3 (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305; KeyUpdate;
//! handshake secrets optional) and TLS 1.2 AEAD suites (AES-GCM, ChaCha20-Poly1305,
//! any key exchange). Not supported, counted in [`TlsStats::unsupported`]: CBC suites,
//! TLS 1.0/1.1, renegotiation, 0-RTT early data, connections whose handshake is not in
//! the capture.
//!
//! Module map: [`keylog`] parses the key log; `record` cuts records; `handshake`
//! frames handshake messages and reads the hellos; `keys` is the PRF / HKDF key
//! schedule; `cipher` builds nonces and runs the AEAD; `connection` ties them together
//! per connection.

mod cipher;
mod connection;
mod handshake;
pub mod keylog;
mod keys;
mod record;
mod suite;

pub use keylog::{ClientRandom, KeyLog, KeyLogError, SessionSecrets};

use connection::{Connection, FeedCtx};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// Counters of TLS decryption. Each connection that stops is counted once, in the
/// first reason that stopped it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TlsStats {
    /// TCP connections recognised as TLS (by a record header at the start of a flow).
    pub connections: u64,
    /// Connections whose keys were derived from the key log.
    pub decrypted: u64,
    /// Connections whose client random has no (usable) secret in the key log.
    pub no_key: u64,
    /// Connections using what is not decrypted: CBC or unknown suites, TLS < 1.2,
    /// renegotiation, early data, or picked up after the handshake.
    pub unsupported: u64,
    /// Connections whose records or handshake messages were malformed.
    pub malformed: u64,
    /// Connections given up at a hole in the TCP stream.
    pub gaps: u64,
    /// Connections stopped by a record that failed authentication (altered or
    /// truncated ciphertext, or a wrong secret in the key log).
    pub decrypt_failures: u64,
    /// Connections closed before their handshake gave keys (no ServerHello seen).
    pub incomplete: u64,
    /// Records decrypted (handshake records included).
    pub records_decrypted: u64,
    /// Application-data bytes decrypted.
    pub plaintext_bytes: u64,
    /// TLS 1.3 KeyUpdates followed.
    pub key_updates: u64,
}

/// Does a flow's first data look like TLS (a record header)?
pub(crate) fn starts_like_tls(first: &[u8]) -> bool {
    record::looks_like_record(first)
}

/// The TLS connections of a TCP reassembler, keyed by their address pair (both
/// directions share one entry: the client's random and the server's choices are both
/// needed to decrypt either).
#[derive(Debug)]
pub(crate) struct TlsTracker {
    keylog: Arc<KeyLog>,
    conns: HashMap<(SocketAddr, SocketAddr), Connection>,
    stats: TlsStats,
}

/// The connection key of a direction and which side of it the direction is.
fn conn_key(src: SocketAddr, dst: SocketAddr) -> ((SocketAddr, SocketAddr), usize) {
    if src <= dst {
        ((src, dst), 0)
    } else {
        ((dst, src), 1)
    }
}

impl TlsTracker {
    pub(crate) fn new(keylog: Arc<KeyLog>) -> Self {
        TlsTracker {
            keylog,
            conns: HashMap::new(),
            stats: TlsStats::default(),
        }
    }

    /// Whether the connection of this direction is tracked as TLS.
    pub(crate) fn knows(&self, src: SocketAddr, dst: SocketAddr) -> bool {
        self.conns.contains_key(&conn_key(src, dst).0)
    }

    /// Starts tracking the connection of a direction whose first bytes are `first`. A
    /// connection whose first record is not a handshake was picked up mid-way and
    /// cannot be decrypted.
    pub(crate) fn open(&mut self, src: SocketAddr, dst: SocketAddr, first: &[u8]) {
        let (key, _) = conn_key(src, dst);
        if self.conns.contains_key(&key) {
            return;
        }
        self.stats.connections += 1;
        let mut c = Connection::default();
        if first.first() != Some(&record::HANDSHAKE) {
            c.stop(connection::Stop::Unsupported, &mut self.stats);
        }
        self.conns.insert(key, c);
    }

    /// In-order bytes of a direction; its decrypted application data is appended to
    /// `plain`.
    pub(crate) fn feed(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        data: &[u8],
        plain: &mut Vec<u8>,
    ) {
        let (key, side) = conn_key(src, dst);
        if let Some(c) = self.conns.get_mut(&key) {
            let mut cx = FeedCtx {
                keylog: &self.keylog,
                stats: &mut self.stats,
                plain,
            };
            c.feed(side, data, &mut cx);
        }
    }

    /// The direction's stream has a hole: record framing is lost.
    pub(crate) fn gap(&mut self, src: SocketAddr, dst: SocketAddr) {
        if let Some(c) = self.conns.get_mut(&conn_key(src, dst).0) {
            c.stop(connection::Stop::Gap, &mut self.stats);
        }
    }

    /// Forgets the connection (both directions are done, or a SYN restarts it).
    pub(crate) fn close(&mut self, src: SocketAddr, dst: SocketAddr) {
        if let Some(c) = self.conns.remove(&conn_key(src, dst).0) {
            if !c.keyed() && c.stopped().is_none() {
                self.stats.incomplete += 1;
            }
        }
    }

    pub(crate) fn stats(&self) -> TlsStats {
        self.stats
    }
}

/// Entry point of the `tls` cargo-fuzz target.
#[doc(hidden)]
pub mod fuzzing {
    use super::cipher::RecordCipher;
    use super::keys::{self, TrafficKeys};
    use super::suite::{self, Suite};
    use super::KeyLog;
    use crate::{ReassemblyLimits, SipTcpReassembler, TcpMessage};
    use std::net::SocketAddr;
    use std::sync::Arc;

    /// Client randoms of the fuzz key log: the first with SHA-256-sized TLS 1.3
    /// secrets, the second with SHA-384-sized ones; both with a TLS 1.2 master secret.
    const RANDOMS: [[u8; 32]; 2] = [[0x11; 32], [0x12; 32]];
    const SUITES: [u16; 8] = [
        0x1301, 0x1302, 0x1303, 0xC02B, 0xC030, 0xCCA8, 0x009C, 0x002F,
    ];

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    fn keylog() -> KeyLog {
        let mut text = String::new();
        for (i, r) in RANDOMS.iter().enumerate() {
            let n = if i == 0 { 32 } else { 48 };
            let r = hex(r);
            text += &format!("CLIENT_RANDOM {r} {}\n", hex(&[0x21; 48]));
            for (label, b) in [
                ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", 0x31),
                ("SERVER_HANDSHAKE_TRAFFIC_SECRET", 0x32),
                ("CLIENT_TRAFFIC_SECRET_0", 0x33),
                ("SERVER_TRAFFIC_SECRET_0", 0x34),
            ] {
                text += &format!("{label} {r} {}\n", hex(&vec![b; n]));
            }
        }
        KeyLog::parse(&text)
    }

    fn handshake_record(msg_type: u8, body: &[u8]) -> Vec<u8> {
        let l = body.len();
        let mut v = vec![22, 3, 3];
        v.extend_from_slice(&((l + 4) as u16).to_be_bytes());
        v.extend_from_slice(&[msg_type, (l >> 16) as u8, (l >> 8) as u8, l as u8]);
        v.extend_from_slice(body);
        v
    }

    /// A sender that seals records the way the fuzz key log says this connection's
    /// endpoints would have.
    struct Sealer {
        handshake: Option<RecordCipher>,
        app: Option<RecordCipher>,
        tls13: bool,
    }

    impl Sealer {
        fn new(suite: &Suite, random_ix: usize, server: bool, server_random: &[u8; 32]) -> Self {
            let n = if random_ix == 0 { 32 } else { 48 };
            if suite.tls13 {
                let (hs, app) = if server { (0x32, 0x34) } else { (0x31, 0x33) };
                let cipher = |b: u8| {
                    keys::tls13_keys(suite, &vec![b; n])
                        .ok()
                        .and_then(|k| RecordCipher::new(suite, &k))
                };
                Sealer {
                    handshake: cipher(hs),
                    app: cipher(app),
                    tls13: true,
                }
            } else {
                let (c, s) =
                    keys::tls12_keys(suite, &[0x21; 48], &RANDOMS[random_ix], server_random);
                let k: TrafficKeys = if server { s } else { c };
                Sealer {
                    handshake: None,
                    app: RecordCipher::new(suite, &k),
                    tls13: false,
                }
            }
        }

        /// Seals `plain` with inner type `t`; `finished` marks the end of the TLS 1.3
        /// handshake flight (sealed with handshake keys, then application keys follow).
        fn seal(&mut self, t: u8, plain: &[u8], finished: bool) -> Vec<u8> {
            if self.tls13 && self.handshake.is_some() {
                let rec = self
                    .handshake
                    .as_mut()
                    .map(|c| c.seal(t, plain))
                    .unwrap_or_default();
                if finished {
                    self.handshake = None;
                }
                return rec;
            }
            self.app
                .as_mut()
                .map(|c| c.seal(t, plain))
                .unwrap_or_default()
        }
    }

    /// Seed inputs for the `tls` fuzz target: for each suite, a script that finishes
    /// the handshake and sends SIP both ways (one message split over two records, two
    /// in one record), plus a raw-bytes input.
    pub fn seeds() -> Vec<Vec<u8>> {
        let invite = b"INVITE sip:b@example.test SIP/2.0\r\nCall-ID: seed\r\nCSeq: 1 INVITE\r\n\
                       Content-Length: 4\r\n\r\nv=0\n";
        let ok = b"SIP/2.0 200 OK\r\nCall-ID: seed\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
        let mut seeds = Vec::new();
        for (suite_ix, random_ix) in [
            (0u8, 0u8),
            (1, 1),
            (2, 0),
            (3, 0),
            (4, 1),
            (5, 0),
            (6, 0),
            (7, 0),
        ] {
            let mut s = vec![1 | suite_ix << 1 | random_ix << 4];
            s.extend_from_slice(&[2, 0, 3, 0]);
            let (a, b) = invite.split_at(invite.len() / 2);
            for part in [a, b] {
                s.extend_from_slice(&[0x20, part.len() as u8]);
                s.extend_from_slice(part);
            }
            let two = [&ok[..], &ok[..]].concat();
            s.extend_from_slice(&[0x11, two.len() as u8]);
            s.extend_from_slice(&two);
            seeds.push(s);
        }
        let mut raw = vec![0u8, 3];
        raw.extend_from_slice(&[23, 3, 3, 0, 20]);
        raw.extend_from_slice(&[0xAB; 20]);
        seeds.push(raw);
        seeds
    }

    /// Feeds `data` to a SIP TCP reassembler with TLS decryption on, as the two
    /// directions of connections; returns the SIP messages that came out.
    ///
    /// The first byte picks how: even, the rest is raw bytes split between the
    /// directions after a valid-looking pair of hellos; odd, a script of records
    /// sealed with the fuzz key log's keys (so decryption and SIP framing of the
    /// plaintext are reached), interleaved with raw bytes.
    pub fn streams(data: &[u8]) -> Vec<TcpMessage> {
        let mut re = SipTcpReassembler::new(ReassemblyLimits {
            max_flows: 8,
            max_bytes_per_flow: 8192,
            idle_timeout_us: 10,
        })
        .with_websocket(true)
        .with_tls_keylog(Arc::new(keylog()));
        let client: SocketAddr = ([10, 0, 0, 1], 40000).into();
        let server: SocketAddr = ([10, 0, 0, 2], 5061).into();
        let Some((&mode, rest)) = data.split_first() else {
            return Vec::new();
        };
        let suite_ix = usize::from(mode >> 1) % SUITES.len();
        let random_ix = usize::from(mode >> 4) & 1;
        let suite_id = SUITES[suite_ix];
        let server_random = [0x5a; 32];

        let mut client_hello = vec![3, 3];
        client_hello.extend_from_slice(&RANDOMS[random_ix]);
        client_hello.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
        let mut server_hello = vec![3, 3];
        server_hello.extend_from_slice(&server_random);
        server_hello.push(0);
        server_hello.extend_from_slice(&suite_id.to_be_bytes());
        server_hello.push(0);
        if suite_id >> 8 == 0x13 {
            server_hello.extend_from_slice(&[0, 6, 0, 43, 0, 2, 3, 4]);
        }

        let mut out = Vec::new();
        let mut seqs = [1000u32, 9000u32];
        let mut ts = 0i64;
        let mut send = |re: &mut SipTcpReassembler, to_server: bool, bytes: &[u8], step: usize| {
            let (src, dst, seq) = if to_server {
                (client, server, &mut seqs[0])
            } else {
                (server, client, &mut seqs[1])
            };
            for chunk in bytes.chunks(step.max(1)) {
                ts += 1;
                re.push(ts, src, dst, *seq, chunk, &mut out);
                *seq = seq.wrapping_add(chunk.len() as u32);
            }
        };
        send(&mut re, true, &handshake_record(1, &client_hello), 50);
        send(&mut re, false, &handshake_record(2, &server_hello), 50);

        if mode & 1 == 0 {
            let split = rest.first().map_or(0, |b| usize::from(*b)).min(rest.len());
            let (a, b) = rest.split_at(split);
            send(&mut re, true, a, 13);
            send(&mut re, false, b, 29);
        } else if let Some(suite) = suite::lookup(suite_id) {
            let mut sealers = [
                Sealer::new(&suite, random_ix, false, &server_random),
                Sealer::new(&suite, random_ix, true, &server_random),
            ];
            if !suite.tls13 {
                send(&mut re, true, &[20, 3, 3, 0, 1, 1], 7);
                send(&mut re, false, &[20, 3, 3, 0, 1, 1], 7);
            }
            // Script: [op][len][len bytes] ...; op bit 0 = direction, bits 1-2 = kind.
            let mut script = rest;
            while let [op, len, tail @ ..] = script {
                let n = usize::from(*len).min(tail.len());
                let (body, next) = tail.split_at(n);
                script = next;
                let to_server = op & 1 == 0;
                let sealer = &mut sealers[usize::from(!to_server)];
                let bytes = match (op >> 1) & 3 {
                    0 => sealer.seal(23, body, false),
                    1 => sealer.seal(22, &[20, 0, 0, 0], true),
                    2 => sealer.seal(22, body, false),
                    _ => body.to_vec(),
                };
                send(&mut re, to_server, &bytes, usize::from(op >> 3) + 1);
            }
        }
        re.flush_all(&mut out);
        let _ = re.tls_stats();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::fuzzing::streams;

    /// The fuzz harness's sealed-record script reaches decryption and SIP framing.
    #[test]
    fn fuzz_script_decrypts_sip() {
        let sip = b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n";
        for mode in [1u8, 3, 5, 7, 9, 11, 0x11, 0x13] {
            let mut data = vec![mode];
            // Finished from both sides (TLS 1.3 only; harmless otherwise), then SIP
            // client to server.
            data.extend_from_slice(&[2, 0, 3, 0]);
            data.extend_from_slice(&[0xF0, sip.len() as u8]);
            data.extend_from_slice(sip);
            let msgs = streams(&data);
            // Suite index 7 is CBC (unsupported); a SHA-256 TLS 1.3 suite needs the
            // 32-byte secrets of random 0, AES-256-GCM the 48-byte ones of random 1.
            let random = mode >> 4 & 1;
            let decrypts = match (mode >> 1) % 8 {
                7 => false,
                0 | 2 => random == 0,
                1 => random == 1,
                _ => true,
            };
            let expect = usize::from(decrypts);
            assert_eq!(msgs.len(), expect, "mode {mode:#x}");
            assert!(msgs.iter().all(|m| m.tls && m.data == sip));
        }
    }

    #[test]
    fn fuzz_seeds_reach_sip() {
        let seeds = super::fuzzing::seeds();
        // Suites 0-6 with a matching key: INVITE + two 200s each; suite 7 is CBC.
        for s in &seeds[..7] {
            assert_eq!(streams(s).len(), 3, "seed mode {:#x}", s[0]);
        }
        assert!(streams(&seeds[7]).is_empty());
        assert!(streams(&seeds[8]).is_empty());
    }

    #[test]
    fn fuzz_raw_bytes_do_not_panic() {
        for data in [
            &b""[..],
            b"\x00",
            b"\x00\x05\x17\x03\x03\x00\x10abc",
            b"\x02\xff",
        ] {
            assert!(streams(data).is_empty());
        }
    }
}
