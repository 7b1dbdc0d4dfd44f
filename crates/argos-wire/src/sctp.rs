//! SCTP user messages from DATA chunks.

use argos_net::{ReassemblyLimits, SctpData};
use bytes::Bytes;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

/// One direction of an SCTP association and a stream in it.
type SctpKey = (SocketAddr, SocketAddr, u16);

/// Joins fragmented SCTP user messages (DATA chunks with B/E flags, consecutive TSNs on
/// one stream), bounded like the TCP reassembler: at most `max_flows` partial messages
/// of at most `max_bytes_per_flow` bytes each. At the limit the oldest partial message is
/// dropped, found through an age index so a flood of beginnings costs O(log n) each.
pub struct SctpReassembler {
    limits: ReassemblyLimits,
    /// (src, dst, stream) → (next TSN, bytes so far, insertion order).
    partial: HashMap<SctpKey, (u32, Vec<u8>, u64)>,
    /// Insertion order → key, for the entries of `partial`.
    by_age: BTreeMap<u64, SctpKey>,
    order: u64,
    /// Partial messages dropped: evicted at the limit, over the size limit, or broken by
    /// a missing TSN.
    dropped: u64,
}

impl SctpReassembler {
    pub fn new(limits: ReassemblyLimits) -> Self {
        SctpReassembler {
            limits,
            partial: HashMap::new(),
            by_age: BTreeMap::new(),
            order: 0,
            dropped: 0,
        }
    }

    /// Partial messages dropped so far (see the struct's doc).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Partial messages held now.
    pub fn pending(&self) -> usize {
        self.partial.len()
    }

    fn remove(&mut self, key: &SctpKey) -> Option<Vec<u8>> {
        let (_, buf, order) = self.partial.remove(key)?;
        self.by_age.remove(&order);
        Some(buf)
    }

    fn drop_partial(&mut self, key: &SctpKey) {
        if self.remove(key).is_some() {
            self.dropped += 1;
        }
    }

    /// Feeds one DATA chunk; returns a complete user message.
    pub fn push(&mut self, src: SocketAddr, dst: SocketAddr, c: &SctpData<'_>) -> Option<Bytes> {
        let (b, e) = (c.flags & 0x02 != 0, c.flags & 0x01 != 0);
        let key = (src, dst, c.stream_id);
        if b && e {
            return Some(Bytes::copy_from_slice(c.data));
        }
        if b {
            self.drop_partial(&key);
            if c.data.len() > self.limits.max_bytes_per_flow {
                self.dropped += 1;
                return None;
            }
            if self.partial.len() >= self.limits.max_flows.max(1) {
                if let Some((_, oldest)) = self.by_age.pop_first() {
                    self.partial.remove(&oldest);
                    self.dropped += 1;
                }
            }
            self.order += 1;
            self.by_age.insert(self.order, key);
            self.partial
                .insert(key, (c.tsn.wrapping_add(1), c.data.to_vec(), self.order));
            return None;
        }
        let (next, buf, _) = self.partial.get_mut(&key)?;
        if c.tsn != *next || buf.len() + c.data.len() > self.limits.max_bytes_per_flow {
            self.drop_partial(&key);
            return None;
        }
        buf.extend_from_slice(c.data);
        *next = next.wrapping_add(1);
        if e {
            return self.remove(&key).map(Bytes::from);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argos_net::{ReassemblyLimits, SctpData};

    fn chunk(tsn: u32, stream_id: u16, flags: u8, data: &[u8]) -> SctpData<'_> {
        SctpData {
            tsn,
            stream_id,
            stream_seq: 0,
            ppid: 0,
            flags,
            data,
        }
    }

    #[test]
    fn sctp_fragments_are_joined() {
        let a: SocketAddr = ([10, 0, 0, 1], 5060).into();
        let b: SocketAddr = ([10, 0, 0, 2], 5060).into();
        let mut r = SctpReassembler::new(ReassemblyLimits {
            max_flows: 2,
            max_bytes_per_flow: 16,
            idle_timeout_us: 0,
        });
        assert_eq!(
            r.push(a, b, &chunk(1, 0, 3, b"whole")).as_deref(),
            Some(&b"whole"[..])
        );
        assert_eq!(r.push(a, b, &chunk(5, 0, 2, b"ab")), None);
        assert_eq!(r.push(a, b, &chunk(6, 0, 0, b"cd")), None);
        assert_eq!(
            r.push(a, b, &chunk(7, 0, 1, b"ef")).as_deref(),
            Some(&b"abcdef"[..])
        );
        // A gap in TSNs, an end without a beginning, and a message over the limit.
        assert_eq!(r.push(a, b, &chunk(10, 1, 2, b"ab")), None);
        assert_eq!(r.push(a, b, &chunk(12, 1, 1, b"cd")), None);
        assert_eq!(r.push(a, b, &chunk(13, 1, 1, b"cd")), None);
        assert_eq!(r.push(a, b, &chunk(20, 2, 2, &[b'x'; 10])), None);
        assert_eq!(r.push(a, b, &chunk(21, 2, 1, &[b'x'; 10])), None);
        // Partial messages are bounded by max_flows.
        for s in 0..10 {
            assert_eq!(r.push(a, b, &chunk(30, s, 2, b"a")), None);
        }
        assert!(r.partial.len() <= 2);
        assert_eq!(r.by_age.len(), r.partial.len());
        // The TSN gap, the message over the limit, and 8 evictions.
        assert_eq!(r.dropped(), 10);
    }
}
