//! SIP over TLS decrypted from a capture with a key log, against real peers: OpenSSL's
//! s_client (writing the NSS key log) and s_server exchange SIP over TLS 1.3 and TLS 1.2
//! (ECDHE with AES-GCM and ChaCha20-Poly1305) on loopback, dumpcap captures it, and
//! `argos import --tls-keylog` must find exactly the SIP messages tshark finds with the
//! same key log (`-o tls.keylog_file:`; tshark needs a decode-as `tls.port==P,sip` for
//! ports other than 5061).

mod util;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use util::{argos, free_port, have};

/// One TLS session: the OpenSSL options that pick its version and suite.
struct Session {
    name: &'static str,
    opts: &'static [&'static str],
}

const SESSIONS: &[Session] = &[
    Session {
        name: "tls13-aes256gcm",
        opts: &["-tls1_3"],
    },
    Session {
        name: "tls13-chacha20",
        opts: &["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
    },
    Session {
        name: "tls12-ecdhe-aes128gcm",
        opts: &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
    },
    Session {
        name: "tls12-ecdhe-chacha20",
        opts: &["-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"],
    },
];

fn request(method: &str, call_id: &str, cseq: u32, body: &str) -> String {
    format!(
        "{method} sip:bob@example.test SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK{cseq}{call_id}\r\nFrom: <sip:alice@example.test>;tag=a1\r\nTo: <sip:bob@example.test>\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn response(code: &str, call_id: &str) -> String {
    format!(
        "SIP/2.0 {code}\r\nVia: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK1{call_id}\r\nFrom: <sip:alice@example.test>;tag=a1\r\nTo: <sip:bob@example.test>;tag=b2\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    )
}

/// Runs s_server and s_client for one session; the client appends its secrets to `keylog`.
fn run_session(dir: &Path, port: u16, s: &Session, keylog: &Path) {
    let cid = format!("{}@tls.test", s.name);
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let to_server = format!(
        "{}{}",
        request("INVITE", &cid, 1, sdp),
        request("ACK", &cid, 1, "")
    );
    let to_client = format!(
        "{}{}",
        response("100 Trying", &cid),
        response("200 OK", &cid)
    );
    let (req, resp) = (
        dir.join(format!("{port}.req")),
        dir.join(format!("{port}.resp")),
    );
    std::fs::write(&req, to_server).expect("write");
    std::fs::write(&resp, to_client).expect("write");
    let opts = s.opts.join(" ");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    // The server answers a second after it starts (the client is connected by then) and
    // both ends stay up long enough for every record to cross.
    let server = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "(sleep 1; cat '{}'; sleep 2) | timeout 6 openssl s_server -accept 127.0.0.1:{port} -cert '{}' -key '{}' -quiet {opts}",
            resp.display(),
            cert.display(),
            key.display()
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server");
    std::thread::sleep(Duration::from_millis(500));
    let client = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "(cat '{}'; sleep 3) | timeout 6 openssl s_client -connect 127.0.0.1:{port} -keylogfile '{}.part' -quiet {opts} && cat '{}.part' >> '{}'",
            req.display(),
            keylog.display(),
            keylog.display(),
            keylog.display()
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl s_client");
    let _ = client;
    let mut server = server;
    let _ = server.wait();
    // s_client exits non-zero when s_server closes first; the key log is what matters.
    if let Ok(k) = std::fs::read(format!("{}.part", keylog.display())) {
        let mut all = std::fs::read(keylog).unwrap_or_default();
        if !all.ends_with(&k) {
            all.extend_from_slice(&k);
            std::fs::write(keylog, all).expect("write key log");
        }
        let _ = std::fs::remove_file(format!("{}.part", keylog.display()));
    }
}

fn tshark_per_call(pcap: &Path, keylog: &Path, ports: &[u16]) -> BTreeMap<String, usize> {
    let mut extra = vec![
        "-o".to_string(),
        format!("tls.keylog_file:{}", keylog.display()),
    ];
    for p in ports {
        extra.push("-d".to_string());
        extra.push(format!("tls.port=={p},sip"));
    }
    util::tshark_sip_per_call_with(pcap, &extra)
}

fn stored_per_call(data: &Path) -> BTreeMap<String, (usize, String)> {
    let out = argos(&["search", "--data", data.to_str().expect("utf8"), "--json"]);
    let mut m: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        if let Some(cid) = v["call_id"].as_str() {
            let e = m.entry(cid.to_owned()).or_default();
            e.0 += 1;
            e.1 = v["transport"].as_str().unwrap_or("").to_owned();
        }
    }
    m
}

#[test]
fn sip_over_tls_is_decrypted_like_tshark_does() {
    if !(have("openssl") && have("dumpcap") && have("tshark")) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let ok = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=sip.tls.test"])
        .arg("-keyout")
        .arg(d.join("key.pem"))
        .arg("-out")
        .arg(d.join("cert.pem"))
        .stderr(Stdio::null())
        .status()
        .expect("openssl req");
    assert!(ok.success());
    let ports: Vec<u16> = SESSIONS.iter().map(|_| free_port()).collect();
    let pcap = d.join("tls.pcapng");
    let filter = ports
        .iter()
        .map(|p| format!("tcp port {p}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let mut dumpcap = match Command::new("dumpcap")
        .args(["-i", "lo", "-q", "-f", &filter, "-w"])
        .arg(&pcap)
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("SKIP: dumpcap cannot capture on lo: {e}");
            return;
        }
    };
    // dumpcap creates the file once it captures.
    let t0 = Instant::now();
    while !pcap.exists() && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    if !pcap.exists() {
        let _ = dumpcap.kill();
        eprintln!("SKIP: dumpcap did not start capturing on lo (needs root or CAP_NET_RAW)");
        return;
    }
    std::thread::sleep(Duration::from_millis(500));
    let keylog = d.join("keys.log");
    for (s, port) in SESSIONS.iter().zip(&ports) {
        run_session(d, *port, s, &keylog);
    }
    std::thread::sleep(Duration::from_millis(500));
    let _ = Command::new("kill")
        .args(["-INT", &dumpcap.id().to_string()])
        .status();
    let _ = dumpcap.wait();

    let want = tshark_per_call(&pcap, &keylog, &ports);
    assert_eq!(
        want.len(),
        SESSIONS.len(),
        "tshark decrypts every session: {want:?}"
    );
    assert!(want.values().all(|n| *n == 4), "{want:?}");

    let data = d.join("data");
    let out = argos(&[
        "import",
        "-q",
        "--data",
        data.to_str().expect("utf8"),
        "--tls-keylog",
        keylog.to_str().expect("utf8"),
        pcap.to_str().expect("utf8"),
    ]);
    assert!(
        out.contains(&format!(
            "TLS: {n} connections, {n} decrypted",
            n = SESSIONS.len()
        )),
        "{out}"
    );
    let got = stored_per_call(&data);
    let got_counts: BTreeMap<String, usize> = got.iter().map(|(k, v)| (k.clone(), v.0)).collect();
    assert_eq!(got_counts, want, "per-Call-ID messages equal tshark's");
    assert!(got.values().all(|v| v.1 == "tls"), "{got:?}");

    // Without the key log nothing is taken for SIP.
    let plain = d.join("plain");
    let out = argos(&[
        "import",
        "-q",
        "--data",
        plain.to_str().expect("utf8"),
        pcap.to_str().expect("utf8"),
    ]);
    assert!(out.contains(" 0 SIP messages stored"), "{out}");

    // argos grep reads the same way and reports the dialogs.
    let out = Command::new(util::bin())
        .args(["grep", "-G", "--tls-keylog"])
        .arg(&keylog)
        .args(["INVITE"])
        .arg(&pcap)
        .output()
        .expect("argos grep");
    let text = String::from_utf8_lossy(&out.stdout);
    for s in SESSIONS {
        assert!(text.contains(&format!("{}@tls.test", s.name)), "{text}");
    }
}
