//! IPC commands the web UI calls with `invoke`.
//!
//! They live in a module because a `#[tauri::command]` at the crate root clashes with the macro
//! names it generates (E0255).

use tandem_core::config::Config;
use tandem_core::doctor::{self, Report};

use crate::error::AppError;

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
