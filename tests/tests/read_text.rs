//! "Read this": PP-OCRv4 through the real models on a printed page (a crop of scikit-image's
//! `page.png`), a picture without text, and clear errors for a missing or corrupt model.
//!
//! Images: tests/fixtures/vision (see the README there). These need `tandem models fetch`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tandem_core::config::Config;
use tandem_core::models::ModelCache;
use tandem_core::vision::ocr::{DET_MODEL_FILE, MIN_LINE_CONFIDENCE, REC_MODEL_FILE};
use tandem_core::vision::{Frame, Ocr, Reading, image};

mod common;

use common::setup;

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

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/vision")
        .join(name)
}

fn frame(name: &str) -> Frame {
    image::load(&fixture(name), 0).unwrap()
}

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
