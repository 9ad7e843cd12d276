//! Models: the pinned supply chain (manifest, fetch, verify), the ONNX Runtime environment and,
//! as the listening/speaking/vision issues land, one module per model.

pub mod asr;
pub mod cache;
pub mod derive;
pub mod fetch;
pub mod floor;
pub mod isolate;
pub mod manifest;
pub mod mel;
pub mod runtime;
pub mod tts;
pub mod turn;
pub mod vad;
pub mod voice;

pub use cache::{ArtifactState, CacheError, ModelCache};
pub use manifest::{Artifact, Derived, Manifest, Package};
