//! Helpers shared by the argos-net integration tests: a UDP header builder, and the
//! public captures and tshark (both optional: callers skip with a message when missing).

#![allow(dead_code)] // each test crate uses only some of these

use std::path::{Path, PathBuf};
use std::process::Command;

/// A UDP header (checksum 0) followed by `payload`.
pub fn udp(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sp.to_be_bytes());
    v.extend_from_slice(&dp.to_be_bytes());
    v.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(payload);
    v
}

/// `../shared/testdata/captures`, when it exists (otherwise a SKIP message).
pub fn captures_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/captures");
    if d.is_dir() {
        Some(d)
    } else {
        eprintln!("SKIP: {} not found", d.display());
        None
    }
}

/// Whether tshark runs (otherwise a SKIP message).
pub fn have_tshark() -> bool {
    let ok = Command::new("tshark")
        .arg("-v")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("SKIP tshark comparison: tshark not installed");
    }
    ok
}
