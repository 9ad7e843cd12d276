//! `tandem say "text" [-o out.wav] [--speed 1.0]`: hibari text-to-speech, to a WAV file or the
//! speaker.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use tandem_core::audio::wav;
use tandem_core::config::Overrides;
use tandem_core::models::tts::{
    SAMPLE_RATE_HZ, Speaker, SpeechEvent, StreamConfig, SynthOptions, Tts,
};
use tandem_core::models::{Manifest, ModelCache, runtime};

use crate::{GlobalArgs, load_config};

#[derive(Debug, clap::Args)]
pub struct SayArgs {
    /// What to say; read from standard input when absent or "-".
    text: Option<String>,
    /// Write a 16-bit mono WAV (24 kHz) here instead of playing it.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Speaking rate, 0.5-2.0 (1.0 = as trained).
    #[arg(long, default_value_t = 1.0)]
    speed: f32,
    /// Pitch multiplier, 0.5-2.0.
    #[arg(long, default_value_t = 1.0)]
    pitch: f32,
    /// Seed of the noise component, for reproducible audio.
    #[arg(long)]
    seed: Option<u64>,
    /// Print the phoneme strings (one per chunk) and do not synthesize.
    #[arg(long)]
    phonemes: bool,
    /// Speaker device name (default: the system's default output).
    #[arg(long, value_name = "NAME")]
    device: Option<String>,
}

fn read_text(arg: Option<String>) -> anyhow::Result<String> {
    match arg.as_deref() {
        Some(t) if t != "-" => Ok(t.to_owned()),
        _ => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("reading the text from standard input")?;
            Ok(s)
        }
    }
}

pub fn run(global: &GlobalArgs, args: SayArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(global, Overrides::default())?;
    let text = read_text(args.text.clone())?;
    if text.trim().is_empty() {
        anyhow::bail!("nothing to say: the text is empty");
    }
    let options = SynthOptions {
        speed: args.speed,
        pitch: args.pitch,
        seed: args.seed,
    };
    options.validate()?;
    let cache = ModelCache::locate(&config)?;
    let manifest = Manifest::builtin();
    let rt = runtime::init(&cache, &manifest, config.runtime.execution_provider)?;
    let mut tts = Tts::load(rt, &cache, &manifest, config.runtime.intra_threads.max(1))
        .context("loading hibari TTS (run `tandem models fetch` if it is missing)")?;
    if args.phonemes {
        for ps in tts.phonemize(&text)? {
            println!("{ps}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    match &args.output {
        Some(path) => {
            let started = Instant::now();
            let audio = tts.synthesize(&text, &options)?;
            let compute = started.elapsed();
            wav::write_mono_i16(path, &audio, SAMPLE_RATE_HZ)
                .with_context(|| format!("writing {}", path.display()))?;
            let secs = audio.len() as f64 / f64::from(SAMPLE_RATE_HZ);
            eprintln!(
                "{}: {secs:.2} s of audio in {} ms ({:.0}x real time)",
                path.display(),
                compute.as_millis(),
                secs / compute.as_secs_f64().max(1e-9)
            );
            Ok(ExitCode::SUCCESS)
        }
        None => play(tts, &text, options, args.device.as_deref()),
    }
}

/// Streams the speech to the speaker: each chunk is queued as soon as it is synthesized.
fn play(
    tts: Tts,
    text: &str,
    options: SynthOptions,
    device: Option<&str>,
) -> anyhow::Result<ExitCode> {
    use tandem_core::audio::cpal_io::CpalSink;

    let (_sink, mut player, _reference) = CpalSink::open(device)
        .context("opening the speaker (use -o FILE to write a WAV instead)")?;
    let speaker = Speaker::spawn(tts, StreamConfig::default())?;
    let started = Instant::now();
    let id = speaker.speak(text, options)?;
    let mut first_audio: Option<Duration> = None;
    loop {
        player.pump();
        match speaker.recv_timeout(Duration::from_millis(10)) {
            Some(SpeechEvent::Chunk { samples, .. }) => {
                first_audio.get_or_insert_with(|| started.elapsed());
                player.speak(&samples);
            }
            Some(SpeechEvent::Finished { id: done }) if done == id => break,
            Some(SpeechEvent::Failed { message, .. }) => {
                anyhow::bail!("synthesis failed: {message}")
            }
            Some(_) => {}
            None => {}
        }
    }
    // Let the device play what is queued.
    while player.queued() > 0 || player.is_speaking() {
        player.pump();
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(100));
    if let Some(t) = first_audio {
        tracing::info!(first_audio_ms = t.as_millis() as u64, "spoke");
    }
    Ok(ExitCode::SUCCESS)
}
