//! `tandem ask "text"` runs one request through the reasoner; `tandem history` shows or
//! exports the conversation store.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;
use tandem_core::config::Overrides;
use tandem_core::models::{Manifest, ModelCache};
use tandem_core::reasoning::llm::embedded::embedded_model_path;
use tandem_core::reasoning::{Reasoner, ReasonerEvent, Request};
use tandem_core::store::{Store, TurnRecord, TurnStatus, local_time_text};

use crate::{GlobalArgs, load_config};

/// Longest `tandem ask` waits for an answer; the reasoner's own limits are much shorter.
const ASK_LIMIT: Duration = Duration::from_secs(120);

#[derive(Debug, clap::Args)]
pub struct AskArgs {
    /// What to ask, as you would say it (quotes optional).
    #[arg(required = true, num_args = 1.., value_name = "TEXT")]
    text: Vec<String>,
    /// Print the answer, its timings and every event as JSON.
    #[arg(long)]
    json: bool,
    /// Use only the built-in skills, even when an LLM is configured.
    #[arg(long)]
    no_llm: bool,
}

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// Print the turns as JSON.
    #[arg(long)]
    json: bool,
    /// Write everything (turns, notes, timers) to FILE as JSON. Never overwrites a file.
    #[arg(long, value_name = "FILE")]
    export: Option<PathBuf>,
    /// Show only the last N turns.
    #[arg(long, short = 'n', value_name = "N")]
    limit: Option<usize>,
}

pub fn ask(global: &GlobalArgs, args: AskArgs) -> anyhow::Result<ExitCode> {
    let mut config = load_config(global, Overrides::default())?;
    if args.no_llm {
        config.llm.enabled = false;
    }
    let cache = ModelCache::locate(&config)?;
    config.llm.model_path = embedded_model_path(&config.llm, &cache, &Manifest::builtin())?;
    let store = Store::open_default()?;
    let mut reasoner = Reasoner::spawn(config.llm.clone(), store)?;
    let text = args.text.join(" ");
    let id = reasoner.request(Request::new(text.clone()));
    let deadline = Instant::now() + ASK_LIMIT;
    let mut events: Vec<ReasonerEvent> = Vec::new();
    let mut printed = String::new();
    let mut out = std::io::stdout().lock();
    let last = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            bail!("no answer within {} s", ASK_LIMIT.as_secs());
        }
        let Some(event) = reasoner.recv_timeout(left) else {
            continue;
        };
        if !args.json {
            match &event {
                ReasonerEvent::Chunk { text, .. } => {
                    write!(out, "{text}")?;
                    out.flush()?;
                    printed.push_str(text);
                }
                ReasonerEvent::ToolProgress { text, .. } => eprintln!("({text})"),
                // Timers that came due while Tandem was not running are announced now.
                ReasonerEvent::TimerDue { text, .. } => writeln!(out, "{text}")?,
                _ => {}
            }
        }
        let done = event.request_id() == Some(id)
            && matches!(
                event,
                ReasonerEvent::Final { .. } | ReasonerEvent::Failed { .. }
            );
        events.push(event);
        if done {
            break events.last().cloned().expect("just pushed");
        }
    };
    // Dropping the reasoner lets its last store writes finish.
    drop(reasoner);
    if args.json {
        let control = events.iter().find_map(|e| match e {
            ReasonerEvent::Control { control, .. } => Some(*control),
            _ => None,
        });
        let mut summary = json!({"request": text, "id": id, "control": control, "events": events});
        match &last {
            ReasonerEvent::Final {
                text,
                source,
                skill,
                first_output_ms,
                total_ms,
                ..
            } => {
                summary["text"] = json!(text);
                summary["source"] = json!(source);
                summary["skill"] = json!(skill);
                summary["first_output_ms"] = json!(first_output_ms);
                summary["total_ms"] = json!(total_ms);
            }
            ReasonerEvent::Failed { message, .. } => summary["error"] = json!(message),
            _ => {}
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&summary)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    match last {
        ReasonerEvent::Final { text, .. } => {
            if printed != text {
                // Some streamed text was dropped on the way; say it whole.
                if !printed.is_empty() {
                    writeln!(out)?;
                }
                write!(out, "{text}")?;
            }
            writeln!(out)?;
            Ok(ExitCode::SUCCESS)
        }
        ReasonerEvent::Failed { message, .. } => {
            writeln!(out, "{message}")?;
            Ok(ExitCode::FAILURE)
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

pub fn history(_global: &GlobalArgs, args: HistoryArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open_default()?;
    if let Some(path) = &args.export {
        let export = store.export()?;
        let text = serde_json::to_string_pretty(&export)?;
        // Everything the user said and asked to remember: readable by the user only.
        let mut file = tandem_core::private_fs::create_file(path, true).map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    anyhow::anyhow!(
                        "{} already exists; not overwriting it (choose another name, or move the old export aside)",
                        path.display()
                    )
                } else {
                    anyhow::Error::new(e).context(format!("cannot create {}", path.display()))
                }
            })?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!(
            "Exported {} turns, {} notes and {} timers from {} to {}.",
            export.turns.len(),
            export.notes.len(),
            export.timers.len(),
            store.path().display(),
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let turns = store.turns(args.limit)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&turns)?);
        return Ok(ExitCode::SUCCESS);
    }
    if turns.is_empty() {
        println!("No conversation yet (history: {}).", store.path().display());
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "History in {} ({} turns shown):",
        store.path().display(),
        turns.len()
    );
    for t in &turns {
        print_turn(t);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_turn(t: &TurnRecord) {
    let when = local_time_text(t.started_at_ms);
    let partial = if t.user_final { "" } else { " (partial)" };
    println!("\n{when}  you     {}{partial}", t.user_text);
    let pad = " ".repeat(when.len());
    let mut details: Vec<String> = Vec::new();
    if let Some(source) = &t.source {
        details.push(match &t.skill {
            Some(skill) => format!("{source}: {skill}"),
            None => source.clone(),
        });
    }
    if let Some(ms) = t.total_ms {
        details.push(format!("{ms} ms"));
    }
    let details = if details.is_empty() {
        String::new()
    } else {
        format!("   ({})", details.join(", "))
    };
    match t.status {
        TurnStatus::Pending => {
            println!("{pad}  tandem  (no answer: still thinking, or Tandem stopped mid-turn)")
        }
        TurnStatus::Cancelled if t.assistant_text.is_empty() => {
            println!("{pad}  tandem  (cancelled before answering)")
        }
        TurnStatus::Cancelled => {
            println!("{pad}  tandem  {} (cancelled){details}", t.assistant_text)
        }
        TurnStatus::Failed => println!("{pad}  tandem  (failed){details}"),
        TurnStatus::Answered => println!("{pad}  tandem  {}{details}", t.assistant_text),
    }
    if let Some(heard) = &t.heard_text {
        println!(
            "{pad}          cut off after {} characters: \"{heard}\"",
            t.interrupted_at_char.unwrap_or(0)
        );
    }
}
