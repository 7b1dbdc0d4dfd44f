//! HEP over TLS to a collector: a rustls client (ring, TLS 1.2 and 1.3) over a blocking
//! `TcpStream`, carrying exactly the byte stream of HEP over TCP.
//!
//! Trust, in order:
//! * `--tls-insecure` ([`TlsOptions::insecure`]): no certificate check at all (heplify's
//!   `-skipverify`); the caller warns.
//! * `--tls-ca FILE` ([`TlsOptions::ca_file`]): the PEM certificates in FILE, and only
//!   those (a private CA, or a self-signed collector certificate itself).
//! * Otherwise the system's CA bundle: `SSL_CERT_FILE`, or the first of the usual Linux
//!   bundle paths that exists (what `rustls-native-certs` reads on Linux). No bundle is
//!   compiled in: webpki-roots would freeze Mozilla's list into the binary and still not
//!   know a collector's private CA, which is the common case for HEP.
//!
//! The server name sent (SNI) and checked is the host of `tls:HOST:PORT`; an IP address
//! is checked against the certificate's IP SANs.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A TLS session to a collector.
pub type TlsStream = rustls::StreamOwned<ClientConnection, TcpStream>;

/// CA bundles tried, in order, when neither `--tls-ca` nor `--tls-insecure` is given.
pub const SYSTEM_CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// How the agent checks a collector's certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// PEM file of trusted certificates (CA or the collector's own).
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate.
    pub insecure: bool,
}

/// Why a TLS client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("--tls-ca {}: {reason}", path.display())]
    CaFile { path: PathBuf, reason: String },
    #[error(
        "no system CA bundle found (tried SSL_CERT_FILE and {}); give --tls-ca FILE or --tls-insecure",
        SYSTEM_CA_BUNDLES.join(", ")
    )]
    NoSystemRoots,
    #[error("TLS setup: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The rustls client configuration for these options.
pub fn client_config(opts: &TlsOptions) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let cfg = if opts.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
            .with_no_client_auth()
    } else {
        let roots = match &opts.ca_file {
            Some(path) => roots_from(path).map_err(|reason| TlsSetupError::CaFile {
                path: path.clone(),
                reason,
            })?,
            None => system_roots()?,
        };
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(Arc::new(cfg))
}

/// Connects, and completes the handshake so a refused certificate is an error here.
pub fn connect(cfg: &Arc<ClientConfig>, host: &str, sock: TcpStream) -> std::io::Result<TlsStream> {
    let name = server_name(host)?;
    let conn = ClientConnection::new(cfg.clone(), name).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, sock);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    Ok(tls)
}

/// The name to present and verify: the host part of `HOST:PORT` (brackets off an IPv6).
fn server_name(host: &str) -> std::io::Result<ServerName<'static>> {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(h.to_owned())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
}

fn roots_from(path: &Path) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    let iter = CertificateDer::pem_file_iter(path).map_err(|e| e.to_string())?;
    for cert in iter {
        let cert = cert.map_err(|e| e.to_string())?;
        roots.add(cert).map_err(|e| e.to_string())?;
    }
    if roots.is_empty() {
        return Err("no certificate in the file".into());
    }
    Ok(roots)
}

fn system_roots() -> Result<RootCertStore, TlsSetupError> {
    let env = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
    let candidates = env
        .into_iter()
        .chain(SYSTEM_CA_BUNDLES.iter().map(PathBuf::from));
    for path in candidates {
        if !path.is_file() {
            continue;
        }
        // A bundle may hold a certificate webpki rejects; keep the others.
        let mut roots = RootCertStore::empty();
        if let Ok(iter) = CertificateDer::pem_file_iter(&path) {
            for cert in iter.flatten() {
                let _ = roots.add(cert);
            }
        }
        if !roots.is_empty() {
            return Ok(roots);
        }
    }
    Err(TlsSetupError::NoSystemRoots)
}

/// `--tls-insecure`: accepts any certificate, but still checks the handshake signatures
/// (so the session is at least with the holder of the presented key).
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_ca_files_are_clear_errors() {
        let dir = tempfile::tempdir().expect("tmp");
        let missing = dir.path().join("missing.pem");
        let e = client_config(&TlsOptions {
            ca_file: Some(missing),
            insecure: false,
        })
        .expect_err("error");
        assert!(e.to_string().contains("missing.pem"), "{e}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("write");
        let e = client_config(&TlsOptions {
            ca_file: Some(empty),
            insecure: false,
        })
        .expect_err("error");
        assert!(e.to_string().contains("no certificate"), "{e}");
        assert!(client_config(&TlsOptions {
            ca_file: None,
            insecure: true,
        })
        .is_ok());
    }

    #[test]
    fn server_names_from_hosts() {
        assert!(matches!(
            server_name("collector.example").expect("dns"),
            ServerName::DnsName(_)
        ));
        assert!(matches!(
            server_name("127.0.0.1").expect("ip"),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            server_name("[::1]").expect("ip6"),
            ServerName::IpAddress(_)
        ));
    }
}
