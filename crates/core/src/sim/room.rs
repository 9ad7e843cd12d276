//! Simulated rooms for the echo canceller: a loudspeaker heard by its own microphone through a
//! reverberant room, and the set of rooms the canceller is scored on (`tandem aec --rooms`, the
//! `every_room` test, the rig's reverberant loopback).
//!
//! A room's impulse response is a direct path after `delay_ms`, then a late tail of velvet noise
//! (one impulse of random sign at a random place in every 0.5 ms; a sparse stand-in for
//! diffuse reverberation, cheap to run as a streaming filter) under an exponential envelope
//! that falls 60 dB in `rt60_s`. The tail's energy is set by the direct-to-reverberant ratio.
//! Everything is seeded: the same room gives the same response on every machine.

use super::echo::XorShift;
use crate::audio::aec::{self, EchoCanceller};
use crate::audio::rms;

/// Velvet-noise density of the tail: impulses per second.
const VELVET_PER_S: f32 = 2_000.0;

/// One simulated room.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Room {
    /// Reverberation time (60 dB decay), seconds.
    pub rt60_s: f32,
    /// Loudspeaker-to-microphone delay (sound travel plus the device's buffers), ms.
    pub delay_ms: f32,
    /// Direct-to-reverberant energy ratio, dB.
    pub drr_db: f32,
    /// The echo's level against the user's voice at the microphone, dB (+6: the loudspeaker
    /// is 6 dB louder in the microphone than the person talking to it).
    pub echo_db: f32,
    pub seed: u64,
}

impl Room {
    /// A short name: `rt0.45-d40-e+6`.
    pub fn name(&self) -> String {
        format!(
            "rt{:.2}-d{}-e{:+}",
            self.rt60_s, self.delay_ms as i32, self.echo_db as i32
        )
    }

    /// The impulse response at `rate_hz`, direct path at gain 1.
    pub fn impulse_response(&self, rate_hz: u32) -> Vec<f32> {
        let fs = rate_hz as f32;
        let delay = (self.delay_ms * fs / 1000.0).round() as usize;
        let len = (self.rt60_s * fs).round() as usize;
        let mut h = vec![0.0f32; delay + len + 1];
        h[delay] = 1.0;
        let period = (fs / VELVET_PER_S).max(1.0) as usize;
        let mut rng = XorShift::new(self.seed);
        let mut tail = vec![0.0f32; len + 1];
        let mut energy = 0.0f64;
        // The tail starts one period after the direct sound.
        let mut at = period;
        while at + period <= len {
            let n = at + (rng.unit() * period as f32) as usize;
            let sign = if rng.unit() < 0.5 { -1.0 } else { 1.0 };
            let envelope = (-6.9 * n as f32 / (self.rt60_s * fs)).exp();
            tail[n] = sign * envelope;
            energy += f64::from(envelope * envelope);
            at += period;
        }
        let want = 10f64.powf(-f64::from(self.drr_db) / 10.0);
        let k = (want / energy.max(1e-12)).sqrt() as f32;
        for (i, t) in tail.iter().enumerate() {
            if *t != 0.0 {
                h[delay + i] = t * k;
            }
        }
        h
    }
}

/// The committed room set: every combination of four reverberation times (0.2-0.6 s; the
/// larger the room, the more reverberant the sound at the microphone), three delays (10, 40,
/// 120 ms) and three loudspeaker levels (the echo 6 dB below, level with and 6 dB above the
/// user's voice). 36 rooms.
pub fn room_set() -> Vec<Room> {
    let mut rooms = Vec::new();
    let mut seed = 1;
    for (rt60_s, drr_db) in [(0.2, 6.0), (0.3, 3.0), (0.45, 0.0), (0.6, -2.0)] {
        for delay_ms in [10.0, 40.0, 120.0] {
            for echo_db in [-6.0, 0.0, 6.0] {
                rooms.push(Room {
                    rt60_s,
                    delay_ms,
                    drr_db,
                    echo_db,
                    seed,
                });
                seed += 1;
            }
        }
    }
    rooms
}

/// How the canceller did in one room.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RoomScore {
    pub room: String,
    /// Echo removed while only the loudspeaker talks, after `CONVERGED_S`: what the voice
    /// detector and the recognizer hear (the suppressor's output), dB.
    pub erle_db: f64,
    /// The same for the linear filter's output alone, dB.
    pub linear_erle_db: f64,
    /// Echo removed in the echo-only stretch after the double talk (a filter that diverged
    /// under double talk shows here), dB.
    pub erle_after_double_talk_db: f64,
    /// Correlation of the linear output with the user's clean voice during double talk: how
    /// well the near end is kept where the engine measures the user's level.
    pub near_corr: f64,
    /// The same for the suppressor's output.
    pub near_corr_suppressed: f64,
}

impl RoomScore {
    /// The header of [`RoomScore`]'s table rows (its `Display`).
    pub const HEADER: &'static str =
        "room              ERLE dB   linear   after DT  near kept  suppressed";
}

/// One table row: the room, the three ERLEs (dB) and the two correlations.
impl std::fmt::Display for RoomScore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:16} {:8.1} {:8.1} {:10.1} {:10.3} {:11.3}",
            self.room,
            self.erle_db,
            self.linear_erle_db,
            self.erle_after_double_talk_db,
            self.near_corr,
            self.near_corr_suppressed
        )
    }
}

/// Seconds of echo before the scored stretch starts.
pub const CONVERGED_S: f32 = 4.0;

/// Scores the canceller in `room`: `far` (16 kHz, repeated as needed) plays throughout; `user`
/// (16 kHz) talks over it from 12 s on (double talk); the far end goes on 4 s after that.
pub fn score(room: &Room, far: &[f32], user: &[f32], aec: EchoCanceller) -> RoomScore {
    let rate = aec::AEC_RATE_HZ as usize;
    let at = 12 * rate;
    let total = at + user.len() + 4 * rate;
    let far: Vec<f32> = far.iter().copied().cycle().take(total).collect();
    let mut filter =
        super::echo::EchoFilter::from_impulse_response(&room.impulse_response(aec::AEC_RATE_HZ));
    let mut echo = Vec::with_capacity(total);
    filter.process(&far, &mut echo);
    let gain = rms(user) * 10f32.powf(room.echo_db / 20.0) / rms(&echo[rate..at]).max(1e-9);
    let mut near: Vec<f32> = echo.iter().map(|e| e * gain).collect();
    for (n, u) in near[at..].iter_mut().zip(user) {
        *n += u;
    }
    let (out, linear, _) = aec::cancel_with_linear(aec, &far, &near);
    let from = (CONVERGED_S * rate as f32) as usize;
    let talk = at..at + user.len();
    let after = talk.end + rate / 2..total;
    RoomScore {
        room: room.name(),
        erle_db: aec::erle_db(&near[from..at], &out[from..at]),
        linear_erle_db: aec::erle_db(&near[from..at], &linear[from..at]),
        erle_after_double_talk_db: aec::erle_db(&near[after.clone()], &out[after]),
        near_corr: aec::correlation(&linear[talk.clone()], user),
        near_corr_suppressed: aec::correlation(&out[talk], user),
    }
}

#[cfg(test)]
#[path = "room_tests.rs"]
mod tests;
