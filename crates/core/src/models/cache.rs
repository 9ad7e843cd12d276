//! The model cache: where verified artifacts live and how they are checked.
//!
//! Nothing is loaded without its sha256 being checked first ([`ModelCache::verified_path`]), so a
//! partial download or a flipped byte is reported and repaired by `tandem models fetch`, never
//! fed to ONNX Runtime. Files converted at fetch time are pinned in the manifest like the
//! downloaded ones.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::manifest::{Artifact, Manifest};
use crate::config::Config;

/// Environment variable that overrides the cache directory.
pub const MODELS_DIR_ENV: &str = "TANDEM_MODELS_DIR";

#[derive(Debug, Clone)]
pub struct ModelCache {
    dir: PathBuf,
}

/// What the cache holds for one artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ArtifactState {
    Ok,
    Missing,
    /// A partial or truncated file.
    WrongSize {
        expected: u64,
        found: u64,
    },
    /// The right size but the wrong bytes.
    Corrupt {
        expected: String,
        found: String,
    },
}

impl ArtifactState {
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::Ok)
    }

    /// One word for tables: ok, missing, partial, corrupt.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Missing => "missing",
            Self::WrongSize { .. } => "partial",
            Self::Corrupt { .. } => "corrupt",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(
        "model {file} is {state} in {dir}; run `tandem models fetch` (or `make models`) to download and verify it"
    )]
    NotReady {
        file: String,
        state: &'static str,
        dir: PathBuf,
    },
    #[error("model {0} is not in the manifest (models/manifest.toml), neither fetched nor derived")]
    Unknown(String),
    #[error("cannot use model cache {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no cache directory: set ${MODELS_DIR_ENV} or $HOME")]
    NoCacheDir,
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CacheError + '_ {
    move |source| CacheError::Io {
        path: path.to_owned(),
        source,
    }
}

/// sha256 and length of a file, streamed.
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n_total = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        n_total += n as u64;
    }
    Ok((hex::encode(h.finalize()), n_total))
}

impl ModelCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The cache for this config: `models.dir`, else `$TANDEM_MODELS_DIR`, else
    /// `$XDG_CACHE_HOME/tandem/models`.
    pub fn locate(config: &Config) -> Result<Self, CacheError> {
        if let Some(d) = &config.models.dir {
            return Ok(Self::new(d));
        }
        if let Some(d) = std::env::var_os(MODELS_DIR_ENV).filter(|d| !d.is_empty()) {
            return Ok(Self::new(d));
        }
        dirs::cache_dir()
            .map(|d| Self::new(d.join("tandem").join("models")))
            .ok_or(CacheError::NoCacheDir)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where an artifact lives (whether or not it is there).
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// Where downloaded packages are kept, so a repair does not download again.
    pub fn downloads_dir(&self) -> PathBuf {
        self.dir.join(".downloads")
    }

    /// Checks one file against an expected size and hash. `size` is checked first, so a
    /// partial download is reported without reading it.
    pub fn check(&self, file: &str, size: u64, sha256: &str) -> Result<ArtifactState, CacheError> {
        let path = self.path(file);
        let found = match std::fs::metadata(&path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(ArtifactState::Missing);
            }
            Err(e) => return Err(io_err(&path)(e)),
        };
        if found != size {
            return Ok(ArtifactState::WrongSize {
                expected: size,
                found,
            });
        }
        let (hash, _) = hash_file(&path).map_err(io_err(&path))?;
        Ok(if hash == sha256 {
            ArtifactState::Ok
        } else {
            ArtifactState::Corrupt {
                expected: sha256.to_owned(),
                found: hash,
            }
        })
    }

    pub fn state(&self, artifact: &Artifact) -> Result<ArtifactState, CacheError> {
        self.check(&artifact.file, artifact.size, &artifact.sha256)
    }

    /// The path of an artifact after checking its hash: the only way model files are opened.
    /// Works for fetched artifacts and for derived ones, both pinned in the manifest.
    pub fn verified_path(&self, manifest: &Manifest, file: &str) -> Result<PathBuf, CacheError> {
        let state = if let Some(a) = manifest.artifact(file) {
            self.state(a)?
        } else if let Some(d) = manifest.derived(file) {
            self.check(file, d.size, &d.sha256)?
        } else {
            return Err(CacheError::Unknown(file.to_owned()));
        };
        if state.is_ok() {
            Ok(self.path(file))
        } else {
            Err(CacheError::NotReady {
                file: file.to_owned(),
                state: state.label(),
                dir: self.dir.clone(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELLO_SHA: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    #[test]
    fn check_reports_missing_partial_corrupt_ok() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ModelCache::new(dir.path());
        assert_eq!(
            cache.check("a", 5, HELLO_SHA).unwrap(),
            ArtifactState::Missing
        );
        std::fs::write(dir.path().join("a"), b"hel").unwrap();
        assert!(matches!(
            cache.check("a", 5, HELLO_SHA).unwrap(),
            ArtifactState::WrongSize { found: 3, .. }
        ));
        std::fs::write(dir.path().join("a"), b"hellO").unwrap();
        assert!(matches!(
            cache.check("a", 5, HELLO_SHA).unwrap(),
            ArtifactState::Corrupt { .. }
        ));
        std::fs::write(dir.path().join("a"), b"hello").unwrap();
        assert_eq!(cache.check("a", 5, HELLO_SHA).unwrap(), ArtifactState::Ok);
    }

    #[test]
    fn derived_files_are_verified_against_their_pins() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ModelCache::new(dir.path());
        let manifest = Manifest::parse(&format!(
            "schema = 1\npackage = []\nartifact = []\n[[derived]]\nfile = \"conv.onnx\"\nrole = \"r\"\ninputs = []\nsha256 = \"{HELLO_SHA}\"\nsize = 5\nlicense = \"MIT\"\n"
        ))
        .unwrap();
        std::fs::write(cache.path("conv.onnx"), b"hello").unwrap();
        assert_eq!(
            cache.verified_path(&manifest, "conv.onnx").unwrap(),
            cache.path("conv.onnx")
        );
        std::fs::write(cache.path("conv.onnx"), b"jello").unwrap();
        let err = cache.verified_path(&manifest, "conv.onnx").unwrap_err();
        assert!(err.to_string().contains("corrupt"), "{err}");
        assert!(matches!(
            cache.verified_path(&manifest, "nope.onnx"),
            Err(CacheError::Unknown(_))
        ));
    }
}
