//! Face detection: BlazeFace short-range (MediaPipe's front-camera detector, 128x128) through
//! ONNX Runtime.
//!
//! The model takes one RGB image `input:0` [1, 128, 128, 3] with values in [-1, 1] and scores
//! 896 anchors: a 16x16 grid with 2 anchors per cell (`Identity:0` logits [1, 512, 1],
//! `Identity_2:0` regressors [1, 512, 16]) and an 8x8 grid with 6 per cell (`Identity_1:0`,
//! `Identity_3:0`, 384 anchors). Anchors sit at cell centres; regressors are offsets in input
//! pixels: box centre dx, dy, width, height, then six keypoints (x, y): the eyes (image left
//! first), the nose tip, the mouth centre and the ear tragions (image left first).
//! Overlapping candidates are merged by score-weighted averaging (MediaPipe's "weighted"
//! non-maximum suppression). The frame is letterboxed, so a 4:3 webcam frame is not squashed.

use ort::value::TensorRef;
use serde::Serialize;

use super::image::{Letterbox, letterbox};
use super::{Frame, VisionError};
use crate::config::ExecutionProvider;
use crate::models::runtime::{Model, Runtime};
use crate::models::{Manifest, ModelCache};

/// The model file in the cache.
pub const MODEL_FILE: &str = "blazeface_128.onnx";
/// Side of the model's square input.
pub const INPUT_SIZE: usize = 128;
/// A face counts as present at this score. MediaPipe's default is 0.5; on our test images a
/// cat's face scores 0.58 and a turned head 0.78 (frontal 0.92), so faces between 0.5 and this
/// are reported as candidates but not as a person.
pub const MIN_FACE_SCORE: f32 = 0.7;
/// Candidates below this are dropped before merging.
pub const CANDIDATE_SCORE: f32 = 0.5;
/// Candidates overlapping the best one by more than this are merged into it.
const MERGE_IOU: f32 = 0.3;

const INPUT_NAME: &str = "input:0";
const OUTPUTS: [&str; 4] = ["Identity:0", "Identity_1:0", "Identity_2:0", "Identity_3:0"];
const COARSE: (usize, usize) = (16, 2);
const FINE: (usize, usize) = (8, 6);
const N_FIRST: usize = COARSE.0 * COARSE.0 * COARSE.1;
const N_ANCHORS: usize = N_FIRST + FINE.0 * FINE.0 * FINE.1;
const REGRESSORS: usize = 16;

/// One face, in frame pixels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Face {
    /// Probability that this is a face.
    pub score: f32,
    /// Box: left, top, width, height.
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
    /// Eye (image left), eye (image right), nose tip, mouth centre, ear (image left),
    /// ear (image right); (x, y) each.
    pub keypoints: [[f32; 2]; 6],
}

impl Face {
    pub fn area(&self) -> f32 {
        self.width.max(0.0) * self.height.max(0.0)
    }
}

/// What one frame gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Merged candidates at or above [`CANDIDATE_SCORE`], best first.
    pub faces: Vec<Face>,
    /// The best anchor score in the frame (also when nothing passed).
    pub best_score: f32,
}

/// A candidate in model coordinates (0-1): box centre, size, keypoints.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    score: f32,
    /// cx, cy, w, h, then 6 x (x, y).
    values: [f32; 4 + 12],
}

impl Candidate {
    fn iou(&self, other: &Candidate) -> f32 {
        let edges = |c: &Candidate| {
            let [cx, cy, w, h] = [c.values[0], c.values[1], c.values[2], c.values[3]];
            (cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0)
        };
        let (a0, a1, a2, a3) = edges(self);
        let (b0, b1, b2, b3) = edges(other);
        let iw = (a2.min(b2) - a0.max(b0)).max(0.0);
        let ih = (a3.min(b3) - a1.max(b1)).max(0.0);
        let inter = iw * ih;
        let union = (a2 - a0) * (a3 - a1) + (b2 - b0) * (b3 - b1) - inter;
        if union > 0.0 { inter / union } else { 0.0 }
    }
}

/// BlazeFace over frames of any size; see the module docs.
#[derive(Debug)]
pub struct FaceDetector {
    model: Model,
    anchors: Vec<[f32; 2]>,
    input: Vec<f32>,
    scratch: Vec<f32>,
}

impl FaceDetector {
    /// Loads the verified model from the cache on the CPU (a 128x128 detector is faster
    /// there than a GPU round trip).
    pub fn load(
        runtime: &Runtime,
        cache: &ModelCache,
        manifest: &Manifest,
        intra_threads: usize,
    ) -> Result<Self, VisionError> {
        let path = cache.verified_path(manifest, MODEL_FILE)?;
        let model = runtime.load_with(&path, "blazeface", intra_threads, ExecutionProvider::Cpu)?;
        Self::from_model(model)
    }

    /// Wraps a loaded session after checking its signature.
    pub fn from_model(model: Model) -> Result<Self, VisionError> {
        let bad = |message: String| VisionError::Signature {
            file: MODEL_FILE.to_owned(),
            message,
        };
        let inputs: Vec<&str> = model.session.inputs().iter().map(|o| o.name()).collect();
        if inputs != [INPUT_NAME] {
            return Err(bad(format!("inputs {inputs:?}, expected [{INPUT_NAME:?}]")));
        }
        let outputs: Vec<&str> = model.session.outputs().iter().map(|o| o.name()).collect();
        if let Some(missing) = OUTPUTS.iter().find(|o| !outputs.contains(o)) {
            return Err(bad(format!("outputs {outputs:?} lack {missing:?}")));
        }
        Ok(Self {
            model,
            anchors: anchors(),
            input: Vec::with_capacity(INPUT_SIZE * INPUT_SIZE * 3),
            scratch: Vec::new(),
        })
    }

    /// Faces in one frame.
    pub fn detect(&mut self, frame: &Frame) -> Result<Detection, VisionError> {
        let lb = letterbox(frame, INPUT_SIZE, &mut self.input, &mut self.scratch);
        let Self {
            model,
            anchors,
            input,
            ..
        } = self;
        let outputs = model.session.run(ort::inputs![TensorRef::from_array_view((
            [1usize, INPUT_SIZE, INPUT_SIZE, 3],
            input.as_slice()
        ))?])?;
        let mut parts = Vec::with_capacity(4);
        for name in OUTPUTS {
            let (_, data) = outputs[name].try_extract_tensor::<f32>()?;
            parts.push(data);
        }
        let (scores_a, scores_b, boxes_a, boxes_b) = (parts[0], parts[1], parts[2], parts[3]);
        let sizes_ok = scores_a.len() == N_FIRST
            && scores_b.len() == N_ANCHORS - N_FIRST
            && boxes_a.len() == N_FIRST * REGRESSORS
            && boxes_b.len() == (N_ANCHORS - N_FIRST) * REGRESSORS;
        if !sizes_ok {
            return Err(VisionError::Signature {
                file: MODEL_FILE.to_owned(),
                message: format!(
                    "output sizes {}, {}, {}, {}; expected {N_FIRST}, {}, {}, {}",
                    scores_a.len(),
                    scores_b.len(),
                    boxes_a.len(),
                    boxes_b.len(),
                    N_ANCHORS - N_FIRST,
                    N_FIRST * REGRESSORS,
                    (N_ANCHORS - N_FIRST) * REGRESSORS
                ),
            });
        }
        let mut best_score = 0.0f32;
        let mut candidates = Vec::new();
        for (i, anchor) in anchors.iter().enumerate() {
            let (logit, reg) = if i < N_FIRST {
                (scores_a[i], &boxes_a[i * REGRESSORS..(i + 1) * REGRESSORS])
            } else {
                let j = i - N_FIRST;
                (scores_b[j], &boxes_b[j * REGRESSORS..(j + 1) * REGRESSORS])
            };
            let score = sigmoid(logit);
            best_score = best_score.max(score);
            if score < CANDIDATE_SCORE {
                continue;
            }
            let mut values = [0.0f32; 16];
            let s = INPUT_SIZE as f32;
            values[0] = anchor[0] + reg[0] / s;
            values[1] = anchor[1] + reg[1] / s;
            values[2] = reg[2] / s;
            values[3] = reg[3] / s;
            for k in 0..6 {
                values[4 + 2 * k] = anchor[0] + reg[4 + 2 * k] / s;
                values[5 + 2 * k] = anchor[1] + reg[5 + 2 * k] / s;
            }
            candidates.push(Candidate { score, values });
        }
        let faces = merge(candidates)
            .into_iter()
            .map(|c| to_frame(&c, &lb))
            .collect();
        Ok(Detection { faces, best_score })
    }
}

fn sigmoid(logit: f32) -> f32 {
    1.0 / (1.0 + (-logit.clamp(-100.0, 100.0)).exp())
}

/// Anchor centres in model coordinates, in the model's output order.
fn anchors() -> Vec<[f32; 2]> {
    let mut out = Vec::with_capacity(N_ANCHORS);
    for (cells, per_cell) in [COARSE, FINE] {
        for y in 0..cells {
            for x in 0..cells {
                for _ in 0..per_cell {
                    out.push([
                        (x as f32 + 0.5) / cells as f32,
                        (y as f32 + 0.5) / cells as f32,
                    ]);
                }
            }
        }
    }
    out
}

/// Weighted non-maximum suppression: the best remaining candidate absorbs every candidate
/// overlapping it by more than [`MERGE_IOU`]; the merged box and keypoints are their
/// score-weighted mean, the score is the best one's.
fn merge(mut candidates: Vec<Candidate>) -> Vec<Candidate> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while let Some(best) = candidates.first().copied() {
        let (group, rest): (Vec<Candidate>, Vec<Candidate>) = candidates
            .into_iter()
            .partition(|c| best.iou(c) > MERGE_IOU);
        candidates = rest;
        let total: f32 = group.iter().map(|c| c.score).sum();
        let mut values = [0.0f32; 16];
        for c in &group {
            for (v, x) in values.iter_mut().zip(c.values) {
                *v += x * c.score / total;
            }
        }
        out.push(Candidate {
            score: best.score,
            values,
        });
    }
    out
}

fn to_frame(c: &Candidate, lb: &Letterbox) -> Face {
    let v = &c.values;
    let [x0, y0] = lb.to_frame(v[0] - v[2] / 2.0, v[1] - v[3] / 2.0);
    let mut keypoints = [[0.0f32; 2]; 6];
    for (k, kp) in keypoints.iter_mut().enumerate() {
        *kp = lb.to_frame(v[4 + 2 * k], v[5 + 2 * k]);
    }
    Face {
        score: c.score,
        x: x0,
        y: y0,
        width: v[2] * lb.side,
        height: v[3] * lb.side,
        keypoints,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_follow_the_model_layout() {
        let a = anchors();
        assert_eq!(a.len(), 896);
        assert_eq!(a[0], [0.5 / 16.0, 0.5 / 16.0]);
        assert_eq!(a[1], a[0]);
        assert_eq!(a[2], [1.5 / 16.0, 0.5 / 16.0]);
        assert_eq!(a[N_FIRST], [0.5 / 8.0, 0.5 / 8.0]);
        assert_eq!(a[895], [7.5 / 8.0, 7.5 / 8.0]);
    }

    fn cand(score: f32, cx: f32) -> Candidate {
        let mut values = [0.0; 16];
        values[..4].copy_from_slice(&[cx, 0.5, 0.2, 0.2]);
        Candidate { score, values }
    }

    #[test]
    fn overlapping_candidates_merge_by_score_and_separate_faces_stay_apart() {
        let merged = merge(vec![cand(0.6, 0.52), cand(0.9, 0.5), cand(0.8, 0.1)]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].score, 0.9);
        let cx = merged[0].values[0];
        assert!((cx - (0.9 * 0.5 + 0.6 * 0.52) / 1.5).abs() < 1e-6, "{cx}");
        assert!((merged[1].values[0] - 0.1).abs() < 1e-6);
    }
}
