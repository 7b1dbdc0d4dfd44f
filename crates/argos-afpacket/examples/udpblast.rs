//! Sends SIP-looking UDP datagrams at a fixed rate, the load for `livecount`.
//!
//! ```sh
//! cargo run --release -p argos-afpacket --example udpblast -- self 10000 12
//! ```
//!
//! The target `self` (default) is the sender's own socket: the datagrams cross lo once and no
//! ICMP "port unreachable" doubles the traffic.

use std::net::UdpSocket;
use std::time::{Duration, Instant};

fn main() {
    if let Err(e) = run() {
        eprintln!("udpblast: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let target = args.next().unwrap_or_else(|| "self".to_string());
    let rate: u64 = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000);
    let seconds: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10);
    let sock = UdpSocket::bind("127.0.0.1:0")?;
    let target = match target.as_str() {
        "self" => sock.local_addr()?.to_string(),
        _ => target,
    };
    let started = Instant::now();
    let end = Duration::from_secs(seconds);
    let mut sent = 0u64;
    let mut failed = 0u64;
    while started.elapsed() < end {
        // Catch up to rate × elapsed, then sleep a millisecond: bursts of rate/1000.
        let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
        while sent < due {
            let payload = format!(
                "OPTIONS sip:load@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-{sent}\r\n\
                 From: <sip:blast@127.0.0.1>;tag=1\r\nTo: <sip:load@127.0.0.1>\r\nCall-ID: {sent}@udpblast\r\n\
                 CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            );
            if sock.send_to(payload.as_bytes(), &target).is_err() {
                failed += 1;
            }
            sent += 1;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let wall = started.elapsed().as_secs_f64();
    println!(
        "sent {sent} datagrams to {target} in {wall:.1} s ({:.0}/s), {failed} send errors",
        sent as f64 / wall
    );
    Ok(())
}
