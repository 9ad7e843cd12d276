//! Who is speaking, for the loop. Each run of speech long enough to tell is embedded by the
//! voice stage ([`crate::models::voice`]); its similarity to the user's voice goes to the policy
//! as a [`RunVoice`].
//!
//! The user's voice is learned from the runs of the turns the policy asked the reasoner about
//! (never from speech it dropped as not for us), so a TV heard before the first request is not
//! taken for the user; runs that do not sound like it are not added. A turn is judged against
//! a reference: the learned voice plus the turn's own runs in that voice. Until the reference
//! holds [`MIN_REFERENCE_MS`] of speech (the first turn of a session), the runs a turn opens
//! with make it up, so a second voice answering the user ("Did you feed the cat?" / "Yes, I
//! did.") is told apart in the first turn too. Embeddings of short runs scatter; no verdict is
//! given against less than a second of speech.

use std::collections::VecDeque;

use crate::interaction::{Ms, RunVoice};
use crate::models::voice::{Embedding, VoiceProfile};

/// Runs shorter than this are not embedded ("mm-hm", a cough: too short to tell a voice).
pub(super) const MIN_RUN_MS: Ms = crate::interaction::MIN_VOICE_RUN_MS;
/// A voice is judged only against at least this much speech.
pub(super) const MIN_REFERENCE_MS: Ms = 1000;
/// The undecided turn's latest runs kept to be learned.
const RUNS_KEPT: usize = 16;

#[derive(Debug)]
pub(super) struct VoiceId {
    /// The user's voice, learned from their requests.
    profile: VoiceProfile,
    /// What the undecided turn is judged against: `profile` and the turn's runs in that voice.
    reference: VoiceProfile,
    /// The undecided turn's runs that went into `reference` (with their length): learned if
    /// the turn is asked.
    turn_runs: VecDeque<(Embedding, Ms)>,
    /// Runs ending before this belong to turns already decided (asked or dropped).
    decided_until: Ms,
    /// The span of the last asked turn: its runs still being embedded are learned on arrival.
    enroll_span: Option<(Ms, Ms)>,
    /// Below this similarity a run is someone else's (`Params::other_voice_below`).
    other_below: f32,
}

/// Whether a run of speech is long enough to embed.
pub(super) fn long_enough(start_ms: Ms, end_ms: Ms) -> bool {
    end_ms >= start_ms + MIN_RUN_MS
}

impl VoiceId {
    pub(super) fn new(other_below: f32) -> Self {
        Self {
            profile: VoiceProfile::default(),
            reference: VoiceProfile::default(),
            turn_runs: VecDeque::with_capacity(RUNS_KEPT),
            decided_until: 0,
            enroll_span: None,
            other_below,
        }
    }

    /// A run's embedding arrived: its verdict for the policy (`None` while there is not
    /// enough speech to judge it against, or when its turn is already decided).
    pub(super) fn embedded(&mut self, start_ms: Ms, end_ms: Ms, e: Embedding) -> Option<RunVoice> {
        let speech_ms = end_ms.saturating_sub(start_ms);
        let mut verdict = None;
        let mut user = false;
        if start_ms < self.decided_until {
            // A late run of an asked turn is learned if it sounds like the user.
            // (The reference is the learned voice and the current turn's runs: it learns it
            // too.)
            if self
                .enroll_span
                .is_some_and(|(from, to)| start_ms >= from && end_ms <= to)
                && self.learn(&e, speech_ms)
            {
                self.reference.enroll(&e, speech_ms);
            }
        } else if self.reference.speech_ms() < MIN_REFERENCE_MS {
            self.reference.enroll(&e, speech_ms);
            user = true;
        } else if let Some(similarity) = self.reference.similarity(&e) {
            verdict = Some(RunVoice {
                start_ms,
                end_ms,
                similarity,
            });
            if similarity >= self.other_below {
                self.reference.enroll(&e, speech_ms);
                user = true;
            }
        }
        if user {
            if self.turn_runs.len() == RUNS_KEPT {
                self.turn_runs.pop_front();
            }
            self.turn_runs.push_back((e, speech_ms));
        }
        verdict
    }

    /// The turn that ended by `now` was asked: its runs in the user's voice are learned.
    pub(super) fn asked(&mut self, now: Ms) {
        for (e, ms) in std::mem::take(&mut self.turn_runs) {
            self.learn(&e, ms);
        }
        self.enroll_span = Some((self.decided_until, now));
        self.decide(now);
    }

    /// The turn that ended by `now` was not for us: none of it is the user's voice to learn.
    pub(super) fn dropped(&mut self, now: Ms) {
        self.enroll_span = None;
        self.decide(now);
    }

    fn decide(&mut self, now: Ms) {
        self.decided_until = now;
        self.reference = self.profile.clone();
        self.turn_runs.clear();
    }

    /// Learns `e` as the user's voice unless it sounds like someone else; whether it did.
    fn learn(&mut self, e: &Embedding, speech_ms: Ms) -> bool {
        let fits = self.profile.speech_ms() < MIN_REFERENCE_MS
            || self
                .profile
                .similarity(e)
                .is_none_or(|s| s >= self.other_below);
        if fits {
            self.profile.enroll(e, speech_ms);
        }
        fits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Embedding {
        Embedding::from_vec(v.to_vec()).unwrap()
    }

    #[test]
    fn the_voice_is_learned_from_asked_turns_only() {
        let mut id = VoiceId::new(0.55);
        let user = unit(&[1.0, 0.1, 0.0]);
        let tv = unit(&[0.0, 0.2, 1.0]);
        // The TV talks first and is dropped: nothing is learned, no verdicts yet.
        assert!(long_enough(0, 1500));
        assert_eq!(id.embedded(0, 1500, tv.clone()), None);
        id.dropped(1800);
        // The user asks; the run's embedding arrives after the request (learned on arrival).
        assert!(long_enough(2000, 3500));
        id.asked(3700);
        assert_eq!(id.embedded(2000, 3500, user.clone()), None);
        // Now runs get verdicts: the user's voice is like itself, the TV is not.
        assert!(long_enough(5000, 6000));
        let v = id.embedded(5000, 6000, user.clone()).unwrap();
        assert!(v.similarity > 0.99, "{v:?}");
        assert!(long_enough(7000, 8000));
        let v = id.embedded(7000, 8000, tv).unwrap();
        assert!(v.similarity < 0.55, "{v:?}");
        // Short runs are not embedded.
        assert!(!long_enough(9000, 9300));
    }

    #[test]
    fn before_any_request_a_turn_is_judged_against_the_voice_it_opens_with() {
        let mut id = VoiceId::new(0.55);
        let user = unit(&[1.0, 0.0]);
        let other = unit(&[0.1, 1.0]);
        // Under a second of the opening voice: its runs make up the reference, no verdict.
        assert_eq!(id.embedded(0, 600, user.clone()), None);
        assert_eq!(id.embedded(700, 1300, user.clone()), None);
        let v = id.embedded(2000, 3000, other.clone()).unwrap();
        assert!(v.similarity < 0.2, "{v:?}");
        // The turn is dropped; the next one opens afresh (with the other voice, say).
        id.dropped(3500);
        assert_eq!(id.embedded(4000, 5000, other.clone()), None);
        let v = id.embedded(5500, 6500, other).unwrap();
        assert!(v.similarity > 0.99, "{v:?}");
    }

    #[test]
    fn another_voice_inside_an_asked_turn_is_not_learned() {
        let mut id = VoiceId::new(0.55);
        let user = unit(&[1.0, 0.0]);
        let other = unit(&[0.0, 1.0]);
        id.embedded(0, 1200, user.clone());
        assert!(id.embedded(2000, 3000, other.clone()).is_some());
        id.asked(3200);
        // The learned voice is the user's alone.
        let v = id.embedded(4000, 5000, user).unwrap();
        assert!(v.similarity > 0.99, "{v:?}");
    }
}
