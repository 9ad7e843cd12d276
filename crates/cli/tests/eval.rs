//! `tandem eval` and `tandem eval generate` on good and bad input: the suite is written as
//! documented, and every bad input is refused naming the file and the fix. (Scoring itself is
//! tested in tests/tests/eval_scoring.rs and, end to end, tests/tests/scenarios.rs.)

use std::path::Path;
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

fn fails_saying(o: &Output, needles: &[&str]) {
    assert!(!o.status.success(), "expected a failure\n{}", text(o));
    let err = String::from_utf8_lossy(&o.stderr);
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}\n{}", text(o));
    }
}

#[test]
fn generate_writes_input_and_meta_per_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite");
    let o = tandem()
        .args(["eval", "generate", "--per-category", "1"])
        .args(["--only", "turn_taking,talking_to_others"])
        .arg(&suite)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    for id in ["turn_taking_01", "talking_to_others_01"] {
        let meta_path = suite.join(id).join("meta.json");
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&meta_path).unwrap()).unwrap();
        assert_eq!(meta["id"], id);
        let wav = std::fs::read(suite.join(id).join("input.wav")).unwrap();
        // 16 kHz mono 16-bit: 32 bytes per ms after the 44-byte header.
        let ms = (wav.len() as u64 - 44) / 32;
        let duration = meta["duration_ms"].as_u64().unwrap();
        assert!(ms.abs_diff(duration) <= 1, "{ms} vs {duration}");
        let first = &meta["segments"][0];
        let lead = first["start_ms"].as_u64().unwrap();
        assert!((500..=1100).contains(&lead), "lead-in {lead} ms");
    }
    assert_eq!(
        std::fs::read_dir(&suite).unwrap().count(),
        2,
        "only the selected scenarios"
    );
}

#[test]
fn a_missing_suite_is_named_with_the_fix() {
    let o = tandem()
        .args(["eval", "/nonexistent/suite"])
        .output()
        .unwrap();
    fails_saying(&o, &["/nonexistent/suite", "tandem eval generate"]);
}

fn scenario(dir: &Path, meta: &str, wav: &[u8]) {
    let s = dir.join("turn_taking_01");
    std::fs::create_dir_all(&s).unwrap();
    std::fs::write(s.join("meta.json"), meta).unwrap();
    std::fs::write(s.join("input.wav"), wav).unwrap();
}

#[test]
fn a_bad_meta_or_wav_is_named() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path(), "{\"id\": 3}", b"RIFF");
    let o = tandem().arg("eval").arg(dir.path()).output().unwrap();
    fails_saying(&o, &["turn_taking_01/meta.json", "regenerate"]);

    let meta = r#"{"id":"turn_taking_01","category":"turn_taking","description":"",
        "duration_ms":7000,"sample_rate_hz":16000,
        "voice":{"name":"mid","pitch":1.0,"speed":1.0,"seed":1},
        "segments":[{"start_ms":500,"end_ms":1500,"text":"What time is it?","role":"user"}],
        "expect":{"category":"turn_taking","turn_end_ms":1500}}"#;
    scenario(dir.path(), meta, b"not a wav file at all");
    let o = tandem().arg("eval").arg(dir.path()).output().unwrap();
    fails_saying(&o, &["turn_taking_01/input.wav"]);

    let past_end = meta.replace("\"turn_end_ms\":1500", "\"turn_end_ms\":9000");
    scenario(dir.path(), &past_end, b"RIFF");
    let o = tandem().arg("eval").arg(dir.path()).output().unwrap();
    fails_saying(&o, &["meta.json", "9000 ms"]);
}

#[test]
fn a_bad_spec_or_missing_recordings_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.toml");
    std::fs::write(&spec, "version = 1\nvoices = 3\n").unwrap();
    let o = tandem()
        .args(["eval", "generate", "--spec"])
        .arg(&spec)
        .arg(dir.path().join("suite"))
        .output()
        .unwrap();
    fails_saying(&o, &["spec.toml", "not a valid scenario spec"]);

    let empty = dir.path().join("no-recordings");
    std::fs::create_dir_all(&empty).unwrap();
    let o = tandem()
        .args([
            "eval",
            "generate",
            "--only",
            "background_speech",
            "--dev-speech",
        ])
        .arg(&empty)
        .arg(dir.path().join("suite"))
        .output()
        .unwrap();
    fails_saying(&o, &["no-recordings/", "scripts/gen-scenarios.sh"]);

    let o = tandem()
        .args(["eval", "generate", "--only", "small_talk"])
        .output()
        .unwrap();
    fails_saying(&o, &["small_talk", "turn_taking"]);
}
