//! `tandem duplex`: the whole engine on a recorded user channel, as if it were a live
//! microphone, writing the assistant's channel as a WAV of exactly the same length (the
//! protocol full-duplex benchmarks use) and the engine's events as JSON lines.
//!
//! `virtual` pace steps a virtual clock in 10 ms steps; each stage's measured compute time is
//! charged to that clock (see [`super::worker`]), so the run is repeatable and shows the
//! latencies this machine would have, however long it takes in wall time. `realtime` pace
//! feeds the input no faster than a microphone would and runs every stage on its own thread,
//! exactly as live.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::worker::Pace;
use super::{Engine, EngineOptions, EngineStages, Event, StageError};
use crate::audio::dsp::DspConfig;
use crate::audio::stream::{AudioError, AudioSource as _};
use crate::config::LlmConfig;
use crate::models::vad::{FusionParams, StreamingVad};
use crate::reasoning::{ReasonerOptions, TextSource, WallClock};
use crate::sim::{EchoPath, SignalSource, SimAudio, VirtualClock};
use crate::store::Store;
use crate::vision::timeline::VisualTimeline;

use super::EngineModels;

#[derive(Debug, thiserror::Error)]
pub enum DuplexError {
    #[error("cannot read the input {path}: {source}\n  give a WAV file (any rate, mono or stereo)")]
    Input {
        path: PathBuf,
        #[source]
        source: AudioError,
    },
    #[error("the input {0} is empty")]
    EmptyInput(PathBuf),
    #[error("cannot write {path}: {source}")]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the output WAV {path}: {source}")]
    OutputWav {
        path: PathBuf,
        #[source]
        source: AudioError,
    },
    #[error(transparent)]
    Stage(#[from] StageError),
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error("the conversation store: {0}")]
    Store(#[from] crate::store::StoreError),
}

/// What to run.
#[derive(Debug, Clone)]
pub struct DuplexOptions {
    pub input: PathBuf,
    pub output: PathBuf,
    pub events: Option<PathBuf>,
    pub pace: Pace,
    /// Rate of the output WAV.
    pub output_rate_hz: u32,
    /// Simulate a room: what the assistant plays leaks into the microphone through this
    /// path, and the echo canceller is on.
    pub echo: Option<EchoPath>,
    pub engine: EngineOptions,
    pub llm: LlmConfig,
    /// Visual context over the run (as if the camera were on), fed to the loop at every
    /// step; `None`: the camera is off.
    pub visual: Option<VisualTimeline>,
    /// What "read this" reads while the camera is on (for example a
    /// [`crate::vision::TextReader`] over a still image); `None`: only text already in the
    /// visual context.
    pub text_source: Option<Arc<dyn TextSource>>,
    /// The wall clock the reasoner tells the time by (`--now`: a set moment).
    pub clock: WallClock,
}

/// How a run went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DuplexReport {
    pub input_ms: u64,
    pub wall_ms: u64,
    pub events: usize,
    /// Compute spent per stage.
    pub stage_busy_ms: Vec<(String, f64)>,
}

/// Runs the engine over the input; see the module docs.
pub fn run(models: EngineModels, opts: &DuplexOptions) -> Result<DuplexReport, DuplexError> {
    // A fresh in-memory store: a simulated conversation must not touch the user's history.
    run_with_store(models, opts, Store::open_in_memory()?)
}

/// As [`run`], with the conversation written to `store` (tests read the turns back).
pub fn run_with_store(
    models: EngineModels,
    opts: &DuplexOptions,
    store: Store,
) -> Result<DuplexReport, DuplexError> {
    let t0 = Instant::now();
    let clock = VirtualClock::new();
    let mic = SignalSource::wav(&opts.input, Arc::new(clock.clone())).map_err(|source| {
        DuplexError::Input {
            path: opts.input.clone(),
            source,
        }
    })?;
    if mic.is_empty() {
        return Err(DuplexError::EmptyInput(opts.input.clone()));
    }
    let input_rate = mic.sample_rate_hz();
    let input_ms = mic.len() as u64 * 1000 / u64::from(input_rate);
    let out_len =
        (mic.len() as u64 * u64::from(opts.output_rate_hz) / u64::from(input_rate)) as usize;

    let reasoner = ReasonerOptions {
        text_source: opts.text_source.clone(),
        clock: opts.clock.clone(),
        ..ReasonerOptions::default()
    };
    let (stages, silero) =
        EngineStages::start_with(models, opts.llm.clone(), store, opts.pace, reasoner)?;
    let vad = StreamingVad::new(silero, FusionParams::default()).map_err(StageError::from)?;
    let mut engine = Engine::new(stages, vad, opts.engine.clone())?;
    let config = DspConfig {
        aec: opts.echo.is_some(),
        ..DspConfig::default()
    };
    let mut sim = SimAudio::new(
        clock.clone(),
        Box::new(mic),
        opts.output_rate_hz,
        opts.echo,
        config,
    )?;

    // The assistant's channel goes to its file as it is played: an hour of it would be
    // another 220 MiB in memory otherwise.
    let output_error = |source| DuplexError::OutputWav {
        path: opts.output.clone(),
        source,
    };
    sim.sink
        .record_to(&opts.output, out_len)
        .map_err(output_error)?;

    let mut events_out = match &opts.events {
        Some(path) => Some(std::io::BufWriter::new(
            crate::private_fs::create_file(path, false).map_err(|source| DuplexError::Output {
                path: path.clone(),
                source,
            })?,
        )),
        None => None,
    };
    let mut n_events = 0usize;
    let mut write_events = |events: Vec<Event>| -> Result<(), DuplexError> {
        n_events += events.len();
        if let (Some(w), Some(path)) = (events_out.as_mut(), opts.events.as_ref()) {
            for e in events {
                let line = serde_json::to_string(&e).expect("events serialize");
                writeln!(w, "{line}").map_err(|source| DuplexError::Output {
                    path: path.clone(),
                    source,
                })?;
            }
        }
        Ok(())
    };

    let wall0 = Instant::now();
    loop {
        let frames = sim.step();
        let now_ms = clock_ms(&clock);
        if opts.pace == Pace::Realtime {
            // No faster than a microphone.
            let due = Duration::from_millis(now_ms);
            if let Some(wait) = due.checked_sub(wall0.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        for f in &frames {
            engine.on_frame(f);
        }
        let audio_now = engine.audio_ms();
        if let Some(timeline) = &opts.visual {
            engine.set_visual(timeline.at(audio_now));
        }
        engine.tick(audio_now, &mut sim.player);
        write_events(engine.take_events())?;
        if now_ms >= input_ms && sim.mic_finished() {
            break;
        }
    }
    if let (Some(mut w), Some(path)) = (events_out, opts.events.as_ref()) {
        w.flush().map_err(|source| DuplexError::Output {
            path: path.clone(),
            source,
        })?;
    }
    sim.sink.finish_recording().map_err(output_error)?;
    Ok(DuplexReport {
        input_ms,
        wall_ms: t0.elapsed().as_millis() as u64,
        events: n_events,
        stage_busy_ms: engine
            .stage_busy_ms()
            .iter()
            .map(|(n, ms)| ((*n).to_owned(), *ms))
            .collect(),
    })
}

fn clock_ms(clock: &VirtualClock) -> u64 {
    use crate::sim::Clock as _;
    clock.now_ns() / 1_000_000
}
