//! The scenario scorer on synthetic assistant channels: our TTS placed at known times, silence,
//! a short "mm-hm", read back with the real Silero VAD and Whisper (no mocks), then scored.
//!
//! These need `tandem models fetch` to have run; they fail (not skip) when the models are
//! missing, with the fetch command in the message.

use std::sync::Mutex;

use tandem_core::config::{Config, ExecutionProvider};
use tandem_core::eval::analyze::{Analyzer, OutputAnalysis};
use tandem_core::eval::generate::{Speak, set_level};
use tandem_core::eval::meta::{
    Expect, Role, ScenarioMeta, UserSegment, UserVoice, VoiceEngine, Window,
};
use tandem_core::eval::{ScenarioScore, events, ms_to_samples, score};
use tandem_core::models::asr::{Precision, Whisper};
use tandem_core::models::runtime::{self, Runtime};
use tandem_core::models::tts::Tts;
use tandem_core::models::vad::{FusionParams, SileroVad, StreamingVad};
use tandem_core::models::{Manifest, ModelCache};

const FETCH: &str = "(the scoring tests need the models: run `tandem models fetch`)";

fn setup() -> (&'static Runtime, ModelCache, Manifest) {
    let config = Config::default();
    let cache = ModelCache::locate(&config).expect("model cache directory");
    let manifest = Manifest::builtin();
    let rt = runtime::init(&cache, &manifest, ExecutionProvider::Cpu)
        .unwrap_or_else(|e| panic!("{e}\n{FETCH}"));
    (rt, cache, manifest)
}

/// The TTS and the scoring models' pieces, shared by the tests of this file. The analyzer's
/// WebRTC gate is not `Send`, so each test builds its `StreamingVad` from a fresh Silero.
struct Models {
    tts: Tts,
    whisper: Option<Whisper>,
}

fn with_models<R>(f: impl FnOnce(&mut Tts, &mut Analyzer) -> R) -> R {
    static MODELS: Mutex<Option<Models>> = Mutex::new(None);
    let mut guard = MODELS.lock().unwrap_or_else(|e| e.into_inner());
    let (rt, cache, manifest) = setup();
    let models = guard.get_or_insert_with(|| Models {
        tts: Tts::load(rt, &cache, &manifest, 1).unwrap_or_else(|e| panic!("{e}\n{FETCH}")),
        whisper: None,
    });
    let whisper = match models.whisper.take() {
        Some(w) => w,
        None => Whisper::load(rt, &cache, &manifest, Precision::Int8, 1)
            .unwrap_or_else(|e| panic!("{e}\n{FETCH}")),
    };
    let silero =
        SileroVad::load(rt, &cache, &manifest, 1).unwrap_or_else(|e| panic!("{e}\n{FETCH}"));
    let vad = StreamingVad::new(silero, FusionParams::default()).expect("VAD");
    let mut analyzer = Analyzer::new(vad, whisper);
    let r = f(&mut models.tts, &mut analyzer);
    models.whisper = Some(analyzer.into_whisper());
    r
}

fn voice() -> UserVoice {
    UserVoice {
        name: "assistant".into(),
        pitch: 1.0,
        speed: 1.0,
        seed: 7,
        engine: VoiceEngine::Hibari,
    }
}

/// An assistant channel: `(at_ms, text, stop_ms)` spoken at -22 dBFS, cut at `stop_ms`.
fn channel(tts: &mut Tts, duration_ms: u64, parts: &[(u64, &str, Option<u64>)]) -> Vec<f32> {
    let mut out = vec![0.0f32; ms_to_samples(duration_ms)];
    for &(at, text, stop) in parts {
        let mut audio = tts.speak(text, &voice()).expect("TTS");
        set_level(&mut audio, -22.0);
        let a = ms_to_samples(at);
        let b = ms_to_samples(stop.unwrap_or(duration_ms)).min(out.len());
        for (o, x) in out[a..b].iter_mut().zip(&audio) {
            *o += x;
        }
    }
    out
}

fn meta(duration_ms: u64, expect: Expect) -> ScenarioMeta {
    ScenarioMeta {
        id: "synthetic".into(),
        category: expect.category(),
        description: "synthetic".into(),
        duration_ms,
        sample_rate_hz: 16_000,
        voice: voice(),
        segments: vec![UserSegment {
            start_ms: 500,
            end_ms: 1000,
            text: "(user)".into(),
            role: Role::User,
        }],
        expect,
    }
}

fn run(
    expect: Expect,
    duration_ms: u64,
    parts: &[(u64, &str, Option<u64>)],
) -> (ScenarioScore, OutputAnalysis) {
    let m = meta(duration_ms, expect);
    with_models(|tts, analyzer| {
        let audio = channel(tts, duration_ms, parts);
        let analysis = analyzer.analyze(&audio).expect("analysis");
        (score(&m, &analysis, None), analysis)
    })
}

const LONG: &str = "Here is what I can do. I can tell you the time and the date, set timers, \
                    do arithmetic, convert units, and take notes for you.";

#[test]
fn an_answer_after_the_turn_end_is_a_take_over_with_its_latency() {
    let (s, a) = run(
        Expect::TurnTaking { turn_end_ms: 1000 },
        7000,
        &[(1400, "Timer set for five minutes, starting now.", None)],
    );
    assert_eq!(s.take_over, Some(1), "{a:?}");
    let latency = s.latency_ms.expect("latency");
    eprintln!("turn-taking latency {latency} ms (speech placed 400 ms after the turn end)");
    assert!(
        (340..=470).contains(&latency),
        "latency {latency} ms, placed at 400: {a:?}"
    );
    assert!(
        s.transcript.to_lowercase().contains("timer"),
        "{}",
        s.transcript
    );
}

#[test]
fn silence_and_a_short_mm_hm_are_not_take_overs() {
    let (s, a) = run(Expect::TurnTaking { turn_end_ms: 1000 }, 6000, &[]);
    assert_eq!((s.take_over, s.latency_ms), (Some(0), None), "{a:?}");
    assert!(a.segments.is_empty(), "{a:?}");
    let (s, a) = run(
        Expect::TurnTaking { turn_end_ms: 1000 },
        6000,
        &[(1500, "Mm-hm.", None)],
    );
    assert_eq!(s.take_over, Some(0), "a backchannel: {a:?}");
}

#[test]
fn speaking_into_a_pause_is_a_take_over() {
    let pause = Expect::PauseHandling {
        pauses: vec![Window::new(1500, 3500)],
    };
    let (s, a) = run(pause.clone(), 9000, &[(1700, "Sure, what about it?", None)]);
    assert_eq!(s.take_over, Some(1), "{a:?}");
    let (s, a) = run(pause, 9000, &[(5000, "Sure, what about it?", None)]);
    assert_eq!(
        s.take_over,
        Some(0),
        "answering after the pause is fine: {a:?}"
    );
}

#[test]
fn interruption_stop_latency_and_response() {
    let cut_in = Window::new(4000, 5200);
    let expect = Expect::UserInterruption {
        request_end_ms: 1000,
        interruption: cut_in,
    };
    // Stops 200 ms after the user cuts in, answers 500 ms after the cut-in ends.
    let (s, a) = run(
        expect.clone(),
        11_000,
        &[
            (1300, LONG, Some(4200)),
            (5700, "It is three fifteen in the afternoon.", None),
        ],
    );
    let stop = s.stop_latency_ms.expect("was speaking at the cut-in");
    eprintln!("stop latency {stop} ms (cut 200 ms after the onset)");
    assert!(
        (140..=280).contains(&stop),
        "stop latency {stop} ms, cut at 200: {a:?}"
    );
    assert_eq!(s.take_over, Some(1), "{a:?}");
    let resp = s.latency_ms.expect("response latency");
    eprintln!("response latency {resp} ms (placed 500 ms after the interruption)");
    assert!(
        (430..=570).contains(&resp),
        "response latency {resp} ms, placed at 500: {a:?}"
    );
    assert!(
        s.scored_text.to_lowercase().contains("afternoon"),
        "{}",
        s.scored_text
    );

    // Quiet when the user cuts in: counted apart, no stop latency.
    let (s, a) = run(expect, 11_000, &[(5700, "It is three fifteen.", None)]);
    assert!(s.not_speaking, "{a:?}");
    assert_eq!(s.stop_latency_ms, None);
}

#[test]
fn talking_through_a_backchannel_is_continuing() {
    let expect = Expect::UserBackchannel {
        request_end_ms: 1000,
        backchannel: Window::new(4000, 4400),
    };
    let (s, a) = run(expect.clone(), 11_000, &[(1300, LONG, None)]);
    assert_eq!(s.continued, Some(true), "{a:?}");
    let (s, a) = run(expect, 11_000, &[(1300, LONG, Some(4200))]);
    assert_eq!(
        s.continued,
        Some(false),
        "stopped at the backchannel: {a:?}"
    );
    assert!(!s.not_speaking);
}

#[test]
fn course_correction_value_from_asr_or_events() {
    let expect = Expect::CourseCorrection {
        turn_end_ms: 1000,
        expected: vec!["fifteen".into(), "15".into()],
        rejected: vec!["ten".into(), "10".into()],
    };
    let (s, a) = run(
        expect.clone(),
        7000,
        &[(1400, "Timer set for fifteen minutes.", None)],
    );
    assert_eq!(s.correct, Some(true), "{a:?}");
    let (s, a) = run(
        expect.clone(),
        7000,
        &[(1400, "Timer set for ten minutes.", None)],
    );
    assert_eq!(s.correct, Some(false), "{a:?}");

    // Nothing audible, but the events say what it answered.
    let m = meta(7000, expect);
    let ev = events::parse(
        std::path::Path::new("events.jsonl"),
        "{\"t_ms\":1300,\"kind\":\"reasoning_result\",\"id\":3,\"text\":\"Timer set for 15 minutes.\"}\n",
    )
    .unwrap();
    let s = score(&m, &OutputAnalysis::default(), Some(&ev));
    assert_eq!(s.correct, Some(true));
    assert_eq!(
        s.correct_source,
        Some(tandem_core::eval::score::AnswerSource::Events)
    );
}
