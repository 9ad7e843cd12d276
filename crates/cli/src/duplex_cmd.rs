//! `tandem duplex --input IN.wav --output OUT.wav [--events E.jsonl] [--pace virtual|realtime]`:
//! the whole engine on a recorded user channel (the contract in docs/architecture.md).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use tandem_core::config::Overrides;
use tandem_core::engine::duplex::{self, DuplexOptions};
use tandem_core::engine::worker::Pace;
use tandem_core::engine::{EngineModels, EngineOptions, PolicyKind};
use tandem_core::models::{Manifest, ModelCache, runtime};
use tandem_core::reasoning::WallClock;
use tandem_core::sim::EchoPath;
use tandem_core::vision::timeline::VisualTimeline;

use crate::{GlobalArgs, load_config};

#[derive(Debug, clap::Args)]
pub struct DuplexArgs {
    /// The user's channel: a WAV file (any rate, mono or stereo).
    #[arg(long, value_name = "IN.wav")]
    input: PathBuf,
    /// Where to write the assistant's channel (mono 16-bit WAV, same length as the input).
    #[arg(long, value_name = "OUT.wav")]
    output: PathBuf,
    /// Write one JSON object per line for everything the engine did (`t_ms`, `kind`, ...).
    #[arg(long, value_name = "EVENTS.jsonl")]
    events: Option<PathBuf>,
    /// `virtual`: deterministic, model compute time charged to a virtual clock;
    /// `realtime`: the input paced like a live microphone, every stage on its own thread.
    #[arg(long, default_value = "virtual")]
    pace: Pace,
    /// Sample rate of the output WAV.
    #[arg(long, default_value_t = 16_000, value_name = "HZ")]
    output_rate: u32,
    /// `model` (full duplex with the learned floor model), `rules` (full duplex, hand-written
    /// rules) or `baseline` (wait for 800 ms of silence, answer, never stop).
    #[arg(long, default_value = "model")]
    policy: PolicyKind,
    /// Micro-turn length in ms (80-400; default from the config, 200).
    #[arg(long, value_name = "MS")]
    micro_turn_ms: Option<u32>,
    /// Simulate a room: the assistant's voice leaks into the microphone (delay 30 ms,
    /// -6 dB) and the echo canceller runs.
    #[arg(long)]
    echo: bool,
    /// The simulated echo's level relative to what the assistant plays, dB (-60 to 0; implies
    /// --echo): -20 is a laptop's loudspeaker heard by its own microphone, -10 a loud one.
    #[arg(long, value_name = "DB", allow_hyphen_values = true)]
    echo_db: Option<f32>,
    /// Visual context over time, as if the camera were on: JSON lines such as
    /// {"t_ms": 0, "present": true, "facing": false}. Default: camera off.
    #[arg(long, value_name = "VISUAL.jsonl")]
    visual: Option<PathBuf>,
    /// Set the clock the assistant tells the time by to this moment, running on from there
    /// (RFC 9557, e.g. `2026-06-09T10:42:00[UTC]`); default: the system clock. `tandem eval`
    /// sets it so answers do not depend on when the suite runs.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// Print a JSON report instead of a sentence.
    #[arg(long)]
    json: bool,
}

/// The simulated loudspeaker's level must be -60 to 0 dB (`duplex` and `eval` take it).
pub fn check_echo_db(db: f32) -> anyhow::Result<()> {
    anyhow::ensure!(
        (-60.0..=0.0).contains(&db),
        "--echo-db {db} is not -60 to 0 dB"
    );
    Ok(())
}

pub fn run(global: &GlobalArgs, args: DuplexArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(global, Overrides::default())?;
    if !(8_000..=96_000).contains(&args.output_rate) {
        anyhow::bail!("--output-rate {} is not 8000-96000 Hz", args.output_rate);
    }
    let micro_turn_ms = args
        .micro_turn_ms
        .unwrap_or(config.interaction.micro_turn_ms);
    if !(80..=400).contains(&micro_turn_ms) {
        anyhow::bail!("--micro-turn-ms {micro_turn_ms} is not 80-400");
    }
    if let Some(db) = args.echo_db {
        check_echo_db(db)?;
    }
    let clock = match args.now.as_deref() {
        None => WallClock::system(),
        Some(t) => WallClock::parse_start(t).map_err(|e| anyhow::anyhow!("--now: {e}"))?,
    };
    // Read the input first: a bad WAV should fail before the models load.
    tandem_core::audio::wav::read_info(&args.input)
        .with_context(|| format!("reading the input {}", args.input.display()))?;
    let visual = args
        .visual
        .as_deref()
        .map(VisualTimeline::load)
        .transpose()?;
    let cache = ModelCache::locate(&config)?;
    let manifest = Manifest::builtin();
    let rt = runtime::init(&cache, &manifest, config.runtime.execution_provider)?;
    let models = EngineModels::load(rt, &cache, &manifest, &config)?;
    let opts = DuplexOptions {
        input: args.input.clone(),
        output: args.output.clone(),
        events: args.events.clone(),
        pace: args.pace,
        output_rate_hz: args.output_rate,
        echo: (args.echo || args.echo_db.is_some()).then(|| EchoPath {
            gain_db: args.echo_db.unwrap_or(EchoPath::default().gain_db),
            ..EchoPath::default()
        }),
        engine: EngineOptions {
            micro_turn_ms,
            policy: args.policy,
            voice_id: config.interaction.voice_id,
            voice_speed: config.voice.speed,
            voice_seed: (args.pace == Pace::Virtual).then_some(7),
            ..EngineOptions::default()
        },
        llm: config.llm.clone(),
        visual,
        text_source: None,
        clock,
    };
    let report = duplex::run(models, &opts)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let busy: Vec<String> = report
            .stage_busy_ms
            .iter()
            .map(|(n, ms)| format!("{n} {ms:.0} ms"))
            .collect();
        eprintln!(
            "duplex: {} ms of input in {} ms ({:?} pace), {} events; compute: {}",
            report.input_ms,
            report.wall_ms,
            args.pace,
            report.events,
            busy.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
