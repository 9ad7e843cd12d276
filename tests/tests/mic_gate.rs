//! The microphone gate (mute and push-to-talk) on the real engine: a spoken question with the
//! gate closed is never heard (no voice activity, no transcript, no answer); the same channel
//! with the gate open is heard.
//!
//! These need `tandem models fetch`; they fail with that hint when the models are missing.

use tandem_core::config::LlmConfig;
use tandem_core::engine::{EngineOptions, MicGate, PolicyKind};

#[allow(dead_code)]
mod common;
#[allow(dead_code)]
mod duplex_run;

use duplex_run::{Run, channel, run_with};

fn options(mic: MicGate) -> EngineOptions {
    EngineOptions {
        policy: PolicyKind::Rules,
        voice_seed: Some(3),
        mic,
        ..EngineOptions::default()
    }
}

/// Kinds of the events that mean the user was heard.
const HEARD: [&str; 5] = [
    "voice_start",
    "partial",
    "final",
    "end_of_turn",
    "reasoning_request",
];

fn heard(run: &Run) -> Vec<String> {
    run.events
        .iter()
        .filter(|e| HEARD.contains(&e["kind"].as_str().unwrap_or("")))
        .map(|e| e.to_string())
        .collect()
}

#[test]
fn a_closed_gate_hears_nothing_and_an_open_one_hears_the_question() {
    let dir = tempfile::tempdir().unwrap();
    let input = channel(
        dir.path(),
        "question",
        5.0,
        &[(0.5, "What's twelve times seven?")],
    );

    let muted = run_with(
        &input,
        ".muted",
        options(MicGate::new(false)),
        LlmConfig::skills_only(),
        None,
    );
    assert_eq!(heard(&muted), Vec::<String>::new(), "muted, yet heard");
    assert!(
        muted.kinds("speak_start").is_empty(),
        "muted, yet it answered"
    );
    assert_eq!(muted.output.len(), muted.input_len, "time still runs");

    // The same channel through an open gate: the test can tell heard from not heard.
    let open = run_with(
        &input,
        ".open",
        options(MicGate::default()),
        LlmConfig::skills_only(),
        None,
    );
    assert!(!open.kinds("voice_start").is_empty(), "open, yet not heard");
    assert!(!open.kinds("final").is_empty(), "open, yet no transcript");
}
