//! `tandem bench llm`: the embedded language model measured on this machine. Load time and
//! memory, time to the first piece of an answer (cold, warm, and with a speculative pre-fill
//! 500 ms ahead, as the loop issues it on a stable partial transcript), generation speed,
//! cancel latency, and answer quality on the committed probe set (`bench/llm-probe.toml`)
//! through the whole reasoner, next to what the built-in skills alone say to the same
//! questions (the reference in the same run).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::json;
use tandem_core::config::{LlmConfig, Overrides};
use tandem_core::models::{Manifest, ModelCache};
use tandem_core::reasoning::llm::embedded::embedded_model_path;
use tandem_core::reasoning::llm::{ChatMessage, EmbeddedLlm, EmbeddedOptions, StreamItem};
use tandem_core::reasoning::{
    Message, PLAIN_SYSTEM_PROMPT, Reasoner, ReasonerEvent, ReasonerHandle, Request,
};
use tandem_core::store::Store;

use crate::{GlobalArgs, load_config};

const PROBE: &str = include_str!("../bench/llm-probe.toml");

#[derive(Debug, clap::Subcommand)]
pub enum BenchCmd {
    /// The embedded language model: speed, cancel latency, memory and answer quality.
    Llm(LlmArgs),
    /// The ONNX model stages (Whisper, smart-turn, voice encoder) on the CPU and on the
    /// configured execution provider, in the same run: `--provider cuda bench models FILE.wav`.
    Models(crate::bench_models::ModelsArgs),
}

#[derive(Debug, clap::Args)]
pub struct LlmArgs {
    /// A GGUF model instead of the configured one.
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// CPU threads for the model (default: llm.threads from the config).
    #[arg(long)]
    threads: Option<usize>,
    /// Only the first N probes (all by default).
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Print the numbers and every answer as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Deserialize)]
struct ProbeFile {
    probe: Vec<Probe>,
}

#[derive(Debug, Clone, Deserialize)]
struct Probe {
    ask: String,
    expect: Vec<String>,
    then: Option<String>,
    #[serde(default)]
    then_expect: Vec<String>,
}

fn right(answer: &str, expect: &[String]) -> bool {
    let lower = answer.to_lowercase();
    expect.iter().any(|w| lower.contains(w.as_str()))
}

pub fn run(global: &GlobalArgs, cmd: BenchCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCmd::Llm(args) => llm(global, args),
        BenchCmd::Models(args) => crate::bench_models::models(global, args),
    }
}

fn rss_mb() -> f64 {
    tandem_core::memory::resident_mb().unwrap_or(0.0)
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// Streams one answer; returns (time to first piece, whole time, text).
fn timed(
    llm: &EmbeddedLlm,
    rt: &tokio::runtime::Runtime,
    chat: &[ChatMessage],
) -> (f64, f64, String) {
    rt.block_on(async {
        let t0 = Instant::now();
        let mut stream = llm.stream(chat).expect("the model accepts a request");
        let (mut first, mut text) = (None, String::new());
        while let Ok(StreamItem::Text(t)) = stream.next().await {
            first.get_or_insert(t0.elapsed().as_secs_f64() * 1e3);
            text.push_str(&t);
        }
        let total = t0.elapsed().as_secs_f64() * 1e3;
        (first.unwrap_or(total), total, text)
    })
}

fn chat(question: &str) -> Vec<ChatMessage> {
    vec![
        ChatMessage::System(PLAIN_SYSTEM_PROMPT.to_owned()),
        ChatMessage::User(question.to_owned()),
    ]
}

/// One question through a reasoner: the answer text and the time to its first piece.
fn ask(h: &mut ReasonerHandle, request: Request) -> anyhow::Result<(String, Option<u64>)> {
    let id = h.request(request);
    let end = Instant::now() + Duration::from_secs(120);
    while Instant::now() < end {
        match h.recv_timeout(Duration::from_millis(200)) {
            Some(ReasonerEvent::Final {
                id: fid,
                text,
                first_output_ms,
                ..
            }) if fid == id => return Ok((text, first_output_ms)),
            Some(ReasonerEvent::Failed {
                id: fid, message, ..
            }) if fid == id => {
                return Ok((message, None));
            }
            _ => {}
        }
    }
    bail!("no answer within two minutes")
}

struct Quality {
    right: usize,
    asked: usize,
    follow_right: usize,
    follow_asked: usize,
    first_ms: Vec<f64>,
    answers: Vec<serde_json::Value>,
}

impl Quality {
    /// "40/50 (80 %), follow-ups 8/13 (62 %)".
    fn summary(&self) -> String {
        let pct = |r: usize, n: usize| 100.0 * r as f64 / n.max(1) as f64;
        format!(
            "{}/{} ({:.0} %), follow-ups {}/{} ({:.0} %)",
            self.right,
            self.asked,
            pct(self.right, self.asked),
            self.follow_right,
            self.follow_asked,
            pct(self.follow_right, self.follow_asked)
        )
    }
}

fn quality(h: &mut ReasonerHandle, probes: &[Probe]) -> anyhow::Result<Quality> {
    let mut q = Quality {
        right: 0,
        asked: 0,
        follow_right: 0,
        follow_asked: 0,
        first_ms: Vec::new(),
        answers: Vec::new(),
    };
    for p in probes {
        let (answer, first) = ask(h, Request::new(p.ask.clone()))?;
        let ok = right(&answer, &p.expect);
        q.asked += 1;
        q.right += usize::from(ok);
        q.first_ms.extend(first.map(|ms| ms as f64));
        q.answers
            .push(json!({"ask": p.ask, "answer": answer, "right": ok}));
        if let Some(then) = &p.then {
            let history = vec![
                Message::user(p.ask.clone()),
                Message::assistant(answer.clone()),
            ];
            let (follow, _) = ask(h, Request::new(then.clone()).with_history(history))?;
            let ok = right(&follow, &p.then_expect);
            q.follow_asked += 1;
            q.follow_right += usize::from(ok);
            q.answers
                .push(json!({"ask": then, "after": p.ask, "answer": follow, "right": ok}));
        }
    }
    Ok(q)
}

fn llm(global: &GlobalArgs, args: LlmArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(global, Overrides::default())?;
    let cache = ModelCache::locate(&config)?;
    let llm_config = LlmConfig {
        enabled: true,
        backend: tandem_core::config::LlmBackendKind::Embedded,
        model_path: args.model.clone().or(config.llm.model_path.clone()),
        threads: args.threads.unwrap_or(config.llm.threads),
        ..config.llm.clone()
    };
    let model = embedded_model_path(&llm_config, &cache, &Manifest::builtin())?
        .context("no embedded model configured")?;
    let llm_config = LlmConfig {
        model_path: Some(model.clone()),
        ..llm_config
    };
    let mut probes: Vec<Probe> = toml::from_str::<ProbeFile>(PROBE)
        .context("bench/llm-probe.toml")?
        .probe;
    if let Some(n) = args.limit {
        probes.truncate(n);
    }
    if probes.is_empty() {
        bail!("--limit 0 leaves no probe to ask");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;

    // Load, and the first answer on a cold cache.
    let rss_before = rss_mb();
    let t0 = Instant::now();
    let mut options = EmbeddedOptions::new(model.clone());
    options.threads = llm_config.threads;
    let engine = EmbeddedLlm::start(options)?;
    let load_ms = t0.elapsed().as_secs_f64() * 1e3;
    let (cold_first, _, _) = timed(&engine, &rt, &chat(&probes[0].ask));
    let rss_loaded = rss_mb();

    // Warm: the system prompt is cached; each question is new.
    let stats = engine.stats();
    let (mut warm_first, mut speeds) = (Vec::new(), Vec::new());
    for p in probes.iter().skip(1).take(20) {
        let before = stats.generated_tokens.load(Ordering::Relaxed);
        let (first, total, _) = timed(&engine, &rt, &chat(&p.ask));
        let tokens = stats.generated_tokens.load(Ordering::Relaxed) - before;
        warm_first.push(first);
        if tokens > 1 && total > first {
            speeds.push((tokens - 1) as f64 / ((total - first) / 1e3));
        }
    }
    // With a pre-fill 500 ms ahead, and without, on questions that share no cached prefix
    // beyond the system prompt.
    let (mut with_prefill, mut without_prefill) = (Vec::new(), Vec::new());
    for (i, p) in probes.iter().enumerate().skip(21).take(10) {
        let history = vec![
            ChatMessage::System(PLAIN_SYSTEM_PROMPT.to_owned()),
            ChatMessage::User(format!("Earlier question number {i}: {}", p.ask)),
            ChatMessage::Assistant {
                text: "I answered it.".into(),
                tool_calls: Vec::new(),
            },
            ChatMessage::User(p.ask.clone()),
        ];
        if i % 2 == 0 {
            engine.prefill(&history);
            std::thread::sleep(Duration::from_millis(500));
            with_prefill.push(timed(&engine, &rt, &history).0);
        } else {
            without_prefill.push(timed(&engine, &rt, &history).0);
        }
    }
    // Cancel: drop the stream after its first piece; time until the model thread stops.
    let mut cancel_ms = Vec::new();
    for p in probes.iter().take(5) {
        let ms = rt.block_on(async {
            let mut stream = engine.stream(&chat(&format!("{} Explain in detail.", p.ask)))?;
            while !matches!(stream.next().await?, StreamItem::Text(_)) {}
            let cancelled = stats.cancelled.load(Ordering::Relaxed);
            let t = Instant::now();
            drop(stream);
            while stats.cancelled.load(Ordering::Relaxed) == cancelled {
                if t.elapsed() > Duration::from_secs(10) {
                    break;
                }
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            Ok::<f64, anyhow::Error>(t.elapsed().as_secs_f64() * 1e3)
        })?;
        cancel_ms.push(ms);
    }
    drop(engine);

    // Quality through the whole reasoner, and the skills alone on the same questions.
    let mut with_model = Reasoner::spawn(llm_config.clone(), Store::open_in_memory()?)?;
    let model_quality = quality(&mut with_model, &probes)?;
    drop(with_model);
    let mut skills = Reasoner::spawn(LlmConfig::skills_only(), Store::open_in_memory()?)?;
    let skills_quality = quality(&mut skills, &probes)?;

    let warm = sorted(warm_first);
    let speeds = sorted(speeds);
    let firsts = sorted(model_quality.first_ms.clone());
    let (wp, np) = (sorted(with_prefill), sorted(without_prefill));
    let cancel = sorted(cancel_ms);
    let model_name = model
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let report = json!({
        "model": model_name,
        "threads": llm_config.threads,
        "load_ms": load_ms,
        "rss_mb": {"before": rss_before, "loaded": rss_loaded},
        "first_piece_ms": {
            "cold": cold_first,
            "warm_p50": percentile(&warm, 0.5), "warm_p90": percentile(&warm, 0.9),
            "prefilled_p50": percentile(&wp, 0.5), "not_prefilled_p50": percentile(&np, 0.5),
            "reasoner_p50": percentile(&firsts, 0.5), "reasoner_p90": percentile(&firsts, 0.9),
        },
        "tokens_per_s_p50": percentile(&speeds, 0.5),
        "cancel_ms": {"p50": percentile(&cancel, 0.5), "max": cancel.last()},
        "quality": {
            "model": {"right": model_quality.right, "asked": model_quality.asked,
                      "follow_right": model_quality.follow_right, "follow_asked": model_quality.follow_asked},
            "skills_only": {"right": skills_quality.right, "asked": skills_quality.asked,
                            "follow_right": skills_quality.follow_right, "follow_asked": skills_quality.follow_asked},
        },
        "answers": model_quality.answers,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "model            {model_name}, {} thread(s)",
        llm_config.threads
    );
    println!("load             {load_ms:.0} ms; RSS {rss_before:.0} -> {rss_loaded:.0} MB");
    println!(
        "first piece      cold {cold_first:.0} ms; warm p50 {:.0} ms, p90 {:.0} ms",
        percentile(&warm, 0.5),
        percentile(&warm, 0.9)
    );
    println!(
        "pre-fill         with (500 ms ahead) p50 {:.0} ms; without p50 {:.0} ms",
        percentile(&wp, 0.5),
        percentile(&np, 0.5)
    );
    println!(
        "through reasoner first piece p50 {:.0} ms, p90 {:.0} ms",
        percentile(&firsts, 0.5),
        percentile(&firsts, 0.9)
    );
    println!(
        "generation       {:.1} tokens/s (p50)",
        percentile(&speeds, 0.5)
    );
    println!(
        "cancel           p50 {:.1} ms, max {:.1} ms (drop of the stream -> model thread stopped)",
        percentile(&cancel, 0.5),
        cancel.last().copied().unwrap_or(f64::NAN)
    );
    println!("quality          model {}", model_quality.summary());
    println!("                 skills only {}", skills_quality.summary());
    Ok(ExitCode::SUCCESS)
}
