//! The floor model: our own small network (trained by `scripts/floor/train.py` on generated
//! episodes; data card `models/floor/DATA_CARD.md`) that reads the last 1.28 s of
//! [`FloorFeatures`](crate::engine::floor_features) rows and says whether the user's turn is
//! complete, whether speech over our voice is a real interruption, and whether speech is
//! addressed to the assistant. It is bundled into the binary (tens of kilobytes) and its bytes
//! are checked against the manifest's pin before ONNX Runtime sees them.

use ort::value::TensorRef;

use super::Manifest;
use super::runtime::{Model, Runtime, RuntimeError};
use crate::engine::floor_features::{
    FEATURE_VERSION, FloorFeatures, N_FEATURES, WINDOW_FRAMES, feature_names,
};
use crate::interaction::FloorProbs;

/// The bundled model's name in the manifest and in `models/floor/`.
pub const MODEL_FILE: &str = "floor/floor.int8.onnx";
/// The model's bytes, compiled in.
pub const MODEL_BYTES: &[u8] = include_bytes!("../../../../models/floor/floor.int8.onnx");

#[derive(Debug, thiserror::Error)]
pub enum FloorError {
    #[error(transparent)]
    Bundled(#[from] super::BundledError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("the floor model does not fit this build: {0}")]
    Signature(String),
    #[error("floor model inference failed: {0}")]
    Inference(#[from] ort::Error),
}

/// The loaded model with its input buffer.
#[derive(Debug)]
pub struct FloorModel {
    model: Model,
    input: Vec<f32>,
}

impl FloorModel {
    /// Checks the bundled bytes against the manifest and loads them on one CPU thread.
    pub fn load(runtime: &Runtime, manifest: &Manifest) -> Result<Self, FloorError> {
        super::verify_bundled(manifest, MODEL_FILE, MODEL_BYTES)?;
        let model = runtime.load_bundled(MODEL_BYTES, MODEL_FILE, 1)?;
        Self::from_model(model)
    }

    /// Wraps a session after checking its inputs, outputs and feature version.
    pub fn from_model(model: Model) -> Result<Self, FloorError> {
        let inputs: Vec<&str> = model.session.inputs().iter().map(|o| o.name()).collect();
        let outputs: Vec<&str> = model.session.outputs().iter().map(|o| o.name()).collect();
        if inputs != ["features"] || outputs != ["probs"] {
            return Err(FloorError::Signature(format!(
                "inputs {inputs:?} and outputs {outputs:?}, expected [\"features\"] and [\"probs\"]"
            )));
        }
        let meta = model.session.metadata()?;
        let read = |key: &str| meta.custom(key);
        let expect = [
            ("feature_version", FEATURE_VERSION.to_string()),
            ("n_features", N_FEATURES.to_string()),
            ("frames", WINDOW_FRAMES.to_string()),
            ("feature_names", feature_names().join(",")),
            ("outputs", "turn_complete,interruption,addressed".to_owned()),
        ];
        for (key, want) in expect {
            let got = read(key);
            if got.as_deref() != Some(want.as_str()) {
                return Err(FloorError::Signature(format!(
                    "metadata {key} is {got:?}, this build computes {want}"
                )));
            }
        }
        drop(meta);
        Ok(Self {
            model,
            input: vec![0.0; WINDOW_FRAMES * N_FEATURES],
        })
    }

    /// The model's verdict on the features' current window.
    pub fn predict(&mut self, features: &FloorFeatures) -> Result<FloorProbs, FloorError> {
        features.window_into(&mut self.input);
        let outputs = self
            .model
            .session
            .run(ort::inputs![TensorRef::from_array_view((
                [1usize, WINDOW_FRAMES, N_FEATURES],
                self.input.as_slice(),
            ))?])?;
        let (_, probs) = outputs["probs"].try_extract_tensor::<f32>()?;
        match probs {
            [turn_complete, interruption, addressed] => Ok(FloorProbs {
                turn_complete: *turn_complete,
                interruption: *interruption,
                addressed: *addressed,
            }),
            other => Err(FloorError::Signature(format!(
                "`probs` has {} values, expected 3",
                other.len()
            ))),
        }
    }
}
