//! Clocks: the engine's timeline in nanoseconds, real or virtual.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A source of "now" on the engine's timeline.
pub trait Clock: Send + Sync {
    fn now_ns(&self) -> u64;
}

/// The wall clock (monotonic), on the same timeline as device callbacks.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealClock;

impl Clock for RealClock {
    fn now_ns(&self) -> u64 {
        crate::audio::stream::now_ns()
    }
}

/// A clock that only moves when told to. Clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct VirtualClock(Arc<AtomicU64>);

impl VirtualClock {
    pub fn new() -> VirtualClock {
        VirtualClock::default()
    }

    /// Moves time forward by `ns`.
    pub fn advance(&self, ns: u64) {
        self.0.fetch_add(ns, Ordering::SeqCst);
    }

    /// Moves time to `ns` (never backwards).
    pub fn set(&self, ns: u64) {
        self.0.fetch_max(ns, Ordering::SeqCst);
    }
}

impl Clock for VirtualClock {
    fn now_ns(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_time_moves_only_forward_and_is_shared() {
        let c = VirtualClock::new();
        let d = c.clone();
        c.advance(10);
        d.set(5);
        assert_eq!(c.now_ns(), 10);
        d.set(25);
        assert_eq!(c.now_ns(), 25);
        assert!(RealClock.now_ns() <= RealClock.now_ns());
    }
}
