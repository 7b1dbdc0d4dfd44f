//! `argos tui`: the `--dump` call list against tshark's Call-IDs, the real TUI driven in
//! tmux (call list, flow, raw message, diff, filter, quit), and hostile control characters
//! from a capture shown escaped, never handed to the terminal.

mod util;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn lab_pcap() -> Option<std::path::PathBuf> {
    util::testdata("lab/lab-calls.pcap")
}

/// `argos tui --dump FILE`: stdout, after checking it exited 0.
fn dump(file: &Path) -> String {
    let out = Command::new(util::bin())
        .args(["tui", "--dump"])
        .arg(file)
        .output()
        .expect("run argos tui --dump");
    assert!(
        out.status.success(),
        "argos tui --dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("dump is UTF-8")
}

/// The Call-ID column (last, tab-separated) of a dump.
fn dumped_call_ids(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit('\t').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn dump_lists_the_call_ids_tshark_finds() {
    let Some(pcap) = lab_pcap() else { return };
    if !util::have("tshark") {
        return;
    }
    let out = Command::new("tshark")
        .arg("-r")
        .arg(&pcap)
        .args(["-Y", "sip", "-T", "fields", "-e", "sip.Call-ID"])
        .output()
        .expect("run tshark");
    assert!(out.status.success(), "tshark failed");
    let tshark: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let text = dump(&pcap);
    let ours = dumped_call_ids(&text);
    assert!(!tshark.is_empty());
    assert_eq!(
        ours, tshark,
        "argos tui --dump and tshark disagree on Call-IDs"
    );
    // One row per Call-ID, and the header counts them.
    let rows = text.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(rows, tshark.len());
    assert!(
        text.starts_with(&format!(
            "# calls: {}, dropped (--max-calls): 0,",
            tshark.len()
        )),
        "header: {}",
        text.lines().next().unwrap_or("")
    );
}

#[test]
fn max_calls_drops_the_oldest_and_counts_them() {
    let Some(pcap) = lab_pcap() else { return };
    let out = Command::new(util::bin())
        .args(["tui", "--dump", "--max-calls", "10"])
        .arg(&pcap)
        .output()
        .expect("run argos tui --dump");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let all = dump(&pcap);
    let all_ids: Vec<&str> = all
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit('\t').next())
        .collect();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit('\t').next())
        .collect();
    assert_eq!(kept.len(), 10);
    assert!(kept.iter().all(|k| all_ids.contains(k)), "{kept:?}");
    // The last call to start is kept; calls still talking when dropped may come back
    // (a late BYE opens the Call-ID again), so at least the other 57 were dropped.
    assert!(kept.contains(all_ids.last().expect("calls")), "{kept:?}");
    let dropped: usize = text
        .strip_prefix("# calls: 10, dropped (--max-calls): ")
        .and_then(|r| r.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("header: {text}"));
    assert!(dropped >= all_ids.len() - 10, "dropped {dropped}");
}

/// A private tmux server (its own socket) running one command in a 200x50 window.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(cmd: &str) -> Option<Tmux> {
        if !util::have("tmux") {
            return None;
        }
        // One tmux server per test: tests run in parallel in this process.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("argos-tui-test-{}-{n}", std::process::id());
        let t = Tmux { socket };
        let ok = t
            .tmux(&["new-session", "-d", "-x", "200", "-y", "50", cmd])
            .status
            .success();
        assert!(ok, "tmux new-session failed");
        Some(t)
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("run tmux")
    }

    /// Sends keys one at a time (crossterm reads a burst of Escapes as one sequence).
    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", "0", k]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "0"]).stdout).into_owned()
    }

    /// The screen once it holds every one of `needles` (panics with it after 10 s).
    fn wait_for(&self, needles: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let s = self.screen();
            if needles.iter().all(|n| s.contains(n)) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "screen never showed {needles:?}:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn alive(&self) -> bool {
        self.tmux(&["has-session"]).status.success()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

fn tui_cmd(file: &Path) -> String {
    format!("{} tui '{}'", util::bin(), file.display())
}

#[test]
fn tui_in_tmux_shows_list_flow_raw_and_diff() {
    let Some(pcap) = lab_pcap() else { return };
    let Some(t) = Tmux::start(&tui_cmd(&pcap)) else {
        return;
    };
    // (1) The call list, with the source read to its end.
    let s = t.wait_for(&[
        "calls: 67",
        "Call-ID",
        "1-10695@127.0.0.1",
        "COMPLETED",
        "SIP messages",
    ]);
    assert!(
        s.contains("Enter") && s.contains("Filter"),
        "footer keys:\n{s}"
    );
    // Down then Up: the cursor moves and comes back; Enter opens the first call.
    t.keys(&["Down", "Up", "Enter"]);
    // (2) The flow: a column per IP:port, arrows both ways with INVITE and 200 OK.
    let s = t.wait_for(&[
        "Call flow: 1-10695@127.0.0.1",
        "127.0.0.1:5070",
        "127.0.0.1:5060",
    ]);
    assert!(s.contains("127.0.0.1:5090"), "third host column:\n{s}");
    assert!(
        s.contains("INVITE (SDP)") && s.contains("200 OK"),
        "labels:\n{s}"
    );
    assert!(
        s.contains("──>") && s.contains("<──"),
        "arrows both ways:\n{s}"
    );
    assert!(s.contains("+0.001806"), "delta column:\n{s}");
    // (3) Enter: the raw INVITE.
    t.keys(&["Enter"]);
    let s = t.wait_for(&["Message 1", "INVITE sip:1001@127.0.0.1:5060 SIP/2.0"]);
    assert!(
        s.contains("CSeq: 1 INVITE") && s.contains("m=audio 6016 RTP/AVP 0"),
        "{s}"
    );
    // (4) Back to the flow, mark message 1 and message 5 (the 180 to the caller), diff.
    t.keys(&[
        "Escape", "Space", "Down", "Down", "Down", "Down", "Space", "d",
    ]);
    let s = t.wait_for(&["Diff: message 1 (INVITE) vs message 5 (180 Ringing)"]);
    assert!(s.contains("INVITE sip:1001@127.0.0.1:5060 SIP/2.0"), "{s}");
    assert!(s.contains("SIP/2.0 180 Ringing"), "{s}");
    assert!(s.contains("┃"), "changed lines marked side by side:\n{s}");
    t.keys(&["u"]);
    let s = t.wait_for(&[
        "-INVITE sip:1001@127.0.0.1:5060 SIP/2.0",
        "+SIP/2.0 180 Ringing",
    ]);
    assert!(
        s.contains(" Call-ID: 1-10695@127.0.0.1"),
        "unchanged line:\n{s}"
    );
    // Back to the list; filter as you type.
    t.keys(&["Escape", "Escape", "/", "1", "0", "7", "4", "1"]);
    let s = t.wait_for(&["Filter: 10741", "(15 of 67 calls)"]);
    assert!(
        s.contains("1-10741@127.0.0.1") && !s.contains("1-10695@127.0.0.1"),
        "{s}"
    );
    t.keys(&["Enter", "q"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while t.alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!t.alive(), "q did not quit:\n{}", t.screen());
}

const EVIL_CALL_ID: &str = "evil\x1b[2J\x1b]0;pwned\x07@host";
const EVIL_UA: &str = "friendly\x1b[31mRED\x1b[0m\x08\x08X\u{202e}gnp.exe";

/// A pcap with one INVITE (hostile Call-ID and User-Agent) and its 200 OK.
fn hostile_pcap(dir: &Path) -> std::path::PathBuf {
    sip_pcap(dir, EVIL_CALL_ID, EVIL_UA, 1_764_000_000_000_000)
}

/// A pcap with one INVITE and its 200 OK, at `ts_us`.
fn sip_pcap(dir: &Path, call_id: &str, user_agent: &str, ts_us: i64) -> std::path::PathBuf {
    let a: SocketAddr = "10.1.1.1:5060".parse().expect("addr");
    let b: SocketAddr = "10.1.1.2:5060".parse().expect("addr");
    let invite = format!(
        "INVITE sip:bob@10.1.1.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK1\r\n\
From: <sip:alice@10.1.1.1>;tag=1\r\nTo: <sip:bob@10.1.1.2>\r\nCall-ID: {call_id}\r\n\
CSeq: 1 INVITE\r\nUser-Agent: {user_agent}\r\nContent-Length: 0\r\n\r\n"
    );
    let ok = format!(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK1\r\n\
From: <sip:alice@10.1.1.1>;tag=1\r\nTo: <sip:bob@10.1.1.2>;tag=2\r\nCall-ID: {call_id}\r\n\
CSeq: 1 INVITE\r\nServer: {user_agent}\r\nContent-Length: 0\r\n\r\n"
    );
    let path = dir.join(format!("call-{ts_us}.pcap"));
    let file = std::fs::File::create(&path).expect("create pcap");
    let mut w = argos_net::PcapWriter::new(file, argos_net::LinkType::ETHERNET).expect("pcap");
    let mut frame = Vec::new();
    for (i, (src, dst, msg)) in [(a, b, &invite), (b, a, &ok)].into_iter().enumerate() {
        argos_net::build_frame(
            src,
            dst,
            argos_net::FrameProto::Udp,
            msg.as_bytes(),
            &mut frame,
        );
        w.write_frame(ts_us + i as i64 * 1000, &frame)
            .expect("write frame");
    }
    path
}

#[test]
fn hostile_control_characters_are_shown_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pcap = hostile_pcap(dir.path());
    let text = dump(&pcap);
    assert!(
        !text.bytes().any(|b| b == 0x1b || b == 0x07 || b == 0x08),
        "control characters reached the output: {text:?}"
    );
    assert!(
        text.contains("evil\\e[2J\\e]0;pwned\\x07@host"),
        "escaped Call-ID missing: {text}"
    );

    let Some(t) = Tmux::start(&tui_cmd(&pcap)) else {
        return;
    };
    let s = t.wait_for(&["evil\\e[2J\\e]0;pwned\\x07@host", "calls: 1"]);
    assert!(s.contains("IN CALL"), "{s}");
    t.keys(&["Enter"]);
    t.wait_for(&[
        "Call flow: evil\\e[2J\\e]0;pwned\\x07@host",
        "10.1.1.1:5060",
        "INVITE",
    ]);
    t.keys(&["Enter"]);
    let s = t.wait_for(&["User-Agent: friendly\\e[31mRED\\e[0m\\x08\\x08X\\u{202e}gnp.exe"]);
    assert!(s.contains("Call-ID: evil\\e[2J"), "{s}");
    // Had the OSC sequence reached the terminal, it would have retitled the pane.
    let title = t.tmux(&["display-message", "-p", "#{pane_title}"]);
    let title = String::from_utf8_lossy(&title.stdout);
    assert!(
        !title.contains("pwned"),
        "the capture retitled the terminal: {title}"
    );
    t.keys(&["Q"]);
}

/// The lab capture's Call-IDs as `argos tui --dump FILE` lists them.
fn file_call_ids(pcap: &Path) -> BTreeSet<String> {
    dumped_call_ids(&dump(pcap))
}

#[test]
fn dump_over_hep_lists_what_sngrep_sends() {
    let Some(pcap) = lab_pcap() else { return };
    if !util::have("sngrep") {
        return;
    }
    let port = util::free_port();
    let mut child = Command::new(util::bin())
        .args(["tui", "--dump", "--timeout", "120", "--hep"])
        .arg(format!("udp:127.0.0.1:{port}"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn argos tui --hep");
    // The listener is up once it says so on stderr.
    let mut err = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut err, &mut line).expect("stderr line");
    assert!(line.contains("listening for HEP"), "{line}");
    let st = Command::new("timeout")
        .args(["60", "sngrep", "-I"])
        .arg(&pcap)
        .args(["-H", &format!("udp:127.0.0.1:{port}"), "-N", "-q"])
        .status()
        .expect("sngrep");
    assert!(st.success(), "sngrep failed: {st}");
    // sngrep has sent everything: Ctrl-C (SIGINT) ends the capture and prints the list.
    std::thread::sleep(Duration::from_millis(500));
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(st.success());
    let out = child.wait_with_output().expect("argos tui --hep");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(dumped_call_ids(&text), file_call_ids(&pcap), "{text}");
}

#[test]
fn dump_over_the_api_lists_the_stored_calls() {
    let Some(pcap) = lab_pcap() else { return };
    if !util::have("sngrep") {
        return;
    }
    let server = util::Server::start(&[]);
    server.replay_with_sngrep(&pcap);
    // The lab capture is from 2026-11-22: ask from before it, not the API's last 24 h.
    let since = "2026-01-01T00:00:00Z";
    let stored = server.wait_for(Duration::from_secs(20), |s| {
        let v = s.get_json(&format!("/api/v1/messages?since={since}&limit=10000"));
        (v["count"].as_u64() == Some(715)).then_some(())
    });
    assert!(
        stored.is_some(),
        "the server did not store the 715 messages"
    );
    let out = Command::new(util::bin())
        .args(["tui", "--dump", "--api", &server.url(""), "--since", since])
        .env("ARGOS_API_TOKEN", util::TOKEN)
        .output()
        .expect("argos tui --api");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(dumped_call_ids(&text), file_call_ids(&pcap), "{text}");
    assert!(
        text.starts_with("# calls: 67, dropped (--max-calls): 0, messages: 715,"),
        "{text}"
    );
    // Without the token the API says 401, and the TUI says so.
    let out = Command::new(util::bin())
        .args(["tui", "--dump", "--api", &server.url(""), "--since", since])
        .env_remove("ARGOS_API_TOKEN")
        .output()
        .expect("argos tui --api");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));

    // The UI follows the server: a call sent after it started shows up in the list.
    let cmd = format!(
        "env ARGOS_API_TOKEN={} {} tui --api {} --since {since}",
        util::TOKEN,
        util::bin(),
        server.url("")
    );
    let Some(t) = Tmux::start(&cmd) else { return };
    t.wait_for(&["calls: 67", "messages: 715", "following the API"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_micros() as i64;
    let cid = format!("follow-{}@tui.test", std::process::id());
    server.replay_with_sngrep(&sip_pcap(dir.path(), &cid, "tui-test", now_us));
    t.wait_for(&["calls: 68", "messages: 717"]);
    t.keys(&["End"]);
    t.wait_for(&[&cid, "IN CALL"]);
    t.keys(&["Q"]);
}

#[test]
fn dump_over_a_live_interface_lists_calls_sent_on_loopback() {
    if !util::have("tcpdump") {
        return;
    }
    let port = util::free_port();
    let mut child = Command::new(util::bin())
        .args([
            "tui",
            "--dump",
            "--timeout",
            "60",
            "-I",
            "lo",
            "--port-range",
        ])
        .arg(port.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn argos tui -I lo");
    let mut err = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut err, &mut line).expect("stderr line");
    assert!(line.contains("capturing on lo"), "{line}");
    let cid = format!("live-{}@tui.test", std::process::id());
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let invite = format!(
        "INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\n\
From: <sip:alice@127.0.0.1>;tag=1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: {cid}\r\n\
CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    );
    // The ring opens after the status line: send a few times until it is surely up.
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(300));
        sock.send_to(invite.as_bytes(), ("127.0.0.1", port))
            .expect("send");
    }
    std::thread::sleep(Duration::from_millis(500));
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().expect("argos tui -I lo");
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut err, &mut rest);
    if rest.contains("CAP_NET_RAW") || rest.contains("ermission") {
        eprintln!("SKIP: live capture needs root or CAP_NET_RAW: {rest}");
        return;
    }
    assert!(out.status.success(), "{rest}");
    let text = String::from_utf8_lossy(&out.stdout);
    let row = text
        .lines()
        .find(|l| l.ends_with(&cid))
        .unwrap_or_else(|| panic!("{cid} not listed:\n{text}\n{rest}"));
    assert!(row.contains("\talice\tbob\tINVITE\t"), "{row}");
}
