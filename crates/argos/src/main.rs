//! `argos`: one binary, one subcommand per job. This file only parses arguments,
//! dispatches, and turns errors into exit codes (see `crates/argos/README.md`).

mod cmd;

// Records are built on the receiving thread and freed on the writer thread; glibc's
// malloc pays heavily for that cross-thread pattern (see docs/PERFORMANCE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Argos — SIP/VoIP capture, search and troubleshooting.
///
/// Start the collector with `argos serve`, point HEP agents (Kamailio siptrace, sngrep -H,
/// heplify, captagent...) at udp/tcp 9060, and open the printed URL.
#[derive(Parser)]
#[command(name = "argos", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the collector: HEP listeners, store, HTTP API and web UI.
    Serve(cmd::serve::Args),
    /// Import pcap/pcapng files (or Argos archives) into the store.
    Import(cmd::import::Args),
    /// sipgrep over pcap/pcapng files, a live interface or a HEP port: matching messages or whole dialogs, pcap out, reports.
    Grep(cmd::grep::Args),
    /// Search stored messages from the command line.
    Search(cmd::search::Args),
    /// List stored calls (one row per call, legs joined).
    Calls(cmd::search::CallsArgs),
    /// Export a day or a time range to a portable archive (or pcap), and import it back.
    Archive(cmd::archive::Args),
    /// Load generator: replay a capture as HEP at a set rate with fresh Call-IDs.
    Gen(cmd::gen::Args),
    /// Set a user's password in the data directory.
    Passwd(cmd::passwd::Args),
    /// Capture agent: live interfaces (AF_PACKET) or pcap files, and log lines → HEPv3 over UDP/TCP/TLS (SIP, RTCP, RTP reports; spool, pcap out).
    Agent(cmd::agent::Args),
    /// sngrep-style terminal UI over pcap files, a live interface, a HEP port or an Argos server's API (--dump: the call list as text).
    Tui(cmd::tui::Args),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ARGOS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Serve(a) => cmd::serve::run(a),
        Command::Import(a) => cmd::import::run(a),
        Command::Grep(a) => cmd::grep::run(a),
        Command::Search(a) => cmd::search::run(a),
        Command::Calls(a) => cmd::search::run_calls(a),
        Command::Archive(a) => cmd::archive::run(a),
        Command::Gen(a) => cmd::gen::run(a),
        Command::Passwd(a) => cmd::passwd::run(a),
        Command::Agent(a) => cmd::agent::run(a),
        Command::Tui(a) => cmd::tui::run(a),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed pipe (`argos search | head`) is not an error.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("argos: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
