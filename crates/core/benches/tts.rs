//! hibari TTS on one thread: time to first audio for a short sentence, a paragraph (for the
//! real-time factor: divide by the audio length printed at start), and the stages alone.
//! The Python package is timed on the same sentences by `scripts/bench_tts_python.py`.
//!
//! `cargo bench -p tandem-core --bench tts` (needs `tandem models fetch`).

use std::sync::{Mutex, OnceLock};

use tandem_core::config::{Config, ExecutionProvider};
use tandem_core::models::tts::{
    SAMPLE_RATE_HZ, Silence, Speaker, SpeechEvent, StreamConfig, SynthOptions, Tts,
    stream_utterance,
};
use tandem_core::models::{Manifest, ModelCache, runtime};

const SENTENCES: &str = include_str!("../../../tests/fixtures/tts/bench.json");

fn sentence(key: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(SENTENCES).expect("bench.json");
    v[key].as_str().expect("sentence").to_owned()
}

fn load() -> Tts {
    let cache = ModelCache::locate(&Config::default()).expect("cache");
    let manifest = Manifest::builtin();
    let rt = runtime::init(&cache, &manifest, ExecutionProvider::Cpu)
        .expect("runtime (run `tandem models fetch`)");
    Tts::load(rt, &cache, &manifest, 1).expect("hibari (run `tandem models fetch`)")
}

fn tts() -> std::sync::MutexGuard<'static, Tts> {
    static TTS: OnceLock<Mutex<Tts>> = OnceLock::new();
    TTS.get_or_init(|| Mutex::new(load()))
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

fn opts() -> SynthOptions {
    SynthOptions {
        seed: Some(0),
        ..SynthOptions::default()
    }
}

fn main() {
    {
        let mut t = tts();
        for key in ["short", "paragraph"] {
            let audio = t.synthesize(&sentence(key), &opts()).expect("synth");
            eprintln!(
                "{key}: {:.3} s of audio",
                audio.len() as f64 / f64::from(SAMPLE_RATE_HZ)
            );
        }
    }
    divan::main();
}

/// Text in, the whole short sentence's audio out (what the Python package's `stream` yields
/// first: one sentence at a time).
#[divan::bench]
fn first_audio_short(b: divan::Bencher) {
    let text = sentence("short");
    let mut t = tts();
    b.bench_local(|| {
        t.synthesize(divan::black_box(&text), &opts())
            .expect("synth")
    });
}

/// Text in, first samples ready to play, as the engine's speech stage streams them (the first
/// chunk ends at the first clause: "Sure,").
#[divan::bench]
fn first_audio_streamed_short(b: divan::Bencher) {
    let text = sentence("short");
    let config = StreamConfig::default();
    let mut t = tts();
    b.bench_local(|| {
        let mut first = 0;
        stream_utterance(
            &mut t,
            divan::black_box(&text),
            &opts(),
            &config,
            &|| true,
            &mut |_, samples, _, _| {
                first = samples.len();
                false
            },
        )
        .expect("synth");
        assert!(first > 0);
    });
}

/// Text in, first chunk out through the streaming thread (includes the channel hop).
#[divan::bench(sample_count = 30)]
fn first_chunk_streamed(b: divan::Bencher) {
    let text = sentence("paragraph");
    let speaker = Speaker::spawn(load_shared(), StreamConfig::default()).expect("thread");
    b.bench_local(|| {
        speaker.speak(&text, opts()).expect("speak");
        let first = speaker.recv_timeout(std::time::Duration::from_secs(5));
        speaker.stop();
        assert!(matches!(first, Some(SpeechEvent::Chunk { .. })));
    });
}

fn load_shared() -> Tts {
    load()
}

/// The whole paragraph, sentence by sentence (RTF = this / the paragraph's audio length).
#[divan::bench(sample_count = 10)]
fn paragraph(b: divan::Bencher) {
    let text = sentence("paragraph");
    let mut t = tts();
    b.bench_local(|| {
        t.synthesize(divan::black_box(&text), &opts())
            .expect("synth")
    });
}

#[divan::bench]
fn g2p_short(b: divan::Bencher) {
    let text = sentence("short");
    let mut t = tts();
    b.bench_local(|| t.phonemize(divan::black_box(&text)).expect("g2p"));
}

#[divan::bench]
fn g2p_paragraph(b: divan::Bencher) {
    let text = sentence("paragraph");
    let mut t = tts();
    b.bench_local(|| t.phonemize(divan::black_box(&text)).expect("g2p"));
}

#[divan::bench]
fn model_short(b: divan::Bencher) {
    let mut t = tts();
    let ps = t.phonemize(&sentence("short")).expect("g2p").remove(0);
    b.bench_local(|| t.frames(divan::black_box(&ps), 1.0).expect("model"));
}

#[divan::bench]
fn vocoder_short(b: divan::Bencher) {
    let mut t = tts();
    let ps = t.phonemize(&sentence("short")).expect("g2p").remove(0);
    let frames = t.frames(&ps, 1.0).expect("model");
    b.bench_local(|| t.vocode(divan::black_box(&frames), 1.0, &mut Silence));
}
