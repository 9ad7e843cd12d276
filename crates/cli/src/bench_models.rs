//! `tandem bench models FILE.wav`: the ONNX model stages timed on the CPU and on the configured
//! execution provider (`--provider cuda|tensorrt`) in the same run, on the same audio: Whisper
//! (int8 and fp32, one whole transcription: encoder plus every decoder step), smart-turn (one
//! 8 s end-of-turn prediction) and the voice encoder (one embedding). Each line names the
//! provider the session really got, so a silent fall back to the CPU shows.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::json;
use tandem_core::audio::wav;
use tandem_core::config::{ExecutionProvider, Overrides};
use tandem_core::models::asr::{Precision, Whisper};
use tandem_core::models::runtime::{self, Runtime};
use tandem_core::models::turn::TurnDetector;
use tandem_core::models::voice::VoiceEncoder;
use tandem_core::models::{Manifest, ModelCache};

use crate::{GlobalArgs, load_config};

#[derive(Debug, clap::Args)]
pub struct ModelsArgs {
    /// Speech to run the models on: a WAV file, any rate or channel count (the first 30 s).
    file: PathBuf,
    /// Timed runs per model and provider, after two warm-up runs.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Print the numbers as JSON.
    #[arg(long)]
    json: bool,
}

/// One stage on one provider.
struct Timing {
    stage: &'static str,
    asked: ExecutionProvider,
    got: String,
    load_ms: f64,
    /// Sorted run times, ms.
    runs_ms: Vec<f64>,
    /// What the last run produced (a transcript, a probability), to check both agree.
    output: String,
}

impl Timing {
    fn median(&self) -> f64 {
        crate::bench_cmd::percentile(&self.runs_ms, 0.5)
    }
}

/// A loaded stage: runs once on the audio and says what it produced.
type Stage = Box<dyn FnMut(&[f32]) -> anyhow::Result<String>>;

/// Where the models come from and how many CPU threads a session gets.
struct Models<'a> {
    rt: &'a Runtime,
    cache: &'a ModelCache,
    manifest: &'a Manifest,
    threads: usize,
}

fn load_stage(
    m: &Models<'_>,
    stage: &'static str,
    provider: ExecutionProvider,
) -> anyhow::Result<(Stage, String)> {
    let Models {
        rt,
        cache,
        manifest,
        threads,
    } = *m;
    Ok(match stage {
        "whisper int8" | "whisper fp32" => {
            let precision = if stage == "whisper int8" {
                Precision::Int8
            } else {
                Precision::Fp32
            };
            let mut w = Whisper::load_on(rt, cache, manifest, precision, threads, provider)?;
            let (enc, dec) = w.providers();
            let got = if enc == dec {
                enc.to_string()
            } else {
                format!("encoder {enc}, decoder {dec}")
            };
            (Box::new(move |a| Ok(w.transcribe(a)?.text)), got)
        }
        "smart-turn" => {
            let mut t = TurnDetector::load_on(rt, cache, manifest, threads, provider)?;
            let got = t.provider().to_string();
            (Box::new(move |a| Ok(format!("{:.3}", t.predict(a)?))), got)
        }
        "voice encoder" => {
            let mut v = VoiceEncoder::load_on(rt, cache, manifest, threads, provider)?;
            let got = v.provider().to_string();
            let stage = move |a: &[f32]| -> anyhow::Result<String> {
                let e = v.embed(a)?;
                Ok(e.map_or("silent".to_owned(), |e| {
                    format!("self-similarity {:.3}", e.similarity(&e))
                }))
            };
            (Box::new(stage), got)
        }
        other => anyhow::bail!("unknown stage {other}"),
    })
}

fn time_stage(
    m: &Models<'_>,
    stage: &'static str,
    provider: ExecutionProvider,
    audio: &[f32],
    runs: usize,
) -> anyhow::Result<Timing> {
    let t0 = Instant::now();
    let (mut run, got) = load_stage(m, stage, provider)?;
    let load_ms = t0.elapsed().as_secs_f64() * 1e3;
    let mut output = String::new();
    for _ in 0..2 {
        output = run(audio)?;
    }
    let mut runs_ms = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        output = run(audio)?;
        runs_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    runs_ms.sort_by(f64::total_cmp);
    Ok(Timing {
        stage,
        asked: provider,
        got,
        load_ms,
        runs_ms,
        output,
    })
}

pub fn models(global: &GlobalArgs, args: ModelsArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(global, Overrides::default())?;
    let mut audio = wav::read_mono(&args.file, 16_000)?;
    audio.truncate(30 * 16_000);
    let cache = ModelCache::locate(&config)?;
    let manifest = Manifest::builtin();
    let requested = config.runtime.execution_provider;
    let rt = runtime::init(&cache, &manifest, requested)?;
    let threads = config.runtime.intra_threads;
    let mut providers = vec![ExecutionProvider::Cpu];
    if requested != ExecutionProvider::Cpu {
        providers.push(requested);
    }
    eprintln!(
        "ONNX Runtime {} ({} build), {} CPU thread(s) per session, {:.1} s of audio, {} runs each",
        rt.library.display(),
        if rt.gpu_build { "GPU" } else { "CPU" },
        threads,
        audio.len() as f64 / 16_000.0,
        args.runs
    );
    let models = Models {
        rt,
        cache: &cache,
        manifest: &manifest,
        threads,
    };
    match Whisper::load_fastest(rt, &cache, &manifest, threads) {
        Ok(w) => eprintln!(
            "The engine's Whisper (load_fastest): {:?}, encoder on {}, decoder on {}",
            w.precision(),
            w.providers().0,
            w.providers().1
        ),
        Err(e) => eprintln!("The engine's Whisper (load_fastest) does not load: {e}"),
    }
    let mut timings = Vec::new();
    let mut skipped = Vec::new();
    for stage in [
        "whisper int8",
        "whisper fp32",
        "smart-turn",
        "voice encoder",
    ] {
        for &p in &providers {
            match time_stage(&models, stage, p, &audio, args.runs) {
                Ok(t) => timings.push(t),
                Err(e) => {
                    eprintln!("{stage} on {p}: skipped: {e:#}");
                    skipped.push(json!({"stage": stage, "provider": p.to_string(), "error": format!("{e:#}")}));
                }
            }
        }
    }
    let cpu_median = |stage: &str| {
        timings
            .iter()
            .find(|t| t.stage == stage && t.asked == ExecutionProvider::Cpu)
            .map(Timing::median)
    };
    if args.json {
        let rows: Vec<_> = timings
            .iter()
            .map(|t| {
                json!({
                    "stage": t.stage,
                    "asked": t.asked.to_string(),
                    "got": t.got,
                    "load_ms": t.load_ms,
                    "median_ms": t.median(),
                    "p95_ms": crate::bench_cmd::percentile(&t.runs_ms, 0.95),
                    "min_ms": t.runs_ms.first(),
                    "cpu_over_this": cpu_median(t.stage).map(|c| c / t.median()),
                    "output": t.output,
                })
            })
            .collect();
        let v = json!({
            "library": rt.library,
            "gpu_build": rt.gpu_build,
            "threads": threads,
            "audio_s": audio.len() as f64 / 16_000.0,
            "runs": args.runs,
            "timings": rows,
            "skipped": skipped,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "| stage | asked | got | load ms | median ms | p95 ms | CPU / this | output |\n|---|---|---|---|---|---|---|---|"
    );
    for t in &timings {
        let ratio =
            cpu_median(t.stage).map_or("-".to_owned(), |c| format!("{:.2}", c / t.median()));
        println!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {} | {} |",
            t.stage,
            t.asked,
            t.got,
            t.load_ms,
            t.median(),
            crate::bench_cmd::percentile(&t.runs_ms, 0.95),
            ratio,
            t.output.replace('|', "/")
        );
    }
    Ok(ExitCode::SUCCESS)
}
