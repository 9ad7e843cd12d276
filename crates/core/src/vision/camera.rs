//! Frame sources, and real cameras through nokhwa (V4L2 on Linux; feature `camera`).

use super::{Frame, VisionError};

/// Where frames come from: a camera, image files, or generated frames.
pub trait CameraSource {
    /// What to call the source in messages (the camera's name, the file).
    fn name(&self) -> &str;
    /// The next frame, waiting as long as the source paces itself (a camera at the requested
    /// rate); `None` when the source has no more frames.
    fn next_frame(&mut self) -> Result<Option<Frame>, VisionError>;
}

/// How to open a camera. Low resolution on purpose: the face detector sees 128x128, and a
/// few frames per second are enough to tell whether the user is there and facing us.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraSettings {
    /// Camera by name (exact, or a unique part of it); the first camera when `None`.
    pub device: Option<String>,
    pub width: u32,
    pub height: u32,
    /// Frames handed out per second (2-5 is plenty); frames in between are read and dropped
    /// so that the ones handed out are fresh.
    pub fps: u32,
}

impl Default for CameraSettings {
    fn default() -> Self {
        Self {
            device: None,
            width: 320,
            height: 240,
            fps: 4,
        }
    }
}

/// What to do when there is no camera.
pub const NO_CAMERA_FIX: &str = "connect a camera (and check that this user may open /dev/video*: \
     the `video` group), or leave the camera off (camera.enabled = false); everything else works without it";

/// Names of the cameras this machine offers; an error says why none could be listed.
#[cfg(feature = "camera")]
pub fn list() -> Result<Vec<String>, String> {
    nokhwa::query(nokhwa::utils::ApiBackend::Auto)
        .map(|cams| cams.iter().map(|c| c.human_name()).collect())
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "camera"))]
pub fn list() -> Result<Vec<String>, String> {
    Err("this build has no camera support (feature `camera` off)".into())
}

/// Opens a camera; the device stays open until the source is dropped.
#[cfg(feature = "camera")]
pub fn open(settings: &CameraSettings) -> Result<Box<dyn CameraSource>, VisionError> {
    Ok(Box::new(native::NokhwaCamera::open(settings)?))
}

#[cfg(not(feature = "camera"))]
pub fn open(_settings: &CameraSettings) -> Result<Box<dyn CameraSource>, VisionError> {
    Err(VisionError::NoCamera(
        "this build has no camera support (built without the `camera` feature); rebuild with the \
         default features (needs libclang-dev), or leave the camera off"
            .into(),
    ))
}

/// Picks a camera by name: an exact match, else the only one whose name contains `wanted`.
pub fn choose(names: &[String], wanted: Option<&str>) -> Result<usize, VisionError> {
    if names.is_empty() {
        return Err(VisionError::NoCamera(format!(
            "no camera found.\n  fix: {NO_CAMERA_FIX}"
        )));
    }
    let Some(wanted) = wanted else {
        return Ok(0);
    };
    if let Some(i) = names.iter().position(|n| n == wanted) {
        return Ok(i);
    }
    let low = wanted.to_lowercase();
    let hits: Vec<usize> = (0..names.len())
        .filter(|&i| names[i].to_lowercase().contains(&low))
        .collect();
    match hits.as_slice() {
        [i] => Ok(*i),
        _ => Err(VisionError::NoCamera(format!(
            "no single camera matches `{wanted}`; cameras here: {}.\n  fix: pass one of these names with --device (or set camera.device)",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

#[cfg(feature = "camera")]
mod native {
    use std::time::{Duration, Instant};

    use nokhwa::Camera;
    use nokhwa::pixel_format::RgbFormat;
    use nokhwa::utils::{
        ApiBackend, CameraFormat, FrameFormat, RequestedFormat, RequestedFormatType, Resolution,
    };

    use super::{CameraSettings, CameraSource, choose};
    use crate::vision::{Frame, VisionError};

    /// A camera held open; dropping it stops the stream and closes the device.
    pub struct NokhwaCamera {
        camera: Camera,
        name: String,
        opened: Instant,
        period: Duration,
        next_due: Duration,
    }

    impl std::fmt::Debug for NokhwaCamera {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("NokhwaCamera")
                .field("name", &self.name)
                .field("period", &self.period)
                .finish_non_exhaustive()
        }
    }

    impl NokhwaCamera {
        pub fn open(s: &CameraSettings) -> Result<Self, VisionError> {
            let cams = nokhwa::query(ApiBackend::Auto).map_err(|e| {
                VisionError::NoCamera(format!(
                    "cannot list cameras: {e}\n  fix: {}",
                    super::NO_CAMERA_FIX
                ))
            })?;
            let names: Vec<String> = cams.iter().map(|c| c.human_name()).collect();
            let i = choose(&names, s.device.as_deref())?;
            let name = names[i].clone();
            let failed = |message: String| VisionError::Camera {
                device: name.clone(),
                message,
            };
            let fps = s.fps.clamp(1, 30);
            let wanted = CameraFormat::new(
                Resolution::new(s.width, s.height),
                FrameFormat::MJPEG,
                fps.max(5),
            );
            let format = RequestedFormat::new::<RgbFormat>(RequestedFormatType::Closest(wanted));
            let mut camera = Camera::new(cams[i].index().clone(), format)
                .map_err(|e| failed(format!("cannot open it: {e}")))?;
            camera
                .open_stream()
                .map_err(|e| failed(format!("cannot start streaming: {e}")))?;
            tracing::info!(camera = %name, format = %camera.camera_format(), fps, "camera open");
            Ok(Self {
                camera,
                name,
                opened: Instant::now(),
                period: Duration::from_millis(1000 / u64::from(fps)),
                next_due: Duration::ZERO,
            })
        }
    }

    impl CameraSource for NokhwaCamera {
        fn name(&self) -> &str {
            &self.name
        }

        fn next_frame(&mut self) -> Result<Option<Frame>, VisionError> {
            loop {
                let buffer = self.camera.frame().map_err(|e| VisionError::Camera {
                    device: self.name.clone(),
                    message: format!("lost the stream: {e}"),
                })?;
                let now = self.opened.elapsed();
                if now < self.next_due {
                    continue; // Read and dropped: the next one handed out is fresh.
                }
                self.next_due = now + self.period;
                let image =
                    buffer
                        .decode_image::<RgbFormat>()
                        .map_err(|e| VisionError::Camera {
                            device: self.name.clone(),
                            message: format!("cannot decode a frame: {e}"),
                        })?;
                let (w, h) = image.dimensions();
                return Frame::new(now.as_millis() as u64, w, h, image.into_raw()).map(Some);
            }
        }
    }

    impl Drop for NokhwaCamera {
        fn drop(&mut self) {
            if let Err(e) = self.camera.stop_stream() {
                tracing::warn!(camera = %self.name, "stopping the camera: {e}");
            }
            tracing::info!(camera = %self.name, "camera closed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cameras_are_chosen_by_exact_name_or_a_unique_part() {
        let names = vec!["Integrated Camera".to_owned(), "USB Camera HD".to_owned()];
        assert_eq!(choose(&names, None).unwrap(), 0);
        assert_eq!(choose(&names, Some("USB Camera HD")).unwrap(), 1);
        assert_eq!(choose(&names, Some("usb")).unwrap(), 1);
        let e = choose(&names, Some("camera")).unwrap_err().to_string();
        assert!(
            e.contains("`Integrated Camera`") && e.contains("--device"),
            "{e}"
        );
        let e = choose(&[], None).unwrap_err().to_string();
        assert!(
            e.contains("no camera found") && e.contains("camera.enabled"),
            "{e}"
        );
    }
}
