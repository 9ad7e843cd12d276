//! Images: reading PNG/JPEG files into frames, and the filtered rescaling the models' inputs
//! need (letterboxed for the face detector, stretched to a grid for the text detector).

use std::path::Path;

use super::{Frame, VisionError};

/// File extensions read as images (case-insensitive).
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg"];

/// Whether a path names an image this module reads, by its extension.
pub fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Reads a PNG or JPEG file as an RGB frame (grey and RGBA images are converted).
pub fn load(path: &Path, t_ms: u64) -> Result<Frame, VisionError> {
    let bad = |message: String| VisionError::Image {
        path: path.to_owned(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let img = ::image::load_from_memory(&bytes).map_err(|e| bad(e.to_string()))?;
    let rgb = img.to_rgb8();
    let (width, height) = rgb.dimensions();
    Frame::new(t_ms, width, height, rgb.into_raw())
}

/// Where the frame sits inside the square model input: model coordinates (0-1 across the
/// square) map back to frame pixels as `x = u * side - offset_x`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Letterbox {
    /// Side of the square canvas, in frame pixels (the frame's longer side).
    pub side: f32,
    pub offset_x: f32,
    pub offset_y: f32,
}

impl Letterbox {
    /// A point in model coordinates (0-1) as frame pixels.
    pub fn to_frame(&self, u: f32, v: f32) -> [f32; 2] {
        [u * self.side - self.offset_x, v * self.side - self.offset_y]
    }
}

/// Taps of a separable resampling filter: for each output index, (first input index, weights).
#[derive(Debug, Default)]
struct Taps {
    start: Vec<usize>,
    weights: Vec<Vec<f32>>,
}

/// Triangle (bilinear) filter widened by the downscale factor, so that every input pixel
/// contributes (no aliasing), over a canvas of `canvas` pixels of which `[lo, hi)` hold the
/// image; weights are normalized over the whole canvas (outside is black).
fn taps(canvas: usize, out: usize, lo: usize, hi: usize) -> Taps {
    let scale = canvas as f32 / out as f32;
    let fs = scale.max(1.0);
    let support = fs;
    let mut t = Taps::default();
    for o in 0..out {
        let center = (o as f32 + 0.5) * scale;
        let first = ((center - support).floor().max(0.0)) as usize;
        let last = ((center + support).ceil() as usize).min(canvas);
        let mut w: Vec<f32> = (first..last)
            .map(|i| (1.0 - ((i as f32 - center + 0.5) / fs).abs()).max(0.0))
            .collect();
        let total: f32 = w.iter().sum();
        if total > 0.0 {
            w.iter_mut().for_each(|x| *x /= total);
        }
        // Keep only the taps on the image (the rest multiply black).
        let a = first.max(lo);
        let b = last.min(hi);
        if a < b {
            t.start.push(a - lo);
            t.weights.push(w[a - first..b - first].to_vec());
        } else {
            t.start.push(0);
            t.weights.push(Vec::new());
        }
    }
    t
}

/// Scales `frame` into a `size` x `size` RGB tensor (NHWC, values in [-1, 1]), centred with
/// black bars on the short side, and returns where the frame landed. `tmp` is scratch space
/// reused between calls; `out` is resized to `size * size * 3`.
pub fn letterbox(frame: &Frame, size: usize, out: &mut Vec<f32>, tmp: &mut Vec<f32>) -> Letterbox {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let side = w.max(h);
    let (ox, oy) = ((side - w) / 2, (side - h) / 2);
    let horiz = taps(side, size, ox, ox + w);
    let vert = taps(side, size, oy, oy + h);
    resample(frame, &horiz, &vert, size, size, out, tmp);
    Letterbox {
        side: side as f32,
        offset_x: ox as f32,
        offset_y: oy as f32,
    }
}

/// Scales the whole frame to `out_width` x `out_height` (the aspect ratio may change) as an
/// RGB tensor (NHWC, values in [-1, 1]), with the same filter as [`letterbox`]. `out` is
/// resized to `out_width * out_height * 3`.
pub fn resize(
    frame: &Frame,
    out_width: usize,
    out_height: usize,
    out: &mut Vec<f32>,
    tmp: &mut Vec<f32>,
) {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let horiz = taps(w, out_width, 0, w);
    let vert = taps(h, out_height, 0, h);
    resample(frame, &horiz, &vert, out_width, out_height, out, tmp);
}

/// The separable resampling pass shared by [`letterbox`] and [`resize`]: horizontal taps
/// over each frame row, then vertical taps, then to [-1, 1].
fn resample(
    frame: &Frame,
    horiz: &Taps,
    vert: &Taps,
    out_w: usize,
    out_h: usize,
    out: &mut Vec<f32>,
    tmp: &mut Vec<f32>,
) {
    let (w, h) = (frame.width as usize, frame.height as usize);
    // Horizontal pass: each image row -> `out_w` columns.
    tmp.clear();
    tmp.resize(h * out_w * 3, 0.0);
    for y in 0..h {
        let row = &frame.rgb[y * w * 3..(y + 1) * w * 3];
        let dst = &mut tmp[y * out_w * 3..(y + 1) * out_w * 3];
        for (o, (start, weights)) in horiz.start.iter().zip(&horiz.weights).enumerate() {
            let mut acc = [0.0f32; 3];
            for (k, wt) in weights.iter().enumerate() {
                let p = (start + k) * 3;
                acc[0] += wt * f32::from(row[p]);
                acc[1] += wt * f32::from(row[p + 1]);
                acc[2] += wt * f32::from(row[p + 2]);
            }
            dst[o * 3..o * 3 + 3].copy_from_slice(&acc);
        }
    }
    // Vertical pass, then to [-1, 1].
    out.clear();
    out.resize(out_w * out_h * 3, 0.0);
    for (o, (start, weights)) in vert.start.iter().zip(&vert.weights).enumerate() {
        let dst = &mut out[o * out_w * 3..(o + 1) * out_w * 3];
        for (k, wt) in weights.iter().enumerate() {
            let src = &tmp[(start + k) * out_w * 3..(start + k + 1) * out_w * 3];
            for (d, s) in dst.iter_mut().zip(src) {
                *d += wt * s;
            }
        }
        for d in dst.iter_mut() {
            *d = *d / 127.5 - 1.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(width: u32, height: u32, value: u8) -> Frame {
        Frame::new(0, width, height, vec![value; (width * height * 3) as usize]).unwrap()
    }

    #[test]
    fn a_flat_image_stays_flat_and_the_bars_are_black() {
        let frame = flat(64, 32, 255);
        let (mut out, mut tmp) = (Vec::new(), Vec::new());
        let lb = letterbox(&frame, 16, &mut out, &mut tmp);
        assert_eq!(out.len(), 16 * 16 * 3);
        assert_eq!(lb.offset_y, 16.0);
        // Rows 0-3 are bar (the image covers rows 4-11 of 16), the middle rows are image.
        let px = |x: usize, y: usize| out[(y * 16 + x) * 3];
        assert!((px(8, 0) + 1.0).abs() < 1e-5, "bar: {}", px(8, 0));
        assert!((px(8, 8) - 1.0).abs() < 1e-5, "image: {}", px(8, 8));
        assert_eq!(lb.to_frame(0.5, 0.5), [32.0, 16.0]);
    }

    #[test]
    fn downscaling_averages_fine_detail_instead_of_aliasing() {
        // One-pixel black/white columns: a 4x downscale must come out mid-grey everywhere.
        let (w, h) = (64u32, 64u32);
        let mut rgb = Vec::new();
        for _y in 0..h {
            for x in 0..w {
                let v = if x % 2 == 0 { 255 } else { 0 };
                rgb.extend_from_slice(&[v, v, v]);
            }
        }
        let frame = Frame::new(0, w, h, rgb).unwrap();
        let (mut out, mut tmp) = (Vec::new(), Vec::new());
        letterbox(&frame, 16, &mut out, &mut tmp);
        for y in 2..14 {
            for x in 2..14 {
                let v = out[(y * 16 + x) * 3];
                assert!(v.abs() < 0.05, "({x},{y}) = {v}");
            }
        }
    }

    #[test]
    fn resize_stretches_to_any_size_and_keeps_left_and_right_apart() {
        // Left half black, right half white, scaled up 2x in width and down in height.
        let (w, h) = (8u32, 8u32);
        let mut rgb = Vec::new();
        for _y in 0..h {
            for x in 0..w {
                let v = if x < 4 { 0 } else { 255 };
                rgb.extend_from_slice(&[v, v, v]);
            }
        }
        let frame = Frame::new(0, w, h, rgb).unwrap();
        let (mut out, mut tmp) = (Vec::new(), Vec::new());
        resize(&frame, 16, 4, &mut out, &mut tmp);
        assert_eq!(out.len(), 16 * 4 * 3);
        let px = |x: usize, y: usize| out[(y * 16 + x) * 3];
        for y in 0..4 {
            assert!((px(0, y) + 1.0).abs() < 1e-5, "left edge {}", px(0, y));
            assert!((px(15, y) - 1.0).abs() < 1e-5, "right edge {}", px(15, y));
            assert!(px(6, y) < px(9, y), "the edge stays in the middle");
        }
    }

    #[test]
    fn a_corrupt_file_names_the_file_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("broken.png");
        std::fs::write(&p, b"\x89PNG\r\n\x1a\nnot really").unwrap();
        let e = load(&p, 0).unwrap_err().to_string();
        assert!(e.contains("broken.png") && e.contains("PNG or JPEG"), "{e}");
    }
}
