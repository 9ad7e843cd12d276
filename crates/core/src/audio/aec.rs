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

/// The quick start: AEC3's defaults with two changes for a loudspeaker *or* headphones, measured
/// with `tandem aec` on our voice over our voice and over LibriVox readers (docs/architecture.md,
/// "Echo"):
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
/// Its linear filter keeps AEC3's length (13 blocks of 4 ms: 52 ms of echo path after the
/// estimated delay) and AEC3's start state (a 48 ms filter for the first 2.5 s): it converges
/// within about a second of our voice, but cannot model a room's reverberation (on the room
/// set, `sim::room`, the worst rooms keep 23.2 dB ERLE and the user's voice during double talk
/// at 0.65 correlation). [`EchoCanceller::new`] starts with it and hands over to
/// [`room_config`]'s filter once that one cancels more.
pub fn start_config() -> EchoCanceller3Config {
    let mut config = EchoCanceller3Config::default();
    config.transparent_mode.use_hmm = true;
    config.ep_strength.default_gain = 0.3;
    config
}

/// The room filter: [`start_config`] with a linear filter of 256 ms ([`ROOM_FILTER_BLOCKS`])
/// at full length from the first block (no start state), re-converging fast when the echo path
/// moves ([`ROOM_LEAKAGE_DIVERGED`]). It models a room's reverberation: every room of the set
/// keeps >= 30 dB ERLE and the user's voice during double talk (worst 38.3 dB / 34.4 dB after
/// double talk / 0.91). With AEC3's default leakage it leaked our voice whenever the echo's delay
/// moved (two clocks apart, a loopback that resamples; `wandering_delay_experiment`); grown
/// from AEC3's short start filter it was bimodal on the rig's reverberant room (one try in
/// three to six stuck at 21-31 dB with our voice on the voice detector); at full length from
/// the start the rig gave 37-60 dB in 10 of 10 tries. Alone it converges slowly from nothing
/// (10.3 dB of a loudspeaker echo removed in its first 2.5 s), which is why the quick start
/// speaks for it until it has caught up (BENCHMARKS.md, "A quick start that hands over").
pub fn room_config() -> EchoCanceller3Config {
    let mut config = start_config();
    config.filter.main.length_blocks = ROOM_FILTER_BLOCKS;
    config.filter.shadow.length_blocks = ROOM_FILTER_BLOCKS;
    config.filter.main_initial.length_blocks = ROOM_FILTER_BLOCKS;
    config.filter.shadow_initial.length_blocks = ROOM_FILTER_BLOCKS;
    config.filter.main.leakage_diverged = ROOM_LEAKAGE_DIVERGED;
    config.filter.initial_state_seconds = 0.0;
    config
}

/// The room filter's length in 4 ms blocks: 256 ms of echo path after the estimated delay.
pub const ROOM_FILTER_BLOCKS: usize = 64;
/// How fast the room filter's step size grows while it is diverged (AEC3's default is 0.05).
const ROOM_LEAKAGE_DIVERGED: f32 = 10.0;

/// Frames (10 ms) in one window of the handover's comparison.
const HANDOVER_WINDOW_FRAMES: u32 = 50;
/// Windows in a row in which the room filter must cancel more than the quick start.
const HANDOVER_WINDOWS: u32 = 2;
/// The room filter's linear residual must be this much below the quick start's (0.5 dB).
const HANDOVER_MARGIN: f64 = 1.122;
/// A window is compared only when the microphone heard something (mean square above -70 dBFS).
/// Double talk needs no guard of its own: the user's voice is in both residuals alike, so the
/// room filter is ahead only if it removes more of the echo.
const MIC_HEARD: f64 = 1e-7;
/// A far-end frame counts as our voice playing above this mean square (-60 dBFS).
const FAR_ACTIVE: f32 = 1e-6;
/// Windows with our voice playing after which the room filter is dropped if it never caught
/// up (10 s): the quick start goes on alone, as with no room to model (a pure delay,
/// headphones). Until then both instances run: the DSP thread's share of a core went from 2.7
/// to 3.7 % over 20 rig rounds when this was 30 s (the rig's loopback is a pure delay).
const GIVE_UP_WINDOWS: u32 = 20;

/// One AEC3 instance with its buffers, 16 kHz mono.
struct Aec3 {
    aec: EchoCanceller3,
    render: AudioBuffer,
    capture: AudioBuffer,
    /// The linear filter's output (echo subtracted, nothing suppressed) of the last frame.
    linear: AudioBuffer,
    /// The last [`LINEAR_LEAD_SAMPLES`] of linear output, held back to align it.
    linear_carry: [f32; LINEAR_LEAD_SAMPLES],
    config: StreamConfig,
}

impl Aec3 {
    fn new(mut config: EchoCanceller3Config) -> Aec3 {
        config.filter.export_linear_aec_output = true;
        let rate = AEC_RATE_HZ as usize;
        let buffer = || AudioBuffer::from_sample_rates(rate, 1, rate, 1, rate);
        Aec3 {
            aec: EchoCanceller3::new(config, AEC_RATE_HZ as i32, 1, 1),
            render: buffer(),
            capture: buffer(),
            linear: buffer(),
            linear_carry: [0.0; LINEAR_LEAD_SAMPLES],
            config: StreamConfig::new(rate, 1, false),
        }
    }

    fn render(&mut self, far: &[f32]) {
        self.render.copy_from(&[far], &self.config);
        self.aec.analyze_render(&mut self.render);
    }

    fn capture(&mut self, near: &[f32], out: &mut [f32], linear: &mut [f32]) {
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
    }

    fn metrics(&self) -> AecMetrics {
        let m = self.aec.metrics();
        AecMetrics {
            erl_db: m.echo_return_loss,
            erle_db: m.echo_return_loss_enhancement,
            delay_ms: m.delay_ms,
        }
    }
}

/// The quick start while the room filter converges beside it, and their running comparison.
struct QuickStart {
    aec: Aec3,
    /// Energies over the current window: the microphone, the quick start's linear residual,
    /// the room filter's.
    mic: f64,
    start: f64,
    room: f64,
    frames: u32,
    far_frames: u32,
    /// Windows in a row in which the room filter cancelled more.
    better: u32,
    /// Windows with our voice playing so far.
    far_windows: u32,
}

/// What the comparison decided after a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handover {
    Wait,
    /// The room filter cancels more: it speaks from now on.
    Room,
    /// It never caught up: the quick start goes on alone.
    GiveUp,
}

impl QuickStart {
    fn new() -> QuickStart {
        QuickStart {
            aec: Aec3::new(start_config()),
            mic: 0.0,
            start: 0.0,
            room: 0.0,
            frames: 0,
            far_frames: 0,
            better: 0,
            far_windows: 0,
        }
    }

    /// Adds one frame: the microphone, both linear outputs, whether our voice was playing.
    fn observe(&mut self, near: &[f32], start: &[f32], room: &[f32], far_active: bool) -> Handover {
        self.mic += sum_squares(near);
        self.start += sum_squares(start);
        self.room += sum_squares(room);
        self.frames += 1;
        self.far_frames += u32::from(far_active);
        if self.frames < HANDOVER_WINDOW_FRAMES {
            return Handover::Wait;
        }
        let playing = self.far_frames * 2 >= self.frames;
        let heard = self.mic >= MIC_HEARD * f64::from(self.frames) * AEC_FRAME as f64;
        if playing {
            let db = |e: f64| 10.0 * (e / self.mic.max(1e-12)).log10();
            tracing::debug!(
                start_db = db(self.start),
                room_db = db(self.room),
                heard,
                "echo canceller: a window of our voice (linear residuals against the microphone)"
            );
        }
        if playing && heard && self.room * HANDOVER_MARGIN <= self.start {
            self.better += 1;
        } else if playing {
            // Quiet windows (nothing played) keep the count: the gaps between answers.
            self.better = 0;
        }
        self.far_windows += u32::from(playing);
        (
            self.mic,
            self.start,
            self.room,
            self.frames,
            self.far_frames,
        ) = (0.0, 0.0, 0.0, 0, 0);
        if self.better >= HANDOVER_WINDOWS {
            Handover::Room
        } else if self.far_windows >= GIVE_UP_WINDOWS {
            Handover::GiveUp
        } else {
            Handover::Wait
        }
    }
}

/// The echo canceller of the loop: AEC3 at 16 kHz mono.
///
/// [`EchoCanceller::new`] runs two AEC3 instances side by side from the first frame: the quick
/// start ([`start_config`], 52 ms, converged within about a second of our voice) speaks while
/// the room filter ([`room_config`], 256 ms, slow from nothing) converges beside it on the same
/// signals. Once the room filter's linear residual is lower than the quick start's for a second
/// of echo ([`HANDOVER_WINDOWS`] windows), its output takes over (cross-faded over one frame)
/// and the quick start is dropped; if it has not caught up after 10 s of our voice
/// ([`GIVE_UP_WINDOWS`]), the room filter is dropped instead. Growing one filter from short to
/// long (AEC3's own start) was bimodal on the rig; two separate filters do not interact.
pub struct EchoCanceller {
    /// The canceller whose output is used, or the room filter while the quick start speaks.
    main: Aec3,
    quick_start: Option<QuickStart>,
    /// The last far-end frame had our voice in it.
    far_active: bool,
    /// The capture frame at which the room filter took over.
    handed_over_at: Option<u64>,
    render_frames: u64,
    capture_frames: u64,
}

impl std::fmt::Debug for EchoCanceller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EchoCanceller")
            .field("render_frames", &self.render_frames)
            .field("capture_frames", &self.capture_frames)
            .field("quick_start", &self.quick_start.is_some())
            .field("handed_over_at", &self.handed_over_at)
            .finish()
    }
}

impl Default for EchoCanceller {
    fn default() -> Self {
        Self::new()
    }
}

impl EchoCanceller {
    /// The loop's canceller: the quick start, handing over to the room filter.
    pub fn new() -> EchoCanceller {
        let mut aec = Self::with_config(room_config());
        aec.quick_start = Some(QuickStart::new());
        aec
    }

    /// An instance with AEC3's own defaults, for comparisons.
    pub fn aec3_defaults() -> EchoCanceller {
        Self::with_config(EchoCanceller3Config::default())
    }

    /// One AEC3 instance with another configuration (no handover).
    ///
    /// The linear filter's output is always exported (see [`Self::process_capture`]).
    pub fn with_config(config: EchoCanceller3Config) -> EchoCanceller {
        EchoCanceller {
            main: Aec3::new(config),
            quick_start: None,
            far_active: false,
            handed_over_at: None,
            render_frames: 0,
            capture_frames: 0,
        }
    }

    /// The capture frame (10 ms) from which the room filter's output is used, once it is.
    pub fn handed_over_at(&self) -> Option<u64> {
        self.handed_over_at
    }

    /// Feeds one 10 ms frame (160 samples) of what was played.
    pub fn analyze_render(&mut self, far: &[f32]) {
        debug_assert_eq!(far.len(), AEC_FRAME);
        self.main.render(far);
        if let Some(q) = &mut self.quick_start {
            q.aec.render(far);
            let e = far.iter().map(|s| s * s).sum::<f32>() / far.len() as f32;
            self.far_active = e > FAR_ACTIVE;
        }
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
        self.capture_frames += 1;
        let Some(q) = &mut self.quick_start else {
            self.main.capture(near, out, linear);
            return;
        };
        let mut room_out = [0.0f32; AEC_FRAME];
        let mut room_linear = [0.0f32; AEC_FRAME];
        self.main.capture(near, &mut room_out, &mut room_linear);
        q.aec.capture(near, out, linear);
        match q.observe(near, linear, &room_linear, self.far_active) {
            Handover::Wait => {}
            Handover::Room => {
                let n = AEC_FRAME as f32;
                for i in 0..AEC_FRAME {
                    let w = (i + 1) as f32 / n;
                    out[i] += w * (room_out[i] - out[i]);
                    linear[i] += w * (room_linear[i] - linear[i]);
                }
                self.quick_start = None;
                self.handed_over_at = Some(self.capture_frames);
                tracing::info!(
                    after_s = self.capture_frames as f64 / 100.0,
                    "echo canceller: the 256 ms room filter took over from the quick start"
                );
            }
            Handover::GiveUp => {
                if let Some(q) = self.quick_start.take() {
                    self.main = q.aec;
                }
                tracing::info!(
                    after_s = self.capture_frames as f64 / 100.0,
                    "echo canceller: the room filter never cancelled more; the 52 ms filter goes on alone"
                );
            }
        }
    }

    pub fn metrics(&self) -> AecMetrics {
        match &self.quick_start {
            Some(q) => q.aec.metrics(),
            None => self.main.metrics(),
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
    let (out, linear) = cancel_frames(&mut aec, far, near);
    (out, linear, aec.metrics())
}

/// The frame loop of [`cancel_with_linear`], leaving the canceller to be asked afterwards (its
/// metrics, its handover): the suppressed and the linear output, aligned with `near`.
pub(crate) fn cancel_frames(
    aec: &mut EchoCanceller,
    far: &[f32],
    near: &[f32],
) -> (Vec<f32>, Vec<f32>) {
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
    (out, linear)
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
    let p = |x: &[f32]| sum_squares(x) + 1e-12;
    10.0 * (p(near) / p(out)).log10()
}

/// The sum of the squared samples (in f64).
fn sum_squares(x: &[f32]) -> f64 {
    x.iter().map(|s| f64::from(*s) * f64::from(*s)).sum()
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
