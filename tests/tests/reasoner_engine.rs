//! The reasoner as the engine uses it, over a whole simulated conversation: what the user
//! heard of a cut answer is stored and "go on" says the rest; "slower" slows the next reply.
//! These need `tandem models fetch`.

use std::path::Path;

use serde_json::Value;
use tandem_core::audio::wav;
use tandem_core::config::LlmConfig;
use tandem_core::engine::duplex::{self, DuplexOptions};
use tandem_core::engine::worker::Pace;
use tandem_core::engine::{EngineOptions, PolicyKind};
use tandem_core::store::Store;

#[allow(dead_code)]
mod common;
#[allow(dead_code)]
mod duplex_run;

use duplex_run::{channel, models};

/// One engine at a time: the virtual clock charges each stage its measured compute, and three
/// engines at once on a 2-core machine made a final transcript late enough that the turn was
/// taken on the partial "Speak l" (a CI run).
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run(input: &Path, store: &Store) -> Vec<Value> {
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let events = input.with_extension("jsonl");
    let opts = DuplexOptions {
        input: input.to_owned(),
        output: input.with_extension("out.wav"),
        events: Some(events.clone()),
        pace: Pace::Virtual,
        output_rate_hz: 16_000,
        echo: None,
        engine: EngineOptions {
            policy: PolicyKind::Rules,
            voice_seed: Some(3),
            ..EngineOptions::default()
        },
        llm: LlmConfig::skills_only(),
        visual: None,
        text_source: None,
        clock: Default::default(),
    };
    duplex::run_with_store(models(), &opts, store.clone()).expect("duplex runs");
    assert!(wav::read_mono(&opts.output, 16_000).is_ok());
    let events: Vec<Value> = std::fs::read_to_string(&events)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for e in events.iter().filter(|e| e["kind"] != "partial") {
        eprintln!("{e}");
    }
    events
}

fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["kind"] == kind).collect()
}

#[test]
fn after_a_cut_in_the_heard_part_is_stored_and_go_on_says_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let input = channel(
        dir.path(),
        "cut",
        26.0,
        &[(0.5, "What can you do?"), (6.0, "Stop."), (12.0, "Go on.")],
    );
    let store = Store::open_in_memory().unwrap();
    let events = run(&input, &store);
    assert!(!of_kind(&events, "barge_in").is_empty(), "the user cut in");
    let turns = store.turns(None).unwrap();
    let help = turns
        .iter()
        .find(|t| t.user_text.to_lowercase().contains("can you do"))
        .expect("the question is a turn");
    let heard = help.heard_text.clone().unwrap_or_default();
    eprintln!("said: {}\nheard: {heard}", help.assistant_text);
    assert!(!heard.is_empty(), "what was heard is stored");
    assert!(
        help.assistant_text.starts_with(&heard),
        "a prefix of the answer"
    );
    assert!(heard.len() < help.assistant_text.len(), "only part of it");
    let rest = help.assistant_text[heard.len()..].trim();
    let go_on = turns
        .iter()
        .find(|t| t.user_text.to_lowercase().contains("go on"))
        .expect("\"go on\" is a turn");
    assert_eq!(
        go_on.assistant_text, rest,
        "it answers with the unheard rest"
    );
    let asked = of_kind(&events, "reasoning_request")
        .into_iter()
        .find(|e| e["text"].as_str().unwrap().to_lowercase().contains("go on"))
        .and_then(|e| e["t_ms"].as_u64())
        .unwrap();
    let spoken: Vec<&str> = of_kind(&events, "speak_start")
        .into_iter()
        .filter(|e| e["t_ms"].as_u64().unwrap() > asked && e["speech"] == "answer")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        spoken.join(" "),
        rest,
        "the rest is spoken, sentence by sentence"
    );
}

/// The assistant's channel each time the answer `text` was said: from its start to the floor
/// going back to listening.
fn answer_spans<'a>(events: &[Value], output: &'a [f32], text: &str) -> Vec<&'a [f32]> {
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if e["kind"] == "speak_start" && e["text"] == text {
            let start = e["t_ms"].as_u64().unwrap();
            let end = events[i..]
                .iter()
                .find(|e| e["kind"] == "floor" && e["floor"] == "listening")
                .and_then(|e| e["t_ms"].as_u64())
                .expect("the answer ends");
            out.push(&output[(start * 16) as usize..((end * 16) as usize).min(output.len())]);
        }
    }
    out
}

/// How long the answer `text` sounded each time it was said: its first to its last audible
/// sample.
fn answer_ms(events: &[Value], output: &[f32], text: &str) -> Vec<u64> {
    answer_spans(events, output, text)
        .into_iter()
        .map(|span| {
            let first = span.iter().position(|x| x.abs() > 0.01).unwrap_or(0);
            let last = span.iter().rposition(|x| x.abs() > 0.01).unwrap_or(0);
            (last.saturating_sub(first) / 16) as u64
        })
        .collect()
}

#[test]
fn slower_slows_the_next_reply() {
    let dir = tempfile::tempdir().unwrap();
    let q = "What's twelve times seven?";
    let input = channel(
        dir.path(),
        "slower",
        17.0,
        &[(0.5, q), (5.5, "Speak slower."), (11.0, q)],
    );
    let store = Store::open_in_memory().unwrap();
    let events = run(&input, &store);
    let output = wav::read_mono(&input.with_extension("out.wav"), 16_000).unwrap();
    let ms = answer_ms(&events, &output, "12 times 7 is 84.");
    eprintln!("the same answer took {ms:?} ms");
    assert_eq!(ms.len(), 2, "answered twice");
    assert!(
        ms[1] as f64 > ms[0] as f64 * 1.12,
        "the second is slower: {ms:?}"
    );
}

/// The level (RMS, dB) of each time `text` was spoken, over its audible samples.
fn answer_db(events: &[Value], output: &[f32], text: &str) -> Vec<f64> {
    answer_spans(events, output, text)
        .into_iter()
        .map(|span| {
            let loud: Vec<f64> = span
                .iter()
                .filter(|x| x.abs() > 0.005)
                .map(|&x| f64::from(x) * f64::from(x))
                .collect();
            let rms = (loud.iter().sum::<f64>() / loud.len().max(1) as f64).sqrt();
            20.0 * rms.max(1e-9).log10()
        })
        .collect()
}

#[test]
fn louder_and_quieter_change_the_level_of_the_next_replies() {
    let dir = tempfile::tempdir().unwrap();
    let q = "What's twelve times seven?";
    let input = channel(
        dir.path(),
        "louder",
        34.0,
        // Far enough apart that each answer is over before the next line, also on a slow
        // machine (a 2-core EPYC took 1.7 s to start the first answer: "Speak louder." at
        // 5.5 s cut it in, and the level of the ducked answer was measured).
        &[
            (0.5, q),
            (7.5, "Speak louder."),
            (13.5, q),
            (20.5, "Speak more quietly."),
            (26.5, q),
        ],
    );
    let store = Store::open_in_memory().unwrap();
    let events = run(&input, &store);
    let output = wav::read_mono(&input.with_extension("out.wav"), 16_000).unwrap();
    let db = answer_db(&events, &output, "12 times 7 is 84.");
    eprintln!("the same answer's level: {db:.2?} dB");
    assert_eq!(db.len(), 3, "answered three times");
    // One step is 3 dB; the loud regions of the same sentence, so within a dB of it.
    assert!((db[1] - db[0] - 3.0).abs() < 1.0, "louder: {db:.2?}");
    assert!((db[2] - db[0]).abs() < 1.0, "back to the start: {db:.2?}");
}
