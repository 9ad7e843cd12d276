//! End of turn: smart-turn v3.2 (a Whisper-tiny encoder with a classification head, int8).
//!
//! Pipeline: the last 8 s of 16 kHz audio, left-padded with zeros to 128 000 samples, normalised
//! to zero mean and unit variance (`(x - mean) / sqrt(var + 1e-7)`, over the padded window),
//! then Whisper log-mel features ([`super::mel`]) -> `input_features` [1, 80, 800] -> `logits`
//! [1, 1], which is already a probability that the speaker has finished (> 0.5: complete).
//!
//! Run it when the VAD reports a pause, not on every chunk: one call costs tens of
//! milliseconds. Buffers are allocated once per [`TurnDetector`].

use ort::value::TensorRef;

use super::Manifest;
use super::cache::{CacheError, ModelCache};
use super::mel::{MelFrontEnd, N_MELS};
use super::runtime::{Model, Runtime, RuntimeError};
use crate::config::ExecutionProvider;

/// The model file in the cache.
pub const MODEL_FILE: &str = "smart-turn-v3.2-cpu.onnx";
/// The audio the model sees: 8 s at 16 kHz.
pub const WINDOW_SAMPLES: usize = 128_000;
/// Feature frames for the window.
pub const N_FRAMES: usize = WINDOW_SAMPLES / super::mel::HOP_LENGTH;
/// Above this the turn is complete.
pub const COMPLETE_THRESHOLD: f32 = 0.5;
/// Added to the variance before the square root, as in the reference feature extractor.
const NORM_EPSILON: f64 = 1e-7;

#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("{MODEL_FILE} does not have the expected inputs/outputs: {0}")]
    Signature(String),
    #[error("smart-turn inference failed: {0}")]
    Inference(#[from] ort::Error),
}

/// The end-of-turn model with its preallocated buffers.
#[derive(Debug)]
pub struct TurnDetector {
    model: Model,
    mel: MelFrontEnd,
    window: Vec<f32>,
    features: Vec<f32>,
}

impl TurnDetector {
    /// Loads the verified model from the cache with the configured execution provider.
    pub fn load(
        runtime: &Runtime,
        cache: &ModelCache,
        manifest: &Manifest,
        intra_threads: usize,
    ) -> Result<Self, TurnError> {
        Self::load_on(runtime, cache, manifest, intra_threads, runtime.requested)
    }

    /// Like [`TurnDetector::load`], on `provider` (falling back to CPU as the runtime does).
    pub fn load_on(
        runtime: &Runtime,
        cache: &ModelCache,
        manifest: &Manifest,
        intra_threads: usize,
        provider: ExecutionProvider,
    ) -> Result<Self, TurnError> {
        let path = cache.verified_path(manifest, MODEL_FILE)?;
        let model = runtime.load_with(&path, "smart_turn", intra_threads, provider)?;
        Self::from_model(model)
    }

    /// Wraps a loaded session after checking its signature.
    pub fn from_model(model: Model) -> Result<Self, TurnError> {
        let inputs: Vec<&str> = model.session.inputs().iter().map(|o| o.name()).collect();
        if inputs != ["input_features"] {
            return Err(TurnError::Signature(format!(
                "inputs {inputs:?}, expected [\"input_features\"]"
            )));
        }
        let outputs: Vec<&str> = model.session.outputs().iter().map(|o| o.name()).collect();
        if !outputs.contains(&"logits") {
            return Err(TurnError::Signature(format!(
                "outputs {outputs:?}, expected \"logits\""
            )));
        }
        Ok(Self {
            model,
            mel: MelFrontEnd::new(),
            window: vec![0.0; WINDOW_SAMPLES],
            features: vec![0.0; N_MELS * N_FRAMES],
        })
    }

    /// Probability (0-1) that the speaker has finished, from the end of `audio` (16 kHz mono;
    /// only the last 8 s matter).
    pub fn predict(&mut self, audio: &[f32]) -> Result<f32, TurnError> {
        self.compute_features(audio);
        let outputs = self
            .model
            .session
            .run(ort::inputs![TensorRef::from_array_view((
                [1usize, N_MELS, N_FRAMES],
                self.features.as_slice()
            ))?])?;
        let (_, logits) = outputs["logits"].try_extract_tensor::<f32>()?;
        logits
            .first()
            .copied()
            .ok_or_else(|| TurnError::Signature("`logits` is empty".to_owned()))
    }

    /// The model input for `audio`, row-major [80, 800] (exposed for parity tests).
    pub fn compute_features(&mut self, audio: &[f32]) -> &[f32] {
        prepare_window(audio, &mut self.window);
        self.mel
            .features_into(&self.window, &mut self.features, N_FRAMES);
        &self.features
    }

    /// The execution provider the session runs on.
    pub fn provider(&self) -> ExecutionProvider {
        self.model.provider
    }
}

/// Copies the last [`WINDOW_SAMPLES`] of `audio` into `window`, left-padding with zeros, and
/// normalises the whole window to zero mean and unit variance.
///
/// # Panics
/// If `window` is not [`WINDOW_SAMPLES`] long.
pub fn prepare_window(audio: &[f32], window: &mut [f32]) {
    assert_eq!(window.len(), WINDOW_SAMPLES, "the smart-turn window is 8 s");
    let tail = &audio[audio.len().saturating_sub(WINDOW_SAMPLES)..];
    let pad = WINDOW_SAMPLES - tail.len();
    window[..pad].fill(0.0);
    window[pad..].copy_from_slice(tail);
    let n = WINDOW_SAMPLES as f64;
    let mean = window.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = window
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / n;
    let inv_std = 1.0 / (var + NORM_EPSILON).sqrt();
    for x in window.iter_mut() {
        *x = ((f64::from(*x) - mean) * inv_std) as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_pads_left_and_normalises() {
        let mut w = vec![1.0; WINDOW_SAMPLES];
        let audio: Vec<f32> = (0..16_000).map(|i| (i as f32 * 0.01).sin()).collect();
        prepare_window(&audio, &mut w);
        let mean = w.iter().map(|&x| f64::from(x)).sum::<f64>() / WINDOW_SAMPLES as f64;
        let var = w
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / WINDOW_SAMPLES as f64;
        assert!(
            mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-4,
            "{mean} {var}"
        );
        // The padding is all one value (the normalised zero), the audio sits at the end.
        assert!(w[..112_000].iter().all(|&x| x == w[0]));
        assert_ne!(w[WINDOW_SAMPLES - 1], w[0]);
    }

    #[test]
    fn window_keeps_the_last_eight_seconds() {
        let mut audio = vec![0.0f32; 200_000];
        audio[200_000 - WINDOW_SAMPLES] = 1.0;
        audio[200_000 - WINDOW_SAMPLES - 1] = 100.0; // outside the window: ignored
        let mut w = vec![0.0; WINDOW_SAMPLES];
        prepare_window(&audio, &mut w);
        let peak = w.iter().cloned().fold(f32::MIN, f32::max);
        assert_eq!(w[0], peak);
        // Silence stays finite (the epsilon keeps the division defined).
        prepare_window(&[], &mut w);
        assert!(w.iter().all(|&x| x == 0.0));
    }
}
