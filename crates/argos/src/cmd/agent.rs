//! `argos agent`: a capture agent. Reads pcap/pcapng files through the packet path of
//! `argos import` and sends every SIP message as HEPv3 to one or more collectors
//! (the logic is in `argos-agent`; this file parses flags and prints the summary).

use anyhow::bail;
use argos_agent::{AgentConfig, Target, DEFAULT_CAPTURE_ID};
use std::path::PathBuf;
use std::time::Duration;

/// Send every SIP message of pcap/pcapng files as HEPv3 to collectors.
///
/// Live capture from an interface: coming (not in this version).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A pcap or pcapng file to read (repeatable; read in order).
    #[arg(long = "read", short = 'r', value_name = "FILE", required = true)]
    read: Vec<PathBuf>,
    /// Collector: udp:HOST:PORT or tcp:HOST:PORT (repeatable: every packet goes to all).
    #[arg(long = "hep", value_name = "PROTO:HOST:PORT", required = true)]
    hep: Vec<String>,
    /// Send each packet to the first reachable collector only, switching to the next on a TCP error.
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
    /// Packets held per TCP collector while it is down; beyond that they are dropped and counted.
    #[arg(long, default_value_t = 100_000, value_name = "PACKETS")]
    buffer: usize,
    /// After the last file, how long to keep trying to deliver buffered packets.
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    drain_timeout: f64,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> anyhow::Result<()> {
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
    cfg.buffer_packets = a.buffer;
    cfg.drain_timeout = Duration::from_secs_f64(a.drain_timeout.max(0.0));
    let sum = argos_agent::run(cfg, |p, e| eprintln!("{}: not read: {e}", p.display()));
    if a.json {
        println!("{}", serde_json::to_string(&sum)?);
    } else {
        let per: Vec<String> = sum
            .collectors
            .iter()
            .map(|c| {
                format!(
                    "{}: {} sent, {} dropped, {} reconnect(s), {} error(s)",
                    c.target, c.sent, c.dropped, c.reconnects, c.errors
                )
            })
            .collect();
        println!(
            "agent: {} file(s), {} frames, {} SIP messages read, {} HEP packets sent, {} dropped in {:.2} s; {}",
            sum.files - sum.files_failed,
            sum.frames,
            sum.read,
            sum.sent,
            sum.dropped,
            sum.seconds,
            per.join("; ")
        );
    }
    if sum.files_failed == sum.files {
        bail!("no file could be read");
    }
    Ok(())
}
