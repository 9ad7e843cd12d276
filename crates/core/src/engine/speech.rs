//! The engine's speaking side: replies (streamed sentence by sentence) to the TTS stage, its
//! chunks to the player, and what the user has heard of it.

use super::*;
use crate::reasoning::Control;

impl Engine {
    /// What the user has heard of what we are saying: the current utterance, or the whole
    /// streamed answer it belongs to.
    pub(super) fn own_speech(&self, player: &Player) -> OwnSpeech {
        let queued = player.queued() > 0 || player.is_held();
        let producing = self.utterances.iter().any(|u| !u.synthesized);
        let unplayed = self.utterances.iter().any(|u| {
            u.chunks.iter().any(|&(id, _)| {
                player
                    .progress(id)
                    .is_some_and(|p| !p.finished && !p.stopped)
            })
        });
        let utterance = producing || unplayed;
        let Some(last) = self.utterances.back() else {
            return OwnSpeech {
                playing: queued,
                ..OwnSpeech::default()
            };
        };
        let parts: Vec<&Utterance> = match last.group {
            Some(g) => self
                .utterances
                .iter()
                .filter(|u| u.group == Some(g))
                .collect(),
            None => vec![last],
        };
        let mut text = String::new();
        let mut heard = String::new();
        let mut complete = true;
        for u in parts {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&u.text);
            if !complete {
                continue;
            }
            let (mut played, mut total) = (0u64, 0u64);
            for &(id, len) in &u.chunks {
                total += len;
                if let Some(p) = player.progress(id) {
                    played += p.played_source_samples;
                }
            }
            let chars = if u.synthesized && total > 0 {
                (played as f64 / total as f64 * u.text.len() as f64) as usize
            } else {
                (played as f64 / f64::from(TTS_RATE_HZ)
                    * CHARS_PER_SECOND
                    * f64::from(self.options.voice_speed)) as usize
            };
            let part = heard_prefix(&u.text, chars);
            complete = part.len() == u.text.len();
            if !part.is_empty() {
                if !heard.is_empty() {
                    heard.push(' ');
                }
                heard.push_str(&part);
            }
        }
        OwnSpeech {
            playing: queued || producing,
            utterance,
            heard,
            text,
        }
    }

    pub(super) fn on_tts(&mut self, out: TtsOut, player: &mut Player) {
        match out {
            TtsOut::Chunk { key, samples } => {
                let Some(idx) = self.utterances.iter().position(|u| u.key == key) else {
                    return;
                };
                // The synthesizer pads every chunk with silence (a quarter second or more at
                // each end): drop it before the first words, where it is only latency, and keep
                // sentence pauses natural (at most 60 ms before and 120 ms after a chunk).
                let samples = bound_silence(&samples, !self.utterances[idx].started);
                // Paused for the user's burst: the next chunk waits with the rest.
                let id = if self.held() {
                    player.append(samples)
                } else {
                    player.speak(samples)
                };
                let u = &mut self.utterances[idx];
                u.chunks.push((id, samples.len() as u64));
                if !u.started {
                    u.started = true;
                    let (text, speech) = (u.text.clone(), u.kind);
                    self.event(EventKind::SpeakStart { text, speech });
                }
            }
            TtsOut::Done { key } => {
                if let Some(u) = self.utterances.iter_mut().find(|u| u.key == key) {
                    u.synthesized = true;
                }
            }
            TtsOut::Failed { key, message } => {
                self.utterances.retain(|u| u.key != key);
                self.event(EventKind::Error {
                    stage: "tts".into(),
                    message,
                });
            }
        }
    }

    pub(super) fn on_reasoner(&mut self, out: ReasonOut) {
        let id = match &out {
            ReasonOut::Chunk { id, .. }
            | ReasonOut::Final { id, .. }
            | ReasonOut::Control { id, .. }
            | ReasonOut::Failed { id, .. }
            | ReasonOut::SlowAnswer { id } => *id,
            ReasonOut::Announcement { text } => {
                self.wake = true;
                self.from_reasoner
                    .push(FromReasoner::Announcement { text: text.clone() });
                return;
            }
        };
        if self.cancelled_requests.contains(&id) {
            return;
        }
        self.wake = true;
        match out {
            ReasonOut::Control {
                control: Control::AskAgain,
                ..
            } => self.ask_again = Some(id),
            ReasonOut::Control { control, .. } => self.on_control(control),
            ReasonOut::SlowAnswer { .. } => {
                self.from_reasoner
                    .push(FromReasoner::SlowAnswer { request: id });
            }
            ReasonOut::Chunk { text, .. } => {
                let stream = self.streams.entry(id).or_default();
                stream.received.push_str(&text);
                let Some(cut) = speakable_prefix(&stream.received[stream.delivered..]) else {
                    return;
                };
                let piece = stream.received[stream.delivered..stream.delivered + cut]
                    .trim()
                    .to_owned();
                stream.delivered += cut;
                if stream.speaking {
                    self.speak_more(id, piece);
                } else {
                    // The first sentence goes through the policy like any reply.
                    stream.speaking = true;
                    self.reply_ids.insert(piece.clone(), id);
                    let reply = self.reply(id, piece);
                    self.from_reasoner.push(reply);
                }
            }
            ReasonOut::Final { text, source, .. } => {
                self.event(EventKind::ReasoningResult {
                    id,
                    text: text.clone(),
                    source,
                });
                match self.streams.remove(&id) {
                    Some(stream) if stream.speaking => {
                        let rest = text.get(stream.delivered..).unwrap_or("").trim().to_owned();
                        if !rest.is_empty() {
                            self.speak_more(id, rest);
                        }
                    }
                    _ => {
                        self.reply_ids.insert(text.clone(), id);
                        let reply = self.reply(id, text);
                        self.from_reasoner.push(reply);
                    }
                }
            }
            ReasonOut::Failed { message, .. } => {
                self.streams.remove(&id);
                self.event(EventKind::Error {
                    stage: "reasoner".into(),
                    message: message.clone(),
                });
                self.from_reasoner.push(FromReasoner::Failed {
                    request: id,
                    message,
                });
            }
            ReasonOut::Announcement { .. } => unreachable!("handled above"),
        }
    }

    /// The first words of the answer to `id`, for the policy.
    fn reply(&self, id: u64, text: String) -> FromReasoner {
        if self.ask_again == Some(id) {
            FromReasoner::AskAgain { request: id, text }
        } else {
            FromReasoner::Reply { request: id, text }
        }
    }

    /// The next sentences of a streamed answer: spoken after its start, or kept until the
    /// policy has started it.
    pub(super) fn speak_more(&mut self, id: u64, text: String) {
        if text.is_empty() {
            return;
        }
        // The user took the floor between two sentences of a streamed answer (the last one had
        // played out): the rest is not said over them; their turn gets its own answer.
        if matches!(self.floor(), Floor::UserSpeaking | Floor::Yielding) {
            self.continuations.remove(&id);
            return;
        }
        let continuing = self.utterances.back().is_some_and(|u| u.group == Some(id));
        if continuing {
            self.queue_speech(text, SpeechKind::Answer, Some(id));
        } else if self.reply_ids.values().any(|&r| r == id) {
            // The policy has not started this answer yet: follow its start.
            self.continuations.entry(id).or_default().push(text);
        }
    }

    pub(super) fn speak(&mut self, text: String, kind: SpeechKind, player: &mut Player) {
        let cached = match kind {
            SpeechKind::Acknowledgement => self.phrases.next(Phrase::OneMoment),
            _ => None,
        };
        if let Some(clip) = cached {
            let id = player.speak(&clip.samples);
            self.utterances.push_back(Utterance {
                key: 0,
                group: None,
                text: clip.text.to_owned(),
                kind,
                chunks: vec![(id, clip.samples.len() as u64)],
                synthesized: true,
                started: true,
            });
            self.event(EventKind::SpeakStart {
                text: clip.text.to_owned(),
                speech: kind,
            });
        } else {
            let group = self.reply_ids.remove(&text);
            self.queue_speech(text, kind, group);
            if let Some(rest) = group.and_then(|g| self.continuations.remove(&g)) {
                for more in rest {
                    self.queue_speech(more, SpeechKind::Answer, group);
                }
            }
        }
        if self.reply_ids.len() > 16 {
            self.reply_ids.clear();
        }
    }

    /// Sends text to the TTS stage; its chunks are queued for playback as they come.
    pub(super) fn queue_speech(&mut self, text: String, kind: SpeechKind, group: Option<u64>) {
        let key = self.next_utterance;
        self.next_utterance += 1;
        self.utterances.push_back(Utterance {
            key,
            group,
            text: text.clone(),
            kind,
            chunks: Vec::new(),
            synthesized: false,
            started: false,
        });
        let seed = self.options.voice_seed.map(|s| s.wrapping_add(key));
        self.tts.submit(
            TtsJob {
                key,
                text,
                speed: self.options.voice_speed,
                seed,
            },
            self.last_now,
        );
        while self.utterances.len() > 32 {
            self.utterances.pop_front();
        }
    }
}

/// `samples` with the silence at its edges bounded: none before the first audible sample of
/// an utterance (5 ms margin at 24 kHz), else at most 60 ms; at most 120 ms after the last.
fn bound_silence(samples: &[f32], first: bool) -> &[f32] {
    const THRESHOLD: f32 = 0.01;
    let lead_keep = if first { 120 } else { 1_440 };
    let tail_keep = 2_880;
    let Some(first_loud) = samples.iter().position(|x| x.abs() >= THRESHOLD) else {
        return &samples[..0];
    };
    let last_loud = samples
        .iter()
        .rposition(|x| x.abs() >= THRESHOLD)
        .unwrap_or(first_loud);
    let start = first_loud.saturating_sub(lead_keep);
    let end = (last_loud + 1 + tail_keep).min(samples.len());
    &samples[start..end]
}

/// Where a streamed answer can be cut for speaking: after the last sentence end followed by
/// whitespace, or, in a long run without one, after the last clause break.
pub(super) fn speakable_prefix(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let sentence = (1..bytes.len())
        .rev()
        .find(|&i| bytes[i].is_ascii_whitespace() && matches!(bytes[i - 1], b'.' | b'!' | b'?'));
    if let Some(i) = sentence
        && text[..i].trim().len() >= 2
    {
        return Some(i);
    }
    if text.len() > 160 {
        return text.rfind(", ").map(|i| i + 1);
    }
    None
}

/// The first `chars` bytes of `text`, cut back to a word boundary.
pub(super) fn heard_prefix(text: &str, chars: usize) -> String {
    if chars >= text.len() {
        return text.to_owned();
    }
    let mut cut = chars;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let head = &text[..cut];
    match head.rfind(char::is_whitespace) {
        Some(i) => head[..i].trim_end().to_owned(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_answers_are_cut_after_sentences() {
        assert_eq!(speakable_prefix("Paris is big. It has"), Some(13));
        assert_eq!(speakable_prefix("Paris is big"), None);
        assert_eq!(speakable_prefix("Dr. Who? Yes. "), Some(13));
        let long = "a, ".repeat(60);
        assert!(speakable_prefix(&long).is_some());
    }

    #[test]
    fn chunk_edges_keep_only_a_natural_pause() {
        let mut x = vec![0.0f32; 24_000];
        x[10_000..12_000].fill(0.5);
        let first = bound_silence(&x, true);
        assert_eq!(first.len(), 120 + 2_000 + 2_880);
        let later = bound_silence(&x, false);
        assert_eq!(later.len(), 1_440 + 2_000 + 2_880);
        assert!(bound_silence(&[0.0; 100], false).is_empty());
    }

    #[test]
    fn heard_prefix_cuts_at_words() {
        assert_eq!(heard_prefix("Paris is the capital", 11), "Paris is");
        assert_eq!(heard_prefix("Paris is", 100), "Paris is");
        assert_eq!(heard_prefix("Paris", 3), "");
    }
}
