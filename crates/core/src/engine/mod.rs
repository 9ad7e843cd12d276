//! The interaction engine: the loop that drives the pure floor policy
//! ([`crate::interaction::step`]) with real models, real playback and the reasoner.
//!
//! One [`Engine`] runs on one thread (the `interaction` thread live; the caller's thread in
//! simulation). It is fed cleaned 20 ms microphone frames ([`Engine::on_audio`]) and woken
//! with the current audio time ([`Engine::tick`]). It steps the policy at every micro-turn
//! boundary (200 ms by default) and also early when something cannot wait: speech starting or
//! ending, a transcript, an end-of-turn verdict or a reply arriving, or a policy deadline such
//! as "pause now" during a barge-in. Whisper, smart-turn, the TTS and the reasoner are
//! [`worker::Worker`] stages, so none of them blocks the loop; in `virtual` pace their measured
//! compute time is charged to the virtual clock instead.
//!
//! Everything the engine does is reported as an [`Event`] (the `tandem duplex --events`
//! contract: `t_ms` plus `kind`).

pub mod baseline;
pub mod duplex;
pub mod listen;
pub mod live;
mod stages;
pub mod worker;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use serde::Serialize;

use crate::audio::playback::{Player, UtteranceId};
use crate::interaction::{
    Action, Floor, FromReasoner, Heard, Inputs, Ms, OwnSpeech, Params, SpeechKind, State, step,
};
use crate::models::asr::Word;
use crate::models::tts::{Phrase, PhraseCache, SAMPLE_RATE_HZ as TTS_RATE_HZ};
use crate::models::vad::StreamingVad;
use crate::reasoning::{AssistantContext, Request};

use baseline::Baseline;
use listen::{History, VoiceTracker, ms_to_samples, samples_to_ms, stable_prefix};
use stages::{AsrJob, AsrOut, ReasonJob, ReasonOut, TtsJob, TtsOut, TurnJob, TurnOut};
pub use stages::{EngineModels, EngineStages, StageError};
use worker::{Pace, Worker};

/// Audio kept before an utterance's onset when it is transcribed (VAD onsets are late by
/// up to a chunk, and soft word starts are below the threshold).
const PRE_ROLL_MS: Ms = 300;
/// A partial transcript at most this often while the user speaks.
const PARTIAL_EVERY_MS: Ms = 400;
/// Speech shorter than this is not transcribed as a partial yet.
const MIN_PARTIAL_SPEECH_MS: Ms = 300;
/// Audio smart-turn sees (its window is 8 s).
const TURN_WINDOW_SAMPLES: u64 = 128_000;
/// While the TTS is still producing, the user is assumed to hear this many characters per
/// second of played audio (at speed 1).
const CHARS_PER_SECOND: f64 = 14.0;

/// Which floor policy runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// Tandem's full-duplex policy.
    Tandem,
    /// The naive turn-based anchor: 800 ms of silence, answer, never stop.
    Baseline,
}

impl std::str::FromStr for PolicyKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tandem" => Ok(Self::Tandem),
            "baseline" => Ok(Self::Baseline),
            other => Err(format!("unknown policy `{other}`: use tandem or baseline")),
        }
    }
}

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Length of one micro-turn, 80-400 ms.
    pub micro_turn_ms: u32,
    pub policy: PolicyKind,
    pub params: Params,
    /// Speaking rate of the voice.
    pub voice_speed: f32,
    /// Seeds the voice's noise branch per utterance (deterministic simulation); `None` seeds
    /// from the clock.
    pub voice_seed: Option<u64>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            micro_turn_ms: 200,
            policy: PolicyKind::Tandem,
            params: Params::default(),
            voice_speed: 1.0,
            voice_seed: None,
        }
    }
}

/// One thing the engine did or noticed, at `t_ms` of audio time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub t_ms: Ms,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    Floor {
        floor: Floor,
    },
    VoiceStart {
        onset_ms: Ms,
        level_db: f32,
    },
    VoiceEnd {
        end_ms: Ms,
    },
    Partial {
        text: String,
        stable: String,
        /// Estimated word times (Whisper runs without timestamps).
        words: Vec<Word>,
        compute_ms: f32,
    },
    Final {
        text: String,
        words: Vec<Word>,
        compute_ms: f32,
    },
    EndOfTurn {
        probability: f32,
        compute_ms: f32,
    },
    /// The first audio of an utterance was queued for playback.
    SpeakStart {
        text: String,
        speech: SpeechKind,
    },
    SpeakStop {
        heard: String,
    },
    BargeIn {
        heard: String,
    },
    Backchannel {
        phrase: String,
    },
    Duck,
    Unduck,
    Hold,
    Release,
    ReasoningRequest {
        id: u64,
        text: String,
        speculative: bool,
        interrupted: Option<String>,
    },
    ReasoningCancel {
        id: u64,
    },
    ReasoningResult {
        id: u64,
        text: String,
        source: String,
    },
    NotAddressed {
        text: String,
        reason: String,
    },
    Error {
        stage: String,
        message: String,
    },
}

/// A streamed answer on its way.
#[derive(Debug, Default)]
struct AnswerStream {
    received: String,
    /// Bytes of `received` handed out to be spoken.
    delivered: usize,
    /// Its first part went to the policy.
    speaking: bool,
}

/// The running policy.
enum Policy {
    Tandem(Box<State>),
    Baseline(Baseline),
}

/// One utterance of ours on its way to the speaker.
#[derive(Debug)]
struct Utterance {
    key: u64,
    /// The streamed answer (request id) this sentence belongs to.
    group: Option<u64>,
    text: String,
    kind: SpeechKind,
    chunks: Vec<(UtteranceId, u64)>,
    synthesized: bool,
    started: bool,
}

/// The engine; see the module docs.
pub struct Engine {
    options: EngineOptions,
    policy: Policy,
    history: History,
    tracker: VoiceTracker,
    asr: Worker<AsrJob, AsrOut>,
    turn: Worker<TurnJob, TurnOut>,
    tts: Worker<TtsJob, TtsOut>,
    reasoner: Worker<ReasonJob, ReasonOut>,
    phrases: Arc<PhraseCache>,
    // Transcription bookkeeping.
    last_partial_at: Option<Ms>,
    last_partial_text: String,
    final_for: Option<(Ms, Ms)>,
    // What the next step sees.
    heard: Heard,
    end_of_turn: Option<f32>,
    from_reasoner: Vec<FromReasoner>,
    cancelled_requests: HashSet<u64>,
    // Streamed answers by request: text received, how much was handed out to be spoken.
    streams: HashMap<u64, AnswerStream>,
    /// Replies handed to the policy, by text, so the speech it starts is tied to its request.
    reply_ids: HashMap<String, u64>,
    /// Later sentences of answers whose first sentence the policy has not spoken yet.
    continuations: HashMap<u64, Vec<String>>,
    // Our speech.
    utterances: VecDeque<Utterance>,
    next_utterance: u64,
    // Timing.
    next_tick: Ms,
    wake: bool,
    last_now: Ms,
    events: Vec<Event>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("now", &self.last_now)
            .field("tracker", &self.tracker)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Builds the engine on the calling thread (the VAD is not `Send`) from started stages.
    pub fn new(
        stages: EngineStages,
        vad: StreamingVad,
        options: EngineOptions,
    ) -> Result<Self, StageError> {
        let policy = match options.policy {
            PolicyKind::Tandem => Policy::Tandem(Box::new(State::new(options.params.clone()))),
            PolicyKind::Baseline => Policy::Baseline(Baseline::default()),
        };
        Ok(Self {
            policy,
            history: History::default(),
            tracker: VoiceTracker::new(vad)?,
            asr: stages.asr,
            turn: stages.turn,
            tts: stages.tts,
            reasoner: stages.reasoner,
            phrases: stages.phrases,
            last_partial_at: None,
            last_partial_text: String::new(),
            final_for: None,
            heard: Heard::Nothing,
            end_of_turn: None,
            from_reasoner: Vec::new(),
            cancelled_requests: HashSet::new(),
            streams: HashMap::new(),
            reply_ids: HashMap::new(),
            continuations: HashMap::new(),
            utterances: VecDeque::new(),
            next_utterance: 1,
            next_tick: u64::from(options.micro_turn_ms),
            wake: false,
            last_now: 0,
            events: Vec::new(),
            options,
        })
    }

    /// The floor as the UI shows it.
    pub fn floor(&self) -> Floor {
        match &self.policy {
            Policy::Tandem(s) => s.floor(),
            Policy::Baseline(_) => Floor::Listening,
        }
    }

    /// Takes the events reported since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    fn event(&mut self, kind: EventKind) {
        tracing::debug!(t_ms = self.last_now, ?kind, "event");
        self.events.push(Event {
            t_ms: self.last_now,
            kind,
        });
    }

    /// Feeds cleaned 16 kHz microphone audio (the DSP chain's frames, in order).
    pub fn on_audio(&mut self, samples: &[f32]) {
        self.history.push(samples);
        if let Err(e) = self.tracker.push(samples, &self.history) {
            self.event(EventKind::Error {
                stage: "vad".into(),
                message: e.to_string(),
            });
        }
        if self.tracker.take_changes() {
            self.wake = true;
            self.last_now = samples_to_ms(self.history.end());
            let a = self.tracker.activity();
            if a.speaking {
                self.event(EventKind::VoiceStart {
                    onset_ms: a.onset_ms.unwrap_or(self.last_now),
                    level_db: a.level_db,
                });
            } else {
                self.event(EventKind::VoiceEnd {
                    end_ms: a.last_end_ms.unwrap_or(self.last_now),
                });
            }
        }
    }

    /// Audio time (ms) up to which microphone audio has been fed.
    pub fn audio_ms(&self) -> Ms {
        samples_to_ms(self.history.end())
    }

    /// When the engine wants to be woken next (audio ms): the next micro-turn boundary, a
    /// policy deadline, or an inline stage's next output.
    pub fn next_wake(&self) -> Ms {
        let mut t = self.next_tick;
        let deadline = match &self.policy {
            Policy::Tandem(s) => s.next_deadline(),
            Policy::Baseline(b) => b.next_deadline(self.tracker.activity().last_end_ms),
        };
        if let Some(d) = deadline {
            t = t.min(d);
        }
        for r in [
            self.asr.next_ready_ms(),
            self.turn.next_ready_ms(),
            self.tts.next_ready_ms(),
            self.reasoner.next_ready_ms(),
        ]
        .into_iter()
        .flatten()
        {
            t = t.min(r);
        }
        t
    }

    /// Runs the loop up to `now` (audio ms): collects stage outputs, steps the policy when a
    /// micro-turn boundary, a deadline or an event calls for it, and carries out its actions.
    pub fn tick(&mut self, now: Ms, player: &mut Player) {
        self.last_now = now;
        self.collect(now, player);
        let due = now >= self.next_wake() || self.wake;
        if due {
            self.wake = false;
            if now >= self.next_tick {
                let period = u64::from(self.options.micro_turn_ms);
                self.next_tick = (now / period + 1) * period;
            }
            self.step(now, player);
        }
        self.schedule_transcription(now);
        player.pump();
    }

    fn step(&mut self, now: Ms, player: &mut Player) {
        let inputs = Inputs {
            voice: self.tracker.activity(),
            heard: std::mem::take(&mut self.heard),
            end_of_turn: self.end_of_turn.take(),
            own: self.own_speech(player),
            visual: None,
            reasoner: std::mem::take(&mut self.from_reasoner),
        };
        let actions = match &mut self.policy {
            Policy::Tandem(s) => step(s, &inputs, now),
            Policy::Baseline(b) => b.step(&inputs, now),
        };
        for a in actions {
            self.act(a, now, player, &inputs);
        }
    }

    /// What the user has heard of what we are saying: the current utterance, or the whole
    /// streamed answer it belongs to.
    fn own_speech(&self, player: &Player) -> OwnSpeech {
        let queued = player.queued() > 0 || player.is_held();
        let producing = self.utterances.iter().any(|u| !u.synthesized);
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
            heard,
            text,
        }
    }

    fn collect(&mut self, now: Ms, player: &mut Player) {
        let mut asr = Vec::new();
        self.asr.poll(now, &mut asr);
        for out in asr {
            self.wake = true;
            match out {
                AsrOut::Text {
                    text,
                    words,
                    is_final,
                    utterance_ms,
                    compute_ms,
                } => {
                    if Some(utterance_ms) != self.utterance_start() {
                        continue;
                    }
                    if is_final {
                        self.event(EventKind::Final {
                            text: text.clone(),
                            words,
                            compute_ms,
                        });
                        self.heard = Heard::Final { text };
                    } else if !matches!(self.heard, Heard::Final { .. }) {
                        let stable = stable_prefix(&self.last_partial_text, &text);
                        self.last_partial_text.clone_from(&text);
                        self.event(EventKind::Partial {
                            text: text.clone(),
                            stable: stable.clone(),
                            words,
                            compute_ms,
                        });
                        self.heard = Heard::Partial { text, stable };
                    }
                }
                AsrOut::Failed(message) => self.event(EventKind::Error {
                    stage: "asr".into(),
                    message,
                }),
            }
        }
        let mut turn = Vec::new();
        self.turn.poll(now, &mut turn);
        for out in turn {
            self.wake = true;
            match out {
                TurnOut::Probability {
                    probability,
                    compute_ms,
                } => {
                    self.event(EventKind::EndOfTurn {
                        probability,
                        compute_ms,
                    });
                    self.end_of_turn = Some(probability);
                }
                TurnOut::Failed(message) => self.event(EventKind::Error {
                    stage: "turn".into(),
                    message,
                }),
            }
        }
        let mut tts = Vec::new();
        self.tts.poll(now, &mut tts);
        for out in tts {
            self.on_tts(out, player);
        }
        let mut reasoner = Vec::new();
        self.reasoner.poll(now, &mut reasoner);
        for out in reasoner {
            self.on_reasoner(out);
        }
    }

    fn on_tts(&mut self, out: TtsOut, player: &mut Player) {
        match out {
            TtsOut::Chunk { key, samples } => {
                let Some(idx) = self.utterances.iter().position(|u| u.key == key) else {
                    return;
                };
                // The synthesizer pads every chunk with silence (a quarter second or more at
                // each end): drop it before the first words, where it is only latency, and keep
                // sentence pauses natural (at most 60 ms before and 120 ms after a chunk).
                let samples = bound_silence(&samples, !self.utterances[idx].started);
                let id = player.speak(samples);
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

    fn on_reasoner(&mut self, out: ReasonOut) {
        let id = match &out {
            ReasonOut::Chunk { id, .. }
            | ReasonOut::Final { id, .. }
            | ReasonOut::Failed { id, .. } => *id,
        };
        if self.cancelled_requests.contains(&id) {
            return;
        }
        self.wake = true;
        match out {
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
                    self.from_reasoner.push(FromReasoner::Reply {
                        request: id,
                        text: piece,
                    });
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
                        self.from_reasoner
                            .push(FromReasoner::Reply { request: id, text });
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
        }
    }

    /// The next sentences of a streamed answer: spoken after its start, or kept until the
    /// policy has started it.
    fn speak_more(&mut self, id: u64, text: String) {
        if text.is_empty() {
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

    fn utterance_start(&self) -> Option<Ms> {
        match &self.policy {
            Policy::Tandem(s) => s.utterance_start(),
            Policy::Baseline(b) => b.utterance_start(),
        }
        .or_else(|| {
            self.tracker
                .speaking()
                .then(|| self.tracker.onset_ms())
                .flatten()
        })
    }

    /// Partials while the user speaks, a final when they stop.
    fn schedule_transcription(&mut self, now: Ms) {
        let Some(start) = self.utterance_start() else {
            self.last_partial_at = None;
            self.last_partial_text.clear();
            return;
        };
        let from = ms_to_samples(start.saturating_sub(PRE_ROLL_MS));
        let to = self.history.end();
        let activity = self.tracker.activity();
        // The speech may have just ended: start the final now rather than after the
        // segmenter's 96 ms of confirmation (a stale final is replaced if speech resumes).
        let end = if activity.speaking {
            self.tracker.tentative_end_ms()
        } else {
            activity.last_end_ms
        };
        if let Some(end) = end
            && end > start
            && self.final_for != Some((start, end))
        {
            self.final_for = Some((start, end));
            self.asr.cancel(now);
            let audio = self.history.slice(from, to);
            self.asr.submit(
                AsrJob {
                    audio,
                    is_final: true,
                    utterance_ms: start,
                    audio_start_ms: samples_to_ms(from),
                },
                now,
            );
        } else if activity.speaking {
            let due = self
                .last_partial_at
                .is_none_or(|t| now >= t + PARTIAL_EVERY_MS);
            if due && !self.asr.is_busy() && now >= start + MIN_PARTIAL_SPEECH_MS {
                self.last_partial_at = Some(now);
                let audio = self.history.slice(from, to);
                self.asr.submit(
                    AsrJob {
                        audio,
                        is_final: false,
                        utterance_ms: start,
                        audio_start_ms: samples_to_ms(from),
                    },
                    now,
                );
            }
        }
    }

    fn act(&mut self, action: Action, now: Ms, player: &mut Player, inputs: &Inputs) {
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
            Action::Speak { text, kind } => self.speak(text, kind, player),
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
                }
                self.event(EventKind::ReasoningRequest {
                    id,
                    text: text.clone(),
                    speculative,
                    interrupted: interrupted.clone(),
                });
                let mut request = if speculative {
                    Request::partial(text)
                } else {
                    Request::new(text)
                };
                if let Some(heard) = interrupted {
                    request = request.with_assistant(AssistantContext {
                        said: inputs.own.text.clone(),
                        heard,
                        request: None,
                    });
                }
                self.reasoner.submit(
                    ReasonJob {
                        id,
                        request,
                        speculative,
                    },
                    now,
                );
            }
            Action::CancelRequest { id } => {
                self.cancelled_requests.insert(id);
                self.streams.remove(&id);
                self.event(EventKind::ReasoningCancel { id });
            }
            Action::NotAddressed { text, reason } => {
                self.event(EventKind::NotAddressed { text, reason });
            }
        }
    }

    fn speak(&mut self, text: String, kind: SpeechKind, player: &mut Player) {
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
    fn queue_speech(&mut self, text: String, kind: SpeechKind, group: Option<u64>) {
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

    /// Compute spent per stage so far (ms), for reports.
    pub fn stage_busy_ms(&self) -> [(&'static str, f64); 4] {
        [
            ("asr", self.asr.busy_ms()),
            ("turn", self.turn.busy_ms()),
            ("tts", self.tts.busy_ms()),
            ("reasoner", self.reasoner.busy_ms()),
        ]
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
fn speakable_prefix(text: &str) -> Option<usize> {
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
fn heard_prefix(text: &str, chars: usize) -> String {
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

/// Pace re-exported for callers.
pub use worker::Pace as EnginePace;

impl From<Pace> for &'static str {
    fn from(p: Pace) -> Self {
        match p {
            Pace::Virtual => "virtual",
            Pace::Realtime => "realtime",
        }
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
