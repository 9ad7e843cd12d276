//! `tandem`: the terminal face of the engine.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tandem_core::config::{Config, ExecutionProvider, Overrides};

mod aec_cmd;
mod asr_cmd;
mod bench_cmd;
mod bench_models;
mod config_cmd;
mod doctor_cmd;
mod duplex_cmd;
mod eval_cmd;
mod floor_cmd;
mod listen_cmd;
mod models_cmd;
mod reason_cmd;
mod run_cmd;
mod say_cmd;
mod vision_cmd;

#[derive(Debug, Parser)]
#[command(
    name = "tandem",
    version,
    about = "Tandem: an on-device, full-duplex voice assistant"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Flags that override the config file for this run only (never saved).
#[derive(Debug, clap::Args)]
struct GlobalArgs {
    /// ONNX Runtime execution provider: auto, cpu, cuda, tensorrt, directml, coreml.
    #[arg(long, global = true, value_name = "PROVIDER")]
    provider: Option<ExecutionProvider>,
    /// Model cache directory (default: $TANDEM_MODELS_DIR, else the XDG cache directory).
    #[arg(long, global = true, value_name = "DIR")]
    models_dir: Option<std::path::PathBuf>,
    /// Log more (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Talk to the assistant on this machine's microphone and speaker.
    Run(run_cmd::RunArgs),
    /// Check this machine: OS, CPU, execution providers, audio devices, cameras, models, config.
    Doctor(doctor_cmd::DoctorArgs),
    /// Fetch, verify and list the models.
    #[command(subcommand)]
    Models(models_cmd::ModelsCmd),
    /// Cancel echo offline: far end (played) + near end (recorded) -> cleaned WAV (16 kHz mono).
    Aec(aec_cmd::AecArgs),
    /// Print the speech segments of a WAV file (Silero VAD fused with webrtc-vad).
    Vad(listen_cmd::VadArgs),
    /// Print the end-of-turn probability of a WAV file (smart-turn v3.2).
    Turn(listen_cmd::TurnArgs),
    /// Speak text with the hibari voice (to the speaker, or to a WAV with -o).
    Say(say_cmd::SayArgs),
    /// Ask the reasoner one question (built-in skills, or the configured LLM).
    Ask(reason_cmd::AskArgs),
    /// Show or export the conversation history.
    History(reason_cmd::HistoryArgs),
    /// Transcribe a WAV file with Whisper tiny.en.
    Transcribe(asr_cmd::TranscribeArgs),
    /// Full-duplex scenario suite: `eval generate [DIR]` builds it, `eval [DIR]` scores
    /// `tandem duplex` on it.
    Eval(eval_cmd::EvalArgs),
    /// Show, validate or create the configuration file.
    #[command(subcommand)]
    Config(config_cmd::ConfigCmd),
    /// Measure a part of the system on this machine: `bench llm`, `bench models`.
    #[command(subcommand)]
    Bench(bench_cmd::BenchCmd),
    /// The floor model's data tools: `floor features DIR` for training episodes.
    #[command(subcommand)]
    Floor(floor_cmd::FloorCmd),
    /// Run the whole engine on a recorded user channel; write the assistant's channel.
    Duplex(duplex_cmd::DuplexArgs),
    /// What the camera stage sees in an image (or the live camera): faces, presence, facing.
    Vision(vision_cmd::VisionArgs),
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "debug,ort=info",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// Loads the config file and applies the command-line overrides.
fn load_config(global: &GlobalArgs, extra: Overrides) -> anyhow::Result<Config> {
    let (config, _path) = Config::load()?;
    let overrides = Overrides {
        execution_provider: global.provider,
        models_dir: global.models_dir.clone(),
        ..extra
    };
    Ok(overrides.apply(config)?)
}

fn main() -> ExitCode {
    tandem_core::memory::tune_allocator();
    let cli = Cli::parse();
    init_logging(cli.global.verbose);
    let result = match cli.command {
        Command::Run(args) => run_cmd::run(&cli.global, args),
        Command::Doctor(args) => doctor_cmd::run(&cli.global, args),
        Command::Models(cmd) => models_cmd::run(&cli.global, cmd),
        Command::Config(cmd) => config_cmd::run(&cli.global, cmd),
        Command::Transcribe(args) => asr_cmd::transcribe(&cli.global, args),
        Command::Aec(args) => aec_cmd::run(&cli.global, args),
        Command::Vad(args) => listen_cmd::vad(&cli.global, args),
        Command::Turn(args) => listen_cmd::turn(&cli.global, args),
        Command::Say(args) => say_cmd::run(&cli.global, args),
        Command::Ask(args) => reason_cmd::ask(&cli.global, args),
        Command::History(args) => reason_cmd::history(&cli.global, args),
        Command::Duplex(args) => duplex_cmd::run(&cli.global, args),
        Command::Bench(cmd) => bench_cmd::run(&cli.global, cmd),
        Command::Eval(args) => eval_cmd::run(&cli.global, args),
        Command::Vision(args) => vision_cmd::run(&cli.global, args),
        Command::Floor(cmd) => floor_cmd::run(&cli.global, cmd),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
