//! `argos agent`: a capture agent. Captures live from interfaces or reads pcap/pcapng files
//! through the packet path of `argos import` (and, optionally, follows a log file) and
//! sends every SIP message (RTCP and log line) as HEPv3 to one or more collectors over
//! UDP, TCP or TLS (the logic is in `argos-agent`; this file parses flags and prints the
//! summary).

use anyhow::{bail, Context};
use argos_agent::logs::CallIdMatcher;
use argos_agent::{
    AgentConfig, LogConfig, LogSource, RotateConfig, SpoolConfig, Target, TlsOptions, Uncorrelated,
    DEFAULT_CAPTURE_ID,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Capture SIP (and RTCP) live from interfaces or from pcap/pcapng files, and the lines of a
/// log file, and send them as HEPv3 to collectors (UDP, TCP, TLS), with failover,
/// reconnects, a memory buffer and a disk spool.
///
/// Live capture uses an AF_PACKET memory-mapped ring (Linux; root or CAP_NET_RAW), no
/// libpcap; a kernel filter keeps the SIP ports (--port-range) unless --bpf says otherwise
/// (compiling a filter needs tcpdump installed).
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Examples:
  argos agent -i eth0 --hep udp:collector:9060 --rtcp
  argos agent -i any --port-range 5060-5080,5090 --hep tls:collector.example:9061 --tls-ca ca.pem
  argos agent -i eth1 --bpf 'udp port 5060 or tcp port 5061' --tls-keylog /run/keys.log --hep tcp:collector:9060
  argos agent -r calls.pcap --hep udp:collector:9060
  argos agent -r calls.pcap --hep tls:collector.example:9061 --tls-ca ca.pem --compress
  argos agent -r big.pcap --hep tcp:collector:9060 --spool /var/spool/argos --drain-timeout 600
  argos agent -r calls.pcap --hep udp:127.0.0.1:9060 --write-pcap /var/lib/argos/pcap --rotate-mb 100
  argos agent --log-file /var/log/kamailio.log --hep udp:collector:9060")]
pub struct Args {
    /// A pcap or pcapng file to read (repeatable; read in order).
    #[arg(
        long = "read",
        short = 'r',
        value_name = "FILE",
        required_unless_present_any = ["log_file", "interface"]
    )]
    read: Vec<PathBuf>,
    /// Capture live on this interface (repeatable; `any` = all interfaces), after the
    /// files if any, until SIGINT/SIGTERM.
    #[arg(long, short = 'i', value_name = "IFACE")]
    interface: Vec<String>,
    /// Kernel filter for live capture, tcpdump syntax (replaces the one made from
    /// --port-range).
    #[arg(long, value_name = "EXPR", requires = "interface")]
    bpf: Option<String>,
    /// SIP ports for the live capture filter: ranges and single ports, comma-separated.
    #[arg(
        long,
        default_value = "5060-5090",
        value_name = "PORTS",
        requires = "interface"
    )]
    port_range: String,
    /// Bytes kept of each captured frame.
    #[arg(
        long,
        default_value_t = 65_535,
        value_name = "BYTES",
        requires = "interface"
    )]
    snaplen: u32,
    /// Capture ring per interface, MiB (bursts the agent cannot keep up with wait there).
    #[arg(long, default_value_t = 32, value_name = "MB", requires = "interface")]
    ring_mb: usize,
    /// Do not put interfaces in promiscuous mode.
    #[arg(long, requires = "interface")]
    no_promisc: bool,
    /// Also send RTCP as HEP proto-5 JSON (the captagent/heplify format), correlated to the
    /// Call-ID of the SDP that announced its addresses; RTCP of unknown calls is dropped and
    /// counted.
    #[arg(long)]
    rtcp: bool,
    /// Also analyse the RTP of media announced in SDP (Wireshark's per-stream statistics:
    /// loss, jitter, delta, MOS) and send a report per stream every 10 s and at its end as
    /// HEP proto 34 JSON (rtpagent keys), correlated to the Call-ID.
    #[arg(long)]
    rtp: bool,
    /// Decrypt SIP over TLS seen on the wire with the secrets of this key log (NSS
    /// SSLKEYLOGFILE format): TLS 1.3, and TLS 1.2 with AES-GCM or ChaCha20-Poly1305 suites
    /// (CBC suites are counted as unsupported).
    #[arg(long, value_name = "FILE")]
    tls_keylog: Option<PathBuf>,
    /// Collector: udp:HOST:PORT, tcp:HOST:PORT or tls:HOST:PORT (repeatable: every packet goes to all).
    #[arg(long = "hep", value_name = "PROTO:HOST:PORT", required = true)]
    hep: Vec<String>,
    /// Send each packet to the first reachable collector only, switching to the next on a TCP/TLS error.
    #[arg(long)]
    failover: bool,
    /// Replay at the capture's original timing (default: as fast as possible).
    #[arg(long)]
    pace: bool,
    /// At most this many messages per second (0: no limit).
    #[arg(long, default_value_t = 0, value_name = "N")]
    max_rate: u64,
    /// HEP capture id (chunk 0x000c); 2001 is captagent's default.
    #[arg(long, default_value_t = DEFAULT_CAPTURE_ID)]
    capture_id: u32,
    /// HEP node name (chunk 0x0013).
    #[arg(long, value_name = "NAME")]
    node: Option<String>,
    /// HEP auth key (chunk 0x000e).
    #[arg(long, env = "ARGOS_HEP_AUTH_KEY", value_name = "KEY")]
    auth_key: Option<String>,
    /// Send the contents of HEP packets found in the capture instead of skipping them.
    #[arg(long)]
    unwrap_hep: bool,
    /// Compress each payload with zlib into HEP chunk 0x0010 (captagent's payload-compression;
    /// the collector must inflate it: argos and OpenSIPS do, heplify-server does not).
    #[arg(long)]
    compress: bool,
    /// tls: collectors: trust the PEM certificates in FILE (a CA, or the collector's own
    /// self-signed certificate). Default: the system CA bundle (SSL_CERT_FILE or /etc/ssl/certs).
    #[arg(long, value_name = "FILE")]
    tls_ca: Option<PathBuf>,
    /// tls: collectors: do not check the certificate at all (heplify's -skipverify). Insecure.
    #[arg(long, conflicts_with = "tls_ca")]
    tls_insecure: bool,
    /// Packets held in memory per TCP/TLS collector while it is down; beyond that they go to
    /// the --spool, or are dropped and counted.
    #[arg(long, default_value_t = 100_000, value_name = "PACKETS")]
    buffer: usize,
    /// Spool to DIR what a down TCP/TLS collector's memory buffer cannot hold (one subdirectory
    /// per collector); sent first-in first-out when it is back, and at the next start if the
    /// agent stopped before.
    #[arg(long, value_name = "DIR")]
    spool: Option<PathBuf>,
    /// Most disk the spool uses per collector, in MB; beyond it packets are dropped and counted.
    #[arg(long, default_value_t = 1024, value_name = "MB", requires = "spool")]
    spool_max: u64,
    /// After the input ends, how long to keep trying to deliver waiting packets (the spool
    /// keeps what is left for the next run).
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    drain_timeout: f64,
    /// Also write pcap files in DIR (argos-<UTC yyyymmdd-HHMMSS>.pcap): live, the raw frames
    /// that passed the kernel filter; from files, each SIP message sent as a rebuilt
    /// Ethernet/IP/UDP|TCP frame.
    #[arg(long, value_name = "DIR")]
    write_pcap: Option<PathBuf>,
    /// --write-pcap: start a new file after this many seconds (0: never by time).
    #[arg(
        long,
        default_value_t = 3600,
        value_name = "SECS",
        requires = "write_pcap"
    )]
    rotate_secs: u64,
    /// --write-pcap: start a new file before this many MB (0: never by size).
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "MB",
        requires = "write_pcap"
    )]
    rotate_mb: f64,
    /// --write-pcap: keep at most this many files, deleting the oldest (0: keep all).
    #[arg(long, default_value_t = 0, value_name = "N", requires = "write_pcap")]
    keep_files: usize,
    /// Send each line of FILE (followed like tail -F, from its end; `-` for stdin) as HEP LOG
    /// (proto 100), with the Call-ID found in the line as correlation id (chunk 0x0011).
    #[arg(long, value_name = "FILE")]
    log_file: Option<PathBuf>,
    /// Regex finding the Call-ID in a log line: the first non-empty capture group. Default:
    /// callid=/call-id:/call_id=/sip_call_id=/ci=/cid= VALUE, Kamailio's "{1 102 INVITE ID}"
    /// log prefix, or a compact "i: ID" header line.
    #[arg(long, value_name = "REGEX", requires = "log_file")]
    log_callid_regex: Option<String>,
    /// Log lines without a Call-ID: send them uncorrelated, or skip them.
    #[arg(long, value_enum, default_value = "send", requires = "log_file")]
    log_uncorrelated: LogUncorrelated,
    /// --log-file: read the file from its beginning instead of its current end.
    #[arg(long, requires = "log_file")]
    log_from_start: bool,
    /// --log-file: stop after this many seconds without a new line (default: follow until killed).
    #[arg(long, value_name = "SECS", requires = "log_file")]
    log_idle_exit: Option<f64>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum LogUncorrelated {
    Send,
    Skip,
}

/// The agent's configuration from the flags.
fn config(a: &Args) -> anyhow::Result<AgentConfig> {
    let mut targets = Vec::new();
    for h in &a.hep {
        targets.push(Target::parse(h).map_err(|e| anyhow::anyhow!("--hep {e}"))?);
    }
    let mut cfg = AgentConfig::new(a.read.clone(), targets);
    cfg.failover = a.failover;
    cfg.pace = a.pace;
    cfg.max_rate = a.max_rate;
    cfg.capture_id = a.capture_id;
    cfg.node = a.node.clone();
    cfg.auth_key = a.auth_key.clone();
    cfg.unwrap_hep = a.unwrap_hep;
    cfg.rtcp = a.rtcp;
    cfg.rtp = a.rtp;
    if let Some(k) = &a.tls_keylog {
        let keys = argos_net::KeyLog::from_file(k)
            .with_context(|| format!("--tls-keylog {}", k.display()))?;
        cfg.tls_keylog = Some(Arc::new(keys));
    }
    if !a.interface.is_empty() {
        let bpf = match &a.bpf {
            Some(b) => b.clone(),
            None => {
                for part in a.port_range.split(',') {
                    let ok = match part.split_once('-') {
                        Some((lo, hi)) => {
                            lo.trim().parse::<u16>().is_ok() && hi.trim().parse::<u16>().is_ok()
                        }
                        None => part.trim().parse::<u16>().is_ok(),
                    };
                    if !ok {
                        bail!(
                            "--port-range {}: expected ports or ranges like 5060-5090,5080",
                            a.port_range
                        );
                    }
                }
                argos_agent::default_bpf(&a.port_range, a.rtcp, a.rtp)
            }
        };
        cfg.live = Some(argos_agent::LiveInput {
            interfaces: a.interface.clone(),
            bpf: Some(bpf),
            snaplen: a.snaplen,
            ring_bytes: a.ring_mb.max(1) << 20,
            promiscuous: !a.no_promisc,
            ..argos_agent::LiveInput::default()
        });
    }
    cfg.compress = a.compress;
    cfg.buffer_packets = a.buffer;
    cfg.drain_timeout = Duration::from_secs_f64(a.drain_timeout.max(0.0));
    cfg.tls = TlsOptions {
        ca_file: a.tls_ca.clone(),
        insecure: a.tls_insecure,
    };
    cfg.spool = a.spool.as_ref().map(|dir| SpoolConfig {
        dir: dir.clone(),
        max_bytes: a.spool_max.saturating_mul(1 << 20),
    });
    cfg.pcap_out = a.write_pcap.as_ref().map(|dir| RotateConfig {
        dir: dir.clone(),
        every: Duration::from_secs(a.rotate_secs),
        max_bytes: (a.rotate_mb.max(0.0) * 1_048_576.0) as u64,
        keep_files: a.keep_files,
    });
    if let Some(f) = &a.log_file {
        let source = if f.as_os_str() == "-" {
            LogSource::Stdin
        } else {
            LogSource::File(f.clone())
        };
        let mut l = LogConfig::new(source);
        if let Some(re) = &a.log_callid_regex {
            l.callid = CallIdMatcher::new(re).context("--log-callid-regex")?;
        }
        l.uncorrelated = match a.log_uncorrelated {
            LogUncorrelated::Send => Uncorrelated::Send,
            LogUncorrelated::Skip => Uncorrelated::Skip,
        };
        l.from_start = a.log_from_start;
        l.idle_exit = a.log_idle_exit.map(|s| Duration::from_secs_f64(s.max(0.0)));
        cfg.logs = Some(l);
    }
    Ok(cfg)
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let cfg = config(&a)?;
    if a.tls_insecure {
        eprintln!("warning: --tls-insecure: collector certificates are not checked (anyone in the path can read and change the HEP stream)");
    }
    if let Some(l) = &cfg.live {
        eprintln!(
            "agent: capturing on {} (filter: {}) → {}; SIGINT/SIGTERM to stop",
            l.interfaces.join(", "),
            l.bpf.as_deref().unwrap_or("none"),
            a.hep.join(", ")
        );
    }
    stop_on_signal(cfg.stop.clone());
    let sum = argos_agent::try_run(cfg, |p, e| eprintln!("{}: not read: {e}", p.display()))?;
    if a.json {
        println!("{}", serde_json::to_string(&sum)?);
    } else {
        print_summary(&sum);
    }
    for c in &sum.collectors {
        if c.sent == 0 {
            if let Some(e) = &c.last_error {
                eprintln!("{}: nothing delivered; last error: {e}", c.target);
            }
        }
    }
    if sum.files > 0 && sum.files_failed == sum.files {
        bail!("no file could be read");
    }
    Ok(())
}

/// SIGINT/SIGTERM: stop reading input, then drain, spool what is left and print the
/// summary as at the end of the input. A second signal exits at once.
fn stop_on_signal(stop: Arc<AtomicBool>) {
    let spawned = std::thread::Builder::new()
        .name("argos-agent-signals".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let Ok(mut term) =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                else {
                    return;
                };
                next_signal(&mut term).await;
                eprintln!(
                    "agent: stopping (draining, then spooling what is left; again to exit now)"
                );
                stop.store(true, Ordering::Relaxed);
                next_signal(&mut term).await;
                std::process::exit(130);
            });
        });
    if let Err(e) = spawned {
        eprintln!("agent: no signal handling ({e}): a signal ends the agent without a summary");
    }
}

/// The next SIGINT or SIGTERM.
async fn next_signal(term: &mut tokio::signal::unix::Signal) {
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

fn print_summary(sum: &argos_agent::Summary) {
    let per: Vec<String> = sum
        .collectors
        .iter()
        .map(|c| {
            let mut s = format!(
                "{}: {} sent ({} bytes), {} dropped, {} reconnect(s), {} error(s)",
                c.target, c.sent, c.bytes, c.dropped, c.reconnects, c.errors
            );
            if let Some(sp) = &c.spool {
                s.push_str(&format!(
                    ", spool {} written / {} replayed / {} corrupt / {} bytes left",
                    sp.spooled, sp.replayed, sp.corrupt, sp.left_bytes
                ));
            }
            s
        })
        .collect();
    println!(
        "agent: {} file(s), {} frames, {} SIP messages read, {} HEP packets sent ({} bytes), {} dropped in {:.2} s; {}",
        sum.files - sum.files_failed,
        sum.frames,
        sum.read,
        sum.sent,
        sum.bytes,
        sum.dropped,
        sum.seconds,
        per.join("; ")
    );
    if sum.dropped > 0 {
        println!(
            "dropped: {} buffer full, {} spool full, {} send error, {} at exit",
            sum.dropped_buffer_full,
            sum.dropped_spool_full,
            sum.dropped_send_error,
            sum.dropped_at_exit
        );
    }
    if sum.compressed {
        println!(
            "compression: {} payload bytes saved",
            sum.compressed_bytes_saved
        );
    }
    if sum.log_lines_read > 0 {
        println!(
            "log: {} lines read, {} sent ({} with a Call-ID), {} skipped",
            sum.log_lines_read, sum.log_lines_sent, sum.log_lines_correlated, sum.log_lines_skipped
        );
    }
    if sum.rtcp_sent + sum.rtcp_uncorrelated > 0 {
        println!(
            "rtcp: {} reports sent, {} dropped (no SDP announced their addresses)",
            sum.rtcp_sent, sum.rtcp_uncorrelated
        );
    }
    if sum.rtp_packets > 0 {
        println!(
            "rtp: {} packets in {} streams analysed, {} reports sent",
            sum.rtp_packets, sum.rtp_streams, sum.rtp_reports
        );
    }
    if sum.tls_decrypted + sum.tls_no_key > 0 {
        println!(
            "tls: {} connections decrypted, {} without a key in the key log",
            sum.tls_decrypted, sum.tls_no_key
        );
    }
    if let Some(l) = &sum.live {
        for i in &l.interfaces {
            println!(
                "live {}: {} frames passed the filter, {} lost in the ring",
                i.name, i.packets, i.drops
            );
        }
    }
    if let Some(p) = &sum.pcap_out {
        println!(
            "pcap: {} frames, {} bytes in {} file(s) opened, {} deleted",
            p.frames, p.bytes, p.files_opened, p.files_deleted
        );
    }
}
