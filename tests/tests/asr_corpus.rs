//! Whisper tiny.en on real recordings against CTranslate2, the runtime its weights come from.
//!
//! The recordings (scripts/dev-speech.sh; `make test` fetches them) are the moonshine-voice
//! readings, the pocketsphinx LibriVox and "cards" test sets and a real phone call (the
//! pyannote.audio sample). The reference transcripts in tests/fixtures/asr/ct2_reference.json
//! were decoded greedily by CTranslate2 4.8.5 on the original model.bin
//! (scripts/asr_reference.py). Tandem runs the int8 ONNX conversion.

use std::path::PathBuf;

use tandem_core::audio::wav;
use tandem_core::models::asr::{Precision, Whisper};

mod common;
mod text;

fn fixture(name: &str) -> serde_json::Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/asr")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

struct Row {
    file: String,
    scored: bool,
    truth: Option<String>,
    reference: String,
    ours: String,
}

fn transcribe_corpus(precision: Precision) -> Vec<Row> {
    let (rt, cache, manifest) = common::setup();
    let mut whisper = Whisper::load(rt, &cache, &manifest, precision, 1)
        .expect("Whisper models: run `tandem models fetch`");
    let corpus = fixture("corpus.json");
    let reference = fixture("ct2_reference.json");
    let dev = tandem_core::eval::dev_speech_dir();
    corpus["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap().to_owned();
            let path = dev.join(&file);
            let audio = wav::read_mono(&path, 16_000).unwrap_or_else(|e| {
                panic!(
                    "{e}\n(the development recordings: run scripts/dev-speech.sh; make test does)"
                )
            });
            let ours = whisper.transcribe(&audio).unwrap();
            assert!(!ours.repetition_stopped, "{file}: {ours:?}");
            Row {
                scored: f["wer"].as_bool().unwrap(),
                truth: f["truth"].as_str().map(str::to_owned),
                reference: reference["files"][&file]["text"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                ours: ours.text,
                file,
            }
        })
        .collect()
}

/// (errors, words) over the scored files, for the reference and for us.
fn wer(rows: &[Row]) -> ((usize, usize), (usize, usize)) {
    let (mut r, mut o) = ((0, 0), (0, 0));
    for row in rows.iter().filter(|r| r.scored) {
        let truth = row.truth.as_deref().unwrap();
        let (re, n) = text::errors(truth, &row.reference);
        let (oe, _) = text::errors(truth, &row.ours);
        eprintln!(
            "{}: truth {truth:?}\n  ct2  {:?} ({re})\n  ours {:?} ({oe})",
            row.file, row.reference, row.ours
        );
        r = (r.0 + re, r.1 + n);
        o = (o.0 + oe, o.1 + n);
    }
    (r, o)
}

fn same_words(row: &Row) {
    assert_eq!(
        text::words(&row.ours),
        text::words(&row.reference),
        "{}: ours {:?}, CTranslate2 {:?}",
        row.file,
        row.ours,
        row.reference
    );
}

fn pct((e, n): (usize, usize)) -> f64 {
    100.0 * e as f64 / n as f64
}

/// The int8 conversion against CTranslate2's words on the unscored readings (201 words), in word
/// errors per reference word. The words are not CPU-independent: the encoder's fp32 parts round
/// differently on other instruction sets, and ONNX Runtime's default int8 kernels saturate on
/// CPUs without VNNI (on an AVX2 machine they changed 2 words of 201, "direct to the other way",
/// before the runtime set its exact-int8 key: `models::runtime::int8_overflows`). Measured with
/// it (BENCHMARKS.md, "Parity across CPU paths"): 0 words on AVX-512 VNNI and on SSE4.1 (qemu
/// Nehalem), and on AVX2 (valgrind). The bound allows 3 words, less than the saturating kernels' error.
const INT8_READING_WER_BOUND_PCT: f64 = 1.5;

/// A real two-person phone call (pyannote.audio's sample) that opens with "Hello? Hello?": the
/// transcript must go on past the repeats (the repetition guard once cut it to "Hello.").
const PHONE_CALL: &str = "phone-call.wav";
/// Word-difference points over CTranslate2's own int8 allowed on the phone call.
const PHONE_CALL_POINTS: f64 = 1.5;

#[test]
fn int8_matches_ctranslate2_on_real_speech() {
    let rows = transcribe_corpus(Precision::Int8);
    // The moonshine readings: the words CTranslate2 wrote, up to the CPU-path spread.
    let (mut diff, mut words) = (0, 0);
    for row in rows.iter().filter(|r| !r.scored && r.file != PHONE_CALL) {
        let (e, n) = text::errors(&row.reference, &row.ours);
        eprintln!(
            "{}: {e} of {n} words differ from CTranslate2\n  ct2  {:?}\n  ours {:?}",
            row.file, row.reference, row.ours
        );
        diff += e;
        words += n;
    }
    // The phone call alone (issue 15): a real conversation, transcribed whole. Quantization
    // moves a few of its garbled words (CTranslate2's own int8 weights change 2 of 76); ours
    // may differ from the fp32 words by at most 1.5 points more than that.
    let call = rows
        .iter()
        .find(|r| r.file == PHONE_CALL)
        .expect("the phone call is in corpus.json");
    let ct2 = fixture("ct2_reference.json");
    let ct2_int8 = ct2["files"][PHONE_CALL]["int8_text"]
        .as_str()
        .expect("int8_text in ct2_reference.json");
    let ours_diff = text::errors(&call.reference, &call.ours);
    let int8_diff = text::errors(&call.reference, ct2_int8);
    eprintln!(
        "{PHONE_CALL}: ours differs from CTranslate2 fp32 by {:.2}% ({}/{}), CTranslate2 int8 by {:.2}%",
        pct(ours_diff),
        ours_diff.0,
        ours_diff.1,
        pct(int8_diff)
    );
    assert!(
        ours_diff.1 >= 70 && pct(ours_diff) <= pct(int8_diff) + PHONE_CALL_POINTS,
        "{PHONE_CALL}: {:.2}% of {} words differ from CTranslate2 (its int8: {:.2}%, bound + \
         {PHONE_CALL_POINTS} points)\n  ct2  {:?}\n  ours {:?}",
        pct(ours_diff),
        ours_diff.1,
        pct(int8_diff),
        call.reference,
        call.ours
    );
    let (reference, ours) = wer(&rows);
    eprintln!(
        "readings: {:.2}% ({diff}/{words}) of words differ from CTranslate2; \
         WER on librivox + cards: CTranslate2 {:.2}% ({}/{}), ours int8 {:.2}% ({}/{})",
        pct((diff, words)),
        pct(reference),
        reference.0,
        reference.1,
        pct(ours),
        ours.0,
        ours.1
    );
    assert!(
        pct((diff, words)) <= INT8_READING_WER_BOUND_PCT,
        "{:.2}% of the readings' words differ from CTranslate2 (bound {INT8_READING_WER_BOUND_PCT}%)",
        pct((diff, words))
    );
    assert!(
        pct(ours) <= pct(reference) + 1.0,
        "WER {:.2}% is more than 1 point above CTranslate2's {:.2}%",
        pct(ours),
        pct(reference)
    );
}

#[test]
fn fp32_reproduces_ctranslate2_exactly() {
    transcribe_corpus(Precision::Fp32)
        .iter()
        .for_each(same_words);
}
