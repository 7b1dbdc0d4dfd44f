//! RFC 4733 telephone events (DTMF digits carried in RTP): payload decoding and a
//! per-stream tracker that reports each key press once.
//!
//! An event is sent as a series of packets sharing one RTP timestamp (the event's
//! start), with a growing duration; the last one has the E (end) bit and is usually sent
//! three times. The tracker keys an event by that timestamp, so retransmitted end packets
//! collapse into one report, and an event whose end packets were all lost is reported
//! (without `ended`) when the next event starts or at [`DtmfTracker::flush`].

use std::collections::VecDeque;

use crate::rtp::RtpPacket;

/// Why a telephone-event payload could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DtmfError {
    /// Fewer than the 4 octets of an event block.
    #[error("telephone-event payload too short: {have} bytes, 4 needed")]
    TooShort {
        /// Bytes available.
        have: usize,
    },
}

impl DtmfError {
    /// Stable snake_case label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            DtmfError::TooShort { .. } => "too_short",
        }
    }
}

/// One RFC 4733 event block (RFC 4733 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Event code: 0–9, 10 = `*`, 11 = `#`, 12–15 = A–D, other codes are tones/events of
    /// other registries (RFC 4734).
    pub event: u8,
    /// E bit: the last packet(s) of the event.
    pub end: bool,
    /// Power level, −dBm0 (0–63; 0 = loudest).
    pub volume: u8,
    /// Duration so far, in RTP timestamp units.
    pub duration: u16,
}

impl TelephoneEvent {
    /// The DTMF character of the event code, `None` for codes above 15.
    pub fn digit(&self) -> Option<char> {
        digit_of(self.event)
    }
}

/// `0`–`9`, `*`, `#`, `A`–`D` for event codes 0–15.
pub fn digit_of(event: u8) -> Option<char> {
    const DIGITS: &[u8; 16] = b"0123456789*#ABCD";
    DIGITS.get(usize::from(event)).map(|&b| char::from(b))
}

/// Decodes the first event block of a telephone-event payload (a packet may carry more
/// blocks, RFC 4733 §2.5.1.5; the first is the one its timestamp refers to).
pub fn decode(payload: &[u8]) -> Result<TelephoneEvent, DtmfError> {
    match payload {
        [event, flags, d0, d1, ..] => Ok(TelephoneEvent {
            event: *event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3F,
            duration: u16::from_be_bytes([*d0, *d1]),
        }),
        _ => Err(DtmfError::TooShort {
            have: payload.len(),
        }),
    }
}

/// One key press, reported once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DtmfEvent {
    /// Event code (see [`TelephoneEvent::event`]).
    pub event: u8,
    /// Its DTMF character, if it is one.
    pub digit: Option<char>,
    /// RTP timestamp of the event (its start, in the stream's clock).
    pub rtp_timestamp: u32,
    /// Arrival of the event's first packet seen, µs.
    pub start_us: i64,
    /// Longest duration seen, in timestamp units.
    pub duration: u16,
    /// That duration in ms (with the tracker's clock rate).
    pub duration_ms: f64,
    /// Volume of the last packet, −dBm0.
    pub volume: u8,
    /// An end packet was seen (false: reported because the next event started or at
    /// flush, its end packets lost).
    pub ended: bool,
}

/// The event in progress.
#[derive(Debug, Clone, Copy)]
struct Current {
    event: DtmfEvent,
    reported: bool,
}

/// Per-stream telephone-event tracker.
#[derive(Debug, Clone)]
pub struct DtmfTracker {
    clock_rate: u32,
    current: Option<Current>,
    /// Finished events waiting to be returned (when one update completed two); empty,
    /// and so never allocated, on a normal stream.
    queued: VecDeque<DtmfEvent>,
    malformed: u64,
}

impl Default for DtmfTracker {
    fn default() -> Self {
        Self::new(8000)
    }
}

impl DtmfTracker {
    /// A tracker for a telephone-event payload type with clock `clock_rate` Hz (the
    /// rtpmap rate; 8000 when unknown, as RFC 4733 defaults to).
    pub fn new(clock_rate: u32) -> Self {
        DtmfTracker {
            clock_rate: if clock_rate == 0 { 8000 } else { clock_rate },
            current: None,
            queued: VecDeque::new(),
            malformed: 0,
        }
    }

    /// Sets the clock used for [`DtmfEvent::duration_ms`] (an SDP re-negotiated the
    /// telephone-event rate, or the stream was created before its rtpmap was known);
    /// 0 is ignored.
    pub fn set_clock_rate(&mut self, clock_rate: u32) {
        if clock_rate != 0 {
            self.clock_rate = clock_rate;
        }
    }

    /// Telephone-event packets too short to decode.
    pub fn malformed(&self) -> u64 {
        self.malformed
    }

    /// Feeds one packet of the stream (any payload type; only those with
    /// `pt_is_telephone_event` are looked at). Returns an event when one is complete:
    /// at its first end packet, or when a new event starts before the previous one's
    /// end was seen.
    pub fn update(
        &mut self,
        pkt: &RtpPacket<'_>,
        pt_is_telephone_event: bool,
        arrival_us: i64,
    ) -> Option<DtmfEvent> {
        if !pt_is_telephone_event {
            return None;
        }
        let Ok(te) = decode(pkt.payload) else {
            self.malformed += 1;
            return None;
        };
        let same = self
            .current
            .as_ref()
            .is_some_and(|c| c.event.rtp_timestamp == pkt.timestamp && c.event.event == te.event);
        let mut unfinished = None;
        if !same {
            if let Some(prev) = self.current.take() {
                if !prev.reported {
                    unfinished = Some(prev.event);
                }
            }
            self.current = Some(Current {
                event: DtmfEvent {
                    event: te.event,
                    digit: te.digit(),
                    rtp_timestamp: pkt.timestamp,
                    start_us: arrival_us,
                    duration: 0,
                    duration_ms: 0.0,
                    volume: te.volume,
                    ended: false,
                },
                reported: false,
            });
        }
        let clock = f64::from(self.clock_rate);
        let finished = self.current.as_mut().and_then(|c| {
            if te.duration > c.event.duration {
                c.event.duration = te.duration;
                c.event.duration_ms = f64::from(te.duration) * 1000.0 / clock;
            }
            c.event.volume = te.volume;
            if te.end && !c.reported {
                c.reported = true;
                c.event.ended = true;
                Some(c.event)
            } else {
                None
            }
        });
        if unfinished.is_none() && self.queued.is_empty() {
            return finished;
        }
        // Oldest first: queued events, then one cut short, then one just ended.
        self.queued.extend(unfinished);
        self.queued.extend(finished);
        self.queued.pop_front()
    }

    /// At the end of the stream: a queued event, else the event in progress if its end
    /// was never seen. Call until `None`.
    pub fn flush(&mut self) -> Option<DtmfEvent> {
        if let Some(q) = self.queued.pop_front() {
            return Some(q);
        }
        match self.current.take() {
            Some(c) if !c.reported => Some(c.event),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp;

    fn packet(ts: u32, event: u8, end: bool, duration: u16) -> Vec<u8> {
        let mut p = vec![0x80, 101, 0, 1];
        p.extend_from_slice(&ts.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 9]);
        p.extend_from_slice(&[event, if end { 0x80 } else { 0 } | 10]);
        p.extend_from_slice(&duration.to_be_bytes());
        p
    }

    fn feed(t: &mut DtmfTracker, pkts: &[(u32, u8, bool, u16)]) -> Vec<DtmfEvent> {
        let mut out = Vec::new();
        for (i, &(ts, ev, end, dur)) in pkts.iter().enumerate() {
            let bytes = packet(ts, ev, end, dur);
            let Ok(p) = rtp::decode(&bytes) else {
                continue;
            };
            out.extend(t.update(&p, true, i as i64 * 20_000));
        }
        while let Some(e) = t.flush() {
            out.push(e);
        }
        out
    }

    #[test]
    fn decode_fields_and_digits() {
        let e = decode(&[11, 0x8A, 0x03, 0x20]);
        assert_eq!(
            e,
            Ok(TelephoneEvent {
                event: 11,
                end: true,
                volume: 10,
                duration: 800
            })
        );
        assert_eq!(e.map(|e| e.digit()), Ok(Some('#')));
        assert_eq!(decode(&[1, 2, 3]), Err(DtmfError::TooShort { have: 3 }));
        let digits: String = (0..16).filter_map(digit_of).collect();
        assert_eq!(digits, "0123456789*#ABCD");
        assert_eq!(digit_of(16), None);
    }

    #[test]
    fn end_retransmissions_collapse() {
        let mut t = DtmfTracker::new(8000);
        let ev = feed(
            &mut t,
            &[
                (100, 1, false, 160),
                (100, 1, false, 320),
                (100, 1, true, 800),
                (100, 1, true, 800),
                (100, 1, true, 800),
                (900, 5, false, 160),
                (900, 5, true, 480),
                (900, 5, true, 480),
            ],
        );
        assert_eq!(ev.len(), 2, "{ev:?}");
        assert_eq!(
            (ev[0].digit, ev[0].duration, ev[0].ended),
            (Some('1'), 800, true)
        );
        assert_eq!(ev[0].duration_ms, 100.0);
        let mut wide = DtmfTracker::new(0);
        wide.set_clock_rate(16000);
        wide.set_clock_rate(0);
        let e = feed(&mut wide, &[(7, 9, true, 1600)]);
        assert_eq!((e.len(), e[0].duration_ms), (1, 100.0));
        assert_eq!(ev[0].start_us, 0);
        assert_eq!(
            (ev[1].digit, ev[1].duration_ms, ev[1].start_us),
            (Some('5'), 60.0, 100_000)
        );
    }

    #[test]
    fn lost_end_is_reported_at_next_event_and_flush() {
        let mut t = DtmfTracker::default();
        let ev = feed(
            &mut t,
            &[
                (100, 2, false, 160),
                (500, 3, true, 320),
                (900, 4, false, 160),
            ],
        );
        let got: Vec<_> = ev.iter().map(|e| (e.digit, e.ended)).collect();
        assert_eq!(
            got,
            [(Some('2'), false), (Some('3'), true), (Some('4'), false)]
        );
    }

    #[test]
    fn other_payload_types_and_short_payloads_are_ignored() {
        let mut t = DtmfTracker::default();
        let bytes = packet(1, 1, true, 10);
        let p = rtp::decode(&bytes).ok();
        assert!(p.is_some_and(|p| t.update(&p, false, 0).is_none()));
        let short = [0x80, 101, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 1, 0x80];
        let p = rtp::decode(&short).ok();
        assert!(p.is_some_and(|p| t.update(&p, true, 0).is_none()));
        assert_eq!(t.malformed(), 1);
        assert_eq!(t.flush(), None);
    }
}
