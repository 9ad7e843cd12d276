//! Microphones made of recordings and signals, paced by a [`Clock`]: `read` hands out exactly
//! the samples whose time has come, so a virtual clock makes a run deterministic and the wall
//! clock makes a file behave like a live microphone.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::clock::Clock;
use super::echo::{EchoFilter, EchoPath};
use crate::audio::resample::StreamResampler;
use crate::audio::stream::{AudioError, AudioSource, Stamp, StreamStats};
use crate::audio::wav;

/// A finite signal played out in time.
pub struct SignalSource {
    name: String,
    samples: Vec<f32>,
    rate_hz: u32,
    clock: Arc<dyn Clock>,
    start_ns: u64,
    delivered: usize,
    stats: Arc<StreamStats>,
}

impl std::fmt::Debug for SignalSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignalSource")
            .field("name", &self.name)
            .field("rate_hz", &self.rate_hz)
            .field("len", &self.samples.len())
            .field("delivered", &self.delivered)
            .finish()
    }
}

impl SignalSource {
    /// `samples` at `rate_hz`, starting at the clock's present.
    pub fn new(
        name: impl Into<String>,
        samples: Vec<f32>,
        rate_hz: u32,
        clock: Arc<dyn Clock>,
    ) -> SignalSource {
        let start_ns = clock.now_ns();
        SignalSource {
            name: name.into(),
            samples,
            rate_hz,
            clock,
            start_ns,
            delivered: 0,
            stats: Arc::new(StreamStats::default()),
        }
    }

    /// A WAV file (any format `wav` reads), mono at its own rate.
    pub fn wav(path: &Path, clock: Arc<dyn Clock>) -> Result<SignalSource, AudioError> {
        let (samples, info) = wav::read_mono_native(path)?;
        Ok(SignalSource::new(
            path.display().to_string(),
            samples,
            info.sample_rate_hz,
            clock,
        ))
    }

    /// A sine tone.
    pub fn tone(
        freq_hz: f32,
        amplitude: f32,
        secs: f32,
        rate_hz: u32,
        clock: Arc<dyn Clock>,
    ) -> SignalSource {
        let n = (secs * rate_hz as f32) as usize;
        let w = 2.0 * std::f32::consts::PI * freq_hz / rate_hz as f32;
        let samples = (0..n).map(|i| amplitude * (w * i as f32).sin()).collect();
        SignalSource::new(format!("tone {freq_hz} Hz"), samples, rate_hz, clock)
    }

    /// Silence.
    pub fn silence(secs: f32, rate_hz: u32, clock: Arc<dyn Clock>) -> SignalSource {
        let n = (secs * rate_hz as f32) as usize;
        SignalSource::new("silence", vec![0.0; n], rate_hz, clock)
    }

    /// Samples in the whole signal.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

impl AudioSource for SignalSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn sample_rate_hz(&self) -> u32 {
        self.rate_hz
    }

    fn read(&mut self, out: &mut Vec<f32>) -> usize {
        let elapsed = self.clock.now_ns().saturating_sub(self.start_ns);
        let due = (u128::from(elapsed) * u128::from(self.rate_hz) / 1_000_000_000) as usize;
        let due = due.min(self.samples.len());
        let n = due.saturating_sub(self.delivered);
        out.extend_from_slice(&self.samples[self.delivered..due.max(self.delivered)]);
        self.delivered += n;
        self.stats.frames.fetch_add(n as u64, Ordering::Relaxed);
        if n > 0 {
            self.stats.callbacks.fetch_add(1, Ordering::Relaxed);
        }
        n
    }

    fn stamp(&self) -> Option<Stamp> {
        (self.delivered > 0).then(|| Stamp {
            end_index: self.delivered as u64,
            t_ns: self.start_ns
                + (self.delivered as u128 * 1_000_000_000 / u128::from(self.rate_hz)) as u64,
        })
    }

    fn stats(&self) -> Arc<StreamStats> {
        self.stats.clone()
    }

    fn is_finished(&self) -> bool {
        self.delivered >= self.samples.len()
    }
}

/// A microphone that also hears the speaker through an [`EchoPath`]: the inner source plus the
/// echo of what a [`super::ClockedSink`] played (its echo tap).
pub struct EchoMix {
    inner: Box<dyn AudioSource>,
    tap: rtrb::Consumer<f32>,
    resampler: StreamResampler,
    filter: EchoFilter,
    echo: VecDeque<f32>,
    scratch: Vec<f32>,
    scratch_mic: Vec<f32>,
}

impl std::fmt::Debug for EchoMix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EchoMix")
            .field("inner", &self.inner.name())
            .finish()
    }
}

impl EchoMix {
    /// `tap` carries the played samples at `tap.1` Hz and the echo path to apply.
    pub fn new(
        inner: Box<dyn AudioSource>,
        tap: (rtrb::Consumer<f32>, u32, EchoPath),
    ) -> Result<EchoMix, AudioError> {
        let rate = inner.sample_rate_hz();
        Ok(EchoMix {
            resampler: StreamResampler::new(tap.1, rate)?,
            filter: EchoFilter::new(&tap.2, rate),
            inner,
            tap: tap.0,
            echo: VecDeque::new(),
            scratch: Vec::new(),
            scratch_mic: Vec::new(),
        })
    }
}

impl AudioSource for EchoMix {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn sample_rate_hz(&self) -> u32 {
        self.inner.sample_rate_hz()
    }

    fn read(&mut self, out: &mut Vec<f32>) -> usize {
        self.scratch.clear();
        while let Ok(s) = self.tap.pop() {
            self.scratch.push(s);
        }
        self.scratch_mic.clear();
        self.resampler.push(&self.scratch, &mut self.scratch_mic);
        self.scratch.clear();
        self.filter.process(&self.scratch_mic, &mut self.scratch);
        self.echo.extend(self.scratch.iter().copied());
        let before = out.len();
        let n = self.inner.read(out);
        for s in &mut out[before..] {
            *s += self.echo.pop_front().unwrap_or(0.0);
        }
        n
    }

    fn stamp(&self) -> Option<Stamp> {
        self.inner.stamp()
    }

    fn stats(&self) -> Arc<StreamStats> {
        self.inner.stats()
    }

    fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::VirtualClock;

    #[test]
    fn delivers_exactly_what_the_clock_allows() {
        let clock = VirtualClock::new();
        let mut s = SignalSource::tone(440.0, 0.5, 1.0, 16_000, Arc::new(clock.clone()));
        let mut out = Vec::new();
        assert_eq!(s.read(&mut out), 0);
        assert!(s.stamp().is_none());
        clock.advance(10_000_000);
        assert_eq!(s.read(&mut out), 160);
        clock.advance(25_000_000);
        assert_eq!(s.read(&mut out), 400);
        assert_eq!(
            s.stamp(),
            Some(Stamp {
                end_index: 560,
                t_ns: 35_000_000
            })
        );
        clock.advance(2_000_000_000);
        assert_eq!(s.read(&mut out), 16_000 - 560);
        assert!(s.is_finished());
        assert_eq!(s.read(&mut out), 0);
    }
}
