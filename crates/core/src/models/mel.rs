//! The Whisper log-mel front end, shared by speech recognition and end-of-turn detection.
//!
//! 16 kHz audio -> 400-point STFT (periodic Hann window, hop 160, reflect padding of 200 samples
//! on both sides) -> power spectrum -> 80 triangular filters on the Slaney mel scale over 0-8 kHz,
//! each scaled to unit area ("Slaney" normalisation) -> `log10(max(m, 1e-10))`. The last STFT
//! frame is dropped, so `n` samples give `n / 160` frames. [`normalize_whisper`] then applies
//! Whisper's dynamic-range floor (`max - 8`) and scaling (`(x + 4) / 4`).
//!
//! The window, the filterbank and the FFT plan are built once in [`MelFrontEnd::new`]; computing
//! features allocates nothing beyond the output (and not even that with the `_into` methods).
//! Parity with a float64 numpy reference (`tests/fixtures/gen_mel.py`) is checked by the tests.

use std::fmt;
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

/// The sample rate the front end expects.
pub const SAMPLE_RATE_HZ: u32 = 16_000;
/// STFT window length in samples (25 ms).
pub const N_FFT: usize = 400;
/// STFT hop in samples (10 ms): one feature frame per hop.
pub const HOP_LENGTH: usize = 160;
/// Number of mel bands.
pub const N_MELS: usize = 80;
/// Number of frequency bins of one STFT frame.
pub const N_FREQ_BINS: usize = N_FFT / 2 + 1;
/// Upper edge of the filterbank.
const MEL_FMAX_HZ: f64 = 8_000.0;
/// Floor applied before the logarithm.
const POWER_FLOOR: f64 = 1e-10;
/// Whisper keeps this many decades below the loudest bin.
const DYNAMIC_RANGE_LOG10: f64 = 8.0;

/// One triangular filter, stored sparsely: the bins it covers and their weights.
#[derive(Debug, Clone)]
struct MelFilter {
    first_bin: usize,
    weights: Vec<f64>,
}

/// The precomputed front end. Keep one per thread and reuse it.
///
/// It computes in f64 and rounds the log-mel values to f32 at the end: smart-turn is int8
/// with dynamically quantised activations, and f32 spectra (errors ~1e-5 in the log domain)
/// moved its output by up to 0.03 against the reference; in f64 the features match it to
/// f32 rounding. The cost is small (about a millisecond per second of audio).
pub struct MelFrontEnd {
    window: Vec<f64>,
    filters: Vec<MelFilter>,
    fft: Arc<dyn RealToComplex<f64>>,
    frame: Vec<f64>,
    spectrum: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
    power: Vec<f64>,
}

impl fmt::Debug for MelFrontEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MelFrontEnd")
            .field("n_fft", &N_FFT)
            .field("hop_length", &HOP_LENGTH)
            .field("n_mels", &self.filters.len())
            .finish_non_exhaustive()
    }
}

impl Default for MelFrontEnd {
    fn default() -> Self {
        Self::new()
    }
}

impl MelFrontEnd {
    pub fn new() -> Self {
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(N_FFT);
        let window = (0..N_FFT)
            .map(|i| {
                let phase = 2.0 * std::f64::consts::PI * i as f64 / N_FFT as f64;
                0.5 - 0.5 * phase.cos()
            })
            .collect();
        Self {
            window,
            filters: slaney_filters(),
            frame: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            power: vec![0.0; N_FREQ_BINS],
            fft,
        }
    }

    /// Feature frames for `n_samples` of audio (the last STFT frame is dropped).
    pub const fn n_frames(n_samples: usize) -> usize {
        n_samples / HOP_LENGTH
    }

    /// Unnormalised `log10` mel power of `samples` (16 kHz), written row by row: band `m`, frame
    /// `t` goes to `out[m * row_stride + t]`. A `row_stride` larger than the frame count leaves
    /// the rest of each row untouched (for fixed-width model inputs). Returns the frame count.
    ///
    /// # Panics
    /// If `row_stride` is smaller than the frame count or `out` cannot hold `N_MELS` rows.
    pub fn log_mel_into(&mut self, samples: &[f32], out: &mut [f32], row_stride: usize) -> usize {
        let n_frames = Self::n_frames(samples.len());
        if n_frames == 0 {
            return 0;
        }
        assert!(
            row_stride >= n_frames && out.len() >= (N_MELS - 1) * row_stride + n_frames,
            "mel output too small: {n_frames} frames need a row stride >= {n_frames} and {N_MELS} rows"
        );
        for t in 0..n_frames {
            self.fill_frame(samples, t * HOP_LENGTH);
            // The plan only fails on wrong buffer lengths, which `new` fixed.
            self.fft
                .process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.scratch)
                .expect("FFT buffers are sized by their plan");
            for (p, c) in self.power.iter_mut().zip(&self.spectrum) {
                *p = c.norm_sqr();
            }
            for (m, filter) in self.filters.iter().enumerate() {
                let bins = &self.power[filter.first_bin..filter.first_bin + filter.weights.len()];
                let energy: f64 = bins.iter().zip(&filter.weights).map(|(p, w)| p * w).sum();
                out[m * row_stride + t] = energy.max(POWER_FLOOR).log10() as f32;
            }
        }
        n_frames
    }

    /// Whisper features of `samples`: [`log_mel_into`](Self::log_mel_into) followed by
    /// [`normalize_whisper`] over the frames written. Returns the frame count.
    ///
    /// # Panics
    /// As [`log_mel_into`](Self::log_mel_into).
    pub fn features_into(&mut self, samples: &[f32], out: &mut [f32], row_stride: usize) -> usize {
        let n_frames = self.log_mel_into(samples, out, row_stride);
        if n_frames > 0 {
            normalize_whisper(out, row_stride, n_frames);
        }
        n_frames
    }

    /// Whisper features of `samples` as a new `[N_MELS, n_frames]` row-major buffer.
    pub fn features(&mut self, samples: &[f32]) -> Vec<f32> {
        let n_frames = Self::n_frames(samples.len());
        let mut out = vec![0.0; N_MELS * n_frames];
        self.features_into(samples, &mut out, n_frames);
        out
    }

    /// Copies the windowed STFT frame that starts at `start` in the reflect-padded signal.
    fn fill_frame(&mut self, samples: &[f32], start: usize) {
        let pad = N_FFT / 2;
        let n = samples.len();
        if start >= pad && start - pad + N_FFT <= n {
            let src = &samples[start - pad..start - pad + N_FFT];
            for ((dst, s), w) in self.frame.iter_mut().zip(src).zip(&self.window) {
                *dst = f64::from(*s) * w;
            }
        } else {
            for (k, (dst, w)) in self.frame.iter_mut().zip(&self.window).enumerate() {
                let i = (start + k) as isize - pad as isize;
                *dst = f64::from(samples[reflect_index(i, n)]) * w;
            }
        }
    }
}

/// Maps an index outside `0..n` back inside by mirroring at the ends without repeating the edge
/// sample (numpy's `reflect` mode, applied as often as needed).
fn reflect_index(i: isize, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let period = 2 * (n as isize - 1);
    let m = i.rem_euclid(period);
    if m >= n as isize {
        (period - m) as usize
    } else {
        m as usize
    }
}

/// Whisper's normalisation of log-mel features in place: values below `max - 8` are raised to
/// it, then `(x + 4) / 4`. Only the first `n_frames` of each row (of `row_stride`) are read and
/// written, and the maximum is taken over those.
pub fn normalize_whisper(features: &mut [f32], row_stride: usize, n_frames: usize) {
    let rows = || (0..N_MELS).map(move |m| m * row_stride..m * row_stride + n_frames);
    let max = rows()
        .flat_map(|r| features[r].iter().copied())
        .fold(f32::NEG_INFINITY, f32::max);
    let floor = f64::from(max) - DYNAMIC_RANGE_LOG10;
    for r in rows() {
        for x in &mut features[r] {
            *x = ((f64::from(*x).max(floor) + 4.0) / 4.0) as f32;
        }
    }
}

/// Hz to mel on the Slaney scale: linear below 1 kHz, logarithmic above.
fn hz_to_mel(hz: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    let log_step = 6.4f64.ln() / 27.0;
    if hz >= MIN_LOG_HZ {
        MIN_LOG_HZ / F_SP + (hz / MIN_LOG_HZ).ln() / log_step
    } else {
        hz / F_SP
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    let min_log_mel = MIN_LOG_HZ / F_SP;
    let log_step = 6.4f64.ln() / 27.0;
    if mel >= min_log_mel {
        MIN_LOG_HZ * (log_step * (mel - min_log_mel)).exp()
    } else {
        F_SP * mel
    }
}

/// The 80 area-normalised triangular filters, computed in f64 and stored sparsely.
fn slaney_filters() -> Vec<MelFilter> {
    let nyquist = f64::from(SAMPLE_RATE_HZ) / 2.0;
    let bin_hz = |k: usize| nyquist * k as f64 / (N_FREQ_BINS - 1) as f64;
    let mel_max = hz_to_mel(MEL_FMAX_HZ);
    let edges: Vec<f64> = (0..N_MELS + 2)
        .map(|i| mel_to_hz(mel_max * i as f64 / (N_MELS + 1) as f64))
        .collect();
    (0..N_MELS)
        .map(|m| {
            let (lo, mid, hi) = (edges[m], edges[m + 1], edges[m + 2]);
            let area_norm = 2.0 / (hi - lo);
            let dense: Vec<f64> = (0..N_FREQ_BINS)
                .map(|k| {
                    let f = bin_hz(k);
                    let rising = (f - lo) / (mid - lo);
                    let falling = (hi - f) / (hi - mid);
                    rising.min(falling).max(0.0) * area_norm
                })
                .collect();
            let first = dense.iter().position(|&w| w > 0.0).unwrap_or(0);
            let last = dense.iter().rposition(|&w| w > 0.0).unwrap_or(first);
            MelFilter {
                first_bin: first,
                weights: dense[first..=last].to_vec(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn fixture_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/mel")
    }

    fn read_f32(path: &std::path::Path) -> Vec<f32> {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }

    #[test]
    fn frame_count_drops_the_last_frame() {
        assert_eq!(MelFrontEnd::n_frames(128_000), 800);
        assert_eq!(MelFrontEnd::n_frames(159), 0);
        assert_eq!(MelFrontEnd::n_frames(12_007), 75);
        assert!(MelFrontEnd::new().features(&[0.1; 100]).is_empty());
    }

    #[test]
    fn reflect_matches_numpy() {
        // np.pad([0,1,2,3], 5, mode="reflect") -> [1 2 3 2 1 | 0 1 2 3 | 2 1 0 1 2]
        let got: Vec<usize> = (-5..9).map(|i| reflect_index(i, 4)).collect();
        assert_eq!(got, [1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2]);
        assert_eq!(reflect_index(-3, 1), 0);
    }

    #[test]
    fn filters_are_slaney_area_normalised() {
        let filters = slaney_filters();
        assert_eq!(filters.len(), N_MELS);
        // Every filter covers at least one bin, and they tile 0-8 kHz in order.
        for pair in filters.windows(2) {
            assert!(pair[0].first_bin <= pair[1].first_bin);
        }
        assert!(filters.iter().all(|f| !f.weights.is_empty()));
        // The top filter ends at 8 kHz, the Nyquist bin at 16 kHz.
        let last = &filters[N_MELS - 1];
        assert!(last.first_bin + last.weights.len() <= N_FREQ_BINS);
        // Area normalisation: a triangle of unit area sampled every 40 Hz sums to ~1/40 (exact
        // up to discretisation, which is small for the wide high filters).
        let sum: f64 = filters[70].weights.iter().sum();
        assert!((sum - 1.0 / 40.0).abs() < 0.1 / 40.0, "{sum}");
        // Known Slaney edges: 1 kHz is exactly mel 15.
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
        assert!((mel_to_hz(hz_to_mel(4321.0)) - 4321.0).abs() < 1e-9);
    }

    #[test]
    fn normalisation_floors_and_scales() {
        let mut x = vec![-20.0; N_MELS * 2];
        x[0] = 0.0;
        normalize_whisper(&mut x, 2, 2);
        assert_eq!(x[0], 1.0);
        assert_eq!(x[1], (-8.0 + 4.0) / 4.0);
    }

    #[test]
    fn matches_numpy_reference() {
        let mut mel = MelFrontEnd::new();
        let mut checked = 0;
        for name in ["chirp_1s", "voice_odd_len", "short_300", "noise_loud"] {
            let dir = fixture_dir();
            let meta: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("fixture json"),
            )
            .expect("fixture json parses");
            let input = read_f32(&dir.join(format!("{name}.input.f32")));
            let expected = read_f32(&dir.join(format!("{name}.expected.f32")));
            assert_eq!(meta["samples"].as_u64(), Some(input.len() as u64));
            let n_frames = meta["n_frames"].as_u64().expect("n_frames") as usize;
            let got = mel.features(&input);
            assert_eq!(got.len(), N_MELS * n_frames, "{name}: shape");
            let max_diff = got
                .iter()
                .zip(&expected)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            eprintln!("mel parity {name}: max abs diff {max_diff:.2e}");
            assert!(max_diff < 1e-3, "{name}: max abs diff {max_diff}");
            checked += 1;
        }
        assert_eq!(checked, 4);
    }
}
