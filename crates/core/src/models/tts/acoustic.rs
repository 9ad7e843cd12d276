//! hibari's acoustic model through ONNX Runtime: phoneme ids in, spectral parts and F0 out.

use std::collections::HashMap;

use ort::value::TensorRef;

use super::TtsError;
use super::vocoder::{BINS, Frames};
use crate::models::runtime::Model;

/// The phoneme alphabet: one id per character of a misaki phoneme string.
#[derive(Debug, Clone)]
pub struct Vocab {
    ids: HashMap<char, i64>,
}

impl Vocab {
    /// Parses `vocab.json` (`{"ə": 83, ...}`).
    pub fn from_json(text: &str) -> Result<Self, TtsError> {
        let raw: HashMap<String, i64> =
            serde_json::from_str(text).map_err(|e| TtsError::Asset(format!("vocab.json: {e}")))?;
        let mut ids = HashMap::with_capacity(raw.len());
        for (k, v) in raw {
            let mut chars = k.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => {
                    ids.insert(c, v);
                }
                _ => {
                    return Err(TtsError::Asset(format!(
                        "vocab.json: key {k:?} is not one character"
                    )));
                }
            }
        }
        Ok(Self { ids })
    }

    /// Ids for a phoneme string with the 0 pad at both ends; unknown characters are skipped.
    pub fn encode(&self, phonemes: &str) -> Vec<i64> {
        let mut out = Vec::with_capacity(phonemes.len() + 2);
        out.push(0);
        out.extend(phonemes.chars().filter_map(|c| self.ids.get(&c).copied()));
        out.push(0);
        out
    }

    pub fn contains(&self, c: char) -> bool {
        self.ids.contains_key(&c)
    }
}

/// The loaded acoustic model.
#[derive(Debug)]
pub struct Acoustic {
    model: Model,
}

const OUTPUTS: [&str; 6] = ["lh", "theta", "ln", "lr", "phi", "f0"];

impl Acoustic {
    /// Wraps a session after checking its inputs and outputs.
    pub fn new(model: Model) -> Result<Self, TtsError> {
        let inputs: Vec<&str> = model.session.inputs().iter().map(|o| o.name()).collect();
        if inputs != ["ids", "speed"] {
            return Err(TtsError::Signature(format!(
                "inputs {inputs:?}, expected [\"ids\", \"speed\"]"
            )));
        }
        let outputs: Vec<&str> = model.session.outputs().iter().map(|o| o.name()).collect();
        if let Some(missing) = OUTPUTS.iter().find(|o| !outputs.contains(o)) {
            return Err(TtsError::Signature(format!(
                "outputs {outputs:?} lack {missing:?}"
            )));
        }
        Ok(Self { model })
    }

    pub fn provider(&self) -> crate::config::ExecutionProvider {
        self.model.provider
    }

    /// Runs the model on padded ids. `speed` divides the durations (1.0 = as trained).
    pub fn run(&mut self, ids: &[i64], speed: f32) -> Result<Frames, TtsError> {
        let speed = [speed];
        let outputs = self.model.session.run(ort::inputs![
            TensorRef::from_array_view(([1usize, ids.len()], ids))?,
            TensorRef::from_array_view(([1usize], speed.as_slice()))?,
        ])?;
        let (shape, f0) = outputs["f0"].try_extract_tensor::<f32>()?;
        let frames = shape.last().copied().unwrap_or(0).max(0) as usize;
        let take = |name: &str| -> Result<Vec<f32>, TtsError> {
            let (shape, data) = outputs[name].try_extract_tensor::<f32>()?;
            if data.len() != BINS * frames {
                return Err(TtsError::Signature(format!(
                    "`{name}` has shape {shape:?}, expected [1, {BINS}, {frames}]"
                )));
            }
            Ok(data.to_vec())
        };
        Ok(Frames {
            frames,
            lh: take("lh")?,
            theta: take("theta")?,
            ln: take("ln")?,
            lr: take("lr")?,
            phi: take("phi")?,
            f0: f0.to_vec(),
        })
    }
}
