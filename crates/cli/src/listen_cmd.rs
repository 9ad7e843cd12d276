//! `tandem vad FILE.wav` and `tandem turn FILE.wav`: the listening models on a recording.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use tandem_core::audio::wav;
use tandem_core::config::{Config, Overrides};
use tandem_core::models::runtime::{self, Runtime};
use tandem_core::models::turn::{self, TurnDetector};
use tandem_core::models::vad::{
    self, FusionParams, SegmentParams, SileroVad, StreamingVad, VadFrame,
};
use tandem_core::models::{Manifest, ModelCache};

use crate::{GlobalArgs, load_config};

#[derive(Debug, clap::Args)]
pub struct VadArgs {
    /// WAV file (any rate, any channels; read as 16 kHz mono).
    file: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Also print every 32 ms chunk: Silero's probability, the WebRTC gate, the fused value.
    #[arg(long)]
    frames: bool,
    /// Speech starts when the fused probability reaches this.
    #[arg(long, default_value_t = SegmentParams::default().on_threshold, value_name = "P")]
    on: f32,
    /// Speech ends only after the probability stays below this.
    #[arg(long, default_value_t = SegmentParams::default().off_threshold, value_name = "P")]
    off: f32,
    /// Drop speech shorter than this.
    #[arg(long, default_value_t = SegmentParams::default().min_speech_ms, value_name = "MS")]
    min_speech_ms: u32,
    /// Pauses shorter than this do not end a segment.
    #[arg(long, default_value_t = SegmentParams::default().min_silence_ms, value_name = "MS")]
    min_silence_ms: u32,
    /// Widen each segment by this much on both sides.
    #[arg(long, default_value_t = SegmentParams::default().pad_ms, value_name = "MS")]
    pad_ms: u32,
}

#[derive(Debug, clap::Args)]
pub struct TurnArgs {
    /// WAV file (any rate, any channels; read as 16 kHz mono). The last 8 s are scored.
    file: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Score the audio as it was at this time instead of at the end of the file.
    #[arg(long, value_name = "MS")]
    at_ms: Option<u64>,
}

/// The model cache, manifest and runtime for this config.
pub(crate) fn open_runtime(
    config: &Config,
) -> anyhow::Result<(&'static Runtime, ModelCache, Manifest)> {
    let cache = ModelCache::locate(config)?;
    let manifest = Manifest::builtin();
    let rt = runtime::init(&cache, &manifest, config.runtime.execution_provider)?;
    Ok((rt, cache, manifest))
}

fn read_audio(path: &Path) -> anyhow::Result<(Vec<f32>, wav::WavInfo)> {
    let info = wav::read_info(path)?;
    let samples = wav::read_mono(path, vad::SAMPLE_RATE_HZ)?;
    Ok((samples, info))
}

/// Prints to stdout; a closed pipe (`| head`) ends the output quietly instead of panicking.
fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn secs(ms: u64) -> String {
    format!("{:.2} s", ms as f64 / 1000.0)
}

pub fn vad(global: &GlobalArgs, args: VadArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(global, Overrides::default())?;
    let params = SegmentParams {
        on_threshold: args.on,
        off_threshold: args.off,
        min_speech_ms: args.min_speech_ms,
        min_silence_ms: args.min_silence_ms,
        pad_ms: args.pad_ms,
    };
    params.validate()?;
    let (samples, info) = read_audio(&args.file)?;
    let (rt, cache, manifest) = open_runtime(&config)?;
    let silero = SileroVad::load(rt, &cache, &manifest, config.runtime.intra_threads)
        .context("loading Silero VAD")?;
    let provider = silero.provider();
    let mut vad = StreamingVad::new(silero, FusionParams::default())?;
    let mut frames: Vec<VadFrame> = Vec::new();
    let started = Instant::now();
    let segments = vad::detect_speech(&mut vad, &samples, &params, |f| {
        if args.frames {
            frames.push(*f);
        }
    })?;
    let elapsed = started.elapsed();
    let n_chunks = samples.len().div_ceil(vad::CHUNK_SAMPLES).max(1);
    let ms_per_chunk = elapsed.as_secs_f64() * 1000.0 / n_chunks as f64;
    let duration_ms = samples.len() as u64 * 1000 / u64::from(vad::SAMPLE_RATE_HZ);

    if args.json {
        let mut out = serde_json::json!({
            "file": args.file,
            "duration_ms": duration_ms,
            "source": info,
            "segments": segments,
            "params": params,
            "fusion": vad.params(),
            "provider": provider,
            "chunks": n_chunks,
            "ms_per_chunk": ms_per_chunk,
        });
        if args.frames {
            out["frames"] = frames
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "t_ms": f.start_ms(),
                        "silero": f.silero,
                        "gate_open": f.gate_open,
                        "probability": f.probability,
                    })
                })
                .collect();
        }
        emit(&format!("{}\n", serde_json::to_string_pretty(&out)?))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = format!(
        "{}: {}, {} speech segment{} ({provider}, {ms_per_chunk:.3} ms per 32 ms chunk)\n",
        args.file.display(),
        secs(duration_ms),
        segments.len(),
        if segments.len() == 1 { "" } else { "s" },
    );
    for s in &segments {
        let _ = writeln!(
            text,
            "  {:>8} - {:>8}  ({})",
            secs(s.start_ms),
            secs(s.end_ms),
            secs(s.duration_ms())
        );
    }
    if args.frames {
        text.push_str("\n  t_ms  silero  gate  fused\n");
        for f in &frames {
            let bar = "#".repeat((f.probability * 20.0).round() as usize);
            let _ = writeln!(
                text,
                "{:>6}  {:>6.3}  {:>4}  {:>5.3} {bar}",
                f.start_ms(),
                f.silero,
                if f.gate_open { "open" } else { "-" },
                f.probability
            );
        }
    }
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

pub fn turn(global: &GlobalArgs, args: TurnArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(global, Overrides::default())?;
    let (mut samples, _info) = read_audio(&args.file)?;
    let duration_ms = samples.len() as u64 * 1000 / u64::from(vad::SAMPLE_RATE_HZ);
    if let Some(at) = args.at_ms {
        anyhow::ensure!(
            at <= duration_ms,
            "--at-ms {at} is past the end of {} ({duration_ms} ms)",
            args.file.display()
        );
        samples.truncate((at * u64::from(vad::SAMPLE_RATE_HZ) / 1000) as usize);
    }
    let end_ms = samples.len() as u64 * 1000 / u64::from(vad::SAMPLE_RATE_HZ);
    let (rt, cache, manifest) = open_runtime(&config)?;
    let mut detector = TurnDetector::load(rt, &cache, &manifest, config.runtime.intra_threads)
        .context("loading smart-turn")?;
    let started = Instant::now();
    let probability = detector.predict(&samples)?;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let complete = probability > turn::COMPLETE_THRESHOLD;
    let window_ms = end_ms.min(turn::WINDOW_SAMPLES as u64 * 1000 / 16_000);

    if args.json {
        let out = serde_json::json!({
            "file": args.file,
            "probability": probability,
            "complete": complete,
            "threshold": turn::COMPLETE_THRESHOLD,
            "end_ms": end_ms,
            "window_ms": window_ms,
            "provider": detector.provider(),
            "elapsed_ms": elapsed_ms,
        });
        emit(&format!("{}\n", serde_json::to_string_pretty(&out)?))?;
        return Ok(ExitCode::SUCCESS);
    }
    emit(&format!(
        "{}: end of turn {probability:.3} ({}) at {} from the last {}; {elapsed_ms:.0} ms on {}\n",
        args.file.display(),
        if complete { "complete" } else { "incomplete" },
        secs(end_ms),
        secs(window_ms),
        detector.provider(),
    ))?;
    Ok(ExitCode::SUCCESS)
}
