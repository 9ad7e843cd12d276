//! The live audio engine: microphone and speaker through cpal, joined by the DSP thread.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::cpal_io::{CpalSink, CpalSource};
use super::dsp::DspConfig;
use super::dsp_thread::{DEFAULT_QUEUE_FRAMES, DspInputs, DspThread};
use super::playback::Player;
use super::stream::{AudioError, AudioSink, AudioSource};

/// A running audio engine on real devices.
#[derive(Debug)]
pub struct LiveAudio {
    /// Speak, stop, duck, and ask what was heard.
    pub player: Player,
    /// Cleaned 20 ms frames, VAD flags, device events and counters.
    pub dsp: DspThread,
    /// The devices opened (names as `tandem doctor` prints them) and their rates.
    pub input_device: String,
    pub output_device: String,
    pub input_rate_hz: u32,
    pub output_rate_hz: u32,
}

impl LiveAudio {
    /// Opens the microphone and the speaker (by name, or the defaults) and starts the DSP
    /// thread with the speaker's output as the echo canceller's reference.
    pub fn start(
        input_device: Option<&str>,
        output_device: Option<&str>,
        config: DspConfig,
    ) -> Result<LiveAudio, AudioError> {
        let (sink, player, reference) = CpalSink::open(output_device)?;
        let mic = CpalSource::open(input_device)?;
        let (input_device, output_device) = (mic.name().to_owned(), sink.name().to_owned());
        let (input_rate_hz, output_rate_hz) = (mic.sample_rate_hz(), sink.sample_rate_hz());
        tracing::info!(%input_device, input_rate_hz, %output_device, output_rate_hz, "audio devices open");
        let dsp = DspThread::spawn(
            DspInputs {
                mic: Box::new(mic),
                far: Some(Box::new(reference)),
                sink: Some(Box::new(sink)),
            },
            config,
            DEFAULT_QUEUE_FRAMES,
        )?;
        Ok(LiveAudio {
            player,
            dsp,
            input_device,
            output_device,
            input_rate_hz,
            output_rate_hz,
        })
    }

    /// Waits until both streams deliver audio (PulseAudio's ALSA plugin takes ~1 s to start
    /// flowing); returns false on timeout. Speech queued before then still plays, but timing
    /// measurements should start after this.
    pub fn wait_until_running(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let sink = self.dsp.sink_stats.clone();
        let frames = |s: &super::stream::StreamStats| s.frames.load(Ordering::Relaxed);
        let (mic0, out0) = (
            frames(&self.dsp.mic_stats),
            sink.as_deref().map_or(0, frames),
        );
        // Flowing: 100 ms more of each stream than at the call.
        let (mic_need, out_need) = (
            u64::from(self.input_rate_hz) / 10,
            u64::from(self.output_rate_hz) / 10,
        );
        while Instant::now() < deadline {
            let mic_ok = frames(&self.dsp.mic_stats) >= mic0 + mic_need;
            let out_ok = sink.as_deref().is_none_or(|s| frames(s) >= out0 + out_need);
            if mic_ok && out_ok {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }
}
