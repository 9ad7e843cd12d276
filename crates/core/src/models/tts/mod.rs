//! Speaking: hibari text-to-speech (Apache-2.0, distilled from Kokoro-82M), in Rust.
//!
//! * [`g2p`] turns text into misaki-style phonemes (normalization, tokenizer, POS tagger,
//!   lexicon with stress and context rules, the OOV net);
//! * [`acoustic`] runs `hibari.onnx` (phoneme ids -> five spectral parts + F0 per 12.5 ms);
//! * [`vocoder`] turns those into 24 kHz audio (harmonic pulse source, STFT/iSTFT);
//! * [`stream`] runs a named `tts` thread that splits text at sentence and clause boundaries,
//!   synthesizes ahead of playback and drops pending work on `stop`;
//! * [`phrases`] holds backchannels and acknowledgements synthesized once at startup.
//!
//! Loading: [`Tts::load`] with the process runtime, the model cache and the manifest; every
//! asset is opened through [`ModelCache::verified_path`] (sha256 checked).

pub mod acoustic;
mod fastmath;
pub mod g2p;
pub mod phrases;
mod split;
pub mod stream;
pub mod vocoder;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use acoustic::{Acoustic, Vocab};
pub use g2p::G2p;
pub use phrases::{Phrase, PhraseCache};
pub use stream::{Speaker, SpeechEvent, StreamConfig, UtteranceId, stream_utterance};
pub use vocoder::{Frames, GaussianNoise, NoiseSource, SAMPLE_RATE_HZ, Silence, Vocoder};

use super::Manifest;
use super::cache::{CacheError, ModelCache};
use super::runtime::{Runtime, RuntimeError};
use crate::config::ExecutionProvider;

/// The acoustic model in the cache.
pub const MODEL_FILE: &str = "hibari/hibari.onnx";
/// The OOV net in the cache.
pub const OOV_FILE: &str = "hibari/oov.onnx";
/// Longest phoneme string the model sees at once; longer sentences are split at clauses.
pub const MAX_PHONEMES: usize = 400;

#[derive(Debug, thiserror::Error)]
pub enum TtsError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("cannot read TTS asset {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("TTS asset is malformed: {0}")]
    Asset(String),
    #[error("{MODEL_FILE} does not have the expected interface: {0}")]
    Signature(String),
    #[error("TTS inference failed: {0}")]
    Inference(#[from] ort::Error),
    #[error("invalid TTS setting: {0}")]
    Params(String),
}

/// How to say something.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthOptions {
    /// Speaking rate: durations are divided by this (0.5..=2.0; 1.0 = as trained).
    pub speed: f32,
    /// Pitch multiplier on the predicted F0 (0.5..=2.0; 1.0 = as predicted).
    pub pitch: f32,
    /// Seed of the noise branch; `None` seeds from the clock.
    pub seed: Option<u64>,
}

impl Default for SynthOptions {
    fn default() -> Self {
        Self {
            speed: 1.0,
            pitch: 1.0,
            seed: None,
        }
    }
}

impl SynthOptions {
    pub fn validate(&self) -> Result<(), TtsError> {
        if !(0.5..=2.0).contains(&self.speed) {
            return Err(TtsError::Params(format!(
                "speed {} is not 0.5-2.0",
                self.speed
            )));
        }
        if !(0.5..=2.0).contains(&self.pitch) {
            return Err(TtsError::Params(format!(
                "pitch {} is not 0.5-2.0",
                self.pitch
            )));
        }
        Ok(())
    }

    fn noise(&self) -> GaussianNoise {
        self.seed
            .map_or_else(GaussianNoise::from_time, GaussianNoise::new)
    }
}

fn read_asset(cache: &ModelCache, manifest: &Manifest, file: &str) -> Result<String, TtsError> {
    let path = cache.verified_path(manifest, file)?;
    read_text(&path)
}

fn read_text(path: &Path) -> Result<String, TtsError> {
    let io = |source| TtsError::Io {
        path: path.to_owned(),
        source,
    };
    let bytes = std::fs::read(path).map_err(io)?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut s = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_string(&mut s)
            .map_err(io)?;
        Ok(s)
    } else {
        String::from_utf8(bytes).map_err(|e| TtsError::Asset(format!("{}: {e}", path.display())))
    }
}

fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, TtsError> {
    serde_json::from_str(text).map_err(|e| TtsError::Asset(format!("{file}: {e}")))
}

/// Loads the G2P pipeline (lexicons, tagger, tables and the OOV net) from the cache.
pub fn load_g2p(
    runtime: &Runtime,
    cache: &ModelCache,
    manifest: &Manifest,
) -> Result<G2p, TtsError> {
    let t0 = Instant::now();
    let json = |file: &str| read_asset(cache, manifest, file);
    let gold: g2p::Dict = parse(
        "lexicon_us_gold.json.gz",
        &json("hibari/lexicon_us_gold.json.gz")?,
    )?;
    let silver: g2p::Dict = parse(
        "lexicon_us_silver.json.gz",
        &json("hibari/lexicon_us_silver.json.gz")?,
    )?;
    let tagger = g2p::Tagger::from_json(&json("hibari/tagger.json.gz")?)
        .map_err(|e| TtsError::Asset(format!("tagger.json.gz: {e}")))?;
    let tables = parse("normalize.json", &json("hibari/normalize.json")?)?;
    let exceptions = parse(
        "tokenizer_exceptions.json",
        &json("hibari/tokenizer_exceptions.json")?,
    )?;
    let oov_path = cache.verified_path(manifest, OOV_FILE)?;
    let oov_model = runtime.load_with(&oov_path, "hibari_oov", 1, ExecutionProvider::Cpu)?;
    let oov = g2p::Oov::new(oov_model, &json("hibari/oov.json")?)?;
    let g2p = G2p::new(
        g2p::G2pAssets {
            gold,
            silver,
            tagger,
            tables,
            exceptions,
        },
        Some(oov),
    )?;
    tracing::debug!(ms = t0.elapsed().as_millis() as u64, "G2P loaded");
    Ok(g2p)
}

/// Text to speech: G2P, acoustic model and vocoder.
#[derive(Debug)]
pub struct Tts {
    pub g2p: G2p,
    acoustic: Acoustic,
    vocab: Vocab,
    vocoder: Vocoder,
    splitter: split::Splitter,
}

impl Tts {
    /// Loads everything from the cache. The acoustic model runs on the CPU with
    /// `intra_threads` threads (it is small: a GPU round trip costs more than it saves).
    pub fn load(
        runtime: &Runtime,
        cache: &ModelCache,
        manifest: &Manifest,
        intra_threads: usize,
    ) -> Result<Self, TtsError> {
        let t0 = Instant::now();
        let path = cache.verified_path(manifest, MODEL_FILE)?;
        let model = runtime.load_with(&path, "hibari", intra_threads, ExecutionProvider::Cpu)?;
        let acoustic = Acoustic::new(model)?;
        let vocab = Vocab::from_json(&read_asset(cache, manifest, "hibari/vocab.json")?)?;
        let g2p = load_g2p(runtime, cache, manifest)?;
        let splitter = split::Splitter::new(g2p.normalizer().titles())?;
        tracing::info!(ms = t0.elapsed().as_millis() as u64, "hibari TTS loaded");
        Ok(Self {
            g2p,
            acoustic,
            vocab,
            vocoder: Vocoder::new(),
            splitter,
        })
    }

    /// Sentences of a text, as the model should see them.
    pub fn split_sentences(&self, text: &str) -> Vec<String> {
        self.splitter.sentences(text)
    }

    /// Phoneme strings, one per sentence (long ones split at clauses to <= 400 characters).
    pub fn phonemize(&mut self, text: &str) -> Result<Vec<String>, TtsError> {
        let mut chunks = Vec::new();
        for sentence in self.split_sentences(text) {
            let ps = self.g2p.phonemize(&sentence)?;
            chunks.extend(split::pack_clauses(&ps, MAX_PHONEMES));
        }
        Ok(chunks)
    }

    /// The acoustic model's outputs for a phoneme string.
    pub fn frames(&mut self, phonemes: &str, speed: f32) -> Result<Frames, TtsError> {
        let ids = self.vocab.encode(phonemes);
        if ids.len() < 3 {
            return Ok(Frames::default());
        }
        self.acoustic.run(&ids, speed)
    }

    /// The waveform for model outputs.
    pub fn vocode(&mut self, frames: &Frames, pitch: f32, noise: &mut dyn NoiseSource) -> Vec<f32> {
        self.vocoder.synthesize(frames, pitch, noise)
    }

    /// Audio (24 kHz mono, in [-1, 1] give or take) for a phoneme string.
    pub fn synthesize_phonemes(
        &mut self,
        phonemes: &str,
        options: &SynthOptions,
    ) -> Result<Vec<f32>, TtsError> {
        options.validate()?;
        let frames = self.frames(phonemes, options.speed)?;
        Ok(self.vocode(&frames, options.pitch, &mut options.noise()))
    }

    /// Audio for a text, all sentences concatenated.
    pub fn synthesize(&mut self, text: &str, options: &SynthOptions) -> Result<Vec<f32>, TtsError> {
        options.validate()?;
        let mut noise = options.noise();
        let mut out = Vec::new();
        for ps in self.phonemize(text)? {
            let frames = self.frames(&ps, options.speed)?;
            out.extend(self.vocode(&frames, options.pitch, &mut noise));
        }
        Ok(out)
    }
}

/// Drops leading and trailing near-silence (below `threshold` absolute amplitude), keeping
/// `margin` samples on each side.
pub fn trim_silence(audio: &[f32], threshold: f32, margin: usize) -> &[f32] {
    let first = audio.iter().position(|x| x.abs() > threshold);
    let last = audio.iter().rposition(|x| x.abs() > threshold);
    match (first, last) {
        (Some(a), Some(b)) => &audio[a.saturating_sub(margin)..(b + 1 + margin).min(audio.len())],
        _ => &audio[..0],
    }
}
