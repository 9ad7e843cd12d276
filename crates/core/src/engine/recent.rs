//! A bounded memory of request ids: the engine remembers the requests it cancelled so that
//! their late outputs are ignored, but a long session must not remember every one.

use std::collections::{HashSet, VecDeque};

/// How many cancelled requests are remembered. A cancelled request's last outputs arrive
/// within a moment of the cancel (the reasoner stops it before any side effect); the policy
/// cancels at most a few requests a turn, so 256 covers many minutes of conversation.
pub(super) const CANCELLED_KEPT: usize = 256;

/// The last `capacity` ids inserted; older ones are forgotten (and counted).
pub(super) struct RecentIds {
    order: VecDeque<u64>,
    set: HashSet<u64>,
    capacity: usize,
    forgotten: u64,
}

impl RecentIds {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            order: VecDeque::with_capacity(capacity),
            set: HashSet::with_capacity(capacity),
            capacity: capacity.max(1),
            forgotten: 0,
        }
    }

    /// Remembers `id`, forgetting the oldest when full; false if it was already remembered.
    pub(super) fn insert(&mut self, id: u64) -> bool {
        if !self.set.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > self.capacity
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
            self.forgotten += 1;
        }
        true
    }

    pub(super) fn contains(&self, id: &u64) -> bool {
        self.set.contains(id)
    }

    fn len(&self) -> usize {
        self.set.len()
    }
}

impl std::fmt::Debug for RecentIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecentIds")
            .field("kept", &self.len())
            .field("capacity", &self.capacity)
            .field("forgotten", &self.forgotten)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An hour of turns each cancelling a few requests: the memory stays at its capacity,
    /// the latest cancels are all still known, and what was forgotten is counted.
    #[test]
    fn a_long_session_keeps_only_the_latest_ids() {
        let mut ids = RecentIds::new(CANCELLED_KEPT);
        for id in 1..=100_000u64 {
            assert!(ids.insert(id));
            assert!(!ids.insert(id), "a second cancel of {id} is no news");
            assert!(ids.len() <= CANCELLED_KEPT);
        }
        assert_eq!(ids.len(), CANCELLED_KEPT);
        assert_eq!(ids.forgotten, 100_000 - CANCELLED_KEPT as u64);
        let oldest_kept = 100_000 - CANCELLED_KEPT as u64 + 1;
        assert!((oldest_kept..=100_000).all(|id| ids.contains(&id)));
        assert!(!ids.contains(&(oldest_kept - 1)));
    }
}
