//! Visual context over time from a JSON-lines file, for `tandem duplex --visual` and tests:
//! one [`VisualContext`] per line, for example
//!
//! ```text
//! {"t_ms": 0, "present": true, "facing": true}
//! {"t_ms": 4000, "present": true, "facing": false, "yaw_deg": 45}
//! ```
//!
//! `faces` defaults to 1 when `present` (0 otherwise), `confidence` to 1. Each line holds from
//! its `t_ms` until the next; before the first line the camera counts as off.

use std::path::Path;

use super::{VisionError, VisualContext};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct VisualTimeline {
    /// Sorted by `t_ms`.
    points: Vec<VisualContext>,
}

impl VisualTimeline {
    pub fn new(mut points: Vec<VisualContext>) -> Self {
        for p in &mut points {
            if p.present && p.faces == 0 {
                p.faces = 1;
            }
            if !p.present {
                p.faces = 0;
                p.facing = false;
            }
        }
        points.sort_by_key(|p| p.t_ms);
        Self { points }
    }

    /// Reads a JSON-lines file; a bad line is an error naming the file and the line.
    pub fn load(path: &Path) -> Result<Self, VisionError> {
        let text = std::fs::read_to_string(path).map_err(|source| VisionError::Io {
            path: path.to_owned(),
            source,
        })?;
        let mut points = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let p: VisualContext =
                serde_json::from_str(line).map_err(|e| VisionError::Timeline {
                    path: path.to_owned(),
                    line: i + 1,
                    message: format!(
                        "{e}; each line is an object like {{\"t_ms\": 0, \"present\": true, \"facing\": true}}"
                    ),
                })?;
            points.push(p);
        }
        if points.is_empty() {
            return Err(VisionError::Timeline {
                path: path.to_owned(),
                line: 0,
                message: "no visual context in the file".into(),
            });
        }
        Ok(Self::new(points))
    }

    /// The context in force at `t_ms`: the last line at or before it.
    pub fn at(&self, t_ms: u64) -> Option<VisualContext> {
        let n = self.points.partition_point(|p| p.t_ms <= t_ms);
        n.checked_sub(1).map(|i| self.points[i])
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_hold_until_the_next_and_defaults_fill_in() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v.jsonl");
        std::fs::write(
            &p,
            "{\"t_ms\": 4000, \"present\": true, \"facing\": false, \"yaw_deg\": 45}\n\n\
             {\"t_ms\": 1000, \"present\": true, \"facing\": true}\n",
        )
        .unwrap();
        let tl = VisualTimeline::load(&p).unwrap();
        assert_eq!(tl.at(999), None);
        let a = tl.at(1000).unwrap();
        assert!(a.present && a.facing && a.faces == 1 && a.confidence == 1.0);
        assert!(!tl.at(9999).unwrap().facing);
        assert_eq!(tl.at(9999).unwrap().yaw_deg, Some(45.0));
    }

    #[test]
    fn a_bad_line_names_the_file_and_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v.jsonl");
        std::fs::write(&p, "{\"t_ms\": 0, \"present\": true}\n{\"present\": 1}\n").unwrap();
        let e = VisualTimeline::load(&p).unwrap_err().to_string();
        assert!(e.contains("v.jsonl line 2"), "{e}");
    }
}
