//! Streaming resampling for live audio: feed blocks of any size, get output as it becomes
//! available. rubato's synchronous FFT resampler (anti-aliased; the polynomial one leaks
//! aliases when downsampling, see FACTS). One-shot file resampling lives in [`super::wav`].
//!
//! The resampler's own delay is trimmed from the start of the output, so output sample `k`
//! lines up with input time `k / to_hz`: timing stamps stay exact across the rate change.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

use super::wav::ResampleError;

/// Input frames per FFT block: 10 ms at the usual device rates (48 kHz -> 480).
fn chunk_for(from_hz: u32) -> usize {
    (from_hz as usize / 100).max(16)
}

/// A mono streaming resampler. Same rate in and out: a plain copy.
pub struct StreamResampler {
    from_hz: u32,
    to_hz: u32,
    inner: Option<Fft<f32>>,
    pending: Vec<f32>,
    scratch: Vec<f32>,
    /// Output samples still to drop (the resampler's start-up delay).
    trim: usize,
    /// Total output samples produced (after trimming).
    produced: u64,
    /// Total input samples pushed.
    consumed: u64,
}

impl std::fmt::Debug for StreamResampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamResampler")
            .field("from_hz", &self.from_hz)
            .field("to_hz", &self.to_hz)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl StreamResampler {
    pub fn new(from_hz: u32, to_hz: u32) -> Result<StreamResampler, ResampleError> {
        let err = |message: String| ResampleError {
            from_hz,
            to_hz,
            message,
        };
        if from_hz == 0 || to_hz == 0 {
            return Err(err("rates must be positive".into()));
        }
        let (inner, trim, scratch) = if from_hz == to_hz {
            (None, 0, Vec::new())
        } else {
            let r = Fft::<f32>::new(
                from_hz as usize,
                to_hz as usize,
                chunk_for(from_hz),
                1,
                FixedSync::Input,
            )
            .map_err(|e| err(e.to_string()))?;
            let trim = r.output_delay();
            let scratch = vec![0.0; r.output_frames_max()];
            (Some(r), trim, scratch)
        };
        Ok(StreamResampler {
            from_hz,
            to_hz,
            inner,
            pending: Vec::with_capacity(chunk_for(from_hz) * 4),
            scratch,
            trim,
            produced: 0,
            consumed: 0,
        })
    }

    pub fn from_hz(&self) -> u32 {
        self.from_hz
    }

    pub fn to_hz(&self) -> u32 {
        self.to_hz
    }

    /// Output samples produced so far.
    pub fn produced(&self) -> u64 {
        self.produced
    }

    /// Resamples `input` and appends whatever output is ready to `out`; returns how many
    /// samples were appended. Input that does not fill a block waits for the next call.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) -> usize {
        self.consumed += input.len() as u64;
        let n = self.process(input, out);
        self.produced += n as u64;
        n
    }

    /// Pushes silence through until every input sample pushed so far has come out (end of a
    /// file or utterance); returns the samples appended.
    pub fn flush(&mut self, out: &mut Vec<f32>) -> usize {
        let Some(block) = self.inner.as_ref().map(|r| r.input_frames_next()) else {
            return 0;
        };
        let want_total = (self.consumed * u64::from(self.to_hz)).div_ceil(u64::from(self.from_hz));
        let zeros = vec![0.0; block];
        let mut tmp = Vec::new();
        let mut rounds = 0;
        while self.produced + (tmp.len() as u64) < want_total && rounds < 1_000 {
            self.process(&zeros, &mut tmp);
            rounds += 1;
        }
        let n = (want_total.saturating_sub(self.produced) as usize).min(tmp.len());
        out.extend_from_slice(&tmp[..n]);
        self.produced += n as u64;
        self.pending.clear();
        n
    }

    fn process(&mut self, input: &[f32], out: &mut Vec<f32>) -> usize {
        let before = out.len();
        let Some(r) = self.inner.as_mut() else {
            out.extend_from_slice(input);
            return input.len();
        };
        self.pending.extend_from_slice(input);
        let mut used = 0;
        loop {
            let need = r.input_frames_next();
            if self.pending.len() - used < need {
                break;
            }
            let block = &self.pending[used..used + need];
            let n_out = r.output_frames_next();
            let (Ok(inp), Ok(mut outp)) = (
                InterleavedSlice::new(block, 1, need),
                InterleavedSlice::new_mut(&mut self.scratch[..n_out], 1, n_out),
            ) else {
                break;
            };
            let Ok((_, produced)) = r.process_into_buffer(&inp, &mut outp, None) else {
                break;
            };
            used += need;
            let skip = self.trim.min(produced);
            self.trim -= skip;
            out.extend_from_slice(&self.scratch[skip..produced]);
        }
        self.pending.drain(..used);
        out.len() - before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, f: f32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * f * i as f32 / rate as f32).sin())
            .collect()
    }

    #[test]
    fn streaming_matches_length_and_phase() {
        let x = sine(48_000, 440.0, 48_000);
        let mut r = StreamResampler::new(48_000, 16_000).unwrap();
        let mut out = Vec::new();
        // Odd block sizes, as callbacks deliver them.
        for block in x.chunks(333) {
            r.push(block, &mut out);
        }
        r.flush(&mut out);
        assert_eq!(out.len(), 16_000);
        // Sample k at 16 kHz lines up with k*3 at 48 kHz (the delay was trimmed).
        let expect = sine(16_000, 440.0, 16_000);
        let err = out[1_000..15_000]
            .iter()
            .zip(&expect[1_000..15_000])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(err < 0.01, "max error {err}");
    }

    #[test]
    fn upsamples_speech_rate_to_device_rate() {
        let x = sine(24_000, 300.0, 24_000);
        let mut r = StreamResampler::new(24_000, 48_000).unwrap();
        let mut out = Vec::new();
        r.push(&x, &mut out);
        r.flush(&mut out);
        assert_eq!(out.len(), 48_000);
        let expect = sine(48_000, 300.0, 48_000);
        let err = out[2_000..46_000]
            .iter()
            .zip(&expect[2_000..46_000])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(err < 0.01, "max error {err}");
    }

    #[test]
    fn same_rate_is_a_copy() {
        let mut r = StreamResampler::new(16_000, 16_000).unwrap();
        let mut out = Vec::new();
        assert_eq!(r.push(&[0.1, 0.2], &mut out), 2);
        assert_eq!(out, vec![0.1, 0.2]);
    }
}
