//! Audio: devices, capture and playback, resampling, framing, echo cancellation and the VAD
//! gate.
//!
//! - [`stream`]: the [`AudioSource`]/[`AudioSink`] traits, counters, timing stamps, events.
//! - [`playback`]: [`Player`] (speak/stop/duck/progress) and its real-time [`Renderer`].
//! - [`cpal_io`]: microphone and speaker through cpal, with device-loss recovery.
//! - [`dsp`]: resample to 16 kHz, AEC3 against the playback reference, 20 ms frames + VAD;
//!   [`dsp_thread`] runs it on the named `tandem-dsp` thread; [`live`] wires it all up.
//! - [`aec`]: the echo canceller on its own (also used offline by `tandem aec`).
//! - [`resample`]: streaming resampling; [`wav`]: WAV files in and out.

pub mod aec;
#[cfg(feature = "devices")]
pub mod cpal_io;
pub mod devices;
pub mod dsp;
pub mod dsp_thread;
#[cfg(feature = "devices")]
pub mod live;
pub mod playback;
pub mod resample;
pub mod stream;
pub mod wav;

pub use dsp::{CleanFrame, DspChain, DspConfig, DspStats, FRAME_MS, FRAME_SAMPLES};
pub use dsp_thread::{DspInputs, DspThread};
#[cfg(feature = "devices")]
pub use live::LiveAudio;
pub use playback::{Player, Progress, Reference, Renderer, UtteranceId, playback};
pub use stream::{AudioError, AudioSink, AudioSource, DeviceEvent, Stamp, StreamStats};

/// Root mean square of a block (0 for an empty one): the one level measure of the engine, the
/// simulation and the tests.
pub fn rms(samples: &[f32]) -> f32 {
    (samples.iter().map(|x| x * x).sum::<f32>() / samples.len().max(1) as f32).sqrt()
}

/// Debug builds of anything that links the engine (the CLI, the desktop app, the tests) check
/// that audio callbacks never allocate or free: `assert_no_alloc` aborts the process if one
/// does. Release builds keep the system allocator untouched (the check compiles to nothing).
#[cfg(debug_assertions)]
#[global_allocator]
static ALLOC_CHECK: assert_no_alloc::AllocDisabler = assert_no_alloc::AllocDisabler;
