//! Voice activity: Silero VAD (ONNX) gated by the WebRTC VAD, and a hysteresis segmenter.
//!
//! * [`SileroVad`] streams 32 ms chunks (512 samples at 16 kHz) through the Silero model. Each
//!   call feeds the last 64 samples of the previous chunk as context and the recurrent state
//!   back in, so chunks must be consecutive. Buffers are allocated once; a call allocates only
//!   what ONNX Runtime allocates for its outputs. It is `Send`: load it anywhere.
//! * [`StreamingVad`] fuses it with the WebRTC VAD (10 ms frames, microseconds each). The WebRTC
//!   VAD is not `Send`, so **create the `StreamingVad` on the thread that uses it** (move a
//!   loaded [`SileroVad`] there and call [`StreamingVad::new`] on that thread). Silero runs on
//!   every chunk so its state stays continuous; when WebRTC heard no voice in the last
//!   [`FusionParams::gate_window_ms`], the fused probability is scaled down by
//!   [`FusionParams::closed_gate_scale`], so speech cannot *start* without both detectors agreeing
//!   but a confident Silero keeps ongoing speech alive.
//! * [`Segmenter`] turns probabilities into speech segments with hysteresis (on at 0.5, off at
//!   0.35), a minimum speech length and a minimum silence length; it is pure and clock-free.
//!   [`detect_speech`] runs the whole chain over a recording and pads the segments.

use std::fmt;

use ort::value::TensorRef;

use super::Manifest;
use super::cache::{CacheError, ModelCache};
use super::runtime::{Model, Runtime, RuntimeError};
use crate::config::ExecutionProvider;

/// The sample rate Silero and the gate run at here.
pub const SAMPLE_RATE_HZ: u32 = 16_000;
/// New samples per Silero call (32 ms).
pub const CHUNK_SAMPLES: usize = 512;
/// Samples of the previous chunk prepended as context.
pub const CONTEXT_SAMPLES: usize = 64;
/// Length of one chunk in milliseconds.
pub const CHUNK_MS: u32 = (CHUNK_SAMPLES as u32 * 1000) / SAMPLE_RATE_HZ;
/// The model file in the cache.
pub const MODEL_FILE: &str = "silero_vad.onnx";

const INPUT_LEN: usize = CONTEXT_SAMPLES + CHUNK_SAMPLES;
const STATE_SHAPE: [usize; 3] = [2, 1, 128];
const STATE_LEN: usize = 2 * 128;
/// WebRTC VAD frame: 10 ms at 16 kHz.
const GATE_FRAME_SAMPLES: usize = 160;

#[derive(Debug, thiserror::Error)]
pub enum VadError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("{MODEL_FILE} does not have the expected inputs/outputs: {0}")]
    Signature(String),
    #[error("Silero VAD inference failed: {0}")]
    Inference(#[from] ort::Error),
    #[error("a VAD chunk is {CHUNK_SAMPLES} samples at 16 kHz, got {0}")]
    ChunkSize(usize),
    #[error("invalid VAD setting: {0}")]
    Params(String),
}

/// Streaming Silero VAD over consecutive 512-sample chunks of 16 kHz audio.
#[derive(Debug)]
pub struct SileroVad {
    model: Model,
    /// Context (64) + chunk (512), reused every call.
    input: Vec<f32>,
    /// Recurrent state [2, 1, 128], fed back from `stateN`.
    state: Vec<f32>,
    sample_rate: [i64; 1],
}

impl SileroVad {
    /// Loads the verified model from the cache on the CPU (the model is tiny; a GPU round trip
    /// costs more than the inference).
    pub fn load(
        runtime: &Runtime,
        cache: &ModelCache,
        manifest: &Manifest,
        intra_threads: usize,
    ) -> Result<Self, VadError> {
        let path = cache.verified_path(manifest, MODEL_FILE)?;
        let model =
            runtime.load_with(&path, "silero_vad", intra_threads, ExecutionProvider::Cpu)?;
        Self::from_model(model)
    }

    /// Wraps a loaded session after checking its signature.
    pub fn from_model(model: Model) -> Result<Self, VadError> {
        let inputs: Vec<&str> = model.session.inputs().iter().map(|o| o.name()).collect();
        if inputs != ["input", "state", "sr"] {
            return Err(VadError::Signature(format!(
                "inputs {inputs:?}, expected [\"input\", \"state\", \"sr\"]"
            )));
        }
        let outputs: Vec<&str> = model.session.outputs().iter().map(|o| o.name()).collect();
        if !(outputs.contains(&"output") && outputs.contains(&"stateN")) {
            return Err(VadError::Signature(format!(
                "outputs {outputs:?}, expected \"output\" and \"stateN\""
            )));
        }
        Ok(Self {
            model,
            input: vec![0.0; INPUT_LEN],
            state: vec![0.0; STATE_LEN],
            sample_rate: [i64::from(SAMPLE_RATE_HZ)],
        })
    }

    /// Forgets the context and the recurrent state (start of a new stream).
    pub fn reset(&mut self) {
        self.input.fill(0.0);
        self.state.fill(0.0);
    }

    /// Speech probability of the next 512-sample chunk.
    pub fn process(&mut self, chunk: &[f32]) -> Result<f32, VadError> {
        if chunk.len() != CHUNK_SAMPLES {
            return Err(VadError::ChunkSize(chunk.len()));
        }
        // The last 64 samples of the previous chunk become this call's context.
        self.input.copy_within(CHUNK_SAMPLES.., 0);
        self.input[CONTEXT_SAMPLES..].copy_from_slice(chunk);
        let Self {
            model,
            input,
            state,
            sample_rate,
        } = self;
        let outputs = model.session.run(ort::inputs![
            TensorRef::from_array_view(([1usize, INPUT_LEN], input.as_slice()))?,
            TensorRef::from_array_view((STATE_SHAPE, state.as_slice()))?,
            TensorRef::from_array_view(((), sample_rate.as_slice()))?,
        ])?;
        let (_, prob) = outputs["output"].try_extract_tensor::<f32>()?;
        let prob = prob
            .first()
            .copied()
            .ok_or_else(|| VadError::Signature("`output` is empty".to_owned()))?;
        let (_, next) = outputs["stateN"].try_extract_tensor::<f32>()?;
        if next.len() != STATE_LEN {
            return Err(VadError::Signature(format!(
                "`stateN` has {} values, expected {STATE_LEN}",
                next.len()
            )));
        }
        state.copy_from_slice(next);
        Ok(prob)
    }

    /// The execution provider the session runs on.
    pub fn provider(&self) -> ExecutionProvider {
        self.model.provider
    }
}

/// How the WebRTC gate and Silero are combined.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FusionParams {
    /// WebRTC aggressiveness 0-3 (0: flags the most audio as voice). The gate should rarely
    /// miss speech, so a low mode is right; Silero does the fine discrimination.
    pub webrtc_mode: u8,
    /// The gate is open when any 10 ms WebRTC frame in this window was voiced.
    pub gate_window_ms: u32,
    /// Multiplier on Silero's probability while the gate is closed (0 = hard gate).
    pub closed_gate_scale: f32,
}

impl Default for FusionParams {
    fn default() -> Self {
        Self {
            webrtc_mode: 1,
            gate_window_ms: 100,
            closed_gate_scale: 0.5,
        }
    }
}

impl FusionParams {
    pub fn validate(&self) -> Result<(), VadError> {
        if self.webrtc_mode > 3 {
            return Err(VadError::Params(format!(
                "webrtc_mode {} is not 0-3",
                self.webrtc_mode
            )));
        }
        if !(10..=640).contains(&self.gate_window_ms) {
            return Err(VadError::Params(format!(
                "gate_window_ms {} is not 10-640",
                self.gate_window_ms
            )));
        }
        if !(0.0..=1.0).contains(&self.closed_gate_scale) {
            return Err(VadError::Params(format!(
                "closed_gate_scale {} is not 0-1",
                self.closed_gate_scale
            )));
        }
        Ok(())
    }
}

/// The verdict on one 32 ms chunk.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct VadFrame {
    /// Position of the chunk's first sample in the stream.
    pub start_sample: u64,
    /// Silero's speech probability.
    pub silero: f32,
    /// Whether WebRTC heard voice within the gate window.
    pub gate_open: bool,
    /// The fused probability the segmenter uses.
    pub probability: f32,
}

impl VadFrame {
    pub fn start_ms(&self) -> u64 {
        samples_to_ms(self.start_sample)
    }

    pub fn end_sample(&self) -> u64 {
        self.start_sample + CHUNK_SAMPLES as u64
    }
}

/// Silero + WebRTC gate over a 16 kHz stream of any block size. Not `Send` (the WebRTC VAD
/// holds a raw C pointer): build it on the thread that feeds it.
pub struct StreamingVad {
    silero: SileroVad,
    webrtc: webrtc_vad::Vad,
    params: FusionParams,
    /// Samples waiting for a full Silero chunk.
    chunk: Vec<f32>,
    chunk_len: usize,
    /// Samples waiting for a full WebRTC frame.
    gate_frame: [i16; GATE_FRAME_SAMPLES],
    gate_len: usize,
    /// One bit per past 10 ms frame, newest in bit 0; 1 = voiced.
    gate_history: u64,
    gate_mask: u64,
    position: u64,
}

impl fmt::Debug for StreamingVad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamingVad")
            .field("silero", &self.silero)
            .field("params", &self.params)
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

impl StreamingVad {
    pub fn new(silero: SileroVad, params: FusionParams) -> Result<Self, VadError> {
        params.validate()?;
        let mode = match params.webrtc_mode {
            0 => webrtc_vad::VadMode::Quality,
            1 => webrtc_vad::VadMode::LowBitrate,
            2 => webrtc_vad::VadMode::Aggressive,
            _ => webrtc_vad::VadMode::VeryAggressive,
        };
        let frames = params.gate_window_ms.div_ceil(10);
        let mut vad = Self {
            silero,
            webrtc: webrtc_vad::Vad::new_with_rate_and_mode(
                webrtc_vad::SampleRate::Rate16kHz,
                mode,
            ),
            params,
            chunk: vec![0.0; CHUNK_SAMPLES],
            chunk_len: 0,
            gate_frame: [0; GATE_FRAME_SAMPLES],
            gate_len: 0,
            gate_history: 0,
            gate_mask: if frames >= 64 {
                u64::MAX
            } else {
                (1u64 << frames) - 1
            },
            position: 0,
        };
        vad.reset();
        Ok(vad)
    }

    /// Starts a new stream: clears both detectors and the position.
    pub fn reset(&mut self) {
        self.silero.reset();
        self.webrtc.reset();
        self.chunk_len = 0;
        self.gate_len = 0;
        self.gate_history = 0;
        self.position = 0;
    }

    /// Samples consumed so far (including those waiting for a full chunk).
    pub fn position(&self) -> u64 {
        self.position + self.chunk_len as u64
    }

    pub fn params(&self) -> &FusionParams {
        &self.params
    }

    /// Feeds any number of samples; calls `on_frame` for each completed 32 ms chunk.
    pub fn push(
        &mut self,
        mut samples: &[f32],
        mut on_frame: impl FnMut(VadFrame),
    ) -> Result<(), VadError> {
        while !samples.is_empty() {
            let take = (CHUNK_SAMPLES - self.chunk_len).min(samples.len());
            self.chunk[self.chunk_len..self.chunk_len + take].copy_from_slice(&samples[..take]);
            self.chunk_len += take;
            samples = &samples[take..];
            if self.chunk_len == CHUNK_SAMPLES {
                self.chunk_len = 0;
                let chunk = std::mem::take(&mut self.chunk);
                let frame = self.process_chunk(&chunk);
                self.chunk = chunk;
                on_frame(frame?);
            }
        }
        Ok(())
    }

    /// Processes exactly one 512-sample chunk (bypassing the block buffer of [`push`](Self::push);
    /// do not mix the two in one stream).
    pub fn process_chunk(&mut self, chunk: &[f32]) -> Result<VadFrame, VadError> {
        if chunk.len() != CHUNK_SAMPLES {
            return Err(VadError::ChunkSize(chunk.len()));
        }
        for &x in chunk {
            self.gate_frame[self.gate_len] = (x.clamp(-1.0, 1.0) * 32767.0) as i16;
            self.gate_len += 1;
            if self.gate_len == GATE_FRAME_SAMPLES {
                self.gate_len = 0;
                // Only a wrong frame length fails, and ours is fixed at 10 ms.
                let voiced = self
                    .webrtc
                    .is_voice_segment(&self.gate_frame)
                    .unwrap_or(true);
                self.gate_history = (self.gate_history << 1) | u64::from(voiced);
            }
        }
        let silero = self.silero.process(chunk)?;
        let gate_open = self.gate_history & self.gate_mask != 0;
        let probability = if gate_open {
            silero
        } else {
            silero * self.params.closed_gate_scale
        };
        let frame = VadFrame {
            start_sample: self.position,
            silero,
            gate_open,
            probability,
        };
        self.position += CHUNK_SAMPLES as u64;
        Ok(frame)
    }
}

/// Hysteresis and timing for turning probabilities into segments.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SegmentParams {
    /// Speech starts when the probability reaches this.
    pub on_threshold: f32,
    /// Once in speech, silence starts only below this (lower than `on_threshold`).
    pub off_threshold: f32,
    /// Shorter bursts are dropped (coughs, clicks).
    pub min_speech_ms: u32,
    /// Shorter pauses do not end a segment.
    pub min_silence_ms: u32,
    /// Added before and after each offline segment (never overlapping a neighbour).
    pub pad_ms: u32,
}

impl Default for SegmentParams {
    fn default() -> Self {
        Self {
            on_threshold: 0.5,
            off_threshold: 0.35,
            min_speech_ms: 250,
            min_silence_ms: 300,
            pad_ms: 30,
        }
    }
}

impl SegmentParams {
    pub fn validate(&self) -> Result<(), VadError> {
        let ok = 0.0 < self.off_threshold
            && self.off_threshold <= self.on_threshold
            && self.on_threshold <= 1.0;
        if !ok {
            return Err(VadError::Params(format!(
                "thresholds need 0 < off ({}) <= on ({}) <= 1",
                self.off_threshold, self.on_threshold
            )));
        }
        Ok(())
    }
}

/// A stretch of speech, in milliseconds from the start of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SpeechSegment {
    pub start_ms: u64,
    pub end_ms: u64,
}

impl SpeechSegment {
    pub fn duration_ms(&self) -> u64 {
        self.end_ms - self.start_ms
    }
}

/// What the segmenter noticed on a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VadEvent {
    /// Speech has lasted `min_speech_ms`; it began at `start_ms`.
    SpeechStart { start_ms: u64 },
    /// Silence has lasted `min_silence_ms`; the segment (unpadded) is over.
    SpeechEnd(SpeechSegment),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum SegState {
    Silence,
    Speech {
        start: u64,
        /// End of the last chunk that counted as speech.
        voiced_end: u64,
        /// Where the current run of below-`off` chunks began.
        silence_since: Option<u64>,
        confirmed: bool,
    },
}

/// Hysteresis segmenter over per-chunk probabilities; works in samples, reports milliseconds.
#[derive(Debug, Clone)]
pub struct Segmenter {
    params: SegmentParams,
    min_speech: u64,
    min_silence: u64,
    state: SegState,
}

impl Segmenter {
    pub fn new(params: SegmentParams) -> Result<Self, VadError> {
        params.validate()?;
        Ok(Self {
            params,
            min_speech: ms_to_samples(params.min_speech_ms),
            min_silence: ms_to_samples(params.min_silence_ms),
            state: SegState::Silence,
        })
    }

    pub fn params(&self) -> &SegmentParams {
        &self.params
    }

    /// Whether a (confirmed) segment is open.
    pub fn in_speech(&self) -> bool {
        matches!(
            self.state,
            SegState::Speech {
                confirmed: true,
                ..
            }
        )
    }

    pub fn reset(&mut self) {
        self.state = SegState::Silence;
    }

    /// One chunk's probability over samples `start..end`.
    pub fn push(&mut self, probability: f32, start: u64, end: u64) -> Option<VadEvent> {
        let p = &self.params;
        match &mut self.state {
            SegState::Silence => {
                if probability >= p.on_threshold {
                    self.state = SegState::Speech {
                        start,
                        voiced_end: end,
                        silence_since: None,
                        confirmed: false,
                    };
                    return self.confirm();
                }
                None
            }
            SegState::Speech {
                start: seg_start,
                voiced_end,
                silence_since,
                confirmed,
            } => {
                if probability >= p.on_threshold
                    || (probability >= p.off_threshold && silence_since.is_none())
                {
                    *silence_since = None;
                    *voiced_end = end;
                    return self.confirm();
                }
                if probability < p.off_threshold {
                    silence_since.get_or_insert(start);
                }
                match *silence_since {
                    Some(since) if end - since >= self.min_silence => {
                        let segment = SpeechSegment {
                            start_ms: samples_to_ms(*seg_start),
                            end_ms: samples_to_ms(*voiced_end),
                        };
                        let keep = *confirmed;
                        self.state = SegState::Silence;
                        keep.then_some(VadEvent::SpeechEnd(segment))
                    }
                    _ => None,
                }
            }
        }
    }

    /// Ends the stream: closes an open segment if it is long enough.
    pub fn finish(&mut self) -> Option<SpeechSegment> {
        let state = std::mem::replace(&mut self.state, SegState::Silence);
        match state {
            SegState::Speech {
                start, voiced_end, ..
            } if voiced_end - start >= self.min_speech => Some(SpeechSegment {
                start_ms: samples_to_ms(start),
                end_ms: samples_to_ms(voiced_end),
            }),
            _ => None,
        }
    }

    fn confirm(&mut self) -> Option<VadEvent> {
        if let SegState::Speech {
            start,
            voiced_end,
            confirmed,
            ..
        } = &mut self.state
            && !*confirmed
            && *voiced_end - *start >= self.min_speech
        {
            *confirmed = true;
            return Some(VadEvent::SpeechStart {
                start_ms: samples_to_ms(*start),
            });
        }
        None
    }
}

/// Runs the whole chain over a 16 kHz recording (the last partial chunk zero-padded) and
/// returns padded speech segments. `on_frame` sees every chunk's verdict.
pub fn detect_speech(
    vad: &mut StreamingVad,
    samples: &[f32],
    params: &SegmentParams,
    mut on_frame: impl FnMut(&VadFrame),
) -> Result<Vec<SpeechSegment>, VadError> {
    let mut segmenter = Segmenter::new(*params)?;
    vad.reset();
    let mut segments = Vec::new();
    let mut handle = |frame: VadFrame| {
        on_frame(&frame);
        if let Some(VadEvent::SpeechEnd(s)) =
            segmenter.push(frame.probability, frame.start_sample, frame.end_sample())
        {
            segments.push(s);
        }
    };
    vad.push(samples, &mut handle)?;
    let tail = samples.len() % CHUNK_SAMPLES;
    if tail != 0 {
        let zeros = [0.0f32; CHUNK_SAMPLES];
        vad.push(&zeros[..CHUNK_SAMPLES - tail], &mut handle)?;
    }
    segments.extend(segmenter.finish());
    let total_ms = samples_to_ms(samples.len() as u64);
    pad_segments(&mut segments, params.pad_ms.into(), total_ms);
    Ok(segments)
}

/// Widens each segment by `pad_ms` on both sides within `0..total_ms`; where two would
/// overlap, they meet halfway across the gap.
pub fn pad_segments(segments: &mut [SpeechSegment], pad_ms: u64, total_ms: u64) {
    let originals: Vec<SpeechSegment> = segments.to_vec();
    for (i, seg) in segments.iter_mut().enumerate() {
        let orig = originals[i];
        seg.start_ms = match i.checked_sub(1).map(|j| originals[j]) {
            Some(prev) if orig.start_ms.saturating_sub(prev.end_ms) < 2 * pad_ms => {
                prev.end_ms + (orig.start_ms.saturating_sub(prev.end_ms)) / 2
            }
            _ => orig.start_ms.saturating_sub(pad_ms),
        };
        seg.end_ms = match originals.get(i + 1) {
            Some(next) if next.start_ms.saturating_sub(orig.end_ms) < 2 * pad_ms => {
                orig.end_ms + (next.start_ms.saturating_sub(orig.end_ms)) / 2
            }
            _ => (orig.end_ms + pad_ms).min(total_ms.max(orig.end_ms)),
        };
    }
}

fn samples_to_ms(samples: u64) -> u64 {
    samples * 1000 / u64::from(SAMPLE_RATE_HZ)
}

fn ms_to_samples(ms: u32) -> u64 {
    u64::from(ms) * u64::from(SAMPLE_RATE_HZ) / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: u64 = CHUNK_SAMPLES as u64;

    /// Feeds one probability per chunk; returns (events with their chunk index, final segment).
    fn run(probs: &[f32]) -> (Vec<(usize, VadEvent)>, Option<SpeechSegment>) {
        let mut s = Segmenter::new(SegmentParams::default()).expect("params");
        let events = probs
            .iter()
            .enumerate()
            .filter_map(|(i, &p)| s.push(p, i as u64 * C, (i as u64 + 1) * C).map(|e| (i, e)))
            .collect();
        (events, s.finish())
    }

    #[test]
    fn hysteresis_confirms_after_min_speech_and_ends_after_min_silence() {
        // 10 chunks (320 ms) of speech, then 12 chunks (384 ms) of silence.
        let mut probs = vec![0.9; 10];
        probs.extend([0.1; 12]);
        let (events, tail) = run(&probs);
        // 250 ms = 7.8 chunks: confirmed on the 8th chunk (index 7).
        assert_eq!(events[0], (7, VadEvent::SpeechStart { start_ms: 0 }));
        // 300 ms of silence = 9.4 chunks: ends on the 10th silent chunk (index 19).
        assert_eq!(
            events[1],
            (
                19,
                VadEvent::SpeechEnd(SpeechSegment {
                    start_ms: 0,
                    end_ms: 320
                })
            )
        );
        assert_eq!(events.len(), 2);
        assert_eq!(tail, None);
    }

    #[test]
    fn short_bursts_and_short_pauses() {
        // A 4-chunk (128 ms) burst is dropped.
        let mut probs = vec![0.1, 0.9, 0.9, 0.9, 0.9];
        probs.extend([0.0; 12]);
        assert!(run(&probs).0.is_empty());
        // A 5-chunk pause inside speech does not split it; mid probabilities after the pause
        // began do not reset the silence timer, but >= on does.
        let mut probs = vec![0.9; 10];
        probs.extend([0.2, 0.2, 0.4, 0.2, 0.2]);
        probs.extend([0.8; 10]);
        let (events, tail) = run(&probs);
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(
            tail,
            Some(SpeechSegment {
                start_ms: 0,
                end_ms: 800
            })
        );
        // Between the thresholds while speaking (no pause yet) keeps speech going.
        let mut probs = vec![0.9; 10];
        probs.extend([0.4; 20]);
        probs.extend([0.0; 10]);
        let (events, _) = run(&probs);
        assert_eq!(
            events[1].1,
            VadEvent::SpeechEnd(SpeechSegment {
                start_ms: 0,
                end_ms: 960
            })
        );
    }

    #[test]
    fn padding_never_overlaps() {
        let mut segs = vec![
            SpeechSegment {
                start_ms: 10,
                end_ms: 500,
            },
            SpeechSegment {
                start_ms: 540,
                end_ms: 900,
            },
            SpeechSegment {
                start_ms: 2000,
                end_ms: 2990,
            },
        ];
        pad_segments(&mut segs, 30, 3000);
        assert_eq!(
            segs[0],
            SpeechSegment {
                start_ms: 0,
                end_ms: 520
            }
        );
        assert_eq!(
            segs[1],
            SpeechSegment {
                start_ms: 520,
                end_ms: 930
            }
        );
        assert_eq!(
            segs[2],
            SpeechSegment {
                start_ms: 1970,
                end_ms: 3000
            }
        );
    }

    #[test]
    fn params_are_checked() {
        let bad = SegmentParams {
            on_threshold: 0.3,
            off_threshold: 0.5,
            ..SegmentParams::default()
        };
        assert!(Segmenter::new(bad).is_err());
        let bad = FusionParams {
            webrtc_mode: 4,
            ..FusionParams::default()
        };
        assert!(bad.validate().is_err());
        assert_eq!(CHUNK_MS, 32);
    }
}
