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
pub mod text;
pub mod tts;
pub mod turn;
pub mod vad;
pub mod voice;

pub use cache::{ArtifactState, CacheError, ModelCache};
pub use manifest::{Artifact, Derived, Manifest, Package};

/// Our own models compiled into the binary: each file's bytes (`[[bundled]]` in the manifest).
pub fn bundled_models() -> [(&'static str, &'static [u8]); 2] {
    [
        (floor::MODEL_FILE, floor::MODEL_BYTES),
        (text::HEAD_FILE, text::HEAD_BYTES),
    ]
}

/// A compiled-in model's bytes against its `[[bundled]]` pin.
pub fn bundled_state(manifest: &Manifest, file: &str, bytes: &[u8]) -> ArtifactState {
    use sha2::{Digest, Sha256};
    let Some(pin) = manifest.bundled(file) else {
        return ArtifactState::Missing;
    };
    let found = hex::encode(Sha256::digest(bytes));
    if bytes.len() as u64 != pin.size {
        ArtifactState::WrongSize {
            expected: pin.size,
            found: bytes.len() as u64,
        }
    } else if found != pin.sha256 {
        ArtifactState::Corrupt {
            expected: pin.sha256.clone(),
            found,
        }
    } else {
        ArtifactState::Ok
    }
}

/// A compiled-in model that does not match its `[[bundled]]` pin.
#[derive(Debug, thiserror::Error)]
pub enum BundledError {
    #[error("models/manifest.toml has no [[bundled]] entry for {0}")]
    NotPinned(&'static str),
    #[error(
        "the bundled {file} does not match its pin in models/manifest.toml ({state}); rebuild from a clean checkout"
    )]
    Pin { file: &'static str, state: String },
}

/// Checks a compiled-in model's bytes against its pin before it is loaded.
pub fn verify_bundled(
    manifest: &Manifest,
    file: &'static str,
    bytes: &[u8],
) -> Result<(), BundledError> {
    match bundled_state(manifest, file, bytes) {
        ArtifactState::Ok => Ok(()),
        ArtifactState::Missing => Err(BundledError::NotPinned(file)),
        ArtifactState::WrongSize { expected, found } => Err(BundledError::Pin {
            file,
            state: format!("{found} bytes instead of {expected}"),
        }),
        ArtifactState::Corrupt { expected, found } => Err(BundledError::Pin {
            file,
            state: format!("sha256 {found} instead of {expected}"),
        }),
    }
}
