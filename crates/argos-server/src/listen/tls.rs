//! HEP over TLS: the TCP listener's framing ([`super::tcp::read_frames`]) over a rustls
//! session. Each connection is one tokio task; its handshake has a deadline, so a client
//! that stalls mid-handshake holds only its own task, never the accept loop.

use crate::ingest::IngestHandle;
use anyhow::Context;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// Longest a client may take to complete the TLS handshake before it is dropped and counted
/// as a handshake failure.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Server configuration from a PEM certificate chain and a PEM private key (PKCS#8, PKCS#1
/// or SEC1).
pub fn load_config(cert: &Path, key: &Path) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let certs = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading TLS certificate {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing TLS certificate {}", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("no PEM certificate found in {}", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("reading TLS private key {} (PEM)", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("TLS certificate and private key do not form a usable pair")?;
    Ok(Arc::new(cfg))
}

/// Binds `addr` and accepts TLS connections on the current tokio runtime.
pub async fn spawn(
    addr: SocketAddr,
    tls: Arc<rustls::ServerConfig>,
    ingest: IngestHandle,
    auth_key: Option<Arc<[u8]>>,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let acceptor = TlsAcceptor::from(tls);
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    ingest.metrics().tls_connections.fetch_add(1, Relaxed);
                    let ingest = ingest.clone();
                    let key = auth_key.clone();
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        let _ = stream.set_nodelay(true);
                        let metrics = ingest.metrics().clone();
                        let tls =
                            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream))
                                .await
                            {
                                Ok(Ok(tls)) => tls,
                                Ok(Err(e)) => {
                                    metrics.tls_handshake_failures.fetch_add(1, Relaxed);
                                    tracing::debug!(%peer, error = %e, "HEP TLS handshake failed");
                                    return;
                                }
                                Err(_) => {
                                    metrics.tls_handshake_failures.fetch_add(1, Relaxed);
                                    tracing::debug!(%peer, "HEP TLS handshake timed out");
                                    return;
                                }
                            };
                        let res = super::tcp::read_frames(
                            tls,
                            &ingest,
                            key.as_deref(),
                            &metrics.hep_tls_received,
                        )
                        .await;
                        if let Err(e) = res {
                            tracing::debug!(%peer, error = %e, "HEP TLS connection ended");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "HEP TLS accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    });
    Ok(local)
}
