//! What `argos grep --hep` and `argos tui --hep` share: a UDP socket that takes HEP from
//! agents, and the stop flag of live input (Ctrl-C, or a timeout).

use anyhow::Context;
use argos_model::Capture;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Agents send bursts (sngrep -I replays a file at once): the default receive buffer
/// (~200 KiB) overflows before the reading thread gets to it. Capped by net.core.rmem_max.
const HEP_RCVBUF: usize = 32 << 20;

/// A HEP-over-UDP listen socket.
pub struct HepListener {
    sock: std::net::UdpSocket,
    buf: Vec<u8>,
    metrics: argos_server::metrics::Metrics,
    /// Datagrams received, and those that were not HEP.
    pub packets: u64,
    pub rejected: u64,
}

impl HepListener {
    /// Binds `spec` = `udp:HOST:PORT`.
    pub fn bind(spec: &str) -> anyhow::Result<HepListener> {
        let addr = spec
            .strip_prefix("udp:")
            .with_context(|| format!("--hep {spec}: expected udp:HOST:PORT"))?;
        let sock = std::net::UdpSocket::bind(addr)
            .with_context(|| format!("--hep: listening on {addr}"))?;
        let sock = socket2::Socket::from(sock);
        let _ = sock.set_recv_buffer_size(HEP_RCVBUF);
        let sock = std::net::UdpSocket::from(sock);
        // Wake up now and then to see the stop flag.
        sock.set_read_timeout(Some(Duration::from_millis(200)))?;
        Ok(HepListener {
            sock,
            buf: vec![0u8; 65_536],
            metrics: argos_server::metrics::Metrics::default(),
            packets: 0,
            rejected: 0,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.sock.local_addr()
    }

    /// The next decoded HEP packet, or `None` once `stop` is set. Packets that are not
    /// HEP are counted in `rejected` and skipped.
    pub fn next(&mut self, stop: &AtomicBool) -> anyhow::Result<Option<Capture>> {
        while !stop.load(Ordering::Relaxed) {
            let n = match self.sock.recv_from(&mut self.buf) {
                Ok((n, _)) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::Interrupted
                    ) =>
                {
                    continue
                }
                Err(e) => return Err(e).context("--hep: receiving"),
            };
            self.packets += 1;
            let frame = bytes::Bytes::copy_from_slice(self.buf.get(..n).unwrap_or_default());
            match argos_server::hep_input::capture_from_frame(&frame, None, &self.metrics) {
                Some(c) => return Ok(Some(c)),
                None => self.rejected += 1,
            }
        }
        Ok(None)
    }
}

/// A flag set on Ctrl-C and, with `timeout`, after that many seconds.
pub fn stop_flag(timeout: Option<u64>) -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    stop_on(&stop, timeout);
    stop
}

/// Sets `stop` on Ctrl-C and, with `timeout`, after that many seconds.
pub fn stop_on(stop: &Arc<AtomicBool>, timeout: Option<u64>) {
    let s = stop.clone();
    std::thread::spawn(move || {
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            let _ = rt.block_on(tokio::signal::ctrl_c());
            s.store(true, Ordering::SeqCst);
        }
    });
    if let Some(secs) = timeout {
        let s = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(secs));
            s.store(true, Ordering::SeqCst);
        });
    }
}
