//! `tandem eval SUITE_DIR`: run `tandem duplex` on every scenario, score, summarize.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context as _, bail};
use tandem_core::audio::wav;
use tandem_core::config::Overrides;
use tandem_core::eval::analyze::Analyzer;
use tandem_core::eval::report::{self, CategorySummary};
use tandem_core::eval::{
    Category, EvalError, SAMPLE_RATE_HZ, ScenarioMeta, ScenarioScore, events, samples_to_ms,
};
use tandem_core::models::asr::{Precision, Whisper};
use tandem_core::models::vad::{FusionParams, SileroVad, StreamingVad};
use tandem_core::models::{Manifest, ModelCache, runtime};
use tandem_core::store::DATA_DIR_ENV;

use super::RunArgs;
use crate::{GlobalArgs, load_config};

/// The floor policies `tandem duplex` knows.
pub const POLICIES: [&str; 3] = ["model", "rules", "baseline"];
/// The moment every scenario's run starts at, on the assistant's clock (`tandem duplex --now`).
pub const EVAL_NOW: &str = "2026-06-09T10:42:00[UTC]";

/// One scenario under one policy.
#[derive(Debug, Clone, serde::Serialize)]
struct RunResult {
    id: String,
    category: Category,
    policy: &'static str,
    /// Seconds `tandem duplex` took.
    wall_s: f64,
    /// How much longer (+) or shorter (-) the output was than the input; 0 when exact.
    length_error_ms: i64,
    score: Option<ScenarioScore>,
    /// Why there is no score.
    error: Option<String>,
}

/// The scenarios of a suite directory: sub-directories with a `meta.json`, sorted by name.
fn discover(suite: &Path) -> Result<Vec<(PathBuf, ScenarioMeta)>, EvalError> {
    let err = |message: String| EvalError::Suite {
        path: suite.to_owned(),
        message,
    };
    if !suite.is_dir() {
        return Err(err("the directory does not exist".into()));
    }
    let entries = std::fs::read_dir(suite).map_err(|source| EvalError::Read {
        path: suite.to_owned(),
        source,
    })?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("meta.json").is_file())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(err("no sub-directory has a meta.json".into()));
    }
    dirs.into_iter()
        .map(|d| {
            let meta = ScenarioMeta::load(&d.join("meta.json"))?;
            let input = d.join("input.wav");
            if !input.is_file() {
                return Err(EvalError::Suite {
                    path: d.clone(),
                    message: "the scenario has meta.json but no input.wav".into(),
                });
            }
            // A bad input fails here, naming the file, before anything runs.
            wav::read_info(&input)?;
            Ok((d, meta))
        })
        .collect()
}

/// Set to a program to score it instead of `tandem duplex`: it gets duplex's arguments
/// (`--input IN.wav --output OUT.wav --events E.jsonl --pace P --policy model|rules|baseline
/// --now TIME`).
pub const DUPLEX_ENV: &str = "TANDEM_EVAL_DUPLEX";

/// The program and leading arguments that stand for `tandem duplex`: this very binary, unless
/// [`DUPLEX_ENV`] names another.
fn duplex_command(global: &GlobalArgs) -> anyhow::Result<(PathBuf, Vec<String>)> {
    if let Some(program) = std::env::var_os(DUPLEX_ENV).filter(|p| !p.is_empty()) {
        return Ok((PathBuf::from(program), Vec::new()));
    }
    let exe = std::env::current_exe().context("finding the path of this tandem binary")?;
    let mut args = global_flags(global);
    args.push("duplex".to_owned());
    Ok((exe, args))
}

/// Flags of this run that `duplex` should see too.
fn global_flags(global: &GlobalArgs) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(dir) = &global.models_dir {
        v.push("--models-dir".to_owned());
        v.push(dir.display().to_string());
    }
    if let Some(p) = global.provider {
        v.push("--provider".to_owned());
        v.push(p.to_string());
    }
    v
}

/// Fails early, with the reason, when there is no working `duplex`.
fn check_duplex(exe: &Path, prefix: &[String]) -> anyhow::Result<()> {
    let out = Command::new(exe)
        .args(prefix)
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {} {} --help", exe.display(), prefix.join(" ")))?;
    if !out.status.success() {
        bail!(
            "`{} {} --help` failed, so there is nothing to score ({}); `tandem eval` needs \
             `tandem duplex` (or a program named by ${DUPLEX_ENV})",
            exe.display(),
            prefix.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// The last lines of a process's error output.
fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(8)..].join("\n")
}

struct Runner<'a> {
    exe: PathBuf,
    /// Arguments before duplex's own: the global flags and `duplex`.
    prefix: Vec<String>,
    pace: &'a str,
    analyzer: Analyzer,
}

impl Runner<'_> {
    fn run_one(
        &mut self,
        dir: &Path,
        meta: &ScenarioMeta,
        policy: &'static str,
        work: &Path,
    ) -> RunResult {
        let mut result = RunResult {
            id: meta.id.clone(),
            category: meta.category,
            policy,
            wall_s: 0.0,
            length_error_ms: 0,
            score: None,
            error: None,
        };
        if let Err(e) = self.try_run(dir, meta, policy, work, &mut result) {
            result.error = Some(format!("{e:#}"));
        }
        result
    }

    fn try_run(
        &mut self,
        dir: &Path,
        meta: &ScenarioMeta,
        policy: &'static str,
        work: &Path,
        result: &mut RunResult,
    ) -> anyhow::Result<()> {
        let out_dir = work.join(&meta.id);
        std::fs::create_dir_all(&out_dir)
            .with_context(|| format!("creating {}", out_dir.display()))?;
        let input = dir.join("input.wav");
        let output = out_dir.join(format!("{policy}.wav"));
        let events_path = out_dir.join(format!("{policy}.events.jsonl"));
        let mut cmd = Command::new(&self.exe);
        cmd.args(&self.prefix)
            .arg("--input")
            .arg(&input)
            .arg("--output")
            .arg(&output)
            .arg("--events")
            .arg(&events_path)
            .args(["--pace", self.pace, "--policy", policy])
            // The same clock in every run: "what time is it?" gets the same answer (and the
            // scorer the same words) whenever the suite runs.
            .args(["--now", EVAL_NOW])
            // A fresh conversation store per run: no history, notes or timers (and no
            // "your timer is done" announcements) carry over from other scenarios or the user.
            .env(DATA_DIR_ENV, out_dir.join(format!("{policy}.data")))
            .stdin(Stdio::null());
        let started = Instant::now();
        let out = cmd
            .output()
            .with_context(|| format!("running {}", self.exe.display()))?;
        result.wall_s = started.elapsed().as_secs_f64();
        if !out.status.success() {
            bail!(
                "tandem duplex failed on {} ({}):\n{}",
                input.display(),
                out.status,
                tail(&out.stderr)
            );
        }
        let samples = wav::read_mono(&output, SAMPLE_RATE_HZ)?;
        let input_info = wav::read_info(&input)?;
        result.length_error_ms =
            samples_to_ms(samples.len()) as i64 - input_info.duration_ms() as i64;
        let analysis = self.analyzer.analyze(&samples)?;
        let events = if events_path.is_file() {
            Some(events::load(&events_path)?)
        } else {
            None
        };
        let score = tandem_core::eval::score(meta, &analysis, events.as_deref());
        let json = serde_json::json!({ "analysis": analysis, "score": score });
        std::fs::write(
            out_dir.join(format!("{policy}.score.json")),
            serde_json::to_string_pretty(&json)? + "\n",
        )
        .with_context(|| format!("writing the score into {}", out_dir.display()))?;
        result.score = Some(score);
        Ok(())
    }
}

fn load_analyzer(global: &GlobalArgs) -> anyhow::Result<Analyzer> {
    let config = load_config(global, Overrides::default())?;
    let cache = ModelCache::locate(&config)?;
    let manifest = Manifest::builtin();
    let rt = runtime::init(&cache, &manifest, config.runtime.execution_provider)?;
    let threads = config.runtime.intra_threads;
    let silero = SileroVad::load(rt, &cache, &manifest, threads)
        .context("loading Silero VAD for scoring")?;
    let vad = StreamingVad::new(silero, FusionParams::default())?;
    let whisper = Whisper::load(rt, &cache, &manifest, Precision::Int8, threads)
        .context("loading Whisper for scoring (run `tandem models fetch` if it is missing)")?;
    Ok(Analyzer::new(vad, whisper))
}

/// One line per scenario on stderr, as the run goes.
fn progress(r: &RunResult) -> String {
    let head = format!("{:<22} {:<8} {:>6.1} s", r.id, r.policy, r.wall_s);
    match (&r.score, &r.error) {
        (_, Some(e)) => format!("{head}  ERROR {}", e.lines().next().unwrap_or("")),
        (Some(s), None) => {
            let mut parts = Vec::new();
            if let Some(t) = s.take_over {
                parts.push(format!("take-over {t}"));
            }
            if let Some(t) = s.take_over_before_end {
                parts.push(format!("before turn end {t}"));
            }
            if let Some(l) = s.latency_ms {
                parts.push(format!("latency {l} ms"));
            }
            if let Some(l) = s.stop_latency_ms {
                parts.push(format!("stop {l} ms"));
            }
            if let Some(a) = s.answered_cut_in {
                parts.push(if a { "new answer" } else { "no new answer" }.into());
            }
            if s.not_speaking {
                parts.push("not speaking".into());
            }
            if let Some(c) = s.continued {
                parts.push(if c { "continued" } else { "stopped" }.into());
            }
            if let Some(c) = s.correct {
                parts.push(if c { "correct" } else { "wrong value" }.into());
            }
            format!("{head}  {}  | {}", parts.join(", "), s.transcript)
        }
        (None, None) => head,
    }
}

fn summaries(results: &[RunResult], policy: &str) -> Vec<CategorySummary> {
    Category::ALL
        .into_iter()
        .filter_map(|c| {
            let mine: Vec<&RunResult> = results
                .iter()
                .filter(|r| r.policy == policy && r.category == c)
                .collect();
            if mine.is_empty() {
                return None;
            }
            let scores: Vec<&ScenarioScore> =
                mine.iter().filter_map(|r| r.score.as_ref()).collect();
            let wall: Vec<f64> = mine.iter().map(|r| r.wall_s).collect();
            Some(report::summarize(c, &scores, &wall))
        })
        .collect()
}

pub fn run(global: &GlobalArgs, args: RunArgs) -> anyhow::Result<ExitCode> {
    let mut scenarios = discover(&args.suite)?;
    scenarios.retain(|(_, m)| args.only.is_empty() || args.only.contains(&m.category));
    if let Some(limit) = args.limit {
        let mut seen = std::collections::HashMap::new();
        scenarios.retain(|(_, m)| {
            let n = seen.entry(m.category).or_insert(0usize);
            *n += 1;
            *n <= limit
        });
    }
    anyhow::ensure!(
        !scenarios.is_empty(),
        "{} has no scenarios of {}",
        args.suite.display(),
        super::generate::only_text(&args.only)
    );
    let (exe, mut prefix) = duplex_command(global)?;
    check_duplex(&exe, &prefix)?;
    if let Some(db) = args.echo_db {
        crate::duplex_cmd::check_echo_db(db)?;
        prefix.push(format!("--echo-db={db}"));
    }
    let temp;
    let work = match &args.keep {
        Some(dir) => dir.clone(),
        None => {
            temp = tempfile::Builder::new().prefix("tandem-eval-").tempdir()?;
            temp.path().to_owned()
        }
    };
    let mut runner = Runner {
        exe,
        prefix,
        pace: args.pace.as_str(),
        analyzer: load_analyzer(global)?,
    };
    let mut policies: Vec<&'static str> = POLICIES
        .into_iter()
        .filter(|p| args.policy.iter().any(|q| q == p))
        .collect();
    if args.baseline && !policies.contains(&"baseline") {
        policies.push("baseline");
    }
    let started = Instant::now();
    let mut results = Vec::new();
    for (dir, meta) in &scenarios {
        for &policy in &policies {
            let r = runner.run_one(dir, meta, policy, &work);
            eprintln!("{}", progress(&r));
            results.push(r);
        }
    }
    let columns: Vec<(&str, Vec<CategorySummary>)> = policies
        .iter()
        .map(|p| (*p, summaries(&results, p)))
        .collect();
    let failed = results.iter().filter(|r| r.error.is_some()).count();
    if args.json {
        let v = serde_json::json!({
            "suite": args.suite,
            "pace": args.pace.as_str(),
            "echo_db": args.echo_db,
            "wall_s": started.elapsed().as_secs_f64(),
            "failed": failed,
            "results": results,
            "summary": columns.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        let view: Vec<(&str, &[CategorySummary])> =
            columns.iter().map(|(p, s)| (*p, s.as_slice())).collect();
        print!("{}", report::table(&view));
        println!(
            "{} runs in {:.1} s ({} pace{}){}",
            results.len(),
            started.elapsed().as_secs_f64(),
            args.pace.as_str(),
            args.echo_db
                .map_or(String::new(), |db| format!(", echo at {db} dB")),
            args.keep
                .as_ref()
                .map_or(String::new(), |d| format!("; outputs in {}", d.display()))
        );
    }
    if failed > 0 {
        eprintln!("{failed} run(s) failed; see the ERROR lines above");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
