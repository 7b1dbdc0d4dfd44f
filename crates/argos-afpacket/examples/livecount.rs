//! Captures for N seconds, decodes every frame (as the agent would), and prints frames/s,
//! bytes/s, drops and this process's CPU time, to measure the cost of live capture under a
//! known load (e.g. `udpblast` on lo).
//!
//! ```sh
//! cargo run --release -p argos-afpacket --example livecount -- lo 10 ['udp port 5060']
//! ```

use argos_afpacket::{LiveCapture, LiveConfig};
use std::time::{Duration, Instant};

fn main() {
    if let Err(e) = run() {
        eprintln!("livecount: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let interface = args.next().unwrap_or_else(|| "lo".to_string());
    let seconds: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10);
    let bpf = args.next();
    let cfg = LiveConfig {
        interface,
        bpf,
        ..LiveConfig::default()
    };
    let mut cap = LiveCapture::open(&cfg)?;
    let link = cap.link_type();
    let mut udp = 0u64;
    let (cpu_start, started) = (cpu_time()?, Instant::now());
    let deadline = started + Duration::from_secs(seconds);
    let (mut frames, mut bytes, mut batches) = (0u64, 0u64, 0u64);
    while Instant::now() < deadline {
        let n = cap.next_batch(Duration::from_millis(100), &mut |frame| {
            frames += 1;
            bytes += frame.data.len() as u64;
            if argos_net::decode_packet(link, frame.data)
                .is_ok_and(|p| p.transport.ip_proto() == 17)
            {
                udp += 1;
            }
        })?;
        if n > 0 {
            batches += 1;
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_time()?;
    let stats = cap.stats()?;
    let (user, sys) = (cpu.user - cpu_start.user, cpu.sys - cpu_start.sys);
    let pps = frames as f64 / wall;
    println!(
        "interface {} for {wall:.1} s: {frames} frames ({udp} UDP) in {batches} blocks, {pps:.0} frames/s, {:.2} MB/s",
        cfg.interface,
        bytes as f64 / wall / 1e6
    );
    println!(
        "kernel: packets {} drops {} freezes {}",
        stats.packets, stats.drops, stats.freezes
    );
    println!(
        "cpu: user {user:.2} s, sys {sys:.2} s = {:.1}% of one core; {:.2}% per 10k frames/s",
        (user + sys) / wall * 100.0,
        if pps > 0.0 {
            (user + sys) / wall * 100.0 / (pps / 10_000.0)
        } else {
            0.0
        }
    );
    Ok(())
}

/// User and system CPU seconds of this process.
struct CpuTime {
    user: f64,
    sys: f64,
}

/// Reads utime and stime from /proc/self/stat (fields 14 and 15, in USER_HZ = 100 ticks/s on
/// Linux), so the example needs no unsafe getrusage call.
fn cpu_time() -> Result<CpuTime, Box<dyn std::error::Error>> {
    const TICKS_PER_SECOND: f64 = 100.0;
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or("unexpected /proc/self/stat")?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // `after_name` starts at field 3, so field 14 is index 11.
    let tick = |i: usize| -> Result<f64, Box<dyn std::error::Error>> {
        Ok(fields
            .get(i)
            .ok_or("short /proc/self/stat")?
            .parse::<f64>()?
            / TICKS_PER_SECOND)
    };
    Ok(CpuTime {
        user: tick(11)?,
        sys: tick(12)?,
    })
}
