//! One TLS connection seen from the wire: both directions' record streams, the
//! handshake fields that select the keys, and the record ciphers once keyed.
//!
//! Decryption stops for good at the first thing it cannot follow (no key, unknown
//! suite, a gap, a record that fails authentication): nothing after it could be
//! trusted, and garbage must never reach SIP framing.

use super::cipher::RecordCipher;
use super::handshake::{self, HandshakeReader, Message, ServerHello};
use super::keylog::{ClientRandom, KeyLog};
use super::keys;
use super::record::{self, Record, RecordReader};
use super::suite::{self, Suite};
use super::TlsStats;

const TLS12: u16 = 0x0303;
const TLS13: u16 = 0x0304;

/// Why decryption of a connection stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// No usable secret for the client random.
    NoKey,
    /// Something this decoder does not follow (version, suite, renegotiation, early
    /// data, connection picked up after its handshake).
    Unsupported,
    /// Bytes that are not TLS records or handshake messages.
    Malformed,
    /// A hole in the TCP stream.
    Gap,
    /// A record failed authentication.
    DecryptFailure,
}

/// One direction of the connection.
#[derive(Debug, Default)]
struct Half {
    records: RecordReader,
    handshake: HandshakeReader,
    /// Protection of the records now arriving.
    cipher: Option<RecordCipher>,
    /// TLS 1.2: the keys this side switches to at its ChangeCipherSpec. TLS 1.3: the
    /// application keys it switches to after its Finished.
    next: Option<RecordCipher>,
    /// TLS 1.3 application traffic secret in use (the base of a KeyUpdate).
    app_secret: Vec<u8>,
    /// TLS 1.3 without handshake secrets in the key log: encrypted handshake records
    /// are skipped until one opens with the application keys.
    trial: bool,
    /// Application data from here on is SIP plaintext.
    app: bool,
}

impl Half {
    fn clear(&mut self) {
        self.records.clear();
        self.handshake.clear();
        self.cipher = None;
        self.next = None;
        self.app_secret = Vec::new();
    }
}

/// State shared by both directions (side 0 and side 1, in the caller's numbering).
#[derive(Debug, Default)]
pub(crate) struct Connection {
    halves: [Half; 2],
    client_random: Option<ClientRandom>,
    client_side: Option<usize>,
    suite: Option<Suite>,
    /// Keys derived from the key log.
    keyed: bool,
    stopped: Option<Stop>,
}

/// What [`Connection::feed`] works with besides the bytes.
pub(crate) struct FeedCtx<'a> {
    pub(crate) keylog: &'a KeyLog,
    pub(crate) stats: &'a mut TlsStats,
    /// Decrypted application data of the fed direction is appended here.
    pub(crate) plain: &'a mut Vec<u8>,
}

impl Connection {
    /// Whether keys were derived.
    pub(crate) fn keyed(&self) -> bool {
        self.keyed
    }

    /// Why decryption stopped, if it did.
    pub(crate) fn stopped(&self) -> Option<Stop> {
        self.stopped
    }

    /// Gives up on the connection (counted once, by the first reason).
    pub(crate) fn stop(&mut self, why: Stop, stats: &mut TlsStats) {
        if self.stopped.is_some() {
            return;
        }
        self.stopped = Some(why);
        match why {
            Stop::NoKey => stats.no_key += 1,
            Stop::Unsupported => stats.unsupported += 1,
            Stop::Malformed => stats.malformed += 1,
            Stop::Gap => stats.gaps += 1,
            Stop::DecryptFailure => stats.decrypt_failures += 1,
        }
        for h in &mut self.halves {
            h.clear();
        }
    }

    /// Feeds in-order stream bytes of direction `side` (0 or 1).
    pub(crate) fn feed(&mut self, side: usize, data: &[u8], cx: &mut FeedCtx<'_>) {
        if self.stopped.is_some() || side > 1 {
            return;
        }
        self.halves[side].records.push(data);
        loop {
            let rec = match self.halves[side].records.next_record() {
                Ok(Some(r)) => r,
                Ok(None) => return,
                Err(_) => {
                    self.stop(Stop::Malformed, cx.stats);
                    return;
                }
            };
            if let Err(why) = self.on_record(side, rec, cx) {
                self.stop(why, cx.stats);
                return;
            }
        }
    }

    fn on_record(&mut self, side: usize, rec: Record, cx: &mut FeedCtx<'_>) -> Result<(), Stop> {
        let tls13 = self.suite.is_some_and(|s| s.tls13);
        let half = &mut self.halves[side];
        if rec.content_type == record::CHANGE_CIPHER_SPEC {
            // TLS 1.3 sends it only for middleboxes; before a ServerHello it means nothing.
            if tls13 || self.suite.is_none() {
                return Ok(());
            }
            half.cipher = Some(half.next.take().ok_or(Stop::Unsupported)?);
            return Ok(());
        }
        let Some(cipher) = half.cipher.as_mut() else {
            return match rec.content_type {
                record::HANDSHAKE => {
                    let mut msgs = Vec::new();
                    half.handshake
                        .push(&rec.fragment, &mut msgs)
                        .map_err(|_| Stop::Malformed)?;
                    msgs.into_iter()
                        .try_for_each(|m| self.on_plain_handshake(side, m, cx))
                }
                record::APPLICATION_DATA if half.trial => self.on_trial(side, &rec, cx),
                record::ALERT | record::HEARTBEAT => Ok(()),
                // Encrypted data before any keys: early data, or a capture that starts
                // after the handshake.
                _ => Err(Stop::Unsupported),
            };
        };
        let (inner, plain) = cipher
            .open(rec.content_type, rec.version, &rec.fragment)
            .map_err(|_| Stop::DecryptFailure)?;
        cx.stats.records_decrypted += 1;
        self.on_plaintext(side, inner, &plain, cx)
    }

    /// TLS 1.3 without handshake secrets: a record that does not open with the
    /// application keys is taken for an encrypted handshake record and skipped.
    fn on_trial(&mut self, side: usize, rec: &Record, cx: &mut FeedCtx<'_>) -> Result<(), Stop> {
        let half = &mut self.halves[side];
        let Some(next) = half.next.as_mut() else {
            return Err(Stop::NoKey);
        };
        let Ok((inner, plain)) = next.open(rec.content_type, rec.version, &rec.fragment) else {
            return Ok(());
        };
        half.cipher = half.next.take();
        half.trial = false;
        half.app = true;
        cx.stats.records_decrypted += 1;
        self.on_plaintext(side, inner, &plain, cx)
    }

    /// A decrypted record.
    fn on_plaintext(
        &mut self,
        side: usize,
        content_type: u8,
        plain: &[u8],
        cx: &mut FeedCtx<'_>,
    ) -> Result<(), Stop> {
        let tls13 = self.suite.is_some_and(|s| s.tls13);
        match content_type {
            record::APPLICATION_DATA => {
                if tls13 && !self.halves[side].app {
                    return Err(Stop::Unsupported);
                }
                cx.stats.plaintext_bytes += plain.len() as u64;
                cx.plain.extend_from_slice(plain);
                Ok(())
            }
            record::HANDSHAKE => {
                let mut msgs = Vec::new();
                self.halves[side]
                    .handshake
                    .push(plain, &mut msgs)
                    .map_err(|_| Stop::Malformed)?;
                msgs.into_iter()
                    .try_for_each(|m| self.on_encrypted_handshake(side, m, cx))
            }
            // Alerts (close_notify included) and anything else carry no SIP.
            _ => Ok(()),
        }
    }

    fn on_encrypted_handshake(
        &mut self,
        side: usize,
        msg: Message,
        cx: &mut FeedCtx<'_>,
    ) -> Result<(), Stop> {
        let Some(suite) = self.suite else {
            return Err(Stop::Unsupported);
        };
        let half = &mut self.halves[side];
        match msg.msg_type {
            // Renegotiation (TLS 1.2) would need the new handshake's keys.
            handshake::CLIENT_HELLO | handshake::SERVER_HELLO => Err(Stop::Unsupported),
            handshake::FINISHED if suite.tls13 && !half.app => {
                half.cipher = Some(half.next.take().ok_or(Stop::NoKey)?);
                half.app = true;
                Ok(())
            }
            handshake::KEY_UPDATE if suite.tls13 && half.app => {
                if !handshake::key_update_valid(&msg.body) {
                    return Err(Stop::Malformed);
                }
                let secret =
                    keys::tls13_next_secret(&suite, &half.app_secret).map_err(|_| Stop::NoKey)?;
                let k = keys::tls13_keys(&suite, &secret).map_err(|_| Stop::NoKey)?;
                half.cipher = Some(RecordCipher::new(&suite, &k).ok_or(Stop::NoKey)?);
                half.app_secret = secret;
                cx.stats.key_updates += 1;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A handshake message sent in the clear: the hellos.
    fn on_plain_handshake(
        &mut self,
        side: usize,
        msg: Message,
        cx: &mut FeedCtx<'_>,
    ) -> Result<(), Stop> {
        match msg.msg_type {
            handshake::CLIENT_HELLO => {
                let random =
                    handshake::client_hello_random(&msg.body).map_err(|_| Stop::Malformed)?;
                if self.client_side.is_some_and(|c| c != side) {
                    return Err(Stop::Malformed);
                }
                match self.client_random {
                    None => self.client_random = Some(random),
                    // The second ClientHello after a HelloRetryRequest keeps the random.
                    Some(r) if r == random => {}
                    Some(_) => return Err(Stop::Unsupported),
                }
                self.client_side = Some(side);
                Ok(())
            }
            handshake::SERVER_HELLO => {
                let hello = handshake::server_hello(&msg.body).map_err(|_| Stop::Malformed)?;
                if hello.retry_request {
                    return Ok(());
                }
                if self.suite.is_some() {
                    return Err(Stop::Unsupported);
                }
                match self.client_side {
                    Some(c) if c != side => self.derive_keys(c, &hello, cx),
                    Some(_) => Err(Stop::Malformed),
                    // The capture missed the ClientHello: no client random, no key.
                    None => Err(Stop::Unsupported),
                }
            }
            _ => Ok(()),
        }
    }

    /// Both hellos seen: looks the secrets up and sets up each direction's ciphers.
    fn derive_keys(
        &mut self,
        client: usize,
        hello: &ServerHello,
        cx: &mut FeedCtx<'_>,
    ) -> Result<(), Stop> {
        let suite = suite::lookup(hello.cipher_suite).ok_or(Stop::Unsupported)?;
        let tls13 = match hello.version {
            TLS13 => true,
            TLS12 => false,
            _ => return Err(Stop::Unsupported),
        };
        if suite.tls13 != tls13 {
            return Err(Stop::Unsupported);
        }
        self.suite = Some(suite);
        let random = self.client_random.ok_or(Stop::Unsupported)?;
        let secrets = cx.keylog.get(&random).ok_or(Stop::NoKey)?;
        let server = 1 - client;
        if !tls13 {
            let master = secrets.master_secret.as_deref().ok_or(Stop::NoKey)?;
            let (c, s) = keys::tls12_keys(&suite, master, &random, &hello.random);
            self.halves[client].next = Some(RecordCipher::new(&suite, &c).ok_or(Stop::NoKey)?);
            self.halves[server].next = Some(RecordCipher::new(&suite, &s).ok_or(Stop::NoKey)?);
        } else {
            let sides = [
                (client, &secrets.client_handshake, &secrets.client_traffic_0),
                (server, &secrets.server_handshake, &secrets.server_traffic_0),
            ];
            for (side, hs, app) in sides {
                let app = app.as_deref().ok_or(Stop::NoKey)?;
                let app_keys = keys::tls13_keys(&suite, app).map_err(|_| Stop::NoKey)?;
                let half = &mut self.halves[side];
                half.next = Some(RecordCipher::new(&suite, &app_keys).ok_or(Stop::NoKey)?);
                half.app_secret = app.to_vec();
                match hs.as_deref() {
                    Some(hs) => {
                        let k = keys::tls13_keys(&suite, hs).map_err(|_| Stop::NoKey)?;
                        half.cipher = Some(RecordCipher::new(&suite, &k).ok_or(Stop::NoKey)?);
                    }
                    None => half.trial = true,
                }
            }
        }
        self.keyed = true;
        cx.stats.decrypted += 1;
        Ok(())
    }
}
