//! A size-capped map that forgets its least recently used entries in bulk.
//!
//! Every per-source or per-node table of the engine is one of these, so an attacker who
//! sends from a million addresses costs a bounded amount of memory. Eviction drops the
//! least recently used quarter at once (one `select_nth_unstable` over the timestamps),
//! which keeps the per-insert cost O(1) amortised instead of a linked LRU list per entry.

use super::hash::FxMap;
use std::hash::Hash;

#[derive(Debug)]
pub(crate) struct Bounded<K, V> {
    map: FxMap<K, Slot<V>>,
    cap: usize,
    /// Scratch for eviction (kept to avoid reallocating).
    times: Vec<i64>,
}

#[derive(Debug)]
struct Slot<V> {
    last_us: i64,
    value: V,
}

impl<K: Hash + Eq + Copy, V> Bounded<K, V> {
    pub(crate) fn new(cap: usize) -> Self {
        Bounded {
            map: FxMap::default(),
            cap: cap.max(4),
            times: Vec::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// The entry for `k`, created with `init` when absent; marks it used at `ts_us`.
    pub(crate) fn entry(&mut self, k: K, ts_us: i64, init: impl FnOnce() -> V) -> &mut V {
        if !self.map.contains_key(&k) && self.map.len() >= self.cap {
            self.evict_oldest_quarter();
        }
        let slot = self.map.entry(k).or_insert_with(|| Slot {
            last_us: ts_us,
            value: init(),
        });
        slot.last_us = slot.last_us.max(ts_us);
        &mut slot.value
    }

    /// The entry for `k` when present, marked used at `ts_us`.
    pub(crate) fn get_mut(&mut self, k: &K, ts_us: i64) -> Option<&mut V> {
        let slot = self.map.get_mut(k)?;
        slot.last_us = slot.last_us.max(ts_us);
        Some(&mut slot.value)
    }

    fn evict_oldest_quarter(&mut self) {
        self.times.clear();
        self.times.extend(self.map.values().map(|s| s.last_us));
        if self.times.is_empty() {
            return;
        }
        let nth = self.times.len() / 4;
        let (_, cutoff, _) = self.times.select_nth_unstable(nth);
        let cutoff = *cutoff;
        // `<=` removes at least one entry even when all timestamps are equal.
        self.map.retain(|_, s| s.last_us > cutoff);
        self.times.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_grows_past_its_cap_and_keeps_the_most_recent() {
        let mut t: Bounded<u32, u32> = Bounded::new(100);
        for i in 0..10_000u32 {
            *t.entry(i, i64::from(i), || 0) += 1;
            assert!(t.len() <= 100);
        }
        assert!(t.get_mut(&9_999, 10_000).is_some());
        assert!(t.get_mut(&0, 10_000).is_none());
    }
}
