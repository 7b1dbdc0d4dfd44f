//! HEP over UDP: one blocking thread per socket, one datagram = one HEP packet.
//!
//! Datagrams are copied once from a stack buffer into a large shared chunk, so a capture's
//! payload is a slice of that chunk: no allocation per packet.

use crate::hep_input::capture_from_frame;
use crate::ingest::IngestHandle;
use bytes::BytesMut;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::thread::JoinHandle;

/// Bytes allocated at a time for received datagrams.
const CHUNK: usize = 4 << 20;
/// Kernel receive buffer asked for: absorbs bursts while the writer commits a batch and
/// while this thread waits for a core. 128 MiB holds ≈300 ms of 200k msg/s (an skb of a
/// 400-byte datagram takes ≈2 KiB); with 32 MiB, 60 s runs at 200k msg/s on a 2-core
/// machine lost 0–1% to scheduling stalls (docs/PERFORMANCE.md). Memory is only used
/// while datagrams wait.
const RCVBUF: usize = 128 << 20;

/// Binds `addr` and starts the receive thread. Returns the bound address (port 0 picks one).
pub fn spawn(
    addr: SocketAddr,
    ingest: IngestHandle,
    auth_key: Option<Arc<[u8]>>,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let sock = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    let _ = sock.set_recv_buffer_size(RCVBUF);
    // Linux caps the buffer at net.core.rmem_max (and reports double what it grants).
    if let Ok(got) = sock.recv_buffer_size() {
        if got < RCVBUF {
            eprintln!(
                "argos: warning: HEP UDP receive buffer is {} KiB, not the {} MiB asked for; \
                 bursts may be dropped by the kernel (counted as reason=\"kernel_rcvbuf\"). \
                 Raise it with: sysctl -w net.core.rmem_max={RCVBUF}",
                got / 1024,
                RCVBUF >> 20
            );
        }
    }
    sock.set_reuse_address(true)?;
    sock.bind(&addr.into())?;
    let sock: UdpSocket = sock.into();
    let local = sock.local_addr()?;
    ingest.metrics().watch_udp_port(local.port());
    let join = std::thread::Builder::new()
        .name(format!("argos-hep-udp-{}", local.port()))
        .spawn(move || recv_loop(sock, ingest, auth_key))?;
    Ok((local, join))
}

fn recv_loop(sock: UdpSocket, ingest: IngestHandle, auth_key: Option<Arc<[u8]>>) {
    let metrics = ingest.metrics().clone();
    let mut buf = vec![0u8; 65_536];
    let mut chunk = BytesMut::with_capacity(CHUNK);
    loop {
        let n = match sock.recv_from(&mut buf) {
            Ok((n, _peer)) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::error!(error = %e, "HEP UDP receive failed; listener stops");
                return;
            }
        };
        metrics.hep_udp_received.fetch_add(1, Relaxed);
        if chunk.capacity() - chunk.len() < n {
            chunk = BytesMut::with_capacity(CHUNK.max(n));
        }
        chunk.extend_from_slice(&buf[..n]);
        let frame = chunk.split().freeze();
        if let Some(c) = capture_from_frame(&frame, auth_key.as_deref(), &metrics) {
            ingest.forward(&frame);
            ingest.submit(c);
        }
    }
}
