//! The microphone gate: mute and push-to-talk for a live conversation.
//!
//! The app flips it from any thread; [`super::Engine::on_audio`] reads it once per frame and,
//! while it is closed, feeds silence of the same length instead of the microphone (the clock
//! and everything timed by audio go on; the voice detector, the transcriber and the turn model
//! hear nothing). One relaxed atomic load per frame: no lock, no allocation.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the engine hears the microphone. Cheap to clone: clones share the one switch.
#[derive(Debug, Clone)]
pub struct MicGate(Arc<AtomicBool>);

impl MicGate {
    /// A gate that starts open (`true`: the engine hears the microphone) or closed.
    pub fn new(open: bool) -> Self {
        Self(Arc::new(AtomicBool::new(open)))
    }

    /// Opens (the microphone is live) or closes (muted) the gate.
    pub fn set_open(&self, open: bool) {
        self.0.store(open, Ordering::Relaxed);
    }

    pub fn is_open(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl Default for MicGate {
    /// Open: without a mute switch the engine hears the microphone.
    fn default() -> Self {
        Self::new(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_switch() {
        let gate = MicGate::default();
        assert!(gate.is_open());
        let app_side = gate.clone();
        app_side.set_open(false);
        assert!(!gate.is_open());
        app_side.set_open(true);
        assert!(gate.is_open());
        assert!(!MicGate::new(false).is_open());
    }
}
