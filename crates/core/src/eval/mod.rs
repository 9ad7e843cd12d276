//! The full-duplex scenario suite: generating scenarios, and scoring what the assistant said.
//!
//! A scenario is a directory with `input.wav` (the user's channel, 16 kHz mono) and `meta.json`
//! ([`ScenarioMeta`]: who says what when, and the category's evaluation windows). `tandem duplex`
//! turns `input.wav` into the assistant's channel; the scorer reads that channel with Silero VAD
//! and Whisper ([`Analyzer`]) and applies the Full-Duplex-Bench v1/v1.5 rules ([`score`]).
//!
//! * [`spec`]: the committed scenario spec (`tests/scenarios/spec.toml`), parsed.
//! * [`generate`]: spec + voices + development recordings -> scenarios (deterministic).
//! * [`espeak`]: user voices from the `espeak-ng` program, next to our own TTS.
//! * [`meta`]: the `meta.json` format.
//! * [`events`]: the `--events` JSONL that `tandem duplex` writes.
//! * [`analyze`]: the output channel -> system speech segments + timed words (models).
//! * [`score`]: pure scoring of one scenario; [`report`]: per-category summaries and targets.

pub mod analyze;
pub mod espeak;
pub mod events;
pub mod generate;
pub mod meta;
pub mod report;
pub mod score;
pub mod spec;

use std::path::PathBuf;

pub use analyze::{Analyzer, OutputAnalysis, TimedWord};
pub use events::Event;
pub use meta::{Category, Expect, Role, ScenarioMeta, UserSegment, VoiceEngine, Window};
pub use report::{CategorySummary, Metric, Target};
pub use score::{ScenarioScore, score};
pub use spec::Spec;

/// The sample rate of every scenario file.
pub const SAMPLE_RATE_HZ: u32 = 16_000;

/// What went wrong generating or scoring scenarios. Each names the file and, where it can, the fix.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid scenario spec: {message}")]
    Spec { path: PathBuf, message: String },
    #[error(
        "{path} is not a valid scenario meta.json: {message}; regenerate the suite with `tandem eval generate DIR` (or scripts/gen-scenarios.sh)"
    )]
    Meta { path: PathBuf, message: String },
    #[error("{path}, line {line}: not a duplex event ({message})")]
    Events {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("scenario {id} came out unusable ({message}); check its lines in the spec")]
    Generate { id: String, message: String },
    #[error(
        "development recording {path} is missing; run scripts/gen-scenarios.sh (it fetches the pinned recordings) or pass --dev-speech DIR"
    )]
    MissingRecording { path: PathBuf },
    #[error(
        "development recording {path} has sha256 {actual}, expected {expected}; delete it and run scripts/gen-scenarios.sh again"
    )]
    RecordingHash {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error(
        "{path} is not a scenario suite: {message}; create one with `tandem eval generate {path}` or scripts/gen-scenarios.sh"
    )]
    Suite { path: PathBuf, message: String },
    #[error(
        "the scenario voice {voice:?} needs espeak-ng, and {program} was not found: {}",
        espeak::INSTALL_HINT
    )]
    EspeakMissing { program: PathBuf, voice: String },
    #[error("espeak-ng could not speak with the voice {voice:?}: {message}")]
    Espeak { voice: String, message: String },
    #[error(transparent)]
    Wav(#[from] crate::audio::wav::WavError),
    #[error(transparent)]
    Resample(#[from] crate::audio::wav::ResampleError),
    #[error(transparent)]
    Tts(#[from] crate::models::tts::TtsError),
    #[error(transparent)]
    Vad(#[from] crate::models::vad::VadError),
    #[error(transparent)]
    Asr(#[from] crate::models::asr::AsrError),
}

/// Milliseconds -> samples at 16 kHz.
pub fn ms_to_samples(ms: u64) -> usize {
    (ms * u64::from(SAMPLE_RATE_HZ) / 1000) as usize
}

/// Samples at 16 kHz -> milliseconds.
pub fn samples_to_ms(samples: usize) -> u64 {
    samples as u64 * 1000 / u64::from(SAMPLE_RATE_HZ)
}

/// The development recordings (scripts/dev-speech.sh fetches them): `$TANDEM_DEV_SPEECH`, else
/// `$XDG_CACHE_HOME/tandem/dev-speech`, else `~/.cache/tandem/dev-speech`.
pub fn dev_speech_dir() -> std::path::PathBuf {
    use std::path::PathBuf;
    if let Some(dir) = std::env::var_os("TANDEM_DEV_SPEECH") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    let cache =
        std::env::var_os("XDG_CACHE_HOME").map_or_else(|| home.join(".cache"), PathBuf::from);
    cache.join("tandem").join("dev-speech")
}
