//! The floor model's input: one feature row per 20 ms of cleaned microphone audio.
//!
//! The same code computes the rows live (the engine feeds it as audio arrives) and offline
//! (`tandem floor features` over generated episodes, for training), so the model is trained on
//! exactly what it sees at run time. A row holds the frame's level and spectral shape, the
//! voice detector's verdict and the speech run/pause timing, smart-turn's latest answer, and
//! the state of our own voice. Every value is scaled to roughly [-1, 1]; the names are written
//! next to offline features (`feats.json`) and the model's metadata carries
//! [`FEATURE_VERSION`], so a model trained on other features is refused.

use std::collections::VecDeque;
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use super::listen::VoiceTracker;
use crate::interaction::{Ms, VoiceActivity};

/// Samples per feature row (20 ms at 16 kHz).
pub const FRAME_SAMPLES: usize = 320;
/// Milliseconds per feature row.
pub const FRAME_MS: Ms = 20;
/// Log-mel bands per row.
pub const N_BANDS: usize = 16;
/// Bumped whenever a feature's meaning or scaling changes.
pub const FEATURE_VERSION: u32 = 1;
/// Rows the model sees per call (1.28 s).
pub const WINDOW_FRAMES: usize = 64;

const FFT_LEN: usize = 512;
const BAND_LOW_HZ: f32 = 100.0;
const BAND_HIGH_HZ: f32 = 7600.0;
/// A gap between speech runs longer than this starts a new turn (for `turn_s`).
const TURN_GAP_MS: Ms = 2000;

/// The scalar features before the bands, in row order.
pub const SCALAR_NAMES: [&str; 14] = [
    "mic_db",
    "vad",
    "speaking",
    "run_s",
    "pause_s",
    "turn_s",
    "run_db",
    "eot",
    "eot_known",
    "own_playing",
    "own_s",
    "own_off_s",
    "prev_run_sim",
    "mic_db_delta",
];

/// Features per row.
pub const N_FEATURES: usize = SCALAR_NAMES.len() + N_BANDS;

/// The names of all features, in row order (`band00`..`band15` after the scalars).
pub fn feature_names() -> Vec<String> {
    SCALAR_NAMES
        .iter()
        .map(|s| (*s).to_owned())
        .chain((0..N_BANDS).map(|b| format!("band{b:02}")))
        .collect()
}

/// What the rest of the loop knows when a row is completed.
#[derive(Debug, Clone, Copy, Default)]
pub struct FrameContext {
    /// Voice activity as the policy sees it (levels relative to the user's usual level).
    pub voice: VoiceActivity,
    /// The voice detector's latest chunk probability.
    pub vad_probability: f32,
    /// The user's usual speech level, dBFS.
    pub usual_db: f32,
    /// Our own voice is playing.
    pub own_playing: bool,
}

impl FrameContext {
    /// The latest frame's context from the loop's voice tracker. The run level is the cleaned
    /// audio's (what the model was trained on), not the echo canceller's linear output that
    /// the rules' level check uses.
    pub fn from_tracker(tracker: &VoiceTracker, own_playing: bool) -> FrameContext {
        FrameContext {
            voice: VoiceActivity {
                level_db: tracker.cleaned_run_db() - tracker.usual_db(),
                ..tracker.activity()
            },
            vad_probability: tracker.last_probability,
            usual_db: tracker.usual_db(),
            own_playing,
        }
    }
}

/// Computes rows and keeps the last [`WINDOW_FRAMES`] of them.
pub struct FloorFeatures {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    frame: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// (first bin, weights) per band.
    bands: Vec<(usize, Vec<f32>)>,
    /// Samples of the row being filled.
    pending: Vec<f32>,
    /// Rows computed so far (the row index of the next one).
    rows_done: u64,
    recent: VecDeque<[f32; N_FEATURES]>,
    last_mic_db: f32,
    /// smart-turn's answer for the current pause, by the pause's start.
    eot: Option<(Ms, f32)>,
    // Turn and own-voice timing.
    turn_start: Option<Ms>,
    last_speech: Option<Ms>,
    own_since: Option<Ms>,
    own_stopped: Option<Ms>,
    // Spectral shape of the current and of the previous speech run.
    run_shape: [f32; N_BANDS],
    run_frames: u32,
    prev_shape: Option<[f32; N_BANDS]>,
    was_speaking: bool,
}

impl std::fmt::Debug for FloorFeatures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FloorFeatures")
            .field("rows_done", &self.rows_done)
            .finish_non_exhaustive()
    }
}

impl Default for FloorFeatures {
    fn default() -> Self {
        Self::new()
    }
}

impl FloorFeatures {
    pub fn new() -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(FFT_LEN);
        let spectrum = fft.make_output_vec();
        let scratch = fft.make_scratch_vec();
        let window = (0..FRAME_SAMPLES)
            .map(|i| {
                let x = std::f32::consts::TAU * i as f32 / FRAME_SAMPLES as f32;
                0.5 - 0.5 * x.cos()
            })
            .collect();
        Self {
            fft,
            window,
            frame: vec![0.0; FFT_LEN],
            spectrum,
            scratch,
            bands: mel_bands(),
            pending: Vec::with_capacity(FRAME_SAMPLES),
            rows_done: 0,
            recent: VecDeque::with_capacity(WINDOW_FRAMES + 1),
            last_mic_db: -90.0,
            eot: None,
            turn_start: None,
            last_speech: None,
            own_since: None,
            own_stopped: None,
            run_shape: [0.0; N_BANDS],
            run_frames: 0,
            prev_shape: None,
            was_speaking: false,
        }
    }

    /// smart-turn's probability for the pause that started at `pause_start_ms`.
    pub fn set_end_of_turn(&mut self, pause_start_ms: Ms, probability: f32) {
        self.eot = Some((pause_start_ms, probability));
    }

    /// Feeds cleaned audio; `ctx` is asked for the loop's state whenever a row completes.
    /// Completed rows go to `on_row` (offline extraction writes them out) and into the window.
    pub fn push(
        &mut self,
        samples: &[f32],
        mut ctx: impl FnMut() -> FrameContext,
        mut on_row: impl FnMut(&[f32; N_FEATURES]),
    ) {
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (FRAME_SAMPLES - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == FRAME_SAMPLES {
                let row = self.row(&ctx());
                self.pending.clear();
                on_row(&row);
                if self.recent.len() == WINDOW_FRAMES {
                    self.recent.pop_front();
                }
                self.recent.push_back(row);
            }
        }
    }

    /// The last [`WINDOW_FRAMES`] rows, oldest first, zero rows before the first, flattened
    /// into `out` (`WINDOW_FRAMES * N_FEATURES` values).
    pub fn window_into(&self, out: &mut [f32]) {
        out.fill(0.0);
        let skip = WINDOW_FRAMES - self.recent.len();
        for (i, row) in self.recent.iter().enumerate() {
            let at = (skip + i) * N_FEATURES;
            out[at..at + N_FEATURES].copy_from_slice(row);
        }
    }

    /// Rows computed so far.
    pub fn rows(&self) -> u64 {
        self.rows_done
    }

    fn row(&mut self, ctx: &FrameContext) -> [f32; N_FEATURES] {
        // The row's time is the end of its frame.
        self.rows_done += 1;
        let now = self.rows_done * FRAME_MS;
        let energy: f32 = self.pending.iter().map(|x| x * x).sum::<f32>() / FRAME_SAMPLES as f32;
        let mic_dbfs = (10.0 * energy.max(1e-9).log10()).max(-90.0);
        let shape = self.band_shape();

        let v = &ctx.voice;
        let speaking = v.speaking;
        if speaking {
            let onset = v.onset_ms.unwrap_or(now);
            let gap_before = self
                .last_speech
                .map_or(Ms::MAX, |t| onset.saturating_sub(t));
            if self.turn_start.is_none() || gap_before > TURN_GAP_MS && !self.was_speaking {
                self.turn_start = Some(onset);
            }
            self.last_speech = Some(now);
            for (acc, s) in self.run_shape.iter_mut().zip(&shape) {
                *acc += s;
            }
            self.run_frames += 1;
        } else if self.was_speaking && self.run_frames > 0 {
            let n = self.run_frames as f32;
            let mut mean = self.run_shape;
            mean.iter_mut().for_each(|x| *x /= n);
            self.prev_shape = Some(mean);
            self.run_shape = [0.0; N_BANDS];
            self.run_frames = 0;
        }
        if self
            .last_speech
            .is_some_and(|t| now.saturating_sub(t) > TURN_GAP_MS)
        {
            self.turn_start = None;
        }
        self.was_speaking = speaking;

        if ctx.own_playing {
            self.own_since.get_or_insert(now);
            self.own_stopped = None;
        } else if self.own_since.take().is_some() {
            self.own_stopped = Some(now);
        }

        let secs = |ms: Ms, full: f32| (ms as f32 / 1000.0 / full).min(1.0);
        let run_s = if speaking {
            v.onset_ms.map_or(0.0, |o| secs(now.saturating_sub(o), 3.0))
        } else {
            0.0
        };
        let pause_s = if speaking {
            0.0
        } else {
            v.last_end_ms
                .map_or(1.0, |e| secs(now.saturating_sub(e), 3.0))
        };
        let turn_s = self
            .turn_start
            .map_or(0.0, |t| secs(now.saturating_sub(t), 10.0));
        let pause_start = if speaking { None } else { v.last_end_ms };
        let eot = self
            .eot
            .filter(|(start, _)| Some(*start) == pause_start)
            .map(|(_, p)| p);
        let prev_sim = match (&self.prev_shape, speaking && self.run_frames > 0) {
            (Some(prev), true) => {
                let n = self.run_frames as f32;
                let cur: Vec<f32> = self.run_shape.iter().map(|x| x / n).collect();
                cosine(prev, &cur)
            }
            _ => 0.0,
        };
        let rel = |db: f32| ((db - ctx.usual_db) / 20.0).clamp(-3.0, 1.0);

        let mut row = [0.0f32; N_FEATURES];
        let scalars = [
            rel(mic_dbfs),
            ctx.vad_probability,
            f32::from(u8::from(speaking)),
            run_s,
            pause_s,
            turn_s,
            (v.level_db / 20.0).clamp(-3.0, 1.0),
            eot.unwrap_or(0.0),
            f32::from(u8::from(eot.is_some())),
            f32::from(u8::from(ctx.own_playing)),
            self.own_since
                .map_or(0.0, |t| secs(now.saturating_sub(t), 3.0)),
            self.own_stopped
                .map_or(1.0, |t| secs(now.saturating_sub(t), 3.0)),
            prev_sim,
            ((mic_dbfs - self.last_mic_db) / 10.0).clamp(-1.0, 1.0),
        ];
        self.last_mic_db = mic_dbfs;
        row[..SCALAR_NAMES.len()].copy_from_slice(&scalars);
        row[SCALAR_NAMES.len()..].copy_from_slice(&shape);
        row
    }

    /// Log band energies of the pending frame with their mean removed (the spectral shape,
    /// independent of level), in units of 20 dB, clipped to [-2, 2].
    fn band_shape(&mut self) -> [f32; N_BANDS] {
        for (i, (x, w)) in self.pending.iter().zip(&self.window).enumerate() {
            self.frame[i] = x * w;
        }
        self.frame[FRAME_SAMPLES..].fill(0.0);
        let mut shape = [0.0f32; N_BANDS];
        if self
            .fft
            .process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.scratch)
            .is_err()
        {
            return shape;
        }
        for (out, (first, weights)) in shape.iter_mut().zip(&self.bands) {
            let power: f32 = weights
                .iter()
                .enumerate()
                .map(|(k, w)| w * self.spectrum[first + k].norm_sqr())
                .sum();
            *out = 10.0 * (power + 1e-9).log10();
        }
        let mean = shape.iter().sum::<f32>() / N_BANDS as f32;
        for x in &mut shape {
            *x = ((*x - mean) / 20.0).clamp(-2.0, 2.0);
        }
        shape
    }
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na < 1e-6 || nb < 1e-6 {
        0.0
    } else {
        (dot / (na * nb)).clamp(-1.0, 1.0)
    }
}

/// Triangular filters evenly spaced on the mel scale (HTK formula) between
/// [`BAND_LOW_HZ`] and [`BAND_HIGH_HZ`], over the bins of a [`FFT_LEN`]-point FFT at 16 kHz.
fn mel_bands() -> Vec<(usize, Vec<f32>)> {
    let mel = |hz: f32| 2595.0 * (1.0 + hz / 700.0).log10();
    let hz = |m: f32| 700.0 * (10f32.powf(m / 2595.0) - 1.0);
    let bin_hz = 16_000.0 / FFT_LEN as f32;
    let (lo, hi) = (mel(BAND_LOW_HZ), mel(BAND_HIGH_HZ));
    let edges: Vec<f32> = (0..N_BANDS + 2)
        .map(|i| hz(lo + (hi - lo) * i as f32 / (N_BANDS + 1) as f32))
        .collect();
    (0..N_BANDS)
        .map(|b| {
            let (left, centre, right) = (edges[b], edges[b + 1], edges[b + 2]);
            let first = (left / bin_hz).floor() as usize;
            let last = ((right / bin_hz).ceil() as usize).min(FFT_LEN / 2);
            let weights = (first..=last)
                .map(|k| {
                    let f = k as f32 * bin_hz;
                    if f <= centre {
                        ((f - left) / (centre - left)).max(0.0)
                    } else {
                        ((right - f) / (right - centre)).max(0.0)
                    }
                })
                .collect();
            (first, weights)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(speaking: bool, onset: Option<Ms>, end: Option<Ms>, own: bool) -> FrameContext {
        FrameContext {
            voice: VoiceActivity {
                speaking,
                onset_ms: onset,
                last_end_ms: end,
                level_db: 0.0,
                tentative_end_ms: None,
            },
            vad_probability: if speaking { 0.9 } else { 0.1 },
            usual_db: -26.0,
            own_playing: own,
        }
    }

    fn tone(hz: f32, n: usize, amp: f32) -> Vec<f32> {
        (0..n)
            .map(|i| amp * (std::f32::consts::TAU * hz * i as f32 / 16_000.0).sin())
            .collect()
    }

    fn index(name: &str) -> usize {
        feature_names().iter().position(|n| n == name).unwrap()
    }

    #[test]
    fn one_row_per_20_ms_whatever_the_block_size() {
        let mut f = FloorFeatures::new();
        let mut rows = 0;
        for block in [100usize, 220, 1000, 7, 913] {
            f.push(
                &vec![0.0; block],
                || ctx(false, None, None, false),
                |_| rows += 1,
            );
        }
        assert_eq!(rows, 2240 / FRAME_SAMPLES);
        assert_eq!(f.rows(), rows as u64);
    }

    #[test]
    fn level_is_relative_to_the_usual_level_and_bands_follow_the_spectrum() {
        let mut f = FloorFeatures::new();
        let mut last = [0.0; N_FEATURES];
        // A sine at -26 dBFS RMS (amplitude 0.0708): as loud as usual.
        f.push(
            &tone(300.0, 640, 0.0708),
            || ctx(true, Some(0), None, false),
            |r| last = *r,
        );
        assert!(
            last[index("mic_db")].abs() < 0.05,
            "{}",
            last[index("mic_db")]
        );
        let low = last[SCALAR_NAMES.len()];
        f.push(
            &tone(5000.0, 640, 0.0708),
            || ctx(true, Some(0), None, false),
            |r| last = *r,
        );
        let high = last[SCALAR_NAMES.len() + N_BANDS - 3];
        assert!(low > 0.5 && high > 0.5, "low {low}, high {high}");
        assert!(last[SCALAR_NAMES.len()] < 0.0);
    }

    #[test]
    fn timing_features_track_runs_pauses_turns_and_our_voice() {
        let mut f = FloorFeatures::new();
        let mut last = [0.0; N_FEATURES];
        let silence = vec![0.0; FRAME_SAMPLES];
        // 1 s of speech from 0, then 0.6 s of pause, all while we play.
        for i in 0..50 {
            let _ = i;
            f.push(&silence, || ctx(true, Some(0), None, true), |r| last = *r);
        }
        assert!((last[index("run_s")] - 1.0 / 3.0).abs() < 0.01);
        assert!((last[index("own_s")] - 1.0 / 3.0).abs() < 0.01);
        for _ in 0..30 {
            f.push(
                &silence,
                || ctx(false, None, Some(1000), false),
                |r| last = *r,
            );
        }
        assert!((last[index("pause_s")] - 0.2).abs() < 0.01);
        assert!((last[index("turn_s")] - 0.16).abs() < 0.01);
        assert!((last[index("own_off_s")] - 0.2).abs() < 0.02);
        assert_eq!(last[index("eot_known")], 0.0);
        f.set_end_of_turn(1000, 0.8);
        f.push(
            &silence,
            || ctx(false, None, Some(1000), false),
            |r| last = *r,
        );
        assert_eq!(last[index("eot")], 0.8);
        assert_eq!(last[index("eot_known")], 1.0);
    }

    #[test]
    fn the_window_is_zero_padded_then_slides() {
        let mut f = FloorFeatures::new();
        let mut w = vec![1.0; WINDOW_FRAMES * N_FEATURES];
        f.window_into(&mut w);
        assert!(w.iter().all(|x| *x == 0.0));
        f.push(
            &vec![0.1; FRAME_SAMPLES * 70],
            || ctx(true, Some(0), None, false),
            |_| {},
        );
        f.window_into(&mut w);
        assert!(w[..N_FEATURES].iter().any(|x| *x != 0.0));
        assert_eq!(f.rows(), 70);
    }
}
