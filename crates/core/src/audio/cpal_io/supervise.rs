//! Supervision of a running stream: telling a dead stream from a busy one, releasing it without
//! waiting on its driver, and pacing the reopen attempts (with the [`DeviceEvent`]s that report
//! each step).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::super::stream::{DeviceEvent, Direction, FailureKind, StreamStats};
use super::{ERROR_FLOOD, FLOOD_MS, MAX_BACKOFF_MS, STALL_MS};

/// Classifies a host error: xruns and backend noise are counted, loss fails the stream.
pub(super) fn on_error(stats: &StreamStats, e: &cpal::Error) {
    match e.kind() {
        cpal::ErrorKind::Xrun => {
            stats.host_xruns.fetch_add(1, Ordering::Relaxed);
        }
        cpal::ErrorKind::DeviceNotAvailable => stats.fail(FailureKind::DeviceLost),
        cpal::ErrorKind::HostUnavailable => stats.fail(FailureKind::HostLost),
        cpal::ErrorKind::StreamInvalidated => stats.fail(FailureKind::Invalidated),
        _ => {
            stats.host_errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Drops a dead stream on a thread of its own. Dropping a cpal stream joins its callback thread,
/// and after the sound server goes away the ALSA PulseAudio plugin can deadlock in there (seen
/// with libpulse 16.1: the capture thread waits on the plugin's mainloop lock while the mainloop
/// waits for a memory block the capture thread holds). The DSP thread must never wait on that;
/// a stuck stream costs one parked thread.
pub(super) fn reap(stream: cpal::Stream) {
    let spawned = std::thread::Builder::new()
        .name("tandem-audio-reap".into())
        .spawn(move || drop(stream));
    if let Err(e) = spawned {
        tracing::warn!(%e, "no thread to release a dead audio stream; releasing it here");
    }
}

/// What was asked for, what runs, when to retry: the same for microphone and speaker.
pub(super) struct Supervisor {
    pub(super) dir: Direction,
    want: Option<String>,
    /// The device the stream runs (or last ran) on.
    pub(super) device: String,
    pub(super) stats: Arc<StreamStats>,
    last_callbacks: u64,
    last_errors: u64,
    last_progress: Instant,
    /// When the current error flood (with no callback since) began.
    flood_since: Option<Instant>,
    pub(super) next_retry: Instant,
    attempt: u32,
    /// When the running stream was last found dead.
    lost_at: Option<Instant>,
    pub(super) events: VecDeque<DeviceEvent>,
}

impl Supervisor {
    pub(super) fn new(
        dir: Direction,
        want: Option<&str>,
        device: String,
        stats: Arc<StreamStats>,
    ) -> Self {
        Supervisor {
            dir,
            want: want.map(str::to_owned),
            device,
            stats,
            last_callbacks: 0,
            last_errors: 0,
            last_progress: Instant::now(),
            flood_since: None,
            next_retry: Instant::now(),
            attempt: 0,
            lost_at: None,
            events: VecDeque::new(),
        }
    }

    /// True if the running stream must be dropped now.
    pub(super) fn is_dead(&mut self) -> bool {
        let calls = self.stats.callbacks.load(Ordering::Relaxed);
        let errors = self.stats.host_errors.load(Ordering::Relaxed);
        let flood = errors.saturating_sub(self.last_errors) >= ERROR_FLOOD;
        self.last_errors = errors;
        if calls != self.last_callbacks {
            self.last_callbacks = calls;
            self.last_progress = Instant::now();
            self.flood_since = None;
        } else if flood {
            // Errors and no audio for a while: the stream is gone (a stream starting up, or a
            // busy server, may report a burst of errors too, but its callbacks run).
            let since = *self.flood_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= Duration::from_millis(FLOOD_MS) {
                self.stats.fail(FailureKind::HostLost);
            }
        } else if self.last_progress.elapsed() > Duration::from_millis(STALL_MS) {
            self.stats.fail(FailureKind::Unknown);
        }
        if !self.stats.failed.load(Ordering::Acquire) {
            return false;
        }
        self.stats.restarts.fetch_add(1, Ordering::Relaxed);
        let reason = FailureKind::from_code(self.stats.failure.load(Ordering::Relaxed));
        tracing::warn!(direction = ?self.dir, device = %self.device, ?reason, "audio stream lost; reopening");
        self.events.push_back(DeviceEvent::Lost {
            direction: self.dir,
            device: self.device.clone(),
            reason,
        });
        self.next_retry = Instant::now();
        self.attempt = 0;
        self.lost_at = Some(Instant::now());
        self.flood_since = None;
        true
    }

    /// How long ago the stream died (zero if it has not).
    pub(super) fn lost_for(&self) -> Duration {
        self.lost_at.map_or(Duration::ZERO, |t| t.elapsed())
    }

    /// Devices to try, in order: the one asked for, then the default.
    pub(super) fn candidates(&self) -> Vec<Option<String>> {
        match &self.want {
            Some(w) => vec![Some(w.clone()), None],
            None => vec![None],
        }
    }

    pub(super) fn opened(&mut self, device: String, fallback: bool) {
        tracing::info!(direction = ?self.dir, device = %device, fallback, "audio stream recovered");
        self.events.push_back(DeviceEvent::Recovered {
            direction: self.dir,
            device: device.clone(),
            fallback,
        });
        self.device = device;
        self.stats.failed.store(false, Ordering::Release);
        self.last_progress = Instant::now();
        self.attempt = 0;
        self.lost_at = None;
    }

    pub(super) fn retry_failed(&mut self, message: String) {
        self.attempt += 1;
        let backoff = (250u64 << self.attempt.min(4)).min(MAX_BACKOFF_MS);
        self.next_retry = Instant::now() + Duration::from_millis(backoff);
        tracing::debug!(direction = ?self.dir, attempt = self.attempt, %message, "reopen failed");
        if self.attempt <= 3 || self.attempt.is_multiple_of(10) {
            self.events.push_back(DeviceEvent::RetryFailed {
                direction: self.dir,
                attempt: self.attempt,
                message,
            });
        }
    }
}
