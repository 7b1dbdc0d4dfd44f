//! Keys ordered by when they fall due, with exact removal.
//!
//! The trackers reschedule an entry at most a few times in its life (INVITE → ringing →
//! answered → ended), so an ordered map with real deletion costs O(log n) per change and
//! never holds stale entries — unlike a heap with lazy deletion, where a 4-hour
//! "max call duration" entry would outlive its call by hours and pile up.

use std::collections::BTreeMap;

/// Where an entry sits in [`Deadlines`]: its due time and a tie-breaking sequence number.
/// Kept by the owner of the entry so it can cancel or move it.
pub(crate) type Slot = (i64, u64);

#[derive(Debug)]
pub(crate) struct Deadlines<K> {
    by_time: BTreeMap<Slot, K>,
    next_seq: u64,
}

impl<K> Default for Deadlines<K> {
    fn default() -> Self {
        Deadlines {
            by_time: BTreeMap::new(),
            next_seq: 0,
        }
    }
}

impl<K> Deadlines<K> {
    /// Adds `key`, due at `at_us`; returns its slot.
    pub(crate) fn schedule(&mut self, at_us: i64, key: K) -> Slot {
        let slot = (at_us, self.next_seq);
        self.next_seq += 1;
        self.by_time.insert(slot, key);
        slot
    }

    /// Removes the entry at `slot` (no-op when already gone).
    pub(crate) fn cancel(&mut self, slot: Slot) -> Option<K> {
        self.by_time.remove(&slot)
    }

    /// Moves the entry at `slot` to `at_us`; returns the new slot. Keeps the slot when the
    /// time does not change (the common case: most messages do not move a deadline).
    pub(crate) fn reschedule(&mut self, slot: Slot, at_us: i64) -> Slot {
        if slot.0 == at_us {
            return slot;
        }
        match self.by_time.remove(&slot) {
            Some(key) => self.schedule(at_us, key),
            None => slot,
        }
    }

    /// Removes and returns the earliest entry if it is due at or before `now_us`.
    pub(crate) fn pop_due(&mut self, now_us: i64) -> Option<(Slot, K)> {
        let first = self.by_time.first_key_value().map(|(s, _)| *s)?;
        if first.0 > now_us {
            return None;
        }
        self.by_time.remove(&first).map(|k| (first, k))
    }

    /// Removes and returns the earliest entry, due or not (to make room under a size cap).
    pub(crate) fn pop_first(&mut self) -> Option<(Slot, K)> {
        self.by_time.pop_first()
    }

    pub(crate) fn len(&self) -> usize {
        self.by_time.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order_and_respects_cancel_and_moves() {
        let mut d = Deadlines::default();
        let a = d.schedule(30, "a");
        let b = d.schedule(10, "b");
        let c = d.schedule(20, "c");
        assert_eq!(d.cancel(c), Some("c"));
        let a = d.reschedule(a, 5);
        assert_eq!(d.reschedule(b, 10), b, "same time keeps the slot");
        assert_eq!(d.pop_due(4), None);
        assert_eq!(d.pop_due(100), Some((a, "a")));
        assert_eq!(d.pop_due(100), Some((b, "b")));
        assert_eq!(d.pop_due(100), None);
        assert_eq!(d.len(), 0);
    }

    #[test]
    fn equal_times_keep_insertion_order() {
        let mut d = Deadlines::default();
        d.schedule(7, 1);
        d.schedule(7, 2);
        assert_eq!(d.pop_first().map(|(_, k)| k), Some(1));
        assert_eq!(d.pop_first().map(|(_, k)| k), Some(2));
    }
}
