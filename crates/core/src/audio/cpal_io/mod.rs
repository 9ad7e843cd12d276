//! Microphone and speaker through cpal (ALSA, which also reaches PulseAudio and PipeWire).
//!
//! Callbacks only copy (`callbacks`): the microphone callback downmixes into a preallocated
//! `rtrb` ring and pushes a timing stamp; the speaker callback runs the
//! [`Renderer`](super::Renderer). No locks,
//! allocation (debug builds abort if a callback allocates: `assert_no_alloc`, see `audio`) or
//! logging happens there; problems are counted in atomics.
//!
//! Device loss (`supervise`): a stream whose error callback reports the device or host gone, or
//! whose callbacks stop for [`STALL_MS`], or that floods errors, is dropped (on a thread of its
//! own: see `supervise::reap`); `poll_events` (called by the DSP thread) reopens it, on the
//! requested device first and then on the default one, with backoff, and reports each step as
//! a [`DeviceEvent`]. The first open and every reopen take the same path (`open::Link`). The
//! real-time state (rings, renderer) survives: it comes back from the dead stream's callback
//! when cpal drops it.

mod callbacks;
mod open;
mod supervise;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use self::callbacks::{Mic, MicBuffers, Speaker};
use self::open::{Link, find};
use super::playback::{Player, Reference, playback};
use super::stream::{
    AudioError, AudioSink, AudioSource, DeviceEvent, Direction, Stamp, StreamStats, now_ns,
};

/// The rate we ask devices for (PulseAudio and most hardware run at 48 kHz).
pub const PREFERRED_RATE_HZ: u32 = 48_000;
/// Callback length we ask the microphone for: 40 ms. Through the ALSA PulseAudio plugin (what
/// `default` is on most desktops) the capture thread's cost grows with its wake-ups: on the rig
/// it took 15 % of a core at 10 ms, 11 % at 20 ms and 6 % at 40 ms, and the loop then ran at
/// 22 % of a core instead of 32 %. The loop decides in 32 ms voice chunks and 200 ms micro-turns,
/// so cut-ins still pause playback 132-140 ms after their onset (120-128 ms at 10 ms;
/// `scripts/bench-live.sh`, BENCHMARKS.md). The speaker keeps the device's default.
pub const MIC_CALLBACK_MS: u32 = 40;
/// Seconds of microphone audio the ring holds before the reader must catch up.
const MIC_RING_SECONDS: usize = 2;
/// A stream whose callbacks stop for this long counts as dead.
pub const STALL_MS: u64 = 2_000;
/// A stream reporting this many errors between two supervision checks (~5 ms apart) without a
/// callback is flooding: after a sound-server disconnect cpal's ALSA loop reports the same error
/// in a tight loop.
const ERROR_FLOOD: u64 = 200;
/// How long a flood must go on with no callback at all before the stream counts as dead. A busy
/// but healthy sound server also reports bursts of errors (`snd_pcm_avail_delay`) between two
/// callbacks; reopening on those moved the echo path under the echo canceller and let our own
/// voice through. A dead server floods for good, so waiting this long costs a real loss little.
const FLOOD_MS: u64 = 300;
/// Longest wait between reopen attempts.
const MAX_BACKOFF_MS: u64 = 2_000;
/// How long a dead stream may keep its real-time state before the microphone starts over with
/// new buffers, or the speaker reports the wait (a stream stuck in its driver never hands it
/// back).
const RECLAIM_WAIT: Duration = Duration::from_secs(3);
/// Largest device buffer (frames x channels) the output callback converts in one piece.
const OUTPUT_SCRATCH: usize = 8_192;

/// A live microphone: mono samples at the device rate.
pub struct CpalSource {
    link: Link<Mic>,
    data: rtrb::Consumer<f32>,
    stamps: rtrb::Consumer<Stamp>,
    last: Option<Stamp>,
}

impl std::fmt::Debug for CpalSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpalSource")
            .field("device", &self.link.sup.device)
            .field("rate_hz", &self.link.rate_hz)
            .field("channels", &self.link.channels)
            .finish()
    }
}

impl CpalSource {
    /// Opens a microphone by name, or the default one.
    pub fn open(name: Option<&str>) -> Result<CpalSource, AudioError> {
        now_ns();
        let found = find(Direction::Input, name, PREFERRED_RATE_HZ)?;
        let stats = Arc::new(StreamStats::default());
        let buffers = MicBuffers::new(found.config.sample_rate, 0, stats.clone());
        Ok(CpalSource {
            link: Link::open(found, name, buffers.writer, stats)?,
            data: buffers.data,
            stamps: buffers.stamps,
            last: None,
        })
    }

    /// The device's channel count (samples are downmixed to mono).
    pub fn channels(&self) -> u16 {
        self.link.channels
    }
}

impl AudioSource for CpalSource {
    fn name(&self) -> &str {
        &self.link.sup.device
    }

    fn sample_rate_hz(&self) -> u32 {
        self.link.rate_hz
    }

    fn read(&mut self, out: &mut Vec<f32>) -> usize {
        while let Ok(s) = self.stamps.pop() {
            self.last = Some(s);
        }
        let n = self.data.slots();
        let Ok(chunk) = self.data.read_chunk(n) else {
            return 0;
        };
        let (a, b) = chunk.as_slices();
        out.extend_from_slice(a);
        out.extend_from_slice(b);
        chunk.commit_all();
        self.link
            .sup
            .stats
            .frames
            .fetch_add(n as u64, Ordering::Relaxed);
        n
    }

    fn stamp(&self) -> Option<Stamp> {
        self.last
    }

    fn stats(&self) -> Arc<StreamStats> {
        self.link.sup.stats.clone()
    }

    fn poll_events(&mut self) -> Option<DeviceEvent> {
        let link = &mut self.link;
        link.release_if_dead();
        if link.due() && !link.has_rt() && link.sup.lost_for() >= RECLAIM_WAIT {
            tracing::warn!(device = %link.sup.device, "the dead microphone stream kept its buffers; capturing into new ones");
            let read = link.sup.stats.frames.load(Ordering::Relaxed);
            let b = MicBuffers::new(link.rate_hz, read, link.sup.stats.clone());
            (self.data, self.stamps) = (b.data, b.stamps);
            link.renew(b.writer);
        }
        link.reopen_if_due();
        link.next_event()
    }
}

/// A live speaker running a [`Renderer`](super::Renderer) in its callback.
pub struct CpalSink {
    link: Link<Speaker>,
}

impl std::fmt::Debug for CpalSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpalSink")
            .field("device", &self.link.sup.device)
            .field("rate_hz", &self.link.rate_hz)
            .field("channels", &self.link.channels)
            .finish()
    }
}

impl CpalSink {
    /// Opens a speaker by name, or the default one, and the playback path through it: the
    /// [`Player`] to speak with and the [`Reference`] for the echo canceller.
    pub fn open(name: Option<&str>) -> Result<(CpalSink, Player, Reference), AudioError> {
        now_ns();
        let found = find(Direction::Output, name, PREFERRED_RATE_HZ)?;
        let stats = Arc::new(StreamStats::default());
        let (player, renderer, reference) = playback(found.config.sample_rate, stats.clone())?;
        let link = Link::open(found, name, renderer, stats)?;
        Ok((CpalSink { link }, player, reference))
    }

    pub fn channels(&self) -> u16 {
        self.link.channels
    }
}

impl AudioSink for CpalSink {
    fn name(&self) -> &str {
        &self.link.sup.device
    }

    fn sample_rate_hz(&self) -> u32 {
        self.link.rate_hz
    }

    fn stats(&self) -> Arc<StreamStats> {
        self.link.sup.stats.clone()
    }

    fn poll_events(&mut self) -> Option<DeviceEvent> {
        let link = &mut self.link;
        link.release_if_dead();
        if link.due() && !link.has_rt() && link.sup.lost_for() >= RECLAIM_WAIT {
            // The playback state cannot be rebuilt under the Player: wait for it, and say so
            // once the wait is unusual.
            link.sup
                .retry_failed("the dead output stream still holds the playback state".into());
        }
        link.reopen_if_due();
        link.next_event()
    }
}
