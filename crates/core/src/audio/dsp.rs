//! The DSP chain: microphone at any rate -> 16 kHz mono -> echo cancellation against what was
//! played -> 20 ms frames with a webrtc-vad flag.
//!
//! [`DspChain`] is the synchronous core (used as is by the simulation, step by step on a virtual
//! clock); [`DspThread`] runs it on a named thread against live sources, supervises devices and
//! hands frames out on a bounded channel (`try_send`, drops counted).
//!
//! Alignment: both streams carry [`Stamp`]s on one timeline. Before a microphone frame is
//! cancelled, every reference frame stamped no later than that microphone frame is fed to the
//! canceller, so the reference always leads its echo; AEC3 estimates the remaining acoustic and
//! device delay itself. If the reference stalls (no playback stream), the microphone is
//! processed after [`MAX_WAIT_FOR_REFERENCE_MS`] without it.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use webrtc_vad::{SampleRate, Vad, VadMode};

use super::aec::{AEC_DELAY_SAMPLES, AEC_FRAME, AEC_RATE_HZ, AecMetrics, EchoCanceller};
use super::resample::StreamResampler;
use super::stream::{AudioError, AudioSource, Stamp};

/// Samples in one output frame: 20 ms at 16 kHz.
pub const FRAME_SAMPLES: usize = 320;
/// Output frame length.
pub const FRAME_MS: u32 = 20;
/// How long the microphone waits for the reference before it is processed without it.
pub const MAX_WAIT_FOR_REFERENCE_MS: u64 = 120;
/// Reference kept ahead of the microphone at most (more is dropped: the canceller could not
/// use it anyway).
const MAX_REFERENCE_AHEAD_MS: u64 = 1_000;
/// RMS above which the reference counts as "we are talking" (-50 dBFS).
const FAR_ACTIVE_RMS: f32 = 0.003_16;
/// Frames of reference power kept for the echo's envelope (240 ms: the echo of any of them can
/// still be in the microphone, whatever delay the canceller has found).
const FAR_PEAK_FRAMES: usize = 12;
/// The reference's envelope (mean square) from which a frame teaches the coupling (-35 dBFS):
/// the echo of quieter stretches drowns in the microphone's noise, and the noise over a quiet
/// reference reads as a coupling the room does not have.
const COUPLING_FAR_MS: f32 = 3.16e-4;
/// Frames in a block of the microphone's noise floor (1 s).
const FLOOR_BLOCK_FRAMES: u32 = 50;
/// Frames of our voice alone before the echo's coupling counts as learned (0.5 s).
const COUPLING_LEARNED_FRAMES: u32 = 25;
/// The quantile of microphone over reference power (dB, per frame of our voice alone) that the
/// coupling tracks: the echo stays below it in nine frames of ten.
const COUPLING_QUANTILE: f32 = 0.9;
/// The tracker's step, dB.
const COUPLING_STEP_DB: f32 = 1.0;
/// Headroom over the coupling for the most echo a frame can hold (a factor of two). In the
/// simulated room whose echo moved 32 -> 40 ms (`dsp_tests.rs`), without it our voice still read
/// 8-10 dB below the microphone (about 13 dB below a user cutting in); with it, not at all, and
/// a user 6-8 dB above the echo reads 2-5 dB below their own level.
const ECHO_MARGIN_DB: f32 = 3.0;

/// One cleaned 20 ms frame.
#[derive(Debug, Clone)]
pub struct CleanFrame {
    /// Frame number since the chain started.
    pub index: u64,
    /// Index of its first sample on the 16 kHz microphone timeline.
    pub start_sample: u64,
    /// When its first sample was captured, on the engine timeline (ns), if known.
    pub t_ns: Option<u64>,
    /// Echo-cancelled audio, 16 kHz mono.
    pub samples: Box<[f32; FRAME_SAMPLES]>,
    /// webrtc-vad's verdict on the cleaned audio.
    pub vad: bool,
    /// Whether our own voice was playing (reference above -50 dBFS) during this frame.
    pub far_active: bool,
    /// RMS of the microphone before and after cancellation.
    pub mic_rms: f32,
    pub out_rms: f32,
    /// The level of the user's voice in this frame, for level checks while our own voice
    /// plays: the echo canceller's linear output (the echo subtracted, nothing suppressed: the
    /// suppressor turns a cut-in down 10-20 dB during double talk) less the residual echo
    /// it is known to hold, never below `out_rms`, and never above the microphone less the
    /// most echo our recent voice can put there (see `DspChain::user_power`). Without AEC, the
    /// microphone's RMS.
    pub user_rms: f32,
}

impl CleanFrame {
    /// Milliseconds since the start of the microphone timeline.
    pub fn t_ms(&self) -> u64 {
        self.start_sample * 1000 / u64::from(AEC_RATE_HZ)
    }
}

/// Counters of the DSP chain.
#[derive(Debug, Default)]
pub struct DspStats {
    /// 20 ms frames produced.
    pub frames: AtomicU64,
    /// Frames dropped because the consumer fell behind.
    pub dropped_frames: AtomicU64,
    /// 10 ms reference frames fed to the canceller.
    pub reference_frames: AtomicU64,
    /// 10 ms microphone frames processed without waiting reference (reference stalled).
    pub reference_missing: AtomicU64,
    /// Reference samples dropped for running too far ahead of the microphone.
    pub reference_dropped: AtomicU64,
    /// Worst and total processing time per 10 ms frame, ns.
    pub max_frame_ns: AtomicU64,
    pub total_frame_ns: AtomicU64,
    /// Latest echo canceller metrics, as f64 bits (ERLE, ERL) and ms (delay).
    pub erle_db_bits: AtomicU64,
    pub erl_db_bits: AtomicU64,
    pub delay_ms: AtomicU64,
}

impl DspStats {
    pub fn aec(&self) -> AecMetrics {
        AecMetrics {
            erle_db: f64::from_bits(self.erle_db_bits.load(Ordering::Relaxed)),
            erl_db: f64::from_bits(self.erl_db_bits.load(Ordering::Relaxed)),
            delay_ms: self.delay_ms.load(Ordering::Relaxed) as i32,
        }
    }
}

/// Options of the chain.
#[derive(Debug, Clone, Copy)]
pub struct DspConfig {
    /// Cancel echo (off: the microphone passes through, still resampled and framed).
    pub aec: bool,
    /// webrtc-vad aggressiveness 0-3.
    pub vad_mode: u8,
}

impl Default for DspConfig {
    fn default() -> Self {
        DspConfig {
            aec: true,
            vad_mode: 2,
        }
    }
}

/// A stream resampled to 16 kHz, with its timeline.
struct Lane {
    resampler: StreamResampler,
    rate_hz: u32,
    /// Samples at 16 kHz waiting to be used.
    buf: VecDeque<f32>,
    /// 16 kHz index of `buf[0]`.
    first: u64,
    stamp: Option<Stamp>,
    scratch: Vec<f32>,
    scratch16: Vec<f32>,
}

impl Lane {
    fn new(rate_hz: u32) -> Result<Lane, AudioError> {
        Ok(Lane {
            resampler: StreamResampler::new(rate_hz, AEC_RATE_HZ)?,
            rate_hz,
            buf: VecDeque::with_capacity(AEC_RATE_HZ as usize),
            first: 0,
            stamp: None,
            scratch: Vec::with_capacity(rate_hz as usize / 10),
            scratch16: Vec::with_capacity(AEC_RATE_HZ as usize / 10),
        })
    }

    fn pull(&mut self, src: &mut dyn AudioSource) {
        self.scratch.clear();
        src.read(&mut self.scratch);
        self.stamp = src.stamp().or(self.stamp);
        self.scratch16.clear();
        self.resampler.push(&self.scratch, &mut self.scratch16);
        self.buf.extend(self.scratch16.iter().copied());
    }

    /// Time of 16 kHz sample `k`, if the stream has a timeline.
    fn time_of(&self, k: u64) -> Option<u64> {
        let dev = k * u64::from(self.rate_hz) / u64::from(AEC_RATE_HZ);
        self.stamp.map(|s| s.time_of(dev, self.rate_hz))
    }

    fn end(&self) -> u64 {
        self.first + self.buf.len() as u64
    }

    fn take(&mut self, out: &mut [f32]) {
        let n = out.len();
        for (o, s) in out.iter_mut().zip(self.buf.drain(..n)) {
            *o = s;
        }
        self.first += n as u64;
    }
}

/// The synchronous DSP core. Not `Send` (webrtc-vad): build it on the thread that runs it.
pub struct DspChain {
    config: DspConfig,
    mic: Lane,
    far: Option<Lane>,
    /// The echo canceller, when `config.aec` (two AEC3 instances at first: not made unused).
    aec: Option<EchoCanceller>,
    vad: Vad,
    stats: Arc<DspStats>,
    /// Cancelled audio, aligned with `mic_in` (AEC3's block delay removed).
    out_fifo: VecDeque<f32>,
    /// Energy of the linear canceller output per sample, aligned with `out_fifo`.
    linear_fifo: VecDeque<f32>,
    /// Microphone input not yet framed (for the frame's input level).
    in_fifo: VecDeque<f32>,
    /// Output samples still to drop to undo AEC3's block delay.
    skip_out: usize,
    /// 16 kHz index of `out_fifo[0]` and `in_fifo[0]`.
    out_index: u64,
    frame: Box<[f32; FRAME_SAMPLES]>,
    frame_far_energy: f32,
    /// Mean square of the reference over the last ~100 ms (an echo arrives tens of ms late).
    far_recent: f32,
    /// Residual echo in the linear output per unit of recent reference power, learned while
    /// our voice plays alone; starts at 1 (no loss assumed until measured).
    residual_ratio: f32,
    /// Reference mean square per 20 ms frame, the last [`FAR_PEAK_FRAMES`] (circular).
    far_frames: [f32; FAR_PEAK_FRAMES],
    far_frames_at: usize,
    /// The echo's coupling: the upper quantile ([`COUPLING_QUANTILE`]) of microphone power over
    /// the reference's envelope while our voice plays alone, dB. It is the room's and the
    /// devices', not the canceller's: it holds when the canceller loses its filter.
    coupling_db: f32,
    /// Frames it has learned from.
    coupling_frames: u32,
    /// The microphone's noise floor (mean square): its minimum over the last one to two
    /// seconds (this block of [`FLOOR_BLOCK_FRAMES`] and the one before), so that a stretch of
    /// digital silence (a stream starting) is forgotten within two seconds.
    floor_block_min: f32,
    floor_prev_min: f32,
    floor_block_frames: u32,
    frames_out: u64,
    vad_i16: [i16; FRAME_SAMPLES],
}

impl std::fmt::Debug for DspChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DspChain")
            .field("config", &self.config)
            .field("frames_out", &self.frames_out)
            .finish()
    }
}

impl DspChain {
    /// A chain for a microphone at `mic_rate_hz` and, if there is playback, a reference at
    /// `far_rate_hz`.
    pub fn new(
        config: DspConfig,
        mic_rate_hz: u32,
        far_rate_hz: Option<u32>,
        stats: Arc<DspStats>,
    ) -> Result<DspChain, AudioError> {
        let mode = match config.vad_mode {
            0 => VadMode::Quality,
            1 => VadMode::LowBitrate,
            2 => VadMode::Aggressive,
            _ => VadMode::VeryAggressive,
        };
        Ok(DspChain {
            config,
            mic: Lane::new(mic_rate_hz)?,
            far: far_rate_hz.map(Lane::new).transpose()?,
            aec: config.aec.then(EchoCanceller::new),
            vad: Vad::new_with_rate_and_mode(SampleRate::Rate16kHz, mode),
            stats,
            out_fifo: VecDeque::with_capacity(FRAME_SAMPLES * 2),
            linear_fifo: VecDeque::with_capacity(FRAME_SAMPLES * 2),
            in_fifo: VecDeque::with_capacity(FRAME_SAMPLES * 2),
            skip_out: if config.aec { AEC_DELAY_SAMPLES } else { 0 },
            out_index: 0,
            frame: Box::new([0.0; FRAME_SAMPLES]),
            frame_far_energy: 0.0,
            far_recent: 0.0,
            residual_ratio: 1.0,
            far_frames: [0.0; FAR_PEAK_FRAMES],
            far_frames_at: 0,
            coupling_db: 0.0,
            coupling_frames: 0,
            floor_block_min: f32::MAX,
            floor_prev_min: f32::MAX,
            floor_block_frames: 0,
            frames_out: 0,
            vad_i16: [0; FRAME_SAMPLES],
        })
    }

    pub fn stats(&self) -> &Arc<DspStats> {
        &self.stats
    }

    /// Latest echo canceller metrics.
    pub fn aec_metrics(&self) -> AecMetrics {
        self.aec
            .as_ref()
            .map(EchoCanceller::metrics)
            .unwrap_or_default()
    }

    /// Pulls what both sources have, processes every complete 10 ms frame it can, and hands
    /// each finished 20 ms frame to `emit`.
    pub fn process(
        &mut self,
        mic: &mut dyn AudioSource,
        far: Option<&mut (dyn AudioSource + '_)>,
        emit: &mut dyn FnMut(CleanFrame),
    ) {
        self.mic.pull(mic);
        if let (Some(lane), Some(src)) = (self.far.as_mut(), far) {
            lane.pull(src);
        }
        let mut near = [0.0f32; AEC_FRAME];
        let mut out = [0.0f32; AEC_FRAME];
        let mut linear = [0.0f32; AEC_FRAME];
        let mut far_frame = [0.0f32; AEC_FRAME];
        while self.mic.buf.len() >= AEC_FRAME {
            let k_end = self.mic.first + AEC_FRAME as u64;
            let t_end = self.mic.time_of(k_end);
            if let Some(far) = self.far.as_mut() {
                match (t_end, far.time_of(far.end())) {
                    (Some(t_mic), Some(t_far)) => {
                        let backlog_ms = self.mic.buf.len() as u64 * 1000 / u64::from(AEC_RATE_HZ);
                        if t_far < t_mic {
                            if backlog_ms < MAX_WAIT_FOR_REFERENCE_MS {
                                break; // wait for the reference to catch up
                            }
                            self.stats.reference_missing.fetch_add(1, Ordering::Relaxed);
                        }
                        // Feed every reference frame stamped no later than this mic frame.
                        while far.buf.len() >= AEC_FRAME
                            && far
                                .time_of(far.first + AEC_FRAME as u64)
                                .is_some_and(|t| t <= t_mic)
                        {
                            far.take(&mut far_frame);
                            self.frame_far_energy += energy(&far_frame);
                            if let Some(aec) = &mut self.aec {
                                aec.analyze_render(&far_frame);
                            }
                            self.stats.reference_frames.fetch_add(1, Ordering::Relaxed);
                        }
                        // Never let the reference pile up far ahead of the microphone.
                        let max = (MAX_REFERENCE_AHEAD_MS * u64::from(AEC_RATE_HZ) / 1000) as usize;
                        if far.buf.len() > max {
                            let n = far.buf.len() - max;
                            far.buf.drain(..n);
                            far.first += n as u64;
                            self.stats
                                .reference_dropped
                                .fetch_add(n as u64, Ordering::Relaxed);
                        }
                    }
                    (_, None) | (None, _) => {
                        // No timeline (yet): feed what there is, in order.
                        while far.buf.len() >= AEC_FRAME {
                            far.take(&mut far_frame);
                            self.frame_far_energy += energy(&far_frame);
                            if let Some(aec) = &mut self.aec {
                                aec.analyze_render(&far_frame);
                            }
                        }
                    }
                }
            }
            let started = std::time::Instant::now();
            self.mic.take(&mut near);
            if let Some(aec) = &mut self.aec {
                aec.process_capture_linear(&near, &mut out, &mut linear);
            } else {
                out = near;
                linear = near;
            }
            let ns = started.elapsed().as_nanos() as u64;
            self.stats.max_frame_ns.fetch_max(ns, Ordering::Relaxed);
            self.stats.total_frame_ns.fetch_add(ns, Ordering::Relaxed);
            self.push_10ms(&near, &out, &linear, emit);
        }
    }

    fn push_10ms(
        &mut self,
        near: &[f32],
        out: &[f32],
        linear: &[f32],
        emit: &mut dyn FnMut(CleanFrame),
    ) {
        self.in_fifo.extend(near.iter().copied());
        let skip = self.skip_out.min(out.len());
        self.skip_out -= skip;
        self.out_fifo.extend(out[skip..].iter().copied());
        self.linear_fifo
            .extend(linear[skip..].iter().map(|s| s * s));
        while self.out_fifo.len() >= FRAME_SAMPLES {
            for (d, s) in self
                .frame
                .iter_mut()
                .zip(self.out_fifo.drain(..FRAME_SAMPLES))
            {
                *d = s;
            }
            let mic_energy: f32 = self.in_fifo.drain(..FRAME_SAMPLES).map(|s| s * s).sum();
            let linear_energy: f32 = self.linear_fifo.drain(..FRAME_SAMPLES).sum();
            self.emit_frame(mic_energy, linear_energy, emit);
        }
    }

    fn emit_frame(
        &mut self,
        mic_energy: f32,
        linear_energy: f32,
        emit: &mut dyn FnMut(CleanFrame),
    ) {
        for (d, s) in self.vad_i16.iter_mut().zip(self.frame.iter()) {
            *d = (s.clamp(-1.0, 1.0) * 32767.0) as i16;
        }
        let vad = self.vad.is_voice_segment(&self.vad_i16).unwrap_or(false);
        let n = FRAME_SAMPLES as f32;
        let far_active = (self.frame_far_energy / n).sqrt() > FAR_ACTIVE_RMS;
        let out_ms = energy(&self.frame[..]) / n;
        let mic_ms = mic_energy / n;
        let user_ms = self.user_power(mic_ms, linear_energy / n, out_ms, far_active && !vad);
        let start = self.out_index;
        let frame = CleanFrame {
            index: self.frames_out,
            start_sample: start,
            t_ns: self.mic.time_of(start),
            samples: self.frame.clone(),
            vad,
            far_active,
            mic_rms: mic_ms.sqrt(),
            out_rms: out_ms.sqrt(),
            user_rms: user_ms.sqrt(),
        };
        self.out_index += FRAME_SAMPLES as u64;
        self.frames_out += 1;
        self.frame_far_energy = 0.0;
        let m = self.aec_metrics();
        self.stats
            .erle_db_bits
            .store(m.erle_db.to_bits(), Ordering::Relaxed);
        self.stats
            .erl_db_bits
            .store(m.erl_db.to_bits(), Ordering::Relaxed);
        self.stats
            .delay_ms
            .store(m.delay_ms.max(0) as u64, Ordering::Relaxed);
        self.stats.frames.fetch_add(1, Ordering::Relaxed);
        emit(frame);
    }

    /// The user's power in a frame (see [`CleanFrame::user_rms`]) from the microphone's, the
    /// linear output's and the cleaned output's mean squares; `echo_alone`: our voice plays and
    /// nobody else is heard, so the linear output is all residual echo and teaches its ratio,
    /// and the microphone all echo and teaches the coupling.
    ///
    /// Two estimates, the lower wins. The canceller's: the linear output less the residual echo
    /// it is known to leave, never below the cleaned output. The room's: the microphone less the
    /// most echo our recent voice can put there (the coupling over the reference's envelope,
    /// once learned); the user's voice adds to the echo, so it cannot be more than the
    /// difference. The second holds when the canceller does not: when the echo's delay moves
    /// (two device clocks, a loopback that adapts its rate; seen on the rig after a quiet
    /// spell), AEC3 keeps cancelling at the old delay for most of a second, its output leaks
    /// our voice nearly at the microphone's level, and the first estimate read it as a user
    /// cutting in.
    fn user_power(&mut self, mic_ms: f32, linear_ms: f32, out_ms: f32, echo_alone: bool) -> f32 {
        let far_ms = self.frame_far_energy / FRAME_SAMPLES as f32;
        self.far_recent = 0.8 * self.far_recent + 0.2 * far_ms;
        self.far_frames[self.far_frames_at] = far_ms;
        self.far_frames_at = (self.far_frames_at + 1) % FAR_PEAK_FRAMES;
        if !self.config.aec {
            return linear_ms;
        }
        let active = FAR_ACTIVE_RMS * FAR_ACTIVE_RMS;
        let far_peak = self.far_frames.iter().copied().fold(0.0, f32::max);
        if echo_alone && self.far_recent > active {
            // Geometric smoothing over ~10 frames: residual echo spans decades.
            let ratio = (linear_ms / self.far_recent).clamp(1e-6, 10.0);
            self.residual_ratio = (0.9 * self.residual_ratio.ln() + 0.1 * ratio.ln()).exp();
        }
        self.floor_block_min = self.floor_block_min.min(mic_ms);
        self.floor_block_frames += 1;
        if self.floor_block_frames == FLOOR_BLOCK_FRAMES {
            self.floor_prev_min = self.floor_block_min;
            self.floor_block_min = f32::MAX;
            self.floor_block_frames = 0;
        }
        let mic_floor = self.floor_block_min.min(self.floor_prev_min);
        if echo_alone && far_peak > COUPLING_FAR_MS {
            let echo = (mic_ms - mic_floor).max(0.0);
            let ratio_db = 10.0 * (echo / far_peak).max(1e-9).log10();
            if self.coupling_frames == 0 {
                self.coupling_db = ratio_db;
            } else if ratio_db > self.coupling_db {
                self.coupling_db += COUPLING_QUANTILE * COUPLING_STEP_DB;
            } else {
                self.coupling_db -= (1.0 - COUPLING_QUANTILE) * COUPLING_STEP_DB;
            }
            self.coupling_frames = self.coupling_frames.saturating_add(1);
        }
        let by_canceller = (linear_ms - self.residual_ratio * self.far_recent).max(out_ms);
        if self.coupling_frames < COUPLING_LEARNED_FRAMES || far_peak <= active {
            return by_canceller;
        }
        let echo_ms = 10f32.powf((self.coupling_db + ECHO_MARGIN_DB) / 10.0) * far_peak;
        by_canceller.min((mic_ms - echo_ms).max(0.0))
    }
}

fn energy(x: &[f32]) -> f32 {
    x.iter().map(|s| s * s).sum()
}

#[cfg(test)]
#[path = "dsp_tests.rs"]
mod tests;
