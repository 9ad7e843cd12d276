//! Tandem's engine: everything but the user interface.
//!
//! The layout follows `docs/architecture.md`: `audio` (devices, capture, playback), `models`
//! (the ONNX Runtime environment, the model supply chain and one module per model), `vision`
//! (cameras and visual context), `config` and `doctor`. The interaction loop, the reasoner,
//! simulation and the conversation store join as their issues land.

pub mod audio;
pub mod config;
pub mod doctor;
pub mod engine;
pub mod eval;
pub mod interaction;
pub mod memory;
pub mod models;
#[cfg(test)]
mod no_panic_tests;
pub mod private_fs;
pub mod reasoning;
pub mod sim;
pub mod store;
#[cfg(test)]
mod test_text;
pub mod text;
pub mod vision;

/// The version of this engine, as built.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
