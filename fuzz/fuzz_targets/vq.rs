#![no_main]
//! `argos_sip::qos`: the bytes as a vq-rtcpxr body, and split at the first `:` into a
//! header name and value for the end-of-call statistics headers (the value is also tried
//! under every dialect's name, since random names rarely hit one).
use argos_sip::qos::{parse_rtp_stat_header, parse_vq_rtcpxr};

const NAMES: [&str; 4] = ["X-RTP-Stat", "P-RTP-Stat", "RTP-RxStat", "RTP-TxStat"];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(reports) = parse_vq_rtcpxr(data) {
        assert!(reports.len() <= 16, "block cap");
    }
    let text = String::from_utf8_lossy(data);
    let (name, value) = text.split_once(':').unwrap_or(("X-RTP-Stat", &text));
    let _ = parse_rtp_stat_header(name, value);
    for name in NAMES {
        let reports = parse_rtp_stat_header(name, value);
        assert!(reports.is_some_and(|r| r.len() <= 2), "known dialect, at most rx + tx");
    }
});
