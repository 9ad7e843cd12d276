//! Who is speaking: the Resemblyzer voice encoder (Apache-2.0), converted at fetch time from its
//! PyTorch checkpoint to ONNX by `models/convert_voice_encoder.py`, with the mel front end in
//! the graph.
//!
//! Interface: `audio` f32 [n, 25 600] (1.6 s windows of 16 kHz audio) -> `embedding` f32
//! [n, 256], unit length. A run of speech is levelled to -30 dBFS (the level the encoder was
//! trained at), cut into windows every 0.77 s (zero-padded when shorter than one), and the
//! windows' embeddings are averaged and normalised: one [`Embedding`] per run. Cosine similarity
//! between embeddings of one voice sits around 0.6-0.9 on our voices, between two voices
//! around 0.4-0.5 (BENCHMARKS.md, "Who is speaking").

use ort::value::TensorRef;

use super::Manifest;
use super::cache::{CacheError, ModelCache};
use super::derive::VOICE_ENCODER;
use super::runtime::{Model, Runtime, RuntimeError};
use crate::config::ExecutionProvider;

/// One window: 160 frames of 10 ms.
pub const WINDOW_SAMPLES: usize = 25_600;
/// Windows overlap: one starts every 0.77 s (1.3 windows a second).
const STEP_SAMPLES: usize = 12_320;
/// A run's tail shorter than this part of a window gets no window of its own.
const MIN_TAIL: usize = WINDOW_SAMPLES / 4;
/// At most this many windows per run (the last ones: the most recent ~5 s).
const MAX_WINDOWS: usize = 6;
pub const EMBEDDING_DIM: usize = 256;
/// The level the encoder expects: -30 dBFS.
const TARGET_RMS: f32 = 0.031_622_775;
/// Quieter than this (-70 dBFS) is no voice to embed.
const SILENT_RMS: f32 = 3.2e-4;

#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("{VOICE_ENCODER} does not have the expected inputs/outputs: {0}")]
    Signature(String),
    #[error("voice encoder inference failed: {0}")]
    Inference(#[from] ort::Error),
}

/// A speaker embedding: unit length.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding(Vec<f32>);

impl Embedding {
    /// Cosine similarity (both are unit vectors): 1 for the same direction.
    pub fn similarity(&self, other: &Embedding) -> f32 {
        self.0.iter().zip(&other.0).map(|(a, b)| a * b).sum()
    }

    pub fn from_vec(mut v: Vec<f32>) -> Option<Self> {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if !norm.is_finite() || norm <= 1e-6 {
            return None;
        }
        v.iter_mut().for_each(|x| *x /= norm);
        Some(Self(v))
    }
}

/// A voice learned from runs of speech: the mean of their embeddings, weighted by each run's
/// length, and how much speech it has heard.
#[derive(Debug, Clone, Default)]
pub struct VoiceProfile {
    sum: Vec<f32>,
    speech_ms: u64,
}

impl VoiceProfile {
    /// Speech learned so far (ms).
    pub fn speech_ms(&self) -> u64 {
        self.speech_ms
    }

    pub fn enroll(&mut self, e: &Embedding, speech_ms: u64) {
        if self.sum.is_empty() {
            self.sum = vec![0.0; e.0.len()];
        }
        let w = speech_ms as f32 / 1000.0;
        self.sum.iter_mut().zip(&e.0).for_each(|(s, x)| *s += w * x);
        self.speech_ms += speech_ms;
    }

    /// How like this voice `e` is (`None` before any speech is learned).
    pub fn similarity(&self, e: &Embedding) -> Option<f32> {
        let centroid = Embedding::from_vec(self.sum.clone())?;
        Some(centroid.similarity(e))
    }
}

/// The encoder with its input buffer.
#[derive(Debug)]
pub struct VoiceEncoder {
    model: Model,
    batch: Vec<f32>,
}

impl VoiceEncoder {
    /// Loads the verified model from the cache.
    pub fn load(
        runtime: &Runtime,
        cache: &ModelCache,
        manifest: &Manifest,
        intra_threads: usize,
    ) -> Result<Self, VoiceError> {
        Self::load_on(runtime, cache, manifest, intra_threads, runtime.requested)
    }

    /// Like [`VoiceEncoder::load`], on `provider` (falling back to CPU as the runtime does).
    pub fn load_on(
        runtime: &Runtime,
        cache: &ModelCache,
        manifest: &Manifest,
        intra_threads: usize,
        provider: ExecutionProvider,
    ) -> Result<Self, VoiceError> {
        let path = cache.verified_path(manifest, VOICE_ENCODER)?;
        let model = runtime.load_with(&path, "voice_encoder", intra_threads, provider)?;
        Self::from_model(model)
    }

    /// The execution provider the session runs on.
    pub fn provider(&self) -> ExecutionProvider {
        self.model.provider
    }

    pub fn from_model(model: Model) -> Result<Self, VoiceError> {
        let inputs: Vec<&str> = model.session.inputs().iter().map(|o| o.name()).collect();
        let outputs: Vec<&str> = model.session.outputs().iter().map(|o| o.name()).collect();
        if inputs != ["audio"] || !outputs.contains(&"embedding") {
            return Err(VoiceError::Signature(format!(
                "inputs {inputs:?} and outputs {outputs:?}, expected [\"audio\"] and \"embedding\""
            )));
        }
        Ok(Self {
            model,
            batch: Vec::with_capacity(MAX_WINDOWS * WINDOW_SAMPLES),
        })
    }

    /// The embedding of one run of speech (16 kHz mono), or `None` when it is silent.
    pub fn embed(&mut self, audio: &[f32]) -> Result<Option<Embedding>, VoiceError> {
        let rms = crate::audio::rms(audio);
        if audio.is_empty() || !rms.is_finite() || rms < SILENT_RMS {
            return Ok(None);
        }
        let gain = TARGET_RMS / rms;
        let starts = window_starts(audio.len());
        self.batch.clear();
        for &start in &starts {
            let end = (start + WINDOW_SAMPLES).min(audio.len());
            self.batch.extend(
                audio[start..end]
                    .iter()
                    .map(|x| (x * gain).clamp(-1.0, 1.0)),
            );
            self.batch
                .resize(self.batch.len() + WINDOW_SAMPLES - (end - start), 0.0);
        }
        let outputs = self
            .model
            .session
            .run(ort::inputs![TensorRef::from_array_view((
                [starts.len(), WINDOW_SAMPLES],
                self.batch.as_slice()
            ))?])?;
        let (_, flat) = outputs["embedding"].try_extract_tensor::<f32>()?;
        if flat.len() != starts.len() * EMBEDDING_DIM {
            return Err(VoiceError::Signature(format!(
                "{} embedding values for {} windows",
                flat.len(),
                starts.len()
            )));
        }
        let mut mean = vec![0.0f32; EMBEDDING_DIM];
        for row in flat.chunks_exact(EMBEDDING_DIM) {
            mean.iter_mut().zip(row).for_each(|(m, x)| *m += x);
        }
        Ok(Embedding::from_vec(mean))
    }
}

/// Where each window of a run of `len` samples starts (at least one; the last ones when the
/// run is long).
fn window_starts(len: usize) -> Vec<usize> {
    let mut starts: Vec<usize> = (0..)
        .map(|i| i * STEP_SAMPLES)
        .take_while(|&s| s == 0 || s + WINDOW_SAMPLES <= len)
        .collect();
    let covered = starts.last().map_or(0, |s| s + WINDOW_SAMPLES);
    if len > covered && len - covered > MIN_TAIL {
        starts.push(len - WINDOW_SAMPLES);
    }
    let skip = starts.len().saturating_sub(MAX_WINDOWS);
    starts.drain(..skip);
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_a_run_and_keep_the_latest() {
        assert_eq!(window_starts(1000), vec![0]);
        assert_eq!(window_starts(WINDOW_SAMPLES), vec![0]);
        // A tail under a quarter window is left out; a longer one gets a window at the end.
        assert_eq!(window_starts(WINDOW_SAMPLES + 1000), vec![0]);
        assert_eq!(
            window_starts(WINDOW_SAMPLES + 8000),
            vec![0, WINDOW_SAMPLES + 8000 - WINDOW_SAMPLES]
        );
        let long = window_starts(16_000 * 60);
        assert_eq!(long.len(), MAX_WINDOWS);
        assert_eq!(*long.last().unwrap(), 16_000 * 60 - WINDOW_SAMPLES);
    }

    #[test]
    fn a_profile_is_the_mean_direction_of_its_runs() {
        let a = Embedding::from_vec(vec![1.0, 0.0, 0.0]).unwrap();
        let b = Embedding::from_vec(vec![0.0, 1.0, 0.0]).unwrap();
        let mut p = VoiceProfile::default();
        assert_eq!(p.similarity(&a), None);
        p.enroll(&a, 1000);
        assert!((p.similarity(&a).unwrap() - 1.0).abs() < 1e-6);
        p.enroll(&b, 1000);
        let half = std::f32::consts::FRAC_1_SQRT_2;
        assert!((p.similarity(&a).unwrap() - half).abs() < 1e-6);
        // A longer run weighs more.
        p.enroll(&b, 2000);
        assert!(p.similarity(&b).unwrap() > p.similarity(&a).unwrap());
        assert_eq!(p.speech_ms(), 4000);
        assert!(Embedding::from_vec(vec![0.0; 3]).is_none());
        assert!(Embedding::from_vec(vec![f32::NAN; 3]).is_none());
    }
}
