//! Whisper tiny.en on one thread, int8 and fp32: the real-time factor over the development
//! corpus (divide the time by the audio length printed at start) and the cost of one streaming
//! partial (re-decoding a 3 s utterance in the shortest window the engine uses, 8 s). faster-whisper
//! (CTranslate2) is timed on the same files by `scripts/asr_reference.py --bench`.
//!
//! `cargo bench -p tandem-core --bench asr` (needs `tandem models fetch` and
//! `scripts/dev-speech.sh`).

use std::sync::{Mutex, OnceLock};

use tandem_core::audio::wav;
use tandem_core::config::{Config, ExecutionProvider};
use tandem_core::models::asr::{Precision, Whisper};
use tandem_core::models::{Manifest, ModelCache, runtime};

const CORPUS: &str = include_str!("../../../tests/fixtures/asr/corpus.json");
const PRECISIONS: [Precision; 2] = [Precision::Int8, Precision::Fp32];

fn corpus() -> &'static [Vec<f32>] {
    static AUDIO: OnceLock<Vec<Vec<f32>>> = OnceLock::new();
    AUDIO.get_or_init(|| {
        let spec: serde_json::Value = serde_json::from_str(CORPUS).expect("corpus.json");
        let dir = tandem_core::eval::dev_speech_dir();
        spec["files"]
            .as_array()
            .expect("files")
            .iter()
            .map(|f| {
                let path = dir.join(f["file"].as_str().expect("file"));
                wav::read_mono(&path, 16_000)
                    .unwrap_or_else(|e| panic!("{e} (run scripts/dev-speech.sh)"))
            })
            .collect()
    })
}

fn whisper(precision: Precision) -> std::sync::MutexGuard<'static, Whisper> {
    static MODELS: OnceLock<[Mutex<Whisper>; 2]> = OnceLock::new();
    let load = |p| {
        let cache = ModelCache::locate(&Config::default()).expect("cache");
        let manifest = Manifest::builtin();
        let rt = runtime::init(&cache, &manifest, ExecutionProvider::Cpu)
            .expect("runtime (run `tandem models fetch`)");
        Mutex::new(Whisper::load(rt, &cache, &manifest, p, 1).expect("whisper"))
    };
    let models = MODELS.get_or_init(|| PRECISIONS.map(load));
    let i = PRECISIONS
        .iter()
        .position(|p| *p == precision)
        .expect("precision");
    models[i].lock().unwrap_or_else(|e| e.into_inner())
}

fn main() {
    let secs: f64 = corpus().iter().map(|a| a.len() as f64 / 16_000.0).sum();
    eprintln!("corpus: {} files, {secs:.2} s of audio", corpus().len());
    divan::main();
}

/// Every corpus file transcribed (30 s windows): the batch real-time factor.
#[divan::bench(args = PRECISIONS, sample_count = 3, sample_size = 1)]
fn corpus_rtf(b: divan::Bencher, precision: Precision) {
    let mut w = whisper(precision);
    b.bench_local(|| {
        for audio in corpus() {
            divan::black_box(w.transcribe(audio).expect("transcribe"));
        }
    });
}

/// One streaming partial: the first 3 s of a LibriVox sentence, as the loop decodes it.
#[divan::bench(args = PRECISIONS, sample_count = 10, sample_size = 1)]
fn partial_3s(b: divan::Bencher, precision: Precision) {
    let mut w = whisper(precision);
    let audio = &corpus()[3][..3 * 16_000];
    b.bench_local(|| {
        divan::black_box(w.transcribe_partial(audio, &|| true).expect("partial"));
    });
}
