//! Vision: camera sources and the visual context the interaction loop and the reasoner use.
//!
//! * [`CameraSource`] is where frames come from: a real camera through nokhwa (feature
//!   `camera`; [`camera::open`]), an image file or a directory of images
//!   ([`source::FileSource`]), or generated frames for tests ([`source::SyntheticSource`]).
//!   Camera off means the source is dropped, which closes the device.
//! * [`face::FaceDetector`] runs BlazeFace (short-range, 128x128) through ONNX Runtime: faces
//!   with a box, six keypoints and a score.
//! * [`pose`] estimates head yaw from those keypoints (no second model): the nose's offset
//!   from the midpoint of the ears, on a cylinder model of the head.
//! * [`ocr::Ocr`] reads text (PP-OCRv4 detection and recognition), on demand only: about a
//!   second per frame. [`reader::TextReader`] reads the latest camera frame for the reasoner
//!   when the user asks "read this".
//! * [`Analyzer`] turns one frame into a [`VisualContext`]: someone present, how many faces,
//!   facing the screen or turned away, the yaw and a confidence.
//! * [`worker::VisionWorker`] runs a source and the analyzer on their own thread at a few
//!   frames per second and keeps the latest context for the live loop, smoothed over the last
//!   few frames ([`smooth::Smoother`]).
//! * [`timeline::VisualTimeline`] is visual context over time from a JSON-lines file, for
//!   `tandem duplex --visual` and tests.

pub mod camera;
pub mod face;
pub mod image;
pub mod ocr;
pub mod pose;
pub mod reader;
pub mod smooth;
pub mod source;
pub mod timeline;
pub mod toggle;
pub mod worker;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use camera::CameraSource;
pub use face::{Face, FaceDetector};
pub use ocr::{Ocr, Reading, TextLine};
pub use reader::{LatestFrame, TextReader};

use crate::interaction::Visual;
use crate::models::cache::CacheError;
use crate::models::runtime::RuntimeError;

#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("{file} does not have the expected inputs/outputs: {message}")]
    Signature { file: String, message: String },
    #[error("a vision model failed: {0}")]
    Inference(#[from] ort::Error),
    #[error(
        "cannot read the image {path}: {message}\n  give a PNG or JPEG file (or a directory of them)"
    )]
    Image { path: PathBuf, message: String },
    #[error("no PNG or JPEG images in the directory {0}")]
    EmptyDirectory(PathBuf),
    #[error("{0}")]
    NoCamera(String),
    #[error("camera `{device}`: {message}")]
    Camera { device: String, message: String },
    #[error("a frame of {width}x{height} has {len} bytes, expected {expected} (RGB, 8 bits)")]
    FrameSize {
        width: u32,
        height: u32,
        len: usize,
        expected: usize,
    },
    #[error("{path} line {line}: {message}")]
    Timeline {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One camera frame: 8-bit RGB, row-major, no padding.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// When the frame was captured, in ms since the source opened.
    pub t_ms: u64,
    pub width: u32,
    pub height: u32,
    /// `width * height * 3` bytes.
    pub rgb: Vec<u8>,
}

impl Frame {
    /// Wraps RGB bytes after checking their length.
    pub fn new(t_ms: u64, width: u32, height: u32, rgb: Vec<u8>) -> Result<Self, VisionError> {
        let expected = width as usize * height as usize * 3;
        if rgb.len() != expected || width == 0 || height == 0 {
            return Err(VisionError::FrameSize {
                width,
                height,
                len: rgb.len(),
                expected,
            });
        }
        Ok(Self {
            t_ms,
            width,
            height,
            rgb,
        })
    }

    /// The same picture mirrored left to right (what a selfie view shows).
    pub fn mirrored(&self) -> Self {
        let w = self.width as usize;
        let mut rgb = Vec::with_capacity(self.rgb.len());
        for row in self.rgb.chunks_exact(w * 3) {
            for px in row.chunks_exact(3).rev() {
                rgb.extend_from_slice(px);
            }
        }
        Self {
            rgb,
            ..self.clone()
        }
    }
}

/// What one frame says about the user. The user is the largest face in view.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VisualContext {
    /// Capture time of the frame, ms (since the source opened, or the timeline's clock).
    pub t_ms: u64,
    /// A face is in view (score at least [`face::MIN_FACE_SCORE`]).
    pub present: bool,
    /// Faces in view.
    #[serde(default)]
    pub faces: u32,
    /// The user faces the screen: |yaw| at most [`pose::FACING_MAX_YAW_DEG`].
    #[serde(default)]
    pub facing: bool,
    /// The user's head yaw estimate in degrees: 0 facing the camera, positive turned toward
    /// the image's right (the user's left). `None` when nobody is in view.
    #[serde(default)]
    pub yaw_deg: Option<f32>,
    /// How sure the detector is of `present`: the user's face score when someone is there,
    /// one minus the best score when nobody is.
    #[serde(default = "one")]
    pub confidence: f32,
}

fn one() -> f32 {
    1.0
}

impl VisualContext {
    /// Nobody in view (as for an empty or dark frame).
    pub fn nobody(t_ms: u64) -> Self {
        Self {
            t_ms,
            present: false,
            faces: 0,
            facing: false,
            yaw_deg: None,
            confidence: 1.0,
        }
    }

    /// The floor policy's input.
    pub fn to_policy(&self) -> Visual {
        Visual {
            person_present: self.present,
            facing_screen: self.present && self.facing,
        }
    }

    /// What the reasoner's skills see ("what do you see?").
    pub fn to_reasoning(&self) -> crate::reasoning::VisualContext {
        crate::reasoning::VisualContext {
            person_present: self.present,
            facing: self.present && self.facing,
            faces: if self.present { self.faces.max(1) } else { 0 },
            // Read on demand by the reasoner, from the latest frame (see `reader`).
            ocr_text: None,
        }
    }

    /// A short human-readable line ("1 face, facing (yaw -3 deg), confidence 0.92").
    pub fn summary(&self) -> String {
        if !self.present {
            return format!("no person (confidence {:.2})", self.confidence);
        }
        let yaw = self
            .yaw_deg
            .map(|y| format!(" (yaw {y:+.0} deg)"))
            .unwrap_or_default();
        format!(
            "{} face{}, {}{yaw}, confidence {:.2}",
            self.faces,
            if self.faces == 1 { "" } else { "s" },
            if self.facing {
                "facing the screen"
            } else {
                "turned away"
            },
            self.confidence
        )
    }
}

/// Frame in, visual context out: the face detector and the pose estimate.
#[derive(Debug)]
pub struct Analyzer {
    detector: FaceDetector,
}

/// Everything the analyzer found in one frame (for `tandem vision --json` and tests).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub context: VisualContext,
    /// Faces at or above [`face::MIN_FACE_SCORE`], largest first, with their pose.
    pub faces: Vec<FaceReport>,
    /// The best score of any candidate, kept or not.
    pub best_score: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaceReport {
    #[serde(flatten)]
    pub face: Face,
    pub pose: pose::Pose,
}

impl Analyzer {
    pub fn new(detector: FaceDetector) -> Self {
        Self { detector }
    }

    /// Loads BlazeFace from the verified model cache.
    pub fn load(
        runtime: &crate::models::runtime::Runtime,
        cache: &crate::models::ModelCache,
        manifest: &crate::models::Manifest,
        intra_threads: usize,
    ) -> Result<Self, VisionError> {
        Ok(Self::new(FaceDetector::load(
            runtime,
            cache,
            manifest,
            intra_threads,
        )?))
    }

    /// The visual context of one frame.
    pub fn context(&mut self, frame: &Frame) -> Result<VisualContext, VisionError> {
        Ok(self.analyze(frame)?.context)
    }

    /// The faces, their pose and the context of one frame.
    pub fn analyze(&mut self, frame: &Frame) -> Result<Analysis, VisionError> {
        let detection = self.detector.detect(frame)?;
        let mut faces: Vec<FaceReport> = detection
            .faces
            .into_iter()
            .filter(|f| f.score >= face::MIN_FACE_SCORE)
            .map(|face| FaceReport {
                pose: pose::estimate(&face),
                face,
            })
            .collect();
        faces.sort_by(|a, b| b.face.area().total_cmp(&a.face.area()));
        let context = match faces.first() {
            Some(user) => VisualContext {
                t_ms: frame.t_ms,
                present: true,
                faces: faces.len() as u32,
                facing: user.pose.facing,
                yaw_deg: Some(user.pose.yaw_deg),
                confidence: user.face.score,
            },
            None => VisualContext {
                confidence: 1.0 - detection.best_score,
                ..VisualContext::nobody(frame.t_ms)
            },
        };
        Ok(Analysis {
            context,
            faces,
            best_score: detection.best_score,
        })
    }
}
