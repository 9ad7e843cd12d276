//! A speaker driven by a clock instead of a sound card: on every `advance` it runs the playback
//! [`Renderer`] up to the clock's present, in 10 ms blocks, records what it played and (with
//! an echo path) hands a copy to the simulated microphone.

use std::path::Path;
use std::sync::Arc;

use super::clock::Clock;
use super::echo::EchoPath;
use crate::audio::playback::{Player, Reference, Renderer, playback};
use crate::audio::stream::{AudioError, AudioSink, StreamStats};
use crate::audio::wav;

/// Samples the echo tap holds (the simulated microphone reads it every step).
const TAP_SECONDS: usize = 2;

/// A clock-paced speaker that records its output: in memory, or straight to a WAV file
/// ([`ClockedSink::record_to`]) so that a long session does not grow with its output.
pub struct ClockedSink {
    renderer: Renderer,
    clock: Arc<dyn Clock>,
    rate_hz: u32,
    start_ns: u64,
    rendered: u64,
    recorded: Vec<f32>,
    /// Where the output goes instead of `recorded`, and the first error writing it.
    file: Option<wav::StreamingWav>,
    file_error: Option<wav::WavError>,
    block: Vec<f32>,
    stats: Arc<StreamStats>,
    tap_tx: Option<rtrb::Producer<f32>>,
    tap_rx: Option<(rtrb::Consumer<f32>, u32, EchoPath)>,
}

impl std::fmt::Debug for ClockedSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClockedSink")
            .field("rate_hz", &self.rate_hz)
            .field("rendered", &self.rendered)
            .finish()
    }
}

impl ClockedSink {
    /// A sink at `rate_hz` starting at the clock's present, with the playback path through it.
    pub fn new(
        clock: Arc<dyn Clock>,
        rate_hz: u32,
        echo: Option<EchoPath>,
    ) -> Result<(ClockedSink, Player, Reference), AudioError> {
        let stats = Arc::new(StreamStats::default());
        let (player, renderer, reference) = playback(rate_hz, stats.clone())?;
        let (tap_tx, tap_rx) = match echo {
            Some(path) => {
                let (tx, rx) = rtrb::RingBuffer::new(rate_hz as usize * TAP_SECONDS);
                (Some(tx), Some((rx, rate_hz, path)))
            }
            None => (None, None),
        };
        let start_ns = clock.now_ns();
        let sink = ClockedSink {
            renderer,
            clock,
            rate_hz,
            start_ns,
            rendered: 0,
            recorded: Vec::new(),
            file: None,
            file_error: None,
            block: vec![0.0; rate_hz as usize / 100],
            stats,
            tap_tx,
            tap_rx,
        };
        Ok((sink, player, reference))
    }

    /// Takes the played signal for a simulated microphone: the consumer, its rate and the
    /// echo path (once; `None` without an echo path).
    pub fn take_echo_tap(&mut self) -> Option<(rtrb::Consumer<f32>, u32, EchoPath)> {
        self.tap_rx.take()
    }

    /// Writes what is played from now on to a mono 16-bit WAV of exactly `len` samples (see
    /// [`wav::StreamingWav`]) instead of keeping it in memory; [`Self::finish_recording`]
    /// completes the file.
    pub fn record_to(&mut self, path: &Path, len: usize) -> Result<(), AudioError> {
        self.file = Some(wav::StreamingWav::create(path, self.rate_hz, len)?);
        Ok(())
    }

    /// Completes the file started by [`Self::record_to`], or reports the first write error.
    pub fn finish_recording(&mut self) -> Result<(), AudioError> {
        if let Some(e) = self.file_error.take() {
            return Err(e.into());
        }
        if let Some(file) = self.file.take() {
            file.finish()?;
        }
        Ok(())
    }

    /// Everything played so far (in memory; empty while recording to a file).
    pub fn recorded(&self) -> &[f32] {
        &self.recorded
    }
}

impl AudioSink for ClockedSink {
    fn name(&self) -> &str {
        "simulated speaker"
    }

    fn sample_rate_hz(&self) -> u32 {
        self.rate_hz
    }

    fn stats(&self) -> Arc<StreamStats> {
        self.stats.clone()
    }

    fn advance(&mut self) {
        let now = self.clock.now_ns().saturating_sub(self.start_ns);
        let due = (u128::from(now) * u128::from(self.rate_hz) / 1_000_000_000) as u64;
        while self.rendered < due {
            let n = ((due - self.rendered) as usize).min(self.block.len());
            // Stamped with the block's end: with no device latency, that is when its last
            // sample is heard.
            let end = self.rendered + n as u64;
            let t =
                self.start_ns + (u128::from(end) * 1_000_000_000 / u128::from(self.rate_hz)) as u64;
            let buf = &mut self.block[..n];
            self.renderer.render(buf, 1, t, 0);
            match self.file.as_mut() {
                Some(file) => {
                    if let Err(e) = file.write(buf) {
                        self.file = None;
                        self.file_error.get_or_insert(e);
                    }
                }
                None if self.file_error.is_none() => self.recorded.extend_from_slice(buf),
                None => {}
            }
            if let Some(tx) = self.tap_tx.as_mut() {
                for s in buf.iter() {
                    let _ = tx.push(*s);
                }
            }
            self.rendered += n as u64;
        }
    }
}
