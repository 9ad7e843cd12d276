//! The engine on real devices: frames from the DSP thread in, ticks at every wake-up.

use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use super::{Engine, Event};
use crate::audio::live::LiveAudio;
use crate::audio::stream::DeviceEvent;

/// Longest sleep between ticks while no audio arrives.
const MAX_WAIT_MS: u64 = 20;

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("the audio engine stopped (the DSP thread ended); check `tandem doctor`")]
    AudioStopped,
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
            engine.on_audio(&frame.samples[..]);
            while let Ok(f) = live.dsp.frames().try_recv() {
                engine.on_audio(&f.samples[..]);
            }
        }
        Err(RecvTimeoutError::Timeout) => {}
        Err(RecvTimeoutError::Disconnected) => return Err(LiveError::AudioStopped),
    }
    let devices: Vec<DeviceEvent> = live.dsp.events().try_iter().collect();
    engine.tick(engine.audio_ms(), &mut live.player);
    Ok((engine.take_events(), devices))
}
