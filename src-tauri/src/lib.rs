//! Tandem's desktop shell: a thin Tauri layer over `tandem-core`.
//!
//! The engine does the work; this crate only exposes it to the web UI in `ui/` through
//! commands (see [`commands`]) and, later, events.

pub mod commands;
pub mod error;

pub use error::AppError;

/// Registers every command on a builder. Shared by [`run`] and the tests, which use
/// `tauri::test::mock_builder()` instead of a real window.
pub fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::doctor,
        commands::app_version
    ])
}

/// Starts the desktop app and blocks until its last window closes.
///
/// # Errors
/// If the window cannot be created (no display, or WebKitGTK missing).
pub fn run() -> Result<(), tauri::Error> {
    with_commands(tauri::Builder::default()).run(tauri::generate_context!())
}
