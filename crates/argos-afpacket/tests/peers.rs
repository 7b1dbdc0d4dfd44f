//! Live capture checked by real peers: SIPp places a call on loopback, the "any" capture
//! (Linux cooked frames built by this crate) is written as pcap, and tshark must read the
//! same SIP dialog from it; and tcpdump (libpcap) capturing the same datagrams on lo and "any"
//! must record exactly the bytes this crate hands out. Skips, saying why, without
//! root/CAP_NET_RAW, sipp, tshark or tcpdump.

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

/// The same datagrams as captured by tcpdump and by this crate.
struct BothCaptures {
    tcpdump_link: LinkType,
    tcpdump: Vec<Vec<u8>>,
    ours: Vec<Vec<u8>>,
}

/// Captures `count` datagrams to a fresh port on `interface` with tcpdump (libpcap) and with this
/// crate at the same time.
fn capture_with_both(interface: &str, count: usize) -> Option<BothCaptures> {
    use std::io::{BufRead, BufReader};
    let (receiver, port) = {
        let s = UdpSocket::bind("127.0.0.1:0").expect("bind receiver");
        let p = s.local_addr().expect("addr").port();
        (s, p)
    };
    let filter = format!("udp dst port {port}");
    let cfg = LiveConfig {
        interface: interface.to_string(),
        block_timeout_ms: 10,
        bpf: Some(filter.clone()),
        ..LiveConfig::default()
    };
    let mut cap = match LiveCapture::open(&cfg) {
        Ok(cap) => cap,
        Err(CaptureError::Permission | CaptureError::Unsupported) => {
            eprintln!(
                "skipping: cannot open a packet socket here (needs Linux and root or CAP_NET_RAW)"
            );
            return None;
        }
        Err(e) => panic!("open {interface}: {e}"),
    };
    let pcap_path = std::env::temp_dir().join(format!(
        "argos-afpacket-tcpdump-{}-{interface}.pcap",
        std::process::id()
    ));
    // tcpdump writes cooked v2 for "any" unless asked for v1, the type this crate hands out.
    let link_args: &[&str] = if interface == "any" {
        &["-y", "LINUX_SLL"]
    } else {
        &[]
    };
    let mut tcpdump = KillOnDrop(
        Command::new("tcpdump")
            .args(["-i", interface, "-n", "-U", "-c", &count.to_string()])
            .args(link_args)
            .arg("-w")
            .arg(&pcap_path)
            .arg(&filter)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tcpdump"),
    );
    // tcpdump says "listening on ..." once its filter is attached.
    let stderr = tcpdump.0.stderr.take().expect("tcpdump stderr");
    let mut stderr = BufReader::new(stderr);
    let mut said = String::new();
    loop {
        let mut line = String::new();
        let n = stderr.read_line(&mut line).expect("read tcpdump stderr");
        said.push_str(&line);
        if line.contains("listening on") {
            break;
        }
        assert!(n > 0, "tcpdump did not start: {said}");
    }

    let sender = UdpSocket::bind("127.0.0.1:0").expect("bind sender");
    for i in 0..count {
        let payload = format!("MESSAGE sip:cmp@127.0.0.1 SIP/2.0\r\nCall-ID: cmp-{i}\r\n\r\n");
        sender
            .send_to(payload.as_bytes(), ("127.0.0.1", port))
            .expect("send");
    }
    let mut ours = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while ours.len() < count && Instant::now() < deadline {
        cap.next_batch(Duration::from_millis(50), &mut |frame| {
            ours.push(frame.data.to_vec())
        })
        .expect("next_batch");
    }
    while tcpdump.0.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(tcpdump);
    drop(receiver);
    let bytes = std::fs::read(&pcap_path).expect("read tcpdump's pcap");
    let _ = std::fs::remove_file(&pcap_path);
    let mut reader = argos_net::CaptureReader::new(bytes.as_slice()).expect("tcpdump pcap");
    let mut theirs = Vec::new();
    let mut link = LinkType::ETHERNET;
    while let Some(frame) = reader.next_frame() {
        let frame = frame.expect("tcpdump frame");
        link = frame.link_type;
        theirs.push(frame.data.to_vec());
    }
    Some(BothCaptures {
        tcpdump_link: link,
        tcpdump: theirs,
        ours,
    })
}

#[test]
fn frames_match_tcpdump_byte_for_byte() {
    if !bpf_available() {
        eprintln!("skipping: tcpdump is not installed");
        return;
    }
    for interface in ["lo", "any"] {
        let Some(BothCaptures {
            tcpdump_link: link,
            tcpdump: theirs,
            ours,
        }) = capture_with_both(interface, 5)
        else {
            return;
        };
        assert_eq!(
            theirs.len(),
            5,
            "{interface}: tcpdump captured {}",
            theirs.len()
        );
        if interface == "any" && link != LinkType::LINUX_SLL {
            eprintln!(
                "skipping the byte comparison on any: tcpdump wrote link type {}",
                link.0
            );
            continue;
        }
        assert_eq!(ours, theirs, "{interface}: frames differ from tcpdump's");
    }
}
