//! `tandem eval`: the full-duplex scenario suite.
//!
//! * `tandem eval generate [OUT_DIR]` writes the scenarios of `tests/scenarios/spec.toml`
//!   (user voices from our TTS, background speech from the development recordings).
//! * `tandem eval [SUITE_DIR]` runs `tandem duplex` on each scenario (a subprocess of this very
//!   binary), reads the assistant's channel with Silero VAD + Whisper and scores it by the
//!   Full-Duplex-Bench rules: a table per category, one column per policy (`--policy
//!   model,rules,baseline`).

use std::path::PathBuf;
use std::process::ExitCode;

use tandem_core::eval::Category;

use crate::GlobalArgs;

mod generate;
mod run;

/// Where the suite lives unless told otherwise (git-ignored).
pub const DEFAULT_SUITE_DIR: &str = "tests/scenarios/suite";

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EvalArgs {
    #[command(subcommand)]
    command: Option<EvalCmd>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, clap::Subcommand)]
enum EvalCmd {
    /// Generate the scenario suite (input.wav + meta.json per scenario).
    Generate(GenerateArgs),
}

/// How `tandem duplex` feeds the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Pace {
    /// As fast as the engine can go, on a virtual clock.
    Virtual,
    /// At the speed of real time.
    Realtime,
}

impl Pace {
    fn as_str(self) -> &'static str {
        match self {
            Pace::Virtual => "virtual",
            Pace::Realtime => "realtime",
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The suite directory (one sub-directory per scenario).
    #[arg(value_name = "SUITE_DIR", default_value = DEFAULT_SUITE_DIR)]
    suite: PathBuf,
    /// Print every scenario's result (and the summaries) as JSON instead of the table.
    #[arg(long)]
    json: bool,
    /// How `tandem duplex` paces the input.
    #[arg(long, value_enum, default_value_t = Pace::Virtual)]
    pace: Pace,
    /// The floor policies to run side by side: model (the learned floor model), rules (the
    /// hand-written rules), baseline (naive turn-taking). Comma-separated or repeated.
    #[arg(long, value_name = "POLICY", value_delimiter = ',', default_value = "model",
          value_parser = clap::builder::PossibleValuesParser::new(run::POLICIES))]
    policy: Vec<String>,
    /// Also run the naive turn-based baseline (same as adding `baseline` to --policy).
    #[arg(long)]
    baseline: bool,
    /// Only these categories (comma-separated or repeated).
    #[arg(long, value_name = "CATEGORY", value_delimiter = ',')]
    only: Vec<Category>,
    /// At most N scenarios per category.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Simulate a loudspeaker: the assistant's voice leaks into the microphone at this level
    /// (dB relative to what it plays, -60 to 0) and the echo canceller runs (`duplex --echo-db`).
    #[arg(long, value_name = "DB", allow_hyphen_values = true)]
    echo_db: Option<f32>,
    /// Keep the outputs (OUT.wav, events JSONL, scores) in DIR instead of a temporary directory.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Where to write the scenarios.
    #[arg(value_name = "OUT_DIR", default_value = DEFAULT_SUITE_DIR)]
    out: PathBuf,
    /// Only these categories (comma-separated or repeated).
    #[arg(long, value_name = "CATEGORY", value_delimiter = ',')]
    only: Vec<Category>,
    /// At most N scenarios per category (the first N of the spec).
    #[arg(long, value_name = "N")]
    per_category: Option<usize>,
    /// The scenario spec (default: the tests/scenarios/spec.toml built into this binary; the
    /// held-back suite is tests/scenarios/heldback.toml).
    #[arg(long, value_name = "FILE")]
    spec: Option<PathBuf>,
    /// The development recordings (default: $TANDEM_DEV_SPEECH, else ~/.cache/tandem/dev-speech;
    /// scripts/gen-scenarios.sh fills it).
    #[arg(long, value_name = "DIR")]
    dev_speech: Option<PathBuf>,
}

pub fn run(global: &GlobalArgs, args: EvalArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(EvalCmd::Generate(g)) => generate::run(global, g),
        None => run::run(global, args.run),
    }
}
