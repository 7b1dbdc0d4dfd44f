//! `argos grep`: the real binary over the lab capture (SKIP when absent), tshark as the
//! reference where installed.

mod util;

use std::path::Path;
use std::process::{Command, Output};
use util::*;

fn grep(args: &[&str]) -> Output {
    Command::new(bin())
        .arg("grep")
        .args(args)
        .output()
        .expect("run argos grep")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn lab() -> Option<String> {
    testdata("lab/lab-calls.pcap").map(|p| p.display().to_string())
}

fn tshark_count(pcap: &Path, filter: &str) -> usize {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args(["-Y", filter])
        .output()
        .expect("run tshark");
    assert!(out.status.success(), "tshark failed");
    String::from_utf8_lossy(&out.stdout).lines().count()
}

#[test]
fn busy_callee_prints_whole_dialogs_with_486() {
    let Some(f) = lab() else { return };
    let o = grep(&["--color", "never", "--to", "4861", &f]);
    assert_eq!(o.status.code(), Some(0));
    let s = stdout(&o);
    assert!(s.contains("=== dialog "), "{s}");
    assert!(s.contains("INVITE sip:4861@"), "{s}");
    assert!(s.contains("SIP/2.0 486 "), "no 486 in the dialogs: {s}");
    // Whole dialogs: the ACK to the 486 carries To 4861 too, but the provisional 100
    // from the proxy is part of the dialog as well.
    assert!(s.contains("SIP/2.0 100 "), "{s}");
    assert!(!s.contains("\x1b["), "colour with --color never");

    // A pattern on the raw message, case-insensitive, finds the same dialogs.
    let o2 = grep(&["--color", "never", "-i", "^to: 4861 ", &f]);
    assert_eq!(o2.status.code(), Some(0));
    let count = |t: &str| t.matches("=== dialog ").count();
    assert_eq!(count(&s), count(&stdout(&o2)));

    // --no-dialog: only the matching messages, so the 100 of the callee leg etc. go.
    let o3 = grep(&["--color", "never", "--no-dialog", "--status", "486", &f]);
    let s3 = stdout(&o3);
    assert!(s3.lines().all(|l| !l.starts_with("SIP/2.0 100")), "{s3}");
    assert!(s3.lines().filter(|l| l.starts_with("SIP/2.0 486")).count() >= 10);

    // --color always highlights.
    let o4 = grep(&["--color", "always", "Busy", &f]);
    assert!(stdout(&o4).contains("\x1b[1;31mBusy"), "no highlight");
}

#[test]
fn register_count_matches_tshark() {
    let Some(f) = lab() else { return };
    let o = grep(&["--method", "REGISTER", "-q", &f]);
    assert_eq!(o.status.code(), Some(0));
    let n: usize = stdout(&o).trim().parse().expect("a count");
    assert!(n > 0);
    if have("tshark") {
        // tshark does not dissect the HEP copies on udp/9060; grep skips them too.
        let t = tshark_count(
            Path::new(&f),
            "sip.Method == \"REGISTER\" && !(udp.port == 9060)",
        );
        assert_eq!(n, t);
    }
}

#[test]
fn report_lines() {
    let Some(f) = lab() else { return };
    let o = grep(&["-G", "--status", "486", "-q", &f]);
    assert_eq!(o.status.code(), Some(0));
    let s = stdout(&o);
    let lines: Vec<&str> = s
        .lines()
        .filter(|l| l.contains(" method=INVITE status=486 "))
        .collect();
    assert_eq!(lines.len(), 10, "{s}");
    for l in lines {
        assert!(l.contains(" to=4861 "), "{l}");
        assert!(l.contains(" duration="), "{l}");
        assert!(l.contains(" messages="), "{l}");
    }
    // The lab's scanner (friendly-scanner OPTIONS) shows in the report.
    assert!(s.contains("friendly-scanner"), "{s}");
}

#[test]
fn write_pcap_readable_by_tshark() {
    let Some(f) = lab() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.pcap");
    let out_s = out.display().to_string();
    let o = grep(&["--color", "never", "--to", "4861", "-w", &out_s, &f]);
    assert_eq!(o.status.code(), Some(0));
    let printed = stdout(&o)
        .lines()
        .filter(|l| l.contains(" -> ") && (l.ends_with(" udp") || l.ends_with(" tcp")))
        .count();
    assert!(printed > 0);
    assert!(out.exists());
    if have("tshark") {
        assert_eq!(tshark_count(&out, "sip"), printed);
        let per_call = tshark_sip_per_call(&out);
        assert_eq!(per_call.len(), 10, "{per_call:?}");
    }
}

#[test]
fn no_match_exits_1() {
    let Some(f) = lab() else { return };
    let o = grep(&["no-such-thing-in-the-capture-zzz", &f]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty());
    let o = grep(&["--method", "PUBLISH", "-q", &f]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o).trim(), "0");
}

#[test]
fn hostile_input_exits_cleanly() {
    let Some(f) = lab() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(&f).expect("read");
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..1000.min(bytes.len())]).expect("write");
    let o = grep(&["-q", ".", &cut.display().to_string()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{:?} {err}",
        o.status
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("1 file error(s)"), "{err}");

    // Not a capture at all, and a missing file: errors, exit 2, no panic.
    let junk = dir.path().join("junk.pcap");
    std::fs::write(&junk, b"this is not a capture file at all").expect("write");
    let o = grep(&["x", &junk.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
    let o = grep(&["x", "/nonexistent/file.pcap"]);
    assert_eq!(o.status.code(), Some(2));
    // A bad regex is an error too.
    let o = grep(&["(unclosed", &f]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn hep_listen_prints_live_and_reports() {
    let port = free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("hep.pcap");
    let hep = format!("udp:127.0.0.1:{port}");
    let out_s = out.display().to_string();
    let child = Command::new(bin())
        .args(["grep", "--color", "never", "--hep", &hep, "--timeout", "3"])
        .args(["-G", "-w", &out_s, "INVITE"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn argos grep");
    std::thread::sleep(std::time::Duration::from_millis(700));
    argos(&[
        "gen",
        "--to",
        &hep,
        "--count",
        "14",
        "--rate",
        "200",
        "--duration",
        "2",
    ]);
    let o = child.wait_with_output().expect("wait");
    let s = stdout(&o);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The built-in call is 7 messages; 2 calls, whole dialogs printed.
    assert_eq!(s.matches("--- report: 2 dialog(s)").count(), 1, "{s}");
    assert_eq!(
        s.lines().filter(|l| l.contains(" messages=7")).count(),
        2,
        "{s}"
    );
    assert_eq!(
        s.lines().filter(|l| l.starts_with("INVITE sip:")).count(),
        2,
        "{s}"
    );
    if have("tshark") {
        assert_eq!(tshark_count(&out, "sip"), 14);
    }
}

#[test]
fn grep_on_a_live_interface_prints_matches_as_they_come() {
    if !util::have("tcpdump") {
        return;
    }
    let port = util::free_port();
    let child = std::process::Command::new(util::bin())
        .args(["grep", "-I", "lo", "--port-range", &port.to_string()])
        .args(["--timeout", "4", "-G", "--color", "never", "live-grep"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("argos grep");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    for (i, cid) in ["live-grep-1", "other-call"].iter().enumerate() {
        let m = format!(
            "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK{i}\r\nFrom: <sip:b@x>;tag=1\r\nTo: <sip:a@x>\r\nCall-ID: {cid}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        sock.send_to(m.as_bytes(), ("127.0.0.1", port))
            .expect("send");
    }
    let out = child.wait_with_output().expect("grep output");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    if stderr.contains("CAP_NET_RAW") || stderr.contains("ermission") {
        eprintln!("SKIP: live capture needs root or CAP_NET_RAW: {stderr}");
        return;
    }
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Call-ID: live-grep-1"),
        "{stdout}\n{stderr}"
    );
    assert!(!stdout.contains("Call-ID: other-call"), "{stdout}");
    assert!(
        stdout.contains("1 dialog(s), 1 matching message(s)"),
        "{stdout}"
    );
}
