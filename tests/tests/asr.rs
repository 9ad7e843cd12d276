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

/// A transcription stops when its caller says so (the loop's final replaces a partial in
/// flight): the decoder asks between steps, and a call that keeps going is not changed by it.
#[test]
fn a_transcription_stops_when_told() {
    use std::cell::Cell;
    use tandem_core::models::asr::AsrError;
    let mut w = whisper(Precision::Int8);
    let audio = wav::read_mono(&fixture("timer_complete.wav"), 16_000).unwrap();
    let whole = w.transcribe_partial(&audio, &|| true).unwrap();
    assert_eq!(
        words(&whole.text),
        words("please set a timer for 10 minutes")
    );
    // Told to stop after three questions: the encoder ran, two tokens were decoded.
    let asked = Cell::new(0);
    let stop_at_third = || {
        asked.set(asked.get() + 1);
        asked.get() < 3
    };
    let cut = w.transcribe_partial(&audio, &stop_at_third);
    assert!(matches!(cut, Err(AsrError::Cancelled)), "{cut:?}");
    assert_eq!(asked.get(), 3);
    let final_cut = w.transcribe_window(&audio, Whisper::window_frames(audio.len()), &|| false);
    assert!(
        matches!(final_cut, Err(AsrError::Cancelled)),
        "{final_cut:?}"
    );
    // And the next call is whole again.
    let again = w.transcribe_partial(&audio, &|| true).unwrap();
    assert_eq!(again.text, whole.text);
}
