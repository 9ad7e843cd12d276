//! Audio device discovery through cpal (ALSA, which also reaches PulseAudio and PipeWire).

use serde::Serialize;

/// The audio devices this machine offers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeviceList {
    /// The audio host (e.g. "ALSA").
    pub host: String,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub default_input: Option<String>,
    pub default_output: Option<String>,
    /// Why the list may be incomplete (no audio support in this build, host error).
    pub note: Option<String>,
}

impl DeviceList {
    /// Whether there is a microphone to listen with.
    pub fn has_input(&self) -> bool {
        self.default_input.is_some()
    }

    /// Whether there is a speaker to talk with.
    pub fn has_output(&self) -> bool {
        self.default_output.is_some()
    }
}

/// The audio host, with the sound libraries' own stderr messages (ALSA's "ALSA lib ...",
/// libjack's "jack server is not running") turned off first: probing devices triggers dozens,
/// and what matters reaches the user through the errors cpal returns, in Tandem's words.
#[cfg(feature = "devices")]
pub(crate) fn host() -> cpal::Host {
    quiet_audio_libraries();
    cpal::default_host()
}

#[cfg(all(feature = "devices", target_os = "linux"))]
fn quiet_audio_libraries() {
    #[allow(unsafe_code)]
    unsafe extern "C" {
        /// native/quiet_audio.c: a bit set, 1 for ALSA silenced, 2 for libjack.
        fn tandem_quiet_audio_libraries() -> std::ffi::c_int;
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: takes no arguments; it sets process-wide message handlers in ALSA and
        // libjack (loaded with dlopen) to functions that ignore their arguments, and is called
        // once, before this process probes any device.
        #[allow(unsafe_code)]
        let done = unsafe { tandem_quiet_audio_libraries() };
        tracing::debug!(
            alsa = done & 1 != 0,
            jack = done & 2 != 0,
            "sound library messages silenced"
        );
    });
}

#[cfg(all(feature = "devices", not(target_os = "linux")))]
fn quiet_audio_libraries() {}

/// Lists input and output devices. Never fails: problems end up in `note`.
#[cfg(feature = "devices")]
pub fn list() -> DeviceList {
    use cpal::traits::{DeviceTrait, HostTrait};
    let host = host();
    let mut list = DeviceList {
        host: host.id().name().to_owned(),
        ..Default::default()
    };
    let name = |d: &cpal::Device| {
        d.description()
            .map(|d| d.name().to_owned())
            .unwrap_or_else(|_| d.to_string())
    };
    // A device counts only if it can actually be configured: ALSA lists its plugins (null,
    // jack, oss, pulse...) whether or not anything is behind them.
    match host.input_devices() {
        Ok(devs) => {
            list.inputs = devs
                .filter(|d| d.default_input_config().is_ok())
                .map(|d| name(&d))
                .collect()
        }
        Err(e) => list.note = Some(format!("cannot list microphones: {e}")),
    }
    match host.output_devices() {
        Ok(devs) => {
            list.outputs = devs
                .filter(|d| d.default_output_config().is_ok())
                .map(|d| name(&d))
                .collect()
        }
        Err(e) => list.note = Some(format!("cannot list speakers: {e}")),
    }
    list.default_input = host
        .default_input_device()
        .filter(|d| d.default_input_config().is_ok())
        .map(|d| name(&d));
    list.default_output = host
        .default_output_device()
        .filter(|d| d.default_output_config().is_ok())
        .map(|d| name(&d));
    list
}

#[cfg(not(feature = "devices"))]
pub fn list() -> DeviceList {
    DeviceList {
        host: "none".into(),
        note: Some("this build has no audio device support (feature `devices` off)".into()),
        ..Default::default()
    }
}
