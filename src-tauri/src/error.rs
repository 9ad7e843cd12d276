//! The error type every command returns across the IPC boundary.
//!
//! It serializes as `{"kind": "...", "message": "..."}` so the UI can branch on `kind` and show
//! `message` to the user as is.

use serde::Serialize;

/// Why a command failed, in a form the web UI can read.
#[derive(Debug, thiserror::Error, Serialize)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
pub enum AppError {
    /// The config file exists but could not be read or parsed; the message names the file.
    #[error("configuration: {0}")]
    Config(String),
    /// A background task behind a command panicked or was cancelled.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<tandem_core::config::ConfigError> for AppError {
    fn from(err: tandem_core::config::ConfigError) -> Self {
        Self::Config(err.to_string())
    }
}

impl From<tauri::Error> for AppError {
    fn from(err: tauri::Error) -> Self {
        Self::Internal(err.to_string())
    }
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
    }
}
