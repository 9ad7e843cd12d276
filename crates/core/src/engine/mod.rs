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

mod actions;
pub mod baseline;
pub mod duplex;
mod events;
pub mod floor_extract;
pub mod floor_features;
pub mod listen;
pub mod live;
pub mod mic_gate;
mod recent;
mod speech;
mod stages;
#[cfg(test)]
mod text_tests;
mod voice_id;
pub mod worker;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::audio::dsp::CleanFrame;
use crate::audio::playback::{Player, UtteranceId};
pub use crate::interaction::PolicyKind;
use crate::interaction::{
    Action, Floor, FloorProbs, FromReasoner, Heard, Inputs, Ms, NotAddressedReason, OwnSpeech,
    Params, RunVoice, SpeechKind, State, TextProbs, step,
};
use crate::models::asr::Word;
use crate::models::floor::FloorModel;
use crate::models::tts::{Phrase, PhraseCache, SAMPLE_RATE_HZ as TTS_RATE_HZ};
use crate::models::vad::StreamingVad;
use crate::reasoning::AssistantContext;
use crate::vision::VisualContext;
use floor_features::{FloorFeatures, FrameContext};

use baseline::Baseline;
pub use events::{Event, EventKind};
use listen::{History, VoiceTracker, ms_to_samples, samples_to_ms, stable_prefix};
pub use mic_gate::MicGate;
use stages::{
    AsrJob, AsrOut, ReasonJob, ReasonOut, TtsJob, TtsOut, TurnJob, TurnOut, VoiceJob, VoiceOut,
};
pub use stages::{EngineModels, EngineStages, StageError};
use worker::Worker;

/// Audio kept before an utterance's onset when it is transcribed (VAD onsets are late by
/// up to a chunk, and soft word starts are below the threshold).
const PRE_ROLL_MS: Ms = 300;
/// Final transcripts kept for the requests made of them.
const RECENT_FINALS: usize = 4;
/// A partial transcript at most this often while the user speaks.
const PARTIAL_EVERY_MS: Ms = 400;
/// ... and no more often than this many times its last compute time: partials feed the live
/// transcript (the floor decides from finals and the models), so on a slow machine they take
/// at most a third of a core instead of queueing the final behind them.
const PARTIAL_COST_SHARE: f32 = 3.0;
/// Speech shorter than this is not transcribed as a partial yet.
const MIN_PARTIAL_SPEECH_MS: Ms = 300;
/// Audio smart-turn sees (its window is 8 s).
const TURN_WINDOW_SAMPLES: u64 = 128_000;
/// While the TTS is still producing, the user is assumed to hear this many characters per
/// second of played audio (at speed 1).
const CHARS_PER_SECOND: f64 = 14.0;

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Length of one micro-turn, 80-400 ms.
    pub micro_turn_ms: u32,
    pub policy: PolicyKind,
    pub params: Params,
    /// Speaking rate of the voice.
    pub voice_speed: f32,
    /// Volume of the voice, a gain (1.0 as synthesized; "louder" and "quieter" change it).
    pub voice_volume: f32,
    /// Seeds the voice's noise branch per utterance (deterministic simulation); `None` seeds
    /// from the clock.
    pub voice_seed: Option<u64>,
    /// Mute and push-to-talk: while closed the engine hears silence (see [`MicGate`]).
    pub mic: MicGate,
    /// Tell the user's voice from others (`interaction.voice_id`).
    pub voice_id: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            micro_turn_ms: 200,
            policy: PolicyKind::default(),
            params: Params::default(),
            voice_speed: 1.0,
            voice_volume: 1.0,
            voice_seed: None,
            mic: MicGate::default(),
            voice_id: true,
        }
    }
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
    voice: Worker<VoiceJob, VoiceOut>,
    tts: Worker<TtsJob, TtsOut>,
    reasoner: Worker<ReasonJob, ReasonOut>,
    phrases: Arc<PhraseCache>,
    /// Who is speaking: runs embedded, the user's voice learned from their requests.
    voice_id: voice_id::VoiceId,
    /// The latest run's voice, for the next step.
    run_voice: Option<RunVoice>,
    /// The text model's verdict on the transcript in `heard` (a final, or a partial judged while
    /// we were paused for a burst).
    judged: Option<TextProbs>,
    /// How sure the recognizer was of the final transcript in `heard`.
    final_logprob: Option<f32>,
    /// The latest final transcripts and how sure the recognizer was of each, for the request
    /// made of them (a turn the user went on with joins two).
    recent_finals: VecDeque<(String, f32)>,
    // Transcription bookkeeping.
    last_partial_at: Option<Ms>,
    last_partial_text: String,
    /// What the last partial cost (ms of compute).
    partial_cost_ms: f32,
    final_for: Option<(Ms, Ms)>,
    // What the next step sees.
    heard: Heard,
    end_of_turn: Option<f32>,
    from_reasoner: Vec<FromReasoner>,
    /// The latest requests we cancelled, whose late outputs are ignored (bounded).
    cancelled_requests: recent::RecentIds,
    /// The request whose answer asks the user to say their words again (`Control::AskAgain`).
    ask_again: Option<u64>,
    /// The answer the user cut into last, with what they heard of it (the player's
    /// accounting at the cut): requests carry it until a new answer is spoken, so "go on"
    /// resumes it and the LLM knows it was cut off.
    cut_answer: Option<AssistantContext>,
    /// The latest visual context while the camera is on.
    visual: Option<VisualContext>,
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
    /// Zeros fed in place of the microphone while the gate is closed (grown once to the frame
    /// size, then reused).
    silence: Vec<f32>,
    /// The floor model and its features (`--policy model` only).
    floor: Option<FloorStage>,
    /// Our voice was playing (or held) at the last step: a floor feature.
    own_playing: bool,
}

/// The floor model as a stage: features computed as audio arrives, the model run inline at
/// every step (a fraction of a millisecond).
struct FloorStage {
    features: FloorFeatures,
    model: FloorModel,
    /// The model failed once: reported, and the rules decide from then on.
    failed: bool,
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
            PolicyKind::Rules | PolicyKind::Model => {
                Policy::Tandem(Box::new(State::new(options.params.clone())))
            }
            PolicyKind::Baseline => Policy::Baseline(Baseline::default()),
        };
        let floor = match options.policy {
            PolicyKind::Model => Some(FloorStage {
                features: FloorFeatures::new(),
                model: stages.floor.ok_or(StageError::NoFloorModel)?,
                failed: false,
            }),
            _ => None,
        };
        Ok(Self {
            policy,
            history: History::default(),
            tracker: VoiceTracker::new(vad)?,
            asr: stages.asr,
            turn: stages.turn,
            voice: stages.voice,
            voice_id: voice_id::VoiceId::new(options.params.other_voice_below),
            run_voice: None,
            judged: None,
            final_logprob: None,
            recent_finals: VecDeque::with_capacity(RECENT_FINALS + 1),
            tts: stages.tts,
            reasoner: stages.reasoner,
            phrases: stages.phrases,
            last_partial_at: None,
            last_partial_text: String::new(),
            partial_cost_ms: 0.0,
            final_for: None,
            heard: Heard::Nothing,
            end_of_turn: None,
            from_reasoner: Vec::new(),
            cancelled_requests: recent::RecentIds::new(recent::CANCELLED_KEPT),
            ask_again: None,
            cut_answer: None,
            visual: None,
            streams: HashMap::new(),
            reply_ids: HashMap::new(),
            continuations: HashMap::new(),
            utterances: VecDeque::new(),
            next_utterance: 1,
            next_tick: u64::from(options.micro_turn_ms),
            wake: false,
            last_now: 0,
            events: Vec::new(),
            silence: Vec::new(),
            floor,
            own_playing: false,
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

    /// Whether the policy holds our speech paused for the user's burst.
    fn held(&self) -> bool {
        match &self.policy {
            Policy::Tandem(s) => s.is_held(),
            Policy::Baseline(_) => false,
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

    /// The mute switch of this engine's microphone (shared with [`EngineOptions::mic`]).
    pub fn mic_gate(&self) -> MicGate {
        self.options.mic.clone()
    }

    /// Feeds cleaned 16 kHz microphone audio (the DSP chain's frames, in order). While the
    /// microphone gate is closed, silence of the same length goes in instead.
    pub fn on_audio(&mut self, samples: &[f32]) {
        self.on_audio_with_level(samples, crate::audio::rms(samples));
    }

    /// A DSP chain frame: its cleaned audio, and the user's level from the echo canceller's
    /// linear output (not turned down during double talk).
    pub fn on_frame(&mut self, frame: &CleanFrame) {
        self.on_audio_with_level(&frame.samples[..], frame.user_rms);
    }

    fn on_audio_with_level(&mut self, samples: &[f32], level_rms: f32) {
        if !self.options.mic.is_open() {
            let mut silence = std::mem::take(&mut self.silence);
            silence.clear();
            silence.resize(samples.len(), 0.0);
            self.hear(&silence, 0.0);
            self.silence = silence;
            return;
        }
        self.hear(samples, level_rms);
    }

    fn hear(&mut self, samples: &[f32], level_rms: f32) {
        self.history.push_with_level(samples, level_rms);
        if let Err(e) = self.tracker.push(samples, &self.history) {
            self.event(EventKind::Error {
                stage: "vad".into(),
                message: e.to_string(),
            });
        }
        if let Some(floor) = &mut self.floor {
            let ctx = FrameContext::from_tracker(&self.tracker, self.own_playing);
            floor.features.push(samples, || ctx, |_| {});
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
                if let (true, Some(start), Some(end)) = (
                    self.options.voice_id,
                    self.tracker.onset_ms(),
                    a.last_end_ms,
                ) && voice_id::long_enough(start, end)
                {
                    let audio = self.history.slice(ms_to_samples(start), ms_to_samples(end));
                    self.voice.submit(
                        VoiceJob {
                            audio,
                            start_ms: start,
                            end_ms: end,
                        },
                        self.last_now,
                    );
                }
            }
        }
    }

    /// The camera's latest view of the user (`None`: camera off or no recent frame). The
    /// policy sees it at every step (speech from a user who is turned away or absent is not
    /// taken as addressed to us) and requests carry it to the reasoner ("what do you see?").
    pub fn set_visual(&mut self, visual: Option<VisualContext>) {
        let key = |v: &Option<VisualContext>| v.map(|v| (v.present, v.facing, v.faces));
        if key(&visual) != key(&self.visual) {
            self.event(EventKind::Visual {
                present: visual.map(|v| v.present),
                facing: visual.map(|v| v.present && v.facing),
                faces: visual.map(|v| v.faces),
                yaw_deg: visual.and_then(|v| v.yaw_deg),
            });
        }
        self.visual = visual;
    }

    /// The visual context the engine is using.
    pub fn visual(&self) -> Option<VisualContext> {
        self.visual
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
            self.voice.next_ready_ms(),
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
        player.set_volume(self.options.voice_volume);
        player.pump();
    }

    fn step(&mut self, now: Ms, player: &mut Player) {
        // The utterance's last verdicts are still being computed: its final transcript, or
        // whose voice its last run was.
        let final_pending = self.asr.is_busy()
            && !matches!(self.heard, Heard::Final { .. })
            && self
                .final_for
                .is_some_and(|(start, _)| Some(start) == self.utterance_start())
            || self.voice.is_busy();
        let own = self.own_speech(player);
        self.own_playing = own.playing;
        let inputs = Inputs {
            voice: self.tracker.activity(),
            heard: std::mem::take(&mut self.heard),
            end_of_turn: self.end_of_turn.take(),
            own,
            visual: self.visual.as_ref().map(VisualContext::to_policy),
            reasoner: std::mem::take(&mut self.from_reasoner),
            final_pending,
            floor: self.floor_verdict(),
            run_voice: self.run_voice.take(),
            judged: self.judged.take(),
            final_logprob: self.final_logprob.take(),
        };
        let actions = match &mut self.policy {
            Policy::Tandem(s) => step(s, &inputs, now),
            Policy::Baseline(b) => b.step(&inputs, now),
        };
        for a in actions {
            self.act(a, now, player, &inputs);
        }
    }

    /// The floor model's probabilities for this step (`None` under the rules, or after the
    /// model failed: the error is reported once and the rules decide).
    fn floor_verdict(&mut self) -> Option<FloorProbs> {
        let floor = self.floor.as_mut().filter(|f| !f.failed)?;
        match floor.model.predict(&floor.features) {
            Ok(p) => {
                tracing::trace!(
                    t_ms = self.last_now,
                    turn_complete = p.turn_complete,
                    interruption = p.interruption,
                    addressed = p.addressed,
                    "floor model"
                );
                Some(p)
            }
            Err(e) => {
                floor.failed = true;
                self.event(EventKind::Error {
                    stage: "floor".into(),
                    message: format!("{e}; the rules decide from now on"),
                });
                None
            }
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
                    judged,
                    avg_logprob,
                    is_final,
                    utterance_ms,
                    compute_ms,
                } => {
                    if !is_final {
                        self.partial_cost_ms = compute_ms;
                    }
                    if Some(utterance_ms) != self.utterance_start() {
                        continue;
                    }
                    if is_final {
                        self.event(EventKind::Final {
                            text: text.clone(),
                            words,
                            judged,
                            avg_logprob,
                            compute_ms,
                        });
                        self.recent_finals.push_back((text.clone(), avg_logprob));
                        if self.recent_finals.len() > RECENT_FINALS {
                            self.recent_finals.pop_front();
                        }
                        self.heard = Heard::Final { text };
                        self.judged = judged;
                        self.final_logprob = Some(avg_logprob);
                    } else if !matches!(self.heard, Heard::Final { .. }) {
                        let stable = stable_prefix(&self.last_partial_text, &text);
                        self.last_partial_text.clone_from(&text);
                        self.event(EventKind::Partial {
                            text: text.clone(),
                            stable: stable.clone(),
                            words,
                            compute_ms,
                        });
                        if let Some(j) = &judged {
                            tracing::debug!(?j, "partial judged");
                        }
                        self.heard = Heard::Partial { text, stable };
                        self.judged = judged;
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
                    let pause = self.tracker.activity().last_end_ms;
                    if let (Some(floor), Some(pause)) = (&mut self.floor, pause) {
                        floor.features.set_end_of_turn(pause, probability);
                    }
                }
                TurnOut::Failed(message) => self.event(EventKind::Error {
                    stage: "turn".into(),
                    message,
                }),
            }
        }
        let mut voice = Vec::new();
        self.voice.poll(now, &mut voice);
        for out in voice {
            self.wake = true;
            match out {
                VoiceOut::Embedding {
                    start_ms,
                    end_ms,
                    embedding: Some(e),
                } => {
                    let verdict = self.voice_id.embedded(start_ms, end_ms, e);
                    if let Some(v) = verdict {
                        self.event(EventKind::Voice {
                            start_ms,
                            end_ms,
                            similarity: v.similarity,
                        });
                        self.run_voice = Some(v);
                    }
                }
                VoiceOut::Embedding {
                    embedding: None, ..
                } => {}
                VoiceOut::Failed(message) => self.event(EventKind::Error {
                    stage: "voice".into(),
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
        if let Some(end) = activity.stopped_at_ms()
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
                    judge: self.floor.is_some(),
                    utterance_ms: start,
                    audio_start_ms: samples_to_ms(from),
                },
                now,
            );
        } else if activity.speaking {
            let every = PARTIAL_EVERY_MS.max((self.partial_cost_ms * PARTIAL_COST_SHARE) as Ms);
            let due = self.last_partial_at.is_none_or(|t| now >= t + every);
            if due && !self.asr.is_busy() && now >= start + MIN_PARTIAL_SPEECH_MS {
                self.last_partial_at = Some(now);
                let audio = self.history.slice(from, to);
                self.asr.submit(
                    AsrJob {
                        audio,
                        is_final: false,
                        // Paused for speech over our voice: its partials are judged, so a
                        // backchannel lets us go on before it ends.
                        judge: self.floor.is_some() && self.held(),
                        utterance_ms: start,
                        audio_start_ms: samples_to_ms(from),
                    },
                    now,
                );
            }
        }
    }

    /// Compute spent per stage so far (ms), for reports.
    pub fn stage_busy_ms(&self) -> [(&'static str, f64); 5] {
        [
            ("asr", self.asr.busy_ms()),
            ("turn", self.turn.busy_ms()),
            ("voice", self.voice.busy_ms()),
            ("tts", self.tts.busy_ms()),
            ("reasoner", self.reasoner.busy_ms()),
        ]
    }
}
