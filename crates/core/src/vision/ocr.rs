//! Reading text ("read this"): PP-OCRv4 text detection and recognition through ONNX Runtime.
//!
//! Too slow for every frame (about a second on a laptop core), so it runs on demand, on the
//! latest camera frame or an image file.
//!
//! * **Detection** (`ch_PP-OCRv4_det_infer.onnx`, a DB network): the frame, scaled so its
//!   longer side is [`DET_MAX_SIDE`] (small images are enlarged at most [`DET_MAX_UPSCALE`]
//!   times) with both sides multiples of 32, as BGR NCHW `x` normalized with mean and std 0.5,
//!   gives a text probability map of the same size. Pixels above [`BINARY_THRESHOLD`] are
//!   grouped into 8-connected regions; each region's orientation and extent come from its
//!   second moments (a rotated rectangle), regions whose mean probability is below
//!   [`BOX_THRESHOLD`] or that are thinner than 3 pixels are dropped, and the rest are grown
//!   by the DB "unclip" distance `area * UNCLIP_RATIO / perimeter` (the network predicts
//!   shrunk text kernels).
//! * **Recognition** (`ch_PP-OCRv4_rec_infer.onnx`): each rectangle is sampled upright from
//!   the frame at a height of 48 pixels and its own aspect ratio, padded to at least 320
//!   pixels (its training width), one line per run: the network mixes information across the
//!   whole line, so padding a short line to a long one's width in a batch costs it characters
//!   and spaces (measured on the test page). The output `[1, T, C]` is decoded by CTC greedy
//!   decoding: best class per step, repeats merged, blanks (class 0) dropped. Classes 1..=K
//!   are the characters stored in the model's metadata key `character` (one per line), class
//!   K + 1 is a space.
//! * Lines read with a mean character probability below [`MIN_LINE_CONFIDENCE`] are dropped;
//!   the rest are put in reading order: rows top to bottom, left to right within a row.
//!
//! The detection post-processing follows the method of the DB paper (Liao et al., "Real-time
//! Scene Text Detection with Differentiable Binarization", AAAI 2020) as PaddleOCR
//! (Apache-2.0) applies it; see NOTICE.

use ort::value::TensorRef;
use serde::Serialize;

use super::image::resize;
use super::{Frame, VisionError};
use crate::models::runtime::{Model, Runtime};
use crate::models::{Manifest, ModelCache};

/// The detection model in the cache.
pub const DET_MODEL_FILE: &str = "ppocr/ch_PP-OCRv4_det_infer.onnx";
/// The recognition model in the cache.
pub const REC_MODEL_FILE: &str = "ppocr/ch_PP-OCRv4_rec_infer.onnx";
/// Detection input: the longer side is scaled to this (pixels).
pub const DET_MAX_SIDE: usize = 960;
/// Small images are enlarged at most this much for detection (small print is found more
/// reliably enlarged; a 640x480 webcam frame becomes 960x736).
pub const DET_MAX_UPSCALE: f32 = 2.0;
/// Probability above which a pixel of the detection map is text.
pub const BINARY_THRESHOLD: f32 = 0.3;
/// A region is kept when its pixels' mean probability reaches this.
pub const BOX_THRESHOLD: f32 = 0.6;
/// How far shrunk text regions are grown back: distance = area * ratio / perimeter.
pub const UNCLIP_RATIO: f32 = 1.6;
/// Recognized lines below this mean character probability are dropped.
pub const MIN_LINE_CONFIDENCE: f32 = 0.5;
/// Height of the recognizer's input.
pub const REC_HEIGHT: usize = 48;
/// The recognizer's inputs are padded to at least this width (its training width).
const REC_MIN_WIDTH: usize = 320;
/// Crops wider than this (a very long line) are squeezed to it.
const REC_MAX_WIDTH: usize = 48 * 40;
/// Regions thinner than this (detection-map pixels) are noise.
const MIN_REGION_SIDE: f32 = 3.0;

const INPUT_NAME: &str = "x";
const CHARSET_KEY: &str = "character";

/// One line (or word group) of text, in frame pixels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextLine {
    pub text: String,
    /// Mean probability of the recognized characters.
    pub confidence: f32,
    /// Mean text probability of the detected region.
    pub detection_score: f32,
    /// Corners of the (possibly rotated) box: top-left, top-right, bottom-right, bottom-left
    /// as the text reads, (x, y) each.
    pub quad: [[f32; 2]; 4],
    /// The box's tilt in degrees (positive: clockwise in the image).
    pub angle_deg: f32,
}

impl TextLine {
    fn center(&self) -> [f32; 2] {
        let s = self
            .quad
            .iter()
            .fold([0.0, 0.0], |a, p| [a[0] + p[0], a[1] + p[1]]);
        [s[0] / 4.0, s[1] / 4.0]
    }

    fn height(&self) -> f32 {
        dist(self.quad[0], self.quad[3])
    }
}

/// What one frame says: its lines in reading order and the text they make.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reading {
    /// Capture time of the frame that was read, ms.
    pub t_ms: u64,
    /// Rows top to bottom joined by newlines, lines within a row by spaces; empty when the
    /// frame has no legible text.
    pub text: String,
    pub lines: Vec<TextLine>,
}

/// A detected text region, in detection-map pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Region {
    score: f32,
    /// Top-left, top-right, bottom-right, bottom-left.
    quad: [[f32; 2]; 4],
    angle_deg: f32,
}

/// The reader; see the module docs.
#[derive(Debug)]
pub struct Ocr {
    det: Model,
    rec: Model,
    /// Class index -> text: blank, the model's characters, space.
    classes: Vec<String>,
    nhwc: Vec<f32>,
    scratch: Vec<f32>,
    input: Vec<f32>,
}

impl Ocr {
    /// Loads both verified models from the cache, with the configured execution provider.
    pub fn load(
        runtime: &Runtime,
        cache: &ModelCache,
        manifest: &Manifest,
        intra_threads: usize,
    ) -> Result<Self, VisionError> {
        let det_path = cache.verified_path(manifest, DET_MODEL_FILE)?;
        let rec_path = cache.verified_path(manifest, REC_MODEL_FILE)?;
        let det = runtime.load(&det_path, "ocr-det", intra_threads)?;
        let rec = runtime.load(&rec_path, "ocr-rec", intra_threads)?;
        Self::from_models(det, rec)
    }

    /// Wraps loaded sessions after checking their inputs and reading the character set.
    pub fn from_models(det: Model, rec: Model) -> Result<Self, VisionError> {
        for (model, file) in [(&det, DET_MODEL_FILE), (&rec, REC_MODEL_FILE)] {
            let inputs: Vec<&str> = model.session.inputs().iter().map(|o| o.name()).collect();
            if inputs != [INPUT_NAME] || model.session.outputs().len() != 1 {
                return Err(VisionError::Signature {
                    file: file.to_owned(),
                    message: format!(
                        "inputs {inputs:?} and {} outputs, expected [{INPUT_NAME:?}] and one",
                        model.session.outputs().len()
                    ),
                });
            }
        }
        let charset = rec
            .session
            .metadata()
            .ok()
            .and_then(|m| m.custom(CHARSET_KEY))
            .filter(|c| !c.is_empty())
            .ok_or_else(|| VisionError::Signature {
                file: REC_MODEL_FILE.to_owned(),
                message: format!("no character set in the metadata key `{CHARSET_KEY}`"),
            })?;
        let mut classes = vec![String::new()];
        classes.extend(charset.lines().map(str::to_owned));
        classes.push(" ".to_owned());
        Ok(Self {
            det,
            rec,
            classes,
            nhwc: Vec::new(),
            scratch: Vec::new(),
            input: Vec::new(),
        })
    }

    /// How many characters the recognizer knows (without blank and space).
    pub fn charset_len(&self) -> usize {
        self.classes.len() - 2
    }

    /// Reads the text in one frame.
    pub fn read(&mut self, frame: &Frame) -> Result<Reading, VisionError> {
        let (map, map_w, map_h) = self.detect(frame)?;
        let regions = regions(&map, map_w, map_h);
        let (sx, sy) = (
            frame.width as f32 / map_w as f32,
            frame.height as f32 / map_h as f32,
        );
        let in_frame = |[x, y]: [f32; 2]| {
            [
                (x * sx).clamp(0.0, frame.width as f32),
                (y * sy).clamp(0.0, frame.height as f32),
            ]
        };
        let boxes: Vec<Region> = regions
            .into_iter()
            .map(|r| Region {
                quad: r.quad.map(in_frame),
                ..r
            })
            .filter(|r| dist(r.quad[0], r.quad[1]) >= 2.0 && dist(r.quad[0], r.quad[3]) >= 2.0)
            .collect();
        let texts = self.recognize(frame, &boxes)?;
        let lines: Vec<TextLine> = boxes
            .iter()
            .zip(texts)
            .filter(|(_, (text, confidence))| {
                !text.is_empty() && *confidence >= MIN_LINE_CONFIDENCE
            })
            .map(|(r, (text, confidence))| TextLine {
                text,
                confidence,
                detection_score: r.score,
                quad: r.quad,
                angle_deg: r.angle_deg,
            })
            .collect();
        let (lines, text) = reading_order(lines);
        Ok(Reading {
            t_ms: frame.t_ms,
            text,
            lines,
        })
    }

    /// Runs the detector; returns the probability map and its size.
    fn detect(&mut self, frame: &Frame) -> Result<(Vec<f32>, usize, usize), VisionError> {
        let (w, h) = (frame.width as usize, frame.height as usize);
        let scale = (DET_MAX_SIDE as f32 / w.max(h) as f32).min(DET_MAX_UPSCALE);
        let grid = |side: usize| (((side as f32 * scale) / 32.0).round() as usize).max(1) * 32;
        let (dw, dh) = (grid(w), grid(h));
        resize(frame, dw, dh, &mut self.nhwc, &mut self.scratch);
        to_bgr_nchw(&self.nhwc, dw * dh, &mut self.input);
        let outputs = self
            .det
            .session
            .run(ort::inputs![TensorRef::from_array_view((
                [1usize, 3, dh, dw],
                self.input.as_slice()
            ))?])?;
        let (_, map) = outputs[0].try_extract_tensor::<f32>()?;
        if map.len() != dw * dh {
            return Err(VisionError::Signature {
                file: DET_MODEL_FILE.to_owned(),
                message: format!(
                    "a {dw}x{dh} input gave {} values, expected a map of the same size",
                    map.len()
                ),
            });
        }
        Ok((map.to_vec(), dw, dh))
    }

    /// Text and confidence for each box (frame pixels), in the boxes' order.
    fn recognize(
        &mut self,
        frame: &Frame,
        boxes: &[Region],
    ) -> Result<Vec<(String, f32)>, VisionError> {
        let mut out = Vec::with_capacity(boxes.len());
        for r in boxes {
            let (len, height) = (dist(r.quad[0], r.quad[1]), dist(r.quad[0], r.quad[3]));
            let crop_w =
                ((REC_HEIGHT as f32 * len / height).ceil() as usize).clamp(8, REC_MAX_WIDTH);
            let width = crop_w.max(REC_MIN_WIDTH);
            self.input.clear();
            self.input.resize(3 * REC_HEIGHT * width, 0.0);
            sample_upright(frame, &r.quad, crop_w, width, &mut self.input);
            let outputs = self
                .rec
                .session
                .run(ort::inputs![TensorRef::from_array_view((
                    [1usize, 3, REC_HEIGHT, width],
                    self.input.as_slice()
                ))?])?;
            let (shape, probs) = outputs[0].try_extract_tensor::<f32>()?;
            let n_classes = shape.last().copied().unwrap_or(0) as usize;
            if shape.len() != 3 || shape[0] != 1 || n_classes != self.classes.len() {
                return Err(VisionError::Signature {
                    file: REC_MODEL_FILE.to_owned(),
                    message: format!(
                        "output shape {:?}, expected [1, steps, {}] (the metadata's {} \
                         characters, blank and space)",
                        &**shape,
                        self.classes.len(),
                        self.classes.len() - 2
                    ),
                });
            }
            out.push(ctc_greedy(probs, n_classes, &self.classes));
        }
        Ok(out)
    }
}

/// NHWC RGB -> NCHW BGR (the PaddleOCR models were trained on OpenCV's BGR order).
fn to_bgr_nchw(nhwc: &[f32], pixels: usize, out: &mut Vec<f32>) {
    out.clear();
    out.resize(3 * pixels, 0.0);
    for (p, px) in nhwc.chunks_exact(3).enumerate() {
        out[p] = px[2];
        out[pixels + p] = px[1];
        out[2 * pixels + p] = px[0];
    }
}

fn dist(a: [f32; 2], b: [f32; 2]) -> f32 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// Text regions in a probability map: 8-connected pixels above [`BINARY_THRESHOLD`], each
/// fitted with a rotated rectangle from its second moments and grown by the unclip distance.
fn regions(map: &[f32], w: usize, h: usize) -> Vec<Region> {
    let mut seen = vec![false; w * h];
    let mut stack = Vec::new();
    let mut pixels: Vec<(usize, usize)> = Vec::new();
    let mut out = Vec::new();
    for start in 0..w * h {
        if seen[start] || map[start] <= BINARY_THRESHOLD {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        pixels.clear();
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            pixels.push((x, y));
            for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                    let j = ny * w + nx;
                    if !seen[j] && map[j] > BINARY_THRESHOLD {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        if let Some(r) = fit(&pixels, map, w) {
            out.push(r);
        }
    }
    out
}

/// The rotated rectangle around one region's pixels, grown by the unclip distance, or `None`
/// for noise (too thin, or too unsure).
fn fit(pixels: &[(usize, usize)], map: &[f32], w: usize) -> Option<Region> {
    let n = pixels.len() as f32;
    let score = pixels.iter().map(|&(x, y)| map[y * w + x]).sum::<f32>() / n;
    if score < BOX_THRESHOLD {
        return None;
    }
    // Pixel centres.
    let (mut cx, mut cy) = (0.0f32, 0.0f32);
    for &(x, y) in pixels {
        cx += x as f32 + 0.5;
        cy += y as f32 + 0.5;
    }
    let (cx, cy) = (cx / n, cy / n);
    let (mut sxx, mut syy, mut sxy) = (0.0f32, 0.0f32, 0.0f32);
    for &(x, y) in pixels {
        let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    // The major axis; text tilted more than 45 degrees (or a single tall glyph) is taken as
    // level, so a crop is never turned on its side.
    let mut angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    if angle.abs() > std::f32::consts::FRAC_PI_4 {
        angle = 0.0;
    }
    let (u, v) = ([angle.cos(), angle.sin()], [-angle.sin(), angle.cos()]);
    let (mut u0, mut u1, mut v0, mut v1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for &(x, y) in pixels {
        let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
        let (pu, pv) = (dx * u[0] + dy * u[1], dx * v[0] + dy * v[1]);
        u0 = u0.min(pu);
        u1 = u1.max(pu);
        v0 = v0.min(pv);
        v1 = v1.max(pv);
    }
    // Pixels are unit squares: the extent reaches half a pixel past the outer centres.
    let (len, height) = (u1 - u0 + 1.0, v1 - v0 + 1.0);
    if len.min(height) < MIN_REGION_SIDE {
        return None;
    }
    let d = len * height * UNCLIP_RATIO / (2.0 * (len + height));
    let (u0, u1, v0, v1) = (u0 - 0.5 - d, u1 + 0.5 + d, v0 - 0.5 - d, v1 + 0.5 + d);
    let corner = |a: f32, b: f32| [cx + a * u[0] + b * v[0], cy + a * u[1] + b * v[1]];
    Some(Region {
        score,
        quad: [
            corner(u0, v0),
            corner(u1, v0),
            corner(u1, v1),
            corner(u0, v1),
        ],
        angle_deg: angle.to_degrees(),
    })
}

/// Samples the quad upright into a `REC_HEIGHT` x `crop_w` BGR NCHW crop (values in [-1, 1])
/// at the left of a `padded_w` wide plane (the rest stays 0, as PaddleOCR pads). Each output
/// pixel averages a small grid of bilinear samples when the quad is larger than the crop, so
/// big text is not aliased.
fn sample_upright(
    frame: &Frame,
    quad: &[[f32; 2]; 4],
    crop_w: usize,
    padded_w: usize,
    out: &mut [f32],
) {
    let [tl, tr, _, bl] = *quad;
    let across = [tr[0] - tl[0], tr[1] - tl[1]];
    let down = [bl[0] - tl[0], bl[1] - tl[1]];
    let sub_x = ((dist(tl, tr) / crop_w as f32).ceil() as usize).clamp(1, 4);
    let sub_y = ((dist(tl, bl) / REC_HEIGHT as f32).ceil() as usize).clamp(1, 4);
    let plane = REC_HEIGHT * padded_w;
    for row in 0..REC_HEIGHT {
        for col in 0..crop_w {
            let mut acc = [0.0f32; 3];
            for sy in 0..sub_y {
                let fy = (row as f32 + (sy as f32 + 0.5) / sub_y as f32) / REC_HEIGHT as f32;
                for sx in 0..sub_x {
                    let fx = (col as f32 + (sx as f32 + 0.5) / sub_x as f32) / crop_w as f32;
                    let x = tl[0] + fx * across[0] + fy * down[0];
                    let y = tl[1] + fx * across[1] + fy * down[1];
                    let px = bilinear(frame, x, y);
                    acc.iter_mut().zip(px).for_each(|(a, p)| *a += p);
                }
            }
            let k = (sub_x * sub_y) as f32;
            let at = row * padded_w + col;
            // BGR planes, as the detector's input.
            out[at] = acc[2] / k / 127.5 - 1.0;
            out[plane + at] = acc[1] / k / 127.5 - 1.0;
            out[2 * plane + at] = acc[0] / k / 127.5 - 1.0;
        }
    }
}

/// The frame's RGB at a point (pixel centres at +0.5), edges clamped.
fn bilinear(frame: &Frame, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let x = (x - 0.5).clamp(0.0, (w - 1) as f32);
    let y = (y - 0.5).clamp(0.0, (h - 1) as f32);
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let px = |x: usize, y: usize, c: usize| f32::from(frame.rgb[(y * w + x) * 3 + c]);
    let mut out = [0.0f32; 3];
    for (c, o) in out.iter_mut().enumerate() {
        let top = px(x0, y0, c) * (1.0 - fx) + px(x1, y0, c) * fx;
        let bottom = px(x0, y1, c) * (1.0 - fx) + px(x1, y1, c) * fx;
        *o = top * (1.0 - fy) + bottom * fy;
    }
    out
}

/// CTC greedy decoding of one `[steps, n_classes]` probability matrix: the best class per
/// step, repeats merged, blanks (class 0) dropped. Returns the trimmed text and the mean
/// probability of the characters kept (0 when none).
fn ctc_greedy(probs: &[f32], n_classes: usize, classes: &[String]) -> (String, f32) {
    let mut text = String::new();
    let (mut sum, mut kept) = (0.0f32, 0usize);
    let mut prev = 0usize;
    for step in probs.chunks_exact(n_classes) {
        let (best, p) = step
            .iter()
            .enumerate()
            .fold((0, f32::MIN), |b, (i, &p)| if p > b.1 { (i, p) } else { b });
        if best != 0 && best != prev {
            text.push_str(&classes[best]);
            sum += p;
            kept += 1;
        }
        prev = best;
    }
    let text = text.trim().to_owned();
    let confidence = if kept == 0 { 0.0 } else { sum / kept as f32 };
    (text, confidence)
}

/// Rows top to bottom (lines whose centres lie within half a line height of the row's), left
/// to right within a row; the text joins rows with newlines and lines with spaces.
fn reading_order(mut lines: Vec<TextLine>) -> (Vec<TextLine>, String) {
    lines.sort_by(|a, b| a.center()[1].total_cmp(&b.center()[1]));
    let mut rows: Vec<Vec<TextLine>> = Vec::new();
    for line in lines {
        let joins = rows.last().is_some_and(|row| {
            let cy = row.iter().map(|l| l.center()[1]).sum::<f32>() / row.len() as f32;
            let h = row
                .iter()
                .map(TextLine::height)
                .fold(line.height(), f32::min);
            (line.center()[1] - cy).abs() <= h / 2.0
        });
        match rows.last_mut() {
            Some(row) if joins => row.push(line),
            _ => rows.push(vec![line]),
        }
    }
    let mut text = Vec::new();
    let mut ordered = Vec::new();
    for mut row in rows {
        row.sort_by(|a, b| a.center()[0].total_cmp(&b.center()[0]));
        text.push(
            row.iter()
                .map(|l| l.text.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        );
        ordered.extend(row);
    }
    (ordered, text.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes() -> Vec<String> {
        ["", "a", "b", " "].iter().map(|s| s.to_string()).collect()
    }

    /// One-hot-ish rows: the given class at 0.9.
    fn steps(best: &[usize]) -> Vec<f32> {
        let mut out = Vec::new();
        for &b in best {
            let mut row = vec![0.1 / 3.0; 4];
            row[b] = 0.9;
            out.extend(row);
        }
        out
    }

    #[test]
    fn ctc_merges_repeats_drops_blanks_and_keeps_doubled_letters_split_by_a_blank() {
        let (text, conf) = ctc_greedy(&steps(&[0, 1, 1, 0, 1, 2, 2, 3, 1, 0]), 4, &classes());
        assert_eq!(text, "aab a");
        assert!((conf - 0.9).abs() < 1e-6, "{conf}");
        let (text, conf) = ctc_greedy(&steps(&[0, 0, 3, 0]), 4, &classes());
        assert_eq!((text.as_str(), conf), ("", 0.9), "a lone space trims away");
        assert_eq!(
            ctc_greedy(&steps(&[0, 0]), 4, &classes()),
            (String::new(), 0.0)
        );
    }

    /// A probability map with filled rectangles (x0, y0, x1, y1) at 0.9.
    fn map_with(w: usize, h: usize, rects: &[(usize, usize, usize, usize)]) -> Vec<f32> {
        let mut m = vec![0.0; w * h];
        for &(x0, y0, x1, y1) in rects {
            for y in y0..y1 {
                for x in x0..x1 {
                    m[y * w + x] = 0.9;
                }
            }
        }
        m
    }

    #[test]
    fn regions_are_separate_rectangles_grown_by_the_unclip_distance_and_specks_are_dropped() {
        let map = map_with(64, 32, &[(4, 4, 44, 10), (4, 20, 24, 26), (50, 20, 52, 22)]);
        let mut found = regions(&map, 64, 32);
        found.sort_by(|a, b| a.quad[0][1].total_cmp(&b.quad[0][1]));
        assert_eq!(found.len(), 2, "{found:?}");
        let r = &found[0];
        // 40 x 6 grows by 40 * 6 * 1.6 / 92 on each side.
        let d = 40.0 * 6.0 * UNCLIP_RATIO / 92.0;
        assert!(r.angle_deg.abs() < 1e-3);
        assert!((r.quad[0][0] - (4.0 - d)).abs() < 1e-3, "{:?}", r.quad);
        assert!((r.quad[2][0] - (44.0 + d)).abs() < 1e-3, "{:?}", r.quad);
        assert!((r.quad[2][1] - (10.0 + d)).abs() < 1e-3, "{:?}", r.quad);
        assert!((r.score - 0.9).abs() < 1e-4, "{}", r.score);
    }

    #[test]
    fn a_tilted_line_gets_a_tilted_box() {
        // A 3-pixel-thick band rising 1 pixel every 4 columns: about -14 degrees.
        let (w, h) = (80, 40);
        let mut map = vec![0.0; w * h];
        for x in 4..76 {
            let y0 = 30 - x / 4;
            for y in y0..y0 + 3 {
                map[y * w + x] = 0.9;
            }
        }
        let found = regions(&map, w, h);
        assert_eq!(found.len(), 1);
        let a = found[0].angle_deg;
        assert!((-16.0..=-12.0).contains(&a), "{a}");
    }

    fn line(text: &str, x: f32, y: f32) -> TextLine {
        TextLine {
            text: text.into(),
            confidence: 0.9,
            detection_score: 0.9,
            quad: [[x, y], [x + 30.0, y], [x + 30.0, y + 10.0], [x, y + 10.0]],
            angle_deg: 0.0,
        }
    }

    #[test]
    fn lines_read_top_to_bottom_then_left_to_right() {
        let (lines, text) = reading_order(vec![
            line("world", 50.0, 2.0),
            line("second", 0.0, 30.0),
            line("hello", 0.0, 0.0),
        ]);
        assert_eq!(text, "hello world\nsecond");
        assert_eq!(lines[0].text, "hello");
    }
}
