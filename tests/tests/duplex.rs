//! `tandem duplex` at the engine level: the output contract (same length, JSON events with
//! `t_ms` and `kind`), a spoken answer after a question, a barge-in, the naive baseline's
//! behaviour, and an LLM answer spoken sentence by sentence while it streams.
//!
//! The user's voice is our own TTS at a lower pitch; the LLM is `FakeLlmServer`, a test double
//! for a local OpenAI-compatible server (the only component here that cannot run for real).
//! These need `tandem models fetch`; they fail with that hint when the models are missing.

use std::path::Path;
use std::time::Duration;

use tandem_core::config::{LlmBackendKind, LlmConfig};
use tandem_core::engine::duplex::{self, DuplexOptions};
use tandem_core::engine::worker::Pace;
use tandem_core::engine::{EngineOptions, PolicyKind};
use tandem_test_llm::{FakeLlmServer, FakeReply};

#[allow(dead_code)]
mod common;
mod duplex_run;

use duplex_run::{Run, channel, models};

fn duplex(input: &Path, policy: PolicyKind, llm: LlmConfig) -> Run {
    duplex_run::run(input, &format!(".{policy:?}"), policy, llm, None)
}

#[test]
fn a_question_gets_a_prompt_spoken_answer_in_a_channel_of_the_same_length() {
    let dir = tempfile::tempdir().unwrap();
    let input = channel(
        dir.path(),
        "turn",
        7.0,
        &[(0.5, "What's twelve times seven?")],
    );
    let run = duplex(&input, PolicyKind::Rules, LlmConfig::skills_only());
    assert_eq!(run.output.len(), run.input_len, "same length as the input");
    let mut last = 0;
    for e in &run.events {
        let t = e["t_ms"].as_u64().expect("every event has t_ms");
        assert!(t >= last, "events are in time order");
        last = t;
        assert!(e["kind"].is_string());
    }
    let result = run.kinds("reasoning_result");
    assert!(
        result
            .iter()
            .any(|e| e["text"].as_str().unwrap().contains("84")),
        "answered: {result:?}"
    );
    let end = run.kinds("voice_end")[0]["end_ms"].as_u64().unwrap();
    let speak = run.first_ms("speak_start").expect("it spoke");
    eprintln!("turn end {end} ms -> speech {speak} ms: {} ms", speak - end);
    assert!(speak > end, "not before the user finished");
    assert!(
        run.rms(speak as f32 / 1000.0, 7.0) > 0.01,
        "the answer is audible"
    );
    assert!(
        run.rms(0.0, end as f32 / 1000.0) < 1e-4,
        "silent while the user asks"
    );
}

#[test]
fn cutting_in_stops_tandem_but_not_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let input = channel(
        dir.path(),
        "interrupt",
        14.0,
        &[(0.5, "What can you do?"), (5.5, "Wait, what time is it?")],
    );
    let run = duplex(&input, PolicyKind::Rules, LlmConfig::skills_only());
    let barge = run.first_ms("barge_in").expect("a barge-in");
    let hold = run.first_ms("hold").expect("it paused first");
    let onset = run
        .kinds("voice_start")
        .iter()
        .filter_map(|e| e["onset_ms"].as_u64())
        .find(|&t| t > 5_000)
        .unwrap();
    eprintln!("cut-in onset {onset} ms, paused at {hold} ms, stopped at {barge} ms");
    assert!(hold >= onset && hold <= barge);
    // The output is quiet soon after the pause and stays quiet until the new answer.
    let new_answer = run
        .kinds("speak_start")
        .iter()
        .filter_map(|e| e["t_ms"].as_u64())
        .find(|&t| t > barge)
        .expect("the interruption is answered");
    assert!(run.rms((hold + 30) as f32 / 1000.0, (hold + 500) as f32 / 1000.0) < 1e-3);
    let requests = run.kinds("reasoning_request");
    let second = requests.last().unwrap();
    assert!(
        second["text"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("time")
    );
    assert!(second["interrupted"].is_string(), "{second}");
    assert!(new_answer > barge);

    let base = duplex(&input, PolicyKind::Baseline, LlmConfig::skills_only());
    assert!(
        base.kinds("barge_in").is_empty(),
        "the baseline never stops"
    );
    assert!(
        base.rms(6.0, 7.0) > 0.01,
        "the baseline keeps talking over the user"
    );
}

#[test]
fn a_streamed_llm_answer_starts_speaking_before_the_stream_ends() {
    let answer = "Rome was founded, the story goes, in 753 BC. It grew from a village into \
                  an empire. Its roads still shape Europe today.";
    // The test double streams a word every 80 ms: the whole answer takes about 2 s.
    let server =
        FakeLlmServer::start_with_delay(vec![FakeReply::words(answer)], Duration::from_millis(80))
            .unwrap();
    let llm = LlmConfig {
        enabled: true,
        endpoint: server.openai_endpoint(),
        backend: LlmBackendKind::Openai,
        ..LlmConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let input = channel(
        dir.path(),
        "llm",
        12.0,
        &[(0.5, "Tell me about the history of Rome.")],
    );
    let run = duplex(&input, PolicyKind::Rules, llm);
    let first = run
        .kinds("speak_start")
        .into_iter()
        .find(|e| e["speech"] == "answer")
        .expect("the answer is spoken");
    let done = run.first_ms("reasoning_result").expect("the stream ends");
    eprintln!(
        "first sentence spoken at {} ms, stream done at {done} ms",
        first["t_ms"]
    );
    assert!(
        first["text"]
            .as_str()
            .unwrap()
            .starts_with("Rome was founded")
    );
    assert!(
        first["t_ms"].as_u64().unwrap() < done,
        "speech starts before the stream ends"
    );
    let spoken: Vec<&str> = run
        .kinds("speak_start")
        .iter()
        .filter(|e| e["speech"] == "answer")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert!(
        spoken.len() >= 2,
        "the rest follows sentence by sentence: {spoken:?}"
    );
    assert!(spoken.last().unwrap().contains("roads"));
}

#[test]
fn a_file_that_is_not_audio_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("notes.wav");
    std::fs::write(&bad, b"this is not a wav file").unwrap();
    let opts = DuplexOptions {
        input: bad.clone(),
        output: dir.path().join("out.wav"),
        events: None,
        pace: Pace::Virtual,
        output_rate_hz: 16_000,
        echo: None,
        engine: EngineOptions::default(),
        llm: LlmConfig::skills_only(),
        visual: None,
        text_source: None,
        clock: Default::default(),
    };
    let err = duplex::run(models(), &opts).unwrap_err().to_string();
    assert!(err.contains("notes.wav"), "{err}");
    assert!(
        !dir.path().join("out.wav").exists(),
        "no output for a bad input"
    );
}

/// The learned floor model in the loop (`--policy model`): a question is answered and a
/// cut-in stops the answer, decided with the model's probabilities.
#[test]
fn the_floor_model_answers_a_question_and_yields_to_a_cut_in() {
    let dir = tempfile::tempdir().unwrap();
    let input = channel(
        dir.path(),
        "model",
        16.0,
        &[
            (0.5, "What's twelve times seven?"),
            (4.5, "What can you do?"),
            (9.0, "Wait, what time is it?"),
        ],
    );
    let run = duplex(&input, PolicyKind::Model, LlmConfig::skills_only());
    assert!(run.kinds("error").is_empty(), "{:?}", run.kinds("error"));
    let results = run.kinds("reasoning_result");
    assert!(
        results
            .iter()
            .any(|e| e["text"].as_str().unwrap().contains("84")),
        "the first question is answered: {results:?}"
    );
    let end = run.kinds("voice_end")[0]["end_ms"].as_u64().unwrap();
    let speak = run.first_ms("speak_start").expect("it spoke");
    eprintln!("turn end {end} ms -> speech {speak} ms: {} ms", speak - end);
    assert!(speak > end, "not before the user finished");
    let onset = run
        .kinds("voice_start")
        .iter()
        .filter_map(|e| e["onset_ms"].as_u64())
        .find(|&t| t > 8_800)
        .expect("the cut-in is heard");
    // Paused in place at once (the user hears silence), stopped for good once a backchannel
    // would be over (the model cannot tell one from a cut-in in its first 200 ms).
    let hold = run
        .kinds("hold")
        .iter()
        .filter_map(|e| e["t_ms"].as_u64())
        .find(|&t| t >= onset)
        .expect("paused for the cut-in");
    // (On a slow machine the first answer is still playing when the second question starts,
    // and that question cuts it in too: the barge-in that counts is the last cut-in's.)
    let barge = run
        .kinds("barge_in")
        .iter()
        .filter_map(|e| e["t_ms"].as_u64())
        .find(|&t| t >= onset)
        .expect("the cut-in stops the answer");
    eprintln!(
        "cut-in onset {onset} ms, paused at {hold} ms ({} ms), stopped at {barge} ms ({} ms)",
        hold - onset,
        barge - onset
    );
    assert!(hold - onset <= 250, "paused within a micro-turn");
    assert!(
        barge >= onset && barge - onset <= 900,
        "stopped for good once a backchannel would be over"
    );
    // The cut-in's words are answered: the model itself called it a cut-in, so it is for us.
    let asked = run.kinds("reasoning_request");
    assert!(
        asked
            .iter()
            .any(|e| e["t_ms"].as_u64() > Some(barge) && e["interrupted"].is_string()),
        "the cut-in is answered: requests {asked:?}, not addressed {:?}",
        run.kinds("not_addressed")
    );
}
