//! The host-side vocoder: hibari's network predicts five spectral parts per 12.5 ms frame and
//! an F0 curve; this turns them into a 24 kHz waveform.
//!
//! For every frame and bin the spectrum is
//! `S = exp(lh)·e^{iπ·tanh θ}·E + exp(ln)·Z + exp(lr)·e^{iφ}` (each log magnitude capped at 7),
//! where `E` is the STFT of a band-limited pulse train that follows F0 and `Z` is complex
//! Gaussian noise. The waveform is the inverse STFT of `S` (periodic Hann, 1200 points, hop 300,
//! centred frames, length `frames·300`).

use std::f64::consts::TAU;
use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

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

/// A small, fast, seedable Gaussian generator (xoshiro256+ and the polar method).
#[derive(Debug, Clone)]
pub struct GaussianNoise {
    s: [u64; 4],
    spare: Option<f32>,
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
            spare: None,
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

    /// Uniform in (-1, 1).
    fn uniform(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32).mul_add(2.0, -1.0)
    }

    fn sample(&mut self) -> f32 {
        if let Some(v) = self.spare.take() {
            return v;
        }
        loop {
            let u = self.uniform();
            let v = self.uniform();
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let k = (-2.0 * s.ln() / s).sqrt();
                self.spare = Some(v * k);
                return u * k;
            }
        }
    }
}

impl NoiseSource for GaussianNoise {
    fn fill(&mut self, out: &mut [f32]) {
        for x in out {
            *x = self.sample();
        }
    }
}

/// Reusable vocoder state: FFT plans, windows and scratch buffers.
pub struct Vocoder {
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
    /// Periodic Hann window.
    window: Vec<f32>,
    /// The analysis window for the pulse train, scaled so a unit cosine has magnitude 1.
    source_window: Vec<f32>,
    /// Interpolation weight of the next frame for each sample position within a hop.
    interp: Vec<f32>,
    frame: Vec<f32>,
    spectrum: Vec<Complex32>,
    scratch_fwd: Vec<Complex32>,
    scratch_inv: Vec<Complex32>,
    noise: Vec<f32>,
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
            interp,
            frame: vec![0.0; N_FFT],
            spectrum: vec![Complex32::default(); BINS],
            noise: vec![0.0; 2 * BINS],
        }
    }

    /// The band-limited pulse train for an F0 curve (one value per frame), `frames·HOP` long.
    /// `pitch` scales F0 (1.0 = as predicted).
    pub fn pulses(&self, f0: &[f32], pitch: f32) -> Vec<f32> {
        let frames = f0.len();
        let at = |k: isize| f0[k.clamp(0, frames as isize - 1) as usize] * pitch;
        let mut out = Vec::with_capacity(frames * HOP);
        let mut phase = 0.0f64;
        let half = HOP / 2;
        for k in 0..frames as isize {
            for j in 0..HOP {
                let u = self.interp[j];
                let (a, b) = if j < half {
                    (at(k - 1), at(k))
                } else {
                    (at(k), at(k + 1))
                };
                let f = a * (1.0 - u) + b * u;
                let voiced = f > VOICED_MIN_HZ;
                let f = f.max(VOICED_MIN_HZ);
                // Phase accumulates in f64 and wraps to [0, 2π).
                phase += f as f64;
                let t = ((phase * (1.0 / SAMPLE_RATE_HZ as f64)).fract() * TAU) as f32;
                if !voiced {
                    out.push(0.0);
                    continue;
                }
                // Σ_{h=1..H} cos(h t) = sin((H + ½) t) / (2 sin(t/2)) − ½
                let h = (HARMONIC_MAX_HZ / f).floor() + 0.5;
                let s = 2.0 * (0.5 * t).sin();
                let e = if s.abs() <= 2e-3 {
                    h
                } else {
                    (h * t).sin() / s
                };
                out.push(e - 0.5);
            }
        }
        out
    }

    /// The waveform for one utterance.
    pub fn synthesize(
        &mut self,
        parts: &Frames,
        pitch: f32,
        noise: &mut dyn NoiseSource,
    ) -> Vec<f32> {
        let n = parts.frames;
        if n == 0 {
            return Vec::new();
        }
        let pulses = self.pulses(&parts.f0, pitch);
        let pad = N_FFT / 2;
        let total = n * HOP;
        // Reflect-padded sample of the pulse train (the edge sample is not repeated).
        let padded = |i: usize| -> f32 {
            let i = i as isize - pad as isize;
            let last = total as isize - 1;
            let j = if i < 0 {
                -i
            } else if i > last {
                2 * last - i
            } else {
                i
            };
            pulses[j.clamp(0, last) as usize]
        };
        let mut acc = vec![0.0f32; (n + OVERLAP - 1) * HOP];
        for f in 0..n {
            // Analysis of the pulse train.
            for (i, (x, w)) in self.frame.iter_mut().zip(&self.source_window).enumerate() {
                *x = padded(f * HOP + i) * w;
            }
            self.forward
                .process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.scratch_fwd)
                .expect("FFT sizes are fixed");
            noise.fill(&mut self.noise);
            for (b, s) in self.spectrum.iter_mut().enumerate() {
                let idx = b * n + f;
                let rot = std::f32::consts::PI * parts.theta[idx].tanh();
                let harmonic = Complex32::new(rot.cos(), rot.sin()) * exp_capped(parts.lh[idx]);
                let shaped = exp_capped(parts.ln[idx]);
                let z = Complex32::new(self.noise[2 * b], self.noise[2 * b + 1]) * shaped;
                let phi = parts.phi[idx];
                let free = Complex32::new(phi.cos(), phi.sin()) * exp_capped(parts.lr[idx]);
                *s = *s * harmonic + z + free;
            }
            // The inverse transform ignores the imaginary parts at DC and Nyquist.
            self.spectrum[0].im = 0.0;
            self.spectrum[BINS - 1].im = 0.0;
            self.inverse
                .process_with_scratch(&mut self.spectrum, &mut self.frame, &mut self.scratch_inv)
                .expect("FFT sizes are fixed");
            let out = &mut acc[f * HOP..f * HOP + N_FFT];
            for ((o, x), w) in out.iter_mut().zip(&self.frame).zip(&self.window) {
                *o += x * w / N_FFT as f32;
            }
        }
        // Normalise by the summed squared window and drop the centring pad.
        let mut wav = Vec::with_capacity(total);
        for (i, &sample) in acc.iter().enumerate().skip(pad).take(total) {
            let frame = i / HOP;
            let offset = i % HOP;
            let mut wsum = 0.0f32;
            for k in 0..OVERLAP {
                // Frames frame-k (k hops before) cover sample i at window position k·HOP+offset.
                if frame >= k && frame - k < n {
                    let w = self.window[k * HOP + offset];
                    wsum += w * w;
                }
            }
            wav.push(sample / wsum.max(1e-11));
        }
        wav
    }
}

fn exp_capped(x: f32) -> f32 {
    x.min(LOG_MAG_CAP).exp()
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
