//! A spoken conversation with the whole engine on a real, paced sound server (the headless
//! PulseAudio rig of `scripts/with-pulse.sh`), with the room's echo looped back into the
//! microphone: the user asks a question, the assistant starts a long answer, the user cuts in
//! with a second request, and the assistant stops and answers that one.
//!
//! Without the rig this test prints why and passes; with `TANDEM_REQUIRE_RIG` set it fails.
//! Run: `bash scripts/with-pulse.sh cargo test -p tandem-tests --test conversation_rig`.

// Shared with the other rig tests, which use more of it.
#[allow(dead_code)]
mod rig;

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use tandem_core::audio::wav;
use tandem_core::config::{Config, ExecutionProvider, LlmConfig};
use tandem_core::engine::worker::Pace;
use tandem_core::engine::{EngineModels, EngineStages, Event, EventKind, live};
use tandem_core::interaction::SpeechKind;
use tandem_core::models::runtime;
use tandem_core::models::tts::{SynthOptions, Tts};
use tandem_core::models::{Manifest, ModelCache};
use tandem_core::store::Store;

/// The user says something: our own voice, lower pitch, played into the microphone.
fn say(dir: &Path, name: &str, text: &str, tts: &mut Tts) -> Child {
    let options = SynthOptions {
        pitch: 0.85,
        speed: 1.0,
        seed: Some(11),
    };
    let audio = tts.synthesize(text, &options).expect("synthesis");
    let path = dir.join(format!("{name}.wav"));
    wav::write_mono_i16(&path, &audio, 24_000).expect("write the user's WAV");
    Command::new("paplay")
        .args(["-d", "mic"])
        .arg(&path)
        .spawn()
        .expect("paplay runs")
}

#[test]
fn two_turns_with_a_barge_in_over_the_echoing_room() {
    let Some(_rig) = rig::rig() else { return };
    let config = Config::default();
    let cache = ModelCache::locate(&config).expect("model cache");
    let manifest = Manifest::builtin();
    let rt = runtime::init(&cache, &manifest, ExecutionProvider::Cpu)
        .unwrap_or_else(|e| panic!("{e}\n(run `tandem models fetch`)"));
    let models = EngineModels::load(rt, &cache, &manifest, &config).expect("models load");
    let dir = tempfile::tempdir().unwrap();
    // Synthesize the user's lines before the clock starts.
    let first = "What can you do?";
    let second = "Wait, set a timer for two minutes.";
    let mut user_voice = Tts::load(rt, &cache, &manifest, 1).expect("the user's voice loads");

    let room = rig::Loopback::load(rig::ECHO_VOLUME);
    let store = Store::open_in_memory().unwrap();
    let (stages, silero) =
        EngineStages::start(models, LlmConfig::skills_only(), store, Pace::Realtime)
            .expect("stages start");
    let (mut audio, mut engine) = live::open(stages, silero, &config).expect("audio starts");
    assert!(audio.wait_until_running(Duration::from_secs(5)));

    let mut events: Vec<Event> = Vec::new();
    let mut players: Vec<Child> = Vec::new();
    let t0 = Instant::now();
    let mut asked_first = false;
    let mut cut_in_at: Option<Instant> = None;
    // Audio time the engine had heard when the cut-in started playing: the user's voice cannot
    // reach the microphone before it (the engine runs a little behind the microphone), so any
    // voice heard earlier during the answer is our own echo.
    let mut cut_in_audio_ms = 0;
    let mut answer_started: Option<Instant> = None;
    while t0.elapsed() < Duration::from_secs(40) {
        if !asked_first && t0.elapsed() > Duration::from_millis(800) {
            asked_first = true;
            players.push(say(dir.path(), "first", first, &mut user_voice));
        }
        let (evs, _) = live::pump(&mut audio, &mut engine).expect("the loop runs");
        for e in &evs {
            eprintln!("{}", serde_json::to_string(e).unwrap());
            if let EventKind::SpeakStart {
                speech: SpeechKind::Answer,
                ..
            } = e.kind
                && answer_started.is_none()
            {
                answer_started = Some(Instant::now());
            }
        }
        events.extend(evs);
        // Cut in 2.5 s into the long answer.
        if cut_in_at.is_none()
            && answer_started.is_some_and(|t| t.elapsed() > Duration::from_millis(2500))
        {
            cut_in_at = Some(Instant::now());
            cut_in_audio_ms = engine.audio_ms();
            players.push(say(dir.path(), "second", second, &mut user_voice));
        }
        if cut_in_at.is_some() && answered_after_barge_in(&events) {
            break;
        }
    }
    for mut p in players {
        let _ = p.wait();
    }
    drop(room);

    let requests: Vec<(&str, Option<&String>)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ReasoningRequest {
                text,
                speculative: false,
                interrupted,
                ..
            } => Some((text.as_str(), interrupted.as_ref())),
            _ => None,
        })
        .collect();
    eprintln!("requests: {requests:?}");
    assert!(
        requests
            .iter()
            .any(|(t, _)| t.to_lowercase().contains("what can you do")),
        "the first question was understood: {requests:?}"
    );
    let barge = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::BargeIn { heard } => Some((e.t_ms, heard.clone())),
            _ => None,
        })
        .expect("the user's cut-in stopped the assistant");
    assert!(!barge.1.is_empty(), "what the user heard is recorded");
    let (second_text, interrupted) = requests
        .iter()
        .find(|(t, _)| t.to_lowercase().contains("timer"))
        .expect("the cut-in became a request");
    assert!(
        interrupted.is_some(),
        "the reasoner got the interruption context for `{second_text}`"
    );
    // Its own voice, echoing back through the room, never made it pause before the cut-in.
    let answer_ms = events
        .iter()
        .find(|e| {
            matches!(
                e.kind,
                EventKind::SpeakStart {
                    speech: SpeechKind::Answer,
                    ..
                }
            )
        })
        .map(|e| e.t_ms)
        .expect("the answer started");
    let self_triggered: Vec<&Event> = events
        .iter()
        .filter(|e| e.t_ms >= answer_ms)
        .filter(|e| match e.kind {
            EventKind::VoiceStart { onset_ms, .. } => onset_ms < cut_in_audio_ms,
            EventKind::Duck | EventKind::Hold | EventKind::BargeIn { .. } => {
                e.t_ms < cut_in_audio_ms
            }
            _ => false,
        })
        .collect();
    assert!(
        self_triggered.is_empty(),
        "the echo of its own answer triggered before the cut-in (heard up to {cut_in_audio_ms} ms \
         when it started): {self_triggered:?}"
    );
    // Stop latency: from the onset of the cut-in (its first voice) to the hold (the voice
    // pausing) and to the stop.
    let onset = events
        .iter()
        .find_map(|e| match e.kind {
            EventKind::VoiceStart { onset_ms, .. } if onset_ms >= cut_in_audio_ms => Some(onset_ms),
            _ => None,
        })
        .expect("the cut-in was heard");
    let hold = events
        .iter()
        .find(|e| e.t_ms >= onset && matches!(e.kind, EventKind::Hold))
        .map(|e| e.t_ms)
        .expect("the assistant paused");
    eprintln!(
        "barge-in: cut-in played from {cut_in_audio_ms} ms, heard from {onset} ms, paused {} ms \
         later, stopped {} ms later (at {} ms)",
        hold - onset,
        barge.0 - onset,
        barge.0
    );
    assert!(
        answered_after_barge_in(&events),
        "the second request was answered"
    );
}

/// Whether, after the barge-in, the assistant started answering about the timer.
fn answered_after_barge_in(events: &[Event]) -> bool {
    let Some(at) = events
        .iter()
        .position(|e| matches!(e.kind, EventKind::BargeIn { .. }))
    else {
        return false;
    };
    events[at..].iter().any(|e| {
        matches!(&e.kind, EventKind::SpeakStart { speech: SpeechKind::Answer, text }
            if text.to_lowercase().contains("timer"))
    })
}
