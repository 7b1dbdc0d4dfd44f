//! Live capture checked by real peers: SIPp places a call on loopback, the "any" capture
//! (Linux cooked frames built by this crate) is written as pcap, and tshark must read the
//! same SIP dialog from it. Skips, saying why, without root/CAP_NET_RAW, sipp or tshark.

use argos_afpacket::{bpf_available, CaptureError, LiveCapture, LiveConfig};
use argos_net::{LinkType, PcapWriter};
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn installed(tool: &str) -> bool {
    Command::new(tool)
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// A free UDP port on 127.0.0.1 (released before use; a race with another binder is unlikely).
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Kills the SIPp server when the test ends, whatever happens.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn tshark_reads_a_sipp_call_captured_on_any() {
    if !installed("sipp") || !installed("tshark") {
        eprintln!("skipping: sipp and tshark are needed for this test");
        return;
    }
    let (uas_port, uac_port) = (free_port(), free_port());
    let cfg = LiveConfig {
        interface: "any".to_string(),
        block_timeout_ms: 10,
        bpf: bpf_available().then(|| format!("udp port {uas_port}")),
        ..LiveConfig::default()
    };
    let mut cap = match LiveCapture::open(&cfg) {
        Ok(cap) => cap,
        Err(CaptureError::Permission | CaptureError::Unsupported) => {
            eprintln!(
                "skipping: cannot open a packet socket here (needs Linux and root or CAP_NET_RAW)"
            );
            return;
        }
        Err(e) => panic!("open any: {e}"),
    };
    assert_eq!(cap.link_type(), LinkType::LINUX_SLL);

    let uas = Command::new("sipp")
        .args(["-sn", "uas", "-i", "127.0.0.1", "-p", &uas_port.to_string()])
        .args(["-m", "1", "-nostdin"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    // In the foreground, so the handle is the server itself and dropping it ends it.
    let _uas = KillOnDrop(uas.expect("start sipp uas"));
    std::thread::sleep(Duration::from_millis(300));
    let uac = Command::new("sipp")
        .args(["-sn", "uac", &format!("127.0.0.1:{uas_port}")])
        .args(["-i", "127.0.0.1", "-p", &uac_port.to_string()])
        .args(["-m", "1", "-d", "100", "-timeout", "15s", "-nostdin"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run sipp uac");
    assert!(uac.success(), "sipp uac failed: {uac}");

    let pcap_path =
        std::env::temp_dir().join(format!("argos-afpacket-{}.pcap", std::process::id()));
    let file = std::fs::File::create(&pcap_path).expect("create pcap");
    let mut writer =
        PcapWriter::new(std::io::BufWriter::new(file), cap.link_type()).expect("pcap header");
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut frames = 0;
    while Instant::now() < deadline {
        cap.next_batch(Duration::from_millis(50), &mut |frame| {
            writer
                .write_frame(frame.ts_us, frame.data)
                .expect("write frame");
            frames += 1;
        })
        .expect("next_batch");
        if frames >= 6 {
            // The whole dialog is in; one more batch catches stragglers.
            cap.next_batch(Duration::from_millis(50), &mut |frame| {
                writer
                    .write_frame(frame.ts_us, frame.data)
                    .expect("write frame");
            })
            .expect("next_batch");
            break;
        }
    }
    writer.into_inner().expect("flush pcap");

    let out = Command::new("tshark")
        .args(["-r"])
        .arg(&pcap_path)
        .args([
            "-o",
            "sip.desegment_body:FALSE",
            "-d",
            &format!("udp.port=={uas_port},sip"),
        ])
        .args([
            "-Y",
            "sip",
            "-T",
            "fields",
            "-e",
            "sip.Method",
            "-e",
            "sip.Status-Code",
            "-e",
            "sip.Call-ID",
        ])
        .stderr(Stdio::null())
        .output()
        .expect("run tshark");
    let _ = std::fs::remove_file(&pcap_path);
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    let what: Vec<String> = rows
        .iter()
        .map(|r| {
            let method = r.first().copied().unwrap_or("");
            let status = r.get(1).copied().unwrap_or("");
            if status.is_empty() {
                method.to_string()
            } else {
                status.to_string()
            }
        })
        .collect();
    // SIPp's default scenarios: INVITE, 180, 200, ACK, BYE, 200 — each once.
    assert_eq!(
        what,
        ["INVITE", "180", "200", "ACK", "BYE", "200"],
        "tshark saw {text}"
    );
    let call_ids: std::collections::HashSet<&str> =
        rows.iter().filter_map(|r| r.get(2).copied()).collect();
    assert_eq!(call_ids.len(), 1, "one dialog: {call_ids:?}");
}
