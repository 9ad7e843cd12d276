//! `tandem floor`: the floor model's data tools.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use tandem_core::config::Overrides;
use tandem_core::engine::floor_extract::FloorExtractor;
use tandem_core::models::turn::TurnDetector;
use tandem_core::models::vad::{FusionParams, SileroVad, StreamingVad};

use crate::listen_cmd::open_runtime;
use crate::{GlobalArgs, load_config};

#[derive(Debug, clap::Subcommand)]
pub enum FloorCmd {
    /// Compute the floor model's input features for generated episodes (every directory
    /// under DIR holding an episode.json): writes feats.f32 and feats.json beside them.
    Features(FeaturesArgs),
}

#[derive(Debug, clap::Args)]
pub struct FeaturesArgs {
    /// Episode directories, or directories that contain them (searched recursively).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Recompute episodes that already have features.
    #[arg(long)]
    force: bool,
}

pub fn run(global: &GlobalArgs, cmd: FloorCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        FloorCmd::Features(args) => features(global, args),
    }
}

fn features(global: &GlobalArgs, args: FeaturesArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(global, Overrides::default())?;
    let mut episodes = Vec::new();
    for dir in &args.dirs {
        find_episodes(dir, &mut episodes)
            .with_context(|| format!("listing episodes under {}", dir.display()))?;
    }
    episodes.sort();
    anyhow::ensure!(
        !episodes.is_empty(),
        "no episode directories (with an episode.json) under {:?}",
        args.dirs
    );
    let (rt, cache, manifest) = open_runtime(&config)?;
    let silero = SileroVad::load(rt, &cache, &manifest, 1).context("loading Silero VAD")?;
    let vad = StreamingVad::new(silero, FusionParams::default())?;
    let turn = TurnDetector::load(rt, &cache, &manifest, 1).context("loading smart-turn")?;
    let mut extractor = FloorExtractor::new(vad, turn);
    let started = Instant::now();
    let (mut done, mut skipped, mut failed, mut rows) = (0usize, 0usize, 0usize, 0usize);
    for (i, dir) in episodes.iter().enumerate() {
        if !args.force && dir.join("feats.json").exists() {
            skipped += 1;
            continue;
        }
        match extractor.episode(dir) {
            Ok(n) => {
                done += 1;
                rows += n;
            }
            Err(e) => {
                failed += 1;
                eprintln!("skipped: {e}");
            }
        }
        if (i + 1) % 200 == 0 {
            eprintln!(
                "{}/{} episodes, {:.0} s",
                i + 1,
                episodes.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{done} episodes ({rows} rows, {:.2} h of audio) in {secs:.0} s; {skipped} already done, {failed} failed",
        rows as f64 * 0.02 / 3600.0
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn find_episodes(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if dir.join("episode.json").is_file() {
        out.push(dir.to_owned());
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            find_episodes(&path, out)?;
        }
    }
    Ok(())
}
