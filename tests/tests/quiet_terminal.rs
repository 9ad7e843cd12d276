//! A clean terminal: probing audio devices prints nothing of the sound libraries' own (ALSA's
//! "ALSA lib ...", libjack's "jack server is not running"), only Tandem's messages.
//!
//! Runs `tandem doctor` (the binary of this build: `cargo build -p tandem-cli`) as it is, and
//! with PulseAudio out of reach, so that ALSA's pulse plugin fails too. Under the PulseAudio
//! rig or not, no sound card is needed.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/<profile>/tandem`, next to this test's `deps/` directory.
fn tandem_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let bin = dir.join(format!("tandem{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build -p tandem-cli` (or run `cargo test --workspace`)",
        bin.display()
    );
    bin
}

/// What the sound libraries print on their own.
const LIBRARY_NOISE: &[&str] = &[
    "ALSA lib",
    "jack server",
    "JackShm",
    "Cannot connect to server",
    "load_backend:",
];

fn doctor(env: &[(&str, &str)]) -> (String, String) {
    let o = Command::new(tandem_bin())
        .arg("doctor")
        .envs(env.iter().copied())
        .env_remove("RUST_LOG")
        .output()
        .expect("tandem doctor runs");
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn doctor_prints_no_sound_library_noise() {
    for env in [
        &[][..],
        &[("PULSE_SERVER", "unix:/nonexistent/tandem-test")][..],
    ] {
        let (stdout, stderr) = doctor(env);
        let noise: Vec<&str> = stderr
            .lines()
            .filter(|l| LIBRARY_NOISE.iter().any(|n| l.contains(n)))
            .collect();
        assert!(
            noise.is_empty(),
            "with {env:?}, {} lines of library noise on stderr:\n{}",
            noise.len(),
            noise.join("\n")
        );
        // Our own report is still there, devices or not.
        assert!(
            stdout.contains("microphones") && stdout.contains("speakers"),
            "with {env:?}:\n{stdout}\n{stderr}"
        );
    }
}

/// Loading the models on a healthy machine prints nothing but our own result: no message of
/// ONNX Runtime's (it logged "Exception during initialization" as an error for a graph whose
/// exact-int8 rewrite it refuses, which the loader then loads with the default kernels).
#[test]
fn speaking_prints_only_its_result() {
    let out = std::env::temp_dir().join(format!("tandem-quiet-{}.wav", std::process::id()));
    let data = tempfile::tempdir().expect("a data directory");
    let o = Command::new(tandem_bin())
        .args(["say", "-o"])
        .arg(&out)
        .arg("Hello there.")
        .env("TANDEM_DATA_DIR", data.path())
        .env_remove("RUST_LOG")
        .output()
        .expect("tandem say runs");
    let _ = std::fs::remove_file(&out);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success(),
        "{stderr}\n(the tests need the models: run `tandem models fetch`)"
    );
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.contains("s of audio in"))
        .collect();
    assert!(lines.is_empty(), "stderr:\n{}", lines.join("\n"));
}
