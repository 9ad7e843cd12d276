//! The vision stage: a thread named `vision` that owns the camera, analyzes a few frames per
//! second and keeps the latest [`VisualContext`] for the interaction loop to read, so face
//! detection never runs on the interaction thread.
//!
//! The source is opened on the worker thread (a camera handle need not be `Send`) and dropped
//! there when the worker stops: camera off means the device is closed. Each analyzed frame is
//! also left in a [`LatestFrame`], for reading text on demand ([`super::reader`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::camera::CameraSource;
use super::reader::LatestFrame;
use super::smooth::Smoother;
use super::{Analyzer, VisionError, VisualContext};

/// Opens the frame source on the worker thread.
pub type Opener = Box<dyn FnOnce() -> Result<Box<dyn CameraSource>, VisionError> + Send>;

#[derive(Debug, Default)]
struct Shared {
    latest: Mutex<Option<(VisualContext, Instant)>>,
    error: Mutex<Option<String>>,
    stop: AtomicBool,
    frames: AtomicU64,
    /// Analysis time of all frames, microseconds.
    busy_us: AtomicU64,
}

/// A running vision stage; see the module docs. Dropping it stops the thread.
#[derive(Debug)]
pub struct VisionWorker {
    shared: Arc<Shared>,
    frames: LatestFrame,
    handle: Option<JoinHandle<Analyzer>>,
    source: String,
}

impl VisionWorker {
    /// Starts the thread, opens the source there and returns once it is open (or with the
    /// error that kept it from opening). At most `fps` frames are analyzed per second.
    pub fn start(open: Opener, analyzer: Analyzer, fps: u32) -> Result<Self, VisionError> {
        Self::start_sharing(open, analyzer, fps, LatestFrame::default())
    }

    /// As [`Self::start`], leaving each analyzed frame in `frames` (cleared when the worker
    /// stops, so a stopped camera leaves nothing to read).
    pub fn start_sharing(
        open: Opener,
        mut analyzer: Analyzer,
        fps: u32,
        frames: LatestFrame,
    ) -> Result<Self, VisionError> {
        let shared = Arc::new(Shared::default());
        let worker_frames = frames.clone();
        let (opened_tx, opened_rx) = mpsc::sync_channel::<Result<String, VisionError>>(1);
        let period = Duration::from_millis(1000 / u64::from(fps.clamp(1, 30)));
        let worker_shared = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("vision".into())
            .spawn(move || {
                let shared = worker_shared;
                let mut source = match open() {
                    Ok(s) => {
                        let _ = opened_tx.send(Ok(s.name().to_owned()));
                        s
                    }
                    Err(e) => {
                        let _ = opened_tx.send(Err(e));
                        return analyzer;
                    }
                };
                let mut next_due = Instant::now();
                let mut smoother = Smoother::default();
                while !shared.stop.load(Ordering::Relaxed) {
                    let frame = match source.next_frame() {
                        Ok(Some(f)) => f,
                        Ok(None) => break,
                        Err(e) => {
                            tracing::warn!(source = source.name(), "vision: {e}");
                            *lock(&shared.error) = Some(e.to_string());
                            *lock(&shared.latest) = None;
                            worker_frames.clear();
                            break;
                        }
                    };
                    if Instant::now() < next_due {
                        continue;
                    }
                    let t0 = Instant::now();
                    match analyzer.context(&frame) {
                        Ok(ctx) => {
                            let ctx = smoother.push(ctx);
                            *lock(&shared.latest) = Some((ctx, Instant::now()));
                            worker_frames.set(frame);
                        }
                        Err(e) => *lock(&shared.error) = Some(e.to_string()),
                    }
                    shared.frames.fetch_add(1, Ordering::Relaxed);
                    shared
                        .busy_us
                        .fetch_add(t0.elapsed().as_micros() as u64, Ordering::Relaxed);
                    next_due = t0 + period;
                    // Sources that do not pace themselves (files, synthetic) are paced here.
                    if let Some(wait) = next_due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                }
                drop(source); // Closes the camera.
                analyzer
            })
            .map_err(|source| VisionError::Io {
                path: "vision thread".into(),
                source,
            })?;
        match opened_rx.recv() {
            Ok(Ok(source)) => Ok(Self {
                shared,
                frames,
                handle: Some(handle),
                source,
            }),
            Ok(Err(e)) => {
                let _ = handle.join();
                Err(e)
            }
            Err(_) => {
                let _ = handle.join();
                Err(VisionError::NoCamera(
                    "the vision thread ended before opening the camera".into(),
                ))
            }
        }
    }

    /// What the source is called (the camera's name).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The latest context if it is at most `max_age` old (a stalled or lost camera gives
    /// `None`: the loop then acts as with the camera off).
    pub fn latest(&self, max_age: Duration) -> Option<VisualContext> {
        lock(&self.shared.latest)
            .filter(|(_, at)| at.elapsed() <= max_age)
            .map(|(c, _)| c)
    }

    /// The latest analyzed frame if it is at most `max_age` old.
    pub fn latest_frame(&self, max_age: Duration) -> Option<Arc<super::Frame>> {
        self.frames.get(max_age)
    }

    /// Why the stage stopped or skipped a frame, if it did.
    pub fn error(&self) -> Option<String> {
        lock(&self.shared.error).clone()
    }

    /// Frames analyzed and their mean analysis time (ms).
    pub fn stats(&self) -> (u64, f64) {
        let n = self.shared.frames.load(Ordering::Relaxed);
        let us = self.shared.busy_us.load(Ordering::Relaxed);
        (
            n,
            if n == 0 {
                0.0
            } else {
                us as f64 / n as f64 / 1000.0
            },
        )
    }

    /// Whether the thread is still reading frames.
    pub fn is_running(&self) -> bool {
        self.handle.as_ref().is_some_and(|h| !h.is_finished())
    }

    /// Stops the thread, closes the source, and hands the analyzer back (to start again).
    pub fn stop(mut self) -> Option<Analyzer> {
        self.halt()
    }

    fn halt(&mut self) -> Option<Analyzer> {
        self.shared.stop.store(true, Ordering::Relaxed);
        let analyzer = self.handle.take().and_then(|h| h.join().ok());
        self.frames.clear();
        analyzer
    }
}

impl Drop for VisionWorker {
    fn drop(&mut self) {
        self.halt();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
