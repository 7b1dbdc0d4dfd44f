//! Per-stream RTP statistics computed exactly as Wireshark's RTP analysis
//! (`ui/tap-rtp-analysis.c` `rtppacket_analyse`, totals as `rtpstream_info_calculate`),
//! so the numbers match `tshark -z rtp,streams`: jitter in ms with Wireshark's integer
//! `clock / 1000`, deltas and jitter only from "regular" packets, means divided by the
//! count of *all* packets so far, lost = expected − received from the first and the
//! *last received* sequence numbers (negative with duplicates).
//!
//! The oracle is tshark 4.0 (Debian 12): a packet is "in time sequence" when its RTP
//! timestamp is at most 2³¹ after the *first* packet's, and only such packets move the
//! delta/jitter reference. (Later Wireshark releases compare 64-bit extended timestamps
//! with the last in-sequence packet instead; the two differ only after a timestamp
//! reset, e.g. the T.38 switch in `heplify__FAX-Call-t38-CA-TDM-SIP-FB-1.pcap`.)

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::drift::ClockDrift;
use crate::emodel::{self, Codec, EmodelInput, EmodelResult};
use crate::payload::{packet_clock, payload_name, PayloadMap, PT_CN, PT_CN_OLD};
use crate::rtp::RtpPacket;

/// A stream's identity, as Wireshark keys it: addresses, ports and SSRC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamKey {
    /// Source address and port.
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
    /// Synchronisation source.
    pub ssrc: u32,
}

/// Per-packet analysis flags (Wireshark's `STAT_FLAG_*` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct PacketFlags(pub u16);

impl PacketFlags {
    /// First packet of the stream.
    pub const FIRST: u16 = 0x001;
    /// Marker bit set.
    pub const MARKER: u16 = 0x002;
    /// Sequence number not the expected one (gap, late or duplicate).
    pub const WRONG_SEQ: u16 = 0x004;
    /// Payload type differs from the previous packet's.
    pub const PT_CHANGE: u16 = 0x008;
    /// Comfort noise (PT 13 or 19).
    pub const PT_CN: u16 = 0x010;
    /// The previous packet was comfort noise.
    pub const FOLLOW_PT_CN: u16 = 0x020;
    /// Payload type differs from the last non-CN one.
    pub const REG_PT_CHANGE: u16 = 0x040;
    /// RTP timestamp older than the last in-sequence packet's.
    pub const WRONG_TIMESTAMP: u16 = 0x080;
    /// RFC 4733 telephone event.
    pub const PT_T_EVENT: u16 = 0x100;

    /// Whether all bits of `flag` are set.
    pub fn has(self, flag: u16) -> bool {
        self.0 & flag == flag
    }
}

/// Wireshark-compatible statistics of one RTP stream.
#[derive(Debug, Clone)]
pub struct StreamStats {
    payload_map: Option<Arc<PayloadMap>>,
    first_us: i64,
    last_us: i64,
    start_seq: u16,
    stop_seq: u16,
    seq_num: u16,
    seq_cycles: u32,
    under: bool,
    /// RTP timestamp of the first packet: the reference of "in time sequence".
    first_ts: u32,
    /// Arrival (ms since the first packet) of the last in-time-sequence packet.
    time: f64,
    jitter: f64,
    delta: f64,
    max_delta: f64,
    min_delta: f64,
    mean_delta: f64,
    max_jitter: f64,
    min_jitter: f64,
    mean_jitter: f64,
    skew: f64,
    max_skew: f64,
    last_nominal: f64,
    total_nr: u64,
    sequence_errors: u64,
    out_of_order: u64,
    wrong_timestamps: u64,
    markers: u64,
    pt_changes: u64,
    pt: u8,
    reg_pt: u8,
    clock_rate: u32,
    /// Payload types seen (bit per PT).
    seen_pt: u128,
    octets: u64,
    /// Runs of consecutive missing sequence numbers (forward gaps).
    loss_runs: u64,
    /// Sequence numbers missing in those runs, less late arrivals that filled them.
    run_lost: u64,
    /// Arrival over RTP time, for the sender's clock drift.
    drift: ClockDrift,
    /// Last payload type that was neither comfort noise nor a telephone event: the
    /// voice codec the E-model scores.
    voice_pt: Option<u8>,
}

/// Totals of one stream, as tshark's `rtp,streams` row and the Qt analysis dialog show.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamSummary {
    /// Arrival of the first packet, µs.
    pub first_us: i64,
    /// Arrival of the last packet, µs.
    pub last_us: i64,
    /// Packets received.
    pub packets: u64,
    /// Expected packets: last received seq (with cycles) − first seq + 1.
    pub expected: i64,
    /// expected − packets (negative when duplicates outnumber losses).
    pub lost: i64,
    /// lost · 100 / expected (0 when expected is 0).
    pub lost_percent: f64,
    /// Smallest delta between regular packets, ms (−1 if none).
    pub min_delta_ms: f64,
    /// Wireshark's mean delta, ms.
    pub mean_delta_ms: f64,
    /// Largest delta, ms.
    pub max_delta_ms: f64,
    /// Smallest jitter, ms (−1 if never computed).
    pub min_jitter_ms: f64,
    /// Wireshark's mean jitter, ms.
    pub mean_jitter_ms: f64,
    /// Largest jitter, ms.
    pub max_jitter_ms: f64,
    /// Jitter after the last packet, ms.
    pub last_jitter_ms: f64,
    /// Skew with the largest magnitude, ms (signed).
    pub max_skew_ms: f64,
    /// Packets with a wrong sequence number (Wireshark "Seq errs").
    pub sequence_errors: u64,
    /// Late or duplicated packets (sequence number not above the last in-order one).
    pub out_of_order: u64,
    /// Packets whose timestamp went backwards.
    pub wrong_timestamps: u64,
    /// Packets with the marker bit.
    pub markers: u64,
    /// Payload-type changes between consecutive packets.
    pub payload_type_changes: u64,
    /// Payload types seen, ascending.
    pub payload_types: Vec<u8>,
    /// Payload names as tshark joins them (`g711A, telephone-event`).
    pub payload_names: String,
    /// Last non-zero clock rate used.
    pub clock_rate: u32,
    /// RTP bytes (header + payload) received.
    pub octets: u64,
    /// A wrong sequence number or timestamp was seen (tshark's `X`).
    pub problem: bool,
    /// Runs of consecutive missing sequence numbers seen (bursts of loss, ≥ 1 packet).
    pub loss_runs: u64,
    /// G.107 BurstR of the loss pattern (see [`StreamStats::burst_ratio`]); 1.0 without
    /// loss.
    pub burst_ratio: f64,
    /// Sender clock drift against the capture clock, ppm (positive: the sender's RTP
    /// clock runs fast); 0 until two timed packets. See [`crate::drift`].
    pub drift_ppm: f64,
}

impl StreamStats {
    /// A stream whose dynamic payload types are resolved with `payload_map` (from the
    /// SDP that set it up, shared with the media map; `None`: dynamic types get clock 0,
    /// as in Wireshark).
    pub fn new(payload_map: Option<Arc<PayloadMap>>) -> Self {
        StreamStats {
            payload_map,
            first_us: 0,
            last_us: 0,
            start_seq: 0,
            stop_seq: 0,
            seq_num: 0,
            seq_cycles: 0,
            under: false,
            first_ts: 0,
            time: 0.0,
            jitter: 0.0,
            delta: 0.0,
            max_delta: 0.0,
            min_delta: -1.0,
            mean_delta: 0.0,
            max_jitter: 0.0,
            min_jitter: -1.0,
            mean_jitter: 0.0,
            skew: 0.0,
            max_skew: 0.0,
            last_nominal: 0.0,
            total_nr: 0,
            sequence_errors: 0,
            out_of_order: 0,
            wrong_timestamps: 0,
            markers: 0,
            pt_changes: 0,
            pt: 0,
            reg_pt: 0,
            clock_rate: 0,
            seen_pt: 0,
            octets: 0,
            loss_runs: 0,
            run_lost: 0,
            drift: ClockDrift::default(),
            voice_pt: None,
        }
    }

    /// Replaces the payload map (a re-INVITE changed the SDP).
    pub fn set_payload_map(&mut self, map: Option<Arc<PayloadMap>>) {
        self.payload_map = map;
    }

    /// Packets seen so far.
    pub fn packets(&self) -> u64 {
        self.total_nr
    }

    /// Adds one packet that arrived at `arrival_us` (µs, any epoch; only differences
    /// matter). Returns Wireshark's flags for the packet.
    pub fn update(&mut self, pkt: &RtpPacket<'_>, arrival_us: i64) -> PacketFlags {
        let pt = pkt.payload_type;
        let seq = pkt.sequence;
        self.seen_pt |= 1u128 << (pt & 0x7F);
        self.octets += (12 + pkt.csrc_count() * 4 + pkt.payload.len()) as u64;
        if pkt.marker {
            self.markers += 1;
        }
        if self.total_nr == 0 {
            return self.first(pkt, arrival_us);
        }
        let now = (arrival_us.saturating_sub(self.first_us)) as f64 / 1000.0;
        self.last_us = arrival_us;
        let mut flags = 0u16;

        // In time sequence: at most 2^31 after the first packet's timestamp. (Wireshark's
        // second branch, meant for a wrap past 0xFFFFFFFF, can never be true: a
        // timestamp below the first is always out of sequence.)
        let since_first = pkt.timestamp.wrapping_sub(self.first_ts);
        let in_time_sequence = pkt.timestamp >= self.first_ts && since_first < 0x8000_0000;
        if !in_time_sequence {
            flags |= PacketFlags::WRONG_TIMESTAMP;
            self.wrong_timestamps += 1;
        }

        // Sequence cycles: Wireshark's heuristic relative to the first sequence number.
        let wrapped = seq < self.start_seq || (seq == 0 && self.stop_seq == 65535);
        if wrapped && in_time_sequence && !self.under {
            self.seq_cycles += 1;
            self.under = true;
        } else if seq > self.start_seq && in_time_sequence && self.under {
            self.under = false;
        }

        // Sequence errors; comparisons on the 16-bit values promoted to int, as in C.
        let last = i32::from(self.seq_num);
        let cur = i32::from(seq);
        let next = last + 1 == cur || (last == 65535 && cur == 0);
        if in_time_sequence && next {
            self.seq_num = seq;
        } else if in_time_sequence && (last + 1 < cur || last - cur > 0xFF00) {
            // A forward gap of up to half the sequence space is a run of losses; a
            // larger one is a late packet or a restart.
            let gap = seq.wrapping_sub(self.seq_num).wrapping_sub(1);
            if gap > 0 && gap < 0x8000 {
                self.loss_runs += 1;
                self.run_lost += u64::from(gap);
            }
            self.seq_num = seq;
            self.sequence_errors += 1;
            flags |= PacketFlags::WRONG_SEQ;
        } else if last + 1 > cur {
            // A late packet (not a duplicate of the last one) fills a hole of a run.
            if cur != last {
                self.run_lost = self.run_lost.saturating_sub(1);
            }
            self.sequence_errors += 1;
            self.out_of_order += 1;
            flags |= PacketFlags::WRONG_SEQ;
        }

        if pt == PT_CN || pt == PT_CN_OLD {
            flags |= PacketFlags::PT_CN;
        }
        if self.pt == PT_CN || self.pt == PT_CN_OLD {
            flags |= PacketFlags::FOLLOW_PT_CN;
        }
        if pt != self.pt {
            flags |= PacketFlags::PT_CHANGE;
            self.pt_changes += 1;
        }
        self.pt = pt;

        let clock = packet_clock(pt, self.payload_map.as_deref());
        if clock.telephone_event {
            flags |= PacketFlags::PT_T_EVENT;
        } else if flags & PacketFlags::PT_CN == 0 {
            self.voice_pt = Some(pt);
        }
        // Delta, jitter and skew only for packets in time sequence.
        let mut current_jitter = 0.0;
        if in_time_sequence {
            if clock.rate != 0 {
                self.clock_rate = clock.rate;
                // Wireshark divides by the integer clock_rate / 1000 (11025 → 11).
                let per_ms = f64::from(clock.rate / 1000);
                let nominal = if per_ms > 0.0 {
                    f64::from(since_first) / per_ms
                } else {
                    0.0
                };
                let expected_time = self.time + (nominal - self.last_nominal);
                let diff = (now - expected_time).abs();
                current_jitter = (15.0 * self.jitter + diff) / 16.0;
                self.jitter = current_jitter;
                self.delta = now - self.time;
                self.last_nominal = nominal;
                self.skew = nominal - now;
                if self.skew.abs() > self.max_skew.abs() {
                    self.max_skew = self.skew;
                }
                self.drift
                    .add(f64::from(since_first) / f64::from(clock.rate), now / 1000.0);
            } else {
                self.delta = now - self.time;
            }
        }

        if pkt.marker {
            flags |= PacketFlags::MARKER;
        }
        let irregular = PacketFlags::MARKER
            | PacketFlags::PT_CN
            | PacketFlags::WRONG_TIMESTAMP
            | PacketFlags::FOLLOW_PT_CN;
        if flags & irregular == 0 {
            let n = self.total_nr as f64;
            if self.delta > self.max_delta {
                self.max_delta = self.delta;
            }
            if self.min_delta == -1.0 || self.delta < self.min_delta {
                self.min_delta = self.delta;
            }
            // Wireshark's running mean over all packets so far (not only regular ones).
            self.mean_delta = (self.mean_delta * (n - 1.0) + self.delta) / n;
            if clock.rate != 0 {
                if self.jitter > self.max_jitter {
                    self.max_jitter = self.jitter;
                }
                self.mean_jitter = (self.mean_jitter * (n - 1.0) + current_jitter) / n;
                if self.min_jitter == -1.0 || self.jitter < self.min_jitter {
                    self.min_jitter = self.jitter;
                }
            }
        }
        if flags & PacketFlags::PT_CN == 0 {
            if self.pt != self.reg_pt {
                flags |= PacketFlags::REG_PT_CHANGE;
            }
            self.reg_pt = self.pt;
        }
        if in_time_sequence {
            self.time = now;
        }
        self.stop_seq = seq;
        self.total_nr += 1;
        PacketFlags(flags)
    }

    fn first(&mut self, pkt: &RtpPacket<'_>, arrival_us: i64) -> PacketFlags {
        self.first_us = arrival_us;
        self.last_us = arrival_us;
        self.start_seq = pkt.sequence;
        self.stop_seq = pkt.sequence;
        self.seq_num = pkt.sequence;
        self.first_ts = pkt.timestamp;
        self.time = 0.0;
        self.pt = pkt.payload_type;
        self.reg_pt = pkt.payload_type;
        let pt = pkt.payload_type;
        if pt != PT_CN
            && pt != PT_CN_OLD
            && !packet_clock(pt, self.payload_map.as_deref()).telephone_event
        {
            self.voice_pt = Some(pt);
        }
        self.total_nr = 1;
        let mut flags = PacketFlags::FIRST;
        if pkt.marker {
            flags |= PacketFlags::MARKER;
        }
        PacketFlags(flags)
    }

    /// G.107 / G.113 BurstR of the loss seen so far: the mean length of the runs of
    /// consecutive lost packets divided by the mean run length random loss of the same
    /// rate would give, `1/(1 − p)` (VoIPmonitor's definition, qos-metrics.md §3.3c).
    /// 1.0 without loss; never below 1 (a smaller value is sampling noise of random
    /// loss). A late packet that fills a hole shortens the runs' total, not their count.
    pub fn burst_ratio(&self) -> f64 {
        if self.loss_runs == 0 || self.run_lost == 0 {
            return 1.0;
        }
        let lost = self.run_lost as f64;
        let mean_run = lost / self.loss_runs as f64;
        let p = lost / (lost + self.total_nr as f64);
        (mean_run * (1.0 - p)).max(1.0)
    }

    /// The voice codec of the stream: the last payload type that was neither comfort
    /// noise nor a telephone event, named by its static number or the SDP's rtpmap;
    /// [`Codec::Unknown`] before any such packet or when the SDP did not map it.
    pub fn codec(&self) -> Codec {
        match self.voice_pt {
            Some(pt) if pt < 96 => emodel::codec_from_payload_type(pt),
            Some(pt) => self
                .payload_map
                .as_deref()
                .and_then(|m| m.get(pt))
                .map_or(Codec::Unknown, |f| {
                    emodel::codec_from_name(&f.encoding, f.clock_rate)
                }),
            None => Codec::Unknown,
        }
    }

    /// The E-model inputs this stream gives: its codec, loss % (0 when duplicates
    /// outnumber losses), BurstR and Wireshark's mean jitter; `one_way_delay_ms` from
    /// elsewhere (RTCP RTT / 2), 0 when unknown. No jitter-buffer size is known here.
    pub fn emodel_input(&self, one_way_delay_ms: f64) -> EmodelInput {
        EmodelInput {
            codec: self.codec(),
            loss_percent: self.loss().2.max(0.0),
            burst_ratio: self.burst_ratio(),
            one_way_delay_ms,
            jitter_ms: self.mean_jitter,
            jitter_buffer_ms: None,
        }
    }

    /// The G.107 E-model of this stream ([`Self::emodel_input`], [`emodel::emodel`]).
    pub fn emodel(&self, one_way_delay_ms: f64) -> EmodelResult {
        emodel::emodel(&self.emodel_input(one_way_delay_ms))
    }

    /// Sender clock drift, ppm (see [`crate::drift`]).
    pub fn drift_ppm(&self) -> f64 {
        self.drift.ppm()
    }

    /// Expected, lost and lost % as the summary gives them.
    fn loss(&self) -> (i64, i64, f64) {
        let expected = i64::from(self.stop_seq) + i64::from(self.seq_cycles) * 65536
            - i64::from(self.start_seq)
            + 1;
        let lost = expected - self.total_nr as i64;
        let lost_percent = if expected != 0 {
            lost as f64 * 100.0 / expected as f64
        } else {
            0.0
        };
        (expected, lost, lost_percent)
    }

    /// The stream's totals so far.
    pub fn summary(&self) -> StreamSummary {
        let (expected, lost, lost_percent) = self.loss();
        let packets = self.total_nr;
        let payload_types: Vec<u8> = (0u8..128)
            .filter(|pt| self.seen_pt & (1u128 << pt) != 0)
            .collect();
        let payload_names = payload_types
            .iter()
            .map(|&pt| payload_name(pt, self.payload_map.as_deref()))
            .collect::<Vec<_>>()
            .join(", ");
        StreamSummary {
            first_us: self.first_us,
            last_us: self.last_us,
            packets,
            expected,
            lost,
            lost_percent,
            min_delta_ms: self.min_delta,
            mean_delta_ms: self.mean_delta,
            max_delta_ms: self.max_delta,
            min_jitter_ms: self.min_jitter,
            mean_jitter_ms: self.mean_jitter,
            max_jitter_ms: self.max_jitter,
            last_jitter_ms: self.jitter,
            max_skew_ms: self.max_skew,
            sequence_errors: self.sequence_errors,
            out_of_order: self.out_of_order,
            wrong_timestamps: self.wrong_timestamps,
            markers: self.markers,
            payload_type_changes: self.pt_changes,
            payload_types,
            payload_names,
            clock_rate: self.clock_rate,
            octets: self.octets,
            problem: self.sequence_errors > 0 || self.wrong_timestamps > 0,
            loss_runs: self.loss_runs,
            burst_ratio: self.burst_ratio(),
            drift_ppm: self.drift.ppm(),
        }
    }
}

/// All streams seen, keyed by [`StreamKey`], with a hard bound on their number.
#[derive(Debug, Clone)]
pub struct StreamTable {
    streams: HashMap<StreamKey, StreamStats>,
    max_streams: usize,
    dropped_packets: u64,
}

impl StreamTable {
    /// A table tracking at most `max_streams` streams; packets of further streams are
    /// dropped and counted.
    pub fn new(max_streams: usize) -> Self {
        StreamTable {
            streams: HashMap::new(),
            max_streams,
            dropped_packets: 0,
        }
    }

    /// Adds a packet to its stream, creating the stream (with `payload_map`, used only
    /// then) when new. `None` when the table is full and the packet was dropped.
    pub fn update(
        &mut self,
        key: StreamKey,
        pkt: &RtpPacket<'_>,
        arrival_us: i64,
        payload_map: impl FnOnce() -> Option<Arc<PayloadMap>>,
    ) -> Option<PacketFlags> {
        let full = self.streams.len() >= self.max_streams;
        let stats = match self.streams.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                if full {
                    self.dropped_packets += 1;
                    return None;
                }
                e.insert(StreamStats::new(payload_map()))
            }
        };
        Some(stats.update(pkt, arrival_us))
    }

    /// The stream with key `key`.
    pub fn get(&self, key: &StreamKey) -> Option<&StreamStats> {
        self.streams.get(key)
    }

    /// Removes and returns a stream (when its call ended).
    pub fn remove(&mut self, key: &StreamKey) -> Option<StreamStats> {
        self.streams.remove(key)
    }

    /// Every stream, unordered.
    pub fn iter(&self) -> impl Iterator<Item = (&StreamKey, &StreamStats)> {
        self.streams.iter()
    }

    /// Number of streams.
    pub fn len(&self) -> usize {
        self.streams.len()
    }

    /// True when no stream is tracked.
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    /// Packets dropped because the table was full.
    pub fn dropped_packets(&self) -> u64 {
        self.dropped_packets
    }
}
