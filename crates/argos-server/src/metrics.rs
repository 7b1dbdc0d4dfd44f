//! Counters for everything the collector receives, drops and stores, rendered as
//! Prometheus text on `/metrics`. Plain atomics: one relaxed add per event, no locks.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Why a packet or message was dropped; each reason is one `argos_packets_dropped_total` series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// HEP bytes that do not decode (the HEP error's own reason is counted separately).
    HepDecode,
    /// HEP auth key missing or different from the configured one.
    AuthKey,
    /// The ingest queue was full: the store is not keeping up.
    QueueFull,
    /// A SIP payload that does not parse; it is still stored, without fields.
    SipParse,
    /// The store refused a batch.
    StoreError,
    /// A TCP HEP stream that could not be framed; the connection was closed.
    TcpFraming,
    /// A pcap frame that could not be decoded.
    PacketDecode,
}

impl DropReason {
    const ALL: [DropReason; 7] = [
        DropReason::HepDecode,
        DropReason::AuthKey,
        DropReason::QueueFull,
        DropReason::SipParse,
        DropReason::StoreError,
        DropReason::TcpFraming,
        DropReason::PacketDecode,
    ];

    fn label(self) -> &'static str {
        match self {
            DropReason::HepDecode => "hep_decode",
            DropReason::AuthKey => "auth_key",
            DropReason::QueueFull => "queue_full",
            DropReason::SipParse => "sip_parse",
            DropReason::StoreError => "store_error",
            DropReason::TcpFraming => "tcp_framing",
            DropReason::PacketDecode => "packet_decode",
        }
    }
}

/// Maximum distinct decoder-error labels tracked; more fold into "other".
const MAX_DETAIL_LABELS: usize = 32;

/// All collector counters. Shared by every listener and the ingest thread.
#[derive(Debug, Default)]
pub struct Metrics {
    pub hep_udp_received: AtomicU64,
    pub hep_tcp_received: AtomicU64,
    pub hep_tls_received: AtomicU64,
    pub hep_decoded: AtomicU64,
    pub messages_parsed: AtomicU64,
    pub messages_stored: AtomicU64,
    /// Messages made durable by a completed store flush (they survive a crash).
    pub messages_durable: AtomicU64,
    pub bytes_stored: AtomicU64,
    pub batches_stored: AtomicU64,
    pub tcp_connections: AtomicU64,
    /// TCP connections accepted on HEP TLS listeners (before the handshake).
    pub tls_connections: AtomicU64,
    /// TLS handshakes that failed or timed out (plain TCP on the TLS port, untrusted cert...).
    pub tls_handshake_failures: AtomicU64,
    pub queue_depth: AtomicU64,
    pub store_bytes_on_disk: AtomicU64,
    /// Call tracker counters (calls by status, SIP methods, alarms...).
    pub tracking: crate::tracking::TrackMetrics,
    pub webhooks: std::sync::Arc<crate::webhook::WebhookMetrics>,
    pub forward: std::sync::Arc<crate::forward::ForwardMetrics>,
    dropped: [AtomicU64; 7],
    /// Decoder error reasons (`too_short`, `bad_magic`, `header_too_long`...), by label.
    details: parking_lot::Mutex<Vec<(&'static str, &'static str, u64)>>,
    /// Local UDP ports of the HEP listeners, to read the kernel's drop counters.
    udp_ports: parking_lot::Mutex<Vec<u16>>,
}

impl Metrics {
    /// Counts one drop.
    pub fn count_drop(&self, reason: DropReason) {
        self.dropped[reason as usize].fetch_add(1, Relaxed);
    }

    /// Counts one drop with the decoder's own finer reason (`layer` is `hep`, `sip`, `packet`).
    /// Decode errors are the exception path, so a short mutex here costs nothing on the hot path.
    pub fn drop_detail(&self, reason: DropReason, layer: &'static str, detail: &'static str) {
        self.count_drop(reason);
        self.count_error(layer, detail);
    }

    /// Counts a decoder error that did not drop the message (e.g. SIP parse failure, stored raw).
    pub fn count_error(&self, layer: &'static str, detail: &'static str) {
        let mut d = self.details.lock();
        if let Some(e) = d.iter_mut().find(|e| e.0 == layer && e.1 == detail) {
            e.2 += 1;
        } else if d.len() < MAX_DETAIL_LABELS {
            d.push((layer, detail, 1));
        } else if let Some(e) = d.iter_mut().find(|e| e.0 == layer && e.1 == "other") {
            e.2 += 1;
        } else {
            d.push((layer, "other", 1));
        }
    }

    /// Registers a HEP UDP listener port whose kernel-side drops are reported.
    pub fn watch_udp_port(&self, port: u16) {
        self.udp_ports.lock().push(port);
    }

    /// Datagrams the kernel dropped before we read them (socket buffer full), from
    /// `/proc/net/udp{,6}`: the loss our own counters cannot see. Read only at scrape time.
    pub fn kernel_udp_drops(&self) -> u64 {
        let ports = self.udp_ports.lock().clone();
        if ports.is_empty() {
            return 0;
        }
        ["/proc/net/udp", "/proc/net/udp6"]
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .map(|text| udp_drops_for_ports(&text, &ports))
            .sum()
    }

    /// Current count for one drop reason.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped[reason as usize].load(Relaxed)
    }

    /// Sum of all drops.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().map(|a| a.load(Relaxed)).sum()
    }

    /// Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut s = String::with_capacity(2048);
        let g = |a: &AtomicU64| a.load(Relaxed);
        let _ = writeln!(
            s,
            "# HELP argos_hep_packets_received_total HEP packets received, by transport.\n\
             # TYPE argos_hep_packets_received_total counter\n\
             argos_hep_packets_received_total{{transport=\"udp\"}} {}\n\
             argos_hep_packets_received_total{{transport=\"tcp\"}} {}\n\
             argos_hep_packets_received_total{{transport=\"tls\"}} {}",
            g(&self.hep_udp_received),
            g(&self.hep_tcp_received),
            g(&self.hep_tls_received)
        );
        let _ = writeln!(
            s,
            "# HELP argos_hep_packets_decoded_total HEP packets decoded.\n\
             # TYPE argos_hep_packets_decoded_total counter\n\
             argos_hep_packets_decoded_total {}",
            g(&self.hep_decoded)
        );
        let _ = writeln!(
            s,
            "# HELP argos_packets_dropped_total Packets or messages dropped, by reason.\n\
             # TYPE argos_packets_dropped_total counter"
        );
        for r in DropReason::ALL {
            let _ = writeln!(
                s,
                "argos_packets_dropped_total{{reason=\"{}\"}} {}",
                r.label(),
                self.dropped(r)
            );
        }
        let _ = writeln!(
            s,
            "argos_packets_dropped_total{{reason=\"kernel_rcvbuf\"}} {}",
            self.kernel_udp_drops()
        );
        let _ = writeln!(
            s,
            "# HELP argos_decode_errors_total Decoder errors by layer and reason.\n\
             # TYPE argos_decode_errors_total counter"
        );
        for (layer, detail, n) in self.details.lock().iter() {
            let _ = writeln!(
                s,
                "argos_decode_errors_total{{layer=\"{layer}\",reason=\"{detail}\"}} {n}"
            );
        }
        let counters: [(&str, &str, &AtomicU64); 8] = [
            (
                "argos_messages_durable_total",
                "Messages made durable by a completed store flush.",
                &self.messages_durable,
            ),
            (
                "argos_messages_parsed_total",
                "Messages parsed by the ingest pipeline.",
                &self.messages_parsed,
            ),
            (
                "argos_messages_stored_total",
                "Messages written to the store.",
                &self.messages_stored,
            ),
            (
                "argos_bytes_stored_total",
                "Bytes written to the store.",
                &self.bytes_stored,
            ),
            (
                "argos_store_batches_total",
                "Batches written to the store.",
                &self.batches_stored,
            ),
            (
                "argos_tcp_connections_total",
                "HEP TCP connections accepted.",
                &self.tcp_connections,
            ),
            (
                "argos_tls_connections_total",
                "HEP TLS connections accepted (before the handshake).",
                &self.tls_connections,
            ),
            (
                "argos_tls_handshake_failures_total",
                "HEP TLS handshakes that failed or timed out.",
                &self.tls_handshake_failures,
            ),
        ];
        for (name, help, v) in counters {
            let _ = writeln!(
                s,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                g(v)
            );
        }
        let gauges: [(&str, &str, &AtomicU64); 2] = [
            (
                "argos_queue_depth",
                "Captures waiting in the ingest queue.",
                &self.queue_depth,
            ),
            (
                "argos_store_bytes",
                "Bytes the store uses on disk.",
                &self.store_bytes_on_disk,
            ),
        ];
        for (name, help, v) in gauges {
            let _ = writeln!(
                s,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {}",
                g(v)
            );
        }
        self.tracking.render(&mut s);
        self.webhooks.render(&mut s);
        self.forward.render(&mut s);
        s
    }
}

/// Sums the `drops` column of `/proc/net/udp`-format lines whose local port is in `ports`.
fn udp_drops_for_ports(text: &str, ports: &[u16]) -> u64 {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let port = cols.get(1)?.rsplit(':').next()?;
            let port = u16::from_str_radix(port, 16).ok()?;
            if !ports.contains(&port) {
                return None;
            }
            cols.last()?.parse::<u64>().ok()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_drops_parsed_from_proc_format() {
        let text = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
            1: 0100007F:2364 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 17\n\
            2: 0100007F:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 5\n";
        assert_eq!(udp_drops_for_ports(text, &[9060]), 17);
        assert_eq!(udp_drops_for_ports(text, &[1]), 0);
    }

    #[test]
    fn renders_drops_by_reason() {
        let m = Metrics::default();
        m.count_drop(DropReason::AuthKey);
        m.drop_detail(DropReason::HepDecode, "hep", "too_short");
        let text = m.render();
        assert!(text.contains("argos_packets_dropped_total{reason=\"auth_key\"} 1"));
        assert!(text.contains("argos_packets_dropped_total{reason=\"hep_decode\"} 1"));
        assert!(text.contains("argos_decode_errors_total{layer=\"hep\",reason=\"too_short\"} 1"));
        assert_eq!(m.dropped_total(), 2);
    }

    #[test]
    fn renders_tls_counters() {
        let m = Metrics::default();
        m.hep_tls_received.fetch_add(3, Relaxed);
        m.tls_connections.fetch_add(2, Relaxed);
        m.tls_handshake_failures.fetch_add(1, Relaxed);
        let text = m.render();
        assert!(text.contains("argos_hep_packets_received_total{transport=\"tls\"} 3"));
        assert!(text.contains("argos_tls_connections_total 2"));
        assert!(text.contains("argos_tls_handshake_failures_total 1"));
    }
}
