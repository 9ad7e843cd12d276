//! The engine on real devices: frames from the DSP thread in, ticks at every wake-up.

use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use super::{Engine, EngineOptions, EngineStages, Event, MicGate, StageError};
use crate::audio::dsp::DspConfig;
use crate::audio::live::LiveAudio;
use crate::audio::stream::{AudioError, DeviceEvent};
use crate::config::Config;
use crate::models::vad::{FusionParams, SileroVad, StreamingVad};

/// Longest sleep between ticks while no audio arrives.
const MAX_WAIT_MS: u64 = 20;

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("the audio engine stopped (the DSP thread ended); check `tandem doctor`")]
    AudioStopped,
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error(transparent)]
    Stage(#[from] StageError),
}

/// The engine settings a live conversation uses, from the config file.
pub fn live_options(config: &Config) -> EngineOptions {
    EngineOptions {
        micro_turn_ms: config.interaction.micro_turn_ms,
        policy: config.interaction.policy,
        voice_id: config.interaction.voice_id,
        voice_speed: config.voice.speed,
        ..EngineOptions::default()
    }
}

/// Opens the configured microphone and speaker (echo canceller between them) and builds the
/// engine over started stages. Call it on the thread that will run [`pump`]: the VAD cannot
/// move between threads.
pub fn open(
    stages: EngineStages,
    silero: SileroVad,
    config: &Config,
) -> Result<(LiveAudio, Engine), LiveError> {
    open_gated(stages, silero, config, MicGate::default())
}

/// [`open`] with the microphone behind `mic`: the app's mute and push-to-talk switch, which
/// the engine reads at every frame from the first one on.
pub fn open_gated(
    stages: EngineStages,
    silero: SileroVad,
    config: &Config,
    mic: MicGate,
) -> Result<(LiveAudio, Engine), LiveError> {
    let audio = LiveAudio::start(
        config.audio.input_device.as_deref(),
        config.audio.output_device.as_deref(),
        DspConfig::default(),
    )?;
    let vad = StreamingVad::new(silero, FusionParams::default()).map_err(StageError::from)?;
    let options = EngineOptions {
        mic,
        ..live_options(config)
    };
    let engine = Engine::new(stages, vad, options)?;
    // Loading parsed tens of MB (the TTS dictionaries' JSON, the models' protobufs) and freed
    // them in the heap's middle, where only a trim gives them back.
    let loaded = crate::memory::resident_mb();
    crate::memory::release_free_memory();
    tracing::debug!(?loaded, after_trim = ?crate::memory::resident_mb(), "resident MB after loading");
    crate::memory::start_idle_trimmer();
    Ok((audio, engine))
}

/// One turn of the live loop: waits for microphone frames or the engine's next wake-up
/// (at most 20 ms), feeds the frames, ticks, and returns the engine's events and any device
/// events (a lost or recovered device).
pub fn pump(
    live: &mut LiveAudio,
    engine: &mut Engine,
) -> Result<(Vec<Event>, Vec<DeviceEvent>), LiveError> {
    let wake_in = engine
        .next_wake()
        .saturating_sub(engine.audio_ms())
        .clamp(1, MAX_WAIT_MS);
    match live
        .dsp
        .frames()
        .recv_timeout(Duration::from_millis(wake_in))
    {
        Ok(frame) => {
            engine.on_frame(&frame);
            while let Ok(f) = live.dsp.frames().try_recv() {
                engine.on_frame(&f);
            }
        }
        Err(RecvTimeoutError::Timeout) => {}
        Err(RecvTimeoutError::Disconnected) => return Err(LiveError::AudioStopped),
    }
    let devices: Vec<DeviceEvent> = live.dsp.events().try_iter().collect();
    engine.tick(engine.audio_ms(), &mut live.player);
    let events = engine.take_events();
    if !events.is_empty() {
        crate::memory::note_activity();
    }
    Ok((events, devices))
}
