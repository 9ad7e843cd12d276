//! `tandem eval generate`: the spec -> scenario directories.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use tandem_core::config::Overrides;
use tandem_core::eval::espeak::{EspeakNg, Speakers};
use tandem_core::eval::generate::{self, DevSpeech};
use tandem_core::eval::{Category, Spec, VoiceEngine};
use tandem_core::models::tts::Tts;
use tandem_core::models::{Manifest, ModelCache, runtime};

use super::GenerateArgs;
use crate::{GlobalArgs, load_config};

/// The committed spec, built in so the binary works from any directory.
const BUILTIN_SPEC: &str = include_str!("../../../../tests/scenarios/spec.toml");

/// "turn_taking, pause_handling" or "any category".
pub fn only_text(only: &[Category]) -> String {
    if only.is_empty() {
        return "any category".to_owned();
    }
    only.iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn run(global: &GlobalArgs, args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let spec = match &args.spec {
        Some(path) => Spec::load(path)?,
        None => Spec::parse(
            Path::new("tests/scenarios/spec.toml (built in)"),
            BUILTIN_SPEC,
        )?,
    };
    let dev_dir = args
        .dev_speech
        .clone()
        .unwrap_or_else(tandem_core::eval::dev_speech_dir);
    let mut dev = DevSpeech::new(&dev_dir);
    let selection = generate::selection(&spec, &args.only, args.per_category);
    anyhow::ensure!(
        !selection.is_empty(),
        "nothing to generate: the spec has no items for {}",
        only_text(&args.only)
    );
    // Check the recordings before spending time on speech synthesis.
    if selection
        .iter()
        .any(|(c, _)| *c == Category::BackgroundSpeech)
    {
        for r in &spec.recordings {
            dev.get(&spec, &r.file)?;
        }
    }
    let config = load_config(global, Overrides::default())?;
    let cache = ModelCache::locate(&config)?;
    let manifest = Manifest::builtin();
    let rt = runtime::init(&cache, &manifest, config.runtime.execution_provider)?;
    let tts = Tts::load(rt, &cache, &manifest, config.runtime.intra_threads.max(1))
        .context("loading hibari TTS (run `tandem models fetch` if it is missing)")?;
    let mut speakers = Speakers {
        hibari: tts,
        espeak: EspeakNg::new(),
    };
    // Check the espeak-ng voices (the program, each voice and variant) before the long part.
    for v in spec
        .voices
        .iter()
        .filter(|v| v.engine == VoiceEngine::EspeakNg)
    {
        speakers.espeak.speak("Hello.", &v.user_voice(0))?;
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating the suite directory {}", args.out.display()))?;
    let started = Instant::now();
    let mut audio_ms = 0;
    for (category, index) in &selection {
        let scenario = generate::generate(&spec, *category, *index, &mut speakers, &mut dev)?;
        let dir = scenario.write(&args.out)?;
        audio_ms += scenario.meta.duration_ms;
        eprintln!(
            "{}: {:.1} s  {}",
            dir.display(),
            scenario.meta.duration_ms as f64 / 1000.0,
            scenario.meta.description
        );
    }
    eprintln!(
        "{} scenarios ({:.1} min of audio) in {} ({:.1} s)",
        selection.len(),
        audio_ms as f64 / 60_000.0,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
