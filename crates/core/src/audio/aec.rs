//! Echo cancellation: the pure-Rust port of WebRTC's AEC3 (`aec3` crate), at 16 kHz mono in
//! 10 ms frames. The far end ("render") is what we played; the near end ("capture") is the
//! microphone. Render frames must reach the canceller no later than the capture frames that
//! contain their echo; AEC3 estimates the remaining delay itself (up to ~0.5 s).

use aec3::api::EchoCanceller3Config;
use aec3::api::control::EchoControl;
use aec3::audio_processing::aec3::echo_canceller3::EchoCanceller3;
use aec3::audio_processing::audio_buffer::AudioBuffer;
use aec3::audio_processing::stream_config::StreamConfig;

/// The rate the echo canceller runs at.
pub const AEC_RATE_HZ: u32 = 16_000;
/// Samples per 10 ms frame at [`AEC_RATE_HZ`].
pub const AEC_FRAME: usize = 160;
/// AEC3 returns its capture output this many samples late (it works in 64-sample blocks
/// inside 160-sample frames): 8 ms at 16 kHz.
pub const AEC_DELAY_SAMPLES: usize = 128;
/// AEC3's linear output comes out one 64-sample block earlier than its capture output; the
/// canceller holds it back by this much so that both line up (measured: correlation 1.000 at
/// this shift, 0.05 without it).
const LINEAR_LEAD_SAMPLES: usize = 64;

/// What the canceller reports about itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct AecMetrics {
    /// Echo return loss (the acoustic path's attenuation), dB.
    pub erl_db: f64,
    /// Echo return loss enhancement (what the canceller removes), dB.
    pub erle_db: f64,
    /// Estimated delay between render and its echo in the capture, ms.
    pub delay_ms: i32,
}

/// AEC3's defaults with two changes for a loudspeaker *or* headphones, measured with `tandem aec`
/// on our voice over our voice and over LibriVox readers (docs/architecture.md, "Echo"):
///
/// * The hidden-Markov "transparent mode" classifier: when no echo path shows up (headphones,
///   a muted speaker), the suppressor stops treating the user's voice as echo after about
///   2 s of playback instead of 6 s. With the default classifier a user cutting in 2.5 s
///   into an answer on headphones lost 7-42 dB of voice, enough for the VAD to miss all of
///   it; with this one 0.2-2.3 dB. With an echo path the output is identical.
/// * A lower echo-path gain assumed before the linear filter has converged (0.3 instead of
///   1.0): a cut-in in the first second of the session's first answer loses 5-11 dB instead
///   of 13-22 dB; a real echo in that first half second is still suppressed by ~25 dB (55 dB
///   with the default) until the filter converges.
///
/// The linear filter keeps AEC3's length (13 blocks of 4 ms: 52 ms of echo path after the
/// estimated delay). Longer filters model a room's reverberation better offline (on the room
/// set, `sim::room`, 256 ms raised the worst room from 23.2 to 30.5 dB ERLE and the user's voice
/// during double talk from 0.65 to 0.95 correlation), but live on the rig our own voice then
/// set off the voice detector after a minute or so at -10 dB echo: 67 times in 20 rounds with
/// 256 ms, 17 in 8 with 128 ms, 5 in 20 with 80 ms, none with 52 ms (BENCHMARKS.md).
/// Found on 2026-12-05 (`wandering_delay_experiment` in the tests): a long filter leaks when the
/// echo's delay moves (two clocks apart, a loopback that resamples), and AEC3's
/// `leakage_diverged` at 10 instead of 0.05 makes it re-converge fast enough to stay at the short
/// filter's residual offline. That config reaches the room bar in all 36 rooms, but grown from
/// AEC3's 48 ms start filter (its first 2.5 s) it is bimodal on the rig's reverberant room: most
/// tries 45-56 dB, one in three to six 21-31 dB with our voice on the voice detector in a fifth
/// to a third of the frames. At full length from the first block (no start state) the rig gave
/// 37-60 dB in 10 of 10 tries, but it converges slowly from nothing: 10.3 dB of echo removed
/// between 1 s and 2.5 s (`listening::echo_canceller_keeps_a_cut_in_on_headphones`, bar 25), and
/// live our voice got through once in a session's first answer. So it is not shipped.
/// AEC3's delay hysteresis (4 blocks instead of 1: a delay that grows a little keeps the
/// filter's alignment) cut the loud residual after delay jumps offline (11 -> 2 windows above
/// -50 dBFS); its rig failures were the rig's loopback (since mended), and its live effect is
/// unmeasured, so it is not shipped (BENCHMARKS.md, 2026-12-06).
pub fn tandem_config() -> EchoCanceller3Config {
    let mut config = EchoCanceller3Config::default();
    config.transparent_mode.use_hmm = true;
    config.ep_strength.default_gain = 0.3;
    config
}

/// A 16 kHz mono AEC3 instance.
pub struct EchoCanceller {
    aec: EchoCanceller3,
    render: AudioBuffer,
    capture: AudioBuffer,
    /// The linear filter's output (echo subtracted, nothing suppressed) of the last frame.
    linear: AudioBuffer,
    /// The last [`LINEAR_LEAD_SAMPLES`] of linear output, held back to align it.
    linear_carry: [f32; LINEAR_LEAD_SAMPLES],
    config: StreamConfig,
    render_frames: u64,
    capture_frames: u64,
}

impl std::fmt::Debug for EchoCanceller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EchoCanceller")
            .field("render_frames", &self.render_frames)
            .field("capture_frames", &self.capture_frames)
            .finish()
    }
}

impl Default for EchoCanceller {
    fn default() -> Self {
        Self::new()
    }
}

impl EchoCanceller {
    pub fn new() -> EchoCanceller {
        Self::with_config(tandem_config())
    }

    /// An instance with AEC3's own defaults, for comparisons.
    pub fn aec3_defaults() -> EchoCanceller {
        Self::with_config(EchoCanceller3Config::default())
    }

    /// An instance with another configuration.
    ///
    /// The linear filter's output is always exported (see [`Self::process_capture`]).
    pub fn with_config(mut config: EchoCanceller3Config) -> EchoCanceller {
        config.filter.export_linear_aec_output = true;
        let rate = AEC_RATE_HZ as usize;
        let buffer = || AudioBuffer::from_sample_rates(rate, 1, rate, 1, rate);
        EchoCanceller {
            aec: EchoCanceller3::new(config, AEC_RATE_HZ as i32, 1, 1),
            render: buffer(),
            capture: buffer(),
            linear: buffer(),
            linear_carry: [0.0; LINEAR_LEAD_SAMPLES],
            config: StreamConfig::new(rate, 1, false),
            render_frames: 0,
            capture_frames: 0,
        }
    }

    /// Feeds one 10 ms frame (160 samples) of what was played.
    pub fn analyze_render(&mut self, far: &[f32]) {
        debug_assert_eq!(far.len(), AEC_FRAME);
        self.render.copy_from(&[far], &self.config);
        self.aec.analyze_render(&mut self.render);
        self.render_frames += 1;
    }

    /// Cancels the echo in one 10 ms microphone frame (160 samples) into `out`.
    pub fn process_capture(&mut self, near: &[f32], out: &mut [f32]) {
        let mut linear = [0.0f32; AEC_FRAME];
        self.process_capture_linear(near, out, &mut linear);
    }

    /// As [`Self::process_capture`], and the linear filter's output into `linear`: the
    /// microphone with the estimated echo subtracted but nothing suppressed. During double
    /// talk AEC3's suppressor takes the user's voice down with the residual echo (10-20 dB);
    /// the linear output keeps the user's level, with the echo still down by the filter's
    /// ERLE once it has converged. Both come out aligned, [`AEC_DELAY_SAMPLES`] late.
    pub fn process_capture_linear(&mut self, near: &[f32], out: &mut [f32], linear: &mut [f32]) {
        debug_assert_eq!(near.len(), AEC_FRAME);
        self.capture.copy_from(&[near], &self.config);
        self.aec.analyze_capture(&mut self.capture);
        self.aec
            .process_capture_with_linear_output(&mut self.capture, &mut self.linear, false);
        let mut dest = [&mut out[..AEC_FRAME]];
        self.capture.copy_to_stream(&self.config, &mut dest);
        let mut fresh = [0.0f32; AEC_FRAME];
        self.linear
            .copy_to_stream(&self.config, &mut [&mut fresh[..]]);
        let keep = AEC_FRAME - LINEAR_LEAD_SAMPLES;
        linear[..LINEAR_LEAD_SAMPLES].copy_from_slice(&self.linear_carry);
        linear[LINEAR_LEAD_SAMPLES..AEC_FRAME].copy_from_slice(&fresh[..keep]);
        self.linear_carry.copy_from_slice(&fresh[keep..]);
        self.capture_frames += 1;
    }

    pub fn metrics(&self) -> AecMetrics {
        let m = self.aec.metrics();
        AecMetrics {
            erl_db: m.echo_return_loss,
            erle_db: m.echo_return_loss_enhancement,
            delay_ms: m.delay_ms,
        }
    }
}

/// Runs the canceller over whole 16 kHz signals that share one timeline (sample `i` of `far`
/// was played when sample `i` of `near` was recorded). The output has `near`'s length and is
/// aligned with it (AEC3's block delay is removed).
pub fn cancel(far: &[f32], near: &[f32]) -> (Vec<f32>, AecMetrics) {
    cancel_with(EchoCanceller::new(), far, near)
}

/// [`cancel`] with a given canceller.
pub fn cancel_with(aec: EchoCanceller, far: &[f32], near: &[f32]) -> (Vec<f32>, AecMetrics) {
    let (out, _, metrics) = cancel_with_linear(aec, far, near);
    (out, metrics)
}

/// [`cancel_with`], also returning the linear filter's output (see
/// [`EchoCanceller::process_capture_linear`]), both aligned with `near`.
pub fn cancel_with_linear(
    mut aec: EchoCanceller,
    far: &[f32],
    near: &[f32],
) -> (Vec<f32>, Vec<f32>, AecMetrics) {
    let total = near.len() + AEC_DELAY_SAMPLES;
    let mut out = Vec::with_capacity(total + AEC_FRAME);
    let mut linear = Vec::with_capacity(total + AEC_FRAME);
    let mut far_frame = [0.0f32; AEC_FRAME];
    let mut near_frame = [0.0f32; AEC_FRAME];
    let mut out_frame = [0.0f32; AEC_FRAME];
    let mut linear_frame = [0.0f32; AEC_FRAME];
    let mut at = 0;
    while at < total {
        fill(&mut far_frame, far, at);
        fill(&mut near_frame, near, at);
        aec.analyze_render(&far_frame);
        aec.process_capture_linear(&near_frame, &mut out_frame, &mut linear_frame);
        out.extend_from_slice(&out_frame);
        linear.extend_from_slice(&linear_frame);
        at += AEC_FRAME;
    }
    for x in [&mut out, &mut linear] {
        x.drain(..AEC_DELAY_SAMPLES);
        x.truncate(near.len());
    }
    (out, linear, aec.metrics())
}

/// Copies `src[at..at + frame.len()]` into `frame`, zero-padding past the end.
fn fill(frame: &mut [f32], src: &[f32], at: usize) {
    let n = src.len().saturating_sub(at).min(frame.len());
    if n > 0 {
        frame[..n].copy_from_slice(&src[at..at + n]);
    }
    frame[n..].fill(0.0);
}

/// Echo return loss enhancement over `range` (in samples): power of the echo in `near` over
/// the power left in `out`, in dB.
pub fn erle_db(near: &[f32], out: &[f32]) -> f64 {
    let p = |x: &[f32]| x.iter().map(|s| f64::from(*s) * f64::from(*s)).sum::<f64>() + 1e-12;
    10.0 * (p(near) / p(out)).log10()
}

/// Pearson correlation of two equally long signals.
pub fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return 0.0;
    }
    let mean = |x: &[f32]| x[..n].iter().map(|s| f64::from(*s)).sum::<f64>() / n as f64;
    let (ma, mb) = (mean(a), mean(b));
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (x, y) = (f64::from(a[i]) - ma, f64::from(b[i]) - mb);
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    sab / (saa * sbb).sqrt().max(1e-12)
}

#[cfg(test)]
#[path = "aec_tests.rs"]
pub(crate) mod tests;
