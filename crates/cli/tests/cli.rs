//! The `tandem` binary end to end: model supply chain, doctor, config, and `run` against the
//! real PulseAudio rig (`scripts/with-pulse.sh`, which `make test` wraps around the suite).
//!
//! These tests use the real model cache that `make test` fetches first.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tandem() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tandem"));
    c.env_remove("RUST_LOG");
    c
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The user's model cache, as `tandem models fetch` filled it.
fn real_cache() -> PathBuf {
    let o = tandem().args(["doctor", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("doctor --json is JSON");
    PathBuf::from(v["models_dir"].as_str().unwrap())
}

fn copy_dir(from: &Path, to: &Path, skip: &dyn Fn(&Path) -> bool) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if skip(&p) {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            copy_dir(&p, &to.join(e.file_name()), skip);
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

fn under_rig() -> bool {
    std::env::var_os("TANDEM_PULSE_RIG").is_some()
}

#[test]
fn models_verify_passes_on_the_fetched_cache() {
    let o = tandem().args(["models", "verify"]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("silero_vad.onnx"));
}

#[test]
fn flipped_byte_is_detected_by_verify_and_repaired_by_fetch() {
    let src = real_cache();
    let dir = tempfile::tempdir().unwrap();
    // Everything but the GPU runtime and the downloads we do not need for the repair.
    copy_dir(&src, dir.path(), &|p| {
        let name = p.file_name().unwrap().to_string_lossy();
        name == "gpu"
            || name.starts_with(".venv")
            || name.starts_with(".convert")
            || (p.parent().unwrap().ends_with(".downloads") && !name.starts_with("pipecat"))
    });
    let victim = dir.path().join("silero_vad.onnx");
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[4096] ^= 0x01;
    std::fs::write(&victim, bytes).unwrap();

    let models_dir = dir.path().to_str().unwrap();
    let o = tandem()
        .args(["--models-dir", models_dir, "models", "verify"])
        .output()
        .unwrap();
    assert!(!o.status.success(), "verify must fail: {}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("silero_vad.onnx") && err.contains("corrupt"),
        "{}",
        text(&o)
    );

    let o = tandem()
        .args(["--models-dir", models_dir, "models", "fetch", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["installed"][0][0], "silero_vad.onnx", "{report}");
    assert_eq!(report["installed"][0][1], "corrupt", "{report}");

    let o = tandem()
        .args(["--models-dir", models_dir, "models", "verify"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn truncated_model_is_reported_as_partial_and_never_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let src = real_cache();
    std::fs::copy(
        src.join("libonnxruntime.so.1.31.1"),
        dir.path().join("libonnxruntime.so.1.31.1"),
    )
    .unwrap();
    let bytes = std::fs::read(src.join("libonnxruntime.so.1.31.1")).unwrap();
    std::fs::write(
        dir.path().join("libonnxruntime.so.1.31.1"),
        &bytes[..bytes.len() / 2],
    )
    .unwrap();
    let o = tandem()
        .args([
            "--models-dir",
            dir.path().to_str().unwrap(),
            "doctor",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let lib = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "libonnxruntime.so.1.31.1")
        .unwrap();
    assert_eq!(lib["status"], "partial");
    // The runtime was not loaded from the damaged file: no providers, and a problem naming the fix.
    assert!(
        v["execution_providers"].as_array().unwrap().is_empty(),
        "{v}"
    );
    let problems = v["problems"].to_string();
    assert!(problems.contains("tandem models fetch"), "{problems}");
}

#[test]
fn doctor_lists_cpu_provider_and_model_status() {
    let o = tandem().args(["doctor", "--json"]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let cpu = v["execution_providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "cpu")
        .expect("cpu provider listed");
    assert_eq!(cpu["available"], true);
    let models = v["models"].as_array().unwrap();
    assert!(models.len() >= 17);
    assert!(models.iter().all(|m| m["status"] == "ok"), "{v}");
    assert!(v["config_path"].as_str().unwrap().ends_with("config.toml"));
}

/// Environment with the sound server unreachable: what a machine without audio looks like.
fn without_audio(c: &mut Command, dir: &Path) {
    c.env(
        "PULSE_SERVER",
        format!("unix:{}/nothing-here", dir.display()),
    )
    .env("XDG_RUNTIME_DIR", dir)
    .env("JACK_NO_START_SERVER", "1");
}

#[test]
fn doctor_without_audio_devices_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = tandem();
    without_audio(&mut c, dir.path());
    let o = c.args(["doctor", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["default_input"].is_null(), "{v}");
    let problems = v["problems"].as_array().unwrap();
    let mic = problems
        .iter()
        .find(|p| p["what"] == "no microphone found")
        .unwrap_or_else(|| panic!("{v}"));
    assert!(mic["fix"].as_str().unwrap().contains("microphone"));
}

#[test]
fn run_without_audio_devices_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = tandem();
    without_audio(&mut c, dir.path());
    let o = c
        .args(["run", "--headless", "--seconds", "1"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no microphone") && err.contains("fix:"),
        "{}",
        text(&o)
    );
}

#[test]
fn malformed_config_names_line_and_field_and_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let original = "schema_version = 1\n[interaction]\nmicro_turn_ms = \"fast\"\n";
    std::fs::write(&path, original).unwrap();
    let o = tandem()
        .env("TANDEM_CONFIG", &path)
        .args(["config", "validate"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("line 3") && err.contains("config.toml"),
        "{}",
        text(&o)
    );
    // Any command refuses to run on it, and nothing rewrites it.
    let o = tandem()
        .env("TANDEM_CONFIG", &path)
        .args(["doctor"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let o = tandem()
        .env("TANDEM_CONFIG", &path)
        .args(["config", "init"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
}

#[test]
fn flags_override_config_without_saving() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let o = tandem()
        .env("TANDEM_CONFIG", &path)
        .args(["config", "init"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let before = std::fs::read_to_string(&path).unwrap();
    let o = tandem()
        .env("TANDEM_CONFIG", &path)
        .args(["--provider", "cpu", "config", "show"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("execution_provider = \"cpu\""),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
}

#[test]
fn run_hears_the_user_on_the_pulseaudio_rig() {
    if !under_rig() {
        assert!(
            std::env::var_os("TANDEM_REQUIRE_RIG").is_none(),
            "TANDEM_REQUIRE_RIG is set but this is not running under scripts/with-pulse.sh"
        );
        eprintln!("skipped: not under the PulseAudio rig (make test runs it there)");
        return;
    }
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let question = dir.path().join("question.wav");
    let said = tandem()
        .args(["say", "What is seven times six?", "--seed", "3", "-o"])
        .arg(&question)
        .output()
        .unwrap();
    assert!(said.status.success(), "{}", text(&said));
    let mut child = tandem()
        .env("TANDEM_DATA_DIR", dir.path())
        .args(["run", "--headless", "--json", "--seconds", "10"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Speak once the engine says it is listening (models load first).
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("Talk;") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let ready = rx.recv_timeout(std::time::Duration::from_secs(60)).is_ok();
    let mut player = Command::new("paplay")
        .args(["-d", "mic"])
        .arg(&question)
        .spawn()
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let _ = player.wait();
    let err = reader.join().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let report = format!(
        "status {:?}\n--- stdout\n{out}\n--- stderr\n{err}",
        o.status
    );
    assert!(ready, "the engine never said it was listening\n{report}");
    assert!(o.status.success(), "{report}");
    let events: Vec<serde_json::Value> = out
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        events.iter().any(|e| e["kind"] == "voice_start"),
        "no speech heard\n{report}"
    );
    assert!(
        events.iter().any(|e| e["kind"] == "reasoning_result"
            && e["text"].as_str().is_some_and(|t| t.contains("42"))),
        "the question was not answered\n{report}"
    );
}

fn vision_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/vision")
        .join(name)
}

#[test]
fn vision_reports_presence_and_facing_for_each_test_image() {
    let dir = vision_fixture("");
    let o = tandem()
        .args(["vision", "--json"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let seen: Vec<(String, bool, bool)> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("one JSON object a line");
            let file = v["file"].as_str().unwrap().rsplit('/').next().unwrap();
            let c = &v["context"];
            (
                file.to_owned(),
                c["present"].as_bool().unwrap(),
                c["facing"].as_bool().unwrap(),
            )
        })
        .collect();
    let expect = |f: &str, p, fa| (f.to_owned(), p, fa);
    assert_eq!(
        seen,
        [
            expect("frontal_astronaut.png", true, true),
            expect("no_person_cat.png", false, false),
            expect("turned_cameraman.png", true, false),
        ]
    );
    let o = tandem()
        .arg("vision")
        .arg(vision_fixture("turned_cameraman.png"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("turned away"),
        "{}",
        text(&o)
    );
}

#[test]
fn vision_refuses_a_corrupt_image_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("holiday.jpg");
    std::fs::write(&bad, b"not a jpeg").unwrap();
    let o = tandem().arg("vision").arg(&bad).output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("holiday.jpg") && err.contains("PNG or JPEG"),
        "{}",
        text(&o)
    );
}

#[test]
fn vision_camera_without_a_camera_says_what_to_do() {
    if Path::new("/dev/video0").exists() {
        eprintln!("skipped: this machine has a camera");
        return;
    }
    let o = tandem()
        .args(["vision", "--camera", "--seconds", "1"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no camera") && err.contains("camera.enabled"),
        "{}",
        text(&o)
    );
}

#[test]
fn vision_read_prints_the_text_and_json_gives_lines_with_boxes() {
    let page = vision_fixture("text/printed_page.png");
    let o = tandem()
        .args(["vision", "--read"])
        .arg(&page)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("Region-based segmentation") && out.contains("histogram"),
        "{}",
        text(&o)
    );
    let o = tandem()
        .args(["vision", "--ocr", "--json"])
        .arg(&page)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&o.stdout).trim()).expect("one JSON object");
    let lines = v["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 6, "{v}");
    assert_eq!(lines[0]["text"], "Region-based segmentation");
    assert_eq!(lines[0]["quad"].as_array().unwrap().len(), 4);
    assert!(lines[0]["confidence"].as_f64().unwrap() > 0.5, "{v}");
    let o = tandem()
        .args(["vision", "--read"])
        .arg(vision_fixture("no_person_cat.png"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("(no text found)"),
        "{}",
        text(&o)
    );
}

#[test]
fn vision_read_from_the_camera_without_a_camera_says_what_to_do() {
    if Path::new("/dev/video0").exists() {
        eprintln!("skipped: this machine has a camera");
        return;
    }
    let o = tandem()
        .args(["vision", "--camera", "--read"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no camera") && err.contains("camera.enabled"),
        "{}",
        text(&o)
    );
}
