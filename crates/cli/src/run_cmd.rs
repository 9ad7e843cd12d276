//! `tandem run`: the assistant on this machine's microphone and speaker.
//!
//! Checks the models and the runtime, opens the microphone and the speaker (with the echo
//! canceller between them), and runs the interaction engine on a thread named `interaction`,
//! printing the floor state, transcripts, replies and latencies as they happen.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use tandem_core::audio::devices;
use tandem_core::config::{Config, Overrides};
use tandem_core::engine::worker::Pace;
use tandem_core::engine::{EngineModels, EngineStages, Event, EventKind, live};
use tandem_core::models::vad::SileroVad;
use tandem_core::models::{Manifest, ModelCache, runtime};
use tandem_core::reasoning::{ReasonerOptions, TextSource};
use tandem_core::store::Store;
use tandem_core::vision::toggle::CameraToggle;

use crate::{GlobalArgs, load_config};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Run in the terminal even when a display is present (the desktop app is `tandem-app`).
    #[arg(long)]
    headless: bool,
    /// Microphone by name (`tandem doctor` lists them).
    #[arg(long, value_name = "NAME")]
    input_device: Option<String>,
    /// Speaker by name.
    #[arg(long, value_name = "NAME")]
    output_device: Option<String>,
    /// Micro-turn length in ms (80-400), for this run.
    #[arg(long, value_name = "MS")]
    micro_turn_ms: Option<u32>,
    /// Who decides the floor for this run: `model` (the learned floor model) or `rules`
    /// (default: the config's interaction.policy).
    #[arg(long, value_name = "POLICY")]
    policy: Option<tandem_core::engine::PolicyKind>,
    /// Stop after this many seconds (default: until Ctrl-C).
    #[arg(long, value_name = "S")]
    seconds: Option<f64>,
    /// Also write every engine event as a JSON line here.
    #[arg(long, value_name = "EVENTS.jsonl")]
    events: Option<PathBuf>,
    /// Print every event as a JSON line instead of the conversation view.
    #[arg(long)]
    json: bool,
    /// Turn the camera on for this run (presence and attention; camera.enabled in the config).
    #[arg(long, conflicts_with = "no_camera")]
    camera: bool,
    /// Keep the camera off for this run, whatever the config says.
    #[arg(long)]
    no_camera: bool,
    /// Camera by name (`tandem doctor` lists them).
    #[arg(long, value_name = "NAME")]
    camera_device: Option<String>,
}

/// Exit code for "no audio device": distinct from other failures so scripts can tell.
const EXIT_NO_DEVICE: u8 = 3;

pub fn run(global: &GlobalArgs, args: RunArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(
        global,
        Overrides {
            micro_turn_ms: args.micro_turn_ms,
            policy: args.policy,
            input_device: args.input_device.clone(),
            output_device: args.output_device.clone(),
            camera: (args.camera || args.no_camera).then_some(args.camera),
            camera_device: args.camera_device.clone(),
            ..Default::default()
        },
    )?;
    let _ = args.headless; // The terminal is the only face of this binary.

    // Models and runtime first: a missing model is a clear error before any device is opened.
    let cache = ModelCache::locate(&config)?;
    let manifest = Manifest::builtin();
    for a in manifest.selected(&["core"]) {
        cache.verified_path(&manifest, &a.file)?;
    }
    let rt = runtime::init(&cache, &manifest, config.runtime.execution_provider)
        .context("starting ONNX Runtime")?;
    eprintln!(
        "ONNX Runtime: {} ({})",
        rt.library.display(),
        config.runtime.execution_provider
    );

    let list = devices::list();
    if !list.has_input() || !list.has_output() {
        let missing = match (list.has_input(), list.has_output()) {
            (false, false) => "no microphone and no speaker",
            (false, true) => "no microphone",
            _ => "no speaker",
        };
        eprintln!(
            "error: {missing} found (audio host {}).\n  fix: connect or enable an audio device and check `tandem doctor`; \
             without a sound card, start a PulseAudio server (see README, \"Audio without a sound card\"),\n  \
             or run the engine on a recording: `tandem duplex --input you.wav --output reply.wav`.",
            list.host
        );
        return Ok(ExitCode::from(EXIT_NO_DEVICE));
    }

    let vision = start_vision(rt, &cache, &manifest, &config);
    let models = EngineModels::load(rt, &cache, &manifest, &config)?;
    let store = Store::open_default().context("opening the conversation store")?;
    // "Read this" reads the camera's latest frame on the reasoner's side.
    let reasoner = ReasonerOptions {
        text_source: vision
            .as_ref()
            .map(|c| c.text_reader() as Arc<dyn TextSource>),
        ..ReasonerOptions::default()
    };
    let (stages, silero) =
        EngineStages::start_with(models, config.llm.clone(), store, Pace::Realtime, reasoner)?;
    let handle = std::thread::Builder::new()
        .name("interaction".into())
        .spawn(move || interaction_loop(stages, silero, vision, &config, &args))
        .context("starting the interaction thread")?;
    match handle.join() {
        Ok(result) => result,
        Err(_) => anyhow::bail!("the interaction thread panicked"),
    }
}

/// Starts the camera stage when the camera is on. No camera is not fatal: the conversation
/// runs without visual context, and the message says how to fix it.
fn start_vision(
    rt: &'static runtime::Runtime,
    cache: &ModelCache,
    manifest: &Manifest,
    config: &Config,
) -> Option<CameraToggle> {
    if !config.camera.enabled {
        return None;
    }
    let fps = config.camera.fps;
    let mut camera = CameraToggle::from_config(rt, cache, manifest, config);
    match camera.set(true) {
        Ok(name) => {
            eprintln!("Camera `{}` on ({fps} fps).", name.unwrap_or_default());
            Some(camera)
        }
        Err(e) => {
            eprintln!(
                "warning: the camera is on in the settings, but: {e}\n  continuing without it."
            );
            None
        }
    }
}

/// The live loop: frames from the DSP thread in, a tick at every wake-up, events out.
fn interaction_loop(
    stages: EngineStages,
    silero: SileroVad,
    vision: Option<CameraToggle>,
    config: &Config,
    args: &RunArgs,
) -> anyhow::Result<ExitCode> {
    let (mut live, mut engine) = live::open(stages, silero, config)?;
    eprintln!(
        "Microphone `{}` ({} Hz), speaker `{}` ({} Hz); micro-turn {} ms. Talk; Ctrl-C stops.",
        live.input_device,
        live.input_rate_hz,
        live.output_device,
        live.output_rate_hz,
        config.interaction.micro_turn_ms
    );
    let mut log = match &args.events {
        Some(p) => Some(std::io::BufWriter::new(
            // Transcripts: readable by the user only.
            tandem_core::private_fs::create_file(p, false)
                .with_context(|| format!("creating {}", p.display()))?,
        )),
        None => None,
    };
    let mut view = View::default();
    let start = Instant::now();
    let mut vision_error_shown = false;
    loop {
        if let Some(v) = &vision {
            engine.set_visual(v.latest());
            if let (Some(e), false) = (v.error(), vision_error_shown) {
                eprintln!("\ncamera: {e}; continuing without visual context");
                vision_error_shown = true;
            }
        }
        let (events, devices) = live::pump(&mut live, &mut engine)?;
        for ev in devices {
            eprintln!("\naudio: {ev:?}");
        }
        let logged = !events.is_empty();
        for e in events {
            if matches!(e.kind, EventKind::VoiceStart { .. }) {
                // What the echo canceller believed when a voice began: a voice while we talk
                // that is our own echo shows here as a moved delay or a lost ERLE.
                let aec = live.dsp.stats().aec();
                tracing::debug!(
                    t_ms = e.t_ms,
                    delay_ms = aec.delay_ms,
                    erle_db = aec.erle_db,
                    erl_db = aec.erl_db,
                    "echo canceller at a voice onset"
                );
            }
            if let Some(w) = log.as_mut() {
                writeln!(w, "{}", serde_json::to_string(&e)?)?;
            }
            if args.json {
                println!("{}", serde_json::to_string(&e)?);
            } else {
                view.show(&e);
            }
        }
        // Ctrl-C ends the process where it is: the log keeps every event written so far.
        if let (Some(w), true) = (log.as_mut(), logged) {
            w.flush()?;
        }
        if args
            .seconds
            .is_some_and(|s| start.elapsed().as_secs_f64() >= s)
        {
            if let Some(w) = log.as_mut() {
                w.flush()?;
            }
            eprintln!("\n{}", audio_report(&live));
            return Ok(ExitCode::SUCCESS);
        }
    }
}

/// How the audio streams held up over the session: restarts (a stream found dead and
/// reopened), what the host and our queues dropped.
fn audio_report(live: &tandem_core::audio::live::LiveAudio) -> String {
    let mic = live.dsp.mic_stats.snapshot();
    let mut line = format!(
        "audio: microphone {} restart(s), {} xrun(s), {} sample(s) dropped",
        mic.restarts, mic.host_xruns, mic.overrun_samples
    );
    if let Some(sink) = &live.dsp.sink_stats {
        let s = sink.snapshot();
        line.push_str(&format!(
            "; speaker {} restart(s), {} xrun(s), {} frame(s) of underrun",
            s.restarts, s.host_xruns, s.underrun_frames
        ));
    }
    let dropped = live
        .dsp
        .stats()
        .dropped_frames
        .load(std::sync::atomic::Ordering::Relaxed);
    line.push_str(&format!("; {dropped} cleaned frame(s) dropped"));
    let aec = live.dsp.stats().aec();
    line.push_str(&format!(
        "; echo canceller at the end: delay {} ms, ERLE {:.1} dB",
        aec.delay_ms, aec.erle_db
    ));
    line
}

/// The conversation as a terminal shows it.
#[derive(Debug, Default)]
struct View {
    last_voice_end: Option<u64>,
    partial_shown: bool,
}

impl View {
    fn show(&mut self, e: &Event) {
        let t = e.t_ms as f64 / 1000.0;
        let mut err = std::io::stderr().lock();
        match &e.kind {
            EventKind::Partial { text, .. } => {
                let _ = write!(err, "\r{t:7.1}s  you: {text}\x1b[K");
                self.partial_shown = true;
            }
            EventKind::Final { text, .. } => {
                let _ = writeln!(err, "\r{t:7.1}s  you: {text}\x1b[K");
                self.partial_shown = false;
            }
            EventKind::VoiceEnd { end_ms } => self.last_voice_end = Some(*end_ms),
            EventKind::Floor { floor } => {
                if self.partial_shown {
                    let _ = writeln!(err);
                    self.partial_shown = false;
                }
                let _ = writeln!(err, "{t:7.1}s  [{floor:?}]");
            }
            EventKind::SpeakStart { text, speech } => {
                let latency = self
                    .last_voice_end
                    .map(|end| format!(" ({} ms after you stopped)", e.t_ms.saturating_sub(end)))
                    .unwrap_or_default();
                let _ = writeln!(err, "{t:7.1}s  tandem ({speech:?}): {text}{latency}");
                self.last_voice_end = None;
            }
            EventKind::BargeIn { heard } => {
                let _ = writeln!(err, "{t:7.1}s  [you cut in; you had heard: \"{heard}\"]");
            }
            EventKind::Backchannel { phrase } => {
                let _ = writeln!(err, "{t:7.1}s  tandem: {phrase}");
            }
            EventKind::NotAddressed { text, reason, .. } => {
                let _ = writeln!(err, "{t:7.1}s  (not for me: \"{text}\" - {reason})");
            }
            EventKind::Visual {
                present, facing, ..
            } => {
                let seen = match (present, facing) {
                    (None, _) => "camera: no recent frame",
                    (Some(false), _) => "camera: nobody in view",
                    (Some(true), Some(true)) => "camera: you, facing the screen",
                    (Some(true), _) => "camera: you, turned away",
                };
                let _ = writeln!(err, "{t:7.1}s  [{seen}]");
            }
            EventKind::Error { stage, message } => {
                let _ = writeln!(err, "{t:7.1}s  error in {stage}: {message}");
            }
            _ => {}
        }
    }
}
