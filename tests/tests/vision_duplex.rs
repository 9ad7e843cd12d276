//! Visual context in the whole loop (`tandem duplex --visual`): the same question is answered
//! while the user faces the screen and set aside while they are turned away, and "what do you
//! see?" is answered from the camera's view. A separate test binary from `duplex.rs`, so these
//! runs do not add to the load under its timing-sensitive tests.
//!
//! The user's voice is our own TTS at a lower pitch. These need `tandem models fetch`.

use std::path::{Path, PathBuf};

use tandem_core::config::LlmConfig;
use tandem_core::engine::PolicyKind;
use tandem_core::vision::VisualContext;
use tandem_core::vision::timeline::VisualTimeline;

#[allow(dead_code)]
mod common;
#[allow(dead_code)]
mod duplex_run;

use duplex_run::Run;

/// A user channel of `secs` with one line spoken at 0.5 s.
fn channel(dir: &Path, secs: f32, text: &str) -> PathBuf {
    duplex_run::channel(dir, "user", secs, &[(0.5, text)])
}

fn duplex_seeing(input: &Path, visual: Option<VisualTimeline>, tag: &str) -> Run {
    duplex_run::run(
        input,
        tag,
        PolicyKind::Rules,
        LlmConfig::skills_only(),
        visual,
    )
}

/// The camera's view for a whole run: the user present, facing the screen or not.
fn seen(facing: bool) -> Option<VisualTimeline> {
    Some(VisualTimeline::new(vec![VisualContext {
        facing,
        yaw_deg: Some(if facing { 2.0 } else { 50.0 }),
        ..VisualContext {
            present: true,
            faces: 1,
            ..VisualContext::nobody(0)
        }
    }]))
}

#[test]
fn the_same_question_is_answered_facing_the_screen_and_not_when_turned_away() {
    let dir = tempfile::tempdir().unwrap();
    let input = channel(dir.path(), 7.0, "What's twelve times seven?");
    let facing = duplex_seeing(&input, seen(true), ".facing");
    assert!(
        facing
            .kinds("reasoning_result")
            .iter()
            .any(|e| e["text"].as_str().unwrap().contains("84")),
        "answered while facing"
    );
    assert!(facing.first_ms("speak_start").is_some());
    assert!(facing.kinds("not_addressed").is_empty());
    let visual = facing.kinds("visual");
    assert_eq!(visual.len(), 1, "the camera's view is reported once");
    assert_eq!(visual[0]["facing"], true);

    let away = duplex_seeing(&input, seen(false), ".away");
    let not = away.kinds("not_addressed");
    assert_eq!(not.len(), 1, "the question is set aside: {not:?}");
    assert_eq!(not[0]["reason"], "the user is turned away");
    assert!(
        away.first_ms("speak_start").is_none(),
        "nothing said while turned away"
    );
    assert!(
        away.rms(0.0, 7.0) < 1e-4,
        "the assistant's channel is silent"
    );
}

#[test]
fn what_do_you_see_is_answered_from_the_visual_context() {
    let dir = tempfile::tempdir().unwrap();
    let input = channel(dir.path(), 6.0, "What do you see?");
    let run = duplex_seeing(&input, seen(true), "");
    let results = run.kinds("reasoning_result");
    assert!(
        results
            .iter()
            .any(|e| e["text"].as_str().unwrap().contains("facing me")),
        "answered from what the camera sees: {results:?}"
    );
    let off = duplex_seeing(&input, None, ".off");
    assert!(
        off.kinds("reasoning_result")
            .iter()
            .any(|e| e["text"].as_str().unwrap().contains("camera is off")),
        "without a camera it says so"
    );
}
