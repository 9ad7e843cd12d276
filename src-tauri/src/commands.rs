//! IPC commands the web UI calls with `invoke`.
//!
//! They live in a module because a `#[tauri::command]` at the crate root clashes with the macro
//! names it generates (E0255).

use serde::Serialize;
use tandem_core::config::Config;
use tandem_core::doctor::{self, Report};
use tauri::State;
use tauri::ipc::Channel;

use crate::conversation::forward::{Batch, CameraState};
use crate::conversation::{Conversation, ConversationStatus, session};
use crate::error::AppError;
use crate::settings::{self, SaveOutcome, SettingsForm, SettingsView};

/// Checks the machine the way `tandem doctor` does: execution providers, audio devices, cameras,
/// models, and the problems found with how to fix each.
///
/// Probing devices can block for a moment, so it runs off the main thread.
#[tauri::command]
pub async fn doctor() -> Result<Report, AppError> {
    tauri::async_runtime::spawn_blocking(|| {
        let (config, _path) = Config::load()?;
        Ok(doctor::collect(&config))
    })
    .await
    .map_err(|err| AppError::Internal(format!("system check task failed: {err}")))?
}

/// The app's version, for the window footer and bug reports.
#[tauri::command]
pub fn app_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Starts a conversation: loads the models and opens the microphone and speaker on the
/// `interaction` thread, then resolves once it listens. Engine events arrive on `on_event` in
/// batches for as long as it runs; the last message is a `stopped` phase.
///
/// # Errors
/// `models_missing` (run `tandem models fetch`), `no_audio_device`, `audio`, `engine`,
/// `config`, or `already_running`.
#[tauri::command]
pub async fn start_conversation(
    conversation: State<'_, Conversation>,
    on_event: Channel<Batch>,
) -> Result<ConversationStatus, AppError> {
    let ready = conversation.start(on_event, session::run_engine)?;
    let outcome = tauri::async_runtime::spawn_blocking(move || ready.recv())
        .await
        .map_err(|err| AppError::Internal(format!("start task failed: {err}")))?;
    match outcome {
        Ok(Ok(())) => Ok(conversation.status()),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(AppError::Internal(
            "the interaction thread ended without saying why".into(),
        )),
    }
}

/// Stops the conversation (if any) and waits for its threads; returns the status after.
#[tauri::command]
pub async fn stop_conversation(
    conversation: State<'_, Conversation>,
) -> Result<ConversationStatus, AppError> {
    let conversation = Conversation::clone(&conversation);
    tauri::async_runtime::spawn_blocking(move || conversation.stop())
        .await
        .map_err(|err| AppError::Internal(format!("stop task failed: {err}")))
}

/// Switches the camera of the running conversation on or off (off closes the device).
///
/// # Errors
/// `not_running` without a conversation; `camera` when it cannot be switched on (no camera,
/// busy, or the face model missing), with the fix in the message.
#[tauri::command]
pub async fn set_camera(
    conversation: State<'_, Conversation>,
    on: bool,
) -> Result<CameraState, AppError> {
    let conversation = Conversation::clone(&conversation);
    tauri::async_runtime::spawn_blocking(move || conversation.set_camera(on))
        .await
        .map_err(|err| AppError::Internal(format!("camera task failed: {err}")))?
}

/// Mutes (`live: false`) or unmutes the microphone: while muted the engine hears silence.
/// Push-to-talk is this switch held open while the key or button is down. Applies to the
/// running conversation at once and to later ones; returns whether the microphone is live.
#[tauri::command]
pub fn set_microphone(conversation: State<'_, Conversation>, live: bool) -> bool {
    conversation.set_microphone(live)
}

/// Whether a conversation runs, on which devices, and how event delivery is doing.
#[tauri::command]
pub fn conversation_status(conversation: State<'_, Conversation>) -> ConversationStatus {
    conversation.status()
}

/// The settings the panel edits, from the config file (`$TANDEM_CONFIG`, else the user's
/// config directory); defaults when there is no file yet.
///
/// # Errors
/// `config` naming the file and the fix when it cannot be read or parsed.
#[tauri::command]
pub fn get_settings() -> Result<SettingsView, AppError> {
    settings::load(&tandem_core::config::default_path()?)
}

/// Checks the settings field by field and, when all are good, writes them into the config file
/// (atomically, keeping everything else in it). Bad values come back in `errors`, each with its
/// field, and nothing is written. They apply to the next conversation.
///
/// # Errors
/// `config` when the existing file does not parse (it is left untouched) or cannot be written.
#[tauri::command]
pub fn save_settings(settings: SettingsForm) -> Result<SaveOutcome, AppError> {
    settings::save(&tandem_core::config::default_path()?, &settings)
}

/// Past turns from the conversation history, newest first: `limit` (default 20, at most 200)
/// older than the turn `before` (from the newest when absent). Runs off the main thread.
///
/// # Errors
/// `engine` naming the history file when it cannot be opened or read.
#[tauri::command]
pub async fn history(
    before: Option<i64>,
    limit: Option<usize>,
) -> Result<crate::history::HistoryPage, AppError> {
    tauri::async_runtime::spawn_blocking(move || crate::history::page_default(before, limit))
        .await
        .map_err(|err| AppError::Internal(format!("history task failed: {err}")))?
}

/// Whether the LLM server in the settings can be reached (a TCP connection, no request);
/// `off` when the LLM is not enabled. The UI asks when a conversation starts.
///
/// # Errors
/// `config` when the settings cannot be read.
#[tauri::command]
pub async fn check_llm() -> Result<crate::llm_check::LlmReach, AppError> {
    tauri::async_runtime::spawn_blocking(|| {
        let (config, _path) = Config::load()?;
        Ok(crate::llm_check::check(&config.llm))
    })
    .await
    .map_err(|err| AppError::Internal(format!("LLM check task failed: {err}")))?
}

/// How the app was launched, for the UI.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LaunchOptions {
    /// Start a conversation as soon as the window opens (`TANDEM_AUTOSTART=1`): for kiosks and
    /// automated checks.
    pub autostart: bool,
}

/// Reads the launch options from the environment.
#[tauri::command]
pub fn launch_options() -> LaunchOptions {
    LaunchOptions {
        autostart: std::env::var("TANDEM_AUTOSTART")
            .is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes")),
    }
}
