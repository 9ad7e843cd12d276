use std::path::Path;
use std::sync::Mutex;

use super::*;

fn config_with_cache(dir: &Path) -> Config {
    let mut config = Config::default();
    config.models.dir = Some(dir.to_path_buf());
    config
}

#[test]
fn an_empty_cache_is_not_ready_and_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let state = models_state_in(&config_with_cache(dir.path()));
    assert!(!state.ready);
    assert_eq!(state.dir, dir.path().display().to_string());
    let problem = state.problem.expect("a reason");
    assert!(problem.contains("tandem models fetch"), "{problem}");
}

/// A first run into an empty cache, as the app's first-run screen does it: the packages come
/// from the user's own download store (hard links, so no network is needed when `make models`
/// has run), everything is extracted, converted and verified, and progress arrives in order.
#[test]
fn first_run_fetch_installs_every_model_with_progress() {
    let config = Config::default();
    let real = ModelCache::locate(&config).expect("model cache");
    let dir = tempfile::tempdir().unwrap();
    let downloads = dir.path().join(".downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    for entry in std::fs::read_dir(real.downloads_dir())
        .expect("the user's model downloads (run `make models` or `tandem models fetch` first)")
    {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            let to = downloads.join(entry.file_name());
            std::fs::hard_link(entry.path(), &to)
                .or_else(|_| std::fs::copy(entry.path(), &to).map(|_| ()))
                .unwrap();
        }
    }
    let config = config_with_cache(dir.path());
    let reports = Mutex::new(Vec::new());
    let summary = fetch_models_in(&config, |p| reports.lock().unwrap().push(p)).expect("fetch");
    let reports = reports.into_inner().unwrap();

    let manifest = Manifest::builtin();
    let core = manifest.selected(&["core"]).count();
    // The manifest's files, and the Whisper ONNX files converted from them.
    assert!(summary.installed > core, "{summary:?}");
    assert_eq!(summary.verified, 0);
    assert!(models_state_in(&config).ready, "ready after the fetch");

    let steps: Vec<&str> = reports
        .iter()
        .filter_map(|r| match r {
            FetchProgress::Step { text } => Some(text.as_str()),
            FetchProgress::Bytes { .. } => None,
        })
        .collect();
    assert_eq!(
        steps.first(),
        Some(&"checking the model cache"),
        "{steps:?}"
    );
    let bars: Vec<(u64, u64)> = reports
        .iter()
        .filter_map(|r| match r {
            FetchProgress::Bytes { done, total } => Some((*done, *total)),
            FetchProgress::Step { .. } => None,
        })
        .collect();
    assert!(bars.iter().all(|(d, t)| d <= t), "{bars:?}");
    assert!(
        bars.iter().any(|(d, t)| *t > 0 && d == t),
        "a bar reached its end: {bars:?}"
    );

    // A second run finds everything in place and writes nothing.
    let again = fetch_models_in(&config, |_| {}).expect("second fetch");
    assert_eq!((again.installed, again.verified), (0, core));
}

#[test]
fn a_cache_that_cannot_be_created_is_a_clear_fetch_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, b"x").unwrap();
    let err = fetch_models_in(&config_with_cache(&file.join("models")), |_| {})
        .expect_err("cannot write under a file");
    let json = serde_json::to_value(&err).unwrap();
    assert!(
        matches!(json["kind"].as_str(), Some("models_fetch" | "engine")),
        "{json}"
    );
    let message = err.to_string();
    assert!(message.contains("not-a-directory"), "{message}");
}
