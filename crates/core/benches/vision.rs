//! The camera stage per frame on one thread: BlazeFace detection plus the keypoint pose, from a
//! decoded RGB frame to a `VisualContext`, on the three test pictures and on a 320x240 frame
//! (the size the camera is opened at). Goal: < 15 ms per frame at 2-5 fps.
//!
//! Also reading text on demand ("read this", PP-OCRv4 detection + recognition) on the printed
//! page crop and on that page in a 640x480 frame; no goal beyond "about a second".
//!
//! `cargo bench -p tandem-core --bench vision` (needs `tandem models fetch`).

use std::sync::{Mutex, OnceLock};

use tandem_core::config::{Config, ExecutionProvider};
use tandem_core::models::{Manifest, ModelCache, runtime};
use tandem_core::vision::image::{self, letterbox};
use tandem_core::vision::{Analyzer, Frame, Ocr};

fn fixture(name: &str) -> Frame {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/vision");
    image::load(&dir.join(name), 0).expect("test image")
}

fn analyzer() -> std::sync::MutexGuard<'static, Analyzer> {
    static A: OnceLock<Mutex<Analyzer>> = OnceLock::new();
    A.get_or_init(|| {
        let cache = ModelCache::locate(&Config::default()).expect("cache");
        let manifest = Manifest::builtin();
        let rt = runtime::init(&cache, &manifest, ExecutionProvider::Cpu)
            .expect("runtime (run `tandem models fetch`)");
        Mutex::new(Analyzer::load(rt, &cache, &manifest, 1).expect("blazeface"))
    })
    .lock()
    .unwrap_or_else(|e| e.into_inner())
}

fn ocr() -> std::sync::MutexGuard<'static, Ocr> {
    static O: OnceLock<Mutex<Ocr>> = OnceLock::new();
    O.get_or_init(|| {
        let cache = ModelCache::locate(&Config::default()).expect("cache");
        let manifest = Manifest::builtin();
        let rt = runtime::init(&cache, &manifest, ExecutionProvider::Cpu)
            .expect("runtime (run `tandem models fetch`)");
        Mutex::new(Ocr::load(rt, &cache, &manifest, 1).expect("PP-OCRv4"))
    })
    .lock()
    .unwrap_or_else(|e| e.into_inner())
}

/// The printed page centred in a light grey 640x480 frame, as if held up to a webcam.
fn page_frame_640x480() -> Frame {
    let f = fixture("text/printed_page.png");
    let (w, h) = (640u32, 480u32);
    let mut rgb = vec![200u8; (w * h * 3) as usize];
    let (ox, oy) = ((w - f.width) / 2, (h - f.height) / 2);
    for y in 0..f.height {
        let src = &f.rgb[(y * f.width * 3) as usize..((y + 1) * f.width * 3) as usize];
        let at = ((y + oy) * w * 3 + ox * 3) as usize;
        rgb[at..at + src.len()].copy_from_slice(src);
    }
    Frame::new(0, w, h, rgb).expect("frame")
}

/// The frontal picture centred in a 320x240 frame, as a webcam would deliver it.
fn webcam_frame() -> Frame {
    let f = fixture("frontal_astronaut.png");
    let (w, h) = (320u32, 240u32);
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    let (ox, oy) = ((w - f.width) / 2, 0u32);
    for y in 0..h.min(f.height) {
        let src = &f.rgb[(y * f.width * 3) as usize..((y + 1) * f.width * 3) as usize];
        let at = ((y + oy) * w * 3 + ox * 3) as usize;
        rgb[at..at + src.len()].copy_from_slice(src);
    }
    Frame::new(0, w, h, rgb).expect("frame")
}

fn main() {
    let mut a = analyzer();
    for name in [
        "frontal_astronaut.png",
        "turned_cameraman.png",
        "no_person_cat.png",
    ] {
        let r = a.analyze(&fixture(name)).expect("analysis");
        eprintln!(
            "{name}: {} (best score {:.3})",
            r.context.summary(),
            r.best_score
        );
    }
    let r = a.analyze(&webcam_frame()).expect("analysis");
    eprintln!("320x240 webcam frame: {}", r.context.summary());
    drop(a);
    let mut o = ocr();
    for (what, frame) in [
        ("printed_page.png", fixture("text/printed_page.png")),
        ("page in 640x480", page_frame_640x480()),
    ] {
        let r = o.read(&frame).expect("reading");
        eprintln!("{what}: {} lines: {:?}", r.lines.len(), r.text);
    }
    drop(o);
    divan::main();
}

/// Detection + pose on a 320x240 frame: the live per-frame cost.
#[divan::bench]
fn frame_320x240(b: divan::Bencher) {
    let frame = webcam_frame();
    let mut a = analyzer();
    b.bench_local(|| a.context(divan::black_box(&frame)).expect("analysis"));
}

#[divan::bench(args = ["frontal_astronaut.png", "turned_cameraman.png", "no_person_cat.png"])]
fn picture_256(b: divan::Bencher, name: &str) {
    let frame = fixture(name);
    let mut a = analyzer();
    b.bench_local(|| a.context(divan::black_box(&frame)).expect("analysis"));
}

/// Reading the printed page crop (384x145, detection at 768x288): the on-demand cost.
#[divan::bench(sample_count = 10)]
fn read_page_384x145(b: divan::Bencher) {
    let frame = fixture("text/printed_page.png");
    let mut o = ocr();
    b.bench_local(|| o.read(divan::black_box(&frame)).expect("reading"));
}

/// Reading the same page held up in a 640x480 frame (detection at 960x736).
#[divan::bench(sample_count = 10)]
fn read_page_in_640x480(b: divan::Bencher) {
    let frame = page_frame_640x480();
    let mut o = ocr();
    b.bench_local(|| o.read(divan::black_box(&frame)).expect("reading"));
}

/// The filtered, letterboxed downscale alone (part of every frame).
#[divan::bench]
fn letterbox_320x240(b: divan::Bencher) {
    let frame = webcam_frame();
    let (mut out, mut tmp) = (Vec::new(), Vec::new());
    b.bench_local(|| letterbox(divan::black_box(&frame), 128, &mut out, &mut tmp));
}
