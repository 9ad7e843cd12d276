//! Visual context in the whole loop (`tandem duplex --visual`): the same question is answered
//! while the user faces the screen and set aside while they are turned away, and "what do you
//! see?" is answered from the camera's view. A separate test binary from `duplex.rs`, so these
//! runs do not add to the load under its timing-sensitive tests.
//!
//! The user's voice is our own TTS at a lower pitch. These need `tandem models fetch`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tandem_core::audio::wav;
use tandem_core::config::{Config, ExecutionProvider, LlmConfig};
use tandem_core::engine::duplex::{self, DuplexOptions};
use tandem_core::engine::worker::Pace;
use tandem_core::engine::{EngineModels, EngineOptions, PolicyKind};
use tandem_core::models::runtime;
use tandem_core::models::tts::{SynthOptions, Tts};
use tandem_core::models::{Manifest, ModelCache};
use tandem_core::vision::VisualContext;
use tandem_core::vision::timeline::VisualTimeline;

fn setup() -> (&'static runtime::Runtime, ModelCache, Manifest) {
    let cache = ModelCache::locate(&Config::default()).expect("model cache directory");
    let manifest = Manifest::builtin();
    let rt = runtime::init(&cache, &manifest, ExecutionProvider::Cpu)
        .unwrap_or_else(|e| panic!("{e}\n(run `tandem models fetch`)"));
    (rt, cache, manifest)
}

fn models() -> EngineModels {
    let (rt, cache, manifest) = setup();
    EngineModels::load(rt, &cache, &manifest, &Config::default())
        .unwrap_or_else(|e| panic!("{e}\n(run `tandem models fetch`)"))
}

/// A user channel of `secs` with one line spoken at 0.5 s.
fn channel(dir: &Path, secs: f32, text: &str) -> PathBuf {
    let (rt, cache, manifest) = setup();
    let mut voice = Tts::load(rt, &cache, &manifest, 1).expect("TTS loads");
    let speech = voice
        .synthesize(
            text,
            &SynthOptions {
                pitch: 0.85,
                speed: 1.0,
                seed: Some(5),
            },
        )
        .unwrap();
    let speech = wav::resample(&speech, 24_000, 16_000).unwrap();
    let mut out = vec![0.0f32; (secs * 16_000.0) as usize];
    for (o, x) in out[8_000..].iter_mut().zip(&speech) {
        *o = *x;
    }
    let path = dir.join("user.wav");
    wav::write_mono_i16(&path, &out, 16_000).unwrap();
    path
}

struct Run {
    events: Vec<Value>,
    output: Vec<f32>,
}

impl Run {
    fn kinds(&self, kind: &str) -> Vec<&Value> {
        self.events.iter().filter(|e| e["kind"] == kind).collect()
    }

    fn first_ms(&self, kind: &str) -> Option<u64> {
        self.kinds(kind).first().and_then(|e| e["t_ms"].as_u64())
    }

    fn rms(&self, from_s: f32, to_s: f32) -> f32 {
        let a = (from_s * 16_000.0) as usize;
        let b = ((to_s * 16_000.0) as usize).min(self.output.len());
        let x = &self.output[a.min(b)..b];
        (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt()
    }
}

fn duplex_seeing(input: &Path, visual: Option<VisualTimeline>, tag: &str) -> Run {
    let dir = input.parent().unwrap();
    let output = dir.join(format!("out{tag}.wav"));
    let events = dir.join(format!("events{tag}.jsonl"));
    let opts = DuplexOptions {
        input: input.to_owned(),
        output: output.clone(),
        events: Some(events.clone()),
        pace: Pace::Virtual,
        output_rate_hz: 16_000,
        echo: None,
        engine: EngineOptions {
            policy: PolicyKind::Tandem,
            voice_seed: Some(3),
            ..EngineOptions::default()
        },
        llm: LlmConfig::default(),
        visual,
    };
    duplex::run(models(), &opts).expect("duplex runs");
    let events: Vec<Value> = std::fs::read_to_string(&events)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    for e in &events {
        if e["kind"] != "partial" {
            eprintln!("{e}");
        }
    }
    Run {
        events,
        output: wav::read_mono(&output, 16_000).unwrap(),
    }
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
