//! Whisper tiny.en through the converted ONNX models (int8 and fp32), on committed speech.

use std::path::{Path, PathBuf};

use tandem_core::audio::wav;
use tandem_core::config::{Config, ExecutionProvider};
use tandem_core::models::asr::{Precision, Whisper};
use tandem_core::models::{Manifest, ModelCache, runtime};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/turn")
        .join(name)
}

fn whisper(precision: Precision) -> Whisper {
    let cache = ModelCache::locate(&Config::default()).unwrap();
    let manifest = Manifest::builtin();
    let rt = runtime::init(&cache, &manifest, ExecutionProvider::Cpu)
        .expect("ONNX Runtime: run `tandem models fetch` (make test does)");
    Whisper::load(rt, &cache, &manifest, precision, 1)
        .expect("Whisper models: run `tandem models fetch`")
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn transcribes_committed_speech_exactly() {
    for precision in [Precision::Int8, Precision::Fp32] {
        let mut w = whisper(precision);
        for (file, expected) in [
            (
                "weather_complete.wav",
                "what is the weather going to be like tomorrow",
            ),
            ("timer_complete.wav", "please set a timer for 10 minutes"),
            ("thinking_cut.wav", "i was thinking that maybe we could"),
        ] {
            let audio = wav::read_mono(&fixture(file), 16_000).unwrap();
            let t = w.transcribe(&audio).unwrap();
            assert_eq!(
                words(&t.text),
                words(expected),
                "{precision:?} {file}: {t:?}"
            );
            assert!(!t.repetition_stopped);
            // Word times are estimates inside the audio, in order.
            let dur_ms = audio.len() as u32 / 16;
            assert_eq!(t.words.len(), words(expected).len());
            assert!(t.words.windows(2).all(|p| p[0].end_ms <= p[1].start_ms + 1));
            assert!(t.words.last().unwrap().end_ms <= dur_ms);
        }
    }
}

#[test]
fn silence_gives_no_words_and_no_loop() {
    let mut w = whisper(Precision::Int8);
    let t = w.transcribe(&vec![0.0; 16_000 * 3]).unwrap();
    assert!(t.tokens.len() < 20, "{t:?}");
    assert!(!t.repetition_stopped, "{t:?}");
}
