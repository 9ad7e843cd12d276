//! Sources that stand in for a camera: image files and generated frames.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::camera::CameraSource;
use super::{Frame, VisionError, image};

/// An image file, or every PNG/JPEG in a directory (in name order), one frame each, stamped
/// `period_ms` apart.
#[derive(Debug)]
pub struct FileSource {
    name: String,
    paths: Vec<PathBuf>,
    next: usize,
    period_ms: u64,
}

impl FileSource {
    pub fn open(path: &Path, period_ms: u64) -> Result<Self, VisionError> {
        let meta = std::fs::metadata(path).map_err(|e| VisionError::Image {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let paths = if meta.is_dir() {
            let mut paths: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|source| VisionError::Io {
                    path: path.to_owned(),
                    source,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && image::is_image(p))
                .collect();
            paths.sort();
            if paths.is_empty() {
                return Err(VisionError::EmptyDirectory(path.to_owned()));
            }
            paths
        } else {
            vec![path.to_owned()]
        };
        Ok(Self {
            name: path.display().to_string(),
            paths,
            next: 0,
            period_ms,
        })
    }

    /// The files this source will read, in order.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }
}

impl CameraSource for FileSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn next_frame(&mut self) -> Result<Option<Frame>, VisionError> {
        let Some(path) = self.paths.get(self.next) else {
            return Ok(None);
        };
        let t_ms = self.next as u64 * self.period_ms;
        self.next += 1;
        image::load(path, t_ms).map(Some)
    }
}

/// Frames made in memory: given frames in a loop, or a flat grey frame, at `fps`. With
/// `realtime` it sleeps between frames like a camera; otherwise it returns at once.
#[derive(Debug)]
pub struct SyntheticSource {
    frames: Vec<Frame>,
    period: Duration,
    remaining: Option<usize>,
    realtime: bool,
    sent: u64,
    started: Option<Instant>,
}

impl SyntheticSource {
    /// Cycles through `frames` (at least one), `count` frames in all (`None`: forever).
    pub fn new(frames: Vec<Frame>, fps: u32, count: Option<usize>, realtime: bool) -> Self {
        assert!(!frames.is_empty(), "a synthetic source needs a frame");
        Self {
            frames,
            period: Duration::from_millis(1000 / u64::from(fps.max(1))),
            remaining: count,
            realtime,
            sent: 0,
            started: None,
        }
    }

    /// A uniform grey `width` x `height` picture: an empty scene.
    pub fn grey(width: u32, height: u32, fps: u32, count: Option<usize>) -> Self {
        let frame = Frame::new(0, width, height, vec![128; (width * height * 3) as usize])
            .expect("the size matches");
        Self::new(vec![frame], fps, count, false)
    }
}

impl CameraSource for SyntheticSource {
    fn name(&self) -> &str {
        "synthetic"
    }

    fn next_frame(&mut self) -> Result<Option<Frame>, VisionError> {
        if let Some(n) = self.remaining.as_mut() {
            if *n == 0 {
                return Ok(None);
            }
            *n -= 1;
        }
        let t = self.period * self.sent as u32;
        if self.realtime {
            let started = *self.started.get_or_insert_with(Instant::now);
            if let Some(wait) = t.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        let mut frame = self.frames[self.sent as usize % self.frames.len()].clone();
        frame.t_ms = t.as_millis() as u64;
        self.sent += 1;
        Ok(Some(frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_is_read_in_name_order_and_an_empty_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = FileSource::open(dir.path(), 250).unwrap_err().to_string();
        assert!(e.contains("no PNG or JPEG"), "{e}");
        for (name, w) in [("b.png", 3u32), ("a.png", 2)] {
            ::image::RgbImage::new(w, 2)
                .save(dir.path().join(name))
                .unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), "not an image").unwrap();
        let mut src = FileSource::open(dir.path(), 250).unwrap();
        let a = src.next_frame().unwrap().unwrap();
        let b = src.next_frame().unwrap().unwrap();
        assert_eq!((a.width, a.t_ms, b.width, b.t_ms), (2, 0, 3, 250));
        assert!(src.next_frame().unwrap().is_none());
    }

    #[test]
    fn a_missing_file_is_named() {
        let e = FileSource::open(Path::new("/nonexistent/face.png"), 250)
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/face.png"), "{e}");
    }

    #[test]
    fn synthetic_frames_are_stamped_at_the_frame_rate_and_end_after_count() {
        let mut src = SyntheticSource::grey(8, 6, 4, Some(3));
        let t: Vec<u64> = std::iter::from_fn(|| src.next_frame().unwrap())
            .map(|f| f.t_ms)
            .collect();
        assert_eq!(t, [0, 250, 500]);
    }
}
