//! HEP over TLS (`argos serve --hep-tls`): the real binary, a self-signed certificate made
//! with `openssl req`, and a rustls client trusting it.

mod util;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use util::*;

/// `argos serve` with a HEP TLS listener on its own port; returns the server, that port and
/// the certificate file.
fn start_tls(dir: &Path) -> Option<(Server, u16, PathBuf)> {
    let (cert, key) = make_cert(dir)?;
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let s = Server::start(&[
        "--hep-tls",
        &addr,
        "--tls-cert",
        cert.to_str().expect("utf-8"),
        "--tls-key",
        key.to_str().expect("utf-8"),
    ]);
    Some((s, port, cert))
}

fn client_config(cert: &Path) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(cert).expect("read cert") {
        roots.add(c.expect("cert")).expect("add root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(cfg)
}

type TlsStream = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

fn tls_connect(port: u16, cert: &Path) -> TlsStream {
    let conn = rustls::ClientConnection::new(
        client_config(cert),
        ServerName::try_from("localhost").expect("name"),
    )
    .expect("client connection");
    let sock = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut tls = rustls::StreamOwned::new(conn, sock);
    // Drive the handshake to completion so a failure shows here, not as a silent drop.
    while tls.conn.is_handshaking() {
        tls.conn
            .complete_io(&mut tls.sock)
            .expect("TLS handshake with argos");
    }
    tls
}

/// The seven messages of an answered call, each as a HEPv3 frame.
fn call_frames(call_id: &str) -> Vec<Vec<u8>> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as u32;
    let hdr = |first: &str, cseq: &str| {
        format!(
            "{first}\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-{cseq_n}\r\n\
             From: <sip:1001@a.example>;tag=caller\r\nTo: <sip:2002@b.example>;tag=callee\r\n\
             Call-ID: {call_id}\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n",
            cseq_n = cseq.replace(' ', "-")
        )
    };
    let msgs: [(bool, String); 7] = [
        (true, hdr("INVITE sip:2002@b.example SIP/2.0", "1 INVITE")),
        (false, hdr("SIP/2.0 100 Trying", "1 INVITE")),
        (false, hdr("SIP/2.0 180 Ringing", "1 INVITE")),
        (false, hdr("SIP/2.0 200 OK", "1 INVITE")),
        (true, hdr("ACK sip:2002@b.example SIP/2.0", "1 ACK")),
        (true, hdr("BYE sip:2002@b.example SIP/2.0", "2 BYE")),
        (false, hdr("SIP/2.0 200 OK", "2 BYE")),
    ];
    let (a, b) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    msgs.iter()
        .enumerate()
        .map(|(i, (from_caller, sip))| {
            let (src, dst) = if *from_caller { (a, b) } else { (b, a) };
            let pkt = argos_hep::HepPacket {
                src_ip: src.into(),
                dst_ip: dst.into(),
                src_port: 5060,
                dst_port: 5060,
                ts_sec: now,
                ts_usec: i as u32 * 1000,
                payload: sip.as_bytes().to_vec().into(),
                ..Default::default()
            };
            let mut out = Vec::new();
            argos_hep::encode_v3(&pkt, &mut out);
            out
        })
        .collect()
}

/// Sends a call over `tls` (the frames split across writes at odd offsets) and waits until
/// all seven messages are stored under its Call-ID.
fn send_call_and_wait(s: &Server, tls: &mut TlsStream, call_id: &str) -> serde_json::Value {
    let wire: Vec<u8> = call_frames(call_id).concat();
    for piece in wire.chunks(333) {
        tls.write_all(piece).expect("TLS write");
        tls.flush().expect("flush");
    }
    s.wait_for(Duration::from_secs(5), |s| {
        let (st, body) = s.get(&format!("/api/v1/calls/{}", urlencode(call_id)));
        let d: serde_json::Value = serde_json::from_slice(&body).ok()?;
        (st == 200 && d["messages"].as_array().map(Vec::len) == Some(7)).then_some(d)
    })
    .unwrap_or_else(|| panic!("call {call_id} not stored with 7 messages: {}", s.metrics()))
}

#[test]
fn hep_over_tls_is_stored_and_searchable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((s, port, cert)) = start_tls(dir.path()) else {
        return;
    };
    let listed = format!("hep+tls://127.0.0.1:{port}");
    assert!(
        s.banner.iter().any(|l| l.contains(&listed)),
        "banner lists the TLS listener: {:?}",
        s.banner
    );
    let mut tls = tls_connect(port, &cert);
    let d = send_call_and_wait(&s, &mut tls, "tls-call-1@argos");
    assert!(d["messages"][0]["raw"]
        .as_str()
        .is_some_and(|r| r.starts_with("INVITE ")));
    // Searchable like any other call.
    let calls = s.get_json("/api/v1/calls?from_user=1001&limit=10");
    let calls = calls["calls"].as_array().cloned().unwrap_or_default();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["messages"], 7);
    assert_eq!(calls[0]["status"], 200);
    let bye = s.get_json("/api/v1/messages?method=BYE&limit=10");
    assert_eq!(bye["count"], 1, "{bye}");
    assert_eq!(
        s.metric("argos_hep_packets_received_total{transport=\"tls\"}"),
        7.0
    );
    assert_eq!(
        s.metric("argos_hep_packets_received_total{transport=\"tcp\"}"),
        0.0
    );
    assert_eq!(s.metric("argos_tls_connections_total"), 1.0);
    assert_eq!(s.metric("argos_tls_handshake_failures_total"), 0.0);
    // The session stays usable: a second call on the same connection.
    send_call_and_wait(&s, &mut tls, "tls-call-2@argos");
    assert_eq!(
        s.metric("argos_hep_packets_received_total{transport=\"tls\"}"),
        14.0
    );
}

#[test]
fn plain_tcp_and_stalled_handshakes_neither_crash_nor_block_the_tls_listener() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((mut s, port, cert)) = start_tls(dir.path()) else {
        return;
    };
    // A client that stalls mid-handshake: half a real ClientHello, then silence (held open).
    let mut hello = Vec::new();
    let mut c = rustls::ClientConnection::new(
        client_config(&cert),
        ServerName::try_from("localhost").expect("name"),
    )
    .expect("client connection");
    c.write_tls(&mut hello).expect("client hello");
    let mut stalled = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stalled
        .write_all(&hello[..hello.len() / 2])
        .expect("half hello");
    // Another that connects and sends nothing at all.
    let _silent = TcpStream::connect(("127.0.0.1", port)).expect("connect");

    // A plain HEP-over-TCP sender pointed at the TLS port: refused, counted, closed.
    let mut plain = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    plain
        .write_all(&call_frames("plain-on-tls@argos").concat())
        .expect("write");
    plain
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut sink = Vec::new();
    let _ = plain.read_to_end(&mut sink); // the server answers with an alert or closes
    assert!(
        s.wait_for(Duration::from_secs(5), |s| {
            (s.metric("argos_tls_handshake_failures_total") >= 1.0).then_some(())
        })
        .is_some(),
        "plain TCP on the TLS port counted as a handshake failure: {}",
        s.metrics()
    );

    // Meanwhile a real TLS client gets through at once, stalled peers notwithstanding.
    let t0 = Instant::now();
    let mut tls = tls_connect(port, &cert);
    assert!(
        t0.elapsed() < Duration::from_secs(3),
        "handshake waited {:?} behind stalled clients",
        t0.elapsed()
    );
    send_call_and_wait(&s, &mut tls, "tls-after-garbage@argos");
    assert!(s.alive(), "server died");
    // Nothing of the plain sender was taken as HEP.
    let (st, _) = s.get("/api/v1/calls/plain-on-tls%40argos");
    assert_eq!(st, 404, "plain TCP bytes must not be ingested");
    assert_eq!(
        s.metric("argos_hep_packets_received_total{transport=\"tls\"}"),
        7.0
    );
    assert!(s.metric("argos_tls_connections_total") >= 4.0);
    drop(stalled);
}

#[test]
fn hep_tls_without_cert_and_key_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let run = |extra: &[&str]| {
        let out = Command::new(bin())
            .args(["serve", "--data"])
            .arg(dir.path())
            .args(["--hep-udp", &addr, "--hep-tcp", &addr, "--http", &addr])
            .args(["--hep-tls", &addr])
            .args(extra)
            .output()
            .expect("run argos");
        assert!(!out.status.success(), "serve must refuse {extra:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = run(&[]);
    assert!(
        err.contains("--tls-cert") && err.contains("--tls-key"),
        "message names the missing flags: {err}"
    );
    let err = run(&["--tls-cert", "/nonexistent/cert.pem"]);
    assert!(err.contains("--tls-key"), "{err}");
    let missing = dir.path().join("missing.pem");
    let missing = missing.to_str().expect("utf-8");
    let err = run(&["--tls-cert", missing, "--tls-key", missing]);
    assert!(
        err.contains("missing.pem"),
        "names the unreadable file: {err}"
    );
}
