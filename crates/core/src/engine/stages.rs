//! The engine's slow stages as [`Worker`] jobs: Whisper, smart-turn, the TTS and the reasoner.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::worker::{Emit, Pace, Worker};
use crate::config::{Config, LlmConfig};
use crate::models::asr::{
    AsrError, FULL_WINDOW_FRAMES, MIN_WINDOW_FRAMES, Precision, Whisper, Word,
};
use crate::models::mel::HOP_LENGTH;
use crate::models::runtime::Runtime;
use crate::models::tts::{
    PhraseCache, StreamConfig, SynthOptions, Tts, TtsError, stream_utterance,
};
use crate::models::turn::{TurnDetector, TurnError};
use crate::models::vad::{SileroVad, VadError};
use crate::models::{Manifest, ModelCache};
use crate::reasoning::llm::embedded::embedded_model_path;
use crate::reasoning::{
    Reasoner, ReasonerError, ReasonerEvent, ReasonerHandle, ReasonerOptions, Request,
};
use crate::store::Store;

/// Longest wait for the reasoner's answer to a final transcript.
const REPLY_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest wait for an answer to a speculative (partial) request: side-effect requests wait
/// for the final transcript and never answer a partial.
const SPECULATIVE_TIMEOUT: Duration = Duration::from_millis(400);

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
    Reasoner(#[from] ReasonerError),
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
            whisper: Whisper::load(rt, cache, manifest, Precision::Int8, threads)?,
            turn: TurnDetector::load(rt, cache, manifest, threads)?,
            tts: Tts::load(rt, cache, manifest, threads)?,
            vad: SileroVad::load(rt, cache, manifest, 1)?,
            llm_model: embedded_model_path(&config.llm, cache, manifest)
                .map_err(StageError::LlmModel)?,
        })
    }
}

#[derive(Debug)]
pub struct AsrJob {
    pub audio: Vec<f32>,
    pub is_final: bool,
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

#[derive(Debug)]
pub struct ReasonJob {
    pub id: u64,
    pub request: Request,
    pub speculative: bool,
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
    /// A timer or reminder came due: the loop announces it when the floor is free.
    Announcement { text: String },
}

/// The started stages, ready for [`super::Engine::new`].
pub struct EngineStages {
    pub asr: Worker<AsrJob, AsrOut>,
    pub turn: Worker<TurnJob, TurnOut>,
    pub tts: Worker<TtsJob, TtsOut>,
    pub reasoner: Worker<ReasonJob, ReasonOut>,
    pub phrases: Arc<PhraseCache>,
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
                emit.send(transcribe(&mut whisper, job));
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
                let result = {
                    let emit_cell = std::cell::RefCell::new(&mut *emit);
                    stream_utterance(
                        &mut tts,
                        &job.text,
                        &options,
                        &stream,
                        &|| !emit_cell.borrow().cancelled(),
                        &mut |_, samples, _, _| {
                            emit_cell.borrow_mut().send(TtsOut::Chunk { key, samples });
                            true
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
        let reasoner = Worker::new("reasoner-link", pace, ReasonLink { handle })
            .map_err(|e| StageError::Thread("reasoner-link", e))?;
        Ok((
            Self {
                asr,
                turn,
                tts,
                reasoner,
                phrases,
            },
            vad,
        ))
    }
}

/// The reasoner seen as a stage: one request at a time, waiting for its answer.
struct ReasonLink {
    handle: ReasonerHandle,
}

impl super::worker::Job<ReasonJob, ReasonOut> for ReasonLink {
    /// Between requests: timers and reminders that came due (only the reasoner's own events
    /// arrive unasked).
    fn idle(&mut self, emit: &mut Emit<'_, ReasonOut>) {
        while let Some(ev) = self.handle.try_recv() {
            if let ReasonerEvent::TimerDue { text, .. } = ev {
                emit.send(ReasonOut::Announcement { text });
            }
        }
    }

    fn run(&mut self, job: ReasonJob, emit: &mut Emit<'_, ReasonOut>) {
        let id = self.handle.request(job.request);
        let limit = if job.speculative {
            SPECULATIVE_TIMEOUT
        } else {
            REPLY_TIMEOUT
        };
        let t0 = Instant::now();
        while let Some(left) = limit.checked_sub(t0.elapsed()) {
            if emit.cancelled() {
                break;
            }
            let Some(ev) = self
                .handle
                .recv_timeout(left.min(Duration::from_millis(50)))
            else {
                continue;
            };
            if let ReasonerEvent::TimerDue { text, .. } = ev {
                emit.send(ReasonOut::Announcement { text });
                continue;
            }
            if ev.request_id() != Some(id) {
                continue;
            }
            match ev {
                ReasonerEvent::Chunk { text, .. } => {
                    emit.send(ReasonOut::Chunk { id: job.id, text })
                }
                ReasonerEvent::Final { text, source, .. } => {
                    emit.send(ReasonOut::Final {
                        id: job.id,
                        text,
                        source: source.as_str().to_owned(),
                    });
                    return;
                }
                ReasonerEvent::Failed { message, .. } => {
                    emit.send(ReasonOut::Failed {
                        id: job.id,
                        message,
                    });
                    return;
                }
                _ => {}
            }
        }
        self.handle.cancel(id);
        if !job.speculative {
            emit.send(ReasonOut::Failed {
                id: job.id,
                message: "Sorry, that took too long.".into(),
            });
        }
    }
}

/// One transcription: the utterance's audio (its last 30 s at most) in one Whisper window of
/// at least 15 s (shorter windows make tiny.en loop), words dated on the session timeline.
fn transcribe(whisper: &mut Whisper, job: AsrJob) -> AsrOut {
    let t0 = Instant::now();
    let frames = (job.audio.len() / HOP_LENGTH + 1).clamp(MIN_WINDOW_FRAMES, FULL_WINDOW_FRAMES);
    let audio = tail(&job.audio, FULL_WINDOW_FRAMES * HOP_LENGTH);
    let skipped_ms = ((job.audio.len() - audio.len()) * 1000 / 16_000) as u64;
    let offset = job.audio_start_ms + skipped_ms;
    match whisper.transcribe_window(audio, frames) {
        Ok(t) => AsrOut::Text {
            words: t
                .words
                .into_iter()
                .map(|w| Word {
                    start_ms: (u64::from(w.start_ms) + offset) as u32,
                    end_ms: (u64::from(w.end_ms) + offset) as u32,
                    ..w
                })
                .collect(),
            text: clean_transcript(&t.text),
            is_final: job.is_final,
            utterance_ms: job.utterance_ms,
            compute_ms: t0.elapsed().as_secs_f32() * 1e3,
        },
        Err(e) => AsrOut::Failed(e.to_string()),
    }
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
    use crate::reasoning::Reasoner;

    /// Timers come due while the link is idle: they reach the loop as announcements.
    #[test]
    fn a_due_timer_reaches_the_loop_between_requests() {
        let store = Store::open_in_memory().unwrap();
        let handle = Reasoner::spawn(LlmConfig::skills_only(), store).unwrap();
        let mut link = Worker::new("reasoner-link", Pace::Realtime, ReasonLink { handle }).unwrap();
        link.submit(
            ReasonJob {
                id: 1,
                request: Request::new("set a timer for one second"),
                speculative: false,
            },
            0,
        );
        let (mut out, mut answer, mut announced) = (Vec::new(), None, None);
        let t0 = Instant::now();
        while announced.is_none() && t0.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
            link.poll(t0.elapsed().as_millis() as u64, &mut out);
            for o in out.drain(..) {
                match o {
                    ReasonOut::Final { text, .. } => answer = Some(text),
                    ReasonOut::Announcement { text } => {
                        assert_eq!(text, "Your 1 second timer is done.");
                        announced = Some(t0.elapsed());
                    }
                    ReasonOut::Chunk { .. } => {}
                    ReasonOut::Failed { message, .. } => panic!("{message}"),
                }
            }
        }
        assert_eq!(answer.as_deref(), Some("Timer set for 1 second."));
        let after = announced.expect("the timer was announced");
        assert!(after >= Duration::from_millis(900), "{after:?}");
    }
}
