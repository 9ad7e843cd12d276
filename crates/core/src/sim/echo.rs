//! A linear echo path, the simplest stand-in for a room: the speaker's signal arrives at the
//! microphone after `delay_ms`, `gain_db` louder or quieter, smeared by an exponentially
//! decaying reverb tail of `tail_ms` (-60 dB at its end). Deterministic (seeded).

/// Parameters of a synthetic echo path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EchoPath {
    pub delay_ms: f32,
    pub gain_db: f32,
    pub tail_ms: f32,
    pub seed: u64,
}

impl Default for EchoPath {
    /// The acceptance path: 30 ms delay, -6 dB, 80 ms reverb tail.
    fn default() -> Self {
        EchoPath {
            delay_ms: 30.0,
            gain_db: -6.0,
            tail_ms: 80.0,
            seed: 7,
        }
    }
}

impl EchoPath {
    /// The impulse response at `rate_hz`.
    pub fn impulse_response(&self, rate_hz: u32) -> Vec<f32> {
        let per_ms = rate_hz as f32 / 1000.0;
        let delay = (self.delay_ms * per_ms).round() as usize;
        let tail = (self.tail_ms * per_ms).round() as usize;
        let g = 10f32.powf(self.gain_db / 20.0);
        let mut h = vec![0.0f32; delay + tail + 1];
        h[delay] = g;
        let mut rng = XorShift::new(self.seed);
        for n in 1..=tail {
            let r = rng.unit();
            let decay = (-6.9 * n as f32 / tail.max(1) as f32).exp();
            h[delay + n] = g * 0.3 * (2.0 * r - 1.0) * decay;
        }
        h
    }

    /// The echo of a whole signal (same length as `x`).
    pub fn apply(&self, x: &[f32], rate_hz: u32) -> Vec<f32> {
        let mut f = EchoFilter::new(self, rate_hz);
        let mut y = Vec::with_capacity(x.len());
        f.process(x, &mut y);
        y
    }
}

/// xorshift64*: a small, reproducible noise source.
pub(crate) struct XorShift(u64);

impl XorShift {
    pub(crate) fn new(seed: u64) -> XorShift {
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// A streaming FIR filter over an impulse response (an [`EchoPath`]'s or a room's).
#[derive(Debug, Clone)]
pub struct EchoFilter {
    /// Non-zero taps: (lag, weight).
    taps: Vec<(usize, f32)>,
    /// The last `max_lag + 1` inputs, circular.
    history: Vec<f32>,
    pos: usize,
}

impl EchoFilter {
    pub fn new(path: &EchoPath, rate_hz: u32) -> EchoFilter {
        Self::from_impulse_response(&path.impulse_response(rate_hz))
    }

    /// A filter over any impulse response; only its non-zero taps cost time.
    pub fn from_impulse_response(h: &[f32]) -> EchoFilter {
        let taps: Vec<(usize, f32)> = h
            .iter()
            .enumerate()
            .filter(|(_, w)| **w != 0.0)
            .map(|(i, w)| (i, *w))
            .collect();
        EchoFilter {
            taps,
            history: vec![0.0; h.len()],
            pos: 0,
        }
    }

    /// Filters `x`, appending one output per input to `out`.
    pub fn process(&mut self, x: &[f32], out: &mut Vec<f32>) {
        let n = self.history.len();
        for &s in x {
            self.history[self.pos] = s;
            let mut acc = 0.0f32;
            for &(lag, w) in &self.taps {
                acc += w * self.history[(self.pos + n - lag) % n];
            }
            out.push(acc);
            self.pos = (self.pos + 1) % n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impulse_arrives_after_the_delay_at_the_gain() {
        let p = EchoPath::default();
        let mut x = vec![0.0; 4_000];
        x[100] = 1.0;
        let y = p.apply(&x, 16_000);
        assert_eq!(y.len(), x.len());
        assert!(y[..580].iter().all(|s| *s == 0.0));
        assert!((y[580] - 0.501).abs() < 0.001, "{}", y[580]);
        assert!(
            y[600..1_860].iter().any(|s| s.abs() > 0.01),
            "a tail follows"
        );
        assert!(y[1_862..].iter().all(|s| *s == 0.0), "and ends after 80 ms");
        assert_eq!(p.apply(&x, 16_000), y, "deterministic");
    }
}
