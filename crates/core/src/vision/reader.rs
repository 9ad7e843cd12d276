//! "Read this" on the live camera: the vision worker leaves each frame it analyzes in a
//! [`LatestFrame`], and the reasoner asks a [`TextReader`] for the text in it when the user
//! wants something read. Reading takes about a second, so it runs on the reasoner's blocking
//! pool, never on the interaction thread or the vision thread; the OCR models load on the
//! first read and stay loaded.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::ocr::{Ocr, Reading};
use super::{Frame, VisionError};
use crate::models::runtime::Runtime;
use crate::models::{Manifest, ModelCache};

/// The most recent frame of a running camera, shared between the vision worker (which
/// writes it) and whoever reads it on demand.
#[derive(Debug, Clone, Default)]
pub struct LatestFrame(Arc<Mutex<Option<Stamped>>>);

/// A frame and when it was left.
type Stamped = (Arc<Frame>, Instant);

impl LatestFrame {
    pub fn set(&self, frame: Frame) {
        *lock(&self.0) = Some((Arc::new(frame), Instant::now()));
    }

    /// Forgets the frame (the camera was turned off).
    pub fn clear(&self) {
        *lock(&self.0) = None;
    }

    /// The frame if it is at most `max_age` old.
    pub fn get(&self, max_age: Duration) -> Option<Arc<Frame>> {
        lock(&self.0)
            .as_ref()
            .filter(|(_, at)| at.elapsed() <= max_age)
            .map(|(f, _)| Arc::clone(f))
    }
}

/// Loads the OCR engine when it is first needed.
type Loader = Box<dyn Fn() -> Result<Ocr, VisionError> + Send + Sync>;

/// Reads the text in the latest frame on demand; see the module docs.
pub struct TextReader {
    frames: LatestFrame,
    max_age: Duration,
    load: Loader,
    ocr: Mutex<Option<Ocr>>,
}

impl std::fmt::Debug for TextReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextReader")
            .field("max_age", &self.max_age)
            .field("loaded", &lock(&self.ocr).is_some())
            .finish_non_exhaustive()
    }
}

impl TextReader {
    /// Reads `frames` (frames older than `max_age` count as none), loading the engine with
    /// `load` on the first read (and again after a failed load, so fetching the models
    /// meanwhile is enough).
    pub fn new(frames: LatestFrame, max_age: Duration, load: Loader) -> Self {
        Self {
            frames,
            max_age,
            load,
            ocr: Mutex::new(None),
        }
    }

    /// A reader that loads PP-OCRv4 from the verified model cache.
    pub fn from_cache(
        frames: LatestFrame,
        max_age: Duration,
        runtime: &'static Runtime,
        cache: ModelCache,
        manifest: Manifest,
        intra_threads: usize,
    ) -> Self {
        Self::new(
            frames,
            max_age,
            Box::new(move || Ocr::load(runtime, &cache, &manifest, intra_threads)),
        )
    }

    /// The frames this reader reads.
    pub fn frames(&self) -> &LatestFrame {
        &self.frames
    }

    /// The text in the latest frame; `None` when there is no recent frame (camera off or
    /// stalled). Blocks while the models load and the frame is read.
    pub fn read_latest(&self) -> Result<Option<Reading>, VisionError> {
        let Some(frame) = self.frames.get(self.max_age) else {
            return Ok(None);
        };
        let mut ocr = lock(&self.ocr);
        if ocr.is_none() {
            *ocr = Some((self.load)()?);
        }
        let engine = ocr.as_mut().expect("loaded above");
        let t0 = Instant::now();
        let reading = engine.read(&frame)?;
        tracing::info!(
            lines = reading.lines.len(),
            ms = t0.elapsed().as_millis() as u64,
            "read the latest frame"
        );
        Ok(Some(reading))
    }
}

impl crate::reasoning::TextSource for TextReader {
    fn read_text(&self) -> Result<Option<String>, String> {
        self.read_latest()
            .map(|r| r.map(|r| r.text))
            .map_err(|e| e.to_string())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_frame_expires_and_clears() {
        let frames = LatestFrame::default();
        assert!(frames.get(Duration::from_secs(1)).is_none());
        frames.set(Frame::new(7, 1, 1, vec![0, 0, 0]).unwrap());
        assert_eq!(frames.get(Duration::from_secs(1)).unwrap().t_ms, 7);
        std::thread::sleep(Duration::from_millis(20));
        assert!(frames.get(Duration::from_millis(5)).is_none(), "too old");
        frames.clear();
        assert!(frames.get(Duration::from_secs(1)).is_none());
    }

    #[test]
    fn without_a_frame_nothing_is_read_and_nothing_loads() {
        let reader = TextReader::new(
            LatestFrame::default(),
            Duration::from_secs(1),
            Box::new(|| -> Result<Ocr, VisionError> { panic!("the models load only for a frame") }),
        );
        assert!(reader.read_latest().unwrap().is_none());
    }

    #[test]
    fn a_failed_load_is_the_error_and_is_tried_again_next_time() {
        let frames = LatestFrame::default();
        frames.set(Frame::new(0, 1, 1, vec![0, 0, 0]).unwrap());
        let tries = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counted = Arc::clone(&tries);
        let reader = TextReader::new(
            frames,
            Duration::from_secs(5),
            Box::new(move || -> Result<Ocr, VisionError> {
                counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Err(VisionError::NoCamera("model missing".into()))
            }),
        );
        for _ in 0..2 {
            let e = reader.read_latest().unwrap_err().to_string();
            assert!(e.contains("model missing"), "{e}");
        }
        assert_eq!(tries.load(std::sync::atomic::Ordering::Relaxed), 2);
    }
}
