//! The IPC commands, called the way the web UI calls them, on Tauri's mock runtime (no display).

use tandem_core::doctor::Report;
use tauri::WebviewWindowBuilder;
use tauri::ipc::{CallbackFn, InvokeBody, InvokeResponseBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;

/// Builds the app with its real config and capabilities, and opens the main window as
/// tauri.conf.json describes it.
fn main_window() -> tauri::WebviewWindow<MockRuntime> {
    let app = tandem_app::with_commands(mock_builder())
        .build(tauri::generate_context!())
        .expect("the app builds on the mock runtime");
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == "main")
        .expect("tauri.conf.json declares the `main` window")
        .clone();
    WebviewWindowBuilder::from_config(&app, &config)
        .and_then(|b| b.build())
        .expect("the main window opens on the mock runtime")
}

fn invoke(cmd: &str) -> Result<InvokeResponseBody, serde_json::Value> {
    let window = main_window();
    get_ipc_response(
        &window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("a valid URL"),
            body: InvokeBody::default(),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_owned(),
        },
    )
}

#[test]
fn doctor_returns_a_report_listing_the_cpu_provider() {
    let body = invoke("doctor").unwrap_or_else(|err| panic!("doctor failed: {err}"));
    let report: Report = body
        .deserialize()
        .expect("the response is a tandem_core::doctor::Report");

    assert!(!report.os.is_empty());
    assert!(!report.cpu.is_empty());
    match report
        .execution_providers
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case("cpu"))
    {
        Some(cpu) => assert!(
            cpu.available,
            "the CPU provider is always available: {cpu:?}"
        ),
        // Without ONNX Runtime (models not fetched) the engine lists no providers; it must then
        // say why, with a fix.
        None => assert!(
            report
                .problems
                .iter()
                .any(|p| p.what.contains("ONNX Runtime") && !p.fix.is_empty()),
            "no CPU provider and no problem explaining why: {report:#?}"
        ),
    }
}

#[test]
fn app_version_is_the_crate_version() {
    let body = invoke("app_version").expect("app_version never fails");
    let version: String = body.deserialize().expect("a string");
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
}

#[test]
fn unknown_commands_are_rejected() {
    assert!(invoke("no_such_command").is_err());
}

#[test]
fn conversation_status_is_idle_before_any_start() {
    let body = invoke("conversation_status").expect("conversation_status never fails");
    let status: serde_json::Value = body.deserialize().expect("JSON");
    assert_eq!(status["state"], "idle");
    assert_eq!(status["events_dropped"], 0);
    assert_eq!(status["last_error"], serde_json::Value::Null);
}

#[test]
fn stopping_without_a_conversation_is_fine() {
    let body = invoke("stop_conversation").expect("stop without a conversation succeeds");
    let status: serde_json::Value = body.deserialize().expect("JSON");
    assert_eq!(status["state"], "idle");
}

#[test]
fn launch_options_report_autostart() {
    let body = invoke("launch_options").expect("launch_options never fails");
    let options: serde_json::Value = body.deserialize().expect("JSON");
    assert!(options["autostart"].is_boolean(), "{options}");
}
