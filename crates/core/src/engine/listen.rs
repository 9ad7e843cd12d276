//! The listening side of the loop: voice activity with onsets and ends in audio time, the
//! user's speech level, a rolling history of the cleaned microphone, and the transcripts.
//!
//! Cheap work (Silero VAD on every 32 ms chunk) happens inline as frames arrive; Whisper and
//! smart-turn run as [`Worker`](super::worker::Worker) jobs on snapshots of the history.

use std::collections::VecDeque;

use crate::audio::rms;
use crate::interaction::{Ms, VoiceActivity};
use crate::models::vad::{
    SAMPLE_RATE_HZ, SegmentParams, Segmenter, StreamingVad, VadError, VadEvent, VadFrame,
};

/// Seconds of cleaned microphone audio kept for transcription and end-of-turn detection.
const HISTORY_SECONDS: usize = 60;
/// The user's speech level before any was heard (close-talking speech RMS, dBFS).
const DEFAULT_USER_LEVEL_DB: f32 = -26.0;
/// Levels below `-90 dBFS` are silence, not speech.
const FLOOR_DB: f32 = -90.0;

/// Milliseconds on the 16 kHz microphone timeline.
pub fn samples_to_ms(samples: u64) -> Ms {
    samples * 1000 / u64::from(SAMPLE_RATE_HZ)
}

pub fn ms_to_samples(ms: Ms) -> u64 {
    ms * u64::from(SAMPLE_RATE_HZ) / 1000
}

/// Cleaned microphone audio, the last [`HISTORY_SECONDS`], with the level of the user's voice
/// per pushed block (see [`History::push_with_level`]).
#[derive(Debug, Default)]
pub struct History {
    buf: VecDeque<f32>,
    /// Stream index of `buf[0]`.
    first: u64,
    /// (stream index of the block's first sample, samples, mean square of the level signal).
    levels: VecDeque<(u64, u32, f32)>,
}

impl History {
    /// Cleaned audio whose own level is the user's level (no echo canceller, or none known).
    pub fn push(&mut self, samples: &[f32]) {
        self.push_with_level(samples, rms(samples));
    }

    /// Cleaned audio, and the RMS of the same stretch measured where the user's level is kept:
    /// the echo canceller's linear output, before its suppressor turns the user down during
    /// double talk (`CleanFrame::user_rms`).
    pub fn push_with_level(&mut self, samples: &[f32], level_rms: f32) {
        let start = self.end();
        self.buf.extend(samples.iter().copied());
        if !samples.is_empty() {
            let rms = if level_rms.is_finite() {
                level_rms
            } else {
                0.0
            };
            self.levels
                .push_back((start, samples.len() as u32, rms * rms));
        }
        let cap = HISTORY_SECONDS * SAMPLE_RATE_HZ as usize;
        if self.buf.len() > cap {
            let n = self.buf.len() - cap;
            self.buf.drain(..n);
            self.first += n as u64;
        }
        while self
            .levels
            .front()
            .is_some_and(|&(at, len, _)| at + u64::from(len) <= self.first)
        {
            self.levels.pop_front();
        }
    }

    /// Stream index one past the newest sample.
    pub fn end(&self) -> u64 {
        self.first + self.buf.len() as u64
    }

    /// Samples `from..to` (clamped to what is kept).
    pub fn slice(&self, from: u64, to: u64) -> Vec<f32> {
        let a = from.clamp(self.first, self.end()) - self.first;
        let b = to.clamp(self.first, self.end()) - self.first;
        self.buf
            .range(a as usize..b.max(a) as usize)
            .copied()
            .collect()
    }

    /// Energy (sum of squares) of the level signal over `from..to`, block by block.
    pub fn level_energy(&self, from: u64, to: u64) -> f64 {
        let mut sum = 0.0;
        for &(at, len, mean_sq) in self.levels.iter().rev() {
            let end = at + u64::from(len);
            if end <= from {
                break;
            }
            let overlap = end.min(to).saturating_sub(at.max(from));
            sum += overlap as f64 * f64::from(mean_sq);
        }
        sum
    }
}

/// Voice activity for the loop: fused Silero + WebRTC probabilities through a fast
/// segmenter (speech after 64 ms, silence after 96 ms), with onsets and ends dated to the
/// chunks where they happened, and the level of each speech run.
pub struct VoiceTracker {
    vad: StreamingVad,
    segmenter: Segmenter,
    speaking: bool,
    onset: Option<Ms>,
    last_end: Option<Ms>,
    /// Energy and sample count of the current (or last) speech run: of the cleaned audio, and
    /// of the level signal (the user's level through echo, see [`History::push_with_level`]).
    run_energy: f64,
    run_level_energy: f64,
    run_samples: u64,
    /// The user's usual speech level.
    usual: UsualLevel,
    /// Onsets and ends since the last `take_changes`.
    changed: bool,
    /// The latest chunk verdicts, for the UI and for diagnostics.
    pub last_probability: f32,
    /// End of the last chunk that counted as speech, and whether the chunks since then are
    /// all below the off threshold (a pause that may be the end).
    voiced_end: Option<Ms>,
    quiet_since_voiced: bool,
}

impl std::fmt::Debug for VoiceTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoiceTracker")
            .field("speaking", &self.speaking)
            .field("onset", &self.onset)
            .field("last_end", &self.last_end)
            .finish_non_exhaustive()
    }
}

/// The segmenter settings the loop uses: quick to open, quick to close; the floor policy
/// (not the VAD) decides whether a pause ends a turn.
pub fn loop_segment_params() -> SegmentParams {
    SegmentParams {
        on_threshold: 0.5,
        off_threshold: 0.35,
        min_speech_ms: 64,
        min_silence_ms: 96,
        pad_ms: 0,
    }
}

impl VoiceTracker {
    pub fn new(vad: StreamingVad) -> Result<Self, VadError> {
        Ok(Self {
            vad,
            segmenter: Segmenter::new(loop_segment_params())?,
            speaking: false,
            onset: None,
            last_end: None,
            run_energy: 0.0,
            run_level_energy: 0.0,
            run_samples: 0,
            usual: UsualLevel::default(),
            changed: false,
            last_probability: 0.0,
            voiced_end: None,
            quiet_since_voiced: false,
        })
    }

    /// Gives the voice detector back, reset for a new stream.
    pub fn into_vad(self) -> StreamingVad {
        let mut vad = self.vad;
        vad.reset();
        vad
    }

    /// Feeds cleaned 16 kHz audio (any block size); `history` must hold these samples.
    pub fn push(&mut self, samples: &[f32], history: &History) -> Result<(), VadError> {
        let mut frames: Vec<VadFrame> = Vec::new();
        self.vad.push(samples, |f| frames.push(f))?;
        for f in frames {
            self.on_chunk(&f, history);
        }
        Ok(())
    }

    fn on_chunk(&mut self, f: &VadFrame, history: &History) {
        self.last_probability = f.probability;
        let off = loop_segment_params().off_threshold;
        if f.probability >= off {
            self.voiced_end = Some(samples_to_ms(f.end_sample()));
            self.quiet_since_voiced = false;
        } else {
            self.quiet_since_voiced = true;
        }
        match self
            .segmenter
            .push(f.probability, f.start_sample, f.end_sample())
        {
            Some(VadEvent::SpeechStart { start_ms }) => {
                self.speaking = true;
                self.onset = Some(start_ms);
                self.changed = true;
                // The run's level counts from its start (the confirming chunks included).
                let from = ms_to_samples(start_ms);
                let run = history.slice(from, f.end_sample());
                self.run_energy = run.iter().map(|x| f64::from(*x) * f64::from(*x)).sum();
                self.run_level_energy = history.level_energy(from, f.end_sample());
                self.run_samples = run.len() as u64;
            }
            Some(VadEvent::SpeechEnd(seg)) => {
                self.speaking = false;
                self.last_end = Some(seg.end_ms);
                self.changed = true;
            }
            None => {
                if self.speaking {
                    let chunk = history.slice(f.start_sample, f.end_sample());
                    self.run_energy += chunk
                        .iter()
                        .map(|x| f64::from(*x) * f64::from(*x))
                        .sum::<f64>();
                    self.run_level_energy += history.level_energy(f.start_sample, f.end_sample());
                    self.run_samples += chunk.len() as u64;
                }
            }
        }
    }

    /// Level of the current or last speech run, dBFS, as the user said it: measured on the
    /// level signal (the echo canceller's linear output), so double talk's suppression does
    /// not make a cut-in over our own voice sound like distant speech.
    pub fn run_db(&self) -> f32 {
        energy_db(self.run_level_energy, self.run_samples)
    }

    /// Level of the current or last speech run in the cleaned (suppressed) audio, dBFS: what
    /// the floor model's features were trained on.
    pub fn cleaned_run_db(&self) -> f32 {
        energy_db(self.run_energy, self.run_samples)
    }

    /// The user's usual speech level, dBFS.
    pub fn usual_db(&self) -> f32 {
        self.usual.db
    }

    /// Sets the user's usual level (offline feature extraction: the level the live loop
    /// would have learned from the user's earlier requests).
    pub fn set_usual_db(&mut self, db: f32) {
        self.usual.db = db;
    }

    /// Learns the user's usual level from a run that was addressed to the assistant.
    pub fn learn_level(&mut self) {
        self.usual.learn(self.run_db());
    }

    pub fn speaking(&self) -> bool {
        self.speaking
    }

    /// Whether speech started or ended since the last call.
    pub fn take_changes(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// What the floor policy sees.
    pub fn activity(&self) -> VoiceActivity {
        VoiceActivity {
            speaking: self.speaking,
            onset_ms: if self.speaking { self.onset } else { None },
            last_end_ms: if self.speaking { None } else { self.last_end },
            level_db: self.run_db() - self.usual.db,
            tentative_end_ms: self.tentative_end_ms(),
        }
    }

    /// While speaking: where the speech stopped if the quiet chunks since then turn out to be
    /// the end (the segmenter confirms an end only after 96 ms). Transcribing from here saves
    /// that wait.
    pub fn tentative_end_ms(&self) -> Option<Ms> {
        (self.speaking && self.quiet_since_voiced)
            .then_some(self.voiced_end)
            .flatten()
    }

    /// Start of the current speech run, or of the last one.
    pub fn onset_ms(&self) -> Option<Ms> {
        self.onset
    }
}

/// The user's usual speech level, dBFS, learned from the runs of the turns asked of the
/// reasoner (never from speech dropped as someone else's).
#[derive(Debug, Clone, Copy, PartialEq)]
struct UsualLevel {
    db: f32,
    /// Runs learned so far.
    learned: u32,
}

impl Default for UsualLevel {
    fn default() -> Self {
        Self {
            db: DEFAULT_USER_LEVEL_DB,
            learned: 0,
        }
    }
}

/// A run quieter than this is no level to learn (a murmur at the noise floor).
const MIN_LEARNED_DB: f32 = -60.0;

impl UsualLevel {
    /// The first asked run replaces the default outright, however far under it: a microphone
    /// at arm's length hears the user 10-15 dB under the default, where the floor model's
    /// ear, which hears levels relative to this one, took every question the words left open
    /// for someone else's ("Who won the game last night?": addressed 0.22 by ear, 0.56 at the
    /// default level) and, the runs more than 10 dB under it never being learned, always
    /// would. Later runs move it a fifth of the way, unless 10 dB or more under it (a quiet
    /// tail, a murmur).
    fn learn(&mut self, db: f32) {
        if db <= MIN_LEARNED_DB {
            return;
        }
        if self.learned == 0 {
            self.db = db;
        } else if db > self.db - 10.0 {
            self.db = 0.8 * self.db + 0.2 * db;
        } else {
            return;
        }
        self.learned += 1;
    }
}

fn energy_db(energy: f64, samples: u64) -> f32 {
    if samples == 0 {
        return FLOOR_DB;
    }
    let rms = (energy / samples as f64).sqrt() as f32;
    (20.0 * rms.max(1e-9).log10()).max(FLOOR_DB)
}

/// The words two consecutive partial transcripts agree on, from the start.
pub fn stable_prefix(previous: &str, current: &str) -> String {
    let a: Vec<&str> = previous.split_whitespace().collect();
    let b: Vec<&str> = current.split_whitespace().collect();
    let same = a
        .iter()
        .zip(&b)
        .take_while(|(x, y)| crate::text::normalize(x) == crate::text::normalize(y))
        .count();
    b[..same].join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_keeps_a_window_and_slices_by_stream_index() {
        let mut h = History::default();
        h.push(&[1.0; 100]);
        h.push(&[2.0; 100]);
        assert_eq!(h.end(), 200);
        assert_eq!(h.slice(90, 110), [vec![1.0; 10], vec![2.0; 10]].concat());
        assert_eq!(h.slice(250, 300), Vec::<f32>::new());
    }

    #[test]
    fn the_first_asked_run_sets_the_usual_level_and_later_ones_move_it() {
        let mut u = UsualLevel::default();
        // A quiet microphone: 14 dB under the default, learned at once.
        u.learn(-40.0);
        assert_eq!(u.db, -40.0);
        // Then a fifth of the way...
        u.learn(-30.0);
        assert!((u.db - -38.0).abs() < 1e-4, "{}", u.db);
        // ...and a run far under the usual level is no sample of it.
        u.learn(-55.0);
        assert!((u.db - -38.0).abs() < 1e-4, "{}", u.db);
        // Nor is silence, even first.
        let mut fresh = UsualLevel::default();
        fresh.learn(-90.0);
        assert_eq!(fresh, UsualLevel::default());
    }

    #[test]
    fn stable_prefix_ignores_case_and_punctuation() {
        assert_eq!(
            stable_prefix("Set a timer for", "set a timer, for ten"),
            "set a timer, for"
        );
        assert_eq!(stable_prefix("what is", "how is"), "");
        assert_eq!(stable_prefix("", "hello"), "");
    }
}
