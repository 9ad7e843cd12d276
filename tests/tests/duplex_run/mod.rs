//! `tandem duplex` runs for the engine-level tests: a user channel spoken with our own TTS (at a
//! lower pitch), one run of the engine in virtual pace, and what came out.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;
use tandem_core::audio::wav;
use tandem_core::config::{Config, LlmConfig};
use tandem_core::engine::duplex::{self, DuplexOptions};
use tandem_core::engine::worker::Pace;
use tandem_core::engine::{EngineModels, EngineOptions, PolicyKind};
use tandem_core::models::tts::{SynthOptions, Tts};
use tandem_core::reasoning::TextSource;
use tandem_core::vision::timeline::VisualTimeline;

use crate::common::setup;

pub fn models() -> EngineModels {
    let (rt, cache, manifest) = setup();
    EngineModels::load(rt, &cache, &manifest, &Config::default())
        .unwrap_or_else(|e| panic!("{e}\n(run `tandem models fetch`)"))
}

/// The user's lines, synthesized once: 16 kHz audio per text.
pub fn user_line(text: &str) -> Vec<f32> {
    static VOICE: OnceLock<Mutex<Tts>> = OnceLock::new();
    let voice = VOICE.get_or_init(|| {
        let (rt, cache, manifest) = setup();
        Mutex::new(Tts::load(rt, &cache, &manifest, 1).expect("TTS loads"))
    });
    let audio = voice
        .lock()
        .unwrap()
        .synthesize(
            text,
            &SynthOptions {
                pitch: 0.85,
                speed: 1.0,
                seed: Some(5),
            },
        )
        .unwrap();
    wav::resample(&audio, 24_000, 16_000).unwrap()
}

/// Writes a user channel: (start second, text) lines over `secs` of silence.
pub fn channel(dir: &Path, name: &str, secs: f32, lines: &[(f32, &str)]) -> PathBuf {
    let mut out = vec![0.0f32; (secs * 16_000.0) as usize];
    for (at, text) in lines {
        let speech = user_line(text);
        let start = (at * 16_000.0) as usize;
        for (i, x) in speech.iter().enumerate() {
            if let Some(o) = out.get_mut(start + i) {
                *o += x;
            }
        }
    }
    let path = dir.join(format!("{name}.wav"));
    wav::write_mono_i16(&path, &out, 16_000).unwrap();
    path
}

/// What one run gave: its events (JSON lines) and the assistant's channel.
pub struct Run {
    pub events: Vec<Value>,
    pub output: Vec<f32>,
    pub input_len: usize,
}

impl Run {
    pub fn kinds(&self, kind: &str) -> Vec<&Value> {
        self.events.iter().filter(|e| e["kind"] == kind).collect()
    }

    pub fn first_ms(&self, kind: &str) -> Option<u64> {
        self.kinds(kind).first().and_then(|e| e["t_ms"].as_u64())
    }

    /// RMS of the assistant's channel between two times.
    pub fn rms(&self, from_s: f32, to_s: f32) -> f32 {
        let a = (from_s * 16_000.0) as usize;
        let b = ((to_s * 16_000.0) as usize).min(self.output.len());
        let x = &self.output[a.min(b)..b];
        (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt()
    }
}

/// Runs the engine on `input` (virtual pace, fixed voice seed); its output and events go beside
/// the input, named with `tag`.
pub fn run(
    input: &Path,
    tag: &str,
    policy: PolicyKind,
    llm: LlmConfig,
    visual: Option<VisualTimeline>,
) -> Run {
    run_full(input, tag, engine_options(policy), llm, visual, None)
}

fn engine_options(policy: PolicyKind) -> EngineOptions {
    EngineOptions {
        policy,
        voice_seed: Some(3),
        ..EngineOptions::default()
    }
}

/// [`run`] with the engine's options given whole (a closed microphone gate, say).
#[allow(dead_code)] // each test file compiles this module; not all of them use every runner
pub fn run_with(
    input: &Path,
    tag: &str,
    engine: EngineOptions,
    llm: LlmConfig,
    visual: Option<VisualTimeline>,
) -> Run {
    run_full(input, tag, engine, llm, visual, None)
}

/// As [`run`], with what "read this" reads while the camera is on.
#[allow(dead_code)] // each test file compiles this module; not all of them use every runner
pub fn run_reading(
    input: &Path,
    tag: &str,
    policy: PolicyKind,
    llm: LlmConfig,
    visual: Option<VisualTimeline>,
    text_source: Option<Arc<dyn TextSource>>,
) -> Run {
    run_full(input, tag, engine_options(policy), llm, visual, text_source)
}

fn run_full(
    input: &Path,
    tag: &str,
    engine: EngineOptions,
    llm: LlmConfig,
    visual: Option<VisualTimeline>,
    text_source: Option<Arc<dyn TextSource>>,
) -> Run {
    let dir = input.parent().unwrap();
    let stem = input.file_stem().unwrap().to_string_lossy().to_string();
    let output = dir.join(format!("{stem}{tag}.out.wav"));
    let events = dir.join(format!("{stem}{tag}.jsonl"));
    let opts = DuplexOptions {
        input: input.to_owned(),
        output: output.clone(),
        events: Some(events.clone()),
        pace: Pace::Virtual,
        output_rate_hz: 16_000,
        echo: None,
        engine,
        llm,
        visual,
        text_source,
        clock: Default::default(),
    };
    let report = duplex::run(models(), &opts).expect("duplex runs");
    eprintln!("{report:?}");
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
        input_len: wav::read_mono(input, 16_000).unwrap().len(),
    }
}
