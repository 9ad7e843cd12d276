//! The host-side vocoder: hibari's network predicts five spectral parts per 12.5 ms frame and
//! an F0 curve; this turns them into a 24 kHz waveform.
//!
//! For every frame and bin the spectrum is
//! `S = exp(lh)·e^{iπ·tanh θ}·E + exp(ln)·Z + exp(lr)·e^{iφ}` (each log magnitude capped at 7),
//! where `E` is the STFT of a band-limited pulse train that follows F0 and `Z` is complex
//! Gaussian noise. The waveform is the inverse STFT of `S` (periodic Hann, 1200 points, hop 300,
//! centred frames, length `frames·300`).

use std::f32::consts::PI;
use std::f64::consts::TAU;
use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use super::fastmath;

/// Output sample rate.
pub const SAMPLE_RATE_HZ: u32 = 24_000;
/// FFT size of the analysis and synthesis frames.
pub const N_FFT: usize = 1200;
/// Samples per model frame (12.5 ms).
pub const HOP: usize = 300;
/// Frequency bins per frame.
pub const BINS: usize = N_FFT / 2 + 1;
/// Frames below this F0 are unvoiced (no pulses).
const VOICED_MIN_HZ: f32 = 40.0;
/// Harmonics are generated up to this frequency.
const HARMONIC_MAX_HZ: f32 = 11_000.0;
/// Log magnitudes are capped here before `exp`.
const LOG_MAG_CAP: f32 = 7.0;
/// Hops per FFT frame.
const OVERLAP: usize = N_FFT / HOP;

/// The network's outputs for one utterance, bins-major as the model returns them
/// (`part[bin * frames + frame]`).
#[derive(Debug, Clone, Default)]
pub struct Frames {
    pub frames: usize,
    pub lh: Vec<f32>,
    pub theta: Vec<f32>,
    pub ln: Vec<f32>,
    pub lr: Vec<f32>,
    pub phi: Vec<f32>,
    /// Pitch per frame in Hz, 0 where unvoiced.
    pub f0: Vec<f32>,
}

/// A source of standard normal samples for the noise branch.
pub trait NoiseSource {
    /// Fills `out` with independent N(0, 1) samples.
    fn fill(&mut self, out: &mut [f32]);
}

/// No noise: the deterministic part of the spectrum only (used for parity checks).
#[derive(Debug, Clone, Copy, Default)]
pub struct Silence;

impl NoiseSource for Silence {
    fn fill(&mut self, out: &mut [f32]) {
        out.fill(0.0);
    }
}

/// A small, fast, seedable Gaussian generator (xoshiro256+ and the Box–Muller transform,
/// computed a batch at a time so the transform vectorizes).
#[derive(Debug, Clone)]
pub struct GaussianNoise {
    s: [u64; 4],
}

impl GaussianNoise {
    pub fn new(seed: u64) -> Self {
        // splitmix64 expands the seed into a non-zero state.
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Self {
            s: [next(), next(), next(), next()],
        }
    }

    /// Seeded from the clock, for ordinary synthesis.
    pub fn from_time() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Self::new(nanos)
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }
}

impl NoiseSource for GaussianNoise {
    fn fill(&mut self, out: &mut [f32]) {
        const PAIRS: usize = 64;
        const UNIT: f32 = 1.0 / (1u32 << 24) as f32;
        let mut radius = [0.0f32; PAIRS];
        let mut angle = [0.0f32; PAIRS];
        for chunk in out.chunks_mut(2 * PAIRS) {
            let pairs = chunk.len().div_ceil(2);
            // One draw per pair: the top 24 bits give u1 in (0, 1], the next 24 an angle in
            // [-π, π) (xoshiro256+'s weak low bits are not used).
            for (r, a) in radius[..pairs].iter_mut().zip(&mut angle[..pairs]) {
                let x = self.next_u64();
                *r = ((x >> 40) as i32 + 1) as f32 * UNIT;
                *a = ((x >> 16) & 0xff_ffff) as i32 as f32 * (std::f32::consts::TAU * UNIT) - PI;
            }
            for (r, a) in radius[..pairs].iter_mut().zip(&mut angle[..pairs]) {
                let k = (-2.0 * fastmath::ln(*r)).sqrt();
                let (s, c) = fastmath::sin_cos_pi(*a);
                *r = k * c;
                *a = k * s;
            }
            for (i, x) in chunk.iter_mut().enumerate() {
                *x = if i % 2 == 0 {
                    radius[i / 2]
                } else {
                    angle[i / 2]
                };
            }
        }
    }
}

/// Frames whose parts are gathered (transposed from bins-major) at a time.
const BLOCK: usize = 16;
/// The five spectral parts, in the order they are gathered.
const PARTS: usize = 5;

/// Reusable vocoder state: FFT plans, windows and buffers (nothing is allocated per frame;
/// the per-utterance buffers only grow).
pub struct Vocoder {
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
    /// Periodic Hann window.
    window: Vec<f32>,
    /// The analysis window for the pulse train, scaled so a unit cosine has magnitude 1.
    source_window: Vec<f32>,
    /// The synthesis window with the inverse FFT's 1/N folded in.
    synth_window: Vec<f32>,
    /// 1 / Σw² for a sample covered by all four frames, per position within a hop.
    inv_wsum: Vec<f32>,
    /// Interpolation weight of the next frame for each sample position within a hop.
    interp: Vec<f32>,
    frame: Vec<f32>,
    spectrum: Vec<Complex32>,
    scratch_fwd: Vec<Complex32>,
    scratch_inv: Vec<Complex32>,
    noise: Vec<f32>,
    /// Per frame: harmonic gain (re, im), noise gain, free part (re, im), planar.
    coef: Vec<f32>,
    /// `BLOCK` frames of the five parts, frame-major.
    block: Vec<f32>,
    /// Per utterance: the pulse train (reflect-padded by N_FFT/2 on both sides), its
    /// per-sample F0 and phase, the overlap-add accumulator and the piece being handed out.
    padded: Vec<f32>,
    freq: Vec<f32>,
    phase: Vec<f32>,
    acc: Vec<f32>,
    piece: Vec<f32>,
}

impl std::fmt::Debug for Vocoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vocoder").field("n_fft", &N_FFT).finish()
    }
}

impl Default for Vocoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Vocoder {
    pub fn new() -> Self {
        let mut planner = RealFftPlanner::<f32>::new();
        let forward = planner.plan_fft_forward(N_FFT);
        let inverse = planner.plan_fft_inverse(N_FFT);
        let window: Vec<f32> = (0..N_FFT)
            .map(|n| {
                let c = (std::f64::consts::TAU * n as f64 / N_FFT as f64).cos() as f32;
                0.5 - 0.5 * c
            })
            .collect();
        let source_window = window.iter().map(|w| w / (N_FFT / 4) as f32).collect();
        let synth_window = window.iter().map(|w| w / N_FFT as f32).collect();
        let inv_wsum = (0..HOP)
            .map(|o| {
                let s: f32 = (0..OVERLAP).map(|k| window[k * HOP + o].powi(2)).sum();
                1.0 / s.max(1e-11)
            })
            .collect();
        // Sample j of a hop sits at (j + 0.5) / HOP - 0.5 frames from the frame centre; the
        // fractional part is the weight of the later of the two frames it lies between.
        let interp = (0..HOP)
            .map(|j| {
                let pos = ((j as f64 + 0.5) / HOP as f64) - 0.5;
                (pos - pos.floor()) as f32
            })
            .collect();
        Self {
            scratch_fwd: forward.make_scratch_vec(),
            scratch_inv: inverse.make_scratch_vec(),
            forward,
            inverse,
            window,
            source_window,
            synth_window,
            inv_wsum,
            interp,
            frame: vec![0.0; N_FFT],
            spectrum: vec![Complex32::default(); BINS],
            noise: vec![0.0; 2 * BINS],
            coef: vec![0.0; PARTS * BINS],
            block: vec![0.0; PARTS * BLOCK * BINS],
            padded: Vec::new(),
            freq: Vec::new(),
            phase: Vec::new(),
            acc: Vec::new(),
            piece: Vec::new(),
        }
    }

    /// The band-limited pulse train for an F0 curve (one value per frame), `frames·HOP` long.
    /// `pitch` scales F0 (1.0 = as predicted).
    pub fn pulses(&self, f0: &[f32], pitch: f32) -> Vec<f32> {
        let (mut freq, mut phase) = (Vec::new(), Vec::new());
        let mut out = vec![0.0; f0.len() * HOP];
        pulse_train(&self.interp, f0, pitch, &mut freq, &mut phase, &mut out);
        out
    }

    /// The waveform for one utterance.
    pub fn synthesize(
        &mut self,
        parts: &Frames,
        pitch: f32,
        noise: &mut dyn NoiseSource,
    ) -> Vec<f32> {
        let mut wav = Vec::with_capacity(parts.frames * HOP);
        self.synthesize_pieces(parts, pitch, noise, usize::MAX, &mut |piece| {
            wav.extend_from_slice(piece);
            true
        });
        wav
    }

    /// The waveform for one utterance, handed to `emit` in order as soon as it is final: a
    /// piece whenever at least `piece_samples` new samples are ready, and the rest at the end.
    /// The pieces join into exactly what [`Vocoder::synthesize`] returns (same noise).
    /// Returns false when `emit` returned false (the rest is not synthesized).
    pub fn synthesize_pieces(
        &mut self,
        parts: &Frames,
        pitch: f32,
        noise: &mut dyn NoiseSource,
        piece_samples: usize,
        emit: &mut dyn FnMut(&[f32]) -> bool,
    ) -> bool {
        let n = parts.frames;
        if n == 0 {
            return true;
        }
        let pad = N_FFT / 2;
        let total = n * HOP;
        self.prepare_source(&parts.f0, pitch);
        self.acc.clear();
        self.acc.resize((n + OVERLAP - 1) * HOP, 0.0);
        let mut emitted = 0;
        for f in 0..n {
            if f % BLOCK == 0 {
                self.gather(parts, f);
            }
            self.frame_spectrum(f, noise);
            self.overlap_add(f);
            // Samples before the start of the next frame are final (the output starts `pad`
            // samples into the accumulator).
            let ready = if f + 1 == n {
                total
            } else {
                ((f + 1) * HOP).saturating_sub(pad).min(total)
            };
            if ready > emitted && (ready - emitted >= piece_samples || ready == total) {
                self.normalize(emitted, ready, n);
                if !emit(&self.piece) {
                    return false;
                }
                emitted = ready;
            }
        }
        true
    }

    /// The pulse train of the utterance, reflect-padded for the centred analysis frames.
    fn prepare_source(&mut self, f0: &[f32], pitch: f32) {
        let total = f0.len() * HOP;
        let pad = N_FFT / 2;
        self.padded.clear();
        self.padded.resize(total + 2 * pad, 0.0);
        pulse_train(
            &self.interp,
            f0,
            pitch,
            &mut self.freq,
            &mut self.phase,
            &mut self.padded[pad..pad + total],
        );
        // Reflect padding (the edge sample is not repeated), clamped for very short inputs.
        let last = total as isize - 1;
        let reflect = |i: isize| -> usize {
            let j = if i < 0 {
                -i
            } else if i > last {
                2 * last - i
            } else {
                i
            };
            (j.clamp(0, last) + pad as isize) as usize
        };
        for p in 0..pad {
            let src = reflect(p as isize - pad as isize);
            self.padded[p] = self.padded[src];
            let q = pad + total + p;
            let src = reflect(q as isize - pad as isize);
            self.padded[q] = self.padded[src];
        }
    }

    /// Transposes frames `f0..f0 + BLOCK` of the five parts into frame-major rows.
    fn gather(&mut self, parts: &Frames, f0: usize) {
        let n = parts.frames;
        let m = BLOCK.min(n - f0);
        let sources = [&parts.lh, &parts.theta, &parts.ln, &parts.lr, &parts.phi];
        // In tiles of TILE bins, so the source rows being read and the destination rows being
        // written stay in the L1 cache.
        const TILE: usize = 16;
        for (p, src) in sources.into_iter().enumerate() {
            let dst = &mut self.block[p * BLOCK * BINS..(p + 1) * BLOCK * BINS];
            for b0 in (0..BINS).step_by(TILE) {
                let b1 = (b0 + TILE).min(BINS);
                for k in 0..m {
                    let out = &mut dst[k * BINS + b0..k * BINS + b1];
                    for (b, o) in (b0..b1).zip(out) {
                        *o = src[b * n + f0 + k];
                    }
                }
            }
        }
    }

    /// The spectrum of frame `f`: filtered pulses + shaped noise + the free-phase part.
    fn frame_spectrum(&mut self, f: usize, noise: &mut dyn NoiseSource) {
        // Analysis of the pulse train (nothing to transform where it is silent).
        let src = &self.padded[f * HOP..f * HOP + N_FFT];
        if src.iter().all(|&x| x == 0.0) {
            self.spectrum.fill(Complex32::default());
        } else {
            for ((x, &s), &w) in self.frame.iter_mut().zip(src).zip(&self.source_window) {
                *x = s * w;
            }
            self.forward
                .process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.scratch_fwd)
                .expect("FFT sizes are fixed");
        }
        noise.fill(&mut self.noise);
        let k = f % BLOCK;
        let row = |p: usize| (p * BLOCK + k) * BINS..(p * BLOCK + k + 1) * BINS;
        let block = &self.block;
        frame_coefficients(
            [
                &block[row(0)],
                &block[row(1)],
                &block[row(2)],
                &block[row(3)],
                &block[row(4)],
            ],
            &mut self.coef,
        );
        let (hr, rest) = self.coef.split_at(BINS);
        let (hi, rest) = rest.split_at(BINS);
        let (gain, rest) = rest.split_at(BINS);
        let (rr, ri) = rest.split_at(BINS);
        let noise = &self.noise[..2 * BINS];
        for (b, s) in self.spectrum.iter_mut().enumerate() {
            let (er, ei) = (s.re, s.im);
            s.re = er * hr[b] - ei * hi[b] + noise[2 * b] * gain[b] + rr[b];
            s.im = er * hi[b] + ei * hr[b] + noise[2 * b + 1] * gain[b] + ri[b];
        }
        // The inverse transform ignores the imaginary parts at DC and Nyquist.
        self.spectrum[0].im = 0.0;
        self.spectrum[BINS - 1].im = 0.0;
    }

    /// Inverse transform of the current spectrum, windowed into the accumulator at frame `f`.
    fn overlap_add(&mut self, f: usize) {
        self.inverse
            .process_with_scratch(&mut self.spectrum, &mut self.frame, &mut self.scratch_inv)
            .expect("FFT sizes are fixed");
        let out = &mut self.acc[f * HOP..f * HOP + N_FFT];
        for ((o, &x), &w) in out.iter_mut().zip(&self.frame).zip(&self.synth_window) {
            *o += x * w;
        }
    }

    /// Output samples `start..end`, normalized by the summed squared window, into `piece`.
    fn normalize(&mut self, start: usize, end: usize, frames: usize) {
        let pad = N_FFT / 2;
        self.piece.clear();
        let mut i = start + pad;
        while i < end + pad {
            let (block, offset) = (i / HOP, i % HOP);
            let len = (HOP - offset).min(end + pad - i);
            let src = &self.acc[i..i + len];
            if block + 1 >= OVERLAP && block < frames {
                // All four frames cover this hop.
                let inv = &self.inv_wsum[offset..offset + len];
                self.piece.extend(src.iter().zip(inv).map(|(x, w)| x * w));
            } else {
                for (j, &x) in src.iter().enumerate() {
                    let o = offset + j;
                    let wsum: f32 = (0..OVERLAP)
                        .filter(|&k| block >= k && block - k < frames)
                        .map(|k| self.window[k * HOP + o].powi(2))
                        .sum();
                    self.piece.push(x / wsum.max(1e-11));
                }
            }
            i += len;
        }
    }
}

/// Harmonic gain `exp(lh)·e^{iπ·tanh θ}`, noise gain `exp(ln)` and free part `exp(lr)·e^{iφ}`
/// of one frame, from its five parts (each `BINS` long) into `coef` (five planar rows).
#[inline]
fn frame_coefficients(parts: [&[f32]; PARTS], coef: &mut [f32]) {
    let [lh, theta, ln, lr, phi] = parts.map(|p| &p[..BINS]);
    let (hr, rest) = coef.split_at_mut(BINS);
    let (hi, rest) = rest.split_at_mut(BINS);
    let (gain, rest) = rest.split_at_mut(BINS);
    let (rr, ri) = rest.split_at_mut(BINS);
    let ri = &mut ri[..BINS];
    for b in 0..BINS {
        let mag = exp_capped(lh[b]);
        let (s, c) = fastmath::sin_cos_pi(std::f32::consts::PI * fastmath::tanh(theta[b]));
        hr[b] = mag * c;
        hi[b] = mag * s;
        gain[b] = exp_capped(ln[b]);
        let mag = exp_capped(lr[b]);
        let (s, c) = fastmath::sin_cos(phi[b]);
        rr[b] = mag * c;
        ri[b] = mag * s;
    }
}

/// The band-limited pulse train for `f0` (one value per frame, scaled by `pitch`) into `out`
/// (`f0.len()·HOP` long); `freq` and `phase` are scratch.
fn pulse_train(
    interp: &[f32],
    f0: &[f32],
    pitch: f32,
    freq: &mut Vec<f32>,
    phase: &mut Vec<f32>,
    out: &mut [f32],
) {
    let frames = f0.len();
    let at = |k: isize| f0[k.clamp(0, frames as isize - 1) as usize] * pitch;
    let half = HOP / 2;
    // F0 interpolated to the sample rate (linear, between frame centres).
    freq.clear();
    for k in 0..frames as isize {
        let (prev, cur, next) = (at(k - 1), at(k), at(k + 1));
        for (j, &u) in interp.iter().enumerate() {
            let (a, b) = if j < half { (prev, cur) } else { (cur, next) };
            freq.push(a * (1.0 - u) + b * u);
        }
    }
    // Phase: accumulated in f64 (in Hz·samples, as a cumulative sum), wrapped to [0, 2π).
    phase.clear();
    let mut acc = 0.0f64;
    for &f in freq.iter() {
        acc += f64::from(f.max(VOICED_MIN_HZ));
        let cycles = acc * (1.0 / SAMPLE_RATE_HZ as f64);
        phase.push(((cycles - cycles as i64 as f64) * TAU) as f32);
    }
    // Σ_{h=1..H} cos(h t) = sin((H + ½) t) / (2 sin(t/2)) − ½, zero where unvoiced.
    for ((o, &f), &t) in out.iter_mut().zip(freq.iter()).zip(phase.iter()) {
        let voiced = f > VOICED_MIN_HZ;
        let h = fastmath::floor_small(HARMONIC_MAX_HZ / f.max(VOICED_MIN_HZ)) + 0.5;
        let s = 2.0 * fastmath::sin_cos_pi(0.5 * t).0;
        let e = if s.abs() <= 2e-3 {
            h
        } else {
            fastmath::sin(h * t) / s
        };
        *o = if voiced { e - 0.5 } else { 0.0 };
    }
}

fn exp_capped(x: f32) -> f32 {
    fastmath::exp(x.min(LOG_MAG_CAP))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_noise_has_unit_variance() {
        let mut g = GaussianNoise::new(7);
        let mut v = vec![0.0; 200_000];
        g.fill(&mut v);
        let mean = v.iter().sum::<f32>() / v.len() as f32;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / v.len() as f32;
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((var - 1.0).abs() < 0.02, "{var}");
    }

    #[test]
    fn pulses_are_periodic_at_f0_and_silent_when_unvoiced() {
        let v = Vocoder::new();
        let p = v.pulses(&[200.0; 8], 1.0);
        assert_eq!(p.len(), 8 * HOP);
        // 200 Hz at 24 kHz: one pulse every 120 samples.
        let peaks: Vec<usize> = (1..p.len() - 1)
            .filter(|&i| p[i] > 20.0 && p[i] >= p[i - 1] && p[i] >= p[i + 1])
            .collect();
        let gaps: Vec<usize> = peaks.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|&g| g == 120), "{gaps:?}");
        let q = v.pulses(&[0.0; 4], 1.0);
        assert!(q.iter().all(|&x| x == 0.0));
    }

    /// Deterministic, speech-like parts: voiced in the middle, every branch active.
    fn test_parts(n: usize) -> Frames {
        let wave = |i: usize, k: f32| ((i as f32 * k).sin() * 3.0) - 2.0;
        Frames {
            frames: n,
            lh: (0..BINS * n).map(|i| wave(i, 0.37)).collect(),
            theta: (0..BINS * n).map(|i| wave(i, 0.11)).collect(),
            ln: (0..BINS * n).map(|i| wave(i, 0.23) - 3.0).collect(),
            lr: (0..BINS * n).map(|i| wave(i, 0.05) - 2.0).collect(),
            phi: (0..BINS * n).map(|i| wave(i, 0.71) * 4.0).collect(),
            f0: (0..n)
                .map(|f| {
                    if (n / 4..3 * n / 4).contains(&f) {
                        120.0 + f as f32
                    } else {
                        0.0
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn pieces_join_into_the_whole_waveform() {
        let parts = test_parts(37);
        let mut v = Vocoder::new();
        let whole = v.synthesize(&parts, 1.0, &mut GaussianNoise::new(3));
        assert_eq!(whole.len(), 37 * HOP);
        assert!(whole.iter().all(|x| x.is_finite()));
        for piece_samples in [1, 299, 300, 1000, 4800] {
            let mut joined = Vec::new();
            let mut sizes = Vec::new();
            let done = v.synthesize_pieces(
                &parts,
                1.0,
                &mut GaussianNoise::new(3),
                piece_samples,
                &mut |p| {
                    sizes.push(p.len());
                    joined.extend_from_slice(p);
                    true
                },
            );
            assert!(done);
            assert_eq!(joined, whole, "pieces of {piece_samples}");
            // The first piece is out after three frames (the centring pad is half an FFT).
            assert!(sizes[0] >= piece_samples.min(whole.len()) || sizes.len() == 1);
            assert!(sizes.len() > 1 || piece_samples >= whole.len() / 2);
        }
        // Stopping early synthesizes nothing more.
        let mut calls = 0;
        let done = v.synthesize_pieces(&parts, 1.0, &mut Silence, 300, &mut |_| {
            calls += 1;
            false
        });
        assert!(!done);
        assert_eq!(calls, 1);
        // Very short inputs (shorter than the analysis window) still come out whole.
        for n in 1..4 {
            let wav = v.synthesize(&test_parts(n), 1.0, &mut Silence);
            assert_eq!(wav.len(), n * HOP);
            assert!(wav.iter().all(|x| x.is_finite()));
        }
    }

    #[test]
    fn free_phase_branch_reconstructs_a_sinusoid() {
        // Only the free branch at bin 20 (400 Hz): the output should be a 400 Hz tone.
        let n = 40;
        let mut parts = Frames {
            frames: n,
            lh: vec![-30.0; BINS * n],
            theta: vec![0.0; BINS * n],
            ln: vec![-30.0; BINS * n],
            lr: vec![-30.0; BINS * n],
            phi: vec![0.0; BINS * n],
            f0: vec![0.0; n],
        };
        for f in 0..n {
            parts.lr[20 * n + f] = 0.0;
            // Keep the phase coherent from frame to frame: 400 Hz advances 2π·20/4 per hop.
            parts.phi[20 * n + f] =
                (f as f32 * std::f32::consts::PI * 10.0) % std::f32::consts::TAU;
        }
        let wav = Vocoder::new().synthesize(&parts, 1.0, &mut Silence);
        assert_eq!(wav.len(), n * HOP);
        let mid = &wav[HOP * 8..HOP * 32];
        let rms = (mid.iter().map(|x| x * x).sum::<f32>() / mid.len() as f32).sqrt();
        assert!(rms > 1e-4, "{rms}");
        let crossings = mid.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
        // 24 hops = 0.3 s of 400 Hz: 120 periods.
        assert!((118..=122).contains(&crossings), "{crossings}");
    }
}
