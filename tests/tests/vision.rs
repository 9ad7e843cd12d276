//! The camera stage on real pictures through the real BlazeFace model: a frontal face is present
//! and facing, a turned head is present and turned away, a cat is no person; plus the file and
//! synthetic sources, the vision thread, and clear errors for a missing model or a bad image.
//!
//! Images: tests/fixtures/vision (scikit-image sample data; see the README there). These tests
//! need `tandem models fetch`; they fail with that hint when the models are missing.

use std::time::{Duration, Instant};

use tandem_core::config::Config;
use tandem_core::models::ModelCache;
use tandem_core::vision::camera::CameraSource;
use tandem_core::vision::pose::FACING_MAX_YAW_DEG;
use tandem_core::vision::source::{FileSource, SyntheticSource};
use tandem_core::vision::worker::VisionWorker;
use tandem_core::vision::{Analysis, Analyzer, FaceDetector, Frame, VisionError};

mod common;
mod images;

use common::setup;
use images::{fixture, frame};

fn analyzer() -> Analyzer {
    let (rt, cache, manifest) = setup();
    Analyzer::load(rt, &cache, &manifest, 1).unwrap_or_else(|e| panic!("{e}"))
}

fn analyze(a: &mut Analyzer, f: &Frame, what: &str) -> Analysis {
    let r = a.analyze(f).unwrap();
    eprintln!("{what}: {} | {:?}", r.context.summary(), r.faces);
    r
}

#[test]
fn a_frontal_face_is_present_and_facing() {
    let mut a = analyzer();
    let r = analyze(&mut a, &frame("frontal_astronaut.png"), "frontal");
    let c = r.context;
    assert!(c.present && c.facing, "{c:?}");
    assert_eq!(c.faces, 1);
    assert!(c.confidence > 0.85, "{c:?}");
    let yaw = c.yaw_deg.unwrap();
    assert!(yaw.abs() < 10.0, "yaw {yaw}");
    // The face is where the astronaut's head is (upper middle of the picture).
    let f = &r.faces[0].face;
    let (cx, cy) = (f.x + f.width / 2.0, f.y + f.height / 2.0);
    assert!(
        (90.0..140.0).contains(&cx) && (45.0..85.0).contains(&cy),
        "{f:?}"
    );
    assert!(
        f.keypoints.iter().all(|[x, y]| {
            (f.x - 5.0..f.x + f.width + 5.0).contains(x)
                && (f.y - 5.0..f.y + f.height + 5.0).contains(y)
        }),
        "keypoints inside the box: {f:?}"
    );
}

#[test]
fn a_turned_head_is_present_but_turned_away_whichever_way_it_turns() {
    let mut a = analyzer();
    let turned = frame("turned_cameraman.png");
    let c = analyze(&mut a, &turned, "turned").context;
    assert!(c.present && !c.facing, "{c:?}");
    let yaw = c.yaw_deg.unwrap();
    assert!(yaw > FACING_MAX_YAW_DEG + 5.0, "yaw {yaw}");
    // Mirrored, the head turns the other way: the yaw changes sign, still turned away.
    let m = analyze(&mut a, &turned.mirrored(), "turned, mirrored").context;
    assert!(m.present && !m.facing, "{m:?}");
    assert!(m.yaw_deg.unwrap() < -(FACING_MAX_YAW_DEG + 5.0), "{m:?}");
    // And a mirrored frontal face still faces us.
    let f = analyze(
        &mut a,
        &frame("frontal_astronaut.png").mirrored(),
        "frontal, mirrored",
    );
    assert!(f.context.present && f.context.facing, "{:?}", f.context);
}

#[test]
fn a_cat_is_no_person() {
    let mut a = analyzer();
    let r = analyze(&mut a, &frame("no_person_cat.png"), "cat");
    assert!(!r.context.present && !r.context.facing, "{:?}", r.context);
    assert_eq!(r.context.faces, 0);
    assert!(r.faces.is_empty());
    assert_eq!(r.context.yaw_deg, None);
    // An empty grey scene: nobody, and very sure of it.
    let mut grey = SyntheticSource::grey(320, 240, 4, Some(1));
    let g = analyze(&mut a, &grey.next_frame().unwrap().unwrap(), "grey").context;
    assert!(!g.present && g.confidence > 0.9, "{g:?}");
}

#[test]
fn a_wider_frame_maps_boxes_back_to_its_own_pixels() {
    // The frontal picture inside a 5:4 frame, 64 px from the left and 1 px down: the face
    // moves with it.
    let f = frame("frontal_astronaut.png");
    let (w, h) = (322u32, 258u32);
    let mut rgb = vec![20u8; (w * h * 3) as usize];
    for y in 0..f.height {
        let src = &f.rgb[(y * f.width * 3) as usize..((y + 1) * f.width * 3) as usize];
        let at = ((y + 1) * w * 3 + 64 * 3) as usize;
        rgb[at..at + src.len()].copy_from_slice(src);
    }
    let wide = Frame::new(0, w, h, rgb).unwrap();
    let mut a = analyzer();
    let base = analyze(&mut a, &f, "frontal").faces[0].face.clone();
    let r = analyze(&mut a, &wide, "frontal in a 5:4 frame");
    assert!(r.context.present && r.context.facing);
    let moved = &r.faces[0].face;
    assert!(
        (moved.x - base.x - 64.0).abs() < 5.0,
        "{moved:?} vs {base:?}"
    );
    assert!(
        (moved.y - base.y - 1.0).abs() < 5.0,
        "{moved:?} vs {base:?}"
    );
}

#[test]
fn a_directory_of_images_is_analyzed_in_order() {
    let mut src = FileSource::open(&fixture(""), 250).unwrap();
    let mut a = analyzer();
    let mut seen = Vec::new();
    while let Some(f) = src.next_frame().unwrap() {
        let c = a.context(&f).unwrap();
        seen.push((f.t_ms, c.present, c.facing));
    }
    assert_eq!(
        seen,
        [(0, true, true), (250, false, false), (500, true, false)],
        "frontal_astronaut, no_person_cat, turned_cameraman"
    );
}

#[test]
fn the_vision_thread_keeps_the_latest_context_and_closes_the_source_on_stop() {
    let frontal = frame("frontal_astronaut.png");
    let src = SyntheticSource::new(vec![frontal], 5, None, true);
    let worker = VisionWorker::start(Box::new(move || Ok(Box::new(src))), analyzer(), 5).unwrap();
    let t0 = Instant::now();
    let ctx = loop {
        if let Some(c) = worker.latest(Duration::from_secs(2)) {
            break c;
        }
        assert!(t0.elapsed() < Duration::from_secs(5), "no context in 5 s");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(ctx.present && ctx.facing);
    std::thread::sleep(Duration::from_millis(600));
    let (frames, ms) = worker.stats();
    eprintln!("{frames} frames, {ms:.1} ms each");
    assert!((2..=6).contains(&frames), "about 5 fps: {frames} frames");
    assert!(worker.is_running());
    let analyzer = worker.stop();
    assert!(
        analyzer.is_some(),
        "the analyzer comes back for the next start"
    );
}

#[test]
fn no_camera_is_a_clear_error_at_start() {
    let e = VisionWorker::start(
        Box::new(|| Err(VisionError::NoCamera("no camera found".into()))),
        analyzer(),
        4,
    )
    .unwrap_err();
    assert!(e.to_string().contains("no camera found"), "{e}");
}

#[test]
fn a_missing_model_names_the_file_and_the_fix() {
    let (rt, _, manifest) = setup();
    let empty = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.models.dir = Some(empty.path().to_owned());
    let cache = ModelCache::locate(&config).unwrap();
    let e = FaceDetector::load(rt, &cache, &manifest, 1)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("blazeface_128.onnx") && e.contains("tandem models fetch"),
        "{e}"
    );
}
