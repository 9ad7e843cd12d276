//! `tandem run`: the assistant on this machine's microphone and speaker.
//!
//! Today this is the listening front of the loop: it checks the models and the runtime, opens
//! the microphone and reports, every micro-turn, the input level. The interaction loop (issue
//! "interaction loop") replaces the report with the conversation.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use tandem_core::audio::{capture::Capture, devices};
use tandem_core::config::Overrides;
use tandem_core::models::{Manifest, ModelCache, runtime};

use crate::{GlobalArgs, load_config};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Run in the terminal even when a display is present (the desktop app is `tandem-app`).
    #[arg(long)]
    headless: bool,
    /// Microphone by name (`tandem doctor` lists them).
    #[arg(long, value_name = "NAME")]
    input_device: Option<String>,
    /// Speaker by name.
    #[arg(long, value_name = "NAME")]
    output_device: Option<String>,
    /// Micro-turn length in ms (80-400), for this run.
    #[arg(long, value_name = "MS")]
    micro_turn_ms: Option<u32>,
    /// Stop after this many seconds (default: until Ctrl-C).
    #[arg(long, value_name = "S")]
    seconds: Option<f64>,
}

/// Exit code for "no audio device": distinct from other failures so scripts can tell.
const EXIT_NO_DEVICE: u8 = 3;

pub fn run(global: &GlobalArgs, args: RunArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(
        global,
        Overrides {
            micro_turn_ms: args.micro_turn_ms,
            input_device: args.input_device.clone(),
            output_device: args.output_device.clone(),
            ..Default::default()
        },
    )?;
    let _ = args.headless; // The terminal is the only face of this binary.

    // Models and runtime first: a missing model is a clear error before any device is opened.
    let cache = ModelCache::locate(&config)?;
    let manifest = Manifest::builtin();
    for a in manifest.selected(&["core"]) {
        cache.verified_path(&manifest, &a.file)?;
    }
    let rt = runtime::init(&cache, &manifest, config.runtime.execution_provider)
        .context("starting ONNX Runtime")?;
    eprintln!(
        "ONNX Runtime: {} ({})",
        rt.library.display(),
        config.runtime.execution_provider
    );

    let list = devices::list();
    if !list.has_input() || !list.has_output() {
        let missing = match (list.has_input(), list.has_output()) {
            (false, false) => "no microphone and no speaker",
            (false, true) => "no microphone",
            _ => "no speaker",
        };
        eprintln!(
            "error: {missing} found (audio host {}).\n  fix: connect or enable an audio device and check `tandem doctor`; \
             without a sound card, start a PulseAudio server (see README, \"Audio without a sound card\"),\n  \
             or use the engine on recordings (see `tandem --help`).",
            list.host
        );
        return Ok(ExitCode::from(EXIT_NO_DEVICE));
    }

    let mut mic = Capture::open(config.audio.input_device.as_deref())?;
    eprintln!(
        "Listening on `{}` ({} Hz, {} ch); micro-turn {} ms. Ctrl-C stops.",
        mic.device, mic.sample_rate_hz, mic.channels, config.interaction.micro_turn_ms
    );
    let tick = Duration::from_millis(config.interaction.micro_turn_ms.into());
    let start = Instant::now();
    let mut buf = Vec::with_capacity(mic.sample_rate_hz as usize);
    let mut next = start + tick;
    loop {
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        next += tick;
        buf.clear();
        mic.read_mono(&mut buf);
        if mic.stats.failed.load(std::sync::atomic::Ordering::Relaxed) {
            anyhow::bail!(
                "microphone `{}` stopped (unplugged or taken by another program); check `tandem doctor`",
                mic.device
            );
        }
        let rms = (buf.iter().map(|s| s * s).sum::<f32>() / buf.len().max(1) as f32).sqrt();
        let dbfs = 20.0 * rms.max(1e-6).log10();
        let bars = ((dbfs + 60.0) / 3.0).clamp(0.0, 20.0) as usize;
        let t = start.elapsed().as_secs_f64();
        eprint!(
            "\r{t:7.1}s  level {dbfs:6.1} dBFS [{:<20}]  overruns {}",
            "#".repeat(bars),
            mic.stats
                .overrun_samples
                .load(std::sync::atomic::Ordering::Relaxed)
        );
        std::io::stderr().flush().ok();
        if args.seconds.is_some_and(|s| t >= s) {
            eprintln!();
            return Ok(ExitCode::SUCCESS);
        }
    }
}
