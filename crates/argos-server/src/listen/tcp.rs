//! HEP over TCP: a stream carries many HEP packets back to back, and a packet may be split
//! across reads. Each connection is one tokio task with its own bounded buffer.
//! [`read_frames`] is the framing loop over any byte stream; the TLS listener reuses it.

use crate::hep_input::capture_from_frame;
use crate::ingest::IngestHandle;
use crate::metrics::DropReason;
use bytes::BytesMut;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, TcpStream};

/// Binds `addr` and accepts connections on the current tokio runtime.
pub async fn spawn(
    addr: SocketAddr,
    ingest: IngestHandle,
    auth_key: Option<Arc<[u8]>>,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    ingest.metrics().tcp_connections.fetch_add(1, Relaxed);
                    let ingest = ingest.clone();
                    let key = auth_key.clone();
                    tokio::spawn(async move {
                        if let Err(e) = serve_conn(stream, &ingest, key.as_deref()).await {
                            tracing::debug!(%peer, error = %e, "HEP TCP connection ended");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "HEP TCP accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    });
    Ok(local)
}

/// Reads HEP frames from one TCP connection until it closes.
async fn serve_conn(
    stream: TcpStream,
    ingest: &IngestHandle,
    auth_key: Option<&[u8]>,
) -> std::io::Result<()> {
    let metrics = ingest.metrics().clone();
    read_frames(stream, ingest, auth_key, &metrics.hep_tcp_received).await
}

/// Frames HEP packets out of any byte stream (plain TCP, TLS...) and submits them, counting
/// each frame in `received`. Returns at end of stream or on bytes that cannot be framed.
pub(crate) async fn read_frames<S: AsyncRead + Unpin>(
    mut stream: S,
    ingest: &IngestHandle,
    auth_key: Option<&[u8]>,
    received: &AtomicU64,
) -> std::io::Result<()> {
    let metrics = ingest.metrics().clone();
    let mut buf = BytesMut::with_capacity(256 * 1024);
    loop {
        if buf.capacity() - buf.len() < 65_536 {
            buf.reserve(256 * 1024);
        }
        if stream.read_buf(&mut buf).await? == 0 {
            return Ok(());
        }
        loop {
            match argos_hep::frame_len(&buf) {
                Ok(Some(n)) if n <= buf.len() => {
                    received.fetch_add(1, Relaxed);
                    let frame = buf.split_to(n).freeze();
                    if let Some(c) = capture_from_frame(&frame, auth_key, &metrics) {
                        ingest.forward(&frame);
                        ingest.submit(c);
                    }
                }
                Ok(_) => break,
                Err(e) => {
                    // A byte stream we cannot frame cannot be resynchronised safely: close it.
                    metrics.drop_detail(DropReason::TcpFraming, "hep", e.reason());
                    return Ok(());
                }
            }
        }
    }
}
