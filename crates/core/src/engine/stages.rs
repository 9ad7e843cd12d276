//! The engine's slow stages as [`Worker`] jobs: Whisper, smart-turn, the voice encoder, the TTS
//! and the reasoner.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::worker::{Emit, Pace, Worker};
use crate::config::{Config, LlmConfig};
use crate::interaction::TextProbs;
use crate::models::asr::{AsrError, FULL_WINDOW_FRAMES, Whisper, Word};
use crate::models::floor::FloorModel;
use crate::models::mel::HOP_LENGTH;
use crate::models::runtime::Runtime;
use crate::models::text::{TextError, TextModel};
use crate::models::tts::stream::SpeechLead;
use crate::models::tts::{
    PhraseCache, SAMPLE_RATE_HZ as TTS_SAMPLE_RATE_HZ, StreamConfig, SynthOptions, Tts, TtsError,
    stream_utterance,
};
use crate::models::turn::{TurnDetector, TurnError};
use crate::models::vad::{SileroVad, VadError};
use crate::models::voice::{Embedding, VoiceEncoder, VoiceError};
use crate::models::{Manifest, ModelCache};
use crate::reasoning::llm::embedded::embedded_model_path;
use crate::reasoning::{
    Control, Reasoner, ReasonerError, ReasonerEvent, ReasonerHandle, ReasonerOptions, Request,
    RequestId,
};
use crate::store::Store;

/// In virtual pace an ask waits for its answer; a reasoner silent this long about it is taken
/// to be gone (it bounds every answer itself: the LLM's total timeout is 60 s). Each event of
/// the request restarts the wait, so a streamed answer is never cut.
const SILENT_REASONER: Duration = Duration::from_secs(90);
/// How often the link relays the reasoner's events while no job comes.
const RELAY_EVERY: Duration = Duration::from_millis(10);
/// Loop ids of finished requests kept, so a late cut-in or cancel still finds its request.
const IDS_KEPT: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error(transparent)]
    Asr(#[from] AsrError),
    #[error(transparent)]
    Turn(#[from] TurnError),
    #[error(transparent)]
    Tts(#[from] TtsError),
    #[error(transparent)]
    Vad(#[from] VadError),
    #[error(transparent)]
    Voice(#[from] VoiceError),
    #[error(transparent)]
    Text(#[from] TextError),
    #[error(transparent)]
    Reasoner(#[from] ReasonerError),
    #[error(transparent)]
    Floor(#[from] crate::models::floor::FloorError),
    #[error("--policy model needs the floor model, and these stages were started without it")]
    NoFloorModel,
    #[error("cannot start the {0} thread: {1}")]
    Thread(&'static str, std::io::Error),
    #[error(
        "the embedded language model is not ready: {0} (or set llm.enabled = false to answer with the built-in skills alone)"
    )]
    LlmModel(#[source] crate::models::CacheError),
}

/// The models the engine runs, loaded (a second or two).
pub struct EngineModels {
    pub whisper: Whisper,
    pub turn: TurnDetector,
    pub tts: Tts,
    pub vad: SileroVad,
    /// Who is speaking (one embedding per run of speech).
    pub voice: VoiceEncoder,
    /// What kind of utterance a final transcript is (runs on the ASR thread after it).
    pub text: TextModel,
    /// The floor model (bundled; runs on the interaction thread under `--policy model`).
    pub floor: Option<FloorModel>,
    /// The embedded language model's GGUF, checked (`None`: no embedded model configured).
    pub llm_model: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for EngineModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineModels").finish_non_exhaustive()
    }
}

impl EngineModels {
    pub fn load(
        rt: &Runtime,
        cache: &ModelCache,
        manifest: &Manifest,
        config: &Config,
    ) -> Result<Self, StageError> {
        let threads = config.runtime.intra_threads;
        Ok(Self {
            whisper: Whisper::load_fastest(rt, cache, manifest, threads)?,
            turn: TurnDetector::load(rt, cache, manifest, threads)?,
            tts: Tts::load(rt, cache, manifest, threads)?,
            vad: SileroVad::load(rt, cache, manifest, 1)?,
            voice: VoiceEncoder::load(rt, cache, manifest, 1)?,
            text: TextModel::load(rt, cache, manifest)?,
            floor: Some(FloorModel::load(rt, manifest)?),
            llm_model: embedded_model_path(&config.llm, cache, manifest)
                .map_err(StageError::LlmModel)?,
        })
    }
}

#[derive(Debug)]
pub struct AsrJob {
    pub audio: Vec<f32>,
    pub is_final: bool,
    /// Judge the transcript's words with the text model (`--policy model`: every final, and
    /// the partials of a burst over our voice while we are paused for it).
    pub judge: bool,
    /// The utterance (by onset) this transcribes, so stale results can be told apart.
    pub utterance_ms: u64,
    /// Audio time of `audio[0]`, to date the words.
    pub audio_start_ms: u64,
}

#[derive(Debug)]
pub enum AsrOut {
    Text {
        text: String,
        /// Estimated word times on the session's audio timeline.
        words: Vec<Word>,
        /// The text model's verdict on a final transcript, when asked for.
        judged: Option<TextProbs>,
        /// How sure the recognizer was of the words (`Transcript::avg_logprob`).
        avg_logprob: f32,
        is_final: bool,
        utterance_ms: u64,
        compute_ms: f32,
    },
    Failed(String),
}

#[derive(Debug)]
pub struct TurnJob {
    pub audio: Vec<f32>,
}

#[derive(Debug)]
pub enum TurnOut {
    Probability { probability: f32, compute_ms: f32 },
    Failed(String),
}

/// One run of speech to embed, by its place on the session's audio timeline.
#[derive(Debug)]
pub struct VoiceJob {
    pub audio: Vec<f32>,
    pub start_ms: u64,
    pub end_ms: u64,
}

#[derive(Debug)]
pub enum VoiceOut {
    /// `None`: the run was silent.
    Embedding {
        start_ms: u64,
        end_ms: u64,
        embedding: Option<Embedding>,
    },
    Failed(String),
}

#[derive(Debug)]
pub struct TtsJob {
    pub key: u64,
    pub text: String,
    pub speed: f32,
    pub seed: Option<u64>,
}

#[derive(Debug)]
pub enum TtsOut {
    Chunk { key: u64, samples: Vec<f32> },
    Done { key: u64 },
    Failed { key: u64, message: String },
}

/// What the loop tells the reasoner; `id` is the loop's request id.
#[derive(Debug)]
pub enum ReasonJob {
    /// Ask; `speculative` requests are on a partial transcript.
    Ask {
        id: u64,
        request: Request,
        speculative: bool,
    },
    /// The loop dropped the request (a cut-in, newer words): it stops, and nothing it would
    /// do (a timer, a note) happens.
    Cancel { id: u64 },
    /// The speculative answer to `id` stands for the final transcript `text`.
    Finish {
        id: u64,
        text: String,
        /// How sure the recognizer was of `text`.
        asr_logprob: Option<f32>,
    },
    /// The user cut into the answer to `id` having heard `heard`.
    Interrupted { id: u64, heard: String },
}

#[derive(Debug)]
pub enum ReasonOut {
    /// A piece of a streamed answer (LLM replies stream; skills answer at once).
    Chunk { id: u64, text: String },
    /// The whole answer and where it came from.
    Final {
        id: u64,
        text: String,
        source: String,
    },
    /// No answer; `message` is safe to speak.
    Failed { id: u64, message: String },
    /// Act on this (its words come in the `Final`): speech rate, loudness, stop...
    Control { id: u64, control: Control },
    /// The language model answers: its first words take a while.
    SlowAnswer { id: u64 },
    /// A timer or reminder came due: the loop announces it when the floor is free.
    Announcement { text: String },
}

/// The started stages, ready for [`super::Engine::new`].
pub struct EngineStages {
    pub asr: Worker<AsrJob, AsrOut>,
    pub turn: Worker<TurnJob, TurnOut>,
    pub voice: Worker<VoiceJob, VoiceOut>,
    pub tts: Worker<TtsJob, TtsOut>,
    pub reasoner: Worker<ReasonJob, ReasonOut>,
    pub phrases: Arc<PhraseCache>,
    /// For the engine's own thread, like the VAD.
    pub floor: Option<FloorModel>,
}

impl std::fmt::Debug for EngineStages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineStages").finish_non_exhaustive()
    }
}

impl EngineStages {
    /// Starts every stage in `pace`. The VAD model is returned for the engine's own thread.
    pub fn start(
        models: EngineModels,
        llm: LlmConfig,
        store: Store,
        pace: Pace,
    ) -> Result<(Self, SileroVad), StageError> {
        Self::start_with(models, llm, store, pace, ReasonerOptions::default())
    }

    /// As [`Self::start`], with the reasoner's options (for example the camera's
    /// [`ReasonerOptions::text_source`], so "read this" reads the latest frame).
    pub fn start_with(
        models: EngineModels,
        llm: LlmConfig,
        store: Store,
        pace: Pace,
        reasoner: ReasonerOptions,
    ) -> Result<(Self, SileroVad), StageError> {
        let EngineModels {
            mut whisper,
            mut turn,
            mut tts,
            vad,
            mut voice,
            mut text,
            floor,
            llm_model,
        } = models;
        let llm = LlmConfig {
            model_path: llm.model_path.or(llm_model),
            ..llm
        };
        let phrases = Arc::new(PhraseCache::build(&mut tts)?);
        let asr = Worker::new(
            "asr",
            pace,
            move |job: AsrJob, emit: &mut Emit<'_, AsrOut>| {
                let out = {
                    let emit = &*emit;
                    transcribe(&mut whisper, &mut text, job, &|| !emit.cancelled())
                };
                if let Some(out) = out {
                    emit.send(out);
                }
            },
        )
        .map_err(|e| StageError::Thread("asr", e))?;
        let turn = Worker::new(
            "turn",
            pace,
            move |job: TurnJob, emit: &mut Emit<'_, TurnOut>| {
                let t0 = Instant::now();
                match turn.predict(&job.audio) {
                    Ok(probability) => emit.send(TurnOut::Probability {
                        probability,
                        compute_ms: t0.elapsed().as_secs_f32() * 1e3,
                    }),
                    Err(e) => emit.send(TurnOut::Failed(e.to_string())),
                }
            },
        )
        .map_err(|e| StageError::Thread("turn", e))?;
        let voice = Worker::new(
            "voice",
            pace,
            move |job: VoiceJob, emit: &mut Emit<'_, VoiceOut>| match voice.embed(&job.audio) {
                Ok(embedding) => emit.send(VoiceOut::Embedding {
                    start_ms: job.start_ms,
                    end_ms: job.end_ms,
                    embedding,
                }),
                Err(e) => emit.send(VoiceOut::Failed(e.to_string())),
            },
        )
        .map_err(|e| StageError::Thread("voice", e))?;
        let stream = StreamConfig::default();
        let tts = Worker::new(
            "tts",
            pace,
            move |job: TtsJob, emit: &mut Emit<'_, TtsOut>| {
                let options = SynthOptions {
                    speed: job.speed,
                    pitch: 1.0,
                    seed: job.seed,
                };
                let key = job.key;
                let mut lead = (pace == Pace::Realtime).then(SpeechLead::default);
                let result = {
                    let emit_cell = std::cell::RefCell::new(&mut *emit);
                    stream_utterance(
                        &mut tts,
                        &job.text,
                        &options,
                        &stream,
                        &|| !emit_cell.borrow().cancelled(),
                        &mut |_, samples, _, _| {
                            let seconds = samples.len() as f64 / f64::from(TTS_SAMPLE_RATE_HZ);
                            emit_cell.borrow_mut().send(TtsOut::Chunk { key, samples });
                            match &mut lead {
                                Some(lead) => {
                                    lead.wait(seconds, || !emit_cell.borrow().cancelled())
                                }
                                None => true,
                            }
                        },
                    )
                };
                match result {
                    Ok(true) => emit.send(TtsOut::Done { key }),
                    Ok(false) => {}
                    Err(e) => emit.send(TtsOut::Failed {
                        key,
                        message: e.to_string(),
                    }),
                }
            },
        )
        .map_err(|e| StageError::Thread("tts", e))?;
        let handle = Reasoner::spawn_with(llm, store, reasoner)?;
        let reasoner = Worker::new("reasoner-link", pace, ReasonLink::new(handle, pace))
            .map_err(|e| StageError::Thread("reasoner-link", e))?;
        Ok((
            Self {
                asr,
                turn,
                voice,
                tts,
                reasoner,
                phrases,
                floor,
            },
            vad,
        ))
    }
}

/// The reasoner seen as a stage: asks, cancels, confirmations and cut-ins go to the
/// reasoner at once; its events (streamed text, controls, answers, timers) are relayed to the
/// loop as they come, for every request in flight, until each ends or is cancelled. On a
/// thread it relays every 10 ms; inline (virtual pace) an ask waits for its answer, so its
/// time is charged to the virtual clock as a real wait would be.
struct ReasonLink {
    handle: ReasonerHandle,
    /// Requests in flight: the reasoner's id to the loop's.
    live: HashMap<RequestId, u64>,
    /// The loop's ids to the reasoner's, newest last, kept after the answer.
    ids: VecDeque<(u64, RequestId)>,
    wait_for_answers: bool,
}

impl ReasonLink {
    fn new(handle: ReasonerHandle, pace: Pace) -> Self {
        Self {
            handle,
            live: HashMap::new(),
            ids: VecDeque::new(),
            wait_for_answers: pace == Pace::Virtual,
        }
    }

    fn reasoner_id(&self, id: u64) -> Option<RequestId> {
        self.ids
            .iter()
            .rev()
            .find(|(l, _)| *l == id)
            .map(|(_, r)| *r)
    }

    /// Hands one event to the loop; events of requests no longer in flight are dropped.
    fn relay(&mut self, ev: ReasonerEvent, emit: &mut Emit<'_, ReasonOut>) {
        if let ReasonerEvent::TimerDue { text, .. } = ev {
            emit.send(ReasonOut::Announcement { text });
            return;
        }
        let Some(rid) = ev.request_id() else { return };
        let Some(&id) = self.live.get(&rid) else {
            return;
        };
        match ev {
            ReasonerEvent::Chunk { text, .. } => emit.send(ReasonOut::Chunk { id, text }),
            ReasonerEvent::SlowAnswer { .. } => emit.send(ReasonOut::SlowAnswer { id }),
            ReasonerEvent::Control { control, .. } => {
                emit.send(ReasonOut::Control { id, control });
            }
            ReasonerEvent::Final { text, source, .. } => {
                self.live.remove(&rid);
                emit.send(ReasonOut::Final {
                    id,
                    text,
                    source: source.as_str().to_owned(),
                });
            }
            ReasonerEvent::Failed { message, .. } => {
                self.live.remove(&rid);
                emit.send(ReasonOut::Failed { id, message });
            }
            ReasonerEvent::NeedsFinal { .. } => {
                self.live.remove(&rid);
            }
            ReasonerEvent::ToolProgress { .. } | ReasonerEvent::TimerDue { .. } => {}
        }
    }

    fn relay_ready(&mut self, emit: &mut Emit<'_, ReasonOut>) {
        while let Some(ev) = self.handle.try_recv() {
            self.relay(ev, emit);
        }
    }

    /// Virtual pace: relays until `rid` has ended.
    fn wait_for(&mut self, rid: RequestId, emit: &mut Emit<'_, ReasonOut>) {
        let mut last = Instant::now();
        while self.live.contains_key(&rid) {
            match self.handle.recv_timeout(Duration::from_millis(50)) {
                Some(ev) => {
                    if ev.request_id() == Some(rid) {
                        last = Instant::now();
                    }
                    self.relay(ev, emit);
                }
                None if last.elapsed() > SILENT_REASONER => {
                    let id = self.live.remove(&rid).unwrap_or_default();
                    self.handle.cancel(rid);
                    emit.send(ReasonOut::Failed {
                        id,
                        message: "Sorry, I lost my train of thought.".into(),
                    });
                }
                None => {}
            }
        }
    }
}

impl super::worker::Job<ReasonJob, ReasonOut> for ReasonLink {
    fn idle(&mut self, emit: &mut Emit<'_, ReasonOut>) {
        self.relay_ready(emit);
    }

    fn idle_every(&self) -> Duration {
        RELAY_EVERY
    }

    fn run(&mut self, job: ReasonJob, emit: &mut Emit<'_, ReasonOut>) {
        match job {
            ReasonJob::Ask { id, request, .. } => {
                let rid = self.handle.request(request);
                self.live.insert(rid, id);
                self.ids.push_back((id, rid));
                while self.ids.len() > IDS_KEPT {
                    self.ids.pop_front();
                }
                if self.wait_for_answers {
                    self.wait_for(rid, emit);
                }
            }
            ReasonJob::Cancel { id } => {
                if let Some(rid) = self.reasoner_id(id) {
                    self.live.remove(&rid);
                    self.handle.cancel(rid);
                }
            }
            ReasonJob::Finish {
                id,
                text,
                asr_logprob,
            } => {
                if let Some(rid) = self.reasoner_id(id) {
                    self.live.remove(&rid);
                    self.handle.finish(rid, text, asr_logprob);
                }
            }
            ReasonJob::Interrupted { id, heard } => {
                if let Some(rid) = self.reasoner_id(id) {
                    self.handle.interrupted(rid, heard);
                }
            }
        }
        self.relay_ready(emit);
    }
}

/// One transcription: the utterance's audio (its last 30 s at most) in one Whisper window
/// sized to it (a final: [`Whisper::window_frames`], redone in 15 s if it comes out looped; a
/// partial: [`Whisper::transcribe_partial`]), words dated on the session timeline. `None` when
/// the job was cancelled on the way (a final replaces the partial in flight: it no longer waits
/// for that partial's decoder to finish).
fn transcribe(
    whisper: &mut Whisper,
    text_model: &mut TextModel,
    job: AsrJob,
    keep_going: &dyn Fn() -> bool,
) -> Option<AsrOut> {
    let t0 = Instant::now();
    let audio = tail(&job.audio, FULL_WINDOW_FRAMES * HOP_LENGTH);
    let skipped_ms = ((job.audio.len() - audio.len()) * 1000 / 16_000) as u64;
    let offset = job.audio_start_ms + skipped_ms;
    let transcript = if job.is_final {
        whisper.transcribe_window(audio, Whisper::window_frames(audio.len()), keep_going)
    } else {
        whisper.transcribe_partial(audio, keep_going)
    };
    Some(match transcript {
        Ok(t) => {
            let text = clean_transcript(&t.text);
            let judged = job
                .judge
                .then(|| match text_model.judge(&text) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        tracing::warn!("the text model could not judge a transcript: {e}");
                        None
                    }
                })
                .flatten();
            AsrOut::Text {
                words: t
                    .words
                    .into_iter()
                    .map(|w| Word {
                        start_ms: (u64::from(w.start_ms) + offset) as u32,
                        end_ms: (u64::from(w.end_ms) + offset) as u32,
                        ..w
                    })
                    .collect(),
                text,
                judged,
                avg_logprob: t.avg_logprob,
                is_final: job.is_final,
                utterance_ms: job.utterance_ms,
                compute_ms: t0.elapsed().as_secs_f32() * 1e3,
            }
        }
        Err(AsrError::Cancelled) => return None,
        Err(e) => AsrOut::Failed(e.to_string()),
    })
}

fn tail(audio: &[f32], n: usize) -> &[f32] {
    &audio[audio.len().saturating_sub(n)..]
}

/// Drops Whisper's non-speech annotations ("[BLANK_AUDIO]", "(coughs)").
pub fn clean_transcript(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0i32;
    for c in text.chars() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth = (depth - 1).max(0),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LlmBackendKind;
    use crate::reasoning::Reasoner;
    use tandem_test_llm::{FakeLlmServer, FakeReply};

    fn link(store: &Store, llm: LlmConfig) -> Worker<ReasonJob, ReasonOut> {
        let handle = Reasoner::spawn(llm, store.clone()).unwrap();
        Worker::new(
            "reasoner-link",
            Pace::Realtime,
            ReasonLink::new(handle, Pace::Realtime),
        )
        .unwrap()
    }

    fn fake_llm(server: &FakeLlmServer) -> LlmConfig {
        LlmConfig {
            enabled: true,
            endpoint: server.openai_endpoint(),
            backend: LlmBackendKind::Openai,
            ..LlmConfig::default()
        }
    }

    fn ask(id: u64, text: &str) -> ReasonJob {
        ReasonJob::Ask {
            id,
            request: Request::new(text),
            speculative: false,
        }
    }

    /// Polls the link for `secs` (or until `done` says so), collecting every output.
    fn collect(
        link: &mut Worker<ReasonJob, ReasonOut>,
        secs: f32,
        mut done: impl FnMut(&[ReasonOut]) -> bool,
    ) -> Vec<ReasonOut> {
        let (t0, mut all, mut out) = (Instant::now(), Vec::new(), Vec::new());
        while t0.elapsed() < Duration::from_secs_f32(secs) && !done(&all) {
            std::thread::sleep(Duration::from_millis(10));
            link.poll(t0.elapsed().as_millis() as u64, &mut out);
            all.append(&mut out);
        }
        all
    }

    /// Timers come due while the link is idle: they reach the loop as announcements.
    #[test]
    fn a_due_timer_reaches_the_loop_between_requests() {
        let store = Store::open_in_memory().unwrap();
        let mut link = link(&store, LlmConfig::skills_only());
        link.submit(ask(1, "set a timer for one second"), 0);
        let t0 = Instant::now();
        let out = collect(&mut link, 10.0, |o| {
            o.iter()
                .any(|o| matches!(o, ReasonOut::Announcement { .. }))
        });
        let answer = out.iter().find_map(|o| match o {
            ReasonOut::Final { text, .. } => Some(text.as_str()),
            _ => None,
        });
        assert_eq!(answer, Some("Timer set for 1 second."));
        let announced = out.iter().find_map(|o| match o {
            ReasonOut::Announcement { text } => Some(text.as_str()),
            _ => None,
        });
        assert_eq!(announced, Some("Your 1 second timer is done."));
        assert!(t0.elapsed() >= Duration::from_millis(900));
    }

    /// A cut-in cancels a request whose model is about to set a timer: the cancel reaches
    /// the reasoner, the request stops, and no timer is ever set.
    #[test]
    fn a_cancelled_request_sets_no_timer() {
        let set_timer = FakeReply::ToolCall {
            name: "set_timer".into(),
            arguments: serde_json::json!({"seconds": 600, "label": "pasta"}),
        };
        let server = FakeLlmServer::start_with_delay(
            vec![set_timer, FakeReply::words("Your pasta timer is set.")],
            Duration::from_millis(300),
        )
        .unwrap();
        let store = Store::open_in_memory().unwrap();
        let mut link = link(&store, fake_llm(&server));
        link.submit(ask(1, "keep an eye on the pasta for me"), 0);
        assert!(server.wait_for_requests(1, Duration::from_secs(5)));
        link.submit(ReasonJob::Cancel { id: 1 }, 0);
        // Long after the model would have asked for the timer and answered. The "one moment"
        // cue goes out before the model is asked, so it may reach the link before the cancel
        // does (one clean-clone CI run in many); nothing else may.
        let out: Vec<ReasonOut> = collect(&mut link, 2.5, |_| false)
            .into_iter()
            .filter(|o| !matches!(o, ReasonOut::SlowAnswer { id: 1 }))
            .collect();
        assert!(out.is_empty(), "nothing relayed after the cancel: {out:?}");
        assert!(store.pending_timers().unwrap().is_empty(), "no timer");
        assert_eq!(server.requests().len(), 1, "the model was not asked again");
        let turns = store.turns(None).unwrap();
        assert_eq!(turns.len(), 1);
        assert_eq!(turns[0].status, crate::store::TurnStatus::Cancelled);
    }

    /// Requests do not queue behind a streaming answer: a quick one is answered while a long
    /// one streams, and the long one streams to its end.
    #[test]
    fn a_quick_request_is_answered_while_a_long_answer_streams() {
        let long = "Rome was founded, the story goes, in 753 BC. It grew from a village into \
                    an empire. Its roads still shape Europe today.";
        let server = FakeLlmServer::start_with_delay(
            vec![FakeReply::words(long)],
            Duration::from_millis(80),
        )
        .unwrap();
        let store = Store::open_in_memory().unwrap();
        let mut link = link(&store, fake_llm(&server));
        link.submit(ask(1, "tell me about the history of rome"), 0);
        assert!(server.wait_for_requests(1, Duration::from_secs(5)));
        link.submit(ask(2, "what's twelve times seven"), 0);
        let out = collect(&mut link, 15.0, |o| {
            o.iter()
                .any(|o| matches!(o, ReasonOut::Final { id: 1, .. }))
        });
        let finals: Vec<(u64, &str)> = out
            .iter()
            .filter_map(|o| match o {
                ReasonOut::Final { id, text, .. } => Some((*id, text.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(finals.len(), 2, "{out:?}");
        assert_eq!(
            finals[0],
            (2, "12 times 7 is 84."),
            "the quick answer comes first"
        );
        assert_eq!(finals[1], (1, long), "the long answer is whole");
        let streamed: String = out
            .iter()
            .filter_map(|o| match o {
                ReasonOut::Chunk { id: 1, text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(streamed, long);
    }
}
