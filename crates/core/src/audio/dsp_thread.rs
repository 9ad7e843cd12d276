//! The DSP thread (`tandem-dsp`): runs a [`DspChain`] against live sources every few
//! milliseconds, supervises the devices (their reopen logic runs here, never in a callback) and
//! hands 20 ms frames out on a bounded channel: `try_send`, drops counted, never blocking.
//!
//! ```no_run
//! # fn main() -> Result<(), tandem_core::audio::stream::AudioError> {
//! use tandem_core::audio::{DspConfig, LiveAudio};
//! let live = LiveAudio::start(None, None, DspConfig::default())?;
//! let mut player = live.player;
//! player.speak(&vec![0.0; 24_000]);
//! for frame in live.dsp.frames().iter().take(50) {
//!     println!("{} ms vad={} far={}", frame.t_ms(), frame.vad, frame.far_active);
//! }
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::dsp::{CleanFrame, DspChain, DspConfig, DspStats};
use super::stream::{AudioError, AudioSink, AudioSource, DeviceEvent, StreamStats};

/// Frames the output channel holds (20 ms each: 2 s).
pub const DEFAULT_QUEUE_FRAMES: usize = 100;
/// How often the thread wakes.
const POLL_MS: u64 = 5;

/// What the DSP thread reads from and looks after.
pub struct DspInputs {
    /// The microphone.
    pub mic: Box<dyn AudioSource>,
    /// The far-end reference (what was played), if there is playback.
    pub far: Option<Box<dyn AudioSource>>,
    /// The speaker, for supervision (and pacing, for simulated sinks).
    pub sink: Option<Box<dyn AudioSink>>,
}

impl std::fmt::Debug for DspInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DspInputs")
            .field("mic", &self.mic.name())
            .field("far", &self.far.as_ref().map(|s| s.name().to_owned()))
            .field("sink", &self.sink.as_ref().map(|s| s.name().to_owned()))
            .finish()
    }
}

/// A running DSP thread. Dropping it stops the thread.
#[derive(Debug)]
pub struct DspThread {
    frames: Receiver<CleanFrame>,
    events: Receiver<DeviceEvent>,
    stats: Arc<DspStats>,
    /// Counters of the microphone and the speaker.
    pub mic_stats: Arc<StreamStats>,
    pub sink_stats: Option<Arc<StreamStats>>,
    /// Device events that did not fit the event channel.
    pub dropped_events: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    join: Option<JoinHandle<()>>,
}

impl DspThread {
    /// Starts the thread. `queue_frames` bounds the output channel.
    pub fn spawn(
        inputs: DspInputs,
        config: DspConfig,
        queue_frames: usize,
    ) -> Result<DspThread, AudioError> {
        let (frame_tx, frames) = mpsc::sync_channel(queue_frames.max(1));
        let (event_tx, events) = mpsc::sync_channel(64);
        let stats = Arc::new(DspStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let dropped_events = Arc::new(AtomicU64::new(0));
        let mic_stats = inputs.mic.stats();
        let sink_stats = inputs.sink.as_ref().map(|s| s.stats());
        let mic_rate = inputs.mic.sample_rate_hz();
        let far_rate = inputs.far.as_ref().map(|f| f.sample_rate_hz());
        // Build what can fail here, so that the caller gets the error.
        DspChain::new(config, mic_rate, far_rate, stats.clone())?;
        let (t_stats, t_stop, t_dropped) = (stats.clone(), stop.clone(), dropped_events.clone());
        let join = std::thread::Builder::new()
            .name("tandem-dsp".into())
            .spawn(move || {
                let span = tracing::info_span!("dsp", mic = inputs.mic.name());
                let _g = span.enter();
                let chain = match DspChain::new(config, mic_rate, far_rate, t_stats) {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot start the DSP chain");
                        return;
                    }
                };
                run(chain, inputs, frame_tx, event_tx, &t_stop, &t_dropped);
            })
            .map_err(|e| AudioError::Thread("tandem-dsp", e))?;
        Ok(DspThread {
            frames,
            events,
            stats,
            mic_stats,
            sink_stats,
            dropped_events,
            stop,
            join: Some(join),
        })
    }

    /// 20 ms cleaned frames with VAD flags, in order.
    pub fn frames(&self) -> &Receiver<CleanFrame> {
        &self.frames
    }

    /// Device loss and recovery.
    pub fn events(&self) -> &Receiver<DeviceEvent> {
        &self.events
    }

    pub fn stats(&self) -> &Arc<DspStats> {
        &self.stats
    }

    /// Whether the thread has ended (a finite source ran out, or the consumer went away).
    pub fn is_finished(&self) -> bool {
        self.join.as_ref().is_none_or(|j| j.is_finished())
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(j) = self.join.take()
            && j.join().is_err()
        {
            tracing::error!("the DSP thread panicked");
        }
    }
}

impl Drop for DspThread {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn run(
    mut chain: DspChain,
    mut inputs: DspInputs,
    frame_tx: mpsc::SyncSender<CleanFrame>,
    event_tx: mpsc::SyncSender<DeviceEvent>,
    stop: &AtomicBool,
    dropped_events: &AtomicU64,
) {
    tracing::info!(
        mic = inputs.mic.name(),
        mic_rate_hz = inputs.mic.sample_rate_hz(),
        far = ?inputs.far.as_ref().map(|f| f.sample_rate_hz()),
        "DSP thread running"
    );
    let stats = chain.stats().clone();
    let mut consumer_gone = false;
    while !stop.load(Ordering::Relaxed) && !consumer_gone {
        let mut events = Vec::new();
        while let Some(e) = inputs.mic.poll_events() {
            events.push(e);
        }
        if let Some(sink) = inputs.sink.as_mut() {
            while let Some(e) = sink.poll_events() {
                events.push(e);
            }
            sink.advance();
        }
        for e in events {
            tracing::info!(event = ?e, "audio device event");
            if event_tx.try_send(e).is_err() {
                dropped_events.fetch_add(1, Ordering::Relaxed);
            }
        }
        let far: Option<&mut dyn AudioSource> = match inputs.far.as_mut() {
            Some(f) => Some(f.as_mut()),
            None => None,
        };
        chain.process(
            inputs.mic.as_mut(),
            far,
            &mut |frame| match frame_tx.try_send(frame) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    stats.dropped_frames.fetch_add(1, Ordering::Relaxed);
                }
                Err(TrySendError::Disconnected(_)) => consumer_gone = true,
            },
        );
        if inputs.mic.is_finished() {
            break;
        }
        std::thread::sleep(Duration::from_millis(POLL_MS));
    }
    tracing::info!(
        frames = stats.frames.load(Ordering::Relaxed),
        dropped = stats.dropped_frames.load(Ordering::Relaxed),
        "DSP thread stopped"
    );
}
