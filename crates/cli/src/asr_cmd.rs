//! `tandem transcribe FILE.wav`: Whisper tiny.en on any WAV file.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use tandem_core::audio::wav;
use tandem_core::config::Overrides;
use tandem_core::models::asr::{Precision, Whisper};
use tandem_core::models::{Manifest, ModelCache, runtime};

use crate::{GlobalArgs, load_config};

#[derive(Debug, clap::Args)]
pub struct TranscribeArgs {
    /// A WAV file: any rate, any channel count, 8/16/24/32-bit integer or 32-bit float.
    file: PathBuf,
    /// Print the transcript, tokens and word time estimates as JSON.
    #[arg(long)]
    json: bool,
    /// Run the fp32 models instead of int8.
    #[arg(long)]
    fp32: bool,
}

pub fn transcribe(global: &GlobalArgs, args: TranscribeArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(global, Overrides::default())?;
    let audio = wav::read_mono(&args.file, 16_000)?;
    let cache = ModelCache::locate(&config)?;
    let manifest = Manifest::builtin();
    let rt = runtime::init(&cache, &manifest, config.runtime.execution_provider)?;
    let precision = if args.fp32 {
        Precision::Fp32
    } else {
        Precision::Int8
    };
    let mut whisper = Whisper::load(
        rt,
        &cache,
        &manifest,
        precision,
        config.runtime.intra_threads,
    )
    .context("loading Whisper (run `tandem models fetch` if it is missing)")?;
    let started = Instant::now();
    let t = whisper.transcribe(&audio)?;
    let compute_ms = started.elapsed().as_millis();
    if args.json {
        let v = serde_json::json!({
            "file": args.file,
            "duration_ms": audio.len() as u64 * 1000 / 16_000,
            "compute_ms": compute_ms,
            "text": t.text,
            "tokens": t.tokens,
            "words": t.words,
            "repetition_stopped": t.repetition_stopped,
            "avg_logprob": t.avg_logprob,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("{}", t.text);
    }
    Ok(ExitCode::SUCCESS)
}
