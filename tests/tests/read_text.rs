//! "Read this": PP-OCRv4 through the real models on a printed page (a crop of scikit-image's
//! `page.png`), a picture without text, clear errors for a missing or corrupt model, the
//! reasoner reading the latest camera frame, and the whole loop reading it aloud.
//!
//! Images: tests/fixtures/vision (see the README there). These need `tandem models fetch`.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tandem_core::config::{Config, LlmConfig};
use tandem_core::engine::PolicyKind;
use tandem_core::models::ModelCache;
use tandem_core::reasoning::{
    Reasoner, ReasonerEvent, ReasonerOptions, Request, TextSource, VisualContext,
};
use tandem_core::store::Store;
use tandem_core::vision::ocr::{DET_MODEL_FILE, MIN_LINE_CONFIDENCE, REC_MODEL_FILE};
use tandem_core::vision::timeline::VisualTimeline;
use tandem_core::vision::{LatestFrame, Ocr, Reading, TextReader};

#[allow(dead_code)]
mod common;
#[allow(dead_code)]
mod duplex_run;
mod images;

use common::setup;
use images::frame;

/// What the page crop says, typed from the image (tests/fixtures/vision/text/printed_page.png).
const PAGE_TEXT: &str = "Region-based segmentation \
    Let us first determine markers of the coins and the \
    background. These markers are pixels that we can label \
    unambiguously as either object or background. Here, \
    the markers are found at the two extreme parts of the \
    histogram of grey values:";

/// Share of the page's words that must be read. PP-OCRv4 (a Chinese/English model) sometimes
/// runs two words together ("background.These"); everything else should be there.
const MIN_WORDS_FOUND: f32 = 0.85;

fn ocr() -> Ocr {
    let (rt, cache, manifest) = setup();
    Ocr::load(rt, &cache, &manifest, 1).unwrap_or_else(|e| panic!("{e}"))
}

/// Lowercase words without surrounding punctuation.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The share of `expected`'s words (with repeats) found among `got`'s.
fn words_found(expected: &str, got: &str) -> f32 {
    let mut pool: HashMap<String, usize> = HashMap::new();
    for w in words(got) {
        *pool.entry(w).or_default() += 1;
    }
    let expected = words(expected);
    let found = expected
        .iter()
        .filter(|w| match pool.get_mut(*w) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        })
        .count();
    found as f32 / expected.len() as f32
}

fn page_reading() -> &'static Reading {
    static READING: OnceLock<Reading> = OnceLock::new();
    READING.get_or_init(|| {
        let r = ocr().read(&frame("text/printed_page.png")).unwrap();
        eprintln!("{}\n{:#?}", r.text, r.lines);
        r
    })
}

#[test]
fn the_word_counter_counts_repeats_and_ignores_case_and_punctuation() {
    assert_eq!(words_found("the cat, the hat", "The hat. CAT"), 0.75);
    assert_eq!(words_found("a b", ""), 0.0);
}

#[test]
fn a_printed_page_is_read_line_by_line_in_reading_order() {
    let r = page_reading();
    let share = words_found(PAGE_TEXT, &r.text);
    assert!(
        share >= MIN_WORDS_FOUND,
        "{:.0}% of the page's words read (at least {:.0}% expected):\n{}",
        share * 100.0,
        MIN_WORDS_FOUND * 100.0,
        r.text
    );
    // Six lines of print, the heading first and the last line last.
    let rows: Vec<&str> = r.text.lines().collect();
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert_eq!(rows[0], "Region-based segmentation");
    assert!(rows[5].starts_with("histogram"), "{rows:?}");
    for line in &r.lines {
        assert!(
            (MIN_LINE_CONFIDENCE..=1.0).contains(&line.confidence),
            "{line:?}"
        );
        for [x, y] in line.quad {
            assert!(
                (0.0..=384.0).contains(&x) && (0.0..=145.0).contains(&y),
                "{line:?}"
            );
        }
    }
    // The heading's box is at the top left, about as tall as the heading's letters.
    let heading = &r.lines[0];
    let [tl, _, br, _] = heading.quad;
    assert!(tl[1] < 15.0 && br[1] > 25.0 && br[1] < 45.0, "{heading:?}");
}

#[test]
fn a_picture_without_text_reads_as_no_text() {
    let r = ocr().read(&frame("no_person_cat.png")).unwrap();
    assert!(
        words(&r.text).len() <= 1,
        "the cat has no text, read {:?} from {:?}",
        r.text,
        r.lines
    );
}

#[test]
fn a_missing_or_corrupt_model_names_the_file_and_the_fix() {
    let (rt, _, manifest) = setup();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.models.dir = Some(dir.path().to_owned());
    let cache = ModelCache::locate(&config).unwrap();
    let e = Ocr::load(rt, &cache, &manifest, 1).unwrap_err().to_string();
    assert!(
        e.contains(DET_MODEL_FILE) && e.contains("tandem models fetch"),
        "{e}"
    );
    // The detector in place but the recognizer damaged.
    let (_, real, _) = setup();
    let det = dir.path().join(DET_MODEL_FILE);
    std::fs::create_dir_all(det.parent().unwrap()).unwrap();
    std::fs::copy(real.verified_path(&manifest, DET_MODEL_FILE).unwrap(), &det).unwrap();
    std::fs::write(dir.path().join(REC_MODEL_FILE), b"not an onnx model").unwrap();
    let e = Ocr::load(rt, &cache, &manifest, 1).unwrap_err().to_string();
    assert!(
        e.contains(REC_MODEL_FILE) && e.contains("tandem models fetch"),
        "{e}"
    );
}

/// A reader over a still frame, as if the camera had just delivered it.
fn reader_over(name: &str) -> Arc<TextReader> {
    let (rt, cache, manifest) = setup();
    let frames = LatestFrame::default();
    frames.set(frame(name));
    Arc::new(TextReader::from_cache(
        frames,
        Duration::from_secs(3600),
        rt,
        cache,
        manifest,
        1,
    ))
}

fn ask(reader: Arc<TextReader>, text: &str, camera_on: bool) -> (String, usize) {
    let store = Store::open_in_memory().unwrap();
    let options = ReasonerOptions {
        text_source: Some(reader as Arc<dyn TextSource>),
        ..ReasonerOptions::default()
    };
    let mut h = Reasoner::spawn_with(LlmConfig::skills_only(), store, options).unwrap();
    let mut request = Request::new(text);
    if camera_on {
        request = request.with_visual(VisualContext::default());
    }
    let id = h.request(request);
    // The handle never waits for the reading: polls before the answer come back empty.
    let mut empty_polls = 0;
    loop {
        match h.try_recv() {
            None => {
                empty_polls += 1;
                std::thread::sleep(Duration::from_millis(5));
                assert!(empty_polls < 6000, "no answer in 30 s");
            }
            Some(ReasonerEvent::Final { id: got, text, .. }) if got == id => {
                return (text, empty_polls);
            }
            Some(_) => {}
        }
    }
}

#[test]
fn read_this_reads_the_latest_frame_in_the_reasoner_without_blocking_the_caller() {
    let (said, empty_polls) = ask(reader_over("text/printed_page.png"), "read this", true);
    assert!(
        said.starts_with("It says: Region-based segmentation"),
        "{said}"
    );
    let share = words_found(PAGE_TEXT, &said);
    assert!(share >= MIN_WORDS_FOUND, "{:.0}%: {said}", share * 100.0);
    assert!(
        empty_polls > 0,
        "the caller got control back while the frame was read"
    );

    let (said, _) = ask(reader_over("no_person_cat.png"), "what does this say", true);
    assert!(said.starts_with("I don't see any text"), "{said}");

    let (said, _) = ask(reader_over("text/printed_page.png"), "read this", false);
    assert!(said.starts_with("The camera is off"), "{said}");
}

#[test]
fn the_loop_reads_the_page_aloud_when_asked_with_the_camera_on() {
    let dir = tempfile::tempdir().unwrap();
    let input = duplex_run::channel(dir.path(), "user", 14.0, &[(0.5, "Read this.")]);
    let seen = VisualTimeline::new(vec![tandem_core::vision::VisualContext {
        present: true,
        faces: 1,
        facing: true,
        yaw_deg: Some(0.0),
        ..tandem_core::vision::VisualContext::nobody(0)
    }]);
    let run = duplex_run::run_reading(
        &input,
        "",
        PolicyKind::Rules,
        LlmConfig::skills_only(),
        Some(seen),
        Some(reader_over("text/printed_page.png")),
    );
    let result = run
        .kinds("reasoning_result")
        .into_iter()
        .find(|e| e["text"].as_str().unwrap().starts_with("It says"))
        .unwrap_or_else(|| panic!("the page was read: {:?}", run.kinds("reasoning_result")));
    let said = result["text"].as_str().unwrap();
    let share = words_found(PAGE_TEXT, said);
    assert!(share >= MIN_WORDS_FOUND, "{:.0}%: {said}", share * 100.0);
    assert!(run.first_ms("speak_start").is_some(), "and said aloud");
}
