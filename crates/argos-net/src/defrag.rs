//! IPv4 and IPv6 fragment reassembly with bounded memory and capture-time timeouts.
//!
//! [`Defragmenter::push`] takes the fragments [`crate::decode_packet`] marks
//! ([`crate::Packet::fragment`]) and returns the original IP payload — the transport
//! header and data — once every byte of it has arrived; decode that with
//! [`crate::decode_transport`].
//!
//! * **Keys**: IPv4 datagrams by (source, destination, protocol, identification);
//!   IPv6 by (source, destination, identification) of the Fragment header. The
//!   protocol of an IPv6 datagram is the next header of its first fragment (offset 0).
//! * **Holes** are tracked as a sorted list of byte ranges (RFC 815); the last
//!   fragment (more-fragments clear) fixes the datagram's length.
//! * **Overlaps: first wins.** A fragment only fills bytes that are still missing;
//!   bytes already held are kept and the overlap is counted
//!   ([`DefragStats::overlaps`]), so exact duplicates are harmless. A datagram whose
//!   fragments disagree about its end (two different last fragments, or data past
//!   the end) is dropped ([`DefragStats::dropped_invalid`]).
//! * **Limits**: one datagram's payload is at most [`DefragLimits::max_datagram`]
//!   bytes (65,535 by default: larger is dropped, [`DefragStats::dropped_limit`]); all
//!   pending datagrams together hold at most [`DefragLimits::max_total_bytes`] and
//!   there are at most [`DefragLimits::max_pending`] of them — over either limit the
//!   oldest pending datagram is dropped (also `dropped_limit`).
//! * **Timeout** by capture time: a datagram not complete
//!   [`DefragLimits::timeout_us`] after its first fragment is dropped and counted in
//!   [`DefragStats::expired`].
//!
//! Nothing here panics on any input, and memory never exceeds the limits (plus
//! bookkeeping per pending datagram).

use crate::packet::FragmentInfo;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

/// Bounds of a [`Defragmenter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefragLimits {
    /// Largest reassembled IP payload, in bytes.
    pub max_datagram: usize,
    /// Bytes held by all pending datagrams together.
    pub max_total_bytes: usize,
    /// Datagrams being reassembled at once.
    pub max_pending: usize,
    /// Capture time (µs) after a datagram's first fragment at which it expires.
    pub timeout_us: i64,
}

impl Default for DefragLimits {
    fn default() -> Self {
        DefragLimits {
            max_datagram: 65_535,
            max_total_bytes: 16 << 20,
            max_pending: 4096,
            timeout_us: 30_000_000,
        }
    }
}

/// What a [`Defragmenter`] did, cumulatively.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DefragStats {
    /// Fragments pushed.
    pub fragments: u64,
    /// Datagrams completed and returned.
    pub reassembled: u64,
    /// Datagrams dropped incomplete after the timeout (or by [`Defragmenter::clear`]).
    pub expired: u64,
    /// Datagrams dropped for a limit: too large, too many pending, too many bytes.
    pub dropped_limit: u64,
    /// Datagrams dropped because their fragments disagree about where they end.
    pub dropped_invalid: u64,
    /// Fragments that overlapped bytes already held (those bytes were kept).
    pub overlaps: u64,
    /// Fragments that ended up in no completed datagram (expired or dropped ones).
    pub fragments_discarded: u64,
}

/// A datagram put back together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IP protocol of the payload (IPv4 protocol, IPv6 next header of the first fragment).
    pub protocol: u8,
    /// The IP payload: the transport header and its data.
    pub payload: Vec<u8>,
    /// Capture time of the fragment that completed it.
    pub ts_us: i64,
    /// Fragments that were pushed for it (duplicates included).
    pub fragments: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    /// IPv4 protocol; 0 for IPv6 (not part of the key there).
    proto: u8,
    id: u32,
    v6: bool,
}

/// The end of the last hole while the datagram's length is unknown.
const OPEN: usize = usize::MAX;

#[derive(Debug)]
struct Pending {
    first_ts: i64,
    order: u64,
    /// Bytes so far; its length is the highest fragment end seen.
    buf: Vec<u8>,
    /// Missing ranges `[start, end)`, sorted and disjoint, never empty ranges.
    holes: Vec<(usize, usize)>,
    /// Payload length, known once the last fragment arrived.
    total: Option<usize>,
    protocol: Option<u8>,
    fragments: u32,
}

/// Reassembles IPv4 and IPv6 fragments; see the [module documentation](self).
#[derive(Debug)]
pub struct Defragmenter {
    limits: DefragLimits,
    pending: HashMap<Key, Pending>,
    /// Insertion order → key, for dropping the oldest.
    by_age: BTreeMap<u64, Key>,
    order: u64,
    bytes: usize,
    /// No pending datagram expires before this capture time.
    next_deadline: i64,
    stats: DefragStats,
}

impl Default for Defragmenter {
    fn default() -> Self {
        Self::new(DefragLimits::default())
    }
}

enum Drop {
    Expired,
    Limit,
    Invalid,
}

impl Defragmenter {
    pub fn new(limits: DefragLimits) -> Self {
        Defragmenter {
            limits,
            pending: HashMap::new(),
            by_age: BTreeMap::new(),
            order: 0,
            bytes: 0,
            next_deadline: i64::MAX,
            stats: DefragStats::default(),
        }
    }

    pub fn stats(&self) -> DefragStats {
        self.stats
    }

    /// Datagrams being reassembled.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Bytes held by the datagrams being reassembled.
    pub fn pending_bytes(&self) -> usize {
        self.bytes
    }

    /// Feeds one fragment captured at `ts_us`: `data` is the fragment's part of the
    /// IP payload, `info` its fragmentation fields. Returns the whole datagram when
    /// this fragment completes it.
    pub fn push(
        &mut self,
        ts_us: i64,
        src: IpAddr,
        dst: IpAddr,
        info: FragmentInfo,
        data: &[u8],
    ) -> Option<Datagram> {
        self.stats.fragments += 1;
        self.expire(ts_us);
        let key = Key {
            src,
            dst,
            proto: if info.v6 { 0 } else { info.protocol },
            id: info.id,
            v6: info.v6,
        };
        let start = info.offset as usize;
        let end = start.saturating_add(data.len());
        if end > self.limits.max_datagram {
            self.stats.fragments_discarded += 1;
            if self.pending.contains_key(&key) {
                self.remove(&key, Drop::Limit);
            } else {
                self.stats.dropped_limit += 1;
            }
            return None;
        }
        if !self.pending.contains_key(&key) {
            while self.pending.len() >= self.limits.max_pending.max(1) {
                if !self.drop_oldest(None) {
                    break;
                }
            }
            self.order += 1;
            self.by_age.insert(self.order, key);
            self.pending.insert(
                key,
                Pending {
                    first_ts: ts_us,
                    order: self.order,
                    buf: Vec::new(),
                    holes: vec![(0, OPEN)],
                    total: None,
                    protocol: None,
                    fragments: 0,
                },
            );
            self.next_deadline = self
                .next_deadline
                .min(ts_us.saturating_add(self.limits.timeout_us));
        }
        // Check consistency and make room before touching the entry.
        let (grow, invalid) = {
            let p = self.pending.get_mut(&key)?;
            p.fragments = p.fragments.saturating_add(1);
            let invalid = if info.more {
                p.total.is_some_and(|t| end > t)
            } else {
                p.total.is_some_and(|t| t != end) || p.buf.len() > end
            };
            (end.saturating_sub(p.buf.len()), invalid)
        };
        if invalid {
            self.remove(&key, Drop::Invalid);
            return None;
        }
        while grow > 0 && self.bytes.saturating_add(grow) > self.limits.max_total_bytes {
            if !self.drop_oldest(Some(key)) {
                self.remove(&key, Drop::Limit);
                return None;
            }
        }
        let p = self.pending.get_mut(&key)?;
        if grow > 0 {
            p.buf.resize(end, 0);
            self.bytes += grow;
        }
        if !info.more {
            p.total = Some(end);
            p.holes.retain(|h| h.0 < end);
            for h in &mut p.holes {
                h.1 = h.1.min(end);
            }
        }
        if start == 0 {
            p.protocol = Some(info.protocol);
        }
        // Fill only what is missing: first wins.
        let mut filled = 0usize;
        if start < end {
            let mut holes = Vec::with_capacity(p.holes.len() + 1);
            for &(hs, he) in &p.holes {
                if he <= start || hs >= end {
                    holes.push((hs, he));
                    continue;
                }
                let (cs, ce) = (hs.max(start), he.min(end));
                if let (Some(dst), Some(src)) =
                    (p.buf.get_mut(cs..ce), data.get(cs - start..ce - start))
                {
                    dst.copy_from_slice(src);
                }
                filled += ce - cs;
                if hs < cs {
                    holes.push((hs, cs));
                }
                if ce < he {
                    holes.push((ce, he));
                }
            }
            p.holes = holes;
        }
        if filled < end - start {
            self.stats.overlaps += 1;
        }
        if p.total.is_none() || !p.holes.is_empty() {
            return None;
        }
        let p = self.pending.remove(&key)?;
        self.by_age.remove(&p.order);
        self.bytes -= p.buf.len();
        self.stats.reassembled += 1;
        Some(Datagram {
            src,
            dst,
            protocol: p.protocol.unwrap_or(info.protocol),
            payload: p.buf,
            ts_us,
            fragments: p.fragments,
        })
    }

    /// Drops every datagram whose first fragment is older than the timeout at
    /// capture time `now_us` (counted in [`DefragStats::expired`]).
    pub fn expire(&mut self, now_us: i64) {
        if now_us < self.next_deadline {
            return;
        }
        let timeout = self.limits.timeout_us;
        let old: Vec<Key> = self
            .pending
            .iter()
            .filter(|(_, p)| p.first_ts.saturating_add(timeout) <= now_us)
            .map(|(k, _)| *k)
            .collect();
        for k in old {
            self.remove(&k, Drop::Expired);
        }
        self.next_deadline = self
            .pending
            .values()
            .map(|p| p.first_ts.saturating_add(timeout))
            .min()
            .unwrap_or(i64::MAX);
    }

    /// Drops every pending datagram, counting them as expired (end of a capture).
    pub fn clear(&mut self) {
        let keys: Vec<Key> = self.pending.keys().copied().collect();
        for k in keys {
            self.remove(&k, Drop::Expired);
        }
        self.next_deadline = i64::MAX;
    }

    /// Drops the oldest pending datagram other than `keep`; false if there is none.
    fn drop_oldest(&mut self, keep: Option<Key>) -> bool {
        let Some(k) = self.by_age.values().find(|k| Some(**k) != keep).copied() else {
            return false;
        };
        self.remove(&k, Drop::Limit);
        true
    }

    fn remove(&mut self, key: &Key, why: Drop) {
        let Some(p) = self.pending.remove(key) else {
            return;
        };
        self.by_age.remove(&p.order);
        self.bytes -= p.buf.len();
        self.stats.fragments_discarded += u64::from(p.fragments);
        match why {
            Drop::Expired => self.stats.expired += 1,
            Drop::Limit => self.stats.dropped_limit += 1,
            Drop::Invalid => self.stats.dropped_invalid += 1,
        }
    }
}
