//! One collector connection: connect (UDP, TCP, TLS), write, reconnect with backoff, and
//! hold what cannot be sent now — in memory up to a count, then in the disk spool.

use crate::spool::Spool;
use crate::tls::TlsStream;
use crate::{AgentConfig, CollectorStats, Proto, Target};
use rustls::ClientConfig;
use std::collections::VecDeque;
use std::io::Write;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Linux ENOBUFS: the kernel's send queue is full for now.
const ENOBUFS: i32 = 105;

enum Conn {
    Udp(UdpSocket),
    Tcp(TcpStream),
    Tls(Box<TlsStream>),
}

pub(crate) struct Link {
    target: Target,
    conn: Option<Conn>,
    /// TLS client settings (TLS targets), or why they could not be made.
    tls: Option<Result<Arc<ClientConfig>, String>>,
    /// Oldest waiting packets, in memory.
    buffer: VecDeque<Vec<u8>>,
    cap: usize,
    /// Newer waiting packets, on disk (stream targets with `--spool`).
    spool: Option<Spool>,
    next_attempt: Instant,
    backoff: Duration,
    io_timeout: Duration,
    connected_once: bool,
    stats: CollectorStats,
}

impl Link {
    pub(crate) fn new(
        target: Target,
        cfg: &AgentConfig,
        tls: Option<Result<Arc<ClientConfig>, String>>,
        spool: Option<Result<Spool, String>>,
    ) -> Link {
        let mut stats = CollectorStats {
            target: target.to_string(),
            ..Default::default()
        };
        let spool = match spool {
            Some(Ok(s)) => Some(s),
            Some(Err(e)) => {
                stats.last_error = Some(e);
                None
            }
            None => None,
        };
        Link {
            stats,
            target,
            conn: None,
            tls,
            buffer: VecDeque::new(),
            cap: cfg.buffer_packets,
            spool,
            next_attempt: Instant::now(),
            backoff: cfg.backoff_min,
            io_timeout: cfg.io_timeout,
            connected_once: false,
        }
    }

    pub(crate) fn next_attempt(&self) -> Instant {
        self.next_attempt
    }

    pub(crate) fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Packets wait in memory or on disk.
    pub(crate) fn has_backlog(&self) -> bool {
        !self.buffer.is_empty() || self.spool.as_ref().is_some_and(|s| !s.is_empty())
    }

    /// True when the link can take a packet now: connected (connecting if due) and with
    /// nothing waiting (sending what waits first: memory, then spool).
    pub(crate) fn ready(&mut self, cfg: &AgentConfig) -> bool {
        if self.conn.is_none() {
            let now = Instant::now();
            if now < self.next_attempt {
                return false;
            }
            match self.connect(cfg) {
                Ok(c) => {
                    self.conn = Some(c);
                    if self.connected_once {
                        self.stats.reconnects += 1;
                    }
                    self.connected_once = true;
                    self.backoff = cfg.backoff_min;
                }
                Err(e) => {
                    self.stats.errors += 1;
                    self.stats.last_error = Some(format!("connect: {e}"));
                    self.next_attempt = now + self.backoff;
                    self.backoff = (self.backoff * 2).min(cfg.backoff_max);
                    return false;
                }
            }
        }
        while let Some(p) = self.buffer.pop_front() {
            if !self.write(&p, cfg) {
                self.buffer.push_front(p);
                return false;
            }
        }
        if let Some(mut spool) = self.spool.take() {
            let mut ok = true;
            while let Some(p) = spool.front() {
                let p = p.to_vec();
                if !self.write(&p, cfg) {
                    ok = false;
                    break;
                }
                spool.advance();
            }
            self.spool = Some(spool);
            if !ok {
                return false;
            }
        }
        true
    }

    fn connect(&self, cfg: &AgentConfig) -> std::io::Result<Conn> {
        let addr = self.target.resolve()?;
        Ok(match self.target.proto {
            Proto::Udp => {
                let bind: SocketAddr = if addr.is_ipv4() {
                    ([0u8; 4], 0).into()
                } else {
                    (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
                };
                let s = UdpSocket::bind(bind)?;
                s.connect(addr)?;
                Conn::Udp(s)
            }
            Proto::Tcp => Conn::Tcp(tcp_connect(addr, cfg)?),
            Proto::Tls => {
                let tls = match &self.tls {
                    Some(Ok(c)) => c,
                    Some(Err(e)) => return Err(std::io::Error::other(e.clone())),
                    None => return Err(std::io::Error::other("TLS is not set up")),
                };
                let sock = tcp_connect(addr, cfg)?;
                // The handshake reads: bound it like writes.
                sock.set_read_timeout(Some(cfg.io_timeout))?;
                Conn::Tls(Box::new(crate::tls::connect(
                    tls,
                    self.target.host(),
                    sock,
                )?))
            }
        })
    }

    /// Writes one packet on a connected link; false (and the link down) on a TCP/TLS
    /// error. A UDP error drops the packet (counted) but keeps the link.
    pub(crate) fn write(&mut self, pkt: &[u8], cfg: &AgentConfig) -> bool {
        let res = match &mut self.conn {
            Some(Conn::Udp(s)) => {
                if !udp_send(s, pkt) {
                    self.stats.errors += 1;
                    self.stats.dropped += 1;
                    self.stats.dropped_send_error += 1;
                    return true;
                }
                Ok(())
            }
            Some(Conn::Tcp(s)) => s.write_all(pkt),
            Some(Conn::Tls(s)) => s.write_all(pkt),
            None => return false,
        };
        if let Err(e) = res {
            self.stats.errors += 1;
            self.stats.last_error = Some(format!("write: {e}"));
            self.conn = None;
            self.next_attempt = Instant::now() + self.backoff;
            self.backoff = (self.backoff * 2).min(cfg.backoff_max);
            return false;
        }
        self.stats.sent += 1;
        self.stats.bytes += pkt.len() as u64;
        true
    }

    /// Sends now or keeps for later (TCP/TLS down); true when sent.
    pub(crate) fn deliver(&mut self, pkt: &[u8], cfg: &AgentConfig) -> bool {
        if self.ready(cfg) && self.write(pkt, cfg) {
            return true;
        }
        self.enqueue(pkt);
        false
    }

    /// Keeps a packet for later: in memory while there is room and nothing is spooled
    /// (so order holds), else in the spool; dropped and counted when neither takes it.
    pub(crate) fn enqueue(&mut self, pkt: &[u8]) {
        let spooling = self.spool.as_ref().is_some_and(|s| !s.is_empty());
        if !spooling && self.buffer.len() < self.cap {
            self.buffer.push_back(pkt.to_vec());
            self.stats.buffered_max = self.stats.buffered_max.max(self.buffer.len() as u64);
            return;
        }
        match &mut self.spool {
            Some(s) => {
                if !s.push(pkt) {
                    self.stats.dropped += 1;
                    self.stats.dropped_spool_full += 1;
                }
            }
            None => {
                self.stats.dropped += 1;
                self.stats.dropped_buffer_full += 1;
            }
        }
    }

    /// Closes the connection; what is still in memory goes to the spool or is dropped.
    /// The counts so far (a collector relaying for a long time reports them as it goes).
    pub(crate) fn stats(&self) -> CollectorStats {
        self.stats.clone()
    }

    pub(crate) fn close(mut self) -> CollectorStats {
        let left: Vec<Vec<u8>> = self.buffer.drain(..).collect();
        for p in left {
            let kept = self.spool.as_mut().is_some_and(|s| s.push(&p));
            if !kept {
                self.stats.dropped += 1;
                self.stats.dropped_at_exit += 1;
            }
        }
        match self.conn.take() {
            Some(Conn::Tcp(mut s)) => {
                let _ = s.flush();
                let _ = s.shutdown(std::net::Shutdown::Write);
            }
            Some(Conn::Tls(mut s)) => {
                let _ = s.flush();
                s.conn.send_close_notify();
                let _ = s.conn.complete_io(&mut s.sock);
                let _ = s.sock.shutdown(std::net::Shutdown::Write);
                // The server sent things we never read (TLS 1.3 session tickets): closing
                // with unread data makes the kernel send a RST, and the server's kernel
                // then discards what its application has not read yet. Read to the
                // server's close first.
                drain_until_eof(&mut s.sock, self.io_timeout);
            }
            _ => {}
        }
        self.stats.spool = self.spool.map(Spool::close);
        self.stats
    }
}

/// Reads and discards until EOF, an error, or `timeout`.
fn drain_until_eof(sock: &mut TcpStream, timeout: Duration) {
    use std::io::Read;
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 4096];
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if left.is_zero() || sock.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match sock.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

fn tcp_connect(addr: SocketAddr, cfg: &AgentConfig) -> std::io::Result<TcpStream> {
    let s = TcpStream::connect_timeout(&addr, cfg.io_timeout)?;
    s.set_write_timeout(Some(cfg.io_timeout))?;
    s.set_nodelay(true)?;
    Ok(s)
}

/// Sends one datagram; false when it could not be sent.
fn udp_send(s: &UdpSocket, pkt: &[u8]) -> bool {
    let mut tries = 0;
    loop {
        tries += 1;
        match s.send(pkt) {
            Ok(_) => return true,
            // ICMP refusal of an earlier datagram (nobody listening yet): retry.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused && tries < 3 => {}
            // The kernel queue is full; back off briefly.
            Err(e) if e.raw_os_error() == Some(ENOBUFS) && tries < 1000 => {
                std::thread::sleep(Duration::from_micros(50));
            }
            Err(_) => return false,
        }
    }
}
