//! Steadier context from a camera: a single frame's yaw wobbles by several degrees and a
//! detection can drop out for a frame, so the live stage reports the majority of the last
//! few frames for presence and their median yaw for facing.

use std::collections::VecDeque;

use super::VisualContext;
use super::pose::FACING_MAX_YAW_DEG;

/// Frames considered (at 4 fps: the last 0.75 s; a change shows after 2 frames).
pub const WINDOW: usize = 3;

#[derive(Debug, Default, Clone)]
pub struct Smoother {
    recent: VecDeque<VisualContext>,
}

impl Smoother {
    /// Adds a frame's context and returns the smoothed one (stamped with the newest frame).
    pub fn push(&mut self, ctx: VisualContext) -> VisualContext {
        if self.recent.len() == WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(ctx);
        let n = self.recent.len();
        let present_n = self.recent.iter().filter(|c| c.present).count();
        // Majority of the window; a tie follows the newest frame.
        if present_n * 2 < n || (present_n * 2 == n && !ctx.present) {
            return VisualContext {
                confidence: ctx.confidence,
                ..VisualContext::nobody(ctx.t_ms)
            };
        }
        let mut yaws: Vec<f32> = self.recent.iter().filter_map(|c| c.yaw_deg).collect();
        yaws.sort_by(f32::total_cmp);
        let yaw = match yaws.len() {
            0 => ctx.yaw_deg,
            n if n % 2 == 1 => Some(yaws[n / 2]),
            n => Some((yaws[n / 2 - 1] + yaws[n / 2]) / 2.0),
        };
        let last_present = self.recent.iter().rev().find(|c| c.present).copied();
        VisualContext {
            t_ms: ctx.t_ms,
            present: true,
            faces: last_present.map_or(1, |c| c.faces.max(1)),
            facing: yaw.is_some_and(|y| y.abs() <= FACING_MAX_YAW_DEG),
            yaw_deg: yaw,
            confidence: last_present.map_or(ctx.confidence, |c| c.confidence),
        }
    }

    /// Forgets the history (the camera was reopened).
    pub fn reset(&mut self) {
        self.recent.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(t_ms: u64, yaw: Option<f32>) -> VisualContext {
        match yaw {
            Some(y) => VisualContext {
                t_ms,
                present: true,
                faces: 1,
                facing: y.abs() <= FACING_MAX_YAW_DEG,
                yaw_deg: Some(y),
                confidence: 0.9,
            },
            None => VisualContext::nobody(t_ms),
        }
    }

    #[test]
    fn one_odd_frame_does_not_flip_the_context() {
        let mut s = Smoother::default();
        assert!(
            s.push(seen(0, Some(5.0))).facing,
            "the first frame counts at once"
        );
        assert!(s.push(seen(250, Some(8.0))).facing);
        // A wobble to 30 deg in one frame: still facing.
        assert!(s.push(seen(500, Some(30.0))).facing);
        // A dropped detection in one frame: still present.
        let c = s.push(seen(750, None));
        assert!(c.present && c.facing && c.t_ms == 750, "{c:?}");
    }

    #[test]
    fn a_real_turn_or_departure_shows_after_two_frames() {
        let mut s = Smoother::default();
        for t in 0..3 {
            s.push(seen(t * 250, Some(0.0)));
        }
        assert!(s.push(seen(750, Some(50.0))).facing);
        let c = s.push(seen(1000, Some(55.0)));
        assert!(c.present && !c.facing && c.yaw_deg == Some(50.0), "{c:?}");
        s.push(seen(1250, None));
        let c = s.push(seen(1500, None));
        assert!(!c.present && !c.facing && c.yaw_deg.is_none(), "{c:?}");
    }
}
