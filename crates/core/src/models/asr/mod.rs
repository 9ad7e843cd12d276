//! Speech to text: Whisper tiny.en in ONNX (converted at fetch time, see `models::derive`),
//! greedy decoding that reproduces CTranslate2's tokens, no timestamps, with a guard against
//! decoder loops that lets people repeat themselves.
//!
//! The encoder turns a window of log-mel features into the cross-attention keys and values of
//! every decoder layer, once per window; the decoder then runs one token per step with its
//! self-attention cache.

pub mod embeddings;
mod loops;
pub mod tokenizer;
#[cfg(test)]
mod window_experiment;

use std::path::{Path, PathBuf};

use ndarray::{Array3, Array5, ArrayView3, Ix5};
use ort::value::TensorRef;

use super::cache::{CacheError, ModelCache};
use super::derive::{
    WHISPER_DECODER_FP32, WHISPER_DECODER_INT8, WHISPER_ENCODER_FP32, WHISPER_ENCODER_INT8,
    WHISPER_TOKEN_EMBEDDINGS, WHISPER_TOKENIZER,
};
use super::manifest::Manifest;
use super::mel::{HOP_LENGTH, MelFrontEnd, N_MELS, SAMPLE_RATE_HZ};
use super::runtime::{Model, Runtime, RuntimeError};
use crate::config::ExecutionProvider;
pub use embeddings::{EmbeddingsError, TokenEmbeddings};
use loops::{first_round, implausible, loop_cut, most_words};
pub use tokenizer::{Tokenizer, TokenizerError};

/// Start of transcript.
pub const SOT: u32 = 50257;
/// No timestamps.
pub const NO_TIMESTAMPS: u32 = 50362;
/// End of text.
pub const EOT: u32 = 50256;
/// Feature frames in a full 30 s window.
pub const FULL_WINDOW_FRAMES: usize = 3000;
/// The shortest window a final transcript is decoded in (8 s). On the scenario suites'
/// utterances it hears as well as 15 s at half the encoder's cost (BENCHMARKS.md, "Whisper
/// tiny.en"); shorter ones make tiny.en repeat itself more often ("5 5 5 ..."), and a
/// transcript that loops is redone in 15 s. A 6 s floor (plus 0.5 s of margin) was tried and
/// not kept: 18 % cheaper finals, the same word error, but less sure of them in the loop
/// (BENCHMARKS.md, "A final that does not wait").
pub const MIN_WINDOW_FRAMES: usize = 800;
/// The shortest window of a streaming partial (4 s), never redone: the encoder's cost is set
/// by the window, not by the speech in it (237 ms at 8 s, 109 ms at 4 s on a Zen 1 core), and
/// partials are most of the recognizer's calls. On the development suite's prefixes: 223 ms a
/// call against 314, word error 44.8 % against 44.9 % (BENCHMARKS.md, "A slower machine").
pub const PARTIAL_MIN_WINDOW_FRAMES: usize = 400;
/// Silence after a partial's audio in its window (0.5 s), so its last words are not at the
/// window's edge.
pub const PARTIAL_MARGIN_FRAMES: usize = 50;
/// The window a transcript that the short one got wrong in an obvious way is redone in (15 s):
/// a phrase said twice in a row, or more words than the audio can hold.
const RETRY_WINDOW_FRAMES: usize = 1500;
/// Transcripts redone in the retry window, for experiments.
#[cfg(test)]
pub(crate) static RETRIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// Decoder positions available (448) minus the prompt.
const MAX_NEW_TOKENS: usize = 440;
/// Tokens decoded per word the audio can hold ([`most_words`]), plus [`TOKEN_BUDGET_SLACK`]: a
/// word is one to three tokens with its punctuation, so only a runaway decode that neither ends
/// nor loops reaches it (a partial in the development suite ran ~3.5 s to the last position, the
/// final queued behind it, and the loop answered the partial's words). Reaching it counts as a
/// loop.
const TOKENS_PER_WORD: usize = 4;
const TOKEN_BUDGET_SLACK: usize = 8;
const LAYERS: usize = 4;
const HEADS: usize = 6;
const HEAD_DIM: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum AsrError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    #[error(transparent)]
    Embeddings(#[from] EmbeddingsError),
    #[error("Whisper decoding config {path} is unreadable: {message}")]
    Config { path: PathBuf, message: String },
    #[error("Whisper inference failed: {0}")]
    Inference(String),
    /// The caller's `keep_going` said stop (a newer job replaced this one).
    #[error("transcription cancelled")]
    Cancelled,
}

fn inference(e: impl std::fmt::Display) -> AsrError {
    AsrError::Inference(e.to_string())
}

/// Which weights to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// Dynamic int8 (per-channel): ~3x smaller and ~2x faster, same words on our test speech.
    #[default]
    Int8,
    Fp32,
}

/// One recognized word with an estimated time span (from character share of the speech span;
/// Whisper runs without timestamps).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Word {
    pub text: String,
    pub start_ms: u32,
    pub end_ms: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Transcript {
    pub text: String,
    pub tokens: Vec<u32>,
    pub words: Vec<Word>,
    /// The decoder stopped on the repetition guard or its token budget rather than
    /// end-of-text.
    pub repetition_stopped: bool,
    /// The mean log-probability of the chosen tokens and the end of text (Whisper's
    /// `avg_logprob`): how sure the decoder was of these words. 0 when nothing was decoded.
    pub avg_logprob: f32,
}

/// Whisper tiny.en, loaded.
#[derive(Debug)]
pub struct Whisper {
    precision: Precision,
    encoder: Model,
    decoder: Model,
    /// The int8 decoder's token embeddings (it takes `embeds`); the fp32 decoder looks its
    /// tokens up itself (`tokens`).
    embeddings: Option<TokenEmbeddings>,
    tokenizer: Tokenizer,
    /// Suppressed at every step (`suppress_ids`), plus every id >= [`NO_TIMESTAMPS`].
    suppress: Vec<u32>,
    /// Suppressed on the first step only (`suppress_ids_begin`).
    suppress_begin: Vec<u32>,
    mel: MelFrontEnd,
    features: Vec<f32>,
}

#[derive(serde::Deserialize)]
struct DecodeConfig {
    suppress_ids: Vec<u32>,
    suppress_ids_begin: Vec<u32>,
}

impl Whisper {
    /// Loads the converted models (hash-checked) on the runtime's configured provider.
    pub fn load(
        rt: &Runtime,
        cache: &ModelCache,
        manifest: &Manifest,
        precision: Precision,
        intra_threads: usize,
    ) -> Result<Self, AsrError> {
        Self::load_on(rt, cache, manifest, precision, intra_threads, rt.requested)
    }

    /// The precision that runs fastest where the sessions land: fp32 on a GPU provider (on an
    /// H200, one 8 s transcription took 30 ms in fp32 against 99 ms in int8, whose quantizing
    /// nodes stay on the CPU; BENCHMARKS.md, "GPU"), int8 on the CPU. Falls back to int8 when
    /// the fp32 models are missing or their sessions landed on the CPU.
    pub fn load_fastest(
        rt: &Runtime,
        cache: &ModelCache,
        manifest: &Manifest,
        intra_threads: usize,
    ) -> Result<Self, AsrError> {
        if rt.gpu_build && rt.requested != ExecutionProvider::Cpu {
            match Self::load(rt, cache, manifest, Precision::Fp32, intra_threads) {
                Ok(w) if w.providers() != (ExecutionProvider::Cpu, ExecutionProvider::Cpu) => {
                    tracing::info!(providers = ?w.providers(), "Whisper in fp32 on the GPU");
                    return Ok(w);
                }
                Ok(_) => tracing::info!("Whisper fp32 landed on the CPU; using int8 there"),
                Err(e) => tracing::warn!("Whisper fp32 unavailable ({e}); using int8"),
            }
        }
        Self::load(rt, cache, manifest, Precision::Int8, intra_threads)
    }

    /// Like [`Whisper::load`], on `provider` (falling back to CPU as the runtime does).
    pub fn load_on(
        rt: &Runtime,
        cache: &ModelCache,
        manifest: &Manifest,
        precision: Precision,
        intra_threads: usize,
        provider: ExecutionProvider,
    ) -> Result<Self, AsrError> {
        let (enc, dec) = match precision {
            Precision::Int8 => (WHISPER_ENCODER_INT8, WHISPER_DECODER_INT8),
            Precision::Fp32 => (WHISPER_ENCODER_FP32, WHISPER_DECODER_FP32),
        };
        let encoder = rt.load_with(
            &cache.verified_path(manifest, enc)?,
            "whisper-encoder",
            intra_threads,
            provider,
        )?;
        let decoder = rt.load_with(
            &cache.verified_path(manifest, dec)?,
            "whisper-decoder",
            intra_threads,
            provider,
        )?;
        let embeddings = match precision {
            Precision::Int8 => Some(TokenEmbeddings::open(
                &cache.verified_path(manifest, WHISPER_TOKEN_EMBEDDINGS)?,
            )?),
            Precision::Fp32 => None,
        };
        let tokenizer = Tokenizer::load(&cache.verified_path(manifest, WHISPER_TOKENIZER)?)?;
        let config_path = cache.verified_path(manifest, "whisper-tiny.en-ct2/config.json")?;
        let config = read_config(&config_path)?;
        Ok(Self {
            precision,
            encoder,
            decoder,
            embeddings,
            tokenizer,
            suppress: sorted_unique(config.suppress_ids),
            suppress_begin: sorted_unique(config.suppress_ids_begin),
            mel: MelFrontEnd::new(),
            features: vec![0.0; N_MELS * FULL_WINDOW_FRAMES],
        })
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The weights loaded.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The execution providers the encoder and the decoder run on.
    pub fn providers(&self) -> (ExecutionProvider, ExecutionProvider) {
        (self.encoder.provider, self.decoder.provider)
    }

    /// Transcribes 16 kHz mono audio of any length: 30 s windows, one after the other.
    pub fn transcribe(&mut self, audio: &[f32]) -> Result<Transcript, AsrError> {
        let window = FULL_WINDOW_FRAMES * HOP_LENGTH;
        if audio.len() <= window {
            return self.transcribe_window(audio, FULL_WINDOW_FRAMES, &|| true);
        }
        let mut all = Transcript {
            text: String::new(),
            tokens: Vec::new(),
            words: Vec::new(),
            repetition_stopped: false,
            avg_logprob: 0.0,
        };
        let (mut logprob_sum, mut steps) = (0.0f64, 0usize);
        for (i, chunk) in audio.chunks(window).enumerate() {
            let offset_ms = (i * window * 1000 / SAMPLE_RATE_HZ as usize) as u32;
            let t = self.transcribe_window(chunk, FULL_WINDOW_FRAMES, &|| true)?;
            all.tokens.extend(&t.tokens);
            all.words.extend(t.words.into_iter().map(|w| Word {
                start_ms: w.start_ms + offset_ms,
                end_ms: w.end_ms + offset_ms,
                ..w
            }));
            all.repetition_stopped |= t.repetition_stopped;
            let n = t.tokens.len() + 1;
            logprob_sum += f64::from(t.avg_logprob) * n as f64;
            steps += n;
        }
        all.text = self.tokenizer.decode(&all.tokens).trim().to_owned();
        all.avg_logprob = (logprob_sum / steps.max(1) as f64) as f32;
        Ok(all)
    }

    /// The window of a final transcript of `samples` of audio: the audio, at least
    /// [`MIN_WINDOW_FRAMES`], at most [`FULL_WINDOW_FRAMES`].
    pub fn window_frames(samples: usize) -> usize {
        (samples / HOP_LENGTH + 1).clamp(MIN_WINDOW_FRAMES, FULL_WINDOW_FRAMES)
    }

    /// A streaming partial of `audio` (the utterance so far), in one pass: a window of the
    /// audio plus [`PARTIAL_MARGIN_FRAMES`], at least [`PARTIAL_MIN_WINDOW_FRAMES`]; a looped
    /// transcript is cut at its first round and to the words its audio can hold
    /// ([`first_round`]) instead of redone (a final is redone in 15 s).
    /// `keep_going` is asked between the encoder and every decoder step; when it says stop, the
    /// call ends with [`AsrError::Cancelled`] (the loop's final replaces a partial in flight).
    pub fn transcribe_partial(
        &mut self,
        audio: &[f32],
        keep_going: &dyn Fn() -> bool,
    ) -> Result<Transcript, AsrError> {
        self.transcribe_partial_from(
            audio,
            PARTIAL_MIN_WINDOW_FRAMES,
            PARTIAL_MARGIN_FRAMES,
            keep_going,
        )
    }

    /// [`Self::transcribe_partial`] with another window (experiments).
    pub(crate) fn transcribe_partial_from(
        &mut self,
        audio: &[f32],
        min_frames: usize,
        margin_frames: usize,
        keep_going: &dyn Fn() -> bool,
    ) -> Result<Transcript, AsrError> {
        let frames = (audio.len() / HOP_LENGTH + margin_frames)
            .clamp(min_frames, FULL_WINDOW_FRAMES)
            .next_multiple_of(2);
        let mut t = self.transcribe_frames(audio, frames, keep_going)?;
        let heard = audio.len().min(frames * HOP_LENGTH);
        if t.repetition_stopped || implausible(&t.text, heard) {
            let text = first_round(&t.text, heard);
            let heard_ms = (heard * 1000 / SAMPLE_RATE_HZ as usize) as u32;
            t.words = estimate_word_times(
                &text,
                speech_span_ms(&audio[..heard]).unwrap_or((0, heard_ms)),
            );
            t.text = text;
        }
        Ok(t)
    }

    /// Transcribes up to one window of audio; the features are zero-padded to `window_frames`
    /// (at least [`MIN_WINDOW_FRAMES`], at most [`FULL_WINDOW_FRAMES`], rounded up to even).
    /// A window shorter than 15 s whose transcript looks looped is decoded again in 15 s.
    /// `keep_going` as in [`Self::transcribe_partial`].
    pub fn transcribe_window(
        &mut self,
        audio: &[f32],
        window_frames: usize,
        keep_going: &dyn Fn() -> bool,
    ) -> Result<Transcript, AsrError> {
        self.transcribe_window_from(
            audio,
            window_frames,
            MIN_WINDOW_FRAMES,
            RETRY_WINDOW_FRAMES,
            keep_going,
        )
    }

    /// [`Self::transcribe_window`] with another shortest window (experiments).
    pub(crate) fn transcribe_window_from(
        &mut self,
        audio: &[f32],
        window_frames: usize,
        min_frames: usize,
        retry_frames: usize,
        keep_going: &dyn Fn() -> bool,
    ) -> Result<Transcript, AsrError> {
        let frames = window_frames
            .clamp(min_frames, FULL_WINDOW_FRAMES)
            .next_multiple_of(2);
        let t = self.transcribe_frames(audio, frames, keep_going)?;
        let heard = audio.len().min(frames * HOP_LENGTH);
        if frames < retry_frames && (t.repetition_stopped || implausible(&t.text, heard)) {
            #[cfg(test)]
            RETRIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if !keep_going() {
                return Err(AsrError::Cancelled);
            }
            return self.transcribe_frames(audio, retry_frames, keep_going);
        }
        Ok(t)
    }

    fn transcribe_frames(
        &mut self,
        audio: &[f32],
        frames: usize,
        keep_going: &dyn Fn() -> bool,
    ) -> Result<Transcript, AsrError> {
        let audio = &audio[..audio.len().min(frames * HOP_LENGTH)];
        let budget = TOKENS_PER_WORD * most_words(audio.len()) + TOKEN_BUDGET_SLACK;
        let feats = &mut self.features[..N_MELS * frames];
        feats.fill(0.0);
        let used = self.mel.features_into(audio, feats, frames);
        let (cross_k, cross_v) = self.encode(frames)?;
        let (tokens, repetition_stopped, avg_logprob) =
            self.decode(&cross_k, &cross_v, budget, keep_going)?;
        let text = self.tokenizer.decode(&tokens).trim().to_owned();
        let speech_ms = (used * HOP_LENGTH * 1000 / SAMPLE_RATE_HZ as usize) as u32;
        let words = estimate_word_times(&text, speech_span_ms(audio).unwrap_or((0, speech_ms)));
        Ok(Transcript {
            text,
            tokens,
            words,
            repetition_stopped,
            avg_logprob,
        })
    }

    fn encode(&mut self, frames: usize) -> Result<(Array5<f32>, Array5<f32>), AsrError> {
        let mel = ArrayView3::from_shape((1, N_MELS, frames), &self.features[..N_MELS * frames])
            .map_err(inference)?;
        let outputs = self
            .encoder
            .session
            .run(ort::inputs!["mel" => TensorRef::from_array_view(mel).map_err(inference)?])
            .map_err(inference)?;
        let take = |name: &str| -> Result<Array5<f32>, AsrError> {
            outputs[name]
                .try_extract_array::<f32>()
                .map_err(inference)?
                .to_owned()
                .into_dimensionality::<Ix5>()
                .map_err(inference)
        };
        Ok((take("cross_k")?, take("cross_v")?))
    }

    fn decode(
        &mut self,
        cross_k: &Array5<f32>,
        cross_v: &Array5<f32>,
        max_tokens: usize,
        keep_going: &dyn Fn() -> bool,
    ) -> Result<(Vec<u32>, bool, f32), AsrError> {
        let mut self_k = Array5::<f32>::zeros((LAYERS, 1, HEADS, 0, HEAD_DIM));
        let mut self_v = self_k.clone();
        let mut step_tokens: Vec<i64> = vec![SOT as i64, NO_TIMESTAMPS as i64];
        let mut embeds: Vec<f32> = Vec::new();
        let mut out: Vec<u32> = Vec::new();
        let mut offset = 0i64;
        let mut logprobs = 0.0f64;
        let mean = |sum: f64, steps: usize| (sum / steps.max(1) as f64) as f32;
        let max_tokens = max_tokens.min(MAX_NEW_TOKENS);
        for step in 0..max_tokens {
            if !keep_going() {
                return Err(AsrError::Cancelled);
            }
            let n = step_tokens.len();
            // The new tokens: their embeddings for the int8 graph, their ids for the fp32 one.
            let (input, tensor) = match self.embeddings.as_mut() {
                Some(table) => {
                    embeds.clear();
                    table.lookup(&step_tokens, &mut embeds)?;
                    let view =
                        ndarray::ArrayView3::from_shape((1, n, embeddings::D_MODEL), &embeds)
                            .map_err(inference)?;
                    (
                        "embeds",
                        TensorRef::from_array_view(view)
                            .map_err(inference)?
                            .into_dyn(),
                    )
                }
                None => {
                    let view =
                        ndarray::ArrayView2::from_shape((1, n), &step_tokens).map_err(inference)?;
                    (
                        "tokens",
                        TensorRef::from_array_view(view)
                            .map_err(inference)?
                            .into_dyn(),
                    )
                }
            };
            let offset_arr = ndarray::arr0(offset);
            let outputs = self
                .decoder
                .session
                .run(ort::inputs![
                    input => tensor,
                    "self_k" => TensorRef::from_array_view(self_k.view()).map_err(inference)?,
                    "self_v" => TensorRef::from_array_view(self_v.view()).map_err(inference)?,
                    "cross_k" => TensorRef::from_array_view(cross_k.view()).map_err(inference)?,
                    "cross_v" => TensorRef::from_array_view(cross_v.view()).map_err(inference)?,
                    "offset" => TensorRef::from_array_view(offset_arr.view()).map_err(inference)?,
                ])
                .map_err(inference)?;
            let logits = outputs["logits"]
                .try_extract_array::<f32>()
                .map_err(inference)?;
            let logits: Array3<f32> = logits.to_owned().into_dimensionality().map_err(inference)?;
            let last = logits.shape()[1] - 1;
            let row = logits.slice(ndarray::s![0, last, ..]);
            let row = row
                .as_slice()
                .ok_or_else(|| inference("logits not contiguous"))?;
            let (next, logprob) = pick(row, &self.suppress, &self.suppress_begin, step == 0);
            logprobs += f64::from(logprob);
            self_k = outputs["self_k_out"]
                .try_extract_array::<f32>()
                .map_err(inference)?
                .to_owned()
                .into_dimensionality()
                .map_err(inference)?;
            self_v = outputs["self_v_out"]
                .try_extract_array::<f32>()
                .map_err(inference)?
                .to_owned()
                .into_dimensionality()
                .map_err(inference)?;
            offset += step_tokens.len() as i64;
            if next == EOT {
                return Ok((out, false, mean(logprobs, step + 1)));
            }
            out.push(next);
            if let Some(keep) = loop_cut(&out) {
                out.truncate(keep);
                return Ok((out, true, mean(logprobs, step + 1)));
            }
            step_tokens.clear();
            step_tokens.push(next as i64);
        }
        // Out of budget (or of positions): cut short, as a loop is.
        Ok((out, true, mean(logprobs, max_tokens)))
    }
}

fn sorted_unique(mut ids: Vec<u32>) -> Vec<u32> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Greedy choice with the suppression rules of CTranslate2's Whisper decoding: `suppress` at
/// every step, `suppress_begin` on the first, and every id from [`NO_TIMESTAMPS`] up. Returns
/// the token and its log-probability among the tokens allowed at this step.
fn pick(logits: &[f32], suppress: &[u32], suppress_begin: &[u32], first: bool) -> (u32, f32) {
    let banned = |id: u32| {
        id >= NO_TIMESTAMPS || suppress.contains(&id) || (first && suppress_begin.contains(&id))
    };
    let allowed = &logits[..logits.len().min(NO_TIMESTAMPS as usize)];
    let mut best = (EOT, f32::NEG_INFINITY);
    for (id, &l) in allowed.iter().enumerate() {
        let id = id as u32;
        if l > best.1 && !banned(id) {
            best = (id, l);
        }
    }
    if !best.1.is_finite() {
        return (best.0, f32::NEG_INFINITY);
    }
    // log-softmax of the chosen logit over the allowed ones: the sum over every id below
    // NO_TIMESTAMPS, less the suppressed ones (a few dozen, each counted once).
    let weight = |id: u32| {
        allowed
            .get(id as usize)
            .map_or(0.0, |&l| f64::from(l - best.1).exp())
    };
    let all: f64 = allowed.iter().map(|&l| f64::from(l - best.1).exp()).sum();
    let mut banned_sum: f64 = suppress.iter().map(|&id| weight(id)).sum();
    if first {
        banned_sum += suppress_begin
            .iter()
            .filter(|id| !suppress.contains(id))
            .map(|&id| weight(id))
            .sum::<f64>();
    }
    let total = (all - banned_sum).max(1.0);
    (best.0, -(total.ln() as f32))
}

fn read_config(path: &Path) -> Result<DecodeConfig, AsrError> {
    let bytes = std::fs::read(path).map_err(|e| AsrError::Config {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| AsrError::Config {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// First and last 10 ms frame whose energy is within 40 dB of the loudest: the speech span.
fn speech_span_ms(audio: &[f32]) -> Option<(u32, u32)> {
    let frame = (SAMPLE_RATE_HZ / 100) as usize;
    let energies: Vec<f32> = audio
        .chunks(frame)
        .map(|c| c.iter().map(|s| s * s).sum::<f32>() / c.len() as f32)
        .collect();
    let max = energies.iter().copied().fold(0.0, f32::max);
    if max <= 1e-10 {
        return None;
    }
    let thr = max * 1e-4;
    let first = energies.iter().position(|&e| e >= thr)?;
    let last = energies.iter().rposition(|&e| e >= thr)?;
    Some((first as u32 * 10, (last as u32 + 1) * 10))
}

/// Spreads the speech span over the words in proportion to their length (plus one for the gap).
pub fn estimate_word_times(text: &str, (start_ms, end_ms): (u32, u32)) -> Vec<Word> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let weight = |w: &str| w.chars().filter(|c| c.is_alphanumeric()).count().max(1) as f64 + 1.0;
    let total: f64 = words.iter().map(|w| weight(w)).sum();
    let span = end_ms.saturating_sub(start_ms) as f64;
    let mut t = start_ms as f64;
    words
        .into_iter()
        .map(|w| {
            let d = span * weight(w) / total;
            let word = Word {
                text: w.to_owned(),
                start_ms: t.round() as u32,
                end_ms: (t + d).round() as u32,
            };
            t += d;
            word
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chosen_tokens_log_probability_leaves_out_the_suppressed() {
        let l3 = 3f32.ln();
        // Id 2 would win but is suppressed; id 1 wins among ids 0, 1, 3 (weights 1/3, 1, 1/3).
        let logits = [0.0, l3, 9.0, 0.0];
        let (id, lp) = pick(&logits, &[2], &[], false);
        assert_eq!(id, 1);
        assert!((lp - -(5f32 / 3.0).ln()).abs() < 1e-6, "{lp}");
        // On the first step id 1 is suppressed too; id 0 and 3 tie, the first wins.
        let (id, lp) = pick(&logits, &[2], &[1, 2], true);
        assert_eq!(id, 0);
        assert!((lp - -(2f32).ln()).abs() < 1e-6, "{lp}");
        // Nothing allowed: end of text, impossible.
        assert_eq!(pick(&[1.0], &[0], &[], false), (EOT, f32::NEG_INFINITY));
    }

    /// A short utterance gets the shortest window; a longer one its own length; nothing gets
    /// more than 30 s.
    #[test]
    fn the_window_follows_the_audio() {
        let frames = |seconds: f32| Whisper::window_frames((seconds * 16_000.0) as usize);
        assert_eq!(frames(0.0), MIN_WINDOW_FRAMES);
        assert_eq!(frames(1.5), MIN_WINDOW_FRAMES);
        assert_eq!(frames(5.0), MIN_WINDOW_FRAMES);
        assert_eq!(frames(12.0), 1201);
        assert_eq!(frames(29.9), 2991);
        assert_eq!(frames(45.0), FULL_WINDOW_FRAMES);
        let mut last = 0;
        for ms in (0..40_000).step_by(10) {
            let f = Whisper::window_frames(ms * 16);
            assert!(
                f >= last && f > ms / 10 || f == FULL_WINDOW_FRAMES,
                "{ms} ms: {f}"
            );
            last = f;
        }
    }

    #[test]
    fn word_times_cover_the_span_in_order() {
        let w = estimate_word_times("go forward ten meters", (500, 2500));
        assert_eq!(w.len(), 4);
        assert_eq!(w[0].start_ms, 500);
        assert_eq!(w[3].end_ms, 2500);
        assert!(w.windows(2).all(|p| p[0].end_ms == p[1].start_ms));
        assert!(w[1].end_ms - w[1].start_ms > w[2].end_ms - w[2].start_ms);
    }
}
