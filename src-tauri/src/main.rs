// No console window on Windows release builds; a no-op elsewhere.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tandem_core::memory::tune_allocator();
    // Logs go to stderr; `RUST_LOG=tandem_core=debug` shows every engine event.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,ort=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(err) = tandem_app::run() {
        eprintln!("tandem-app: {err}");
        std::process::exit(1);
    }
}
