//! Tandem's desktop shell: a thin Tauri layer over `tandem-core`.
//!
//! The engine does the work; this crate exposes it to the web UI in `ui/` through commands
//! (see [`commands`]) and a channel of engine events (see [`conversation`]).

#[cfg(test)]
mod bindings;
pub mod commands;
pub mod conversation;
pub mod error;
pub mod history;
pub mod llm_check;
pub mod settings;
pub mod setup;

#[cfg(test)]
mod security_tests;

pub use conversation::Conversation;
pub use error::AppError;

/// Registers every command and the managed state on a builder. Shared by [`run`] and the
/// tests, which use `tauri::test::mock_builder()` instead of a real window.
pub fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .manage(Conversation::default())
        .invoke_handler(tauri::generate_handler![
            commands::doctor,
            commands::app_version,
            commands::start_conversation,
            commands::stop_conversation,
            commands::conversation_status,
            commands::set_camera,
            commands::set_microphone,
            commands::launch_options,
            commands::get_settings,
            commands::save_settings,
            commands::history,
            commands::check_llm,
            setup::models_state,
            setup::fetch_models,
        ])
}

/// Starts the desktop app and blocks until its last window closes; a running conversation is
/// stopped (its threads joined) on the way out.
///
/// # Errors
/// If the window cannot be created (no display, or WebKitGTK missing).
pub fn run() -> Result<(), tauri::Error> {
    let app = with_commands(tauri::Builder::default()).build(tauri::generate_context!())?;
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            use tauri::Manager;
            handle.state::<Conversation>().stop();
        }
    });
    Ok(())
}
