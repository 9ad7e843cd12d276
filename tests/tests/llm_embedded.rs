//! The embedded language model (llama.cpp, the pinned SmolLM2-135M-Instruct GGUF): real
//! answers streamed piece by piece, a cancel that stops generation within a token, the prompt
//! cache, and the reasoner answering an open question with it.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tandem_core::config::{Config, LlmConfig};
use tandem_core::models::{Manifest, ModelCache};
use tandem_core::reasoning::llm::embedded::DEFAULT_MODEL_FILE;
use tandem_core::reasoning::llm::{ChatMessage, EmbeddedLlm, EmbeddedOptions, StreamItem};
use tandem_core::reasoning::{Reasoner, ReasonerEvent, Request, Source};
use tandem_core::store::Store;

fn model() -> PathBuf {
    let cache = ModelCache::locate(&Config::default()).expect("model cache directory");
    cache
        .verified_path(&Manifest::builtin(), DEFAULT_MODEL_FILE)
        .unwrap_or_else(|e| {
            panic!("{e}\n(these tests need the models: run `tandem models fetch`; make test does)")
        })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

const SYSTEM: &str =
    "You are Tandem, a helpful voice assistant. Answer in one to three short, plain sentences.";

fn chat(question: &str) -> Vec<ChatMessage> {
    vec![
        ChatMessage::System(SYSTEM.into()),
        ChatMessage::User(question.into()),
    ]
}

/// The whole answer and the number of pieces it came in.
fn answer(llm: &EmbeddedLlm, messages: &[ChatMessage]) -> (String, usize) {
    runtime().block_on(async {
        let mut stream = llm.stream(messages).unwrap();
        let (mut text, mut pieces) = (String::new(), 0);
        loop {
            match stream.next().await.unwrap() {
                StreamItem::Text(t) => {
                    text.push_str(&t);
                    pieces += 1;
                }
                StreamItem::Done => return (text, pieces),
                StreamItem::ToolCalls(c) => {
                    panic!("the embedded model was offered no tools: {c:?}")
                }
            }
        }
    })
}

#[test]
fn general_questions_get_real_streamed_answers() {
    let llm = EmbeddedLlm::start(EmbeddedOptions::new(model())).unwrap();
    // Facts a 135M model gets right; what is checked is that it is this question's answer.
    let cases = [
        ("What is the capital of France?", &["paris"][..]),
        (
            "How does a rainbow form?",
            &["light", "sun", "water", "rain"][..],
        ),
    ];
    let mut failures = Vec::new();
    for (question, any_of) in cases {
        let t0 = Instant::now();
        let (text, pieces) = answer(&llm, &chat(question));
        let lower = text.to_lowercase();
        println!(
            "{question} -> {text:?} ({pieces} pieces, {} ms)",
            t0.elapsed().as_millis()
        );
        if !any_of.iter().any(|w| lower.contains(w)) || pieces < 3 {
            failures.push(question);
        }
        let sentences = text.matches(['.', '!', '?']).count();
        assert!(
            sentences <= 4,
            "the answer should stop after three sentences: {text:?}"
        );
    }
    assert!(
        failures.is_empty(),
        "wrong or unstreamed answers to {failures:?}"
    );
}

#[test]
fn dropping_the_stream_stops_the_generation_within_a_token() {
    let llm = EmbeddedLlm::start(EmbeddedOptions::new(model())).unwrap();
    let stats = llm.stats();
    let rt = runtime();
    let question = chat("Tell me a long story about a dragon who learns to sing.");
    let (at_drop, cancel_started) = rt.block_on(async {
        let mut stream = llm.stream(&question).unwrap();
        let mut got = 0;
        while got < 3 {
            if let StreamItem::Text(_) = stream.next().await.unwrap() {
                got += 1;
            }
        }
        let at_drop = stats.generated_tokens.load(Ordering::Relaxed);
        drop(stream);
        (at_drop, Instant::now())
    });
    // The model thread notices within one token (~20 ms here); give it ample time, then
    // check that it stopped instead of finishing the story.
    std::thread::sleep(Duration::from_millis(400));
    let after = stats.generated_tokens.load(Ordering::Relaxed);
    println!(
        "tokens at the drop: {at_drop}, 400 ms later: {after}, cancelled: {}",
        stats.cancelled.load(Ordering::Relaxed)
    );
    assert!(
        after <= at_drop + 2,
        "generation went on after the cancel: {at_drop} -> {after} tokens"
    );
    assert_eq!(stats.cancelled.load(Ordering::Relaxed), 1);
    // The model is free at once for the next request.
    let next = chat("Say hello.");
    let first = rt.block_on(async {
        let mut stream = llm.stream(&next).unwrap();
        loop {
            if let StreamItem::Text(_) | StreamItem::Done = stream.next().await.unwrap() {
                return cancel_started.elapsed();
            }
        }
    });
    println!(
        "next answer's first piece {} ms after the cancel",
        first.as_millis()
    );
    assert!(
        first < Duration::from_secs(3),
        "the next answer waited {first:?}"
    );
}

#[test]
fn a_prompt_that_starts_the_same_reuses_the_cache() {
    let llm = EmbeddedLlm::start(EmbeddedOptions::new(model())).unwrap();
    let stats = llm.stats();
    let first = chat("What is the capital of Italy?");
    answer(&llm, &first);
    let reused_before = stats.reused_tokens.load(Ordering::Relaxed);
    // A follow-up: the system prompt, the first question and its answer are already evaluated.
    let (said, _) = answer(&llm, &first);
    let mut follow = first.clone();
    follow.push(ChatMessage::Assistant {
        text: said,
        tool_calls: Vec::new(),
    });
    follow.push(ChatMessage::User("And of Spain?".into()));
    let before = stats.reused_tokens.load(Ordering::Relaxed);
    answer(&llm, &follow);
    let reused = stats.reused_tokens.load(Ordering::Relaxed) - before;
    println!("reused {reused} tokens for the follow-up (first repeat: {reused_before})");
    assert!(
        reused >= 30,
        "the follow-up re-read its whole prompt ({reused} tokens reused)"
    );
    // A pre-fill evaluates a likely prompt ahead: the real request then reuses all of it. This
    // chat shares almost nothing with the last one (another system prompt), so without the
    // pre-fill only a handful of tokens would be reused.
    let next = vec![
        ChatMessage::System("Answer briefly, as a spoken assistant would.".into()),
        ChatMessage::User("What is the capital of Germany?".into()),
    ];
    llm.prefill(&next);
    let before = stats.reused_tokens.load(Ordering::Relaxed);
    let prompt_before = stats.prompt_tokens.load(Ordering::Relaxed);
    answer(&llm, &next);
    let reused = stats.reused_tokens.load(Ordering::Relaxed) - before;
    let prompt = stats.prompt_tokens.load(Ordering::Relaxed) - prompt_before;
    // The pre-fill counts as a prompt too: `prompt` is twice the request's length, and
    // `reused` is the request's whole prompt (but its last token) plus the few template tokens
    // the pre-fill shared with the chat before.
    println!("after the pre-fill: {reused} tokens reused ({prompt} counted, pre-fill included)");
    assert!(
        reused + 1 >= prompt / 2,
        "the pre-filled prompt was read again: {reused} reused of {prompt}"
    );
}

#[test]
fn the_reasoner_answers_an_open_question_with_the_embedded_model() {
    let store = Store::open_in_memory().unwrap();
    let config = LlmConfig {
        model_path: Some(model()),
        ..LlmConfig::default()
    };
    let mut h = Reasoner::spawn(config, store.clone()).unwrap();
    let id = h.request(Request::new("how do vaccines work"));
    let end = Instant::now() + Duration::from_secs(60);
    let mut chunks = 0;
    let (text, source) = loop {
        assert!(Instant::now() < end, "no answer within a minute");
        match h.recv_timeout(Duration::from_millis(200)) {
            Some(ReasonerEvent::Chunk { .. }) => chunks += 1,
            Some(ReasonerEvent::Final {
                id: fid,
                text,
                source,
                first_output_ms,
                total_ms,
                ..
            }) if fid == id => {
                println!("{text:?} first output {first_output_ms:?} ms, total {total_ms} ms");
                break (text, source);
            }
            Some(ReasonerEvent::Failed { message, .. }) => panic!("failed: {message}"),
            _ => {}
        }
    };
    assert_eq!(source, Source::Llm, "{text}");
    assert!(chunks >= 3, "the answer came in {chunks} pieces");
    let lower = text.to_lowercase();
    assert!(
        ["immune", "virus", "body", "antibod", "disease"]
            .iter()
            .any(|w| lower.contains(w)),
        "not an answer to the question: {text:?}"
    );
    let turns = store.turns(None).unwrap();
    assert_eq!(turns.len(), 1);
    assert_eq!(turns[0].assistant_text, text);
    assert_eq!(turns[0].source.as_deref(), Some("llm"));
}

#[test]
fn a_cut_in_cancels_the_reasoners_generation_within_a_token() {
    let store = Store::open_in_memory().unwrap();
    let config = LlmConfig {
        model_path: Some(model()),
        ..LlmConfig::default()
    };
    let mut h = Reasoner::spawn(config, store.clone()).unwrap();
    let id = h.request(Request::new(
        "tell me a long story about a dragon who learns to sing",
    ));
    let end = Instant::now() + Duration::from_secs(60);
    // The first pieces of the answer, then the cut-in.
    let mut pieces = 0;
    while pieces < 3 {
        assert!(Instant::now() < end, "no answer within a minute");
        if let Some(ReasonerEvent::Chunk { id: cid, .. }) =
            h.recv_timeout(Duration::from_millis(50))
            && cid == id
        {
            pieces += 1;
        }
    }
    let cut = Instant::now();
    h.cancel(id);
    let stats = h.llm_stats().expect("the embedded model's counters");
    while stats.cancelled.load(Ordering::Relaxed) == 0 {
        assert!(
            cut.elapsed() < Duration::from_secs(2),
            "the generation did not stop after the cancel"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let stopped = cut.elapsed();
    let at_stop = stats.generated_tokens.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(300));
    let later = stats.generated_tokens.load(Ordering::Relaxed);
    println!("cancel -> generation stopped in {stopped:?}; tokens {at_stop} -> {later}");
    assert!(
        stopped < Duration::from_millis(500),
        "stopping took {stopped:?}"
    );
    assert_eq!(at_stop, later, "tokens were generated after the stop");
    // Nothing of the cancelled answer comes after the cancel was taken.
    let late: Vec<ReasonerEvent> = std::iter::from_fn(|| h.try_recv())
        .filter(|e| e.request_id() == Some(id) && matches!(e, ReasonerEvent::Final { .. }))
        .collect();
    assert!(
        late.is_empty(),
        "a cancelled request was finished: {late:?}"
    );
}
