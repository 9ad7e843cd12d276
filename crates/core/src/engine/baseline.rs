//! The naive turn-based baseline that `tandem eval` scores next to Tandem, as the anchor:
//! wait for 800 ms of silence, answer, never stop, never listen while speaking.

use crate::interaction::{Action, Floor, FromReasoner, Heard, Inputs, Ms, SpeechKind};

/// Silence that ends a turn.
pub const BASELINE_SILENCE_MS: Ms = 800;
/// How long to wait for the transcript after the silence before giving up on the turn.
const TRANSCRIPT_WAIT_MS: Ms = 3000;

#[derive(Debug, Default)]
pub struct Baseline {
    floor: Option<Floor>,
    turn_start: Option<Ms>,
    text: String,
    pending: Option<u64>,
    next_id: u64,
    speaking_until_quiet: bool,
    /// Our answer's audio has started (so its end can be told from its not having begun).
    heard_playing: bool,
    answer_at: Ms,
}

impl Baseline {
    pub fn utterance_start(&self) -> Option<Ms> {
        self.turn_start
    }

    pub fn next_deadline(&self, last_end: Option<Ms>) -> Option<Ms> {
        self.turn_start
            .and(last_end)
            .map(|e| e + BASELINE_SILENCE_MS)
    }

    fn set_floor(&mut self, floor: Floor, out: &mut Vec<Action>) {
        if self.floor != Some(floor) {
            self.floor = Some(floor);
            out.push(Action::Floor { floor });
        }
    }

    pub fn step(&mut self, inp: &Inputs, now: Ms) -> Vec<Action> {
        let mut out = Vec::new();
        for ev in &inp.reasoner {
            let (request, text) = match ev {
                FromReasoner::Reply { request, text }
                | FromReasoner::AskAgain { request, text } => (*request, text.clone()),
                FromReasoner::Failed { request, message } => (*request, message.clone()),
                FromReasoner::Announcement { .. } | FromReasoner::SlowAnswer { .. } => continue,
            };
            if self.pending == Some(request) {
                self.pending = None;
                if text.trim().is_empty() {
                    self.set_floor(Floor::Listening, &mut out);
                } else {
                    out.push(Action::Speak {
                        text,
                        kind: SpeechKind::Answer,
                    });
                    self.speaking_until_quiet = true;
                    self.heard_playing = false;
                    self.answer_at = now;
                    self.set_floor(Floor::Speaking, &mut out);
                }
            }
        }
        if inp.own.playing {
            self.heard_playing = true;
        }
        if inp.own.playing || self.speaking_until_quiet && self.pending.is_none() {
            // Half duplex: while it talks it hears nothing.
            let started_or_gave_up =
                self.heard_playing || now >= self.answer_at + TRANSCRIPT_WAIT_MS;
            if !inp.own.playing && self.speaking_until_quiet && started_or_gave_up {
                self.speaking_until_quiet = false;
                self.set_floor(Floor::Listening, &mut out);
            }
            self.turn_start = None;
            self.text.clear();
            return out;
        }
        if self.pending.is_some() {
            return out;
        }
        match &inp.heard {
            Heard::Final { text } | Heard::Partial { text, .. } => self.text.clone_from(text),
            Heard::Nothing => {}
        }
        let v = inp.voice;
        if v.speaking {
            if self.turn_start.is_none() {
                self.turn_start = Some(v.onset_ms.unwrap_or(now));
            }
            self.set_floor(Floor::UserSpeaking, &mut out);
            return out;
        }
        let (Some(_), Some(end)) = (self.turn_start, v.last_end_ms) else {
            return out;
        };
        let silence = now.saturating_sub(end);
        let final_text = matches!(inp.heard, Heard::Final { .. }) || !self.text.is_empty();
        if silence >= BASELINE_SILENCE_MS && final_text && !self.text.trim().is_empty() {
            self.next_id += 1;
            let id = self.next_id;
            out.push(Action::Request {
                id,
                text: std::mem::take(&mut self.text),
                speculative: false,
                interrupted: None,
            });
            self.pending = Some(id);
            self.turn_start = None;
            self.set_floor(Floor::Thinking, &mut out);
        } else if silence >= BASELINE_SILENCE_MS + TRANSCRIPT_WAIT_MS {
            self.turn_start = None;
            self.text.clear();
            self.set_floor(Floor::Listening, &mut out);
        }
        out
    }
}
