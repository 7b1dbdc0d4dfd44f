//! Test harness: start the real `argos` binary, talk to it over real sockets.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const TOKEN: &str = "test-token-0123456789";
pub const PASSWORD: &str = "test-password";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_argos")
}

/// `../shared` beside the repository, if present.
pub fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    p.is_dir().then(|| p.canonicalize().unwrap_or(p))
}

/// A file under ../shared/testdata, or a SKIP message and None.
pub fn testdata(rel: &str) -> Option<PathBuf> {
    let p = shared()?.join("testdata").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIP: {} not found", p.display());
        None
    }
}

pub fn have(tool: &str) -> bool {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("SKIP: {tool} not installed (.ci/run installs it)");
    }
    ok
}

/// A port free for both UDP and TCP on 127.0.0.1.
pub fn free_port() -> u16 {
    for _ in 0..100 {
        let t = TcpListener::bind("127.0.0.1:0").expect("bind tcp");
        let port = t.local_addr().expect("addr").port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port")
}

/// A running `argos serve` with its own data directory and ports.
pub struct Server {
    pub child: Child,
    pub data: tempfile::TempDir,
    pub hep_port: u16,
    pub http: SocketAddr,
    pub banner: Vec<String>,
}

impl Server {
    pub fn start(extra: &[&str]) -> Server {
        let data = tempfile::tempdir().expect("tempdir");
        Self::start_in(data, extra)
    }

    /// Starts a server in `data`. Ports are probed free first, but another test may take
    /// one before the server binds it: a server that exits before it is ready is started
    /// again on new ports (three tries).
    pub fn start_in(data: tempfile::TempDir, extra: &[&str]) -> Server {
        let mut last = Vec::new();
        for _ in 0..3 {
            match Self::try_start(data.path(), extra) {
                Ok((child, hep_port, http, banner)) => {
                    return Server {
                        child,
                        data,
                        hep_port,
                        http,
                        banner,
                    }
                }
                Err(banner) => last = banner,
            }
        }
        panic!("server exited before ready three times: {last:?}");
    }

    fn try_start(
        data: &Path,
        extra: &[&str],
    ) -> Result<(Child, u16, SocketAddr, Vec<String>), Vec<String>> {
        let hep_port = free_port();
        let http_port = free_port();
        let hep = format!("127.0.0.1:{hep_port}");
        let http: SocketAddr = format!("127.0.0.1:{http_port}").parse().expect("addr");
        let mut child = Command::new(bin())
            .args(["serve", "--data"])
            .arg(data)
            .args([
                "--hep-udp",
                &hep,
                "--hep-tcp",
                &hep,
                "--http",
                &http.to_string(),
            ])
            .args(["--flush-ms", "100"])
            .args(extra)
            .env("ARGOS_ADMIN_PASSWORD", PASSWORD)
            .env("ARGOS_API_TOKEN", TOKEN)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start argos serve");
        let out = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(out).lines();
        let mut banner = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            assert!(
                Instant::now() < deadline,
                "server did not print ready: {banner:?}"
            );
            match lines.next() {
                Some(Ok(l)) => {
                    let done = l == "ready";
                    banner.push(l);
                    if done {
                        break;
                    }
                }
                _ => {
                    let _ = child.wait();
                    return Err(banner);
                }
            }
        }
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok((child, hep_port, http, banner))
    }

    /// `sngrep -I PCAP -H udp:...`: the capture's SIP sent to this server as HEP.
    pub fn replay_with_sngrep(&self, pcap: &Path) {
        let st = Command::new("timeout")
            .args(["60", "sngrep", "-I"])
            .arg(pcap)
            .args([
                "-H",
                &format!("udp:127.0.0.1:{}", self.hep_port),
                "-N",
                "-q",
            ])
            .status()
            .expect("sngrep");
        assert!(st.success(), "sngrep failed: {st}");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.http, path)
    }

    pub fn client() -> reqwest::blocking::Client {
        reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client")
    }

    /// GET with the API token; returns status and body.
    pub fn get(&self, path: &str) -> (u16, Vec<u8>) {
        let r = Self::client()
            .get(self.url(path))
            .bearer_auth(TOKEN)
            .send()
            .expect("GET");
        let s = r.status().as_u16();
        (s, r.bytes().expect("body").to_vec())
    }

    pub fn get_json(&self, path: &str) -> serde_json::Value {
        let (s, b) = self.get(path);
        assert_eq!(s, 200, "GET {path}: {}", String::from_utf8_lossy(&b));
        serde_json::from_slice(&b).expect("json")
    }

    pub fn metrics(&self) -> String {
        let r = Self::client()
            .get(self.url("/metrics"))
            .send()
            .expect("metrics");
        r.text().expect("text")
    }

    /// Value of one metric series line (`name{labels}`), 0 if absent.
    pub fn metric(&self, series: &str) -> f64 {
        self.metrics()
            .lines()
            .find_map(|l| l.strip_prefix(series).and_then(|r| r.trim().parse().ok()))
            .unwrap_or(0.0)
    }

    /// Polls `f` until it returns Some or the timeout passes.
    pub fn wait_for<T>(
        &self,
        timeout: Duration,
        mut f: impl FnMut(&Server) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = f(self) {
                return Some(v);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILLs the server (no chance to flush) and hands back its data directory.
    pub fn kill_9(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::replace(&mut self.data, tempfile::tempdir().expect("tempdir"))
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `argos ARGS...` to completion, returning stdout; panics with stderr on failure.
pub fn argos(args: &[&str]) -> String {
    let out = Command::new(bin()).args(args).output().expect("run argos");
    assert!(
        out.status.success(),
        "argos {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// tshark's SIP messages per Call-ID (a frame carrying several messages counts each).
pub fn tshark_sip_per_call(pcap: &Path) -> std::collections::BTreeMap<String, usize> {
    tshark_sip_per_call_with(pcap, &[])
}

/// [`tshark_sip_per_call`] with more tshark options (a key log, a decode-as…).
pub fn tshark_sip_per_call_with(
    pcap: &Path,
    extra: &[String],
) -> std::collections::BTreeMap<String, usize> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args(extra)
        .args([
            "-Y",
            "sip",
            "-T",
            "fields",
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=|",
            "-e",
            "sip.Call-ID",
        ])
        .output()
        .expect("tshark");
    let mut m = std::collections::BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        for cid in line.split('|').filter(|c| !c.is_empty()) {
            *m.entry(cid.to_owned()).or_insert(0) += 1;
        }
    }
    m
}

/// Percent-encodes a path segment (a Call-ID in a URL).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `argos import -q --data DATA FILE` (a pcap or an archive), asserting success.
pub fn import(data: &Path, file: &Path) -> String {
    argos(&[
        "import",
        "-q",
        "--data",
        data.to_str().expect("utf-8 path"),
        file.to_str().expect("utf-8 path"),
    ])
}

/// A self-signed certificate for localhost/127.0.0.1 and its key, in `dir`; None (SKIP)
/// without openssl.
pub fn make_cert(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    if !have("openssl") {
        return None;
    }
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec"])
        .args(["-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args(["-days", "30", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        // webpki refuses a CA certificate used as the server's own.
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl req: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some((cert, key))
}

/// SIPp's built-in answering UAS on 127.0.0.1:`port`, running in `dir` (its logs go there).
pub fn sipp_uas(dir: &Path, port: u16) -> Child {
    Command::new("sipp")
        .args([
            "-sn",
            "uas",
            "-i",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-nostdin",
        ])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sipp uas")
}

/// SIPp's built-in UAC from 127.0.0.1:`port`: `calls` calls to user 1001 at `target`
/// (10 per second, 200 ms each); true when every call succeeded.
pub fn sipp_uac(dir: &Path, target: &str, port: u16, calls: u32) -> bool {
    Command::new("sipp")
        .args(["-sn", "uac", "-s", "1001", target, "-i", "127.0.0.1"])
        .args(["-p", &port.to_string(), "-m", &calls.to_string()])
        .args(["-r", "10", "-d", "200", "-nostdin", "-timeout", "30s"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Child processes ended when the test ends, passed or not: SIGTERM first, so a server
/// that forks (Kamailio's workers) takes its children down with it, then SIGKILL for
/// one that has not exited after two seconds. A child started with [`own_group`] is
/// signalled with its whole process group, so a worker that outlives its parent goes too.
pub struct Kill(pub Vec<Child>);

impl Drop for Kill {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let pid = c.id().to_string();
            // `-PID` is the process group; it exists only for a child made a group leader.
            let signal = |sig: &str| {
                let _ = Command::new("kill")
                    .args([sig, "--", &format!("-{pid}"), &pid])
                    .stderr(std::process::Stdio::null())
                    .status();
            };
            signal("-TERM");
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline && matches!(c.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(20));
            }
            signal("-KILL");
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Makes the child the leader of a new process group, for [`Kill`] to end it with every
/// process it forks.
pub fn own_group(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0)
}
