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

/// Lists input and output devices. Never fails: problems end up in `note`.
#[cfg(feature = "devices")]
pub fn list() -> DeviceList {
    use cpal::traits::{DeviceTrait, HostTrait};
    let host = cpal::default_host();
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
