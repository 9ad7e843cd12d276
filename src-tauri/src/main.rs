// No console window on Windows release builds; a no-op elsewhere.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(err) = tandem_app::run() {
        eprintln!("tandem-app: {err}");
        std::process::exit(1);
    }
}
