//! The camera as the user switches it during a conversation: off means the device is closed;
//! on means a [`VisionWorker`] reads a few frames a second off the interaction thread. Used by
//! `tandem run` and the desktop app's camera switch. Its [`TextReader`] reads text in the
//! latest frame on demand, for the reasoner ("read this").

use std::sync::Arc;
use std::time::Duration;

use super::camera::{self, CameraSettings};
use super::reader::{LatestFrame, TextReader};
use super::worker::VisionWorker;
use super::{Analyzer, VisionError, VisualContext};
use crate::models::runtime::Runtime;
use crate::models::{Manifest, ModelCache};

/// A visual context older than this is not used (the camera stalled): as if it were off.
pub const VISUAL_MAX_AGE: Duration = Duration::from_secs(2);

/// Switches the camera on and off; the face detector loads on the first switch-on.
pub struct CameraToggle {
    runtime: &'static Runtime,
    cache: ModelCache,
    manifest: Manifest,
    settings: CameraSettings,
    intra_threads: usize,
    worker: Option<VisionWorker>,
    reader: Arc<TextReader>,
}

impl std::fmt::Debug for CameraToggle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CameraToggle")
            .field("settings", &self.settings)
            .field("on", &self.worker.as_ref().map(VisionWorker::source))
            .finish_non_exhaustive()
    }
}

impl CameraToggle {
    pub fn new(
        runtime: &'static Runtime,
        cache: ModelCache,
        manifest: Manifest,
        settings: CameraSettings,
        intra_threads: usize,
    ) -> Self {
        let reader = Arc::new(TextReader::from_cache(
            LatestFrame::default(),
            VISUAL_MAX_AGE,
            runtime,
            cache.clone(),
            manifest.clone(),
            intra_threads,
        ));
        Self {
            runtime,
            cache,
            manifest,
            settings,
            intra_threads,
            worker: None,
            reader,
        }
    }

    /// The camera the settings name (`camera.device`, `camera.fps`), off until [`Self::set`].
    pub fn from_config(
        runtime: &'static Runtime,
        cache: &ModelCache,
        manifest: &Manifest,
        config: &crate::config::Config,
    ) -> Self {
        let settings = CameraSettings {
            device: config.camera.device.clone(),
            fps: config.camera.fps,
            ..CameraSettings::default()
        };
        Self::new(
            runtime,
            cache.clone(),
            manifest.clone(),
            settings,
            config.runtime.intra_threads,
        )
    }

    /// Turns the camera on (returns the camera's name) or off (returns `None`; the device
    /// closes). Turning on what is on, or off what is off, changes nothing.
    ///
    /// # Errors
    /// No camera, a camera that cannot be opened, or the face model missing: the camera stays
    /// off and the conversation goes on without it.
    pub fn set(&mut self, on: bool) -> Result<Option<String>, VisionError> {
        if !on {
            if let Some(w) = self.worker.take() {
                w.stop();
            }
            return Ok(None);
        }
        if let Some(w) = &self.worker
            && w.is_running()
        {
            return Ok(Some(w.source().to_owned()));
        }
        self.worker = None;
        let analyzer = Analyzer::load(
            self.runtime,
            &self.cache,
            &self.manifest,
            self.intra_threads,
        )?;
        let settings = self.settings.clone();
        let fps = settings.fps;
        let worker = VisionWorker::start_sharing(
            Box::new(move || camera::open(&settings)),
            analyzer,
            fps,
            self.reader.frames().clone(),
        )?;
        let name = worker.source().to_owned();
        self.worker = Some(worker);
        Ok(Some(name))
    }

    /// The camera's name while it is on.
    pub fn device(&self) -> Option<&str> {
        self.worker.as_ref().map(VisionWorker::source)
    }

    /// The latest visual context (`None` while off or stalled).
    pub fn latest(&self) -> Option<VisualContext> {
        self.worker.as_ref()?.latest(VISUAL_MAX_AGE)
    }

    /// Reads text in the latest frame on demand (nothing while the camera is off); hand it to
    /// the reasoner as its [`crate::reasoning::TextSource`]. The OCR models load on the first
    /// read.
    pub fn text_reader(&self) -> Arc<TextReader> {
        Arc::clone(&self.reader)
    }

    /// Why the camera stopped delivering, while it is on.
    pub fn error(&self) -> Option<String> {
        self.worker.as_ref()?.error()
    }
}
