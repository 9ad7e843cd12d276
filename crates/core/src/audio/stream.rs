//! What every audio source and sink shares: the traits, the counters the real-time side updates,
//! the timing stamps that let the DSP thread line the microphone up with what was played, and
//! the events a failing device turns into.
//!
//! Timing: every stream reports [`Stamp`]s, "the sample with index `end_index` was at `t_ns`"
//! on one timeline per process ([`now_ns`], a monotonic clock) or, in simulation, on the
//! virtual clock's timeline. The DSP thread maps microphone and reference samples onto that
//! timeline and never feeds the echo canceller a reference sample later than the microphone
//! samples that may contain its echo.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// The process-wide epoch of [`now_ns`]. Initialised on first use (call [`now_ns`] once before
/// starting streams so that the first call does not happen in a callback).
static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds since the process's audio epoch (monotonic). Cheap and allocation-free: safe in
/// an audio callback once initialised.
pub fn now_ns() -> u64 {
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// "The stream's sample number `end_index` (mono frames since the stream started) was captured
/// or written at `t_ns`."
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stamp {
    /// Index one past the last frame the callback delivered or wrote.
    pub end_index: u64,
    /// When, on the timeline of [`now_ns`] (or the virtual clock).
    pub t_ns: u64,
}

impl Stamp {
    /// The time of frame `index` at `rate_hz`, extrapolated from this stamp.
    pub fn time_of(&self, index: u64, rate_hz: u32) -> u64 {
        let d = (index as i128 - self.end_index as i128) * 1_000_000_000 / i128::from(rate_hz);
        (self.t_ns as i128 + d).max(0) as u64
    }

    /// The frame index at time `t_ns` at `rate_hz`, extrapolated from this stamp.
    pub fn index_at(&self, t_ns: u64, rate_hz: u32) -> u64 {
        let d = (t_ns as i128 - self.t_ns as i128) * i128::from(rate_hz) / 1_000_000_000;
        (self.end_index as i128 + d).max(0) as u64
    }
}

/// Counters the real-time side updates with relaxed atomics and anyone may read.
#[derive(Debug, Default)]
pub struct StreamStats {
    /// Callbacks run (or, for simulated streams, blocks moved).
    pub callbacks: AtomicU64,
    /// Frames delivered to the reader (sources) or written to the device (sinks).
    pub frames: AtomicU64,
    /// Samples a source dropped because its reader fell behind.
    pub overrun_samples: AtomicU64,
    /// Frames a sink filled with silence while speech was still expected (the writer fell behind).
    pub underrun_frames: AtomicU64,
    /// Buffer over/underruns the host itself reported (ALSA xruns).
    pub host_xruns: AtomicU64,
    /// Non-fatal errors the host reported.
    pub host_errors: AtomicU64,
    /// Set when the stream died (device unplugged, server gone); the supervisor reopens it.
    pub failed: AtomicBool,
    /// Times the supervisor found the stream dead and began reopening it.
    pub restarts: AtomicU64,
    /// Why it died, as a [`FailureKind`] code.
    pub failure: AtomicU32,
    /// Nanoseconds the last callback took (debug aid for real-time budgets).
    pub last_callback_ns: AtomicU64,
}

impl StreamStats {
    /// A copy of the counters at this moment.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            callbacks: self.callbacks.load(Ordering::Relaxed),
            frames: self.frames.load(Ordering::Relaxed),
            overrun_samples: self.overrun_samples.load(Ordering::Relaxed),
            underrun_frames: self.underrun_frames.load(Ordering::Relaxed),
            host_xruns: self.host_xruns.load(Ordering::Relaxed),
            host_errors: self.host_errors.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            restarts: self.restarts.load(Ordering::Relaxed),
        }
    }

    /// Marks the stream dead (real-time safe).
    pub fn fail(&self, kind: FailureKind) {
        self.failure.store(kind as u32, Ordering::Relaxed);
        self.failed.store(true, Ordering::Release);
    }
}

/// A copy of [`StreamStats`], for reports and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatsSnapshot {
    pub callbacks: u64,
    pub frames: u64,
    pub overrun_samples: u64,
    pub underrun_frames: u64,
    pub host_xruns: u64,
    pub host_errors: u64,
    pub failed: bool,
    pub restarts: u64,
}

/// Why a stream died.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[repr(u32)]
pub enum FailureKind {
    Unknown = 0,
    /// The device went away (unplugged, disabled).
    DeviceLost = 1,
    /// The sound server or host went away.
    HostLost = 2,
    /// The stream must be rebuilt (configuration changed under it).
    Invalidated = 3,
}

impl FailureKind {
    pub fn from_code(code: u32) -> FailureKind {
        match code {
            1 => FailureKind::DeviceLost,
            2 => FailureKind::HostLost,
            3 => FailureKind::Invalidated,
            _ => FailureKind::Unknown,
        }
    }
}

/// Which side of the conversation a device carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Input,
    Output,
}

/// Something that happened to a device, for the engine's event stream and logs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeviceEvent {
    /// A stream died; the supervisor is reopening it.
    Lost {
        direction: Direction,
        device: String,
        reason: FailureKind,
    },
    /// A stream runs again, on `device` (the same one, or the default as a fallback).
    Recovered {
        direction: Direction,
        device: String,
        fallback: bool,
    },
    /// Reopening failed; the supervisor keeps trying.
    RetryFailed {
        direction: Direction,
        attempt: u32,
        message: String,
    },
}

/// Errors opening or running audio streams.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error(
        "no {what} found; plug one in or enable it (check `pactl list short {pactl}`), pick one with `--{flag}` (`tandem doctor` lists them), or, without a sound card, start a PulseAudio server (`scripts/with-pulse.sh`)"
    )]
    NoDevice {
        what: &'static str,
        pactl: &'static str,
        flag: &'static str,
    },
    #[error("{what} `{name}` not found; `tandem doctor` lists the available ones")]
    NotFound { what: &'static str, name: String },
    #[error("cannot list audio devices: {0}")]
    Host(String),
    #[error("{what} `{device}` cannot be opened: {message}")]
    Open {
        what: &'static str,
        device: String,
        message: String,
    },
    #[error("this build has no audio device support (feature `devices` off)")]
    NoDeviceSupport,
    #[error(transparent)]
    Resample(#[from] crate::audio::wav::ResampleError),
    #[error(transparent)]
    Wav(#[from] crate::audio::wav::WavError),
    #[error("cannot start the {0} thread: {1}")]
    Thread(&'static str, std::io::Error),
}

/// A microphone-like stream: mono samples at `sample_rate_hz`, pulled by one reader.
///
/// Implementations: the cpal microphone ([`crate::audio::cpal_io::CpalSource`]), WAV files and
/// synthetic signals paced by a clock ([`crate::sim::source`]).
pub trait AudioSource: Send {
    /// A human-readable name (device name, file path).
    fn name(&self) -> &str;
    /// Rate of the samples [`read`](Self::read) returns.
    fn sample_rate_hz(&self) -> u32;
    /// Appends every mono sample available now to `out`; returns how many.
    fn read(&mut self, out: &mut Vec<f32>) -> usize;
    /// The latest timing stamp, if any samples have arrived.
    fn stamp(&self) -> Option<Stamp>;
    /// The stream's counters.
    fn stats(&self) -> Arc<StreamStats>;
    /// Device trouble since the last call (reopening happens inside the source).
    fn poll_events(&mut self) -> Option<DeviceEvent> {
        None
    }
    /// True once a finite source (a file) has delivered everything.
    fn is_finished(&self) -> bool {
        false
    }
}

/// A speaker-like stream that plays what a [`crate::audio::playback::Renderer`] produces.
///
/// A device sink runs the renderer in its callback; a simulated sink runs it when its clock
/// advances ([`crate::sim::sink`]).
pub trait AudioSink: Send {
    fn name(&self) -> &str;
    /// The rate the renderer runs at.
    fn sample_rate_hz(&self) -> u32;
    /// The stream's counters.
    fn stats(&self) -> Arc<StreamStats>;
    /// Device trouble since the last call (reopening happens inside the sink).
    fn poll_events(&mut self) -> Option<DeviceEvent> {
        None
    }
    /// For sinks paced by a clock rather than a device callback: render up to the clock's
    /// present. Device sinks do nothing here.
    fn advance(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_map_indices_and_times_both_ways() {
        let s = Stamp {
            end_index: 48_000,
            t_ns: 2_000_000_000,
        };
        assert_eq!(s.time_of(48_000, 48_000), 2_000_000_000);
        assert_eq!(s.time_of(24_000, 48_000), 1_500_000_000);
        assert_eq!(s.index_at(1_500_000_000, 48_000), 24_000);
        assert_eq!(s.index_at(2_010_000_000, 48_000), 48_480);
        assert_eq!(s.time_of(0, 16_000), 0);
    }

    #[test]
    fn failure_codes_round_trip() {
        let stats = StreamStats::default();
        stats.fail(FailureKind::DeviceLost);
        assert!(stats.snapshot().failed);
        assert_eq!(
            FailureKind::from_code(stats.failure.load(Ordering::Relaxed)),
            FailureKind::DeviceLost
        );
    }
}
