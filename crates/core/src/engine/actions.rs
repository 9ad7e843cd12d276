//! Carrying out the policy's actions: speech, ducking and holds, cut-ins, and what goes to the
//! reasoner (asks, cancels, confirmed speculation, what the user heard before cutting in).

use super::*;
use crate::audio::playback::VOLUME_RANGE;
use crate::reasoning::{Control, Request};
use stages::ReasonJob;

/// The voice's speaking rate stays in this range, however often the user asks.
pub(super) const VOICE_SPEED_RANGE: (f32, f32) = (0.6, 1.6);
/// One "slower" or "faster" changes the rate by this factor.
const VOICE_SPEED_STEP: f32 = 1.25;
/// One "louder" or "quieter": 3 dB.
const VOLUME_STEP: f32 = std::f32::consts::SQRT_2;

impl Engine {
    pub(super) fn act(&mut self, action: Action, now: Ms, player: &mut Player, inputs: &Inputs) {
        match action {
            Action::Floor { floor } => self.event(EventKind::Floor { floor }),
            Action::CheckEndOfTurn => {
                let to = self.history.end();
                let audio = self
                    .history
                    .slice(to.saturating_sub(TURN_WINDOW_SAMPLES), to);
                self.turn.submit(TurnJob { audio }, now);
            }
            Action::Backchannel { phrase } => {
                if let Some(clip) = self.phrases.next(Phrase::MmHm) {
                    player.speak(&clip.samples);
                }
                self.event(EventKind::Backchannel { phrase });
            }
            Action::Speak { text, kind } => {
                if kind == SpeechKind::Answer && !text.trim().is_empty() {
                    // A new answer: what was cut before is no longer "what you were saying".
                    self.cut_answer = None;
                }
                self.speak(text, kind, player);
            }
            Action::Duck => {
                player.duck(true);
                self.event(EventKind::Duck);
            }
            Action::Unduck => {
                player.duck(false);
                self.event(EventKind::Unduck);
            }
            Action::Hold => {
                player.hold(true);
                self.event(EventKind::Hold);
            }
            Action::Release => {
                player.hold(false);
                self.event(EventKind::Release);
            }
            Action::Stop { heard } => {
                // What was played, read before anything is cleared (the player is paused or
                // still playing: its accounting is where the user stopped hearing).
                self.remember_cut(player, now);
                player.stop();
                player.duck(false);
                self.tts.cancel(now);
                self.utterances.clear();
                // The rest of a streamed answer is not said after a barge-in.
                self.streams.clear();
                self.continuations.clear();
                self.event(EventKind::SpeakStop {
                    heard: heard.clone(),
                });
                self.event(EventKind::BargeIn { heard });
            }
            Action::Request {
                id,
                text,
                speculative,
                interrupted,
            } => {
                if !speculative {
                    self.tracker.learn_level();
                    self.voice_id.asked(now);
                }
                self.event(EventKind::ReasoningRequest {
                    id,
                    text: text.clone(),
                    speculative,
                    interrupted: interrupted.clone(),
                });
                let asr_logprob = self.asr_logprob(&text);
                let mut request = if speculative {
                    Request::partial(text)
                } else {
                    Request::new(text)
                };
                request.asr_logprob = asr_logprob;
                if let Some(v) = &self.visual {
                    request = request.with_visual(v.to_reasoning());
                }
                if let Some(cut) = &self.cut_answer {
                    request = request.with_assistant(cut.clone());
                } else if let Some(heard) = interrupted {
                    request = request.with_assistant(AssistantContext {
                        said: inputs.own.text.clone(),
                        heard,
                        request: None,
                    });
                }
                self.reasoner.submit(
                    ReasonJob::Ask {
                        id,
                        request,
                        speculative,
                    },
                    now,
                );
            }
            Action::CancelRequest { id } => {
                self.cancel_request(id, now);
            }
            Action::FinishRequest { id, text } => {
                let asr_logprob = self.asr_logprob(&text);
                self.reasoner.submit(
                    ReasonJob::Finish {
                        id,
                        text,
                        asr_logprob,
                    },
                    now,
                );
            }
            Action::TurnTaken { by_ear, by_words } => {
                self.event(EventKind::TurnTaken { by_ear, by_words });
            }
            Action::NotAddressed { text, reason } => {
                self.voice_id.dropped(now);
                self.event(EventKind::NotAddressed {
                    text,
                    reason: reason.to_string(),
                    why: reason,
                });
            }
        }
    }

    /// How sure the recognizer was of a request's `text`: of the final transcript it is (or of
    /// the less sure of the two it joins, when the user went on with a turn we took).
    fn asr_logprob(&self, text: &str) -> Option<f32> {
        request_logprob(&self.recent_finals, text)
    }

    /// Drops a request here and in the reasoner, which stops it before any side effect.
    pub(super) fn cancel_request(&mut self, id: u64, now: Ms) {
        if !self.cancelled_requests.insert(id) {
            return;
        }
        self.streams.remove(&id);
        self.event(EventKind::ReasoningCancel { id });
        self.reasoner.submit(ReasonJob::Cancel { id }, now);
    }

    /// The user cut in: keeps the answer they cut and what they heard of it, records it with
    /// its turn, and stops the rest of it in the reasoner.
    fn remember_cut(&mut self, player: &Player, now: Ms) {
        let own = self.own_speech(player);
        let Some(id) = self
            .utterances
            .back()
            .filter(|u| u.kind == SpeechKind::Answer)
            .and_then(|u| u.group)
        else {
            return;
        };
        // The whole answer as far as it came: a streamed answer may be ahead of the speech.
        let said = match self.streams.get(&id) {
            Some(s) if s.received.trim().len() > own.text.len() => s.received.trim().to_owned(),
            _ => own.text.clone(),
        };
        self.reasoner.submit(
            ReasonJob::Interrupted {
                id,
                heard: own.heard.clone(),
            },
            now,
        );
        self.cut_answer = Some(AssistantContext {
            said,
            heard: own.heard,
            request: None,
        });
        // A streaming answer stops here: its rest would never be said.
        if self.streams.contains_key(&id) {
            self.cancel_request(id, now);
        }
    }

    /// A speech control from the reasoner ("slower", "faster", "louder", "quieter"): the rate
    /// applies to the replies that follow (their words come with the control's `Final`), the
    /// volume from the next tick on.
    pub(super) fn on_control(&mut self, control: Control) {
        let (low, high) = VOICE_SPEED_RANGE;
        let speed = &mut self.options.voice_speed;
        match control {
            Control::Slower => *speed = (*speed / VOICE_SPEED_STEP).clamp(low, high),
            Control::Faster => *speed = (*speed * VOICE_SPEED_STEP).clamp(low, high),
            Control::Louder | Control::Quieter => {
                let (low, high) = VOLUME_RANGE;
                let volume = &mut self.options.voice_volume;
                *volume = if control == Control::Louder {
                    *volume * VOLUME_STEP
                } else {
                    *volume / VOLUME_STEP
                }
                .clamp(low, high);
            }
            // Stop, repeat and continue are carried by their (empty or spoken) answers; asking
            // again by how its answer reaches the policy (`Engine::on_reasoner`).
            Control::Stop | Control::Repeat | Control::Continue | Control::AskAgain => {}
        }
    }
}

/// The log-probability of the recent final a request's `text` is, or the lower of the two
/// finals it joins ("first" + " " + "second"). A final only contained in the text says
/// nothing: a cut-in heard as "x" (-1.77) made "Explain how the rainbow forms." (-0.47)
/// "misheard" by its letter x, and the first piece of a turn ("Sorry", -0.84) is decoded
/// again in the turn's whole final.
pub(super) fn request_logprob(finals: &VecDeque<(String, f32)>, text: &str) -> Option<f32> {
    let text = text.trim();
    let newest = || finals.iter().rev().map(|(t, lp)| (t.trim(), *lp));
    if let Some((_, lp)) = newest().find(|(t, _)| !t.is_empty() && *t == text) {
        return Some(lp);
    }
    let longest = |part: fn(&str, &str) -> bool| {
        newest()
            .filter(|(t, _)| !t.is_empty() && part(text, t))
            .max_by_key(|(t, _)| t.len())
            .map(|(_, lp)| lp)
    };
    let head = longest(|text, t| {
        text.strip_prefix(t)
            .is_some_and(|rest| rest.starts_with(' '))
    });
    let tail = longest(|text, t| text.strip_suffix(t).is_some_and(|rest| rest.ends_with(' ')));
    head.into_iter().chain(tail).reduce(f32::min)
}
